/*
 * config_values.c - turns one plist value into one field of struct
 * estel_config, or into a problem that names the key, the value and the fix.
 *
 * One applier per value type (config_apply dispatches on the key table) and
 * the extra string checks the table points at (URLs, pins, addresses).  An
 * applier writes the field only when the whole value is good, so a bad
 * value leaves the previous layer's value (default or file) in place.
 * Flags reach here too: config_set() turns the flag's string into a plist
 * node of the key's type first, and c->flag picks flag-shaped fixes.
 */
#include "config/config_int.h"

#include "common/evtype.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QUOTE_MAX 160               /* a quoted value in a message */

static int
lower(int ch)
{
    return ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch;
}

size_t
config_distance(const char *a, const char *b, size_t cap)
{
    size_t row[65], la = strlen(a), lb = strlen(b), prev, tmp, best;

    if (la > 64 || lb > 64)
        return cap + 1;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        prev = row[0];
        row[0] = i;
        best = row[0];
        for (size_t j = 1; j <= lb; j++) {
            tmp = row[j];
            row[j] = prev + (lower(a[i - 1]) != lower(b[j - 1]));
            if (row[j - 1] + 1 < row[j])
                row[j] = row[j - 1] + 1;
            if (tmp + 1 < row[j])
                row[j] = tmp + 1;
            prev = tmp;
            if (row[j] < best)
                best = row[j];
        }
        if (best > cap)
            return cap + 1;         /* every path is already too long */
    }
    return row[lb];
}

void
config_mask_url(char *buf, size_t size, const char *url)
{
    const char *start = strstr(url, "://"), *at;

    start = start != NULL ? start + 3 : url;
    /* the last '@' anywhere: a password may hold an unescaped '/' */
    at = strrchr(start, '@');
    if (at == NULL)
        snprintf(buf, size, "%s", url);
    else
        snprintf(buf, size, "%.*s****%s", (int)(start - url), url, at);
}

void
config_quote(char *buf, size_t size, const char *s, bool mask)
{
    char masked[QUOTE_MAX + 8];
    size_t n = 0, i;

    if (size < 8) {
        if (size > 0)
            buf[0] = '\0';
        return;
    }
    if (mask) {
        config_mask_url(masked, sizeof(masked), s);
        s = masked;
    }
    buf[n++] = '"';
    for (i = 0; s[i] != '\0' && n + 5 < size && i < QUOTE_MAX; i++)
        buf[n++] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
    if (s[i] != '\0') {
        memcpy(buf + n, "...", 3);
        n += 3;
    }
    buf[n++] = '"';
    buf[n] = '\0';
}

/* "a string", "an integer": what the plist holds */
static const char *
kind_name(plist_t node)
{
    switch (plist_get_node_type(node)) {
    case PLIST_BOOLEAN: return "a boolean";
    case PLIST_UINT: return "an integer";
    case PLIST_REAL: return "a real";
    case PLIST_STRING: return "a string";
    case PLIST_ARRAY: return "an array";
    case PLIST_DICT: return "a dictionary";
    case PLIST_DATE: return "a date";
    case PLIST_DATA: return "data";
    default: return "an unsupported value";
    }
}

static const char *
expected_name(enum config_type type)
{
    switch (type) {
    case CONFIG_TYPE_INTEGER: return "an integer";
    case CONFIG_TYPE_SECONDS: return "a number of seconds";
    case CONFIG_TYPE_BOOL: return "a boolean";
    case CONFIG_TYPE_EVENTS:
    case CONFIG_TYPE_MUTES: return "an array of strings";
    default: return "a string";
    }
}

