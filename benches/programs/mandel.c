/* Mandelbrot set: escape-time iteration (up to 500 steps) for every point of an n x n grid over
 * [-2, 0.5] x [-1.25, 1.25]. Dependent f64 multiply-adds and an unpredictable loop exit.
 * Returns the total number of iterations. */
#include "common.h"

#define MAX_ITER 500

static NOINLINE int escape_time(double cr, double ci) {
    double zr = 0, zi = 0;
    int k = 0;
    while (k < MAX_ITER && zr * zr + zi * zi <= 4.0) {
        double t = zr * zr - zi * zi + cr;
        zi = 2 * zr * zi + ci;
        zr = t;
        k++;
    }
    return k;
}

EXPORT int run(int n) {
    u32 total = 0;
    for (int y = 0; y < n; y++) {
        double ci = -1.25 + 2.5 * y / n;
        for (int x = 0; x < n; x++) total += (u32)escape_time(-2.0 + 2.5 * x / n, ci);
    }
    return (int)total;
}
