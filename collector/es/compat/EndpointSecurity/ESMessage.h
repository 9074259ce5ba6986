/*
 * ESMessage.h (estel compat) - es_message_t and everything it points to,
 * in Apple's field order (macOS 26 SDK), for Linux builds against the fake
 * ES runtime.  Darwin's struct stat / struct statfs / mode_t / dev_t are
 * the es_darwin_* types from ESCompatDarwin.h; member names are Apple's,
 * so collector code compiles unchanged against the real SDK.
 *
 * "vN" marks a field that may be read only when msg->version >= N.
 * Events added in macOS 13 and later are pointers in es_events_t.
 */
#ifndef ESTEL_ES_COMPAT_MESSAGE_H
#define ESTEL_ES_COMPAT_MESSAGE_H

#ifndef __ENDPOINT_SECURITY_INDIRECT__
#error "include <EndpointSecurity/EndpointSecurity.h> instead of this file"
#endif

#include "ESTypes.h"

typedef struct {
    es_string_token_t path;
    bool path_truncated;
    struct es_darwin_stat stat;
} es_file_t;

typedef struct {
    uint64_t thread_id;
} es_thread_t;

typedef struct {
    audit_token_t audit_token;
    pid_t ppid;
    pid_t original_ppid;
    pid_t group_id;
    pid_t session_id;
    uint32_t codesigning_flags;
    bool is_platform_binary;
    bool is_es_client;
    es_cdhash_t cdhash;
    es_string_token_t signing_id;
    es_string_token_t team_id;
    es_file_t *executable;
    es_file_t *tty;                         /* v2, NULL: no tty */
    struct timeval start_time;              /* v3 */
    audit_token_t responsible_audit_token;  /* v4 */
    audit_token_t parent_audit_token;       /* v4 */
    es_cs_validation_category_t cs_validation_category;    /* v10 */
} es_process_t;

typedef struct {
    int flavor;
    es_token_t state;
} es_thread_state_t;

typedef struct {
    int32_t fd;
    uint32_t fdtype;
    union {
        struct {
            uint64_t pipe_id;
        } pipe;
    };
} es_fd_t;

/* ---- events present since 10.15 .. 12 (by value in es_events_t) ------- */

typedef struct {
    es_process_t *target;
    es_string_token_t dyld_exec_path;       /* v7 */
    union {
        uint8_t reserved[64];
        struct {
            es_file_t *script;              /* v2, NULL unless ./script */
            es_file_t *cwd;                 /* v3 */
            int last_fd;                    /* v4 */
            cpu_type_t image_cputype;       /* v6 */
            cpu_subtype_t image_cpusubtype; /* v6 */
        };
    };
} es_event_exec_t;

typedef struct {
    int32_t fflag;
    es_file_t *file;
    uint8_t reserved[64];
} es_event_open_t;

typedef struct {
    es_string_token_t identifier;
    uint8_t reserved[64];
} es_event_kextload_t;

typedef struct {
    es_string_token_t identifier;
    uint8_t reserved[64];
} es_event_kextunload_t;

typedef struct {
    es_file_t *target;
    es_file_t *parent_dir;
    uint8_t reserved[64];
} es_event_unlink_t;

typedef struct {
    int32_t protection;
    int32_t max_protection;
    int32_t flags;
    uint64_t file_pos;
    es_file_t *source;
    uint8_t reserved[64];
} es_event_mmap_t;

typedef struct {
    es_file_t *source;
    es_file_t *target_dir;
    es_string_token_t target_filename;
    uint8_t reserved[64];
} es_event_link_t;

typedef struct {
    struct es_darwin_statfs *statfs;
    es_mount_disposition_t disposition;     /* v8 */
    uint8_t reserved[60];
} es_event_mount_t;

typedef struct {
    struct es_darwin_statfs *statfs;
    uint8_t reserved[64];
} es_event_unmount_t;

