//! The SIMD handlers: generated from the SIMD groups of the op list (`interp/simd/ops.rs`), and
//! the hand-written `simd_special` ones (two-cell copies, select and globals, `v128.store`,
//! shuffle, bitselect). A v128 operand is two consecutive cells, read and written through the
//! lane views' [`Cell`] implementations (`handlers.rs`).

use std::hint::unreachable_unchecked;
use std::ptr;

use super::dispatch::next;
use super::handlers::{Cell, decode, handlers, rd, wr};
use super::state::{Cx, Exit, Fp, Ip, trap};
use crate::Trap;
use crate::interp::ops::{Instr, for_each_op};
use crate::interp::simd::prelude::*;

/// Ends the run with an out-of-bounds trap unless `$size` bytes at `$ea` are in memory.
macro_rules! bounds {
    ($ea:expr, $size:expr, $len:ident, $cx:ident, $ip:ident) => {
        if $ea + $size > $len {
            return trap($cx, Trap::MemoryOutOfBounds, $ip);
        }
    };
}

macro_rules! gen_simd_handlers {
    (()
        unary { $($x1:tt)* }
        unary_trap { $($x2:tt)* }
        binary { $($x3:tt)* }
        binary_trap { $($x4:tt)* }
        branch_cmp { $($x5:tt)* }
        load { $($x6:tt)* }
        store { $($x7:tt)* }
        produce { $($x8:tt)* }
        special { $($x9:tt)* }
        simd_unary { $($vu:ident: $vui:ident -> $vuo:ident = $vuf:expr;)* }
        simd_binary { $($vb:ident: $vba:ident, $vbb:ident -> $vbo:ident = $vbf:expr;)* }
        simd_ternary { $($vt:ident: $vta:ident, $vtb:ident, $vtc:ident -> $vto:ident = $vtf:expr;)* }
        simd_load { $($vl:ident: $vlm:ident -> $vlo:ident = $vlf:expr;)* }
        simd_extract { $($vx:ident: $vxi:ident -> $vxo:ident = $vxf:expr;)* }
        simd_replace { $($vr:ident: $vri:ident, $vrx:ident = $vrf:expr;)* }
        simd_load_lane { $($vll:ident: $vllt:ident;)* }
        simd_store_lane { $($vsl:ident: $vslt:ident;)* }
        simd_special { $($vs:ident { $($vsf:ident: $vst:ty),* };)* }
    ) => {
        handlers! {
            $(fn $vu(ip, fp, cx, mem, len, acc) {
                decode!(ip, $vu { dst, src });
                let f: fn($vui) -> $vuo = $vuf;
                wr(fp, dst, f(rd(fp, src)));
                next!(ip.add(1), fp, cx, mem, len, acc)
            })*
            $(fn $vb(ip, fp, cx, mem, len, acc) {
                decode!(ip, $vb { dst, lhs, rhs });
                let f: fn($vba, $vbb) -> $vbo = $vbf;
                wr(fp, dst, f(rd(fp, lhs), rd(fp, rhs)));
                next!(ip.add(1), fp, cx, mem, len, acc)
            })*
            $(fn $vt(ip, fp, cx, mem, len, acc) {
                decode!(ip, $vt { dst, lhs, rhs });
                decode!(ip.add(1), Ext { a: third, b: _ });
                let f: fn($vta, $vtb, $vtc) -> $vto = $vtf;
                wr(fp, dst, f(rd(fp, lhs), rd(fp, rhs), rd(fp, third)));
                next!(ip.add(2), fp, cx, mem, len, acc)
            })*
            $(fn $vl(ip, fp, cx, mem, len, acc) {
                decode!(ip, $vl { dst, addr, offset });
                let ea = rd::<u32>(fp, addr) as usize + offset as usize;
                bounds!(ea, size_of::<$vlm>(), len, cx, ip);
                let f: fn($vlm) -> $vlo = $vlf;
                wr(fp, dst, f(ptr::read_unaligned(mem.add(ea) as *const $vlm)));
                next!(ip.add(1), fp, cx, mem, len, acc)
            })*
            $(fn $vx(ip, fp, cx, mem, len, acc) {
                decode!(ip, $vx { lane: l, dst, src });
                let f: fn($vxi, usize) -> $vxo = $vxf;
                wr(fp, dst, f(rd(fp, src), l as usize));
                next!(ip.add(1), fp, cx, mem, len, acc)
            })*
            $(fn $vr(ip, fp, cx, mem, len, acc) {
                decode!(ip, $vr { lane: l, dst, src, value });
                let f: fn($vri, usize, $vrx) -> $vri = $vrf;
                wr(fp, dst, f(rd(fp, src), l as usize, rd(fp, value)));
                next!(ip.add(1), fp, cx, mem, len, acc)
            })*
            $(fn $vll(ip, fp, cx, mem, len, acc) {
                decode!(ip, $vll { lane: l, dst, src, addr });
                decode!(ip.add(1), Ext { a: offset, b: _ });
                let ea = rd::<u32>(fp, addr) as usize + offset as usize;
                bounds!(ea, size_of::<$vllt>(), len, cx, ip);
                let x = ptr::read_unaligned(mem.add(ea) as *const $vllt);
                let v: [$vllt; 16 / size_of::<$vllt>()] = rd(fp, src);
                wr(fp, dst, set(v, l as usize, x));
                next!(ip.add(2), fp, cx, mem, len, acc)
            })*
            $(fn $vsl(ip, fp, cx, mem, len, acc) {
                decode!(ip, $vsl { lane: l, addr, value, offset });
                let ea = rd::<u32>(fp, addr) as usize + offset as usize;
                bounds!(ea, size_of::<$vslt>(), len, cx, ip);
                let v: [$vslt; 16 / size_of::<$vslt>()] = rd(fp, value);
                ptr::write_unaligned(mem.add(ea) as *mut $vslt, lane(v, l as usize));
                next!(ip.add(1), fp, cx, mem, len, acc)
            })*
        }
    };
}

