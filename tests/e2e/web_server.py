#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
# A lab backend: serves files from DIR (GET) and answers a POST with the
# SHA-256 of the body it read, so an upload through the balancer is proven
# whole. Usage: web_server.py ADDR PORT DIR
import hashlib
import http.server
import socket
import sys
from functools import partial


class Handler(http.server.SimpleHTTPRequestHandler):
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


Server((sys.argv[1], int(sys.argv[2])), partial(Handler, directory=sys.argv[3])).serve_forever()
