/*
 * batcher.c - the batcher thread: ring -> open batch -> zstd -> batch file.
 *
 * Records are copied from the ring into one reused buffer (the open
 * batch).  A batch is sealed on size, record count or age, compressed in
 * one shot with one reused ZSTD_CCtx into one reused output buffer, and
 * written: tmp/<name>, fsync, rename into ready/, fsync ready/.  rename()
 * is what makes a batch appear whole or not at all; the file fsync before
 * it makes sure the name never points at data still in the page cache,
 * and the directory fsync makes the new name itself survive a power cut.
 *
 * Limits are enforced before each write (size) and once a second (age):
 * the oldest batches are evicted down to the low-water mark and each lost
 * range is turned into a gap record (spool_gap_fn) that goes into the open
 * batch.  A failed write never leaves a file in ready/: the tmp file is
 * unlinked and the sealed batch is kept in memory (at most PENDING_MAX,
 * oldest dropped first with a gap record) and retried with backoff; on
 * ENOSPC we evict and retry once right away.  After an fsync error we
 * rewrite the whole file from memory rather than trust a second fsync
 * (the kernel may have dropped the dirty pages: "fsyncgate").
 */
#include "spool/spool_int.h"
#include "common/io.h"
#include "common/log.h"
#include "common/platform.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>

#define PENDING_MAX 4
#define TICK_NS ((int64_t)1000000000)
#define RETRY_MIN_MS 500
#define RETRY_MAX_MS 30000
#define GAP_LOG_NS ((int64_t)60 * 1000000000)

struct sealed {
    uint64_t gen;                       /* which seal made it */
    struct batchfile_hdr h;
    uint8_t hdr[BATCHFILE_HEADER_BYTES];
    struct estel_buf frame;
};

struct batcher {
    struct spool *sp;
    struct ring *ring;
    spool_gap_fn *on_gap;
    void *gap_ctx;
    spool_tick_fn *on_tick;
    void *tick_ctx;
    ZSTD_CCtx *cctx;
    /* the open batch */
    struct estel_buf raw;
    uint32_t nrec;
    uint64_t first_seq;
    uint64_t last_seq;
    int64_t opened_ns;
    struct spool_record_gap lost;       /* what its gap records report */
    uint64_t gen;                       /* of the open batch */
    uint64_t ratio_raw, ratio_frame;    /* last batch, for estimates */
    /* evicted, deleted once the batch with their gap record is on disk */
    struct spool_victims doomed;
    /* the sealed batch being written (reused) */
    struct sealed out;
    /* sealed batches the disk refused, oldest first */
    struct sealed pending[PENDING_MAX];
    size_t npending;
    int64_t retry_ns;
    int64_t retry_ms;
    int64_t next_tick_ns;
    /* the thread's last error, logged only when it changes */
    enum estel_rc state;
    uint64_t state_repeats;
    bool rejected_logged;
    bool stalled;                       /* memory full: ring left alone */
    int64_t gap_log_ns;
    uint64_t gaps_quiet;
    uint64_t gaps_quiet_records;
    _Atomic bool stop;
    _Atomic bool flush_soon;
};

/* ---- state and gaps ----------------------------------------------------- */

static void
set_state(struct batcher *b, enum estel_rc rc, const char *msg)
{
    if (rc == b->state) {
        b->state_repeats += rc != ESTEL_OK;
        return;
    }
    if (rc == ESTEL_OK)
        log_info("spool: %s: writes work again (%" PRIu64 " failures "
                 "before)", b->sp->dir, b->state_repeats + 1);
    else
        log_warnx("spool: %s", msg);
    b->state = rc;
    b->state_repeats = 0;
}

