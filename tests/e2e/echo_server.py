#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""A backend for the labs: answers every line on a TCP connection with its name
and the line, so a client can tell which backend holds its connection and
whether that connection still works. Usage: echo_server.py ADDR PORT NAME"""
import socketserver
import sys


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        for line in self.rfile:
            self.wfile.write(NAME + b" " + line)
            self.wfile.flush()


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


if __name__ == "__main__":
    NAME = sys.argv[3].encode()
    with Server((sys.argv[1], int(sys.argv[2])), Handler) as srv:
        srv.serve_forever()
