/* Dense matrix multiply of n x n doubles (n <= 1024): floating-point loads, multiply-adds and
 * strided memory traffic. */
#include "common.h"

#define MAX 1024
static double A[MAX * MAX], B[MAX * MAX], C[MAX * MAX];

EXPORT int run(int n) {
    if (n > MAX) n = MAX;
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
            A[i * n + j] = (double)((i * 7 + j * 3) % 17) - 8.0;
            B[i * n + j] = (double)((i * 5 + j * 11) % 13) * 0.5;
        }
    }
    for (int i = 0; i < n; i++) {
        /* The k = 0 term initialises the row (a zeroing loop would become a memset call). */
        for (int j = 0; j < n; j++) C[i * n + j] = A[i * n] * B[j];
        for (int k = 1; k < n; k++) {
            double a = A[i * n + k];
            for (int j = 0; j < n; j++) C[i * n + j] += a * B[k * n + j];
        }
    }
    i64 sum = 0;
    for (int i = 0; i < n * n; i++) sum += (i64)C[i] * (i % 31 + 1);
    return (int)(sum ^ (sum >> 32));
}
