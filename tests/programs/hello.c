/* Arguments, environment, stdin, stdout and stderr, and the exit status: prints what it was
 * given and exits with the status named by its last argument. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

int main(int argc, char **argv) {
    printf("argc=%d\n", argc);
    for (int i = 0; i < argc; i++) printf("argv[%d]=%s\n", i, argv[i]);
    for (char **e = environ; *e; e++) printf("env %s\n", *e);
    const char *home = getenv("HOME");
    printf("HOME=%s\n", home ? home : "(unset)");
    char buf[256];
    size_t n = fread(buf, 1, sizeof buf - 1, stdin);
    buf[n] = 0;
    printf("stdin=[%s]\n", buf);
    fprintf(stderr, "to stderr\n");
    return argc > 1 ? atoi(argv[argc - 1]) : 0;
}
