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

/// The trap kinds a spec script's `assert_trap`/`assert_exhaustion` message names, in every
/// wording the spec's scripts have used for them; `None` for any other message.
pub(crate) fn kinds_named(message: &str) -> Option<&'static [Trap]> {
    use Trap::*;
    Some(match message {
        "unreachable" => &[Unreachable],
        "out of bounds memory access" => &[MemoryOutOfBounds],
        "out of bounds table access" => &[TableOutOfBounds],
        // The bulk-memory and reference-types proposals' scripts, before the two were told apart.
        "out of bounds" => &[MemoryOutOfBounds, TableOutOfBounds],
        "undefined element" | "undefined" => &[UndefinedElement],
        "uninitialized element" | "uninitialized" => &[UninitializedElement],
        "indirect call type mismatch" | "indirect call" => &[IndirectCallTypeMismatch],
        "integer overflow" => &[IntegerOverflow],
        "integer divide by zero" => &[IntegerDivisionByZero],
        "invalid conversion to integer" => &[BadConversionToInteger],
        "call stack exhausted" => &[StackOverflow],
        "null reference" | "null function reference" => &[NullReference],
        // Some scripts name the table index: "uninitialized element 2".
        m if m
            .strip_prefix("uninitialized element ")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())) =>
        {
            &[UninitializedElement]
        }
        _ => return None,
    })
}

/// Checks that `result` is a trap of the kind the spec's message `expected` names (see
/// [`kinds_named`]): exactly that kind, not a trap whose message merely resembles it.
pub(crate) fn expect_trap<T>(result: Result<T>, expected: &str) -> Result<()> {
    let Some(kinds) = kinds_named(expected) else {
        bail!("`{expected}` is not a trap message of the spec's scripts");
    };
    let err = match result {
        Ok(_) => bail!("expected trap `{expected}`, but it returned normally"),
        Err(err) => err,
    };
    match find_trap(&err) {
        Some(trap) if kinds.contains(&trap) => Ok(()),
        Some(trap) => bail!("expected trap `{expected}`, got trap `{}`", trap.message()),
        None => bail!("expected trap `{expected}`, got error: {}", describe(&err)),
    }
}

/// An error on one line: a trap as `wasm trap: MESSAGE` (without its backtrace), anything else
/// as its chain of causes.
pub(crate) fn describe(err: &anyhow::Error) -> String {
    if let Some(trap) = find_trap(err) {
        return trap.to_string();
    }
    let text = format!("{err:#}");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trapped(trap: Trap) -> Result<()> {
        Err(anyhow::Error::new(trap).context("in a call"))
    }

    #[test]
    fn a_trap_matches_only_the_messages_that_name_its_kind() {
        let ok = [
            (Trap::MemoryOutOfBounds, "out of bounds memory access"),
            (Trap::MemoryOutOfBounds, "out of bounds"),
            (Trap::TableOutOfBounds, "out of bounds"),
            (Trap::UninitializedElement, "uninitialized element"),
            (Trap::UninitializedElement, "uninitialized element 2"),
            (Trap::UninitializedElement, "uninitialized"),
            (Trap::UndefinedElement, "undefined"),
            (Trap::IndirectCallTypeMismatch, "indirect call"),
            (Trap::StackOverflow, "call stack exhausted"),
        ];
        for (trap, message) in ok {
            assert!(
                expect_trap(trapped(trap), message).is_ok(),
                "{trap:?} {message}"
            );
        }
        // The wrong kind fails, even where one message is part of the other.
        let wrong = [
            (Trap::TableOutOfBounds, "out of bounds memory access"),
            (Trap::UndefinedElement, "uninitialized element"),
            (Trap::UninitializedElement, "undefined"),
            (Trap::IntegerOverflow, "integer divide by zero"),
            (Trap::Unreachable, "call stack exhausted"),
        ];
        for (trap, message) in wrong {
            let err = expect_trap(trapped(trap), message).unwrap_err();
            assert!(err.to_string().contains("got trap"), "{err}");
        }
        // Fragments are not wordings of the spec's: they name no kind.
        for message in [
            "",
            "element",
            "integer",
            "out of",
            "uninitialized element x",
        ] {
            let err = expect_trap(trapped(Trap::UninitializedElement), message).unwrap_err();
            assert!(err.to_string().contains("not a trap message"), "{err}");
        }
        assert!(expect_trap(Ok(()), "unreachable").is_err());
    }
}
