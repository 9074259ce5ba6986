#!/usr/bin/python3
"""flapper.py PORT UPSTREAM_PORT STATS [--seed S] [--weights ...]

A flapping server between nginx and `estel ingest` (both on 127.0.0.1):
every POST gets, at random,
  pass      forwarded to ingest, its answer relayed
  500       "500 Internal Server Error", not forwarded
  503       "503" with Retry-After: 1, not forwarded
  429       "429" with Retry-After: 1, not forwarded
  lostack   forwarded (ingest stores it), then 500 anyway: the answer is
            "lost", so the agent sends the batch again and ingest must
            answer 409 (already stored) instead of writing it twice
  drop      the connection is closed without an answer (nginx: 502)
  reject    "422 Unprocessable" for good, not forwarded: the agent moves
            the batch to dead/ (not in the default weights)
--weights pass=50,500=12,503=12,429=6,lostack=12,drop=8 (the default).
Counts per action (and ingest's statuses for forwarded requests) are
written as JSON to STATS every second and at SIGTERM.
"""
import http.client
import http.server
import json
import os
import random
import signal
import socketserver
import sys
import threading

HOP = {"connection", "keep-alive", "transfer-encoding", "host",
       "content-length"}


def main():
    args = sys.argv[1:]
    seed, weights = 1, "pass=50,500=12,503=12,429=6,lostack=12,drop=8"
    if "--seed" in args:
        i = args.index("--seed")
        seed = int(args[i + 1])
        del args[i:i + 2]
    if "--weights" in args:
        i = args.index("--weights")
        weights = args[i + 1]
        del args[i:i + 2]
    port, up, stats_path = int(args[0]), int(args[1]), args[2]
    table = []
    for kv in weights.split(","):
        k, _, v = kv.partition("=")
        table += [k] * int(v)
    rnd = random.Random(seed)
    lock = threading.Lock()
    stats = {"actions": {}, "ingest": {}}

    def save():
        with lock:
            data = json.dumps(stats, sort_keys=True)
        with open(stats_path + ".tmp", "w") as f:
            f.write(data)
        os.replace(stats_path + ".tmp", stats_path)

    def count(group, key):
        with lock:
            stats[group][key] = stats[group].get(key, 0) + 1

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def answer(self, status, body=b"", headers=()):
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(n)
            with lock:
                action = rnd.choice(table)
            count("actions", action)
            if action == "500":
                return self.answer(500, b"flapper: 500\n")
            if action in ("503", "429"):
                return self.answer(int(action), b"flapper: busy\n",
                                   [("Retry-After", "1")])
            if action == "reject":
                return self.answer(422, b"flapper: rejected for good\n")
            if action == "drop":
                self.close_connection = True
                self.connection.shutdown(2)
                return
            hdrs = {k: v for k, v in self.headers.items()
                    if k.lower() not in HOP}
            try:
                c = http.client.HTTPConnection("127.0.0.1", up, timeout=60)
                c.request("POST", self.path, body=body, headers=hdrs)
                r = c.getresponse()
                rbody = r.read()
                rh = [(k, v) for k, v in r.getheaders()
                      if k.lower() not in HOP]
                c.close()
            except OSError:
                count("ingest", "unreachable")
                return self.answer(502, b"flapper: ingest unreachable\n")
            count("ingest", str(r.status))
            if action == "lostack":
                return self.answer(500, b"flapper: answer lost\n")
            return self.answer(r.status, rbody, rh)

    class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True
        allow_reuse_address = True

        def handle_error(self, request, client_address):
            pass                        # "drop" breaks connections on purpose

    srv = Server(("127.0.0.1", port), Handler)

    def stop(*_):
        save()
        threading.Thread(target=srv.shutdown).start()

    signal.signal(signal.SIGTERM, stop)

    def ticker():
        import time
        while True:
            time.sleep(1)
            save()

    threading.Thread(target=ticker, daemon=True).start()
    srv.serve_forever()
    save()


if __name__ == "__main__":
    main()
