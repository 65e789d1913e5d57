/* Base64 round trip: a 1 MiB buffer is encoded (RFC 4648 alphabet, with padding), decoded back
 * and compared, n times (one byte changes per round). Table lookups, shifts and byte stores.
 * Returns a checksum of the encoded text, or -1 if a round trip fails. */
#include "common.h"

#define LEN ((1 << 20) + 1) /* not a multiple of 3: the padding path runs too */
#define ENC_LEN ((LEN + 2) / 3 * 4)

static unsigned char raw[LEN], text[ENC_LEN], back[LEN];
static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static unsigned char rev[256];

static NOINLINE int encode(const unsigned char *in, int n, unsigned char *out) {
    int o = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        u32 v = (u32)in[i] << 16 | (u32)in[i + 1] << 8 | in[i + 2];
        out[o++] = alphabet[v >> 18];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = alphabet[(v >> 6) & 63];
        out[o++] = alphabet[v & 63];
    }
    if (i < n) {
        u32 v = (u32)in[i] << 16 | (i + 1 < n ? (u32)in[i + 1] << 8 : 0);
        out[o++] = alphabet[v >> 18];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = i + 1 < n ? alphabet[(v >> 6) & 63] : '=';
        out[o++] = '=';
    }
    return o;
}

/* Returns the decoded length, or -1 on a character outside the alphabet. */
static NOINLINE int decode(const unsigned char *in, int n, unsigned char *out) {
    int o = 0;
    for (int i = 0; i < n; i += 4) {
        int pad = (in[i + 2] == '=') + (in[i + 3] == '=');
        u32 v = 0;
        for (int j = 0; j < 4 - pad; j++) {
            unsigned char d = rev[in[i + j]];
            if (d == 255) return -1;
            v = v << 6 | d;
        }
        v <<= 6 * pad;
        out[o++] = (unsigned char)(v >> 16);
        if (pad < 2) out[o++] = (unsigned char)(v >> 8);
        if (pad < 1) out[o++] = (unsigned char)v;
    }
    return o;
}

EXPORT int run(int n) {
    for (int i = 0; i < 256; i++) rev[i] = 255;
    for (int i = 0; i < 64; i++) rev[(unsigned char)alphabet[i]] = (unsigned char)i;
    u32 s = 0xb45e64;
    for (int i = 0; i < LEN; i++) raw[i] = (unsigned char)xorshift32(&s);
    u32 sum = 0;
    for (int r = 0; r < n; r++) {
        raw[(u32)r * 104729u % LEN] ^= (unsigned char)(r + 1);
        int t = encode(raw, LEN, text);
        if (decode(text, t, back) != LEN) return -1;
        for (int i = 0; i < LEN; i++)
            if (back[i] != raw[i]) return -1;
        for (int i = 0; i < t; i += 61) sum = sum * 31 + text[i];
    }
    return (int)sum;
}
