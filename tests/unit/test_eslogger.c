/*
 * test_eslogger.c - eslogger JSON lines -> events -> records: the four
 * real lines (skipped without ESTEL_SHARED_DATA), a hand-written line for
 * every mapped event type (tests/data/eslogger/expect.tsv says what each
 * record must contain), and every class of bad input with its message
 * (bad/expect.tsv).  The line reader and the source: test_eslogger_source.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "collector/collector.h"
#include "collector/eslogger_int.h"     /* esl_parse_rfc3339 */

#ifndef ESTEL_TEST_DATA
#define ESTEL_TEST_DATA "tests/data/eslogger"
#endif

static const struct record_identity ident = { "hostA", "boot1" };

struct fix {
    struct eslogger_parser *p;
    struct record_encoder *enc;
    struct estel_event ev;
    struct estel_buf json;
    struct estel_err err;
};

static int
setup(void **state)
{
    struct record_limits lim = { 1u << 20, 100000, false };
    struct fix *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    assert_int_equal(eslogger_parser_create(&f->p, NULL), ESTEL_OK);
    assert_int_equal(record_encoder_create(&f->enc, &ident, &lim, NULL),
                     ESTEL_OK);
    buf_init(&f->json, 0);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fix *f = *state;

    eslogger_parser_destroy(&f->p);
    assert_null(f->p);
    record_encoder_destroy(&f->enc);
    buf_free(&f->json);
    free(f);
    return 0;
}

/* The whole file (NUL-terminated, trailing newlines cut), or NULL. */
static char *
slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    char *buf;
    long n;

    if (fp == NULL)
        return NULL;
    assert_int_equal(fseek(fp, 0, SEEK_END), 0);
    n = ftell(fp);
    assert_true(n >= 0);
    rewind(fp);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    while (n > 0 && buf[n - 1] == '\n')
        n--;
    buf[n] = '\0';
    *len = (size_t)n;
    return buf;
}

static char *
data_file(const char *name, size_t *len)
{
    char path[512];
    char *s;

    snprintf(path, sizeof(path), "%s/%s", ESTEL_TEST_DATA, name);
    s = slurp(path, len);
    if (s == NULL)
        fail_msg("cannot read %s", path);
    return s;
}

/* A real eslogger line, or NULL (the test is then skipped). */
static char *
shared_file(const char *name, size_t *len)
{
    const char *dir = getenv("ESTEL_SHARED_DATA");
    char path[512];

    if (dir == NULL || dir[0] == '\0')
        return NULL;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return slurp(path, len);
}

static enum estel_rc
parse(struct fix *f, char *line, size_t len)
{
    estel_err_clear(&f->err);
    return eslogger_parse_line(f->p, line, len, &f->ev, &f->err);
}

/* Encode f->ev and print it as JSON (valid until the next call). */
static const char *
record_json(struct fix *f)
{
    const uint8_t *rec;
    size_t len, used;

    assert_int_equal(record_encode_event(f->enc, &f->ev, 1, &rec, &len),
                     ESTEL_OK);
    buf_clear(&f->json);
    assert_int_equal(record_to_json(rec, len, &f->json, &used, NULL),
                     ESTEL_OK);
    assert_int_equal(used, len);
    assert_int_equal(buf_terminate(&f->json), ESTEL_OK);
    return f->json.data;
}

static const struct ev_field *
field(const struct estel_event *ev, const char *key)
{
    for (size_t i = 0; i < ev->nfields; i++)
        if (strcmp(ev->fields[i].key, key) == 0)
            return &ev->fields[i];
    fail_msg("no field %s", key);
    return NULL;
}

static bool
has_field(const struct estel_event *ev, const char *key)
{
    for (size_t i = 0; i < ev->nfields; i++)
        if (strcmp(ev->fields[i].key, key) == 0)
            return true;
    return false;
}

