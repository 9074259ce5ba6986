/*
 * fake_int.h - private to collector/es/fake/: the fake client's state,
 * shared by the lifecycle/delivery code (fake_es.c) and the subscription
 * and mute code (fake_mute.c).
 */
#ifndef ESTEL_FAKE_INT_H
#define ESTEL_FAKE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include "collector/es/fake/fake_es.h"

#define FAKE_TYPES 1024             /* event types the fake can track */
#define FAKE_TYPE_WORDS (FAKE_TYPES / 64)

struct fake_type_set {
    uint64_t bits[FAKE_TYPE_WORDS];
};

struct fake_token_mute {
    audit_token_t token;
    bool all;                       /* every event type, else only set */
    struct fake_type_set set;
};

struct fake_path_mute {
    es_mute_path_type_t type;
    char *path;
    size_t len;
    bool all;
    struct fake_type_set set;
};

struct fake_qnode {
    es_message_t *msg;
    struct fake_qnode *next;
};

struct es_client_s {
    uint32_t magic;
    es_handler_block_t handler;
    pthread_t creator;              /* es_delete_client must run here */
    pthread_t thread;               /* delivers, like ES's queue */
    pthread_mutex_t mu;             /* guards everything below */
    pthread_cond_t work_cv;
    pthread_cond_t idle_cv;
    pthread_cond_t room_cv;
    struct fake_qnode *head, *tail;
    size_t qlen;
    size_t qlimit;
    bool stopping;
    bool busy;
    bool auto_seq;
    bool overflow_drop;
    struct fake_type_set subscribed;
    uint64_t type_seq[FAKE_TYPES];
    uint64_t global_seq;
    struct fake_token_mute *tmutes;
    size_t ntmutes, tmutes_cap;
    struct fake_path_mute *pmutes;
    size_t npmutes, pmutes_cap;
    bool inverted[ES_MUTE_INVERSION_TYPE_LAST];
    struct fake_es_stats stats;
};

/* fake_es.c */
bool fake_client_ok(const es_client_t *c);
/* Does the pretended macOS know this event type? */
bool fake_type_supported(uint32_t type);
void fake_record(const struct fake_es_call *call);
void fake_call_init(struct fake_es_call *call, enum fake_es_call_kind kind,
                    es_client_t *c);

/* fake_mute.c */
bool fake_type_has(const struct fake_type_set *s, uint32_t type);
void fake_type_add(struct fake_type_set *s, uint32_t type);
/* Would the kernel deliver m to c?  Caller holds c->mu.  Counts why not. */
bool fake_passes(es_client_t *c, const es_message_t *m);
void fake_mutes_free(es_client_t *c);

/* fake_msg_events13.c: payloads of the macOS 13+ userspace events; false
 * if type is not one of them. */
bool fake_msg_build_user(es_message_t *m, es_event_type_t type);

#endif
