/*
 * eslogger.c - Apple eslogger(1) JSON lines -> the event model.
 *
 * One line is one es_message_t printed by eslogger: an object whose key
 * order changes from line to line.  The line goes through simdjson
 * (eslogger_json.cpp: full validation, strings unescaped into the parser's
 * buffer), then this file reads the envelope, the acting process and its
 * files, and eslogger_events.c maps the payload.  The event borrows its
 * strings from the parser until the next parse_line call.
 *
 * Tolerance: unknown keys are ignored; an event type without a mapping, a
 * message version newer than ESL_MAX_VERSION or another schema_version is
 * recorded generically (type, name, payload kept as JSON text in ev->raw).
 * Everything the record needs must be present and of the right type:
 * otherwise ESTEL_E_CORRUPT names the key path and what is wrong.
 */
#include "collector/eslogger_int.h"
#include "common/evtype.h"

#include <stdlib.h>
#include <string.h>

_Static_assert(ESLOGGER_PADDING >= ESL_JSON_PADDING,
               "eslogger_parse_padded promises less than simdjson reads");

enum estel_rc
eslogger_parser_create(struct eslogger_parser **out, struct estel_err *err)
{
    struct eslogger_parser *p;
    const char *why;

    if ((p = calloc(1, sizeof(*p))) == NULL)
        return estel_fail(err, ESTEL_E_NOMEM, "eslogger parser: out of "
                          "memory");
    buf_init(&p->raw, 2 * (size_t)ESL_MAX_LINE);
    memcpy(&p->tmonth, "1970-01-", sizeof(p->tmonth));    /* day 0 */
    p->tmonth_first = 0;
    p->tmonth_days = 31;
    if (esl_json_create(&p->json, ESL_MAX_LINE, &why) != 0) {
        free(p);
        return estel_fail(err, ESTEL_E_NOMEM, "eslogger parser: %s", why);
    }
    *out = p;
    return ESTEL_OK;
}

void
eslogger_parser_destroy(struct eslogger_parser **pp)
{
    if (pp == NULL || *pp == NULL)
        return;
    esl_json_destroy(&(*pp)->json);
    buf_free(&(*pp)->raw);
    free(*pp);
    *pp = NULL;
}

/* ---- audit tokens -------------------------------------------------------- */

/* libbsm's val[] order, which eslogger's array form also uses. */
static const struct esl_key token_keys[] = {
    ESL_KEY("auid"), ESL_KEY("euid"), ESL_KEY("egid"), ESL_KEY("ruid"),
    ESL_KEY("rgid"), ESL_KEY("pid"), ESL_KEY("asid"), ESL_KEY("pidversion")
};
#define NTOKEN 8

/* Eight values (tape indexes) in val[] order into t. */
static enum estel_rc
token_values(struct eslogger_parser *p, const uint32_t *v,
             struct ev_token *t, struct estel_err *err)
{
    uint64_t u[NTOKEN];
    int64_t pid, pv;
    enum estel_rc rc;

    for (size_t k = 0; k < NTOKEN; k++) {
        if (k == 5 || k == 7)
            continue;
        if ((rc = esl_u64(p, v[k], token_keys[k].name, UINT32_MAX, &u[k],
                          err)) != ESTEL_OK)
            return rc;
    }
    if ((rc = esl_i64(p, v[5], "pid", INT32_MIN, INT32_MAX, &pid,
                      err)) != ESTEL_OK ||
        (rc = esl_i64(p, v[7], "pidversion", INT32_MIN, INT32_MAX, &pv,
                      err)) != ESTEL_OK)
        return rc;
    t->auid = (uint32_t)u[0];
    t->euid = (uint32_t)u[1];
    t->egid = (uint32_t)u[2];
    t->ruid = (uint32_t)u[3];
    t->rgid = (uint32_t)u[4];
    t->pid = (int32_t)pid;
    t->asid = (uint32_t)u[6];
    t->pidversion = (int32_t)pv;
    return ESTEL_OK;
}

