/*
 * mach/mach.h (estel compat) - the sliver of Mach the ES source uses:
 * task_info(mach_task_self(), TASK_AUDIT_TOKEN, ...) to learn its own
 * audit token for es_mute_process.  Implemented by the fake runtime, which
 * reports the calling process (pid, euid, ...) and a fixed pidversion.
 * The Darwin compile check (common/compat/IOKit/IOKitLib.h) takes its
 * Mach types and MACH_PORT_NULL from here too.
 */
#ifndef ESTEL_ES_COMPAT_MACH_H
#define ESTEL_ES_COMPAT_MACH_H

#include "EndpointSecurity/ESCompatDarwin.h"

typedef int kern_return_t;
typedef unsigned int natural_t;
typedef int integer_t;
typedef natural_t mach_port_t;
typedef mach_port_t task_t;
typedef natural_t task_flavor_t;
typedef integer_t *task_info_t;
typedef natural_t mach_msg_type_number_t;

#define MACH_PORT_NULL 0            /* <mach/port.h> */
#define KERN_SUCCESS 0
#define KERN_INVALID_ARGUMENT 4
#define TASK_AUDIT_TOKEN 15
#define TASK_AUDIT_TOKEN_COUNT \
    ((mach_msg_type_number_t)(sizeof(audit_token_t) / sizeof(natural_t)))

task_t mach_task_self(void);
kern_return_t task_info(task_t target_task, task_flavor_t flavor,
                        task_info_t task_info_out,
                        mach_msg_type_number_t *task_info_count);

#endif
