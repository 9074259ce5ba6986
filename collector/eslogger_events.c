/*
 * eslogger_events.c - event payloads: eslogger's "event": {"<name>": {...}}
 * onto the record's "e" map.
 *
 * The mapping is shared with the ES source (docs/es-mapping.md): record
 * keys are the ES struct member names (= eslogger keys), in the order the
 * table below lists them, nested structs flattened.  Each event is a list
 * of field specs read by one interpreter; only the unions (create/rename
 * destination, authentication data) need code of their own.  A key that
 * is absent is left out of the record unless the spec marks it required;
 * a string that is null is recorded as nil; a nullable process or file
 * that is null is left out.
 */
#include "collector/eslogger_int.h"

#include <string.h>

enum fkind {
    K_I32 = 1,          /* signed ES types: pid, int, enums, cpu_type_t */
    K_U32,              /* uid_t, gid_t, mode_t, flags */
    K_U64,
    K_BOOL,
    K_STR,              /* string, or null (recorded as nil) */
    K_FILE,             /* es_file_t; null: left out */
    K_PROC,             /* es_process_t; null: left out */
    K_STRS,             /* array of strings */
    K_OBJ,              /* nested struct: its fields, flattened */
    K_GATE,             /* "has_uid": read by the K_UID that follows */
    K_UID               /* uid union: n or {"uid": n}, if the gate says */
};
#define F_REQ 1         /* absent (or null object) is an error */

struct fspec {
    struct esl_key json;            /* first: esl_collect_stride reads it */
    const char *key;                /* record key; NULL: the json name */
    unsigned char kind;
    unsigned char flags;
    const struct fspec *sub;        /* K_OBJ: its fields */
};

#define FIELD(j, k, kind, fl, sub) { ESL_KEY(j), k, kind, fl, sub }
#define REQ(j, kind) FIELD(j, NULL, kind, F_REQ, NULL)
#define OPT(j, kind) FIELD(j, NULL, kind, 0, NULL)
#define OBJ(j, fl, sub) FIELD(j, NULL, K_OBJ, fl, sub)
#define SKIP(j) { ESL_SKIP(j), NULL, K_GATE, 0, NULL }   /* not read */
#define END { { 0, "", false }, NULL, 0, 0, NULL }

#define MAX_SPEC 16                 /* fields in one object's spec */

typedef enum estel_rc payload_fn(struct eslogger_parser *p, uint32_t obj,
                                 struct estel_event *ev,
                                 struct estel_err *err);

struct espec {
    const struct fspec *fields;
    payload_fn *fn;                 /* unions: custom reader */
};

static enum estel_rc read_fields(struct eslogger_parser *p, uint32_t obj,
                                 const struct fspec *f,
                                 struct estel_event *ev,
                                 struct estel_err *err);

/* ---- one field ----------------------------------------------------------- */

static enum estel_rc
read_number(struct eslogger_parser *p, const struct fspec *f, uint32_t i,
            const char *key, struct estel_event *ev, struct estel_err *err)
{
    int64_t x;
    uint64_t u;
    enum estel_rc rc;

    if (f->kind == K_I32) {
        rc = esl_i64(p, i, f->json.name, INT32_MIN, INT32_MAX, &x, err);
        if (rc == ESTEL_OK)
            ev_add_int(ev, key, x);
        return rc;
    }
    rc = esl_u64(p, i, f->json.name, f->kind == K_U32 ? UINT32_MAX :
                 UINT64_MAX, &u, err);
    if (rc == ESTEL_OK)
        ev_add_uint(ev, key, u);
    return rc;
}

/* A file or process object; a null one is left out unless required. */
static enum estel_rc
read_entity(struct eslogger_parser *p, const struct fspec *f, uint32_t i,
            const char *key, struct estel_event *ev, struct estel_err *err)
{
    struct ev_file *file;
    struct ev_process *proc;
    bool null;
    enum estel_rc rc;

    if ((rc = esl_object(p, i, f->json.name, !(f->flags & F_REQ), &null,
                         err)) != ESTEL_OK || null)
        return rc;
    if (f->kind == K_FILE) {
        file = ev_add_file(ev, key);
        return file != NULL ? esl_file(p, i, f->json.name, file, err) :
               ESTEL_OK;
    }
    proc = ev_add_proc(ev, key);
    return proc != NULL ? esl_process(p, i, f->json.name, proc, err) :
           ESTEL_OK;
}

