/*
 * config_keys.c - the one table of configuration keys (name, type, range,
 * default, example, description, field), the defaults it implies, the
 * public accessors over it, and `config show` printing.
 *
 * The table is the single source of truth: config_defaults() reads the
 * defaults from it, the appliers read the ranges from it, and docs/ and the
 * profile generator read it through config_key_at().  A key's index is its
 * slot in cfg->origin[], so keys are only ever appended.
 */
#include "config/config_int.h"

#include "common/evtype.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define KIB 1024ULL
#define MIB (1024ULL * KIB)
#define GIB (1024ULL * MIB)
#define TIB (1024ULL * GIB)
#define DAY 86400ULL

#define FIELD(f) offsetof(struct estel_config, f), \
                 sizeof(((struct estel_config *)0)->f)

/* the process, file-change, login/auth, persistence and security NOTIFY
 * events; open, write and mmap stay off: each is orders of magnitude more
 * frequent than the rest together (docs/configuration.md) */
#define DEFAULT_EVENTS \
    "exec fork exit close create rename unlink link truncate setmode " \
    "setowner setextattr signal kextload kextunload mount unmount " \
    "cs_invalidated uipc_connect btm_launch_item_add " \
    "btm_launch_item_remove authentication login_login login_logout " \
    "lw_session_login lw_session_logout lw_session_lock " \
    "lw_session_unlock openssh_login openssh_logout su sudo " \
    "xp_malware_detected xp_malware_remediated profile_add " \
    "profile_remove tcc_modify xpc_connect screensharing_attach " \
    "screensharing_detach gatekeeper_user_override remote_thread_create " \
    "get_task trace setuid"

#define T_STR CONFIG_TYPE_STRING
#define T_PATH CONFIG_TYPE_PATH
#define T_INT CONFIG_TYPE_INTEGER

