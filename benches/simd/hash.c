/* A 16-lane xxhash32-style hash of a 64 KiB buffer, hashed n times, each time seeded with the
 * previous hash. Lane j takes the j-th u32 of every 64-byte block:
 *     acc[j] = rotl(acc[j] + word * P2, 13) * P1
 * and the 16 lanes are folded in a fixed order at the end. SIMD: four i32x4 accumulators
 * (i32x4.mul, i32x4.add, a rotate as shl | shr_u). */
#include "simd.h"

#define LEN (64 * 1024)
#define P1 0x9E3779B1u
#define P2 0x85EBCA77u

static u8 buf[LEN] ALIGNED;

static u32 fold(const u32 acc[16], u32 len) {
    u32 h = len * P1;
    for (int j = 0; j < 16; j++)
        h = rotl32((h ^ acc[j]) * P2, 17);
    return mix32(h);
}

NOINLINE static u32 hash(const u8 *p, u32 len, u32 seed) {
    u32 acc[16] ALIGNED;
#ifdef __wasm_simd128__
    const v128_t p1 = wasm_i32x4_splat((int)P1), p2 = wasm_i32x4_splat((int)P2);
    const v128_t s = wasm_i32x4_splat((int)seed);
    v128_t a0 = wasm_i32x4_add(s, wasm_i32x4_make(0 * P1, 1 * P1, 2 * P1, 3 * P1));
    v128_t a1 = wasm_i32x4_add(s, wasm_i32x4_make(4 * P1, 5 * P1, 6 * P1, 7 * P1));
    v128_t a2 = wasm_i32x4_add(s, wasm_i32x4_make(8 * P1, 9 * P1, 10 * P1, 11 * P1));
    v128_t a3 = wasm_i32x4_add(s, wasm_i32x4_make(12 * P1, 13 * P1, 14 * P1, 15 * P1));
#define ROUND(a, off)                                                                      \
    a = wasm_i32x4_add(a, wasm_i32x4_mul(wasm_v128_load(p + i + (off)), p2));             \
    a = wasm_v128_or(wasm_i32x4_shl(a, 13), wasm_u32x4_shr(a, 19));                        \
    a = wasm_i32x4_mul(a, p1);
    for (u32 i = 0; i < len; i += 64) {
        ROUND(a0, 0)
        ROUND(a1, 16)
        ROUND(a2, 32)
        ROUND(a3, 48)
    }
#undef ROUND
    wasm_v128_store(acc + 0, a0);
    wasm_v128_store(acc + 4, a1);
    wasm_v128_store(acc + 8, a2);
    wasm_v128_store(acc + 12, a3);
#else
    for (int j = 0; j < 16; j++)
        acc[j] = seed + (u32)j * P1;
    for (u32 i = 0; i < len; i += 64)
        for (int j = 0; j < 16; j++)
            acc[j] = rotl32(acc[j] + load_u32le(p + i + 4 * j) * P2, 13) * P1;
#endif
    return fold(acc, len);
}

EXPORT int run(int n) {
    fill_random(buf, LEN, 0x12345678u);
    u32 h = 0;
    for (int it = 0; it < n; it++)
        h = hash(buf, LEN, h ^ (u32)it);
    return (int)h;
}
