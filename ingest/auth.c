/*
 * auth.c - who is sending: the host id is the subject CN of a client
 * certificate that was verified against the agents' CA.
 *
 * Two modes.  Behind nginx (the default), nginx terminates mutual TLS and
 * passes "X-SSL-Client-Verify: SUCCESS" and "X-SSL-Client-S-DN"; those
 * headers are believed only on connections from the configured front
 * (IngestTrustedFront; default: loopback) or over the unix socket, whose
 * file mode decides who may connect.  Anyone else gets 401 whatever
 * headers they send.  Direct TLS (IngestTLSCertificate/Key/ClientCA):
 * libmicrohttpd's GnuTLS asks for a client certificate and we verify the
 * chain (and the clientAuth purpose) with gnutls_certificate_verify_peers
 * before reading the CN.
 */
#include "ingest/ingest_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define PEM_MAX (1u << 20)

struct auth {
    bool tls;
    char *cert_pem, *key_pem, *ca_pem;
    bool unix_listen;               /* every peer came through the socket */
    bool front_loopback;            /* no IngestTrustedFront: loopback */
    int front_family;
    unsigned char front_addr[16];
};

/* ---- distinguished names ------------------------------------------------ */

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

/* Unescape an RFC 4514 value [p, end) into out; false if malformed. */
static bool
unescape(const char *p, const char *end, char *out, size_t size)
{
    size_t n = 0;

    if (p < end && *p == '#')
        return false;               /* hex-encoded BER: not a host id */
    while (p < end) {
        char c = *p++;

        if (c == '\\') {
            int h, l;

            if (p >= end)
                return false;
            if ((h = hexval(p[0])) >= 0 && p + 1 < end &&
                (l = hexval(p[1])) >= 0) {
                c = (char)(h * 16 + l);
                p += 2;
            } else {
                c = *p++;
            }
        }
        if (n + 1 >= size || c == '\0')
            return false;
        out[n++] = c;
    }
    out[n] = '\0';
    return n > 0;
}

static bool
is_cn(const char *type, size_t n)
{
    return (n == 2 && strncasecmp(type, "CN", 2) == 0) ||
           (n == 7 && strncmp(type, "2.5.4.3", 7) == 0);
}

/* "/C=US/O=x/CN=host" (nginx's $ssl_client_s_dn_legacy) */
static bool
legacy_cn(const char *dn, char *cn, size_t size)
{
    const char *p = dn, *found = NULL, *found_end = NULL;

    while (*p == '/') {
        const char *t = ++p, *eq, *end;

        end = strchr(t, '/');
        if (end == NULL)
            end = t + strlen(t);
        eq = memchr(t, '=', (size_t)(end - t));
        if (eq != NULL && is_cn(t, (size_t)(eq - t))) {
            if (found != NULL)
                return false;       /* two CNs: ambiguous, refuse */
            found = eq + 1;
            found_end = end;
        }
        p = end;
    }
    if (found == NULL || (size_t)(found_end - found) >= size)
        return false;
    memcpy(cn, found, (size_t)(found_end - found));
    cn[found_end - found] = '\0';
    return found_end > found;
}

bool
ingest_dn_common_name(const char *dn, char *cn, size_t size)
{
    const char *p = dn, *found = NULL, *found_end = NULL;

    if (dn == NULL || size == 0)
        return false;
    if (dn[0] == '/')
        return legacy_cn(dn, cn, size);
    while (*p != '\0') {
        const char *t, *eq = NULL, *v;

        while (*p == ' ')
            p++;
        t = p;
        /* an attribute ends at an unescaped ',' or '+' */
        while (*p != '\0' && *p != ',' && *p != '+') {
            if (*p == '=' && eq == NULL)
                eq = p;
            if (*p == '\\' && p[1] != '\0')
                p++;
            p++;
        }
        if (eq == NULL)
            return false;
        v = eq + 1;
        if (is_cn(t, (size_t)(eq - t))) {
            if (found != NULL)
                return false;       /* two CNs: ambiguous, refuse */
            found = v;
            found_end = p;
        }
        if (*p != '\0')
            p++;
    }
    return found != NULL && unescape(found, found_end, cn, size);
}

/* ---- set-up -------------------------------------------------------------- */

static enum estel_rc
read_pem(const char *key, const char *path, char **out,
         struct estel_err *err)
{
    struct stat st;
    char *buf;
    ssize_t n;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return estel_fail_errno(err, ESTEL_E_CONFIG, "%s %s: cannot open",
                                key, path);
    if (fstat(fd, &st) != 0 || st.st_size <= 0 || st.st_size > PEM_MAX) {
        close(fd);
        return estel_fail(err, ESTEL_E_CONFIG, "%s %s: not a PEM file of "
                          "1 byte to 1 MiB", key, path);
    }
    if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
        close(fd);
        return estel_fail(err, ESTEL_E_NOMEM, "%s: out of memory", key);
    }
    n = read(fd, buf, (size_t)st.st_size);
    close(fd);
    if (n != st.st_size) {
        free(buf);
        return estel_fail_errno(err, ESTEL_E_CONFIG, "%s %s: short read",
                                key, path);
    }
    buf[n] = '\0';
    *out = buf;
    return ESTEL_OK;
}

static enum estel_rc
tls_setup(struct auth *a, const struct ingest_config *cfg,
          struct estel_err *err)
{
    enum estel_rc rc;

