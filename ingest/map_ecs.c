/*
 * map_ecs.c - one record -> one Elastic Common Schema document (ECS 8.x),
 * as docs/schema.md documents field by field.
 *
 * Layout of a line: @timestamp, ecs, event, host, agent, then the subject
 * process (exec: the new image; fork: the child; otherwise the actor),
 * file, user/source for logins, and last "estel": every record fact that
 * has no ECS field (boot id, ES sequence numbers, pidversions, codesigning
 * flags, stat facts ECS lacks, payload keys no mapper reads).  A key is
 * left out of estel.* only when its whole value went into an ECS field.
 */
#include "ingest/ingest_int.h"

#include <string.h>

#define ECS_VERSION "8.11.0"

/* ECS user.id / group.id are keywords: "501". */
static void
id_field(struct jw *w, const char *obj, struct view *v, unsigned k)
{
    const struct mp_obj *o = view_get(v, k);

    if (o == NULL)
        return;
    jw_open(w, obj);
    if (o->type == MP_INT)
        jw_kv_i64_str(w, "id", o->v.i);
    else
        jw_kv_u64_str(w, "id", o->v.u);
    jw_close(w);
    view_use(v, k);
}

static void
time_field(struct jw *w, const char *key, struct view *v, unsigned k)
{
    const struct mp_obj *o = view_get(v, k);
    int64_t ns;

    if (o == NULL || !mp_get_i64(o, &ns))
        return;
    jw_kv_time(w, key, ns);
    view_use(v, k);
}

static void
path_fields(struct jw *w, const char *p, size_t n, const char *path_key,
            const char *name_key, const char *dir_key)
{
    const char *name, *ext;
    size_t dir_len, name_len, ext_len;

    jw_kv_str(w, path_key, p, n);
    path_split(p, n, &dir_len, &name, &name_len);
    if (name_len > 0)
        jw_kv_str(w, name_key, name, name_len);
    if (dir_key != NULL && dir_len > 0)
        jw_kv_str(w, dir_key, p, dir_len);
    if (dir_key != NULL && path_ext(name, name_len, &ext, &ext_len))
        jw_kv_str(w, "extension", ext, ext_len);
}

static const char *
file_type(uint64_t mode)
{
    switch (mode & DARWIN_S_IFMT) {
    case DARWIN_S_IFREG: return "file";
    case DARWIN_S_IFDIR: return "dir";
    case DARWIN_S_IFLNK: return "symlink";
    default: return NULL;
    }
}

/*
 * The ECS file object from a file view; path (if not NULL) replaces the
 * view's own path, which then is estel.file.original_path (rename).
 */
static void
ecs_file(struct jw *w, struct view *f, const char *path, size_t path_len)
{
    const struct mp_obj *o;

    jw_open(w, "file");
    if (path != NULL) {
        path_fields(w, path, path_len, "path", "name", "directory");
        view_use(f, FK_PATH);       /* in estel.file.original_path */
    } else if ((o = view_get(f, FK_PATH)) != NULL) {
        path_fields(w, o->v.s.p, o->v.s.n, "path", "name", "directory");
        view_use(f, FK_PATH);
    }
    if ((o = view_get(f, FK_INO)) != NULL) {
        jw_kv_u64_str(w, "inode", o->v.u);
        view_use(f, FK_INO);
    }
    if ((o = view_get(f, FK_DEV)) != NULL) {
        if (o->type == MP_INT)
            jw_kv_i64_str(w, "device", o->v.i);
        else
            jw_kv_u64_str(w, "device", o->v.u);
        view_use(f, FK_DEV);
    }
    if ((o = view_get(f, FK_MODE)) != NULL) {
        const char *t = file_type(o->v.u);

        /* derived: ECS wants the permission bits ("0644"); the whole
         * st_mode stays in estel.file.mode */
        jw_kv_octal_str(w, "mode", o->v.u & 07777);
        if (t != NULL)
            jw_kv_cstr(w, "type", t);
    }
    if ((o = view_get(f, FK_UID)) != NULL) {
        jw_kv_u64_str(w, "uid", o->v.u);
        view_use(f, FK_UID);
    }
    if ((o = view_get(f, FK_GID)) != NULL) {
        jw_kv_u64_str(w, "gid", o->v.u);
        view_use(f, FK_GID);
    }
    map_int_field(w, "size", f, FK_SIZE);
    time_field(w, "mtime", f, FK_MTIME);
    time_field(w, "ctime", f, FK_CTIME);
    time_field(w, "created", f, FK_BTIME);
    jw_close(w);
}

