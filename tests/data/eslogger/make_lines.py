#!/usr/bin/python3
"""make_lines.py DIR -- (re)write estel's hand-made eslogger test lines.

One line per file, shaped like eslogger(1) output (message version 9 unless
noted, keys in ES order, "/" escaped as "\\/" the way eslogger prints it).
These are estel's own lines, not the real ones in shared/data/eslogger.
What each record must contain is in expect.tsv (kept by hand: check a
changed record before changing its expectation).  Deterministic.
"""
import json, os, sys


def read_text(path):
    with open(path, encoding="utf-8") as fp:
        return fp.read()


def write_text(path, text):
    with open(path, "w", encoding="utf-8") as fp:
        fp.write(text)
OUT = sys.argv[1]
def tok(pid, pv, uid=501, gid=20, auid=501, asid=100001):
    return {"auid": auid, "euid": uid, "egid": gid, "ruid": uid, "rgid": gid,
            "pid": pid, "asid": asid, "pidversion": pv}
def stat(ino, mode=33188, size=1234, uid=501, gid=20):
    return {"st_dev": 16777234, "st_ino": ino, "st_mode": mode, "st_nlink": 1,
            "st_uid": uid, "st_gid": gid, "st_rdev": 0,
            "st_atimespec": "2025-03-10T09:00:00.000000000Z",
            "st_mtimespec": "2025-03-10T09:00:01.5Z",
            "st_ctimespec": "2025-03-10T09:00:02.000000001Z",
            "st_birthtimespec": "1970-01-01T00:00:00.000000000Z",
            "st_size": size, "st_blocks": 8, "st_blksize": 4096,
            "st_flags": 0, "st_gen": 0}
def f(path, with_stat=False, ino=1000):
    d = {"path": path, "path_truncated": False}
    if with_stat:
        d["stat"] = stat(ino)
    return d
def proc(pid, pv, exe, sid="com.example.tool", team="ABCDE12345", ppid=1):
    return {"audit_token": tok(pid, pv), "ppid": ppid, "original_ppid": ppid,
            "group_id": pid, "session_id": pid, "codesigning_flags": 570491649,
            "is_platform_binary": False, "is_es_client": False,
            "cdhash": "00112233445566778899AABBCCDDEEFF00112233",
            "signing_id": sid, "team_id": team, "executable": f(exe),
            "tty": None, "start_time": "2025-03-10T08:59:59.000001Z",
            "responsible_audit_token": tok(pid, pv),
            "parent_audit_token": tok(ppid, 1, uid=0, gid=0, auid=4294967295)}
SEQ = [0]
def line(etype, name, payload, version=9):
    SEQ[0] += 1
    return {"schema_version": 1, "version": version,
            "time": "2025-03-10T09:00:00.000000123Z", "mach_time": 1000 + SEQ[0],
            "event_type": etype, "action_type": 1,
            "action": {"result": {"result_type": 0, "result": {"auth": 0}}},
            "seq_num": SEQ[0], "global_seq_num": 100 + SEQ[0],
            "thread": {"thread_id": 7}, "process": proc(4242, 77, "/usr/local/bin/tool"),
            "event": {name: payload}}
def put(fname, obj):
    s = json.dumps(obj, separators=(",", ":")).replace("/", "\\/")
    write_text(os.path.join(OUT, fname), s + "\n")
