#!/usr/bin/python3
"""make_bad.py DIR -- (re)write the bad eslogger lines in DIR/bad and
bad/expect.tsv, each made by breaking one of the good lines in DIR.
Lines with raw control bytes, invalid UTF-8 or 10 MB are made by
tests/unit/test_eslogger.c itself.  Deterministic.
"""
import json, os, sys, copy


def read_text(path):
    with open(path, encoding="utf-8") as fp:
        return fp.read()


def write_text(path, text):
    with open(path, "w", encoding="utf-8") as fp:
        fp.write(text)
D = sys.argv[1]
base = json.loads(read_text(os.path.join(D, "exit.json")))
ex = json.loads(read_text(os.path.join(D, "exec.json")))
B = os.path.join(D, "bad")
cases = []
def put(name, text, frag):
    write_text(os.path.join(B, name), text + "\n")
    cases.append((name, frag))
def js(o):
    return json.dumps(o, separators=(",", ":"))
def mod(fn, src=base):
    o = copy.deepcopy(src); fn(o); return js(o)
put("invalid_json.json", js(base).replace('"mach_time":', '"mach_time"::'), "invalid JSON: bad structure")
put("trailing_comma.json", js(base)[:-1] + ",}", "invalid JSON")
put("truncated.json", js(base)[:700], "truncated line?")
put("not_an_object.json", "[1,2,3]", "line: expected a JSON object, got an array")
put("bad_number.json", js(base).replace('"seq_num":', '"seq_num":01'), "invalid JSON: malformed or out-of-range number")
put("bad_literal.json", js(base).replace('"is_es_client":false', '"is_es_client":fals'), "invalid JSON: bad literal")
put("bad_escape.json", js(base).replace('"signing_id":"', '"signing_id":"\\x'), "invalid JSON: bad escape")
put("lone_surrogate.json", js(base).replace('"signing_id":"', '"signing_id":"\\ud800x'), "invalid JSON: bad escape")
put("missing_event_type.json", mod(lambda o: o.pop("event_type")), "event_type: missing (a required key)")
put("missing_process.json", mod(lambda o: o.pop("process")), "process: missing (a required key)")
put("missing_event.json", mod(lambda o: o.pop("event")), "event: missing (a required key)")
put("missing_time.json", mod(lambda o: o.pop("time")), "time: missing")
put("missing_executable.json", mod(lambda o: o["process"].pop("executable")), "process.executable: missing")
put("missing_path.json", mod(lambda o: o["process"]["executable"].pop("path")), "process.executable.path: missing")
put("missing_token_key.json", mod(lambda o: o["process"]["audit_token"].pop("asid")), "process.audit_token.asid: missing")
put("missing_stat.json", mod(lambda o: o["event"]["exit"].pop("stat")), "event.exit.stat: missing")
put("event_type_string.json", mod(lambda o: o.__setitem__("event_type", "exit")), "event_type: expected an unsigned integer, got a string")
put("target_string.json", mod(lambda o: o["event"]["exec"].__setitem__("target", "abc"), ex), "event.exec.target: expected an object, got a string")
put("args_number.json", mod(lambda o: o["event"]["exec"]["args"].__setitem__(3, 7), ex), "event.exec.args[3]: expected a string, got an integer")
put("pid_string.json", mod(lambda o: o["process"]["audit_token"].__setitem__("pid", "12")), "process.audit_token.pid: expected an integer, got a string")
put("pid_range.json", mod(lambda o: o["process"]["audit_token"].__setitem__("pid", 4294967296)), "process.audit_token.pid: 4294967296 is out of range (-2147483648..2147483647)")
put("uid_negative.json", mod(lambda o: o["process"]["audit_token"].__setitem__("euid", -1)), "process.audit_token.euid: -1 is out of range (0..4294967295)")
put("seq_fraction.json", mod(lambda o: o.__setitem__("seq_num", 1.5)), "seq_num: expected an unsigned integer, got a number with a fraction or exponent")
put("bool_as_int.json", mod(lambda o: o["process"].__setitem__("is_platform_binary", 1)), "process.is_platform_binary: expected true or false, got an integer")
put("token_short.json", mod(lambda o: o["process"].__setitem__("audit_token", [1, 2, 3])), "process.audit_token: expected 8 integers")
put("token_string.json", mod(lambda o: o["process"].__setitem__("audit_token", "x")), "process.audit_token: expected an object or an array of 8 integers, got a string")
put("cdhash_short.json", mod(lambda o: o["process"].__setitem__("cdhash", "ABC")), "process.cdhash: expected 40 hex digits, got 3 characters")
put("cdhash_nonhex.json", mod(lambda o: o["process"].__setitem__("cdhash", "G" + "0" * 39)), "process.cdhash: expected 40 hex digits, found a non-hex character at 0")
put("bad_time.json", mod(lambda o: o.__setitem__("time", "2025-13-01T00:00:00Z")), "time: \"2025-13-01T00:00:00Z\" is not an RFC 3339 time")
put("bad_date.json", mod(lambda o: o.__setitem__("time", "2025-02-29T00:00:00Z")), "time: \"2025-02-29T00:00:00Z\" is not an RFC 3339 time")
put("bad_stat_time.json", mod(lambda o: o["process"]["executable"].__setitem__("stat", {"st_mtimespec": "yesterday"})), "process.executable.stat.st_mtimespec: \"yesterday\" is not an RFC 3339 time")
put("event_two_keys.json", mod(lambda o: o["event"].__setitem__("fork", {})), "event: expected exactly one key (the event name), got 2")
put("event_mismatch.json", mod(lambda o: o.__setitem__("event_type", 9)), "event: key \"exit\" does not match event_type 9 (exec)")
put("event_not_object.json", mod(lambda o: o.__setitem__("event", [])), "event: expected an object, got an array")
put("payload_not_object.json", mod(lambda o: o["event"].__setitem__("exit", 3)), "event.exit: expected an object, got an integer")
put("duplicate_key.json", js(base)[:-1] + ',"event_type":15}', "line: duplicate key \"event_type\"")
put("create_bad_destination.json", js(json.loads(read_text(os.path.join(D, "create_existing.json")))).replace('"destination_type":0', '"destination_type":7'), "event.create.destination_type: 7 is neither 0 (EXISTING_FILE) nor 1 (NEW_PATH)")
put("create_wrong_union.json", js(json.loads(read_text(os.path.join(D, "create_new_path.json")))).replace('"destination_type":1', '"destination_type":0'), "event.create.destination.existing_file: missing")
put("thread_string.json", mod(lambda o: o.__setitem__("thread", "7")), "thread: expected an object or null, got a string")
put("deep.json", js(base)[:-1] + ',"x":' + "[" * 200 + "]" * 200 + "}", "invalid JSON: nested deeper than 128 levels")
with open(os.path.join(B, "expect.tsv"), "w") as fp:
    fp.write("# Bad eslogger lines: FILE<TAB>fragment of the ESTEL_E_CORRUPT message\n")
    fp.write("# (tests/unit/test_eslogger.c).  Lines with raw control bytes, invalid\n")
    fp.write("# UTF-8 or 10 MB are made by the test itself.\n")
    for n, fr in cases:
        fp.write(n + "\t" + fr + "\n")