typedef struct {
    struct es_darwin_statfs *statfs;
    uint64_t remount_flags;                 /* v8 */
    es_mount_disposition_t disposition;     /* v8 */
    uint8_t reserved[52];
} es_event_remount_t;

typedef struct {
    es_process_t *child;
    uint8_t reserved[64];
} es_event_fork_t;

typedef struct {
    int32_t protection;
    user_addr_t address;
    user_size_t size;
    uint8_t reserved[64];
} es_event_mprotect_t;

typedef struct {
    int sig;
    es_process_t *target;
    es_process_t *instigator;               /* v9, nullable */
    uint8_t reserved[56];
} es_event_signal_t;

typedef struct {
    es_file_t *source;
    es_destination_type_t destination_type;
    union {
        es_file_t *existing_file;
        struct {
            es_file_t *dir;
            es_string_token_t filename;
        } new_path;
    } destination;
    uint8_t reserved[64];
} es_event_rename_t;

typedef struct {
    es_file_t *target;
    es_string_token_t extattr;
    uint8_t reserved[64];
} es_event_setextattr_t;

typedef struct {
    es_file_t *target;
    es_string_token_t extattr;
    uint8_t reserved[64];
} es_event_getextattr_t;

typedef struct {
    es_file_t *target;
    es_string_token_t extattr;
    uint8_t reserved[64];
} es_event_deleteextattr_t;

typedef struct {
    es_darwin_mode_t mode;
    es_file_t *target;
    uint8_t reserved[64];
} es_event_setmode_t;

typedef struct {
    uint32_t flags;
    es_file_t *target;
    uint8_t reserved[64];
} es_event_setflags_t;

typedef struct {
    uid_t uid;
    gid_t gid;
    es_file_t *target;
    uint8_t reserved[64];
} es_event_setowner_t;

typedef struct {
    bool modified;
    es_file_t *target;
    union {
        uint8_t reserved[64];
        struct {
            bool was_mapped_writable;       /* v6 */
        };
    };
} es_event_close_t;

typedef struct {
    es_destination_type_t destination_type;
    union {
        es_file_t *existing_file;
        struct {
            es_file_t *dir;
            es_string_token_t filename;
            es_darwin_mode_t mode;
        } new_path;
    } destination;
    uint8_t reserved2[16];
    union {
        uint8_t reserved[48];
        struct {
            acl_t acl;                      /* v2, nullable */
        };
    };
} es_event_create_t;

typedef struct {
    int stat;
    uint8_t reserved[64];
} es_event_exit_t;

typedef struct {
    es_file_t *file1;
    es_file_t *file2;
    uint8_t reserved[64];
} es_event_exchangedata_t;

typedef struct {
    es_file_t *target;
    uint8_t reserved[64];
} es_event_write_t;

typedef struct {
    es_file_t *target;
    uint8_t reserved[64];
} es_event_truncate_t;

typedef struct {
    es_file_t *target;
    uint8_t reserved[64];
} es_event_chdir_t;

typedef struct {
    es_file_t *target;
    uint8_t reserved[64];
} es_event_stat_t;

typedef struct {
    es_file_t *target;
    uint8_t reserved[64];
} es_event_chroot_t;

typedef struct {
    es_file_t *target;
    uint8_t reserved[64];
} es_event_listextattr_t;

typedef struct {
    uint32_t user_client_type;
    es_string_token_t user_client_class;
    uint64_t parent_registry_id;            /* v10 */
    es_string_token_t parent_path;          /* v10 */
    uint8_t reserved[40];
} es_event_iokit_open_t;

typedef struct {
    es_process_t *target;
    es_get_task_type_t type;                /* v5 */
    uint8_t reserved[60];
} es_event_get_task_t;

typedef struct {
    es_process_t *target;
    es_get_task_type_t type;                /* v5 */
    uint8_t reserved[60];
} es_event_get_task_read_t;

typedef struct {
    es_process_t *target;
    es_get_task_type_t type;                /* v5 */
    uint8_t reserved[60];
} es_event_get_task_inspect_t;

