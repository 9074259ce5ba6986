/*
 * synthetic.c - a deterministic generator of realistic macOS events, for
 * demos and benchmarks: the project's own sample stream.
 *
 * The mix follows what a busy Mac looks like to ES (and the peer benchmark
 * corpus in shared/bench/peer): exec, fork and exit 15 % each, close with
 * modified=true 30 %, create 10 %, rename 5 %, unlink 10 %.  Processes come
 * from a table of real macOS binaries with their signing ids and teams;
 * paths look like user, cache and temp paths.  The same seed gives the same
 * events (xorshift64*), so runs and benchmarks are comparable.
 */
#include "collector/collector.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct binary {
    const char *path;
    const char *signing_id;
    const char *team_id;            /* NULL: platform binary */
    const char *argv[6];
};

static const struct binary binaries[] = {
    { "/bin/zsh", "com.apple.zsh", NULL, { "-zsh", NULL } },
    { "/bin/bash", "com.apple.bash", NULL, { "bash", "-c", "echo ok",
                                              NULL } },
    { "/usr/bin/git", "com.apple.git", NULL, { "git", "status",
                                                "--porcelain", NULL } },
    { "/usr/bin/curl", "com.apple.curl", NULL,
      { "curl", "-fsSL", "https://example.com/install.sh", NULL } },
    { "/usr/bin/python3", "com.apple.python3", NULL,
      { "python3", "-m", "pip", "install", "requests", NULL } },
    { "/usr/libexec/xpcproxy", "com.apple.xpc.proxy", NULL,
      { "xpcproxy", "com.apple.mdworker.shared", NULL } },
    { "/System/Library/Frameworks/CoreServices.framework/Frameworks/"
      "Metadata.framework/Versions/A/Support/mdworker_shared",
      "com.apple.mdworker_shared", NULL,
      { "/System/Library/Frameworks/CoreServices.framework/mdworker_shared",
        "-s", "mdworker", "-c", "MDSImporterWorker", NULL } },
    { "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
      "com.google.Chrome", "EQHXZ8M8AV",
      { "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
        "--type=renderer", "--lang=en-US", NULL } },
    { "/Applications/Slack.app/Contents/MacOS/Slack", "com.tinyspeck."
      "slackmacgap", "BQR82RBBHL", { "Slack", "--enable-crashpad", NULL } },
    { "/usr/local/bin/node", "node", NULL,
      { "node", "/Users/alice/src/app/node_modules/.bin/vite", "build",
        NULL } },
    { "/usr/bin/clang", "com.apple.clang", NULL,
      { "clang", "-c", "-O2", "main.c", "-o", NULL } },
    { "/usr/sbin/softwareupdate", "com.apple.softwareupdate", NULL,
      { "softwareupdate", "--list", NULL } },
};
#define NBINARIES (sizeof(binaries) / sizeof(binaries[0]))

static const char *const users[] = { "alice", "bob", "carol", "dave" };
static const char *const dirs[] = {
    "/Users/%s/Library/Caches/com.apple.Safari",
    "/Users/%s/Documents/projects/estel/build",
    "/Users/%s/Downloads",
    "/private/var/folders/zz/zyxvpxvq6csfxvn_n0000000000000/T",
    "/Users/%s/Library/Application Support/Slack/IndexedDB",
    "/Library/Caches/com.apple.iconservices.store",
};
static const char *const exts[] = { ".tmp", ".json", ".sqlite-wal", ".o",
                                    ".plist", ".log", ".zip", "" };

#define NPROCS 64
#define NDIRS (sizeof(dirs) / sizeof(dirs[0]))
#define NUSERS (sizeof(users) / sizeof(users[0]))
#define NEXTS (sizeof(exts) / sizeof(exts[0]))
#define DAY_NS (86400LL * 1000000000LL)

struct sproc {
    int32_t pid, pidversion, ppid;
    uint32_t uid;
    size_t bin;
    size_t cdbin;                   /* the binary its cdhash came from */
    int64_t start_ns;
};

/* The tables above with their lengths, and the formatted directories:
 * worked out once so that an event costs copies, not formatting. */
struct sbin {
    struct ev_str path, signing_id, team_id;
    struct ev_str argv[6];
    size_t argc;
    uint8_t cdhash[20];
};

