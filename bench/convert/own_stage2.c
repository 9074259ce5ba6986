/*
 * own_stage2.c - the experiment behind two rows of bench/convert: a
 * second pass of estel's own over simdjson's stage 1 output (its
 * structural indexes), in place of simdjson's stage 2.  Not used by
 * estel; README.md ("An own stage 2, measured") says what it showed.
 *
 * own_tape_build() builds the tape that collector/eslogger_json.h
 * describes, for the lines eslogger prints, without copying strings that
 * hold no escape (a string is a pointer and a length into the line) and
 * reading integers eight digits at a time.  It accepts a subset of JSON
 * and declines the rest, which a product would hand to simdjson's DOM
 * parser:
 *
 *   - stage 1 already checked UTF-8, that strings close and that they
 *     hold no raw control characters; this pass checks the grammar
 *     (every brace, bracket, comma and colon) and the depth;
 *   - strings whose escapes are \" \\ \/ \b \f \n \r \t (\u declines);
 *   - integers -?(0|[1-9][0-9]*) of up to 19 digits, except -0 and
 *     negative 19-digit ones (fractions, exponents and the rest decline);
 *   - true, false, null; the root must be an object.
 *
 * The tape is simdjson's word for word except for strings: a string word
 * holds the string's index in own_tape.strs, not an offset into
 * simdjson's string buffer.  The bench checks, line by line before
 * timing, that where it accepts a line its tape is simdjson's (strings
 * compared by content).
 *
 * own_walk() is the same pass reading no value: the grammar, where each
 * string ends, and the first byte of each number or literal.  It is the
 * least any own stage 2 has to do, so its time is a floor.
 */
#include "own_stage2.h"

#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define TAPE_WORD(t, payload) ((uint64_t)(t) << 56 | (uint64_t)(payload))

static inline uint64_t
load8(const uint8_t *p)
{
    uint64_t w;

    memcpy(&w, p, sizeof(w));
    return w;
}

/* ---- backslashes ------------------------------------------------------- */

/*
 * Positions of every backslash in buf[0..len), in order, into out (room
 * for cap); returns how many, or UINT32_MAX when there are more.  A
 * valid line holds backslashes only inside strings, each starting an
 * escape or being the escaped byte of "\\", so the string reader below
 * walks this list alongside the strings instead of searching each one.
 */
static uint32_t
find_backslashes(const uint8_t *buf, uint32_t len, uint32_t *out,
                 uint32_t cap)
{
    uint32_t n = 0, i = 0;

    if (cap < 16)
        return UINT32_MAX;
    cap -= 16;                      /* a block adds at most 16 */
#if defined(__SSE2__)
    const __m128i bs = _mm_set1_epi8('\\');

    for (; i + 16 <= len; i += 16) {
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(
            _mm_loadu_si128((const __m128i *)(const void *)(buf + i)), bs));

        if (n > cap)
            return UINT32_MAX;
        while (m != 0) {
            out[n++] = i + (uint32_t)__builtin_ctz(m);
            m &= m - 1;
        }
    }
#else
    for (; i + 8 <= len; i += 8) {
        uint64_t x = load8(buf + i) ^ 0x5C5C5C5C5C5C5C5Cull;
        /* high bit set in each zero byte of x (exact: no false hits) */
        uint64_t m = ~(((x & 0x7F7F7F7F7F7F7F7Full) + 0x7F7F7F7F7F7F7F7Full) |
                       x | 0x7F7F7F7F7F7F7F7Full);

        if (n > cap)
            return UINT32_MAX;
        while (m != 0) {
            out[n++] = i + (uint32_t)(__builtin_ctzll(m) >> 3);
            m &= m - 1;
        }
    }
#endif
    if (n > cap)
        return UINT32_MAX;
    for (; i < len; i++)
        if (buf[i] == '\\')
            out[n++] = i;
    return n;
}

/* ---- strings ------------------------------------------------------------ */

