/* Prints "y" lines until stopped, ignoring write errors, like yes(1): the test of how a program
 * ends when the reader of its output goes away. */
#include <stdio.h>
int main(void) { for (;;) puts("y"); }
