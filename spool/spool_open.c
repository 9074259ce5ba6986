/*
 * spool_open.c - opening and closing a spool: configuration defaults, the
 * directory checks (symlink, owner, mode), the single-writer lock, tmp/
 * cleanup and the lazy scan that builds the ready index and finds where
 * sequence numbering resumes.
 *
 * Every path below the spool directory is opened with openat() relative
 * to the directory's fd and O_NOFOLLOW, so once the directory itself has
 * been checked nobody can redirect our writes with a symlink.  The lock is
 * flock() on that directory fd: a second agent on the same spool fails
 * fast instead of racing the first one.  Inspect mode (the tools) takes no
 * lock and changes nothing.
 */
#include "spool/spool_int.h"
#include "common/log.h"
#include "common/platform.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_BATCH_BYTES ((uint64_t)1 << 20)
#define DEFAULT_BATCH_RECORDS 10000
#define DEFAULT_BATCH_AGE_MS 5000
#define DEFAULT_LEVEL 3
#define DEFAULT_BAD_BYTES ((uint64_t)64 << 20)
#define DEFAULT_DEAD_BYTES ((uint64_t)256 << 20)
#define MARKER_PREFIX "seq."

static void
apply_defaults(struct spool_config *c)
{
    if (c->batch_max_bytes == 0)
        c->batch_max_bytes = DEFAULT_BATCH_BYTES;
    if (c->batch_max_bytes > BATCHFILE_RAW_MAX / 2)
        c->batch_max_bytes = BATCHFILE_RAW_MAX / 2;
    if (c->batch_max_records == 0)
        c->batch_max_records = DEFAULT_BATCH_RECORDS;
    if (c->batch_max_age_ms == 0)
        c->batch_max_age_ms = DEFAULT_BATCH_AGE_MS;
    if (c->compression_level == 0)
        c->compression_level = DEFAULT_LEVEL;
    if (c->bad_max_bytes == 0)
        c->bad_max_bytes = DEFAULT_BAD_BYTES;
    if (c->dead_max_bytes == 0)
        c->dead_max_bytes = DEFAULT_DEAD_BYTES;
}

/* mkdir -p with mode 0700 for what we create. */
static enum estel_rc
make_dirs(const char *path, struct estel_err *err)
{
    char *p = strdup(path);
    enum estel_rc rc = ESTEL_OK;

    if (p == NULL)
        return estel_fail(err, ESTEL_E_NOMEM, "spool: out of memory");
    for (char *s = p + 1; ; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        {
            char c = *s;

            *s = '\0';
            if (mkdir(p, 0700) != 0 && errno != EEXIST) {
                rc = estel_fail_errno(err, estel_rc_from_errno(errno),
                                      "spool: cannot create %s", p);
                break;
            }
            *s = c;
            if (c == '\0')
                break;
        }
    }
    free(p);
    return rc;
}

static enum estel_rc
check_dir(int fd, const char *path, bool fix, struct estel_err *err)
{
    struct stat st;
    uid_t me = geteuid();

    if (fstat(fd, &st) != 0)
        return estel_fail_errno(err, ESTEL_E_IO, "spool: stat %s", path);
    if (!S_ISDIR(st.st_mode))
        return estel_fail(err, ESTEL_E_CONFIG, "spool: %s is not a "
                          "directory", path);
    if (st.st_uid != me)
        return estel_fail(err, ESTEL_E_CONFIG, "spool: %s is owned by uid "
                          "%u, not by this process (uid %u); run: chown %s "
                          "'%s'", path, (unsigned)st.st_uid, (unsigned)me,
                          me == 0 ? "root" : "$(id -un)", path);
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
        return estel_fail(err, ESTEL_E_CONFIG, "spool: %s is writable by "
                          "group or others (mode %04o): anyone could plant "
                          "or remove batches; run: chmod 700 '%s'", path,
                          (unsigned)(st.st_mode & 07777), path);
    if (fix && (st.st_mode & 077) != 0) {
        /* events hold command lines and paths: not for other users */
        if (fchmod(fd, 0700) != 0)
            return estel_fail_errno(err, ESTEL_E_IO, "spool: chmod 700 %s",
                                    path);
        log_info("spool: %s was mode %04o; set to 0700", path,
                 (unsigned)(st.st_mode & 07777));
    }
    return ESTEL_OK;
}

