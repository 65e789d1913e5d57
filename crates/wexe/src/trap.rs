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
    /// An operator this build cannot execute yet (for example SIMD in the interpreter).
    Unsupported,
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
            Trap::Unsupported => "unsupported operator (not implemented in this tier yet)",
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

/// The wasm frames active when a trap happened, innermost first. Attached to trap errors as
/// context: `error.downcast_ref::<WasmBacktrace>()`.
#[derive(Clone, Debug, Default)]
pub struct WasmBacktrace {
    pub frames: Vec<FrameInfo>,
    /// How many frames in the middle of a very deep stack are not listed.
    pub omitted: usize,
}

impl fmt::Display for WasmBacktrace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "error while executing at wasm backtrace:")?;
        for (i, fr) in self.frames.iter().enumerate() {
            if self.omitted > 0 && i == self.frames.len() / 2 {
                writeln!(f, "        ... {} frames omitted ...", self.omitted)?;
            }
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
        }
        Ok(())
    }
}
