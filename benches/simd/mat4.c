/* A batch of 4x4 f32 matrix products: C[k] = A[k] B for 4 Ki row-major matrices (256 KiB), n
 * times (one element of B flips its sign each time), with a checksum of each batch (the wrapping
 * sum of the results' bit patterns). Each element is ((a0 b0 + a1 b1) + a2 b2) + a3 b3 in both
 * paths, so they agree bit for bit. SIMD: a row of C is four f32x4.muls of B's rows by lanes of A's
 * row broadcast with i32x4.shuffle, summed with f32x4.add. */
#include "simd.h"

#define COUNT (4 * 1024)

static float A[16 * COUNT] ALIGNED, C[16 * COUNT] ALIGNED, B[16] ALIGNED;

NOINLINE static u32 mat4_batch(const float *a, const float *b, float *c, u32 count) {
#ifdef __wasm_simd128__
    const v128_t b0 = wasm_v128_load(b), b1 = wasm_v128_load(b + 4);
    const v128_t b2 = wasm_v128_load(b + 8), b3 = wasm_v128_load(b + 12);
    v128_t sum = wasm_i32x4_splat(0);
    for (u32 k = 0; k < 16 * count; k += 4) { /* one row of one matrix */
        v128_t r = wasm_v128_load(a + k);
        v128_t t = wasm_f32x4_add(wasm_f32x4_mul(wasm_i32x4_shuffle(r, r, 0, 0, 0, 0), b0),
                                  wasm_f32x4_mul(wasm_i32x4_shuffle(r, r, 1, 1, 1, 1), b1));
        t = wasm_f32x4_add(t, wasm_f32x4_mul(wasm_i32x4_shuffle(r, r, 2, 2, 2, 2), b2));
        t = wasm_f32x4_add(t, wasm_f32x4_mul(wasm_i32x4_shuffle(r, r, 3, 3, 3, 3), b3));
        wasm_v128_store(c + k, t);
        sum = wasm_i32x4_add(sum, t);
    }
    return sum_u32x4(sum);
#else
    u32 sum = 0;
    for (u32 k = 0; k < 16 * count; k += 4) {
        const float *r = a + k;
        for (int j = 0; j < 4; j++) {
            float t = r[0] * b[j] + r[1] * b[4 + j];
            t = t + r[2] * b[8 + j];
            t = t + r[3] * b[12 + j];
            c[k + j] = t;
            sum += f32_bits(t);
        }
    }
    return sum;
#endif
}

EXPORT int run(int n) {
    u32 s = 0xA11CEu;
    for (u32 i = 0; i < 16 * COUNT; i++)
        A[i] = (float)((int)(xorshift32(&s) >> 8) - (1 << 23)) * (1.0f / (1 << 23));
    for (int i = 0; i < 16; i++)
        B[i] = (float)((int)(xorshift32(&s) >> 8) - (1 << 23)) * (1.0f / (1 << 23));
    u32 h = 0;
    for (int it = 0; it < n; it++) {
        B[((u32)it * 7) & 15] = -B[((u32)it * 7) & 15];
        h = (h * 31) ^ mat4_batch(A, B, C, COUNT);
    }
    return (int)mix32(h ^ f32_bits(C[16 * COUNT - 1]));
}
