/* Leaving compiled WebAssembly code on a trap: wexe_catch runs a body under a sigsetjmp point;
 * wexe_unwind (called from the trap signal handler or from a builtin) jumps back to the innermost
 * one. Only compiled code, and Rust frames without destructors, lie between the two. */
#include <setjmp.h>
#include <stddef.h>

static __thread sigjmp_buf *wexe_current = NULL;

int wexe_catch(void (*body)(void *), void *data) {
    sigjmp_buf buf;
    sigjmp_buf *prev = wexe_current;
    if (sigsetjmp(buf, 0) == 0) {
        wexe_current = &buf;
        body(data);
        wexe_current = prev;
        return 0;
    }
    wexe_current = prev;
    return 1;
}

int wexe_in_catch(void) { return wexe_current != NULL; }

void wexe_unwind(void) { siglongjmp(*wexe_current, 1); }