/* An audit token: an object with the eight keys, or (macOS 26) an array
 * of eight integers in val[] order. */
static enum estel_rc
esl_token(struct eslogger_parser *p, uint32_t i, const char *key,
          struct ev_token *t, struct estel_err *err)
{
    const struct esl_doc *d = &p->doc;
    uint32_t v[NTOKEN], j;
    size_t n = 0;
    enum estel_rc rc;

    if (i == 0)
        return esl_missing(p, key, err);
    esl_push(p, key);
    if (esl_jtype(d, i) == ESL_J_OBJECT) {
        rc = esl_collect(p, i, NULL, token_keys, NTOKEN, v, err);
    } else if (esl_jtype(d, i) == ESL_J_ARRAY) {
        for (j = i + 1; j < esl_jclose(d, i) && n < NTOKEN;
             j = esl_jnext(d, j))
            v[n++] = j;
        rc = n == NTOKEN && j == esl_jclose(d, i) ? ESTEL_OK :
             esl_fail(p, NULL, err, "expected 8 integers [auid, euid, "
                      "egid, ruid, rgid, pid, asid, pidversion]");
    } else {
        esl_pop(p);
        return esl_bad_type(p, key, i, "an object or an array of 8 "
                            "integers", err);
    }
    if (rc == ESTEL_OK)
        rc = token_values(p, v, t, err);
    esl_pop(p);
    return rc;
}

/* ---- files --------------------------------------------------------------- */

/* Darwin struct stat order, which eslogger keeps within one version. */
static const struct esl_key stat_keys[] = {
    ESL_KEY("st_dev"), ESL_KEY("st_ino"), ESL_KEY("st_mode"),
    ESL_KEY("st_nlink"), ESL_KEY("st_uid"), ESL_KEY("st_gid"),
    ESL_SKIP("st_rdev"), ESL_SKIP("st_atimespec"), ESL_KEY("st_mtimespec"),
    ESL_KEY("st_ctimespec"), ESL_KEY("st_birthtimespec"), ESL_KEY("st_size"),
    ESL_SKIP("st_blocks"), ESL_SKIP("st_blksize"), ESL_KEY("st_flags"),
    ESL_SKIP("st_gen")
};
enum { ST_DEV, ST_INO, ST_MODE, ST_NLINK, ST_UID, ST_GID, ST_RDEV, ST_ATIME,
       ST_MTIME, ST_CTIME, ST_BTIME, ST_SIZE, ST_BLOCKS, ST_BLKSIZE,
       ST_FLAGS, ST_GEN, NSTAT };

/* A stat key that is absent reads as 0: eslogger prints them all. */
static enum estel_rc
stat_u32(struct eslogger_parser *p, const uint32_t *v, int k, uint32_t *out,
         struct estel_err *err)
{
    uint64_t u = 0;
    enum estel_rc rc = ESTEL_OK;

    if (v[k] != 0)
        rc = esl_u64(p, v[k], stat_keys[k].name, UINT32_MAX, &u, err);
    *out = (uint32_t)u;
    return rc;
}

static enum estel_rc
stat_i64(struct eslogger_parser *p, const uint32_t *v, int k, int64_t *out,
         struct estel_err *err)
{
    *out = 0;
    if (v[k] == 0)
        return ESTEL_OK;
    if (k == ST_MTIME || k == ST_CTIME || k == ST_BTIME)
        return esl_time(p, v[k], stat_keys[k].name, out, err);
    return esl_i64(p, v[k], stat_keys[k].name, INT64_MIN, INT64_MAX, out,
                   err);
}

static enum estel_rc
esl_stat(struct eslogger_parser *p, uint32_t i, struct ev_stat *st,
         struct estel_err *err)
{
    uint32_t v[NSTAT];
    enum estel_rc rc;

