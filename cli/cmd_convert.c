/*
 * cmd_convert.c - `estel convert`: eslogger JSON lines in, one record per
 * line out, as JSON (for people and tests) or as raw msgpack records (the
 * bytes a batch would hold).  The eslogger parser and a record encoder are
 * used directly: no ring, no spool, no filtering, so every good line
 * becomes exactly one record, numbered from 1 in input order.
 *
 * Exit status: 0 when every line converted, 1 when some lines were bad
 * (the rest are still converted) or reading/writing failed, 2 for usage
 * and configuration errors.  A summary goes to stderr at the end.
 */
#include "cli/cli.h"
#include "collector/collector.h"
#include "common/log.h"
#include "common/platform.h"
#include "config/config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BAD_LOGGED_FIRST 10
#define BAD_LOGGED_EVERY 1000

struct convert {
    struct eslogger_reader *reader;
    struct eslogger_parser *parser;
    struct record_encoder *enc;
    struct estel_buf json;
    bool msgpack;
    uint64_t records, bad;
    struct estel_event ev;
};

static void
convert_usage(FILE *out)
{
    fprintf(out,
"usage: estel convert --input FILE|- [--format json|msgpack] [--config FILE]\n"
"\n"
"  --input   eslogger JSON lines: a file, or - for stdin, e.g.\n"
"            sudo eslogger exec fork exit | estel convert --input -\n"
"  --format  json (default): one record per line as JSON;\n"
"            msgpack: the raw msgpack records, back to back\n"
"  --config  read HostID, ArgvMaxBytes, ArgvMaxCount and\n"
"            CaptureEnvironment from this plist\n"
"\n"
"Exit status: 0 all lines converted, 1 some lines were bad, 2 usage.\n");
}

/* HostID when configured, else the machine's; the boot session. */
static enum estel_rc
identity(const struct estel_config *cfg, struct record_identity *id,
         struct estel_err *err)
{
    enum estel_rc rc;

    memset(id, 0, sizeof(*id));
    if (cfg->host_id != NULL) {
        if (strlen(cfg->host_id) >= sizeof(id->host_id))
            return estel_fail(err, ESTEL_E_CONFIG, "HostID is longer than "
                              "%zu characters; shorten it",
                              sizeof(id->host_id) - 1);
        memcpy(id->host_id, cfg->host_id, strlen(cfg->host_id));
    } else if ((rc = estel_host_id(id->host_id, sizeof(id->host_id),
                                   err)) != ESTEL_OK) {
        return rc;
    }
    return estel_boot_id(id->boot_id, sizeof(id->boot_id), err);
}

static void
convert_free(struct convert *cv)
{
    eslogger_reader_close(&cv->reader);
    eslogger_parser_destroy(&cv->parser);
    record_encoder_destroy(&cv->enc);
    buf_free(&cv->json);
    free(cv);
}

static enum estel_rc
convert_open(struct convert **out, const struct estel_config *cfg,
             const char *input, struct estel_err *err)
{
    struct record_limits lim;
    struct record_identity id;
    struct convert *cv;
    enum estel_rc rc;

    if ((cv = calloc(1, sizeof(*cv))) == NULL)
        return estel_fail(err, ESTEL_E_NOMEM, "convert: out of memory");
    buf_init(&cv->json, 0);
    lim.argv_max_bytes = cfg->argv_max_bytes;
    lim.argv_max_count = cfg->argv_max_count;
    lim.capture_environment = cfg->capture_environment;
    if ((rc = identity(cfg, &id, err)) != ESTEL_OK ||
        (rc = record_encoder_create(&cv->enc, &id, &lim, err)) !=
        ESTEL_OK ||
        (rc = eslogger_parser_create(&cv->parser, err)) != ESTEL_OK ||
        (rc = eslogger_reader_open(&cv->reader, input, ESLOGGER_MAX_LINE,
                                   err)) != ESTEL_OK) {
        convert_free(cv);
        return rc;
    }
    *out = cv;
    return ESTEL_OK;
}

/* One line per bad input: the first ten, then every thousandth. */
static void
bad_line(struct convert *cv, uint64_t lineno, const char *why)
{
    cv->bad++;
    if (cv->bad < BAD_LOGGED_FIRST)
        log_warnx("convert: line %" PRIu64 ": %s", lineno, why);
    else if (cv->bad == BAD_LOGGED_FIRST)
        log_warnx("convert: line %" PRIu64 ": %s (10 bad lines: from now "
                  "on every %dth is logged)", lineno, why, BAD_LOGGED_EVERY);
    else if (cv->bad % BAD_LOGGED_EVERY == 0)
        log_warnx("convert: line %" PRIu64 ": %s (%" PRIu64 " bad lines so "
                  "far)", lineno, why, cv->bad);
}

