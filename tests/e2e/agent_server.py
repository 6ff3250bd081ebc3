#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
# A HAProxy agent-check agent, as backends run them: every connection gets one
# line, the contents of FILE (e.g. "75%", "drain", "up 40%"), and is closed.
# Usage: agent_server.py ADDR PORT FILE
import socket
import sys

addr, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
srv = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((addr, port))
srv.listen(64)
print("ready", flush=True)
while True:
    conn, _ = srv.accept()
    try:
        with open(path) as f:
            line = f.read().strip()
        conn.sendall((line + "\n").encode())
    except OSError:
        pass
    conn.close()
