/*
 * deliver.c - the uploader thread's work between waits: pick the oldest
 * ready batches, send them, act on the answers (transport.h's table), and
 * keep the client identity fresh.
 *
 * A batch leaves ready/ only after 2xx or 409 (spool_remove) or a
 * permanent 4xx (spool_move_dead); everything else leaves it where it is
 * and sets a backoff wait (backoff.c).  With several slots in flight, a
 * failure counts once per backoff round (the slot's epoch), so four
 * requests failing together do not quadruple the wait.
 * Problems are logged when they change, repeats only counted (STYLE 2.6);
 * the current one is kept under t->mu for `estel status`.
 */
#include "transport/transport_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "config/config.h"

#define READ_RETRY_NS NS_PER_S      /* after a spool read error */
#define TLS_CHECK_INTERVAL_NS NS_PER_S

/* ---- handles ------------------------------------------------------------ */

enum estel_rc
deliver_open_handles(struct transport *t, struct estel_err *err)
{
    enum estel_rc rc;

    if ((t->multi = curl_multi_init()) == NULL)
        return estel_fail(err, ESTEL_E_NOMEM, "curl_multi_init failed");
    (void)curl_multi_setopt(t->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
                            (long)t->nslots);   /* a cap, not vital */
    for (size_t i = 0; i <= t->nslots; i++)
        if ((rc = http_slot_open(&t->slots[i], t, &t->opts, &t->tls, err))
            != ESTEL_OK) {
            deliver_close_handles(t);
            return rc;
        }
    return ESTEL_OK;
}

void
deliver_close_handles(struct transport *t)
{
    for (size_t i = 0; i <= t->nslots && i <= TRANSPORT_SLOTS_MAX; i++) {
        if (t->slots[i].state == SLOT_BUSY && t->multi != NULL)
            (void)curl_multi_remove_handle(t->multi, t->slots[i].easy);
        t->slots[i].state = SLOT_IDLE;
        http_slot_close(&t->slots[i]);
    }
    t->in_flight = 0;
    t->pickq_len = t->pickq_pos = 0;    /* start again from the oldest */
    if (t->multi != NULL)
        (void)curl_multi_cleanup(t->multi);     /* nothing left to fail */
    t->multi = NULL;
}

/* ---- problems: logged once per change, shown by `estel status` -------- */

static void
set_problem(struct transport *t, const char *text)
{
    pthread_mutex_lock(&t->mu);
    if (text == NULL) {
        t->problem[0] = '\0';
        t->problem_since_ns = 0;
    } else {
        snprintf(t->problem, sizeof(t->problem), "%s", text);
        if (t->problem_since_ns == 0)
            t->problem_since_ns = estel_now_realtime_ns();
    }
    pthread_mutex_unlock(&t->mu);
}

static const char *
hint(const struct transport *t, enum transport_class cls, char *buf,
     size_t size)
{
    if (cls == TRANSPORT_AUTH && t->tls.has_client)
        snprintf(buf, size, "; the server must trust the issuer of "
                 "ClientCertificate (CN=%s, serial %s) and its CN must be "
                 "this host's id", t->tls.cn, t->tls.serial);
    else if (cls == TRANSPORT_AUTH)
        snprintf(buf, size, "; set ClientCertificate and ClientKey");
    else if (cls == TRANSPORT_TLS)
        snprintf(buf, size, "; check ServerCA, ServerPinnedKey and the "
                 "host name in ServerURL");
    else
        buf[0] = '\0';
    return buf;
}

static void
note_problem(struct transport *t, enum transport_class cls, long code,
             const char *what, const struct estel_err *e, int64_t delay_ms)
{
    char h[384], rep[64] = "";

    set_problem(t, what);
    if (t->logged_class == (int)cls && t->logged_code == code) {
        t->repeats++;
        log_debug("upload: %s (again, %llu repeats); retrying in %lld ms",
                  e->msg, (unsigned long long)t->repeats,
                  (long long)delay_ms);
        return;
    }
    if (t->repeats > 0)
        snprintf(rep, sizeof(rep), " (the previous problem repeated %llu "
                 "times)", (unsigned long long)t->repeats);
    t->logged_class = (int)cls;
    t->logged_code = code;
    t->repeats = 0;
    if (cls == TRANSPORT_AUTH || cls == TRANSPORT_TLS)
        log_error("upload: %s; batches are kept, next try in %lld s%s%s",
                  e->msg, (long long)((delay_ms + 999) / 1000),
                  hint(t, cls, h, sizeof(h)), rep);
    else
        log_warnx("upload: %s; batches are kept, next try in %lld s%s",
                  e->msg, (long long)((delay_ms + 999) / 1000), rep);
}

