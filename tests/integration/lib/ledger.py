#!/usr/bin/python3
"""ledger.py - did every event arrive exactly once, and is every loss reported?

Reads what `estel ingest` wrote (ECS NDJSON, docs/schema.md: event.sequence
is the record's collector sequence number "cs", event.id its event id,
event.dataset estel.events / estel.gap / estel.status, host.id the host;
gap records carry estel.gap.{first_seq,last_seq,count,reason} for records
the agent lost, or estel.gap.{es_first,es_last,count} with reason es_drop
for messages ES lost) and, optionally, what is still in the agents' spools.

  ledger.py [options] DIR_OR_FILE...

  --expect HOST=N      HOST generated N events (repeatable)
  --expect-all N       every host seen (and every --hosts entry) generated N
  --hosts FILE         host ids that must appear, one a line
  --spool HOST=DIR     batches still in DIR/ready, dead/ and bad/ count as
                       "on the agent", not lost (repeatable)
  --feed HOST=G        the source was an eslogger feed with global_seq_num
                       0..G-1 (ground truth in ES numbers, checked too)
  --crash-marks HOST=FILE  gsq values at which the feeder saw the agent die
                       (one a line): a missing range ending just before a
                       mark is the documented crash window, not silent
  --crash-window N     largest crash window accepted, in events
  --from-cs N          every host's first collector sequence number (1 for
                       a fresh spool): a loss at the very start is a hole
  --json FILE          write the figures as JSON
  --quiet              only the summary lines

Checks, per host:
  cs space   every collector sequence number from the host's first to its
             last is landed, inside a reported gap, or still in its spool;
             a number seen twice with the same event id is a duplicate
             (removed: "exactly once after dedupe"); with two different
             event ids it is a conflict (a bug).
  events     landed events (distinct event ids) + events lost in reported
             gaps = generated (--expect); nothing missing is unexplained.
  gsq space  (--feed) every ES global sequence number 0..G-1 landed, or is
             in an es_drop gap, or is in a reported cs-space loss, or ends
             just before a crash mark (crash window); anything else is
             silent loss.
Exit status 0 when there is no silent loss, no conflict, no missing host
and every expectation holds; 1 otherwise.  Prints RESULT ledger_* lines.
"""
import bisect
import json
import os
import re
import sys

RE_HOST = re.compile(rb'"host":\{"id":"([^"]*)"')
RE_EVENT = re.compile(rb'"event":\{(.*?)\},"host"')
RE_ID = re.compile(rb'"id":"([0-9a-f]+)"')
RE_SEQ = re.compile(rb'"sequence":([0-9]+)')
RE_DATASET = re.compile(rb'"dataset":"([a-z.]+)"')
RE_GSQ = re.compile(rb'"global_seq_num":([0-9]+)')
CS_GAP_REASONS = ("ring_full", "spool_full", "spool_max_age", "disk_full",
                  "io_error")


class Host:
    def __init__(self, name):
        self.name = name
        self.cs = {}            # cs -> event id (first seen)
        self.kind = {}          # cs -> 'e' | 'g' | 's'
        self.gsq = {}           # global_seq_num -> cs (events)
        self.dups = 0           # same cs, same id: removed by dedupe
        self.conflicts = []     # same cs, other id
        self.events = 0         # distinct event records
        self.gaps = []          # (first, last, count, reason)
        self.es_gaps = []       # (first, last, count)
        self.status = 0
        self.crashes = 0        # unclean agent stops reported (reason crash)
        self.spool = []         # (first, last, where)
        self.lines = 0


def parse_line(hosts, raw):
    m = RE_EVENT.search(raw)
    h = RE_HOST.search(raw)
    if m is None or h is None:
        return parse_slow(hosts, raw)
    ev = m.group(1)
    i, s, d = RE_ID.search(ev), RE_SEQ.search(ev), RE_DATASET.search(ev)
    if i is None or s is None or d is None:
        return parse_slow(hosts, raw)
    dataset = d.group(1)
    if dataset != b"estel.events":
        return parse_slow(hosts, raw)
    g = RE_GSQ.search(raw)
    add(hosts, h.group(1).decode(), int(s.group(1)), i.group(1).decode(),
        "e", int(g.group(1)) if g else None, None)


