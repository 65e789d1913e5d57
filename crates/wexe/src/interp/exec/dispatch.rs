//! How control passes from one instruction's handler to the next.
//!
//! Every operation has a handler of the same name (`handlers.rs`, `calls.rs`, `simd.rs`), and
//! [`handler_of`] pairs them by name. Translated code is direct threaded: each instruction is
//! stored with its handler's address ([`crate::interp::Threaded`]). In optimised builds on x86-64
//! and aarch64 (`cfg(wexe_tail_dispatch)`, set by `build.rs`) a handler ends by calling the next
//! handler with the same arguments in tail position, which LLVM compiles to a jump: threaded
//! code with the interpreter's registers (instruction pointer, frame pointer, memory base and
//! length) kept in machine registers. Elsewhere the handlers return to a trampoline loop.

use super::handlers;
use super::state::{Cx, Exit, Fp, Ip};
use crate::interp::ops::{Instr, for_each_op};

/// The signature of every handler: instruction pointer, frame pointer, run state, memory base
/// and memory length. `C-unwind`: a panicking host function may unwind through.
pub(crate) type Handler = unsafe extern "C-unwind" fn(Ip, Fp, *mut Cx, *mut u8, usize) -> Exit;

macro_rules! handler_by_name {
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
        /// The handler of an instruction: the handler named like its operation. A match on the
        /// variant, not a table indexed by the tag, so that no order has to agree with the
        /// enum's: each arm pairs `Instr::X` with `handlers::X` by name, and the match is
        /// exhaustive, so an operation without its handler does not compile. (Only translation
        /// calls this, once per instruction; execution reads the handler stored beside it.)
        pub(crate) fn handler_of(instr: &Instr) -> Handler {
            match instr {
                $(Instr::$un { .. } => handlers::$un,)*
                $(Instr::$ut { .. } => handlers::$ut,)*
                $(Instr::$bn { .. } => handlers::$bn,)*
                $($(Instr::$bi { .. } => handlers::$bi,)?)*
                $(Instr::$bt { .. } => handlers::$bt,)*
                $(Instr::$bc { .. } => handlers::$bc,)*
                $(Instr::$ld { .. } => handlers::$ld,)*
                $(Instr::$lda { .. } => handlers::$lda,)*
                $(Instr::$st { .. } => handlers::$st,)*
                $(Instr::$sta { .. } => handlers::$sta,)*
                $(Instr::$pr { .. } => handlers::$pr,)*
                $(Instr::$sp { .. } => handlers::$sp,)*
                $(Instr::$vu { .. } => handlers::$vu,)*
                $(Instr::$vb { .. } => handlers::$vb,)*
                $(Instr::$vt { .. } => handlers::$vt,)*
                $(Instr::$vl { .. } => handlers::$vl,)*
                $(Instr::$vx { .. } => handlers::$vx,)*
                $(Instr::$vr { .. } => handlers::$vr,)*
                $(Instr::$vll { .. } => handlers::$vll,)*
                $(Instr::$vsl { .. } => handlers::$vsl,)*
                $(Instr::$vs { .. } => handlers::$vs,)*
            }
        }
    };
}

for_each_op!(handler_by_name!());

/// The handler of the instruction at `ip` (direct threading: it is stored beside it).
#[inline(always)]
pub(super) unsafe fn handler_at(ip: Ip) -> Handler {
    unsafe { (*ip).handler }
}

/// Passes control to the instruction at `$ip`; must be the last thing a handler does.
#[cfg(wexe_tail_dispatch)]
macro_rules! next {
    ($ip:expr, $fp:expr, $cx:expr, $mem:expr, $len:expr) => {{
        let ip: $crate::interp::exec::state::Ip = $ip;
        return $crate::interp::exec::dispatch::handler_at(ip)(ip, $fp, $cx, $mem, $len);
    }};
}

#[cfg(not(wexe_tail_dispatch))]
macro_rules! next {
    ($ip:expr, $fp:expr, $cx:expr, $mem:expr, $len:expr) => {{
        let regs = $crate::interp::exec::state::Regs {
            ip: $ip,
            fp: $fp,
            mem: $mem,
            len: $len,
        };
        (*$cx).regs = regs;
        return $crate::interp::exec::state::Exit::Continue;
    }};
}

pub(super) use next;

/// Runs from `ip` until the run ends.
pub(super) unsafe fn execute(ip: Ip, fp: Fp, cx: *mut Cx, mem: *mut u8, len: usize) -> Exit {
    // SAFETY: the caller set up a valid frame at `fp` and `cx` for the code at `ip`.
    unsafe {
        #[cfg(wexe_tail_dispatch)]
        {
            handler_at(ip)(ip, fp, cx, mem, len)
        }
        #[cfg(not(wexe_tail_dispatch))]
        {
            (*cx).regs = super::state::Regs { ip, fp, mem, len };
            loop {
                let r = (*cx).regs;
                let exit = handler_at(r.ip)(r.ip, r.fp, cx, r.mem, r.len);
                if exit != Exit::Continue {
                    return exit;
                }
            }
        }
    }
}