/*
 * ES unions such as login_login's { bool has_uid; union { uid_t uid; } }:
 * eslogger may print the union as the number or as {"uid": n}.  Without
 * the gate key, a present non-null value counts.
 */
static enum estel_rc
read_uid(struct eslogger_parser *p, const struct fspec *f, uint32_t gate,
         uint32_t i, const char *key, struct estel_event *ev,
         struct estel_err *err)
{
    static const struct esl_key uid_key[] = { ESL_KEY("uid") };
    bool has = i != 0 && esl_jtype(&p->doc, i) != ESL_J_NULL;
    uint32_t v;
    uint64_t u;
    enum estel_rc rc;

    if (gate != 0 && (rc = esl_bool(p, gate, f[-1].json.name, &has,
                                    err)) != ESTEL_OK)
        return rc;
    if (!has)
        return ESTEL_OK;
    if (i != 0 && esl_jtype(&p->doc, i) == ESL_J_OBJECT) {
        esl_push(p, f->json.name);
        rc = esl_collect(p, i, NULL, uid_key, 1, &v, err);
        if (rc == ESTEL_OK)
            rc = esl_u64(p, v, "uid", UINT32_MAX, &u, err);
        esl_pop(p);
    } else {
        rc = esl_u64(p, i, f->json.name, UINT32_MAX, &u, err);
    }
    if (rc == ESTEL_OK)
        ev_add_uint(ev, key, u);
    return rc;
}

static enum estel_rc
read_field(struct eslogger_parser *p, const struct fspec *f,
           const uint32_t *v, size_t k, struct estel_event *ev,
           struct estel_err *err)
{
    const char *key = f[k].key != NULL ? f[k].key : f[k].json.name;
    uint32_t i = v[k];
    struct ev_str s;
    struct ev_strs strs;
    bool b, null;
    enum estel_rc rc;

    if (f[k].kind == K_UID)
        return read_uid(p, &f[k], k > 0 && f[k - 1].kind == K_GATE ?
                        v[k - 1] : 0, i, key, ev, err);
    if (i == 0 || f[k].kind == K_GATE)
        return i == 0 && (f[k].flags & F_REQ) ?
               esl_missing(p, f[k].json.name, err) : ESTEL_OK;
    switch (f[k].kind) {
    case K_I32:
    case K_U32:
    case K_U64:
        return read_number(p, &f[k], i, key, ev, err);
    case K_BOOL:
        if ((rc = esl_bool(p, i, f[k].json.name, &b, err)) == ESTEL_OK)
            ev_add_bool(ev, key, b);
        return rc;
    case K_STR:
        if ((rc = esl_str(p, i, f[k].json.name, true, &s, err)) == ESTEL_OK)
            ev_add_str(ev, key, s);
        return rc;
    case K_STRS:
        if ((rc = esl_strs(p, i, f[k].json.name, &strs, err)) == ESTEL_OK)
            ev_add_strs(ev, key, strs);
        return rc;
    case K_OBJ:
        if ((rc = esl_object(p, i, f[k].json.name, !(f[k].flags & F_REQ),
                             &null, err)) != ESTEL_OK || null)
            return rc;
        esl_push(p, f[k].json.name);
        rc = read_fields(p, i, f[k].sub, ev, err);
        esl_pop(p);
        return rc;
    default:
        return read_entity(p, &f[k], i, key, ev, err);
    }
}

static enum estel_rc
read_fields(struct eslogger_parser *p, uint32_t obj, const struct fspec *f,
            struct estel_event *ev, struct estel_err *err)
{
    uint32_t v[MAX_SPEC];
    size_t n = 0;
    enum estel_rc rc;

    while (n < MAX_SPEC && f[n].json.len != 0)
        n++;
    if ((rc = esl_collect_stride(p, obj, NULL, &f[0].json, sizeof(*f), n, v,
                                 err)) != ESTEL_OK)
        return rc;
    for (size_t k = 0; k < n; k++)
        if ((rc = read_field(p, f, v, k, ev, err)) != ESTEL_OK)
            return rc;
    return ESTEL_OK;
}

