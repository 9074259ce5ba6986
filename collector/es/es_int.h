/*
 * es_int.h - private to collector/es/: the converter's state and the
 * helpers the per-family converter files share.
 */
#ifndef ESTEL_ES_INT_H
#define ESTEL_ES_INT_H

#include "collector/es/es.h"

struct es_conv {
    size_t strs_cap;                /* ArgvMaxCount: items kept per list */
    bool capture_env;
    struct ev_str *strs;            /* exec args / su argv */
    struct ev_str *env;             /* exec env (CaptureEnvironment) */
};

/* An ES string as a borrowed (ptr, len); {NULL, 0} when ES sent none. */
static inline struct ev_str
es_str(es_string_token_t t)
{
    struct ev_str s;

    s.ptr = t.data;
    s.len = t.data != NULL ? t.length : 0;
    return s;
}

/* es_convert.c */
void es_fill_file(struct ev_file *dst, const es_file_t *f);
void es_fill_process(struct ev_process *dst, const es_process_t *p,
                     uint32_t version);
/* Add a payload field from an ES object; a NULL object adds nothing. */
void es_put_file(struct estel_event *ev, const char *key,
                 const es_file_t *f);
void es_put_proc(struct estel_event *ev, const char *key,
                 const es_process_t *p, uint32_t version);
void es_put_str(struct estel_event *ev, const char *key,
                es_string_token_t t);
/* A char array of a fixed size (statfs names): up to its first NUL. */
void es_put_chars(struct estel_event *ev, const char *key, const char *p,
                  size_t size);
/* A list of n ES strings, keeping the first cv->strs_cap in buf. */
void es_put_strv(struct es_conv *cv, struct estel_event *ev,
                 const char *key, const es_string_token_t *v, size_t n);

/* One family each; false if the type is not theirs. */
bool es_conv_proc_event(struct es_conv *cv, const es_message_t *msg,
                        struct estel_event *ev);
bool es_conv_file_event(struct es_conv *cv, const es_message_t *msg,
                        struct estel_event *ev);
bool es_conv_user_event(struct es_conv *cv, const es_message_t *msg,
                        struct estel_event *ev);

#endif
