/* Shared helpers for the SIMD benchmark kernels. Each kernel has two paths in one file: wasm SIMD
 * intrinsics (<wasm_simd128.h>) when compiled with -msimd128, and plain C otherwise (the scalar
 * wasm build and the native gcc build). Both paths compute bit-identical checksums: integer math
 * wraps the same way in any order, and the float kernels keep four lanes in both paths and reduce
 * them in one fixed order. Each kernel defines `int run(int n)` (n: iterations), and
 * ../programs/native_main.c is its main (`prog N` prints run(N)). */
#ifndef SIMD_BENCH_H
#define SIMD_BENCH_H

#include "../programs/common.h"

#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

typedef unsigned char u8;

#define ALIGNED __attribute__((aligned(16)))

static inline u32 rotl32(u32 x, int r) { return (x << r) | (x >> (32 - r)); }

static inline u32 load_u32le(const u8 *p) {
    return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

static inline u32 f32_bits(float f) {
    union { float f; u32 u; } v;
    v.f = f;
    return v.u;
}

/* The murmur3 finaliser: spreads every input bit over the result. */
static inline u32 mix32(u32 h) {
    h ^= h >> 15;
    h *= 0x85ebca77u;
    h ^= h >> 13;
    h *= 0xc2b2ae3du;
    h ^= h >> 16;
    return h;
}

/* Fills buf with pseudo-random bytes from seed. */
static inline void fill_random(u8 *buf, u32 len, u32 seed) {
    u32 s = seed;
    for (u32 i = 0; i < len; i++)
        buf[i] = (u8)(xorshift32(&s) >> 11);
}

#ifdef __wasm_simd128__
/* The wrapping sum of a vector's four u32 lanes. */
static inline u32 sum_u32x4(v128_t v) {
    return (u32)wasm_i32x4_extract_lane(v, 0) + (u32)wasm_i32x4_extract_lane(v, 1) +
           (u32)wasm_i32x4_extract_lane(v, 2) + (u32)wasm_i32x4_extract_lane(v, 3);
}
#endif

#endif
