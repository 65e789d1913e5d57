//! The state of one running script: its store and linker (with `spectest` and the registered
//! instances), the current and the named instances, module definitions, and host references; and
//! the actions directives are built from (compile, instantiate, invoke, get).

use std::collections::HashMap;

use anyhow::{Context, Result, anyhow, bail};
use wast::token::Id;
use wast::{QuoteWat, WastExecute, WastInvoke, Wat};
use wexe::{Engine, Extern, Instance, Linker, Module, Store, Trap, Val};

use crate::values::{HostRefs, arg_val};

pub(crate) struct Script {
    pub(crate) engine: Engine,
    pub(crate) store: Store<()>,
    pub(crate) linker: Linker<()>,
    /// The most recently instantiated module, which unnamed actions refer to.
    pub(crate) current: Option<Instance>,
    /// Instances of modules declared with an `$id`.
    pub(crate) named: HashMap<String, Instance>,
    /// Modules declared with `(module $id definition ...)`.
    pub(crate) definitions: HashMap<String, Module>,
    pub(crate) last_definition: Option<Module>,
    pub(crate) refs: HostRefs,
}

impl Script {
    pub(crate) fn new(engine: &Engine) -> Result<Script> {
        let mut store = Store::new(engine, ());
        let mut linker = Linker::new(engine);
        linker.allow_shadowing(true);
        crate::spectest::define_spectest(&mut linker, &mut store)?;
        Ok(Script {
            engine: engine.clone(),
            store,
            linker,
            current: None,
            named: HashMap::new(),
            definitions: HashMap::new(),
            last_definition: None,
            refs: HostRefs::default(),
        })
    }

    /// Encodes a module of the script into binary form (parsing `module quote` text first).
    pub(crate) fn encode(module: &mut QuoteWat<'_>) -> Result<Vec<u8>> {
        if let QuoteWat::QuoteComponent(..) | QuoteWat::Wat(Wat::Component(_)) = module {
            bail!("components are not supported");
        }
        module
            .encode()
            .map_err(|e| anyhow!("cannot encode the module: {}", e.message()))
    }

    /// Encodes, decodes and validates a module.
    pub(crate) fn compile(&self, module: &mut QuoteWat<'_>) -> Result<Module> {
        let bytes = Self::encode(module)?;
        Module::from_binary(&self.engine, &bytes)
    }

    /// Resolves imports (against `spectest` and registered instances) and instantiates.
    pub(crate) fn instantiate(&mut self, module: &Module) -> Result<Instance> {
        self.linker.instantiate(&mut self.store, module)
    }

    /// The instance named `id`, or the current one.
    pub(crate) fn instance(&self, id: Option<Id<'_>>) -> Result<Instance> {
        match id {
            Some(id) => self
                .named
                .get(id.name())
                .copied()
                .ok_or_else(|| anyhow!("no module named ${} was instantiated", id.name())),
            None => self
                .current
                .ok_or_else(|| anyhow!("no module is instantiated")),
        }
    }

    /// Instantiates a module directive's module and makes it the current one.
    pub(crate) fn define_module(&mut self, mut module: QuoteWat<'_>) -> Result<()> {
        // A failed module leaves no current module behind, so that the actions that follow
        // report that rather than running against an older module.
        self.current = None;
        let name = module.name().map(|id| id.name().to_string());
        if let Some(name) = &name {
            self.named.remove(name);
        }
        let compiled = self.compile(&mut module)?;
        let instance = self.instantiate(&compiled)?;
        self.current = Some(instance);
        if let Some(name) = name {
            self.named.insert(name, instance);
        }
        Ok(())
    }

    /// Calls an exported function and returns its results.
    pub(crate) fn invoke(&mut self, invoke: &WastInvoke<'_>) -> Result<Vec<Val>> {
        let instance = self.instance(invoke.module)?;
        let func = instance
            .get_func(&mut self.store, invoke.name)
            .ok_or_else(|| anyhow!("no exported function `{}`", invoke.name))?;
        let mut args = Vec::with_capacity(invoke.args.len());
        for arg in &invoke.args {
            args.push(arg_val(arg, &mut self.store, &mut self.refs)?);
        }
        let ty = func.ty(&self.store);
        if args.len() != ty.params().len() {
            bail!(
                "{} arguments for `{}`, which has type {ty}",
                args.len(),
                invoke.name
            );
        }
        let mut results: Vec<Val> = ty.results().iter().map(|&t| Val::default_for(t)).collect();
        func.call(&mut self.store, &args, &mut results)?;
        Ok(results)
    }

    /// Runs the action of an `assert_return` or `assert_trap`.
    pub(crate) fn execute(&mut self, exec: WastExecute<'_>) -> Result<Vec<Val>> {
        match exec {
            WastExecute::Invoke(invoke) => self.invoke(&invoke),
            WastExecute::Wat(wat) => {
                let module = self.compile(&mut QuoteWat::Wat(wat))?;
                self.instantiate(&module)?;
                Ok(Vec::new())
            }
            WastExecute::Get { module, global, .. } => {
                let instance = self.instance(module)?;
                match instance.get_export(&mut self.store, global) {
                    Some(Extern::Global(g)) => Ok(vec![g.get(&self.store)]),
                    Some(_) => bail!("export `{global}` is not a global"),
                    None => bail!("no export `{global}`"),
                }
            }
        }
    }

    /// Registers the exports of an instance under `name` for later imports.
    pub(crate) fn register(&mut self, name: &str, id: Option<Id<'_>>) -> Result<()> {
        let instance = self.instance(id)?;
        self.linker
            .instance(&mut self.store, name, instance)
            .with_context(|| format!("cannot register `{name}`"))?;
        Ok(())
    }
}

/// The trap inside `err`, searching the whole chain of causes.
pub(crate) fn find_trap(err: &anyhow::Error) -> Option<Trap> {
    err.chain().find_map(|e| e.downcast_ref::<Trap>().copied())
}

/// Checks that `result` is a trap whose message matches `expected` (one contains the other:
/// the spec adds details to some messages, such as "uninitialized element 2").
pub(crate) fn expect_trap<T>(result: Result<T>, expected: &str) -> Result<()> {
    let err = match result {
        Ok(_) => bail!("expected trap `{expected}`, but it returned normally"),
        Err(err) => err,
    };
    match find_trap(&err) {
        Some(trap) => {
            let got = trap.message();
            if got.contains(expected) || expected.contains(got) {
                Ok(())
            } else {
                bail!("expected trap `{expected}`, got trap `{got}`")
            }
        }
        None => bail!("expected trap `{expected}`, got error: {err:#}"),
    }
}
