/*
 * evtype.c - the Endpoint Security event type table (es_event_type_t values
 * 0..154, from Apple's ESTypes.h order; see docs/schema.md).  Generated once
 * from shared/reference/endpoint-security.md section 2; values are
 * positional in Apple's header, explicit here.
 */
#include "common/evtype.h"

#include <string.h>

static const struct estel_evtype evtypes[ESTEL_EVTYPE_COUNT] = {
    {   0, "exec", "ES_EVENT_TYPE_AUTH_EXEC", false },
    {   1, "open", "ES_EVENT_TYPE_AUTH_OPEN", false },
    {   2, "kextload", "ES_EVENT_TYPE_AUTH_KEXTLOAD", false },
    {   3, "mmap", "ES_EVENT_TYPE_AUTH_MMAP", false },
    {   4, "mprotect", "ES_EVENT_TYPE_AUTH_MPROTECT", false },
    {   5, "mount", "ES_EVENT_TYPE_AUTH_MOUNT", false },
    {   6, "rename", "ES_EVENT_TYPE_AUTH_RENAME", false },
    {   7, "signal", "ES_EVENT_TYPE_AUTH_SIGNAL", false },
    {   8, "unlink", "ES_EVENT_TYPE_AUTH_UNLINK", false },
    {   9, "exec", "ES_EVENT_TYPE_NOTIFY_EXEC", true },
    {  10, "open", "ES_EVENT_TYPE_NOTIFY_OPEN", true },
    {  11, "fork", "ES_EVENT_TYPE_NOTIFY_FORK", true },
    {  12, "close", "ES_EVENT_TYPE_NOTIFY_CLOSE", true },
    {  13, "create", "ES_EVENT_TYPE_NOTIFY_CREATE", true },
    {  14, "exchangedata", "ES_EVENT_TYPE_NOTIFY_EXCHANGEDATA", true },
    {  15, "exit", "ES_EVENT_TYPE_NOTIFY_EXIT", true },
    {  16, "get_task", "ES_EVENT_TYPE_NOTIFY_GET_TASK", true },
    {  17, "kextload", "ES_EVENT_TYPE_NOTIFY_KEXTLOAD", true },
    {  18, "kextunload", "ES_EVENT_TYPE_NOTIFY_KEXTUNLOAD", true },
    {  19, "link", "ES_EVENT_TYPE_NOTIFY_LINK", true },
    {  20, "mmap", "ES_EVENT_TYPE_NOTIFY_MMAP", true },
    {  21, "mprotect", "ES_EVENT_TYPE_NOTIFY_MPROTECT", true },
    {  22, "mount", "ES_EVENT_TYPE_NOTIFY_MOUNT", true },
    {  23, "unmount", "ES_EVENT_TYPE_NOTIFY_UNMOUNT", true },
    {  24, "iokit_open", "ES_EVENT_TYPE_NOTIFY_IOKIT_OPEN", true },
    {  25, "rename", "ES_EVENT_TYPE_NOTIFY_RENAME", true },
    {  26, "setattrlist", "ES_EVENT_TYPE_NOTIFY_SETATTRLIST", true },
    {  27, "setextattr", "ES_EVENT_TYPE_NOTIFY_SETEXTATTR", true },
    {  28, "setflags", "ES_EVENT_TYPE_NOTIFY_SETFLAGS", true },
    {  29, "setmode", "ES_EVENT_TYPE_NOTIFY_SETMODE", true },
    {  30, "setowner", "ES_EVENT_TYPE_NOTIFY_SETOWNER", true },
    {  31, "signal", "ES_EVENT_TYPE_NOTIFY_SIGNAL", true },
    {  32, "unlink", "ES_EVENT_TYPE_NOTIFY_UNLINK", true },
    {  33, "write", "ES_EVENT_TYPE_NOTIFY_WRITE", true },
    {  34, "file_provider_materialize", "ES_EVENT_TYPE_AUTH_FILE_PROVIDER_MATERIALIZE", false },
    {  35, "file_provider_materialize", "ES_EVENT_TYPE_NOTIFY_FILE_PROVIDER_MATERIALIZE", true },
    {  36, "file_provider_update", "ES_EVENT_TYPE_AUTH_FILE_PROVIDER_UPDATE", false },
    {  37, "file_provider_update", "ES_EVENT_TYPE_NOTIFY_FILE_PROVIDER_UPDATE", true },
    {  38, "readlink", "ES_EVENT_TYPE_AUTH_READLINK", false },
    {  39, "readlink", "ES_EVENT_TYPE_NOTIFY_READLINK", true },
    {  40, "truncate", "ES_EVENT_TYPE_AUTH_TRUNCATE", false },
    {  41, "truncate", "ES_EVENT_TYPE_NOTIFY_TRUNCATE", true },
    {  42, "link", "ES_EVENT_TYPE_AUTH_LINK", false },
    {  43, "lookup", "ES_EVENT_TYPE_NOTIFY_LOOKUP", true },
    {  44, "create", "ES_EVENT_TYPE_AUTH_CREATE", false },
    {  45, "setattrlist", "ES_EVENT_TYPE_AUTH_SETATTRLIST", false },
    {  46, "setextattr", "ES_EVENT_TYPE_AUTH_SETEXTATTR", false },
    {  47, "setflags", "ES_EVENT_TYPE_AUTH_SETFLAGS", false },
    {  48, "setmode", "ES_EVENT_TYPE_AUTH_SETMODE", false },
    {  49, "setowner", "ES_EVENT_TYPE_AUTH_SETOWNER", false },
    {  50, "chdir", "ES_EVENT_TYPE_AUTH_CHDIR", false },
    {  51, "chdir", "ES_EVENT_TYPE_NOTIFY_CHDIR", true },
    {  52, "getattrlist", "ES_EVENT_TYPE_AUTH_GETATTRLIST", false },
    {  53, "getattrlist", "ES_EVENT_TYPE_NOTIFY_GETATTRLIST", true },
    {  54, "stat", "ES_EVENT_TYPE_NOTIFY_STAT", true },
    {  55, "access", "ES_EVENT_TYPE_NOTIFY_ACCESS", true },
    {  56, "chroot", "ES_EVENT_TYPE_AUTH_CHROOT", false },
    {  57, "chroot", "ES_EVENT_TYPE_NOTIFY_CHROOT", true },
    {  58, "utimes", "ES_EVENT_TYPE_AUTH_UTIMES", false },
    {  59, "utimes", "ES_EVENT_TYPE_NOTIFY_UTIMES", true },
    {  60, "clone", "ES_EVENT_TYPE_AUTH_CLONE", false },
    {  61, "clone", "ES_EVENT_TYPE_NOTIFY_CLONE", true },
    {  62, "fcntl", "ES_EVENT_TYPE_NOTIFY_FCNTL", true },
    {  63, "getextattr", "ES_EVENT_TYPE_AUTH_GETEXTATTR", false },
    {  64, "getextattr", "ES_EVENT_TYPE_NOTIFY_GETEXTATTR", true },
    {  65, "listextattr", "ES_EVENT_TYPE_AUTH_LISTEXTATTR", false },
    {  66, "listextattr", "ES_EVENT_TYPE_NOTIFY_LISTEXTATTR", true },
    {  67, "readdir", "ES_EVENT_TYPE_AUTH_READDIR", false },
    {  68, "readdir", "ES_EVENT_TYPE_NOTIFY_READDIR", true },
    {  69, "deleteextattr", "ES_EVENT_TYPE_AUTH_DELETEEXTATTR", false },
    {  70, "deleteextattr", "ES_EVENT_TYPE_NOTIFY_DELETEEXTATTR", true },
    {  71, "fsgetpath", "ES_EVENT_TYPE_AUTH_FSGETPATH", false },
    {  72, "fsgetpath", "ES_EVENT_TYPE_NOTIFY_FSGETPATH", true },
    {  73, "dup", "ES_EVENT_TYPE_NOTIFY_DUP", true },
    {  74, "settime", "ES_EVENT_TYPE_AUTH_SETTIME", false },
    {  75, "settime", "ES_EVENT_TYPE_NOTIFY_SETTIME", true },
    {  76, "uipc_bind", "ES_EVENT_TYPE_NOTIFY_UIPC_BIND", true },
    {  77, "uipc_bind", "ES_EVENT_TYPE_AUTH_UIPC_BIND", false },
    {  78, "uipc_connect", "ES_EVENT_TYPE_NOTIFY_UIPC_CONNECT", true },
    {  79, "uipc_connect", "ES_EVENT_TYPE_AUTH_UIPC_CONNECT", false },
    {  80, "exchangedata", "ES_EVENT_TYPE_AUTH_EXCHANGEDATA", false },
    {  81, "setacl", "ES_EVENT_TYPE_AUTH_SETACL", false },
    {  82, "setacl", "ES_EVENT_TYPE_NOTIFY_SETACL", true },
    {  83, "pty_grant", "ES_EVENT_TYPE_NOTIFY_PTY_GRANT", true },
    {  84, "pty_close", "ES_EVENT_TYPE_NOTIFY_PTY_CLOSE", true },
    {  85, "proc_check", "ES_EVENT_TYPE_AUTH_PROC_CHECK", false },
    {  86, "proc_check", "ES_EVENT_TYPE_NOTIFY_PROC_CHECK", true },
    {  87, "get_task", "ES_EVENT_TYPE_AUTH_GET_TASK", false },
    {  88, "searchfs", "ES_EVENT_TYPE_AUTH_SEARCHFS", false },
    {  89, "searchfs", "ES_EVENT_TYPE_NOTIFY_SEARCHFS", true },
    {  90, "fcntl", "ES_EVENT_TYPE_AUTH_FCNTL", false },
    {  91, "iokit_open", "ES_EVENT_TYPE_AUTH_IOKIT_OPEN", false },
    {  92, "proc_suspend_resume", "ES_EVENT_TYPE_AUTH_PROC_SUSPEND_RESUME", false },
    {  93, "proc_suspend_resume", "ES_EVENT_TYPE_NOTIFY_PROC_SUSPEND_RESUME", true },
    {  94, "cs_invalidated", "ES_EVENT_TYPE_NOTIFY_CS_INVALIDATED", true },
    {  95, "get_task_name", "ES_EVENT_TYPE_NOTIFY_GET_TASK_NAME", true },
    {  96, "trace", "ES_EVENT_TYPE_NOTIFY_TRACE", true },
    {  97, "remote_thread_create", "ES_EVENT_TYPE_NOTIFY_REMOTE_THREAD_CREATE", true },
    {  98, "remount", "ES_EVENT_TYPE_AUTH_REMOUNT", false },
    {  99, "remount", "ES_EVENT_TYPE_NOTIFY_REMOUNT", true },
    { 100, "get_task_read", "ES_EVENT_TYPE_AUTH_GET_TASK_READ", false },
    { 101, "get_task_read", "ES_EVENT_TYPE_NOTIFY_GET_TASK_READ", true },
    { 102, "get_task_inspect", "ES_EVENT_TYPE_NOTIFY_GET_TASK_INSPECT", true },
    { 103, "setuid", "ES_EVENT_TYPE_NOTIFY_SETUID", true },
    { 104, "setgid", "ES_EVENT_TYPE_NOTIFY_SETGID", true },
    { 105, "seteuid", "ES_EVENT_TYPE_NOTIFY_SETEUID", true },
    { 106, "setegid", "ES_EVENT_TYPE_NOTIFY_SETEGID", true },
    { 107, "setreuid", "ES_EVENT_TYPE_NOTIFY_SETREUID", true },
    { 108, "setregid", "ES_EVENT_TYPE_NOTIFY_SETREGID", true },
    { 109, "copyfile", "ES_EVENT_TYPE_AUTH_COPYFILE", false },
    { 110, "copyfile", "ES_EVENT_TYPE_NOTIFY_COPYFILE", true },
    { 111, "authentication", "ES_EVENT_TYPE_NOTIFY_AUTHENTICATION", true },
    { 112, "xp_malware_detected", "ES_EVENT_TYPE_NOTIFY_XP_MALWARE_DETECTED", true },
    { 113, "xp_malware_remediated", "ES_EVENT_TYPE_NOTIFY_XP_MALWARE_REMEDIATED", true },
    { 114, "lw_session_login", "ES_EVENT_TYPE_NOTIFY_LW_SESSION_LOGIN", true },
    { 115, "lw_session_logout", "ES_EVENT_TYPE_NOTIFY_LW_SESSION_LOGOUT", true },
    { 116, "lw_session_lock", "ES_EVENT_TYPE_NOTIFY_LW_SESSION_LOCK", true },
    { 117, "lw_session_unlock", "ES_EVENT_TYPE_NOTIFY_LW_SESSION_UNLOCK", true },
    { 118, "screensharing_attach", "ES_EVENT_TYPE_NOTIFY_SCREENSHARING_ATTACH", true },
    { 119, "screensharing_detach", "ES_EVENT_TYPE_NOTIFY_SCREENSHARING_DETACH", true },
    { 120, "openssh_login", "ES_EVENT_TYPE_NOTIFY_OPENSSH_LOGIN", true },
    { 121, "openssh_logout", "ES_EVENT_TYPE_NOTIFY_OPENSSH_LOGOUT", true },
    { 122, "login_login", "ES_EVENT_TYPE_NOTIFY_LOGIN_LOGIN", true },
    { 123, "login_logout", "ES_EVENT_TYPE_NOTIFY_LOGIN_LOGOUT", true },
    { 124, "btm_launch_item_add", "ES_EVENT_TYPE_NOTIFY_BTM_LAUNCH_ITEM_ADD", true },
    { 125, "btm_launch_item_remove", "ES_EVENT_TYPE_NOTIFY_BTM_LAUNCH_ITEM_REMOVE", true },
    { 126, "profile_add", "ES_EVENT_TYPE_NOTIFY_PROFILE_ADD", true },
    { 127, "profile_remove", "ES_EVENT_TYPE_NOTIFY_PROFILE_REMOVE", true },
    { 128, "su", "ES_EVENT_TYPE_NOTIFY_SU", true },
    { 129, "authorization_petition", "ES_EVENT_TYPE_NOTIFY_AUTHORIZATION_PETITION", true },
    { 130, "authorization_judgement", "ES_EVENT_TYPE_NOTIFY_AUTHORIZATION_JUDGEMENT", true },
    { 131, "sudo", "ES_EVENT_TYPE_NOTIFY_SUDO", true },
    { 132, "od_group_add", "ES_EVENT_TYPE_NOTIFY_OD_GROUP_ADD", true },
    { 133, "od_group_remove", "ES_EVENT_TYPE_NOTIFY_OD_GROUP_REMOVE", true },
    { 134, "od_group_set", "ES_EVENT_TYPE_NOTIFY_OD_GROUP_SET", true },
    { 135, "od_modify_password", "ES_EVENT_TYPE_NOTIFY_OD_MODIFY_PASSWORD", true },
    { 136, "od_disable_user", "ES_EVENT_TYPE_NOTIFY_OD_DISABLE_USER", true },
    { 137, "od_enable_user", "ES_EVENT_TYPE_NOTIFY_OD_ENABLE_USER", true },
    { 138, "od_attribute_value_add", "ES_EVENT_TYPE_NOTIFY_OD_ATTRIBUTE_VALUE_ADD", true },
    { 139, "od_attribute_value_remove", "ES_EVENT_TYPE_NOTIFY_OD_ATTRIBUTE_VALUE_REMOVE", true },
    { 140, "od_attribute_set", "ES_EVENT_TYPE_NOTIFY_OD_ATTRIBUTE_SET", true },
    { 141, "od_create_user", "ES_EVENT_TYPE_NOTIFY_OD_CREATE_USER", true },
    { 142, "od_create_group", "ES_EVENT_TYPE_NOTIFY_OD_CREATE_GROUP", true },
    { 143, "od_delete_user", "ES_EVENT_TYPE_NOTIFY_OD_DELETE_USER", true },
    { 144, "od_delete_group", "ES_EVENT_TYPE_NOTIFY_OD_DELETE_GROUP", true },
    { 145, "xpc_connect", "ES_EVENT_TYPE_NOTIFY_XPC_CONNECT", true },
    { 146, "gatekeeper_user_override", "ES_EVENT_TYPE_NOTIFY_GATEKEEPER_USER_OVERRIDE", true },
    { 147, "tcc_modify", "ES_EVENT_TYPE_NOTIFY_TCC_MODIFY", true },
    { 148, "reserved_0", "ES_EVENT_TYPE_RESERVED_0", true },
    { 149, "reserved_1", "ES_EVENT_TYPE_RESERVED_1", true },
    { 150, "reserved_2", "ES_EVENT_TYPE_RESERVED_2", true },
    { 151, "reserved_3", "ES_EVENT_TYPE_RESERVED_3", true },
    { 152, "reserved_4", "ES_EVENT_TYPE_RESERVED_4", true },
    { 153, "reserved_5", "ES_EVENT_TYPE_RESERVED_5", true },
    { 154, "reserved_6", "ES_EVENT_TYPE_RESERVED_6", true },
};

const struct estel_evtype *
estel_evtype_by_value(uint32_t value)
{
    if (value >= ESTEL_EVTYPE_COUNT)
        return NULL;
    return &evtypes[value];
}

const struct estel_evtype *
estel_evtype_notify_by_name(const char *name, size_t len)
{
    for (size_t i = 0; i < ESTEL_EVTYPE_COUNT; i++)
        if (evtypes[i].notify && strlen(evtypes[i].name) == len &&
            memcmp(evtypes[i].name, name, len) == 0)
            return &evtypes[i];
    return NULL;
}

const char *
estel_evtype_name(uint32_t value)
{
    const struct estel_evtype *t = estel_evtype_by_value(value);

    return t != NULL ? t->name : NULL;
}
