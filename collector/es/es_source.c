/*
 * es_source.c - source_es_ops: the Endpoint Security client.
 *
 * run() (the runtime's source thread) owns the client: it creates it,
 * retrying the recoverable failures on a timer (Full Disk Access not yet
 * granted, too many clients, ES unreachable) so that granting FDA later
 * starts collection without a reinstall; then it mutes itself by audit
 * token and the spool directory as a target prefix (writing the spool
 * must not generate events about writing the spool), applies the mute
 * rules from the configuration in the kernel, subscribes to the
 * configured NOTIFY types, and sleeps until stop().  It deletes the client
 * on the same thread, as ES requires.
 *
 * The handler block runs on ES's delivery thread, serially; it is the
 * collector's only producer.  It converts each message straight into a
 * record (es_convert*.c), never blocks, never logs, never allocates.
 * Thread loops log, and only when their state changes (a repeated
 * es_new_client failure is counted, not printed again).
 */
#include "collector/es/es_int.h"
#include "common/evtype.h"
#include "common/log.h"
#include "common/platform.h"

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bsm/libbsm.h>
#include <mach/mach.h>

#define ES_RETRY_MS_DEFAULT 30000
#define ES_FOREVER_MS ((int64_t)1 << 40)   /* ~35 years: until stop() */

struct es_source {
    const struct estel_config *cfg;     /* borrowed from the runtime */
    struct es_conv *conv;
    struct estel_event ev;              /* handler scratch (ES thread) */
    struct collector *coll;             /* set by run() */
    pthread_mutex_t mu;                 /* guards the fields below */
    pthread_cond_t cv;
    bool stopping;
    uint32_t retry_ms;
    uint32_t attempts;
    int last_result;
    bool connected;
    bool fatal;
    char last_error[ESTEL_ERR_MSG_MAX];
    _Atomic uint64_t handled;
    _Atomic uint64_t close_unmodified;
};

/* ---- the handler (ES delivery thread) ---------------------------------- */

/* Sequence numbers of a message dropped before conversion still count:
 * without them the next message would look like a kernel drop. */
static void
track_only(struct es_source *s, struct collector *c, const es_message_t *msg)
{
    struct estel_event *ev = &s->ev;

    ev_reset(ev);
    ev->type = (uint32_t)msg->event_type;
    ev->version = msg->version;
    ev->has_seq = msg->version >= 2;
    ev->seq_num = ev->has_seq ? msg->seq_num : 0;
    ev->has_global_seq = msg->version >= 4;
    ev->global_seq_num = ev->has_global_seq ? msg->global_seq_num : 0;
    collector_track_es_seq(c, ev);
}

void
es_source_handle(struct es_source *s, struct collector *c,
                 const es_message_t *msg)
{
    struct collector_stats *st = collector_stats(c);

    collector_count(&s->handled, 1);
    if (msg->event_type == ES_EVENT_TYPE_NOTIFY_CLOSE &&
        !msg->event.close.modified) {
        /* a read-only close says nothing the open did not: drop it */
        collector_count(&s->close_unmodified, 1);
        collector_count(&st->events_in, 1);
        collector_count(&st->events_filtered, 1);
        track_only(s, c, msg);
        return;
    }
    es_conv_message(s->conv, msg, &s->ev);
    collector_track_es_seq(c, &s->ev);
    /* ESTEL_E_FULL / _REJECTED are counted and become a gap record */
    (void)collector_emit(c, &s->ev);
}

/* ---- es_new_client results --------------------------------------------- */

static bool
recoverable(es_new_client_result_t r)
{
    return r != ES_NEW_CLIENT_RESULT_ERR_NOT_ENTITLED &&
           r != ES_NEW_CLIENT_RESULT_ERR_NOT_PRIVILEGED &&
           r != ES_NEW_CLIENT_RESULT_ERR_INVALID_ARGUMENT;
}

static void
retry_text(char *buf, size_t size, uint32_t ms)
{
    if (ms % 1000 == 0)
        snprintf(buf, size, "%u s", ms / 1000);
    else
        snprintf(buf, size, "%u ms", ms);
}

