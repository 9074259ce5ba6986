/*
 * ingest_int.h - private to ingest/: the msgpack reader, the JSON writer,
 * record views and the mapping tables shared by batch.c, map_*.c, view.c
 * and json.c.  Prototypes are grouped by source file.
 */
#ifndef ESTEL_INGEST_INT_H
#define ESTEL_INGEST_INT_H

#include "collector/collector.h"
#include "ingest/ingest.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ---- mp.c: a msgpack reader for ingest's hot path --------------------- */

enum mp_type {
    MP_NIL = 0, MP_BOOL, MP_UINT, MP_INT, MP_FLOAT, MP_STR, MP_BIN,
    MP_ARRAY, MP_MAP, MP_EXT
};

/*
 * One msgpack object, as a node of a pre-order array: a container's
 * elements follow it (a map's as key, value, key, value...), and skip
 * says how many nodes its whole subtree takes, so the next sibling is
 * o + o->skip.  Strings point into the record's bytes.
 */
struct mp_obj {
    uint8_t type;                   /* enum mp_type */
    uint32_t skip;                  /* nodes in this subtree, itself too */
    union {
        bool b;
        uint64_t u;                 /* MP_UINT: >= 0 */
        int64_t i;                  /* MP_INT: < 0 */
        double f;
        struct {
            const char *p;
            size_t n;
        } s;                        /* MP_STR, MP_BIN, MP_EXT data */
        uint32_t n;                 /* MP_ARRAY elements, MP_MAP pairs */
    } v;
};

/* Objects one record may hold (a real one has a few hundred). */
#define MP_MAX_NODES 65536
#define MP_MAX_DEPTH 32

struct mp_tree {
    struct mp_obj *nodes;           /* MP_MAX_NODES, allocated once */
};

/*
 * Parse the one object at buf into t->nodes in a single pass; *used gets
 * its size in bytes.  False when it is malformed or truncated, nests
 * deeper than MP_MAX_DEPTH or holds more than MP_MAX_NODES objects (or
 * no memory).  The nodes borrow buf.
 */
bool mp_parse(struct mp_tree *t, const uint8_t *buf, size_t len,
              size_t *used);
void mp_tree_free(struct mp_tree *t);

static inline const struct mp_obj *
mp_first(const struct mp_obj *o)
{
    return o + 1;
}
static inline const struct mp_obj *
mp_next(const struct mp_obj *o)
{
    return o + o->skip;
}
static inline bool
mp_is_int(const struct mp_obj *o)
{
    return o->type == MP_UINT || o->type == MP_INT;
}
/* An integer as int64 (false if it does not fit). */
bool mp_get_i64(const struct mp_obj *o, int64_t *v);
static inline bool
mp_str_eq(const struct mp_obj *o, const char *s, size_t n)
{
    return o->type == MP_STR && o->v.s.n == n &&
           (n == 0 || __builtin_memcmp(o->v.s.p, s, n) == 0);
}

/* ---- json.c: the JSON line writer ------------------------------------- */

#define JW_MAX_DEPTH 16

/*
 * Writes one JSON object into a bounded buffer.  Objects opened with
 * jw_open() vanish on jw_close() when nothing was written into them, so a
 * mapper can open "file" and fill it only with what the record has.  An
 * error (buffer ceiling) is sticky and reported by jw_end().
 */
struct jw {
    struct estel_buf *b;
    int depth;
    bool first[JW_MAX_DEPTH];
    size_t mark[JW_MAX_DEPTH];      /* length before the object's key */
    enum estel_rc rc;
};

/* Make room for n more bytes (sticky failure). */
static inline bool
jw_room(struct jw *w, size_t n)
{
    struct estel_buf *b = w->b;

    if (w->rc != ESTEL_OK)
        return false;
    if (b->cap - b->len > n)
        return true;
    if ((w->rc = buf_reserve(b, n)) != ESTEL_OK)
        return false;
    return true;
}

