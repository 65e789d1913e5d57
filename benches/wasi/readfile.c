/* WASI bulk read: read(2) a whole file in 64 KiB chunks. Usage: readfile PATH. Prints the bytes
 * read and a light checksum (the first 8 bytes of every chunk), so the run stays I/O-bound. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static unsigned char buf[64 * 1024];

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: readfile PATH\n");
        return 2;
    }
    int fd = open(argv[1], O_RDONLY);
    if (fd < 0) {
        perror(argv[1]);
        return 1;
    }
    uint64_t total = 0, sum = 0;
    for (;;) {
        ssize_t got = read(fd, buf, sizeof buf);
        if (got < 0) {
            perror("read");
            return 1;
        }
        if (got == 0)
            break;
        uint64_t head = 0;
        memcpy(&head, buf, got < 8 ? (size_t)got : 8);
        sum = sum * 31 + head;
        total += (uint64_t)got;
    }
    close(fd);
    printf("%llu %016llx\n", (unsigned long long)total, (unsigned long long)sum);
    return 0;
}