/* ---- unions -------------------------------------------------------------- */

enum { DEST_EXISTING_FILE = 0, DEST_NEW_PATH = 1 };

/*
 * create/rename destination: {"existing_file": file} recorded as
 * "destination", or {"new_path": {dir, filename[, mode]}} recorded as
 * "dir", "filename"[, "mode"], by destination_type.
 */
static enum estel_rc
read_destination(struct eslogger_parser *p, uint32_t type_i, uint32_t dest_i,
                 bool with_mode, struct estel_event *ev,
                 struct estel_err *err)
{
    static const struct fspec existing[] = {
        FIELD("existing_file", "destination", K_FILE, F_REQ, NULL), END
    };
    static const struct fspec new_path[] = {
        REQ("dir", K_FILE), REQ("filename", K_STR), REQ("mode", K_U32), END
    };
    static const struct fspec new_name[] = {
        REQ("dir", K_FILE), REQ("filename", K_STR), END
    };
    static const struct fspec by_new_path[] = {
        OBJ("new_path", F_REQ, new_path), END
    };
    static const struct fspec by_new_name[] = {
        OBJ("new_path", F_REQ, new_name), END
    };
    int64_t t;
    enum estel_rc rc;

    if ((rc = esl_i64(p, type_i, "destination_type", INT32_MIN, INT32_MAX,
                      &t, err)) != ESTEL_OK)
        return rc;
    if (t != DEST_EXISTING_FILE && t != DEST_NEW_PATH)
        return esl_fail(p, "destination_type", err, "%lld is neither 0 "
                        "(EXISTING_FILE) nor 1 (NEW_PATH)", (long long)t);
    ev_add_int(ev, "destination_type", t);
    if ((rc = esl_object(p, dest_i, "destination", false, NULL, err)) !=
        ESTEL_OK)
        return rc;
    esl_push(p, "destination");
    rc = read_fields(p, dest_i, t == DEST_EXISTING_FILE ? existing :
                     with_mode ? by_new_path : by_new_name, ev, err);
    esl_pop(p);
    return rc;
}

static enum estel_rc
ev_create(struct eslogger_parser *p, uint32_t obj, struct estel_event *ev,
          struct estel_err *err)
{
    static const struct esl_key keys[] = {
        ESL_KEY("destination_type"), ESL_KEY("destination")
    };
    uint32_t v[2];
    enum estel_rc rc;

    if ((rc = esl_collect(p, obj, NULL, keys, 2, v, err)) != ESTEL_OK)
        return rc;
    return read_destination(p, v[0], v[1], true, ev, err);
}

static enum estel_rc
ev_rename(struct eslogger_parser *p, uint32_t obj, struct estel_event *ev,
          struct estel_err *err)
{
    static const struct fspec source[] = {
        REQ("source", K_FILE), OPT("destination_type", K_GATE),
        OPT("destination", K_GATE), END
    };
    uint32_t v[3];
    enum estel_rc rc;

    if ((rc = esl_collect_stride(p, obj, NULL, &source[0].json,
                                 sizeof(source[0]), 3, v, err)) != ESTEL_OK ||
        (rc = read_field(p, source, v, 0, ev, err)) != ESTEL_OK)
        return rc;
    return read_destination(p, v[1], v[2], false, ev, err);
}

/*
 * authentication: success, type, then the data union flattened: eslogger
 * prints it as {"od": {...}} (the member name) or as the member itself.
 * auto_unlock's own "type" is recorded as "auto_unlock_type" so it does
 * not collide with the authentication type.  An unknown type keeps data
 * as JSON text.
 */
static const struct fspec auth_od[] = {
    OPT("instigator", K_PROC), OPT("record_type", K_STR),
    OPT("record_name", K_STR), OPT("node_name", K_STR),
    OPT("db_path", K_STR), END
};
static const struct fspec auth_touchid[] = {
    OPT("instigator", K_PROC), OPT("touchid_mode", K_I32),
    OPT("has_uid", K_GATE), OPT("uid", K_UID), END
};
static const struct fspec auth_token[] = {
    OPT("instigator", K_PROC), OPT("pubkey_hash", K_STR),
    OPT("token_id", K_STR), OPT("kerberos_principal", K_STR), END
};
static const struct fspec auth_auto_unlock[] = {
    OPT("username", K_STR), FIELD("type", "auto_unlock_type", K_I32, 0, NULL),
    END
};
static const struct {
    const char *name;
    const struct fspec *fields;
} auth_data[] = {
    { "od", auth_od }, { "touchid", auth_touchid }, { "token", auth_token },
    { "auto_unlock", auth_auto_unlock }
};

