/*
 * cand_jansson.c - jansson as a candidate (its own file: json-c and
 * jansson both define json_object and json_type).
 */
#include "candidates.h"

#include <jansson.h>
#include <stdlib.h>

/* ---- jansson ------------------------------------------------------------- */

static void *
jansson_create(size_t max_line)
{
    (void)max_line;
    return calloc(1, 1);
}

static int
jansson_run(void *state, const char *line, size_t len)
{
    json_error_t e;
    json_t *o;

    (void)state;
    if ((o = json_loadb(line, len, 0, &e)) == NULL)
        return -1;
    json_decref(o);
    return 0;
}

const struct candidate cand_jansson = {
    "jansson 2.14", "DOM, a malloc per value",
    jansson_create, jansson_run, free, NULL
};
