/*
 * test_profile.c - deploy/: the .mobileconfig generator (every payload and
 * its common keys, UUID uniqueness and stability, the TCC requirement, the
 * system extension policy, settings validated by config/ and carried
 * verbatim, the PKCS#12 check), every refusal with its message, the atomic
 * write, and the Info.plist / entitlements files CMake generates from the
 * templates (their ids must agree with the profile's defaults).
 */
#define _XOPEN_SOURCE 700            /* nftw */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <plist/plist.h>

#include "config/config.h"
#include "deploy/deploy.h"

#ifndef ESTEL_DEPLOY_GEN_DIR
#error "tests/unit/deploy.cmake passes the generated files' directory"
#endif
#ifndef ESTEL_TEST_TEAM_ID
#error "tests/unit/deploy.cmake passes the CMake ESTEL_TEAM_ID"
#endif

#define TEAM "ABCDE12345"
#define PASSWORD "s3cret-Pa55"

struct fixture {
    char dir[256];
    char path[512];
    char lines[16][1024];
    int nlines;
    struct deploy_profile_params p;
    struct deploy_profile prof;
    struct estel_err err;
    plist_t root;
};

static void
capture(void *ctx, bool is_error, const char *line)
{
    struct fixture *f = ctx;

    (void)is_error;
    if (f->nlines < 16)
        snprintf(f->lines[f->nlines++], sizeof(f->lines[0]), "%s", line);
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
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "/tmp/estel-test-profile-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    f->p.team_id = TEAM;
    f->p.report = capture;
    f->p.report_ctx = f;
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;

    deploy_profile_free(&f->prof);
    plist_free(f->root);
    (void)nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

static const char *
in_dir(struct fixture *f, const char *name)
{
    snprintf(f->path, sizeof(f->path), "%s/%s", f->dir, name);
    return f->path;
}

static char *
write_file(struct fixture *f, const char *name, const char *text)
{
    FILE *fp = fopen(in_dir(f, name), "w");

    assert_non_null(fp);
    assert_int_equal(fputs(text, fp) >= 0, 1);
    assert_int_equal(fclose(fp), 0);
    return strdup(f->path);
}

/* Build, expect success, parse the XML back into f->root. */
static void
build_ok(struct fixture *f)
{
    enum estel_rc rc;

    deploy_profile_free(&f->prof);
    plist_free(f->root);
    f->root = NULL;
    rc = deploy_profile_build(&f->prof, &f->p, &f->err);
    if (rc != ESTEL_OK)
        fail_msg("build failed: %s", f->err.msg);
    assert_non_null(f->prof.xml);
    assert_int_equal(strlen(f->prof.xml), f->prof.len);
    plist_from_xml(f->prof.xml, (uint32_t)f->prof.len, &f->root);
    assert_non_null(f->root);
    assert_int_equal(plist_get_node_type(f->root), PLIST_DICT);
}

/* Build, expect rc, a message with frag, and no profile. */
static void
build_fails(struct fixture *f, enum estel_rc want, const char *frag)
{
    enum estel_rc rc;

    memset(&f->err, 0, sizeof(f->err));
    rc = deploy_profile_build(&f->prof, &f->p, &f->err);
    if (rc != want)
        fail_msg("want rc %d, got %d: %s", want, rc, f->err.msg);
    assert_null(f->prof.xml);
    if (strstr(f->err.msg, frag) == NULL)
        fail_msg("message lacks \"%s\": %s", frag, f->err.msg);
    assert_null(strstr(f->err.msg, PASSWORD));
}

static const char *
str_at(plist_t dict, const char *key)
{
    plist_t n = plist_dict_get_item(dict, key);
    char *s = NULL;
    static char buf[4][4096];
    static int next;

    if (n == NULL || plist_get_node_type(n) != PLIST_STRING)
        return NULL;
    plist_get_string_val(n, &s);
    next = (next + 1) % 4;
    snprintf(buf[next], sizeof(buf[next]), "%s", s);
    free(s);
    return buf[next];
}

static plist_t
payload(plist_t root, const char *type)
{
    plist_t content = plist_dict_get_item(root, "PayloadContent");
    uint32_t i;

    for (i = 0; content != NULL && i < plist_array_get_size(content); i++) {
        plist_t p = plist_array_get_item(content, i);
        const char *t = str_at(p, "PayloadType");

        if (t != NULL && strcmp(t, type) == 0)
            return p;
    }
    return NULL;
}

static void
assert_common_keys(plist_t d, const char *type)
{
    plist_t v = plist_dict_get_item(d, "PayloadVersion");
    uint64_t n = 0;

    assert_string_equal(str_at(d, "PayloadType"), type);
    assert_non_null(str_at(d, "PayloadIdentifier"));
    assert_int_equal(strlen(str_at(d, "PayloadUUID")), DEPLOY_UUID_LEN);
    assert_non_null(v);
    assert_int_equal(plist_get_node_type(v), PLIST_UINT);
    plist_get_uint_val(v, &n);
    assert_int_equal(n, 1);
}

/* Every UUID of root, top-level first, into out (at most 8). */
static int
uuids(plist_t root, char out[8][DEPLOY_UUID_LEN + 1])
{
    plist_t content = plist_dict_get_item(root, "PayloadContent");
    int n = 0;

    snprintf(out[n++], DEPLOY_UUID_LEN + 1, "%s",
             str_at(root, "PayloadUUID"));
    for (uint32_t i = 0; i < plist_array_get_size(content) && n < 8; i++)
        snprintf(out[n++], DEPLOY_UUID_LEN + 1, "%s",
                 str_at(plist_array_get_item(content, i), "PayloadUUID"));
    return n;
}

/* ---- parameters and helpers --------------------------------------- */

static void
test_profile_team_id_valid(void **state)
{
    (void)state;
    assert_true(deploy_team_id_valid("ABCDE12345"));
    assert_true(deploy_team_id_valid("0123456789"));
    assert_false(deploy_team_id_valid(NULL));
    assert_false(deploy_team_id_valid(""));
    assert_false(deploy_team_id_valid("abcde12345"));
    assert_false(deploy_team_id_valid("ABCDE1234"));
    assert_false(deploy_team_id_valid("ABCDE123456"));
    assert_false(deploy_team_id_valid("ABCDE-2345"));
}

static void
test_profile_bundle_id_valid(void **state)
{
    (void)state;
    assert_true(deploy_bundle_id_valid("com.example.estel"));
    assert_true(deploy_bundle_id_valid("com.example-corp.estel.es"));
    assert_false(deploy_bundle_id_valid("estel"));
    assert_false(deploy_bundle_id_valid(".com.example"));
    assert_false(deploy_bundle_id_valid("com..example"));
    assert_false(deploy_bundle_id_valid("com.example."));
    assert_false(deploy_bundle_id_valid("com.exa\"mple"));
    assert_false(deploy_bundle_id_valid("com.exa mple"));
}

static void
test_profile_uuid_v5_known_vector(void **state)
{
    char u[DEPLOY_UUID_LEN + 1];
    struct estel_err err = { 0 };

    (void)state;
    /* RFC 4122 DNS namespace, "python.org": Python's uuid.uuid5 */
    assert_int_equal(deploy_uuid_v5(u, "6ba7b810-9dad-11d1-80b4-00c04fd430c8",
                                    "python.org", &err), ESTEL_OK);
    assert_string_equal(u, "886313E1-3B8A-5372-9B90-0C9AEE199E5D");
    assert_int_equal(deploy_uuid_v5(u, "not-a-uuid", "x", &err),
                     ESTEL_E_USAGE);
}

static void
test_profile_uuid_v4_format(void **state)
{
    char a[DEPLOY_UUID_LEN + 1], b[DEPLOY_UUID_LEN + 1];

    (void)state;
    assert_int_equal(deploy_uuid_v4(a, NULL), ESTEL_OK);
    assert_int_equal(deploy_uuid_v4(b, NULL), ESTEL_OK);
    assert_int_equal(strlen(a), DEPLOY_UUID_LEN);
    assert_int_equal(a[14], '4');
    assert_true(strchr("89AB", a[19]) != NULL);
    assert_string_not_equal(a, b);
}

/* ---- the profile ---------------------------------------------------- */

static void
test_profile_minimal_has_every_key(void **state)
{
    struct fixture *f = *state;
    plist_t sx, tcc, fda, entry, allowed;
    char ids[8][DEPLOY_UUID_LEN + 1];
    int n;

    build_ok(f);
    assert_false(f->prof.has_secret);
    assert_common_keys(f->root, "Configuration");
    assert_string_equal(str_at(f->root, "PayloadScope"), "System");
    assert_string_equal(str_at(f->root, "PayloadIdentifier"),
                        DEPLOY_DEFAULT_APP_ID ".profile");
    assert_non_null(str_at(f->root, "PayloadDisplayName"));
    assert_non_null(str_at(f->root, "PayloadOrganization"));
    assert_non_null(str_at(f->root, "PayloadDescription"));
    assert_int_equal(plist_array_get_size(
        plist_dict_get_item(f->root, "PayloadContent")), 2);
    /* no settings, identity or daemon unless asked for */
    assert_null(payload(f->root, "com.apple.ManagedClient.preferences"));
    assert_null(payload(f->root, "com.apple.security.pkcs12"));
    assert_null(payload(f->root, "com.apple.servicemanagement"));

    sx = payload(f->root, "com.apple.system-extension-policy");
    assert_non_null(sx);
    assert_common_keys(sx, "com.apple.system-extension-policy");
    allowed = plist_dict_get_item(
        plist_dict_get_item(sx, "AllowedSystemExtensions"), TEAM);
    assert_int_equal(plist_array_get_size(allowed), 1);
    assert_non_null(plist_dict_get_item(sx, "AllowedSystemExtensionTypes"));
    {
        plist_t types = plist_dict_get_item(
            plist_dict_get_item(sx, "AllowedSystemExtensionTypes"), TEAM);
        char *s = NULL;

        plist_get_string_val(plist_array_get_item(types, 0), &s);
        assert_string_equal(s, "EndpointSecurityExtension");
        free(s);
        plist_get_string_val(plist_array_get_item(allowed, 0), &s);
        assert_string_equal(s, DEPLOY_DEFAULT_SYSEX_ID);
        free(s);
    }
    /* narrower than AllowedTeamIdentifiers; Apple forbids both */
    assert_null(plist_dict_get_item(sx, "AllowedTeamIdentifiers"));
    assert_null(plist_dict_get_item(sx, "NonRemovableSystemExtensions"));

    tcc = payload(f->root, "com.apple.TCC.configuration-profile-policy");
    assert_non_null(tcc);
    assert_common_keys(tcc, "com.apple.TCC.configuration-profile-policy");
    fda = plist_dict_get_item(plist_dict_get_item(tcc, "Services"),
                              "SystemPolicyAllFiles");
    assert_int_equal(plist_array_get_size(fda), 1);
    entry = plist_array_get_item(fda, 0);
    assert_string_equal(str_at(entry, "Identifier"), DEPLOY_DEFAULT_SYSEX_ID);
    assert_string_equal(str_at(entry, "IdentifierType"), "bundleID");
    assert_string_equal(str_at(entry, "CodeRequirement"),
        "identifier \"" DEPLOY_DEFAULT_SYSEX_ID "\" and anchor apple generic "
        "and certificate 1[field.1.2.840.113635.100.6.2.6] /* exists */ and "
        "certificate leaf[field.1.2.840.113635.100.6.1.13] /* exists */ and "
        "certificate leaf[subject.OU] = \"" TEAM "\"");
    assert_non_null(plist_dict_get_item(entry, "Allowed"));
    assert_null(plist_dict_get_item(entry, "Authorization"));

    n = uuids(f->root, ids);
    assert_int_equal(n, 3);
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            assert_string_not_equal(ids[i], ids[j]);
}

static void
test_profile_ids_and_requirement_from_flags(void **state)
{
    struct fixture *f = *state;
    plist_t entry;

    f->p.sysex_id = "org.acme.sensor.es";
    f->p.app_id = "org.acme.sensor";
    f->p.identifier = "org.acme.profiles.sensor";
    f->p.organization = "Acme & Co <Security>";
    f->p.code_requirement = "designated => identifier \"org.acme.sensor.es\" "
        "and anchor apple generic and certificate leaf[subject.OU] = "
        "\"" TEAM "\"\n";
    build_ok(f);
    assert_string_equal(str_at(f->root, "PayloadIdentifier"),
                        "org.acme.profiles.sensor");
    assert_string_equal(str_at(f->root, "PayloadOrganization"),
                        "Acme & Co <Security>");
    entry = plist_array_get_item(plist_dict_get_item(plist_dict_get_item(
        payload(f->root, "com.apple.TCC.configuration-profile-policy"),
        "Services"), "SystemPolicyAllFiles"), 0);
    assert_string_equal(str_at(entry, "Identifier"), "org.acme.sensor.es");
    /* codesign's "designated => " prefix and the newline are dropped */
    assert_string_equal(str_at(entry, "CodeRequirement"),
                        "identifier \"org.acme.sensor.es\" and anchor apple "
                        "generic and certificate leaf[subject.OU] = \""
                        TEAM "\"");
}

static void
test_profile_stable_uuids_repeat(void **state)
{
    struct fixture *f = *state;
    char a[8][DEPLOY_UUID_LEN + 1], b[8][DEPLOY_UUID_LEN + 1];
    char *first;
    int n;

    f->p.stable_uuids = true;
    f->p.eslogger_mode = true;
    build_ok(f);
    first = strdup(f->prof.xml);
    n = uuids(f->root, a);
    assert_int_equal(n, 4);
    build_ok(f);
    assert_int_equal(uuids(f->root, b), n);
    for (int i = 0; i < n; i++) {
        assert_string_equal(a[i], b[i]);
        assert_int_equal(a[i][14], '5');
        for (int j = i + 1; j < n; j++)
            assert_string_not_equal(a[i], a[j]);
    }
    assert_string_equal(first, f->prof.xml);
    free(first);
    /* another identifier: other UUIDs */
    f->p.identifier = "org.acme.other";
    build_ok(f);
    uuids(f->root, b);
    for (int i = 0; i < n; i++)
        assert_string_not_equal(a[i], b[i]);
}

static void
test_profile_random_uuids_differ(void **state)
{
    struct fixture *f = *state;
    char a[8][DEPLOY_UUID_LEN + 1], b[8][DEPLOY_UUID_LEN + 1];
    int n;

    build_ok(f);
    n = uuids(f->root, a);
    build_ok(f);
    assert_int_equal(uuids(f->root, b), n);
    for (int i = 0; i < n; i++) {
        assert_string_not_equal(a[i], b[i]);
        assert_int_equal(a[i][14], '4');
    }
}

static void
test_profile_non_removable_and_eslogger(void **state)
{
    struct fixture *f = *state;
    plist_t sx, fda, sm, rule;

    f->p.non_removable = true;
    f->p.eslogger_mode = true;
    build_ok(f);
    sx = payload(f->root, "com.apple.system-extension-policy");
    assert_non_null(plist_dict_get_item(plist_dict_get_item(sx,
        "NonRemovableSystemExtensions"), TEAM));
    assert_non_null(plist_dict_get_item(plist_dict_get_item(sx,
        "NonRemovableFromUISystemExtensions"), TEAM));
    fda = plist_dict_get_item(plist_dict_get_item(payload(f->root,
        "com.apple.TCC.configuration-profile-policy"), "Services"),
        "SystemPolicyAllFiles");
    assert_int_equal(plist_array_get_size(fda), 2);
    assert_string_equal(str_at(plist_array_get_item(fda, 1), "Identifier"),
                        DEPLOY_ESLOGGER_PATH);
    assert_string_equal(str_at(plist_array_get_item(fda, 1),
                               "IdentifierType"), "path");
    sm = payload(f->root, "com.apple.servicemanagement");
    assert_non_null(sm);
    assert_common_keys(sm, "com.apple.servicemanagement");
    rule = plist_array_get_item(plist_dict_get_item(sm, "Rules"), 0);
    assert_string_equal(str_at(rule, "RuleType"), "Label");
    assert_string_equal(str_at(rule, "RuleValue"), DEPLOY_DEFAULT_APP_ID
                        DEPLOY_ESLOGGER_LABEL_SUFFIX);
}

/* ---- settings -------------------------------------------------------- */

#define SETTINGS \
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" \
    "<plist version=\"1.0\"><dict>\n" \
    "<key>ServerURL</key><string>https://ingest.example.com/v1/b</string>\n" \
    "<key>SpoolMaxBytes</key><integer>104857600</integer>\n" \
    "<key>EventTypes</key><array><string>exec</string>" \
    "<string>fork</string><string>exit</string></array>\n" \
    "<key>CaptureEnvironment</key><false/>\n" \
    "</dict></plist>\n"

static void
test_profile_settings_round_trip(void **state)
{
    struct fixture *f = *state;
    struct estel_config cfg;
    struct estel_err err = { 0 };
    plist_t prefs, mcx, want = NULL;
    char *path = write_file(f, "settings.plist", SETTINGS);
    char *xml = NULL;
    uint32_t len = 0;

    f->p.config_path = path;
    build_ok(f);
    prefs = payload(f->root, "com.apple.ManagedClient.preferences");
    assert_non_null(prefs);
    assert_common_keys(prefs, "com.apple.ManagedClient.preferences");
    mcx = plist_dict_get_item(plist_array_get_item(plist_dict_get_item(
        plist_dict_get_item(plist_dict_get_item(prefs, "PayloadContent"),
                            CONFIG_DOMAIN), "Forced"), 0),
        "mcx_preference_settings");
    assert_non_null(mcx);
    plist_from_xml(SETTINGS, (uint32_t)strlen(SETTINGS), &want);
    assert_int_equal(plist_dict_get_size(mcx), plist_dict_get_size(want));
    assert_string_equal(str_at(mcx, "ServerURL"),
                        "https://ingest.example.com/v1/b");
    /* what macOS writes to Managed Preferences passes config's checks */
    plist_to_xml(mcx, &xml, &len);
    memset(&cfg, 0, sizeof(cfg));
    assert_int_equal(config_defaults(&cfg, &err), ESTEL_OK);
    assert_int_equal(config_load_buffer(&cfg, xml, len, "extracted",
                                        CONFIG_FROM_MANAGED, &err), ESTEL_OK);
    assert_int_equal(cfg.spool_max_bytes, 104857600);
    config_free(&cfg);
    plist_to_xml_free(xml);
    plist_free(want);
    free(path);
}

static void
test_profile_rejects_invalid_settings(void **state)
{
    struct fixture *f = *state;
    char *path = write_file(f, "bad.plist",
        "<plist version=\"1.0\"><dict>"
        "<key>SpoolMaxByte</key><integer>5</integer>"
        "<key>CompressionLevel</key><integer>99</integer>"
        "</dict></plist>");
    bool unknown = false, range = false;

    f->p.config_path = path;
    build_fails(f, ESTEL_E_CONFIG, path);
    for (int i = 0; i < f->nlines; i++) {
        unknown |= strstr(f->lines[i], "SpoolMaxByte") != NULL;
        range |= strstr(f->lines[i], "CompressionLevel") != NULL;
    }
    assert_true(unknown);
    assert_true(range);
    free(path);
}

static void
test_profile_rejects_unreadable_settings(void **state)
{
    struct fixture *f = *state;

    f->p.config_path = "/nonexistent/estel.plist";
    build_fails(f, ESTEL_E_USAGE, "--config /nonexistent/estel.plist");
    /* a FIFO is refused at once, not read until a writer shows up */
    assert_int_equal(mkfifo(in_dir(f, "fifo"), 0600), 0);
    f->p.config_path = f->path;
    build_fails(f, ESTEL_E_USAGE, "not a regular file");
}

/* ---- refusals of parameters ---------------------------------------- */

static void
test_profile_rejects_bad_parameters(void **state)
{
    struct fixture *f = *state;

    f->p.team_id = NULL;
    build_fails(f, ESTEL_E_USAGE, "--team-id is required");
    f->p.team_id = "abcde12345";
    build_fails(f, ESTEL_E_USAGE, "10 upper-case letters and digits");
    f->p.team_id = "ABCDE1234";
    build_fails(f, ESTEL_E_USAGE, "\"ABCDE1234\"");
    f->p.team_id = TEAM;
    f->p.sysex_id = "not a bundle id";
    build_fails(f, ESTEL_E_USAGE, "--sysex-id");
    f->p.sysex_id = NULL;
    f->p.app_id = "x";
    build_fails(f, ESTEL_E_USAGE, "--app-id \"x\"");
    f->p.app_id = NULL;
    f->p.code_requirement = "identifier \"com.other.thing\" and anchor apple";
    build_fails(f, ESTEL_E_USAGE, "does not name the sysex identifier");
    f->p.code_requirement = "identifier \"" DEPLOY_DEFAULT_SYSEX_ID
        "\"\nand anchor apple";
    build_fails(f, ESTEL_E_USAGE, "control character");
    f->p.code_requirement = "   ";
    build_fails(f, ESTEL_E_USAGE, "--code-requirement");
    f->p.code_requirement = NULL;
    f->p.organization = "two\nlines";
    build_fails(f, ESTEL_E_USAGE, "--organization");
    f->p.organization = NULL;
    f->p.pkcs12_path = "/x.p12";
    build_fails(f, ESTEL_E_USAGE, "--pkcs12-password-file");
}

/* ---- PKCS#12 --------------------------------------------------------- */

/* A self-signed identity valid from -1 day to not_after_s from now. */
static void
make_p12(const char *path, const char *pw, long not_after_s)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    X509_NAME *name;
    PKCS12 *p12;
    FILE *fp;

    assert_non_null(key);
    assert_non_null(x);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -86400);
    X509_gmtime_adj(X509_getm_notAfter(x), not_after_s);
    X509_set_pubkey(x, key);
    name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               (const unsigned char *)"host-1", -1, -1, 0);
    X509_set_issuer_name(x, name);
    assert_true(X509_sign(x, key, EVP_sha256()) > 0);
    p12 = PKCS12_create(pw, "estel", key, x, NULL, 0, 0, 0, 0, 0);
    assert_non_null(p12);
    fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(i2d_PKCS12_fp(fp, p12), 1);
    assert_int_equal(fclose(fp), 0);
    PKCS12_free(p12);
    X509_free(x);
    EVP_PKEY_free(key);
}

