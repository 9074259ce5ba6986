/*
 * fake_mute.c - subscriptions and muting for the fake ES client, and the
 * kernel's decision whether a message reaches the client:
 *
 *   subscribed? -> process token mute -> executable path mute (PREFIX /
 *   LITERAL) -> target path mute (TARGET_*) -> deliver
 *
 * Each dimension may be inverted (es_invert_muting): then it selects
 * instead of suppresses.  A multi-path event is suppressed by target
 * muting only when all its paths are muted, and selected by inverted
 * target muting when any is (ESClient.h).  Events without target paths
 * ignore the target dimension.  The default mute set is not modelled.
 */
#include "collector/es/fake/fake_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TARGETS_MAX 4

struct target_paths {
    size_t n;
    const char *p[TARGETS_MAX];
    size_t len[TARGETS_MAX];
    char join[TARGETS_MAX][2 * FAKE_ES_PATH_MAX];
};

bool
fake_type_has(const struct fake_type_set *s, uint32_t type)
{
    return type < FAKE_TYPES &&
           (s->bits[type / 64] & ((uint64_t)1 << (type % 64))) != 0;
}

void
fake_type_add(struct fake_type_set *s, uint32_t type)
{
    if (type < FAKE_TYPES)
        s->bits[type / 64] |= (uint64_t)1 << (type % 64);
}

static void
fake_type_del(struct fake_type_set *s, uint32_t type)
{
    if (type < FAKE_TYPES)
        s->bits[type / 64] &= ~((uint64_t)1 << (type % 64));
}

static void
call_events(struct fake_es_call *call, const es_event_type_t *events,
            size_t n)
{
    call->nevents = n;
    for (size_t i = 0; i < n && i < FAKE_ES_EVENTS_MAX; i++)
        call->events[i] = events[i];
}

/* ---- subscriptions ----------------------------------------------------- */

static es_return_t
subscription(es_client_t *c, const es_event_type_t *events, uint32_t n,
             bool add, enum fake_es_call_kind kind)
{
    struct fake_es_call call;
    es_return_t rc = ES_RETURN_SUCCESS;

    fake_call_init(&call, kind, c);
    if (!fake_client_ok(c) || events == NULL || n == 0)
        rc = ES_RETURN_ERROR;
    else {
        call_events(&call, events, n);
        for (uint32_t i = 0; i < n; i++)
            if (!fake_type_supported((uint32_t)events[i]))
                rc = ES_RETURN_ERROR;   /* ES refuses the whole call */
        pthread_mutex_lock(&c->mu);
        for (uint32_t i = 0; i < n && rc == ES_RETURN_SUCCESS; i++) {
            if (add)
                fake_type_add(&c->subscribed, events[i]);
            else
                fake_type_del(&c->subscribed, events[i]);
        }
        pthread_mutex_unlock(&c->mu);
    }
    call.result = rc;
    fake_record(&call);
    return rc;
}

es_return_t
es_subscribe(es_client_t *c, const es_event_type_t *events, uint32_t n)
{
    return subscription(c, events, n, true, FAKE_ES_SUBSCRIBE);
}

es_return_t
es_unsubscribe(es_client_t *c, const es_event_type_t *events, uint32_t n)
{
    return subscription(c, events, n, false, FAKE_ES_UNSUBSCRIBE);
}

es_return_t
es_unsubscribe_all(es_client_t *c)
{
    struct fake_es_call call;

    fake_call_init(&call, FAKE_ES_UNSUBSCRIBE_ALL, c);
    call.result = fake_client_ok(c) ? ES_RETURN_SUCCESS : ES_RETURN_ERROR;
    if (call.result == ES_RETURN_SUCCESS) {
        pthread_mutex_lock(&c->mu);
        memset(&c->subscribed, 0, sizeof(c->subscribed));
        pthread_mutex_unlock(&c->mu);
    }
    fake_record(&call);
    return call.result;
}

