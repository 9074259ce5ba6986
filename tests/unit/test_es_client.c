/*
 * test_es_client.c - the ES source against the fake ES runtime: what each
 * es_new_client failure logs or returns and whether it retries, the order
 * of the start-up calls (self-mute and spool mute before subscribing), the
 * mute rules and the subscription list taken from the configuration, what
 * the kernel-side filtering lets through, and 100,000 messages end to end
 * into the ring.
 *
 * Links with -Wl,--wrap=estel_log_sink to read the log lines.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "collector/es/fake/fake_es.h"
#include "collector/es/fake/fake_msg.h"
#include "common/platform.h"
#include "tests/unit/test_es_util.h"

static const struct record_identity ident = { "hostA", "boot1" };

struct harness {
    struct estel_config cfg;
    char spool[64];
    struct ring *ring;
    struct collector *coll;
    void *ctx;
    pthread_t thr;
    enum estel_rc run_rc;
    struct estel_err err;
    struct config_mute mutes[2];
    struct config_mute tmutes[2];
};

static struct harness h;

static int
setup(void **state)
{
    (void)state;
    memset(&h, 0, sizeof(h));
    fake_es_reset();
    esu_log_reset();
    assert_int_equal(config_defaults(&h.cfg, NULL), ESTEL_OK);
    snprintf(h.spool, sizeof(h.spool), "/tmp/test_es_client.XXXXXX");
    assert_non_null(mkdtemp(h.spool));
    free(h.cfg.spool_dir);
    h.cfg.spool_dir = strdup(h.spool);
    esu_types_clear(&h.cfg);
    esu_type_on(&h.cfg, ES_EVENT_TYPE_NOTIFY_EXEC);
    esu_type_on(&h.cfg, ES_EVENT_TYPE_NOTIFY_EXIT);
    assert_int_equal(ring_create(&h.ring, 64u << 20, NULL), ESTEL_OK);
    assert_int_equal(collector_create(&h.coll, &h.cfg, h.ring, &ident, 1,
                                      false, NULL), ESTEL_OK);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    collector_destroy(&h.coll);
    ring_destroy(&h.ring);
    /* the mute arrays are the test's, not config_free's */
    h.cfg.mute_paths = h.cfg.mute_target_paths = NULL;
    h.cfg.mute_paths_count = h.cfg.mute_target_paths_count = 0;
    config_free(&h.cfg);
    rmdir(h.spool);
    assert_int_equal(fake_msg_live(), 0);
    return 0;
}

static void *
run_source(void *arg)
{
    (void)arg;
    h.run_rc = source_es_ops.run(h.ctx, h.coll, &h.err);
    return NULL;
}

static void
start(uint32_t retry_ms)
{
    memset(&h.err, 0, sizeof(h.err));
    assert_int_equal(source_es_ops.open(&h.ctx, &h.cfg, NULL, 0, 0, &h.err),
                     ESTEL_OK);
    es_source_set_retry_ms(h.ctx, retry_ms);
    assert_int_equal(pthread_create(&h.thr, NULL, run_source, NULL), 0);
}

static enum estel_rc
stop(void)
{
    source_es_ops.stop(h.ctx);
    pthread_join(h.thr, NULL);
    source_es_ops.close(&h.ctx);
    return h.run_rc;
}

/* Wait for the source to be connected (or to have given up). */
static void
wait_settled(struct es_source_status *st)
{
    for (int i = 0; i < 1000; i++) {
        es_source_status(h.ctx, st);
        if (st->connected || st->fatal)
            return;
        usleep(5000);
    }
    fail_msg("the ES source neither connected nor gave up");
}

static size_t
drain(char names[][16], size_t max)
{
    const void *rec;
    size_t len, n = 0;
    struct estel_buf out;

    buf_init(&out, 0);
    while (ring_peek(h.ring, &rec, &len)) {
        const char *json = esu_record_json(rec, len, &out);
        const char *ev = strstr(json, "\"ev\":\"");

        if (n < max && ev != NULL)
            snprintf(names[n], 16, "%.*s", (int)strcspn(ev + 6, "\""),
                     ev + 6);
        n++;
        ring_pop(h.ring);
    }
    buf_free(&out);
    return n;
}

