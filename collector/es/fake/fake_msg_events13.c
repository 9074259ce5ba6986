/*
 * fake_msg_events13.c - payloads of the userspace events added in macOS
 * 13 and later (es_events_t holds pointers to them), for fake_msg_build().
 */
#include "collector/es/fake/fake_int.h"
#include "collector/es/fake/fake_msg.h"

static const struct fake_proc helper = {
    .pid = 612, .pidversion = 2001, .uid = 0, .gid = 0, .ppid = 1,
    .exe = "/System/Library/CoreServices/loginwindow.app/Contents/MacOS/"
           "loginwindow",
    .signing_id = "com.apple.loginwindow", .platform = true
};

static const struct fake_proc app = {
    .pid = 5150, .pidversion = 88002, .uid = 501, .gid = 20, .ppid = 1,
    .exe = "/Applications/Example.app/Contents/MacOS/Example",
    .signing_id = "com.example.app", .team_id = "ABCDE12345"
};

static void
build_authentication(es_message_t *m)
{
    es_event_authentication_t *a = fake_msg_alloc(m, sizeof(*a));
    es_event_authentication_od_t *od = fake_msg_alloc(m, sizeof(*od));

    a->success = true;
    a->type = ES_AUTHENTICATION_TYPE_OD;
    od->instigator = fake_msg_proc(m, &helper);
    od->record_type = fake_msg_str(m, "Users");
    od->record_name = fake_msg_str(m, "alice");
    od->node_name = fake_msg_str(m, "/Local/Default");
    od->db_path = fake_msg_str(m, "/var/db/dslocal/nodes/Default");
    a->data.od = od;
    m->event.authentication = a;
}

static void
build_btm(es_message_t *m, bool add)
{
    es_btm_launch_item_t *item = fake_msg_alloc(m, sizeof(*item));

    item->item_type = ES_BTM_ITEM_TYPE_AGENT;
    item->legacy = true;
    item->managed = false;
    item->uid = 501;
    item->item_url = fake_msg_str(m, "file:///Users/alice/Library/"
                                  "LaunchAgents/com.example.agent.plist");
    item->app_url = fake_msg_str(m, "file:///Applications/Example.app/");
    if (add) {
        es_event_btm_launch_item_add_t *e = fake_msg_alloc(m, sizeof(*e));

        e->instigator = fake_msg_proc(m, &app);
        e->app = NULL;
        e->item = item;
        e->executable_path = fake_msg_str(m, "/Applications/Example.app/"
                                          "Contents/MacOS/agent");
        m->event.btm_launch_item_add = e;
    } else {
        es_event_btm_launch_item_remove_t *e = fake_msg_alloc(m, sizeof(*e));

        e->instigator = fake_msg_proc(m, &app);
        e->app = fake_msg_proc(m, &app);
        e->item = item;
        m->event.btm_launch_item_remove = e;
    }
}

static es_profile_t *
profile(es_message_t *m)
{
    es_profile_t *p = fake_msg_alloc(m, sizeof(*p));

    p->identifier = fake_msg_str(m, "com.example.mdm.wifi");
    p->uuid = fake_msg_str(m, "5B0A1A8E-3C1F-4E53-9C4B-0F7B6E2D9A10");
    p->install_source = ES_PROFILE_SOURCE_MANAGED;
    p->organization = fake_msg_str(m, "Example Corp");
    p->display_name = fake_msg_str(m, "Wi-Fi");
    p->scope = fake_msg_str(m, "System");
    return p;
}

static void
build_profile(es_message_t *m, bool add)
{
    if (add) {
        es_event_profile_add_t *e = fake_msg_alloc(m, sizeof(*e));

        e->instigator = fake_msg_proc(m, &helper);
        e->is_update = false;
        e->profile = profile(m);
        m->event.profile_add = e;
    } else {
        es_event_profile_remove_t *e = fake_msg_alloc(m, sizeof(*e));

        e->instigator = NULL;
        e->profile = profile(m);
        m->event.profile_remove = e;
    }
}

