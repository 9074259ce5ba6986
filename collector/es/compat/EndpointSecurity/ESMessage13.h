/*
 * ESMessage13.h (estel compat) - the payloads of events added in macOS 13
 * and later (userspace-generated; es_events_t holds pointers to them).
 * Included by ESMessage.h only, after es_process_t and es_file_t.
 */
#ifndef ESTEL_ES_COMPAT_MESSAGE13_H
#define ESTEL_ES_COMPAT_MESSAGE13_H

#ifndef __ENDPOINT_SECURITY_INDIRECT__
#error "include <EndpointSecurity/EndpointSecurity.h> instead of this file"
#endif

typedef struct {
    es_process_t *instigator;               /* nullable */
    es_string_token_t record_type;
    es_string_token_t record_name;
    es_string_token_t node_name;
    es_string_token_t db_path;
    audit_token_t instigator_token;         /* v8 */
} es_event_authentication_od_t;

typedef struct {
    es_process_t *instigator;               /* nullable */
    es_touchid_mode_t touchid_mode;
    bool has_uid;
    union {
        uid_t uid;
    } uid;
    audit_token_t instigator_token;         /* v8 */
} es_event_authentication_touchid_t;

typedef struct {
    es_process_t *instigator;               /* nullable */
    es_string_token_t pubkey_hash;
    es_string_token_t token_id;
    es_string_token_t kerberos_principal;
    audit_token_t instigator_token;         /* v8 */
} es_event_authentication_token_t;

typedef struct {
    es_string_token_t username;
    es_auto_unlock_type_t type;
} es_event_authentication_auto_unlock_t;

typedef struct {
    bool success;
    es_authentication_type_t type;
    union {
        es_event_authentication_od_t *od;
        es_event_authentication_touchid_t *touchid;
        es_event_authentication_token_t *token;
        es_event_authentication_auto_unlock_t *auto_unlock;
    } data;
} es_event_authentication_t;

typedef struct {
    es_string_token_t signature_version;
    es_string_token_t malware_identifier;
    es_string_token_t incident_identifier;
    es_string_token_t detected_path;
    es_string_token_t detected_executable;  /* v10 */
} es_event_xp_malware_detected_t;

typedef struct {
    es_string_token_t signature_version;
    es_string_token_t malware_identifier;
    es_string_token_t incident_identifier;
    es_string_token_t action_type;
    bool success;
    es_string_token_t result_description;
    es_string_token_t remediated_path;
    audit_token_t *remediated_process_audit_token;     /* nullable */
} es_event_xp_malware_remediated_t;

typedef uint32_t es_graphical_session_id_t;

typedef struct {
    es_string_token_t username;
    es_graphical_session_id_t graphical_session_id;
} es_event_lw_session_login_t;

typedef struct {
    es_string_token_t username;
    es_graphical_session_id_t graphical_session_id;
} es_event_lw_session_logout_t;

typedef struct {
    es_string_token_t username;
    es_graphical_session_id_t graphical_session_id;
} es_event_lw_session_lock_t;

typedef struct {
    es_string_token_t username;
    es_graphical_session_id_t graphical_session_id;
} es_event_lw_session_unlock_t;

typedef struct {
    bool success;
    es_address_type_t source_address_type;
    es_string_token_t source_address;
    es_string_token_t viewer_appleid;
    es_string_token_t authentication_type;
    es_string_token_t authentication_username;
    es_string_token_t session_username;
    bool existing_session;
    es_graphical_session_id_t graphical_session_id;
} es_event_screensharing_attach_t;

typedef struct {
    es_address_type_t source_address_type;
    es_string_token_t source_address;
    es_string_token_t viewer_appleid;
    es_graphical_session_id_t graphical_session_id;
} es_event_screensharing_detach_t;

typedef struct {
    bool success;
    es_openssh_login_result_type_t result_type;
    es_address_type_t source_address_type;
    es_string_token_t source_address;
    es_string_token_t username;
    bool has_uid;
    union {
        uid_t uid;
    } uid;
} es_event_openssh_login_t;

typedef struct {
    es_address_type_t source_address_type;
    es_string_token_t source_address;
    es_string_token_t username;
    uid_t uid;
} es_event_openssh_logout_t;

