/*
 * fake_dispatch.c - dispatch_main() for Linux builds of estel-sysex.
 * Nothing is ever queued on the main queue, so servicing it forever is
 * sleeping forever; pause() with every signal blocked (the runtime blocks
 * them before starting its threads) never returns, and a handler-driven
 * wake-up just sleeps again.
 */
#include <unistd.h>
#include <dispatch/dispatch.h>

void
dispatch_main(void)
{
    for (;;)
        pause();
}
