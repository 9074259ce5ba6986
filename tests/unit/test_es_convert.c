/*
 * test_es_convert.c - es_message_t -> record: every mapped event type at
 * message versions 1, 2, 4, 6, 8 and 10 (gated fields present exactly when
 * the version allows), the envelope's own gating, NULL optional pointers,
 * empty / truncated / non-UTF-8 paths and argv, a 10,000-element argv
 * against ArgvMaxCount / ArgvMaxBytes, and unknown event types.
 *
 * Records are checked through record_to_json: exact, ordered key lists of
 * the record, its actor ("p") and its payload ("e").
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "collector/es/fake/fake_msg.h"
#include "common/evtype.h"
#include "tests/unit/test_es_util.h"

static const uint32_t versions[] = { 1, 2, 4, 6, 8, 10 };

/* Payload keys per type as fake_msg_build() fills it; "@N": only when the
 * message version is >= N.  docs/es-mapping.md is the specification. */
static const struct {
    uint32_t type;
    const char *keys;
} mapped[] = {
    { 9, "target,args,cwd@3,dyld_exec_path@7,last_fd@4,image_cputype@6,"
         "image_cpusubtype@6" },
    { 10, "fflag,file" },
    { 11, "child" },
    { 12, "modified,target,was_mapped_writable@6" },
    { 13, "destination_type,destination" },
    { 14, "file1,file2" },
    { 15, "stat" },
    { 16, "target,type@5" },
    { 17, "identifier" },
    { 18, "identifier" },
    { 19, "source,target_dir,target_filename" },
    { 20, "protection,max_protection,flags,file_pos,source" },
    { 22, "f_mntonname,f_mntfromname,f_fstypename,f_flags,disposition@8" },
    { 23, "f_mntonname,f_mntfromname,f_fstypename,f_flags" },
    { 25, "source,destination_type,dir,filename" },
    { 27, "target,extattr" },
    { 28, "flags,target" },
    { 29, "mode,target" },
    { 30, "uid,gid,target" },
    { 31, "sig,target,instigator@9" },
    { 32, "target,parent_dir" },
    { 33, "target" },
    { 39, "source" },
    { 41, "target" },
    { 43, "source_dir,relative_target" },
    { 51, "target" },
    { 54, "target" },
    { 55, "mode,target" },
    { 57, "target" },
    { 61, "source,target_dir,target_name" },
    { 62, "target,cmd" },
    { 64, "target,extattr" },
    { 66, "target" },
    { 68, "target" },
    { 70, "target,extattr" },
    { 72, "target" },
    { 73, "target" },
    { 76, "dir,filename,mode" },
    { 78, "file,domain,type,protocol" },
    { 83, "dev" },
    { 84, "dev" },
    { 86, "target,type,flavor" },
    { 93, "target,type" },
    { 94, "" },
    { 95, "target,type@5" },
    { 96, "target" },
    { 97, "target" },
    { 101, "target,type@5" },
    { 102, "target,type@5" },
    { 103, "uid" },
    { 104, "gid" },
    { 105, "euid" },
    { 106, "egid" },
    { 107, "ruid,euid" },
    { 108, "rgid,egid" },
    { 110, "source,target_dir,target_name,mode,flags" },
    { 111, "success,type,instigator,record_type,record_name,node_name,"
           "db_path" },
    { 112, "signature_version,malware_identifier,incident_identifier,"
           "detected_path,detected_executable@10" },
    { 114, "username,graphical_session_id" },
    { 115, "username,graphical_session_id" },
    { 116, "username,graphical_session_id" },
    { 117, "username,graphical_session_id" },
    { 120, "success,result_type,source_address_type,source_address,"
           "username" },
    { 121, "source_address_type,source_address,username,uid" },
    { 122, "success,failure_message,username,uid" },
    { 123, "username,uid" },
    { 124, "instigator,item_type,legacy,managed,item_uid,item_url,app_url,"
           "executable_path" },
    { 125, "instigator,app,item_type,legacy,managed,item_uid,item_url,"
           "app_url" },
    { 126, "instigator,is_update,identifier,uuid,install_source,"
           "organization,display_name,scope" },
    { 127, "identifier,uuid,install_source,organization,display_name,"
           "scope" },
    { 128, "success,failure_message,from_uid,from_username,to_uid,"
           "to_username,shell,argv" },
    { 131, "success,plugin_name,plugin_type,failure_message,from_uid,"
           "from_username,to_uid,to_username,command" },
    { 145, "service_name,service_domain_type" },
    { 147, "service,identity,identity_type,update_type,right,reason,"
           "instigator" },
};

