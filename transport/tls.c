/*
 * tls.c - the client identity (ClientCertificate + ClientKey) and the
 * server CA bundle, read into memory and checked before use.
 *
 * Why memory and not paths: curl re-reads path options whenever it opens
 * a connection, so a certificate manager that replaces the certificate
 * and then the key would, in between, hand curl a mismatched pair.  We
 * read both, check that they belong together, and give curl the checked
 * bytes (CURLOPT_SSLCERT_BLOB/SSLKEY_BLOB/CAINFO_BLOB).  Rotation: the
 * uploader stats the files (tls_material_changed), loads the new ones,
 * and only when they pass rebuilds its curl handles, so the next
 * connection (and no resumed TLS session) uses the new identity.
 *
 * The key is never logged, and its buffer is wiped before it is freed.
 */
#include "transport/transport_int.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "config/config.h"

void
tls_material_init(struct tls_material *m)
{
    memset(m, 0, sizeof(*m));
    buf_init(&m->cert, TLS_MATERIAL_MAX);
    buf_init(&m->key, TLS_MATERIAL_MAX);
    buf_init(&m->ca, TLS_MATERIAL_MAX);
}

static void
wipe_free(struct estel_buf *b)
{
    if (b->data != NULL)
        OPENSSL_cleanse(b->data, b->cap);
    buf_free(b);
}

void
tls_material_free(struct tls_material *m)
{
    buf_free(&m->cert);
    wipe_free(&m->key);
    buf_free(&m->ca);
}

void
tls_file_sig(const char *path, struct file_sig *sig)
{
    struct stat st;

    memset(sig, 0, sizeof(*sig));
    if (path == NULL || stat(path, &st) != 0)
        return;
    sig->present = true;
    sig->dev = st.st_dev;
    sig->ino = st.st_ino;
    sig->size = st.st_size;
    sig->mtime_ns = (int64_t)st.st_mtim.tv_sec * NS_PER_S +
                    st.st_mtim.tv_nsec;
    sig->ctime_ns = (int64_t)st.st_ctim.tv_sec * NS_PER_S +
                    st.st_ctim.tv_nsec;
}

static bool
sig_equal(const struct file_sig *a, const struct file_sig *b)
{
    return a->present == b->present && a->dev == b->dev &&
           a->ino == b->ino && a->size == b->size &&
           a->mtime_ns == b->mtime_ns && a->ctime_ns == b->ctime_ns;
}

bool
tls_material_changed(const struct tls_material *m, const char *cert,
                     const char *key, const char *ca)
{
    struct file_sig s;

    tls_file_sig(cert, &s);
    if (cert != NULL && !sig_equal(&s, &m->cert_sig))
        return true;
    tls_file_sig(key, &s);
    if (key != NULL && !sig_equal(&s, &m->key_sig))
        return true;
    tls_file_sig(ca, &s);
    return ca != NULL && !sig_equal(&s, &m->ca_sig);
}

enum estel_rc
tls_check_key_mode(const char *path, mode_t mode, struct estel_err *err)
{
    if ((mode & 077) == 0)
        return ESTEL_OK;
    return estel_fail(err, ESTEL_E_CONFIG, "ClientKey %s: mode %04o lets "
                      "others read it; run chmod 600 %s", path,
                      (unsigned)(mode & 07777), path);
}

/* Read a whole small regular file (following symlinks: certificate
 * managers link "live" names to versions) into b; sig describes what was
 * read (fstat of the open file, so a rename in between cannot fool us). */
static enum estel_rc
read_file(const char *key, const char *path, struct estel_buf *b,
          struct file_sig *sig, bool secret, struct estel_err *err)
{
    struct stat st;
    ssize_t n;
    int fd;

    if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
        return estel_fail_errno(err, ESTEL_E_CONFIG, "%s %s: cannot read "
                                "it", key, path);
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return estel_fail(err, ESTEL_E_CONFIG, "%s %s: not a regular file; "
                          "give the path of a PEM file", key, path);
    }
    if (secret && tls_check_key_mode(path, st.st_mode, err) != ESTEL_OK) {
        close(fd);
        return ESTEL_E_CONFIG;
    }
    if (st.st_size <= 0 || st.st_size > TLS_MATERIAL_MAX) {
        close(fd);
        return estel_fail(err, ESTEL_E_CONFIG, "%s %s: %lld bytes; a PEM "
                          "file of 1..%d bytes is expected", key, path,
                          (long long)st.st_size, TLS_MATERIAL_MAX);
    }
    buf_clear(b);
    if (buf_reserve(b, (size_t)st.st_size) != ESTEL_OK) {
        close(fd);
        return estel_fail(err, ESTEL_E_NOMEM, "%s %s: out of memory", key,
                          path);
    }
    while (b->len < (size_t)st.st_size) {
        n = read(fd, b->data + b->len, (size_t)st.st_size - b->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            estel_fail_errno(err, ESTEL_E_CONFIG, "%s %s: read failed", key,
                             path);
            close(fd);
            return ESTEL_E_CONFIG;
        }
        b->len += (size_t)n;
    }
    close(fd);
    b->data[b->len] = '\0';
    memset(sig, 0, sizeof(*sig));
    sig->present = true;
    sig->dev = st.st_dev;
    sig->ino = st.st_ino;
    sig->size = st.st_size;
    sig->mtime_ns = (int64_t)st.st_mtim.tv_sec * NS_PER_S +
                    st.st_mtim.tv_nsec;
    sig->ctime_ns = (int64_t)st.st_ctim.tv_sec * NS_PER_S +
                    st.st_ctim.tv_nsec;
    return ESTEL_OK;
}

