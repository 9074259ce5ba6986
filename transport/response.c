/*
 * response.c - what the server (or the network) answered, and what that
 * means for the batch: the one mapping of DESIGN.md section 5.
 *
 * curl hands us header lines one by one (also for a proxy's CONNECT answer
 * and for 1xx responses, which come first), and the body in pieces.  We
 * keep the last status line, Retry-After and the first KiB of the body:
 * nginx's 400 for a refused client certificate is told apart from a real
 * "bad batch" 400 by its body text, and the body's first line goes into
 * the dead/ reason file.  Everything here is pure and fuzzed
 * (tests/fuzz/fuzz_http_response.c).
 */
#include "transport/transport_int.h"

#include <string.h>

void
resp_reset(struct resp *r)
{
    r->status = 0;
    r->retry_after_s = -1;
    r->body_len = 0;
    r->body_truncated = false;
    r->body[0] = '\0';
}

static bool
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static char
lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool
prefix_nocase(const char *s, size_t len, const char *pfx)
{
    size_t n = strlen(pfx);

    if (len < n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (lower(s[i]) != lower(pfx[i]))
            return false;
    return true;
}

/* "HTTP/1.1 503 Service Unavailable" / "HTTP/2 200": the code, or 0. */
static long
status_code(const char *line, size_t len)
{
    size_t i = 5;
    long code = 0;

    if (!prefix_nocase(line, len, "HTTP/"))
        return 0;
    while (i < len && line[i] != ' ')
        i++;
    while (i < len && line[i] == ' ')
        i++;
    if (i + 3 > len || !is_digit(line[i]) || !is_digit(line[i + 1]) ||
        !is_digit(line[i + 2]))
        return 0;
    if (i + 3 < len && is_digit(line[i + 3]))
        return 0;
    for (size_t k = 0; k < 3; k++)
        code = code * 10 + (line[i + k] - '0');
    return code >= 100 ? code : 0;
}

void
resp_header_line(struct resp *r, const char *line, size_t len, int64_t now_s)
{
    static const char ra[] = "retry-after:";
    long code;

    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        len--;
    if ((code = status_code(line, len)) != 0) {
        /* a new response (after a proxy's CONNECT or a 1xx) */
        resp_reset(r);
        r->status = code;
        return;
    }
    if (prefix_nocase(line, len, ra)) {
        const char *v = line + sizeof(ra) - 1;
        size_t vlen = len - (sizeof(ra) - 1);

        while (vlen > 0 && (*v == ' ' || *v == '\t')) {
            v++;
            vlen--;
        }
        while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
            vlen--;
        r->retry_after_s = resp_parse_retry_after(v, vlen, now_s);
    }
}

void
resp_body(struct resp *r, const char *p, size_t n)
{
    size_t room = RESP_BODY_MAX - r->body_len;

    if (n > room) {
        n = room;
        r->body_truncated = true;
    }
    memcpy(r->body + r->body_len, p, n);
    r->body_len += n;
    r->body[r->body_len] = '\0';
}

int64_t
resp_parse_retry_after(const char *v, size_t len, int64_t now_s)
{
    int64_t secs = 0, when;
    size_t i;

    if (len == 0)
        return -1;
    for (i = 0; i < len && is_digit(v[i]); i++)
        if (secs <= RESP_RETRY_AFTER_MAX_S)
            secs = secs * 10 + (v[i] - '0');
    if (i == len)
        return secs > RESP_RETRY_AFTER_MAX_S ? RESP_RETRY_AFTER_MAX_S : secs;
    if (!resp_parse_http_date(v, len, &when))
        return -1;
    if (when <= now_s)
        return 0;
    return when - now_s > RESP_RETRY_AFTER_MAX_S ? RESP_RETRY_AFTER_MAX_S :
           when - now_s;
}

int64_t
resp_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    /* Howard Hinnant's days_from_civil: exact for every Gregorian date */
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* A small cursor over the date text. */
struct cur {
    const char *p;
    size_t n;
};

static bool
take_num(struct cur *c, size_t min, size_t max, int64_t *out)
{
    size_t i = 0;

    *out = 0;
    while (i < c->n && i < max && is_digit(c->p[i])) {
        *out = *out * 10 + (c->p[i] - '0');
        i++;
    }
    if (i < min)
        return false;
    c->p += i;
    c->n -= i;
    return true;
}

static bool
take_ch(struct cur *c, char ch)
{
    if (c->n == 0 || c->p[0] != ch)
        return false;
    c->p++;
    c->n--;
    return true;
}

static void
skip_spaces(struct cur *c)
{
    while (c->n > 0 && c->p[0] == ' ') {
        c->p++;
        c->n--;
    }
}

static bool
take_month(struct cur *c, unsigned *mon)
{
    static const char names[] = "janfebmaraprmayjunjulaugsepoctnovdec";

    if (c->n < 3)
        return false;
    for (unsigned i = 0; i < 12; i++)
        if (lower(c->p[0]) == names[3 * i] &&
            lower(c->p[1]) == names[3 * i + 1] &&
            lower(c->p[2]) == names[3 * i + 2]) {
            *mon = i + 1;
            c->p += 3;
            c->n -= 3;
            return true;
        }
    return false;
}

static bool
take_time(struct cur *c, int64_t *secs)
{
    int64_t hh, mm, ss;

    if (!take_num(c, 2, 2, &hh) || !take_ch(c, ':') ||
        !take_num(c, 2, 2, &mm) || !take_ch(c, ':') ||
        !take_num(c, 2, 2, &ss))
        return false;
    if (hh > 23 || mm > 59 || ss > 60)
        return false;
    *secs = hh * 3600 + mm * 60 + ss;
    return true;
}

static bool
take_gmt(struct cur *c)
{
    skip_spaces(c);
    if (c->n < 3 || !prefix_nocase(c->p, c->n, "GMT"))
        return false;
    c->p += 3;
    c->n -= 3;
    skip_spaces(c);
    return c->n == 0;
}

static bool
finish(int64_t y, unsigned mon, int64_t d, int64_t secs, int64_t *out)
{
    static const unsigned mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30,
                                        31, 30, 31 };

    if (y < 1970 || y > 9999 || d < 1 || d > mdays[mon - 1])
        return false;
    *out = resp_days_from_civil(y, mon, (unsigned)d) * 86400 + secs;
    return true;
}

