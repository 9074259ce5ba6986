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

#endif
