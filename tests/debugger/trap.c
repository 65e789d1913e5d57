// A guest for tests/debugger.rs that divides by zero (argc - 1 is 0) at a known line.
#include <stdio.h>

int divide(int a, int b) {
    int q = a / b;
    return q;
}

int main(int argc, char **argv) {
    printf("dividing\n");
    return divide(10, argc - 1);
}
