/*
 * eslogger_json.h - the C face of the simdjson seam (eslogger_json.cpp).
 * Private to the eslogger parser: include it only from eslogger*.c.
 *
 * Why simdjson's DOM parser: it was the fastest of Debian's JSON parsers on
 * eslogger lines and it validates everything (UTF-8, grammar, numbers,
 * escapes) in one pass; bench/convert/README.md has the figures.  Its
 * result is a "tape": one 64-bit word per value, in document order, that C
 * reads directly with the inline helpers below, so walking a document
 * costs no calls across the C++ seam.
 *
 * Tape layout (simdjson 3.x, doc/tape.md; eslogger_json.cpp checks these
 * constants at compile time and the whole layout once at create time):
 *
 *   word = type (8 bits, an ASCII letter) << 56 | payload (56 bits)
 *   'r'  root, at index 0 and at the end; the document is at index 1
 *   '{' '['  payload: bits 0-31 index after the matching '}' / ']',
 *            bits 32-55 number of members (saturated at 0xFFFFFF)
 *   '"'  payload: offset into the string buffer, which holds a 32-bit
 *        little-endian length, the unescaped bytes, then a NUL
 *   'l' 'u' 'd'  int64, uint64 (> INT64_MAX only), double: the value is
 *        the next word
 *   't' 'f' 'n'  true, false, null
 *
 * Object members are a string word (the key) followed by the value.
 */
#ifndef ESTEL_ESLOGGER_JSON_H
#define ESTEL_ESLOGGER_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ESL_JSON_PADDING 64         /* simdjson reads past the end */
#define ESL_JSON_MAX_DEPTH 128      /* eslogger nests about 7 deep */

enum esl_jt {
    ESL_J_ROOT = 'r', ESL_J_OBJECT = '{', ESL_J_ARRAY = '[',
    ESL_J_STRING = '"', ESL_J_INT = 'l', ESL_J_UINT = 'u',
    ESL_J_DOUBLE = 'd', ESL_J_TRUE = 't', ESL_J_FALSE = 'f',
    ESL_J_NULL = 'n'
};

#define ESL_J_PAYLOAD_MASK 0x00FFFFFFFFFFFFFFull
#define ESL_J_COUNT_MASK 0xFFFFFFu

struct esl_doc {
    const uint64_t *tape;
    const uint8_t *strings;
};

struct esl_json;

/* 0, or -1 when out of memory (or when the tape layout self-test fails:
 * *why says which). */
int esl_json_create(struct esl_json **out, size_t max_line,
                    const char **why);
void esl_json_destroy(struct esl_json **j);
/*
 * Parse len bytes at line, which is not modified.  When padded, at least
 * ESL_JSON_PADDING readable bytes follow the line and simdjson reads it in
 * place; otherwise it is first copied into the seam's padded buffer.  NULL
 * on success, with *doc valid until the next call; otherwise a static
 * sentence saying what is wrong with the JSON.
 */
const char *esl_json_parse(struct esl_json *j, const char *line, size_t len,
                           bool padded, struct esl_doc *doc);

/* ---- reading the tape ---------------------------------------------------- */

static inline unsigned
esl_jtype(const struct esl_doc *d, uint32_t i)
{
    return (unsigned)(d->tape[i] >> 56);
}

/* Index of the value after the one at i (skips whole containers);
 * written without a switch so that it compiles to conditional moves. */
static inline uint32_t
esl_jnext(const struct esl_doc *d, uint32_t i)
{
    uint64_t w = d->tape[i];
    unsigned t = (unsigned)(w >> 56);
    uint32_t n = i + 1 + (t == ESL_J_INT || t == ESL_J_UINT ||
                          t == ESL_J_DOUBLE);

    return t == ESL_J_OBJECT || t == ESL_J_ARRAY ? (uint32_t)w : n;
}

/* Index of the closing '}' / ']' of the container at i. */
static inline uint32_t
esl_jclose(const struct esl_doc *d, uint32_t i)
{
    return (uint32_t)d->tape[i] - 1;
}

static inline uint32_t
esl_jcount(const struct esl_doc *d, uint32_t i)
{
    return (uint32_t)(d->tape[i] >> 32) & ESL_J_COUNT_MASK;
}

/* The string at i as simdjson stores it: 32-bit length, bytes, NUL. */
static inline const uint8_t *
esl_jraw(const struct esl_doc *d, uint32_t i)
{
    return d->strings + (d->tape[i] & ESL_J_PAYLOAD_MASK);
}

static inline const char *
esl_jstr(const struct esl_doc *d, uint32_t i, size_t *len)
{
    const uint8_t *p = d->strings + (d->tape[i] & ESL_J_PAYLOAD_MASK);
    uint32_t n;

    memcpy(&n, p, sizeof(n));
    *len = n;
    return (const char *)p + sizeof(n);
}

static inline uint64_t
esl_jword(const struct esl_doc *d, uint32_t i)
{
    return d->tape[i + 1];
}

#ifdef __cplusplus
}
#endif

#endif
