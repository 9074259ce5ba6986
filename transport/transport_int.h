/*
 * transport_int.h - private to transport/: the pieces of the uploader that
 * are pure logic (response classification, Retry-After, backoff, pacing,
 * header building, TLS material checks) and can be tested alone, and the
 * uploader object they serve.  Never included from outside transport/ and
 * its tests.
 */
#ifndef ESTEL_TRANSPORT_INT_H
#define ESTEL_TRANSPORT_INT_H

#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/buf.h"
#include "common/platform.h"
#include "transport/transport.h"

#define NS_PER_MS INT64_C(1000000)
#define NS_PER_S INT64_C(1000000000)

/* ---- response.c: status line, headers, body, classification ------------ */

#define RESP_BODY_MAX 1024          /* body bytes kept for diagnosis */
#define RESP_RETRY_AFTER_MAX_S (6 * 3600)   /* a broken server's "1e9" */

struct resp {
    long status;                    /* last status line seen; 0: none */
    int64_t retry_after_s;          /* -1: none or unparsable */
    size_t body_len;
    bool body_truncated;
    char body[RESP_BODY_MAX + 1];   /* NUL-terminated */
};

void resp_reset(struct resp *r);
/* One header line as curl delivers it (may end in CRLF).  A status line
 * ("HTTP/1.1 503 ...", "HTTP/2 200") starts a new response: proxies and
 * 1xx answers come first.  now_s: wall clock for HTTP-dates. */
void resp_header_line(struct resp *r, const char *line, size_t len,
                      int64_t now_s);
/* Keep the first RESP_BODY_MAX bytes of the body. */
void resp_body(struct resp *r, const char *p, size_t n);
/* "120" or an HTTP-date; seconds from now (clamped to 0 and
 * RESP_RETRY_AFTER_MAX_S), or -1 when it is neither. */
int64_t resp_parse_retry_after(const char *v, size_t len, int64_t now_s);
/* IMF-fixdate, RFC 850 or asctime (RFC 9110 5.6.7), always GMT. */
bool resp_parse_http_date(const char *v, size_t len, int64_t *out_s);
/* Days since 1970-01-01 of a proleptic Gregorian date (no timegm: it is
 * not standard C and depends on TZ handling). */
int64_t resp_days_from_civil(int64_t y, unsigned m, unsigned d);

/*
 * The one mapping from what happened to what to do with the batch.
 * cc: the transfer's CURLcode; status: the HTTP status (0: none);
 * connect_code: a proxy's answer to CONNECT (0: none); r: headers and
 * body; errbuf: curl's error text.  *what gets a short static phrase for
 * people ("server error", "rate limited", "client certificate refused").
 */
enum transport_class resp_classify(CURLcode cc, long status,
                                   long connect_code, const struct resp *r,
                                   const char *errbuf, const char **what);
/* Does an HTTP 400 body say nginx refused the client certificate? */
bool resp_is_cert_refusal(const char *body, size_t len);
const char *transport_class_name(enum transport_class cls);

/* ---- backoff.c: retry schedule, fleet spread, upload pacing ------------- */

#define BACKOFF_BASE_MS 1000
#define BACKOFF_AUTH_BASE_MS 30000
#define BACKOFF_AUTH_CAP_MIN_MS (10 * 60 * 1000)
#define BACKOFF_SPREAD_MAX_MS 30000     /* fleet spread after an outage */
#define BACKOFF_NETWAKE_MAX_MS 2000     /* spread after a link came back */
#define BACKOFF_FLOOR_MS 50             /* never spin */

struct backoff {
    uint32_t level;                 /* failure rounds in a row */
    int64_t cap_ms;                 /* RetryMaxSeconds */
    int64_t ceiling_ms;             /* the last round's upper bound */
    bool server_said;               /* the delay came from Retry-After */
    uint64_t rng;
};

void backoff_init(struct backoff *b, int64_t cap_ms, uint64_t seed);
/*
 * A failure round of class cls ended; return how long to wait (ms):
 * transient/TLS: full jitter, rand[0, min(cap, base*2^n)]; with
 * Retry-After R: R plus rand[0, min(30 s, that ceiling)] so a fleet told
 * the same R does not return at once; auth: long, equal jitter, from 30 s
 * up to max(cap, 10 min).
 */
int64_t backoff_fail(struct backoff *b, enum transport_class cls,
                     int64_t retry_after_s);
void backoff_reset(struct backoff *b);
/* The network path came back while remaining_ms of a wait are left:
 * the new, shorter wait (or remaining_ms when a wake must not cut it). */
