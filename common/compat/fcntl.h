/*
 * fcntl.h (estel compat) - glibc's <fcntl.h> plus F_FULLFSYNC, as in xnu's
 * bsd/sys/fcntl.h (which Apple's <fcntl.h> includes) and hidden as there:
 * only without _POSIX_C_SOURCE or with _DARWIN_C_SOURCE.  For compiling
 * common/platform_darwin*.c on Linux only.
 */
#include_next <fcntl.h>

#ifndef ESTEL_COMPAT_FCNTL_H
#define ESTEL_COMPAT_FCNTL_H
#if !defined(_POSIX_C_SOURCE) || defined(_DARWIN_C_SOURCE)
#define F_FULLFSYNC 51      /* fsync + ask the drive to flush to the media */
#endif
#endif
