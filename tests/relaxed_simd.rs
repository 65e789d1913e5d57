//! Relaxed SIMD and wide arithmetic across the two tiers: every relaxed operator, called with
//! drawn inputs (NaNs with payloads and signalling ones, -0.0, infinities, lanes out of `i32`
//! range for the conversions, swizzle indices of 16 and above, bytes of -128 for the dot
//! products), gives bit-identical results in the interpreter and the JIT, NaN bits included; and
//! both give the results `wexe_environ::relaxed_simd` documents on the inputs where the proposal
//! allows a choice. The wide-arithmetic operators are compared the same way.

use wexe::{Config, Engine, Instance, Module, Store, Tier, Val};

/// The relaxed operators, with their number of v128 operands and the lanes their inputs are
/// drawn as.
const RELAXED: &[(&str, usize, Lanes)] = &[
    ("i8x16.relaxed_swizzle", 2, Lanes::Bytes),
    ("i32x4.relaxed_trunc_f32x4_s", 1, Lanes::F32),
    ("i32x4.relaxed_trunc_f32x4_u", 1, Lanes::F32),
    ("i32x4.relaxed_trunc_f64x2_s_zero", 1, Lanes::F64),
    ("i32x4.relaxed_trunc_f64x2_u_zero", 1, Lanes::F64),
    ("f32x4.relaxed_madd", 3, Lanes::F32),
    ("f32x4.relaxed_nmadd", 3, Lanes::F32),
    ("f64x2.relaxed_madd", 3, Lanes::F64),
    ("f64x2.relaxed_nmadd", 3, Lanes::F64),
    ("i8x16.relaxed_laneselect", 3, Lanes::Bytes),
    ("i16x8.relaxed_laneselect", 3, Lanes::Bytes),
    ("i32x4.relaxed_laneselect", 3, Lanes::Bytes),
    ("i64x2.relaxed_laneselect", 3, Lanes::Bytes),
    ("f32x4.relaxed_min", 2, Lanes::F32),
    ("f32x4.relaxed_max", 2, Lanes::F32),
    ("f64x2.relaxed_min", 2, Lanes::F64),
    ("f64x2.relaxed_max", 2, Lanes::F64),
    ("i16x8.relaxed_q15mulr_s", 2, Lanes::Bytes),
    ("i16x8.relaxed_dot_i8x16_i7x16_s", 2, Lanes::Bytes),
    ("i32x4.relaxed_dot_i8x16_i7x16_add_s", 3, Lanes::Bytes),
];

/// The wide-arithmetic operators and their number of i64 operands (each has two i64 results).
const WIDE: &[(&str, usize)] = &[
    ("i64.add128", 4),
    ("i64.sub128", 4),
    ("i64.mul_wide_s", 2),
    ("i64.mul_wide_u", 2),
];

/// Drawn inputs per operator.
const ROUNDS: usize = 3000;

#[derive(Clone, Copy)]
enum Lanes {
    Bytes,
    F32,
    F64,
}

/// One exported function per operator, named like it.
fn module_text() -> String {
    let mut wat = String::from("(module\n");
    for &(op, arity, _) in RELAXED {
        let params = "v128 ".repeat(arity);
        let args: String = (0..arity).map(|i| format!("(local.get {i})")).collect();
        wat += &format!("(func (export \"{op}\") (param {params}) (result v128) ({op} {args}))\n");
    }
    for &(op, arity) in WIDE {
        let params = "i64 ".repeat(arity);
        let args: String = (0..arity).map(|i| format!("(local.get {i})")).collect();
        wat +=
            &format!("(func (export \"{op}\") (param {params}) (result i64 i64) ({op} {args}))\n");
    }
    wat + ")"
}

struct Tiered {
    store: Store<()>,
    instance: Instance,
}

impl Tiered {
    fn new(tier: Tier) -> Tiered {
        let mut config = Config::new();
        config
            .tier(tier)
            .wasm_relaxed_simd(true)
            .wasm_wide_arithmetic(true);
        let engine = Engine::new(&config).expect("engine");
        let module = Module::new(&engine, module_text()).expect("module compiles");
        let mut store = Store::new(&engine, ());
        let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
        Tiered { store, instance }
    }

