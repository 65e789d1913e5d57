//! The JIT's unwinder at volume: a million exceptions thrown through ten compiled frames and
//! caught, within one call (a stack pointer not restored by each catch would exhaust the stack
//! long before the end), and the same through a host function's frame; a second round takes no
//! more memory than the first; a legacy `catch` without `rethrow` in a loop as well. The call
//! sites' handlers survive `Module::serialize`. And the
//! backtrace of an uncaught exception names every frame.

use wexe::{Caller, Config, Engine, Linker, Module, Store, ThrownException, Tier, WasmBacktrace};

fn engine() -> Engine {
    let mut config = Config::new();
    config.tier(Tier::Jit).wasm_exceptions(true);
    Engine::new(&config).unwrap()
}

/// This process's resident memory, in bytes.
fn resident_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: usize = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

/// `run n` throws `$e i` from ten frames down (`$f10` → ... → `$f1`, which throws), catches it
/// in a loop `n` times and returns the sum of the payloads. `via_host` goes through the host
/// instead: `$f1` calls the host's `relay`, which calls the exported `$f10` chain again, whose
/// innermost throws.
const CHAIN: &str = r#"
    (module
      (import "host" "relay" (func $relay (param i32) (result i32)))
      (tag $e (param i32))
      (func $f1 (param i32) (result i32) (throw $e (local.get 0)))
      (func $f2 (param i32) (result i32) (i32.add (call $f1 (local.get 0)) (i32.const 1)))
      (func $f3 (param i32) (result i32) (i32.add (call $f2 (local.get 0)) (i32.const 1)))
      (func $f4 (param i32) (result i32) (i32.add (call $f3 (local.get 0)) (i32.const 1)))
      (func $f5 (param i32) (result i32) (i32.add (call $f4 (local.get 0)) (i32.const 1)))
      (func $f6 (param i32) (result i32) (i32.add (call $f5 (local.get 0)) (i32.const 1)))
      (func $f7 (param i32) (result i32) (i32.add (call $f6 (local.get 0)) (i32.const 1)))
      (func $f8 (param i32) (result i32) (i32.add (call $f7 (local.get 0)) (i32.const 1)))
      (func $f9 (param i32) (result i32) (i32.add (call $f8 (local.get 0)) (i32.const 1)))
      (func $f10 (export "f10") (param i32) (result i32)
        (i32.add (call $f9 (local.get 0)) (i32.const 1)))
      (func (export "run") (param $n i32) (param $via_host i32) (result i64)
        (local $sum i64)
        (block $done
          (loop $next
            (br_if $done (i32.eqz (local.get $n)))
            (local.set $n (i32.sub (local.get $n) (i32.const 1)))
            (block $caught (result i32)
              (try_table (catch $e $caught)
                (drop
                  (if (result i32) (local.get $via_host)
                    (then (call $relay (local.get $n)))
                    (else (call $f10 (local.get $n))))))
              (unreachable))
            i64.extend_i32_u
            (local.set $sum (i64.add (local.get $sum)))
            (br $next)))
        (local.get $sum))
      (func (export "uncaught") (param i32) (result i32)
        (i32.add (call $f10 (local.get 0)) (i32.const 1))))
"#;

fn instantiate() -> (Store<()>, wexe::Instance) {
    let engine = engine();
    instantiate_module(&engine, Module::new(&engine, CHAIN).unwrap())
}

fn instantiate_module(engine: &Engine, module: Module) -> (Store<()>, wexe::Instance) {
    let mut linker = Linker::new(engine);
    linker
        .func_wrap("host", "relay", |mut caller: Caller<'_, ()>, i: i32| {
            let f10 = caller
                .get_export("f10")
                .and_then(|e| e.into_func())
                .expect("f10");
            let f10 = f10.typed::<i32, i32>(&caller)?;
            f10.call(&mut caller, i)
        })
        .unwrap();
    let mut store = Store::new(engine, ());
    let instance = linker.instantiate(&mut store, &module).unwrap();
    (store, instance)
}

