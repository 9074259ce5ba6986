/*
 * fuzz_config.c - libFuzzer target for the configuration loader: any bytes
 * as a plist (XML or binary) laid over the defaults, then the cross-key
 * checks, the printer (credential masking) and the destructor.
 * Seeds: tests/fuzz/corpus/config/.  Problems are swallowed by a quiet
 * reporter so that a run is not dominated by writing log lines.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
quiet(void *ctx, bool is_error, const char *line)
{
    (void)ctx;
    (void)is_error;
    (void)line;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *devnull;           /* opened once: fopen per run is slow */
    struct estel_config cfg;
    struct estel_err err;

    estel_err_clear(&err);
    if (config_defaults(&cfg, &err) != ESTEL_OK)
        return 0;
    config_set_reporter(&cfg, quiet, NULL);
    /* errors are the expected outcome for most inputs */
    (void)config_load_buffer(&cfg, (const char *)data, size, "fuzz",
                             CONFIG_FROM_FILE, &err);
    estel_err_clear(&err);
    (void)config_validate(&cfg, &err);
    if (devnull == NULL)
        devnull = fopen("/dev/null", "w");
    if (devnull != NULL)
        config_print(&cfg, devnull);
    config_free(&cfg);
    return 0;
}
