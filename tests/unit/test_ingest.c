/*
 * test_ingest.c - the batch decoder through ingest.h: every status the
 * protocol gives a bad request (with its one-line reason), decompression
 * bombs, absurd msgpack, host identity, the client certificate's DN; and
 * a real synthetic batch whose every line parses (jansson) and keeps every
 * leaf of its record.  test_ingest_map.c checks the mappings themselves.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/ingest_check.h"

#include <inttypes.h>
#include <jansson.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include <zstd.h>

#include "collector/collector.h"
#include "ingest/ingest.h"

#define NOW_NS 1767225600123456789LL

/* ---- building batches ---------------------------------------------------- */

struct batch {
    struct estel_buf raw;
    uint8_t *body;
    size_t len;
    char key[96], first[24], last[24], records[24], raw_bytes[24], sum[24];
    struct ingest_request req;
};

static void
batch_seal(struct batch *b, const char *host, const char *boot,
           uint64_t first, uint64_t last, uint64_t records)
{
    size_t cap = ZSTD_compressBound(b->raw.len);
    ZSTD_CCtx *cc = ZSTD_createCCtx();

    ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1);
    b->body = malloc(cap);
    b->len = ZSTD_compress2(cc, b->body, cap, b->raw.data, b->raw.len);
    assert_false(ZSTD_isError(b->len));
    ZSTD_freeCCtx(cc);
    snprintf(b->key, sizeof(b->key), "%s-%s-%" PRIu64, host, boot, first);
    snprintf(b->first, sizeof(b->first), "%" PRIu64, first);
    snprintf(b->last, sizeof(b->last), "%" PRIu64, last);
    snprintf(b->records, sizeof(b->records), "%" PRIu64, records);
    snprintf(b->raw_bytes, sizeof(b->raw_bytes), "%zu", b->raw.len);
    snprintf(b->sum, sizeof(b->sum), "%016" PRIx64,
             (uint64_t)XXH3_64bits(b->raw.data, b->raw.len));
    b->req = (struct ingest_request){
        .content_type = "application/vnd.estel.batch+msgpack",
        .content_encoding = "zstd", .idempotency_key = b->key,
        .host = host, .boot = boot, .first_seq = b->first,
        .last_seq = b->last, .records = b->records,
        .raw_bytes = b->raw_bytes, .checksum = b->sum, .schema = "1",
        .user_agent = "estel/9.8.7", .client_id = host,
    };
}

/* n synthetic records numbered first.. from the real encoder. */
static void
batch_synthetic(struct batch *b, const char *host, uint64_t first,
                uint64_t n, uint64_t seed)
{
    struct record_identity id;
    struct record_limits lim = { 65536, 1024, false };
    struct record_encoder *enc = NULL;
    struct synthetic_gen *g = NULL;
    struct estel_event *ev = calloc(1, sizeof(*ev));

    snprintf(id.host_id, sizeof(id.host_id), "%s", host);
    snprintf(id.boot_id, sizeof(id.boot_id), "boot-u");
    assert_int_equal(record_encoder_create(&enc, &id, &lim, NULL), ESTEL_OK);
    assert_int_equal(synthetic_create(&g, seed, NULL), ESTEL_OK);
    buf_init(&b->raw, 0);
    for (uint64_t i = 0; i < n; i++) {
        const uint8_t *rec;
        size_t len;

        synthetic_next(g, ev);
        assert_int_equal(record_encode_event(enc, ev, first + i, &rec, &len),
                         ESTEL_OK);
        assert_int_equal(buf_append(&b->raw, rec, len), ESTEL_OK);
    }
    batch_seal(b, host, "boot-u", first, first + n - 1, n);
    free(ev);
    synthetic_destroy(&g);
    record_encoder_destroy(&enc);
}

static void
batch_raw(struct batch *b, const void *raw, size_t len, uint64_t records)
{
    buf_init(&b->raw, 0);
    assert_int_equal(buf_append(&b->raw, raw, len), ESTEL_OK);
    batch_seal(b, "host-u", "boot-u", 1, 1, records);
}

static void
batch_free(struct batch *b)
{
    buf_free(&b->raw);
    free(b->body);
}

