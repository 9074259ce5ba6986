/*
 * profile.c - builds estel's .mobileconfig with libplist.
 *
 * Design: check every parameter first (team id, bundle ids, requirement,
 * settings through the config module, PKCS#12 through OpenSSL), then build
 * the whole tree in memory and serialise it once, so a bad parameter never
 * yields a half-written profile.  Payload order: system extension policy,
 * TCC (Full Disk Access), managed preferences, PKCS#12, service management.
 * Key names and semantics: apple/device-management mdm/profiles (YAML),
 * summarised in shared/reference/endpoint-security.md section 6.
 */
#include "deploy/deploy_int.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <plist/plist.h>

#define PT_SYSEXT "com.apple.system-extension-policy"
#define PT_TCC "com.apple.TCC.configuration-profile-policy"
#define PT_PREFS "com.apple.ManagedClient.preferences"
#define PT_PKCS12 "com.apple.security.pkcs12"
#define PT_SERVICE "com.apple.servicemanagement"
#define PT_TOP "Configuration"

/* The parameters after defaults, plus one out-of-memory flag so that the
 * many plist calls need no check each: the tree is discarded if set. */
struct builder {
    const struct deploy_profile_params *p;
    const char *team, *sysex, *app, *ident, *org, *display;
    char ident_buf[DEPLOY_ID_MAX + 16];
    char requirement[DEPLOY_REQUIREMENT_MAX + 1];
    const char *eslogger_req;
    bool oom;
};

/* libplist allocates quietly; remember a NULL and drop the node. */
static void
put(struct builder *b, plist_t dict, const char *key, plist_t val)
{
    if (val == NULL || dict == NULL) {
        b->oom = true;
        plist_free(val);
        return;
    }
    plist_dict_set_item(dict, key, val);
}

static void
put_str(struct builder *b, plist_t dict, const char *key, const char *s)
{
    put(b, dict, key, plist_new_string(s));
}

static void
append(struct builder *b, plist_t array, plist_t val)
{
    if (val == NULL || array == NULL) {
        b->oom = true;
        plist_free(val);
        return;
    }
    plist_array_append_item(array, val);
}

/* { TEAM: [ value ] } */
static plist_t
team_map(struct builder *b, const char *value)
{
    plist_t d = plist_new_dict(), a = plist_new_array();

    append(b, a, plist_new_string(value));
    put(b, d, b->team, a);
    return d;
}

static bool
printable(const char *s, size_t max)
{
    size_t i;

    for (i = 0; s[i] != '\0'; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f || i >= max)
            return false;
    return i > 0;
}

/*
 * Is id present in requirement as a whole word (quoted or not)?  A
 * requirement naming another identifier would never match the sysex, and
 * TCC would silently deny Full Disk Access.
 */
static bool
names_identifier(const char *req, const char *id)
{
    size_t n = strlen(id);
    const char *s;

    for (s = strstr(req, id); s != NULL; s = strstr(s + 1, id)) {
        char before = s == req ? ' ' : s[-1];
        char after = s[n];

        if ((before == '"' || before == ' ') &&
            (after == '"' || after == ' ' || after == '\0'))
            return true;
    }
    return false;
}

static enum estel_rc
requirement_set(struct builder *b, struct estel_err *err)
{
    const char *req = b->p->code_requirement;
    size_t len;

    if (req == NULL)
        return deploy_code_requirement(b->requirement,
                                       sizeof(b->requirement), b->sysex,
                                       b->team, err);
    /* accept `codesign -d -r- ...` output pasted whole */
    while (*req == ' ' || *req == '\t')
        req++;
    if (strncmp(req, "designated => ", 14) == 0)
        req += 14;
    len = strlen(req);
    while (len > 0 && (req[len - 1] == ' ' || req[len - 1] == '\n' ||
                       req[len - 1] == '\t' || req[len - 1] == '\r'))
        len--;
    if (len == 0 || len > DEPLOY_REQUIREMENT_MAX)
        return estel_fail(err, ESTEL_E_USAGE, "--code-requirement: must be "
                          "1..%d bytes; give the output of codesign -d -r- "
                          "on the sysex", DEPLOY_REQUIREMENT_MAX);
    memcpy(b->requirement, req, len);
    b->requirement[len] = '\0';
    if (!printable(b->requirement, DEPLOY_REQUIREMENT_MAX))
        return estel_fail(err, ESTEL_E_USAGE, "--code-requirement: holds a "
                          "control character; give it on one line");
    if (!names_identifier(b->requirement, b->sysex))
        return estel_fail(err, ESTEL_E_USAGE, "--code-requirement: does not "
                          "name the sysex identifier %s, so TCC would never "
                          "match it; give the designated requirement of the "
                          "sysex (codesign -d -r- on it) or pass --sysex-id",
                          b->sysex);
    return ESTEL_OK;
}

