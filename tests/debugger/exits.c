// A guest for tests/debugger.rs that ends with exit(3) from inside a nested call (WASI's
// proc_exit, a host call that never returns).
#include <stdio.h>
#include <stdlib.h>

void leave_with(int code) {
    printf("exiting with %d\n", code);
    exit(code);
}

int main(void) {
    leave_with(3);
    return 0;
}
