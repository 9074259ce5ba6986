/*
 * deploy_util.c - the small pieces of the profile generator: parameter
 * predicates, the default code requirement, RFC 4122 UUIDs (v5 so that a
 * re-deployed profile replaces the old one instead of piling up next to
 * it, v4 otherwise), bounded file reading and the atomic file write.
 */
#include "deploy/deploy_int.h"
#include "common/io.h"
#include "common/platform.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

bool
deploy_team_id_valid(const char *s)
{
    size_t i;

    if (s == NULL)
        return false;
    for (i = 0; s[i] != '\0'; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
            return false;
    return i == DEPLOY_TEAM_ID_LEN;
}

bool
deploy_bundle_id_valid(const char *s)
{
    size_t i, label = 0, dots = 0;

    if (s == NULL || s[0] == '\0' || strlen(s) > DEPLOY_ID_MAX)
        return false;
    for (i = 0; s[i] != '\0'; i++) {
        char c = s[i];

        if (c == '.') {
            if (label == 0)
                return false;   /* leading or doubled dot */
            label = 0;
            dots++;
            continue;
        }
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-'))
            return false;
        label++;
    }
    return label > 0 && dots > 0;
}

enum estel_rc
deploy_code_requirement(char *buf, size_t size, const char *sysex_id,
                        const char *team_id, struct estel_err *err)
{
    int n;

    /*
     * Apple's Developer ID designated requirement: the identifier, a
     * chain to Apple, the Developer ID intermediate (6.2.6) and leaf
     * (6.1.13) marker extensions, and the team in the leaf's OU.  It stays
     * valid across certificate renewals, unlike a certificate hash.
     */
    n = snprintf(buf, size,
                 "identifier \"%s\" and anchor apple generic and "
                 "certificate 1[field.1.2.840.113635.100.6.2.6] "
                 "/* exists */ and "
                 "certificate leaf[field.1.2.840.113635.100.6.1.13] "
                 "/* exists */ and certificate leaf[subject.OU] = \"%s\"",
                 sysex_id, team_id);
    if (n < 0 || (size_t)n >= size)
        return estel_fail(err, ESTEL_E_USAGE, "code requirement for %s is "
                          "longer than %zu bytes; use a shorter bundle id",
                          sysex_id, size - 1);
    return ESTEL_OK;
}

static int
hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool
uuid_parse(const char *s, unsigned char out[16])
{
    size_t i, n = 0;

    if (strlen(s) != DEPLOY_UUID_LEN)
        return false;
    for (i = 0; i < DEPLOY_UUID_LEN; i++) {
        int hi, lo;

        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return false;
            continue;
        }
        hi = hexval(s[i]);
        lo = hexval(s[i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[n++] = (unsigned char)(hi << 4 | lo);
        i++;
    }
    return n == 16;
}

static void
uuid_format(char *out, const unsigned char u[16])
{
    static const char hex[] = "0123456789ABCDEF";
    size_t i, o = 0;

    for (i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[u[i] >> 4];
        out[o++] = hex[u[i] & 15];
    }
    out[o] = '\0';
}

enum estel_rc
deploy_uuid_v5(char *out, const char *ns, const char *name,
               struct estel_err *err)
{
    unsigned char nsb[16], md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_MD_CTX *ctx;
    int ok;

    if (!uuid_parse(ns, nsb))
        return estel_fail(err, ESTEL_E_USAGE, "UUID namespace \"%s\" is "
                          "not a UUID", ns);
    ctx = EVP_MD_CTX_new();
    if (ctx == NULL)
        return estel_fail(err, ESTEL_E_NOMEM, "out of memory for SHA-1");
    ok = EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) == 1 &&
         EVP_DigestUpdate(ctx, nsb, sizeof(nsb)) == 1 &&
         EVP_DigestUpdate(ctx, name, strlen(name)) == 1 &&
         EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen >= 16;
    EVP_MD_CTX_free(ctx);
    if (!ok)
        return estel_fail(err, ESTEL_E_TLS, "OpenSSL SHA-1 failed while "
                          "deriving a payload UUID");
    md[6] = (unsigned char)((md[6] & 0x0f) | 0x50);   /* version 5 */
    md[8] = (unsigned char)((md[8] & 0x3f) | 0x80);   /* RFC 4122 variant */
    uuid_format(out, md);
    return ESTEL_OK;
}

enum estel_rc
deploy_uuid_v4(char *out, struct estel_err *err)
{
    unsigned char u[16];

    if (RAND_bytes(u, sizeof(u)) != 1)
        return estel_fail(err, ESTEL_E_TLS, "OpenSSL RAND_bytes failed "
                          "while making a payload UUID");
    u[6] = (unsigned char)((u[6] & 0x0f) | 0x40);     /* version 4 */
    u[8] = (unsigned char)((u[8] & 0x3f) | 0x80);
    uuid_format(out, u);
    return ESTEL_OK;
}

void
deploy_wipe_free(void *p, size_t len)
{
    if (p == NULL)
        return;
    OPENSSL_cleanse(p, len);
    free(p);
}

enum estel_rc
deploy_read_file(const char *flag, const char *path, size_t max, char **out,
                 size_t *len, struct estel_err *err)
{
    struct stat st;
    char *data = NULL;
    size_t got = 0;
    enum estel_rc rc;
    int fd;

    memset(&st, 0, sizeof(st));
    *out = NULL;
    *len = 0;
    /* O_NONBLOCK: a FIFO given by mistake is refused below, not waited on */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return estel_fail_errno(err, ESTEL_E_USAGE, "%s %s: cannot open "
                                "it", flag, path);
    if (fstat(fd, &st) != 0) {
        rc = estel_fail_errno(err, ESTEL_E_USAGE, "%s %s: cannot stat it",
                              flag, path);
        goto fail;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = estel_fail(err, ESTEL_E_USAGE, "%s %s: not a regular file; "
                        "give the path of a file", flag, path);
        goto fail;
    }
    if (st.st_size < 0 || (uint64_t)st.st_size > max) {
        rc = estel_fail(err, ESTEL_E_USAGE, "%s %s: %lld bytes is larger "
                        "than the %zu allowed; is it the right file?", flag,
                        path, (long long)st.st_size, max);
        goto fail;
    }
    data = malloc((size_t)st.st_size + 1);
    if (data == NULL) {
        rc = estel_fail(err, ESTEL_E_NOMEM, "%s %s: out of memory", flag,
                        path);
        goto fail;
    }
    /* read up to the size seen by fstat; a file that grows meanwhile is
     * cut there, which the parsers then refuse */
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, data + got, (size_t)st.st_size - got);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = estel_fail_errno(err, ESTEL_E_USAGE, "%s %s: cannot read "
                                  "it", flag, path);
            goto fail;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    (void)close(fd);            /* read-only: nothing to lose on close */
    data[got] = '\0';
    *out = data;
    *len = got;
    return ESTEL_OK;
fail:
    deploy_wipe_free(data, data != NULL ? (size_t)st.st_size + 1 : 0);
    (void)close(fd);
    return rc;
}

