/*
 * test_es_util.h - shared by the ES unit tests (test_es*.c): a converter +
 * encoder fixture, records as JSON, and a walker over a JSON object's
 * top-level keys so tests compare exact, ordered key lists instead of
 * grepping (a "mode" inside a file's stat must not pass for the event's).
 */
#ifndef ESTEL_TEST_ES_UTIL_H
#define ESTEL_TEST_ES_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "collector/collector.h"
#include "collector/es/es.h"
#include "common/buf.h"

#define ESU_MAX_KEYS 64

struct esu_conv {
    struct estel_config cfg;
    struct es_conv *cv;
    struct record_encoder *enc;
    struct estel_event ev;
    struct estel_buf json;
    const uint8_t *rec;             /* the last record (encoder's buffer) */
    size_t rec_len;
};

/* Defaults + the given argv limits and environment capture. */
void esu_conv_init(struct esu_conv *f, uint32_t argv_max_count,
                   uint32_t argv_max_bytes, bool capture_env);
void esu_conv_free(struct esu_conv *f);
/* Convert msg, encode it as record 1, return it as JSON (valid until the
 * next call). */
const char *esu_json(struct esu_conv *f, const es_message_t *msg);
/* Any record as JSON into out (NUL-terminated); returns out->data. */
const char *esu_record_json(const uint8_t *rec, size_t len,
                            struct estel_buf *out);

/* The object that is the value of key in the JSON object at obj, or NULL;
 * returns a pointer to its '{' (or '[' / first char of a scalar). */
const char *esu_member(const char *obj, const char *key);
/* Top-level keys of the object at obj, in order, as "k1,k2,...". */
const char *esu_keys(const char *obj, char *buf, size_t size);

/* Config helpers: the EventTypes bitset and mute lists (test-owned). */
void esu_types_clear(struct estel_config *cfg);
void esu_type_on(struct estel_config *cfg, uint32_t type);

/* Captured log lines (tests link with -Wl,--wrap=estel_log_sink). */
void esu_log_reset(void);
size_t esu_log_count(const char *needle);
const char *esu_log_find(const char *needle);

#endif