static void
assert_str(struct ev_str s, const char *want)
{
    assert_non_null(s.ptr);
    if (s.len != strlen(want) || memcmp(s.ptr, want, s.len) != 0)
        fail_msg("got \"%.*s\", want \"%s\"", (int)s.len, s.ptr, want);
}

static void
assert_token(const struct ev_token *t, uint32_t auid, uint32_t euid,
             uint32_t egid, uint32_t ruid, uint32_t rgid, int32_t pid,
             uint32_t asid, int32_t pidversion)
{
    assert_int_equal(t->auid, auid);
    assert_int_equal(t->euid, euid);
    assert_int_equal(t->egid, egid);
    assert_int_equal(t->ruid, ruid);
    assert_int_equal(t->rgid, rgid);
    assert_int_equal(t->pid, pid);
    assert_int_equal(t->asid, asid);
    assert_int_equal(t->pidversion, pidversion);
}

/* ---- the real lines ------------------------------------------------------ */

static void
test_eslogger_real_exec_v9(void **state)
{
    static const uint8_t cdhash[20] = {
        0x28, 0xCD, 0x2C, 0x75, 0x91, 0x32, 0xB0, 0x7D, 0x63, 0xC3,
        0xA2, 0xB3, 0x77, 0xAD, 0x44, 0x0A, 0x6C, 0x66, 0x09, 0x8E
    };
    struct fix *f = *state;
    const struct ev_process *p = &f->ev.process, *t;
    size_t len;
    char *line = shared_file("exec_v9_macos15.json", &len);

    if (line == NULL)
        skip();
    assert_int_equal(parse(f, line, len), ESTEL_OK);
    assert_int_equal(f->ev.type, 9);
    assert_int_equal(f->ev.version, 9);
    /* 2025-08-07T13:21:35.880814738Z */
    assert_int_equal(f->ev.time_ns, 1754572895880814738LL);
    assert_int_equal(f->ev.mach_time, 289350913517ULL);
    assert_true(f->ev.has_seq && f->ev.seq_num == 27);
    assert_true(f->ev.has_global_seq && f->ev.global_seq_num == 75);
    assert_true(f->ev.has_thread);
    assert_token(&p->token, 501, 501, 20, 501, 20, 97391, 100019, 149091);
    assert_int_equal(p->ppid, 58916);
    assert_int_equal(p->original_ppid, 58916);
    assert_int_equal(p->group_id, 97391);
    assert_int_equal(p->session_id, 58916);
    assert_int_equal(p->cs_flags, 570556931);
    assert_false(p->is_platform_binary);
    assert_str(p->signing_id, "nu-b9fb5b9dbba2e494");
    assert_null(p->team_id.ptr);            /* null -> absent */
    assert_true(p->has_cdhash);
    assert_memory_equal(p->cdhash, cdhash, sizeof(cdhash));
    assert_str(p->executable.path, "/bin/nu");
    assert_true(p->executable.has_stat);
    assert_int_equal(p->executable.stat.ino, 13982224);
    assert_int_equal(p->executable.stat.mode, 33133);
    assert_int_equal(p->executable.stat.gid, 80);
    /* st_mtimespec 2025-04-29T23:31:45.000000000Z */
    assert_int_equal(p->executable.stat.mtime_ns, 1745969505000000000LL);
    assert_true(p->has_tty);
    assert_str(p->tty.path, "/dev/ttys003");
    assert_int_equal(p->tty.stat.btime_ns, 0);    /* 1970-01-01 */
    assert_true(p->has_start_time);
    assert_int_equal(p->start_time_ns, 1754572895877422000LL);
    assert_true(p->has_parent_tokens);
    assert_token(&p->responsible, 501, 501, 20, 501, 20, 938, 100019, 2424);
    assert_token(&p->parent, 501, 501, 20, 501, 20, 58916, 100019, 87724);
    assert_false(p->has_cs_validation);     /* version 10 */

    t = field(&f->ev, "target")->v.proc;
    assert_int_equal(t->token.pid, 97391);
    assert_int_equal(t->token.pidversion, 149092);
    assert_str(t->signing_id, "connection_checker-04fde7bdb8bceee3");
    assert_str(t->executable.path, "/bin/connection-checker");
    assert_int_equal(field(&f->ev, "args")->v.strs.count, 1);
    assert_str(field(&f->ev, "args")->v.strs.items[0],
               "/bin/connection-checker");
    /* the environment is in the event; the encoder drops it by default */
    assert_str(field(&f->ev, "env")->v.strs.items[0], "FOO=bar");
    assert_str(field(&f->ev, "cwd")->v.file->path, "/bin/mullvadvpn-app");
    assert_false(has_field(&f->ev, "script"));    /* null */
    assert_str(field(&f->ev, "dyld_exec_path")->v.s,
               "/bin/connection-checker");
    assert_int_equal(field(&f->ev, "last_fd")->v.i, 9);
    assert_int_equal(field(&f->ev, "image_cputype")->v.i, 16777228);
    assert_int_equal(field(&f->ev, "image_cpusubtype")->v.i, 0);
    assert_string_equal(f->ev.fields[0].key, "target");
    assert_string_equal(f->ev.fields[1].key, "args");
    assert_string_equal(f->ev.fields[2].key, "env");
    assert_string_equal(f->ev.fields[3].key, "cwd");

    assert_non_null(strstr(record_json(f), "\"cdh\":\"28cd2c759132b07d63c3"
                                           "a2b377ad440a6c66098e\""));
    assert_null(strstr(f->json.data, "FOO=bar"));
    assert_non_null(strstr(f->json.data, "\"ev\":\"exec\""));
    free(line);
}

