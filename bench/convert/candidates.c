/*
 * candidates.c - the C JSON parsers weighed for the eslogger hot path:
 * jsmn (a tokenizer; strict mode with parent links, its best settings)
 * and yajl (SAX callbacks); json-c and jansson (DOM trees) have files of
 * their own.  Each parses one line and, where the library is lazy, touches
 * every value.
 */
#include "candidates.h"

#include <stdint.h>
#include <stdlib.h>

#ifdef HAVE_JSMN
#define JSMN_STATIC
#define JSMN_STRICT
#define JSMN_PARENT_LINKS
#include <jsmn.h>
#endif

#ifdef HAVE_YAJL
#include <yajl/yajl_parse.h>
#endif

/* ---- jsmn ---------------------------------------------------------------- */

#ifdef HAVE_JSMN
#define JSMN_TOKENS 65536               /* a 5 KB line has < 1000 */

struct jsmn_state {
    jsmntok_t *toks;
    unsigned ntoks;
};

static void *
jsmn_create(size_t max_line)
{
    struct jsmn_state *s = calloc(1, sizeof(*s));

    (void)max_line;
    if (s == NULL)
        return NULL;
    s->ntoks = JSMN_TOKENS;
    if ((s->toks = calloc(s->ntoks, sizeof(*s->toks))) == NULL) {
        free(s);
        return NULL;
    }
    return s;
}

static int
jsmn_run(void *state, const char *line, size_t len)
{
    struct jsmn_state *s = state;
    jsmn_parser p;

    jsmn_init(&p);
    return jsmn_parse(&p, line, len, s->toks, s->ntoks) > 0 ? 0 : -1;
}

static void
jsmn_destroy(void *state)
{
    struct jsmn_state *s = state;

    free(s->toks);
    free(s);
}

static const struct candidate cand_jsmn = {
    "jsmn 1.1.0", "tokenizer; does not check numbers, UTF-8, commas",
    jsmn_create, jsmn_run, jsmn_destroy, NULL
};
#endif

/* ---- yajl ---------------------------------------------------------------- */

#ifdef HAVE_YAJL
static int
y_null(void *ctx)
{
    (*(uint64_t *)ctx)++;
    return 1;
}

static int
y_bool(void *ctx, int b)
{
    (*(uint64_t *)ctx) += (unsigned)b;
    return 1;
}

static int
y_number(void *ctx, const char *s, size_t n)
{
    (void)s;
    (*(uint64_t *)ctx) += n;
    return 1;
}

static int
y_string(void *ctx, const unsigned char *s, size_t n)
{
    (void)s;
    (*(uint64_t *)ctx) += n;
    return 1;
}

static int
y_mark(void *ctx)
{
    (*(uint64_t *)ctx)++;
    return 1;
}

static const yajl_callbacks ycb = {
    y_null, y_bool, NULL, NULL, y_number, y_string, y_mark, y_string,
    y_mark, y_mark, y_mark
};

static void *
yajl_create(size_t max_line)
{
    (void)max_line;
    return calloc(1, sizeof(uint64_t));
}

/* yajl cannot be reset after an error: one handle per line, as estel
 * would have to do. */
static int
yajl_run(void *state, const char *line, size_t len)
{
    yajl_handle h = yajl_alloc(&ycb, NULL, state);
    int rc = -1;

    if (h == NULL)
        return -1;
    if (yajl_parse(h, (const unsigned char *)line, len) == yajl_status_ok &&
        yajl_complete_parse(h) == yajl_status_ok)
        rc = 0;
    yajl_free(h);
    return rc;
}

static const struct candidate cand_yajl = {
    "yajl 2.1.0", "SAX callbacks, a handle per line",
    yajl_create, yajl_run, free, NULL
};
#endif

static const struct candidate *const all[] = {
#ifdef HAVE_JSMN
    &cand_jsmn,
#endif
#ifdef HAVE_SIMDJSON
    &cand_simdjson_dom,
    &cand_simdjson_ondemand,
    &cand_simdjson_stage1,
    &cand_own_walk,
    &cand_own_tape,
#endif
#ifdef HAVE_YAJL
    &cand_yajl,
#endif
#ifdef HAVE_JSONC
    &cand_jsonc,
#endif
#ifdef HAVE_JANSSON
    &cand_jansson,
#endif
    NULL
};

const struct candidate *const *
bench_candidates(void)
{
    return all;
}
