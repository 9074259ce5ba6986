/*
 * spool_read.c - the reader side: the uploader (oldest, read, remove,
 * move to dead/) and the tools (foreach, decompress).
 *
 * A reader never trusts a file: the header is checked before anything
 * else is read, sizes are checked against the file's real size, and the
 * frame is verified (hash, zstd checksum, records hash) before a byte goes
 * on the wire.  A file that fails is quarantined in bad/ and the reader
 * moves on to the next one: one bad file never wedges the pipeline.
 * A file that vanished under us was evicted or removed: that is normal
 * (ESTEL_E_EOF), not an error.
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
#include <sys/stat.h>
#include <unistd.h>

static void
fill_info(struct spool_batch_info *info, const char *name,
          const struct batchfile_hdr *h, uint64_t file_bytes)
{
    char copy[SPOOL_NAME_MAX];

    /* callers pass info->name as name: copy before clearing */
    snprintf(copy, sizeof(copy), "%s", name);
    memset(info, 0, sizeof(*info));
    memcpy(info->name, copy, sizeof(info->name));
    info->file_bytes = file_bytes;
    if (h == NULL)
        return;
    snprintf(info->host_id, sizeof(info->host_id), "%s", h->host_id);
    snprintf(info->boot_id, sizeof(info->boot_id), "%s", h->boot_id);
    info->first_seq = h->first_seq;
    info->last_seq = h->last_seq;
    info->record_count = h->record_count;
    info->raw_bytes = h->raw_bytes;
    info->created_ns = h->created_ns;
    info->checksum = h->records_xxh3;
}

