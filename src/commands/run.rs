//! `wexe run`: loads a module (binary or text), links its imports, and runs it: its `_start`
//! function, or with `--invoke NAME` one export called with arguments from the command line,
//! printing the results one per line.
//!
//! Everything that can go wrong before the program runs is an error (exit status 1); a trap
//! prints the trap and the wasm backtrace and exits with 134.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use wexe::{Engine, Func, Linker, Module, Store, Trap, Val, ValType, WasmBacktrace};

use super::TierArg;

const EXAMPLES: &str = "\
Examples:
  wexe run hello.wasm                 run the program's `_start`
  wexe hello.wasm a b                 the same, shorter; `a` and `b` are the program's arguments
  wexe run --invoke add add.wat 2 3   call the export `add` with 2 and 3 and print the result (5)
  wexe run --invoke scale m.wasm -1.5 inf   numbers may be negative, inf or nan";

/// Run a WebAssembly module (a .wasm binary or a .wat text file)
#[derive(Args)]
#[command(after_help = EXAMPLES)]
pub struct RunCommand {
    /// Which execution tier runs the code
    #[arg(long, value_enum, default_value_t)]
    tier: TierArg,

    /// Call the exported function NAME instead of `_start`: ARGS become its parameters
    /// (integers in decimal or 0x hex, floats in decimal, inf or nan) and its results are
    /// printed one per line
    #[arg(long, value_name = "NAME")]
    invoke: Option<String>,

    /// The module, then the program's arguments; everything after FILE belongs to the program
    #[arg(value_names = ["FILE", "ARGS"], required = true, trailing_var_arg = true)]
    module_and_args: Vec<OsString>,
}

/// The host state of a running program. WASI's context (arguments, environment, preopened
/// directories) will live here.
#[derive(Default)]
pub struct Host {}