    st->ino = 0;
    if ((rc = esl_object(p, i, "stat", false, NULL, err)) != ESTEL_OK)
        return rc;
    esl_push(p, "stat");
    if ((rc = esl_collect(p, i, NULL, stat_keys, NSTAT, v, err)) ==
        ESTEL_OK &&
        (rc = stat_i64(p, v, ST_DEV, &st->dev, err)) == ESTEL_OK &&
        (v[ST_INO] == 0 || (rc = esl_u64(p, v[ST_INO], "st_ino",
                                         UINT64_MAX, &st->ino, err)) ==
         ESTEL_OK) &&
        (rc = stat_u32(p, v, ST_MODE, &st->mode, err)) == ESTEL_OK &&
        (rc = stat_u32(p, v, ST_NLINK, &st->nlink, err)) == ESTEL_OK &&
        (rc = stat_u32(p, v, ST_UID, &st->uid, err)) == ESTEL_OK &&
        (rc = stat_u32(p, v, ST_GID, &st->gid, err)) == ESTEL_OK &&
        (rc = stat_i64(p, v, ST_SIZE, &st->size, err)) == ESTEL_OK &&
        (rc = stat_u32(p, v, ST_FLAGS, &st->flags, err)) == ESTEL_OK &&
        (rc = stat_i64(p, v, ST_MTIME, &st->mtime_ns, err)) == ESTEL_OK &&
        (rc = stat_i64(p, v, ST_CTIME, &st->ctime_ns, err)) == ESTEL_OK)
        rc = stat_i64(p, v, ST_BTIME, &st->btime_ns, err);
    esl_pop(p);
    return rc;
}

static const struct esl_key file_keys[] = {
    ESL_KEY("path"), ESL_KEY("path_truncated"), ESL_KEY("stat")
};

enum estel_rc
esl_file(struct eslogger_parser *p, uint32_t i, const char *key,
         struct ev_file *f, struct estel_err *err)
{
    uint32_t v[3];
    enum estel_rc rc;

    if ((rc = esl_object(p, i, key, false, NULL, err)) != ESTEL_OK)
        return rc;
    esl_push(p, key);
    if ((rc = esl_collect(p, i, NULL, file_keys, 3, v, err)) == ESTEL_OK &&
        (rc = esl_str(p, v[0], "path", false, &f->path, err)) == ESTEL_OK &&
        (v[1] == 0 || (rc = esl_bool(p, v[1], "path_truncated",
                                     &f->path_truncated, err)) == ESTEL_OK)) {
        f->has_stat = v[2] != 0;
        if (f->has_stat)
            rc = esl_stat(p, v[2], &f->stat, err);
    }
    esl_pop(p);
    return rc;
}

/* ---- processes ----------------------------------------------------------- */

static const struct esl_key proc_keys[] = {
    ESL_KEY("audit_token"), ESL_KEY("ppid"), ESL_KEY("original_ppid"),
    ESL_KEY("group_id"), ESL_KEY("session_id"),
    ESL_KEY("codesigning_flags"), ESL_KEY("is_platform_binary"),
    ESL_KEY("is_es_client"), ESL_KEY("cdhash"), ESL_KEY("signing_id"),
    ESL_KEY("team_id"), ESL_KEY("executable"), ESL_KEY("tty"),
    ESL_KEY("start_time"), ESL_KEY("responsible_audit_token"),
    ESL_KEY("parent_audit_token"), ESL_KEY("cs_validation_category")
};
enum { P_TOKEN, P_PPID, P_OPPID, P_GROUP, P_SESSION, P_CSFLAGS, P_PLATFORM,
       P_ESCLIENT, P_CDHASH, P_SIGNING, P_TEAM, P_EXE, P_TTY, P_START,
       P_RESP, P_PARENT, P_CSV, NPROC };

/* hex digit values + 1 (0: not a hex digit) */
#define HEX_ROW(c0) [c0] = 1, [c0 + 1] = 2, [c0 + 2] = 3, [c0 + 3] = 4, \
    [c0 + 4] = 5, [c0 + 5] = 6, [c0 + 6] = 7, [c0 + 7] = 8, [c0 + 8] = 9, \
    [c0 + 9] = 10