static struct esu_conv fx;

static int
setup(void **state)
{
    (void)state;
    esu_conv_init(&fx, 1024, 16384, false);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    esu_conv_free(&fx);
    assert_int_equal(fake_msg_live(), 0);
    return 0;
}

/* "a,b@6,c" at version v -> "a,b,c" or "a,c". */
static void
expected_keys(const char *spec, uint32_t v, char *out, size_t size)
{
    char tmp[512];
    size_t n = 0;

    snprintf(tmp, sizeof(tmp), "%s", spec);
    out[0] = '\0';
    for (char *save = NULL, *k = strtok_r(tmp, ",", &save); k != NULL;
         k = strtok_r(NULL, ",", &save)) {
        char *at = strchr(k, '@');

        if (at != NULL) {
            *at = '\0';
            if (v < (uint32_t)strtoul(at + 1, NULL, 10))
                continue;
        }
        n += (size_t)snprintf(out + n, size - n, "%s%s", n > 0 ? "," : "", k);
    }
}

static const char *
payload_keys(const char *json, char *buf, size_t size)
{
    const char *e = esu_member(json, "e");

    assert_non_null(e);
    return esu_keys(e, buf, size);
}

static void
test_es_convert_every_mapped_type_and_version(void **state)
{
    char want[512], got[512];

    (void)state;
    for (size_t i = 0; i < sizeof(mapped) / sizeof(mapped[0]); i++) {
        for (size_t j = 0; j < sizeof(versions) / sizeof(versions[0]); j++) {
            es_message_t *m = fake_msg_build(mapped[i].type, versions[j]);
            const char *json = esu_json(&fx, m);

            expected_keys(mapped[i].keys, versions[j], want, sizeof(want));
            payload_keys(json, got, sizeof(got));
            if (strcmp(want, got) != 0)
                fail_msg("type %u v%u: payload keys [%s], want [%s]",
                         mapped[i].type, versions[j], got, want);
            fake_msg_free(m);
        }
    }
}

static bool
is_mapped(uint32_t t)
{
    for (size_t i = 0; i < sizeof(mapped) / sizeof(mapped[0]); i++)
        if (mapped[i].type == t)
            return true;
    return false;
}

/* Every other value (AUTH types, unmapped NOTIFY types, reserved ones and
 * values from a newer macOS) is recorded generically: envelope, actor,
 * empty payload, the type number. */
static void
test_es_convert_unmapped_types_are_generic(void **state)
{
    char got[512], et[32];

    (void)state;
    for (uint32_t t = 0; t < 260; t++) {
        es_message_t *m;
        const char *json;

        if (is_mapped(t))
            continue;
        m = fake_msg_new((es_event_type_t)t, 10);
        json = esu_json(&fx, m);
        payload_keys(json, got, sizeof(got));
        if (got[0] != '\0')
            fail_msg("type %u: payload [%s], want none", t, got);
        snprintf(et, sizeof(et), "\"et\":%u,", t);
        assert_non_null(strstr(json, et));
        assert_non_null(esu_member(json, "p"));
        fake_msg_free(m);
    }
}

static void
test_es_convert_future_type_200(void **state)
{
    es_message_t *m = fake_msg_new((es_event_type_t)200, 12);
    const char *json;

    (void)state;
    m->seq_num = 7;
    m->global_seq_num = 99;
    json = esu_json(&fx, m);
    assert_non_null(strstr(json, "\"ev\":\"unknown\""));
    assert_non_null(strstr(json, "\"et\":200,\"mv\":12,"));
    assert_non_null(strstr(json, "\"sq\":7,\"gsq\":99,"));
    assert_non_null(strstr(json, "\"e\":{}"));
    fake_msg_free(m);
}

