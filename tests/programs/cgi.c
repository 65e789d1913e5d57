/* A WAGI (CGI) program for tests/serve.rs: what it answers depends on PATH_INFO. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>

extern char **environ;

/* State a request could leave behind if instances were reused: each must see it fresh. */
static int requests_seen;
static char scratch[1 << 20] = "pristine";

static unsigned long long fnv(const unsigned char *p, size_t n) {
    unsigned long long h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

static void text(const char *body) {
    printf("Content-Type: text/plain\n\n%s", body);
}

int main(int argc, char **argv) {
    const char *path = getenv("PATH_INFO");
    if (!path) path = "";
    if (!strcmp(path, "/hello")) {
        text("hello from wasm\n");
    } else if (!strcmp(path, "/env")) {
        printf("Content-Type: text/plain\n\n");
        for (int i = 0; i < argc; i++) printf("argv[%d]=%s\n", i, argv[i]);
        for (char **e = environ; *e; e++) printf("%s\n", *e);
    } else if (!strcmp(path, "/echo")) {
        size_t cap = 1 << 16, n = 0, got;
        unsigned char *buf = malloc(cap);
        while ((got = fread(buf + n, 1, cap - n, stdin)) > 0) {
            n += got;
            if (n == cap) buf = realloc(buf, cap *= 2);
        }
        printf("Content-Type: text/plain\n\nlength=%zu fnv=%016llx\n", n, fnv(buf, n));
    } else if (!strcmp(path, "/redirect")) {
        printf("Location: /hello\n\n");
    } else if (!strcmp(path, "/status")) {
        printf("Status: 418 I'm a teapot\nContent-Type: text/plain\nX-Extra: yes\n\nteapot\n");
    } else if (!strcmp(path, "/bad")) {
        printf("no headers at all, just text\n");
    } else if (!strcmp(path, "/trap")) {
        fprintf(stderr, "about to trap\n");
        __builtin_trap();
    } else if (!strcmp(path, "/exit")) {
        text("partial");
        exit(3);
    } else if (!strcmp(path, "/loop")) {
        fprintf(stderr, "looping forever\n");
        volatile unsigned long i = 0;
        for (;;) i++;
    } else if (!strcmp(path, "/sleep")) {
        sleep(100);
        text("woke\n");
    } else if (!strcmp(path, "/slow")) {
        usleep(500 * 1000);
        text("slow done\n");
    } else if (!strcmp(path, "/flood")) {
        printf("Content-Type: text/plain\n\n");
        static char chunk[65536];
        memset(chunk, 'x', sizeof chunk);
        for (;;) fwrite(chunk, 1, sizeof chunk, stdout);
    } else if (!strcmp(path, "/state")) {
        /* Report what the last request may have left, then leave something. */
        int fd = open("/ro/left-behind", O_WRONLY | O_CREAT, 0644);
        int created = fd >= 0;
        if (fd >= 0) close(fd);
        FILE *f = fopen("/ro/fixture.txt", "r");
        char fixture[64] = "(none)";
        if (f) {
            size_t n = fread(fixture, 1, sizeof fixture - 1, f);
            fixture[n] = 0;
            fclose(f);
        }
        printf("Content-Type: text/plain\n\nseen=%d scratch=%s created=%d fixture=%s\n",
               requests_seen, scratch, created, fixture);
        requests_seen++;
        memset(scratch, 'D', sizeof scratch - 1);
        strcpy(scratch, "dirty");
    } else {
        printf("Status: 404 Not Found\nContent-Type: text/plain\n\nno such page: %s\n", path);
    }
    return 0;
}
