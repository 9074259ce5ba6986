/*
 * state.c - self-telemetry: the uploader's fields for the periodic status
 * record, and the state file <spool>/state/status.json that a running
 * agent rewrites every few seconds for `estel status` (and for people and
 * monitoring scripts: it is flat JSON).
 *
 * One table (state_fields) drives both the writer and the reader, so the
 * two cannot drift apart.  The file is replaced by rename: a reader sees
 * the old or the new one, never half.  It is not fsynced: it is rewritten
 * every few seconds, and after a power cut a stale or empty file only
 * makes `estel status` say "not running" until the next write.
 */
#include "transport/transport_int.h"
#include "common/io.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collector/collector.h"

#define STATE_FILE_MAX (64 * 1024)

/* ---- the status record's fields ----------------------------------------- */

static void
put_u(struct ev_field *out, size_t *n, size_t max, const char *key,
      uint64_t v)
{
    if (*n < max)
        out[(*n)++] = (struct ev_field){ .key = key, .kind = EV_UINT,
                                         .v.u = v };
}

static void
put_i(struct ev_field *out, size_t *n, size_t max, const char *key,
      int64_t v)
{
    if (*n < max)
        out[(*n)++] = (struct ev_field){ .key = key, .kind = EV_INT,
                                         .v.i = v };
}

size_t
transport_status_fields(struct transport *t, struct ev_field *out,
                        size_t max)
{
    struct transport_stats *s = &t->stats;
    size_t n = 0;

    put_u(out, &n, max, "batches_sent", atomic_load(&s->batches_sent));
    put_u(out, &n, max, "bytes_sent", atomic_load(&s->bytes_sent));
    put_u(out, &n, max, "records_sent", atomic_load(&s->records_sent));
    put_u(out, &n, max, "batches_duplicate",
          atomic_load(&s->batches_duplicate));
    put_u(out, &n, max, "batches_dead", atomic_load(&s->batches_dead));
    put_u(out, &n, max, "retries_transient",
          atomic_load(&s->retries_transient));
    put_u(out, &n, max, "retries_auth", atomic_load(&s->retries_auth));
    put_u(out, &n, max, "retries_tls", atomic_load(&s->retries_tls));
    put_u(out, &n, max, "consecutive_failures",
          atomic_load(&s->consecutive_failures));
    put_i(out, &n, max, "last_success_ns", atomic_load(&s->last_success_ns));
    put_i(out, &n, max, "client_cert_expiry_ns",
          atomic_load(&s->client_cert_expiry_ns));
    if (n < max)
        out[n++] = (struct ev_field){ .key = "upload_state", .kind = EV_STR,
            .v.s = ev_cstr(transport_class_name(
                (enum transport_class)atomic_load(&s->last_class))) };
    pthread_mutex_lock(&t->mu);
    memcpy(t->status_problem, t->problem, sizeof(t->status_problem));
    pthread_mutex_unlock(&t->mu);
    if (n < max && t->status_problem[0] != '\0')
        out[n++] = (struct ev_field){ .key = "upload_problem",
                                      .kind = EV_STR,
                                      .v.s = ev_cstr(t->status_problem) };
    return n;
}

/* ---- the state file ----------------------------------------------------- */

enum fkind { F_I64, F_U64, F_BOOL, F_STR };

struct fdef {
    const char *name;
    enum fkind kind;
    size_t off;
};

#define FI(name) { #name, F_I64, offsetof(struct transport_state, name) }
#define FU(name) { #name, F_U64, offsetof(struct transport_state, name) }
#define FB(name) { #name, F_BOOL, offsetof(struct transport_state, name) }
#define FS(name) { #name, F_STR, offsetof(struct transport_state, name) }

