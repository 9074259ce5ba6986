/*
 * bench_spool.c - throughput and cost of the spool, printed as markdown
 * table rows (run.sh adds the headers and the baselines).
 *
 *   estel_bench_spool pipeline --dir DIR [--events N] [--level L]
 *                     [--batch-bytes B] [--dump FILE]
 *       synthetic events -> record_encode_event -> ring -> batcher ->
 *       zstd -> batch files with fsync + rename + directory fsync, the
 *       same threads as `estel run`.  Events/s is wall clock from the
 *       first push to the last rename; CPU is the whole process (both
 *       threads) and the batcher thread alone; RSS is the peak.
 *       --dump also writes the msgpack stream, for the baselines.
 *   estel_bench_spool backlog --dir DIR [--bytes B] [--cold]
 *       fill DIR/ready with real batch files (copies of one 1 MiB batch
 *       under distinct headers and names) up to B bytes, then time
 *       spool_open() on it: a directory listing, never a read.  --cold
 *       drops the page, dentry and inode caches first (root).
 */
#include "collector/collector.h"
#include "common/platform.h"
#include "common/ring.h"
#include "spool/batchfile.h"
#include "spool/spool.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>

struct opts {
    const char *dir;
    const char *dump;
    uint64_t events;
    uint64_t bytes;
    uint64_t batch_bytes;
    int level;
    bool cold;
};

struct prod {
    struct ring *ring;
    const struct opts *o;
    FILE *dump;
    uint64_t raw_bytes;
};

struct cons {
    struct batcher *b;
    enum estel_rc rc;
    struct estel_err err;
    int64_t cpu_ns;
};

