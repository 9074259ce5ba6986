/*
 * record.c - the schema v2 msgpack record encoder (docs/schema.md).
 *
 * One map per event with short, stable keys.  The envelope (type, times,
 * sequence numbers, host/boot ids, event id) comes first, then "p" (the
 * acting process) and "e" (the payload, keyed by ES member names).  Keys
 * whose value is absent are left out rather than written as nil, so a
 * record is as small as its event.  Hashes and ids (event id, entity ids,
 * cdhash) are msgpack bin: half the bytes of hex, and every decoder
 * (record_to_json, ingest) shows bin as lowercase hex.
 *
 * Speed.  The encoder runs on the ES handler's thread, once per event, so
 * it is written like a serializer, not like a library call per token:
 * record_bound() walks the event once to get an upper bound of the record
 * size, the buffer is grown once to that, and then every writer puts bytes
 * through a cursor (uint8_t *w) that it takes and returns.  The cursor is a
 * local, so it lives in a register; a length field in the buffer struct
 * would have to be reloaded after every byte store (char stores alias
 * everything).  No bounds check happens per token, and keys, being
 * literals, compile to a few stores.  The bytes are standard msgpack;
 * tests decode every record with msgpack-c's unpacker.
 */
#include "collector/collector.h"
#include "common/evtype.h"

#include <stdlib.h>
#include <string.h>
/* inlined: the ids hash 8- to 48-byte keys, where a call costs as much */
#define XXH_INLINE_ALL
#include <xxhash.h>

#define RECORD_MAX_BYTES (4u << 20)     /* one record never exceeds this */

/*
 * Process blocks, remembered.  A process's "p" block is the same on every
 * event it makes until something in it changes (ppid on reparenting, cs
 * flags), a busy process makes thousands of events in a row, and encoding
 * the block is ~3/4 of a record's cost.  A small direct-mapped cache keyed
 * by (pid, pidversion), two ways a set, keeps recent encodings together
 * with every input each was made from: a hit is a compare and a copy, and any
 * difference at all is a miss that encodes afresh.
 */
#define PROC_SETS 32
#define PROC_WAYS 2                 /* e.g. an actor and its exec target */
#define PROC_SLOT_BYTES 1536

struct proc_facts {                 /* every input of put_process but the
                                       strings' bytes; zeroed padding */
    struct ev_token token;
    int32_t ppid, original_ppid, group_id, session_id;
    uint32_t cs_flags;
    int32_t resp_pid, resp_pv, par_pid, par_pv;
    int32_t cs_validation_category;
    int64_t start_time_ns;
    uint32_t sig_len, team_len, exe_len, tty_len;
    uint32_t bits;
    uint8_t cdhash[20];
};

struct proc_slot {
    struct proc_facts facts;
    uint32_t enc_len;               /* 0: empty */
    uint8_t data[PROC_SLOT_BYTES];  /* sig, team, exe, tty, the encoding */
};

struct record_encoder {
    struct record_identity id;
    struct record_limits limits;
    uint64_t entity_seed;               /* hash of host + boot */
    size_t host_len, boot_len;
    struct estel_buf out;
    struct proc_slot (*procs)[PROC_WAYS]; /* PROC_SETS sets */
    uint8_t victim[PROC_SETS];          /* the way a miss replaces next */
};

/* ---- writers: each takes the cursor and returns it, advanced ---------- */

static inline uint8_t *
put_be16(uint8_t *w, uint16_t v)
{
    v = __builtin_bswap16(v);
    memcpy(w, &v, 2);
    return w + 2;
}

static inline uint8_t *
put_be32(uint8_t *w, uint32_t v)
{
    v = __builtin_bswap32(v);
    memcpy(w, &v, 4);
    return w + 4;
}

static inline uint8_t *
put_be64(uint8_t *w, uint64_t v)
{
    v = __builtin_bswap64(v);
    memcpy(w, &v, 8);
    return w + 8;
}

/*
 * A number in its smallest msgpack form.  Past the fixint case there is no
 * branch per size class (they mispredict on ids and times): the class
 * comes from the highest set bit, and the value goes out as one 8-byte
 * store, shifted so that its n bytes come first.  The bytes after them are
 * scratch that the next writer overwrites; record_bound() counts 9 bytes
 * for every number, so they are always inside the buffer.
 */
