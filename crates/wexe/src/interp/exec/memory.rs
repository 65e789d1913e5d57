//! The handlers of memory and table operations other than the generated loads and stores:
//! `MemoryAt`/`MemoryRestore` (an access to a memory other than memory 0, to a 64-bit memory, or
//! with an offset of 2^32 or more), `memory.size`/`grow`, the bulk memory and table operations
//! (through `store/bulk.rs`, which takes each operand's cell as it is and reads it by the index
//! type of its memory or table) and `table.get`/`set`/`size`/`grow`.
//!
//! Memory 0's base and length travel in the handlers' registers; other memories are found
//! through the run state (`Cx::inst.memories`, then the store).

use std::hint::unreachable_unchecked;

use super::dispatch::next;
use super::grow;
use super::handlers::{decode, handlers, rd, wr};
use super::state::{Cx, Exit, Fp, Ip, error, trap};
use crate::Trap;
use crate::interp::ops::Instr;
use crate::store::bulk::{self, operand};

/// Ends the run with the trap of a failed bulk operation, or passes control on.
macro_rules! check {
    ($e:expr, $ip:ident, $fp:ident, $cx:ident, $mem:ident, $len:ident, $acc:ident) => {{
        if let Err(t) = $e {
            return trap($cx, t, $ip);
        }
        next!($ip.add(1), $fp, $cx, $mem, $len, $acc)
    }};
}

/// The store-wide index of the instance's table `t`.
#[inline(always)]
unsafe fn table(cx: *mut Cx, t: u32) -> u32 {
    unsafe { *(&*cx).inst.tables.get_unchecked(t as usize) }
}

/// The store-wide index of the instance's memory `m`.
#[inline(always)]
unsafe fn memory(cx: *mut Cx, m: u32) -> u32 {
    unsafe { *(&*cx).inst.memories.get_unchecked(m as usize) }
}

/// Ends the run with the error of a growth the store's resource limiter failed: a trap (with a
/// backtrace) when the error holds one, else the error itself.
#[cold]
#[inline(never)]
unsafe fn grow_error(cx: *mut Cx, e: anyhow::Error, ip: Ip) -> Exit {
    match e.downcast_ref::<Trap>() {
        Some(&t) => unsafe { trap(cx, t, ip) },
        None => unsafe { error(cx, e) },
    }
}

/// Reads the `Ext` operands that follow a bulk operation.
#[inline(always)]
pub(super) unsafe fn ext(ip: Ip) -> (u32, u32) {
    unsafe {
        decode!(ip.add(1), Ext { a, b });
        (a, b)
    }
}

/// A size or old size as the result of an operator on a memory or table indexed with `i64`
/// (`is64`) or `i32` (-1, `u64::MAX`, becomes the `i32` -1).
#[inline(always)]
fn size_result(v: u64, is64: bool) -> u64 {
    operand(v, is64)
}

