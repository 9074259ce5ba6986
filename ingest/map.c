/*
 * map.c - how each Endpoint Security event type maps: ECS event.category
 * and event.type, OCSF class and activity, which process is the subject
 * (exec: the new image, fork: the child) and which payload key holds the
 * primary file.  docs/schema.md ("Event types") is this table in prose.
 *
 * Sorted by name (bytewise) for binary search (the unit tests map a name
 * from every stretch of the table).  Types not listed (a newer macOS) map
 * generically: event.kind "event", no category, OCSF class 0 "Base
 * Event", activity 99 Other.
 */
#include "ingest/ingest_int.h"

#include "common/evtype.h"

#include <string.h>

static const struct evmap evmaps[] = {
    { "access", "file", "access", 1001, 8,
      "Get Attributes", SUBJ_ACTOR, EK_TARGET, NP_NONE },
    { "authentication", "authentication", "info", 3002, 99,
      "Authenticate", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "authorization_judgement", "iam", "info", 0, 99,
      "Judgement", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "authorization_petition", "iam", "info", 0, 99,
      "Petition", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "btm_launch_item_add", "configuration", "creation", 0, 99,
      "Launch Item Add", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "btm_launch_item_remove", "configuration", "deletion", 0, 99,
      "Launch Item Remove", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "chdir", "process", "change", 1007, 99,
      "Change Directory", SUBJ_ACTOR, EK_TARGET, NP_NONE },
    { "chroot", "process", "change", 1007, 99,
      "Change Root", SUBJ_ACTOR, EK_TARGET, NP_NONE },
    { "clone", "file", "creation", 1001, 1,
      "Create", SUBJ_ACTOR, EK_SOURCE, NP_TARGET_NAME },
    { "close", "file", "change", 1001, 99,
      "Close", SUBJ_ACTOR, EK_TARGET, NP_NONE },
    { "copyfile", "file", "creation", 1001, 1,
      "Create", SUBJ_ACTOR, EK_SOURCE, NP_TARGET_NAME },
    { "create", "file", "creation", 1001, 1,
      "Create", SUBJ_ACTOR, EK_DESTINATION, NP_DESTINATION },
    { "cs_invalidated", "process", "change", 1007, 99,
      "Code Signature Invalidated", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "deleteextattr", "file", "change", 1001, 6,
      "Set Attributes", SUBJ_ACTOR, EK_TARGET, NP_NONE },
    { "dup", "file", "access", 1001, 99,
      "Duplicate", SUBJ_ACTOR, EK_TARGET, NP_NONE },
    { "exchangedata", "file", "change", 1001, 3,
      "Update", SUBJ_ACTOR, EK_FILE1, NP_NONE },
    { "exec", "process", "start", 1007, 1,
      "Launch", SUBJ_TARGET, EK_COUNT, NP_NONE },
    { "exit", "process", "end", 1007, 2,
      "Terminate", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "fcntl", "file", "access", 1001, 99,
      "Control", SUBJ_ACTOR, EK_TARGET, NP_NONE },
    { "file_provider_materialize", "file", "creation", 1001, 99,
      "Materialize", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "file_provider_update", "file", "change", 1001, 3,
      "Update", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "fork", "process", "start", 1007, 1,
      "Launch", SUBJ_CHILD, EK_COUNT, NP_NONE },
    { "fsgetpath", "file", "access", 1001, 8,
      "Get Attributes", SUBJ_ACTOR, EK_TARGET, NP_NONE },
    { "gatekeeper_user_override", "configuration", "change", 0, 99,
      "Gatekeeper Override", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "get_task", "process", "access", 1007, 3,
      "Open", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "get_task_inspect", "process", "access", 1007, 3,
      "Open", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "get_task_name", "process", "access", 1007, 3,
      "Open", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "get_task_read", "process", "access", 1007, 3,
      "Open", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "getattrlist", "file", "access", 1001, 8,
      "Get Attributes", SUBJ_ACTOR, EK_TARGET, NP_NONE },
    { "getextattr", "file", "access", 1001, 8,
      "Get Attributes", SUBJ_ACTOR, EK_TARGET, NP_NONE },
    { "iokit_open", "driver", "access", 0, 99,
      "Open", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "kextload", "driver", "start", 0, 99,
      "Load", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "kextunload", "driver", "end", 0, 99,
      "Unload", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "link", "file", "creation", 1001, 1,
      "Create", SUBJ_ACTOR, EK_SOURCE, NP_TARGET_FILENAME },
    { "listextattr", "file", "access", 1001, 8,
      "Get Attributes", SUBJ_ACTOR, EK_TARGET, NP_NONE },
    { "login_login", "authentication", "start", 3002, 1,
      "Logon", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "login_logout", "authentication", "end", 3002, 2,
      "Logoff", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "lookup", "file", "access", 1001, 99,
      "Lookup", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "lw_session_lock", "session", "info", 3002, 99,
      "Lock", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "lw_session_login", "authentication", "start", 3002, 1,
      "Logon", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "lw_session_logout", "authentication", "end", 3002, 2,
      "Logoff", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "lw_session_unlock", "authentication", "start", 3002, 99,
      "Unlock", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "mmap", "file", "access", 1001, 99,
      "Map", SUBJ_ACTOR, EK_SOURCE, NP_NONE },
    { "mount", "file", "info", 1001, 12,
      "Mount", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "mprotect", "process", "change", 1007, 99,
      "Memory Protect", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "od_attribute_set", "iam", "change", 0, 99,
      "Attribute Set", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "od_attribute_value_add", "iam", "change", 0, 99,
      "Attribute Value Add", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "od_attribute_value_remove", "iam", "change", 0, 99,
      "Attribute Value Remove", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "od_create_group", "iam", "creation", 0, 99,
      "Create Group", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "od_create_user", "iam", "creation", 0, 99,
      "Create User", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "od_delete_group", "iam", "deletion", 0, 99,
      "Delete Group", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "od_delete_user", "iam", "deletion", 0, 99,
      "Delete User", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "od_disable_user", "iam", "user", 0, 99,
      "Disable User", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "od_enable_user", "iam", "user", 0, 99,
      "Enable User", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "od_group_add", "iam", "group", 0, 99,
      "Group Add", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "od_group_remove", "iam", "group", 0, 99,
      "Group Remove", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "od_group_set", "iam", "group", 0, 99,
      "Group Set", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "od_modify_password", "iam", "change", 0, 99,
      "Modify Password", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "open", "file", "access", 1001, 14,
      "Open", SUBJ_ACTOR, EK_FILE, NP_NONE },
    { "openssh_login", "authentication", "start", 3002, 1,
      "Logon", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "openssh_logout", "authentication", "end", 3002, 2,
      "Logoff", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "proc_check", "process", "info", 1007, 99,
      "Check", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "proc_suspend_resume", "process", "change", 1007, 99,
      "Suspend Resume", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "profile_add", "configuration", "creation", 0, 99,
      "Profile Add", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "profile_remove", "configuration", "deletion", 0, 99,
      "Profile Remove", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "pty_close", "host", "end", 0, 99,
      "Close", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "pty_grant", "host", "start", 0, 99,
      "Grant", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "readdir", "file", "access", 1001, 2,
      "Read", SUBJ_ACTOR, EK_TARGET, NP_NONE },
    { "readlink", "file", "access", 1001, 2,
      "Read", SUBJ_ACTOR, EK_SOURCE, NP_NONE },
    { "remote_thread_create", "process", "change", 1007, 4,
      "Inject", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "remount", "file", "info", 1001, 99,
      "Remount", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "rename", "file", "change", 1001, 5,
      "Rename", SUBJ_ACTOR, EK_SOURCE, NP_DESTINATION },
    { "screensharing_attach", "authentication", "start", 3002, 1,
      "Logon", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "screensharing_detach", "authentication", "end", 3002, 2,
      "Logoff", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "searchfs", "file", "access", 1001, 99,
      "Search", SUBJ_ACTOR, EK_TARGET, NP_NONE },
    { "setacl", "file", "change", 1001, 7,
      "Set Security", SUBJ_ACTOR, EK_TARGET, NP_NONE },
    { "setattrlist", "file", "change", 1001, 6,
      "Set Attributes", SUBJ_ACTOR, EK_TARGET, NP_NONE },
    { "setegid", "process", "change", 1007, 99,
      "Set Group ID", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "seteuid", "process", "change", 1007, 5,
      "Set User ID", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "setextattr", "file", "change", 1001, 6,
      "Set Attributes", SUBJ_ACTOR, EK_TARGET, NP_NONE },
    { "setflags", "file", "change", 1001, 6,
      "Set Attributes", SUBJ_ACTOR, EK_TARGET, NP_NONE },
    { "setgid", "process", "change", 1007, 99,
      "Set Group ID", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "setmode", "file", "change", 1001, 7,
      "Set Security", SUBJ_ACTOR, EK_TARGET, NP_NONE },
    { "setowner", "file", "change", 1001, 7,
      "Set Security", SUBJ_ACTOR, EK_TARGET, NP_NONE },
    { "setregid", "process", "change", 1007, 99,
      "Set Group ID", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "setreuid", "process", "change", 1007, 5,
      "Set User ID", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "settime", "host", "change", 0, 99,
      "Set Time", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "setuid", "process", "change", 1007, 5,
      "Set User ID", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "signal", "process", "info", 1007, 99,
      "Signal", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "stat", "file", "access", 1001, 8,
      "Get Attributes", SUBJ_ACTOR, EK_TARGET, NP_NONE },
    { "su", "authentication", "start", 3002, 1,
      "Logon", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "sudo", "authentication", "start", 3002, 1,
      "Logon", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "tcc_modify", "configuration", "change", 0, 99,
      "TCC Modify", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "trace", "process", "access", 1007, 99,
      "Trace", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "truncate", "file", "change", 1001, 3,
      "Update", SUBJ_ACTOR, EK_TARGET, NP_NONE },
    { "uipc_bind", "network", "start", 0, 99,
      "Bind", SUBJ_ACTOR, EK_COUNT, NP_DIR_FILENAME },
    { "uipc_connect", "network", "connection", 0, 99,
      "Connect", SUBJ_ACTOR, EK_FILE, NP_NONE },
    { "unlink", "file", "deletion", 1001, 4,
      "Delete", SUBJ_ACTOR, EK_TARGET, NP_NONE },
    { "unmount", "file", "info", 1001, 13,
      "Unmount", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "utimes", "file", "change", 1001, 6,
      "Set Attributes", SUBJ_ACTOR, EK_TARGET, NP_NONE },
    { "write", "file", "change", 1001, 3,
      "Update", SUBJ_ACTOR, EK_TARGET, NP_NONE },
    { "xp_malware_detected", "malware", "info", 0, 99,
      "Malware Detected", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "xp_malware_remediated", "malware", "end", 0, 99,
      "Malware Remediated", SUBJ_ACTOR, EK_COUNT, NP_NONE },
    { "xpc_connect", "process", "access", 0, 99,
      "XPC Connect", SUBJ_ACTOR, EK_COUNT, NP_NONE },
};

