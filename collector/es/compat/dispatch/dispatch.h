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
 * linked.  From Apple's dispatch/object.h, queue.h, semaphore.h and time.h
 * (swift-corelibs-libdispatch, same public API as the macOS SDK), in their
 * plain-C form (OS_OBJECT_USE_OBJC=0): objects are struct pointers and
 * dispatch_release() is a function taking a transparent union.
 */
#ifndef ESTEL_ES_COMPAT_DISPATCH_H
#define ESTEL_ES_COMPAT_DISPATCH_H

#include <stddef.h>
#include <stdint.h>

/* dispatch/queue.h */
typedef struct dispatch_queue_s *dispatch_queue_t;
typedef struct dispatch_queue_attr_s *dispatch_queue_attr_t;
#define DISPATCH_QUEUE_SERIAL NULL

/* dispatch/semaphore.h, dispatch/time.h */
typedef struct dispatch_semaphore_s *dispatch_semaphore_t;
typedef uint64_t dispatch_time_t;
#define DISPATCH_TIME_NOW (0ull)
#define DISPATCH_TIME_FOREVER (~0ull)
#define NSEC_PER_SEC 1000000000ull

/* dispatch/object.h: the union members for the types declared here */
typedef union {
    struct dispatch_object_s *_do;
    struct dispatch_queue_s *_dq;
    struct dispatch_queue_attr_s *_dqa;
    struct dispatch_semaphore_s *_dsema;
} dispatch_object_t __attribute__((__transparent_union__));

dispatch_semaphore_t dispatch_semaphore_create(intptr_t value);
intptr_t dispatch_semaphore_wait(dispatch_semaphore_t dsema,
                                 dispatch_time_t timeout);
intptr_t dispatch_semaphore_signal(dispatch_semaphore_t dsema);
dispatch_time_t dispatch_time(dispatch_time_t when, int64_t delta);

void dispatch_release(dispatch_object_t object);

dispatch_queue_t dispatch_queue_create(const char *label,
                                       dispatch_queue_attr_t attr);
/* Never returns. */
void dispatch_main(void) __attribute__((noreturn));

#endif
