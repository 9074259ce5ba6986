/*
 * eslogger_int.h - private to the eslogger parser (eslogger.c,
 * eslogger_read.c, eslogger_events.c): the parser object, typed readers
 * over the JSON tape that name what is wrong when a value does not fit,
 * and the table that maps each event's payload onto the record.
 */
#ifndef ESTEL_ESLOGGER_INT_H
#define ESTEL_ESLOGGER_INT_H

#include "collector/collector.h"
#include "collector/eslogger_json.h"

#define ESL_MAX_LINE ESLOGGER_MAX_LINE   /* longer lines are rejected */
#define ESL_MAX_VERSION 11          /* newest ES message version known */
#define ESL_STRS_CAP 4096           /* argv/env items kept per list */
#define ESL_STRS_LISTS 2            /* exec: args and env */
#define ESL_PATH_MAX 12             /* nesting kept for messages */

struct eslogger_parser {
    struct esl_json *json;
    struct esl_doc doc;
    /* the value path being read, for messages: "event.exec.target" */
    const char *path[ESL_PATH_MAX];
    size_t depth;
    size_t nlists;                  /* string lists used by this event */
    struct ev_str lists[ESL_STRS_LISTS][ESL_STRS_CAP];
    struct estel_buf raw;           /* generic events: payload as JSON */
    /* the month of the last time esl_time read ("2025-08-", as the
     * first 8 bytes of the string), the day number of its first day and
     * its length: a line's dozen times fall in a month or two */
    uint64_t tmonth;
    int64_t tmonth_first;
    int tmonth_days;
};

/*
 * A key an object may have; the reader files each member under its slot.
 * A skip key is known and not read: listing it keeps lookups in ordered
 * lines at one comparison (esl_collect_stride).
 *
 * len and name are laid out as simdjson lays out a string in its string
 * buffer (a 32-bit little-endian length, then the bytes), NUL-padded to
 * ESL_KEY_MAX bytes, so that esl_key_at compares a key as four masked
 * 64-bit words.  A name longer than ESL_KEY_MAX - 1 bytes does not
 * compile.
 */
#define ESL_KEY_MAX 28
struct esl_key {
    uint32_t len;
    char name[ESL_KEY_MAX];
    bool skip;
};
#define ESL_KEY_LEN(s) \
    (sizeof(s) - 1 + 0 * sizeof(char[sizeof(s) <= ESL_KEY_MAX ? 1 : -1]))
#define ESL_KEY(s) { ESL_KEY_LEN(s), s, false }
#define ESL_SKIP(s) { ESL_KEY_LEN(s), s, true }

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "esl_key_at and the tape reader assume little-endian words"
#endif

static inline uint64_t
esl_load8(const void *p)
{
    uint64_t w;

    memcpy(&w, p, sizeof(w));
    return w;
}

/* esl_key_masks[len][w]: the bytes of word w that a key of len bytes
 * (after its 4-byte length) covers. */
extern const uint64_t esl_key_masks[ESL_KEY_MAX][4];

/*
 * Is the tape string at s (its length word, see esl_jraw) the key k?
 * Reads 32 bytes at s whatever the string's length: simdjson's string
 * buffer is at least 5/3 of the parser's capacity (64 KiB or more) plus
 * padding, far more than a line's strings use, and the bytes past the
 * key are masked off.  The length is compared with the first bytes.
 */
static inline bool
esl_key_at(const struct esl_key *k, const uint8_t *s)
{
    const char *kw = (const char *)k;
    const uint64_t *m = esl_key_masks[k->len];

    return (((esl_load8(s) ^ esl_load8(kw)) & m[0]) |
            ((esl_load8(s + 8) ^ esl_load8(kw + 8)) & m[1]) |
            ((esl_load8(s + 16) ^ esl_load8(kw + 16)) & m[2]) |
            ((esl_load8(s + 24) ^ esl_load8(kw + 24)) & m[3])) == 0;
}

/* ---- eslogger_read.c: typed reading with precise messages ------------- */

static inline void
esl_push(struct eslogger_parser *p, const char *seg)
{
    if (p->depth < ESL_PATH_MAX)
        p->path[p->depth] = seg;
    p->depth++;
}

static inline void
esl_pop(struct eslogger_parser *p)
{
    p->depth--;
}

/* "path.key: <what>" as ESTEL_E_CORRUPT. */
enum estel_rc esl_fail(struct eslogger_parser *p, const char *key,
                       struct estel_err *err, const char *fmt, ...)
    ESTEL_PRINTF(4, 5);
/* "path.key: expected <want>, got <type of value i>". */
enum estel_rc esl_bad_type(struct eslogger_parser *p, const char *key,
                           uint32_t i, const char *want,
                           struct estel_err *err);
enum estel_rc esl_missing(struct eslogger_parser *p, const char *key,
                          struct estel_err *err);

/*
 * File the members of the object at obj under slots[k] (the value's tape
 * index; 0 when absent).  Unknown keys are ignored; a repeated known key
 * is an error.  key names obj itself in messages.  The keys sit every
 * stride bytes (tables of larger structs that start with an esl_key).
 */
enum estel_rc esl_collect_stride(struct eslogger_parser *p, uint32_t obj,
                                 const char *key, const struct esl_key *keys,
                                 size_t stride, size_t nkeys,
                                 uint32_t *slots, struct estel_err *err);

