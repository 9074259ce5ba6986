/*
 * collector.c - model -> record -> ring, on the source thread.
 *
 * The collector assigns every record its sequence number ("cs"), so the
 * stream can prove what it lost: a record that finds the ring full keeps
 * its number, the number goes into a pending lost range, and the first
 * record that fits afterwards is preceded by a "gap" record naming that
 * range.  ES's own drops (seq_num / global_seq_num jumps) become gap
 * records the same way.  Nothing here blocks or allocates per event.
 */
#include "collector/collector.h"
#include "common/evtype.h"
#include "common/platform.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SEQ_TYPES 512               /* per-type ES seq_num tracking */

struct collector {
    const struct estel_config *cfg;
    struct ring *ring;
    struct record_encoder *enc;
    struct record_identity id;
    _Atomic uint64_t next_seq;
    bool filter_in_user;
    struct collector_stats stats;
    /* records lost to a full ring, not yet reported */
    uint64_t lost_first, lost_last, lost_count;
    /* ES drop detection */
    bool have_global;
    uint64_t last_global;
    uint64_t last_seq[SEQ_TYPES];
    uint8_t have_seq[SEQ_TYPES];
};

enum estel_rc
collector_create(struct collector **out, const struct estel_config *cfg,
                 struct ring *ring, const struct record_identity *id,
                 uint64_t first_seq, bool filter_in_user,
                 struct estel_err *err)
{
    struct collector *c;
    struct record_limits lim;
    enum estel_rc rc;

    if ((c = calloc(1, sizeof(*c))) == NULL)
        return estel_fail(err, ESTEL_E_NOMEM, "collector: out of memory");
    lim.argv_max_bytes = cfg->argv_max_bytes;
    lim.argv_max_count = cfg->argv_max_count;
    lim.capture_environment = cfg->capture_environment;
    if ((rc = record_encoder_create(&c->enc, id, &lim, err)) != ESTEL_OK) {
        free(c);
        return rc;
    }
    c->cfg = cfg;
    c->ring = ring;
    c->id = *id;
    c->filter_in_user = filter_in_user;
    atomic_init(&c->next_seq, first_seq);
    *out = c;
    return ESTEL_OK;
}

void
collector_destroy(struct collector **cp)
{
    if (cp == NULL || *cp == NULL)
        return;
    record_encoder_destroy(&(*cp)->enc);
    free(*cp);
    *cp = NULL;
}

uint64_t
collector_take_seq(struct collector *c)
{
    return atomic_fetch_add_explicit(&c->next_seq, 1, memory_order_relaxed);
}

struct collector_stats *
collector_stats(struct collector *c)
{
    return &c->stats;
}

const struct record_identity *
collector_identity(const struct collector *c)
{
    return &c->id;
}

struct record_encoder *
collector_encoder(struct collector *c)
{
    return c->enc;
}

/* ---- user-space filtering (non-ES sources) ----------------------------- */

static bool
path_matches(const struct config_mute *m, size_t n, struct ev_str path)
{
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(m[i].path);

        if (path.ptr == NULL || path.len < len)
            continue;
        if (memcmp(path.ptr, m[i].path, len) != 0)
            continue;
        if (m[i].prefix || path.len == len)
            return true;
    }
    return false;
}

/* ES semantics: a multi-path event is target-muted only if all its
 * target paths are muted. */
static bool
targets_muted(const struct collector *c, const struct estel_event *ev)
{
    size_t files = 0, muted = 0;

    if (c->cfg->mute_target_paths_count == 0)
        return false;
    for (size_t i = 0; i < ev->nfields; i++) {
        if (ev->fields[i].kind != EV_FILE)
            continue;
        files++;
        if (path_matches(c->cfg->mute_target_paths,
                         c->cfg->mute_target_paths_count,
                         ev->fields[i].v.file->path))
            muted++;
    }
    return files > 0 && muted == files;
}

static bool
filtered(const struct collector *c, const struct estel_event *ev)
{
    if (!c->filter_in_user)
        return false;
    if (ev->type < ESTEL_EVTYPE_COUNT && !config_event_enabled(c->cfg,
                                                               ev->type))
        return true;
    if (path_matches(c->cfg->mute_paths, c->cfg->mute_paths_count,
                     ev->process.executable.path))
        return true;
    return targets_muted(c, ev);
}

/* ---- pushing ----------------------------------------------------------- */

