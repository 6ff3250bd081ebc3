#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Attacks a control socket as a careless or hostile local user would.
  ctl_flood.py SOCK idle N SECONDS      N connections that send nothing, held
  ctl_flood.py SOCK pipeline N SECONDS  N requests on one connection, replies never read
Prints what the agent did: how many connections it took, refused in words, or closed."""
import socket
import sys
import time

path, mode, n, hold = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
if mode == "idle":
    conns, refused, failed = [], 0, 0
    for _ in range(n):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
        except OSError:
            failed += 1
            s.close()
            continue
        conns.append(s)
    time.sleep(0.5)
    held = 0
    for s in conns:
        s.setblocking(False)
        try:
            data = s.recv(4096)
            if b"too many connections" in data:
                refused += 1
            continue
        except BlockingIOError:
            held += 1
    print("held %d refused %d failed %d" % (held, refused, failed), flush=True)
    time.sleep(hold)
else:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.setblocking(False)
    line = b'{"version":1,"command":"version"}\n'
    sent = 0
    end = time.time() + hold
    while sent < n and time.time() < end:
        try:
            s.send(line)
            sent += 1
        except BlockingIOError:
            time.sleep(0.01)  # the agent stopped reading from us
        except BrokenPipeError:
            print("closed by the agent after %d" % sent, flush=True)
            sys.exit(0)
    print("sent %d of %d" % (sent, n), flush=True)
    time.sleep(max(0, end - time.time()))
