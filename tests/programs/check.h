/* Tiny assertion helpers shared by the WASI guest programs: CHECK(cond) and
 * CHECK_ERRNO(expr, E) print the failing line to stderr and exit 1. */
#ifndef CHECK_H
#define CHECK_H
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(c)                                                                  \
    do {                                                                          \
        if (!(c)) {                                                               \
            fprintf(stderr, "%s:%d: check failed: %s (errno %d: %s)\n", __FILE__, \
                    __LINE__, #c, errno, strerror(errno));                        \
            exit(1);                                                              \
        }                                                                         \
    } while (0)

/* `expr` must fail (return -1) with errno E. */
#define CHECK_ERRNO(expr, E)                                                         \
    do {                                                                             \
        errno = 0;                                                                   \
        long long r_ = (long long)(expr);                                            \
        if (r_ != -1) {                                                   \
            fprintf(stderr, "%s:%d: %s succeeded (%lld), expected %s\n", __FILE__,   \
                    __LINE__, #expr, r_, #E);                                        \
            exit(1);                                                                 \
        }                                                                            \
        if (errno != (E)) {                                                          \
            fprintf(stderr, "%s:%d: %s: errno %d (%s), expected %s (%d)\n", __FILE__, \
                    __LINE__, #expr, errno, strerror(errno), #E, E);                 \
            exit(1);                                                                 \
        }                                                                            \
    } while (0)

/* A raw WASI call must return errno E. */
#define CHECK_WASI(expr, E)                                                             \
    do {                                                                                \
        int e_ = (int)(expr);                                                           \
        if (e_ != (E)) {                                                                \
            fprintf(stderr, "%s:%d: %s returned %d, expected %s (%d)\n", __FILE__,      \
                    __LINE__, #expr, e_, #E, (int)(E));                                 \
            exit(1);                                                                    \
        }                                                                               \
    } while (0)
#endif
