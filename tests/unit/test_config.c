/*
 * test_config.c - config/: defaults, XML and binary plists, layering and
 * origins, every class of problem (each message must name the key, the
 * value and the fix), file-level refusals, hostile shapes, flags.
 *
 * Problems are captured through config_set_reporter(); fixtures under
 * tests/data/config/ pair each bad plist with the fragments it must print.
 */
#define _XOPEN_SOURCE 700            /* nftw */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <plist/plist.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/evtype.h"
#include "config/config.h"

#ifndef ESTEL_SRC_DIR
#define ESTEL_SRC_DIR "."
#endif

#define LINES_MAX 128

struct capture {
    char lines[LINES_MAX][1024];
    int n, errors, warnings;
};

struct fixture {
    char dir[256];
    struct capture cap;
    struct estel_config cfg;
    struct estel_err err;
};

static void
capture_line(void *ctx, bool is_error, const char *line)
{
    struct capture *cap = ctx;

    if (is_error)
        cap->errors++;
    else
        cap->warnings++;
    if (cap->n < LINES_MAX)
        snprintf(cap->lines[cap->n++], sizeof(cap->lines[0]), "%s", line);
}

/* The reported line that contains every fragment, or NULL. */
static const char *
find_line(const struct capture *cap, const char *frag)
{
    for (int i = 0; i < cap->n; i++)
        if (strstr(cap->lines[i], frag) != NULL)
            return cap->lines[i];
    return NULL;
}

static void
assert_line(const struct capture *cap, const char *frag)
{
    if (find_line(cap, frag) == NULL) {
        for (int i = 0; i < cap->n; i++)
            print_message("  reported: %s\n", cap->lines[i]);
        fail_msg("no reported line contains: %s", frag);
    }
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int
group_setup(void **state)
{
    static char dir[256];

    snprintf(dir, sizeof(dir), "/tmp/estel-test-config.XXXXXX");
    if (mkdtemp(dir) == NULL)
        return -1;
    *state = dir;
    return 0;
}

static int
group_teardown(void **state)
{
    return nftw(*state, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static struct fixture *
fx_new(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));

    assert_non_null(fx);
    snprintf(fx->dir, sizeof(fx->dir), "%s", (const char *)*state);
    assert_int_equal(config_defaults(&fx->cfg, &fx->err), ESTEL_OK);
    config_set_reporter(&fx->cfg, capture_line, &fx->cap);
    return fx;
}

static void
fx_free(struct fixture *fx)
{
    config_free(&fx->cfg);
    free(fx);
}

static void
write_bytes(const char *path, const void *data, size_t len)
{
    FILE *f;

    (void)unlink(path);
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(path, 0644), 0);
}

/* dir/name holding an XML plist whose <dict> body is body */
static void
write_xml(const struct fixture *fx, const char *name, const char *body,
          char *path, size_t size)
{
    char doc[16384];
    int n;

    n = snprintf(doc, sizeof(doc),
                 "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                 "<plist version=\"1.0\">\n<dict>\n%s\n</dict>\n</plist>\n",
                 body);
    assert_true(n > 0 && (size_t)n < sizeof(doc));
    snprintf(path, size, "%s/%s", fx->dir, name);
    write_bytes(path, doc, (size_t)n);
}

static enum estel_rc
load_xml(struct fixture *fx, const char *body)
{
    char doc[16384];
    int n;

    n = snprintf(doc, sizeof(doc), "<plist version=\"1.0\"><dict>%s</dict>"
                 "</plist>", body);
    assert_true(n > 0 && (size_t)n < sizeof(doc));
    estel_err_clear(&fx->err);
    return config_load_buffer(&fx->cfg, doc, (size_t)n, "test.plist",
                              CONFIG_FROM_FILE, &fx->err);
}

static enum config_origin
origin_of(const struct estel_config *cfg, const char *key)
{
    int idx = config_key_find(key);

    assert_true(idx >= 0);
    return cfg->origin[idx];
}

static bool
event_on(const struct estel_config *cfg, const char *name)
{
    const struct estel_evtype *t;

    t = estel_evtype_notify_by_name(name, strlen(name));
    assert_non_null(t);
    return config_event_enabled(cfg, t->value);
}

static void
test_config_defaults(void **state)
{
    struct fixture *fx = fx_new(state);
    struct estel_config *c = &fx->cfg;
    static const char *const on[] = {
        "exec", "fork", "exit", "close", "create", "rename", "unlink",
        "btm_launch_item_add", "authentication", "sudo", "tcc_modify",
        "xp_malware_detected", "setuid", "trace", "get_task"
    };

    assert_null(c->server_url);
    assert_string_equal(c->spool_dir, CONFIG_DEFAULT_SPOOL);
    assert_int_equal(c->spool_max_bytes, 1ULL << 30);
    assert_int_equal(c->spool_max_age_s, 7 * 86400);
    assert_int_equal(c->batch_max_bytes, 1 << 20);
    assert_int_equal(c->batch_max_records, 10000);
    assert_int_equal(c->batch_max_age_ms, 5000);
    assert_int_equal(c->compression_level, 3);
    assert_int_equal(c->upload_concurrency, 1);
    assert_int_equal(c->connect_timeout_s, 10);
    assert_int_equal(c->request_timeout_s, 60);
    assert_int_equal(c->retry_max_s, 300);
    assert_int_equal(c->argv_max_bytes, 16384);
    assert_int_equal(c->argv_max_count, 1024);
    assert_false(c->capture_environment);
    assert_int_equal(c->status_interval_s, 300);
    assert_int_equal(c->ring_bytes, 8 << 20);
    assert_string_equal(c->log_level, "info");
    assert_string_equal(c->ingest_listen, "127.0.0.1:8088");
    assert_string_equal(c->ingest_out_dir, "/var/lib/estel/ingest");
    assert_string_equal(c->ingest_format, "ecs");
    assert_int_equal(c->ingest_max_body_bytes, 16 << 20);
    assert_int_equal(c->ingest_max_batch_bytes, 64 << 20);
    assert_int_equal(c->ingest_dedupe_ttl_s, 7 * 86400);
    assert_int_equal(c->ingest_rotate_bytes, 64 << 20);
    assert_int_equal(c->ingest_rotate_s, 300);
    assert_int_equal(c->mute_paths_count, 0);
    assert_int_equal(c->mute_target_paths_count, 0);
    for (size_t i = 0; i < sizeof(on) / sizeof(on[0]); i++)
        assert_true(event_on(c, on[i]));
    /* high volume: off unless asked for */
    assert_false(event_on(c, "open"));
    assert_false(event_on(c, "write"));
    assert_false(event_on(c, "mmap"));
    for (size_t i = 0; i < config_key_count(); i++)
        assert_int_equal(c->origin[i], CONFIG_FROM_DEFAULT);
    assert_int_equal(config_validate(c, &fx->err), ESTEL_OK);
    assert_int_equal(fx->cap.n, 0);
    fx_free(fx);
}