/* The envelope and the actor follow the message version too. */
static void
test_es_convert_envelope_gating(void **state)
{
    static const struct {
        uint32_t v;
        const char *top;
        const char *tail;       /* actor keys after "exe" */
    } want[] = {
        { 1, "v,ev,cs,ts,hid,bid,et,mv,mt,id,p,e", "exe" },
        { 2, "v,ev,cs,ts,hid,bid,et,mv,mt,sq,id,p,e", "exe,tty" },
        { 3, "v,ev,cs,ts,hid,bid,et,mv,mt,sq,id,p,e", "exe,tty,start" },
        { 4, "v,ev,cs,ts,hid,bid,et,mv,mt,sq,gsq,thr,id,p,e",
          "exe,tty,start,rpid,rpv,reid,parpid,parpv,pareid" },
        { 9, "v,ev,cs,ts,hid,bid,et,mv,mt,sq,gsq,thr,id,p,e",
          "exe,tty,start,rpid,rpv,reid,parpid,parpv,pareid" },
        { 10, "v,ev,cs,ts,hid,bid,et,mv,mt,sq,gsq,thr,id,p,e",
          "exe,tty,start,rpid,rpv,reid,parpid,parpv,pareid,csv" },
    };
    char got[512];

    (void)state;
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        es_message_t *m = fake_msg_build(ES_EVENT_TYPE_NOTIFY_EXIT,
                                         want[i].v);
        const char *json = esu_json(&fx, m);
        const char *p;

        assert_string_equal(esu_keys(json, got, sizeof(got)), want[i].top);
        esu_keys(esu_member(json, "p"), got, sizeof(got));
        p = strstr(got, "exe");
        assert_non_null(p);
        assert_string_equal(p, want[i].tail);
        fake_msg_free(m);
    }
}

static void
test_es_convert_exec_details(void **state)
{
    es_message_t *m = fake_msg_build(ES_EVENT_TYPE_NOTIFY_EXEC, 7);
    const char *json, *e;

    (void)state;
    json = esu_json(&fx, m);
    e = esu_member(json, "e");
    assert_non_null(strstr(e, "\"args\":[\"curl\",\"-s\",\"-o\",\"/tmp/x\","
                              "\"https://example.com/a\"]"));
    assert_null(strstr(json, "TOKEN=secret"));      /* env off */
    assert_non_null(strstr(e, "\"cwd\":{\"path\":\"/Users/alice\","));
    assert_non_null(strstr(e, "\"dyld_exec_path\":\"/usr/bin/curl\""));
    assert_non_null(strstr(e, "\"image_cpusubtype\":-2147483646"));
    /* the target is the new image: new pidversion, its own path */
    assert_non_null(strstr(esu_member(e, "target"),
                           "\"pid\":4242,\"pv\":77002,"));
    /* a script run directly shows up from version 2 */
    m->event.exec.script = fake_msg_file(m, "/Users/alice/bin/run.sh");
    json = esu_json(&fx, m);
    assert_non_null(strstr(esu_member(json, "e"),
                           "\"script\":{\"path\":\"/Users/alice/bin/run.sh\""));
    m->version = 1;
    json = esu_json(&fx, m);
    assert_null(strstr(json, "\"script\""));
    assert_null(strstr(json, "\"cwd\""));
    fake_msg_free(m);
}

static void
test_es_convert_exec_env_when_asked(void **state)
{
    struct esu_conv f2;
    es_message_t *m = fake_msg_build(ES_EVENT_TYPE_NOTIFY_EXEC, 9);
    const char *json;
    char got[512];

    (void)state;
    esu_conv_init(&f2, 1024, 16384, true);
    json = esu_json(&f2, m);
    assert_non_null(strstr(json, "\"env\":[\"PATH=/usr/bin:/bin\","
                                 "\"HOME=/Users/alice\",\"TOKEN=secret\"]"));
    payload_keys(json, got, sizeof(got));
    assert_string_equal(got, "target,args,env,cwd,dyld_exec_path,last_fd,"
                             "image_cputype,image_cpusubtype");
    esu_conv_free(&f2);
    fake_msg_free(m);
}

