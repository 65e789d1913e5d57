/* A tight arithmetic loop: a serial chain of integer multiply, add, xor, shift and rotate that
 * the compiler can neither vectorise nor fold into a closed form. */
#include "common.h"

EXPORT int run(int n) {
    u32 a = 1, b = 2, c = 3;
    for (int i = 0; i < n; i++) {
        a = a * 1664525u + 1013904223u;
        b ^= a >> 7;
        b = (b << 3) | (b >> 29);
        c += (a ^ b) + (u32)i;
    }
    return (int)(a ^ b ^ c);
}