/* Every key is described, and its documented example is a valid value. */
static void
test_config_key_table(void **state)
{
    struct fixture *fx = fx_new(state);
    const struct config_key *k;

    assert_true(config_key_count() >= 41);
    assert_true(config_key_count() <= sizeof(fx->cfg.origin) /
                sizeof(fx->cfg.origin[0]));
    assert_null(config_key_at(config_key_count()));
    assert_int_equal(config_key_find("NoSuchKey"), -1);
    for (size_t i = 0; i < config_key_count(); i++) {
        k = config_key_at(i);
        assert_non_null(k);
        assert_int_equal(config_key_find(k->name), (int)i);
        assert_non_null(k->description);
        assert_non_null(k->example);
        assert_string_not_equal(config_type_name(k->type), "unknown");
        estel_err_clear(&fx->err);
        if (config_set(&fx->cfg, k->name, k->example, CONFIG_FROM_FLAG,
                       &fx->err) != ESTEL_OK)
            fail_msg("example of %s refused: %s", k->name, fx->err.msg);
        assert_int_equal(fx->cfg.origin[i], CONFIG_FROM_FLAG);
    }
    fx_free(fx);
}

static void
test_config_loads_xml_file(void **state)
{
    struct fixture *fx = fx_new(state);
    char path[512];

    write_xml(fx, "xml.plist",
              "<key>ServerURL</key><string>https://h.example.com/b</string>"
              "<key>SpoolMaxBytes</key><integer>2147483648</integer>"
              "<key>BatchMaxAgeSeconds</key><real>0.5</real>"
              "<key>BatchMaxRecords</key><real>500</real>"
              "<key>CaptureEnvironment</key><true/>"
              "<key>IngestFormat</key><string>ocsf</string>"
              "<key>ServerCA</key><string></string>",
              path, sizeof(path));
    assert_int_equal(config_load_file(&fx->cfg, path, CONFIG_FROM_FILE, true,
                                      &fx->err), ESTEL_OK);
    assert_string_equal(fx->cfg.server_url, "https://h.example.com/b");
    assert_int_equal(fx->cfg.spool_max_bytes, 2147483648ULL);
    assert_int_equal(fx->cfg.batch_max_age_ms, 500);
    assert_int_equal(fx->cfg.batch_max_records, 500);
    assert_true(fx->cfg.capture_environment);
    assert_string_equal(fx->cfg.ingest_format, "ocsf");
    assert_null(fx->cfg.server_ca);        /* "" unsets an optional key */
    assert_int_equal(origin_of(&fx->cfg, "SpoolMaxBytes"), CONFIG_FROM_FILE);
    assert_int_equal(origin_of(&fx->cfg, "RingBytes"), CONFIG_FROM_DEFAULT);
    assert_int_equal(fx->cap.n, 0);
    fx_free(fx);
}

static void
test_config_loads_binary_file(void **state)
{
    struct fixture *fx = fx_new(state);
    plist_t root = plist_new_dict(), arr = plist_new_array();
    char path[512], *bin = NULL;
    uint32_t len = 0;

    plist_dict_set_item(root, "SpoolDirectory",
                        plist_new_string("/srv/estel/spool"));
    plist_dict_set_item(root, "UploadConcurrency", plist_new_uint(4));
    plist_dict_set_item(root, "FullFsync", plist_new_bool(0));
    plist_array_append_item(arr, plist_new_string("exec"));
    plist_array_append_item(arr, plist_new_string("open"));
    plist_dict_set_item(root, "EventTypes", arr);
    plist_to_bin(root, &bin, &len);
    assert_non_null(bin);
    assert_memory_equal(bin, "bplist00", 8);
    snprintf(path, sizeof(path), "%s/bin.plist", fx->dir);
    write_bytes(path, bin, len);
    free(bin);
    plist_free(root);
    assert_int_equal(config_load_file(&fx->cfg, path, CONFIG_FROM_FILE, true,
                                      &fx->err), ESTEL_OK);
    assert_string_equal(fx->cfg.spool_dir, "/srv/estel/spool");
    assert_int_equal(fx->cfg.upload_concurrency, 4);
    assert_false(fx->cfg.full_fsync);
    assert_true(event_on(&fx->cfg, "exec"));
    assert_true(event_on(&fx->cfg, "open"));
    assert_false(event_on(&fx->cfg, "fork"));   /* the list replaces */
    fx_free(fx);
}

