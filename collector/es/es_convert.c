/*
 * es_convert.c - one es_message_t -> one struct estel_event, on ES's
 * delivery thread: the envelope, processes and files here, the payloads
 * in es_convert_proc.c, es_convert_file.c and es_convert_user.c.
 *
 * Strings are borrowed as (ptr, len) from the message, never copied and
 * never assumed NUL-terminated; lists (exec args) borrow a preallocated
 * array; nothing allocates or blocks.  A field gated by a message version
 * is read only when msg->version allows it.
 *
 * THE MAPPING (shared with the eslogger parser; docs/es-mapping.md is the
 * same table).  Payload keys are the ES struct member names (= eslogger
 * JSON keys) in declaration order; nested structs are flattened.  Kinds:
 * P process, F file, S string list, s string (nil when ES sent none),
 * i signed, u unsigned, b bool.  "vN": only when msg->version >= N.
 * "?": omitted when the pointer is NULL.
 *
 *  9 exec       target P, args S (es_exec_arg), env S (es_exec_env; only
 *               with CaptureEnvironment), cwd F v3 ?, script F v2 ?,
 *               dyld_exec_path s v7, last_fd i v4, image_cputype i v6,
 *               image_cpusubtype i v6
 * 10 open       fflag i, file F
 * 11 fork       child P
 * 12 close      modified b, target F, was_mapped_writable b v6
 *               (modified == false: dropped by the source, counted)
 * 13 create     destination_type i, then EXISTING_FILE: destination F,
 *               NEW_PATH: dir F, filename s, mode u
 * 14 exchangedata  file1 F, file2 F
 * 15 exit       stat i
 * 16 get_task, 95 get_task_name, 101 get_task_read, 102 get_task_inspect
 *               target P, type i v5
 * 17 kextload, 18 kextunload   identifier s
 * 19 link       source F, target_dir F, target_filename s
 * 20 mmap       protection i, max_protection i, flags i, file_pos u,
 *               source F
 * 22 mount      f_mntonname s, f_mntfromname s, f_fstypename s, f_flags u
 *               (from the statfs), disposition i v8
 * 23 unmount    f_mntonname s, f_mntfromname s, f_fstypename s, f_flags u
 * 25 rename     source F, destination_type i, then EXISTING_FILE:
 *               destination F, NEW_PATH: dir F, filename s
 * 27 setextattr, 64 getextattr, 70 deleteextattr   target F, extattr s
 * 28 setflags   flags u, target F
 * 29 setmode    mode u, target F
 * 30 setowner   uid u, gid u, target F
 * 31 signal     sig i, target P, instigator P v9 ?
 * 32 unlink     target F, parent_dir F
 * 33 write, 41 truncate, 51 chdir, 54 stat, 57 chroot, 66 listextattr,
 * 68 readdir, 72 fsgetpath, 73 dup             target F
 * 39 readlink   source F
 * 43 lookup     source_dir F, relative_target s
 * 55 access     mode i, target F
 * 61 clone      source F, target_dir F, target_name s
 * 62 fcntl      target F, cmd i
 * 76 uipc_bind  dir F, filename s, mode u
 * 78 uipc_connect   file F, domain i, type i, protocol i
 * 83 pty_grant, 84 pty_close   dev i
 * 86 proc_check target P ?, type i, flavor i
 * 93 proc_suspend_resume   target P ?, type i
 * 94 cs_invalidated   (no fields)
 * 96 trace, 97 remote_thread_create   target P
 * 103 setuid uid u; 104 setgid gid u; 105 seteuid euid u; 106 setegid
 *               egid u; 107 setreuid ruid u, euid u; 108 setregid rgid u,
 *               egid u
 * 110 copyfile  source F, target_file F ?, target_dir F, target_name s,
 *               mode u, flags i
 * 111 authentication   success b, type i, then by type - OD: instigator
 *               P ?, record_type s, record_name s, node_name s, db_path s;
 *               TOUCHID: instigator P ?, touchid_mode i, uid u (has_uid);
 *               TOKEN: instigator P ?, pubkey_hash s, token_id s,
 *               kerberos_principal s; AUTO_UNLOCK: username s,
 *               auto_unlock_type i (its member "type", renamed: the
 *               event's own "type" comes first)
 * 112 xp_malware_detected   signature_version s, malware_identifier s,
 *               incident_identifier s, detected_path s,
 *               detected_executable s v10
 * 114 lw_session_login, 115 _logout, 116 _lock, 117 _unlock
 *               username s, graphical_session_id u
 * 120 openssh_login   success b, result_type i, source_address_type i,
 *               source_address s, username s, uid u (has_uid)
 * 121 openssh_logout  source_address_type i, source_address s,
 *               username s, uid u
 * 122 login_login     success b, failure_message s, username s,
 *               uid u (has_uid)
 * 123 login_logout    username s, uid u
 * 124 btm_launch_item_add   instigator P ?, app P ?, item_type i,
 *               legacy b, managed b, item_uid u, item_url s, app_url s,
 *               executable_path s   (item_* from the es_btm_launch_item_t)
 * 125 btm_launch_item_remove   the same without executable_path
 * 126 profile_add   instigator P ?, is_update b, identifier s, uuid s,
 *               install_source i, organization s, display_name s, scope s
 * 127 profile_remove   the same without is_update
 * 128 su        success b, failure_message s, from_uid u,
 *               from_username s, to_uid u (has_to_uid), to_username s,
 *               shell s, argv S
 * 131 sudo      success b, plugin_name s, plugin_type i,
 *               failure_message s (these three when reject_info is set),
 *               from_uid u (has_from_uid), from_username s,
 *               to_uid u (has_to_uid), to_username s, command s
 * 145 xpc_connect   service_name s, service_domain_type i
 * 147 tcc_modify    service s, identity s, identity_type i,
 *               update_type i, right i, reason i, instigator P ?,
 *               responsible P ?
 * any NOTIFY message another client denied (action.notify is an AUTH
 *               result DENY): action_result i (= 1) after the payload
 * everything else (AUTH types, newer or unmapped types): no payload
 *               fields; the record carries the type number (and the
 *               encoder its name when known)
 */