static inline uint8_t *
put_sized(uint8_t *w, uint8_t tag8, uint64_t v, unsigned bytes_needed)
{
    static const uint8_t cls[9] = { 0, 0, 1, 2, 2, 3, 3, 3, 3 };
    unsigned c = cls[bytes_needed];         /* 1, 2, 4 or 8 bytes */
    unsigned n = 1u << c;

    *w = (uint8_t)(tag8 + c);
    v = __builtin_bswap64(n == 8 ? v : v << (64 - 8 * n));
    memcpy(w + 1, &v, 8);
    return w + 1 + n;
}

static inline uint8_t *
put_uint(uint8_t *w, uint64_t v)
{
    if (v < 128) {
        *w = (uint8_t)v;
        return w + 1;
    }
    return put_sized(w, 0xcc, v, 8 - (unsigned)__builtin_clzll(v) / 8);
}

static inline uint8_t *
put_int(uint8_t *w, int64_t v)
{
    if (v >= 0)
        return put_uint(w, (uint64_t)v);
    if (v >= -32) {
        *w = (uint8_t)(int8_t)v;
        return w + 1;
    }
    /* bytes needed for a two's complement value: from the highest bit
     * that differs from the sign */
    return put_sized(w, 0xd0, (uint64_t)v,
                     8 - ((unsigned)__builtin_clzll(~(uint64_t)v) - 1) / 8);
}

static inline uint8_t *
put_bool(uint8_t *w, bool v)
{
    *w = v ? 0xc3 : 0xc2;
    return w + 1;
}

static inline uint8_t *
put_container(uint8_t *w, uint8_t fix, uint8_t tag16, size_t n)
{
    if (n < 16) {
        *w = (uint8_t)(fix | n);
        return w + 1;
    }
    if (n <= UINT16_MAX) {
        *w = tag16;
        return put_be16(w + 1, (uint16_t)n);
    }
    *w = (uint8_t)(tag16 + 1);
    return put_be32(w + 1, (uint32_t)n);
}

#define put_map(w, n) put_container((w), 0x80, 0xde, (n))
#define put_array(w, n) put_container((w), 0x90, 0xdc, (n))

/*
 * Most strings in a record are 4-60 bytes (names, ids, paths): copy them
 * with two overlapping fixed-size moves instead of a call into libc.
 */
static inline void
copy_bytes(uint8_t *d, const void *src, size_t n)
{
    const uint8_t *s = src;

    if (n >= 16 && n <= 32) {
        memcpy(d, s, 16);
        memcpy(d + n - 16, s + n - 16, 16);
    } else if (n >= 8 && n < 16) {
        memcpy(d, s, 8);
        memcpy(d + n - 8, s + n - 8, 8);
    } else if (n >= 4 && n < 8) {
        memcpy(d, s, 4);
        memcpy(d + n - 4, s + n - 4, 4);
    } else if (n < 4) {
        for (size_t i = 0; i < n; i++)
            d[i] = s[i];
    } else {
        memcpy(d, s, n);
    }
}

/* A str or bin length: the 8-, 16- or 32-bit form, tags tag8 .. tag8+2. */
static inline uint8_t *
put_len(uint8_t *w, uint8_t tag8, size_t n)
{
    if (n <= UINT8_MAX) {
        w[0] = tag8;
        w[1] = (uint8_t)n;
        return w + 2;
    }
    if (n <= UINT16_MAX) {
        *w = (uint8_t)(tag8 + 1);
        return put_be16(w + 1, (uint16_t)n);
    }
    *w = (uint8_t)(tag8 + 2);
    return put_be32(w + 1, (uint32_t)n);
}

static inline uint8_t *
put_str(uint8_t *w, const char *s, size_t n)
{
    if (n < 32)
        *w++ = (uint8_t)(0xa0 | n);
    else
        w = put_len(w, 0xd9, n);
    copy_bytes(w, s, n);
    return w + n;
}

/* An absent string (NULL) is written as "" where the key is mandatory. */
static inline uint8_t *
put_evstr(uint8_t *w, struct ev_str s)
{
    return put_str(w, s.ptr != NULL ? s.ptr : "", s.ptr != NULL ? s.len : 0);
}

static inline uint8_t *
put_bin(uint8_t *w, const void *p, size_t n)
{
    w = put_len(w, 0xc4, n);
    copy_bytes(w, p, n);
    return w + n;
}

/* An 8-byte id as bin, big-endian so that its hex reads as the number. */
static inline uint8_t *
put_bin64(uint8_t *w, uint64_t v)
{
    w[0] = 0xc4;
    w[1] = 8;
    return put_be64(w + 2, v);
}

/*
 * A key.  With a literal the length is a constant and the copy becomes a
 * store or two.  Keys longer than a fixstr are still written correctly.
 */
