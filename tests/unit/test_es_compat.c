/*
 * test_es_compat.c - the compat headers and the fake runtime themselves:
 * every es_event_type_t name and value against common/evtype.c (two
 * independent transcriptions of Apple's list), the Darwin layouts, the
 * libbsm accessors, task_info(TASK_AUDIT_TOKEN), the message builder's
 * ownership and the fake's muting semantics (inversion, multi-path).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <unistd.h>
#include <bsm/libbsm.h>
#include <mach/mach.h>
#include "collector/es/fake/fake_es.h"
#include "collector/es/fake/fake_msg.h"
#include "common/evtype.h"

#define E(x) { x, #x }

static const struct {
    es_event_type_t value;
    const char *name;
} all_types[] = {
    E(ES_EVENT_TYPE_AUTH_EXEC),
    E(ES_EVENT_TYPE_AUTH_OPEN),
    E(ES_EVENT_TYPE_AUTH_KEXTLOAD),
    E(ES_EVENT_TYPE_AUTH_MMAP),
    E(ES_EVENT_TYPE_AUTH_MPROTECT),
    E(ES_EVENT_TYPE_AUTH_MOUNT),
    E(ES_EVENT_TYPE_AUTH_RENAME),
    E(ES_EVENT_TYPE_AUTH_SIGNAL),
    E(ES_EVENT_TYPE_AUTH_UNLINK),
    E(ES_EVENT_TYPE_NOTIFY_EXEC),
    E(ES_EVENT_TYPE_NOTIFY_OPEN),
    E(ES_EVENT_TYPE_NOTIFY_FORK),
    E(ES_EVENT_TYPE_NOTIFY_CLOSE),
    E(ES_EVENT_TYPE_NOTIFY_CREATE),
    E(ES_EVENT_TYPE_NOTIFY_EXCHANGEDATA),
    E(ES_EVENT_TYPE_NOTIFY_EXIT),
    E(ES_EVENT_TYPE_NOTIFY_GET_TASK),
    E(ES_EVENT_TYPE_NOTIFY_KEXTLOAD),
    E(ES_EVENT_TYPE_NOTIFY_KEXTUNLOAD),
    E(ES_EVENT_TYPE_NOTIFY_LINK),
    E(ES_EVENT_TYPE_NOTIFY_MMAP),
    E(ES_EVENT_TYPE_NOTIFY_MPROTECT),
    E(ES_EVENT_TYPE_NOTIFY_MOUNT),
    E(ES_EVENT_TYPE_NOTIFY_UNMOUNT),
    E(ES_EVENT_TYPE_NOTIFY_IOKIT_OPEN),
    E(ES_EVENT_TYPE_NOTIFY_RENAME),
    E(ES_EVENT_TYPE_NOTIFY_SETATTRLIST),
    E(ES_EVENT_TYPE_NOTIFY_SETEXTATTR),
    E(ES_EVENT_TYPE_NOTIFY_SETFLAGS),
    E(ES_EVENT_TYPE_NOTIFY_SETMODE),
    E(ES_EVENT_TYPE_NOTIFY_SETOWNER),
    E(ES_EVENT_TYPE_NOTIFY_SIGNAL),
    E(ES_EVENT_TYPE_NOTIFY_UNLINK),
    E(ES_EVENT_TYPE_NOTIFY_WRITE),
    E(ES_EVENT_TYPE_AUTH_FILE_PROVIDER_MATERIALIZE),
    E(ES_EVENT_TYPE_NOTIFY_FILE_PROVIDER_MATERIALIZE),
    E(ES_EVENT_TYPE_AUTH_FILE_PROVIDER_UPDATE),
    E(ES_EVENT_TYPE_NOTIFY_FILE_PROVIDER_UPDATE),
    E(ES_EVENT_TYPE_AUTH_READLINK),
    E(ES_EVENT_TYPE_NOTIFY_READLINK),
    E(ES_EVENT_TYPE_AUTH_TRUNCATE),
    E(ES_EVENT_TYPE_NOTIFY_TRUNCATE),
    E(ES_EVENT_TYPE_AUTH_LINK),
    E(ES_EVENT_TYPE_NOTIFY_LOOKUP),
    E(ES_EVENT_TYPE_AUTH_CREATE),
    E(ES_EVENT_TYPE_AUTH_SETATTRLIST),
    E(ES_EVENT_TYPE_AUTH_SETEXTATTR),
    E(ES_EVENT_TYPE_AUTH_SETFLAGS),
    E(ES_EVENT_TYPE_AUTH_SETMODE),
    E(ES_EVENT_TYPE_AUTH_SETOWNER),
    E(ES_EVENT_TYPE_AUTH_CHDIR),
    E(ES_EVENT_TYPE_NOTIFY_CHDIR),
    E(ES_EVENT_TYPE_AUTH_GETATTRLIST),
    E(ES_EVENT_TYPE_NOTIFY_GETATTRLIST),
    E(ES_EVENT_TYPE_NOTIFY_STAT),
    E(ES_EVENT_TYPE_NOTIFY_ACCESS),
    E(ES_EVENT_TYPE_AUTH_CHROOT),
    E(ES_EVENT_TYPE_NOTIFY_CHROOT),
    E(ES_EVENT_TYPE_AUTH_UTIMES),
    E(ES_EVENT_TYPE_NOTIFY_UTIMES),
    E(ES_EVENT_TYPE_AUTH_CLONE),
    E(ES_EVENT_TYPE_NOTIFY_CLONE),
    E(ES_EVENT_TYPE_NOTIFY_FCNTL),
    E(ES_EVENT_TYPE_AUTH_GETEXTATTR),
    E(ES_EVENT_TYPE_NOTIFY_GETEXTATTR),
    E(ES_EVENT_TYPE_AUTH_LISTEXTATTR),
    E(ES_EVENT_TYPE_NOTIFY_LISTEXTATTR),
    E(ES_EVENT_TYPE_AUTH_READDIR),
    E(ES_EVENT_TYPE_NOTIFY_READDIR),
    E(ES_EVENT_TYPE_AUTH_DELETEEXTATTR),
    E(ES_EVENT_TYPE_NOTIFY_DELETEEXTATTR),
    E(ES_EVENT_TYPE_AUTH_FSGETPATH),
    E(ES_EVENT_TYPE_NOTIFY_FSGETPATH),
    E(ES_EVENT_TYPE_NOTIFY_DUP),
    E(ES_EVENT_TYPE_AUTH_SETTIME),
    E(ES_EVENT_TYPE_NOTIFY_SETTIME),
    E(ES_EVENT_TYPE_NOTIFY_UIPC_BIND),
    E(ES_EVENT_TYPE_AUTH_UIPC_BIND),
    E(ES_EVENT_TYPE_NOTIFY_UIPC_CONNECT),
    E(ES_EVENT_TYPE_AUTH_UIPC_CONNECT),
    E(ES_EVENT_TYPE_AUTH_EXCHANGEDATA),
    E(ES_EVENT_TYPE_AUTH_SETACL),
    E(ES_EVENT_TYPE_NOTIFY_SETACL),
    E(ES_EVENT_TYPE_NOTIFY_PTY_GRANT),
    E(ES_EVENT_TYPE_NOTIFY_PTY_CLOSE),
    E(ES_EVENT_TYPE_AUTH_PROC_CHECK),
    E(ES_EVENT_TYPE_NOTIFY_PROC_CHECK),
    E(ES_EVENT_TYPE_AUTH_GET_TASK),
    E(ES_EVENT_TYPE_AUTH_SEARCHFS),
    E(ES_EVENT_TYPE_NOTIFY_SEARCHFS),
    E(ES_EVENT_TYPE_AUTH_FCNTL),
    E(ES_EVENT_TYPE_AUTH_IOKIT_OPEN),
    E(ES_EVENT_TYPE_AUTH_PROC_SUSPEND_RESUME),
    E(ES_EVENT_TYPE_NOTIFY_PROC_SUSPEND_RESUME),
    E(ES_EVENT_TYPE_NOTIFY_CS_INVALIDATED),
    E(ES_EVENT_TYPE_NOTIFY_GET_TASK_NAME),
    E(ES_EVENT_TYPE_NOTIFY_TRACE),
    E(ES_EVENT_TYPE_NOTIFY_REMOTE_THREAD_CREATE),
    E(ES_EVENT_TYPE_AUTH_REMOUNT),
    E(ES_EVENT_TYPE_NOTIFY_REMOUNT),
    E(ES_EVENT_TYPE_AUTH_GET_TASK_READ),
    E(ES_EVENT_TYPE_NOTIFY_GET_TASK_READ),
    E(ES_EVENT_TYPE_NOTIFY_GET_TASK_INSPECT),
    E(ES_EVENT_TYPE_NOTIFY_SETUID),
    E(ES_EVENT_TYPE_NOTIFY_SETGID),
    E(ES_EVENT_TYPE_NOTIFY_SETEUID),
    E(ES_EVENT_TYPE_NOTIFY_SETEGID),
    E(ES_EVENT_TYPE_NOTIFY_SETREUID),
    E(ES_EVENT_TYPE_NOTIFY_SETREGID),
    E(ES_EVENT_TYPE_AUTH_COPYFILE),
    E(ES_EVENT_TYPE_NOTIFY_COPYFILE),
    E(ES_EVENT_TYPE_NOTIFY_AUTHENTICATION),
    E(ES_EVENT_TYPE_NOTIFY_XP_MALWARE_DETECTED),
    E(ES_EVENT_TYPE_NOTIFY_XP_MALWARE_REMEDIATED),
    E(ES_EVENT_TYPE_NOTIFY_LW_SESSION_LOGIN),
    E(ES_EVENT_TYPE_NOTIFY_LW_SESSION_LOGOUT),
    E(ES_EVENT_TYPE_NOTIFY_LW_SESSION_LOCK),
    E(ES_EVENT_TYPE_NOTIFY_LW_SESSION_UNLOCK),
    E(ES_EVENT_TYPE_NOTIFY_SCREENSHARING_ATTACH),
    E(ES_EVENT_TYPE_NOTIFY_SCREENSHARING_DETACH),
    E(ES_EVENT_TYPE_NOTIFY_OPENSSH_LOGIN),
    E(ES_EVENT_TYPE_NOTIFY_OPENSSH_LOGOUT),
    E(ES_EVENT_TYPE_NOTIFY_LOGIN_LOGIN),
    E(ES_EVENT_TYPE_NOTIFY_LOGIN_LOGOUT),
    E(ES_EVENT_TYPE_NOTIFY_BTM_LAUNCH_ITEM_ADD),
    E(ES_EVENT_TYPE_NOTIFY_BTM_LAUNCH_ITEM_REMOVE),
    E(ES_EVENT_TYPE_NOTIFY_PROFILE_ADD),
    E(ES_EVENT_TYPE_NOTIFY_PROFILE_REMOVE),
    E(ES_EVENT_TYPE_NOTIFY_SU),
    E(ES_EVENT_TYPE_NOTIFY_AUTHORIZATION_PETITION),
    E(ES_EVENT_TYPE_NOTIFY_AUTHORIZATION_JUDGEMENT),
    E(ES_EVENT_TYPE_NOTIFY_SUDO),
    E(ES_EVENT_TYPE_NOTIFY_OD_GROUP_ADD),
    E(ES_EVENT_TYPE_NOTIFY_OD_GROUP_REMOVE),
    E(ES_EVENT_TYPE_NOTIFY_OD_GROUP_SET),
    E(ES_EVENT_TYPE_NOTIFY_OD_MODIFY_PASSWORD),
    E(ES_EVENT_TYPE_NOTIFY_OD_DISABLE_USER),
    E(ES_EVENT_TYPE_NOTIFY_OD_ENABLE_USER),
    E(ES_EVENT_TYPE_NOTIFY_OD_ATTRIBUTE_VALUE_ADD),
    E(ES_EVENT_TYPE_NOTIFY_OD_ATTRIBUTE_VALUE_REMOVE),
    E(ES_EVENT_TYPE_NOTIFY_OD_ATTRIBUTE_SET),
    E(ES_EVENT_TYPE_NOTIFY_OD_CREATE_USER),
    E(ES_EVENT_TYPE_NOTIFY_OD_CREATE_GROUP),
    E(ES_EVENT_TYPE_NOTIFY_OD_DELETE_USER),
    E(ES_EVENT_TYPE_NOTIFY_OD_DELETE_GROUP),
    E(ES_EVENT_TYPE_NOTIFY_XPC_CONNECT),
    E(ES_EVENT_TYPE_NOTIFY_GATEKEEPER_USER_OVERRIDE),
    E(ES_EVENT_TYPE_NOTIFY_TCC_MODIFY),
    E(ES_EVENT_TYPE_RESERVED_0),
    E(ES_EVENT_TYPE_RESERVED_1),
    E(ES_EVENT_TYPE_RESERVED_2),
    E(ES_EVENT_TYPE_RESERVED_3),
    E(ES_EVENT_TYPE_RESERVED_4),
    E(ES_EVENT_TYPE_RESERVED_5),
    E(ES_EVENT_TYPE_RESERVED_6),
};

static void
test_es_compat_event_types_match_evtype_table(void **state)
{
    (void)state;
    assert_int_equal(sizeof(all_types) / sizeof(all_types[0]),
                     ESTEL_EVTYPE_COUNT);
    assert_int_equal(ES_EVENT_TYPE_LAST, ESTEL_EVTYPE_COUNT);
    for (size_t i = 0; i < sizeof(all_types) / sizeof(all_types[0]); i++) {
        const struct estel_evtype *et = estel_evtype_by_value(i);

        assert_int_equal(all_types[i].value, i);
        assert_non_null(et);
        assert_string_equal(et->es_name, all_types[i].name);
        if (strstr(all_types[i].name, "_RESERVED_") == NULL)
            assert_int_equal(et->notify,
                             strstr(all_types[i].name, "_NOTIFY_") != NULL);
    }
}

static void
test_es_compat_darwin_layouts(void **state)
{
    (void)state;
    assert_int_equal(sizeof(((es_file_t *)0)->stat), 144);
    assert_int_equal(sizeof(((es_file_t *)0)->stat.st_mode), 2);
    assert_int_equal(sizeof(((es_file_t *)0)->stat.st_dev), 4);
    assert_int_equal(sizeof(((es_event_setmode_t *)0)->mode), 2);
    assert_int_equal(sizeof(es_string_token_t), 16);
    assert_int_equal(sizeof(es_cdhash_t), 20);
    assert_int_equal(offsetof(es_message_t, version), 0);
    assert_int_equal(offsetof(es_message_t, time), 8);
    assert_true(offsetof(es_message_t, opaque) == sizeof(es_message_t));
}

static void
test_es_compat_libbsm_and_task_info(void **state)
{
    audit_token_t t = { { 501, 502, 20, 503, 21, 4242, 100017, 77 } };
    audit_token_t self;
    mach_msg_type_number_t n = TASK_AUDIT_TOKEN_COUNT;

    (void)state;
    assert_int_equal(audit_token_to_auid(t), 501);
    assert_int_equal(audit_token_to_euid(t), 502);
    assert_int_equal(audit_token_to_egid(t), 20);
    assert_int_equal(audit_token_to_ruid(t), 503);
    assert_int_equal(audit_token_to_rgid(t), 21);
    assert_int_equal(audit_token_to_pid(t), 4242);
    assert_int_equal(audit_token_to_asid(t), 100017);
    assert_int_equal(audit_token_to_pidversion(t), 77);
    assert_int_equal(TASK_AUDIT_TOKEN_COUNT, 8);
    assert_int_equal(task_info(mach_task_self(), TASK_AUDIT_TOKEN,
                               (task_info_t)&self, &n), KERN_SUCCESS);
    assert_int_equal(audit_token_to_pid(self), getpid());
    assert_int_equal(audit_token_to_euid(self), geteuid());
    n = 4;
    assert_int_not_equal(task_info(mach_task_self(), TASK_AUDIT_TOKEN,
                                   (task_info_t)&self, &n), KERN_SUCCESS);
}

static void
test_es_compat_message_ownership(void **state)
{
    es_message_t *m = fake_msg_build(ES_EVENT_TYPE_NOTIFY_EXEC, 9);
    es_string_token_t a;

    (void)state;
    assert_int_equal(fake_msg_live(), 1);
    assert_int_equal(es_exec_arg_count(&m->event.exec), 5);
    assert_int_equal(es_exec_env_count(&m->event.exec), 3);
    assert_int_equal(es_exec_fd_count(&m->event.exec), 3);
    assert_int_equal(es_exec_fd(&m->event.exec, 2)->fd, 2);
    a = es_exec_arg(&m->event.exec, 0);
    assert_int_equal(a.length, 4);
    assert_memory_equal(a.data, "curl", 4);
    assert_int_equal(a.data[4], '#');      /* not NUL-terminated */
    es_retain_message(m);
    fake_msg_free(m);
    assert_int_equal(fake_msg_live(), 1);  /* still retained */
    es_release_message(m);
    assert_int_equal(fake_msg_live(), 0);
}

