/*
 * eslogger_read.c - reading typed values off the JSON tape for the
 * eslogger parser.  Every reader checks the JSON type and the C range of
 * the value and, when it does not fit, writes one sentence naming the
 * value's path in the line and what was expected:
 *
 *   event.exec.target: expected an object, got a string
 *   process.audit_token.pid: 4294967296 is out of range (-2147483648..
 *       2147483647)
 *
 * Also here: the RFC 3339 time parser (days-from-civil arithmetic, no
 * timegm: eslogger prints a dozen times per line).
 */
#include "collector/eslogger_int.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- messages ----------------------------------------------------------- */

/* "a.b.c" (+ ".key") into buf; the path stack may be deeper than kept. */
static void
format_path(const struct eslogger_parser *p, const char *key, char *buf,
            size_t size)
{
    size_t n = 0, depth = p->depth < ESL_PATH_MAX ? p->depth : ESL_PATH_MAX;
    int w;

    buf[0] = '\0';
    for (size_t i = 0; i <= depth; i++) {
        const char *seg = i < depth ? p->path[i] : key;

        if (seg == NULL || n >= size)
            continue;
        w = snprintf(buf + n, size - n, "%s%s", n > 0 ? "." : "", seg);
        if (w < 0)
            return;
        n += (size_t)w;
    }
    if (n == 0)
        snprintf(buf, size, "line");
}

enum estel_rc
esl_fail(struct eslogger_parser *p, const char *key, struct estel_err *err,
         const char *fmt, ...)
{
    char path[160], what[320];
    va_list ap;

    format_path(p, key, path, sizeof(path));
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    return estel_fail(err, ESTEL_E_CORRUPT, "%s: %s", path, what);
}

static const char *
type_name(const struct eslogger_parser *p, uint32_t i)
{
    switch (esl_jtype(&p->doc, i)) {
    case ESL_J_OBJECT: return "an object";
    case ESL_J_ARRAY: return "an array";
    case ESL_J_STRING: return "a string";
    case ESL_J_INT:
    case ESL_J_UINT: return "an integer";
    case ESL_J_DOUBLE: return "a number with a fraction or exponent";
    case ESL_J_TRUE: return "true";
    case ESL_J_FALSE: return "false";
    case ESL_J_NULL: return "null";
    default: return "something else";
    }
}

enum estel_rc
esl_bad_type(struct eslogger_parser *p, const char *key, uint32_t i,
             const char *want, struct estel_err *err)
{
    return esl_fail(p, key, err, "expected %s, got %s", want,
                    type_name(p, i));
}

enum estel_rc
esl_missing(struct eslogger_parser *p, const char *key,
            struct estel_err *err)
{
    return esl_fail(p, key, err, "missing (a required key)");
}

/* ---- objects ------------------------------------------------------------ */

/* The low n bytes of a word (n <= 0: none, n >= 8: all). */
#define BYTES(n) ((n) >= 8 ? ~0ull : (n) <= 0 ? 0ull : \
                  (1ull << (8 * (n) & 63)) - 1)
#define MASKS(len) { BYTES(4 + (len)), BYTES((len) - 4), BYTES((len) - 12), \
                     BYTES((len) - 20) }

const uint64_t esl_key_masks[ESL_KEY_MAX][4] = {
    MASKS(0), MASKS(1), MASKS(2), MASKS(3), MASKS(4), MASKS(5), MASKS(6),
    MASKS(7), MASKS(8), MASKS(9), MASKS(10), MASKS(11), MASKS(12),
    MASKS(13), MASKS(14), MASKS(15), MASKS(16), MASKS(17), MASKS(18),
    MASKS(19), MASKS(20), MASKS(21), MASKS(22), MASKS(23), MASKS(24),
    MASKS(25), MASKS(26), MASKS(27)
};

#define KEY_AT(keys, stride, n) \
    ((const struct esl_key *)((const char *)(keys) + (n) * (stride)))

/*
 * The usual case: the members come in table order, some keys perhaps
 * absent.  Fills every slot and returns true; false (slots half filled)
 * on a key out of order, unknown or repeated, which the general loop in
 * esl_collect_stride then reads.  Where it returns true the general loop
 * would file every member under the same slot.
 */
