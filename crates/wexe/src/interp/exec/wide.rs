//! The wide-arithmetic handlers (`i64.add128`, `i64.sub128`, `i64.mul_wide_s/u`): 128-bit
//! results written as two cells, low half first (`dst`, `dst + 1`: the two temporaries the
//! translator pushed), after every operand has been read, since `dst` may be an operand's cell.

use std::hint::unreachable_unchecked;

use super::dispatch::next;
use super::handlers::{decode, handlers, rd, wr};
use super::state::{Cx, Exit, Fp, Ip};
use crate::interp::ops::{Instr, Slot};

/// The 128-bit value whose halves are in cells `lo` and `hi`.
#[inline(always)]
unsafe fn rd_pair(fp: Fp, lo: Slot, hi: Slot) -> u128 {
    unsafe { rd::<u64>(fp, lo) as u128 | (rd::<u64>(fp, hi) as u128) << 64 }
}

/// Writes `v` to cells `dst` (low half) and `dst + 1` (high half).
#[inline(always)]
unsafe fn wr_pair(fp: Fp, dst: Slot, v: u128) {
    unsafe {
        wr(fp, dst, v as u64);
        wr(fp, dst + 1, (v >> 64) as u64);
    }
}

/// The handler of `i64.add128` or `i64.sub128`: `$op` is `wrapping_add` or `wrapping_sub`.
macro_rules! add_sub128 {
    ($($name:ident = $op:ident;)*) => {
        handlers! {
            $(fn $name(ip, fp, cx, mem, len, acc) {
                decode!(ip, $name { dst, lo, hi });
                decode!(ip.add(1), Ext { a: rhs_lo, b: rhs_hi });
                let v = rd_pair(fp, lo, hi).$op(rd_pair(fp, rhs_lo, rhs_hi));
                wr_pair(fp, dst, v);
                next!(ip.add(2), fp, cx, mem, len, acc)
            })*
        }
    };
}

add_sub128! {
    I64Add128 = wrapping_add;
    I64Sub128 = wrapping_sub;
}

handlers! {
    fn I64MulWideS(ip, fp, cx, mem, len, acc) {
        decode!(ip, I64MulWideS { dst, lhs, rhs });
        let v = rd::<i64>(fp, lhs) as i128 * rd::<i64>(fp, rhs) as i128;
        wr_pair(fp, dst, v as u128);
        next!(ip.add(1), fp, cx, mem, len, acc)
    }

    fn I64MulWideU(ip, fp, cx, mem, len, acc) {
        decode!(ip, I64MulWideU { dst, lhs, rhs });
        let v = rd::<u64>(fp, lhs) as u128 * rd::<u64>(fp, rhs) as u128;
        wr_pair(fp, dst, v);
        next!(ip.add(1), fp, cx, mem, len, acc)
    }
}
