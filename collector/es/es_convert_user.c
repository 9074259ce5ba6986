/*
 * es_convert_user.c - payloads of the userspace events added in macOS 13
 * and later (logins, sudo/su, launch items, profiles, TCC, XProtect, XPC).
 * es_events_t holds pointers to these; a NULL one (never sent by ES, but
 * cheap to survive) yields no payload.  The mapping table is at the top of
 * es_convert.c: nested structs and unions are flattened, "has_x" + union
 * pairs become one optional field x.
 */
#include "collector/es/es_int.h"

static void
conv_authentication(const es_message_t *msg, struct estel_event *ev)
{
    const es_event_authentication_t *e = msg->event.authentication;
    uint32_t v = msg->version;

    ev_add_bool(ev, "success", e->success);
    ev_add_int(ev, "type", e->type);
    if (e->type == ES_AUTHENTICATION_TYPE_OD && e->data.od != NULL) {
        es_put_proc(ev, "instigator", e->data.od->instigator, v);
        es_put_str(ev, "record_type", e->data.od->record_type);
        es_put_str(ev, "record_name", e->data.od->record_name);
        es_put_str(ev, "node_name", e->data.od->node_name);
        es_put_str(ev, "db_path", e->data.od->db_path);
    } else if (e->type == ES_AUTHENTICATION_TYPE_TOUCHID &&
               e->data.touchid != NULL) {
        es_put_proc(ev, "instigator", e->data.touchid->instigator, v);
        ev_add_int(ev, "touchid_mode", e->data.touchid->touchid_mode);
        if (e->data.touchid->has_uid)
            ev_add_uint(ev, "uid", e->data.touchid->uid.uid);
    } else if (e->type == ES_AUTHENTICATION_TYPE_TOKEN &&
               e->data.token != NULL) {
        es_put_proc(ev, "instigator", e->data.token->instigator, v);
        es_put_str(ev, "pubkey_hash", e->data.token->pubkey_hash);
        es_put_str(ev, "token_id", e->data.token->token_id);
        es_put_str(ev, "kerberos_principal",
                   e->data.token->kerberos_principal);
    } else if (e->type == ES_AUTHENTICATION_TYPE_AUTO_UNLOCK &&
               e->data.auto_unlock != NULL) {
        es_put_str(ev, "username", e->data.auto_unlock->username);
        ev_add_int(ev, "auto_unlock_type", e->data.auto_unlock->type);
    }
}

static void
conv_btm_item(const es_btm_launch_item_t *item, struct estel_event *ev)
{
    if (item == NULL)
        return;
    ev_add_int(ev, "item_type", item->item_type);
    ev_add_bool(ev, "legacy", item->legacy);
    ev_add_bool(ev, "managed", item->managed);
    ev_add_uint(ev, "item_uid", item->uid);
    es_put_str(ev, "item_url", item->item_url);
    es_put_str(ev, "app_url", item->app_url);
}

static void
conv_btm(const es_message_t *msg, struct estel_event *ev)
{
    uint32_t v = msg->version;

    if (msg->event_type == ES_EVENT_TYPE_NOTIFY_BTM_LAUNCH_ITEM_ADD) {
        const es_event_btm_launch_item_add_t *e =
            msg->event.btm_launch_item_add;

        es_put_proc(ev, "instigator", e->instigator, v);
        es_put_proc(ev, "app", e->app, v);
        conv_btm_item(e->item, ev);
        es_put_str(ev, "executable_path", e->executable_path);
    } else {
        const es_event_btm_launch_item_remove_t *e =
            msg->event.btm_launch_item_remove;

        es_put_proc(ev, "instigator", e->instigator, v);
        es_put_proc(ev, "app", e->app, v);
        conv_btm_item(e->item, ev);
    }
}

static void
conv_profile_body(const es_profile_t *p, struct estel_event *ev)
{
    if (p == NULL)
        return;
    es_put_str(ev, "identifier", p->identifier);
    es_put_str(ev, "uuid", p->uuid);
    ev_add_int(ev, "install_source", p->install_source);
    es_put_str(ev, "organization", p->organization);
    es_put_str(ev, "display_name", p->display_name);
    es_put_str(ev, "scope", p->scope);
}

