//! The store's resource limiter through the embedding API, in both tiers: `StoreLimits` refusing
//! and allowing memory and table growth, its store-wide byte account shared by instances and the
//! host API, the instance/table/memory counts, limiter errors and `trap_on_grow_failure`
//! trapping, and a store without a limiter behaving as before.

use wexe::{
    Config, Engine, Instance, Memory, MemoryType, Module, ResourceLimiter, Store, StoreLimits,
    StoreLimitsBuilder, TABLE_ELEMENT_BYTES, Table, TableType, Tier, Trap, Val, ValType,
};

/// Defines `mod $name { fn interp(); fn jit(); }` running `$body` with an engine of each tier.
macro_rules! both_tiers {
    ($name:ident, |$engine:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            fn check($engine: &Engine) $body
            #[test]
            fn interp() {
                check(&engine(Tier::Interp))
            }
            #[test]
            fn jit() {
                check(&engine(Tier::Jit))
            }
        }
    };
}

fn engine(tier: Tier) -> Engine {
    Engine::new(Config::new().tier(tier)).unwrap()
}

const PAGE: usize = 65536;

/// A store whose data is its limits, with the limiter installed.
fn store(engine: &Engine, limits: StoreLimits) -> Store<StoreLimits> {
    let mut store = Store::new(engine, limits);
    store.limiter(|limits| limits);
    store
}

/// A module with one memory of `pages` pages and one externref table of `elements`, exporting
/// `grow_memory`, `grow_table` and `memory`/`table`.
fn grower(pages: u32, elements: u32) -> String {
    format!(
        r#"(module
            (memory (export "memory") {pages})
            (table (export "table") {elements} externref)
            (func (export "grow_memory") (param i32) (result i32)
              (memory.grow (local.get 0)))
            (func (export "grow_table") (param i32) (result i32)
              (table.grow (ref.null extern) (local.get 0))))"#
    )
}

fn instantiate<T: 'static>(store: &mut Store<T>, wat: &str) -> anyhow::Result<Instance> {
    let module = Module::new(store.engine(), wat)?;
    Instance::new(store, &module, &[])
}

fn call<T: 'static>(store: &mut Store<T>, inst: Instance, name: &str, arg: i32) -> i32 {
    try_call(store, inst, name, arg).unwrap()
}

fn try_call<T: 'static>(
    store: &mut Store<T>,
    inst: Instance,
    name: &str,
    arg: i32,
) -> anyhow::Result<i32> {
    let f = inst.get_typed_func::<i32, i32>(&mut *store, name)?;
    f.call(store, arg)
}

both_tiers!(memory_growth_is_refused_past_memory_size, |engine| {
    let limits = StoreLimitsBuilder::new().memory_size(3 * PAGE).build();
    let mut store = store(engine, limits);
    let inst = instantiate(&mut store, &grower(1, 0)).unwrap();
    assert_eq!(call(&mut store, inst, "grow_memory", 2), 1);
    assert_eq!(call(&mut store, inst, "grow_memory", 1), -1);
    assert_eq!(call(&mut store, inst, "grow_memory", 0), 3);
    assert_eq!(store.data().bytes_used(), 3 * PAGE);
});

both_tiers!(table_growth_is_refused_past_table_elements, |engine| {
    let limits = StoreLimitsBuilder::new().table_elements(100).build();
    let mut store = store(engine, limits);
    let inst = instantiate(&mut store, &grower(0, 10)).unwrap();
    assert_eq!(call(&mut store, inst, "grow_table", 90), 10);
    assert_eq!(call(&mut store, inst, "grow_table", 1), -1);
    assert_eq!(store.data().bytes_used(), 100 * TABLE_ELEMENT_BYTES);
});

both_tiers!(
    the_total_is_shared_by_memories_tables_and_instances,
    |engine| {
        let total = 4 * PAGE + 1000 * TABLE_ELEMENT_BYTES;
        let limits = StoreLimitsBuilder::new().total_bytes(total).build();
        let mut store = store(engine, limits);
        let a = instantiate(&mut store, &grower(1, 0)).unwrap();
        let b = instantiate(&mut store, &grower(1, 0)).unwrap();
        assert_eq!(call(&mut store, a, "grow_memory", 1), 1);
        assert_eq!(call(&mut store, b, "grow_memory", 1), 1);
        // Four pages are taken, by two instances: neither may grow its memory any more.
        assert_eq!(call(&mut store, a, "grow_memory", 1), -1);
        assert_eq!(call(&mut store, b, "grow_memory", 1), -1);
        assert_eq!(call(&mut store, a, "grow_table", 600), 0);
        assert_eq!(call(&mut store, b, "grow_table", 600), -1);
        assert_eq!(call(&mut store, b, "grow_table", 400), 0);
        assert_eq!(store.data().bytes_used(), total);
        // A third instance's memory does not fit at all: instantiation fails.
        let err = instantiate(&mut store, &grower(1, 0)).unwrap_err();
        assert!(format!("{err:#}").contains("resource limits"), "{err:#}");
    }
);