static void
add_record(struct batcher *b, const uint8_t *rec, size_t len)
{
    struct spool_record_gap g;
    uint64_t seq;
    bool is_gap;

    if (!spool_record_head(rec, len, &seq, &is_gap)) {
        atomic_fetch_add(&b->sp->stats.records_rejected, 1);
        if (!b->rejected_logged)
            log_warnx("spool: a %zu-byte record is not a msgpack map with "
                      "a \"cs\" sequence number; dropped (counted, logged "
                      "once)", len);
        b->rejected_logged = true;
        return;
    }
    if (buf_append(&b->raw, rec, len) != ESTEL_OK) {
        atomic_fetch_add(&b->sp->stats.records_rejected, 1);
        return;
    }
    if (is_gap && spool_record_gap(rec, len, &g) && g.records != 0) {
        if (b->lost.records == 0 || g.first_seq < b->lost.first_seq)
            b->lost.first_seq = g.first_seq;
        if (b->lost.records == 0 || g.last_seq > b->lost.last_seq)
            b->lost.last_seq = g.last_seq;
        b->lost.records += g.records;
    }
    if (b->nrec++ == 0) {
        b->first_seq = b->last_seq = seq;
        b->opened_ns = estel_now_mono_ns();
    } else if (seq < b->first_seq) {
        b->first_seq = seq;
    } else if (seq > b->last_seq) {
        b->last_seq = seq;
    }
}

/* One line per minute at most: the counters and gap records say all. */
static void
log_gap(struct batcher *b, const struct spool_gap *g)
{
    int64_t now = estel_now_mono_ns();

    if (b->gap_log_ns != 0 && now - b->gap_log_ns < GAP_LOG_NS) {
        b->gaps_quiet++;
        b->gaps_quiet_records += g->records;
        return;
    }
    log_warnx("spool: %s: lost %" PRIu64 " records in %" PRIu64 " batches "
              "(sequence %" PRIu64 "-%" PRIu64 "): %s; %" PRIu64 " more "
              "gaps (%" PRIu64 " records) since the last report", b->sp->dir,
              g->records, g->batches, g->first_seq, g->last_seq, g->reason,
              b->gaps_quiet, b->gaps_quiet_records);
    b->gap_log_ns = now;
    b->gaps_quiet = b->gaps_quiet_records = 0;
}

static void
report_gaps(struct batcher *b, const struct spool_gap *gaps, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const uint8_t *rec = NULL;
        size_t len;

        atomic_fetch_add(&b->sp->stats.gaps_reported, 1);
        log_gap(b, &gaps[i]);
        if (b->on_gap != NULL &&
            (len = b->on_gap(b->gap_ctx, &gaps[i], &rec)) != 0)
            add_record(b, rec, len);
    }
}

/* ---- writing one batch file --------------------------------------------- */

/* tmp/ -> fsync -> ready/ -> fsync dir.  On failure nothing is left. */
static enum estel_rc
write_file(struct batcher *b, const struct sealed *s, struct estel_err *err)
{
    struct spool *sp = b->sp;
    char name[SPOOL_NAME_MAX];
    const char *step = "create";
    struct ready_ent e;
    int fd, saved;

    spool_entry_name(&(struct ready_ent){ .first_seq = s->h.first_seq,
                                          .last_seq = s->h.last_seq,
                                          .created_ns = s->h.created_ns },
                     name, sizeof(name));
    fd = openat(sp->tmp_fd, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
                O_CLOEXEC, 0600);
    if (fd < 0)
        goto fail;
    step = "write";
    if (estel_write_all(fd, s->hdr, sizeof(s->hdr)) != 0 ||
        estel_write_all(fd, s->frame.data, s->frame.len) != 0)
        goto fail;
    step = "fsync";
    if (estel_fsync_file(fd, sp->cfg.full_fsync) != 0)
        goto fail;
    step = "close";
    saved = close(fd);
    fd = -1;
    if (saved != 0)
        goto fail;
    step = "rename into ready/";
    if (renameat(sp->tmp_fd, name, sp->ready_fd, name) != 0)
        goto fail;
    /* the batch is whole in ready/ now; a failed directory fsync only
     * risks the name on a power cut, so count it and carry on */
    if (estel_fsync_dir(sp->ready_fd) != 0) {
        atomic_fetch_add(&sp->stats.write_errors, 1);
        log_warn("spool: %s/ready: fsync after rename", sp->dir);
    }
    memset(&e, 0, sizeof(e));
    e.first_seq = s->h.first_seq;
    e.last_seq = s->h.last_seq;
    e.created_ns = s->h.created_ns;
    e.file_bytes = sizeof(s->hdr) + s->frame.len;
    e.records = s->h.record_count;
    e.lost_first_seq = s->h.lost_first_seq;
    e.lost_last_seq = s->h.lost_last_seq;
    e.lost_records = s->h.lost_records;
    atomic_fetch_add(&sp->stats.batches_written, 1);
    atomic_fetch_add(&sp->stats.records_written, s->h.record_count);
    atomic_fetch_add(&sp->stats.bytes_written, e.file_bytes);
    atomic_fetch_add(&sp->stats.raw_bytes_written, s->h.raw_bytes);
    return spool_index_add(sp, &e, err);
fail:
    saved = errno;
    if (fd >= 0)
        close(fd);
    /* never leave a half-written file behind, not even in tmp/ */
    (void)unlinkat(sp->tmp_fd, name, 0);    /* may not exist */
    atomic_fetch_add(&sp->stats.write_errors, 1);
    errno = saved;
    return estel_fail_errno(err, estel_rc_from_errno(saved), "%s/tmp/%s: "
                            "%s", sp->dir, name, step);
}