for_each_op!(gen_simd_handlers!());

handlers! {
    fn CopyV128(ip, fp, cx, mem, len, acc) {
        decode!(ip, CopyV128 { dst, src });
        wr(fp, dst, rd::<v128>(fp, src));
        next!(ip.add(1), fp, cx, mem, len, acc)
    }

    fn SelectV128(ip, fp, cx, mem, len, acc) {
        decode!(ip, SelectV128 { dst, alt, cond });
        if rd::<u32>(fp, cond) == 0 {
            wr(fp, dst, rd::<v128>(fp, alt));
        }
        next!(ip.add(1), fp, cx, mem, len, acc)
    }

    fn GlobalGetV128(ip, fp, cx, mem, len, acc) {
        decode!(ip, GlobalGetV128 { dst, global });
        // A global's value is two cells (`[u64; 2]`) as well.
        let g = *(&*cx).inst.globals.get_unchecked(global as usize);
        wr(fp, dst, v128::rd(g));
        next!(ip.add(1), fp, cx, mem, len, acc)
    }

    fn GlobalSetV128(ip, fp, cx, mem, len, acc) {
        decode!(ip, GlobalSetV128 { src, global });
        let g = *(&*cx).inst.globals.get_unchecked(global as usize);
        v128::wr(g, rd(fp, src));
        next!(ip.add(1), fp, cx, mem, len, acc)
    }

    fn V128Store(ip, fp, cx, mem, len, acc) {
        decode!(ip, V128Store { addr, value, offset });
        let ea = rd::<u32>(fp, addr) as usize + offset as usize;
        bounds!(ea, 16, len, cx, ip);
        ptr::write_unaligned(mem.add(ea) as *mut v128, rd(fp, value));
        next!(ip.add(1), fp, cx, mem, len, acc)
    }

    fn I8x16Shuffle(ip, fp, cx, mem, len, acc) {
        decode!(ip, I8x16Shuffle { dst, lhs, rhs });
        decode!(ip.add(1), Ext { a: mask, b: _ });
        wr(fp, dst, shuffle(rd(fp, lhs), rd(fp, rhs), rd(fp, mask)));
        next!(ip.add(2), fp, cx, mem, len, acc)
    }

    fn I32x4Shuffle(ip, fp, cx, mem, len, acc) {
        decode!(ip, I32x4Shuffle { dst, lhs, rhs });
        decode!(ip.add(1), Ext { a: lanes, b: _ });
        wr(fp, dst, shuffle32(rd(fp, lhs), rd(fp, rhs), lanes));
        next!(ip.add(2), fp, cx, mem, len, acc)
    }

    fn V128Bitselect(ip, fp, cx, mem, len, acc) {
        decode!(ip, V128Bitselect { dst, lhs, rhs });
        decode!(ip.add(1), Ext { a: mask, b: _ });
        let (a, b, m) = (rd::<v128>(fp, lhs), rd::<v128>(fp, rhs), rd::<v128>(fp, mask));
        wr(fp, dst, (a & m) | (b & !m));
        next!(ip.add(2), fp, cx, mem, len, acc)
    }
}
