//! Function bodies are validated with WebAssembly 3.0's type system, which wasmparser gates
//! together with garbage collection, but GC's instructions (`struct.new`, `ref.cast`, `ref.i31`,
//! ...) are refused here, at validation, with the instruction's name and offset: wexe does not
//! implement GC, and a module using it must never start to run.

use wasmparser::{
    BinaryReaderError, FrameKind, FrameStack, FuncValidator, FunctionBody, ValidatorResources,
    VisitOperator, VisitSimdOperator,
};

use crate::parse::ParseError;

/// Validates one function body, refusing GC instructions.
pub(crate) fn validate_body(
    v: &mut FuncValidator<ValidatorResources>,
    body: &FunctionBody<'_>,
) -> Result<(), ParseError> {
    let mut reader = body.get_binary_reader();
    v.read_locals(&mut reader)?;
    reader.set_features(*v.features());
    while !reader.eof() {
        let offset = reader.original_position();
        let mut visitor = WithoutGc {
            inner: v.visitor(offset),
            offset,
        };
        reader.visit_operator(&mut visitor)??;
    }
    Ok(reader.finish_expression(&v.visitor(reader.original_position()))?)
}

/// The error for GC instruction `visit` (wasmparser's visitor name) at `offset`.
fn refusal(visit: &str, offset: u64) -> ParseError {
    let name = visit.trim_start_matches("visit_");
    // `struct_new` is written `struct.new`; `br_on_cast` keeps its underscores.
    let name = match name.starts_with("br_on_") {
        true => name.to_string(),
        false => name.replacen('_', ".", 1),
    };
    let message = crate::type_defs::gc_refusal(&format!("the instruction {name}"));
    ParseError { message, offset }
}

/// A validating visitor that refuses GC's instructions and passes the rest on.
struct WithoutGc<V> {
    inner: V,
    offset: u64,
}

macro_rules! forward_or_refuse {
    ($(@$proposal:ident $op:ident $({ $($arg:ident: $argty:ty),* })? => $visit:ident ($($ann:tt)*))*) => {
        $(
            fn $visit(&mut self $($(, $arg: $argty)*)?) -> Self::Output {
                forward_or_refuse!(@body $proposal self $visit $($($arg)*)?)
            }
        )*
    };
    (@body gc $self:ident $visit:ident $($arg:ident)*) => {{
        $(let _ = $arg;)*
        Err(refusal(stringify!($visit), $self.offset))
    }};
    (@body $other:ident $self:ident $visit:ident $($arg:ident)*) => {
        Ok($self.inner.$visit($($arg),*)?)
    };
}

macro_rules! forward_simd {
    ($(@$proposal:ident $op:ident $({ $($arg:ident: $argty:ty),* })? => $visit:ident ($($ann:tt)*))*) => {
        $(
            fn $visit(&mut self $($(, $arg: $argty)*)?) -> Self::Output {
                match self.inner.simd_visitor() {
                    Some(v) => Ok(v.$visit($($($arg),*)?)?),
                    None => Err(ParseError {
                        message: "SIMD instructions are turned off".to_string(),
                        offset: self.offset,
                    }),
                }
            }
        )*
    };
}

impl<'a, V> VisitOperator<'a> for WithoutGc<V>
where
    V: VisitOperator<'a, Output = Result<(), BinaryReaderError>>,
{
    type Output = Result<(), ParseError>;

    fn simd_visitor(&mut self) -> Option<&mut dyn VisitSimdOperator<'a, Output = Self::Output>> {
        Some(self)
    }

    wasmparser::for_each_visit_operator!(forward_or_refuse);
}

impl<'a, V> VisitSimdOperator<'a> for WithoutGc<V>
where
    V: VisitOperator<'a, Output = Result<(), BinaryReaderError>>,
{
    wasmparser::for_each_visit_simd_operator!(forward_simd);
}

impl<V: FrameStack> FrameStack for WithoutGc<V> {
    fn current_frame(&self) -> Option<FrameKind> {
        self.inner.current_frame()
    }
}
