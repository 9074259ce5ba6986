/*
 * dispatch/dispatch.h (estel compat) - the libdispatch subset estel uses.
 *
 * Only dispatch_main() is implemented, by the fake runtime
 * (collector/es/fake/fake_dispatch.c), so estel-sysex's main() runs on
 * Linux: with nothing ever queued on the main queue, "run the main queue
 * forever" is "sleep forever"; the process ends with exit() from the
 * runtime's thread, as on macOS.
 *
 * The rest are declarations for the Darwin compile check (the network
 * watch in common/platform_darwin.c, target estel_darwin_check), never
 * linked.  From Apple's dispatch/object.h and dispatch/queue.h
 * (swift-corelibs-libdispatch, same public API as the macOS SDK), in their
 * plain-C form (OS_OBJECT_USE_OBJC=0): objects are struct pointers and
 * dispatch_release() is a function taking a transparent union.
 */
#ifndef ESTEL_ES_COMPAT_DISPATCH_H
#define ESTEL_ES_COMPAT_DISPATCH_H

#include <stddef.h>

/* dispatch/queue.h */
typedef struct dispatch_queue_s *dispatch_queue_t;
typedef struct dispatch_queue_attr_s *dispatch_queue_attr_t;
#define DISPATCH_QUEUE_SERIAL NULL

/* dispatch/object.h: the union members for the types declared here */
typedef union {
    struct dispatch_object_s *_do;
    struct dispatch_queue_s *_dq;
    struct dispatch_queue_attr_s *_dqa;
} dispatch_object_t __attribute__((__transparent_union__));

#ifdef __BLOCKS__
typedef void (^dispatch_block_t)(void);
#endif

void dispatch_release(dispatch_object_t object);

dispatch_queue_t dispatch_queue_create(const char *label,
                                       dispatch_queue_attr_t attr);
#ifdef __BLOCKS__
void dispatch_sync(dispatch_queue_t queue, dispatch_block_t block);
#endif

/* Never returns. */
void dispatch_main(void) __attribute__((noreturn));

#endif