/* defaults < file < managed < flag, each key remembering its layer */
static void
test_config_managed_overrides_file(void **state)
{
    struct fixture *fx = fx_new(state);
    char file[512], managed[512];

    write_xml(fx, "local.plist",
              "<key>SpoolMaxBytes</key><integer>2097152</integer>"
              "<key>LogLevel</key><string>debug</string>"
              "<key>HostID</key><string>local-id</string>",
              file, sizeof(file));
    write_xml(fx, "managed.plist",
              "<key>SpoolMaxBytes</key><integer>3145728</integer>"
              "<key>HostID</key><string>mdm-id</string>",
              managed, sizeof(managed));
    assert_int_equal(config_load(&fx->cfg, file, managed, &fx->err),
                     ESTEL_OK);
    assert_int_equal(fx->cfg.spool_max_bytes, 3145728);
    assert_int_equal(origin_of(&fx->cfg, "SpoolMaxBytes"),
                     CONFIG_FROM_MANAGED);
    assert_string_equal(fx->cfg.log_level, "debug");
    assert_int_equal(origin_of(&fx->cfg, "LogLevel"), CONFIG_FROM_FILE);
    assert_int_equal(origin_of(&fx->cfg, "RingBytes"), CONFIG_FROM_DEFAULT);
    assert_int_equal(config_set(&fx->cfg, "HostID", "flag-id",
                                CONFIG_FROM_FLAG, &fx->err), ESTEL_OK);
    assert_string_equal(fx->cfg.host_id, "flag-id");
    assert_int_equal(origin_of(&fx->cfg, "HostID"), CONFIG_FROM_FLAG);
    fx_free(fx);
}

/* A bad managed value keeps the file's value; both sources are checked. */
static void
test_config_bad_layer_keeps_previous(void **state)
{
    struct fixture *fx = fx_new(state);
    char file[512], managed[512];

    write_xml(fx, "l2.plist",
              "<key>UploadConcurrency</key><integer>4</integer>"
              "<key>Bogus</key><true/>", file, sizeof(file));
    write_xml(fx, "m2.plist",
              "<key>UploadConcurrency</key><integer>99</integer>",
              managed, sizeof(managed));
    assert_int_equal(config_load(&fx->cfg, file, managed, &fx->err),
                     ESTEL_E_CONFIG);
    assert_int_equal(fx->cfg.upload_concurrency, 4);
    assert_int_equal(origin_of(&fx->cfg, "UploadConcurrency"),
                     CONFIG_FROM_FILE);
    assert_int_equal(fx->cap.errors, 2);
    assert_non_null(strstr(fx->err.msg, "1 error in "));
    assert_non_null(strstr(fx->err.msg, "l2.plist"));
    assert_non_null(strstr(fx->err.msg, "m2.plist"));
    assert_line(&fx->cap, "m2.plist: UploadConcurrency: 99 is out of range; "
                "use 1 to 16");
    fx_free(fx);
}

/* Load tests/data/config/NAME.plist and compare with NAME.expect. */
static void
run_fixture(void **state, const char *name)
{
    struct fixture *fx = fx_new(state);
    char path[512], line[1024], want_rc[32];
    enum estel_rc rc;
    int want_errors = -1;
    FILE *f;
    size_t n;

    snprintf(path, sizeof(path), "%s/tests/data/config/%s.expect",
             ESTEL_SRC_DIR, name);
    f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof(line), f));
    assert_int_equal(sscanf(line, "rc=%31s errors=%d", want_rc,
                            &want_errors), 2);
    snprintf(path, sizeof(path), "%s/tests/data/config/%s.plist",
             ESTEL_SRC_DIR, name);
    rc = config_load_file(&fx->cfg, path, CONFIG_FROM_FILE, true, &fx->err);
    if (rc == ESTEL_OK)
        rc = config_validate(&fx->cfg, &fx->err);
    assert_string_equal(estel_rc_name(rc), want_rc);
    assert_int_equal(fx->cap.errors, want_errors);
    if (want_errors > 0) {
        snprintf(line, sizeof(line), "%d error%s in %s", want_errors,
                 want_errors == 1 ? "" : "s", path);
        assert_string_equal(fx->err.msg, line);
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        n = strcspn(line, "\n");
        line[n] = '\0';
        if (n == 0)
            continue;
        if (want_errors == 0 && rc != ESTEL_OK) {
            if (strstr(fx->err.msg, line) == NULL)
                fail_msg("err \"%s\" lacks \"%s\"", fx->err.msg, line);
        } else {
            assert_line(&fx->cap, line);
        }
    }
    fclose(f);
    fx_free(fx);
}

static void
test_config_fixtures(void **state)
{
    static const char *const names[] = {
        "valid-minimal", "bad-types", "bad-ranges", "bad-keys",
        "bad-strings", "bad-lists", "top-array", "garbage"
    };

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        print_message("fixture %s\n", names[i]);
        run_fixture(state, names[i]);
    }
}

/* The shipped example names every key and loads without a problem. */
static void
test_config_example_file_is_valid(void **state)
{
    struct fixture *fx = fx_new(state);
    char path[512];

    snprintf(path, sizeof(path), "%s/config/estel.plist.example",
             ESTEL_SRC_DIR);
    assert_int_equal(config_load_file(&fx->cfg, path, CONFIG_FROM_FILE, true,
                                      &fx->err), ESTEL_OK);
    assert_int_equal(config_validate(&fx->cfg, &fx->err), ESTEL_OK);
    assert_int_equal(fx->cap.errors, 0);
    for (size_t i = 0; i < config_key_count(); i++)
        if (fx->cfg.origin[i] != CONFIG_FROM_FILE)
            fail_msg("example file lacks %s", config_key_at(i)->name);
    fx_free(fx);
}

static void
test_config_rejects_wrong_type_keeps_default(void **state)
{
    struct fixture *fx = fx_new(state);

    assert_int_equal(load_xml(fx, "<key>SpoolMaxBytes</key>"
                              "<string>10GB</string>"), ESTEL_E_CONFIG);
    assert_int_equal(fx->cfg.spool_max_bytes, 1ULL << 30);
    assert_int_equal(origin_of(&fx->cfg, "SpoolMaxBytes"),
                     CONFIG_FROM_DEFAULT);
    assert_string_equal(fx->err.msg, "1 error in test.plist");
    assert_line(&fx->cap, "test.plist: SpoolMaxBytes: \"10GB\" is a string, "
                "not an integer; give bytes as <integer>");
    fx_free(fx);
}

