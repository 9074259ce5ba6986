/*
 * platform_darwin.c - the macOS side of the platform seam (platform.h).
 *
 * Durability uses F_FULLFSYNC: plain fsync on macOS only hands the data to
 * the drive, whose cache a power cut empties.  Clocks come from
 * clock_gettime_nsec_np: CLOCK_REALTIME for records, CLOCK_MONOTONIC_RAW
 * (keeps counting while the Mac sleeps, never slewed) for timers, and
 * condition waits are relative (pthread_cond_timedwait_relative_np) since
 * macOS has no pthread_condattr_setclock.  Host identity is the
 * IOPlatformUUID, the boot session kern.bootsessionuuid.  Log lines also
 * go to the unified log; network changes come from nw_path_monitor,
 * turned into a readable pipe so the uploader can poll() them like
 * Linux's rtnetlink socket.
 */
/* the build defines _POSIX_C_SOURCE, which on Darwin hides F_FULLFSYNC,
 * CLOCK_MONOTONIC_RAW, clock_gettime_nsec_np and
 * pthread_cond_timedwait_relative_np; this file is Darwin-only */
#define _DARWIN_C_SOURCE 1

#include "common/platform.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/sysctl.h>
#include <CoreFoundation/CoreFoundation.h>
#include <IOKit/IOKitLib.h>
#include <Network/Network.h>
#include <dispatch/dispatch.h>
#include <os/log.h>

int
estel_fsync_file(int fd, bool full)
{
    /* F_FULLFSYNC fails on file systems that cannot flush the drive cache
     * (some network and FUSE mounts): fsync is the best they offer */
    if (full && fcntl(fd, F_FULLFSYNC) == 0)
        return 0;
    return fsync(fd);
}

int
estel_fsync_dir(int dirfd)
{
    if (fcntl(dirfd, F_FULLFSYNC) == 0)
        return 0;
    return fsync(dirfd);
}

int64_t
estel_now_realtime_ns(void)
{
    return (int64_t)clock_gettime_nsec_np(CLOCK_REALTIME);
}

int64_t
estel_now_mono_ns(void)
{
    return (int64_t)clock_gettime_nsec_np(CLOCK_MONOTONIC_RAW);
}

int
estel_cond_init(pthread_cond_t *cond)
{
    return pthread_cond_init(cond, NULL);
}

int
estel_cond_timedwait_ms(pthread_cond_t *cond, pthread_mutex_t *mutex,
                        int64_t timeout_ms)
{
    struct timespec rel;

    if (timeout_ms < 0)
        timeout_ms = 0;
    rel.tv_sec = (time_t)(timeout_ms / 1000);
    rel.tv_nsec = (long)(timeout_ms % 1000) * 1000000;
    return pthread_cond_timedwait_relative_np(cond, mutex, &rel);
}

/* Lower case, hex digits only ("4C4C4544-..." -> "4c4c4544..."). */
static bool
keep_hex(const char *in, char *buf, size_t size)
{
    size_t n = 0;

    for (; *in != '\0' && n + 1 < size; in++)
        if (isxdigit((unsigned char)*in))
            buf[n++] = (char)tolower((unsigned char)*in);
    buf[n] = '\0';
    return n >= 16;
}

static bool
platform_uuid(char *buf, size_t size)
{
    char tmp[128];
    io_service_t dev;
    CFTypeRef uuid;
    bool ok = false;

    /* MACH_PORT_NULL is the default main port on every macOS version */
    dev = IOServiceGetMatchingService(MACH_PORT_NULL,
        IOServiceMatching("IOPlatformExpertDevice"));
    if (dev == IO_OBJECT_NULL)
        return false;
    uuid = IORegistryEntryCreateCFProperty(dev, CFSTR(kIOPlatformUUIDKey),
                                           kCFAllocatorDefault, 0);
    IOObjectRelease(dev);
    if (uuid == NULL)
        return false;
    if (CFGetTypeID(uuid) == CFStringGetTypeID() &&
        CFStringGetCString((CFStringRef)uuid, tmp, sizeof(tmp),
                           kCFStringEncodingUTF8))
        ok = keep_hex(tmp, buf, size);
    CFRelease(uuid);
    return ok;
}

enum estel_rc
estel_host_id(char *buf, size_t size, struct estel_err *err)
{
    if (platform_uuid(buf, size))
        return ESTEL_OK;
    log_warnx("platform: no IOPlatformUUID; using the host name as the host "
              "id (set HostID to choose one)");
    if (gethostname(buf, size) == 0 && buf[0] != '\0') {
        buf[size - 1] = '\0';
        return ESTEL_OK;
    }
    return estel_fail(err, ESTEL_E_IO, "no IOPlatformUUID and no host name; "
                      "set HostID in the configuration");
}