static enum estel_rc
auth_union(struct eslogger_parser *p, uint32_t data, int64_t type,
           struct estel_event *ev, struct estel_err *err)
{
    const char *name = auth_data[type].name;
    size_t len;
    const char *k;
    enum estel_rc rc;

    esl_push(p, "data");
    if (esl_jcount(&p->doc, data) == 1) {
        k = esl_jstr(&p->doc, data + 1, &len);
        if (len == strlen(name) && memcmp(k, name, len) == 0 &&
            esl_jtype(&p->doc, data + 2) == ESL_J_OBJECT) {
            esl_push(p, name);
            rc = read_fields(p, data + 2, auth_data[type].fields, ev, err);
            esl_pop(p);
            esl_pop(p);
            return rc;
        }
    }
    rc = read_fields(p, data, auth_data[type].fields, ev, err);
    esl_pop(p);
    return rc;
}

static enum estel_rc
ev_authentication(struct eslogger_parser *p, uint32_t obj,
                  struct estel_event *ev, struct estel_err *err)
{
    static const struct fspec head[] = {
        REQ("success", K_BOOL), REQ("type", K_I32), OPT("data", K_GATE), END
    };
    uint32_t v[3];
    int64_t type;
    bool null;
    enum estel_rc rc;

    if ((rc = esl_collect_stride(p, obj, NULL, &head[0].json,
                                 sizeof(head[0]), 3, v, err)) != ESTEL_OK ||
        (rc = read_field(p, head, v, 0, ev, err)) != ESTEL_OK ||
        (rc = read_field(p, head, v, 1, ev, err)) != ESTEL_OK)
        return rc;
    if (v[2] == 0)
        return ESTEL_OK;
    if ((rc = esl_object(p, v[2], "data", true, &null, err)) != ESTEL_OK ||
        null)
        return rc;
    if ((rc = esl_i64(p, v[1], "type", INT32_MIN, INT32_MAX, &type,
                      err)) != ESTEL_OK)
        return rc;
    if (type >= 0 && type < (int64_t)(sizeof(auth_data) /
                                      sizeof(auth_data[0])))
        return auth_union(p, v[2], type, ev, err);
    if ((rc = esl_to_json(p, v[2], &p->raw, err)) != ESTEL_OK)
        return rc;
    ev->raw.ptr = p->raw.data;
    ev->raw.len = p->raw.len;
    return ESTEL_OK;
}

/* ---- the table ----------------------------------------------------------- */

