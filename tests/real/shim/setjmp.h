/* Stand-in for <setjmp.h>, which wasi-libc does not have (WebAssembly without the exception
 * handling proposal cannot unwind). Lua's ldo.c includes it; lua_main.c's build defines
 * LUAI_THROW/LUAI_TRY so that nothing here is used. Ours, not Lua's. */
#ifndef WEXE_SETJMP_SHIM_H
#define WEXE_SETJMP_SHIM_H
typedef int jmp_buf[1];
#endif
