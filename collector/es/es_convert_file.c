/*
 * es_convert_file.c - payloads of the file-system events.  The mapping
 * table is at the top of es_convert.c.  create and rename flatten their
 * destination union: destination_type first, then either the existing
 * file ("destination") or the new path ("dir" + "filename").
 */
#include "collector/es/es_int.h"

static void
conv_create(const es_message_t *msg, struct estel_event *ev)
{
    const es_event_create_t *e = &msg->event.create;

    ev_add_int(ev, "destination_type", e->destination_type);
    if (e->destination_type == ES_DESTINATION_TYPE_EXISTING_FILE) {
        es_put_file(ev, "destination", e->destination.existing_file);
    } else if (e->destination_type == ES_DESTINATION_TYPE_NEW_PATH) {
        es_put_file(ev, "dir", e->destination.new_path.dir);
        es_put_str(ev, "filename", e->destination.new_path.filename);
        ev_add_uint(ev, "mode", e->destination.new_path.mode);
    }
}

static void
conv_rename(const es_message_t *msg, struct estel_event *ev)
{
    const es_event_rename_t *e = &msg->event.rename;

    es_put_file(ev, "source", e->source);
    ev_add_int(ev, "destination_type", e->destination_type);
    if (e->destination_type == ES_DESTINATION_TYPE_EXISTING_FILE) {
        es_put_file(ev, "destination", e->destination.existing_file);
    } else if (e->destination_type == ES_DESTINATION_TYPE_NEW_PATH) {
        es_put_file(ev, "dir", e->destination.new_path.dir);
        es_put_str(ev, "filename", e->destination.new_path.filename);
    }
}

static void
conv_mount(const es_statfs_t *sfs, struct estel_event *ev)
{
    if (sfs == NULL)
        return;
    es_put_chars(ev, "f_mntonname", sfs->f_mntonname,
                 sizeof(sfs->f_mntonname));
    es_put_chars(ev, "f_mntfromname", sfs->f_mntfromname,
                 sizeof(sfs->f_mntfromname));
    es_put_chars(ev, "f_fstypename", sfs->f_fstypename,
                 sizeof(sfs->f_fstypename));
    ev_add_uint(ev, "f_flags", sfs->f_flags);
}

/* Events whose whole payload is "target" (+ extattr for the xattrs). */
static bool
conv_target_only(const es_message_t *msg, struct estel_event *ev)
{
    const es_events_t *e = &msg->event;

    switch (msg->event_type) {
    case ES_EVENT_TYPE_NOTIFY_WRITE:
        es_put_file(ev, "target", e->write.target);
        return true;
    case ES_EVENT_TYPE_NOTIFY_TRUNCATE:
        es_put_file(ev, "target", e->truncate.target);
        return true;
    case ES_EVENT_TYPE_NOTIFY_CHDIR:
        es_put_file(ev, "target", e->chdir.target);
        return true;
    case ES_EVENT_TYPE_NOTIFY_STAT:
        es_put_file(ev, "target", e->stat.target);
        return true;
    case ES_EVENT_TYPE_NOTIFY_CHROOT:
        es_put_file(ev, "target", e->chroot.target);
        return true;
    case ES_EVENT_TYPE_NOTIFY_LISTEXTATTR:
        es_put_file(ev, "target", e->listextattr.target);
        return true;
    case ES_EVENT_TYPE_NOTIFY_READDIR:
        es_put_file(ev, "target", e->readdir.target);
        return true;
    case ES_EVENT_TYPE_NOTIFY_FSGETPATH:
        es_put_file(ev, "target", e->fsgetpath.target);
        return true;
    case ES_EVENT_TYPE_NOTIFY_DUP:
        es_put_file(ev, "target", e->dup.target);
        return true;
    default:
        return false;
    }
}

static bool
conv_xattr_event(const es_message_t *msg, struct estel_event *ev)
{
    const es_events_t *e = &msg->event;

    switch (msg->event_type) {
    case ES_EVENT_TYPE_NOTIFY_SETEXTATTR:
        es_put_file(ev, "target", e->setextattr.target);
        es_put_str(ev, "extattr", e->setextattr.extattr);
        return true;
    case ES_EVENT_TYPE_NOTIFY_GETEXTATTR:
        es_put_file(ev, "target", e->getextattr.target);
        es_put_str(ev, "extattr", e->getextattr.extattr);
        return true;
    case ES_EVENT_TYPE_NOTIFY_DELETEEXTATTR:
        es_put_file(ev, "target", e->deleteextattr.target);
        es_put_str(ev, "extattr", e->deleteextattr.extattr);
        return true;
    case ES_EVENT_TYPE_NOTIFY_SETFLAGS:
        ev_add_uint(ev, "flags", e->setflags.flags);
        es_put_file(ev, "target", e->setflags.target);
        return true;
    case ES_EVENT_TYPE_NOTIFY_SETMODE:
        ev_add_uint(ev, "mode", e->setmode.mode);
        es_put_file(ev, "target", e->setmode.target);
        return true;
    case ES_EVENT_TYPE_NOTIFY_SETOWNER:
        ev_add_uint(ev, "uid", e->setowner.uid);
        ev_add_uint(ev, "gid", e->setowner.gid);
        es_put_file(ev, "target", e->setowner.target);
        return true;
    case ES_EVENT_TYPE_NOTIFY_ACCESS:
        ev_add_int(ev, "mode", e->access.mode);
        es_put_file(ev, "target", e->access.target);
        return true;
    case ES_EVENT_TYPE_NOTIFY_FCNTL:
        es_put_file(ev, "target", e->fcntl.target);
        ev_add_int(ev, "cmd", e->fcntl.cmd);
        return true;
    default:
        return false;
    }
}

