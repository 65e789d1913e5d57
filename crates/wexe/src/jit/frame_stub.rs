//! [`frame_stub!`]: the entry of a builtin that needs its compiled caller's frame — a few
//! instructions of assembly, called (never jumped to) by compiled code, so the frame pointer is
//! still the caller's and the return address is at the stack pointer; they pass both on as the
//! two arguments after the builtin's own and jump to its Rust body. `Throw` (`unwind.rs`) walks
//! the frames for handlers; `HostCall` (`builtins.rs`) ends the activation from there when a
//! host call fails.

/// `frame_stub!(name, body, x86_64: (fp_reg, ret_reg), aarch64: (fp_reg, ret_reg))`: a naked
/// `name` that calls `body` with the frame pointer in `fp_reg` and the return address in
/// `ret_reg` (the argument registers after the builtin's own).
macro_rules! frame_stub {
    ($(#[$doc:meta])* $vis:vis $name:ident => $body:path,
     x86_64: ($xfp:literal, $xret:literal), aarch64: ($afp:literal, $aret:literal)) => {
        $(#[$doc])*
        #[cfg(target_arch = "x86_64")]
        #[unsafe(naked)]
        $vis extern "C" fn $name() {
            std::arch::naked_asm!(
                concat!("mov ", $xfp, ", rbp"),
                concat!("mov ", $xret, ", [rsp]"),
                "jmp {body}",
                body = sym $body,
            )
        }

        $(#[$doc])*
        #[cfg(target_arch = "aarch64")]
        #[unsafe(naked)]
        $vis extern "C" fn $name() {
            std::arch::naked_asm!(
                concat!("mov ", $afp, ", x29"),
                concat!("mov ", $aret, ", x30"),
                "b {body}",
                body = sym $body,
            )
        }
    };
}

pub(super) use frame_stub;
