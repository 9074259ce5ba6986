/*
 * spool.h - the crash-safe on-disk queue of compressed batches, and the
 * batcher that fills it.
 *
 * Layout (directory 0700, files 0600, everything opened with openat and
 * O_NOFOLLOW relative to the spool directory fd):
 *   tmp/    batches being written (removed at start)
 *   ready/  closed batches, named so that sorting by name = oldest first
 *   bad/    files that failed verification (bounded, for forensics)
 *   dead/   batches the server rejected permanently (bounded)
 *
 * The batcher thread writes (tmp/ -> fsync -> rename into ready/ -> fsync
 * dir); the uploader thread reads and deletes.  Ownership of a batch file
 * passes at rename(): the writer never touches a file in ready/ again, and
 * a reader that finds a file gone (evicted) just moves on.
 * The batch file format (byte diagram) is in spool/batchfile.h and
 * docs/spool.md.
 */
#ifndef ESTEL_SPOOL_H
#define ESTEL_SPOOL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include "common/buf.h"
#include "common/err.h"
#include "common/ring.h"

#define SPOOL_NAME_MAX 64

struct spool_config {
    const char *dir;
    uint64_t max_bytes;             /* compressed bytes in ready/ */
    uint64_t max_age_s;             /* 0: no age limit */
    uint64_t batch_max_bytes;       /* uncompressed bytes per batch */
    uint32_t batch_max_records;
    uint32_t batch_max_age_ms;
    int compression_level;
    bool full_fsync;                /* F_FULLFSYNC on macOS */
    uint64_t bad_max_bytes;         /* bound on bad/ */
    uint64_t dead_max_bytes;        /* bound on dead/ */
    const char *host_id;            /* written into every batch header */
    const char *boot_id;
    /*
     * Inspect mode (estel spool ls/cat/verify, status): read only.  No
     * lock, no tmp/ cleanup, nothing created, moved or deleted, so a tool
     * never disturbs a running agent's spool.  Writer calls are refused.
     */
    bool inspect;
};

/* What a batch file's header says. */
struct spool_batch_info {
    char name[SPOOL_NAME_MAX];      /* file name inside ready/ */
    char host_id[72];
    char boot_id[72];
    uint64_t first_seq;
    uint64_t last_seq;
    uint32_t record_count;
    uint64_t raw_bytes;             /* uncompressed msgpack bytes */
    uint64_t file_bytes;            /* header + zstd frame on disk */
    int64_t created_ns;
    uint64_t checksum;              /* XXH3-64 of the uncompressed records */
};

struct spool_stats {
    _Atomic uint64_t batches_written;
    _Atomic uint64_t records_written;
    _Atomic uint64_t bytes_written;     /* compressed, on disk */
    _Atomic uint64_t raw_bytes_written;
    _Atomic uint64_t batches_evicted;
    _Atomic uint64_t records_evicted;
    _Atomic uint64_t batches_bad;
    _Atomic uint64_t batches_dead;
    _Atomic uint64_t write_errors;      /* ENOSPC, EIO, ... (retried) */
    _Atomic uint64_t ready_bytes;       /* now in ready/ */
    _Atomic uint64_t ready_batches;
    _Atomic int64_t oldest_ready_ns;    /* created time; 0 if empty */
    /* added by issue 3 (append only) */
    _Atomic uint64_t batches_dropped;   /* held in memory, then lost */
    _Atomic uint64_t records_dropped;   /* (disk full or I/O errors) */
    _Atomic uint64_t records_rejected;  /* not a msgpack map with "cs" */
    _Atomic uint64_t gaps_reported;     /* spool_gap_fn calls */
    _Atomic uint64_t pending_batches;   /* sealed, waiting for the disk */
    _Atomic uint64_t bad_bytes;         /* now in bad/ */
    _Atomic uint64_t dead_bytes;        /* now in dead/ */
};

struct spool;

/*
 * Open (creating if needed) the spool at cfg->dir: check ownership and
 * mode (refuse a symlink, or a directory writable by others), create the
 * subdirectories, remove leftovers in tmp/, and list ready/ (names and
 * sizes only: a 1 GiB backlog is not read).  Borrows cfg's strings.
 */
