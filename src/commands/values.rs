//! Values on the command line: `--invoke` arguments parsed to parameter types, and results
//! printed the way `wexe run --invoke` shows them.

use std::ffi::OsString;

use anyhow::{Result, anyhow, bail};
use wexe::{Val, ValType};

/// Converts command-line arguments to the parameter types of `name`.
pub fn parse_args(name: &str, params: &[ValType], args: &[OsString]) -> Result<Vec<Val>> {
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
pub fn parse_val(ty: ValType, s: &str) -> Option<Val> {
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
pub fn show_val(v: &Val) -> String {
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
