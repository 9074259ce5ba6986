/*
 * test_ingest_store.c - what ingest keeps on disk: the NDJSON files
 * (append, cut back on a failed write or fsync, rotation, names, recovery
 * of a crashed .part file) and the dedupe log (remember, expire, survive
 * a restart and a torn line, compact).  write() and estel_fsync_file()
 * are wrapped (-Wl,--wrap) to fail on demand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ingest/ingest.h"

/* ---- fault injection ---------------------------------------------------- */

ssize_t __real_write(int fd, const void *buf, size_t n);
ssize_t __wrap_write(int fd, const void *buf, size_t n);
int __real_estel_fsync_file(int fd, bool full);
int __wrap_estel_fsync_file(int fd, bool full);

static int fail_write_errno;        /* 0: real writes */
static size_t fail_write_after;     /* bytes written before failing */
static int fail_fsync_errno;

ssize_t
__wrap_write(int fd, const void *buf, size_t n)
{
    if (fail_write_errno != 0) {
        if (fail_write_after > 0) {
            size_t k = fail_write_after < n ? fail_write_after : n;

            fail_write_after -= k;
            return __real_write(fd, buf, k);
        }
        errno = fail_write_errno;
        return -1;
    }
    return __real_write(fd, buf, n);
}

int
__wrap_estel_fsync_file(int fd, bool full)
{
    if (fail_fsync_errno != 0) {
        errno = fail_fsync_errno;
        return -1;
    }
    return __real_estel_fsync_file(fd, full);
}

/* ---- fixtures ------------------------------------------------------------ */

struct fx {
    char dir[64];
    int dirfd;
};

static int
setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));

    snprintf(f->dir, sizeof(f->dir), "/tmp/test_ingest_store.XXXXXX");
    if (f == NULL || mkdtemp(f->dir) == NULL)
        return -1;
    f->dirfd = open(f->dir, O_RDONLY | O_DIRECTORY);
    fail_write_errno = fail_fsync_errno = 0;
    fail_write_after = 0;
    *state = f;
    return f->dirfd < 0 ? -1 : 0;
}

static int
teardown(void **state)
{
    struct fx *f = *state;
    char cmd[128];

    close(f->dirfd);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
    if (system(cmd) != 0)
        return -1;
    free(f);
    return 0;
}

/* Names in the directory ending with suffix, counted; the first copied. */
static int
count_files(struct fx *f, const char *suffix, char *first, size_t size)
{
    DIR *d = opendir(f->dir);
    struct dirent *de;
    int n = 0;

    assert_non_null(d);
    while ((de = readdir(d)) != NULL) {
        size_t l = strlen(de->d_name), sl = strlen(suffix);

        if (l > sl && strcmp(de->d_name + l - sl, suffix) == 0) {
            if (n == 0 && first != NULL)
                snprintf(first, size, "%s", de->d_name);
            n++;
        }
    }
    closedir(d);
    return n;
}

static char *
slurp(struct fx *f, const char *name)
{
    char path[256], *buf = calloc(1, 65536);
    FILE *fp;

    snprintf(path, sizeof(path), "%s/%s", f->dir, name);
    fp = fopen(path, "r");
    assert_non_null(fp);
    (void)!fread(buf, 1, 65535, fp);
    fclose(fp);
    return buf;
}

/* ---- output files -------------------------------------------------------- */

