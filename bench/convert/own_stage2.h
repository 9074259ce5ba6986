/*
 * own_stage2.h - an own second pass over simdjson's structural indexes,
 * measured beside simdjson's stage 2 (own_stage2.c says what and why).
 * Bench code: estel itself uses simdjson's DOM parser.
 */
#ifndef ESTEL_BENCH_OWN_STAGE2_H
#define ESTEL_BENCH_OWN_STAGE2_H

#include "collector/eslogger_json.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A string of the line, unescaped: in the line itself, or in scratch. */
struct own_string {
    const char *ptr;
    uint32_t len;
};

struct own_tape {
    uint64_t *tape;                 /* >= 2 * n + 2 words */
    struct own_string *strs;        /* >= n entries */
    uint32_t nstrs;                 /* out */
    char *scratch;                  /* >= len bytes */
    uint32_t *backslashes;          /* backslashes_cap entries */
    uint32_t backslashes_cap;       /* more backslashes: OWN_DECLINE */
};

enum own_rc { OWN_OK, OWN_DECLINE };

/*
 * buf[0..len), followed by ESL_JSON_PADDING readable bytes, whose stage 1
 * found the structural indexes idx[0..n).  OWN_DECLINE for every line
 * outside the accepted subset, invalid ones included.
 */
enum own_rc own_tape_build(const uint8_t *buf, uint32_t len,
                           const uint32_t *idx, uint32_t n,
                           struct own_tape *t);
/* The same pass reading no value: grammar and string ends only. */
enum own_rc own_walk(const uint8_t *buf, uint32_t len, const uint32_t *idx,
                     uint32_t n, struct own_tape *t);

#ifdef __cplusplus
}
#endif

#endif
