/*
 * pthread.h (estel compat) - glibc's <pthread.h> plus
 * pthread_cond_timedwait_relative_np(), declared as in Apple's libpthread
 * pthread.h and hidden as there: only without _POSIX_C_SOURCE and
 * _XOPEN_SOURCE, or with _DARWIN_C_SOURCE.  For compiling
 * common/platform_darwin*.c on Linux only.
 */
#include_next <pthread.h>

#ifndef ESTEL_COMPAT_PTHREAD_H
#define ESTEL_COMPAT_PTHREAD_H
#if (!defined(_POSIX_C_SOURCE) && !defined(_XOPEN_SOURCE)) || \
    defined(_DARWIN_C_SOURCE)
int pthread_cond_timedwait_relative_np(pthread_cond_t *, pthread_mutex_t *,
                                       const struct timespec *);
#endif
#endif
