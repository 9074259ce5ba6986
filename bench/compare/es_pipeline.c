/*
 * es_pipeline.c - estel-es-pipeline: the side-by-side benchmark's ES path.
 *
 * The same events as the eslogger corpus, but as es_message_t's (built with
 * the fake ES runtime's message builder from corpus_to_es.py's table),
 * handed to the real ES handler (es_source_handle: convert + drop
 * detection + record encoding + ring push, exactly what the handler block
 * runs on ES's delivery thread), then through the real pipeline of
 * `estel run`: ring -> batcher (zstd, spool) -> uploader (libcurl mTLS) ->
 * the receiver, until every batch is acknowledged.  The pieces are wired
 * as cli/runtime.c wires them; the runtime itself cannot be used because
 * an ES source never ends, and this run must drain and exit.
 *
 *   estel-es-pipeline --config FILE --spool DIR [--server URL]
 *                     --events TSV --count N [--tag T] [--result FILE]
 *
 * Without a server (none in the configuration either) it stops at the
 * spool, as `estel run` does: for profiling the collector side alone.
 * What is not here: the kernel's delivery of each message to the client
 * (a mach message received by libEndpointSecurity on macOS).  The driver
 * thread calls the handler directly.  Building the messages happens before
 * the clock starts and is not counted.
 *
 * Output: readable lines and one "RESULT es_..." line: CPU user+sys of the
 * whole process from the first message to the last acknowledgement, wall
 * time, peak RSS, records, gaps.  Exit 0 when everything was delivered
 * with no loss.  --tag names the RESULT keys (default "es"); --result
 * FILE also appends the RESULT line to FILE (peer_cmd.sh keeps a
 * command's output to itself).
 */
#include "cli/runtime.h"
#include "collector/collector.h"
#include "collector/es/es.h"
#include "collector/es/fake/fake_msg.h"
#include "common/log.h"
#include "common/platform.h"
#include "common/ring.h"
#include "config/config.h"
#include "spool/spool.h"
#include "transport/transport.h"

#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define MAX_EVENTS 65536
#define MAX_ARGS 256
#define MAX_COLS (21 + MAX_ARGS)

struct pipeline {
    struct estel_config cfg;
    struct record_identity id;
    struct spool *spool;
    struct ring *ring;
    struct collector *coll;
    struct record_encoder *gap_enc;
    struct batcher *batcher;
    struct transport *transport;
    void *src;
    struct estel_err batcher_err, uploader_err;
    _Atomic bool batcher_done, uploader_done;
};

/* ---- messages from the corpus table ------------------------------------ */

static es_event_type_t
type_of(const char *s)
{
    static const struct { const char *name; es_event_type_t t; } map[] = {
        { "exec", ES_EVENT_TYPE_NOTIFY_EXEC },
        { "fork", ES_EVENT_TYPE_NOTIFY_FORK },
        { "exit", ES_EVENT_TYPE_NOTIFY_EXIT },
        { "close", ES_EVENT_TYPE_NOTIFY_CLOSE },
        { "create", ES_EVENT_TYPE_NOTIFY_CREATE },
        { "rename", ES_EVENT_TYPE_NOTIFY_RENAME },
        { "unlink", ES_EVENT_TYPE_NOTIFY_UNLINK },
    };

    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(s, map[i].name) == 0)
            return map[i].t;
    return ES_EVENT_TYPE_LAST;
}

/* Columns col[at..at+8] -> a process description (strings borrowed). */
static void
proc_of(char **col, size_t at, struct fake_proc *p)
{
    memset(p, 0, sizeof(*p));
    p->pid = (pid_t)atoi(col[at]);
    p->pidversion = atoi(col[at + 1]);
    p->ppid = (pid_t)atoi(col[at + 2]);
    p->uid = (uid_t)atoi(col[at + 3]);
    p->gid = (gid_t)atoi(col[at + 4]);
    p->exe = col[at + 5];
    p->signing_id = col[at + 6];
    p->team_id = col[at + 7][0] != '\0' ? col[at + 7] : NULL;
    p->platform = col[at + 8][0] == '1';
}

static size_t
split(char *line, char sep, char **col, size_t max)
{
    size_t n = 0;

    col[n++] = line;
    for (char *c = line; *c != '\0' && n < max; c++)
        if (*c == sep) {
            *c = '\0';
            col[n++] = c + 1;
        }
    return n;
}

