/*
 * bench_ingest.c - how fast one ingest core decodes and writes batches.
 *
 *   bench_ingest [--batches N] [--records R] [--format ecs|ocsf]
 *                [--dir DIR] [--bodies DIR]
 *
 * Makes N agent batches of R synthetic records (the real encoder, zstd
 * level 3 as agents use by default), then runs exactly the server's path
 * on one thread: ingest_decode() (decompress with the hard bound, XXH3,
 * record_check, map to JSON) and the committer's writes (append + fsync
 * per batch) into DIR.  Prints "key value" lines for run.sh: events/s,
 * MB/s of msgpack decoded and of NDJSON written, and the CPU split.
 * --bodies also writes each body to DIR/bNNNN.zst so run.sh can time
 * `zstd -d` on the very same bytes.
 */
#include "collector/collector.h"
#include "common/platform.h"
#include "ingest/ingest.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>

struct batch {
    uint8_t *body;
    size_t len;
    uint64_t raw_bytes, records, first;
    char hdr[6][64];
    struct ingest_request req;
};

static uint64_t
cpu_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t
wall_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int
make_batch(struct batch *b, struct record_encoder *enc,
           struct synthetic_gen *gen, struct estel_event *ev, ZSTD_CCtx *cc,
           uint64_t first, uint64_t records)
{
    struct estel_buf raw;
    const uint8_t *rec;
    size_t len, cap;

    buf_init(&raw, 0);
    for (uint64_t i = 0; i < records; i++) {
        synthetic_next(gen, ev);
        if (record_encode_event(enc, ev, first + i, &rec, &len) != ESTEL_OK ||
            buf_append(&raw, rec, len) != ESTEL_OK)
            return -1;
    }
    cap = ZSTD_compressBound(raw.len);
    if ((b->body = malloc(cap)) == NULL)
        return -1;
    b->len = ZSTD_compress2(cc, b->body, cap, raw.data, raw.len);
    if (ZSTD_isError(b->len))
        return -1;
    b->raw_bytes = raw.len;
    b->records = records;
    b->first = first;
    snprintf(b->hdr[0], 64, "bench-host-boot1-%" PRIu64, first);
    snprintf(b->hdr[1], 64, "%" PRIu64, first);
    snprintf(b->hdr[2], 64, "%" PRIu64, first + records - 1);
    snprintf(b->hdr[3], 64, "%" PRIu64, records);
    snprintf(b->hdr[4], 64, "%zu", raw.len);
    snprintf(b->hdr[5], 64, "%016" PRIx64,
             (uint64_t)XXH3_64bits(raw.data, raw.len));
    b->req = (struct ingest_request){
        .content_type = "application/vnd.estel.batch+msgpack",
        .content_encoding = "zstd", .idempotency_key = b->hdr[0],
        .host = "bench-host", .boot = "boot1", .first_seq = b->hdr[1],
        .last_seq = b->hdr[2], .records = b->hdr[3],
        .raw_bytes = b->hdr[4], .checksum = b->hdr[5], .schema = "1",
        .user_agent = "estel/" ESTEL_VERSION, .client_id = "bench-host",
    };
    buf_free(&raw);
    return 0;
}

