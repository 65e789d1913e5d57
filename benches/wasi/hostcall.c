/* WASI host-call cost: write(2) of one byte, N times, to a fresh file; each write is one
 * `fd_write` host call (no stdio buffering). Usage: hostcall N PATH. Prints the bytes written. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: hostcall N PATH\n");
        return 2;
    }
    long n = atol(argv[1]);
    int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        perror(argv[2]);
        return 1;
    }
    long written = 0;
    for (long i = 0; i < n; i++) {
        char c = 'a' + i % 26;
        if (write(fd, &c, 1) != 1) {
            perror("write");
            return 1;
        }
        written++;
    }
    close(fd);
    printf("%ld\n", written);
    return 0;
}
