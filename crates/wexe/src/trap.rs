//! [`Trap`]: the spec's trap kinds, and [`WasmBacktrace`]: the wasm frames active at a trap.

use std::fmt;

/// Why WebAssembly execution stopped abnormally. Found in errors with
/// `error.downcast_ref::<Trap>()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Trap {
    /// `unreachable` was executed.
    Unreachable,
    /// A load, store or bulk memory operation went out of bounds.
    MemoryOutOfBounds,
    /// A table access or bulk table operation went out of bounds.
    TableOutOfBounds,
    /// `call_indirect` with an index past the end of the table.
    UndefinedElement,
    /// `call_indirect` through a null table entry.
    UninitializedElement,
    /// `call_indirect` to a function of another type.
    IndirectCallTypeMismatch,
    /// Signed division overflow or a float-to-int conversion out of range.
    IntegerOverflow,
    /// Integer division or remainder by zero.
    IntegerDivisionByZero,
    /// A float-to-int conversion of NaN.
    BadConversionToInteger,
    /// Calls nested too deeply.
    StackOverflow,
    /// The store ran out of fuel.
    OutOfFuel,
    /// Execution was interrupted from outside.
    Interrupt,
    /// `ref.as_non_null`, `call_ref`, `return_call_ref` or `throw_ref` of a null reference.
    NullReference,
    /// An operator this build cannot execute yet (for example SIMD in the interpreter).
    Unsupported,
    /// A memory or table growth the store's [`crate::ResourceLimiter`] refused, when refusals
    /// trap ([`crate::StoreLimitsBuilder::trap_on_grow_failure`]).
    ResourceLimitExceeded,
}

impl Trap {
    /// The message the WebAssembly spec test suite uses for this trap.
    pub fn message(self) -> &'static str {
        match self {
            Trap::Unreachable => "unreachable",
            Trap::MemoryOutOfBounds => "out of bounds memory access",
            Trap::TableOutOfBounds => "out of bounds table access",
            Trap::UndefinedElement => "undefined element",
            Trap::UninitializedElement => "uninitialized element",
            Trap::IndirectCallTypeMismatch => "indirect call type mismatch",
            Trap::IntegerOverflow => "integer overflow",
            Trap::IntegerDivisionByZero => "integer divide by zero",
            Trap::BadConversionToInteger => "invalid conversion to integer",
            Trap::StackOverflow => "call stack exhausted",
            Trap::OutOfFuel => "all fuel consumed",
            Trap::Interrupt => "interrupted",
            Trap::NullReference => "null reference",
            Trap::Unsupported => "unsupported operator (not implemented in this tier yet)",
            Trap::ResourceLimitExceeded => "resource limit exceeded",
        }
    }
}

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "wasm trap: {}", self.message())
    }
}

impl std::error::Error for Trap {}

/// One wasm frame of a backtrace.
#[derive(Clone, Debug)]
pub struct FrameInfo {
    pub module_name: Option<String>,
    pub func_index: u32,
    pub func_name: Option<String>,
    /// Offset of the executing instruction within the module's bytes.
    pub module_offset: Option<usize>,
}

impl FrameInfo {
    /// The frame of function `func_index` of `module` at `module_offset`: what both tiers
    /// record for each frame of a trap.
    pub(crate) fn of(
        module: &crate::Module,
        func_index: u32,
        module_offset: Option<usize>,
    ) -> FrameInfo {
        FrameInfo {
            module_name: module.name().map(str::to_string),
            func_index,
            func_name: module.info().func_name(func_index).map(str::to_string),
            module_offset,
        }
    }
}

/// The backtrace policy of both tiers: a backtrace lists at most this many innermost and this
/// many outermost frames, and counts the frames between them in [`WasmBacktrace::omitted`].
/// (The JIT's signal handler keeps that many return addresses from each end in fixed arrays;
/// the interpreter picks the same frames from its frame stack.)
pub(crate) const BACKTRACE_ENDS: usize = 64;

/// The wasm frames active when a trap happened, innermost first. Attached to trap errors as
/// anyhow context, so it is found with `error.downcast_ref::<WasmBacktrace>()` (not by walking
/// `error.chain()`, which yields only the trap). Very deep stacks list their innermost and
/// outermost frames and count the rest in `omitted`.
#[derive(Clone, Debug, Default)]
pub struct WasmBacktrace {
    pub frames: Vec<FrameInfo>,
    /// How many frames in the middle of a very deep stack are not listed.
    pub omitted: usize,
}

/// The error `err` that ended a call out of wasm (a host function, or a nested run below it),
/// seen from the wasm frames that made the call: a trap gets `frames()` (those frames) after the
/// frames it already holds, as both tiers give it; any other error (an exit, a host error, an
/// exception with its own backtrace) is returned as it is.
pub(crate) fn below_frames(
    err: anyhow::Error,
    frames: impl FnOnce() -> WasmBacktrace,
) -> anyhow::Error {
    let Some(&trap) = err.downcast_ref::<Trap>() else {
        return err;
    };
    let ours = frames();
    let bt = match err.downcast_ref::<WasmBacktrace>() {
        Some(inner) => {
            let mut bt = inner.clone();
            bt.frames.extend(ours.frames);
            bt.omitted += ours.omitted;
            bt
        }
        None => ours,
    };
    anyhow::Error::new(trap).context(bt)
}

impl fmt::Display for WasmBacktrace {
    /// One line a frame, innermost first, as `    0: 0x1a2 - module!func`; a run of identical
    /// frames (deep recursion) is folded into one line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "error while executing at wasm backtrace:")?;
        let same = |a: &FrameInfo, b: &FrameInfo| {
            a.func_index == b.func_index
                && a.module_offset == b.module_offset
                && a.module_name == b.module_name
        };
        let mut i = 0;
        while i < self.frames.len() {
            if self.omitted > 0 && i == self.frames.len() / 2 {
                writeln!(f, "        ... {} frames omitted ...", self.omitted)?;
            }
            let fr = &self.frames[i];
            write!(f, "    {i:>2}: ")?;
            if let Some(off) = fr.module_offset {
                write!(f, "{off:#x} - ")?;
            }
            if let Some(m) = &fr.module_name {
                write!(f, "{m}!")?;
            }
            match &fr.func_name {
                Some(n) => writeln!(f, "{n}")?,
                None => writeln!(f, "<wasm function {}>", fr.func_index)?,
            }
            let run = self.frames[i..].iter().take_while(|g| same(g, fr)).count();
            if run > 1 {
                writeln!(
                    f,
                    "        ... the frame above repeated {} more times",
                    run - 1
                )?;
            }
            i += run;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backtraces_fold_repeated_frames() {
        let frame = |i: u32| FrameInfo {
            module_name: Some("m".to_string()),
            func_index: i,
            func_name: (i == 3).then(|| "main".to_string()),
            module_offset: Some(0x10 + i as usize),
        };
        let mut frames = vec![frame(1)];
        frames.extend(std::iter::repeat_n(frame(2), 50));
        frames.push(frame(3));
        let text = WasmBacktrace { frames, omitted: 0 }.to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            [
                "error while executing at wasm backtrace:",
                "     0: 0x11 - m!<wasm function 1>",
                "     1: 0x12 - m!<wasm function 2>",
                "        ... the frame above repeated 49 more times",
                "    51: 0x13 - m!main",
            ]
        );
    }
}
