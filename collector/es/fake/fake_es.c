/*
 * fake_es.c - the fake ES client: es_new_client (with scripted results),
 * es_delete_client, the call log, and delivery.
 *
 * Each client owns a thread that pops queued messages and calls the
 * handler block with one message at a time, in order - the contract ES
 * gives (serial delivery on a runtime-owned queue).  A message is released
 * after the handler returns; a handler that wants it longer retains it.
 * fake_es_deliver() applies the client's subscriptions and mutes and
 * numbers the message before queueing it, as the kernel does when it
 * generates an event, so a muted message never consumes a sequence number
 * and an overflow drop does.
 *
 * Process-wide state (g) exists because the ES API has no context to hang
 * it on; it is guarded by g.mu.  Lock order: never hold g.mu while taking
 * a client's mu.
 */
#include "collector/es/fake/fake_int.h"
#include "collector/es/fake/fake_msg.h"

#include <Block.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CLIENT_MAGIC 0x666b636cu       /* "fkcl" */
#define SCRIPT_MAX 64
#define CALLS_MAX 4096
#define QUEUE_LIMIT 1024

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    es_new_client_result_t script[SCRIPT_MAX];
    size_t nscript;
    size_t script_pos;
    struct fake_es_call *calls;     /* CALLS_MAX entries, lazily */
    size_t ncalls;
    es_client_t *newest;            /* live client, for tests */
    uint32_t max_type;              /* 0: ES_EVENT_TYPE_LAST - 1 */
} g = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER };

static void
abs_deadline(struct timespec *ts, int64_t timeout_ms)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += timeout_ms / 1000;
    ts->tv_nsec += (timeout_ms % 1000) * 1000000;
    if (ts->tv_nsec >= 1000000000) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000;
    }
}

bool
fake_client_ok(const es_client_t *c)
{
    return c != NULL && c->magic == CLIENT_MAGIC;
}

void
fake_call_init(struct fake_es_call *call, enum fake_es_call_kind kind,
               es_client_t *c)
{
    memset(call, 0, sizeof(*call));
    call->kind = kind;
    call->client = c;
}

void
fake_record(const struct fake_es_call *call)
{
    pthread_mutex_lock(&g.mu);
    if (g.calls == NULL)
        g.calls = calloc(CALLS_MAX, sizeof(*g.calls));
    /* a full log keeps its first CALLS_MAX calls: tests look at the
     * start-up order, never at more than a few thousand calls */
    if (g.calls != NULL && g.ncalls < CALLS_MAX)
        g.calls[g.ncalls++] = *call;
    pthread_mutex_unlock(&g.mu);
}

void
fake_es_reset(void)
{
    pthread_mutex_lock(&g.mu);
    g.nscript = g.script_pos = 0;
    g.ncalls = 0;
    g.max_type = 0;
    pthread_mutex_unlock(&g.mu);
}

void
fake_es_set_max_event_type(es_event_type_t max)
{
    pthread_mutex_lock(&g.mu);
    g.max_type = max >= ES_EVENT_TYPE_LAST ? 0 : (uint32_t)max;
    pthread_mutex_unlock(&g.mu);
}

bool
fake_type_supported(uint32_t type)
{
    uint32_t max;

    pthread_mutex_lock(&g.mu);
    max = g.max_type != 0 ? g.max_type : ES_EVENT_TYPE_LAST - 1;
    pthread_mutex_unlock(&g.mu);
    return type <= max;
}

void
fake_es_script_new_client(const es_new_client_result_t *results, size_t n)
{
    pthread_mutex_lock(&g.mu);
    if (n > SCRIPT_MAX)
        n = SCRIPT_MAX;
    memcpy(g.script, results, n * sizeof(*results));
    g.nscript = n;
    g.script_pos = 0;
    pthread_mutex_unlock(&g.mu);
}

size_t
fake_es_call_count(void)
{
    size_t n;

    pthread_mutex_lock(&g.mu);
    n = g.ncalls;
    pthread_mutex_unlock(&g.mu);
    return n;
}

bool
fake_es_call_get(size_t i, struct fake_es_call *out)
{
    bool ok;

    pthread_mutex_lock(&g.mu);
    ok = i < g.ncalls;
    if (ok)
        *out = g.calls[i];
    pthread_mutex_unlock(&g.mu);
    return ok;
}

long
fake_es_call_find(enum fake_es_call_kind kind, size_t from)
{
    long found = -1;

    pthread_mutex_lock(&g.mu);
    for (size_t i = from; i < g.ncalls && found < 0; i++)
        if (g.calls[i].kind == kind)
            found = (long)i;
    pthread_mutex_unlock(&g.mu);
    return found;
}

