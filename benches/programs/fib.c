/* Recursive Fibonacci: call-heavy code, two calls per invocation and little work in each. */
#include "common.h"

static NOINLINE int fib(int n) {
    if (n < 2) return n;
    return fib(n - 1) + fib(n - 2);
}

EXPORT int run(int n) { return fib(n); }
