/*
 * fuzz_http_response.c - libFuzzer target for what a server (or anything
 * pretending to be one) can send the uploader: status lines, headers
 * (Retry-After as seconds or any HTTP-date form) and the body, then the
 * classification.  Input: byte 0 picks the transfer's CURLcode; then
 * header lines up to the first empty line; the rest is the body.
 * Invariants: Retry-After is -1 or within [0, RESP_RETRY_AFTER_MAX_S],
 * the kept body stays within RESP_BODY_MAX and NUL-terminated, every
 * answer maps to one of the six classes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "transport/transport_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const CURLcode codes[] = {
    CURLE_OK, CURLE_OK, CURLE_OK, CURLE_OK, CURLE_COULDNT_CONNECT,
    CURLE_OPERATION_TIMEDOUT, CURLE_SSL_CONNECT_ERROR,
    CURLE_PEER_FAILED_VERIFICATION, CURLE_RECV_ERROR, CURLE_PROXY,
    CURLE_GOT_NOTHING, CURLE_SSL_PINNEDPUBKEYNOTMATCH,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *end = p + size;
    char errbuf[CURL_ERROR_SIZE];
    const char *what = NULL;
    enum transport_class cls;
    int64_t when, ra;
    struct resp r;
    CURLcode cc;
    size_t n;

    if (size == 0)
        return 0;
    cc = codes[data[0] % (sizeof(codes) / sizeof(codes[0]))];
    p++;
    /* the whole input as a Retry-After value, and as a date */
    ra = resp_parse_retry_after(p, (size_t)(end - p), 1700000000);
    if (ra < -1 || ra > RESP_RETRY_AFTER_MAX_S)
        abort();
    (void)resp_parse_http_date(p, (size_t)(end - p), &when);
    resp_reset(&r);
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl != NULL ? (size_t)(nl - p) + 1 : (size_t)(end - p);

        if (len <= 2 && (p[0] == '\n' || (p[0] == '\r' && len == 2))) {
            p += len;
            break;
        }
        resp_header_line(&r, p, len, 1700000000);
        p += len;
    }
    while (p < end) {
        n = (size_t)(end - p) < 97 ? (size_t)(end - p) : 97;
        resp_body(&r, p, n);
        p += n;
    }
    if (r.retry_after_s < -1 || r.retry_after_s > RESP_RETRY_AFTER_MAX_S ||
        r.body_len > RESP_BODY_MAX || r.body[r.body_len] != '\0')
        abort();
    n = r.body_len < sizeof(errbuf) - 1 ? r.body_len : sizeof(errbuf) - 1;
    memcpy(errbuf, r.body, n);
    errbuf[n] = '\0';
    cls = resp_classify(cc, r.status, r.status == 407 ? 407 : 0, &r, errbuf,
                        &what);
    if ((int)cls < TRANSPORT_OK || cls > TRANSPORT_TLS || what == NULL)
        abort();
    return 0;
}
