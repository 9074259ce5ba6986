/*
 * upload_tool.c - estel-upload: the uploader alone, for the upload bench
 * and the transport integration tests.
 *
 *   estel-upload fill   --spool DIR --batches N [--records R] [--pad B]
 *                       [--host-id H] [--random]
 *       write N batches of R msgpack records (about B bytes each) into
 *       DIR through the real batcher
 *   estel-upload send   --spool DIR --config FILE [--drain]
 *                       [--grace-ms MS] [--state]
 *       upload DIR's ready/ batches with the real transport, configured
 *       from FILE; --drain: exit 0 once ready/ is empty; SIGTERM/SIGINT
 *       stop (within the grace); --state keeps DIR/state/status.json
 *       current like the agent does; --trickle MS: also write a batch
 *       of --records records every MS ms in this process (like the
 *       agent's batcher) until stopped
 *   estel-upload frames --spool DIR --out DIR2
 *       write each ready batch's zstd frame to DIR2/<name>.zst and its
 *       request headers to DIR2/<name>.hdr (for curl, in the bench)
 *
 * It prints one line "uploaded B batches, N bytes in S s" on success.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "common/log.h"
#include "common/platform.h"
#include "common/ring.h"
#include "config/config.h"
#include "spool/spool.h"
#include "transport/transport.h"
#include "transport/transport_int.h"

struct opts {
    const char *spool, *config, *out, *host_id;
    uint64_t batches, records, pad;
    int64_t grace_ms;
    int64_t trickle_ms;             /* send: a new batch this often */
    bool drain, state, random;
};

static int
usage(void)
{
    fprintf(stderr, "usage: estel-upload fill|send|frames --spool DIR "
            "[options] (see upload_tool.c)\n");
    return 2;
}

static int
fail(const struct estel_err *err)
{
    fprintf(stderr, "estel-upload: %s\n", err->msg);
    return err->rc == ESTEL_E_CONFIG || err->rc == ESTEL_E_USAGE ? 2 : 1;
}

static enum estel_rc
open_spool(struct spool **sp, const struct opts *o, uint64_t records,
           struct estel_err *err)
{
    struct spool_config sc;
    char boot[72];

    memset(&sc, 0, sizeof(sc));
    if (estel_boot_id(boot, sizeof(boot), err) != ESTEL_OK)
        return err->rc;
    sc.dir = o->spool;
    sc.max_bytes = UINT64_C(8) << 30;
    sc.batch_max_bytes = UINT64_C(64) << 20;
    sc.batch_max_records = (uint32_t)records;
    sc.batch_max_age_ms = 3600 * 1000;
    sc.compression_level = 3;
    sc.bad_max_bytes = sc.dead_max_bytes = UINT64_C(1) << 30;
    sc.host_id = o->host_id;
    sc.boot_id = boot;
    return spool_open(sp, &sc, err);
}

/* One msgpack record: {"v":1,"ev":"bench","cs":seq,"pad":"words..."} */
static size_t
record(uint8_t *buf, size_t size, uint64_t seq, size_t pad, uint64_t *rng,
       bool random)
{
    static const char *const words[] = {
        "/usr/bin/", "clang", "/Users/dev/src/", "exec", "fork", ".o ",
        "com.apple.", "Xcode", "-O2 ", "/private/var/folders/", "close ",
        "team=EQHXZ8M8AV ", "cdhash=", "0123456789abcdef", "launchd ",
    };
    size_t n = 0, plen;

    buf[n++] = 0x84;
    buf[n++] = 0xa1; buf[n++] = 'v'; buf[n++] = 0x01;
    buf[n++] = 0xa2; buf[n++] = 'e'; buf[n++] = 'v';
    buf[n++] = 0xa5; memcpy(buf + n, "bench", 5); n += 5;
    buf[n++] = 0xa2; buf[n++] = 'c'; buf[n++] = 's';
    buf[n++] = 0xcf;
    for (int i = 7; i >= 0; i--)
        buf[n++] = (uint8_t)(seq >> (8 * i));
    buf[n++] = 0xa3; memcpy(buf + n, "pad", 3); n += 3;
    plen = pad < size - n - 3 ? pad : size - n - 3;
    buf[n++] = 0xda;
    buf[n++] = (uint8_t)(plen >> 8);
    buf[n++] = (uint8_t)plen;
    for (size_t i = 0; i < plen;) {
        const char *w;
        size_t wl;

        *rng = *rng * 6364136223846793005ULL + 1442695040888963407ULL;
        if (random) {
            /* hex digits: about 2:1 under zstd, for big frames */
            buf[n + i++] = "0123456789abcdef"[(*rng >> 40) & 15];
            continue;
        }
        w = words[(*rng >> 33) % (sizeof(words) / sizeof(words[0]))];
        wl = strlen(w);
        if (wl > plen - i)
            wl = plen - i;
        memcpy(buf + n + i, w, wl);
        i += wl;
    }
    return n + plen;
}

