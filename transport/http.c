/*
 * http.c - one request slot: a curl easy handle set up for mutual TLS,
 * the protocol's headers, and the callbacks that collect the answer.
 *
 * A slot's handle lives as long as the TLS material it was built with, so
 * libcurl keeps its connection (HTTP/2 when the server offers it through
 * ALPN, else HTTP/1.1 keep-alive) and TLS session between batches.  The
 * body is the zstd frame exactly as stored (POSTFIELDS points into the
 * slot's buffer, no copy, no re-compression).
 */
#include "transport/transport_int.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config/config.h"

static bool
safe_token(const char *s)
{
    size_t n = 0;

    for (; s[n] != '\0'; n++) {
        char c = s[n];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return false;
    }
    return n >= 1 && n <= 64;
}

static bool
add(struct http_headers *h, const char *fmt, ...) ESTEL_PRINTF(2, 3);

static bool
add(struct http_headers *h, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (h->n >= HTTP_HEADERS_MAX)
        return false;
    va_start(ap, fmt);
    n = vsnprintf(h->line[h->n], HTTP_HEADER_LEN, fmt, ap);
    va_end(ap);
    if (n < 0 || n >= HTTP_HEADER_LEN)
        return false;
    h->n++;
    return true;
}

enum estel_rc
http_headers_build(const struct spool_batch_info *info,
                   struct http_headers *h, struct estel_err *err)
{
    char host[sizeof(info->host_id)], boot[sizeof(info->boot_id)];

    /* the batch header comes from disk: never let it inject a header */
    memcpy(host, info->host_id, sizeof(host));
    host[sizeof(host) - 1] = '\0';
    memcpy(boot, info->boot_id, sizeof(boot));
    boot[sizeof(boot) - 1] = '\0';
    if (!safe_token(host) || !safe_token(boot))
        return estel_fail(err, ESTEL_E_CORRUPT, "batch %.64s: host or boot "
                          "id is not a 1..64 character token of "
                          "[A-Za-z0-9._-]", info->name);
    h->n = 0;
    if (!add(h, "Content-Type: application/vnd.estel.batch+msgpack") ||
        !add(h, "Content-Encoding: zstd") ||
        !add(h, "Idempotency-Key: %s-%s-%" PRIu64, host, boot,
             info->first_seq) ||
        !add(h, "X-Estel-Host: %s", host) ||
        !add(h, "X-Estel-Boot: %s", boot) ||
        !add(h, "X-Estel-First-Seq: %" PRIu64, info->first_seq) ||
        !add(h, "X-Estel-Last-Seq: %" PRIu64, info->last_seq) ||
        !add(h, "X-Estel-Records: %" PRIu32, info->record_count) ||
        !add(h, "X-Estel-Raw-Bytes: %" PRIu64, info->raw_bytes) ||
        !add(h, "X-Estel-Checksum: %016" PRIx64, info->checksum) ||
        /* the record schema the collector writes: ESTEL_SCHEMA_VERSION */
        !add(h, "X-Estel-Schema: 2") ||
        /* curl adds "Expect: 100-continue" to big POSTs and then waits up
         * to a second for "100 Continue": a round trip per batch */
        !add(h, "Expect:"))
        return estel_fail(err, ESTEL_E_CORRUPT, "batch %.64s: headers do "
                          "not fit", info->name);
    return ESTEL_OK;
}

void
http_url_safe(const char *url, char *buf, size_t size)
{
    const char *scheme = strstr(url, "://");
    const char *host = scheme != NULL ? scheme + 3 : url;
    const char *end = host + strcspn(host, "/?#");
    const char *at = NULL;
    size_t keep;

    for (const char *p = host; p < end; p++)
        if (*p == '@')
            at = p;
    if (at == NULL) {
        snprintf(buf, size, "%s", url);
    } else {
        keep = (size_t)(host - url);
        snprintf(buf, size, "%.*s%s", (int)keep, url, at + 1);
    }
    /* a query may carry a token: cut it */
    buf[strcspn(buf, "?#")] = '\0';
}

static size_t
on_header(char *p, size_t size, size_t n, void *ud)
{
    struct slot *s = ud;

    resp_header_line(&s->resp, p, size * n,
                     estel_now_realtime_ns() / NS_PER_S);
    return size * n;
}

static size_t
on_body(char *p, size_t size, size_t n, void *ud)
{
    struct slot *s = ud;

    resp_body(&s->resp, p, size * n);
    return size * n;            /* keep reading: the connection stays */
}

static int
on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow,
            curl_off_t ultotal, curl_off_t ulnow)
{
    struct slot *s = ud;

    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    /* non-zero aborts the transfer: CURLE_ABORTED_BY_CALLBACK */
    return transport_should_abort(s->t) ? 1 : 0;
}

#define SET(opt, val)                                                     \
    do {                                                                  \
        if (cc == CURLE_OK)                                               \
            cc = curl_easy_setopt(s->easy, opt, val);                     \
    } while (0)

static CURLcode
set_blob(CURL *h, CURLoption opt, const struct estel_buf *b)
{
    struct curl_blob blob = { b->data, b->len, CURL_BLOB_COPY };

    return curl_easy_setopt(h, opt, &blob);
}

