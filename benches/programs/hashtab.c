/* A hash table workload: an open-addressing table (linear probing, 2^18 slots) of u32 keys to
 * counters; n pseudo-random operations over 2^17 distinct keys, three in four an insert-or-
 * increment and one in four a lookup, then a scan of the whole table. Hashing, unpredictable
 * branches and cache misses. Returns a checksum of the lookups and the final table. */
#include "common.h"

#define BITS 18
#define SLOTS (1u << BITS)
#define KEYS (1u << 17)

static u32 keys[SLOTS]; /* 0 marks an empty slot; stored keys are never 0 */
static u32 vals[SLOTS];

static inline u32 slot_of(u32 key) { return (key * 0x9e3779b1u) >> (32 - BITS); }

static NOINLINE void bump(u32 key) {
    u32 i = slot_of(key);
    while (keys[i] != 0 && keys[i] != key) i = (i + 1) & (SLOTS - 1);
    keys[i] = key;
    vals[i]++;
}

static NOINLINE u32 lookup(u32 key) {
    u32 i = slot_of(key);
    while (keys[i] != 0) {
        if (keys[i] == key) return vals[i];
        i = (i + 1) & (SLOTS - 1);
    }
    return 0;
}

EXPORT int run(int n) {
    for (u32 i = 0; i < SLOTS; i++) keys[i] = vals[i] = 0;
    u32 s = 0xfeedface, found = 0;
    for (int k = 0; k < n; k++) {
        u32 r = xorshift32(&s);
        u32 key = ((r >> 2) & (KEYS - 1)) * 2654435761u | 1; /* spread, never 0 */
        if ((r & 3) == 0) found = found * 31 + lookup(key);
        else bump(key);
    }
    u32 sum = found;
    for (u32 i = 0; i < SLOTS; i++) sum = (sum ^ keys[i]) * 16777619u + vals[i];
    return (int)sum;
}
