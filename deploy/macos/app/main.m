/*
 * main.m - the estel container app: a command-line tool inside an app
 * bundle, because only an app in /Applications may install a system
 * extension.  The pkg's postinstall runs it as root; an admin may too.
 *
 *   Estel [--activate]         install or upgrade the sysex (default)
 *   Estel --uninstall          deactivate and remove it
 *   Estel --status             show installed versions (macOS 12+)
 *   options: --force (replace the same version), --wait (keep waiting for
 *            approval), --timeout SECONDS (default 120)
 *
 * Exit status: 0 done, 1 refused (message on stderr), 2 usage, 3 waiting
 * for approval, 4 completes after restart, 5 no answer in time.
 */
#import <Foundation/Foundation.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#import "EstelActivator.h"

#if !defined(ESTEL_SYSEX_BUNDLE_ID) || !defined(ESTEL_APP_NAME)
#error "CMake passes -DESTEL_SYSEX_BUNDLE_ID=... (deploy/macos)"
#endif

static void
usage(FILE *out)
{
    fprintf(out, "usage: %s [--activate | --uninstall | --status] "
            "[--force] [--wait] [--timeout SECONDS]\n", ESTEL_APP_NAME);
}

int
main(int argc, char **argv)
{
    @autoreleasepool {
        enum { ACTIVATE, UNINSTALL, STATUS } action = ACTIVATE;
        BOOL force = NO, wait = NO;
        long timeout_s = 120;
        EstelActivator *activator;
        NSDate *deadline;

        for (int i = 1; i < argc; i++) {
            char *end;

            if (strcmp(argv[i], "--activate") == 0) {
                action = ACTIVATE;
            } else if (strcmp(argv[i], "--uninstall") == 0) {
                action = UNINSTALL;
            } else if (strcmp(argv[i], "--status") == 0) {
                action = STATUS;
            } else if (strcmp(argv[i], "--force") == 0) {
                force = YES;
            } else if (strcmp(argv[i], "--wait") == 0) {
                wait = YES;
            } else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
                timeout_s = strtol(argv[++i], &end, 10);
                if (*end != '\0' || timeout_s <= 0 || timeout_s > 86400) {
                    fprintf(stderr, "estel: --timeout %s: give 1..86400 "
                            "seconds\n", argv[i]);
                    return ESTEL_APP_USAGE;
                }
            } else if (strcmp(argv[i], "--help") == 0) {
                usage(stdout);
                return ESTEL_APP_OK;
            } else {
                /* Finder and launchd may add -psn_... style arguments;
                 * refuse anything else so a typo is not an activation */
                usage(stderr);
                return ESTEL_APP_USAGE;
            }
        }
        activator = [[EstelActivator alloc]
                     initWithExtension:@ESTEL_SYSEX_BUNDLE_ID
                                 force:force
                       waitForApproval:wait];
        switch (action) {
        case ACTIVATE:
            [activator activate];
            break;
        case UNINSTALL:
            [activator deactivate];
            break;
        case STATUS:
            if (@available(macOS 12.0, *)) {
                [activator showStatus];
            } else {
                fprintf(stderr, "estel: --status needs macOS 12; use "
                        "systemextensionsctl list\n");
                return ESTEL_APP_USAGE;
            }
            break;
        }
        /* the delegate runs on the main queue: service it until done */
        deadline = [NSDate dateWithTimeIntervalSinceNow:timeout_s];
        while (!activator.finished && deadline.timeIntervalSinceNow > 0)
            [[NSRunLoop mainRunLoop]
                runMode:NSDefaultRunLoopMode
             beforeDate:[NSDate dateWithTimeIntervalSinceNow:0.5]];
        if (!activator.finished)
            fprintf(stderr, "estel: no answer from sysextd in %ld s; "
                    "check `systemextensionsctl list` and `log show --last "
                    "5m --predicate 'process == \"sysextd\"'`\n", timeout_s);
        fflush(stdout);
        return activator.exitCode;
    }
}