/* A name from a caller must name a file inside ready/, nothing else. */
static enum estel_rc
check_name(const struct spool *sp, const char *name, struct estel_err *err)
{
    size_t n = name != NULL ? strnlen(name, SPOOL_NAME_MAX) : 0;

    if (n == 0 || n == SPOOL_NAME_MAX || strchr(name, '/') != NULL ||
        strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return estel_fail(err, ESTEL_E_USAGE, "spool: %s: \"%.*s\" is not "
                          "a batch file name", sp->dir, (int)n,
                          name != NULL ? name : "");
    return ESTEL_OK;
}

/* ESTEL_E_EOF if the file is gone; ESTEL_E_CORRUPT if it is no file. */
static enum estel_rc
open_batch(struct spool *sp, const char *name, int *fd, uint64_t *size,
           struct estel_err *err)
{
    struct stat st;

    if (sp->ready_fd < 0)
        return estel_fail(err, ESTEL_E_EOF, "%s: no ready/ directory", name);
    /* O_NONBLOCK: a FIFO planted in ready/ must not hang the uploader */
    *fd = openat(sp->ready_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
                 O_NONBLOCK);
    if (*fd < 0) {
        if (errno == ENOENT)
            return estel_fail(err, ESTEL_E_EOF, "%s: gone (uploaded or "
                              "evicted)", name);
        if (errno == ELOOP)
            return estel_fail(err, ESTEL_E_CORRUPT, "a symbolic link");
        return estel_fail_errno(err, ESTEL_E_IO, "%s/ready/%s: open",
                                sp->dir, name);
    }
    if (fstat(*fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(*fd);
        *fd = -1;
        return estel_fail(err, ESTEL_E_CORRUPT, "not a regular file");
    }
    *size = (uint64_t)st.st_size;
    return ESTEL_OK;
}

static enum estel_rc
read_all(int fd, void *buf, size_t len, off_t off, struct estel_err *err)
{
    size_t done = 0;

    while (done < len) {
        ssize_t n = pread(fd, (char *)buf + done, len - done,
                          off + (off_t)done);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return estel_fail_errno(err, ESTEL_E_IO, "read");
        if (n == 0)
            return estel_fail(err, ESTEL_E_CORRUPT, "file shrank while "
                              "being read");
        done += (size_t)n;
    }
    return ESTEL_OK;
}

/* Header checks that need the file: its name and its size. */
static enum estel_rc
read_header(int fd, uint64_t size, const char *name,
            struct batchfile_hdr *h, struct estel_err *err)
{
    uint8_t hdr[BATCHFILE_HEADER_BYTES];
    size_t want = size < sizeof(hdr) ? (size_t)size : sizeof(hdr);
    enum estel_rc rc;
    uint64_t f, l;
    int64_t c;

    if (size == 0)
        return estel_fail(err, ESTEL_E_CORRUPT, "empty file");
    if ((rc = read_all(fd, hdr, want, 0, err)) != ESTEL_OK)
        return rc;
    if ((rc = batchfile_header_parse(hdr, want, h, err)) != ESTEL_OK)
        return rc;
    if (size != BATCHFILE_HEADER_BYTES + h->frame_bytes)
        return estel_fail(err, ESTEL_E_CORRUPT, "file is %" PRIu64 " bytes, "
                          "the header says %" PRIu64 " (truncated payload?)",
                          size, BATCHFILE_HEADER_BYTES + h->frame_bytes);
    if (batchfile_name_parse(name, &f, &l, &c) &&
        (f != h->first_seq || l != h->last_seq || c != h->created_ns))
        return estel_fail(err, ESTEL_E_CORRUPT, "file name does not match "
                          "its header (sequence %" PRIu64 "-%" PRIu64 ")",
                          h->first_seq, h->last_seq);
    return ESTEL_OK;
}

static bool
is_damage(enum estel_rc rc)
{
    return rc == ESTEL_E_CORRUPT || rc == ESTEL_E_UNSUPPORTED;
}

/*
 * Find name in the index and note its header's counts (h) or lend
 * it out (claim: eviction skips it for SPOOL_CLAIM_NS, so a batch on the
 * wire is not also reported lost).  False if it is not in the index: the
 * evictor or another reader owns it now.
 */
static bool
touch_entry(struct spool *sp, const char *name,
            const struct batchfile_hdr *h, bool claim)
{
    struct ready_ent key;
    struct ready_index *ix = &sp->idx;
    bool found = false;

    memset(&key, 0, sizeof(key));
    if (!batchfile_name_parse(name, &key.first_seq, &key.last_seq,
                              &key.created_ns))
        return false;
    pthread_mutex_lock(&sp->mu);
    for (size_t i = 0; i < ix->len; i++) {
        struct ready_ent *e = &ix->v[ix->head + i];
        int c = spool_ent_cmp(e, &key);

        if (c > 0)
            break;
        if (c == 0) {
            if (h != NULL) {
                e->records = h->record_count;
                e->lost_first_seq = h->lost_first_seq;
                e->lost_last_seq = h->lost_last_seq;
                e->lost_records = h->lost_records;
            }
            if (claim)
                e->claimed_ns = estel_now_mono_ns();
            found = true;
            break;
        }
    }
    pthread_mutex_unlock(&sp->mu);
    return found;
}

enum estel_rc
spool_oldest(struct spool *sp, struct spool_batch_info *info,
             struct estel_err *err)
{
    char name[SPOOL_NAME_MAX];
    struct batchfile_hdr h;
    struct ready_ent e;
    struct estel_err why;
    enum estel_rc rc;
    uint64_t size = 0;
    int fd = -1;

    for (;;) {
        pthread_mutex_lock(&sp->mu);
        if (sp->idx.len == 0) {
            pthread_mutex_unlock(&sp->mu);
            return estel_fail(err, ESTEL_E_EOF, "spool: nothing ready");
        }
        e = sp->idx.v[sp->idx.head];
        pthread_mutex_unlock(&sp->mu);
        spool_entry_name(&e, name, sizeof(name));
        estel_err_clear(&why);
        rc = open_batch(sp, name, &fd, &size, &why);
        if (rc == ESTEL_OK) {
            rc = read_header(fd, size, name, &h, &why);
            close(fd);
        }
        if (rc == ESTEL_OK) {
            (void)touch_entry(sp, name, &h, false);
            fill_info(info, name, &h, size);
            return ESTEL_OK;
        }
        if (rc == ESTEL_E_EOF) {        /* evicted or removed meanwhile */
            (void)spool_index_take(sp, name, &e);
            continue;
        }
        if (!is_damage(rc) || sp->cfg.inspect)
            return estel_fail(err, rc, "%s/ready/%s: %s", sp->dir, name,
                              why.msg);
        spool_quarantine(sp, name, why.msg);
        (void)spool_index_take(sp, name, &e);   /* even if rename failed */
    }
}

enum estel_rc
spool_read(struct spool *sp, const char *name, struct estel_buf *frame,
           struct spool_batch_info *info, struct estel_err *err)
{
    struct batchfile_hdr h;
    struct estel_err why;
    enum estel_rc rc;
    uint64_t size = 0;
    int fd = -1;

    if ((rc = check_name(sp, name, err)) != ESTEL_OK)
        return rc;
    estel_err_clear(&why);
    buf_clear(frame);
    /* claim before reading: from here on the evictor leaves it alone */
    if (!sp->cfg.inspect && !touch_entry(sp, name, NULL, true))
        return estel_fail(err, ESTEL_E_EOF, "%s/ready/%s: gone (uploaded "
                          "or evicted)", sp->dir, name);
    if ((rc = open_batch(sp, name, &fd, &size, &why)) != ESTEL_OK)
        goto out;
    rc = read_header(fd, size, name, &h, &why);
    if (rc == ESTEL_OK && buf_reserve(frame, (size_t)h.frame_bytes) !=
        ESTEL_OK) {
        close(fd);
        return estel_fail(err, ESTEL_E_REJECTED, "%s/ready/%s: a %" PRIu64
                          "-byte frame does not fit the %zu-byte buffer",
                          sp->dir, name, h.frame_bytes, frame->max);
    }
    if (rc == ESTEL_OK)
        rc = read_all(fd, frame->data, (size_t)h.frame_bytes,
                      BATCHFILE_HEADER_BYTES, &why);
    close(fd);
    if (rc == ESTEL_OK) {
        frame->len = (size_t)h.frame_bytes;
        /* The frame hash covers every byte that goes on the wire, so it
         * is enough to catch disk damage here; decompressing each batch
         * again only to re-hash the records cost the uploader 70 % of its
         * CPU (bench/upload).  The receiver decompresses anyway and checks
         * zstd's checksum and X-Estel-Checksum; `estel spool verify` does
         * the full check. */
        rc = batchfile_check_frame_hash((const uint8_t *)frame->data,
                                        frame->len, &h, &why);
    }
out:
    if (rc == ESTEL_OK) {
        (void)touch_entry(sp, name, &h, false);   /* cache */
        fill_info(info, name, &h, size);
        return ESTEL_OK;
    }
    buf_clear(frame);
    if (is_damage(rc) && !sp->cfg.inspect) {
        spool_quarantine(sp, name, why.msg);
        return estel_fail(err, ESTEL_E_CORRUPT, "%s/ready/%s: %s; moved to "
                          "bad/", sp->dir, name, why.msg);
    }
    return estel_fail(err, is_damage(rc) ? ESTEL_E_CORRUPT : rc,
                      "%s/ready/%s: %s", sp->dir, name, why.msg);
}

static enum estel_rc
refuse_inspect(const struct spool *sp, struct estel_err *err)
{
    return estel_fail(err, ESTEL_E_USAGE, "spool: %s is open read-only "
                      "(inspect mode)", sp->dir);
}

enum estel_rc
spool_remove(struct spool *sp, const char *name, struct estel_err *err)
{
    struct ready_ent e;
    uint64_t f, l;
    int64_t c;

    if (sp->cfg.inspect)
        return refuse_inspect(sp, err);
    if (check_name(sp, name, err) != ESTEL_OK)
        return ESTEL_E_USAGE;
    if (spool_index_take(sp, name, &e))
        spool_forget_seq(sp, e.last_seq);
    else if (batchfile_name_parse(name, &f, &l, &c))
        spool_forget_seq(sp, l);
    if (unlinkat(sp->ready_fd, name, 0) != 0 && errno != ENOENT)
        return estel_fail_errno(err, ESTEL_E_IO, "spool: cannot delete "
                                "%s/ready/%s", sp->dir, name);
    /* No directory fsync: a power cut can at worst resurrect a batch the
     * server already has, which it answers with 409 (idempotency key), and
     * the fsync cost ~1 ms per uploaded batch. */
    return ESTEL_OK;
}

static enum estel_rc
write_reason(struct spool *sp, const char *name, const char *reason,
             uint64_t *bytes, struct estel_err *err)
{
    char rname[SPOOL_NAME_MAX + 16], text[1024];
    int fd, n;
    ssize_t w;

    snprintf(rname, sizeof(rname), "%s.reason", name);
    n = snprintf(text, sizeof(text), "%s\n", reason != NULL ? reason :
                 "rejected by the server");
    if (n < 0 || (size_t)n >= sizeof(text))
        n = (int)sizeof(text) - 1;
    fd = openat(sp->dead_fd, rname, O_WRONLY | O_CREAT | O_TRUNC |
                O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return estel_fail_errno(err, ESTEL_E_IO, "spool: create %s/dead/%s",
                                sp->dir, rname);
    w = write(fd, text, (size_t)n);
    if (w != n || estel_fsync_file(fd, sp->cfg.full_fsync) != 0) {
        estel_fail_errno(err, ESTEL_E_IO, "spool: write %s/dead/%s",
                         sp->dir, rname);
        close(fd);
        return ESTEL_E_IO;
    }
    close(fd);
    *bytes += (uint64_t)n;
    return ESTEL_OK;
}

enum estel_rc
spool_move_dead(struct spool *sp, const char *name, const char *reason,
                struct estel_err *err)
{
    struct ready_ent e;
    struct stat st;
    uint64_t bytes = 0;
    enum estel_rc rc;
    bool indexed;

    if (sp->cfg.inspect)
        return refuse_inspect(sp, err);
    if ((rc = check_name(sp, name, err)) != ESTEL_OK)
        return rc;
    indexed = spool_index_take(sp, name, &e);   /* may be gone already */
    if (fstatat(sp->ready_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
        bytes = (uint64_t)st.st_size;
    if (renameat(sp->ready_fd, name, sp->dead_fd, name) != 0) {
        if (errno == ENOENT)
            return estel_fail(err, ESTEL_E_EOF, "spool: %s/ready/%s: gone",
                              sp->dir, name);
        return estel_fail_errno(err, ESTEL_E_IO, "spool: cannot move "
                                "%s/ready/%s to dead/", sp->dir, name);
    }
    spool_note_lost(sp, name, indexed ? &e : NULL, "rejected");
    rc = write_reason(sp, name, reason, &bytes, err);
    if (estel_fsync_dir(sp->dead_fd) != 0 ||
        estel_fsync_dir(sp->ready_fd) != 0)
        rc = estel_fail_errno(err, ESTEL_E_IO, "spool: fsync %s/dead",
                              sp->dir);
    atomic_fetch_add(&sp->stats.batches_dead, 1);
    atomic_fetch_add(&sp->stats.dead_bytes, bytes);
    spool_trim_dir(sp, sp->dead_fd, "dead", sp->cfg.dead_max_bytes,
                   &sp->stats.dead_bytes);
    return rc;
}

/* One batch for a tool: header, and with verify the whole frame. */
static enum estel_rc
check_one(struct spool *sp, const char *name, bool verify,
          struct estel_buf *scratch, struct spool_batch_info *info,
          struct estel_err *why)
{
    struct batchfile_hdr h;
    enum estel_rc rc;
    uint64_t size = 0;
    int fd = -1;

    fill_info(info, name, NULL, 0);
    if (!batchfile_name_parse(name, &info->first_seq, &info->last_seq,
                              &info->created_ns))
        return estel_fail(why, ESTEL_E_CORRUPT, "not a batch file name");
    if ((rc = open_batch(sp, name, &fd, &size, why)) != ESTEL_OK)
        return rc;
    info->file_bytes = size;
    rc = read_header(fd, size, name, &h, why);
    if (rc == ESTEL_OK)
        fill_info(info, name, &h, size);
    if (rc == ESTEL_OK && verify) {
        buf_clear(scratch);
        if (buf_reserve(scratch, (size_t)h.frame_bytes) != ESTEL_OK)
            rc = estel_fail(why, ESTEL_E_NOMEM, "out of memory");
        else
            rc = read_all(fd, scratch->data, (size_t)h.frame_bytes,
                          BATCHFILE_HEADER_BYTES, why);
        if (rc == ESTEL_OK)
            rc = batchfile_check_frame((const uint8_t *)scratch->data,
                                       (size_t)h.frame_bytes, &h, NULL, why);
    }
    close(fd);
    return rc;
}

/* Visit one name; ESTEL_OK to go on. */
static enum estel_rc
visit_one(struct spool *sp, const char *name, bool verify,
          struct estel_buf *scratch, spool_visit_fn *fn, void *ctx)
{
    struct spool_batch_info info;
    struct estel_err why;
    enum estel_rc check;

    estel_err_clear(&why);
    check = check_one(sp, name, verify, scratch, &info, &why);
    if (check == ESTEL_E_EOF)
        return ESTEL_OK;            /* uploaded or evicted meanwhile */
    return fn(ctx, &info, check, check == ESTEL_OK ? NULL : why.msg);
}

/* The agent's own spool: walk the index in pages (no directory listing:
 * the uploader calls this often, and a deep backlog must stay cheap). */
static enum estel_rc
foreach_index(struct spool *sp, bool verify, struct estel_buf *scratch,
              spool_visit_fn *fn, void *ctx)
{
    struct ready_ent page[64], last;
    char name[SPOOL_NAME_MAX];
    enum estel_rc rc = ESTEL_OK;
    size_t n;
    bool first = true;

    while ((n = spool_index_copy(sp, first ? NULL : &last, page, 64)) != 0) {
        for (size_t i = 0; i < n && rc == ESTEL_OK; i++) {
            spool_entry_name(&page[i], name, sizeof(name));
            rc = visit_one(sp, name, verify, scratch, fn, ctx);
        }
        if (rc != ESTEL_OK)
            break;
        last = page[n - 1];
        first = false;
    }
    return rc;
}

enum estel_rc
spool_foreach(struct spool *sp, bool verify_payload, spool_visit_fn *fn,
              void *ctx, struct estel_err *err)
{
    struct spool_dirlist l;
    struct estel_buf scratch;
    enum estel_rc rc;

    buf_init(&scratch, BATCHFILE_RAW_MAX);
    memset(&l, 0, sizeof(l));
    if (!sp->cfg.inspect) {
        rc = foreach_index(sp, verify_payload, &scratch, fn, ctx);
        goto out;
    }
    /* the tools: list the directory, so they also see what is not a batch */
    if ((rc = spool_dirlist_load(&l, sp->ready_fd, "ready/", err)) !=
        ESTEL_OK)
        goto out;
    for (size_t i = 0; i < l.n && rc == ESTEL_OK; i++)
        rc = visit_one(sp, l.v[i].name, verify_payload, &scratch, fn, ctx);
out:
    spool_dirlist_free(&l);
    buf_free(&scratch);
    return rc;
}

enum estel_rc
spool_verify_file(const void *file, size_t len, struct spool_batch_info *info,
                  struct estel_buf *raw, struct estel_err *err)
{
    struct batchfile_hdr h;
    enum estel_rc rc;

    rc = batchfile_verify(file, len, &h, raw, err);
    fill_info(info, "", rc == ESTEL_OK ? &h : NULL, len);
    return rc;
}

enum estel_rc
spool_decompress(const void *frame, size_t len, uint64_t max_raw,
                 struct estel_buf *raw, struct estel_err *err)
{
    return batchfile_decompress(frame, len, max_raw, raw, err);
}
