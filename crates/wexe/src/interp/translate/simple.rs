//! The operators whose bytecode is one generated instruction: numeric operators, loads and
//! stores (scalar and SIMD), expanded from the op list in `ops.rs`. A SIMD operation's result
//! is a v128 when its type is 16 bytes.

use wasmparser::Operator;

use super::{TResult, Translator};
use crate::interp::ops::{Instr, for_each_op};
use crate::interp::simd::lanes::*;

macro_rules! translate_simple {
    (()
        unary { $($un:ident: $ui:ident -> $uo:ident = $uf:expr;)* }
        unary_trap { $($ut:ident: $uti:ident -> $uto:ident = $utf:expr;)* }
        binary { $($bn:ident $(($bi:ident))?: $ba:ident, $bb:ident -> $bo:ident = $bf:expr;)* }
        binary_trap { $($bt:ident: $bta:ident, $btb:ident -> $bto:ident = $btf:expr;)* }
        branch_cmp { $($bc:ident($bcmp:ident, $bneg:ident): $bct:ident = $bcf:expr;)* }
        load { $($ld:ident: $lm:ident => $lo:ident;)* }
        store { $($st:ident: $si:ident => $sm:ident;)* }
        produce { $($pr:ident { $($pf:ident: $pt:ty),* };)* }
        special { $($sp:ident { $($sf:ident: $stt:ty),* };)* }
        simd_unary { $($vu:ident: $vui:ident -> $vuo:ident = $vuf:expr;)* }
        simd_binary { $($vb:ident: $vba:ident, $vbb:ident -> $vbo:ident = $vbf:expr;)* }
        simd_load { $($vl:ident: $vlm:ident -> $vlo:ident = $vlf:expr;)* }
        simd_extract { $($vx:ident: $vxi:ident -> $vxo:ident = $vxf:expr;)* }
        simd_replace { $($vr:ident: $vri:ident, $vrx:ident = $vrf:expr;)* }
        simd_load_lane { $($vll:ident: $vllt:ident;)* }
        simd_store_lane { $($vsl:ident: $vslt:ident;)* }
        simd_special { $($vs:ident { $($vsf:ident: $vst:ty),* };)* }
    ) => {
        impl Translator<'_> {
            /// Translates an operator listed in the op list; `false` for any other operator.
            pub(super) fn translate_simple(&mut self, op: &Operator<'_>) -> TResult<bool> {
                match op {
                    $(Operator::$un => self.unary(|dst, src| Instr::$un { dst, src })?,)*
                    $(Operator::$ut => self.unary(|dst, src| Instr::$ut { dst, src })?,)*
                    $(Operator::$bn => self.binary(|dst, lhs, rhs| Instr::$bn { dst, lhs, rhs })?,)*
                    $(Operator::$bt => self.binary(|dst, lhs, rhs| Instr::$bt { dst, lhs, rhs })?,)*
                    $(Operator::$ld { memarg } => {
                        self.load(memarg, |dst, addr, offset| Instr::$ld { dst, addr, offset })?
                    })*
                    $(Operator::$st { memarg } => {
                        self.store(memarg, |addr, value, offset| Instr::$st { addr, value, offset })?
                    })*
                    $(Operator::$vu => {
                        self.unary_to(size_of::<$vuo>() == 16, |dst, src| Instr::$vu { dst, src })?
                    })*
                    $(Operator::$vb => self.binary_to(size_of::<$vbo>() == 16, |dst, lhs, rhs| {
                        Instr::$vb { dst, lhs, rhs }
                    })?,)*
                    $(Operator::$vl { memarg } => {
                        self.load_v128(memarg, |dst, addr, offset| Instr::$vl { dst, addr, offset })?
                    })*
                    $(Operator::$vx { lane } => self.unary_to(size_of::<$vxo>() == 16, |dst, src| {
                        Instr::$vx { lane: *lane, dst, src }
                    })?,)*
                    $(Operator::$vr { lane } => self.binary_to(true, |dst, src, value| {
                        Instr::$vr { lane: *lane, dst, src, value }
                    })?,)*
                    $(Operator::$vll { memarg, lane } => self.load_lane(memarg, |dst, src, addr| {
                        Instr::$vll { lane: *lane, dst, src, addr }
                    })?,)*
                    $(Operator::$vsl { memarg, lane } => self.store(memarg, |addr, value, offset| {
                        Instr::$vsl { lane: *lane, addr, value, offset }
                    })?,)*
                    _ => return Ok(false),
                }
                Ok(true)
            }
        }
    };
}

for_each_op!(translate_simple!());