/* One table line -> one message (version 9, as the corpus' eslogger). */
static es_message_t *
build(char *line)
{
    char *col[MAX_COLS];
    size_t n = split(line, '\t', col, 21);
    es_event_type_t t = type_of(col[0]);
    struct fake_proc actor, target;
    es_message_t *m;

    if (t == ES_EVENT_TYPE_LAST || n < 11)
        return NULL;
    m = fake_msg_build(t, 9);
    proc_of(col, 1, &actor);
    fake_msg_set_actor(m, &actor);
    switch (t) {
    case ES_EVENT_TYPE_NOTIFY_EXEC: {
        const char *argv[MAX_ARGS];
        char *args[MAX_ARGS];
        size_t argc;

        if (n < 21)
            return NULL;
        proc_of(col, 10, &target);
        m->event.exec.target = fake_msg_proc(m, &target);
        m->event.exec.cwd = fake_msg_file(m, col[19]);
        argc = split(col[20], '\x1f', args, MAX_ARGS);
        for (size_t i = 0; i < argc; i++)
            argv[i] = args[i];
        fake_msg_exec_args(m, argv, argc);
        break;
    }
    case ES_EVENT_TYPE_NOTIFY_FORK:
        if (n < 19)
            return NULL;
        proc_of(col, 10, &target);
        m->event.fork.child = fake_msg_proc(m, &target);
        break;
    case ES_EVENT_TYPE_NOTIFY_EXIT:
        m->event.exit.stat = atoi(col[10]);
        break;
    case ES_EVENT_TYPE_NOTIFY_CLOSE:
        m->event.close.modified = true;
        m->event.close.was_mapped_writable = false;
        m->event.close.target = fake_msg_file(m, col[10]);
        break;
    case ES_EVENT_TYPE_NOTIFY_CREATE:
        m->event.create.destination_type = ES_DESTINATION_TYPE_EXISTING_FILE;
        m->event.create.destination.existing_file = fake_msg_file(m, col[10]);
        break;
    case ES_EVENT_TYPE_NOTIFY_RENAME:
        if (n < 13)
            return NULL;
        m->event.rename.source = fake_msg_file(m, col[10]);
        m->event.rename.destination_type = ES_DESTINATION_TYPE_NEW_PATH;
        m->event.rename.destination.new_path.dir = fake_msg_file(m, col[11]);
        m->event.rename.destination.new_path.filename =
            fake_msg_str(m, col[12]);
        break;
    case ES_EVENT_TYPE_NOTIFY_UNLINK:
        if (n < 12)
            return NULL;
        m->event.unlink.target = fake_msg_file(m, col[10]);
        m->event.unlink.parent_dir = fake_msg_file(m, col[11]);
        break;
    default:
        break;
    }
    return m;
}

static size_t
load(const char *path, es_message_t **msgs)
{
    char *line = NULL;
    size_t cap = 0, n = 0;
    ssize_t len;
    FILE *f = fopen(path, "r");

    if (f == NULL) {
        fprintf(stderr, "estel-es-pipeline: %s: %s\n", path,
                strerror(errno));
        return 0;
    }
    while (n < MAX_EVENTS && (len = getline(&line, &cap, f)) > 0) {
        if (line[len - 1] == '\n')
            line[len - 1] = '\0';
        if ((msgs[n] = build(line)) != NULL)
            n++;
    }
    free(line);
    fclose(f);
    return n;
}

/* ---- the pipeline (cli/runtime.c's wiring) ----------------------------- */

static size_t
on_gap(void *ctx, const struct spool_gap *gap, const uint8_t **rec)
{
    struct pipeline *p = ctx;

    return collector_encode_gap(p->coll, p->gap_enc, gap->first_seq,
                                gap->last_seq, gap->records, gap->batches,
                                gap->reason, rec);
}

static void *
batcher_main(void *arg)
{
    struct pipeline *p = arg;

    if (batcher_run(p->batcher, &p->batcher_err) != ESTEL_OK)
        log_warnx("batcher: %s", p->batcher_err.msg);
    atomic_store(&p->batcher_done, true);
    if (p->transport != NULL)
        transport_set_draining(p->transport);
    return NULL;
}

static void *
uploader_main(void *arg)
{
    struct pipeline *p = arg;

    if (transport_run(p->transport, &p->uploader_err) != ESTEL_OK)
        log_warnx("uploader: %s", p->uploader_err.msg);
    atomic_store(&p->uploader_done, true);
    return NULL;
}

static enum estel_rc
open_pipeline(struct pipeline *p, const struct runtime_options *opt,
              struct estel_err *err)
{
    struct spool_config sc;
    struct record_limits lim;
    enum estel_rc rc;