static inline bool
collect_ordered(const struct esl_doc *d, uint32_t obj,
                const struct esl_key *keys, size_t stride, size_t nkeys,
                uint32_t *slots)
{
    const struct esl_key *k;
    uint32_t i = obj + 1, end = esl_jclose(d, obj);
    const uint8_t *name;
    size_t n = 0;

    for (; i < end; i = esl_jnext(d, i + 1), n++) {
        name = esl_jraw(d, i);
        for (;; n++) {
            if (n == nkeys)
                return false;
            k = KEY_AT(keys, stride, n);
            if (esl_key_at(k, name))
                break;
            slots[n] = 0;
        }
        slots[n] = k->skip ? 0 : i + 1;
    }
    for (; n < nkeys; n++)
        slots[n] = 0;
    return true;
}

/*
 * Lines from one eslogger usually list keys in the same order, and tables
 * follow eslogger's order: collect_ordered reads those at one comparison
 * per key.  Otherwise the search starts after the last match, so a line
 * in another fixed order costs about one comparison per key too.  Tables
 * also list keys known but not read (ESL_SKIP), so those cost one
 * comparison too.
 */
enum estel_rc
esl_collect_stride(struct eslogger_parser *p, uint32_t obj, const char *key,
                   const struct esl_key *keys, size_t stride, size_t nkeys,
                   uint32_t *slots, struct estel_err *err)
{
    const struct esl_doc *d = &p->doc;
    const struct esl_key *k;
    uint32_t i = obj + 1, end = esl_jclose(d, obj);
    const uint8_t *name;
    size_t n, tries, next = 0;

    if (collect_ordered(d, obj, keys, stride, nkeys, slots))
        return ESTEL_OK;
    memset(slots, 0, nkeys * sizeof(*slots));
    for (; i < end; i = esl_jnext(d, i + 1)) {
        name = esl_jraw(d, i);
        for (tries = 0, n = next; tries < nkeys; tries++) {
            k = KEY_AT(keys, stride, n);
            if (esl_key_at(k, name))
                break;
            if (++n == nkeys)
                n = 0;
        }
        if (tries == nkeys)
            continue;               /* a key we do not know */
        next = n + 1 == nkeys ? 0 : n + 1;
        if (k->skip)
            continue;
        if (slots[n] != 0)
            return esl_fail(p, key, err, "duplicate key \"%s\"", k->name);
        slots[n] = i + 1;
    }
    return ESTEL_OK;
}

enum estel_rc
esl_object(struct eslogger_parser *p, uint32_t i, const char *key,
           bool nullable, bool *is_null, struct estel_err *err)
{
    unsigned t;

    if (i == 0)
        return esl_missing(p, key, err);
    t = esl_jtype(&p->doc, i);
    if (is_null != NULL)
        *is_null = t == ESL_J_NULL && nullable;
    if (t == ESL_J_OBJECT || (t == ESL_J_NULL && nullable))
        return ESTEL_OK;
    return esl_bad_type(p, key, i, nullable ? "an object or null" :
                        "an object", err);
}

/* ---- scalars ------------------------------------------------------------ */

enum estel_rc
esl_i64_slow(struct eslogger_parser *p, uint32_t i, const char *key,
             int64_t min, int64_t max, int64_t *out, struct estel_err *err)
{
    const struct esl_doc *d = &p->doc;
    unsigned t;
    int64_t v;

    if (i == 0)
        return esl_missing(p, key, err);
    t = esl_jtype(d, i);
    if (t == ESL_J_UINT)
        return esl_fail(p, key, err, "%" PRIu64 " is out of range (%" PRId64
                        "..%" PRId64 ")", esl_jword(d, i), min, max);
    if (t != ESL_J_INT)
        return esl_bad_type(p, key, i, "an integer", err);
    v = (int64_t)esl_jword(d, i);
    if (v < min || v > max)
        return esl_fail(p, key, err, "%" PRId64 " is out of range (%" PRId64
                        "..%" PRId64 ")", v, min, max);
    *out = v;
    return ESTEL_OK;
}

