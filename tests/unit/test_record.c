/*
 * test_record.c - schema v2 records: encoding, limits, ids, the hostile
 * input check, JSON printing, and the collector's gap accounting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <msgpack.h>
#include <stdio.h>
#include <string.h>
#include "collector/collector.h"
#include "common/ring.h"

static const struct record_identity ident = { "hostA", "boot1" };

static struct record_encoder *
encoder(uint32_t argv_bytes, uint32_t argv_count, bool env)
{
    struct record_limits lim = { argv_bytes, argv_count, env };
    struct record_encoder *enc = NULL;

    assert_int_equal(record_encoder_create(&enc, &ident, &lim, NULL),
                     ESTEL_OK);
    return enc;
}

/* Encode ev and return it as JSON text (static buffer). */
static const char *
as_json(struct record_encoder *enc, const struct estel_event *ev,
        uint64_t seq)
{
    static struct estel_buf out = { NULL, 0, 0, 1u << 20 };
    const uint8_t *rec;
    size_t len, used;

    assert_int_equal(record_encode_event(enc, ev, seq, &rec, &len),
                     ESTEL_OK);
    buf_clear(&out);
    assert_int_equal(record_to_json(rec, len, &out, &used, NULL), ESTEL_OK);
    assert_int_equal(used, len);
    buf_terminate(&out);
    return out.data;
}

static void
exec_event(struct estel_event *ev, struct ev_str *argv, size_t argc)
{
    struct ev_process *t;
    struct ev_strs a = { argv, argc, argc };
    static struct ev_str env[1] = { { "TOKEN=secret", 12 } };
    struct ev_strs e = { env, 1, 1 };

    ev_reset(ev);
    ev->type = 9;
    ev->version = 9;
    ev->time_ns = 1754572895880814738LL;
    ev->mach_time = 289350913517ull;
    ev->has_seq = ev->has_global_seq = true;
    ev->seq_num = 27;
    ev->global_seq_num = 75;
    ev->process.token.pid = 97391;
    ev->process.token.pidversion = 149091;
    ev->process.executable.path = ev_cstr("/bin/nu");
    ev->process.signing_id = ev_cstr("nu-b9fb");
    t = ev_add_proc(ev, "target");
    t->token.pid = 97391;
    t->token.pidversion = 149092;
    t->executable.path = ev_cstr("/usr/bin/true");
    ev_add_strs(ev, "args", a);
    ev_add_strs(ev, "env", e);
}

static void
test_record_exec_fields_and_env_off(void **state)
{
    struct record_encoder *enc = encoder(1024, 16, false);
    struct ev_str argv[2] = { { "ls", 2 }, { "-l\n\"x\"", 6 } };
    struct estel_event ev;
    const char *j;

    (void)state;
    exec_event(&ev, argv, 2);
    j = as_json(enc, &ev, 42);
    assert_non_null(strstr(j, "\"v\":2,\"ev\":\"exec\",\"cs\":42,"));
    assert_non_null(strstr(j, "\"ts\":1754572895880814738"));
    assert_non_null(strstr(j, "\"hid\":\"hostA\",\"bid\":\"boot1\""));
    assert_non_null(strstr(j, "\"et\":9,\"mv\":9,\"mt\":289350913517,"
                                "\"sq\":27,\"gsq\":75"));
    assert_non_null(strstr(j, "\"sig\":\"nu-b9fb\""));
    assert_null(strstr(j, "\"team\""));     /* absent stays absent */
    assert_non_null(strstr(j, "\"args\":[\"ls\",\"-l\\n\\\"x\\\"\"]"));
    assert_null(strstr(j, "TOKEN"));        /* env is off by default */
    assert_null(strstr(j, "args_count"));
    record_encoder_destroy(&enc);
    enc = encoder(1024, 16, true);
    assert_non_null(strstr(as_json(enc, &ev, 42),
                           "\"env\":[\"TOKEN=secret\"]"));
    record_encoder_destroy(&enc);
}

