/*
 * spool.c - the spool directory: open (ownership, mode, lock), the lazy
 * startup scan, the ready index, limits and eviction, quarantine, the
 * sequence floor, and the uploader's wake-up.
 *
 * Startup is a directory listing, never a read of the backlog: a batch's
 * sequence range and creation time are in its file name, its size comes
 * from fstatat().  Headers are read later, one at a time, by the reader.
 *
 * Sequence numbers must never repeat (collector records' ids are derived
 * from them).  The highest number on disk is in the newest file name in
 * ready/, dead/ or bad/; when the file holding the highest number is about
 * to be deleted (uploaded, evicted, trimmed), its successor is first
 * persisted as the name of an empty marker file "seq.<16 hex>" in the
 * spool directory (rename is atomic, then the directory is fsynced).
 */
#include "spool/spool_int.h"
#include "common/log.h"
#include "common/platform.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define MARKER_PREFIX "seq."

/* ---- small helpers ------------------------------------------------------ */

void
spool_entry_name(const struct ready_ent *e, char *buf, size_t size)
{
    (void)batchfile_name_format(buf, size, e->first_seq, e->last_seq,
                                e->created_ns);   /* size is always ours */
}

static void
note_seq(struct spool *sp, uint64_t last_seq)
{
    uint64_t cur = atomic_load(&sp->seq_high);

    while (last_seq > cur &&
           !atomic_compare_exchange_weak(&sp->seq_high, &cur, last_seq))
        ;
}

enum estel_rc
spool_list_dir(int dirfd, const char *what, bool (*fn)(void *, const char *),
         void *ctx, struct estel_err *err)
{
    struct dirent *de;
    DIR *d;
    int fd;

    if (dirfd < 0)
        return ESTEL_OK;
    if ((fd = dup(dirfd)) < 0 || (d = fdopendir(fd)) == NULL) {
        estel_fail_errno(err, ESTEL_E_IO, "cannot list %s", what);
        if (fd >= 0)
            close(fd);
        return ESTEL_E_IO;
    }
    rewinddir(d);
    errno = 0;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;               /* ".", "..", editors' and NFS files */
        if (!fn(ctx, de->d_name))
            break;
    }
    closedir(d);
    return ESTEL_OK;
}

/* ---- the ready index ---------------------------------------------------- */

int
spool_ent_cmp(const void *a, const void *b)
{
    const struct ready_ent *x = a, *y = b;

    if (x->first_seq != y->first_seq)
        return x->first_seq < y->first_seq ? -1 : 1;
    if (x->last_seq != y->last_seq)
        return x->last_seq < y->last_seq ? -1 : 1;
    if (x->created_ns != y->created_ns)
        return (uint64_t)x->created_ns < (uint64_t)y->created_ns ? -1 : 1;
    return 0;
}

static void
idx_stats(struct spool *sp)
{
    struct ready_index *ix = &sp->idx;

    atomic_store(&sp->stats.ready_batches, ix->len);
    atomic_store(&sp->stats.oldest_ready_ns,
                 ix->len != 0 ? ix->v[ix->head].created_ns : 0);
}

static bool
idx_grow(struct ready_index *ix)
{
    struct ready_ent *v;
    size_t ncap;

    if (ix->head + ix->len < ix->cap)
        return true;
    if (ix->head > ix->cap / 2) {       /* reuse the freed front */
        memmove(ix->v, ix->v + ix->head, ix->len * sizeof(*ix->v));
        ix->head = 0;
        return true;
    }
    ncap = ix->cap != 0 ? ix->cap * 2 : 64;
    if ((v = realloc(ix->v, ncap * sizeof(*v))) == NULL)
        return false;
    ix->v = v;
    ix->cap = ncap;
    return true;
}

