/*
 * ingest.h - the server side of the wire protocol (docs/protocol.md):
 * receive batches over HTTP, verify them, dedupe them, map every record to
 * ECS or OCSF (docs/schema.md) and write NDJSON files a SIEM shipper tails.
 *
 *   nginx (mTLS) ─► HTTP (libmicrohttpd, loopback or unix socket)
 *     ─► decoder (per request, on an HTTP worker thread):
 *          headers, zstd with a hard output bound, XXH3, record_check,
 *          host id = certificate CN, map every record to one JSON line
 *     ─► committer thread (one): dedupe on the idempotency key, append the
 *          lines to the current file, fsync, remember the key (fsynced
 *          log), then the worker answers 2xx
 *
 * The decoder is also usable alone (ingest_decode): the fuzz target, the
 * benchmark and the tests run exactly what the server runs, without the
 * network.
 */
#ifndef ESTEL_INGEST_H
#define ESTEL_INGEST_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common/buf.h"
#include "common/err.h"
#include "config/config.h"

enum ingest_format { INGEST_FORMAT_ECS = 0, INGEST_FORMAT_OCSF };

/* Filled by the caller (ingest_config_from() or by hand); strings are
 * borrowed and must outlive the ingest object. */
struct ingest_config {
    const char *listen;             /* "HOST:PORT", "[V6]:PORT" or
                                       "unix:/PATH"; port 0: any free */
    const char *out_dir;            /* NDJSON files and state */
    enum ingest_format format;
    uint64_t max_body_bytes;        /* compressed request body */
    uint64_t max_batch_bytes;       /* decompressed records */
    uint32_t dedupe_ttl_s;
    uint64_t rotate_bytes;          /* start a new file past this size */
    uint32_t rotate_s;              /* ... or this age; 0: size only */
    const char *tls_cert;           /* direct TLS mode: all three, or */
    const char *tls_key;            /* none (plain HTTP behind nginx) */
    const char *tls_client_ca;
    const char *trusted_front;      /* peer IP whose X-SSL-Client-*
                                       headers count; NULL: loopback */
    unsigned threads;               /* HTTP worker threads; 0: 2 per CPU */
    unsigned max_connections;       /* 0: 256 */
    bool full_fsync;                /* F_FULLFSYNC on macOS */
};

/* Copy the Ingest* keys of cfg (borrowed) into ic. */
void ingest_config_from(struct ingest_config *ic,
                        const struct estel_config *cfg);

struct ingest_stats {
    _Atomic uint64_t requests;
    _Atomic uint64_t batches_stored;        /* 2xx */
    _Atomic uint64_t batches_duplicate;     /* 409 */
    _Atomic uint64_t batches_rejected;      /* 400, 401, 403, 413, 415 */
    _Atomic uint64_t batches_unavailable;   /* 503: could not write */
    _Atomic uint64_t records_written;       /* NDJSON lines */
    _Atomic uint64_t gap_records;           /* "gap" records among them */
    _Atomic uint64_t records_lost;          /* sum of the gaps' counts */
    _Atomic uint64_t body_bytes;            /* compressed, stored batches */
    _Atomic uint64_t raw_bytes;             /* msgpack, stored batches */
    _Atomic uint64_t out_bytes;             /* NDJSON bytes written */
    _Atomic uint64_t files_closed;          /* rotated into *.ndjson */
    _Atomic uint64_t write_errors;
};

struct ingest;

/*
 * Open the output directory (create it 0750, lock it against a second
 * ingest, finish leftover *.part files, load the dedupe log), start the
 * committer thread and the HTTP daemon listening on cfg->listen.  Borrows
 * cfg.  Any thread; call ingest_close() from the same one.
 */
enum estel_rc ingest_open(struct ingest **out,
                          const struct ingest_config *cfg,
                          struct estel_err *err);
/* The address really listened on ("127.0.0.1:41234", "unix:/run/x"). */
const char *ingest_address(const struct ingest *in);
/* Periodic work (time-based rotation, dedupe log compaction); call about
 * once a second from the thread that opened it.  Never blocks on I/O:
 * it only wakes the committer. */