static void
build_su(es_message_t *m)
{
    static const char *const argv[] = { "-c", "id" };
    es_event_su_t *e = fake_msg_alloc(m, sizeof(*e));

    e->success = true;
    e->failure_message = fake_msg_str(m, NULL);
    e->from_uid = 501;
    e->from_username = fake_msg_str(m, "alice");
    e->has_to_uid = true;
    e->to_uid.uid = 0;
    e->to_username = fake_msg_str(m, "root");
    e->shell = fake_msg_str(m, "/bin/sh");
    e->argc = 2;
    e->argv = fake_msg_strv(m, argv, 2);
    m->event.su = e;
}

static void
build_sudo(es_message_t *m)
{
    es_event_sudo_t *e = fake_msg_alloc(m, sizeof(*e));
    es_sudo_reject_info_t *r = fake_msg_alloc(m, sizeof(*r));

    e->success = false;
    r->plugin_name = fake_msg_str(m, "sudoers_policy");
    r->plugin_type = ES_SUDO_PLUGIN_TYPE_POLICY;
    r->failure_message = fake_msg_str(m, "user NOT in sudoers");
    e->reject_info = r;
    e->has_from_uid = true;
    e->from_uid.uid = 502;
    e->from_username = fake_msg_str(m, "bob");
    e->has_to_uid = true;
    e->to_uid.uid = 0;
    e->to_username = fake_msg_str(m, "root");
    e->command = fake_msg_str(m, "/bin/cat /etc/master.passwd");
    m->event.sudo = e;
}

static void
build_tcc(es_message_t *m)
{
    es_event_tcc_modify_t *e = fake_msg_alloc(m, sizeof(*e));

    e->service = fake_msg_str(m, "kTCCServiceSystemPolicyAllFiles");
    e->identity = fake_msg_str(m, "com.example.app");
    e->identity_type = ES_TCC_IDENTITY_TYPE_BUNDLE_ID;
    e->update_type = ES_TCC_EVENT_TYPE_MODIFY;
    e->instigator = fake_msg_proc(m, &helper);
    e->responsible = NULL;
    e->right = ES_TCC_AUTHORIZATION_RIGHT_ALLOWED;
    e->reason = ES_TCC_AUTHORIZATION_REASON_USER_SET;
    m->event.tcc_modify = e;
}

static void
build_login(es_message_t *m, es_event_type_t type)
{
    if (type == ES_EVENT_TYPE_NOTIFY_LOGIN_LOGIN) {
        es_event_login_login_t *e = fake_msg_alloc(m, sizeof(*e));

        e->success = true;
        e->failure_message = fake_msg_str(m, NULL);
        e->username = fake_msg_str(m, "alice");
        e->has_uid = true;
        e->uid.uid = 501;
        m->event.login_login = e;
    } else {
        es_event_login_logout_t *e = fake_msg_alloc(m, sizeof(*e));

        e->username = fake_msg_str(m, "alice");
        e->uid = 501;
        m->event.login_logout = e;
    }
}

static void
build_ssh(es_message_t *m, es_event_type_t type)
{
    if (type == ES_EVENT_TYPE_NOTIFY_OPENSSH_LOGIN) {
        es_event_openssh_login_t *e = fake_msg_alloc(m, sizeof(*e));

        e->success = false;
        e->result_type = ES_OPENSSH_AUTH_FAIL_PASSWD;
        e->source_address_type = ES_ADDRESS_TYPE_IPV4;
        e->source_address = fake_msg_str(m, "203.0.113.7");
        e->username = fake_msg_str(m, "admin");
        e->has_uid = false;
        m->event.openssh_login = e;
    } else {
        es_event_openssh_logout_t *e = fake_msg_alloc(m, sizeof(*e));

        e->source_address_type = ES_ADDRESS_TYPE_IPV6;
        e->source_address = fake_msg_str(m, "2001:db8::7");
        e->username = fake_msg_str(m, "alice");
        e->uid = 501;
        m->event.openssh_logout = e;
    }
}

