/*
 * cmd_status.c - `estel status [--config FILE] [--spool DIR] [--json]`: is
 * the agent healthy?  Reads <spool>/state/status.json, which the running
 * agent rewrites every few seconds (transport_write_state), checks that its
 * pid is alive, and prints a verdict line a person can act on, then the
 * details:
 *
 *   status: degraded (why: the server refuses our client certificate
 *           (HTTP 403) for 2h 5m; oldest unsent batch 2h 10m old)
 *
 * Exit 0 healthy, 1 degraded or not running, 2 usage or configuration.
 * Read-only: safe next to the running agent.
 */
#include "cli/cli.h"
#include "cli/runtime.h"
#include "common/platform.h"
#include "transport/transport.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define NS 1000000000LL

static void
usage(FILE *out)
{
    fprintf(out,
"usage: estel status [--config FILE] [--spool DIR] [--json]\n"
"\n"
"  Tell whether the agent using this spool is healthy, degraded (and why)\n"
"  or not running, from the state file it keeps in <spool>/state/.\n"
"  --config FILE  the configuration to take SpoolDirectory from\n"
"  --spool DIR    the spool (overrides SpoolDirectory)\n"
"  --json         print the state file as it is, after the verdict line\n"
"\n"
"Exit status: 0 healthy, 1 degraded or not running, 2 usage error.\n");
}

/* "45s", "12m", "2h 5m", "3d 4h" */
static const char *
dur(int64_t ns, char *buf, size_t size)
{
    int64_t s = ns / NS;

    if (s < 0)
        s = 0;
    if (s < 60)
        snprintf(buf, size, "%" PRId64 "s", s);
    else if (s < 3600)
        snprintf(buf, size, "%" PRId64 "m", s / 60);
    else if (s < 86400)
        snprintf(buf, size, "%" PRId64 "h %" PRId64 "m", s / 3600,
                 s % 3600 / 60);
    else
        snprintf(buf, size, "%" PRId64 "d %" PRId64 "h", s / 86400,
                 s % 86400 / 3600);
    return buf;
}

static const char *
bytes(uint64_t b, char *buf, size_t size)
{
    static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
    double v = (double)b;
    int u = 0;

    while (v >= 1024 && u < 4) {
        v /= 1024;
        u++;
    }
    snprintf(buf, size, u == 0 ? "%.0f %s" : "%.1f %s", v, unit[u]);
    return buf;
}

static const char *
date(int64_t ns, char *buf, size_t size)
{
    time_t s = (time_t)(ns / NS);
    struct tm tm;

    if (gmtime_r(&s, &tm) == NULL ||
        strftime(buf, size, "%Y-%m-%d %H:%M UTC", &tm) == 0)
        snprintf(buf, size, "?");
    return buf;
}