/* ---- es_new_client failures ------------------------------------------- */

static const struct {
    es_new_client_result_t code;
    const char *needle;
    bool recoverable;
    enum estel_rc rc;
} failures[] = {
    { ES_NEW_CLIENT_RESULT_ERR_NOT_PERMITTED,
      "System Settings > Privacy & Security > Full Disk Access", true, 0 },
    { ES_NEW_CLIENT_RESULT_ERR_TOO_MANY_CLIENTS, "ERR_TOO_MANY_CLIENTS",
      true, 0 },
    { ES_NEW_CLIENT_RESULT_ERR_INTERNAL, "ERR_INTERNAL", true, 0 },
    { (es_new_client_result_t)42, "unknown result 42", true, 0 },
    { ES_NEW_CLIENT_RESULT_ERR_NOT_ENTITLED,
      "com.apple.developer.endpoint-security.client", false,
      ESTEL_E_UNSUPPORTED },
    { ES_NEW_CLIENT_RESULT_ERR_NOT_PRIVILEGED, "not running as root", false,
      ESTEL_E_USAGE },
    { ES_NEW_CLIENT_RESULT_ERR_INVALID_ARGUMENT, "bug in estel", false,
      ESTEL_E_IO },
};

static void
check_recovered(size_t i)
{
    struct es_source_status st;
    struct fake_es_call call;

    wait_settled(&st);
    assert_true(st.connected);
    assert_int_equal(st.attempts, 3);
    /* one line for two identical failures: repeats are counted */
    assert_int_equal(esu_log_count(failures[i].needle), 1);
    assert_non_null(esu_log_find("after 3 attempts"));
    assert_int_equal(fake_es_call_tally(FAKE_ES_NEW_CLIENT), 3);
    assert_true(fake_es_call_get(0, &call));
    assert_int_equal(call.result, failures[i].code);
    assert_int_equal(stop(), ESTEL_OK);
}

static void
check_fatal(size_t i)
{
    struct es_source_status st;

    pthread_join(h.thr, NULL);
    es_source_status(h.ctx, &st);
    assert_true(st.fatal);
    assert_int_equal(st.attempts, 1);
    assert_int_equal(h.run_rc, failures[i].rc);
    assert_non_null(strstr(h.err.msg, failures[i].needle));
    assert_non_null(strstr(st.last_error, failures[i].needle));
    assert_int_equal(fake_es_call_tally(FAKE_ES_NEW_CLIENT), 1);
    assert_int_equal(fake_es_call_tally(FAKE_ES_SUBSCRIBE), 0);
    source_es_ops.close(&h.ctx);
}

static void
test_es_client_each_new_client_error(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(failures) / sizeof(failures[0]); i++) {
        es_new_client_result_t script[2] = { failures[i].code,
                                             failures[i].code };

        fake_es_reset();
        esu_log_reset();
        fake_es_script_new_client(script, failures[i].recoverable ? 2 : 1);
        start(10);
        if (failures[i].recoverable)
            check_recovered(i);
        else
            check_fatal(i);
    }
}

static void
test_es_client_not_permitted_message_is_actionable(void **state)
{
    es_new_client_result_t script[1] = {
        ES_NEW_CLIENT_RESULT_ERR_NOT_PERMITTED };
    struct es_source_status st;
    const char *line;

    (void)state;
    fake_es_script_new_client(script, 1);
    start(30000);
    for (int i = 0; i < 400 && esu_log_find("NOT_PERMITTED") == NULL; i++)
        usleep(5000);
    line = esu_log_find("NOT_PERMITTED");
    assert_non_null(line);
    assert_non_null(strstr(line, "Full Disk Access"));
    assert_non_null(strstr(line, "PPPC profile from deploy/"));
    assert_non_null(strstr(line, "starts by itself once granted"));
    assert_non_null(strstr(line, "retrying every 30 s"));
    es_source_status(h.ctx, &st);
    assert_false(st.connected);
    /* a 30 s timer, and stop() still ends it at once */
    assert_int_equal(stop(), ESTEL_OK);
    assert_int_equal(fake_es_call_tally(FAKE_ES_NEW_CLIENT), 1);
}

