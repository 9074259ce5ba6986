/*
 * map_ocsf.c - one record -> one OCSF event (schema 1.3), as
 * docs/schema.md documents: Process Activity (1007), File System Activity
 * (1001), Authentication (3002), everything else Base Event (class 0,
 * activity 99 Other).  OCSF times are milliseconds; the nanosecond values
 * stay in "unmapped" with every other record fact OCSF has no attribute
 * for, so nothing is dropped.
 */
#include "ingest/ingest_int.h"

#include <arpa/inet.h>
#include <string.h>

#define OCSF_VERSION "1.3.0"

/* Milliseconds of a ns value; derived, the ns value stays unmapped. */
static void
ms_attr(struct jw *w, const char *key, const struct view *v, unsigned k)
{
    const struct mp_obj *o = view_get(v, k);
    int64_t ns;

    if (o != NULL && mp_get_i64(o, &ns))
        jw_kv_i64(w, key, ns / 1000000);
}

static void
uid_obj(struct jw *w, const char *obj, struct view *v, unsigned k)
{
    const struct mp_obj *o = view_get(v, k);

    if (o == NULL)
        return;
    jw_open(w, obj);
    if (o->type == MP_INT)
        jw_kv_i64_str(w, "uid", o->v.i);
    else
        jw_kv_u64_str(w, "uid", o->v.u);
    jw_close(w);
    view_use(v, k);
}

static void
type_id(struct jw *w, uint64_t mode)
{
    static const struct { uint32_t fmt; int id; const char *name; } t[] = {
        { DARWIN_S_IFREG, 1, "Regular File" },
        { DARWIN_S_IFDIR, 2, "Folder" },
        { DARWIN_S_IFCHR, 3, "Character Device" },
        { DARWIN_S_IFBLK, 4, "Block Device" },
        { DARWIN_S_IFSOCK, 5, "Local Socket" },
        { DARWIN_S_IFIFO, 6, "Named Pipe" },
        { DARWIN_S_IFLNK, 7, "Symbolic Link" },
    };

    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        if ((mode & DARWIN_S_IFMT) == t[i].fmt) {
            jw_kv_i64(w, "type_id", t[i].id);
            jw_kv_cstr(w, "type", t[i].name);
            return;
        }
    jw_kv_i64(w, "type_id", 0);
    jw_kv_cstr(w, "type", "Unknown");
}

static void
name_attrs(struct jw *w, const char *p, size_t n)
{
    const char *name, *ext;
    size_t dir_len, name_len, ext_len;

    path_split(p, n, &dir_len, &name, &name_len);
    jw_kv_str(w, "name", name, name_len);
    jw_kv_str(w, "path", p, n);
    if (dir_len > 0)
        jw_kv_str(w, "parent_folder", p, dir_len);
    if (path_ext(name, name_len, &ext, &ext_len))
        jw_kv_str(w, "ext", ext, ext_len);
}

/* An OCSF file object; path (if not NULL) replaces the view's path. */
static void
ocsf_file(struct jw *w, const char *key, struct view *f, const char *path,
          size_t path_len, bool mark)
{
    const struct mp_obj *o;

    jw_open(w, key);
    if (path != NULL) {
        name_attrs(w, path, path_len);
    } else if ((o = view_get(f, FK_PATH)) != NULL) {
        name_attrs(w, o->v.s.p, o->v.s.n);
        if (mark)
            view_use(f, FK_PATH);
    }
    if (f == NULL) {
        jw_kv_i64(w, "type_id", 0);
        jw_kv_cstr(w, "type", "Unknown");
        jw_close(w);
        return;
    }
    if ((o = view_get(f, FK_MODE)) != NULL)
        type_id(w, o->v.u);         /* derived: mode stays unmapped */
    else
        type_id(w, 0);
    if ((o = view_get(f, FK_INO)) != NULL && mark) {
        jw_kv_u64_str(w, "uid", o->v.u);
        view_use(f, FK_INO);
    }
    if (mark) {
        map_int_field(w, "size", f, FK_SIZE);
        uid_obj(w, "owner", f, FK_UID);
    }
    ms_attr(w, "modified_time", f, FK_MTIME);
    ms_attr(w, "created_time", f, FK_BTIME);
    jw_close(w);
}

