/*
 * record.c - the schema v1 msgpack record encoder (docs/schema.md).
 *
 * One map per event with short, stable keys.  The envelope (type, times,
 * sequence numbers, host/boot ids, event id) comes first, then "p" (the
 * acting process) and "e" (the payload, keyed by ES member names).  Keys
 * whose value is absent are left out rather than written as nil, so a
 * record is as small as its event.  The packer writes into one reusable
 * buffer: after warm-up no record costs a malloc.
 */
#include "collector/collector.h"
#include "common/evtype.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#define RECORD_MAX_BYTES (4u << 20)     /* one record never exceeds this */

struct record_encoder {
    struct record_identity id;
    struct record_limits limits;
    uint64_t entity_seed;               /* hash of host + boot */
    size_t host_len, boot_len;
    struct estel_buf out;
    bool overflow;                      /* the record hit RECORD_MAX */
};

/*
 * Writing msgpack.  msgpack-c's packer hands every token (a one-byte map
 * header, a two-byte key...) to a write callback; at ~100 tokens a record
 * that callback and its memcpy cost more than everything else the
 * encoder does (callgrind: ~6,000 instructions a record).  These writers
 * put bytes straight into the reusable buffer, and keys, being literals,
 * compile to a few stores.  The bytes are standard msgpack; tests decode
 * every record with msgpack-c's unpacker.
 */
static inline uint8_t *
room(struct record_encoder *enc, size_t n)
{
    struct estel_buf *b = &enc->out;

    if (__builtin_expect(b->cap - b->len > n, 1))
        return (uint8_t *)b->data + b->len;
    if (enc->overflow || buf_reserve(b, n) != ESTEL_OK) {
        enc->overflow = true;
        return NULL;
    }
    return (uint8_t *)b->data + b->len;
}

static inline void
put_be(uint8_t *p, uint64_t v, size_t n)
{
    uint16_t v16;
    uint32_t v32;

    switch (n) {
    case 1:
        p[0] = (uint8_t)v;
        break;
    case 2:
        v16 = __builtin_bswap16((uint16_t)v);
        memcpy(p, &v16, 2);
        break;
    case 4:
        v32 = __builtin_bswap32((uint32_t)v);
        memcpy(p, &v32, 4);
        break;
    default:
        v = __builtin_bswap64(v);
        memcpy(p, &v, 8);
        break;
    }
}

/* A one-byte type tag followed by an n-byte big-endian value. */
static inline void
put_tagged(struct record_encoder *enc, uint8_t tag, uint64_t v, size_t n)
{
    uint8_t *p = room(enc, 1 + n);

    if (p == NULL)
        return;
    p[0] = tag;
    put_be(p + 1, v, n);
    enc->out.len += 1 + n;
}

static inline void
pk_byte(struct record_encoder *enc, uint8_t c)
{
    uint8_t *p = room(enc, 1);

    if (p != NULL) {
        *p = c;
        enc->out.len++;
    }
}

static inline void
pk_uint(struct record_encoder *enc, uint64_t v)
{
    if (v < 128)
        pk_byte(enc, (uint8_t)v);
    else if (v <= UINT8_MAX)
        put_tagged(enc, 0xcc, v, 1);
    else if (v <= UINT16_MAX)
        put_tagged(enc, 0xcd, v, 2);
    else if (v <= UINT32_MAX)
        put_tagged(enc, 0xce, v, 4);
    else
        put_tagged(enc, 0xcf, v, 8);
}

static void
pk_int(struct record_encoder *enc, int64_t v)
{
    if (v >= 0)
        pk_uint(enc, (uint64_t)v);
    else if (v >= -32)
        pk_byte(enc, (uint8_t)(int8_t)v);
    else if (v >= INT8_MIN)
        put_tagged(enc, 0xd0, (uint64_t)v & 0xff, 1);
    else if (v >= INT16_MIN)
        put_tagged(enc, 0xd1, (uint64_t)v & 0xffff, 2);
    else if (v >= INT32_MIN)
        put_tagged(enc, 0xd2, (uint64_t)v & 0xffffffff, 4);
    else
        put_tagged(enc, 0xd3, (uint64_t)v, 8);
}

static inline void
pk_bool(struct record_encoder *enc, bool v)
{
    pk_byte(enc, v ? 0xc3 : 0xc2);
}

static inline void
pk_nil(struct record_encoder *enc)
{
    pk_byte(enc, 0xc0);
}

