/* A TCP echo server on the preopened listening socket (fd 3): waits for a client with
 * poll_oneoff, accepts it, echoes until the client shuts its side, then shuts down its own.
 * Afterwards, made non-blocking, the listener must answer EAGAIN with no client pending. */
#include <wasi/api.h>

#include "check.h"

int main(void) {
    __wasi_fdstat_t fs;
    CHECK_WASI(__wasi_fd_fdstat_get(3, &fs), 0);
    CHECK(fs.fs_filetype == __WASI_FILETYPE_SOCKET_STREAM);
    CHECK(fs.fs_rights_base & __WASI_RIGHTS_SOCK_ACCEPT);

    /* wait until a client is there (or 10 s pass) */
    __wasi_subscription_t subs[2] = {0};
    subs[0].userdata = 1;
    subs[0].u.tag = __WASI_EVENTTYPE_FD_READ;
    subs[0].u.u.fd_read.file_descriptor = 3;
    subs[1].userdata = 2;
    subs[1].u.tag = __WASI_EVENTTYPE_CLOCK;
    subs[1].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
    subs[1].u.u.clock.timeout = 10ull * 1000000000ull;
    __wasi_event_t ev[2];
    __wasi_size_t n;
    CHECK_WASI(__wasi_poll_oneoff(subs, ev, 2, &n), 0);
    CHECK(n == 1 && ev[0].userdata == 1 && ev[0].error == 0);

    __wasi_fd_t conn;
    CHECK_WASI(__wasi_sock_accept(3, 0, &conn), 0);
    CHECK_WASI(__wasi_fd_fdstat_get(conn, &fs), 0);
    CHECK(fs.fs_filetype == __WASI_FILETYPE_SOCKET_STREAM);
    CHECK_WASI(__wasi_sock_accept(conn, 0, &(__wasi_fd_t){0}), __WASI_ERRNO_NOTSOCK);

    size_t total = 0;
    for (;;) {
        char buf[64];
        __wasi_iovec_t iov = {.buf = (uint8_t *)buf, .buf_len = sizeof buf};
        __wasi_size_t got;
        __wasi_roflags_t roflags;
        /* peek first: the bytes stay for the real receive */
        CHECK_WASI(__wasi_sock_recv(conn, &iov, 1, __WASI_RIFLAGS_RECV_PEEK, &got, &roflags), 0);
        __wasi_size_t peeked = got;
        CHECK_WASI(__wasi_sock_recv(conn, &iov, 1, 0, &got, &roflags), 0);
        CHECK(got >= peeked);
        if (got == 0) break;
        total += got;
        __wasi_ciovec_t out = {.buf = (const uint8_t *)buf, .buf_len = got};
        __wasi_size_t sent;
        CHECK_WASI(__wasi_sock_send(conn, &out, 1, 0, &sent), 0);
        CHECK(sent == got);
    }
    CHECK_WASI(__wasi_sock_shutdown(conn, __WASI_SDFLAGS_WR), 0);
    CHECK_WASI(__wasi_sock_shutdown(conn, 0), __WASI_ERRNO_INVAL);
    CHECK_WASI(__wasi_sock_shutdown(3, __WASI_SDFLAGS_WR), __WASI_ERRNO_NOTCONN);
    CHECK_WASI(__wasi_fd_close(conn), 0);
    /* a non-blocking listener with no client pending */
    CHECK_WASI(__wasi_fd_fdstat_set_flags(3, __WASI_FDFLAGS_NONBLOCK), 0);
    CHECK_WASI(__wasi_fd_fdstat_get(3, &fs), 0);
    CHECK(fs.fs_flags == __WASI_FDFLAGS_NONBLOCK);
    CHECK_WASI(__wasi_sock_accept(3, 0, &conn), __WASI_ERRNO_AGAIN);
    CHECK_WASI(__wasi_sock_accept(3, 0xff, &conn), __WASI_ERRNO_INVAL);
    printf("echoed %zu bytes\n", total);
    return 0;
}