static const unsigned char hex1[256] = {
    HEX_ROW('0'),
    ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
    ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16
};

static int
hexval(char c)
{
    return hex1[(unsigned char)c] - 1;
}

static enum estel_rc
esl_cdhash(struct eslogger_parser *p, uint32_t i, struct ev_process *proc,
           struct estel_err *err)
{
    struct ev_str s;
    enum estel_rc rc;
    int hi, lo;

    if ((rc = esl_str(p, i, "cdhash", false, &s, err)) != ESTEL_OK)
        return rc;
    if (s.len != 2 * sizeof(proc->cdhash))
        return esl_fail(p, "cdhash", err, "expected 40 hex digits, got %zu "
                        "characters", s.len);
    for (size_t k = 0; k < sizeof(proc->cdhash); k++) {
        if ((hi = hexval(s.ptr[2 * k])) < 0 ||
            (lo = hexval(s.ptr[2 * k + 1])) < 0)
            return esl_fail(p, "cdhash", err, "expected 40 hex digits, "
                            "found a non-hex character at %zu",
                            2 * k + (hi < 0 ? 0 : 1));
        proc->cdhash[k] = (uint8_t)(hi << 4 | lo);
    }
    proc->has_cdhash = true;
    return ESTEL_OK;
}

static enum estel_rc
proc_i32(struct eslogger_parser *p, const uint32_t *v, int k, int32_t *out,
         struct estel_err *err)
{
    int64_t x = 0;
    enum estel_rc rc = esl_i64(p, v[k], proc_keys[k].name, INT32_MIN,
                               INT32_MAX, &x, err);

    *out = (int32_t)x;
    return rc;
}

/* Keys present since message version 1. */
static enum estel_rc
proc_base(struct eslogger_parser *p, const uint32_t *v,
          struct ev_process *proc, struct estel_err *err)
{
    uint64_t u;
    enum estel_rc rc;

    if ((rc = esl_token(p, v[P_TOKEN], "audit_token", &proc->token,
                        err)) != ESTEL_OK ||
        (rc = proc_i32(p, v, P_PPID, &proc->ppid, err)) != ESTEL_OK ||
        (rc = proc_i32(p, v, P_OPPID, &proc->original_ppid, err)) !=
        ESTEL_OK ||
        (rc = proc_i32(p, v, P_GROUP, &proc->group_id, err)) != ESTEL_OK ||
        (rc = proc_i32(p, v, P_SESSION, &proc->session_id, err)) !=
        ESTEL_OK ||
        (rc = esl_u64(p, v[P_CSFLAGS], "codesigning_flags", UINT32_MAX,
                      &u, err)) != ESTEL_OK)
        return rc;
    proc->cs_flags = (uint32_t)u;
    if ((rc = esl_bool(p, v[P_PLATFORM], "is_platform_binary",
                       &proc->is_platform_binary, err)) != ESTEL_OK ||
        (rc = esl_bool(p, v[P_ESCLIENT], "is_es_client",
                       &proc->is_es_client, err)) != ESTEL_OK ||
        (rc = esl_cdhash(p, v[P_CDHASH], proc, err)) != ESTEL_OK ||
        (rc = esl_str(p, v[P_SIGNING], "signing_id", true,
                      &proc->signing_id, err)) != ESTEL_OK ||
        (rc = esl_str(p, v[P_TEAM], "team_id", true, &proc->team_id,
                      err)) != ESTEL_OK)
        return rc;
    return esl_file(p, v[P_EXE], "executable", &proc->executable, err);
}

/* Version-gated keys: set only what the line has. */
static enum estel_rc
proc_gated(struct eslogger_parser *p, const uint32_t *v,
           struct ev_process *proc, struct estel_err *err)
{
    enum estel_rc rc = ESTEL_OK;
    bool null;

