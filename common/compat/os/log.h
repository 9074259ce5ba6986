/*
 * os/log.h (estel compat) - declarations only, for compiling
 * common/platform_darwin.c on Linux.  From Apple's os/log.h (macOS SDK,
 * libtrace), plain C (OS_OBJECT_USE_OBJC=0); OS_ENUM in the form
 * os/base.h gives without fixed enums.
 *
 * os_log_with_type is a macro in Apple's header: it packs the arguments
 * with __builtin_os_log_format and calls _os_log_impl.  Here it calls a
 * compat-only declaration (never defined: the check is never linked) that
 * type-checks the log and type arguments; no printf format attribute, as
 * os_log's "%{public}s" is not printf.
 */
#ifndef ESTEL_COMPAT_OS_LOG_H
#define ESTEL_COMPAT_OS_LOG_H

#include <stdbool.h>
#include <stdint.h>

typedef struct os_log_s *os_log_t;

enum {
    OS_LOG_TYPE_DEFAULT = 0x00,
    OS_LOG_TYPE_INFO = 0x01,
    OS_LOG_TYPE_DEBUG = 0x02,
    OS_LOG_TYPE_ERROR = 0x10,
    OS_LOG_TYPE_FAULT = 0x11
};
typedef uint8_t os_log_type_t;

os_log_t os_log_create(const char *subsystem, const char *category);

void estel_compat_os_log_with_type(os_log_t log, os_log_type_t type,
                                   const char *format, ...);
#define os_log_with_type(log, type, ...) \
    estel_compat_os_log_with_type((log), (type), __VA_ARGS__)

#endif
