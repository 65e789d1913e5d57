/* Hello world with wasi-libc's stdio: the smallest real program, for start-up time and memory. */
#include <stdio.h>

int main(void) {
    printf("hello, world\n");
    return 0;
}