const struct config_keydef config_keydefs[] = {
    /* transport */
    { { "ServerURL", T_STR, 0, 0, 0, NULL, NULL, NULL,
        "https://ingest.example.com/v1/batches",
        "HTTPS endpoint batches are uploaded to; unset: spool only" },
      FIELD(server_url), 0, true, config_check_server_url },
    { { "ClientCertificate", T_PATH, 0, 0, 0, NULL, NULL, NULL,
        "/etc/estel/client.pem",
        "PEM client certificate for mutual TLS (may also hold the key)" },
      FIELD(client_cert), 0, false, NULL },
    { { "ClientKey", T_PATH, 0, 0, 0, NULL, NULL, NULL, "/etc/estel/client.key",
        "PEM private key of ClientCertificate; keep it mode 0600" },
      FIELD(client_key), 0, false, NULL },
    { { "ClientIdentityName", T_STR, 0, 0, 0, NULL, NULL, NULL,
        "Example Corp Device CA",
        "macOS: export the System keychain identity whose subject or issuer "
        "common name is this to ClientCertificate/ClientKey (MDM PKCS#12 or "
        "SCEP payloads)" },
      FIELD(client_identity_name), 0, false, NULL },
    { { "ServerCA", T_PATH, 0, 0, 0, NULL, NULL, NULL, "/etc/estel/ca.pem",
        "PEM CA bundle that signed the server; unset: system trust store" },
      FIELD(server_ca), 0, false, NULL },
    { { "ServerPinnedKey", T_STR, 0, 0, 0, NULL, NULL, NULL,
        "sha256//YhKJKSzoTt2b5FP18fvpHo7fJYqQCjAa3HWY3tvRMwE=",
        "sha256//<base64> pin of the server's public key (;-separated)" },
      FIELD(server_pinned_key), 0, false, config_check_pin },
    { { "Proxy", T_STR, 0, 0, 0, NULL, NULL, NULL,
        "http://proxy.example.com:3128",
        "HTTP(S) or SOCKS proxy URL; unset: https_proxy from environment" },
      FIELD(proxy), 0, true, config_check_proxy },
    { { "UploadMaxBytesPerSecond", T_INT, 0, TIB, 0, NULL, NULL,
        "bytes per second", "1048576", "Upload bandwidth cap; 0: none" },
      FIELD(upload_max_bytes_per_sec), 0, false, NULL },
    { { "UploadConcurrency", T_INT, 1, 16, 1, NULL, NULL, "uploads", "2",
        "Batches uploaded in parallel" },
      FIELD(upload_concurrency), 0, false, NULL },
    { { "ConnectTimeoutSeconds", T_INT, 1, 300, 10, NULL, NULL, "seconds", "10",
        "Time allowed for the TCP and TLS handshakes" },
      FIELD(connect_timeout_s), 0, false, NULL },
    { { "RequestTimeoutSeconds", T_INT, 1, 3600, 60, NULL, NULL, "seconds", "60",
        "Time allowed for one whole batch upload" },
      FIELD(request_timeout_s), 0, false, NULL },
    { { "RetryMaxSeconds", T_INT, 1, DAY, 300, NULL, NULL, "seconds", "300",
        "Cap of the exponential backoff between retries" },
      FIELD(retry_max_s), 0, false, NULL },
    /* spool and batching */
    { { "SpoolDirectory", T_PATH, 0, 0, 0, CONFIG_DEFAULT_SPOOL, NULL, NULL,
        "/var/lib/estel/spool",
        "Where sealed batches wait for upload (root-owned, mode 0700)" },
      FIELD(spool_dir), 0, false, NULL },
    { { "SpoolMaxBytes", T_INT, MIB, 16 * TIB, GIB, NULL, NULL, "bytes",
        "10737418240",
        "Disk the spool may use; the oldest batches are evicted beyond it" },
      FIELD(spool_max_bytes), 0, false, NULL },
    { { "SpoolMaxAgeSeconds", T_INT, 0, 365 * DAY, 7 * DAY, NULL, NULL,
        "seconds", "604800",
        "Batches older than this are evicted; 0: no age limit" },
      FIELD(spool_max_age_s), 0, false, NULL },
    { { "BatchMaxBytes", T_INT, 4 * KIB, 64 * MIB, MIB, NULL, NULL, "bytes",
        "1048576", "Uncompressed size at which a batch is sealed" },
      FIELD(batch_max_bytes), 0, false, NULL },
    { { "BatchMaxRecords", T_INT, 1, 1000000, 10000, NULL, NULL, "records",
        "10000", "Record count at which a batch is sealed" },
      FIELD(batch_max_records), 0, false, NULL },
    { { "BatchMaxAgeSeconds", CONFIG_TYPE_SECONDS, 100, 3600 * 1000, 5000,
        NULL, NULL, "seconds", "5",
        "Longest a record waits in an open batch (0.1 to 3600)" },
      FIELD(batch_max_age_ms), 0, false, NULL },
    { { "CompressionLevel", T_INT, 1, 19, 3, NULL, NULL, "zstd level", "3",
        "zstd level: higher is smaller on disk and slower" },
      FIELD(compression_level), 0, false, NULL },
    { { "FullFsync", CONFIG_TYPE_BOOL, 0, 1, 1, NULL, NULL, NULL, "true",
        "Seal batches with F_FULLFSYNC on macOS (survives power loss)" },
      FIELD(full_fsync), 0, false, NULL },
    /* collection */
    { { "EventTypes", CONFIG_TYPE_EVENTS, 0, 0, 0, DEFAULT_EVENTS, NULL,
        NULL, "exec,fork,exit",
        "NOTIFY event types to subscribe to, by eslogger name" },
      FIELD(event_types), 0, false, NULL },
    { { "MutePaths", CONFIG_TYPE_MUTES, 0, 0, 0, NULL, NULL, NULL,
        "/usr/sbin/cfprefsd,/System/Library/PrivateFrameworks/*",
        "Drop events whose acting process executable matches" },
      FIELD(mute_paths), offsetof(struct estel_config, mute_paths_count),
      false, NULL },
    { { "MuteTargetPaths", CONFIG_TYPE_MUTES, 0, 0, 0, NULL, NULL, NULL,
        "/private/var/folders/*",
        "Drop file events whose target path matches" },
      FIELD(mute_target_paths),
      offsetof(struct estel_config, mute_target_paths_count), false, NULL },
    { { "ArgvMaxBytes", T_INT, 0, MIB, 16384, NULL, NULL, "bytes", "16384",
        "Bytes of exec arguments kept per event; 0: none" },
      FIELD(argv_max_bytes), 0, false, NULL },
    { { "ArgvMaxCount", T_INT, 0, 65536, 1024, NULL, NULL, "arguments", "1024",
        "Exec arguments kept per event; 0: none" },
      FIELD(argv_max_count), 0, false, NULL },
    { { "CaptureEnvironment", CONFIG_TYPE_BOOL, 0, 1, 0, NULL, NULL, NULL,
        "false", "Record exec environments (they often hold secrets)" },
      FIELD(capture_environment), 0, false, NULL },
    { { "HostID", T_STR, 0, 0, 0, NULL, NULL, NULL, "mac-0042",
        "Host identity in records; unset: the machine's hardware UUID" },
      FIELD(host_id), 0, false, config_check_host_id },
    { { "StatusIntervalSeconds", T_INT, 0, DAY, 300, NULL, NULL, "seconds",
        "300", "Interval of status records and log lines; 0: off" },
      FIELD(status_interval_s), 0, false, NULL },
    { { "RingBytes", T_INT, 64 * KIB, GIB, 8 * MIB, NULL, NULL, "bytes",
        "8388608", "Memory between the event source and the batcher" },
      FIELD(ring_bytes), 0, false, NULL },
    { { "LogLevel", CONFIG_TYPE_CHOICE, 0, 0, 0, "info",
        "error|warning|info|debug", NULL, "info",
        "Least severe log lines written" },
      FIELD(log_level), 0, false, NULL },
    /* ingest (server side) */
    { { "IngestListen", T_STR, 0, 0, 0, "127.0.0.1:8088", NULL, NULL,
        "0.0.0.0:8443",
        "Ingest address: HOST:PORT, [IPv6]:PORT or unix:/PATH" },
      FIELD(ingest_listen), 0, false, config_check_listen },
    { { "IngestOutputDirectory", T_PATH, 0, 0, 0, "/var/lib/estel/ingest", NULL,
        NULL, "/var/lib/estel/ingest",
        "Where ingest writes NDJSON files for the SIEM" },
      FIELD(ingest_out_dir), 0, false, NULL },
    { { "IngestFormat", CONFIG_TYPE_CHOICE, 0, 0, 0, "ecs", "ecs|ocsf",
        NULL, "ecs", "Field mapping of the NDJSON output" },
      FIELD(ingest_format), 0, false, NULL },
    { { "IngestMaxBodyBytes", T_INT, 4 * KIB, GIB, 16 * MIB, NULL, NULL,
        "bytes", "16777216", "Largest request body (compressed batch)" },
      FIELD(ingest_max_body_bytes), 0, false, NULL },
    { { "IngestMaxBatchBytes", T_INT, 4 * KIB, 4 * GIB, 64 * MIB, NULL, NULL,
        "bytes", "67108864", "Largest batch after decompression" },
      FIELD(ingest_max_batch_bytes), 0, false, NULL },
    { { "IngestDedupeTTLSeconds", T_INT, 60, 365 * DAY, 7 * DAY, NULL, NULL,
        "seconds", "604800", "How long batch ids are remembered" },
      FIELD(ingest_dedupe_ttl_s), 0, false, NULL },
    { { "IngestRotateBytes", T_INT, MIB, TIB, 64 * MIB, NULL, NULL, "bytes",
        "67108864", "Output file size at which ingest starts a new one" },
      FIELD(ingest_rotate_bytes), 0, false, NULL },
    { { "IngestRotateSeconds", T_INT, 0, DAY, 300, NULL, NULL, "seconds", "300",
        "Output file age at which ingest starts a new one; 0: size only" },
      FIELD(ingest_rotate_s), 0, false, NULL },
    { { "IngestTLSCertificate", T_PATH, 0, 0, 0, NULL, NULL, NULL,
        "/etc/estel/ingest.pem",
        "PEM server certificate: ingest terminates TLS itself" },
      FIELD(ingest_tls_cert), 0, false, NULL },
    { { "IngestTLSKey", T_PATH, 0, 0, 0, NULL, NULL, NULL, "/etc/estel/ingest.key",
        "PEM private key of IngestTLSCertificate" },
      FIELD(ingest_tls_key), 0, false, NULL },
    { { "IngestTLSClientCA", T_PATH, 0, 0, 0, NULL, NULL, NULL,
        "/etc/estel/agents-ca.pem",
        "PEM CA that signed agent certificates (required mTLS)" },
      FIELD(ingest_tls_client_ca), 0, false, NULL },
    { { "IngestTrustedFront", T_STR, 0, 0, 0, NULL, NULL, NULL, "127.0.0.1",
        "Proxy address whose X-SSL-Client-* headers ingest believes" },
      FIELD(ingest_trusted_front), 0, false, config_check_address },
};

