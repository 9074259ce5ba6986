/*
 * view.c - reading one schema v1 or v2 record (docs/schema.md) by known keys.
 *
 * The record is read in place: a view keeps one msgpack object per known
 * key, and mappers mark what they put into ECS/OCSF fields.  Whatever is
 * left (keys a newer agent added, facts ECS has no field for) is written
 * verbatim under estel.* / unmapped by view_leftovers(), so no record
 * field is ever dropped.  Keys arrive in the encoder's fixed order, so the
 * lookup tries the slot after the last match first.
 */
#include "ingest/ingest_int.h"

#include <string.h>

#define K(name, kinds, alias) \
    { name, sizeof(name) - 1, kinds, alias, sizeof(alias) - 1 }
#define KN(name, kinds) { name, sizeof(name) - 1, kinds, NULL, 0 }
#define ST MPK(MP_STR)
/* ids and hashes: bin since the encoder stopped writing hex (str still read) */
#define ID (MPK(MP_BIN) | MPK(MP_STR))
#define MAP MPK(MP_MAP)
#define ARR MPK(MP_ARRAY)
#define BOOL MPK(MP_BOOL)

const struct view_key view_record_keys[RK_COUNT] = {
    [RK_V] = K("v", MPK_INT, "schema"),
    [RK_EV] = K("ev", ST, "event"),
    [RK_CS] = K("cs", MPK(MP_UINT), "seq"),
    [RK_TS] = K("ts", MPK_INT, "time_ns"),
    [RK_HID] = K("hid", ST, "host_id"),
    [RK_BID] = K("bid", ST, "boot_id"),
    [RK_ET] = K("et", MPK(MP_UINT), "es_event_type"),
    [RK_MV] = K("mv", MPK(MP_UINT), "es_version"),
    [RK_MT] = K("mt", MPK(MP_UINT), "mach_time"),
    [RK_SQ] = K("sq", MPK(MP_UINT), "seq_num"),
    [RK_GSQ] = K("gsq", MPK(MP_UINT), "global_seq_num"),
    [RK_THR] = K("thr", MPK(MP_UINT), "thread_id"),
    [RK_ID] = K("id", ID, "event_id"),
    [RK_P] = K("p", MAP, "process"),
    [RK_E] = K("e", MAP, "payload"),
};

const struct view_key view_process_keys[PK_COUNT] = {
    [PK_PID] = KN("pid", MPK_INT),
    [PK_PV] = K("pv", MPK_INT, "pidversion"),
    [PK_EID] = K("eid", ID, "entity_id"),
    [PK_PPID] = KN("ppid", MPK_INT),
    [PK_OPPID] = K("oppid", MPK_INT, "original_ppid"),
    [PK_PGID] = K("pgid", MPK_INT, "group_id"),
    [PK_SID] = K("sid", MPK_INT, "session_id"),
    [PK_AUID] = K("auid", MPK_INT, "audit_user_id"),
    [PK_EUID] = KN("euid", MPK_INT),
    [PK_EGID] = KN("egid", MPK_INT),
    [PK_RUID] = KN("ruid", MPK_INT),
    [PK_RGID] = KN("rgid", MPK_INT),
    [PK_ASID] = K("asid", MPK_INT, "audit_session_id"),
    [PK_CSF] = K("csf", MPK_INT, "codesigning_flags"),
    [PK_PLAT] = K("plat", BOOL, "platform_binary"),
    [PK_ESC] = K("esc", BOOL, "es_client"),
    [PK_CDH] = K("cdh", ID, "cdhash"),
    [PK_SIG] = K("sig", ST | MPK(MP_NIL), "signing_id"),
    [PK_TEAM] = K("team", ST | MPK(MP_NIL), "team_id"),
    [PK_EXE] = K("exe", MAP, "executable"),
    [PK_TTY] = K("tty", MAP, "tty"),
    [PK_START] = K("start", MPK_INT, "start_time_ns"),
    [PK_RPID] = K("rpid", MPK_INT, "responsible_pid"),
    [PK_RPV] = K("rpv", MPK_INT, "responsible_pidversion"),
    [PK_REID] = K("reid", ID, "responsible_entity_id"),
    [PK_PARPID] = K("parpid", MPK_INT, "parent_pid"),
    [PK_PARPV] = K("parpv", MPK_INT, "parent_pidversion"),
    [PK_PAREID] = K("pareid", ID, "parent_entity_id"),
    [PK_CSV] = K("csv", MPK_INT, "cs_validation_category"),
};