static void
test_eslogger_real_fork_v10_array_tokens(void **state)
{
    struct fix *f = *state;
    const struct ev_process *p = &f->ev.process, *c;
    size_t len;
    char *line = shared_file("fork_v10_macos26.json", &len);

    if (line == NULL)
        skip();
    assert_int_equal(parse(f, line, len), ESTEL_OK);
    assert_int_equal(f->ev.type, 11);
    assert_int_equal(f->ev.version, 10);
    assert_int_equal(f->ev.time_ns, 1753196941084030274LL);
    assert_true(f->ev.has_seq && f->ev.seq_num == 0);
    /* macOS 26 printed audit tokens as 8-integer arrays */
    assert_token(&p->token, 501, 501, 20, 501, 20, 19745, 100013, 35165);
    assert_true(p->has_cs_validation);
    assert_int_equal(p->cs_validation_category, 6);
    c = field(&f->ev, "child")->v.proc;
    assert_token(&c->token, 501, 501, 20, 501, 20, 21497, 100013, 38282);
    assert_true(c->has_parent_tokens);
    assert_token(&c->parent, 501, 501, 20, 501, 20, 19745, 100013, 35165);
    assert_str(c->team_id, "CKG9MXH72F");
    assert_str(c->signing_id, "net.mullvad.vpn");
    assert_str(c->executable.path,
               "/Applications/Mullvad VPN.app/Contents/MacOS/Mullvad VPN");
    assert_false(c->has_tty);
    assert_int_equal(c->start_time_ns, 1753196941083979000LL);
    assert_int_equal(c->cs_validation_category, 6);
    assert_non_null(strstr(record_json(f), "\"e\":{\"child\":{\"pid\":21497,"
                                           "\"pv\":38282,"));
    assert_non_null(strstr(f->json.data, "\"team\":\"CKG9MXH72F\""));
    free(line);
}

