//! The handlers of all operations but calls and returns (`calls.rs`), the memory and table
//! operations (`memory.rs`), SIMD (`simd.rs`) and wide arithmetic (`wide.rs`): the numeric,
//! load and store handlers are generated from the op list; the others are written here.
//!
//! Every handler decodes its own instruction, does its work and passes control on with
//! [`next!`]. A trap ends the run through [`trap`].

use std::hint::unreachable_unchecked;
use std::ptr;

use super::dispatch::next;
use super::state::{Cx, Exit, Fp, Ip, trap};
use crate::Trap;
use crate::interp::ops::{AccResult, Instr, Slot, for_each_op};
use crate::interp::simd::lanes::*;

pub(super) use super::calls::{
    Call, CallIndirect, CallRef, RefAsNonNull, Return, ReturnCall, ReturnCallIndirect,
    ReturnCallRef, ReturnOne,
};
pub(super) use super::exn::{Throw, ThrowRef};
pub(super) use super::memory::*;
pub(super) use super::simd::*;
pub(super) use super::tier::{TierCount, TierCountOuter};
pub(super) use super::wide::*;

#[cfg(target_endian = "big")]
compile_error!("the interpreter assumes a little-endian host");

/// A value type stored in a 64-bit cell.
pub(super) trait Cell: Copy {
    unsafe fn rd(p: *const u64) -> Self;
    unsafe fn wr(p: *mut u64, v: Self);
}

macro_rules! cell {
    ($($t:ty: |$p:ident| $rd:expr, |$q:ident, $v:ident| $wr:expr;)*) => {$(
        impl Cell for $t {
            #[inline(always)]
            unsafe fn rd($p: *const u64) -> $t { unsafe { $rd } }
            #[inline(always)]
            unsafe fn wr($q: *mut u64, $v: $t) { unsafe { $wr } }
        }
    )*};
}

cell! {
    i32: |p| *p as u32 as i32, |p, v| *p = v as u32 as u64;
    u32: |p| *p as u32, |p, v| *p = v as u64;
    i64: |p| *p as i64, |p, v| *p = v as u64;
    u64: |p| *p, |p, v| *p = v;
    f32: |p| f32::from_bits(*p as u32), |p, v| *p = v.to_bits() as u64;
    f64: |p| f64::from_bits(*p), |p, v| *p = v.to_bits();
}

/// A v128 value in two cells (low half first), read as one of its lane views.
macro_rules! cell_v128 {
    ($($t:ty)*) => {$(
        impl Cell for $t {
            // Unaligned: cells are 8-byte aligned, `u128` may want 16. Every view is plain data,
            // and on a little-endian host the low cell holds the low lanes.
            #[inline(always)]
            unsafe fn rd(p: *const u64) -> $t {
                unsafe { ptr::read_unaligned(p as *const $t) }
            }
            #[inline(always)]
            unsafe fn wr(p: *mut u64, v: $t) {
                unsafe { ptr::write_unaligned(p as *mut $t, v) }
            }
        }
    )*};
}

cell_v128!(v128 i8x16 u8x16 i16x8 u16x8 i32x4 u32x4 i64x2 u64x2 f32x4 f64x2);

/// A right operand carried in the instruction: 32 bits, sign-extended for 64-bit operations.
trait Imm {
    fn from_imm(imm: u32) -> Self;
}

impl Imm for i32 {
    fn from_imm(imm: u32) -> i32 {
        imm as i32
    }
}
impl Imm for u32 {
    fn from_imm(imm: u32) -> u32 {
        imm
    }
}
impl Imm for i64 {
    fn from_imm(imm: u32) -> i64 {
        imm as i32 as i64
    }
}
impl Imm for u64 {
    fn from_imm(imm: u32) -> u64 {
        imm as i32 as i64 as u64
    }
}

#[inline(always)]
pub(super) unsafe fn rd<T: Cell>(fp: Fp, s: Slot) -> T {
    unsafe { T::rd(fp.add(s as usize)) }
}