static void
ocsf_process(struct jw *w, const char *key, struct view *p, struct rec *r,
             bool actor)
{
    const struct mp_obj *exe = view_get(p, PK_EXE);
    const struct mp_obj *o;
    struct view ev;

    jw_open(w, key);
    map_int_field(w, "pid", p, PK_PID);
    map_str_field(w, "uid", p, PK_EID);
    if (exe != NULL && view_read(&ev, view_file_keys, FK_COUNT, exe) &&
        (o = view_get(&ev, FK_PATH)) != NULL) {
        const char *name;
        size_t dl, nl;

        path_split(o->v.s.p, o->v.s.n, &dl, &name, &nl);
        jw_kv_str(w, "name", name, nl);
        ocsf_file(w, "file", &ev, NULL, 0, false);
    }
    ms_attr(w, "created_time", p, PK_START);
    uid_obj(w, "user", p, PK_EUID);
    uid_obj(w, "group", p, PK_EGID);
    if (actor && view_has(&r->r, RK_THR))
        map_int_field(w, "tid", &r->r, RK_THR);
    if (!actor && r->map->subject == SUBJ_TARGET) {
        const struct mp_obj *cwd = view_get(&r->e, EK_CWD);
        struct view cv;

        const struct mp_obj *args = view_get(&r->e, EK_ARGS);

        /* derived: args stay in unmapped.event.args */
        if (args != NULL)
            jw_kv_joined(w, "cmd_line", args);
        if (cwd != NULL && view_read(&cv, view_file_keys, FK_COUNT, cwd) &&
            (o = view_get(&cv, FK_PATH)) != NULL)
            jw_kv_str(w, "working_directory", o->v.s.p, o->v.s.n);
    }
    jw_open(w, "parent_process");
    map_int_field(w, "pid", p, PK_PPID);
    map_str_field(w, "uid", p, PK_PAREID);
    jw_close(w);
    jw_close(w);
}

static const char *
class_name(unsigned cls)
{
    switch (cls) {
    case 1001: return "File System Activity";
    case 1007: return "Process Activity";
    case 3002: return "Authentication";
    default: return "Base Event";
    }
}

static void
ocsf_classification(struct jw *w, struct rec *r)
{
    bool collector = r->kind[0] != 'e';
    unsigned cls = collector ? 0 : r->map->ocsf_class;
    unsigned act = collector ? 99 : r->map->ocsf_activity;
    const char *an = collector ? r->kind : r->map->ocsf_activity_name;
    unsigned cat = cls / 1000;
    const struct mp_obj *ok = view_get(&r->e, EK_SUCCESS);
    const struct mp_obj *mod = view_get(&r->e, EK_MODIFIED);
    char type_name[96];
    int n;

    if (r->map->name == NULL && !collector)
        an = "Other";
    if (mod != NULL && mod->v.b && act == 99 && cls == 1001) {
        act = 3;                    /* close after a write: Update */
        an = "Update";
    }
    jw_kv_u64(w, "class_uid", cls);
    jw_kv_cstr(w, "class_name", class_name(cls));
    jw_kv_u64(w, "category_uid", cat);
    jw_kv_cstr(w, "category_name", cat == 1 ? "System Activity" :
               cat == 3 ? "Identity & Access Management" : "Uncategorized");
    jw_kv_u64(w, "activity_id", act);
    jw_kv_cstr(w, "activity_name", an);
    jw_kv_u64(w, "type_uid", (uint64_t)cls * 100 + act);
    n = snprintf(type_name, sizeof(type_name), "%s: %s", class_name(cls),
                 an);
    if (n > 0 && (size_t)n < sizeof(type_name))
        jw_kv_str(w, "type_name", type_name, (size_t)n);
    if (mp_str_eq(r->r.slot[RK_EV], "xp_malware_detected", 19)) {
        jw_kv_u64(w, "severity_id", 4);
        jw_kv_cstr(w, "severity", "High");
    } else {
        jw_kv_u64(w, "severity_id", 1);
        jw_kv_cstr(w, "severity", "Informational");
    }
    if (ok != NULL && !collector) {
        jw_kv_u64(w, "status_id", ok->v.b ? 1 : 2);
        jw_kv_cstr(w, "status", ok->v.b ? "Success" : "Failure");
        view_use(&r->e, EK_SUCCESS);
    }
}

static void
ocsf_head(struct jw *w, struct rec *r)
{
    const struct mp_obj *ev = r->r.slot[RK_EV];

    ms_attr(w, "time", &r->r, RK_TS);
    ocsf_classification(w, r);
    jw_open(w, "metadata");
    jw_kv_cstr(w, "version", OCSF_VERSION);
    jw_open(w, "product");
    jw_kv_cstr(w, "name", "estel");
    jw_kv_cstr(w, "vendor_name", "estel");
    if (r->agent_version != NULL)
        jw_kv_str(w, "version", r->agent_version, r->agent_version_len);
    jw_close(w);
    map_str_field(w, "uid", &r->r, RK_ID);
    map_int_field(w, "sequence", &r->r, RK_CS);
    jw_kv_str(w, "event_code", ev->v.s.p, ev->v.s.n);
    view_use(&r->r, RK_EV);
    jw_kv_cstr(w, "log_name", r->kind[0] == 'g' ? "estel.gap" :
               r->kind[0] == 's' ? "estel.status" : "estel.events");
    jw_kv_i64(w, "processed_time", r->now_ns / 1000000);
    jw_close(w);
    jw_open(w, "device");
    map_str_field(w, "uid", &r->r, RK_HID);
    jw_kv_i64(w, "type_id", 0);
    jw_open(w, "os");
    jw_kv_cstr(w, "name", "macOS");
    jw_kv_cstr(w, "type", "macOS");
    jw_kv_i64(w, "type_id", 300);
    jw_close(w);
    jw_close(w);
}