    if ((rc = runtime_configure(&p->cfg, opt, err)) != ESTEL_OK)
        return rc;
    if (p->cfg.host_id != NULL)
        snprintf(p->id.host_id, sizeof(p->id.host_id), "%s",
                 p->cfg.host_id);
    else if ((rc = estel_host_id(p->id.host_id, sizeof(p->id.host_id),
                                 err)) != ESTEL_OK)
        return rc;
    if ((rc = estel_boot_id(p->id.boot_id, sizeof(p->id.boot_id), err))
        != ESTEL_OK)
        return rc;
    memset(&sc, 0, sizeof(sc));
    sc.dir = p->cfg.spool_dir;
    sc.max_bytes = p->cfg.spool_max_bytes;
    sc.max_age_s = p->cfg.spool_max_age_s;
    sc.batch_max_bytes = p->cfg.batch_max_bytes;
    sc.batch_max_records = p->cfg.batch_max_records;
    sc.batch_max_age_ms = p->cfg.batch_max_age_ms;
    sc.compression_level = p->cfg.compression_level;
    sc.full_fsync = p->cfg.full_fsync;
    sc.bad_max_bytes = p->cfg.spool_max_bytes / 10;
    sc.dead_max_bytes = p->cfg.spool_max_bytes / 10;
    sc.host_id = p->id.host_id;
    sc.boot_id = p->id.boot_id;
    if ((rc = spool_open(&p->spool, &sc, err)) != ESTEL_OK ||
        (rc = ring_create(&p->ring, p->cfg.ring_bytes, err)) != ESTEL_OK ||
        (rc = collector_create(&p->coll, &p->cfg, p->ring, &p->id,
                               spool_next_seq(p->spool), false, err))
        != ESTEL_OK)
        return rc;
    lim.argv_max_bytes = p->cfg.argv_max_bytes;
    lim.argv_max_count = p->cfg.argv_max_count;
    lim.capture_environment = p->cfg.capture_environment;
    if ((rc = record_encoder_create(&p->gap_enc, &p->id, &lim, err))
        != ESTEL_OK ||
        (rc = batcher_create(&p->batcher, p->spool, p->ring, on_gap, p,
                             err)) != ESTEL_OK)
        return rc;
    if (p->cfg.server_url != NULL &&
        (rc = transport_create(&p->transport, &p->cfg, p->spool, err))
        != ESTEL_OK)
        return rc;
    return source_es_ops.open(&p->src, &p->cfg, NULL, 0, 0, err);
}

static void
close_pipeline(struct pipeline *p)
{
    if (p->src != NULL)
        source_es_ops.close(&p->src);
    transport_destroy(&p->transport);
    batcher_destroy(&p->batcher);
    record_encoder_destroy(&p->gap_enc);
    collector_destroy(&p->coll);
    ring_destroy(&p->ring);
    spool_close(&p->spool);
    config_free(&p->cfg);
}

/* ---- measuring ---------------------------------------------------------- */

