/*
 * listen.c - where ingest listens and where it writes.
 *
 * The listening socket is made here, not by libmicrohttpd, so that one
 * spec covers loopback TCP, IPv6 and a unix socket behind nginx, and so
 * that port 0 works (tests read the real port from the startup line).
 * The output directory holds the NDJSON files; its ".estel-ingest/"
 * subdirectory (0700) holds the dedupe log and a lock file: flock keeps a
 * second ingest from interleaving writes into the same files.
 */
#include "ingest/ingest_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define STATE_DIR ".estel-ingest"
#define BACKLOG 128

static enum estel_rc
listen_unix(const char *path, int *fd, char *addr, size_t size,
            struct estel_err *err)
{
    struct sockaddr_un sun;
    struct stat st;
    int s;

    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(sun.sun_path))
        return estel_fail(err, ESTEL_E_CONFIG, "IngestListen: unix socket "
                          "path %s is too long", path);
    memcpy(sun.sun_path, path, strlen(path) + 1);
    /* a stale socket of a previous run; never remove anything else */
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode))
            return estel_fail(err, ESTEL_E_CONFIG, "IngestListen: %s exists "
                              "and is not a socket; remove it or pick "
                              "another path", path);
        if (unlink(path) != 0)
            return estel_fail_errno(err, ESTEL_E_IO, "ingest: cannot "
                                    "remove stale socket %s", path);
    }
    if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
        return estel_fail_errno(err, ESTEL_E_IO, "ingest: socket");
    if (bind(s, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
        chmod(path, 0660) != 0 || listen(s, BACKLOG) != 0) {
        int e = errno;

        close(s);
        errno = e;
        return estel_fail_errno(err, ESTEL_E_IO, "ingest: cannot listen "
                                "on unix:%s", path);
    }
    snprintf(addr, size, "unix:%s", path);
    *fd = s;
    return ESTEL_OK;
}

/* "host:port" / "[v6]:port" -> host and port strings. */
static bool
split(const char *spec, char *host, size_t hsize, const char **port)
{
    const char *colon;
    size_t n;

    if (spec[0] == '[') {
        const char *end = strchr(spec, ']');

        if (end == NULL || end[1] != ':')
            return false;
        n = (size_t)(end - spec - 1);
        if (n >= hsize)
            return false;
        memcpy(host, spec + 1, n);
        host[n] = '\0';
        *port = end + 2;
        return true;
    }
    if ((colon = strrchr(spec, ':')) == NULL)
        return false;
    n = (size_t)(colon - spec);
    if (n >= hsize)
        return false;
    memcpy(host, spec, n);
    host[n] = '\0';
    *port = colon + 1;
    return **port != '\0';
}

static void
format_addr(const struct sockaddr_storage *ss, char *addr, size_t size)
{
    char ip[INET6_ADDRSTRLEN];

    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;

        inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
        snprintf(addr, size, "[%s]:%u", ip, ntohs(a->sin6_port));
    } else {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;

        inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
        snprintf(addr, size, "%s:%u", ip, ntohs(a->sin_port));
    }
}

static enum estel_rc
listen_tcp(const char *spec, int *fd, char *addr, size_t size,
           struct estel_err *err)
{
    struct addrinfo hints, *res = NULL, *ai;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    char host[256];
    const char *port;
    int s = -1, one = 1, r, e = 0;

    if (!split(spec, host, sizeof(host), &port))
        return estel_fail(err, ESTEL_E_CONFIG, "IngestListen: \"%s\" is not "
                          "HOST:PORT, [IPv6]:PORT or unix:/PATH", spec);
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    if ((r = getaddrinfo(host[0] != '\0' ? host : NULL, port, &hints,
                         &res)) != 0)
        return estel_fail(err, ESTEL_E_CONFIG, "IngestListen: %s: %s", spec,
                          gai_strerror(r));
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        s = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
                   ai->ai_protocol);
        if (s < 0)
            continue;
        (void)setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(s, ai->ai_addr, ai->ai_addrlen) == 0 &&
            listen(s, BACKLOG) == 0)
            break;
        e = errno;
        close(s);
        s = -1;
    }
    freeaddrinfo(res);
    if (s < 0) {
        errno = e;
        return estel_fail_errno(err, ESTEL_E_IO, "ingest: cannot listen on "
                                "%s", spec);
    }
    if (getsockname(s, (struct sockaddr *)&ss, &sl) == 0)
        format_addr(&ss, addr, size);
    else
        snprintf(addr, size, "%s", spec);
    *fd = s;
    return ESTEL_OK;
}

enum estel_rc
listen_open(const char *spec, int *fd, char *addr, size_t size,
            struct estel_err *err)
{
    enum estel_rc rc;
    int flags;

    if (spec == NULL)
        return estel_fail(err, ESTEL_E_CONFIG, "IngestListen is not set; "
                          "give e.g. 127.0.0.1:8088 or unix:/run/estel/"
                          "ingest.sock");
    rc = strncmp(spec, "unix:", 5) == 0 ?
         listen_unix(spec + 5, fd, addr, size, err) :
         listen_tcp(spec, fd, addr, size, err);
    if (rc == ESTEL_OK && (flags = fcntl(*fd, F_GETFL)) >= 0)
        (void)fcntl(*fd, F_SETFL, flags | O_NONBLOCK);  /* MHD polls it */
    return rc;
}

void
listen_close(const char *spec, int fd)
{
    close(fd);
    if (spec != NULL && strncmp(spec, "unix:", 5) == 0)
        (void)unlink(spec + 5);     /* gone either way at next start */
}

enum estel_rc
outdir_open(const char *path, int *dirfd, int *statefd, int *lockfd,
            struct estel_err *err)
{
    int d, s, l;

    if (path == NULL)
        return estel_fail(err, ESTEL_E_CONFIG, "IngestOutputDirectory is "
                          "not set");
    if (mkdir(path, 0750) != 0 && errno != EEXIST)
        return estel_fail_errno(err, ESTEL_E_IO, "IngestOutputDirectory "
                                "%s: cannot create", path);
    if ((d = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        return estel_fail_errno(err, ESTEL_E_IO, "IngestOutputDirectory "
                                "%s: cannot open", path);
    if ((mkdirat(d, STATE_DIR, 0700) != 0 && errno != EEXIST) ||
        (s = openat(d, STATE_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
                    O_CLOEXEC)) < 0) {
        int e = errno;

        close(d);
        errno = e;
        return estel_fail_errno(err, ESTEL_E_IO, "IngestOutputDirectory "
                                "%s: cannot use %s/", path, STATE_DIR);
    }
    l = openat(s, "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (l < 0 || flock(l, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;

        if (l >= 0)
            close(l);
        close(s);
        close(d);
        if (e == EWOULDBLOCK)
            return estel_fail(err, ESTEL_E_CONFIG, "IngestOutputDirectory "
                              "%s is in use by another estel ingest; give "
                              "each ingest its own directory", path);
        errno = e;
        return estel_fail_errno(err, ESTEL_E_IO, "IngestOutputDirectory "
                                "%s: cannot lock", path);
    }
    *dirfd = d;
    *statefd = s;
    *lockfd = l;
    return ESTEL_OK;
}
