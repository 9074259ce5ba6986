/*
 * cmd_ingest.c - `estel ingest`: the server that receives batches and
 * writes NDJSON for the SIEM (ingest/ingest.h, docs/schema.md).  Runs in
 * the foreground until SIGINT or SIGTERM, then finishes the requests in
 * flight and closes the current output file.
 */
#include "cli/cli.h"
#include "common/log.h"
#include "config/config.h"
#include "ingest/ingest.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static void
ingest_usage(FILE *out)
{
    fprintf(out,
"usage: estel ingest [--config FILE] [--managed FILE] [--listen ADDR]\n"
"                    [--out DIR]\n"
"\n"
"  --config FILE  plist with the Ingest* keys (docs/configuration.md)\n"
"  --listen ADDR  overrides IngestListen: HOST:PORT, [IPv6]:PORT or\n"
"                 unix:/PATH (port 0 picks a free port; the address is\n"
"                 logged as \"listening on ADDR\")\n"
"  --out DIR      overrides IngestOutputDirectory\n"
"\n"
"Receives POST /v1/batches (docs/protocol.md) behind nginx, which\n"
"terminates mutual TLS (deploy/ingest/), or with direct TLS when\n"
"IngestTLSCertificate/IngestTLSKey/IngestTLSClientCA are set.  Writes\n"
"estel-*.ndjson files (ECS, or OCSF with IngestFormat ocsf).\n");
}

/*
 * --listen and --out go straight to ingest (which checks them when it
 * opens the socket and the directory) rather than through config_set:
 * a test or a demo wants port 0 and relative directories, which a
 * deployed configuration file has no use for.
 */
static enum estel_rc
configure(struct estel_config *cfg, const char *path, const char *managed,
          struct estel_err *err)
{
    enum estel_rc rc;

    if ((rc = config_defaults(cfg, err)) != ESTEL_OK ||
        (rc = config_load(cfg, path, managed, err)) != ESTEL_OK)
        return rc;
    return config_validate(cfg, err);
}

/* Wait for SIGINT/SIGTERM, ticking the server about once a second. */
static void
serve(struct ingest *in)
{
    struct timespec one = { 1, 0 };
    sigset_t set;
    int sig;

    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    for (;;) {
        sig = sigtimedwait(&set, NULL, &one);
        if (sig == SIGINT || sig == SIGTERM)
            break;
        if (sig == SIGHUP)
            log_info("ingest: SIGHUP ignored (restart to reload the "
                     "configuration)");
        ingest_tick(in);
    }
}

static void
summary(struct ingest *in)
{
    struct ingest_stats *s = ingest_stats(in);

    log_info("ingest: stopped: %" PRIu64 " requests, %" PRIu64 " batches "
             "stored (%" PRIu64 " records, %" PRIu64 " gap records), %"
             PRIu64 " duplicates, %" PRIu64 " rejected, %" PRIu64
             " unavailable",
             atomic_load(&s->requests), atomic_load(&s->batches_stored),
             atomic_load(&s->records_written), atomic_load(&s->gap_records),
             atomic_load(&s->batches_duplicate),
             atomic_load(&s->batches_rejected),
             atomic_load(&s->batches_unavailable));
}

int
cmd_ingest(int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' },
        { "managed", required_argument, NULL, 'm' },
        { "listen", required_argument, NULL, 'l' },
        { "out", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    const char *path = NULL, *managed = NULL, *listen = NULL, *out = NULL;
    struct estel_config cfg;
    struct ingest_config ic;
    struct ingest *in = NULL;
    struct estel_err err = { 0 };
    enum estel_rc rc;
    sigset_t set;
    int ch;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'c': path = optarg; break;
        case 'm': managed = optarg; break;
        case 'l': listen = optarg; break;
        case 'o': out = optarg; break;
        case 'h':
            ingest_usage(stdout);
            return 0;
        default:
            ingest_usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "estel ingest: unexpected argument '%s'\n",
                argv[optind]);
        return 2;
    }
    memset(&cfg, 0, sizeof(cfg));
    if ((rc = configure(&cfg, path, managed, &err)) != ESTEL_OK) {
        config_free(&cfg);
        fprintf(stderr, "estel: %s\n", err.msg);
        return cli_exit_code(rc);
    }
    /* block before any thread starts: the workers inherit the mask and
     * only serve() takes the signals */
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    ingest_config_from(&ic, &cfg);
    if (listen != NULL)
        ic.listen = listen;
    if (out != NULL)
        ic.out_dir = out;
    if ((rc = ingest_open(&in, &ic, &err)) == ESTEL_OK) {
        log_info("ingest: listening on %s, writing %s to %s",
                 ingest_address(in), ic.format == INGEST_FORMAT_OCSF ?
                 "OCSF" : "ECS", ic.out_dir);
        serve(in);
        log_info("ingest: stopping");
        ingest_stop(in);
        summary(in);
        ingest_close(&in);
    }
    config_free(&cfg);
    if (rc != ESTEL_OK) {
        fprintf(stderr, "estel: %s\n", err.msg);
        return cli_exit_code(rc);
    }
    return 0;
}
