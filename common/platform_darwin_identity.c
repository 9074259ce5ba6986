/*
 * platform_darwin_identity.c - macOS only: export the client identity an
 * MDM certificate payload (com.apple.security.pkcs12, or SCEP) put in the
 * System keychain to PEM files that OpenSSL and libcurl can load.
 *
 * Why: OpenSSL cannot read a keychain, and the profile delivers the
 * identity there, not as files.  The MDM payload must allow the export:
 * estel profile sets AllowAllAppsAccess (a daemon cannot answer a key-ACL
 * prompt) and KeyIsExtractable.  Hardware-bound (Secure Enclave) keys, e.g.
 * ACME HardwareBound, are never extractable and cannot be used this way.
 *
 * How: SecItemCopyMatching(kSecClassIdentity) in the System keychain,
 * select by the certificate's subject or issuer common name, newest expiry
 * wins (renewals leave the old identity behind until it expires); the
 * certificate's DER becomes PEM through OpenSSL; the key leaves the
 * keychain only wrapped (SecItemExport, kSecFormatWrappedPKCS8, a random
 * one-time passphrase) and OpenSSL unwraps it in memory.  Files are written
 * root-only 0600: temporary file (O_EXCL|O_NOFOLLOW) in the same
 * root-owned directory, F_FULLFSYNC, rename, directory fsync.
 *
 * On Linux it is only compile-checked, against common/compat (target
 * estel_darwin_check): keep it small and review it on a Mac (see
 * docs/deployment.md, "Certificates").
 */
/* the build defines _POSIX_C_SOURCE, which hides arc4random and much of
 * CoreFoundation's needs on Darwin; this file is Darwin-only */
#define _DARWIN_C_SOURCE 1

#include "common/platform.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <CoreFoundation/CoreFoundation.h>
#include <Security/Security.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#define SYSTEM_KEYCHAIN "/Library/Keychains/System.keychain"
#define PEM_MAX (64 * 1024)

/* One candidate: the identity and its certificate parsed by OpenSSL. */
struct pick {
    SecIdentityRef identity;        /* retained */
    X509 *cert;
};

static bool
name_cn_equals(const X509_NAME *name, const char *want)
{
    int i = X509_NAME_get_index_by_NID((X509_NAME *)name, NID_commonName,
                                       -1);
    unsigned char *utf8 = NULL;
    bool eq;

    if (i < 0 || ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(
            X509_NAME_get_entry(name, i))) < 0)
        return false;
    eq = strcmp((const char *)utf8, want) == 0;
    OPENSSL_free(utf8);
    return eq;
}

/* The identity's certificate as OpenSSL X509, or NULL. */
static X509 *
identity_x509(SecIdentityRef identity)
{
    SecCertificateRef cert = NULL;
    CFDataRef der = NULL;
    const unsigned char *p;
    X509 *x = NULL;

    if (SecIdentityCopyCertificate(identity, &cert) != errSecSuccess)
        return NULL;
    der = SecCertificateCopyData(cert);
    if (der != NULL) {
        p = CFDataGetBytePtr(der);
        x = d2i_X509(NULL, &p, CFDataGetLength(der));
        CFRelease(der);
    }
    CFRelease(cert);
    return x;
}

/* The System keychain's identities whose certificate's subject or issuer
 * CN is match; the one that expires last into *best. */