static void
test_eslogger_real_exit_v9(void **state)
{
    struct fix *f = *state;
    const struct ev_process *p = &f->ev.process;
    size_t len;
    char *line = shared_file("exit_v9_macos15.json", &len);

    if (line == NULL)
        skip();
    assert_int_equal(parse(f, line, len), ESTEL_OK);
    assert_int_equal(f->ev.type, 15);
    assert_int_equal(f->ev.time_ns, 1754579589811587464LL);
    assert_int_equal(f->ev.seq_num, 362);
    assert_int_equal(f->ev.global_seq_num, 1103);
    assert_token(&p->token, 4294967295u, 0, 0, 0, 0, 11221, 100017, 170692);
    assert_true(p->is_platform_binary);
    assert_str(p->signing_id, "com.apple.ipconfig");
    assert_str(p->executable.path, "/usr/sbin/ipconfig");   /* "\/" */
    assert_false(p->has_tty);
    assert_int_equal(field(&f->ev, "stat")->v.i, 0);
    assert_int_equal(f->ev.nfields, 1);
    assert_non_null(strstr(record_json(f), "\"e\":{\"stat\":0}"));
    free(line);
}

static void
test_eslogger_real_exec_v11(void **state)
{
    struct fix *f = *state;
    const struct ev_process *t;
    size_t len;
    char *line = shared_file("exec_v11_macos27beta.json", &len);

    if (line == NULL)
        skip();
    assert_int_equal(parse(f, line, len), ESTEL_OK);
    assert_int_equal(f->ev.version, 11);
    assert_null(f->ev.raw.ptr);             /* 11 is known: mapped */
    assert_int_equal(f->ev.process.token.auid, 4294967295u);
    assert_int_equal(f->ev.process.token.pidversion, 25188);
    t = field(&f->ev, "target")->v.proc;
    assert_int_equal(t->token.pidversion, 25189);
    assert_true(t->is_platform_binary);
    assert_str(t->signing_id, "com.apple.localizationswitcherd");
    assert_null(t->team_id.ptr);
    assert_int_equal(t->cs_validation_category, 1);
    assert_int_equal(field(&f->ev, "args")->v.strs.count, 1);
    assert_int_equal(field(&f->ev, "env")->v.strs.count, 11);
    assert_int_equal(field(&f->ev, "image_cpusubtype")->v.i, -2147483646);
    assert_false(has_field(&f->ev, "script"));
    assert_false(has_field(&f->ev, "entitlements"));
    assert_non_null(strstr(record_json(f), "\"mv\":11,"));
    free(line);
}

/* ---- hand-written lines -------------------------------------------------- */

/* The mapped event types; each must have a line under tests/data. */
static const char *const mapped[] = {
    "exec", "fork", "exit", "open", "close", "create", "rename", "unlink",
    "write", "truncate", "link", "setmode", "setowner", "setextattr",
    "signal", "mmap", "mount", "unmount", "kextload", "kextunload",
    "cs_invalidated", "uipc_connect", "btm_launch_item_add",
    "btm_launch_item_remove", "authentication", "login_login",
    "login_logout", "lw_session_login", "lw_session_logout",
    "lw_session_lock", "lw_session_unlock", "openssh_login",
    "openssh_logout", "su", "sudo", "xp_malware_detected", "profile_add",
    "profile_remove", "tcc_modify", "xpc_connect",
    /* pre-macOS 13 events the ES source maps too */
    "exchangedata", "get_task", "setflags", "readlink", "lookup", "chdir",
    "access", "clone", "fcntl", "deleteextattr", "uipc_bind", "pty_grant",
    "proc_check", "proc_suspend_resume", "trace", "setreuid", "copyfile"
};
#define NMAPPED (sizeof(mapped) / sizeof(mapped[0]))

/* Check one FILE<TAB>FRAGMENT line of expect.tsv; mark the type seen. */
static void
check_expectation(struct fix *f, char *spec, bool *seen)
{
    char *tab = strchr(spec, '\t'), *line, *frag, ev_name[64];
    const char *json, *ev;
    bool negate;
    size_t len;

    assert_non_null(tab);
    *tab = '\0';
    frag = tab + 1;
    negate = frag[0] == '!';
    frag += negate;
    line = data_file(spec, &len);
    if (parse(f, line, len) != ESTEL_OK)
        fail_msg("%s: %s", spec, f->err.msg);
    json = record_json(f);
    if ((strstr(json, frag) == NULL) != negate)
        fail_msg("%s: record %s \"%s\":\n%s", spec, negate ?
                 "must not contain" : "lacks", frag, json);
    ev = strstr(json, "\"ev\":\"");
    assert_non_null(ev);
    snprintf(ev_name, sizeof(ev_name), "%.*s",
             (int)strcspn(ev + 6, "\""), ev + 6);
    for (size_t i = 0; i < NMAPPED; i++)
        if (strcmp(ev_name, mapped[i]) == 0 && f->ev.raw.ptr == NULL)
            seen[i] = true;
    free(line);
}