static CURLcode
set_tls(struct slot *s, const struct http_opts *o,
        const struct tls_material *m)
{
    CURLcode cc = CURLE_OK;

    SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    SET(CURLOPT_SSL_VERIFYPEER, 1L);
    SET(CURLOPT_SSL_VERIFYHOST, 2L);
    if (m->has_client) {
        SET(CURLOPT_SSLCERTTYPE, "PEM");
        SET(CURLOPT_SSLKEYTYPE, "PEM");
        if (cc == CURLE_OK)
            cc = set_blob(s->easy, CURLOPT_SSLCERT_BLOB, &m->cert);
        if (cc == CURLE_OK)
            cc = set_blob(s->easy, CURLOPT_SSLKEY_BLOB, &m->key);
    }
    if (m->ca.len > 0) {
        if (cc == CURLE_OK)
            cc = set_blob(s->easy, CURLOPT_CAINFO_BLOB, &m->ca);
        /* only ServerCA: no default bundle or directory beside it */
        SET(CURLOPT_CAINFO, (char *)NULL);
        SET(CURLOPT_CAPATH, (char *)NULL);
    }
    if (o->pinned_key != NULL)
        SET(CURLOPT_PINNEDPUBLICKEY, o->pinned_key);
    return cc;
}

enum estel_rc
http_slot_open(struct slot *s, struct transport *t, const struct http_opts *o,
               const struct tls_material *m, struct estel_err *err)
{
    CURLcode cc = CURLE_OK;

    memset(s, 0, sizeof(*s));
    s->t = t;
    buf_init(&s->frame, 0);
    if ((s->easy = curl_easy_init()) == NULL)
        return estel_fail(err, ESTEL_E_NOMEM, "curl_easy_init failed");
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_ERRORBUFFER, s->errbuf);
    SET(CURLOPT_URL, o->url);
    SET(CURLOPT_PROTOCOLS_STR, o->allow_http ? "https,http" : "https");
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_USERAGENT, "estel/" ESTEL_VERSION);
    SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    SET(CURLOPT_POST, 1L);
    SET(CURLOPT_HEADERFUNCTION, on_header);
    SET(CURLOPT_HEADERDATA, s);
    SET(CURLOPT_WRITEFUNCTION, on_body);
    SET(CURLOPT_WRITEDATA, s);
    SET(CURLOPT_XFERINFOFUNCTION, on_progress);
    SET(CURLOPT_XFERINFODATA, s);
    SET(CURLOPT_NOPROGRESS, 0L);
    SET(CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms);
    /* a stalled server: under 1 byte/s for this long ends the transfer */
    SET(CURLOPT_LOW_SPEED_LIMIT, 1L);
    SET(CURLOPT_LOW_SPEED_TIME, o->low_speed_time_s);
    SET(CURLOPT_TCP_KEEPALIVE, 1L);
    SET(CURLOPT_TCP_KEEPIDLE, 30L);
    SET(CURLOPT_TCP_KEEPINTVL, 15L);
    if (o->max_send_bps > 0)
        SET(CURLOPT_MAX_SEND_SPEED_LARGE, (curl_off_t)o->max_send_bps);
    if (o->proxy != NULL) {
        /* HTTP CONNECT: the proxy sees a host name, never our TLS */
        SET(CURLOPT_PROXY, o->proxy);
        SET(CURLOPT_HTTPPROXYTUNNEL, 1L);
    }
    /* no CURLOPT_PROXY: libcurl honours https_proxy / no_proxy itself */
    if (cc == CURLE_OK)
        cc = set_tls(s, o, m);
    if (cc != CURLE_OK) {
        enum estel_rc rc = estel_fail(err, ESTEL_E_CONFIG, "curl set-up "
                                      "for %s: %s (curl %d)", t->url_safe,
                                      curl_easy_strerror(cc), (int)cc);

        http_slot_close(s);
        return rc;
    }
    return ESTEL_OK;
}

void
http_slot_close(struct slot *s)
{
    if (s->easy != NULL)
        curl_easy_cleanup(s->easy);
    s->easy = NULL;
    curl_slist_free_all(s->headers);
    s->headers = NULL;
    buf_free(&s->frame);
}

enum estel_rc
http_slot_arm(struct slot *s, const struct http_opts *o,
              struct estel_err *err)
{
    struct http_headers h;
    struct curl_slist *list = NULL, *next;
    CURLcode cc = CURLE_OK;
    long timeout_ms = o->request_timeout_ms;
    enum estel_rc rc;

    if ((rc = http_headers_build(&s->info, &h, err)) != ESTEL_OK)
        return rc;
    for (size_t i = 0; i < h.n; i++) {
        if ((next = curl_slist_append(list, h.line[i])) == NULL) {
            curl_slist_free_all(list);
            return estel_fail(err, ESTEL_E_NOMEM, "out of memory for "
                              "request headers");
        }
        list = next;
    }
    curl_slist_free_all(s->headers);
    s->headers = list;
    /* a slow, rate-limited upload is not a stalled one: allow for it */
    if (o->max_send_bps > 0)
        timeout_ms += (long)(s->frame.len * 1000 / o->max_send_bps);
    resp_reset(&s->resp);
    s->errbuf[0] = '\0';
    SET(CURLOPT_HTTPHEADER, s->headers);
    SET(CURLOPT_POSTFIELDS, s->frame.data);
    SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)s->frame.len);
    SET(CURLOPT_TIMEOUT_MS, timeout_ms);
    if (cc != CURLE_OK)
        return estel_fail(err, ESTEL_E_NOMEM, "curl set-up for %s: %s "
                          "(curl %d)", s->t->url_safe,
                          curl_easy_strerror(cc), (int)cc);
    return ESTEL_OK;
}

void
http_slot_result(struct slot *s, long *status, long *connect_code)
{
    *status = 0;
    *connect_code = 0;
    if (curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, status) !=
        CURLE_OK)
        *status = 0;
    if (curl_easy_getinfo(s->easy, CURLINFO_HTTP_CONNECTCODE, connect_code)
        != CURLE_OK)
        *connect_code = 0;
}
