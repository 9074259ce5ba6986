/*
 * out.c - the NDJSON files a shipper (Filebeat, Vector, Fluent Bit) reads.
 *
 * File naming and life cycle (docs/schema.md, "Output files"):
 *
 *   estel-20260101T000000Z-000042.ndjson.part   being appended (one)
 *        | fsync, rename when it reaches IngestRotateBytes or
 *        v IngestRotateSeconds, then fsync the directory
 *   estel-20260101T000000Z-000042.ndjson        complete, never written
 *
 * Only whole lines are ever appended, and only after the whole batch was
 * decoded and mapped; a failed write is cut back with ftruncate to the
 * size before it, so the file never holds half a batch.  A tailer may
 * follow the .part file (Filebeat/Vector/Fluent Bit track it by inode
 * across the rename); a batch tool takes only *.ndjson.  At start,
 * leftover .part files (a crash) are cut at their last newline and
 * renamed: they hold only acknowledged or soon-retried batches.
 * One thread (the committer) owns this object.
 */
#include "ingest/ingest_int.h"
#include "common/log.h"
#include "common/platform.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define OUT_PREFIX "estel-"
#define OUT_SUFFIX ".ndjson"
#define OUT_PART ".part"
#define OUT_NAME_MAX 80

struct ingest_out {
    int dirfd;                      /* borrowed */
    int fd;                         /* the .part file; -1: none yet */
    char name[OUT_NAME_MAX];        /* its name without ".part" */
    uint64_t size;                  /* bytes appended */
    uint64_t durable;               /* bytes known to be on disk */
    int64_t opened_mono_ns;
    uint64_t serial;                /* number of the next file */
    uint64_t rotate_bytes;
    uint32_t rotate_s;
    bool full_fsync;
    bool dir_dirty;                 /* a new entry not yet fsynced */
    bool broken;                    /* a cut failed: never append again */
    uint64_t files_closed;
};

/* The serial of "estel-<stamp>-<serial>.ndjson[.part]", or false. */
static bool
name_serial(const char *name, uint64_t *serial, bool *part)
{
    size_t n = strlen(name), sl = strlen(OUT_SUFFIX), pl = strlen(OUT_PART);
    const char *dash;
    char *end;

    if (strncmp(name, OUT_PREFIX, strlen(OUT_PREFIX)) != 0)
        return false;
    *part = n > pl && strcmp(name + n - pl, OUT_PART) == 0;
    if (*part)
        n -= pl;
    if (n <= sl || strncmp(name + n - sl, OUT_SUFFIX, sl) != 0)
        return false;
    if ((dash = strrchr(name, '-')) == NULL || dash[1] < '0' ||
        dash[1] > '9')
        return false;
    errno = 0;
    *serial = strtoull(dash + 1, &end, 10);
    return errno == 0 && end == name + n - sl;
}

/* Cut a leftover .part at its last newline, then close it into .ndjson. */
static enum estel_rc
recover(struct ingest_out *o, const char *part, struct estel_err *err)
{
    char buf[4096], final[OUT_NAME_MAX];
    struct stat st;
    off_t end;
    int fd;
    size_t n = strlen(part) - strlen(OUT_PART);

    if ((fd = openat(o->dirfd, part, O_RDWR | O_NOFOLLOW | O_CLOEXEC)) < 0)
        return estel_fail_errno(err, ESTEL_E_IO, "ingest: open %s", part);
    if (fstat(fd, &st) != 0) {
        close(fd);
        return estel_fail_errno(err, ESTEL_E_IO, "ingest: stat %s", part);
    }
    /* find the last '\n' scanning back in blocks */
    end = st.st_size;
    while (end > 0) {
        off_t from = end > (off_t)sizeof(buf) ? end - (off_t)sizeof(buf) : 0;
        ssize_t got = pread(fd, buf, (size_t)(end - from), from);
        ssize_t i;

        if (got <= 0)
            break;
        for (i = got; i > 0 && buf[i - 1] != '\n'; i--)
            ;
        if (i > 0) {
            end = from + i;
            break;
        }
        end = from;
    }
    if ((end != st.st_size && ftruncate(fd, end) != 0) ||
        estel_fsync_file(fd, o->full_fsync) != 0) {
        close(fd);
        return estel_fail_errno(err, ESTEL_E_IO, "ingest: cannot cut %s "
                                "at its last complete line", part);
    }
    close(fd);
    if (end != st.st_size)
        log_warnx("ingest: %s: dropped %jd bytes of an unfinished line "
                  "(a crash mid-write; that batch was not acknowledged)",
                  part, (intmax_t)(st.st_size - end));
    memcpy(final, part, n);
    final[n] = '\0';
    if (end == 0 ? unlinkat(o->dirfd, part, 0) != 0 :
        renameat(o->dirfd, part, o->dirfd, final) != 0)
        return estel_fail_errno(err, ESTEL_E_IO, "ingest: cannot close "
                                "leftover %s", part);
    if (end != 0)
        o->files_closed++;
    return ESTEL_OK;
}

