/*
 * CoreFoundation/CoreFoundation.h (estel compat) - declarations only, for
 * compiling common/platform_darwin*.c on Linux (target estel_darwin_check,
 * never linked).  Exactly what those files use, spelled as in Apple's
 * CFBase.h, CFString.h (macOS 10.15/11.3 SDK), CFArray.h, CFData.h,
 * CFDictionary.h and CFNumber.h (Apple's open-source CoreFoundation,
 * swift-corelibs-foundation, whose public declarations match the SDK's).
 * CF_ENUM is written in its plain-C form from CFAvailability.h:
 * "typedef type name; enum { ... }".
 */
#ifndef ESTEL_COMPAT_COREFOUNDATION_H
#define ESTEL_COMPAT_COREFOUNDATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* CFBase.h (MacTypes.h when present; same definitions) */
typedef unsigned char Boolean;
typedef unsigned char UInt8;
typedef unsigned int UInt32;
typedef signed int SInt32;
typedef SInt32 OSStatus;

typedef unsigned long CFTypeID;
typedef unsigned long CFHashCode;
typedef signed long CFIndex;
typedef const void *CFTypeRef;
typedef const struct __CFString *CFStringRef;
typedef const struct __CFAllocator *CFAllocatorRef;

extern const CFAllocatorRef kCFAllocatorDefault;

CFTypeID CFGetTypeID(CFTypeRef cf);
CFTypeRef CFRetain(CFTypeRef cf);
void CFRelease(CFTypeRef cf);

/* CFArray.h */
typedef const void *(*CFArrayRetainCallBack)(CFAllocatorRef allocator,
                                             const void *value);
typedef void (*CFArrayReleaseCallBack)(CFAllocatorRef allocator,
                                       const void *value);
typedef CFStringRef (*CFArrayCopyDescriptionCallBack)(const void *value);
typedef Boolean (*CFArrayEqualCallBack)(const void *value1,
                                        const void *value2);
typedef struct {
    CFIndex version;
    CFArrayRetainCallBack retain;
    CFArrayReleaseCallBack release;
    CFArrayCopyDescriptionCallBack copyDescription;
    CFArrayEqualCallBack equal;
} CFArrayCallBacks;

extern const CFArrayCallBacks kCFTypeArrayCallBacks;

typedef const struct __CFArray *CFArrayRef;

CFArrayRef CFArrayCreate(CFAllocatorRef allocator, const void **values,
                         CFIndex numValues, const CFArrayCallBacks *callBacks);
CFIndex CFArrayGetCount(CFArrayRef theArray);
const void *CFArrayGetValueAtIndex(CFArrayRef theArray, CFIndex idx);

/* CFData.h */
typedef const struct __CFData *CFDataRef;

CFIndex CFDataGetLength(CFDataRef theData);
const UInt8 *CFDataGetBytePtr(CFDataRef theData);

/* CFDictionary.h */
typedef const void *(*CFDictionaryRetainCallBack)(CFAllocatorRef allocator,
                                                  const void *value);
typedef void (*CFDictionaryReleaseCallBack)(CFAllocatorRef allocator,
                                            const void *value);
typedef CFStringRef (*CFDictionaryCopyDescriptionCallBack)(const void *value);
typedef Boolean (*CFDictionaryEqualCallBack)(const void *value1,
                                             const void *value2);
typedef CFHashCode (*CFDictionaryHashCallBack)(const void *value);
typedef struct {
    CFIndex version;
    CFDictionaryRetainCallBack retain;
    CFDictionaryReleaseCallBack release;
    CFDictionaryCopyDescriptionCallBack copyDescription;
    CFDictionaryEqualCallBack equal;
    CFDictionaryHashCallBack hash;
} CFDictionaryKeyCallBacks;

extern const CFDictionaryKeyCallBacks kCFTypeDictionaryKeyCallBacks;

typedef struct {
    CFIndex version;
    CFDictionaryRetainCallBack retain;
    CFDictionaryReleaseCallBack release;
    CFDictionaryCopyDescriptionCallBack copyDescription;
    CFDictionaryEqualCallBack equal;
} CFDictionaryValueCallBacks;

extern const CFDictionaryValueCallBacks kCFTypeDictionaryValueCallBacks;

typedef const struct __CFDictionary *CFDictionaryRef;
typedef struct __CFDictionary *CFMutableDictionaryRef;

CFMutableDictionaryRef CFDictionaryCreateMutable(CFAllocatorRef allocator,
    CFIndex capacity, const CFDictionaryKeyCallBacks *keyCallBacks,
    const CFDictionaryValueCallBacks *valueCallBacks);
void CFDictionarySetValue(CFMutableDictionaryRef theDict, const void *key,
                          const void *value);

/* CFNumber.h */
typedef const struct __CFBoolean *CFBooleanRef;

extern const CFBooleanRef kCFBooleanTrue;

/* CFString.h */
typedef UInt32 CFStringEncoding;
typedef CFStringEncoding CFStringBuiltInEncodings;
enum {
    kCFStringEncodingUTF8 = 0x08000100
};

CFTypeID CFStringGetTypeID(void);
CFStringRef CFStringCreateWithCString(CFAllocatorRef alloc, const char *cStr,
                                      CFStringEncoding encoding);
Boolean CFStringGetCString(CFStringRef theString, char *buffer,
                           CFIndex bufferSize, CFStringEncoding encoding);

/* CFSTR without __CONSTANT_CFSTRINGS__ (CFString.h) */
#define CFSTR(cStr) __CFStringMakeConstantString("" cStr "")
CFStringRef __CFStringMakeConstantString(const char *cStr);

#endif
