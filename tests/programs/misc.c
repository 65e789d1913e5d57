/* Clocks, randomness, sched_yield, proc_raise, stdio fdstat, and a guest that passes wild
 * pointers, lengths past the end of memory, bad fds, bad flags and huge iovec counts: every
 * call must answer with an errno. Ends with exit(3) through proc_exit. */
#include <sched.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>

#include "check.h"

#define WILD ((void *)0xfffffff0)

/* This wasi-libc no longer declares proc_raise; import it by hand. */
int32_t raw_proc_raise(int32_t sig)
    __attribute__((__import_module__("wasi_snapshot_preview1"), __import_name__("proc_raise")));

int main(void) {
    struct timespec a, b, res;
    CHECK(clock_gettime(CLOCK_REALTIME, &a) == 0 && a.tv_sec > 1600000000);
    CHECK(clock_gettime(CLOCK_MONOTONIC, &a) == 0);
    CHECK(clock_gettime(CLOCK_MONOTONIC, &b) == 0);
    CHECK(b.tv_sec > a.tv_sec || (b.tv_sec == a.tv_sec && b.tv_nsec >= a.tv_nsec));
    CHECK(clock_getres(CLOCK_MONOTONIC, &res) == 0 && (res.tv_sec > 0 || res.tv_nsec > 0));
    CHECK(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a) == 0);
    CHECK(clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a) == 0);
    __wasi_timestamp_t t;
    CHECK_WASI(__wasi_clock_time_get(9, 1, &t), __WASI_ERRNO_INVAL);
    CHECK_WASI(__wasi_clock_res_get(9, &t), __WASI_ERRNO_INVAL);

    unsigned char r1[32] = {0}, r2[32] = {0};
    CHECK(getentropy(r1, sizeof r1) == 0 && getentropy(r2, sizeof r2) == 0);
    CHECK(memcmp(r1, r2, sizeof r1) != 0);
    CHECK_WASI(__wasi_random_get(WILD, 64), __WASI_ERRNO_FAULT);

    CHECK(sched_yield() == 0);
    CHECK_WASI(__wasi_sched_yield(), 0);
    CHECK_WASI(raw_proc_raise(0), 0);
    CHECK_WASI(raw_proc_raise(6 /* abrt */), __WASI_ERRNO_NOSYS);

    /* stdio captured by the host: not a terminal, and honest about it */
    CHECK(!isatty(1));
    CHECK_ERRNO(lseek(1, 0, SEEK_SET), ESPIPE);
    __wasi_fdstat_t fs;
    CHECK_WASI(__wasi_fd_fdstat_get(1, &fs), 0);
    CHECK(fs.fs_rights_base & __WASI_RIGHTS_FD_WRITE);
    CHECK_WASI(__wasi_fd_fdstat_set_flags(1, __WASI_FDFLAGS_NONBLOCK), __WASI_ERRNO_NOTSUP);

    /* bad input */
    __wasi_size_t n;
    __wasi_ciovec_t iov = {.buf = (const uint8_t *)"x", .buf_len = 1};
    CHECK_WASI(__wasi_fd_write(1, WILD, 1, &n), __WASI_ERRNO_FAULT);
    CHECK_WASI(__wasi_fd_write(1, &iov, 0x10000000, &n), __WASI_ERRNO_FAULT);
    CHECK_WASI(__wasi_fd_write(1, &iov, 0xffffffff, &n), __WASI_ERRNO_FAULT);
    CHECK_WASI(__wasi_fd_write(1, &iov, 1, WILD), __WASI_ERRNO_FAULT);
    __wasi_ciovec_t past = {.buf = (const uint8_t *)0xfffffff0, .buf_len = 0x100};
    CHECK_WASI(__wasi_fd_write(1, &past, 1, &n), __WASI_ERRNO_FAULT);
    CHECK_WASI(__wasi_fd_write(1234, &iov, 1, &n), __WASI_ERRNO_BADF);
    CHECK_WASI(__wasi_fd_read(0, (__wasi_iovec_t *)WILD, 2, &n), __WASI_ERRNO_FAULT);
    CHECK_WASI(__wasi_args_get(WILD, WILD), __WASI_ERRNO_FAULT);
    CHECK_WASI(__wasi_args_sizes_get(WILD, &n), __WASI_ERRNO_FAULT);
    CHECK_WASI(__wasi_environ_get(WILD, WILD), __WASI_ERRNO_FAULT);
    CHECK_WASI(__wasi_fd_fdstat_get(1, WILD), __WASI_ERRNO_FAULT);
    CHECK_WASI(__wasi_fd_seek(1, 0, 7, (void *)&t), __WASI_ERRNO_INVAL);
    CHECK_WASI(__wasi_fd_close(99), __WASI_ERRNO_BADF);
    CHECK_WASI(__wasi_fd_advise(1, 0, 0, 77), __WASI_ERRNO_INVAL);
    CHECK_WASI(__wasi_sock_send(1, &iov, 1, 0, &n), __WASI_ERRNO_NOTSOCK);
    CHECK_WASI(__wasi_sock_recv(0, (__wasi_iovec_t *)&iov, 1, 0, &n, (void *)&t), __WASI_ERRNO_NOTSOCK);
    CHECK_WASI(__wasi_sock_shutdown(1, __WASI_SDFLAGS_RD), __WASI_ERRNO_NOTSOCK);
    CHECK_WASI(__wasi_path_open(1, 0, "x", 0, 0, 0, 0, &(__wasi_fd_t){0}), __WASI_ERRNO_NOTDIR);
    CHECK_WASI(__wasi_path_create_directory(0, "x"), __WASI_ERRNO_NOTDIR);
    CHECK_WASI(__wasi_fd_readdir(1, (uint8_t *)r1, sizeof r1, 0, &n), __WASI_ERRNO_NOTCAPABLE);
    CHECK_WASI(__wasi_fd_prestat_dir_name(3, (uint8_t *)r1, 4), __WASI_ERRNO_NAMETOOLONG);
    CHECK_WASI(__wasi_fd_prestat_dir_name(1, (uint8_t *)r1, 4), __WASI_ERRNO_BADF);
    printf("misc ok\n");
    fflush(stdout);
    exit(3);
}
