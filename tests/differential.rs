//! Differential testing of the two tiers: wasm-smith modules from fixed seeds run in the
//! interpreter and in the JIT, and every observable outcome must agree — instantiation (success,
//! trap kind or error), each exported function's results (floats compared by bits, any NaN
//! equal to any NaN) or trap kind, and at the end the exported memories and globals.

#[path = "common/smith_driver.rs"]
#[allow(dead_code)]
mod smith_driver;

use arbitrary::Unstructured;
use wexe::{Config, Engine, Extern, Module, Store, Tier, Trap, Val};

/// How many seeds to try; `WEXE_DIFF_SEEDS=N cargo test --test differential` runs more.
const SEEDS: u64 = 300;
/// Loop iterations plus calls each instance may run before it traps.
const FUEL: u32 = 10_000;

fn engine(tier: Tier) -> Engine {
    let mut config = Config::new();
    config.tier(tier).wasm_simd(false).max_memory_size(16 << 20);
    Engine::new(&config).unwrap()
}

/// splitmix64 bytes for `Unstructured`, as in `tests/smith.rs` but from another stream.
fn seed_bytes(seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0xd1b5_4a32_d192_ed03) ^ 0xd1ff;
    let len = 4096 + (seed as usize * 977) % 12288;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        out.extend_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    out.truncate(len);
    out
}

fn show(v: &Val) -> String {
    match v {
        Val::F32(b) if f32::from_bits(*b).is_nan() => "f32:nan".into(),
        Val::F64(b) if f64::from_bits(*b).is_nan() => "f64:nan".into(),
        Val::FuncRef(f) => format!("funcref:{}", f.is_some()),
        Val::ExternRef(r) => format!("externref:{}", r.is_some()),
        other => format!("{other:?}"),
    }
}

fn outcome(e: &wexe::Error) -> String {
    match e.downcast_ref::<Trap>() {
        Some(t) => format!("trap: {}", t.message()),
        None => "error".into(),
    }
}

/// Everything observable about running `bytes` in `tier`, one line per event.
fn observe(tier: Tier, bytes: &[u8]) -> Vec<String> {
    let engine = engine(tier);
    let mut log = Vec::new();
    let module = match Module::new(&engine, bytes) {
        Ok(m) => m,
        Err(e) => return vec![format!("invalid: {e:#}")],
    };
    let mut store = Store::new(&engine, ());
    let mut imports = Vec::new();
    for import in module.imports() {
        imports.push(smith_driver::dummy_extern(&mut store, &import.ty()).unwrap());
    }
    let instance = match wexe::Instance::new(&mut store, &module, &imports) {
        Ok(i) => i,
        Err(e) => return vec![format!("instantiate: {}", outcome(&e))],
    };
    for (name, export) in instance.exports(&mut store) {
        let Extern::Func(func) = export else { continue };
        let ty = func.ty(&store);
        let params: Vec<Val> = ty.params().iter().map(|t| Val::default_for(*t)).collect();
        let mut results: Vec<Val> = ty.results().iter().map(|t| Val::default_for(*t)).collect();
        match func.call(&mut store, &params, &mut results) {
            Ok(()) => {
                let shown: Vec<String> = results.iter().map(show).collect();
                log.push(format!("{name}: {}", shown.join(" ")));
            }
            Err(e) => log.push(format!("{name}: {}", outcome(&e))),
        }
    }
    for (name, export) in instance.exports(&mut store) {
        match export {
            Extern::Memory(m) => {
                let data = m.data(&store);
                let hash = data.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
                    (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
                });
                log.push(format!("memory {name}: {} bytes, fnv {hash:x}", data.len()));
            }
            Extern::Global(g) => log.push(format!("global {name}: {}", show(&g.get(&store)))),
            _ => {}
        }
    }
    log
}

#[test]
fn interpreter_and_jit_agree_on_smith_modules() {
    let seeds = std::env::var("WEXE_DIFF_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(SEEDS);
    // Deep recursion must end the same way in both tiers: give the JIT a deep native stack.
    let handle = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || {
            let mut compared = 0;
            let mut differ = Vec::new();
            for seed in 0..seeds {
                let data = seed_bytes(seed);
                let Ok(bytes) = smith_driver::generate(&mut Unstructured::new(&data), FUEL) else {
                    continue;
                };
                compared += 1;
                let a = observe(Tier::Interp, &bytes);
                let b = observe(Tier::Jit, &bytes);
                if a != b {
                    let first = a
                        .iter()
                        .zip(&b)
                        .find(|(x, y)| x != y)
                        .map(|(x, y)| format!("interp `{x}` vs jit `{y}`"))
                        .unwrap_or_else(|| format!("{} vs {} events", a.len(), b.len()));
                    differ.push(format!("seed {seed}: {first}"));
                }
            }
            (compared, differ)
        })
        .unwrap();
    let (compared, differ) = handle.join().unwrap();
    eprintln!("{compared} modules compared");
    assert!(compared > seeds / 2, "too few seeds made a module");
    assert!(
        differ.is_empty(),
        "{} differ:\n{}",
        differ.len(),
        differ.join("\n")
    );
}