static void
test_ingest_out_rotates_by_size(void **state)
{
    struct fx *f = *state;
    static const char pad[] = "{\"pad\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                              "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                              "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}\n";
    struct ingest_out *o = NULL;
    struct estel_err err = { 0 };
    char name[128];

    assert_int_equal(ingest_out_open(&o, f->dirfd, 100, 0, false, &err),
                     ESTEL_OK);
    assert_null(ingest_out_name(o));         /* no file until a write */
    assert_int_equal(ingest_out_append(o, "{\"a\":1}\n{\"a\":2}\n", 16, &err),
                     ESTEL_OK);
    assert_int_equal(ingest_out_sync(o, &err), ESTEL_OK);
    assert_int_equal(count_files(f, ".ndjson.part", name, sizeof(name)), 1);
    /* estel-YYYYmmddTHHMMSSZ-000001.ndjson.part */
    assert_int_equal(strlen(name), strlen("estel-20260101T000000Z-000001"
                                          ".ndjson.part"));
    assert_int_equal(strncmp(name + 22, "-000001.ndjson", 14), 0);
    assert_int_equal(name[14], 'T');
    assert_int_equal(name[21], 'Z');
    assert_int_equal(ingest_out_rotate(o, false, &err), ESTEL_OK);
    assert_int_equal(count_files(f, ".ndjson.part", NULL, 0), 1);
    assert_int_equal(ingest_out_append(o, pad, strlen(pad), &err),
                     ESTEL_OK);
    assert_int_equal(ingest_out_rotate(o, false, &err), ESTEL_OK);
    assert_int_equal(count_files(f, ".ndjson.part", NULL, 0), 0);
    assert_int_equal(count_files(f, ".ndjson", NULL, 0), 1);
    assert_int_equal(ingest_out_files_closed(o), 1);
    assert_int_equal(ingest_out_append(o, "{}\n", 3, &err), ESTEL_OK);
    assert_string_equal(ingest_out_name(o) + 22, "-000002.ndjson");
    ingest_out_close(&o);
    assert_null(o);
    assert_int_equal(count_files(f, ".ndjson", NULL, 0), 2);
}

static void
test_ingest_out_failed_write_is_cut_back(void **state)
{
    struct fx *f = *state;
    struct ingest_out *o = NULL;
    struct estel_err err = { 0 };
    char name[128], *text;

    assert_int_equal(ingest_out_open(&o, f->dirfd, 1 << 20, 0, false, &err),
                     ESTEL_OK);
    assert_int_equal(ingest_out_append(o, "{\"ok\":1}\n", 9, &err),
                     ESTEL_OK);
    fail_write_errno = ENOSPC;
    fail_write_after = 5;                   /* half a line, then full */
    assert_int_equal(ingest_out_append(o, "{\"half\":2}\n", 11, &err),
                     ESTEL_E_NOSPACE);
    assert_non_null(strstr(err.msg, "write"));
    assert_non_null(strstr(err.msg, "No space left on device"));
    assert_int_equal(ingest_out_size(o), 9);
    fail_write_errno = 0;
    assert_int_equal(ingest_out_append(o, "{\"ok\":3}\n", 9, &err),
                     ESTEL_OK);
    assert_int_equal(ingest_out_sync(o, &err), ESTEL_OK);
    assert_int_equal(count_files(f, ".ndjson.part", name, sizeof(name)), 1);
    text = slurp(f, name);
    assert_string_equal(text, "{\"ok\":1}\n{\"ok\":3}\n");
    free(text);
    ingest_out_close(&o);
}

static void
test_ingest_out_failed_fsync_starts_a_new_file(void **state)
{
    struct fx *f = *state;
    struct ingest_out *o = NULL;
    struct estel_err err = { 0 };
    char name[128], *text;

    assert_int_equal(ingest_out_open(&o, f->dirfd, 1 << 20, 0, false, &err),
                     ESTEL_OK);
    assert_int_equal(ingest_out_append(o, "{\"a\":1}\n", 8, &err), ESTEL_OK);
    assert_int_equal(ingest_out_sync(o, &err), ESTEL_OK);
    assert_int_equal(ingest_out_append(o, "{\"b\":2}\n", 8, &err), ESTEL_OK);
    fail_fsync_errno = EIO;
    estel_err_clear(&err);
    assert_int_equal(ingest_out_sync(o, &err), ESTEL_E_IO);
    assert_non_null(strstr(err.msg, "fsync"));
    fail_fsync_errno = 0;
    /* the failed file is closed with only what was durable ... */
    assert_int_equal(ingest_out_append(o, "{\"c\":3}\n", 8, &err), ESTEL_OK);
    assert_int_equal(ingest_out_sync(o, &err), ESTEL_OK);
    assert_int_equal(count_files(f, ".ndjson", name, sizeof(name)), 1);
    text = slurp(f, name);
    assert_string_equal(text, "{\"a\":1}\n");
    free(text);
    /* ... and the next batch went to a new one */
    assert_string_equal(ingest_out_name(o) + 22, "-000002.ndjson");
    ingest_out_close(&o);
}

