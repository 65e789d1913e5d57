//! SIMD in the interpreter through the embedding API: v128 parameters and results of dynamic and
//! typed calls, host functions taking and returning v128, v128 globals, v128 locals beside
//! scalar ones across calls, recursion and blocks, and out-of-bounds SIMD memory accesses.

use wexe::{
    Config, Engine, Func, Global, GlobalType, Instance, Linker, Module, Mutability, Store, Tier,
    Trap, Val, ValType,
};

fn interp_engine() -> Engine {
    let mut config = Config::new();
    config.tier(Tier::Interp).wasm_simd(true);
    Engine::new(&config).unwrap()
}

fn instantiate(wat: &str) -> (Store<()>, Instance) {
    let engine = interp_engine();
    let module = Module::new(&engine, wat).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    (store, instance)
}

/// A v128 from its four i32 lanes, lane 0 first.
fn i32x4(l: [u32; 4]) -> u128 {
    l.iter()
        .enumerate()
        .fold(0, |v, (i, &x)| v | (x as u128) << (32 * i))
}

/// The four i32 lanes of a v128.
fn lanes(v: u128) -> [u32; 4] {
    std::array::from_fn(|i| (v >> (32 * i)) as u32)
}

fn trap_of(err: &anyhow::Error) -> Trap {
    *err.downcast_ref::<Trap>()
        .unwrap_or_else(|| panic!("not a trap: {err:?}"))
}

const CALLS: &str = r#"
  (module
    (func (export "add") (param v128 v128) (result v128)
      (i32x4.add (local.get 0) (local.get 1)))
    (func (export "neg") (param v128) (result v128)
      (i8x16.neg (local.get 0)))
    ;; Scalars and vectors interleaved in both directions; results reordered.
    (func $mixed (export "mixed") (param i32 v128 i64 v128) (result i64 v128 i32)
      (i64.add (local.get 2) (i64.extend_i32_u (local.get 0)))
      (v128.xor (local.get 1) (local.get 3))
      (i32x4.extract_lane 3 (local.get 3)))
    ;; A wasm caller of `mixed`: the callee's frame starts at the caller's argument cells.
    (func (export "call_mixed") (param i32) (result i32)
      (local $r v128) (local $k i64)
      (call $mixed
        (local.get 0) (v128.const i32x4 1 2 3 4) (i64.const 100) (v128.const i32x4 8 8 8 8))
      (drop)
      (local.set $r)
      (local.set $k)
      (i32.add (i32.wrap_i64 (local.get $k))
        (i32.add (i32x4.extract_lane 0 (local.get $r)) (i32x4.extract_lane 3 (local.get $r))))))
"#;

#[test]
fn v128_parameters_and_results_of_dynamic_and_typed_calls() {
    let (mut store, instance) = instantiate(CALLS);
    let add = instance.get_func(&mut store, "add").unwrap();
    let a = i32x4([1, 2, 3, 0xffff_ffff]);
    let b = i32x4([10, 20, 30, 2]);
    let mut out = [Val::I32(0)];
    add.call(&mut store, &[Val::V128(a), Val::V128(b)], &mut out)
        .unwrap();
    assert_eq!(lanes(out[0].v128().unwrap()), [11, 22, 33, 1]);

    let typed = instance
        .get_typed_func::<(u128, u128), u128>(&mut store, "add")
        .unwrap();
    assert_eq!(
        lanes(typed.call(&mut store, (b, b)).unwrap()),
        [20, 40, 60, 4]
    );

    let neg = instance
        .get_typed_func::<u128, u128>(&mut store, "neg")
        .unwrap();
    let bytes: [u8; 16] = std::array::from_fn(|i| i as u8 * 3);
    let negated = neg
        .call(&mut store, u128::from_le_bytes(bytes))
        .unwrap()
        .to_le_bytes();
    for i in 0..16 {
        assert_eq!(negated[i], bytes[i].wrapping_neg(), "lane {i}");
    }

    let mixed = instance
        .get_typed_func::<(i32, u128, i64, u128), (i64, u128, i32)>(&mut store, "mixed")
        .unwrap();
    let (x, v, y) = mixed
        .call(
            &mut store,
            (7, i32x4([1, 2, 3, 4]), 1000, i32x4([5, 5, 5, 9])),
        )
        .unwrap();
    assert_eq!(x, 1007);
    assert_eq!(lanes(v), [4, 7, 6, 13]);
    assert_eq!(y, 9);

    let call_mixed = instance
        .get_typed_func::<i32, i32>(&mut store, "call_mixed")
        .unwrap();
    // 100 + 5, then lanes 0 and 3 of [1,2,3,4] ^ [8,8,8,8] = [9,10,11,12].
    assert_eq!(call_mixed.call(&mut store, 5).unwrap(), 105 + 9 + 12);
}