    fn call(&mut self, name: &str, args: &[Val]) -> Vec<Val> {
        let f = self
            .instance
            .get_func(&mut self.store, name)
            .expect("exported");
        let n = f.ty(&self.store).results().len();
        let mut results = vec![Val::I32(0); n];
        f.call(&mut self.store, args, &mut results)
            .unwrap_or_else(|e| panic!("{name}: {e:#}"));
        results
    }

    fn v128(&mut self, name: &str, args: &[u128]) -> u128 {
        let args: Vec<Val> = args.iter().map(|&v| Val::V128(v)).collect();
        match self.call(name, &args)[..] {
            [Val::V128(v)] => v,
            ref other => panic!("{name}: {other:?}"),
        }
    }
}

/// xorshift64*: a fixed stream of test inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// A 32-bit float lane: special values (NaNs with payloads, signalling NaNs, zeros,
    /// infinities, the edges of the `i32`/`u32` range), random bits or an ordinary number.
    fn f32_bits(&mut self) -> u32 {
        const SPECIAL: &[u32] = &[
            0x0000_0000,
            0x8000_0000,
            0x3f80_0000,
            0xbfc0_0000,
            0x7f80_0000,
            0xff80_0000,
            0x7fc0_0000,
            0xffc0_0000,
            0x7fc1_2345,
            0xffc5_4321,
            0x7f80_0001,
            0xff81_2345,
            0x7f7f_ffff,
            0x0080_0000,
            0x0000_0001,
            0x4eff_ffff,
            0x4f00_0000,
            0xcf00_0000,
            0xcf00_0001,
            0x4f7f_ffff,
            0x4f80_0000,
            0xbf7d_70a4,
            0x3f7d_70a4,
            0x5f00_0000,
        ];
        match self.below(3) {
            0 => SPECIAL[self.below(SPECIAL.len())],
            1 => self.next() as u32,
            _ => ((self.next() as i32 as f32) / 1024.0).to_bits(),
        }
    }

    /// A 64-bit float lane, drawn like [`Rng::f32_bits`].
    fn f64_bits(&mut self) -> u64 {
        const SPECIAL: &[u64] = &[
            0x0000_0000_0000_0000,
            0x8000_0000_0000_0000,
            0x3ff0_0000_0000_0000,
            0x7ff0_0000_0000_0000,
            0xfff0_0000_0000_0000,
            0x7ff8_0000_0000_0000,
            0xfff8_0000_0000_0000,
            0x7ff8_0000_0012_3456,
            0x7ff0_0000_0000_0001,
            0xfff4_0000_0000_0000,
            0x7fef_ffff_ffff_ffff,
            0x0000_0000_0000_0001,
            0x41df_ffff_ffc0_0000, // 2147483647
            0x41e0_0000_0000_0000, // 2147483648
            0xc1e0_0000_0020_0000, // -2147483649
            0x41ef_ffff_ffe0_0000, // 4294967295
            0x41f0_0000_0000_0000, // 4294967296
            0xbfef_ffff_ffff_ffff, // -0.999...
        ];
        match self.below(3) {
            0 => SPECIAL[self.below(SPECIAL.len())],
            1 => self.next(),
            _ => ((self.next() as i64 as f64) / 1e9).to_bits(),
        }
    }

    /// A byte lane: an in-range swizzle index, an index of 16 to 31, one of 128 and above, the
    /// extremes of `i8`, or random bits.
    fn byte(&mut self) -> u8 {
        match self.below(5) {
            0 => self.below(16) as u8,
            1 => 16 + self.below(16) as u8,
            2 => 0x80 | self.next() as u8,
            3 => [0x80, 0x7f, 0x81, 0xff][self.below(4)],
            _ => self.next() as u8,
        }
    }

    fn v128(&mut self, lanes: Lanes) -> u128 {
        match lanes {
            Lanes::Bytes => u128::from_le_bytes(std::array::from_fn(|_| self.byte())),
            Lanes::F32 => (0..4).fold(0, |v, i| v | u128::from(self.f32_bits()) << (32 * i)),
            Lanes::F64 => (0..2).fold(0, |v, i| v | u128::from(self.f64_bits()) << (64 * i)),
        }
    }

    /// An i64 operand: random bits, or one near 0, the signed extremes or the carry boundary.
    fn i64(&mut self) -> i64 {
        const EDGES: &[i64] = &[
            0,
            1,
            -1,
            i64::MAX,
            i64::MIN,
            i64::MIN + 1,
            1 << 32,
            u32::MAX as i64,
        ];
        match self.below(2) {
            0 => EDGES[self.below(EDGES.len())],
            _ => self.next() as i64,
        }
    }
}

