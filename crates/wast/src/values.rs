//! Values of scripts: turning `invoke` arguments into [`Val`]s, and checking results against the
//! expected patterns of `assert_return` (exact bits, `nan:canonical` / `nan:arithmetic`, lane-wise
//! v128 patterns, null / extern / func references).

use std::collections::HashMap;

use anyhow::{Result, bail};
use wast::core::{AbstractHeapType, HeapType, NanPattern, V128Pattern, WastArgCore, WastRetCore};
use wast::token::{F32, F64};
use wast::{WastArg, WastRet};
use wexe::{ExternRef, Store, Val};

/// Host references made for `ref.extern N` arguments, one per `N`, so that equal `N` are the
/// same reference.
#[derive(Default)]
pub(crate) struct HostRefs {
    refs: HashMap<u32, ExternRef>,
}

impl HostRefs {
    fn get(&mut self, store: &mut Store<()>, n: u32) -> ExternRef {
        *self
            .refs
            .entry(n)
            .or_insert_with(|| ExternRef::new(&mut *store, n))
    }
}

/// The value of an `invoke` argument.
pub(crate) fn arg_val(
    arg: &WastArg<'_>,
    store: &mut Store<()>,
    refs: &mut HostRefs,
) -> Result<Val> {
    let WastArg::Core(arg) = arg else {
        bail!("component-model arguments are not supported");
    };
    Ok(match arg {
        WastArgCore::I32(v) => Val::I32(*v),
        WastArgCore::I64(v) => Val::I64(*v),
        WastArgCore::F32(v) => Val::F32(v.bits),
        WastArgCore::F64(v) => Val::F64(v.bits),
        WastArgCore::V128(v) => Val::V128(u128::from_le_bytes(v.to_le_bytes())),
        WastArgCore::RefNull(ty) => match null_kind(ty)? {
            RefKind::Func => Val::FuncRef(None),
            RefKind::Extern => Val::ExternRef(None),
            RefKind::Exn => Val::ExnRef(None),
            RefKind::Any => Val::AnyRef(None),
        },
        WastArgCore::RefExtern(n) => Val::ExternRef(Some(refs.get(store, *n))),
        WastArgCore::RefHost(_) => bail!("`ref.host` arguments are not supported"),
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RefKind {
    Func,
    Extern,
    Exn,
    Any,
}

fn null_kind(ty: &HeapType<'_>) -> Result<RefKind> {
    match ty {
        HeapType::Abstract {
            ty: AbstractHeapType::Func | AbstractHeapType::NoFunc,
            ..
        } => Ok(RefKind::Func),
        HeapType::Abstract {
            ty: AbstractHeapType::Extern | AbstractHeapType::NoExtern,
            ..
        } => Ok(RefKind::Extern),
        HeapType::Abstract {
            ty: AbstractHeapType::Exn | AbstractHeapType::NoExn,
            ..
        } => Ok(RefKind::Exn),
        HeapType::Abstract {
            ty:
                AbstractHeapType::Any
                | AbstractHeapType::Eq
                | AbstractHeapType::I31
                | AbstractHeapType::Struct
                | AbstractHeapType::Array
                | AbstractHeapType::None,
            ..
        } => Ok(RefKind::Any),
        other => bail!("unsupported reference type {other:?}"),
    }
}

/// Checks `got` against the expected results; the error says which result differs and how.
pub(crate) fn check_results(got: &[Val], want: &[WastRet<'_>], store: &Store<()>) -> Result<()> {
    if got.len() != want.len() {
        bail!(
            "expected {} results, got {}: {}",
            want.len(),
            got.len(),
            show_vals(got, store)
        );
    }
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let WastRet::Core(w) = w else {
            bail!("component-model results are not supported");
        };
        if !matches(g, w, store)? {
            bail!(
                "result {i}: expected {}, got {}",
                show_ret(w),
                show_val(g, store)
            );
        }
    }
    Ok(())
}

/// Whether value `got` matches pattern `want`.
fn matches(got: &Val, want: &WastRetCore<'_>, store: &Store<()>) -> Result<bool> {
    Ok(match (want, got) {
        (WastRetCore::I32(w), Val::I32(g)) => w == g,
        (WastRetCore::I64(w), Val::I64(g)) => w == g,
        (WastRetCore::F32(w), Val::F32(g)) => f32_matches(w, *g),
        (WastRetCore::F64(w), Val::F64(g)) => f64_matches(w, *g),
        (WastRetCore::V128(w), Val::V128(g)) => v128_matches(w, *g),
        (WastRetCore::RefNull(ty), Val::FuncRef(r)) => r.is_none() && null_of(ty, RefKind::Func)?,
        (WastRetCore::RefNull(ty), Val::ExternRef(r)) => {
            r.is_none() && null_of(ty, RefKind::Extern)?
        }
        (WastRetCore::RefNull(ty), Val::ExnRef(r)) => r.is_none() && null_of(ty, RefKind::Exn)?,
        (WastRetCore::RefNull(ty), Val::AnyRef(r)) => r.is_none() && null_of(ty, RefKind::Any)?,
        (WastRetCore::RefExtern(None), Val::ExternRef(r)) => r.is_some(),
        (WastRetCore::RefExtern(Some(n)), Val::ExternRef(Some(r))) => {
            r.data(store).downcast_ref::<u32>() == Some(n)
        }
        // The script names a function index of some module; any non-null funcref is accepted.
        (WastRetCore::RefFunc(_), Val::FuncRef(r)) => r.is_some(),
        (WastRetCore::Either(alts), got) => {
            for alt in alts {
                if matches(got, alt, store)? {
                    return Ok(true);
                }
            }
            false
        }
        (
            WastRetCore::RefHost(_)
            | WastRetCore::RefAny
            | WastRetCore::RefEq
            | WastRetCore::RefArray
            | WastRetCore::RefStruct
            | WastRetCore::RefI31
            | WastRetCore::RefI31Shared,
            _,
        ) => bail!("unsupported expected result {}", show_ret(want)),
        _ => false,
    })
}

fn null_of(ty: &Option<HeapType<'_>>, kind: RefKind) -> Result<bool> {
    match ty {
        None => Ok(true),
        Some(ty) => Ok(null_kind(ty)? == kind),
    }
}

/// An f32 is canonical NaN when only the quiet bit of its payload is set (either sign), and an
/// arithmetic NaN when the quiet bit is set (any other payload).
fn f32_matches(want: &NanPattern<F32>, got: u32) -> bool {
    match want {
        NanPattern::CanonicalNan => got & 0x7fff_ffff == 0x7fc0_0000,
        NanPattern::ArithmeticNan => got & 0x7fc0_0000 == 0x7fc0_0000,
        NanPattern::Value(v) => v.bits == got,
    }
}

fn f64_matches(want: &NanPattern<F64>, got: u64) -> bool {
    const QUIET: u64 = 0x7ff8_0000_0000_0000;
    match want {
        NanPattern::CanonicalNan => got & !(1 << 63) == QUIET,
        NanPattern::ArithmeticNan => got & QUIET == QUIET,
        NanPattern::Value(v) => v.bits == got,
    }
}

/// Lane `i` of `bits` wide lanes, as unsigned.
fn lane(v: u128, bits: u32, i: usize) -> u128 {
    (v >> (bits as usize * i)) & ((1u128 << bits) - 1)
}

fn v128_matches(want: &V128Pattern, got: u128) -> bool {
    match want {
        V128Pattern::I8x16(w) => (0..16).all(|i| lane(got, 8, i) as u8 == w[i] as u8),
        V128Pattern::I16x8(w) => (0..8).all(|i| lane(got, 16, i) as u16 == w[i] as u16),
        V128Pattern::I32x4(w) => (0..4).all(|i| lane(got, 32, i) as u32 == w[i] as u32),
        V128Pattern::I64x2(w) => (0..2).all(|i| lane(got, 64, i) as u64 == w[i] as u64),
        V128Pattern::F32x4(w) => (0..4).all(|i| f32_matches(&w[i], lane(got, 32, i) as u32)),
        V128Pattern::F64x2(w) => (0..2).all(|i| f64_matches(&w[i], lane(got, 64, i) as u64)),
    }
}

/// A value as the text format would write it, floats with their bits.
pub(crate) fn show_val(v: &Val, store: &Store<()>) -> String {
    match v {
        Val::I32(x) => format!("i32:{x}"),
        Val::I64(x) => format!("i64:{x}"),
        Val::F32(b) => format!("f32:{} ({b:#010x})", f32::from_bits(*b)),
        Val::F64(b) => format!("f64:{} ({b:#018x})", f64::from_bits(*b)),
        Val::V128(x) => format!("v128:{x:#034x}"),
        Val::FuncRef(None) => "ref.null func".to_string(),
        Val::FuncRef(Some(_)) => "ref.func".to_string(),
        Val::ExternRef(None) => "ref.null extern".to_string(),
        Val::ExternRef(Some(r)) => match r.data(store).downcast_ref::<u32>() {
            Some(n) => format!("ref.extern {n}"),
            None => "ref.extern <host value>".to_string(),
        },
        Val::ExnRef(None) => "ref.null exn".to_string(),
        Val::ExnRef(Some(_)) => "ref.exn".to_string(),
        Val::AnyRef(None) => "ref.null any".to_string(),
        Val::AnyRef(Some(never)) => match *never {},
    }
}

fn show_vals(vals: &[Val], store: &Store<()>) -> String {
    let shown: Vec<String> = vals.iter().map(|v| show_val(v, store)).collect();
    format!("[{}]", shown.join(", "))
}

fn show_nan<T>(p: &NanPattern<T>, bits: impl Fn(&T) -> String) -> String {
    match p {
        NanPattern::CanonicalNan => "nan:canonical".to_string(),
        NanPattern::ArithmeticNan => "nan:arithmetic".to_string(),
        NanPattern::Value(v) => bits(v),
    }
}

/// An expected result as the script wrote it (floats as bits).
fn show_ret(r: &WastRetCore<'_>) -> String {
    let f32s = |v: &F32| format!("{} ({:#010x})", f32::from_bits(v.bits), v.bits);
    let f64s = |v: &F64| format!("{} ({:#018x})", f64::from_bits(v.bits), v.bits);
    match r {
        WastRetCore::I32(x) => format!("i32:{x}"),
        WastRetCore::I64(x) => format!("i64:{x}"),
        WastRetCore::F32(p) => format!("f32:{}", show_nan(p, f32s)),
        WastRetCore::F64(p) => format!("f64:{}", show_nan(p, f64s)),
        WastRetCore::V128(p) => format!("v128:{}", show_v128(p)),
        WastRetCore::RefNull(_) => "ref.null".to_string(),
        WastRetCore::RefExtern(None) => "ref.extern".to_string(),
        WastRetCore::RefExtern(Some(n)) => format!("ref.extern {n}"),
        WastRetCore::RefFunc(_) => "ref.func".to_string(),
        WastRetCore::Either(alts) => {
            let alts: Vec<String> = alts.iter().map(show_ret).collect();
            format!("either({})", alts.join(" | "))
        }
        other => format!("{other:?}"),
    }
}

fn show_v128(p: &V128Pattern) -> String {
    fn list<T: ToString>(lanes: impl IntoIterator<Item = T>) -> String {
        let lanes: Vec<String> = lanes.into_iter().map(|l| l.to_string()).collect();
        lanes.join(" ")
    }
    match p {
        V128Pattern::I8x16(l) => format!("i8x16 {}", list(l.iter())),
        V128Pattern::I16x8(l) => format!("i16x8 {}", list(l.iter())),
        V128Pattern::I32x4(l) => format!("i32x4 {}", list(l.iter())),
        V128Pattern::I64x2(l) => format!("i64x2 {}", list(l.iter())),
        V128Pattern::F32x4(l) => format!(
            "f32x4 {}",
            list(l.iter().map(|p| show_nan(p, |v| format!("{:#x}", v.bits))))
        ),
        V128Pattern::F64x2(l) => format!(
            "f64x2 {}",
            list(l.iter().map(|p| show_nan(p, |v| format!("{:#x}", v.bits))))
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_patterns() {
        let canon = NanPattern::<F32>::CanonicalNan;
        let arith = NanPattern::<F32>::ArithmeticNan;
        assert!(f32_matches(&canon, 0x7fc0_0000));
        assert!(f32_matches(&canon, 0xffc0_0000));
        assert!(!f32_matches(&canon, 0x7fc0_0001));
        assert!(f32_matches(&arith, 0x7fc0_0001));
        assert!(!f32_matches(&arith, 0x7f80_0001)); // signalling
        assert!(!f32_matches(&arith, 0x7f80_0000)); // infinity
        assert!(f64_matches(
            &NanPattern::CanonicalNan,
            0xfff8_0000_0000_0000
        ));
        assert!(!f64_matches(
            &NanPattern::CanonicalNan,
            0x7ff8_0000_0000_0001
        ));
        assert!(f64_matches(
            &NanPattern::ArithmeticNan,
            0x7ffc_0000_0000_0000
        ));
        assert!(!f64_matches(
            &NanPattern::ArithmeticNan,
            0x7ff4_0000_0000_0000
        ));
        assert!(f64_matches(&NanPattern::Value(F64 { bits: 5 }), 5));
        assert!(!f64_matches(&NanPattern::Value(F64 { bits: 5 }), 6));
    }

    #[test]
    fn v128_lanes_are_little_endian() {
        let v = 0x0000_0004_0000_0003_0000_0002_ffff_ffffu128;
        assert!(v128_matches(&V128Pattern::I32x4([-1, 2, 3, 4]), v));
        assert!(!v128_matches(&V128Pattern::I32x4([2, -1, 3, 4]), v));
        let lanes = [-1i8, -1, -1, -1, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0];
        assert!(v128_matches(&V128Pattern::I8x16(lanes), v));
        let nan2 = 0x7fc0_0000_7fc0_0000u128 | (0x3f80_0000u128 << 64);
        let pat = [
            NanPattern::CanonicalNan,
            NanPattern::ArithmeticNan,
            NanPattern::Value(F32 { bits: 0x3f80_0000 }),
            NanPattern::Value(F32 { bits: 0 }),
        ];
        assert!(v128_matches(&V128Pattern::F32x4(pat), nan2));
    }
}
