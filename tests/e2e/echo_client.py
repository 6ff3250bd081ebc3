#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Holds one TCP connection to ADDR:PORT and sends a line every INTERVAL
seconds, printing the answering backend's name each time (flushed), until
the file STOP exists (its local port goes to STOP.port). Exits 1 at the first
line that gets no answer.
Usage: echo_client.py ADDR PORT INTERVAL STOP"""
import os
import socket
import sys
import time

addr, port, interval, stop = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
s = socket.create_connection((addr, port), timeout=5)
with open(stop + ".port", "w") as pf:
    pf.write("%d\n" % s.getsockname()[1])
f = s.makefile("rwb")
n = 0
while not os.path.exists(stop):
    f.write(b"ping %d\n" % n)
    f.flush()
    reply = f.readline()
    if not reply:
        print("lost", flush=True)
        sys.exit(1)
    print(reply.split()[0].decode(), flush=True)
    n += 1
    time.sleep(interval)
print("done", flush=True)
