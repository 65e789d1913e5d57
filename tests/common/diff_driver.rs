//! Differential driver shared by `tests/differential.rs` and the `differential` fuzz target
//! (both include it with `#[path]`, next to `smith_driver.rs`): runs a module in the interpreter
//! and in the JIT and lists every observable event, so that the two lists can be compared —
//! instantiation (success, trap kind or error), each exported function's results (floats by
//! bits, any NaN equal to any NaN) or trap kind, called once with zero arguments and once with
//! arguments drawn from the module's bytes (edge values and random bits, v128 lanes included),
//! then the exported memories and globals; an uncaught exception by its tag and payload.

use arbitrary::Unstructured;
use wexe::{Config, Engine, Extern, Module, Store, Tier, Trap, Val};

/// A module as `smith_driver::generate` makes them, but with every float result made canonical
/// where it could be NaN: the spec lets the tiers produce different NaN bits, which would
/// otherwise reach integers through `reinterpret` and memory and look like a disagreement.
pub fn generate(u: &mut Unstructured<'_>, fuel: u32) -> arbitrary::Result<Vec<u8>> {
    let mut config = crate::smith_driver::smith_config(u)?;
    config.canonicalize_nans = true;
    let mut module = wasm_smith::Module::new(config, u)?;
    module
        .ensure_termination(fuel)
        .expect("wasm-smith generated every function body itself");
    Ok(module.to_bytes())
}

/// An engine of `tier` for generated modules: the default features, small memories.
pub fn engine(tier: Tier) -> Engine {
    drawn_engine(tier, None)
}

/// The engine of `tier`; under tier-up with `draw`, each function's tier drawn from that seed
/// (`Config::tier_up_draw`): about half are compiled, the others stay interpreted for good.
pub fn drawn_engine(tier: Tier, draw: Option<u64>) -> Engine {
    let mut config = Config::new();
    config.tier(tier).max_memory_size(16 << 20);
    // Under tier-up: every function interpreted once, then compiled at once, so that calls
    // cross between the tiers.
    config
        .tier_up_threshold(1)
        .tier_up_threads(0)
        .tier_up_draw(draw);
    Engine::new(&config).unwrap()
}

fn show(v: &Val) -> String {
    match v {
        Val::F32(b) if f32::from_bits(*b).is_nan() => "f32:nan".into(),
        Val::F64(b) if f64::from_bits(*b).is_nan() => "f64:nan".into(),
        Val::FuncRef(f) => format!("funcref:{}", f.is_some()),
        Val::ExternRef(r) => format!("externref:{}", r.is_some()),
        Val::ExnRef(r) => format!("exnref:{}", r.is_some()),
        Val::AnyRef(r) => format!("anyref:{}", r.is_some()),
        other => format!("{other:?}"),
    }
}

/// Starts the events that must not happen in either tier, even when both tiers agree: the
/// module is valid (wasm-smith made it) and its dummy imports have the right types, so wexe
/// must accept it and nothing but traps may go wrong.
const FAILURE: &str = "FAILURE ";

/// How a call or instantiation failed: a trap, an uncaught exception (its tag and payload,
/// taken from the store), or an error that must not happen.
fn outcome(store: &mut Store<()>, e: &wexe::Error) -> String {
    if let Some(t) = e.downcast_ref::<Trap>() {
        return format!("trap: {}", t.message());
    }
    if let Some(x) = e.downcast_ref::<wexe::ThrownException>() {
        let fields: Vec<String> = match store.take_pending_exception() {
            Some(exn) => exn.fields(&*store).iter().map(show).collect(),
            None => vec!["(no pending exception)".into()],
        };
        return format!("uncaught exception {}: {}", x.tag_name, fields.join(" "));
    }
    format!("{FAILURE}error: {e:#}")
}