/* Events naming two or more paths. */
static bool
conv_paths_event(const es_message_t *msg, struct estel_event *ev)
{
    const es_events_t *e = &msg->event;

    switch (msg->event_type) {
    case ES_EVENT_TYPE_NOTIFY_UNLINK:
        es_put_file(ev, "target", e->unlink.target);
        es_put_file(ev, "parent_dir", e->unlink.parent_dir);
        return true;
    case ES_EVENT_TYPE_NOTIFY_LINK:
        es_put_file(ev, "source", e->link.source);
        es_put_file(ev, "target_dir", e->link.target_dir);
        es_put_str(ev, "target_filename", e->link.target_filename);
        return true;
    case ES_EVENT_TYPE_NOTIFY_EXCHANGEDATA:
        es_put_file(ev, "file1", e->exchangedata.file1);
        es_put_file(ev, "file2", e->exchangedata.file2);
        return true;
    case ES_EVENT_TYPE_NOTIFY_CLONE:
        es_put_file(ev, "source", e->clone.source);
        es_put_file(ev, "target_dir", e->clone.target_dir);
        es_put_str(ev, "target_name", e->clone.target_name);
        return true;
    case ES_EVENT_TYPE_NOTIFY_COPYFILE:
        es_put_file(ev, "source", e->copyfile.source);
        es_put_file(ev, "target_file", e->copyfile.target_file);
        es_put_file(ev, "target_dir", e->copyfile.target_dir);
        es_put_str(ev, "target_name", e->copyfile.target_name);
        ev_add_uint(ev, "mode", e->copyfile.mode);
        ev_add_int(ev, "flags", e->copyfile.flags);
        return true;
    case ES_EVENT_TYPE_NOTIFY_READLINK:
        es_put_file(ev, "source", e->readlink.source);
        return true;
    case ES_EVENT_TYPE_NOTIFY_LOOKUP:
        es_put_file(ev, "source_dir", e->lookup.source_dir);
        es_put_str(ev, "relative_target", e->lookup.relative_target);
        return true;
    default:
        return false;
    }
}

static bool
conv_other_event(const es_message_t *msg, struct estel_event *ev)
{
    const es_events_t *e = &msg->event;

    switch (msg->event_type) {
    case ES_EVENT_TYPE_NOTIFY_MMAP:
        ev_add_int(ev, "protection", e->mmap.protection);
        ev_add_int(ev, "max_protection", e->mmap.max_protection);
        ev_add_int(ev, "flags", e->mmap.flags);
        ev_add_uint(ev, "file_pos", e->mmap.file_pos);
        es_put_file(ev, "source", e->mmap.source);
        return true;
    case ES_EVENT_TYPE_NOTIFY_MOUNT:
        conv_mount(e->mount.statfs, ev);
        if (msg->version >= 8)
            ev_add_int(ev, "disposition", e->mount.disposition);
        return true;
    case ES_EVENT_TYPE_NOTIFY_UNMOUNT:
        conv_mount(e->unmount.statfs, ev);
        return true;
    case ES_EVENT_TYPE_NOTIFY_UIPC_BIND:
        es_put_file(ev, "dir", e->uipc_bind.dir);
        es_put_str(ev, "filename", e->uipc_bind.filename);
        ev_add_uint(ev, "mode", e->uipc_bind.mode);
        return true;
    case ES_EVENT_TYPE_NOTIFY_UIPC_CONNECT:
        es_put_file(ev, "file", e->uipc_connect.file);
        ev_add_int(ev, "domain", e->uipc_connect.domain);
        ev_add_int(ev, "type", e->uipc_connect.type);
        ev_add_int(ev, "protocol", e->uipc_connect.protocol);
        return true;
    default:
        return false;
    }
}

bool
es_conv_file_event(struct es_conv *cv, const es_message_t *msg,
                   struct estel_event *ev)
{
    const es_events_t *e = &msg->event;

    (void)cv;
    switch (msg->event_type) {
    case ES_EVENT_TYPE_NOTIFY_OPEN:
        ev_add_int(ev, "fflag", e->open.fflag);
        es_put_file(ev, "file", e->open.file);
        return true;
    case ES_EVENT_TYPE_NOTIFY_CLOSE:
        ev_add_bool(ev, "modified", e->close.modified);
        es_put_file(ev, "target", e->close.target);
        if (msg->version >= 6)
            ev_add_bool(ev, "was_mapped_writable",
                        e->close.was_mapped_writable);
        return true;
    case ES_EVENT_TYPE_NOTIFY_CREATE:
        conv_create(msg, ev);
        return true;
    case ES_EVENT_TYPE_NOTIFY_RENAME:
        conv_rename(msg, ev);
        return true;
    default:
        return conv_target_only(msg, ev) || conv_xattr_event(msg, ev) ||
               conv_paths_event(msg, ev) || conv_other_event(msg, ev);
    }
}
