/* Sleeps for the number of seconds given as its argument (5 by default) with sleep(3), which
 * wasi-libc turns into a poll_oneoff clock subscription, then says so. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
    unsigned seconds = argc > 1 ? (unsigned)atoi(argv[1]) : 5;
    sleep(seconds);
    printf("slept %u s\n", seconds);
    return 0;
}
