/*
 * fake_msg.h - build realistic es_message_t's for tests and benchmarks.
 *
 * A message owns everything it points to (processes, files, strings,
 * event structs, exec args/env/fds) in one arena, and is reference
 * counted like ES's: fake_msg_new() gives one reference, es_retain_message
 * adds one, es_release_message (or fake_msg_free) drops one; the last
 * frees it.  es_exec_arg/es_exec_env/es_exec_fd read the args stored here.
 *
 * Strings are copied without a NUL terminator: a poison byte follows each,
 * so code that trusts NUL termination reads garbage and fails its test.
 *
 * All fields are filled whatever the version (as a newer kernel would):
 * tests check that the converter reads a gated field only when
 * msg->version allows it.  Allocation failure aborts (tests only).
 */
#ifndef ESTEL_FAKE_MSG_H
#define ESTEL_FAKE_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <EndpointSecurity/EndpointSecurity.h>

/* A process description; NULL strings get defaults. */
struct fake_proc {
    pid_t pid;
    int pidversion;
    uid_t uid;
    gid_t gid;
    pid_t ppid;
    const char *exe;
    const char *signing_id;
    const char *team_id;            /* NULL: {0, NULL} as ES sends */
    const char *tty;                /* NULL: no tty */
    bool platform;
};

/*
 * A message of type/version with a default actor (pid 4242, /bin/zsh),
 * NOTIFY/ALLOW, a thread, time 1.7e9 s + n, and an all-zero payload.
 * Give the payload with the helpers or use fake_msg_build().
 */
es_message_t *fake_msg_new(es_event_type_t type, uint32_t version);
/* fake_msg_new + a realistic payload for every event type estel maps;
 * unknown types get none. */
es_message_t *fake_msg_build(es_event_type_t type, uint32_t version);
/* Drop the builder's reference (same as es_release_message). */
void fake_msg_free(es_message_t *m);
/* Messages not yet freed (leak checks). */
size_t fake_msg_live(void);

/* Zeroed memory owned by m. */
void *fake_msg_alloc(es_message_t *m, size_t n);
es_string_token_t fake_msg_str(es_message_t *m, const char *s);
/* Arbitrary bytes (non-UTF-8, embedded NULs). */
es_string_token_t fake_msg_bytes(es_message_t *m, const void *p, size_t n);
/* A file with a realistic Darwin stat (regular, 0644 or 0755 for .../bin
 * and .app paths, directory when path ends in '/'). */
es_file_t *fake_msg_file(es_message_t *m, const char *path);
es_file_t *fake_msg_file_bytes(es_message_t *m, const void *path, size_t n);
es_process_t *fake_msg_proc(es_message_t *m, const struct fake_proc *spec);
/* Set the actor. */
void fake_msg_set_actor(es_message_t *m, const struct fake_proc *spec);

/* exec args/env (copied; read back through es_exec_arg/es_exec_env). */
void fake_msg_exec_args(es_message_t *m, const char *const *argv,
                        size_t argc);
void fake_msg_exec_arg_bytes(es_message_t *m, const void *p, size_t n);
void fake_msg_exec_env(es_message_t *m, const char *const *envp,
                       size_t envc);
void fake_msg_exec_fd(es_message_t *m, int32_t fd, uint32_t fdtype);

/* An argv for su (es_string_token_t array owned by m). */
es_string_token_t *fake_msg_strv(es_message_t *m, const char *const *v,
                                 size_t n);

#endif