static inline enum estel_rc
esl_collect(struct eslogger_parser *p, uint32_t obj, const char *key,
            const struct esl_key *keys, size_t nkeys, uint32_t *slots,
            struct estel_err *err)
{
    return esl_collect_stride(p, obj, key, keys, sizeof(*keys), nkeys,
                              slots, err);
}
/* Up to 40 bytes of s, unprintable bytes as '?', for messages. */
void esl_quote(char *buf, size_t size, const char *s, size_t n);

/*
 * The value at i (0: absent) as a typed C value; key names it.  The
 * inline readers take the common case (present, right type, in range);
 * the _slow functions handle every case and say what is wrong.
 */
enum estel_rc esl_i64_slow(struct eslogger_parser *p, uint32_t i,
                           const char *key, int64_t min, int64_t max,
                           int64_t *out, struct estel_err *err);
enum estel_rc esl_u64_slow(struct eslogger_parser *p, uint32_t i,
                           const char *key, uint64_t max, uint64_t *out,
                           struct estel_err *err);
enum estel_rc esl_bool_slow(struct eslogger_parser *p, uint32_t i,
                            const char *key, bool *out,
                            struct estel_err *err);
enum estel_rc esl_str_slow(struct eslogger_parser *p, uint32_t i,
                           const char *key, bool nullable,
                           struct ev_str *out, struct estel_err *err);

static inline enum estel_rc
esl_i64(struct eslogger_parser *p, uint32_t i, const char *key, int64_t min,
        int64_t max, int64_t *out, struct estel_err *err)
{
    int64_t v;

    if (i != 0 && esl_jtype(&p->doc, i) == ESL_J_INT) {
        v = (int64_t)esl_jword(&p->doc, i);
        if (v >= min && v <= max) {
            *out = v;
            return ESTEL_OK;
        }
    }
    return esl_i64_slow(p, i, key, min, max, out, err);
}

static inline enum estel_rc
esl_u64(struct eslogger_parser *p, uint32_t i, const char *key,
        uint64_t max, uint64_t *out, struct estel_err *err)
{
    unsigned t;
    uint64_t v;

    if (i != 0) {
        t = esl_jtype(&p->doc, i);
        v = esl_jword(&p->doc, i);
        if (((t == ESL_J_INT && (int64_t)v >= 0) || t == ESL_J_UINT) &&
            v <= max) {
            *out = v;
            return ESTEL_OK;
        }
    }
    return esl_u64_slow(p, i, key, max, out, err);
}

static inline enum estel_rc
esl_bool(struct eslogger_parser *p, uint32_t i, const char *key, bool *out,
         struct estel_err *err)
{
    unsigned t;

    if (i != 0) {
        t = esl_jtype(&p->doc, i);
        if (t == ESL_J_TRUE || t == ESL_J_FALSE) {
            *out = t == ESL_J_TRUE;
            return ESTEL_OK;
        }
    }
    return esl_bool_slow(p, i, key, out, err);
}

/* A string, or null (ptr NULL) when nullable. */
static inline enum estel_rc
esl_str(struct eslogger_parser *p, uint32_t i, const char *key,
        bool nullable, struct ev_str *out, struct estel_err *err)
{
    if (i != 0 && esl_jtype(&p->doc, i) == ESL_J_STRING) {
        out->ptr = esl_jstr(&p->doc, i, &out->len);
        return ESTEL_OK;
    }
    return esl_str_slow(p, i, key, nullable, out, err);
}
/* An RFC 3339 time string ("2025-08-07T13:21:35.880814738Z") in ns. */
enum estel_rc esl_time(struct eslogger_parser *p, uint32_t i,
                       const char *key, int64_t *out_ns,
                       struct estel_err *err);
/* Strict RFC 3339 (date, 'T', time, up to 9 fraction digits, Z or
 * +hh:mm) to ns since the epoch; false if malformed or out of range. */
bool esl_parse_rfc3339(const char *s, size_t n, int64_t *out_ns);
/* The same, trying the shape eslogger prints first (months cached in p). */
bool esl_parse_time(struct eslogger_parser *p, const char *s, size_t n,
                    int64_t *out_ns);
/* Require an object (true) or accept null too (*is_null set). */
enum estel_rc esl_object(struct eslogger_parser *p, uint32_t i,
                         const char *key, bool nullable, bool *is_null,
                         struct estel_err *err);
/* Append the value at i to out as compact JSON. */
enum estel_rc esl_to_json(struct eslogger_parser *p, uint32_t i,
                          struct estel_buf *out, struct estel_err *err);

/* ---- eslogger.c: shared shapes ---------------------------------------- */

enum estel_rc esl_file(struct eslogger_parser *p, uint32_t i,
                       const char *key, struct ev_file *f,
                       struct estel_err *err);
enum estel_rc esl_process(struct eslogger_parser *p, uint32_t i,
                          const char *key, struct ev_process *proc,
                          struct estel_err *err);
enum estel_rc esl_strs(struct eslogger_parser *p, uint32_t i,
                       const char *key, struct ev_strs *out,
                       struct estel_err *err);

/* ---- eslogger_events.c: payloads -------------------------------------- */

/*
 * Fill ev's payload fields from the payload object at obj for ev->type.
 * false (and nothing filled) when the type has no mapping: the caller
 * records the payload generically.
 */
bool esl_event_known(uint32_t type);
enum estel_rc esl_event_payload(struct eslogger_parser *p, uint32_t obj,
                                const char *name, struct estel_event *ev,
                                struct estel_err *err);

#endif