    if (v[P_TTY] != 0) {
        if ((rc = esl_object(p, v[P_TTY], "tty", true, &null, err)) !=
            ESTEL_OK)
            return rc;
        proc->has_tty = !null;
        if (!null && (rc = esl_file(p, v[P_TTY], "tty", &proc->tty,
                                    err)) != ESTEL_OK)
            return rc;
    }
    proc->has_start_time = v[P_START] != 0;
    if (proc->has_start_time && (rc = esl_time(p, v[P_START], "start_time",
                                               &proc->start_time_ns,
                                               err)) != ESTEL_OK)
        return rc;
    proc->has_parent_tokens = v[P_RESP] != 0 && v[P_PARENT] != 0;
    if (proc->has_parent_tokens &&
        ((rc = esl_token(p, v[P_RESP], "responsible_audit_token",
                         &proc->responsible, err)) != ESTEL_OK ||
         (rc = esl_token(p, v[P_PARENT], "parent_audit_token",
                         &proc->parent, err)) != ESTEL_OK))
        return rc;
    proc->has_cs_validation = v[P_CSV] != 0;
    if (proc->has_cs_validation)
        rc = proc_i32(p, v, P_CSV, &proc->cs_validation_category, err);
    return rc;
}

enum estel_rc
esl_process(struct eslogger_parser *p, uint32_t i, const char *key,
            struct ev_process *proc, struct estel_err *err)
{
    uint32_t v[NPROC];
    enum estel_rc rc;

    if ((rc = esl_object(p, i, key, false, NULL, err)) != ESTEL_OK)
        return rc;
    esl_push(p, key);
    if ((rc = esl_collect(p, i, NULL, proc_keys, NPROC, v, err)) ==
        ESTEL_OK &&
        (rc = proc_base(p, v, proc, err)) == ESTEL_OK)
        rc = proc_gated(p, v, proc, err);
    esl_pop(p);
    return rc;
}

/* ---- string lists (argv, env) -------------------------------------------- */

enum estel_rc
esl_strs(struct eslogger_parser *p, uint32_t i, const char *key,
         struct ev_strs *out, struct estel_err *err)
{
    const struct esl_doc *d = &p->doc;
    struct ev_str *items;
    char where[64];
    size_t n = 0;

    if (i == 0)
        return esl_missing(p, key, err);
    if (esl_jtype(d, i) != ESL_J_ARRAY)
        return esl_bad_type(p, key, i, "an array of strings", err);
    if (p->nlists >= ESL_STRS_LISTS)
        return esl_fail(p, key, err, "more string lists than the parser "
                        "keeps (%d)", ESL_STRS_LISTS);
    items = p->lists[p->nlists++];
    for (uint32_t j = i + 1; j < esl_jclose(d, i); j = esl_jnext(d, j), n++) {
        if (esl_jtype(d, j) != ESL_J_STRING) {
            snprintf(where, sizeof(where), "%s[%zu]", key, n);
            return esl_bad_type(p, where, j, "a string", err);
        }
        /* keep the first ESL_STRS_CAP, count them all */
        if (n < ESL_STRS_CAP)
            items[n].ptr = esl_jstr(d, j, &items[n].len);
    }
    out->items = items;
    out->stored = n < ESL_STRS_CAP ? n : ESL_STRS_CAP;
    out->count = n;
    return ESTEL_OK;
}

/* ---- the envelope -------------------------------------------------------- */

static const struct esl_key top_keys[] = {
    ESL_KEY("schema_version"), ESL_KEY("version"), ESL_KEY("time"),
    ESL_KEY("mach_time"), ESL_KEY("event_type"), ESL_KEY("action_type"),
    ESL_KEY("action"), ESL_KEY("seq_num"), ESL_KEY("global_seq_num"),
    ESL_KEY("thread"), ESL_KEY("process"), ESL_KEY("event")
};
enum { T_SCHEMA, T_VERSION, T_TIME, T_MACH, T_TYPE, T_ACTION_TYPE, T_ACTION,
       T_SEQ, T_GSEQ, T_THREAD, T_PROC, T_EVENT, NTOP };

