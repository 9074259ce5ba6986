/*
 * config.h - estel's settings: one struct, built-in defaults, a plist file,
 * and an MDM managed-preferences plist laid over it.
 *
 * Precedence: defaults < local plist (--config) < managed preferences
 * (--managed, or /Library/Managed Preferences/<domain>.plist on macOS).
 * Command-line flags are applied last by cli/ through config_set().
 * Validation checks every key before failing and reports each problem as
 * "FILE: Key: value is wrong; the fix" (ntpd parse.y manners).
 * Every key is documented in docs/configuration.md.
 */
#ifndef ESTEL_CONFIG_H
#define ESTEL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "common/err.h"

#define CONFIG_DOMAIN "com.estel.agent"
#ifdef __APPLE__
#define CONFIG_DEFAULT_FILE "/Library/Application Support/estel/estel.plist"
#define CONFIG_DEFAULT_MANAGED "/Library/Managed Preferences/" \
                               CONFIG_DOMAIN ".plist"
#define CONFIG_DEFAULT_SPOOL "/Library/Application Support/estel/spool"
#else
#define CONFIG_DEFAULT_FILE "/etc/estel/estel.plist"
#define CONFIG_DEFAULT_MANAGED NULL
#define CONFIG_DEFAULT_SPOOL "/var/lib/estel/spool"
#endif

/* Where a value came from, for `estel config show`. */
enum config_origin {
    CONFIG_FROM_DEFAULT = 0, CONFIG_FROM_FILE, CONFIG_FROM_MANAGED,
    CONFIG_FROM_FLAG
};

/*
 * Receives each problem found while loading or validating, as one line
 * "FILE: Key: \"value\" problem; fix" without a newline.  is_error is false
 * for warnings (e.g. http:// to localhost).  Called on the loading thread.
 */
typedef void config_report_fn(void *ctx, bool is_error, const char *line);

struct config_mute {
    char *path;
    bool prefix;                    /* "…*" in the plist: prefix match */
};

struct estel_config {
    /* transport */
    char *server_url;               /* ServerURL; NULL: spool only */
    char *client_cert;              /* ClientCertificate (PEM path) */
    char *client_key;               /* ClientKey (PEM path, mode 0600) */
    char *client_identity_name;     /* ClientIdentityName: macOS keychain
                                       identity exported to the two above */
    char *server_ca;                /* ServerCA (PEM bundle path) */
    char *server_pinned_key;        /* ServerPinnedKey "sha256//base64" */
    char *proxy;                    /* Proxy URL; NULL: environment */
    uint64_t upload_max_bytes_per_sec;   /* UploadMaxBytesPerSecond, 0=off */
    uint32_t upload_concurrency;    /* UploadConcurrency 1..16 */
    uint32_t connect_timeout_s;     /* ConnectTimeoutSeconds */
    uint32_t request_timeout_s;     /* RequestTimeoutSeconds */
    uint32_t retry_max_s;           /* RetryMaxSeconds: backoff cap */
    /* spool and batching */
    char *spool_dir;                /* SpoolDirectory */
    uint64_t spool_max_bytes;       /* SpoolMaxBytes (compressed on disk) */
    uint64_t spool_max_age_s;       /* SpoolMaxAgeSeconds, 0 = no limit */
    uint64_t batch_max_bytes;       /* BatchMaxBytes (uncompressed) */
    uint32_t batch_max_records;     /* BatchMaxRecords */
    uint32_t batch_max_age_ms;      /* BatchMaxAgeSeconds (may be 0.5) */
    int compression_level;          /* CompressionLevel 1..19 */
    bool full_fsync;                /* FullFsync (F_FULLFSYNC on macOS) */
    /* collection */
    uint8_t event_types[32];        /* EventTypes: bitset by es value */
    struct config_mute *mute_paths; /* MutePaths (acting process exe) */
    size_t mute_paths_count;
    struct config_mute *mute_target_paths;   /* MuteTargetPaths */
    size_t mute_target_paths_count;
    uint32_t argv_max_bytes;        /* ArgvMaxBytes */
    uint32_t argv_max_count;        /* ArgvMaxCount */
    bool capture_environment;       /* CaptureEnvironment (off: secrets) */
    char *host_id;                  /* HostID; NULL: machine's own */
    uint32_t status_interval_s;     /* StatusIntervalSeconds, 0 = off */
    uint32_t ring_bytes;            /* RingBytes: source->batcher buffer */
    char *log_level;                /* LogLevel error|warning|info|debug */
    /* ingest (server side) */
    char *ingest_listen;            /* IngestListen "127.0.0.1:8088" or
                                       "unix:/run/estel/ingest.sock" */
    char *ingest_out_dir;           /* IngestOutputDirectory */
    char *ingest_format;            /* IngestFormat ecs|ocsf */
    uint64_t ingest_max_body_bytes;      /* IngestMaxBodyBytes */
    uint64_t ingest_max_batch_bytes;     /* IngestMaxBatchBytes (decoded) */
    uint32_t ingest_dedupe_ttl_s;   /* IngestDedupeTTLSeconds */
    uint64_t ingest_rotate_bytes;   /* IngestRotateBytes */
    uint32_t ingest_rotate_s;       /* IngestRotateSeconds */
    char *ingest_tls_cert;          /* IngestTLSCertificate (direct mode) */
    char *ingest_tls_key;           /* IngestTLSKey */
    char *ingest_tls_client_ca;     /* IngestTLSClientCA */
    char *ingest_trusted_front;     /* IngestTrustedFront: peer address
                                       whose X-SSL-Client-* headers count */
    /* bookkeeping */
    enum config_origin origin[64];  /* by key index, for config show */
    config_report_fn *report;       /* config_set_reporter(); NULL: log */
    void *report_ctx;
};

