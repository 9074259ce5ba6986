/*
 * EstelActivator.m - the OSSystemExtensionRequestDelegate of the container
 * app.  Replacement rule: replace the installed sysex when its
 * CFBundleVersion or CFBundleShortVersionString differs from the bundled
 * one (upgrades and deliberate rollbacks alike); keep it when they are
 * equal, unless --force.  Every failure names OSSystemExtensionError's
 * code and the usual fix.
 */
#import "EstelActivator.h"

#include <stdio.h>

@implementation EstelActivator {
    NSString *_identifier;
    BOOL _force;
    BOOL _wait;
    BOOL _deactivating;
    BOOL _keptExisting;         /* we answered Cancel to a same-version
                                   replacement: error 11 then means "ok" */
}

- (instancetype)initWithExtension:(NSString *)identifier
                            force:(BOOL)force
                  waitForApproval:(BOOL)wait
{
    self = [super init];
    if (self != nil) {
        _identifier = [identifier copy];
        _force = force;
        _wait = wait;
        _exitCode = ESTEL_APP_TIMEOUT;
    }
    return self;
}

- (void)finish:(int)code
{
    _exitCode = code;
    _finished = YES;
}

- (void)submit:(OSSystemExtensionRequest *)request
{
    request.delegate = self;
    [[OSSystemExtensionManager sharedManager] submitRequest:request];
}

- (void)activate
{
    printf("estel: requesting activation of %s\n",
           _identifier.UTF8String);
    fflush(stdout);
    [self submit:[OSSystemExtensionRequest
                     activationRequestForExtension:_identifier
                                             queue:dispatch_get_main_queue()]];
}

- (void)deactivate
{
    _deactivating = YES;
    printf("estel: requesting deactivation of %s\n",
           _identifier.UTF8String);
    fflush(stdout);
    [self submit:[OSSystemExtensionRequest
                     deactivationRequestForExtension:_identifier
                                               queue:dispatch_get_main_queue()]];
}

- (void)showStatus
{
    [self submit:[OSSystemExtensionRequest
                     propertiesRequestForExtension:_identifier
                                             queue:dispatch_get_main_queue()]];
}

/* --- OSSystemExtensionRequestDelegate ------------------------------- */

- (OSSystemExtensionReplacementAction)request:(OSSystemExtensionRequest *)request
                  actionForReplacingExtension:(OSSystemExtensionProperties *)existing
                                withExtension:(OSSystemExtensionProperties *)ext
{
    BOOL differs = ![existing.bundleVersion isEqualToString:ext.bundleVersion] ||
        ![existing.bundleShortVersion isEqualToString:ext.bundleShortVersion];

    (void)request;
    if (differs || _force) {
        printf("estel: replacing %s %s (%s) with %s (%s)\n",
               _identifier.UTF8String, existing.bundleShortVersion.UTF8String,
               existing.bundleVersion.UTF8String,
               ext.bundleShortVersion.UTF8String, ext.bundleVersion.UTF8String);
        fflush(stdout);
        return OSSystemExtensionReplacementActionReplace;
    }
    /* sysextd asks even for equal versions in developer mode: keep the
     * running one, so a re-run of the pkg causes no monitoring gap */
    _keptExisting = YES;
    return OSSystemExtensionReplacementActionCancel;
}

- (void)requestNeedsUserApproval:(OSSystemExtensionRequest *)request
{
    (void)request;
    fprintf(stderr, "estel: %s waits for approval: deploy the MDM profile "
            "from `estel profile` (system extension policy for this team "
            "and bundle id), or approve it in System Settings > Privacy & "
            "Security (macOS 15: General > Login Items & Extensions)\n",
            _identifier.UTF8String);
    if (!_wait)
        [self finish:ESTEL_APP_NEEDS_APPROVAL];
}

