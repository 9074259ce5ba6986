/*
 * cmd_config.c - `estel config check|show [--config FILE] [--managed FILE]`.
 *
 * Both verbs build the configuration the agent would run with: defaults,
 * the local plist, managed preferences, then the cross-key checks.  Every
 * problem of every stage is printed (one line each, on stderr) before the
 * command fails, like `ntpd -n`: check prints "configuration OK" and exits
 * 0, or exits 2 after the list; show prints every key with its value and
 * origin.  Proxy credentials are masked by config_print().
 */
#include "cli/cli.h"
#include "config/config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void
usage(FILE *out)
{
    /* a variable: comparing the macOS string literal itself with NULL
     * is a tautology clang warns about */
    const char *managed = CONFIG_DEFAULT_MANAGED;

    fprintf(out,
            "usage: estel config check|show [--config FILE] "
            "[--managed FILE]\n"
            "\n"
            "  check           validate; print \"configuration OK\" or every "
            "problem\n"
            "  show            print every key = value  (origin)\n"
            "  --config FILE   local plist (default %s;\n"
            "                  a missing default file means defaults)\n"
            "  --managed FILE  managed-preferences plist laid over it%s%s%s\n"
            "  --help          this text\n"
            "\n"
            "Exit status: 0 OK, 2 usage or configuration error, 1 runtime "
            "failure.\nKeys: docs/configuration.md.\n",
            CONFIG_DEFAULT_FILE,
            managed != NULL ? "\n                  (default " : "",
            managed != NULL ? managed : "", managed != NULL ? ")" : "");
}

/* Problems go to stderr plainly: the person running check reads them. */
static void
print_problem(void *ctx, bool is_error, const char *line)
{
    (void)ctx;
    fprintf(stderr, "%s%s\n", is_error ? "" : "warning: ", line);
}

/* Defaults, both files and the cross-key checks; every stage runs. */
static enum estel_rc
build(struct estel_config *cfg, const char *path, const char *managed,
      struct estel_err *err)
{
    struct estel_err e1, e2;
    enum estel_rc rc1, rc2;

    if ((rc1 = config_defaults(cfg, err)) != ESTEL_OK)
        return rc1;
    config_set_reporter(cfg, print_problem, NULL);
    estel_err_clear(&e1);
    estel_err_clear(&e2);
    rc1 = config_load(cfg, path, managed, &e1);
    rc2 = config_validate(cfg, &e2);
    if (rc1 != ESTEL_OK && rc2 != ESTEL_OK)
        return estel_fail(err, rc1, "%s; %s", e1.msg, e2.msg);
    if (rc1 != ESTEL_OK)
        return estel_fail(err, rc1, "%s", e1.msg);
    if (rc2 != ESTEL_OK)
        return estel_fail(err, rc2, "%s", e2.msg);
    return ESTEL_OK;
}

int
cmd_config(int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' },
        { "managed", required_argument, NULL, 'm' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    struct estel_config cfg;
    struct estel_err err;
    const char *path = NULL, *managed = NULL, *verb;
    enum estel_rc rc;
    int ch;

    estel_err_clear(&err);
    optind = 1;
    opterr = 0;                     /* our own message, then the usage */
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'c':
            path = optarg;
            break;
        case 'm':
            managed = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            fprintf(stderr, "estel: config: unknown option or missing "
                    "argument: %s\n", argv[optind - 1]);
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc - 1 || (strcmp(argv[optind], "check") != 0 &&
                               strcmp(argv[optind], "show") != 0)) {
        fprintf(stderr, "estel: config: say check or show\n");
        usage(stderr);
        return 2;
    }
    verb = argv[optind];
    rc = build(&cfg, path, managed, &err);
    if (rc == ESTEL_OK && strcmp(verb, "check") == 0)
        printf("configuration OK\n");
    else if (rc == ESTEL_OK)
        config_print(&cfg, stdout);
    else
        fprintf(stderr, "estel: %s\n", err.msg);
    config_free(&cfg);
    return cli_exit_code(rc);
}