static enum estel_rc
scan(struct ingest_out *o, struct estel_err *err)
{
    char parts[16][OUT_NAME_MAX];
    size_t nparts = 0;
    enum estel_rc rc = ESTEL_OK;
    struct dirent *de;
    int fd;
    DIR *d;

    /* fdopendir takes the fd: give it a duplicate */
    if ((fd = dup(o->dirfd)) < 0 || (d = fdopendir(fd)) == NULL) {
        if (fd >= 0)
            close(fd);
        return estel_fail_errno(err, ESTEL_E_IO, "ingest: cannot list the "
                                "output directory");
    }
    while ((de = readdir(d)) != NULL) {
        uint64_t serial;
        bool part;

        if (!name_serial(de->d_name, &serial, &part))
            continue;
        if (serial >= o->serial)
            o->serial = serial + 1;
        if (part && nparts < sizeof(parts) / sizeof(parts[0]) &&
            strlen(de->d_name) < OUT_NAME_MAX)
            memcpy(parts[nparts++], de->d_name, strlen(de->d_name) + 1);
    }
    closedir(d);
    for (size_t i = 0; i < nparts && rc == ESTEL_OK; i++)
        rc = recover(o, parts[i], err);
    if (rc == ESTEL_OK && nparts > 0 && estel_fsync_dir(o->dirfd) != 0)
        rc = estel_fail_errno(err, ESTEL_E_IO, "ingest: fsync of the "
                              "output directory");
    return rc;
}

enum estel_rc
ingest_out_open(struct ingest_out **out, int dirfd, uint64_t rotate_bytes,
                uint32_t rotate_s, bool full_fsync, struct estel_err *err)
{
    struct ingest_out *o;
    enum estel_rc rc;

    if ((o = calloc(1, sizeof(*o))) == NULL)
        return estel_fail(err, ESTEL_E_NOMEM, "ingest: out of memory");
    o->dirfd = dirfd;
    o->fd = -1;
    o->serial = 1;
    o->rotate_bytes = rotate_bytes;
    o->rotate_s = rotate_s;
    o->full_fsync = full_fsync;
    if ((rc = scan(o, err)) != ESTEL_OK) {
        free(o);
        return rc;
    }
    *out = o;
    return ESTEL_OK;
}