static uint64_t
sub_sat(uint64_t a, uint64_t b)
{
    return a > b ? a - b : 0;
}

/* Delete the evicted batches whose gap records are now on disk. */
static void
unlink_doomed(struct batcher *b, uint64_t upto_gen)
{
    struct spool_victims *d = &b->doomed;
    size_t n = 0;

    while (n < d->n && d->v[n].gen <= upto_gen)
        n++;
    if (n == 0)
        return;
    spool_unlink_batches(b->sp, d->v, n);
    memmove(d->v, d->v + n, (d->n - n) * sizeof(d->v[0]));
    d->n -= n;
}

/* Evict (deferred) and put the gap records into the open batch. */
static void
evict(struct batcher *b, uint64_t target, int64_t min_created,
      const char *reason)
{
    struct spool_gap gaps[SPOOL_GAPS_MAX];
    size_t n;

    b->doomed.gen = b->gen;
    n = spool_evict(b->sp, target, min_created, reason, gaps, &b->doomed);
    report_gaps(b, gaps, n);
    if (b->on_gap == NULL)          /* no gap records to wait for */
        unlink_doomed(b, UINT64_MAX);
}

/* Write; on ENOSPC free space now (no waiting) and retry once. */
static enum estel_rc
store(struct batcher *b, const struct sealed *s, struct estel_err *err)
{
    struct spool *sp = b->sp;
    struct spool_gap gaps[SPOOL_GAPS_MAX];
    uint64_t size = sizeof(s->hdr) + s->frame.len, ready;
    enum estel_rc rc;
    size_t n;

    rc = write_file(b, s, err);
    if (rc == ESTEL_OK)
        unlink_doomed(b, s->gen);
    if (rc != ESTEL_E_NOSPACE)
        return rc;
    ready = atomic_load(&sp->stats.ready_bytes);
    n = spool_evict(sp, sub_sat(ready, size * 2 > ready / 10 ? size * 2 :
                                ready / 10), 0, "disk_full", gaps, NULL);
    if (n == 0)
        return rc;                  /* nothing of ours to free */
    /* the space is needed now: these gap records wait in memory */
    report_gaps(b, gaps, n);
    estel_err_clear(err);
    if ((rc = write_file(b, s, err)) == ESTEL_OK)
        unlink_doomed(b, s->gen);
    return rc;
}

/* ---- sealing, holding, retrying ----------------------------------------- */

static enum estel_rc
compress(struct batcher *b, struct sealed *s, struct estel_err *err)
{
    size_t bound = ZSTD_compressBound(b->raw.len), n;

    s->gen = b->gen;
    memset(&s->h, 0, sizeof(s->h));
    s->h.first_seq = b->first_seq;
    s->h.last_seq = b->last_seq;
    s->h.record_count = b->nrec;
    s->h.level = b->sp->cfg.compression_level;
    s->h.raw_bytes = b->raw.len;
    s->h.created_ns = estel_now_realtime_ns();
    memcpy(s->h.host_id, b->sp->host_id, sizeof(s->h.host_id));
    memcpy(s->h.boot_id, b->sp->boot_id, sizeof(s->h.boot_id));
    s->h.lost_first_seq = b->lost.first_seq;
    s->h.lost_last_seq = b->lost.last_seq;
    s->h.lost_records = b->lost.records;
    buf_clear(&s->frame);
    if (buf_reserve(&s->frame, bound) != ESTEL_OK)
        return estel_fail(err, ESTEL_E_NOMEM, "spool: no memory for a "
                          "%zu-byte frame", bound);
    n = ZSTD_compress2(b->cctx, s->frame.data, bound, b->raw.data,
                       b->raw.len);
    if (ZSTD_isError(n))
        return estel_fail(err, ESTEL_E_NOMEM, "spool: zstd: %s",
                          ZSTD_getErrorName(n));
    s->frame.len = n;
    s->h.frame_bytes = n;
    b->ratio_raw = b->raw.len;
    b->ratio_frame = n;
    s->h.records_xxh3 = XXH3_64bits(b->raw.data, b->raw.len);
    s->h.frame_xxh3 = XXH3_64bits(s->frame.data, n);
    batchfile_header_build(s->hdr, &s->h);
    return ESTEL_OK;
}

