/*
 * es_bench.c - what one ES message costs the handler: convert it to an
 * event, record its sequence numbers, encode the msgpack record and push
 * it into the ring (es_source_handle, exactly what the handler block
 * runs), on a realistic mix of event types and message versions.  A
 * consumer thread pops the ring meanwhile, as the batcher does.
 *
 * Beside it, in the same run: the converter alone, converter + encoder,
 * and the baseline - a bare memcpy of the very record bytes the handler
 * pushes.  Goal: under 500 ns per message.
 *
 *   bench_es [messages]        (default 2,000,000)
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>
#include "collector/es/es.h"
#include "collector/es/fake/fake_msg.h"

#define DISTINCT 1024               /* messages cycled (~3 MiB: past L2) */
#define GOAL_NS 500.0

static const struct {
    es_event_type_t type;
    int weight;                     /* per 100 */
} mix[] = {
    { ES_EVENT_TYPE_NOTIFY_OPEN, 20 }, { ES_EVENT_TYPE_NOTIFY_CLOSE, 15 },
    { ES_EVENT_TYPE_NOTIFY_EXEC, 10 }, { ES_EVENT_TYPE_NOTIFY_FORK, 10 },
    { ES_EVENT_TYPE_NOTIFY_EXIT, 10 }, { ES_EVENT_TYPE_NOTIFY_WRITE, 10 },
    { ES_EVENT_TYPE_NOTIFY_CREATE, 8 }, { ES_EVENT_TYPE_NOTIFY_UNLINK, 7 },
    { ES_EVENT_TYPE_NOTIFY_RENAME, 5 }, { ES_EVENT_TYPE_NOTIFY_MMAP, 5 },
};

static struct ring *ring;
static _Atomic bool done;
static _Atomic uint64_t popped;

/*
 * The batcher's side: drain whatever is there, then get on with other work
 * (here: a 200 us nap).  A consumer blocked in ring_wait() would cost the
 * producer a futex wake-up per record, which a busy batcher never asks
 * for; the runtime's idle batcher does, at rates where it does not matter.
 */
static void *
consume(void *arg)
{
    const struct timespec nap = { 0, 200000 };
    const void *rec;
    size_t len;

    (void)arg;
    while (!atomic_load(&done) || ring_used_bytes(ring) > 0) {
        while (ring_peek(ring, &rec, &len)) {
            ring_pop(ring);
            atomic_fetch_add_explicit(&popped, 1, memory_order_relaxed);
        }
        nanosleep(&nap, NULL);
    }
    return NULL;
}

/* This thread's CPU time: the box is shared, and time spent descheduled
 * is not the handler's cost.  Wall time is printed beside it. */
static double
now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double
wall_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* A deterministic mix: types by weight, versions 6..10 (macOS 13..26). */
static void
build_mix(es_message_t **msgs)
{
    es_event_type_t deck[100];
    size_t n = 0;
    uint64_t x = 88172645463325252ull;

    for (size_t i = 0; i < sizeof(mix) / sizeof(mix[0]); i++)
        for (int k = 0; k < mix[i].weight; k++)
            deck[n++] = mix[i].type;
    for (size_t i = 0; i < DISTINCT; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        msgs[i] = fake_msg_build(deck[x % 100], 6 + (uint32_t)(x >> 32) % 5);
    }
}

/* The kernel's numbering, so drop detection runs its normal path. */
static void
number(es_message_t *m, uint64_t i, uint64_t *type_seq)
{
    m->global_seq_num = i;
    m->seq_num = type_seq[m->event_type]++;
}

struct bench {
    struct estel_config cfg;
    struct collector *coll;
    struct es_conv *cv;
    struct record_encoder *enc;
    void *src;
    struct estel_event ev;
    es_message_t *msgs[DISTINCT];
    uint8_t *bytes[DISTINCT];           /* each message's record */
    size_t blen[DISTINCT];
    double avg_bytes;
    uint64_t type_seq[ES_EVENT_TYPE_LAST];
};

static bool
setup(struct bench *b)
{
    static const struct record_identity id = { "bench-host", "bench-boot" };
    struct record_limits lim;
    const uint8_t *rec;
    size_t len;

    if (config_defaults(&b->cfg, NULL) != ESTEL_OK ||
        ring_create(&ring, b->cfg.ring_bytes, NULL) != ESTEL_OK ||
        collector_create(&b->coll, &b->cfg, ring, &id, 1, false, NULL) !=
        ESTEL_OK ||
        source_es_ops.open(&b->src, &b->cfg, NULL, 0, 0, NULL) != ESTEL_OK ||
        es_conv_create(&b->cv, &b->cfg, NULL) != ESTEL_OK)
        return false;
    lim.argv_max_bytes = b->cfg.argv_max_bytes;
    lim.argv_max_count = b->cfg.argv_max_count;
    lim.capture_environment = false;
    if (record_encoder_create(&b->enc, &id, &lim, NULL) != ESTEL_OK)
        return false;
    build_mix(b->msgs);
    /* the bytes the handler will push, for the memcpy baseline */
    for (size_t i = 0; i < DISTINCT; i++) {
        es_conv_message(b->cv, b->msgs[i], &b->ev);
        if (record_encode_event(b->enc, &b->ev, i, &rec, &len) != ESTEL_OK ||
            (b->bytes[i] = malloc(len)) == NULL)
            return false;
        memcpy(b->bytes[i], rec, len);
        b->blen[i] = len;
        b->avg_bytes += (double)len / DISTINCT;
    }
    return true;
}