static enum estel_rc
check_id(const char *flag, const char *value, struct estel_err *err)
{
    if (deploy_bundle_id_valid(value))
        return ESTEL_OK;
    return estel_fail(err, ESTEL_E_USAGE, "%s \"%.*s\": not a reverse-DNS "
                      "identifier; use letters, digits, '-' and dots, e.g. "
                      "com.example.estel", flag, 300, value);
}

static enum estel_rc
params_check(struct builder *b, const struct deploy_profile_params *p,
             struct estel_err *err)
{
    enum estel_rc rc;
    int n;

    memset(b, 0, sizeof(*b));
    b->p = p;
    b->team = p->team_id;
    b->sysex = p->sysex_id != NULL ? p->sysex_id : DEPLOY_DEFAULT_SYSEX_ID;
    b->app = p->app_id != NULL ? p->app_id : DEPLOY_DEFAULT_APP_ID;
    b->org = p->organization != NULL ? p->organization : "estel";
    b->display = p->display_name != NULL ? p->display_name :
                 "estel endpoint telemetry";
    b->eslogger_req = p->eslogger_requirement != NULL ?
                      p->eslogger_requirement : DEPLOY_ESLOGGER_REQUIREMENT;
    if (b->team == NULL)
        return estel_fail(err, ESTEL_E_USAGE, "--team-id is required: the "
                          "10-character Apple Developer Team ID that signs "
                          "the system extension (Membership details on "
                          "developer.apple.com)");
    if (!deploy_team_id_valid(b->team))
        return estel_fail(err, ESTEL_E_USAGE, "--team-id \"%.*s\": not a "
                          "team id; give 10 upper-case letters and digits, "
                          "e.g. ABCDE12345", 40, b->team);
    if ((rc = check_id("--sysex-id", b->sysex, err)) != ESTEL_OK ||
        (rc = check_id("--app-id", b->app, err)) != ESTEL_OK)
        return rc;
    if (p->identifier != NULL) {
        b->ident = p->identifier;
    } else {
        n = snprintf(b->ident_buf, sizeof(b->ident_buf), "%s.profile",
                     b->app);
        if (n < 0 || (size_t)n >= sizeof(b->ident_buf))
            return estel_fail(err, ESTEL_E_USAGE, "--app-id is too long");
        b->ident = b->ident_buf;
    }
    if ((rc = check_id("--identifier", b->ident, err)) != ESTEL_OK)
        return rc;
    if (!printable(b->org, DEPLOY_TEXT_MAX))
        return estel_fail(err, ESTEL_E_USAGE, "--organization: must be 1..%d "
                          "printable bytes on one line", DEPLOY_TEXT_MAX);
    if (!printable(b->display, DEPLOY_TEXT_MAX))
        return estel_fail(err, ESTEL_E_USAGE, "--display-name: must be 1..%d "
                          "printable bytes on one line", DEPLOY_TEXT_MAX);
    if (!printable(b->eslogger_req, DEPLOY_REQUIREMENT_MAX))
        return estel_fail(err, ESTEL_E_USAGE, "--eslogger-requirement: must "
                          "be 1..%d printable bytes on one line",
                          DEPLOY_REQUIREMENT_MAX);
    if ((p->pkcs12_path == NULL) != (p->pkcs12_password_path == NULL))
        return estel_fail(err, ESTEL_E_USAGE, "--pkcs12 and "
                          "--pkcs12-password-file go together: macOS needs "
                          "the password to import the identity");
    return requirement_set(b, err);
}

/*
 * The settings file as `estel config check --managed FILE` sees it:
 * defaults, the file, then the cross-key checks.  Only a file that passes
 * goes into the profile, as the dictionary it holds.
 */
static enum estel_rc
settings_load(plist_t *out, const struct deploy_profile_params *p,
              struct estel_err *err)
{
    struct estel_config cfg;
    char *data = NULL;
    size_t len = 0;
    enum estel_rc rc;
    plist_t root = NULL;

