/*
 * src_synthetic.c - the synthetic source: --count N events (0: until
 * stopped) from the deterministic generator, seeded by --seed.
 */
#include "collector/collector.h"

#include <stdlib.h>

struct synthetic_src {
    struct synthetic_gen *gen;
    uint64_t count;
    _Atomic bool stop;
    struct estel_event ev;
};

static enum estel_rc
syn_open(void **ctx, const struct estel_config *cfg, const char *input,
         uint64_t count, uint64_t seed, struct estel_err *err)
{
    struct synthetic_src *s;
    enum estel_rc rc;

    (void)cfg;
    (void)input;
    if ((s = calloc(1, sizeof(*s))) == NULL)
        return estel_fail(err, ESTEL_E_NOMEM, "synthetic: out of memory");
    if ((rc = synthetic_create(&s->gen, seed, err)) != ESTEL_OK) {
        free(s);
        return rc;
    }
    s->count = count;
    atomic_init(&s->stop, false);
    *ctx = s;
    return ESTEL_OK;
}

static enum estel_rc
syn_run(void *ctx, struct collector *c, struct estel_err *err)
{
    struct synthetic_src *s = ctx;

    (void)err;
    for (uint64_t i = 0; s->count == 0 || i < s->count; i++) {
        if (atomic_load_explicit(&s->stop, memory_order_relaxed))
            break;
        synthetic_next(s->gen, &s->ev);
        collector_emit_wait(c, &s->ev, &s->stop);
    }
    return ESTEL_OK;
}

static void
syn_stop(void *ctx)
{
    struct synthetic_src *s = ctx;

    atomic_store(&s->stop, true);
}

static void
syn_close(void **ctx)
{
    struct synthetic_src *s;

    if (ctx == NULL || (s = *ctx) == NULL)
        return;
    synthetic_destroy(&s->gen);
    free(s);
    *ctx = NULL;
}

const struct source_ops source_synthetic_ops = {
    "synthetic", syn_open, syn_run, syn_stop, syn_close
};