struct builder {
    const uint8_t *buf;
    uint32_t len;
    const uint32_t *bs;             /* backslash positions */
    uint32_t nbs, next_bs;
    uint64_t *tape;
    struct own_string *strs;
    uint32_t nstrs;
    char *scratch;                  /* unescaped strings */
    size_t scratch_used;
};

/* The byte an escape letter stands for; 0: not one we accept. */
static const uint8_t unescaped[256] = {
    ['"'] = '"', ['\\'] = '\\', ['/'] = '/', ['b'] = '\b', ['f'] = '\f',
    ['n'] = '\n', ['r'] = '\r', ['t'] = '\t'
};

/* Unescape buf[s..e), which holds the backslash at b->bs[b->next_bs],
 * into the scratch buffer. */
static bool
unescape(struct builder *b, uint32_t s, uint32_t e, struct own_string *out)
{
    char *dst = b->scratch + b->scratch_used, *d = dst;
    uint32_t at;
    uint8_t c;

    while (b->next_bs < b->nbs && (at = b->bs[b->next_bs]) < e) {
        if (at + 1 >= e || (c = unescaped[b->buf[at + 1]]) == 0)
            return false;           /* \u, a bad escape, or a stray '\' */
        memcpy(d, b->buf + s, at - s);
        d += at - s;
        *d++ = (char)c;
        s = at + 2;
        b->next_bs++;
        if (c == '\\')
            b->next_bs++;           /* the escaped backslash itself */
    }
    memcpy(d, b->buf + s, e - s);
    d += e - s;
    out->ptr = dst;
    out->len = (uint32_t)(d - dst);
    b->scratch_used += out->len;
    return true;
}

/*
 * The string whose opening quote is at q and whose next structural byte
 * is at next.  Stage 1 marks no structural inside a string, and a
 * non-blank byte after its closing quote would be a structural of its
 * own, so the closing quote is the last non-blank byte before next.
 */
static inline bool
string_at(struct builder *b, uint32_t q, uint32_t next, const bool values)
{
    struct own_string *s = &b->strs[b->nstrs];
    uint32_t e = next - 1;

    while (e > q && (b->buf[e] == ' ' || b->buf[e] == '\t' ||
                     b->buf[e] == '\n' || b->buf[e] == '\r'))
        e--;
    if (e <= q || b->buf[e] != '"')
        return false;
    if (!values)
        return true;
    if (b->next_bs < b->nbs && b->bs[b->next_bs] < e) {
        if (b->bs[b->next_bs] < q || !unescape(b, q + 1, e, s))
            return false;           /* a backslash outside strings */
    } else {
        s->ptr = (const char *)b->buf + q + 1;
        s->len = e - q - 1;
    }
    *b->tape++ = TAPE_WORD(ESL_J_STRING, b->nstrs);
    b->nstrs++;
    return true;
}

/* ---- scalars ------------------------------------------------------------ */

/* May this byte end a number or a literal?  (What follows must then be a
 * comma or a closing brace or bracket, which the grammar checks.) */
static const bool ends_atom[256] = {
    [','] = true, ['}'] = true, [']'] = true, [' '] = true, ['\t'] = true,
    ['\n'] = true, ['\r'] = true
};

/* How many of the 8 bytes of w, from the first, are ASCII digits.
 * A carry out of a non-digit byte only reaches the bytes above it. */
static inline unsigned
leading_digits(uint64_t w)
{
    uint64_t nd = ((w & 0xF0F0F0F0F0F0F0F0ull) |
                   (((w + 0x0606060606060606ull) & 0xF0F0F0F0F0F0F0F0ull) >>
                    4)) ^ 0x3333333333333333ull;

    return nd == 0 ? 8 : (unsigned)__builtin_ctzll(nd) >> 3;
}