    *out = NULL;
    rc = deploy_read_file("--config", p->config_path, CONFIG_MAX_BYTES,
                          &data, &len, err);
    if (rc != ESTEL_OK)
        return rc;
    memset(&cfg, 0, sizeof(cfg));
    rc = config_defaults(&cfg, err);
    if (rc == ESTEL_OK) {
        if (p->report != NULL)
            config_set_reporter(&cfg, p->report, p->report_ctx);
        rc = config_load_buffer(&cfg, data, len, p->config_path,
                                CONFIG_FROM_MANAGED, err);
    }
    if (rc == ESTEL_OK)
        rc = config_validate(&cfg, err);
    config_free(&cfg);
    if (rc == ESTEL_OK) {
        plist_from_memory(data, (uint32_t)len, &root);
        if (root == NULL || plist_get_node_type(root) != PLIST_DICT)
            rc = estel_fail(err, ESTEL_E_CONFIG, "--config %s: not a plist "
                            "dictionary of estel settings",
                            p->config_path);
    }
    free(data);
    if (rc != ESTEL_OK) {
        plist_free(root);
        return rc;
    }
    *out = root;
    return ESTEL_OK;
}

static enum estel_rc
payload_uuid(char *out, const struct builder *b, const char *type,
             struct estel_err *err)
{
    char name[DEPLOY_ID_MAX + 128];

    if (!b->p->stable_uuids)
        return deploy_uuid_v4(out, err);
    /* same identifier and type, same UUID: MDM replaces, not duplicates */
    snprintf(name, sizeof(name), "%s/%s", b->ident, type);
    return deploy_uuid_v5(out, DEPLOY_UUID_NAMESPACE, name, err);
}

/* A dictionary with the common payload keys; suffix names the payload. */
static enum estel_rc
payload_new(plist_t *out, struct builder *b, const char *type,
            const char *suffix, const char *display, const char *desc,
            struct estel_err *err)
{
    char uuid[DEPLOY_UUID_LEN + 1], id[DEPLOY_ID_MAX + 64];
    enum estel_rc rc;
    plist_t d;

    *out = NULL;
    rc = payload_uuid(uuid, b, type, err);
    if (rc != ESTEL_OK)
        return rc;
    if (suffix != NULL)
        snprintf(id, sizeof(id), "%s.%s", b->ident, suffix);
    else
        snprintf(id, sizeof(id), "%s", b->ident);
    d = plist_new_dict();
    put_str(b, d, "PayloadType", type);
    put_str(b, d, "PayloadIdentifier", id);
    put_str(b, d, "PayloadUUID", uuid);
    put(b, d, "PayloadVersion", plist_new_uint(1));
    put_str(b, d, "PayloadDisplayName", display);
    put_str(b, d, "PayloadDescription", desc);
    put_str(b, d, "PayloadOrganization", b->org);
    if (d == NULL)
        return estel_fail(err, ESTEL_E_NOMEM, "out of memory building the "
                          "profile");
    *out = d;
    return ESTEL_OK;
}

static enum estel_rc
add_sysext(plist_t content, struct builder *b, struct estel_err *err)
{
    plist_t d;
    enum estel_rc rc;

    rc = payload_new(&d, b, PT_SYSEXT, "system-extension-policy",
                     "estel system extension", "Allows the estel Endpoint "
                     "Security system extension to load without user "
                     "approval.", err);
    if (rc != ESTEL_OK)
        return rc;
    /*
     * AllowedSystemExtensions names the one extension; AllowedTeamIdentifiers
     * would allow every extension the team ever signs, and Apple forbids a
     * team in both.  The type list keeps it an ES client only.
     */
    put(b, d, "AllowedSystemExtensions", team_map(b, b->sysex));
    put(b, d, "AllowedSystemExtensionTypes",
        team_map(b, "EndpointSecurityExtension"));
    if (b->p->non_removable) {
        /* macOS 15+: cannot be disabled while SIP is on, nor from
         * System Settings; older releases ignore the keys */
        put(b, d, "NonRemovableSystemExtensions", team_map(b, b->sysex));
        put(b, d, "NonRemovableFromUISystemExtensions",
            team_map(b, b->sysex));
    }
    append(b, content, d);
    return ESTEL_OK;
}