static inline __attribute__((always_inline)) uint8_t *
put_key_n(uint8_t *w, const char *key, size_t n)
{
    if (n >= 32)
        return put_str(w, key, n);
    *w = (uint8_t)(0xa0 | n);
    memcpy(w + 1, key, n);
    return w + 1 + n;
}

#define KEY(w, lit) put_key_n((w), (lit), sizeof(lit) - 1)

/* The bytes a key costs at most, for record_bound(). */
#define KEY_MAX 40
/* ... and any number, bool or container header. */
#define NUM_MAX 9
/* ... and a string's header. */
#define STR_HDR_MAX 5

enum estel_rc
record_encoder_create(struct record_encoder **out,
                      const struct record_identity *id,
                      const struct record_limits *limits,
                      struct estel_err *err)
{
    struct record_encoder *enc;
    char seed[sizeof(id->host_id) + sizeof(id->boot_id) + 1];
    int n;

    if ((enc = calloc(1, sizeof(*enc))) == NULL)
        return estel_fail(err, ESTEL_E_NOMEM, "record encoder: out of "
                          "memory");
    enc->id = *id;
    enc->id.host_id[sizeof(enc->id.host_id) - 1] = '\0';
    enc->id.boot_id[sizeof(enc->id.boot_id) - 1] = '\0';
    enc->limits = *limits;
    enc->host_len = strlen(enc->id.host_id);
    enc->boot_len = strlen(enc->id.boot_id);
    n = snprintf(seed, sizeof(seed), "%s|%s", enc->id.host_id,
                 enc->id.boot_id);
    enc->entity_seed = XXH3_64bits(seed, (size_t)n);
    if ((enc->procs = calloc(PROC_SETS, sizeof(*enc->procs))) == NULL) {
        free(enc);
        return estel_fail(err, ESTEL_E_NOMEM, "record encoder: out of "
                          "memory");
    }
    /* a bound this far over the ceiling cannot be a record worth keeping */
    buf_init(&enc->out, RECORD_MAX_BYTES + (1u << 20));
    if (buf_reserve(&enc->out, 4096) != ESTEL_OK) {
        free(enc->procs);
        free(enc);
        return estel_fail(err, ESTEL_E_NOMEM, "record encoder: out of "
                          "memory");
    }
    *out = enc;
    return ESTEL_OK;
}

void
record_encoder_destroy(struct record_encoder **encp)
{
    if (encp == NULL || *encp == NULL)
        return;
    buf_free(&(*encp)->out);
    free((*encp)->procs);
    free(*encp);
    *encp = NULL;
}

uint64_t
record_entity_id(const struct record_identity *id, int32_t pid,
                 int32_t pidversion)
{
    char seed[sizeof(id->host_id) + sizeof(id->boot_id) + 1];
    int32_t key[2] = { pid, pidversion };
    int n = snprintf(seed, sizeof(seed), "%s|%s", id->host_id, id->boot_id);

    return XXH3_64bits_withSeed(key, sizeof(key), XXH3_64bits(seed,
                                                              (size_t)n));
}

static inline uint64_t
entity_of(const struct record_encoder *enc, int32_t pid, int32_t pidversion)
{
    int32_t key[2] = { pid, pidversion };

    return XXH3_64bits_withSeed(key, sizeof(key), enc->entity_seed);
}

/* ---- how big a record can get ------------------------------------------ */

static size_t
file_bound(const struct ev_file *f)
{
    return 1 + 2 * KEY_MAX + STR_HDR_MAX + f->path.len + 1 +
           11 * (KEY_MAX + NUM_MAX);
}

static size_t
process_bound(const struct ev_process *p)
{
    return 1 + 30 * (KEY_MAX + NUM_MAX) + 2 * (KEY_MAX + 2 + 20) +
           2 * STR_HDR_MAX + p->signing_id.len + p->team_id.len +
           2 * (KEY_MAX + file_bound(&p->executable));
}


static size_t strs_kept(const struct record_encoder *enc,
                        const struct ev_strs *v);

/* Only the items the argv limits keep count: the rest is never written. */
static size_t
strs_bound(const struct record_encoder *enc, const struct ev_strs *v)
{
    size_t kept = strs_kept(enc, v), n = 2 * KEY_MAX + 2 * NUM_MAX + 64;

    for (size_t i = 0; i < kept; i++)
        n += STR_HDR_MAX + v->items[i].len;
    return n;
}