static void
test_es_client_retry_waits_the_interval(void **state)
{
    es_new_client_result_t script[3] = {
        ES_NEW_CLIENT_RESULT_ERR_TOO_MANY_CLIENTS,
        ES_NEW_CLIENT_RESULT_ERR_TOO_MANY_CLIENTS,
        ES_NEW_CLIENT_RESULT_ERR_INTERNAL };
    struct es_source_status st;
    int64_t t0 = estel_now_mono_ns(), ms;

    (void)state;
    fake_es_script_new_client(script, 3);
    start(100);
    wait_settled(&st);
    ms = (estel_now_mono_ns() - t0) / 1000000;
    assert_true(st.connected);
    assert_int_equal(st.attempts, 4);
    assert_true(ms >= 300);
    assert_int_equal(esu_log_count("ERR_TOO_MANY_CLIENTS"), 1);
    assert_int_equal(esu_log_count("ERR_INTERNAL"), 1);
    assert_int_equal(stop(), ESTEL_OK);
}

/* ---- start-up calls ----------------------------------------------------- */

static void
test_es_client_mutes_before_subscribe(void **state)
{
    struct es_source_status st;
    struct fake_es_call call;
    audit_token_t self;
    long nc, mp, ms, sub;

    (void)state;
    start(10);
    wait_settled(&st);
    nc = fake_es_call_find(FAKE_ES_NEW_CLIENT, 0);
    mp = fake_es_call_find(FAKE_ES_MUTE_PROCESS, 0);
    ms = fake_es_call_find(FAKE_ES_MUTE_PATH, 0);
    sub = fake_es_call_find(FAKE_ES_SUBSCRIBE, 0);
    assert_true(nc >= 0 && mp > nc && ms > mp && sub > ms);
    assert_int_equal(fake_es_call_tally(FAKE_ES_SUBSCRIBE), 1);

    fake_es_self_token(&self);
    assert_true(fake_es_call_get((size_t)mp, &call));
    assert_memory_equal(&call.token, &self, sizeof(self));
    assert_int_equal(call.result, ES_RETURN_SUCCESS);
    assert_true(fake_es_call_get((size_t)ms, &call));
    assert_string_equal(call.path, h.spool);
    assert_int_equal(call.path_type, ES_MUTE_PATH_TYPE_TARGET_PREFIX);

    assert_int_equal(stop(), ESTEL_OK);
    /* torn down on the thread that created it, unsubscribed first */
    assert_true(fake_es_call_find(FAKE_ES_UNSUBSCRIBE_ALL, 0) > sub);
    assert_true(fake_es_call_get((size_t)fake_es_call_find(
        FAKE_ES_DELETE_CLIENT, 0), &call));
    assert_false(call.wrong_thread);
}

static bool
find_mute(const char *path, es_mute_path_type_t type)
{
    struct fake_es_call call;

    for (long i = fake_es_call_find(FAKE_ES_MUTE_PATH, 0); i >= 0;
         i = fake_es_call_find(FAKE_ES_MUTE_PATH, (size_t)i + 1)) {
        assert_true(fake_es_call_get((size_t)i, &call));
        if (strcmp(call.path, path) == 0 && call.path_type == type)
            return i < fake_es_call_find(FAKE_ES_SUBSCRIBE, 0);
    }
    return false;
}

static void
set_mute_rules(void)
{
    h.mutes[0] = (struct config_mute){ "/usr/libexec/", true };
    h.mutes[1] = (struct config_mute){ "/usr/sbin/cron", false };
    h.tmutes[0] = (struct config_mute){ "/private/var/db/", true };
    h.tmutes[1] = (struct config_mute){ "/etc/hosts", false };
    h.cfg.mute_paths = h.mutes;
    h.cfg.mute_paths_count = 2;
    h.cfg.mute_target_paths = h.tmutes;
    h.cfg.mute_target_paths_count = 2;
}

static void
test_es_client_mute_rules_reach_es(void **state)
{
    struct es_source_status st;

    (void)state;
    set_mute_rules();
    start(10);
    wait_settled(&st);
    assert_true(find_mute("/usr/libexec/", ES_MUTE_PATH_TYPE_PREFIX));
    assert_true(find_mute("/usr/sbin/cron", ES_MUTE_PATH_TYPE_LITERAL));
    assert_true(find_mute("/private/var/db/",
                          ES_MUTE_PATH_TYPE_TARGET_PREFIX));
    assert_true(find_mute("/etc/hosts", ES_MUTE_PATH_TYPE_TARGET_LITERAL));
    assert_int_equal(stop(), ESTEL_OK);
}

