/*
 * test_transport_response.c - the response classes of DESIGN.md section 5,
 * status lines and Retry-After (seconds and all three HTTP-date forms).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include "transport/transport_int.h"

#define NGINX_NO_CERT                                                     \
    "<html>\r\n<head><title>400 No required SSL certificate was sent"    \
    "</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1>"      \
    "</center>\r\n<center>No required SSL certificate was sent</center>" \
    "\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n"
#define NGINX_BAD_CERT                                                    \
    "<html>\r\n<head><title>400 The SSL certificate error</title></head>" \
    "\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n"        \
    "<center>The SSL certificate error</center>\r\n</body></html>\r\n"

static enum transport_class
http(long status, const char *body)
{
    struct resp r;

    resp_reset(&r);
    r.status = status;
    if (body != NULL)
        resp_body(&r, body, strlen(body));
    return resp_classify(CURLE_OK, status, 0, &r, "", NULL);
}

static enum transport_class
curl_fail(CURLcode cc, long connect_code, const char *errbuf)
{
    struct resp r;
    const char *what = NULL;
    enum transport_class c;

    resp_reset(&r);
    c = resp_classify(cc, 0, connect_code, &r, errbuf, &what);
    assert_non_null(what);
    return c;
}

static void
test_transport_classifies_http_statuses(void **state)
{
    (void)state;
    assert_int_equal(http(200, NULL), TRANSPORT_OK);
    assert_int_equal(http(201, NULL), TRANSPORT_OK);
    assert_int_equal(http(204, NULL), TRANSPORT_OK);
    assert_int_equal(http(299, NULL), TRANSPORT_OK);
    assert_int_equal(http(409, NULL), TRANSPORT_DUPLICATE);
    assert_int_equal(http(408, NULL), TRANSPORT_TRANSIENT);
    assert_int_equal(http(429, NULL), TRANSPORT_TRANSIENT);
    assert_int_equal(http(500, NULL), TRANSPORT_TRANSIENT);
    assert_int_equal(http(502, NULL), TRANSPORT_TRANSIENT);
    assert_int_equal(http(503, NULL), TRANSPORT_TRANSIENT);
    assert_int_equal(http(599, NULL), TRANSPORT_TRANSIENT);
    assert_int_equal(http(401, NULL), TRANSPORT_AUTH);
    assert_int_equal(http(403, NULL), TRANSPORT_AUTH);
    assert_int_equal(http(400, NULL), TRANSPORT_REJECTED);
    assert_int_equal(http(400, "{\"error\":\"bad zstd frame\"}"),
                     TRANSPORT_REJECTED);
    assert_int_equal(http(404, NULL), TRANSPORT_REJECTED);
    assert_int_equal(http(413, NULL), TRANSPORT_REJECTED);
    assert_int_equal(http(422, NULL), TRANSPORT_REJECTED);
    /* no redirects followed, odd codes: keep the data */
    assert_int_equal(http(301, NULL), TRANSPORT_TRANSIENT);
    assert_int_equal(http(100, NULL), TRANSPORT_TRANSIENT);
    assert_int_equal(http(0, NULL), TRANSPORT_TRANSIENT);
}

static void
test_transport_nginx_cert_refusal_is_auth_not_dead(void **state)
{
    (void)state;
    assert_int_equal(http(400, NGINX_NO_CERT), TRANSPORT_AUTH);
    assert_int_equal(http(400, NGINX_BAD_CERT), TRANSPORT_AUTH);
    assert_true(resp_is_cert_refusal(NGINX_NO_CERT, strlen(NGINX_NO_CERT)));
    assert_false(resp_is_cert_refusal("bad batch", 9));
    assert_int_equal(http(495, NULL), TRANSPORT_AUTH);
    assert_int_equal(http(496, NULL), TRANSPORT_AUTH);
}

static void
test_transport_classifies_curl_failures(void **state)
{
    (void)state;
    assert_int_equal(curl_fail(CURLE_COULDNT_CONNECT, 0, "refused"),
                     TRANSPORT_TRANSIENT);
    assert_int_equal(curl_fail(CURLE_COULDNT_RESOLVE_HOST, 0, ""),
                     TRANSPORT_TRANSIENT);
    assert_int_equal(curl_fail(CURLE_OPERATION_TIMEDOUT, 0, ""),
                     TRANSPORT_TRANSIENT);
    assert_int_equal(curl_fail(CURLE_GOT_NOTHING, 0, ""),
                     TRANSPORT_TRANSIENT);
    assert_int_equal(curl_fail(CURLE_SEND_ERROR, 0, ""),
                     TRANSPORT_TRANSIENT);
    assert_int_equal(curl_fail(CURLE_RECV_ERROR, 0, ""),
                     TRANSPORT_TRANSIENT);
    assert_int_equal(curl_fail(CURLE_PEER_FAILED_VERIFICATION, 0,
                               "SSL certificate problem: unable to get "
                               "local issuer certificate"), TRANSPORT_TLS);
    assert_int_equal(curl_fail(CURLE_SSL_PINNEDPUBKEYNOTMATCH, 0, ""),
                     TRANSPORT_TLS);
    assert_int_equal(curl_fail(CURLE_SSL_CONNECT_ERROR, 0,
                               "wrong version number"), TRANSPORT_TLS);
    /* a server that refuses our certificate inside the handshake */
    assert_int_equal(curl_fail(CURLE_SSL_CONNECT_ERROR, 0,
                               "OpenSSL/3.0.11: error:0A00045C:SSL "
                               "routines::tlsv13 alert certificate "
                               "required"), TRANSPORT_AUTH);
    assert_int_equal(curl_fail(CURLE_RECV_ERROR, 0, "sslv3 alert bad "
                               "certificate"), TRANSPORT_AUTH);
    assert_int_equal(curl_fail(CURLE_PROXY, 407, ""), TRANSPORT_AUTH);
    assert_int_equal(curl_fail(CURLE_PROXY, 403, ""), TRANSPORT_TRANSIENT);
}