static void
test_es_convert_create_and_rename_forms(void **state)
{
    es_message_t *m;
    const char *json;
    char got[512];

    (void)state;
    m = fake_msg_build(ES_EVENT_TYPE_NOTIFY_CREATE, 6);
    m->event.create.destination_type = ES_DESTINATION_TYPE_NEW_PATH;
    m->event.create.destination.new_path.dir = fake_msg_file(m, "/tmp/");
    m->event.create.destination.new_path.filename = fake_msg_str(m, "a.sh");
    m->event.create.destination.new_path.mode = 0755;
    json = esu_json(&fx, m);
    assert_string_equal(payload_keys(json, got, sizeof(got)),
                        "destination_type,dir,filename,mode");
    assert_non_null(strstr(json, "\"destination_type\":1,\"dir\":{\"path\":"
                                 "\"/tmp\","));
    assert_non_null(strstr(json, "\"filename\":\"a.sh\",\"mode\":493}"));
    fake_msg_free(m);

    m = fake_msg_build(ES_EVENT_TYPE_NOTIFY_CREATE, 6);
    json = esu_json(&fx, m);
    assert_non_null(strstr(json, "\"destination_type\":0,\"destination\":"
                                 "{\"path\":\"/Users/alice/Downloads/"
                                 "setup.pkg\""));
    fake_msg_free(m);

    m = fake_msg_build(ES_EVENT_TYPE_NOTIFY_RENAME, 6);
    m->event.rename.destination_type = ES_DESTINATION_TYPE_EXISTING_FILE;
    m->event.rename.destination.existing_file =
        fake_msg_file(m, "/Users/alice/Downloads/setup.pkg");
    json = esu_json(&fx, m);
    assert_string_equal(payload_keys(json, got, sizeof(got)),
                        "source,destination_type,destination");
    assert_non_null(strstr(json, "\"destination_type\":0,\"destination\":"
                                 "{\"path\":\"/Users/alice/Downloads/"
                                 "setup.pkg\""));
    fake_msg_free(m);
}

/* Nullable pointers: absent fields, never a crash. */
static void
test_es_convert_null_optional_pointers(void **state)
{
    es_message_t *m;
    const char *json;
    char got[512];

    (void)state;
    m = fake_msg_build(ES_EVENT_TYPE_NOTIFY_SIGNAL, 9);
    m->process->tty = NULL;
    m->thread = NULL;
    m->event.signal.instigator = NULL;
    json = esu_json(&fx, m);
    assert_null(strstr(json, "\"thr\""));
    assert_null(strstr(esu_member(json, "p"), "\"tty\""));
    assert_string_equal(payload_keys(json, got, sizeof(got)), "sig,target");
    fake_msg_free(m);

    m = fake_msg_build(ES_EVENT_TYPE_NOTIFY_TCC_MODIFY, 9);
    m->event.tcc_modify->instigator = NULL;
    json = esu_json(&fx, m);
    assert_string_equal(payload_keys(json, got, sizeof(got)),
                        "service,identity,identity_type,update_type,right,"
                        "reason");
    fake_msg_free(m);

    m = fake_msg_build(ES_EVENT_TYPE_NOTIFY_SUDO, 9);
    m->event.sudo->reject_info = NULL;
    m->event.sudo->has_from_uid = false;
    m->event.sudo->command = fake_msg_str(m, NULL);
    json = esu_json(&fx, m);
    assert_string_equal(payload_keys(json, got, sizeof(got)),
                        "success,from_username,to_uid,to_username,command");
    assert_non_null(strstr(json, "\"command\":null"));
    fake_msg_free(m);

    /* a 13+ event whose pointer is NULL: no payload */
    m = fake_msg_new(ES_EVENT_TYPE_NOTIFY_AUTHENTICATION, 8);
    json = esu_json(&fx, m);
    assert_string_equal(payload_keys(json, got, sizeof(got)), "");
    fake_msg_free(m);

    /* no team id ({0, NULL}) is absent, an empty one is "" */
    m = fake_msg_build(ES_EVENT_TYPE_NOTIFY_EXIT, 4);
    json = esu_json(&fx, m);
    assert_null(strstr(esu_member(json, "p"), "\"team\""));
    m->process->team_id = fake_msg_str(m, "");
    json = esu_json(&fx, m);
    assert_non_null(strstr(esu_member(json, "p"), "\"team\":\"\""));
    fake_msg_free(m);
}

