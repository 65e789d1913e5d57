//! Running one request's program: a fresh store and instance from the module's
//! [`wexe::InstancePre`] (its memory image mapped copy-on-write, see `wexe`'s `pre.rs`), the
//! request body as stdin, stdout and stderr captured (each bounded), the configured volumes and
//! variables, fuel, memory limits, and a [`Cancel`] through which the server's timeout
//! interrupts the run. Nothing survives the request: the store and everything in it is dropped.

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use wexe::{Engine, InstancePre, Linker, Module, Store, StoreLimits, Trap};
use wexe_wasi::cap_std::ambient_authority;
use wexe_wasi::cap_std::fs::Dir;
use wexe_wasi::{I32Exit, MemoryOutput, StringList, WasiCtx, WasiCtxBuilder};

use crate::config::ModuleSpec;

/// A directory granted to every request of a module.
#[derive(Clone, Debug)]
pub struct Volume {
    pub host: PathBuf,
    pub guest: String,
    pub read_only: bool,
}

/// The limits of one request's run.
#[derive(Clone)]
pub struct RunLimits {
    /// Fuel per request (the engine must consume fuel).
    pub fuel: Option<u64>,
    /// Makes a request's store limiter (memory and table bytes, counts); `None`: no limiter.
    pub store_limits: Arc<dyn Fn() -> Option<StoreLimits> + Send + Sync>,
    /// The most bytes of stdout kept; writing more fails (`EFBIG`) and the response is a 500.
    pub max_output: usize,
    /// The most bytes of stderr kept for the log.
    pub max_stderr: usize,
}

/// The host data of a request's store.
pub struct RequestHost {
    wasi: WasiCtx,
    limits: StoreLimits,
}

/// One configured module, ready to run requests.
pub struct App {
    pub spec: ModuleSpec,
    pre: InstancePre<RequestHost>,
    /// The volumes, each opened once: a request gets a duplicate of the directory.
    volumes: Vec<(Volume, Dir)>,
    /// Variables from the command line, set after the module's and the request's.
    extra_env: Vec<(OsString, OsString)>,
    limits: RunLimits,
}

/// How a request's run ended.
pub enum RunOutcome {
    /// The program ended with status 0: its output.
    Output(Vec<u8>),
    /// It wrote more than [`RunLimits::max_output`].
    OutputTooLarge,
    /// It exited with a non-zero status.
    Exit(i32),
    /// It trapped (the server's timeout is [`RunOutcome::TimedOut`]).
    Trap(anyhow::Error),
    /// The timeout interrupted it.
    TimedOut,
    /// It could not be started (a volume that cannot be opened, an instantiation error).
    Failed(anyhow::Error),
}

/// A finished run: how it ended, and what it wrote on stderr (for the server's log).
pub struct Run {
    pub outcome: RunOutcome,
    pub stderr: Vec<u8>,
}

/// How the server's timeout reaches a run on another thread: [`Cancel::fire`] interrupts the
/// run's store, now or as soon as it exists.
#[derive(Default)]
pub struct Cancel {
    state: Mutex<(bool, Option<wexe::InterruptHandle>)>,
}

impl Cancel {
    /// Interrupts the run (or makes it stop as soon as its store exists).
    pub fn fire(&self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.0 = true;
        if let Some(h) = &state.1 {
            h.interrupt();
        }
    }

    fn arm(&self, handle: wexe::InterruptHandle) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.0 {
            handle.interrupt();
        }
        state.1 = Some(handle);
    }

    /// Interrupts the run, if its store exists, without it counting as the timeout.
    fn interrupt(&self) {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(h) = &state.1 {
            h.interrupt();
        }
    }

    pub fn fired(&self) -> bool {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).0
    }
}

impl App {
    /// Compiles `spec`'s module with `engine` and pre-instantiates it with WASI.
    pub fn new(
        engine: &Engine,
        spec: ModuleSpec,
        extra_volumes: &[Volume],
        extra_env: Vec<(OsString, OsString)>,
        limits: RunLimits,
    ) -> Result<App> {
        let file = spec.module.display().to_string();
        let module = Module::from_file(engine, &spec.module)?;
        let mut linker = Linker::new(engine);
        wexe_wasi::add_to_linker(&mut linker, |h: &mut RequestHost| &mut h.wasi)?;
        let pre = linker
            .instantiate_pre(&module)
            .with_context(|| format!("cannot instantiate {file}"))?;
        let exported = module.exports().any(|e| e.name() == spec.entrypoint);
        if !exported {
            anyhow::bail!("{file} has no exported function `{}`", spec.entrypoint);
        }
        let mut volumes: Vec<Volume> = spec
            .volumes
            .iter()
            .map(|(host, guest)| Volume {
                host: host.clone(),
                guest: guest.clone(),
                read_only: false,
            })
            .collect();
        volumes.extend_from_slice(extra_volumes);
        let volumes = volumes
            .into_iter()
            .map(|v| {
                let dir =
                    Dir::open_ambient_dir(&v.host, ambient_authority()).with_context(|| {
                        format!("cannot open volume {} of {file}", v.host.display())
                    })?;
                if !dir.dir_metadata()?.is_dir() {
                    anyhow::bail!("volume {} of {file} is not a directory", v.host.display());
                }
                Ok((v, dir))
            })
            .collect::<Result<_>>()?;
        Ok(App {
            spec,
            pre,
            volumes,
            extra_env,
            limits,
        })
    }

