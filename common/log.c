/*
 * log.c - stderr (+ unified log) sink.  The level is set once before any
 * thread starts and only read afterwards, so it needs no lock; each line is
 * formatted into a stack buffer and written with one write(2) so lines from
 * different threads never interleave.
 */
#include "common/log.h"
#include "common/platform.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static enum log_level log_level_set = LOG_LEVEL_INFO;   /* set once */

void
log_init(enum log_level level)
{
    log_level_set = level;
}

bool
log_enabled(enum log_level level)
{
    return level <= log_level_set;
}

static void
vlog(enum log_level level, int e, const char *fmt, va_list ap)
{
    static const char *const tags[] = { "error", "warning", "info", "debug" };
    char line[1024];
    struct timespec ts;
    struct tm tm;
    size_t n;
    int saved = errno;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%SZ", &tm);
    n += (size_t)snprintf(line + n, sizeof(line) - n, " estel[%ld] %s: ",
                          (long)getpid(), tags[level]);
    if (n < sizeof(line))
        vsnprintf(line + n, sizeof(line) - n, fmt, ap);
    n = strlen(line);
    if (e != 0 && n < sizeof(line))
        n += (size_t)snprintf(line + n, sizeof(line) - n, ": %s",
                              strerror(e));
    if (n > sizeof(line) - 2)
        n = sizeof(line) - 2;
    /* no newlines inside a message: one line is one event */
    for (size_t i = 0; i < n; i++)
        if (line[i] == '\n' || line[i] == '\r')
            line[i] = ' ';
    estel_log_sink(level, line);
    line[n++] = '\n';
    (void)!write(STDERR_FILENO, line, n);   /* nowhere to report failure */
    errno = saved;
}

#define LOG_BODY(level, e)                                  \
    do {                                                    \
        va_list ap;                                         \
        if (!log_enabled(level))                            \
            break;                                          \
        va_start(ap, fmt);                                  \
        vlog(level, e, fmt, ap);                            \
        va_end(ap);                                         \
    } while (0)

void log_warn(const char *fmt, ...)  { LOG_BODY(LOG_LEVEL_WARN, errno); }
void log_warnx(const char *fmt, ...) { LOG_BODY(LOG_LEVEL_WARN, 0); }
void log_info(const char *fmt, ...)  { LOG_BODY(LOG_LEVEL_INFO, 0); }
void log_debug(const char *fmt, ...) { LOG_BODY(LOG_LEVEL_DEBUG, 0); }
void log_error(const char *fmt, ...) { LOG_BODY(LOG_LEVEL_ERROR, 0); }