static void *
batcher_main(void *arg)
{
    struct batcher *b = arg;
    struct estel_err err = { 0 };

    if (batcher_run(b, &err) != ESTEL_OK)
        fprintf(stderr, "estel-upload: batcher: %s\n", err.msg);
    return NULL;
}

static int
do_fill(const struct opts *o)
{
    struct spool *sp = NULL;
    struct ring *ring = NULL;
    struct batcher *b = NULL;
    struct estel_err err = { 0 };
    pthread_t thr;
    uint8_t rec[65536];
    uint64_t rng = 42, seq;
    int rc = 1;

    if (open_spool(&sp, o, o->records, &err) != ESTEL_OK ||
        ring_create(&ring, 64u << 20, &err) != ESTEL_OK ||
        batcher_create(&b, sp, ring, NULL, NULL, &err) != ESTEL_OK)
        goto out;
    seq = spool_next_seq(sp);
    pthread_create(&thr, NULL, batcher_main, b);
    for (uint64_t i = 0; i < o->batches * o->records; i++) {
        size_t len = record(rec, sizeof(rec), seq++, o->pad, &rng,
                            o->random);

        while (ring_push(ring, rec, len) == ESTEL_E_FULL) {
            struct timespec ts = { 0, 1000000 };

            nanosleep(&ts, NULL);
        }
    }
    ring_close(ring);
    pthread_join(thr, NULL);
    printf("filled %" PRIu64 " batches (%" PRIu64 " bytes in ready/)\n",
           atomic_load(&spool_stats(sp)->ready_batches),
           atomic_load(&spool_stats(sp)->ready_bytes));
    rc = 0;
out:
    if (rc != 0)
        fail(&err);
    batcher_destroy(&b);
    ring_destroy(&ring);
    spool_close(&sp);
    return rc;
}

struct trickle {
    const struct opts *o;
    struct spool *sp;
    struct ring *ring;
    struct batcher *b;
    _Atomic bool stop;
    pthread_t prod, bat;
};

static void *
trickle_main(void *arg)
{
    struct trickle *tr = arg;
    uint8_t rec[65536];
    uint64_t rng = 7, seq = spool_next_seq(tr->sp);

    while (!atomic_load(&tr->stop)) {
        struct timespec ts = { tr->o->trickle_ms / 1000,
                               (tr->o->trickle_ms % 1000) * 1000000 };

        for (uint64_t i = 0; i < tr->o->records; i++) {
            size_t len = record(rec, sizeof(rec), seq++, tr->o->pad, &rng,
                                false);

            while (ring_push(tr->ring, rec, len) == ESTEL_E_FULL)
                nanosleep(&ts, NULL);
        }
        nanosleep(&ts, NULL);
    }
    ring_close(tr->ring);
    return NULL;
}

struct sender {
    struct transport *t;
    struct estel_err err;
    _Atomic bool done;
};

static void *
sender_main(void *arg)
{
    struct sender *s = arg;

    (void)transport_run(s->t, &s->err);
    atomic_store(&s->done, true);
    return NULL;
}

