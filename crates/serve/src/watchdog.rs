//! The request timeout, kept off the async runtime: a thread that wakes every few milliseconds
//! and fires the [`Cancel`] of every run past its deadline. A run that executes inline on an
//! async worker thread blocks that thread, so the runtime's own timers cannot be what stops
//! it; this thread always can. Arming and disarming a run is one uncontended lock each, with no
//! thread woken.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::runner::Cancel;

/// The runs being watched, and whether the watching thread should stop.
struct Watched {
    runs: Mutex<Runs>,
    stop: AtomicBool,
}

#[derive(Default)]
struct Runs {
    next_id: u64,
    deadlines: HashMap<u64, (Instant, Arc<Cancel>)>,
}

/// Fires the [`Cancel`] of each armed run whose deadline passed; stops its thread when dropped.
pub struct Watchdog {
    watched: Arc<Watched>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// A run being watched: dropping it (the run ended) stops the watching.
pub struct Armed {
    watched: Arc<Watched>,
    id: u64,
}

impl Watchdog {
    /// A watchdog whose thread looks every `tick` (the precision of the timeouts it enforces).
    pub fn start(tick: Duration) -> std::io::Result<Watchdog> {
        let watched = Arc::new(Watched {
            runs: Mutex::new(Runs::default()),
            stop: AtomicBool::new(false),
        });
        let w = watched.clone();
        let thread = std::thread::Builder::new()
            .name("wexe-serve-watchdog".into())
            .spawn(move || {
                while !w.stop.load(Ordering::Relaxed) {
                    std::thread::park_timeout(tick);
                    w.fire_expired(Instant::now());
                }
            })?;
        Ok(Watchdog {
            watched,
            thread: Some(thread),
        })
    }

    /// Watches a run: `cancel` fires at `deadline` unless the returned guard is dropped first.
    pub fn arm(&self, deadline: Instant, cancel: Arc<Cancel>) -> Armed {
        let mut runs = self.watched.lock();
        let id = runs.next_id;
        runs.next_id += 1;
        runs.deadlines.insert(id, (deadline, cancel));
        Armed {
            watched: self.watched.clone(),
            id,
        }
    }
}

impl Watched {
    fn lock(&self) -> std::sync::MutexGuard<'_, Runs> {
        self.runs.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn fire_expired(&self, now: Instant) {
        let mut runs = self.lock();
        runs.deadlines.retain(|_, (deadline, cancel)| {
            let expired = *deadline <= now;
            if expired {
                cancel.fire();
            }
            !expired
        });
    }
}

impl Drop for Armed {
    fn drop(&mut self) {
        self.watched.lock().deadlines.remove(&self.id);
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.watched.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            t.thread().unpark();
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fires_past_the_deadline_and_not_after_disarming() {
        let dog = Watchdog::start(Duration::from_millis(2)).unwrap();
        let late = Arc::new(Cancel::default());
        let done = Arc::new(Cancel::default());
        let _armed = dog.arm(Instant::now() + Duration::from_millis(20), late.clone());
        drop(dog.arm(Instant::now() + Duration::from_millis(20), done.clone()));
        assert!(!late.fired());
        std::thread::sleep(Duration::from_millis(60));
        assert!(late.fired());
        assert!(!done.fired());
    }
}