bool
resp_parse_http_date(const char *v, size_t len, int64_t *out_s)
{
    struct cur c = { v, len };
    int64_t d, y, secs;
    unsigned mon;
    size_t i = 0;

    /* the weekday: letters up to ',' (IMF, RFC 850) or ' ' (asctime) */
    while (i < c.n && ((c.p[i] >= 'A' && c.p[i] <= 'Z') ||
                       (c.p[i] >= 'a' && c.p[i] <= 'z')))
        i++;
    if (i < 3 || i > 9 || i == c.n)
        return false;
    c.p += i;
    c.n -= i;
    if (take_ch(&c, ',')) {
        skip_spaces(&c);
        if (!take_num(&c, 1, 2, &d))
            return false;
        if (take_ch(&c, ' ')) {
            /* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
            if (!take_month(&c, &mon) || !take_ch(&c, ' ') ||
                !take_num(&c, 4, 4, &y) || !take_ch(&c, ' '))
                return false;
        } else {
            /* RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT" */
            if (!take_ch(&c, '-') || !take_month(&c, &mon) ||
                !take_ch(&c, '-') || !take_num(&c, 2, 2, &y) ||
                !take_ch(&c, ' '))
                return false;
            /* RFC 9110: a two-digit year more than 50 years ahead is in
             * the past century; we only ever compare with "now" */
            y += y < 70 ? 2000 : 1900;
        }
        if (!take_time(&c, &secs) || !take_gmt(&c))
            return false;
        return finish(y, mon, d, secs, out_s);
    }
    /* asctime: "Sun Nov  6 08:49:37 1994" */
    if (!take_ch(&c, ' ') || !take_month(&c, &mon) || !take_ch(&c, ' '))
        return false;
    skip_spaces(&c);
    if (!take_num(&c, 1, 2, &d) || !take_ch(&c, ' ') ||
        !take_time(&c, &secs) || !take_ch(&c, ' ') ||
        !take_num(&c, 4, 4, &y))
        return false;
    skip_spaces(&c);
    if (c.n != 0)
        return false;
    return finish(y, mon, d, secs, out_s);
}

static bool
contains(const char *hay, size_t len, const char *needle)
{
    size_t n = strlen(needle);

    if (n == 0 || len < n)
        return false;
    for (size_t i = 0; i + n <= len; i++)
        if (prefix_nocase(hay + i, len - i, needle))
            return true;
    return false;
}

bool
resp_is_cert_refusal(const char *body, size_t len)
{
    /* nginx's built-in pages for ssl_verify_client (codes 495/496 shown
     * as 400): "No required SSL certificate was sent" and "The SSL
     * certificate error" */
    return contains(body, len, "No required SSL certificate") ||
           contains(body, len, "SSL certificate error");
}

/* TLS alerts that mean "the server refuses our certificate" (a server
 * that checks client certificates during the handshake, e.g. TLS 1.3
 * "certificate required"), as OpenSSL spells them in curl's message. */