static const struct esl_key thread_keys[] = { ESL_KEY("thread_id") };

static enum estel_rc
esl_thread(struct eslogger_parser *p, uint32_t i, struct estel_event *ev,
           struct estel_err *err)
{
    uint32_t v[1];
    bool null;
    enum estel_rc rc;

    if ((rc = esl_object(p, i, "thread", true, &null, err)) != ESTEL_OK ||
        null)
        return rc;
    esl_push(p, "thread");
    if ((rc = esl_collect(p, i, NULL, thread_keys, 1, v, err)) == ESTEL_OK)
        rc = esl_u64(p, v[0], "thread_id", UINT64_MAX, &ev->thread_id, err);
    esl_pop(p);
    ev->has_thread = rc == ESTEL_OK;
    return rc;
}

static enum estel_rc
envelope(struct eslogger_parser *p, const uint32_t *v,
         struct estel_event *ev, struct estel_err *err)
{
    uint64_t u;
    enum estel_rc rc;

    if ((rc = esl_u64(p, v[T_TYPE], "event_type", UINT32_MAX, &u, err)) !=
        ESTEL_OK)
        return rc;
    ev->type = (uint32_t)u;
    if ((rc = esl_u64(p, v[T_VERSION], "version", UINT32_MAX, &u, err)) !=
        ESTEL_OK)
        return rc;
    ev->version = (uint32_t)u;
    if ((rc = esl_time(p, v[T_TIME], "time", &ev->time_ns, err)) !=
        ESTEL_OK ||
        (rc = esl_u64(p, v[T_MACH], "mach_time", UINT64_MAX,
                      &ev->mach_time, err)) != ESTEL_OK)
        return rc;
    ev->has_seq = v[T_SEQ] != 0;
    if (ev->has_seq && (rc = esl_u64(p, v[T_SEQ], "seq_num", UINT64_MAX,
                                     &ev->seq_num, err)) != ESTEL_OK)
        return rc;
    ev->has_global_seq = v[T_GSEQ] != 0;
    if (ev->has_global_seq &&
        (rc = esl_u64(p, v[T_GSEQ], "global_seq_num", UINT64_MAX,
                      &ev->global_seq_num, err)) != ESTEL_OK)
        return rc;
    if (v[T_THREAD] != 0)
        return esl_thread(p, v[T_THREAD], ev, err);
    return ESTEL_OK;
}

/* ---- the payload --------------------------------------------------------- */

/*
 * event: exactly one key, the event's short name.  A type the table knows
 * must come under its own name; a type it does not know is named by the
 * key.  Payloads without a mapping are kept as JSON text.
 */
static enum estel_rc
payload(struct eslogger_parser *p, uint32_t i, bool generic,
        struct estel_event *ev, struct estel_err *err)
{
    const char *want = estel_evtype_name(ev->type);
    struct ev_str name;
    char q[48];
    enum estel_rc rc;

    if ((rc = esl_object(p, i, "event", false, NULL, err)) != ESTEL_OK)
        return rc;
    if (esl_jcount(&p->doc, i) != 1)
        return esl_fail(p, "event", err, "expected exactly one key (the "
                        "event name), got %u", esl_jcount(&p->doc, i));
    name.ptr = esl_jstr(&p->doc, i + 1, &name.len);
    if (want != NULL && (strlen(want) != name.len ||
                         memcmp(want, name.ptr, name.len) != 0)) {
        esl_quote(q, sizeof(q), name.ptr, name.len);
        return esl_fail(p, "event", err, "key \"%s\" does not match "
                        "event_type %u (%s)", q, ev->type, want);
    }
    if (want == NULL)
        ev->type_name = name;
    if (generic || want == NULL || !esl_event_known(ev->type)) {
        if ((rc = esl_to_json(p, i + 2, &p->raw, err)) != ESTEL_OK)
            return rc;
        ev->raw.ptr = p->raw.data;
        ev->raw.len = p->raw.len;
        return ESTEL_OK;
    }
    esl_push(p, "event");
    rc = esl_event_payload(p, i + 2, want, ev, err);
    esl_pop(p);
    return rc;
}