static const struct fdef state_fields[] = {
    FI(version), FI(pid), FB(running), FI(started_ns), FI(written_ns),
    FB(has_server), FS(server), FU(batches_sent), FU(bytes_sent),
    FU(records_sent), FU(batches_duplicate), FU(batches_dead),
    FU(retries_transient), FU(retries_auth), FU(retries_tls),
    FU(consecutive_failures), FI(last_success_ns), FI(last_attempt_ns),
    FI(client_cert_expiry_ns), FI(problem_since_ns), FI(last_class),
    FS(problem), FU(spool_bytes), FU(spool_batches), FU(spool_max_bytes),
    FI(oldest_unsent_ns), FU(batches_evicted), FU(batches_bad),
    FU(events_in), FU(records_out), FU(events_dropped),
    FU(crashes_reported), FI(crash_prev_pid),
};

static void
snapshot(struct transport_state *st, struct transport *t, struct spool *sp,
         const struct transport_state_extra *x)
{
    memset(st, 0, sizeof(*st));
    st->version = 1;
    st->pid = (int64_t)getpid();
    st->running = x->running;
    st->started_ns = x->started_ns;
    st->written_ns = estel_now_realtime_ns();
    st->spool_max_bytes = x->spool_max_bytes;
    st->events_in = x->events_in;
    st->records_out = x->records_out;
    st->events_dropped = x->events_dropped;
    st->crashes_reported = x->crashes_reported;
    st->crash_prev_pid = x->crash_prev_pid;
    if (sp != NULL) {
        struct spool_stats *ss = spool_stats(sp);

        st->spool_bytes = atomic_load(&ss->ready_bytes);
        st->spool_batches = atomic_load(&ss->ready_batches);
        st->oldest_unsent_ns = atomic_load(&ss->oldest_ready_ns);
        st->batches_evicted = atomic_load(&ss->batches_evicted);
        st->batches_bad = atomic_load(&ss->batches_bad);
    }
    if (t == NULL)
        return;
    st->has_server = true;
    snprintf(st->server, sizeof(st->server), "%s", t->url_safe);
    st->batches_sent = atomic_load(&t->stats.batches_sent);
    st->bytes_sent = atomic_load(&t->stats.bytes_sent);
    st->records_sent = atomic_load(&t->stats.records_sent);
    st->batches_duplicate = atomic_load(&t->stats.batches_duplicate);
    st->batches_dead = atomic_load(&t->stats.batches_dead);
    st->retries_transient = atomic_load(&t->stats.retries_transient);
    st->retries_auth = atomic_load(&t->stats.retries_auth);
    st->retries_tls = atomic_load(&t->stats.retries_tls);
    st->consecutive_failures = atomic_load(&t->stats.consecutive_failures);
    st->last_success_ns = atomic_load(&t->stats.last_success_ns);
    st->last_attempt_ns = atomic_load(&t->stats.last_attempt_ns);
    st->client_cert_expiry_ns = atomic_load(&t->stats.client_cert_expiry_ns);
    st->last_class = atomic_load(&t->stats.last_class);
    pthread_mutex_lock(&t->mu);
    memcpy(st->problem, t->problem, sizeof(st->problem));
    st->problem_since_ns = t->problem_since_ns;
    pthread_mutex_unlock(&t->mu);
}

static enum estel_rc
encode(const struct transport_state *st, struct estel_buf *b)
{
    const char *base = (const char *)st;
    enum estel_rc rc = buf_putc(b, '{');

    for (size_t i = 0; i < sizeof(state_fields) / sizeof(state_fields[0]) &&
         rc == ESTEL_OK; i++) {
        const struct fdef *f = &state_fields[i];
        const void *p = base + f->off;

        rc = buf_printf(b, "%s\n\"%s\":", i == 0 ? "" : ",", f->name);
        if (rc != ESTEL_OK)
            break;
        switch (f->kind) {
        case F_I64:
            rc = buf_printf(b, "%" PRId64, *(const int64_t *)p);
            break;
        case F_U64:
            rc = buf_printf(b, "%" PRIu64, *(const uint64_t *)p);
            break;
        case F_BOOL:
            rc = buf_printf(b, "%s", *(const bool *)p ? "true" : "false");
            break;
        case F_STR:
            rc = buf_json_str(b, p, strlen(p));
            break;
        }
    }
    if (rc == ESTEL_OK)
        rc = buf_printf(b, "\n}\n");
    return rc;
}