static void
test_record_argv_is_capped_and_counted(void **state)
{
    static struct ev_str argv[10000];
    struct record_encoder *enc = encoder(100, 1000, false);
    struct estel_event ev;
    const char *j;

    (void)state;
    for (size_t i = 0; i < 10000; i++)
        argv[i] = ev_cstr("abcdefghij");            /* 10 bytes each */
    exec_event(&ev, argv, 10000);
    j = as_json(enc, &ev, 1);
    assert_non_null(strstr(j, "\"args_count\":10000"));
    /* 100 bytes of argv: exactly 10 elements survive */
    assert_non_null(strstr(j, "\"abcdefghij\"]"));
    assert_int_equal(strstr(strstr(j, "\"args\":["), "]") -
                     strstr(j, "\"args\":[") - 8, 10 * 13 - 1);
    record_encoder_destroy(&enc);
}

static void
test_record_ids_are_deterministic(void **state)
{
    struct record_encoder *enc = encoder(1024, 16, false);
    struct ev_str argv[1] = { { "ls", 2 } };
    struct estel_event ev;
    char first[4096], eid[40];
    const char *j, *id;

    (void)state;
    exec_event(&ev, argv, 1);
    snprintf(first, sizeof(first), "%s", as_json(enc, &ev, 7));
    j = as_json(enc, &ev, 7);
    assert_string_equal(first, j);          /* same event, same bytes */
    id = strstr(first, "\"id\":\"");
    assert_non_null(id);
    assert_int_equal(strchr(id + 6, '"') - (id + 6), 32);
    ev.global_seq_num++;                    /* another event: another id */
    j = as_json(enc, &ev, 7);
    assert_null(strstr(j, id));
    /* the process entity id is the documented hash */
    snprintf(eid, sizeof(eid), "\"eid\":\"%016llx\"", (unsigned long long)
             record_entity_id(&ident, 97391, 149091));
    assert_non_null(strstr(j, eid));
    record_encoder_destroy(&enc);
}

/* The 32 hex digits of the record's event id. */
static void
id_of(const char *json, char out[33])
{
    const char *id = strstr(json, "\"id\":\"");

    assert_non_null(id);
    memcpy(out, id + 6, 32);
    out[32] = '\0';
}

/*
 * The id is time-ordered: a host+boot tag, mach_time, global_seq_num; a
 * hash where those are missing.  Same event, same id; other event (other
 * host, boot, mach_time, number, or without numbers other identity),
 * other id.
 */
static void
test_record_id_layout(void **state)
{
    static const struct record_identity other = { "hostB", "boot1" };
    struct record_limits lim = { 1024, 16, false };
    struct record_encoder *enc = encoder(1024, 16, false), *enc2 = NULL;
    struct ev_str argv[1] = { { "ls", 2 } };
    struct estel_event ev;
    char a[33], b[33], want[33];

    (void)state;
    exec_event(&ev, argv, 1);
    ev.mach_time = 0x0123456789abcdefull;
    ev.global_seq_num = 0x1122334455ull;
    id_of(as_json(enc, &ev, 7), a);
    /* bytes 5-11 mach_time (low 56 bits), 12-15 gsq (low 32 bits) */
    snprintf(want, sizeof(want), "%.10s%014llx%08x", a,
             0x23456789abcdefull, 0x22334455u);
    assert_string_equal(a, want);
    id_of(as_json(enc, &ev, 8), b);         /* another cs: same event */
    assert_string_equal(a, b);
    ev.mach_time++;                         /* the next tick: same tag */
    id_of(as_json(enc, &ev, 9), b);
    assert_memory_equal(a, b, 10);
    assert_string_not_equal(a, b);
    assert_int_equal(record_encoder_create(&enc2, &other, &lim, NULL),
                     ESTEL_OK);             /* another host: another tag */
    ev.mach_time--;
    id_of(as_json(enc2, &ev, 7), b);
    assert_memory_not_equal(a, b, 10);
    /* no global_seq_num (version < 4): the type and actor tell apart */
    ev.has_global_seq = false;
    id_of(as_json(enc, &ev, 7), a);
    ev.process.token.pid++;
    id_of(as_json(enc, &ev, 7), b);
    assert_memory_equal(a, b, 24);
    assert_string_not_equal(a, b);
    /* no mach_time: all 16 bytes are a hash */
    ev.mach_time = 0;
    id_of(as_json(enc, &ev, 7), b);
    assert_memory_not_equal(a, b, 10);
    record_encoder_destroy(&enc2);
    record_encoder_destroy(&enc);
}

