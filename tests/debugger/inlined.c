// A guest for tests/debugger.rs built with -O1: `scale` is inlined into `sum_scaled`, which
// stays a function of its own.
#include <stdio.h>

static inline int scale(int x, int factor) {
    int scaled = x * factor;
    return scaled + 1;
}

__attribute__((noinline)) int sum_scaled(const int *values, int n, int factor) {
    int total = 0;
    for (int i = 0; i < n; i++) {
        total += scale(values[i], factor);
    }
    return total;
}

int main(int argc, char **argv) {
    int values[4] = {1, 2, 3, argc};
    printf("%d\n", sum_scaled(values, 4, argc + 2));
    return 0;
}