struct sdir {
    char s[96];
    size_t len;
};

struct synthetic_gen {
    uint64_t state;
    uint64_t n;
    int64_t now_ns;
    uint64_t mach_time;
    uint64_t global_seq;
    uint64_t seq[16];
    int32_t next_pid;
    struct sproc procs[NPROCS];
    struct sbin bins[NBINARIES];
    struct sdir dirs[NDIRS][NUSERS];
    struct sdir cwds[NUSERS];
    struct ev_str exts[NEXTS];
    char path_a[128], path_b[128];
};

static uint64_t
rnd(struct synthetic_gen *g)
{
    g->state ^= g->state >> 12;
    g->state ^= g->state << 25;
    g->state ^= g->state >> 27;
    return g->state * 0x2545F4914F6CDD1Dull;
}

static uint32_t
pick(struct synthetic_gen *g, uint32_t n)
{
    return (uint32_t)((rnd(g) >> 11) % n);
}

static void
new_proc(struct synthetic_gen *g, struct sproc *p, int32_t ppid)
{
    p->pid = g->next_pid++;
    if (g->next_pid > 99999)
        g->next_pid = 300;
    p->pidversion = (int32_t)(100000 + pick(g, 900000));
    p->ppid = ppid;
    p->uid = pick(g, 4) == 0 ? 0 : 501;
    p->bin = p->cdbin = pick(g, NBINARIES);
    p->start_ns = g->now_ns;
}

static void
set_dir(struct sdir *d, const char *fmt, const char *user)
{
    int n = snprintf(d->s, sizeof(d->s), fmt, user);

    d->len = n > 0 && (size_t)n < sizeof(d->s) ? (size_t)n : 0;
}

static void
make_tables(struct synthetic_gen *g)
{
    for (size_t i = 0; i < NBINARIES; i++) {
        const struct binary *b = &binaries[i];
        struct sbin *sb = &g->bins[i];

        sb->path = ev_cstr(b->path);
        sb->signing_id = ev_cstr(b->signing_id);
        sb->team_id = ev_cstr(b->team_id);
        for (sb->argc = 0; sb->argc < 6 && b->argv[sb->argc] != NULL;
             sb->argc++)
            sb->argv[sb->argc] = ev_cstr(b->argv[sb->argc]);
        for (size_t k = 0; k < sizeof(sb->cdhash); k++)
            sb->cdhash[k] = (uint8_t)(i * 31 + k * 7);
    }
    for (size_t d = 0; d < NDIRS; d++)
        for (size_t u = 0; u < NUSERS; u++)
            set_dir(&g->dirs[d][u], dirs[d], users[u]);
    for (size_t u = 0; u < NUSERS; u++)
        set_dir(&g->cwds[u], "/Users/%s/src/app", users[u]);
    for (size_t i = 0; i < NEXTS; i++)
        g->exts[i] = ev_cstr(exts[i]);
}

enum estel_rc
synthetic_create(struct synthetic_gen **out, uint64_t seed,
                 struct estel_err *err)
{
    struct synthetic_gen *g;

    if ((g = calloc(1, sizeof(*g))) == NULL)
        return estel_fail(err, ESTEL_E_NOMEM, "synthetic: out of memory");
    make_tables(g);
    g->state = seed * 0x9E3779B97F4A7C15ull + 0x1234567;
    if (g->state == 0)
        g->state = 1;
    g->now_ns = 1767225600LL * 1000000000LL;    /* 2026-01-01T00:00:00Z */
    g->mach_time = 1000000000ull + (seed % 1000) * 1000;
    g->next_pid = 400;
    for (size_t i = 0; i < NPROCS; i++)
        new_proc(g, &g->procs[i], 1);
    *out = g;
    return ESTEL_OK;
}

void
synthetic_destroy(struct synthetic_gen **g)
{
    if (g == NULL)
        return;
    free(*g);
    *g = NULL;
}

