#!/usr/bin/env python3
"""A fault-injecting HTTP proxy for tests, on 127.0.0.1 (a free port), in front of
an S3 service (moto). It forwards every request unchanged (Host header included, so
SigV4 signatures made for the proxy's address stay valid) and injects one kind of
fault into the requests it matches:

  --fault status:CODE   answer CODE (500, 503, 429...) with an S3 XML error body,
                        plus "Retry-After: S" when --retry-after S is given
  --fault reset         reset the connection (TCP RST) half-way through the body:
                        the request's body when it has one, else the response's
  --fault stall:S       stop half-way through the body for S seconds, then close
  --fault none          forward everything (a transparent proxy, to count requests)

Which matching requests get the fault: --first N (the first N), --every N (every
Nth: N, 2N, ...) or --always. A request matches when its method is --method (any
when omitted) and its path+query contains --path-contains (any when omitted).

The port goes to --port-file once listening; each request is logged to --log as
"<monotonic time> <method> <path> <status or fault>".
"""
import argparse
import http.client
import http.server
import socket
import struct
import sys
import threading
import time

args = None
lock = threading.Lock()
matched = 0


class Abort(Exception):
    pass


def log(line):
    with lock:
        with open(args.log, "a") as f:
            f.write("%.3f %s\n" % (time.monotonic(), line))


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def handle(self):
        try:
            super().handle()
        except (Abort, ConnectionError, BrokenPipeError, ValueError, OSError):
            pass

    def reset(self):
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        raise Abort()

    def decide(self):
        global matched
        if args.method and self.command != args.method:
            return None
        if args.path_contains and args.path_contains not in self.path:
            return None
        with lock:
            matched += 1
            n = matched
        if args.always or (args.first and n <= args.first) or (args.every and n % args.every == 0):
            return args.fault if args.fault != "none" else None
        return None

    def any(self):
        length = int(self.headers.get("Content-Length") or 0)
        fault = self.decide()
        desc = "%s %s" % (self.command, self.path)
        if fault and fault.startswith("status:"):
            self.rfile.read(length)
            code = int(fault.split(":")[1])
            body = b"<?xml version=\"1.0\"?><Error><Code>InjectedFault</Code><Message>injected %d</Message></Error>" % code
            self.send_response(code)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(0 if self.command == "HEAD" else len(body)))
            if args.retry_after is not None:
                self.send_header("Retry-After", str(args.retry_after))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
            log(desc + " injected-" + str(code))
            return
        if fault and length > 0 and fault == "reset":
            self.rfile.read(length // 2)
            log(desc + " injected-reset")
            self.reset()
        if fault and length > 0 and fault.startswith("stall:"):
            log(desc + " injected-stall")
            time.sleep(float(fault.split(":")[1]))
            self.close_connection = True
            raise Abort()
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "proxy-connection")}
        up = http.client.HTTPConnection(args.upstream_host, args.upstream_port, timeout=600)
        up.request(self.command, self.path, body=body, headers=headers)
        resp = up.getresponse()
        data = resp.read()
        up.close()
        self.send_response(resp.status, resp.reason)
        for k, v in resp.getheaders():
            if k.lower() in ("transfer-encoding", "connection", "content-length", "date", "server"):
                continue
            self.send_header(k, v)
        if self.command == "HEAD":
            self.send_header("Content-Length", resp.getheader("Content-Length", "0"))
        else:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command == "HEAD" or not data:
            log("%s %d" % (desc, resp.status))
            return
        if fault == "reset":
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            log(desc + " injected-reset")
            self.reset()
        if fault and fault.startswith("stall:"):
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            log(desc + " injected-stall")
            time.sleep(float(fault.split(":")[1]))
            self.close_connection = True
            raise Abort()
        self.wfile.write(data)
        log("%s %d" % (desc, resp.status))

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = any


def main():
    global args
    p = argparse.ArgumentParser()
    p.add_argument("--upstream", required=True, help="http://127.0.0.1:PORT")
    p.add_argument("--port-file", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--fault", default="none")
    p.add_argument("--first", type=int, default=0)
    p.add_argument("--every", type=int, default=0)
    p.add_argument("--always", action="store_true")
    p.add_argument("--method")
    p.add_argument("--path-contains")
    p.add_argument("--retry-after", type=int)
    args = p.parse_args()
    hostport = args.upstream.split("://", 1)[1].rstrip("/")
    args.upstream_host, port = hostport.rsplit(":", 1)
    args.upstream_port = int(port)
    open(args.log, "w").close()
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(args.port_file + ".tmp", args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