def parse_slow(hosts, raw):
    d = json.loads(raw)
    if "ecs" not in d:
        sys.exit("ledger: not an ECS line (the ledger reads ingest's default "
                 "output, IngestFormat ecs): %s" % raw[:120])
    ev = d.get("event", {})
    host = d.get("host", {}).get("id", "?")
    ds = ev.get("dataset", "")
    kind = {"estel.events": "e", "estel.gap": "g",
            "estel.status": "s"}.get(ds, "?")
    gsq = d.get("estel", {}).get("global_seq_num")
    gap = d.get("estel", {}).get("gap") if kind == "g" else None
    add(hosts, host, int(ev.get("sequence", -1)), ev.get("id", ""), kind,
        gsq, gap)


def add(hosts, host, cs, eid, kind, gsq, gap):
    h = hosts.get(host)
    if h is None:
        h = hosts[host] = Host(host)
    h.lines += 1
    old = h.cs.get(cs)
    if old is not None:
        if old == eid:
            h.dups += 1
        else:
            h.conflicts.append(cs)
        return
    h.cs[cs] = eid
    h.kind[cs] = kind
    if kind == "e":
        h.events += 1
        if gsq is not None:
            h.gsq[gsq] = cs
    elif kind == "s":
        h.status += 1
    elif kind == "g" and gap is not None:
        reason = gap.get("reason", "")
        if "es_first" in gap:
            h.es_gaps.append((int(gap["es_first"]), int(gap["es_last"]),
                              int(gap.get("count", 0))))
        elif "first_seq" in gap:
            h.gaps.append((int(gap["first_seq"]), int(gap["last_seq"]),
                           int(gap.get("count", 0)), reason))
        elif reason == "crash":
            h.crashes += int(gap.get("crashes", 1))


def read_outputs(paths):
    hosts = {}
    files = []
    for p in paths:
        if os.path.isdir(p):
            for n in sorted(os.listdir(p)):
                if n.startswith("estel-") and (n.endswith(".ndjson") or
                                               n.endswith(".ndjson.part")):
                    files.append(os.path.join(p, n))
        elif os.path.exists(p):
            files.append(p)
    for f in files:
        with open(f, "rb") as fh:
            for raw in fh:
                if raw.strip():
                    parse_line(hosts, raw)
    return hosts, files


def read_spool(h, d):
    for where in ("ready", "dead", "bad", "tmp"):
        sub = os.path.join(d, where)
        if where == "tmp" or not os.path.isdir(sub):
            continue
        for n in os.listdir(sub):
            m = re.match(r"([0-9a-f]{16})-([0-9a-f]{16})-[0-9a-f]{16}\.batch$",
                         n)
            if m:
                h.spool.append((int(m.group(1), 16), int(m.group(2), 16),
                                where))


def ranges(sorted_nums):
    """[1,2,3,7,8] -> [(1,3),(7,8)]"""
    out = []
    for n in sorted_nums:
        if out and n == out[-1][1] + 1:
            out[-1][1] = n
        else:
            out.append([n, n])
    return [tuple(r) for r in out]


def in_any(n, spans):
    for a, b in spans:
        if a <= n <= b:
            return True
    return False


def check_cs(h, expect, from_cs=None):
    """Coverage of the host's cs numbers; returns a dict of figures."""
    r = {"host": h.name, "lines": h.lines, "events_landed": h.events,
         "duplicates_removed": h.dups, "conflicts": len(h.conflicts),
         "gap_records": sum(1 for k in h.kind.values() if k == "g"),
         "status_records": h.status, "crashes_reported": h.crashes}
    if not h.cs:
        r.update(first_cs=None, last_cs=None, silent_cs=0, lost_reported=0,
                 on_agent=0)
        return r
    lo, hi = min(h.cs), max(h.cs)
    if from_cs is not None:
        lo = min(lo, from_cs)
    for a, b, _ in h.spool:
        hi = max(hi, b)
    gap_spans = [(a, b) for a, b, _, _ in h.gaps]
    spool_spans = [(a, b) for a, b, _ in h.spool]
    missing = [n for n in range(lo, hi + 1) if n not in h.cs]
    silent, in_gaps, on_agent = [], 0, 0
    for n in missing:
        if in_any(n, gap_spans):
            in_gaps += 1
        elif in_any(n, spool_spans):
            on_agent += 1
        else:
            silent.append(n)
    # A gap record names the lowest and highest number it lost and how
    # many records: the lost batches need not be contiguous (eviction
    # under a full disk), so the numbers missing inside the spans must add
    # up to the counts.  More missing than reported: some loss is silent.
    counted = sum(c for _, _, c, _ in h.gaps)
    reported = min(in_gaps, counted)
    unreported_in_spans = in_gaps - reported
    reasons = {}
    for a, b, c, why in h.gaps:
        reasons[why] = reasons.get(why, 0) + c
    r.update(first_cs=lo, last_cs=hi, lost_reported=reported,
             lost_by_reason=reasons, on_agent=on_agent,
             over_reported=counted - reported,
             silent_cs=len(silent) + unreported_in_spans,
             silent_ranges=ranges(silent)[:20] + (
                 [("%d inside gap spans" % unreported_in_spans,)]
                 if unreported_in_spans else []),
             es_drops_reported=sum(c for _, _, c in h.es_gaps))
    # events: landed + lost (reported ranges hold events and lost gap
    # records; the cs coverage above already proves nothing else is missing)
    if expect is not None:
        r["events_generated"] = expect
        r["events_lost_or_on_agent"] = expect - h.events
        r["events_ok"] = (h.events <= expect and
                          expect - h.events <= reported + on_agent)
    return r