static void
ocsf_user(struct jw *w, struct rec *r)
{
    const struct mp_obj *uid = view_get(&r->e, EK_UID);
    const struct mp_obj *src = view_get(&r->e, EK_SOURCE_ADDRESS);

    jw_open(w, "user");
    if (view_has(&r->e, EK_USERNAME))
        map_str_field(w, "name", &r->e, EK_USERNAME);
    else
        map_str_field(w, "name", &r->e, EK_TO_USERNAME);
    if (uid != NULL && mp_is_int(uid)) {
        if (uid->type == MP_INT)
            jw_kv_i64_str(w, "uid", uid->v.i);
        else
            jw_kv_u64_str(w, "uid", uid->v.u);
        view_use(&r->e, EK_UID);
    }
    jw_close(w);
    if (src != NULL) {
        unsigned char a[16];
        char tmp[64];
        bool ip = false;

        if (src->v.s.n < sizeof(tmp)) {
            memcpy(tmp, src->v.s.p, src->v.s.n);
            tmp[src->v.s.n] = '\0';
            ip = inet_pton(AF_INET, tmp, a) == 1 ||
                 inet_pton(AF_INET6, tmp, a) == 1;
        }
        jw_open(w, "src_endpoint");
        map_str_field(w, ip ? "ip" : "hostname", &r->e, EK_SOURCE_ADDRESS);
        jw_close(w);
    }
}

static void
ocsf_unmapped(struct jw *w, struct rec *r)
{
    bool collector = r->kind[0] != 'e';

    view_use(&r->r, RK_P);
    view_use(&r->r, RK_E);
    jw_open(w, "unmapped");
    view_leftovers(&r->r, w);
    jw_open(w, "actor");
    view_leftovers(&r->p, w);
    jw_close(w);
    if (r->has_subj) {
        jw_open(w, "process");
        view_leftovers(&r->subj, w);
        jw_close(w);
    }
    if (r->has_file) {
        jw_open(w, "file");
        view_leftovers(&r->f, w);
        jw_close(w);
    }
    jw_open(w, collector ? r->kind : "event");
    view_leftovers(&r->e, w);
    jw_close(w);
    jw_close(w);
}

static void
ocsf_body(struct jw *w, struct rec *r)
{
    unsigned cls = r->map->ocsf_class;

    if (r->has_p) {
        jw_open(w, "actor");
        ocsf_process(w, "process", &r->p, r, true);
        jw_close(w);
    }
    if (cls == 1007 && r->has_subj) {
        ocsf_process(w, "process", &r->subj, r, false);
        view_use(&r->e, r->map->subject == SUBJ_TARGET ? EK_TARGET :
                 EK_CHILD);
    } else if (cls == 1007 && r->has_p) {
        /* the process acted on itself (exit, setuid): derived copy */
        struct view copy = r->p;

        ocsf_process(w, "process", &copy, r, false);
    }
    if (r->has_file) {
        ocsf_file(w, "file", &r->f, NULL, 0, true);
        view_use(&r->e, r->map->file);
        if (r->newpath_len > 0)
            ocsf_file(w, "file_result", NULL, r->newpath, r->newpath_len,
                      false);
    } else if (r->newpath_len > 0) {
        ocsf_file(w, "file", NULL, r->newpath, r->newpath_len, false);
    }
    if (r->newpath_len > 0 && r->newpath_key >= 0)
        view_use(&r->e, (unsigned)r->newpath_key);
    if (cls == 3002)
        ocsf_user(w, r);
}

enum estel_rc
map_ocsf(struct rec *r, struct estel_buf *out)
{
    struct jw w;

    jw_begin(&w, out);
    ocsf_head(&w, r);
    if (r->kind[0] == 'e')
        ocsf_body(&w, r);
    else if (r->has_p) {
        jw_open(&w, "actor");
        ocsf_process(&w, "process", &r->p, r, true);
        jw_close(&w);
    }
    ocsf_unmapped(&w, r);
    return jw_end(&w);
}
