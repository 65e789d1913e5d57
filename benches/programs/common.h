/* Shared helpers for the benchmark programs. They are freestanding C: no libc, so the same source
 * compiles to wasm32 with `clang -nostdlib` and natively with gcc. Every program defines
 * `int run(int n)`, which does work proportional to `n` and returns a checksum of it. */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

typedef unsigned int u32;
typedef unsigned long long u64;
typedef long long i64;

#if defined(__wasm__)
#define EXPORT __attribute__((export_name("run")))
#else
#define EXPORT
#endif

#define NOINLINE __attribute__((noinline))

/* xorshift32: a small, fast, deterministic pseudo-random generator. */
static inline u32 xorshift32(u32 *state) {
    u32 x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *state = x;
    return x;
}

#endif