static plist_t
tcc_entry(struct builder *b, const char *id, const char *id_type,
          const char *requirement, const char *comment)
{
    plist_t e = plist_new_dict();

    put_str(b, e, "Identifier", id);
    put_str(b, e, "IdentifierType", id_type);
    put_str(b, e, "CodeRequirement", requirement);
    put(b, e, "StaticCode", plist_new_bool(0));
    /* Allowed (10.14+) rather than Authorization (11+): one of the two,
     * and this one every release that runs ES understands */
    put(b, e, "Allowed", plist_new_bool(1));
    put_str(b, e, "Comment", comment);
    return e;
}

static enum estel_rc
add_tcc(plist_t content, struct builder *b, struct estel_err *err)
{
    plist_t d, services, fda;
    enum estel_rc rc;

    rc = payload_new(&d, b, PT_TCC, "tcc", "estel Full Disk Access",
                     "Grants the estel system extension Full Disk Access, "
                     "which every Endpoint Security client needs.", err);
    if (rc != ESTEL_OK)
        return rc;
    services = plist_new_dict();
    fda = plist_new_array();
    append(b, fda, tcc_entry(b, b->sysex, "bundleID", b->requirement,
                             "estel Endpoint Security system extension"));
    if (b->p->eslogger_mode)
        /* the fallback daemon execs eslogger, which is then its own
         * responsible process: grant eslogger, not a shell */
        append(b, fda, tcc_entry(b, DEPLOY_ESLOGGER_PATH, "path",
                                 b->eslogger_req, "eslogger for the estel "
                                 "fallback daemon (no ES entitlement)"));
    put(b, services, "SystemPolicyAllFiles", fda);
    put(b, d, "Services", services);
    append(b, content, d);
    return ESTEL_OK;
}

static enum estel_rc
add_prefs(plist_t content, struct builder *b, plist_t settings,
          struct estel_err *err)
{
    plist_t d, payload, domain, forced, entry;
    enum estel_rc rc;

    rc = payload_new(&d, b, PT_PREFS, "settings", "estel settings",
                     "estel's settings, written by macOS to /Library/Managed "
                     "Preferences/" CONFIG_DOMAIN ".plist.", err);
    if (rc != ESTEL_OK) {
        plist_free(settings);
        return rc;
    }
    /* { domain: { Forced: [ { mcx_preference_settings: {...} } ] } }:
     * Forced, not Set-Once, so a changed profile changes the Macs */
    entry = plist_new_dict();
    put(b, entry, "mcx_preference_settings", settings);
    forced = plist_new_array();
    append(b, forced, entry);
    domain = plist_new_dict();
    put(b, domain, "Forced", forced);
    payload = plist_new_dict();
    put(b, payload, CONFIG_DOMAIN, domain);
    put(b, d, "PayloadContent", payload);
    append(b, content, d);
    return ESTEL_OK;
}

static enum estel_rc
add_pkcs12(plist_t content, struct builder *b, const struct deploy_pkcs12 *c,
           struct estel_err *err)
{
    const char *base = strrchr(b->p->pkcs12_path, '/');
    plist_t d;
    enum estel_rc rc;

    rc = payload_new(&d, b, PT_PKCS12, "pkcs12", "estel client identity",
                     "The client certificate and key estel presents to its "
                     "server (mTLS).", err);
    if (rc != ESTEL_OK)
        return rc;
    put_str(b, d, "PayloadCertificateFileName",
            base != NULL ? base + 1 : b->p->pkcs12_path);
    put(b, d, "PayloadContent", plist_new_data(c->der, c->der_len));
    put_str(b, d, "Password", c->password);
    /* the system extension is a daemon: no UI can answer a key ACL prompt,
     * and it exports the identity for OpenSSL (docs/deployment.md) */
    put(b, d, "AllowAllAppsAccess", plist_new_bool(1));
    put(b, d, "KeyIsExtractable", plist_new_bool(1));
    append(b, content, d);
    return ESTEL_OK;
}

static enum estel_rc
add_service(plist_t content, struct builder *b, struct estel_err *err)
{
    char label[DEPLOY_ID_MAX + 32];
    plist_t d, rules, rule;
    enum estel_rc rc;

    rc = payload_new(&d, b, PT_SERVICE, "servicemanagement",
                     "estel background service", "Marks the estel eslogger "
                     "fallback daemon as managed so users cannot turn it "
                     "off.", err);
    if (rc != ESTEL_OK)
        return rc;
    snprintf(label, sizeof(label), "%s" DEPLOY_ESLOGGER_LABEL_SUFFIX, b->app);
    /* by Label: the daemon runs Apple's /bin/bash and eslogger, which carry
     * no team id, so a TeamIdentifier rule would not match it */
    rule = plist_new_dict();
    put_str(b, rule, "RuleType", "Label");
    put_str(b, rule, "RuleValue", label);
    put_str(b, rule, "Comment", "estel eslogger fallback daemon");
    rules = plist_new_array();
    append(b, rules, rule);
    put(b, d, "Rules", rules);
    append(b, content, d);
    return ESTEL_OK;
}

