//! Resource limits for a run, shared by `wexe run` (`--fuel`, `--timeout`,
//! `--max-memory-size`) and by programs started through binfmt (their policy's limits):
//! the engine settings they need, and arming them on a store.

use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::Result;
use wexe::{Config, Store};

use super::policy::Limits;

/// Turns on what the limits need in the engine's settings.
pub fn configure(config: &mut Config, limits: &Limits) {
    if let Some(bytes) = limits.max_memory {
        config.max_memory_size(bytes);
    }
    if limits.fuel.is_some() {
        config.consume_fuel(true);
    }
    if limits.timeout.is_some() {
        config.interruptible(true);
    }
}

/// Sets the store's fuel and starts the timeout's watchdog; the watchdog stops when the
/// returned guard is dropped (the run ended first).
pub fn arm<T: 'static>(store: &mut Store<T>, limits: &Limits) -> Result<Option<Watchdog>> {
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
