//! [`RunPool`]: the threads that run the programs, off the async runtime. One thread per core
//! takes the runs from one queue, each running the next as soon as it is done, so a steady
//! stream of short runs costs no thread switch beyond the hand-over itself (tokio's blocking
//! pool, which wakes an idle thread per task and grows to a thread per run in flight, spent
//! 1.45× the CPU per hello-world request in the comparison of docs/architecture.md).
//!
//! Long runs must not hold up short ones: when a run has not ended [`STALL`] after it was
//! queued (the server calls [`RunPool::unstall`] then) and runs wait while fewer threads than
//! cores are free of runs older than [`STALL`], the pool adds a thread, up to its maximum. A
//! queue that is merely long (a saturated server) adds none. Threads past one per core leave
//! after [`SPARE_IDLE`] without work.

use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How long a run may wait in the queue before the pool adds a thread for it.
pub const STALL: Duration = Duration::from_millis(2);
/// How long a thread past the core count waits for work before it leaves.
pub const SPARE_IDLE: Duration = Duration::from_secs(10);

type Job = Box<dyn FnOnce() + Send>;

struct Queue {
    jobs: VecDeque<Job>,
    /// Threads waiting for a job.
    idle: usize,
    /// Threads alive.
    threads: usize,
    /// When each job running now started, by the number of the thread that runs it.
    running: Vec<(u64, Instant)>,
    /// The number of the next thread.
    next_thread: u64,
    /// Set when the pool is dropped: the threads leave once the queue is empty.
    closing: bool,
}

struct Shared {
    queue: Mutex<Queue>,
    ready: Condvar,
    /// Threads kept however idle.
    core: usize,
    /// How long a run goes before its thread counts as held by a long run.
    stall: Duration,
    /// Threads at most.
    max: usize,
}

/// Threads running jobs from one queue: `core` always, up to `max` while runs stall.
pub struct RunPool {
    shared: Arc<Shared>,
}

impl RunPool {
    /// A pool of `core` threads (at least one) that grows to `max` while runs stall behind
    /// runs longer than [`STALL`].
    pub fn new(core: usize, max: usize) -> std::io::Result<RunPool> {
        RunPool::with_stall(core, max, STALL)
    }

    /// As [`RunPool::new`], with runs longer than `stall` counting as long.
    pub fn with_stall(core: usize, max: usize, stall: Duration) -> std::io::Result<RunPool> {
        let core = core.max(1);
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue {
                jobs: VecDeque::new(),
                idle: 0,
                threads: 0,
                running: Vec::new(),
                next_thread: 0,
                closing: false,
            }),
            ready: Condvar::new(),
            core,
            stall,
            max: max.max(core),
        });
        let pool = RunPool { shared };
        for _ in 0..core {
            pool.spawn_thread(&mut pool.shared.lock())?;
        }
        Ok(pool)
    }

    /// Queues `f`; its result arrives on the receiver (which reports a closed channel if `f`
    /// panicked).
    pub fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> tokio::sync::oneshot::Receiver<T> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = tx.send(f());
        });
        let mut queue = self.shared.lock();
        queue.jobs.push_back(job);
        let idle = queue.idle;
        drop(queue);
        if idle > 0 {
            self.shared.ready.notify_one();
        }
        rx
    }

    /// Adds a thread if runs wait, no thread is idle, and long runs hold all but fewer than
    /// a core's worth of threads; a thread that cannot be started leaves the runs to the
    /// threads there are.
    pub fn unstall(&self) {
        let mut queue = self.shared.lock();
        let now = Instant::now();
        let long = queue
            .running
            .iter()
            .filter(|(_, since)| now.duration_since(*since) >= self.shared.stall)
            .count();
        let free = queue.threads - long;
        if !queue.jobs.is_empty()
            && queue.idle == 0
            && free < self.shared.core
            && queue.threads < self.shared.max
        {
            let _ = self.spawn_thread(&mut queue);
        }
    }

    /// How long a run goes before it counts as long: when the server calls
    /// [`RunPool::unstall`] for a run not finished yet.
    pub fn stall(&self) -> Duration {
        self.shared.stall
    }

    /// Threads alive now.
    pub fn threads(&self) -> usize {
        self.shared.lock().threads
    }

    fn spawn_thread(&self, queue: &mut Queue) -> std::io::Result<()> {
        let shared = self.shared.clone();
        let number = queue.next_thread;
        std::thread::Builder::new()
            .name("wexe-run".into())
            // Room for the host functions and the interpreter's native frames of deep guests.
            .stack_size(8 << 20)
            .spawn(move || shared.work(number))?;
        queue.next_thread += 1;
        queue.threads += 1;
        Ok(())
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A thread's life: the next job, until the pool closes (or, for a spare thread, until
    /// it has waited [`SPARE_IDLE`] for one).
    fn work(&self, number: u64) {
        let mut queue = self.lock();
        loop {
            if let Some(job) = queue.jobs.pop_front() {
                queue.running.push((number, Instant::now()));
                drop(queue);
                // A panicking job drops its sender: the server answers 500.
                let _ = std::panic::catch_unwind(AssertUnwindSafe(job));
                queue = self.lock();
                queue.running.retain(|&(n, _)| n != number);
                continue;
            }
            if queue.closing {
                break;
            }
            queue.idle += 1;
            let (q, wait) = self
                .ready
                .wait_timeout(queue, SPARE_IDLE)
                .unwrap_or_else(|e| e.into_inner());
            queue = q;
            queue.idle -= 1;
            if wait.timed_out() && queue.jobs.is_empty() && queue.threads > self.core {
                break;
            }
        }
        queue.threads -= 1;
    }
}

