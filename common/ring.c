/*
 * ring.c - lock-free SPSC byte ring; see ring.h.
 *
 * Positions are free-running 64-bit byte counters (never wrap in practice);
 * the slot is pos & mask.  Each record is an 8-byte aligned frame: a 4-byte
 * length, 4 bytes of padding, then the payload padded to 8.  A record that
 * does not fit before the end of the buffer leaves a WRAP frame there and
 * starts at offset 0, so a record is always contiguous and ring_peek() can
 * lend it without copying.  The producer publishes with a store of head;
 * the consumer frees space with a release store of tail.
 *
 * Each side works on its own cache line: it keeps its own position and a
 * copy of the other side's, and reads the other side's line only when its
 * copy says the ring is full (producer) or empty (consumer).
 */
#include "common/ring.h"
#include "common/platform.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define FRAME_HDR 8u
#define WRAP_MARK UINT32_MAX

#define LINE 64
#define PREFETCH_AHEAD 1024u    /* bytes the producer warms past head */

struct ring {
    uint8_t *buf;
    size_t cap;
    size_t mask;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    /* producer's line */
    _Alignas(LINE) _Atomic uint64_t head;
    uint64_t tail_seen;         /* tail as the producer last read it */
    uint64_t warm;              /* buf is prefetched for writing up to here */
    /* consumer's line */
    _Alignas(LINE) _Atomic uint64_t tail;
    uint64_t head_seen;         /* head as the consumer last read it */
    _Alignas(LINE) _Atomic bool closed;
    _Atomic bool waiting;       /* the consumer sleeps or is about to */
};

static size_t
frame_size(size_t len)
{
    return FRAME_HDR + ((len + 7u) & ~(size_t)7u);
}

enum estel_rc
ring_create(struct ring **out, size_t capacity_bytes, struct estel_err *err)
{
    struct ring *r;
    size_t cap = 4096;

    while (cap < capacity_bytes && cap < ((size_t)1 << 40))
        cap <<= 1;
    if ((r = aligned_alloc(LINE, sizeof(*r))) != NULL) {
        memset(r, 0, sizeof(*r));
        r->buf = malloc(cap);
    }
    if (r == NULL || r->buf == NULL) {
        free(r);
        return estel_fail(err, ESTEL_E_NOMEM, "ring: cannot allocate %zu "
                          "bytes", cap);
    }
    r->cap = cap;
    r->mask = cap - 1;
    atomic_init(&r->head, 0);
    atomic_init(&r->tail, 0);
    atomic_init(&r->closed, false);
    atomic_init(&r->waiting, false);
    pthread_mutex_init(&r->mu, NULL);
    estel_cond_init(&r->cv);
    *out = r;
    return ESTEL_OK;
}

void
ring_destroy(struct ring **rp)
{
    struct ring *r;

    if (rp == NULL || (r = *rp) == NULL)
        return;
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
    free(r->buf);
    free(r);
    *rp = NULL;
}

