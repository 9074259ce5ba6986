/*
 * buf.c - growable buffer with a ceiling; see buf.h.  buf_json_str is on
 * ingest's hot path (every output string passes through it), hence the
 * 8-bytes-at-a-time scan for plain ASCII.
 */
#include "common/buf.h"

#include <stdarg.h>
#include <stdint.h>
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

/* 1: copy as is; 0: needs a look (escape or UTF-8 check) */
static const uint8_t plain[256] = {
#define R8(x) x, x, x, x, x, x, x, x
#define R32(x) R8(x), R8(x), R8(x), R8(x)
    R32(0),                                     /* 0x00 - 0x1f */
    1, 1, 0, 1, 1, 1, 1, 1, R8(1), R8(1),       /* 0x20 - 0x37 ('"') */
    R8(1),                                      /* 0x38 - 0x3f */
    R8(1), R8(1), R8(1),                        /* 0x40 - 0x57 */
    1, 1, 1, 1, 0, 1, 1, 1,                     /* 0x58 - 0x5f ('\\') */
    R32(1),                                     /* 0x60 - 0x7f */
    R32(0), R32(0), R32(0), R32(0)              /* 0x80 - 0xff */
#undef R8
#undef R32
};

/* Length of the valid UTF-8 sequence at s (2..4), or 0 if invalid. */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0], min, cp;
    size_t len;

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

/* s escaped for inside a JSON string at d (the caller made room for 6n);
 * returns the end. */
static char *
put_escaped(char *d, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, seq;

    while (i < n) {
        unsigned c;

        /* 8 bytes at a time while none needs a look (SWAR: no byte
         * below 0x20, none above 0x7f, no '"', no '\\') */
        while (i + 8 <= n) {
            uint64_t v, ctl, q, bs;

            memcpy(&v, p + i, 8);
            ctl = (v - 0x2020202020202020ull) & ~v;
            q = v ^ 0x2222222222222222ull;
            q = (q - 0x0101010101010101ull) & ~q;
            bs = v ^ 0x5c5c5c5c5c5c5c5cull;
            bs = (bs - 0x0101010101010101ull) & ~bs;
            if (((ctl | q | bs | v) & 0x8080808080808080ull) != 0)
                break;
            memcpy(d, &v, 8);
            d += 8;
            i += 8;
        }
        /* copy while scanning: most strings are short and plain */
        while (i < n && plain[p[i]])
            *d++ = (char)p[i++];
        if (i == n)
            break;
        c = p[i];
        if (c >= 0x80) {
            if ((seq = utf8_seq(p + i, n - i)) == 0) {
                memcpy(d, "\\ufffd", 6);
                d += 6;
                i++;
            } else {
                memcpy(d, p + i, seq);
                d += seq;
                i += seq;
            }
            continue;
        }
        *d++ = '\\';
        switch (c) {
        case '"': *d++ = '"'; break;
        case '\\': *d++ = '\\'; break;
        case '\n': *d++ = 'n'; break;
        case '\r': *d++ = 'r'; break;
        case '\t': *d++ = 't'; break;
        default:
            memcpy(d, "u00", 3);
            d[3] = hex[c >> 4];
            d[4] = hex[c & 15];
            d += 5;
        }
        i++;
    }
    return d;
}

enum estel_rc
buf_json_escape(struct estel_buf *b, const char *s, size_t n)
{
    enum estel_rc rc;

    /* worst case 6 bytes out per byte in */
    if (n > (SIZE_MAX - 2) / 6)
        return ESTEL_E_REJECTED;
    if ((rc = buf_reserve(b, n * 6)) != ESTEL_OK)
        return rc;
    b->len = (size_t)(put_escaped(b->data + b->len, s, n) - b->data);
    return ESTEL_OK;
}

enum estel_rc
buf_json_str(struct estel_buf *b, const char *s, size_t n)
{
    enum estel_rc rc;

    if (n > (SIZE_MAX - 2) / 6)
        return ESTEL_E_REJECTED;
    if ((rc = buf_reserve(b, n * 6 + 2)) != ESTEL_OK)
        return rc;
    b->data[b->len++] = '"';
    (void)buf_json_escape(b, s, n);     /* room reserved above */
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
