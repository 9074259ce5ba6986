/*
 * pkcs12.c - proves that a client identity opens with its password before
 * the profile generator embeds it (com.apple.security.pkcs12).  A profile
 * with a wrong password installs on the Mac and then fails there, silently
 * for the admin; checking here turns that into an error at the desk.
 *
 * The password is a secret: it is read from a file (never a flag, which
 * would show in ps and shell history), kept in memory only as long as
 * needed, wiped on free and never put in a message.
 */
#include "deploy/deploy_int.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
#include <openssl/provider.h>
#endif

void
deploy_pkcs12_free(struct deploy_pkcs12 *p12)
{
    if (p12 == NULL)
        return;
    deploy_wipe_free(p12->der, p12->der_len);
    deploy_wipe_free(p12->password, p12->password_len);
    memset(p12, 0, sizeof(*p12));
}

/* The password is the file's first line: strip one trailing newline (and a
 * CR before it), which editors and `echo` add. */
static enum estel_rc
password_load(struct deploy_pkcs12 *out, const char *pw_path,
              struct estel_err *err)
{
    enum estel_rc rc;
    size_t len;

    rc = deploy_read_file("--pkcs12-password-file", pw_path,
                          DEPLOY_PASSWORD_MAX, &out->password,
                          &out->password_len, err);
    if (rc != ESTEL_OK)
        return rc;
    len = out->password_len;
    if (len > 0 && out->password[len - 1] == '\n')
        len--;
    if (len > 0 && out->password[len - 1] == '\r')
        len--;
    out->password[len] = '\0';
    if (strlen(out->password) != len || memchr(out->password, '\n', len))
        return estel_fail(err, ESTEL_E_CONFIG, "--pkcs12-password-file %s: "
                          "holds more than one line or a NUL byte; put "
                          "only the password in it", pw_path);
    return ESTEL_OK;
}

/* Does the password open the MAC?  An empty password may have been
 * applied as "" or as no password at all: try both, as PKCS12_parse does. */
static bool
mac_ok(PKCS12 *p12, const char *pw, size_t len)
{
    if (!PKCS12_mac_present(p12))
        return true;            /* nothing to check: parsing decides */
    if (PKCS12_verify_mac(p12, pw, (int)len) == 1)
        return true;
    return len == 0 && PKCS12_verify_mac(p12, NULL, 0) == 1;
}

static int
parse(PKCS12 *p12, const char *pw, EVP_PKEY **key, X509 **cert,
      STACK_OF(X509) **ca)
{
    int ok = PKCS12_parse(p12, pw, key, cert, ca);

#if OPENSSL_VERSION_NUMBER >= 0x30000000L
    /*
     * OpenSSL 3 keeps RC2-40 (what `openssl pkcs12 -legacy`, older
     * OpenSSL and macOS Keychain Access use) in the legacy provider.  Load
     * it once, keeping the default provider (retain_fallbacks), and retry:
     * the password already passed the MAC check, so a failure here is an
     * unsupported cipher, not a wrong password.
     */
    if (ok != 1 && OSSL_PROVIDER_try_load(NULL, "legacy", 1) != NULL) {
        ERR_clear_error();
        ok = PKCS12_parse(p12, pw, key, cert, ca);
    }
#endif
    return ok;
}

static enum estel_rc
identity_check(PKCS12 *p12, const struct deploy_pkcs12 *in,
               const char *path, struct estel_err *err)
{
    EVP_PKEY *key = NULL;
    X509 *cert = NULL;
    STACK_OF(X509) *ca = NULL;
    enum estel_rc rc = ESTEL_OK;
    const char *why;
    unsigned long e;

    if (parse(p12, in->password, &key, &cert, &ca) != 1) {
        e = ERR_peek_last_error();
        why = e != 0 ? ERR_reason_error_string(e) : NULL;
        rc = estel_fail(err, ESTEL_E_CONFIG, "--pkcs12 %s: cannot decrypt "
                        "it with the given password (%s); export it again, "
                        "e.g. openssl pkcs12 -export -certpbe "
                        "PBE-SHA1-3DES -keypbe PBE-SHA1-3DES -macalg sha1",
                        path, why != NULL ? why : "unknown reason");
    } else if (key == NULL) {
        rc = estel_fail(err, ESTEL_E_CONFIG, "--pkcs12 %s: holds no private "
                        "key; export the identity (key and certificate), "
                        "not only the certificate", path);
    } else if (cert == NULL) {
        rc = estel_fail(err, ESTEL_E_CONFIG, "--pkcs12 %s: holds no "
                        "certificate for its private key; export the "
                        "identity with its certificate", path);
    } else if (X509_check_private_key(cert, key) != 1) {
        rc = estel_fail(err, ESTEL_E_CONFIG, "--pkcs12 %s: its private key "
                        "does not match its certificate; export the right "
                        "pair", path);
    } else if (X509_cmp_current_time(X509_get0_notAfter(cert)) < 0) {
        rc = estel_fail(err, ESTEL_E_CONFIG, "--pkcs12 %s: its certificate "
                        "has expired; issue a new client certificate", path);
    }
    EVP_PKEY_free(key);
    X509_free(cert);
    sk_X509_pop_free(ca, X509_free);
    return rc;
}

enum estel_rc
deploy_pkcs12_load(struct deploy_pkcs12 *out, const char *path,
                   const char *pw_path, struct estel_err *err)
{
    const unsigned char *p;
    PKCS12 *p12 = NULL;
    enum estel_rc rc;

    memset(out, 0, sizeof(*out));
    rc = deploy_read_file("--pkcs12", path, DEPLOY_PKCS12_MAX_BYTES,
                          &out->der, &out->der_len, err);
    if (rc != ESTEL_OK)
        return rc;
    rc = password_load(out, pw_path, err);
    if (rc != ESTEL_OK)
        return rc;
    p = (const unsigned char *)out->der;
    p12 = d2i_PKCS12(NULL, &p, (long)out->der_len);
    if (p12 == NULL || p != (const unsigned char *)out->der + out->der_len) {
        rc = estel_fail(err, ESTEL_E_CONFIG, "--pkcs12 %s: not a PKCS#12 "
                        "(.p12, DER) file; export the client identity with "
                        "openssl pkcs12 -export or Keychain Access", path);
    } else if (!mac_ok(p12, out->password, strlen(out->password))) {
        rc = estel_fail(err, ESTEL_E_CONFIG, "--pkcs12 %s: the password in "
                        "--pkcs12-password-file %s does not open it (MAC "
                        "check failed); put the right password on the "
                        "file's first line", path, pw_path);
    } else {
        rc = identity_check(p12, out, path, err);
    }
    PKCS12_free(p12);
    ERR_clear_error();          /* nothing of this may leak into later
                                   OpenSSL error reports */
    return rc;
}
