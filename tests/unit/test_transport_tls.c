/*
 * test_transport_tls.c - client identity checks: every refusal has its
 * message (naming the key, the path and the fix), expiry and CN are read,
 * and a change on disk is noticed.  Certificates are made with OpenSSL's
 * API in a private mkdtemp directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "transport/transport_int.h"

struct fx {
    char dir[64];
    char cert[128], key[128], other_key[128], ca[128], junk[128];
};

static EVP_PKEY *
make_key(void)
{
    return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

static void
write_cert(const char *path, EVP_PKEY *k, const char *cn, long from_s,
           long to_s)
{
    X509 *x = X509_new();
    X509_NAME *n = X509_get_subject_name(x);
    FILE *f;

    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 0x1234);
    X509_gmtime_adj(X509_getm_notBefore(x), from_s);
    X509_gmtime_adj(X509_getm_notAfter(x), to_s);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
                               (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, n);
    X509_set_pubkey(x, k);
    assert_true(X509_sign(x, k, EVP_sha256()) > 0);
    assert_non_null(f = fopen(path, "w"));
    PEM_write_X509(f, x);
    fclose(f);
    X509_free(x);
}

static void
write_key(const char *path, EVP_PKEY *k, bool encrypted)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    if (encrypted)
        PEM_write_PrivateKey(f, k, EVP_aes_128_cbc(),
                             (unsigned char *)"secret", 6, NULL, NULL);
    else
        PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
    fclose(f);
    chmod(path, 0600);
}

static int
setup(void **state)
{
    struct fx *fx = calloc(1, sizeof(*fx));
    EVP_PKEY *k = make_key(), *k2 = make_key();
    FILE *f;

    snprintf(fx->dir, sizeof(fx->dir), "/tmp/estel-tls-XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    snprintf(fx->cert, sizeof(fx->cert), "%s/client.pem", fx->dir);
    snprintf(fx->key, sizeof(fx->key), "%s/client.key", fx->dir);
    snprintf(fx->other_key, sizeof(fx->other_key), "%s/other.key", fx->dir);
    snprintf(fx->ca, sizeof(fx->ca), "%s/ca.pem", fx->dir);
    snprintf(fx->junk, sizeof(fx->junk), "%s/junk.pem", fx->dir);
    write_cert(fx->cert, k, "host-0001", -3600, 30L * 86400);
    write_key(fx->key, k, false);
    write_key(fx->other_key, k2, false);
    write_cert(fx->ca, k2, "test CA", -3600, 365L * 86400);
    assert_non_null(f = fopen(fx->junk, "w"));
    fputs("not a certificate\n", f);
    fclose(f);
    EVP_PKEY_free(k);
    EVP_PKEY_free(k2);
    *state = fx;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *fx = *state;
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
    assert_int_equal(system(cmd), 0);
    free(fx);
    return 0;
}

static enum estel_rc
load(const char *cert, const char *key, const char *ca, struct estel_err *e,
     struct tls_material *m)
{
    estel_err_clear(e);
    return tls_material_load(m, cert, key, ca, e);
}

static void
test_transport_tls_loads_good_material(void **state)
{
    struct fx *fx = *state;
    struct tls_material m;
    struct estel_err e;
    int64_t now = estel_now_realtime_ns();

    tls_material_init(&m);
    assert_int_equal(load(fx->cert, fx->key, fx->ca, &e, &m), ESTEL_OK);
    assert_true(m.has_client);
    assert_string_equal(m.cn, "host-0001");
    assert_string_equal(m.serial, "1234");
    assert_true(m.not_after_ns > now + 29 * 86400 * NS_PER_S);
    assert_true(m.not_after_ns < now + 31 * 86400 * NS_PER_S);
    assert_true(m.ca.len > 0);
    assert_false(tls_material_changed(&m, fx->cert, fx->key, fx->ca));
    tls_material_free(&m);
}

static void
test_transport_tls_refuses_key_readable_by_others(void **state)
{
    struct fx *fx = *state;
    struct tls_material m;
    struct estel_err e;
    char want[512];

    tls_material_init(&m);
    chmod(fx->key, 0644);
    assert_int_equal(load(fx->cert, fx->key, NULL, &e, &m), ESTEL_E_CONFIG);
    snprintf(want, sizeof(want), "ClientKey %s: mode 0644 lets others read "
             "it; run chmod 600 %s", fx->key, fx->key);
    assert_string_equal(e.msg, want);
    chmod(fx->key, 0640);
    assert_int_equal(load(fx->cert, fx->key, NULL, &e, &m), ESTEL_E_CONFIG);
    assert_non_null(strstr(e.msg, "mode 0640"));
    chmod(fx->key, 0600);
    assert_false(m.has_client);         /* untouched on failure */
    tls_material_free(&m);
}

