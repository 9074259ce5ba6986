/*
 * io.h - small POSIX file helpers shared by the modules that write files
 * (spool batches, ingest output and dedupe log, the status state file,
 * generated profiles).
 */
#ifndef ESTEL_IO_H
#define ESTEL_IO_H

#include <stddef.h>

/*
 * Write all len bytes, continuing short writes and EINTR.  Returns 0, or
 * -1 with errno (EIO if write(2) wrote nothing, which a file should never
 * do).
 */
int estel_write_all(int fd, const void *p, size_t len);

#endif
