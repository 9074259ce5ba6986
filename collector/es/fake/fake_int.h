/*
 * fake_int.h - private to collector/es/fake/.
 */
#ifndef ESTEL_FAKE_INT_H
#define ESTEL_FAKE_INT_H

#include <stdbool.h>
#include <EndpointSecurity/EndpointSecurity.h>

/* fake_msg_events13.c: payloads of the macOS 13+ userspace events; false
 * if type is not one of them. */
bool fake_msg_build_user(es_message_t *m, es_event_type_t type);

#endif