both_tiers!(instance_table_and_memory_counts_are_limited, |engine| {
    let limits = StoreLimitsBuilder::new()
        .instances(2)
        .memories(2)
        .tables(1)
        .build();
    let mut store = store(engine, limits);
    instantiate(&mut store, &grower(0, 0)).unwrap();
    let err = instantiate(&mut store, &grower(0, 0)).unwrap_err();
    assert!(format!("{err:#}").contains("at most 1 tables"), "{err:#}");
    Memory::new(&mut store, MemoryType::new(0, None)).unwrap();
    let err = Memory::new(&mut store, MemoryType::new(0, None)).unwrap_err();
    assert!(format!("{err:#}").contains("at most 2 memories"), "{err:#}");
    instantiate(&mut store, "(module)").unwrap();
    let err = instantiate(&mut store, "(module)").unwrap_err();
    assert!(
        format!("{err:#}").contains("at most 2 instances"),
        "{err:#}"
    );
});

/// A limiter that fails every growth past `allow` bytes with an error of its own.
struct Failing {
    allow: usize,
}

impl ResourceLimiter for Failing {
    fn memory_growing(
        &mut self,
        _: usize,
        desired: usize,
        _: Option<usize>,
    ) -> anyhow::Result<bool> {
        if desired > self.allow {
            anyhow::bail!("the host says no to {desired} bytes");
        }
        Ok(true)
    }
    fn table_growing(
        &mut self,
        _: usize,
        desired: usize,
        _: Option<usize>,
    ) -> anyhow::Result<bool> {
        if desired * TABLE_ELEMENT_BYTES > self.allow {
            anyhow::bail!("the host says no to {desired} elements");
        }
        Ok(true)
    }
}

both_tiers!(an_error_from_the_limiter_ends_the_call, |engine| {
    let mut store = Store::new(engine, Failing { allow: 2 * PAGE });
    store.limiter(|f| f);
    let inst = instantiate(&mut store, &grower(1, 0)).unwrap();
    assert_eq!(call(&mut store, inst, "grow_memory", 1), 1);
    let err = try_call(&mut store, inst, "grow_memory", 1).unwrap_err();
    assert!(
        format!("{err:#}").contains("says no to 196608 bytes"),
        "{err:#}"
    );
    let err = try_call(&mut store, inst, "grow_table", 100_000).unwrap_err();
    assert!(format!("{err:#}").contains("says no to 100000"), "{err:#}");
    // The store is still usable, and nothing grew.
    assert_eq!(call(&mut store, inst, "grow_memory", 0), 2);
    assert_eq!(call(&mut store, inst, "grow_table", 0), 0);
});

both_tiers!(trap_on_grow_failure_traps, |engine| {
    let limits = StoreLimitsBuilder::new()
        .total_bytes(2 * PAGE)
        .trap_on_grow_failure(true)
        .build();
    let mut store = store(engine, limits);
    let inst = instantiate(&mut store, &grower(1, 0)).unwrap();
    assert_eq!(call(&mut store, inst, "grow_memory", 1), 1);
    let err = try_call(&mut store, inst, "grow_memory", 1).unwrap_err();
    assert_eq!(
        err.downcast_ref::<Trap>(),
        Some(&Trap::ResourceLimitExceeded)
    );
    let err = try_call(&mut store, inst, "grow_table", 1).unwrap_err();
    assert_eq!(
        err.downcast_ref::<Trap>(),
        Some(&Trap::ResourceLimitExceeded)
    );
    assert_eq!(store.data().bytes_used(), 2 * PAGE);

    // A growth the limits allow but the memory's own maximum refuses traps too.
    let limits = StoreLimitsBuilder::new().trap_on_grow_failure(true).build();
    let mut store = super::store(engine, limits);
    let wat = r#"(module (memory 1 1)
        (func (export "grow_memory") (param i32) (result i32) (memory.grow (local.get 0))))"#;
    let inst = instantiate(&mut store, wat).unwrap();
    let err = try_call(&mut store, inst, "grow_memory", 1).unwrap_err();
    assert_eq!(
        err.downcast_ref::<Trap>(),
        Some(&Trap::ResourceLimitExceeded)
    );
    let memory = Memory::new(&mut store, MemoryType::new(1, Some(1))).unwrap();
    let err = memory.grow(&mut store, 1).unwrap_err();
    let trap = err.chain().find_map(|e| e.downcast_ref::<Trap>());
    assert_eq!(trap, Some(&Trap::ResourceLimitExceeded), "{err:#}");
    assert_eq!(store.data().bytes_used(), 2 * PAGE);
});

