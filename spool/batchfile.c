/*
 * batchfile.c - build and check batch files from memory; see batchfile.h
 * for the byte diagram.
 *
 * Everything here works on bytes the caller holds and keeps no state, so
 * the uploader, the tools, ingest and the fuzzer share one parser.  Every
 * size read from a header is hostile: it is checked against the bytes
 * actually present and against fixed ceilings before anything is
 * allocated, and decompression streams through a fixed window so a forged
 * "content size" cannot make us allocate it.
 */
#include "spool/batchfile.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#define ZSTD_STATIC_LINKING_ONLY       /* ZSTD_getFrameHeader */
#include <zstd.h>

#define OFF_MAGIC 0
#define OFF_VERSION 8
#define OFF_HDRLEN 10
#define OFF_FLAGS 12
#define OFF_FIRST 16
#define OFF_LAST 24
#define OFF_COUNT 32
#define OFF_LEVEL 36
#define OFF_RAW 40
#define OFF_FRAME 48
#define OFF_CREATED 56
#define OFF_RECXXH 64
#define OFF_FRAMEXXH 72
#define OFF_HOST 80
#define OFF_BOOT 152
#define OFF_LOSTFIRST 224
#define OFF_LOSTLAST 232
#define OFF_LOSTRECS 240
#define OFF_HDRXXH 248
#define OUT_CHUNK ((size_t)64 * 1024)
/* Our frames are compressed in one shot with levels <= 19 (window <=
 * 8 MiB); refuse frames that ask a decoder for more. */
#define WINDOW_LOG_MAX 24

