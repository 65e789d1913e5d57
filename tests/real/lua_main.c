/* A minimal stand-alone Lua interpreter for the real-program tests (ours; Lua itself is fetched
 * from a registry at test time, never committed).
 *
 *   lua_main SCRIPT [ARGS...]
 *
 * Runs SCRIPT with the standard libraries and the global table `arg` laid out like lua.c's
 * (arg[0] = SCRIPT, arg[1..] = ARGS; `...` is ARGS too). `os.exit(n)` ends the program with
 * status n.
 *
 * WebAssembly without exception handling cannot longjmp, so Lua is built with LUAI_THROW
 * calling lua_main_throw below: a Lua error is not catchable (pcall, error handlers and
 * coroutine.yield do not work); it prints "lua: MESSAGE" to stderr and exits with status 1. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "lauxlib.h"
#include "lua.h"
#include "lualib.h"

_Noreturn void lua_main_throw(lua_State *L, int status) {
    const char *msg = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "(error object)";
    fprintf(stderr, "lua: %s (status %d)\n", msg, status);
    exit(1);
}

/* wasi-libc declares tmpfile but has none (no temporary directory): io.tmpfile() fails. */
FILE *tmpfile(void) {
    errno = ENOTSUP;
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s SCRIPT [ARGS...]\n", argv[0]);
        return 2;
    }
    lua_State *L = luaL_newstate();
    if (L == NULL) {
        fprintf(stderr, "lua: cannot create state\n");
        return 1;
    }
    luaL_openlibs(L);
    lua_createtable(L, argc - 2, 1);
    for (int i = 1; i < argc; i++) {
        lua_pushstring(L, argv[i]);
        lua_rawseti(L, -2, i - 1);
    }
    lua_setglobal(L, "arg");
    if (luaL_loadfile(L, argv[1]) != LUA_OK) {
        fprintf(stderr, "lua: %s\n", lua_tostring(L, -1));
        return 1;
    }
    for (int i = 2; i < argc; i++)
        lua_pushstring(L, argv[i]);
    /* Protected, so that an error reaches lua_main_throw (an unprotected one would abort). */
    if (lua_pcall(L, argc - 2, 0, 0) != LUA_OK) {
        fprintf(stderr, "lua: %s\n", lua_tostring(L, -1));
        return 1;
    }
    lua_close(L);
    return 0;
}
