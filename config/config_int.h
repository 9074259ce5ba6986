/*
 * config_int.h - private to config/: the key table with field offsets, the
 * problem reporter, and the value appliers shared by config.c (plist walk,
 * flags), config_keys.c (table, defaults, printing) and config_values.c
 * (one applier per value type).
 */
#ifndef ESTEL_CONFIG_INT_H
#define ESTEL_CONFIG_INT_H

#include <plist/plist.h>

#include "config/config.h"

/* Problems listed per source before the rest are only counted. */
#define CONFIG_REPORT_MAX 50
/* Arrays and dictionaries allowed in one source: libplist frees (and its
 * binary reader parses) recursively, so nesting must stay shallow. */
#define CONFIG_MAX_CONTAINERS 64
#define CONFIG_MAX_ARRAY 1024       /* entries in EventTypes, Mute* */
#define CONFIG_MAX_STRING 4096      /* bytes in any string value */
#define CONFIG_MAX_PATH 1023        /* macOS PATH_MAX - 1 */

/* One problem-collecting pass over a source (a file, a buffer, flags). */
struct config_ctx {
    struct estel_config *cfg;       /* written by appliers; NULL: validate */
    const char *name;               /* source for messages, or NULL */
    bool flag;                      /* a flag: problems go to err and
                                       fixes are flag-shaped */
    enum config_origin origin;
    unsigned errors;
    config_report_fn *report;
    void *report_ctx;
    struct estel_err *err;          /* flags: the first problem lands here */
};

struct config_keydef;
/* Extra checks of a string value; report with config_problem and return
 * false to refuse it. */
typedef bool config_check_fn(struct config_ctx *c,
                             const struct config_keydef *d, const char *s);

struct config_keydef {
    struct config_key key;          /* the public part */
    size_t offset;                  /* field in struct estel_config */
    size_t size;                    /* INTEGER field: 4 or 8 bytes */
    size_t count_offset;            /* MUTES: the _count field */
    bool mask;                      /* URL: hide user:password@ */
    config_check_fn *check;
};

extern const struct config_keydef config_keydefs[];
extern const size_t config_keydefs_count;

/* Report one problem (counted) or warning about key, formatted. */
void config_problem(struct config_ctx *c, const char *key, const char *fmt,
                    ...) ESTEL_PRINTF(3, 4);
void config_warning(struct config_ctx *c, const char *key, const char *fmt,
                    ...) ESTEL_PRINTF(3, 4);

/* Apply one plist value to key index; false after reporting a problem. */
bool config_apply(struct config_ctx *c, size_t index, plist_t node);

/* Fields by key: integers of d->size bytes, strings (strdup'ed copies;
 * NULL unsets; false when out of memory). */
void config_field_set_uint(struct estel_config *cfg,
                           const struct config_keydef *d, uint64_t v);
uint64_t config_field_get_uint(const struct estel_config *cfg,
                               const struct config_keydef *d);
bool config_field_set_string(struct estel_config *cfg,
                             const struct config_keydef *d, const char *s);
const char *config_field_get_string(const struct estel_config *cfg,
                                    const struct config_keydef *d);
void config_mutes_free(struct config_mute **list, size_t *count);

/* Quote s for a message: bounded, control bytes as '?', credentials of a
 * URL masked when mask is true.  Always NUL-terminates buf. */
void config_quote(char *buf, size_t size, const char *s, bool mask);
/* Copy url with "user:password@" replaced by "****@". */
void config_mask_url(char *buf, size_t size, const char *url);

/* Edit distance, case-insensitive, capped at cap + 1. */
size_t config_distance(const char *a, const char *b, size_t cap);

/* String checks used by the table (config_values.c). */
config_check_fn config_check_server_url;
config_check_fn config_check_pin;
config_check_fn config_check_proxy;
config_check_fn config_check_host_id;
config_check_fn config_check_listen;
config_check_fn config_check_address;

#endif
