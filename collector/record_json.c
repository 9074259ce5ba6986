/*
 * record_json.c - reading records back: a structural check that never
 * allocates, and a msgpack -> JSON printer for people, tests and ingest.
 *
 * msgpack-c's unpacker allocates according to declared container sizes, so
 * a 7-byte input claiming a 2^32-element array would make it try to
 * allocate tens of GiB.  record_check() walks the bytes first: every
 * declared string/bin length must fit in what is left, and every declared
 * element must have at least one byte left to live in, so what a later
 * unpack allocates is bounded by a small multiple of the input size.
 */
#include "collector/collector.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define MAX_DEPTH 32

struct cursor {
    const uint8_t *p;
    size_t left;
};

static uint64_t
be(const uint8_t *p, size_t n)
{
    uint64_t v = 0;

    for (size_t i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

/*
 * Decode one object header: *children = number of sub-objects that follow
 * (arrays n, maps 2n), *skip = payload bytes (str/bin/ext/numbers).
 */
static enum estel_rc
header(struct cursor *c, uint64_t *children, uint64_t *skip,
       struct estel_err *err)
{
    uint8_t t;
    size_t hl = 1;

    if (c->left < 1)
        return estel_fail(err, ESTEL_E_CORRUPT, "msgpack: truncated");
    t = c->p[0];
    *children = 0;
    *skip = 0;
    if (t <= 0x7f || t >= 0xe0 || t == 0xc0 || t == 0xc2 || t == 0xc3) {
        /* fixint, nil, bool */
    } else if ((t & 0xf0) == 0x80) {
        *children = 2u * (t & 0x0f);
    } else if ((t & 0xf0) == 0x90) {
        *children = t & 0x0f;
    } else if ((t & 0xe0) == 0xa0) {
        *skip = t & 0x1f;
    } else {
        static const struct { uint8_t t, hl, lenb, fixed, kind; } tab[] = {
            /* kind: 0 skip=len, 1 array, 2 map, 3 fixed size, 4 ext */
            { 0xc4, 2, 1, 0, 0 }, { 0xc5, 3, 2, 0, 0 }, { 0xc6, 5, 4, 0, 0 },
            { 0xc7, 2, 1, 0, 4 }, { 0xc8, 3, 2, 0, 4 }, { 0xc9, 5, 4, 0, 4 },
            { 0xca, 1, 0, 4, 3 }, { 0xcb, 1, 0, 8, 3 }, { 0xcc, 1, 0, 1, 3 },
            { 0xcd, 1, 0, 2, 3 }, { 0xce, 1, 0, 4, 3 }, { 0xcf, 1, 0, 8, 3 },
            { 0xd0, 1, 0, 1, 3 }, { 0xd1, 1, 0, 2, 3 }, { 0xd2, 1, 0, 4, 3 },
            { 0xd3, 1, 0, 8, 3 }, { 0xd4, 1, 0, 2, 3 }, { 0xd5, 1, 0, 3, 3 },
            { 0xd6, 1, 0, 5, 3 }, { 0xd7, 1, 0, 9, 3 }, { 0xd8, 1, 0, 17, 3 },
            { 0xd9, 2, 1, 0, 0 }, { 0xda, 3, 2, 0, 0 }, { 0xdb, 5, 4, 0, 0 },
            { 0xdc, 3, 2, 0, 1 }, { 0xdd, 5, 4, 0, 1 }, { 0xde, 3, 2, 0, 2 },
            { 0xdf, 5, 4, 0, 2 },
        };
        size_t i;
        uint64_t len;

        for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
            if (tab[i].t == t)
                break;
        if (i == sizeof(tab) / sizeof(tab[0]))
            return estel_fail(err, ESTEL_E_CORRUPT, "msgpack: invalid type "
                              "byte 0x%02x", t);
        hl = tab[i].hl;
        if (c->left < hl)
            return estel_fail(err, ESTEL_E_CORRUPT, "msgpack: truncated "
                              "header");
        len = be(c->p + 1, tab[i].lenb);
        switch (tab[i].kind) {
        case 0: *skip = len; break;
        case 1: *children = len; break;
        case 2: *children = 2 * len; break;
        case 3: *skip = tab[i].fixed; break;
        default: *skip = len + 1; break;     /* ext: type byte + data */
        }
    }
    c->p += hl;
    c->left -= hl;
    if (*skip > c->left)
        return estel_fail(err, ESTEL_E_CORRUPT, "msgpack: declared length "
                          "%" PRIu64 " exceeds the %zu bytes left", *skip,
                          c->left);
    if (*children > c->left)
        return estel_fail(err, ESTEL_E_CORRUPT, "msgpack: declares %" PRIu64
                          " elements with only %zu bytes left", *children,
                          c->left);
    return ESTEL_OK;
}

static bool
is_container(uint8_t t)
{
    return (t & 0xe0) == 0x80 || (t >= 0xdc && t <= 0xdf);
}

enum estel_rc
record_check(const uint8_t *buf, size_t len, size_t *used,
             struct estel_err *err)
{
    struct cursor c = { buf, len };
    uint64_t pending[MAX_DEPTH + 1];
    int depth = 0;
    enum estel_rc rc;

    pending[0] = 1;
    while (depth >= 0) {
        uint64_t children, skip;

        if (pending[depth] == 0) {
            depth--;
            continue;
        }
        pending[depth]--;
        /* msgpack-c refuses any container header, even an empty one, once
         * MAX_DEPTH (its MSGPACK_EMBED_STACK_SIZE) containers are open */
        if (depth == MAX_DEPTH && c.left > 0 && is_container(c.p[0]))
            return estel_fail(err, ESTEL_E_CORRUPT, "msgpack: nested "
                              "deeper than %d", MAX_DEPTH);
        if ((rc = header(&c, &children, &skip, err)) != ESTEL_OK)
            return rc;
        c.p += skip;
        c.left -= skip;
        if (children > 0)
            pending[++depth] = children;
    }
    *used = len - c.left;
    return ESTEL_OK;
}

/* ---- JSON printer (input already passed record_check) ------------------ */

static enum estel_rc to_json(struct cursor *c, struct estel_buf *out,
                             int depth);

static enum estel_rc
scalar_json(struct cursor *c, uint8_t t, const uint8_t *body, uint64_t skip,
            struct estel_buf *out)
{
    if (t <= 0x7f)
        return buf_printf(out, "%u", t);
    if (t >= 0xe0)
        return buf_printf(out, "%d", (int)(int8_t)t);
    if (t == 0xc0)
        return buf_append(out, "null", 4);
    if (t == 0xc2)
        return buf_append(out, "false", 5);
    if (t == 0xc3)
        return buf_append(out, "true", 4);
    if ((t & 0xe0) == 0xa0 || t == 0xd9 || t == 0xda || t == 0xdb)
        return buf_json_str(out, (const char *)body, (size_t)skip);
    if (t >= 0xcc && t <= 0xcf)
        return buf_printf(out, "%" PRIu64, be(body, (size_t)skip));
    if (t >= 0xd0 && t <= 0xd3) {
        uint64_t u = be(body, (size_t)skip);
        int bits = (int)skip * 8;
        int64_t v = bits == 64 ? (int64_t)u :
                    (int64_t)(u ^ (1ull << (bits - 1))) -
                    (int64_t)(1ull << (bits - 1));
        return buf_printf(out, "%" PRId64, v);
    }
    if (t == 0xca || t == 0xcb) {
        double d;
        if (t == 0xca) {
            uint32_t u = (uint32_t)be(body, 4);
            float f;
            memcpy(&f, &u, 4);
            d = f;
        } else {
            uint64_t u = be(body, 8);
            memcpy(&d, &u, 8);
        }
        if (d != d || d - d != 0)
            return buf_append(out, "null", 4);  /* NaN/inf: not JSON */
        return buf_printf(out, "%.17g", d);
    }
    /* bin and ext: hex string */
    (void)c;
    if (buf_putc(out, '"') != ESTEL_OK)
        return ESTEL_E_REJECTED;
    for (uint64_t i = 0; i < skip; i++)
        if (buf_printf(out, "%02x", body[i]) != ESTEL_OK)
            return ESTEL_E_REJECTED;
    return buf_putc(out, '"');
}

static enum estel_rc
container_json(struct cursor *c, bool map, uint64_t n, struct estel_buf *out,
               int depth)
{
    enum estel_rc rc;

    if ((rc = buf_putc(out, map ? '{' : '[')) != ESTEL_OK)
        return rc;
    for (uint64_t i = 0; i < n; i++) {
        if (i > 0 && (rc = buf_putc(out, ',')) != ESTEL_OK)
            return rc;
        if (map) {
            size_t before = out->len;
            const uint8_t t = c->left > 0 ? c->p[0] : 0;

            if ((rc = to_json(c, out, depth + 1)) != ESTEL_OK)
                return rc;
            /* JSON keys must be strings: quote a non-string key */
            if (!((t & 0xe0) == 0xa0 || t == 0xd9 || t == 0xda ||
                  t == 0xdb)) {
                size_t klen = out->len - before;
                char tmp[64];

                if (klen >= sizeof(tmp))
                    klen = sizeof(tmp) - 1;
                memcpy(tmp, out->data + before, klen);
                out->len = before;
                if ((rc = buf_json_str(out, tmp, klen)) != ESTEL_OK)
                    return rc;
            }
            if ((rc = buf_putc(out, ':')) != ESTEL_OK)
                return rc;
        }
        if ((rc = to_json(c, out, depth + 1)) != ESTEL_OK)
            return rc;
    }
    return buf_putc(out, map ? '}' : ']');
}

static enum estel_rc
to_json(struct cursor *c, struct estel_buf *out, int depth)
{
    uint64_t children, skip;
    const uint8_t *start = c->p;
    const uint8_t *body;
    enum estel_rc rc;
    uint8_t t;

    if (depth > MAX_DEPTH)
        return ESTEL_E_CORRUPT;
    if ((rc = header(c, &children, &skip, NULL)) != ESTEL_OK)
        return rc;
    t = start[0];
    body = c->p;
    c->p += skip;
    c->left -= skip;
    if ((t & 0xf0) == 0x80 || t == 0xde || t == 0xdf)
        return container_json(c, true, children / 2, out, depth);
    if ((t & 0xf0) == 0x90 || t == 0xdc || t == 0xdd)
        return container_json(c, false, children, out, depth);
    if (t >= 0xc7 && t <= 0xc9) {       /* ext: skip the type byte */
        body++;
        skip--;
    } else if (t >= 0xd4 && t <= 0xd8) {
        body++;
        skip--;
    }
    return scalar_json(c, t, body, skip, out);
}

enum estel_rc
record_to_json(const uint8_t *buf, size_t len, struct estel_buf *out,
               size_t *used, struct estel_err *err)
{
    struct cursor c = { buf, 0 };
    size_t n, mark = out->len;
    enum estel_rc rc;

    if ((rc = record_check(buf, len, &n, err)) != ESTEL_OK)
        return rc;
    c.left = n;
    if ((rc = to_json(&c, out, 0)) != ESTEL_OK) {
        out->len = mark;
        return estel_fail(err, rc, "record: cannot print as JSON (%s)",
                          estel_rc_name(rc));
    }
    *used = n;
    return ESTEL_OK;
}