static void
note_ok(struct transport *t)
{
    if (t->logged_class > (int)TRANSPORT_DUPLICATE) {
        int64_t secs = (estel_now_mono_ns() - t->failing_since_mono_ns) /
                       NS_PER_S;

        log_info("upload: delivering again to %s after %llu failed "
                 "attempts over %lld s", t->url_safe,
                 (unsigned long long)atomic_load(&t->stats.
                                                 consecutive_failures),
                 (long long)secs);
        set_problem(t, NULL);
    }
    t->logged_class = TRANSPORT_OK;
    t->logged_code = 0;
    t->repeats = 0;
    atomic_store(&t->stats.consecutive_failures, 0);
    backoff_reset(&t->bo);
    t->epoch++;
}

/* Printable one-line summary of an answer body (HTML tags dropped). */
static void
body_summary(const struct resp *r, char *out, size_t size)
{
    size_t n = 0;
    bool tag = false, space = true;

    for (size_t i = 0; i < r->body_len && n + 1 < size; i++) {
        unsigned char c = (unsigned char)r->body[i];

        if (c == '<') {
            tag = true;
        } else if (c == '>') {
            tag = false;
            c = ' ';
        }
        if (tag)
            continue;
        if (c < 0x20 || c == ' ' || c > 0x7e) {
            if (!space && n + 1 < size)
                out[n++] = ' ';
            space = true;
            continue;
        }
        out[n++] = (char)c;
        space = false;
    }
    while (n > 0 && out[n - 1] == ' ')
        n--;
    out[n] = '\0';
}

/* ---- TLS identity: rotation and expiry ---------------------------------- */

static void
fmt_date(int64_t ns, char *buf, size_t size)
{
    time_t secs = (time_t)(ns / NS_PER_S);
    struct tm tm;

    if (gmtime_r(&secs, &tm) == NULL ||
        strftime(buf, size, "%Y-%m-%d %H:%M UTC", &tm) == 0)
        snprintf(buf, size, "?");
}

void
deliver_check_expiry(struct transport *t, int64_t now_real_ns)
{
    const char *path = t->cfg->client_cert;
    int64_t na = t->tls.not_after_ns, nb = t->tls.not_before_ns;
    int state = 0;
    char date[40];

    if (!t->tls.has_client)
        return;
    if (now_real_ns >= na)
        state = 2;
    else if (now_real_ns < nb)
        state = 3;
    else if (na - now_real_ns < TLS_EXPIRY_WARN_S * NS_PER_S)
        state = 1;
    if (state == t->expiry_state)
        return;
    t->expiry_state = state;
    if (state == 2) {
        fmt_date(na, date, sizeof(date));
        log_error("upload: ClientCertificate %s expired on %s; the server "
                  "will refuse it; batches are kept until it is renewed",
                  path, date);
    } else if (state == 3) {
        fmt_date(nb, date, sizeof(date));
        log_error("upload: ClientCertificate %s is not valid before %s; "
                  "check this machine's clock", path, date);
    } else if (state == 1) {
        fmt_date(na, date, sizeof(date));
        log_warnx("upload: ClientCertificate %s expires on %s (in %lld "
                  "days); renew it", path, date,
                  (long long)((na - now_real_ns) / NS_PER_S / 86400));
    }
}

static bool
same_sig(const struct file_sig *a, const char *path)
{
    struct file_sig b;

    tls_file_sig(path, &b);
    return path == NULL || (a->present == b.present && a->dev == b.dev &&
                            a->ino == b.ino && a->size == b.size &&
                            a->mtime_ns == b.mtime_ns &&
                            a->ctime_ns == b.ctime_ns);
}