/* Encode ev with enc and keep a copy of the bytes. */
static size_t
encode_copy(struct record_encoder *enc, const struct estel_event *ev,
            uint64_t seq, uint8_t *out, size_t cap)
{
    const uint8_t *rec;
    size_t len;

    assert_int_equal(record_encode_event(enc, ev, seq, &rec, &len),
                     ESTEL_OK);
    assert_true(len <= cap);
    memcpy(out, rec, len);
    return len;
}

/*
 * The encoder remembers process blocks: a long-lived encoder (warm cache,
 * many hits) must give exactly the bytes of a fresh one (empty cache).
 */
static void
test_record_process_cache_is_invisible(void **state)
{
    static uint8_t a[1 << 16], b[1 << 16];
    struct record_encoder *warm = encoder(1024, 16, false), *cold;
    struct synthetic_gen *g = NULL;
    struct estel_event ev;
    size_t na, nb;

    (void)state;
    assert_int_equal(synthetic_create(&g, 3, NULL), ESTEL_OK);
    for (uint64_t i = 0; i < 3000; i++) {
        synthetic_next(g, &ev);
        na = encode_copy(warm, &ev, i, a, sizeof(a));
        cold = encoder(1024, 16, false);
        nb = encode_copy(cold, &ev, i, b, sizeof(b));
        record_encoder_destroy(&cold);
        assert_int_equal(na, nb);
        assert_memory_equal(a, b, na);
    }
    synthetic_destroy(&g);
    record_encoder_destroy(&warm);
}

/* Same pid and pidversion, one input changed: the record must show it. */
static void
test_record_process_cache_sees_every_change(void **state)
{
    struct record_encoder *enc = encoder(1024, 16, false);
    struct ev_str argv[1] = { { "ls", 2 } };
    struct estel_event ev;
    char sig[8] = "nu-b9fb";
    const char *j;

    (void)state;
    exec_event(&ev, argv, 1);
    ev.nfields = 0;                         /* the actor alone */
    ev.process.signing_id = (struct ev_str){ sig, 7 };
    ev.process.ppid = 1;
    assert_non_null(strstr(as_json(enc, &ev, 1), "\"ppid\":1,"));
    ev.process.ppid = 77;                   /* reparented */
    assert_non_null(strstr(as_json(enc, &ev, 2), "\"ppid\":77,"));
    sig[0] = 'X';                           /* same length, other bytes */
    assert_non_null(strstr(as_json(enc, &ev, 3), "\"sig\":\"Xu-b9fb\""));
    ev.process.cs_flags = 0x20000000;
    assert_non_null(strstr(as_json(enc, &ev, 4), "\"csf\":536870912"));
    ev.process.has_start_time = true;
    ev.process.start_time_ns = 5;
    j = as_json(enc, &ev, 5);
    assert_non_null(strstr(j, "\"start\":5"));
    ev.process.has_start_time = false;      /* and back: no stale key */
    assert_null(strstr(as_json(enc, &ev, 6), "\"start\""));
    ev.process.executable.path_truncated = true;
    assert_non_null(strstr(as_json(enc, &ev, 7), "\"trunc\":true"));
    record_encoder_destroy(&enc);
}

static void
test_record_check_refuses_allocation_bombs(void **state)
{
    /* array32 declaring 2^32-1 elements in a 7-byte input */
    static const uint8_t bomb[] = { 0xdd, 0xff, 0xff, 0xff, 0xff, 0x01,
                                    0x02 };
    static const uint8_t str_bomb[] = { 0xdb, 0x7f, 0xff, 0xff, 0xff, 'a' };
    static const uint8_t bad_type[] = { 0xc1 };
    static const uint8_t ok[] = { 0x82, 0xa1, 'a', 0x01, 0xa1, 'b', 0xc3,
                                  0xff };
    uint8_t deep[100];
    struct estel_err err = { 0 };
    size_t used = 0;

    (void)state;
    assert_int_equal(record_check(bomb, sizeof(bomb), &used, &err),
                     ESTEL_E_CORRUPT);
    assert_non_null(strstr(err.msg, "elements"));
    estel_err_clear(&err);
    assert_int_equal(record_check(str_bomb, sizeof(str_bomb), &used, &err),
                     ESTEL_E_CORRUPT);
    assert_non_null(strstr(err.msg, "exceeds"));
    assert_int_equal(record_check(bad_type, 1, &used, NULL),
                     ESTEL_E_CORRUPT);
    assert_int_equal(record_check(ok, 3, &used, NULL), ESTEL_E_CORRUPT);
    assert_int_equal(record_check(ok, sizeof(ok), &used, NULL), ESTEL_OK);
    assert_int_equal(used, sizeof(ok) - 1);     /* one object, not two */
    memset(deep, 0x91, sizeof(deep));           /* [[[[...]]]] */
    deep[sizeof(deep) - 1] = 0xc0;
    assert_int_equal(record_check(deep, sizeof(deep), &used, NULL),
                     ESTEL_E_CORRUPT);
}

