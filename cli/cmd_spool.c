/*
 * cmd_spool.c - `estel spool ls|cat|verify [--spool DIR] [--config FILE]
 * [BATCH]`: look into a spool without disturbing it.
 *
 * The spool is opened in inspect mode: no lock, no tmp/ cleanup, nothing
 * moved to bad/, so the tools are safe next to a running agent (a batch
 * uploaded while we look is skipped, not an error).  BATCH is a file name
 * in ready/, or a path with a '/' (e.g. a file in bad/ or dead/), which is
 * then read directly.
 *
 *   ls      one line per batch (sequence range, records, sizes, age) and
 *           the totals; bad/ and dead/ sizes.
 *   cat     the records as JSON lines (record_to_json).
 *   verify  every check there is: header, frame hash, zstd checksum,
 *           records hash, then each record's msgpack structure, the record
 *           count and the sequence range.  Exit 0 only if all is well.
 */
#include "cli/cli.h"
#include "cli/runtime.h"
#include "collector/collector.h"
#include "common/platform.h"
#include "spool/spool.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FILE_MAX ((size_t)1 << 30)

enum verb { VERB_LS, VERB_CAT, VERB_VERIFY };

struct walk {
    enum verb verb;
    const char *only;               /* BATCH in ready/, or NULL */
    struct spool *sp;
    struct estel_buf frame;
    struct estel_buf raw;
    struct estel_buf json;
    int64_t now_ns;
    uint64_t batches, records, raw_bytes, file_bytes, problems;
    uint64_t first_seq, last_seq;
    int64_t oldest_ns;
};

static void
usage(FILE *out)
{
    fprintf(out,
"usage: estel spool ls|cat|verify [--spool DIR] [--config FILE] [BATCH]\n"
"\n"
"  ls       list the batches in ready/ with their sequence ranges, record\n"
"           counts, sizes and ages, then the totals\n"
"  cat      print the records as JSON lines (all batches, or BATCH)\n"
"  verify   check every batch completely; exit 0 only if all are good\n"
"  --spool DIR    the spool (default: SpoolDirectory)\n"
"  --config FILE  the configuration to take SpoolDirectory from\n"
"  BATCH          a file name in ready/, or a path to a batch file\n"
"                 anywhere (e.g. DIR/bad/NAME)\n"
"\n"
"The spool is only read: safe to run next to a running agent.\n");
}

static void
fmt_age(char *buf, size_t size, int64_t ns)
{
    int64_t s = ns > 0 ? ns / 1000000000 : 0;

    if (s < 120)
        snprintf(buf, size, "%" PRId64 "s", s);
    else if (s < 7200)
        snprintf(buf, size, "%" PRId64 "m", s / 60);
    else if (s < 172800)
        snprintf(buf, size, "%" PRId64 "h", s / 3600);
    else
        snprintf(buf, size, "%" PRId64 "d", s / 86400);
}

static void
problem(struct walk *w, const char *name, const char *msg)
{
    w->problems++;
    fprintf(stderr, "%s: %s\n", name, msg);
}

/* Walk the records of one verified batch: print (cat) or check them. */
static void
records(struct walk *w, const struct spool_batch_info *info)
{
    const uint8_t *p = (const uint8_t *)w->raw.data;
    uint64_t lo = UINT64_MAX, hi = 0, seq;
    struct estel_err err;
    uint32_t n = 0;
    char msg[700];
    size_t off = 0, used;

    while (off < w->raw.len) {
        estel_err_clear(&err);
        buf_clear(&w->json);
        if (w->verb == VERB_CAT)
            (void)record_to_json(p + off, w->raw.len - off, &w->json, &used,
                                 &err);     /* err tells */
        else
            (void)record_check(p + off, w->raw.len - off, &used, &err);
        if (err.rc != ESTEL_OK) {
            snprintf(msg, sizeof(msg), "record %" PRIu32 " (byte %zu): %s",
                     n, off, err.msg);
            problem(w, info->name, msg);
            return;
        }
        if (!spool_record_seq(p + off, used, &seq)) {
            snprintf(msg, sizeof(msg), "record %" PRIu32 " has no \"cs\" "
                     "sequence number", n);
            problem(w, info->name, msg);
            return;
        }
        lo = seq < lo ? seq : lo;
        hi = seq > hi ? seq : hi;
        if (w->verb == VERB_CAT) {
            (void)buf_putc(&w->json, '\n');     /* checked below */
            if (fwrite(w->json.data, 1, w->json.len, stdout) != w->json.len)
                return;
        }
        off += used;
        n++;
    }
    if (n != info->record_count || lo != info->first_seq ||
        hi != info->last_seq) {
        snprintf(msg, sizeof(msg), "header says %" PRIu32 " records, "
                 "sequence %" PRIu64 "-%" PRIu64 "; the payload holds %"
                 PRIu32 ", sequence %" PRIu64 "-%" PRIu64,
                 info->record_count, info->first_seq, info->last_seq, n,
                 lo, hi);
        problem(w, info->name, msg);
    }
}

