/*
 * fake_msg_events.c - fake_msg_build(): a realistic payload for every
 * NOTIFY event type the converter maps (docs/es-mapping.md), so tests and
 * the benchmark can sweep all types and versions from one call.  Values
 * look like what a Mac sends (paths, flags, cpu types); tests that need a
 * particular shape (create NEW_PATH, NULL script, huge argv) start from
 * here and edit the message.
 */
#include "collector/es/fake/fake_msg.h"
#include "collector/es/fake/fake_int.h"

#include <string.h>

static const struct fake_proc target_proc = {
    .pid = 5150, .pidversion = 88002, .uid = 501, .gid = 20, .ppid = 4242,
    .exe = "/Applications/Example.app/Contents/MacOS/Example",
    .signing_id = "com.example.app", .team_id = "ABCDE12345",
    .platform = false
};

static const struct fake_proc other_proc = {
    .pid = 1, .pidversion = 1029, .uid = 0, .gid = 0, .ppid = 1,
    .exe = "/sbin/launchd", .signing_id = "com.apple.xpc.launchd",
    .platform = true
};

static void
build_exec(es_message_t *m)
{
    static const char *const argv[] = { "curl", "-s", "-o", "/tmp/x",
                                        "https://example.com/a" };
    static const char *const envp[] = { "PATH=/usr/bin:/bin",
                                        "HOME=/Users/alice",
                                        "TOKEN=secret" };
    struct fake_proc t = {
        .pid = 4242, .pidversion = 77002, .uid = 501, .gid = 20,
        .ppid = 4200, .exe = "/usr/bin/curl", .signing_id = "com.apple.curl",
        .tty = "/dev/ttys003", .platform = true
    };
    es_event_exec_t *e = &m->event.exec;

    e->target = fake_msg_proc(m, &t);
    e->dyld_exec_path = fake_msg_str(m, "/usr/bin/curl");
    e->script = NULL;
    e->cwd = fake_msg_file(m, "/Users/alice/");
    e->last_fd = 2;
    e->image_cputype = 16777228;            /* CPU_TYPE_ARM64 */
    e->image_cpusubtype = -2147483646;      /* arm64e | ptrauth ABI */
    fake_msg_exec_args(m, argv, sizeof(argv) / sizeof(argv[0]));
    fake_msg_exec_env(m, envp, sizeof(envp) / sizeof(envp[0]));
    for (int32_t fd = 0; fd < 3; fd++)
        fake_msg_exec_fd(m, fd, 1);
}

static struct es_darwin_statfs *
volume(es_message_t *m)
{
    struct es_darwin_statfs *s = fake_msg_alloc(m, sizeof(*s));

    s->f_bsize = 4096;
    s->f_iosize = 1048576;
    s->f_blocks = 7812500;
    s->f_bfree = 3906250;
    s->f_bavail = 3906250;
    s->f_type = 26;
    s->f_flags = 0x1005;        /* MNT_RDONLY? no: NOSUID|NODEV|LOCAL */
    memcpy(s->f_fstypename, "msdos", 6);
    memcpy(s->f_mntonname, "/Volumes/USBSTICK", 18);
    memcpy(s->f_mntfromname, "/dev/disk4s1", 13);
    return s;
}

static es_file_t *
document(es_message_t *m)
{
    return fake_msg_file(m, "/Users/alice/Documents/report.txt");
}

static es_file_t *
script(es_message_t *m)
{
    return fake_msg_file(m, "/Users/alice/bin/run.sh");
}

