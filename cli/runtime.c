/*
 * runtime.c - struct estel_runtime: builds the pipeline from the
 * configuration, runs its threads and stops them in pipeline order.
 * See runtime.h for the picture.  This is the only global-ish state of the
 * agent, and it is not global: main owns it and passes it down.
 */
#include "cli/runtime.h"
#include "collector/collector.h"
#include "common/log.h"
#include "common/platform.h"
#include "common/ring.h"
#include "spool/spool.h"
#include "transport/transport.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct estel_runtime {
    struct runtime_options opt;
    struct estel_config cfg;
    struct record_identity id;
    struct ring *ring;
    struct spool *spool;
    struct collector *collector;
    struct batcher *batcher;
    struct transport *transport;        /* NULL: spool only */
    const struct source_ops *src;
    void *src_ctx;
    struct record_encoder *tick_enc;    /* batcher thread: gap, status */
    int64_t next_status_ns;
    int64_t next_state_ns;
    int64_t started_ns;                 /* monotonic */
    int64_t started_wall_ns;
    struct spool_prev_run prev_run;     /* what begin_run found */
    pthread_t source_thr, batcher_thr, uploader_thr;
    bool source_started, batcher_started, uploader_started;
    _Atomic bool source_done, batcher_done, uploader_done, stop;
    struct estel_err source_err, batcher_err, uploader_err;
    bool state_warned;
};

static enum estel_rc export_identity(struct estel_runtime *rt,
                                     struct estel_err *err);

/* ---- configuration ------------------------------------------------------ */

enum estel_rc
runtime_configure(struct estel_config *cfg, const struct runtime_options *opt,
                  struct estel_err *err)
{
    enum estel_rc rc;

    if ((rc = config_defaults(cfg, err)) != ESTEL_OK)
        return rc;
    rc = config_load(cfg, opt->config_path, opt->managed_path, err);
    if (rc == ESTEL_OK && opt->spool_dir != NULL)
        rc = config_set(cfg, "SpoolDirectory", opt->spool_dir,
                        CONFIG_FROM_FLAG, err);
    if (rc == ESTEL_OK && opt->server_url != NULL)
        rc = config_set(cfg, "ServerURL", opt->server_url, CONFIG_FROM_FLAG,
                        err);
    if (rc == ESTEL_OK)
        rc = config_validate(cfg, err);
    return rc;
}

static enum estel_rc
make_identity(struct record_identity *id, const struct estel_config *cfg,
              struct estel_err *err)
{
    enum estel_rc rc;

    memset(id, 0, sizeof(*id));
    if (cfg->host_id != NULL) {
        if (strlen(cfg->host_id) >= sizeof(id->host_id))
            return estel_fail(err, ESTEL_E_CONFIG, "HostID is longer than "
                              "%zu characters", sizeof(id->host_id) - 1);
        memcpy(id->host_id, cfg->host_id, strlen(cfg->host_id));
    } else if ((rc = estel_host_id(id->host_id, sizeof(id->host_id), err))
               != ESTEL_OK) {
        return rc;
    }
    return estel_boot_id(id->boot_id, sizeof(id->boot_id), err);
}

/* ---- records the batcher thread makes: gap (eviction) and status -------- */

static size_t
on_gap(void *ctx, const struct spool_gap *gap, const uint8_t **rec)
{
    struct estel_runtime *rt = ctx;

    return collector_encode_gap(rt->collector, rt->tick_enc, gap->first_seq,
                                gap->last_seq, gap->records, gap->batches,
                                gap->reason, rec);
}

#define STATUS_MAX_FIELDS 48

/*
 * The small state file `estel status` reads (spool/state/status.json):
 * written by the batcher thread every 2 s, and once more at exit with
 * running = false.  A failure is logged once per change, never fatal.
 */
