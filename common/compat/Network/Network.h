/*
 * Network/Network.h (estel compat) - declarations only, for compiling
 * common/platform_darwin.c on Linux.  From Apple's Network.framework
 * nw_object.h, path.h and path_monitor.h (macOS 11 SDK), plain-C form
 * (OS_OBJECT_USE_OBJC=0): NW_OBJECT_DECL(t) is "struct t; typedef struct
 * t *t_t" and nw_release() is a function.
 */
#ifndef ESTEL_COMPAT_NETWORK_H
#define ESTEL_COMPAT_NETWORK_H

#include <dispatch/dispatch.h>

/* nw_object.h */
void nw_release(void *obj);

/* path.h */
struct nw_path;
typedef struct nw_path *nw_path_t;

/* path_monitor.h */
struct nw_path_monitor;
typedef struct nw_path_monitor *nw_path_monitor_t;

nw_path_monitor_t nw_path_monitor_create(void);
#ifdef __BLOCKS__
typedef void (^nw_path_monitor_update_handler_t)(nw_path_t path);
void nw_path_monitor_set_update_handler(nw_path_monitor_t monitor,
    nw_path_monitor_update_handler_t update_handler);
typedef void (^nw_path_monitor_cancel_handler_t)(void);
void nw_path_monitor_set_cancel_handler(nw_path_monitor_t monitor,
    nw_path_monitor_cancel_handler_t cancel_handler);
#endif
void nw_path_monitor_set_queue(nw_path_monitor_t monitor,
                               dispatch_queue_t queue);
void nw_path_monitor_start(nw_path_monitor_t monitor);
void nw_path_monitor_cancel(nw_path_monitor_t monitor);

#endif
