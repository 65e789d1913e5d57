// A guest for tests/debugger.rs: breakpoints, stepping and variables of every kind.
#include <stdio.h>

struct point {
    int x;
    int y;
};

int counter = 0;
double scale = 2.5;

int sum(const int *values, int n) {
    int total = 0;
    for (int i = 0; i < n; i++) {
        total += values[i];
    }
    return total;
}

int area(struct point *p) {
    int a = p->x * p->y;
    counter++;
    return a;
}

int main(void) {
    int arr[4] = {1, 2, 3, 4};
    struct point pt = {3, 7};
    float f = 1.5f;
    int s = sum(arr, 4);
    int a = area(&pt);
    printf("%d %d %g %g\n", s, a, f, scale);
    return 0;
}
