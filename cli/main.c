/*
 * main.c - estel's entry point: global set-up that must happen before any
 * thread starts (logging, libcurl, SIGPIPE), then one subcommand.
 */
#include "cli/cli.h"
#include "common/log.h"

#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    { "run", cmd_run, "collect events into the spool and upload them" },
    { "convert", cmd_convert, "turn eslogger JSON lines into records" },
    { "spool", cmd_spool, "inspect the spool: ls, cat, verify" },
    { "config", cmd_config, "check or show the effective configuration" },
    { "profile", cmd_profile, "generate the MDM .mobileconfig" },
    { "ingest", cmd_ingest, "the server side: receive batches for the SIEM" },
    { "status", cmd_status, "is the agent healthy?" },
    { "version", cmd_version, "print the version" },
};

static void
usage(FILE *out)
{
    fprintf(out, "usage: estel <command> [options]   (estel <command> "
            "--help)\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].summary);
}

int
cli_exit_code(enum estel_rc rc)
{
    switch (rc) {
    case ESTEL_OK:
        return 0;
    case ESTEL_E_USAGE:
    case ESTEL_E_CONFIG:
        return 2;
    default:
        return 1;
    }
}

int
main(int argc, char **argv)
{
    const char *lvl = getenv("ESTEL_LOG_LEVEL");
    int status;

    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0)
        return cmd_version(argc - 1, argv + 1);
    log_init(lvl != NULL && strcmp(lvl, "debug") == 0 ? LOG_LEVEL_DEBUG :
             LOG_LEVEL_INFO);
    /* a peer closing a socket must be an error code, not a dead agent */
    signal(SIGPIPE, SIG_IGN);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "estel: cannot initialise libcurl\n");
        return 1;
    }
    status = -1;
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            status = commands[i].fn(argc - 1, argv + 1);
    if (status == -1) {
        fprintf(stderr, "estel: unknown command '%s'\n", argv[1]);
        usage(stderr);
        status = 2;
    }
    curl_global_cleanup();
    return status;
}