static void
test_ingest_out_recovers_crashed_part(void **state)
{
    struct fx *f = *state;
    struct ingest_out *o = NULL;
    struct estel_err err = { 0 };
    char path[256], *text;
    FILE *fp;

    snprintf(path, sizeof(path), "%s/estel-20260101T000000Z-000007"
             ".ndjson.part", f->dir);
    fp = fopen(path, "w");
    fputs("{\"a\":1}\n{\"b\":2}\n{\"torn", fp);
    fclose(fp);
    snprintf(path, sizeof(path), "%s/estel-20260101T000001Z-000008"
             ".ndjson.part", f->dir);
    fp = fopen(path, "w");
    fputs("{\"only-torn", fp);
    fclose(fp);
    assert_int_equal(ingest_out_open(&o, f->dirfd, 1 << 20, 0, false, &err),
                     ESTEL_OK);
    assert_int_equal(count_files(f, ".part", NULL, 0), 0);
    assert_int_equal(count_files(f, ".ndjson", NULL, 0), 1);
    text = slurp(f, "estel-20260101T000000Z-000007.ndjson");
    assert_string_equal(text, "{\"a\":1}\n{\"b\":2}\n");
    free(text);
    /* numbering goes on after the highest seen */
    assert_int_equal(ingest_out_append(o, "{}\n", 3, &err), ESTEL_OK);
    assert_string_equal(ingest_out_name(o) + 22, "-000009.ndjson");
    ingest_out_close(&o);
}

/* ---- dedupe -------------------------------------------------------------- */

static void
test_ingest_dedupe_remembers_across_restarts(void **state)
{
    struct fx *f = *state;
    struct ingest_dedupe *d = NULL;
    struct estel_err err = { 0 };

    assert_int_equal(ingest_dedupe_open(&d, f->dirfd, 60, 1000, &err),
                     ESTEL_OK);
    assert_false(ingest_dedupe_has(d, "h1", "b1", 5, 1000));
    assert_int_equal(ingest_dedupe_add(d, "h1", "b1", 5, 1000, &err),
                     ESTEL_OK);
    assert_int_equal(ingest_dedupe_add(d, "h1", "b1", 1, 1000, &err),
                     ESTEL_OK);            /* out of order */
    assert_int_equal(ingest_dedupe_add(d, "h2", "b1", 5, 1000, &err),
                     ESTEL_OK);
    assert_int_equal(ingest_dedupe_sync(d, &err), ESTEL_OK);
    assert_true(ingest_dedupe_has(d, "h1", "b1", 5, 1000));
    assert_true(ingest_dedupe_has(d, "h1", "b1", 1, 1000));
    assert_false(ingest_dedupe_has(d, "h1", "b1", 3, 1000));
    assert_false(ingest_dedupe_has(d, "h1", "b2", 5, 1000));
    assert_false(ingest_dedupe_has(d, "h3", "b1", 5, 1000));
    assert_int_equal(ingest_dedupe_count(d), 3);
    ingest_dedupe_close(&d);
    assert_int_equal(ingest_dedupe_open(&d, f->dirfd, 60, 1030, &err),
                     ESTEL_OK);
    assert_true(ingest_dedupe_has(d, "h1", "b1", 5, 1030));
    assert_true(ingest_dedupe_has(d, "h2", "b1", 5, 1030));
    /* past the TTL it is forgotten, in memory and at the next open */
    assert_false(ingest_dedupe_has(d, "h1", "b1", 5, 1061));
    ingest_dedupe_close(&d);
    assert_int_equal(ingest_dedupe_open(&d, f->dirfd, 60, 1061, &err),
                     ESTEL_OK);
    assert_int_equal(ingest_dedupe_count(d), 0);
    ingest_dedupe_close(&d);
}