#include "collector/es/es_int.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

enum estel_rc
es_conv_create(struct es_conv **out, const struct estel_config *cfg,
               struct estel_err *err)
{
    struct es_conv *cv;
    size_t cap = cfg->argv_max_count > 0 ? cfg->argv_max_count : 1;

    if ((cv = calloc(1, sizeof(*cv))) == NULL ||
        (cv->strs = calloc(cap, sizeof(*cv->strs))) == NULL ||
        (cv->env = calloc(cap, sizeof(*cv->env))) == NULL) {
        es_conv_destroy(&cv);
        return estel_fail(err, ESTEL_E_NOMEM, "es: out of memory for %zu "
                          "argv entries (ArgvMaxCount)", cap);
    }
    cv->strs_cap = cfg->argv_max_count;
    cv->capture_env = cfg->capture_environment;
    *out = cv;
    return ESTEL_OK;
}

void
es_conv_destroy(struct es_conv **cvp)
{
    if (cvp == NULL || *cvp == NULL)
        return;
    free((*cvp)->strs);
    free((*cvp)->env);
    free(*cvp);
    *cvp = NULL;
}

static int64_t
ts_ns(struct timespec ts)
{
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void
es_fill_file(struct ev_file *dst, const es_file_t *f)
{
    dst->path = es_str(f->path);
    dst->path_truncated = f->path_truncated;
    dst->has_stat = true;
    dst->stat.dev = f->stat.st_dev;
    dst->stat.ino = f->stat.st_ino;
    dst->stat.mode = f->stat.st_mode;
    dst->stat.nlink = f->stat.st_nlink;
    dst->stat.uid = f->stat.st_uid;
    dst->stat.gid = f->stat.st_gid;
    dst->stat.size = f->stat.st_size;
    dst->stat.flags = f->stat.st_flags;
    dst->stat.mtime_ns = ts_ns(f->stat.st_mtimespec);
    dst->stat.ctime_ns = ts_ns(f->stat.st_ctimespec);
    dst->stat.btime_ns = ts_ns(f->stat.st_birthtimespec);
}

/* libbsm's order (auid euid egid ruid rgid pid asid pidversion) is
 * struct ev_token's: one copy. */
_Static_assert(sizeof(struct ev_token) == sizeof(audit_token_t) &&
               offsetof(struct ev_token, egid) == 2 * sizeof(uint32_t) &&
               offsetof(struct ev_token, pid) == 5 * sizeof(uint32_t) &&
               offsetof(struct ev_token, pidversion) ==
               7 * sizeof(uint32_t), "ev_token mirrors audit_token_t");

static void
fill_token(struct ev_token *dst, const audit_token_t *t)
{
    memcpy(dst, t->val, sizeof(*dst));
}

/*
 * ES hands over messages that are not in this core's cache, and each
 * piece (message, process, files, thread) is a pointer away from the
 * last: ask for the lines before reading them so the misses overlap
 * instead of following one another.
 */
static inline void
prefetch_lines(const void *p, size_t n)
{
    for (size_t i = 0; i < n; i += 64)
        __builtin_prefetch((const char *)p + i);
}

/*
 * A process's executable and tty: the path only (has_stat stays false).
 * The record keeps nothing else of them (record.c, put_path_map), and
 * their stat is two more cache lines of a cold message each.
 */
static void
fill_path(struct ev_file *dst, const es_file_t *f)
{
    dst->path = es_str(f->path);
    dst->path_truncated = f->path_truncated;
}

/* dst must be zeroed (ev_reset / ev_add_proc do it). */
void
es_fill_process(struct ev_process *dst, const es_process_t *p,
                uint32_t version)
{
    if (p->executable != NULL)
        __builtin_prefetch(p->executable);
    if (version >= 2 && p->tty != NULL)
        __builtin_prefetch(p->tty);
    fill_token(&dst->token, &p->audit_token);
    dst->ppid = p->ppid;
    dst->original_ppid = p->original_ppid;
    dst->group_id = p->group_id;
    dst->session_id = p->session_id;
    dst->cs_flags = p->codesigning_flags;
    dst->is_platform_binary = p->is_platform_binary;
    dst->is_es_client = p->is_es_client;
    dst->has_cdhash = true;
    memcpy(dst->cdhash, p->cdhash, sizeof(dst->cdhash));
    dst->signing_id = es_str(p->signing_id);
    dst->team_id = es_str(p->team_id);
    if (p->executable != NULL)
        fill_path(&dst->executable, p->executable);
    if (version >= 2 && p->tty != NULL) {
        dst->has_tty = true;
        fill_path(&dst->tty, p->tty);
    }
    if (version >= 3) {
        dst->has_start_time = true;
        dst->start_time_ns = (int64_t)p->start_time.tv_sec * 1000000000 +
                             (int64_t)p->start_time.tv_usec * 1000;
    }
    if (version >= 4) {
        dst->has_parent_tokens = true;
        fill_token(&dst->responsible, &p->responsible_audit_token);
        fill_token(&dst->parent, &p->parent_audit_token);
    }
    if (version >= 10) {
        dst->has_cs_validation = true;
        dst->cs_validation_category = (int32_t)p->cs_validation_category;
    }
}

void
es_put_file(struct estel_event *ev, const char *key, const es_file_t *f)
{
    struct ev_file *dst;

    if (f == NULL)
        return;
    prefetch_lines(f, sizeof(*f));
    if ((dst = ev_add_file(ev, key)) != NULL)
        es_fill_file(dst, f);
}

void
es_put_proc(struct estel_event *ev, const char *key, const es_process_t *p,
            uint32_t version)
{
    struct ev_process *dst;

    if (p != NULL && (dst = ev_add_proc(ev, key)) != NULL)
        es_fill_process(dst, p, version);
}

void
es_put_str(struct estel_event *ev, const char *key, es_string_token_t t)
{
    ev_add_str(ev, key, es_str(t));
}

void
es_put_chars(struct estel_event *ev, const char *key, const char *p,
             size_t size)
{
    struct ev_str s = { p, 0 };

    while (s.len < size && p[s.len] != '\0')
        s.len++;
    ev_add_str(ev, key, s);
}

void
es_put_strv(struct es_conv *cv, struct estel_event *ev, const char *key,
            const es_string_token_t *v, size_t n)
{
    struct ev_strs l;
    size_t keep = n < cv->strs_cap ? n : cv->strs_cap;

    if (v == NULL)
        keep = n = 0;
    for (size_t i = 0; i < keep; i++)
        cv->strs[i] = es_str(v[i]);
    l.items = cv->strs;
    l.stored = keep;
    l.count = n;
    ev_add_strs(ev, key, l);
}

static void
fill_envelope(const es_message_t *msg, struct estel_event *ev)
{
    ev->type = (uint32_t)msg->event_type;
    ev->version = msg->version;
    ev->time_ns = ts_ns(msg->time);
    ev->mach_time = msg->mach_time;
    if (msg->version >= 2) {
        ev->has_seq = true;
        ev->seq_num = msg->seq_num;
    }
    if (msg->version >= 4) {
        ev->has_global_seq = true;
        ev->global_seq_num = msg->global_seq_num;
        if (msg->thread != NULL) {
            ev->has_thread = true;
            ev->thread_id = msg->thread->thread_id;
        }
    }
    if (msg->process != NULL)
        es_fill_process(&ev->process, msg->process, msg->version);
}

void
es_conv_message(struct es_conv *cv, const es_message_t *msg,
                struct estel_event *ev)
{
    if (msg->process != NULL)
        prefetch_lines(msg->process, sizeof(*msg->process));
    if (msg->version >= 4 && msg->thread != NULL)
        __builtin_prefetch(msg->thread);
    ev_reset(ev);
    /* the payload before the actor, whose lines are on their way */
    if (!es_conv_proc_event(cv, msg, ev) &&
        !es_conv_file_event(cv, msg, ev))
        (void)es_conv_user_event(cv, msg, ev);     /* else: no payload */
    fill_envelope(msg, ev);
    if (msg->action_type == ES_ACTION_TYPE_NOTIFY &&
        msg->action.notify.result_type == ES_RESULT_TYPE_AUTH &&
        msg->action.notify.result.auth == ES_AUTH_RESULT_DENY)
        ev_add_int(ev, "action_result", ES_AUTH_RESULT_DENY);
}