static void
apply_rotation(struct transport *t, int64_t now)
{
    struct tls_material old = t->tls;
    struct estel_err err = { 0 };
    char date[40];

    deliver_close_handles(t);
    t->tls = t->tls_next;
    tls_material_init(&t->tls_next);
    tls_material_free(&old);
    t->rotate_pending = false;
    if (deliver_open_handles(t, &err) != ESTEL_OK) {
        /* out of memory: try again in a second */
        log_warnx("upload: %s", err.msg);
        t->wait_until_ns = now + NS_PER_S;
        t->rotate_pending = false;
        return;
    }
    atomic_store(&t->stats.client_cert_expiry_ns, t->tls.not_after_ns);
    t->host_cn_warned = false;
    fmt_date(t->tls.not_after_ns, date, sizeof(date));
    if (t->tls.has_client)
        log_info("upload: TLS files changed; new connections use "
                 "ClientCertificate CN=%s serial %s (expires %s)",
                 t->tls.cn, t->tls.serial, date);
    else
        log_info("upload: ServerCA changed; new connections use it");
    /* a credentials problem may be what the new files fix */
    if (t->wait_until_ns > now && (t->wait_class == TRANSPORT_AUTH ||
                                   t->wait_class == TRANSPORT_TLS))
        t->wait_until_ns = now + backoff_rand(&t->bo, 0, 1000) * NS_PER_MS;
    deliver_check_expiry(t, estel_now_realtime_ns());
}

void
deliver_check_tls(struct transport *t, int64_t now)
{
    const struct estel_config *c = t->cfg;
    struct estel_err err = { 0 };

    if (t->rotate_pending) {
        if (t->in_flight == 0)
            apply_rotation(t, now);
        return;
    }
    if (now - t->tls_checked_ns < TLS_CHECK_INTERVAL_NS)
        return;
    t->tls_checked_ns = now;
    deliver_check_expiry(t, estel_now_realtime_ns());
    if (!tls_material_changed(&t->tls, c->client_cert, c->client_key,
                              c->server_ca))
        return;
    /* files we already found wanting: wait for the next change */
    if (same_sig(&t->tls_bad_cert, c->client_cert) &&
        same_sig(&t->tls_bad_key, c->client_key) &&
        same_sig(&t->tls_bad_ca, c->server_ca))
        return;
    if (tls_material_load(&t->tls_next, c->client_cert, c->client_key,
                          c->server_ca, &err) != ESTEL_OK) {
        /* half-replaced (certificate new, key old) or broken: keep the
         * identity we have, look again when the files change */
        tls_file_sig(c->client_cert, &t->tls_bad_cert);
        tls_file_sig(c->client_key, &t->tls_bad_key);
        tls_file_sig(c->server_ca, &t->tls_bad_ca);
        log_warnx("upload: TLS files changed but %s; still using the "
                  "previous ones", err.msg);
        return;
    }
    t->rotate_pending = true;
    if (t->in_flight == 0)
        apply_rotation(t, now);
}

/* ---- picking and starting batches -------------------------------------- */

static bool
name_taken(const struct transport *t, const char *name)
{
    for (size_t i = 0; i <= t->nslots; i++)
        if (t->slots[i].state != SLOT_IDLE &&
            strcmp(t->slots[i].info.name, name) == 0)
            return true;
    for (size_t i = 0; i < t->removeq_len; i++)
        if (strcmp(t->removeq[i], name) == 0)
            return true;
    return false;
}

static enum estel_rc
queue_visit(void *ctx, const struct spool_batch_info *info,
            enum estel_rc check, const char *problem)
{
    struct transport *t = ctx;

    (void)check;        /* a damaged one too: spool_read moves it to bad/ */
    (void)problem;
    if (name_taken(t, info->name))
        return ESTEL_OK;
    snprintf(t->pickq[t->pickq_len], SPOOL_NAME_MAX, "%s", info->name);
    return ++t->pickq_len < PICK_QUEUE_MAX ? ESTEL_OK : ESTEL_E_FULL;
}

/*
 * The oldest ready batch nobody holds.  One walk of ready/ yields up to
 * PICK_QUEUE_MAX names, so a deep backlog costs one directory listing per
 * 64 batches, not per batch.  New batches sort after the queued ones (their
 * names grow with the sequence), so the order stays oldest first; after a
 * failure the queue is dropped and the walk starts again at the oldest.
 */
static enum estel_rc
pick(struct transport *t, char *name, struct estel_err *err)
{
    enum estel_rc rc;

    for (int pass = 0; pass < 2; pass++) {
        while (t->pickq_pos < t->pickq_len) {
            const char *n = t->pickq[t->pickq_pos++];

            if (!name_taken(t, n)) {
                snprintf(name, SPOOL_NAME_MAX, "%s", n);
                return ESTEL_OK;
            }
        }
        if (pass == 1)
            break;
        t->pickq_len = t->pickq_pos = 0;
        rc = spool_foreach(t->sp, false, queue_visit, t, err);
        if (rc != ESTEL_OK && rc != ESTEL_E_FULL)
            return rc;
    }
    return ESTEL_E_EOF;
}