static void
write_state(struct estel_runtime *rt, bool running)
{
    struct collector_stats *cs = collector_stats(rt->collector);
    struct transport_state_extra x;
    struct estel_err e = { 0 };

    memset(&x, 0, sizeof(x));
    x.started_ns = rt->started_wall_ns;
    x.running = running;
    x.spool_max_bytes = rt->cfg.spool_max_bytes;
    x.events_in = atomic_load(&cs->events_in);
    x.records_out = atomic_load(&cs->records_out);
    x.events_dropped = atomic_load(&cs->dropped_ring_full) +
                       atomic_load(&cs->dropped_too_big) +
                       atomic_load(&cs->es_dropped);
    x.crashes_reported = rt->prev_run.crashes;
    x.crash_prev_pid = rt->prev_run.pid;
    if (transport_write_state(rt->cfg.spool_dir, rt->transport, rt->spool,
                              &x, &e) != ESTEL_OK) {
        if (!rt->state_warned)
            log_warnx("status file: %s", e.msg);
        rt->state_warned = true;
    } else {
        rt->state_warned = false;
    }
}

static void
add_u(struct ev_field *f, size_t *n, const char *key, uint64_t v)
{
    if (*n < STATUS_MAX_FIELDS)
        f[(*n)++] = (struct ev_field){ .key = key, .kind = EV_UINT,
                                       .v.u = v };
}

static size_t
on_tick(void *ctx, const uint8_t **rec)
{
    struct estel_runtime *rt = ctx;
    struct collector_stats *cs = collector_stats(rt->collector);
    struct spool_stats *ss = spool_stats(rt->spool);
    struct ev_field f[STATUS_MAX_FIELDS];
    int64_t now = estel_now_mono_ns(), oldest;
    size_t n = 0, len;

    if (now >= rt->next_state_ns) {
        rt->next_state_ns = now + 2 * (int64_t)1000000000;
        write_state(rt, true);
    }
    if (rt->cfg.status_interval_s == 0 || now < rt->next_status_ns)
        return 0;
    rt->next_status_ns = now + (int64_t)rt->cfg.status_interval_s *
                               1000000000;
    if (rt->cfg.client_identity_name != NULL) {
        struct estel_err e = { 0 };

        if (export_identity(rt, &e) != ESTEL_OK)
            log_warnx("client identity: %s", e.msg);
    }
    oldest = atomic_load(&ss->oldest_ready_ns);
    add_u(f, &n, "uptime_s", (uint64_t)((now - rt->started_ns) / 1000000000));
    add_u(f, &n, "events_in", atomic_load(&cs->events_in));
    add_u(f, &n, "events_filtered", atomic_load(&cs->events_filtered));
    add_u(f, &n, "records_out", atomic_load(&cs->records_out));
    add_u(f, &n, "dropped_ring_full", atomic_load(&cs->dropped_ring_full));
    add_u(f, &n, "dropped_too_big", atomic_load(&cs->dropped_too_big));
    add_u(f, &n, "bad_input", atomic_load(&cs->bad_input));
    add_u(f, &n, "es_dropped", atomic_load(&cs->es_dropped));
    add_u(f, &n, "gaps", atomic_load(&cs->gaps_emitted));
    add_u(f, &n, "batches_spooled", atomic_load(&ss->batches_written));
    add_u(f, &n, "bytes_spooled", atomic_load(&ss->bytes_written));
    add_u(f, &n, "batches_evicted", atomic_load(&ss->batches_evicted));
    add_u(f, &n, "records_evicted", atomic_load(&ss->records_evicted));
    add_u(f, &n, "batches_bad", atomic_load(&ss->batches_bad));
    add_u(f, &n, "spool_bytes", atomic_load(&ss->ready_bytes));
    add_u(f, &n, "spool_batches", atomic_load(&ss->ready_batches));
    add_u(f, &n, "spool_max_bytes", rt->cfg.spool_max_bytes);
    add_u(f, &n, "oldest_unsent_age_s", oldest == 0 ? 0 :
          (uint64_t)((estel_now_realtime_ns() - oldest) / 1000000000));
    if (rt->transport != NULL)
        n += transport_status_fields(rt->transport, f + n,
                                     STATUS_MAX_FIELDS - n);
    if (record_encode_collector(rt->tick_enc, "status",
                                collector_take_seq(rt->collector),
                                estel_now_realtime_ns(), f, n, rec, &len)
        != ESTEL_OK)
        return 0;
    return len;
}

/*
 * The last agent on this spool died with records in memory (its marker was
 * still there): say so in the stream before anything else, as a gap
 * record with reason "crash".  How many records were lost is not known;
 * their sequence numbers are given again from this record's own on.
 */
