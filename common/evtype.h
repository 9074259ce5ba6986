/*
 * evtype.h - names and numbers of Apple's es_event_type_t values.
 *
 * The short name is the es_events_t union member and eslogger's event name
 * ("exec", "btm_launch_item_add").  AUTH and NOTIFY variants share a short
 * name; by_name looks up the NOTIFY one, since estel never subscribes to
 * AUTH events.  Values the table does not know (a newer macOS) are valid
 * events: callers record them generically.
 */
#ifndef ESTEL_EVTYPE_H
#define ESTEL_EVTYPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ESTEL_EVTYPE_COUNT 155      /* 0 .. RESERVED_6 (macOS 26.4) */

struct estel_evtype {
    uint32_t value;
    const char *name;               /* short name, e.g. "exec" */
    const char *es_name;            /* ES_EVENT_TYPE_NOTIFY_EXEC */
    bool notify;
};

const struct estel_evtype *estel_evtype_by_value(uint32_t value);
const struct estel_evtype *estel_evtype_notify_by_name(const char *name,
                                                       size_t len);
const char *estel_evtype_name(uint32_t value);   /* NULL if unknown */

#endif