typedef struct {
    es_process_t *target;
    es_get_task_type_t type;                /* v5 */
    uint8_t reserved[60];
} es_event_get_task_name_t;

typedef struct {
    struct es_darwin_attrlist attrlist;
    es_file_t *target;
    uint8_t reserved[64];
} es_event_getattrlist_t;

typedef struct {
    struct es_darwin_attrlist attrlist;
    es_file_t *target;
    uint8_t reserved[64];
} es_event_setattrlist_t;

typedef struct {
    es_file_t *source;
    es_string_token_t target_path;
    uint8_t reserved[64];
} es_event_file_provider_update_t;

typedef struct {
    es_process_t *instigator;               /* nullable */
    es_file_t *source;
    es_file_t *target;
    audit_token_t instigator_token;         /* v8 */
    uint8_t reserved[32];
} es_event_file_provider_materialize_t;

typedef struct {
    es_file_t *source;
    uint8_t reserved[64];
} es_event_readlink_t;

typedef struct {
    es_file_t *source_dir;
    es_string_token_t relative_target;
    uint8_t reserved[64];
} es_event_lookup_t;

typedef struct {
    int32_t mode;
    es_file_t *target;
    uint8_t reserved[64];
} es_event_access_t;

typedef struct {
    es_file_t *target;
    struct timespec atime;
    struct timespec mtime;
    uint8_t reserved[64];
} es_event_utimes_t;

typedef struct {
    es_file_t *source;
    es_file_t *target_dir;
    es_string_token_t target_name;
    uint8_t reserved[64];
} es_event_clone_t;

typedef struct {
    es_file_t *source;
    es_file_t *target_file;                 /* nullable */
    es_file_t *target_dir;
    es_string_token_t target_name;
    es_darwin_mode_t mode;
    int32_t flags;
    uint8_t reserved[56];
} es_event_copyfile_t;

typedef struct {
    es_file_t *target;
    int32_t cmd;
    uint8_t reserved[64];
} es_event_fcntl_t;

typedef struct {
    es_file_t *target;
    uint8_t reserved[64];
} es_event_readdir_t;

typedef struct {
    es_file_t *target;
    uint8_t reserved[64];
} es_event_fsgetpath_t;

typedef struct {
    uint8_t reserved[64];
} es_event_settime_t;

typedef struct {
    es_file_t *target;
    uint8_t reserved[64];
} es_event_dup_t;

typedef struct {
    es_file_t *dir;
    es_string_token_t filename;
    es_darwin_mode_t mode;
    uint8_t reserved[64];
} es_event_uipc_bind_t;

typedef struct {
    es_file_t *file;
    int domain;
    int type;
    int protocol;
    uint8_t reserved[64];
} es_event_uipc_connect_t;

typedef struct {
    es_file_t *target;
    es_set_or_clear_t set_or_clear;
    union {
        acl_t set;
    } acl;
    uint8_t reserved[64];
} es_event_setacl_t;

typedef struct {
    es_darwin_dev_t dev;
    uint8_t reserved[64];
} es_event_pty_grant_t;

typedef struct {
    es_darwin_dev_t dev;
    uint8_t reserved[64];
} es_event_pty_close_t;

typedef struct {
    es_process_t *target;                   /* nullable */
    es_proc_check_type_t type;
    int flavor;
    uint8_t reserved[64];
} es_event_proc_check_t;

typedef struct {
    struct es_darwin_attrlist attrlist;
    es_file_t *target;
    uint8_t reserved[64];
} es_event_searchfs_t;

typedef struct {
    es_process_t *target;                   /* nullable */
    es_proc_suspend_resume_type_t type;
    uint8_t reserved[64];
} es_event_proc_suspend_resume_t;

typedef struct {
    uint8_t reserved[64];
} es_event_cs_invalidated_t;

typedef struct {
    es_process_t *target;
    uint8_t reserved[64];
} es_event_trace_t;