static void
test_es_convert_empty_and_truncated_paths(void **state)
{
    es_message_t *m = fake_msg_build(ES_EVENT_TYPE_NOTIFY_WRITE, 4);
    const char *json;

    (void)state;
    m->event.write.target->path = fake_msg_str(m, "");
    json = esu_json(&fx, m);
    assert_non_null(strstr(json, "\"target\":{\"path\":\"\",\"ino\""));
    m->event.write.target->path.data = NULL;        /* absent altogether */
    m->event.write.target->path.length = 5;         /* hostile length */
    json = esu_json(&fx, m);
    assert_non_null(strstr(json, "\"target\":{\"path\":\"\",\"ino\""));
    m->event.write.target->path = fake_msg_str(m, "/Users/alice/very/long");
    m->event.write.target->path_truncated = true;
    json = esu_json(&fx, m);
    assert_non_null(strstr(json, "\"target\":{\"path\":\"/Users/alice/very/"
                                 "long\",\"trunc\":true,"));
    fake_msg_free(m);
}

static bool
record_has(const uint8_t *rec, size_t len, const void *p, size_t n)
{
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(rec + i, p, n) == 0)
            return true;
    return false;
}

/* Bytes are copied as they are (the record is msgpack str, not UTF-8
 * checked); the JSON view replaces invalid bytes with U+FFFD. */
static void
test_es_convert_non_utf8_bytes(void **state)
{
    static const char path[] = "/tmp/\xff\xfe-evil\x80.txt";
    static const char arg[] = "caf\xe9\0tail";      /* latin-1, NUL inside */
    es_message_t *m = fake_msg_build(ES_EVENT_TYPE_NOTIFY_EXEC, 9);
    const char *json;

    (void)state;
    m->event.exec.target->executable =
        fake_msg_file_bytes(m, path, sizeof(path) - 1);
    fake_msg_exec_arg_bytes(m, arg, sizeof(arg) - 1);
    json = esu_json(&fx, m);
    assert_true(record_has(fx.rec, fx.rec_len, path, sizeof(path) - 1));
    assert_true(record_has(fx.rec, fx.rec_len, arg, sizeof(arg) - 1));
    assert_non_null(strstr(json, "\"path\":\"/tmp/\\ufffd\\ufffd-evil"
                                 "\\ufffd.txt\""));
    assert_non_null(strstr(json, "\"caf\\ufffd\\u0000tail\"]"));
    fake_msg_free(m);
}

static size_t
json_array_len(const char *arr)
{
    size_t n = 0;
    int depth = 0;

    for (const char *p = arr; *p != '\0'; p++) {
        if (*p == '"') {
            for (p++; *p != '"'; p++)
                if (*p == '\\')
                    p++;
            if (depth == 1)
                n++;
        } else if (*p == '[') {
            depth++;
        } else if (*p == ']' && --depth == 0) {
            break;
        }
    }
    return n;
}

static void
test_es_convert_huge_argv_is_capped_and_counted(void **state)
{
    es_message_t *m = fake_msg_build(ES_EVENT_TYPE_NOTIFY_EXEC, 9);
    const struct ev_field *args = NULL;
    struct esu_conv small;
    const char *json;
    char a[32];

    (void)state;
    for (int i = 0; i < 10000; i++) {
        int n = snprintf(a, sizeof(a), "arg-%05d", i);

        fake_msg_exec_arg_bytes(m, a, (size_t)n);
    }
    /* defaults: 1024 items, 16 KiB -> the byte cap wins */
    json = esu_json(&fx, m);
    for (size_t i = 0; i < fx.ev.nfields; i++)
        if (strcmp(fx.ev.fields[i].key, "args") == 0)
            args = &fx.ev.fields[i];
    assert_non_null(args);
    assert_int_equal(args->v.strs.count, 10005);
    assert_int_equal(args->v.strs.stored, 1024);     /* ArgvMaxCount */
    assert_non_null(strstr(json, "\"args_count\":10005"));
    assert_true(json_array_len(esu_member(esu_member(json, "e"), "args")) <=
                16384 / 9);
    fake_msg_free(m);

    /* a count cap below the byte cap */
    esu_conv_init(&small, 100, 1 << 20, false);
    m = fake_msg_build(ES_EVENT_TYPE_NOTIFY_EXEC, 9);
    for (int i = 0; i < 10000; i++)
        fake_msg_exec_arg_bytes(m, "x", 1);
    json = esu_json(&small, m);
    assert_int_equal(json_array_len(esu_member(esu_member(json, "e"),
                                               "args")), 100);
    assert_non_null(strstr(json, "\"args_count\":10005"));
    esu_conv_free(&small);
    fake_msg_free(m);
}

