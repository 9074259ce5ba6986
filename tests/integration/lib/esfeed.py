#!/usr/bin/python3
"""esfeed.py - eslogger JSON lines for the soak tests, with ground truth.

Builds lines from the hand-written eslogger samples in tests/data/eslogger
(exec, fork, exit, close, create, rename, unlink), renumbered: line i has
global_seq_num i, per-type seq_num, an increasing time and mach_time and a
varying pid, so every line is a distinct event with a distinct event id.

  esfeed.py gen N FILE
      write N lines to FILE
  esfeed.py feed N FIFO [--rate R] [--marks FILE] [--done FILE]
      stand in for `eslogger | estel run --input -`: open FIFO (blocks until
      an agent opens it), write N lines at R lines/s (default 2000).  When
      the agent dies (EPIPE), append the global_seq_num of the line that
      could not be written to FILE (a "crash mark": what the agent had not
      sealed and what sat in the pipe is lost up to there), reopen the FIFO
      for the next agent and go on from that line.  Exits 0 after the last
      line, closing the FIFO (the agent sees end of input); --done FILE is
      created just before that close, so whoever restarts agents knows the
      feed is over before the last agent can exit.
Run with /usr/bin/python3.
"""
import json
import os
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "data", "eslogger")
TEMPLATES = ("exec", "fork", "exit", "close", "create_new_path",
             "rename_existing", "unlink")
WEIGHTS = (15, 15, 15, 30, 10, 5, 10)


def templates():
    out = []
    for name, w in zip(TEMPLATES, WEIGHTS):
        with open(os.path.join(DATA, name + ".json")) as f:
            d = json.load(f)
        out += [d] * w
    return out


def lines(n):
    tpl = templates()
    seq = {}
    for i in range(n):
        d = tpl[(i * 37) % len(tpl)]
        t = d["event_type"]
        d["global_seq_num"] = i
        d["seq_num"] = seq.get(t, 0)
        seq[t] = d["seq_num"] + 1
        ns = 123 + i * 250000
        d["time"] = "2025-03-10T%02d:%02d:%02d.%09dZ" % (
            9 + ns // 3600000000000, ns // 60000000000 % 60,
            ns // 1000000000 % 60, ns % 1000000000)
        d["mach_time"] = 1000000 + i * 6000
        d["process"]["audit_token"]["pid"] = 1000 + i % 30000
        yield (json.dumps(d, separators=(",", ":")) + "\n").encode()


def gen(n, path):
    with open(path, "wb") as f:
        for line in lines(n):
            f.write(line)


def feed(n, fifo, rate, marks, done=None):
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    data = list(lines(n))
    fd = os.open(fifo, os.O_WRONLY)
    t0 = time.monotonic()
    i = 0
    crashes = 0
    while i < n:
        due = min(n, int((time.monotonic() - t0) * rate) + 1)
        if due <= i:
            time.sleep(0.005)
            continue
        while i < due:
            try:
                os.write(fd, data[i])
                i += 1
            except BrokenPipeError:
                crashes += 1
                if marks:
                    with open(marks, "a") as m:
                        m.write("%d\n" % i)
                os.close(fd)
                fd = os.open(fifo, os.O_WRONLY)     # the next agent
                t0 = time.monotonic() - i / rate
                break
    if done:
        open(done, "w").close()
    os.close(fd)
    sys.stderr.write("esfeed: %d lines, %d agent deaths seen\n" % (n, crashes))


def main():
    a = sys.argv[1:]
    rate, marks, done = 2000.0, None, None
    if "--rate" in a:
        k = a.index("--rate")
        rate = float(a[k + 1])
        del a[k:k + 2]
    if "--marks" in a:
        k = a.index("--marks")
        marks = a[k + 1]
        del a[k:k + 2]
    if "--done" in a:
        k = a.index("--done")
        done = a[k + 1]
        del a[k:k + 2]
    if len(a) == 3 and a[0] == "gen":
        gen(int(a[1]), a[2])
    elif len(a) == 3 and a[0] == "feed":
        feed(int(a[1]), a[2], rate, marks, done)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
