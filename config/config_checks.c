/*
 * config_checks.c - the extra checks of string keys that hold URLs, key
 * pins, host ids and network addresses.  Each reports its own problem
 * (value quoted, credentials masked, the fix named) and returns false to
 * refuse the value.  The checks are syntactic: whether a host resolves or
 * a file exists is for the module that uses it, at the time it uses it.
 */
#include "config/config_int.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define QUOTE_BUF 192

struct url_parts {
    const char *scheme;             /* "https" (not terminated) */
    size_t scheme_len;
    const char *host;               /* "example.com", "[::1]" */
    size_t host_len;
    bool userinfo;                  /* "user:password@" present */
};

static bool
valid_port(const char *p, size_t len)
{
    unsigned long port = 0;

    if (len == 0 || len > 5)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        port = port * 10 + (unsigned long)(p[i] - '0');
    }
    return port >= 1 && port <= 65535;
}

/* HOST[:PORT] or [V6][:PORT]; port_required for listen addresses. */
static bool
split_hostport(const char *s, size_t len, bool port_required,
               const char **host, size_t *host_len)
{
    const char *colon;
    size_t hlen;

    if (len > 0 && s[0] == '[') {
        colon = memchr(s, ']', len);
        if (colon == NULL)
            return false;
        hlen = (size_t)(colon - s) + 1;
        if (hlen < 3)
            return false;
    } else {
        colon = memchr(s, ':', len);
        hlen = colon != NULL ? (size_t)(colon - s) : len;
        if (hlen == 0)
            return false;
    }
    *host = s;
    *host_len = hlen;
    if (hlen == len)
        return !port_required;
    if (s[hlen] != ':')
        return false;
    return valid_port(s + hlen + 1, len - hlen - 1);
}

static bool
url_split(const char *s, struct url_parts *u)
{
    const char *sep = strstr(s, "://"), *auth, *at;
    size_t auth_len;

    if (sep == NULL || sep == s)
        return false;
    u->scheme = s;
    u->scheme_len = (size_t)(sep - s);
    auth = sep + 3;
    auth_len = strcspn(auth, "/?#");
    u->userinfo = false;
    for (at = auth + auth_len; at > auth; at--)
        if (at[-1] == '@') {
            u->userinfo = true;
            auth_len -= (size_t)(at - auth);
            auth = at;
            break;
        }
    return split_hostport(auth, auth_len, false, &u->host, &u->host_len);
}

static bool
scheme_is(const struct url_parts *u, const char *name)
{
    return u->scheme_len == strlen(name) &&
           strncasecmp(u->scheme, name, u->scheme_len) == 0;
}

static bool
host_is(const struct url_parts *u, const char *name)
{
    return u->host_len == strlen(name) &&
           strncasecmp(u->host, name, u->host_len) == 0;
}

bool
config_check_server_url(struct config_ctx *c, const struct config_keydef *d,
                        const char *s)
{
    struct url_parts u;
    char q[QUOTE_BUF];

    config_quote(q, sizeof(q), s, true);
    if (!url_split(s, &u)) {
        config_problem(c, d->key.name, "%s is not a URL; give e.g. %s", q,
                       d->key.example);
        return false;
    }
    if (u.userinfo) {
        config_problem(c, d->key.name, "%s carries a user name or password;"
                       " estel authenticates with ClientCertificate, so "
                       "remove the user:password@ part", q);
        return false;
    }
    if (scheme_is(&u, "https"))
        return true;
    if (!scheme_is(&u, "http")) {
        config_problem(c, d->key.name, "%s is not an https:// URL; give e.g."
                       " %s", q, d->key.example);
        return false;
    }
    if (host_is(&u, "127.0.0.1") || host_is(&u, "localhost") ||
        host_is(&u, "[::1]")) {
        config_warning(c, d->key.name, "%s sends events unencrypted; fine "
                       "for a local test ingest, use https:// otherwise", q);
        return true;
    }
    config_problem(c, d->key.name, "%s would send events unencrypted; use "
                   "https:// (http:// is accepted only for 127.0.0.1, [::1] "
                   "and localhost)", q);
    return false;
}