both_tiers!(a_failed_growth_is_given_back, |engine| {
    let limits = StoreLimitsBuilder::new().total_bytes(100 * PAGE).build();
    let mut store = store(engine, limits);
    let inst = instantiate(
        &mut store,
        r#"(module (memory 1 2)
             (func (export "grow_memory") (param i32) (result i32)
               (memory.grow (local.get 0))))"#,
    )
    .unwrap();
    // Past the declared maximum: allowed by the limiter, refused by the memory, given back.
    assert_eq!(call(&mut store, inst, "grow_memory", 5), -1);
    assert_eq!(store.data().bytes_used(), PAGE);
    assert_eq!(call(&mut store, inst, "grow_memory", 1), 1);
    assert_eq!(store.data().bytes_used(), 2 * PAGE);
});

both_tiers!(the_host_api_is_counted, |engine| {
    let limits = StoreLimitsBuilder::new()
        .total_bytes(3 * PAGE + 10 * TABLE_ELEMENT_BYTES)
        .build();
    let mut store = store(engine, limits);
    let inst = instantiate(&mut store, &grower(1, 0)).unwrap();
    let memory = Memory::new(&mut store, MemoryType::new(1, None)).unwrap();
    assert_eq!(memory.grow(&mut store, 1).unwrap(), 1);
    assert!(memory.grow(&mut store, 1).is_err());
    // The instance's memory shares the account with the host's.
    assert_eq!(call(&mut store, inst, "grow_memory", 1), -1);
    let ty = TableType::new(ValType::FUNCREF, 4, None);
    let table = Table::new(&mut store, ty, Val::FuncRef(None)).unwrap();
    assert_eq!(table.grow(&mut store, 6, Val::FuncRef(None)).unwrap(), 4);
    assert!(table.grow(&mut store, 1, Val::FuncRef(None)).is_err());
    let exported = inst.get_table(&mut store, "table").unwrap();
    assert!(exported.grow(&mut store, 1, Val::ExternRef(None)).is_err());
    assert_eq!(
        store.data().bytes_used(),
        3 * PAGE + 10 * TABLE_ELEMENT_BYTES
    );
    let ty = TableType::new(ValType::FUNCREF, 1, None);
    assert!(Table::new(&mut store, ty, Val::FuncRef(None)).is_err());
});

both_tiers!(
    a_huge_initial_table_is_refused_before_allocation,
    |engine| {
        let limits = StoreLimitsBuilder::new().total_bytes(1 << 20).build();
        let mut store = store(engine, limits);
        let err = instantiate(&mut store, "(module (table 5000000 funcref))").unwrap_err();
        assert!(format!("{err:#}").contains("5000000 elements"), "{err:#}");
        assert_eq!(store.data().bytes_used(), 0);
    }
);

both_tiers!(no_limiter_leaves_growth_as_it_was, |engine| {
    let mut store = Store::new(engine, ());
    let inst = instantiate(&mut store, &grower(1, 0)).unwrap();
    assert_eq!(call(&mut store, inst, "grow_memory", 100), 1);
    assert_eq!(call(&mut store, inst, "grow_table", 1_000_000), 0);
    assert_eq!(call(&mut store, inst, "grow_table", 9_000_000), 1_000_000);
    // Tables stop at 10 million elements.
    assert_eq!(call(&mut store, inst, "grow_table", 1), -1);
    let memory = inst.get_memory(&mut store, "memory").unwrap();
    assert_eq!(memory.grow(&mut store, 1).unwrap(), 101);
});
