/*
 * dedupe.c - which batches are already stored, so a retried batch (the
 * agent never saw our 2xx) is answered 409 instead of written twice.
 *
 * A batch is identified by its Idempotency-Key, host-boot-first_seq.  In
 * memory: a hash of hosts, each with its boots, each with a sorted array
 * of first sequence numbers and the time each was stored (12 bytes a
 * batch; batches mostly arrive in order, so insertion is an append).  On
 * disk: an append-only log, one line per stored batch,
 *
 *     # estel ingest dedupe v1
 *     <unix seconds> <host id> <boot id> <first seq>\n
 *
 * written and fsynced by the committer after the batch's events are
 * durable and before the 2xx.  A crash between the two costs a duplicate
 * (the SIEM dedupes on event.id), never a loss.  Entries older than
 * IngestDedupeTTLSeconds are forgotten; the log is rewritten (tmp, fsync,
 * rename, fsync dir) at open and when it holds mostly expired lines.
 *
 * Threads: only the committer adds, syncs and maintains; any HTTP worker
 * may ask ingest_dedupe_has() early.  The mutex guards the memory index
 * only; file I/O happens outside it (reading the index without the lock
 * is safe on the committer because it is the only writer).
 */
#include "ingest/ingest_int.h"
#include "common/io.h"
#include "common/log.h"
#include "common/platform.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#define LOG_NAME "dedupe.log"
#define LOG_TMP "dedupe.log.tmp"
#define LOG_HEADER "# estel ingest dedupe v1\n"
#define LINE_MAX_BYTES (2 * (INGEST_ID_MAX + 1) + 48)

struct dd_boot {
    struct dd_boot *next;
    char boot[INGEST_ID_MAX + 1];
    uint64_t *firsts;               /* sorted */
    uint32_t *stored_s;             /* when, unix seconds */
    size_t n, cap;
};

struct dd_host {
    struct dd_host *next;           /* hash chain */
    char host[INGEST_ID_MAX + 1];
    struct dd_boot *boots;
};

struct ingest_dedupe {
    pthread_mutex_t mu;
    int dirfd;                      /* borrowed */
    int fd;                         /* the log, O_APPEND */
    uint32_t ttl_s;
    struct dd_host **table;
    size_t nbuckets;                /* power of two */
    size_t nhosts;
    uint64_t count;                 /* live entries */
    uint64_t log_lines;             /* entry lines in the log file */
    struct estel_buf pending;       /* lines added, not yet written */
};

static size_t
bucket(const struct ingest_dedupe *d, const char *host)
{
    return (size_t)XXH3_64bits(host, strlen(host)) & (d->nbuckets - 1);
}

static struct dd_host *
find_host(const struct ingest_dedupe *d, const char *host)
{
    struct dd_host *h = d->table[bucket(d, host)];

    while (h != NULL && strcmp(h->host, host) != 0)
        h = h->next;
    return h;
}

static struct dd_boot *
find_boot(const struct dd_host *h, const char *boot)
{
    struct dd_boot *b = h != NULL ? h->boots : NULL;

    while (b != NULL && strcmp(b->boot, boot) != 0)
        b = b->next;
    return b;
}