static bool
pid_alive(int64_t pid)
{
    if (pid <= 0)
        return false;
    return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

static void
details(const struct transport_state *st, int64_t now)
{
    char a[32], b[32], c[32], d[40];

    printf("agent:     %s, pid %" PRId64 ", started %s ago (state written "
           "%s ago)\n", st->running ? "running" : "stopped", st->pid,
           dur(now - st->started_ns, a, sizeof(a)),
           dur(now - st->written_ns, b, sizeof(b)));
    if (!st->has_server) {
        printf("server:    none configured (spool only)\n");
    } else {
        printf("server:    %s\n", st->server);
        printf("uploads:   %" PRIu64 " batches (%s) sent, last %s%s; %"
               PRIu64 " already stored (409), %" PRIu64 " rejected "
               "(dead/)\n", st->batches_sent,
               bytes(st->bytes_sent, a, sizeof(a)),
               st->last_success_ns > 0 ?
               dur(now - st->last_success_ns, b, sizeof(b)) : "never",
               st->last_success_ns > 0 ? " ago" : "",
               st->batches_duplicate, st->batches_dead);
        printf("retries:   %" PRIu64 " transient, %" PRIu64 " credentials, %"
               PRIu64 " TLS; %" PRIu64 " failures in a row\n",
               st->retries_transient, st->retries_auth, st->retries_tls,
               st->consecutive_failures);
        if (st->problem[0] != '\0')
            printf("problem:   %s (for %s)\n", st->problem,
                   dur(now - st->problem_since_ns, a, sizeof(a)));
        if (st->client_cert_expiry_ns > 0)
            printf("client certificate: expires %s (%s %s)\n",
                   date(st->client_cert_expiry_ns, d, sizeof(d)),
                   st->client_cert_expiry_ns > now ? "in" : "expired",
                   dur(st->client_cert_expiry_ns > now ?
                       st->client_cert_expiry_ns - now :
                       now - st->client_cert_expiry_ns, c, sizeof(c)));
    }
    printf("spool:     %" PRIu64 " batches, %s of %s", st->spool_batches,
           bytes(st->spool_bytes, a, sizeof(a)),
           bytes(st->spool_max_bytes, b, sizeof(b)));
    if (st->oldest_unsent_ns > 0)
        printf(", oldest unsent %s old", dur(now - st->oldest_unsent_ns, c,
                                             sizeof(c)));
    printf("; %" PRIu64 " evicted, %" PRIu64 " bad\n", st->batches_evicted,
           st->batches_bad);
    printf("events:    %" PRIu64 " in, %" PRIu64 " records, %" PRIu64
           " dropped\n", st->events_in, st->records_out, st->events_dropped);
    if (st->crashes_reported > 0)
        printf("at start:  the run before (pid %" PRId64 ") had not stopped "
               "cleanly (%" PRIu64 " unclean stop%s): what it held in memory "
               "was lost, and said so in a gap record (reason crash)\n",
               st->crash_prev_pid, st->crashes_reported,
               st->crashes_reported == 1 ? "" : "s");
}

static int
show(const char *dir, bool json)
{
    static const char *const word[] = { "healthy", "degraded",
                                        "not running" };
    struct transport_state st;
    struct estel_err err = { 0 };
    enum transport_verdict v;
    enum estel_rc rc;
    char why[1024];
    int64_t now = estel_now_realtime_ns();

    rc = transport_read_state(dir, &st, &err);
    if (rc == ESTEL_E_EOF) {
        printf("status: not running (why: no state file in %s/state; the "
               "agent has not run with this spool)\n", dir);
        return 1;
    }
    if (rc != ESTEL_OK) {
        fprintf(stderr, "estel: %s\n", err.msg);
        return cli_exit_code(rc);
    }
    v = transport_state_judge(&st, now, pid_alive(st.pid), why, sizeof(why));
    if (why[0] != '\0')
        printf("status: %s (why: %s)\n", word[v], why);
    else
        printf("status: %s\n", word[v]);
    details(&st, now);
    if (json) {
        struct estel_err e2 = { 0 };
        char path[4096];
        FILE *f;
        size_t n;

        snprintf(path, sizeof(path), "%s/%s", dir, TRANSPORT_STATE_FILE);
        if ((f = fopen(path, "re")) == NULL) {
            estel_fail_errno(&e2, ESTEL_E_IO, "%s", path);
            fprintf(stderr, "estel: %s\n", e2.msg);
        } else {
            while ((n = fread(why, 1, sizeof(why), f)) > 0)
                fwrite(why, 1, n, stdout);
            fclose(f);
        }
    }
    return v == TRANSPORT_HEALTHY ? 0 : 1;
}

int
cmd_status(int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' },
        { "spool", required_argument, NULL, 'p' },
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    struct runtime_options opt;
    struct estel_config cfg;
    struct estel_err err = { 0 };
    bool json = false;
    int ch, status;

    memset(&opt, 0, sizeof(opt));
    memset(&cfg, 0, sizeof(cfg));
    optind = 1;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'c': opt.config_path = optarg; break;
        case 'p': opt.spool_dir = optarg; break;
        case 'j': json = true; break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "estel status: unexpected argument '%s'\n",
                argv[optind]);
        return 2;
    }
    if (runtime_configure(&cfg, &opt, &err) != ESTEL_OK) {
        fprintf(stderr, "estel: %s\n", err.msg);
        config_free(&cfg);
        return cli_exit_code(err.rc);
    }
    status = show(cfg.spool_dir, json);
    config_free(&cfg);
    return status;
}