static bool
parse_u64(const char *s, uint64_t *v)
{
    char *end;

    errno = 0;
    *v = strtoull(s, &end, 10);
    return errno == 0 && end != s && *end == '\0' && *v > 0;
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "batches", required_argument, NULL, 'n' },
        { "records", required_argument, NULL, 'r' },
        { "format", required_argument, NULL, 'f' },
        { "dir", required_argument, NULL, 'd' },
        { "bodies", no_argument, NULL, 'b' },
        { "repeat", required_argument, NULL, 'R' },
        { NULL, 0, NULL, 0 }
    };
    struct record_identity id = { "bench-host", "boot1" };
    struct record_limits lim = { 65536, 1024, false };
    uint64_t repeat = 1, nb = 40, nr = 2500;
    uint64_t events = 0, raw = 0, out = 0, body = 0;
    uint64_t t_dec = 0, t_ver = 0, t_map = 0, t_write = 0, t_all, w0, w1;
    uint64_t t_zstd = 0, t0;
    enum ingest_format fmt = INGEST_FORMAT_ECS;
    const char *dir = "/tmp/estel-bench-ingest";
    bool bodies = false;
    struct record_encoder *enc = NULL;
    struct synthetic_gen *gen = NULL;
    struct ingest_decoder *dec = NULL;
    struct ingest_out *o = NULL;
    struct estel_event *ev = calloc(1, sizeof(*ev));
    struct batch *b;
    struct estel_err err = { 0 };
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    ZSTD_DCtx *dc = ZSTD_createDCtx();
    void *scratch;
    int ch, dirfd;

    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'n': if (!parse_u64(optarg, &nb)) return 2; break;
        case 'r': if (!parse_u64(optarg, &nr)) return 2; break;
        case 'f': fmt = strcmp(optarg, "ocsf") == 0 ? INGEST_FORMAT_OCSF :
                        INGEST_FORMAT_ECS; break;
        case 'd': dir = optarg; break;
        case 'b': bodies = true; break;
        case 'R': if (!parse_u64(optarg, &repeat)) return 2; break;
        default: return 2;
        }
    }
    if (ev == NULL || cc == NULL || dc == NULL ||
        (b = calloc(nb, sizeof(*b))) == NULL ||
        record_encoder_create(&enc, &id, &lim, NULL) != ESTEL_OK ||
        synthetic_create(&gen, 42, NULL) != ESTEL_OK ||
        ingest_decoder_create(&dec, fmt, 64u << 20, NULL) != ESTEL_OK)
        return 1;
    ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, 3);
    ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1);
    for (uint64_t i = 0; i < nb; i++)
        if (make_batch(&b[i], enc, gen, ev, cc, 1 + i * nr, nr) != 0)
            return 1;
    mkdir(dir, 0755);
    if ((dirfd = open(dir, O_RDONLY | O_DIRECTORY)) < 0 ||
        ingest_out_open(&o, dirfd, 1u << 30, 0, false, &err) != ESTEL_OK) {
        fprintf(stderr, "bench_ingest: %s: %s\n", dir, err.msg);
        return 1;
    }
    if (bodies)
        for (uint64_t i = 0; i < nb; i++) {
            char path[4096];
            FILE *f;

            snprintf(path, sizeof(path), "%s/b%04" PRIu64 ".zst", dir, i);
            if ((f = fopen(path, "wb")) == NULL)
                return 1;
            fwrite(b[i].body, 1, b[i].len, f);
            fclose(f);
        }
    /* the same bodies through plain zstd, for scale */
    if ((scratch = malloc(64u << 20)) == NULL)
        return 1;
    w0 = cpu_ns();
    for (uint64_t i = 0; i < nb; i++)
        (void)ZSTD_decompressDCtx(dc, scratch, 64u << 20, b[i].body,
                                  b[i].len);
    t_zstd = cpu_ns() - w0;
    ingest_decoder_set_timing(dec, true);
    w0 = wall_ns();
    t_all = cpu_ns();
    for (uint64_t k = 0; k < nb * repeat; k++) {
        uint64_t i = k % nb;
        struct ingest_result res;
        uint64_t t1;

        estel_err_clear(&err);
        if (ingest_decode(dec, &b[i].req, b[i].body, b[i].len,
                          estel_now_realtime_ns(), &res, &err) != ESTEL_OK) {
            fprintf(stderr, "bench_ingest: batch %" PRIu64 ": %d %s\n", i,
                    res.status, err.msg);
            return 1;
        }
        t_dec += res.ns_decompress;
        t_ver += res.ns_verify;
        t_map += res.ns_map;
        t1 = cpu_ns();
        if (ingest_out_append(o, res.lines, res.lines_len, &err) !=
            ESTEL_OK || ingest_out_sync(o, &err) != ESTEL_OK) {
            fprintf(stderr, "bench_ingest: %s\n", err.msg);
            return 1;
        }
        t_write += cpu_ns() - t1;
        events += res.records;
        raw += res.raw_bytes;
        out += res.lines_len;
        body += b[i].len;
    }
    t_all = cpu_ns() - t_all;
    w1 = wall_ns() - w0;
    printf("batches %" PRIu64 "\nrecords_per_batch %" PRIu64 "\n", nb, nr);
    printf("events %" PRIu64 "\nbody_bytes %" PRIu64 "\nraw_bytes %" PRIu64
           "\nout_bytes %" PRIu64 "\n", events, body, raw, out);
    printf("cpu_ns %" PRIu64 "\nwall_ns %" PRIu64 "\n", t_all, w1);
    printf("decompress_ns %" PRIu64 "\nverify_ns %" PRIu64 "\nmap_ns %"
           PRIu64 "\nwrite_ns %" PRIu64 "\nzstd_only_ns %" PRIu64 "\n",
           t_dec, t_ver, t_map, t_write, t_zstd);
    printf("events_per_cpu_s %.0f\n", (double)events * 1e9 / (double)t_all);
    /* the same without the per-phase timers (what the server runs) */
    ingest_decoder_set_timing(dec, false);
    t0 = cpu_ns();
    for (uint64_t k = 0; k < nb * repeat; k++) {
        struct ingest_result res;
        uint64_t i = k % nb;

        if (ingest_decode(dec, &b[i].req, b[i].body, b[i].len,
                          estel_now_realtime_ns(), &res, &err) != ESTEL_OK ||
            ingest_out_append(o, res.lines, res.lines_len, &err) !=
            ESTEL_OK || ingest_out_sync(o, &err) != ESTEL_OK)
            return 1;
    }
    t0 = cpu_ns() - t0;
    printf("untimed_cpu_ns %" PRIu64 "\nuntimed_events_per_cpu_s %.0f\n", t0,
           (double)events * 1e9 / (double)t0);
    ingest_out_close(&o);
    close(dirfd);
    for (uint64_t i = 0; i < nb; i++)
        free(b[i].body);
    free(b);
    free(scratch);
    free(ev);
    ingest_decoder_destroy(&dec);
    synthetic_destroy(&gen);
    record_encoder_destroy(&enc);
    ZSTD_freeCCtx(cc);
    ZSTD_freeDCtx(dc);
    return 0;
}