static void
test_transport_status_line_resets_on_each_response(void **state)
{
    struct resp r;
    const char *l1 = "HTTP/1.1 200 Connection established\r\n";
    const char *l2 = "Retry-After: 7\r\n";
    const char *l3 = "HTTP/2 503 \r\n";
    const char *l4 = "retry-after:   12  \r\n";

    (void)state;
    resp_reset(&r);
    resp_header_line(&r, l1, strlen(l1), 0);
    assert_int_equal(r.status, 200);
    resp_header_line(&r, l2, strlen(l2), 0);
    assert_int_equal(r.retry_after_s, 7);
    resp_header_line(&r, l3, strlen(l3), 0);
    assert_int_equal(r.status, 503);
    assert_int_equal(r.retry_after_s, -1);
    resp_header_line(&r, l4, strlen(l4), 0);
    assert_int_equal(r.retry_after_s, 12);
    /* not a status line */
    resp_header_line(&r, "HTTP/1.1 20", 11, 0);
    resp_header_line(&r, "HTTP/1.1 2000 x", 15, 0);
    resp_header_line(&r, "X-HTTP/1.1 404", 14, 0);
    assert_int_equal(r.status, 503);
}

static int64_t
ra(const char *v, int64_t now)
{
    return resp_parse_retry_after(v, strlen(v), now);
}

static void
test_transport_retry_after_seconds(void **state)
{
    (void)state;
    assert_int_equal(ra("0", 0), 0);
    assert_int_equal(ra("120", 0), 120);
    assert_int_equal(ra("99999999999999999999999", 0),
                     RESP_RETRY_AFTER_MAX_S);
    assert_int_equal(ra("", 0), -1);
    assert_int_equal(ra("-1", 0), -1);
    assert_int_equal(ra("1e3", 0), -1);
    assert_int_equal(ra("12 s", 0), -1);
}

static void
test_transport_retry_after_http_dates(void **state)
{
    /* 1994-11-06 08:49:37 UTC, RFC 9110's example */
    const int64_t when = INT64_C(784111777);

    (void)state;
    assert_int_equal(resp_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(resp_days_from_civil(2000, 3, 1), 11017);
    assert_int_equal(ra("Sun, 06 Nov 1994 08:49:37 GMT", when - 30), 30);
    assert_int_equal(ra("Sunday, 06-Nov-94 08:49:37 GMT", when - 30), 30);
    assert_int_equal(ra("Sun Nov  6 08:49:37 1994", when - 30), 30);
    /* in the past: now */
    assert_int_equal(ra("Sun, 06 Nov 1994 08:49:37 GMT", when + 5), 0);
    assert_int_equal(ra("Sun, 06 Nov 1994 08:49:37 GMT", 0),
                     RESP_RETRY_AFTER_MAX_S);
    assert_int_equal(ra("Sun, 06 Foo 1994 08:49:37 GMT", 0), -1);
    assert_int_equal(ra("Sun, 30 Feb 1994 08:49:37 GMT", 0), -1);
    assert_int_equal(ra("Sun, 06 Nov 1994 24:49:37 GMT", 0), -1);
    assert_int_equal(ra("Sun, 06 Nov 1994 08:49:37 CET", 0), -1);
    assert_int_equal(ra("Sun, 06 Nov 1994 08:49:37", 0), -1);
    assert_int_equal(ra("Sun,", 0), -1);
    assert_int_equal(ra("Sun Nov  6 08:49:37 1994 x", 0), -1);
}

static void
test_transport_body_is_capped(void **state)
{
    struct resp r;
    char big[3000];

    (void)state;
    memset(big, 'x', sizeof(big));
    resp_reset(&r);
    resp_body(&r, big, 1000);
    resp_body(&r, big, sizeof(big));
    assert_int_equal(r.body_len, RESP_BODY_MAX);
    assert_true(r.body_truncated);
    assert_int_equal(r.body[RESP_BODY_MAX], '\0');
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transport_classifies_http_statuses),
        cmocka_unit_test(test_transport_nginx_cert_refusal_is_auth_not_dead),
        cmocka_unit_test(test_transport_classifies_curl_failures),
        cmocka_unit_test(test_transport_status_line_resets_on_each_response),
        cmocka_unit_test(test_transport_retry_after_seconds),
        cmocka_unit_test(test_transport_retry_after_http_dates),
        cmocka_unit_test(test_transport_body_is_capped),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
