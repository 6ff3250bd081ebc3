#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
# A lab UDP backend for health checks. "echo": answers "ping" with "pong NAME".
# "dns": answers any query with an empty answer whose RCODE is NOERROR, or the
# number written in FILE (2 = SERVFAIL), so a test can make a DNS check fail.
# Usage: udp_server.py ADDR PORT echo NAME | udp_server.py ADDR PORT dns FILE
import socket
import struct
import sys

addr, port, mode, arg = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_DGRAM)
s.bind((addr, port))
print("ready", flush=True)
while True:
    data, peer = s.recvfrom(2048)
    if mode == "echo":
        if data.startswith(b"ping"):
            s.sendto(b"pong " + arg.encode(), peer)
        continue
    if len(data) < 12:
        continue
    try:
        with open(arg) as f:
            rcode = int(f.read().strip() or "0")
    except (OSError, ValueError):
        rcode = 0
    qid, flags = struct.unpack("!HH", data[:4])
    # QR, the query's opcode and RD, RA; the question echoed, no answers
    out_flags = 0x8000 | (flags & 0x7900) | 0x0080 | (rcode & 0xF)
    s.sendto(struct.pack("!HHHHHH", qid, out_flags, 1, 0, 0, 0) + data[12:], peer)
