//! 128-bit SIMD in the JIT tier through the public API: v128 parameters and results of
//! `Func::call` and `TypedFunc`, host functions taking and returning v128 called from compiled
//! code, v128 globals defined, exported and imported, and SIMD memory accesses that trap out of
//! bounds. The lane semantics of every operator are covered by the spec scripts.

use wexe::{
    Caller, Config, Engine, Func, FuncType, Global, GlobalType, Linker, Module, Mutability, Store,
    Tier, Trap, Val, ValType,
};

fn engine() -> Engine {
    let mut config = Config::new();
    config.tier(Tier::Jit).wasm_simd(true);
    Engine::new(&config).expect("the JIT is available on this machine")
}

fn instance(store: &mut Store<()>, linker: &Linker<()>, wat: &str) -> wexe::Instance {
    let module = Module::new(store.engine(), wat).unwrap();
    linker.instantiate(&mut *store, &module).unwrap()
}

/// A v128 from four i32 lanes, lane 0 first.
fn i32x4(l: [i32; 4]) -> u128 {
    l.iter()
        .rev()
        .fold(0u128, |acc, &x| (acc << 32) | u128::from(x as u32))
}

/// The four i32 lanes of a v128, lane 0 first.
fn lanes_i32x4(v: u128) -> [i32; 4] {
    std::array::from_fn(|i| (v >> (32 * i)) as u32 as i32)
}

/// A v128 from sixteen bytes, lane 0 first.
fn i8x16(b: [u8; 16]) -> u128 {
    u128::from_le_bytes(b)
}

#[test]
fn v128_params_and_results_cross_call_and_typed_func() {
    let mut store = Store::new(&engine(), ());
    let linker = Linker::new(store.engine());
    let inst = instance(
        &mut store,
        &linker,
        r#"(module
          (func (export "add") (param v128 v128) (result v128)
            (i32x4.add (local.get 0) (local.get 1)))
          ;; Scalars and vectors mixed, two results, a zeroed v128 local, a typed select and a
          ;; block with a v128 result.
          (func (export "mix") (param i32 v128 f64) (result v128 i32)
            (local $zero v128)
            (block (result v128)
              (select (result v128)
                (f64x2.replace_lane 1 (local.get 1) (local.get 2))
                (local.get $zero)
                (local.get 0)))
            (i8x16.bitmask (local.get 1)))
          (func (export "narrow") (param v128 v128) (result v128)
            (i8x16.narrow_i16x8_u (local.get 0) (local.get 1))))"#,
    );
    let a = i32x4([1, -2, i32::MAX, 40]);
    let b = i32x4([10, 20, 1, -40]);

    let add = inst
        .get_typed_func::<(u128, u128), u128>(&mut store, "add")
        .unwrap();
    let sum = add.call(&mut store, (a, b)).unwrap();
    assert_eq!(lanes_i32x4(sum), [11, 18, i32::MIN, 0]);

    let f = inst.get_func(&mut store, "add").unwrap();
    let mut out = [Val::I32(0)];
    f.call(&mut store, &[Val::V128(a), Val::V128(b)], &mut out)
        .unwrap();
    assert_eq!(out[0].v128(), Some(sum));

    let mix = inst
        .get_typed_func::<(i32, u128, f64), (u128, i32)>(&mut store, "mix")
        .unwrap();
    let v = i8x16([0x80, 1, 2, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x90]);
    let (r, mask) = mix.call(&mut store, (1, v, 2.5)).unwrap();
    assert_eq!(r as u64, v as u64, "lane 0 kept");
    assert_eq!((r >> 64) as u64, 2.5f64.to_bits(), "lane 1 replaced");
    assert_eq!(mask, 0b1000_0000_0000_1001);
    let (r, _) = mix.call(&mut store, (0, v, 2.5)).unwrap();
    assert_eq!(r, 0, "the local started at zero");

    let narrow = inst
        .get_typed_func::<(u128, u128), u128>(&mut store, "narrow")
        .unwrap();
    let lo = u128::from_le_bytes(
        [300i16, -5, 7, 255, 256, -32768, 32767, 0]
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect::<Vec<_>>()
            .try_into()
            .unwrap(),
    );
    let r = narrow.call(&mut store, (lo, lo)).unwrap();
    let expect = [255u8, 0, 7, 255, 255, 0, 255, 0];
    assert_eq!(&r.to_le_bytes()[..8], &expect);
    assert_eq!(&r.to_le_bytes()[8..], &expect);
}

