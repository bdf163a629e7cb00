#!/usr/bin/env python3
"""Toy mini-kv node, for the executing-skill evals only.

`minikv.py serve NAME DATA_DIR PORT [FOLLOWER,...]` serves an HTTP API on 127.0.0.1:PORT:
  POST /append/<key>  body: a JSON value -> {"offset": n}   (leader only)
  GET  /read/<key>                       -> [values in log order]
  GET  /health                           -> 200 "ok"
The node's log is DATA_DIR/NAME.log (one JSON line per append: {"key", "value"}). A leader
writes each append to its own log and to every follower's log file, fsyncing each, before it
acknowledges, so a promoted follower holds every acknowledged append. This stands in for
replication; there are no real follower processes until one is promoted with `serve`.
"""
import http.server
import json
import os
import sys
import threading

LOCK = threading.Lock()


def append_line(path, rec):
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(rec) + "\n")
        f.flush()
        os.fsync(f.fileno())


def read_log(path, key):
    if not os.path.exists(path):
        return []
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                rec = json.loads(line)
                if rec["key"] == key:
                    out.append(rec["value"])
    return out


def main():
    if len(sys.argv) < 5 or sys.argv[1] != "serve":
        sys.exit("usage: minikv.py serve NAME DATA_DIR PORT [FOLLOWER,...]")
    name, data, port = sys.argv[2], sys.argv[3], int(sys.argv[4])
    followers = [f for f in (sys.argv[5].split(",") if len(sys.argv) > 5 else []) if f]
    own = os.path.join(data, name + ".log")

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def reply(self, code, body):
            b = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(b)))
            self.end_headers()
            self.wfile.write(b)

        def do_GET(self):
            if self.path == "/health":
                return self.reply(200, "ok")
            if self.path.startswith("/read/"):
                with LOCK:
                    return self.reply(200, read_log(own, self.path[len("/read/"):]))
            self.reply(404, "no such path")

        def do_POST(self):
            if not self.path.startswith("/append/"):
                return self.reply(404, "no such path")
            key = self.path[len("/append/"):]
            value = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with LOCK:
                offset = len(read_log(own, key))
                rec = {"key": key, "value": value}
                append_line(own, rec)
                for f in followers:
                    append_line(os.path.join(data, f + ".log"), rec)
            self.reply(200, {"offset": offset})

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print(f"node {name} serving as leader on {port}, followers {followers}, "
          f"log offset {sum(1 for _ in open(own)) if os.path.exists(own) else 0}", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