static double
cpu_s(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static double
mono_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static long
vmhwm_kib(void)
{
    char line[256];
    long kib = -1;
    FILE *f = fopen("/proc/self/status", "r");

    if (f == NULL)
        return -1;
    while (fgets(line, sizeof(line), f) != NULL)
        if (strncmp(line, "VmHWM:", 6) == 0)
            kib = strtol(line + 6, NULL, 10);
    fclose(f);
    return kib;
}

static void
usage(FILE *out)
{
    fprintf(out, "usage: estel-es-pipeline --config FILE --spool DIR "
            "[--server URL] --events TSV --count N [--tag T] "
            "[--result FILE]\n");
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' },
        { "spool", required_argument, NULL, 'p' },
        { "server", required_argument, NULL, 'u' },
        { "events", required_argument, NULL, 'e' },
        { "count", required_argument, NULL, 'n' },
        { "tag", required_argument, NULL, 't' },
        { "result", required_argument, NULL, 'r' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    static es_message_t *msgs[MAX_EVENTS];
    static uint64_t type_seq[ES_EVENT_TYPE_LAST];
    const struct timespec nap = { 0, 200000 };
    struct runtime_options opt;
    struct pipeline *p = calloc(1, sizeof(*p));
    struct estel_err err = { 0 };
    const char *events = NULL, *tag = "es", *result = NULL;
    char line[512];
    uint64_t count = 0, paced = 0;
    pthread_t bthr, uthr;
    size_t nmsg, high_water;
    double c0, t0, c1, t1;
    struct collector_stats *cs;
    int ch, status = 0;

    memset(&opt, 0, sizeof(opt));
    opt.source = "es";
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'c': opt.config_path = optarg; break;
        case 'p': opt.spool_dir = optarg; break;
        case 'u': opt.server_url = optarg; break;
        case 'e': events = optarg; break;
        case 'n': count = strtoull(optarg, NULL, 10); break;
        case 't': tag = optarg; break;
        case 'r': result = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (p == NULL || events == NULL || count == 0) {
        usage(stderr);
        return 2;
    }
    log_init(LOG_LEVEL_WARN);
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if ((nmsg = load(events, msgs)) == 0) {
        fprintf(stderr, "estel-es-pipeline: no events in %s\n", events);
        return 1;
    }
    if (open_pipeline(p, &opt, &err) != ESTEL_OK) {
        fprintf(stderr, "estel-es-pipeline: %s\n", err.msg);
        close_pipeline(p);
        return err.rc == ESTEL_E_USAGE || err.rc == ESTEL_E_CONFIG ? 2 : 1;
    }
    high_water = ring_capacity(p->ring) / 4 * 3;
    c0 = cpu_s();
    t0 = mono_s();
    pthread_create(&bthr, NULL, batcher_main, p);
    if (p->transport != NULL)
        pthread_create(&uthr, NULL, uploader_main, p);
    /*
     * The kernel's side: number each message as ES would and hand it to
     * the handler.  A real ES queue holds messages while the client is
     * busy; here the producer waits when the ring is three quarters full,
     * so the run measures the pipeline's cost, not ring-full drops.
     */
    for (uint64_t i = 0; i < count; i++) {
        es_message_t *m = msgs[i % nmsg];
        uint64_t round = i / nmsg;

        while (ring_used_bytes(p->ring) > high_water) {
            nanosleep(&nap, NULL);
            paced++;
        }
        m->global_seq_num = i;
        m->seq_num = type_seq[m->event_type]++;
        m->mach_time = 318342459586ull + i * 41667;     /* 24 MHz ticks */
        m->time.tv_sec = 1741597200 + (time_t)(i / 20000);
        m->time.tv_nsec = (long)((i % 20000) * 50000 + round % 50000);
        es_source_handle(p->src, p->coll, m);
    }
    ring_close(p->ring);
    pthread_join(bthr, NULL);
    if (p->transport != NULL)
        pthread_join(uthr, NULL);
    c1 = cpu_s();
    t1 = mono_s();
    cs = collector_stats(p->coll);
    printf("es path: %llu messages (%zu distinct from the corpus) -> "
           "handler -> ring -> batcher -> spool%s\n",
           (unsigned long long)count, nmsg,
           p->transport != NULL ? " -> uploader" : " (no server)");
    printf("  %.2f s wall = %.0f events/s; CPU %.2f s (%.2f us/event); "
           "peak RSS %.1f MiB\n", t1 - t0, (double)count / (t1 - t0),
           c1 - c0, (c1 - c0) / (double)count * 1e6,
           (double)vmhwm_kib() / 1024.0);
    printf("  records %llu, ring-full drops %llu, gaps %llu, producer "
           "waits %llu\n",
           (unsigned long long)atomic_load(&cs->records_out),
           (unsigned long long)atomic_load(&cs->dropped_ring_full),
           (unsigned long long)atomic_load(&cs->gaps_emitted),
           (unsigned long long)paced);
    snprintf(line, sizeof(line), "RESULT %s_events=%llu %s_wall_s=%.3f "
             "%s_eps=%.0f %s_cpu_s=%.2f %s_cpu_us_per_event=%.2f "
             "%s_rss_mib=%.1f %s_drops=%llu\n", tag,
             (unsigned long long)count, tag, t1 - t0, tag,
             (double)count / (t1 - t0), tag, c1 - c0, tag,
             (c1 - c0) / (double)count * 1e6, tag,
             (double)vmhwm_kib() / 1024.0, tag,
             (unsigned long long)atomic_load(&cs->dropped_ring_full));
    fputs(line, stdout);
    if (result != NULL) {
        FILE *rf = fopen(result, "a");

        if (rf != NULL) {
            fputs(line, rf);
            fclose(rf);
        }
    }
    if (p->batcher_err.rc != ESTEL_OK || p->uploader_err.rc != ESTEL_OK ||
        atomic_load(&cs->records_out) != count) {
        fprintf(stderr, "estel-es-pipeline: not everything was delivered "
                "(%s%s)\n", p->batcher_err.msg, p->uploader_err.msg);
        status = 1;
    }
    close_pipeline(p);
    free(p);
    for (size_t i = 0; i < nmsg; i++)
        fake_msg_free(msgs[i]);
    curl_global_cleanup();
    return status;
}
