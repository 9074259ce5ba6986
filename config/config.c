/*
 * config.c - loading: a plist file or buffer, flags, cross-key validation.
 *
 * Every source is checked to the end before it fails (ntpd parse.y): each
 * problem is reported on its own line "NAME: Key: value problem; fix"
 * through the reporter (log_warnx unless config_set_reporter() chose
 * another), then the call returns ESTEL_E_CONFIG with "N errors in NAME".
 * Problems with the source as a whole (missing, a symlink, too big, not a
 * plist, not a dictionary) stop at once and are returned, not reported.
 *
 * libplist 2.2 parses binary plists and frees trees recursively, expands
 * a binary object referenced twice into two copies (a 100-byte file can ask
 * for gigabytes or blow the stack), and asserts, killing the process, when
 * it reads a key holding a NUL byte.  shape_problem() walks the input first
 * with a node budget and a depth cap, refuses NUL bytes in strings, and
 * bounds the XML container count, before libplist sees it.
 */
#include "config/config_int.h"

#include "common/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BPLIST_MAX_NODES 65536      /* objects after expanding references */
#define BPLIST_MAX_DEPTH 32

static void
report(struct config_ctx *c, bool is_error, const char *line)
{
    if (c->report != NULL)
        c->report(c->report_ctx, is_error, line);
    else
        log_warnx("%s", line);
}

static void
vproblem(struct config_ctx *c, bool is_error, const char *key,
         const char *fmt, va_list ap)
{
    char msg[ESTEL_ERR_MSG_MAX], line[ESTEL_ERR_MSG_MAX + 256];

    vsnprintf(msg, sizeof(msg), fmt, ap);
    if (c->name != NULL && key != NULL)
        snprintf(line, sizeof(line), "%s: %s: %s", c->name, key, msg);
    else if (c->name != NULL || key != NULL)
        snprintf(line, sizeof(line), "%s: %s",
                 c->name != NULL ? c->name : key, msg);
    else
        snprintf(line, sizeof(line), "%s", msg);
    if (is_error && c->flag) {
        c->errors++;
        (void)estel_fail(c->err, ESTEL_E_CONFIG, "%s", line);  /* rc known */
        return;
    }
    if (!is_error) {
        report(c, false, line);
        return;
    }
    if (++c->errors <= CONFIG_REPORT_MAX) {
        report(c, true, line);
    } else if (c->errors == CONFIG_REPORT_MAX + 1) {
        snprintf(line, sizeof(line), "%s: more problems follow; only the "
                 "first %d are listed", c->name != NULL ? c->name :
                 "configuration", CONFIG_REPORT_MAX);
        report(c, true, line);
    }
}

void
config_problem(struct config_ctx *c, const char *key, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vproblem(c, true, key, fmt, ap);
    va_end(ap);
}

void
config_warning(struct config_ctx *c, const char *key, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vproblem(c, false, key, fmt, ap);
    va_end(ap);
}

void
config_set_reporter(struct estel_config *cfg, config_report_fn *fn,
                    void *ctx)
{
    cfg->report = fn;
    cfg->report_ctx = ctx;
}

static void
ctx_init(struct config_ctx *c, struct estel_config *cfg, const char *name,
         enum config_origin origin, const struct estel_config *rep)
{
    memset(c, 0, sizeof(*c));
    c->cfg = cfg;
    c->name = name;
    c->origin = origin;
    c->report = rep->report;
    c->report_ctx = rep->report_ctx;
}

static enum estel_rc
count_fail(const struct config_ctx *c, struct estel_err *err,
           const char *where)
{
    if (c->errors == 0)
        return ESTEL_OK;
    return estel_fail(err, ESTEL_E_CONFIG, "%u error%s in %s", c->errors,
                      c->errors == 1 ? "" : "s", where);
}

