/*
 * uploader.c - the transport object and its thread loop.
 *
 * One thread (transport_run) owns a curl multi handle with 1..16 request
 * slots (UploadConcurrency).  Each turn of the loop it:
 *   1. checks the TLS files (once a second) and, when they changed and
 *      pass their checks, rebuilds the handles once no request is in
 *      flight, so the next connection presents the new certificate;
 *   2. fills idle slots with the oldest ready batches, unless a backoff
 *      wait or the upload pace says not yet (deliver.c);
 *   3. drives the transfers, or waits: poll() on a self-pipe (wake, stop,
 *      drain) and the network-change socket while backing off, or
 *      spool_wait_ready() while the spool is empty.
 * Stop: no new requests; in-flight ones get until the grace deadline,
 * then the progress callback aborts them.  Their batches stay in ready/.
 * Only the self-pipe, the flags and the stats cross threads.
 */
#include "transport/transport_int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "config/config.h"

#define DEFAULT_CONNECT_TIMEOUT_S 10
#define DEFAULT_REQUEST_TIMEOUT_S 60
#define DEFAULT_RETRY_MAX_S 300
#define IDLE_WAIT_MS 1000

/* ---- wake-ups ---------------------------------------------------------- */

static void
wake(struct transport *t)
{
    const char c = 1;

    /* a full pipe already holds a wake-up: EAGAIN is fine */
    if (t->wake_wr >= 0 && write(t->wake_wr, &c, 1) < 0 && errno != EAGAIN)
        log_warn("upload: cannot wake the uploader thread");
    spool_kick(t->sp);
}

static void
drain_wake(struct transport *t)
{
    char buf[64];

    while (read(t->wake_rd, buf, sizeof(buf)) > 0)
        continue;
}

void
transport_wake(struct transport *t)
{
    if (t != NULL)
        wake(t);
}

void
transport_set_draining(struct transport *t)
{
    atomic_store(&t->draining, true);
    wake(t);
}

void
transport_stop(struct transport *t, int64_t grace_ms)
{
    if (t == NULL)
        return;
    atomic_store(&t->abort_at_ns, estel_now_mono_ns() +
                 (grace_ms > 0 ? grace_ms : 0) * NS_PER_MS);
    atomic_store(&t->stopping, true);
    wake(t);
}

bool
transport_should_abort(struct transport *t)
{
    int64_t at;

    if (atomic_load(&t->abort_now))
        return true;
    if (!atomic_load(&t->stopping))
        return false;
    at = atomic_load(&t->abort_at_ns);
    return estel_now_mono_ns() >= at;
}

struct transport_stats *
transport_stats(struct transport *t)
{
    return &t->stats;
}

/* ---- create / destroy --------------------------------------------------- */

static bool
is_loopback_http(const char *url)
{
    static const char *const ok[] = { "http://127.0.0.1", "http://localhost",
                                      "http://[::1]" };

    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        size_t n = strlen(ok[i]);

        if (strncmp(url, ok[i], n) == 0 &&
            (url[n] == ':' || url[n] == '/' || url[n] == '\0'))
            return true;
    }
    return false;
}

static enum estel_rc
set_opts(struct transport *t, const struct estel_config *cfg,
         struct estel_err *err)
{
    struct http_opts *o = &t->opts;
    uint32_t conc = cfg->upload_concurrency;

    http_url_safe(cfg->server_url, t->url_safe, sizeof(t->url_safe));
    if (strncmp(cfg->server_url, "https://", 8) != 0) {
        if (!is_loopback_http(cfg->server_url))
            return estel_fail(err, ESTEL_E_CONFIG, "ServerURL %s: use "
                              "https://; estel sends batches only over TLS "
                              "(plain http only to 127.0.0.1 for demos)",
                              t->url_safe);
        o->allow_http = true;
        log_warnx("upload: ServerURL %s is plain http: no TLS, no client "
                  "certificate (loopback demo only)", t->url_safe);
    }
    o->url = cfg->server_url;
    o->proxy = cfg->proxy;
    o->pinned_key = cfg->server_pinned_key;
    o->connect_timeout_ms = (long)(cfg->connect_timeout_s != 0 ?
                                   cfg->connect_timeout_s :
                                   DEFAULT_CONNECT_TIMEOUT_S) * 1000;
    o->request_timeout_ms = (long)(cfg->request_timeout_s != 0 ?
                                   cfg->request_timeout_s :
                                   DEFAULT_REQUEST_TIMEOUT_S) * 1000;
    o->low_speed_time_s = o->request_timeout_ms / 1000 < 30 ?
                          o->request_timeout_ms / 1000 : 30;
    if (o->low_speed_time_s < 1)
        o->low_speed_time_s = 1;
    t->nslots = conc == 0 ? 1 : conc > TRANSPORT_SLOTS_MAX ?
                TRANSPORT_SLOTS_MAX : conc;
    /* curl limits each transfer; together they stay under the limit */
    o->max_send_bps = cfg->upload_max_bytes_per_sec / t->nslots;
    if (cfg->upload_max_bytes_per_sec > 0 && o->max_send_bps == 0)
        o->max_send_bps = 1;
    return ESTEL_OK;
}