static enum estel_rc
create(struct ingest_out *o, struct estel_err *err)
{
    char part[OUT_NAME_MAX + 8];
    struct tm tm;
    time_t now = time(NULL);
    int n;

    gmtime_r(&now, &tm);
    /* never reuse a name: a closed file of that name would be replaced
     * by the rename at the next rotation */
    for (int tries = 0; tries < 1000; tries++, o->serial++) {
        n = snprintf(o->name, sizeof(o->name), OUT_PREFIX
                     "%04d%02d%02dT%02d%02d%02dZ-%06" PRIu64 OUT_SUFFIX,
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, o->serial);
        if (n < 0 || (size_t)n >= sizeof(o->name))
            return estel_fail(err, ESTEL_E_IO, "ingest: output file name "
                              "too long");
        if (faccessat(o->dirfd, o->name, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
            continue;
        snprintf(part, sizeof(part), "%s" OUT_PART, o->name);
        o->fd = openat(o->dirfd, part, O_WRONLY | O_CREAT | O_EXCL |
                       O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0640);
        if (o->fd >= 0 || errno != EEXIST)
            break;
    }
    if (o->fd < 0)
        return estel_fail_errno(err, estel_rc_from_errno(errno), "ingest: "
                                "cannot create %s" OUT_PART, o->name);
    o->serial++;
    o->size = o->durable = 0;
    o->opened_mono_ns = estel_now_mono_ns();
    o->dir_dirty = true;
    o->broken = false;
    return ESTEL_OK;
}

/* Cut the file back to size; on failure nothing may follow in it. */
static void
cut(struct ingest_out *o, uint64_t size)
{
    if (ftruncate(o->fd, (off_t)size) == 0) {
        o->size = size;
        return;
    }
    log_warn("ingest: cannot cut %s" OUT_PART " back to %" PRIu64 " bytes; "
             "closing it", o->name, size);
    o->broken = true;
}

enum estel_rc
ingest_out_append(struct ingest_out *o, const char *lines, size_t len,
                  struct estel_err *err)
{
    uint64_t before;
    size_t done = 0;
    enum estel_rc rc;

    if (o->fd >= 0 && o->broken &&
        (rc = ingest_out_rotate(o, true, err)) != ESTEL_OK)
        return rc;
    if (o->fd < 0 && (rc = create(o, err)) != ESTEL_OK)
        return rc;
    before = o->size;
    while (done < len) {
        ssize_t n = write(o->fd, lines + done, len - done);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = n < 0 ? errno : ENOSPC;

            cut(o, before);
            errno = e;
            return estel_fail_errno(err, estel_rc_from_errno(e), "ingest: "
                                    "write %s" OUT_PART, o->name);
        }
        done += (size_t)n;
        o->size += (uint64_t)n;
    }
    return ESTEL_OK;
}

enum estel_rc
ingest_out_sync(struct ingest_out *o, struct estel_err *err)
{
    if (o->fd < 0 || (o->durable == o->size && !o->dir_dirty))
        return ESTEL_OK;
    if (estel_fsync_file(o->fd, o->full_fsync) != 0) {
        int e = errno;

        /* after a failed fsync the page cache cannot be trusted: cut
         * back and never append to this file again */
        cut(o, o->durable);
        o->broken = true;
        errno = e;
        return estel_fail_errno(err, estel_rc_from_errno(e), "ingest: "
                                "fsync %s" OUT_PART, o->name);
    }
    /* a new file's directory entry must be durable too, or a power cut
     * loses the whole file with every batch acknowledged in it */
    if (o->dir_dirty) {
        if (estel_fsync_dir(o->dirfd) != 0)
            return estel_fail_errno(err, ESTEL_E_IO, "ingest: fsync of the "
                                    "output directory");
        o->dir_dirty = false;
    }
    o->durable = o->size;
    return ESTEL_OK;
}

enum estel_rc
ingest_out_rotate(struct ingest_out *o, bool force, struct estel_err *err)
{
    char part[OUT_NAME_MAX + 8];
    bool due;
    enum estel_rc rc;

    if (o->fd < 0)
        return ESTEL_OK;
    due = force || o->broken || o->size >= o->rotate_bytes ||
          (o->rotate_s > 0 && estel_now_mono_ns() - o->opened_mono_ns >=
           (int64_t)o->rotate_s * 1000000000);
    if (!due)
        return ESTEL_OK;
    if (!o->broken && (rc = ingest_out_sync(o, err)) != ESTEL_OK)
        return rc;
    close(o->fd);
    o->fd = -1;
    snprintf(part, sizeof(part), "%s" OUT_PART, o->name);
    if (o->size == 0) {
        if (unlinkat(o->dirfd, part, 0) != 0)
            return estel_fail_errno(err, ESTEL_E_IO, "ingest: unlink %s",
                                    part);
    } else if (renameat(o->dirfd, part, o->dirfd, o->name) != 0) {
        return estel_fail_errno(err, ESTEL_E_IO, "ingest: rename %s to %s",
                                part, o->name);
    } else {
        o->files_closed++;
    }
    /* the rename is what tells a batch consumer the file is complete */
    if (estel_fsync_dir(o->dirfd) != 0)
        return estel_fail_errno(err, ESTEL_E_IO, "ingest: fsync of the "
                                "output directory");
    return ESTEL_OK;
}

uint64_t
ingest_out_size(const struct ingest_out *o)
{
    return o->fd >= 0 ? o->size : 0;
}

const char *
ingest_out_name(const struct ingest_out *o)
{
    return o->fd >= 0 ? o->name : NULL;
}

uint64_t
ingest_out_files_closed(const struct ingest_out *o)
{
    return o->files_closed;
}

void
ingest_out_close(struct ingest_out **op)
{
    struct ingest_out *o;
    struct estel_err err = { 0 };

    if (op == NULL || (o = *op) == NULL)
        return;
    if (ingest_out_rotate(o, true, &err) != ESTEL_OK)
        log_warnx("%s", err.msg);
    if (o->fd >= 0)
        close(o->fd);
    free(o);
    *op = NULL;
}