def check_gsq(h, total, marks, window):
    """ES-number ground truth for an eslogger feed of gsq 0..total-1."""
    landed = h.gsq
    missing = [g for g in range(total) if g not in landed]
    es_spans = [(a, b) for a, b, _ in h.es_gaps]
    gap_spans = [(a, b) for a, b, _, _ in h.gaps]
    spool_spans = [(a, b) for a, b, _ in h.spool]
    out = {"feed_generated": total, "feed_landed": len(landed),
           "feed_es_drop": 0, "feed_reported": 0, "feed_on_agent": 0,
           "feed_crash_window": 0, "feed_crash_windows": [],
           "feed_silent": 0, "feed_silent_ranges": []}
    order = sorted(landed)
    for a, b in ranges(missing):
        n = b - a + 1
        if all(in_any(g, es_spans) for g in (a, b)):
            out["feed_es_drop"] += n
            continue
        # the landed neighbours in ES order and their cs numbers
        i = bisect.bisect_left(order, a)
        prev_cs = landed[order[i - 1]] if i > 0 else None
        next_cs = landed[order[i]] if i < len(order) else None
        between = []
        if prev_cs is not None and next_cs is not None:
            between = range(prev_cs + 1, next_cs)
        elif prev_cs is not None:
            between = range(prev_cs + 1, (h.spool and max(
                s[1] for s in h.spool) or prev_cs) + 1)
        lost_cs = [c for c in between if c not in h.cs]
        if lost_cs and all(in_any(c, gap_spans) for c in lost_cs):
            out["feed_reported"] += n
        elif lost_cs and all(in_any(c, spool_spans) or in_any(c, gap_spans)
                             for c in lost_cs):
            out["feed_on_agent"] += n
        elif b + 1 in marks and n <= window:
            out["feed_crash_window"] += n
            out["feed_crash_windows"].append((a, b))
        else:
            out["feed_silent"] += n
            out["feed_silent_ranges"].append((a, b))
    sizes = [b - a + 1 for a, b in out["feed_crash_windows"]]
    out["feed_crash_window_max"] = max(sizes) if sizes else 0
    out["feed_crash_window_count"] = len(sizes)
    out["feed_crash_windows"] = out["feed_crash_windows"][:50]
    out["feed_silent_ranges"] = out["feed_silent_ranges"][:20]
    extra = [g for g in landed if g >= total]
    out["feed_unexpected"] = len(extra)
    return out


def kvlist(args, name):
    out = {}
    while name in args:
        i = args.index(name)
        k, _, v = args[i + 1].partition("=")
        out[k] = v
        del args[i:i + 2]
    return out


def opt(args, name, default=None):
    if name in args:
        i = args.index(name)
        v = args[i + 1]
        del args[i:i + 2]
        return v
    return default