enum estel_rc
esl_u64_slow(struct eslogger_parser *p, uint32_t i, const char *key,
             uint64_t max, uint64_t *out, struct estel_err *err)
{
    const struct esl_doc *d = &p->doc;
    unsigned t;
    uint64_t v;

    if (i == 0)
        return esl_missing(p, key, err);
    t = esl_jtype(d, i);
    if (t != ESL_J_INT && t != ESL_J_UINT)
        return esl_bad_type(p, key, i, "an unsigned integer", err);
    v = esl_jword(d, i);
    if (t == ESL_J_INT && (int64_t)v < 0)
        return esl_fail(p, key, err, "%" PRId64 " is out of range (0..%"
                        PRIu64 ")", (int64_t)v, max);
    if (v > max)
        return esl_fail(p, key, err, "%" PRIu64 " is out of range (0..%"
                        PRIu64 ")", v, max);
    *out = v;
    return ESTEL_OK;
}

enum estel_rc
esl_bool_slow(struct eslogger_parser *p, uint32_t i, const char *key,
              bool *out, struct estel_err *err)
{
    unsigned t;

    if (i == 0)
        return esl_missing(p, key, err);
    t = esl_jtype(&p->doc, i);
    if (t != ESL_J_TRUE && t != ESL_J_FALSE)
        return esl_bad_type(p, key, i, "true or false", err);
    *out = t == ESL_J_TRUE;
    return ESTEL_OK;
}

enum estel_rc
esl_str_slow(struct eslogger_parser *p, uint32_t i, const char *key,
             bool nullable, struct ev_str *out, struct estel_err *err)
{
    unsigned t;

    if (i == 0)
        return esl_missing(p, key, err);
    t = esl_jtype(&p->doc, i);
    if (t == ESL_J_STRING) {
        out->ptr = esl_jstr(&p->doc, i, &out->len);
        return ESTEL_OK;
    }
    if (t == ESL_J_NULL && nullable) {
        out->ptr = NULL;
        out->len = 0;
        return ESTEL_OK;
    }
    return esl_bad_type(p, key, i, nullable ? "a string or null" :
                        "a string", err);
}

/* ---- times -------------------------------------------------------------- */

/* Two decimal digits at s, or -1. */
static inline int
d2(const char *s)
{
    unsigned a = (unsigned char)s[0] - '0', b = (unsigned char)s[1] - '0';

    return a < 10 && b < 10 ? (int)(a * 10 + b) : -1;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t
days_from_civil(int y, int m, int d)
{
    int era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int64_t)era * 146097 + doe - 719468;
}

static int
month_days(int y, int m)
{
    static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
                                   30, 31 };
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    return m == 2 && leap ? 29 : mdays[m - 1];
}

/* ".123456789" then "Z" or "+hh:mm": fraction in ns, offset in seconds. */
static bool
rfc3339_tail(const char *s, size_t n, int64_t *frac_ns, int *off_s)
{
    static const int64_t scale[10] = { 1000000000, 100000000, 10000000,
                                       1000000, 100000, 10000, 1000, 100,
                                       10, 1 };
    size_t i = 0, nd;
    int64_t f = 0;
    int hh, mm;

    if (n > 0 && s[0] == '.') {
        for (i = 1; i < n && i <= 10 && s[i] >= '0' && s[i] <= '9'; i++)
            f = f * 10 + (s[i] - '0');
        nd = i - 1;
        if (nd == 0 || nd > 9)
            return false;           /* "." alone, or finer than 1 ns */
        f *= scale[nd];
    }
    *frac_ns = f;
    if (i + 1 == n && (s[i] == 'Z' || s[i] == 'z')) {
        *off_s = 0;
        return true;
    }
    if (i + 6 != n || (s[i] != '+' && s[i] != '-') || s[i + 3] != ':' ||
        (hh = d2(s + i + 1)) < 0 || (mm = d2(s + i + 4)) < 0 || hh > 23 ||
        mm > 59)
        return false;
    *off_s = (hh * 3600 + mm * 60) * (s[i] == '-' ? -1 : 1);
    return true;
}

/* "YYYY-MM-DD" at s (a valid Gregorian date) as days since 1970-01-01. */
static bool
rfc3339_date(const char *s, int64_t *days)
{
    int c, y, mo, d;

    if (s[4] != '-' || s[7] != '-' || (c = d2(s)) < 0 ||
        (y = d2(s + 2)) < 0 || (mo = d2(s + 5)) < 1 || mo > 12 ||
        (d = d2(s + 8)) < 1 || d > month_days(c * 100 + y, mo))
        return false;
    *days = days_from_civil(c * 100 + y, mo, d);
    return true;
}