static void
build_lw(es_message_t *m, es_event_type_t type)
{
    /* the four lw_session structs share one layout */
    es_event_lw_session_login_t *e = fake_msg_alloc(m, sizeof(*e));

    e->username = fake_msg_str(m, "alice");
    e->graphical_session_id = 257;
    switch (type) {
    case ES_EVENT_TYPE_NOTIFY_LW_SESSION_LOGIN:
        m->event.lw_session_login = e;
        break;
    case ES_EVENT_TYPE_NOTIFY_LW_SESSION_LOGOUT:
        m->event.lw_session_logout = (es_event_lw_session_logout_t *)e;
        break;
    case ES_EVENT_TYPE_NOTIFY_LW_SESSION_LOCK:
        m->event.lw_session_lock = (es_event_lw_session_lock_t *)e;
        break;
    default:
        m->event.lw_session_unlock = (es_event_lw_session_unlock_t *)e;
        break;
    }
}

static void
build_malware(es_message_t *m)
{
    es_event_xp_malware_detected_t *e = fake_msg_alloc(m, sizeof(*e));

    e->signature_version = fake_msg_str(m, "5287");
    e->malware_identifier = fake_msg_str(m, "OSX.Example.A");
    e->incident_identifier = fake_msg_str(m, "8C1E-77A0");
    e->detected_path = fake_msg_str(m, "/Applications/Bad.app");
    e->detected_executable =
        fake_msg_str(m, "/Applications/Bad.app/Contents/MacOS/Bad");
    m->event.xp_malware_detected = e;
}

static void
build_xpc(es_message_t *m)
{
    es_event_xpc_connect_t *e = fake_msg_alloc(m, sizeof(*e));

    e->service_name = fake_msg_str(m, "com.apple.securityd.xpc");
    e->service_domain_type = ES_XPC_DOMAIN_TYPE_SYSTEM;
    m->event.xpc_connect = e;
}

bool
fake_msg_build_user(es_message_t *m, es_event_type_t type)
{
    switch (type) {
    case ES_EVENT_TYPE_NOTIFY_AUTHENTICATION:
        build_authentication(m);
        return true;
    case ES_EVENT_TYPE_NOTIFY_XP_MALWARE_DETECTED:
        build_malware(m);
        return true;
    case ES_EVENT_TYPE_NOTIFY_LW_SESSION_LOGIN:
    case ES_EVENT_TYPE_NOTIFY_LW_SESSION_LOGOUT:
    case ES_EVENT_TYPE_NOTIFY_LW_SESSION_LOCK:
    case ES_EVENT_TYPE_NOTIFY_LW_SESSION_UNLOCK:
        build_lw(m, type);
        return true;
    case ES_EVENT_TYPE_NOTIFY_OPENSSH_LOGIN:
    case ES_EVENT_TYPE_NOTIFY_OPENSSH_LOGOUT:
        build_ssh(m, type);
        return true;
    case ES_EVENT_TYPE_NOTIFY_LOGIN_LOGIN:
    case ES_EVENT_TYPE_NOTIFY_LOGIN_LOGOUT:
        build_login(m, type);
        return true;
    case ES_EVENT_TYPE_NOTIFY_BTM_LAUNCH_ITEM_ADD:
    case ES_EVENT_TYPE_NOTIFY_BTM_LAUNCH_ITEM_REMOVE:
        build_btm(m, type == ES_EVENT_TYPE_NOTIFY_BTM_LAUNCH_ITEM_ADD);
        return true;
    case ES_EVENT_TYPE_NOTIFY_PROFILE_ADD:
    case ES_EVENT_TYPE_NOTIFY_PROFILE_REMOVE:
        build_profile(m, type == ES_EVENT_TYPE_NOTIFY_PROFILE_ADD);
        return true;
    case ES_EVENT_TYPE_NOTIFY_SU:
        build_su(m);
        return true;
    case ES_EVENT_TYPE_NOTIFY_SUDO:
        build_sudo(m);
        return true;
    case ES_EVENT_TYPE_NOTIFY_XPC_CONNECT:
        build_xpc(m);
        return true;
    case ES_EVENT_TYPE_NOTIFY_TCC_MODIFY:
        build_tcc(m);
        return true;
    default:
        return false;
    }
}
