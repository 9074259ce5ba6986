/* test_ring.c - the SPSC ring: order, wrap-around, full, threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <string.h>
#include "common/ring.h"

static void
test_ring_keeps_order_and_wraps(void **state)
{
    struct ring *r = NULL;
    char rec[300], got[300];
    const void *p;
    size_t len;

    (void)state;
    assert_int_equal(ring_create(&r, 4096, NULL), ESTEL_OK);
    /* many more bytes than the ring holds: forces wrap frames */
    for (int i = 0; i < 2000; i++) {
        size_t n = 1 + (size_t)(i * 37) % sizeof(rec);

        memset(rec, 'a' + i % 26, n);
        assert_int_equal(ring_push(r, rec, n), ESTEL_OK);
        assert_true(ring_peek(r, &p, &len));
        assert_int_equal(len, n);
        memcpy(got, p, len);
        assert_memory_equal(got, rec, n);
        ring_pop(r);
    }
    assert_false(ring_peek(r, &p, &len));
    ring_destroy(&r);
    assert_null(r);
}

static void
test_ring_full_refuses_and_recovers(void **state)
{
    struct ring *r = NULL;
    char rec[500] = { 0 };
    const void *p;
    size_t len;
    int pushed = 0;

    (void)state;
    assert_int_equal(ring_create(&r, 4096, NULL), ESTEL_OK);
    while (ring_push(r, rec, sizeof(rec)) == ESTEL_OK)
        pushed++;
    assert_true(pushed >= 6 && pushed <= 8);
    assert_int_equal(ring_push(r, rec, sizeof(rec)), ESTEL_E_FULL);
    assert_int_equal(ring_push(r, rec, 2000), ESTEL_E_REJECTED);
    assert_true(ring_peek(r, &p, &len));
    ring_pop(r);
    assert_int_equal(ring_push(r, rec, sizeof(rec)), ESTEL_OK);
    ring_destroy(&r);
}

struct prod {
    struct ring *r;
    uint32_t n;
};

static void *
producer(void *arg)
{
    struct prod *pr = arg;

    for (uint32_t i = 0; i < pr->n; i++)
        while (ring_push(pr->r, &i, sizeof(i)) == ESTEL_E_FULL)
            ;
    ring_close(pr->r);
    return NULL;
}

static void
test_ring_threads_deliver_everything_in_order(void **state)
{
    struct prod pr = { NULL, 200000 };
    pthread_t t;
    uint32_t expect = 0, v;
    const void *p;
    size_t len;

    (void)state;
    assert_int_equal(ring_create(&pr.r, 8192, NULL), ESTEL_OK);
    pthread_create(&t, NULL, producer, &pr);
    while (!ring_finished(pr.r)) {
        if (!ring_wait(pr.r, 50))
            continue;
        while (ring_peek(pr.r, &p, &len)) {
            assert_int_equal(len, sizeof(v));
            memcpy(&v, p, sizeof(v));
            assert_int_equal(v, expect);
            expect++;
            ring_pop(pr.r);
        }
    }
    pthread_join(t, NULL);
    assert_int_equal(expect, pr.n);
    ring_destroy(&pr.r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ring_keeps_order_and_wraps),
        cmocka_unit_test(test_ring_full_refuses_and_recovers),
        cmocka_unit_test(test_ring_threads_deliver_everything_in_order),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
