/*
 * fake_es.h - the fake Endpoint Security runtime (Linux, tests, bench).
 *
 * It implements the ES client functions of the compat header
 * (es_new_client ... es_delete_client, mutes, subscriptions, message
 * retain/release, the exec accessors) and lets a test drive them:
 *
 *   - script es_new_client's results (each error code on demand, success
 *     on the Nth attempt);
 *   - read back every client call, in order, with its arguments;
 *   - hand messages to a client: like the kernel, the fake drops what the
 *     client did not subscribe to or muted (process token, executable
 *     path, target paths, inversion), numbers what is left (seq_num per
 *     type, global_seq_num) and delivers it serially to the client's
 *     handler block on the client's own thread.
 *
 * The ES API has no context argument, so the fake keeps one process-wide
 * state (a mutex guards it).  That is the fake's job - it stands in for a
 * kernel service - and no production code links it on macOS.
 */
#ifndef ESTEL_FAKE_ES_H
#define ESTEL_FAKE_ES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <EndpointSecurity/EndpointSecurity.h>

/* ---- es_new_client results ------------------------------------------- */

/* Forget calls, scripted results and counters (not live clients). */
void fake_es_reset(void);
/* The next n es_new_client calls return results[0..n-1] in order (SUCCESS
 * entries create a client), later calls succeed.  Copies results. */
void fake_es_script_new_client(const es_new_client_result_t *results,
                               size_t n);

/* Pretend to be an older macOS: es_subscribe fails (for the whole call)
 * if any type is above max.  ES_EVENT_TYPE_LAST restores the default. */
void fake_es_set_max_event_type(es_event_type_t max);

/* ---- the call log ------------------------------------------------------ */

enum fake_es_call_kind {
    FAKE_ES_NEW_CLIENT = 1,
    FAKE_ES_DELETE_CLIENT,
    FAKE_ES_SUBSCRIBE,
    FAKE_ES_UNSUBSCRIBE,
    FAKE_ES_UNSUBSCRIBE_ALL,
    FAKE_ES_MUTE_PROCESS,
    FAKE_ES_MUTE_PROCESS_EVENTS,
    FAKE_ES_UNMUTE_PROCESS,
    FAKE_ES_MUTE_PATH,
    FAKE_ES_MUTE_PATH_EVENTS,
    FAKE_ES_UNMUTE_PATH,
    FAKE_ES_UNMUTE_ALL_PATHS,
    FAKE_ES_UNMUTE_ALL_TARGET_PATHS,
    FAKE_ES_INVERT_MUTING
};

#define FAKE_ES_PATH_MAX 1024
#define FAKE_ES_EVENTS_MAX 256

struct fake_es_call {
    enum fake_es_call_kind kind;
    int result;                     /* es_return_t / es_new_client_result_t */
    es_client_t *client;
    bool wrong_thread;              /* delete not on the creating thread */
    char path[FAKE_ES_PATH_MAX];    /* mute/unmute path */
    es_mute_path_type_t path_type;
    audit_token_t token;            /* mute/unmute process */
    es_mute_inversion_type_t inversion;
    size_t nevents;                 /* subscribe, *_events */
    es_event_type_t events[FAKE_ES_EVENTS_MAX];
};

size_t fake_es_call_count(void);
/* Copy call i into *out; false if there is no such call. */
bool fake_es_call_get(size_t i, struct fake_es_call *out);
/* Index of the first call of kind at or after from, or -1. */
long fake_es_call_find(enum fake_es_call_kind kind, size_t from);
/* Number of calls of kind. */
size_t fake_es_call_tally(enum fake_es_call_kind kind);

/* ---- driving a client ------------------------------------------------- */

/* Wait for a live client (the newest) up to timeout_ms; NULL on timeout. */
es_client_t *fake_es_wait_client(int64_t timeout_ms);

/*
 * Hand msg to client c as the kernel would (takes the caller's reference:
 * see fake_msg.h).  Filtering and numbering happen now; then the message
 * is queued for the client's thread.  When the queue is full the call
 * waits for room, or, with fake_es_set_overflow_drop(), drops the message
 * the way the kernel does: its sequence numbers are consumed, so the
 * client sees the gap.  Returns true if msg was queued.
 */
bool fake_es_deliver(es_client_t *c, es_message_t *msg);
/* Wait until every queued message was handled; false on timeout. */
bool fake_es_wait_idle(es_client_t *c, int64_t timeout_ms);
/* Consume n sequence numbers of type (and n global ones) without
 * delivering: the kernel dropped n messages. */
void fake_es_drop(es_client_t *c, es_event_type_t type, uint64_t n);
/* Number seq_num/global_seq_num on delivery (default) or keep the
 * builder's values (drop tests). */
void fake_es_set_auto_seq(es_client_t *c, bool on);
void fake_es_set_queue_limit(es_client_t *c, size_t limit);
void fake_es_set_overflow_drop(es_client_t *c, bool on);

struct fake_es_stats {
    uint64_t queued;
    uint64_t delivered;
    uint64_t unsubscribed;          /* not subscribed: not delivered */
    uint64_t muted;                 /* muted: not delivered */
    uint64_t overflow;              /* queue full: dropped */
};
void fake_es_stats(es_client_t *c, struct fake_es_stats *out);

/* The token task_info(TASK_AUDIT_TOKEN) reports for this process. */
void fake_es_self_token(audit_token_t *out);

#endif