#[test]
fn host_functions_take_and_return_v128() {
    let engine = interp_engine();
    let mut store = Store::new(&engine, ());
    // Lane-wise: a * k + lane index, computed on the host.
    let scale = Func::wrap(&mut store, |a: u128, k: i32, b: u128| -> u128 {
        let (a, b) = (lanes(a), lanes(b));
        i32x4(std::array::from_fn(|i| {
            a[i].wrapping_mul(k as u32).wrapping_add(b[i])
        }))
    });
    let module = Module::new(
        &engine,
        r#"(module
             (import "env" "scale" (func $scale (param v128 i32 v128) (result v128)))
             (func (export "run") (param $k i32) (result v128)
               (local $before i64) (local $v v128) (local $after f64)
               (local.set $before (i64.const 0x1122334455667788))
               (local.set $after (f64.const 2.5))
               (local.set $v (v128.const i32x4 1 2 3 4))
               (local.set $v
                 (call $scale (local.get $v) (local.get $k) (v128.const i32x4 0 1 2 3)))
               ;; The scalar locals around the vector survive the host call.
               (i32x4.replace_lane 3
                 (i32x4.replace_lane 2 (local.get $v)
                   (i32.wrap_i64 (i64.shr_u (local.get $before) (i64.const 32))))
                 (i32.trunc_f64_s (f64.mul (local.get $after) (f64.const 4))))))"#,
    )
    .unwrap();
    let mut linker = Linker::new(&engine);
    linker.define(&store, "env", "scale", scale).unwrap();
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let run = instance
        .get_typed_func::<i32, u128>(&mut store, "run")
        .unwrap();
    let v = lanes(run.call(&mut store, 10).unwrap());
    assert_eq!(v, [10, 21, 0x1122_3344, 10]);
}

#[test]
fn v128_globals_from_wasm_and_from_the_host() {
    let engine = interp_engine();
    let mut store = Store::new(&engine, ());
    let imported = Global::new(
        &mut store,
        GlobalType::new(ValType::V128, Mutability::Var),
        Val::V128(i32x4([1, 2, 3, 4])),
    )
    .unwrap();
    let module = Module::new(
        &engine,
        r#"(module
             (import "env" "g" (global $g (mut v128)))
             (global $own (export "own") (mut v128) (v128.const i64x2 -1 7))
             (func (export "bump") (param i32) (result v128)
               (global.set $g (i32x4.add (global.get $g) (i32x4.splat (local.get 0))))
               (global.set $own (i64x2.add (global.get $own) (global.get $own)))
               (global.get $g)))"#,
    )
    .unwrap();
    let mut linker = Linker::new(&engine);
    linker.define(&store, "env", "g", imported).unwrap();
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let bump = instance
        .get_typed_func::<i32, u128>(&mut store, "bump")
        .unwrap();
    assert_eq!(lanes(bump.call(&mut store, 10).unwrap()), [11, 12, 13, 14]);
    assert_eq!(
        lanes(imported.get(&store).v128().unwrap()),
        [11, 12, 13, 14]
    );
    let own = instance.get_global(&mut store, "own").unwrap();
    let v = own.get(&store).v128().unwrap();
    assert_eq!(v as u64 as i64, -2);
    assert_eq!((v >> 64) as u64, 14);
    imported
        .set(&mut store, Val::V128(i32x4([100, 0, 0, 0x8000_0000])))
        .unwrap();
    assert_eq!(
        lanes(bump.call(&mut store, 1).unwrap()),
        [101, 1, 1, 0x8000_0001]
    );
}