#[test]
fn relaxed_operators_give_identical_bits_in_both_tiers() {
    let (mut interp, mut jit) = (Tiered::new(Tier::Interp), Tiered::new(Tier::Jit));
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut differ = Vec::new();
    for &(op, arity, lanes) in RELAXED {
        for _ in 0..ROUNDS {
            let args: Vec<u128> = (0..arity).map(|_| rng.v128(lanes)).collect();
            let (a, b) = (interp.v128(op, &args), jit.v128(op, &args));
            if a != b && differ.len() < 20 {
                differ.push(format!("{op} {args:032x?}: interp {a:032x}, jit {b:032x}"));
            }
        }
    }
    assert!(
        differ.is_empty(),
        "the tiers differ:\n{}",
        differ.join("\n")
    );
}

#[test]
fn wide_arithmetic_agrees_in_both_tiers_and_with_i128() {
    let (mut interp, mut jit) = (Tiered::new(Tier::Interp), Tiered::new(Tier::Jit));
    let mut rng = Rng(0xd1b5_4a32_d192_ed03);
    for &(op, arity) in WIDE {
        for _ in 0..ROUNDS {
            let x: Vec<i64> = (0..arity).map(|_| rng.i64()).collect();
            let args: Vec<Val> = x.iter().map(|&v| Val::I64(v)).collect();
            let pair = |v: &[i64]| v[0] as u64 as u128 | (v[1] as u64 as u128) << 64;
            let expected: u128 = match op {
                "i64.add128" => pair(&x[..2]).wrapping_add(pair(&x[2..])),
                "i64.sub128" => pair(&x[..2]).wrapping_sub(pair(&x[2..])),
                "i64.mul_wide_s" => (x[0] as i128 * x[1] as i128) as u128,
                _ => x[0] as u64 as u128 * x[1] as u64 as u128,
            };
            let expected = [Some(expected as i64), Some((expected >> 64) as i64)];
            for (tier, t) in [("interp", &mut interp), ("jit", &mut jit)] {
                let got: Vec<Option<i64>> = t.call(op, &args).iter().map(Val::i64).collect();
                assert_eq!(got, expected, "{tier} {op} {x:?}");
            }
        }
    }
}

fn f32x4(l: [u32; 4]) -> u128 {
    (0..4).fold(0, |v, i| v | u128::from(l[i]) << (32 * i))
}

fn f64x2(l: [u64; 2]) -> u128 {
    u128::from(l[0]) | u128::from(l[1]) << 64
}

