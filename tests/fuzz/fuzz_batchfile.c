/*
 * fuzz_batchfile.c - the batch file reader (spool/batchfile.h) on hostile
 * bytes: header parse, full verification from memory (frame hash, zstd
 * frame, content checksum, records hash), decompression with a ceiling,
 * file-name parsing and the record "cs" scanner.  Nothing may crash, hang
 * or allocate in proportion to a size the input merely claims.
 */
#include "spool/batchfile.h"
#include "spool/spool.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What a parsed header says must survive a rebuild unchanged. */
static void
roundtrip(const struct batchfile_hdr *h)
{
    uint8_t again[BATCHFILE_HEADER_BYTES];
    struct batchfile_hdr h2;

    batchfile_header_build(again, h);
    if (batchfile_header_parse(again, sizeof(again), &h2, NULL) != ESTEL_OK ||
        h2.first_seq != h->first_seq || h2.last_seq != h->last_seq ||
        h2.record_count != h->record_count ||
        h2.raw_bytes != h->raw_bytes || h2.frame_bytes != h->frame_bytes ||
        h2.records_xxh3 != h->records_xxh3 ||
        h2.lost_first_seq != h->lost_first_seq ||
        h2.lost_records != h->lost_records ||
        strcmp(h2.host_id, h->host_id) != 0 ||
        strcmp(h2.boot_id, h->boot_id) != 0)
        abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct batchfile_hdr h;
    struct estel_buf raw;
    char name[BATCHFILE_NAME_LEN + 1];
    uint64_t f, l, seq;
    int64_t c;

    if (batchfile_header_parse(data, size, &h, NULL) == ESTEL_OK)
        roundtrip(&h);
    buf_init(&raw, 4u << 20);
    if (batchfile_verify(data, size, &h, &raw, NULL) == ESTEL_OK &&
        raw.len != h.raw_bytes)
        abort();                /* verified means exactly what it says */
    buf_clear(&raw);
    (void)batchfile_decompress(data, size, 1u << 20, &raw, NULL);
    buf_free(&raw);
    if (size >= BATCHFILE_NAME_LEN) {
        memcpy(name, data, BATCHFILE_NAME_LEN);
        name[BATCHFILE_NAME_LEN] = '\0';
        if (batchfile_name_parse(name, &f, &l, &c) && f > l)
            abort();
    }
    (void)spool_record_seq(data, size, &seq);
    return 0;
}
