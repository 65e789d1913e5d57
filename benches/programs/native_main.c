/* Native driver for the benchmark programs: `prog N` prints `run(N)`, like the wasm runtimes'
 * `--invoke run prog.wasm N`. */
#include <stdio.h>
#include <stdlib.h>

int run(int n);

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s N\n", argv[0]);
        return 2;
    }
    printf("%d\n", run(atoi(argv[1])));
    return 0;
}
