//! Chooses the interpreter's dispatch: threaded (every handler tail-calls the next) where LLVM
//! turns those calls into jumps — optimised builds on x86-64 and aarch64 — and a trampoline loop
//! everywhere else (unoptimised builds would grow the native stack with every instruction).
//!
//! Also builds `src/vm/catch.c`, the sigsetjmp/siglongjmp pair the JIT uses to leave compiled
//! code on a trap.

fn main() {
    println!("cargo::rerun-if-changed=src/vm/catch.c");
    cc::Build::new()
        .file("src/vm/catch.c")
        .compile("wexe_catch");
    println!("cargo::rustc-check-cfg=cfg(wexe_tail_dispatch)");
    println!("cargo::rerun-if-env-changed=WEXE_LOOP_DISPATCH");
    let opt = std::env::var("OPT_LEVEL").unwrap_or_default();
    let arch = std::env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    let optimising = matches!(opt.as_str(), "2" | "3" | "s" | "z");
    let arch_ok = matches!(arch.as_str(), "x86_64" | "aarch64");
    if optimising && arch_ok && std::env::var_os("WEXE_LOOP_DISPATCH").is_none() {
        println!("cargo::rustc-cfg=wexe_tail_dispatch");
    }
}
