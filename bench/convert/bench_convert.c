/*
 * bench_convert.c - how fast eslogger JSON lines and synthetic events
 * become records, beside the JSON parsers weighed for the job, in one run
 * on one corpus (bench/convert/README.md explains the choice and keeps
 * the figures; run.sh makes the corpus and calls this).
 *
 *   estel_bench_convert CORPUS [--seconds S] [--rounds R] [--line-bytes N]
 *
 * Every figure is the best of R rounds (default 5) taking S seconds in all
 * (default 1): the box is shared, and the best round is the one least
 * disturbed.
 * "line" columns are one line of the corpus, the one nearest N bytes
 * (default 2400), parsed again and again; "corpus" columns go through all
 * lines in order.  Prints a markdown table.
 */
#include "candidates.h"
#include "collector/collector.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PAD ESLOGGER_PADDING             /* simdjson reads past a line */

struct corpus {
    char *text;                         /* the file, PAD zero bytes after */
    size_t bytes;
    size_t n;
    size_t *off, *len;
    size_t pick;                        /* the single line */
};

/* One measured operation: do line i (or, for synthetic, event i). */
typedef int op_fn(void *arg, size_t i);

struct bench {
    struct corpus c;
    double seconds;
    int rounds;
    struct eslogger_parser *parser;
    struct record_encoder *enc;
    struct synthetic_gen *gen;
    struct estel_event ev;
    char *scratch;                      /* a line copy for memcpy */
    const struct candidate *cand;
    void *cand_state;
    char checked[320];                  /* what candidate checks found */
};

static double
now_s(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int
load(struct corpus *c, const char *path, size_t want_bytes)
{
    FILE *fp = fopen(path, "rb");
    size_t cap = 1024, start = 0;
    long n;

    if (fp == NULL || fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) <= 0)
        return -1;
    rewind(fp);
    c->bytes = (size_t)n;
    c->text = calloc(c->bytes + PAD, 1);
    c->off = malloc(cap * sizeof(size_t));
    c->len = malloc(cap * sizeof(size_t));
    if (c->text == NULL || c->off == NULL || c->len == NULL ||
        fread(c->text, 1, c->bytes, fp) != c->bytes)
        return -1;
    fclose(fp);
    for (size_t i = 0; i < c->bytes; i++) {
        if (c->text[i] != '\n')
            continue;
        if (c->n == cap) {
            cap *= 2;
            c->off = realloc(c->off, cap * sizeof(size_t));
            c->len = realloc(c->len, cap * sizeof(size_t));
            if (c->off == NULL || c->len == NULL)
                return -1;
        }
        c->off[c->n] = start;
        c->len[c->n++] = i - start;
        start = i + 1;
    }
    for (size_t i = 0; i < c->n; i++)
        if (labs((long)c->len[i] - (long)want_bytes) <
            labs((long)c->len[c->pick] - (long)want_bytes))
            c->pick = i;
    return c->n > 0 ? 0 : -1;
}

/* Best of b->rounds of ns per call: op on the picked line again and again
 * (i = -1), or op over i = 0 .. n-1 in passes. */
static double
measure(struct bench *b, op_fn *op, void *arg, size_t n)
{
    double best = 1e30, t0, dt;
    size_t calls;

    for (int round = 0; round < b->rounds; round++) {
        calls = 0;
        t0 = now_s();
        do {
            for (size_t i = 0; i < (n != 0 ? n : 256); i++, calls++)
                if (op(arg, n != 0 ? i : (size_t)-1) != 0)
                    return -1.0;
        } while ((dt = now_s() - t0) < b->seconds / b->rounds);
        if (dt * 1e9 / (double)calls < best)
            best = dt * 1e9 / (double)calls;
    }
    return best;
}

/* ---- the operations ------------------------------------------------------ */

static size_t
which(const struct bench *b, size_t i)
{
    return i == (size_t)-1 ? b->c.pick : i;
}

static int
op_memcpy(void *arg, size_t i)
{
    struct bench *b = arg;

    i = which(b, i);
    memcpy(b->scratch, b->c.text + b->c.off[i], b->c.len[i]);
    __asm__ volatile("" : : "r"(b->scratch) : "memory");
    return 0;
}

static int
op_candidate(void *arg, size_t i)
{
    struct bench *b = arg;

    i = which(b, i);
    return b->cand->parse(b->cand_state, b->c.text + b->c.off[i],
                          b->c.len[i]);
}

/* As the reader hands lines over: in place, the bytes after a line (the
 * next lines, then PAD zero bytes) serving as simdjson's padding. */
static int
op_parse(void *arg, size_t i)
{
    struct bench *b = arg;

    i = which(b, i);
    return eslogger_parse_padded(b->parser, b->c.text + b->c.off[i],
                                 b->c.len[i], &b->ev, NULL) == ESTEL_OK ?
           0 : -1;
}

