/*
 * test_spool_io.c - write faults at the seam: linked with
 * -Wl,--wrap=estel_fsync_file -Wl,--wrap=write so each test can make the
 * batcher's fsync or write fail (EIO, ENOSPC) or come up short.  The
 * guarantees: never a corrupt or partial file in ready/, nothing left in
 * tmp/, and every record either reaches the disk (retried from memory) or
 * is counted and reported by a gap record.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/platform.h"
#include "common/ring.h"
#include "spool/spool.h"

static char base[] = "/tmp/estel-test-spool-io-XXXXXX";
static int case_no;

/* ---- the seams ---------------------------------------------------------- */

static _Atomic int fsync_fail;          /* fail the next N fsyncs (EIO) */
static _Atomic int write_fail;          /* fail the next N writes */
static _Atomic int write_errno = EIO;
static _Atomic bool write_short;        /* write half of what is asked */

int __real_estel_fsync_file(int fd, bool full);
int __wrap_estel_fsync_file(int fd, bool full);
ssize_t __real_write(int fd, const void *buf, size_t n);
ssize_t __wrap_write(int fd, const void *buf, size_t n);

int
__wrap_estel_fsync_file(int fd, bool full)
{
    if (atomic_load(&fsync_fail) > 0) {
        atomic_fetch_sub(&fsync_fail, 1);
        errno = EIO;
        return -1;
    }
    return __real_estel_fsync_file(fd, full);
}

ssize_t
__wrap_write(int fd, const void *buf, size_t n)
{
    if (fd > 2 && atomic_load(&write_fail) > 0) {
        atomic_fetch_sub(&write_fail, 1);
        errno = atomic_load(&write_errno);
        return -1;
    }
    if (fd > 2 && atomic_load(&write_short) && n > 1)
        return __real_write(fd, buf, n / 2);
    return __real_write(fd, buf, n);
}

/* ---- helpers ------------------------------------------------------------ */

static size_t
mkrec(uint8_t *b, uint64_t seq, size_t pad)
{
    size_t n = 0;

    b[n++] = 0x84;
    b[n++] = 0xa1; b[n++] = 'v'; b[n++] = 0x01;
    b[n++] = 0xa2; b[n++] = 'e'; b[n++] = 'v'; b[n++] = 0xa1; b[n++] = 'x';
    b[n++] = 0xa2; b[n++] = 'c'; b[n++] = 's'; b[n++] = 0xcf;
    for (int i = 7; i >= 0; i--)
        b[n++] = (uint8_t)(seq >> (8 * i));
    b[n++] = 0xa3; b[n++] = 'p'; b[n++] = 'a'; b[n++] = 'd';
    b[n++] = 0xc5; b[n++] = (uint8_t)(pad >> 8); b[n++] = (uint8_t)pad;
    for (size_t i = 0; i < pad; i++)
        b[n++] = (uint8_t)(seq * 13 + i);
    return n;
}

struct gaps {
    size_t n;
    char reason[16][32];
    uint64_t records;
    uint64_t next_seq;
    uint8_t rec[128];
};

static size_t
on_gap(void *ctx, const struct spool_gap *gap, const uint8_t **rec)
{
    struct gaps *gs = ctx;

    if (gs->n < 16)
        snprintf(gs->reason[gs->n], sizeof(gs->reason[0]), "%s",
                 gap->reason);
    gs->n++;
    gs->records += gap->records;
    *rec = gs->rec;
    return mkrec(gs->rec, gs->next_seq++, 4);
}

struct rig {
    char dir[256];
    struct spool *sp;
    struct ring *ring;
    struct batcher *b;
    struct gaps gs;
    pthread_t t;
    enum estel_rc rc;
    struct estel_err err;
    uint64_t next;
};

static void *
batcher_main(void *arg)
{
    struct rig *r = arg;

    r->rc = batcher_run(r->b, &r->err);
    return NULL;
}

