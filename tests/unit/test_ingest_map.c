/*
 * test_ingest_map.c - what each kind of record becomes in ECS and in
 * OCSF (ingest_map_record), checked with an independent JSON reader
 * (jansson): renames into new paths, exec with its arguments, exit codes,
 * logins, a type this ingest does not know, gap and status records, and
 * the event table.  "Nothing dropped" is checked by finding every leaf of
 * the record somewhere in its line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/ingest_check.h"

#include <inttypes.h>
#include <jansson.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/collector.h"
#include "ingest/ingest.h"

#define NOW_NS 1767225600123456789LL

/* ---- mapping ------------------------------------------------------------- */

struct pk {
    msgpack_sbuffer sb;
    msgpack_packer p;
};

static void
pk_init(struct pk *k)
{
    msgpack_sbuffer_init(&k->sb);
    msgpack_packer_init(&k->p, &k->sb, msgpack_sbuffer_write);
}

static void
s(struct pk *k, const char *v)
{
    msgpack_pack_str(&k->p, strlen(v));
    msgpack_pack_str_body(&k->p, v, strlen(v));
}

static void
kv_s(struct pk *k, const char *key, const char *v)
{
    s(k, key);
    s(k, v);
}

static void
kv_i(struct pk *k, const char *key, int64_t v)
{
    s(k, key);
    msgpack_pack_int64(&k->p, v);
}

static void
file_map(struct pk *k, const char *path, uint32_t mode)
{
    msgpack_pack_map(&k->p, 6);
    kv_s(k, "path", path);
    kv_i(k, "ino", 4242);
    kv_i(k, "mode", mode);
    kv_i(k, "uid", 501);
    kv_i(k, "size", 77);
    kv_i(k, "mtime", 1767225600000000001LL);
}

/* Envelope of 11 keys + "p" (a small actor) + "e" (payload of n keys,
 * written by the caller). */
static void
envelope(struct pk *k, const char *ev, int64_t et, size_t payload_keys)
{
    msgpack_pack_map(&k->p, et >= 0 ? 11 : 10);
    kv_i(k, "v", 1);
    kv_s(k, "ev", ev);
    kv_i(k, "cs", 7);
    kv_i(k, "ts", 1767225600987654321LL);
    kv_s(k, "hid", "host-u");
    kv_s(k, "bid", "boot-u");
    if (et >= 0)
        kv_i(k, "et", et);
    kv_s(k, "id", "0123456789abcdef0123456789abcdef");
    kv_i(k, "future_key", 31337);           /* a newer agent's key */
    s(k, "p");
    msgpack_pack_map(&k->p, 6);
    kv_i(k, "pid", 4321);
    kv_i(k, "pv", 99);
    kv_s(k, "eid", "00000000000000aa");
    kv_i(k, "euid", 501);
    kv_i(k, "csf", 0x26000a03);
    s(k, "exe");
    file_map(k, "/bin/zsh", 0100755);
    s(k, "e");
    msgpack_pack_map(&k->p, payload_keys);
}

static json_t *
map_one(struct pk *k, enum ingest_format f, char **text)
{
    struct estel_buf out;
    struct estel_err err = { 0 };
    json_error_t je;
    json_t *j;

    buf_init(&out, 0);
    if (ingest_map_record(f, (const uint8_t *)k->sb.data, k->sb.size, NOW_NS,
                          &out, &err) != ESTEL_OK)
        fail_msg("map: %s", err.msg);
    assert_int_equal(buf_terminate(&out), ESTEL_OK);
    if ((j = json_loads(out.data, 0, &je)) == NULL)
        fail_msg("not JSON (%s): %s", je.text, out.data);
    *text = strdup(out.data);
    buf_free(&out);
    return j;
}

/* j at "a.b.0.c" (numbers index arrays). */
static json_t *
at(json_t *j, const char *path)
{
    char part[64];

    while (j != NULL && *path != '\0') {
        size_t n = strcspn(path, ".");

        snprintf(part, sizeof(part), "%.*s", (int)n, path);
        if (json_is_array(j))
            j = json_array_get(j, strtoul(part, NULL, 10));
        else
            j = json_object_get(j, part);
        path += n + (path[n] == '.');
    }
    return j;
}

