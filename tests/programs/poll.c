/* poll_oneoff through poll(), nanosleep and the raw API: clocks really wait, stdin with data
 * and regular files are ready at once. */
#include <fcntl.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>

#include "check.h"

static long long now_ms(void) {
    struct timespec ts;
    CHECK(clock_gettime(CLOCK_MONOTONIC, &ts) == 0);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int main(void) {
    long long t0 = now_ms();
    CHECK(poll(NULL, 0, 120) == 0);
    long long waited = now_ms() - t0;
    CHECK(waited >= 120);

    t0 = now_ms();
    struct timespec d = {.tv_sec = 0, .tv_nsec = 80 * 1000000};
    CHECK(nanosleep(&d, NULL) == 0);
    CHECK(now_ms() - t0 >= 80);

    /* stdin holds data: readable at once even with a long timeout */
    struct pollfd p = {.fd = 0, .events = POLLIN};
    t0 = now_ms();
    CHECK(poll(&p, 1, 10000) == 1 && (p.revents & POLLIN));
    CHECK(now_ms() - t0 < 5000);
    char buf[16];
    CHECK(read(0, buf, sizeof buf) == 5 && memcmp(buf, "ping\n", 5) == 0);

    /* a regular file is readable and writable */
    int fd = open("/sandbox/p.txt", O_RDWR | O_CREAT, 0644);
    CHECK(fd >= 0 && write(fd, "abc", 3) == 3 && lseek(fd, 0, SEEK_SET) == 0);
    struct pollfd pf[2] = {{.fd = fd, .events = POLLIN}, {.fd = 1, .events = POLLOUT}};
    CHECK(poll(pf, 2, 1000) == 2 && (pf[0].revents & POLLIN) && (pf[1].revents & POLLOUT));

    /* raw: nbytes of a file read subscription, an absolute deadline, bad input */
    __wasi_subscription_t s = {.userdata = 9, .u.tag = __WASI_EVENTTYPE_FD_READ};
    s.u.u.fd_read.file_descriptor = fd;
    __wasi_event_t ev[2];
    __wasi_size_t n;
    CHECK_WASI(__wasi_poll_oneoff(&s, ev, 1, &n), 0);
    CHECK(n == 1 && ev[0].userdata == 9 && ev[0].fd_readwrite.nbytes == 3);
    s.u.u.fd_read.file_descriptor = 77;
    CHECK_WASI(__wasi_poll_oneoff(&s, ev, 1, &n), 0);
    CHECK(n == 1 && ev[0].error == __WASI_ERRNO_BADF);
    __wasi_timestamp_t t;
    CHECK_WASI(__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t), 0);
    __wasi_subscription_t c = {.userdata = 4, .u.tag = __WASI_EVENTTYPE_CLOCK};
    c.u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
    c.u.u.clock.timeout = t + 50 * 1000000ull;
    c.u.u.clock.flags = __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME;
    t0 = now_ms();
    CHECK_WASI(__wasi_poll_oneoff(&c, ev, 1, &n), 0);
    CHECK(n == 1 && ev[0].userdata == 4 && ev[0].type == __WASI_EVENTTYPE_CLOCK);
    CHECK(now_ms() - t0 >= 49);
    CHECK_WASI(__wasi_poll_oneoff(&c, ev, 0, &n), __WASI_ERRNO_INVAL);
    CHECK_WASI(__wasi_poll_oneoff((void *)0xfffffff0, ev, 1, &n), __WASI_ERRNO_FAULT);
    printf("poll ok, waited %lld ms\n", waited);
    return 0;
}
