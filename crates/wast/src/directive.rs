//! One directive of a script, run against the script's state: what each `module`, `register`,
//! action and `assert_*` command means, and when it passes.

use anyhow::{Result, bail};
use wast::{QuoteWat, WastDirective, WastExecute, Wat};
use wexe::Module;

use crate::script::{Script, expect_trap, find_trap};
use crate::values::check_results;

impl Script {
    /// Runs one directive; `Err` says why it failed.
    pub(crate) fn run(&mut self, directive: WastDirective<'_>) -> Result<()> {
        match directive {
            WastDirective::Module(module) => self.define_module(module),
            WastDirective::ModuleDefinition(mut module) => {
                let name = module.name().map(|id| id.name().to_string());
                let compiled = self.compile(&mut module)?;
                if let Some(name) = name {
                    self.definitions.insert(name, compiled.clone());
                }
                self.last_definition = Some(compiled);
                Ok(())
            }
            WastDirective::ModuleInstance {
                instance, module, ..
            } => {
                let def = match module {
                    Some(id) => self.definitions.get(id.name()).cloned(),
                    None => self.last_definition.clone(),
                };
                let Some(def) = def else {
                    bail!("no module definition to instantiate");
                };
                self.current = None;
                let inst = self.instantiate(&def)?;
                self.current = Some(inst);
                if let Some(id) = instance {
                    self.named.insert(id.name().to_string(), inst);
                }
                Ok(())
            }
            WastDirective::Register { name, module, .. } => self.register(name, module),
            WastDirective::Invoke(invoke) => self.invoke(&invoke).map(drop),
            WastDirective::AssertReturn { exec, results, .. } => {
                let got = self.execute(exec)?;
                check_results(&got, &results, &self.store)
            }
            WastDirective::AssertTrap { exec, message, .. } => {
                if let WastExecute::Wat(wat) = exec {
                    return self.assert_uninstantiable(wat, message);
                }
                let result = self.execute(exec);
                expect_trap(result, message)
            }
            WastDirective::AssertExhaustion { call, message, .. } => {
                let result = self.invoke(&call);
                expect_trap(result, message)
            }
            WastDirective::AssertInvalid {
                module, message, ..
            }
            | WastDirective::AssertMalformed {
                module, message, ..
            } => self.assert_rejected(module, message),
            WastDirective::AssertUnlinkable {
                module, message, ..
            } => self.assert_unlinkable(module, message),
            WastDirective::AssertInvalidCustom { .. }
            | WastDirective::AssertMalformedCustom { .. } => {
                bail!("custom-section assertions are not supported")
            }
            WastDirective::AssertException { exec, .. } => match self.execute(exec) {
                Ok(got) => bail!("expected an uncaught exception, got {got:?}"),
                Err(e) if e.downcast_ref::<wexe::ThrownException>().is_some() => Ok(()),
                Err(e) => bail!("expected an uncaught exception, got `{e:#}`"),
            },
            WastDirective::AssertSuspension { .. } => bail!("stack switching is not supported"),
            WastDirective::Thread(_) | WastDirective::Wait { .. } => {
                bail!("threads are not supported")
            }
        }
    }

    /// `assert_invalid` / `assert_malformed`: the module must fail to parse, decode or validate.
    /// The expected message is informative only, since runtimes word their errors differently.
    fn assert_rejected(&self, mut module: QuoteWat<'_>, message: &str) -> Result<()> {
        let bytes = match Script::encode(&mut module) {
            Ok(bytes) => bytes,
            Err(_) => return Ok(()),
        };
        match Module::validate(&self.engine, &bytes) {
            Ok(()) => bail!("the module is valid, expected it to fail with `{message}`"),
            Err(_) => Ok(()),
        }
    }

    /// `assert_unlinkable`: the module is valid but its imports cannot be resolved.
    fn assert_unlinkable(&mut self, wat: Wat<'_>, message: &str) -> Result<()> {
        let module = self.compile(&mut QuoteWat::Wat(wat))?;
        match self.instantiate(&module) {
            Ok(_) => bail!("the module linked, expected it to fail with `{message}`"),
            Err(e) => match find_trap(&e) {
                Some(trap) => bail!(
                    "expected a link error `{message}`, got trap `{}`",
                    trap.message()
                ),
                None => Ok(()),
            },
        }
    }

    /// `assert_trap (module ...)` (the old `assert_uninstantiable`): the module is valid and links,
    /// but trapping while it is initialised.
    fn assert_uninstantiable(&mut self, wat: Wat<'_>, message: &str) -> Result<()> {
        let module = self.compile(&mut QuoteWat::Wat(wat))?;
        expect_trap(self.instantiate(&module), message)
    }
}
