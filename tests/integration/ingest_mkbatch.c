/*
 * ingest_mkbatch.c - make one wire batch the way an agent does (the real
 * record encoder over the synthetic generator), for the ingest tests:
 *
 *   ingest_mkbatch --host H --boot B --first N --count K [--seed S]
 *                  [--gap] [--status] --body FILE [--headers FILE]
 *                  [--raw FILE]
 *
 * --body gets one zstd frame (content size and checksum on), --headers
 * the protocol headers one per line (curl -H @FILE), --raw the
 * uncompressed records (for tests that tamper with them).  --gap and
 * --status end the batch with a collector record of that kind.
 */
#include "collector/collector.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include <zstd.h>

static bool
write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    bool ok;

    if (f == NULL)
        return false;
    ok = fwrite(p, 1, n, f) == n;
    return fclose(f) == 0 && ok;
}

static bool
parse_u64(const char *s, uint64_t *v)
{
    char *end;

    errno = 0;
    *v = strtoull(s, &end, 10);
    return errno == 0 && end != s && *end == '\0';
}

static bool
add_collector(struct record_encoder *enc, const char *kind, uint64_t seq,
              struct estel_buf *raw)
{
    struct ev_field f[4];
    const uint8_t *rec;
    size_t len;

    if (strcmp(kind, "gap") == 0) {
        f[0] = (struct ev_field){ .key = "first_seq", .kind = EV_UINT,
                                  .v.u = seq - 10 };
        f[1] = (struct ev_field){ .key = "last_seq", .kind = EV_UINT,
                                  .v.u = seq - 8 };
        f[2] = (struct ev_field){ .key = "count", .kind = EV_UINT,
                                  .v.u = 3 };
        f[3] = (struct ev_field){ .key = "reason", .kind = EV_STR,
                                  .v.s = ev_cstr("ring_full") };
    } else {
        f[0] = (struct ev_field){ .key = "events_in", .kind = EV_UINT,
                                  .v.u = 1000 };
        f[1] = (struct ev_field){ .key = "dropped", .kind = EV_UINT,
                                  .v.u = 0 };
        f[2] = (struct ev_field){ .key = "spool_bytes", .kind = EV_UINT,
                                  .v.u = 4096 };
        f[3] = (struct ev_field){ .key = "cert_expiry_ns", .kind = EV_INT,
                                  .v.i = 1800000000000000000LL };
    }
    return record_encode_collector(enc, kind, seq, 1767225600000000000LL +
                                   (int64_t)seq, f, 4, &rec, &len) ==
           ESTEL_OK && buf_append(raw, rec, len) == ESTEL_OK;
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "host", required_argument, NULL, 'H' },
        { "boot", required_argument, NULL, 'B' },
        { "first", required_argument, NULL, 'f' },
        { "count", required_argument, NULL, 'n' },
        { "seed", required_argument, NULL, 's' },
        { "gap", no_argument, NULL, 'g' },
        { "status", no_argument, NULL, 'S' },
        { "body", required_argument, NULL, 'b' },
        { "headers", required_argument, NULL, 'h' },
        { "raw", required_argument, NULL, 'r' },
        { NULL, 0, NULL, 0 }
    };
    struct record_identity id = { "host-0001", "boot-1" };
    struct record_limits lim = { 65536, 1024, false };
    const char *body = NULL, *hdrs = NULL, *rawp = NULL, *extra = NULL;
    uint64_t first = 1, count = 100, seed = 1, seq;
    struct record_encoder *enc = NULL;
    struct synthetic_gen *gen = NULL;
    struct estel_event *ev;
    struct estel_buf raw;
    ZSTD_CCtx *cctx;
    char *frame;
    size_t flen;
    FILE *f;
    int ch;

    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'H': snprintf(id.host_id, sizeof(id.host_id), "%s", optarg);
                  break;
        case 'B': snprintf(id.boot_id, sizeof(id.boot_id), "%s", optarg);
                  break;
        case 'f': if (!parse_u64(optarg, &first)) return 2; break;
        case 'n': if (!parse_u64(optarg, &count)) return 2; break;
        case 's': if (!parse_u64(optarg, &seed)) return 2; break;
        case 'g': extra = "gap"; break;
        case 'S': extra = "status"; break;
        case 'b': body = optarg; break;
        case 'h': hdrs = optarg; break;
        case 'r': rawp = optarg; break;
        default: return 2;
        }
    }
    if (body == NULL || count == 0) {
        fprintf(stderr, "usage: ingest_mkbatch --body FILE [options]\n");
        return 2;
    }
    ev = calloc(1, sizeof(*ev));
    buf_init(&raw, 0);
    if (ev == NULL ||
        record_encoder_create(&enc, &id, &lim, NULL) != ESTEL_OK ||
        synthetic_create(&gen, seed, NULL) != ESTEL_OK)
        return 1;
    seq = first;
    for (uint64_t i = 0; i < count; i++, seq++) {
        const uint8_t *rec;
        size_t len;

        if (extra != NULL && i == count - 1) {
            if (!add_collector(enc, extra, seq, &raw))
                return 1;
            break;
        }
        synthetic_next(gen, ev);
        if (record_encode_event(enc, ev, seq, &rec, &len) != ESTEL_OK ||
            buf_append(&raw, rec, len) != ESTEL_OK)
            return 1;
    }
    seq = first + count - 1;
    flen = ZSTD_compressBound(raw.len);
    if ((frame = malloc(flen)) == NULL || (cctx = ZSTD_createCCtx()) == NULL)
        return 1;
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 3);
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 1);
    flen = ZSTD_compress2(cctx, frame, flen, raw.data, raw.len);
    if (ZSTD_isError(flen) || !write_file(body, frame, flen))
        return 1;
    if (rawp != NULL && !write_file(rawp, raw.data, raw.len))
        return 1;
    if (hdrs != NULL) {
        if ((f = fopen(hdrs, "w")) == NULL)
            return 1;
        fprintf(f, "Content-Type: application/vnd.estel.batch+msgpack\n"
                "Content-Encoding: zstd\n"
                "Idempotency-Key: %s-%s-%" PRIu64 "\n"
                "X-Estel-Host: %s\nX-Estel-Boot: %s\n"
                "X-Estel-First-Seq: %" PRIu64 "\n"
                "X-Estel-Last-Seq: %" PRIu64 "\n"
                "X-Estel-Records: %" PRIu64 "\n"
                "X-Estel-Raw-Bytes: %zu\n"
                "X-Estel-Checksum: %016" PRIx64 "\n"
                "X-Estel-Schema: 2\nUser-Agent: estel/%s\n",
                id.host_id, id.boot_id, first, id.host_id, id.boot_id,
                first, seq, count, raw.len,
                (uint64_t)XXH3_64bits(raw.data, raw.len), ESTEL_VERSION);
        if (fclose(f) != 0)
            return 1;
    }
    ZSTD_freeCCtx(cctx);
    free(frame);
    free(ev);
    buf_free(&raw);
    synthetic_destroy(&gen);
    record_encoder_destroy(&enc);
    return 0;
}
