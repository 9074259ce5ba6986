/*
 * eslogger_reader.c - eslogger JSON lines from a file or stdin, one line at
 * a time, in a buffer of fixed size: max_line bytes for the longest line
 * kept plus a 64 KiB read window.  A longer line is never buffered whole:
 * its bytes are dropped as they arrive until its newline, and the caller
 * hears its number once.  Reads wait in poll() on the input and on a
 * self-pipe, so stop() from another thread ends a read blocked on an idle
 * `eslogger | estel` pipe.
 */
#include "collector/collector.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define READ_WINDOW (64u << 10)

struct eslogger_reader {
    int fd;
    bool own_fd;                    /* not stdin */
    int wake[2];                    /* self-pipe for interrupt() */
    _Atomic bool interrupted;
    char *buf;
    size_t cap, max_line;
    size_t start, end;              /* unread bytes: buf[start, end) */
    size_t scanned;                 /* buf[start, scanned) has no '\n' */
    bool skipping;                  /* dropping an over-long line */
    bool eof;
    uint64_t lineno;
    const char *name;
};

enum estel_rc
eslogger_reader_open(struct eslogger_reader **out, const char *path,
                     size_t max_line, struct estel_err *err)
{
    struct eslogger_reader *r;
    bool is_stdin = strcmp(path, "-") == 0;

    if ((r = calloc(1, sizeof(*r))) == NULL)
        return estel_fail(err, ESTEL_E_NOMEM, "eslogger: out of memory");
    r->fd = r->wake[0] = r->wake[1] = -1;
    r->max_line = max_line;
    r->cap = max_line + 1 + READ_WINDOW;
    r->name = is_stdin ? "stdin" : path;
    atomic_init(&r->interrupted, false);
    /* zeroed padding past cap: a line ending at cap still has
     * ESLOGGER_PADDING readable bytes after it */
    if ((r->buf = calloc(1, r->cap + ESLOGGER_PADDING)) == NULL) {
        eslogger_reader_close(&r);
        return estel_fail(err, ESTEL_E_NOMEM, "eslogger: out of memory");
    }
    if (pipe(r->wake) != 0 || fcntl(r->wake[1], F_SETFL, O_NONBLOCK) != 0) {
        eslogger_reader_close(&r);
        return estel_fail_errno(err, ESTEL_E_IO, "eslogger: pipe");
    }
    /*
     * O_NONBLOCK: opening a FIFO (`mkfifo p; eslogger ... >p`) would block
     * until a writer comes, on the thread that must answer SIGTERM.  With
     * it the open returns at once and the wait happens in read_more's
     * poll(), which stop() can end.  Regular files ignore the flag.
     */
    r->fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC |
                                           O_NONBLOCK);
    r->own_fd = !is_stdin;
    if (r->fd < 0) {
        eslogger_reader_close(&r);
        return estel_fail_errno(err, ESTEL_E_IO, "eslogger: cannot open "
                                "input %s", path);
    }
    *out = r;
    return ESTEL_OK;
}

void
eslogger_reader_close(struct eslogger_reader **rp)
{
    struct eslogger_reader *r;

    if (rp == NULL || (r = *rp) == NULL)
        return;
    /* read-only descriptors: close cannot lose data */
    if (r->own_fd && r->fd >= 0)
        (void)close(r->fd);
    if (r->wake[0] >= 0)
        (void)close(r->wake[0]);
    if (r->wake[1] >= 0)
        (void)close(r->wake[1]);
    free(r->buf);
    free(r);
    *rp = NULL;
}

void
eslogger_reader_interrupt(struct eslogger_reader *r)
{
    atomic_store(&r->interrupted, true);
    /* a full pipe already holds a wake-up: nothing to report */
    (void)!write(r->wake[1], "x", 1);
}

/* Fill the window: 1 read, 0 at end of input or interrupt, -1 on error. */
static int
fill(struct eslogger_reader *r, struct estel_err *err)
{
    struct pollfd pfd[2] = { { r->fd, POLLIN, 0 }, { r->wake[0], POLLIN, 0 } };
    ssize_t n;

    for (;;) {
        if (atomic_load(&r->interrupted))
            return 0;
        if (poll(pfd, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            estel_fail_errno(err, ESTEL_E_IO, "eslogger: poll %s", r->name);
            return -1;
        }
        if (pfd[1].revents != 0)
            return 0;
        n = read(r->fd, r->buf + r->end, r->cap - r->end);
        if (n > 0) {
            r->end += (size_t)n;
            return 1;
        }
        if (n == 0)
            return 0;
        if (errno != EINTR && errno != EAGAIN) {
            estel_fail_errno(err, ESTEL_E_IO, "eslogger: read %s", r->name);
            return -1;
        }
    }
}

/* No newline in the buffer: drop or compact, then read more. */
static enum estel_rc
refill(struct eslogger_reader *r, struct estel_err *err)
{
    int got;

    if (r->skipping) {
        r->start = r->end = 0;
    } else if (r->end - r->start > r->max_line) {
        r->skipping = true;         /* reported now, dropped as it comes */
        r->lineno++;
        r->start = r->end = r->scanned = 0;
        return ESTEL_E_REJECTED;
    } else if (r->start > 0) {
        memmove(r->buf, r->buf + r->start, r->end - r->start);
        r->end -= r->start;
        r->start = 0;
    }
    r->scanned = r->end;
    if ((got = fill(r, err)) < 0)
        return ESTEL_E_IO;
    if (got == 0)
        r->eof = true;
    return ESTEL_OK;
}

/* The last line of the input has no newline. */
static enum estel_rc
last_line(struct eslogger_reader *r, char **line, size_t *len,
          uint64_t *lineno)
{
    if (r->skipping || r->start == r->end || atomic_load(&r->interrupted))
        return ESTEL_E_EOF;
    *line = r->buf + r->start;
    *len = r->end - r->start;
    *lineno = ++r->lineno;
    r->start = r->end;
    return ESTEL_OK;
}

enum estel_rc
eslogger_reader_next(struct eslogger_reader *r, char **line, size_t *len,
                     uint64_t *lineno, struct estel_err *err)
{
    char *nl;
    enum estel_rc rc;

    for (;;) {
        if (atomic_load(&r->interrupted))
            return ESTEL_E_EOF;
        nl = memchr(r->buf + r->scanned, '\n', r->end - r->scanned);
        if (nl == NULL) {
            if (r->eof)
                return last_line(r, line, len, lineno);
            if ((rc = refill(r, err)) == ESTEL_E_REJECTED)
                *lineno = r->lineno;
            if (rc != ESTEL_OK)
                return rc;
            continue;
        }
        *line = r->buf + r->start;
        *len = (size_t)(nl - *line);
        r->start = r->scanned = (size_t)(nl - r->buf) + 1;
        if (r->skipping) {          /* the end of a line already reported */
            r->skipping = false;
            continue;
        }
        *lineno = ++r->lineno;
        if (*len > r->max_line)
            return ESTEL_E_REJECTED;
        return ESTEL_OK;
    }
}
