/*
 * src_eslogger.c - the eslogger source: replays Apple eslogger(1) JSON
 * lines from --input FILE or - (stdin, e.g. `sudo eslogger exec fork exit
 * | estel run --input -`).
 *
 * A replay has no kernel queue to drop into, so records wait for room in
 * the ring (collector_emit_wait) instead of being dropped.  Gaps in
 * eslogger's own sequence numbers (its ES client lost events) still become
 * gap records.  CLOSE without modification is dropped here, as the ES
 * source drops it, and counted as filtered.  A bad line is logged with its
 * number, counted in bad_input, and skipped: the first ten are logged,
 * then every thousandth.
 */
#include "collector/collector.h"
#include "common/log.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define ES_CLOSE 12
#define BAD_LOGGED_FIRST 10
#define BAD_LOGGED_EVERY 1000

struct eslogger_src {
    struct eslogger_reader *reader;
    struct eslogger_parser *parser;
    _Atomic bool stop;
    uint64_t bad;
    struct estel_event ev;
};

static void esl_src_close(void **ctx);

static enum estel_rc
esl_src_open(void **ctx, const struct estel_config *cfg, const char *input,
             uint64_t count, uint64_t seed, struct estel_err *err)
{
    struct eslogger_src *s;
    enum estel_rc rc;

    (void)cfg;
    (void)count;
    (void)seed;
    if (input == NULL || input[0] == '\0')
        return estel_fail(err, ESTEL_E_USAGE, "eslogger source: no input; "
                          "give --input FILE, or --input - for stdin");
    if ((s = calloc(1, sizeof(*s))) == NULL)
        return estel_fail(err, ESTEL_E_NOMEM, "eslogger: out of memory");
    atomic_init(&s->stop, false);
    if ((rc = eslogger_parser_create(&s->parser, err)) != ESTEL_OK ||
        (rc = eslogger_reader_open(&s->reader, input, ESLOGGER_MAX_LINE,
                                   err)) != ESTEL_OK) {
        esl_src_close((void **)&s);
        return rc;
    }
    *ctx = s;
    return ESTEL_OK;
}

static void
bad_line(struct eslogger_src *s, struct collector *c, uint64_t lineno,
         const char *why)
{
    atomic_fetch_add(&collector_stats(c)->bad_input, 1);
    s->bad++;
    if (s->bad < BAD_LOGGED_FIRST)
        log_warnx("eslogger: line %" PRIu64 ": %s", lineno, why);
    else if (s->bad == BAD_LOGGED_FIRST)
        log_warnx("eslogger: line %" PRIu64 ": %s (10 bad lines: from now "
                  "on every %dth is logged)", lineno, why, BAD_LOGGED_EVERY);
    else if (s->bad % BAD_LOGGED_EVERY == 0)
        log_warnx("eslogger: line %" PRIu64 ": %s (%" PRIu64 " bad lines "
                  "so far)", lineno, why, s->bad);
}

/* CLOSE with modified=false says nothing happened to the file. */
static bool
unmodified_close(const struct estel_event *ev)
{
    if (ev->type != ES_CLOSE)
        return false;
    for (size_t i = 0; i < ev->nfields; i++)
        if (ev->fields[i].kind == EV_BOOL &&
            strcmp(ev->fields[i].key, "modified") == 0)
            return !ev->fields[i].v.b;
    return false;
}

static void
offer(struct eslogger_src *s, struct collector *c)
{
    struct collector_stats *st = collector_stats(c);

    collector_track_es_seq(c, &s->ev);
    if (unmodified_close(&s->ev)) {
        atomic_fetch_add_explicit(&st->events_in, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&st->events_filtered, 1,
                                  memory_order_relaxed);
        return;
    }
    /* a record the ring cannot take is counted (and becomes a gap) by
     * the collector; the replay goes on */
    (void)collector_emit_wait(c, &s->ev, &s->stop);
}

static enum estel_rc
esl_src_run(void *ctx, struct collector *c, struct estel_err *err)
{
    struct eslogger_src *s = ctx;
    struct estel_err perr;
    uint64_t lineno = 0;
    char *line, why[64];
    size_t len;
    enum estel_rc rc;

    while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
        rc = eslogger_reader_next(s->reader, &line, &len, &lineno, err);
        if (rc == ESTEL_E_EOF)
            break;
        if (rc == ESTEL_E_REJECTED) {
            snprintf(why, sizeof(why), "longer than %u bytes; skipped",
                     ESLOGGER_MAX_LINE);
            bad_line(s, c, lineno, why);
            continue;
        }
        if (rc != ESTEL_OK)
            return rc;
        if (len == 0)
            continue;               /* a blank line is no event */
        estel_err_clear(&perr);
        if (eslogger_parse_padded(s->parser, line, len, &s->ev, &perr) !=
            ESTEL_OK) {
            bad_line(s, c, lineno, perr.msg);
            continue;
        }
        offer(s, c);
    }
    return ESTEL_OK;
}

static void
esl_src_stop(void *ctx)
{
    struct eslogger_src *s = ctx;

    atomic_store(&s->stop, true);
    eslogger_reader_interrupt(s->reader);
}

static void
esl_src_close(void **ctx)
{
    struct eslogger_src *s;

    if (ctx == NULL || (s = *ctx) == NULL)
        return;
    eslogger_reader_close(&s->reader);
    eslogger_parser_destroy(&s->parser);
    free(s);
    *ctx = NULL;
}

const struct source_ops source_eslogger_ops = {
    "eslogger", esl_src_open, esl_src_run, esl_src_stop, esl_src_close
};
