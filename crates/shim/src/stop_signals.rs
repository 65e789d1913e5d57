//! Making `ctr task kill` (and a pod's termination) stop a wasm container.
//!
//! The program runs as the init process (PID 1) of the container's PID namespace, and the kernel
//! delivers to such a process only the signals it has a handler for (SIGKILL excepted): left at
//! their default, SIGTERM, SIGINT and SIGHUP from containerd would do nothing. WASI preview1
//! programs cannot handle signals, so these end the process as they end a native program,
//! with the status a shell shows for death by the signal (128 + its number).

/// The signals that stop a container: containerd's default for `kill` (SIGTERM), Ctrl-C on an
/// attached terminal (SIGINT) and a closed terminal (SIGHUP).
const STOP_SIGNALS: [libc::c_int; 3] = [libc::SIGTERM, libc::SIGINT, libc::SIGHUP];

extern "C" fn exit_on_signal(signal: libc::c_int) {
    // SAFETY: `_exit` is async-signal-safe; nothing is flushed or unwound.
    unsafe { libc::_exit(128 + signal) }
}

/// Installs the handlers that end the process on a stop signal. Called once the module is
/// loaded, just before the program runs.
pub fn exit_on_stop_signals() -> std::io::Result<()> {
    for signal in STOP_SIGNALS {
        // SAFETY: a zeroed sigaction with a plain handler, an empty mask and no flags is valid,
        // and the handler only calls `_exit`.
        let installed = unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction =
                exit_on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(signal, &action, std::ptr::null_mut())
        };
        if installed != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    // The shim's process may have blocked signals (its runtime waits for them); the program's
    // process must receive them.
    // SAFETY: a signal set built with sigemptyset/sigaddset, unblocked for this thread.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for signal in STOP_SIGNALS {
            libc::sigaddset(&mut set, signal);
        }
        libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
    }
    Ok(())
}