/* One actionable line per result code. */
static void
describe(char *buf, size_t size, es_new_client_result_t r, uint32_t ms)
{
    char every[32];

    retry_text(every, sizeof(every), ms);
    switch (r) {
    case ES_NEW_CLIENT_RESULT_ERR_NOT_PERMITTED:
        snprintf(buf, size, "es: es_new_client: ERR_NOT_PERMITTED: estel "
                 "has no Full Disk Access; deploy the PPPC profile from "
                 "deploy/ (estel profile) or grant it in System Settings > "
                 "Privacy & Security > Full Disk Access; collection starts "
                 "by itself once granted (retrying every %s)", every);
        break;
    case ES_NEW_CLIENT_RESULT_ERR_TOO_MANY_CLIENTS:
        snprintf(buf, size, "es: es_new_client: ERR_TOO_MANY_CLIENTS: the "
                 "system-wide limit of Endpoint Security clients is "
                 "reached; stop another ES client (security agents, "
                 "eslogger sessions) (retrying every %s)", every);
        break;
    case ES_NEW_CLIENT_RESULT_ERR_INTERNAL:
        snprintf(buf, size, "es: es_new_client: ERR_INTERNAL: the Endpoint "
                 "Security subsystem could not be reached (retrying every "
                 "%s); if this persists, reboot and report it", every);
        break;
    case ES_NEW_CLIENT_RESULT_ERR_NOT_ENTITLED:
        snprintf(buf, size, "es: es_new_client: ERR_NOT_ENTITLED: the binary "
                 "lacks the com.apple.developer.endpoint-security.client "
                 "entitlement or its provisioning profile does not match; "
                 "sign it with the ES entitlement and embed the matching "
                 "provisioning profile");
        break;
    case ES_NEW_CLIENT_RESULT_ERR_NOT_PRIVILEGED:
        snprintf(buf, size, "es: es_new_client: ERR_NOT_PRIVILEGED: not "
                 "running as root; start it as root (the system extension "
                 "always runs as root)");
        break;
    case ES_NEW_CLIENT_RESULT_ERR_INVALID_ARGUMENT:
        snprintf(buf, size, "es: es_new_client: ERR_INVALID_ARGUMENT: ES "
                 "rejected the client or handler argument; this is a bug in "
                 "estel, please report it");
        break;
    default:
        snprintf(buf, size, "es: es_new_client: unknown result %d (a newer "
                 "macOS?) (retrying every %s)", (int)r, every);
        break;
    }
}

static enum estel_rc
fatal_rc(es_new_client_result_t r)
{
    if (r == ES_NEW_CLIENT_RESULT_ERR_NOT_PRIVILEGED)
        return ESTEL_E_USAGE;
    if (r == ES_NEW_CLIENT_RESULT_ERR_NOT_ENTITLED)
        return ESTEL_E_UNSUPPORTED;
    return ESTEL_E_IO;
}

/*
 * One es_new_client attempt.  Returns ESTEL_OK with *client set, ESTEL_E_NET
 * for a failure worth retrying (logged here when it differs from the last
 * one), or the fatal error in err.
 */
static enum estel_rc
connect_client(struct es_source *s, es_client_t **client,
               struct estel_err *err)
{
    struct es_source *self = s;
    es_new_client_result_t r;
    char msg[ESTEL_ERR_MSG_MAX];
    bool repeated;

    r = es_new_client(client, ^(es_client_t *c, const es_message_t *m) {
        (void)c;
        es_source_handle(self, self->coll, m);
    });
    pthread_mutex_lock(&s->mu);
    s->attempts++;
    repeated = s->attempts > 1 && s->last_result == (int)r;
    s->last_result = (int)r;
    if (r == ES_NEW_CLIENT_RESULT_SUCCESS) {
        s->last_error[0] = '\0';
        pthread_mutex_unlock(&s->mu);
        return ESTEL_OK;
    }
    describe(msg, sizeof(msg), r, s->retry_ms);
    memcpy(s->last_error, msg, sizeof(msg));
    s->fatal = !recoverable(r);
    pthread_mutex_unlock(&s->mu);
    if (!recoverable(r))
        return estel_fail(err, fatal_rc(r), "%s", msg);
    if (!repeated)
        log_warnx("%s", msg);
    return ESTEL_E_NET;
}

/* Sleep up to ms or until stop(); true if stopping. */
static bool
wait_stop(struct es_source *s, int64_t ms)
{
    int64_t end = estel_now_mono_ns() + ms * 1000000;
    bool stopping;

    pthread_mutex_lock(&s->mu);
    while (!s->stopping && ms > 0) {
        (void)estel_cond_timedwait_ms(&s->cv, &s->mu, ms);
        ms = (end - estel_now_mono_ns()) / 1000000;
    }
    stopping = s->stopping;
    pthread_mutex_unlock(&s->mu);
    return stopping;
}