static void
test_profile_pkcs12_embedded(void **state)
{
    struct fixture *f = *state;
    char *p12 = strdup(in_dir(f, "client.p12"));
    char *pw = write_file(f, "pw.txt", PASSWORD "\n");
    plist_t d, data;
    char *bytes = NULL;
    uint64_t len = 0;
    FILE *fp;
    char file[8192];
    size_t flen;

    make_p12(p12, PASSWORD, 86400 * 30);
    f->p.pkcs12_path = p12;
    f->p.pkcs12_password_path = pw;
    build_ok(f);
    assert_true(f->prof.has_secret);
    d = payload(f->root, "com.apple.security.pkcs12");
    assert_non_null(d);
    assert_common_keys(d, "com.apple.security.pkcs12");
    /* the trailing newline of the password file is not the password */
    assert_string_equal(str_at(d, "Password"), PASSWORD);
    assert_string_equal(str_at(d, "PayloadCertificateFileName"),
                        "client.p12");
    assert_non_null(plist_dict_get_item(d, "AllowAllAppsAccess"));
    data = plist_dict_get_item(d, "PayloadContent");
    assert_int_equal(plist_get_node_type(data), PLIST_DATA);
    plist_get_data_val(data, &bytes, &len);
    fp = fopen(p12, "rb");
    assert_non_null(fp);
    flen = fread(file, 1, sizeof(file), fp);
    fclose(fp);
    assert_int_equal(len, flen);
    assert_memory_equal(bytes, file, flen);
    free(bytes);
    free(p12);
    free(pw);
}