static size_t
field_bound(const struct record_encoder *enc, const struct ev_field *f)
{
    size_t n = STR_HDR_MAX + strlen(f->key);

    switch (f->kind) {
    case EV_STR:
    case EV_HEX:
        return n + STR_HDR_MAX + f->v.s.len;
    case EV_FILE:
        return n + file_bound(f->v.file);
    case EV_PROC:
        return n + process_bound(f->v.proc);
    case EV_STRS:
        return n + strs_bound(enc, &f->v.strs);
    case EV_TOKEN:
        return n + 1 + 8 * (KEY_MAX + NUM_MAX);
    default:
        return n + NUM_MAX;
    }
}

static size_t
fields_bound(const struct record_encoder *enc, const struct ev_field *fields,
             size_t nfields)
{
    size_t n = 0;

    for (size_t i = 0; i < nfields; i++)
        n += field_bound(enc, &fields[i]);
    return n;
}

/* The envelope: ~16 keys and numbers, the type name, host, boot, id. */
static size_t
envelope_bound(const struct record_encoder *enc, size_t name_len)
{
    return 1 + 16 * (KEY_MAX + NUM_MAX) + 3 * STR_HDR_MAX + name_len +
           enc->host_len + enc->boot_len + 2 + 16;
}

/* Make room for bound bytes and return the cursor, or NULL. */
static uint8_t *
begin(struct record_encoder *enc, size_t bound)
{
    buf_clear(&enc->out);
    if (buf_reserve(&enc->out, bound) != ESTEL_OK)
        return NULL;
    return (uint8_t *)enc->out.data;
}

static enum estel_rc
finish(struct record_encoder *enc, uint8_t *w, const uint8_t **out,
       size_t *out_len)
{
    enc->out.len = (size_t)(w - (uint8_t *)enc->out.data);
    if (enc->out.len > RECORD_MAX_BYTES)
        return ESTEL_E_REJECTED;
    *out = (const uint8_t *)enc->out.data;
    *out_len = enc->out.len;
    return ESTEL_OK;
}

/* ---- files, tokens, processes ------------------------------------------ */

/* A file map's first keys: "path", and "trunc" when it was cut. */
static uint8_t *
put_path_keys(uint8_t *w, const struct ev_file *f)
{
    w = put_evstr(KEY(w, "path"), f->path);
    if (f->path_truncated)
        w = put_bool(KEY(w, "trunc"), true);
    return w;
}

static uint8_t *
put_file(uint8_t *w, const struct ev_file *f)
{
    const struct ev_stat *st = &f->stat;

    w = put_map(w, 1 + (f->path_truncated ? 1 : 0) + (f->has_stat ? 11 : 0));
    w = put_path_keys(w, f);
    if (!f->has_stat)
        return w;
    w = put_uint(KEY(w, "ino"), st->ino);
    w = put_int(KEY(w, "dev"), st->dev);
    w = put_uint(KEY(w, "mode"), st->mode);
    w = put_uint(KEY(w, "nlink"), st->nlink);
    w = put_uint(KEY(w, "uid"), st->uid);
    w = put_uint(KEY(w, "gid"), st->gid);
    w = put_int(KEY(w, "size"), st->size);
    w = put_uint(KEY(w, "flags"), st->flags);
    w = put_int(KEY(w, "mtime"), st->mtime_ns);
    w = put_int(KEY(w, "ctime"), st->ctime_ns);
    return put_int(KEY(w, "btime"), st->btime_ns);
}

/*
 * A process's executable and tty: path only.  Their stat facts are the
 * same on every event of the process and, at ~15 % of the record and of
 * its compressed size, cost more than they tell; file events carry the
 * stat of the files they touch.
 */
static uint8_t *
put_path_map(uint8_t *w, const struct ev_file *f)
{
    w = put_map(w, f->path_truncated ? 2 : 1);
    return put_path_keys(w, f);
}

static uint8_t *
put_token(uint8_t *w, const struct ev_token *t)
{
    w = put_map(w, 8);
    w = put_uint(KEY(w, "auid"), t->auid);
    w = put_uint(KEY(w, "euid"), t->euid);
    w = put_uint(KEY(w, "egid"), t->egid);
    w = put_uint(KEY(w, "ruid"), t->ruid);
    w = put_uint(KEY(w, "rgid"), t->rgid);
    w = put_int(KEY(w, "pid"), t->pid);
    w = put_uint(KEY(w, "asid"), t->asid);
    return put_int(KEY(w, "pv"), t->pidversion);
}