/// Where the proposal allows several results, both tiers give the one `relaxed_simd` documents.
#[test]
fn both_tiers_make_the_documented_choices() {
    let bytes = |b: [u8; 16]| u128::from_le_bytes(b);
    let i16x8 = |l: [i16; 8]| (0..8).fold(0u128, |v, i| v | u128::from(l[i] as u16) << (16 * i));
    let i32x4 = |l: [i32; 4]| f32x4(l.map(|x| x as u32));
    let (nan, snan, payload) = (0x7fc0_0000, 0x7f80_0001, 0xffc1_2345);
    let (max, two, one) = (f32::MAX.to_bits(), 2f32.to_bits(), 1f32.to_bits());
    let (zero, neg_zero, inf) = (0u32, 0x8000_0000u32, 0x7f80_0000u32);
    let cases: &[(&str, &[u128], u128)] = &[
        // Swizzle: an index of 16 or more gives 0, whatever its low bits.
        (
            "i8x16.relaxed_swizzle",
            &[
                bytes(std::array::from_fn(|i| 100 + i as u8)),
                bytes([0, 15, 16, 17, 31, 32, 0x80, 0x8f, 0xff, 1, 2, 3, 4, 5, 6, 7]),
            ],
            bytes([
                100, 115, 0, 0, 0, 0, 0, 0, 0, 101, 102, 103, 104, 105, 106, 107,
            ]),
        ),
        // Truncation saturates; NaN gives 0.
        (
            "i32x4.relaxed_trunc_f32x4_s",
            &[f32x4([nan, 0x4f80_0000, 0xcf80_0000, 0xbfc0_0000])],
            i32x4([0, i32::MAX, i32::MIN, -1]),
        ),
        (
            "i32x4.relaxed_trunc_f32x4_u",
            &[f32x4([payload, 0x4f80_0000, 0xbfc0_0000, 0x4f00_0000])],
            i32x4([0, -1, 0, i32::MIN]),
        ),
        (
            "i32x4.relaxed_trunc_f64x2_s_zero",
            &[f64x2([f64::NAN.to_bits(), 1e10f64.to_bits()])],
            i32x4([0, i32::MAX, 0, 0]),
        ),
        // Unfused: FLT_MAX * 2 overflows before -FLT_MAX is added; a NaN result is canonical.
        (
            "f32x4.relaxed_madd",
            &[
                f32x4([max, payload, one, snan]),
                f32x4([two, one, inf, one]),
                f32x4([0xff7f_ffff, one, 0xff80_0000, one]),
            ],
            f32x4([inf, nan, nan, nan]),
        ),
        (
            "f32x4.relaxed_nmadd",
            &[
                f32x4([max, one, neg_zero, payload]),
                f32x4([two, one, one, one]),
                f32x4([max, one, zero, one]),
            ],
            f32x4([0xff80_0000, zero, zero, nan]),
        ),
        // min/max as minps/maxps: a NaN or a pair of zeros gives the second operand.
        (
            "f32x4.relaxed_min",
            &[
                f32x4([payload, one, zero, neg_zero]),
                f32x4([one, payload, neg_zero, zero]),
            ],
            f32x4([one, payload, neg_zero, zero]),
        ),
        (
            "f32x4.relaxed_max",
            &[
                f32x4([payload, one, zero, two]),
                f32x4([one, snan, neg_zero, one]),
            ],
            f32x4([one, snan, neg_zero, two]),
        ),
        (
            "f64x2.relaxed_min",
            &[
                f64x2([f64::NAN.to_bits(), 0]),
                f64x2([1f64.to_bits(), 1 << 63]),
            ],
            f64x2([1f64.to_bits(), 1 << 63]),
        ),
        // Laneselect is bitselect: every bit of the mask counts.
        (
            "i16x8.relaxed_laneselect",
            &[
                i16x8([0x1234; 8]),
                i16x8([0x5678; 8]),
                i16x8([-1, 0, 0xff00u16 as i16, 0x00ff, 0, 0, 0, 0]),
            ],
            i16x8([
                0x1234, 0x5678, 0x1278, 0x5634, 0x5678, 0x5678, 0x5678, 0x5678,
            ]),
        ),
        // Q15 multiplication saturates.
        (
            "i16x8.relaxed_q15mulr_s",
            &[
                i16x8([i16::MIN, i16::MIN, 0x4000, 0, 0, 0, 0, 0]),
                i16x8([i16::MIN, i16::MAX, 0x4000, 0, 0, 0, 0, 0]),
            ],
            i16x8([i16::MAX, -32767, 0x2000, 0, 0, 0, 0, 0]),
        ),
        // Dot products: both operands signed, the 16-bit pair sums wrapping.
        (
            "i16x8.relaxed_dot_i8x16_i7x16_s",
            &[
                bytes([0x80, 0x80, 0x80, 0x80, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
                bytes([
                    0x81, 0x81, 0x80, 0x80, 0xff, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                ]),
            ],
            i16x8([32512, i16::MIN, 10, 0, 0, 0, 0, 0]),
        ),
        (
            "i32x4.relaxed_dot_i8x16_i7x16_add_s",
            &[
                bytes([
                    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0, 0, 0, 0, 0, 0, 0, 0,
                ]),
                bytes([
                    0x81, 0x81, 0x81, 0x81, 0x80, 0x80, 0x80, 0x80, 0, 0, 0, 0, 0, 0, 0, 0,
                ]),
                i32x4([1, 2, 3, i32::MAX]),
            ],
            i32x4([65025, -65534, 3, i32::MAX]),
        ),
    ];
    for tier in [Tier::Interp, Tier::Jit] {
        let mut t = Tiered::new(tier);
        for (op, args, expected) in cases {
            let got = t.v128(op, args);
            assert_eq!(
                got, *expected,
                "{tier:?} {op}: {got:032x} != {expected:032x}"
            );
        }
    }
}
