/*
 * runtime.h - the one runtime object: it owns the configuration and the
 * three threads of `estel run` (and of the sysex):
 *
 *   source thread ──ring──► batcher thread ──spool/ready──► uploader thread
 *
 * Shared between threads are only the ring, the spool's wake struct and
 * _Atomic counters.  Shutdown goes in pipeline order: the source stops,
 * the batcher drains the ring and seals the last batch, the uploader
 * finishes or abandons its request within a grace period.
 */
#ifndef ESTEL_RUNTIME_H
#define ESTEL_RUNTIME_H

#include <stdbool.h>
#include <stdint.h>
#include "common/err.h"
#include "config/config.h"

struct runtime_options {
    const char *config_path;        /* NULL: CONFIG_DEFAULT_FILE if any */
    const char *managed_path;       /* NULL: CONFIG_DEFAULT_MANAGED */
    const char *source;             /* "es", "eslogger", "synthetic" */
    const char *input;              /* eslogger: FILE or "-" */
    uint64_t count;                 /* synthetic: 0 = until stopped */
    uint64_t seed;
    const char *spool_dir;          /* overrides SpoolDirectory */
    const char *server_url;         /* overrides ServerURL */
    bool drain;                     /* exit when everything is delivered */
    int64_t grace_ms;               /* uploader shutdown bound */
};

struct estel_runtime;

/* Load and validate the configuration (ESTEL_E_CONFIG on problems). */
enum estel_rc runtime_configure(struct estel_config *cfg,
                                const struct runtime_options *opt,
                                struct estel_err *err);
enum estel_rc runtime_create(struct estel_runtime **out,
                             const struct runtime_options *opt,
                             struct estel_err *err);
/*
 * Start the threads and run until SIGINT/SIGTERM, or in drain mode until
 * every record is in the spool and (with a server) acknowledged.  Call
 * with SIGINT, SIGTERM and SIGHUP blocked (runtime_block_signals) so the
 * threads inherit the mask and only this thread takes them.
 */
enum estel_rc runtime_run(struct estel_runtime *rt, struct estel_err *err);
void runtime_destroy(struct estel_runtime **rt);
void runtime_block_signals(void);
/* Ask a running runtime to stop (any thread). */
void runtime_request_stop(struct estel_runtime *rt);

#endif
