/*
 * deploy_int.h - private to deploy/: file reading with a ceiling and the
 * PKCS#12 check shared by profile.c, deploy_util.c and pkcs12.c.
 */
#ifndef ESTEL_DEPLOY_INT_H
#define ESTEL_DEPLOY_INT_H

#include <stddef.h>
#include "deploy/deploy.h"

/*
 * Read the regular file at path (at most max bytes) into *out, which is
 * NUL-terminated after *len; caller frees with deploy_wipe_free.  Problems
 * fail with ESTEL_E_USAGE and a message that starts with "flag path: ",
 * since every file the generator reads is a command-line parameter.
 */
enum estel_rc deploy_read_file(const char *flag, const char *path,
                               size_t max, char **out, size_t *len,
                               struct estel_err *err);
/* Overwrite len bytes (secrets) and free p; NULL-safe. */
void deploy_wipe_free(void *p, size_t len);

/* A client identity checked against its password. */
struct deploy_pkcs12 {
    char *der;                  /* the file as read (DER PKCS#12) */
    size_t der_len;
    char *password;             /* first line of the password file */
    size_t password_len;
};

/*
 * Read the PKCS#12 at path and the password file, and prove that the
 * password opens it and that it holds one private key with its matching,
 * unexpired certificate (OpenSSL PKCS12_parse), so that a profile never
 * carries an identity macOS would refuse to import.  Fails with
 * ESTEL_E_USAGE (unreadable file) or ESTEL_E_CONFIG (bad content, wrong
 * password); messages never contain the password.  Free *out with
 * deploy_pkcs12_free even after a failure.
 */
enum estel_rc deploy_pkcs12_load(struct deploy_pkcs12 *out,
                                 const char *path, const char *pw_path,
                                 struct estel_err *err);
void deploy_pkcs12_free(struct deploy_pkcs12 *p12);

#endif
