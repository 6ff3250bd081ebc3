#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Real traffic through the data plane: a client's TCP connections to the VIP
# cross the XDP balancer, reach backends that decapsulate with shoal's own
# program, and the answers go straight back to the client (DSR).
set -u
. "$(dirname "$0")/lib.sh"

VIP=192.0.2.10
NB=3

lab_init
lab_topology "$NB"
R=$(ns router)
lab_backends "$VIP" "$NB"
for ((i = 1; i <= NB; i++)); do head -c 300000 /dev/urandom >"$LAB_DIR/www$i/big"; done
lab_balancer "$VIP" "$NB" || exit 1
lab_wait_backends "$VIP" "$NB" || exit 1

# capture what the router sends towards the balancer
lab_bg tcpdump ip netns exec "$R" tcpdump -i rlb -Q out -n -w "$LAB_DIR/to-lb.pcap"
TCPDUMP_PID=$LAST_PID
sleep 1

C=$(ns client)
one_request() { ip netns exec "$C" curl -s --max-time 3 "http://$VIP/id"; }
first=$(one_request)
check "one TCP connection through the VIP completes ($first)" test "${first#backend-}" != "$first"

declare -A seen=()
ok=0
for ((n = 0; n < 60; n++)); do
	out=$(one_request) || break
	[[ $out == backend-* ]] && { ok=$((ok + 1)); seen[$out]=1; }
done
check "60 of 60 requests answered" test "$ok" -eq 60
check "every backend served some (${!seen[*]})" test "${#seen[@]}" -eq "$NB"

# a long download: many packets each way on one connection, replies direct
got=$(ip netns exec "$C" curl -s --max-time 10 "http://$VIP/big" | wc -c)
check "a 300 kB download over one connection is complete" test "$got" -eq 300000

# an upload larger than the path MTU once encapsulated: the balancer answers
# frag-needed, the client lowers its path MTU, the connection still completes
head -c 200000 /dev/urandom >"$LAB_DIR/upload"
want=$(sha256sum <"$LAB_DIR/upload" | cut -d' ' -f1)
got=$(ip netns exec "$C" curl -s --max-time 10 --data-binary @"$LAB_DIR/upload" "http://$VIP/id")
check "a 200 kB upload arrives whole through PMTU discovery (sha256 ${got:0:12})" \
	test "$got" = "$want"
cached=$(ip -n "$C" route get "$VIP" | grep -o 'mtu [0-9]*' || true)
check "the client learned the path MTU from the balancer ($cached)" test "$cached" = "mtu 1472"

sleep 0.5
kill "$TCPDUMP_PID"
wait "$TCPDUMP_PID" 2>/dev/null
to_vip=$(tcpdump -r "$LAB_DIR/to-lb.pcap" -n "dst host $VIP and tcp" 2>/dev/null | wc -l)
from_vip=$(tcpdump -r "$LAB_DIR/to-lb.pcap" -n "src host $VIP" 2>/dev/null | wc -l)
check "the balancer was sent client->VIP packets ($to_vip)" test "$to_vip" -gt 100
check "the balancer was sent no VIP->client packet ($from_vip)" test "$from_vip" -eq 0

kill "$LB_PID"
wait "$LB_PID" 2>/dev/null
tx=$(sed -n 's/^tx=//p' "$LAB_DIR/lb.log")
ptb=$(sed -n 's/^ptb_sent=//p' "$LAB_DIR/lb.log")
check "every client->VIP packet was encapsulated or answered (tx=$tx ptb=$ptb)" \
	test "$((${tx:-0} + ${ptb:-0}))" -ge "$to_vip"
check "the balancer sent frag-needed (ptb_sent=$ptb)" test "${ptb:-0}" -ge 1

lab_summary
