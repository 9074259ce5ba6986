/*
 * fuzz_ingest_batch.c - the server's whole batch path without the
 * network: ingest_decode() (zstd with the hard output bound, XXH3,
 * record_check, the record reader, the ECS and OCSF mappers) on
 * arbitrary bytes.
 *
 * Input layout: byte 0 picks the format (bit 0), the User-Agent (bit 7)
 * and how the headers are made (bit 6); the rest is either a zstd frame
 * (the body as is) or raw msgpack records, which the harness compresses
 * and describes with consistent headers (records counted with
 * record_check, sequence 1..N as the seeds number them), so mutations
 * reach the record reader and the mappers instead of dying at the
 * checksum.  Must never crash, leak, read out of bounds, or produce a
 * line that is not one JSON object.
 */
#include "collector/collector.h"
#include "ingest/ingest.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include <zstd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t zstd_magic[4] = { 0x28, 0xb5, 0x2f, 0xfd };

/* Each line: starts with '{', ends with "}\n", no other '\n'. */
static void
check_lines(const char *p, size_t n)
{
    size_t start = 0;

    for (size_t i = 0; i < n; i++) {
        if (p[i] != '\n')
            continue;
        if (i - start < 2 || p[start] != '{' || p[i - 1] != '}')
            abort();
        start = i + 1;
    }
    if (start != n)
        abort();
}

/* Records as a client counts them (bit 6: claim as many as bytes, so
 * every record is read and mapped before the count mismatch). */
static uint64_t
count_records(uint8_t sel, const uint8_t *p, size_t len)
{
    uint64_t n = 0;
    size_t off = 0, used;

    if ((sel & 0x40) || len == 0)
        return len > 0 ? len : 1;
    while (off < len && record_check(p + off, len - off, &used, NULL) ==
           ESTEL_OK) {
        off += used;
        n++;
    }
    return n > 0 ? n : 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char key[64], first[24], last[24], recs[24], raw[24], sum[24];
    struct ingest_decoder *d = NULL;
    struct ingest_result res;
    struct ingest_request req;
    uint8_t *frame = NULL;
    const uint8_t *body;
    uint64_t n;
    size_t len;
    uint8_t sel;

    if (size < 1)
        return 0;
    sel = data[0];
    data++;
    size--;
    if (ingest_decoder_create(&d, (sel & 1) ? INGEST_FORMAT_OCSF :
                              INGEST_FORMAT_ECS, 1u << 20, NULL) != ESTEL_OK)
        return 0;
    if (size >= 4 && memcmp(data, zstd_magic, 4) == 0) {
        body = data;
        len = size;
        n = 1;
        snprintf(raw, sizeof(raw), "%u", 4096u);
        snprintf(sum, sizeof(sum), "%016" PRIx64, (uint64_t)0);
    } else {
        size_t cap = ZSTD_compressBound(size);

        if ((frame = malloc(cap)) == NULL)
            goto out;
        len = ZSTD_compress(frame, cap, data, size, 1);
        if (ZSTD_isError(len))
            goto out;
        body = frame;
        snprintf(raw, sizeof(raw), "%zu", size);
        snprintf(sum, sizeof(sum), "%016" PRIx64,
                 (uint64_t)XXH3_64bits(data, size));
        n = count_records(sel, data, size);
    }
    snprintf(first, sizeof(first), "1");
    snprintf(last, sizeof(last), "%" PRIu64, n);
    snprintf(recs, sizeof(recs), "%" PRIu64, n);
    snprintf(key, sizeof(key), "host-u-boot-u-1");
    memset(&req, 0, sizeof(req));
    req.content_type = "application/vnd.estel.batch+msgpack";
    req.content_encoding = "zstd";
    req.idempotency_key = key;
    req.host = "host-u";
    req.boot = "boot-u";
    req.first_seq = first;
    req.last_seq = last;
    req.records = recs;
    req.raw_bytes = raw;
    req.checksum = sum;
    req.schema = "2";
    req.user_agent = (sel & 0x80) ? "estel/1.2.3" : NULL;
    req.client_id = "host-u";
    if (ingest_decode(d, &req, body, len, 1767225600000000000LL, &res,
                      NULL) == ESTEL_OK) {
        if (res.status != 200)
            abort();
        check_lines(res.lines, res.lines_len);
    } else if (res.status < 400 || res.status > 599) {
        abort();
    }
out:
    free(frame);
    ingest_decoder_destroy(&d);
    return 0;
}