static es_client_t *
client(void)
{
    es_client_t *c = NULL;
    es_event_type_t types[] = { ES_EVENT_TYPE_NOTIFY_EXIT,
                                ES_EVENT_TYPE_NOTIFY_RENAME };

    assert_int_equal(es_new_client(&c, ^(es_client_t *cl,
                                         const es_message_t *msg) {
        (void)cl;
        (void)msg;
    }), ES_NEW_CLIENT_RESULT_SUCCESS);
    assert_int_equal(es_subscribe(c, types, 2), ES_RETURN_SUCCESS);
    return c;
}

static es_message_t *
exit_from(pid_t pid)
{
    struct fake_proc p = { .pid = pid };
    es_message_t *m = fake_msg_build(ES_EVENT_TYPE_NOTIFY_EXIT, 9);

    fake_msg_set_actor(m, &p);
    return m;
}

/* Inverted process muting selects: only muted processes get through. */
static void
test_es_compat_fake_process_inversion(void **state)
{
    es_client_t *c = client();
    es_message_t *m = exit_from(10);

    (void)state;
    assert_int_equal(es_mute_process(c, &m->process->audit_token),
                     ES_RETURN_SUCCESS);
    assert_false(fake_es_deliver(c, m));
    assert_true(fake_es_deliver(c, exit_from(11)));
    assert_int_equal(es_invert_muting(c, ES_MUTE_INVERSION_TYPE_PROCESS),
                     ES_RETURN_SUCCESS);
    assert_int_equal(es_muting_inverted(c, ES_MUTE_INVERSION_TYPE_PROCESS),
                     ES_MUTE_INVERTED);
    assert_true(fake_es_deliver(c, exit_from(10)));
    assert_false(fake_es_deliver(c, exit_from(11)));
    assert_true(fake_es_wait_idle(c, 5000));
    assert_int_equal(es_delete_client(c), ES_RETURN_SUCCESS);
    assert_int_equal(fake_msg_live(), 0);
}