static void
rig_start(struct rig *r, uint64_t max_bytes)
{
    struct spool_config c;

    memset(r, 0, sizeof(*r));
    snprintf(r->dir, sizeof(r->dir), "%s/c%d", base, ++case_no);
    memset(&c, 0, sizeof(c));
    c.dir = r->dir;
    c.host_id = "h";
    c.boot_id = "b";
    c.batch_max_records = 100;
    c.batch_max_age_ms = 20;
    c.compression_level = 1;
    c.max_bytes = max_bytes;
    r->gs.next_seq = 1000000;
    r->next = 1;
    assert_int_equal(spool_open(&r->sp, &c, NULL), ESTEL_OK);
    assert_int_equal(ring_create(&r->ring, 1 << 20, NULL), ESTEL_OK);
    assert_int_equal(batcher_create(&r->b, r->sp, r->ring, on_gap, &r->gs,
                                    NULL), ESTEL_OK);
    pthread_create(&r->t, NULL, batcher_main, r);
}

static void
rig_push(struct rig *r, uint64_t n)
{
    uint8_t rec[512];

    for (uint64_t i = 0; i < n; i++) {
        size_t len = mkrec(rec, r->next++, 200);

        while (ring_push(r->ring, rec, len) == ESTEL_E_FULL)
            usleep(200);
    }
    /* let the batcher seal what it got */
    while (ring_used_bytes(r->ring) != 0)
        usleep(1000);
    usleep(100 * 1000);
}

static void
rig_stop(struct rig *r)
{
    ring_close(r->ring);
    pthread_join(r->t, NULL);
    batcher_destroy(&r->b);
    ring_destroy(&r->ring);
}

struct tally {
    uint64_t records;
    int bad;
};

static enum estel_rc
visit(void *ctx, const struct spool_batch_info *info, enum estel_rc check,
      const char *problem)
{
    struct tally *t = ctx;

    if (check != ESTEL_OK) {
        fprintf(stderr, "%s: %s\n", info->name, problem);
        t->bad++;
    } else {
        t->records += info->record_count;
    }
    return ESTEL_OK;
}

/* Every file in ready/ verifies; nothing in tmp/; count the records. */
static struct tally
check_disk(struct rig *r)
{
    struct tally t = { 0, 0 };
    char path[512];
    struct dirent *de;
    DIR *d;

    assert_int_equal(spool_foreach(r->sp, true, visit, &t, NULL), ESTEL_OK);
    assert_int_equal(t.bad, 0);
    snprintf(path, sizeof(path), "%s/tmp", r->dir);
    assert_non_null(d = opendir(path));
    while ((de = readdir(d)) != NULL)
        assert_true(de->d_name[0] == '.');
    closedir(d);
    return t;
}

/* ---- tests -------------------------------------------------------------- */

static void
test_fsync_error_rewrites_from_memory(void **state)
{
    struct rig r;
    struct tally t;
    struct spool_stats *st;

    (void)state;
    rig_start(&r, 0);
    atomic_store(&fsync_fail, 1);
    rig_push(&r, 300);                      /* 3 batches, the 1st fails */
    st = spool_stats(r.sp);
    assert_true(atomic_load(&st->write_errors) >= 1);
    usleep(700 * 1000);                     /* past the first retry */
    rig_push(&r, 100);
    rig_stop(&r);
    assert_int_equal(r.rc, ESTEL_OK);
    t = check_disk(&r);
    assert_int_equal(r.gs.n, 0);            /* nothing lost */
    assert_int_equal(t.records, 400);
    assert_int_equal(atomic_load(&st->pending_batches), 0);
    spool_close(&r.sp);
}