/*
 * A sealed batch is dropped: report it, and report again the evictions
 * whose gap records it carried (those files are still on disk: they are
 * deleted once the new gap records are).
 */
static void
lose(struct batcher *b, const struct sealed *s, const char *reason)
{
    struct spool_gap g = {
        .first_seq = s->h.first_seq, .last_seq = s->h.last_seq,
        .records = s->h.record_count, .batches = 1, .reason = reason
    };
    struct spool_gap again[SPOOL_GAPS_MAX];
    size_t n = 0;

    if (s->h.lost_records != 0) {   /* and what its gap records said */
        if (s->h.lost_first_seq < g.first_seq)
            g.first_seq = s->h.lost_first_seq;
        if (s->h.lost_last_seq > g.last_seq)
            g.last_seq = s->h.lost_last_seq;
        g.records += s->h.lost_records;
    }
    atomic_fetch_add(&b->sp->stats.batches_dropped, 1);
    atomic_fetch_add(&b->sp->stats.records_dropped, s->h.record_count);
    report_gaps(b, &g, 1);
    for (size_t i = 0; i < b->doomed.n && b->doomed.v[i].gen <= s->gen;
         i++) {
        n = spool_gap_add(again, n, &b->doomed.v[i].e, "spool_full");
        b->doomed.v[i].gen = b->gen;
    }
    report_gaps(b, again, n);
}

static const char *
loss_reason(enum estel_rc rc)
{
    return rc == ESTEL_E_NOSPACE ? "disk_full" : "io_error";
}

/* Keep s in memory for a later retry (dropping the oldest if full). */
static void
hold(struct batcher *b, const struct sealed *s, enum estel_rc why)
{
    struct sealed tmp;

    if (b->npending == PENDING_MAX) {
        tmp = b->pending[0];
        memmove(&b->pending[0], &b->pending[1],
                (PENDING_MAX - 1) * sizeof(b->pending[0]));
        b->pending[PENDING_MAX - 1] = tmp;  /* recycle its buffer */
        b->npending--;
        lose(b, &b->pending[PENDING_MAX - 1], loss_reason(why));
    }
    tmp = b->pending[b->npending];
    tmp.gen = s->gen;
    tmp.h = s->h;
    memcpy(tmp.hdr, s->hdr, sizeof(tmp.hdr));
    buf_clear(&tmp.frame);
    if (buf_append(&tmp.frame, s->frame.data, s->frame.len) != ESTEL_OK) {
        b->pending[b->npending] = tmp;
        lose(b, s, loss_reason(why));
        return;
    }
    b->pending[b->npending++] = tmp;
    atomic_store(&b->sp->stats.pending_batches, b->npending);
    if (b->npending == 1) {         /* first one: schedule the retry */
        if (b->retry_ms == 0)
            b->retry_ms = RETRY_MIN_MS;
        b->retry_ns = estel_now_mono_ns() + b->retry_ms * 1000000;
    }
}

/* Write the held batches, oldest first; stop at the first failure. */
static void
retry_pending(struct batcher *b)
{
    struct estel_err err;
    enum estel_rc rc;

    while (b->npending != 0) {
        estel_err_clear(&err);
        if ((rc = store(b, &b->pending[0], &err)) != ESTEL_OK) {
            set_state(b, rc, err.msg);
            b->retry_ms = b->retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS :
                          b->retry_ms * 2;
            b->retry_ns = estel_now_mono_ns() + b->retry_ms * 1000000;
            return;
        }
        {
            struct sealed done = b->pending[0];

            memmove(&b->pending[0], &b->pending[1],
                    (PENDING_MAX - 1) * sizeof(b->pending[0]));
            b->pending[PENDING_MAX - 1] = done;
        }
        b->npending--;
        atomic_store(&b->sp->stats.pending_batches, b->npending);
    }
    b->retry_ms = 0;
    set_state(b, ESTEL_OK, NULL);
}

