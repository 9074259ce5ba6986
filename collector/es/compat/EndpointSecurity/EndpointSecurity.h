/*
 * EndpointSecurity.h (estel compat) - Linux stand-in for Apple's umbrella
 * header.  collector/es/compat/ is on the include path only when not
 * building for Apple, so `#include <EndpointSecurity/EndpointSecurity.h>`
 * reaches the real SDK on macOS and this set elsewhere; collector code
 * compiles unchanged against either.  See docs/es-mapping.md.
 */
#ifndef __ENDPOINT_SECURITY_H
#define __ENDPOINT_SECURITY_H

#ifdef __APPLE__
#error "the estel ES compat headers must not shadow the macOS SDK"
#endif

#define __ENDPOINT_SECURITY_INDIRECT__
#include "ESTypes.h"
#include "ESMessage.h"
#include "ESClient.h"
#undef __ENDPOINT_SECURITY_INDIRECT__

#endif