static void
is_str(json_t *j, const char *path, const char *want)
{
    json_t *v = at(j, path);

    if (v == NULL || !json_is_string(v) ||
        strcmp(json_string_value(v), want) != 0)
        fail_msg("%s: want \"%s\", got %s", path, want,
                 v == NULL ? "nothing" : json_dumps(v, JSON_ENCODE_ANY));
}

static void
is_int(json_t *j, const char *path, json_int_t want)
{
    json_t *v = at(j, path);

    if (v == NULL || !json_is_integer(v) || json_integer_value(v) != want)
        fail_msg("%s: want %lld, got %s", path, (long long)want,
                 v == NULL ? "nothing" : json_dumps(v, JSON_ENCODE_ANY));
}

static void
check_complete(struct pk *k, const char *text)
{
    msgpack_unpacked u;
    size_t off = 0;

    msgpack_unpacked_init(&u);
    assert_int_equal(msgpack_unpack_next(&u, k->sb.data, k->sb.size, &off),
                     MSGPACK_UNPACK_SUCCESS);
    nothing_dropped(text, &u.data);
    msgpack_unpacked_destroy(&u);
}

static void
test_ingest_map_rename_new_path(void **state)
{
    struct pk k;
    char *text;
    json_t *j;

    (void)state;
    pk_init(&k);
    envelope(&k, "rename", 25, 4);
    s(&k, "source");
    file_map(&k, "/Users/a/old.txt", 0100644);
    kv_i(&k, "destination_type", 1);
    s(&k, "dir");
    file_map(&k, "/Users/a/Documents", 040755);
    kv_s(&k, "filename", "new.txt");
    j = map_one(&k, INGEST_FORMAT_ECS, &text);
    is_str(j, "@timestamp", "2026-01-01T00:00:00.987654321Z");
    is_str(j, "event.action", "rename");
    is_str(j, "event.kind", "event");
    is_str(j, "event.category.0", "file");
    is_str(j, "file.path", "/Users/a/Documents/new.txt");
    is_str(j, "file.name", "new.txt");
    is_str(j, "file.directory", "/Users/a/Documents");
    is_str(j, "file.extension", "txt");
    is_str(j, "file.inode", "4242");
    is_str(j, "file.mode", "0644");
    is_str(j, "file.type", "file");
    is_str(j, "estel.file.original_path", "/Users/a/old.txt");
    is_int(j, "estel.future_key", 31337);
    is_int(j, "estel.process.pidversion", 99);
    is_int(j, "estel.event.destination_type", 1);
    is_str(j, "process.executable", "/bin/zsh");
    is_str(j, "process.user.id", "501");
    is_str(j, "host.id", "host-u");
    is_str(j, "agent.type", "estel");
    check_complete(&k, text);
    json_decref(j);
    free(text);
    j = map_one(&k, INGEST_FORMAT_OCSF, &text);
    is_int(j, "class_uid", 1001);
    is_int(j, "activity_id", 5);
    is_int(j, "type_uid", 100105);
    is_str(j, "file.path", "/Users/a/old.txt");
    is_str(j, "file_result.path", "/Users/a/Documents/new.txt");
    is_int(j, "time", 1767225600987);
    is_str(j, "actor.process.file.path", "/bin/zsh");
    is_str(j, "metadata.uid", "0123456789abcdef0123456789abcdef");
    check_complete(&k, text);
    json_decref(j);
    free(text);
    msgpack_sbuffer_destroy(&k.sb);
}

