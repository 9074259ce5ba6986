/*
 * json.c - the JSON line writer behind the ECS and OCSF mappers.
 *
 * It is the hottest code in ingest (every byte of output passes through
 * it), so it formats numbers and RFC 3339 times by hand instead of with
 * printf, copies plain ASCII runs with memcpy, and reserves room once per
 * item.  Strings are always valid JSON: control bytes are escaped and
 * invalid UTF-8 becomes U+FFFD, whatever the agent sent.
 */
#include "ingest/ingest_int.h"

#include <stdio.h>
#include <string.h>

/* Decimal digits of v into the end of tmp[20]; returns the start. */
static char *
u64_digits(uint64_t v, char *end)
{
    static const char pairs[] =
        "00010203040506070809101112131415161718192021222324252627282930313233"
        "34353637383940414243444546474849505152535455565758596061626364656667"
        "6869707172737475767778798081828384858687888990919293949596979899";
    char *p = end;

    while (v >= 100) {
        unsigned i = (unsigned)(v % 100) * 2;

        v /= 100;
        *--p = pairs[i + 1];
        *--p = pairs[i];
    }
    if (v >= 10) {
        unsigned i = (unsigned)v * 2;

        *--p = pairs[i + 1];
        *--p = pairs[i];
    } else {
        *--p = (char)('0' + v);
    }
    return p;
}

static void
put_u64(struct jw *w, uint64_t v)
{
    char tmp[24], *end = tmp + sizeof(tmp), *p;

    if (v < 10) {                   /* flags, counts, booleans as ints */
        jw_putc(w, (char)('0' + v));
        return;
    }
    p = u64_digits(v, end);
    jw_put(w, p, (size_t)(end - p));
}

static void
put_i64(struct jw *w, int64_t v)
{
    if (v < 0) {
        jw_putc(w, '-');
        put_u64(w, (uint64_t)0 - (uint64_t)v);
    } else {
        put_u64(w, (uint64_t)v);
    }
}

void
jw_begin(struct jw *w, struct estel_buf *b)
{
    w->b = b;
    w->depth = 0;
    w->first[0] = true;
    w->mark[0] = b->len;
    w->rc = ESTEL_OK;
    if (jw_room(w, 1))
        jw_putc(w, '{');
}

enum estel_rc
jw_end(struct jw *w)
{
    if (w->depth != 0 && w->rc == ESTEL_OK)
        w->rc = ESTEL_E_CORRUPT;        /* a mapper bug: unbalanced */
    if (jw_room(w, 1))
        jw_putc(w, '}');
    if (w->rc != ESTEL_OK)
        w->b->len = w->mark[0];
    return w->rc;
}

void
jw_open_n(struct jw *w, const char *key, size_t len, char c)
{
    size_t before = w->b->len;
    bool was_first = w->first[w->depth];

    if (w->depth + 1 >= JW_MAX_DEPTH) {
        if (w->rc == ESTEL_OK)
            w->rc = ESTEL_E_CORRUPT;
        return;
    }
    jw_key(w, key, len);
    if (!jw_room(w, 1))
        return;
    jw_putc(w, c);
    w->depth++;
    w->first[w->depth] = true;
    /* remember how to take the key back if the object stays empty; the
     * parent's first flag is encoded in the low bit */
    w->mark[w->depth] = (before << 1) | (was_first ? 1 : 0);
}

static void
close_any(struct jw *w, char c)
{
    if (w->rc != ESTEL_OK || w->depth == 0)
        return;
    if (w->first[w->depth]) {
        /* empty: remove '"key":{' and the comma before it */
        w->b->len = w->mark[w->depth] >> 1;
        w->depth--;
        w->first[w->depth] = (w->mark[w->depth + 1] & 1) != 0;
        return;
    }
    w->depth--;
    if (jw_room(w, 1))
        jw_putc(w, c);
}

void
jw_close(struct jw *w)
{
    close_any(w, '}');
}

void
jw_close_array(struct jw *w)
{
    close_any(w, ']');
}

void
jw_str(struct jw *w, const char *s, size_t n)
{
    enum estel_rc rc;

    if (w->rc != ESTEL_OK)
        return;
    if ((rc = buf_json_str(w->b, s, n)) != ESTEL_OK)
        w->rc = rc;
}