static void
write_state(const struct opts *o, struct transport *t, struct spool *sp,
            int64_t started, bool running)
{
    struct transport_state_extra x = { 0 };
    struct estel_err err = { 0 };

    x.started_ns = started;
    x.running = running;
    x.spool_max_bytes = UINT64_C(8) << 30;
    if (transport_write_state(o->spool, t, sp, &x, &err) != ESTEL_OK)
        log_warnx("%s", err.msg);
}

static int
do_send(const struct opts *o)
{
    struct estel_config cfg;
    struct spool *sp = NULL;
    struct sender s = { 0 };
    struct estel_err err = { 0 };
    struct trickle tr = { 0 };
    sigset_t set;
    pthread_t thr;
    int64_t t0, t1, started = estel_now_realtime_ns();
    int sig, rc = 1;

    memset(&cfg, 0, sizeof(cfg));
    if (config_defaults(&cfg, &err) != ESTEL_OK ||
        config_load(&cfg, o->config, NULL, &err) != ESTEL_OK ||
        config_validate(&cfg, &err) != ESTEL_OK ||
        open_spool(&sp, o, o->trickle_ms > 0 ? o->records : 10000, &err)
        != ESTEL_OK ||
        transport_create(&s.t, &cfg, sp, &err) != ESTEL_OK) {
        rc = fail(&err);
        goto out;
    }
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    if (o->drain)
        transport_set_draining(s.t);
    if (o->trickle_ms > 0) {
        tr.o = o;
        tr.sp = sp;
        if (ring_create(&tr.ring, 64u << 20, &err) != ESTEL_OK ||
            batcher_create(&tr.b, sp, tr.ring, NULL, NULL, &err) !=
            ESTEL_OK) {
            rc = fail(&err);
            goto out;
        }
        pthread_create(&tr.bat, NULL, batcher_main, tr.b);
        pthread_create(&tr.prod, NULL, trickle_main, &tr);
    }
    t0 = estel_now_mono_ns();
    pthread_create(&thr, NULL, sender_main, &s);
    for (int tick = 0; !atomic_load(&s.done); tick++) {
        /* short naps: the exit is noticed within 10 ms (bench timing) */
        struct timespec ts = { 0, 10000000 };

        if (o->state && tick % 50 == 0)
            write_state(o, s.t, sp, started, true);
        sig = sigtimedwait(&set, NULL, &ts);
        if (sig == SIGINT || sig == SIGTERM) {
            log_info("signal %d: stopping", sig);
            transport_stop(s.t, o->grace_ms);
            break;
        }
    }
    if (o->trickle_ms > 0) {
        atomic_store(&tr.stop, true);
        pthread_join(tr.prod, NULL);
        pthread_join(tr.bat, NULL);
    }
    pthread_join(thr, NULL);
    t1 = estel_now_mono_ns();
    if (o->state)
        write_state(o, s.t, sp, started, false);
    printf("uploaded %" PRIu64 " batches, %" PRIu64 " bytes in %.3f s "
           "(%" PRIu64 " duplicate, %" PRIu64 " dead, %" PRIu64 " left)\n",
           atomic_load(&transport_stats(s.t)->batches_sent),
           atomic_load(&transport_stats(s.t)->bytes_sent),
           (double)(t1 - t0) / 1e9,
           atomic_load(&transport_stats(s.t)->batches_duplicate),
           atomic_load(&transport_stats(s.t)->batches_dead),
           atomic_load(&spool_stats(sp)->ready_batches));
    rc = s.err.rc == ESTEL_OK ? 0 : fail(&s.err);
out:
    batcher_destroy(&tr.b);
    ring_destroy(&tr.ring);
    transport_destroy(&s.t);
    spool_close(&sp);
    config_free(&cfg);
    return rc;
}

struct frames_ctx {
    struct spool *sp;
    const char *out;
    struct estel_buf frame;
    int rc;
};