static void
conv_profile(const es_message_t *msg, struct estel_event *ev)
{
    if (msg->event_type == ES_EVENT_TYPE_NOTIFY_PROFILE_ADD) {
        const es_event_profile_add_t *e = msg->event.profile_add;

        es_put_proc(ev, "instigator", e->instigator, msg->version);
        ev_add_bool(ev, "is_update", e->is_update);
        conv_profile_body(e->profile, ev);
    } else {
        const es_event_profile_remove_t *e = msg->event.profile_remove;

        es_put_proc(ev, "instigator", e->instigator, msg->version);
        conv_profile_body(e->profile, ev);
    }
}

static void
conv_su(struct es_conv *cv, const es_event_su_t *e, struct estel_event *ev)
{
    ev_add_bool(ev, "success", e->success);
    es_put_str(ev, "failure_message", e->failure_message);
    ev_add_uint(ev, "from_uid", e->from_uid);
    es_put_str(ev, "from_username", e->from_username);
    if (e->has_to_uid)
        ev_add_uint(ev, "to_uid", e->to_uid.uid);
    es_put_str(ev, "to_username", e->to_username);
    es_put_str(ev, "shell", e->shell);
    es_put_strv(cv, ev, "argv", e->argv, e->argc);
}

static void
conv_sudo(const es_event_sudo_t *e, struct estel_event *ev)
{
    ev_add_bool(ev, "success", e->success);
    if (e->reject_info != NULL) {
        es_put_str(ev, "plugin_name", e->reject_info->plugin_name);
        ev_add_int(ev, "plugin_type", e->reject_info->plugin_type);
        es_put_str(ev, "failure_message", e->reject_info->failure_message);
    }
    if (e->has_from_uid)
        ev_add_uint(ev, "from_uid", e->from_uid.uid);
    es_put_str(ev, "from_username", e->from_username);
    if (e->has_to_uid)
        ev_add_uint(ev, "to_uid", e->to_uid.uid);
    es_put_str(ev, "to_username", e->to_username);
    es_put_str(ev, "command", e->command);
}

static void
conv_tcc(const es_message_t *msg, struct estel_event *ev)
{
    const es_event_tcc_modify_t *e = msg->event.tcc_modify;

    es_put_str(ev, "service", e->service);
    es_put_str(ev, "identity", e->identity);
    ev_add_int(ev, "identity_type", e->identity_type);
    ev_add_int(ev, "update_type", e->update_type);
    ev_add_int(ev, "right", e->right);
    ev_add_int(ev, "reason", e->reason);
    es_put_proc(ev, "instigator", e->instigator, msg->version);
    es_put_proc(ev, "responsible", e->responsible, msg->version);
}

static void
conv_malware(const es_message_t *msg, struct estel_event *ev)
{
    const es_event_xp_malware_detected_t *e = msg->event.xp_malware_detected;

    es_put_str(ev, "signature_version", e->signature_version);
    es_put_str(ev, "malware_identifier", e->malware_identifier);
    es_put_str(ev, "incident_identifier", e->incident_identifier);
    es_put_str(ev, "detected_path", e->detected_path);
    if (msg->version >= 10)
        es_put_str(ev, "detected_executable", e->detected_executable);
}

/* The four lw_session payloads and the login/ssh logins. */
static bool
conv_session_event(const es_message_t *msg, struct estel_event *ev)
{
    const es_events_t *e = &msg->event;
    const es_event_lw_session_login_t *lw = NULL;

    switch (msg->event_type) {
    case ES_EVENT_TYPE_NOTIFY_LW_SESSION_LOGIN:
        lw = e->lw_session_login;
        break;
    case ES_EVENT_TYPE_NOTIFY_LW_SESSION_LOGOUT:
        /* the four share one layout: username, graphical_session_id */
        lw = (const es_event_lw_session_login_t *)e->lw_session_logout;
        break;
    case ES_EVENT_TYPE_NOTIFY_LW_SESSION_LOCK:
        lw = (const es_event_lw_session_login_t *)e->lw_session_lock;
        break;
    case ES_EVENT_TYPE_NOTIFY_LW_SESSION_UNLOCK:
        lw = (const es_event_lw_session_login_t *)e->lw_session_unlock;
        break;
    default:
        return false;
    }
    if (lw != NULL) {
        es_put_str(ev, "username", lw->username);
        ev_add_uint(ev, "graphical_session_id", lw->graphical_session_id);
    }
    return true;
}