static void
test_profile_pkcs12_refusals(void **state)
{
    struct fixture *f = *state;
    char *p12 = strdup(in_dir(f, "client.p12"));
    char *old = strdup(in_dir(f, "expired.p12"));
    char *pw = write_file(f, "pw.txt", PASSWORD "\n");
    char *wrong = write_file(f, "wrong.txt", "not-" PASSWORD "\n");
    char *junk = write_file(f, "junk.p12", "this is no PKCS#12");

    make_p12(p12, PASSWORD, 86400);
    make_p12(old, PASSWORD, -3600);
    f->p.pkcs12_password_path = pw;
    f->p.pkcs12_path = "/nonexistent/client.p12";
    build_fails(f, ESTEL_E_USAGE, "--pkcs12 /nonexistent/client.p12: "
                "cannot open it");
    f->p.pkcs12_path = junk;
    build_fails(f, ESTEL_E_CONFIG, "not a PKCS#12");
    f->p.pkcs12_path = old;
    build_fails(f, ESTEL_E_CONFIG, "expired");
    f->p.pkcs12_path = p12;
    f->p.pkcs12_password_path = wrong;
    build_fails(f, ESTEL_E_CONFIG, "does not open it");
    assert_null(strstr(f->err.msg, "not-" PASSWORD));
    f->p.pkcs12_password_path = "/nonexistent/pw";
    build_fails(f, ESTEL_E_USAGE, "--pkcs12-password-file /nonexistent/pw");
    free(p12);
    free(old);
    free(pw);
    free(wrong);
    free(junk);
}

