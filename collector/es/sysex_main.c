/*
 * sysex_main.c - estel-sysex, the executable inside the Endpoint Security
 * system extension (deploy/macos/): the runtime of `estel run` with the es
 * source.  launchd starts it as root at boot and restarts it if it exits.
 *
 * The runtime (cli/runtime.c) owns the threads and waits for SIGTERM on
 * its own thread; the main thread parks in dispatch_main(), as a system
 * extension's should, so anything Apple schedules on the main queue runs.
 * When the runtime stops, its thread ends the process with the exit
 * status.  Off Apple (tests, demos) the same code runs against the fake ES
 * runtime, whose dispatch_main() just sleeps.
 */
#include "cli/runtime.h"
#include "common/log.h"

#include <curl/curl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dispatch/dispatch.h>

static void
usage(FILE *out)
{
    fprintf(out,
"usage: estel-sysex [--config FILE] [--managed FILE] [--spool DIR]\n"
"                   [--server URL]\n"
"\n"
"The Endpoint Security system extension: collects ES events into the\n"
"spool and uploads them.  launchd runs it as root; Full Disk Access is\n"
"required (deploy the PPPC profile from `estel profile`).\n");
}

static int
exit_code(enum estel_rc rc)
{
    if (rc == ESTEL_OK)
        return 0;
    return rc == ESTEL_E_USAGE || rc == ESTEL_E_CONFIG ? 2 : 1;
}

static int
parse(int argc, char **argv, struct runtime_options *opt)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' },
        { "managed", required_argument, NULL, 'm' },
        { "spool", required_argument, NULL, 'p' },
        { "server", required_argument, NULL, 'u' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    int ch;

    memset(opt, 0, sizeof(*opt));
    opt->source = "es";
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'c': opt->config_path = optarg; break;
        case 'm': opt->managed_path = optarg; break;
        case 'p': opt->spool_dir = optarg; break;
        case 'u': opt->server_url = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    return -1;
}

/* The runtime's thread: run until SIGTERM, then end the process (the
 * main thread never returns from dispatch_main). */
static void *
run_main(void *arg)
{
    struct estel_runtime *rt = arg;
    struct estel_err err = { 0 };
    enum estel_rc rc = runtime_run(rt, &err);

    if (rc != ESTEL_OK)
        log_error("%s", err.msg);
    runtime_destroy(&rt);
    curl_global_cleanup();
    exit(exit_code(rc));
}

int
main(int argc, char **argv)
{
    struct runtime_options opt;
    struct estel_runtime *rt = NULL;
    struct estel_err err = { 0 };
    const char *lvl = getenv("ESTEL_LOG_LEVEL");
    enum estel_rc rc;
    pthread_t thr;
    int status;

    if ((status = parse(argc, argv, &opt)) >= 0)
        return status;
    log_init(lvl != NULL && strcmp(lvl, "debug") == 0 ? LOG_LEVEL_DEBUG :
             LOG_LEVEL_INFO);
    signal(SIGPIPE, SIG_IGN);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        log_error("cannot initialise libcurl");
        return 1;
    }
    /* before any thread: every thread inherits the mask and only the
     * runtime's sigtimedwait() takes SIGTERM */
    runtime_block_signals();
    if ((rc = runtime_create(&rt, &opt, &err)) != ESTEL_OK) {
        log_error("%s", err.msg);
        curl_global_cleanup();
        return exit_code(rc);
    }
    if (pthread_create(&thr, NULL, run_main, rt) != 0) {
        log_error("cannot start the runtime thread");
        runtime_destroy(&rt);
        curl_global_cleanup();
        return 1;
    }
    dispatch_main();
}