static enum estel_rc
open_root(struct spool *sp, struct estel_err *err)
{
    bool inspect = sp->cfg.inspect;
    struct stat st;
    enum estel_rc rc;

    if (!inspect && (rc = make_dirs(sp->dir, err)) != ESTEL_OK)
        return rc;
    sp->dirfd = open(sp->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
                     O_CLOEXEC);
    if (sp->dirfd < 0) {
        if (lstat(sp->dir, &st) == 0 && S_ISLNK(st.st_mode))
            return estel_fail(err, ESTEL_E_CONFIG, "spool: %s is a symbolic "
                              "link; refusing it (a link could redirect "
                              "the agent's writes): point SpoolDirectory "
                              "or --spool at the real directory", sp->dir);
        return estel_fail_errno(err, estel_rc_from_errno(errno),
                                "spool: cannot open directory %s", sp->dir);
    }
    if ((rc = check_dir(sp->dirfd, sp->dir, !inspect, err)) != ESTEL_OK)
        return rc;
    if (!inspect && flock(sp->dirfd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK)
            return estel_fail(err, ESTEL_E_CONFIG, "spool: %s is in use by "
                              "another estel process; stop it or give this "
                              "one another --spool", sp->dir);
        return estel_fail_errno(err, ESTEL_E_IO, "spool: lock %s", sp->dir);
    }
    return ESTEL_OK;
}

