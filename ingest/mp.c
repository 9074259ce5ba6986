/*
 * mp.c - a msgpack reader for ingest's hot path.
 *
 * msgpack-c's unpacker allocates a zone per object tree; ingest reads each
 * record once, straight from the decompressed batch.  One pass turns the
 * record into a pre-order array of nodes (reused from record to record),
 * each knowing the size of its subtree, so the mappers can look at any
 * key, skip any value and walk any map again without re-reading bytes.
 * Every declared length is checked against the bytes left, nesting and
 * the number of objects are bounded, so hostile input costs at most one
 * pass over itself and a fixed amount of memory.
 */
#include "ingest/ingest_int.h"

#include <stdlib.h>
#include <string.h>

/* Big-endian integer of 1, 2, 4 or 8 bytes. */
static uint64_t
be(const uint8_t *p, size_t n)
{
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    u64 = 0;
    for (size_t i = 0; i < n; i++)
        u64 = (u64 << 8) | p[i];
    return u64;
#endif
    switch (n) {
    case 1:
        return p[0];
    case 2:
        memcpy(&u16, p, 2);
        return __builtin_bswap16(u16);
    case 4:
        memcpy(&u32, p, 4);
        return __builtin_bswap32(u32);
    default:
        memcpy(&u64, p, 8);
        return __builtin_bswap64(u64);
    }
}

static int64_t
be_signed(const uint8_t *p, size_t n)
{
    uint64_t u = be(p, n);
    unsigned bits = (unsigned)n * 8;

    if (bits == 64)
        return (int64_t)u;
    return (int64_t)(u ^ (1ull << (bits - 1))) - (int64_t)(1ull << (bits - 1));
}

/* Integer with a signed encoding: negative stays MP_INT, else MP_UINT. */
static void
set_signed(struct mp_obj *o, int64_t v)
{
    if (v < 0) {
        o->type = MP_INT;
        o->v.i = v;
    } else {
        o->type = MP_UINT;
        o->v.u = (uint64_t)v;
    }
}

static void
set_float(struct mp_obj *o, const uint8_t *p, size_t n)
{
    o->type = MP_FLOAT;
    if (n == 4) {
        uint32_t u = (uint32_t)be(p, 4);
        float f;

        memcpy(&f, &u, 4);
        o->v.f = f;
    } else {
        uint64_t u = be(p, 8);

        memcpy(&o->v.f, &u, 8);
    }
}

/*
 * Read the object at *pp (end at end) into o: scalars completely, strings
 * as (pointer, length), containers as their element count in *children
 * (a map's is twice its pairs).  Advances past the object's own bytes.
 */
static bool
one(const uint8_t **pp, const uint8_t *end, struct mp_obj *o,
    uint64_t *children)
{
    const uint8_t *p = *pp;
    size_t left = (size_t)(end - p), lb = 0, fixed = 0;
    uint8_t t;

    if (left < 1)
        return false;
    t = *p++;
    left--;
    *children = 0;
    if (t <= 0x7f) {
        o->type = MP_UINT;
        o->v.u = t;
    } else if (t >= 0xe0) {
        o->type = MP_INT;
        o->v.i = (int8_t)t;
    } else if (t <= 0x8f) {
        o->type = MP_MAP;
        o->v.n = t & 0x0f;
        *children = 2u * o->v.n;
    } else if (t <= 0x9f) {
        o->type = MP_ARRAY;
        o->v.n = t & 0x0f;
        *children = o->v.n;
    } else if (t <= 0xbf) {
        o->type = MP_STR;
        fixed = t & 0x1f;
        goto bytes;
    } else {
        switch (t) {
        case 0xc0: o->type = MP_NIL; break;
        case 0xc2: o->type = MP_BOOL; o->v.b = false; break;
        case 0xc3: o->type = MP_BOOL; o->v.b = true; break;
        case 0xc4: case 0xc5: case 0xc6:
            o->type = MP_BIN; lb = (size_t)1 << (t - 0xc4); goto sized;
        case 0xc7: case 0xc8: case 0xc9:
            o->type = MP_EXT; lb = (size_t)1 << (t - 0xc7); goto sized;
        case 0xca: case 0xcb:
            fixed = t == 0xca ? 4 : 8;
            if (left < fixed)
                return false;
            set_float(o, p, fixed);
            p += fixed;
            break;
        case 0xcc: case 0xcd: case 0xce: case 0xcf:
            fixed = (size_t)1 << (t - 0xcc);
            if (left < fixed)
                return false;
            o->type = MP_UINT;
            o->v.u = be(p, fixed);
            p += fixed;
            break;
        case 0xd0: case 0xd1: case 0xd2: case 0xd3:
            fixed = (size_t)1 << (t - 0xd0);
            if (left < fixed)
                return false;
            set_signed(o, be_signed(p, fixed));
            p += fixed;
            break;
        case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8:
            o->type = MP_EXT;
            fixed = 1 + ((size_t)1 << (t - 0xd4));
            goto bytes;
        case 0xd9: case 0xda: case 0xdb:
            o->type = MP_STR; lb = (size_t)1 << (t - 0xd9); goto sized;
        case 0xdc: case 0xdd: case 0xde: case 0xdf: {
            size_t n = t == 0xdc || t == 0xde ? 2 : 4;

            if (left < n)
                return false;
            o->type = t <= 0xdd ? MP_ARRAY : MP_MAP;
            o->v.n = (uint32_t)be(p, n);
            p += n;
            *children = o->type == MP_MAP ? 2 * (uint64_t)o->v.n : o->v.n;
            break;
        }
        default:
            return false;           /* 0xc1: never used */
        }
    }
    /* every element needs at least one byte: bounds what follows */
    if (*children > (size_t)(end - p))
        return false;
    *pp = p;
    return true;
sized:
    if (left < lb)
        return false;
    fixed = (size_t)be(p, lb) + (o->type == MP_EXT ? 1 : 0);
    p += lb;
    left -= lb;
bytes:
    if (fixed > left)
        return false;
    if (o->type == MP_EXT) {        /* data after the type byte */
        o->v.s.p = (const char *)p + 1;
        o->v.s.n = fixed - 1;
    } else {
        o->v.s.p = (const char *)p;
        o->v.s.n = fixed;
    }
    *pp = p + fixed;
    return true;
}

bool
mp_parse(struct mp_tree *t, const uint8_t *buf, size_t len, size_t *used)
{
    struct { uint32_t idx; uint64_t left; } stack[MP_MAX_DEPTH];
    const uint8_t *p = buf, *end = buf + len;
    uint32_t n = 0;
    int depth = 0;

    if (t->nodes == NULL &&
        (t->nodes = malloc(MP_MAX_NODES * sizeof(*t->nodes))) == NULL)
        return false;
    for (;;) {
        struct mp_obj *o;
        uint64_t children;

        if (n == MP_MAX_NODES)
            return false;
        o = &t->nodes[n];
        if (!one(&p, end, o, &children))
            return false;
        n++;
        if (children > 0) {
            if (depth == MP_MAX_DEPTH)
                return false;
            stack[depth].idx = n - 1;
            stack[depth].left = children;
            depth++;
            continue;
        }
        o->skip = 1;
        /* close every container this object completed */
        while (depth > 0 && --stack[depth - 1].left == 0) {
            depth--;
            t->nodes[stack[depth].idx].skip = n - stack[depth].idx;
        }
        if (depth == 0)
            break;
    }
    *used = (size_t)(p - buf);
    return true;
}

void
mp_tree_free(struct mp_tree *t)
{
    free(t->nodes);
    t->nodes = NULL;
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
