/*
 * fake_mach.c - task_info(TASK_AUDIT_TOKEN) for the ES source's
 * self-mute: reports this process (pid, uids, gids) with a fixed
 * pidversion and audit session, in libbsm's index order.
 */
#include "collector/es/fake/fake_es.h"

#include <string.h>
#include <unistd.h>
#include <mach/mach.h>

#define FAKE_SELF_PIDVERSION 31337
#define FAKE_SELF_ASID 100001

void
fake_es_self_token(audit_token_t *out)
{
    memset(out, 0, sizeof(*out));
    out->val[0] = 4294967295u;      /* daemons have no audit user */
    out->val[1] = (unsigned int)geteuid();
    out->val[2] = (unsigned int)getegid();
    out->val[3] = (unsigned int)getuid();
    out->val[4] = (unsigned int)getgid();
    out->val[5] = (unsigned int)getpid();
    out->val[6] = FAKE_SELF_ASID;
    out->val[7] = FAKE_SELF_PIDVERSION;
}

task_t
mach_task_self(void)
{
    return 1;       /* any non-zero port name: only task_info reads it */
}

kern_return_t
task_info(task_t target_task, task_flavor_t flavor, task_info_t out,
          mach_msg_type_number_t *count)
{
    audit_token_t tok;

    if (target_task != mach_task_self() || flavor != TASK_AUDIT_TOKEN ||
        out == NULL || count == NULL || *count < TASK_AUDIT_TOKEN_COUNT)
        return KERN_INVALID_ARGUMENT;
    fake_es_self_token(&tok);
    memcpy(out, &tok, sizeof(tok));
    *count = TASK_AUDIT_TOKEN_COUNT;
    return KERN_SUCCESS;
}
