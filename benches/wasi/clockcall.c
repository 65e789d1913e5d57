/* WASI host-call cost with next to nothing behind it: clock_gettime(CLOCK_MONOTONIC), N times;
 * each is one `clock_time_get` host call (a vDSO clock read on Linux). Usage: clockcall N.
 * Prints N and whether the clock never went backwards. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: clockcall N\n");
        return 2;
    }
    long n = atol(argv[1]);
    struct timespec last = {0, 0};
    int monotonic = 1;
    for (long i = 0; i < n; i++) {
        struct timespec t;
        if (clock_gettime(CLOCK_MONOTONIC, &t) != 0) {
            perror("clock_gettime");
            return 1;
        }
        if (t.tv_sec < last.tv_sec || (t.tv_sec == last.tv_sec && t.tv_nsec < last.tv_nsec))
            monotonic = 0;
        last = t;
    }
    printf("%ld %s\n", n, monotonic ? "monotonic" : "not monotonic");
    return 0;
}
