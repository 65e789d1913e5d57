//! Tier-up's part of the on-disk cache (`Config::cache_dir`): the machine code of a module's
//! hot functions, with its trampolines, written as the program runs (each time the number of
//! compiled functions reaches a power of two, and when the module is dropped) and loaded when
//! the same module is made again, so that the next run starts with them compiled. Entries are
//! sealed and checked like the JIT's (`jit/cache.rs`); on-stack-replacement entries are not
//! kept.

use wexe_environ::{CompiledFunction, CompiledModule, ModuleInfo};

use crate::jit::{JitModule, ModuleId, TieredEntry};

/// The raw code of what tier-up compiled, and where and how much of it was written.
pub(super) struct Saved {
    entry: Option<TieredEntry>,
    trampolines: Option<CompiledModule>,
    funcs: Vec<(usize, CompiledFunction)>,
    written: usize,
}

/// What the cache held for a module: the loaded code (trampolines and functions) and the
/// defined function at each position.
pub(super) struct Loaded {
    pub code: JitModule,
    pub defs: Vec<usize>,
}

impl Saved {
    /// The state for a new module, with what the cache holds for it (by its id, when there is
    /// a cache), if anything.
    pub fn open(config: &crate::Config, id: Option<ModuleId>) -> (Saved, Option<Loaded>) {
        let mut saved = Saved {
            entry: id.and_then(|id| crate::jit::tiered_entry(config, id)),
            trampolines: None,
            funcs: Vec::new(),
            written: 0,
        };
        let Some(entry) = &saved.entry else {
            return (saved, None);
        };
        let Some((defs, compiled)) = crate::jit::lookup_tiered(config, entry) else {
            return (saved, None);
        };
        let Ok(code) = crate::jit::load(compiled.clone(), Some(&defs)) else {
            return (saved, None);
        };
        saved.funcs = defs.iter().copied().zip(compiled.funcs).collect();
        saved.written = saved.funcs.len();
        saved.trampolines = Some(CompiledModule {
            funcs: Vec::new(),
            ..compiled
        });
        (saved, Some(Loaded { code, defs }))
    }

    /// Keeps the trampolines' raw code.
    pub fn trampolines(&mut self, raw: &CompiledModule) {
        self.trampolines = Some(raw.clone());
    }

    /// Keeps a compiled function's raw code; writes the entry when the count of functions
    /// reaches a power of two.
    pub fn function(&mut self, config: &crate::Config, def: usize, raw: CompiledFunction) {
        self.funcs.push((def, raw));
        if self.funcs.len().is_power_of_two() {
            self.write(config);
        }
    }

    /// Writes the entry if functions were compiled since it was last written.
    pub fn write(&mut self, config: &crate::Config) {
        let (Some(entry), Some(trampolines)) = (&self.entry, &self.trampolines) else {
            return;
        };
        if self.funcs.len() == self.written {
            return;
        }
        let defs: Vec<usize> = self.funcs.iter().map(|(d, _)| *d).collect();
        let out = CompiledModule {
            funcs: self.funcs.iter().map(|(_, f)| f.clone()).collect(),
            ..trampolines.clone()
        };
        crate::jit::store_tiered(config, entry, &defs, &out);
        self.written = self.funcs.len();
    }
}

/// Whether `info`'s defined function indices `defs` are all in range (a cache entry is only
/// trusted as far as its seal; this keeps a stale list from indexing out of bounds).
pub(super) fn defs_fit(info: &ModuleInfo, defs: &[usize]) -> bool {
    defs.iter().all(|&d| d < info.bodies.len())
}