static void
pk_container(struct record_encoder *enc, uint8_t fix, uint8_t tag16,
             size_t n)
{
    if (n < 16)
        pk_byte(enc, (uint8_t)(fix | n));
    else if (n <= UINT16_MAX)
        put_tagged(enc, tag16, n, 2);
    else
        put_tagged(enc, (uint8_t)(tag16 + 1), n, 4);
}

#define pk_map(enc, n) pk_container((enc), 0x80, 0xde, (n))
#define pk_array(enc, n) pk_container((enc), 0x90, 0xdc, (n))

static void
pk_str(struct record_encoder *enc, const char *s, size_t n)
{
    uint8_t *p;
    size_t h;

    if (n < 32)
        h = 1;
    else if (n <= UINT8_MAX)
        h = 2;
    else if (n <= UINT16_MAX)
        h = 3;
    else
        h = 5;
    if ((p = room(enc, h + n)) == NULL)
        return;
    if (h == 1)
        p[0] = (uint8_t)(0xa0 | n);
    else {
        p[0] = h == 2 ? 0xd9 : h == 3 ? 0xda : 0xdb;
        put_be(p + 1, n, h - 1);
    }
    if (n > 0)
        memcpy(p + h, s, n);
    enc->out.len += h + n;
}

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
    buf_init(&enc->out, RECORD_MAX_BYTES);
    if (buf_reserve(&enc->out, 4096) != ESTEL_OK) {
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

/* ---- small packing helpers --------------------------------------------- */

/* Keys are literals shorter than 32 bytes: a fixstr, a few stores. */
static inline __attribute__((always_inline)) void
pk_key_n(struct record_encoder *enc, const char *key, size_t n)
{
    uint8_t *p;

    if (n >= 32) {
        pk_str(enc, key, n);
        return;
    }
    if ((p = room(enc, n + 1)) == NULL)
        return;
    p[0] = (uint8_t)(0xa0 | n);
    memcpy(p + 1, key, n);
    enc->out.len += n + 1;
}

static void
pk_key(struct record_encoder *enc, const char *key)
{
    pk_key_n(enc, key, strlen(key));
}

/* Literal keys: the length is known at compile time. */
#define KEY(enc, lit) pk_key_n((enc), (lit), sizeof(lit) - 1)

static void
pk_kv_str_n(struct record_encoder *enc, const char *key, size_t klen,
            struct ev_str s)
{
    pk_key_n(enc, key, klen);
    if (s.ptr == NULL)
        pk_nil(enc);
    else
        pk_str(enc, s.ptr, s.len);
}

static void
pk_kv_i64_n(struct record_encoder *enc, const char *key, size_t klen,
            int64_t v)
{
    pk_key_n(enc, key, klen);
    pk_int(enc, v);
}

static void
pk_kv_u64_n(struct record_encoder *enc, const char *key, size_t klen,
            uint64_t v)
{
    pk_key_n(enc, key, klen);
    pk_uint(enc, v);
}

static void
pk_hex(struct record_encoder *enc, const uint8_t *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    uint8_t *out;

    if (n > 64)
        n = 64;
    if ((out = room(enc, 2 + 2 * n)) == NULL)
        return;
    out[0] = (uint8_t)(2 * n < 32 ? 0xa0 | (2 * n) : 0xd9);
    if (2 * n >= 32)
        *++out = (uint8_t)(2 * n), enc->out.len++;
    out++;
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = (uint8_t)hex[p[i] >> 4];
        out[2 * i + 1] = (uint8_t)hex[p[i] & 15];
    }
    enc->out.len += 1 + 2 * n;
}

static void
pk_kv_u64hex_n(struct record_encoder *enc, const char *key, size_t klen,
               uint64_t v)
{
    uint8_t be[8];

    for (int i = 0; i < 8; i++)
        be[i] = (uint8_t)(v >> (56 - 8 * i));
    pk_key_n(enc, key, klen);
    pk_hex(enc, be, sizeof(be));
}

#define pk_kv_str(enc, lit, v) pk_kv_str_n((enc), (lit), sizeof(lit) - 1, (v))
#define pk_kv_i64(enc, lit, v) pk_kv_i64_n((enc), (lit), sizeof(lit) - 1, (v))
#define pk_kv_u64(enc, lit, v) pk_kv_u64_n((enc), (lit), sizeof(lit) - 1, (v))
#define pk_kv_u64hex(enc, lit, v) \
    pk_kv_u64hex_n((enc), (lit), sizeof(lit) - 1, (v))