/* Split path into its directory (".": none) and whether it names a dir. */
static enum estel_rc
split_dir(const char *path, char *dir, size_t size, struct estel_err *err)
{
    const char *slash = strrchr(path, '/');
    size_t n;

    if (path[0] == '\0' || (slash != NULL && slash[1] == '\0'))
        return estel_fail(err, ESTEL_E_USAGE, "-o \"%s\": not a file name; "
                          "give a path like estel.mobileconfig", path);
    if (slash == NULL) {
        dir[0] = '.';
        dir[1] = '\0';
        return ESTEL_OK;
    }
    n = slash == path ? 1 : (size_t)(slash - path);
    if (n >= size)
        return estel_fail(err, ESTEL_E_USAGE, "-o %s: path too long", path);
    memcpy(dir, path, n);
    dir[n] = '\0';
    return ESTEL_OK;
}

static enum estel_rc
write_all(int fd, const char *tmp, const void *data, size_t len,
          struct estel_err *err)
{
    if (estel_write_all(fd, data, len) != 0)
        return estel_fail_errno(err, estel_rc_from_errno(errno),
                                "%s: write failed", tmp);
    return ESTEL_OK;
}

enum estel_rc
deploy_write_atomic(const char *path, const void *data, size_t len,
                    mode_t mode, struct estel_err *err)
{
    char dir[4096], tmp[4096 + 32];
    enum estel_rc rc;
    int fd = -1, dfd = -1, n;

    rc = split_dir(path, dir, sizeof(dir), err);
    if (rc != ESTEL_OK)
        return rc;
    n = snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path);
    if (n < 0 || (size_t)n >= sizeof(tmp))
        return estel_fail(err, ESTEL_E_USAGE, "-o %s: path too long", path);
    /* mkstemp creates with O_EXCL and mode 0600: a secret never sits in a
     * file others can read, not even for a moment */
    fd = mkstemp(tmp);
    if (fd < 0) {
        /* a missing or read-only directory is a bad -o, not a fault */
        bool usage = errno == ENOENT || errno == ENOTDIR ||
                     errno == EACCES || errno == EROFS;

        return estel_fail_errno(err, usage ? ESTEL_E_USAGE :
                                estel_rc_from_errno(errno), "-o %s: cannot "
                                "create a temporary file next to it", path);
    }
    rc = write_all(fd, tmp, data, len, err);
    if (rc == ESTEL_OK && fchmod(fd, mode) != 0)
        rc = estel_fail_errno(err, ESTEL_E_IO, "%s: chmod failed", tmp);
    if (rc == ESTEL_OK && estel_fsync_file(fd, true) != 0)
        rc = estel_fail_errno(err, estel_rc_from_errno(errno), "%s: fsync "
                              "failed", tmp);
    if (close(fd) != 0 && rc == ESTEL_OK)
        rc = estel_fail_errno(err, ESTEL_E_IO, "%s: close failed", tmp);
    /* rename is atomic: readers see the old file or the whole new one */
    if (rc == ESTEL_OK && rename(tmp, path) != 0)
        rc = estel_fail_errno(err, estel_rc_from_errno(errno), "cannot "
                              "rename %s to %s", tmp, path);
    if (rc != ESTEL_OK) {
        (void)unlink(tmp);      /* best effort: the error is reported */
        return rc;
    }
    /* fsync the directory too: until its entry is durable, a power cut
     * can lose the renamed file */
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || estel_fsync_dir(dfd) != 0)
        rc = estel_fail_errno(err, estel_rc_from_errno(errno), "%s: cannot "
                              "sync the directory after writing %s", dir,
                              path);
    if (dfd >= 0)
        (void)close(dfd);       /* read-only descriptor */
    return rc;
}