static void
test_es_client_subscribes_configured_notify_types(void **state)
{
    static const es_event_type_t want[] = {
        ES_EVENT_TYPE_NOTIFY_EXEC, ES_EVENT_TYPE_NOTIFY_FORK,
        ES_EVENT_TYPE_NOTIFY_CLOSE, ES_EVENT_TYPE_NOTIFY_EXIT,
        ES_EVENT_TYPE_NOTIFY_BTM_LAUNCH_ITEM_ADD,
        ES_EVENT_TYPE_NOTIFY_TCC_MODIFY };
    struct es_source_status st;
    struct fake_es_call call;

    (void)state;
    esu_types_clear(&h.cfg);
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        esu_type_on(&h.cfg, want[i]);
    esu_type_on(&h.cfg, ES_EVENT_TYPE_AUTH_EXEC);   /* never subscribed */
    esu_type_on(&h.cfg, ES_EVENT_TYPE_AUTH_OPEN);
    esu_type_on(&h.cfg, ES_EVENT_TYPE_RESERVED_0);  /* kind unknown */
    start(10);
    wait_settled(&st);
    assert_true(fake_es_call_get((size_t)fake_es_call_find(
        FAKE_ES_SUBSCRIBE, 0), &call));
    assert_int_equal(call.nevents, sizeof(want) / sizeof(want[0]));
    assert_memory_equal(call.events, want, sizeof(want));
    assert_int_equal(stop(), ESTEL_OK);
}

/* On a macOS that lacks a configured type the others still work. */
static void
test_es_client_subscribe_skips_unknown_types(void **state)
{
    struct es_source_status st;
    size_t n = 0;
    es_event_type_t *subs = NULL;
    es_client_t *c;

    (void)state;
    esu_type_on(&h.cfg, ES_EVENT_TYPE_NOTIFY_TCC_MODIFY);   /* 15.4 */
    fake_es_set_max_event_type(ES_EVENT_TYPE_NOTIFY_GATEKEEPER_USER_OVERRIDE);
    start(10);
    wait_settled(&st);
    assert_true(st.connected);
    c = fake_es_wait_client(1000);
    assert_int_equal(es_subscriptions(c, &n, &subs), ES_RETURN_SUCCESS);
    assert_int_equal(n, 2);
    assert_int_equal(subs[0], ES_EVENT_TYPE_NOTIFY_EXEC);
    assert_int_equal(subs[1], ES_EVENT_TYPE_NOTIFY_EXIT);
    free(subs);
    assert_non_null(esu_log_find("es_subscribe(tcc_modify) failed"));
    assert_int_equal(stop(), ESTEL_OK);
}

static void
test_es_client_no_event_types_is_a_config_error(void **state)
{
    (void)state;
    esu_types_clear(&h.cfg);
    esu_type_on(&h.cfg, ES_EVENT_TYPE_AUTH_EXEC);
    start(10);
    pthread_join(h.thr, NULL);
    assert_int_equal(h.run_rc, ESTEL_E_CONFIG);
    assert_non_null(strstr(h.err.msg, "EventTypes"));
    source_es_ops.close(&h.ctx);
    /* the client was deleted even though set-up failed */
    assert_int_equal(fake_es_call_tally(FAKE_ES_DELETE_CLIENT), 1);
}

/* ---- delivery ------------------------------------------------------------ */

static es_message_t *
open_of(const char *path)
{
    es_message_t *m = fake_msg_build(ES_EVENT_TYPE_NOTIFY_OPEN, 8);

    m->event.open.file = fake_msg_file(m, path);
    return m;
}

