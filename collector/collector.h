/*
 * collector.h - the event model, the msgpack record (schema v1) encoder and
 * decoder, and the sources that produce events.
 *
 *   source (es / eslogger / synthetic)
 *     fills a struct estel_event (strings borrowed from the message or the
 *     input line, never copied) and calls collector_emit(), which
 *     encodes it into one msgpack record and pushes it into the ring.
 *
 * Both the ES handler and the eslogger parser fill the same model through
 * the same ev_add_*() helpers, so one event yields the same record
 * whichever source saw it.  docs/schema.md documents every record key.
 */
#ifndef ESTEL_COLLECTOR_H
#define ESTEL_COLLECTOR_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common/buf.h"
#include "common/err.h"
#include "common/ring.h"
#include "config/config.h"

/* Schema 2 (0.2): ids and hashes became bin; readers take 1 and 2. */
#define ESTEL_SCHEMA_VERSION 2
#define ESTEL_SCHEMA_OLDEST 1

/* ---- the event model -------------------------------------------------- */

/* A borrowed byte string: (ptr, len), never assumed NUL-terminated.
 * ptr == NULL means absent (JSON null / NULL pointer). */
struct ev_str {
    const char *ptr;
    size_t len;
};

/* Darwin stat facts a record carries (times in ns since the epoch). */
struct ev_stat {
    int64_t dev;
    uint64_t ino;
    uint32_t mode;
    uint32_t nlink;
    uint32_t uid;
    uint32_t gid;
    int64_t size;
    uint32_t flags;
    int64_t mtime_ns;
    int64_t ctime_ns;
    int64_t btime_ns;
};

struct ev_file {
    struct ev_str path;
    bool path_truncated;
    bool has_stat;
    struct ev_stat stat;
};

/* audit_token_t, decoded (libbsm order: auid euid egid ruid rgid pid asid
 * pidversion). */
struct ev_token {
    uint32_t auid, euid, egid, ruid, rgid;
    int32_t pid;
    uint32_t asid;
    int32_t pidversion;
};

struct ev_process {
    struct ev_token token;
    int32_t ppid;
    int32_t original_ppid;
    int32_t group_id;
    int32_t session_id;
    uint32_t cs_flags;
    bool is_platform_binary;
    bool is_es_client;
    bool has_cdhash;
    uint8_t cdhash[20];
    struct ev_str signing_id;
    struct ev_str team_id;
    struct ev_file executable;
    bool has_tty;                   /* msg version >= 2 and a tty */
    struct ev_file tty;
    bool has_start_time;            /* msg version >= 3 */
    int64_t start_time_ns;
    bool has_parent_tokens;         /* msg version >= 4 */
    struct ev_token responsible;
    struct ev_token parent;
    bool has_cs_validation;         /* msg version >= 10 */
    int32_t cs_validation_category;
};

/* A list of strings (exec argv/env, su argv, authorization rights).  The
 * source stores up to cap items in items[]; count is the real number. */
struct ev_strs {
    const struct ev_str *items;
    size_t stored;
    size_t count;
};

enum ev_kind {
    EV_INT = 1, EV_UINT, EV_BOOL, EV_STR, EV_FILE, EV_PROC, EV_STRS,
    EV_TOKEN, EV_HEX
};

/* One payload field.  key is a static string: the ES struct member name
 * (= eslogger key), e.g. "target", "parent_dir", "fflag". */
struct ev_field {
    const char *key;
    enum ev_kind kind;
    union {
        int64_t i;
        uint64_t u;
        bool b;
        struct ev_str s;            /* EV_STR, EV_HEX (raw bytes) */
        const struct ev_file *file;
        const struct ev_process *proc;
        struct ev_strs strs;
        struct ev_token token;
    } v;
};

#define EV_MAX_FIELDS 24
#define EV_MAX_FILES 6
#define EV_MAX_PROCS 4