static void
test_ingest_map_exec_and_exit(void **state)
{
    struct pk k;
    char *text;
    json_t *j;

    (void)state;
    pk_init(&k);
    envelope(&k, "exec", 9, 3);
    s(&k, "target");
    msgpack_pack_map(&k.p, 4);
    kv_i(&k, "pid", 4321);
    kv_s(&k, "eid", "00000000000000bb");
    kv_i(&k, "ppid", 1);
    s(&k, "exe");
    file_map(&k, "/usr/bin/curl", 0100755);
    s(&k, "args");
    msgpack_pack_array(&k.p, 3);
    s(&k, "curl");
    s(&k, "-s");
    s(&k, "a \"quoted\" arg");
    s(&k, "cwd");
    file_map(&k, "/tmp", 041777);
    j = map_one(&k, INGEST_FORMAT_ECS, &text);
    is_str(j, "process.executable", "/usr/bin/curl");
    is_str(j, "process.name", "curl");
    is_str(j, "process.entity_id", "00000000000000bb");
    is_int(j, "process.parent.pid", 1);
    is_int(j, "process.args_count", 3);
    is_str(j, "process.args.2", "a \"quoted\" arg");
    is_str(j, "process.command_line", "curl -s a \"quoted\" arg");
    is_str(j, "process.working_directory", "/tmp");
    is_str(j, "estel.actor.executable.path", "/bin/zsh");
    is_str(j, "event.type.0", "start");
    check_complete(&k, text);
    json_decref(j);
    free(text);
    j = map_one(&k, INGEST_FORMAT_OCSF, &text);
    is_int(j, "class_uid", 1007);
    is_int(j, "activity_id", 1);
    is_str(j, "process.cmd_line", "curl -s a \"quoted\" arg");
    is_str(j, "actor.process.uid", "00000000000000aa");
    json_decref(j);
    free(text);
    msgpack_sbuffer_destroy(&k.sb);

    pk_init(&k);
    envelope(&k, "exit", 15, 1);
    kv_i(&k, "stat", 9);                    /* killed by SIGKILL */
    j = map_one(&k, INGEST_FORMAT_ECS, &text);
    is_int(j, "process.exit_code", 137);
    is_int(j, "estel.event.stat", 9);
    is_str(j, "event.type.0", "end");
    json_decref(j);
    free(text);
    msgpack_sbuffer_destroy(&k.sb);
}

static void
test_ingest_map_login_and_unknown(void **state)
{
    struct pk k;
    char *text;
    json_t *j;

    (void)state;
    pk_init(&k);
    envelope(&k, "openssh_login", 120, 4);
    msgpack_pack_str(&k.p, 7);
    msgpack_pack_str_body(&k.p, "success", 7);
    msgpack_pack_false(&k.p);
    kv_s(&k, "username", "alice");
    kv_i(&k, "uid", 501);
    kv_s(&k, "source_address", "192.0.2.7");
    j = map_one(&k, INGEST_FORMAT_ECS, &text);
    is_str(j, "event.category.0", "authentication");
    is_str(j, "event.outcome", "failure");
    is_str(j, "user.name", "alice");
    is_str(j, "user.id", "501");
    is_str(j, "source.address", "192.0.2.7");
    check_complete(&k, text);
    json_decref(j);
    free(text);
    j = map_one(&k, INGEST_FORMAT_OCSF, &text);
    is_int(j, "class_uid", 3002);
    is_int(j, "activity_id", 1);
    is_int(j, "status_id", 2);
    is_str(j, "src_endpoint.ip", "192.0.2.7");
    json_decref(j);
    free(text);
    msgpack_sbuffer_destroy(&k.sb);

    /* a type this ingest does not know: generic, nothing lost */
    pk_init(&k);
    envelope(&k, "brand_new_event", 400, 2);
    kv_s(&k, "whatever", "x\x01y\xff");
    s(&k, "nested");
    msgpack_pack_map(&k.p, 1);
    kv_i(&k, "deep", -5);
    j = map_one(&k, INGEST_FORMAT_ECS, &text);
    is_str(j, "event.action", "brand_new_event");
    is_str(j, "estel.event.whatever", "x\x01y\xef\xbf\xbd");
    is_int(j, "estel.event.nested.deep", -5);
    is_int(j, "estel.es_event_type", 400);
    assert_null(at(j, "event.category"));
    json_decref(j);
    free(text);
    j = map_one(&k, INGEST_FORMAT_OCSF, &text);
    is_int(j, "class_uid", 0);
    is_int(j, "activity_id", 99);
    is_int(j, "unmapped.event.nested.deep", -5);
    json_decref(j);
    free(text);
    msgpack_sbuffer_destroy(&k.sb);
}