static enum estel_rc
begin_run(struct estel_runtime *rt, struct estel_err *err)
{
    struct spool_prev_run prev;
    struct ev_field f[5];
    size_t n = 0;
    uint64_t seq = 0;
    enum estel_rc rc;

    if ((rc = spool_begin_run(rt->spool, rt->started_wall_ns, &prev, err))
        != ESTEL_OK || prev.crashes == 0)
        return rc;
    rt->prev_run = prev;
    f[n++] = (struct ev_field){ .key = "reason", .kind = EV_STR,
                                .v.s = ev_cstr("crash") };
    f[n++] = (struct ev_field){ .key = "crashes", .kind = EV_UINT,
                                .v.u = prev.crashes };
    if (prev.pid != 0)
        f[n++] = (struct ev_field){ .key = "prev_pid", .kind = EV_INT,
                                    .v.i = prev.pid };
    if (prev.started_ns != 0)
        f[n++] = (struct ev_field){ .key = "prev_started", .kind = EV_INT,
                                    .v.i = prev.started_ns };
    if (prev.last_sealed_ns != 0)
        f[n++] = (struct ev_field){ .key = "last_sealed", .kind = EV_INT,
                                    .v.i = prev.last_sealed_ns };
    log_warnx("the last run (pid %lld) did not stop cleanly: what it held "
              "in memory is lost; reported as a gap record (reason crash)",
              (long long)prev.pid);
    if (collector_emit_gap(rt->collector, f, n, &seq) != ESTEL_OK ||
        seq != prev.report_seq)
        log_warnx("the crash report could not be the run's first record "
                  "(number %llu, expected %llu)", (unsigned long long)seq,
                  (unsigned long long)prev.report_seq);
    return ESTEL_OK;
}

/* ---- building the pipeline ---------------------------------------------- */

/*
 * With ClientIdentityName (macOS), the client certificate an MDM payload put
 * in the System keychain is exported to ClientCertificate/ClientKey before
 * the transport checks them, and again on every status tick: the export is
 * a no-op while the certificate is unchanged, and the transport picks up
 * new files on its next connection (certificate renewal by SCEP/ACME).
 */
static enum estel_rc
export_identity(struct estel_runtime *rt, struct estel_err *err)
{
    if (rt->cfg.client_identity_name == NULL)
        return ESTEL_OK;
    return estel_identity_export(rt->cfg.client_identity_name,
                                 rt->cfg.client_cert, rt->cfg.client_key,
                                 err);
}

static enum estel_rc
open_spool(struct estel_runtime *rt, struct estel_err *err)
{
    struct spool_config sc;

    memset(&sc, 0, sizeof(sc));
    sc.dir = rt->cfg.spool_dir;
    sc.max_bytes = rt->cfg.spool_max_bytes;
    sc.max_age_s = rt->cfg.spool_max_age_s;
    sc.batch_max_bytes = rt->cfg.batch_max_bytes;
    sc.batch_max_records = rt->cfg.batch_max_records;
    sc.batch_max_age_ms = rt->cfg.batch_max_age_ms;
    sc.compression_level = rt->cfg.compression_level;
    sc.full_fsync = rt->cfg.full_fsync;
    sc.bad_max_bytes = rt->cfg.spool_max_bytes / 10;
    sc.dead_max_bytes = rt->cfg.spool_max_bytes / 10;
    sc.host_id = rt->id.host_id;
    sc.boot_id = rt->id.boot_id;
    return spool_open(&rt->spool, &sc, err);
}

enum estel_rc
runtime_create(struct estel_runtime **out, const struct runtime_options *opt,
               struct estel_err *err)
{
    struct estel_runtime *rt;
    struct record_limits lim;
    enum estel_rc rc;

