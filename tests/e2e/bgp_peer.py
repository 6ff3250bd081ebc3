#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""A hostile BGP peer for the anycast lab: connects to shoald (which lists it as
a passive peer of AS PEER_AS), and for each case opens a session, sends one
malformed message and checks the NOTIFICATION shoald answers with (RFC 4271
section 6, RFC 7606, RFC 7313), or, for what RFC 7606 forgives, that the
session stays up. Then floods a session with 20,000 UPDATEs. Prints one line
per case, "ok NAME" or "FAIL NAME: why", and exits 1 if any failed.
Usage: bgp_peer.py SHOAL_ADDR PEER_AS ROUTER_ID"""
import socket
import struct
import sys
import time

addr, peer_as, rid = sys.argv[1], int(sys.argv[2]), socket.inet_aton(sys.argv[3])
M = b"\xff" * 16


def msg(t, body):
    return M + struct.pack("!HB", 19 + len(body), t) + body


def open_msg(version=4, asn=None, hold=9):
    caps = bytes([1, 4, 0, 1, 0, 1, 2, 0, 65, 4]) + struct.pack("!I", asn or peer_as)
    a = asn or peer_as
    body = struct.pack("!BHH4sB", version, a if a < 65536 else 23456, hold, rid, len(caps) + 2)
    return msg(1, body + bytes([2, len(caps)]) + caps)


KEEPALIVE = msg(4, b"")


def read_msg(s):
    hdr = b""
    while len(hdr) < 19:
        d = s.recv(19 - len(hdr))
        if not d:
            return None
        hdr += d
    n, t = struct.unpack("!HB", hdr[16:19])
    body = b""
    while len(body) < n - 19:
        d = s.recv(n - 19 - len(body))
        if not d:
            return None
        body += d
    return t, body


def session(established):
    s = socket.create_connection((addr, 179), timeout=5)
    m = read_msg(s)  # shoald's OPEN
    if not m or m[0] != 1:
        raise RuntimeError("no OPEN from shoald")
    if established:
        s.sendall(open_msg())
        s.sendall(KEEPALIVE)
        while True:
            m = read_msg(s)
            if not m or m[0] == 4:
                break
    return s


def notification(s):
    """The NOTIFICATION shoald sends, skipping what comes before (updates)."""
    while True:
        m = read_msg(s)
        if m is None:
            return None
        if m[0] == 3:
            return m[1][0], m[1][1]


ORIGIN = bytes([0x40, 1, 1, 0])
PATH = bytes([0x40, 2, 6, 2, 1]) + struct.pack("!I", peer_as)
NH = bytes([0x40, 3, 4, 198, 51, 100, 9])
NLRI = bytes([24, 203, 0, 113])


def update(attrs, nlri=NLRI, withdrawn=b""):
    return msg(2, struct.pack("!H", len(withdrawn)) + withdrawn + struct.pack("!H", len(attrs)) + attrs + nlri)


CASES = [
    # name, established first, bytes, expected (code, subcode) or None (session stays)
    ("bad marker", False, b"\x00" * 16 + struct.pack("!HB", 19, 4), (1, 1)),
    ("length 18", False, M + struct.pack("!HB", 18, 4), (1, 2)),
    ("length 5000", False, M + struct.pack("!HB", 5000, 4), (1, 2)),
    ("type 9", False, msg(9, b""), (1, 3)),
    ("OPEN version 3", False, open_msg(version=3), (2, 1)),
    ("OPEN of the wrong AS", False, open_msg(asn=64999), (2, 2)),
    ("OPEN hold time 1", False, open_msg(hold=1), (2, 6)),
    ("UPDATE before OPEN", False, update(ORIGIN + PATH + NH), (5, 1)),
    ("unknown well-known attribute", True, update(ORIGIN + PATH + NH + bytes([0x40, 99, 0])), (3, 2)),
    ("a /33 in the NLRI", True, update(ORIGIN + PATH + NH, nlri=bytes([33, 1, 2, 3, 4, 5])), (3, 10)),
    ("attribute list past the message", True, msg(2, struct.pack("!HH", 0, 200)), (3, 1)),
    ("MP_REACH with a 5-byte next hop", True,
     update(ORIGIN + PATH + bytes([0x80, 14, 10, 0, 2, 1, 5, 1, 2, 3, 4, 5, 0]), nlri=b""), (3, 9)),
    ("ROUTE-REFRESH of 22 bytes", True, M + struct.pack("!HB", 22, 5) + b"\x00\x01\x00", (7, 1)),
    ("OPEN in an established session", True, open_msg(), (5, 3)),
    ("ORIGIN 7: treated as withdraw", True, update(bytes([0x40, 1, 1, 7]) + PATH + NH), None),
    ("NEXT_HOP missing: treated as withdraw", True, update(ORIGIN + PATH), None),
]

failed = 0
for name, est, data, want in CASES:
    try:
        s = session(est)
        s.sendall(data)
        if want is None:
            # forgiven: no NOTIFICATION, the session stays (read until 1.5 s of quiet)
            s.sendall(KEEPALIVE)
            s.settimeout(1.5)
            ok, got = True, "nothing"
            try:
                while True:
                    m = read_msg(s)
                    if m is None or m[0] == 3:
                        ok, got = False, "closed" if m is None else "NOTIFICATION %s" % m[1][:2].hex()
                        break
            except socket.timeout:
                pass
        else:
            got = notification(s)
            ok = got == want
        s.close()
    except (OSError, RuntimeError) as e:
        ok, got = False, str(e)
    print(("ok " if ok else "FAIL ") + name + ("" if ok else ": got %s, want %s" % (got, want)), flush=True)
    failed += not ok
    time.sleep(0.2)

# 20,000 UPDATEs in one burst, then a ROUTE-REFRESH: the agent takes them all and
# answers the refresh (its routes again, then End-of-RIB) behind them
try:
    s = session(True)
    burst = b"".join(update(ORIGIN + PATH + NH, nlri=bytes([32, 10, i >> 8 & 255, i & 255, 1])) for i in range(20000))
    t0 = time.monotonic()
    s.sendall(burst + msg(5, bytes([0, 1, 0, 1])))
    s.settimeout(10)
    m = read_msg(s)
    eor = 0
    while m and eor < 2:  # the first End-of-RIB ends the session's start, the second the refresh
        eor += m[0] == 2 and len(m[1]) == 4
        m = read_msg(s) if eor < 2 else m
    ok = m is not None
    print(("ok 20000 UPDATEs and a refresh answered in %.0f ms" % ((time.monotonic() - t0) * 1000)) if ok else "FAIL flood: closed", flush=True)
    failed += not ok
    s.close()
except OSError as e:
    print("FAIL flood: %s" % e)
    failed += 1
sys.exit(1 if failed else 0)