static void
test_eslogger_every_mapped_type(void **state)
{
    struct fix *f = *state;
    bool seen[NMAPPED] = { false };
    char *manifest, *spec, *next;
    size_t len, checked = 0;

    manifest = data_file("expect.tsv", &len);
    for (spec = manifest; spec != NULL && *spec != '\0'; spec = next) {
        next = strchr(spec, '\n');
        if (next != NULL)
            *next++ = '\0';
        if (spec[0] == '#' || spec[0] == '\0')
            continue;
        check_expectation(f, spec, seen);
        checked++;
    }
    assert_true(checked > 60);
    for (size_t i = 0; i < NMAPPED; i++)
        if (!seen[i])
            fail_msg("no hand-written line covers \"%s\"", mapped[i]);
    free(manifest);
}

/* Key order is free and audit tokens may be arrays: same record. */
static void
test_eslogger_shuffled_keys_same_record(void **state)
{
    struct fix *f = *state;
    char *a, *b, *ja;
    size_t la, lb;

    a = data_file("exec.json", &la);
    b = data_file("exec_shuffled.json", &lb);
    assert_int_equal(parse(f, a, la), ESTEL_OK);
    ja = strdup(record_json(f));
    assert_int_equal(parse(f, b, lb), ESTEL_OK);
    assert_string_equal(record_json(f), ja);
    assert_non_null(strstr(ja, "\"args\":[\"env\",\"-i\",\"A=1\""));
    free(ja);
    free(a);
    free(b);
}

static void
test_eslogger_generic_events(void **state)
{
    struct fix *f = *state;
    size_t len;
    char *line = data_file("unknown_type.json", &len);

    assert_int_equal(parse(f, line, len), ESTEL_OK);
    assert_int_equal(f->ev.type, 200);
    assert_str(f->ev.type_name, "future_thing");
    assert_str(f->ev.raw, "{\"answer\":42,\"list\":[1,\"two\",null,true,"
               "1.5],\"path\":\"/x\"}");
    assert_int_equal(f->ev.nfields, 0);
    assert_int_equal(f->ev.process.token.pid, 4242);
    free(line);
    line = data_file("newer_version.json", &len);
    assert_int_equal(parse(f, line, len), ESTEL_OK);
    assert_int_equal(f->ev.type, 10);
    assert_int_equal(f->ev.version, 99);
    assert_null(f->ev.type_name.ptr);       /* the table knows "open" */
    assert_non_null(f->ev.raw.ptr);
    free(line);
}

/* More argv items than the parser keeps: the first 4096 and the count. */
static void
test_eslogger_argv_over_capacity(void **state)
{
    struct fix *f = *state;
    struct estel_buf b;
    size_t len;
    char *line = data_file("exec.json", &len), *args;
    const struct ev_strs *s;

    buf_init(&b, 0);
    args = strstr(line, "\"args\":[");
    assert_non_null(args);
    assert_int_equal(buf_append(&b, line, (size_t)(args - line) + 8),
                     ESTEL_OK);
    for (int i = 0; i < 5000; i++)
        assert_int_equal(buf_printf(&b, "%s\"a%d\"", i ? "," : "", i),
                         ESTEL_OK);
    args = strchr(args, ']');
    assert_int_equal(buf_append(&b, args, strlen(args)), ESTEL_OK);
    assert_int_equal(parse(f, b.data, b.len), ESTEL_OK);
    s = &field(&f->ev, "args")->v.strs;
    assert_int_equal(s->count, 5000);
    assert_int_equal(s->stored, 4096);
    assert_str(s->items[4095], "a4095");
    assert_non_null(strstr(record_json(f), "\"args_count\":5000"));
    buf_free(&b);
    free(line);
}

