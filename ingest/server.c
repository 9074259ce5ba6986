/*
 * server.c - the HTTP face of ingest (libmicrohttpd): POST /v1/batches.
 *
 * Per request, on an MHD worker thread:
 *   headers  -> identity (auth.c), method/path, Content-Type/-Encoding
 *               (415), Content-Length > IngestMaxBodyBytes (413), the
 *               X-Estel-* headers (400/403), already stored (409): all
 *               answered before the body is read
 *   body     -> collected up to IngestMaxBodyBytes; beyond it the rest is
 *               discarded and the answer is 413 (libmicrohttpd cannot
 *               answer in the middle of an upload)
 *   complete -> ingest_decode() with a pooled decoder, then the committer
 *               (commit.c) writes, fsyncs and dedupes; the answer is 200,
 *               409 or 503 (Retry-After)
 * Status codes are docs/protocol.md's; every error body is one line.
 *
 * Memory is bounded by the configuration: a body of at most
 * IngestMaxBodyBytes per connection being received, and per decoder (one
 * per busy worker thread) the decompressed batch (IngestMaxBatchBytes)
 * and its JSON (at most 8 times that, else 413); buffers past 16 MiB are
 * freed after each request.
 */
#include "ingest/ingest_int.h"
#include "common/log.h"
#include "common/platform.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define POOL_MAX 64
#define BATCH_PATH "/v1/batches"
/* a decoder keeps buffers up to this between requests (agents' batches
 * are ~1 MiB decompressed, ~3 MiB as JSON) */
#define DECODER_KEEP_BYTES ((size_t)16 << 20)

struct ingest {
    struct ingest_config cfg;
    struct MHD_Daemon *mhd;
    struct auth *auth;
    int listen_fd, dirfd, statefd, lockfd;
    char address[128];
    struct ingest_out *out;
    struct ingest_dedupe *dd;
    struct committer *cm;
    struct ingest_stats stats;
    pthread_mutex_t pool_mu;
    struct ingest_decoder *pool[POOL_MAX];
    size_t npool;
};

/* One request's state (MHD's con_cls). */
struct request {
    struct estel_buf body;
    bool too_big;
    uint64_t discarded;
    char client_id[INGEST_ID_MAX + 1];
    struct ingest_request req;
    struct ingest_result res;
};

void
ingest_config_from(struct ingest_config *ic, const struct estel_config *cfg)
{
    memset(ic, 0, sizeof(*ic));
    ic->listen = cfg->ingest_listen;
    ic->out_dir = cfg->ingest_out_dir;
    ic->format = cfg->ingest_format != NULL &&
                 strcmp(cfg->ingest_format, "ocsf") == 0 ?
                 INGEST_FORMAT_OCSF : INGEST_FORMAT_ECS;
    ic->max_body_bytes = cfg->ingest_max_body_bytes;
    ic->max_batch_bytes = cfg->ingest_max_batch_bytes;
    ic->dedupe_ttl_s = cfg->ingest_dedupe_ttl_s;
    ic->rotate_bytes = cfg->ingest_rotate_bytes;
    ic->rotate_s = cfg->ingest_rotate_s;
    ic->tls_cert = cfg->ingest_tls_cert;
    ic->tls_key = cfg->ingest_tls_key;
    ic->tls_client_ca = cfg->ingest_tls_client_ca;
    ic->trusted_front = cfg->ingest_trusted_front;
    ic->full_fsync = cfg->full_fsync;
}

/* ---- responses ----------------------------------------------------------- */

static enum MHD_Result
respond(struct ingest *in, struct MHD_Connection *c, int status,
        const char *msg)
{
    char body[ESTEL_ERR_MSG_MAX + 2];
    struct MHD_Response *r;
    enum MHD_Result ret;
    int n = snprintf(body, sizeof(body), "%s\n", msg);

    if (n < 0 || (size_t)n >= sizeof(body))
        n = (int)sizeof(body) - 1;
    r = MHD_create_response_from_buffer((size_t)n, body,
                                        MHD_RESPMEM_MUST_COPY);
    if (r == NULL)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                            "text/plain; charset=utf-8");
    if (status == 503)
        MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "30");
    if (status == 405)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "POST");
    if (status == 401)
        MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                "Mutual-TLS");
    ret = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    if (status == 409)
        atomic_fetch_add(&in->stats.batches_duplicate, 1);
    else if (status == 503)
        atomic_fetch_add(&in->stats.batches_unavailable, 1);
    else if (status >= 400)
        atomic_fetch_add(&in->stats.batches_rejected, 1);
    if (status >= 400 && status != 409 && log_enabled(LOG_LEVEL_DEBUG))
        log_debug("ingest: %d %s", status, msg);
    return ret;
}