static enum estel_rc
find_identity(struct pick *best, const char *match, struct estel_err *err)
{
    SecKeychainRef kc = NULL;
    CFArrayRef list = NULL, found = NULL;
    CFMutableDictionaryRef q;
    OSStatus st;

    /* SecKeychainOpen is deprecated, but the System keychain is a file
     * keychain and this is the documented way to search it from a daemon
     * (the data-protection keychain is not available to daemons) */
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wdeprecated-declarations"
    st = SecKeychainOpen(SYSTEM_KEYCHAIN, &kc);
#pragma clang diagnostic pop
    if (st != errSecSuccess)
        return estel_fail(err, ESTEL_E_IO, "%s: cannot open (OSStatus %d)",
                          SYSTEM_KEYCHAIN, (int)st);
    list = CFArrayCreate(NULL, (const void **)&kc, 1, &kCFTypeArrayCallBacks);
    q = CFDictionaryCreateMutable(NULL, 0, &kCFTypeDictionaryKeyCallBacks,
                                  &kCFTypeDictionaryValueCallBacks);
    if (list == NULL || q == NULL) {
        st = errSecAllocate;
    } else {
        CFDictionarySetValue(q, kSecClass, kSecClassIdentity);
        CFDictionarySetValue(q, kSecMatchLimit, kSecMatchLimitAll);
        CFDictionarySetValue(q, kSecReturnRef, kCFBooleanTrue);
        CFDictionarySetValue(q, kSecMatchSearchList, list);
        st = SecItemCopyMatching(q, (CFTypeRef *)&found);
    }
    if (q != NULL)
        CFRelease(q);
    if (list != NULL)
        CFRelease(list);
    CFRelease(kc);
    if (st != errSecSuccess && st != errSecItemNotFound)
        return estel_fail(err, ESTEL_E_IO, "%s: identity search failed "
                          "(OSStatus %d)", SYSTEM_KEYCHAIN, (int)st);
    for (CFIndex i = 0; found != NULL && i < CFArrayGetCount(found); i++) {
        SecIdentityRef id = (SecIdentityRef)CFArrayGetValueAtIndex(found, i);
        X509 *x = identity_x509(id);

        if (x == NULL || !(name_cn_equals(X509_get_subject_name(x), match) ||
                           name_cn_equals(X509_get_issuer_name(x), match))) {
            X509_free(x);
            continue;
        }
        if (best->cert != NULL && ASN1_TIME_compare(X509_get0_notAfter(x),
                X509_get0_notAfter(best->cert)) <= 0) {
            X509_free(x);
            continue;
        }
        X509_free(best->cert);
        if (best->identity != NULL)
            CFRelease(best->identity);
        best->cert = x;
        best->identity = (SecIdentityRef)CFRetain(id);
    }
    if (found != NULL)
        CFRelease(found);
    if (best->identity == NULL)
        return estel_fail(err, ESTEL_E_CONFIG, "no identity in %s whose "
                          "certificate's subject or issuer common name is "
                          "\"%s\"; check the profile's PKCS#12/SCEP payload "
                          "and `security find-identity %s`", SYSTEM_KEYCHAIN,
                          match, SYSTEM_KEYCHAIN);
    return ESTEL_OK;
}

