/*
 * test_es_util.c - helpers shared by the ES unit tests; see the header.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/log.h"
#include "tests/unit/test_es_util.h"

static const struct record_identity esu_ident = { "hostA", "boot1" };

void
esu_conv_init(struct esu_conv *f, uint32_t argv_max_count,
              uint32_t argv_max_bytes, bool capture_env)
{
    struct record_limits lim = { argv_max_bytes, argv_max_count,
                                 capture_env };

    memset(f, 0, sizeof(*f));
    assert_int_equal(config_defaults(&f->cfg, NULL), ESTEL_OK);
    f->cfg.argv_max_count = argv_max_count;
    f->cfg.argv_max_bytes = argv_max_bytes;
    f->cfg.capture_environment = capture_env;
    assert_int_equal(es_conv_create(&f->cv, &f->cfg, NULL), ESTEL_OK);
    assert_int_equal(record_encoder_create(&f->enc, &esu_ident, &lim, NULL),
                     ESTEL_OK);
    buf_init(&f->json, 0);
}

void
esu_conv_free(struct esu_conv *f)
{
    es_conv_destroy(&f->cv);
    record_encoder_destroy(&f->enc);
    buf_free(&f->json);
    config_free(&f->cfg);
}

const char *
esu_record_json(const uint8_t *rec, size_t len, struct estel_buf *out)
{
    size_t used = 0;

    buf_clear(out);
    assert_int_equal(record_to_json(rec, len, out, &used, NULL), ESTEL_OK);
    assert_int_equal(used, len);
    assert_int_equal(buf_terminate(out), ESTEL_OK);
    return out->data;
}

const char *
esu_json(struct esu_conv *f, const es_message_t *msg)
{
    es_conv_message(f->cv, msg, &f->ev);
    assert_int_equal(record_encode_event(f->enc, &f->ev, 1, &f->rec,
                                         &f->rec_len), ESTEL_OK);
    return esu_record_json(f->rec, f->rec_len, &f->json);
}

/* ---- a tiny walker over JSON text -------------------------------------- */

static const char *
skip_string(const char *p)
{
    for (p++; *p != '\0' && *p != '"'; p++)
        if (*p == '\\' && p[1] != '\0')
            p++;
    return *p == '"' ? p + 1 : p;
}

static const char *
skip_value(const char *p)
{
    int depth = 0;

    for (;;) {
        if (*p == '\0')
            return p;
        if (*p == '"') {
            p = skip_string(p);
            if (depth == 0)
                return p;
            continue;
        }
        if (*p == '{' || *p == '[') {
            depth++;
        } else if (*p == '}' || *p == ']') {
            if (depth == 0)
                return p;
            if (--depth == 0)
                return p + 1;
        } else if (*p == ',' && depth == 0) {
            return p;
        }
        p++;
    }
}

/* Walk the top-level members of the object at obj: list their keys into
 * keys, and return the value of want if it is one of them. */
static const char *
walk(const char *obj, const char *want, char *keys, size_t size)
{
    const char *p = obj;
    size_t n = 0;

    if (keys != NULL && size > 0)
        keys[0] = '\0';
    if (p == NULL || *p != '{')
        return NULL;
    for (p++; *p == '"';) {
        const char *k = p + 1, *end = skip_string(p);
        size_t klen = (size_t)(end - k - 1);

        if (keys != NULL)
            n += (size_t)snprintf(keys + n, n < size ? size - n : 0, "%s%.*s",
                                  n > 0 ? "," : "", (int)klen, k);
        p = end + 1;            /* past ':' */
        if (want != NULL && strlen(want) == klen &&
            memcmp(want, k, klen) == 0)
            return p;
        p = skip_value(p);
        if (*p == ',')
            p++;
    }
    return NULL;
}

const char *
esu_member(const char *obj, const char *key)
{
    return walk(obj, key, NULL, 0);
}

const char *
esu_keys(const char *obj, char *buf, size_t size)
{
    (void)walk(obj, NULL, buf, size);
    return buf;
}

void
esu_types_clear(struct estel_config *cfg)
{
    memset(cfg->event_types, 0, sizeof(cfg->event_types));
}

void
esu_type_on(struct estel_config *cfg, uint32_t type)
{
    cfg->event_types[type / 8] |= (uint8_t)(1u << (type % 8));
}

/* ---- log capture ------------------------------------------------------- */

#define LOG_LINES 256

static struct {
    pthread_mutex_t mu;
    char lines[LOG_LINES][1024];
    size_t n;
} logcap = { PTHREAD_MUTEX_INITIALIZER };

void __wrap_estel_log_sink(enum log_level level, const char *line);

void
__wrap_estel_log_sink(enum log_level level, const char *line)
{
    (void)level;
    pthread_mutex_lock(&logcap.mu);
    if (logcap.n < LOG_LINES)
        snprintf(logcap.lines[logcap.n++], sizeof(logcap.lines[0]), "%s",
                 line);
    pthread_mutex_unlock(&logcap.mu);
}

void
esu_log_reset(void)
{
    pthread_mutex_lock(&logcap.mu);
    logcap.n = 0;
    pthread_mutex_unlock(&logcap.mu);
}

size_t
esu_log_count(const char *needle)
{
    size_t c = 0;

    pthread_mutex_lock(&logcap.mu);
    for (size_t i = 0; i < logcap.n; i++)
        if (strstr(logcap.lines[i], needle) != NULL)
            c++;
    pthread_mutex_unlock(&logcap.mu);
    return c;
}

const char *
esu_log_find(const char *needle)
{
    const char *found = NULL;

    pthread_mutex_lock(&logcap.mu);
    for (size_t i = 0; i < logcap.n && found == NULL; i++)
        if (strstr(logcap.lines[i], needle) != NULL)
            found = logcap.lines[i];
    pthread_mutex_unlock(&logcap.mu);
    return found;
}