static void
tally(struct walk *w, const struct spool_batch_info *info)
{
    if (w->batches == 0 || info->first_seq < w->first_seq)
        w->first_seq = info->first_seq;
    if (w->batches == 0 || info->last_seq > w->last_seq)
        w->last_seq = info->last_seq;
    if (w->oldest_ns == 0 || info->created_ns < w->oldest_ns)
        w->oldest_ns = info->created_ns;
    w->batches++;
    w->records += info->record_count;
    w->raw_bytes += info->raw_bytes;
    w->file_bytes += info->file_bytes;
}

static void
print_row(struct walk *w, const struct spool_batch_info *info,
          const char *trouble)
{
    char age[32];

    fmt_age(age, sizeof(age), w->now_ns - info->created_ns);
    if (trouble != NULL) {
        printf("%-56s %s\n", info->name, trouble);
        return;
    }
    printf("%-56s %12" PRIu64 " %12" PRIu64 " %7" PRIu32 " %10" PRIu64
           " %10" PRIu64 " %6s\n", info->name, info->first_seq,
           info->last_seq, info->record_count, info->raw_bytes,
           info->file_bytes, age);
}

static enum estel_rc
visit(void *ctx, const struct spool_batch_info *info, enum estel_rc check,
      const char *why)
{
    struct walk *w = ctx;
    struct spool_batch_info full;
    struct estel_err err;
    enum estel_rc rc;

    if (w->only != NULL && strcmp(info->name, w->only) != 0)
        return ESTEL_OK;
    if (check != ESTEL_OK) {
        problem(w, info->name, why);
        if (w->verb == VERB_LS)
            print_row(w, info, "BAD (see stderr)");
        return ESTEL_OK;
    }
    if (w->verb == VERB_LS) {
        print_row(w, info, NULL);
        tally(w, info);
        return ESTEL_OK;
    }
    estel_err_clear(&err);
    rc = spool_read(w->sp, info->name, &w->frame, &full, &err);
    if (rc == ESTEL_E_EOF)
        return ESTEL_OK;            /* uploaded while we looked */
    buf_clear(&w->raw);
    if (rc == ESTEL_OK)
        rc = spool_decompress(w->frame.data, w->frame.len, full.raw_bytes,
                              &w->raw, &err);
    if (rc != ESTEL_OK) {
        problem(w, info->name, err.msg);
        return ESTEL_OK;
    }
    tally(w, &full);
    records(w, &full);
    return ESTEL_OK;
}

static bool
read_file(int fd, char *buf, size_t len)
{
    size_t done = 0;

    while (done < len) {
        ssize_t n = read(fd, buf + done, len - done);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        done += (size_t)n;
    }
    return true;
}

/* BATCH given as a path: read and check the file itself. */
static void
one_file(struct walk *w, const char *path)
{
    struct spool_batch_info info;
    struct estel_err err;
    struct stat st;
    const char *base = strrchr(path, '/') + 1;
    int fd;

    estel_err_clear(&err);
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        (size_t)st.st_size > FILE_MAX ||
        buf_reserve(&w->frame, (size_t)st.st_size) != ESTEL_OK ||
        !read_file(fd, w->frame.data, (size_t)st.st_size)) {
        problem(w, path, fd < 0 ? strerror(errno) : "cannot read it as a "
                "regular file");
        if (fd >= 0)
            close(fd);
        return;
    }
    close(fd);
    buf_clear(&w->raw);
    if (spool_verify_file(w->frame.data, (size_t)st.st_size, &info, &w->raw,
                          &err) != ESTEL_OK) {
        problem(w, path, err.msg);
        return;
    }
    snprintf(info.name, sizeof(info.name), "%s", base);
    tally(w, &info);
    if (w->verb == VERB_LS)
        print_row(w, &info, NULL);
    else
        records(w, &info);
}