static enum estel_rc
build_tree(plist_t *out, struct builder *b, plist_t settings,
           const struct deploy_pkcs12 *cert, struct estel_err *err)
{
    plist_t top = NULL, content;
    enum estel_rc rc;

    rc = payload_new(&top, b, PT_TOP, NULL, b->display, "Approves the "
                     "estel Endpoint Security system extension, grants it "
                     "Full Disk Access and configures it.", err);
    if (rc != ESTEL_OK) {
        plist_free(settings);
        return rc;
    }
    put_str(b, top, "PayloadScope", "System");
    content = plist_new_array();
    put(b, top, "PayloadContent", content);
    if (content == NULL) {
        plist_free(settings);
        settings = NULL;
    }
    rc = add_sysext(content, b, err);
    if (rc == ESTEL_OK)
        rc = add_tcc(content, b, err);
    if (rc == ESTEL_OK && settings != NULL) {
        rc = add_prefs(content, b, settings, err);
        settings = NULL;        /* taken by add_prefs */
    }
    if (rc == ESTEL_OK && cert != NULL)
        rc = add_pkcs12(content, b, cert, err);
    if (rc == ESTEL_OK && b->p->eslogger_mode)
        rc = add_service(content, b, err);
    plist_free(settings);
    if (rc == ESTEL_OK && b->oom)
        rc = estel_fail(err, ESTEL_E_NOMEM, "out of memory building the "
                        "profile");
    if (rc != ESTEL_OK) {
        plist_free(top);
        return rc;
    }
    *out = top;
    return ESTEL_OK;
}

static enum estel_rc
serialise(struct deploy_profile *out, plist_t top, struct estel_err *err)
{
    char *xml = NULL;
    uint32_t len = 0;

    plist_to_xml(top, &xml, &len);
    if (xml == NULL || len == 0) {
        free(xml);
        return estel_fail(err, ESTEL_E_NOMEM, "libplist could not write the "
                          "profile as XML");
    }
    out->xml = malloc((size_t)len + 1);
    if (out->xml != NULL) {
        memcpy(out->xml, xml, len);
        out->xml[len] = '\0';
        out->len = len;
    }
    /* libplist's copy may hold the PKCS#12 password: wipe it too */
    memset(xml, 0, len);
    plist_to_xml_free(xml);
    if (out->xml == NULL)
        return estel_fail(err, ESTEL_E_NOMEM, "out of memory for the "
                          "profile");
    return ESTEL_OK;
}

enum estel_rc
deploy_profile_build(struct deploy_profile *out,
                     const struct deploy_profile_params *p,
                     struct estel_err *err)
{
    struct deploy_pkcs12 cert;
    struct builder b;
    plist_t settings = NULL, top = NULL;
    enum estel_rc rc;

    memset(out, 0, sizeof(*out));
    memset(&cert, 0, sizeof(cert));
    rc = params_check(&b, p, err);
    if (rc == ESTEL_OK && p->config_path != NULL)
        rc = settings_load(&settings, p, err);
    if (rc == ESTEL_OK && p->pkcs12_path != NULL)
        rc = deploy_pkcs12_load(&cert, p->pkcs12_path,
                                p->pkcs12_password_path, err);
    if (rc == ESTEL_OK) {
        rc = build_tree(&top, &b, settings,
                        p->pkcs12_path != NULL ? &cert : NULL, err);
        settings = NULL;        /* taken by build_tree */
    }
    if (rc == ESTEL_OK)
        rc = serialise(out, top, err);
    /* plist_free does not wipe: the password's copy in the tree lingers in
     * freed memory until reused; the process is short-lived (estel profile) */
    plist_free(top);
    plist_free(settings);
    deploy_pkcs12_free(&cert);
    if (rc != ESTEL_OK)
        return rc;
    out->has_secret = p->pkcs12_path != NULL;
    return ESTEL_OK;
}

void
deploy_profile_free(struct deploy_profile *prof)
{
    if (prof == NULL)
        return;
    deploy_wipe_free(prof->xml, prof->len);
    memset(prof, 0, sizeof(*prof));
}
