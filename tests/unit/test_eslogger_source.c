/*
 * test_eslogger_source.c - the eslogger line reader (bounded lines, huge
 * lines skipped as they stream past, line numbers) and the eslogger
 * source end to end: bad lines counted, unmodified CLOSE dropped, ES
 * sequence gaps turned into gap records, stop() ending a blocked read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "collector/collector.h"
#include "common/ring.h"
#include "config/config.h"

#ifndef ESTEL_TEST_DATA
#define ESTEL_TEST_DATA "tests/data/eslogger"
#endif

static const struct record_identity ident = { "hostA", "boot1" };

struct fix {
    struct estel_err err;
    char tmpdir[64];
};

static int
setup(void **state)
{
    struct fix *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    snprintf(f->tmpdir, sizeof(f->tmpdir), "/tmp/test_eslogger.XXXXXX");
    assert_non_null(mkdtemp(f->tmpdir));
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fix *f = *state;
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->tmpdir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

/* A data file, NUL-terminated, trailing newlines cut. */
static char *
data_file(const char *name, size_t *len)
{
    char path[512];
    FILE *fp;
    char *buf;
    long n;

    snprintf(path, sizeof(path), "%s/%s", ESTEL_TEST_DATA, name);
    if ((fp = fopen(path, "rb")) == NULL)
        fail_msg("cannot read %s", path);
    assert_int_equal(fseek(fp, 0, SEEK_END), 0);
    assert_true((n = ftell(fp)) >= 0);
    rewind(fp);
    assert_non_null(buf = malloc((size_t)n + 1));
    assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    while (n > 0 && buf[n - 1] == '\n')
        n--;
    buf[n] = '\0';
    *len = (size_t)n;
    return buf;
}

/* ---- the line reader ----------------------------------------------------- */