static uint8_t *
encode_process(uint8_t *w, const struct record_encoder *enc,
               const struct ev_process *p)
{
    const struct ev_token *t = &p->token;
    size_t n = 17;      /* the keys written unconditionally */

    n += p->has_cdhash + (p->signing_id.ptr != NULL) +
         (p->team_id.ptr != NULL) + p->has_tty + p->has_start_time +
         (p->has_parent_tokens ? 6 : 0) + p->has_cs_validation;
    w = put_map(w, n);
    w = put_int(KEY(w, "pid"), t->pid);                         /* 1 */
    w = put_int(KEY(w, "pv"), t->pidversion);
    w = put_bin64(KEY(w, "eid"), entity_of(enc, t->pid, t->pidversion));
    w = put_int(KEY(w, "ppid"), p->ppid);
    w = put_int(KEY(w, "oppid"), p->original_ppid);             /* 5 */
    w = put_int(KEY(w, "pgid"), p->group_id);
    w = put_int(KEY(w, "sid"), p->session_id);
    w = put_uint(KEY(w, "auid"), t->auid);
    w = put_uint(KEY(w, "euid"), t->euid);
    w = put_uint(KEY(w, "egid"), t->egid);                      /* 10 */
    w = put_uint(KEY(w, "ruid"), t->ruid);
    w = put_uint(KEY(w, "rgid"), t->rgid);
    w = put_uint(KEY(w, "asid"), t->asid);
    w = put_uint(KEY(w, "csf"), p->cs_flags);
    w = put_bool(KEY(w, "plat"), p->is_platform_binary);        /* 15 */
    w = put_bool(KEY(w, "esc"), p->is_es_client);
    if (p->has_cdhash)
        w = put_bin(KEY(w, "cdh"), p->cdhash, sizeof(p->cdhash));
    if (p->signing_id.ptr != NULL)
        w = put_str(KEY(w, "sig"), p->signing_id.ptr, p->signing_id.len);
    if (p->team_id.ptr != NULL)
        w = put_str(KEY(w, "team"), p->team_id.ptr, p->team_id.len);
    w = put_path_map(KEY(w, "exe"), &p->executable);            /* 17 */
    if (p->has_tty)
        w = put_path_map(KEY(w, "tty"), &p->tty);
    if (p->has_start_time)
        w = put_int(KEY(w, "start"), p->start_time_ns);
    if (p->has_parent_tokens) {
        w = put_int(KEY(w, "rpid"), p->responsible.pid);
        w = put_int(KEY(w, "rpv"), p->responsible.pidversion);
        w = KEY(w, "reid");
        w = put_bin64(w, entity_of(enc, p->responsible.pid,
                                   p->responsible.pidversion));
        w = put_int(KEY(w, "parpid"), p->parent.pid);
        w = put_int(KEY(w, "parpv"), p->parent.pidversion);
        w = KEY(w, "pareid");
        w = put_bin64(w, entity_of(enc, p->parent.pid,
                                   p->parent.pidversion));
    }
    if (p->has_cs_validation)
        w = put_int(KEY(w, "csv"), p->cs_validation_category);
    return w;
}

enum {
    PB_PLAT = 1 << 0, PB_ESC = 1 << 1, PB_CDHASH = 1 << 2, PB_SIG = 1 << 3,
    PB_TEAM = 1 << 4, PB_TTY = 1 << 5, PB_EXE_TRUNC = 1 << 6,
    PB_TTY_TRUNC = 1 << 7, PB_START = 1 << 8, PB_PARENTS = 1 << 9,
    PB_CSV = 1 << 10
};

static void
proc_facts_of(const struct ev_process *p, struct proc_facts *f)
{
    memset(f, 0, sizeof(*f));
    f->token = p->token;
    f->ppid = p->ppid;
    f->original_ppid = p->original_ppid;
    f->group_id = p->group_id;
    f->session_id = p->session_id;
    f->cs_flags = p->cs_flags;
    f->bits = (p->is_platform_binary ? PB_PLAT : 0) |
              (p->is_es_client ? PB_ESC : 0) |
              (p->signing_id.ptr != NULL ? PB_SIG : 0) |
              (p->team_id.ptr != NULL ? PB_TEAM : 0) |
              (p->executable.path_truncated ? PB_EXE_TRUNC : 0);
    if (p->has_cdhash) {
        f->bits |= PB_CDHASH;
        memcpy(f->cdhash, p->cdhash, sizeof(f->cdhash));
    }
    if (p->has_tty) {
        f->bits |= PB_TTY | (p->tty.path_truncated ? PB_TTY_TRUNC : 0);
        f->tty_len = (uint32_t)(p->tty.path.ptr != NULL ? p->tty.path.len : 0);
    }
    if (p->has_start_time) {
        f->bits |= PB_START;
        f->start_time_ns = p->start_time_ns;
    }
    if (p->has_parent_tokens) {
        f->bits |= PB_PARENTS;
        f->resp_pid = p->responsible.pid;
        f->resp_pv = p->responsible.pidversion;
        f->par_pid = p->parent.pid;
        f->par_pv = p->parent.pidversion;
    }
    if (p->has_cs_validation) {
        f->bits |= PB_CSV;
        f->cs_validation_category = p->cs_validation_category;
    }
    f->sig_len = (uint32_t)(p->signing_id.ptr != NULL ? p->signing_id.len : 0);
    f->team_len = (uint32_t)(p->team_id.ptr != NULL ? p->team_id.len : 0);
    f->exe_len = (uint32_t)(p->executable.path.ptr != NULL ?
                            p->executable.path.len : 0);
}