/* ---- atomic write ---------------------------------------------------- */

static void
test_profile_write_atomic(void **state)
{
    struct fixture *f = *state;
    struct estel_err err = { 0 };
    struct stat st;
    char *path = strdup(in_dir(f, "out.mobileconfig"));
    char buf[64];
    FILE *fp;

    assert_int_equal(deploy_write_atomic(path, "old", 3, 0644, &err),
                     ESTEL_OK);
    assert_int_equal(deploy_write_atomic(path, "new!", 4, 0600, &err),
                     ESTEL_OK);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    fp = fopen(path, "r");
    assert_non_null(fp);
    assert_int_equal(fread(buf, 1, sizeof(buf), fp), 4);
    fclose(fp);
    assert_memory_equal(buf, "new!", 4);
    assert_int_equal(deploy_write_atomic("/nonexistent/dir/p.mobileconfig",
                                         "x", 1, 0644, &err), ESTEL_E_USAGE);
    assert_non_null(strstr(err.msg, "/nonexistent/dir/p.mobileconfig"));
    free(path);
}

/* ---- files generated from the deploy/macos templates ---------------- */

static plist_t
read_plist(const char *rel)
{
    char path[1024], *data;
    plist_t root = NULL;
    FILE *fp;
    long n;

    snprintf(path, sizeof(path), "%s/%s", ESTEL_DEPLOY_GEN_DIR, rel);
    fp = fopen(path, "rb");
    if (fp == NULL)
        fail_msg("%s: %s", path, strerror(errno));
    fseek(fp, 0, SEEK_END);
    n = ftell(fp);
    rewind(fp);
    data = malloc((size_t)n);
    assert_non_null(data);
    assert_int_equal(fread(data, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    plist_from_xml(data, (uint32_t)n, &root);
    free(data);
    if (root == NULL)
        fail_msg("%s: not a valid plist", path);
    return root;
}

static void
assert_true_key(plist_t d, const char *key)
{
    plist_t n = plist_dict_get_item(d, key);
    uint8_t v = 0;

    if (n == NULL || plist_get_node_type(n) != PLIST_BOOLEAN)
        fail_msg("%s is not a boolean", key);
    plist_get_bool_val(n, &v);
    assert_true(v);
}

static void
test_profile_bundle_files_agree(void **state)
{
    plist_t app = read_plist("macos/app/Info.plist");
    plist_t sysex = read_plist("macos/sysex/Info.plist");
    plist_t app_ent = read_plist("macos/app/app.entitlements");
    plist_t sysex_ent = read_plist("macos/sysex/sysex.entitlements");
    plist_t daemon = read_plist("macos/eslogger-mode/eslogger.plist");
    plist_t n;
    uint8_t b = 1;

    (void)state;
    assert_string_equal(str_at(app, "CFBundleIdentifier"),
                        DEPLOY_DEFAULT_APP_ID);
    assert_string_equal(str_at(app, "CFBundlePackageType"), "APPL");
    assert_string_equal(str_at(sysex, "CFBundleIdentifier"),
                        DEPLOY_DEFAULT_SYSEX_ID);
    assert_string_equal(str_at(sysex, "CFBundleExecutable"),
                        DEPLOY_DEFAULT_SYSEX_ID);
    assert_string_equal(str_at(sysex, "CFBundlePackageType"), "SYSX");
    assert_non_null(str_at(sysex, "NSSystemExtensionUsageDescription"));
    assert_non_null(str_at(sysex, "CFBundleVersion"));
    assert_string_equal(str_at(sysex, "CFBundleVersion"),
                        str_at(app, "CFBundleVersion"));
    assert_string_equal(str_at(sysex, "CFBundleShortVersionString"),
                        str_at(app, "CFBundleShortVersionString"));
    n = plist_dict_get_item(sysex, "NSEndpointSecurityRebootRequired");
    assert_non_null(n);
    plist_get_bool_val(n, &b);
    assert_false(b);
    assert_non_null(plist_dict_get_item(sysex,
                                        "NSEndpointSecurityEarlyBoot"));
    assert_string_equal(str_at(sysex, "NSEndpointSecurityMachServiceName"),
                        ESTEL_TEST_TEAM_ID "." DEPLOY_DEFAULT_SYSEX_ID ".xpc");
    assert_true_key(app_ent, "com.apple.developer.system-extension.install");
    assert_string_equal(str_at(app_ent, "com.apple.application-identifier"),
                        ESTEL_TEST_TEAM_ID "." DEPLOY_DEFAULT_APP_ID);
    assert_true_key(sysex_ent, "com.apple.developer.endpoint-security.client");
    assert_string_equal(str_at(sysex_ent, "com.apple.application-identifier"),
                        ESTEL_TEST_TEAM_ID "." DEPLOY_DEFAULT_SYSEX_ID);
    assert_string_equal(str_at(sysex_ent,
                               "com.apple.developer.team-identifier"),
                        ESTEL_TEST_TEAM_ID);
    /* the label the profile's servicemanagement rule manages */
    assert_string_equal(str_at(daemon, "Label"), DEPLOY_DEFAULT_APP_ID
                        DEPLOY_ESLOGGER_LABEL_SUFFIX);
    plist_free(app);
    plist_free(sysex);
    plist_free(app_ent);
    plist_free(sysex_ent);
    plist_free(daemon);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_profile_team_id_valid),
        cmocka_unit_test(test_profile_bundle_id_valid),
        cmocka_unit_test(test_profile_uuid_v5_known_vector),
        cmocka_unit_test(test_profile_uuid_v4_format),
        cmocka_unit_test_setup_teardown(test_profile_minimal_has_every_key,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_profile_ids_and_requirement_from_flags, setup, teardown),
        cmocka_unit_test_setup_teardown(test_profile_stable_uuids_repeat,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_profile_random_uuids_differ,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_profile_non_removable_and_eslogger, setup, teardown),
        cmocka_unit_test_setup_teardown(test_profile_settings_round_trip,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_profile_rejects_invalid_settings,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_profile_rejects_unreadable_settings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_profile_rejects_bad_parameters,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_profile_pkcs12_embedded,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_profile_pkcs12_refusals,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_profile_write_atomic,
                                        setup, teardown),
        cmocka_unit_test(test_profile_bundle_files_agree),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
