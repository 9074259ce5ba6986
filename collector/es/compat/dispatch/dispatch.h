/*
 * dispatch/dispatch.h (estel compat) - the one libdispatch call
 * estel-sysex makes, dispatch_main(), implemented by the fake runtime
 * (collector/es/fake/fake_dispatch.c) so the same main() runs on Linux.
 * With nothing ever queued on the main queue, "run the main queue
 * forever" is "sleep forever"; the process ends with exit() from the
 * runtime's thread, as on macOS.
 */
#ifndef ESTEL_ES_COMPAT_DISPATCH_H
#define ESTEL_ES_COMPAT_DISPATCH_H

/* Never returns. */
void dispatch_main(void) __attribute__((noreturn));

#endif