/* Append n bytes (room made); short copies without a call. */
static inline void
jw_put(struct jw *w, const char *s, size_t n)
{
    char *d = w->b->data + w->b->len;

    if (n >= 8 && n <= 16) {
        uint64_t a, b;

        memcpy(&a, s, 8);
        memcpy(&b, s + n - 8, 8);
        memcpy(d, &a, 8);
        memcpy(d + n - 8, &b, 8);
    } else if (n < 8) {
        for (size_t i = 0; i < n; i++)
            d[i] = s[i];
    } else {
        memcpy(d, s, n);
    }
    w->b->len += n;
}

static inline void
jw_putc(struct jw *w, char c)
{
    w->b->data[w->b->len++] = c;
}

/* ,"key": (inline: the mappers write a few hundred keys per event) */
static inline void
jw_key(struct jw *w, const char *key, size_t len)
{
    char *d;

    if (!jw_room(w, len + 4))
        return;
    d = w->b->data + w->b->len;
    if (!w->first[w->depth])
        *d++ = ',';
    w->first[w->depth] = false;
    *d++ = '"';
    w->b->len = (size_t)(d - w->b->data);
    jw_put(w, key, len);
    d = w->b->data + w->b->len;
    d[0] = '"';
    d[1] = ':';
    w->b->len += 2;
}

void jw_begin(struct jw *w, struct estel_buf *b);
enum estel_rc jw_end(struct jw *w);         /* closes the top object */
/* "key":{ or "key":[ (c), taken back by the close if left empty */
void jw_open_n(struct jw *w, const char *key, size_t len, char c);
void jw_close(struct jw *w);
void jw_close_array(struct jw *w);
/* Values (after jw_key). */
void jw_str(struct jw *w, const char *s, size_t n);
void jw_u64(struct jw *w, uint64_t v);
void jw_i64(struct jw *w, int64_t v);
void jw_bool(struct jw *w, bool v);
/* A number written as a JSON string ("501"): ECS keyword fields. */
void jw_u64_str(struct jw *w, uint64_t v);
void jw_i64_str(struct jw *w, int64_t v);
/* Octal as a string ("0644"). */
void jw_octal_str(struct jw *w, uint64_t v);
/* ns since the epoch as RFC 3339 UTC with nanoseconds. */
void jw_time(struct jw *w, int64_t ns);
/* An integer object as a JSON number (signed or not). */
void jw_int(struct jw *w, const struct mp_obj *o);
/* Any msgpack object as JSON, verbatim (maps stay maps). */
void jw_value_mp(struct jw *w, const struct mp_obj *o);
/* The string elements of array joined by spaces, as one string. */
void jw_joined(struct jw *w, const struct mp_obj *array);
/* Array elements (inside an open array). */
void jw_elem_str(struct jw *w, const char *s, size_t n);
void jw_elem_mp(struct jw *w, const struct mp_obj *o);
/* A key taken from msgpack (estel.* leftovers); then jw_value_mp. */
void jw_key_mp(struct jw *w, const struct mp_obj *k);

/* "key": value in one call; inline so that strlen of a literal key is a
 * constant (the writer is the hottest code in ingest). */