/* The first n (1..8) bytes of w, all digits, as a number. */
static inline uint64_t
digits_value(uint64_t w, unsigned n)
{
    /* move the digits to the top, fill the bottom with '0' */
    if (n < 8)
        w = w << (8 * (8 - n)) | (0x3030303030303030ull >> (8 * n));
    w -= 0x3030303030303030ull;
    w = w * 10 + (w >> 8);
    w = ((w & 0x000000FF000000FFull) * (100 + (1000000ull << 32)) +
         ((w >> 16) & 0x000000FF000000FFull) * (1 + (10000ull << 32))) >>
        32;
    return w;
}

static const uint64_t pow10[9] = {
    1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000
};

/* An integer at p; false for anything else (the DOM parse decides). */
static inline bool
number_at(struct builder *b, uint32_t p)
{
    const uint8_t *s = b->buf + p;
    bool neg = *s == '-';
    uint32_t room = b->len - p - neg;   /* digits before the line ends */
    unsigned n1, n2 = 0, n3 = 0;
    uint64_t w, v;

    s += neg;
    w = load8(s);
    n1 = leading_digits(w);
    if (n1 == 0 || (s[0] == '0' && n1 > 1))
        return false;               /* "-", "-x", or a leading zero */
    v = digits_value(w, n1);
    if (n1 == 8) {
        w = load8(s + 8);
        n2 = leading_digits(w);
        if (n2 > 0)
            v = v * pow10[n2] + digits_value(w, n2);
        if (n2 == 8) {
            w = load8(s + 16);
            n3 = leading_digits(w);
            if (n3 > 3)
                return false;       /* 20 digits or more */
            if (n3 > 0)
                v = v * pow10[n3] + digits_value(w, n3);
        }
    }
    n1 += n2 + n3;
    if (n1 >= room || !ends_atom[s[n1]])
        return false;               /* at the end, or '.', 'e', ... */
    if (neg) {
        if (v == 0 || n1 > 18)
            return false;           /* -0 is a double; range */
        b->tape[0] = TAPE_WORD(ESL_J_INT, 0);
        b->tape[1] = (uint64_t)-(int64_t)v;
    } else {
        b->tape[0] = TAPE_WORD(v > INT64_MAX ? ESL_J_UINT : ESL_J_INT, 0);
        b->tape[1] = v;
    }
    b->tape += 2;
    return true;
}

static inline bool
literal_at(struct builder *b, uint32_t p)
{
    const uint8_t *s = b->buf + p;
    uint32_t n;
    enum esl_jt t;

    if (memcmp(s, "true", 4) == 0)
        n = 4, t = ESL_J_TRUE;
    else if (memcmp(s, "null", 4) == 0)
        n = 4, t = ESL_J_NULL;
    else if (memcmp(s, "false", 5) == 0)
        n = 5, t = ESL_J_FALSE;
    else
        return false;
    if (n >= b->len - p || !ends_atom[s[n]])
        return false;
    *b->tape++ = TAPE_WORD(t, 0);
    return true;
}

/* ---- the grammar ------------------------------------------------------- */

struct open_scope {
    uint64_t *word;                 /* the '{' or '[' on the tape */
    uint32_t count;
    bool is_array;
};

static inline enum own_rc
pass(const uint8_t *buf, uint32_t len, const uint32_t *idx, uint32_t n,
     struct own_tape *t, const bool values)
{
    /* the open scopes; end points past the innermost one */
    struct open_scope stack[ESL_JSON_MAX_DEPTH], *end = stack;
    struct builder b;
    uint32_t k = 0, p;
    uint8_t c;

    if (n < 2 || buf[idx[0]] != '{')
        return OWN_DECLINE;
    b.buf = buf;
    b.len = len;
    b.bs = t->backslashes;
    b.nbs = values ? find_backslashes(buf, len, t->backslashes,
                                      t->backslashes_cap) : 0;
    if (b.nbs == UINT32_MAX)
        return OWN_DECLINE;
    b.next_bs = 0;
    b.tape = t->tape + 1;           /* the root word is written last */
    b.strs = t->strs;
    b.nstrs = 0;
    b.scratch = t->scratch;
    b.scratch_used = 0;