#[inline(always)]
pub(super) unsafe fn wr<T: Cell>(fp: Fp, s: Slot, v: T) {
    unsafe { T::wr(fp.add(s as usize), v) }
}

/// Decodes the instruction at `$ip`, known to be a `$variant`.
macro_rules! decode {
    ($ip:expr, $variant:ident { $($field:tt)* }) => {
        let Instr::$variant { $($field)* } = (*$ip).instr else { unreachable_unchecked() };
    };
}
pub(super) use decode;

/// Defines handlers: `fn Name(ip, fp, cx, mem, len, acc) { body }`.
macro_rules! handlers {
    ($($(#[$doc:meta])* fn $name:ident($ip:ident, $fp:ident, $cx:ident, $mem:ident, $len:ident, $acc:ident) $body:block)*) => {$(
        $(#[$doc])*
        #[allow(non_snake_case, unused_variables, unused_unsafe)]
        pub(crate) unsafe extern "C-unwind" fn $name($ip: Ip, $fp: Fp, $cx: *mut Cx, $mem: *mut u8, $len: usize, $acc: u64) -> Exit {
            // SAFETY: `handler_of` pairs a handler with its own instruction only, with a
            // frame laid out for the function that contains it.
            unsafe { $body }
        }
    )*};
}
pub(super) use handlers;

/// The accumulator's value read as a `T` (as a cell holding the same bits would be).
#[inline(always)]
unsafe fn rd_acc<T: Cell>(acc: u64) -> T {
    unsafe { T::rd(&acc) }
}

/// `v` as the accumulator holds it (as a cell would).
#[inline(always)]
unsafe fn to_acc<T: Cell>(v: T) -> u64 {
    let mut acc = 0;
    unsafe { T::wr(&mut acc, v) };
    acc
}

/// The accumulator after an instruction whose result is `v`: `v` if its type is one the
/// accumulator takes (`AccResult`), else the accumulator as it was.
#[inline(always)]
unsafe fn result_acc<T: Cell + AccResult>(v: T, acc: u64) -> u64 {
    if T::IN_ACC { unsafe { to_acc(v) } } else { acc }
}

/// The `$m` at byte `$ea` of memory 0, or the end of the run with an out-of-bounds trap.
macro_rules! load_value {
    ($ea:expr, $m:ty, $ip:ident, $cx:ident, $mem:ident, $len:ident) => {{
        let ea = $ea;
        if ea + size_of::<$m>() > $len {
            return trap($cx, Trap::MemoryOutOfBounds, $ip);
        }
        ptr::read_unaligned($mem.add(ea) as *const $m)
    }};
}

/// The end of a load handler: reads a `$m` at byte `$ea` of memory 0 (trapping when out of
/// bounds) into cell `$dst` as a `$o`, and goes on.
macro_rules! load_at {
    ($ea:expr, $m:ty => $o:ty, $dst:expr, $ip:ident, $fp:ident, $cx:ident, $mem:ident, $len:ident, $acc:ident) => {{
        let v = load_value!($ea, $m, $ip, $cx, $mem, $len) as $o;
        wr::<$o>($fp, $dst, v);
        next!($ip.add(1), $fp, $cx, $mem, $len, result_acc(v, $acc))
    }};
}

/// The end of a store handler: writes `$v` as a `$m` at byte `$ea` of memory 0 (trapping when
/// out of bounds), and goes on.
macro_rules! store_at {
    ($ea:expr, $v:expr => $m:ty, $ip:ident, $fp:ident, $cx:ident, $mem:ident, $len:ident, $acc:ident) => {{
        let ea = $ea;
        if ea + size_of::<$m>() > $len {
            return trap($cx, Trap::MemoryOutOfBounds, $ip);
        }
        ptr::write_unaligned($mem.add(ea) as *mut $m, $v as $m);
        next!($ip.add(1), $fp, $cx, $mem, $len, $acc)
    }};
}

macro_rules! gen_handlers {
    (()
        unary { $($un:ident: $ui:ident -> $uo:ident = $uf:expr;)* }
        unary_trap { $($ut:ident: $uti:ident -> $uto:ident = $utf:expr;)* }
        binary { $($bn:ident $(($bi:ident))?: $ba:ident, $bb:ident -> $bo:ident = $bf:expr;)* }
        binary_trap { $($bt:ident: $bta:ident, $btb:ident -> $bto:ident = $btf:expr;)* }
        branch_cmp { $($bc:ident($bcmp:ident, $bneg:ident): $bct:ident = $bcf:expr;)* }
        load { $($ld:ident($lda:ident): $lm:ident => $lo:ident;)* }
        store { $($st:ident($sta:ident): $si:ident => $sm:ident;)* }
        produce { $($pr:ident { $($pf:ident: $pt:ty),* };)* }
        special { $($sp:ident { $($sf:ident: $stt:ty),* };)* }
        // The SIMD handlers are generated in `simd.rs`.
        $($simd:tt)*
    ) => {
        handlers! {
            $(fn $un(ip, fp, cx, mem, len, acc) {
                decode!(ip, $un { dst, src });
                let f: fn($ui) -> $uo = $uf;
                wr(fp, dst, f(rd(fp, src)));
                next!(ip.add(1), fp, cx, mem, len, acc)
            })*
            $(fn $ut(ip, fp, cx, mem, len, acc) {
                decode!(ip, $ut { dst, src });
                let f: fn($uti) -> Result<$uto, Trap> = $utf;
                match f(rd(fp, src)) {
                    Ok(v) => wr(fp, dst, v),
                    Err(t) => return trap(cx, t, ip),
                }
                next!(ip.add(1), fp, cx, mem, len, acc)
            })*
            $(fn $bn(ip, fp, cx, mem, len, acc) {
                decode!(ip, $bn { dst, lhs, rhs });
                let f: fn($ba, $bb) -> $bo = $bf;
                let v = f(rd(fp, lhs), rd(fp, rhs));
                wr(fp, dst, v);
                next!(ip.add(1), fp, cx, mem, len, result_acc(v, acc))
            })*
            $($(fn $bi(ip, fp, cx, mem, len, acc) {
                decode!(ip, $bi { dst, lhs, imm });
                let f: fn($ba, $bb) -> $bo = $bf;
                let v = f(rd(fp, lhs), <$bb as Imm>::from_imm(imm));
                wr(fp, dst, v);
                next!(ip.add(1), fp, cx, mem, len, to_acc(v))
            })?)*
            $(fn $bt(ip, fp, cx, mem, len, acc) {
                decode!(ip, $bt { dst, lhs, rhs });
                let f: fn($bta, $btb) -> Result<$bto, Trap> = $btf;
                match f(rd(fp, lhs), rd(fp, rhs)) {
                    Ok(v) => wr(fp, dst, v),
                    Err(t) => return trap(cx, t, ip),
                }
                next!(ip.add(1), fp, cx, mem, len, acc)
            })*
            $(fn $bc(ip, fp, cx, mem, len, acc) {
                decode!(ip, $bc { lhs, rhs, offset });
                let f: fn($bct, $bct) -> bool = $bcf;
                // Two dispatch sites, so that the condition is a predicted branch rather than
                // a data dependency of the next instruction's address.
                if f(rd(fp, lhs), rd(fp, rhs)) {
                    next!(ip.offset(offset as isize), fp, cx, mem, len, acc)
                }
                next!(ip.add(1), fp, cx, mem, len, acc)
            })*
            $(fn $ld(ip, fp, cx, mem, len, acc) {
                decode!(ip, $ld { dst, addr, offset });
                let ea = rd::<u32>(fp, addr) as usize + offset as usize;
                load_at!(ea, $lm => $lo, dst, ip, fp, cx, mem, len, acc)
            })*
            $(fn $lda(ip, fp, cx, mem, len, acc) {
                decode!(ip, $lda { dst, addr, imm });
                let ea = rd::<u32>(fp, addr).wrapping_add(imm) as usize;
                load_at!(ea, $lm => $lo, dst, ip, fp, cx, mem, len, acc)
            })*
            $(fn $st(ip, fp, cx, mem, len, acc) {
                decode!(ip, $st { addr, value, offset });
                let ea = rd::<u32>(fp, addr) as usize + offset as usize;
                store_at!(ea, rd::<$si>(fp, value) => $sm, ip, fp, cx, mem, len, acc)
            })*
            $(fn $sta(ip, fp, cx, mem, len, acc) {
                decode!(ip, $sta { addr, value, imm });
                let ea = rd::<u32>(fp, addr).wrapping_add(imm) as usize;
                store_at!(ea, rd::<$si>(fp, value) => $sm, ip, fp, cx, mem, len, acc)
            })*
        }
        // The accumulator forms.
        paste::paste! { handlers! {
            $($(
                fn [<$bn ToAcc>](ip, fp, cx, mem, len, acc) {
                    decode!(ip, [<$bn ToAcc>] { lhs, rhs });
                    let f: fn($ba, $bb) -> $bo = $bf;
                    next!(ip.add(1), fp, cx, mem, len, to_acc(f(rd(fp, lhs), rd(fp, rhs))))
                }
                fn [<$bn AccL>](ip, fp, cx, mem, len, acc) {
                    decode!(ip, [<$bn AccL>] { dst, rhs });
                    let f: fn($ba, $bb) -> $bo = $bf;
                    let v = f(rd_acc(acc), rd(fp, rhs));
                    wr(fp, dst, v);
                    next!(ip.add(1), fp, cx, mem, len, to_acc(v))
                }
                fn [<$bn AccR>](ip, fp, cx, mem, len, acc) {
                    decode!(ip, [<$bn AccR>] { dst, lhs });
                    let f: fn($ba, $bb) -> $bo = $bf;
                    let v = f(rd(fp, lhs), rd_acc(acc));
                    wr(fp, dst, v);
                    next!(ip.add(1), fp, cx, mem, len, to_acc(v))
                }
                fn [<$bn AccLToAcc>](ip, fp, cx, mem, len, acc) {
                    decode!(ip, [<$bn AccLToAcc>] { rhs });
                    let f: fn($ba, $bb) -> $bo = $bf;
                    next!(ip.add(1), fp, cx, mem, len, to_acc(f(rd_acc(acc), rd(fp, rhs))))
                }
                fn [<$bn AccRToAcc>](ip, fp, cx, mem, len, acc) {
                    decode!(ip, [<$bn AccRToAcc>] { lhs });
                    let f: fn($ba, $bb) -> $bo = $bf;
                    next!(ip.add(1), fp, cx, mem, len, to_acc(f(rd(fp, lhs), rd_acc(acc))))
                }
                fn [<$bi ToAcc>](ip, fp, cx, mem, len, acc) {
                    decode!(ip, [<$bi ToAcc>] { lhs, imm });
                    let f: fn($ba, $bb) -> $bo = $bf;
                    let v = f(rd(fp, lhs), <$bb as Imm>::from_imm(imm));
                    next!(ip.add(1), fp, cx, mem, len, to_acc(v))
                }
                fn [<$bi Acc>](ip, fp, cx, mem, len, acc) {
                    decode!(ip, [<$bi Acc>] { dst, imm });
                    let f: fn($ba, $bb) -> $bo = $bf;
                    let v = f(rd_acc(acc), <$bb as Imm>::from_imm(imm));
                    wr(fp, dst, v);
                    next!(ip.add(1), fp, cx, mem, len, to_acc(v))
                }
                fn [<$bi AccToAcc>](ip, fp, cx, mem, len, acc) {
                    decode!(ip, [<$bi AccToAcc>] { imm });
                    let f: fn($ba, $bb) -> $bo = $bf;
                    let v = f(rd_acc(acc), <$bb as Imm>::from_imm(imm));
                    next!(ip.add(1), fp, cx, mem, len, to_acc(v))
                }
            )?)*
            $(
                fn [<$bc AccL>](ip, fp, cx, mem, len, acc) {
                    decode!(ip, [<$bc AccL>] { rhs, offset });
                    let f: fn($bct, $bct) -> bool = $bcf;
                    if f(rd_acc(acc), rd(fp, rhs)) {
                        next!(ip.offset(offset as isize), fp, cx, mem, len, acc)
                    }
                    next!(ip.add(1), fp, cx, mem, len, acc)
                }
                fn [<$bc AccR>](ip, fp, cx, mem, len, acc) {
                    decode!(ip, [<$bc AccR>] { lhs, offset });
                    let f: fn($bct, $bct) -> bool = $bcf;
                    if f(rd(fp, lhs), rd_acc(acc)) {
                        next!(ip.offset(offset as isize), fp, cx, mem, len, acc)
                    }
                    next!(ip.add(1), fp, cx, mem, len, acc)
                }
            )*
            $(
                fn [<$ld ToAcc>](ip, fp, cx, mem, len, acc) {
                    decode!(ip, [<$ld ToAcc>] { addr, offset });
                    let ea = rd::<u32>(fp, addr) as usize + offset as usize;
                    let v = load_value!(ea, $lm, ip, cx, mem, len);
                    next!(ip.add(1), fp, cx, mem, len, to_acc(v as $lo))
                }
                fn [<$ld Acc>](ip, fp, cx, mem, len, acc) {
                    decode!(ip, [<$ld Acc>] { dst, offset });
                    let ea = rd_acc::<u32>(acc) as usize + offset as usize;
                    load_at!(ea, $lm => $lo, dst, ip, fp, cx, mem, len, acc)
                }
                fn [<$ld AccToAcc>](ip, fp, cx, mem, len, acc) {
                    decode!(ip, [<$ld AccToAcc>] { offset });
                    let ea = rd_acc::<u32>(acc) as usize + offset as usize;
                    let v = load_value!(ea, $lm, ip, cx, mem, len);
                    next!(ip.add(1), fp, cx, mem, len, to_acc(v as $lo))
                }
                fn [<$lda ToAcc>](ip, fp, cx, mem, len, acc) {
                    decode!(ip, [<$lda ToAcc>] { addr, imm });
                    let ea = rd::<u32>(fp, addr).wrapping_add(imm) as usize;
                    let v = load_value!(ea, $lm, ip, cx, mem, len);
                    next!(ip.add(1), fp, cx, mem, len, to_acc(v as $lo))
                }
            )*
            $(
                fn [<$st Acc>](ip, fp, cx, mem, len, acc) {
                    decode!(ip, [<$st Acc>] { addr, offset });
                    let ea = rd::<u32>(fp, addr) as usize + offset as usize;
                    store_at!(ea, rd_acc::<$si>(acc) => $sm, ip, fp, cx, mem, len, acc)
                }
                fn [<$st AccAddr>](ip, fp, cx, mem, len, acc) {
                    decode!(ip, [<$st AccAddr>] { value, offset });
                    let ea = rd_acc::<u32>(acc) as usize + offset as usize;
                    store_at!(ea, rd::<$si>(fp, value) => $sm, ip, fp, cx, mem, len, acc)
                }
                fn [<$sta Acc>](ip, fp, cx, mem, len, acc) {
                    decode!(ip, [<$sta Acc>] { addr, imm });
                    let ea = rd::<u32>(fp, addr).wrapping_add(imm) as usize;
                    store_at!(ea, rd_acc::<$si>(acc) => $sm, ip, fp, cx, mem, len, acc)
                }
            )*
        } }
    };
}

for_each_op!(gen_handlers!());

handlers! {
    fn Copy(ip, fp, cx, mem, len, acc) {
        decode!(ip, Copy { dst, src });
        *fp.add(dst as usize) = *fp.add(src as usize);
        next!(ip.add(1), fp, cx, mem, len, acc)
    }

    fn Br(ip, fp, cx, mem, len, acc) {
        decode!(ip, Br { offset });
        next!(ip.offset(offset as isize), fp, cx, mem, len, acc)
    }

    fn BrIfNez(ip, fp, cx, mem, len, acc) {
        decode!(ip, BrIfNez { cond, offset });
        if rd::<u32>(fp, cond) != 0 {
            next!(ip.offset(offset as isize), fp, cx, mem, len, acc)
        }
        next!(ip.add(1), fp, cx, mem, len, acc)
    }

    fn BrIfEqz(ip, fp, cx, mem, len, acc) {
        decode!(ip, BrIfEqz { cond, offset });
        if rd::<u32>(fp, cond) == 0 {
            next!(ip.offset(offset as isize), fp, cx, mem, len, acc)
        }
        next!(ip.add(1), fp, cx, mem, len, acc)
    }

    fn BrIfNezAcc(ip, fp, cx, mem, len, acc) {
        decode!(ip, BrIfNezAcc { offset });
        if rd_acc::<u32>(acc) != 0 {
            next!(ip.offset(offset as isize), fp, cx, mem, len, acc)
        }
        next!(ip.add(1), fp, cx, mem, len, acc)
    }

    fn BrIfEqzAcc(ip, fp, cx, mem, len, acc) {
        decode!(ip, BrIfEqzAcc { offset });
        if rd_acc::<u32>(acc) == 0 {
            next!(ip.offset(offset as isize), fp, cx, mem, len, acc)
        }
        next!(ip.add(1), fp, cx, mem, len, acc)
    }

    fn BrTable(ip, fp, cx, mem, len, acc) {
        decode!(ip, BrTable { index, len: n });
        next!(ip.add(1 + rd::<u32>(fp, index).min(n) as usize), fp, cx, mem, len, acc)
    }

    fn Unreachable(ip, fp, cx, mem, len, acc) {
        trap(cx, Trap::Unreachable, ip)
    }

    fn Unsupported(ip, fp, cx, mem, len, acc) {
        trap(cx, Trap::Unsupported, ip)
    }

    fn Check(ip, fp, cx, mem, len, acc) {
        let c = &mut *cx;
        let inner = &mut *c.inner;
        if inner.interrupt.flag.load(std::sync::atomic::Ordering::Relaxed) {
            return trap(cx, Trap::Interrupt, ip);
        }
        if c.consume_fuel {
            if inner.fuel == 0 {
                return trap(cx, Trap::OutOfFuel, ip);
            }
            inner.fuel -= 1;
        }
        next!(ip.add(1), fp, cx, mem, len, acc)
    }

    fn Ext(ip, fp, cx, mem, len, acc) {
        next!(ip.add(1), fp, cx, mem, len, acc)
    }

    fn Select(ip, fp, cx, mem, len, acc) {
        decode!(ip, Select { dst, alt, cond });
        if rd::<u32>(fp, cond) == 0 {
            *fp.add(dst as usize) = *fp.add(alt as usize);
        }
        next!(ip.add(1), fp, cx, mem, len, acc)
    }

    fn GlobalGet(ip, fp, cx, mem, len, acc) {
        decode!(ip, GlobalGet { dst, global });
        *fp.add(dst as usize) = **(&*cx).inst.globals.get_unchecked(global as usize);
        next!(ip.add(1), fp, cx, mem, len, acc)
    }

    fn GlobalSet(ip, fp, cx, mem, len, acc) {
        decode!(ip, GlobalSet { src, global });
        **(&*cx).inst.globals.get_unchecked(global as usize) = *fp.add(src as usize);
        next!(ip.add(1), fp, cx, mem, len, acc)
    }

    fn RefFunc(ip, fp, cx, mem, len, acc) {
        decode!(ip, RefFunc { dst, func });
        *fp.add(dst as usize) = *(&*cx).inst.funcs.get_unchecked(func as usize) as u64 + 1;
        next!(ip.add(1), fp, cx, mem, len, acc)
    }
}