/* Compare (store) one of the strings a slot remembers; advance *at. */
static bool
slot_str_same(const uint8_t *data, size_t *at, const char *s, size_t n)
{
    bool same = n == 0 || memcmp(data + *at, s, n) == 0;

    *at += n;
    return same;
}

static void
slot_str_keep(uint8_t *data, size_t *at, const char *s, size_t n)
{
    if (n > 0)
        memcpy(data + *at, s, n);
    *at += n;
}

static uint8_t *
put_process(uint8_t *w, struct record_encoder *enc,
            const struct ev_process *p)
{
    const struct ev_token *t = &p->token;
    struct proc_slot *slot;
    struct proc_facts f;
    size_t strs, at;
    uint32_t set;
    uint8_t *end;

    proc_facts_of(p, &f);
    strs = (size_t)f.sig_len + f.team_len + f.exe_len + f.tty_len;
    if (strs > PROC_SLOT_BYTES / 2)
        return encode_process(w, enc, p);
    /* an exec's target is the same pid at pidversion + 1: mix both */
    set = (((uint32_t)t->pid * 0x9E3779B1u ^ (uint32_t)t->pidversion) *
           0x85EBCA77u) >> 27;
    for (int way = 0; way < PROC_WAYS; way++) {
        slot = &enc->procs[set][way];
        at = 0;
        if (slot->enc_len != 0 &&
            memcmp(&slot->facts, &f, sizeof(f)) == 0 &&
            slot_str_same(slot->data, &at, p->signing_id.ptr, f.sig_len) &&
            slot_str_same(slot->data, &at, p->team_id.ptr, f.team_len) &&
            slot_str_same(slot->data, &at, p->executable.path.ptr,
                          f.exe_len) &&
            slot_str_same(slot->data, &at, p->tty.path.ptr, f.tty_len)) {
            copy_bytes(w, slot->data + strs, slot->enc_len);
            return w + slot->enc_len;
        }
    }
    slot = &enc->procs[set][enc->victim[set]];
    enc->victim[set] = (uint8_t)((enc->victim[set] + 1) % PROC_WAYS);
    end = encode_process(w, enc, p);
    slot->enc_len = 0;
    if (strs + (size_t)(end - w) <= PROC_SLOT_BYTES) {
        slot->facts = f;
        at = 0;
        slot_str_keep(slot->data, &at, p->signing_id.ptr, f.sig_len);
        slot_str_keep(slot->data, &at, p->team_id.ptr, f.team_len);
        slot_str_keep(slot->data, &at, p->executable.path.ptr, f.exe_len);
        slot_str_keep(slot->data, &at, p->tty.path.ptr, f.tty_len);
        memcpy(slot->data + strs, w, (size_t)(end - w));
        slot->enc_len = (uint32_t)(end - w);
    }
    return end;
}

/* ---- payload ----------------------------------------------------------- */

/* How many leading items fit in the argv limits. */
static size_t
strs_kept(const struct record_encoder *enc, const struct ev_strs *v)
{
    uint64_t bytes = 0;
    size_t i;

    for (i = 0; i < v->stored && i < enc->limits.argv_max_count; i++) {
        bytes += v->items[i].len;
        if (bytes > enc->limits.argv_max_bytes)
            break;
    }
    return i;
}

static bool
field_skipped(const struct record_encoder *enc, const struct ev_field *f)
{
    /* the environment carries tokens and passwords: off unless asked */
    return f->kind == EV_STRS && !enc->limits.capture_environment &&
           strcmp(f->key, "env") == 0;
}

