/*
 * commit.c - the committer: the one thread that writes output files and
 * the dedupe log, so that the order of durable writes is simple to reason
 * about and an fsync is shared by every batch that arrived meanwhile.
 *
 * DESIGN.  HTTP workers decode and map in parallel, then queue a job and
 * wait.  The committer takes the whole queue (a group), and for each job:
 * already stored (dedupe index, or earlier in this group) -> 409; else
 * append its lines.  One fsync of the output file makes the group's
 * events durable; then the keys go into the index and the dedupe log
 * (fsynced), and only then do the workers answer 200.  If the append or
 * the fsync fails, the file is cut back (out.c) and those jobs get 503
 * with Retry-After: never a 2xx for something not durably written.  The
 * mutex only moves the queue; all I/O happens outside it.
 */
#include "ingest/ingest_int.h"
#include "common/log.h"
#include "common/platform.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>

#define MAINTAIN_EVERY_NS (60LL * 1000000000)
#define FREE_SPACE_SLACK ((uint64_t)64 << 20)

struct job {
    struct job *next;
    const struct ingest_result *res;
    uint64_t body_len;
    int status;
    bool appended;
    bool done;
    char reason[200];
};

struct committer {
    pthread_mutex_t mu;
    pthread_cond_t wake;            /* the committer waits here */
    pthread_cond_t done;            /* workers wait here */
    struct job *head, *tail;
    bool stopping;
    bool tick;                      /* ingest_tick(): time for housekeeping */
    pthread_t thread;
    struct ingest_out *out;
    struct ingest_dedupe *dd;
    int dirfd;
    struct ingest_stats *stats;
    int64_t last_maintain_ns;
    enum estel_rc last_rc;          /* logged when it changes */
};

static void
fail_job(struct job *j, int status, const char *msg)
{
    j->status = status;
    snprintf(j->reason, sizeof(j->reason), "%s", msg);
}

/* Log a problem once per change of state, not once per batch. */
static void
note(struct committer *c, enum estel_rc rc, const char *msg)
{
    if (rc == c->last_rc)
        return;
    c->last_rc = rc;
    if (rc == ESTEL_OK)
        log_info("ingest: writing again");
    else
        log_warnx("%s", msg);
}

static bool
dup_in_group(const struct job *first, const struct job *j)
{
    for (; first != j; first = first->next)
        if (first->appended && strcmp(first->res->key, j->res->key) == 0)
            return true;
    return false;
}

/* Enough room for the group (plus slack for the dedupe log)? */
static bool
space_for(struct committer *c, uint64_t need)
{
    struct statvfs sv;

    if (fstatvfs(c->dirfd, &sv) != 0)
        return true;                /* cannot tell: let write() decide */
    return (uint64_t)sv.f_bavail * sv.f_frsize >= need + FREE_SPACE_SLACK;
}

static void
append_group(struct committer *c, struct job *list, int64_t now_s)
{
    struct estel_err err = { 0 };
    uint64_t need = 0;

    for (struct job *j = list; j != NULL; j = j->next)
        need += j->res->lines_len;
    if (!space_for(c, need)) {
        for (struct job *j = list; j != NULL; j = j->next)
            fail_job(j, 503, "ingest output disk is full; retry later");
        note(c, ESTEL_E_NOSPACE, "ingest: output disk is full; answering "
             "503 until there is room");
        return;
    }
    for (struct job *j = list; j != NULL; j = j->next) {
        const struct ingest_result *r = j->res;

        if (ingest_dedupe_has(c->dd, r->host_id, r->boot_id, r->first_seq,
                              now_s) || dup_in_group(list, j)) {
            fail_job(j, 409, "batch already stored");
            continue;
        }
        estel_err_clear(&err);
        if (ingest_out_append(c->out, r->lines, r->lines_len, &err) !=
            ESTEL_OK) {
            atomic_fetch_add(&c->stats->write_errors, 1);
            fail_job(j, 503, "ingest cannot write the batch; retry later");
            note(c, err.rc, err.msg);
            continue;
        }
        j->appended = true;
    }
}

static void
count_stored(struct committer *c, const struct job *j)
{
    const struct ingest_result *r = j->res;

    atomic_fetch_add(&c->stats->batches_stored, 1);
    atomic_fetch_add(&c->stats->records_written, r->records);
    atomic_fetch_add(&c->stats->gap_records, r->gaps);
    atomic_fetch_add(&c->stats->records_lost, r->lost);
    atomic_fetch_add(&c->stats->body_bytes, j->body_len);
    atomic_fetch_add(&c->stats->raw_bytes, r->raw_bytes);
    atomic_fetch_add(&c->stats->out_bytes, r->lines_len);
}