static void
test_es_convert_strings_are_not_nul_terminated(void **state)
{
    es_message_t *m = fake_msg_build(ES_EVENT_TYPE_NOTIFY_MOUNT, 8);
    const char *json;

    (void)state;
    /* the builder puts '#' after every string: a strlen would show it */
    json = esu_json(&fx, m);
    assert_null(strstr(json, "#"));
    /* statfs names that fill their array without a NUL */
    memset(m->event.mount.statfs->f_fstypename, 'z',
           sizeof(m->event.mount.statfs->f_fstypename));
    json = esu_json(&fx, m);
    assert_non_null(strstr(json, "\"f_fstypename\":\"zzzzzzzzzzzzzzzz\","));
    fake_msg_free(m);
}

static void
test_es_convert_denied_notify_keeps_result(void **state)
{
    es_message_t *m = fake_msg_build(ES_EVENT_TYPE_NOTIFY_EXEC, 9);
    const char *json;
    char got[512];

    (void)state;
    m->action.notify.result.auth = ES_AUTH_RESULT_DENY;
    json = esu_json(&fx, m);
    assert_string_equal(payload_keys(json, got, sizeof(got)),
                        "target,args,cwd,dyld_exec_path,last_fd,"
                        "image_cputype,image_cpusubtype,action_result");
    assert_non_null(strstr(json, "\"action_result\":1}"));
    fake_msg_free(m);
}

static void
test_es_convert_su_argv_and_authentication_kinds(void **state)
{
    es_message_t *m = fake_msg_build(ES_EVENT_TYPE_NOTIFY_SU, 8);
    es_event_authentication_t *a;
    es_event_authentication_auto_unlock_t *au;
    const char *json;
    char got[512];

    (void)state;
    json = esu_json(&fx, m);
    assert_non_null(strstr(json, "\"argv\":[\"-c\",\"id\"]"));
    assert_non_null(strstr(json, "\"failure_message\":null"));
    fake_msg_free(m);

    m = fake_msg_new(ES_EVENT_TYPE_NOTIFY_AUTHENTICATION, 8);
    a = fake_msg_alloc(m, sizeof(*a));
    au = fake_msg_alloc(m, sizeof(*au));
    a->success = false;
    a->type = ES_AUTHENTICATION_TYPE_AUTO_UNLOCK;
    au->username = fake_msg_str(m, "alice");
    au->type = ES_AUTO_UNLOCK_AUTH_PROMPT;
    a->data.auto_unlock = au;
    m->event.authentication = a;
    json = esu_json(&fx, m);
    assert_string_equal(payload_keys(json, got, sizeof(got)),
                        "success,type,username,auto_unlock_type");
    assert_non_null(strstr(json, "\"auto_unlock_type\":2}"));
    fake_msg_free(m);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_es_convert_every_mapped_type_and_version),
        cmocka_unit_test(test_es_convert_unmapped_types_are_generic),
        cmocka_unit_test(test_es_convert_future_type_200),
        cmocka_unit_test(test_es_convert_envelope_gating),
        cmocka_unit_test(test_es_convert_exec_details),
        cmocka_unit_test(test_es_convert_exec_env_when_asked),
        cmocka_unit_test(test_es_convert_create_and_rename_forms),
        cmocka_unit_test(test_es_convert_null_optional_pointers),
        cmocka_unit_test(test_es_convert_empty_and_truncated_paths),
        cmocka_unit_test(test_es_convert_non_utf8_bytes),
        cmocka_unit_test(test_es_convert_huge_argv_is_capped_and_counted),
        cmocka_unit_test(test_es_convert_strings_are_not_nul_terminated),
        cmocka_unit_test(test_es_convert_denied_notify_keeps_result),
        cmocka_unit_test(test_es_convert_su_argv_and_authentication_kinds),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
