/* Hex encoding: 32 KiB of bytes to 64 KiB of lower-case hex digits, n times (one input byte
 * changes each time), with a checksum of each output (the wrapping sum of its u32 words). SIMD:
 * u8x16.shr and v128.and split the nibbles, i8x16.swizzle looks them up in a 16-byte digit table,
 * and two i8x16.shuffles interleave high and low digits. */
#include "simd.h"

#define LEN (32 * 1024)

static u8 in[LEN] ALIGNED;
static u8 out[2 * LEN] ALIGNED;
#ifndef __wasm_simd128__
static const char DIGITS[16] = "0123456789abcdef";
#endif

NOINLINE static u32 hex_encode(const u8 *src, u8 *dst, u32 len) {
#ifdef __wasm_simd128__
    const v128_t digits = wasm_i8x16_make('0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a',
                                          'b', 'c', 'd', 'e', 'f');
    const v128_t low4 = wasm_i8x16_splat(0x0f);
    v128_t sum = wasm_i32x4_splat(0);
    for (u32 i = 0; i < len; i += 16) {
        v128_t v = wasm_v128_load(src + i);
        v128_t hi = wasm_i8x16_swizzle(digits, wasm_u8x16_shr(v, 4));
        v128_t lo = wasm_i8x16_swizzle(digits, wasm_v128_and(v, low4));
        v128_t o0 = wasm_i8x16_shuffle(hi, lo, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22,
                                       7, 23);
        v128_t o1 = wasm_i8x16_shuffle(hi, lo, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14,
                                       30, 15, 31);
        wasm_v128_store(dst + 2 * i, o0);
        wasm_v128_store(dst + 2 * i + 16, o1);
        sum = wasm_i32x4_add(sum, wasm_i32x4_add(o0, o1));
    }
    return sum_u32x4(sum);
#else
    u32 sum = 0;
    for (u32 i = 0; i < len; i += 2) {
        u32 b0 = src[i], b1 = src[i + 1];
        u32 w = (u32)(u8)DIGITS[b0 >> 4] | (u32)(u8)DIGITS[b0 & 15] << 8 |
                (u32)(u8)DIGITS[b1 >> 4] << 16 | (u32)(u8)DIGITS[b1 & 15] << 24;
        __builtin_memcpy(dst + 2 * i, &w, 4); /* little-endian, like wasm */
        sum += w;
    }
    return sum;
#endif
}

EXPORT int run(int n) {
    fill_random(in, LEN, 0xC0FFEEu);
    u32 h = 0;
    for (int it = 0; it < n; it++) {
        in[((u32)it * 2654435761u) % LEN] += (u8)(it + 1);
        h = (h * 31) ^ hex_encode(in, out, LEN);
    }
    return (int)mix32(h ^ load_u32le(out + 2 * LEN - 4));
}