static void
test_config_rejects_out_of_range(void **state)
{
    struct fixture *fx = fx_new(state);

    assert_int_equal(load_xml(fx,
                              "<key>RingBytes</key><integer>1024</integer>"
                              "<key>ConnectTimeoutSeconds</key>"
                              "<real>1e300</real>"
                              "<key>StatusIntervalSeconds</key>"
                              "<integer>-5</integer>"), ESTEL_E_CONFIG);
    assert_string_equal(fx->err.msg, "3 errors in test.plist");
    assert_line(&fx->cap, "RingBytes: 1024 is out of range; use 65536 "
                "(64 KiB) to 1073741824 (1 GiB) bytes");
    assert_line(&fx->cap, "ConnectTimeoutSeconds: 1e+300 is out of range; "
                "use 1 to 300 seconds");
    assert_line(&fx->cap, "StatusIntervalSeconds: -5 is out of range; "
                "use 0 to 86400 seconds");
    fx_free(fx);
}

static void
test_config_server_url(void **state)
{
    struct fixture *fx = fx_new(state);
    struct estel_err *e = &fx->err;

    assert_int_equal(config_set(&fx->cfg, "ServerURL",
                                "https://[2001:db8::1]:8443/v1", 0, e),
                     ESTEL_OK);
    assert_int_equal(config_set(&fx->cfg, "ServerURL",
                                "http://127.0.0.1:8088/v1/batches",
                                CONFIG_FROM_FLAG, e), ESTEL_OK);
    assert_int_equal(fx->cap.warnings, 1);
    assert_line(&fx->cap, "ServerURL: \"http://127.0.0.1:8088/v1/batches\" "
                "sends events unencrypted");
    assert_int_equal(config_set(&fx->cfg, "ServerURL", "ftp://x.example/",
                                CONFIG_FROM_FLAG, e), ESTEL_E_CONFIG);
    assert_string_equal(e->msg, "ServerURL: \"ftp://x.example/\" is not an "
                        "https:// URL; give e.g. "
                        "https://ingest.example.com/v1/batches");
    estel_err_clear(e);
    assert_int_equal(config_set(&fx->cfg, "ServerURL",
                                "https://bob:pa55word@x.example/",
                                CONFIG_FROM_FLAG, e), ESTEL_E_CONFIG);
    assert_null(strstr(e->msg, "pa55word"));
    assert_non_null(strstr(e->msg, "https://****@x.example/"));
    assert_non_null(strstr(e->msg, "remove the user:password@ part"));
    estel_err_clear(e);
    assert_int_equal(config_set(&fx->cfg, "ServerURL", "https://", 0, e),
                     ESTEL_E_CONFIG);
    assert_non_null(strstr(e->msg, "is not a URL"));
    /* the refused values left the last good one */
    assert_string_equal(fx->cfg.server_url,
                        "http://127.0.0.1:8088/v1/batches");
    fx_free(fx);
}

static void
test_config_pinned_key(void **state)
{
    struct fixture *fx = fx_new(state);
    static const char pin[] =
        "sha256//YhKJKSzoTt2b5FP18fvpHo7fJYqQCjAa3HWY3tvRMwE=";
    char two[256];

    snprintf(two, sizeof(two), "%s;%s", pin, pin);
    assert_int_equal(config_set(&fx->cfg, "ServerPinnedKey", pin, 0,
                                &fx->err), ESTEL_OK);
    assert_int_equal(config_set(&fx->cfg, "ServerPinnedKey", two, 0,
                                &fx->err), ESTEL_OK);
    assert_int_equal(config_set(&fx->cfg, "ServerPinnedKey",
                                "sha1//YhKJKSzoTt2b5FP18fvpHo7fJYqQCjAa3HWY3"
                                "tvRMwE=", 0, &fx->err), ESTEL_E_CONFIG);
    assert_non_null(strstr(fx->err.msg, "ServerPinnedKey: \"sha1//"));
    assert_non_null(strstr(fx->err.msg, "give sha256// and the base64"));
    fx_free(fx);
}

static void
test_config_proxy_credentials_never_shown(void **state)
{
    struct fixture *fx = fx_new(state);
    char *text = NULL;
    size_t len = 0;
    FILE *out;

    assert_int_equal(config_set(&fx->cfg, "Proxy",
                                "http://alice:s3cr3t@proxy.example:3128",
                                CONFIG_FROM_FLAG, &fx->err), ESTEL_OK);
    assert_string_equal(fx->cfg.proxy,
                        "http://alice:s3cr3t@proxy.example:3128");
    out = open_memstream(&text, &len);
    assert_non_null(out);
    config_print(&fx->cfg, out);
    fclose(out);
    assert_null(strstr(text, "s3cr3t"));
    assert_null(strstr(text, "alice"));
    assert_non_null(strstr(text, "http://****@proxy.example:3128  (flag)"));
    free(text);
    /* nor in a message: a password may even hold a '/' */
    assert_int_equal(config_set(&fx->cfg, "Proxy", "gopher://a:p/w@h:1",
                                CONFIG_FROM_FLAG, &fx->err), ESTEL_E_CONFIG);
    assert_null(strstr(fx->err.msg, "p/w"));
    assert_non_null(strstr(fx->err.msg, "\"gopher://****@h:1\""));
    fx_free(fx);
}

