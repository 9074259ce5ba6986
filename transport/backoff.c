/*
 * backoff.c - when to try again, and how fast to send.
 *
 * Retry schedule (docs/protocol.md "Retries"):
 *   transient, TLS   full jitter: rand[0, min(cap, 1 s * 2^(n-1))]
 *                    (AWS "full jitter": a fleet that failed together
 *                    spreads out instead of retrying in lock step)
 *   Retry-After R    R + rand[0, min(30 s, that ceiling)]: the server's
 *                    word is honoured, and a fleet told the same R still
 *                    does not reconnect at once
 *   auth (401/403)   long: equal jitter from 30 s doubling up to
 *                    max(cap, 10 min); a person must fix something, and
 *                    a cert change on disk cuts the wait (uploader.c)
 *   link came back   the rest of a transient wait shrinks to
 *                    rand[0, min(2 s, rest)]: the outage was ours, not
 *                    the server's, so flush within seconds
 * The pace (token bucket) keeps a flush under UploadMaxBytesPerSecond
 * across requests; curl's per-transfer limit smooths each one.
 */
#include "transport/transport_int.h"

static uint64_t
rng_next(uint64_t *s)
{
    /* splitmix64: tiny, good enough for jitter, no shared state */
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));

    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

int64_t
backoff_rand(struct backoff *b, int64_t lo, int64_t hi)
{
    uint64_t span;

    if (hi <= lo)
        return lo;
    span = (uint64_t)(hi - lo) + 1;
    return lo + (int64_t)(rng_next(&b->rng) % span);
}

void
backoff_init(struct backoff *b, int64_t cap_ms, uint64_t seed)
{
    b->level = 0;
    b->cap_ms = cap_ms > BACKOFF_BASE_MS ? cap_ms : BACKOFF_BASE_MS;
    b->ceiling_ms = 0;
    b->server_said = false;
    b->rng = seed;
}

void
backoff_reset(struct backoff *b)
{
    b->level = 0;
    b->ceiling_ms = 0;
    b->server_said = false;
}

/* base * 2^(level-1), capped, without overflow */
static int64_t
ceiling(int64_t base, uint32_t level, int64_t cap)
{
    int64_t c = base;

    for (uint32_t i = 1; i < level && c < cap; i++)
        c *= 2;
    return c < cap ? c : cap;
}

static int64_t
min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

int64_t
backoff_fail(struct backoff *b, enum transport_class cls,
             int64_t retry_after_s)
{
    int64_t c, d;

    if (b->level < 64)
        b->level++;
    b->server_said = false;
    if (cls == TRANSPORT_AUTH) {
        int64_t cap = b->cap_ms > BACKOFF_AUTH_CAP_MIN_MS ? b->cap_ms :
                      BACKOFF_AUTH_CAP_MIN_MS;

        c = ceiling(BACKOFF_AUTH_BASE_MS, b->level, cap);
        b->ceiling_ms = c;
        return c / 2 + backoff_rand(b, 0, c / 2);
    }
    c = ceiling(BACKOFF_BASE_MS, b->level, b->cap_ms);
    b->ceiling_ms = c;
    if (retry_after_s >= 0) {
        b->server_said = true;
        return retry_after_s * 1000 +
               backoff_rand(b, 0, min64(BACKOFF_SPREAD_MAX_MS, c));
    }
    d = backoff_rand(b, 0, c);
    return d > BACKOFF_FLOOR_MS ? d : BACKOFF_FLOOR_MS;
}

int64_t
backoff_netwake(struct backoff *b, enum transport_class last,
                int64_t remaining_ms)
{
    /* a server that said Retry-After, or refused our credentials, is not
     * helped by our link coming back */
    if (remaining_ms <= 0 || b->server_said ||
        (last != TRANSPORT_TRANSIENT && last != TRANSPORT_TLS))
        return remaining_ms;
    return backoff_rand(b, 0, min64(BACKOFF_NETWAKE_MAX_MS, remaining_ms));
}

void
pace_init(struct pace *p, uint64_t rate_bps, int64_t now_ns)
{
    p->rate_bps = rate_bps;
    /* one second's worth, at least 64 KiB, so small batches go in bursts
     * no bigger than about a second of the allowed rate */
    p->burst = rate_bps > 65536 ? (double)rate_bps : 65536.0;
    p->tokens = p->burst;
    p->last_ns = now_ns;
}

static void
refill(struct pace *p, int64_t now_ns)
{
    int64_t dt = now_ns - p->last_ns;

    if (dt <= 0)
        return;
    p->last_ns = now_ns;
    /* double: no overflow for long idle times, no rounding loss when
     * called often at a low rate */
    p->tokens += (double)dt * (double)p->rate_bps / (double)NS_PER_S;
    if (p->tokens > p->burst)
        p->tokens = p->burst;
}

int64_t
pace_wait_ms(struct pace *p, int64_t now_ns)
{
    double ms;

    if (p->rate_bps == 0)
        return 0;
    refill(p, now_ns);
    if (p->tokens >= 0)
        return 0;
    ms = -p->tokens * 1000.0 / (double)p->rate_bps;
    return ms < 1.0 ? 1 : (int64_t)ms + 1;
}

void
pace_take(struct pace *p, uint64_t bytes)
{
    if (p->rate_bps == 0)
        return;
    /* the balance may go negative: the next request waits it off */
    p->tokens -= (double)bytes;
}