int64_t backoff_netwake(struct backoff *b, enum transport_class last,
                        int64_t remaining_ms);
/* Uniform in [lo, hi]. */
int64_t backoff_rand(struct backoff *b, int64_t lo, int64_t hi);

/* Token bucket across requests (UploadMaxBytesPerSecond). */
struct pace {
    uint64_t rate_bps;              /* 0: unlimited */
    double tokens;                  /* bytes; may go negative */
    double burst;                   /* capacity */
    int64_t last_ns;
};

void pace_init(struct pace *p, uint64_t rate_bps, int64_t now_ns);
/* 0 when a request may start now, else ms to wait. */
int64_t pace_wait_ms(struct pace *p, int64_t now_ns);
void pace_take(struct pace *p, uint64_t bytes);

/* ---- tls.c: client certificate material ------------------------------- */

struct file_sig {
    dev_t dev;
    ino_t ino;
    off_t size;
    int64_t mtime_ns;
    int64_t ctime_ns;
    bool present;
};

#define TLS_MATERIAL_MAX (1024 * 1024)      /* a PEM bundle, generously */
#define TLS_EXPIRY_WARN_S (14 * 86400)

struct tls_material {
    struct estel_buf cert;          /* PEM as read (chain allowed) */
    struct estel_buf key;           /* PEM; wiped before free */
    struct estel_buf ca;            /* PEM bundle, when ServerCA is set */
    struct file_sig cert_sig, key_sig, ca_sig;
    bool has_client;                /* ClientCertificate configured */
    int64_t not_after_ns;           /* 0: no client certificate */
    int64_t not_before_ns;
    char cn[128];                   /* subject CN = host id */
    char serial[80];                /* hex, for logs */
};

void tls_material_init(struct tls_material *m);
void tls_material_free(struct tls_material *m);
/*
 * Read and check cert, key and CA (any may be NULL): files readable and
 * regular, the key not readable by group or others, both PEM, the key
 * unencrypted and belonging to the certificate, the CA bundle holding at
 * least one certificate.  Fills m (and its file signatures) on success;
 * ESTEL_E_CONFIG with "Key PATH: problem; fix" otherwise, m untouched.
 */
enum estel_rc tls_material_load(struct tls_material *m, const char *cert,
                                const char *key, const char *ca,
                                struct estel_err *err);
/* Have the files changed on disk since m was loaded (stat only)? */
bool tls_material_changed(const struct tls_material *m, const char *cert,
                          const char *key, const char *ca);
void tls_file_sig(const char *path, struct file_sig *sig);
/* The key-mode check alone, for tests and `estel config check`. */
enum estel_rc tls_check_key_mode(const char *path, mode_t mode,
                                 struct estel_err *err);

/* ---- http.c: one request slot on the curl multi handle ---------------- */

#define HTTP_HEADERS_MAX 12
#define HTTP_HEADER_LEN 192

struct http_headers {
    size_t n;
    char line[HTTP_HEADERS_MAX][HTTP_HEADER_LEN];
};

/* The protocol's request headers for a batch (docs/protocol.md).
 * ESTEL_E_CORRUPT when the batch header holds ids that are not safe
 * header tokens ([A-Za-z0-9._-], 1..64 bytes). */
enum estel_rc http_headers_build(const struct spool_batch_info *info,
                                 struct http_headers *h,
                                 struct estel_err *err);
/* Copy url into buf without "user:password@" (for logs and status). */
void http_url_safe(const char *url, char *buf, size_t size);

struct transport;

enum slot_state {
    SLOT_IDLE = 0,
    SLOT_STAGED,                    /* batch read and checked, not sent */
    SLOT_BUSY                       /* on the wire */
};

struct slot {
    CURL *easy;
    struct transport *t;
    struct curl_slist *headers;
    struct estel_buf frame;         /* the zstd frame as stored */
    struct spool_batch_info info;
    struct resp resp;
    char errbuf[CURL_ERROR_SIZE];
    enum slot_state state;
    uint32_t epoch;                 /* backoff round it started in */
    int64_t started_ns;
};

/* Per-connection settings, derived once from the configuration. */
struct http_opts {
    const char *url;
    const char *proxy;              /* NULL: environment */
    const char *pinned_key;
    bool allow_http;                /* plain http to loopback (demos) */
    long connect_timeout_ms;
    long request_timeout_ms;
    long low_speed_time_s;
    uint64_t max_send_bps;          /* per transfer; 0: unlimited */
};