    if (cfg->tls_cert == NULL || cfg->tls_key == NULL ||
        cfg->tls_client_ca == NULL)
        return estel_fail(err, ESTEL_E_CONFIG, "IngestTLSCertificate, "
                          "IngestTLSKey and IngestTLSClientCA go together; "
                          "set all three for direct TLS, or none behind "
                          "nginx");
    if ((rc = read_pem("IngestTLSCertificate", cfg->tls_cert, &a->cert_pem,
                       err)) != ESTEL_OK ||
        (rc = read_pem("IngestTLSKey", cfg->tls_key, &a->key_pem, err)) !=
        ESTEL_OK ||
        (rc = read_pem("IngestTLSClientCA", cfg->tls_client_ca,
                       &a->ca_pem, err)) != ESTEL_OK)
        return rc;
    a->tls = true;
    return ESTEL_OK;
}

enum estel_rc
auth_create(struct auth **out, const struct ingest_config *cfg,
            struct estel_err *err)
{
    struct auth *a;
    enum estel_rc rc = ESTEL_OK;

    if ((a = calloc(1, sizeof(*a))) == NULL)
        return estel_fail(err, ESTEL_E_NOMEM, "ingest: out of memory");
    a->unix_listen = cfg->listen != NULL &&
                     strncmp(cfg->listen, "unix:", 5) == 0;
    if (cfg->tls_cert != NULL || cfg->tls_key != NULL ||
        cfg->tls_client_ca != NULL) {
        rc = tls_setup(a, cfg, err);
    } else if (cfg->trusted_front == NULL) {
        a->front_loopback = true;
    } else if (inet_pton(AF_INET, cfg->trusted_front, a->front_addr) == 1) {
        a->front_family = AF_INET;
    } else if (inet_pton(AF_INET6, cfg->trusted_front, a->front_addr) ==
               1) {
        a->front_family = AF_INET6;
    } else {
        rc = estel_fail(err, ESTEL_E_CONFIG, "IngestTrustedFront: \"%s\" is "
                        "not an IP address; give the address nginx "
                        "connects from, e.g. 127.0.0.1", cfg->trusted_front);
    }
    if (rc != ESTEL_OK) {
        auth_destroy(&a);
        return rc;
    }
    *out = a;
    return ESTEL_OK;
}

void
auth_destroy(struct auth **ap)
{
    struct auth *a;

    if (ap == NULL || (a = *ap) == NULL)
        return;
    free(a->cert_pem);
    if (a->key_pem != NULL) {
        /* key material: do not leave it in freed memory */
        memset(a->key_pem, 0, strlen(a->key_pem));
        free(a->key_pem);
    }
    free(a->ca_pem);
    free(a);
    *ap = NULL;
}

const char *
auth_tls_cert(const struct auth *a)
{
    return a->tls ? a->cert_pem : NULL;
}

const char *
auth_tls_key(const struct auth *a)
{
    return a->tls ? a->key_pem : NULL;
}

const char *
auth_tls_ca(const struct auth *a)
{
    return a->tls ? a->ca_pem : NULL;
}

/* ---- per request --------------------------------------------------------- */

static bool
peer_trusted(const struct auth *a, struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci != NULL ? ci->client_addr : NULL;

    if (a->unix_listen)
        return true;                /* the unix socket: its mode decides */
    if (sa == NULL)
        return false;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        const unsigned char *b = (const unsigned char *)&in->sin_addr;

        if (a->front_loopback)
            return b[0] == 127;
        return a->front_family == AF_INET &&
               memcmp(b, a->front_addr, 4) == 0;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

        if (a->front_loopback)
            return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
        return a->front_family == AF_INET6 &&
               memcmp(&in6->sin6_addr, a->front_addr, 16) == 0;
    }
    return false;
}

static bool
front_id(const struct auth *a, struct MHD_Connection *c, char *id,
         size_t size)
{
    const char *verify, *dn;

    if (!peer_trusted(a, c))
        return false;
    verify = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                         "X-SSL-Client-Verify");
    dn = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                     "X-SSL-Client-S-DN");
    if (verify == NULL || strcmp(verify, "SUCCESS") != 0 || dn == NULL)
        return false;
    return ingest_dn_common_name(dn, id, size);
}

static bool
tls_id(struct MHD_Connection *c, char *id, size_t size)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    gnutls_session_t s;
    gnutls_typed_vdata_st purpose = {
        GNUTLS_DT_KEY_PURPOSE_OID, (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT,
        0
    };
    const gnutls_datum_t *certs;
    gnutls_x509_crt_t crt;
    unsigned status = 0, n = 0;
    size_t len = size;
    bool ok;

    if (ci == NULL || (s = (gnutls_session_t)ci->tls_session) == NULL)
        return false;
    /* chain to IngestTLSClientCA, validity dates, clientAuth purpose */
    if (gnutls_certificate_verify_peers(s, &purpose, 1, &status) != 0 ||
        status != 0)
        return false;
    if ((certs = gnutls_certificate_get_peers(s, &n)) == NULL || n == 0)
        return false;
    if (gnutls_x509_crt_init(&crt) != 0)
        return false;
    ok = gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER) == 0 &&
         gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0,
                                       0, id, &len) == 0 &&
         len > 0 && len < size;
    /* a second CN would make the identity ambiguous */
    if (ok) {
        char other[8];
        size_t olen = sizeof(other);
        int r = gnutls_x509_crt_get_dn_by_oid(crt,
                                              GNUTLS_OID_X520_COMMON_NAME,
                                              1, 0, other, &olen);

        ok = r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE;
    }
    gnutls_x509_crt_deinit(crt);
    return ok && strlen(id) == len;
}

bool
auth_client_id(const struct auth *a, struct MHD_Connection *c, char *id,
               size_t size)
{
    id[0] = '\0';
    return a->tls ? tls_id(c, id, size) : front_id(a, c, id, size);
}
