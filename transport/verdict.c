/*
 * verdict.c - one line a person can act on: is the agent healthy,
 * degraded (and why), or not running?  Pure: `estel status` reads the
 * state file and asks whether the pid is alive; this decides.
 *
 * Thresholds (docs/protocol.md "Health"): a credentials or TLS problem
 * degrades at once (it will not fix itself); a transient one after
 * TRANSIENT_GRACE_S of failing (a server restart is not news); the
 * oldest unsent batch after an hour; the spool at 80 % of SpoolMaxBytes;
 * the client certificate 14 days before it expires.
 */
#include "transport/transport_int.h"

#include <stdio.h>
#include <string.h>

#define TRANSIENT_GRACE_S 120
#define OLDEST_WARN_S 3600
#define SPOOL_WARN_PCT 80

/* "45s", "12m", "2h 5m", "3d 4h" */
static void
fmt_dur(int64_t s, char *buf, size_t size)
{
    if (s < 0)
        s = 0;
    if (s < 60)
        snprintf(buf, size, "%llds", (long long)s);
    else if (s < 3600)
        snprintf(buf, size, "%lldm", (long long)(s / 60));
    else if (s < 86400)
        snprintf(buf, size, "%lldh %lldm", (long long)(s / 3600),
                 (long long)(s % 3600 / 60));
    else
        snprintf(buf, size, "%lldd %lldh", (long long)(s / 86400),
                 (long long)(s % 86400 / 3600));
}

static void
add(char *why, size_t size, const char *text)
{
    size_t n = strlen(why);

    if (n + 1 >= size)
        return;
    snprintf(why + n, size - n, "%s%s", n > 0 ? "; " : "", text);
}

static void
upload_reasons(const struct transport_state *st, int64_t now_ns, char *why,
               size_t size)
{
    char dur[32], text[TRANSPORT_STATE_TEXT_MAX + 64];
    int64_t failing_s;
    bool loud = st->last_class == TRANSPORT_AUTH ||
                st->last_class == TRANSPORT_TLS;

    if (!st->has_server || st->consecutive_failures == 0 ||
        st->problem[0] == '\0')
        return;
    failing_s = st->problem_since_ns > 0 ?
                (now_ns - st->problem_since_ns) / NS_PER_S : 0;
    if (!loud && failing_s < TRANSIENT_GRACE_S)
        return;
    fmt_dur(failing_s, dur, sizeof(dur));
    snprintf(text, sizeof(text), "%s for %s", st->problem, dur);
    add(why, size, text);
}

static void
cert_reasons(const struct transport_state *st, int64_t now_ns, char *why,
             size_t size)
{
    char dur[32], text[96];
    int64_t left_s;

    if (!st->has_server || st->client_cert_expiry_ns == 0)
        return;
    left_s = (st->client_cert_expiry_ns - now_ns) / NS_PER_S;
    if (left_s <= 0) {
        fmt_dur(-left_s, dur, sizeof(dur));
        snprintf(text, sizeof(text), "client certificate expired %s ago",
                 dur);
        add(why, size, text);
    } else if (left_s < TLS_EXPIRY_WARN_S) {
        fmt_dur(left_s, dur, sizeof(dur));
        snprintf(text, sizeof(text), "client certificate expires in %s",
                 dur);
        add(why, size, text);
    }
}

enum transport_verdict
transport_state_judge(const struct transport_state *st, int64_t now_ns,
                      bool pid_alive, char *why, size_t why_size)
{
    char dur[32], text[96];
    int64_t age_s = (now_ns - st->written_ns) / NS_PER_S;

    why[0] = '\0';
    if (!st->running) {
        add(why, why_size, "the agent stopped");
        return TRANSPORT_NOT_RUNNING;
    }
    if (!pid_alive) {
        snprintf(text, sizeof(text), "pid %lld is gone (crashed or "
                 "killed)", (long long)st->pid);
        add(why, why_size, text);
        return TRANSPORT_NOT_RUNNING;
    }
    if (age_s > TRANSPORT_STATE_STALE_S) {
        fmt_dur(age_s, dur, sizeof(dur));
        snprintf(text, sizeof(text), "the state file was last written %s "
                 "ago (agent hung?)", dur);
        add(why, why_size, text);
        return TRANSPORT_NOT_RUNNING;
    }
    upload_reasons(st, now_ns, why, why_size);
    if (st->oldest_unsent_ns > 0 &&
        (now_ns - st->oldest_unsent_ns) / NS_PER_S > OLDEST_WARN_S &&
        st->has_server) {
        fmt_dur((now_ns - st->oldest_unsent_ns) / NS_PER_S, dur,
                sizeof(dur));
        snprintf(text, sizeof(text), "oldest unsent batch %s old", dur);
        add(why, why_size, text);
    }
    if (st->spool_max_bytes > 0 &&
        st->spool_bytes * 100 / st->spool_max_bytes >= SPOOL_WARN_PCT) {
        snprintf(text, sizeof(text), "spool %llu%% full",
                 (unsigned long long)(st->spool_bytes * 100 /
                                      st->spool_max_bytes));
        add(why, why_size, text);
    }
    cert_reasons(st, now_ns, why, why_size);
    return why[0] != '\0' ? TRANSPORT_DEGRADED : TRANSPORT_HEALTHY;
}