/*
 * record_check's depth limit is msgpack-c's: what it accepts must unpack.
 * msgpack-c refuses a container header, even an empty {} or [], once 32
 * containers are open (found by fuzz_record).
 */
static void
test_record_check_depth_matches_msgpack(void **state)
{
    uint8_t deep[40];
    msgpack_unpacked u;
    size_t used = 0, off = 0;

    (void)state;
    for (size_t open = 30; open <= 33; open++) {
        for (int empty = 0; empty <= 1; empty++) {
            memset(deep, 0x91, open);               /* [[[...[x]...]]] */
            deep[open] = empty ? 0x80 : 0xc0;       /* {} or nil */
            enum estel_rc rc = record_check(deep, open + 1, &used, NULL);
            bool fits = open < 32 || (open == 32 && !empty);

            assert_int_equal(rc, fits ? ESTEL_OK : ESTEL_E_CORRUPT);
            msgpack_unpacked_init(&u);
            off = 0;
            assert_int_equal(msgpack_unpack_next(&u, (const char *)deep,
                                                 open + 1, &off) ==
                             MSGPACK_UNPACK_SUCCESS, fits);
            msgpack_unpacked_destroy(&u);
        }
    }
}

/* Pop every record; mark its "cs" and, for gap records, the lost range. */
static void
drain_ledger(struct ring *r, uint8_t *seen, size_t n, int *gaps)
{
    struct estel_buf out;
    const void *p;
    size_t len, used;
    unsigned long long cs, first, last;
    const char *g;

    buf_init(&out, 0);
    while (ring_peek(r, &p, &len)) {
        buf_clear(&out);
        assert_int_equal(record_to_json(p, len, &out, &used, NULL),
                         ESTEL_OK);
        buf_terminate(&out);
        assert_int_equal(sscanf(strstr(out.data, "\"cs\":"), "\"cs\":%llu",
                                &cs), 1);
        assert_true(cs < n);
        assert_int_equal(seen[cs], 0);          /* never twice */
        seen[cs] = 1;
        if ((g = strstr(out.data, "\"first_seq\":")) != NULL) {
            assert_int_equal(sscanf(g, "\"first_seq\":%llu,\"last_seq\":%llu",
                                    &first, &last), 2);
            assert_non_null(strstr(out.data, "\"reason\":\"ring_full\""));
            for (unsigned long long i = first; i <= last; i++) {
                assert_int_equal(seen[i], 0);
                seen[i] = 2;
            }
            (*gaps)++;
        }
        ring_pop(r);
    }
    buf_free(&out);
}

static void
test_collector_ring_full_becomes_gap_record(void **state)
{
    struct estel_config cfg;
    struct ring *r = NULL;
    struct collector *c = NULL;
    struct synthetic_gen *g = NULL;
    struct estel_event ev;
    static uint8_t seen[4096];
    uint64_t next;
    int full = 0, gaps = 0;

    (void)state;
    assert_int_equal(config_defaults(&cfg, NULL), ESTEL_OK);
    assert_int_equal(ring_create(&r, 16384, NULL), ESTEL_OK);
    assert_int_equal(collector_create(&c, &cfg, r, &ident, 100, false, NULL),
                     ESTEL_OK);
    assert_int_equal(synthetic_create(&g, 1, NULL), ESTEL_OK);
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 200; i++) {
            synthetic_next(g, &ev);
            if (collector_emit(c, &ev) != ESTEL_OK)
                full++;
        }
        drain_ledger(r, seen, sizeof(seen), &gaps);
    }
    synthetic_next(g, &ev);                     /* room again: reported */
    assert_int_equal(collector_emit(c, &ev), ESTEL_OK);
    drain_ledger(r, seen, sizeof(seen), &gaps);
    assert_true(full > 0);
    assert_true(gaps > 0);
    assert_int_equal(atomic_load(&collector_stats(c)->dropped_ring_full),
                     full);
    /* the ledger: every number from the first is a record or in a gap */
    next = collector_take_seq(c);
    for (uint64_t i = 100; i < next - 1; i++)
        assert_int_not_equal(seen[i], 0);
    for (uint64_t i = 0; i < 100; i++)
        assert_int_equal(seen[i], 0);
    synthetic_destroy(&g);
    collector_destroy(&c);
    ring_destroy(&r);
    config_free(&cfg);
}

