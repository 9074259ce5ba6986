/* ingest_check.c - assertions shared by the ingest tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/unit/ingest_check.h"

/*
 * Every leaf of the record (strings; integers as numbers, strings, or
 * RFC 3339 when they are ns times) is somewhere in the line.
 */
void
nothing_dropped(const char *text, const msgpack_object *o)
{
    char num[32];

    switch (o->type) {
    case MSGPACK_OBJECT_STR: {
        /* look for it as JSON writes it (escaped, without the quotes) */
        json_t *js = json_stringn(o->via.str.ptr, o->via.str.size);
        char *v = js != NULL ? json_dumps(js, JSON_ENCODE_ANY) : NULL;

        if (v != NULL) {
            v[strlen(v) - 1] = '\0';
            if (strstr(text, v + 1) == NULL)
                fail_msg("%s is not in %s", v, text);
        }
        free(v);
        json_decref(js);
        return;
    }
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
            snprintf(num, sizeof(num), "%" PRIu64, o->via.u64);
        else
            snprintf(num, sizeof(num), "%" PRId64, o->via.i64);
        /* ns times are written as RFC 3339 with all nine digits */
        if (strstr(text, num) == NULL &&
            !(strlen(num) == 19 && strstr(text, num + 10) != NULL))
            fail_msg("%s is not in %s", num, text);
        return;
    case MSGPACK_OBJECT_ARRAY:
        for (uint32_t i = 0; i < o->via.array.size; i++)
            nothing_dropped(text, &o->via.array.ptr[i]);
        return;
    case MSGPACK_OBJECT_MAP:
        for (uint32_t i = 0; i < o->via.map.size; i++)
            nothing_dropped(text, &o->via.map.ptr[i].val);
        return;
    default:
        return;
    }
}
