/* err.c - the result code helpers; see err.h. */
#include "common/err.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static void
vfill(struct estel_err *err, enum estel_rc rc, int e, const char *fmt,
      va_list ap)
{
    size_t n;

    if (err == NULL || err->rc != ESTEL_OK)
        return;                 /* the first message stays */
    err->rc = rc;
    err->sys_errno = e;
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    if (e != 0) {
        n = strlen(err->msg);
        snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", strerror(e));
    }
}

enum estel_rc
estel_fail(struct estel_err *err, enum estel_rc rc, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vfill(err, rc, 0, fmt, ap);
    va_end(ap);
    return rc;
}

enum estel_rc
estel_fail_errno(struct estel_err *err, enum estel_rc rc, const char *fmt, ...)
{
    int e = errno;
    va_list ap;

    va_start(ap, fmt);
    vfill(err, rc, e, fmt, ap);
    va_end(ap);
    errno = e;
    return rc;
}

enum estel_rc
estel_rc_from_errno(int e)
{
    switch (e) {
    case ENOSPC:
#ifdef EDQUOT
    case EDQUOT:
#endif
        return ESTEL_E_NOSPACE;
    case ENOMEM:
        return ESTEL_E_NOMEM;
    default:
        return ESTEL_E_IO;
    }
}

void
estel_err_clear(struct estel_err *err)
{
    if (err == NULL)
        return;
    err->rc = ESTEL_OK;
    err->sys_errno = 0;
    err->msg[0] = '\0';
}

const char *
estel_rc_name(enum estel_rc rc)
{
    static const char *const names[] = {
        "ok", "usage", "config", "io", "nospace", "nomem", "corrupt",
        "tls", "net", "rejected", "full", "auth", "eof", "unsupported"
    };

    if ((unsigned)rc < sizeof(names) / sizeof(names[0]))
        return names[rc];
    return "unknown";
}
