/* ingest_check.h - assertions shared by the ingest tests. */
#ifndef ESTEL_TEST_INGEST_CHECK_H
#define ESTEL_TEST_INGEST_CHECK_H

#include <msgpack.h>

/*
 * Fail the test unless every leaf of o (strings; integers as numbers, or
 * RFC 3339 when they are ns times) appears somewhere in text.
 */
void nothing_dropped(const char *text, const msgpack_object *o);

#endif