/* ---- mutes and subscriptions ------------------------------------------- */

static enum estel_rc
mute_self(es_client_t *client, struct estel_err *err)
{
    audit_token_t self;
    mach_msg_type_number_t n = TASK_AUDIT_TOKEN_COUNT;

    if (task_info(mach_task_self(), TASK_AUDIT_TOKEN, (task_info_t)&self,
                  &n) != KERN_SUCCESS)
        return estel_fail(err, ESTEL_E_IO, "es: task_info(TASK_AUDIT_TOKEN) "
                          "failed: cannot mute estel's own events, refusing "
                          "to run into a feedback loop");
    if (es_mute_process(client, &self) != ES_RETURN_SUCCESS)
        return estel_fail(err, ESTEL_E_IO, "es: es_mute_process(pid %d) "
                          "failed: cannot mute estel's own events, refusing "
                          "to run into a feedback loop",
                          (int)audit_token_to_pid(self));
    return ESTEL_OK;
}

static void
mute_path(es_client_t *client, const char *path, es_mute_path_type_t type,
          const char *what)
{
    if (es_mute_path(client, path, type) != ES_RETURN_SUCCESS)
        log_warnx("es: es_mute_path(%s, type %d) failed; %s stays "
                  "unmuted (target muting needs macOS 13)", path, (int)type,
                  what);
}

/* The spool as ES sees it (firmlinks resolved: /var is /private/var) and
 * as configured; writing it must not feed events back into it. */
static void
mute_spool(es_client_t *client, const char *dir)
{
    char real[PATH_MAX];

    if (dir == NULL)
        return;
    mute_path(client, dir, ES_MUTE_PATH_TYPE_TARGET_PREFIX, "the spool");
    if (realpath(dir, real) != NULL && strcmp(real, dir) != 0)
        mute_path(client, real, ES_MUTE_PATH_TYPE_TARGET_PREFIX,
                  "the spool");
}

static void
mute_rules(es_client_t *client, const struct estel_config *cfg)
{
    for (size_t i = 0; i < cfg->mute_paths_count; i++)
        mute_path(client, cfg->mute_paths[i].path,
                  cfg->mute_paths[i].prefix ? ES_MUTE_PATH_TYPE_PREFIX :
                  ES_MUTE_PATH_TYPE_LITERAL, "a MutePaths entry");
    for (size_t i = 0; i < cfg->mute_target_paths_count; i++)
        mute_path(client, cfg->mute_target_paths[i].path,
                  cfg->mute_target_paths[i].prefix ?
                  ES_MUTE_PATH_TYPE_TARGET_PREFIX :
                  ES_MUTE_PATH_TYPE_TARGET_LITERAL,
                  "a MuteTargetPaths entry");
}

/*
 * Subscribe to the configured NOTIFY types (never AUTH: those wait for an
 * answer).  If the batch fails - a type this macOS does not know - take
 * them one by one and keep the ones that work.
 */
static enum estel_rc
subscribe(es_client_t *client, const struct estel_config *cfg,
          struct estel_err *err)
{
    es_event_type_t types[ESTEL_EVTYPE_COUNT];
    uint32_t n = 0, ok = 0;

    for (uint32_t t = 0; t < ESTEL_EVTYPE_COUNT; t++) {
        const struct estel_evtype *et = estel_evtype_by_value(t);

        /* by name: the RESERVED_* values are of unknown kind, and an
         * AUTH subscription that is never answered gets estel killed */
        if (et != NULL && strstr(et->es_name, "_NOTIFY_") != NULL &&
            config_event_enabled(cfg, t))
            types[n++] = (es_event_type_t)t;
    }
    if (n == 0)
        return estel_fail(err, ESTEL_E_CONFIG, "es: EventTypes selects no "
                          "NOTIFY event; name at least one, e.g. exec");
    if (es_subscribe(client, types, n) == ES_RETURN_SUCCESS)
        return ESTEL_OK;
    for (uint32_t i = 0; i < n; i++) {
        if (es_subscribe(client, &types[i], 1) == ES_RETURN_SUCCESS)
            ok++;
        else
            log_warnx("es: es_subscribe(%s) failed: this macOS does not "
                      "offer it; continuing without it",
                      estel_evtype_name(types[i]));
    }
    if (ok == 0)
        return estel_fail(err, ESTEL_E_IO, "es: es_subscribe failed for all "
                          "%u configured event types", n);
    return ESTEL_OK;
}

