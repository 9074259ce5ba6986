/*
 * time.h (estel compat) - glibc's <time.h> plus clock_gettime_nsec_np(),
 * declared as in Apple's Libc include/time.h and hidden as there: only
 * without _POSIX_C_SOURCE or with _DARWIN_C_SOURCE (the build defines
 * _POSIX_C_SOURCE, so a Darwin file must define _DARWIN_C_SOURCE first).
 * For compiling common/platform_darwin*.c on Linux only.
 */
#include_next <time.h>

#ifndef ESTEL_COMPAT_TIME_H
#define ESTEL_COMPAT_TIME_H
#if !defined(_POSIX_C_SOURCE) || defined(_DARWIN_C_SOURCE)
__uint64_t clock_gettime_nsec_np(clockid_t __clock_id);
#endif
#endif