/* ---- decoders ------------------------------------------------------------ */

static struct ingest_decoder *
decoder_take(struct ingest *in)
{
    struct ingest_decoder *d = NULL;

    pthread_mutex_lock(&in->pool_mu);
    if (in->npool > 0)
        d = in->pool[--in->npool];
    pthread_mutex_unlock(&in->pool_mu);
    if (d == NULL && ingest_decoder_create(&d, in->cfg.format,
                                           in->cfg.max_batch_bytes, NULL) !=
        ESTEL_OK)
        return NULL;
    return d;
}

static void
decoder_give(struct ingest *in, struct ingest_decoder *d)
{
    ingest_decoder_trim(d, DECODER_KEEP_BYTES);
    pthread_mutex_lock(&in->pool_mu);
    if (in->npool < POOL_MAX) {
        in->pool[in->npool++] = d;
        d = NULL;
    }
    pthread_mutex_unlock(&in->pool_mu);
    ingest_decoder_destroy(&d);
}

/* ---- the handler --------------------------------------------------------- */

static const char *
header(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

static void
read_headers(struct MHD_Connection *c, struct request *rq)
{
    struct ingest_request *q = &rq->req;

    q->content_type = header(c, "Content-Type");
    q->content_encoding = header(c, "Content-Encoding");
    q->idempotency_key = header(c, "Idempotency-Key");
    q->host = header(c, "X-Estel-Host");
    q->boot = header(c, "X-Estel-Boot");
    q->first_seq = header(c, "X-Estel-First-Seq");
    q->last_seq = header(c, "X-Estel-Last-Seq");
    q->records = header(c, "X-Estel-Records");
    q->raw_bytes = header(c, "X-Estel-Raw-Bytes");
    q->checksum = header(c, "X-Estel-Checksum");
    q->schema = header(c, "X-Estel-Schema");
    q->user_agent = header(c, "User-Agent");
}

static uint64_t
content_length(struct MHD_Connection *c)
{
    const char *v = header(c, "Content-Length");
    char *end;
    unsigned long long n;

    if (v == NULL || v[0] < '0' || v[0] > '9')
        return UINT64_MAX;
    errno = 0;
    n = strtoull(v, &end, 10);
    return errno == 0 && *end == '\0' ? n : UINT64_MAX;
}

/* First call: everything that can be decided from the headers. */
static enum MHD_Result
start(struct ingest *in, struct MHD_Connection *c, const char *url,
      const char *method, void **con_cls)
{
    struct estel_err err = { 0 };
    struct request *rq;
    uint64_t cl;

    atomic_fetch_add(&in->stats.requests, 1);
    if ((rq = calloc(1, sizeof(*rq))) == NULL)
        return MHD_NO;
    buf_init(&rq->body, (size_t)in->cfg.max_body_bytes);
    *con_cls = rq;
    if (strcmp(url, BATCH_PATH) != 0)
        return respond(in, c, 404, "not found; POST batches to "
                       BATCH_PATH);
    if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
        return respond(in, c, 405, "only POST is allowed");
    if (auth_client_id(in->auth, c, rq->client_id, sizeof(rq->client_id)))
        rq->req.client_id = rq->client_id;
    read_headers(c, rq);
    cl = content_length(c);
    if (ingest_check_headers(&rq->req, cl, in->cfg.max_body_bytes,
                             in->cfg.max_batch_bytes, &rq->res, &err) !=
        ESTEL_OK)
        return respond(in, c, rq->res.status, err.msg);
    /* cheap early answer for a retry; the committer decides for real */
    if (ingest_dedupe_has(in->dd, rq->res.host_id, rq->res.boot_id,
                          rq->res.first_seq, time(NULL)))
        return respond(in, c, 409, "batch already stored");
    if (cl != UINT64_MAX && buf_reserve(&rq->body, (size_t)cl) != ESTEL_OK)
        return respond(in, c, 503, "out of memory for the body; retry "
                       "later");
    return MHD_YES;
}

static enum MHD_Result
upload(struct ingest *in, struct request *rq, const char *data, size_t *n)
{
    if (!rq->too_big && rq->body.len + *n > in->cfg.max_body_bytes) {
        rq->too_big = true;
        buf_free(&rq->body);
    }
    if (rq->too_big) {
        /* drain so the 413 can be sent; a client that keeps going past
         * twice the limit is cut off */
        rq->discarded += *n;
        *n = 0;
        return rq->discarded > in->cfg.max_body_bytes ? MHD_NO : MHD_YES;
    }
    if (buf_append(&rq->body, data, *n) != ESTEL_OK)
        return MHD_NO;
    *n = 0;
    return MHD_YES;
}

static enum MHD_Result
finish(struct ingest *in, struct MHD_Connection *c, struct request *rq)
{
    struct estel_err err = { 0 };
    struct ingest_decoder *d;
    uint64_t body_len = rq->body.len;
    char reason[256];
    int status;

    if (rq->too_big)
        return respond(in, c, 413, "body exceeds IngestMaxBodyBytes");
    if ((d = decoder_take(in)) == NULL)
        return respond(in, c, 503, "out of memory; retry later");
    if (ingest_decode(d, &rq->req, (const uint8_t *)rq->body.data,
                      rq->body.len, estel_now_realtime_ns(), &rq->res,
                      &err) != ESTEL_OK) {
        decoder_give(in, d);
        return respond(in, c, rq->res.status >= 400 ? rq->res.status : 500,
                       err.msg);
    }
    /* the body is no longer needed while the committer works */
    buf_free(&rq->body);
    status = committer_submit(in->cm, &rq->res, body_len, reason,
                              sizeof(reason));
    decoder_give(in, d);
    return respond(in, c, status, reason);
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *c, const char *url,
        const char *method, const char *version, const char *upload_data,
        size_t *upload_data_size, void **con_cls)
{
    struct ingest *in = cls;
    struct request *rq = *con_cls;

    (void)version;
    if (rq == NULL)
        return start(in, c, url, method, con_cls);
    if (*upload_data_size > 0)
        return upload(in, rq, upload_data, upload_data_size);
    return finish(in, c, rq);
}

static void
completed(void *cls, struct MHD_Connection *c, void **con_cls,
          enum MHD_RequestTerminationCode toe)
{
    struct request *rq = *con_cls;

    (void)cls;
    (void)c;
    (void)toe;
    if (rq == NULL)
        return;
    buf_free(&rq->body);
    free(rq);
    *con_cls = NULL;
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[512];
    size_t n;

    (void)cls;
    vsnprintf(line, sizeof(line), fmt, ap);
    n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    log_debug("ingest: libmicrohttpd: %s", line);
}

/* ---- life cycle ---------------------------------------------------------- */

static enum estel_rc
start_daemon(struct ingest *in, struct estel_err *err)
{
    unsigned threads = in->cfg.threads;
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
    unsigned conns = in->cfg.max_connections ? in->cfg.max_connections :
                     256;

    if (threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);

        /* two per CPU: a worker waiting for the committer's fsync should
         * not keep a core from decoding the next batch */
        threads = n > 0 && n < 32 ? 2 * (unsigned)n : 4;
    }
    if (auth_tls_cert(in->auth) != NULL)
        flags |= MHD_USE_TLS;
    /* bodies are collected by us, not by MHD's connection pool */
    if (auth_tls_cert(in->auth) != NULL)
        in->mhd = MHD_start_daemon(flags, 0, NULL, NULL, handler, in,
            MHD_OPTION_LISTEN_SOCKET, in->listen_fd,
            MHD_OPTION_THREAD_POOL_SIZE, threads,
            MHD_OPTION_CONNECTION_LIMIT, conns,
            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
            MHD_OPTION_NOTIFY_COMPLETED, completed, in,
            MHD_OPTION_EXTERNAL_LOGGER, mhd_log, in,
            MHD_OPTION_HTTPS_MEM_CERT, auth_tls_cert(in->auth),
            MHD_OPTION_HTTPS_MEM_KEY, auth_tls_key(in->auth),
            MHD_OPTION_HTTPS_MEM_TRUST, auth_tls_ca(in->auth),
            MHD_OPTION_HTTPS_PRIORITIES,
            "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
            MHD_OPTION_END);
    else
        in->mhd = MHD_start_daemon(flags, 0, NULL, NULL, handler, in,
            MHD_OPTION_LISTEN_SOCKET, in->listen_fd,
            MHD_OPTION_THREAD_POOL_SIZE, threads,
            MHD_OPTION_CONNECTION_LIMIT, conns,
            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
            MHD_OPTION_NOTIFY_COMPLETED, completed, in,
            MHD_OPTION_EXTERNAL_LOGGER, mhd_log, in,
            MHD_OPTION_END);
    if (in->mhd == NULL)
        return estel_fail(err, ESTEL_E_IO, "ingest: libmicrohttpd did not "
                          "start on %s (for direct TLS check the PEM files "
                          "of IngestTLSCertificate/Key/ClientCA)",
                          in->address);
    return ESTEL_OK;
}