static inline void
jw_open(struct jw *w, const char *key)
{
    jw_open_n(w, key, strlen(key), '{');
}
static inline void
jw_open_array(struct jw *w, const char *key)
{
    jw_open_n(w, key, strlen(key), '[');
}
static inline void
jw_kv_str(struct jw *w, const char *key, const char *s, size_t n)
{
    jw_key(w, key, strlen(key));
    jw_str(w, s, n);
}
static inline void
jw_kv_cstr(struct jw *w, const char *key, const char *s)
{
    jw_key(w, key, strlen(key));
    jw_str(w, s, strlen(s));
}
static inline void
jw_kv_u64(struct jw *w, const char *key, uint64_t v)
{
    jw_key(w, key, strlen(key));
    jw_u64(w, v);
}
static inline void
jw_kv_i64(struct jw *w, const char *key, int64_t v)
{
    jw_key(w, key, strlen(key));
    jw_i64(w, v);
}
static inline void
jw_kv_bool(struct jw *w, const char *key, bool v)
{
    jw_key(w, key, strlen(key));
    jw_bool(w, v);
}
static inline void
jw_kv_u64_str(struct jw *w, const char *key, uint64_t v)
{
    jw_key(w, key, strlen(key));
    jw_u64_str(w, v);
}
static inline void
jw_kv_i64_str(struct jw *w, const char *key, int64_t v)
{
    jw_key(w, key, strlen(key));
    jw_i64_str(w, v);
}
static inline void
jw_kv_octal_str(struct jw *w, const char *key, uint64_t v)
{
    jw_key(w, key, strlen(key));
    jw_octal_str(w, v);
}
static inline void
jw_kv_time(struct jw *w, const char *key, int64_t ns)
{
    jw_key(w, key, strlen(key));
    jw_time(w, ns);
}
static inline void
jw_kv_int(struct jw *w, const char *key, const struct mp_obj *o)
{
    jw_key(w, key, strlen(key));
    jw_int(w, o);
}
static inline void
jw_kv_joined(struct jw *w, const char *key, const struct mp_obj *array)
{
    jw_key(w, key, strlen(key));
    jw_joined(w, array);
}
static inline bool
jw_ok(const struct jw *w)
{
    return w->rc == ESTEL_OK;
}

/* ---- view.c: records, processes and files by known key ---------------- */

/* Envelope keys (collector/record.c). */
enum rk {
    RK_V, RK_EV, RK_CS, RK_TS, RK_HID, RK_BID, RK_ET, RK_MV, RK_MT, RK_SQ,
    RK_GSQ, RK_THR, RK_ID, RK_P, RK_E, RK_COUNT
};
/* Process map keys. */
enum pk {
    PK_PID, PK_PV, PK_EID, PK_PPID, PK_OPPID, PK_PGID, PK_SID, PK_AUID,
    PK_EUID, PK_EGID, PK_RUID, PK_RGID, PK_ASID, PK_CSF, PK_PLAT, PK_ESC,
    PK_CDH, PK_SIG, PK_TEAM, PK_EXE, PK_TTY, PK_START, PK_RPID, PK_RPV,
    PK_REID, PK_PARPID, PK_PARPV, PK_PAREID, PK_CSV, PK_COUNT
};
/* File map keys. */
enum fk {
    FK_PATH, FK_TRUNC, FK_INO, FK_DEV, FK_MODE, FK_NLINK, FK_UID, FK_GID,
    FK_SIZE, FK_FLAGS, FK_MTIME, FK_CTIME, FK_BTIME, FK_COUNT
};
/* Payload keys some mapper reads (ES member names). */
enum ek {
    EK_TARGET, EK_ARGS, EK_ARGS_COUNT, EK_CWD, EK_CHILD, EK_STAT,
    EK_SOURCE, EK_DESTINATION, EK_DIR, EK_FILENAME, EK_FILE, EK_FILE1,
    EK_TARGET_DIR, EK_TARGET_NAME, EK_TARGET_FILENAME, EK_TARGET_FILE,
    EK_MODIFIED, EK_SUCCESS, EK_USERNAME, EK_UID, EK_SOURCE_ADDRESS,
    EK_TO_USERNAME, EK_FROM_USERNAME, EK_COUNT_, EK_REASON, EK_COUNT
};

/* The expected msgpack kinds of a key (bit per enum mp_type). */
#define MPK(t) (1u << (t))
#define MPK_INT (MPK(MP_UINT) | MPK(MP_INT))

struct view_key {
    const char *name;
    uint8_t len;
    uint16_t kinds;
    const char *alias;              /* name when written as a leftover;
                                       NULL: the record's own key */
    uint8_t alias_len;
};

/*
 * A map read by known keys: slot[i] is valid when bit i of have is set
 * (the key was present with an expected type).  A mapper sets bit i of
 * used when slot i went somewhere in the output; view_leftovers() writes
 * every other key verbatim, so nothing in a record is dropped.
 */
