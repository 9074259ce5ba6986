/*
 * fuzz_record.c - the msgpack record decoder: record_check must accept
 * exactly what is safe to unpack, record_to_json must print what passed,
 * and msgpack-c's unpacker must never be asked to allocate more than a
 * small multiple of the input after record_check said yes.
 */
#include "collector/collector.h"

#include <msgpack.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct estel_buf out;
    size_t used, off = 0;
    msgpack_unpacked u;

    buf_init(&out, 64u << 20);
    while (off < size) {
        if (record_check(data + off, size - off, &used, NULL) != ESTEL_OK)
            break;
        if (record_to_json(data + off, size - off, &out, &used, NULL)
            != ESTEL_OK)
            abort();            /* checked input must print */
        msgpack_unpacked_init(&u);
        if (msgpack_unpack_next(&u, (const char *)data + off, used, NULL)
            != MSGPACK_UNPACK_SUCCESS)
            abort();            /* and must unpack */
        msgpack_unpacked_destroy(&u);
        buf_clear(&out);
        off += used;
    }
    buf_free(&out);
    return 0;
}
