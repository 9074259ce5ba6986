/*
 * run_marker.c - did the last agent on this spool stop cleanly?
 *
 * A writer (`estel run`) keeps the file "run" in the spool directory while
 * it runs: its pid, its start time, and how many unclean stops before it
 * are not yet reported in the stream.  An orderly stop removes the file
 * after the last batch is sealed, so finding it at start means the last
 * agent died (kill -9, crash, power loss) with records in memory: the
 * open batch and the ring.  Their count is not known (they never reached
 * the disk), so the next run says so in the stream with a "gap" record,
 * reason "crash" (cli/runtime.c), instead of letting the loss pass
 * silently.
 *
 * A crash may also strike before the report itself is sealed.  So the
 * marker names the report's sequence number too (it is the first record
 * of the run: the spool's next number), and the next start, seeing that
 * number not yet on disk, carries the count over: no crash goes
 * unreported, and none is reported twice.  The file is replaced atomically
 * (write run.tmp, fsync, rename, fsync the directory) and opened with
 * O_NOFOLLOW like everything else under the spool.
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
#include <unistd.h>

#define RUN_FILE "run"
#define RUN_TMP "run.tmp"
#define RUN_MAX 256                     /* the file is four short lines */

struct run_marker {
    long long pid, started_ns, crashes, report_seq;
};

/* "KEY=N" with N a whole decimal number that fits; sscanf's overflow is
 * undefined, hence strtoll. */
static bool
field(const char *line, const char *key, long long *v)
{
    size_t n = strlen(key);
    char *end;

    if (strncmp(line, key, n) != 0 || line[n] != '=')
        return false;
    errno = 0;
    *v = strtoll(line + n + 1, &end, 10);
    return errno == 0 && end != line + n + 1 && *end == '\0';
}

/* "pid=N\nstarted=N\ncrashes=N\nreport=N\n"; unknown lines are ignored. */
static void
parse_marker(char *text, struct run_marker *m)
{
    char *line, *save = NULL;
    long long v;

    for (line = strtok_r(text, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        if (field(line, "pid", &v) && v > 0)
            m->pid = v;
        else if (field(line, "started", &v) && v > 0)
            m->started_ns = v;
        else if (field(line, "crashes", &v) && v >= 0 && v < 1000000)
            m->crashes = v;
        else if (field(line, "report", &v) && v > 0)
            m->report_seq = v;
    }
}

/* Read the marker the last run left; false when there is none. */
static bool
read_marker(struct spool *sp, struct run_marker *m)
{
    char text[RUN_MAX + 1];
    ssize_t n;
    int fd;

    memset(m, 0, sizeof(*m));
    fd = openat(sp->dirfd, RUN_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
                O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT)
            return false;
        /* a symlink (ELOOP) or worse: still an unclean stop */
        log_warn("spool: %s/" RUN_FILE ": cannot read the last run's "
                 "marker; counting it as one unclean stop", sp->dir);
        (void)unlinkat(sp->dirfd, RUN_FILE, 0);
        return true;
    }
    n = read(fd, text, RUN_MAX);
    close(fd);
    if (n < 0)
        n = 0;
    text[n] = '\0';
    parse_marker(text, m);
    return true;
}

/* Replace the marker with ours; false on failure. */
static bool
write_marker_file(struct spool *sp, const struct run_marker *m)
{
    char text[RUN_MAX];
    int fd, len;
    bool ok;

    len = snprintf(text, sizeof(text), "pid=%lld\nstarted=%lld\n"
                   "crashes=%lld\nreport=%lld\n", m->pid, m->started_ns,
                   m->crashes, m->report_seq);
    fd = openat(sp->dirfd, RUN_TMP, O_WRONLY | O_CREAT | O_TRUNC |
                O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return false;
    ok = write(fd, text, (size_t)len) == len &&
         estel_fsync_file(fd, sp->cfg.full_fsync) == 0;
    close(fd);
    return ok && renameat(sp->dirfd, RUN_TMP, sp->dirfd, RUN_FILE) == 0 &&
           estel_fsync_dir(sp->dirfd) == 0;
}

enum estel_rc
spool_begin_run(struct spool *sp, int64_t started_ns,
                struct spool_prev_run *prev, struct estel_err *err)
{
    struct run_marker last, ours;

    memset(prev, 0, sizeof(*prev));
    if (sp->cfg.inspect)
        return estel_fail(err, ESTEL_E_USAGE, "spool: %s is open read only",
                          sp->dir);
    if (read_marker(sp, &last)) {
        /* the last run died; so did its own report if it is not on disk */
        prev->crashes = 1;
        if (last.report_seq != 0 && (uint64_t)last.report_seq >= sp->next_seq)
            prev->crashes += (uint64_t)last.crashes;
        prev->pid = last.pid;
        prev->started_ns = last.started_ns;
        pthread_mutex_lock(&sp->mu);
        if (sp->idx.len != 0)
            prev->last_sealed_ns =
                sp->idx.v[sp->idx.head + sp->idx.len - 1].created_ns;
        pthread_mutex_unlock(&sp->mu);
        prev->report_seq = sp->next_seq;
    }
    ours.pid = (long long)getpid();
    ours.started_ns = started_ns;
    ours.crashes = (long long)prev->crashes;
    ours.report_seq = (long long)prev->report_seq;
    pthread_mutex_lock(&sp->marker_mu);
    sp->run_marker = write_marker_file(sp, &ours);
    pthread_mutex_unlock(&sp->marker_mu);
    /* not fatal: collecting matters more than reporting a later crash */
    if (!sp->run_marker)
        log_warn("spool: cannot write %s/" RUN_FILE "; if this run does "
                 "not stop cleanly, the next one will not report it",
                 sp->dir);
    return ESTEL_OK;
}

void
spool_end_run(struct spool *sp)
{
    pthread_mutex_lock(&sp->marker_mu);
    if (sp->run_marker) {
        if (unlinkat(sp->dirfd, RUN_FILE, 0) != 0 && errno != ENOENT)
            log_warn("spool: %s/" RUN_FILE ": cannot remove the run "
                     "marker; the next start will report a crash", sp->dir);
        else
            (void)estel_fsync_dir(sp->dirfd);
        sp->run_marker = false;
    }
    pthread_mutex_unlock(&sp->marker_mu);
}
