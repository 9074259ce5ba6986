/*
 * fake_msg.c - the message builder's memory and the pieces every event
 * uses (strings, files, processes, exec args), plus the ES message
 * functions that need to know how a fake message is laid out:
 * es_retain_message/es_release_message and the exec accessors.
 *
 * Layout: one calloc'ed es_message_t followed by one uint64_t of
 * "opaque" space that holds the owning struct fake_msg *, the way Apple
 * packs args/env/fds after the message.  Everything else lives in the
 * owner's arena (a chain of chunks freed together).
 */
#include "collector/es/fake/fake_msg.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAKE_MSG_MAGIC 0x666b6d73u     /* "fkms" */
#define CHUNK_MIN 4096
#define POISON '#'

struct chunk {
    struct chunk *next;
    size_t used;
    size_t size;
    _Alignas(16) unsigned char data[];
};

struct strvec {
    es_string_token_t *v;
    uint32_t n;
    uint32_t cap;
};

struct fake_msg {
    uint32_t magic;
    _Atomic int refs;
    struct chunk *chunks;
    struct strvec args;
    struct strvec env;
    es_fd_t *fds;
    uint32_t nfds;
    uint32_t fds_cap;
};

static _Atomic size_t live_msgs;
static _Atomic uint64_t msg_serial;

static void *
xcalloc(size_t n, size_t size)
{
    void *p = calloc(n, size);

    if (p == NULL) {
        fprintf(stderr, "fake_msg: out of memory\n");
        abort();
    }
    return p;
}

static struct fake_msg *
owner(const es_message_t *m)
{
    struct fake_msg *f;

    memcpy(&f, m->opaque, sizeof(f));
    if (f == NULL || f->magic != FAKE_MSG_MAGIC) {
        fprintf(stderr, "fake_msg: not a fake message\n");
        abort();
    }
    return f;
}

static const es_message_t *
exec_msg(const es_event_exec_t *event)
{
    return (const es_message_t *)(const void *)
        ((const char *)event - offsetof(es_message_t, event.exec));
}

void *
fake_msg_alloc(es_message_t *m, size_t n)
{
    struct fake_msg *f = owner(m);
    struct chunk *c = f->chunks;
    void *p;

    n = (n + 15) & ~(size_t)15;
    if (c == NULL || c->size - c->used < n) {
        size_t size = n > CHUNK_MIN ? n : CHUNK_MIN;

        c = xcalloc(1, sizeof(*c) + size);
        c->size = size;
        c->next = f->chunks;
        f->chunks = c;
    }
    p = c->data + c->used;
    c->used += n;
    return p;
}

es_string_token_t
fake_msg_bytes(es_message_t *m, const void *p, size_t n)
{
    es_string_token_t t;
    char *d = fake_msg_alloc(m, n + 1);

    if (n > 0)
        memcpy(d, p, n);
    d[n] = POISON;      /* not NUL: readers must use the length */
    t.length = n;
    t.data = d;
    return t;
}

es_string_token_t
fake_msg_str(es_message_t *m, const char *s)
{
    es_string_token_t none = { 0, NULL };

    if (s == NULL)
        return none;
    return fake_msg_bytes(m, s, strlen(s));
}

es_string_token_t *
fake_msg_strv(es_message_t *m, const char *const *v, size_t n)
{
    es_string_token_t *a = fake_msg_alloc(m, (n + 1) * sizeof(*a));

    for (size_t i = 0; i < n; i++)
        a[i] = fake_msg_str(m, v[i]);
    return a;
}

static uint64_t
hash_bytes(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t h = 1469598103934665603ull;

    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

static bool
contains(const unsigned char *p, size_t n, const char *needle)
{
    size_t k = strlen(needle);

    for (size_t i = 0; k <= n && i <= n - k; i++)
        if (memcmp(p + i, needle, k) == 0)
            return true;
    return false;
}

static bool
ends_with(const unsigned char *p, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);

    return n >= k && memcmp(p + n - k, suffix, k) == 0;
}

static void
fill_stat(struct es_darwin_stat *st, const unsigned char *p, size_t n,
          bool dir)
{
    uint64_t h = hash_bytes(p, n);
    bool exe = ends_with(p, n, "sh") || contains(p, n, "/bin/") ||
               contains(p, n, ".app/");

    st->st_dev = 16777234;
    st->st_mode = dir ? 040755 : exe ? 0100755 : 0100644;
    st->st_nlink = dir ? 12 : 1;
    st->st_ino = 1000000 + h % 100000000;
    st->st_uid = contains(p, n, "/Users/") ? 501 : 0;
    st->st_gid = st->st_uid == 0 ? 0 : 20;
    st->st_atimespec.tv_sec = 1754000000;
    st->st_atimespec.tv_nsec = 111111111;
    st->st_mtimespec.tv_sec = 1753000000;
    st->st_mtimespec.tv_nsec = 222222222;
    st->st_ctimespec.tv_sec = 1753500000;
    st->st_ctimespec.tv_nsec = 333333333;
    st->st_birthtimespec.tv_sec = 1750000000;
    st->st_birthtimespec.tv_nsec = 444444444;
    st->st_size = dir ? 736 : (int64_t)(h % 5000000);
    st->st_blocks = st->st_size / 512 + 1;
    st->st_blksize = 4096;
    st->st_flags = exe ? 0x80000 : 0;  /* SF_RESTRICTED-like on system bins */
    st->st_gen = 0;
}

