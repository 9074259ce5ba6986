/*
 * platform_linux.c - the Linux side of the platform seam.
 */
#include "common/platform.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <net/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

int
estel_fsync_file(int fd, bool full)
{
    (void)full;     /* Linux fdatasync already reaches the platter */
    return fdatasync(fd);
}

int
estel_fsync_dir(int dirfd)
{
    return fsync(dirfd);
}

int64_t
estel_now_realtime_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t
estel_now_mono_ns(void)
{
    struct timespec ts;

    /* CLOCK_BOOTTIME keeps counting through suspend, like backoff wants */
    clock_gettime(CLOCK_BOOTTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int
estel_cond_init(pthread_cond_t *cond)
{
    pthread_condattr_t attr;
    int rc;

    if ((rc = pthread_condattr_init(&attr)) != 0)
        return rc;
    rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (rc == 0)
        rc = pthread_cond_init(cond, &attr);
    pthread_condattr_destroy(&attr);
    return rc;
}

int
estel_cond_timedwait_ms(pthread_cond_t *cond, pthread_mutex_t *mutex,
                        int64_t timeout_ms)
{
    struct timespec ts;

    if (timeout_ms < 0)
        timeout_ms = 0;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += timeout_ms / 1000;
    ts.tv_nsec += (timeout_ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    return pthread_cond_timedwait(cond, mutex, &ts);
}

/* Read the first line of a small file, keep hex digits only, lower case. */
static bool
read_id_file(const char *path, char *buf, size_t size)
{
    char line[128];
    size_t n = 0;
    FILE *f = fopen(path, "re");

    if (f == NULL)
        return false;
    if (fgets(line, sizeof(line), f) == NULL) {
        fclose(f);
        return false;
    }
    fclose(f);
    for (const char *p = line; *p != '\0' && n + 1 < size; p++)
        if (isxdigit((unsigned char)*p))
            buf[n++] = (char)tolower((unsigned char)*p);
    buf[n] = '\0';
    return n >= 16;
}

enum estel_rc
estel_host_id(char *buf, size_t size, struct estel_err *err)
{
    if (read_id_file("/etc/machine-id", buf, size) ||
        read_id_file("/var/lib/dbus/machine-id", buf, size))
        return ESTEL_OK;
    if (gethostname(buf, size) == 0 && buf[0] != '\0') {
        buf[size - 1] = '\0';
        return ESTEL_OK;
    }
    return estel_fail(err, ESTEL_E_IO, "no /etc/machine-id and no hostname; "
                      "set HostID in the configuration");
}

enum estel_rc
estel_boot_id(char *buf, size_t size, struct estel_err *err)
{
    if (read_id_file("/proc/sys/kernel/random/boot_id", buf, size))
        return ESTEL_OK;
    return estel_fail(err, ESTEL_E_IO, "cannot read "
                      "/proc/sys/kernel/random/boot_id");
}

void
estel_log_sink(enum log_level level, const char *line)
{
    (void)level;
    (void)line;
}

struct estel_netwatch {
    int fd;
};

enum estel_rc
estel_netwatch_open(struct estel_netwatch **out, struct estel_err *err)
{
    struct sockaddr_nl sa;
    struct estel_netwatch *nw;

    if ((nw = calloc(1, sizeof(*nw))) == NULL)
        return estel_fail(err, ESTEL_E_NOMEM, "netwatch: out of memory");
    nw->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
                    NETLINK_ROUTE);
    if (nw->fd < 0) {
        free(nw);
        return estel_fail_errno(err, ESTEL_E_IO, "netwatch: rtnetlink socket");
    }
    memset(&sa, 0, sizeof(sa));
    sa.nl_family = AF_NETLINK;
    sa.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR |
                   RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE;
    if (bind(nw->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        estel_fail_errno(err, ESTEL_E_IO, "netwatch: bind rtnetlink");
        close(nw->fd);
        free(nw);
        return ESTEL_E_IO;
    }
    *out = nw;
    return ESTEL_OK;
}

int
estel_netwatch_fd(const struct estel_netwatch *nw)
{
    return nw != NULL ? nw->fd : -1;
}

bool
estel_netwatch_drain(struct estel_netwatch *nw)
{
    char buf[8192];
    bool changed = false;
    ssize_t n;

    if (nw == NULL)
        return false;
    for (;;) {
        const struct nlmsghdr *h = (const struct nlmsghdr *)(void *)buf;
        size_t len;

        n = recv(nw->fd, buf, sizeof(buf), 0);
        if (n < 0 && errno == ENOBUFS) {
            changed = true;     /* the kernel dropped news: assume a change */
            continue;
        }
        if (n <= 0)
            break;
        len = (size_t)n;
        /* only a path coming (back) counts: a link that is up and running,
         * a new address or route.  Going down needs no wake-up: the next
         * try fails on its own. */
        for (; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
            if (h->nlmsg_type == RTM_NEWLINK &&
                h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct ifinfomsg))) {
                const struct ifinfomsg *ifi = NLMSG_DATA(h);

                if ((ifi->ifi_flags & (IFF_UP | IFF_RUNNING)) ==
                    (IFF_UP | IFF_RUNNING))
                    changed = true;
            } else if (h->nlmsg_type == RTM_NEWADDR ||
                       h->nlmsg_type == RTM_NEWROUTE) {
                changed = true;
            }
        }
    }
    return changed;
}

void
estel_netwatch_close(struct estel_netwatch **nw)
{
    if (nw == NULL || *nw == NULL)
        return;
    close((*nw)->fd);
    free(*nw);
    *nw = NULL;
}

enum estel_rc
estel_identity_export(const char *match, const char *cert_path,
                      const char *key_path, struct estel_err *err)
{
    (void)match;
    (void)cert_path;
    (void)key_path;
    return estel_fail(err, ESTEL_E_UNSUPPORTED, "exporting the client "
                      "identity from a keychain exists only on macOS; on "
                      "Linux give ClientCertificate and ClientKey as PEM "
                      "files");
}
