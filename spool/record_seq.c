/*
 * record_seq.c - read a record's collector sequence number ("cs") without
 * decoding the record.
 *
 * The spool knows nothing of the schema except this: a record is one
 * msgpack map with an unsigned "cs".  The collector writes "v", "ev", "cs"
 * first (collector/record.c pk_envelope), so the fast path reads three
 * keys at fixed shapes; anything else falls back to a bounds-checked scan
 * of the top-level map that skips values it does not care about.
 */
#include "spool/spool_int.h"

#include <string.h>

#define SKIP_DEPTH_MAX 32

struct cur {
    const uint8_t *p;
    const uint8_t *end;
};

static bool
need(const struct cur *c, size_t n)
{
    return (size_t)(c->end - c->p) >= n;
}

static uint64_t
be(const uint8_t *p, int n)
{
    uint64_t v = 0;

    for (int i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

/* Read an unsigned integer (positive fixint, uint8..64). */
static bool
read_uint(struct cur *c, uint64_t *v)
{
    uint8_t t;
    int n;

    if (!need(c, 1))
        return false;
    t = *c->p;
    if (t < 0x80) {
        *v = t;
        c->p++;
        return true;
    }
    if (t < 0xcc || t > 0xcf)
        return false;
    n = 1 << (t - 0xcc);
    if (!need(c, 1 + (size_t)n))
        return false;
    *v = be(c->p + 1, n);
    c->p += 1 + n;
    return true;
}

/* Read a str header; *s points at the bytes. */
static bool
read_str(struct cur *c, const uint8_t **s, size_t *len)
{
    uint8_t t;
    uint64_t n, l;

    if (!need(c, 1))
        return false;
    t = *c->p;
    if ((t & 0xe0) == 0xa0) {
        l = t & 0x1f;
        n = 0;
    } else if (t >= 0xd9 && t <= 0xdb) {
        n = (uint64_t)1 << (t - 0xd9);
        if (!need(c, 1 + n))
            return false;
        l = be(c->p + 1, (int)n);
    } else {
        return false;
    }
    if (!need(c, 1 + n) || (uint64_t)(c->end - c->p) - 1 - n < l)
        return false;
    *s = c->p + 1 + n;
    *len = (size_t)l;
    c->p += 1 + n + l;
    return true;
}

/* Map/array header: *count entries (pairs for maps). */
static bool
read_container(struct cur *c, bool *is_map, uint64_t *count)
{
    uint8_t t;

    if (!need(c, 1))
        return false;
    t = *c->p;
    if ((t & 0xf0) == 0x80 || (t & 0xf0) == 0x90) {
        *is_map = (t & 0xf0) == 0x80;
        *count = t & 0x0f;
        c->p++;
        return true;
    }
    if (t >= 0xdc && t <= 0xdf) {
        int n = (t == 0xdc || t == 0xde) ? 2 : 4;

        if (!need(c, 1 + (size_t)n))
            return false;
        *is_map = t >= 0xde;
        *count = be(c->p + 1, n);
        c->p += 1 + n;
        return true;
    }
    return false;
}

/* Bytes a scalar occupies after its type byte, or -1 if not a scalar. */
static int64_t
scalar_extra(const struct cur *c, uint8_t t)
{
    static const int8_t fixed[] = {
        /* 0xc0 */ 0, -1, 0, 0, -2, -2, -2, -3,
        /* 0xc8 */ -3, -3, 4, 8, 1, 2, 4, 8,
        /* 0xd0 */ 1, 2, 4, 8, 2, 3, 5, 9,
        /* 0xd8 */ 17, -2, -2, -2
    };
    int8_t f;
    int n;

    if (t < 0x80 || t >= 0xe0)
        return 0;                           /* fixints */
    if ((t & 0xe0) == 0xa0)
        return t & 0x1f;                    /* fixstr */
    if (t < 0xc0 || t > 0xdb)
        return -1;                          /* containers */
    f = fixed[t - 0xc0];
    if (f >= 0)
        return f;
    if (f == -1)
        return -1;                          /* 0xc1: never used */
    /* bin/str 8,16,32 (-2) and ext 8,16,32 (-3: one type byte more) */
    n = (t >= 0xd9) ? 1 << (t - 0xd9) : (t <= 0xc6 && t >= 0xc4) ?
        1 << (t - 0xc4) : 1 << (t - 0xc7);
    if (!need(c, 1 + (size_t)n))
        return -1;
    return n + (int64_t)be(c->p + 1, n) + (f == -3 ? 1 : 0);
}

static bool
skip(struct cur *c, int depth)
{
    bool is_map;
    uint64_t count;
    int64_t extra;

    if (!need(c, 1) || depth > SKIP_DEPTH_MAX)
        return false;
    extra = scalar_extra(c, *c->p);
    if (extra >= 0) {
        if (!need(c, 1 + (uint64_t)extra))
            return false;
        c->p += 1 + extra;
        return true;
    }
    if (!read_container(c, &is_map, &count))
        return false;
    if (is_map) {
        if (count > UINT64_MAX / 2)
            return false;
        count *= 2;
    }
    /* every element takes at least one byte: refuse impossible counts */
    if (count > (uint64_t)(c->end - c->p))
        return false;
    for (uint64_t i = 0; i < count; i++)
        if (!skip(c, depth + 1))
            return false;
    return true;
}

/* Scan the top-level map for "cs" (and "ev"); the order is free. */
static bool
slow_head(const uint8_t *rec, size_t len, uint64_t *seq, bool *is_gap)
{
    struct cur c = { rec, rec + len };
    bool is_map, have_seq = false;
    uint64_t pairs;

    *is_gap = false;
    if (!read_container(&c, &is_map, &pairs) || !is_map)
        return false;
    for (uint64_t i = 0; i < pairs; i++) {
        const uint8_t *k, *v;
        size_t klen, vlen;

        if (!read_str(&c, &k, &klen)) {
            if (!skip(&c, 1))
                return false;
        } else if (klen == 2 && memcmp(k, "cs", 2) == 0) {
            if (!read_uint(&c, seq))
                return false;
            have_seq = true;
            continue;
        } else if (klen == 2 && memcmp(k, "ev", 2) == 0 &&
                   read_str(&c, &v, &vlen)) {
            *is_gap = vlen == 3 && memcmp(v, "gap", 3) == 0;
            continue;
        }
        if (!skip(&c, 1))
            return false;
    }
    return have_seq;
}

static bool
key_is(struct cur *c, const char *k, size_t klen)
{
    if (!need(c, 1 + klen) || c->p[0] != (0xa0 | klen) ||
        memcmp(c->p + 1, k, klen) != 0)
        return false;
    c->p += 1 + klen;
    return true;
}

bool
spool_record_head(const uint8_t *rec, size_t len, uint64_t *seq,
                  bool *is_gap)
{
    struct cur c = { rec, rec + len };
    const uint8_t *s;
    size_t slen;
    bool is_map;
    uint64_t pairs, v;

    if (read_container(&c, &is_map, &pairs) && is_map && pairs >= 3 &&
        key_is(&c, "v", 1) && read_uint(&c, &v) &&
        key_is(&c, "ev", 2) && read_str(&c, &s, &slen) &&
        key_is(&c, "cs", 2) && read_uint(&c, seq)) {
        *is_gap = slen == 3 && memcmp(s, "gap", 3) == 0;
        return true;
    }
    return slow_head(rec, len, seq, is_gap);
}

bool
spool_record_seq(const uint8_t *rec, size_t len, uint64_t *seq)
{
    bool is_gap;

    return spool_record_head(rec, len, seq, &is_gap);
}

/* In the map at c: the unsigned values of first_seq, last_seq, count. */
static bool
read_gap_fields(struct cur *c, struct spool_record_gap *g)
{
    static const char *const names[] = { "first_seq", "last_seq", "count" };
    uint64_t *dst[3] = { &g->first_seq, &g->last_seq, &g->records };
    unsigned found = 0;
    bool is_map;
    uint64_t pairs;

    if (!read_container(c, &is_map, &pairs) || !is_map)
        return false;
    for (uint64_t i = 0; i < pairs; i++) {
        const uint8_t *k;
        size_t klen;
        int which = -1;

        if (!read_str(c, &k, &klen))
            return false;
        for (int j = 0; j < 3; j++)
            if (klen == strlen(names[j]) && memcmp(k, names[j], klen) == 0)
                which = j;
        if (which >= 0 && read_uint(c, dst[which]))
            found |= 1u << which;
        else if (!skip(c, 1))
            return false;
    }
    return found == 7 && g->first_seq <= g->last_seq;
}

bool
spool_record_gap(const uint8_t *rec, size_t len, struct spool_record_gap *g)
{
    struct cur c = { rec, rec + len };
    uint64_t seq, pairs;
    bool is_gap, is_map;

    if (!spool_record_head(rec, len, &seq, &is_gap) || !is_gap ||
        !read_container(&c, &is_map, &pairs) || !is_map)
        return false;
    for (uint64_t i = 0; i < pairs; i++) {
        const uint8_t *k;
        size_t klen;

        if (!read_str(&c, &k, &klen))
            return false;
        if (klen == 1 && k[0] == 'e')
            return read_gap_fields(&c, g);
        if (!skip(&c, 1))
            return false;
    }
    return false;
}
