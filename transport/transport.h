/*
 * transport.h - the uploader thread: sends ready batches oldest first over
 * mutual-TLS HTTPS (libcurl + OpenSSL) and deletes each only after the
 * server acknowledged it.  Wire protocol: docs/protocol.md.
 *
 * Response classes (one mapping, transport/response.c):
 *   2xx, 409         stored / already stored  -> delete local copy
 *   408, 429, 5xx,   transient                -> keep, back off with full
 *   connect/TLS/IO                               jitter, honour Retry-After
 *   401, 403, nginx  credentials              -> keep, back off long, loud
 *   400 "No required SSL certificate" / "SSL certificate error"
 *   other 4xx        this batch is unacceptable -> dead/, continue
 */
#ifndef ESTEL_TRANSPORT_H
#define ESTEL_TRANSPORT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include "common/err.h"
#include "config/config.h"
#include "spool/spool.h"

struct transport_stats {
    _Atomic uint64_t batches_sent;
    _Atomic uint64_t bytes_sent;
    _Atomic uint64_t records_sent;
    _Atomic uint64_t batches_duplicate;     /* 409 */
    _Atomic uint64_t batches_dead;          /* other 4xx */
    _Atomic uint64_t retries_transient;     /* 408/429/5xx/net */
    _Atomic uint64_t retries_auth;          /* 401/403/cert refused */
    _Atomic uint64_t retries_tls;
    _Atomic uint64_t consecutive_failures;
    _Atomic int64_t last_success_ns;
    _Atomic int64_t last_attempt_ns;
    _Atomic int64_t client_cert_expiry_ns;  /* notAfter of ClientCertificate */
    _Atomic int last_class;                 /* enum transport_class */
};

enum transport_class {
    TRANSPORT_OK = 0, TRANSPORT_DUPLICATE, TRANSPORT_TRANSIENT,
    TRANSPORT_AUTH, TRANSPORT_REJECTED, TRANSPORT_TLS
};

struct transport;

/*
 * Check the TLS material now (readable cert, key not readable by others,
 * CA bundle present) so `estel run` fails fast with a clear message.
 * Borrows cfg and sp; they must outlive the transport.
 */
enum estel_rc transport_create(struct transport **out,
                               const struct estel_config *cfg,
                               struct spool *sp, struct estel_err *err);
void transport_destroy(struct transport **t);
/* Thread body; returns after transport_stop().  With drain set, returns
 * ESTEL_OK as soon as ready/ is empty and the batcher has finished. */
enum estel_rc transport_run(struct transport *t, struct estel_err *err);
void transport_stop(struct transport *t, int64_t grace_ms);   /* any */
/* The producer side has finished: in drain mode, exit when ready/ empty. */
void transport_set_draining(struct transport *t);
/* Network came back: retry now instead of waiting out the backoff. */
void transport_wake(struct transport *t);                     /* any */
struct transport_stats *transport_stats(struct transport *t);

/* ---- self-telemetry (transport/state.c) -------------------------------- */

struct ev_field;                    /* collector/collector.h */

#define TRANSPORT_STATUS_FIELDS_MAX 16

/*
 * Fill out[0..max) with the uploader's counters for the periodic "status"
 * record (keys documented in docs/protocol.md) and return how many.  String
 * values point into t (valid until the next call on the same thread) or to
 * static text.  Any thread; reads atomics and a snapshot taken under t's
 * lock.
 */
size_t transport_status_fields(struct transport *t, struct ev_field *out,
                               size_t max);

/* What the runtime adds to the state file (it owns these counters). */
struct transport_state_extra {
    int64_t started_ns;             /* wall clock when the agent started */
    bool running;                   /* false on the last write at exit */
    uint64_t spool_max_bytes;       /* SpoolMaxBytes, for "92% full" */
    uint64_t events_in;
    uint64_t records_out;
    uint64_t events_dropped;        /* ring full + too big + ES drops */
    uint64_t crashes_reported;      /* unclean stops found at this start */
    int64_t crash_prev_pid;         /* the last one's pid (0: unknown) */
};

/* The state file <spool>/state/status.json, as read back by `status`. */
#define TRANSPORT_STATE_TEXT_MAX 256
struct transport_state {
    int64_t version;                /* 1 */
    int64_t pid;
    bool running;
    int64_t started_ns;             /* wall clock, like every _ns below */
    int64_t written_ns;
    bool has_server;
    char server[TRANSPORT_STATE_TEXT_MAX];      /* URL, no credentials */
    uint64_t batches_sent, bytes_sent, records_sent, batches_duplicate;
    uint64_t batches_dead, retries_transient, retries_auth, retries_tls;
    uint64_t consecutive_failures;
    int64_t last_success_ns, last_attempt_ns, client_cert_expiry_ns;
    int64_t problem_since_ns;       /* 0: no current problem */
    int64_t last_class;             /* enum transport_class */
    char problem[TRANSPORT_STATE_TEXT_MAX];     /* "" when healthy */
    uint64_t spool_bytes, spool_batches, spool_max_bytes;
    int64_t oldest_unsent_ns;       /* created time of the oldest batch */
    uint64_t batches_evicted, batches_bad;
    uint64_t events_in, records_out, events_dropped;
    uint64_t crashes_reported;      /* added in 0.3 (0 in older files) */
    int64_t crash_prev_pid;
};

#define TRANSPORT_STATE_FILE "state/status.json"
#define TRANSPORT_STATE_STALE_S 30  /* older than this: agent not running */

/*
 * Snapshot t (NULL: no server configured), sp's stats and x into
 * <spool_dir>/state/status.json (0600, written to a temporary name and
 * renamed, so a reader never sees half a file).  Call every few seconds
 * from any one thread (the runtime's tick hook) and once at exit with
 * x->running false.  Borrows everything.  ESTEL_E_IO with the path.
 */
enum estel_rc transport_write_state(const char *spool_dir,
                                    struct transport *t, struct spool *sp,
                                    const struct transport_state_extra *x,
                                    struct estel_err *err);
/* Read it back (unknown keys ignored).  ESTEL_E_EOF: no state file. */
enum estel_rc transport_read_state(const char *spool_dir,
                                   struct transport_state *st,
                                   struct estel_err *err);

enum transport_verdict {
    TRANSPORT_HEALTHY = 0, TRANSPORT_DEGRADED, TRANSPORT_NOT_RUNNING
};
/*
 * Judge a state: not running (pid gone, stopped, or file older than
 * TRANSPORT_STATE_STALE_S), degraded (why: "server refuses our client
 * certificate (HTTP 403) for 2h", "oldest unsent batch 3h old", "spool 92%
 * full", ... joined by "; ") or healthy.  why gets "" when healthy.
 */
enum transport_verdict transport_state_judge(const struct transport_state *st,
                                             int64_t now_ns, bool pid_alive,
                                             char *why, size_t why_size);

#endif