def main():
    args = sys.argv[1:]
    if not args or args[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    quiet = "--quiet" in args
    if quiet:
        args.remove("--quiet")
    expect = {k: int(v) for k, v in kvlist(args, "--expect").items()}
    expect_all = opt(args, "--expect-all")
    hosts_file = opt(args, "--hosts")
    spools = kvlist(args, "--spool")
    feeds = {k: int(v) for k, v in kvlist(args, "--feed").items()}
    mark_files = kvlist(args, "--crash-marks")
    window = int(opt(args, "--crash-window", "0"))
    from_cs = opt(args, "--from-cs")
    from_cs = int(from_cs) if from_cs is not None else None
    json_out = opt(args, "--json")
    hosts, files = read_outputs(args)
    want = set()
    if hosts_file:
        want = {l.strip() for l in open(hosts_file) if l.strip()}
    for name in want | set(expect) | set(spools) | set(feeds):
        hosts.setdefault(name, Host(name))
    for name, d in spools.items():
        read_spool(hosts[name], d)
    rows = []
    ok = True
    for name in sorted(hosts):
        h = hosts[name]
        e = expect.get(name)
        if e is None and expect_all is not None:
            e = int(expect_all)
        r = check_cs(h, e, from_cs)
        if name in feeds:
            marks = set()
            if name in mark_files and os.path.exists(mark_files[name]):
                marks = {int(l) for l in open(mark_files[name]) if l.strip()}
            r.update(check_gsq(h, feeds[name], marks, window))
        bad = []
        if r["silent_cs"]:
            bad.append("silent cs loss %s" % r["silent_ranges"])
        if r["conflicts"]:
            bad.append("%d cs numbers with two event ids" % r["conflicts"])
        if e is not None and not r.get("events_ok", True):
            bad.append("events: %d landed of %d generated, only %d "
                       "reported lost" % (h.events, e, r["lost_reported"]))
        if r.get("feed_silent"):
            bad.append("silent ES-number loss %s" % r["feed_silent_ranges"])
        if r.get("feed_unexpected"):
            bad.append("%d events beyond the feed" % r["feed_unexpected"])
        if name in want and h.lines == 0:
            bad.append("nothing arrived")
        r["verdict"] = "FAIL: " + "; ".join(bad) if bad else "ok"
        ok = ok and not bad
        rows.append(r)
    tot = {k: sum(r.get(k) or 0 for r in rows) for k in (
        "events_landed", "duplicates_removed", "conflicts", "lost_reported",
        "on_agent", "silent_cs", "gap_records", "status_records",
        "crashes_reported", "events_generated", "feed_generated", "feed_landed", "feed_es_drop",
        "feed_reported", "feed_on_agent", "feed_crash_window", "feed_silent",
        "lines")}
    tot["hosts"] = len(rows)
    tot["hosts_failed"] = sum(1 for r in rows if r["verdict"] != "ok")
    tot["files"] = len(files)
    if not quiet:
        for r in rows:
            if r["verdict"] != "ok" or len(rows) <= 8:
                print("%-12s events %d landed%s, dups removed %d, lost "
                      "reported %d (%s), on agent %d, silent %d%s: %s" % (
                          r["host"], r["events_landed"],
                          " of %d" % r["events_generated"]
                          if "events_generated" in r else "",
                          r["duplicates_removed"], r["lost_reported"],
                          ", ".join("%s %d" % kv for kv in sorted(
                              (r.get("lost_by_reason") or {}).items()))
                          or "-", r["on_agent"], r["silent_cs"],
                          "" if "feed_generated" not in r else
                          "; feed %d: landed %d, es_drop %d, reported %d, "
                          "crash window %d, silent %d" % (
                              r["feed_generated"], r["feed_landed"],
                              r["feed_es_drop"], r["feed_reported"],
                              r["feed_crash_window"], r["feed_silent"]),
                          r["verdict"]))
    print("ledger: %d hosts (%d failed), %d lines in %d files: %d events "
          "landed once, %d duplicates removed, %d records lost and "
          "reported in gap records, %d still on agents, %d silent, %d "
          "conflicts%s" % (
              tot["hosts"], tot["hosts_failed"], tot["lines"], tot["files"],
              tot["events_landed"], tot["duplicates_removed"],
              tot["lost_reported"], tot["on_agent"], tot["silent_cs"],
              tot["conflicts"],
              "" if not tot["events_generated"] else
              "; events generated %d = landed %d + not landed %d" % (
                  tot["events_generated"], tot["events_landed"],
                  tot["events_generated"] - tot["events_landed"])))
    print("RESULT " + " ".join("ledger_%s=%s" % (k, v)
                               for k, v in sorted(tot.items())))
    if json_out:
        with open(json_out, "w") as f:
            json.dump({"total": tot, "hosts": rows}, f, indent=1)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