impl RunCommand {
    pub fn execute(self) -> Result<ExitCode> {
        let mut rest = self.module_and_args.into_iter();
        let file = PathBuf::from(rest.next().context("no module file given")?);
        let args: Vec<OsString> = rest.collect();

        let engine = Engine::new(&self.tier.config())?;
        let module = load_module(&engine, &file)?;
        let mut store = Store::new(&engine, Host::default());
        let linker = make_linker(&engine, &mut store, &file, &args)?;
        let instance = match linker.instantiate(&mut store, &module) {
            Ok(instance) => instance,
            Err(e) if find_trap(&e).is_some() => return Ok(report_trap(&e)),
            Err(e) => return Err(e.context(format!("cannot instantiate {}", file.display()))),
        };

        let (name, func, params) = match &self.invoke {
            Some(name) => {
                let func = instance.get_func(&mut store, name).ok_or_else(|| {
                    let names = exported_funcs(&module);
                    anyhow!("the module has no exported function `{name}` (its functions: {names})")
                })?;
                let ty = func.ty(&store);
                let params = parse_args(name, ty.params(), &args)?;
                (name.as_str(), func, params)
            }
            None => {
                let func = instance.get_func(&mut store, "_start").ok_or_else(|| {
                    anyhow!(
                        "{} has no `_start` function to run; use `--invoke NAME` to call one of \
                         its exports (its functions: {})",
                        file.display(),
                        exported_funcs(&module)
                    )
                })?;
                (&*"_start", func, Vec::new())
            }
        };
        let results = match call(&mut store, func, &params) {
            Ok(results) => results,
            Err(e) if find_trap(&e).is_some() => return Ok(report_trap(&e)),
            Err(e) => return Err(e.context(format!("`{name}` failed"))),
        };
        if self.invoke.is_some() {
            for val in &results {
                println!("{}", show_val(val));
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// Reads and compiles a `.wasm` or `.wat` file.
fn load_module(engine: &Engine, path: &Path) -> Result<Module> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let binary = if bytes.starts_with(b"\0asm") {
        bytes
    } else {
        wat::Parser::new()
            .parse_bytes(Some(path), &bytes)
            .map_err(|e| anyhow!("{e}"))
            .with_context(|| format!("invalid module {}", path.display()))?
            .into_owned()
    };
    Module::from_binary(engine, &binary)
        .with_context(|| format!("invalid module {}", path.display()))
}

/// Builds the linker that resolves the program's imports. This is the place where WASI
/// (`wasi_snapshot_preview1`) gets defined, with `args` as the program's arguments (after
/// `program`, its `argv[0]`) and the capabilities given by the command line.
fn make_linker(
    engine: &Engine,
    _store: &mut Store<Host>,
    _program: &Path,
    _args: &[OsString],
) -> Result<Linker<Host>> {
    let linker = Linker::new(engine);
    Ok(linker)
}

fn call(store: &mut Store<Host>, func: Func, params: &[Val]) -> Result<Vec<Val>> {
    let ty = func.ty(&*store);
    let mut results: Vec<Val> = ty.results().iter().map(|&t| Val::default_for(t)).collect();
    func.call(&mut *store, params, &mut results)?;
    Ok(results)
}

/// The names of the module's exported functions, for error messages.
fn exported_funcs(module: &Module) -> String {
    let names: Vec<&str> = module
        .exports()
        .filter(|e| matches!(e.ty(), wexe::ExternType::Func(_)))
        .map(|e| e.name())
        .collect();
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}

/// The trap inside `err`, searching the whole chain of causes.
fn find_trap(err: &anyhow::Error) -> Option<Trap> {
    err.chain().find_map(|e| e.downcast_ref::<Trap>().copied())
}

/// Prints a trap and its wasm backtrace to stderr; the exit status after a trap is 134.
fn report_trap(err: &anyhow::Error) -> ExitCode {
    if let Some(trap) = find_trap(err) {
        eprintln!("error: {trap}");
    }
    match err.downcast_ref::<WasmBacktrace>() {
        Some(bt) => eprint!("{bt}"),
        None => eprintln!("{err:?}"),
    }
    ExitCode::from(134)
}

/// Converts command-line arguments to the parameter types of `name`.
fn parse_args(name: &str, params: &[ValType], args: &[OsString]) -> Result<Vec<Val>> {
    if params.len() != args.len() {
        let types: Vec<String> = params.iter().map(|t| t.to_string()).collect();
        bail!(
            "`{name}` takes {} argument{} ({}), got {}",
            params.len(),
            if params.len() == 1 { "" } else { "s" },
            types.join(", "),
            args.len()
        );
    }
    let mut vals = Vec::with_capacity(args.len());
    for (i, (ty, arg)) in params.iter().zip(args).enumerate() {
        let text = arg.to_string_lossy();
        let val = parse_val(*ty, &text).ok_or_else(|| {
            anyhow!(
                "argument {} of `{name}` must be of type {ty}, got `{text}`",
                i + 1
            )
        })?;
        vals.push(val);
    }
    Ok(vals)
}

/// Parses one value of type `ty`: integers in decimal or `0x` hex with an optional sign
/// (unsigned values that fit the width wrap, so `0xffffffff` is an i32 -1), floats as Rust
/// parses them (`1.5`, `-2e3`, `inf`, `nan`), v128 as one 128-bit integer, references as `null`.
pub(crate) fn parse_val(ty: ValType, s: &str) -> Option<Val> {
    match ty {
        ValType::I32 => parse_int(s, 32).map(|v| Val::I32(v as i32)),
        ValType::I64 => parse_int(s, 64).map(|v| Val::I64(v as i64)),
        ValType::V128 => parse_int(s, 128).map(|v| Val::V128(v as u128)),
        ValType::F32 => s.parse::<f32>().ok().map(Val::from),
        ValType::F64 => s.parse::<f64>().ok().map(Val::from),
        ValType::FuncRef => (s == "null").then_some(Val::FuncRef(None)),
        ValType::ExternRef => (s == "null").then_some(Val::ExternRef(None)),
    }
}

/// An integer of `bits` width, as its two's complement bits (in an i128).
fn parse_int(s: &str, bits: u32) -> Option<i128> {
    let (neg, digits) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let (radix, digits) = match digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        Some(hex) => (16, hex),
        None => (10, digits),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = u128::from_str_radix(digits, radix).ok()?;
    let max_unsigned = if bits == 128 {
        u128::MAX
    } else {
        (1u128 << bits) - 1
    };
    let min_magnitude = 1u128 << (bits - 1);
    if neg {
        (magnitude <= min_magnitude).then(|| (magnitude as i128).wrapping_neg())
    } else {
        (magnitude <= max_unsigned).then_some(magnitude as i128)
    }
}

/// A result as `wexe run --invoke` prints it: integers as signed decimal, floats as Rust
/// displays them.
pub(crate) fn show_val(v: &Val) -> String {
    match v {
        Val::I32(x) => x.to_string(),
        Val::I64(x) => x.to_string(),
        Val::F32(b) => f32::from_bits(*b).to_string(),
        Val::F64(b) => f64::from_bits(*b).to_string(),
        Val::V128(x) => format!("{x:#034x}"),
        Val::FuncRef(None) | Val::ExternRef(None) => "null".to_string(),
        Val::FuncRef(Some(_)) => "<funcref>".to_string(),
        Val::ExternRef(Some(_)) => "<externref>".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_accept_sign_hex_and_unsigned_range() {
        let i32v = |s| parse_val(ValType::I32, s).and_then(|v| v.i32());
        assert_eq!(i32v("5"), Some(5));
        assert_eq!(i32v("-5"), Some(-5));
        assert_eq!(i32v("+7"), Some(7));
        assert_eq!(i32v("0x10"), Some(16));
        assert_eq!(i32v("-0x10"), Some(-16));
        assert_eq!(i32v("0xffffffff"), Some(-1));
        assert_eq!(i32v("4294967295"), Some(-1));
        assert_eq!(i32v("-2147483648"), Some(i32::MIN));
        assert_eq!(i32v("4294967296"), None);
        assert_eq!(i32v("-2147483649"), None);
        assert_eq!(i32v(""), None);
        assert_eq!(i32v("-"), None);
        assert_eq!(i32v("0x"), None);
        assert_eq!(i32v("12a"), None);
        assert_eq!(i32v("1.5"), None);
        let i64v = |s| parse_val(ValType::I64, s).and_then(|v| v.i64());
        assert_eq!(i64v("-9223372036854775808"), Some(i64::MIN));
        assert_eq!(i64v("0xffffffffffffffff"), Some(-1));
        assert_eq!(i64v("18446744073709551616"), None);
        assert_eq!(
            parse_val(ValType::V128, "0x1").and_then(|v| v.v128()),
            Some(1)
        );
    }

    #[test]
    fn floats_accept_inf_and_nan() {
        let f32v = |s| parse_val(ValType::F32, s).and_then(|v| v.f32());
        assert_eq!(f32v("1.5"), Some(1.5));
        assert_eq!(f32v("-inf"), Some(f32::NEG_INFINITY));
        assert!(f32v("nan").unwrap().is_nan());
        assert_eq!(f32v("x"), None);
        let f64v = |s| parse_val(ValType::F64, s).and_then(|v| v.f64());
        assert_eq!(f64v("-2e3"), Some(-2000.0));
        assert_eq!(f64v("inf"), Some(f64::INFINITY));
    }

    #[test]
    fn results_print_as_signed_decimal_and_float_display() {
        assert_eq!(show_val(&Val::I32(-1)), "-1");
        assert_eq!(show_val(&Val::I64(i64::MAX)), "9223372036854775807");
        assert_eq!(show_val(&Val::from(2.5f32)), "2.5");
        assert_eq!(show_val(&Val::from(f64::NEG_INFINITY)), "-inf");
        assert_eq!(show_val(&Val::FuncRef(None)), "null");
    }

    #[test]
    fn wrong_argument_count_and_type_are_errors() {
        let os = |v: &[&str]| v.iter().map(OsString::from).collect::<Vec<_>>();
        let params = [ValType::I32, ValType::F64];
        let e = parse_args("f", &params, &os(&["1"])).unwrap_err();
        assert_eq!(e.to_string(), "`f` takes 2 arguments (i32, f64), got 1");
        let e = parse_args("f", &params, &os(&["1", "x"])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "argument 2 of `f` must be of type f64, got `x`"
        );
        let vals = parse_args("f", &params, &os(&["1", "2"])).unwrap();
        assert_eq!((vals[0].i32(), vals[1].f64()), (Some(1), Some(2.0)));
    }
}