/* The private key, unwrapped into OpenSSL (never in the clear on disk). */
static enum estel_rc
export_key(EVP_PKEY **out, SecIdentityRef identity, struct estel_err *err)
{
    SecItemImportExportKeyParameters params;
    unsigned char rnd[24];
    char pass[sizeof(rnd) * 2 + 1];
    CFStringRef cfpass = NULL;
    CFDataRef wrapped = NULL;
    SecKeyRef key = NULL;
    BIO *bio = NULL;
    OSStatus st;

    *out = NULL;
    if (RAND_bytes(rnd, sizeof(rnd)) != 1)
        return estel_fail(err, ESTEL_E_TLS, "RAND_bytes failed");
    for (size_t i = 0; i < sizeof(rnd); i++)
        snprintf(pass + 2 * i, 3, "%02x", rnd[i]);
    st = SecIdentityCopyPrivateKey(identity, &key);
    if (st == errSecSuccess) {
        cfpass = CFStringCreateWithCString(NULL, pass, kCFStringEncodingUTF8);
        memset(&params, 0, sizeof(params));
        params.version = SEC_KEY_IMPORT_EXPORT_PARAMS_VERSION;
        params.passphrase = cfpass;
        st = cfpass == NULL ? errSecAllocate :
             SecItemExport(key, kSecFormatWrappedPKCS8, kSecItemPemArmour,
                           &params, &wrapped);
    }
    if (st == errSecSuccess) {
        bio = BIO_new_mem_buf(CFDataGetBytePtr(wrapped),
                              (int)CFDataGetLength(wrapped));
        /* NULL callback: OpenSSL takes the last argument as the
         * NUL-terminated passphrase */
        *out = bio != NULL ? PEM_read_bio_PrivateKey(bio, NULL, NULL, pass)
                           : NULL;
        BIO_free(bio);
    }
    OPENSSL_cleanse(pass, sizeof(pass));
    OPENSSL_cleanse(rnd, sizeof(rnd));
    if (wrapped != NULL)
        CFRelease(wrapped);
    if (cfpass != NULL)
        CFRelease(cfpass);
    if (key != NULL)
        CFRelease(key);
    if (st != errSecSuccess)
        return estel_fail(err, ESTEL_E_CONFIG, "the client key in %s cannot "
                          "be exported (OSStatus %d); deliver the PKCS#12 or "
                          "SCEP payload with AllowAllAppsAccess and "
                          "KeyIsExtractable true (hardware-bound keys never "
                          "export)", SYSTEM_KEYCHAIN, (int)st);
    if (*out == NULL)
        return estel_fail(err, ESTEL_E_TLS, "OpenSSL cannot unwrap the key "
                          "exported from %s", SYSTEM_KEYCHAIN);
    return ESTEL_OK;
}

/*
 * Write data to path: root-only 0600, atomically, in a directory that
 * only root can change (otherwise another user could swap the file).
 */
static enum estel_rc
write_secret(const char *path, const char *data, size_t len,
             struct estel_err *err)
{
    char dir[1024], tmp[1100];
    const char *base = strrchr(path, '/');
    struct stat st;
    enum estel_rc rc = ESTEL_OK;
    int dfd, fd;

    if (base == NULL || base == path || (size_t)(base - path) >= sizeof(dir))
        return estel_fail(err, ESTEL_E_CONFIG, "%s: give an absolute path "
                          "in a directory", path);
    memcpy(dir, path, (size_t)(base - path));
    dir[base - path] = '\0';
    base++;
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0)
        return estel_fail_errno(err, ESTEL_E_IO, "%s: cannot open", dir);
    if (fstat(dfd, &st) != 0 || st.st_uid != 0 || (st.st_mode & 022) != 0) {
        (void)close(dfd);
        return estel_fail(err, ESTEL_E_CONFIG, "%s: must be owned by root "
                          "and writable only by root to hold a private key; "
                          "run chown root:wheel and chmod 755 on it", dir);
    }
    snprintf(tmp, sizeof(tmp), ".%s.%08x", base, arc4random());
    fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
                O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = estel_fail_errno(err, ESTEL_E_IO, "%s/%s: cannot create", dir,
                              tmp);
        (void)close(dfd);
        return rc;
    }
    for (size_t off = 0; rc == ESTEL_OK && off < len;) {
        ssize_t n = write(fd, data + off, len - off);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            rc = estel_fail_errno(err, estel_rc_from_errno(errno), "%s/%s: "
                                  "write failed", dir, tmp);
        else
            off += (size_t)n;
    }
    /* umask cannot widen 0600, but fchmod makes the mode explicit */
    if (rc == ESTEL_OK && (fchown(fd, 0, 0) != 0 || fchmod(fd, 0600) != 0))
        rc = estel_fail_errno(err, ESTEL_E_IO, "%s/%s: chown/chmod", dir, tmp);
    if (rc == ESTEL_OK && estel_fsync_file(fd, true) != 0)
        rc = estel_fail_errno(err, ESTEL_E_IO, "%s/%s: fsync", dir, tmp);
    if (close(fd) != 0 && rc == ESTEL_OK)
        rc = estel_fail_errno(err, ESTEL_E_IO, "%s/%s: close", dir, tmp);
    if (rc == ESTEL_OK && renameat(dfd, tmp, dfd, base) != 0)
        rc = estel_fail_errno(err, ESTEL_E_IO, "cannot rename %s/%s to %s",
                              dir, tmp, path);
    if (rc != ESTEL_OK)
        (void)unlinkat(dfd, tmp, 0);    /* best effort; error reported */
    else if (estel_fsync_dir(dfd) != 0)
        rc = estel_fail_errno(err, ESTEL_E_IO, "%s: fsync", dir);
    (void)close(dfd);                   /* read-only directory handle */
    return rc;
}

