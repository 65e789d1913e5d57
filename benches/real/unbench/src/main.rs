//! `unbench IN.wasm OUT.wasm`: rewrites a sightglass benchmark module so that it runs on any WASI
//! runtime. Sightglass modules import `bench.start` and `bench.end` (type `[] -> []`) to mark the
//! measured region; here those imports become local functions with empty bodies, every function
//! index is renumbered to match, and the custom sections (names, DWARF, producers) are dropped to
//! keep the vendored file small. Code is otherwise copied instruction by instruction.

use std::error::Error;
use wasm_encoder::reencode::{self, Reencode};
use wasmparser::{TypeRef, Validator};

/// Renumbering state: the `bench.*` imports must be the first function imports.
struct Unbench {
    /// Type index of each removed `bench.*` import, in import order.
    stubs: Vec<u32>,
    /// Function imports kept.
    kept_func_imports: u32,
}

impl Reencode for Unbench {
    type Error = String;

    fn function_index(&mut self, func: u32) -> Result<u32, reencode::Error<String>> {
        let n = self.stubs.len() as u32;
        Ok(if func < n {
            self.kept_func_imports + func
        } else if func < n + self.kept_func_imports {
            func - n
        } else {
            func
        })
    }

    fn parse_import_section(
        &mut self,
        imports: &mut wasm_encoder::ImportSection,
        section: wasmparser::ImportSectionReader<'_>,
    ) -> Result<(), reencode::Error<String>> {
        for group in section {
            for import in group? {
                let (_, import) = import?;
                match (import.module, import.ty) {
                    ("bench", TypeRef::Func(ty)) => {
                        if self.kept_func_imports > 0 {
                            return Err(reencode::Error::UserError(
                                "a bench.* import follows another function import".into(),
                            ));
                        }
                        self.stubs.push(ty);
                    }
                    ("bench", _) => {
                        return Err(reencode::Error::UserError(format!(
                            "bench.{} is not a function import",
                            import.name
                        )))
                    }
                    (_, ty) => {
                        if matches!(ty, TypeRef::Func(_)) {
                            self.kept_func_imports += 1;
                        }
                        imports.import(import.module, import.name, self.entity_type(ty)?);
                    }
                }
            }
        }
        Ok(())
    }

    fn parse_function_section(
        &mut self,
        functions: &mut wasm_encoder::FunctionSection,
        section: wasmparser::FunctionSectionReader<'_>,
    ) -> Result<(), reencode::Error<String>> {
        for &ty in &self.stubs {
            functions.function(ty);
        }
        reencode::utils::parse_function_section(self, functions, section)
    }

    fn parse_code_section(
        &mut self,
        code: &mut wasm_encoder::CodeSection,
        section: wasmparser::CodeSectionReader<'_>,
    ) -> Result<(), reencode::Error<String>> {
        for _ in &self.stubs {
            let mut body = wasm_encoder::Function::new([]);
            body.instructions().end();
            code.function(&body);
        }
        reencode::utils::parse_code_section(self, code, section)
    }

    fn parse_custom_section(
        &mut self,
        _module: &mut wasm_encoder::Module,
        _section: wasmparser::CustomSectionReader<'_>,
    ) -> Result<(), reencode::Error<String>> {
        Ok(())
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, input, output] = args.as_slice() else {
        return Err("usage: unbench IN.wasm OUT.wasm".into());
    };
    let bytes = std::fs::read(input)?;
    let mut tool = Unbench {
        stubs: Vec::new(),
        kept_func_imports: 0,
    };
    let mut module = wasm_encoder::Module::new();
    tool.parse_core_module(&mut module, wasmparser::Parser::new(0), &bytes)
        .map_err(|e| format!("{input}: {e:?}"))?;
    let out = module.finish();
    Validator::new()
        .validate_all(&out)
        .map_err(|e| format!("rewritten module invalid: {e}"))?;
    std::fs::write(output, out)?;
    eprintln!("{input}: {} bench.* imports made local", tool.stubs.len());
    Ok(())
}
