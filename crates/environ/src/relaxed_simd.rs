//! Relaxed SIMD: the one deterministic result wexe gives each relaxed operator, the same in both
//! tiers and on every machine. The proposal lets each operator return one of a few results (so
//! that x86-64 and aarch64 can each use their native instruction); wexe fixes one, chosen to be
//! cheap in the JIT on x86-64 without depending on CPU features beyond the SSE4.1/SSSE3 the 2.0
//! SIMD lowering already uses:
//!
//! | operator | result | x86-64 code |
//! |---|---|---|
//! | `i8x16.relaxed_swizzle` | `i8x16.swizzle` (an index ≥ 16 gives 0) | `paddusb` + `pshufb` |
//! | `i32x4.relaxed_trunc_*` | `i32x4.trunc_sat_*` (NaN → 0, saturating) | as `trunc_sat` |
//! | `i16x8.relaxed_q15mulr_s` | `i16x8.q15mulr_sat_s` (saturating) | `pmulhrsw` + fix-up |
//! | `*.relaxed_laneselect` | `v128.bitselect` (every bit of the mask) | `pand`/`pandn`/`por` |
//! | `f*.relaxed_madd(a, b, c)` | `a * b + c`, **unfused** (two roundings) | `mulps` + `addps` |
//! | `f*.relaxed_nmadd(a, b, c)` | `(-a) * b + c`, unfused | `xorps` + `mulps` + `addps` |
//! | `f*.relaxed_min(a, b)` | `a < b ? a : b` | `minps a, b` |
//! | `f*.relaxed_max(a, b)` | `a > b ? a : b` | `maxps a, b` |
//! | `i16x8.relaxed_dot_i8x16_i7x16_s` | both operands signed, the pair sums wrapping to 16 bits | `pmovsxbw` ×4, `pmullw` ×2, `phaddw` |
//! | `i32x4.relaxed_dot_i8x16_i7x16_add_s` | the 16-bit dot above, pairs sign-extended and summed, plus `c` (wrapping) | the above + `pmaddwd` + `paddd` |
//!
//! Why these: the first four are the 2.0 operators (the spec's deterministic profile too), whose
//! code the JIT already has. `madd` is unfused because a fused multiply-add is one instruction only
//! where the CPU has FMA3 (and a libm call per lane in the interpreter, or a libcall in the JIT,
//! elsewhere), while two roundings are two baseline instructions everywhere and give the same bits
//! on every machine. `min`/`max` are exactly x86's `minps`/`maxps` (a NaN or a pair of zeros gives
//! the second operand), one instruction instead of the eight of the 2.0 `min`/`max`, and a plain
//! compare-and-select elsewhere; they only ever return one of their operands, bit for bit. The
//! dot products treat the 7-bit operand as signed (x86's `pmaddubsw` would treat it as unsigned
//! and saturate; the signed form is what aarch64's `sdot` and the deterministic profile compute).
//!
//! [`equivalent`] maps the operators whose result is a 2.0 operator's; each tier implements the
//! other six itself, with the semantics above.

use wasmparser::Operator;

/// The WebAssembly 2.0 operator whose result a relaxed operator has in wexe, if it is one.
pub fn equivalent(op: &Operator<'_>) -> Option<Operator<'static>> {
    use Operator as O;
    Some(match op {
        O::I8x16RelaxedSwizzle => O::I8x16Swizzle,
        O::I32x4RelaxedTruncF32x4S => O::I32x4TruncSatF32x4S,
        O::I32x4RelaxedTruncF32x4U => O::I32x4TruncSatF32x4U,
        O::I32x4RelaxedTruncF64x2SZero => O::I32x4TruncSatF64x2SZero,
        O::I32x4RelaxedTruncF64x2UZero => O::I32x4TruncSatF64x2UZero,
        O::I16x8RelaxedQ15mulrS => O::I16x8Q15MulrSatS,
        O::I8x16RelaxedLaneselect
        | O::I16x8RelaxedLaneselect
        | O::I32x4RelaxedLaneselect
        | O::I64x2RelaxedLaneselect => O::V128Bitselect,
        _ => return None,
    })
}