/* A line without padding: the parser copies it first. */
static int
op_parse_copy(void *arg, size_t i)
{
    struct bench *b = arg;

    i = which(b, i);
    return eslogger_parse_line(b->parser, b->c.text + b->c.off[i],
                               b->c.len[i], &b->ev, NULL) == ESTEL_OK ? 0 :
           -1;
}

static int
op_encode(void *arg, size_t i)
{
    struct bench *b = arg;
    const uint8_t *rec;
    size_t len;

    return record_encode_event(b->enc, &b->ev, i, &rec, &len) == ESTEL_OK ?
           0 : -1;
}

static int
op_parse_encode(void *arg, size_t i)
{
    return op_parse(arg, i) == 0 ? op_encode(arg, i) : -1;
}

static int
op_synthetic(void *arg, size_t i)
{
    struct bench *b = arg;

    (void)i;
    synthetic_next(b->gen, &b->ev);
    return 0;
}

static int
op_synthetic_encode(void *arg, size_t i)
{
    op_synthetic(arg, i);
    return op_encode(arg, i);
}

/*
 * Encoding alone, timed directly: the difference of two whole-loop
 * figures is at the mercy of a shared box.  Each event is made, then
 * encoded 8 times between two clock reads (~3 us against a 20 ns clock
 * read), as the source thread does right after making it.
 */
static double
measure_synthetic_encode(struct bench *b)
{
    double best = 1e30;

    for (int round = 0; round < b->rounds; round++) {
        double spent = 0, t0 = now_s();
        size_t calls = 0;

        do {
            for (size_t i = 0; i < 10000; i++) {
                double t;

                op_synthetic(b, i);
                t = now_s();
                for (int k = 0; k < 8; k++, calls++)
                    if (op_encode(b, i) != 0)
                        return -1.0;
                spent += now_s() - t;
            }
        } while (now_s() - t0 < b->seconds / b->rounds);
        if (spent * 1e9 / (double)calls < best)
            best = spent * 1e9 / (double)calls;
    }
    return best;
}

/* ---- the table ----------------------------------------------------------- */

static void
row(const struct bench *b, const char *what, double line_ns,
    double corpus_ns)
{
    char line[32] = "-", corpus[32] = "-", mbs[32] = "-", rate[32] = "-";

    if (line_ns > 0)
        snprintf(line, sizeof(line), "%.0f", line_ns);
    if (corpus_ns > 0) {
        snprintf(corpus, sizeof(corpus), "%.0f", corpus_ns);
        snprintf(mbs, sizeof(mbs), "%.0f", (double)b->c.bytes /
                 (double)b->c.n / corpus_ns * 1e3);
        snprintf(rate, sizeof(rate), "%.0f", 1e9 / corpus_ns);
    }
    printf("| %s | %s | %s | %s | %s |\n", what, line, corpus, mbs, rate);
}

/*
 * A candidate that can be checked against the reference parser is, on
 * every corpus line before it is timed: a figure for a parser that gets
 * lines wrong would mean nothing.  Exits on a difference.
 */
static void
check_candidate(struct bench *b, const struct candidate *c, void *state)
{
    size_t same = 0, declined = 0, n = strlen(b->checked);

    for (size_t i = 0; i < b->c.n; i++) {
        switch (c->check(state, b->c.text + b->c.off[i], b->c.len[i])) {
        case 0:
            same++;
            break;
        case 1:
            declined++;
            break;
        default:
            fprintf(stderr, "%s: line %zu: not the reference result\n",
                    c->name, i + 1);
            exit(1);
        }
    }
    snprintf(b->checked + n, sizeof(b->checked) - n, "%s: the same result "
             "as simdjson's DOM parser on %zu of %zu lines, %zu declined. ",
             c->name, same, b->c.n, declined);
    fprintf(stderr, "checked %s: %zu the same, %zu declined\n", c->name,
            same, declined);
}

static void
candidates_rows(struct bench *b)
{
    const struct candidate *const *c;
    char what[160];

    for (c = bench_candidates(); *c != NULL; c++) {
        b->cand = *c;
        if ((b->cand_state = (*c)->create(ESLOGGER_MAX_LINE)) == NULL) {
            fprintf(stderr, "%s: cannot create\n", (*c)->name);
            continue;
        }
        if ((*c)->check != NULL)
            check_candidate(b, *c, b->cand_state);
        snprintf(what, sizeof(what), "parse only: %s (%s)", (*c)->name,
                 (*c)->what);
        row(b, what, measure(b, op_candidate, b, 0),
            measure(b, op_candidate, b, b->c.n));
        (*c)->destroy(b->cand_state);
    }
}

