/* Quicksort of n pseudo-random 32-bit integers (n <= 2^22), then a check that the result is
 * sorted: data-dependent branches, recursion and random memory access. */
#include "common.h"

#define MAX (1 << 22)
static u32 data[MAX];

static void quicksort(u32 *a, int lo, int hi) {
    while (hi - lo > 16) {
        u32 pivot = a[lo + (hi - lo) / 2];
        int i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot) i++;
            while (a[j] > pivot) j--;
            if (i <= j) {
                u32 t = a[i];
                a[i] = a[j];
                a[j] = t;
                i++;
                j--;
            }
        }
        /* Recurse into the smaller half, loop on the larger: bounded stack depth. */
        if (j - lo < hi - i) {
            quicksort(a, lo, j);
            lo = i;
        } else {
            quicksort(a, i, hi);
            hi = j;
        }
    }
    for (int i = lo + 1; i <= hi; i++) { /* insertion sort for short runs */
        u32 v = a[i];
        int k = i - 1;
        while (k >= lo && a[k] > v) {
            a[k + 1] = a[k];
            k--;
        }
        a[k + 1] = v;
    }
}

EXPORT int run(int n) {
    if (n > MAX) n = MAX;
    u32 s = 0x12345678;
    for (int i = 0; i < n; i++) data[i] = xorshift32(&s);
    quicksort(data, 0, n - 1);
    u32 sum = 0;
    for (int i = 0; i < n; i++) {
        if (i > 0 && data[i - 1] > data[i]) return -1;
        sum = sum * 31 + data[i];
    }
    return (int)sum;
}