static void
test_transport_tls_names_each_problem(void **state)
{
    struct fx *fx = *state;
    struct tls_material m;
    struct estel_err e;
    char missing[160], enc[512];
    EVP_PKEY *k = make_key();

    tls_material_init(&m);
    snprintf(missing, sizeof(missing), "%s/nope.key", fx->dir);
    assert_int_equal(load(fx->cert, missing, NULL, &e, &m), ESTEL_E_CONFIG);
    assert_non_null(strstr(e.msg, "ClientKey"));
    assert_non_null(strstr(e.msg, missing));
    assert_non_null(strstr(e.msg, "No such file"));

    assert_int_equal(load(fx->cert, fx->dir, NULL, &e, &m), ESTEL_E_CONFIG);
    assert_non_null(strstr(e.msg, "not a regular file"));

    assert_int_equal(load(fx->cert, fx->other_key, NULL, &e, &m),
                     ESTEL_E_CONFIG);
    assert_non_null(strstr(e.msg, "does not belong to ClientCertificate"));

    assert_int_equal(load(fx->junk, fx->key, NULL, &e, &m), ESTEL_E_CONFIG);
    assert_non_null(strstr(e.msg, "ClientCertificate"));
    assert_non_null(strstr(e.msg, "no PEM certificate"));

    snprintf(enc, sizeof(enc), "%s/enc.key", fx->dir);
    write_key(enc, k, true);
    assert_int_equal(load(fx->cert, enc, NULL, &e, &m), ESTEL_E_CONFIG);
    assert_non_null(strstr(e.msg, "not an unencrypted PEM private key"));

    assert_int_equal(load(fx->cert, fx->key, fx->junk, &e, &m),
                     ESTEL_E_CONFIG);
    assert_non_null(strstr(e.msg, "ServerCA"));

    assert_int_equal(load(fx->cert, NULL, NULL, &e, &m), ESTEL_E_CONFIG);
    assert_non_null(strstr(e.msg, "holds no private key"));
    assert_int_equal(load(NULL, fx->key, NULL, &e, &m), ESTEL_E_CONFIG);
    assert_non_null(strstr(e.msg, "set both"));

    /* one file with certificate and key: allowed, checked like a key */
    snprintf(enc, sizeof(enc), "cat '%s' '%s' > '%s/both.pem'", fx->cert,
             fx->key, fx->dir);
    assert_int_equal(system(enc), 0);
    snprintf(enc, sizeof(enc), "%s/both.pem", fx->dir);
    chmod(enc, 0644);
    assert_int_equal(load(enc, NULL, NULL, &e, &m), ESTEL_E_CONFIG);
    assert_non_null(strstr(e.msg, "lets others read it"));
    chmod(enc, 0600);
    assert_int_equal(load(enc, NULL, NULL, &e, &m), ESTEL_OK);
    assert_true(m.has_client);
    /* no client identity at all is allowed (server without mTLS) */
    assert_int_equal(load(NULL, NULL, fx->ca, &e, &m), ESTEL_OK);
    assert_false(m.has_client);
    EVP_PKEY_free(k);
    tls_material_free(&m);
}

static void
test_transport_tls_notices_rotation(void **state)
{
    struct fx *fx = *state;
    struct tls_material m;
    struct estel_err e;
    EVP_PKEY *k = make_key();
    char tmp[160];

    tls_material_init(&m);
    assert_int_equal(load(fx->cert, fx->key, NULL, &e, &m), ESTEL_OK);
    assert_false(tls_material_changed(&m, fx->cert, fx->key, NULL));
    /* the usual rotation: new files renamed over the old names */
    snprintf(tmp, sizeof(tmp), "%s/new.pem", fx->dir);
    write_cert(tmp, k, "host-0001", -60, 90L * 86400);
    assert_int_equal(rename(tmp, fx->cert), 0);
    assert_true(tls_material_changed(&m, fx->cert, fx->key, NULL));
    /* half way (certificate new, key old): refused, m kept */
    assert_int_equal(load(fx->cert, fx->key, NULL, &e, &m), ESTEL_E_CONFIG);
    assert_non_null(strstr(e.msg, "does not belong"));
    assert_string_equal(m.cn, "host-0001");
    write_key(fx->key, k, false);
    assert_int_equal(load(fx->cert, fx->key, NULL, &e, &m), ESTEL_OK);
    assert_true(m.not_after_ns > estel_now_realtime_ns() +
                             89 * 86400 * NS_PER_S);
    assert_false(tls_material_changed(&m, fx->cert, fx->key, NULL));
    EVP_PKEY_free(k);
    tls_material_free(&m);
}

static void
test_transport_tls_reads_expired_certificate(void **state)
{
    struct fx *fx = *state;
    struct tls_material m;
    struct estel_err e;
    EVP_PKEY *k = make_key();
    char cert[160], key[160];

    tls_material_init(&m);
    snprintf(cert, sizeof(cert), "%s/old.pem", fx->dir);
    snprintf(key, sizeof(key), "%s/old.key", fx->dir);
    write_cert(cert, k, "host-0002", -10L * 86400, -86400);
    write_key(key, k, false);
    /* loads (the agent keeps spooling and waits for a renewal) and the
     * expiry is in the past for the uploader to report */
    assert_int_equal(load(cert, key, NULL, &e, &m), ESTEL_OK);
    assert_true(m.not_after_ns < estel_now_realtime_ns());
    EVP_PKEY_free(k);
    tls_material_free(&m);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transport_tls_loads_good_material),
        cmocka_unit_test(test_transport_tls_refuses_key_readable_by_others),
        cmocka_unit_test(test_transport_tls_names_each_problem),
        cmocka_unit_test(test_transport_tls_notices_rotation),
        cmocka_unit_test(test_transport_tls_reads_expired_certificate),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