typedef struct {
    es_process_t *target;
    es_thread_state_t *thread_state;        /* nullable */
    uint8_t reserved[64];
} es_event_remote_thread_create_t;

typedef struct {
    uid_t uid;
    uint8_t reserved[64];
} es_event_setuid_t;

typedef struct {
    uid_t gid;
    uint8_t reserved[64];
} es_event_setgid_t;

typedef struct {
    uid_t euid;
    uint8_t reserved[64];
} es_event_seteuid_t;

typedef struct {
    uid_t egid;
    uint8_t reserved[64];
} es_event_setegid_t;

typedef struct {
    uid_t ruid;
    uid_t euid;
    uint8_t reserved[64];
} es_event_setreuid_t;

typedef struct {
    uid_t rgid;
    uid_t egid;
    uint8_t reserved[64];
} es_event_setregid_t;

#include "ESMessage13.h"

/* ---- the union and the message ---------------------------------------- */

typedef union {
    es_event_access_t access;
    es_event_chdir_t chdir;
    es_event_chroot_t chroot;
    es_event_clone_t clone;
    es_event_close_t close;
    es_event_copyfile_t copyfile;
    es_event_create_t create;
    es_event_cs_invalidated_t cs_invalidated;
    es_event_deleteextattr_t deleteextattr;
    es_event_dup_t dup;
    es_event_exchangedata_t exchangedata;
    es_event_exec_t exec;
    es_event_exit_t exit;
    es_event_file_provider_materialize_t file_provider_materialize;
    es_event_file_provider_update_t file_provider_update;
    es_event_fcntl_t fcntl;
    es_event_fork_t fork;
    es_event_fsgetpath_t fsgetpath;
    es_event_get_task_t get_task;
    es_event_get_task_read_t get_task_read;
    es_event_get_task_inspect_t get_task_inspect;
    es_event_get_task_name_t get_task_name;
    es_event_getattrlist_t getattrlist;
    es_event_getextattr_t getextattr;
    es_event_iokit_open_t iokit_open;
    es_event_kextload_t kextload;
    es_event_kextunload_t kextunload;
    es_event_link_t link;
    es_event_listextattr_t listextattr;
    es_event_lookup_t lookup;
    es_event_mmap_t mmap;
    es_event_mount_t mount;
    es_event_mprotect_t mprotect;
    es_event_open_t open;
    es_event_proc_check_t proc_check;
    es_event_proc_suspend_resume_t proc_suspend_resume;
    es_event_pty_close_t pty_close;
    es_event_pty_grant_t pty_grant;
    es_event_readdir_t readdir;
    es_event_readlink_t readlink;
    es_event_remote_thread_create_t remote_thread_create;
    es_event_remount_t remount;
    es_event_rename_t rename;
    es_event_searchfs_t searchfs;
    es_event_setacl_t setacl;
    es_event_setattrlist_t setattrlist;
    es_event_setextattr_t setextattr;
    es_event_setflags_t setflags;
    es_event_setmode_t setmode;
    es_event_setowner_t setowner;
    es_event_settime_t settime;
    es_event_setuid_t setuid;
    es_event_setgid_t setgid;
    es_event_seteuid_t seteuid;
    es_event_setegid_t setegid;
    es_event_setreuid_t setreuid;
    es_event_setregid_t setregid;
    es_event_signal_t signal;
    es_event_stat_t stat;
    es_event_trace_t trace;
    es_event_truncate_t truncate;
    es_event_uipc_bind_t uipc_bind;
    es_event_uipc_connect_t uipc_connect;
    es_event_unlink_t unlink;
    es_event_unmount_t unmount;
    es_event_utimes_t utimes;
    es_event_write_t write;

    /* macOS 13 and later: non-NULL pointers */
    es_event_authentication_t *authentication;
    es_event_xp_malware_detected_t *xp_malware_detected;
    es_event_xp_malware_remediated_t *xp_malware_remediated;
    es_event_lw_session_login_t *lw_session_login;
    es_event_lw_session_logout_t *lw_session_logout;
    es_event_lw_session_lock_t *lw_session_lock;
    es_event_lw_session_unlock_t *lw_session_unlock;
    es_event_screensharing_attach_t *screensharing_attach;
    es_event_screensharing_detach_t *screensharing_detach;
    es_event_openssh_login_t *openssh_login;
    es_event_openssh_logout_t *openssh_logout;
    es_event_login_login_t *login_login;
    es_event_login_logout_t *login_logout;
    es_event_btm_launch_item_add_t *btm_launch_item_add;
    es_event_btm_launch_item_remove_t *btm_launch_item_remove;
    es_event_profile_add_t *profile_add;
    es_event_profile_remove_t *profile_remove;
    es_event_su_t *su;
    es_event_authorization_petition_t *authorization_petition;
    es_event_authorization_judgement_t *authorization_judgement;
    es_event_sudo_t *sudo;
    es_event_od_group_add_t *od_group_add;
    es_event_od_group_remove_t *od_group_remove;
    es_event_od_group_set_t *od_group_set;
    es_event_od_modify_password_t *od_modify_password;
    es_event_od_disable_user_t *od_disable_user;
    es_event_od_enable_user_t *od_enable_user;
    es_event_od_attribute_value_add_t *od_attribute_value_add;
    es_event_od_attribute_value_remove_t *od_attribute_value_remove;
    es_event_od_attribute_set_t *od_attribute_set;
    es_event_od_create_user_t *od_create_user;
    es_event_od_create_group_t *od_create_group;
    es_event_od_delete_user_t *od_delete_user;
    es_event_od_delete_group_t *od_delete_group;
    es_event_xpc_connect_t *xpc_connect;
    es_event_gatekeeper_user_override_t *gatekeeper_user_override;
    es_event_tcc_modify_t *tcc_modify;
} es_events_t;