es_file_t *
fake_msg_file_bytes(es_message_t *m, const void *path, size_t n)
{
    es_file_t *f = fake_msg_alloc(m, sizeof(*f));
    const unsigned char *p = path;
    bool dir = n > 1 && p[n - 1] == '/';

    if (dir)
        n--;        /* "/tmp/" asks for a directory called /tmp */
    f->path = fake_msg_bytes(m, p, n);
    f->path_truncated = false;
    fill_stat(&f->stat, p, n, dir || n == 1);
    return f;
}

es_file_t *
fake_msg_file(es_message_t *m, const char *path)
{
    return fake_msg_file_bytes(m, path, strlen(path));
}

static void
make_token(audit_token_t *t, uid_t uid, gid_t gid, pid_t pid, int pidver)
{
    t->val[0] = uid == 0 ? 4294967295u : uid;   /* daemons: no audit user */
    t->val[1] = uid;
    t->val[2] = gid;
    t->val[3] = uid;
    t->val[4] = gid;
    t->val[5] = (unsigned int)pid;
    t->val[6] = 100017;
    t->val[7] = (unsigned int)pidver;
}

es_process_t *
fake_msg_proc(es_message_t *m, const struct fake_proc *spec)
{
    es_process_t *p = fake_msg_alloc(m, sizeof(*p));
    pid_t pid = spec->pid != 0 ? spec->pid : 4242;
    int pidver = spec->pidversion != 0 ? spec->pidversion : 77001;
    pid_t ppid = spec->ppid != 0 ? spec->ppid : 1;

    make_token(&p->audit_token, spec->uid, spec->gid, pid, pidver);
    p->ppid = ppid;
    p->original_ppid = ppid;
    p->group_id = pid;
    p->session_id = ppid == 1 ? pid : ppid;
    p->codesigning_flags = spec->platform ? 637623057u : 570556931u;
    p->is_platform_binary = spec->platform;
    p->is_es_client = false;
    for (size_t i = 0; i < sizeof(p->cdhash); i++)
        p->cdhash[i] = (uint8_t)(pid * 31 + (int)i * 7);
    p->signing_id = fake_msg_str(m, spec->signing_id != NULL ?
                                 spec->signing_id : "com.apple.zsh");
    p->team_id = fake_msg_str(m, spec->team_id);
    p->executable = fake_msg_file(m, spec->exe != NULL ? spec->exe :
                                  "/bin/zsh");
    p->tty = spec->tty != NULL ? fake_msg_file(m, spec->tty) : NULL;
    p->start_time.tv_sec = 1754500000;
    p->start_time.tv_usec = 654321;
    make_token(&p->responsible_audit_token, spec->uid, spec->gid, pid,
               pidver);
    make_token(&p->parent_audit_token, 0, 0, ppid, 1029);
    p->cs_validation_category = spec->platform ?
        ES_CS_VALIDATION_CATEGORY_PLATFORM :
        ES_CS_VALIDATION_CATEGORY_DEVELOPER_ID;
    return p;
}

void
fake_msg_set_actor(es_message_t *m, const struct fake_proc *spec)
{
    m->process = fake_msg_proc(m, spec);
}

es_message_t *
fake_msg_new(es_event_type_t type, uint32_t version)
{
    static const struct fake_proc actor = {
        .pid = 4242, .pidversion = 77001, .uid = 501, .gid = 20,
        .ppid = 4200, .exe = "/bin/zsh", .signing_id = "com.apple.zsh",
        .tty = "/dev/ttys003", .platform = true
    };
    es_message_t *m = xcalloc(1, sizeof(*m) + sizeof(uint64_t));
    struct fake_msg *f = xcalloc(1, sizeof(*f));
    uint64_t n = atomic_fetch_add(&msg_serial, 1);

    f->magic = FAKE_MSG_MAGIC;
    atomic_init(&f->refs, 1);
    memcpy(m->opaque, &f, sizeof(f));
    atomic_fetch_add(&live_msgs, 1);

    m->version = version;
    m->time.tv_sec = 1754550000 + (time_t)(n % 100000);
    m->time.tv_nsec = 123456789;
    m->mach_time = 318342459586ull + n * 1000;
    m->process = fake_msg_proc(m, &actor);
    m->action_type = ES_ACTION_TYPE_NOTIFY;
    m->action.notify.result_type = ES_RESULT_TYPE_AUTH;
    m->action.notify.result.auth = ES_AUTH_RESULT_ALLOW;
    m->event_type = type;
    m->thread = fake_msg_alloc(m, sizeof(*m->thread));
    m->thread->thread_id = 339060 + n;
    return m;
}