#[test]
fn host_functions_take_and_return_v128() {
    let mut store = Store::new(&engine(), ());
    let mut linker = Linker::new(store.engine());
    // Reverses the lanes of the first and adds the second.
    linker
        .func_wrap("host", "rev_add", |a: u128, b: u128| -> u128 {
            let mut l = lanes_i32x4(a);
            l.reverse();
            let b = lanes_i32x4(b);
            i32x4(std::array::from_fn(|i| l[i].wrapping_add(b[i])))
        })
        .unwrap();
    linker
        .func_new(
            "host",
            "swap_halves",
            FuncType::new([ValType::I32, ValType::V128], [ValType::V128, ValType::I32]),
            |_: Caller<'_, ()>, params, results| {
                let v = params[1].v128().unwrap();
                results[0] = Val::V128(v.rotate_left(64));
                results[1] = Val::I32(params[0].i32().unwrap() + 1);
                Ok(())
            },
        )
        .unwrap();
    let inst = instance(
        &mut store,
        &linker,
        r#"(module
          (import "host" "rev_add" (func $rev_add (param v128 v128) (result v128)))
          (import "host" "swap_halves" (func $swap (param i32 v128) (result v128 i32)))
          (func (export "run") (param v128) (result v128)
            ;; host results used by compiled SIMD code
            (i32x4.mul
              (call $rev_add (local.get 0) (v128.const i32x4 100 200 300 400))
              (v128.const i32x4 2 2 2 2)))
          (func (export "swap") (param v128) (result v128 i32)
            (call $swap (i32.const 41) (local.get 0))))"#,
    );
    let run = inst
        .get_typed_func::<u128, u128>(&mut store, "run")
        .unwrap();
    let r = run.call(&mut store, i32x4([1, 2, 3, 4])).unwrap();
    assert_eq!(lanes_i32x4(r), [208, 406, 604, 802]);

    let swap = inst
        .get_typed_func::<u128, (u128, i32)>(&mut store, "swap")
        .unwrap();
    let (v, n) = swap.call(&mut store, i32x4([1, 2, 3, 4])).unwrap();
    assert_eq!(lanes_i32x4(v), [3, 4, 1, 2]);
    assert_eq!(n, 42);

    // A host function called directly, and through the array entry of a wasm caller's type.
    let direct = Func::wrap(&mut store, |a: u128| -> u128 { !a });
    let mut out = [Val::V128(0)];
    direct.call(&mut store, &[Val::V128(5)], &mut out).unwrap();
    assert_eq!(out[0].v128(), Some(!5u128));
}

#[test]
fn v128_globals_are_defined_exported_and_imported() {
    let mut store = Store::new(&engine(), ());
    let imported = Global::new(
        &mut store,
        GlobalType::new(ValType::V128, Mutability::Var),
        Val::V128(i32x4([5, 6, 7, 8])),
    )
    .unwrap();
    let mut linker = Linker::new(store.engine());
    linker.define(&store, "host", "g", imported).unwrap();
    let inst = instance(
        &mut store,
        &linker,
        r#"(module
          (import "host" "g" (global $imp (mut v128)))
          (global $own (export "own") (mut v128) (v128.const i64x2 0x1122334455667788 -1))
          (func (export "bump") (result v128)
            ;; own += imported (as i64x2), imported = own (as i32x4 shifted left by 33 mod 32)
            (global.set $own (i64x2.add (global.get $own) (global.get $imp)))
            (global.set $imp (i32x4.shl (global.get $own) (i32.const 33)))
            (global.get $own)))"#,
    );
    let own = inst.get_global(&mut store, "own").unwrap();
    assert_eq!(
        own.get(&store).v128(),
        Some(0x1122334455667788u128 | (u128::from(u64::MAX) << 64))
    );
    let bump = inst.get_typed_func::<(), u128>(&mut store, "bump").unwrap();
    let r = bump.call(&mut store, ()).unwrap();
    let imp0 = i32x4([5, 6, 7, 8]);
    let lo = 0x1122334455667788u64.wrapping_add(imp0 as u64);
    let hi = u64::MAX.wrapping_add((imp0 >> 64) as u64);
    let expect = u128::from(lo) | (u128::from(hi) << 64);
    assert_eq!(r, expect);
    assert_eq!(own.get(&store).v128(), Some(expect));
    let shifted = lanes_i32x4(expect).map(|x| x.wrapping_shl(1));
    assert_eq!(imported.get(&store).v128(), Some(i32x4(shifted)));

    // The host sets both; the code sees the new values.
    own.set(&mut store, Val::V128(1)).unwrap();
    imported.set(&mut store, Val::V128(2)).unwrap();
    assert_eq!(bump.call(&mut store, ()).unwrap(), 3);
}