/* PEM of x (public) or k (secret, in the secure heap) into a BIO. */
static enum estel_rc
pem_of(BIO **out, X509 *x, EVP_PKEY *k, struct estel_err *err)
{
    BIO *b = BIO_new(k != NULL ? BIO_s_secmem() : BIO_s_mem());
    int ok;

    *out = NULL;
    if (b == NULL)
        return estel_fail(err, ESTEL_E_NOMEM, "out of memory for PEM");
    ok = k != NULL ? PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL)
                   : PEM_write_bio_X509(b, x);
    if (ok != 1) {
        BIO_free(b);
        return estel_fail(err, ESTEL_E_TLS, "OpenSSL cannot write the %s "
                          "as PEM", k != NULL ? "key" : "certificate");
    }
    *out = b;
    return ESTEL_OK;
}

/* Does path already hold exactly these bytes?  (No rewrite, no churn.) */
static bool
same_content(const char *path, const char *data, size_t len)
{
    char buf[PEM_MAX];
    ssize_t n;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

    if (fd < 0)
        return false;
    n = read(fd, buf, sizeof(buf));
    (void)close(fd);
    return n >= 0 && (size_t)n == len && memcmp(buf, data, len) == 0;
}

enum estel_rc
estel_identity_export(const char *match, const char *cert_path,
                      const char *key_path, struct estel_err *err)
{
    struct pick best = { NULL, NULL };
    EVP_PKEY *key = NULL;
    BIO *cert_pem = NULL, *key_pem = NULL;
    char *cdata = NULL, *kdata = NULL;
    long clen = 0, klen = 0;
    enum estel_rc rc;

    /* an empty match would export whatever comes first, possibly the MDM
     * enrolment identity itself: never guess */
    if (match == NULL || match[0] == '\0')
        return estel_fail(err, ESTEL_E_CONFIG, "no client identity name "
                          "given: set the common name of the client "
                          "certificate (or of its issuing CA)");
    rc = find_identity(&best, match, err);
    if (rc == ESTEL_OK)
        rc = pem_of(&cert_pem, best.cert, NULL, err);
    if (rc == ESTEL_OK) {
        clen = BIO_get_mem_data(cert_pem, &cdata);
        /* unchanged certificate and a key file present: nothing to do */
        if (same_content(cert_path, cdata, (size_t)clen) &&
            access(key_path, F_OK) == 0)
            goto done;
        rc = export_key(&key, best.identity, err);
    }
    if (rc == ESTEL_OK)
        rc = pem_of(&key_pem, NULL, key, err);
    if (rc == ESTEL_OK) {
        klen = BIO_get_mem_data(key_pem, &kdata);
        /* key first: a new certificate next to an old key would fail the
         * TLS handshake, an old certificate next to a new key likewise, but
         * the next call repairs the pair because the certificate differs */
        rc = write_secret(key_path, kdata, (size_t)klen, err);
    }
    if (rc == ESTEL_OK)
        rc = write_secret(cert_path, cdata, (size_t)clen, err);
done:
    BIO_free(key_pem);              /* secure heap: cleansed on free */
    BIO_free(cert_pem);
    EVP_PKEY_free(key);
    X509_free(best.cert);
    if (best.identity != NULL)
        CFRelease(best.identity);
    return rc;
}