static void
test_config_cross_key_checks(void **state)
{
    struct fixture *fx = fx_new(state);

    assert_int_equal(load_xml(fx,
                              "<key>ClientKey</key>"
                              "<string>/etc/estel/client.key</string>"
                              "<key>RequestTimeoutSeconds</key>"
                              "<integer>5</integer>"
                              "<key>BatchMaxBytes</key>"
                              "<integer>4194304</integer>"
                              "<key>SpoolMaxBytes</key>"
                              "<integer>2097152</integer>"
                              "<key>IngestTLSKey</key>"
                              "<string>/etc/estel/ingest.key</string>"
                              "<key>ServerCA</key>"
                              "<string>/etc/estel/ca.pem</string>"),
                     ESTEL_OK);
    assert_int_equal(config_validate(&fx->cfg, &fx->err), ESTEL_E_CONFIG);
    assert_string_equal(fx->err.msg,
                        "4 errors in the combined configuration");
    assert_line(&fx->cap, "ClientKey: \"/etc/estel/client.key\" is set but "
                "ClientCertificate is not; set ClientCertificate");
    assert_line(&fx->cap, "RequestTimeoutSeconds: 5 is shorter than "
                "ConnectTimeoutSeconds (10); raise it");
    assert_line(&fx->cap, "BatchMaxBytes: 4194304 is larger than "
                "SpoolMaxBytes (2097152)");
    assert_line(&fx->cap, "IngestTLSKey: \"/etc/estel/ingest.key\" is set but"
                " IngestTLSCertificate is not; set both or neither");
    assert_int_equal(fx->cap.warnings, 1);
    assert_line(&fx->cap, "ServerCA: has no effect without ServerURL");
    fx_free(fx);
}

static void
test_config_report_is_capped_count_is_not(void **state)
{
    struct fixture *fx = fx_new(state);
    char body[8192];
    size_t n = 0;

    for (int i = 0; i < 60; i++)
        n += (size_t)snprintf(body + n, sizeof(body) - n,
                              "<key>Unknown%d</key><true/>", i);
    assert_int_equal(load_xml(fx, body), ESTEL_E_CONFIG);
    assert_string_equal(fx->err.msg, "60 errors in test.plist");
    assert_int_equal(fx->cap.n, 51);
    assert_line(&fx->cap, "more problems follow; only the first 50");
    fx_free(fx);
}

static void
test_config_file_refusals(void **state)
{
    struct fixture *fx = fx_new(state);
    char path[512], link[512], *big;
    struct estel_err *e = &fx->err;

    snprintf(path, sizeof(path), "%s/absent.plist", fx->dir);
    assert_int_equal(config_load_file(&fx->cfg, path, CONFIG_FROM_FILE,
                                      false, e), ESTEL_OK);
    assert_int_equal(config_load_file(&fx->cfg, path, CONFIG_FROM_FILE, true,
                                      e), ESTEL_E_CONFIG);
    assert_non_null(strstr(e->msg, "absent.plist: no such file"));

    write_xml(fx, "real.plist", "", path, sizeof(path));
    snprintf(link, sizeof(link), "%s/link.plist", fx->dir);
    assert_int_equal(symlink(path, link), 0);
    estel_err_clear(e);
    assert_int_equal(config_load_file(&fx->cfg, link, CONFIG_FROM_FILE,
                                      false, e), ESTEL_E_CONFIG);
    assert_non_null(strstr(e->msg, "link.plist: is a symbolic link"));

    estel_err_clear(e);
    assert_int_equal(config_load_file(&fx->cfg, fx->dir, CONFIG_FROM_FILE,
                                      true, e), ESTEL_E_CONFIG);
    assert_non_null(strstr(e->msg, "is not a regular file"));

    big = calloc(1, CONFIG_MAX_BYTES + 1);
    assert_non_null(big);
    memset(big, ' ', CONFIG_MAX_BYTES + 1);
    snprintf(path, sizeof(path), "%s/big.plist", fx->dir);
    write_bytes(path, big, CONFIG_MAX_BYTES + 1);
    estel_err_clear(e);
    assert_int_equal(config_load_file(&fx->cfg, path, CONFIG_FROM_FILE, true,
                                      e), ESTEL_E_CONFIG);
    assert_non_null(strstr(e->msg, "larger than the 1048576 allowed"));
    estel_err_clear(e);
    assert_int_equal(config_load_buffer(&fx->cfg, big, CONFIG_MAX_BYTES + 1,
                                        "mem", CONFIG_FROM_FILE, e),
                     ESTEL_E_CONFIG);
    free(big);

    snprintf(path, sizeof(path), "%s/empty.plist", fx->dir);
    write_bytes(path, "", 0);
    estel_err_clear(e);
    assert_int_equal(config_load_file(&fx->cfg, path, CONFIG_FROM_FILE, true,
                                      e), ESTEL_E_CONFIG);
    assert_non_null(strstr(e->msg, "empty.plist: is empty"));
    assert_int_equal(fx->cap.n, 0);     /* refused whole, not reported */
    fx_free(fx);
}

static void
test_config_warns_writable_file(void **state)
{
    struct fixture *fx = fx_new(state);
    char path[512];

    write_xml(fx, "open.plist", "", path, sizeof(path));
    assert_int_equal(chmod(path, 0666), 0);
    assert_int_equal(config_load_file(&fx->cfg, path, CONFIG_FROM_FILE, true,
                                      &fx->err), ESTEL_OK);
    assert_int_equal(fx->cap.warnings, 1);
    assert_line(&fx->cap, "is writable by group or others");
    assert_line(&fx->cap, "run chmod go-w");
    fx_free(fx);
}

static void
test_config_too_many_keys(void **state)
{
    struct fixture *fx = fx_new(state);
    char body[16000];
    size_t n = 0;

    for (int i = 0; i < 200; i++)
        n += (size_t)snprintf(body + n, sizeof(body) - n,
                              "<key>K%d</key><true/>", i);
    assert_int_equal(load_xml(fx, body), ESTEL_E_CONFIG);
    assert_non_null(strstr(fx->err.msg, "has 200 keys but estel knows only"));
    fx_free(fx);
}

/* Binary plist: objects 0..n-1, object i = [i+1, i+1], the last one [].
 * libplist 2.2 copies each shared reference: 2^n nodes from ~4n bytes. */
