/* buf.c - growable buffer with a ceiling; see buf.h. */
#include "common/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
buf_init(struct estel_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max != 0 ? max : SIZE_MAX / 2;
}

void
buf_free(struct estel_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

enum estel_rc
buf_reserve(struct estel_buf *b, size_t extra)
{
    size_t want, ncap;
    char *p;

    if (extra > b->max || b->len > b->max - extra)
        return ESTEL_E_REJECTED;
    want = b->len + extra + 1;      /* room for a terminator */
    if (want <= b->cap)
        return ESTEL_OK;
    ncap = b->cap != 0 ? b->cap : 256;
    while (ncap < want)
        ncap *= 2;
    if ((p = realloc(b->data, ncap)) == NULL)
        return ESTEL_E_NOMEM;
    b->data = p;
    b->cap = ncap;
    return ESTEL_OK;
}

enum estel_rc
buf_append(struct estel_buf *b, const void *p, size_t n)
{
    enum estel_rc rc = buf_reserve(b, n);

    if (rc != ESTEL_OK)
        return rc;
    if (n != 0)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    return ESTEL_OK;
}

enum estel_rc
buf_putc(struct estel_buf *b, char c)
{
    return buf_append(b, &c, 1);
}

enum estel_rc
buf_printf(struct estel_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;
    enum estel_rc rc;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return ESTEL_E_IO;
    if ((rc = buf_reserve(b, (size_t)n)) != ESTEL_OK)
        return rc;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return ESTEL_OK;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    unsigned min, cp;

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) { len = 2; min = 0x80; cp = c & 0x1f; }
    else if (c >= 0xe0 && c <= 0xef) { len = 3; min = 0x800; cp = c & 0x0f; }
    else if (c >= 0xf0 && c <= 0xf4) { len = 4; min = 0x10000; cp = c & 7; }
    else
        return 0;
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

enum estel_rc
buf_json_str(struct estel_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    enum estel_rc rc;
    size_t i = 0, run;

    /* worst case 6 bytes out per byte in */
    if ((rc = buf_reserve(b, n * 6 + 2)) != ESTEL_OK)
        return rc;
    b->data[b->len++] = '"';
    while (i < n) {
        unsigned c = p[i];

        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            b->data[b->len++] = (char)c;
            i++;
            continue;
        }
        if (c >= 0x80) {
            if ((run = utf8_seq(p + i, n - i)) == 0) {
                memcpy(b->data + b->len, "\\ufffd", 6);
                b->len += 6;
                i++;
            } else {
                memcpy(b->data + b->len, p + i, run);
                b->len += run;
                i += run;
            }
            continue;
        }
        b->data[b->len++] = '\\';
        switch (c) {
        case '"': b->data[b->len++] = '"'; break;
        case '\\': b->data[b->len++] = '\\'; break;
        case '\n': b->data[b->len++] = 'n'; break;
        case '\r': b->data[b->len++] = 'r'; break;
        case '\t': b->data[b->len++] = 't'; break;
        default:
            memcpy(b->data + b->len, "u00", 3);
            b->len += 3;
            b->data[b->len++] = hex[c >> 4];
            b->data[b->len++] = hex[c & 15];
        }
        i++;
    }
    b->data[b->len++] = '"';
    return ESTEL_OK;
}

enum estel_rc
buf_terminate(struct estel_buf *b)
{
    enum estel_rc rc = buf_reserve(b, 0);

    if (rc == ESTEL_OK)
        b->data[b->len] = '\0';
    return rc;
}