/// The sum of `0..n`.
fn triangle(n: u64) -> u64 {
    n * (n - 1) / 2
}

/// Runs `run n via_host` twice; the second round may take little more memory than the first.
fn rounds(n: u32, via_host: i32) {
    let (mut store, instance) = instantiate();
    let run = instance
        .get_typed_func::<(i32, i32), i64>(&mut store, "run")
        .unwrap();
    let got = run.call(&mut store, (n as i32, via_host)).unwrap();
    assert_eq!(got as u64, triangle(u64::from(n)));
    let before = resident_bytes();
    let got = run.call(&mut store, (n as i32, via_host)).unwrap();
    assert_eq!(got as u64, triangle(u64::from(n)));
    let grown = resident_bytes().saturating_sub(before);
    assert!(
        grown < 1 << 20,
        "the second round grew memory by {grown} bytes"
    );
    assert!(store.take_pending_exception().is_none());
}

#[test]
fn a_million_exceptions_through_ten_frames_leave_nothing_behind() {
    rounds(1_000_000, 0);
}

#[test]
fn exceptions_through_a_host_frame_leave_nothing_behind() {
    rounds(100_000, 1);
}

#[test]
fn legacy_catches_without_rethrow_reuse_their_exception() {
    let mut config = Config::new();
    config.tier(Tier::Jit);
    let engine = Engine::new(&config).unwrap();
    let module = Module::new(
        &engine,
        r#"(module
             (tag $e (param i32))
             (func $throw (param i32) (throw $e (local.get 0)))
             (func (export "run") (param $n i32) (result i32)
               (local $sum i32)
               (loop $next
                 try
                   (call $throw (local.get $n))
                 catch $e
                   (local.set $sum (i32.add (local.get $sum)))
                 end
                 (br_if $next (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
               (local.get $sum)))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, ());
    let instance = wexe::Instance::new(&mut store, &module, &[]).unwrap();
    let run = instance
        .get_typed_func::<i32, i32>(&mut store, "run")
        .unwrap();
    let n = 300_000;
    let sum = (n as u64 * (n as u64 + 1) / 2) as i32;
    assert_eq!(run.call(&mut store, n).unwrap(), sum);
    let before = resident_bytes();
    assert_eq!(run.call(&mut store, n).unwrap(), sum);
    let grown = resident_bytes().saturating_sub(before);
    assert!(
        grown < 1 << 20,
        "the second round grew memory by {grown} bytes"
    );
}

#[test]
fn exception_tables_survive_serialisation() {
    let engine = engine();
    let bytes = Module::new(&engine, CHAIN).unwrap().serialize().unwrap();
    // SAFETY: bytes this engine serialised just now.
    let module = unsafe { Module::deserialize(&engine, &bytes) }.unwrap();
    let (mut store, instance) = instantiate_module(&engine, module);
    let run = instance
        .get_typed_func::<(i32, i32), i64>(&mut store, "run")
        .unwrap();
    for via_host in [0, 1] {
        assert_eq!(run.call(&mut store, (100, via_host)).unwrap(), 4950);
    }
}

#[test]
fn an_uncaught_exception_has_the_backtrace_of_its_throw() {
    let (mut store, instance) = instantiate();
    let f = instance
        .get_typed_func::<i32, i32>(&mut store, "uncaught")
        .unwrap();
    let err = f.call(&mut store, 5).unwrap_err();
    assert!(err.downcast_ref::<ThrownException>().is_some(), "{err:#}");
    let bt = err.downcast_ref::<WasmBacktrace>().expect("a backtrace");
    // $f1 (where it was thrown) ... $f10, then `uncaught` (after `run`).
    let funcs: Vec<u32> = bt.frames.iter().map(|f| f.func_index).collect();
    let want: Vec<u32> = (1..=10).chain([12]).collect();
    assert_eq!(funcs, want, "{bt:?}");
    assert_eq!(bt.frames[0].func_name.as_deref(), Some("f1"));
    let exn = store.take_pending_exception().expect("pending");
    assert_eq!(exn.fields(&store)[0].i32(), Some(5));
}