static void
summary(const struct walk *w)
{
    char age[32];
    double ratio = w->file_bytes != 0 ? (double)w->raw_bytes /
                   (double)w->file_bytes : 0.0;
    struct spool_stats *st = w->sp != NULL ? spool_stats(w->sp) : NULL;

    fmt_age(age, sizeof(age), w->oldest_ns != 0 ? w->now_ns - w->oldest_ns :
            0);
    if (w->verb == VERB_CAT)
        return;
    fprintf(w->verb == VERB_LS ? stdout : stderr,
            "%" PRIu64 " batches, %" PRIu64 " records, %" PRIu64 " bytes on "
            "disk (%" PRIu64 " uncompressed, %.1fx), sequence %" PRIu64
            "-%" PRIu64 ", oldest %s\n", w->batches, w->records,
            w->file_bytes, w->raw_bytes, ratio, w->first_seq, w->last_seq,
            age);
    if (st != NULL && w->verb == VERB_LS)
        printf("bad/: %" PRIu64 " bytes, dead/: %" PRIu64 " bytes\n",
               atomic_load(&st->bad_bytes), atomic_load(&st->dead_bytes));
    if (w->verb == VERB_VERIFY)
        fprintf(stderr, w->problems == 0 ? "all good\n" :
                "%" PRIu64 " problem(s)\n", w->problems);
}

static void
header(const struct walk *w)
{
    if (w->verb == VERB_LS)
        printf("%-56s %12s %12s %7s %10s %10s %6s\n", "BATCH", "FIRST_SEQ",
               "LAST_SEQ", "RECORDS", "RAW", "FILE", "AGE");
}

static int
run(struct walk *w, const char *config, const char *dir, const char *batch)
{
    struct runtime_options opt;
    struct estel_config cfg;
    struct spool_config sc;
    struct estel_err err = { 0 };
    enum estel_rc rc;

    if (batch != NULL && strchr(batch, '/') != NULL) {
        header(w);
        one_file(w, batch);
        summary(w);
        return w->problems != 0;
    }
    memset(&opt, 0, sizeof(opt));
    memset(&cfg, 0, sizeof(cfg));
    opt.config_path = config;
    opt.spool_dir = dir;
    if ((rc = runtime_configure(&cfg, &opt, &err)) != ESTEL_OK)
        goto out;
    memset(&sc, 0, sizeof(sc));
    sc.dir = cfg.spool_dir;
    sc.inspect = true;
    if ((rc = spool_open(&w->sp, &sc, &err)) != ESTEL_OK)
        goto out;
    w->only = batch;
    header(w);
    rc = spool_foreach(w->sp, w->verb == VERB_VERIFY, visit, w, &err);
    if (rc == ESTEL_OK && batch != NULL && w->batches == 0 &&
        w->problems == 0)
        rc = estel_fail(&err, ESTEL_E_USAGE, "no batch %s in %s/ready",
                        batch, cfg.spool_dir);
    if (rc == ESTEL_OK)
        summary(w);
out:
    spool_close(&w->sp);
    config_free(&cfg);
    if (rc != ESTEL_OK) {
        fprintf(stderr, "estel: %s\n", err.msg);
        return cli_exit_code(rc);
    }
    return w->problems != 0;
}

int
cmd_spool(int argc, char **argv)
{
    static const struct option opts[] = {
        { "spool", required_argument, NULL, 'p' },
        { "config", required_argument, NULL, 'c' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    const char *dir = NULL, *config = NULL, *verb;
    struct walk w;
    int ch, status;

    memset(&w, 0, sizeof(w));
    optind = 1;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'p': dir = optarg; break;
        case 'c': config = optarg; break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind >= argc || argc - optind > 2) {
        usage(stderr);
        return 2;
    }
    verb = argv[optind];
    if (strcmp(verb, "ls") == 0)
        w.verb = VERB_LS;
    else if (strcmp(verb, "cat") == 0)
        w.verb = VERB_CAT;
    else if (strcmp(verb, "verify") == 0)
        w.verb = VERB_VERIFY;
    else {
        fprintf(stderr, "estel spool: unknown verb '%s'; use ls, cat or "
                "verify\n", verb);
        return 2;
    }
    buf_init(&w.frame, FILE_MAX + 1);
    buf_init(&w.raw, FILE_MAX);
    buf_init(&w.json, 0);
    w.now_ns = estel_now_realtime_ns();
    status = run(&w, config, dir, optind + 1 < argc ? argv[optind + 1] :
                 NULL);
    if (fflush(stdout) != 0 && status == 0)
        status = 1;                 /* e.g. a full pipe or disk */
    buf_free(&w.frame);
    buf_free(&w.raw);
    buf_free(&w.json);
    return status;
}