    if ((rt = calloc(1, sizeof(*rt))) == NULL)
        return estel_fail(err, ESTEL_E_NOMEM, "runtime: out of memory");
    rt->opt = *opt;
    if ((rt->src = source_find(opt->source)) == NULL) {
        free(rt);
        return estel_fail(err, ESTEL_E_USAGE, "unknown source '%s'; use "
                          "es, eslogger or synthetic", opt->source);
    }
    if ((rc = runtime_configure(&rt->cfg, opt, err)) != ESTEL_OK)
        goto fail;
    if ((rc = make_identity(&rt->id, &rt->cfg, err)) != ESTEL_OK)
        goto fail;
    if ((rc = open_spool(rt, err)) != ESTEL_OK)
        goto fail;
    if ((rc = ring_create(&rt->ring, rt->cfg.ring_bytes, err)) != ESTEL_OK)
        goto fail;
    rc = collector_create(&rt->collector, &rt->cfg, rt->ring, &rt->id,
                          spool_next_seq(rt->spool),
                          strcmp(opt->source, "es") != 0, err);
    if (rc != ESTEL_OK)
        goto fail;
    lim.argv_max_bytes = rt->cfg.argv_max_bytes;
    lim.argv_max_count = rt->cfg.argv_max_count;
    lim.capture_environment = rt->cfg.capture_environment;
    if ((rc = record_encoder_create(&rt->tick_enc, &rt->id, &lim, err))
        != ESTEL_OK)
        goto fail;
    rc = batcher_create(&rt->batcher, rt->spool, rt->ring, on_gap, rt, err);
    if (rc != ESTEL_OK)
        goto fail;
    batcher_set_tick(rt->batcher, on_tick, rt);
    if ((rc = export_identity(rt, err)) != ESTEL_OK)
        goto fail;
    if (rt->cfg.server_url != NULL &&
        (rc = transport_create(&rt->transport, &rt->cfg, rt->spool, err))
        != ESTEL_OK)
        goto fail;
    rc = rt->src->open(&rt->src_ctx, &rt->cfg, opt->input, opt->count,
                       opt->seed, err);
    if (rc != ESTEL_OK)
        goto fail;
    *out = rt;
    return ESTEL_OK;
fail:
    runtime_destroy(&rt);
    return rc;
}

void
runtime_destroy(struct estel_runtime **rtp)
{
    struct estel_runtime *rt;

    if (rtp == NULL || (rt = *rtp) == NULL)
        return;
    if (rt->src_ctx != NULL)
        rt->src->close(&rt->src_ctx);
    transport_destroy(&rt->transport);
    batcher_destroy(&rt->batcher);
    record_encoder_destroy(&rt->tick_enc);
    collector_destroy(&rt->collector);
    ring_destroy(&rt->ring);
    spool_close(&rt->spool);
    config_free(&rt->cfg);
    free(rt);
    *rtp = NULL;
}

/* ---- threads ------------------------------------------------------------ */

static void *
source_main(void *arg)
{
    struct estel_runtime *rt = arg;
    enum estel_rc rc = rt->src->run(rt->src_ctx, rt->collector,
                                    &rt->source_err);

    if (rc != ESTEL_OK && rc != ESTEL_E_EOF)
        log_warnx("source %s: %s", rt->src->name, rt->source_err.msg);
    /* the source is the ring's only producer: it alone may close it */
    ring_close(rt->ring);
    atomic_store(&rt->source_done, true);
    return NULL;
}

static void *
batcher_main(void *arg)
{
    struct estel_runtime *rt = arg;

    if (batcher_run(rt->batcher, &rt->batcher_err) != ESTEL_OK)
        log_warnx("batcher: %s", rt->batcher_err.msg);
    atomic_store(&rt->batcher_done, true);
    if (rt->transport != NULL && rt->opt.drain) {
        transport_set_draining(rt->transport);
        batcher_report_lost_until(rt->batcher, &rt->uploader_done);
    }
    return NULL;
}

static void *
uploader_main(void *arg)
{
    struct estel_runtime *rt = arg;

    if (transport_run(rt->transport, &rt->uploader_err) != ESTEL_OK)
        log_warnx("uploader: %s", rt->uploader_err.msg);
    atomic_store(&rt->uploader_done, true);
    return NULL;
}

static enum estel_rc
start_threads(struct estel_runtime *rt, struct estel_err *err)
{
    int e;

    if ((e = pthread_create(&rt->batcher_thr, NULL, batcher_main, rt)) != 0)
        goto fail;
    rt->batcher_started = true;
    if (rt->transport != NULL) {
        if ((e = pthread_create(&rt->uploader_thr, NULL, uploader_main,
                                rt)) != 0)
            goto fail;
        rt->uploader_started = true;
    }
    if ((e = pthread_create(&rt->source_thr, NULL, source_main, rt)) != 0)
        goto fail;
    rt->source_started = true;
    return ESTEL_OK;
fail:
    errno = e;
    return estel_fail_errno(err, ESTEL_E_IO, "cannot start a thread");
}