size_t
fake_es_call_tally(enum fake_es_call_kind kind)
{
    size_t n = 0;

    pthread_mutex_lock(&g.mu);
    for (size_t i = 0; i < g.ncalls; i++)
        if (g.calls[i].kind == kind)
            n++;
    pthread_mutex_unlock(&g.mu);
    return n;
}

es_client_t *
fake_es_wait_client(int64_t timeout_ms)
{
    struct timespec ts;
    es_client_t *c;

    abs_deadline(&ts, timeout_ms);
    pthread_mutex_lock(&g.mu);
    while (g.newest == NULL)
        if (pthread_cond_timedwait(&g.cv, &g.mu, &ts) == ETIMEDOUT)
            break;
    c = g.newest;
    pthread_mutex_unlock(&g.mu);
    return c;
}

/* The client's thread: ES's serial delivery queue. */
static void *
deliver_loop(void *arg)
{
    es_client_t *c = arg;

    pthread_mutex_lock(&c->mu);
    for (;;) {
        struct fake_qnode *n;

        while (c->head == NULL && !c->stopping)
            pthread_cond_wait(&c->work_cv, &c->mu);
        if (c->stopping)
            break;
        n = c->head;
        c->head = n->next;
        if (c->head == NULL)
            c->tail = NULL;
        c->qlen--;
        c->busy = true;
        pthread_cond_signal(&c->room_cv);
        pthread_mutex_unlock(&c->mu);

        c->handler(c, n->msg);
        es_release_message(n->msg);
        free(n);

        pthread_mutex_lock(&c->mu);
        c->busy = false;
        c->stats.delivered++;
        pthread_cond_broadcast(&c->idle_cv);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

static es_client_t *
client_create(es_handler_block_t handler)
{
    es_client_t *c = calloc(1, sizeof(*c));

    if (c == NULL)
        return NULL;
    c->magic = CLIENT_MAGIC;
    c->handler = Block_copy(handler);
    c->creator = pthread_self();
    c->qlimit = QUEUE_LIMIT;
    c->auto_seq = true;
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->work_cv, NULL);
    pthread_cond_init(&c->idle_cv, NULL);
    pthread_cond_init(&c->room_cv, NULL);
    if (pthread_create(&c->thread, NULL, deliver_loop, c) != 0) {
        Block_release(c->handler);
        free(c);
        return NULL;
    }
    return c;
}

es_new_client_result_t
es_new_client(es_client_t **client, es_handler_block_t handler)
{
    es_new_client_result_t rc = ES_NEW_CLIENT_RESULT_SUCCESS;
    struct fake_es_call call;
    es_client_t *c = NULL;

    pthread_mutex_lock(&g.mu);
    if (g.script_pos < g.nscript)
        rc = g.script[g.script_pos++];
    pthread_mutex_unlock(&g.mu);
    if (client == NULL || handler == NULL)
        rc = ES_NEW_CLIENT_RESULT_ERR_INVALID_ARGUMENT;
    if (rc == ES_NEW_CLIENT_RESULT_SUCCESS &&
        (c = client_create(handler)) == NULL)
        rc = ES_NEW_CLIENT_RESULT_ERR_INTERNAL;
    if (client != NULL)
        *client = c;
    fake_call_init(&call, FAKE_ES_NEW_CLIENT, c);
    call.result = rc;
    fake_record(&call);
    if (c != NULL) {
        pthread_mutex_lock(&g.mu);
        g.newest = c;
        pthread_cond_broadcast(&g.cv);
        pthread_mutex_unlock(&g.mu);
    }
    return rc;
}

es_return_t
es_delete_client(es_client_t *c)
{
    struct fake_es_call call;

    fake_call_init(&call, FAKE_ES_DELETE_CLIENT, c);
    if (!fake_client_ok(c)) {
        call.result = ES_RETURN_ERROR;
        fake_record(&call);
        return ES_RETURN_ERROR;
    }
    call.wrong_thread = !pthread_equal(c->creator, pthread_self());
    pthread_mutex_lock(&g.mu);
    if (g.newest == c)
        g.newest = NULL;
    pthread_mutex_unlock(&g.mu);

    pthread_mutex_lock(&c->mu);
    c->stopping = true;
    pthread_cond_broadcast(&c->work_cv);
    pthread_cond_broadcast(&c->room_cv);
    pthread_mutex_unlock(&c->mu);
    pthread_join(c->thread, NULL);
    while (c->head != NULL) {       /* undelivered: gone with the client */
        struct fake_qnode *n = c->head;

        c->head = n->next;
        es_release_message(n->msg);
        free(n);
    }
    fake_mutes_free(c);
    Block_release(c->handler);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->work_cv);
    pthread_cond_destroy(&c->idle_cv);
    pthread_cond_destroy(&c->room_cv);
    c->magic = 0;
    free(c);
    call.result = ES_RETURN_SUCCESS;
    fake_record(&call);
    return ES_RETURN_SUCCESS;
}