es_return_t
es_subscriptions(es_client_t *c, size_t *count, es_event_type_t **out)
{
    es_event_type_t *v;
    size_t n = 0;

    if (!fake_client_ok(c) || count == NULL || out == NULL)
        return ES_RETURN_ERROR;
    if ((v = calloc(FAKE_TYPES, sizeof(*v))) == NULL)
        return ES_RETURN_ERROR;
    pthread_mutex_lock(&c->mu);
    for (uint32_t t = 0; t < FAKE_TYPES; t++)
        if (fake_type_has(&c->subscribed, t))
            v[n++] = (es_event_type_t)t;
    pthread_mutex_unlock(&c->mu);
    *count = n;
    *out = v;
    return ES_RETURN_SUCCESS;
}

/* ---- process mutes ----------------------------------------------------- */

static bool
token_eq(const audit_token_t *a, const audit_token_t *b)
{
    return memcmp(a, b, sizeof(*a)) == 0;
}

static es_return_t
mute_token(es_client_t *c, const audit_token_t *tok,
           const es_event_type_t *events, size_t n, bool all)
{
    struct fake_token_mute *m = NULL;

    for (size_t i = 0; i < c->ntmutes && m == NULL; i++)
        if (token_eq(&c->tmutes[i].token, tok))
            m = &c->tmutes[i];
    if (m == NULL) {
        if (c->ntmutes == c->tmutes_cap) {
            size_t cap = c->tmutes_cap == 0 ? 8 : c->tmutes_cap * 2;
            void *nv = realloc(c->tmutes, cap * sizeof(*c->tmutes));

            if (nv == NULL)
                return ES_RETURN_ERROR;
            c->tmutes = nv;
            c->tmutes_cap = cap;
        }
        m = &c->tmutes[c->ntmutes++];
        memset(m, 0, sizeof(*m));
        m->token = *tok;
    }
    m->all = m->all || all;
    for (size_t i = 0; i < n; i++)
        fake_type_add(&m->set, events[i]);
    return ES_RETURN_SUCCESS;
}

static es_return_t
process_mute(es_client_t *c, const audit_token_t *tok,
             const es_event_type_t *events, size_t n, bool mute,
             enum fake_es_call_kind kind)
{
    struct fake_es_call call;
    es_return_t rc = ES_RETURN_ERROR;

    fake_call_init(&call, kind, c);
    if (tok != NULL)
        call.token = *tok;
    call_events(&call, events, n);
    if (fake_client_ok(c) && tok != NULL) {
        pthread_mutex_lock(&c->mu);
        if (mute)
            rc = mute_token(c, tok, events, n, events == NULL);
        else {
            rc = ES_RETURN_SUCCESS;
            for (size_t i = 0; i < c->ntmutes; i++)
                if (token_eq(&c->tmutes[i].token, tok))
                    c->tmutes[i] = c->tmutes[--c->ntmutes];
        }
        pthread_mutex_unlock(&c->mu);
    }
    call.result = rc;
    fake_record(&call);
    return rc;
}

es_return_t
es_mute_process(es_client_t *c, const audit_token_t *tok)
{
    return process_mute(c, tok, NULL, 0, true, FAKE_ES_MUTE_PROCESS);
}

es_return_t
es_mute_process_events(es_client_t *c, const audit_token_t *tok,
                       const es_event_type_t *events, size_t n)
{
    if (events == NULL || n == 0)
        return ES_RETURN_ERROR;
    return process_mute(c, tok, events, n, true,
                        FAKE_ES_MUTE_PROCESS_EVENTS);
}

es_return_t
es_unmute_process(es_client_t *c, const audit_token_t *tok)
{
    return process_mute(c, tok, NULL, 0, false, FAKE_ES_UNMUTE_PROCESS);
}

es_return_t
es_unmute_process_events(es_client_t *c, const audit_token_t *tok,
                         const es_event_type_t *events, size_t n)
{
    /* per-type unmute is recorded and treated as a full unmute */
    return process_mute(c, tok, events, n, false, FAKE_ES_UNMUTE_PROCESS);
}

/* ---- path mutes -------------------------------------------------------- */