struct estel_event {
    uint32_t type;                  /* es_event_type_t value */
    struct ev_str type_name;        /* only for types the table lacks */
    uint32_t version;               /* ES message version */
    int64_t time_ns;                /* msg->time, wall clock */
    uint64_t mach_time;
    bool has_seq;                   /* version >= 2 */
    uint64_t seq_num;
    bool has_global_seq;            /* version >= 4 */
    uint64_t global_seq_num;
    bool has_thread;
    uint64_t thread_id;
    struct ev_process process;      /* the actor */
    size_t nfields;
    struct ev_field fields[EV_MAX_FIELDS];
    size_t nfiles;
    struct ev_file files[EV_MAX_FILES];
    size_t nprocs;
    struct ev_process procs[EV_MAX_PROCS];
    struct ev_str raw;              /* unknown type: payload as raw JSON */
    bool truncated_fields;          /* a field did not fit (counted) */
};

/* Reset before filling (cheap: does not clear the big arrays). */
void ev_reset(struct estel_event *ev);
/* Add a payload field; the add_file/add_proc forms return storage inside
 * ev for the caller to fill (NULL if the event is full: the field is
 * skipped and ev->truncated_fields set). */
void ev_add_int(struct estel_event *ev, const char *key, int64_t v);
void ev_add_uint(struct estel_event *ev, const char *key, uint64_t v);
void ev_add_bool(struct estel_event *ev, const char *key, bool v);
void ev_add_str(struct estel_event *ev, const char *key, struct ev_str v);
void ev_add_hex(struct estel_event *ev, const char *key, const void *p,
                size_t n);
void ev_add_strs(struct estel_event *ev, const char *key, struct ev_strs v);
void ev_add_token(struct estel_event *ev, const char *key,
                  const struct ev_token *t);
struct ev_file *ev_add_file(struct estel_event *ev, const char *key);
struct ev_process *ev_add_proc(struct estel_event *ev, const char *key);

static inline struct ev_str
ev_cstr(const char *s)
{
    struct ev_str r = { s, 0 };

    if (s != NULL)
        while (s[r.len] != '\0')
            r.len++;
    return r;
}

/* ---- records (schema v2) ---------------------------------------------- */

struct record_identity {
    char host_id[72];
    char boot_id[72];
};

struct record_limits {
    uint32_t argv_max_bytes;        /* total bytes of argv kept */
    uint32_t argv_max_count;        /* elements of argv kept */
    bool capture_environment;       /* exec env off by default: secrets */
};

struct record_encoder;

enum estel_rc record_encoder_create(struct record_encoder **out,
                                    const struct record_identity *id,
                                    const struct record_limits *limits,
                                    struct estel_err *err);
void record_encoder_destroy(struct record_encoder **enc);

/*
 * Encode ev as collector record number seq.  *out borrows the encoder's
 * buffer until the next call.  No allocation once the buffer has grown to
 * the largest record seen.  Source thread only.
 */
enum estel_rc record_encode_event(struct record_encoder *enc,
                                  const struct estel_event *ev, uint64_t seq,
                                  const uint8_t **out, size_t *out_len);
/*
 * A collector-made record ("gap", "status"): the envelope plus fields.
 */
enum estel_rc record_encode_collector(struct record_encoder *enc,
                                      const char *kind, uint64_t seq,
                                      int64_t time_ns,
                                      const struct ev_field *fields,
                                      size_t nfields, const uint8_t **out,
                                      size_t *out_len);

/* Process entity id: stable hash of host + boot + pid + pidversion. */
uint64_t record_entity_id(const struct record_identity *id, int32_t pid,
                          int32_t pidversion);

/*
 * Check that buf starts with one well-formed msgpack object without
 * allocating: every declared length fits in what is left, nesting depth is
 * bounded.  Sets *used to its size.  ESTEL_E_CORRUPT with a reason
 * otherwise.  Use it before handing hostile bytes to msgpack_unpack.
 */
