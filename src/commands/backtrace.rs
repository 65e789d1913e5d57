//! Trap reports: the trap's kind and the wasm backtrace, one line a frame
//! (`    0: 0x1a2 - app!core::panicking::panic`), with Rust and C++ names demangled and, when
//! `WEXE_BACKTRACE_DETAILS=1`, the source `file:line:column` from the module's DWARF sections.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use wexe::{FrameInfo, Trap, WasmBacktrace};

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

/// Mangled names longer than this are not demangled: a name comes from the module, which an
/// attacker wrote, and real symbols are far shorter.
const MAX_MANGLED: usize = 4096;
/// Demangled names longer than this are given up on (back-references make a demangled name
/// grow exponentially in the length of the mangled one): the raw name is shown instead.
const MAX_DEMANGLED: usize = 4096;
/// Raw names are cut to this many bytes when shown.
const MAX_SHOWN: usize = 1024;

/// A Rust (legacy or v0) or C++ (Itanium) symbol in readable form; other names as they are.
/// The work and the output are bounded: a name that is too long, or that would demangle to
/// too much, is shown raw (and cut to [`MAX_SHOWN`] bytes).
pub fn demangle(name: &str) -> String {
    if name.len() <= MAX_MANGLED
        && let Some(text) = demangled(name)
    {
        return text;
    }
    raw(name)
}

fn demangled(name: &str) -> Option<String> {
    let mut out = Bounded(String::new());
    if let Ok(d) = rustc_demangle::try_demangle(name) {
        return write!(out, "{d:#}").ok().map(|()| out.0);
    }
    if name.starts_with("_Z") {
        let sym = cpp_demangle::Symbol::new(name).ok()?;
        let options = cpp_demangle::DemangleOptions::default().recursion_limit(256);
        sym.structured_demangle(&mut out, &options).ok()?;
        return Some(out.0);
    }
    None
}

/// A string that refuses to grow past [`MAX_DEMANGLED`] bytes: writing fails there, which stops
/// the demangler's formatting at once.
struct Bounded(String);

impl std::fmt::Write for Bounded {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        if self.0.len() + s.len() > MAX_DEMANGLED {
            return Err(std::fmt::Error);
        }
        self.0.push_str(s);
        Ok(())
    }
}

fn raw(name: &str) -> String {
    if name.len() <= MAX_SHOWN {
        return name.to_string();
    }
    let mut end = MAX_SHOWN;
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}... ({} bytes)", &name[..end], name.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_demangled() {
        assert_eq!(
            demangle("_ZN4core9panicking5panic17h0123456789abcdefE"),
            "core::panicking::panic"
        );
        assert_eq!(demangle("_RNvCs1234_7mycrate3foo"), "mycrate::foo");
        assert_eq!(demangle("_Z3addii"), "add(int, int)");
        assert_eq!(demangle("main"), "main");
        assert_eq!(demangle("_Zbogus"), "_Zbogus");
    }

    /// A C++ name of a few hundred bytes whose back-references double (here: quadruple) the
    /// output at every level: demangled in full it would take terabytes.
    fn exponential_name(levels: usize) -> String {
        const DIGITS: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
        // Substitutions: S_ = f, S0_ = A, S1_ = A<int>; each level adds `A` again, then
        // itself: level k is S(2k+3)_ = A<S(2k+1)_ x4>, four copies of the level before.
        let mut name = String::from("_Z1fI1AIiE");
        for k in 0..levels {
            let s = format!("S{}_", DIGITS[2 * k + 1] as char);
            name.push_str(&format!("1AI{s}{s}{s}{s}E"));
        }
        name.push_str("EvT_");
        name
    }

    #[test]
    fn hostile_names_are_shown_raw_in_bounded_time() {
        let name = exponential_name(14);
        assert!(name.len() < 400, "{}", name.len());
        let start = std::time::Instant::now();
        let shown = demangle(&name);
        assert!(start.elapsed() < std::time::Duration::from_secs(2));
        assert!(shown.len() <= MAX_DEMANGLED, "{}", shown.len());
        // A long mangled name is not demangled at all, and shown cut.
        let long = format!("_Z{}", "1a".repeat(10_000));
        let shown = demangle(&long);
        assert!(shown.ends_with("... (20002 bytes)"), "{shown}");
        assert!(shown.len() < MAX_SHOWN + 40);
        // A multi-byte character at the cut does not split.
        let wide = "é".repeat(2000);
        assert!(demangle(&wide).starts_with("éé"));
    }

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