/* ---- bad input ----------------------------------------------------------- */

static void
check_bad(struct fix *f, const char *name, char *line, size_t len,
          const char *frag)
{
    if (parse(f, line, len) != ESTEL_E_CORRUPT)
        fail_msg("%s: parsed, but should fail with \"%s\"", name, frag);
    if (strstr(f->err.msg, frag) == NULL)
        fail_msg("%s: message \"%s\" lacks \"%s\"", name, f->err.msg, frag);
    assert_int_equal(f->err.rc, ESTEL_E_CORRUPT);
}

static void
test_eslogger_bad_lines(void **state)
{
    struct fix *f = *state;
    char *manifest, *spec, *next, *tab, *line, name[128];
    size_t len, n = 0;

    manifest = data_file("bad/expect.tsv", &len);
    for (spec = manifest; spec != NULL && *spec != '\0'; spec = next) {
        next = strchr(spec, '\n');
        if (next != NULL)
            *next++ = '\0';
        if (spec[0] == '#' || spec[0] == '\0')
            continue;
        tab = strchr(spec, '\t');
        assert_non_null(tab);
        *tab = '\0';
        snprintf(name, sizeof(name), "bad/%s", spec);
        line = data_file(name, &len);
        check_bad(f, name, line, len, tab + 1);
        free(line);
        n++;
    }
    assert_true(n >= 30);
    free(manifest);
}

/* Bytes a text fixture should not hold: made here from a good line. */
static void
test_eslogger_bad_bytes(void **state)
{
    struct fix *f = *state;
    size_t len;
    char *line = data_file("exit.json", &len), *copy, *sig, *big;
    const size_t big_len = 10u << 20;

    copy = malloc(len + 1);
    assert_non_null(copy);
    sig = strstr(line, "com.example.tool");
    assert_non_null(sig);
    memcpy(copy, line, len);
    copy[sig - line + 3] = (char)0xff;      /* invalid UTF-8 in a string */
    check_bad(f, "utf8", copy, len, "not valid UTF-8");
    memcpy(copy, line, len);
    copy[sig - line + 3] = (char)0xc3;      /* a sequence cut short */
    check_bad(f, "utf8 short", copy, len, "not valid UTF-8");
    memcpy(copy, line, len);
    copy[sig - line + 3] = '\x01';          /* raw control character */
    check_bad(f, "control", copy, len, "control character");
    check_bad(f, "empty", copy, 0, "empty line");
    check_bad(f, "blank", " \t ", 3, "empty line");
    check_bad(f, "truncated", line, len / 2, "invalid JSON");
    check_bad(f, "trailing garbage", "{} x", 4, "invalid JSON");
    /* a 10 MB line straight to the parser */
    big = malloc(big_len);
    assert_non_null(big);
    memset(big, ' ', big_len);
    memcpy(big, line, len);
    check_bad(f, "10 MB", big, big_len, "over the 4194304 byte limit");
    /* the parser works again after all that */
    assert_int_equal(parse(f, line, len), ESTEL_OK);
    free(big);
    free(copy);
    free(line);
}

/* ---- RFC 3339 ------------------------------------------------------------ */

/*
 * esl_parse_time (what the parser uses: a fast path for eslogger's own
 * shape, months cached) must agree with esl_parse_rfc3339 on s, whatever
 * month the cache holds.  s is copied into a NUL-terminated 64-byte
 * buffer, as simdjson's string buffer holds it.
 */
