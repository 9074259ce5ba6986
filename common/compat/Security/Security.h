/*
 * Security/Security.h (estel compat) - declarations only, for compiling
 * common/platform_darwin_identity.c on Linux.  From Apple's Security
 * framework headers SecBase.h, SecIdentity.h, SecKeychain.h (macOS 11.3
 * SDK), SecCertificate.h, SecImportExport.h and SecItem.h (macOS 10.15
 * SDK).  CF_ENUM/CF_OPTIONS in their plain-C form:
 * "typedef type name; enum { ... }".
 */
#ifndef ESTEL_COMPAT_SECURITY_H
#define ESTEL_COMPAT_SECURITY_H

#include <stdint.h>
#include <CoreFoundation/CoreFoundation.h>

/* SecBase.h */
typedef struct __SecCertificate *SecCertificateRef;
typedef struct __SecIdentity *SecIdentityRef;
typedef struct __SecKey *SecKeyRef;
typedef struct __SecKeychain *SecKeychainRef;
typedef struct __SecAccess *SecAccessRef;

enum {
    errSecSuccess = 0,
    errSecAllocate = -108,
    errSecItemNotFound = -25300
};

/* SecCertificate.h */
CFDataRef SecCertificateCopyData(SecCertificateRef certificate);

/* SecIdentity.h */
OSStatus SecIdentityCopyCertificate(SecIdentityRef identityRef,
                                    SecCertificateRef *certificateRef);
OSStatus SecIdentityCopyPrivateKey(SecIdentityRef identityRef,
                                   SecKeyRef *privateKeyRef);

/*
 * SecKeychain.h.  The 11.3 SDK declares it without an attribute; Apple's
 * documentation marks it API_DEPRECATED("SecKeychain is deprecated",
 * macos(10.2, 10.10)), which newer SDKs carry, so deprecated here too.
 */
OSStatus SecKeychainOpen(const char *pathName, SecKeychainRef *keychain)
    __attribute__((deprecated("SecKeychain is deprecated")));

/* SecImportExport.h */
typedef uint32_t SecExternalFormat;
enum {
    kSecFormatWrappedPKCS8 = 5          /* kSecFormatUnknown = 0, ... */
};

typedef uint32_t SecItemImportExportFlags;
enum {
    kSecItemPemArmour = 0x00000001
};

typedef uint32_t SecKeyImportExportFlags;

#define SEC_KEY_IMPORT_EXPORT_PARAMS_VERSION 0

typedef struct {
    uint32_t version;
    SecKeyImportExportFlags flags;
    CFTypeRef passphrase;
    CFStringRef alertTitle;
    CFStringRef alertPrompt;
    SecAccessRef accessRef;
    CFArrayRef keyUsage;
    CFArrayRef keyAttributes;
} SecItemImportExportKeyParameters;

OSStatus SecItemExport(CFTypeRef secItemOrArray,
                       SecExternalFormat outputFormat,
                       SecItemImportExportFlags flags,
                       const SecItemImportExportKeyParameters *keyParams,
                       CFDataRef *exportedData);

/* SecItem.h */
extern const CFStringRef kSecClass;
extern const CFStringRef kSecClassIdentity;
extern const CFStringRef kSecMatchLimit;
extern const CFStringRef kSecMatchLimitAll;
extern const CFStringRef kSecMatchSearchList;
extern const CFStringRef kSecReturnRef;

OSStatus SecItemCopyMatching(CFDictionaryRef query, CFTypeRef *result);

#endif