static void
reset_open(struct batcher *b)
{
    buf_clear(&b->raw);
    b->nrec = 0;
    memset(&b->lost, 0, sizeof(b->lost));
}

/*
 * Before compressing: if the batch (estimated from the last ratio) would
 * take ready/ over its limit, evict down to the low-water mark; the gap
 * records go into this very batch, so the evicted files are deleted only
 * once it is on disk.
 */
static void
make_room(struct batcher *b)
{
    uint64_t max = b->sp->cfg.max_bytes, est;

    if (max == 0)
        return;
    est = b->ratio_raw != 0 ? b->raw.len * b->ratio_frame / b->ratio_raw :
          b->raw.len / 4;
    est += BATCHFILE_HEADER_BYTES;
    if (atomic_load(&b->sp->stats.ready_bytes) + est > max)
        evict(b, sub_sat(max / 100 * SPOOL_LOW_WATER_PCT, est), 0,
              "spool_full");
}

/* Seal the open batch and get it onto the disk (or into memory). */
static void
seal(struct batcher *b)
{
    struct estel_err err;
    enum estel_rc rc;

    if (b->nrec == 0)
        return;
    make_room(b);
    estel_err_clear(&err);
    rc = compress(b, &b->out, &err);
    b->gen++;
    reset_open(b);                  /* gap records from here go in anew */
    if (rc != ESTEL_OK) {
        set_state(b, rc, err.msg);
        lose(b, &b->out, "io_error");
        return;
    }
    if (b->npending != 0) {         /* keep the order; the disk is sick */
        hold(b, &b->out, b->state);
        if (estel_now_mono_ns() >= b->retry_ns)
            retry_pending(b);
        return;
    }
    if ((rc = store(b, &b->out, &err)) == ESTEL_OK) {
        set_state(b, ESTEL_OK, NULL);
        return;
    }
    set_state(b, rc, err.msg);
    hold(b, &b->out, rc);
}

/* ---- the thread --------------------------------------------------------- */

static void
enforce_limits(struct batcher *b)
{
    uint64_t max = b->sp->cfg.max_bytes;

    if (b->sp->cfg.max_age_s != 0)
        evict(b, UINT64_MAX, estel_now_realtime_ns() -
              (int64_t)b->sp->cfg.max_age_s * 1000000000, "spool_max_age");
    if (max != 0 && atomic_load(&b->sp->stats.ready_bytes) > max)
        evict(b, max / 100 * SPOOL_LOW_WATER_PCT, 0, "spool_full");
}

static bool
batch_full(const struct batcher *b, size_t next_len)
{
    const struct spool_config *c = &b->sp->cfg;

    return b->nrec != 0 && (b->nrec >= c->batch_max_records ||
                            b->raw.len + next_len > c->batch_max_bytes);
}

/*
 * Move what the ring holds into batches; at most max_bytes of it.  When
 * the disk refuses batches and memory holds PENDING_MAX of them plus a
 * full open batch, stop taking records (stalled): the ring fills up and
 * the collector counts what it cannot push (gap records, "ring_full"),
 * or a replay source simply waits.  Cheaper than compressing batches only
 * to drop them, and nothing is lost if the disk comes back in time.
 * Returns the bytes moved.
 */
static size_t
drain(struct batcher *b, size_t max_bytes)
{
    const void *rec;
    size_t len, moved = 0;

    while (moved < max_bytes && ring_peek(b->ring, &rec, &len)) {
        if (batch_full(b, len)) {
            if (b->npending == PENDING_MAX) {
                b->stalled = true;
                return moved;
            }
            seal(b);
        }
        add_record(b, rec, len);
        ring_pop(b->ring);
        moved += len;
    }
    if (batch_full(b, 0) && b->npending < PENDING_MAX)
        seal(b);
    return moved;
}

