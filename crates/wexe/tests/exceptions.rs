//! Exceptions through the embedding API, in both tiers: wasm exceptions crossing host frames in
//! both directions, a host function throwing, inspecting and re-throwing them, and the error of
//! an uncaught exception (its message naming the tag, its backtrace). `jit_exceptions.rs` has
//! the JIT's own (unwinding many frames many times).

use wexe::{
    Caller, Config, Engine, ExnRef, Func, FuncType, Instance, Linker, Module, Store, Tag, TagType,
    ThrownException, Tier, Trap, Val, ValType, WasmBacktrace,
};

fn engine(tier: Tier) -> Engine {
    let mut config = Config::new();
    config.tier(tier).wasm_exceptions(true);
    Engine::new(&config).unwrap()
}

/// Runs each named test (a `fn(Tier)`) in both tiers: `NAME::interp` and `NAME::jit`.
macro_rules! in_both_tiers {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[test]
            fn interp() {
                super::$name(wexe::Tier::Interp);
            }
            #[test]
            fn jit() {
                super::$name(wexe::Tier::Jit);
            }
        }
    )*};
}

in_both_tiers!(
    an_exception_passes_through_a_host_function_that_propagates_it,
    a_host_function_inspects_and_rethrows_an_exception,
    a_host_function_throws_a_new_exception_that_wasm_catches,
    a_host_error_that_is_not_an_exception_is_not_caught,
    an_uncaught_exception_names_its_tag_and_has_a_backtrace,
    host_tags_are_imported_and_caught_by_identity,
    exnref_values_cross_the_api_and_throw_ref_of_null_traps,
);

/// `outer` calls the host's `relay`, which calls back into `inner`, which throws `$e 41`.
const CROSSING: &str = r#"
    (module $m
      (import "host" "relay" (func $relay (result i32)))
      (tag $e (export "e") (param i32))
      (func (export "inner") (result i32)
        (throw $e (i32.const 41)))
      (func (export "outer") (result i32)
        (block $h (result i32)
          (try_table (result i32) (catch $e $h) (call $relay))
          (return))
        (i32.add (i32.const 1)))
      (func (export "outer-uncaught") (result i32) (call $relay)))
"#;

