/* io.c - see io.h. */
#include "common/io.h"

#include <errno.h>
#include <unistd.h>

int
estel_write_all(int fd, const void *p, size_t len)
{
    const char *c = p;

    while (len != 0) {
        ssize_t n = write(fd, c, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0) {
            errno = EIO;
            return -1;
        }
        c += n;
        len -= (size_t)n;
    }
    return 0;
}