static const struct fspec f_exec[] = {
    REQ("target", K_PROC), OPT("args", K_STRS), OPT("env", K_STRS),
    OPT("cwd", K_FILE), OPT("script", K_FILE), OPT("dyld_exec_path", K_STR),
    OPT("last_fd", K_I32), OPT("image_cputype", K_I32),
    OPT("image_cpusubtype", K_I32), SKIP("fds"), SKIP("entitlements"), END
};
static const struct fspec f_fork[] = { REQ("child", K_PROC), END };
static const struct fspec f_exit[] = { REQ("stat", K_I32), END };
static const struct fspec f_open[] = {
    REQ("fflag", K_I32), REQ("file", K_FILE), END
};
static const struct fspec f_close[] = {
    REQ("modified", K_BOOL), REQ("target", K_FILE),
    OPT("was_mapped_writable", K_BOOL), END
};
static const struct fspec f_target[] = { REQ("target", K_FILE), END };
static const struct fspec f_unlink[] = {
    REQ("target", K_FILE), REQ("parent_dir", K_FILE), END
};
static const struct fspec f_link[] = {
    REQ("source", K_FILE), REQ("target_dir", K_FILE),
    REQ("target_filename", K_STR), END
};
static const struct fspec f_setmode[] = {
    REQ("mode", K_U32), REQ("target", K_FILE), END
};
static const struct fspec f_setowner[] = {
    REQ("uid", K_U32), REQ("gid", K_U32), REQ("target", K_FILE), END
};
static const struct fspec f_setextattr[] = {
    REQ("target", K_FILE), REQ("extattr", K_STR), END
};
static const struct fspec f_signal[] = {
    REQ("sig", K_I32), REQ("target", K_PROC), OPT("instigator", K_PROC), END
};
static const struct fspec f_mmap[] = {
    REQ("protection", K_I32), REQ("max_protection", K_I32),
    REQ("flags", K_I32), REQ("file_pos", K_U64), REQ("source", K_FILE), END
};
static const struct fspec f_statfs[] = {
    OPT("f_mntonname", K_STR), OPT("f_mntfromname", K_STR),
    OPT("f_fstypename", K_STR), OPT("f_flags", K_U32), END
};
static const struct fspec f_mount[] = {
    OBJ("statfs", F_REQ, f_statfs), OPT("disposition", K_I32), END
};
static const struct fspec f_unmount[] = {
    OBJ("statfs", F_REQ, f_statfs), END
};
static const struct fspec f_kext[] = { REQ("identifier", K_STR), END };
static const struct fspec f_none[] = { END };
static const struct fspec f_uipc_connect[] = {
    REQ("file", K_FILE), REQ("domain", K_I32), REQ("type", K_I32),
    REQ("protocol", K_I32), END
};
static const struct fspec f_btm_item[] = {
    OPT("item_type", K_I32), OPT("legacy", K_BOOL), OPT("managed", K_BOOL),
    FIELD("uid", "item_uid", K_U32, 0, NULL), OPT("item_url", K_STR),
    OPT("app_url", K_STR), END
};
static const struct fspec f_btm_add[] = {
    OPT("instigator", K_PROC), OPT("app", K_PROC),
    OBJ("item", F_REQ, f_btm_item), OPT("executable_path", K_STR), END
};
static const struct fspec f_btm_remove[] = {
    OPT("instigator", K_PROC), OPT("app", K_PROC),
    OBJ("item", F_REQ, f_btm_item), END
};
static const struct fspec f_login_login[] = {
    OPT("success", K_BOOL), OPT("failure_message", K_STR),
    OPT("username", K_STR), OPT("has_uid", K_GATE), OPT("uid", K_UID), END
};
static const struct fspec f_login_logout[] = {
    OPT("username", K_STR), OPT("uid", K_U32), END
};
static const struct fspec f_lw_session[] = {
    OPT("username", K_STR), OPT("graphical_session_id", K_U32), END
};
static const struct fspec f_openssh_login[] = {
    OPT("success", K_BOOL), OPT("result_type", K_I32),
    OPT("source_address_type", K_I32), OPT("source_address", K_STR),
    OPT("username", K_STR), OPT("has_uid", K_GATE), OPT("uid", K_UID), END
};
static const struct fspec f_openssh_logout[] = {
    OPT("source_address_type", K_I32), OPT("source_address", K_STR),
    OPT("username", K_STR), OPT("uid", K_U32), END
};
static const struct fspec f_su[] = {
    OPT("success", K_BOOL), OPT("failure_message", K_STR),
    OPT("from_uid", K_U32), OPT("from_username", K_STR),
    OPT("has_to_uid", K_GATE), OPT("to_uid", K_UID),
    OPT("to_username", K_STR), OPT("shell", K_STR), OPT("argv", K_STRS), END
};
static const struct fspec f_sudo_reject[] = {
    OPT("plugin_name", K_STR), OPT("plugin_type", K_I32),
    OPT("failure_message", K_STR), END
};
static const struct fspec f_sudo[] = {
    OPT("success", K_BOOL), OBJ("reject_info", 0, f_sudo_reject),
    OPT("has_from_uid", K_GATE), OPT("from_uid", K_UID),
    OPT("from_username", K_STR), OPT("has_to_uid", K_GATE),
    OPT("to_uid", K_UID), OPT("to_username", K_STR), OPT("command", K_STR),
    END
};
static const struct fspec f_xp_malware[] = {
    OPT("signature_version", K_STR), OPT("malware_identifier", K_STR),
    OPT("incident_identifier", K_STR), OPT("detected_path", K_STR),
    OPT("detected_executable", K_STR), END
};
static const struct fspec f_profile[] = {
    OPT("identifier", K_STR), OPT("uuid", K_STR),
    OPT("install_source", K_I32), OPT("organization", K_STR),
    OPT("display_name", K_STR), OPT("scope", K_STR), END
};
static const struct fspec f_profile_add[] = {
    OPT("instigator", K_PROC), OPT("is_update", K_BOOL),
    OBJ("profile", F_REQ, f_profile), END
};
static const struct fspec f_profile_remove[] = {
    OPT("instigator", K_PROC), OBJ("profile", F_REQ, f_profile), END
};
static const struct fspec f_tcc_modify[] = {
    OPT("service", K_STR), OPT("identity", K_STR),
    OPT("identity_type", K_I32), OPT("update_type", K_I32),
    OPT("right", K_I32), OPT("reason", K_I32), OPT("instigator", K_PROC),
    OPT("responsible", K_PROC), END
};
static const struct fspec f_xpc_connect[] = {
    OPT("service_name", K_STR), OPT("service_domain_type", K_I32), END
};