    /* k is the structural being read; every branch checks k < n first.
     * Objects and arrays open in two blocks, not one taking a flag: a
     * flag tested at run time made the walk about 20 % slower. */
open_object:
    if (end == stack + ESL_JSON_MAX_DEPTH)
        return OWN_DECLINE;
    end->word = b.tape++;
    end->count = 0;
    end->is_array = false;
    end++;
    if (++k >= n)
        return OWN_DECLINE;
    if (buf[idx[k]] == '}')
        goto close_scope;
object_member:
    /* key, ':', value */
    if (k + 2 >= n || buf[idx[k]] != '"' ||
        !string_at(&b, idx[k], idx[k + 1], values) ||
        buf[idx[k + 1]] != ':')
        return OWN_DECLINE;
    k += 2;
    end[-1].count++;
    goto value;
open_array:
    if (end == stack + ESL_JSON_MAX_DEPTH)
        return OWN_DECLINE;
    end->word = b.tape++;
    end->count = 0;
    end->is_array = true;
    end++;
    if (++k >= n)
        return OWN_DECLINE;
    if (buf[idx[k]] == ']')
        goto close_scope;
array_element:
    end[-1].count++;
value:
    p = idx[k];
    switch (buf[p]) {
    case '{':
        goto open_object;
    case '[':
        goto open_array;
    case '"':
        if (k + 1 >= n || !string_at(&b, p, idx[k + 1], values))
            return OWN_DECLINE;
        break;
    case 't': case 'f': case 'n':
        if (values && !literal_at(&b, p))
            return OWN_DECLINE;
        break;
    default:
        if (!values ? buf[p] != '-' && (uint8_t)(buf[p] - '0') > 9 :
            !number_at(&b, p))
            return OWN_DECLINE;
        break;
    }
after_value:
    if (++k >= n)
        return OWN_DECLINE;
    c = buf[idx[k]];
    if (c == ',') {
        if (++k >= n)
            return OWN_DECLINE;
        if (end[-1].is_array)
            goto array_element;
        goto object_member;
    }
    if (c != (end[-1].is_array ? ']' : '}'))
        return OWN_DECLINE;
close_scope:
    {
        uint32_t open = (uint32_t)(end[-1].word - t->tape);
        uint32_t after = (uint32_t)(b.tape - t->tape) + 1;
        uint32_t count = end[-1].count < ESL_J_COUNT_MASK ? end[-1].count :
                         ESL_J_COUNT_MASK;

        *end[-1].word = TAPE_WORD(end[-1].is_array ? ESL_J_ARRAY : ESL_J_OBJECT,
                               (uint64_t)count << 32 | after);
        *b.tape++ = TAPE_WORD(end[-1].is_array ? ']' : '}', open);
        if (--end != stack)
            goto after_value;
    }
    /* the root object closed: nothing may follow it, and every backslash
     * must have been inside a string */
    if (k + 1 != n || b.next_bs != b.nbs)
        return OWN_DECLINE;
    /* the first root word holds the index past the last one */
    p = (uint32_t)(b.tape - t->tape);
    t->tape[0] = TAPE_WORD(ESL_J_ROOT, p + 1);
    *b.tape = TAPE_WORD(ESL_J_ROOT, 0);
    t->nstrs = b.nstrs;
    return OWN_OK;
}

enum own_rc
own_tape_build(const uint8_t *buf, uint32_t len, const uint32_t *idx,
               uint32_t n, struct own_tape *t)
{
    return pass(buf, len, idx, n, t, true);
}

enum own_rc
own_walk(const uint8_t *buf, uint32_t len, const uint32_t *idx, uint32_t n,
         struct own_tape *t)
{
    return pass(buf, len, idx, n, t, false);
}