static void
code_signature(struct jw *w, struct view *p)
{
    const struct mp_obj *sig = view_get(p, PK_SIG);
    const struct mp_obj *csf = view_get(p, PK_CSF);

    jw_open(w, "code_signature");
    map_str_field(w, "signing_id", p, PK_SIG);
    map_str_field(w, "team_id", p, PK_TEAM);
    if (sig != NULL && sig->type == MP_STR)
        jw_kv_bool(w, "exists", true);
    /* derived: csf stays in estel.process.codesigning_flags */
    if (csf != NULL && csf->type == MP_UINT)
        jw_kv_bool(w, "valid", (csf->v.u & DARWIN_CS_VALID) != 0);
    jw_close(w);
}

/*
 * ECS process fields of view p into the open object.  with_parent: write
 * process.parent from p's ppid / parent entity id (not for fork, whose
 * parent is the actor).
 */
static void
ecs_process(struct jw *w, struct view *p, bool with_parent)
{
    const struct mp_obj *exe = view_get(p, PK_EXE);
    const struct mp_obj *o;

    map_int_field(w, "pid", p, PK_PID);
    map_str_field(w, "entity_id", p, PK_EID);
    if (exe != NULL && (o = file_path(exe)) != NULL)
        /* derived: the whole exe stays in estel.process.executable */
        path_fields(w, o->v.s.p, o->v.s.n, "executable", "name", NULL);
    time_field(w, "start", p, PK_START);
    id_field(w, "user", p, PK_EUID);
    id_field(w, "real_user", p, PK_RUID);
    id_field(w, "group", p, PK_EGID);
    id_field(w, "real_group", p, PK_RGID);
    if (view_has(p, PK_PGID)) {
        jw_open(w, "group_leader");
        map_int_field(w, "pid", p, PK_PGID);
        jw_close(w);
    }
    if (view_has(p, PK_SID)) {
        jw_open(w, "session_leader");
        map_int_field(w, "pid", p, PK_SID);
        jw_close(w);
    }
    code_signature(w, p);
    if (view_has(p, PK_TTY))
        jw_kv_bool(w, "interactive", true);     /* tty stays in estel */
    if (with_parent) {
        jw_open(w, "parent");
        map_int_field(w, "pid", p, PK_PPID);
        map_str_field(w, "entity_id", p, PK_PAREID);
        jw_close(w);
    }
}

/* exec: args, args_count, command_line, working_directory. */
static void
ecs_exec(struct jw *w, struct rec *r)
{
    const struct mp_obj *args = view_get(&r->e, EK_ARGS);
    const struct mp_obj *cnt = view_get(&r->e, EK_ARGS_COUNT);
    const struct mp_obj *cwd = view_get(&r->e, EK_CWD);
    const struct mp_obj *a;
    bool all_str = true;

    if (args != NULL) {
        a = mp_first(args);
        for (uint32_t i = 0; i < args->v.n && all_str; i++, a = mp_next(a))
            all_str = a->type == MP_STR;
    }
    if (args != NULL && all_str) {
        jw_open_array(w, "args");
        a = mp_first(args);
        for (uint32_t i = 0; i < args->v.n; i++, a = mp_next(a))
            jw_elem_str(w, a->v.s.p, a->v.s.n);
        jw_close_array(w);
        jw_kv_u64(w, "args_count", cnt != NULL ? cnt->v.u : args->v.n);
        jw_kv_joined(w, "command_line", args);
        view_use(&r->e, EK_ARGS);
        if (cnt != NULL)
            view_use(&r->e, EK_ARGS_COUNT);
    }
    if (cwd != NULL && (a = file_path(cwd)) != NULL)
        /* derived: cwd's stat facts stay in estel.event.cwd */
        jw_kv_str(w, "working_directory", a->v.s.p, a->v.s.n);
}

static void
ecs_exit_code(struct jw *w, struct rec *r)
{
    const struct mp_obj *st = view_get(&r->e, EK_STAT);
    int64_t s;

    /* a wait(2) status; the raw value stays in estel.event.stat */
    if (st == NULL || !mp_get_i64(st, &s))
        return;
    if ((s & 0x7f) == 0)
        jw_kv_i64(w, "exit_code", (s >> 8) & 0xff);
    else if ((s & 0x7f) != 0x7f)
        jw_kv_i64(w, "exit_code", 128 + (s & 0x7f));
}