static size_t
make_bplist_dag(unsigned char *b, size_t size, int n, int refs_per)
{
    size_t off[256], q = 0, ot;

    assert_true(n < 200 && size > (size_t)n * 6 + 64);
    memcpy(b, "bplist00", 8);
    q = 8;
    for (int i = 0; i < n; i++) {
        off[i] = q;
        if (i + 1 < n) {
            b[q++] = (unsigned char)(0xA0 | refs_per);
            for (int r = 0; r < refs_per; r++)
                b[q++] = (unsigned char)(i + 1);
        } else {
            b[q++] = 0xA0;
        }
    }
    ot = q;
    for (int i = 0; i < n; i++) {
        b[q++] = (unsigned char)(off[i] >> 8);
        b[q++] = (unsigned char)off[i];
    }
    memset(b + q, 0, 6);
    q += 6;
    b[q++] = 2;                         /* offset size */
    b[q++] = 1;                         /* ref size */
    for (int s = 56; s >= 0; s -= 8)
        b[q++] = (unsigned char)((uint64_t)n >> s);
    for (int s = 56; s >= 0; s -= 8)
        b[q++] = 0;                     /* top object */
    for (int s = 56; s >= 0; s -= 8)
        b[q++] = (unsigned char)((uint64_t)ot >> s);
    return q;
}

static void
test_config_refuses_hostile_shapes(void **state)
{
    struct fixture *fx = fx_new(state);
    unsigned char bin[2048];
    char xml[4096];
    size_t n = 0, len;

    /* 40 shared levels would be 2^40 nodes: refused before libplist */
    len = make_bplist_dag(bin, sizeof(bin), 40, 2);
    assert_int_equal(config_load_buffer(&fx->cfg, (const char *)bin, len,
                                        "bomb", CONFIG_FROM_FILE, &fx->err),
                     ESTEL_E_CONFIG);
    assert_non_null(strstr(fx->err.msg, "bomb: is nested too deeply or "
                           "holds too many values"));
    /* deep but thin: past the depth cap */
    len = make_bplist_dag(bin, sizeof(bin), 40, 1);
    estel_err_clear(&fx->err);
    assert_int_equal(config_load_buffer(&fx->cfg, (const char *)bin, len,
                                        "deep", CONFIG_FROM_FILE, &fx->err),
                     ESTEL_E_CONFIG);
    assert_non_null(strstr(fx->err.msg, "nested too deeply"));
    /* shallow and thin is fine as far as shape goes: top is not a dict */
    len = make_bplist_dag(bin, sizeof(bin), 3, 1);
    estel_err_clear(&fx->err);
    assert_int_equal(config_load_buffer(&fx->cfg, (const char *)bin, len,
                                        "thin", CONFIG_FROM_FILE, &fx->err),
                     ESTEL_E_CONFIG);
    assert_non_null(strstr(fx->err.msg, "top level is not a <dict>"));
    /* XML: too many containers */
    n = (size_t)snprintf(xml, sizeof(xml), "<plist><dict><key>A</key>");
    for (int i = 0; i < 100; i++)
        n += (size_t)snprintf(xml + n, sizeof(xml) - n, "<array>");
    for (int i = 0; i < 100; i++)
        n += (size_t)snprintf(xml + n, sizeof(xml) - n, "</array>");
    n += (size_t)snprintf(xml + n, sizeof(xml) - n, "</dict></plist>");
    estel_err_clear(&fx->err);
    assert_int_equal(config_load_buffer(&fx->cfg, xml, n, "x",
                                        CONFIG_FROM_FILE, &fx->err),
                     ESTEL_E_CONFIG);
    assert_non_null(strstr(fx->err.msg, "nested too deeply"));
    /* truncated binary header */
    estel_err_clear(&fx->err);
    assert_int_equal(config_load_buffer(&fx->cfg, "bplist00\x01", 9, "t",
                                        CONFIG_FROM_FILE, &fx->err),
                     ESTEL_E_CONFIG);
    assert_string_equal(fx->err.msg, "t: is a damaged binary plist; check "
                        "it with plutil -lint");
    fx_free(fx);
}

/* libplist 2.2 aborts on a key holding NUL: such input must not reach it */
static void
test_config_refuses_nul_bytes(void **state)
{
    struct fixture *fx = fx_new(state);
    /* { "A\0B": true } as a binary plist, built by hand */
    static const unsigned char bin[] = {
        'b', 'p', 'l', 'i', 's', 't', '0', '0',
        0xD1, 0x01, 0x02,               /* 8: dict, key 1, value 2 */
        0x53, 'A', 0x00, 'B',           /* 11: ASCII string, 3 bytes */
        0x09,                           /* 15: true */
        0x08, 0x0B, 0x0F,               /* 16: offset table */
        0, 0, 0, 0, 0, 0, 1, 1,         /* trailer: sizes */
        0, 0, 0, 0, 0, 0, 0, 3,         /* 3 objects */
        0, 0, 0, 0, 0, 0, 0, 0,         /* top: object 0 */
        0, 0, 0, 0, 0, 0, 0, 16         /* offset table at 16 */
    };
    static const char xml[] = "<plist><dict><key>HostID</key><string>a\0b"
                              "</string></dict></plist>";

    assert_int_equal(config_load_buffer(&fx->cfg, (const char *)bin,
                                        sizeof(bin), "nulkey",
                                        CONFIG_FROM_FILE, &fx->err),
                     ESTEL_E_CONFIG);
    assert_string_equal(fx->err.msg, "nulkey: holds a string with a NUL "
                        "byte; remove it");
    /* the same bytes with "A?B": loads, and is an unknown key */
    {
        unsigned char ok[sizeof(bin)];

        memcpy(ok, bin, sizeof(bin));
        ok[13] = '?';
        estel_err_clear(&fx->err);
        assert_int_equal(config_load_buffer(&fx->cfg, (const char *)ok,
                                            sizeof(ok), "okkey",
                                            CONFIG_FROM_FILE, &fx->err),
                         ESTEL_E_CONFIG);
        assert_line(&fx->cap, "okkey: A?B: unknown key");
    }
    estel_err_clear(&fx->err);
    assert_int_equal(config_load_buffer(&fx->cfg, xml, sizeof(xml) - 1,
                                        "nulxml", CONFIG_FROM_FILE, &fx->err),
                     ESTEL_E_CONFIG);
    assert_non_null(strstr(fx->err.msg, "NUL byte"));
    fx_free(fx);
}

