//! `clock_res_get`, `clock_time_get`, `random_get`, `sched_yield` and `proc_raise`.

use rustix::time::{ClockId, Timespec};

use crate::errno::{Errno, WasiResult};
use crate::memory::GuestMemory;
use crate::preview1::WasiCtx;
use crate::types::clockid;

/// The host clock for a WASI clock id, or `Inval`.
pub(crate) fn host_clock(id: u32) -> WasiResult<ClockId> {
    Ok(match id {
        clockid::REALTIME => ClockId::Realtime,
        clockid::MONOTONIC => ClockId::Monotonic,
        clockid::PROCESS_CPUTIME_ID => ClockId::ProcessCPUTime,
        clockid::THREAD_CPUTIME_ID => ClockId::ThreadCPUTime,
        _ => return Err(Errno::Inval),
    })
}

/// A timespec in nanoseconds (saturating; clocks here are never negative).
pub(crate) fn ts_nanos(t: Timespec) -> u64 {
    (t.tv_sec.max(0) as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(t.tv_nsec.max(0) as u64)
}

/// The current time of a WASI clock in nanoseconds.
pub(crate) fn now(id: u32) -> WasiResult<u64> {
    Ok(ts_nanos(rustix::time::clock_gettime(host_clock(id)?)))
}

pub fn clock_res_get(
    _ctx: &mut WasiCtx,
    mem: &mut GuestMemory,
    id: u32,
    res: u32,
) -> WasiResult<()> {
    let clock = host_clock(id)?;
    mem.write_u64(res, ts_nanos(rustix::time::clock_getres(clock)).max(1))
}

pub fn clock_time_get(
    _ctx: &mut WasiCtx,
    mem: &mut GuestMemory,
    id: u32,
    _precision: u64,
    time: u32,
) -> WasiResult<()> {
    let t = now(id)?;
    mem.write_u64(time, t)
}

pub fn random_get(_ctx: &mut WasiCtx, mem: &mut GuestMemory, buf: u32, len: u32) -> WasiResult<()> {
    let mut out = mem.slice_mut(buf, len)?;
    while !out.is_empty() {
        let n = rustix::rand::getrandom(&mut *out, rustix::rand::GetRandomFlags::empty())?;
        out = &mut out[n..];
    }
    Ok(())
}

pub fn sched_yield(_ctx: &mut WasiCtx, _mem: &mut GuestMemory) -> WasiResult<()> {
    std::thread::yield_now();
    Ok(())
}

/// Signals are not delivered to guests: raising signal 0 ("none") succeeds and does nothing,
/// raising a real one is `NoSys`, and a value past the spec's last signal is `Inval`.
pub fn proc_raise(_ctx: &mut WasiCtx, _mem: &mut GuestMemory, sig: u32) -> WasiResult<()> {
    match sig {
        0 => Ok(()),
        1..=30 => Err(Errno::NoSys),
        _ => Err(Errno::Inval),
    }
}
