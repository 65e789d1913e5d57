//! Symbol names in readable form: Rust (legacy and v0) and C++ (Itanium) names demangled, in
//! bounded time and space, for wexe's trap backtraces ([`demangle`]) and for the symbols of the
//! debug image ([`rust_symbol`]: how debuggers can find a Rust function by its path when the
//! module has no DWARF for it).

use std::fmt::Write as _;

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

/// A Rust symbol (`_R…` v0 or legacy `_ZN…17h…E`) as its path without crate hashes
/// (`fd_advise::main`), bounded as [`demangle`] is; `None` for other names and for names too
/// long to demangle.
pub fn rust_symbol(name: &str) -> Option<String> {
    if name.len() > MAX_MANGLED {
        return None;
    }
    let d = rustc_demangle::try_demangle(name).ok()?;
    let mut out = Bounded(String::new());
    write!(out, "{d:#}").ok().map(|()| out.0)
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
    fn rust_symbols_lose_their_hashes_and_other_names_are_not_rust() {
        assert_eq!(
            rust_symbol("_RNvCsd9sHpLIKM2M_9fd_advise4main").as_deref(),
            Some("fd_advise::main")
        );
        assert_eq!(
            rust_symbol("_ZN4core9panicking5panic17h0123456789abcdefE").as_deref(),
            Some("core::panicking::panic")
        );
        assert_eq!(rust_symbol("_Z3addii"), None);
        assert_eq!(rust_symbol("main"), None);
        assert_eq!(rust_symbol(&format!("_R{}", "a".repeat(MAX_MANGLED))), None);
    }
}