/* "sha256//" + base64 of 32 bytes: 43 characters and one '=' */
static bool
valid_pin(const char *p, size_t len)
{
    static const char prefix[] = "sha256//";
    size_t plen = sizeof(prefix) - 1;

    if (len != plen + 44 || memcmp(p, prefix, plen) != 0)
        return false;
    p += plen;
    for (size_t i = 0; i < 43; i++)
        if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                   "0123456789+/", p[i]) == NULL || p[i] == '\0')
            return false;
    return p[43] == '=';
}

bool
config_check_pin(struct config_ctx *c, const struct config_keydef *d,
                 const char *s)
{
    char q[QUOTE_BUF];
    size_t len;

    /* curl accepts several pins separated by ';' (key rotation) */
    for (const char *p = s;; p += len + 1) {
        len = strcspn(p, ";");
        if (!valid_pin(p, len)) {
            config_quote(q, sizeof(q), s, false);
            config_problem(c, d->key.name, "%s is not a public key pin; give"
                           " sha256// and the base64 SHA-256 of the server's"
                           " public key (44 characters), e.g. %s; "
                           "docs/configuration.md shows the openssl command",
                           q, d->key.example);
            return false;
        }
        if (p[len] == '\0')
            return true;
    }
}

bool
config_check_proxy(struct config_ctx *c, const struct config_keydef *d,
                   const char *s)
{
    static const char *const schemes[] = {
        "http", "https", "socks4", "socks4a", "socks5", "socks5h"
    };
    struct url_parts u;
    char q[QUOTE_BUF];

    if (url_split(s, &u))
        for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
            if (scheme_is(&u, schemes[i]))
                return true;
    config_quote(q, sizeof(q), s, true);
    config_problem(c, d->key.name, "%s is not a proxy URL; give e.g. %s "
                   "(schemes: http, https, socks4, socks4a, socks5, socks5h)",
                   q, d->key.example);
    return false;
}

bool
config_check_host_id(struct config_ctx *c, const struct config_keydef *d,
                     const char *s)
{
    size_t len = strlen(s);
    char q[QUOTE_BUF];

    if (len <= 64 && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                            "abcdefghijklmnopqrstuvwxyz0123456789._:-") ==
        len)
        return true;
    config_quote(q, sizeof(q), s, false);
    config_problem(c, d->key.name, "%s is not a host id; use 1 to 64 "
                   "letters, digits, '.', '_', ':' or '-', e.g. %s", q,
                   d->key.example);
    return false;
}

bool
config_check_listen(struct config_ctx *c, const struct config_keydef *d,
                    const char *s)
{
    const char *host;
    size_t host_len, len = strlen(s);
    char q[QUOTE_BUF];

    /* 104 bytes is sun_path on macOS, the smaller of the two systems */
    if (strncmp(s, "unix:", 5) == 0) {
        if (s[5] == '/' && len - 5 < 104)
            return true;
    } else if (split_hostport(s, len, true, &host, &host_len) &&
               (host[0] == '[' || strspn(host, "abcdefghijklmnopqrstuvwxyz"
                                         "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                         "0123456789.-") == host_len)) {
        return true;
    }
    config_quote(q, sizeof(q), s, false);
    config_problem(c, d->key.name, "%s is not a listen address; give "
                   "HOST:PORT (e.g. %s), [IPv6]:PORT or unix:/absolute/path "
                   "(under 104 bytes)", q, d->key.example);
    return false;
}

bool
config_check_address(struct config_ctx *c, const struct config_keydef *d,
                     const char *s)
{
    unsigned char addr[16];
    char q[QUOTE_BUF];

    if (inet_pton(AF_INET, s, addr) == 1 || inet_pton(AF_INET6, s, addr) == 1)
        return true;
    config_quote(q, sizeof(q), s, false);
    config_problem(c, d->key.name, "%s is not an IP address; give the "
                   "address the TLS-terminating proxy connects from, e.g. %s",
                   q, d->key.example);
    return false;
}