static char *
write_tmp(struct fix *f, const char *name, const char *text, size_t len)
{
    static char path[128];
    FILE *fp;

    snprintf(path, sizeof(path), "%s/%s", f->tmpdir, name);
    fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(text, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
    return path;
}

static void
test_eslogger_reader_lines_and_limits(void **state)
{
    struct fix *f = *state;
    struct eslogger_reader *r = NULL;
    const char text[] = "one\n\n0123456789ABCDEF\n0123456789ABCDEFG\n"
                        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ\nlast";
    char *path = write_tmp(f, "lines", text, sizeof(text) - 1), *line;
    uint64_t no = 0;
    size_t len;

    assert_int_equal(eslogger_reader_open(&r, path, 16, NULL), ESTEL_OK);
    assert_int_equal(eslogger_reader_next(r, &line, &len, &no, NULL),
                     ESTEL_OK);
    assert_true(len == 3 && memcmp(line, "one", 3) == 0 && no == 1);
    assert_int_equal(eslogger_reader_next(r, &line, &len, &no, NULL),
                     ESTEL_OK);
    assert_true(len == 0 && no == 2);
    assert_int_equal(eslogger_reader_next(r, &line, &len, &no, NULL),
                     ESTEL_OK);
    assert_true(len == 16 && no == 3);      /* exactly the limit */
    assert_int_equal(eslogger_reader_next(r, &line, &len, &no, NULL),
                     ESTEL_E_REJECTED);
    assert_int_equal(no, 4);
    assert_int_equal(eslogger_reader_next(r, &line, &len, &no, NULL),
                     ESTEL_E_REJECTED);
    assert_int_equal(no, 5);
    assert_int_equal(eslogger_reader_next(r, &line, &len, &no, NULL),
                     ESTEL_OK);
    assert_true(len == 4 && memcmp(line, "last", 4) == 0 && no == 6);
    assert_int_equal(eslogger_reader_next(r, &line, &len, &no, NULL),
                     ESTEL_E_EOF);
    eslogger_reader_close(&r);
    assert_null(r);
    assert_int_equal(eslogger_reader_open(&r, "/nonexistent/x", 16,
                                          &f->err), ESTEL_E_IO);
    assert_non_null(strstr(f->err.msg, "cannot open input /nonexistent/x"));
    assert_null(r);
}

/* A 10 MB line is skipped as it streams past, never held whole. */
static void
test_eslogger_reader_skips_huge_line(void **state)
{
    struct fix *f = *state;
    struct eslogger_reader *r = NULL;
    size_t big = 10u << 20, len;
    char *text = malloc(big + 16), *path, *line;
    uint64_t no = 0;

    assert_non_null(text);
    memset(text, 'x', big);
    memcpy(text + big, "\nafter\n", 7);
    path = write_tmp(f, "huge", text, big + 7);
    assert_int_equal(eslogger_reader_open(&r, path, ESLOGGER_MAX_LINE, NULL),
                     ESTEL_OK);
    assert_int_equal(eslogger_reader_next(r, &line, &len, &no, NULL),
                     ESTEL_E_REJECTED);
    assert_int_equal(no, 1);
    assert_int_equal(eslogger_reader_next(r, &line, &len, &no, NULL),
                     ESTEL_OK);
    assert_true(no == 2 && len == 5 && memcmp(line, "after", 5) == 0);
    assert_int_equal(eslogger_reader_next(r, &line, &len, &no, NULL),
                     ESTEL_E_EOF);
    eslogger_reader_close(&r);
    free(text);
}

/* ---- the source ---------------------------------------------------------- */

struct run {
    const struct source_ops *ops;
    void *ctx;
    struct collector *c;
    enum estel_rc rc;
};

static void *
run_thread(void *arg)
{
    struct run *r = arg;

    r->rc = r->ops->run(r->ctx, r->c, NULL);
    return NULL;
}

/* The "ev" names of the records in the ring, comma separated. */
static void
drain_names(struct ring *ring, char *out, size_t size)
{
    struct estel_buf b;
    const void *rec;
    size_t len, used, n = 0;
    const char *ev;

    buf_init(&b, 0);
    out[0] = '\0';
    while (ring_peek(ring, &rec, &len)) {
        buf_clear(&b);
        assert_int_equal(record_to_json(rec, len, &b, &used, NULL), ESTEL_OK);
        assert_int_equal(buf_terminate(&b), ESTEL_OK);
        ev = strstr(b.data, "\"ev\":\"");
        assert_non_null(ev);
        n += (size_t)snprintf(out + n, size - n, "%s%.*s", n ? "," : "",
                              (int)strcspn(ev + 6, "\""), ev + 6);
        ring_pop(ring);
    }
    buf_free(&b);
}

/* s with the first from replaced by to (malloc'd). */
static char *
replace(const char *s, const char *from, const char *to)
{
    const char *at = strstr(s, from);
    size_t n = strlen(s) - strlen(from) + strlen(to);
    char *out = malloc(n + 1);

    assert_non_null(at);
    assert_non_null(out);
    snprintf(out, n + 1, "%.*s%s%s", (int)(at - s), s, to,
             at + strlen(from));
    return out;
}

static void
test_eslogger_source_end_to_end(void **state)
{
    struct fix *f = *state;
    const struct source_ops *ops = source_find("eslogger");
    struct estel_config cfg;
    struct ring *ring = NULL;
    struct collector *c = NULL;
    struct collector_stats *st;
    struct estel_buf text;
    struct run r;
    size_t len, big = 10u << 20;
    char *exec = data_file("exec.json", &len), *close_, *later, *unmod;
    char *path, names[256];

    assert_non_null(ops);
    assert_string_equal(ops->name, "eslogger");
    close_ = data_file("close.json", &len);
    later = replace(close_, "\"global_seq_num\":102",
                    "\"global_seq_num\":150");
    unmod = replace(close_, "\"global_seq_num\":102",
                    "\"global_seq_num\":144");
    free(close_);
    close_ = unmod;
    unmod = replace(close_, "\"modified\":true", "\"modified\":false");
    buf_init(&text, 0);
    /* exec (gseq 143), not JSON, close modified=false (gseq 144, dropped),
     * a 10 MB line, a blank line, close (gseq 150: 145..149 lost) */
    assert_int_equal(buf_printf(&text, "%s\n{nope\n%s\n", exec, unmod),
                     ESTEL_OK);
    assert_int_equal(buf_reserve(&text, big + 1), ESTEL_OK);
    memset(text.data + text.len, 'x', big);
    text.len += big;
    assert_int_equal(buf_printf(&text, "\n\n%s", later), ESTEL_OK);
    path = write_tmp(f, "src.jsonl", text.data, text.len);

    assert_int_equal(config_defaults(&cfg, NULL), ESTEL_OK);
    assert_int_equal(ring_create(&ring, 1u << 20, NULL), ESTEL_OK);
    assert_int_equal(collector_create(&c, &cfg, ring, &ident, 1, false,
                                      NULL), ESTEL_OK);
    r.ops = ops;
    r.c = c;
    assert_int_equal(ops->open(&r.ctx, &cfg, path, 0, 0, NULL), ESTEL_OK);
    run_thread(&r);
    assert_int_equal(r.rc, ESTEL_OK);
    st = collector_stats(c);
    assert_int_equal(atomic_load(&st->bad_input), 2);
    assert_int_equal(atomic_load(&st->events_in), 3);
    assert_int_equal(atomic_load(&st->events_filtered), 1);
    assert_int_equal(atomic_load(&st->es_dropped), 5);
    assert_int_equal(atomic_load(&st->gaps_emitted), 1);
    drain_names(ring, names, sizeof(names));
    assert_string_equal(names, "exec,gap,close");
    ops->close(&r.ctx);
    assert_null(r.ctx);

    assert_int_equal(ops->open(&r.ctx, &cfg, NULL, 0, 0, &f->err),
                     ESTEL_E_USAGE);
    assert_non_null(strstr(f->err.msg, "--input"));
    collector_destroy(&c);
    ring_destroy(&ring);
    config_free(&cfg);
    buf_free(&text);
    free(exec);
    free(close_);
    free(unmod);
    free(later);
}

/* stop() ends a run() blocked on an idle pipe (eslogger | estel). */
static void
test_eslogger_source_stop_unblocks(void **state)
{
    struct fix *f = *state;
    const struct source_ops *ops = source_find("eslogger");
    struct estel_config cfg;
    struct ring *ring = NULL;
    struct run r;
    pthread_t th;
    char fifo[128];
    int wfd;

    snprintf(fifo, sizeof(fifo), "%s/fifo", f->tmpdir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    wfd = open(fifo, O_RDWR);               /* a writer that stays silent */
    assert_true(wfd >= 0);
    assert_int_equal(config_defaults(&cfg, NULL), ESTEL_OK);
    assert_int_equal(ring_create(&ring, 1u << 16, NULL), ESTEL_OK);
    assert_int_equal(collector_create(&r.c, &cfg, ring, &ident, 1, false,
                                      NULL), ESTEL_OK);
    r.ops = ops;
    assert_int_equal(ops->open(&r.ctx, &cfg, fifo, 0, 0, NULL), ESTEL_OK);
    assert_int_equal(pthread_create(&th, NULL, run_thread, &r), 0);
    usleep(50 * 1000);
    ops->stop(r.ctx);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(r.rc, ESTEL_OK);
    ops->close(&r.ctx);
    close(wfd);
    collector_destroy(&r.c);
    ring_destroy(&ring);
    config_free(&cfg);
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_eslogger_reader_lines_and_limits),
        T(test_eslogger_reader_skips_huge_line),
        T(test_eslogger_source_end_to_end),
        T(test_eslogger_source_stop_unblocks),
    };
#undef T

    return cmocka_run_group_tests(tests, NULL, NULL) != 0;
}
