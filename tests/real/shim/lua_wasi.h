/* Force-included (clang -include) into every Lua source file when building Lua for
 * wasm32-wasi in the real-program tests: replaces what WASI lacks. Ours, not Lua's. */
#ifndef WEXE_LUA_WASI_H
#define WEXE_LUA_WASI_H

struct lua_State;
/* No setjmp/longjmp: an error ends the program (see lua_main.c). */
_Noreturn void lua_main_throw(struct lua_State *L, int status);
#define LUAI_THROW(L, c) lua_main_throw(L, (c)->status)
#define LUAI_TRY(L, c, a) { a }
#define luai_jmpbuf int

/* No processes and no tmpnam: os.execute() reports no shell, os.tmpname() fails. */
#define l_system(cmd) ((cmd) == NULL ? 0 : -1)
#define LUA_TMPNAMBUFSIZE 32
#define lua_tmpnam(b, e) { (void)(b); e = 1; }

#endif