static enum estel_rc
setup_client(struct es_source *s, es_client_t *client,
             struct estel_err *err)
{
    enum estel_rc rc;

    /* mutes first: nothing may arrive before estel is muted */
    if ((rc = mute_self(client, err)) != ESTEL_OK)
        return rc;
    mute_spool(client, s->cfg->spool_dir);
    mute_rules(client, s->cfg);
    return subscribe(client, s->cfg, err);
}

/* ---- source_ops -------------------------------------------------------- */

static enum estel_rc
es_open(void **ctx, const struct estel_config *cfg, const char *input,
        uint64_t count, uint64_t seed, struct estel_err *err)
{
    struct es_source *s;
    enum estel_rc rc;

    (void)input;
    (void)count;
    (void)seed;
    if ((s = calloc(1, sizeof(*s))) == NULL)
        return estel_fail(err, ESTEL_E_NOMEM, "es: out of memory");
    if ((rc = es_conv_create(&s->conv, cfg, err)) != ESTEL_OK) {
        free(s);
        return rc;
    }
    pthread_mutex_init(&s->mu, NULL);
    if (estel_cond_init(&s->cv) != 0) {
        pthread_mutex_destroy(&s->mu);
        es_conv_destroy(&s->conv);
        free(s);
        return estel_fail(err, ESTEL_E_NOMEM, "es: cannot create a "
                          "condition variable");
    }
    s->cfg = cfg;
    s->retry_ms = ES_RETRY_MS_DEFAULT;
    *ctx = s;
    return ESTEL_OK;
}

static void
set_connected(struct es_source *s, bool on)
{
    pthread_mutex_lock(&s->mu);
    s->connected = on;
    pthread_mutex_unlock(&s->mu);
}

static enum estel_rc
es_run(void *ctx, struct collector *c, struct estel_err *err)
{
    struct es_source *s = ctx;
    es_client_t *client = NULL;
    uint32_t retry_ms;
    enum estel_rc rc;

    s->coll = c;
    pthread_mutex_lock(&s->mu);
    retry_ms = s->retry_ms;
    pthread_mutex_unlock(&s->mu);
    while ((rc = connect_client(s, &client, err)) == ESTEL_E_NET)
        if (wait_stop(s, retry_ms))
            return ESTEL_OK;
    if (rc != ESTEL_OK)
        return rc;
    if (s->attempts > 1)
        log_info("es: connected to Endpoint Security after %u attempts",
                 s->attempts);
    if ((rc = setup_client(s, client, err)) == ESTEL_OK) {
        set_connected(s, true);
        (void)wait_stop(s, ES_FOREVER_MS);
        set_connected(s, false);
        /* best effort: the client goes away in the next line anyway */
        (void)es_unsubscribe_all(client);
    }
    if (es_delete_client(client) != ES_RETURN_SUCCESS)
        log_warnx("es: es_delete_client failed; ES resources may leak "
                  "until estel exits");
    return rc;
}

static void
es_stop(void *ctx)
{
    struct es_source *s = ctx;

    pthread_mutex_lock(&s->mu);
    s->stopping = true;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

static void
es_close(void **ctx)
{
    struct es_source *s;

    if (ctx == NULL || (s = *ctx) == NULL)
        return;
    es_conv_destroy(&s->conv);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    free(s);
    *ctx = NULL;
}

void
es_source_set_retry_ms(struct es_source *s, uint32_t ms)
{
    pthread_mutex_lock(&s->mu);
    s->retry_ms = ms > 0 ? ms : 1;
    pthread_mutex_unlock(&s->mu);
}

void
es_source_status(struct es_source *s, struct es_source_status *out)
{
    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&s->mu);
    out->attempts = s->attempts;
    out->last_result = s->last_result;
    out->connected = s->connected;
    out->fatal = s->fatal;
    memcpy(out->last_error, s->last_error, sizeof(out->last_error));
    pthread_mutex_unlock(&s->mu);
    out->handled = atomic_load(&s->handled);
    out->close_unmodified = atomic_load(&s->close_unmodified);
}

const struct source_ops source_es_ops = {
    .name = "es",
    .open = es_open,
    .run = es_run,
    .stop = es_stop,
    .close = es_close,
};