const size_t config_keydefs_count =
    sizeof(config_keydefs) / sizeof(config_keydefs[0]);

_Static_assert(sizeof(config_keydefs) / sizeof(config_keydefs[0]) <=
               sizeof(((struct estel_config *)0)->origin) /
               sizeof(enum config_origin),
               "every key needs a slot in estel_config.origin[]");

size_t
config_key_count(void)
{
    return config_keydefs_count;
}

const struct config_key *
config_key_at(size_t index)
{
    return index < config_keydefs_count ? &config_keydefs[index].key : NULL;
}

int
config_key_find(const char *name)
{
    for (size_t i = 0; i < config_keydefs_count; i++)
        if (strcmp(config_keydefs[i].key.name, name) == 0)
            return (int)i;
    return -1;
}

const char *
config_type_name(enum config_type type)
{
    switch (type) {
    case CONFIG_TYPE_STRING:
    case CONFIG_TYPE_PATH:
    case CONFIG_TYPE_CHOICE:
        return "string";
    case CONFIG_TYPE_INTEGER:
        return "integer";
    case CONFIG_TYPE_SECONDS:
        return "real or integer";
    case CONFIG_TYPE_BOOL:
        return "boolean";
    case CONFIG_TYPE_EVENTS:
    case CONFIG_TYPE_MUTES:
        return "array of strings";
    }
    return "unknown";
}