/* The goal figures, from the estel rows. */
static void
estel_rows(struct bench *b)
{
    double parse_l, parse_c, copy_l, copy_c, enc_l, all_l, all_c, syn,
           syn_enc, enc_syn;

    parse_l = measure(b, op_parse, b, 0);
    parse_c = measure(b, op_parse, b, b->c.n);
    copy_l = measure(b, op_parse_copy, b, 0);
    copy_c = measure(b, op_parse_copy, b, b->c.n);
    op_parse(b, (size_t)-1);            /* ev = the picked line */
    enc_l = measure(b, op_encode, b, 0);
    all_l = measure(b, op_parse_encode, b, 0);
    all_c = measure(b, op_parse_encode, b, b->c.n);
    syn = measure(b, op_synthetic, b, 10000);
    syn_enc = measure(b, op_synthetic_encode, b, 10000);
    enc_syn = measure_synthetic_encode(b);
    if (parse_l < 0 || parse_c < 0 || all_c < 0) {
        fprintf(stderr, "estel could not parse the corpus\n");
        exit(1);
    }
    row(b, "**estel eslogger_parse_line** (simdjson + mapping; in place, "
        "as eslogger_parse_padded)", parse_l, parse_c);
    row(b, "estel eslogger_parse_line (unpadded: copies the line first)",
        copy_l, copy_c);
    row(b, "**estel record_encode_event** (the parsed line; corpus: "
        "difference)", enc_l, all_c - parse_c);
    row(b, "**estel eslogger JSON -> record** (parse + encode)", all_l,
        all_c);
    printf("| synthetic_next (per event) | - | %.0f | - | %.0f |\n", syn,
           1e9 / syn);
    printf("| **synthetic -> record** (per event) | - | %.0f | - | %.0f |\n",
           syn_enc, 1e9 / syn_enc);
    printf("| record encoding of synthetic events (timed alone) | - | %.0f "
           "| - | %.0f |\n", enc_syn, 1e9 / enc_syn);
    printf("\nGoals: %.0f B line -> record %.2f us (goal < 3 us): %s; "
           "record encoding %.0f ns/event on synthetic events, %.0f ns on "
           "the line (goal < 300 ns): %s.\n", (double)b->c.len[b->c.pick],
           all_l / 1e3, all_l < 3000 ? "met" : "NOT met", enc_syn,
           enc_l, enc_syn < 300 && enc_l < 300 ? "met" : "NOT met");
    if (b->checked[0] != '\0')
        printf("\nChecked: %s\n", b->checked);
}

static int
setup(struct bench *b, int argc, char **argv)
{
    struct record_identity id = { "0123456789abcdef0123456789abcdef",
                                  "fedcba9876543210fedcba9876543210" };
    struct record_limits lim = { 65536, 1024, false };
    size_t want = 2400;

    b->seconds = 1.0;
    b->rounds = 5;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--seconds") == 0)
            b->seconds = strtod(argv[i + 1], NULL);
        else if (strcmp(argv[i], "--rounds") == 0)
            b->rounds = (int)strtol(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--line-bytes") == 0)
            want = strtoul(argv[i + 1], NULL, 10);
    }
    if (b->seconds <= 0 || b->rounds < 1 ||
        load(&b->c, argv[1], want) != 0) {
        fprintf(stderr, "bench_convert: cannot read the corpus %s\n",
                argv[1]);
        return -1;
    }
    if ((b->scratch = malloc(ESLOGGER_MAX_LINE)) == NULL ||
        eslogger_parser_create(&b->parser, NULL) != ESTEL_OK ||
        record_encoder_create(&b->enc, &id, &lim, NULL) != ESTEL_OK ||
        synthetic_create(&b->gen, 1, NULL) != ESTEL_OK)
        return -1;
    return 0;
}

int
main(int argc, char **argv)
{
    static struct bench b;

    if (argc < 2 || argc % 2 != 0) {
        fprintf(stderr, "usage: estel_bench_convert CORPUS [--seconds S] "
                "[--rounds R] [--line-bytes N]\n");
        return 2;
    }
    if (setup(&b, argc, argv) != 0)
        return 1;
    printf("corpus: %zu lines, %zu bytes, mean %.0f B; single line: #%zu, "
           "%zu B; best of %d rounds\n\n", b.c.n, b.c.bytes,
           (double)b.c.bytes / (double)b.c.n, b.c.pick + 1,
           b.c.len[b.c.pick], b.rounds);
    printf("| conversion | ns, %zu B line | ns/line, corpus | MB/s of JSON, "
           "corpus | lines/s, corpus |\n|---|---:|---:|---:|---:|\n",
           b.c.len[b.c.pick]);
    row(&b, "memcpy of the line (floor)", measure(&b, op_memcpy, &b, 0),
        measure(&b, op_memcpy, &b, b.c.n));
    candidates_rows(&b);
    estel_rows(&b);
    eslogger_parser_destroy(&b.parser);
    record_encoder_destroy(&b.enc);
    synthetic_destroy(&b.gen);
    return 0;
}