static void
test_es_client_kernel_filtering(void **state)
{
    struct fake_es_stats fs;
    struct es_source_status st;
    struct fake_proc p = { .pid = 77, .exe = "/usr/libexec/mdworker" };
    char names[8][16], spoolfile[128];
    es_message_t *m;
    es_client_t *c;

    (void)state;
    set_mute_rules();
    esu_type_on(&h.cfg, ES_EVENT_TYPE_NOTIFY_OPEN);
    esu_type_on(&h.cfg, ES_EVENT_TYPE_NOTIFY_RENAME);
    start(10);
    wait_settled(&st);
    c = fake_es_wait_client(1000);
    assert_true(fake_es_deliver(c, fake_msg_build(ES_EVENT_TYPE_NOTIFY_EXEC,
                                                  8)));
    /* not subscribed */
    assert_false(fake_es_deliver(c, fake_msg_build(
        ES_EVENT_TYPE_NOTIFY_WRITE, 8)));
    /* estel itself */
    m = fake_msg_build(ES_EVENT_TYPE_NOTIFY_EXIT, 8);
    fake_es_self_token(&m->process->audit_token);
    assert_false(fake_es_deliver(c, m));
    /* a muted executable (MutePaths prefix) */
    m = fake_msg_build(ES_EVENT_TYPE_NOTIFY_EXIT, 8);
    fake_msg_set_actor(m, &p);
    assert_false(fake_es_deliver(c, m));
    /* the spool and a MuteTargetPaths prefix */
    snprintf(spoolfile, sizeof(spoolfile), "%s/tmp/batch.zst", h.spool);
    assert_false(fake_es_deliver(c, open_of(spoolfile)));
    assert_false(fake_es_deliver(c, open_of("/private/var/db/x")));
    assert_true(fake_es_deliver(c, open_of("/Users/alice/x")));
    /* a rename is muted only if all its paths are */
    m = fake_msg_build(ES_EVENT_TYPE_NOTIFY_RENAME, 8);
    m->event.rename.source = fake_msg_file(m, spoolfile);
    assert_true(fake_es_deliver(c, m));
    assert_true(fake_es_wait_idle(c, 5000));
    fake_es_stats(c, &fs);
    assert_int_equal(fs.unsubscribed, 1);
    assert_int_equal(fs.muted, 4);
    assert_int_equal(fs.delivered, 3);
    assert_int_equal(drain(names, 8), 3);
    assert_string_equal(names[0], "exec");
    assert_string_equal(names[1], "open");
    assert_string_equal(names[2], "rename");
    assert_int_equal(stop(), ESTEL_OK);
}

static void
test_es_client_close_without_modification_is_dropped(void **state)
{
    struct es_source_status st;
    struct collector_stats *cs = collector_stats(h.coll);
    char names[4][16];
    es_message_t *m;
    es_client_t *c;

    (void)state;
    esu_type_on(&h.cfg, ES_EVENT_TYPE_NOTIFY_CLOSE);
    start(10);
    wait_settled(&st);
    c = fake_es_wait_client(1000);
    m = fake_msg_build(ES_EVENT_TYPE_NOTIFY_CLOSE, 8);
    m->event.close.modified = false;
    assert_true(fake_es_deliver(c, m));
    assert_true(fake_es_deliver(c, fake_msg_build(
        ES_EVENT_TYPE_NOTIFY_CLOSE, 8)));
    assert_true(fake_es_deliver(c, fake_msg_build(
        ES_EVENT_TYPE_NOTIFY_EXIT, 8)));
    assert_true(fake_es_wait_idle(c, 5000));
    assert_int_equal(drain(names, 4), 2);
    assert_string_equal(names[0], "close");
    assert_string_equal(names[1], "exit");
    es_source_status(h.ctx, &st);
    assert_int_equal(st.close_unmodified, 1);
    assert_int_equal(atomic_load(&cs->events_in), 3);
    assert_int_equal(atomic_load(&cs->events_filtered), 1);
    /* its sequence numbers were seen: no false drop */
    assert_int_equal(atomic_load(&cs->es_dropped), 0);
    assert_int_equal(atomic_load(&cs->gaps_emitted), 0);
    assert_int_equal(stop(), ESTEL_OK);
}