enum estel_rc spool_open(struct spool **out, const struct spool_config *cfg,
                         struct estel_err *err);
void spool_close(struct spool **sp);

/* First collector sequence number after the highest one on disk. */
uint64_t spool_next_seq(const struct spool *sp);
struct spool_stats *spool_stats(struct spool *sp);

/* ---- the run marker: did the last agent stop cleanly? ------------------ */

struct spool_prev_run {
    uint64_t crashes;               /* unclean stops not yet reported in
                                       the stream; 0: the last stop was
                                       clean */
    uint64_t report_seq;            /* the number the report must have:
                                       the first record of this run */
    int64_t pid;                    /* the last run's pid (0: unknown) */
    int64_t started_ns;             /* its start, wall clock (0: unknown) */
    int64_t last_sealed_ns;         /* created time of the newest batch in
                                       ready/ (0: none there) */
};
/*
 * Writer only, before the pipeline starts: read the marker file "run" the
 * last agent left (an orderly stop removes it), then write ours.  When
 * prev->crashes > 0 the caller must make its report (a gap record, reason
 * "crash") the run's first record, number prev->report_seq: a crash that
 * strikes before that number is on disk is carried over to the next
 * start.  Failing to write the marker is logged, not fatal.
 * ESTEL_E_USAGE in inspect mode.
 */
enum estel_rc spool_begin_run(struct spool *sp, int64_t started_ns,
                              struct spool_prev_run *prev,
                              struct estel_err *err);
/* Orderly stop, after the batcher sealed its last batch: remove the
 * marker. */
void spool_end_run(struct spool *sp);

/* ---- writer side: the batcher (one thread) ----------------------------- */

/* A range of records lost to eviction, for the gap record. */
struct spool_gap {
    uint64_t first_seq;
    uint64_t last_seq;
    uint64_t records;
    uint64_t batches;
    const char *reason;             /* "spool_full", "spool_max_age",
                                       "disk_full", "io_error",
                                       "rejected", "corrupt" */
};
/*
 * Called on the batcher thread when records were lost; it encodes a gap
 * record and returns it (borrowed until the next call) so the batcher puts
 * it into the current batch.  Returns 0 when there is nothing to add.
 */
typedef size_t spool_gap_fn(void *ctx, const struct spool_gap *gap,
                            const uint8_t **rec);
/*
 * Batches the readers moved to dead/ ("rejected") or bad/ ("corrupt"),
 * oldest first, up to max; each is taken once.  The batcher calls this at
 * its tick and reports them with spool_gap_fn.
 */
size_t spool_take_lost(struct spool *sp, struct spool_gap *out, size_t max);
/*
 * How many of them are not yet in a batch file on disk: queued, or taken
 * and waiting for their batch to be written (spool_lost_written).  A
 * draining uploader reads it before looking for batches, and stays while
 * it is not 0, so the gap record for its own last refusal still goes out.
 * Always 0 while no batcher exists on this spool.
 */
uint64_t spool_lost_unwritten(struct spool *sp);
void spool_lost_written(struct spool *sp, size_t n);

/*
 * Called on the batcher thread about once a second (also while idle); may
 * return one record (borrowed until the next call) to add to the open
 * batch, or 0.  The runtime makes its periodic "status" records here,
 * because only the source thread may push into the ring.
 */
typedef size_t spool_tick_fn(void *ctx, const uint8_t **rec);

struct batcher;
enum estel_rc batcher_create(struct batcher **out, struct spool *sp,
                             struct ring *ring, spool_gap_fn *on_gap,
                             void *gap_ctx, struct estel_err *err);
void batcher_destroy(struct batcher **b);
void batcher_set_tick(struct batcher *b, spool_tick_fn *fn, void *ctx);
/*
 * Thread body: take records from the ring, close a batch on size, count or
 * age, compress, write.  Returns when the ring is finished (closed and
 * drained; the last batch is sealed) or batcher_stop() was called.
 */
enum estel_rc batcher_run(struct batcher *b, struct estel_err *err);
void batcher_stop(struct batcher *b);           /* any thread */
/*
 * After batcher_run, in a --drain run: until *done or batcher_stop, turn
 * batches the uploader refuses into gap records in batch files of their
 * own (the open batch is gone by then).  Batcher thread.
 */
