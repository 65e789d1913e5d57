//! Memories beyond WebAssembly 2.0, in both tiers: 64-bit memories and tables (memory64) above
//! 4 GiB and at the edge of the 64-bit address space, several memories per module
//! (multi-memory), byte-sized pages (custom page sizes), and their types through the API.

use wexe::{
    Config, Engine, Instance, Memory, MemoryType, Module, Store, Table, TableType, Tier, Trap, Val,
    ValType,
};

const TIERS: [Tier; 2] = [Tier::Interp, Tier::Jit];

fn engine(tier: Tier) -> Engine {
    let mut config = Config::new();
    config
        .tier(tier)
        .wasm_memory64(true)
        .wasm_multi_memory(true)
        .wasm_custom_page_sizes(true);
    Engine::new(&config).unwrap()
}

fn instantiate(engine: &Engine, wat: &str) -> (Store<()>, Instance) {
    let module = Module::new(engine, wat).unwrap();
    let mut store = Store::new(engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    (store, instance)
}

fn trap_of(err: &anyhow::Error) -> Trap {
    *err.downcast_ref::<Trap>()
        .unwrap_or_else(|| panic!("not a trap: {err:?}"))
}

const MEMORY64: &str = r#"
    (module
      (memory (export "mem") i64 1)
      (func (export "grow") (param i64) (result i64) (memory.grow (local.get 0)))
      (func (export "size") (result i64) (memory.size))
      (func (export "store") (param i64 i64) (i64.store (local.get 0) (local.get 1)))
      (func (export "load") (param i64) (result i64) (i64.load (local.get 0)))
      (func (export "load_far") (param i64) (result i32)
        (i32.load offset=0xFFFFFFFFFFFFFFF0 (local.get 0)))
      (func (export "load8_off32") (param i64) (result i32)
        (i32.load8_u offset=0x100000000 (local.get 0)))
      (func (export "fill") (param i64 i64) (memory.fill (local.get 0) (i32.const 7) (local.get 1)))
      (func (export "copy") (param i64 i64 i64)
        (memory.copy (local.get 0) (local.get 1) (local.get 2))))
"#;

/// A 64-bit memory grows past 4 GiB and is read and written there (sparsely: only the pages
/// touched are backed), in both tiers.
#[test]
fn memory64_above_4_gib() {
    const PAGES_4G: i64 = 65536;
    for tier in TIERS {
        let mut config = Config::new();
        config
            .tier(tier)
            .wasm_memory64(true)
            .max_memory_size(8 << 30);
        let engine = Engine::new(&config).unwrap();
        let (mut store, instance) = instantiate(&engine, MEMORY64);
        let grow = instance
            .get_typed_func::<i64, i64>(&mut store, "grow")
            .unwrap();
        let size = instance
            .get_typed_func::<(), i64>(&mut store, "size")
            .unwrap();
        let store_fn = instance
            .get_typed_func::<(i64, i64), ()>(&mut store, "store")
            .unwrap();
        let load = instance
            .get_typed_func::<i64, i64>(&mut store, "load")
            .unwrap();
        let load8 = instance
            .get_typed_func::<i64, i32>(&mut store, "load8_off32")
            .unwrap();
        assert_eq!(grow.call(&mut store, PAGES_4G).unwrap(), 1, "{tier:?}");
        assert_eq!(size.call(&mut store, ()).unwrap(), PAGES_4G + 1, "{tier:?}");
        let end = (PAGES_4G + 1) << 16;
        let far = (1i64 << 32) + 12345;
        store_fn
            .call(&mut store, (far, 0x0102_0304_0506_0708))
            .unwrap();
        store_fn.call(&mut store, (end - 8, -1)).unwrap();
        assert_eq!(load.call(&mut store, far).unwrap(), 0x0102_0304_0506_0708);
        assert_eq!(load.call(&mut store, end - 8).unwrap(), -1, "{tier:?}");
        // The 32-bit offset reaches above 4 GiB from a small index.
        assert_eq!(load8.call(&mut store, 12345).unwrap(), 8, "{tier:?}");
        // Below 4 GiB the same low 32 bits hold nothing: no wrap-around to them.
        assert_eq!(load.call(&mut store, 12345).unwrap(), 0, "{tier:?}");
        let err = load.call(&mut store, end - 7).unwrap_err();
        assert_eq!(trap_of(&err), Trap::MemoryOutOfBounds, "{tier:?}");
        let memory = instance.get_memory(&mut store, "mem").unwrap();
        assert_eq!(memory.size(&store), (PAGES_4G + 1) as u64);
        assert_eq!(memory.data_size(&store), end as usize);
        assert_eq!(memory.data(&store)[far as usize], 8);
        // Past the engine's limit (8 GiB) growth fails with -1, an i64.
        assert_eq!(grow.call(&mut store, PAGES_4G).unwrap(), -1, "{tier:?}");
    }
}

/// Accesses whose index + offset + size passes 2^64 trap rather than wrap around to low
/// addresses, for loads, stores, `memory.fill` and `memory.copy`, in both tiers.
#[test]
fn memory64_out_of_bounds_at_the_u64_edge() {
    for tier in TIERS {
        let (mut store, instance) = instantiate(&engine(tier), MEMORY64);
        let load = instance
            .get_typed_func::<i64, i64>(&mut store, "load")
            .unwrap();
        let store_fn = instance
            .get_typed_func::<(i64, i64), ()>(&mut store, "store")
            .unwrap();
        let load_far = instance
            .get_typed_func::<i64, i32>(&mut store, "load_far")
            .unwrap();
        let fill = instance
            .get_typed_func::<(i64, i64), ()>(&mut store, "fill")
            .unwrap();
        let copy = instance
            .get_typed_func::<(i64, i64, i64), ()>(&mut store, "copy")
            .unwrap();
        let oob = |r: anyhow::Result<()>| trap_of(&r.unwrap_err());
        for index in [-1, -4, -8, i64::MIN, 1 << 32, 65536 - 7] {
            let err = load.call(&mut store, index).unwrap_err();
            assert_eq!(trap_of(&err), Trap::MemoryOutOfBounds, "{tier:?} {index}");
            let r = store_fn.call(&mut store, (index, 1));
            assert_eq!(oob(r), Trap::MemoryOutOfBounds, "{tier:?} {index}");
        }
        // offset 2^64 - 16 plus an index of 16..: the sum wraps in 64 bits.
        for index in [0, 16, 20, 1 << 40] {
            let err = load_far.call(&mut store, index).unwrap_err();
            assert_eq!(trap_of(&err), Trap::MemoryOutOfBounds, "{tier:?} {index}");
        }
        // `dst + len` wraps to a small number: still out of bounds.
        let r = fill.call(&mut store, (-16, 32));
        assert_eq!(oob(r), Trap::MemoryOutOfBounds, "{tier:?}");
        let r = copy.call(&mut store, (0, -16, 32));
        assert_eq!(oob(r), Trap::MemoryOutOfBounds, "{tier:?}");
        let r = copy.call(&mut store, (-16, 0, 32));
        assert_eq!(oob(r), Trap::MemoryOutOfBounds, "{tier:?}");
        // Nothing was written anywhere.
        let memory = instance.get_memory(&mut store, "mem").unwrap();
        assert!(memory.data(&store).iter().all(|&b| b == 0), "{tier:?}");
        fill.call(&mut store, (65536 - 4, 4)).unwrap();
        assert_eq!(load.call(&mut store, 65536 - 8).unwrap(), 0x0707_0707 << 32);
    }
}

/// 64-bit tables: every table operator and `call_indirect` take `i64` indices, and an index of
/// 2^32 or more is out of bounds (it is not truncated to its low half).
#[test]
fn table64_indices_are_64_bit() {
    let wat = r#"
        (module
          (type $t (func (result i32)))
          (table $tab i64 3 funcref)
          (elem (table $tab) (i64.const 0) func $a $b)
          (func $a (result i32) (i32.const 10))
          (func $b (result i32) (i32.const 20))
          (func (export "call") (param i64) (result i32)
            (call_indirect $tab (type $t) (local.get 0)))
          (func (export "is_null") (param i64) (result i32)
            (ref.is_null (table.get $tab (local.get 0))))
          (func (export "set") (param i64) (table.set $tab (local.get 0) (ref.func $b)))
          (func (export "size") (result i64) (table.size $tab))
          (func (export "grow") (param i64) (result i64)
            (table.grow $tab (ref.null func) (local.get 0)))
          (func (export "fill") (param i64 i64)
            (table.fill $tab (local.get 0) (ref.func $a) (local.get 1)))
          (func (export "copy") (param i64 i64 i64)
            (table.copy $tab $tab (local.get 0) (local.get 1) (local.get 2))))
    "#;
    for tier in TIERS {
        let (mut store, instance) = instantiate(&engine(tier), wat);
        let call = instance
            .get_typed_func::<i64, i32>(&mut store, "call")
            .unwrap();
        let is_null = instance
            .get_typed_func::<i64, i32>(&mut store, "is_null")
            .unwrap();
        let set = instance
            .get_typed_func::<i64, ()>(&mut store, "set")
            .unwrap();
        let size = instance
            .get_typed_func::<(), i64>(&mut store, "size")
            .unwrap();
        let grow = instance
            .get_typed_func::<i64, i64>(&mut store, "grow")
            .unwrap();
        let fill = instance
            .get_typed_func::<(i64, i64), ()>(&mut store, "fill")
            .unwrap();
        let copy = instance
            .get_typed_func::<(i64, i64, i64), ()>(&mut store, "copy")
            .unwrap();
        assert_eq!(call.call(&mut store, 0).unwrap(), 10, "{tier:?}");
        assert_eq!(call.call(&mut store, 1).unwrap(), 20, "{tier:?}");
        for index in [1 << 32, (1 << 32) + 1, -1, 3] {
            let err = call.call(&mut store, index).unwrap_err();
            assert_eq!(trap_of(&err), Trap::UndefinedElement, "{tier:?} {index}");
            let err = is_null.call(&mut store, index).unwrap_err();
            assert_eq!(trap_of(&err), Trap::TableOutOfBounds, "{tier:?} {index}");
            let err = set.call(&mut store, index).unwrap_err();
            assert_eq!(trap_of(&err), Trap::TableOutOfBounds, "{tier:?} {index}");
        }
        assert_eq!(is_null.call(&mut store, 2).unwrap(), 1, "{tier:?}");
        assert_eq!(size.call(&mut store, ()).unwrap(), 3, "{tier:?}");
        assert_eq!(grow.call(&mut store, 2).unwrap(), 3, "{tier:?}");
        assert_eq!(grow.call(&mut store, 1 << 40).unwrap(), -1, "{tier:?}");
        assert_eq!(size.call(&mut store, ()).unwrap(), 5, "{tier:?}");
        let err = fill.call(&mut store, ((1 << 32) + 1, 1)).unwrap_err();
        assert_eq!(trap_of(&err), Trap::TableOutOfBounds, "{tier:?}");
        let err = fill.call(&mut store, (-1, 2)).unwrap_err();
        assert_eq!(trap_of(&err), Trap::TableOutOfBounds, "{tier:?}");
        let err = copy.call(&mut store, (0, 1 << 32, 1)).unwrap_err();
        assert_eq!(trap_of(&err), Trap::TableOutOfBounds, "{tier:?}");
        fill.call(&mut store, (3, 2)).unwrap();
        copy.call(&mut store, (2, 1, 1)).unwrap();
        assert_eq!(call.call(&mut store, 4).unwrap(), 10, "{tier:?}");
        assert_eq!(call.call(&mut store, 2).unwrap(), 20, "{tier:?}");
    }
}

const TWO_MEMORIES: &str = r#"
    (module
      (memory $a (export "a") 1)
      (memory $b (export "b") 1 3)
      (data (memory $b) (i32.const 100) "hello, world")
      (func (export "copy_b_to_a") (param i32 i32 i32)
        (memory.copy $a $b (local.get 0) (local.get 1) (local.get 2)))
      (func (export "copy_a_to_b") (param i32 i32 i32)
        (memory.copy $b $a (local.get 0) (local.get 1) (local.get 2)))
      (func (export "load_a") (param i32) (result i32) (i32.load8_u $a (local.get 0)))
      (func (export "load_b") (param i32) (result i32) (i32.load8_u $b (local.get 0)))
      (func (export "store_b") (param i32 i32) (i32.store16 $b (local.get 0) (local.get 1)))
      (func (export "sum") (param i32) (result i32)
        (i32.add (i32.load8_u $a (local.get 0)) (i32.load8_u $b (local.get 0))))
      (func (export "grow_b") (param i32) (result i32) (memory.grow $b (local.get 0)))
      (func (export "size_b") (result i32) (memory.size $b))
      (func (export "fill_b") (param i32 i32 i32)
        (memory.fill $b (local.get 0) (local.get 1) (local.get 2))))
"#;

/// Several memories in one module: accesses, copies between them, growth and size of the
/// second, and the first still reached directly afterwards; in the interpreter (where memory 0
/// lives in registers and the others are found through the run state) and in the JIT.
#[test]
fn multi_memory_copies_between_memories() {
    for tier in TIERS {
        let (mut store, instance) = instantiate(&engine(tier), TWO_MEMORIES);
        let f3 = |store: &mut Store<()>, name| {
            instance
                .get_typed_func::<(i32, i32, i32), ()>(&mut *store, name)
                .unwrap()
        };
        let f1 = |store: &mut Store<()>, name| {
            instance
                .get_typed_func::<i32, i32>(&mut *store, name)
                .unwrap()
        };
        let (b_to_a, a_to_b, fill_b) = (
            f3(&mut store, "copy_b_to_a"),
            f3(&mut store, "copy_a_to_b"),
            f3(&mut store, "fill_b"),
        );
        let (load_a, load_b, grow_b, sum) = (
            f1(&mut store, "load_a"),
            f1(&mut store, "load_b"),
            f1(&mut store, "grow_b"),
            f1(&mut store, "sum"),
        );
        let store_b = instance
            .get_typed_func::<(i32, i32), ()>(&mut store, "store_b")
            .unwrap();
        let size_b = instance
            .get_typed_func::<(), i32>(&mut store, "size_b")
            .unwrap();
        let a = instance.get_memory(&mut store, "a").unwrap();
        let b = instance.get_memory(&mut store, "b").unwrap();
        b_to_a.call(&mut store, (10, 100, 12)).unwrap();
        assert_eq!(&a.data(&store)[10..22], b"hello, world", "{tier:?}");
        assert_eq!(load_a.call(&mut store, 10).unwrap(), b'h' as i32);
        assert_eq!(load_b.call(&mut store, 10).unwrap(), 0, "{tier:?}");
        store_b.call(&mut store, (10, 0x0101)).unwrap();
        assert_eq!(sum.call(&mut store, 10).unwrap(), b'h' as i32 + 1);
        assert_eq!(sum.call(&mut store, 11).unwrap(), b'e' as i32 + 1);
        // Bounds are each memory's own.
        let err = b_to_a.call(&mut store, (65530, 100, 12)).unwrap_err();
        assert_eq!(trap_of(&err), Trap::MemoryOutOfBounds, "{tier:?}");
        let err = load_b.call(&mut store, 65536).unwrap_err();
        assert_eq!(trap_of(&err), Trap::MemoryOutOfBounds, "{tier:?}");
        assert_eq!(grow_b.call(&mut store, 1).unwrap(), 1, "{tier:?}");
        assert_eq!(size_b.call(&mut store, ()).unwrap(), 2, "{tier:?}");
        assert_eq!(grow_b.call(&mut store, 2).unwrap(), -1, "{tier:?}");
        assert_eq!(a.size(&store), 1, "{tier:?}: memory a did not grow");
        assert_eq!(load_b.call(&mut store, 65536).unwrap(), 0, "{tier:?}");
        fill_b.call(&mut store, (70000, 9, 3)).unwrap();
        a_to_b.call(&mut store, (70001, 10, 1)).unwrap();
        assert_eq!(&b.data(&store)[70000..70003], &[9, b'h', 9], "{tier:?}");
        // Memory a is still reached through the fast path after b moved or grew.
        assert_eq!(load_a.call(&mut store, 11).unwrap(), b'e' as i32);
        let err = load_a.call(&mut store, 65536).unwrap_err();
        assert_eq!(trap_of(&err), Trap::MemoryOutOfBounds, "{tier:?}");
        let err = a_to_b.call(&mut store, (0, 65535, 2)).unwrap_err();
        assert_eq!(trap_of(&err), Trap::MemoryOutOfBounds, "{tier:?}");
    }
}

/// A memory of 1-byte pages: `memory.size`/`grow` count bytes, and the byte just past its end
/// traps even though it lies in the same host page (the JIT checks such memories explicitly).
#[test]
fn byte_sized_pages() {
    let wat = r#"
        (module
          (memory (export "mem") 3 (pagesize 1))
          (func (export "size") (result i32) (memory.size))
          (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
          (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0)))
          (func (export "store") (param i32 i32) (i32.store8 (local.get 0) (local.get 1))))
    "#;
    for tier in TIERS {
        let (mut store, instance) = instantiate(&engine(tier), wat);
        let size = instance
            .get_typed_func::<(), i32>(&mut store, "size")
            .unwrap();
        let grow = instance
            .get_typed_func::<i32, i32>(&mut store, "grow")
            .unwrap();
        let load = instance
            .get_typed_func::<i32, i32>(&mut store, "load")
            .unwrap();
        let store_fn = instance
            .get_typed_func::<(i32, i32), ()>(&mut store, "store")
            .unwrap();
        assert_eq!(size.call(&mut store, ()).unwrap(), 3, "{tier:?}");
        store_fn.call(&mut store, (2, 42)).unwrap();
        assert_eq!(load.call(&mut store, 2).unwrap(), 42, "{tier:?}");
        for index in [3, 4, 4095, 4096] {
            let err = load.call(&mut store, index).unwrap_err();
            assert_eq!(trap_of(&err), Trap::MemoryOutOfBounds, "{tier:?} {index}");
        }
        assert_eq!(grow.call(&mut store, 1).unwrap(), 3, "{tier:?}");
        assert_eq!(size.call(&mut store, ()).unwrap(), 4, "{tier:?}");
        assert_eq!(load.call(&mut store, 3).unwrap(), 0, "{tier:?}");
        let err = load.call(&mut store, 4).unwrap_err();
        assert_eq!(trap_of(&err), Trap::MemoryOutOfBounds, "{tier:?}");
        let memory = instance.get_memory(&mut store, "mem").unwrap();
        let ty = memory.ty(&store);
        assert_eq!((ty.minimum, ty.page_size(), ty.is_64()), (4, 1, false));
        assert_eq!(memory.grow(&mut store, 5).unwrap(), 4, "{tier:?}");
        assert_eq!(memory.data_size(&store), 9, "{tier:?}");
        assert_eq!(size.call(&mut store, ()).unwrap(), 9, "{tier:?}");
    }
}

