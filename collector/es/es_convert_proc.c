/*
 * es_convert_proc.c - payloads of the process and system events (exec,
 * fork, exit, signal, task ports, uid changes, kexts, ptys).  The mapping
 * table is at the top of es_convert.c.
 */
#include "collector/es/es_int.h"

/* args (and env) through the accessors; the lists keep the first
 * ArgvMaxCount items and the real count, the encoder the byte cap. */
static void
put_exec_strs(struct es_conv *cv, struct estel_event *ev,
              const es_event_exec_t *e)
{
    struct ev_strs l;
    uint32_t n = es_exec_arg_count(e);
    size_t keep = n < cv->strs_cap ? n : cv->strs_cap;

    for (size_t i = 0; i < keep; i++)
        cv->strs[i] = es_str(es_exec_arg(e, (uint32_t)i));
    l.items = cv->strs;
    l.stored = keep;
    l.count = n;
    ev_add_strs(ev, "args", l);
    if (!cv->capture_env)
        return;     /* secrets: not even borrowed unless asked for */
    n = es_exec_env_count(e);
    keep = n < cv->strs_cap ? n : cv->strs_cap;
    for (size_t i = 0; i < keep; i++)
        cv->env[i] = es_str(es_exec_env(e, (uint32_t)i));
    l.items = cv->env;
    l.stored = keep;
    l.count = n;
    ev_add_strs(ev, "env", l);
}

static void
conv_exec(struct es_conv *cv, const es_message_t *msg,
          struct estel_event *ev)
{
    const es_event_exec_t *e = &msg->event.exec;
    uint32_t v = msg->version;

    es_put_proc(ev, "target", e->target, v);
    put_exec_strs(cv, ev, e);
    if (v >= 3)
        es_put_file(ev, "cwd", e->cwd);
    if (v >= 2)
        es_put_file(ev, "script", e->script);
    if (v >= 7)
        es_put_str(ev, "dyld_exec_path", e->dyld_exec_path);
    if (v >= 4)
        ev_add_int(ev, "last_fd", e->last_fd);
    if (v >= 6) {
        ev_add_int(ev, "image_cputype", e->image_cputype);
        ev_add_int(ev, "image_cpusubtype", e->image_cpusubtype);
    }
}

static void
conv_signal(const es_message_t *msg, struct estel_event *ev)
{
    const es_event_signal_t *e = &msg->event.signal;

    ev_add_int(ev, "sig", e->sig);
    es_put_proc(ev, "target", e->target, msg->version);
    if (msg->version >= 9)
        es_put_proc(ev, "instigator", e->instigator, msg->version);
}

/* The four task-port events share one layout. */
static void
conv_task(const es_message_t *msg, const es_process_t *target,
          es_get_task_type_t type, struct estel_event *ev)
{
    es_put_proc(ev, "target", target, msg->version);
    if (msg->version >= 5)
        ev_add_int(ev, "type", type);
}

static bool
conv_task_event(const es_message_t *msg, struct estel_event *ev)
{
    const es_events_t *e = &msg->event;

    switch (msg->event_type) {
    case ES_EVENT_TYPE_NOTIFY_GET_TASK:
        conv_task(msg, e->get_task.target, e->get_task.type, ev);
        return true;
    case ES_EVENT_TYPE_NOTIFY_GET_TASK_NAME:
        conv_task(msg, e->get_task_name.target, e->get_task_name.type, ev);
        return true;
    case ES_EVENT_TYPE_NOTIFY_GET_TASK_READ:
        conv_task(msg, e->get_task_read.target, e->get_task_read.type, ev);
        return true;
    case ES_EVENT_TYPE_NOTIFY_GET_TASK_INSPECT:
        conv_task(msg, e->get_task_inspect.target, e->get_task_inspect.type,
                  ev);
        return true;
    case ES_EVENT_TYPE_NOTIFY_TRACE:
        es_put_proc(ev, "target", e->trace.target, msg->version);
        return true;
    case ES_EVENT_TYPE_NOTIFY_REMOTE_THREAD_CREATE:
        es_put_proc(ev, "target", e->remote_thread_create.target,
                    msg->version);
        return true;
    case ES_EVENT_TYPE_NOTIFY_PROC_SUSPEND_RESUME:
        es_put_proc(ev, "target", e->proc_suspend_resume.target,
                    msg->version);
        ev_add_int(ev, "type", e->proc_suspend_resume.type);
        return true;
    case ES_EVENT_TYPE_NOTIFY_PROC_CHECK:
        es_put_proc(ev, "target", e->proc_check.target, msg->version);
        ev_add_int(ev, "type", e->proc_check.type);
        ev_add_int(ev, "flavor", e->proc_check.flavor);
        return true;
    default:
        return false;
    }
}

static bool
conv_id_event(const es_message_t *msg, struct estel_event *ev)
{
    const es_events_t *e = &msg->event;

    switch (msg->event_type) {
    case ES_EVENT_TYPE_NOTIFY_SETUID:
        ev_add_uint(ev, "uid", e->setuid.uid);
        return true;
    case ES_EVENT_TYPE_NOTIFY_SETGID:
        ev_add_uint(ev, "gid", e->setgid.gid);
        return true;
    case ES_EVENT_TYPE_NOTIFY_SETEUID:
        ev_add_uint(ev, "euid", e->seteuid.euid);
        return true;
    case ES_EVENT_TYPE_NOTIFY_SETEGID:
        ev_add_uint(ev, "egid", e->setegid.egid);
        return true;
    case ES_EVENT_TYPE_NOTIFY_SETREUID:
        ev_add_uint(ev, "ruid", e->setreuid.ruid);
        ev_add_uint(ev, "euid", e->setreuid.euid);
        return true;
    case ES_EVENT_TYPE_NOTIFY_SETREGID:
        ev_add_uint(ev, "rgid", e->setregid.rgid);
        ev_add_uint(ev, "egid", e->setregid.egid);
        return true;
    case ES_EVENT_TYPE_NOTIFY_KEXTLOAD:
        es_put_str(ev, "identifier", e->kextload.identifier);
        return true;
    case ES_EVENT_TYPE_NOTIFY_KEXTUNLOAD:
        es_put_str(ev, "identifier", e->kextunload.identifier);
        return true;
    case ES_EVENT_TYPE_NOTIFY_PTY_GRANT:
        ev_add_int(ev, "dev", e->pty_grant.dev);
        return true;
    case ES_EVENT_TYPE_NOTIFY_PTY_CLOSE:
        ev_add_int(ev, "dev", e->pty_close.dev);
        return true;
    case ES_EVENT_TYPE_NOTIFY_CS_INVALIDATED:
        return true;                /* the actor is the whole story */
    default:
        return false;
    }
}

bool
es_conv_proc_event(struct es_conv *cv, const es_message_t *msg,
                   struct estel_event *ev)
{
    switch (msg->event_type) {
    case ES_EVENT_TYPE_NOTIFY_EXEC:
        conv_exec(cv, msg, ev);
        return true;
    case ES_EVENT_TYPE_NOTIFY_FORK:
        es_put_proc(ev, "child", msg->event.fork.child, msg->version);
        return true;
    case ES_EVENT_TYPE_NOTIFY_EXIT:
        ev_add_int(ev, "stat", msg->event.exit.stat);
        return true;
    case ES_EVENT_TYPE_NOTIFY_SIGNAL:
        conv_signal(msg, ev);
        return true;
    default:
        return conv_task_event(msg, ev) || conv_id_event(msg, ev);
    }
}
