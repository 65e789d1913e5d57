/* LZ77 compression round trip: 256 KiB of text-like input (words from a small vocabulary, chosen
 * pseudo-randomly) is compressed with a greedy LZ77 (3-byte hash, one candidate per hash, 64 KiB
 * window, matches of 3..130 bytes), decompressed, and compared with the input, n times (one input
 * byte changes per round). Byte loads and stores, hashing, data-dependent branches and
 * overlapping copies. Returns the sum of the compressed sizes, or -1 if a round trip fails. */
#include "common.h"

#define SIZE (1 << 18)
#define HBITS 15
#define MIN_MATCH 3
#define MAX_MATCH 130

static unsigned char input[SIZE], packed[SIZE + SIZE / 64 + 16], output[SIZE];
static int head[1 << HBITS];

static const char *const words[16] = {
    "the ", "quick ", "brown ", "fox ", "jumps ", "over ", "a ", "lazy ",
    "dog, ", "and ", "then ", "runs ", "away. ", "memory ", "page ", "table\n",
};

static void make_input(void) {
    u32 s = 0x12345678;
    int i = 0;
    while (i < SIZE) {
        u32 r = xorshift32(&s);
        /* Mostly vocabulary words, sometimes a random byte, so matches vary in length. */
        if ((r & 31) == 0) {
            input[i++] = (unsigned char)(r >> 8);
            continue;
        }
        for (const char *w = words[(r >> 5) & 15]; *w && i < SIZE; w++) input[i++] = (unsigned char)*w;
    }
}

/* Literal runs: a byte 0..127 (run length - 1) followed by the bytes. */
static int put_literals(const unsigned char *in, int from, int to, unsigned char *out, int op) {
    while (from < to) {
        int k = to - from;
        if (k > 128) k = 128;
        out[op++] = (unsigned char)(k - 1);
        for (int j = 0; j < k; j++) out[op++] = in[from++];
    }
    return op;
}

/* Matches: a byte 128 + (length - 3), then the distance back, 16 bits little-endian. */
static NOINLINE int compress(const unsigned char *in, int n, unsigned char *out) {
    for (int i = 0; i < (1 << HBITS); i++) head[i] = -1;
    int ip = 0, op = 0, lit = 0;
    while (ip + MIN_MATCH <= n) {
        u32 key = (u32)in[ip] | (u32)in[ip + 1] << 8 | (u32)in[ip + 2] << 16;
        u32 h = (key * 2654435761u) >> (32 - HBITS);
        int cand = head[h];
        head[h] = ip;
        int len = 0;
        if (cand >= 0 && ip - cand < 65536) {
            int max = n - ip < MAX_MATCH ? n - ip : MAX_MATCH;
            while (len < max && in[cand + len] == in[ip + len]) len++;
        }
        if (len < MIN_MATCH) {
            ip++;
            continue;
        }
        op = put_literals(in, lit, ip, out, op);
        int dist = ip - cand;
        out[op++] = (unsigned char)(128 + len - MIN_MATCH);
        out[op++] = (unsigned char)dist;
        out[op++] = (unsigned char)(dist >> 8);
        ip += len;
        lit = ip;
    }
    return put_literals(in, lit, n, out, op);
}

static NOINLINE int decompress(const unsigned char *in, int n, unsigned char *out) {
    int ip = 0, op = 0;
    while (ip < n) {
        int c = in[ip++];
        if (c < 128) {
            for (int j = 0; j <= c; j++) out[op++] = in[ip++];
        } else {
            int len = c - 128 + MIN_MATCH;
            int dist = in[ip] | in[ip + 1] << 8;
            ip += 2;
            for (int j = 0; j < len; j++, op++) out[op] = out[op - dist]; /* may overlap */
        }
    }
    return op;
}

EXPORT int run(int n) {
    make_input();
    u32 total = 0;
    for (int r = 0; r < n; r++) {
        input[(u32)r * 7919u % SIZE] ^= (unsigned char)r;
        int clen = compress(input, SIZE, packed);
        if (decompress(packed, clen, output) != SIZE) return -1;
        for (int i = 0; i < SIZE; i++)
            if (output[i] != input[i]) return -1;
        total += (u32)clen;
    }
    return (int)total;
}