/* Kernel-side numbering.  Caller holds c->mu. */
static void
number(es_client_t *c, es_message_t *m)
{
    if (!c->auto_seq)
        return;
    if (m->version >= 2 && (uint32_t)m->event_type < FAKE_TYPES)
        m->seq_num = c->type_seq[m->event_type]++;
    if (m->version >= 4)
        m->global_seq_num = c->global_seq++;
}

static bool
enqueue(es_client_t *c, es_message_t *m)
{
    struct fake_qnode *n = malloc(sizeof(*n));

    if (n == NULL)
        return false;
    n->msg = m;
    n->next = NULL;
    if (c->tail != NULL)
        c->tail->next = n;
    else
        c->head = n;
    c->tail = n;
    c->qlen++;
    c->stats.queued++;
    pthread_cond_signal(&c->work_cv);
    return true;
}

bool
fake_es_deliver(es_client_t *c, es_message_t *m)
{
    bool queued = false;

    if (!fake_client_ok(c)) {
        es_release_message(m);
        return false;
    }
    pthread_mutex_lock(&c->mu);
    if (fake_passes(c, m)) {
        number(c, m);
        while (c->qlen >= c->qlimit && !c->overflow_drop && !c->stopping)
            pthread_cond_wait(&c->room_cv, &c->mu);
        if (c->qlen >= c->qlimit && c->overflow_drop)
            c->stats.overflow++;    /* its numbers are spent: a gap */
        else if (!c->stopping)
            queued = enqueue(c, m);
    }
    pthread_mutex_unlock(&c->mu);
    if (!queued)
        es_release_message(m);
    return queued;
}

bool
fake_es_wait_idle(es_client_t *c, int64_t timeout_ms)
{
    struct timespec ts;
    bool idle;

    if (!fake_client_ok(c))
        return false;
    abs_deadline(&ts, timeout_ms);
    pthread_mutex_lock(&c->mu);
    while (c->qlen > 0 || c->busy)
        if (pthread_cond_timedwait(&c->idle_cv, &c->mu, &ts) == ETIMEDOUT)
            break;
    idle = c->qlen == 0 && !c->busy;
    pthread_mutex_unlock(&c->mu);
    return idle;
}

void
fake_es_drop(es_client_t *c, es_event_type_t type, uint64_t n)
{
    if (!fake_client_ok(c))
        return;
    pthread_mutex_lock(&c->mu);
    if ((uint32_t)type < FAKE_TYPES)
        c->type_seq[type] += n;
    c->global_seq += n;
    pthread_mutex_unlock(&c->mu);
}

void
fake_es_set_auto_seq(es_client_t *c, bool on)
{
    pthread_mutex_lock(&c->mu);
    c->auto_seq = on;
    pthread_mutex_unlock(&c->mu);
}

void
fake_es_set_queue_limit(es_client_t *c, size_t limit)
{
    pthread_mutex_lock(&c->mu);
    c->qlimit = limit > 0 ? limit : 1;
    pthread_cond_broadcast(&c->room_cv);
    pthread_mutex_unlock(&c->mu);
}

void
fake_es_set_overflow_drop(es_client_t *c, bool on)
{
    pthread_mutex_lock(&c->mu);
    c->overflow_drop = on;
    pthread_cond_broadcast(&c->room_cv);
    pthread_mutex_unlock(&c->mu);
}

void
fake_es_stats(es_client_t *c, struct fake_es_stats *out)
{
    pthread_mutex_lock(&c->mu);
    *out = c->stats;
    pthread_mutex_unlock(&c->mu);
}

es_respond_result_t
es_respond_auth_result(es_client_t *client, const es_message_t *message,
                       es_auth_result_t result, bool cache)
{
    (void)client;
    (void)result;
    (void)cache;
    /* the fake only ever sends NOTIFY messages, as ES does to estel */
    return message->action_type == ES_ACTION_TYPE_AUTH ?
        ES_RESPOND_RESULT_SUCCESS : ES_RESPOND_RESULT_ERR_EVENT_TYPE;
}

es_respond_result_t
es_respond_flags_result(es_client_t *client, const es_message_t *message,
                        uint32_t authorized_flags, bool cache)
{
    (void)authorized_flags;
    return es_respond_auth_result(client, message, ES_AUTH_RESULT_ALLOW,
                                  cache);
}

es_clear_cache_result_t
es_clear_cache(es_client_t *client)
{
    return fake_client_ok(client) ? ES_CLEAR_CACHE_RESULT_SUCCESS :
        ES_CLEAR_CACHE_RESULT_ERR_INTERNAL;
}