/* Stalled: sleep until the next retry (the ring would wake us at once). */
static void
nap(const struct batcher *b)
{
    int64_t ms = (b->retry_ns - estel_now_mono_ns()) / 1000000;
    struct timespec ts;

    ms = ms < 1 ? 1 : ms > 100 ? 100 : ms;
    ts.tv_sec = 0;
    ts.tv_nsec = (long)ms * 1000000;
    (void)nanosleep(&ts, NULL);     /* EINTR: just an early look */
}

static int64_t
wait_ms(const struct batcher *b, int64_t now)
{
    int64_t until = b->next_tick_ns;

    if (b->nrec != 0) {
        int64_t due = b->opened_ns +
                      (int64_t)b->sp->cfg.batch_max_age_ms * 1000000;

        until = due < until ? due : until;
    }
    if (b->npending != 0 && b->retry_ns < until)
        until = b->retry_ns;
    until = (until - now) / 1000000;
    return until < 1 ? 1 : until > 1000 ? 1000 : until;
}

/*
 * Batches the uploader or a reader gave up on: gap records for them, into
 * the open batch.  They count as written here: the open batch is sealed
 * and written before the batcher says it is done, and only a draining
 * uploader, after that, looks at the count (see batcher_report_lost_until).
 */
static size_t
report_lost(struct batcher *b)
{
    struct spool_gap gaps[SPOOL_GAPS_MAX];
    size_t n, all = 0;

    while ((n = spool_take_lost(b->sp, gaps, SPOOL_GAPS_MAX)) != 0) {
        report_gaps(b, gaps, n);
        all += n;
    }
    return all;
}

static void
periodic(struct batcher *b, int64_t now)
{
    const uint8_t *rec;
    size_t len;

    /* while the disk refuses batches and memory holds all it may, grow
     * the open batch to its full size instead of sealing small ones that
     * would only push older batches out (and gap records about gaps) */
    if (b->nrec != 0 && b->npending < PENDING_MAX &&
        (atomic_exchange(&b->flush_soon, false) ||
         now - b->opened_ns >= (int64_t)b->sp->cfg.batch_max_age_ms *
                               1000000))
        seal(b);
    if (b->npending != 0 && now >= b->retry_ns)
        retry_pending(b);
    if (now < b->next_tick_ns)
        return;
    b->next_tick_ns = now + TICK_NS;
    enforce_limits(b);
    spool_lost_written(b->sp, report_lost(b));
    if (b->on_tick != NULL && (len = b->on_tick(b->tick_ctx, &rec)) != 0)
        add_record(b, rec, len);
}

/* Last words: seal, try the disk once more, account for what is lost. */
static enum estel_rc
finish(struct batcher *b, struct estel_err *err)
{
    uint64_t lost = 0;
    size_t reported = report_lost(b);

    for (int i = 0; i < 3 && (b->nrec != 0 || b->npending != 0); i++) {
        seal(b);
        if (b->npending != 0)
            retry_pending(b);
    }
    spool_lost_written(b->sp, reported);
    for (size_t i = 0; i < b->npending; i++)
        lost += b->pending[i].h.record_count;
    if (b->npending == 0)
        return ESTEL_OK;
    atomic_fetch_add(&b->sp->stats.batches_dropped, b->npending);
    atomic_fetch_add(&b->sp->stats.records_dropped, lost);
    return estel_fail(err, b->state != ESTEL_OK ? b->state : ESTEL_E_IO,
                      "spool: %s: %zu sealed batches (%" PRIu64 " records) "
                      "could not be written before exit and are lost",
                      b->sp->dir, b->npending, lost);
}

enum estel_rc
batcher_run(struct batcher *b, struct estel_err *err)
{
    const struct timespec gather = { 0, 1000000 };
    int64_t now;
    size_t moved = 0;

    b->next_tick_ns = estel_now_mono_ns();
    while (!atomic_load(&b->stop)) {
        now = estel_now_mono_ns();
        if (b->stalled) {
            nap(b);
            b->stalled = false;
        } else if (moved != 0) {
            /*
             * Records are flowing: let them gather for a millisecond
             * rather than sleep in ring_wait, where every push into an
             * empty ring wakes us (at 100k events/s that was a context
             * switch every few records, ~8 % of the agent's CPU).
             */
            (void)nanosleep(&gather, NULL);
        } else {
            (void)ring_wait(b->ring, wait_ms(b, now));  /* timeouts: fine */
        }
        /* bounded, so age, retries and ticks are looked at under load */
        moved = drain(b, 4 * b->sp->cfg.batch_max_bytes);
        periodic(b, estel_now_mono_ns());
        if (ring_finished(b->ring))
            break;
    }
    drain(b, ring_capacity(b->ring));   /* what is there when told to stop */
    return finish(b, err);
}