P2 = proc(4343, 88, "/bin/sleep", sid="com.apple.sleep", team=None, ppid=4242)
P3 = proc(1, 1, "/sbin/launchd", sid="com.apple.xpc.launchd", team=None, ppid=0)
cases = {
 "open": (10, {"fflag": 514, "file": f("/tmp/a.txt", True, 501)}),
 "close": (12, {"modified": True, "target": f("/tmp/a.txt"), "was_mapped_writable": False}),
 "create_existing": (13, {"destination_type": 0, "destination": {"existing_file": f("/tmp/new.txt")}, "acl": None}),
 "create_new_path": (13, {"destination_type": 1, "destination": {"new_path": {"dir": f("/tmp"), "filename": "new.txt", "mode": 420}}, "acl": None}),
 "rename_existing": (25, {"source": f("/tmp/a.tmp"), "destination_type": 0, "destination": {"existing_file": f("/tmp/a.txt")}}),
 "rename_new_path": (25, {"source": f("/tmp/a.tmp"), "destination_type": 1, "destination": {"new_path": {"dir": f("/tmp/d"), "filename": "b.txt"}}}),
 "unlink": (32, {"target": f("/tmp/a.txt"), "parent_dir": f("/tmp")}),
 "write": (33, {"target": f("/tmp/a.txt")}),
 "truncate": (41, {"target": f("/tmp/a.txt")}),
 "link": (19, {"source": f("/tmp/a.txt"), "target_dir": f("/tmp/d"), "target_filename": "hard"}),
 "setmode": (29, {"mode": 493, "target": f("/tmp/a.sh")}),
 "setowner": (30, {"uid": 0, "gid": 80, "target": f("/tmp/a.txt")}),
 "setextattr": (27, {"target": f("/tmp/dl.zip"), "extattr": "com.apple.quarantine"}),
 "signal": (31, {"sig": 9, "target": P2, "instigator": P3}),
 "mmap": (20, {"protection": 3, "max_protection": 7, "flags": 1, "file_pos": 4096, "source": f("/usr/lib/libz.dylib")}),
 "mount": (22, {"statfs": {"f_bsize": 4096, "f_mntonname": "/Volumes/USB", "f_mntfromname": "/dev/disk4s1", "f_fstypename": "msdos", "f_flags": 4096, "f_type": 28}, "disposition": 0}),
 "unmount": (23, {"statfs": {"f_mntonname": "/Volumes/USB", "f_mntfromname": "/dev/disk4s1", "f_fstypename": "msdos", "f_flags": 4096}}),
 "kextload": (17, {"identifier": "com.example.driver"}),
 "kextunload": (18, {"identifier": "com.example.driver"}),
 "cs_invalidated": (94, {}),
 "uipc_connect": (78, {"file": f("/var/run/mDNSResponder"), "domain": 1, "type": 1, "protocol": 0}),
 "btm_launch_item_add": (124, {"instigator": P3, "app": None, "item": {"item_type": 4, "legacy": True, "managed": False, "uid": 0, "item_url": "file:///Library/LaunchDaemons/com.example.plist", "app_url": None}, "executable_path": "/usr/local/bin/agentd", "instigator_token": tok(1, 1), "app_token": None}),
 "btm_launch_item_remove": (125, {"instigator": None, "app": P2, "item": {"item_type": 3, "legacy": False, "managed": True, "uid": 501, "item_url": "file:///Users/dev/Library/LaunchAgents/x.plist", "app_url": "file:///Applications/X.app/"}}),
 "authentication": (111, {"success": False, "type": 0, "data": {"od": {"instigator": P2, "record_type": "user", "record_name": "dev", "node_name": "/Local/Default", "db_path": "/var/db/dslocal/nodes/Default", "instigator_token": tok(4343, 88)}}}),
 "login_login": (122, {"success": True, "failure_message": None, "username": "dev", "has_uid": True, "uid": {"uid": 501}}),
 "login_logout": (123, {"username": "dev", "uid": 501}),
 "lw_session_login": (114, {"username": "dev", "graphical_session_id": 257}),
 "lw_session_logout": (115, {"username": "dev", "graphical_session_id": 257}),
 "lw_session_lock": (116, {"username": "dev", "graphical_session_id": 257}),
 "lw_session_unlock": (117, {"username": "dev", "graphical_session_id": 257}),
 "openssh_login": (120, {"success": False, "result_type": 4, "source_address_type": 1, "source_address": "192.0.2.7", "username": "root", "has_uid": False, "uid": None}),
 "openssh_logout": (121, {"source_address_type": 2, "source_address": "2001:db8::1", "username": "dev", "uid": 501}),
 "su": (128, {"success": True, "failure_message": None, "from_uid": 501, "from_username": "dev", "has_to_uid": True, "to_uid": {"uid": 0}, "to_username": "root", "shell": "/bin/zsh", "argc": 2, "argv": ["su", "-"], "env_count": 1, "env": ["TERM=xterm"]}),
 "sudo": (131, {"success": False, "reject_info": {"plugin_name": "sudoers", "plugin_type": 2, "failure_message": "user NOT in sudoers"}, "has_from_uid": True, "from_uid": {"uid": 502}, "from_username": "guest", "has_to_uid": True, "to_uid": {"uid": 0}, "to_username": "root", "command": "/bin/cat /etc/master.passwd"}),
 "xp_malware_detected": (112, {"signature_version": "5290", "malware_identifier": "OSX.Example.A", "incident_identifier": "8F3C", "detected_path": "/Users/dev/Downloads/x.app", "detected_executable": "/Users/dev/Downloads/x.app/Contents/MacOS/x"}),
 "profile_add": (126, {"instigator": P3, "is_update": False, "profile": {"identifier": "com.example.wifi", "uuid": "5B0C8A2E-1D1A-4F5C-9E43-0E1F2A3B4C5D", "install_source": 0, "organization": "Example Corp", "display_name": "Wi-Fi", "scope": "System"}, "instigator_token": tok(1, 1)}),
 "profile_remove": (127, {"instigator": P3, "profile": {"identifier": "com.example.wifi", "uuid": "5B0C8A2E-1D1A-4F5C-9E43-0E1F2A3B4C5D", "install_source": 1, "organization": "Example Corp", "display_name": "Wi-Fi", "scope": "User"}}),
 "tcc_modify": (147, {"service": "kTCCServiceSystemPolicyAllFiles", "identity": "com.example.agent", "identity_type": 0, "update_type": 1, "instigator_token": tok(1, 1), "instigator": P3, "responsible_token": None, "responsible": None, "right": 2, "reason": 6}),
 "xpc_connect": (145, {"service_name": "com.apple.securityd", "service_domain_type": 1}),
}
names = {"create_existing": "create", "create_new_path": "create", "rename_existing": "rename", "rename_new_path": "rename"}
for k, (t, pl) in cases.items():
    put(k + ".json", line(t, names.get(k, k), pl, version=10 if k == "tcc_modify" else 9))