/* Pre-macOS 13 events the ES source maps too (docs/es-mapping.md). */
static const struct fspec f_exchangedata[] = {
    REQ("file1", K_FILE), REQ("file2", K_FILE), END
};
static const struct fspec f_get_task[] = {
    REQ("target", K_PROC), OPT("type", K_I32), END
};
static const struct fspec f_setflags[] = {
    REQ("flags", K_U32), REQ("target", K_FILE), END
};
static const struct fspec f_readlink[] = { REQ("source", K_FILE), END };
static const struct fspec f_lookup[] = {
    REQ("source_dir", K_FILE), REQ("relative_target", K_STR), END
};
static const struct fspec f_access[] = {
    REQ("mode", K_I32), REQ("target", K_FILE), END
};
static const struct fspec f_clone[] = {
    REQ("source", K_FILE), REQ("target_dir", K_FILE),
    REQ("target_name", K_STR), END
};
static const struct fspec f_fcntl[] = {
    REQ("target", K_FILE), REQ("cmd", K_I32), END
};
static const struct fspec f_uipc_bind[] = {
    REQ("dir", K_FILE), REQ("filename", K_STR), REQ("mode", K_U32), END
};
static const struct fspec f_pty[] = { REQ("dev", K_I32), END };
static const struct fspec f_proc_check[] = {
    OPT("target", K_PROC), REQ("type", K_I32), REQ("flavor", K_I32), END
};
static const struct fspec f_proc_suspend_resume[] = {
    OPT("target", K_PROC), REQ("type", K_I32), END
};
static const struct fspec f_target_proc[] = { REQ("target", K_PROC), END };
static const struct fspec f_setuid[] = { REQ("uid", K_U32), END };
static const struct fspec f_setgid[] = { REQ("gid", K_U32), END };
static const struct fspec f_seteuid[] = { REQ("euid", K_U32), END };
static const struct fspec f_setegid[] = { REQ("egid", K_U32), END };
static const struct fspec f_setreuid[] = {
    REQ("ruid", K_U32), REQ("euid", K_U32), END
};
static const struct fspec f_setregid[] = {
    REQ("rgid", K_U32), REQ("egid", K_U32), END
};
static const struct fspec f_copyfile[] = {
    REQ("source", K_FILE), OPT("target_file", K_FILE),
    REQ("target_dir", K_FILE), REQ("target_name", K_STR),
    REQ("mode", K_U32), REQ("flags", K_I32), END
};

#define SPEC_TYPES 148              /* tcc_modify (147) is the last */