void
jw_joined(struct jw *w, const struct mp_obj *array)
{
    const struct mp_obj *e = mp_first(array);
    bool first = true;

    if (!jw_room(w, 2))
        return;
    jw_putc(w, '"');
    for (uint32_t i = 0; i < array->v.n; i++, e = mp_next(e)) {
        if (e->type != MP_STR)
            continue;
        if (e->v.s.n > (SIZE_MAX - 4) / 6 || !jw_room(w, e->v.s.n * 6 + 2))
            return;
        if (!first)
            jw_putc(w, ' ');
        first = false;
        (void)buf_json_escape(w->b, e->v.s.p, e->v.s.n);   /* room made */
    }
    jw_putc(w, '"');
}

void
jw_u64(struct jw *w, uint64_t v)
{
    if (jw_room(w, 24))
        put_u64(w, v);
}

void
jw_i64(struct jw *w, int64_t v)
{
    if (jw_room(w, 24))
        put_i64(w, v);
}

void
jw_bool(struct jw *w, bool v)
{
    if (jw_room(w, 5))
        jw_put(w, v ? "true" : "false", v ? 4 : 5);
}

void
jw_u64_str(struct jw *w, uint64_t v)
{
    if (!jw_room(w, 26))
        return;
    jw_putc(w, '"');
    put_u64(w, v);
    jw_putc(w, '"');
}

void
jw_i64_str(struct jw *w, int64_t v)
{
    if (!jw_room(w, 26))
        return;
    jw_putc(w, '"');
    put_i64(w, v);
    jw_putc(w, '"');
}

void
jw_octal_str(struct jw *w, uint64_t v)
{
    char tmp[24], *p = tmp + sizeof(tmp);
    int digits = 0;

    do {
        *--p = (char)('0' + (v & 7));
        v >>= 3;
        digits++;
    } while (v != 0 || digits < 4);
    jw_str(w, p, (size_t)(tmp + sizeof(tmp) - p));
}

