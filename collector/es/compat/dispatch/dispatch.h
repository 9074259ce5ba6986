/*
 * dispatch/dispatch.h (estel compat) - the few libdispatch calls
 * estel-sysex makes to wait for SIGTERM on macOS, implemented by the fake
 * runtime (collector/es/fake/fake_dispatch.c) so the same main() runs in
 * Linux tests.  Only signal sources on the main queue are supported.
 *
 * Difference worth knowing: the fake blocks the signal in the calling
 * thread when the source is created (threads started afterwards inherit
 * the mask) and dispatch_main() sigwait()s for it, so create signal
 * sources before starting threads - which estel-sysex does anyway.
 */
#ifndef ESTEL_ES_COMPAT_DISPATCH_H
#define ESTEL_ES_COMPAT_DISPATCH_H

#include <stdint.h>

#ifndef __BLOCKS__
#error "libdispatch takes blocks: build with clang -fblocks"
#endif

typedef struct dispatch_queue_s *dispatch_queue_t;
typedef struct dispatch_source_s *dispatch_source_t;
typedef const struct dispatch_source_type_s *dispatch_source_type_t;
typedef void (^dispatch_block_t)(void);

extern const struct dispatch_source_type_s _dispatch_source_type_signal;
#define DISPATCH_SOURCE_TYPE_SIGNAL (&_dispatch_source_type_signal)

dispatch_queue_t dispatch_get_main_queue(void);
dispatch_source_t dispatch_source_create(dispatch_source_type_t type,
                                         uintptr_t handle, uintptr_t mask,
                                         dispatch_queue_t queue);
void dispatch_source_set_event_handler(dispatch_source_t source,
                                       dispatch_block_t handler);
void dispatch_resume(dispatch_source_t object);
/* Never returns: runs the main queue's signal handlers. */
void dispatch_main(void) __attribute__((noreturn));

#endif