static struct slot *
slot_in(struct transport *t, enum slot_state state)
{
    for (size_t i = 0; i <= t->nslots; i++)
        if (t->slots[i].state == state)
            return &t->slots[i];
    return NULL;
}

static void
warn_host_cn(struct transport *t, const struct spool_batch_info *info)
{
    if (t->host_cn_warned || !t->tls.has_client || t->tls.cn[0] == '\0' ||
        strncmp(info->host_id, t->tls.cn, sizeof(info->host_id)) == 0)
        return;
    t->host_cn_warned = true;
    log_warnx("upload: batches carry host id %.64s but ClientCertificate's "
              "CN is %s; the server refuses a mismatch (403); set HostID "
              "or issue the certificate for this host", info->host_id,
              t->tls.cn);
}

static void
dead(struct transport *t, const char *name, const char *reason)
{
    struct estel_err err = { 0 };

    if (spool_move_dead(t->sp, name, reason, &err) != ESTEL_OK)
        log_warnx("upload: %s", err.msg);
    else
        atomic_fetch_add(&t->stats.batches_dead, 1);
}

/* Read, check and arm batch name in slot s (now STAGED).  false: try the
 * next batch (or wait, when t->wait_until_ns was set). */
static bool
load(struct transport *t, struct slot *s, const char *name)
{
    struct estel_err err = { 0 };
    enum estel_rc rc;

    rc = spool_read(t->sp, name, &s->frame, &s->info, &err);
    if (rc == ESTEL_E_EOF)
        return false;                   /* evicted meanwhile */
    if (rc == ESTEL_E_CORRUPT) {
        log_warnx("upload: %s", err.msg);  /* moved to bad/ by the spool */
        return false;
    }
    if (rc != ESTEL_OK) {
        if (!t->io_problem_logged)
            log_warnx("upload: %s; retrying in a second", err.msg);
        t->io_problem_logged = true;
        t->wait_until_ns = estel_now_mono_ns() + READ_RETRY_NS;
        t->pickq_len = t->pickq_pos = 0;
        return false;
    }
    t->io_problem_logged = false;
    if ((rc = http_slot_arm(s, &t->opts, &err)) != ESTEL_OK) {
        if (rc == ESTEL_E_CORRUPT) {
            dead(t, name, err.msg);
        } else {
            log_warnx("upload: %s", err.msg);
            t->wait_until_ns = estel_now_mono_ns() + READ_RETRY_NS;
            t->pickq_len = t->pickq_pos = 0;
        }
        return false;
    }
    warn_host_cn(t, &s->info);
    s->state = SLOT_STAGED;
    return true;
}

/* Put a staged slot on the wire. */
static bool
launch(struct transport *t, struct slot *s)
{
    if (curl_multi_add_handle(t->multi, s->easy) != CURLM_OK) {
        log_warnx("upload: curl_multi_add_handle failed");
        t->wait_until_ns = estel_now_mono_ns() + READ_RETRY_NS;
        return false;
    }
    s->state = SLOT_BUSY;
    s->epoch = t->epoch;
    s->started_ns = estel_now_mono_ns();
    t->in_flight++;
    pace_take(&t->pace, s->frame.len);
    atomic_store(&t->stats.last_attempt_ns, estel_now_realtime_ns());
    return true;
}

/* Drop staged batches (after a failure: the oldest goes first again). */
static void
unstage(struct transport *t)
{
    for (size_t i = 0; i <= t->nslots; i++)
        if (t->slots[i].state == SLOT_STAGED)
            t->slots[i].state = SLOT_IDLE;
    t->pickq_len = t->pickq_pos = 0;
}