static void
ecs_processes(struct jw *w, struct rec *r)
{
    const struct mp_obj *thr = view_get(&r->r, RK_THR);
    bool fork = r->has_subj && r->map->subject == SUBJ_CHILD;

    jw_open(w, "process");
    if (r->has_subj) {
        ecs_process(w, &r->subj, !fork);
        view_use(&r->e, r->map->subject == SUBJ_TARGET ? EK_TARGET :
                 EK_CHILD);
        if (fork) {
            jw_open(w, "parent");
            ecs_process(w, &r->p, false);
            jw_close(w);
        }
    } else {
        ecs_process(w, &r->p, true);
        if (thr != NULL) {
            jw_open(w, "thread");
            map_int_field(w, "id", &r->r, RK_THR);
            jw_close(w);
        }
    }
    if (r->map->subject == SUBJ_TARGET && r->has_subj)
        ecs_exec(w, r);
    if (r->map->subject == SUBJ_ACTOR && mp_str_eq(r->r.slot[RK_EV],
                                                     "exit", 4))
        ecs_exit_code(w, r);
    jw_close(w);
}

static void
ecs_files(struct jw *w, struct rec *r)
{
    if (r->has_file && r->newpath_len > 0) {
        /* rename-like: where the file is now, with the source's facts */
        ecs_file(w, &r->f, r->newpath, r->newpath_len);
        view_use(&r->e, r->map->file);
    } else if (r->has_file) {
        ecs_file(w, &r->f, NULL, 0);
        view_use(&r->e, r->map->file);
    } else if (r->newpath_len > 0) {
        jw_open(w, "file");
        path_fields(w, r->newpath, r->newpath_len, "path", "name",
                    "directory");
        jw_close(w);
    }
    if (r->newpath_len > 0 && r->newpath_key >= 0)
        view_use(&r->e, (unsigned)r->newpath_key);
}

/* Logins and other auth events: outcome, user, source. */
static void
ecs_auth(struct jw *w, struct rec *r)
{
    const struct mp_obj *uid = view_get(&r->e, EK_UID);
    const char *cat = r->map->ecs_category;

    /* "uid", "username" mean the account only in these (setowner's uid
     * is a file owner) */
    if (cat == NULL || (strcmp(cat, "authentication") != 0 &&
                        strcmp(cat, "session") != 0 &&
                        strcmp(cat, "iam") != 0))
        return;
    if (!view_has(&r->e, EK_USERNAME) && !view_has(&r->e, EK_TO_USERNAME) &&
        !view_has(&r->e, EK_FROM_USERNAME) &&
        (uid == NULL || !mp_is_int(uid)))
        goto source;
    jw_open(w, "user");
    if (view_has(&r->e, EK_USERNAME))
        map_str_field(w, "name", &r->e, EK_USERNAME);
    else
        map_str_field(w, "name", &r->e, EK_FROM_USERNAME);
    if (uid != NULL && mp_is_int(uid)) {
        if (uid->type == MP_INT)
            jw_kv_i64_str(w, "id", uid->v.i);
        else
            jw_kv_u64_str(w, "id", uid->v.u);
        view_use(&r->e, EK_UID);
    }
    if (view_has(&r->e, EK_TO_USERNAME)) {
        jw_open(w, "target");
        map_str_field(w, "name", &r->e, EK_TO_USERNAME);
        jw_close(w);
    }
    jw_close(w);
source:
    if (view_has(&r->e, EK_SOURCE_ADDRESS)) {
        jw_open(w, "source");
        map_str_field(w, "address", &r->e, EK_SOURCE_ADDRESS);
        jw_close(w);
    }
}