static es_return_t
add_path_mute(es_client_t *c, const char *path, es_mute_path_type_t type,
              const es_event_type_t *events, size_t n)
{
    struct fake_path_mute *m;

    if (c->npmutes == c->pmutes_cap) {
        size_t cap = c->pmutes_cap == 0 ? 8 : c->pmutes_cap * 2;
        void *nv = realloc(c->pmutes, cap * sizeof(*c->pmutes));

        if (nv == NULL)
            return ES_RETURN_ERROR;
        c->pmutes = nv;
        c->pmutes_cap = cap;
    }
    m = &c->pmutes[c->npmutes];
    memset(m, 0, sizeof(*m));
    if ((m->path = strdup(path)) == NULL)
        return ES_RETURN_ERROR;
    m->len = strlen(path);
    m->type = type;
    m->all = events == NULL;
    for (size_t i = 0; i < n; i++)
        fake_type_add(&m->set, events[i]);
    c->npmutes++;
    return ES_RETURN_SUCCESS;
}

static es_return_t
path_mute(es_client_t *c, const char *path, es_mute_path_type_t type,
          const es_event_type_t *events, size_t n,
          enum fake_es_call_kind kind)
{
    struct fake_es_call call;
    es_return_t rc = ES_RETURN_ERROR;

    fake_call_init(&call, kind, c);
    call.path_type = type;
    call_events(&call, events, n);
    if (path != NULL)
        snprintf(call.path, sizeof(call.path), "%s", path);
    if (fake_client_ok(c) && path != NULL &&
        type <= ES_MUTE_PATH_TYPE_TARGET_LITERAL) {
        pthread_mutex_lock(&c->mu);
        rc = add_path_mute(c, path, type, events, n);
        pthread_mutex_unlock(&c->mu);
    }
    call.result = rc;
    fake_record(&call);
    return rc;
}

es_return_t
es_mute_path(es_client_t *c, const char *path, es_mute_path_type_t type)
{
    return path_mute(c, path, type, NULL, 0, FAKE_ES_MUTE_PATH);
}

es_return_t
es_mute_path_events(es_client_t *c, const char *path,
                    es_mute_path_type_t type, const es_event_type_t *events,
                    size_t n)
{
    if (events == NULL || n == 0)
        return ES_RETURN_ERROR;
    return path_mute(c, path, type, events, n, FAKE_ES_MUTE_PATH_EVENTS);
}

es_return_t
es_mute_path_prefix(es_client_t *c, const char *path)
{
    return es_mute_path(c, path, ES_MUTE_PATH_TYPE_PREFIX);
}

es_return_t
es_mute_path_literal(es_client_t *c, const char *path)
{
    return es_mute_path(c, path, ES_MUTE_PATH_TYPE_LITERAL);
}

/* Remove path mutes matching pred; caller holds c->mu. */
static void
remove_paths(es_client_t *c, const char *path, int type_or_class)
{
    size_t k = 0;

    for (size_t i = 0; i < c->npmutes; i++) {
        struct fake_path_mute *m = &c->pmutes[i];
        bool target = m->type >= ES_MUTE_PATH_TYPE_TARGET_PREFIX;
        bool drop = path != NULL ?
            ((int)m->type == type_or_class && strcmp(m->path, path) == 0) :
            (type_or_class == 1) == target;

        if (drop)
            free(m->path);
        else
            c->pmutes[k++] = *m;
    }
    c->npmutes = k;
}

static es_return_t
path_unmute(es_client_t *c, const char *path, int type_or_class,
            enum fake_es_call_kind kind)
{
    struct fake_es_call call;

    fake_call_init(&call, kind, c);
    if (path != NULL) {
        snprintf(call.path, sizeof(call.path), "%s", path);
        call.path_type = (es_mute_path_type_t)type_or_class;
    }
    call.result = fake_client_ok(c) ? ES_RETURN_SUCCESS : ES_RETURN_ERROR;
    if (call.result == ES_RETURN_SUCCESS) {
        pthread_mutex_lock(&c->mu);
        remove_paths(c, path, type_or_class);
        pthread_mutex_unlock(&c->mu);
    }
    fake_record(&call);
    return call.result;
}

es_return_t
es_unmute_path(es_client_t *c, const char *path, es_mute_path_type_t type)
{
    if (path == NULL)
        return ES_RETURN_ERROR;
    return path_unmute(c, path, (int)type, FAKE_ES_UNMUTE_PATH);
}

es_return_t
es_unmute_path_events(es_client_t *c, const char *path,
                      es_mute_path_type_t type, const es_event_type_t *ev,
                      size_t n)
{
    (void)ev;       /* recorded as a whole-path unmute */
    (void)n;
    return es_unmute_path(c, path, type);
}

