//! `poll_oneoff`: waits for clock deadlines and for fds to become readable or writable.
//! Files, directories and in-memory stdio are always ready; inherited stdio and sockets are
//! polled on the host; with nothing ready the call sleeps until the earliest clock deadline.
//! The wait goes through [`crate::blocking::wait`]: an interruption of the store ends it.

use std::io::Seek;
use std::os::fd::BorrowedFd;
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags};

use crate::blocking;
use crate::errno::{Errno, WasiResult};
use crate::memory::GuestMemory;
use crate::preview1::WasiCtx;
use crate::preview1::clock::now;
use crate::table::Handle;
use crate::types::{Abi, eventtype, rights, size};

/// One event to report.
struct Event {
    userdata: u64,
    error: Errno,
    kind: u8,
    nbytes: u64,
    flags: u16,
}

impl Event {
    fn encode(&self) -> [u8; size::EVENT as usize] {
        let mut b = [0u8; size::EVENT as usize];
        b[0..8].copy_from_slice(&self.userdata.to_le_bytes());
        b[8..10].copy_from_slice(&(self.error as u16).to_le_bytes());
        b[10] = self.kind;
        b[16..24].copy_from_slice(&self.nbytes.to_le_bytes());
        b[24..26].copy_from_slice(&self.flags.to_le_bytes());
        b
    }
    fn error(userdata: u64, kind: u8, error: Errno) -> Event {
        Event {
            userdata,
            error,
            kind,
            nbytes: 0,
            flags: 0,
        }
    }
    fn ready(userdata: u64, kind: u8, nbytes: u64) -> Event {
        Event {
            userdata,
            error: Errno::Success,
            kind,
            nbytes,
            flags: 0,
        }
    }
}

/// A subscription as read from guest memory.
enum Sub {
    Clock {
        userdata: u64,
        id: u32,
        timeout: u64,
        abstime: bool,
    },
    Fd {
        userdata: u64,
        kind: u8,
        fd: u32,
    },
}

fn read_subs(mem: &GuestMemory, abi: Abi, ptr: u32, n: u32) -> WasiResult<Vec<Sub>> {
    let sz = abi.subscription_size();
    mem.slice(ptr, n.checked_mul(sz).ok_or(Errno::Fault)?)?;
    let mut subs = Vec::with_capacity(n as usize);
    for i in 0..n {
        let p = ptr + i * sz;
        let userdata = mem.read_u64(p)?;
        let kind = mem.read_u8(p + 8)?;
        subs.push(match kind {
            eventtype::CLOCK => {
                // preview1: id@16 timeout@24 flags@40; snapshot 0 has an identifier@16 first.
                let c = if abi == Abi::Preview1 { p + 16 } else { p + 24 };
                let flags = mem.read_u16(c + 24)?;
                Sub::Clock {
                    userdata,
                    id: mem.read_u32(c)?,
                    timeout: mem.read_u64(c + 8)?,
                    abstime: flags & eventtype::ABSTIME != 0,
                }
            }
            eventtype::FD_READ | eventtype::FD_WRITE => Sub::Fd {
                userdata,
                kind,
                fd: mem.read_u32(p + 16)?,
            },
            _ => return Err(Errno::Inval),
        });
    }
    Ok(subs)
}

/// The bytes a read would find at once, where the host can tell.
fn readable_bytes(h: &Handle) -> u64 {
    match h {
        Handle::File(f) => {
            let mut f = f;
            let len = f.metadata().map(|m| m.len()).unwrap_or(0);
            len.saturating_sub(f.stream_position().unwrap_or(len))
        }
        Handle::Stdin(i) => i.available().unwrap_or_else(|| {
            h.host_fd()
                .and_then(|fd| rustix::io::ioctl_fionread(fd).ok())
                .unwrap_or(0)
        }),
        Handle::Stream(s) => rustix::io::ioctl_fionread(s).unwrap_or(0),
        _ => 0,
    }
}