impl Drop for RunPool {
    fn drop(&mut self) {
        self.shared.lock().closing = true;
        self.shared.ready.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Instant;

    #[test]
    fn runs_jobs_and_reports_a_panic_as_a_closed_channel() {
        let pool = RunPool::new(2, 4).unwrap();
        let answers: Vec<_> = (0..100).map(|i| pool.run(move || i * 2)).collect();
        for (i, rx) in answers.into_iter().enumerate() {
            assert_eq!(rx.blocking_recv().unwrap(), i * 2);
        }
        let rx = pool.run(|| -> u32 { panic!("a job panics") });
        assert!(rx.blocking_recv().is_err());
        assert_eq!(
            pool.run(|| 7).blocking_recv().unwrap(),
            7,
            "the pool survives"
        );
    }

    #[test]
    fn a_stalled_run_gets_a_thread_of_its_own() {
        let pool = RunPool::with_stall(1, 2, Duration::from_millis(1)).unwrap();
        let release = Arc::new(AtomicBool::new(false));
        let r = release.clone();
        let long = pool.run(move || {
            while !r.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(1));
            }
        });
        let short = pool.run(Instant::now);
        std::thread::sleep(Duration::from_millis(20));
        pool.unstall();
        let waited = Instant::now();
        let done = short.blocking_recv().unwrap();
        assert!(done.duration_since(waited) < Duration::from_secs(5));
        assert!(!release.load(Ordering::Relaxed), "ran beside the long run");
        assert_eq!(pool.threads(), 2);
        // At the maximum, no more threads.
        let _more = pool.run(|| ());
        pool.unstall();
        assert_eq!(pool.threads(), 2);
        release.store(true, Ordering::Relaxed);
        long.blocking_recv().unwrap();
    }

    #[test]
    fn a_long_queue_behind_short_runs_adds_no_thread() {
        // Runs count as long only after an hour: whatever the machine's load, the running
        // one is short, and a saturated pool keeps its size.
        let pool = RunPool::with_stall(1, 4, Duration::from_secs(3600)).unwrap();
        let (go, wait) = std::sync::mpsc::channel::<()>();
        let first = pool.run(move || wait.recv().unwrap());
        let queued: Vec<_> = (0..8).map(|i| pool.run(move || i)).collect();
        while pool.shared.lock().running.is_empty() {
            std::thread::sleep(Duration::from_millis(1));
        }
        pool.unstall();
        assert_eq!(pool.threads(), 1);
        go.send(()).unwrap();
        first.blocking_recv().unwrap();
        for (i, rx) in queued.into_iter().enumerate() {
            assert_eq!(rx.blocking_recv().unwrap(), i);
        }
    }
}