#define VIEW_PAIRS 48                /* pairs whose key index is kept */

struct view {
    const struct view_key *keys;
    unsigned nkeys;
    uint64_t have;
    uint64_t used;
    const struct mp_obj *map;       /* NULL: an empty view */
    const struct mp_obj *slot[40];
    int8_t pair_key[VIEW_PAIRS];    /* key index of pair i, -1: unknown */
};

extern const struct view_key view_record_keys[RK_COUNT];
extern const struct view_key view_process_keys[PK_COUNT];
extern const struct view_key view_file_keys[FK_COUNT];
extern const struct view_key view_payload_keys[EK_COUNT];

/*
 * Read map o by keys.  False when o is not a map, is malformed, or repeats
 * a known key (a record a SIEM could read two ways).
 */
bool view_read(struct view *v, const struct view_key *keys, unsigned nkeys,
               const struct mp_obj *o);
static inline bool
view_has(const struct view *v, unsigned k)
{
    return (v->have >> k) & 1;
}
static inline const struct mp_obj *
view_get(const struct view *v, unsigned k)
{
    return view_has(v, k) ? v->slot[k] : NULL;
}
static inline void
view_use(struct view *v, unsigned k)
{
    v->used |= (uint64_t)1 << k;
}
/* Write every key not marked used as "key": verbatim JSON. */
void view_leftovers(const struct view *v, struct jw *w);
/* True if the view has any key not marked used. */
bool view_has_leftovers(const struct view *v);

/* ---- map.c: event table and the shared mapping helpers ---------------- */

enum subject { SUBJ_ACTOR = 0, SUBJ_TARGET, SUBJ_CHILD };

/* Where a new path (create, rename, link, ...) comes from. */
enum newpath {
    NP_NONE = 0,
    NP_DESTINATION,                 /* destination: file, {existing_file},
                                       {new_path: {dir, filename}}, or
                                       dir + filename beside it */
    NP_DIR_FILENAME,                /* dir + filename (uipc_bind) */
    NP_TARGET_FILENAME,             /* target_dir + target_filename */
    NP_TARGET_NAME                  /* target_file, or target_dir +
                                       target_name (clone, copyfile) */
};

/* How one event type maps (docs/schema.md, "Event types"). */
struct evmap {
    const char *name;               /* record "ev" */
    const char *ecs_category;       /* event.category (one value) */
    const char *ecs_type;           /* event.type (one value) */
    uint16_t ocsf_class;            /* 1001, 1007, 3002, 0 */
    uint8_t ocsf_activity;          /* activity_id; 99 = Other */
    const char *ocsf_activity_name;
    uint8_t subject;                /* enum subject */
    uint8_t file;                   /* enum ek of the primary file, or
                                       EK_COUNT */
    uint8_t newpath;                /* enum newpath */
};

/* Look up by ES type number (when known) then by name; never NULL. */
const struct evmap *evmap_find(const struct mp_obj *ev, bool has_et,
                               uint64_t et);

#define REC_PATH_MAX 4096

/* Everything a mapper needs about one record. */
struct rec {
    struct view r;                  /* envelope */
    struct view p;                  /* the actor process */
    struct view e;                  /* the payload */
    struct view subj;               /* target / child when subject != actor */
    struct view f;                  /* the primary file, if any */
    const struct evmap *map;
    bool has_p, has_e, has_subj, has_file;
    const char *kind;               /* "event", "gap", "status" */
    /* the new path of create/rename/link/... (dir + "/" + name) */
    size_t newpath_len;             /* 0: none */
    int newpath_key;                /* payload key (enum ek) of the name
                                       part, which the path consumes; -1 */
    char newpath[REC_PATH_MAX];
    int64_t now_ns;
    const char *agent_version;      /* from User-Agent, or NULL */
    size_t agent_version_len;
};

/*
 * Read a record (already through record_check) into r: parse it into
 * tree, then envelope, actor, payload, subject, primary file.
 * ESTEL_E_CORRUPT with a reason when it is not a map, a required envelope
 * key is missing or has the wrong type, or a known key repeats.
 */
