/*
 * test_es_seq.c - ES drop detection through the source's handler: gaps in
 * global_seq_num (version >= 4) or, before version 4, in a type's seq_num
 * become "gap" records in the stream and es_dropped counts; a number going
 * backwards is a new client, not a loss; a message the source drops on
 * purpose (CLOSE without modification) is not a gap either.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include "collector/es/fake/fake_msg.h"
#include "tests/unit/test_es_util.h"

static const struct record_identity ident = { "hostA", "boot1" };

static struct {
    struct estel_config cfg;
    struct ring *ring;
    struct collector *coll;
    void *src;
    struct estel_buf json;
} t;

static int
setup(void **state)
{
    (void)state;
    memset(&t, 0, sizeof(t));
    assert_int_equal(config_defaults(&t.cfg, NULL), ESTEL_OK);
    assert_int_equal(ring_create(&t.ring, 1u << 20, NULL), ESTEL_OK);
    assert_int_equal(collector_create(&t.coll, &t.cfg, t.ring, &ident, 1,
                                      false, NULL), ESTEL_OK);
    assert_int_equal(source_es_ops.open(&t.src, &t.cfg, NULL, 0, 0, NULL),
                     ESTEL_OK);
    buf_init(&t.json, 0);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    source_es_ops.close(&t.src);
    collector_destroy(&t.coll);
    ring_destroy(&t.ring);
    config_free(&t.cfg);
    buf_free(&t.json);
    assert_int_equal(fake_msg_live(), 0);
    return 0;
}

static void
feed(es_event_type_t type, uint32_t version, uint64_t seq, uint64_t gseq)
{
    es_message_t *m = fake_msg_build(type, version);

    m->seq_num = seq;
    m->global_seq_num = gseq;
    es_source_handle(t.src, t.coll, m);
    fake_msg_free(m);
}

/* The records in the ring: "exec,exec,gap,..."; the last gap's payload
 * JSON into gap (if not NULL). */
static const char *
drain(char *names, size_t size, char *gap, size_t gap_size)
{
    const void *rec;
    size_t len, n = 0;

    names[0] = '\0';
    while (ring_peek(t.ring, &rec, &len)) {
        const char *json = esu_record_json(rec, len, &t.json);
        const char *ev = strstr(json, "\"ev\":\"") + 6;

        if (n < size)
            n += (size_t)snprintf(names + n, size - n, "%s%.*s",
                                  n ? "," : "", (int)strcspn(ev, "\""), ev);
        if (strncmp(ev, "gap\"", 4) == 0 && gap != NULL)
            snprintf(gap, gap_size, "%s", esu_member(json, "e"));
        ring_pop(t.ring);
    }
    return names;
}

static uint64_t
es_dropped(void)
{
    return atomic_load(&collector_stats(t.coll)->es_dropped);
}

static void
test_es_seq_global_gap_is_a_gap_record(void **state)
{
    char names[256], gap[256];

    (void)state;
    feed(ES_EVENT_TYPE_NOTIFY_EXEC, 9, 0, 0);
    feed(ES_EVENT_TYPE_NOTIFY_EXIT, 9, 0, 1);
    feed(ES_EVENT_TYPE_NOTIFY_EXEC, 9, 1, 2);
    feed(ES_EVENT_TYPE_NOTIFY_EXIT, 9, 3, 5);   /* 3 and 4 lost */
    assert_string_equal(drain(names, sizeof(names), gap, sizeof(gap)),
                        "exec,exit,exec,gap,exit");
    assert_non_null(strstr(gap, "\"reason\":\"es_drop\""));
    assert_non_null(strstr(gap, "\"sequence\":\"global_seq_num\","
                                "\"es_first\":3,\"es_last\":4,\"count\":2"));
    assert_int_equal(es_dropped(), 2);
}