/* Decode b; returns the status, the reason in msg. */
static int
decode(struct batch *b, struct ingest_result *res, char *msg, size_t size)
{
    struct ingest_decoder *d = NULL;
    struct estel_err err = { 0 };
    enum estel_rc rc;

    assert_int_equal(ingest_decoder_create(&d, INGEST_FORMAT_ECS, 1u << 22,
                                           NULL), ESTEL_OK);
    rc = ingest_decode(d, &b->req, b->body, b->len, NOW_NS, res, &err);
    snprintf(msg, size, "%s", err.msg);
    if (rc == ESTEL_OK)
        assert_int_equal(res->status, 200);
    else
        assert_true(res->status >= 400);
    /* the lines are the decoder's: count them before it goes */
    if (rc == ESTEL_OK) {
        size_t lines = 0;

        for (size_t i = 0; i < res->lines_len; i++)
            lines += res->lines[i] == '\n';
        res->records = lines;
    }
    ingest_decoder_destroy(&d);
    return res->status;
}

static void
expect_status(struct batch *b, int want, const char *fragment)
{
    struct ingest_result res;
    char msg[ESTEL_ERR_MSG_MAX];
    int got = decode(b, &res, msg, sizeof(msg));

    if (got != want || strstr(msg, fragment) == NULL)
        fail_msg("want %d \"%s\", got %d \"%s\"", want, fragment, got, msg);
    assert_null(strchr(msg, '\n'));         /* one line */
}

/* ---- decoder ------------------------------------------------------------- */

static void
test_ingest_decode_good_batch(void **state)
{
    struct batch b;
    struct ingest_result res;
    char msg[256];

    (void)state;
    batch_synthetic(&b, "host-u", 100, 500, 1);
    assert_int_equal(decode(&b, &res, msg, sizeof(msg)), 200);
    assert_int_equal(res.records, 500);
    assert_string_equal(res.key, "host-u-boot-u-100");
    assert_int_equal(res.first_seq, 100);
    assert_int_equal(res.last_seq, 599);
    batch_free(&b);
}

static void
test_ingest_decode_refuses_bad_headers(void **state)
{
    struct batch b;

    (void)state;
    batch_synthetic(&b, "host-u", 1, 20, 2);
    b.req.client_id = NULL;
    expect_status(&b, 401, "no verified client certificate");
    b.req.client_id = "host-u";
    b.req.content_type = "application/json";
    expect_status(&b, 415, "Content-Type must be");
    b.req.content_type = "Application/Vnd.Estel.Batch+Msgpack; x=y";
    expect_status(&b, 200, "");
    b.req.content_encoding = "gzip";
    expect_status(&b, 415, "Content-Encoding must be zstd");
    b.req.content_encoding = "zstd";
    b.req.client_id = "host-other";
    expect_status(&b, 403, "not the client certificate's host");
    b.req.client_id = "host-u";
    b.req.schema = "3";
    expect_status(&b, 400, "X-Estel-Schema must be 1 or 2");
    b.req.schema = "1";                     /* an agent before 0.2 */
    expect_status(&b, 200, "");
    b.req.schema = "2";
    b.req.idempotency_key = "host-u-boot-u-2";
    expect_status(&b, 400, "Idempotency-Key must be");
    b.req.idempotency_key = b.key;
    b.req.first_seq = "-1";
    expect_status(&b, 400, "X-Estel-First-Seq");
    b.req.first_seq = "99999999999999999999";
    expect_status(&b, 400, "X-Estel-First-Seq");
    b.req.first_seq = b.first;
    b.req.host = "host u";
    expect_status(&b, 400, "X-Estel-Host is missing or not a host id");
    b.req.host = "host-u";
    b.req.raw_bytes = "999999999";
    expect_status(&b, 413, "exceeds IngestMaxBatchBytes");
    b.req.raw_bytes = b.raw_bytes;
    b.req.checksum = "0123";
    expect_status(&b, 400, "X-Estel-Checksum must be 16");
    b.req.checksum = "0123456789abcdef";
    expect_status(&b, 400, "X-Estel-Checksum does not match");
    b.req.checksum = b.sum;
    b.req.records = "21";
    expect_status(&b, 400, "X-Estel-Records says 21");
    b.req.records = "19";
    expect_status(&b, 400, "more records than X-Estel-Records 19");
    b.req.records = b.records;
    b.req.last_seq = "21";
    expect_status(&b, 400, "records span sequence 1..20, headers say 1..21");
    b.req.last_seq = b.last;
    expect_status(&b, 200, "");
    batch_free(&b);
}