static enum estel_rc
open_pipe(struct transport *t, struct estel_err *err)
{
    int fds[2];

    if (pipe(fds) != 0)
        return estel_fail_errno(err, ESTEL_E_IO, "upload: pipe");
    t->wake_rd = fds[0];
    t->wake_wr = fds[1];
    for (int i = 0; i < 2; i++)
        if (fcntl(fds[i], F_SETFL, O_NONBLOCK) != 0 ||
            fcntl(fds[i], F_SETFD, FD_CLOEXEC) != 0)
            return estel_fail_errno(err, ESTEL_E_IO, "upload: fcntl");
    return ESTEL_OK;
}

enum estel_rc
transport_create(struct transport **out, const struct estel_config *cfg,
                 struct spool *sp, struct estel_err *err)
{
    struct transport *t;
    enum estel_rc rc;
    uint64_t seed;

    if (cfg->server_url == NULL || cfg->server_url[0] == '\0')
        return estel_fail(err, ESTEL_E_CONFIG, "ServerURL is not set; set "
                          "it, or run without a server (spool only)");
    if ((t = calloc(1, sizeof(*t))) == NULL)
        return estel_fail(err, ESTEL_E_NOMEM, "upload: out of memory");
    t->cfg = cfg;
    t->sp = sp;
    t->wake_rd = t->wake_wr = -1;
    t->logged_class = -1;
    tls_material_init(&t->tls);
    tls_material_init(&t->tls_next);
    if (pthread_mutex_init(&t->mu, NULL) != 0) {
        free(t);
        return estel_fail(err, ESTEL_E_NOMEM, "upload: mutex");
    }
    if ((rc = set_opts(t, cfg, err)) != ESTEL_OK ||
        (rc = tls_material_load(&t->tls, cfg->client_cert, cfg->client_key,
                                cfg->server_ca, err)) != ESTEL_OK ||
        (rc = open_pipe(t, err)) != ESTEL_OK)
        goto fail;
    atomic_store(&t->stats.client_cert_expiry_ns, t->tls.not_after_ns);
    atomic_store(&t->stats.last_class, TRANSPORT_OK);
    seed = (uint64_t)estel_now_realtime_ns() ^
           ((uint64_t)estel_now_mono_ns() << 17) ^
           ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)t;
    backoff_init(&t->bo, (int64_t)(cfg->retry_max_s != 0 ? cfg->retry_max_s :
                                   DEFAULT_RETRY_MAX_S) * 1000, seed);
    deliver_check_expiry(t, estel_now_realtime_ns());
    if (!t->tls.has_client && !t->opts.allow_http)
        log_warnx("upload: no ClientCertificate: a server that requires "
                  "one (mutual TLS) will refuse every batch");
    *out = t;
    return ESTEL_OK;
fail:
    transport_destroy(&t);
    return rc;
}

void
transport_destroy(struct transport **tp)
{
    struct transport *t;

    if (tp == NULL || (t = *tp) == NULL)
        return;
    deliver_close_handles(t);
    tls_material_free(&t->tls);
    tls_material_free(&t->tls_next);
    if (t->wake_rd >= 0)
        close(t->wake_rd);
    if (t->wake_wr >= 0)
        close(t->wake_wr);
    estel_netwatch_close(&t->nw);
    pthread_mutex_destroy(&t->mu);
    free(t);
    *tp = NULL;
}

/* ---- waiting ------------------------------------------------------------ */

/* The network path changed: shorten a transient wait (backoff.c). */
static void
on_netchange(struct transport *t, int64_t now)
{
    int64_t left_ms, new_ms;

    if (!estel_netwatch_drain(t->nw) || t->wait_until_ns <= now)
        return;
    left_ms = (t->wait_until_ns - now) / NS_PER_MS;
    new_ms = backoff_netwake(&t->bo, t->wait_class, left_ms);
    if (new_ms < left_ms && left_ms >= 1000) {
        t->wait_until_ns = now + new_ms * NS_PER_MS;
        log_info("upload: network changed; retrying in %lld ms instead of "
                 "%lld s", (long long)new_ms, (long long)(left_ms / 1000));
    }
}

