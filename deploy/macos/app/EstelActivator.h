/*
 * EstelActivator.h - asks sysextd to activate, replace or deactivate the
 * estel Endpoint Security system extension, and turns the answer into a
 * line on stdout/stderr and an exit status (main.m lists them).
 *
 * SystemExtensions.framework has no C API, hence this one Objective-C
 * class; everything else in estel is C.  All callbacks arrive on the main
 * queue, which main.m services by running the main run loop.
 */
#import <Foundation/Foundation.h>
#import <SystemExtensions/SystemExtensions.h>

/* Exit statuses of the container app (documented in docs/deployment.md). */
enum {
    ESTEL_APP_OK = 0,           /* activated, replaced, already active, or
                                   deactivated */
    ESTEL_APP_FAILED = 1,       /* sysextd refused: see the message */
    ESTEL_APP_USAGE = 2,
    ESTEL_APP_NEEDS_APPROVAL = 3,   /* pending until a user approves or the
                                       MDM system-extension policy lands */
    ESTEL_APP_AFTER_REBOOT = 4, /* completes at the next restart */
    ESTEL_APP_TIMEOUT = 5       /* no answer from sysextd in time */
};

@interface EstelActivator : NSObject <OSSystemExtensionRequestDelegate>

/* identifier: the sysex CFBundleIdentifier.  force: replace even when the
 * installed version is the same (developer mode re-installs). wait: keep
 * waiting after "needs user approval" instead of returning 3. */
- (instancetype)initWithExtension:(NSString *)identifier
                            force:(BOOL)force
                  waitForApproval:(BOOL)wait;

- (void)activate;
- (void)deactivate;
- (void)showStatus API_AVAILABLE(macos(12.0));

@property (readonly) BOOL finished;
@property (readonly) int exitCode;

@end