void batcher_report_lost_until(struct batcher *b, const _Atomic bool *done);
/* Seal the open batch at the next chance (e.g. uploader idle). */
void batcher_flush_soon(struct batcher *b);     /* any thread */

/* ---- reader side: the uploader and tools ------------------------------ */

/*
 * The oldest batch in ready/ (header read and checked, payload not).
 * ESTEL_E_EOF when ready/ is empty.  A file whose header fails its checks
 * is moved to bad/ (counted, logged) and the next one is tried.
 */
enum estel_rc spool_oldest(struct spool *sp, struct spool_batch_info *info,
                           struct estel_err *err);
/*
 * Read batch name's zstd frame into frame (exactly the bytes that go on the
 * wire) and verify it: header, size, XXH3 of the frame, zstd frame header
 * (no decompression: `spool verify` and spool_verify_file do the full
 * check with zstd's checksum and the records hash).
 * ESTEL_E_CORRUPT: the file was moved to bad/; ESTEL_E_EOF: it is gone.
 */
enum estel_rc spool_read(struct spool *sp, const char *name,
                         struct estel_buf *frame,
                         struct spool_batch_info *info,
                         struct estel_err *err);
/* The server has it: delete from ready/ (and fsync the directory). */
enum estel_rc spool_remove(struct spool *sp, const char *name,
                           struct estel_err *err);
/* The server refused it for good: move to dead/ with a reason file. */
enum estel_rc spool_move_dead(struct spool *sp, const char *name,
                              const char *reason, struct estel_err *err);
/* Block until a new batch is ready, the spool is kicked, or timeout. */
void spool_wait_ready(struct spool *sp, int64_t timeout_ms);
void spool_kick(struct spool *sp);              /* any thread */

/*
 * Visit every batch in ready/ oldest first (tools: ls, cat, verify; the
 * uploader's queue).  check is the result of the header checks (and with
 * verify_payload, of the full verification); problem says what failed.
 * Nothing is moved.  A visitor's non-OK return stops the walk and is
 * returned.  The agent's own spool walks its in-memory index (cheap for a
 * deep backlog, stop early by returning non-OK); an inspect-mode spool
 * lists the directory, so tools also see files that are not batches.
 */
typedef enum estel_rc spool_visit_fn(void *ctx,
                                     const struct spool_batch_info *info,
                                     enum estel_rc check,
                                     const char *problem);
enum estel_rc spool_foreach(struct spool *sp, bool verify_payload,
                            spool_visit_fn *fn, void *ctx,
                            struct estel_err *err);

/*
 * Read a record's collector sequence number ("cs") without decoding it:
 * fast path for the collector's key order ("v", "ev", "cs" first), then a
 * bounds-checked scan.  False if rec is not a map with an unsigned "cs".
 */
bool spool_record_seq(const uint8_t *rec, size_t len, uint64_t *seq);

/*
 * Verify a whole batch file held in memory (header, frame, checksums; e.g.
 * a file from bad/ or dead/ given to `estel spool cat`).  Fills info
 * (name left empty) and, if raw is not NULL, appends the records to it.
 * ESTEL_E_CORRUPT or ESTEL_E_UNSUPPORTED with the reason.  Any thread.
 */
enum estel_rc spool_verify_file(const void *file, size_t len,
                                struct spool_batch_info *info,
                                struct estel_buf *raw,
                                struct estel_err *err);

/*
 * A gap record ("ev" is "gap", its "e" map holds unsigned first_seq,
 * last_seq and count): the spool keeps what such records report when it
 * must evict the batch holding them, so no loss report is ever lost.
 */
struct spool_record_gap {
    uint64_t first_seq;
    uint64_t last_seq;
    uint64_t records;
};
bool spool_record_gap(const uint8_t *rec, size_t len,
                      struct spool_record_gap *g);

/* Decompress a verified frame into records (msgpack, concatenated). */
enum estel_rc spool_decompress(const void *frame, size_t len,
                               uint64_t max_raw_bytes, struct estel_buf *raw,
                               struct estel_err *err);

#endif