static void
put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void
put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void
put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t
get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t
get32(const uint8_t *p)
{
    uint32_t v = 0;

    for (int i = 3; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static uint64_t
get64(const uint8_t *p)
{
    uint64_t v = 0;

    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static void
put_id(uint8_t *p, const char *id)
{
    size_t n = id != NULL ? strnlen(id, BATCHFILE_ID_MAX) : 0;

    p[0] = (uint8_t)n;
    if (n != 0)
        memcpy(p + 1, id, n);
}

void
batchfile_header_build(uint8_t out[BATCHFILE_HEADER_BYTES],
                       const struct batchfile_hdr *h)
{
    memset(out, 0, BATCHFILE_HEADER_BYTES);
    memcpy(out + OFF_MAGIC, BATCHFILE_MAGIC, 8);
    put16(out + OFF_VERSION, BATCHFILE_VERSION);
    put16(out + OFF_HDRLEN, BATCHFILE_HEADER_BYTES);
    put32(out + OFF_FLAGS, h->flags);
    put64(out + OFF_FIRST, h->first_seq);
    put64(out + OFF_LAST, h->last_seq);
    put32(out + OFF_COUNT, h->record_count);
    put32(out + OFF_LEVEL, (uint32_t)h->level);
    put64(out + OFF_RAW, h->raw_bytes);
    put64(out + OFF_FRAME, h->frame_bytes);
    put64(out + OFF_CREATED, (uint64_t)h->created_ns);
    put64(out + OFF_RECXXH, h->records_xxh3);
    put64(out + OFF_FRAMEXXH, h->frame_xxh3);
    put_id(out + OFF_HOST, h->host_id);
    put_id(out + OFF_BOOT, h->boot_id);
    put64(out + OFF_LOSTFIRST, h->lost_first_seq);
    put64(out + OFF_LOSTLAST, h->lost_last_seq);
    put64(out + OFF_LOSTRECS, h->lost_records);
    put64(out + OFF_HDRXXH, XXH3_64bits(out, OFF_HDRXXH));
}

static enum estel_rc
get_id(const uint8_t *p, char *dst, const char *what, struct estel_err *err)
{
    size_t n = p[0];

    if (n > BATCHFILE_ID_MAX)
        return estel_fail(err, ESTEL_E_CORRUPT, "header: %s length %zu is "
                          "over %d", what, n, BATCHFILE_ID_MAX);
    for (size_t i = 0; i < n; i++)
        if (p[1 + i] < 0x20 || p[1 + i] > 0x7e)
            return estel_fail(err, ESTEL_E_CORRUPT, "header: %s holds a "
                              "non-printable byte", what);
    memcpy(dst, p + 1, n);
    dst[n] = '\0';
    return ESTEL_OK;
}

/* Values a correct writer can never produce. */
static enum estel_rc
check_values(const struct batchfile_hdr *h, struct estel_err *err)
{
    if (h->flags != 0)
        return estel_fail(err, ESTEL_E_CORRUPT, "header: unknown flags "
                          "0x%08" PRIx32, h->flags);
    if (h->record_count == 0)
        return estel_fail(err, ESTEL_E_CORRUPT, "header: record count 0");
    if (h->first_seq > h->last_seq)
        return estel_fail(err, ESTEL_E_CORRUPT, "header: first sequence %"
                          PRIu64 " is after last sequence %" PRIu64,
                          h->first_seq, h->last_seq);
    if (h->raw_bytes == 0 || h->raw_bytes > BATCHFILE_RAW_MAX)
        return estel_fail(err, ESTEL_E_CORRUPT, "header: uncompressed size "
                          "%" PRIu64 " is out of range 1..%" PRIu64,
                          h->raw_bytes, BATCHFILE_RAW_MAX);
    if (h->lost_records != 0 && h->lost_first_seq > h->lost_last_seq)
        return estel_fail(err, ESTEL_E_CORRUPT, "header: reported losses "
                          "%" PRIu64 "-%" PRIu64 " are backwards",
                          h->lost_first_seq, h->lost_last_seq);
    if (h->record_count > h->raw_bytes)
        return estel_fail(err, ESTEL_E_CORRUPT, "header: %" PRIu32
                          " records cannot fit in %" PRIu64 " bytes",
                          h->record_count, h->raw_bytes);
    if (h->frame_bytes == 0 ||
        h->frame_bytes > ZSTD_compressBound((size_t)h->raw_bytes))
        return estel_fail(err, ESTEL_E_CORRUPT, "header: frame size %"
                          PRIu64 " is impossible for %" PRIu64
                          " uncompressed bytes", h->frame_bytes,
                          h->raw_bytes);
    return ESTEL_OK;
}

enum estel_rc
batchfile_header_parse(const uint8_t *buf, size_t len,
                       struct batchfile_hdr *h, struct estel_err *err)
{
    enum estel_rc rc;
    uint64_t want;

    memset(h, 0, sizeof(*h));
    if (len < OFF_HDRLEN + 2)
        return estel_fail(err, ESTEL_E_CORRUPT, "truncated header: %zu of "
                          "%d bytes", len, BATCHFILE_HEADER_BYTES);
    if (memcmp(buf + OFF_MAGIC, BATCHFILE_MAGIC, 8) != 0)
        return estel_fail(err, ESTEL_E_CORRUPT, "not a batch file (bad "
                          "magic)");
    h->version = get16(buf + OFF_VERSION);
    h->header_bytes = get16(buf + OFF_HDRLEN);
    if (h->version != BATCHFILE_VERSION)
        return estel_fail(err, h->version > BATCHFILE_VERSION ?
                          ESTEL_E_UNSUPPORTED : ESTEL_E_CORRUPT,
                          "format version %u is not %d (written by a "
                          "newer estel? upgrade this one)", h->version,
                          BATCHFILE_VERSION);
    if (h->header_bytes != BATCHFILE_HEADER_BYTES)
        return estel_fail(err, ESTEL_E_CORRUPT, "header size %u is not %d",
                          h->header_bytes, BATCHFILE_HEADER_BYTES);
    if (len < BATCHFILE_HEADER_BYTES)
        return estel_fail(err, ESTEL_E_CORRUPT, "truncated header: %zu of "
                          "%d bytes", len, BATCHFILE_HEADER_BYTES);
    want = get64(buf + OFF_HDRXXH);
    if (XXH3_64bits(buf, OFF_HDRXXH) != want)
        return estel_fail(err, ESTEL_E_CORRUPT, "header checksum mismatch");
    h->flags = get32(buf + OFF_FLAGS);
    h->first_seq = get64(buf + OFF_FIRST);
    h->last_seq = get64(buf + OFF_LAST);
    h->record_count = get32(buf + OFF_COUNT);
    h->level = (int32_t)get32(buf + OFF_LEVEL);
    h->raw_bytes = get64(buf + OFF_RAW);
    h->frame_bytes = get64(buf + OFF_FRAME);
    h->created_ns = (int64_t)get64(buf + OFF_CREATED);
    h->records_xxh3 = get64(buf + OFF_RECXXH);
    h->frame_xxh3 = get64(buf + OFF_FRAMEXXH);
    h->lost_first_seq = get64(buf + OFF_LOSTFIRST);
    h->lost_last_seq = get64(buf + OFF_LOSTLAST);
    h->lost_records = get64(buf + OFF_LOSTRECS);
    if ((rc = get_id(buf + OFF_HOST, h->host_id, "host id", err)) !=
        ESTEL_OK ||
        (rc = get_id(buf + OFF_BOOT, h->boot_id, "boot id", err)) != ESTEL_OK)
        return rc;
    return check_values(h, err);
}

/* The frame's own header must agree with ours before we decompress. */
static enum estel_rc
check_zstd_header(const uint8_t *frame, size_t len,
                  const struct batchfile_hdr *h, struct estel_err *err)
{
    ZSTD_frameHeader zfh;
    size_t n;

    n = ZSTD_getFrameHeader(&zfh, frame, len);
    if (ZSTD_isError(n) || n != 0)
        return estel_fail(err, ESTEL_E_CORRUPT, "payload is not a zstd "
                          "frame");
    if (zfh.frameType != ZSTD_frame || !zfh.checksumFlag)
        return estel_fail(err, ESTEL_E_CORRUPT, "zstd frame lacks its "
                          "content checksum");
    if (h != NULL && zfh.frameContentSize != h->raw_bytes)
        return estel_fail(err, ESTEL_E_CORRUPT, "zstd content size %llu "
                          "differs from the header's %" PRIu64,
                          (unsigned long long)zfh.frameContentSize,
                          h->raw_bytes);
    n = ZSTD_findFrameCompressedSize(frame, len);
    if (ZSTD_isError(n) || n != len)
        return estel_fail(err, ESTEL_E_CORRUPT, "zstd frame is truncated or "
                          "followed by extra bytes");
    return ESTEL_OK;
}

struct inflate {
    ZSTD_DCtx *dctx;
    XXH3_state_t *xs;
    uint8_t *chunk;
};

static void
inflate_free(struct inflate *z)
{
    ZSTD_freeDCtx(z->dctx);
    XXH3_freeState(z->xs);
    free(z->chunk);
}

static enum estel_rc
inflate_init(struct inflate *z, struct estel_err *err)
{
    z->dctx = ZSTD_createDCtx();
    z->xs = XXH3_createState();
    z->chunk = malloc(OUT_CHUNK);
    if (z->dctx == NULL || z->xs == NULL || z->chunk == NULL) {
        inflate_free(z);
        return estel_fail(err, ESTEL_E_NOMEM, "zstd: out of memory");
    }
    (void)ZSTD_DCtx_setParameter(z->dctx, ZSTD_d_windowLogMax,
                                 WINDOW_LOG_MAX);   /* valid constant */
    XXH3_64bits_reset(z->xs);
    return ESTEL_OK;
}

/* Stream the frame through a fixed chunk; hash (and keep) the output. */
static enum estel_rc
inflate_run(struct inflate *z, const uint8_t *frame, size_t len,
            uint64_t max_raw, struct estel_buf *raw, uint64_t *out_bytes,
            struct estel_err *err)
{
    ZSTD_inBuffer in = { frame, len, 0 };
    uint64_t total = 0;
    size_t left = 1;

    while (left != 0) {
        ZSTD_outBuffer out = { z->chunk, OUT_CHUNK, 0 };

        left = ZSTD_decompressStream(z->dctx, &out, &in);
        if (ZSTD_isError(left))
            return estel_fail(err, ESTEL_E_CORRUPT, "zstd: %s",
                              ZSTD_getErrorName(left));
        total += out.pos;
        if (total > max_raw)
            return estel_fail(err, ESTEL_E_CORRUPT, "decompressed data is "
                              "over %" PRIu64 " bytes", max_raw);
        XXH3_64bits_update(z->xs, z->chunk, out.pos);
        if (raw != NULL && out.pos != 0 &&
            buf_append(raw, z->chunk, out.pos) != ESTEL_OK)
            return estel_fail(err, ESTEL_E_REJECTED, "decompressed data "
                              "does not fit the buffer (%zu bytes max)",
                              raw->max);
        if (left != 0 && in.pos == in.size && out.pos < out.size)
            return estel_fail(err, ESTEL_E_CORRUPT, "zstd frame is "
                              "truncated");
    }
    if (in.pos != in.size)
        return estel_fail(err, ESTEL_E_CORRUPT, "bytes after the zstd "
                          "frame");
    *out_bytes = total;
    return ESTEL_OK;
}

enum estel_rc
batchfile_check_frame_hash(const uint8_t *frame, size_t len,
                           const struct batchfile_hdr *h,
                           struct estel_err *err)
{
    if (len != h->frame_bytes)
        return estel_fail(err, ESTEL_E_CORRUPT, "payload is %zu bytes, the "
                          "header says %" PRIu64 " (truncated file?)", len,
                          h->frame_bytes);
    if (XXH3_64bits(frame, len) != h->frame_xxh3)
        return estel_fail(err, ESTEL_E_CORRUPT, "payload checksum mismatch "
                          "(frame hash)");
    return check_zstd_header(frame, len, h, err);
}

enum estel_rc
batchfile_check_frame(const uint8_t *frame, size_t len,
                      const struct batchfile_hdr *h, struct estel_buf *raw,
                      struct estel_err *err)
{
    struct inflate z;
    uint64_t got = 0;
    enum estel_rc rc;

    if ((rc = batchfile_check_frame_hash(frame, len, h, err)) != ESTEL_OK)
        return rc;
    if ((rc = inflate_init(&z, err)) != ESTEL_OK)
        return rc;
    rc = inflate_run(&z, frame, len, h->raw_bytes, raw, &got, err);
    if (rc == ESTEL_OK && got != h->raw_bytes)
        rc = estel_fail(err, ESTEL_E_CORRUPT, "decompressed %" PRIu64
                        " bytes, the header says %" PRIu64, got,
                        h->raw_bytes);
    if (rc == ESTEL_OK && XXH3_64bits_digest(z.xs) != h->records_xxh3)
        rc = estel_fail(err, ESTEL_E_CORRUPT, "records checksum mismatch "
                        "(XXH3 of the decompressed records)");
    inflate_free(&z);
    return rc;
}

enum estel_rc
batchfile_verify(const uint8_t *file, size_t len, struct batchfile_hdr *h,
                 struct estel_buf *raw, struct estel_err *err)
{
    enum estel_rc rc;

    if (len == 0)
        return estel_fail(err, ESTEL_E_CORRUPT, "empty file");
    if ((rc = batchfile_header_parse(file, len, h, err)) != ESTEL_OK)
        return rc;
    return batchfile_check_frame(file + BATCHFILE_HEADER_BYTES,
                                 len - BATCHFILE_HEADER_BYTES, h, raw, err);
}

enum estel_rc
batchfile_decompress(const uint8_t *frame, size_t len, uint64_t max_raw,
                     struct estel_buf *raw, struct estel_err *err)
{
    struct inflate z;
    uint64_t got = 0;
    enum estel_rc rc;

    if ((rc = check_zstd_header(frame, len, NULL, err)) != ESTEL_OK)
        return rc;
    if ((rc = inflate_init(&z, err)) != ESTEL_OK)
        return rc;
    rc = inflate_run(&z, frame, len, max_raw, raw, &got, err);
    inflate_free(&z);
    return rc;
}

bool
batchfile_name_format(char *buf, size_t size, uint64_t first_seq,
                      uint64_t last_seq, int64_t created_ns)
{
    int n = snprintf(buf, size, "%016" PRIx64 "-%016" PRIx64 "-%016" PRIx64
                     BATCHFILE_SUFFIX, first_seq, last_seq,
                     (uint64_t)created_ns);

    return n == BATCHFILE_NAME_LEN && (size_t)n < size;
}

static bool
hex16(const char *p, uint64_t *out)
{
    uint64_t v = 0;

    for (int i = 0; i < 16; i++) {
        char c = p[i];

        if (c >= '0' && c <= '9')
            v = (v << 4) | (uint64_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v = (v << 4) | (uint64_t)(c - 'a' + 10);
        else
            return false;
    }
    *out = v;
    return true;
}

bool
batchfile_name_parse(const char *name, uint64_t *first_seq,
                     uint64_t *last_seq, int64_t *created_ns)
{
    uint64_t f, l, c;

    if (strlen(name) != BATCHFILE_NAME_LEN || name[16] != '-' ||
        name[33] != '-' || strcmp(name + 50, BATCHFILE_SUFFIX) != 0)
        return false;
    if (!hex16(name, &f) || !hex16(name + 17, &l) || !hex16(name + 34, &c))
        return false;
    if (f > l)
        return false;
    *first_seq = f;
    *last_seq = l;
    *created_ns = (int64_t)c;
    return true;
}