- (void)request:(OSSystemExtensionRequest *)request
    didFinishWithResult:(OSSystemExtensionRequestResult)result
{
    (void)request;
    if (result == OSSystemExtensionRequestWillCompleteAfterReboot) {
        printf("estel: %s will be %s after the next restart\n",
               _identifier.UTF8String,
               _deactivating ? "removed" : "activated");
        [self finish:ESTEL_APP_AFTER_REBOOT];
        return;
    }
    printf("estel: %s %s\n", _identifier.UTF8String,
           _deactivating ? "deactivated" : "activated");
    [self finish:ESTEL_APP_OK];
}

static const char *
errorHint(NSInteger code)
{
    switch (code) {
    case OSSystemExtensionErrorMissingEntitlement:
        return "the app lacks com.apple.developer.system-extension.install "
               "or the provisioning profile that allows it";
    case OSSystemExtensionErrorUnsupportedParentBundleLocation:
        return "the app must be in /Applications; move it there";
    case OSSystemExtensionErrorExtensionNotFound:
        return "no Contents/Library/SystemExtensions/<id>.systemextension "
               "with this identifier in the app; rebuild the bundle";
    case OSSystemExtensionErrorExtensionMissingIdentifier:
        return "the sysex Info.plist has no CFBundleIdentifier";
    case OSSystemExtensionErrorDuplicateExtensionIdentifer:
        return "another system extension already uses this identifier";
    case OSSystemExtensionErrorUnknownExtensionCategory:
        return "the sysex is not recognised as an Endpoint Security "
               "extension; check CFBundlePackageType SYSX and entitlements";
    case OSSystemExtensionErrorCodeSignatureInvalid:
        return "bad signature: sign the sysex then the app with Developer "
               "ID, --options runtime and --timestamp, then notarize; check "
               "with codesign --verify --deep --strict";
    case OSSystemExtensionErrorValidationFailed:
        return "the entitlements are not allowed by the embedded "
               "provisioning profiles (Endpoint Security and System "
               "Extension capabilities)";
    case OSSystemExtensionErrorForbiddenBySystemPolicy:
        return "a system extension policy forbids it: check the team id "
               "and bundle id in the MDM profile";
    case OSSystemExtensionErrorRequestCanceled:
        return "the request was canceled";
    case OSSystemExtensionErrorRequestSuperseded:
        return "a newer request for the same extension replaced this one";
    case OSSystemExtensionErrorAuthorizationRequired:
        return "removal needs an administrator: run it with sudo from an "
               "admin session, or remove the MDM profile (macOS 11.3+ then "
               "deactivates the extension itself)";
    default:
        return "see `log show --last 5m --predicate 'process == "
               "\"sysextd\"'`";
    }
}

- (void)request:(OSSystemExtensionRequest *)request
    didFailWithError:(NSError *)error
{
    (void)request;
    if (_keptExisting && error.code == OSSystemExtensionErrorRequestCanceled) {
        printf("estel: %s is already active at this version; kept it\n",
               _identifier.UTF8String);
        [self finish:ESTEL_APP_OK];
        return;
    }
    fprintf(stderr, "estel: %s of %s failed: OSSystemExtensionError %ld "
            "(%s): %s\n", _deactivating ? "deactivation" : "activation",
            _identifier.UTF8String, (long)error.code,
            error.localizedDescription.UTF8String, errorHint(error.code));
    [self finish:ESTEL_APP_FAILED];
}

- (void)request:(OSSystemExtensionRequest *)request
    foundProperties:(NSArray<OSSystemExtensionProperties *> *)properties
    API_AVAILABLE(macos(12.0))
{
    (void)request;
    if (properties.count == 0)
        printf("estel: %s is not installed\n", _identifier.UTF8String);
    for (OSSystemExtensionProperties *p in properties)
        printf("%s %s (%s)%s%s%s\n", p.bundleIdentifier.UTF8String,
               p.bundleShortVersion.UTF8String, p.bundleVersion.UTF8String,
               p.isEnabled ? " enabled" : " disabled",
               p.isAwaitingUserApproval ? " awaiting-approval" : "",
               p.isUninstalling ? " uninstalling" : "");
    [self finish:ESTEL_APP_OK];
}

@end