static void
check_time_agrees(struct eslogger_parser *p, const char *s)
{
    static const char *const warm[] = {
        "2025-08-01T00:00:00.000000000Z", "2024-02-01T00:00:00.000000Z",
        "1970-01-01T00:00:00Z"
    };
    char buf[64] = { 0 };
    size_t n = strlen(s);
    int64_t want = 0, got = 0, unused;
    bool ok;

    assert_true(n < sizeof(buf));
    memcpy(buf, s, n);
    ok = esl_parse_rfc3339(s, n, &want);
    for (size_t w = 0; w < sizeof(warm) / sizeof(warm[0]); w++) {
        assert_true(esl_parse_time(p, warm[w], strlen(warm[w]), &unused));
        for (int again = 0; again < 2; again++) {
            if (esl_parse_time(p, buf, n, &got) != ok)
                fail_msg("%s: esl_parse_time says %s", s, ok ? "bad" : "good");
            if (ok && got != want)
                fail_msg("%s: esl_parse_time %lld, want %lld", s,
                         (long long)got, (long long)want);
        }
    }
}

static void
test_eslogger_rfc3339(void **state)
{
    static const struct { const char *s; int64_t ns; } good[] = {
        { "1970-01-01T00:00:00Z", 0 },
        { "1970-01-01T00:00:00.000000001Z", 1 },
        { "2025-08-07T13:21:35.880814738Z", 1754572895880814738LL },
        { "2025-08-07T13:21:35.877422Z", 1754572895877422000LL },
        { "2025-08-07t13:21:35.8z", 1754572895800000000LL },
        { "2025-08-07T15:21:35.880814738+02:00", 1754572895880814738LL },
        { "2025-08-07T08:51:35.880814738-04:30", 1754572895880814738LL },
        { "2024-02-29T00:00:00Z", 1709164800000000000LL },
        { "2000-03-01T00:00:00Z", 951868800000000000LL },
        { "1969-12-31T23:59:59.5Z", -500000000LL },
        { "2262-04-11T23:47:16.854775807Z", INT64_MAX },
    };
    static const char *const bad[] = {
        "", "2025-08-07", "2025-08-07T13:21:35", "2025-08-07 13:21:35Z",
        "2025-13-07T13:21:35Z", "2025-00-07T13:21:35Z",
        "2025-02-29T00:00:00Z", "1900-02-29T00:00:00Z",
        "2025-04-31T00:00:00Z", "2025-08-07T24:00:00Z",
        "2025-08-07T13:60:00Z", "2025-08-07T13:21:61Z",
        "2025-08-07T13:21:35.Z", "2025-08-07T13:21:35.1234567890Z",
        "2025-08-07T13:21:35+0200", "2025-08-07T13:21:35+24:00",
        "2025-08-07T13:21:35ZZ", "2025-8-07T13:21:35Z",
        "2262-04-11T23:47:16.854775808Z", "1677-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z", "+025-08-07T13:21:35Z",
    };
    /* eslogger's shape (30 or 27 bytes), good and bad */
    static const char *const shaped[] = {
        "2025-08-07T13:21:35.880814738Z", "2025-08-07T13:21:35.877422Z",
        "2024-02-29T23:59:60.999999999Z", "2025-02-29T00:00:00.000000000Z",
        "2025-02-28T00:00:00.000000Z", "2025-04-31T00:00:00.000000Z",
        "2025-12-31T24:00:00.000000000Z", "2025-12-31T23:60:00.000000000Z",
        "2025-12-31T23:59:61.000000000Z", "2025-00-01T00:00:00.000000000Z",
        "2025-13-01T00:00:00.000000000Z", "2025-08-00T00:00:00.000000000Z",
        "2025-08-07T13:21:35.88081473xZ", "2025-08-07T13:21:35.x80814738Z",
        "2025-08-07T13:21:35.8808147:8Z", "2025-08-07T13:21:35.87742/Z",
        "2025-08-07T13:21:35.87742:Z", "2025-08-07T13:21:35.877422z",
        "2025-08-07t13:21:35.877422Z", "2025/08-07T13:21:35.877422Z",
        "2025-08/07T13:21:35.877422Z", "20a5-08-07T13:21:35.877422Z",
        "2025-08-07T13:21:35,877422Z", "2025-08-07T13:21:35.8774221Z",
        "2262-04-11T23:47:16.854775807Z", "2262-04-11T23:47:16.854775808Z",
        "1677-09-21T00:12:43.145224192Z", "1677-09-21T00:12:43.145224191Z",
        "1677-09-21T00:12:43.145225Z", "9999-12-31T23:59:59.999999999Z",
    };
    struct eslogger_parser *p;
    int64_t ns;

    (void)state;
    assert_int_equal(eslogger_parser_create(&p, NULL), ESTEL_OK);
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        check_time_agrees(p, good[i].s);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        check_time_agrees(p, bad[i]);
    for (size_t i = 0; i < sizeof(shaped) / sizeof(shaped[0]); i++)
        check_time_agrees(p, shaped[i]);
    eslogger_parser_destroy(&p);
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        if (!esl_parse_rfc3339(good[i].s, strlen(good[i].s), &ns))
            fail_msg("rejected %s", good[i].s);
        if (ns != good[i].ns)
            fail_msg("%s: %lld, want %lld", good[i].s, (long long)ns,
                     (long long)good[i].ns);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (esl_parse_rfc3339(bad[i], strlen(bad[i]), &ns))
            fail_msg("accepted %s", bad[i]);
}

