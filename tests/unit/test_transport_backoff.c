/*
 * test_transport_backoff.c - the retry schedule (full jitter, Retry-After
 * plus fleet spread, long auth waits, network-change wake) and the upload
 * pace (token bucket).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "transport/transport_int.h"

static void
test_transport_backoff_full_jitter_grows_to_cap(void **state)
{
    struct backoff b;

    (void)state;
    backoff_init(&b, 60000, 42);
    for (uint32_t level = 1; level <= 12; level++) {
        int64_t ceiling = 1000, lo = INT64_MAX, hi = 0;

        for (uint32_t i = 1; i < level && ceiling < 60000; i++)
            ceiling *= 2;
        if (ceiling > 60000)
            ceiling = 60000;
        for (int i = 0; i < 400; i++) {
            int64_t d;

            b.level = level - 1;
            d = backoff_fail(&b, TRANSPORT_TRANSIENT, -1);
            assert_int_equal(b.level, level);
            assert_int_equal(b.ceiling_ms, ceiling);
            assert_true(d >= BACKOFF_FLOOR_MS && d <= ceiling);
            lo = d < lo ? d : lo;
            hi = d > hi ? d : hi;
        }
        /* full jitter: the whole range gets used */
        assert_true(lo < ceiling / 4 + BACKOFF_FLOOR_MS);
        assert_true(hi > ceiling * 3 / 4);
    }
    backoff_reset(&b);
    assert_int_equal(b.level, 0);
    assert_int_equal(backoff_fail(&b, TRANSPORT_TLS, -1) <= 1000, 1);
}

static void
test_transport_backoff_retry_after_is_honoured_and_spread(void **state)
{
    struct backoff b;

    (void)state;
    backoff_init(&b, 300000, 7);
    for (int i = 0; i < 200; i++) {
        int64_t d;

        backoff_reset(&b);
        d = backoff_fail(&b, TRANSPORT_TRANSIENT, 5);
        /* level 1: ceiling 1 s, so the spread is rand[0, 1 s] */
        assert_true(d >= 5000 && d <= 6000);
        assert_true(b.server_said);
    }
    /* deep in an outage the spread reaches its 30 s bound, not more */
    b.level = 20;
    for (int i = 0; i < 200; i++) {
        int64_t d = backoff_fail(&b, TRANSPORT_TRANSIENT, 2);

        assert_true(d >= 2000 && d <= 2000 + BACKOFF_SPREAD_MAX_MS);
    }
}

static void
test_transport_backoff_auth_is_long(void **state)
{
    struct backoff b;
    int64_t d;

    (void)state;
    backoff_init(&b, 5000, 3);
    d = backoff_fail(&b, TRANSPORT_AUTH, -1);
    assert_true(d >= BACKOFF_AUTH_BASE_MS / 2 && d <= BACKOFF_AUTH_BASE_MS);
    for (int i = 0; i < 20; i++)
        d = backoff_fail(&b, TRANSPORT_AUTH, -1);
    /* capped at max(RetryMaxSeconds, 10 min), equal jitter */
    assert_true(d >= BACKOFF_AUTH_CAP_MIN_MS / 2 &&
                d <= BACKOFF_AUTH_CAP_MIN_MS);
}

static void
test_transport_netwake_cuts_only_our_own_outage(void **state)
{
    struct backoff b;

    (void)state;
    backoff_init(&b, 600000, 9);
    (void)backoff_fail(&b, TRANSPORT_TRANSIENT, -1);
    for (int i = 0; i < 100; i++)
        assert_true(backoff_netwake(&b, TRANSPORT_TRANSIENT, 120000) <=
                    BACKOFF_NETWAKE_MAX_MS);
    assert_true(backoff_netwake(&b, TRANSPORT_TLS, 500) <= 500);
    assert_int_equal(backoff_netwake(&b, TRANSPORT_AUTH, 120000), 120000);
    assert_int_equal(backoff_netwake(&b, TRANSPORT_TRANSIENT, 0), 0);
    (void)backoff_fail(&b, TRANSPORT_TRANSIENT, 60);
    assert_int_equal(backoff_netwake(&b, TRANSPORT_TRANSIENT, 50000),
                     50000);
}

static void
test_transport_pace_token_bucket(void **state)
{
    struct pace p;
    int64_t t0 = INT64_C(1000000000000);

    (void)state;
    pace_init(&p, 0, t0);
    pace_take(&p, UINT64_C(1) << 40);
    assert_int_equal(pace_wait_ms(&p, t0), 0);

    pace_init(&p, 1000, t0);            /* 1000 B/s, 64 KiB burst */
    assert_int_equal(pace_wait_ms(&p, t0), 0);
    pace_take(&p, 65536 + 2000);        /* 2 s in debt */
    assert_int_equal(pace_wait_ms(&p, t0), 2001);
    assert_true(pace_wait_ms(&p, t0 + NS_PER_S) > 990);
    assert_int_equal(pace_wait_ms(&p, t0 + 2 * NS_PER_S), 0);
    /* small steps at a low rate still add up (no rounding loss) */
    pace_take(&p, 1000);
    for (int i = 1; i <= 1000; i++)
        (void)pace_wait_ms(&p, t0 + 2 * NS_PER_S + i * NS_PER_MS);
    assert_int_equal(pace_wait_ms(&p, t0 + 3 * NS_PER_S + NS_PER_MS), 0);
    /* idle for a day: the burst, not a day's worth */
    pace_take(&p, 70000);
    assert_true(pace_wait_ms(&p, t0 + 86400 * NS_PER_S) == 0);
    pace_take(&p, 65536 + 1000);
    assert_true(pace_wait_ms(&p, t0 + 86400 * NS_PER_S) >= 1000);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transport_backoff_full_jitter_grows_to_cap),
        cmocka_unit_test(
            test_transport_backoff_retry_after_is_honoured_and_spread),
        cmocka_unit_test(test_transport_backoff_auth_is_long),
        cmocka_unit_test(test_transport_netwake_cuts_only_our_own_outage),
        cmocka_unit_test(test_transport_pace_token_bucket),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
