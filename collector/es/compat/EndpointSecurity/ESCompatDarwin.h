/*
 * ESCompatDarwin.h - the Darwin base types Apple's ES headers take from
 * <sys/stat.h>, <sys/mount.h>, <mach/message.h>, <mach/machine.h> and
 * <sys/attr.h>, redefined with Darwin's sizes so the compat es_* structs
 * have Apple's field order and widths on Linux.
 *
 * Linux-only (collector/es/compat/ is on the include path only off Apple).
 * Never put Linux's own struct stat / struct statfs / mode_t / dev_t into
 * an ES struct: they differ (mode_t is 32-bit, dev_t 64-bit, no
 * birthtime/flags/gen, different field order).  The names here carry an
 * es_darwin_ prefix so they cannot collide with glibc's.
 */
#ifndef ESTEL_ES_COMPAT_DARWIN_H
#define ESTEL_ES_COMPAT_DARWIN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>      /* pid_t uid_t gid_t: 32-bit on both systems */
#include <time.h>           /* struct timespec: same LP64 layout */
#include <sys/time.h>       /* struct timeval */

typedef uint16_t es_darwin_mode_t;      /* Darwin mode_t */
typedef int32_t es_darwin_dev_t;        /* Darwin dev_t */
typedef uint16_t es_darwin_nlink_t;     /* Darwin nlink_t */
typedef int32_t es_darwin_blksize_t;
typedef int64_t es_darwin_blkcnt_t;
typedef int64_t es_darwin_off_t;

/* <mach/machine.h> */
typedef int32_t cpu_type_t;
typedef int32_t cpu_subtype_t;
/* <mach/vm_types.h>: user-space addresses as the kernel reports them */
typedef uint64_t user_addr_t;
typedef uint64_t user_size_t;

/* <uuid/uuid.h> (identical to libuuid's typedef, so both may coexist) */
typedef unsigned char uuid_t[16];

/* <sys/acl.h>: opaque to ES clients (never fed to mutating acl calls) */
typedef struct es_darwin_acl *acl_t;

/* <mach/message.h>: libbsm index order auid euid egid ruid rgid pid asid
 * pidversion.  Guarded: bsm/libbsm.h and mach/mach.h need it too. */
#ifndef ESTEL_ES_COMPAT_AUDIT_TOKEN
#define ESTEL_ES_COMPAT_AUDIT_TOKEN
typedef struct {
    unsigned int val[8];
} audit_token_t;
#endif

/*
 * Darwin's 64-bit-inode struct stat (__DARWIN_64_BIT_INO_T), 144 bytes on
 * LP64.  The member names are Darwin's, so es code reads
 * file->stat.st_mtimespec on both systems.
 */
struct es_darwin_stat {
    es_darwin_dev_t st_dev;
    es_darwin_mode_t st_mode;
    es_darwin_nlink_t st_nlink;
    uint64_t st_ino;
    uid_t st_uid;
    gid_t st_gid;
    es_darwin_dev_t st_rdev;
    struct timespec st_atimespec;
    struct timespec st_mtimespec;
    struct timespec st_ctimespec;
    struct timespec st_birthtimespec;
    es_darwin_off_t st_size;
    es_darwin_blkcnt_t st_blocks;
    es_darwin_blksize_t st_blksize;
    uint32_t st_flags;
    uint32_t st_gen;
    int32_t st_lspare;
    int64_t st_qspare[2];
};

#define ES_DARWIN_MFSTYPENAMELEN 16
#define ES_DARWIN_MAXPATHLEN 1024

/* Darwin's 64-bit struct statfs (MOUNT / UNMOUNT / REMOUNT). */
struct es_darwin_statfs {
    uint32_t f_bsize;
    int32_t f_iosize;
    uint64_t f_blocks;
    uint64_t f_bfree;
    uint64_t f_bavail;
    uint64_t f_files;
    uint64_t f_ffree;
    struct {
        int32_t val[2];
    } f_fsid;
    uid_t f_owner;
    uint32_t f_type;
    uint32_t f_flags;
    uint32_t f_fssubtype;
    char f_fstypename[ES_DARWIN_MFSTYPENAMELEN];
    char f_mntonname[ES_DARWIN_MAXPATHLEN];
    char f_mntfromname[ES_DARWIN_MAXPATHLEN];
    uint32_t f_flags_ext;
    uint32_t f_reserved[7];
};

/* <sys/attr.h> struct attrlist (GETATTRLIST / SETATTRLIST / SEARCHFS). */
struct es_darwin_attrlist {
    unsigned short bitmapcount;
    uint16_t reserved;
    uint32_t commonattr;
    uint32_t volattr;
    uint32_t dirattr;
    uint32_t fileattr;
    uint32_t forkattr;
};

/* The layouts the ES kernel interface was built with (LP64). */
_Static_assert(sizeof(audit_token_t) == 32, "audit_token_t is 8 x u32");
_Static_assert(sizeof(struct es_darwin_stat) == 144,
               "Darwin 64-bit-inode struct stat is 144 bytes");
_Static_assert(offsetof(struct es_darwin_stat, st_ino) == 8,
               "st_ino follows dev/mode/nlink");
_Static_assert(offsetof(struct es_darwin_stat, st_atimespec) == 32,
               "timespecs start at 32");
_Static_assert(offsetof(struct es_darwin_stat, st_size) == 96,
               "st_size follows the four timespecs");
_Static_assert(offsetof(struct es_darwin_stat, st_flags) == 116,
               "st_flags after st_blksize");
_Static_assert(sizeof(struct es_darwin_statfs) == 2168,
               "Darwin 64-bit struct statfs is 2168 bytes");
_Static_assert(offsetof(struct es_darwin_statfs, f_mntonname) == 88,
               "f_mntonname after f_fstypename");
_Static_assert(sizeof(struct es_darwin_attrlist) == 24,
               "struct attrlist is 24 bytes");

#endif