static void
test_ingest_decode_refuses_bad_frames(void **state)
{
    struct batch b;
    uint8_t *two;
    size_t len;

    (void)state;
    batch_synthetic(&b, "host-u", 1, 30, 3);
    len = b.len;
    b.len = len / 2;
    expect_status(&b, 400, "truncated or damaged");
    b.len = 3;
    expect_status(&b, 400, "not a zstd frame");
    two = malloc(2 * len);
    memcpy(two, b.body, len);
    memcpy(two + len, b.body, len);
    free(b.body);
    b.body = two;
    b.len = 2 * len;
    expect_status(&b, 400, "after the zstd frame; send exactly one frame");
    b.len = len;
    b.req.raw_bytes = "100";
    expect_status(&b, 400, "zstd frame holds");
    b.req.raw_bytes = b.raw_bytes;
    b.body[len / 2] ^= 0x55;                /* damage in the middle */
    expect_status(&b, 400, "zstd");
    batch_free(&b);
}

/* 1 GiB of zeros, frame without a content size: stops at the bound. */
static void
test_ingest_decode_stops_a_bomb(void **state)
{
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    uint8_t *zeros = calloc(1, 1 << 20), *frame = malloc(1 << 20);
    ZSTD_outBuffer out = { frame, 1 << 20, 0 };
    struct batch b;

    (void)state;
    ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1);
    ZSTD_CCtx_setParameter(cc, ZSTD_c_contentSizeFlag, 0);
    for (int i = 0; i < 1024; i++) {
        ZSTD_inBuffer in = { zeros, 1 << 20, 0 };

        assert_false(ZSTD_isError(ZSTD_compressStream2(cc, &out, &in,
                                                       ZSTD_e_continue)));
    }
    for (;;) {
        ZSTD_inBuffer in = { NULL, 0, 0 };
        size_t left = ZSTD_compressStream2(cc, &out, &in, ZSTD_e_end);

        assert_false(ZSTD_isError(left));
        if (left == 0)
            break;
    }
    batch_raw(&b, "\x90", 1, 1);            /* headers for a 1-byte batch */
    free(b.body);
    b.body = frame;
    b.len = out.pos;
    b.req.raw_bytes = "4096";
    expect_status(&b, 400, "expands beyond X-Estel-Raw-Bytes 4096");
    b.req.raw_bytes = "8589934592";
    expect_status(&b, 413, "exceeds IngestMaxBatchBytes");
    batch_free(&b);
    free(zeros);
    ZSTD_freeCCtx(cc);
}

static void
test_ingest_decode_refuses_absurd_msgpack(void **state)
{
    static const struct { const char *raw; size_t len; } cases[] = {
        { "\xdd\xff\xff\xff\xf0\x00\x00\x00", 8 },      /* array32 */
        { "\xdf\xff\xff\xff\xf0\x00\x00\x00", 8 },      /* map32 */
        { "\xdb\xff\xff\xff\xf0xxxx", 9 },              /* str32 */
        { "\xc1\x00\x00", 3 },                          /* never used */
        { "\x93\x01\x02", 3 },                          /* truncated */
    };
    struct batch b;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        batch_raw(&b, cases[i].raw, cases[i].len, 1);
        expect_status(&b, 400, "record 0 at byte 0: msgpack");
        batch_free(&b);
    }
    /* a map, but not a record */
    batch_raw(&b, "\x81\xa1x\x01", 4, 1);
    expect_status(&b, 400, "record has no valid \"v\"");
    batch_free(&b);
}

