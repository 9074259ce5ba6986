#!/usr/bin/python3
"""backend.py PORT DIR - a scripted ingest stand-in behind nginx (tests only).

Stores what it receives (DIR/store/<Idempotency-Key>.zst, and one JSON line
per request in DIR/requests.log) and answers as the control script says.

Control (plain HTTP on 127.0.0.1:PORT, bypassing nginx):
  POST /_ctl   body: one action per line, used by the next requests in order;
               when the list is used up every request gets "ok".
Actions:
  ok              store (a second copy of a key gets 409) and answer 204
  CODE [ra=V] [store]
                  answer CODE (with Retry-After: V; V may be "date+N" for an
                  HTTP-date N seconds ahead), storing the batch first if
                  "store" is given
  stall S         wait S seconds, then answer 204 without storing (the
                  client has given up by then)
  drop            store, then make nginx close the client connection
                  without an answer (status 599 -> nginx "return 444")
  cut             do not read the body; answer 599 at once (under
                  /midbody/ the client is cut off while still sending)
Deterministic: one thread per request, the action list under a lock.
"""
import email.utils
import hashlib
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, DIR = int(sys.argv[1]), sys.argv[2]
STORE = os.path.join(DIR, "store")
os.makedirs(STORE, exist_ok=True)
LOCK = threading.Lock()
ACTIONS = []


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def answer(self, code, headers=(), body=b""):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.answer(200, body=b"backend\n")

    def do_POST(self):
        if self.path == "/_ctl":
            n = int(self.headers.get("Content-Length", 0))
            lines = self.rfile.read(n).decode().splitlines()
            with LOCK:
                ACTIONS[:] = [l.strip() for l in lines if l.strip()]
            self.answer(204)
            return
        with LOCK:
            action = ACTIONS.pop(0) if ACTIONS else "ok"
        words = action.split()
        key = self.headers.get("Idempotency-Key", "")
        if words[0] == "cut":
            self.log(key, 0, action, 599, "")
            self.answer(599)
            self.close_connection = True
            return
        n = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(n)
        digest = hashlib.sha256(body).hexdigest()
        path = os.path.join(STORE, key + ".zst")
        safe_key = key.replace("/", "_") != "" and "/" not in key
        if words[0] == "ok":
            if safe_key and os.path.exists(path):
                code = 409
            else:
                code = 204
                self.store(path, body, safe_key)
            self.log(key, len(body), action, code, digest)
            self.answer(code)
        elif words[0] == "stall":
            self.log(key, len(body), action, 0, digest)
            time.sleep(float(words[1]))
            try:
                self.answer(204)
            except OSError:
                pass
        elif words[0] == "drop":
            self.store(path, body, safe_key)
            self.log(key, len(body), action, 599, digest)
            self.answer(599)
        else:
            code = int(words[0])
            hdrs = []
            for w in words[1:]:
                if w == "store":
                    self.store(path, body, safe_key)
                elif w.startswith("ra=date+"):
                    when = time.time() + int(w[8:])
                    hdrs.append(("Retry-After",
                                 email.utils.formatdate(when, usegmt=True)))
                elif w.startswith("ra="):
                    hdrs.append(("Retry-After", w[3:]))
            self.log(key, len(body), action, code, digest)
            self.answer(code, hdrs, b'{"error":"scripted %d"}' % code)

    def store(self, path, body, ok):
        if ok:
            with open(path, "wb") as f:
                f.write(body)

    def log(self, key, length, action, code, digest):
        rec = {
            "t": time.time(), "key": key, "len": length, "action": action,
            "code": code, "sha256": digest,
            "host": self.headers.get("X-Estel-Host"),
            "records": self.headers.get("X-Estel-Records"),
            "raw": self.headers.get("X-Estel-Raw-Bytes"),
            "checksum": self.headers.get("X-Estel-Checksum"),
            "ctype": self.headers.get("Content-Type"),
            "cenc": self.headers.get("Content-Encoding"),
            "ua": self.headers.get("User-Agent"),
            "serial": self.headers.get("X-Client-Serial"),
        }
        with LOCK, open(os.path.join(DIR, "requests.log"), "a") as f:
            f.write(json.dumps(rec) + "\n")


ThreadingHTTPServer.daemon_threads = True
srv = ThreadingHTTPServer(("127.0.0.1", PORT), H)
with open(os.path.join(DIR, "backend.pid"), "w") as f:
    f.write(str(os.getpid()))
srv.serve_forever()