enum deliver_fill
deliver_fill(struct transport *t, int64_t now)
{
    char name[SPOOL_NAME_MAX];
    struct estel_err err = { 0 };
    struct slot *s;
    enum estel_rc rc;
    bool started = false;
    /* bounded: files that vanish or fail as we pick them must not spin */
    size_t tries = t->nslots + 16;

    if (t->rotate_pending)
        return DELIVER_BUSY;
    while (t->in_flight < t->nslots && tries-- > 0) {
        if (now < t->wait_until_ns || pace_wait_ms(&t->pace, now) > 0)
            return t->in_flight > 0 ? DELIVER_BUSY : DELIVER_WAIT;
        if ((s = slot_in(t, SLOT_STAGED)) == NULL) {
            if ((s = slot_in(t, SLOT_IDLE)) == NULL)
                break;
            estel_err_clear(&err);
            rc = pick(t, name, &err);
            if (rc == ESTEL_E_EOF)
                return t->in_flight > 0 || started ? DELIVER_BUSY :
                       DELIVER_EMPTY;
            if (rc != ESTEL_OK) {
                log_warnx("upload: %s; retrying in a second", err.msg);
                t->wait_until_ns = now + READ_RETRY_NS;
                continue;
            }
            if (!load(t, s, name))
                continue;
        }
        if (launch(t, s))
            started = true;
    }
    return DELIVER_BUSY;
}

void
deliver_flush_removes(struct transport *t)
{
    struct estel_err err;

    for (size_t i = 0; i < t->removeq_len; i++) {
        estel_err_clear(&err);
        if (spool_remove(t->sp, t->removeq[i], &err) != ESTEL_OK)
            /* the server has it; a resend would be answered 409 */
            log_warnx("upload: %s", err.msg);
    }
    t->removeq_len = 0;
}

void
deliver_background(struct transport *t)
{
    char name[SPOOL_NAME_MAX];
    struct estel_err err = { 0 };
    struct slot *s;

    /* the deletes' directory fsync and the next batch's read and checks
     * overlap with the server's work instead of adding to it */
    deliver_flush_removes(t);
    if (t->in_flight == 0 || t->rotate_pending ||
        atomic_load(&t->stopping) || slot_in(t, SLOT_STAGED) != NULL ||
        estel_now_mono_ns() < t->wait_until_ns ||
        (s = slot_in(t, SLOT_IDLE)) == NULL)
        return;
    if (pick(t, name, &err) == ESTEL_OK)
        (void)load(t, s, name);
}

int64_t
deliver_next_start(struct transport *t, int64_t now)
{
    int64_t pace_ns = now + pace_wait_ms(&t->pace, now) * NS_PER_MS;

    return t->wait_until_ns > pace_ns ? t->wait_until_ns : pace_ns;
}

/* ---- answers ------------------------------------------------------------ */

static void
describe(const struct transport *t, const struct slot *s, CURLcode cc,
         long status, const char *what, struct estel_err *e)
{
    char body[160];

    if (cc != CURLE_OK) {
        estel_fail(e, ESTEL_E_NET, "%s: %s (curl %d: %s)", t->url_safe,
                   what, (int)cc, s->errbuf[0] != '\0' ? s->errbuf :
                   curl_easy_strerror(cc));
        return;
    }
    body_summary(&s->resp, body, sizeof(body));
    estel_fail(e, ESTEL_E_NET, "%s: %s (HTTP %ld%s%s)", t->url_safe, what,
               status, body[0] != '\0' ? ": " : "", body);
}

static void
failed(struct transport *t, struct slot *s, enum transport_class cls,
       CURLcode cc, long status, const char *what)
{
    struct estel_err e = { 0 };
    char text[TRANSPORT_STATE_TEXT_MAX];
    int64_t now = estel_now_mono_ns(), delay_ms;
    _Atomic uint64_t *ctr = cls == TRANSPORT_AUTH ? &t->stats.retries_auth :
                            cls == TRANSPORT_TLS ? &t->stats.retries_tls :
                            &t->stats.retries_transient;

    atomic_fetch_add(ctr, 1);
    unstage(t);
    if (atomic_fetch_add(&t->stats.consecutive_failures, 1) == 0)
        t->failing_since_mono_ns = now;
    if (s->epoch == t->epoch) {
        delay_ms = backoff_fail(&t->bo, cls, cls == TRANSPORT_TRANSIENT ?
                                s->resp.retry_after_s : -1);
        t->wait_until_ns = now + delay_ms * NS_PER_MS;
        t->wait_class = cls;
        t->epoch++;
    } else {
        delay_ms = (t->wait_until_ns - now) / NS_PER_MS;
    }
    describe(t, s, cc, status, what, &e);
    if (cc != CURLE_OK)
        snprintf(text, sizeof(text), "%s (curl %d: %.160s)", what, (int)cc,
                 s->errbuf[0] != '\0' ? s->errbuf : curl_easy_strerror(cc));
    else
        snprintf(text, sizeof(text), "%s (HTTP %ld)", what, status);
    note_problem(t, cls, cc != CURLE_OK ? -(long)cc : status, text, &e,
                 delay_ms);
}