fn oob<T: std::fmt::Debug>(r: wexe::Result<T>) {
    let err = r.expect_err("out of bounds");
    assert_eq!(
        err.downcast_ref::<Trap>(),
        Some(&Trap::MemoryOutOfBounds),
        "{err:#}"
    );
}

#[test]
fn simd_memory_accesses_trap_out_of_bounds() {
    let mut store = Store::new(&engine(), ());
    let linker = Linker::new(store.engine());
    let inst = instance(
        &mut store,
        &linker,
        r#"(module
          (memory 1)
          (data (i32.const 65520) "\00\01\02\03\04\05\06\07\08\09\0a\0b\0c\0d\0e\0f")
          (func (export "load") (param i32) (result v128) (v128.load (local.get 0)))
          (func (export "load_off") (param i32) (result v128) (v128.load offset=8 (local.get 0)))
          (func (export "store") (param i32 v128) (v128.store (local.get 0) (local.get 1)))
          (func (export "splat") (param i32) (result v128) (v128.load32_splat (local.get 0)))
          (func (export "ext") (param i32) (result v128) (v128.load8x8_s (local.get 0)))
          (func (export "zero") (param i32) (result v128) (v128.load64_zero (local.get 0)))
          (func (export "load_lane") (param i32) (result v128)
            (v128.load16_lane 7 (local.get 0) (v128.const i64x2 0 0)))
          (func (export "store_lane") (param i32 v128) (v128.store64_lane 1 (local.get 0) (local.get 1))))"#,
    );
    let f = |store: &mut Store<()>, name: &str| {
        inst.get_typed_func::<i32, u128>(&mut *store, name).unwrap()
    };
    let load = f(&mut store, "load");
    let bytes: [u8; 16] = std::array::from_fn(|i| i as u8);
    assert_eq!(load.call(&mut store, 65520).unwrap(), i8x16(bytes));
    oob(load.call(&mut store, 65521));
    oob(load.call(&mut store, -1));
    let load_off = f(&mut store, "load_off");
    assert_eq!(load_off.call(&mut store, 65512).unwrap(), i8x16(bytes));
    oob(load_off.call(&mut store, 65513));

    let splat = f(&mut store, "splat");
    assert_eq!(
        lanes_i32x4(splat.call(&mut store, 65532).unwrap()),
        [0x0f0e0d0c; 4]
    );
    oob(splat.call(&mut store, 65533));
    let ext = f(&mut store, "ext");
    assert_eq!(ext.call(&mut store, 65528).unwrap() as u16, 8);
    oob(ext.call(&mut store, 65529));
    let zero = f(&mut store, "zero");
    assert_eq!(
        zero.call(&mut store, 65528).unwrap(),
        0x0f0e0d0c0b0a0908u128
    );
    oob(zero.call(&mut store, 65529));
    let load_lane = f(&mut store, "load_lane");
    assert_eq!(
        load_lane.call(&mut store, 65534).unwrap(),
        0x0f0eu128 << 112
    );
    oob(load_lane.call(&mut store, 65535));

    let store_fn = inst
        .get_typed_func::<(i32, u128), ()>(&mut store, "store")
        .unwrap();
    oob(store_fn.call(&mut store, (65521, u128::MAX)));
    // The trapping store wrote nothing.
    assert_eq!(load.call(&mut store, 65520).unwrap(), i8x16(bytes));
    store_fn.call(&mut store, (0, u128::MAX - 1)).unwrap();
    assert_eq!(load.call(&mut store, 0).unwrap(), u128::MAX - 1);
    let store_lane = inst
        .get_typed_func::<(i32, u128), ()>(&mut store, "store_lane")
        .unwrap();
    store_lane.call(&mut store, (65528, 7u128 << 64)).unwrap();
    assert_eq!(load.call(&mut store, 65520).unwrap() >> 64, 7);
    oob(store_lane.call(&mut store, (65529, 0)));
    // The store still works after the traps.
    assert_eq!(load.call(&mut store, 16).unwrap(), 0);
}

