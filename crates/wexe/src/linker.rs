//! [`Linker<T>`]: names for host functions and store entities, resolved against a module's
//! imports at instantiation.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::{Result, bail};
use wexe_environ::FuncType;

use crate::Engine;
use crate::externals::Extern;
use crate::func::{Caller, Func, HostFunc, IntoFunc};
use crate::instance::Instance;
use crate::module::Module;
use crate::pre::InstancePre;
use crate::store::{AsContext, AsContextMut, Store};
use crate::values::Val;

pub(crate) enum Definition<T> {
    /// An entity of a particular store.
    Extern(Extern),
    /// A host function, instantiated into each store that uses it.
    Host(FuncType, HostFunc<T>),
}

impl<T> Clone for Definition<T> {
    fn clone(&self) -> Self {
        match self {
            Definition::Extern(e) => Definition::Extern(*e),
            Definition::Host(t, f) => Definition::Host(t.clone(), f.clone()),
        }
    }
}

impl<T: 'static> Definition<T> {
    /// The definition made concrete in `store`: a host function becomes one of its functions.
    pub(crate) fn to_extern(&self, store: &mut Store<T>) -> Extern {
        match self {
            Definition::Extern(e) => *e,
            Definition::Host(ty, f) => Extern::Func(Func::from_host(store, ty.clone(), f.clone())),
        }
    }
}

/// Resolves imports by `module` and `name`.
pub struct Linker<T> {
    engine: Engine,
    defs: HashMap<(String, String), Definition<T>>,
    allow_shadowing: bool,
}

impl<T> Clone for Linker<T> {
    fn clone(&self) -> Self {
        Linker {
            engine: self.engine.clone(),
            defs: self.defs.clone(),
            allow_shadowing: self.allow_shadowing,
        }
    }
}

impl<T: 'static> Linker<T> {
    /// An empty linker for `engine`.
    pub fn new(engine: &Engine) -> Linker<T> {
        Linker {
            engine: engine.clone(),
            defs: HashMap::new(),
            allow_shadowing: false,
        }
    }

    /// The engine this linker is for.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Whether a new definition may replace an existing one of the same name (default: no).
    pub fn allow_shadowing(&mut self, allow: bool) -> &mut Self {
        self.allow_shadowing = allow;
        self
    }

    fn insert(&mut self, module: &str, name: &str, def: Definition<T>) -> Result<&mut Self> {
        let key = (module.to_string(), name.to_string());
        if !self.allow_shadowing && self.defs.contains_key(&key) {
            bail!("`{module}::{name}` is already defined");
        }
        self.defs.insert(key, def);
        Ok(self)
    }

    /// Defines `module::name` as an entity of a store.
    pub fn define(
        &mut self,
        _store: impl AsContext<Data = T>,
        module: &str,
        name: &str,
        item: impl Into<Extern>,
    ) -> Result<&mut Self> {
        self.insert(module, name, Definition::Extern(item.into()))
    }

    /// Defines `module::name` as a host function with a dynamic signature.
    pub fn func_new(
        &mut self,
        module: &str,
        name: &str,
        ty: FuncType,
        f: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<()> + Send + Sync + 'static,
    ) -> Result<&mut Self> {
        self.insert(module, name, Definition::Host(ty, Arc::new(f)))
    }

    /// Defines `module::name` as a host function from a typed closure.
    pub fn func_wrap<Params, Results>(
        &mut self,
        module: &str,
        name: &str,
        f: impl IntoFunc<T, Params, Results>,
    ) -> Result<&mut Self> {
        let (ty, host) = f.into_host_func();
        self.insert(module, name, Definition::Host(ty, host))
    }

    /// Defines every export of `instance` under the module name `module`.
    pub fn instance(
        &mut self,
        mut store: impl AsContextMut<Data = T>,
        module: &str,
        instance: Instance,
    ) -> Result<&mut Self> {
        for (name, ext) in instance.exports(&mut store) {
            self.insert(module, &name, Definition::Extern(ext))?;
        }
        Ok(self)
    }

    /// Instantiates `module` and defines its exports under `name`.
    pub fn module(
        &mut self,
        mut store: impl AsContextMut<Data = T>,
        name: &str,
        module: &Module,
    ) -> Result<&mut Self> {
        let instance = self.instantiate(&mut store, module)?;
        self.instance(store, name, instance)
    }

    /// The definition of `module::name`, made concrete in `store`.
    pub fn get(
        &self,
        mut store: impl AsContextMut<Data = T>,
        module: &str,
        name: &str,
    ) -> Option<Extern> {
        let def = self.defs.get(&(module.to_string(), name.to_string()))?;
        Some(def.to_extern(store.as_context_mut().0))
    }

    /// The definitions of `module`'s imports, in its order.
    fn resolve(&self, module: &Module) -> Result<Vec<Definition<T>>> {
        let mut defs = Vec::with_capacity(module.imports().len());
        for imp in module.imports() {
            let key = (imp.module().to_string(), imp.name().to_string());
            match self.defs.get(&key) {
                Some(def) => defs.push(def.clone()),
                None => bail!(
                    "unknown import: `{}::{}` has not been defined",
                    imp.module(),
                    imp.name()
                ),
            }
        }
        Ok(defs)
    }

    /// Resolves the imports of `module` and instantiates it (running its start function).
    pub fn instantiate(
        &self,
        mut store: impl AsContextMut<Data = T>,
        module: &Module,
    ) -> Result<Instance> {
        let store = store.as_context_mut().0;
        let imports: Vec<_> = self
            .resolve(module)?
            .iter()
            .map(|d| d.to_extern(store))
            .collect();
        Instance::new(store, module, &imports)
    }

    /// Resolves the imports of `module` once and computes its memories' initial contents, for
    /// instantiating it many times quickly ([`InstancePre::instantiate`]), as wasmtime's
    /// `Linker::instantiate_pre`. Later changes to the linker do not affect it.
    pub fn instantiate_pre(&self, module: &Module) -> Result<InstancePre<T>> {
        if !Engine::same(&self.engine, module.engine()) {
            bail!("the module was compiled for another engine than the linker's");
        }
        Ok(InstancePre::new(module, self.resolve(module)?))
    }
}