static bool
alert_refuses_us(const char *errbuf)
{
    size_t len = errbuf != NULL ? strlen(errbuf) : 0;

    return contains(errbuf, len, "alert certificate required") ||
           contains(errbuf, len, "alert bad certificate") ||
           contains(errbuf, len, "alert unknown ca") ||
           contains(errbuf, len, "alert certificate expired") ||
           contains(errbuf, len, "alert certificate revoked") ||
           contains(errbuf, len, "alert certificate unknown");
}

static enum transport_class
classify_curl(CURLcode cc, long connect_code, const char *errbuf,
              const char **what)
{
    switch (cc) {
    case CURLE_PROXY:
    case CURLE_RECV_ERROR:
        if (connect_code == 407) {
            *what = "the proxy wants credentials (HTTP 407)";
            return TRANSPORT_AUTH;
        }
        if (cc == CURLE_PROXY || connect_code >= 300) {
            *what = "the proxy refused the tunnel";
            return TRANSPORT_TRANSIENT;
        }
        break;
    case CURLE_SSL_CONNECT_ERROR:
        if (alert_refuses_us(errbuf)) {
            *what = "the server refuses our client certificate (TLS alert)";
            return TRANSPORT_AUTH;
        }
        *what = "TLS handshake failed";
        return TRANSPORT_TLS;
    case CURLE_PEER_FAILED_VERIFICATION:
        *what = "the server's certificate is not trusted or not for this "
                "host name";
        return TRANSPORT_TLS;
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        *what = "the server's key does not match ServerPinnedKey";
        return TRANSPORT_TLS;
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_USE_SSL_FAILED:
    case CURLE_SSL_SHUTDOWN_FAILED:
        *what = "TLS set-up failed";
        return TRANSPORT_TLS;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        *what = "cannot resolve the server's name";
        return TRANSPORT_TRANSIENT;
    case CURLE_COULDNT_CONNECT:
        *what = "cannot connect";
        return TRANSPORT_TRANSIENT;
    case CURLE_OPERATION_TIMEDOUT:
        *what = "timed out";
        return TRANSPORT_TRANSIENT;
    default:
        break;
    }
    if (alert_refuses_us(errbuf)) {
        *what = "the server refuses our client certificate (TLS alert)";
        return TRANSPORT_AUTH;
    }
    *what = "the connection failed";
    return TRANSPORT_TRANSIENT;
}

enum transport_class
resp_classify(CURLcode cc, long status, long connect_code,
              const struct resp *r, const char *errbuf, const char **what)
{
    const char *dummy;

    if (what == NULL)
        what = &dummy;
    if (cc != CURLE_OK)
        return classify_curl(cc, connect_code, errbuf, what);
    if (status >= 200 && status <= 299) {
        *what = "stored";
        return TRANSPORT_OK;
    }
    switch (status) {
    case 409:
        *what = "already stored";
        return TRANSPORT_DUPLICATE;
    case 408:
        *what = "the server timed out reading the request";
        return TRANSPORT_TRANSIENT;
    case 429:
        *what = "rate limited by the server";
        return TRANSPORT_TRANSIENT;
    case 401:
    case 403:
        *what = "the server refuses our client certificate";
        return TRANSPORT_AUTH;
    case 407:
        *what = "the proxy wants credentials (HTTP 407)";
        return TRANSPORT_AUTH;
    case 495:
    case 496:
        *what = "the server did not accept our client certificate";
        return TRANSPORT_AUTH;
    case 400:
        if (r != NULL && resp_is_cert_refusal(r->body, r->body_len)) {
            *what = "the server did not accept our client certificate";
            return TRANSPORT_AUTH;
        }
        break;
    default:
        break;
    }
    if (status >= 400 && status <= 499) {
        *what = "the server refused this batch";
        return TRANSPORT_REJECTED;
    }
    if (status >= 500 && status <= 599) {
        *what = "server error";
        return TRANSPORT_TRANSIENT;
    }
    /* 1xx/3xx (we follow no redirects: a moved ServerURL is a
     * configuration problem, not the batch's) and garbage: keep the data */
    *what = "unexpected answer from the server";
    return TRANSPORT_TRANSIENT;
}

const char *
transport_class_name(enum transport_class cls)
{
    switch (cls) {
    case TRANSPORT_OK: return "ok";
    case TRANSPORT_DUPLICATE: return "duplicate";
    case TRANSPORT_TRANSIENT: return "transient";
    case TRANSPORT_AUTH: return "auth";
    case TRANSPORT_REJECTED: return "rejected";
    case TRANSPORT_TLS: return "tls";
    }
    return "unknown";
}