/// The API: memory and table types with their index type and page size, created by the host,
/// grown in pages of their own size and matched against imports exactly.
#[test]
fn api_types_of_64_bit_and_byte_paged_entities() {
    let engine = engine(Tier::Interp);
    let mut store = Store::new(&engine, ());
    let ty = MemoryType::new64(2, Some(1 << 20));
    assert!(ty.is_64() && ty.page_size() == 65536);
    let memory = Memory::new(&mut store, ty).unwrap();
    assert_eq!(memory.size(&store), 2);
    assert_eq!(memory.grow(&mut store, 3).unwrap(), 2);
    assert_eq!(memory.ty(&store), MemoryType::new64(5, Some(1 << 20)));
    let bytes = Memory::new(&mut store, MemoryType::new(10, None).with_page_size_log2(0)).unwrap();
    assert_eq!((bytes.size(&store), bytes.data_size(&store)), (10, 10));
    let table = Table::new(
        &mut store,
        TableType::new64(ValType::FUNCREF, 4, None),
        Val::FuncRef(None),
    )
    .unwrap();
    assert!(table.ty(&store).is_64());
    assert_eq!(table.grow(&mut store, 2, Val::FuncRef(None)).unwrap(), 4);

    // Imports match only the same index type and page size.
    let import = |ty: &str| {
        let wat = format!(r#"(module (import "m" "x" (memory {ty})))"#);
        Module::new(&engine, wat).unwrap()
    };
    let link = |store: &mut Store<()>, module: &Module, m: Memory| {
        Instance::new(store, module, &[m.into()]).map(|_| ())
    };
    assert!(link(&mut store, &import("i64 1"), memory).is_ok());
    assert!(link(&mut store, &import("1"), memory).is_err());
    assert!(link(&mut store, &import("1 (pagesize 1)"), bytes).is_ok());
    assert!(link(&mut store, &import("1"), bytes).is_err());
    let table_import = Module::new(&engine, r#"(module (import "m" "t" (table 1 funcref)))"#);
    let err = Instance::new(&mut store, &table_import.unwrap(), &[table.into()]);
    assert!(
        err.is_err(),
        "a 64-bit table does not satisfy a 32-bit import"
    );
}
