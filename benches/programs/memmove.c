/* memmove-heavy: n overlapping moves of 8..127 bytes at pseudo-random places of a 64 KiB buffer,
 * every eighth followed by a fill of half as many bytes, as copy-heavy code (string building,
 * buffer compaction) does. Built with -mbulk-memory, each is one `memory.copy` / `memory.fill`,
 * so this measures the runtime's bulk-memory operations on small lengths. Returns a checksum of
 * bytes read back. */
#include "common.h"

#define SIZE (1 << 16)

static unsigned char buf[SIZE];

EXPORT int run(int n) {
    u32 s = 12345;
    for (int i = 0; i < SIZE; i++)
        buf[i] = (unsigned char)i;
    u32 sum = 0;
    for (int i = 0; i < n; i++) {
        u32 r = xorshift32(&s);
        u32 len = 8 + (r >> 24) % 120;
        u32 src = (r >> 8) & (SIZE / 2 - 1), dst = (r >> 3) & (SIZE / 2 - 1);
        __builtin_memmove(buf + dst, buf + src, len);
        if ((i & 7) == 0)
            __builtin_memset(buf + src, i, len / 2);
        sum = sum * 31 + buf[dst];
    }
    return (int)sum;
}