const char *
config_origin_name(enum config_origin origin)
{
    switch (origin) {
    case CONFIG_FROM_DEFAULT:
        return "default";
    case CONFIG_FROM_FILE:
        return "file";
    case CONFIG_FROM_MANAGED:
        return "managed";
    case CONFIG_FROM_FLAG:
        return "flag";
    }
    return "unknown";
}

void
config_field_set_uint(struct estel_config *cfg, const struct config_keydef *d,
                      uint64_t v)
{
    unsigned char *field = (unsigned char *)cfg + d->offset;

    /* memcpy: the field is a uint32_t, uint64_t or int of d->size bytes */
    if (d->size == sizeof(uint64_t)) {
        memcpy(field, &v, sizeof(v));
    } else {
        uint32_t v32 = (uint32_t)v;

        memcpy(field, &v32, sizeof(v32));
    }
}

uint64_t
config_field_get_uint(const struct estel_config *cfg,
                      const struct config_keydef *d)
{
    const unsigned char *field = (const unsigned char *)cfg + d->offset;
    uint64_t v;
    uint32_t v32;

    if (d->size == sizeof(uint64_t)) {
        memcpy(&v, field, sizeof(v));
        return v;
    }
    memcpy(&v32, field, sizeof(v32));
    return v32;
}