static enum estel_rc
open_sub(struct spool *sp, const char *name, int *fd, struct estel_err *err)
{
    char path[4096];
    struct stat st;

    snprintf(path, sizeof(path), "%s/%s", sp->dir, name);
    if (!sp->cfg.inspect && mkdirat(sp->dirfd, name, 0700) != 0 &&
        errno != EEXIST)
        return estel_fail_errno(err, estel_rc_from_errno(errno),
                                "spool: cannot create %s", path);
    *fd = openat(sp->dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
                 O_CLOEXEC);
    if (*fd < 0) {
        if (errno == ENOENT && sp->cfg.inspect)
            return ESTEL_OK;        /* nothing written there yet */
        if (fstatat(sp->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            !S_ISDIR(st.st_mode))
            return estel_fail(err, ESTEL_E_CONFIG, "spool: %s is not a "
                              "directory (a symlink or a file); move it "
                              "away and restart", path);
        return estel_fail_errno(err, ESTEL_E_IO, "spool: cannot open %s",
                                path);
    }
    return check_dir(*fd, path, false, err);
}

/* ---- the startup scan --------------------------------------------------- */

struct scan {
    struct spool *sp;
    size_t removed;
    size_t junk;
    uint64_t bytes;
    uint64_t marker_max;
    bool oom;
};

static bool
clean_one(void *ctx, const char *name)
{
    struct scan *s = ctx;

    if (unlinkat(s->sp->tmp_fd, name, 0) == 0)
        s->removed++;
    else
        log_warn("spool: %s/tmp/%s: cannot remove", s->sp->dir, name);
    return true;
}

static bool
scan_ready_one(void *ctx, const char *name)
{
    struct scan *s = ctx;
    struct spool *sp = s->sp;
    struct ready_index *ix = &sp->idx;
    struct ready_ent e;
    struct stat st;

    memset(&e, 0, sizeof(e));
    if (fstatat(sp->ready_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return true;                /* gone meanwhile */
    if (!batchfile_name_parse(name, &e.first_seq, &e.last_seq,
                              &e.created_ns) || !S_ISREG(st.st_mode)) {
        s->junk++;
        spool_quarantine(sp, name, "not a batch file name or not a "
                         "regular file");
        return true;
    }
    e.file_bytes = (uint64_t)st.st_size;
    if (ix->len == ix->cap) {
        size_t ncap = ix->cap != 0 ? ix->cap * 2 : 256;
        struct ready_ent *v = realloc(ix->v, ncap * sizeof(*v));

        if (v == NULL) {
            s->oom = true;
            return false;
        }
        ix->v = v;
        ix->cap = ncap;
    }
    ix->v[ix->len++] = e;
    s->bytes += e.file_bytes;
    if (e.last_seq > atomic_load(&sp->seq_high))
        atomic_store(&sp->seq_high, e.last_seq);
    return true;
}

/* bad/ and dead/: sizes for their bounds, names for the sequence. */
struct scan_other {
    int dirfd;
    uint64_t bytes;
    uint64_t seq_high;
};

static bool
scan_other_one(void *ctx, const char *name)
{
    struct scan_other *o = ctx;
    struct stat st;
    uint64_t f, l;
    int64_t c;

    if (fstatat(o->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
        o->bytes += (uint64_t)st.st_size;
    if (batchfile_name_parse(name, &f, &l, &c) && l > o->seq_high)
        o->seq_high = l;
    return true;
}

static bool
scan_marker_one(void *ctx, const char *name)
{
    struct scan *s = ctx;
    size_t plen = strlen(MARKER_PREFIX);
    uint64_t v = 0;
    char *end;

    if (strncmp(name, MARKER_PREFIX, plen) != 0 ||
        strlen(name) != plen + 16)
        return true;
    errno = 0;
    v = strtoull(name + plen, &end, 16);
    if (errno != 0 || *end != '\0')
        return true;
    if (v > s->marker_max) {
        if (s->marker_max != 0 && !s->sp->cfg.inspect) {
            char old[32];

            snprintf(old, sizeof(old), MARKER_PREFIX "%016" PRIx64,
                     s->marker_max);
            (void)unlinkat(s->sp->dirfd, old, 0);   /* stale; harmless */
        }
        s->marker_max = v;
    } else if (!s->sp->cfg.inspect) {
        (void)unlinkat(s->sp->dirfd, name, 0);      /* stale; harmless */
    }
    return true;
}

static enum estel_rc
scan(struct spool *sp, struct estel_err *err)
{
    struct scan s;
    struct scan_other bad = { sp->bad_fd, 0, 0 };
    struct scan_other dead = { sp->dead_fd, 0, 0 };
    enum estel_rc rc;
    uint64_t high;

    memset(&s, 0, sizeof(s));
    s.sp = sp;
    if (!sp->cfg.inspect &&
        (rc = spool_list_dir(sp->tmp_fd, "tmp/", clean_one, &s, err)) !=
        ESTEL_OK)
        return rc;
    if (s.removed != 0)
        log_info("spool: removed %zu unfinished batch file(s) from %s/tmp",
                 s.removed, sp->dir);
    if ((rc = spool_list_dir(sp->ready_fd, "ready/", scan_ready_one, &s,
                             err)) != ESTEL_OK)
        return rc;
    if (s.oom)
        return estel_fail(err, ESTEL_E_NOMEM, "spool: out of memory listing "
                          "%s/ready", sp->dir);
    if (sp->idx.len > 1)
        qsort(sp->idx.v, sp->idx.len, sizeof(sp->idx.v[0]),
              spool_ent_cmp);
    atomic_store(&sp->stats.ready_bytes, s.bytes);
    atomic_store(&sp->stats.ready_batches, sp->idx.len);
    atomic_store(&sp->stats.oldest_ready_ns, sp->idx.len != 0 ?
                 sp->idx.v[0].created_ns : 0);
    if ((rc = spool_list_dir(sp->bad_fd, "bad/", scan_other_one, &bad,
                             err)) != ESTEL_OK ||
        (rc = spool_list_dir(sp->dead_fd, "dead/", scan_other_one, &dead,
                             err)) != ESTEL_OK ||
        (rc = spool_list_dir(sp->dirfd, "the spool directory",
                             scan_marker_one, &s, err)) != ESTEL_OK)
        return rc;
    atomic_store(&sp->stats.bad_bytes, bad.bytes);
    atomic_store(&sp->stats.dead_bytes, dead.bytes);
    high = atomic_load(&sp->seq_high);
    high = bad.seq_high > high ? bad.seq_high : high;
    high = dead.seq_high > high ? dead.seq_high : high;
    atomic_store(&sp->seq_high, high);
    sp->marker_seq = s.marker_max;
    sp->next_seq = high != 0 ? high + 1 : 1;
    if (s.marker_max > sp->next_seq)
        sp->next_seq = s.marker_max;
    return ESTEL_OK;
}

/* ---- open / close ------------------------------------------------------- */

static enum estel_rc
init(struct spool *sp, const struct spool_config *cfg,
     struct estel_err *err)
{
    sp->dirfd = sp->tmp_fd = sp->ready_fd = sp->bad_fd = sp->dead_fd = -1;
    if (cfg->dir == NULL || cfg->dir[0] == '\0')
        return estel_fail(err, ESTEL_E_CONFIG, "spool: no directory; set "
                          "SpoolDirectory or give --spool DIR");
    sp->cfg = *cfg;
    apply_defaults(&sp->cfg);
    if ((sp->dir = strdup(cfg->dir)) == NULL)
        return estel_fail(err, ESTEL_E_NOMEM, "spool: out of memory");
    /* the directory's own name is used in messages without a slash */
    for (size_t n = strlen(sp->dir); n > 1 && sp->dir[n - 1] == '/'; n--)
        sp->dir[n - 1] = '\0';
    sp->cfg.dir = sp->dir;
    if (cfg->host_id != NULL)
        snprintf(sp->host_id, sizeof(sp->host_id), "%s", cfg->host_id);
    if (cfg->boot_id != NULL)
        snprintf(sp->boot_id, sizeof(sp->boot_id), "%s", cfg->boot_id);
    sp->cfg.host_id = sp->host_id;
    sp->cfg.boot_id = sp->boot_id;
    if (pthread_mutex_init(&sp->mu, NULL) != 0 ||
        pthread_mutex_init(&sp->marker_mu, NULL) != 0 ||
        estel_cond_init(&sp->cv) != 0)
        return estel_fail(err, ESTEL_E_NOMEM, "spool: cannot create a lock");
    sp->mu_ready = true;
    return ESTEL_OK;
}

enum estel_rc
spool_open(struct spool **out, const struct spool_config *cfg,
           struct estel_err *err)
{
    struct spool *sp;
    enum estel_rc rc;

    if ((sp = calloc(1, sizeof(*sp))) == NULL)
        return estel_fail(err, ESTEL_E_NOMEM, "spool: out of memory");
    if ((rc = init(sp, cfg, err)) != ESTEL_OK ||
        (rc = open_root(sp, err)) != ESTEL_OK ||
        (rc = open_sub(sp, "tmp", &sp->tmp_fd, err)) != ESTEL_OK ||
        (rc = open_sub(sp, "ready", &sp->ready_fd, err)) != ESTEL_OK ||
        (rc = open_sub(sp, "bad", &sp->bad_fd, err)) != ESTEL_OK ||
        (rc = open_sub(sp, "dead", &sp->dead_fd, err)) != ESTEL_OK ||
        (rc = scan(sp, err)) != ESTEL_OK)
        goto fail;
    *out = sp;
    return ESTEL_OK;
fail:
    spool_close(&sp);
    return rc;
}

void
spool_close(struct spool **spp)
{
    struct spool *sp;
    int *fds[5];

    if (spp == NULL || (sp = *spp) == NULL)
        return;
    fds[0] = &sp->tmp_fd;
    fds[1] = &sp->ready_fd;
    fds[2] = &sp->bad_fd;
    fds[3] = &sp->dead_fd;
    fds[4] = &sp->dirfd;            /* last: closing it drops the lock */
    for (size_t i = 0; i < 5; i++)
        if (*fds[i] >= 0)
            close(*fds[i]);
    if (sp->mu_ready) {
        pthread_mutex_destroy(&sp->mu);
        pthread_mutex_destroy(&sp->marker_mu);
        pthread_cond_destroy(&sp->cv);
    }
    free(sp->idx.v);
    free(sp->dir);
    free(sp);
    *spp = NULL;
}