static int
open_state_dir(const char *spool_dir, bool create, struct estel_err *err)
{
    int dfd, sfd;

    dfd = open(spool_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        estel_fail_errno(err, errno == ENOENT ? ESTEL_E_EOF : ESTEL_E_IO,
                         "spool %s: cannot open it", spool_dir);
        return -1;
    }
    if (create && mkdirat(dfd, "state", 0700) != 0 && errno != EEXIST) {
        estel_fail_errno(err, ESTEL_E_IO, "%s/state: cannot create it",
                         spool_dir);
        close(dfd);
        return -1;
    }
    sfd = openat(dfd, "state", O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
                 O_CLOEXEC);
    if (sfd < 0)
        estel_fail_errno(err, errno == ENOENT ? ESTEL_E_EOF : ESTEL_E_IO,
                         "%s/state: cannot open it", spool_dir);
    close(dfd);
    return sfd;
}

enum estel_rc
transport_write_state(const char *spool_dir, struct transport *t,
                      struct spool *sp, const struct transport_state_extra *x,
                      struct estel_err *err)
{
    struct transport_state st;
    struct estel_buf b;
    enum estel_rc rc;
    int sfd, fd;

    snapshot(&st, t, sp, x);
    buf_init(&b, STATE_FILE_MAX);
    if (encode(&st, &b) != ESTEL_OK) {
        buf_free(&b);
        return estel_fail(err, ESTEL_E_NOMEM, "state file: out of memory");
    }
    if ((sfd = open_state_dir(spool_dir, true, err)) < 0) {
        buf_free(&b);
        return err != NULL && err->rc != ESTEL_OK ? err->rc : ESTEL_E_IO;
    }
    fd = openat(sfd, "status.json.tmp", O_WRONLY | O_CREAT | O_TRUNC |
                O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = estel_fail_errno(err, ESTEL_E_IO, "%s/state/status.json.tmp: "
                              "cannot create it", spool_dir);
        goto out;
    }
    rc = estel_write_all(fd, b.data, b.len) == 0 ? ESTEL_OK : ESTEL_E_IO;
    if (close(fd) != 0 || rc != ESTEL_OK) {
        rc = estel_fail_errno(err, ESTEL_E_IO, "%s/state/status.json.tmp: "
                              "write failed", spool_dir);
        goto out;
    }
    if (renameat(sfd, "status.json.tmp", sfd, "status.json") != 0)
        rc = estel_fail_errno(err, ESTEL_E_IO, "rename %s/state/status.json"
                              ".tmp to status.json", spool_dir);
out:
    close(sfd);
    buf_free(&b);
    return rc;
}

/* ---- reading it back: a flat JSON object, our own writer's output ------ */

struct jp {
    const char *p, *end;
};

static void
ws(struct jp *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' ||
                             *j->p == '\r' || *j->p == '\t'))
        j->p++;
}

static bool
eat(struct jp *j, char c)
{
    ws(j);
    if (j->p >= j->end || *j->p != c)
        return false;
    j->p++;
    return true;
}

/* A JSON string into out (non-ASCII escapes become '?'). */
static bool
jstring(struct jp *j, char *out, size_t size)
{
    size_t n = 0;

    if (!eat(j, '"'))
        return false;
    while (j->p < j->end && *j->p != '"') {
        char c = *j->p++;

        if (c == '\\') {
            if (j->p >= j->end)
                return false;
            c = *j->p++;
            if (c == 'u') {
                if (j->end - j->p < 4)
                    return false;
                j->p += 4;
                c = '?';
            } else if (c == 'n' || c == 't' || c == 'r' || c == 'b' ||
                       c == 'f') {
                c = ' ';
            }
        }
        if (n + 1 < size)
            out[n++] = c;
    }
    if (size > 0)
        out[n] = '\0';
    return eat(j, '"');
}