static void
wake(struct ring *r)
{
    pthread_mutex_lock(&r->mu);
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

/*
 * Ask for the free bytes just past head in exclusive state now, so that
 * the next records are copied into lines already here: the store of head
 * below waits for every store before it to reach the cache.
 */
static void
warm_up(struct ring *r, uint64_t head)
{
    uint64_t end = head + PREFETCH_AHEAD;

    if (end > r->tail_seen + r->cap)
        end = r->tail_seen + r->cap;     /* free space only */
    if (r->warm < head)
        r->warm = head;
    for (; r->warm < end; r->warm += LINE)
        __builtin_prefetch(r->buf + (r->warm & r->mask), 1);
}

enum estel_rc
ring_push(struct ring *r, const void *rec, size_t len)
{
    uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    size_t need = frame_size(len);
    size_t off = (size_t)(head & r->mask);
    size_t to_end = r->cap - off;
    size_t total = need;
    uint32_t len32 = (uint32_t)len;

    if (len > r->cap / 4)
        return ESTEL_E_REJECTED;
    if (to_end < need)
        total += to_end;        /* a WRAP frame fills the rest */
    if (r->cap - (size_t)(head - r->tail_seen) < total) {
        r->tail_seen = atomic_load_explicit(&r->tail, memory_order_acquire);
        if (r->cap - (size_t)(head - r->tail_seen) < total)
            return ESTEL_E_FULL;
    }
    if (to_end < need) {
        uint32_t mark = WRAP_MARK;

        memcpy(r->buf + off, &mark, sizeof(mark));
        head += to_end;
        off = 0;
    }
    memcpy(r->buf + off, &len32, sizeof(len32));
    memcpy(r->buf + off + FRAME_HDR, rec, len);
    /*
     * seq_cst, paired with ring_wait(): either the consumer sees this head
     * before it sleeps, or this load sees it waiting.  So only a consumer
     * that said it sleeps costs a wake-up (the lock); an empty ring alone
     * does not.
     */
    atomic_store(&r->head, head + need);
    if (atomic_load(&r->waiting))
        wake(r);
    warm_up(r, head + need);
    return ESTEL_OK;
}

void
ring_close(struct ring *r)
{
    atomic_store_explicit(&r->closed, true, memory_order_release);
    wake(r);
}

void
ring_kick(struct ring *r)
{
    wake(r);
}

/* Consumer: nothing at tail?  Reads the producer's line only when the
 * copy of head says so. */
static bool
empty_at(struct ring *r, uint64_t tail)
{
    if (tail != r->head_seen)
        return false;
    r->head_seen = atomic_load_explicit(&r->head, memory_order_acquire);
    return tail == r->head_seen;
}

bool
ring_peek(struct ring *r, const void **rec, size_t *len)
{
    uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    uint32_t len32;

    if (empty_at(r, tail))
        return false;
    memcpy(&len32, r->buf + (tail & r->mask), sizeof(len32));
    if (len32 == WRAP_MARK) {
        tail += r->cap - (size_t)(tail & r->mask);
        atomic_store_explicit(&r->tail, tail, memory_order_release);
        if (empty_at(r, tail))
            return false;
        memcpy(&len32, r->buf + (tail & r->mask), sizeof(len32));
    }
    *rec = r->buf + (tail & r->mask) + FRAME_HDR;
    *len = len32;
    return true;
}

void
ring_pop(struct ring *r)
{
    uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    uint32_t len32;

    memcpy(&len32, r->buf + (tail & r->mask), sizeof(len32));
    tail += frame_size(len32);
    atomic_store_explicit(&r->tail, tail, memory_order_release);
    if (tail != r->head_seen)
        __builtin_prefetch(r->buf + (tail & r->mask));  /* the next frame */
}

static bool
has_record(struct ring *r)
{
    return atomic_load_explicit(&r->tail, memory_order_relaxed) !=
           atomic_load_explicit(&r->head, memory_order_acquire);
}

bool
ring_wait(struct ring *r, int64_t timeout_ms)
{
    if (has_record(r))
        return true;
    pthread_mutex_lock(&r->mu);
    atomic_store(&r->waiting, true);
    if (atomic_load(&r->head) == atomic_load(&r->tail) && !atomic_load(&r->closed) && timeout_ms > 0)
        estel_cond_timedwait_ms(&r->cv, &r->mu, timeout_ms);
    atomic_store_explicit(&r->waiting, false, memory_order_release);
    pthread_mutex_unlock(&r->mu);
    return has_record(r);
}

bool
ring_finished(struct ring *r)
{
    return atomic_load_explicit(&r->closed, memory_order_acquire) &&
           !has_record(r);
}

size_t
ring_used_bytes(const struct ring *r)
{
    return (size_t)(atomic_load(&((struct ring *)r)->head) -
                    atomic_load(&((struct ring *)r)->tail));
}

size_t
ring_capacity(const struct ring *r)
{
    return r->cap;
}
