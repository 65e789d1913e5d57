/* RGBA to grayscale: 16 Ki pixels (64 KiB) to 16 KiB of luma, y = (77 R + 150 G + 29 B + 128) >> 8,
 * n times (one pixel changes each time), with a checksum of each output (the wrapping sum of its
 * u32 words). SIMD: v128.and / i32x4.shr_u split each pixel into R|B and G|A 16-bit pairs,
 * i32x4.dot_i16x8_s weighs them, and i16x8.narrow_i32x4_u / u8x16.narrow_i16x8 pack 16 lumas
 * into one vector. */
#include "simd.h"

#define NPIX (16 * 1024)

static u8 px[4 * NPIX] ALIGNED;
static u8 luma[NPIX] ALIGNED;

NOINLINE static u32 grayscale(const u8 *src, u8 *dst, u32 npix) {
#ifdef __wasm_simd128__
    const v128_t m = wasm_i32x4_splat(0x00ff00ff);
    const v128_t w_rb = wasm_i16x8_make(77, 29, 77, 29, 77, 29, 77, 29);
    const v128_t w_ga = wasm_i16x8_make(150, 0, 150, 0, 150, 0, 150, 0);
    const v128_t half = wasm_i32x4_splat(128);
    v128_t sum = wasm_i32x4_splat(0);
#define LUMA4(off)                                                                            \
    ({                                                                                        \
        v128_t p = wasm_v128_load(src + 4 * i + (off));                                     \
        v128_t rb = wasm_v128_and(p, m), ga = wasm_v128_and(wasm_u32x4_shr(p, 8), m);       \
        v128_t y = wasm_i32x4_add(wasm_i32x4_dot_i16x8(rb, w_rb), wasm_i32x4_dot_i16x8(ga, w_ga)); \
        wasm_u32x4_shr(wasm_i32x4_add(y, half), 8);                                         \
    })
    for (u32 i = 0; i < npix; i += 16) {
        v128_t y0 = LUMA4(0), y1 = LUMA4(16), y2 = LUMA4(32), y3 = LUMA4(48);
        v128_t y = wasm_u8x16_narrow_i16x8(wasm_u16x8_narrow_i32x4(y0, y1),
                                           wasm_u16x8_narrow_i32x4(y2, y3));
        wasm_v128_store(dst + i, y);
        sum = wasm_i32x4_add(sum, y);
    }
#undef LUMA4
    return sum_u32x4(sum);
#else
    u32 sum = 0;
    for (u32 i = 0; i < npix; i += 4) {
        u32 w = 0;
        for (int k = 0; k < 4; k++) {
            const u8 *p = src + 4 * (i + k);
            u32 y = (77 * (u32)p[0] + 150 * (u32)p[1] + 29 * (u32)p[2] + 128) >> 8;
            w |= y << (8 * k);
        }
        __builtin_memcpy(dst + i, &w, 4); /* little-endian, like wasm */
        sum += w;
    }
    return sum;
#endif
}

EXPORT int run(int n) {
    fill_random(px, 4 * NPIX, 0xBADC0DEu);
    u32 h = 0;
    for (int it = 0; it < n; it++) {
        px[((u32)it * 2654435761u) % (4 * NPIX)] += (u8)(it + 1);
        h = (h * 31) ^ grayscale(px, luma, NPIX);
    }
    return (int)mix32(h ^ load_u32le(luma + NPIX - 4));
}
