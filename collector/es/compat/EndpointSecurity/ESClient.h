/*
 * ESClient.h (estel compat) - the ES client API, Apple's signatures minus
 * the availability and nullability annotations.  On Linux these symbols
 * come from the fake runtime (collector/es/fake/).
 */
#ifndef ESTEL_ES_COMPAT_CLIENT_H
#define ESTEL_ES_COMPAT_CLIENT_H

#ifndef __ENDPOINT_SECURITY_INDIRECT__
#error "include <EndpointSecurity/EndpointSecurity.h> instead of this file"
#endif

#include "ESMessage.h"

#ifndef __BLOCKS__
#error "the ES API takes a block: build with clang -fblocks (libBlocksRuntime)"
#endif

typedef struct es_client_s es_client_t;

/* Messages arrive serially, in order, on a runtime-owned thread; the
 * message lives until the block returns unless retained. */
typedef void (^es_handler_block_t)(es_client_t *client,
                                   const es_message_t *message);

es_new_client_result_t es_new_client(es_client_t **client,
                                     es_handler_block_t handler);
/* Must run on the thread that called es_new_client. */
es_return_t es_delete_client(es_client_t *client);

/* event_count is a number of elements, not bytes. */
es_return_t es_subscribe(es_client_t *client, const es_event_type_t *events,
                         uint32_t event_count);
es_return_t es_unsubscribe(es_client_t *client,
                           const es_event_type_t *events,
                           uint32_t event_count);
es_return_t es_unsubscribe_all(es_client_t *client);
/* Gives *subscriptions: the caller free()s it. */
es_return_t es_subscriptions(es_client_t *client, size_t *count,
                             es_event_type_t **subscriptions);

es_respond_result_t es_respond_auth_result(es_client_t *client,
                                           const es_message_t *message,
                                           es_auth_result_t result,
                                           bool cache);
es_respond_result_t es_respond_flags_result(es_client_t *client,
                                            const es_message_t *message,
                                            uint32_t authorized_flags,
                                            bool cache);

es_return_t es_mute_process(es_client_t *client,
                            const audit_token_t *audit_token);
es_return_t es_mute_process_events(es_client_t *client,
                                   const audit_token_t *audit_token,
                                   const es_event_type_t *events,
                                   size_t event_count);
es_return_t es_unmute_process(es_client_t *client,
                              const audit_token_t *audit_token);
es_return_t es_unmute_process_events(es_client_t *client,
                                     const audit_token_t *audit_token,
                                     const es_event_type_t *events,
                                     size_t event_count);
es_return_t es_muted_processes_events(es_client_t *client,
                                      es_muted_processes_t **muted);
void es_release_muted_processes(es_muted_processes_t *muted);

/* PREFIX / LITERAL match the acting process's executable; TARGET_* (13.0)
 * the path(s) the event acts on. */
es_return_t es_mute_path(es_client_t *client, const char *path,
                         es_mute_path_type_t type);
es_return_t es_mute_path_events(es_client_t *client, const char *path,
                                es_mute_path_type_t type,
                                const es_event_type_t *events,
                                size_t event_count);
es_return_t es_mute_path_prefix(es_client_t *client,
                                const char *path_prefix);   /* deprecated */
es_return_t es_mute_path_literal(es_client_t *client,
                                 const char *path_literal); /* deprecated */
es_return_t es_unmute_path(es_client_t *client, const char *path,
                           es_mute_path_type_t type);
es_return_t es_unmute_path_events(es_client_t *client, const char *path,
                                  es_mute_path_type_t type,
                                  const es_event_type_t *events,
                                  size_t event_count);
es_return_t es_unmute_all_paths(es_client_t *client);
es_return_t es_unmute_all_target_paths(es_client_t *client);
es_return_t es_muted_paths_events(es_client_t *client,
                                  es_muted_paths_t **muted);
void es_release_muted_paths(es_muted_paths_t *muted);

es_return_t es_invert_muting(es_client_t *client,
                             es_mute_inversion_type_t mute_type);
es_mute_inverted_return_t es_muting_inverted(es_client_t *client,
                                             es_mute_inversion_type_t
                                             mute_type);

es_clear_cache_result_t es_clear_cache(es_client_t *client);

#endif