#define NEVMAPS (sizeof(evmaps) / sizeof(evmaps[0]))

static const struct evmap evmap_other = {
    NULL, NULL, "info", 0, 99, "Other", SUBJ_ACTOR, EK_COUNT, NP_NONE
};

static const struct evmap *
by_name(const char *s, size_t n)
{
    size_t lo = 0, hi = NEVMAPS;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *m = evmaps[mid].name;
        size_t mn = strlen(m);
        int c = memcmp(m, s, mn < n ? mn : n);

        if (c == 0)
            c = mn < n ? -1 : mn > n ? 1 : 0;
        if (c == 0)
            return &evmaps[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const struct evmap *
evmap_find(const struct mp_obj *ev, bool has_et, uint64_t et)
{
    const struct evmap *m = NULL;

    /* the record's own name wins: it is what the agent's table said */
    if (ev != NULL && ev->type == MP_STR)
        m = by_name(ev->v.s.p, ev->v.s.n);
    if (m == NULL && has_et && et < ESTEL_EVTYPE_COUNT) {
        const char *name = estel_evtype_name((uint32_t)et);

        if (name != NULL)
            m = by_name(name, strlen(name));
    }
    return m != NULL ? m : &evmap_other;
}

/* The string (or bin, as hex) at view key k as "key" (used: left out of
 * the leftovers). */
void
map_str_field(struct jw *w, const char *key, struct view *v, unsigned k)
{
    const struct mp_obj *o = view_get(v, k);

    if (o == NULL)
        return;
    if (o->type == MP_STR) {
        jw_kv_str(w, key, o->v.s.p, o->v.s.n);
    } else if (o->type == MP_BIN) {
        jw_key(w, key, strlen(key));
        jw_value_mp(w, o);          /* as lowercase hex */
    } else {
        return;
    }
    view_use(v, k);
}

/* The integer at view key k as "key". */
void
map_int_field(struct jw *w, const char *key, struct view *v, unsigned k)
{
    const struct mp_obj *o = view_get(v, k);

    if (o == NULL)
        return;
    jw_kv_int(w, key, o);
    view_use(v, k);
}