static void
test_ingest_dedupe_survives_a_torn_log(void **state)
{
    struct fx *f = *state;
    struct ingest_dedupe *d = NULL;
    struct estel_err err = { 0 };
    char path[256];
    FILE *fp;

    snprintf(path, sizeof(path), "%s/dedupe.log", f->dir);
    fp = fopen(path, "w");
    fputs("# estel ingest dedupe v1\n1000 h1 b1 10\ngarbage line\n"
          "1000 h1 b1 20\n1000 h1 b1 3", fp);  /* last line torn */
    fclose(fp);
    assert_int_equal(ingest_dedupe_open(&d, f->dirfd, 600, 1000, &err),
                     ESTEL_OK);
    assert_true(ingest_dedupe_has(d, "h1", "b1", 10, 1000));
    assert_true(ingest_dedupe_has(d, "h1", "b1", 20, 1000));
    assert_false(ingest_dedupe_has(d, "h1", "b1", 3, 1000));
    assert_int_equal(ingest_dedupe_count(d), 2);
    ingest_dedupe_close(&d);
}

static void
test_ingest_dedupe_log_write_error(void **state)
{
    struct fx *f = *state;
    struct ingest_dedupe *d = NULL;
    struct estel_err err = { 0 };

    assert_int_equal(ingest_dedupe_open(&d, f->dirfd, 600, 1000, &err),
                     ESTEL_OK);
    assert_int_equal(ingest_dedupe_add(d, "h1", "b1", 1, 1000, &err),
                     ESTEL_OK);
    fail_write_errno = EIO;
    assert_int_not_equal(ingest_dedupe_sync(d, &err), ESTEL_OK);
    assert_non_null(strstr(err.msg, "dedupe.log"));
    fail_write_errno = 0;
    /* still known in memory for this run */
    assert_true(ingest_dedupe_has(d, "h1", "b1", 1, 1000));
    ingest_dedupe_close(&d);
}

static void
test_ingest_dedupe_maintain_compacts(void **state)
{
    struct fx *f = *state;
    struct ingest_dedupe *d = NULL;
    struct estel_err err = { 0 };
    struct stat st;
    char path[256];

    assert_int_equal(ingest_dedupe_open(&d, f->dirfd, 60, 1000, &err),
                     ESTEL_OK);
    for (uint64_t i = 0; i < 10000; i++)
        assert_int_equal(ingest_dedupe_add(d, "host", "boot", i * 100, 1000,
                                           &err), ESTEL_OK);
    assert_int_equal(ingest_dedupe_add(d, "host", "boot", 5, 1050, &err),
                     ESTEL_OK);
    assert_int_equal(ingest_dedupe_sync(d, &err), ESTEL_OK);
    assert_int_equal(ingest_dedupe_count(d), 10001);
    assert_int_equal(ingest_dedupe_maintain(d, 1100, &err), ESTEL_OK);
    assert_int_equal(ingest_dedupe_count(d), 1);
    assert_true(ingest_dedupe_has(d, "host", "boot", 5, 1100));
    assert_false(ingest_dedupe_has(d, "host", "boot", 100, 1100));
    snprintf(path, sizeof(path), "%s/dedupe.log", f->dir);
    assert_int_equal(stat(path, &st), 0);
    assert_true(st.st_size < 100);          /* rewritten: header + 1 */
    ingest_dedupe_close(&d);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ingest_out_rotates_by_size,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_ingest_out_failed_write_is_cut_back, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_ingest_out_failed_fsync_starts_a_new_file, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_ingest_out_recovers_crashed_part, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_ingest_dedupe_remembers_across_restarts, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_ingest_dedupe_survives_a_torn_log, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_ingest_dedupe_log_write_error, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_ingest_dedupe_maintain_compacts, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