/* Before version 4 there is no global number: per-type ones tell. */
static void
test_es_seq_per_type_gap_before_v4(void **state)
{
    char names[256], gap[256];

    (void)state;
    feed(ES_EVENT_TYPE_NOTIFY_EXEC, 2, 0, 0);
    feed(ES_EVENT_TYPE_NOTIFY_EXIT, 2, 0, 0);
    feed(ES_EVENT_TYPE_NOTIFY_EXEC, 2, 1, 0);
    feed(ES_EVENT_TYPE_NOTIFY_EXIT, 2, 1, 0);
    feed(ES_EVENT_TYPE_NOTIFY_EXEC, 2, 4, 0);   /* exec 2, 3 lost */
    assert_string_equal(drain(names, sizeof(names), gap, sizeof(gap)),
                        "exec,exit,exec,exit,gap,exec");
    assert_non_null(strstr(gap, "\"sequence\":\"seq_num\",\"es_first\":2,"
                                "\"es_last\":3,\"count\":2,\"et\":9"));
    assert_int_equal(es_dropped(), 2);
    /* version 1 has no numbers at all: nothing to check, nothing made up */
    feed(ES_EVENT_TYPE_NOTIFY_EXEC, 1, 0, 0);
    feed(ES_EVENT_TYPE_NOTIFY_EXEC, 1, 0, 0);
    assert_string_equal(drain(names, sizeof(names), NULL, 0), "exec,exec");
    assert_int_equal(es_dropped(), 2);
}

static void
test_es_seq_backwards_is_a_new_client(void **state)
{
    char names[256];

    (void)state;
    feed(ES_EVENT_TYPE_NOTIFY_EXEC, 9, 40, 100);
    feed(ES_EVENT_TYPE_NOTIFY_EXEC, 9, 41, 101);
    feed(ES_EVENT_TYPE_NOTIFY_EXEC, 9, 0, 0);   /* restarted */
    feed(ES_EVENT_TYPE_NOTIFY_EXEC, 9, 1, 1);
    assert_string_equal(drain(names, sizeof(names), NULL, 0),
                        "exec,exec,exec,exec");
    assert_int_equal(es_dropped(), 0);
}

static void
test_es_seq_backwards_per_type_before_v4(void **state)
{
    char names[256];

    (void)state;
    feed(ES_EVENT_TYPE_NOTIFY_EXEC, 2, 7, 0);
    feed(ES_EVENT_TYPE_NOTIFY_EXEC, 2, 8, 0);
    feed(ES_EVENT_TYPE_NOTIFY_EXEC, 2, 0, 0);   /* restarted */
    feed(ES_EVENT_TYPE_NOTIFY_EXEC, 2, 1, 0);
    assert_string_equal(drain(names, sizeof(names), NULL, 0),
                        "exec,exec,exec,exec");
    assert_int_equal(es_dropped(), 0);
}

static void
test_es_seq_dropped_close_is_not_a_gap(void **state)
{
    es_message_t *m = fake_msg_build(ES_EVENT_TYPE_NOTIFY_CLOSE, 9);
    char names[256];

    (void)state;
    feed(ES_EVENT_TYPE_NOTIFY_EXEC, 9, 0, 0);
    m->event.close.modified = false;
    m->seq_num = 0;
    m->global_seq_num = 1;
    es_source_handle(t.src, t.coll, m);
    fake_msg_free(m);
    feed(ES_EVENT_TYPE_NOTIFY_EXEC, 9, 1, 2);
    assert_string_equal(drain(names, sizeof(names), NULL, 0), "exec,exec");
    assert_int_equal(es_dropped(), 0);
}

/* A full ring is a loss too: the collector names the lost records. */
static void
test_es_seq_ring_full_becomes_gap(void **state)
{
    struct collector_stats *cs = collector_stats(t.coll);
    char names[4096];
    uint64_t i;

    (void)state;
    for (i = 0; atomic_load(&cs->dropped_ring_full) == 0 && i < 100000; i++)
        feed(ES_EVENT_TYPE_NOTIFY_EXEC, 9, i, i);
    assert_true(atomic_load(&cs->dropped_ring_full) > 0);
    drain(names, sizeof(names), NULL, 0);
    feed(ES_EVENT_TYPE_NOTIFY_EXEC, 9, i, i);
    assert_string_equal(drain(names, sizeof(names), NULL, 0), "gap,exec");
    assert_int_equal(es_dropped(), 0);      /* ES lost nothing */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_es_seq_global_gap_is_a_gap_record, setup, teardown),
        cmocka_unit_test_setup_teardown(test_es_seq_per_type_gap_before_v4,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_es_seq_backwards_is_a_new_client,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_es_seq_backwards_per_type_before_v4, setup, teardown),
        cmocka_unit_test_setup_teardown(test_es_seq_dropped_close_is_not_a_gap,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_es_seq_ring_full_becomes_gap,
                                        setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