#[test]
fn unaligned_simd_loads_feed_arithmetic() {
    // A load folded into an SSE instruction's memory operand must not be assumed 16-byte
    // aligned: wasm addresses, value arrays and global cells need not be.
    let mut store = Store::new(&engine(), ());
    let linker = Linker::new(store.engine());
    let inst = instance(
        &mut store,
        &linker,
        r#"(module
          (memory 1)
          (data (i32.const 0) "\01\00\00\00\02\00\00\00\03\00\00\00\04\00\00\00\05\00\00\00")
          (global $g (mut v128) (v128.const i32x4 10 20 30 40))
          (func (export "sum") (param i32 v128) (result v128)
            (i32x4.add (local.get 1) (v128.load (local.get 0))))
          (func (export "gsum") (param v128) (result v128)
            (i32x4.add (local.get 0) (global.get $g))))"#,
    );
    let sum = inst
        .get_typed_func::<(i32, u128), u128>(&mut store, "sum")
        .unwrap();
    for (at, expect) in [(0, [1, 2, 3, 4]), (4, [2, 3, 4, 5])] {
        let r = sum.call(&mut store, (at, i32x4([1; 4]))).unwrap();
        assert_eq!(lanes_i32x4(r), expect.map(|x| x + 1));
    }
    let r = sum.call(&mut store, (1, 0)).unwrap();
    assert_eq!(
        lanes_i32x4(r),
        [0x0200_0000, 0x0300_0000, 0x0400_0000, 0x0500_0000]
    );
    let gsum = inst
        .get_typed_func::<u128, u128>(&mut store, "gsum")
        .unwrap();
    let r = gsum.call(&mut store, i32x4([1, 2, 3, 4])).unwrap();
    assert_eq!(lanes_i32x4(r), [11, 22, 33, 44]);
}

/// Code found in the on-disk cache is reused without validating the function bodies again, so
/// an engine without SIMD must not find the code an engine with SIMD cached: it validates the
/// module itself, and refuses it.
#[test]
fn cached_simd_code_is_not_reused_by_an_engine_without_simd() {
    let dir = std::env::temp_dir().join(format!("wexe-simd-cache-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let wat = r#"(module (func (export "f") (param i32) (result i32)
      (local v128)
      (local.set 1 (i32x4.splat (local.get 0)))
      (i32x4.extract_lane 2 (i32x4.add (local.get 1) (local.get 1)))))"#;
    let bytes = wat::parse_str(wat).unwrap();
    let cached_engine = |simd: bool| {
        let mut config = Config::new();
        config
            .tier(Tier::Jit)
            .wasm_simd(simd)
            .cache_dir(Some(dir.clone()));
        Engine::new(&config).unwrap()
    };
    let run = |engine: &Engine| -> wexe::Result<i32> {
        let module = Module::new(engine, &bytes)?;
        let mut store = Store::new(engine, ());
        let instance = wexe::Instance::new(&mut store, &module, &[])?;
        let f = instance.get_typed_func::<i32, i32>(&mut store, "f")?;
        f.call(&mut store, 21)
    };
    // Compiled and cached, then found in the cache.
    assert_eq!(run(&cached_engine(true)).unwrap(), 42);
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    assert_eq!(run(&cached_engine(true)).unwrap(), 42);
    let err = run(&cached_engine(false)).unwrap_err();
    assert!(format!("{err:#}").contains("SIMD"), "{err:#}");
    let _ = std::fs::remove_dir_all(&dir);
}
