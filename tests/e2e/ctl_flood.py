#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Attacks a control socket (or the metrics port) as a careless or hostile local user would.
  ctl_flood.py SOCK idle N SECONDS      N connections that send nothing, held
  ctl_flood.py SOCK pipeline N SECONDS  N requests on one connection, replies never read
  ctl_flood.py HOST:PORT halfopen N SECONDS  N TCP connections with half a request, held;
                                        prints how many the agent had closed by the end
Prints what the agent did: how many connections it took, refused in words, or closed."""
import socket
import sys
import time

path, mode, n, hold = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
if mode == "halfopen":
    host, port = path.rsplit(":", 1)
    conns, failed = [], 0
    for _ in range(n):
        try:
            s = socket.create_connection((host, int(port)), timeout=2)
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")  # never finished
            conns.append(s)
        except OSError:
            failed += 1
    print("opened %d failed %d" % (len(conns), failed), flush=True)
    time.sleep(hold)
    closed = 0
    for s in conns:
        s.setblocking(False)
        try:
            if s.recv(1) == b"":
                closed += 1
        except BlockingIOError:
            pass
        except OSError:
            closed += 1
    print("closed %d of %d" % (closed, len(conns)), flush=True)
elif mode == "idle":
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
    closed = 0
    for s in conns:
        try:
            if s.recv(4096) == b"":
                closed += 1
        except BlockingIOError:
            pass
        except OSError:
            closed += 1
    print("closed by the agent %d of %d" % (closed, len(conns)), flush=True)
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