static void
test_enospc_evicts_and_retries(void **state)
{
    struct rig r;
    struct tally t;
    struct spool_stats *st;

    (void)state;
    rig_start(&r, 0);
    rig_push(&r, 500);                      /* an old backlog */
    atomic_store(&write_errno, ENOSPC);
    atomic_store(&write_fail, 1);
    rig_push(&r, 100);
    rig_stop(&r);
    atomic_store(&write_errno, EIO);
    st = spool_stats(r.sp);
    assert_int_equal(r.rc, ESTEL_OK);
    assert_true(r.gs.n >= 1);
    assert_string_equal(r.gs.reason[0], "disk_full");
    assert_true(atomic_load(&st->batches_evicted) >= 1);
    t = check_disk(&r);
    /* what is on disk plus what was evicted is everything written */
    assert_int_equal(t.records + atomic_load(&st->records_evicted),
                     600 + r.gs.n);
    spool_close(&r.sp);
}

/* Try to push n records without waiting forever; returns how many. */
static uint64_t
rig_offer(struct rig *r, uint64_t n, int patience_ms)
{
    uint8_t rec[512];
    uint64_t i;

    for (i = 0; i < n; i++) {
        size_t len = mkrec(rec, r->next, 200);
        int waited = 0;

        while (ring_push(r->ring, rec, len) == ESTEL_E_FULL) {
            if (waited++ >= patience_ms)
                return i;
            usleep(1000);
        }
        r->next++;
    }
    return i;
}

static void
test_persistent_errors_bound_memory_then_recover(void **state)
{
    struct rig r;
    struct tally t;
    struct spool_stats *st;
    uint64_t pushed, total;

    (void)state;
    rig_start(&r, 0);
    atomic_store(&write_fail, 1000000);     /* the disk is gone */
    /* far more than 4 pending batches + the ring: the batcher stops
     * taking records instead of dropping them (backpressure) */
    pushed = rig_offer(&r, 20000, 300);
    assert_true(pushed < 20000);
    st = spool_stats(r.sp);
    assert_int_equal(atomic_load(&st->pending_batches), 4);
    assert_int_equal(atomic_load(&st->batches_dropped), 0);
    assert_int_equal(r.gs.n, 0);
    atomic_store(&write_fail, 0);           /* it is back */
    total = pushed + rig_offer(&r, 20000 - pushed, 10000);
    assert_int_equal(total, 20000);
    rig_stop(&r);
    assert_int_equal(r.rc, ESTEL_OK);
    t = check_disk(&r);
    assert_int_equal(t.records, 20000);     /* nothing lost */
    assert_int_equal(r.gs.n, 0);
    assert_int_equal(atomic_load(&st->pending_batches), 0);
    spool_close(&r.sp);
}

static void
test_short_writes_still_make_whole_files(void **state)
{
    struct rig r;
    struct tally t;

    (void)state;
    rig_start(&r, 0);
    atomic_store(&write_short, true);
    rig_push(&r, 300);
    rig_stop(&r);
    atomic_store(&write_short, false);
    t = check_disk(&r);
    assert_int_equal(t.records, 300);
    assert_int_equal(r.gs.n, 0);
    spool_close(&r.sp);
}

static void
test_failure_at_exit_is_reported(void **state)
{
    struct rig r;

    (void)state;
    rig_start(&r, 0);
    atomic_store(&write_fail, 1000000);
    rig_push(&r, 50);                       /* one open batch */
    rig_stop(&r);
    atomic_store(&write_fail, 0);
    assert_int_not_equal(r.rc, ESTEL_OK);
    assert_non_null(strstr(r.err.msg, "lost"));
    assert_true(atomic_load(&spool_stats(r.sp)->records_dropped) >= 50);
    (void)check_disk(&r);
    spool_close(&r.sp);
}

static int
group_setup(void **state)
{
    (void)state;
    return mkdtemp(base) == NULL ? -1 : 0;
}

static int
group_teardown(void **state)
{
    char cmd[128];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
    return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fsync_error_rewrites_from_memory),
        cmocka_unit_test(test_enospc_evicts_and_retries),
        cmocka_unit_test(test_persistent_errors_bound_memory_then_recover),
        cmocka_unit_test(test_short_writes_still_make_whole_files),
        cmocka_unit_test(test_failure_at_exit_is_reported),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