/* days, time of day, fraction and offset to ns, or false past int64 */
static bool
rfc3339_ns(int64_t days, int h, int mi, int sec, int64_t frac, int off,
           int64_t *out_ns)
{
    int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - off, ns;

    /* int64 ns spans 1677-09-21 .. 2262-04-11 */
    if (__builtin_mul_overflow(secs, (int64_t)1000000000, &ns) ||
        __builtin_add_overflow(ns, frac, &ns))
        return false;
    *out_ns = ns;
    return true;
}

bool
esl_parse_rfc3339(const char *s, size_t n, int64_t *out_ns)
{
    int h, mi, sec, off;
    int64_t frac, days;

    if (n < 20 || (s[10] != 'T' && s[10] != 't') || s[13] != ':' ||
        s[16] != ':')
        return false;
    if (!rfc3339_date(s, &days) ||
        (h = d2(s + 11)) < 0 || h > 23 || (mi = d2(s + 14)) < 0 ||
        mi > 59 || (sec = d2(s + 17)) < 0 || sec > 60 ||
        !rfc3339_tail(s + 19, n - 19, &frac, &off))
        return false;
    return rfc3339_ns(days, h, mi, sec, frac, off, out_ns);
}

/* Eight ASCII digits at s as a number (simdjson's SWAR steps), or -1. */
static inline int64_t
digits8(const char *s)
{
    uint64_t v = esl_load8(s);

    if (((v & 0xF0F0F0F0F0F0F0F0ull) |
         (((v + 0x0606060606060606ull) & 0xF0F0F0F0F0F0F0F0ull) >> 4)) !=
        0x3333333333333333ull)
        return -1;
    v -= 0x3030303030303030ull;
    v = v * 10 + (v >> 8);
    v = ((v & 0x000000FF000000FFull) * (100 + (1000000ull << 32)) +
         ((v >> 16) & 0x000000FF000000FFull) * (1 + (10000ull << 32))) >> 32;
    return (int64_t)v;
}

/*
 * What eslogger prints, "2025-08-07T13:21:35.880814738Z" (or 6 fraction
 * digits), with the month cached in p: the same result as
 * esl_parse_rfc3339 for every string it accepts, false for the rest
 * (which esl_parse_rfc3339 then reads).  Reads the 8 bytes at s + 20,
 * which for 6 digits end at the NUL simdjson puts after the string.
 */
static bool
rfc3339_fast(struct eslogger_parser *p, const char *s, size_t n,
             int64_t *out_ns)
{
    uint64_t month = esl_load8(s);
    int c, y, mo, d, h, mi, sec;
    int64_t frac, dg;

    if ((n != 30 && n != 27) || s[10] != 'T' || s[13] != ':' ||
        s[16] != ':' || s[19] != '.' || s[n - 1] != 'Z')
        return false;
    if (month != p->tmonth) {
        if (s[4] != '-' || s[7] != '-' || (c = d2(s)) < 0 ||
            (y = d2(s + 2)) < 0 || (mo = d2(s + 5)) < 1 || mo > 12)
            return false;
        p->tmonth = month;
        p->tmonth_first = days_from_civil(c * 100 + y, mo, 1);
        p->tmonth_days = month_days(c * 100 + y, mo);
    }
    if ((d = d2(s + 8)) < 1 || d > p->tmonth_days ||
        (h = d2(s + 11)) < 0 || h > 23 || (mi = d2(s + 14)) < 0 ||
        mi > 59 || (sec = d2(s + 17)) < 0 || sec > 60)
        return false;
    if (n == 30) {
        /* 8 digits, then the ninth */
        if ((frac = digits8(s + 20)) < 0 ||
            (dg = (unsigned char)s[28] - '0') < 0 || dg > 9)
            return false;
        frac = frac * 10 + dg;
    } else {
        /* "ddddddZ\0" shifted up two bytes under "00": 8 digits */
        char b[8];
        uint64_t w = esl_load8(s + 20) << 16 | 0x3030;

        memcpy(b, &w, sizeof(b));
        if ((frac = digits8(b)) < 0)
            return false;
        frac *= 1000;
    }
    return rfc3339_ns(p->tmonth_first + d - 1, h, mi, sec, frac, 0,
                      out_ns);
}