/* Index of the first entry >= first. */
static size_t
lower_bound(const struct dd_boot *b, uint64_t first)
{
    size_t lo = 0, hi = b->n;

    if (b->n > 0 && b->firsts[b->n - 1] < first)
        return b->n;                /* the common case: in order */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (b->firsts[mid] < first)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static bool
grow_table(struct ingest_dedupe *d)
{
    size_t nb = d->nbuckets * 2;
    struct dd_host **t = calloc(nb, sizeof(*t));

    if (t == NULL)
        return false;
    for (size_t i = 0; i < d->nbuckets; i++) {
        struct dd_host *h = d->table[i], *next;

        for (; h != NULL; h = next) {
            size_t k = (size_t)XXH3_64bits(h->host, strlen(h->host)) &
                       (nb - 1);

            next = h->next;
            h->next = t[k];
            t[k] = h;
        }
    }
    free(d->table);
    d->table = t;
    d->nbuckets = nb;
    return true;
}

/* Insert under the lock; false: out of memory. */
static bool
insert(struct ingest_dedupe *d, const char *host, const char *boot,
       uint64_t first, uint32_t now_s)
{
    struct dd_host *h = find_host(d, host);
    struct dd_boot *b = find_boot(h, boot);
    size_t i;

    if (h == NULL) {
        if (d->nhosts >= d->nbuckets && !grow_table(d))
            return false;
        if ((h = calloc(1, sizeof(*h))) == NULL)
            return false;
        memcpy(h->host, host, strlen(host) + 1);
        h->next = d->table[bucket(d, host)];
        d->table[bucket(d, host)] = h;
        d->nhosts++;
    }
    if (b == NULL) {
        if ((b = calloc(1, sizeof(*b))) == NULL)
            return false;
        memcpy(b->boot, boot, strlen(boot) + 1);
        b->next = h->boots;
        h->boots = b;
    }
    i = lower_bound(b, first);
    if (i < b->n && b->firsts[i] == first) {
        b->stored_s[i] = now_s;
        return true;
    }
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 64;
        uint64_t *f = realloc(b->firsts, cap * sizeof(*f));
        uint32_t *s;

        if (f == NULL)
            return false;
        b->firsts = f;
        if ((s = realloc(b->stored_s, cap * sizeof(*s))) == NULL)
            return false;
        b->stored_s = s;
        b->cap = cap;
    }
    memmove(b->firsts + i + 1, b->firsts + i, (b->n - i) * sizeof(uint64_t));
    memmove(b->stored_s + i + 1, b->stored_s + i,
            (b->n - i) * sizeof(uint32_t));
    b->firsts[i] = first;
    b->stored_s[i] = now_s;
    b->n++;
    d->count++;
    return true;
}

static bool
expired(const struct ingest_dedupe *d, uint32_t stored_s, int64_t now_s)
{
    return (int64_t)stored_s + (int64_t)d->ttl_s < now_s;
}

bool
ingest_dedupe_has(struct ingest_dedupe *d, const char *host,
                  const char *boot, uint64_t first_seq, int64_t now_s)
{
    struct dd_boot *b;
    bool found = false;
    size_t i;

    pthread_mutex_lock(&d->mu);
    if ((b = find_boot(find_host(d, host), boot)) != NULL) {
        i = lower_bound(b, first_seq);
        found = i < b->n && b->firsts[i] == first_seq &&
                !expired(d, b->stored_s[i], now_s);
    }
    pthread_mutex_unlock(&d->mu);
    return found;
}

static enum estel_rc
add_line(struct estel_buf *out, int64_t now_s, const char *host,
         const char *boot, uint64_t first)
{
    return buf_printf(out, "%" PRId64 " %s %s %" PRIu64 "\n", now_s, host,
                      boot, first);
}

enum estel_rc
ingest_dedupe_add(struct ingest_dedupe *d, const char *host,
                  const char *boot, uint64_t first_seq, int64_t now_s,
                  struct estel_err *err)
{
    bool ok;

    pthread_mutex_lock(&d->mu);
    ok = insert(d, host, boot, first_seq, (uint32_t)now_s);
    pthread_mutex_unlock(&d->mu);
    if (!ok || add_line(&d->pending, now_s, host, boot, first_seq) !=
        ESTEL_OK)
        return estel_fail(err, ESTEL_E_NOMEM, "ingest: out of memory for "
                          "the dedupe index");
    return ESTEL_OK;
}

enum estel_rc
ingest_dedupe_sync(struct ingest_dedupe *d, struct estel_err *err)
{
    size_t lines = 0;

    if (d->pending.len == 0)
        return ESTEL_OK;
    for (size_t i = 0; i < d->pending.len; i++)
        lines += d->pending.data[i] == '\n';
    if (estel_write_all(d->fd, d->pending.data, d->pending.len) != 0 ||
        estel_fsync_file(d->fd, false) != 0) {
        buf_clear(&d->pending);
        return estel_fail_errno(err, estel_rc_from_errno(errno), "ingest: "
                                "cannot append to " LOG_NAME);
    }
    d->log_lines += lines;
    buf_clear(&d->pending);
    return ESTEL_OK;
}