enum estel_rc rec_read(struct rec *r, struct mp_tree *tree,
                       const uint8_t *buf, size_t len,
                       struct estel_err *err);

/* The "path" string of a file map, or NULL. */
const struct mp_obj *file_path(const struct mp_obj *file);
/* path helpers: the last component, the directory, the extension */
void path_split(const char *p, size_t n, size_t *dir_len,
                const char **name, size_t *name_len);
bool path_ext(const char *name, size_t n, const char **ext, size_t *len);


/* The string / integer at view key k written as "key" and marked used
 * (both mappers). */
void map_str_field(struct jw *w, const char *key, struct view *v,
                   unsigned k);
void map_int_field(struct jw *w, const char *key, struct view *v,
                   unsigned k);

/* ---- map_ecs.c / map_ocsf.c ------------------------------------------- */

enum estel_rc map_ecs(struct rec *r, struct estel_buf *out);
enum estel_rc map_ocsf(struct rec *r, struct estel_buf *out);

/* ---- commit.c: the committer thread ---------------------------------- */

struct committer;

/*
 * Start the one thread that writes: it borrows out, dd and stats (they
 * must outlive it) and owns the order of writes.
 */
enum estel_rc committer_start(struct committer **out, struct ingest_out *o,
                              struct ingest_dedupe *dd, int dirfd,
                              struct ingest_stats *stats,
                              struct estel_err *err);
/*
 * Hand a decoded batch (res->lines) to the committer and wait until it is
 * durable (200), already stored (409), or cannot be written (503).  The
 * one-line reason goes into reason.  Any HTTP worker thread; blocks.
 */
int committer_submit(struct committer *c, const struct ingest_result *res,
                     uint64_t body_len, char *reason, size_t size);
void committer_wake(struct committer *c);       /* any thread */
/* Finish what was submitted, close the current file, join the thread. */
void committer_stop(struct committer **c);

/* ---- auth.c: who is the client ---------------------------------------- */

struct MHD_Connection;
struct auth;

/* Direct TLS (cfg->tls_*) or the trusted front (cfg->trusted_front). */
enum estel_rc auth_create(struct auth **out, const struct ingest_config *cfg,
                          struct estel_err *err);
void auth_destroy(struct auth **a);
/*
 * The verified client's host id (certificate CN) into id, or false: no
 * certificate, not verified, not from the trusted front, no CN.  Any
 * HTTP worker thread.
 */
bool auth_client_id(const struct auth *a, struct MHD_Connection *c,
                    char *id, size_t size);
/* TLS mode: PEM contents for MHD (NULL in front mode). */
const char *auth_tls_cert(const struct auth *a);
const char *auth_tls_key(const struct auth *a);
const char *auth_tls_ca(const struct auth *a);

/* ---- listen.c: sockets and the output directory --------------------- */

/*
 * Listen on spec ("HOST:PORT", "[V6]:PORT", "unix:/PATH"): *fd and the
 * address really bound ("127.0.0.1:41234") into addr.
 */
enum estel_rc listen_open(const char *spec, int *fd, char *addr,
                          size_t size, struct estel_err *err);
void listen_close(const char *spec, int fd);
/*
 * Create/open the output directory, its private state directory
 * (".estel-ingest/", 0700) and take the lock that keeps a second ingest
 * out of it.
 */
enum estel_rc outdir_open(const char *path, int *dirfd, int *statefd,
                          int *lockfd, struct estel_err *err);

/* Darwin mode bits */
#define DARWIN_S_IFMT 0170000
#define DARWIN_S_IFREG 0100000
#define DARWIN_S_IFDIR 0040000
#define DARWIN_S_IFLNK 0120000
#define DARWIN_S_IFCHR 0020000
#define DARWIN_S_IFBLK 0060000
#define DARWIN_S_IFSOCK 0140000
#define DARWIN_S_IFIFO 0010000
#define DARWIN_CS_VALID 0x1u

#endif
