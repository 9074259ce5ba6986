/*
 * batch.c - everything ingest checks about one request before a byte is
 * written: the headers (docs/protocol.md), the zstd frame, the records,
 * the host identity; then every record is mapped to one NDJSON line.
 *
 * Hostile sizes are bounded before they cost anything: the body by
 * IngestMaxBodyBytes (the HTTP layer), the decompressed batch by
 * X-Estel-Raw-Bytes, itself bounded by IngestMaxBatchBytes, and zstd
 * writes into a buffer of exactly that size, so a frame that expands to
 * GiBs stops at the bound.  Every record passes record_check() (no
 * declared length larger than the bytes left) before it is read.
 */
#include "ingest/ingest_int.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <xxhash.h>
#include <zstd.h>
#include <zstd_errors.h>

#define CONTENT_TYPE "application/vnd.estel.batch+msgpack"
#define OUT_SLACK ((uint64_t)1 << 20)

struct ingest_decoder {
    enum ingest_format format;
    uint64_t max_batch_bytes;
    ZSTD_DCtx *dctx;
    struct estel_buf raw;           /* the decompressed records */
    struct estel_buf out;           /* the NDJSON lines */
    bool timing;
    struct mp_tree tree;            /* the record being mapped */
    struct rec rec;
};

static uint64_t
now_cpu_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static enum estel_rc
reject(struct ingest_result *res, int status, struct estel_err *err,
       enum estel_rc rc, const char *fmt, ...) ESTEL_PRINTF(5, 6);

static enum estel_rc
reject(struct ingest_result *res, int status, struct estel_err *err,
       enum estel_rc rc, const char *fmt, ...)
{
    char msg[ESTEL_ERR_MSG_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    res->status = status;
    return estel_fail(err, rc, "%s", msg);
}

/* Host ids, boot ids: what config_check_host_id allows, up to 71 bytes. */
static bool
valid_id(const char *s)
{
    size_t n;

    if (s == NULL || (n = strlen(s)) == 0 || n > INGEST_ID_MAX)
        return false;
    return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                  "0123456789._:-") == n;
}