/* Indexed by es_event_type_t (NOTIFY values only). */
static const struct espec specs[SPEC_TYPES] = {
    [9] = { f_exec, NULL },
    [10] = { f_open, NULL },
    [11] = { f_fork, NULL },
    [12] = { f_close, NULL },
    [13] = { NULL, ev_create },
    [14] = { f_exchangedata, NULL },
    [15] = { f_exit, NULL },
    [16] = { f_get_task, NULL },
    [17] = { f_kext, NULL },            /* kextload */
    [18] = { f_kext, NULL },            /* kextunload */
    [19] = { f_link, NULL },
    [20] = { f_mmap, NULL },
    [22] = { f_mount, NULL },
    [23] = { f_unmount, NULL },
    [25] = { NULL, ev_rename },
    [27] = { f_setextattr, NULL },
    [28] = { f_setflags, NULL },
    [29] = { f_setmode, NULL },
    [30] = { f_setowner, NULL },
    [31] = { f_signal, NULL },
    [32] = { f_unlink, NULL },
    [33] = { f_target, NULL },          /* write */
    [39] = { f_readlink, NULL },
    [41] = { f_target, NULL },          /* truncate */
    [43] = { f_lookup, NULL },
    [51] = { f_target, NULL },          /* chdir */
    [54] = { f_target, NULL },          /* stat */
    [55] = { f_access, NULL },
    [57] = { f_target, NULL },          /* chroot */
    [61] = { f_clone, NULL },
    [62] = { f_fcntl, NULL },
    [64] = { f_setextattr, NULL },      /* getextattr: same shape */
    [66] = { f_target, NULL },          /* listextattr */
    [68] = { f_target, NULL },          /* readdir */
    [70] = { f_setextattr, NULL },      /* deleteextattr */
    [72] = { f_target, NULL },          /* fsgetpath */
    [73] = { f_target, NULL },          /* dup */
    [76] = { f_uipc_bind, NULL },
    [78] = { f_uipc_connect, NULL },
    [83] = { f_pty, NULL },             /* pty_grant */
    [84] = { f_pty, NULL },             /* pty_close */
    [86] = { f_proc_check, NULL },
    [93] = { f_proc_suspend_resume, NULL },
    [94] = { f_none, NULL },            /* cs_invalidated */
    [95] = { f_get_task, NULL },        /* get_task_name */
    [96] = { f_target_proc, NULL },     /* trace */
    [97] = { f_target_proc, NULL },     /* remote_thread_create */
    [101] = { f_get_task, NULL },       /* get_task_read */
    [102] = { f_get_task, NULL },       /* get_task_inspect */
    [103] = { f_setuid, NULL },
    [104] = { f_setgid, NULL },
    [105] = { f_seteuid, NULL },
    [106] = { f_setegid, NULL },
    [107] = { f_setreuid, NULL },
    [108] = { f_setregid, NULL },
    [110] = { f_copyfile, NULL },
    [111] = { NULL, ev_authentication },
    [112] = { f_xp_malware, NULL },
    [114] = { f_lw_session, NULL },     /* lw_session_login */
    [115] = { f_lw_session, NULL },     /* lw_session_logout */
    [116] = { f_lw_session, NULL },     /* lw_session_lock */
    [117] = { f_lw_session, NULL },     /* lw_session_unlock */
    [120] = { f_openssh_login, NULL },
    [121] = { f_openssh_logout, NULL },
    [122] = { f_login_login, NULL },
    [123] = { f_login_logout, NULL },
    [124] = { f_btm_add, NULL },
    [125] = { f_btm_remove, NULL },
    [126] = { f_profile_add, NULL },
    [127] = { f_profile_remove, NULL },
    [128] = { f_su, NULL },
    [131] = { f_sudo, NULL },
    [145] = { f_xpc_connect, NULL },
    [147] = { f_tcc_modify, NULL },
};

bool
esl_event_known(uint32_t type)
{
    return type < SPEC_TYPES && (specs[type].fields != NULL ||
                                 specs[type].fn != NULL);
}

enum estel_rc
esl_event_payload(struct eslogger_parser *p, uint32_t obj, const char *name,
                  struct estel_event *ev, struct estel_err *err)
{
    const struct espec *s = &specs[ev->type];
    enum estel_rc rc;

    if ((rc = esl_object(p, obj, name, false, NULL, err)) != ESTEL_OK)
        return rc;
    esl_push(p, name);
    rc = s->fn != NULL ? s->fn(p, obj, ev, err) :
         read_fields(p, obj, s->fields, ev, err);
    esl_pop(p);
    return rc;
}
