/* Flips the symlink LINK between targets A and B (each flip an atomic rename over LINK) until
 * the file STOP appears or 60 s pass: a guest racing a binfmt run of LINK with nothing but
 * WASI's path_symlink and path_rename in its own directory. Prints the number of flips. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: flip_link LINK A B STOP\n");
        return 2;
    }
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", argv[1]);
    time_t end = time(NULL) + 60;
    long flips = 0;
    while (access(argv[4], F_OK) != 0 && time(NULL) < end) {
        for (int i = 2; i <= 3; i++) {
            unlink(tmp);
            if (symlink(argv[i], tmp) != 0 || rename(tmp, argv[1]) != 0) {
                perror("flip_link");
                return 1;
            }
            flips++;
        }
    }
    printf("%ld flips\n", flips);
    return 0;
}
