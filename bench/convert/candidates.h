/*
 * candidates.h - the JSON parsers weighed for the eslogger hot path, each
 * reduced to "parse one line and touch every value" so the bench compares
 * like with like (bench/convert/README.md has the figures and the choice).
 */
#ifndef ESTEL_BENCH_CANDIDATES_H
#define ESTEL_BENCH_CANDIDATES_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct candidate {
    const char *name;
    const char *what;
    void *(*create)(size_t max_line);
    /* 0 if the line parsed; the input is never modified.  The input has at
     * least 64 readable bytes after len (simdjson's padding). */
    int (*parse)(void *state, const char *line, size_t len);
    void (*destroy)(void *state);
    /* NULL, or: 0 if the candidate's result for the line is the reference
     * parser's, 1 if it declined the line, -1 if they differ */
    int (*check)(void *state, const char *line, size_t len);
};

/* NULL-terminated; only the libraries found at build time are listed. */
const struct candidate *const *bench_candidates(void);

extern const struct candidate cand_simdjson_dom;
extern const struct candidate cand_simdjson_ondemand;
extern const struct candidate cand_simdjson_stage1;
extern const struct candidate cand_own_walk;
extern const struct candidate cand_own_tape;
extern const struct candidate cand_jsonc;
extern const struct candidate cand_jansson;

#ifdef __cplusplus
}
#endif

#endif
