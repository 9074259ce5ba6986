/*
 * log.h - the one logging seam (OpenBSD log.c manners).
 *
 * log_init() runs once in main before any thread starts; afterwards the
 * calls are thread-safe.  Each call writes one line "estel: module: msg"
 * to stderr (and the unified log on macOS, through the platform seam).
 * log_warn appends strerror(errno); none of them changes errno.  The level
 * check comes before any formatting.  Never pass secrets.
 */
#ifndef ESTEL_LOG_H
#define ESTEL_LOG_H

#include <stdbool.h>
#include "common/err.h"

enum log_level { LOG_LEVEL_ERROR = 0, LOG_LEVEL_WARN, LOG_LEVEL_INFO,
                 LOG_LEVEL_DEBUG };

void log_init(enum log_level level);
bool log_enabled(enum log_level level);
void log_warn(const char *fmt, ...) ESTEL_PRINTF(1, 2);
void log_warnx(const char *fmt, ...) ESTEL_PRINTF(1, 2);
void log_info(const char *fmt, ...) ESTEL_PRINTF(1, 2);
void log_debug(const char *fmt, ...) ESTEL_PRINTF(1, 2);
void log_error(const char *fmt, ...) ESTEL_PRINTF(1, 2);

#endif