/* Refuse to prompt on a terminal for an encrypted key's passphrase. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return 0;
}

static int64_t
asn1_time_ns(const ASN1_TIME *t)
{
    struct tm tm;

    if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
        return 0;
    return (resp_days_from_civil(tm.tm_year + 1900, (unsigned)tm.tm_mon + 1,
                                 (unsigned)tm.tm_mday) * 86400 +
            tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec) * NS_PER_S;
}

static void
describe_cert(struct tls_material *m, X509 *x)
{
    const ASN1_INTEGER *sn = X509_get0_serialNumber(x);
    BIGNUM *bn = sn != NULL ? ASN1_INTEGER_to_BN(sn, NULL) : NULL;
    char *hex = bn != NULL ? BN_bn2hex(bn) : NULL;

    m->not_after_ns = asn1_time_ns(X509_get0_notAfter(x));
    m->not_before_ns = asn1_time_ns(X509_get0_notBefore(x));
    m->cn[0] = '\0';
    if (X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName,
                                  m->cn, (int)sizeof(m->cn)) < 0)
        m->cn[0] = '\0';
    snprintf(m->serial, sizeof(m->serial), "%s", hex != NULL ? hex : "?");
    OPENSSL_free(hex);
    BN_free(bn);
}

static enum estel_rc
check_pair(struct tls_material *m, const char *cert, const char *key,
           struct estel_err *err)
{
    BIO *bio;
    X509 *x = NULL;
    EVP_PKEY *pk = NULL;
    enum estel_rc rc = ESTEL_OK;

    bio = BIO_new_mem_buf(m->cert.data, (int)m->cert.len);
    if (bio != NULL)
        x = PEM_read_bio_X509(bio, NULL, no_passphrase, NULL);
    BIO_free(bio);
    if (x == NULL) {
        rc = estel_fail(err, ESTEL_E_CONFIG, "ClientCertificate %s: no PEM "
                        "certificate in it (\"-----BEGIN CERTIFICATE-----\""
                        "); convert DER with openssl x509 -inform der",
                        cert);
        goto out;
    }
    describe_cert(m, x);
    bio = BIO_new_mem_buf(m->key.data, (int)m->key.len);
    if (bio != NULL)
        pk = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
    BIO_free(bio);
    if (pk == NULL) {
        rc = estel_fail(err, ESTEL_E_CONFIG, "ClientKey %s: not an "
                        "unencrypted PEM private key; estel has no "
                        "passphrase, so decrypt it (openssl pkey -in KEY "
                        "-out NEW) and keep it mode 0600", key);
        goto out;
    }
    if (X509_check_private_key(x, pk) != 1) {
        rc = estel_fail(err, ESTEL_E_CONFIG, "ClientKey %s does not belong "
                        "to ClientCertificate %s; install the key the "
                        "certificate was issued for", key, cert);
        goto out;
    }
out:
    ERR_clear_error();      /* OpenSSL's queue is per thread: leave it clean */
    EVP_PKEY_free(pk);
    X509_free(x);
    return rc;
}

static enum estel_rc
check_ca(const struct estel_buf *ca, const char *path, struct estel_err *err)
{
    BIO *bio = BIO_new_mem_buf(ca->data, (int)ca->len);
    X509 *x = bio != NULL ? PEM_read_bio_X509(bio, NULL, no_passphrase,
                                              NULL) : NULL;

    BIO_free(bio);
    ERR_clear_error();
    if (x == NULL)
        return estel_fail(err, ESTEL_E_CONFIG, "ServerCA %s: no PEM "
                          "certificate in it; give the CA bundle that "
                          "signed the server's certificate", path);
    X509_free(x);
    return ESTEL_OK;
}

enum estel_rc
tls_material_load(struct tls_material *m, const char *cert, const char *key,
                  const char *ca, struct estel_err *err)
{
    struct tls_material n;
    enum estel_rc rc = ESTEL_OK;

    tls_material_init(&n);
    if (cert == NULL && key != NULL) {
        rc = estel_fail(err, ESTEL_E_CONFIG, "ClientKey %s is set but "
                        "ClientCertificate is not; set both", key);
        goto fail;
    }
    if (cert != NULL && key == NULL) {
        /* one PEM file holding certificate and key: a secret, like a key */
        if ((rc = read_file("ClientCertificate", cert, &n.cert, &n.cert_sig,
                            false, err)) != ESTEL_OK)
            goto fail;
        if (strstr(n.cert.data, "PRIVATE KEY-----") == NULL) {
            rc = estel_fail(err, ESTEL_E_CONFIG, "ClientCertificate %s "
                            "holds no private key and ClientKey is not "
                            "set; set ClientKey", cert);
            goto fail;
        }
        if ((rc = read_file("ClientKey", cert, &n.key, &n.key_sig, true,
                            err)) != ESTEL_OK ||
            (rc = check_pair(&n, cert, cert, err)) != ESTEL_OK)
            goto fail;
        n.has_client = true;
    } else if (cert != NULL) {
        /* the key first: its mode is the check people most need to see */
        if ((rc = read_file("ClientKey", key, &n.key, &n.key_sig, true, err))
            != ESTEL_OK ||
            (rc = read_file("ClientCertificate", cert, &n.cert, &n.cert_sig,
                            false, err)) != ESTEL_OK ||
            (rc = check_pair(&n, cert, key, err)) != ESTEL_OK)
            goto fail;
        n.has_client = true;
    }
    if (ca != NULL &&
        ((rc = read_file("ServerCA", ca, &n.ca, &n.ca_sig, false, err))
         != ESTEL_OK || (rc = check_ca(&n.ca, ca, err)) != ESTEL_OK))
        goto fail;
    tls_material_free(m);
    *m = n;
    return ESTEL_OK;
fail:
    tls_material_free(&n);
    return rc;
}
