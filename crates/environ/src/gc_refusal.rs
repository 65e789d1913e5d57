//! Function bodies are validated with WebAssembly 3.0's type system, which wasmparser gates
//! together with garbage collection, but GC's instructions (`struct.new`, `ref.cast`, `ref.i31`,
//! ...) are refused here, at validation, with the instruction's name and offset: wexe does not
//! implement GC, and a module using it must never start to run.
//!
//! Every GC instruction is encoded either under the `0xfb` prefix, which holds nothing else, or
//! as `ref.eq` (`0xd3`), so a look at each instruction's first byte finds them: the bodies go
//! through wasmparser's own validating visitor untouched (a wrapping visitor cost about 10% of
//! the validation's instructions, measured on SQLite with callgrind).

use wasmparser::{BinaryReader, FrameStack, FuncValidator, FunctionBody, ValidatorResources};

use crate::parse::ParseError;

/// The prefix byte of the GC proposal's instructions.
const GC_PREFIX: u8 = 0xfb;
/// `ref.eq`, the one GC instruction outside the prefix.
const REF_EQ: u8 = 0xd3;

/// Validates one function body, refusing GC instructions.
pub(crate) fn validate_body(
    v: &mut FuncValidator<ValidatorResources>,
    body: &FunctionBody<'_>,
) -> Result<(), ParseError> {
    let mut reader = body.get_binary_reader();
    // The body's bytes, where `reader.current_position()` points.
    let data = reader.clone().read_bytes(reader.bytes_remaining())?;
    v.read_locals(&mut reader)?;
    reader.set_features(*v.features());
    while !reader.eof() {
        let offset = reader.original_position();
        if matches!(
            data.get(reader.current_position()),
            Some(&(GC_PREFIX | REF_EQ))
        ) {
            return Err(refusal(&reader, &v.visitor(offset), offset));
        }
        reader.visit_operator(&mut v.visitor(offset))??;
    }
    Ok(reader.finish_expression(&v.visitor(reader.original_position()))?)
}

/// The error for the GC instruction `reader` is at: `struct.new`, `br_on_cast`, ...
fn refusal(reader: &BinaryReader<'_>, frames: &impl FrameStack, offset: u64) -> ParseError {
    let name = match reader.peek_operator(frames) {
        Ok(op) => instruction_name(&format!("{op:?}")),
        // An undefined opcode under the prefix: wasmparser's own message.
        Err(e) => return e.into(),
    };
    let message = crate::type_defs::gc_refusal(&format!("the instruction {name}"));
    ParseError { message, offset }
}

/// The text-format name of an operator from its debug form: `StructNew { .. }` is
/// `struct.new`, `RefTestNonNull` `ref.test_non_null`, `BrOnCast { .. }` `br_on_cast`.
fn instruction_name(debug: &str) -> String {
    let camel = debug.split([' ', '{', '(']).next().unwrap_or_default();
    let mut snake = String::new();
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            snake.push('_');
        }
        snake.push(c.to_ascii_lowercase());
    }
    match snake.starts_with("br_on_") {
        true => snake,
        false => snake.replacen('_', ".", 1),
    }
}

#[cfg(test)]
mod tests {
    use crate::parse::{Features, parse_module};

    /// Each GC instruction is refused by name, at its offset; the rest of the module validates.
    #[test]
    fn gc_instructions_are_refused_by_name() {
        let features = Features::default().to_wasmparser();
        for (body, name) in [
            ("(drop (ref.i31 (i32.const 1)))", "ref.i31"),
            ("(drop (ref.eq (ref.null none) (ref.null none)))", "ref.eq"),
            (
                "(drop (ref.test (ref null func) (ref.null func)))",
                "ref.test_nullable",
            ),
            (
                "(drop (any.convert_extern (ref.null extern)))",
                "any.convert_extern",
            ),
        ] {
            let wat = format!("(module (func (drop (i32.const 0)) {body}))");
            let bytes = wat::parse_str(&wat).unwrap();
            let err = parse_module(&bytes, features).unwrap_err();
            assert!(
                err.message
                    .contains(&format!("the instruction {name} (garbage collection")),
                "{body}: {err}"
            );
            // The offset is the instruction's own.
            assert!(
                matches!(bytes[err.offset as usize], super::GC_PREFIX | super::REF_EQ),
                "{err}"
            );
        }
    }
}
