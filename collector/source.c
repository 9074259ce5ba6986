/*
 * source.c - the table of event sources (Fluent Bit's plugin-table shape).
 * Constant data only.
 */
#include "collector/collector.h"

#include <string.h>

extern const struct source_ops source_eslogger_ops;
extern const struct source_ops source_synthetic_ops;
#ifdef ESTEL_HAVE_ES
extern const struct source_ops source_es_ops;
#endif

static const struct source_ops *const sources[] = {
    &source_eslogger_ops,
    &source_synthetic_ops,
#ifdef ESTEL_HAVE_ES
    &source_es_ops,
#endif
};

const struct source_ops *
source_find(const char *name)
{
    for (size_t i = 0; i < sizeof(sources) / sizeof(sources[0]); i++)
        if (strcmp(sources[i]->name, name) == 0)
            return sources[i];
    return NULL;
}