static uint64_t
entity_of(const struct record_encoder *enc, int32_t pid, int32_t pidversion)
{
    int32_t key[2] = { pid, pidversion };

    return XXH3_64bits_withSeed(key, sizeof(key), enc->entity_seed);
}

/* ---- files, tokens, processes ------------------------------------------ */

static void
pk_file(struct record_encoder *enc, const struct ev_file *f)
{
    const struct ev_stat *st = &f->stat;
    size_t n = 1 + (f->path_truncated ? 1 : 0) + (f->has_stat ? 11 : 0);

    pk_map(enc, n);
    KEY(enc, "path");
    if (f->path.ptr != NULL)
        pk_str(enc, f->path.ptr, f->path.len);
    else
        pk_str(enc, "", 0);
    if (f->path_truncated) {
        KEY(enc, "trunc");
        pk_bool(enc, true);
    }
    if (!f->has_stat)
        return;
    pk_kv_u64(enc, "ino", st->ino);
    pk_kv_i64(enc, "dev", st->dev);
    pk_kv_u64(enc, "mode", st->mode);
    pk_kv_u64(enc, "nlink", st->nlink);
    pk_kv_u64(enc, "uid", st->uid);
    pk_kv_u64(enc, "gid", st->gid);
    pk_kv_i64(enc, "size", st->size);
    pk_kv_u64(enc, "flags", st->flags);
    pk_kv_i64(enc, "mtime", st->mtime_ns);
    pk_kv_i64(enc, "ctime", st->ctime_ns);
    pk_kv_i64(enc, "btime", st->btime_ns);
}

/*
 * A process's executable and tty: path only.  Their stat facts are the
 * same on every event of the process and, at ~15 % of the record and of
 * its compressed size, cost more than they tell; file events carry the
 * stat of the files they touch.
 */
static void
pk_path_map(struct record_encoder *enc, const struct ev_file *f)
{
    pk_map(enc, f->path_truncated ? 2 : 1);
    KEY(enc, "path");
    if (f->path.ptr != NULL)
        pk_str(enc, f->path.ptr, f->path.len);
    else
        pk_str(enc, "", 0);
    if (f->path_truncated) {
        KEY(enc, "trunc");
        pk_bool(enc, true);
    }
}

static void
pk_token(struct record_encoder *enc, const struct ev_token *t)
{
    pk_map(enc, 8);
    pk_kv_u64(enc, "auid", t->auid);
    pk_kv_u64(enc, "euid", t->euid);
    pk_kv_u64(enc, "egid", t->egid);
    pk_kv_u64(enc, "ruid", t->ruid);
    pk_kv_u64(enc, "rgid", t->rgid);
    pk_kv_i64(enc, "pid", t->pid);
    pk_kv_u64(enc, "asid", t->asid);
    pk_kv_i64(enc, "pv", t->pidversion);
}

static void
pk_process(struct record_encoder *enc, const struct ev_process *p)
{
    const struct ev_token *t = &p->token;
    size_t n = 17;      /* the keys written unconditionally */

    n += p->has_cdhash + (p->signing_id.ptr != NULL) +
         (p->team_id.ptr != NULL) + p->has_tty + p->has_start_time +
         (p->has_parent_tokens ? 6 : 0) + p->has_cs_validation;
    pk_map(enc, n);
    pk_kv_i64(enc, "pid", t->pid);                              /* 1 */
    pk_kv_i64(enc, "pv", t->pidversion);
    pk_kv_u64hex(enc, "eid", entity_of(enc, t->pid, t->pidversion));
    pk_kv_i64(enc, "ppid", p->ppid);
    pk_kv_i64(enc, "oppid", p->original_ppid);                  /* 5 */
    pk_kv_i64(enc, "pgid", p->group_id);
    pk_kv_i64(enc, "sid", p->session_id);
    pk_kv_u64(enc, "auid", t->auid);
    pk_kv_u64(enc, "euid", t->euid);
    pk_kv_u64(enc, "egid", t->egid);                            /* 10 */
    pk_kv_u64(enc, "ruid", t->ruid);
    pk_kv_u64(enc, "rgid", t->rgid);
    pk_kv_u64(enc, "asid", t->asid);
    pk_kv_u64(enc, "csf", p->cs_flags);
    KEY(enc, "plat");                                        /* 15 */
    if (p->is_platform_binary)
        pk_bool(enc, true);
    else
        pk_bool(enc, false);
    KEY(enc, "esc");
    if (p->is_es_client)
        pk_bool(enc, true);
    else
        pk_bool(enc, false);
    if (p->has_cdhash) {
        KEY(enc, "cdh");
        pk_hex(enc, p->cdhash, sizeof(p->cdhash));
    }
    if (p->signing_id.ptr != NULL)
        pk_kv_str(enc, "sig", p->signing_id);
    if (p->team_id.ptr != NULL)
        pk_kv_str(enc, "team", p->team_id);
    KEY(enc, "exe");                                         /* 17 */
    pk_path_map(enc, &p->executable);
    if (p->has_tty) {
        KEY(enc, "tty");
        pk_path_map(enc, &p->tty);
    }
    if (p->has_start_time)
        pk_kv_i64(enc, "start", p->start_time_ns);
    if (p->has_parent_tokens) {
        pk_kv_i64(enc, "rpid", p->responsible.pid);
        pk_kv_i64(enc, "rpv", p->responsible.pidversion);
        pk_kv_u64hex(enc, "reid", entity_of(enc, p->responsible.pid,
                                            p->responsible.pidversion));
        pk_kv_i64(enc, "parpid", p->parent.pid);
        pk_kv_i64(enc, "parpv", p->parent.pidversion);
        pk_kv_u64hex(enc, "pareid", entity_of(enc, p->parent.pid,
                                              p->parent.pidversion));
    }
    if (p->has_cs_validation)
        pk_kv_i64(enc, "csv", p->cs_validation_category);
}

