/*
 * platform.h - everything that differs between macOS and Linux, in one
 * place.  CMake compiles platform_darwin.c on Apple and platform_linux.c
 * elsewhere; no other file outside collector/es/ and deploy/macos/ may test
 * __APPLE__.
 */
#ifndef ESTEL_PLATFORM_H
#define ESTEL_PLATFORM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common/err.h"
#include "common/log.h"

/*
 * Make the file's data durable: F_FULLFSYNC (falling back to fsync) on
 * macOS when full is true, fdatasync on Linux.  Returns 0 or -1 with errno.
 */
int estel_fsync_file(int fd, bool full);
/* Make a directory's entries durable (after rename/unlink in it). */
int estel_fsync_dir(int dirfd);

/* Wall-clock and monotonic (continues across sleep where possible) ns. */
int64_t estel_now_realtime_ns(void);
int64_t estel_now_mono_ns(void);

/* A condition variable whose timed waits use the monotonic clock. */
int estel_cond_init(pthread_cond_t *cond);
/* Wait at most timeout_ms; returns 0, or ETIMEDOUT. */
int estel_cond_timedwait_ms(pthread_cond_t *cond, pthread_mutex_t *mutex,
                            int64_t timeout_ms);

/*
 * Stable machine identity (macOS IOPlatformUUID, Linux /etc/machine-id) and
 * the boot session (macOS kern.bootsessionuuid, Linux boot_id), as lower
 * case strings without dashes.  Fall back to the hostname / "unknown" with
 * a warning rather than fail: a record without a perfect host id is still
 * worth shipping.
 */
enum estel_rc estel_host_id(char *buf, size_t size, struct estel_err *err);
enum estel_rc estel_boot_id(char *buf, size_t size, struct estel_err *err);

/* Second log sink: os_log on macOS, nothing elsewhere.  line has no \n. */
void estel_log_sink(enum log_level level, const char *line);

/*
 * Network-path change watch.  estel_netwatch_open() gives a file
 * descriptor that becomes readable when links or addresses change
 * (rtnetlink on Linux; a pipe fed by nw_path_monitor on macOS);
 * estel_netwatch_drain() consumes pending notifications and returns true if
 * any was a change worth waking for.
 */
struct estel_netwatch;
enum estel_rc estel_netwatch_open(struct estel_netwatch **out,
                                  struct estel_err *err);
int estel_netwatch_fd(const struct estel_netwatch *nw);
bool estel_netwatch_drain(struct estel_netwatch *nw);
void estel_netwatch_close(struct estel_netwatch **nw);

/*
 * Client identity for mTLS from the keychain (macOS): export the identity
 * an MDM certificate payload (PKCS#12 or SCEP) put in the System keychain,
 * chosen by its certificate's subject or issuer common name (match; never
 * empty: guessing could export the MDM enrolment identity), the newest one
 * if several match, to cert_path and key_path as PEM, root-only 0600,
 * atomically, in root-owned directories.  Does nothing when cert_path
 * already holds that certificate and key_path exists, so the runtime may
 * call it at start and on every possible change (a timer, a profile
 * event).  Blocks on keychain I/O.  ESTEL_E_CONFIG: no match, or the key
 * is not exportable (the payload needs AllowAllAppsAccess and
 * KeyIsExtractable; hardware-bound keys never are); ESTEL_E_UNSUPPORTED on
 * Linux.  Implemented in platform_darwin_identity.c.
 */
enum estel_rc estel_identity_export(const char *match, const char *cert_path,
                                    const char *key_path,
                                    struct estel_err *err);

#endif