void
runtime_block_signals(void)
{
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
}

void
runtime_request_stop(struct estel_runtime *rt)
{
    atomic_store(&rt->stop, true);
}

/* Is the run over (drain mode: everything delivered)? */
static bool
drained(const struct estel_runtime *rt)
{
    if (!rt->opt.drain)
        return false;
    if (rt->transport == NULL)
        return atomic_load(&rt->batcher_done);
    return atomic_load(&rt->uploader_done);
}

static void
wait_for_end(struct estel_runtime *rt)
{
    const struct timespec tick = { 0, 100000000 };
    sigset_t set;
    int sig;

    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    while (!atomic_load(&rt->stop) && !drained(rt)) {
        sig = sigtimedwait(&set, NULL, &tick);
        if (sig == SIGINT || sig == SIGTERM) {
            log_info("signal %d: stopping", sig);
            break;
        }
        if (sig == SIGHUP) {
            log_info("SIGHUP: certificates are re-read on the next "
                     "connection; restart to apply other settings");
            if (rt->transport != NULL)
                transport_wake(rt->transport);
        }
        /* a finite source with no drain request: stop when it is done */
        if (!rt->opt.drain && atomic_load(&rt->batcher_done) &&
            (rt->transport == NULL || atomic_load(&rt->uploader_done)))
            break;
    }
}

static void
stop_threads(struct estel_runtime *rt)
{
    /* pipeline order: source, then batcher (drains the ring and seals the
     * last batch), then the uploader within its grace period */
    if (rt->source_started) {
        rt->src->stop(rt->src_ctx);
        pthread_join(rt->source_thr, NULL);
    }
    if (rt->batcher_started)
        pthread_join(rt->batcher_thr, NULL);
    if (rt->uploader_started) {
        transport_stop(rt->transport, rt->opt.grace_ms > 0 ?
                       rt->opt.grace_ms : 5000);
        pthread_join(rt->uploader_thr, NULL);
    }
}

enum estel_rc
runtime_run(struct estel_runtime *rt, struct estel_err *err)
{
    struct collector_stats *cs;
    enum estel_rc rc;

    rt->started_ns = estel_now_mono_ns();
    rt->started_wall_ns = estel_now_realtime_ns();
    rt->next_status_ns = rt->started_ns +
                         (int64_t)rt->cfg.status_interval_s * 1000000000;
    log_info("starting: source %s, spool %s, %s", rt->src->name,
             rt->cfg.spool_dir, rt->cfg.server_url != NULL ?
             rt->cfg.server_url : "no server (spool only)");
    if ((rc = begin_run(rt, err)) != ESTEL_OK)
        return rc;
    if ((rc = start_threads(rt, err)) != ESTEL_OK) {
        runtime_request_stop(rt);
        stop_threads(rt);
        return rc;
    }
    wait_for_end(rt);
    stop_threads(rt);
    /* an orderly stop: everything the source gave was sealed (or reported
     * lost), so the next start has no crash to report */
    if (rt->batcher_err.rc == ESTEL_OK)
        spool_end_run(rt->spool);
    write_state(rt, false);
    cs = collector_stats(rt->collector);
    log_info("stopped: %llu events in, %llu records, %llu filtered, "
             "%llu dropped, %llu bad input",
             (unsigned long long)atomic_load(&cs->events_in),
             (unsigned long long)atomic_load(&cs->records_out),
             (unsigned long long)atomic_load(&cs->events_filtered),
             (unsigned long long)(atomic_load(&cs->dropped_ring_full) +
                                  atomic_load(&cs->dropped_too_big)),
             (unsigned long long)atomic_load(&cs->bad_input));
    if (rt->batcher_err.rc != ESTEL_OK)
        return estel_fail(err, rt->batcher_err.rc, "%s", rt->batcher_err.msg);
    if (rt->opt.drain && rt->uploader_err.rc != ESTEL_OK)
        return estel_fail(err, rt->uploader_err.rc, "%s",
                          rt->uploader_err.msg);
    if (rt->source_err.rc != ESTEL_OK && rt->source_err.rc != ESTEL_E_EOF)
        return estel_fail(err, rt->source_err.rc, "%s", rt->source_err.msg);
    return ESTEL_OK;
}