static void
fill_file(struct ev_file *f, struct ev_str path, uint32_t mode, uint32_t uid,
          int64_t size, int64_t t_ns, uint64_t ino)
{
    f->path = path;
    f->path_truncated = false;
    f->has_stat = true;
    f->stat.dev = 16777234;
    f->stat.ino = ino;
    f->stat.mode = mode;
    f->stat.nlink = 1;
    f->stat.uid = uid;
    f->stat.gid = 20;
    f->stat.size = size;
    f->stat.flags = 0;
    f->stat.mtime_ns = t_ns;
    f->stat.ctime_ns = t_ns;
    f->stat.btime_ns = t_ns - DAY_NS;
}

/* p is zeroed (ev_reset / ev_add_proc): only the set fields are written. */
static void
fill_proc(struct synthetic_gen *g, struct ev_process *p,
          const struct sproc *s)
{
    const struct sbin *sb = &g->bins[s->bin];
    bool platform = sb->team_id.ptr == NULL;

    p->token.auid = s->uid == 0 ? 4294967295u : s->uid;
    p->token.euid = p->token.ruid = s->uid;
    p->token.egid = p->token.rgid = 20;
    p->token.pid = s->pid;
    p->token.asid = 100017;
    p->token.pidversion = s->pidversion;
    p->ppid = p->original_ppid = s->ppid;
    p->group_id = s->pid;
    p->session_id = s->ppid > 1 ? s->ppid : s->pid;
    p->cs_flags = platform ? 0x26000a03u : 0x22010301u;
    p->is_platform_binary = platform;
    p->has_cdhash = true;
    memcpy(p->cdhash, g->bins[s->cdbin].cdhash, sizeof(p->cdhash));
    p->signing_id = sb->signing_id;
    p->team_id = sb->team_id;
    fill_file(&p->executable, sb->path, 0100755, 0, 1048576 + s->bin * 4096,
              g->now_ns - 30 * DAY_NS, 1000 + s->bin);
    p->has_start_time = true;
    p->start_time_ns = s->start_ns;
    p->has_parent_tokens = true;
    p->responsible = p->token;
    p->parent = p->token;
    p->parent.pid = s->ppid;
    p->parent.pidversion = s->ppid * 7;
}

static size_t
put(char *dst, const char *src, size_t n)
{
    memcpy(dst, src, n);
    return n;
}

/* "<dir>/f<5 digits><ext>" into out; the picks are made in the order
 * dir, user, number, extension (the stream depends on it). */
static size_t
make_path(struct synthetic_gen *g, char *out, const struct sdir **dir,
          struct ev_str *name)
{
    uint32_t di = pick(g, NDIRS);
    const struct sdir *d = &g->dirs[di][pick(g, NUSERS)];
    uint32_t num = pick(g, 50000);
    struct ev_str ext = g->exts[pick(g, NEXTS)];
    size_t n = put(out, d->s, d->len);

    out[n++] = '/';
    name->ptr = out + n;
    out[n++] = 'f';
    for (int i = 4; i >= 0; i--, num /= 10)
        out[n + (size_t)i] = (char)('0' + num % 10);
    n += 5;
    n += put(out + n, ext.ptr, ext.len);
    name->len = (size_t)(out + n - name->ptr);
    out[n] = '\0';
    *dir = d;
    return n;
}

static void
gen_exec(struct synthetic_gen *g, struct estel_event *ev, struct sproc *s)
{
    const struct sbin *sb;
    const struct sdir *cwd_dir;
    struct ev_process *target;
    struct ev_file *cwd;
    struct ev_strs args;

    /* exec replaces the image: same pid, new pidversion and binary */
    s->pidversion++;
    s->bin = pick(g, NBINARIES);
    sb = &g->bins[s->bin];
    if ((target = ev_add_proc(ev, "target")) != NULL)
        fill_proc(g, target, s);
    args.items = sb->argv;
    args.stored = args.count = sb->argc;
    ev_add_strs(ev, "args", args);
    cwd_dir = &g->cwds[s->pid % 4];
    if ((cwd = ev_add_file(ev, "cwd")) != NULL)
        fill_file(cwd, (struct ev_str){ cwd_dir->s, cwd_dir->len }, 040755,
                  501, 2624, g->now_ns, 539935);
    ev_add_str(ev, "dyld_exec_path", sb->path);
    ev_add_int(ev, "last_fd", 3);
    ev_add_int(ev, "image_cputype", 16777228);
    ev_add_int(ev, "image_cpusubtype", -2147483646);
}

