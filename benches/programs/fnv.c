/* FNV-1a over a 64 KiB buffer, n times: byte loads and a multiply per byte. */
#include "common.h"

#define LEN 65536
static unsigned char buf[LEN];

static NOINLINE u32 fnv1a(const unsigned char *p, int len, u32 h) {
    for (int i = 0; i < len; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}

EXPORT int run(int n) {
    u32 s = 0xdeadbeef;
    for (int i = 0; i < LEN; i++) buf[i] = (unsigned char)xorshift32(&s);
    u32 h = 2166136261u;
    for (int r = 0; r < n; r++) h = fnv1a(buf, LEN, h);
    return (int)h;
}
