/*
 * cmd_run.c - `estel run`: collect events from a source into the spool and
 * upload them.  See DESIGN.md section 7 for the options.
 */
#include "cli/cli.h"
#include "cli/runtime.h"
#include "common/log.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
run_usage(FILE *out)
{
    fprintf(out,
"usage: estel run [--config FILE] [--managed FILE]\n"
"                 [--source es|eslogger|synthetic] [--input FILE|-]\n"
"                 [--count N] [--seed S] [--spool DIR] [--server URL]\n"
"                 [--drain]\n"
"\n"
"  --source     where events come from (default eslogger; es on macOS)\n"
"  --input      eslogger JSON lines: a file, or - for stdin, e.g.\n"
"               sudo eslogger exec fork exit | estel run --input -\n"
"  --count N    synthetic: produce N events (default: until stopped)\n"
"  --seed S     synthetic: seed of the deterministic generator\n"
"  --spool DIR  overrides SpoolDirectory\n"
"  --server URL overrides ServerURL\n"
"  --drain      with a finite source, exit once every record is spooled\n"
"               and, with a server, acknowledged\n");
}

static bool
parse_u64(const char *s, uint64_t *out)
{
    char *end;

    errno = 0;
    *out = strtoull(s, &end, 10);
    return errno == 0 && end != s && *end == '\0' && s[0] != '-';
}

int
cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' },
        { "managed", required_argument, NULL, 'm' },
        { "source", required_argument, NULL, 'S' },
        { "input", required_argument, NULL, 'i' },
        { "count", required_argument, NULL, 'n' },
        { "seed", required_argument, NULL, 's' },
        { "spool", required_argument, NULL, 'p' },
        { "server", required_argument, NULL, 'u' },
        { "drain", no_argument, NULL, 'd' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    struct runtime_options opt;
    struct estel_runtime *rt = NULL;
    struct estel_err err = { 0 };
    enum estel_rc rc;
    int ch;

    memset(&opt, 0, sizeof(opt));
    opt.source = "eslogger";
    opt.input = "-";
    optind = 1;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'c': opt.config_path = optarg; break;
        case 'm': opt.managed_path = optarg; break;
        case 'S': opt.source = optarg; break;
        case 'i': opt.input = optarg; break;
        case 'p': opt.spool_dir = optarg; break;
        case 'u': opt.server_url = optarg; break;
        case 'd': opt.drain = true; break;
        case 'n':
        case 's':
            if (!parse_u64(optarg, ch == 'n' ? &opt.count : &opt.seed)) {
                fprintf(stderr, "estel run: --%s: \"%s\" is not a "
                        "non-negative integer\n", ch == 'n' ? "count" :
                        "seed", optarg);
                return 2;
            }
            break;
        case 'h':
            run_usage(stdout);
            return 0;
        default:
            run_usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "estel run: unexpected argument '%s'\n",
                argv[optind]);
        return 2;
    }
    runtime_block_signals();
    rc = runtime_create(&rt, &opt, &err);
    if (rc == ESTEL_OK)
        rc = runtime_run(rt, &err);
    runtime_destroy(&rt);
    if (rc != ESTEL_OK)
        fprintf(stderr, "estel: %s\n", err.msg);
    return cli_exit_code(rc);
}