/// Instantiates `CROSSING` with `relay` as the host function.
fn crossing(
    tier: Tier,
    relay: impl Fn(Caller<'_, Option<Instance>>) -> anyhow::Result<i32> + Send + Sync + 'static,
) -> (Store<Option<Instance>>, Instance) {
    let engine = engine(tier);
    let module = Module::new(&engine, CROSSING).unwrap();
    let mut linker = Linker::new(&engine);
    linker.func_wrap("host", "relay", relay).unwrap();
    let mut store = Store::new(&engine, None);
    let instance = linker.instantiate(&mut store, &module).unwrap();
    *store.data_mut() = Some(instance);
    (store, instance)
}

fn call_inner(caller: &mut Caller<'_, Option<Instance>>) -> anyhow::Result<i32> {
    let instance = caller.data().expect("set");
    let inner = instance.get_typed_func::<(), i32>(&mut *caller, "inner")?;
    inner.call(&mut *caller, ())
}

fn an_exception_passes_through_a_host_function_that_propagates_it(tier: Tier) {
    let (mut store, instance) = crossing(tier, |mut caller| call_inner(&mut caller));
    let outer = instance
        .get_typed_func::<(), i32>(&mut store, "outer")
        .unwrap();
    assert_eq!(outer.call(&mut store, ()).unwrap(), 42);
    assert!(store.take_pending_exception().is_none());
}

fn a_host_function_inspects_and_rethrows_an_exception(tier: Tier) {
    let (mut store, instance) = crossing(tier, |mut caller| {
        let err = call_inner(&mut caller).unwrap_err();
        let thrown = err.downcast_ref::<ThrownException>().expect("an exception");
        assert_eq!(thrown.tag_name, "m::e");
        assert!(err.downcast_ref::<WasmBacktrace>().is_some());
        let exn = caller.take_pending_exception().expect("pending");
        let instance = caller.data().expect("set");
        let tag = instance.get_tag(&mut caller, "e").unwrap();
        assert_eq!(exn.tag(&caller), tag);
        assert_eq!(exn.fields(&caller)[0].i32(), Some(41));
        assert_eq!(exn.field(&caller, 0).unwrap().i32(), Some(41));
        assert!(exn.field(&caller, 1).is_err());
        Ok(caller.throw(exn)?)
    });
    let outer = instance
        .get_typed_func::<(), i32>(&mut store, "outer")
        .unwrap();
    assert_eq!(outer.call(&mut store, ()).unwrap(), 42);
}

fn a_host_function_throws_a_new_exception_that_wasm_catches(tier: Tier) {
    let (mut store, instance) = crossing(tier, |mut caller| {
        let instance = caller.data().expect("set");
        let tag = instance.get_tag(&mut caller, "e").unwrap();
        let exn = ExnRef::new(&mut caller, &tag, &[Val::I32(99)])?;
        Ok(caller.throw(exn)?)
    });
    let outer = instance
        .get_typed_func::<(), i32>(&mut store, "outer")
        .unwrap();
    assert_eq!(outer.call(&mut store, ()).unwrap(), 100);
}

fn a_host_error_that_is_not_an_exception_is_not_caught(tier: Tier) {
    let (mut store, instance) = crossing(tier, |_| anyhow::bail!("host failure"));
    let outer = instance
        .get_typed_func::<(), i32>(&mut store, "outer")
        .unwrap();
    let err = outer.call(&mut store, ()).unwrap_err();
    assert!(err.to_string().contains("host failure"), "{err:#}");
    assert!(err.downcast_ref::<ThrownException>().is_none());
}

fn an_uncaught_exception_names_its_tag_and_has_a_backtrace(tier: Tier) {
    let (mut store, instance) = crossing(tier, |mut caller| call_inner(&mut caller));
    let f = instance
        .get_typed_func::<(), i32>(&mut store, "outer-uncaught")
        .unwrap();
    let err = f.call(&mut store, ()).unwrap_err();
    let text = format!("{err:#}");
    assert!(
        text.contains("uncaught wasm exception (tag `m::e`)"),
        "{text}"
    );
    let bt = err.downcast_ref::<WasmBacktrace>().expect("a backtrace");
    assert!(!bt.frames.is_empty());
    let exn = store
        .take_pending_exception()
        .expect("the exception stays in the store");
    assert_eq!(exn.fields(&store)[0].i32(), Some(41));
    assert!(store.take_pending_exception().is_none());
    // The store keeps working afterwards.
    let outer = instance
        .get_typed_func::<(), i32>(&mut store, "outer")
        .unwrap();
    assert_eq!(outer.call(&mut store, ()).unwrap(), 42);
}

fn host_tags_are_imported_and_caught_by_identity(tier: Tier) {
    let engine = engine(tier);
    let mut store = Store::new(&engine, ());
    let ty = TagType::new(FuncType::new([ValType::I64], []));
    let tag = Tag::new(&mut store, &ty).unwrap();
    let other = Tag::new(&mut store, &ty).unwrap();
    assert_ne!(tag, other);
    assert_eq!(tag.ty(&store), ty);
    assert!(Tag::new(&mut store, &TagType::new(FuncType::new([], [ValType::I32]))).is_err());
    let throw_tag = Func::wrap(&mut store, move |mut caller: Caller<'_, ()>, which: i32| {
        let t = if which == 0 { tag } else { other };
        let exn = ExnRef::new(&mut caller, &t, &[Val::I64(7)])?;
        anyhow::Ok(caller.throw::<()>(exn)?)
    });
    let module = Module::new(
        &engine,
        r#"(module
             (import "" "tag" (tag $t (param i64)))
             (import "" "throw" (func $throw (param i32)))
             (func (export "catch") (param i32) (result i64)
               (block $h (result i64)
                 (try_table (catch $t $h) (call $throw (local.get 0)))
                 (i64.const -1))))"#,
    )
    .unwrap();
    let instance = Instance::new(&mut store, &module, &[tag.into(), throw_tag.into()]).unwrap();
    let catch = instance
        .get_typed_func::<i32, i64>(&mut store, "catch")
        .unwrap();
    assert_eq!(catch.call(&mut store, 0).unwrap(), 7);
    let err = catch.call(&mut store, 1).unwrap_err();
    assert!(err.downcast_ref::<ThrownException>().is_some(), "{err:#}");
    let exn = store.take_pending_exception().unwrap();
    assert_eq!(exn.tag(&store), other);
    // A tag of another type does not satisfy the import.
    let wrong = Tag::new(&mut store, &TagType::new(FuncType::new([], []))).unwrap();
    assert!(Instance::new(&mut store, &module, &[wrong.into(), throw_tag.into()]).is_err());
}

fn exnref_values_cross_the_api_and_throw_ref_of_null_traps(tier: Tier) {
    let engine = engine(tier);
    let module = Module::new(
        &engine,
        r#"(module
             (tag $e (export "e") (param i32))
             (func (export "make") (result exnref)
               (block $h (result i32 exnref)
                 (try_table (catch_ref $e $h) (throw $e (i32.const 3)))
                 (unreachable))
               (return))
             (func (export "rethrow") (param exnref) (result i32)
               (block $h (result i32)
                 (try_table (catch $e $h) (throw_ref (local.get 0)))
                 (unreachable))))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let make = instance.get_func(&mut store, "make").unwrap();
    let mut out = [Val::ExnRef(None)];
    make.call(&mut store, &[], &mut out).unwrap();
    let Val::ExnRef(Some(exn)) = out[0] else {
        panic!("expected an exnref, got {:?}", out[0]);
    };
    assert_eq!(exn.fields(&store)[0].i32(), Some(3));
    let rethrow = instance.get_func(&mut store, "rethrow").unwrap();
    let mut got = [Val::I32(0)];
    for _ in 0..2 {
        // Caught by `catch` (no reference kept), yet the host's reference stays valid.
        rethrow.call(&mut store, &out, &mut got).unwrap();
        assert_eq!(got[0].i32(), Some(3));
        assert_eq!(exn.fields(&store)[0].i32(), Some(3));
    }
    let err = rethrow
        .call(&mut store, &[Val::ExnRef(None)], &mut got)
        .unwrap_err();
    assert_eq!(err.downcast_ref::<Trap>(), Some(&Trap::NullReference));
}