enum estel_rc
ingest_open(struct ingest **out, const struct ingest_config *cfg,
            struct estel_err *err)
{
    struct ingest *in;
    enum estel_rc rc;

    if ((in = calloc(1, sizeof(*in))) == NULL)
        return estel_fail(err, ESTEL_E_NOMEM, "ingest: out of memory");
    in->cfg = *cfg;
    in->listen_fd = in->dirfd = in->statefd = in->lockfd = -1;
    pthread_mutex_init(&in->pool_mu, NULL);
    if ((rc = auth_create(&in->auth, cfg, err)) != ESTEL_OK ||
        (rc = outdir_open(cfg->out_dir, &in->dirfd, &in->statefd,
                          &in->lockfd, err)) != ESTEL_OK ||
        (rc = ingest_out_open(&in->out, in->dirfd, cfg->rotate_bytes,
                              cfg->rotate_s, cfg->full_fsync, err)) !=
        ESTEL_OK ||
        (rc = ingest_dedupe_open(&in->dd, in->statefd, cfg->dedupe_ttl_s,
                                 time(NULL), err)) != ESTEL_OK ||
        (rc = committer_start(&in->cm, in->out, in->dd, in->dirfd,
                              &in->stats, err)) != ESTEL_OK ||
        (rc = listen_open(cfg->listen, &in->listen_fd, in->address,
                          sizeof(in->address), err)) != ESTEL_OK ||
        (rc = start_daemon(in, err)) != ESTEL_OK) {
        ingest_close(&in);
        return rc;
    }
    *out = in;
    return ESTEL_OK;
}

