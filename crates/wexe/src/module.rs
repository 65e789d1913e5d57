//! [`Module`]: a validated module, shareable across threads and stores. Function bodies are
//! translated for the interpreter lazily, the first time each is called.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use anyhow::{Context, Result};
use wexe_environ::{EntityType, ModuleInfo};

use crate::Engine;
use crate::interp::BytecodeFunc;

pub(crate) struct ModuleInner {
    pub engine: Engine,
    pub bytes: Vec<u8>,
    pub info: ModuleInfo,
    /// The engine-wide type id of each type index.
    pub type_ids: Vec<u32>,
    /// Translated bodies of the defined functions, filled on first call.
    pub compiled: Box<[OnceLock<Result<BytecodeFunc, String>>]>,
    /// Machine code of every function, when the engine's tier is the JIT.
    pub jit: Option<crate::jit::JitModule>,
    /// Machine code of the hot functions, when the engine's tier is tier-up.
    pub tiered: Option<crate::tier::TieredCode>,
    /// Whether the function bodies were taken as valid without validating them (see
    /// [`Module::bodies_known_valid`]).
    pub bodies_known_valid: bool,
}

impl Drop for ModuleInner {
    fn drop(&mut self) {
        // Tier-up's hot functions go to the on-disk cache for the next run.
        if let Some(t) = &self.tiered {
            t.save(self.engine.config());
        }
    }
}

/// From this size on, a module validated once is marked valid in the on-disk cache, and not
/// validated again while the mark stays: hashing costs about 1 ms per 3 MB, validating about
/// 1 ms per 100 KB.
const MARK_VALID_FROM_BYTES: usize = 1 << 20;

/// A compiled WebAssembly module; cheap to clone.
#[derive(Clone)]
pub struct Module {
    pub(crate) inner: Arc<ModuleInner>,
}

impl std::fmt::Debug for Module {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Module")
            .field("name", &self.name())
            .finish()
    }
}

/// An import of a module: where it comes from and what type it must have.
#[derive(Clone, Copy, Debug)]
pub struct ImportType<'a> {
    import: &'a wexe_environ::Import,
}

impl<'a> ImportType<'a> {
    pub fn module(&self) -> &'a str {
        &self.import.module
    }
    pub fn name(&self) -> &'a str {
        &self.import.name
    }
    pub fn ty(&self) -> EntityType {
        self.import.ty.clone()
    }
}

/// An export of a module: its name and type.
#[derive(Clone, Debug)]
pub struct ExportType<'a> {
    name: &'a str,
    ty: EntityType,
}

impl<'a> ExportType<'a> {
    pub fn name(&self) -> &'a str {
        self.name
    }
    pub fn ty(&self) -> EntityType {
        self.ty.clone()
    }
}

impl Module {
    /// Compiles a module from its binary form, or from the text format when the bytes are not
    /// binary.
    pub fn new(engine: &Engine, bytes: impl AsRef<[u8]>) -> Result<Module> {
        let bytes = bytes.as_ref();
        if bytes.starts_with(b"\0asm") {
            return Module::from_binary(engine, bytes);
        }
        let binary = wat::parse_bytes(bytes).map_err(|e| anyhow::anyhow!("{e}"))?;
        Module::build(engine, binary.into_owned(), None)
    }

    /// Compiles a module from a `.wasm` or `.wat` file.
    pub fn from_file(engine: &Engine, path: impl AsRef<Path>) -> Result<Module> {
        let path = path.as_ref();
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        Module::from_file_bytes(engine, bytes, path)
    }

