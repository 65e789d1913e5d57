//! The request timeout, kept off the async runtime: a thread that sleeps until the earliest
//! deadline of the runs it watches and fires the [`Cancel`] of every run past it. A run that
//! executes on a thread the runtime cannot preempt blocks that thread, so the runtime's own
//! timers cannot be what stops it; this thread always can.
//!
//! Arming and disarming a run is one uncontended lock each. Arming wakes the thread only when
//! the new deadline is earlier than the one it sleeps until — with one timeout for every run,
//! never while runs are in flight, since each new deadline is later than those armed before;
//! with no run in flight the thread sleeps [`IDLE_SLEEP`] at a time, not on a fixed tick.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::Thread;
use std::time::{Duration, Instant};

use crate::runner::Cancel;

/// How long the thread sleeps when no run is armed (an arm with an earlier deadline wakes it).
pub const IDLE_SLEEP: Duration = Duration::from_secs(3600);

/// The runs being watched, and whether the watching thread should stop.
struct Watched {
    runs: Mutex<Runs>,
    stop: AtomicBool,
}

struct Runs {
    next_id: u64,
    deadlines: HashMap<u64, (Instant, Arc<Cancel>)>,
    /// When the watching thread wakes next by itself (it is woken for an earlier deadline).
    wakes_at: Instant,
    /// The watching thread, once it runs.
    thread: Option<Thread>,
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
    /// A watchdog whose thread fires each cancel at most `precision` past its deadline (plus
    /// the system's scheduling delay).
    pub fn start(precision: Duration) -> std::io::Result<Watchdog> {
        let now = Instant::now();
        let watched = Arc::new(Watched {
            runs: Mutex::new(Runs {
                next_id: 0,
                deadlines: HashMap::new(),
                // Until the thread runs, arming wakes it (a no-op) and it looks at once.
                wakes_at: now,
                thread: None,
            }),
            stop: AtomicBool::new(false),
        });
        let w = watched.clone();
        let thread = std::thread::Builder::new()
            .name("wexe-serve-watchdog".into())
            .spawn(move || {
                w.lock().thread = Some(std::thread::current());
                while !w.stop.load(Ordering::Relaxed) {
                    let now = Instant::now();
                    let wakes_at = w.fire_expired(now, precision);
                    std::thread::park_timeout(wakes_at.saturating_duration_since(now));
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
        if deadline < runs.wakes_at {
            runs.wakes_at = deadline;
            if let Some(t) = &runs.thread {
                t.unpark();
            }
        }
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

    /// Fires the expired runs' cancels; returns when to look next (and records it).
    fn fire_expired(&self, now: Instant, precision: Duration) -> Instant {
        let mut runs = self.lock();
        let mut next = now + IDLE_SLEEP;
        runs.deadlines.retain(|_, (deadline, cancel)| {
            let expired = *deadline <= now;
            if expired {
                cancel.fire();
            } else {
                next = next.min(*deadline);
            }
            !expired
        });
        // Runs whose deadlines are close together are fired by one wake-up.
        let next = if next < now + IDLE_SLEEP {
            next + precision
        } else {
            next
        };
        runs.wakes_at = next;
        next
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

    #[test]
    fn an_earlier_deadline_wakes_a_thread_sleeping_for_a_later_one() {
        let dog = Watchdog::start(Duration::from_millis(2)).unwrap();
        let far = Arc::new(Cancel::default());
        let near = Arc::new(Cancel::default());
        // Let the thread start and go to sleep, idle, then until the far deadline.
        std::thread::sleep(Duration::from_millis(20));
        let _far = dog.arm(Instant::now() + Duration::from_secs(60), far.clone());
        std::thread::sleep(Duration::from_millis(20));
        let _near = dog.arm(Instant::now() + Duration::from_millis(20), near.clone());
        std::thread::sleep(Duration::from_millis(200));
        assert!(near.fired());
        assert!(!far.fired());
    }

    #[test]
    fn sleeps_while_no_run_is_armed() {
        let dog = Watchdog::start(Duration::from_millis(2)).unwrap();
        // Whether the thread planned its next look an idle sleep away, within 5 s (its first
        // look may not come at once on a busy machine).
        let goes_idle = || {
            let give_up = Instant::now() + Duration::from_secs(5);
            loop {
                if dog.watched.lock().wakes_at > Instant::now() + IDLE_SLEEP / 2 {
                    return true;
                }
                if Instant::now() > give_up {
                    return false;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        };
        assert!(goes_idle());
        // Arming a run plans a look by its deadline; once it is disarmed, the thread goes
        // idle again.
        let armed = dog.arm(Instant::now() + Duration::from_secs(1), Arc::default());
        assert!(dog.watched.lock().wakes_at < Instant::now() + IDLE_SLEEP / 2);
        drop(armed);
        assert!(goes_idle());
    }
}