static void
test_config_mute_paths(void **state)
{
    struct fixture *fx = fx_new(state);
    struct estel_config *c = &fx->cfg;

    assert_int_equal(load_xml(fx, "<key>MutePaths</key><array>"
                              "<string>/usr/libexec/*</string>"
                              "<string>/usr/sbin/cfprefsd</string></array>"
                              "<key>MuteTargetPaths</key><array>"
                              "<string>/private/var/folders/*</string>"
                              "</array>"), ESTEL_OK);
    assert_int_equal(c->mute_paths_count, 2);
    assert_string_equal(c->mute_paths[0].path, "/usr/libexec/");
    assert_true(c->mute_paths[0].prefix);
    assert_string_equal(c->mute_paths[1].path, "/usr/sbin/cfprefsd");
    assert_false(c->mute_paths[1].prefix);
    assert_int_equal(c->mute_target_paths_count, 1);
    assert_string_equal(c->mute_target_paths[0].path,
                        "/private/var/folders/");
    /* a bad item refuses the whole list, the old one stays */
    assert_int_equal(load_xml(fx, "<key>MutePaths</key><array>"
                              "<string>/ok</string><true/></array>"),
                     ESTEL_E_CONFIG);
    assert_line(&fx->cap, "MutePaths: item 2 is a boolean, not a string");
    assert_int_equal(c->mute_paths_count, 2);
    /* flags: comma-separated; an empty list clears */
    assert_int_equal(config_set(c, "MutePaths", " /a/b* , /c ", 0,
                                &fx->err), ESTEL_OK);
    assert_int_equal(c->mute_paths_count, 2);
    assert_string_equal(c->mute_paths[0].path, "/a/b");
    assert_true(c->mute_paths[0].prefix);
    assert_string_equal(c->mute_paths[1].path, "/c");
    assert_int_equal(config_set(c, "MutePaths", "", 0, &fx->err), ESTEL_OK);
    assert_int_equal(c->mute_paths_count, 0);
    assert_null(c->mute_paths);
    fx_free(fx);
}

static void
test_config_event_types(void **state)
{
    struct fixture *fx = fx_new(state);
    struct estel_config *c = &fx->cfg;
    int on = 0;

    assert_int_equal(load_xml(fx, "<key>EventTypes</key><array>"
                              "<string>exec</string><string>open</string>"
                              "<string>exec</string></array>"), ESTEL_OK);
    for (uint32_t v = 0; v < 256; v++)
        on += config_event_enabled(c, v);
    assert_int_equal(on, 2);
    assert_true(config_event_enabled(c, 9));    /* NOTIFY_EXEC, not AUTH */
    assert_false(config_event_enabled(c, 0));
    assert_false(config_event_enabled(c, 100000));
    assert_int_equal(load_xml(fx, "<key>EventTypes</key><array/>"),
                     ESTEL_E_CONFIG);
    assert_line(&fx->cap, "EventTypes: is empty, so nothing would be "
                "collected; name at least one event type, e.g. exec");
    estel_err_clear(&fx->err);
    assert_int_equal(config_set(c, "EventTypes", "exec,frok", 0, &fx->err),
                     ESTEL_E_CONFIG);
    assert_string_equal(fx->err.msg, "EventTypes: \"frok\" is not an "
                        "Endpoint Security NOTIFY event type; did you mean "
                        "fork?");
    assert_true(config_event_enabled(c, 10));   /* unchanged: exec, open */
    assert_int_equal(config_set(c, "EventTypes", "fork, mmap", 0, &fx->err),
                     ESTEL_OK);
    assert_true(event_on(c, "mmap"));
    assert_false(event_on(c, "exec"));
    fx_free(fx);
}

static void
test_config_identity_name_needs_export_paths(void **state)
{
    struct fixture *fx = fx_new(state);

    assert_int_equal(config_set(&fx->cfg, "ClientIdentityName",
                                "Example Corp Device CA", CONFIG_FROM_FLAG,
                                &fx->err), ESTEL_OK);
    assert_int_equal(config_validate(&fx->cfg, &fx->err), ESTEL_E_CONFIG);
    assert_line(&fx->cap, "ClientIdentityName: \"Example Corp Device CA\" "
                "is set but ClientCertificate and ClientKey are not");
    estel_err_clear(&fx->err);
    assert_int_equal(config_set(&fx->cfg, "ClientCertificate",
                                "/etc/estel/c.pem", CONFIG_FROM_FLAG,
                                &fx->err), ESTEL_OK);
    assert_int_equal(config_set(&fx->cfg, "ClientKey", "/etc/estel/c.key",
                                CONFIG_FROM_FLAG, &fx->err), ESTEL_OK);
    assert_int_equal(config_set(&fx->cfg, "ServerURL",
                                "https://ingest.example.com/v1/batches",
                                CONFIG_FROM_FLAG, &fx->err), ESTEL_OK);
    assert_int_equal(config_validate(&fx->cfg, &fx->err), ESTEL_OK);
    fx_free(fx);
}