static void
free_msg(es_message_t *m)
{
    struct fake_msg *f = owner(m);

    while (f->chunks != NULL) {
        struct chunk *next = f->chunks->next;

        free(f->chunks);
        f->chunks = next;
    }
    free(f->args.v);
    free(f->env.v);
    free(f->fds);
    f->magic = 0;
    free(f);
    free(m);
    atomic_fetch_sub(&live_msgs, 1);
}

void
es_retain_message(const es_message_t *msg)
{
    atomic_fetch_add(&owner(msg)->refs, 1);
}

void
es_release_message(const es_message_t *msg)
{
    if (atomic_fetch_sub(&owner(msg)->refs, 1) == 1)
        free_msg((es_message_t *)(uintptr_t)msg);
}

es_message_t *
es_copy_message(const es_message_t *msg)
{
    es_retain_message(msg);     /* what Apple's does since 11.0 */
    return (es_message_t *)(uintptr_t)msg;
}

void
es_free_message(es_message_t *msg)
{
    es_release_message(msg);
}

void
fake_msg_free(es_message_t *m)
{
    if (m != NULL)
        es_release_message(m);
}

size_t
fake_msg_live(void)
{
    return atomic_load(&live_msgs);
}

static void
strvec_push(struct strvec *v, es_string_token_t t)
{
    if (v->n == v->cap) {
        uint32_t cap = v->cap == 0 ? 8 : v->cap * 2;
        es_string_token_t *nv = realloc(v->v, cap * sizeof(*nv));

        if (nv == NULL) {
            fprintf(stderr, "fake_msg: out of memory\n");
            abort();
        }
        v->v = nv;
        v->cap = cap;
    }
    v->v[v->n++] = t;
}

void
fake_msg_exec_arg_bytes(es_message_t *m, const void *p, size_t n)
{
    strvec_push(&owner(m)->args, fake_msg_bytes(m, p, n));
}

void
fake_msg_exec_args(es_message_t *m, const char *const *argv, size_t argc)
{
    for (size_t i = 0; i < argc; i++)
        strvec_push(&owner(m)->args, fake_msg_str(m, argv[i]));
}

void
fake_msg_exec_env(es_message_t *m, const char *const *envp, size_t envc)
{
    for (size_t i = 0; i < envc; i++)
        strvec_push(&owner(m)->env, fake_msg_str(m, envp[i]));
}

void
fake_msg_exec_fd(es_message_t *m, int32_t fd, uint32_t fdtype)
{
    struct fake_msg *f = owner(m);

    if (f->nfds == f->fds_cap) {
        uint32_t cap = f->fds_cap == 0 ? 4 : f->fds_cap * 2;
        es_fd_t *nv = realloc(f->fds, cap * sizeof(*nv));

        if (nv == NULL) {
            fprintf(stderr, "fake_msg: out of memory\n");
            abort();
        }
        f->fds = nv;
        f->fds_cap = cap;
    }
    memset(&f->fds[f->nfds], 0, sizeof(f->fds[0]));
    f->fds[f->nfds].fd = fd;
    f->fds[f->nfds].fdtype = fdtype;
    f->nfds++;
}

uint32_t
es_exec_arg_count(const es_event_exec_t *event)
{
    return owner(exec_msg(event))->args.n;
}

uint32_t
es_exec_env_count(const es_event_exec_t *event)
{
    return owner(exec_msg(event))->env.n;
}

uint32_t
es_exec_fd_count(const es_event_exec_t *event)
{
    return owner(exec_msg(event))->nfds;
}

/* Index >= count is undefined behaviour in Apple's API; the fake aborts so
 * a test catches it. */
es_string_token_t
es_exec_arg(const es_event_exec_t *event, uint32_t index)
{
    const struct fake_msg *f = owner(exec_msg(event));

    if (index >= f->args.n) {
        fprintf(stderr, "fake_msg: es_exec_arg index %u >= %u\n", index,
                f->args.n);
        abort();
    }
    return f->args.v[index];
}

es_string_token_t
es_exec_env(const es_event_exec_t *event, uint32_t index)
{
    const struct fake_msg *f = owner(exec_msg(event));

    if (index >= f->env.n) {
        fprintf(stderr, "fake_msg: es_exec_env index %u >= %u\n", index,
                f->env.n);
        abort();
    }
    return f->env.v[index];
}

const es_fd_t *
es_exec_fd(const es_event_exec_t *event, uint32_t index)
{
    const struct fake_msg *f = owner(exec_msg(event));

    if (index >= f->nfds) {
        fprintf(stderr, "fake_msg: es_exec_fd index %u >= %u\n", index,
                f->nfds);
        abort();
    }
    return &f->fds[index];
}