/* Sleep until deadline (mono ns), a wake-up, or a network change. */
static void
wait_fds(struct transport *t, int64_t deadline)
{
    struct pollfd pfd[2];
    int64_t now = estel_now_mono_ns(), ms;
    nfds_t n = 1;

    ms = (deadline - now + NS_PER_MS - 1) / NS_PER_MS;
    if (ms <= 0)
        return;
    if (ms > IDLE_WAIT_MS)
        ms = IDLE_WAIT_MS;      /* re-check TLS files and stop flags */
    pfd[0].fd = t->wake_rd;
    pfd[0].events = POLLIN;
    if (t->nw != NULL) {
        pfd[1].fd = estel_netwatch_fd(t->nw);
        pfd[1].events = POLLIN;
        n = 2;
    }
    if (poll(pfd, n, (int)ms) <= 0)
        return;
    if (pfd[0].revents != 0)
        drain_wake(t);
    if (n == 2 && pfd[1].revents != 0)
        on_netchange(t, estel_now_mono_ns());
}

/* Drive transfers until something completes or a short timeout. */
static void
pump(struct transport *t, int64_t now)
{
    struct curl_waitfd extra = { t->wake_rd, CURL_WAIT_POLLIN, 0 };
    int running = 0, timeout_ms = 200;
    int64_t at;
    size_t before = t->in_flight;

    if (atomic_load(&t->stopping)) {
        at = atomic_load(&t->abort_at_ns);
        timeout_ms = at <= now ? 0 : (at - now) / NS_PER_MS < 200 ?
                     (int)((at - now) / NS_PER_MS) + 1 : 200;
    }
    (void)curl_multi_perform(t->multi, &running);  /* results: info_read */
    deliver_harvest(t);
    /* a slot came free: refill it before waiting on the others */
    if (t->in_flight == 0 || t->in_flight < before)
        return;
    deliver_background(t);
    if (curl_multi_poll(t->multi, &extra, 1, timeout_ms, NULL) != CURLM_OK)
        return;
    if (extra.revents != 0)
        drain_wake(t);
}

static bool
stop_now(struct transport *t, int64_t now)
{
    if (!atomic_load(&t->stopping))
        return false;
    if (t->in_flight == 0)
        return true;
    /* the progress callback aborts at the deadline; this is the backstop
     * for a transfer curl does not call back for */
    if (now >= atomic_load(&t->abort_at_ns) + 500 * NS_PER_MS) {
        deliver_abandon(t);
        return true;
    }
    return false;
}

enum estel_rc
transport_run(struct transport *t, struct estel_err *err)
{
    enum deliver_fill fill;
    enum estel_rc rc;
    int64_t now;
    struct estel_err nerr = { 0 };

    if (estel_netwatch_open(&t->nw, &nerr) != ESTEL_OK)
        log_info("upload: no network-change watch (%s); retries follow "
                 "the backoff only", nerr.msg);
    if ((rc = deliver_open_handles(t, err)) != ESTEL_OK)
        return rc;
    pace_init(&t->pace, t->cfg->upload_max_bytes_per_sec,
              estel_now_mono_ns());
    log_info("upload: sending to %s (%zu at a time%s)", t->url_safe,
             t->nslots, t->opts.proxy != NULL ? ", through Proxy" : "");
    for (;;) {
        /* read before looking for batches: draining is set after the
         * last batch is in ready/, so an empty look after it is final */
        bool draining = atomic_load(&t->draining);
        /* ... and gap records for our own refusals still to come */
        bool lost_pending = spool_lost_unwritten(t->sp) != 0;

        now = estel_now_mono_ns();
        if (stop_now(t, now))
            break;
        deliver_check_tls(t, now);
        fill = atomic_load(&t->stopping) ? DELIVER_BUSY :
               deliver_fill(t, now);
        if (t->in_flight > 0) {
            pump(t, now);
            continue;
        }
        deliver_flush_removes(t);
        if (fill == DELIVER_WAIT) {
            wait_fds(t, deliver_next_start(t, now));
        } else if (fill == DELIVER_EMPTY) {
            if (draining && !lost_pending)
                break;
            spool_wait_ready(t->sp, IDLE_WAIT_MS);
            drain_wake(t);
            if (t->nw != NULL)
                (void)estel_netwatch_drain(t->nw);  /* idle: nothing to
                                                       retry */
        }
    }
    if (t->in_flight > 0)
        deliver_abandon(t);
    deliver_flush_removes(t);
    log_info("upload: stopped (%llu batches sent, %llu in ready/)",
             (unsigned long long)atomic_load(&t->stats.batches_sent),
             (unsigned long long)atomic_load(&spool_stats(t->sp)->
                                             ready_batches));
    return ESTEL_OK;
}