void ingest_tick(struct ingest *in);
/* Stop accepting, finish requests in flight, close the current output
 * file into *.ndjson, stop the committer; the stats stay readable.
 * Idempotent; the thread that opened it. */
void ingest_stop(struct ingest *in);
/* ingest_stop(), then free everything.  NULL-safe; sets *in = NULL. */
void ingest_close(struct ingest **in);
struct ingest_stats *ingest_stats(struct ingest *in);

/* ---- the batch decoder (no network) ------------------------------------ */

/* Longest host id, boot id and idempotency key accepted. */
#define INGEST_ID_MAX 71
#define INGEST_KEY_MAX (2 * INGEST_ID_MAX + 24)

/* The request as the HTTP layer saw it.  NULL: header absent. */
struct ingest_request {
    const char *content_type;
    const char *content_encoding;
    const char *idempotency_key;
    const char *host;               /* X-Estel-Host */
    const char *boot;               /* X-Estel-Boot */
    const char *first_seq;          /* X-Estel-First-Seq */
    const char *last_seq;           /* X-Estel-Last-Seq */
    const char *records;            /* X-Estel-Records */
    const char *raw_bytes;          /* X-Estel-Raw-Bytes */
    const char *checksum;           /* X-Estel-Checksum */
    const char *schema;             /* X-Estel-Schema */
    const char *user_agent;         /* "estel/0.1.0" -> agent.version */
    const char *client_id;          /* the verified certificate's CN;
                                       NULL: no verified certificate */
};

/* What the headers and the body said, and the answer to give. */
struct ingest_result {
    int status;                     /* HTTP status; 0 until decided */
    char host_id[INGEST_ID_MAX + 1];
    char boot_id[INGEST_ID_MAX + 1];
    char key[INGEST_KEY_MAX + 1];   /* Idempotency-Key */
    uint64_t first_seq, last_seq;
    uint64_t records;               /* X-Estel-Records, then decoded */
    uint64_t raw_bytes;             /* X-Estel-Raw-Bytes */
    uint64_t checksum;              /* X-Estel-Checksum */
    uint64_t gaps;                  /* "gap" records in the batch */
    uint64_t lost;                  /* sum of their "count" */
    const char *lines;              /* the NDJSON lines (borrowed from the
                                       decoder until its next call) */
    size_t lines_len;
    /* CPU split, filled when the decoder times (bench) */
    uint64_t ns_decompress, ns_verify, ns_map;
};

/*
 * Check the request headers before reading the body.  content_length is
 * the declared body size or UINT64_MAX when unknown.  Returns ESTEL_OK with
 * res's ids and numbers filled, or an error whose one-line err->msg is the
 * response body and res->status the HTTP status (400, 401, 403, 413,
 * 415).  Pure; any thread.
 */
enum estel_rc ingest_check_headers(const struct ingest_request *req,
                                   uint64_t content_length,
                                   uint64_t max_body_bytes,
                                   uint64_t max_batch_bytes,
                                   struct ingest_result *res,
                                   struct estel_err *err);

struct ingest_decoder;

/* One per concurrent request (the server pools them).  No allocation per
 * event: buffers grow to the largest batch seen and stay. */
enum estel_rc ingest_decoder_create(struct ingest_decoder **out,
                                    enum ingest_format format,
                                    uint64_t max_batch_bytes,
                                    struct estel_err *err);
void ingest_decoder_destroy(struct ingest_decoder **d);
/* Free buffers that grew past keep_bytes (one huge batch must not pin
 * its memory for the life of the server).  The lines of the last result
 * are gone afterwards. */
void ingest_decoder_trim(struct ingest_decoder *d, size_t keep_bytes);
/* Time the decompress / verify / map phases into the result (bench). */
void ingest_decoder_set_timing(struct ingest_decoder *d, bool on);