/* A decimal uint64 and nothing else (no sign, no spaces, no overflow). */
static bool
parse_u64(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    size_t i;

    if (s == NULL || s[0] == '\0')
        return false;
    for (i = 0; s[i] != '\0'; i++) {
        unsigned d = (unsigned)(s[i] - '0');

        if (d > 9 || i >= 20 || v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

static bool
parse_hex64(const char *s, uint64_t *out)
{
    uint64_t v = 0;

    if (s == NULL || strlen(s) != 16)
        return false;
    for (int i = 0; i < 16; i++) {
        char c = s[i];
        unsigned d;

        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else
            return false;
        v = (v << 4) | d;
    }
    *out = v;
    return true;
}

/* "application/vnd.estel.batch+msgpack" with optional "; params". */
static bool
media_type_is(const char *v, const char *want)
{
    size_t n = strlen(want);

    if (v == NULL)
        return false;
    while (*v == ' ')
        v++;
    if (strncasecmp(v, want, n) != 0)
        return false;
    v += n;
    while (*v == ' ')
        v++;
    return *v == '\0' || *v == ';';
}

static enum estel_rc
check_ids(const struct ingest_request *req, struct ingest_result *res,
          struct estel_err *err)
{
    int n;

    if (!valid_id(req->host))
        return reject(res, 400, err, ESTEL_E_CORRUPT, "X-Estel-Host is "
                      "missing or not a host id (1-%d letters, digits, "
                      "'.', '_', ':', '-')", INGEST_ID_MAX);
    if (strcmp(req->host, req->client_id) != 0)
        return reject(res, 403, err, ESTEL_E_AUTH, "X-Estel-Host \"%s\" is "
                      "not the client certificate's host \"%s\"", req->host,
                      req->client_id);
    if (!valid_id(req->boot))
        return reject(res, 400, err, ESTEL_E_CORRUPT, "X-Estel-Boot is "
                      "missing or not a boot id");
    memcpy(res->host_id, req->host, strlen(req->host) + 1);
    memcpy(res->boot_id, req->boot, strlen(req->boot) + 1);
    if (!parse_u64(req->first_seq, &res->first_seq) ||
        !parse_u64(req->last_seq, &res->last_seq) ||
        res->first_seq > res->last_seq)
        return reject(res, 400, err, ESTEL_E_CORRUPT, "X-Estel-First-Seq / "
                      "X-Estel-Last-Seq are missing, not decimal, or "
                      "first > last");
    n = snprintf(res->key, sizeof(res->key), "%s-%s-%" PRIu64, res->host_id,
                 res->boot_id, res->first_seq);
    if (req->idempotency_key == NULL || n < 0 ||
        (size_t)n >= sizeof(res->key) ||
        strcmp(req->idempotency_key, res->key) != 0)
        return reject(res, 400, err, ESTEL_E_CORRUPT, "Idempotency-Key must "
                      "be X-Estel-Host-X-Estel-Boot-X-Estel-First-Seq "
                      "(\"%s\")", res->key);
    return ESTEL_OK;
}

enum estel_rc
ingest_check_headers(const struct ingest_request *req,
                     uint64_t content_length, uint64_t max_body_bytes,
                     uint64_t max_batch_bytes, struct ingest_result *res,
                     struct estel_err *err)
{
    enum estel_rc rc;

    memset(res, 0, sizeof(*res));
    if (req->client_id == NULL || req->client_id[0] == '\0')
        return reject(res, 401, err, ESTEL_E_AUTH, "no verified client "
                      "certificate");
    if (!media_type_is(req->content_type, CONTENT_TYPE))
        return reject(res, 415, err, ESTEL_E_REJECTED, "Content-Type must "
                      "be %s", CONTENT_TYPE);
    if (!media_type_is(req->content_encoding, "zstd"))
        return reject(res, 415, err, ESTEL_E_REJECTED, "Content-Encoding "
                      "must be zstd");
    if (content_length != UINT64_MAX && content_length > max_body_bytes)
        return reject(res, 413, err, ESTEL_E_REJECTED, "body of %" PRIu64
                      " bytes exceeds IngestMaxBodyBytes %" PRIu64,
                      content_length, max_body_bytes);
    /* 1: agents before 0.2 (ids as hex); view.c reads both */
    if (req->schema == NULL || (strcmp(req->schema, "1") != 0 &&
                                strcmp(req->schema, "2") != 0))
        return reject(res, 400, err, ESTEL_E_CORRUPT, "X-Estel-Schema must "
                      "be 1 or 2");
    if ((rc = check_ids(req, res, err)) != ESTEL_OK)
        return rc;
    if (!parse_u64(req->raw_bytes, &res->raw_bytes) || res->raw_bytes == 0)
        return reject(res, 400, err, ESTEL_E_CORRUPT, "X-Estel-Raw-Bytes is "
                      "missing or not a positive decimal");
    if (res->raw_bytes > max_batch_bytes)
        return reject(res, 413, err, ESTEL_E_REJECTED, "batch of %" PRIu64
                      " bytes exceeds IngestMaxBatchBytes %" PRIu64,
                      res->raw_bytes, max_batch_bytes);
    if (!parse_u64(req->records, &res->records) || res->records == 0 ||
        res->records > res->raw_bytes)
        return reject(res, 400, err, ESTEL_E_CORRUPT, "X-Estel-Records is "
                      "missing, 0, or more than the batch's bytes");
    if (!parse_hex64(req->checksum, &res->checksum))
        return reject(res, 400, err, ESTEL_E_CORRUPT, "X-Estel-Checksum "
                      "must be 16 lower-case hex digits (XXH3-64)");
    return ESTEL_OK;
}

enum estel_rc
ingest_decoder_create(struct ingest_decoder **out, enum ingest_format format,
                      uint64_t max_batch_bytes, struct estel_err *err)
{
    struct ingest_decoder *d;

    if ((d = calloc(1, sizeof(*d))) == NULL ||
        (d->dctx = ZSTD_createDCtx()) == NULL) {
        free(d);
        return estel_fail(err, ESTEL_E_NOMEM, "ingest: out of memory for "
                          "a decoder");
    }
    d->format = format;
    d->max_batch_bytes = max_batch_bytes;
    buf_init(&d->raw, (size_t)max_batch_bytes + 1);
    /* JSON is bigger than msgpack: bound it to a generous multiple */
    buf_init(&d->out, (size_t)(8 * max_batch_bytes + OUT_SLACK));
    *out = d;
    return ESTEL_OK;
}

void
ingest_decoder_destroy(struct ingest_decoder **dp)
{
    struct ingest_decoder *d;

    if (dp == NULL || (d = *dp) == NULL)
        return;
    ZSTD_freeDCtx(d->dctx);
    mp_tree_free(&d->tree);
    buf_free(&d->raw);
    buf_free(&d->out);
    free(d);
    *dp = NULL;
}

void
ingest_decoder_trim(struct ingest_decoder *d, size_t keep_bytes)
{
    if (d->raw.cap > keep_bytes)
        buf_free(&d->raw);
    if (d->out.cap > keep_bytes)
        buf_free(&d->out);
}

void
ingest_decoder_set_timing(struct ingest_decoder *d, bool on)
{
    d->timing = on;
}

/* One zstd frame, nothing after it, content exactly res->raw_bytes. */
static enum estel_rc
decompress(struct ingest_decoder *d, const uint8_t *body, size_t len,
           struct ingest_result *res, struct estel_err *err)
{
    unsigned long long csize = ZSTD_getFrameContentSize(body, len);
    size_t fsize, n;

    if (csize == ZSTD_CONTENTSIZE_ERROR || len < 4)
        return reject(res, 400, err, ESTEL_E_CORRUPT, "body is not a zstd "
                      "frame");
    if (csize != ZSTD_CONTENTSIZE_UNKNOWN && csize != res->raw_bytes)
        return reject(res, 400, err, ESTEL_E_CORRUPT, "zstd frame holds "
                      "%llu bytes, X-Estel-Raw-Bytes says %" PRIu64, csize,
                      res->raw_bytes);
    fsize = ZSTD_findFrameCompressedSize(body, len);
    if (ZSTD_isError(fsize))
        return reject(res, 400, err, ESTEL_E_CORRUPT, "zstd frame is "
                      "truncated or damaged (%s)", ZSTD_getErrorName(fsize));
    if (fsize != len)
        return reject(res, 400, err, ESTEL_E_CORRUPT, "%zu bytes after the "
                      "zstd frame; send exactly one frame", len - fsize);
    buf_clear(&d->raw);
    if (buf_reserve(&d->raw, (size_t)res->raw_bytes) != ESTEL_OK)
        return reject(res, 503, err, ESTEL_E_NOMEM, "out of memory for a "
                      "%" PRIu64 "-byte batch", res->raw_bytes);
    /* the output buffer is exactly the declared size: zstd stops there */
    n = ZSTD_decompressDCtx(d->dctx, d->raw.data, (size_t)res->raw_bytes,
                            body, len);
    if (ZSTD_isError(n)) {
        if (ZSTD_getErrorCode(n) == ZSTD_error_dstSize_tooSmall)
            return reject(res, 400, err, ESTEL_E_CORRUPT, "zstd frame "
                          "expands beyond X-Estel-Raw-Bytes %" PRIu64,
                          res->raw_bytes);
        return reject(res, 400, err, ESTEL_E_CORRUPT, "zstd: %s",
                      ZSTD_getErrorName(n));
    }
    if (n != res->raw_bytes)
        return reject(res, 400, err, ESTEL_E_CORRUPT, "zstd frame holds "
                      "%zu bytes, X-Estel-Raw-Bytes says %" PRIu64, n,
                      res->raw_bytes);
    d->raw.len = n;
    return ESTEL_OK;
}

static void
agent_version(struct rec *r, const char *ua)
{
    size_t n = 0;

    r->agent_version = NULL;
    if (ua == NULL || strncmp(ua, "estel/", 6) != 0)
        return;
    ua += 6;
    while (ua[n] != '\0' && ua[n] != ' ' && n < 32)
        n++;
    if (n > 0) {
        r->agent_version = ua;
        r->agent_version_len = n;
    }
}

static void
tally_gap(const struct rec *r, struct ingest_result *res)
{
    const struct mp_obj *count = view_get(&r->e, EK_COUNT_);

    if (r->kind[0] != 'g')
        return;
    res->gaps++;
    if (count != NULL)
        res->lost += count->v.u;
}

/* Check, read and map record number idx at raw[*off]. */
static enum estel_rc
one_record(struct ingest_decoder *d, const struct ingest_request *req,
           uint64_t idx, size_t *off, uint64_t seq[2],
           struct ingest_result *res, struct estel_err *err)
{
    struct estel_err e = { 0 };
    struct rec *r = &d->rec;
    const uint8_t *p = (const uint8_t *)d->raw.data + *off;
    size_t used, left = d->raw.len - *off;
    const struct mp_obj *hid, *cs;
    uint64_t t0 = d->timing ? now_cpu_ns() : 0, t1;
    enum estel_rc rc;

    if (record_check(p, left, &used, &e) != ESTEL_OK ||
        rec_read(r, &d->tree, p, used, &e) != ESTEL_OK)
        return reject(res, 400, err, ESTEL_E_CORRUPT, "record %" PRIu64
                      " at byte %zu: %s", idx, *off, e.msg);
    hid = r->r.slot[RK_HID];
    if (!mp_str_eq(hid, req->client_id, strlen(req->client_id)))
        return reject(res, 403, err, ESTEL_E_AUTH, "record %" PRIu64 " has "
                      "host id \"%.*s\", not the client certificate's "
                      "\"%s\"", idx, (int)(hid->v.s.n > 72 ? 72 :
                                            hid->v.s.n), hid->v.s.p,
                      req->client_id);
    cs = r->r.slot[RK_CS];
    if (idx == 0 || cs->v.u < seq[0])
        seq[0] = cs->v.u;
    if (idx == 0 || cs->v.u > seq[1])
        seq[1] = cs->v.u;
    tally_gap(r, res);
    t1 = d->timing ? now_cpu_ns() : 0;
    res->ns_verify += t1 - t0;
    rc = d->format == INGEST_FORMAT_OCSF ? map_ocsf(r, &d->out) :
         map_ecs(r, &d->out);
    if (rc == ESTEL_OK)
        rc = buf_putc(&d->out, '\n');
    if (rc != ESTEL_OK)
        return reject(res, 413, err, ESTEL_E_REJECTED, "batch too large "
                      "once mapped to JSON (record %" PRIu64 ")", idx);
    if (d->timing)
        res->ns_map += now_cpu_ns() - t1;
    *off += used;
    return ESTEL_OK;
}

static enum estel_rc
records(struct ingest_decoder *d, const struct ingest_request *req,
        int64_t now_ns, struct ingest_result *res, struct estel_err *err)
{
    uint64_t idx = 0, seq[2] = { 0, 0 };
    size_t off = 0;
    enum estel_rc rc;

    buf_clear(&d->out);
    d->rec.now_ns = now_ns;
    agent_version(&d->rec, req->user_agent);
    while (off < d->raw.len) {
        if (idx == res->records)
            return reject(res, 400, err, ESTEL_E_CORRUPT, "more records "
                          "than X-Estel-Records %" PRIu64, res->records);
        if ((rc = one_record(d, req, idx, &off, seq, res, err)) != ESTEL_OK)
            return rc;
        idx++;
    }
    if (idx != res->records)
        return reject(res, 400, err, ESTEL_E_CORRUPT, "%" PRIu64 " records, "
                      "X-Estel-Records says %" PRIu64, idx, res->records);
    if (seq[0] != res->first_seq || seq[1] != res->last_seq)
        return reject(res, 400, err, ESTEL_E_CORRUPT, "records span "
                      "sequence %" PRIu64 "..%" PRIu64 ", headers say %"
                      PRIu64 "..%" PRIu64, seq[0], seq[1], res->first_seq,
                      res->last_seq);
    return ESTEL_OK;
}

enum estel_rc
ingest_decode(struct ingest_decoder *d, const struct ingest_request *req,
              const uint8_t *body, size_t len, int64_t now_ns,
              struct ingest_result *res, struct estel_err *err)
{
    uint64_t t0, t1;
    enum estel_rc rc;

    if ((rc = ingest_check_headers(req, len, UINT64_MAX, d->max_batch_bytes,
                                   res, err)) != ESTEL_OK)
        return rc;
    t0 = d->timing ? now_cpu_ns() : 0;
    if ((rc = decompress(d, body, len, res, err)) != ESTEL_OK)
        return rc;
    t1 = d->timing ? now_cpu_ns() : 0;
    res->ns_decompress = t1 - t0;
    if (XXH3_64bits(d->raw.data, d->raw.len) != res->checksum)
        return reject(res, 400, err, ESTEL_E_CORRUPT, "X-Estel-Checksum "
                      "does not match the decompressed records");
    if (d->timing)
        res->ns_verify += now_cpu_ns() - t1;
    if ((rc = records(d, req, now_ns, res, err)) != ESTEL_OK)
        return rc;
    res->lines = d->out.data;
    res->lines_len = d->out.len;
    res->status = 200;
    return ESTEL_OK;
}

enum estel_rc
ingest_map_record(enum ingest_format format, const uint8_t *rec, size_t len,
                  int64_t now_ns, struct estel_buf *out,
                  struct estel_err *err)
{
    struct mp_tree tree = { NULL };
    struct rec *r;
    size_t used;
    enum estel_rc rc;

    if ((rc = record_check(rec, len, &used, err)) != ESTEL_OK)
        return rc;
    if ((r = calloc(1, sizeof(*r))) == NULL)
        return estel_fail(err, ESTEL_E_NOMEM, "ingest: out of memory");
    r->now_ns = now_ns;
    if ((rc = rec_read(r, &tree, rec, used, err)) == ESTEL_OK) {
        rc = format == INGEST_FORMAT_OCSF ? map_ocsf(r, out) :
             map_ecs(r, out);
        if (rc != ESTEL_OK)
            rc = estel_fail(err, rc, "record: cannot map to JSON (%s)",
                            estel_rc_name(rc));
    }
    mp_tree_free(&tree);
    free(r);
    return rc;
}