typedef struct {
    bool success;
    es_string_token_t failure_message;
    es_string_token_t username;
    bool has_uid;
    union {
        uid_t uid;
    } uid;
} es_event_login_login_t;

typedef struct {
    es_string_token_t username;
    uid_t uid;
} es_event_login_logout_t;

typedef struct {
    es_process_t *instigator;               /* nullable */
    es_process_t *app;                      /* nullable */
    es_btm_launch_item_t *item;
    es_string_token_t executable_path;
    audit_token_t *instigator_token;        /* v8, nullable */
    audit_token_t *app_token;               /* v8, nullable */
} es_event_btm_launch_item_add_t;

typedef struct {
    es_process_t *instigator;               /* nullable */
    es_process_t *app;                      /* nullable */
    es_btm_launch_item_t *item;
    audit_token_t *instigator_token;        /* v8, nullable */
    audit_token_t *app_token;               /* v8, nullable */
} es_event_btm_launch_item_remove_t;

typedef struct {
    bool success;
    es_string_token_t failure_message;
    uid_t from_uid;
    es_string_token_t from_username;
    bool has_to_uid;
    union {
        uid_t uid;
    } to_uid;
    es_string_token_t to_username;
    es_string_token_t shell;
    size_t argc;
    es_string_token_t *argv;                /* nullable */
    size_t env_count;
    es_string_token_t *env;                 /* nullable */
} es_event_su_t;

typedef struct {
    es_string_token_t plugin_name;
    es_sudo_plugin_type_t plugin_type;
    es_string_token_t failure_message;
} es_sudo_reject_info_t;

typedef struct {
    bool success;
    es_sudo_reject_info_t *reject_info;     /* nullable */
    bool has_from_uid;
    union {
        uid_t uid;
    } from_uid;
    es_string_token_t from_username;
    bool has_to_uid;
    union {
        uid_t uid;
    } to_uid;
    es_string_token_t to_username;
    es_string_token_t command;
} es_event_sudo_t;

typedef struct {
    es_process_t *instigator;               /* nullable */
    bool is_update;
    es_profile_t *profile;
    audit_token_t instigator_token;         /* v8 */
} es_event_profile_add_t;

typedef struct {
    es_process_t *instigator;               /* nullable */
    es_profile_t *profile;
    audit_token_t instigator_token;         /* v8 */
} es_event_profile_remove_t;

typedef struct {
    es_process_t *instigator;               /* nullable */
    es_process_t *petitioner;               /* nullable */
    uint32_t flags;
    size_t right_count;
    es_string_token_t *rights;              /* nullable */
    audit_token_t instigator_token;         /* v8 */
    audit_token_t petitioner_token;         /* v8 */
} es_event_authorization_petition_t;

typedef struct {
    es_string_token_t right_name;
    es_authorization_rule_class_t rule_class;
    bool granted;
} es_authorization_result_t;

typedef struct {
    es_process_t *instigator;               /* nullable */
    es_process_t *petitioner;               /* nullable */
    int return_code;
    size_t result_count;
    es_authorization_result_t *results;     /* nullable */
    audit_token_t instigator_token;         /* v8 */
    audit_token_t petitioner_token;         /* v8 */
} es_event_authorization_judgement_t;

typedef struct {
    es_od_member_type_t member_type;
    union {
        uuid_t uuid;
        es_string_token_t name;
    } member_value;
} es_od_member_id_t;

typedef struct {
    es_od_member_type_t member_type;
    size_t member_count;
    union {
        uuid_t *uuids;
        es_string_token_t *names;
    } member_array;
} es_od_member_id_array_t;

/* The OD group events share one shape; Apple declares each separately. */
typedef struct {
    es_process_t *instigator;               /* nullable */
    int error_code;
    es_string_token_t group_name;
    es_od_member_id_t *member;
    es_string_token_t node_name;
    es_string_token_t db_path;
    audit_token_t instigator_token;         /* v8 */
} es_event_od_group_add_t;

typedef struct {
    es_process_t *instigator;               /* nullable */
    int error_code;
    es_string_token_t group_name;
    es_od_member_id_t *member;
    es_string_token_t node_name;
    es_string_token_t db_path;
    audit_token_t instigator_token;         /* v8 */
} es_event_od_group_remove_t;