/* Days since 1970-01-01 -> civil date (H. Hinnant's algorithm). */
static void
civil(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;

    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static void
two(char *p, unsigned v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
}

void
jw_time(struct jw *w, int64_t ns)
{
    /* "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ" */
    char t[40];
    int64_t secs = ns / 1000000000, y, days;
    int64_t frac = ns % 1000000000;
    unsigned mo, d, sod;

    if (frac < 0) {
        frac += 1000000000;
        secs--;
    }
    days = secs / 86400;
    if (secs % 86400 < 0)
        days--;
    sod = (unsigned)(secs - days * 86400);
    civil(days, &y, &mo, &d);
    if (y < 0 || y > 9999) {
        jw_i64(w, ns);              /* not a date a SIEM can hold */
        return;
    }
    two(t, (unsigned)(y / 100));
    two(t + 2, (unsigned)(y % 100));
    t[4] = '-';
    two(t + 5, mo);
    t[7] = '-';
    two(t + 8, d);
    t[10] = 'T';
    two(t + 11, sod / 3600);
    t[13] = ':';
    two(t + 14, sod / 60 % 60);
    t[16] = ':';
    two(t + 17, sod % 60);
    t[19] = '.';
    for (int i = 28; i >= 20; i--) {
        t[i] = (char)('0' + frac % 10);
        frac /= 10;
    }
    t[29] = 'Z';
    if (!jw_room(w, 32))
        return;
    jw_putc(w, '"');
    jw_put(w, t, 30);
    jw_putc(w, '"');
}

static void
put_int(struct jw *w, const struct mp_obj *o)
{
    if (!jw_room(w, 24))
        return;
    if (o->type == MP_INT)
        put_i64(w, o->v.i);
    else
        put_u64(w, o->v.u);
}

void
jw_int(struct jw *w, const struct mp_obj *o)
{
    put_int(w, o);
}

static void
put_hex(struct jw *w, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;

    if (n > (SIZE_MAX - 2) / 2 || !jw_room(w, 2 * n + 2))
        return;
    jw_putc(w, '"');
    for (size_t i = 0; i < n; i++) {
        jw_putc(w, hex[p[i] >> 4]);
        jw_putc(w, hex[p[i] & 15]);
    }
    jw_putc(w, '"');
}

static void put_mp(struct jw *w, const struct mp_obj *o, int depth);
static void put_key_quoted(struct jw *w, const struct mp_obj *k,
                           int depth);

/* A non-string map key: print it, then quote what was printed. */
static void
put_key_quoted(struct jw *w, const struct mp_obj *k, int depth)
{
    struct estel_buf *b = w->b;
    size_t before = b->len, n;
    char tmp[64];

    put_mp(w, k, depth + 1);
    n = b->len - before;
    if (n > sizeof(tmp))
        n = sizeof(tmp);
    if (jw_ok(w))
        memcpy(tmp, b->data + before, n);
    b->len = before;
    jw_str(w, tmp, n);
}

static void
put_container(struct jw *w, const struct mp_obj *o, int depth)
{
    const struct mp_obj *c = mp_first(o);
    bool map = o->type == MP_MAP;

    if (!jw_room(w, 1))
        return;
    jw_putc(w, map ? '{' : '[');
    for (uint32_t i = 0; i < o->v.n && jw_ok(w); i++) {
        if (i > 0 && jw_room(w, 1))
            jw_putc(w, ',');
        if (map) {
            if (c->type == MP_STR)
                jw_str(w, c->v.s.p, c->v.s.n);
            else
                put_key_quoted(w, c, depth);
            if (jw_room(w, 1))
                jw_putc(w, ':');
            c = mp_next(c);
        }
        put_mp(w, c, depth + 1);
        c = mp_next(c);
    }
    if (jw_room(w, 1))
        jw_putc(w, map ? '}' : ']');
}

static void
put_mp(struct jw *w, const struct mp_obj *o, int depth)
{
    if (depth > MP_MAX_DEPTH) {
        if (w->rc == ESTEL_OK)
            w->rc = ESTEL_E_CORRUPT;
        return;
    }
    switch (o->type) {
    case MP_NIL:
        if (jw_room(w, 4))
            jw_put(w, "null", 4);
        break;
    case MP_BOOL:
        if (jw_room(w, 5))
            jw_put(w, o->v.b ? "true" : "false", o->v.b ? 4 : 5);
        break;
    case MP_UINT:
    case MP_INT:
        put_int(w, o);
        break;
    case MP_FLOAT: {
        char tmp[40];
        int n;

        if (o->v.f != o->v.f || o->v.f - o->v.f != 0) {   /* NaN, inf */
            if (jw_room(w, 4))
                jw_put(w, "null", 4);
            break;
        }
        n = snprintf(tmp, sizeof(tmp), "%.17g", o->v.f);
        if (n > 0 && (size_t)n < sizeof(tmp) && jw_room(w, (size_t)n))
            jw_put(w, tmp, (size_t)n);
        break;
    }
    case MP_STR:
        jw_str(w, o->v.s.p, o->v.s.n);
        break;
    case MP_BIN:
    case MP_EXT:
        put_hex(w, o->v.s.p, o->v.s.n);
        break;
    case MP_ARRAY:
    case MP_MAP:
        put_container(w, o, depth);
        break;
    }
}

static void
elem_sep(struct jw *w)
{
    if (!jw_room(w, 1))
        return;
    if (!w->first[w->depth])
        jw_putc(w, ',');
    w->first[w->depth] = false;
}

void
jw_elem_str(struct jw *w, const char *s, size_t n)
{
    elem_sep(w);
    jw_str(w, s, n);
}

void
jw_elem_mp(struct jw *w, const struct mp_obj *o)
{
    elem_sep(w);
    put_mp(w, o, 0);
}

void
jw_value_mp(struct jw *w, const struct mp_obj *o)
{
    put_mp(w, o, 0);
}

void
jw_key_mp(struct jw *w, const struct mp_obj *k)
{
    elem_sep(w);
    if (k->type == MP_STR)
        jw_str(w, k->v.s.p, k->v.s.n);
    else
        put_key_quoted(w, k, 0);
    if (jw_room(w, 1))
        jw_putc(w, ':');
}
