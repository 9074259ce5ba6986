/*
 * IOKit/IOKitLib.h (estel compat) - declarations only, for compiling
 * common/platform_darwin.c on Linux.  From Apple's IOKitLib.h (IOKitUser,
 * as mirrored by Darling), IOKit/IOTypes.h and IOKit/IOKitKeys.h (xnu);
 * the Mach types come from collector/es/compat/mach/mach.h, which Apple's
 * header reaches through <mach/mach_types.h>.
 */
#ifndef ESTEL_COMPAT_IOKITLIB_H
#define ESTEL_COMPAT_IOKITLIB_H

#include <mach/mach.h>
#include <CoreFoundation/CoreFoundation.h>

/* IOTypes.h */
typedef UInt32 IOOptionBits;
typedef mach_port_t io_object_t;
typedef io_object_t io_registry_entry_t;
typedef io_object_t io_service_t;
#define IO_OBJECT_NULL ((io_object_t)0)

/* IOKitKeys.h */
#define kIOPlatformUUIDKey "IOPlatformUUID"

kern_return_t IOObjectRelease(io_object_t object);
io_service_t IOServiceGetMatchingService(mach_port_t masterPort,
                                         CFDictionaryRef matching);
CFMutableDictionaryRef IOServiceMatching(const char *name);
CFTypeRef IORegistryEntryCreateCFProperty(io_registry_entry_t entry,
                                          CFStringRef key,
                                          CFAllocatorRef allocator,
                                          IOOptionBits options);

#endif
