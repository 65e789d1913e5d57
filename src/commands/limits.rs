//! Resource limits for a run, shared by `wexe run` (`--fuel`, `--timeout`, `--max-memory-size`,
//! `--max-table-elements`, `--max-instances`, `--max-tables`, `--max-memories`,
//! `--trap-on-grow-failure`) and by programs started through binfmt (their policy's limits):
//! the engine settings they need, and arming them on a store.
//!
//! Memory and table limits are the store's resource limiter (`wexe::StoreLimits`): one account
//! for everything the run allocates, so `--max-memory-size` bounds all linear memories and
//! tables of all instances together, `--preload`ed ones included.

use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::Result;
use wexe::{Config, Store, StoreLimits, StoreLimitsBuilder};

use super::policy::Limits;

/// Turns on what the limits need in the engine's settings.
pub fn configure(config: &mut Config, limits: &Limits) {
    if limits.fuel.is_some() {
        config.consume_fuel(true);
    }
    if limits.timeout.is_some() {
        config.interruptible(true);
    }
}

/// Host data that holds the run's [`StoreLimits`], for the store's limiter to borrow.
pub trait HasStoreLimits {
    fn store_limits(&mut self) -> &mut StoreLimits;
}

/// The store limiter for `limits`; `None` when they limit neither memories, tables nor counts.
pub fn store_limits(limits: &Limits) -> Option<StoreLimits> {
    let l = limits;
    let counts = [l.max_instances, l.max_tables, l.max_memories];
    let any = l.max_memory.is_some()
        || l.max_table_elements.is_some()
        || counts.iter().any(Option::is_some)
        || l.trap_on_grow_failure;
    if !any {
        return None;
    }
    let size = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
    let mut b = StoreLimitsBuilder::new().trap_on_grow_failure(l.trap_on_grow_failure);
    if let Some(n) = l.max_memory {
        b = b.total_bytes(size(n));
    }
    if let Some(n) = l.max_table_elements {
        b = b.table_elements(size(n));
    }
    if let Some(n) = l.max_instances {
        b = b.instances(size(n));
    }
    if let Some(n) = l.max_tables {
        b = b.tables(size(n));
    }
    if let Some(n) = l.max_memories {
        b = b.memories(size(n));
    }
    Some(b.build())
}

/// Installs the store's limiter, sets its fuel and starts the timeout's watchdog; the watchdog stops when the
/// returned guard is dropped (the run ended first).
pub fn arm<T: HasStoreLimits + 'static>(
    store: &mut Store<T>,
    limits: &Limits,
) -> Result<Option<Watchdog>> {
    if let Some(store_limits) = store_limits(limits) {
        *store.data_mut().store_limits() = store_limits;
        store.limiter(|host| host.store_limits());
    }
    if let Some(fuel) = limits.fuel {
        store.set_fuel(fuel)?;
    }
    let Some(timeout) = limits.timeout else {
        return Ok(None);
    };
    let handle = store.interrupt_handle()?;
    let (stop, stopped) = mpsc::channel::<()>();
    let thread = std::thread::spawn(move || {
        if let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(timeout) {
            handle.interrupt();
        }
    });
    Ok(Some(Watchdog {
        stop: Some(stop),
        thread: Some(thread),
    }))
}

/// Interrupts the store when its time is up, unless dropped before.
pub struct Watchdog {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Parses a duration such as `500ms`, `2s`, `1m` or `1h` (for `--timeout`).
pub fn parse_timeout(text: &str) -> Result<Duration, String> {
    super::policy_file::parse_duration(text)
        .ok_or_else(|| format!("`{text}` is not a duration (examples: 500ms, 2s, 1m)"))
}