const struct view_key view_file_keys[FK_COUNT] = {
    [FK_PATH] = KN("path", ST),
    [FK_TRUNC] = K("trunc", BOOL, "path_truncated"),
    [FK_INO] = K("ino", MPK(MP_UINT), "inode"),
    [FK_DEV] = K("dev", MPK_INT, "device"),
    [FK_MODE] = KN("mode", MPK(MP_UINT)),
    [FK_NLINK] = KN("nlink", MPK(MP_UINT)),
    [FK_UID] = KN("uid", MPK(MP_UINT)),
    [FK_GID] = KN("gid", MPK(MP_UINT)),
    [FK_SIZE] = KN("size", MPK_INT),
    [FK_FLAGS] = KN("flags", MPK(MP_UINT)),
    [FK_MTIME] = K("mtime", MPK_INT, "mtime_ns"),
    [FK_CTIME] = K("ctime", MPK_INT, "ctime_ns"),
    [FK_BTIME] = K("btime", MPK_INT, "btime_ns"),
};

const struct view_key view_payload_keys[EK_COUNT] = {
    [EK_TARGET] = KN("target", MAP),
    [EK_ARGS] = KN("args", ARR),
    [EK_ARGS_COUNT] = KN("args_count", MPK(MP_UINT)),
    [EK_CWD] = KN("cwd", MAP),
    [EK_CHILD] = KN("child", MAP),
    [EK_STAT] = KN("stat", MPK_INT),
    [EK_SOURCE] = KN("source", MAP),
    [EK_DESTINATION] = KN("destination", MAP),
    [EK_DIR] = KN("dir", MAP),
    [EK_FILENAME] = KN("filename", ST),
    [EK_FILE] = KN("file", MAP),
    [EK_FILE1] = KN("file1", MAP),
    [EK_TARGET_DIR] = KN("target_dir", MAP),
    [EK_TARGET_NAME] = KN("target_name", ST),
    [EK_TARGET_FILENAME] = KN("target_filename", ST),
    [EK_TARGET_FILE] = KN("target_file", MAP),
    [EK_MODIFIED] = KN("modified", BOOL),
    [EK_SUCCESS] = KN("success", BOOL),
    [EK_USERNAME] = KN("username", ST),
    [EK_UID] = KN("uid", MPK_INT | MAP),
    [EK_SOURCE_ADDRESS] = KN("source_address", ST),
    [EK_TO_USERNAME] = KN("to_username", ST),
    [EK_FROM_USERNAME] = KN("from_username", ST),
    [EK_COUNT_] = KN("count", MPK(MP_UINT)),
    [EK_REASON] = KN("reason", ST),
};

_Static_assert(PK_COUNT <= 40 && EK_COUNT <= 40 && RK_COUNT <= 40,
               "struct view holds 40 slots");