static enum estel_rc
frame_visit(void *ctx, const struct spool_batch_info *info,
            enum estel_rc check, const char *problem)
{
    struct frames_ctx *c = ctx;
    struct spool_batch_info got;
    struct http_headers h;
    struct estel_err err = { 0 };
    char path[512];
    FILE *f;

    (void)problem;
    if (check != ESTEL_OK)
        return ESTEL_OK;
    if (spool_read(c->sp, info->name, &c->frame, &got, &err) != ESTEL_OK ||
        http_headers_build(&got, &h, &err) != ESTEL_OK) {
        fail(&err);
        c->rc = 1;
        return ESTEL_OK;
    }
    snprintf(path, sizeof(path), "%s/%s.zst", c->out, info->name);
    if ((f = fopen(path, "wb")) == NULL)
        return ESTEL_E_IO;
    fwrite(c->frame.data, 1, c->frame.len, f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/%s.hdr", c->out, info->name);
    if ((f = fopen(path, "w")) == NULL)
        return ESTEL_E_IO;
    for (size_t i = 0; i < h.n; i++)
        fprintf(f, "%s\n", h.line[i]);
    fclose(f);
    return ESTEL_OK;
}

static int
do_frames(const struct opts *o)
{
    struct frames_ctx c = { NULL, o->out, { 0 }, 0 };
    struct estel_err err = { 0 };

    buf_init(&c.frame, 0);
    if (open_spool(&c.sp, o, 10000, &err) != ESTEL_OK ||
        spool_foreach(c.sp, false, frame_visit, &c, &err) != ESTEL_OK)
        c.rc = fail(&err);
    buf_free(&c.frame);
    spool_close(&c.sp);
    return c.rc;
}

int
main(int argc, char **argv)
{
    static const struct option lo[] = {
        { "spool", required_argument, NULL, 's' },
        { "config", required_argument, NULL, 'c' },
        { "out", required_argument, NULL, 'o' },
        { "host-id", required_argument, NULL, 'H' },
        { "batches", required_argument, NULL, 'n' },
        { "records", required_argument, NULL, 'r' },
        { "pad", required_argument, NULL, 'p' },
        { "grace-ms", required_argument, NULL, 'g' },
        { "drain", no_argument, NULL, 'd' },
        { "state", no_argument, NULL, 'S' },
        { "random", no_argument, NULL, 'R' },
        { "trickle", required_argument, NULL, 'T' },
        { NULL, 0, NULL, 0 }
    };
    struct opts o = { NULL, NULL, NULL, "host-0001", 10, 1000, 200, 5000,
                      0, false, false, false };
    const char *cmd;
    int ch, rc;

    if (argc < 2)
        return usage();
    cmd = argv[1];
    optind = 2;
    while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (ch) {
        case 's': o.spool = optarg; break;
        case 'c': o.config = optarg; break;
        case 'o': o.out = optarg; break;
        case 'H': o.host_id = optarg; break;
        case 'n': o.batches = strtoull(optarg, NULL, 10); break;
        case 'r': o.records = strtoull(optarg, NULL, 10); break;
        case 'p': o.pad = strtoull(optarg, NULL, 10); break;
        case 'g': o.grace_ms = strtoll(optarg, NULL, 10); break;
        case 'd': o.drain = true; break;
        case 'S': o.state = true; break;
        case 'R': o.random = true; break;
        case 'T': o.trickle_ms = strtoll(optarg, NULL, 10); break;
        default: return usage();
        }
    }
    if (o.spool == NULL)
        return usage();
    log_init(getenv("ESTEL_LOG_LEVEL") != NULL ? LOG_LEVEL_DEBUG :
             LOG_LEVEL_INFO);
    signal(SIGPIPE, SIG_IGN);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return 1;
    if (strcmp(cmd, "fill") == 0 && o.records > 0)
        rc = do_fill(&o);
    else if (strcmp(cmd, "send") == 0 && o.config != NULL)
        rc = do_send(&o);
    else if (strcmp(cmd, "frames") == 0 && o.out != NULL)
        rc = do_frames(&o);
    else
        rc = usage();
    curl_global_cleanup();
    return rc;
}