/* Events whose payload is "target" (+ one scalar or string). */
static bool
build_file_simple(es_message_t *m, es_event_type_t type)
{
    switch (type) {
    case ES_EVENT_TYPE_NOTIFY_WRITE:
        m->event.write.target = document(m);
        return true;
    case ES_EVENT_TYPE_NOTIFY_TRUNCATE:
        m->event.truncate.target = document(m);
        return true;
    case ES_EVENT_TYPE_NOTIFY_CHDIR:
        m->event.chdir.target = fake_msg_file(m, "/Users/alice/src/");
        return true;
    case ES_EVENT_TYPE_NOTIFY_CHROOT:
        m->event.chroot.target = fake_msg_file(m, "/var/empty/");
        return true;
    case ES_EVENT_TYPE_NOTIFY_STAT:
        m->event.stat.target = document(m);
        return true;
    case ES_EVENT_TYPE_NOTIFY_READDIR:
        m->event.readdir.target = fake_msg_file(m, "/Users/alice/");
        return true;
    case ES_EVENT_TYPE_NOTIFY_LISTEXTATTR:
        m->event.listextattr.target = document(m);
        return true;
    case ES_EVENT_TYPE_NOTIFY_FSGETPATH:
        m->event.fsgetpath.target = document(m);
        return true;
    case ES_EVENT_TYPE_NOTIFY_DUP:
        m->event.dup.target = document(m);
        return true;
    case ES_EVENT_TYPE_NOTIFY_READLINK:
        m->event.readlink.source = fake_msg_file(m, "/etc");
        return true;
    case ES_EVENT_TYPE_NOTIFY_SETEXTATTR:
        m->event.setextattr.target = document(m);
        m->event.setextattr.extattr = fake_msg_str(m, "com.apple.quarantine");
        return true;
    case ES_EVENT_TYPE_NOTIFY_GETEXTATTR:
        m->event.getextattr.target = document(m);
        m->event.getextattr.extattr = fake_msg_str(m, "com.apple.FinderInfo");
        return true;
    case ES_EVENT_TYPE_NOTIFY_DELETEEXTATTR:
        m->event.deleteextattr.target = document(m);
        m->event.deleteextattr.extattr =
            fake_msg_str(m, "com.apple.quarantine");
        return true;
    default:
        return false;
    }
}

static bool
build_file_paths(es_message_t *m, es_event_type_t type)
{
    switch (type) {
    case ES_EVENT_TYPE_NOTIFY_OPEN:
        m->event.open.fflag = 0x202;        /* FWRITE | O_CREAT */
        m->event.open.file = fake_msg_file(m, "/Users/alice/notes.txt");
        return true;
    case ES_EVENT_TYPE_NOTIFY_CLOSE:
        m->event.close.modified = true;
        m->event.close.target = fake_msg_file(m, "/Users/alice/notes.txt");
        m->event.close.was_mapped_writable = true;
        return true;
    case ES_EVENT_TYPE_NOTIFY_CREATE:
        m->event.create.destination_type = ES_DESTINATION_TYPE_EXISTING_FILE;
        m->event.create.destination.existing_file =
            fake_msg_file(m, "/Users/alice/Downloads/setup.pkg");
        return true;
    case ES_EVENT_TYPE_NOTIFY_RENAME:
        m->event.rename.source =
            fake_msg_file(m, "/Users/alice/Downloads/setup.pkg.part");
        m->event.rename.destination_type = ES_DESTINATION_TYPE_NEW_PATH;
        m->event.rename.destination.new_path.dir =
            fake_msg_file(m, "/Users/alice/Downloads/");
        m->event.rename.destination.new_path.filename =
            fake_msg_str(m, "setup.pkg");
        return true;
    case ES_EVENT_TYPE_NOTIFY_UNLINK:
        m->event.unlink.target = fake_msg_file(m, "/tmp/build.log");
        m->event.unlink.parent_dir = fake_msg_file(m, "/private/tmp/");
        return true;
    case ES_EVENT_TYPE_NOTIFY_LINK:
        m->event.link.source = fake_msg_file(m, "/usr/local/bin/tool");
        m->event.link.target_dir = fake_msg_file(m, "/Users/alice/bin/");
        m->event.link.target_filename = fake_msg_str(m, "tool");
        return true;
    default:
        return false;
    }
}