static size_t
field_count(const struct record_encoder *enc, const struct ev_field *f)
{
    if (f->kind != EV_STRS)
        return 1;
    if (field_skipped(enc, f))
        return 0;
    return strs_kept(enc, &f->v.strs) < f->v.strs.count ? 2 : 1;
}

static uint8_t *
put_strs(uint8_t *w, const struct record_encoder *enc,
         const struct ev_field *f, size_t klen)
{
    const struct ev_strs *v = &f->v.strs;
    size_t kept = strs_kept(enc, v);

    w = put_key_n(w, f->key, klen);
    w = put_array(w, kept);
    for (size_t i = 0; i < kept; i++)
        w = put_evstr(w, v->items[i]);
    if (kept < v->count) {          /* say how many there really were */
        char key[64];
        size_t n = klen < sizeof(key) - 6 ? klen : sizeof(key) - 6;

        memcpy(key, f->key, n);
        memcpy(key + n, "_count", 6);
        w = put_key_n(w, key, n + 6);
        w = put_uint(w, v->count);
    }
    return w;
}

static uint8_t *
put_field(uint8_t *w, struct record_encoder *enc,
          const struct ev_field *f)
{
    size_t klen = strlen(f->key);

    if (f->kind == EV_STRS) {
        if (field_skipped(enc, f))
            return w;
        return put_strs(w, enc, f, klen);
    }
    w = put_key_n(w, f->key, klen);
    switch (f->kind) {
    case EV_INT:
        return put_int(w, f->v.i);
    case EV_UINT:
        return put_uint(w, f->v.u);
    case EV_BOOL:
        return put_bool(w, f->v.b);
    case EV_STR:
        if (f->v.s.ptr == NULL) {
            *w = 0xc0;
            return w + 1;
        }
        return put_str(w, f->v.s.ptr, f->v.s.len);
    case EV_HEX:
        return put_bin(w, f->v.s.ptr, f->v.s.ptr != NULL ? f->v.s.len : 0);
    case EV_FILE:
        return put_file(w, f->v.file);
    case EV_PROC:
        return put_process(w, enc, f->v.proc);
    case EV_TOKEN:
        return put_token(w, &f->v.token);
    default:
        *w = 0xc0;
        return w + 1;
    }
}

static uint8_t *
put_fields(uint8_t *w, struct record_encoder *enc,
           const struct ev_field *fields, size_t nfields, size_t extra)
{
    size_t n = extra;

    for (size_t i = 0; i < nfields; i++)
        n += field_count(enc, &fields[i]);
    w = put_map(w, n);
    for (size_t i = 0; i < nfields; i++)
        w = put_field(w, enc, &fields[i]);
    return w;
}

/* ---- the envelope ------------------------------------------------------ */

/*
 * The event id must be the same every time the same event is encoded (a
 * retried batch, a replayed eslogger line) and differ between events.  It
 * is laid out like a time-ordered UUID rather than a hash, which keeps it
 * unique and makes it nearly free to compress (a random 16-byte id was a
 * fifth of a compressed record) and kinder to a SIEM's index (ids that
 * share prefixes and grow with time):
 *
 *   bytes 0-4    the host + boot tag (top 40 bits of the entity seed)
 *   bytes 5-11   mach_time, low 56 bits, big-endian (ticks since boot)
 *   bytes 12-15  global_seq_num, low 32 bits, big-endian
 *
 * mach_time and global_seq_num together name one message of one ES client
 * in one boot.  A message without global_seq_num (version < 4) or without
 * mach_time gets a hash of what identifies it in those bytes instead.
 */
/* What identifies an ES message, for the ids' hashed fallbacks. */
struct event_key {
    uint64_t mach_time, seq, gseq;
    int64_t time_ns;
    uint32_t type;
    int32_t pid, pidversion;
    uint32_t pad;
};

static struct event_key
event_key_of(const struct estel_event *ev)
{
    return (struct event_key){
        ev->mach_time, ev->seq_num, ev->global_seq_num, ev->time_ns,
        ev->type, ev->process.token.pid, ev->process.token.pidversion, 0
    };
}

static uint8_t *
put_event_id(uint8_t *w, const struct record_encoder *enc,
             const struct estel_event *ev)
{
    struct event_key key;
    uint8_t id[16];
    uint32_t low;

    w = KEY(w, "id");
    if (ev->mach_time == 0) {
        XXH128_canonical_t c;

        key = event_key_of(ev);
        XXH128_canonicalFromHash(&c, XXH3_128bits_withSeed(&key,
                                 sizeof(key), enc->entity_seed));
        return put_bin(w, c.digest, sizeof(c.digest));
    }
    if (ev->has_global_seq) {
        low = (uint32_t)ev->global_seq_num;
    } else {
        key = event_key_of(ev);
        low = (uint32_t)XXH3_64bits_withSeed(&key, sizeof(key),
                                             enc->entity_seed);
    }
    put_be64(put_be64(id, (enc->entity_seed & ~0xFFFFFFull) |
                          ((ev->mach_time >> 32) & 0xFFFFFF)),
             (ev->mach_time << 32) | low);
    return put_bin(w, id, sizeof(id));
}

