//! The operators whose bytecode is one generated instruction: numeric operators, loads and
//! stores, expanded from the op list in `ops.rs`.

use wasmparser::Operator;

use super::{TResult, Translator};
use crate::interp::ops::{Instr, for_each_op};

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
                    _ => return Ok(false),
                }
                Ok(true)
            }
        }
    };
}

for_each_op!(translate_simple!());