/* Fill *cfg with the built-in defaults (documented in docs/). */
enum estel_rc config_defaults(struct estel_config *cfg,
                              struct estel_err *err);

/*
 * Lay the plist at path (XML or binary) over cfg.  Every problem is logged
 * with log_warnx as "path: Key: problem; fix" and the call returns
 * ESTEL_E_CONFIG with "N errors in path" in err.  A missing file is an error
 * only when required is true.
 */
enum estel_rc config_load_file(struct estel_config *cfg, const char *path,
                               enum config_origin origin, bool required,
                               struct estel_err *err);
/* Same, from a plist held in memory (profile round-trips, fuzzing). */
enum estel_rc config_load_buffer(struct estel_config *cfg, const char *data,
                                 size_t len, const char *name,
                                 enum config_origin origin,
                                 struct estel_err *err);

/* Set one key from a string (command-line flags), validated like a file. */
enum estel_rc config_set(struct estel_config *cfg, const char *key,
                         const char *value, enum config_origin origin,
                         struct estel_err *err);

/* Cross-key checks (e.g. ClientKey without ClientCertificate). */
enum estel_rc config_validate(const struct estel_config *cfg,
                              struct estel_err *err);

/* Print "Key = value  (origin)" for every key; secrets never printed. */
void config_print(const struct estel_config *cfg, FILE *out);

bool config_event_enabled(const struct estel_config *cfg, uint32_t es_type);

/* Free every string and array in cfg and zero it (reporter included). */
void config_free(struct estel_config *cfg);

/*
 * Additions (config module owner):
 */

/* Largest configuration file or buffer accepted, in bytes. */
#define CONFIG_MAX_BYTES (1024 * 1024)

/*
 * Route problems to fn (borrowed ctx) instead of log_warnx: `config check`
 * prints them plainly, tests and the profile generator collect them.  Call
 * after config_defaults(), which clears it.
 */
void config_set_reporter(struct estel_config *cfg, config_report_fn *fn,
                         void *ctx);

/*
 * The standard sequence after config_defaults(): the local plist (path;
 * NULL means CONFIG_DEFAULT_FILE, which may be missing), then managed
 * preferences (managed; NULL means CONFIG_DEFAULT_MANAGED, which may be
 * missing or NULL).  A path given explicitly must exist.  Both sources are
 * checked even when the first fails; err then names both counts.  The
 * caller applies flags with config_set() and then calls config_validate().
 */
enum estel_rc config_load(struct estel_config *cfg, const char *path,
                          const char *managed, struct estel_err *err);

/* A key's value type as written in a plist. */
enum config_type {
    CONFIG_TYPE_STRING = 0,     /* <string> */
    CONFIG_TYPE_PATH,           /* <string>: an absolute path */
    CONFIG_TYPE_INTEGER,        /* <integer> (a whole <real> is accepted) */
    CONFIG_TYPE_SECONDS,        /* <real> or <integer> seconds, kept as ms */
    CONFIG_TYPE_BOOL,           /* <true/> or <false/> */
    CONFIG_TYPE_CHOICE,         /* <string>: one of choices */
    CONFIG_TYPE_EVENTS,         /* <array> of event type names */
    CONFIG_TYPE_MUTES           /* <array> of absolute paths, "...*" prefix */
};

/*
 * The public face of one key (docs, profile generation, validation of a
 * settings dictionary).  Integer limits are in the key's unit; SECONDS keys
 * keep min, max and default_num in milliseconds.
 */
struct config_key {
    const char *name;           /* "SpoolMaxBytes" */
    enum config_type type;
    uint64_t min, max;          /* INTEGER and SECONDS keys */
    uint64_t default_num;       /* INTEGER, SECONDS and BOOL keys */
    const char *default_str;    /* string keys (NULL: unset); EventTypes:
                                   space-separated names */
    const char *choices;        /* CHOICE keys: "error|warning|info|debug" */
    const char *unit;           /* "bytes", "seconds", ... or NULL */
    const char *example;        /* a valid value, as text */
    const char *description;    /* one line */
};

size_t config_key_count(void);
/* The key at index (the index of cfg->origin[]), or NULL past the end. */
const struct config_key *config_key_at(size_t index);
/* The index of the key with this exact name, or -1. */
int config_key_find(const char *name);
/* "string", "integer", "real or integer", "boolean", "array of strings" */
const char *config_type_name(enum config_type type);
/* "default", "file", "managed", "flag" */
const char *config_origin_name(enum config_origin origin);

#endif