es_return_t
es_unmute_all_paths(es_client_t *c)
{
    return path_unmute(c, NULL, 0, FAKE_ES_UNMUTE_ALL_PATHS);
}

es_return_t
es_unmute_all_target_paths(es_client_t *c)
{
    return path_unmute(c, NULL, 1, FAKE_ES_UNMUTE_ALL_TARGET_PATHS);
}

es_return_t
es_invert_muting(es_client_t *c, es_mute_inversion_type_t type)
{
    struct fake_es_call call;

    fake_call_init(&call, FAKE_ES_INVERT_MUTING, c);
    call.inversion = type;
    call.result = fake_client_ok(c) && type < ES_MUTE_INVERSION_TYPE_LAST ?
        ES_RETURN_SUCCESS : ES_RETURN_ERROR;
    if (call.result == ES_RETURN_SUCCESS) {
        pthread_mutex_lock(&c->mu);
        c->inverted[type] = !c->inverted[type];
        pthread_mutex_unlock(&c->mu);
    }
    fake_record(&call);
    return call.result;
}

es_mute_inverted_return_t
es_muting_inverted(es_client_t *c, es_mute_inversion_type_t type)
{
    bool inv;

    if (!fake_client_ok(c) || type >= ES_MUTE_INVERSION_TYPE_LAST)
        return ES_MUTE_INVERTED_ERROR;
    pthread_mutex_lock(&c->mu);
    inv = c->inverted[type];
    pthread_mutex_unlock(&c->mu);
    return inv ? ES_MUTE_INVERTED : ES_MUTE_NOT_INVERTED;
}

void
fake_mutes_free(es_client_t *c)
{
    for (size_t i = 0; i < c->npmutes; i++)
        free(c->pmutes[i].path);
    free(c->pmutes);
    free(c->tmutes);
    c->pmutes = NULL;
    c->tmutes = NULL;
    c->npmutes = c->ntmutes = 0;
}

/* ---- the delivery decision --------------------------------------------- */

static void
add_target(struct target_paths *t, const es_file_t *f)
{
    if (f != NULL && t->n < TARGETS_MAX) {
        t->p[t->n] = f->path.data;
        t->len[t->n] = f->path.data != NULL ? f->path.length : 0;
        t->n++;
    }
}

static void
add_joined(struct target_paths *t, const es_file_t *dir,
           es_string_token_t name)
{
    char *buf;
    size_t n;

    if (dir == NULL || dir->path.data == NULL || t->n >= TARGETS_MAX)
        return;
    buf = t->join[t->n];
    n = dir->path.length < FAKE_ES_PATH_MAX ? dir->path.length :
        FAKE_ES_PATH_MAX;
    memcpy(buf, dir->path.data, n);
    if (n == 0 || buf[n - 1] != '/')
        buf[n++] = '/';
    if (name.data != NULL && name.length < FAKE_ES_PATH_MAX) {
        memcpy(buf + n, name.data, name.length);
        n += name.length;
    }
    t->p[t->n] = buf;
    t->len[t->n] = n;
    t->n++;
}

/* The single-file events that support target muting. */
static const es_file_t *
single_target(const es_message_t *m)
{
    const es_events_t *e = &m->event;

    switch (m->event_type) {
    case ES_EVENT_TYPE_NOTIFY_EXEC:
        return e->exec.target->executable;
    case ES_EVENT_TYPE_NOTIFY_OPEN:
        return e->open.file;
    case ES_EVENT_TYPE_NOTIFY_CLOSE:
        return e->close.target;
    case ES_EVENT_TYPE_NOTIFY_MMAP:
        return e->mmap.source;
    case ES_EVENT_TYPE_NOTIFY_SIGNAL:
        return e->signal.target->executable;
    case ES_EVENT_TYPE_NOTIFY_SETFLAGS:
        return e->setflags.target;
    case ES_EVENT_TYPE_NOTIFY_SETMODE:
        return e->setmode.target;
    case ES_EVENT_TYPE_NOTIFY_SETOWNER:
        return e->setowner.target;
    case ES_EVENT_TYPE_NOTIFY_UNLINK:
    case ES_EVENT_TYPE_NOTIFY_WRITE:
    case ES_EVENT_TYPE_NOTIFY_TRUNCATE:
    case ES_EVENT_TYPE_NOTIFY_SETEXTATTR:
    case ES_EVENT_TYPE_NOTIFY_CHDIR:
    case ES_EVENT_TYPE_NOTIFY_STAT:
        /* these payloads all start with es_file_t *target */
        return e->write.target;
    default:
        return NULL;
    }
}

