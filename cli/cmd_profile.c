/*
 * cmd_profile.c - `estel profile`: write the MDM .mobileconfig that
 * approves the system extension, grants it Full Disk Access, carries the
 * settings and, optionally, the client identity.  The generator is
 * deploy/profile.c; this file parses flags and writes the result.
 * Every bad parameter exits 2 with one message and writes no file.
 */
#include "cli/cli.h"
#include "deploy/deploy.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void
profile_usage(FILE *out)
{
    fprintf(out,
"usage: estel profile --team-id ID [--config FILE] [-o FILE] [options]\n"
"\n"
"  --team-id ID           Apple Developer Team ID signing the sysex\n"
"                         (10 upper-case letters and digits; required)\n"
"  --sysex-id ID          system extension bundle id\n"
"                         (default " DEPLOY_DEFAULT_SYSEX_ID ")\n"
"  --app-id ID            container app bundle id\n"
"                         (default " DEPLOY_DEFAULT_APP_ID ")\n"
"  --code-requirement STR the sysex's designated requirement, as printed\n"
"                         by codesign -d -r- (default: Developer ID\n"
"                         requirement for the sysex id and team)\n"
"  --config FILE          estel settings plist, checked like\n"
"                         `estel config check`, delivered as managed\n"
"                         preferences (" CONFIG_DOMAIN ")\n"
"  --pkcs12 FILE          client identity (.p12) for mTLS, with\n"
"  --pkcs12-password-file FILE   its password on the first line\n"
"  --eslogger-mode        also set up the eslogger fallback daemon\n"
"                         (Full Disk Access for eslogger, managed daemon)\n"
"  --eslogger-requirement STR    eslogger's requirement, if Apple changes it\n"
"  --non-removable        users cannot disable or remove the sysex\n"
"                         (macOS 15+)\n"
"  --organization NAME    PayloadOrganization (default estel)\n"
"  --display-name NAME    the name shown in System Settings\n"
"  --identifier ID        profile identifier (default <app id>.profile)\n"
"  --stable-uuids         derive payload UUIDs from the identifier, so a\n"
"                         re-deployed profile replaces the old one\n"
"  -o, --output FILE      write FILE atomically (default: stdout); mode\n"
"                         0600 when it holds a PKCS#12 and its password\n");
}

/* Settings problems: one line each on stderr, as `config check` does. */
static void
report(void *ctx, bool is_error, const char *line)
{
    (void)ctx;
    fprintf(stderr, "estel: %s%s\n", is_error ? "" : "warning: ", line);
}

static enum estel_rc
emit(const struct deploy_profile *prof, const char *out_path,
     struct estel_err *err)
{
    if (out_path != NULL && strcmp(out_path, "-") != 0)
        return deploy_write_atomic(out_path, prof->xml, prof->len,
                                   prof->has_secret ? 0600 : 0644, err);
    if (fwrite(prof->xml, 1, prof->len, stdout) != prof->len ||
        fflush(stdout) != 0)
        return estel_fail_errno(err, ESTEL_E_IO, "cannot write the profile "
                                "to stdout");
    return ESTEL_OK;
}

int
cmd_profile(int argc, char **argv)
{
    static const struct option opts[] = {
        { "team-id", required_argument, NULL, 't' },
        { "sysex-id", required_argument, NULL, 'x' },
        { "app-id", required_argument, NULL, 'a' },
        { "code-requirement", required_argument, NULL, 'r' },
        { "config", required_argument, NULL, 'c' },
        { "pkcs12", required_argument, NULL, 'p' },
        { "pkcs12-password-file", required_argument, NULL, 'P' },
        { "eslogger-mode", no_argument, NULL, 'e' },
        { "eslogger-requirement", required_argument, NULL, 'E' },
        { "non-removable", no_argument, NULL, 'n' },
        { "organization", required_argument, NULL, 'O' },
        { "display-name", required_argument, NULL, 'd' },
        { "identifier", required_argument, NULL, 'i' },
        { "stable-uuids", no_argument, NULL, 's' },
        { "output", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    struct deploy_profile_params p;
    struct deploy_profile prof = { 0 };
    struct estel_err err = { 0 };
    const char *out_path = NULL;
    enum estel_rc rc;
    int ch;

    memset(&p, 0, sizeof(p));
    p.report = report;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (ch) {
        case 't': p.team_id = optarg; break;
        case 'x': p.sysex_id = optarg; break;
        case 'a': p.app_id = optarg; break;
        case 'r': p.code_requirement = optarg; break;
        case 'c': p.config_path = optarg; break;
        case 'p': p.pkcs12_path = optarg; break;
        case 'P': p.pkcs12_password_path = optarg; break;
        case 'e': p.eslogger_mode = true; break;
        case 'E': p.eslogger_requirement = optarg; break;
        case 'n': p.non_removable = true; break;
        case 'O': p.organization = optarg; break;
        case 'd': p.display_name = optarg; break;
        case 'i': p.identifier = optarg; break;
        case 's': p.stable_uuids = true; break;
        case 'o': out_path = optarg; break;
        case 'h':
            profile_usage(stdout);
            return 0;
        default:
            profile_usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "estel profile: unexpected argument '%s'\n",
                argv[optind]);
        return 2;
    }
    rc = deploy_profile_build(&prof, &p, &err);
    if (rc == ESTEL_OK)
        rc = emit(&prof, out_path, &err);
    deploy_profile_free(&prof);
    if (rc != ESTEL_OK)
        fprintf(stderr, "estel: %s\n", err.msg);
    return cli_exit_code(rc);
}
