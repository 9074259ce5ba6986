/*
 * test_transport_state.c - the protocol's request headers, URL masking,
 * the status record fields, the state file round trip, and the verdict
 * `estel status` prints.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collector/collector.h"
#include "transport/transport_int.h"

static void
batch(struct spool_batch_info *info)
{
    memset(info, 0, sizeof(*info));
    snprintf(info->name, sizeof(info->name), "00000000000000000010.batch");
    snprintf(info->host_id, sizeof(info->host_id), "host-0001");
    snprintf(info->boot_id, sizeof(info->boot_id), "9f1c2d");
    info->first_seq = 16;
    info->last_seq = 115;
    info->record_count = 100;
    info->raw_bytes = 43700;
    info->checksum = UINT64_C(0x00ab0000cafe0001);
}

static void
test_transport_headers_follow_the_protocol(void **state)
{
    struct spool_batch_info info;
    struct http_headers h;
    static const char *const want[] = {
        "Content-Type: application/vnd.estel.batch+msgpack",
        "Content-Encoding: zstd",
        "Idempotency-Key: host-0001-9f1c2d-16",
        "X-Estel-Host: host-0001",
        "X-Estel-Boot: 9f1c2d",
        "X-Estel-First-Seq: 16",
        "X-Estel-Last-Seq: 115",
        "X-Estel-Records: 100",
        "X-Estel-Raw-Bytes: 43700",
        "X-Estel-Checksum: 00ab0000cafe0001",
        "X-Estel-Schema: 2",
        "Expect:",
    };

    (void)state;
    batch(&info);
    assert_int_equal(http_headers_build(&info, &h, NULL), ESTEL_OK);
    assert_int_equal(h.n, sizeof(want) / sizeof(want[0]));
    for (size_t i = 0; i < h.n; i++)
        assert_string_equal(h.line[i], want[i]);
}

static void
test_transport_headers_refuse_injection(void **state)
{
    struct spool_batch_info info;
    struct http_headers h;
    struct estel_err e = { 0 };

    (void)state;
    batch(&info);
    snprintf(info.host_id, sizeof(info.host_id), "h\r\nX-Evil: 1");
    assert_int_equal(http_headers_build(&info, &h, &e), ESTEL_E_CORRUPT);
    assert_non_null(strstr(e.msg, "not a 1..64 character token"));
    batch(&info);
    info.boot_id[0] = '\0';
    assert_int_equal(http_headers_build(&info, &h, NULL), ESTEL_E_CORRUPT);
    batch(&info);
    memset(info.host_id, 'a', sizeof(info.host_id));   /* no NUL */
    assert_int_equal(http_headers_build(&info, &h, NULL), ESTEL_E_CORRUPT);
}

static void
test_transport_url_safe_hides_credentials(void **state)
{
    char buf[128];

    (void)state;
    http_url_safe("https://ingest.example.com/v1/batches", buf, sizeof(buf));
    assert_string_equal(buf, "https://ingest.example.com/v1/batches");
    http_url_safe("https://u:secret@ingest.example.com:8443/v1?token=abc",
                  buf, sizeof(buf));
    assert_string_equal(buf, "https://ingest.example.com:8443/v1");
    http_url_safe("http://user@proxy:3128", buf, sizeof(buf));
    assert_string_equal(buf, "http://proxy:3128");
}

static struct transport *
fake_transport(void)
{
    struct transport *t = calloc(1, sizeof(*t));

    assert_non_null(t);
    pthread_mutex_init(&t->mu, NULL);
    snprintf(t->url_safe, sizeof(t->url_safe), "https://127.0.0.1:8443/v1");
    atomic_store(&t->stats.batches_sent, 12);
    atomic_store(&t->stats.bytes_sent, 34567);
    atomic_store(&t->stats.retries_auth, 3);
    atomic_store(&t->stats.consecutive_failures, 3);
    atomic_store(&t->stats.last_class, TRANSPORT_AUTH);
    atomic_store(&t->stats.client_cert_expiry_ns, INT64_C(1) << 60);
    snprintf(t->problem, sizeof(t->problem), "the server refuses our "
             "client certificate (HTTP 403) \"quoted\"\n");
    t->problem_since_ns = estel_now_realtime_ns() - 7200 * NS_PER_S;
    return t;
}

static void
test_transport_status_fields(void **state)
{
    struct transport *t = fake_transport();
    struct ev_field f[TRANSPORT_STATUS_FIELDS_MAX];
    size_t n;
    bool saw_problem = false;

    (void)state;
    n = transport_status_fields(t, f, TRANSPORT_STATUS_FIELDS_MAX);
    assert_true(n >= 12 && n <= TRANSPORT_STATUS_FIELDS_MAX);
    assert_string_equal(f[0].key, "batches_sent");
    assert_int_equal(f[0].v.u, 12);
    for (size_t i = 0; i < n; i++)
        if (strcmp(f[i].key, "upload_problem") == 0)
            saw_problem = f[i].kind == EV_STR && f[i].v.s.len > 10;
    assert_true(saw_problem);
    assert_int_equal(transport_status_fields(t, f, 3), 3);
    pthread_mutex_destroy(&t->mu);
    free(t);
}