#[test]
fn v128_locals_beside_scalars_across_recursion_and_blocks() {
    let (mut store, instance) = instantiate(
        r#"(module
             ;; sum(n) = splat(n) + sum(n - 1), with scalar locals live across each call.
             (func $sum (export "sum") (param $n i32) (param $acc v128) (result v128 i64)
               (local $a i64) (local $v v128) (local $b i32) (local $w v128)
               (local.set $a (i64.extend_i32_u (i32.mul (local.get $n) (i32.const 3))))
               (local.set $b (i32.add (local.get $n) (i32.const 1000)))
               (local.set $w (i32x4.splat (local.get $n)))
               (if (result v128 i64) (i32.eqz (local.get $n))
                 (then (local.get $acc) (i64.const 0))
                 (else
                   (call $sum (i32.sub (local.get $n) (i32.const 1))
                     (i32x4.add (local.get $acc) (local.get $w)))
                   ;; the callee's i64 plus what this frame kept in its own locals
                   (i64.add (local.get $a))
                   (i64.add (i64.extend_i32_u (i32.sub (local.get $b) (i32.const 1000))))
                   (local.set $a)
                   (local.set $v)
                   (i32x4.mul (local.get $v) (v128.const i32x4 1 1 1 1))
                   (local.get $a))))

             ;; Blocks, loops, br_if, br_table and select passing vectors between scalars.
             (func (export "blocks") (param $n i32) (result v128)
               (local $i i32) (local $acc v128)
               (local.set $acc (v128.const i32x4 0 0 0 0))
               (block $done
                 (loop $next
                   (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
                   (local.get $i)
                   (block $pick (param i32) (result v128)
                     (drop)
                     (i32x4.add (local.get $acc)
                       (select (result v128)
                         (v128.const i32x4 1 0 0 0)
                         (v128.const i32x4 0 1 0 0)
                         (i32.and (local.get $i) (i32.const 1))))
                     (br_table $pick $pick (local.get $i)))
                   (local.set $acc)
                   (local.set $i (i32.add (local.get $i) (i32.const 1)))
                   (br $next)))
               (i32x4.replace_lane 2 (local.get $acc) (local.get $i))))"#,
    );
    let sum = instance
        .get_typed_func::<(i32, u128), (u128, i64)>(&mut store, "sum")
        .unwrap();
    let (v, s) = sum.call(&mut store, (100, i32x4([7, 0, 0, 1]))).unwrap();
    let tri = 100 * 101 / 2;
    assert_eq!(lanes(v), [7 + tri, tri, tri, 1 + tri]);
    assert_eq!(s, 4 * tri as i64);
    let blocks = instance
        .get_typed_func::<i32, u128>(&mut store, "blocks")
        .unwrap();
    assert_eq!(lanes(blocks.call(&mut store, 7).unwrap()), [3, 4, 7, 0]);
}

#[test]
fn simd_memory_accesses_out_of_bounds_trap() {
    let (mut store, instance) = instantiate(
        r#"(module
             (memory 1)
             (func (export "load") (param i32) (result v128) (v128.load (local.get 0)))
             (func (export "load_zero") (param i32) (result v128)
               (v128.load32_zero offset=4 (local.get 0)))
             (func (export "store_lane") (param i32)
               (v128.store16_lane 1 (local.get 0) (v128.const i16x8 0 -2 0 0 0 0 0 0)))
             (func (export "load_lane") (param i32) (result v128)
               (v128.load64_lane 1 (local.get 0) (v128.const i64x2 5 6))))"#,
    );
    let load = instance
        .get_typed_func::<i32, u128>(&mut store, "load")
        .unwrap();
    assert_eq!(load.call(&mut store, 65520).unwrap(), 0);
    for addr in [65521, 65535, -1] {
        let err = load.call(&mut store, addr).unwrap_err();
        assert_eq!(
            trap_of(&err),
            Trap::MemoryOutOfBounds,
            "v128.load at {addr}"
        );
    }
    let load_zero = instance
        .get_typed_func::<i32, u128>(&mut store, "load_zero")
        .unwrap();
    assert!(load_zero.call(&mut store, 65528).is_ok());
    assert_eq!(
        trap_of(&load_zero.call(&mut store, 65529).unwrap_err()),
        Trap::MemoryOutOfBounds
    );
    let store_lane = instance
        .get_typed_func::<i32, ()>(&mut store, "store_lane")
        .unwrap();
    store_lane.call(&mut store, 65534).unwrap();
    assert_eq!(
        trap_of(&store_lane.call(&mut store, 65535).unwrap_err()),
        Trap::MemoryOutOfBounds
    );
    // The lane stored at 65534 (0xfffe, little-endian) is what the loads see.
    let load_lane = instance
        .get_typed_func::<i32, u128>(&mut store, "load_lane")
        .unwrap();
    let v = load_lane.call(&mut store, 65528).unwrap();
    assert_eq!(v as u64, 5);
    assert_eq!((v >> 64) as u64, 0xfffe_u64 << 48);
    assert_eq!(
        trap_of(&load_lane.call(&mut store, 65529).unwrap_err()),
        Trap::MemoryOutOfBounds
    );
}