/* Two-path events beyond the common ones. */
static bool
build_file_more(es_message_t *m, es_event_type_t type)
{
    switch (type) {
    case ES_EVENT_TYPE_NOTIFY_EXCHANGEDATA:
        m->event.exchangedata.file1 = fake_msg_file(m, "/Users/alice/a.db");
        m->event.exchangedata.file2 = fake_msg_file(m, "/Users/alice/b.db");
        return true;
    case ES_EVENT_TYPE_NOTIFY_CLONE:
        m->event.clone.source = fake_msg_file(m, "/Users/alice/big.iso");
        m->event.clone.target_dir = fake_msg_file(m, "/Users/alice/tmp/");
        m->event.clone.target_name = fake_msg_str(m, "big copy.iso");
        return true;
    case ES_EVENT_TYPE_NOTIFY_COPYFILE:
        m->event.copyfile.source = fake_msg_file(m, "/Users/alice/a.txt");
        m->event.copyfile.target_file = NULL;
        m->event.copyfile.target_dir = fake_msg_file(m, "/Volumes/USB/");
        m->event.copyfile.target_name = fake_msg_str(m, "a.txt");
        m->event.copyfile.mode = 0644;
        m->event.copyfile.flags = 0;
        return true;
    case ES_EVENT_TYPE_NOTIFY_LOOKUP:
        m->event.lookup.source_dir = fake_msg_file(m, "/Users/alice/");
        m->event.lookup.relative_target = fake_msg_str(m, "../bob/.ssh");
        return true;
    default:
        return false;
    }
}

static bool
build_file_attrs(es_message_t *m, es_event_type_t type)
{
    switch (type) {
    case ES_EVENT_TYPE_NOTIFY_SETMODE:
        m->event.setmode.mode = 0755;
        m->event.setmode.target = script(m);
        return true;
    case ES_EVENT_TYPE_NOTIFY_SETOWNER:
        m->event.setowner.uid = 0;
        m->event.setowner.gid = 80;
        m->event.setowner.target = script(m);
        return true;
    case ES_EVENT_TYPE_NOTIFY_SETFLAGS:
        m->event.setflags.flags = 0x8000;  /* UF_HIDDEN */
        m->event.setflags.target = script(m);
        return true;
    case ES_EVENT_TYPE_NOTIFY_ACCESS:
        m->event.access.mode = 4;          /* R_OK */
        m->event.access.target = script(m);
        return true;
    case ES_EVENT_TYPE_NOTIFY_FCNTL:
        m->event.fcntl.target = script(m);
        m->event.fcntl.cmd = 50;           /* F_GETPATH */
        return true;
    case ES_EVENT_TYPE_NOTIFY_MMAP:
        m->event.mmap.protection = 5;      /* PROT_READ | PROT_EXEC */
        m->event.mmap.max_protection = 7;
        m->event.mmap.flags = 0x12;        /* MAP_PRIVATE | MAP_FIXED */
        m->event.mmap.file_pos = 16384;
        m->event.mmap.source = fake_msg_file(m, "/usr/lib/libz.1.dylib");
        return true;
    default:
        return false;
    }
}

static bool
build_file_misc(es_message_t *m, es_event_type_t type)
{
    switch (type) {
    case ES_EVENT_TYPE_NOTIFY_UIPC_BIND:
        m->event.uipc_bind.dir = fake_msg_file(m, "/private/var/run/");
        m->event.uipc_bind.filename = fake_msg_str(m, "agent.sock");
        m->event.uipc_bind.mode = 0600;
        return true;
    case ES_EVENT_TYPE_NOTIFY_UIPC_CONNECT:
        m->event.uipc_connect.file =
            fake_msg_file(m, "/private/var/run/mDNSResponder");
        m->event.uipc_connect.domain = 1;  /* AF_UNIX */
        m->event.uipc_connect.type = 1;    /* SOCK_STREAM */
        m->event.uipc_connect.protocol = 0;
        return true;
    case ES_EVENT_TYPE_NOTIFY_MOUNT:
        m->event.mount.statfs = volume(m);
        m->event.mount.disposition = ES_MOUNT_DISPOSITION_EXTERNAL;
        return true;
    case ES_EVENT_TYPE_NOTIFY_UNMOUNT:
        m->event.unmount.statfs = volume(m);
        return true;
    default:
        return false;
    }
}

