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
};

/*
 * A key an object may have; the reader files each member under its slot.
 * A skip key is known and not read: listing it keeps lookups in ordered
 * lines at one comparison (esl_collect_stride).
 */
struct esl_key {
    const char *name;
    size_t len;
    bool skip;
};
#define ESL_KEY(s) { s, sizeof(s) - 1, false }
#define ESL_SKIP(s) { s, sizeof(s) - 1, true }

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

/* The value at i (0: absent) as a typed C value; key names it. */
enum estel_rc esl_i64(struct eslogger_parser *p, uint32_t i,
                      const char *key, int64_t min, int64_t max,
                      int64_t *out, struct estel_err *err);
enum estel_rc esl_u64(struct eslogger_parser *p, uint32_t i,
                      const char *key, uint64_t max, uint64_t *out,
                      struct estel_err *err);
enum estel_rc esl_bool(struct eslogger_parser *p, uint32_t i,
                       const char *key, bool *out, struct estel_err *err);
/* A string, or null (ptr NULL) when nullable. */
enum estel_rc esl_str(struct eslogger_parser *p, uint32_t i,
                      const char *key, bool nullable, struct ev_str *out,
                      struct estel_err *err);
/* An RFC 3339 time string ("2025-08-07T13:21:35.880814738Z") in ns. */
enum estel_rc esl_time(struct eslogger_parser *p, uint32_t i,
                       const char *key, int64_t *out_ns,
                       struct estel_err *err);
/* Strict RFC 3339 (date, 'T', time, up to 9 fraction digits, Z or
 * +hh:mm) to ns since the epoch; false if malformed or out of range. */
bool esl_parse_rfc3339(const char *s, size_t n, int64_t *out_ns);
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