pub fn poll_oneoff(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory,
    abi: Abi,
    subs: u32,
    out: u32,
    nsubs: u32,
    nevents: u32,
) -> WasiResult<()> {
    if nsubs == 0 {
        return Err(Errno::Inval);
    }
    let subs = read_subs(mem, abi, subs, nsubs)?;
    mem.slice(out, nsubs.checked_mul(size::EVENT).ok_or(Errno::Fault)?)?;
    mem.slice(nevents, 4)?;

    let mut events: Vec<Event> = Vec::new();
    let mut clocks: Vec<(u64, Instant)> = Vec::new();
    // (userdata, kind, handle, host fd) of the subscriptions the host must poll.
    let mut waits: Vec<(u64, u8, &Handle, BorrowedFd<'_>)> = Vec::new();
    let start = Instant::now();
    for sub in &subs {
        match *sub {
            Sub::Clock {
                userdata,
                id,
                timeout,
                abstime,
            } => match now(id) {
                Err(e) => events.push(Event::error(userdata, eventtype::CLOCK, e)),
                Ok(t) => {
                    let wait = if abstime {
                        timeout.saturating_sub(t)
                    } else {
                        timeout
                    };
                    let deadline = start
                        .checked_add(Duration::from_nanos(wait))
                        .unwrap_or(start + Duration::from_secs(1 << 40));
                    clocks.push((userdata, deadline));
                }
            },
            Sub::Fd { userdata, kind, fd } => {
                let entry = match ctx.table.get(fd) {
                    Ok(e) => e,
                    Err(e) => {
                        events.push(Event::error(userdata, kind, e));
                        continue;
                    }
                };
                if let Err(e) = entry.need(rights::POLL_FD_READWRITE) {
                    events.push(Event::error(userdata, kind, e));
                    continue;
                }
                let h = &entry.handle;
                let host = match h {
                    Handle::Stdin(_)
                    | Handle::Stdout(_)
                    | Handle::Listener(_)
                    | Handle::Stream(_) => h.host_fd(),
                    _ => None,
                };
                match (host, h) {
                    (Some(fd), _) => waits.push((userdata, kind, h, fd)),
                    (None, Handle::Stdin(_)) if kind == eventtype::FD_WRITE => {
                        events.push(Event::error(userdata, kind, Errno::Badf))
                    }
                    (None, Handle::Stdout(_)) if kind == eventtype::FD_READ => {
                        events.push(Event::error(userdata, kind, Errno::Badf))
                    }
                    (None, _) => {
                        let n = if kind == eventtype::FD_READ {
                            readable_bytes(h)
                        } else {
                            0
                        };
                        events.push(Event::ready(userdata, kind, n));
                    }
                }
            }
        }
    }

    let mut pollfds: Vec<PollFd<'_>> = waits
        .iter()
        .map(|(_, kind, _, fd)| {
            let flags = if *kind == eventtype::FD_READ {
                PollFlags::IN
            } else {
                PollFlags::OUT
            };
            PollFd::from_borrowed_fd(*fd, flags)
        })
        .collect();
    let waiter = ctx.waiter.as_ref();
    loop {
        let deadline = if events.is_empty() {
            clocks.iter().map(|(_, d)| *d).min()
        } else {
            Some(Instant::now())
        };
        if pollfds.is_empty() && deadline.is_none() {
            break;
        }
        // Interruptible: an interruption of the store ends the call with its trap.
        blocking::wait(waiter, &mut pollfds, deadline)?;
        if !pollfds.is_empty() {
            for (pfd, (userdata, kind, h, _)) in pollfds.iter().zip(&waits) {
                let r = pfd.revents();
                if r.contains(PollFlags::NVAL) {
                    events.push(Event::error(*userdata, *kind, Errno::Badf));
                } else if r
                    .intersects(PollFlags::IN | PollFlags::OUT | PollFlags::HUP | PollFlags::ERR)
                {
                    let n = if *kind == eventtype::FD_READ {
                        readable_bytes(h)
                    } else {
                        0
                    };
                    let mut ev = Event::ready(*userdata, *kind, n);
                    if r.contains(PollFlags::HUP) {
                        ev.flags = eventtype::HANGUP;
                    }
                    events.push(ev);
                }
            }
        }
        if events.is_empty() {
            let now_i = Instant::now();
            for (userdata, d) in &clocks {
                if *d <= now_i {
                    events.push(Event::ready(*userdata, eventtype::CLOCK, 0));
                }
            }
        }
        if !events.is_empty() || (clocks.is_empty() && pollfds.is_empty()) {
            break;
        }
    }
    for (i, ev) in events.iter().enumerate() {
        mem.write_bytes(out + i as u32 * size::EVENT, &ev.encode())?;
    }
    mem.write_u32(nevents, events.len() as u32)
}
