#!/usr/bin/env python3
"""A test HTTP server on loopback for the downloader. Serves the files of ROOT
with behaviours chosen by the first path component:
  /ok/<file>        plain 200, honours Range (206)
  /drop/<file>      the first request sends half the body and drops the connection;
                    later requests honour Range
  /norange/<file>   the first request drops half-way; later ones ignore Range (200)
  /flaky/<file>     the first request answers 500, later ones 200
  /expired/<file>   403 with S3's AccessDenied / "Request has expired" XML body
  /missing/<file>   404
  /redirect/<file>  302 to /ok/<file>
  /page/<file>      200 text/html: a share or login page instead of the file
  /sniff/<file>     200 application/octet-stream whose body is an HTML page
Each request is logged to LOG as one JSON line (method, path without query, range).
Usage: http_files.py ROOT PORTFILE LOG   (binds 127.0.0.1 on a free port, writes it
to PORTFILE, serves until killed; at most 1000 requests)."""
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

ROOT, PORTFILE, LOG = sys.argv[1], sys.argv[2], sys.argv[3]
seen = {}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        parts = path.strip("/").split("/", 1)
        mode, name = (parts + [""])[:2]
        rng = self.headers.get("Range")
        with open(LOG, "a") as f:
            f.write(json.dumps({"path": path, "range": rng, "query": "?" in self.path}) + "\n")
        n = seen.get(path, 0)
        seen[path] = n + 1
        if mode == "missing":
            return self.send_body(404, b"not found\n")
        if mode == "expired":
            body = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
                    b"<Message>Request has expired</Message><Expires>2020-01-01T00:00:00Z</Expires></Error>")
            return self.send_body(403, body, "application/xml")
        if mode == "page":
            return self.send_body(200, b"<!DOCTYPE html>\n<html><body>Sign in to download</body></html>\n",
                                  "text/html; charset=utf-8")
        if mode == "sniff":
            return self.send_body(200, b"\n  <HTML><body>This link has expired</body></HTML>\n",
                                  "application/octet-stream")
        if mode == "flaky" and n == 0:
            return self.send_body(500, b"try again\n")
        if mode == "redirect":
            self.send_response(302)
            self.send_header("Location", "/ok/" + name)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        fpath = os.path.join(ROOT, os.path.basename(name))
        if not os.path.isfile(fpath):
            return self.send_body(404, b"no such file\n")
        with open(fpath, "rb") as f:
            data = f.read()
        if mode in ("drop", "norange") and n == 0:
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if rng and mode != "norange" and rng.startswith("bytes="):
            start = int(rng[6:].split("-")[0])
            if start >= len(data):
                return self.send_body(416, b"")
            self.send_response(206)
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))
            self.send_header("Content-Length", str(len(data) - start))
            self.end_headers()
            self.wfile.write(data[start:])
            return
        self.send_body(200, data, "application/octet-stream")

    def send_body(self, code, body, ctype="text/plain"):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


server = HTTPServer(("127.0.0.1", 0), Handler)
with open(PORTFILE + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(PORTFILE + ".tmp", PORTFILE)
for _ in range(1000):
    server.handle_request()