typedef struct {
    es_process_t *instigator;               /* nullable */
    int error_code;
    es_string_token_t group_name;
    es_od_member_id_array_t *members;
    es_string_token_t node_name;
    es_string_token_t db_path;
    audit_token_t instigator_token;         /* v8 */
} es_event_od_group_set_t;

typedef struct {
    es_process_t *instigator;               /* nullable */
    int error_code;
    es_od_account_type_t account_type;
    es_string_token_t account_name;
    es_string_token_t node_name;
    es_string_token_t db_path;
    audit_token_t instigator_token;         /* v8 */
} es_event_od_modify_password_t;

typedef struct {
    es_process_t *instigator;               /* nullable */
    int error_code;
    es_string_token_t user_name;
    es_string_token_t node_name;
    es_string_token_t db_path;
    audit_token_t instigator_token;         /* v8 */
} es_event_od_disable_user_t;

typedef struct {
    es_process_t *instigator;               /* nullable */
    int error_code;
    es_string_token_t user_name;
    es_string_token_t node_name;
    es_string_token_t db_path;
    audit_token_t instigator_token;         /* v8 */
} es_event_od_enable_user_t;

typedef struct {
    es_process_t *instigator;               /* nullable */
    int error_code;
    es_od_record_type_t record_type;
    es_string_token_t record_name;
    es_string_token_t attribute_name;
    es_string_token_t attribute_value;
    es_string_token_t node_name;
    es_string_token_t db_path;
    audit_token_t instigator_token;         /* v8 */
} es_event_od_attribute_value_add_t;

typedef struct {
    es_process_t *instigator;               /* nullable */
    int error_code;
    es_od_record_type_t record_type;
    es_string_token_t record_name;
    es_string_token_t attribute_name;
    es_string_token_t attribute_value;
    es_string_token_t node_name;
    es_string_token_t db_path;
    audit_token_t instigator_token;         /* v8 */
} es_event_od_attribute_value_remove_t;

typedef struct {
    es_process_t *instigator;               /* nullable */
    int error_code;
    es_od_record_type_t record_type;
    es_string_token_t record_name;
    es_string_token_t attribute_name;
    size_t attribute_value_count;
    es_string_token_t *attribute_values;    /* nullable */
    es_string_token_t node_name;
    es_string_token_t db_path;
    audit_token_t instigator_token;         /* v8 */
} es_event_od_attribute_set_t;

typedef struct {
    es_process_t *instigator;               /* nullable */
    int error_code;
    es_string_token_t user_name;
    es_string_token_t node_name;
    es_string_token_t db_path;
    audit_token_t instigator_token;         /* v8 */
} es_event_od_create_user_t;

typedef struct {
    es_process_t *instigator;               /* nullable */
    int error_code;
    es_string_token_t group_name;
    es_string_token_t node_name;
    es_string_token_t db_path;
    audit_token_t instigator_token;         /* v8 */
} es_event_od_create_group_t;

typedef struct {
    es_process_t *instigator;               /* nullable */
    int error_code;
    es_string_token_t user_name;
    es_string_token_t node_name;
    es_string_token_t db_path;
    audit_token_t instigator_token;         /* v8 */
} es_event_od_delete_user_t;

typedef struct {
    es_process_t *instigator;               /* nullable */
    int error_code;
    es_string_token_t group_name;
    es_string_token_t node_name;
    es_string_token_t db_path;
    audit_token_t instigator_token;         /* v8 */
} es_event_od_delete_group_t;

typedef struct {
    es_string_token_t service_name;
    es_xpc_domain_type_t service_domain_type;
} es_event_xpc_connect_t;

typedef struct {
    es_gatekeeper_user_override_file_type_t file_type;
    union {
        es_string_token_t file_path;
        es_file_t *file;
    } file;
    es_sha256_t *sha256;                    /* nullable */
    es_signed_file_info_t *signing_info;    /* nullable */
} es_event_gatekeeper_user_override_t;

typedef struct {
    es_string_token_t service;
    es_string_token_t identity;
    es_tcc_identity_type_t identity_type;
    es_tcc_event_type_t update_type;
    audit_token_t instigator_token;
    es_process_t *instigator;               /* nullable */
    audit_token_t *responsible_token;       /* nullable */
    es_process_t *responsible;              /* nullable */
    es_tcc_authorization_right_t right;
    es_tcc_authorization_reason_t reason;
} es_event_tcc_modify_t;

#endif