bool
config_field_set_string(struct estel_config *cfg,
                        const struct config_keydef *d, const char *s)
{
    char **field = (char **)((unsigned char *)cfg + d->offset);
    char *copy = NULL;

    if (s != NULL && (copy = strdup(s)) == NULL)
        return false;
    free(*field);
    *field = copy;
    return true;
}

const char *
config_field_get_string(const struct estel_config *cfg,
                        const struct config_keydef *d)
{
    return *(char *const *)((const unsigned char *)cfg + d->offset);
}

void
config_mutes_free(struct config_mute **list, size_t *count)
{
    if (*list != NULL)
        for (size_t i = 0; i < *count; i++)
            free((*list)[i].path);
    free(*list);
    *list = NULL;
    *count = 0;
}

static enum estel_rc
default_events(struct estel_config *cfg, const char *names,
               struct estel_err *err)
{
    const struct estel_evtype *t;
    const char *p = names;
    size_t len;

    while (*p != '\0') {
        len = strcspn(p, " ");
        if (len > 0) {
            if ((t = estel_evtype_notify_by_name(p, len)) == NULL)
                return estel_fail(err, ESTEL_E_CONFIG,
                                  "built-in EventTypes: \"%.*s\" is not a "
                                  "NOTIFY event type; fix config_keys.c",
                                  (int)len, p);
            cfg->event_types[t->value / 8] |=
                (uint8_t)(1u << (t->value % 8));
        }
        p += len;
        p += strspn(p, " ");
    }
    return ESTEL_OK;
}

enum estel_rc
config_defaults(struct estel_config *cfg, struct estel_err *err)
{
    const struct config_keydef *d;
    enum estel_rc rc;

    memset(cfg, 0, sizeof(*cfg));
    for (size_t i = 0; i < config_keydefs_count; i++) {
        d = &config_keydefs[i];
        cfg->origin[i] = CONFIG_FROM_DEFAULT;
        /* the table's own sanity: a range must fit the field */
        if ((d->key.type == CONFIG_TYPE_INTEGER ||
             d->key.type == CONFIG_TYPE_SECONDS) &&
            d->size < sizeof(uint64_t) && d->key.max > INT32_MAX) {
            config_free(cfg);
            return estel_fail(err, ESTEL_E_CONFIG, "built-in %s: maximum "
                              "%" PRIu64 " does not fit its field; fix "
                              "config_keys.c", d->key.name, d->key.max);
        }
        switch (d->key.type) {
        case CONFIG_TYPE_STRING:
        case CONFIG_TYPE_PATH:
        case CONFIG_TYPE_CHOICE:
            if (!config_field_set_string(cfg, d, d->key.default_str)) {
                config_free(cfg);
                return estel_fail(err, ESTEL_E_NOMEM, "config defaults: "
                                  "out of memory");
            }
            break;
        case CONFIG_TYPE_INTEGER:
        case CONFIG_TYPE_SECONDS:
            config_field_set_uint(cfg, d, d->key.default_num);
            break;
        case CONFIG_TYPE_BOOL:
            *((bool *)((unsigned char *)cfg + d->offset)) =
                d->key.default_num != 0;
            break;
        case CONFIG_TYPE_EVENTS:
            rc = default_events(cfg, d->key.default_str, err);
            if (rc != ESTEL_OK) {
                config_free(cfg);
                return rc;
            }
            break;
        case CONFIG_TYPE_MUTES:
            break;
        }
    }
    return ESTEL_OK;
}

void
config_free(struct estel_config *cfg)
{
    const struct config_keydef *d;

    if (cfg == NULL)
        return;
    for (size_t i = 0; i < config_keydefs_count; i++) {
        d = &config_keydefs[i];
        switch (d->key.type) {
        case CONFIG_TYPE_STRING:
        case CONFIG_TYPE_PATH:
        case CONFIG_TYPE_CHOICE:
            (void)config_field_set_string(cfg, d, NULL);  /* cannot fail */
            break;
        case CONFIG_TYPE_MUTES:
            config_mutes_free(
                (struct config_mute **)((unsigned char *)cfg + d->offset),
                (size_t *)((unsigned char *)cfg + d->count_offset));
            break;
        default:
            break;
        }
    }
    memset(cfg, 0, sizeof(*cfg));
}

