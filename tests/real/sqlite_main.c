/* A tiny SQLite shell for the real-program tests (ours; SQLite itself is fetched from a
 * registry at test time, never committed).
 *
 *   sqlite_main DB SQL...
 *
 * Opens (creating if needed) the database file DB, runs each SQL argument in turn with
 * sqlite3_exec and prints every result row as its columns joined by '|' (NULL as "NULL"), like
 * the sqlite3 shell's list mode. On an error it prints "error: MESSAGE" to stderr and exits 1. */
#include <stdio.h>
#include "sqlite3.h"

static int print_row(void *unused, int ncol, char **vals, char **names) {
    (void)unused;
    (void)names;
    for (int i = 0; i < ncol; i++)
        printf("%s%s", i ? "|" : "", vals[i] ? vals[i] : "NULL");
    printf("\n");
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s DB SQL...\n", argv[0]);
        return 2;
    }
    sqlite3 *db;
    if (sqlite3_open(argv[1], &db) != SQLITE_OK) {
        fprintf(stderr, "error: cannot open %s: %s\n", argv[1], sqlite3_errmsg(db));
        return 1;
    }
    for (int i = 2; i < argc; i++) {
        char *err = NULL;
        if (sqlite3_exec(db, argv[i], print_row, NULL, &err) != SQLITE_OK) {
            fprintf(stderr, "error: %s\n", err ? err : "unknown");
            sqlite3_free(err);
            sqlite3_close(db);
            return 1;
        }
    }
    if (sqlite3_close(db) != SQLITE_OK) {
        fprintf(stderr, "error: close: %s\n", sqlite3_errmsg(db));
        return 1;
    }
    return 0;
}
