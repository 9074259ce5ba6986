/*
 * bsm/libbsm.h (estel compat) - the audit_token_to_* accessors of
 * Apple's libbsm, for Linux builds.  Apple's take the token by value; so
 * do these.  Index order: auid euid egid ruid rgid pid asid pidversion.
 */
#ifndef ESTEL_ES_COMPAT_LIBBSM_H
#define ESTEL_ES_COMPAT_LIBBSM_H

#include <sys/types.h>
#include "EndpointSecurity/ESCompatDarwin.h"

typedef pid_t au_asid_t;

static inline uid_t
audit_token_to_auid(audit_token_t t)
{
    return (uid_t)t.val[0];
}

static inline uid_t
audit_token_to_euid(audit_token_t t)
{
    return (uid_t)t.val[1];
}

static inline gid_t
audit_token_to_egid(audit_token_t t)
{
    return (gid_t)t.val[2];
}

static inline uid_t
audit_token_to_ruid(audit_token_t t)
{
    return (uid_t)t.val[3];
}

static inline gid_t
audit_token_to_rgid(audit_token_t t)
{
    return (gid_t)t.val[4];
}

static inline pid_t
audit_token_to_pid(audit_token_t t)
{
    return (pid_t)t.val[5];
}

static inline au_asid_t
audit_token_to_asid(audit_token_t t)
{
    return (au_asid_t)t.val[6];
}

static inline int
audit_token_to_pidversion(audit_token_t t)
{
    return (int)t.val[7];
}

#endif
