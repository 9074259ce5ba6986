/*
 * cmd_missing.c - scaffolding while the subcommands are being written:
 * weak definitions that a real cmd_<name>.c replaces at link time.
 * TODO(issue 2): delete once every command exists.
 */
#include "cli/cli.h"

#include <stdio.h>

#define MISSING(name)                                                    \
    __attribute__((weak)) int                                            \
    cmd_##name(int argc, char **argv)                                    \
    {                                                                    \
        (void)argc;                                                      \
        (void)argv;                                                      \
        fprintf(stderr, "estel: '" #name "' is not built yet\n");        \
        return 1;                                                        \
    }

MISSING(convert)
MISSING(spool)
MISSING(config)
MISSING(profile)
MISSING(ingest)
MISSING(status)