static bool
jvalue(struct jp *j, const struct fdef *f, struct transport_state *st)
{
    char tmp[TRANSPORT_STATE_TEXT_MAX], *end;
    void *p = f != NULL ? (char *)st + f->off : NULL;
    size_t n = 0;

    ws(j);
    if (j->p < j->end && *j->p == '"') {
        if (!jstring(j, f != NULL && f->kind == F_STR ? p : tmp,
                     f != NULL && f->kind == F_STR ?
                     TRANSPORT_STATE_TEXT_MAX : sizeof(tmp)))
            return false;
        return true;
    }
    while (j->p + n < j->end && n + 1 < sizeof(tmp) &&
           (j->p[n] == '-' || j->p[n] == '+' || j->p[n] == '.' ||
            (j->p[n] >= '0' && j->p[n] <= '9') ||
            (j->p[n] >= 'a' && j->p[n] <= 'z')))
        n++;
    if (n == 0)
        return false;
    memcpy(tmp, j->p, n);
    tmp[n] = '\0';
    j->p += n;
    if (f == NULL)
        return true;
    errno = 0;
    if (f->kind == F_BOOL)
        *(bool *)p = strcmp(tmp, "true") == 0;
    else if (f->kind == F_I64)
        *(int64_t *)p = strtoll(tmp, &end, 10);
    else if (f->kind == F_U64)
        *(uint64_t *)p = strtoull(tmp, &end, 10);
    return true;
}

static bool
parse_state(const char *text, size_t len, struct transport_state *st)
{
    struct jp j = { text, text + len };
    char key[64];

    memset(st, 0, sizeof(*st));
    if (!eat(&j, '{'))
        return false;
    if (eat(&j, '}'))
        return true;
    do {
        const struct fdef *f = NULL;

        if (!jstring(&j, key, sizeof(key)) || !eat(&j, ':'))
            return false;
        for (size_t i = 0; i < sizeof(state_fields) / sizeof(state_fields[0]);
             i++)
            if (strcmp(state_fields[i].name, key) == 0)
                f = &state_fields[i];
        if (!jvalue(&j, f, st))
            return false;
    } while (eat(&j, ','));
    return eat(&j, '}');
}

enum estel_rc
transport_read_state(const char *spool_dir, struct transport_state *st,
                     struct estel_err *err)
{
    char *text;
    ssize_t n;
    size_t len = 0;
    int sfd, fd;
    bool ok;

    if ((sfd = open_state_dir(spool_dir, false, err)) < 0)
        return err != NULL && err->rc != ESTEL_OK ? err->rc : ESTEL_E_IO;
    fd = openat(sfd, "status.json", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    close(sfd);
    if (fd < 0)
        return estel_fail_errno(err, errno == ENOENT ? ESTEL_E_EOF :
                                ESTEL_E_IO, "%s/%s: cannot read it",
                                spool_dir, TRANSPORT_STATE_FILE);
    if ((text = malloc(STATE_FILE_MAX)) == NULL) {
        close(fd);
        return estel_fail(err, ESTEL_E_NOMEM, "state file: out of memory");
    }
    while (len < STATE_FILE_MAX &&
           (n = read(fd, text + len, STATE_FILE_MAX - len)) > 0)
        len += (size_t)n;
    close(fd);
    ok = parse_state(text, len, st);
    free(text);
    if (!ok)
        return estel_fail(err, ESTEL_E_CORRUPT, "%s/%s: not a state file "
                          "estel wrote (half written? run estel status "
                          "again)", spool_dir, TRANSPORT_STATE_FILE);
    return ESTEL_OK;
}
