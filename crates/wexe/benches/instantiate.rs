//! How long making a fresh instance takes, in µs: `Linker::instantiate` against
//! `InstancePre::instantiate` (with and without `Config::memory_pool`), each in a new store that
//! is dropped afterwards, in both tiers, for a module with 1 MB of data segments and for the
//! SQLite and Lua builds of `scripts/fetch-real-programs.sh` (looked for in
//! `target/real-programs`, or `$WEXE_REAL_PROGRAMS`; a missing one is reported and left out).
//! With the pool, the 1 MB module is also timed reading and writing 16 of its pages after
//! instantiating: a reset that is cheap only for an instance that touches nothing would show.
//!
//! `cargo bench -p wexe --bench instantiate [-- FILTER]`: prints one line per case with the
//! median and 10th/90th percentiles of batches of timed instantiations.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use wexe::{Config, Engine, ExternType, Linker, Module, Store, Tier};

/// A named way of making an instance, timed by [`measure`].
type Case<'a> = (&'static str, Box<dyn FnMut() + 'a>);

/// A module with `n` bytes of active data segments (64 KiB each), spread over 32 pages.
fn data_module(n: usize) -> Vec<u8> {
    let mut wat = String::from("(module (memory (export \"memory\") 32)\n");
    let chunk = 64 << 10;
    let bytes: String = (0..chunk)
        .map(|i| format!("\\{:02x}", (i * 7 + 1) % 251))
        .collect();
    for seg in 0..n / chunk {
        wat.push_str(&format!("(data (i32.const {}) \"{bytes}\")\n", seg * chunk));
    }
    wat.push_str("(func (export \"read\") (param i32) (result i32) (i32.load8_u (local.get 0)))\n");
    wat.push_str("(func (export \"write\") (param i32) (i32.store8 (local.get 0) (i32.const 9))))");
    wat::parse_str(&wat).expect("valid module")
}

/// The path of a real program, if it was built.
fn real_program(name: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("WEXE_REAL_PROGRAMS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/real-programs")
        });
    let path = dir.join(format!("{name}.wasm"));
    path.exists().then_some(path)
}

/// A linker with a trapping host function for every function import of `module`.
fn stub_linker(engine: &Engine, module: &Module) -> Linker<()> {
    let mut linker = Linker::new(engine);
    for imp in module.imports() {
        if let ExternType::Func(ty) = imp.ty() {
            linker
                .func_new(imp.module(), imp.name(), ty, |_, _, _| {
                    Err(anyhow::anyhow!("not available in this benchmark"))
                })
                .expect("one definition per import");
        }
    }
    linker
}

/// Median, 10th and 90th percentile of the time `f` takes, in µs, over batches.
fn measure(mut f: impl FnMut()) -> [f64; 3] {
    for _ in 0..20 {
        f();
    }
    let mut per_call = Vec::new();
    let start = Instant::now();
    while per_call.len() < 15 || (start.elapsed() < Duration::from_secs(1) && per_call.len() < 200)
    {
        let batch = 20;
        let t = Instant::now();
        for _ in 0..batch {
            f();
        }
        per_call.push(t.elapsed().as_secs_f64() * 1e6 / batch as f64);
    }
    per_call.sort_by(f64::total_cmp);
    let at = |q: f64| per_call[((per_call.len() - 1) as f64 * q) as usize];
    [at(0.5), at(0.1), at(0.9)]
}

fn main() {
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let mut modules: Vec<(String, Vec<u8>)> = vec![("data-1MB".into(), data_module(1 << 20))];
    for name in ["lua", "sqlite"] {
        match real_program(name) {
            Some(p) => modules.push((name.into(), std::fs::read(p).expect("readable"))),
            None => eprintln!(
                "{name}.wasm not found (scripts/fetch-real-programs.sh target/real-programs): left out"
            ),
        }
    }
    println!(
        "{:<10} {:<7} {:<28} {:>9} {:>9} {:>9}",
        "module", "tier", "how", "median µs", "p10", "p90"
    );
    for tier in [Tier::Interp, Tier::Jit] {
        for pool in [false, true] {
            let mut config = Config::new();
            config.tier(tier).memory_pool(if pool { 64 } else { 0 });
            let engine = Engine::new(&config).expect("engine");
            for (name, bytes) in &modules {
                if filter.as_deref().is_some_and(|f| !name.contains(f)) {
                    continue;
                }
                let module = Module::new(&engine, bytes).expect("module");
                let linker = stub_linker(&engine, &module);
                let pre = linker.instantiate_pre(&module).expect("pre");
                let tier_name = format!("{tier:?}").to_lowercase();
                let mut cases: Vec<Case> = vec![(
                    if pool {
                        "InstancePre + pool"
                    } else {
                        "InstancePre"
                    },
                    Box::new(|| {
                        let mut store = Store::new(&engine, ());
                        pre.instantiate(&mut store).expect("instance");
                    }),
                )];
                if pool && name.starts_with("data") {
                    // Real use after instantiating: reads, then writes, of 16 of the image's
                    // 256 host pages (what the reset then has to restore).
                    for (how, export) in [
                        ("InstancePre + pool, read 16", "read"),
                        ("InstancePre + pool, write 16", "write"),
                    ] {
                        let (engine, pre) = (&engine, &pre);
                        cases.push((
                            how,
                            Box::new(move || {
                                let mut store = Store::new(engine, ());
                                let inst = pre.instantiate(&mut store).expect("instance");
                                let f = inst.get_func(&mut store, export).expect("export");
                                let mut out = vec![wexe::Val::I32(0); f.ty(&store).results().len()];
                                for page in 0..16 {
                                    let at = wexe::Val::I32(page * 16 * 4096 + 100);
                                    f.call(&mut store, &[at], &mut out).expect("call");
                                }
                            }),
                        ));
                    }
                }
                if !pool {
                    cases.insert(
                        0,
                        (
                            "Linker::instantiate",
                            Box::new(|| {
                                let mut store = Store::new(&engine, ());
                                linker.instantiate(&mut store, &module).expect("instance");
                            }),
                        ),
                    );
                }
                for (how, f) in cases {
                    let [median, p10, p90] = measure(f);
                    println!(
                        "{name:<10} {tier_name:<7} {how:<28} {median:>9.1} {p10:>9.1} {p90:>9.1}"
                    );
                }
            }
        }
    }
}
