/*
 * err.h - estel's one result code and its error struct.
 *
 * Every fallible function returns enum estel_rc and takes a struct estel_err
 * as its last parameter (which may be NULL).  The code that detects a failure
 * writes one sentence naming the file, key or value and the fix; callers pass
 * the rc up unchanged and the first message stays (curl's failf discipline).
 */
#ifndef ESTEL_ERR_H
#define ESTEL_ERR_H

#include <stdarg.h>

#if defined(__GNUC__) || defined(__clang__)
#define ESTEL_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define ESTEL_PRINTF(f, a)
#endif

enum estel_rc {                 /* append only, never renumber */
    ESTEL_OK = 0,
    ESTEL_E_USAGE,              /* bad command line */
    ESTEL_E_CONFIG,             /* bad configuration */
    ESTEL_E_IO,                 /* a system call on a file failed */
    ESTEL_E_NOSPACE,            /* ENOSPC / EDQUOT */
    ESTEL_E_NOMEM,
    ESTEL_E_CORRUPT,            /* input fails its checks */
    ESTEL_E_TLS,                /* TLS setup or handshake, credentials */
    ESTEL_E_NET,                /* transient: retry with backoff */
    ESTEL_E_REJECTED,           /* permanent: never retry this input */
    ESTEL_E_FULL,               /* ring full: the caller counts a drop */
    ESTEL_E_AUTH,               /* 401/403: credentials refused, keep data */
    ESTEL_E_EOF,                /* a finite source ended */
    ESTEL_E_UNSUPPORTED         /* not available on this platform/build */
};

#define ESTEL_ERR_MSG_MAX 512

struct estel_err {
    enum estel_rc rc;
    int sys_errno;
    char msg[ESTEL_ERR_MSG_MAX];
};

/* Fill err (if not NULL and still empty) and return rc. */
enum estel_rc estel_fail(struct estel_err *err, enum estel_rc rc,
                         const char *fmt, ...) ESTEL_PRINTF(3, 4);
/* Same, and append ": strerror(errno)"; keeps errno in err->sys_errno. */
enum estel_rc estel_fail_errno(struct estel_err *err, enum estel_rc rc,
                               const char *fmt, ...) ESTEL_PRINTF(3, 4);
/* Map an errno to ESTEL_E_NOSPACE, ESTEL_E_NOMEM or ESTEL_E_IO. */
enum estel_rc estel_rc_from_errno(int e);
void estel_err_clear(struct estel_err *err);
const char *estel_rc_name(enum estel_rc rc);

#endif
