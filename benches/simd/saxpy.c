/* saxpy and dot product over 16 Ki f32s: y = a x + y, then x . y, n times with a varying a
 * (it sums to zero every 7 iterations, so y stays bounded). The dot product is kept in four lanes,
 * lane k summing elements i = k mod 4 in order, and reduced as (l0 + l1) + (l2 + l3) in both
 * paths, so the SIMD and scalar builds agree bit for bit (no FMA: wasm has none, and the native
 * build uses -ffp-contract=off). SIMD: f32x4.mul, f32x4.add. */
#include "simd.h"

#define LEN (16 * 1024)

static float x[LEN] ALIGNED, y[LEN] ALIGNED;

NOINLINE static float saxpy_dot(float a, const float *xs, float *ys, u32 len) {
#ifdef __wasm_simd128__
    const v128_t av = wasm_f32x4_splat(a);
    v128_t acc = wasm_f32x4_splat(0.0f);
    for (u32 i = 0; i < len; i += 4) {
        v128_t xv = wasm_v128_load(xs + i);
        v128_t yv = wasm_f32x4_add(wasm_f32x4_mul(av, xv), wasm_v128_load(ys + i));
        wasm_v128_store(ys + i, yv);
        acc = wasm_f32x4_add(acc, wasm_f32x4_mul(xv, yv));
    }
    float s0 = wasm_f32x4_extract_lane(acc, 0), s1 = wasm_f32x4_extract_lane(acc, 1);
    float s2 = wasm_f32x4_extract_lane(acc, 2), s3 = wasm_f32x4_extract_lane(acc, 3);
#else
    float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
    for (u32 i = 0; i < len; i += 4) {
        float y0 = a * xs[i] + ys[i], y1 = a * xs[i + 1] + ys[i + 1];
        float y2 = a * xs[i + 2] + ys[i + 2], y3 = a * xs[i + 3] + ys[i + 3];
        ys[i] = y0, ys[i + 1] = y1, ys[i + 2] = y2, ys[i + 3] = y3;
        s0 += xs[i] * y0, s1 += xs[i + 1] * y1, s2 += xs[i + 2] * y2, s3 += xs[i + 3] * y3;
    }
#endif
    return (s0 + s1) + (s2 + s3);
}

EXPORT int run(int n) {
    u32 s = 0x5EED5u;
    for (u32 i = 0; i < LEN; i++) {
        x[i] = (float)((int)(xorshift32(&s) >> 8) - (1 << 23)) * (1.0f / (1 << 23));
        y[i] = (float)((int)(xorshift32(&s) >> 8) - (1 << 23)) * (1.0f / (1 << 23));
    }
    u32 h = 0;
    for (int it = 0; it < n; it++) {
        float a = (float)(it % 7 - 3) * 0.125f;
        h = (h * 31) ^ f32_bits(saxpy_dot(a, x, y, LEN));
    }
    return (int)mix32(h);
}