static es_message_t *
rename_of(const char *from, const char *dir, const char *name)
{
    es_message_t *m = fake_msg_build(ES_EVENT_TYPE_NOTIFY_RENAME, 9);

    m->event.rename.source = fake_msg_file(m, from);
    m->event.rename.destination.new_path.dir = fake_msg_file(m, dir);
    m->event.rename.destination.new_path.filename = fake_msg_str(m, name);
    return m;
}

/* Target muting: all paths muted to suppress; inverted: any selects. */
static void
test_es_compat_fake_target_paths(void **state)
{
    es_client_t *c = client();

    (void)state;
    assert_int_equal(es_mute_path(c, "/tmp/", ES_MUTE_PATH_TYPE_TARGET_PREFIX),
                     ES_RETURN_SUCCESS);
    assert_true(fake_es_deliver(c, rename_of("/tmp/a", "/Users/x/", "b")));
    assert_false(fake_es_deliver(c, rename_of("/tmp/a", "/tmp/", "b")));
    assert_int_equal(es_invert_muting(c, ES_MUTE_INVERSION_TYPE_TARGET_PATH),
                     ES_RETURN_SUCCESS);
    assert_true(fake_es_deliver(c, rename_of("/tmp/a", "/Users/x/", "b")));
    assert_false(fake_es_deliver(c, rename_of("/var/a", "/Users/x/", "b")));
    assert_int_equal(es_unmute_all_target_paths(c), ES_RETURN_SUCCESS);
    assert_false(fake_es_deliver(c, rename_of("/tmp/a", "/tmp/", "b")));
    assert_true(fake_es_wait_idle(c, 5000));
    assert_int_equal(es_delete_client(c), ES_RETURN_SUCCESS);
    assert_int_equal(fake_msg_live(), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_es_compat_event_types_match_evtype_table),
        cmocka_unit_test(test_es_compat_darwin_layouts),
        cmocka_unit_test(test_es_compat_libbsm_and_task_info),
        cmocka_unit_test(test_es_compat_message_ownership),
        cmocka_unit_test(test_es_compat_fake_process_inversion),
        cmocka_unit_test(test_es_compat_fake_target_paths),
    };

    fake_es_reset();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