static void
test_config_set_from_flags(void **state)
{
    struct fixture *fx = fx_new(state);
    struct estel_config *c = &fx->cfg;
    struct estel_err *e = &fx->err;

    assert_int_equal(config_set(c, "SpoolMaxBytes", "10GB", CONFIG_FROM_FLAG,
                                e), ESTEL_E_CONFIG);
    assert_string_equal(e->msg, "SpoolMaxBytes: \"10GB\" is not an integer; "
                        "give bytes, e.g. 10737418240");
    estel_err_clear(e);
    assert_int_equal(config_set(c, "SpoolMaxBytes", "10737418240",
                                CONFIG_FROM_FLAG, e), ESTEL_OK);
    assert_int_equal(c->spool_max_bytes, 10737418240ULL);
    assert_int_equal(config_set(c, "BatchMaxAgeSeconds", "0.25", 0, e),
                     ESTEL_OK);
    assert_int_equal(c->batch_max_age_ms, 250);
    assert_int_equal(config_set(c, "CaptureEnvironment", "yes", 0, e),
                     ESTEL_OK);
    assert_true(c->capture_environment);
    assert_int_equal(config_set(c, "CaptureEnvironment", "maybe", 0, e),
                     ESTEL_E_CONFIG);
    assert_string_equal(e->msg, "CaptureEnvironment: \"maybe\" is not a "
                        "boolean; give true or false");
    estel_err_clear(e);
    assert_int_equal(config_set(c, "ArgvMaxCount", "-1", 0, e),
                     ESTEL_E_CONFIG);
    assert_string_equal(e->msg, "ArgvMaxCount: -1 is out of range; use 0 to "
                        "65536 arguments");
    estel_err_clear(e);
    assert_int_equal(config_set(c, "SpoolDirectory", "relative/dir", 0, e),
                     ESTEL_E_CONFIG);
    assert_non_null(strstr(e->msg, "is not an absolute path"));
    estel_err_clear(e);
    assert_int_equal(config_set(c, "SpoolDirectory", "", 0, e),
                     ESTEL_E_CONFIG);
    assert_string_equal(e->msg, "SpoolDirectory: is empty; give a value, "
                        "e.g. /var/lib/estel/spool");
    estel_err_clear(e);
    assert_int_equal(config_set(c, "SpoolMaxByte", "1", 0, e),
                     ESTEL_E_CONFIG);
    assert_string_equal(e->msg, "SpoolMaxByte: unknown key; did you mean "
                        "SpoolMaxBytes?");
    estel_err_clear(e);
    assert_int_equal(config_set(c, "LogLevel", "debug\n", 0, e),
                     ESTEL_E_CONFIG);
    assert_non_null(strstr(e->msg, "\"debug?\" contains control"));
    assert_string_equal(c->spool_dir, CONFIG_DEFAULT_SPOOL);
    assert_int_equal(fx->cap.n, 0);     /* flags return, never report */
    fx_free(fx);
}

/* What the profile generator does: an XML settings dict in memory. */
static void
test_config_validates_settings_dict_in_memory(void **state)
{
    struct fixture *fx = fx_new(state);
    plist_t root = plist_new_dict();
    char *xml = NULL;
    uint32_t len = 0;

    plist_dict_set_item(root, "ServerURL",
                        plist_new_string("https://ingest.example.com/b"));
    plist_dict_set_item(root, "CompressionLevel", plist_new_uint(25));
    plist_to_xml(root, &xml, &len);
    plist_free(root);
    assert_int_equal(config_load_buffer(&fx->cfg, xml, len, "payload",
                                        CONFIG_FROM_MANAGED, &fx->err),
                     ESTEL_E_CONFIG);
    free(xml);
    assert_string_equal(fx->err.msg, "1 error in payload");
    assert_line(&fx->cap, "payload: CompressionLevel: 25 is out of range; "
                "use 1 to 19");
    assert_int_equal(origin_of(&fx->cfg, "ServerURL"), CONFIG_FROM_MANAGED);
    fx_free(fx);
}

static void
test_config_print_shows_values_and_origins(void **state)
{
    struct fixture *fx = fx_new(state);
    char *text = NULL;
    size_t len = 0;
    FILE *out;

    assert_int_equal(load_xml(fx, "<key>MutePaths</key><array>"
                              "<string>/usr/libexec/*</string></array>"
                              "<key>BatchMaxAgeSeconds</key><real>0.5</real>"),
                     ESTEL_OK);
    out = open_memstream(&text, &len);
    assert_non_null(out);
    config_print(&fx->cfg, out);
    fclose(out);
    assert_non_null(strstr(text, "SpoolMaxBytes           = 1073741824 "
                           "(1 GiB)  (default)\n"));
    assert_non_null(strstr(text, "BatchMaxAgeSeconds      = 0.5  (file)\n"));
    assert_non_null(strstr(text, "MutePaths               = /usr/libexec/*"
                           "  (file)\n"));
    assert_non_null(strstr(text, "ServerURL               = (unset)  "
                           "(default)\n"));
    assert_non_null(strstr(text, "EventTypes              = exec, "));
    free(text);
    fx_free(fx);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_defaults),
        cmocka_unit_test(test_config_key_table),
        cmocka_unit_test(test_config_loads_xml_file),
        cmocka_unit_test(test_config_loads_binary_file),
        cmocka_unit_test(test_config_managed_overrides_file),
        cmocka_unit_test(test_config_bad_layer_keeps_previous),
        cmocka_unit_test(test_config_fixtures),
        cmocka_unit_test(test_config_example_file_is_valid),
        cmocka_unit_test(test_config_rejects_wrong_type_keeps_default),
        cmocka_unit_test(test_config_rejects_out_of_range),
        cmocka_unit_test(test_config_server_url),
        cmocka_unit_test(test_config_pinned_key),
        cmocka_unit_test(test_config_proxy_credentials_never_shown),
        cmocka_unit_test(test_config_cross_key_checks),
        cmocka_unit_test(test_config_report_is_capped_count_is_not),
        cmocka_unit_test(test_config_file_refusals),
        cmocka_unit_test(test_config_warns_writable_file),
        cmocka_unit_test(test_config_too_many_keys),
        cmocka_unit_test(test_config_refuses_hostile_shapes),
        cmocka_unit_test(test_config_refuses_nul_bytes),
        cmocka_unit_test(test_config_mute_paths),
        cmocka_unit_test(test_config_event_types),
        cmocka_unit_test(test_config_set_from_flags),
        cmocka_unit_test(test_config_identity_name_needs_export_paths),
        cmocka_unit_test(test_config_validates_settings_dict_in_memory),
        cmocka_unit_test(test_config_print_shows_values_and_origins),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
