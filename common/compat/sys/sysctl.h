/*
 * sys/sysctl.h (estel compat) - declarations only, for compiling
 * common/platform_darwin.c on Linux, where glibc 2.36 has no
 * <sys/sysctl.h>.  From xnu's bsd/sys/sysctl.h (Darwin).
 */
#ifndef ESTEL_COMPAT_SYS_SYSCTL_H
#define ESTEL_COMPAT_SYS_SYSCTL_H

#include <stddef.h>

int sysctlbyname(const char *, void *, size_t *, void *, size_t);

#endif
