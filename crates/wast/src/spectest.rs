//! The `spectest` module that spec scripts import from, as the reference interpreter defines it:
//! the `print*` functions (which print nothing here), four globals holding 666 / 666.6, a funcref
//! table of 10..20 elements and a memory of 1..2 pages.

use anyhow::Result;
use wexe::{
    Global, GlobalType, Linker, Memory, MemoryType, Mutability, Store, Table, TableType, Val,
    ValType,
};

/// Defines the `spectest` module in `linker`, creating its memory, table and globals in `store`.
pub fn define_spectest<T: 'static>(linker: &mut Linker<T>, store: &mut Store<T>) -> Result<()> {
    linker.func_wrap("spectest", "print", || {})?;
    linker.func_wrap("spectest", "print_i32", |_: i32| {})?;
    linker.func_wrap("spectest", "print_i64", |_: i64| {})?;
    linker.func_wrap("spectest", "print_f32", |_: f32| {})?;
    linker.func_wrap("spectest", "print_f64", |_: f64| {})?;
    linker.func_wrap("spectest", "print_i32_f32", |_: i32, _: f32| {})?;
    linker.func_wrap("spectest", "print_f64_f64", |_: f64, _: f64| {})?;

    let globals = [
        ("global_i32", Val::I32(666)),
        ("global_i64", Val::I64(666)),
        ("global_f32", Val::F32(666.6f32.to_bits())),
        ("global_f64", Val::F64(666.6f64.to_bits())),
    ];
    for (name, val) in globals {
        let ty = GlobalType::new(val.ty(), Mutability::Const);
        let global = Global::new(&mut *store, ty, val)?;
        linker.define(&*store, "spectest", name, global)?;
    }

    let table_ty = TableType::new(ValType::FUNCREF, 10, Some(20));
    let table = Table::new(&mut *store, table_ty, Val::FuncRef(None))?;
    linker.define(&*store, "spectest", "table", table)?;

    let memory = Memory::new(&mut *store, MemoryType::new(1, Some(2)))?;
    linker.define(&*store, "spectest", "memory", memory)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use wexe::{Engine, Extern, ExternType};

    #[test]
    fn spectest_entities_have_the_reference_types_and_values() {
        let engine = Engine::default();
        let mut store = Store::new(&engine, ());
        let mut linker = Linker::new(&engine);
        define_spectest(&mut linker, &mut store).unwrap();

        let get = |store: &mut Store<()>, name| linker.get(store, "spectest", name).unwrap();
        let Extern::Global(g) = get(&mut store, "global_f32") else {
            panic!("global_f32 is not a global");
        };
        assert_eq!(g.get(&store).f32(), Some(666.6));
        let Extern::Global(g) = get(&mut store, "global_i64") else {
            panic!("global_i64 is not a global");
        };
        assert_eq!(g.get(&store).i64(), Some(666));
        let Extern::Table(t) = get(&mut store, "table") else {
            panic!("table is not a table");
        };
        let ty = t.ty(&store);
        assert_eq!((ty.minimum, ty.maximum), (10, Some(20)));
        let Extern::Memory(m) = get(&mut store, "memory") else {
            panic!("memory is not a memory");
        };
        assert_eq!(m.ty(&store), MemoryType::new(1, Some(2)));
        let f = get(&mut store, "print_i32_f32");
        let ExternType::Func(fty) = f.ty(&store) else {
            panic!("print_i32_f32 is not a function");
        };
        assert_eq!(fty.params(), &[ValType::I32, ValType::F32]);
        assert!(fty.results().is_empty());
    }
}