static void
test_ingest_map_gap_and_status(void **state)
{
    struct record_identity id = { "host-u", "boot-u" };
    struct record_limits lim = { 1024, 16, false };
    struct record_encoder *enc = NULL;
    struct ev_field f[2] = {
        { .key = "count", .kind = EV_UINT, .v.u = 12 },
        { .key = "reason", .kind = EV_STR, .v.s = { "ring_full", 9 } },
    };
    struct estel_buf out;
    const uint8_t *rec;
    size_t len;
    json_t *j;

    (void)state;
    assert_int_equal(record_encoder_create(&enc, &id, &lim, NULL), ESTEL_OK);
    assert_int_equal(record_encode_collector(enc, "gap", 5, NOW_NS, f, 2,
                                             &rec, &len), ESTEL_OK);
    buf_init(&out, 0);
    assert_int_equal(ingest_map_record(INGEST_FORMAT_ECS, rec, len, NOW_NS,
                                       &out, NULL), ESTEL_OK);
    buf_terminate(&out);
    j = json_loads(out.data, 0, NULL);
    assert_non_null(j);
    is_str(j, "event.kind", "pipeline_error");
    is_str(j, "event.dataset", "estel.gap");
    is_str(j, "error.code", "ring_full");
    is_int(j, "estel.gap.count", 12);
    is_int(j, "event.sequence", 5);
    json_decref(j);
    assert_int_equal(record_encode_collector(enc, "status", 6, NOW_NS, f, 1,
                                             &rec, &len), ESTEL_OK);
    buf_clear(&out);
    assert_int_equal(ingest_map_record(INGEST_FORMAT_OCSF, rec, len, NOW_NS,
                                       &out, NULL), ESTEL_OK);
    buf_terminate(&out);
    j = json_loads(out.data, 0, NULL);
    assert_non_null(j);
    is_int(j, "class_uid", 0);
    is_str(j, "metadata.log_name", "estel.status");
    is_int(j, "unmapped.status.count", 12);
    json_decref(j);
    buf_free(&out);
    record_encoder_destroy(&enc);
}

/* The table is binary searched: names from every part of it map. */
static void
test_ingest_map_event_table(void **state)
{
    static const struct { const char *ev; int ocsf, act; } t[] = {
        { "access", 1001, 8 }, { "authentication", 3002, 99 },
        { "chdir", 1007, 99 }, { "close", 1001, 99 }, { "create", 1001, 1 },
        { "exec", 1007, 1 }, { "fork", 1007, 1 }, { "kextload", 0, 99 },
        { "link", 1001, 1 }, { "login_logout", 3002, 2 },
        { "mount", 1001, 12 }, { "open", 1001, 14 },
        { "remote_thread_create", 1007, 4 }, { "setuid", 1007, 5 },
        { "su", 3002, 1 }, { "truncate", 1001, 3 }, { "unlink", 1001, 4 },
        { "write", 1001, 3 }, { "xpc_connect", 0, 99 },
        { "xp_malware_detected", 0, 99 },
    };
    char *text;

    (void)state;
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        struct pk k;
        json_t *j;

        pk_init(&k);
        envelope(&k, t[i].ev, -1, 0);
        j = map_one(&k, INGEST_FORMAT_OCSF, &text);
        if (json_integer_value(at(j, "class_uid")) != t[i].ocsf ||
            json_integer_value(at(j, "activity_id")) != t[i].act)
            fail_msg("%s: class %lld activity %lld", t[i].ev,
                     (long long)json_integer_value(at(j, "class_uid")),
                     (long long)json_integer_value(at(j, "activity_id")));
        json_decref(j);
        free(text);
        msgpack_sbuffer_destroy(&k.sb);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ingest_map_rename_new_path),
        cmocka_unit_test(test_ingest_map_exec_and_exit),
        cmocka_unit_test(test_ingest_map_login_and_unknown),
        cmocka_unit_test(test_ingest_map_gap_and_status),
        cmocka_unit_test(test_ingest_map_event_table),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
