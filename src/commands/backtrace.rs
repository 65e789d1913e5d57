//! Trap reports: the trap's kind and the wasm backtrace, one line a frame
//! (`    0: 0x1a2 - app!core::panicking::panic`), with Rust and C++ names demangled and, when
//! `WEXE_BACKTRACE_DETAILS=1`, the source `file:line:column` from the module's DWARF sections.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use wexe::{FrameInfo, Trap, WasmBacktrace};

use wexe_debug::demangle;

use super::dwarf::LineTable;

/// The trap inside `err`, searching the whole chain of causes.
pub fn find_trap(err: &anyhow::Error) -> Option<Trap> {
    err.chain().find_map(|e| e.downcast_ref::<Trap>().copied())
}

/// Whether `err` ends a run as a trap does (reported with its backtrace, status 134): a trap, or
/// a wasm exception nothing caught.
pub fn ends_as_trap(err: &anyhow::Error) -> bool {
    find_trap(err).is_some() || err.downcast_ref::<wexe::ThrownException>().is_some()
}

/// Prints a trap (or an uncaught wasm exception) and its wasm backtrace to stderr and returns the exit status after a trap (134).
/// `module_bytes` gives the bytes of the module, read only when DWARF details are asked for.
pub fn report_trap(err: &anyhow::Error, module_bytes: &dyn Fn() -> Option<Vec<u8>>) -> ExitCode {
    if let Some(trap) = find_trap(err) {
        eprintln!("error: {trap}");
    } else if let Some(exn) = err.downcast_ref::<wexe::ThrownException>() {
        eprintln!("error: {exn}");
    }
    if let Some(bt) = err.downcast_ref::<WasmBacktrace>() {
        let details = std::env::var("WEXE_BACKTRACE_DETAILS").is_ok_and(|v| v == "1");
        let bytes = module_bytes();
        let has_dwarf = bytes.as_deref().is_some_and(LineTable::has_debug_info);
        let lines = if details {
            bytes.and_then(|b| LineTable::from_module(&b))
        } else {
            None
        };
        eprint!("{}", format_backtrace(bt, lines.as_ref()));
        if !details && has_dwarf {
            eprintln!("note: set WEXE_BACKTRACE_DETAILS=1 for source lines from the debug info");
        }
    }
    ExitCode::from(134)
}

/// A `WEXE_BACKTRACE_DETAILS` report for the bytes of a module file; `None` for text modules.
pub fn read_binary(path: &Path) -> Option<Vec<u8>> {
    std::fs::read(path).ok().filter(|b| b.starts_with(b"\0asm"))
}

/// The backtrace as text: innermost frame first; a run of identical frames folded into one line.
pub fn format_backtrace(bt: &WasmBacktrace, lines: Option<&LineTable>) -> String {
    let mut out = String::from("wasm backtrace:\n");
    let same = |a: &FrameInfo, b: &FrameInfo| {
        a.func_index == b.func_index && a.module_offset == b.module_offset
    };
    let mut i = 0;
    while i < bt.frames.len() {
        if bt.omitted > 0 && i == bt.frames.len() / 2 {
            let _ = writeln!(out, "        ... {} frames omitted ...", bt.omitted);
        }
        let fr = &bt.frames[i];
        let _ = write!(out, "    {i:>2}: ");
        if let Some(off) = fr.module_offset {
            let _ = write!(out, "{off:#x} - ");
        }
        if let Some(m) = &fr.module_name {
            out.push_str(m);
            out.push('!');
        }
        match &fr.func_name {
            Some(n) => out.push_str(&demangle(n)),
            None => {
                let _ = write!(out, "<wasm function {}>", fr.func_index);
            }
        }
        out.push('\n');
        if let (Some(table), Some(off)) = (lines, fr.module_offset)
            && let Some(loc) = table.lookup(off)
        {
            let _ = writeln!(out, "                at {loc}");
        }
        let run = bt.frames[i..].iter().take_while(|g| same(g, fr)).count();
        if run > 1 {
            let _ = writeln!(
                out,
                "        ... the frame above repeated {} more times",
                run - 1
            );
        }
        i += run;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_listed_with_offsets() {
        let frame = |i: u32, name: Option<&str>| FrameInfo {
            module_name: None,
            func_index: i,
            func_name: name.map(str::to_string),
            module_offset: Some(0x40 + i as usize),
        };
        let bt = WasmBacktrace {
            frames: vec![
                frame(2, Some("_Z3addii")),
                frame(2, Some("_Z3addii")),
                frame(0, None),
            ],
            omitted: 0,
        };
        assert_eq!(
            format_backtrace(&bt, None),
            "wasm backtrace:\n     0: 0x42 - add(int, int)\n        ... the frame above repeated 1 \
             more times\n     2: 0x40 - <wasm function 0>\n"
        );
    }
}
