#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""N long-lived TCP connections to ADDR:PORT (echo_server.py behind it), each
sending a line every 50 ms and waiting for its answer, until the file STOP
exists. A connection is kept if every line was answered (a reset, or 5 s
without an answer, loses it) and by the same backend throughout. Prints
"kept K of N" and the longest wait for one answer.
Usage: anycast_clients.py ADDR PORT N STOP"""
import os
import selectors
import socket
import sys
import time

addr, port, n, stop = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
sel = selectors.DefaultSelector()
conns = {}
for i in range(n):
    s = socket.create_connection((addr, port), timeout=5)
    s.setblocking(False)
    conns[s] = {"buf": b"", "sent": 0.0, "waiting": False, "backend": None, "ok": True,
                "why": ""}
    sel.register(s, selectors.EVENT_READ)
longest = 0.0
start = time.monotonic()


def lose(c, why):
    """A connection lost, and why and when (seconds since the start), for the log."""
    c["ok"] = False
    c["why"] = "%s at %.1f s" % (why, time.monotonic() - start)


while not os.path.exists(stop):
    now = time.monotonic()
    for s, c in conns.items():
        if not c["ok"]:
            continue
        if c["waiting"] and now - c["sent"] > 5:
            lose(c, "no answer for 5 s")
        elif not c["waiting"] and now - c["sent"] >= 0.05:
            try:
                s.send(b"ping\n")
            except OSError as e:
                lose(c, "send: %s" % e.strerror)
                continue
            c["sent"], c["waiting"] = now, True
    for key, _ in sel.select(timeout=0.01):
        s, c = key.fileobj, conns[key.fileobj]
        try:
            data = s.recv(4096)
        except OSError as e:
            data, err = b"", e.strerror
        else:
            err = "closed by the peer"
        if not data:
            lose(c, err)
            sel.unregister(s)
            continue
        c["buf"] += data
        while b"\n" in c["buf"]:
            line, c["buf"] = c["buf"].split(b"\n", 1)
            name = line.split()[0]
            if c["backend"] is None:
                c["backend"] = name
            elif c["backend"] != name:
                lose(c, "answered by %s, not %s" % (name.decode(), c["backend"].decode()))
            longest = max(longest, time.monotonic() - c["sent"])
            c["waiting"] = False
kept = sum(1 for c in conns.values() if c["ok"])
for c in conns.values():
    if not c["ok"]:
        print("lost: %s (backend %s)" % (c["why"], (c["backend"] or b"-").decode()))
print("kept %d of %d" % (kept, n))
print("longest stall %.0f ms" % (longest * 1000))