enum estel_rc http_slot_open(struct slot *s, struct transport *t,
                             const struct http_opts *o,
                             const struct tls_material *m,
                             struct estel_err *err);
void http_slot_close(struct slot *s);
/* Point the slot's handle at its frame and headers for the next POST. */
enum estel_rc http_slot_arm(struct slot *s, const struct http_opts *o,
                            struct estel_err *err);
/* After the transfer: status, proxy CONNECT code. */
void http_slot_result(struct slot *s, long *status, long *connect_code);

/* ---- the uploader object (uploader.c) ---------------------------------- */

#define TRANSPORT_SLOTS_MAX 16
#define PICK_QUEUE_MAX 64           /* names taken per walk of ready/ */
#define REMOVE_QUEUE_MAX (TRANSPORT_SLOTS_MAX + 1)

struct transport {
    const struct estel_config *cfg;
    struct spool *sp;
    struct transport_stats stats;
    struct http_opts opts;
    char url_safe[TRANSPORT_STATE_TEXT_MAX];
    int wake_rd, wake_wr;           /* self-pipe: wake, stop, drain */
    _Atomic bool stopping;
    _Atomic bool draining;
    _Atomic int64_t abort_at_ns;    /* mono; 0: not stopping */
    _Atomic bool abort_now;         /* xferinfo: give up the transfer */

    /* under mu: what `status` and the status record show */
    pthread_mutex_t mu;
    char problem[TRANSPORT_STATE_TEXT_MAX];
    int64_t problem_since_ns;       /* wall clock */
    char status_problem[TRANSPORT_STATE_TEXT_MAX];  /* status_fields copy */

    /* uploader thread only */
    struct tls_material tls;
    struct tls_material tls_next;   /* loaded, waiting for idle slots */
    bool rotate_pending;
    bool io_problem_logged;
    int64_t tls_checked_ns;
    struct file_sig tls_bad_cert, tls_bad_key, tls_bad_ca;
    int expiry_state;               /* 0 ok, 1 soon, 2 expired */
    bool host_cn_warned;
    struct backoff bo;
    uint32_t epoch;
    int64_t wait_until_ns;          /* mono; no new request before */
    enum transport_class wait_class;
    struct pace pace;
    struct estel_netwatch *nw;
    CURLM *multi;
    size_t nslots;                  /* in flight at most (UploadConcurrency) */
    struct slot slots[TRANSPORT_SLOTS_MAX + 1];     /* + one staged */
    size_t in_flight;
    /* the next names to send, oldest first, from one walk of ready/ */
    char pickq[PICK_QUEUE_MAX][SPOOL_NAME_MAX];
    size_t pickq_len, pickq_pos;
    /* acknowledged, deleted once the next request is on the wire */
    char removeq[REMOVE_QUEUE_MAX][SPOOL_NAME_MAX];
    size_t removeq_len;
    int logged_class;               /* the last state we logged */
    long logged_code;
    uint64_t repeats;
    long dead_logged_code;          /* same manners for dead/ moves */
    uint64_t dead_repeats;
    int64_t failing_since_mono_ns;
};

/* uploader.c internals used by http.c's callbacks */
bool transport_should_abort(struct transport *t);

/* ---- deliver.c: batches in, answers out (uploader thread only) -------- */

enum deliver_fill {
    DELIVER_BUSY = 0,               /* requests in flight or just started */
    DELIVER_WAIT,                   /* backoff or pace: not before later */
    DELIVER_EMPTY                   /* nothing ready to send */
};

enum estel_rc deliver_open_handles(struct transport *t,
                                   struct estel_err *err);
void deliver_close_handles(struct transport *t);
enum deliver_fill deliver_fill(struct transport *t, int64_t now);
/* When the next request may start (mono ns). */
int64_t deliver_next_start(struct transport *t, int64_t now);
void deliver_harvest(struct transport *t);
/* While requests are on the wire: read and check the next batch, delete
 * the acknowledged ones. */
void deliver_background(struct transport *t);
/* Delete every acknowledged batch now (before waiting or exiting). */
void deliver_flush_removes(struct transport *t);
/* Shutdown: drop in-flight requests; their batches stay in ready/. */
void deliver_abandon(struct transport *t);
/* Rotation and expiry: stat the TLS files about once a second. */
void deliver_check_tls(struct transport *t, int64_t now);
void deliver_check_expiry(struct transport *t, int64_t now_real_ns);

#endif
