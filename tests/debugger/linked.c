// A guest for tests/debugger.rs: guest pointers inside data — a linked list on the heap, and an
// array of structs holding pointers.
#include <stdio.h>
#include <stdlib.h>

struct node {
    int value;
    struct node *next;
};

struct entry {
    const char *name;
    int size;
};

struct entry table[2] = {{"one", 1}, {"two", 2}};

int total(struct node *list) {
    int t = 0;
    for (struct node *n = list; n; n = n->next) {
        t += n->value;
    }
    return t;
}

int main(void) {
    struct node *head = NULL;
    for (int i = 1; i <= 3; i++) {
        struct node *n = malloc(sizeof *n);
        n->value = i * 10;
        n->next = head;
        head = n;
    }
    printf("%d %s\n", total(head), table[1].name);
    return 0;
}