/* A line parsed in place (eslogger_parse_padded, padding of junk) gives
 * the same record, or the same message, as the copied line. */
static void
check_padded(struct fix *f, const char *name, const char *line, size_t len)
{
    char *pad = malloc(len + ESLOGGER_PADDING), *want;
    enum estel_rc rc;

    assert_non_null(pad);
    memcpy(pad, line, len);
    memset(pad + len, '"', ESLOGGER_PADDING);
    estel_err_clear(&f->err);
    rc = eslogger_parse_line(f->p, pad, len, &f->ev, &f->err);
    want = strdup(rc == ESTEL_OK ? record_json(f) : f->err.msg);
    assert_non_null(want);
    estel_err_clear(&f->err);
    if (eslogger_parse_padded(f->p, pad, len, &f->ev, &f->err) != rc)
        fail_msg("%s: padded parse returns another code", name);
    if (strcmp(rc == ESTEL_OK ? record_json(f) : f->err.msg, want) != 0)
        fail_msg("%s: padded parse differs: %s", name, want);
    free(want);
    free(pad);
}

static void
test_eslogger_padded_same(void **state)
{
    static const char *const names[] = {
        "exec.json", "exec_shuffled.json", "exit.json",
        "create_new_path.json", "authentication.json",
        "bad/truncated.json", "bad/invalid_json.json",
        "bad/bad_number.json", "bad/lone_surrogate.json",
        "bad/pid_range.json", "bad/duplicate_key.json"
    };
    struct fix *f = *state;
    char *line;
    size_t len;

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        line = data_file(names[i], &len);
        check_padded(f, names[i], line, len);
        /* every prefix of a short line: cut anywhere */
        if (i == 2)
            for (size_t cut = 0; cut < len; cut += 7)
                check_padded(f, "exit.json, cut", line, cut);
        free(line);
    }
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_eslogger_real_exec_v9),
        T(test_eslogger_real_fork_v10_array_tokens),
        T(test_eslogger_real_exit_v9),
        T(test_eslogger_real_exec_v11),
        T(test_eslogger_every_mapped_type),
        T(test_eslogger_shuffled_keys_same_record),
        T(test_eslogger_generic_events),
        T(test_eslogger_argv_over_capacity),
        T(test_eslogger_bad_lines),
        T(test_eslogger_bad_bytes),
        T(test_eslogger_rfc3339),
        T(test_eslogger_padded_same),
    };
#undef T

    return cmocka_run_group_tests(tests, NULL, NULL) != 0;
}