/// Everything observable about running `bytes` in `tier`, one line per event.
pub fn observe(engine: &Engine, bytes: &[u8]) -> Vec<String> {
    let mut log = Vec::new();
    let module = match Module::new(engine, bytes) {
        Ok(m) => m,
        Err(e) => return vec![format!("{FAILURE}invalid: {e:#}")],
    };
    let mut store = Store::new(engine, ());
    let mut imports = Vec::new();
    for import in module.imports() {
        imports.push(crate::smith_driver::dummy_extern(&mut store, &import.ty()).unwrap());
    }
    let instance = match wexe::Instance::new(&mut store, &module, &imports) {
        Ok(i) => i,
        Err(e) => return vec![format!("instantiate: {}", outcome(&mut store, &e))],
    };
    let mut draw = Draw(bytes.len() as u64 ^ 0x5851_f42d_4c95_7f2d);
    for (name, export) in instance.exports(&mut store) {
        let Extern::Func(func) = export else { continue };
        let ty = func.ty(&store);
        let zeros: Vec<Val> = ty.params().iter().map(|t| Val::default_for(*t)).collect();
        let drawn: Vec<Val> = ty.params().iter().map(|t| draw.val(*t)).collect();
        for params in [zeros, drawn] {
            let mut results: Vec<Val> = ty.results().iter().map(|t| Val::default_for(*t)).collect();
            match func.call(&mut store, &params, &mut results) {
                Ok(()) => {
                    let shown: Vec<String> = results.iter().map(show).collect();
                    log.push(format!("{name}: {}", shown.join(" ")));
                }
                Err(e) => log.push(format!("{name}: {}", outcome(&mut store, &e))),
            }
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

/// Arguments for exported functions: a splitmix64 stream, the same for both tiers.
struct Draw(u64);

impl Draw {
    fn next(&mut self) -> u64 {
        crate::smith_driver::splitmix64(&mut self.0)
    }

    /// Random bits half of the time, else an edge value (0, ±1, the extremes, small numbers).
    fn bits(&mut self) -> u64 {
        const EDGES: [u64; 8] = [0, 1, u64::MAX, 0x8000_0000, 0x7fff_ffff, 1 << 63, 7, 255];
        let r = self.next();
        if r & 1 == 0 {
            self.next()
        } else {
            EDGES[(r >> 1) as usize % EDGES.len()]
        }
    }

    /// A value of type `ty`. Floats come from ordinary numbers or raw bits (NaNs included):
    /// results are compared with any NaN equal to any NaN.
    fn val(&mut self, ty: wexe::ValType) -> Val {
        use wexe::ValType as T;
        match ty {
            T::I32 => Val::I32(self.bits() as i32),
            T::I64 => Val::I64(self.bits() as i64),
            T::F32 => Val::F32(match self.next() % 3 {
                0 => self.bits() as u32,
                _ => ((self.next() % 2001) as f32 / 8.0 - 125.0).to_bits(),
            }),
            T::F64 => Val::F64(match self.next() % 3 {
                0 => self.bits(),
                _ => ((self.next() % 2001) as f64 / 8.0 - 125.0).to_bits(),
            }),
            T::V128 => Val::V128(self.bits() as u128 | (self.bits() as u128) << 64),
            T::Ref(_) => Val::default_for(ty),
        }
    }
}

/// The first failure (an error other than a trap, or the module rejected, in either tier) or
/// else the first difference between the two tiers' events for `bytes`, if any.
pub fn compare(interp: &Engine, jit: &Engine, bytes: &[u8]) -> Option<String> {
    let a = observe(interp, bytes);
    let b = observe(jit, bytes);
    let mut tagged = a
        .iter()
        .map(|e| ("interp", e))
        .chain(b.iter().map(|e| ("jit", e)));
    if let Some((tier, event)) = tagged.find(|(_, e)| e.contains(FAILURE)) {
        return Some(format!("{tier} `{event}`"));
    }
    if a == b {
        return None;
    }
    Some(
        a.iter()
            .zip(&b)
            .find(|(x, y)| x != y)
            .map(|(x, y)| format!("interp `{x}` vs jit `{y}`"))
            .unwrap_or_else(|| format!("{} vs {} events", a.len(), b.len())),
    )
}