bool
esl_parse_time(struct eslogger_parser *p, const char *s, size_t n,
               int64_t *out_ns)
{
    return rfc3339_fast(p, s, n, out_ns) || esl_parse_rfc3339(s, n, out_ns);
}

void
esl_quote(char *buf, size_t size, const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n && i + 1 < size && i < 40; i++)
        buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
    buf[i] = '\0';
}

enum estel_rc
esl_time(struct eslogger_parser *p, uint32_t i, const char *key,
         int64_t *out_ns, struct estel_err *err)
{
    struct ev_str s;
    char q[48];
    enum estel_rc rc;

    if ((rc = esl_str(p, i, key, false, &s, err)) != ESTEL_OK)
        return rc;
    if (esl_parse_time(p, s.ptr, s.len, out_ns))
        return ESTEL_OK;
    esl_quote(q, sizeof(q), s.ptr, s.len);
    return esl_fail(p, key, err, "\"%s\" is not an RFC 3339 time between "
                    "1678 and 2261 (e.g. 2025-08-07T13:21:35.880814738Z)",
                    q);
}

/* ---- generic payloads --------------------------------------------------- */

static enum estel_rc
number_to_json(const struct esl_doc *d, uint32_t i, struct estel_buf *out)
{
    char tmp[32];
    uint64_t w = esl_jword(d, i);
    double v;
    int n;

    if (esl_jtype(d, i) == ESL_J_INT)
        n = snprintf(tmp, sizeof(tmp), "%" PRId64, (int64_t)w);
    else if (esl_jtype(d, i) == ESL_J_UINT)
        n = snprintf(tmp, sizeof(tmp), "%" PRIu64, w);
    else {
        memcpy(&v, &w, sizeof(v));
        n = snprintf(tmp, sizeof(tmp), "%.17g", v);
    }
    return buf_append(out, tmp, (size_t)n);
}

static enum estel_rc
value_to_json(const struct esl_doc *d, uint32_t i, struct estel_buf *out)
{
    unsigned t = esl_jtype(d, i);
    const char *s;
    size_t n;
    enum estel_rc rc = ESTEL_OK;

    switch (t) {
    case ESL_J_OBJECT:
    case ESL_J_ARRAY:
        rc = buf_putc(out, t == ESL_J_OBJECT ? '{' : '[');
        for (uint32_t j = i + 1, k = 0; rc == ESTEL_OK &&
             j < esl_jclose(d, i); k++) {
            if (k > 0)
                rc = buf_putc(out, ',');
            if (rc == ESTEL_OK && t == ESL_J_OBJECT) {
                s = esl_jstr(d, j++, &n);
                if ((rc = buf_json_str(out, s, n)) == ESTEL_OK)
                    rc = buf_putc(out, ':');
            }
            if (rc == ESTEL_OK)
                rc = value_to_json(d, j, out);
            j = esl_jnext(d, j);
        }
        return rc == ESTEL_OK ? buf_putc(out, t == ESL_J_OBJECT ? '}' :
                                         ']') : rc;
    case ESL_J_STRING:
        s = esl_jstr(d, i, &n);
        return buf_json_str(out, s, n);
    case ESL_J_TRUE:
        return buf_append(out, "true", 4);
    case ESL_J_FALSE:
        return buf_append(out, "false", 5);
    case ESL_J_NULL:
        return buf_append(out, "null", 4);
    default:
        return number_to_json(d, i, out);
    }
}

enum estel_rc
esl_to_json(struct eslogger_parser *p, uint32_t i, struct estel_buf *out,
            struct estel_err *err)
{
    enum estel_rc rc;

    buf_clear(out);
    /* the only failure is the buffer's ceiling (twice the longest line):
     * numbers can print longer than they were written (0.1 is
     * 0.10000000000000001) */
    if ((rc = value_to_json(&p->doc, i, out)) != ESTEL_OK)
        return esl_fail(p, NULL, err, "the payload is too large to keep "
                        "as JSON text (%s)", estel_rc_name(rc));
    return ESTEL_OK;
}
