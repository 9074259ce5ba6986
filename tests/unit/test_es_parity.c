/*
 * test_es_parity.c - one event, one record, whichever source saw it.
 *
 * For every real eslogger line in the shared data directory (ESTEL_SHARED_DATA
 * in the environment, else the ESTEL_SHARED_DATA_DIR compile definition;
 * the test skips when neither exists), rebuild the es_message_t eslogger
 * printed it from (parsed here with jansson, independently of the
 * eslogger source's own parser), run it through the ES converter, and
 * compare the encoded record byte for byte with the eslogger source's
 * record for the same line (eslogger_parse_line + record_encode_event).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "collector/es/fake/fake_msg.h"
#include "tests/unit/test_es_util.h"

#ifndef ESTEL_SHARED_DATA_DIR
#define ESTEL_SHARED_DATA_DIR ""
#endif

/* ---- JSON -> es_message_t ------------------------------------------------ */

static long long
num(const json_t *o, const char *k)
{
    return json_integer_value(json_object_get(o, k));
}

/* "2025-08-07T13:21:35.880814738Z" -> seconds and nanoseconds. */
static struct timespec
rfc3339(const char *s)
{
    struct tm tm;
    struct timespec ts = { 0, 0 };
    const char *frac;
    long scale = 100000000;

    memset(&tm, 0, sizeof(tm));
    if (sscanf(s, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
               &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
        fail_msg("bad time %s", s);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    ts.tv_sec = timegm(&tm);
    if ((frac = strchr(s, '.')) != NULL)
        for (frac++; *frac >= '0' && *frac <= '9'; frac++, scale /= 10)
            ts.tv_nsec += (*frac - '0') * scale;
    return ts;
}

static es_string_token_t
str_of(es_message_t *m, const json_t *v)
{
    es_string_token_t none = { 0, NULL };

    if (!json_is_string(v))
        return none;
    return fake_msg_bytes(m, json_string_value(v), json_string_length(v));
}

static void
token_of(const json_t *t, audit_token_t *out)
{
    static const char *const keys[8] = { "auid", "euid", "egid", "ruid",
                                         "rgid", "pid", "asid", "pidversion" };

    for (size_t i = 0; i < 8; i++)
        out->val[i] = (unsigned int)(json_is_array(t) ?
            json_integer_value(json_array_get(t, i)) : num(t, keys[i]));
}

static struct timespec
stat_time(const json_t *st, const char *k)
{
    return rfc3339(json_string_value(json_object_get(st, k)));
}

static es_file_t *
file_of(es_message_t *m, const json_t *f)
{
    const json_t *st = json_object_get(f, "stat");
    es_file_t *out;

    if (!json_is_object(f))
        return NULL;
    out = fake_msg_alloc(m, sizeof(*out));
    out->path = str_of(m, json_object_get(f, "path"));
    out->path_truncated = json_is_true(json_object_get(f, "path_truncated"));
    out->stat.st_dev = (int32_t)num(st, "st_dev");
    out->stat.st_mode = (uint16_t)num(st, "st_mode");
    out->stat.st_nlink = (uint16_t)num(st, "st_nlink");
    out->stat.st_ino = (uint64_t)num(st, "st_ino");
    out->stat.st_uid = (uid_t)num(st, "st_uid");
    out->stat.st_gid = (gid_t)num(st, "st_gid");
    out->stat.st_rdev = (int32_t)num(st, "st_rdev");
    out->stat.st_atimespec = stat_time(st, "st_atimespec");
    out->stat.st_mtimespec = stat_time(st, "st_mtimespec");
    out->stat.st_ctimespec = stat_time(st, "st_ctimespec");
    out->stat.st_birthtimespec = stat_time(st, "st_birthtimespec");
    out->stat.st_size = num(st, "st_size");
    out->stat.st_blocks = num(st, "st_blocks");
    out->stat.st_blksize = (int32_t)num(st, "st_blksize");
    out->stat.st_flags = (uint32_t)num(st, "st_flags");
    out->stat.st_gen = (uint32_t)num(st, "st_gen");
    return out;
}

static void
cdhash_of(const char *hex, uint8_t out[20])
{
    for (size_t i = 0; i < 20 && hex != NULL && hex[2 * i] != '\0'; i++)
        sscanf(hex + 2 * i, "%2hhx", &out[i]);
}

static es_process_t *
proc_of(es_message_t *m, const json_t *p)
{
    es_process_t *out;
    struct timespec st;

    if (!json_is_object(p))
        return NULL;
    out = fake_msg_alloc(m, sizeof(*out));
    token_of(json_object_get(p, "audit_token"), &out->audit_token);
    out->ppid = (pid_t)num(p, "ppid");
    out->original_ppid = (pid_t)num(p, "original_ppid");
    out->group_id = (pid_t)num(p, "group_id");
    out->session_id = (pid_t)num(p, "session_id");
    out->codesigning_flags = (uint32_t)num(p, "codesigning_flags");
    out->is_platform_binary = json_is_true(json_object_get(p,
                                                   "is_platform_binary"));
    out->is_es_client = json_is_true(json_object_get(p, "is_es_client"));
    cdhash_of(json_string_value(json_object_get(p, "cdhash")), out->cdhash);
    out->signing_id = str_of(m, json_object_get(p, "signing_id"));
    out->team_id = str_of(m, json_object_get(p, "team_id"));
    out->executable = file_of(m, json_object_get(p, "executable"));
    out->tty = file_of(m, json_object_get(p, "tty"));
    st = rfc3339(json_string_value(json_object_get(p, "start_time")));
    out->start_time.tv_sec = st.tv_sec;
    out->start_time.tv_usec = st.tv_nsec / 1000;
    token_of(json_object_get(p, "responsible_audit_token"),
             &out->responsible_audit_token);
    token_of(json_object_get(p, "parent_audit_token"),
             &out->parent_audit_token);
    out->cs_validation_category = (es_cs_validation_category_t)
        num(p, "cs_validation_category");
    return out;
}

static void
strs_of(es_message_t *m, const json_t *a, bool env)
{
    size_t i;
    const json_t *v;

    json_array_foreach(a, i, v) {
        const char *s = json_string_value(v);

        if (env)
            fake_msg_exec_env(m, &s, 1);
        else
            fake_msg_exec_arg_bytes(m, s, json_string_length(v));
    }
}

static void
exec_of(es_message_t *m, const json_t *e)
{
    es_event_exec_t *x = &m->event.exec;
    const json_t *fd;
    size_t i;

    x->target = proc_of(m, json_object_get(e, "target"));
    x->dyld_exec_path = str_of(m, json_object_get(e, "dyld_exec_path"));
    x->script = file_of(m, json_object_get(e, "script"));
    x->cwd = file_of(m, json_object_get(e, "cwd"));
    x->last_fd = (int)num(e, "last_fd");
    x->image_cputype = (cpu_type_t)num(e, "image_cputype");
    x->image_cpusubtype = (cpu_subtype_t)num(e, "image_cpusubtype");
    strs_of(m, json_object_get(e, "args"), false);
    strs_of(m, json_object_get(e, "env"), true);
    json_array_foreach(json_object_get(e, "fds"), i, fd)
        fake_msg_exec_fd(m, (int32_t)num(fd, "fd"), (uint32_t)num(fd,
                                                                  "fdtype"));
}

/* The es_message_t an eslogger line was printed from (exec/fork/exit, the
 * kinds the shared data holds). */
static es_message_t *
message_of(const json_t *j)
{
    es_message_t *m = fake_msg_new((es_event_type_t)num(j, "event_type"),
                                   (uint32_t)num(j, "version"));
    const json_t *ev = json_object_get(j, "event");
    const json_t *thr = json_object_get(j, "thread");

    m->time = rfc3339(json_string_value(json_object_get(j, "time")));
    m->mach_time = (uint64_t)num(j, "mach_time");
    m->seq_num = (uint64_t)num(j, "seq_num");
    m->global_seq_num = (uint64_t)num(j, "global_seq_num");
    m->thread = json_is_object(thr) ? m->thread : NULL;
    if (m->thread != NULL)
        m->thread->thread_id = (uint64_t)num(thr, "thread_id");
    m->action_type = (es_action_type_t)num(j, "action_type");
    m->process = proc_of(m, json_object_get(j, "process"));
    if (json_object_get(ev, "exec") != NULL)
        exec_of(m, json_object_get(ev, "exec"));
    else if (json_object_get(ev, "fork") != NULL)
        m->event.fork.child = proc_of(m, json_object_get(json_object_get(
            ev, "fork"), "child"));
    else if (json_object_get(ev, "exit") != NULL)
        m->event.exit.stat = (int)num(json_object_get(ev, "exit"), "stat");
    else
        fail_msg("no builder for this event: extend message_of()");
    return m;
}

/* ---- the comparison ------------------------------------------------------ */

static const char *
data_dir(void)
{
    const char *d = getenv("ESTEL_SHARED_DATA");

    return d != NULL && d[0] != '\0' ? d : ESTEL_SHARED_DATA_DIR;
}

static char *
read_line(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = calloc(1, 1 << 20);

    assert_non_null(f);
    assert_non_null(buf);
    *len = fread(buf, 1, (1 << 20) - 1, f);
    fclose(f);
    while (*len > 0 && (buf[*len - 1] == '\n' || buf[*len - 1] == '\r'))
        buf[--(*len)] = '\0';
    return buf;
}

static void
compare_line(const char *path, bool env)
{
    struct esu_conv f;
    struct eslogger_parser *p = NULL;
    static struct estel_event ev2;
    struct estel_buf a, b;
    uint8_t *es_rec;
    const uint8_t *rec;
    size_t len, es_len;
    char *line = read_line(path, &len);
    json_t *j = json_loads(line, 0, NULL);
    es_message_t *m;
    struct estel_err err = { 0 };

    assert_non_null(j);
    esu_conv_init(&f, 1024, 16384, env);
    m = message_of(j);
    (void)esu_json(&f, m);
    es_len = f.rec_len;
    es_rec = malloc(es_len);
    memcpy(es_rec, f.rec, es_len);
    assert_int_equal(eslogger_parser_create(&p, NULL), ESTEL_OK);
    if (eslogger_parse_line(p, line, len, &ev2, &err) != ESTEL_OK)
        fail_msg("%s: %s", path, err.msg);
    assert_int_equal(record_encode_event(f.enc, &ev2, 1, &rec, &len),
                     ESTEL_OK);
    if (len != es_len || memcmp(rec, es_rec, len) != 0) {
        buf_init(&a, 0);
        buf_init(&b, 0);
        fail_msg("%s (env %d): records differ\n es:       %s\n eslogger: %s",
                 path, env, esu_record_json(es_rec, es_len, &a),
                 esu_record_json(rec, len, &b));
    }
    eslogger_parser_destroy(&p);
    free(es_rec);
    fake_msg_free(m);
    json_decref(j);
    free(line);
    esu_conv_free(&f);
}

static void
test_es_parity_real_eslogger_lines(void **state)
{
    const char *dir = data_dir();
    DIR *d = dir[0] != '\0' ? opendir(dir) : NULL;
    struct dirent *de;
    char path[4096];
    int n = 0;

    (void)state;
    if (d == NULL)
        skip();
    while ((de = readdir(d)) != NULL) {
        size_t l = strlen(de->d_name);

        if (l < 6 || strcmp(de->d_name + l - 5, ".json") != 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        compare_line(path, false);
        compare_line(path, true);
        n++;
    }
    closedir(d);
    if (n == 0)
        skip();
    assert_int_equal(fake_msg_live(), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_es_parity_real_eslogger_lines),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
