/* cmd_version.c - `estel version`: the version and the libraries in use. */
#include "cli/cli.h"
#include "collector/collector.h"

#include <curl/curl.h>
#include <msgpack.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <zstd.h>

int
cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("estel %s (record schema %d)\n", ESTEL_VERSION,
           ESTEL_SCHEMA_VERSION);
    printf("  libcurl %s\n", curl_version_info(CURLVERSION_NOW)->version);
    printf("  %s\n", OpenSSL_version(OPENSSL_VERSION));
    printf("  zstd %s\n", ZSTD_versionString());
    printf("  msgpack-c %s\n", msgpack_version());
    return 0;
}