static bool
conv_login_event(const es_message_t *msg, struct estel_event *ev)
{
    const es_events_t *e = &msg->event;

    switch (msg->event_type) {
    case ES_EVENT_TYPE_NOTIFY_OPENSSH_LOGIN:
        ev_add_bool(ev, "success", e->openssh_login->success);
        ev_add_int(ev, "result_type", e->openssh_login->result_type);
        ev_add_int(ev, "source_address_type",
                   e->openssh_login->source_address_type);
        es_put_str(ev, "source_address", e->openssh_login->source_address);
        es_put_str(ev, "username", e->openssh_login->username);
        if (e->openssh_login->has_uid)
            ev_add_uint(ev, "uid", e->openssh_login->uid.uid);
        return true;
    case ES_EVENT_TYPE_NOTIFY_OPENSSH_LOGOUT:
        ev_add_int(ev, "source_address_type",
                   e->openssh_logout->source_address_type);
        es_put_str(ev, "source_address", e->openssh_logout->source_address);
        es_put_str(ev, "username", e->openssh_logout->username);
        ev_add_uint(ev, "uid", e->openssh_logout->uid);
        return true;
    case ES_EVENT_TYPE_NOTIFY_LOGIN_LOGIN:
        ev_add_bool(ev, "success", e->login_login->success);
        es_put_str(ev, "failure_message", e->login_login->failure_message);
        es_put_str(ev, "username", e->login_login->username);
        if (e->login_login->has_uid)
            ev_add_uint(ev, "uid", e->login_login->uid.uid);
        return true;
    case ES_EVENT_TYPE_NOTIFY_LOGIN_LOGOUT:
        es_put_str(ev, "username", e->login_logout->username);
        ev_add_uint(ev, "uid", e->login_logout->uid);
        return true;
    default:
        return false;
    }
}

static bool
is_user_event(es_event_type_t t)
{
    return t >= ES_EVENT_TYPE_NOTIFY_AUTHENTICATION &&
           t <= ES_EVENT_TYPE_NOTIFY_TCC_MODIFY;
}

bool
es_conv_user_event(struct es_conv *cv, const es_message_t *msg,
                   struct estel_event *ev)
{
    const es_events_t *e = &msg->event;
    es_event_type_t t = msg->event_type;

    /* every 13+ member is a pointer; all alias one union slot */
    if (!is_user_event(t) || e->xpc_connect == NULL)
        return false;
    switch (t) {
    case ES_EVENT_TYPE_NOTIFY_AUTHENTICATION:
        conv_authentication(msg, ev);
        return true;
    case ES_EVENT_TYPE_NOTIFY_XP_MALWARE_DETECTED:
        conv_malware(msg, ev);
        return true;
    case ES_EVENT_TYPE_NOTIFY_BTM_LAUNCH_ITEM_ADD:
    case ES_EVENT_TYPE_NOTIFY_BTM_LAUNCH_ITEM_REMOVE:
        conv_btm(msg, ev);
        return true;
    case ES_EVENT_TYPE_NOTIFY_PROFILE_ADD:
    case ES_EVENT_TYPE_NOTIFY_PROFILE_REMOVE:
        conv_profile(msg, ev);
        return true;
    case ES_EVENT_TYPE_NOTIFY_SU:
        conv_su(cv, e->su, ev);
        return true;
    case ES_EVENT_TYPE_NOTIFY_SUDO:
        conv_sudo(e->sudo, ev);
        return true;
    case ES_EVENT_TYPE_NOTIFY_XPC_CONNECT:
        es_put_str(ev, "service_name", e->xpc_connect->service_name);
        ev_add_int(ev, "service_domain_type",
                   e->xpc_connect->service_domain_type);
        return true;
    case ES_EVENT_TYPE_NOTIFY_TCC_MODIFY:
        conv_tcc(msg, ev);
        return true;
    default:
        return conv_session_event(msg, ev) || conv_login_event(msg, ev);
    }
}