/* the value as a message shows it: "\"10GB\"", "-5", "0.25", "" */
static void
render(char *buf, size_t size, const struct config_keydef *d, plist_t node)
{
    const char *s;
    uint64_t u = 0;
    double r = 0;
    uint8_t b = 0;

    buf[0] = '\0';
    switch (plist_get_node_type(node)) {
    case PLIST_STRING:
        s = plist_get_string_ptr(node, NULL);
        config_quote(buf, size, s != NULL ? s : "", d->mask);
        break;
    case PLIST_UINT:
        plist_get_uint_val(node, &u);
        /* libplist 2.2 keeps negative integers as two's complement */
        if (u > INT64_MAX)
            snprintf(buf, size, "%" PRId64, (int64_t)u);
        else
            snprintf(buf, size, "%" PRIu64, u);
        break;
    case PLIST_REAL:
        plist_get_real_val(node, &r);
        snprintf(buf, size, "%g", r);
        break;
    case PLIST_BOOLEAN:
        plist_get_bool_val(node, &b);
        snprintf(buf, size, "%s", b ? "true" : "false");
        break;
    default:
        break;
    }
}

/* the first item of a comma-separated example */
static void
first_item(char *buf, size_t size, const char *example)
{
    snprintf(buf, size, "%.*s", (int)strcspn(example, ","), example);
}

static void
wrong_type(struct config_ctx *c, const struct config_keydef *d,
           plist_t node)
{
    char val[QUOTE_MAX + 16], fix[256], item[128];
    const char *unit = d->key.unit != NULL ? d->key.unit : "a value";

    first_item(item, sizeof(item), d->key.example);
    switch (d->key.type) {
    case CONFIG_TYPE_INTEGER:
        snprintf(fix, sizeof(fix), c->flag ? "give %s, e.g. %s" :
                 "give %s as <integer>, e.g. <integer>%s</integer>",
                 unit, d->key.example);
        break;
    case CONFIG_TYPE_SECONDS:
        snprintf(fix, sizeof(fix), c->flag ? "give seconds, e.g. %s or 0.5"
                 : "give seconds as <real> or <integer>, e.g. <real>%s"
                 "</real>", d->key.example);
        break;
    case CONFIG_TYPE_BOOL:
        snprintf(fix, sizeof(fix), "%s", c->flag ? "give true or false" :
                 "write <true/> or <false/>");
        break;
    case CONFIG_TYPE_EVENTS:
    case CONFIG_TYPE_MUTES:
        snprintf(fix, sizeof(fix), "write <array><string>%s</string>"
                 "</array>", item);
        break;
    default:
        snprintf(fix, sizeof(fix), "write <string>%s</string>", item);
        break;
    }
    render(val, sizeof(val), d, node);
    if (val[0] == '\0')
        config_problem(c, d->key.name, "got %s, not %s; %s",
                       kind_name(node), expected_name(d->key.type), fix);
    else if (c->flag)
        config_problem(c, d->key.name, "%s is not %s; %s", val,
                       expected_name(d->key.type), fix);
    else
        config_problem(c, d->key.name, "%s is %s, not %s; %s", val,
                       kind_name(node), expected_name(d->key.type), fix);
}

/* "4096 (4 KiB)" for byte counts, seconds from ms for SECONDS keys */
static void
limit_text(char *buf, size_t size, const struct config_keydef *d,
           uint64_t v)
{
    static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
    uint64_t scaled = v;
    size_t u = 0;

    if (d->key.type == CONFIG_TYPE_SECONDS) {
        snprintf(buf, size, "%g", (double)v / 1000.0);
        return;
    }
    while (scaled >= 1024 && scaled % 1024 == 0 && u < 4) {
        scaled /= 1024;
        u++;
    }
    if (u > 0 && d->key.unit != NULL && strcmp(d->key.unit, "bytes") == 0)
        snprintf(buf, size, "%" PRIu64 " (%" PRIu64 " %s)", v, scaled,
                 units[u - 1]);
    else
        snprintf(buf, size, "%" PRIu64, v);
}

static void
out_of_range(struct config_ctx *c, const struct config_keydef *d,
             plist_t node)
{
    char val[64], lo[48], hi[48];

    render(val, sizeof(val), d, node);
    limit_text(lo, sizeof(lo), d, d->key.min);
    limit_text(hi, sizeof(hi), d, d->key.max);
    config_problem(c, d->key.name, "%s is out of range; use %s to %s%s%s",
                   val, lo, hi, d->key.unit != NULL ? " " : "",
                   d->key.unit != NULL ? d->key.unit : "");
}

