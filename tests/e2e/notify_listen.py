#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Stands in for systemd's notify socket: prints every datagram received on
the UNIX socket PATH until it has seen each of the WANT messages (or 10 s).
Usage: notify_listen.py PATH WANT..."""
import os
import socket
import sys
import time

path, want = sys.argv[1], set(sys.argv[2:])
if os.path.exists(path):
    os.unlink(path)
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.settimeout(0.5)
print("listening", flush=True)
deadline = time.time() + 10
while want and time.time() < deadline:
    try:
        msg = s.recv(4096).decode()
    except socket.timeout:
        continue
    print(msg, flush=True)
    want.discard(msg)
sys.exit(1 if want else 0)