handlers! {
    fn MemoryAt(ip, fp, cx, mem, len, acc) {
        decode!(ip, MemoryAt { addr, mem: m, index64 });
        let (lo, hi) = ext(ip);
        let offset = u64::from(hi) << 32 | u64::from(lo);
        let index = operand(rd::<u64>(fp, addr), index64);
        let memory = &mut (&mut *(*cx).inner).memories[memory(cx, m) as usize];
        let size = memory.len();
        match index.checked_add(offset) {
            Some(ea) if ea <= size as u64 => {
                let ea = ea as usize;
                next!(ip.add(2), fp, cx, memory.base().add(ea), size - ea, acc)
            }
            _ => trap(cx, Trap::MemoryOutOfBounds, ip),
        }
    }

    fn MemoryRestore(ip, fp, cx, mem, len, acc) {
        let c = &*cx;
        next!(ip.add(1), fp, cx, c.inst.mem_base, c.inst.mem_len, acc)
    }

    fn MemorySize(ip, fp, cx, mem, len, acc) {
        decode!(ip, MemorySize { dst, mem: m });
        let pages = (&*(*cx).inner).memories[memory(cx, m) as usize].pages();
        wr(fp, dst, pages);
        next!(ip.add(1), fp, cx, mem, len, acc)
    }

    fn MemoryGrow(ip, fp, cx, mem, len, acc) {
        decode!(ip, MemoryGrow { dst, delta, mem: m });
        let s = memory(cx, m);
        let is64 = (&*(*cx).inner).memories[s as usize].ty.memory64;
        let grown = match grow::grow_memory(cx, s, operand(rd(fp, delta), is64)) {
            Ok(grown) => grown,
            Err(e) => return grow_error(cx, e, ip),
        };
        wr(fp, dst, size_result(grown.unwrap_or(u64::MAX), is64));
        let c = &*cx;
        next!(ip.add(1), fp, cx, c.inst.mem_base, c.inst.mem_len, acc)
    }

    fn MemoryCopy(ip, fp, cx, mem, len, acc) {
        decode!(ip, MemoryCopy { dst, src, len: n });
        let (dm, sm) = ext(ip);
        let (dm, sm) = (memory(cx, dm), memory(cx, sm));
        let r = bulk::memory_copy(&mut *(*cx).inner, dm, sm, rd(fp, dst), rd(fp, src), rd(fp, n));
        let ip = ip.add(1);
        check!(r, ip, fp, cx, mem, len, acc)
    }

    fn MemoryFill(ip, fp, cx, mem, len, acc) {
        decode!(ip, MemoryFill { dst, value, len: n });
        let (m, _) = ext(ip);
        let v = rd::<u32>(fp, value) as u8;
        let r = bulk::memory_fill(&mut *(*cx).inner, memory(cx, m), rd(fp, dst), v, rd(fp, n));
        let ip = ip.add(1);
        check!(r, ip, fp, cx, mem, len, acc)
    }

    fn MemoryInit(ip, fp, cx, mem, len, acc) {
        decode!(ip, MemoryInit { dst, src, len: n });
        let (seg, m) = ext(ip);
        let c = &mut *cx;
        let args = [rd(fp, dst), rd(fp, src), rd(fp, n)];
        let r = bulk::memory_init(&mut *c.inner, c.inst.instance, memory(cx, m), seg, args);
        let ip = ip.add(1);
        check!(r, ip, fp, cx, mem, len, acc)
    }

    fn DataDrop(ip, fp, cx, mem, len, acc) {
        decode!(ip, DataDrop { seg });
        let c = &mut *cx;
        bulk::data_drop(&mut *c.inner, c.inst.instance, seg);
        next!(ip.add(1), fp, cx, mem, len, acc)
    }

    fn TableGet(ip, fp, cx, mem, len, acc) {
        decode!(ip, TableGet { dst, index, table: t });
        match bulk::table_get(&*(*cx).inner, table(cx, t), rd(fp, index)) {
            Ok(v) => *fp.add(dst as usize) = v,
            Err(e) => return trap(cx, e, ip),
        }
        next!(ip.add(1), fp, cx, mem, len, acc)
    }

    fn TableSet(ip, fp, cx, mem, len, acc) {
        decode!(ip, TableSet { index, value, table: t });
        let r = bulk::table_set(&mut *(*cx).inner, table(cx, t), rd(fp, index), *fp.add(value as usize));
        check!(r, ip, fp, cx, mem, len, acc)
    }

    fn TableSize(ip, fp, cx, mem, len, acc) {
        decode!(ip, TableSize { dst, table: t });
        let n = (&*(*cx).inner).tables[table(cx, t) as usize].elements.len();
        wr(fp, dst, n as u64);
        next!(ip.add(1), fp, cx, mem, len, acc)
    }

    fn TableGrow(ip, fp, cx, mem, len, acc) {
        decode!(ip, TableGrow { dst, init, delta });
        let (t, _) = ext(ip);
        let tab = table(cx, t);
        let is64 = (&*(*cx).inner).tables[tab as usize].ty.table64;
        let delta = operand(rd(fp, delta), is64);
        let r = match grow::grow_table(cx, tab, delta, *fp.add(init as usize)) {
            Ok(r) => r,
            Err(e) => return grow_error(cx, e, ip),
        };
        wr(fp, dst, size_result(r.unwrap_or(u64::MAX), is64));
        next!(ip.add(2), fp, cx, mem, len, acc)
    }

    fn TableFill(ip, fp, cx, mem, len, acc) {
        decode!(ip, TableFill { dst, value, len: n });
        let (t, _) = ext(ip);
        let v = *fp.add(value as usize);
        let r = bulk::table_fill(&mut *(*cx).inner, table(cx, t), rd(fp, dst), v, rd(fp, n));
        let ip = ip.add(1);
        check!(r, ip, fp, cx, mem, len, acc)
    }

    fn TableCopy(ip, fp, cx, mem, len, acc) {
        decode!(ip, TableCopy { dst, src, len: n });
        let (dt, st) = ext(ip);
        let args = [rd(fp, dst), rd(fp, src), rd(fp, n)];
        let r = bulk::table_copy(&mut *(*cx).inner, table(cx, dt), table(cx, st), args);
        let ip = ip.add(1);
        check!(r, ip, fp, cx, mem, len, acc)
    }

    fn TableInit(ip, fp, cx, mem, len, acc) {
        decode!(ip, TableInit { dst, src, len: n });
        let (t, seg) = ext(ip);
        let c = &mut *cx;
        let args = [rd(fp, dst), rd(fp, src), rd(fp, n)];
        let r = bulk::table_init(&mut *c.inner, c.inst.instance, table(cx, t), seg, args);
        let ip = ip.add(1);
        check!(r, ip, fp, cx, mem, len, acc)
    }

    fn ElemDrop(ip, fp, cx, mem, len, acc) {
        decode!(ip, ElemDrop { seg });
        let c = &mut *cx;
        bulk::elem_drop(&mut *c.inner, c.inst.instance, seg);
        next!(ip.add(1), fp, cx, mem, len, acc)
    }
}