/* An integer from <integer> or a whole <real>, within the key's range. */
static bool
apply_integer(struct config_ctx *c, const struct config_keydef *d,
              plist_t node)
{
    uint64_t u = 0;
    double r = 0;
    char val[64];

    if (plist_get_node_type(node) == PLIST_UINT) {
        plist_get_uint_val(node, &u);
    } else if (plist_get_node_type(node) == PLIST_REAL) {
        plist_get_real_val(node, &r);
        /* written this way round so that NaN fails too */
        if (!(r >= 0 && r <= (double)d->key.max)) {
            out_of_range(c, d, node);
            return false;
        }
        u = (uint64_t)r;
        if ((double)u != r) {
            render(val, sizeof(val), d, node);
            config_problem(c, d->key.name, "%s is not a whole number; give "
                           "%s as an integer, e.g. %s", val,
                           d->key.unit != NULL ? d->key.unit : "a count",
                           d->key.example);
            return false;
        }
    } else {
        wrong_type(c, d, node);
        return false;
    }
    if (u < d->key.min || u > d->key.max) {
        out_of_range(c, d, node);
        return false;
    }
    config_field_set_uint(c->cfg, d, u);
    return true;
}

/* Seconds from <real> or <integer>, kept in milliseconds. */
static bool
apply_seconds(struct config_ctx *c, const struct config_keydef *d,
              plist_t node)
{
    uint64_t u = 0, ms;
    double r = 0;

    if (plist_get_node_type(node) == PLIST_UINT) {
        plist_get_uint_val(node, &u);
        r = u > INT64_MAX ? -1.0 : (double)u;
    } else if (plist_get_node_type(node) == PLIST_REAL) {
        plist_get_real_val(node, &r);
    } else {
        wrong_type(c, d, node);
        return false;
    }
    if (!(r >= 0 && r * 1000.0 <= (double)d->key.max)) {
        out_of_range(c, d, node);
        return false;
    }
    ms = (uint64_t)(r * 1000.0 + 0.5);
    if (ms < d->key.min) {
        out_of_range(c, d, node);
        return false;
    }
    config_field_set_uint(c->cfg, d, ms);
    return true;
}

static bool
apply_bool(struct config_ctx *c, const struct config_keydef *d,
           plist_t node)
{
    uint8_t b = 0;

    if (plist_get_node_type(node) != PLIST_BOOLEAN) {
        wrong_type(c, d, node);
        return false;
    }
    plist_get_bool_val(node, &b);
    *(bool *)((unsigned char *)c->cfg + d->offset) = b != 0;
    return true;
}

/* Length, control bytes, emptiness, absolute paths, choices. */
static bool
check_string(struct config_ctx *c, const struct config_keydef *d,
             const char *s)
{
    char q[QUOTE_MAX + 16];
    size_t len = strlen(s), n;
    const char *p;

    config_quote(q, sizeof(q), s, d->mask);
    if (len > (d->key.type == CONFIG_TYPE_PATH ? CONFIG_MAX_PATH :
               CONFIG_MAX_STRING)) {
        config_problem(c, d->key.name, "%s is too long (%zu bytes); at most "
                       "%d", q, len, d->key.type == CONFIG_TYPE_PATH ?
                       CONFIG_MAX_PATH : CONFIG_MAX_STRING);
        return false;
    }
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
            config_problem(c, d->key.name, "%s contains control characters;"
                           " remove them", q);
            return false;
        }
    if (len == 0) {
        config_problem(c, d->key.name, "is empty; give a value, e.g. %s",
                       d->key.example);
        return false;
    }
    if (d->key.type == CONFIG_TYPE_PATH && s[0] != '/') {
        config_problem(c, d->key.name, "%s is not an absolute path; give "
                       "the full path, e.g. %s", q, d->key.example);
        return false;
    }
    if (d->key.type != CONFIG_TYPE_CHOICE)
        return true;
    for (p = d->key.choices;; p += n + 1) {
        n = strcspn(p, "|");
        if (n == len && memcmp(p, s, n) == 0)
            return true;
        if (p[n] == '\0')
            break;
    }
    config_problem(c, d->key.name, "%s is not a known value; use one of %s",
                   q, d->key.choices);
    return false;
}