typedef struct {
    es_result_type_t result_type;
    union {
        es_auth_result_t auth;
        uint32_t flags;
        uint8_t reserved[32];
    } result;
} es_result_t;

typedef struct {
    uint32_t version;
    struct timespec time;
    uint64_t mach_time;
    uint64_t deadline;
    es_process_t *process;
    uint64_t seq_num;                       /* v2 */
    es_action_type_t action_type;
    union {
        es_event_id_t auth;
        es_result_t notify;
    } action;
    es_event_type_t event_type;
    es_events_t event;
    es_thread_t *thread;                    /* v4, nullable */
    uint64_t global_seq_num;                /* v4 */
    uint64_t opaque[];                      /* never touch */
} es_message_t;

typedef struct es_darwin_statfs es_statfs_t;

_Static_assert(offsetof(es_file_t, stat) == 24,
               "es_file_t: path, path_truncated, then the stat");
_Static_assert(offsetof(es_process_t, cdhash) == 54,
               "es_process_t: cdhash follows the two bools");
_Static_assert(offsetof(es_message_t, process) == 40,
               "es_message_t: version, time, mach_time, deadline, process");

/* Message lifetime beyond the handler (11.0+) and the exec accessors:
 * args/env/fds are packed after the message, reachable only through
 * these.  Index >= count is undefined. */
void es_retain_message(const es_message_t *msg);
void es_release_message(const es_message_t *msg);
es_message_t *es_copy_message(const es_message_t *msg);     /* deprecated */
void es_free_message(es_message_t *msg);                    /* deprecated */
uint32_t es_exec_arg_count(const es_event_exec_t *event);
uint32_t es_exec_env_count(const es_event_exec_t *event);
uint32_t es_exec_fd_count(const es_event_exec_t *event);
es_string_token_t es_exec_arg(const es_event_exec_t *event, uint32_t index);
es_string_token_t es_exec_env(const es_event_exec_t *event, uint32_t index);
const es_fd_t *es_exec_fd(const es_event_exec_t *event, uint32_t index);

#endif