/* ---- payload ----------------------------------------------------------- */

/* Pack a key made of two parts ("args" + "_count") without a temp copy. */
static void
pk_key2(struct record_encoder *enc, const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    char tmp[64];

    if (na + nb > sizeof(tmp))
        nb = sizeof(tmp) - na;      /* keys are short literals */
    memcpy(tmp, a, na);
    memcpy(tmp + na, b, nb);
    pk_key_n(enc, tmp, na + nb);
}

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
    if (field_skipped(enc, f))
        return 0;
    if (f->kind == EV_STRS)
        return strs_kept(enc, &f->v.strs) < f->v.strs.count ? 2 : 1;
    return 1;
}

static void
pk_strs(struct record_encoder *enc, const struct ev_field *f)
{
    const struct ev_strs *v = &f->v.strs;
    size_t kept = strs_kept(enc, v);

    pk_key(enc, f->key);
    pk_array(enc, kept);
    for (size_t i = 0; i < kept; i++)
        pk_str(enc, v->items[i].ptr != NULL ? v->items[i].ptr : "",
               v->items[i].len);
    if (kept < v->count) {          /* say how many there really were */
        pk_key2(enc, f->key, "_count");
        pk_uint(enc, v->count);
    }
}

static void
pk_field(struct record_encoder *enc, const struct ev_field *f)
{
    if (field_skipped(enc, f))
        return;
    if (f->kind == EV_STRS) {
        pk_strs(enc, f);
        return;
    }
    pk_key(enc, f->key);
    switch (f->kind) {
    case EV_INT:
        pk_int(enc, f->v.i);
        break;
    case EV_UINT:
        pk_uint(enc, f->v.u);
        break;
    case EV_BOOL:
        if (f->v.b)
            pk_bool(enc, true);
        else
            pk_bool(enc, false);
        break;
    case EV_STR:
        if (f->v.s.ptr == NULL)
            pk_nil(enc);
        else
            pk_str(enc, f->v.s.ptr, f->v.s.len);
        break;
    case EV_HEX:
        pk_hex(enc, (const uint8_t *)f->v.s.ptr, f->v.s.len);
        break;
    case EV_FILE:
        pk_file(enc, f->v.file);
        break;
    case EV_PROC:
        pk_process(enc, f->v.proc);
        break;
    case EV_TOKEN:
        pk_token(enc, &f->v.token);
        break;
    default:
        pk_nil(enc);
    }
}

static void
pk_payload(struct record_encoder *enc, const struct estel_event *ev)
{
    size_t n = 0;

    for (size_t i = 0; i < ev->nfields; i++)
        n += field_count(enc, &ev->fields[i]);
    if (ev->raw.ptr != NULL)
        n++;
    pk_map(enc, n);
    for (size_t i = 0; i < ev->nfields; i++)
        pk_field(enc, &ev->fields[i]);
    if (ev->raw.ptr != NULL)
        pk_kv_str(enc, "raw", ev->raw);
}

/* ---- the envelope ------------------------------------------------------ */

/*
 * The event id must be the same every time the same event is encoded (a
 * retried batch, a replayed eslogger line) and differ between events:
 * host, boot, mach_time, the ES sequence numbers and the actor identify
 * one ES message.
 */
