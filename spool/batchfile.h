/*
 * batchfile.h - the batch file format (private to spool/, reused by the
 * fuzz target and by anything that must parse a batch file from memory).
 *
 * A batch file is a fixed 256-byte header followed by exactly one zstd
 * frame holding the batch's msgpack records, concatenated.  Integers are
 * little-endian.  Kept identical to docs/spool.md.
 *
 *  offset size field
 *  +-----+----+------------------------------------------------------+
 *  |   0 |  8 | magic "ESTLBTCH"                                     |
 *  |   8 |  2 | format version (1)                                   |
 *  |  10 |  2 | header bytes (256 in version 1)                      |
 *  |  12 |  4 | flags (0; a reader refuses unknown bits)             |
 *  |  16 |  8 | first record sequence (lowest "cs" in the batch)     |
 *  |  24 |  8 | last record sequence (highest "cs")                  |
 *  |  32 |  4 | record count (>= 1)                                  |
 *  |  36 |  4 | zstd level the writer used (information only)        |
 *  |  40 |  8 | uncompressed bytes (the concatenated records)        |
 *  |  48 |  8 | zstd frame bytes (= file size - header bytes)        |
 *  |  56 |  8 | created, ns since the Unix epoch (signed)            |
 *  |  64 |  8 | XXH3-64 of the uncompressed records                  |
 *  |  72 |  8 | XXH3-64 of the zstd frame as stored                  |
 *  |  80 |  1 | host id length (0..71)                               |
 *  |  81 | 71 | host id, ASCII, zero padded                          |
 *  | 152 |  1 | boot id length (0..71)                               |
 *  | 153 | 71 | boot id, ASCII, zero padded                          |
 *  | 224 |  8 | lowest sequence the batch's gap records report lost  |
 *  | 232 |  8 | highest sequence they report lost                    |
 *  | 240 |  8 | records they report lost (0: no gap record inside)   |
 *  | 248 |  8 | XXH3-64 of bytes 0..247 (header checksum)            |
 *  +-----+----+------------------------------------------------------+
 *  | 256 |  n | one zstd frame: content size set, content checksum  |
 *  |     |    | on (XXH64 of the content, checked by libzstd)        |
 *  +-----+----+------------------------------------------------------+
 *
 * Bytes 224..247 let the spool evict a batch without losing the loss
 * reports it carries: evicting it reports its own records and these.
 *
 * Three independent checks: the header checksum (cheap, done by every
 * listing), the frame hash (catches on-disk damage without
 * decompressing), and after decompression zstd's content checksum plus
 * our XXH3 of the records (catches a bug or damage anywhere in between).
 *
 * File name (in tmp/, ready/, bad/, dead/): 16 lower-case hex digits each
 * of first sequence, last sequence and created ns, then ".batch":
 *   000000000000002a-0000000000000063-17b2c0a94f3e2d10.batch
 * Sorting names = sorting by first sequence = oldest first; the last
 * sequence in the name lets startup resume numbering from a directory
 * listing alone.
 */
#ifndef ESTEL_SPOOL_BATCHFILE_H
#define ESTEL_SPOOL_BATCHFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common/buf.h"
#include "common/err.h"

#define BATCHFILE_MAGIC "ESTLBTCH"
#define BATCHFILE_VERSION 1
#define BATCHFILE_HEADER_BYTES 256
#define BATCHFILE_ID_MAX 71
/* Sanity ceilings on what a header may claim (sizes are hostile). */
#define BATCHFILE_RAW_MAX ((uint64_t)1 << 30)
#define BATCHFILE_NAME_LEN 56           /* without the NUL */
#define BATCHFILE_SUFFIX ".batch"

struct batchfile_hdr {
    uint16_t version;
    uint16_t header_bytes;
    uint32_t flags;
    uint64_t first_seq;
    uint64_t last_seq;
    uint32_t record_count;
    int32_t level;
    uint64_t raw_bytes;
    uint64_t frame_bytes;
    int64_t created_ns;
    uint64_t records_xxh3;
    uint64_t frame_xxh3;
    char host_id[BATCHFILE_ID_MAX + 1];
    char boot_id[BATCHFILE_ID_MAX + 1];
    uint64_t lost_first_seq;            /* what its gap records report */
    uint64_t lost_last_seq;
    uint64_t lost_records;
};

/* Serialise h into out (fills the header checksum; ids are truncated to
 * BATCHFILE_ID_MAX).  Never fails. */
void batchfile_header_build(uint8_t out[BATCHFILE_HEADER_BYTES],
                            const struct batchfile_hdr *h);

/*
 * Parse and check a header from len bytes at buf (only the first
 * BATCHFILE_HEADER_BYTES are read).  ESTEL_E_CORRUPT with a one-line
 * reason (truncated, magic, checksum, impossible values), or
 * ESTEL_E_UNSUPPORTED for a format version this build does not know.
 */
enum estel_rc batchfile_header_parse(const uint8_t *buf, size_t len,
                                     struct batchfile_hdr *h,
                                     struct estel_err *err);

/*
 * Check a zstd frame against what the header says: exact frame size, frame
 * hash, content size, checksum flag, then decompress (streaming, bounded
 * memory) checking zstd's content checksum and the XXH3 of the records.
 * If raw is not NULL the records are appended to it (its ceiling applies).
 * Thread-safe (no shared state).  ESTEL_E_CORRUPT with a reason.
 */
/* Size, frame hash and zstd frame header only (no decompression): what
 * the uploader checks before sending. */
enum estel_rc batchfile_check_frame_hash(const uint8_t *frame, size_t len,
                                         const struct batchfile_hdr *h,
                                         struct estel_err *err);
enum estel_rc batchfile_check_frame(const uint8_t *frame, size_t len,
                                    const struct batchfile_hdr *h,
                                    struct estel_buf *raw,
                                    struct estel_err *err);

/* A whole file held in memory: header, then frame (fuzzing, ingest). */
enum estel_rc batchfile_verify(const uint8_t *file, size_t len,
                               struct batchfile_hdr *h,
                               struct estel_buf *raw, struct estel_err *err);

/* Decompress one frame without header expectations (ceiling max_raw). */
enum estel_rc batchfile_decompress(const uint8_t *frame, size_t len,
                                   uint64_t max_raw, struct estel_buf *raw,
                                   struct estel_err *err);

/* File names.  format returns false only if size is too small. */
bool batchfile_name_format(char *buf, size_t size, uint64_t first_seq,
                           uint64_t last_seq, int64_t created_ns);
bool batchfile_name_parse(const char *name, uint64_t *first_seq,
                          uint64_t *last_seq, int64_t *created_ns);

#endif
