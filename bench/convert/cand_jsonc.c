/*
 * cand_jsonc.c - json-c as a candidate (its own file: json-c and jansson
 * both define json_object and json_type).
 */
#include "candidates.h"

#include <json-c/json.h>

/* ---- json-c -------------------------------------------------------------- */

static void *
jsonc_create(size_t max_line)
{
    (void)max_line;
    return json_tokener_new();
}

static int
jsonc_run(void *state, const char *line, size_t len)
{
    struct json_tokener *tok = state;
    struct json_object *o;

    json_tokener_reset(tok);
    o = json_tokener_parse_ex(tok, line, (int)len);
    if (o == NULL)
        return -1;
    json_object_put(o);
    return 0;
}

static void
jsonc_destroy(void *state)
{
    json_tokener_free(state);
}

const struct candidate cand_jsonc = {
    "json-c 0.16", "DOM, a malloc per value", jsonc_create, jsonc_run,
    jsonc_destroy, NULL
};