static void
ecs_event(struct jw *w, struct rec *r)
{
    const struct mp_obj *ev = r->r.slot[RK_EV];
    const struct mp_obj *ok = view_get(&r->e, EK_SUCCESS);
    const struct mp_obj *mod = view_get(&r->e, EK_MODIFIED);
    bool gap = r->kind[0] == 'g', status = r->kind[0] == 's';
    const char *type = r->map->ecs_type;

    if (mod != NULL && !mod->v.b && strcmp(type, "change") == 0)
        type = "access";                /* close without a write */
    jw_open(w, "event");
    jw_kv_cstr(w, "kind", gap ? "pipeline_error" : status ? "metric" :
               mp_str_eq(ev, "xp_malware_detected", 19) ? "alert" :
               "event");
    if (!gap && !status && r->map->ecs_category != NULL) {
        jw_open_array(w, "category");
        jw_elem_str(w, r->map->ecs_category,
                    strlen(r->map->ecs_category));
        jw_close_array(w);
    }
    jw_open_array(w, "type");
    jw_elem_str(w, type, strlen(type));
    jw_close_array(w);
    jw_kv_str(w, "action", ev->v.s.p, ev->v.s.n);
    view_use(&r->r, RK_EV);
    if (ok != NULL && !gap && !status) {
        jw_kv_cstr(w, "outcome", ok->v.b ? "success" : "failure");
        view_use(&r->e, EK_SUCCESS);
    }
    map_str_field(w, "id", &r->r, RK_ID);
    map_int_field(w, "sequence", &r->r, RK_CS);
    jw_kv_cstr(w, "module", "estel");
    jw_kv_cstr(w, "provider", "endpointsecurity");
    jw_kv_cstr(w, "dataset", gap ? "estel.gap" : status ? "estel.status" :
               "estel.events");
    jw_kv_time(w, "ingested", r->now_ns);
    jw_close(w);
}

static void
ecs_head(struct jw *w, struct rec *r)
{
    int64_t ts;

    if (mp_get_i64(r->r.slot[RK_TS], &ts)) {
        jw_kv_time(w, "@timestamp", ts);
        view_use(&r->r, RK_TS);
    }
    jw_open(w, "ecs");
    jw_kv_cstr(w, "version", ECS_VERSION);
    jw_close(w);
    ecs_event(w, r);
    jw_open(w, "host");
    map_str_field(w, "id", &r->r, RK_HID);
    jw_open(w, "os");
    jw_kv_cstr(w, "type", "macos");
    jw_close(w);
    jw_close(w);
    jw_open(w, "agent");
    jw_kv_cstr(w, "type", "estel");
    if (r->agent_version != NULL)
        jw_kv_str(w, "version", r->agent_version, r->agent_version_len);
    jw_close(w);
}

/* gap: error.* says what was lost; every payload key stays in estel.gap */
static void
ecs_gap(struct jw *w, struct rec *r)
{
    const struct mp_obj *reason = view_get(&r->e, EK_REASON);
    const struct mp_obj *count = view_get(&r->e, EK_COUNT_);

    jw_open(w, "error");
    jw_kv_cstr(w, "type", "estel.gap");
    if (reason != NULL)
        jw_kv_str(w, "code", reason->v.s.p, reason->v.s.n);
    if (count != NULL) {
        jw_key(w, "message", 7);
        jw_str(w, "events lost", 11);
    }
    jw_close(w);
}

static void
ecs_estel(struct jw *w, struct rec *r)
{
    bool collector = r->kind[0] != 'e';

    view_use(&r->r, RK_P);
    view_use(&r->r, RK_E);
    jw_open(w, "estel");
    view_leftovers(&r->r, w);
    jw_open(w, "process");
    view_leftovers(r->has_subj ? &r->subj : &r->p, w);
    jw_close(w);
    if (r->has_subj) {
        jw_open(w, r->map->subject == SUBJ_CHILD ? "parent" : "actor");
        view_leftovers(&r->p, w);
        jw_close(w);
    }
    if (r->has_file) {
        jw_open(w, "file");
        view_leftovers(&r->f, w);
        if (r->newpath_len > 0 && view_has(&r->f, FK_PATH))
            jw_kv_str(w, "original_path", r->f.slot[FK_PATH]->v.s.p,
                      r->f.slot[FK_PATH]->v.s.n);
        jw_close(w);
    }
    jw_open(w, collector ? r->kind : "event");
    view_leftovers(&r->e, w);
    jw_close(w);
    jw_close(w);
}

enum estel_rc
map_ecs(struct rec *r, struct estel_buf *out)
{
    struct jw w;

    jw_begin(&w, out);
    ecs_head(&w, r);
    if (r->kind[0] == 'e') {
        ecs_processes(&w, r);
        ecs_files(&w, r);
        ecs_auth(&w, r);
    } else {
        if (r->has_p)
            ecs_processes(&w, r);
        if (r->kind[0] == 'g')
            ecs_gap(&w, r);
    }
    ecs_estel(&w, r);
    return jw_end(&w);
}