static void
gen_fork(struct synthetic_gen *g, struct estel_event *ev, struct sproc *s)
{
    struct sproc *slot = &g->procs[pick(g, NPROCS)];
    struct ev_process *child;

    if (slot == s)
        return;
    new_proc(g, slot, s->pid);
    slot->bin = s->bin;
    if ((child = ev_add_proc(ev, "child")) != NULL)
        fill_proc(g, child, slot);
}

static void
gen_file(struct synthetic_gen *g, struct estel_event *ev, uint32_t type,
         const struct sproc *s)
{
    struct ev_file *f;
    uint64_t ino = 2000000 + pick(g, 1000000);
    const struct sdir *da, *db;
    struct ev_str path_a, dir_a, name_a, name_b;

    path_a.ptr = g->path_a;
    path_a.len = make_path(g, g->path_a, &da, &name_a);
    dir_a.ptr = da->s;
    dir_a.len = da->len;
    switch (type) {
    case 12:    /* close */
        ev_add_bool(ev, "modified", true);
        if ((f = ev_add_file(ev, "target")) != NULL)
            fill_file(f, path_a, 0100644, s->uid, pick(g, 1 << 20),
                      g->now_ns, ino);
        ev_add_bool(ev, "was_mapped_writable", false);
        break;
    case 13:    /* create */
        ev_add_int(ev, "destination_type", 0);
        if ((f = ev_add_file(ev, "destination")) != NULL)
            fill_file(f, path_a, 0100644, s->uid, 0, g->now_ns, ino);
        break;
    case 25:    /* rename */
        if ((f = ev_add_file(ev, "source")) != NULL)
            fill_file(f, path_a, 0100644, s->uid, pick(g, 65536),
                      g->now_ns, ino);
        ev_add_int(ev, "destination_type", 1);
        (void)make_path(g, g->path_b, &db, &name_b);
        if ((f = ev_add_file(ev, "dir")) != NULL)
            fill_file(f, dir_a, 040755, s->uid, 4096, g->now_ns, ino / 2);
        ev_add_str(ev, "filename", name_b);
        break;
    default:    /* unlink */
        if ((f = ev_add_file(ev, "target")) != NULL)
            fill_file(f, path_a, 0100644, s->uid, pick(g, 65536),
                      g->now_ns, ino);
        if ((f = ev_add_file(ev, "parent_dir")) != NULL)
            fill_file(f, dir_a, 040755, s->uid, 4096, g->now_ns, ino / 2);
        break;
    }
}

static uint32_t
pick_type(struct synthetic_gen *g)
{
    uint32_t r = pick(g, 100);

    if (r < 15) return 9;       /* exec */
    if (r < 30) return 11;      /* fork */
    if (r < 45) return 15;      /* exit */
    if (r < 75) return 12;      /* close, modified */
    if (r < 85) return 13;      /* create */
    if (r < 90) return 25;      /* rename */
    return 32;                  /* unlink */
}

void
synthetic_next(struct synthetic_gen *g, struct estel_event *ev)
{
    struct sproc *s = &g->procs[pick(g, NPROCS)];
    uint32_t type = pick_type(g);

    ev_reset(ev);
    g->n++;
    g->now_ns += 100000 + pick(g, 900000);          /* 0.1 .. 1 ms apart */
    g->mach_time += 2400 + pick(g, 24000);
    ev->type = type;
    ev->version = 9;
    ev->time_ns = g->now_ns;
    ev->mach_time = g->mach_time;
    ev->has_seq = true;
    ev->seq_num = g->seq[type % 16]++;
    ev->has_global_seq = true;
    ev->global_seq_num = g->global_seq++;
    ev->has_thread = true;
    ev->thread_id = 1000000 + (uint64_t)s->pid * 10;
    fill_proc(g, &ev->process, s);
    switch (type) {
    case 9:
        gen_exec(g, ev, s);
        break;
    case 11:
        gen_fork(g, ev, s);
        break;
    case 15:
        ev_add_int(ev, "stat", pick(g, 10) == 0 ? 256 : 0);
        new_proc(g, s, 1);      /* the slot is reused by a new process */
        break;
    default:
        gen_file(g, ev, type, s);
    }
}