/* Position of the first entry not less than e (binary search). */
static size_t
idx_lower(const struct ready_index *ix, const struct ready_ent *e)
{
    size_t lo = 0, hi = ix->len;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (spool_ent_cmp(&ix->v[ix->head + mid], e) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static bool
idx_insert(struct ready_index *ix, const struct ready_ent *e)
{
    size_t pos;

    if (!idx_grow(ix))
        return false;
    pos = ix->len;
    if (ix->len != 0 && spool_ent_cmp(&ix->v[ix->head + ix->len - 1], e) > 0)
        pos = idx_lower(ix, e);     /* rare: out of order */
    memmove(&ix->v[ix->head + pos + 1], &ix->v[ix->head + pos],
            (ix->len - pos) * sizeof(*ix->v));
    ix->v[ix->head + pos] = *e;
    ix->len++;
    return true;
}

static void
idx_remove_at(struct ready_index *ix, size_t pos)
{
    if (pos == 0) {
        ix->head++;
    } else {
        memmove(&ix->v[ix->head + pos], &ix->v[ix->head + pos + 1],
                (ix->len - pos - 1) * sizeof(*ix->v));
    }
    if (--ix->len == 0)
        ix->head = 0;
}

enum estel_rc
spool_index_add(struct spool *sp, const struct ready_ent *e,
                struct estel_err *err)
{
    bool ok;

    pthread_mutex_lock(&sp->mu);
    ok = idx_insert(&sp->idx, e);
    if (ok) {
        atomic_fetch_add(&sp->stats.ready_bytes, e->file_bytes);
        idx_stats(sp);
        sp->notified = true;
        pthread_cond_broadcast(&sp->cv);
    }
    pthread_mutex_unlock(&sp->mu);
    note_seq(sp, e->last_seq);
    if (!ok)
        return estel_fail(err, ESTEL_E_NOMEM, "spool: out of memory for "
                          "the ready index");
    return ESTEL_OK;
}

size_t
spool_index_copy(struct spool *sp, const struct ready_ent *after,
                 struct ready_ent *out, size_t max)
{
    struct ready_index *ix = &sp->idx;
    size_t pos = 0, n = 0;

    pthread_mutex_lock(&sp->mu);
    if (after != NULL) {
        pos = idx_lower(ix, after);
        if (pos < ix->len && spool_ent_cmp(&ix->v[ix->head + pos],
                                           after) == 0)
            pos++;
    }
    while (pos < ix->len && n < max)
        out[n++] = ix->v[ix->head + pos++];
    pthread_mutex_unlock(&sp->mu);
    return n;
}

bool
spool_index_take(struct spool *sp, const char *name, struct ready_ent *out)
{
    struct ready_ent key;
    struct ready_index *ix = &sp->idx;
    bool found = false;
    size_t pos;

    memset(&key, 0, sizeof(key));
    if (!batchfile_name_parse(name, &key.first_seq, &key.last_seq,
                              &key.created_ns))
        return false;
    pthread_mutex_lock(&sp->mu);
    pos = idx_lower(ix, &key);
    if (pos < ix->len && spool_ent_cmp(&ix->v[ix->head + pos], &key) == 0) {
        *out = ix->v[ix->head + pos];
        idx_remove_at(ix, pos);
        atomic_fetch_sub(&sp->stats.ready_bytes, out->file_bytes);
        idx_stats(sp);
        found = true;
    }
    pthread_mutex_unlock(&sp->mu);
    return found;
}

/* ---- the sequence floor ------------------------------------------------- */

static void
marker_name(char *buf, size_t size, uint64_t seq)
{
    snprintf(buf, size, MARKER_PREFIX "%016" PRIx64, seq);
}

static bool
write_marker(struct spool *sp, uint64_t seq)
{
    char oldn[32], newn[32];
    int fd;

    marker_name(newn, sizeof(newn), seq);
    if (sp->marker_seq != 0) {
        marker_name(oldn, sizeof(oldn), sp->marker_seq);
        if (renameat(sp->dirfd, oldn, sp->dirfd, newn) == 0)
            goto sync;
    }
    fd = openat(sp->dirfd, newn, O_WRONLY | O_CREAT | O_NOFOLLOW |
                O_CLOEXEC, 0600);
    if (fd < 0)
        return false;
    close(fd);
    if (sp->marker_seq != 0 && unlinkat(sp->dirfd, oldn, 0) != 0 &&
        errno != ENOENT)
        log_warn("spool: %s/%s: cannot remove the old marker", sp->dir,
                 oldn);
sync:
    /* the marker must be durable before the file it stands for is gone */
    if (estel_fsync_dir(sp->dirfd) != 0)
        return false;
    sp->marker_seq = seq;
    return true;
}

void
spool_forget_seq(struct spool *sp, uint64_t last_seq)
{
    if (sp->cfg.inspect || last_seq < atomic_load(&sp->seq_high))
        return;                     /* a newer file still holds the floor */
    /* its own lock: this is I/O, and the index lock never waits on it */
    pthread_mutex_lock(&sp->marker_mu);
    if (last_seq + 1 > sp->marker_seq && !write_marker(sp, last_seq + 1))
        log_warn("spool: %s: cannot persist the sequence floor %" PRIu64
                 "; numbers may repeat after a restart", sp->dir,
                 last_seq + 1);
    pthread_mutex_unlock(&sp->marker_mu);
}

/* ---- eviction ----------------------------------------------------------- */

/* Pick the next victim under the lock; false when nothing qualifies. */
static bool
pick_victim(struct spool *sp, uint64_t target_bytes, int64_t min_created_ns,
            int64_t now_mono, struct ready_ent *out)
{
    struct ready_index *ix = &sp->idx;
    uint64_t bytes = atomic_load(&sp->stats.ready_bytes);

    for (size_t i = 0; i < ix->len; i++) {
        struct ready_ent *e = &ix->v[ix->head + i];
        bool old = min_created_ns != 0 && e->created_ns < min_created_ns;

        if (bytes <= target_bytes && !old)
            return false;
        if (e->claimed_ns != 0 && now_mono - e->claimed_ns < SPOOL_CLAIM_NS)
            continue;               /* on the wire right now */
        *out = *e;
        idx_remove_at(ix, i);
        atomic_fetch_sub(&sp->stats.ready_bytes, out->file_bytes);
        idx_stats(sp);
        return true;
    }
    return false;
}

/* A batch scanned at startup: its counts are in the header. */
static bool
read_counts(struct spool *sp, const char *name, struct ready_ent *e)
{
    uint8_t hdr[BATCHFILE_HEADER_BYTES];
    struct batchfile_hdr h;
    ssize_t n;
    int fd;

    fd = openat(sp->ready_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
                O_NONBLOCK);
    if (fd < 0)
        return false;
    n = pread(fd, hdr, sizeof(hdr), 0);
    close(fd);
    if (n < 0 || batchfile_header_parse(hdr, (size_t)n, &h, NULL) !=
        ESTEL_OK)
        return false;
    e->records = h.record_count;
    e->lost_first_seq = h.lost_first_seq;
    e->lost_last_seq = h.lost_last_seq;
    e->lost_records = h.lost_records;
    return true;
}

size_t
spool_gap_add(struct spool_gap *gaps, size_t n, const struct ready_ent *e,
              const char *reason)
{
    struct spool_gap *g = n != 0 ? &gaps[n - 1] : NULL;

    uint64_t first = e->first_seq, last = e->last_seq;

    /* the batch's own records, and the losses its gap records report */
    if (e->lost_records != 0) {
        first = e->lost_first_seq < first ? e->lost_first_seq : first;
        last = e->lost_last_seq > last ? e->lost_last_seq : last;
    }
    if (g == NULL || (first > g->last_seq + 1 && n < SPOOL_GAPS_MAX)) {
        g = &gaps[n++];
        memset(g, 0, sizeof(*g));
        g->first_seq = first;
        g->reason = reason;
    }
    if (first < g->first_seq)
        g->first_seq = first;
    if (last > g->last_seq)
        g->last_seq = last;
    g->records += e->records + e->lost_records;
    g->batches++;
    return n;
}

void
spool_unlink_batches(struct spool *sp, const struct spool_victim *v,
                     size_t n)
{
    char name[SPOOL_NAME_MAX];
    size_t done = 0;

    for (size_t i = 0; i < n; i++) {
        spool_entry_name(&v[i].e, name, sizeof(name));
        spool_forget_seq(sp, v[i].e.last_seq);
        /* the file left the index when it was picked: nobody else acts on
         * it now, so ENOENT means someone removed it by hand */
        if (unlinkat(sp->ready_fd, name, 0) != 0 && errno != ENOENT)
            log_warn("spool: %s/ready/%s: cannot evict", sp->dir, name);
        else
            done++;
    }
    if (done != 0 && estel_fsync_dir(sp->ready_fd) != 0)
        log_warn("spool: %s/ready: fsync after eviction", sp->dir);
}

static bool
victims_push(struct spool_victims *vs, const struct ready_ent *e)
{
    if (vs->n == vs->cap) {
        size_t ncap = vs->cap != 0 ? vs->cap * 2 : 16;
        struct spool_victim *v = realloc(vs->v, ncap * sizeof(*v));

        if (v == NULL)
            return false;
        vs->v = v;
        vs->cap = ncap;
    }
    vs->v[vs->n].e = *e;
    vs->v[vs->n++].gen = vs->gen;
    return true;
}

size_t
spool_evict(struct spool *sp, uint64_t target_bytes, int64_t min_created_ns,
            const char *reason, struct spool_gap *gaps,
            struct spool_victims *defer)
{
    int64_t now = estel_now_mono_ns();
    struct spool_victim v;
    char name[SPOOL_NAME_MAX];
    size_t ngaps = 0;
    bool any;

    memset(&v, 0, sizeof(v));
    for (;;) {
        pthread_mutex_lock(&sp->mu);
        any = pick_victim(sp, target_bytes, min_created_ns, now, &v.e);
        pthread_mutex_unlock(&sp->mu);
        if (!any)
            break;
        spool_entry_name(&v.e, name, sizeof(name));
        if (v.e.records == 0 && !read_counts(sp, name, &v.e))
            /* unreadable: the range is the best count there is */
            v.e.records = (uint32_t)(v.e.last_seq - v.e.first_seq + 1);
        atomic_fetch_add(&sp->stats.batches_evicted, 1);
        atomic_fetch_add(&sp->stats.records_evicted, v.e.records);
        ngaps = spool_gap_add(gaps, ngaps, &v.e, reason);
        if (defer == NULL || !victims_push(defer, &v.e))
            spool_unlink_batches(sp, &v, 1);
    }
    return ngaps;
}

/* ---- bad/ and dead/ ----------------------------------------------------- */

static bool
dirlist_add(void *ctx, const char *name)
{
    struct spool_dirlist *l = ctx;
    struct stat st;

    if (fstatat(l->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return true;
    if (l->n == l->cap) {
        size_t ncap = l->cap != 0 ? l->cap * 2 : 64;
        struct spool_dirfile *v = realloc(l->v, ncap * sizeof(*v));

        if (v == NULL) {
            l->oom = true;
            return false;
        }
        l->v = v;
        l->cap = ncap;
    }
    if ((l->v[l->n].name = strdup(name)) == NULL) {
        l->oom = true;
        return false;
    }
    l->v[l->n++].size = (uint64_t)st.st_size;
    l->bytes += (uint64_t)st.st_size;
    return true;
}

static int
dirfile_cmp(const void *a, const void *b)
{
    return strcmp(((const struct spool_dirfile *)a)->name,
                  ((const struct spool_dirfile *)b)->name);
}

enum estel_rc
spool_dirlist_load(struct spool_dirlist *l, int dirfd, const char *what,
                   struct estel_err *err)
{
    enum estel_rc rc;

    memset(l, 0, sizeof(*l));
    l->dirfd = dirfd;
    if ((rc = spool_list_dir(dirfd, what, dirlist_add, l, err)) != ESTEL_OK)
        return rc;
    if (l->oom)
        return estel_fail(err, ESTEL_E_NOMEM, "spool: out of memory listing "
                          "%s", what);
    if (l->n > 1)
        qsort(l->v, l->n, sizeof(l->v[0]), dirfile_cmp);
    return ESTEL_OK;
}

void
spool_dirlist_free(struct spool_dirlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].name);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

void
spool_trim_dir(struct spool *sp, int dirfd, const char *what,
               uint64_t max_bytes, _Atomic uint64_t *bytes)
{
    struct spool_dirlist l;
    size_t i, deleted = 0;

    if (sp->cfg.inspect || dirfd < 0 || atomic_load(bytes) <= max_bytes)
        return;
    if (spool_dirlist_load(&l, dirfd, what, NULL) != ESTEL_OK) {
        spool_dirlist_free(&l);
        return;
    }
    /* batch names sort oldest first; anything else goes first */
    for (i = 0; i < l.n && l.bytes > max_bytes; i++) {
        uint64_t f, s;
        int64_t c;

        if (batchfile_name_parse(l.v[i].name, &f, &s, &c))
            spool_forget_seq(sp, s);
        if (unlinkat(dirfd, l.v[i].name, 0) == 0 || errno == ENOENT) {
            l.bytes -= l.v[i].size;
            deleted++;
        }
    }
    atomic_store(bytes, l.bytes);
    if (deleted != 0) {
        log_info("spool: %s/%s over its limit of %" PRIu64 " bytes: "
                 "deleted the %zu oldest files", sp->dir, what, max_bytes,
                 deleted);
        if (estel_fsync_dir(dirfd) != 0)
            log_warn("spool: %s/%s: fsync after trimming", sp->dir, what);
    }
    spool_dirlist_free(&l);
}

/*
 * Records in a batch that went to dead/ or bad/ never land: without a gap
 * record they would be a silent hole in the sequence.  The range comes
 * from the index entry, else from the file name (a corrupt file's header
 * cannot be trusted).  If the batch itself carried gap records, what they
 * reported is reported again.  The batcher writes the gap records at its
 * next tick (spool_take_lost); readers never touch the open batch.
 */
static void
queue_lost(struct spool *sp, const struct spool_gap *g)
{
    struct spool_gap *last;

    if (sp->nlost < SPOOL_LOST_MAX) {
        sp->lost[sp->nlost++] = *g;
        atomic_fetch_add(&sp->lost_unwritten, 1);
        return;
    }
    last = &sp->lost[SPOOL_LOST_MAX - 1];   /* full: widen the last one */
    if (g->first_seq < last->first_seq)
        last->first_seq = g->first_seq;
    if (g->last_seq > last->last_seq)
        last->last_seq = g->last_seq;
    last->records += g->records;
    last->batches += g->batches;
}

void
spool_note_lost(struct spool *sp, const char *name,
                const struct ready_ent *e, const char *reason)
{
    struct spool_gap g = { .batches = 1, .reason = reason };
    int64_t created;

    if (e != NULL) {
        g.first_seq = e->first_seq;
        g.last_seq = e->last_seq;
        g.records = e->records;
    } else if (!batchfile_name_parse(name, &g.first_seq, &g.last_seq,
                                     &created)) {
        return;                     /* not a batch of ours */
    }
    if (g.records == 0 && g.last_seq >= g.first_seq)
        g.records = g.last_seq - g.first_seq + 1;
    pthread_mutex_lock(&sp->mu);
    queue_lost(sp, &g);
    if (e != NULL && e->lost_records != 0) {
        struct spool_gap carried = {
            .first_seq = e->lost_first_seq, .last_seq = e->lost_last_seq,
            .records = e->lost_records, .batches = 0, .reason = reason,
        };

        queue_lost(sp, &carried);
    }
    pthread_mutex_unlock(&sp->mu);
}

size_t
spool_take_lost(struct spool *sp, struct spool_gap *out, size_t max)
{
    size_t n;

    pthread_mutex_lock(&sp->mu);
    n = sp->nlost < max ? sp->nlost : max;
    memcpy(out, sp->lost, n * sizeof(*out));
    memmove(sp->lost, sp->lost + n, (sp->nlost - n) * sizeof(*out));
    sp->nlost -= n;
    pthread_mutex_unlock(&sp->mu);
    return n;
}

/* 0 without a batcher (e.g. a tool that only uploads): nobody would
 * ever write them, so nobody should wait for them. */
uint64_t
spool_lost_unwritten(struct spool *sp)
{
    return atomic_load(&sp->lost_reporter) ?
           atomic_load(&sp->lost_unwritten) : 0;
}

void
spool_lost_written(struct spool *sp, size_t n)
{
    atomic_fetch_sub(&sp->lost_unwritten, n);
}

void
spool_quarantine(struct spool *sp, const char *name, const char *reason)
{
    struct ready_ent e;
    struct stat st;
    uint64_t size = 0;
    bool indexed;

    if (sp->cfg.inspect)
        return;
    indexed = spool_index_take(sp, name, &e);   /* may already be out */
    if (fstatat(sp->ready_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
        size = (uint64_t)st.st_size;
    if (renameat(sp->ready_fd, name, sp->bad_fd, name) != 0) {
        if (errno != ENOENT)
            log_warn("spool: %s/ready/%s: %s; cannot move it to bad/",
                     sp->dir, name, reason);
        return;
    }
    if (estel_fsync_dir(sp->bad_fd) != 0 ||
        estel_fsync_dir(sp->ready_fd) != 0)
        log_warn("spool: %s: fsync after quarantine", sp->dir);
    atomic_fetch_add(&sp->stats.batches_bad, 1);
    atomic_fetch_add(&sp->stats.bad_bytes, size);
    spool_note_lost(sp, name, indexed ? &e : NULL, "corrupt");
    log_warnx("spool: %s/ready/%s: %s; moved to bad/ (kept for forensics)",
              sp->dir, name, reason);
    spool_trim_dir(sp, sp->bad_fd, "bad", sp->cfg.bad_max_bytes,
                   &sp->stats.bad_bytes);
}

/* ---- wake-up ------------------------------------------------------------ */

void
spool_notify(struct spool *sp)
{
    pthread_mutex_lock(&sp->mu);
    sp->notified = true;
    pthread_cond_broadcast(&sp->cv);
    pthread_mutex_unlock(&sp->mu);
}

void
spool_kick(struct spool *sp)
{
    spool_notify(sp);
}

void
spool_wait_ready(struct spool *sp, int64_t timeout_ms)
{
    int64_t deadline = estel_now_mono_ns() + timeout_ms * 1000000;

    pthread_mutex_lock(&sp->mu);
    while (!sp->notified) {
        int64_t left_ms = (deadline - estel_now_mono_ns()) / 1000000;

        if (left_ms <= 0 ||
            estel_cond_timedwait_ms(&sp->cv, &sp->mu, left_ms) != 0)
            break;
    }
    sp->notified = false;
    pthread_mutex_unlock(&sp->mu);
}

uint64_t
spool_next_seq(const struct spool *sp)
{
    return sp->next_seq;
}

struct spool_stats *
spool_stats(struct spool *sp)
{
    return &sp->stats;
}