static void
pk_event_id(struct record_encoder *enc, const struct estel_event *ev)
{
    struct {
        uint64_t mach_time, seq, gseq;
        int64_t time_ns;
        uint32_t type;
        int32_t pid, pidversion;
    } key;
    XXH128_hash_t h;
    XXH128_canonical_t c;

    memset(&key, 0, sizeof(key));
    key.mach_time = ev->mach_time;
    key.seq = ev->seq_num;
    key.gseq = ev->global_seq_num;
    key.time_ns = ev->time_ns;
    key.type = ev->type;
    key.pid = ev->process.token.pid;
    key.pidversion = ev->process.token.pidversion;
    h = XXH3_128bits_withSeed(&key, sizeof(key), enc->entity_seed);
    XXH128_canonicalFromHash(&c, h);
    KEY(enc, "id");
    pk_hex(enc, c.digest, sizeof(c.digest));
}

/* Collector records are identified by what made them and their number. */
static void
pk_collector_id(struct record_encoder *enc, const char *kind, uint64_t seq)
{
    XXH128_canonical_t c;
    XXH128_hash_t h = XXH3_128bits_withSeed(kind, strlen(kind),
                                            enc->entity_seed ^ seq);

    XXH128_canonicalFromHash(&c, h);
    KEY(enc, "id");
    pk_hex(enc, c.digest, sizeof(c.digest));
}

static void
pk_envelope(struct record_encoder *enc, const char *name, size_t name_len,
            uint64_t seq, int64_t time_ns, size_t extra)
{
    pk_map(enc, 6 + extra);
    pk_kv_u64(enc, "v", ESTEL_SCHEMA_VERSION);
    KEY(enc, "ev");
    pk_str(enc, name, name_len);
    pk_kv_u64(enc, "cs", seq);
    pk_kv_i64(enc, "ts", time_ns);
    KEY(enc, "hid");
    pk_str(enc, enc->id.host_id, enc->host_len);
    KEY(enc, "bid");
    pk_str(enc, enc->id.boot_id, enc->boot_len);
}

static enum estel_rc
finish(struct record_encoder *enc, const uint8_t **out, size_t *out_len)
{
    if (enc->overflow)
        return ESTEL_E_REJECTED;
    *out = (const uint8_t *)enc->out.data;
    *out_len = enc->out.len;
    return ESTEL_OK;
}

enum estel_rc
record_encode_event(struct record_encoder *enc, const struct estel_event *ev,
                    uint64_t seq, const uint8_t **out, size_t *out_len)
{
    const char *name = estel_evtype_name(ev->type);
    size_t name_len;

    if (name != NULL)
        name_len = strlen(name);
    else if (ev->type_name.ptr != NULL)
        name = ev->type_name.ptr, name_len = ev->type_name.len;
    else
        name = "unknown", name_len = 7;
    buf_clear(&enc->out);
    enc->overflow = false;
    pk_envelope(enc, name, name_len, seq, ev->time_ns,
                6 + ev->has_seq + ev->has_global_seq + ev->has_thread);
    pk_kv_u64(enc, "et", ev->type);
    pk_kv_u64(enc, "mv", ev->version);
    pk_kv_u64(enc, "mt", ev->mach_time);
    if (ev->has_seq)
        pk_kv_u64(enc, "sq", ev->seq_num);
    if (ev->has_global_seq)
        pk_kv_u64(enc, "gsq", ev->global_seq_num);
    if (ev->has_thread)
        pk_kv_u64(enc, "thr", ev->thread_id);
    pk_event_id(enc, ev);
    KEY(enc, "p");
    pk_process(enc, &ev->process);
    KEY(enc, "e");
    pk_payload(enc, ev);
    return finish(enc, out, out_len);
}

enum estel_rc
record_encode_collector(struct record_encoder *enc, const char *kind,
                        uint64_t seq, int64_t time_ns,
                        const struct ev_field *fields, size_t nfields,
                        const uint8_t **out, size_t *out_len)
{
    size_t n = 0;

    buf_clear(&enc->out);
    enc->overflow = false;
    pk_envelope(enc, kind, strlen(kind), seq, time_ns, 2);
    pk_collector_id(enc, kind, seq);
    for (size_t i = 0; i < nfields; i++)
        n += field_count(enc, &fields[i]);
    KEY(enc, "e");
    pk_map(enc, n);
    for (size_t i = 0; i < nfields; i++)
        pk_field(enc, &fields[i]);
    return finish(enc, out, out_len);
}