static void
note_lost(struct collector *c, uint64_t seq)
{
    if (c->lost_count == 0)
        c->lost_first = seq;
    c->lost_last = seq;
    c->lost_count++;
}

/* Take back the loss push() just noted: the caller retries the record. */
static void
unnote_lost(struct collector *c, uint64_t seq)
{
    if (c->lost_count > 0 && c->lost_last == seq) {
        c->lost_count--;
        c->lost_last = seq - 1;
        atomic_fetch_sub(&c->stats.dropped_ring_full, 1);
    }
}

/* Report the pending lost range; true if the ring took the gap record. */
static bool
flush_lost(struct collector *c)
{
    struct ev_field f[4];
    const uint8_t *rec;
    size_t len;
    uint64_t seq;

    if (c->lost_count == 0)
        return true;
    f[0] = (struct ev_field){ .key = "first_seq", .kind = EV_UINT,
                              .v.u = c->lost_first };
    f[1] = (struct ev_field){ .key = "last_seq", .kind = EV_UINT,
                              .v.u = c->lost_last };
    f[2] = (struct ev_field){ .key = "count", .kind = EV_UINT,
                              .v.u = c->lost_count };
    f[3] = (struct ev_field){ .key = "reason", .kind = EV_STR,
                              .v.s = ev_cstr("ring_full") };
    seq = collector_take_seq(c);
    if (record_encode_collector(c->enc, "gap", seq, estel_now_realtime_ns(),
                                f, 4, &rec, &len) != ESTEL_OK ||
        ring_push(c->ring, rec, len) != ESTEL_OK) {
        note_lost(c, seq);          /* the gap record's own number, too */
        return false;
    }
    atomic_fetch_add(&c->stats.gaps_emitted, 1);
    c->lost_count = 0;
    return true;
}

size_t
collector_encode_gap(struct collector *c, struct record_encoder *enc,
                      uint64_t first_seq, uint64_t last_seq,
                      uint64_t records, uint64_t batches, const char *reason,
                      const uint8_t **rec)
{
    struct ev_field f[5] = {
        { .key = "first_seq", .kind = EV_UINT, .v.u = first_seq },
        { .key = "last_seq", .kind = EV_UINT, .v.u = last_seq },
        { .key = "count", .kind = EV_UINT, .v.u = records },
        { .key = "batches", .kind = EV_UINT, .v.u = batches },
        { .key = "reason", .kind = EV_STR, .v.s = ev_cstr(reason) },
    };
    size_t len;

    if (record_encode_collector(enc, "gap", collector_take_seq(c),
                                estel_now_realtime_ns(), f, 5, rec, &len)
        != ESTEL_OK)
        return 0;
    atomic_fetch_add(&c->stats.gaps_emitted, 1);
    return len;
}

/*
 * Push an encoded record whose number was taken after a successful
 * flush_lost(), so lost numbers are always noted in increasing order.
 */
static enum estel_rc
push(struct collector *c, uint64_t seq, const uint8_t *rec, size_t len)
{
    enum estel_rc rc = ring_push(c->ring, rec, len);

    if (rc == ESTEL_OK) {
        collector_count(&c->stats.records_out, 1);
        return ESTEL_OK;
    }
    note_lost(c, seq);
    if (rc == ESTEL_E_FULL)
        atomic_fetch_add(&c->stats.dropped_ring_full, 1);
    else
        atomic_fetch_add(&c->stats.dropped_too_big, 1);
    return rc;
}

/*
 * Report earlier losses, then take the next number.  The gap record is
 * encoded first because it uses the same encoder whose buffer the next
 * record borrows, and its number comes first so that lost numbers are
 * always noted in increasing order.  False (the number noted lost) while
 * the ring is still full.
 */
static bool
take_seq_with_room(struct collector *c, uint64_t *seq)
{
    bool room = flush_lost(c);

    *seq = collector_take_seq(c);
    if (!room) {
        note_lost(c, *seq);
        atomic_fetch_add(&c->stats.dropped_ring_full, 1);
    }
    return room;
}

enum estel_rc
collector_emit(struct collector *c, const struct estel_event *ev)
{
    const uint8_t *rec;
    size_t len;
    uint64_t seq;

    collector_count(&c->stats.events_in, 1);
    if (filtered(c, ev)) {
        collector_count(&c->stats.events_filtered, 1);
        return ESTEL_OK;
    }
    if (!take_seq_with_room(c, &seq))
        return ESTEL_E_FULL;
    if (record_encode_event(c->enc, ev, seq, &rec, &len) != ESTEL_OK) {
        note_lost(c, seq);
        atomic_fetch_add(&c->stats.dropped_too_big, 1);
        return ESTEL_E_REJECTED;
    }
    return push(c, seq, rec, len);
}

