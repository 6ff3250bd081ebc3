#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
# A lab backend: serves files from DIR (GET) and answers a POST with the
# SHA-256 of the body it read, so an upload through the balancer is proven
# whole. GET /healthz answers with the status written in DIR/health (200
# when there is none), so a test can make a backend fail its HTTP check.
# With CERT (a PEM file holding certificate and key) it serves HTTPS.
# Usage: web_server.py ADDR PORT DIR [CERT]
import hashlib
import http.server
import os
import socket
import socketserver
import ssl
import sys
from functools import partial


class Handler(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        if self.path != "/healthz":
            return super().do_GET()
        try:
            with open(os.path.join(self.directory, "health")) as f:
                status = int(f.read().strip() or "200")
        except (OSError, ValueError):
            status = 200
        body = b"ok\n" if status < 400 else b"unwell\n"
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        left = int(self.headers.get("Content-Length", "0"))
        digest = hashlib.sha256()
        while left > 0:
            chunk = self.rfile.read(min(left, 65536))
            if not chunk:
                break
            digest.update(chunk)
            left -= len(chunk)
        body = (digest.hexdigest() + "\n").encode()
        self.send_response(200 if left == 0 else 400)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Server(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
    # socketserver's default backlog of 5 drops SYNs under a burst of clients:
    # repeated SYNs are the passive health signal, a real server queues them
    request_queue_size = 128

    def server_bind(self):
        # HTTPServer's own asks DNS for the address's name (getfqdn): in a lab
        # namespace without a resolver that waits 5 s before serving
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]


server = Server((sys.argv[1], int(sys.argv[2])), partial(Handler, directory=sys.argv[3]))
if len(sys.argv) > 4:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[4])
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
server.serve_forever()