#[test]
fn v128_through_loops_ifs_indirect_calls_returns_and_deep_recursion() {
    let (mut store, instance) = instantiate(
        r#"(module
             (type $vv (func (param v128 i32) (result v128 i32)))
             (table 2 funcref)
             (elem (i32.const 0) $swapish $loopy)
             ;; A loop whose parameters are a vector and a counter.
             (func $loopy (param $v v128) (param $n i32) (result v128 i32)
               (local.get $v) (local.get $n)
               (loop $l (param v128 i32) (result v128 i32)
                 (local.set $n)
                 (i32x4.add (v128.const i32x4 1 2 3 4))
                 (local.tee $n (i32.sub (local.get $n) (i32.const 1)))
                 (br_if $l (local.get $n))))
             ;; An `if` taking a vector parameter; `return` from inside it.
             (func $swapish (param v128 i32) (result v128 i32)
               (if (param v128) (result v128) (local.get 0) (local.get 1)
                 (then (i8x16.neg))
                 (else (return (v128.const i64x2 7 8) (i32.const 99))))
               (i32.const 5))
             (func (export "indirect") (param i32 i32) (result v128 i32)
               (call_indirect (type $vv) (v128.const i32x4 1 1 1 1) (local.get 1) (local.get 0)))
             (func (export "two") (param i32) (result v128 v128)
               (block (result v128 v128)
                 (v128.const i32x4 1 2 3 4) (v128.const i32x4 5 6 7 8)
                 (br_if 0 (local.get 0))
                 (return (v128.const i32x4 9 9 9 9) (v128.const i32x4 10 10 10 10))))
             (func $deep (export "deep") (param $n i32) (param $v v128) (result v128)
               (if (result v128) (i32.eqz (local.get $n))
                 (then (local.get $v))
                 (else (call $deep (i32.sub (local.get $n) (i32.const 1))
                   (i64x2.add (local.get $v) (v128.const i64x2 1 2)))))))"#,
    );
    let indirect = instance
        .get_typed_func::<(i32, i32), (u128, i32)>(&mut store, "indirect")
        .unwrap();
    let (v, n) = indirect.call(&mut store, (1, 3)).unwrap();
    assert_eq!((lanes(v), n), ([4, 7, 10, 13], 0));
    let (v, n) = indirect.call(&mut store, (0, 1)).unwrap();
    assert_eq!((lanes(v), n), ([0xff; 4], 5));
    let (v, n) = indirect.call(&mut store, (0, 0)).unwrap();
    assert_eq!((v, n), (8 << 64 | 7, 99));
    let two = instance
        .get_typed_func::<i32, (u128, u128)>(&mut store, "two")
        .unwrap();
    let (a, b) = two.call(&mut store, 1).unwrap();
    assert_eq!((lanes(a), lanes(b)), ([1, 2, 3, 4], [5, 6, 7, 8]));
    let (a, b) = two.call(&mut store, 0).unwrap();
    assert_eq!((lanes(a), lanes(b)), ([9; 4], [10; 4]));
    let deep = instance
        .get_typed_func::<(i32, u128), u128>(&mut store, "deep")
        .unwrap();
    let v = deep.call(&mut store, (100_000, 0)).unwrap();
    assert_eq!((v as u64, (v >> 64) as u64), (100_000, 200_000));
}