/* Short keys: a loop beats a memcmp call. */
static inline bool
key_eq(const struct view_key *k, const char *s, size_t n)
{
    if (k->len != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (k->name[i] != s[i])
            return false;
    return true;
}

static int
find(const struct view_key *keys, unsigned nkeys, const struct mp_obj *k,
     unsigned *guess)
{
    const char *s = k->v.s.p;
    size_t n = k->v.s.n;
    unsigned g = *guess;

    if (g < nkeys && key_eq(&keys[g], s, n)) {
        *guess = g + 1;
        return (int)g;
    }
    for (unsigned i = 0; i < nkeys; i++)
        if (key_eq(&keys[i], s, n)) {
            *guess = i + 1;
            return (int)i;
        }
    return -1;
}

bool
view_read(struct view *v, const struct view_key *keys, unsigned nkeys,
          const struct mp_obj *o)
{
    const struct mp_obj *k;
    uint64_t seen = 0;
    unsigned guess = 0;

    v->keys = keys;
    v->nkeys = nkeys;
    v->have = v->used = 0;
    v->map = o;
    if (o->type != MP_MAP)
        return false;
    k = mp_first(o);
    for (uint32_t i = 0; i < o->v.n; i++) {
        const struct mp_obj *val = mp_next(k);
        int idx;

        idx = k->type == MP_STR ? find(keys, nkeys, k, &guess) : -1;
        if (i < VIEW_PAIRS)
            v->pair_key[i] = (int8_t)idx;
        if (idx >= 0) {
            if ((seen >> idx) & 1)
                return false;       /* the same key twice */
            seen |= (uint64_t)1 << idx;
            /* an unexpected type stays a leftover */
            if (keys[idx].kinds & MPK(val->type)) {
                v->slot[idx] = val;
                v->have |= (uint64_t)1 << idx;
            }
        }
        k = mp_next(val);
    }
    return true;
}

/* An empty view (a record without "p", say): no keys, no leftovers. */
static void
view_empty(struct view *v, const struct view_key *keys, unsigned nkeys)
{
    v->keys = keys;
    v->nkeys = nkeys;
    v->have = v->used = 0;
    v->map = NULL;
}

/* Is pair i (key k) left over?  *idx: its key index or -1. */
static bool
leftover(const struct view *v, uint32_t i, const struct mp_obj *k, int *idx,
         unsigned *guess)
{
    if (i < VIEW_PAIRS)
        *idx = v->pair_key[i];
    else
        *idx = k->type == MP_STR ? find(v->keys, v->nkeys, k, guess) : -1;
    return *idx < 0 || !(((v->have & v->used) >> *idx) & 1);
}

void
view_leftovers(const struct view *v, struct jw *w)
{
    const struct mp_obj *k;
    unsigned guess = 0;

    if (v->map == NULL || v->map->type != MP_MAP)
        return;
    k = mp_first(v->map);
    for (uint32_t i = 0; i < v->map->v.n && jw_ok(w); i++) {
        const struct mp_obj *val = mp_next(k);
        int idx;

        if (leftover(v, i, k, &idx, &guess)) {
            if (idx >= 0 && v->keys[idx].alias != NULL)
                jw_key(w, v->keys[idx].alias, v->keys[idx].alias_len);
            else
                jw_key_mp(w, k);
            jw_value_mp(w, val);
        }
        k = mp_next(val);
    }
}

bool
view_has_leftovers(const struct view *v)
{
    const struct mp_obj *k;
    unsigned guess = 0;

    if (v->map == NULL || v->map->type != MP_MAP)
        return false;
    k = mp_first(v->map);
    for (uint32_t i = 0; i < v->map->v.n; i++) {
        int idx;

        if (leftover(v, i, k, &idx, &guess))
            return true;
        k = mp_next(mp_next(k));
    }
    return false;
}

/* ---- paths --------------------------------------------------------------- */

const struct mp_obj *
file_path(const struct mp_obj *file)
{
    const struct mp_obj *k;

    if (file->type != MP_MAP)
        return NULL;
    k = mp_first(file);
    for (uint32_t i = 0; i < file->v.n; i++) {
        const struct mp_obj *v = mp_next(k);

        if (mp_str_eq(k, "path", 4))
            return v->type == MP_STR ? v : NULL;
        k = mp_next(v);
    }
    return NULL;
}

void
path_split(const char *p, size_t n, size_t *dir_len, const char **name,
           size_t *name_len)
{
    size_t i = n;

    while (i > 0 && p[i - 1] != '/')
        i--;
    *name = p + i;
    *name_len = n - i;
    if (i == 0)
        *dir_len = 0;
    else if (i == 1)
        *dir_len = 1;               /* "/x": the directory is "/" */
    else
        *dir_len = i - 1;
}

bool
path_ext(const char *name, size_t n, const char **ext, size_t *len)
{
    size_t i = n;

    while (i > 0 && name[i - 1] != '.')
        i--;
    if (i <= 1 || i == n)           /* none, ".hidden", or "name." */
        return false;
    *ext = name + i;
    *len = n - i;
    return true;
}

/* ---- one record ---------------------------------------------------------- */

static bool
join(struct rec *r, const struct mp_obj *dir, const struct mp_obj *name)
{
    struct view dv;
    const struct mp_obj *dp;
    size_t dn, nn = name->v.s.n;

    if (!view_read(&dv, view_file_keys, FK_COUNT, dir) ||
        (dp = view_get(&dv, FK_PATH)) == NULL)
        return false;
    dn = dp->v.s.n;
    while (dn > 1 && dp->v.s.p[dn - 1] == '/')
        dn--;
    if (dn + 1 + nn >= sizeof(r->newpath))
        return false;               /* too long: the keys stay verbatim */
    memcpy(r->newpath, dp->v.s.p, dn);
    if (dn != 1 || dp->v.s.p[0] != '/')
        r->newpath[dn++] = '/';
    memcpy(r->newpath + dn, name->v.s.p, nn);
    r->newpath_len = dn + nn;
    return true;
}

static bool
copy_path(struct rec *r, const struct mp_obj *file)
{
    struct view fv;
    const struct mp_obj *p;

    if (!view_read(&fv, view_file_keys, FK_COUNT, file) ||
        (p = view_get(&fv, FK_PATH)) == NULL ||
        p->v.s.n >= sizeof(r->newpath))
        return false;
    memcpy(r->newpath, p->v.s.p, p->v.s.n);
    r->newpath_len = p->v.s.n;
    return true;
}

/* A value in map o by key name (one level), or NULL. */
static const struct mp_obj *
lookup(const struct mp_obj *o, const char *key)
{
    const struct mp_obj *k;
    size_t n = strlen(key);

    if (o->type != MP_MAP)
        return NULL;
    k = mp_first(o);
    for (uint32_t i = 0; i < o->v.n; i++) {
        if (mp_str_eq(k, key, n))
            return mp_next(k);
        k = mp_next(mp_next(k));
    }
    return NULL;
}

/* The destination of create/rename in any of the shapes ES has. */
static void
destination_path(struct rec *r)
{
    const struct mp_obj *d = view_get(&r->e, EK_DESTINATION);
    const struct mp_obj *dir = view_get(&r->e, EK_DIR);
    const struct mp_obj *fn = view_get(&r->e, EK_FILENAME);
    const struct mp_obj *a, *b, *np;

    if (d != NULL) {
        if ((a = lookup(d, "path")) != NULL && a->type == MP_STR) {
            copy_path(r, d);
        } else if ((a = lookup(d, "existing_file")) != NULL) {
            copy_path(r, a);
        } else if ((np = lookup(d, "new_path")) != NULL &&
                   (a = lookup(np, "dir")) != NULL &&
                   (b = lookup(np, "filename")) != NULL &&
                   b->type == MP_STR) {
            join(r, a, b);
        }
        if (r->newpath_len > 0)
            return;
    }
    if (dir != NULL && fn != NULL && join(r, dir, fn))
        r->newpath_key = EK_FILENAME;
}

static void
new_path(struct rec *r)
{
    const struct mp_obj *dir, *name;

    r->newpath_len = 0;
    r->newpath_key = -1;
    switch (r->map->newpath) {
    case NP_DESTINATION:
        destination_path(r);
        break;
    case NP_DIR_FILENAME:
        dir = view_get(&r->e, EK_DIR);
        name = view_get(&r->e, EK_FILENAME);
        if (dir != NULL && name != NULL && join(r, dir, name))
            r->newpath_key = EK_FILENAME;
        break;
    case NP_TARGET_FILENAME:
        dir = view_get(&r->e, EK_TARGET_DIR);
        name = view_get(&r->e, EK_TARGET_FILENAME);
        if (dir != NULL && name != NULL && join(r, dir, name))
            r->newpath_key = EK_TARGET_FILENAME;
        break;
    case NP_TARGET_NAME:
        if ((dir = view_get(&r->e, EK_TARGET_FILE)) != NULL &&
            copy_path(r, dir))
            break;
        dir = view_get(&r->e, EK_TARGET_DIR);
        name = view_get(&r->e, EK_TARGET_NAME);
        if (dir != NULL && name != NULL && join(r, dir, name))
            r->newpath_key = EK_TARGET_NAME;
        break;
    default:
        break;
    }
}

static enum estel_rc
need(const struct rec *r, unsigned k, struct estel_err *err)
{
    if (view_has(&r->r, k))
        return ESTEL_OK;
    return estel_fail(err, ESTEL_E_CORRUPT, "record has no valid \"%s\"",
                      view_record_keys[k].name);
}

static enum estel_rc
read_envelope(struct rec *r, struct mp_tree *tree, const uint8_t *buf,
              size_t len, struct estel_err *err)
{
    static const unsigned required[] = { RK_V, RK_EV, RK_CS, RK_TS, RK_HID,
                                         RK_BID, RK_ID };
    const struct mp_obj *top;
    enum estel_rc rc;
    size_t used;

    if (!mp_parse(tree, buf, len, &used))
        return estel_fail(err, ESTEL_E_CORRUPT, "record is not msgpack or "
                          "holds more than %d objects", MP_MAX_NODES);
    top = &tree->nodes[0];
    if (top->type != MP_MAP)
        return estel_fail(err, ESTEL_E_CORRUPT, "record is not a map");
    if (!view_read(&r->r, view_record_keys, RK_COUNT, top))
        return estel_fail(err, ESTEL_E_CORRUPT, "record repeats a key");
    for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
        if ((rc = need(r, required[i], err)) != ESTEL_OK)
            return rc;
    if (r->r.slot[RK_V]->type != MP_UINT ||
        r->r.slot[RK_V]->v.u < ESTEL_SCHEMA_OLDEST ||
        r->r.slot[RK_V]->v.u > ESTEL_SCHEMA_VERSION)
        return estel_fail(err, ESTEL_E_CORRUPT, "record schema \"v\" is "
                          "not %d to %d", ESTEL_SCHEMA_OLDEST,
                          ESTEL_SCHEMA_VERSION);
    return ESTEL_OK;
}

enum estel_rc
rec_read(struct rec *r, struct mp_tree *tree, const uint8_t *buf,
         size_t len, struct estel_err *err)
{
    const struct mp_obj *o, *ev;
    enum estel_rc rc;
    bool has_et;

    if ((rc = read_envelope(r, tree, buf, len, err)) != ESTEL_OK)
        return rc;
    ev = r->r.slot[RK_EV];
    has_et = view_has(&r->r, RK_ET);
    r->kind = "event";
    if (!has_et && mp_str_eq(ev, "gap", 3))
        r->kind = "gap";
    else if (!has_et && mp_str_eq(ev, "status", 6))
        r->kind = "status";
    r->map = evmap_find(ev, has_et, has_et ? r->r.slot[RK_ET]->v.u : 0);
    /* a "p" or "e" that is not a well-formed map stays verbatim */
    r->has_p = (o = view_get(&r->r, RK_P)) != NULL &&
               view_read(&r->p, view_process_keys, PK_COUNT, o);
    if (!r->has_p)
        view_empty(&r->p, view_process_keys, PK_COUNT);
    r->has_e = (o = view_get(&r->r, RK_E)) != NULL &&
               view_read(&r->e, view_payload_keys, EK_COUNT, o);
    if (!r->has_e)
        view_empty(&r->e, view_payload_keys, EK_COUNT);
    r->has_subj = false;
    if (r->map->subject != SUBJ_ACTOR) {
        unsigned k = r->map->subject == SUBJ_TARGET ? EK_TARGET : EK_CHILD;

        r->has_subj = (o = view_get(&r->e, k)) != NULL &&
                      view_read(&r->subj, view_process_keys, PK_COUNT, o);
    }
    r->has_file = r->map->file < EK_COUNT &&
                  (o = view_get(&r->e, r->map->file)) != NULL &&
                  view_read(&r->f, view_file_keys, FK_COUNT, o) &&
                  view_has(&r->f, FK_PATH);
    new_path(r);
    return ESTEL_OK;
}
