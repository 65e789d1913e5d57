//! [`Config`] and [`Engine`]: the settings shared by every module and store, and the registry that
//! gives structurally equal function types one id across modules (for `call_indirect`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use anyhow::{Result, bail};
use wexe_environ::FuncType;

/// Which execution tier runs WebAssembly code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tier {
    /// The interpreter: portable, instant start.
    Interp,
    /// The Cranelift JIT: every function compiled to machine code when the module is created.
    Jit,
}

impl std::str::FromStr for Tier {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> Result<Tier> {
        match s {
            "interp" => Ok(Tier::Interp),
            "jit" => Ok(Tier::Jit),
            _ => bail!("unknown tier `{s}` (expected `interp` or `jit`)"),
        }
    }
}

/// Settings for an [`Engine`].
#[derive(Clone, Debug)]
pub struct Config {
    pub(crate) tier: Tier,
    pub(crate) max_wasm_stack: usize,
    pub(crate) max_call_depth: usize,
    pub(crate) max_memory_size: u64,
    pub(crate) simd: bool,
    /// Where the JIT keeps compiled modules between runs (off when `None`).
    pub(crate) cache_dir: Option<std::path::PathBuf>,
    pub(crate) consume_fuel: bool,
    pub(crate) epoch_interruption: bool,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            tier: Tier::Interp,
            max_wasm_stack: 64 << 20,
            max_call_depth: 2_000_000,
            max_memory_size: 1 << 32,
            simd: true,
            cache_dir: None,
            consume_fuel: false,
            epoch_interruption: false,
        }
    }
}

impl Config {
    /// The default settings.
    pub fn new() -> Config {
        Config::default()
    }

    /// Chooses the execution tier.
    pub fn tier(&mut self, tier: Tier) -> &mut Config {
        self.tier = tier;
        self
    }

    /// The most bytes of value stack that WebAssembly frames may use before a call traps with
    /// "call stack exhausted".
    pub fn max_wasm_stack(&mut self, bytes: usize) -> &mut Config {
        self.max_wasm_stack = bytes;
        self
    }

    /// The deepest nesting of WebAssembly calls before a call traps with "call stack exhausted".
    pub fn max_call_depth(&mut self, depth: usize) -> &mut Config {
        self.max_call_depth = depth;
        self
    }

    /// The largest size in bytes that any linear memory may grow to.
    pub fn max_memory_size(&mut self, bytes: u64) -> &mut Config {
        self.max_memory_size = bytes;
        self
    }

    /// A directory where the JIT keeps compiled modules, so that the next process compiling the
    /// same bytes on the same machine loads them instead; `None` (the default) keeps none.
    pub fn cache_dir(&mut self, dir: Option<std::path::PathBuf>) -> &mut Config {
        self.cache_dir = dir;
        self
    }

    /// Whether running code uses fuel (one unit per operator; see [`crate::Store::set_fuel`])
    /// and traps with "all fuel consumed" when none is left. JIT tier only, for now.
    pub fn consume_fuel(&mut self, enable: bool) -> &mut Config {
        self.consume_fuel = enable;
        self
    }

    /// Whether function entries and loop headers check the engine's epoch (advanced by
    /// [`Engine::increment_epoch`]) against the store's deadline
    /// ([`crate::Store::set_epoch_deadline`]) and trap with "interrupted" once it is reached:
    /// how a host bounds running time. JIT tier only, for now.
    pub fn epoch_interruption(&mut self, enable: bool) -> &mut Config {
        self.epoch_interruption = enable;
        self
    }

    /// Whether modules may use 128-bit SIMD (validation only for now; executing a SIMD operator
    /// reports that it is not supported yet).
    pub fn wasm_simd(&mut self, enable: bool) -> &mut Config {
        self.simd = enable;
        self
    }
}

/// Gives every distinct function type an id, so that signature checks are one comparison.
#[derive(Default)]
struct TypeRegistry {
    ids: HashMap<FuncType, u32>,
}

pub(crate) struct EngineInner {
    pub(crate) config: Config,
    types: Mutex<TypeRegistry>,
    /// The epoch counter for [`Config::epoch_interruption`].
    pub(crate) epoch: std::sync::atomic::AtomicU64,
}

/// Shared settings and caches for modules and stores; cheap to clone.
#[derive(Clone)]
pub struct Engine {
    pub(crate) inner: Arc<EngineInner>,
}

impl Default for Engine {
    fn default() -> Engine {
        Engine::new(&Config::default()).expect("the default configuration is valid")
    }
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("config", &self.inner.config)
            .finish()
    }
}

impl Engine {
    /// Makes an engine with the given settings.
    pub fn new(config: &Config) -> Result<Engine> {
        if config.tier == Tier::Jit {
            crate::jit::check_host().map_err(|e| anyhow::anyhow!("the JIT tier: {e}"))?;
        } else if config.consume_fuel || config.epoch_interruption {
            bail!("fuel and epoch interruption need the JIT tier (`--tier jit`) for now");
        }
        let types = Mutex::new(TypeRegistry::default());
        Ok(Engine {
            inner: Arc::new(EngineInner {
                config: config.clone(),
                types,
                epoch: std::sync::atomic::AtomicU64::new(0),
            }),
        })
    }

    /// The settings this engine was made with.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Advances the epoch by one: code of stores whose deadline this reaches traps with
    /// "interrupted" (with [`Config::epoch_interruption`]). Safe to call from any thread.
    pub fn increment_epoch(&self) {
        self.inner
            .epoch
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether two handles refer to the same engine.
    pub fn same(a: &Engine, b: &Engine) -> bool {
        Arc::ptr_eq(&a.inner, &b.inner)
    }

    /// The engine-wide id of a function type.
    pub(crate) fn type_id(&self, ty: &FuncType) -> u32 {
        let mut reg = self.inner.types.lock().unwrap_or_else(|e| e.into_inner());
        let next = reg.ids.len() as u32;
        *reg.ids.entry(ty.clone()).or_insert(next)
    }
}