/* Parse "<secs> <host> <boot> <first>"; false for a torn or foreign line. */
static bool
parse_line(char *line, int64_t *secs, char **host, char **boot,
           uint64_t *first)
{
    char *p = line, *end;

    errno = 0;
    *secs = strtoll(p, &end, 10);
    if (errno != 0 || end == p || *end != ' ')
        return false;
    *host = end + 1;
    if ((p = strchr(*host, ' ')) == NULL)
        return false;
    *p = '\0';
    *boot = p + 1;
    if ((p = strchr(*boot, ' ')) == NULL)
        return false;
    *p = '\0';
    if (p[1] < '0' || p[1] > '9')
        return false;
    *first = strtoull(p + 1, &end, 10);
    if (errno != 0 || *end != '\0')
        return false;
    return **host != '\0' && **boot != '\0' &&
           strlen(*host) <= INGEST_ID_MAX && strlen(*boot) <= INGEST_ID_MAX;
}

static enum estel_rc
load(struct ingest_dedupe *d, int64_t now_s, struct estel_err *err)
{
    char line[LINE_MAX_BYTES + 2];
    uint64_t bad = 0, old = 0;
    FILE *f;
    int fd = openat(d->dirfd, LOG_NAME, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

    if (fd < 0) {
        if (errno == ENOENT)
            return ESTEL_OK;
        return estel_fail_errno(err, ESTEL_E_IO, "ingest: cannot open "
                                LOG_NAME);
    }
    if ((f = fdopen(fd, "r")) == NULL) {
        close(fd);
        return estel_fail_errno(err, ESTEL_E_IO, "ingest: " LOG_NAME);
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        size_t n = strlen(line);
        int64_t secs;
        char *host, *boot;
        uint64_t first;

        if (line[0] == '#')
            continue;
        if (n == 0 || line[n - 1] != '\n') {
            bad++;                  /* torn (a crash) or too long */
            while (n > 0 && line[n - 1] != '\n' &&
                   fgets(line, sizeof(line), f) != NULL)
                n = strlen(line);
            continue;
        }
        line[n - 1] = '\0';
        if (!parse_line(line, &secs, &host, &boot, &first)) {
            bad++;
            continue;
        }
        if (expired(d, (uint32_t)secs, now_s)) {
            old++;
            continue;
        }
        if (!insert(d, host, boot, first, (uint32_t)secs)) {
            fclose(f);
            return estel_fail(err, ESTEL_E_NOMEM, "ingest: out of memory "
                              "loading " LOG_NAME);
        }
    }
    fclose(f);
    if (bad > 0)
        log_warnx("ingest: " LOG_NAME ": skipped %" PRIu64 " damaged lines "
                  "(a crash mid-append; those batches may be stored twice)",
                  bad);
    log_info("ingest: dedupe: %" PRIu64 " batches remembered, %" PRIu64
             " expired", d->count, old);
    return ESTEL_OK;
}

/* Write every live entry to the tmp log, then rename it over the log. */
static enum estel_rc
rewrite(struct ingest_dedupe *d, struct estel_err *err)
{
    struct estel_buf out;
    enum estel_rc rc = ESTEL_OK;
    uint64_t lines = 0;
    int fd;

    fd = openat(d->dirfd, LOG_TMP, O_WRONLY | O_CREAT | O_TRUNC |
                O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return estel_fail_errno(err, estel_rc_from_errno(errno), "ingest: "
                                "cannot create " LOG_TMP);
    buf_init(&out, 0);
    if (estel_write_all(fd, LOG_HEADER, strlen(LOG_HEADER)) != 0)
        rc = ESTEL_E_IO;
    for (size_t i = 0; i < d->nbuckets && rc == ESTEL_OK; i++)
        for (struct dd_host *h = d->table[i]; h != NULL; h = h->next)
            for (struct dd_boot *b = h->boots; b != NULL; b = b->next)
                for (size_t k = 0; k < b->n && rc == ESTEL_OK; k++) {
                    rc = add_line(&out, b->stored_s[k], h->host, b->boot,
                                  b->firsts[k]);
                    lines++;
                    if (rc == ESTEL_OK && out.len >= (1u << 20)) {
                        if (estel_write_all(fd, out.data, out.len) != 0)
                            rc = ESTEL_E_IO;
                        buf_clear(&out);
                    }
                }
    if (rc == ESTEL_OK && (estel_write_all(fd, out.data, out.len) != 0 ||
                           estel_fsync_file(fd, false) != 0))
        rc = ESTEL_E_IO;
    buf_free(&out);
    close(fd);
    if (rc == ESTEL_OK && renameat(d->dirfd, LOG_TMP, d->dirfd, LOG_NAME)
        != 0)
        rc = ESTEL_E_IO;
    if (rc == ESTEL_OK && estel_fsync_dir(d->dirfd) != 0)
        rc = ESTEL_E_IO;
    if (rc != ESTEL_OK) {
        (void)unlinkat(d->dirfd, LOG_TMP, 0);   /* best effort: retried */
        return estel_fail_errno(err, rc, "ingest: cannot rewrite "
                                LOG_NAME);
    }
    d->log_lines = lines;
    return ESTEL_OK;
}

static enum estel_rc
reopen(struct ingest_dedupe *d, struct estel_err *err)
{
    int fd = openat(d->dirfd, LOG_NAME, O_WRONLY | O_APPEND | O_CREAT |
                    O_NOFOLLOW | O_CLOEXEC, 0600);

    if (fd < 0)
        return estel_fail_errno(err, ESTEL_E_IO, "ingest: cannot open "
                                LOG_NAME);
    if (d->fd >= 0)
        close(d->fd);
    d->fd = fd;
    return ESTEL_OK;
}

enum estel_rc
ingest_dedupe_open(struct ingest_dedupe **out, int dirfd, uint32_t ttl_s,
                   int64_t now_s, struct estel_err *err)
{
    struct ingest_dedupe *d;
    enum estel_rc rc;

    if ((d = calloc(1, sizeof(*d))) == NULL ||
        (d->table = calloc(64, sizeof(*d->table))) == NULL) {
        free(d);
        return estel_fail(err, ESTEL_E_NOMEM, "ingest: out of memory");
    }
    pthread_mutex_init(&d->mu, NULL);
    d->dirfd = dirfd;
    d->fd = -1;
    d->ttl_s = ttl_s;
    d->nbuckets = 64;
    buf_init(&d->pending, 0);
    if ((rc = load(d, now_s, err)) != ESTEL_OK ||
        (rc = rewrite(d, err)) != ESTEL_OK ||
        (rc = reopen(d, err)) != ESTEL_OK) {
        ingest_dedupe_close(&d);
        return rc;
    }
    *out = d;
    return ESTEL_OK;
}

/* Drop expired entries of one boot; returns how many. */
static size_t
expire_boot(struct ingest_dedupe *d, struct dd_boot *b, int64_t now_s)
{
    size_t k = 0;

    for (size_t i = 0; i < b->n; i++)
        if (!expired(d, b->stored_s[i], now_s)) {
            b->firsts[k] = b->firsts[i];
            b->stored_s[k] = b->stored_s[i];
            k++;
        }
    k = b->n - k;
    b->n -= k;
    return k;
}

enum estel_rc
ingest_dedupe_maintain(struct ingest_dedupe *d, int64_t now_s,
                       struct estel_err *err)
{
    enum estel_rc rc;

    pthread_mutex_lock(&d->mu);
    for (size_t i = 0; i < d->nbuckets; i++)
        for (struct dd_host *h = d->table[i]; h != NULL; h = h->next)
            for (struct dd_boot *b = h->boots; b != NULL; b = b->next)
                d->count -= expire_boot(d, b, now_s);
    pthread_mutex_unlock(&d->mu);
    /* rewrite when at least 3/4 of the log is expired or repeated */
    if (d->log_lines < 4096 || d->log_lines < 4 * d->count)
        return ESTEL_OK;
    if ((rc = ingest_dedupe_sync(d, err)) != ESTEL_OK ||
        (rc = rewrite(d, err)) != ESTEL_OK)
        return rc;
    return reopen(d, err);
}

uint64_t
ingest_dedupe_count(const struct ingest_dedupe *d)
{
    return d->count;
}

void
ingest_dedupe_close(struct ingest_dedupe **dp)
{
    struct ingest_dedupe *d;

    if (dp == NULL || (d = *dp) == NULL)
        return;
    for (size_t i = 0; i < d->nbuckets; i++) {
        struct dd_host *h = d->table[i], *hn;

        for (; h != NULL; h = hn) {
            struct dd_boot *b = h->boots, *bn;

            for (; b != NULL; b = bn) {
                bn = b->next;
                free(b->firsts);
                free(b->stored_s);
                free(b);
            }
            hn = h->next;
            free(h);
        }
    }
    free(d->table);
    buf_free(&d->pending);
    if (d->fd >= 0)
        close(d->fd);
    pthread_mutex_destroy(&d->mu);
    free(d);
    *dp = NULL;
}