static void
targets_of(const es_message_t *m, struct target_paths *t)
{
    const es_events_t *e = &m->event;

    t->n = 0;
    switch (m->event_type) {
    case ES_EVENT_TYPE_NOTIFY_CREATE:
        if (e->create.destination_type == ES_DESTINATION_TYPE_EXISTING_FILE)
            add_target(t, e->create.destination.existing_file);
        else
            add_joined(t, e->create.destination.new_path.dir,
                       e->create.destination.new_path.filename);
        break;
    case ES_EVENT_TYPE_NOTIFY_RENAME:
        add_target(t, e->rename.source);
        if (e->rename.destination_type == ES_DESTINATION_TYPE_EXISTING_FILE)
            add_target(t, e->rename.destination.existing_file);
        else
            add_joined(t, e->rename.destination.new_path.dir,
                       e->rename.destination.new_path.filename);
        break;
    case ES_EVENT_TYPE_NOTIFY_LINK:
        add_target(t, e->link.source);
        add_joined(t, e->link.target_dir, e->link.target_filename);
        break;
    default:
        add_target(t, single_target(m));
        break;
    }
}

static bool
path_matches(const struct fake_path_mute *mu, const char *p, size_t n)
{
    bool prefix = mu->type == ES_MUTE_PATH_TYPE_PREFIX ||
                  mu->type == ES_MUTE_PATH_TYPE_TARGET_PREFIX;

    if (p == NULL)
        return false;
    if (prefix)
        return n >= mu->len && memcmp(p, mu->path, mu->len) == 0;
    return n == mu->len && memcmp(p, mu->path, n) == 0;
}

/* Is path p muted for this event by a mute of the given class? */
static bool
path_muted(const es_client_t *c, uint32_t type, bool target, const char *p,
           size_t n)
{
    for (size_t i = 0; i < c->npmutes; i++) {
        const struct fake_path_mute *mu = &c->pmutes[i];
        bool is_target = mu->type >= ES_MUTE_PATH_TYPE_TARGET_PREFIX;

        if (is_target == target && (mu->all || fake_type_has(&mu->set, type))
            && path_matches(mu, p, n))
            return true;
    }
    return false;
}

static bool
process_muted(const es_client_t *c, const es_message_t *m)
{
    for (size_t i = 0; i < c->ntmutes; i++)
        if (token_eq(&c->tmutes[i].token, &m->process->audit_token) &&
            (c->tmutes[i].all ||
             fake_type_has(&c->tmutes[i].set, m->event_type)))
            return true;
    return false;
}

static bool
target_suppressed(const es_client_t *c, const es_message_t *m)
{
    struct target_paths t;
    size_t nmuted = 0;

    targets_of(m, &t);
    if (t.n == 0)
        return false;
    for (size_t i = 0; i < t.n; i++)
        if (path_muted(c, m->event_type, true, t.p[i], t.len[i]))
            nmuted++;
    if (c->inverted[ES_MUTE_INVERSION_TYPE_TARGET_PATH])
        return nmuted == 0;
    return nmuted == t.n;
}

bool
fake_passes(es_client_t *c, const es_message_t *m)
{
    const es_file_t *exe = m->process->executable;
    bool muted;

    if (!fake_type_has(&c->subscribed, m->event_type)) {
        c->stats.unsubscribed++;
        return false;
    }
    muted = process_muted(c, m) != c->inverted[ES_MUTE_INVERSION_TYPE_PROCESS];
    if (!muted)
        muted = path_muted(c, m->event_type, false, exe->path.data,
                           exe->path.length) !=
                c->inverted[ES_MUTE_INVERSION_TYPE_PATH];
    if (!muted)
        muted = target_suppressed(c, m);
    if (muted)
        c->stats.muted++;
    return !muted;
}