    /// Compiles a module from the contents of file `path` (`.wasm` or `.wat`), read already by
    /// the caller: the bytes are kept, not copied (a large module's copy costs as much as a
    /// good part of its validation).
    pub fn from_file_bytes(engine: &Engine, bytes: Vec<u8>, path: &Path) -> Result<Module> {
        if !bytes.starts_with(b"\0asm") {
            // Text: parse with the path, so that errors point at `file:line:col`.
            let text = std::str::from_utf8(&bytes).map_err(|_| {
                anyhow::anyhow!("{}: neither a wasm binary nor UTF-8 text", path.display())
            })?;
            let binary = wat::parse_str(text).map_err(|mut e| {
                e.set_path(path);
                anyhow::anyhow!("{e}")
            })?;
            return Module::build(engine, binary, None)
                .with_context(|| format!("invalid module {}", path.display()));
        }
        Module::build(engine, bytes, None)
            .with_context(|| format!("invalid module {}", path.display()))
    }

    /// Compiles a module from its binary form.
    pub fn from_binary(engine: &Engine, bytes: &[u8]) -> Result<Module> {
        Module::build(engine, bytes.to_vec(), None)
    }

    /// A module from `bytes`, compiled now unless `jit` or the JIT's on-disk cache already
    /// holds its code. The function bodies are not validated again when they were validated
    /// when that code was compiled, or when the on-disk cache holds the mark that these bytes
    /// validated with these features (written the first time, for modules large enough that
    /// validating them costs more than hashing them).
    fn build(
        engine: &Engine,
        bytes: Vec<u8>,
        jit: Option<crate::jit::JitModule>,
    ) -> Result<Module> {
        let config = engine.config();
        let features = config.wasmparser_features();
        let jit = jit.or_else(|| crate::jit::cached(engine, &bytes));
        // Tier-up's entries and the mark of validity name the module by this hash.
        let id = match (&jit, config.tier) {
            (Some(_), _) => None,
            (None, crate::Tier::Auto) => crate::jit::module_id(config, &bytes),
            (None, _) if bytes.len() >= MARK_VALID_FROM_BYTES => {
                crate::jit::module_id(config, &bytes)
            }
            (None, _) => None,
        };
        let mark = id.filter(|_| bytes.len() >= MARK_VALID_FROM_BYTES);
        let known_valid =
            jit.is_some() || mark.is_some_and(|id| crate::jit::known_valid(config, &id));
        let mut info = match known_valid {
            true => wexe_environ::parse_compiled_module(&bytes, features)?,
            false => wexe_environ::parse_module(&bytes, features)?,
        };
        if let (false, Some(id)) = (known_valid, mark) {
            crate::jit::remember_valid(config, &id);
        }
        // From here on, concrete reference types name engine type ids.
        let type_ids = engine.module_type_ids(&info.types);
        info.map_concrete_types(|i| type_ids[i as usize]);
        let compiled = (0..info.bodies.len()).map(|_| OnceLock::new()).collect();
        let mut jit = match jit {
            Some(j) => Some(j),
            None => crate::jit::compile_for(engine, &info, &bytes)?,
        };
        if let Some(j) = &mut jit {
            crate::jit::register_debug_info(engine, j, &info, &bytes);
        }
        if let Some(j) = &jit {
            crate::jit::write_perf_map(engine, j, &info);
        }
        // A module compiled whole (loaded from a `.cwasm`) needs no tier-up.
        let tiered = (engine.config().tier == crate::Tier::Auto && jit.is_none())
            .then(|| crate::tier::TieredCode::new(engine.config(), &info, id));
        let inner = ModuleInner {
            engine: engine.clone(),
            bytes,
            info,
            type_ids,
            compiled,
            jit,
            tiered,
            bodies_known_valid: known_valid,
        };
        Ok(Module {
            inner: Arc::new(inner),
        })
    }

    /// The module compiled to machine code for this machine (JIT tier), to be loaded later with
    /// [`Module::deserialize`] (a `.cwasm` file).
    pub fn serialize(&self) -> Result<Vec<u8>> {
        crate::jit::serialize(self.engine().config(), &self.inner.info, &self.inner.bytes)
    }