static int64_t
cpu_ns(clockid_t id)
{
    struct timespec ts;

    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static enum estel_rc
make_encoder(struct record_encoder **enc)
{
    struct record_identity id;
    struct record_limits lim = { 16384, 1024, false };

    memset(&id, 0, sizeof(id));
    snprintf(id.host_id, sizeof(id.host_id), "%s",
             "4c4c4544003510508033b4c04f4d3232");
    snprintf(id.boot_id, sizeof(id.boot_id), "%s",
             "9e1f0c3a5b7d4e2f8a6c1b3d5e7f9a0b");
    return record_encoder_create(enc, &id, &lim, NULL);
}

static void *
producer(void *arg)
{
    struct prod *p = arg;
    struct synthetic_gen *g = NULL;
    struct record_encoder *enc = NULL;
    static struct estel_event ev;
    const uint8_t *rec;
    size_t len;

    if (synthetic_create(&g, 1, NULL) != ESTEL_OK ||
        make_encoder(&enc) != ESTEL_OK) {
        fprintf(stderr, "bench: cannot create the generator\n");
        exit(1);
    }
    const struct timespec nap = { 0, 1000000 };

    for (uint64_t i = 0; i < p->o->events; i++) {
        synthetic_next(g, &ev);
        if (record_encode_event(enc, &ev, i + 1, &rec, &len) != ESTEL_OK)
            continue;
        if (p->dump != NULL && fwrite(rec, 1, len, p->dump) != len) {
            fprintf(stderr, "bench: cannot write the dump\n");
            exit(1);
        }
        p->raw_bytes += len;
        /* a full ring: nap as a replay source does (collector_emit_wait);
         * spinning on sched_yield would bill the wait as CPU per event */
        while (ring_push(p->ring, rec, len) == ESTEL_E_FULL)
            (void)nanosleep(&nap, NULL);
    }
    ring_close(p->ring);
    record_encoder_destroy(&enc);
    synthetic_destroy(&g);
    return NULL;
}

static void *
consumer(void *arg)
{
    struct cons *c = arg;

    c->rc = batcher_run(c->b, &c->err);
    c->cpu_ns = cpu_ns(CLOCK_THREAD_CPUTIME_ID);
    return NULL;
}

static int
pipeline(const struct opts *o)
{
    struct spool_config sc;
    struct spool *sp = NULL;
    struct prod p;
    struct cons c;
    struct rusage ru;
    struct estel_err err = { 0 };
    struct spool_stats *st;
    pthread_t pt, ct;
    int64_t t0, t1;
    double secs, ev, cpu;

    memset(&sc, 0, sizeof(sc));
    sc.dir = o->dir;
    sc.compression_level = o->level;
    sc.batch_max_bytes = o->batch_bytes;
    sc.host_id = "bench";
    sc.boot_id = "bench";
    memset(&p, 0, sizeof(p));
    memset(&c, 0, sizeof(c));
    p.o = o;
    if (spool_open(&sp, &sc, &err) != ESTEL_OK ||
        ring_create(&p.ring, 8u << 20, &err) != ESTEL_OK ||
        batcher_create(&c.b, sp, p.ring, NULL, NULL, &err) != ESTEL_OK) {
        fprintf(stderr, "bench: %s\n", err.msg);
        return 1;
    }
    if (o->dump != NULL && (p.dump = fopen(o->dump, "we")) == NULL) {
        perror(o->dump);
        return 1;
    }
    t0 = estel_now_mono_ns();
    pthread_create(&ct, NULL, consumer, &c);
    pthread_create(&pt, NULL, producer, &p);
    pthread_join(pt, NULL);
    pthread_join(ct, NULL);
    t1 = estel_now_mono_ns();
    if (c.rc != ESTEL_OK) {
        fprintf(stderr, "bench: %s\n", c.err.msg);
        return 1;
    }
    if (p.dump != NULL)
        fclose(p.dump);
    getrusage(RUSAGE_SELF, &ru);
    st = spool_stats(sp);
    secs = (double)(t1 - t0) / 1e9;
    ev = (double)atomic_load(&st->records_written);
    cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e9 +
          (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e3;
    printf("| estel spool, zstd %d, %" PRIu64 " KiB batches | %.0f | %.0f |"
           " %.0f | %.1f | %.2f | %" PRIu64 " | %.1f |\n", o->level,
           o->batch_bytes / 1024, ev / secs, cpu / ev,
           (double)c.cpu_ns / ev,
           (double)atomic_load(&st->bytes_written) / ev,
           (double)atomic_load(&st->raw_bytes_written) /
           (double)atomic_load(&st->bytes_written),
           atomic_load(&st->batches_written), (double)ru.ru_maxrss / 1024);
    fprintf(stderr, "raw %.1f bytes/event over %.0f events in %.2f s\n",
            (double)p.raw_bytes / ev, ev, secs);
    batcher_destroy(&c.b);
    ring_destroy(&p.ring);
    spool_close(&sp);
    return 0;
}

/* ---- backlog ------------------------------------------------------------ */

static size_t
rss_kib(void)
{
    long pages = 0, rss = 0;
    FILE *f = fopen("/proc/self/statm", "re");

    if (f != NULL) {
        if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
            rss = 0;
        fclose(f);
    }
    return (size_t)rss * (size_t)sysconf(_SC_PAGESIZE) / 1024;
}

/* One real batch: 1 MiB of synthetic records, compressed once. */
static size_t
one_frame(uint8_t **frame, uint64_t *raw_len, uint32_t *count,
          uint64_t *raw_xxh)
{
    struct synthetic_gen *g = NULL;
    struct record_encoder *enc = NULL;
    static struct estel_event ev;
    uint8_t *raw = malloc(2u << 20);
    const uint8_t *rec;
    size_t len, n = 0, fl;

    if (raw == NULL || synthetic_create(&g, 7, NULL) != ESTEL_OK ||
        make_encoder(&enc) != ESTEL_OK)
        exit(1);
    for (*count = 0; n < (1u << 20); (*count)++) {
        synthetic_next(g, &ev);
        if (record_encode_event(enc, &ev, *count + 1, &rec, &len) ==
            ESTEL_OK) {
            memcpy(raw + n, rec, len);
            n += len;
        }
    }
    *frame = malloc(ZSTD_compressBound(n));
    {
        ZSTD_CCtx *z = ZSTD_createCCtx();

        ZSTD_CCtx_setParameter(z, ZSTD_c_compressionLevel, 3);
        ZSTD_CCtx_setParameter(z, ZSTD_c_checksumFlag, 1);
        fl = ZSTD_compress2(z, *frame, ZSTD_compressBound(n), raw, n);
        ZSTD_freeCCtx(z);
    }
    *raw_len = n;
    *raw_xxh = XXH3_64bits(raw, n);
    free(raw);
    record_encoder_destroy(&enc);
    synthetic_destroy(&g);
    return fl;
}

static int
backlog(const struct opts *o)
{
    struct spool_config sc;
    struct spool *sp = NULL;
    struct batchfile_hdr h;
    uint8_t hdr[BATCHFILE_HEADER_BYTES], *frame;
    char path[4096], name[SPOOL_NAME_MAX];
    uint64_t raw_len, raw_xxh, files, total = 0;
    uint32_t count;
    size_t fl = one_frame(&frame, &raw_len, &count, &raw_xxh), before;
    int64_t now = estel_now_realtime_ns(), best = INT64_MAX, t0;
    struct estel_err err = { 0 };

    memset(&sc, 0, sizeof(sc));
    sc.dir = o->dir;
    if (spool_open(&sp, &sc, &err) != ESTEL_OK) {
        fprintf(stderr, "bench: %s\n", err.msg);
        return 1;
    }
    spool_close(&sp);
    memset(&h, 0, sizeof(h));
    h.record_count = count;
    h.raw_bytes = raw_len;
    h.frame_bytes = fl;
    h.records_xxh3 = raw_xxh;
    h.frame_xxh3 = XXH3_64bits(frame, fl);
    h.level = 3;
    files = o->bytes / (fl + BATCHFILE_HEADER_BYTES) + 1;
    for (uint64_t i = 0; i < files; i++) {
        int fd;

        h.first_seq = i * count + 1;
        h.last_seq = (i + 1) * count;
        h.created_ns = now - (int64_t)(files - i) * 1000000000;
        batchfile_header_build(hdr, &h);
        batchfile_name_format(name, sizeof(name), h.first_seq, h.last_seq,
                              h.created_ns);
        snprintf(path, sizeof(path), "%s/ready/%s", o->dir, name);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0 || write(fd, hdr, sizeof(hdr)) != (ssize_t)sizeof(hdr) ||
            write(fd, frame, fl) != (ssize_t)fl || close(fd) != 0) {
            perror(path);
            return 1;
        }
        total += sizeof(hdr) + fl;
    }
    sync();
    before = rss_kib();
    if (o->cold) {
        /* page cache, dentries and inodes dropped: what a reboot sees */
        FILE *f = fopen("/proc/sys/vm/drop_caches", "we");
        int64_t cold;

        if (f == NULL || fputs("3\n", f) < 0 || fclose(f) != 0) {
            fprintf(stderr, "bench: cannot drop caches (root?)\n");
            return 1;
        }
        cold = estel_now_mono_ns();
        if (spool_open(&sp, &sc, &err) != ESTEL_OK) {
            fprintf(stderr, "bench: %s\n", err.msg);
            return 1;
        }
        cold = estel_now_mono_ns() - cold;
        printf("| %.2f GiB backlog | %" PRIu64 " files | spool_open "
               "%.1f ms (cold cache: caches dropped) | next seq %" PRIu64
               " | RSS +%zu KiB |\n", (double)total / (1 << 30), files,
               (double)cold / 1e6, spool_next_seq(sp), rss_kib() - before);
        spool_close(&sp);
    }
    for (int run = 0; run < 3; run++) {
        t0 = estel_now_mono_ns();
        if (spool_open(&sp, &sc, &err) != ESTEL_OK) {
            fprintf(stderr, "bench: %s\n", err.msg);
            return 1;
        }
        t0 = estel_now_mono_ns() - t0;
        best = t0 < best ? t0 : best;
        if (run == 2)
            printf("| %.2f GiB backlog | %" PRIu64 " files | spool_open "
                   "%.1f ms (best of 3, warm cache) | next seq %" PRIu64
                   " | RSS +%zu KiB |\n", (double)total / (1 << 30), files,
                   (double)best / 1e6, spool_next_seq(sp),
                   rss_kib() - before);
        spool_close(&sp);
    }
    free(frame);
    return 0;
}

static void
usage(void)
{
    fprintf(stderr, "usage: estel_bench_spool pipeline --dir DIR [--events "
            "N] [--level L] [--batch-bytes B] [--dump FILE]\n"
            "       estel_bench_spool backlog --dir DIR [--bytes B] "
            "[--cold]\n");
    exit(2);
}

int
main(int argc, char **argv)
{
    struct opts o = { NULL, NULL, 1000000, (uint64_t)1 << 30, 1u << 20, 3,
                      false };

    if (argc < 2)
        usage();
    for (int i = 2; i < argc; i++) {
        const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : "";

        if (strcmp(k, "--cold") == 0) {
            o.cold = true;
            continue;
        }
        i++;
        if (strcmp(k, "--dir") == 0)
            o.dir = v;
        else if (strcmp(k, "--dump") == 0)
            o.dump = v;
        else if (strcmp(k, "--events") == 0)
            o.events = strtoull(v, NULL, 10);
        else if (strcmp(k, "--bytes") == 0)
            o.bytes = strtoull(v, NULL, 10);
        else if (strcmp(k, "--batch-bytes") == 0)
            o.batch_bytes = strtoull(v, NULL, 10);
        else if (strcmp(k, "--level") == 0)
            o.level = (int)strtol(v, NULL, 10);
        else
            usage();
    }
    if (o.dir == NULL)
        usage();
    if (strcmp(argv[1], "pipeline") == 0)
        return pipeline(&o);
    if (strcmp(argv[1], "backlog") == 0)
        return backlog(&o);
    usage();
    return 2;
}