static void
test_ingest_decode_checks_every_hid(void **state)
{
    struct batch a, b;
    struct estel_buf both;

    (void)state;
    batch_synthetic(&a, "host-u", 1, 10, 4);
    batch_synthetic(&b, "host-x", 11, 1, 4);
    buf_init(&both, 0);
    assert_int_equal(buf_append(&both, a.raw.data, a.raw.len), ESTEL_OK);
    assert_int_equal(buf_append(&both, b.raw.data, b.raw.len), ESTEL_OK);
    batch_free(&a);
    batch_free(&b);
    a.raw = both;
    batch_seal(&a, "host-u", "boot-u", 1, 11, 11);
    expect_status(&a, 403, "record 10 has host id \"host-x\", not the "
                  "client certificate's \"host-u\"");
    batch_free(&a);
}

static void
test_ingest_dn_common_name(void **state)
{
    char cn[72];

    (void)state;
    assert_true(ingest_dn_common_name("CN=host-0001,O=Example", cn,
                                      sizeof(cn)));
    assert_string_equal(cn, "host-0001");
    assert_true(ingest_dn_common_name("O=Ex\\,ample,CN=h\\2b1", cn,
                                      sizeof(cn)));
    assert_string_equal(cn, "h+1");
    assert_true(ingest_dn_common_name("2.5.4.3=host-2,O=x", cn, sizeof(cn)));
    assert_string_equal(cn, "host-2");
    assert_true(ingest_dn_common_name("/C=US/O=x/CN=host-3", cn,
                                      sizeof(cn)));
    assert_string_equal(cn, "host-3");
    assert_false(ingest_dn_common_name("CN=a,CN=b", cn, sizeof(cn)));
    assert_false(ingest_dn_common_name("/CN=a/CN=b", cn, sizeof(cn)));
    assert_false(ingest_dn_common_name("O=no-cn", cn, sizeof(cn)));
    assert_false(ingest_dn_common_name("CN=#04026869", cn, sizeof(cn)));
    assert_false(ingest_dn_common_name("CN=a\\00b", cn, sizeof(cn)));
    assert_false(ingest_dn_common_name("CN=", cn, sizeof(cn)));
    assert_false(ingest_dn_common_name("CN=waytoolong", cn, 5));
}

/* ---- every record, every leaf ------------------------------------------ */

/* A synthetic batch: every line parses, nothing dropped from any record. */
static void
test_ingest_map_synthetic_complete(void **state)
{
    struct batch b;
    struct ingest_decoder *d = NULL;
    struct ingest_result res;
    struct estel_err err = { 0 };
    const char *line;
    size_t off = 0;

    (void)state;
    batch_synthetic(&b, "host-u", 1, 300, 9);
    for (int f = 0; f < 2; f++) {
        assert_int_equal(ingest_decoder_create(&d, (enum ingest_format)f,
                                               1u << 22, NULL), ESTEL_OK);
        assert_int_equal(ingest_decode(d, &b.req, b.body, b.len, NOW_NS,
                                       &res, &err), ESTEL_OK);
        line = res.lines;
        off = 0;
        for (int i = 0; i < 300; i++) {
            const char *nl = memchr(line, '\n', res.lines_len -
                                    (size_t)(line - res.lines));
            char *text = strndup(line, (size_t)(nl - line));
            msgpack_unpacked u;
            json_t *j = json_loads(text, 0, NULL);

            assert_non_null(j);
            msgpack_unpacked_init(&u);
            assert_int_equal(msgpack_unpack_next(&u, b.raw.data, b.raw.len,
                                                 &off),
                             MSGPACK_UNPACK_SUCCESS);
            nothing_dropped(text, &u.data);
            msgpack_unpacked_destroy(&u);
            json_decref(j);
            free(text);
            line = nl + 1;
        }
        ingest_decoder_destroy(&d);
    }
    batch_free(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ingest_decode_good_batch),
        cmocka_unit_test(test_ingest_decode_refuses_bad_headers),
        cmocka_unit_test(test_ingest_decode_refuses_bad_frames),
        cmocka_unit_test(test_ingest_decode_stops_a_bomb),
        cmocka_unit_test(test_ingest_decode_refuses_absurd_msgpack),
        cmocka_unit_test(test_ingest_decode_checks_every_hid),
        cmocka_unit_test(test_ingest_dn_common_name),
        cmocka_unit_test(test_ingest_map_synthetic_complete),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
