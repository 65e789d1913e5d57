/* Sieve of Eratosthenes below 2^22, n times: byte stores with large strides over 4 MiB. Returns
 * the number of primes found, summed over the rounds. */
#include "common.h"

#define LIMIT (1 << 22)
static unsigned char composite[LIMIT];

static NOINLINE int sieve(int limit) {
    /* Even numbers above 2 are composite from the start; odd ones are candidates. */
    for (int i = 0; i < limit; i++) composite[i] = (unsigned char)((i & 1) == 0);
    int count = 1; /* the prime 2 */
    for (int i = 3; i < limit; i += 2) {
        if (composite[i]) continue;
        count++;
        for (long long j = (long long)i * i; j < limit; j += 2 * i) composite[j] = 1;
    }
    return count;
}

EXPORT int run(int n) {
    int total = 0;
    for (int r = 0; r < n; r++) total += sieve(LIMIT - r);
    return total;
}
