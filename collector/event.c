/*
 * event.c - filling the event model.  Sources call these instead of
 * touching ev->fields directly, so the ES handler and the eslogger parser
 * lay out the same event the same way.  An event that runs out of field,
 * file or process slots keeps what fit and says so (truncated_fields);
 * nothing here allocates.
 */
#include "collector/collector.h"

#include <string.h>

void
ev_reset(struct estel_event *ev)
{
    ev->type = 0;
    ev->type_name.ptr = NULL;
    ev->type_name.len = 0;
    ev->version = 0;
    ev->time_ns = 0;
    ev->mach_time = 0;
    ev->has_seq = ev->has_global_seq = ev->has_thread = false;
    ev->seq_num = ev->global_seq_num = ev->thread_id = 0;
    memset(&ev->process, 0, sizeof(ev->process));
    ev->nfields = ev->nfiles = ev->nprocs = 0;
    ev->raw.ptr = NULL;
    ev->raw.len = 0;
    ev->truncated_fields = false;
}

static struct ev_field *
add_field(struct estel_event *ev, const char *key, enum ev_kind kind)
{
    struct ev_field *f;

    if (ev->nfields >= EV_MAX_FIELDS) {
        ev->truncated_fields = true;
        return NULL;
    }
    f = &ev->fields[ev->nfields++];
    f->key = key;
    f->kind = kind;
    return f;
}

void
ev_add_int(struct estel_event *ev, const char *key, int64_t v)
{
    struct ev_field *f = add_field(ev, key, EV_INT);

    if (f != NULL)
        f->v.i = v;
}

void
ev_add_uint(struct estel_event *ev, const char *key, uint64_t v)
{
    struct ev_field *f = add_field(ev, key, EV_UINT);

    if (f != NULL)
        f->v.u = v;
}

void
ev_add_bool(struct estel_event *ev, const char *key, bool v)
{
    struct ev_field *f = add_field(ev, key, EV_BOOL);

    if (f != NULL)
        f->v.b = v;
}

void
ev_add_str(struct estel_event *ev, const char *key, struct ev_str v)
{
    struct ev_field *f = add_field(ev, key, EV_STR);

    if (f != NULL)
        f->v.s = v;
}

void
ev_add_hex(struct estel_event *ev, const char *key, const void *p, size_t n)
{
    struct ev_field *f = add_field(ev, key, EV_HEX);

    if (f != NULL) {
        f->v.s.ptr = p;
        f->v.s.len = n;
    }
}

void
ev_add_strs(struct estel_event *ev, const char *key, struct ev_strs v)
{
    struct ev_field *f = add_field(ev, key, EV_STRS);

    if (f != NULL)
        f->v.strs = v;
}

void
ev_add_token(struct estel_event *ev, const char *key,
             const struct ev_token *t)
{
    struct ev_field *f = add_field(ev, key, EV_TOKEN);

    if (f != NULL)
        f->v.token = *t;
}

struct ev_file *
ev_add_file(struct estel_event *ev, const char *key)
{
    struct ev_field *f;
    struct ev_file *file;

    if (ev->nfiles >= EV_MAX_FILES) {
        ev->truncated_fields = true;
        return NULL;
    }
    if ((f = add_field(ev, key, EV_FILE)) == NULL)
        return NULL;
    file = &ev->files[ev->nfiles++];
    memset(file, 0, sizeof(*file));
    f->v.file = file;
    return file;
}

struct ev_process *
ev_add_proc(struct estel_event *ev, const char *key)
{
    struct ev_field *f;
    struct ev_process *proc;

    if (ev->nprocs >= EV_MAX_PROCS) {
        ev->truncated_fields = true;
        return NULL;
    }
    if ((f = add_field(ev, key, EV_PROC)) == NULL)
        return NULL;
    proc = &ev->procs[ev->nprocs++];
    memset(proc, 0, sizeof(*proc));
    f->v.proc = proc;
    return proc;
}
