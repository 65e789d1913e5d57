/* A bytecode interpreter: a small stack machine (a switch over 13 opcodes, 64-bit values, four
 * variables) runs a program, assembled at start, that sums the Collatz step counts of 1..n-1.
 * The classic interpreter loop: an indirect branch per instruction, loads and stores of the
 * operand stack. Returns the sum folded to 32 bits. */
#include "common.h"

enum { PUSH, LOAD, STORE, ADD, SUB, MUL, DIV, MOD, LT, NE, JZ, JMP, HALT };
enum { VAR_I, VAR_X, VAR_STEPS, VAR_N };

static int code[128];
static int code_len;

/* Emits one instruction (opcode, operand); returns its address, for patching jumps. */
static int emit(int op, int arg) {
    code[code_len++] = op;
    code[code_len++] = arg;
    return code_len - 2;
}

static void assemble(void) {
    code_len = 0;
    emit(PUSH, 1); emit(STORE, VAR_I);
    int outer = code_len;                   /* while (i < n) */
    emit(LOAD, VAR_I); emit(LOAD, VAR_N); emit(LT, 0);
    int to_end = emit(JZ, 0);
    emit(LOAD, VAR_I); emit(STORE, VAR_X);
    int inner = code_len;                   /*   for (x = i; x != 1; steps++) */
    emit(LOAD, VAR_X); emit(PUSH, 1); emit(NE, 0);
    int to_next = emit(JZ, 0);
    emit(LOAD, VAR_X); emit(PUSH, 2); emit(MOD, 0);
    int to_even = emit(JZ, 0);
    emit(LOAD, VAR_X); emit(PUSH, 3); emit(MUL, 0); emit(PUSH, 1); emit(ADD, 0);
    emit(STORE, VAR_X);                     /*     odd: x = 3x + 1 */
    int to_count = emit(JMP, 0);
    code[to_even + 1] = code_len;           /*     even: x = x / 2 */
    emit(LOAD, VAR_X); emit(PUSH, 2); emit(DIV, 0); emit(STORE, VAR_X);
    code[to_count + 1] = code_len;
    emit(LOAD, VAR_STEPS); emit(PUSH, 1); emit(ADD, 0); emit(STORE, VAR_STEPS);
    emit(JMP, inner);
    code[to_next + 1] = code_len;           /*   i++ */
    emit(LOAD, VAR_I); emit(PUSH, 1); emit(ADD, 0); emit(STORE, VAR_I);
    emit(JMP, outer);
    code[to_end + 1] = code_len;
    emit(LOAD, VAR_STEPS); emit(HALT, 0);
}

static NOINLINE i64 execute(const int *prog, i64 *vars) {
    i64 stack[64];
    int sp = 0, pc = 0;
    for (;;) {
        int op = prog[pc], arg = prog[pc + 1];
        pc += 2;
        switch (op) {
        case PUSH: stack[sp++] = arg; break;
        case LOAD: stack[sp++] = vars[arg]; break;
        case STORE: vars[arg] = stack[--sp]; break;
        case ADD: sp--; stack[sp - 1] += stack[sp]; break;
        case SUB: sp--; stack[sp - 1] -= stack[sp]; break;
        case MUL: sp--; stack[sp - 1] *= stack[sp]; break;
        case DIV: sp--; stack[sp - 1] /= stack[sp]; break;
        case MOD: sp--; stack[sp - 1] %= stack[sp]; break;
        case LT: sp--; stack[sp - 1] = stack[sp - 1] < stack[sp]; break;
        case NE: sp--; stack[sp - 1] = stack[sp - 1] != stack[sp]; break;
        case JZ: if (stack[--sp] == 0) pc = arg; break;
        case JMP: pc = arg; break;
        case HALT: return stack[sp - 1];
        default: return -1;
        }
    }
}

EXPORT int run(int n) {
    assemble();
    i64 vars[4] = {0, 0, 0, n};
    i64 steps = execute(code, vars);
    return (int)(steps ^ (steps >> 32));
}