/* Encode cv->ev and write it to out. */
static enum estel_rc
emit(struct convert *cv, uint64_t lineno, FILE *out, struct estel_err *err)
{
    const uint8_t *rec;
    size_t len, used;
    enum estel_rc rc;

    if (record_encode_event(cv->enc, &cv->ev, cv->records + 1, &rec, &len) !=
        ESTEL_OK) {
        bad_line(cv, lineno, "the record would exceed the record size "
                 "limit");
        return ESTEL_OK;
    }
    if (!cv->msgpack) {
        buf_clear(&cv->json);
        if ((rc = record_to_json(rec, len, &cv->json, &used, err)) !=
            ESTEL_OK || (rc = buf_putc(&cv->json, '\n')) != ESTEL_OK)
            return estel_fail(err, rc, "convert: line %" PRIu64 ": cannot "
                              "print the record as JSON", lineno);
        rec = (const uint8_t *)cv->json.data;
        len = cv->json.len;
    }
    if (fwrite(rec, 1, len, out) != len)
        return estel_fail_errno(err, ESTEL_E_IO, "convert: writing the "
                                "output");
    cv->records++;
    return ESTEL_OK;
}

static enum estel_rc
convert_run(struct convert *cv, FILE *out, struct estel_err *err)
{
    struct estel_err perr;
    uint64_t lineno = 0;
    char *line, why[64];
    size_t len;
    enum estel_rc rc;

    for (;;) {
        rc = eslogger_reader_next(cv->reader, &line, &len, &lineno, err);
        if (rc == ESTEL_E_EOF)
            break;
        if (rc == ESTEL_E_REJECTED) {
            snprintf(why, sizeof(why), "longer than %u bytes; skipped",
                     ESLOGGER_MAX_LINE);
            bad_line(cv, lineno, why);
            continue;
        }
        if (rc != ESTEL_OK)
            return rc;
        if (len == 0)
            continue;               /* a blank line is no event */
        estel_err_clear(&perr);
        if (eslogger_parse_padded(cv->parser, line, len, &cv->ev,
                                  &perr) != ESTEL_OK)
            bad_line(cv, lineno, perr.msg);
        else if ((rc = emit(cv, lineno, out, err)) != ESTEL_OK)
            return rc;
    }
    if (fflush(out) != 0 || ferror(out))
        return estel_fail_errno(err, ESTEL_E_IO, "convert: writing the "
                                "output");
    return ESTEL_OK;
}

/* Options into *input, *msgpack, *config; 0, or an exit status. */
static int
parse_args(int argc, char **argv, const char **input, bool *msgpack,
           const char **config)
{
    static const struct option opts[] = {
        { "input", required_argument, NULL, 'i' },
        { "format", required_argument, NULL, 'f' },
        { "config", required_argument, NULL, 'c' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    int ch;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "i:f:c:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'i': *input = optarg; break;
        case 'c': *config = optarg; break;
        case 'f':
            if (strcmp(optarg, "json") != 0 && strcmp(optarg, "msgpack") != 0) {
                fprintf(stderr, "estel convert: --format: \"%s\" is neither "
                        "json nor msgpack\n", optarg);
                return 2;
            }
            *msgpack = strcmp(optarg, "msgpack") == 0;
            break;
        case 'h':
            convert_usage(stdout);
            return -1;
        default:
            convert_usage(stderr);
            return 2;
        }
    }
    if (optind != argc || *input == NULL) {
        if (optind != argc)
            fprintf(stderr, "estel convert: unexpected argument '%s'\n",
                    argv[optind]);
        else
            fprintf(stderr, "estel convert: --input FILE (or - for stdin) "
                    "is required\n");
        convert_usage(stderr);
        return 2;
    }
    return 0;
}

int
cmd_convert(int argc, char **argv)
{
    struct estel_config cfg;
    struct estel_err err;
    struct convert *cv = NULL;
    const char *input = NULL, *config = NULL;
    bool msgpack = false;
    enum estel_rc rc;
    int status;

    if ((status = parse_args(argc, argv, &input, &msgpack, &config)) != 0)
        return status < 0 ? 0 : status;
    estel_err_clear(&err);
    memset(&cfg, 0, sizeof(cfg));
    if ((rc = config_defaults(&cfg, &err)) == ESTEL_OK &&
        (rc = config_load(&cfg, config, NULL, &err)) == ESTEL_OK &&
        (rc = convert_open(&cv, &cfg, input, &err)) == ESTEL_OK) {
        cv->msgpack = msgpack;
        rc = convert_run(cv, stdout, &err);
    }
    if (rc != ESTEL_OK)
        fprintf(stderr, "estel: %s\n", err.msg);
    if (cv != NULL) {
        fprintf(stderr, "estel: converted %" PRIu64 " records, %" PRIu64
                " bad lines\n", cv->records, cv->bad);
        if (rc == ESTEL_OK && cv->bad > 0)
            rc = ESTEL_E_CORRUPT;
        convert_free(cv);
    }
    config_free(&cfg);
    return cli_exit_code(rc);
}
