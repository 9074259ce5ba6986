/*
 * spool_int.h - what spool.c (directory, open, index, limits),
 * spool_read.c (reader side) and batcher.c (writer thread) share.
 * Never included from outside spool/.
 *
 * The ready index: an in-memory list of the batches in ready/, sorted by
 * name (= first sequence), built at open from a directory listing (names
 * and sizes only) and kept up to date by the batcher (appends after each
 * rename) and the readers (remove, move to dead/, quarantine).  It lets
 * the uploader find the oldest batch and the batcher evict, without
 * listing the directory again.  Every change to it happens under sp->mu,
 * and whoever takes an entry out of the index owns the file: that is how
 * the uploader and the evictor never both act on one batch.
 */
#ifndef ESTEL_SPOOL_INT_H
#define ESTEL_SPOOL_INT_H

#include <pthread.h>
#include "spool/batchfile.h"
#include "spool/spool.h"

#define SPOOL_LOW_WATER_PCT 90          /* evict down to 90 % of the max */
/* A batch lent to the uploader is not evicted for this long (it is
 * probably on the wire; evicting it would report a false gap). */
#define SPOOL_CLAIM_NS ((int64_t)120 * 1000000000)
#define SPOOL_GAPS_MAX 8
#define SPOOL_LOST_MAX 16               /* dead/bad moves awaiting a gap */

struct ready_ent {
    uint64_t first_seq;
    uint64_t last_seq;
    int64_t created_ns;
    uint64_t file_bytes;
    uint32_t records;                   /* 0: header not read yet */
    int64_t claimed_ns;                 /* mono ns of the last spool_read */
    /* what the batch's gap records report lost (header bytes 224..247) */
    uint64_t lost_first_seq;
    uint64_t lost_last_seq;
    uint64_t lost_records;
};

struct ready_index {
    struct ready_ent *v;
    size_t head;                        /* entries are v[head, head+len) */
    size_t len;
    size_t cap;
};

struct spool {
    struct spool_config cfg;            /* strings point at the copies */
    char *dir;
    char host_id[BATCHFILE_ID_MAX + 1];
    char boot_id[BATCHFILE_ID_MAX + 1];
    int dirfd;
    int tmp_fd;
    int ready_fd;
    int bad_fd;
    int dead_fd;
    struct spool_stats stats;
    uint64_t next_seq;                  /* computed at open */
    _Atomic uint64_t seq_high;          /* highest last_seq on disk/written */

    pthread_mutex_t mu;                 /* index, flags */
    pthread_cond_t cv;
    bool mu_ready;
    struct ready_index idx;
    bool notified;                      /* a batch or a kick since wait */
    pthread_mutex_t marker_mu;          /* the marker file (I/O) */
    uint64_t marker_seq;                /* next_seq floor persisted */
    bool bad_full_logged;
    /* batches moved to dead/ or bad/ by the readers, not yet reported in
     * a gap record by the batcher (under mu) */
    struct spool_gap lost[SPOOL_LOST_MAX];
    size_t nlost;
    /* queued or taken but not yet in a batch file on disk */
    _Atomic uint64_t lost_unwritten;
    _Atomic bool lost_reporter;         /* a batcher exists to write them */
    bool run_marker;                    /* ours is on disk (run_marker.c) */
};

/* ---- record_seq.c ------------------------------------------------------ */

/* "cs" and whether "ev" is "gap", in one pass (the batcher's hot path). */
bool spool_record_head(const uint8_t *rec, size_t len, uint64_t *seq,
                       bool *is_gap);

/* ---- spool.c ----------------------------------------------------------- */

/* Visit the names in dirfd except dot files; fn returns false to stop.
 * A negative dirfd (inspect mode, missing subdirectory) lists nothing. */
enum estel_rc spool_list_dir(int dirfd, const char *what,
                             bool (*fn)(void *ctx, const char *name),
                             void *ctx, struct estel_err *err);

/* Order of ready entries = order of their names. */
int spool_ent_cmp(const void *a, const void *b);

/* A sorted listing of a directory with sizes (tools, bad/ and dead/). */
struct spool_dirfile {
    char *name;
    uint64_t size;
};
struct spool_dirlist {
    int dirfd;
    struct spool_dirfile *v;
    size_t n, cap;
    uint64_t bytes;
    bool oom;
};
enum estel_rc spool_dirlist_load(struct spool_dirlist *l, int dirfd,
                                 const char *what, struct estel_err *err);
void spool_dirlist_free(struct spool_dirlist *l);

/* Append a batch just renamed into ready/ (batcher) and wake readers. */
enum estel_rc spool_index_add(struct spool *sp, const struct ready_ent *e,
                              struct estel_err *err);
/* Copy up to max entries that sort after *after (NULL: from the start). */
size_t spool_index_copy(struct spool *sp, const struct ready_ent *after,
                        struct ready_ent *out, size_t max);
/* Take name's entry out of the index; false if it was not there. */
bool spool_index_take(struct spool *sp, const char *name,
                      struct ready_ent *out);
/* A batch left ready/ for dead/ or bad/ (e: its index entry, or NULL):
 * queue its range for a gap record. */
void spool_note_lost(struct spool *sp, const char *name,
                     const struct ready_ent *e, const char *reason);
void spool_entry_name(const struct ready_ent *e, char *buf, size_t size);

/* Batches taken out of the index by eviction, not yet deleted. */
struct spool_victim {
    struct ready_ent e;
    uint64_t gen;                       /* the batch holding their gap */
};
struct spool_victims {
    struct spool_victim *v;
    size_t n, cap;
    uint64_t gen;                       /* tag for victims added now */
};

/*
 * Evict the oldest batches until ready/ holds at most target_bytes and no
 * batch was created before min_created_ns (0: no age limit).  Batches lent
 * to a reader are skipped.  Reports the lost ranges in gaps[] (at most
 * SPOOL_GAPS_MAX, contiguous runs merged) and returns how many.  With
 * defer, the files are only taken out of the index and appended to it:
 * the caller deletes them (spool_unlink_batches) once the gap records
 * about them are durable, so a crash never loses data without a trace.
 * Without defer they are deleted now (disk full: the space is needed).
 * Batcher thread.
 */
size_t spool_evict(struct spool *sp, uint64_t target_bytes,
                   int64_t min_created_ns, const char *reason,
                   struct spool_gap *gaps, struct spool_victims *defer);
void spool_unlink_batches(struct spool *sp, const struct spool_victim *v,
                          size_t n);
/* Add e's range to gaps[] (merging a contiguous run); returns the count. */
size_t spool_gap_add(struct spool_gap *gaps, size_t n,
                     const struct ready_ent *e, const char *reason);

/* Before a batch file holding last_seq is deleted for good: keep the
 * numbering floor on disk so sequence numbers never repeat. */
void spool_forget_seq(struct spool *sp, uint64_t last_seq);

/* Move ready/name to bad/ (or just report it in inspect mode). */
void spool_quarantine(struct spool *sp, const char *name,
                      const char *reason);
/* Keep dir (bad/ or dead/) under max_bytes, oldest names first. */
void spool_trim_dir(struct spool *sp, int dirfd, const char *what,
                    uint64_t max_bytes, _Atomic uint64_t *bytes);

/* Wake spool_wait_ready(). */
void spool_notify(struct spool *sp);

#endif