static void
test_transport_state_file_round_trip(void **state)
{
    struct transport *t = fake_transport();
    struct transport_state_extra x = { 0 };
    struct transport_state st;
    struct estel_err e = { 0 };
    char dir[] = "/tmp/estel-state-XXXXXX", path[128], cmd[160];
    struct stat sb;

    (void)state;
    assert_non_null(mkdtemp(dir));
    assert_int_equal(transport_read_state(dir, &st, &e), ESTEL_E_EOF);
    x.running = true;
    x.started_ns = 1234;
    x.spool_max_bytes = 1000;
    x.events_in = 99;
    x.crashes_reported = 2;
    x.crash_prev_pid = 4321;
    estel_err_clear(&e);
    assert_int_equal(transport_write_state(dir, t, NULL, &x, &e), ESTEL_OK);
    snprintf(path, sizeof(path), "%s/state/status.json", dir);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(transport_read_state(dir, &st, &e), ESTEL_OK);
    assert_int_equal(st.version, 1);
    assert_int_equal(st.pid, getpid());
    assert_true(st.running);
    assert_true(st.has_server);
    assert_int_equal(st.started_ns, 1234);
    assert_int_equal(st.batches_sent, 12);
    assert_int_equal(st.bytes_sent, 34567);
    assert_int_equal(st.events_in, 99);
    assert_int_equal(st.crashes_reported, 2);
    assert_int_equal(st.crash_prev_pid, 4321);
    assert_int_equal(st.last_class, TRANSPORT_AUTH);
    assert_int_equal(st.client_cert_expiry_ns, INT64_C(1) << 60);
    assert_string_equal(st.server, "https://127.0.0.1:8443/v1");
    assert_string_equal(st.problem, "the server refuses our client "
                        "certificate (HTTP 403) \"quoted\" ");
    /* garbage is reported, not trusted */
    snprintf(cmd, sizeof(cmd), "echo '{\"pid\":' > %s", path);
    assert_int_equal(system(cmd), 0);
    estel_err_clear(&e);
    assert_int_equal(transport_read_state(dir, &st, &e), ESTEL_E_CORRUPT);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    pthread_mutex_destroy(&t->mu);
    free(t);
}

static void
healthy_state(struct transport_state *st, int64_t now)
{
    memset(st, 0, sizeof(*st));
    st->running = true;
    st->pid = 1;
    st->written_ns = now - NS_PER_S;
    st->has_server = true;
    st->spool_max_bytes = 1000;
    st->spool_bytes = 10;
    st->client_cert_expiry_ns = now + 90 * 86400 * NS_PER_S;
}

static void
test_transport_verdicts(void **state)
{
    struct transport_state st;
    int64_t now = estel_now_realtime_ns();
    char why[512];

    (void)state;
    healthy_state(&st, now);
    assert_int_equal(transport_state_judge(&st, now, true, why, sizeof(why)),
                     TRANSPORT_HEALTHY);
    assert_string_equal(why, "");
    assert_int_equal(transport_state_judge(&st, now, false, why,
                                           sizeof(why)),
                     TRANSPORT_NOT_RUNNING);
    assert_non_null(strstr(why, "pid 1 is gone"));
    st.written_ns = now - 300 * NS_PER_S;
    assert_int_equal(transport_state_judge(&st, now, true, why, sizeof(why)),
                     TRANSPORT_NOT_RUNNING);
    healthy_state(&st, now);
    st.running = false;
    assert_int_equal(transport_state_judge(&st, now, true, why, sizeof(why)),
                     TRANSPORT_NOT_RUNNING);

    /* credentials: degraded at once, with how long */
    healthy_state(&st, now);
    st.consecutive_failures = 40;
    st.last_class = TRANSPORT_AUTH;
    snprintf(st.problem, sizeof(st.problem), "the server refuses our client "
             "certificate (HTTP 403)");
    st.problem_since_ns = now - 7200 * NS_PER_S;
    assert_int_equal(transport_state_judge(&st, now, true, why, sizeof(why)),
                     TRANSPORT_DEGRADED);
    assert_string_equal(why, "the server refuses our client certificate "
                        "(HTTP 403) for 2h 0m");
    /* a transient blip is not news yet */
    st.last_class = TRANSPORT_TRANSIENT;
    snprintf(st.problem, sizeof(st.problem), "server error (HTTP 503)");
    st.problem_since_ns = now - 30 * NS_PER_S;
    assert_int_equal(transport_state_judge(&st, now, true, why, sizeof(why)),
                     TRANSPORT_HEALTHY);
    /* backlog, full spool, expiring certificate: all listed */
    st.oldest_unsent_ns = now - 3 * 3600 * NS_PER_S;
    st.spool_bytes = 920;
    st.client_cert_expiry_ns = now + 3 * 86400 * NS_PER_S + NS_PER_S;
    assert_int_equal(transport_state_judge(&st, now, true, why, sizeof(why)),
                     TRANSPORT_DEGRADED);
    assert_string_equal(why, "oldest unsent batch 3h 0m old; spool 92% "
                        "full; client certificate expires in 3d 0h");
    st.client_cert_expiry_ns = now - 86400 * NS_PER_S;
    st.oldest_unsent_ns = 0;
    st.spool_bytes = 0;
    assert_int_equal(transport_state_judge(&st, now, true, why, sizeof(why)),
                     TRANSPORT_DEGRADED);
    assert_string_equal(why, "client certificate expired 1d 0h ago");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transport_headers_follow_the_protocol),
        cmocka_unit_test(test_transport_headers_refuse_injection),
        cmocka_unit_test(test_transport_url_safe_hides_credentials),
        cmocka_unit_test(test_transport_status_fields),
        cmocka_unit_test(test_transport_state_file_round_trip),
        cmocka_unit_test(test_transport_verdicts),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