/*
 * The string a PLIST_STRING node holds, borrowed from the node.  Not
 * plist_get_string_val(): libplist 2.2 asserts (aborts) when the string
 * holds a NUL byte, which an XML &#0; or a binary plist can carry.
 */
static const char *
string_of(struct config_ctx *c, const char *key, plist_t node)
{
    uint64_t len = 0;
    const char *s = plist_get_string_ptr(node, &len);

    if (s == NULL) {
        config_problem(c, key, "out of memory");
        return NULL;
    }
    if (strlen(s) != len) {
        config_problem(c, key, "a string holds a NUL byte; remove it");
        return NULL;
    }
    return s;
}

static bool
apply_string(struct config_ctx *c, const struct config_keydef *d,
             plist_t node)
{
    const char *s;

    if (plist_get_node_type(node) != PLIST_STRING) {
        wrong_type(c, d, node);
        return false;
    }
    if ((s = string_of(c, d->key.name, node)) == NULL)
        return false;
    if (s[0] == '\0' && d->key.default_str == NULL)
        return config_field_set_string(c->cfg, d, NULL);   /* "": unset */
    if (!check_string(c, d, s) || (d->check != NULL && !d->check(c, d, s)))
        return false;
    if (!config_field_set_string(c->cfg, d, s)) {
        config_problem(c, d->key.name, "out of memory");
        return false;
    }
    return true;
}

/* Each item of an array must be a string; report the others.  Gives a
 * copy the caller frees, or NULL. */
static char *
array_string(struct config_ctx *c, const struct config_keydef *d,
             plist_t item, uint32_t i)
{
    const char *s;
    char *copy;

    if (plist_get_node_type(item) != PLIST_STRING) {
        config_problem(c, d->key.name, "item %u is %s, not a string; write "
                       "<string>...</string> items", i + 1, kind_name(item));
        return NULL;
    }
    if ((s = string_of(c, d->key.name, item)) == NULL)
        return NULL;
    if ((copy = strdup(s)) == NULL)
        config_problem(c, d->key.name, "out of memory");
    return copy;
}

static bool
array_size(struct config_ctx *c, const struct config_keydef *d,
           plist_t node, uint32_t *n)
{
    if (plist_get_node_type(node) != PLIST_ARRAY) {
        wrong_type(c, d, node);
        return false;
    }
    *n = plist_array_get_size(node);
    if (*n > CONFIG_MAX_ARRAY) {
        config_problem(c, d->key.name, "has %u items; at most %d", *n,
                       CONFIG_MAX_ARRAY);
        return false;
    }
    return true;
}

static void
unknown_event(struct config_ctx *c, const struct config_keydef *d,
              const char *s)
{
    const struct estel_evtype *t, *best = NULL;
    size_t dist, best_dist = 3;
    char q[QUOTE_MAX + 16];

    for (uint32_t v = 0; v < ESTEL_EVTYPE_COUNT; v++) {
        t = estel_evtype_by_value(v);
        if (t == NULL || !t->notify)
            continue;
        dist = config_distance(s, t->name, 2);
        if (dist < best_dist) {
            best = t;
            best_dist = dist;
        }
    }
    config_quote(q, sizeof(q), s, false);
    if (best != NULL)
        config_problem(c, d->key.name, "%s is not an Endpoint Security "
                       "NOTIFY event type; did you mean %s?", q, best->name);
    else
        config_problem(c, d->key.name, "%s is not an Endpoint Security "
                       "NOTIFY event type; use eslogger names such as exec,"
                       " fork or open (docs/configuration.md lists them)", q);
}

