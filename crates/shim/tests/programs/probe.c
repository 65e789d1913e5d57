// The container test's program, built for wasm32-wasi (and natively, for the benchmark's runc
// containers). Each argument is an action, done in order, each line flushed at once:
//   args        print argv, one `argv[i]=...` line each
//   env:NAME    print `NAME=value` or `NAME=(unset)`
//   read:PATH   print `read PATH: first line` or `refused PATH`
//   alloc:MIB   allocate and touch MIB MiB: `allocated N MiB` or `cannot allocate N MiB`
//   sleep:SECS  print `sleeping`, then sleep SECS seconds (0: for ever)
//   exit:N      end now with status N
//   anything else is printed as it is.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "args") == 0) {
            for (int j = 0; j < argc; j++)
                printf("argv[%d]=%s\n", j, argv[j]);
        } else if (strncmp(a, "env:", 4) == 0) {
            const char *v = getenv(a + 4);
            printf("%s=%s\n", a + 4, v ? v : "(unset)");
        } else if (strncmp(a, "read:", 5) == 0) {
            FILE *f = fopen(a + 5, "r");
            if (!f) {
                printf("refused %s\n", a + 5);
            } else {
                char line[256] = {0};
                if (!fgets(line, sizeof line, f))
                    line[0] = 0;
                line[strcspn(line, "\n")] = 0;
                printf("read %s: %s\n", a + 5, line);
                fclose(f);
            }
        } else if (strncmp(a, "alloc:", 6) == 0) {
            size_t mib = strtoul(a + 6, NULL, 10);
            // Volatile stores, one a page: the compiler may not drop the allocation.
            volatile char *p = malloc(mib << 20);
            if (p) {
                for (size_t at = 0; at < mib << 20; at += 4096)
                    p[at] = 1;
                printf("allocated %zu MiB\n", mib);
            } else {
                printf("cannot allocate %zu MiB\n", mib);
            }
        } else if (strncmp(a, "sleep:", 6) == 0) {
            unsigned secs = strtoul(a + 6, NULL, 10);
            printf("sleeping\n");
            fflush(stdout);
            do
                sleep(secs ? secs : 3600);
            while (!secs);
        } else if (strncmp(a, "exit:", 5) == 0) {
            fflush(stdout);
            return atoi(a + 5);
        } else {
            printf("%s\n", a);
        }
        fflush(stdout);
    }
    return 0;
}