/* Collector records are identified by what made them and their number. */
static uint8_t *
put_collector_id(uint8_t *w, const struct record_encoder *enc,
                 const char *kind, uint64_t seq)
{
    XXH128_canonical_t c;

    XXH128_canonicalFromHash(&c, XXH3_128bits_withSeed(kind, strlen(kind),
                                                       enc->entity_seed ^
                                                       seq));
    w = KEY(w, "id");
    return put_bin(w, c.digest, sizeof(c.digest));
}

static uint8_t *
put_envelope(uint8_t *w, const struct record_encoder *enc, const char *name,
             size_t name_len, uint64_t seq, int64_t time_ns, size_t extra)
{
    w = put_map(w, 6 + extra);
    w = put_uint(KEY(w, "v"), ESTEL_SCHEMA_VERSION);
    w = put_str(KEY(w, "ev"), name, name_len);
    w = put_uint(KEY(w, "cs"), seq);
    w = put_int(KEY(w, "ts"), time_ns);
    w = put_str(KEY(w, "hid"), enc->id.host_id, enc->host_len);
    w = KEY(w, "bid");
    return put_str(w, enc->id.boot_id, enc->boot_len);
}

enum estel_rc
record_encode_event(struct record_encoder *enc, const struct estel_event *ev,
                    uint64_t seq, const uint8_t **out, size_t *out_len)
{
    const char *name = estel_evtype_name(ev->type);
    size_t name_len;
    uint8_t *w;

    if (name != NULL)
        name_len = strlen(name);
    else if (ev->type_name.ptr != NULL)
        name = ev->type_name.ptr, name_len = ev->type_name.len;
    else
        name = "unknown", name_len = 7;
    w = begin(enc, envelope_bound(enc, name_len) + KEY_MAX +
                   process_bound(&ev->process) + KEY_MAX + NUM_MAX +
                   fields_bound(enc, ev->fields, ev->nfields) +
                   (ev->raw.ptr != NULL ? KEY_MAX + STR_HDR_MAX +
                    ev->raw.len : 0));
    if (w == NULL)
        return ESTEL_E_REJECTED;
    w = put_envelope(w, enc, name, name_len, seq, ev->time_ns,
                     6 + ev->has_seq + ev->has_global_seq + ev->has_thread);
    w = put_uint(KEY(w, "et"), ev->type);
    w = put_uint(KEY(w, "mv"), ev->version);
    w = put_uint(KEY(w, "mt"), ev->mach_time);
    if (ev->has_seq)
        w = put_uint(KEY(w, "sq"), ev->seq_num);
    if (ev->has_global_seq)
        w = put_uint(KEY(w, "gsq"), ev->global_seq_num);
    if (ev->has_thread)
        w = put_uint(KEY(w, "thr"), ev->thread_id);
    w = put_event_id(w, enc, ev);
    w = put_process(KEY(w, "p"), enc, &ev->process);
    w = KEY(w, "e");
    w = put_fields(w, enc, ev->fields, ev->nfields, ev->raw.ptr != NULL);
    if (ev->raw.ptr != NULL)
        w = put_str(KEY(w, "raw"), ev->raw.ptr, ev->raw.len);
    return finish(enc, w, out, out_len);
}

enum estel_rc
record_encode_collector(struct record_encoder *enc, const char *kind,
                        uint64_t seq, int64_t time_ns,
                        const struct ev_field *fields, size_t nfields,
                        const uint8_t **out, size_t *out_len)
{
    size_t kind_len = strlen(kind);
    uint8_t *w = begin(enc, envelope_bound(enc, kind_len) + KEY_MAX +
                            NUM_MAX + fields_bound(enc, fields, nfields));

    if (w == NULL)
        return ESTEL_E_REJECTED;
    w = put_envelope(w, enc, kind, kind_len, seq, time_ns, 2);
    w = put_collector_id(w, enc, kind, seq);
    w = put_fields(KEY(w, "e"), enc, fields, nfields, 0);
    return finish(enc, w, out, out_len);
}