/* Regression (fuzz_record): ext8/16/32 headers are tag + length, and the
 * type byte counts with the data. */
static void
test_record_check_ext_lengths(void **state)
{
    static const uint8_t ext8[] = { 0xc7, 0x02, 0x05, 0xaa, 0xbb, 0xc0 };
    static const uint8_t ext16[] = { 0xc8, 0x00, 0x01, 0x07, 0xcc, 0xc3 };
    static const uint8_t fixext1[] = { 0xd4, 0x01, 0xdd, 0xc2 };
    struct estel_buf out;
    size_t used;

    (void)state;
    buf_init(&out, 0);
    assert_int_equal(record_check(ext8, sizeof(ext8), &used, NULL),
                     ESTEL_OK);
    assert_int_equal(used, 5);
    assert_int_equal(record_to_json(ext8, sizeof(ext8), &out, &used, NULL),
                     ESTEL_OK);
    buf_terminate(&out);
    assert_string_equal(out.data, "\"aabb\"");
    assert_int_equal(record_check(ext16, sizeof(ext16), &used, NULL),
                     ESTEL_OK);
    assert_int_equal(used, 5);
    assert_int_equal(record_check(fixext1, sizeof(fixext1), &used, NULL),
                     ESTEL_OK);
    assert_int_equal(used, 3);
    assert_int_equal(record_check(ext8, 4, &used, NULL), ESTEL_E_CORRUPT);
    buf_free(&out);
}

static void
test_collector_es_sequence_gaps(void **state)
{
    struct estel_config cfg;
    struct ring *r = NULL;
    struct collector *c = NULL;
    struct estel_event ev;
    struct estel_buf out;
    const void *p;
    size_t len, used;
    static const uint64_t gseq[] = { 10, 11, 15, 16, 3, 4 };

    (void)state;
    assert_int_equal(config_defaults(&cfg, NULL), ESTEL_OK);
    assert_int_equal(ring_create(&r, 1 << 16, NULL), ESTEL_OK);
    assert_int_equal(collector_create(&c, &cfg, r, &ident, 0, false, NULL),
                     ESTEL_OK);
    for (size_t i = 0; i < sizeof(gseq) / sizeof(gseq[0]); i++) {
        ev_reset(&ev);
        ev.type = 11;
        ev.has_global_seq = ev.has_seq = true;
        ev.global_seq_num = gseq[i];
        ev.seq_num = gseq[i];
        collector_track_es_seq(c, &ev);
    }
    /* 12..14 lost; 16 -> 3 is a new client, not a loss */
    assert_int_equal(atomic_load(&collector_stats(c)->es_dropped), 3);
    assert_true(ring_peek(r, &p, &len));
    buf_init(&out, 0);
    assert_int_equal(record_to_json(p, len, &out, &used, NULL), ESTEL_OK);
    buf_terminate(&out);
    assert_non_null(strstr(out.data, "\"reason\":\"es_drop\","
                           "\"sequence\":\"global_seq_num\",\"es_first\":12,"
                           "\"es_last\":14,\"count\":3"));
    ring_pop(r);
    assert_false(ring_peek(r, &p, &len));
    buf_free(&out);
    collector_destroy(&c);
    ring_destroy(&r);
    config_free(&cfg);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_exec_fields_and_env_off),
        cmocka_unit_test(test_record_argv_is_capped_and_counted),
        cmocka_unit_test(test_record_ids_are_deterministic),
        cmocka_unit_test(test_record_id_layout),
        cmocka_unit_test(test_record_process_cache_is_invisible),
        cmocka_unit_test(test_record_process_cache_sees_every_change),
        cmocka_unit_test(test_record_check_refuses_allocation_bombs),
        cmocka_unit_test(test_record_check_depth_matches_msgpack),
        cmocka_unit_test(test_record_check_ext_lengths),
        cmocka_unit_test(test_collector_ring_full_becomes_gap_record),
        cmocka_unit_test(test_collector_es_sequence_gaps),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
