// The program of the binfmt test, run as ./hello.wasm. Prints its argv and one environment
// variable; `read:PATH` tries to read a file and prints the first line or "refused PATH";
// `exit:N` ends with status N.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    int status = 0;
    for (int i = 0; i < argc; i++)
        printf("argv[%d]=%s\n", i, argv[i]);
    const char *secret = getenv("WEXE_TEST_SECRET");
    printf("WEXE_TEST_SECRET=%s\n", secret ? secret : "(unset)");
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "read:", 5) == 0) {
            const char *path = argv[i] + 5;
            FILE *f = fopen(path, "r");
            if (!f) {
                printf("refused %s\n", path);
                continue;
            }
            char line[128] = {0};
            if (!fgets(line, sizeof line, f))
                line[0] = 0;
            line[strcspn(line, "\n")] = 0;
            printf("read %s: %s\n", path, line);
            fclose(f);
        } else if (strncmp(argv[i], "exit:", 5) == 0) {
            status = atoi(argv[i] + 5);
        }
    }
    return status;
}
