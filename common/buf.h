/*
 * buf.h - a growable byte buffer with a ceiling (curl's dynbuf): every
 * buffer that grows from input has a maximum set at creation, and growing
 * past it fails with ESTEL_E_REJECTED instead of eating memory.
 * Clearing keeps the allocation, so hot paths reuse it without malloc.
 */
#ifndef ESTEL_BUF_H
#define ESTEL_BUF_H

#include <stddef.h>
#include <stdint.h>
#include "common/err.h"

struct estel_buf {
    char *data;
    size_t len;
    size_t cap;
    size_t max;                 /* ceiling; 0 means SIZE_MAX / 2 */
};

void buf_init(struct estel_buf *b, size_t max);
void buf_free(struct estel_buf *b);
static inline void buf_clear(struct estel_buf *b) { b->len = 0; }
enum estel_rc buf_reserve(struct estel_buf *b, size_t extra);
enum estel_rc buf_append(struct estel_buf *b, const void *p, size_t n);
enum estel_rc buf_putc(struct estel_buf *b, char c);
enum estel_rc buf_printf(struct estel_buf *b, const char *fmt, ...)
    ESTEL_PRINTF(2, 3);
/* Append s as a JSON string literal (quotes, escapes; invalid UTF-8 bytes
 * become \ufffd so the output is always valid JSON). */
enum estel_rc buf_json_str(struct estel_buf *b, const char *s, size_t n);
/* The same without the quotes (strings joined into one JSON string). */
enum estel_rc buf_json_escape(struct estel_buf *b, const char *s, size_t n);
/* Keep data NUL-terminated after len (not counted in len). */
enum estel_rc buf_terminate(struct estel_buf *b);

#endif