# generic: unknown type (a future macOS) and a newer message version
put("unknown_type.json", line(200, "future_thing", {"answer": 42, "list": [1, "two", None, True, 1.5], "path": "/x"}))
put("newer_version.json", line(10, "open", {"fflag": 1, "file": {"path": "/tmp/x"}, "new_key": {"deep": [1]}}, version=99))
put("known_unmapped.json", line(21, "mprotect", {"protection": 1, "address": 4096, "size": 8192}))
# exec, fork, exit (the real lines cover them too, but they are optional)
import random
TGT = proc(4242, 78, "/usr/bin/env", sid="com.apple.env", team=None)
TGT["tty"] = f("/dev/ttys001", True, 77)
exec_pl = {"target": TGT, "args": ["env", "-i", "A=1", "sh", "-c", "echo \"hi\"\n"],
           "env": ["PATH=/usr/bin:/bin", "SECRET_TOKEN=hunter2"],
           "fds": [{"fd": 0, "fdtype": 1}], "cwd": f("/Users/dev", True, 2),
           "script": f("/Users/dev/run.sh"), "last_fd": 2,
           "image_cputype": 16777228, "image_cpusubtype": -2147483646,
           "dyld_exec_path": "/usr/bin/env"}
ex = line(9, "exec", exec_pl)
put("exec.json", ex)
put("fork.json", line(11, "fork", {"child": P2}))
put("exit.json", line(15, "exit", {"stat": 256}))
# the same exec with every object's keys shuffled and audit tokens as
# 8-integer arrays (the macOS 26 form): it must give the identical record
def shuffle(o, rnd):
    if isinstance(o, dict):
        if set(o) == {"auid", "euid", "egid", "ruid", "rgid", "pid", "asid", "pidversion"}:
            return [o[k] for k in ("auid", "euid", "egid", "ruid", "rgid", "pid", "asid", "pidversion")]
        items = [(k, shuffle(v, rnd)) for k, v in o.items()]
        rnd.shuffle(items)
        return dict(items)
    if isinstance(o, list):
        return [shuffle(v, rnd) for v in o]
    return o
put("exec_shuffled.json", shuffle(ex, random.Random(7)))
# escapes: \uXXXX incl. a surrogate pair, \" \\ \n \/ in a path
esc = line(10, "open", {"fflag": 1, "file": f("/tmp/caf\u00e9 \U0001F600 \"q\" \\ \n\t.txt")})
s = json.dumps(esc, separators=(",", ":"), ensure_ascii=True).replace("/", "\\/")
write_text(os.path.join(OUT, "escapes.json"), s + "\n")

# pre-macOS 13 events the ES source maps too
extra = {
 "exchangedata": (14, {"file1": f("/tmp/a"), "file2": f("/tmp/b")}),
 "get_task": (16, {"target": P2, "type": 0}),
 "setflags": (28, {"flags": 2, "target": f("/tmp/a")}),
 "readlink": (39, {"source": f("/tmp/link")}),
 "lookup": (43, {"source_dir": f("/tmp"), "relative_target": "x/../y"}),
 "chdir": (51, {"target": f("/tmp")}),
 "access": (55, {"mode": 4, "target": f("/etc/hosts")}),
 "clone": (61, {"source": f("/tmp/a"), "target_dir": f("/tmp/d"), "target_name": "a2"}),
 "fcntl": (62, {"target": f("/tmp/a"), "cmd": 42}),
 "deleteextattr": (70, {"target": f("/tmp/dl.zip"), "extattr": "com.apple.quarantine"}),
 "uipc_bind": (76, {"dir": f("/tmp"), "filename": "sock", "mode": 493}),
 "pty_grant": (83, {"dev": 268435459}),
 "proc_check": (86, {"target": None, "type": 2, "flavor": 13}),
 "proc_suspend_resume": (93, {"target": P2, "type": 0}),
 "trace": (96, {"target": P2}),
 "setreuid": (107, {"ruid": 501, "euid": 0}),
 "copyfile": (110, {"source": f("/tmp/a"), "target_file": None, "target_dir": f("/tmp/d"), "target_name": "a3", "mode": 420, "flags": 0}),
}
for k, (t, pl) in extra.items():
    put(k + ".json", line(t, k, pl))
# a NOTIFY that another client's AUTH denied
d = line(10, "open", {"fflag": 1, "file": f("/etc/master.passwd")})
d["action"]["result"]["result"]["auth"] = 1
put("open_denied.json", d)
