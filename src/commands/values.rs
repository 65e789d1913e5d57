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
/// parses them (`1.5`, `-2e3`, `inf`, `nan`), v128 as one 128-bit integer (lane 0 in the low
/// bits) or lane by lane as `SHAPE:LANE,LANE,...` with lane 0 first (`i32x4:1,2,3,-1`,
/// `f32x4:1.5,0,nan,-inf`, `i8x16:...`), references as `null`.
pub fn parse_val(ty: ValType, s: &str) -> Option<Val> {
    match ty {
        ValType::I32 => parse_int(s, 32).map(|v| Val::I32(v as i32)),
        ValType::I64 => parse_int(s, 64).map(|v| Val::I64(v as i64)),
        ValType::V128 => parse_v128(s).map(Val::V128),
        ValType::F32 => s.parse::<f32>().ok().map(Val::from),
        ValType::F64 => s.parse::<f64>().ok().map(Val::from),
        // Only a nullable reference can be given (as `null`).
        ValType::Ref(r) => (r.nullable && s == "null").then(|| Val::default_for(ty)),
    }
}

/// A v128 as one integer or as `SHAPE:LANES` (see [`parse_val`]).
fn parse_v128(s: &str) -> Option<u128> {
    let Some((shape, lanes)) = s.split_once(':') else {
        return parse_int(s, 128).map(|v| v as u128);
    };
    let lanes: Vec<&str> = lanes.split(',').map(str::trim).collect();
    let (count, bits, float) = match shape {
        "i8x16" => (16, 8, false),
        "i16x8" => (8, 16, false),
        "i32x4" => (4, 32, false),
        "i64x2" => (2, 64, false),
        "f32x4" => (4, 32, true),
        "f64x2" => (2, 64, true),
        _ => return None,
    };
    if lanes.len() != count {
        return None;
    }
    let mut v = 0u128;
    for (i, lane) in lanes.iter().enumerate() {
        let lane_bits = match (float, bits) {
            (false, _) => parse_int(lane, bits)? as u128 & (u128::MAX >> (128 - bits)),
            (true, 32) => lane.parse::<f32>().ok()?.to_bits() as u128,
            (true, _) => lane.parse::<f64>().ok()?.to_bits() as u128,
        };
        v |= lane_bits << (i as u32 * bits);
    }
    Some(v)
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
/// displays them, v128 as a 128-bit hex integer (lane 0 in the low bits).
pub fn show_val(v: &Val) -> String {
    match v {
        Val::I32(x) => x.to_string(),
        Val::I64(x) => x.to_string(),
        Val::F32(b) => f32::from_bits(*b).to_string(),
        Val::F64(b) => f64::from_bits(*b).to_string(),
        Val::V128(x) => format!("{x:#034x}"),
        Val::FuncRef(None) | Val::ExternRef(None) | Val::ExnRef(None) | Val::AnyRef(None) => {
            "null".to_string()
        }
        Val::AnyRef(Some(never)) => match *never {},
        Val::ExnRef(Some(_)) => "<exnref>".to_string(),
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
    }

    #[test]
    fn v128_accepts_one_integer_or_lanes() {
        let v128 = |s| parse_val(ValType::V128, s).and_then(|v| v.v128());
        assert_eq!(v128("0x1"), Some(1));
        assert_eq!(v128("-1"), Some(u128::MAX));
        assert_eq!(
            v128("i32x4:1,2,3,-1"),
            Some(0xffffffff_00000003_00000002_00000001)
        );
        assert_eq!(
            v128("i8x16:0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,255"),
            Some(0xff0e0d0c_0b0a0908_07060504_03020100)
        );
        assert_eq!(
            v128("i16x8:-1,0,0,0,0,0,0,0x8000"),
            Some(0x8000 << 112 | 0xffff)
        );
        assert_eq!(
            v128("i64x2:0x10, -2"),
            Some((u64::MAX as u128 - 1) << 64 | 0x10)
        );
        let bits = (2.5f32.to_bits() as u128) << 32 | 1.0f32.to_bits() as u128;
        assert_eq!(v128("f32x4:1,2.5,0,0"), Some(bits));
        assert_eq!(
            v128("f64x2:-0,inf"),
            Some((f64::INFINITY.to_bits() as u128) << 64 | (-0.0f64).to_bits() as u128)
        );
        assert_eq!(v128("i32x4:1,2,3"), None);
        assert_eq!(v128("i32x4:1,2,3,0x100000000"), None);
        assert_eq!(v128("i8x16:256,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0"), None);
        assert_eq!(v128("f32x4:1,x,0,0"), None);
        assert_eq!(v128("u32x4:1,2,3,4"), None);
        assert_eq!(
            show_val(&Val::V128(0xff << 120 | 1)),
            "0xff000000000000000000000000000001"
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