static void
commit_group(struct committer *c, struct job *list)
{
    struct estel_err err = { 0 };
    int64_t now_s = time(NULL);
    bool any = false;

    /* size and age rotation happen between groups, never inside one */
    if (ingest_out_rotate(c->out, false, &err) != ESTEL_OK)
        note(c, err.rc, err.msg);
    append_group(c, list, now_s);
    for (struct job *j = list; j != NULL; j = j->next)
        any = any || j->appended;
    if (!any)
        return;
    estel_err_clear(&err);
    if (ingest_out_sync(c->out, &err) != ESTEL_OK) {
        atomic_fetch_add(&c->stats->write_errors, 1);
        note(c, err.rc, err.msg);
        for (struct job *j = list; j != NULL; j = j->next)
            if (j->appended) {
                j->appended = false;
                fail_job(j, 503, "ingest cannot sync its output; retry "
                         "later");
            }
        return;
    }
    for (struct job *j = list; j != NULL; j = j->next) {
        if (!j->appended)
            continue;
        estel_err_clear(&err);
        if (ingest_dedupe_add(c->dd, j->res->host_id, j->res->boot_id,
                              j->res->first_seq, now_s, &err) != ESTEL_OK)
            log_warnx("%s", err.msg);
        j->status = 200;
        snprintf(j->reason, sizeof(j->reason), "stored %" PRIu64
                 " records", j->res->records);
        count_stored(c, j);
    }
    /* the events are durable: a lost dedupe line only risks a duplicate
     * after a restart, so the batches are acknowledged either way */
    estel_err_clear(&err);
    if (ingest_dedupe_sync(c->dd, &err) != ESTEL_OK)
        log_warnx("%s (batches stored; a retry after a restart may be "
                  "stored twice)", err.msg);
    note(c, ESTEL_OK, NULL);
}

static void
housekeeping(struct committer *c)
{
    struct estel_err err = { 0 };
    int64_t now = estel_now_mono_ns();

    if (ingest_out_rotate(c->out, false, &err) != ESTEL_OK)
        note(c, err.rc, err.msg);
    atomic_store(&c->stats->files_closed,
                 ingest_out_files_closed(c->out));
    if (now - c->last_maintain_ns < MAINTAIN_EVERY_NS)
        return;
    c->last_maintain_ns = now;
    estel_err_clear(&err);
    if (ingest_dedupe_maintain(c->dd, time(NULL), &err) != ESTEL_OK)
        log_warnx("%s", err.msg);
}

static void *
run(void *arg)
{
    struct committer *c = arg;

    pthread_mutex_lock(&c->mu);
    for (;;) {
        struct job *list;

        /* wake for work, a tick, or after a second: housekeeping must
         * run even when ticks keep interrupting the wait */
        while (c->head == NULL && !c->stopping && !c->tick)
            if (estel_cond_timedwait_ms(&c->wake, &c->mu, 1000) ==
                ETIMEDOUT)
                break;
        c->tick = false;
        list = c->head;
        c->head = c->tail = NULL;
        if (list == NULL && c->stopping)
            break;
        pthread_mutex_unlock(&c->mu);
        if (list != NULL)
            commit_group(c, list);
        housekeeping(c);
        pthread_mutex_lock(&c->mu);
        for (struct job *j = list; j != NULL; j = j->next)
            j->done = true;
        if (list != NULL)
            pthread_cond_broadcast(&c->done);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

enum estel_rc
committer_start(struct committer **out, struct ingest_out *o,
                struct ingest_dedupe *dd, int dirfd,
                struct ingest_stats *stats, struct estel_err *err)
{
    struct committer *c;
    int e;

    if ((c = calloc(1, sizeof(*c))) == NULL)
        return estel_fail(err, ESTEL_E_NOMEM, "ingest: out of memory");
    pthread_mutex_init(&c->mu, NULL);
    estel_cond_init(&c->wake);
    pthread_cond_init(&c->done, NULL);
    c->out = o;
    c->dd = dd;
    c->dirfd = dirfd;
    c->stats = stats;
    c->last_maintain_ns = estel_now_mono_ns();
    if ((e = pthread_create(&c->thread, NULL, run, c)) != 0) {
        pthread_cond_destroy(&c->done);
        pthread_cond_destroy(&c->wake);
        pthread_mutex_destroy(&c->mu);
        free(c);
        errno = e;
        return estel_fail_errno(err, ESTEL_E_NOMEM, "ingest: cannot start "
                                "the committer thread");
    }
    *out = c;
    return ESTEL_OK;
}

int
committer_submit(struct committer *c, const struct ingest_result *res,
                 uint64_t body_len, char *reason, size_t size)
{
    struct job j;

    memset(&j, 0, sizeof(j));
    j.res = res;
    j.body_len = body_len;
    pthread_mutex_lock(&c->mu);
    if (c->stopping) {
        pthread_mutex_unlock(&c->mu);
        snprintf(reason, size, "ingest is shutting down; retry later");
        return 503;
    }
    if (c->tail != NULL)
        c->tail->next = &j;
    else
        c->head = &j;
    c->tail = &j;
    pthread_cond_signal(&c->wake);
    while (!j.done)
        pthread_cond_wait(&c->done, &c->mu);
    pthread_mutex_unlock(&c->mu);
    snprintf(reason, size, "%s", j.reason);
    return j.status;
}

void
committer_wake(struct committer *c)
{
    pthread_mutex_lock(&c->mu);
    c->tick = true;
    pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&c->mu);
}

void
committer_stop(struct committer **cp)
{
    struct committer *c;

    if (cp == NULL || (c = *cp) == NULL)
        return;
    pthread_mutex_lock(&c->mu);
    c->stopping = true;
    pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&c->mu);
    pthread_join(c->thread, NULL);
    pthread_cond_destroy(&c->done);
    pthread_cond_destroy(&c->wake);
    pthread_mutex_destroy(&c->mu);
    free(c);
    *cp = NULL;
}