enum estel_rc
collector_emit_wait(struct collector *c, const struct estel_event *ev,
                    const _Atomic bool *stop)
{
    const struct timespec nap = { 0, 1000000 };
    const uint8_t *rec;
    size_t len;
    uint64_t seq;
    enum estel_rc rc;

    collector_count(&c->stats.events_in, 1);
    if (filtered(c, ev)) {
        collector_count(&c->stats.events_filtered, 1);
        return ESTEL_OK;
    }
    while (!flush_lost(c) && !atomic_load(stop))
        nanosleep(&nap, NULL);
    if (!take_seq_with_room(c, &seq))
        return ESTEL_E_FULL;
    if (record_encode_event(c->enc, ev, seq, &rec, &len) != ESTEL_OK) {
        note_lost(c, seq);
        atomic_fetch_add(&c->stats.dropped_too_big, 1);
        return ESTEL_E_REJECTED;
    }
    /* push() tries once; a replay waits for room instead, until stopped */
    while ((rc = push(c, seq, rec, len)) == ESTEL_E_FULL &&
           !atomic_load(stop)) {
        unnote_lost(c, seq);
        nanosleep(&nap, NULL);
    }
    return rc;
}

enum estel_rc
collector_emit_gap(struct collector *c, const struct ev_field *fields,
                   size_t nfields, uint64_t *seq_out)
{
    const uint8_t *rec;
    size_t len;
    uint64_t seq;
    enum estel_rc rc;

    if (!take_seq_with_room(c, &seq))
        return ESTEL_E_FULL;
    if (seq_out != NULL)
        *seq_out = seq;
    if (record_encode_collector(c->enc, "gap", seq, estel_now_realtime_ns(),
                                fields, nfields, &rec, &len) != ESTEL_OK) {
        note_lost(c, seq);
        return ESTEL_E_REJECTED;
    }
    if ((rc = push(c, seq, rec, len)) == ESTEL_OK)
        atomic_fetch_add(&c->stats.gaps_emitted, 1);
    return rc;
}

/* ---- ES drop detection -------------------------------------------------- */

static void
emit_es_gap(struct collector *c, const struct estel_event *ev,
            const char *which, uint64_t from, uint64_t to)
{
    struct ev_field f[6];
    size_t n = 0;

    f[n++] = (struct ev_field){ .key = "reason", .kind = EV_STR,
                                .v.s = ev_cstr("es_drop") };
    f[n++] = (struct ev_field){ .key = "sequence", .kind = EV_STR,
                                .v.s = ev_cstr(which) };
    f[n++] = (struct ev_field){ .key = "es_first", .kind = EV_UINT,
                                .v.u = from };
    f[n++] = (struct ev_field){ .key = "es_last", .kind = EV_UINT,
                                .v.u = to };
    f[n++] = (struct ev_field){ .key = "count", .kind = EV_UINT,
                                .v.u = to - from + 1 };
    f[n++] = (struct ev_field){ .key = "et", .kind = EV_UINT,
                                .v.u = ev->type };
    atomic_fetch_add(&c->stats.es_dropped, to - from + 1);
    (void)collector_emit_gap(c, f, n, NULL);
}

/*
 * global_seq_num counts every message to this client, seq_num every message
 * of one type.  With global numbers (version >= 4) they give the total
 * loss; without them (versions 2-3) per-type numbers are all there is.  A
 * number lower than the last one means a new ES client, not a loss.
 */
void
collector_track_es_seq(struct collector *c, const struct estel_event *ev)
{
    uint32_t t = ev->type;

    if (ev->has_global_seq) {
        if (c->have_global && ev->global_seq_num > c->last_global + 1)
            emit_es_gap(c, ev, "global_seq_num", c->last_global + 1,
                        ev->global_seq_num - 1);
        c->have_global = true;
        c->last_global = ev->global_seq_num;
    }
    if (!ev->has_seq || t >= SEQ_TYPES)
        return;
    if (!ev->has_global_seq && c->have_seq[t] &&
        ev->seq_num > c->last_seq[t] + 1)
        emit_es_gap(c, ev, "seq_num", c->last_seq[t] + 1, ev->seq_num - 1);
    c->have_seq[t] = 1;
    c->last_seq[t] = ev->seq_num;
}