    /// Loads a module that [`Module::serialize`] produced, without compiling it again. The
    /// engine must use the JIT tier or tier-up (the module then runs its machine code only).
    ///
    /// # Safety
    /// The bytes are machine code that will run as is: they must come from
    /// [`Module::serialize`] of this wexe build on this machine, unmodified (the format is
    /// checked, the code cannot be).
    pub unsafe fn deserialize(engine: &Engine, bytes: &[u8]) -> Result<Module> {
        if engine.config().tier == crate::Tier::Interp {
            anyhow::bail!("compiled modules need an engine of the JIT tier (or tier-up)");
        }
        let (wasm, jit) = crate::jit::deserialize(engine.config(), bytes)?;
        Module::build(engine, wasm, Some(jit))
    }

    /// Whether this module's function bodies were taken as valid instead of validated when it
    /// was made: their machine code came from the cache or a `.cwasm` (it was compiled from
    /// validated bodies), or the cache held the mark that these very bytes validated with these
    /// features. Start-up of a large module is then mostly reading it.
    pub fn bodies_known_valid(&self) -> bool {
        self.inner.bodies_known_valid
    }

    /// Checks that `bytes` are a valid binary module, without keeping anything.
    pub fn validate(engine: &Engine, bytes: &[u8]) -> Result<()> {
        let features = engine.config().wasmparser_features();
        wexe_environ::parse_module(bytes, features)?;
        Ok(())
    }

    /// The engine this module was compiled for.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// What of the module's DWARF could not be translated for debuggers under
    /// [`Config::debug_info`](crate::Config::debug_info) (the rest was): one line per kind of
    /// problem, empty when everything was or debug info is off.
    pub fn debug_info_warnings(&self) -> &[String] {
        self.inner.jit.as_ref().map_or(&[], |j| j.debug_warnings())
    }

    /// The module's name from its name section.
    pub fn name(&self) -> Option<&str> {
        self.inner.info.name.as_deref()
    }

    /// The decoded module.
    pub fn info(&self) -> &ModuleInfo {
        &self.inner.info
    }

    /// The module's imports, in order.
    pub fn imports(&self) -> impl ExactSizeIterator<Item = ImportType<'_>> + '_ {
        self.inner
            .info
            .imports
            .iter()
            .map(|import| ImportType { import })
    }

    /// The module's exports, in order.
    pub fn exports(&self) -> impl ExactSizeIterator<Item = ExportType<'_>> + '_ {
        let info = &self.inner.info;
        info.exports.iter().map(move |e| ExportType {
            name: &e.name,
            ty: info.export_type(e),
        })
    }

    /// Under tier-up: how many functions and on-stack-replacement (loop) entries are compiled
    /// to machine code so far, and why the first one that failed to compile did (for tests).
    #[doc(hidden)]
    pub fn tier_up_status(&self) -> Option<(usize, usize, Option<String>)> {
        self.inner.tiered.as_ref().map(|t| t.status())
    }

    /// Under tier-up: how many of its loop entries enter outermost loops only (for tests).
    #[doc(hidden)]
    pub fn tier_up_outermost_entries(&self) -> Option<usize> {
        self.inner.tiered.as_ref().map(|t| t.outermost_entries())
    }

    /// Under tier-up: what it compiled and how long that took, in a line (`wexe run -v`).
    #[doc(hidden)]
    pub fn tier_up_summary(&self) -> Option<String> {
        self.inner.tiered.as_ref().map(|t| t.summary())
    }

    /// The interpreter bytecode of function `func_index`, disassembled (for debugging).
    #[doc(hidden)]
    pub fn disassemble(&self, func_index: u32) -> Result<String> {
        let def = (func_index as usize)
            .checked_sub(self.inner.info.num_imported_funcs)
            .ok_or_else(|| anyhow::anyhow!("function {func_index} is imported"))?;
        let f = self.compiled(def).map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(f.disassemble())
    }

    /// The translated body of defined function `def_index`, translating it on first use.
    pub(crate) fn compiled(&self, def_index: usize) -> Result<&BytecodeFunc, &str> {
        let slot = &self.inner.compiled[def_index];
        slot.get_or_init(|| crate::interp::translate(self, def_index))
            .as_ref()
            .map_err(|e| e.as_str())
    }
}
