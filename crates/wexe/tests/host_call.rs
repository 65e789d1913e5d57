//! Calls from wasm to host functions go through one path in both tiers (`store/host_call.rs`):
//! arguments and results of every type cross it, on the stack buffer (up to 16 values) and past
//! it, and a host function's wrong result is the same error in both; a host function reached
//! through a table works whenever its type first met compiled code.

use wexe::{
    Config, Engine, Func, FuncType, Linker, Module, Store, Table, TableType, Tier, Val, ValType,
};

const TIERS: [Tier; 2] = [Tier::Interp, Tier::Jit];

fn engine(tier: Tier) -> Engine {
    let mut config = Config::new();
    config.tier(tier);
    Engine::new(&config).unwrap()
}

/// A host function taking `n` parameters cycling through i32, i64, f32, f64, v128 and returning
/// four results: the i64 sum of the scalar parameters (floats truncated), the sum of the v128s'
/// low halves, their count, and the first v128 unchanged.
fn summing_host(store: &mut Store<()>, n: usize) -> Func {
    let kinds = [
        ValType::I32,
        ValType::I64,
        ValType::F32,
        ValType::F64,
        ValType::V128,
    ];
    let params: Vec<ValType> = (0..n).map(|i| kinds[i % kinds.len()]).collect();
    let results = [ValType::I64, ValType::I64, ValType::I32, ValType::V128];
    let ty = FuncType::new(params, results);
    Func::new(&mut *store, ty, |_, params, results| {
        let (mut sum, mut lows, mut count, mut first) = (0i64, 0i64, 0i32, 0u128);
        for p in params {
            match *p {
                Val::I32(v) => sum += i64::from(v),
                Val::I64(v) => sum += v,
                Val::F32(bits) => sum += f32::from_bits(bits) as i64,
                Val::F64(bits) => sum += f64::from_bits(bits) as i64,
                Val::V128(v) => {
                    if count == 0 {
                        first = v;
                    }
                    lows += v as u64 as i64;
                    count += 1;
                }
                _ => unreachable!(),
            }
        }
        results.copy_from_slice(&[
            Val::I64(sum),
            Val::I64(lows),
            Val::I32(count),
            Val::V128(first),
        ]);
        Ok(())
    })
}

/// A module calling `host.f` with `n` arguments (value `i + 1` of each parameter's type, v128s
/// with `i + 1` in both halves) and returning its four results.
fn caller_wat(n: usize) -> String {
    let kinds = ["i32", "i64", "f32", "f64", "v128"];
    let mut params = String::new();
    let mut args = String::new();
    for i in 0..n {
        let k = kinds[i % kinds.len()];
        params += &format!(" {k}");
        args += &match k {
            "v128" => format!(" (v128.const i64x2 {0} {0})", i + 1),
            _ => format!(" ({k}.const {})", i + 1),
        };
    }
    format!(
        r#"(module
            (import "host" "f" (func $f (param{params}) (result i64 i64 i32 v128)))
            (func (export "run") (result i64 i64 i32 i64 i64)
              (local $v v128)
              (call $f{args})
              (local.set $v)
              (i64x2.extract_lane 0 (local.get $v))
              (i64x2.extract_lane 1 (local.get $v))))"#
    )
}

#[test]
fn every_value_type_crosses_a_host_call_on_and_past_the_stack_buffer_in_both_tiers() {
    // 12 + 4 = 16 values fit the stack buffer; 20 + 4 do not.
    for n in [12, 20] {
        let scalars: i64 = (0..n).filter(|i| i % 5 != 4).map(|i| i as i64 + 1).sum();
        let vectors: Vec<i64> = (0..n)
            .filter(|i| i % 5 == 4)
            .map(|i| i as i64 + 1)
            .collect();
        let want = (
            scalars,
            vectors.iter().sum::<i64>(),
            vectors.len() as i32,
            vectors[0],
            vectors[0],
        );
        for tier in TIERS {
            let engine = engine(tier);
            let mut store = Store::new(&engine, ());
            let f = summing_host(&mut store, n);
            let mut linker = Linker::new(&engine);
            linker.define(&store, "host", "f", f).unwrap();
            let module = Module::new(&engine, caller_wat(n)).unwrap();
            let instance = linker.instantiate(&mut store, &module).unwrap();
            let run = instance
                .get_typed_func::<(), (i64, i64, i32, i64, i64)>(&mut store, "run")
                .unwrap();
            assert_eq!(
                run.call(&mut store, ()).unwrap(),
                want,
                "{tier:?}, {n} params"
            );
        }
    }
}

#[test]
fn a_host_result_of_the_wrong_type_is_the_same_error_in_both_tiers() {
    let messages: Vec<String> = TIERS
        .into_iter()
        .map(|tier| {
            let engine = engine(tier);
            let mut store = Store::new(&engine, ());
            let ty = FuncType::new([ValType::I32], [ValType::I32]);
            let f = Func::new(&mut store, ty, |_, params, results| {
                results[0] = Val::I64(i64::from(params[0].i32().unwrap()));
                Ok(())
            });
            let mut linker = Linker::new(&engine);
            linker.define(&store, "host", "f", f).unwrap();
            let wat = r#"(module
                (import "host" "f" (func $f (param i32) (result i32)))
                (func (export "run") (result i32) (call $f (i32.const 7))))"#;
            let module = Module::new(&engine, wat).unwrap();
            let instance = linker.instantiate(&mut store, &module).unwrap();
            let run = instance
                .get_typed_func::<(), i32>(&mut store, "run")
                .unwrap();
            format!("{:#}", run.call(&mut store, ()).unwrap_err())
        })
        .collect();
    assert!(
        messages[0].contains("host function returned i64 where i32 was expected"),
        "{messages:?}"
    );
    assert_eq!(messages[0], messages[1]);
}

/// The JIT's funcref entry of a host function made before any module with its type was
/// instantiated has no host adapter until one is (`jit/store.rs`, `adapt_host_funcs`).
#[test]
fn a_host_function_made_before_any_module_of_its_type_is_callable_through_a_table() {
    for tier in TIERS {
        let engine = engine(tier);
        let mut store = Store::new(&engine, ());
        let ty = FuncType::new([ValType::I32], [ValType::I32]);
        let triple = Func::new(&mut store, ty, |_, params, results| {
            results[0] = Val::I32(params[0].i32().unwrap() * 3);
            Ok(())
        });
        let ty = TableType::new(ValType::FUNCREF, 1, None);
        let table = Table::new(&mut store, ty, Val::FuncRef(Some(triple))).unwrap();
        // An instance of another type first: the JIT then makes `triple`'s funcref entry.
        let other = Module::new(&engine, "(module (func (export \"f\") (param i64)))").unwrap();
        Linker::new(&engine)
            .instantiate(&mut store, &other)
            .unwrap();
        let mut linker = Linker::new(&engine);
        linker.define(&store, "host", "table", table).unwrap();
        let wat = r#"(module
            (type $t (func (param i32) (result i32)))
            (import "host" "table" (table 1 funcref))
            (func (export "run") (param i32) (result i32)
              (call_indirect (type $t) (local.get 0) (i32.const 0))))"#;
        let module = Module::new(&engine, wat).unwrap();
        let instance = linker.instantiate(&mut store, &module).unwrap();
        let run = instance
            .get_typed_func::<i32, i32>(&mut store, "run")
            .unwrap();
        assert_eq!(run.call(&mut store, 7).unwrap(), 21, "{tier:?}");
    }
}