static void
rejected(struct transport *t, struct slot *s, long status, const char *what)
{
    char body[160], reason[TRANSPORT_STATE_TEXT_MAX + 384];

    body_summary(&s->resp, body, sizeof(body));
    snprintf(reason, sizeof(reason), "HTTP %ld from %s: %s%s%s", status,
             t->url_safe, what, body[0] != '\0' ? ": " : "", body);
    if (t->dead_logged_code != status) {
        log_warnx("upload: batch %s moved to dead/: %s", s->info.name,
                  reason);
        t->dead_logged_code = status;
        t->dead_repeats = 0;
    } else {
        t->dead_repeats++;
        log_debug("upload: batch %s moved to dead/ (%llu more like it)",
                  s->info.name, (unsigned long long)t->dead_repeats);
    }
    dead(t, s->info.name, reason);
}

static void
acknowledged(struct transport *t, struct slot *s, enum transport_class cls)
{
    size_t n;

    if (t->removeq_len == REMOVE_QUEUE_MAX)
        deliver_flush_removes(t);
    n = strnlen(s->info.name, SPOOL_NAME_MAX - 1);
    memcpy(t->removeq[t->removeq_len], s->info.name, n);
    t->removeq[t->removeq_len++][n] = '\0';
    if (cls == TRANSPORT_DUPLICATE) {
        atomic_fetch_add(&t->stats.batches_duplicate, 1);
    } else {
        atomic_fetch_add(&t->stats.batches_sent, 1);
        atomic_fetch_add(&t->stats.bytes_sent, s->frame.len);
        atomic_fetch_add(&t->stats.records_sent, s->info.record_count);
    }
    atomic_store(&t->stats.last_success_ns, estel_now_realtime_ns());
    note_ok(t);
}

static void
finish(struct transport *t, struct slot *s, CURLcode cc)
{
    enum transport_class cls;
    const char *what;
    long status, connect_code;

    if (cc == CURLE_ABORTED_BY_CALLBACK) {
        log_info("upload: gave up sending %s at shutdown; it stays in "
                 "ready/", s->info.name);
        return;
    }
    http_slot_result(s, &status, &connect_code);
    cls = resp_classify(cc, status, connect_code, &s->resp, s->errbuf,
                        &what);
    atomic_store(&t->stats.last_class, (int)cls);
    switch (cls) {
    case TRANSPORT_OK:
    case TRANSPORT_DUPLICATE:
        acknowledged(t, s, cls);
        break;
    case TRANSPORT_REJECTED:
        rejected(t, s, status, what);
        break;
    case TRANSPORT_TRANSIENT:
    case TRANSPORT_AUTH:
    case TRANSPORT_TLS:
        failed(t, s, cls, cc, status, what);
        break;
    }
}

void
deliver_harvest(struct transport *t)
{
    CURLMsg *msg;
    int left;

    while ((msg = curl_multi_info_read(t->multi, &left)) != NULL) {
        CURL *easy = msg->easy_handle;
        CURLcode cc = msg->data.result;     /* msg dies with the handle */

        if (msg->msg != CURLMSG_DONE)
            continue;
        for (size_t i = 0; i <= t->nslots; i++) {
            struct slot *s = &t->slots[i];

            if (s->state != SLOT_BUSY || s->easy != easy)
                continue;
            (void)curl_multi_remove_handle(t->multi, easy);
            s->state = SLOT_IDLE;
            t->in_flight--;
            finish(t, s, cc);
            break;
        }
    }
}

void
deliver_abandon(struct transport *t)
{
    for (size_t i = 0; i <= t->nslots; i++) {
        struct slot *s = &t->slots[i];

        if (s->state != SLOT_BUSY)
            continue;
        (void)curl_multi_remove_handle(t->multi, s->easy);
        s->state = SLOT_IDLE;
        t->in_flight--;
        log_info("upload: gave up sending %s at shutdown; it stays in "
                 "ready/", s->info.name);
    }
}