/* Big-endian unsigned of n (1..8) bytes. */
static uint64_t
be_uint(const unsigned char *p, size_t n)
{
    uint64_t v = 0;

    for (size_t i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

struct bplist {
    const unsigned char *data;
    size_t len, objects_end, offtab;
    size_t offset_size, ref_size;
    uint64_t count, nodes;
};

/* The count of a container or string marker at p: the low nibble, or an
 * int object after it.  Advances *p past the marker; false if malformed. */
static bool
bplist_count(const struct bplist *b, const unsigned char **p, uint64_t *n)
{
    size_t pos, width;

    *n = (*p)[0] & 0x0f;
    (*p)++;
    if (*n != 0x0f)
        return true;
    pos = (size_t)(*p - b->data);
    if (pos >= b->objects_end || ((*p)[0] >> 4) != 1 || ((*p)[0] & 0x0f) > 3)
        return false;
    width = (size_t)1 << ((*p)[0] & 0x0f);
    if (pos + 1 + width > b->objects_end)
        return false;
    *n = be_uint(*p + 1, width);
    *p += 1 + width;
    return true;
}

/* ASCII (0x5), UTF-16 (0x6) and UTF-8 (0x7) strings: no NUL inside, since
 * libplist 2.2 asserts (aborts) when it reads back such a key.  A bad
 * length also fails here: libplist would refuse it anyway. */
static bool
bplist_string_ok(const struct bplist *b, const unsigned char *p,
                 unsigned type)
{
    uint64_t n;
    size_t unit = type == 0x6 ? 2 : 1;

    if (!bplist_count(b, &p, &n) || n > b->len ||
        n * unit > b->objects_end - (size_t)(p - b->data))
        return false;
    for (uint64_t i = 0; i < n; i++)
        if (p[i * unit] == 0 && (unit == 1 || p[i * unit + 1] == 0))
            return false;
    return true;
}

#define SHAPE_DAMAGED "is a damaged binary plist; check it with plutil -lint"
#define SHAPE_LARGE "is nested too deeply or holds too many values for a " \
                    "configuration"
#define SHAPE_NUL "holds a string with a NUL byte; remove it"

/* Count the nodes libplist would build under object index; the problem,
 * or NULL when the object and everything under it is fine. */
static const char *
bplist_walk(struct bplist *b, uint64_t index, unsigned depth)
{
    const unsigned char *p;
    const char *why;
    uint64_t off, n, refs;
    unsigned type;

    if (++b->nodes > BPLIST_MAX_NODES || depth > BPLIST_MAX_DEPTH)
        return SHAPE_LARGE;
    if (index >= b->count)
        return SHAPE_DAMAGED;
    off = be_uint(b->data + b->offtab + index * b->offset_size,
                  b->offset_size);
    if (off >= b->objects_end)
        return SHAPE_DAMAGED;
    p = b->data + off;
    type = p[0] >> 4;
    if (type >= 0x5 && type <= 0x7)
        return bplist_string_ok(b, p, type) ? NULL : SHAPE_NUL;
    if (type != 0xA && type != 0xB && type != 0xC && type != 0xD)
        return NULL;                /* other leaves: libplist checks them */
    if (!bplist_count(b, &p, &n))
        return SHAPE_DAMAGED;
    refs = type == 0xD ? n * 2 : n;
    if (n > b->len || refs * b->ref_size >
        b->objects_end - (size_t)(p - b->data))
        return SHAPE_DAMAGED;
    for (uint64_t i = 0; i < refs; i++)
        if ((why = bplist_walk(b, be_uint(p + i * b->ref_size, b->ref_size),
                               depth + 1)) != NULL)
            return why;
    return NULL;
}

/*
 * Binary: walk from the top object.  XML: no NUL byte (see above; XML
 * cannot carry one legally) and a bounded count of <array and <dict tags.
 */
static const char *
shape_problem(const unsigned char *data, size_t len)
{
    struct bplist b = { data, len, 0, 0, 0, 0, 0, 0 };
    const unsigned char *t;
    unsigned containers = 0;
    char next;

    if (len >= 8 && memcmp(data, "bplist00", 8) == 0) {
        if (len < 8 + 32)
            return SHAPE_DAMAGED;
        t = data + len - 32;        /* the trailer */
        b.offset_size = t[6];
        b.ref_size = t[7];
        b.count = be_uint(t + 8, 8);
        b.offtab = (size_t)be_uint(t + 24, 8);
        b.objects_end = len - 32;
        if (b.offset_size < 1 || b.offset_size > 8 || b.ref_size < 1 ||
            b.ref_size > 8 || b.count == 0 || b.count > len ||
            be_uint(t + 24, 8) >= len ||
            b.offtab + b.count * b.offset_size > b.objects_end)
            return SHAPE_DAMAGED;
        return bplist_walk(&b, be_uint(t + 16, 8), 0);
    }
    if (memchr(data, 0, len) != NULL)
        return "is not a property list (XML or binary): it holds a NUL "
               "byte; check it with plutil -lint";
    for (size_t i = 0; i < len; i++) {
        if (data[i] != '<')
            continue;
        t = data + i + 1;
        if (len - i > 6 && memcmp(t, "array", 5) == 0)
            next = (char)t[5];
        else if (len - i > 5 && memcmp(t, "dict", 4) == 0)
            next = (char)t[4];
        else
            continue;
        if ((next == '>' || next == '/' || next == ' ' || next == '\t' ||
             next == '\n' || next == '\r') && ++containers >
            CONFIG_MAX_CONTAINERS)
            return SHAPE_LARGE;
    }
    return NULL;
}

static enum estel_rc
parse_root(const char *data, size_t len, const char *name, plist_t *root,
           struct estel_err *err)
{
    const char *why;
    char *copy;

    *root = NULL;
    if (len == 0)
        return estel_fail(err, ESTEL_E_CONFIG, "%s: is empty; a "
                          "configuration is a plist <dict> of keys", name);
    if (len > CONFIG_MAX_BYTES)
        return estel_fail(err, ESTEL_E_CONFIG, "%s: is %zu bytes, larger "
                          "than the %d allowed; is this the right file?",
                          name, len, CONFIG_MAX_BYTES);
    if ((why = shape_problem((const unsigned char *)data, len)) != NULL)
        return estel_fail(err, ESTEL_E_CONFIG, "%s: %s", name, why);
    /* a terminated copy: libplist's XML reader must never run off the end */
    if ((copy = malloc(len + 1)) == NULL)
        return estel_fail(err, ESTEL_E_NOMEM, "%s: out of memory", name);
    memcpy(copy, data, len);
    copy[len] = '\0';
    plist_from_memory(copy, (uint32_t)len, root);
    free(copy);
    if (*root == NULL)
        return estel_fail(err, ESTEL_E_CONFIG, "%s: is not a property list "
                          "(XML or binary); check it with plutil -lint",
                          name);
    if (plist_get_node_type(*root) != PLIST_DICT) {
        plist_free(*root);
        *root = NULL;
        return estel_fail(err, ESTEL_E_CONFIG, "%s: the top level is not a "
                          "<dict>; a configuration is a dictionary of keys",
                          name);
    }
    return ESTEL_OK;
}

static void
unknown_key(struct config_ctx *c, const char *key)
{
    char safe[80];
    size_t best_dist = 4, dist, len = strlen(key), cap, n;
    const char *best = NULL;

    /* the key as it will print: bounded, control bytes as '?' */
    for (n = 0; n < len && n < 64; n++)
        safe[n] = (unsigned char)key[n] < 0x20 || key[n] == 0x7f ? '?' :
                  key[n];
    snprintf(safe + n, sizeof(safe) - n, "%s", n < len ? "..." : "");
    cap = len / 3 < 1 ? 1 : len / 3 > 3 ? 3 : len / 3;
    for (size_t i = 0; i < config_keydefs_count; i++) {
        dist = config_distance(key, config_keydefs[i].key.name, cap);
        if (dist <= cap && dist < best_dist) {
            best = config_keydefs[i].key.name;
            best_dist = dist;
        }
    }
    if (best != NULL)
        config_problem(c, safe, "unknown key; did you mean %s?%s", best,
                       best_dist == 0 ? " (keys are case-sensitive)" : "");
    else
        config_problem(c, safe, "unknown key; `estel config show` and "
                       "docs/configuration.md list the known keys");
}

/* Apply every key of dict; problems are reported and counted in c. */
static void
apply_dict(struct config_ctx *c, plist_t dict)
{
    plist_dict_iter it = NULL;
    plist_t val;
    char *key;
    int idx;

    plist_dict_new_iter(dict, &it);
    if (it == NULL) {
        config_problem(c, NULL, "out of memory");
        return;
    }
    for (;;) {
        key = NULL;
        val = NULL;
        plist_dict_next_item(dict, it, &key, &val);
        if (key == NULL)
            break;
        if ((idx = config_key_find(key)) < 0)
            unknown_key(c, key);
        else
            (void)config_apply(c, (size_t)idx, val);  /* counted in c */
        free(key);
    }
    free(it);
}

enum estel_rc
config_load_buffer(struct estel_config *cfg, const char *data, size_t len,
                   const char *name, enum config_origin origin,
                   struct estel_err *err)
{
    struct config_ctx c;
    plist_t root;
    enum estel_rc rc;

    if ((rc = parse_root(data, len, name, &root, err)) != ESTEL_OK)
        return rc;
    ctx_init(&c, cfg, name, origin, cfg);
    /* beyond twice the known keys it is the wrong file, and libplist's
     * dictionary iteration is quadratic */
    if (plist_dict_get_size(root) > 2 * config_keydefs_count) {
        rc = estel_fail(err, ESTEL_E_CONFIG, "%s: has %u keys but estel "
                        "knows only %zu; is this the right file?", name,
                        plist_dict_get_size(root), config_keydefs_count);
        plist_free(root);
        return rc;
    }
    apply_dict(&c, root);
    plist_free(root);
    return count_fail(&c, err, name);
}

/* Read all of fd (a regular file of at most CONFIG_MAX_BYTES). */
static enum estel_rc
read_all(int fd, const char *path, char **out, size_t *len,
         struct estel_err *err)
{
    struct stat st;
    char *buf;
    size_t n = 0;
    ssize_t got;

    if (fstat(fd, &st) != 0)
        return estel_fail_errno(err, ESTEL_E_IO, "%s: fstat", path);
    if (!S_ISREG(st.st_mode))
        return estel_fail(err, ESTEL_E_CONFIG, "%s: is not a regular file; "
                          "give the path of a plist file", path);
    if (st.st_size > CONFIG_MAX_BYTES)
        return estel_fail(err, ESTEL_E_CONFIG, "%s: is %lld bytes, larger "
                          "than the %d allowed; is this the right file?",
                          path, (long long)st.st_size, CONFIG_MAX_BYTES);
    /* one spare byte to notice a file that grew after fstat */
    if ((buf = malloc((size_t)st.st_size + 1)) == NULL)
        return estel_fail(err, ESTEL_E_NOMEM, "%s: out of memory", path);
    while (n <= (size_t)st.st_size) {
        got = read(fd, buf + n, (size_t)st.st_size + 1 - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            free(buf);
            return estel_fail_errno(err, ESTEL_E_IO, "%s: read", path);
        }
        if (got == 0)
            break;
        n += (size_t)got;
    }
    if (n > (size_t)st.st_size) {
        free(buf);
        return estel_fail(err, ESTEL_E_CONFIG, "%s: changed while being "
                          "read; try again", path);
    }
    *out = buf;
    *len = n;
    return ESTEL_OK;
}

static enum estel_rc
open_config(const char *path, bool required, int *fd, struct estel_err *err)
{
    *fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (*fd >= 0)
        return ESTEL_OK;
    if (errno == ENOENT && !required)
        return ESTEL_OK;            /* defaults apply */
    if (errno == ENOENT)
        return estel_fail(err, ESTEL_E_CONFIG, "%s: no such file; give the "
                          "path of an existing plist", path);
    /* O_NOFOLLOW: root must not be steered to a file an attacker chose */
    if (errno == ELOOP)
        return estel_fail(err, ESTEL_E_CONFIG, "%s: is a symbolic link, "
                          "which estel refuses; give the real file's path",
                          path);
    return estel_fail_errno(err, ESTEL_E_CONFIG, "%s: cannot open; check "
                            "the path and its permissions", path);
}

enum estel_rc
config_load_file(struct estel_config *cfg, const char *path,
                 enum config_origin origin, bool required,
                 struct estel_err *err)
{
    struct config_ctx c;
    struct stat st;
    enum estel_rc rc;
    char *data = NULL;
    size_t len = 0;
    int fd;

    if ((rc = open_config(path, required, &fd, err)) != ESTEL_OK || fd < 0)
        return rc;
    rc = read_all(fd, path, &data, &len, err);
    if (rc == ESTEL_OK && fstat(fd, &st) == 0 &&
        (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
        ctx_init(&c, cfg, path, origin, cfg);
        config_warning(&c, NULL, "is writable by group or others, who "
                       "could redirect the events; run chmod go-w %s", path);
    }
    (void)close(fd);                /* read-only: nothing to lose */
    if (rc != ESTEL_OK)
        return rc;
    rc = config_load_buffer(cfg, data, len, path, origin, err);
    free(data);
    return rc;
}

enum estel_rc
config_load(struct estel_config *cfg, const char *path, const char *managed,
            struct estel_err *err)
{
    struct estel_err e1, e2;
    enum estel_rc rc1, rc2 = ESTEL_OK;
    const char *m = managed != NULL ? managed : CONFIG_DEFAULT_MANAGED;

    estel_err_clear(&e1);
    estel_err_clear(&e2);
    rc1 = config_load_file(cfg, path != NULL ? path : CONFIG_DEFAULT_FILE,
                           CONFIG_FROM_FILE, path != NULL, &e1);
    /* go on after a bad file: config check lists every problem at once */
    if (m != NULL)
        rc2 = config_load_file(cfg, m, CONFIG_FROM_MANAGED, managed != NULL,
                               &e2);
    if (rc1 != ESTEL_OK && rc2 != ESTEL_OK)
        return estel_fail(err, rc1, "%s; %s", e1.msg, e2.msg);
    if (rc1 != ESTEL_OK || rc2 != ESTEL_OK) {
        if (err != NULL && err->rc == ESTEL_OK)
            *err = rc1 != ESTEL_OK ? e1 : e2;
        return rc1 != ESTEL_OK ? rc1 : rc2;
    }
    return ESTEL_OK;
}

/* The node a flag's text stands for, by the key's type. */
static plist_t
flag_node(const struct config_keydef *d, const char *value)
{
    static const char *const yes[] = { "true", "yes", "on", "1" };
    static const char *const no[] = { "false", "no", "off", "0" };
    plist_t arr;
    char *end, *item;
    long long ll;
    double r;
    size_t n;

    switch (d->key.type) {
    case CONFIG_TYPE_INTEGER:
        errno = 0;
        ll = strtoll(value, &end, 10);
        if (errno == 0 && end != value && *end == '\0')
            return plist_new_uint((uint64_t)ll);
        /* not an integer: "1.5" becomes a real, "10GB" stays a string and
         * the applier names the fix */
        /* FALLTHROUGH */
    case CONFIG_TYPE_SECONDS:
        errno = 0;
        r = strtod(value, &end);
        if (errno == 0 && end != value && *end == '\0')
            return plist_new_real(r);
        return plist_new_string(value);
    case CONFIG_TYPE_BOOL:
        for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
            if (strcmp(value, yes[i]) == 0)
                return plist_new_bool(1);
            if (strcmp(value, no[i]) == 0)
                return plist_new_bool(0);
        }
        return plist_new_string(value);
    case CONFIG_TYPE_EVENTS:
    case CONFIG_TYPE_MUTES:
        if ((arr = plist_new_array()) == NULL)
            return NULL;
        for (const char *p = value; *p != '\0'; p += *p == ',') {
            p += strspn(p, " ");
            n = strcspn(p, ",");
            while (n > 0 && p[n - 1] == ' ')
                n--;
            if (n > 0 && (item = strndup(p, n)) != NULL) {
                plist_array_append_item(arr, plist_new_string(item));
                free(item);
            }
            p += strcspn(p, ",");
        }
        return arr;
    default:
        return plist_new_string(value);
    }
}

enum estel_rc
config_set(struct estel_config *cfg, const char *key, const char *value,
           enum config_origin origin, struct estel_err *err)
{
    struct config_ctx c;
    plist_t node;
    int idx;

    ctx_init(&c, cfg, NULL, origin, cfg);
    c.flag = true;
    c.err = err;
    if ((idx = config_key_find(key)) < 0) {
        unknown_key(&c, key);
        return ESTEL_E_CONFIG;
    }
    if (value == NULL)
        return estel_fail(err, ESTEL_E_CONFIG, "%s: no value given", key);
    if ((node = flag_node(&config_keydefs[idx], value)) == NULL)
        return estel_fail(err, ESTEL_E_NOMEM, "%s: out of memory", key);
    (void)config_apply(&c, (size_t)idx, node);   /* counted in c */
    plist_free(node);
    return c.errors == 0 ? ESTEL_OK : ESTEL_E_CONFIG;
}

static void
check_pairs(struct config_ctx *c, const struct estel_config *cfg)
{
    if (cfg->client_key != NULL && cfg->client_cert == NULL)
        config_problem(c, "ClientKey", "\"%s\" is set but ClientCertificate "
                       "is not; set ClientCertificate to the matching PEM "
                       "certificate, or remove ClientKey", cfg->client_key);
    if (cfg->client_identity_name != NULL &&
        (cfg->client_cert == NULL || cfg->client_key == NULL))
        config_problem(c, "ClientIdentityName", "\"%s\" is set but "
                       "ClientCertificate and ClientKey are not; set both to "
                       "the root-only paths the identity is exported to",
                       cfg->client_identity_name);
    if (cfg->ingest_tls_key != NULL && cfg->ingest_tls_cert == NULL)
        config_problem(c, "IngestTLSKey", "\"%s\" is set but "
                       "IngestTLSCertificate is not; set both or neither",
                       cfg->ingest_tls_key);
    if (cfg->ingest_tls_cert != NULL && cfg->ingest_tls_key == NULL)
        config_problem(c, "IngestTLSCertificate", "\"%s\" is set but "
                       "IngestTLSKey is not; set both or neither",
                       cfg->ingest_tls_cert);
    if (cfg->ingest_tls_client_ca != NULL && cfg->ingest_tls_cert == NULL)
        config_problem(c, "IngestTLSClientCA", "\"%s\" is set but "
                       "IngestTLSCertificate is not; client certificates "
                       "need TLS: set IngestTLSCertificate and IngestTLSKey",
                       cfg->ingest_tls_client_ca);
}

enum estel_rc
config_validate(const struct estel_config *cfg, struct estel_err *err)
{
    static const char *const needs_server[] = {
        "ClientCertificate", "ServerCA", "ServerPinnedKey", "Proxy"
    };
    struct config_ctx c;
    int idx;

    ctx_init(&c, NULL, NULL, CONFIG_FROM_DEFAULT, cfg);
    check_pairs(&c, cfg);
    if (cfg->request_timeout_s < cfg->connect_timeout_s)
        config_problem(&c, "RequestTimeoutSeconds", "%u is shorter than "
                       "ConnectTimeoutSeconds (%u); raise it or lower "
                       "ConnectTimeoutSeconds", cfg->request_timeout_s,
                       cfg->connect_timeout_s);
    if (cfg->batch_max_bytes > cfg->spool_max_bytes)
        config_problem(&c, "BatchMaxBytes", "%llu is larger than "
                       "SpoolMaxBytes (%llu); a batch must fit in the spool",
                       (unsigned long long)cfg->batch_max_bytes,
                       (unsigned long long)cfg->spool_max_bytes);
    if (cfg->server_url == NULL)
        for (size_t i = 0; i < sizeof(needs_server) / sizeof(needs_server[0]);
             i++) {
            idx = config_key_find(needs_server[i]);
            if (idx >= 0 && cfg->origin[idx] != CONFIG_FROM_DEFAULT)
                config_warning(&c, needs_server[i], "has no effect without "
                               "ServerURL: batches stay in the spool");
        }
    return count_fail(&c, err, "the combined configuration");
}