/*
 * The whole verification of one request: ingest_check_headers(), then the
 * body: one zstd frame whose content fits the declared and configured
 * sizes (streamed with a hard output bound: a decompression bomb stops at
 * the bound), X-Estel-Raw-Bytes, X-Estel-Checksum (XXH3-64) and
 * X-Estel-Records against what was decoded, record_check() on every
 * record, every record's "hid" equal to the certificate's CN, the lowest
 * and highest "cs" equal to X-Estel-First-Seq / -Last-Seq.  Then every
 * record is mapped to one NDJSON line (res->lines).  now_ns stamps
 * event.ingested.  Nothing is written anywhere.
 * ESTEL_OK: res->status 200 and the lines; otherwise res->status says
 * which 4xx and err->msg is the one-line reason.
 */
enum estel_rc ingest_decode(struct ingest_decoder *d,
                            const struct ingest_request *req,
                            const uint8_t *body, size_t len,
                            int64_t now_ns, struct ingest_result *res,
                            struct estel_err *err);

/*
 * Map one record (already checked) to one JSON line appended to out
 * (without the newline).  Tools and tests; the decoder does this for each
 * record of a batch.
 */
enum estel_rc ingest_map_record(enum ingest_format format,
                                const uint8_t *rec, size_t len,
                                int64_t now_ns, struct estel_buf *out,
                                struct estel_err *err);

/* ---- pieces the server is built from (tests, bench) ------------------- */

/*
 * The CN of an RFC 2253 / RFC 4514 distinguished name as nginx passes it
 * in $ssl_client_s_dn ("CN=host-0001,O=Example"), unescaped, or the
 * legacy "/O=Example/CN=host-0001" form.  False if there is no CN or it
 * does not fit.
 */
bool ingest_dn_common_name(const char *dn, char *cn, size_t size);

struct ingest_out;
/*
 * The NDJSON writer: estel-YYYYmmddTHHMMSSZ-NNNNNN.ndjson.part is the file
 * being appended; it is fsynced and renamed to .ndjson when it reaches
 * rotate_bytes or rotate_s.  Leftover .part files of a previous run are cut
 * at their last complete line and renamed at open.  One thread.
 */
enum estel_rc ingest_out_open(struct ingest_out **out, int dirfd,
                              uint64_t rotate_bytes, uint32_t rotate_s,
                              bool full_fsync, struct estel_err *err);
/* Append lines (whole lines) without syncing; on error the file is cut
 * back to its size before the call. */
enum estel_rc ingest_out_append(struct ingest_out *o, const char *lines,
                                size_t len, struct estel_err *err);
/* Make everything appended durable (on error: cut back to the last
 * durable size). */
enum estel_rc ingest_out_sync(struct ingest_out *o, struct estel_err *err);
/* Close the current file into *.ndjson if it is due (or force). */
enum estel_rc ingest_out_rotate(struct ingest_out *o, bool force,
                                struct estel_err *err);
/* Size of the current file, and its name (for tests). */
uint64_t ingest_out_size(const struct ingest_out *o);
const char *ingest_out_name(const struct ingest_out *o);
uint64_t ingest_out_files_closed(const struct ingest_out *o);
void ingest_out_close(struct ingest_out **o);

struct ingest_dedupe;
/*
 * Batches already stored, keyed by (host, boot, first_seq), remembered
 * ttl_s seconds in memory and in an append-only log in dirfd (compacted at
 * open and when it grows), fsynced before the batch is acknowledged.
 */
enum estel_rc ingest_dedupe_open(struct ingest_dedupe **out, int dirfd,
                                 uint32_t ttl_s, int64_t now_s,
                                 struct estel_err *err);
bool ingest_dedupe_has(struct ingest_dedupe *d, const char *host,
                       const char *boot, uint64_t first_seq, int64_t now_s);
/* Remember a batch in memory and append it to the log (not synced). */
enum estel_rc ingest_dedupe_add(struct ingest_dedupe *d, const char *host,
                                const char *boot, uint64_t first_seq,
                                int64_t now_s, struct estel_err *err);
enum estel_rc ingest_dedupe_sync(struct ingest_dedupe *d,
                                 struct estel_err *err);
/* Drop expired entries; rewrite the log when it holds mostly garbage. */
enum estel_rc ingest_dedupe_maintain(struct ingest_dedupe *d, int64_t now_s,
                                     struct estel_err *err);
uint64_t ingest_dedupe_count(const struct ingest_dedupe *d);
void ingest_dedupe_close(struct ingest_dedupe **d);

#endif