bool
config_event_enabled(const struct estel_config *cfg, uint32_t es_type)
{
    if (es_type >= sizeof(cfg->event_types) * 8)
        return false;
    return (cfg->event_types[es_type / 8] >> (es_type % 8)) & 1u;
}

/* "1073741824" plus " (1 GiB)" when the value is a whole number of units */
static void
print_uint(FILE *out, const struct config_keydef *d, uint64_t v)
{
    static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
    uint64_t scaled = v;
    size_t u = 0;

    fprintf(out, "%" PRIu64, v);
    if (d->key.unit == NULL || strcmp(d->key.unit, "bytes") != 0 || v < KIB)
        return;
    while (scaled % 1024 == 0 && scaled >= 1024 && u < 4) {
        scaled /= 1024;
        u++;
    }
    if (u > 0)
        fprintf(out, " (%" PRIu64 " %s)", scaled, units[u - 1]);
}

static void
print_list(FILE *out, const struct config_mute *list, size_t count)
{
    if (count == 0)
        fputs("(none)", out);
    for (size_t i = 0; i < count; i++)
        fprintf(out, "%s%s%s", i > 0 ? ", " : "", list[i].path,
                list[i].prefix ? "*" : "");
}

static void
print_value(FILE *out, const struct estel_config *cfg,
            const struct config_keydef *d)
{
    const unsigned char *base = (const unsigned char *)cfg;
    const char *s, *name;
    char masked[CONFIG_MAX_STRING];
    uint64_t v;
    int n = 0;

    switch (d->key.type) {
    case CONFIG_TYPE_STRING:
    case CONFIG_TYPE_PATH:
    case CONFIG_TYPE_CHOICE:
        s = config_field_get_string(cfg, d);
        if (s != NULL && d->mask) {
            config_mask_url(masked, sizeof(masked), s);
            s = masked;
        }
        fputs(s != NULL ? s : "(unset)", out);
        break;
    case CONFIG_TYPE_INTEGER:
        print_uint(out, d, config_field_get_uint(cfg, d));
        break;
    case CONFIG_TYPE_SECONDS:
        v = config_field_get_uint(cfg, d);
        if (v % 1000 == 0)
            fprintf(out, "%" PRIu64, v / 1000);
        else
            fprintf(out, "%g", (double)v / 1000.0);
        break;
    case CONFIG_TYPE_BOOL:
        fputs(*(const bool *)(base + d->offset) ? "true" : "false", out);
        break;
    case CONFIG_TYPE_EVENTS:
        for (uint32_t t = 0; t < sizeof(cfg->event_types) * 8; t++) {
            if (!config_event_enabled(cfg, t))
                continue;
            name = estel_evtype_name(t);
            if (name != NULL)
                fprintf(out, "%s%s", n++ > 0 ? ", " : "", name);
            else
                fprintf(out, "%s%" PRIu32, n++ > 0 ? ", " : "", t);
        }
        if (n == 0)
            fputs("(none)", out);
        break;
    case CONFIG_TYPE_MUTES:
        print_list(out, *(struct config_mute *const *)(base + d->offset),
                   *(const size_t *)(base + d->count_offset));
        break;
    }
}

void
config_print(const struct estel_config *cfg, FILE *out)
{
    const struct config_keydef *d;

    for (size_t i = 0; i < config_keydefs_count; i++) {
        d = &config_keydefs[i];
        fprintf(out, "%-23s = ", d->key.name);
        print_value(out, cfg, d);
        fprintf(out, "  (%s)\n", config_origin_name(cfg->origin[i]));
    }
}