enum estel_rc record_check(const uint8_t *buf, size_t len, size_t *used,
                           struct estel_err *err);
/* Append one record (msgpack) to out as a single JSON object (no \n). */
enum estel_rc record_to_json(const uint8_t *buf, size_t len,
                             struct estel_buf *out, size_t *used,
                             struct estel_err *err);

/* ---- the collector: model -> record -> ring --------------------------- */

struct collector_stats {
    _Atomic uint64_t events_in;         /* offered by the source */
    _Atomic uint64_t events_filtered;   /* event type / mute rules */
    _Atomic uint64_t records_out;       /* pushed into the ring */
    _Atomic uint64_t dropped_ring_full; /* lost: ring full */
    _Atomic uint64_t dropped_too_big;   /* lost: record > ring limit */
    _Atomic uint64_t bad_input;         /* unparsable input lines */
    _Atomic uint64_t es_dropped;        /* ES seq_num gaps */
    _Atomic uint64_t gaps_emitted;
};

/*
 * Add to a counter only the source thread writes (events_in, records_out,
 * ...): other threads still read whole values, and the source pays no
 * locked instruction per event.
 */
static inline void
collector_count(_Atomic uint64_t *n, uint64_t v)
{
    atomic_store_explicit(n, atomic_load_explicit(n, memory_order_relaxed) +
                          v, memory_order_relaxed);
}

struct collector;

/*
 * first_seq: the collector sequence number of the first record (the spool
 * resumes after the highest one on disk).  Borrows cfg and ring.
 * filter_in_user: apply EventTypes/MutePaths here (non-ES sources; the ES
 * source applies them in the kernel).
 */
enum estel_rc collector_create(struct collector **out,
                               const struct estel_config *cfg,
                               struct ring *ring,
                               const struct record_identity *id,
                               uint64_t first_seq, bool filter_in_user,
                               struct estel_err *err);
void collector_destroy(struct collector **c);

/*
 * Encode ev and push it.  Never blocks.  Ring full: the record is dropped
 * and counted, and a "gap" record naming the lost sequence range is pushed
 * before the next record that fits.  Source thread only.
 */
enum estel_rc collector_emit(struct collector *c,
                             const struct estel_event *ev);
/*
 * Replay sources (eslogger files, synthetic) have no kernel queue to lose
 * events in: they wait for room instead of dropping (1 ms naps) until
 * *stop becomes true.  Never used by the ES handler.
 */
enum estel_rc collector_emit_wait(struct collector *c,
                                  const struct estel_event *ev,
                                  const _Atomic bool *stop);
/* Push a "gap" record made of fields from the source thread (or before it
 * starts), counted in gaps_emitted; *seq_out (if not NULL) gets its
 * sequence number. */
enum estel_rc collector_emit_gap(struct collector *c,
                                 const struct ev_field *fields,
                                 size_t nfields, uint64_t *seq_out);
/* Take the next sequence number (any thread; for records made by the
 * batcher such as eviction gaps). */
uint64_t collector_take_seq(struct collector *c);
/*
 * A "gap" record for records lost downstream of the ring (the spool's
 * evictions, refused or corrupt batches), made on the caller's thread with
 * its own encoder (enc) under a new sequence number; counted in
 * gaps_emitted.  Returns its length (*rec borrows enc's buffer), 0 if it
 * could not be encoded.
 */
size_t collector_encode_gap(struct collector *c, struct record_encoder *enc,
                            uint64_t first_seq, uint64_t last_seq,
                            uint64_t records, uint64_t batches,
                            const char *reason, const uint8_t **rec);
struct collector_stats *collector_stats(struct collector *c);
const struct record_identity *collector_identity(const struct collector *c);
struct record_encoder *collector_encoder(struct collector *c);
/* Record the ES sequence numbers of ev and report drops as gap records. */
void collector_track_es_seq(struct collector *c,
                            const struct estel_event *ev);

