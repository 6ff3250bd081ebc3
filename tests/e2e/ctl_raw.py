#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Sends raw bytes (argv[2], with \\n escapes, or N*x for N bytes of 'x') to
the control socket argv[1] and prints the first reply line."""
import socket
import sys

data = sys.argv[2]
if data.endswith("*x"):
    payload = b"x" * int(data[:-2]) + b"\n"
else:
    payload = data.encode().decode("unicode_escape").encode()
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.settimeout(5)
s.sendall(payload)
print(s.makefile("rb").readline().decode().strip())