/* The kernel dropped messages: the sequence numbers show it. */
static void
test_es_client_kernel_drops_become_gaps(void **state)
{
    struct es_source_status st;
    char names[4][16];
    es_client_t *c;

    (void)state;
    start(10);
    wait_settled(&st);
    c = fake_es_wait_client(1000);
    assert_true(fake_es_deliver(c, fake_msg_build(ES_EVENT_TYPE_NOTIFY_EXEC,
                                                  9)));
    fake_es_drop(c, ES_EVENT_TYPE_NOTIFY_EXEC, 3);
    assert_true(fake_es_deliver(c, fake_msg_build(ES_EVENT_TYPE_NOTIFY_EXEC,
                                                  9)));
    assert_true(fake_es_wait_idle(c, 5000));
    assert_int_equal(drain(names, 4), 3);
    assert_string_equal(names[0], "exec");
    assert_string_equal(names[1], "gap");
    assert_string_equal(names[2], "exec");
    assert_int_equal(atomic_load(&collector_stats(h.coll)->es_dropped), 3);
    assert_int_equal(stop(), ESTEL_OK);
}

/* ---- 100,000 messages end to end ---------------------------------------- */

#define E2E_COUNT 100000

static _Atomic bool consumer_stop;
static _Atomic uint64_t consumed;

static void *
consume(void *arg)
{
    const void *rec;
    size_t len;

    (void)arg;
    for (;;) {
        bool any = ring_wait(h.ring, 50);

        while (ring_peek(h.ring, &rec, &len)) {
            atomic_fetch_add(&consumed, 1);
            ring_pop(h.ring);
        }
        if (!any && atomic_load(&consumer_stop))
            break;
    }
    return NULL;
}

static void
test_es_client_end_to_end_100k(void **state)
{
    static const es_event_type_t mix[] = {
        ES_EVENT_TYPE_NOTIFY_EXEC, ES_EVENT_TYPE_NOTIFY_FORK,
        ES_EVENT_TYPE_NOTIFY_EXIT, ES_EVENT_TYPE_NOTIFY_OPEN,
        ES_EVENT_TYPE_NOTIFY_CLOSE, ES_EVENT_TYPE_NOTIFY_CREATE,
        ES_EVENT_TYPE_NOTIFY_RENAME, ES_EVENT_TYPE_NOTIFY_UNLINK,
        ES_EVENT_TYPE_NOTIFY_WRITE, ES_EVENT_TYPE_NOTIFY_OPEN };
    struct collector_stats *cs = collector_stats(h.coll);
    struct es_source_status st;
    pthread_t consumer;
    es_client_t *c;

    (void)state;
    for (size_t i = 0; i < sizeof(mix) / sizeof(mix[0]); i++)
        esu_type_on(&h.cfg, mix[i]);
    atomic_store(&consumer_stop, false);
    atomic_store(&consumed, 0);
    assert_int_equal(pthread_create(&consumer, NULL, consume, NULL), 0);
    start(10);
    wait_settled(&st);
    c = fake_es_wait_client(1000);
    for (uint32_t i = 0; i < E2E_COUNT; i++)
        assert_true(fake_es_deliver(c, fake_msg_build(mix[i % 10],
                                                      4 + i % 7)));
    assert_true(fake_es_wait_idle(c, 60000));
    assert_int_equal(stop(), ESTEL_OK);
    atomic_store(&consumer_stop, true);
    pthread_join(consumer, NULL);

    assert_int_equal(atomic_load(&consumed), E2E_COUNT);
    assert_int_equal(atomic_load(&cs->events_in), E2E_COUNT);
    assert_int_equal(atomic_load(&cs->records_out), E2E_COUNT);
    assert_int_equal(atomic_load(&cs->dropped_ring_full), 0);
    assert_int_equal(atomic_load(&cs->dropped_too_big), 0);
    assert_int_equal(atomic_load(&cs->es_dropped), 0);
    assert_int_equal(atomic_load(&cs->gaps_emitted), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_es_client_each_new_client_error,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_es_client_not_permitted_message_is_actionable, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_es_client_retry_waits_the_interval, setup, teardown),
        cmocka_unit_test_setup_teardown(test_es_client_mutes_before_subscribe,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_es_client_mute_rules_reach_es,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_es_client_subscribes_configured_notify_types, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_es_client_subscribe_skips_unknown_types, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_es_client_no_event_types_is_a_config_error, setup,
            teardown),
        cmocka_unit_test_setup_teardown(test_es_client_kernel_filtering,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_es_client_close_without_modification_is_dropped, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_es_client_kernel_drops_become_gaps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_es_client_end_to_end_100k,
                                        setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