/* ---- life cycle --------------------------------------------------------- */

enum estel_rc
batcher_create(struct batcher **out, struct spool *sp, struct ring *ring,
               spool_gap_fn *on_gap, void *gap_ctx, struct estel_err *err)
{
    struct batcher *b;
    size_t zr;

    if (sp->cfg.inspect)
        return estel_fail(err, ESTEL_E_USAGE, "spool: %s is open read-only; "
                          "a batcher needs write access", sp->dir);
    if ((b = calloc(1, sizeof(*b))) == NULL)
        return estel_fail(err, ESTEL_E_NOMEM, "spool: out of memory");
    b->sp = sp;
    b->ring = ring;
    b->on_gap = on_gap;
    b->gap_ctx = gap_ctx;
    atomic_init(&b->stop, false);
    atomic_init(&b->flush_soon, false);
    buf_init(&b->raw, BATCHFILE_RAW_MAX);
    buf_init(&b->out.frame, 0);
    for (size_t i = 0; i < PENDING_MAX; i++)
        buf_init(&b->pending[i].frame, 0);
    if ((b->cctx = ZSTD_createCCtx()) == NULL ||
        buf_reserve(&b->raw, (size_t)sp->cfg.batch_max_bytes) != ESTEL_OK ||
        buf_reserve(&b->out.frame, ZSTD_compressBound(
                    (size_t)sp->cfg.batch_max_bytes)) != ESTEL_OK) {
        batcher_destroy(&b);
        return estel_fail(err, ESTEL_E_NOMEM, "spool: out of memory for "
                          "the batch buffers");
    }
    zr = ZSTD_CCtx_setParameter(b->cctx, ZSTD_c_compressionLevel,
                                sp->cfg.compression_level);
    if (!ZSTD_isError(zr))
        zr = ZSTD_CCtx_setParameter(b->cctx, ZSTD_c_checksumFlag, 1);
    if (ZSTD_isError(zr)) {
        batcher_destroy(&b);
        return estel_fail(err, ESTEL_E_CONFIG, "CompressionLevel %d: %s; "
                          "use 1..19", sp->cfg.compression_level,
                          ZSTD_getErrorName(zr));
    }
    atomic_store(&sp->lost_reporter, true);
    *out = b;
    return ESTEL_OK;
}

void
batcher_destroy(struct batcher **bp)
{
    struct batcher *b;

    if (bp == NULL || (b = *bp) == NULL)
        return;
    atomic_store(&b->sp->lost_reporter, false);
    ZSTD_freeCCtx(b->cctx);
    /* victims whose gap records never reached the disk stay on disk too;
     * the next start lists them again */
    free(b->doomed.v);
    buf_free(&b->raw);
    buf_free(&b->out.frame);
    for (size_t i = 0; i < PENDING_MAX; i++)
        buf_free(&b->pending[i].frame);
    free(b);
    *bp = NULL;
}

void
batcher_report_lost_until(struct batcher *b, const _Atomic bool *done)
{
    const struct timespec pause = { 0, 50000000 };
    struct estel_err err = { 0 };
    size_t n;

    while (!atomic_load(done) && !atomic_load(&b->stop)) {
        if ((n = report_lost(b)) != 0) {
            /* written before counted: the uploader must find the file */
            if (finish(b, &err) != ESTEL_OK)
                log_warnx("%s", err.msg);
            spool_lost_written(b->sp, n);
            spool_notify(b->sp);
        }
        (void)nanosleep(&pause, NULL);
    }
}

void
batcher_set_tick(struct batcher *b, spool_tick_fn *fn, void *ctx)
{
    b->on_tick = fn;
    b->tick_ctx = ctx;
}

void
batcher_stop(struct batcher *b)
{
    atomic_store(&b->stop, true);
    ring_kick(b->ring);
}

void
batcher_flush_soon(struct batcher *b)
{
    atomic_store(&b->flush_soon, true);
    ring_kick(b->ring);
}
