#!/usr/bin/python3
"""corpus_to_es.py CORPUS OUT.tsv [--lines N]

The ES path of the side-by-side benchmark replays "the same events as
es_message_t's".  This reads the first N (default 8192) eslogger JSON lines
of the benchmark corpus and writes, per event, the facts the ES-path driver
(es_pipeline.c) needs to build the equivalent es_message_t with the fake ES
runtime's message builder: the event type, the actor process, and the
event's own objects (exec target + argv + cwd, fork child, exit status,
close/create/unlink target, rename source and destination).  The driver
cycles through these events, renumbering them and moving their times, so a
long run does not send the same bytes twice.

One event per line, tab-separated; lists (argv) are joined with \\x1f.
Columns: type, then the actor (pid, pidversion, ppid, uid, gid, exe,
signing_id, team_id or "", platform 0/1), then per type:
  exec, fork: the target/child process (same 9 columns), then for exec
              cwd and argv
  exit:       status
  close, create: path
  rename:     source path, destination dir, destination file name
  unlink:     path, parent dir
Run with Debian's /usr/bin/python3.
"""
import json
import os
import sys

KEEP = ("exec", "fork", "exit", "close", "create", "rename", "unlink")


def clean(s):
    return ("" if s is None else str(s)).replace("\t", " ").replace(
        "\n", " ").replace("\x1f", " ")


def proc(p):
    tok = p.get("audit_token") or {}
    return [tok.get("pid", 0), tok.get("pidversion", 0), p.get("ppid", 0),
            tok.get("ruid", 0), tok.get("rgid", 0),
            clean((p.get("executable") or {}).get("path")),
            clean(p.get("signing_id")), clean(p.get("team_id")),
            1 if p.get("is_platform_binary") else 0]


def path_of(f):
    return clean((f or {}).get("path"))


def row(d):
    ev = d.get("event") or {}
    if len(ev) != 1:
        return None
    kind, e = next(iter(ev.items()))
    if kind not in KEEP:
        return None
    out = [kind] + proc(d.get("process") or {})
    if kind == "exec":
        out += proc(e.get("target") or {})
        out.append(path_of(e.get("cwd")))
        out.append("\x1f".join(clean(a) for a in (e.get("args") or [])))
    elif kind == "fork":
        out += proc(e.get("child") or {})
    elif kind == "exit":
        out.append(e.get("stat", 0))
    elif kind == "close":
        out.append(path_of(e.get("target")))
    elif kind == "create":
        dest = e.get("destination") or {}
        if "existing_file" in dest:
            out.append(path_of(dest["existing_file"]))
        else:
            np = dest.get("new_path") or {}
            out.append(path_of(np.get("dir")).rstrip("/") + "/" +
                       clean(np.get("filename")))
    elif kind == "rename":
        out.append(path_of(e.get("source")))
        dest = e.get("destination") or {}
        if "existing_file" in dest:
            p = path_of(dest["existing_file"])
            out += [os.path.dirname(p) + "/", os.path.basename(p)]
        else:
            np = dest.get("new_path") or {}
            out += [path_of(np.get("dir")).rstrip("/") + "/",
                    clean(np.get("filename"))]
    elif kind == "unlink":
        out += [path_of(e.get("target")), path_of(e.get("parent_dir"))]
    return "\t".join(str(x) for x in out)


def main():
    args = sys.argv[1:]
    lines = 8192
    if "--lines" in args:
        i = args.index("--lines")
        lines = int(args[i + 1])
        del args[i:i + 2]
    if len(args) != 2:
        sys.exit("usage: corpus_to_es.py CORPUS OUT.tsv [--lines N]")
    n = 0
    kinds = {}
    with open(args[0]) as f, open(args[1], "w") as out:
        for line in f:
            r = row(json.loads(line))
            if r is None:
                continue
            out.write(r + "\n")
            k = r.split("\t", 1)[0]
            kinds[k] = kinds.get(k, 0) + 1
            n += 1
            if n >= lines:
                break
    print("corpus_to_es: %d events (%s) -> %s" % (
        n, ", ".join("%s %d" % kv for kv in sorted(kinds.items())), args[1]))


if __name__ == "__main__":
    main()