/* ---- sources ---------------------------------------------------------- */

struct source_ops {
    const char *name;               /* "es", "eslogger", "synthetic" */
    enum estel_rc (*open)(void **ctx, const struct estel_config *cfg,
                          const char *input, uint64_t count, uint64_t seed,
                          struct estel_err *err);
    /* Produce events into c until the input ends (ESTEL_E_EOF... returns
     * ESTEL_OK) or stop() is called. */
    enum estel_rc (*run)(void *ctx, struct collector *c,
                         struct estel_err *err);
    void (*stop)(void *ctx);        /* any thread; makes run() return */
    void (*close)(void **ctx);
};

const struct source_ops *source_find(const char *name);

/* eslogger JSON lines -> events (used by the eslogger source, convert). */
struct eslogger_parser;
enum estel_rc eslogger_parser_create(struct eslogger_parser **out,
                                     struct estel_err *err);
void eslogger_parser_destroy(struct eslogger_parser **p);
/*
 * Parse one line (without its \n; at most ESLOGGER_MAX_LINE bytes).  The
 * line is not modified; ev borrows strings from the parser (which holds
 * them unescaped) until the next call.  ESTEL_E_CORRUPT with a message
 * naming what is wrong (the caller adds the line number).  Source thread
 * only; no allocation once the parser has seen its longest line.
 */
enum estel_rc eslogger_parse_line(struct eslogger_parser *p, char *line,
                                  size_t len, struct estel_event *ev,
                                  struct estel_err *err);
/*
 * The same for a line followed by at least ESLOGGER_PADDING readable
 * bytes (of any value: they are read, never used): the JSON parser then
 * reads the line where it is instead of copying it.  Lines from
 * eslogger_reader_next() have them.
 */
#define ESLOGGER_PADDING 64
enum estel_rc eslogger_parse_padded(struct eslogger_parser *p,
                                    const char *line, size_t len,
                                    struct estel_event *ev,
                                    struct estel_err *err);

/*
 * Bounded line reader for eslogger input (the eslogger source and `estel
 * convert`).  path "-" is stdin.  Lines longer than max_line bytes are
 * skipped up to their newline without being buffered whole.  Memory:
 * max_line + 64 KiB, allocated once.  One thread reads; any thread may
 * interrupt.  open: ESTEL_E_IO (with the path) when the input cannot be
 * opened, ESTEL_E_NOMEM.
 */
#define ESLOGGER_MAX_LINE (4u << 20)
struct eslogger_reader;
enum estel_rc eslogger_reader_open(struct eslogger_reader **out,
                                   const char *path, size_t max_line,
                                   struct estel_err *err);
/*
 * The next line, without its newline, in *line (borrowed until the next
 * call; the caller may modify it; ESLOGGER_PADDING readable bytes follow
 * it, for eslogger_parse_padded) and its 1-based number in *lineno.
 * ESTEL_E_EOF at the end of input or once interrupted; ESTEL_E_REJECTED
 * when line *lineno was over max_line (it is skipped; call again);
 * ESTEL_E_IO when reading fails.  Blocks while a pipe has no data.
 */
enum estel_rc eslogger_reader_next(struct eslogger_reader *r, char **line,
                                   size_t *len, uint64_t *lineno,
                                   struct estel_err *err);
/* Any thread: a blocked or later next() returns ESTEL_E_EOF. */
void eslogger_reader_interrupt(struct eslogger_reader *r);
void eslogger_reader_close(struct eslogger_reader **r);

/* Deterministic synthetic events for demos and benchmarks. */
struct synthetic_gen;
enum estel_rc synthetic_create(struct synthetic_gen **out, uint64_t seed,
                               struct estel_err *err);
void synthetic_destroy(struct synthetic_gen **g);
/* Fill ev with the next event (borrows g's storage until the next call). */
void synthetic_next(struct synthetic_gen *g, struct estel_event *ev);

#endif