static void
teardown(struct bench *b)
{
    for (size_t i = 0; i < DISTINCT; i++) {
        fake_msg_free(b->msgs[i]);
        free(b->bytes[i]);
    }
    record_encoder_destroy(&b->enc);
    es_conv_destroy(&b->cv);
    source_es_ops.close(&b->src);
    collector_destroy(&b->coll);
    ring_destroy(&ring);
    config_free(&b->cfg);
}

/* The handler as ES runs it, messages numbered as the kernel would. */
static double
run_handler(struct bench *b, uint64_t from, uint64_t n, double *wall)
{
    double t0 = now_ns(), w0 = wall_ns();

    for (uint64_t i = from; i < from + n; i++) {
        es_message_t *m = b->msgs[i % DISTINCT];

        number(m, i, b->type_seq);
        es_source_handle(b->src, b->coll, m);
    }
    if (wall != NULL)
        *wall = (wall_ns() - w0) / (double)n;
    return (now_ns() - t0) / (double)n;
}

static double
run_convert(struct bench *b, uint64_t n, bool encode)
{
    double t0 = now_ns();
    const uint8_t *rec;
    size_t len;

    for (uint64_t i = 0; i < n; i++) {
        es_conv_message(b->cv, b->msgs[i % DISTINCT], &b->ev);
        if (encode)
            (void)record_encode_event(b->enc, &b->ev, i, &rec, &len);
    }
    return (now_ns() - t0) / (double)n;
}

static double
run_memcpy(struct bench *b, uint64_t n, char *sink, size_t sink_size)
{
    double t0 = now_ns();
    size_t off = 0;

    for (uint64_t i = 0; i < n; i++) {
        size_t k = i % DISTINCT;

        if (off + b->blen[k] > sink_size)
            off = 0;
        memcpy(sink + off, b->bytes[k], b->blen[k]);
        off += (b->blen[k] + 7) & ~(size_t)7;
        __asm__ volatile("" : : "r"(sink) : "memory");
    }
    return (now_ns() - t0) / (double)n;
}

static void
report(struct bench *b, uint64_t count, const double t[5])
{
    struct collector_stats *cs = collector_stats(b->coll);

    printf("bench_es: %llu messages, %d distinct, mix open/close/exec/fork/"
           "exit/write/create/unlink/rename/mmap, versions 6-10\n",
           (unsigned long long)count, DISTINCT);
    printf("  CPU time of the producing thread per message:\n");
    printf("  handler (convert + seq + encode + ring push): %7.1f ns/msg "
           "(wall %.1f)\n", t[0], t[1]);
    printf("  convert only:                                 %7.1f ns/msg\n",
           t[2]);
    printf("  convert + encode:                             %7.1f ns/msg\n",
           t[3]);
    printf("  baseline memcpy of the record bytes (%4.0f B): %7.1f ns/msg\n",
           b->avg_bytes, t[4]);
    printf("  handler / memcpy: %.1fx; records %llu, popped %llu, ring "
           "drops %llu; goal < %.0f ns: %s\n", t[0] / t[4],
           (unsigned long long)atomic_load(&cs->records_out),
           (unsigned long long)atomic_load(&popped),
           (unsigned long long)atomic_load(&cs->dropped_ring_full),
           GOAL_NS, t[0] < GOAL_NS ? "met" : "MISSED");
}

int
main(int argc, char **argv)
{
    uint64_t count = argc > 1 ? strtoull(argv[1], NULL, 10) : 2000000;
    struct bench *b = calloc(1, sizeof(*b));
    size_t sink_size = 1u << 20;
    char *sink = malloc(sink_size);
    double t[5];
    pthread_t thr;

    if (b == NULL || sink == NULL || count == 0 || !setup(b)) {
        fprintf(stderr, "bench_es: set-up failed\n");
        return 1;
    }
    pthread_create(&thr, NULL, consume, NULL);
    (void)run_handler(b, 0, count / 10 + 1, NULL);         /* warm-up */
    t[0] = run_handler(b, count / 10 + 1, count, &t[1]);
    t[2] = run_convert(b, count, false);
    t[3] = run_convert(b, count, true);
    t[4] = run_memcpy(b, count, sink, sink_size);
    atomic_store(&done, true);
    pthread_join(thr, NULL);
    report(b, count, t);
    teardown(b);
    free(sink);
    free(b);
    return 0;
}