enum estel_rc
estel_boot_id(char *buf, size_t size, struct estel_err *err)
{
    char tmp[128];
    size_t len = sizeof(tmp);

    if (sysctlbyname("kern.bootsessionuuid", tmp, &len, NULL, 0) == 0 &&
        len > 0 && len <= sizeof(tmp)) {
        tmp[len - 1] = '\0';
        if (keep_hex(tmp, buf, size))
            return ESTEL_OK;
    }
    return estel_fail_errno(err, ESTEL_E_IO, "sysctl kern.bootsessionuuid");
}

/* ---- unified log ------------------------------------------------------- */

static os_log_t log_handle;
static pthread_once_t log_once = PTHREAD_ONCE_INIT;

static void
log_open(void)
{
    log_handle = os_log_create("com.estel.agent", "agent");
}

void
estel_log_sink(enum log_level level, const char *line)
{
    os_log_type_t type;

    switch (level) {
    case LOG_LEVEL_ERROR:
        type = OS_LOG_TYPE_ERROR;
        break;
    case LOG_LEVEL_WARN:
        type = OS_LOG_TYPE_DEFAULT;
        break;
    case LOG_LEVEL_INFO:
        type = OS_LOG_TYPE_INFO;
        break;
    default:
        type = OS_LOG_TYPE_DEBUG;
        break;
    }
    pthread_once(&log_once, log_open);
    /* the line is pre-formatted and secret-free, hence public */
    os_log_with_type(log_handle, type, "%{public}s", line);
}

/* ---- network-path changes ---------------------------------------------- */

struct estel_netwatch {
    int fds[2];                     /* [0] read by the uploader */
    dispatch_queue_t queue;
    nw_path_monitor_t monitor;
    dispatch_semaphore_t cancelled; /* signalled by the cancel handler */
};

enum estel_rc
estel_netwatch_open(struct estel_netwatch **out, struct estel_err *err)
{
    struct estel_netwatch *nw;
    dispatch_semaphore_t cancelled;
    int wfd;

    if ((nw = calloc(1, sizeof(*nw))) == NULL)
        return estel_fail(err, ESTEL_E_NOMEM, "netwatch: out of memory");
    if (pipe(nw->fds) != 0) {
        free(nw);
        return estel_fail_errno(err, ESTEL_E_IO, "netwatch: pipe");
    }
    for (int i = 0; i < 2; i++) {
        (void)fcntl(nw->fds[i], F_SETFL, O_NONBLOCK);
        (void)fcntl(nw->fds[i], F_SETFD, FD_CLOEXEC);
    }
    wfd = nw->fds[1];
    nw->queue = dispatch_queue_create("com.estel.netwatch",
                                      DISPATCH_QUEUE_SERIAL);
    nw->monitor = nw_path_monitor_create();
    nw->cancelled = dispatch_semaphore_create(0);
    cancelled = nw->cancelled;
    nw_path_monitor_set_queue(nw->monitor, nw->queue);
    nw_path_monitor_set_update_handler(nw->monitor, ^(nw_path_t path) {
        (void)path;
        /* a full pipe already says "changed": EAGAIN is fine */
        (void)!write(wfd, "x", 1);
    });
    /* after this handler has run the update handler never fires again
     * (path_monitor.h): only then may the pipe close */
    nw_path_monitor_set_cancel_handler(nw->monitor, ^{
        dispatch_semaphore_signal(cancelled);
    });
    nw_path_monitor_start(nw->monitor);
    *out = nw;
    return ESTEL_OK;
}

int
estel_netwatch_fd(const struct estel_netwatch *nw)
{
    return nw != NULL ? nw->fds[0] : -1;
}

bool
estel_netwatch_drain(struct estel_netwatch *nw)
{
    char buf[256];
    bool changed = false;

    if (nw == NULL)
        return false;
    while (read(nw->fds[0], buf, sizeof(buf)) > 0)
        changed = true;
    return changed;
}

void
estel_netwatch_close(struct estel_netwatch **nwp)
{
    struct estel_netwatch *nw;

    if (nwp == NULL || (nw = *nwp) == NULL)
        return;
    nw_path_monitor_cancel(nw->monitor);
    /*
     * Cancelling completes later, on the queue: until the cancel handler
     * has run, an update may still write to fds[1], and a closed number
     * can be reused by then (a batch file).  Wait for it; should it never
     * come, leak the pipe rather than risk that write.
     */
    if (dispatch_semaphore_wait(nw->cancelled, dispatch_time(
            DISPATCH_TIME_NOW, 5 * (int64_t)NSEC_PER_SEC)) != 0) {
        log_warnx("netwatch: the path monitor did not confirm its "
                  "cancellation; leaving its pipe open");
        *nwp = NULL;
        return;
    }
    nw_release(nw->monitor);
    dispatch_release(nw->cancelled);
    dispatch_release(nw->queue);
    close(nw->fds[0]);
    close(nw->fds[1]);
    free(nw);
    *nwp = NULL;
}
