/*
 * es.h - the Endpoint Security source (library estel_es): the ES client
 * lifecycle behind source_es_ops (collector.h), and the converter that
 * turns one es_message_t into one struct estel_event.
 *
 * Built only with clang (-fblocks): against the macOS SDK on Apple, and
 * against collector/es/compat/ + the fake runtime (collector/es/fake/)
 * elsewhere.  The mapping from ES structs to record payload keys is
 * documented in es_convert.c and docs/es-mapping.md; the eslogger parser
 * produces the same events from eslogger's JSON.
 *
 * On macOS this needs the macOS 26 SDK (the converter names
 * cs_validation_category, detected_executable, signal.instigator and
 * tcc_modify; old kernels simply send lower message versions) and a
 * deployment target of 13.0 (target-path muting of the spool).
 */
#ifndef ESTEL_ES_H
#define ESTEL_ES_H

#include <stdbool.h>
#include <stdint.h>
#include <EndpointSecurity/EndpointSecurity.h>
#include "collector/collector.h"

/* ---- the converter ----------------------------------------------------- */

struct es_conv;

/*
 * Size the converter's scratch from cfg (ArgvMaxCount, CaptureEnvironment).
 * Borrows nothing after the call.  ESTEL_E_NOMEM.
 */
enum estel_rc es_conv_create(struct es_conv **out,
                             const struct estel_config *cfg,
                             struct estel_err *err);
void es_conv_destroy(struct es_conv **cv);

/*
 * Fill ev from msg.  ev borrows msg's strings ((ptr, len), never assumed
 * NUL-terminated) and the converter's arrays: both must outlive the use of
 * ev (encode it before the handler returns).  Fields gated by a message
 * version are read only when msg->version allows; unknown event types get
 * the envelope and the actor only.  Never allocates, never blocks.  One
 * thread at a time per converter.
 */
void es_conv_message(struct es_conv *cv, const es_message_t *msg,
                     struct estel_event *ev);

/* ---- the source -------------------------------------------------------- */

/* Also listed by source_find("es"); its ctx is a struct es_source. */
extern const struct source_ops source_es_ops;

struct es_source;

struct es_source_status {
    uint32_t attempts;              /* es_new_client calls so far */
    int last_result;                /* es_new_client_result_t */
    bool connected;                 /* client live and subscribed */
    bool fatal;                     /* gave up: run() returned the error */
    uint64_t close_unmodified;      /* CLOSE without modification: dropped */
    uint64_t handled;               /* messages seen by the handler */
    char last_error[ESTEL_ERR_MSG_MAX];     /* "" when none */
};

/* Retry interval for the recoverable es_new_client failures (default
 * 30 s).  Call before run(). */
void es_source_set_retry_ms(struct es_source *s, uint32_t ms);
void es_source_status(struct es_source *s, struct es_source_status *out);

/*
 * The handler body: drop a CLOSE without modification, convert msg,
 * record its sequence numbers (drop detection) and emit it into c.  Runs
 * on ES's delivery thread, the collector's only producer.  Never blocks,
 * logs or allocates.
 */
void es_source_handle(struct es_source *s, struct collector *c,
                      const es_message_t *msg);

#endif