static bool
build_proc(es_message_t *m, es_event_type_t type)
{
    switch (type) {
    case ES_EVENT_TYPE_NOTIFY_EXEC:
        build_exec(m);
        return true;
    case ES_EVENT_TYPE_NOTIFY_FORK:
        m->event.fork.child = fake_msg_proc(m, &target_proc);
        return true;
    case ES_EVENT_TYPE_NOTIFY_EXIT:
        m->event.exit.stat = 256;          /* exit(1) in wait(2) form */
        return true;
    case ES_EVENT_TYPE_NOTIFY_SIGNAL:
        m->event.signal.sig = 15;
        m->event.signal.target = fake_msg_proc(m, &target_proc);
        m->event.signal.instigator = fake_msg_proc(m, &other_proc);
        return true;
    case ES_EVENT_TYPE_NOTIFY_GET_TASK:
    case ES_EVENT_TYPE_NOTIFY_GET_TASK_READ:
    case ES_EVENT_TYPE_NOTIFY_GET_TASK_INSPECT:
    case ES_EVENT_TYPE_NOTIFY_GET_TASK_NAME:
        /* the four structs share one layout */
        m->event.get_task.target = fake_msg_proc(m, &target_proc);
        m->event.get_task.type = ES_GET_TASK_TYPE_TASK_FOR_PID;
        return true;
    case ES_EVENT_TYPE_NOTIFY_TRACE:
        m->event.trace.target = fake_msg_proc(m, &target_proc);
        return true;
    case ES_EVENT_TYPE_NOTIFY_REMOTE_THREAD_CREATE:
        m->event.remote_thread_create.target =
            fake_msg_proc(m, &target_proc);
        return true;
    case ES_EVENT_TYPE_NOTIFY_PROC_SUSPEND_RESUME:
        m->event.proc_suspend_resume.target = fake_msg_proc(m, &target_proc);
        m->event.proc_suspend_resume.type =
            ES_PROC_SUSPEND_RESUME_TYPE_SUSPEND;
        return true;
    case ES_EVENT_TYPE_NOTIFY_PROC_CHECK:
        m->event.proc_check.target = fake_msg_proc(m, &target_proc);
        m->event.proc_check.type = ES_PROC_CHECK_TYPE_PIDINFO;
        m->event.proc_check.flavor = 13;
        return true;
    default:
        return false;
    }
}

static bool
build_system(es_message_t *m, es_event_type_t type)
{
    switch (type) {
    case ES_EVENT_TYPE_NOTIFY_KEXTLOAD:
        m->event.kextload.identifier = fake_msg_str(m, "com.example.kext");
        return true;
    case ES_EVENT_TYPE_NOTIFY_KEXTUNLOAD:
        m->event.kextunload.identifier = fake_msg_str(m, "com.example.kext");
        return true;
    case ES_EVENT_TYPE_NOTIFY_CS_INVALIDATED:
        return true;
    case ES_EVENT_TYPE_NOTIFY_PTY_GRANT:
        m->event.pty_grant.dev = 268435459;
        return true;
    case ES_EVENT_TYPE_NOTIFY_PTY_CLOSE:
        m->event.pty_close.dev = 268435459;
        return true;
    case ES_EVENT_TYPE_NOTIFY_SETUID:
        m->event.setuid.uid = 0;
        return true;
    case ES_EVENT_TYPE_NOTIFY_SETGID:
        m->event.setgid.gid = 0;
        return true;
    case ES_EVENT_TYPE_NOTIFY_SETEUID:
        m->event.seteuid.euid = 0;
        return true;
    case ES_EVENT_TYPE_NOTIFY_SETEGID:
        m->event.setegid.egid = 0;
        return true;
    case ES_EVENT_TYPE_NOTIFY_SETREUID:
        m->event.setreuid.ruid = 501;
        m->event.setreuid.euid = 0;
        return true;
    case ES_EVENT_TYPE_NOTIFY_SETREGID:
        m->event.setregid.rgid = 20;
        m->event.setregid.egid = 0;
        return true;
    default:
        return false;
    }
}

es_message_t *
fake_msg_build(es_event_type_t type, uint32_t version)
{
    es_message_t *m = fake_msg_new(type, version);

    if (!build_proc(m, type) && !build_file_paths(m, type) &&
        !build_file_more(m, type) && !build_file_attrs(m, type) &&
        !build_file_misc(m, type) && !build_file_simple(m, type) &&
        !build_system(m, type))
        (void)fake_msg_build_user(m, type);    /* unknown: no payload */
    return m;
}