    /// The variables the command line sets for every request (they replace the request's).
    pub fn extra_env(&self) -> &[(OsString, OsString)] {
        &self.extra_env
    }

    /// Runs the program for one request, with the environment `env` (as
    /// [`crate::cgi::environment`] gives it, the command line's variables included).
    pub fn run(
        &self,
        argv: &[String],
        env: StringList,
        body: Vec<u8>,
        cancel: &Arc<Cancel>,
    ) -> Run {
        // A program that writes past a limit is stopped at once, not left to loop until the
        // timeout.
        let (stop_out, stop_err) = (cancel.clone(), cancel.clone());
        let stdout = MemoryOutput::with_limit(self.limits.max_output)
            .on_refused(move || stop_out.interrupt());
        let stderr = MemoryOutput::with_limit(self.limits.max_stderr)
            .on_refused(move || stop_err.interrupt());
        let outcome = match self.run_in_store(argv, env, body, &stdout, &stderr, cancel) {
            Ok(()) if stdout.refused() => RunOutcome::OutputTooLarge,
            Ok(()) => RunOutcome::Output(stdout.take()),
            Err(e) => self.classify(e, &stdout, cancel),
        };
        Run {
            outcome,
            stderr: stderr.take(),
        }
    }

    fn run_in_store(
        &self,
        argv: &[String],
        env: StringList,
        body: Vec<u8>,
        stdout: &MemoryOutput,
        stderr: &MemoryOutput,
        cancel: &Cancel,
    ) -> Result<()> {
        let mut b = WasiCtxBuilder::new();
        b.args(argv).stdin_bytes(body);
        b.stdout_to(stdout.clone());
        b.stderr_to(stderr.clone());
        b.env_list(env);
        for (v, dir) in &self.volumes {
            let dir = dir
                .try_clone()
                .with_context(|| format!("cannot open volume {}", v.host.display()))
                .map_err(Startup)?;
            b.preopen_opened(dir, v.guest.as_str(), v.read_only);
        }
        let wasi = b.build().map_err(Startup)?;
        let host = RequestHost {
            wasi,
            limits: StoreLimits::default(),
        };
        let mut store = Store::new(self.pre.module().engine(), host);
        if let Some(limits) = (self.limits.store_limits)() {
            store.data_mut().limits = limits;
            store.limiter(|h| &mut h.limits);
        }
        if let Some(fuel) = self.limits.fuel {
            store.set_fuel(fuel).map_err(Startup)?;
        }
        cancel.arm(store.interrupt_handle().map_err(Startup)?);
        let instance = self.pre.instantiate(&mut store)?;
        let func = instance
            .get_typed_func::<(), ()>(&mut store, &self.spec.entrypoint)
            .map_err(Startup)?;
        func.call(&mut store, ())
    }

    fn classify(&self, e: anyhow::Error, stdout: &MemoryOutput, cancel: &Cancel) -> RunOutcome {
        if let Some(exit) = e.downcast_ref::<I32Exit>() {
            return match exit.0 {
                0 if stdout.refused() => RunOutcome::OutputTooLarge,
                0 => RunOutcome::Output(stdout.take()),
                n => RunOutcome::Exit(n),
            };
        }
        if e.downcast_ref::<Trap>() == Some(&Trap::Interrupt) && cancel.fired() {
            return RunOutcome::TimedOut;
        }
        if stdout.refused() {
            return RunOutcome::OutputTooLarge;
        }
        match e.downcast_ref::<Trap>() {
            Some(_) if !e.is::<Startup>() => RunOutcome::Trap(e),
            _ => RunOutcome::Failed(e),
        }
    }
}

/// An error before the program ran.
#[derive(Debug)]
struct Startup(anyhow::Error);

impl std::fmt::Display for Startup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#}", self.0)
    }
}

impl std::error::Error for Startup {}
