//! [`Workers`]: an engine's background threads that compile hot functions for tier-up, started
//! the first time a function is found hot. They end when the engine is dropped.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, Weak};

use wexe_environ::LoopEntries;

use crate::module::ModuleInner;

/// A function to compile: a module (not kept alive by the request), a defined function, and
/// whether it is the function's on-stack-replacement entry.
type Job = (Weak<ModuleInner>, usize, Option<LoopEntries>);

pub(crate) struct Workers {
    jobs: Mutex<Sender<Job>>,
}

impl Workers {
    /// Starts `threads` compiling threads.
    pub fn start(threads: usize) -> Workers {
        let (tx, rx) = channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads {
            let rx = rx.clone();
            // A thread that cannot be started leaves the others (or none: then hot functions
            // stay interpreted).
            let _ = std::thread::Builder::new()
                .name(format!("wexe-tier-up-{i}"))
                .spawn(move || work(&rx));
        }
        Workers {
            jobs: Mutex::new(tx),
        }
    }

    /// Queues defined function `def` of `module` (or, with `osr`, its on-stack-replacement entry
    /// for those loops) for compilation.
    pub fn submit(&self, module: Weak<ModuleInner>, def: usize, osr: Option<LoopEntries>) {
        let jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        // Only fails once every thread is gone; the function then stays interpreted.
        let _ = jobs.send((module, def, osr));
    }
}

fn work(jobs: &Mutex<Receiver<Job>>) {
    loop {
        let job = jobs.lock().unwrap_or_else(|e| e.into_inner()).recv();
        let Ok((module, def, osr)) = job else { return };
        // A module dropped since it asked needs nothing.
        if let Some(module) = module.upgrade() {
            super::compile(&module, def, osr);
        }
    }
}
