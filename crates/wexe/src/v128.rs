//! [`V128`]: a 128-bit SIMD value as the embedding API carries it, with conversions to and from
//! its lanes.

/// A `v128` value: 128 bits whose lanes are numbered little-endian (lane 0 in the low bits), as
/// in WebAssembly. `TypedFunc<V128, V128>` and `Func::wrap` closures take it (plain `u128` works
/// too), and [`Val::V128`](crate::Val::V128) holds its bits.
///
/// ```
/// use wexe::{Engine, Instance, Module, Store, V128};
///
/// let engine = Engine::default();
/// let wat = r#"(module (func (export "add") (param v128 v128) (result v128)
///     (i32x4.add (local.get 0) (local.get 1))))"#;
/// let module = Module::new(&engine, wat)?;
/// let mut store = Store::new(&engine, ());
/// let instance = Instance::new(&mut store, &module, &[])?;
/// let add = instance.get_typed_func::<(V128, V128), V128>(&mut store, "add")?;
/// let sum = add.call(&mut store, (V128::from_i32x4([1, 2, 3, 4]), V128::from_i32x4([10, 20, 30, -4])))?;
/// assert_eq!(sum.to_i32x4(), [11, 22, 33, 0]);
/// # Ok::<(), wexe::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct V128(u128);

impl V128 {
    /// The value with these bits.
    pub const fn new(bits: u128) -> V128 {
        V128(bits)
    }

    /// The value's bits.
    pub const fn as_u128(self) -> u128 {
        self.0
    }

    /// The value's 16 bytes, lane 0 first.
    pub const fn to_bytes(self) -> [u8; 16] {
        self.0.to_le_bytes()
    }

    /// The value of 16 bytes, lane 0 first.
    pub const fn from_bytes(bytes: [u8; 16]) -> V128 {
        V128(u128::from_le_bytes(bytes))
    }
}

/// `from_LANES`/`to_LANES` for one lane shape.
macro_rules! lanes {
    ($($from:ident $to:ident: $t:ty, $n:literal;)*) => {
        impl V128 {$(
            #[doc = concat!("The value of ", stringify!($n), " `", stringify!($t), "` lanes, lane 0 first.")]
            pub fn $from(lanes: [$t; $n]) -> V128 {
                let mut bytes = [0u8; 16];
                for (chunk, lane) in bytes.chunks_exact_mut(16 / $n).zip(lanes) {
                    chunk.copy_from_slice(&lane.to_le_bytes());
                }
                V128::from_bytes(bytes)
            }

            #[doc = concat!("The value's ", stringify!($n), " `", stringify!($t), "` lanes, lane 0 first.")]
            pub fn $to(self) -> [$t; $n] {
                let bytes = self.to_bytes();
                std::array::from_fn(|i| {
                    let w = 16 / $n;
                    <$t>::from_le_bytes(bytes[i * w..(i + 1) * w].try_into().expect("lane width"))
                })
            }
        )*}
    };
}

lanes! {
    from_i8x16 to_i8x16: i8, 16;
    from_u8x16 to_u8x16: u8, 16;
    from_i16x8 to_i16x8: i16, 8;
    from_u16x8 to_u16x8: u16, 8;
    from_i32x4 to_i32x4: i32, 4;
    from_u32x4 to_u32x4: u32, 4;
    from_i64x2 to_i64x2: i64, 2;
    from_u64x2 to_u64x2: u64, 2;
    from_f32x4 to_f32x4: f32, 4;
    from_f64x2 to_f64x2: f64, 2;
}

impl From<u128> for V128 {
    fn from(bits: u128) -> V128 {
        V128(bits)
    }
}

impl From<V128> for u128 {
    fn from(v: V128) -> u128 {
        v.0
    }
}

#[cfg(test)]
mod tests {
    use super::V128;

    #[test]
    fn lanes_are_little_endian_and_round_trip() {
        let v = V128::from_i32x4([1, -2, 3, i32::MIN]);
        assert_eq!(v.as_u128(), 0x80000000_00000003_fffffffe_00000001);
        assert_eq!(v.to_i32x4(), [1, -2, 3, i32::MIN]);
        assert_eq!(v.to_u16x8()[2], 0xfffe);
        assert_eq!(v.to_i8x16()[0], 1);
        assert_eq!(v.to_u64x2(), [0xfffffffe_00000001, 0x80000000_00000003]);
        let f = V128::from_f32x4([1.5, -0.0, f32::INFINITY, 2.0]);
        assert_eq!(f.to_f32x4()[0], 1.5);
        assert_eq!(f.to_u32x4()[1], 0x8000_0000);
        assert_eq!(V128::from_f64x2([0.5, -3.0]).to_f64x2(), [0.5, -3.0]);
        assert_eq!(V128::from_bytes(v.to_bytes()), v);
        assert_eq!(u128::from(V128::from(7u128)), 7);
    }
}