const char *
ingest_address(const struct ingest *in)
{
    return in->address;
}

void
ingest_tick(struct ingest *in)
{
    committer_wake(in->cm);
}

struct ingest_stats *
ingest_stats(struct ingest *in)
{
    return &in->stats;
}

void
ingest_stop(struct ingest *in)
{
    /* MHD first: it waits for handlers, which the committer completes */
    if (in->mhd != NULL) {
        MHD_stop_daemon(in->mhd);
        in->mhd = NULL;
    }
    if (in->listen_fd >= 0) {
        listen_close(in->cfg.listen, in->listen_fd);
        in->listen_fd = -1;
    }
    committer_stop(&in->cm);
    if (in->out != NULL) {
        struct estel_err err = { 0 };

        if (ingest_out_rotate(in->out, true, &err) != ESTEL_OK)
            log_warnx("%s", err.msg);
        atomic_store(&in->stats.files_closed,
                     ingest_out_files_closed(in->out));
    }
    ingest_dedupe_close(&in->dd);
    ingest_out_close(&in->out);
}

void
ingest_close(struct ingest **inp)
{
    struct ingest *in;

    if (inp == NULL || (in = *inp) == NULL)
        return;
    ingest_stop(in);
    for (size_t i = 0; i < in->npool; i++)
        ingest_decoder_destroy(&in->pool[i]);
    auth_destroy(&in->auth);
    if (in->lockfd >= 0)
        close(in->lockfd);
    if (in->statefd >= 0)
        close(in->statefd);
    if (in->dirfd >= 0)
        close(in->dirfd);
    pthread_mutex_destroy(&in->pool_mu);
    free(in);
    *inp = NULL;
}
