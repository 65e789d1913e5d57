/* Function-pointer dispatch: a tiny virtual machine whose program is a pseudo-random list of
 * opcodes, each executed through a table of function pointers (`call_indirect` in wasm). */
#include "common.h"

typedef u32 (*op_fn)(u32 acc, u32 arg);

static NOINLINE u32 op_add(u32 acc, u32 arg) { return acc + arg; }
static NOINLINE u32 op_sub(u32 acc, u32 arg) { return acc - arg; }
static NOINLINE u32 op_mul(u32 acc, u32 arg) { return acc * (arg | 1); }
static NOINLINE u32 op_xor(u32 acc, u32 arg) { return acc ^ arg; }
static NOINLINE u32 op_rotl(u32 acc, u32 arg) { return (acc << (arg & 31)) | (acc >> ((32 - arg) & 31)); }
static NOINLINE u32 op_shr(u32 acc, u32 arg) { return acc ^ (acc >> ((arg & 15) + 1)); }
static NOINLINE u32 op_neg(u32 acc, u32 arg) { return ~acc + (arg & 7); }
static NOINLINE u32 op_mix(u32 acc, u32 arg) { return (acc ^ (acc >> 16)) * 0x45d9f3bu + arg; }

static op_fn ops[8] = {op_add, op_sub, op_mul, op_xor, op_rotl, op_shr, op_neg, op_mix};

#define PROG 256
static unsigned char code[PROG];
static u32 args[PROG];

EXPORT int run(int n) {
    u32 s = 0x9e3779b9;
    for (int i = 0; i < PROG; i++) {
        code[i] = (unsigned char)(xorshift32(&s) & 7);
        args[i] = xorshift32(&s);
    }
    u32 acc = 1;
    for (int round = 0; round < n; round++) {
        for (int pc = 0; pc < PROG; pc++) acc = ops[code[pc]](acc, args[pc]);
    }
    return (int)acc;
}
