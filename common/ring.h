/*
 * ring.h - bounded single-producer single-consumer hand-off of
 * variable-length records (the source thread -> the batcher thread).
 *
 * ring_push() copies the record in and never blocks or sleeps: an ES
 * handler calls it.  When the ring is full it returns ESTEL_E_FULL and the
 * caller counts a drop.  A push takes the lock only to wake a consumer
 * that waits in ring_wait(), which it does only on an empty ring
 * (coalesced wake-ups); its waits are also bounded by a timeout, so a lost
 * wake-up costs latency, never data.
 */
#ifndef ESTEL_RING_H
#define ESTEL_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common/err.h"

struct ring;

/* capacity_bytes is rounded up to a power of two (min 4 KiB). */
enum estel_rc ring_create(struct ring **out, size_t capacity_bytes,
                          struct estel_err *err);
void ring_destroy(struct ring **r);

/* Producer only.  ESTEL_OK, ESTEL_E_FULL, or ESTEL_E_REJECTED when the
 * record can never fit (larger than a quarter of the ring). */
enum estel_rc ring_push(struct ring *r, const void *rec, size_t len);
/* Producer only: no more records will come; wakes the consumer. */
void ring_close(struct ring *r);

/* Consumer only.  Borrow the oldest record (valid until ring_pop). */
bool ring_peek(struct ring *r, const void **rec, size_t *len);
void ring_pop(struct ring *r);
/* Consumer only.  Wait until a record is there, the ring is closed, or
 * timeout_ms passed.  Returns true if a record is available. */
bool ring_wait(struct ring *r, int64_t timeout_ms);
/* True once ring_close() was called and every record was popped. */
bool ring_finished(struct ring *r);
/* Wake a waiting consumer (any thread), e.g. to make it stop. */
void ring_kick(struct ring *r);

size_t ring_used_bytes(const struct ring *r);
size_t ring_capacity(const struct ring *r);

#endif