/* The value of key name in the object at obj, or 0. */
static uint32_t
member(const struct esl_doc *d, uint32_t obj, const char *name)
{
    size_t n = strlen(name), len;
    const char *k;

    if (obj == 0 || esl_jtype(d, obj) != ESL_J_OBJECT)
        return 0;
    for (uint32_t i = obj + 1; i < esl_jclose(d, obj);
         i = esl_jnext(d, i + 1)) {
        k = esl_jstr(d, i, &len);
        if (len == n && memcmp(k, name, n) == 0)
            return i + 1;
    }
    return 0;
}

static bool
is_int(const struct esl_doc *d, uint32_t i, int64_t want)
{
    return i != 0 && esl_jtype(d, i) == ESL_J_INT &&
           (int64_t)esl_jword(d, i) == want;
}

/*
 * A NOTIFY whose operation another client's AUTH denied: action_type 1
 * (NOTIFY) and "action": {"result": {"result_type": 0 (AUTH), "result":
 * {"auth": 1 (DENY)}}}.  The ES source records it as action_result 1.
 * Read leniently: eslogger's action block only informs, so a shape we do
 * not know is no reason to lose the event.
 */
static bool
notify_denied(const struct eslogger_parser *p, const uint32_t *v)
{
    const struct esl_doc *d = &p->doc;
    uint32_t result = member(d, v[T_ACTION], "result");

    return is_int(d, v[T_ACTION_TYPE], 1) &&
           is_int(d, member(d, result, "result_type"), 0) &&
           is_int(d, member(d, member(d, result, "result"), "auth"), 1);
}

static enum estel_rc
parse_line(struct eslogger_parser *p, const char *line, size_t len,
           bool padded, struct estel_event *ev, struct estel_err *err)
{
    uint32_t v[NTOP];
    uint64_t schema = 1;
    const char *why;
    enum estel_rc rc;

    ev_reset(ev);
    p->depth = 0;
    p->nlists = 0;
    if (len > ESL_MAX_LINE)
        return estel_fail(err, ESTEL_E_CORRUPT, "line is %zu bytes, over "
                          "the %u byte limit", len, ESL_MAX_LINE);
    if ((why = esl_json_parse(p->json, line, len, padded, &p->doc)) != NULL)
        return estel_fail(err, ESTEL_E_CORRUPT, "%s", why);
    if (esl_jtype(&p->doc, 1) != ESL_J_OBJECT)
        return esl_bad_type(p, NULL, 1, "a JSON object", err);
    if ((rc = esl_collect(p, 1, NULL, top_keys, NTOP, v, err)) != ESTEL_OK ||
        (rc = envelope(p, v, ev, err)) != ESTEL_OK ||
        (v[T_SCHEMA] != 0 &&
         (rc = esl_u64(p, v[T_SCHEMA], "schema_version", UINT32_MAX, &schema,
                       err)) != ESTEL_OK) ||
        (rc = esl_process(p, v[T_PROC], "process", &ev->process, err)) !=
        ESTEL_OK)
        return rc;
    if ((rc = payload(p, v[T_EVENT], schema != 1 ||
                      ev->version > ESL_MAX_VERSION, ev, err)) != ESTEL_OK)
        return rc;
    if (notify_denied(p, v))
        ev_add_int(ev, "action_result", 1);
    return ESTEL_OK;
}

enum estel_rc
eslogger_parse_line(struct eslogger_parser *p, char *line, size_t len,
                    struct estel_event *ev, struct estel_err *err)
{
    return parse_line(p, line, len, false, ev, err);
}

enum estel_rc
eslogger_parse_padded(struct eslogger_parser *p, const char *line,
                      size_t len, struct estel_event *ev,
                      struct estel_err *err)
{
    return parse_line(p, line, len, true, ev, err);
}