static bool
apply_events(struct config_ctx *c, const struct config_keydef *d,
             plist_t node)
{
    const struct estel_evtype *t;
    uint8_t set[sizeof(c->cfg->event_types)] = { 0 };
    unsigned before = c->errors;
    uint32_t n;
    char *s;

    if (!array_size(c, d, node, &n))
        return false;
    if (n == 0) {
        config_problem(c, d->key.name, "is empty, so nothing would be "
                       "collected; name at least one event type, e.g. exec");
        return false;
    }
    for (uint32_t i = 0; i < n; i++) {
        if ((s = array_string(c, d, plist_array_get_item(node, i), i)) ==
            NULL)
            continue;
        t = estel_evtype_notify_by_name(s, strlen(s));
        if (t == NULL || t->value >= sizeof(set) * 8)
            unknown_event(c, d, s);
        else
            set[t->value / 8] |= (uint8_t)(1u << (t->value % 8));
        free(s);
    }
    if (c->errors != before)
        return false;
    memcpy(c->cfg->event_types, set, sizeof(set));
    return true;
}

/* One mute entry: absolute, a '*' only at the end, not everything. */
static bool
parse_mute(struct config_ctx *c, const struct config_keydef *d, char *s,
           struct config_mute *m)
{
    char q[QUOTE_MAX + 16];
    size_t len = strlen(s);
    bool prefix = len > 0 && s[len - 1] == '*';

    config_quote(q, sizeof(q), s, false);
    if (prefix)
        s[--len] = '\0';
    if (s[0] != '/') {
        config_problem(c, d->key.name, "%s is not an absolute path; give a "
                       "full path, with a trailing * for a prefix, e.g. %s",
                       q, "/System/Library/*");
        return false;
    }
    if (strchr(s, '*') != NULL || len > CONFIG_MAX_PATH) {
        config_problem(c, d->key.name, "%s is not a path or a prefix; only "
                       "a single trailing * is allowed, e.g. /usr/libexec/*",
                       q);
        return false;
    }
    if (prefix && strcmp(s, "/") == 0) {
        config_problem(c, d->key.name, "%s would mute every path; remove it "
                       "or name a narrower prefix", q);
        return false;
    }
    m->path = s;
    m->prefix = prefix;
    return true;
}

static bool
apply_mutes(struct config_ctx *c, const struct config_keydef *d,
            plist_t node)
{
    struct config_mute *list = NULL, **field;
    size_t count = 0, *count_field;
    unsigned before = c->errors;
    uint32_t n;
    char *s;

    if (!array_size(c, d, node, &n))
        return false;
    if (n > 0 && (list = calloc(n, sizeof(*list))) == NULL) {
        config_problem(c, d->key.name, "out of memory");
        return false;
    }
    for (uint32_t i = 0; i < n; i++) {
        if ((s = array_string(c, d, plist_array_get_item(node, i), i)) ==
            NULL)
            continue;
        if (parse_mute(c, d, s, &list[count]))
            count++;
        else
            free(s);
    }
    if (c->errors != before) {
        config_mutes_free(&list, &count);
        return false;
    }
    field = (struct config_mute **)((unsigned char *)c->cfg + d->offset);
    count_field = (size_t *)((unsigned char *)c->cfg + d->count_offset);
    config_mutes_free(field, count_field);
    *field = list;
    *count_field = count;
    return true;
}

bool
config_apply(struct config_ctx *c, size_t index, plist_t node)
{
    const struct config_keydef *d = &config_keydefs[index];
    bool ok = false;

    switch (d->key.type) {
    case CONFIG_TYPE_STRING:
    case CONFIG_TYPE_PATH:
    case CONFIG_TYPE_CHOICE:
        ok = apply_string(c, d, node);
        break;
    case CONFIG_TYPE_INTEGER:
        ok = apply_integer(c, d, node);
        break;
    case CONFIG_TYPE_SECONDS:
        ok = apply_seconds(c, d, node);
        break;
    case CONFIG_TYPE_BOOL:
        ok = apply_bool(c, d, node);
        break;
    case CONFIG_TYPE_EVENTS:
        ok = apply_events(c, d, node);
        break;
    case CONFIG_TYPE_MUTES:
        ok = apply_mutes(c, d, node);
        break;
    }
    if (ok)
        c->cfg->origin[index] = c->origin;
    return ok;
}
