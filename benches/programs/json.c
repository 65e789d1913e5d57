/* A JSON parser: a generated 256 KiB JSON document (nested arrays and objects of numbers,
 * strings with escapes, true/false/null) is parsed n times by a recursive-descent parser that
 * validates it and folds every token into a hash. Character classification, branches, recursion.
 * Returns the hash (the same every round), mixed over the rounds, or -1 on a parse error. */
#include "common.h"

#define CAP (1 << 19)
#define TARGET (1 << 18)

static char doc[CAP];
static int doc_len;

/* ---- generating the document ---- */

static void put_char(char c) { doc[doc_len++] = c; }
static void put_str(const char *s) { while (*s) doc[doc_len++] = *s++; }
static void put_int(i64 v) {
    char t[24];
    int k = 0;
    if (v < 0) { put_char('-'); v = -v; }
    do { t[k++] = (char)('0' + v % 10); v /= 10; } while (v);
    while (k) put_char(t[--k]);
}

static void gen_string(u32 *s) {
    u32 len = xorshift32(s) % 12;
    put_char('"');
    for (u32 i = 0; i < len; i++) {
        u32 r = xorshift32(s);
        switch (r % 16) {
        case 0: put_str("\\\""); break;
        case 1: put_str("\\n"); break;
        case 2: put_str("\\u00e9"); break;
        default: put_char((char)('a' + (r >> 4) % 26));
        }
    }
    put_char('"');
}

static void gen_value(u32 *s, int depth) {
    u32 r = xorshift32(s);
    switch (r % (depth < 4 ? 8 : 6)) {
    case 0: put_int((i64)(r >> 3) - (1 << 28)); break;
    case 1: put_int(r >> 20); put_char('.'); put_int(r & 1023); put_str("e-3"); break;
    case 2: gen_string(s); break;
    case 3: put_str(r & 8 ? "true" : "false"); break;
    case 4: put_str("null"); break;
    case 5: put_int(r & 255); break;
    case 6: { /* array */
        u32 k = (r >> 8) % 6;
        put_char('[');
        for (u32 i = 0; i < k; i++) {
            if (i) put_str(", ");
            gen_value(s, depth + 1);
        }
        put_char(']');
        break;
    }
    default: { /* object */
        u32 k = (r >> 8) % 6;
        put_str("{\n");
        for (u32 i = 0; i < k; i++) {
            if (i) put_str(",\n");
            put_str("  ");
            gen_string(s);
            put_str(": ");
            gen_value(s, depth + 1);
        }
        put_str("\n}");
    }
    }
}

static void make_doc(void) {
    u32 s = 0x15011;
    doc_len = 0;
    put_char('[');
    for (int i = 0; doc_len < TARGET; i++) {
        if (i) put_str(",\n");
        gen_value(&s, 0);
    }
    put_char(']');
}

/* ---- parsing it ---- */

typedef struct {
    const char *p, *end;
    u32 hash;
    int error;
} Parser;

static void mix(Parser *ps, u32 v) { ps->hash = (ps->hash ^ v) * 16777619u; }

static void skip_ws(Parser *ps) {
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\t' || *ps->p == '\r'))
        ps->p++;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

static int hex_value(char c) {
    if (is_digit(c)) return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static void parse_string(Parser *ps) {
    ps->p++; /* the opening quote */
    u32 len = 0;
    while (ps->p < ps->end && *ps->p != '"') {
        u32 c = (unsigned char)*ps->p++;
        if (c == '\\') {
            char e = *ps->p++;
            if (e == 'n') c = '\n';
            else if (e == '"' || e == '\\' || e == '/') c = (u32)e;
            else if (e == 'u') {
                c = 0;
                for (int i = 0; i < 4; i++) {
                    int h = hex_value(*ps->p++);
                    if (h < 0) { ps->error = 1; return; }
                    c = c << 4 | (u32)h;
                }
            } else { ps->error = 1; return; }
        }
        mix(ps, c);
        len++;
    }
    if (ps->p >= ps->end) { ps->error = 1; return; }
    ps->p++;
    mix(ps, len);
}

static void parse_number(Parser *ps) {
    int neg = 0, exp = 0;
    i64 mant = 0;
    if (*ps->p == '-') { neg = 1; ps->p++; }
    if (!is_digit(*ps->p)) { ps->error = 1; return; }
    while (is_digit(*ps->p)) mant = mant * 10 + (*ps->p++ - '0');
    if (*ps->p == '.') {
        ps->p++;
        while (is_digit(*ps->p)) { mant = mant * 10 + (*ps->p++ - '0'); exp--; }
    }
    if (*ps->p == 'e' || *ps->p == 'E') {
        ps->p++;
        int sign = 1, e = 0;
        if (*ps->p == '-' || *ps->p == '+') sign = *ps->p++ == '-' ? -1 : 1;
        while (is_digit(*ps->p)) e = e * 10 + (*ps->p++ - '0');
        exp += sign * e;
    }
    mix(ps, (u32)(neg ? -mant : mant));
    mix(ps, (u32)exp);
}

static int literal(Parser *ps, const char *word) {
    const char *q = ps->p;
    while (*word)
        if (q >= ps->end || *q++ != *word++) return 0;
    ps->p = q;
    return 1;
}

static void parse_value(Parser *ps);

static void parse_members(Parser *ps, char close, int keyed) {
    ps->p++; /* the opening bracket */
    skip_ws(ps);
    u32 count = 0;
    if (ps->p < ps->end && *ps->p == close) { ps->p++; mix(ps, 0); return; }
    while (!ps->error) {
        skip_ws(ps);
        if (keyed) {
            if (*ps->p != '"') { ps->error = 1; return; }
            parse_string(ps);
            skip_ws(ps);
            if (*ps->p++ != ':') { ps->error = 1; return; }
        }
        parse_value(ps);
        count++;
        skip_ws(ps);
        if (ps->p >= ps->end) { ps->error = 1; return; }
        char c = *ps->p++;
        if (c == close) break;
        if (c != ',') { ps->error = 1; return; }
    }
    mix(ps, count);
}

static void parse_value(Parser *ps) {
    skip_ws(ps);
    if (ps->p >= ps->end) { ps->error = 1; return; }
    char c = *ps->p;
    if (c == '{') parse_members(ps, '}', 1);
    else if (c == '[') parse_members(ps, ']', 0);
    else if (c == '"') parse_string(ps);
    else if (c == '-' || is_digit(c)) parse_number(ps);
    else if (literal(ps, "true")) mix(ps, 1);
    else if (literal(ps, "false")) mix(ps, 2);
    else if (literal(ps, "null")) mix(ps, 3);
    else ps->error = 1;
}

static NOINLINE u32 parse(const char *text, int len, int *error) {
    Parser ps = {text, text + len, 2166136261u, 0};
    parse_value(&ps);
    skip_ws(&ps);
    *error = ps.error || ps.p != ps.end;
    return ps.hash;
}

EXPORT int run(int n) {
    make_doc();
    u32 sum = 0;
    for (int r = 0; r < n; r++) {
        int error;
        u32 h = parse(doc, doc_len, &error);
        if (error) return -1;
        sum = sum * 31 + h;
    }
    return (int)sum;
}
