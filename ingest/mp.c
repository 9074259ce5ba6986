/*
 * mp.c - a zero-allocation msgpack reader for ingest's hot path.
 *
 * msgpack-c's unpacker allocates a zone per object tree; ingest reads a
 * record once, straight from the decompressed batch, so it only needs
 * (pointer, length) views.  Every length is checked against the bytes
 * left, and container skipping is iterative with a depth bound, so
 * hostile input costs at most one pass over itself.
 */
#include "ingest/ingest_int.h"

#include <string.h>

static uint64_t
be(const uint8_t *p, size_t n)
{
    uint64_t v = 0;

    for (size_t i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

/*
 * Decode the header at c: fill o's scalar value or container count, and
 * set *payload (bytes after the header that belong to this object itself)
 * and *children (objects that follow).  Advances past the header only.
 */
static bool
header(struct mp_cur *c, struct mp_obj *o, uint64_t *payload,
       uint64_t *children)
{
    size_t left = (size_t)(c->end - c->p);
    uint8_t t;
    size_t hl = 1, lb = 0;

    if (left < 1)
        return false;
    t = c->p[0];
    *payload = 0;
    *children = 0;
    o->raw = c->p;
    if (t <= 0x7f) {
        o->type = MP_UINT;
        o->v.u = t;
    } else if (t >= 0xe0) {
        o->type = MP_INT;
        o->v.i = (int8_t)t;
    } else if ((t & 0xf0) == 0x80) {
        o->type = MP_MAP;
        o->v.n = t & 0x0f;
        *children = 2u * o->v.n;
    } else if ((t & 0xf0) == 0x90) {
        o->type = MP_ARRAY;
        o->v.n = t & 0x0f;
        *children = o->v.n;
    } else if ((t & 0xe0) == 0xa0) {
        o->type = MP_STR;
        *payload = t & 0x1f;
    } else {
        switch (t) {
        case 0xc0: o->type = MP_NIL; break;
        case 0xc2: o->type = MP_BOOL; o->v.b = false; break;
        case 0xc3: o->type = MP_BOOL; o->v.b = true; break;
        case 0xc4: case 0xc5: case 0xc6:
            o->type = MP_BIN; lb = (size_t)1 << (t - 0xc4); break;
        case 0xc7: case 0xc8: case 0xc9:
            o->type = MP_EXT; lb = (size_t)1 << (t - 0xc7); break;
        case 0xca: case 0xcb:
            o->type = MP_FLOAT; *payload = t == 0xca ? 4 : 8; break;
        case 0xcc: case 0xcd: case 0xce: case 0xcf:
            o->type = MP_UINT; *payload = (size_t)1 << (t - 0xcc); break;
        case 0xd0: case 0xd1: case 0xd2: case 0xd3:
            o->type = MP_INT; *payload = (size_t)1 << (t - 0xd0); break;
        case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8:
            o->type = MP_EXT; *payload = 1 + ((size_t)1 << (t - 0xd4));
            break;
        case 0xd9: case 0xda: case 0xdb:
            o->type = MP_STR; lb = (size_t)1 << (t - 0xd9); break;
        case 0xdc: case 0xdd:
            o->type = MP_ARRAY; lb = t == 0xdc ? 2 : 4; break;
        case 0xde: case 0xdf:
            o->type = MP_MAP; lb = t == 0xde ? 2 : 4; break;
        default:
            return false;           /* 0xc1: never used */
        }
    }
    if (lb > 0) {
        uint64_t n;

        hl = 1 + lb;
        if (left < hl)
            return false;
        n = be(c->p + 1, lb);
        if (o->type == MP_ARRAY || o->type == MP_MAP) {
            if (n > UINT32_MAX)
                return false;
            o->v.n = (uint32_t)n;
            *children = o->type == MP_MAP ? 2 * n : n;
        } else {
            *payload = o->type == MP_EXT ? n + 1 : n;
        }
    }
    c->p += hl;
    left -= hl;
    if (*payload > left || *children > left)
        return false;
    return true;
}

/* Fill the scalar value of o from its payload bytes at p. */
static void
scalar(struct mp_obj *o, const uint8_t *p, uint64_t n)
{
    uint8_t t = o->raw[0];

    switch (o->type) {
    case MP_UINT:
        if (t >= 0xcc)
            o->v.u = be(p, (size_t)n);
        break;
    case MP_INT:
        if (t >= 0xd0 && t <= 0xd3) {
            uint64_t u = be(p, (size_t)n);
            unsigned bits = (unsigned)n * 8;
            int64_t v = bits == 64 ? (int64_t)u :
                        (int64_t)(u ^ (1ull << (bits - 1))) -
                        (int64_t)(1ull << (bits - 1));

            /* a non-negative signed int is a plain integer to us */
            if (v >= 0) {
                o->type = MP_UINT;
                o->v.u = (uint64_t)v;
            } else {
                o->v.i = v;
            }
        }
        break;
    case MP_FLOAT:
        if (n == 4) {
            uint32_t u = (uint32_t)be(p, 4);
            float f;

            memcpy(&f, &u, 4);
            o->v.f = f;
        } else {
            uint64_t u = be(p, 8);

            memcpy(&o->v.f, &u, 8);
        }
        break;
    case MP_STR:
    case MP_BIN:
        o->v.s.p = (const char *)p;
        o->v.s.n = (size_t)n;
        break;
    case MP_EXT:
        o->v.s.p = (const char *)p + 1;     /* data after the type byte */
        o->v.s.n = (size_t)n - 1;
        break;
    default:
        break;
    }
}

bool
mp_read(struct mp_cur *c, struct mp_obj *o)
{
    uint64_t payload, children;
    uint64_t pending[MP_MAX_DEPTH + 1];
    int depth;

    if (!header(c, o, &payload, &children))
        return false;
    scalar(o, c->p, payload);
    c->p += payload;
    o->body = c->p;
    if (children == 0) {
        o->raw_len = (size_t)(c->p - o->raw);
        return true;
    }
    /* skip the children: pending[d] objects still to read at depth d */
    depth = 0;
    pending[0] = children;
    while (depth >= 0) {
        struct mp_obj k;

        if (pending[depth] == 0) {
            depth--;
            continue;
        }
        pending[depth]--;
        if (!header(c, &k, &payload, &children))
            return false;
        c->p += payload;
        if (children > 0) {
            if (depth + 1 >= MP_MAX_DEPTH)
                return false;
            pending[++depth] = children;
        }
    }
    o->raw_len = (size_t)(c->p - o->raw);
    return true;
}

bool
mp_get_i64(const struct mp_obj *o, int64_t *v)
{
    if (o->type == MP_INT) {
        *v = o->v.i;
        return true;
    }
    if (o->type == MP_UINT && o->v.u <= (uint64_t)INT64_MAX) {
        *v = (int64_t)o->v.u;
        return true;
    }
    return false;
}
