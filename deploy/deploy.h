/*
 * deploy.h - fleet deployment helpers: the MDM configuration profile
 * (.mobileconfig) that lets estel run on managed Macs without a prompt.
 *
 * One profile carries, for one team id and one system extension:
 *   com.apple.system-extension-policy     approve the ES system extension
 *   com.apple.TCC.configuration-profile-policy   Full Disk Access for it
 *   com.apple.ManagedClient.preferences   estel's own settings (--config),
 *                                         validated by the config module
 *   com.apple.security.pkcs12             optional client identity (mTLS)
 *   com.apple.servicemanagement           optional: the eslogger fallback
 *                                         daemon as a managed login item
 * The generator builds the plist with libplist and never writes a file
 * itself: cli/cmd_profile.c writes it with deploy_write_atomic().
 * docs/deployment.md explains every payload to an MDM administrator.
 */
#ifndef ESTEL_DEPLOY_H
#define ESTEL_DEPLOY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "common/err.h"
#include "config/config.h"

/* Defaults shared with deploy/macos/CMakeLists.txt and build-pkg.sh: the
 * bundle ids must agree everywhere (tests/integration/deploy_macos.sh). */
#define DEPLOY_DEFAULT_APP_ID "com.example.estel"
#define DEPLOY_DEFAULT_SYSEX_ID "com.example.estel.es"
/* The eslogger fallback daemon's launchd label is the app id + this. */
#define DEPLOY_ESLOGGER_LABEL_SUFFIX ".eslogger"
#define DEPLOY_ESLOGGER_PATH "/usr/bin/eslogger"
/* eslogger's designated requirement (codesign -d -r- /usr/bin/eslogger). */
#define DEPLOY_ESLOGGER_REQUIREMENT \
    "identifier \"com.apple.eslogger\" and anchor apple"

#define DEPLOY_TEAM_ID_LEN 10
#define DEPLOY_ID_MAX 255               /* bundle ids, profile identifier */
#define DEPLOY_REQUIREMENT_MAX 4096
#define DEPLOY_TEXT_MAX 1024            /* organization, display name */
#define DEPLOY_PKCS12_MAX_BYTES (256 * 1024)
#define DEPLOY_PASSWORD_MAX 1024
#define DEPLOY_UUID_LEN 36              /* "XXXXXXXX-XXXX-...", no NUL */
/* The namespace of estel's name-based (v5) payload UUIDs:
 * uuid5(NAMESPACE_URL, "urn:estel:mobileconfig"). */
#define DEPLOY_UUID_NAMESPACE "66B976F9-F759-5A88-967F-CC8FB020EC63"

/* What the caller fills in; every pointer is borrowed for the call. */
struct deploy_profile_params {
    const char *team_id;            /* required: 10 of [A-Z0-9] */
    const char *sysex_id;           /* NULL: DEPLOY_DEFAULT_SYSEX_ID */
    const char *app_id;             /* NULL: DEPLOY_DEFAULT_APP_ID */
    const char *code_requirement;   /* NULL: the Developer ID requirement
                                       derived from sysex id + team id */
    const char *identifier;         /* profile id prefix; NULL: app id +
                                       ".profile" */
    const char *organization;       /* NULL: "estel" */
    const char *display_name;       /* NULL: "estel endpoint telemetry" */
    const char *config_path;        /* settings plist; NULL: no managed
                                       preferences payload */
    const char *pkcs12_path;        /* NULL: no certificate payload */
    const char *pkcs12_password_path;   /* required with pkcs12_path */
    const char *eslogger_requirement;   /* NULL: DEPLOY_ESLOGGER_... */
    bool eslogger_mode;             /* FDA for eslogger + managed daemon */
    bool non_removable;             /* NonRemovable*SystemExtensions */
    bool stable_uuids;              /* v5 UUIDs: re-deploys replace */
    config_report_fn *report;       /* settings problems; NULL: log_warnx */
    void *report_ctx;
};

/* The finished profile: XML plist bytes (NUL-terminated after len). */
struct deploy_profile {
    char *xml;
    size_t len;
    bool has_secret;                /* carries a PKCS#12 and its password:
                                       write it mode 0600 */
};

/*
 * Build the profile for p into *out (caller frees with
 * deploy_profile_free).  Validates every parameter first: a malformed team
 * id or bundle id, a code requirement that does not name the sysex, a
 * settings file that `estel config check` would refuse (each problem goes
 * to p->report), a PKCS#12 that is unreadable, does not open with the
 * password or holds no key and certificate: all fail with ESTEL_E_USAGE or
 * ESTEL_E_CONFIG and a message naming the flag, the file and the fix.
 * The password is never put in a message.  Any thread; reads files; no
 * global state except OpenSSL's (a legacy PKCS#12 loads the OpenSSL legacy
 * provider once).
 */
enum estel_rc deploy_profile_build(struct deploy_profile *out,
                                   const struct deploy_profile_params *p,
                                   struct estel_err *err);
/* Wipe (the XML may hold a password) and free; NULL-safe. */
void deploy_profile_free(struct deploy_profile *prof);

/* Predicates for parameters. */
bool deploy_team_id_valid(const char *s);
/* Reverse-DNS: [A-Za-z0-9-] labels separated by single dots, at least two
 * labels, at most DEPLOY_ID_MAX bytes. */
bool deploy_bundle_id_valid(const char *s);

/* The default code requirement for (sysex_id, team_id) into buf. */
enum estel_rc deploy_code_requirement(char *buf, size_t size,
                                      const char *sysex_id,
                                      const char *team_id,
                                      struct estel_err *err);

/*
 * Name-based UUID (RFC 4122 version 5, SHA-1) of name in namespace ns
 * (a UUID string), upper case, into out[DEPLOY_UUID_LEN + 1].
 */
enum estel_rc deploy_uuid_v5(char *out, const char *ns, const char *name,
                             struct estel_err *err);
/* Random UUID (version 4) from OpenSSL's RAND_bytes, upper case. */
enum estel_rc deploy_uuid_v4(char *out, struct estel_err *err);

/*
 * Write data to path atomically: a temporary file in the same directory
 * (O_EXCL, mode), fsync, rename over path, fsync the directory.  After a
 * failure path is untouched and the temporary file is gone.  Blocks.
 */
enum estel_rc deploy_write_atomic(const char *path, const void *data,
                                  size_t len, mode_t mode,
                                  struct estel_err *err);

#endif
