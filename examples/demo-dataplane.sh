#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The data-plane demo (make demo): a namespace lab with a client, a router,
# the XDP balancer and three backends that decapsulate with shoal's own
# program and serve HTTP on the VIP. Sends a few hundred real HTTP requests
# through the VIP, shows how they spread, what the balancer counted, and
# tears everything down (also on Ctrl-C).
set -u
cd "$(dirname "$0")/.."
. tests/e2e/lib.sh

VIP=192.0.2.10
NB=3
REQUESTS=${REQUESTS:-300}

if [ "$(id -u)" != 0 ]; then
	echo "make demo needs root (namespaces, XDP)" >&2
	exit 1
fi
lab_init
echo "== building the lab: client 203.0.113.2 -> router -> balancer 198.51.100.2 -> backends .11-.13"
lab_topology "$NB"
lab_backends "$VIP" "$NB"
lab_balancer "$VIP" "$NB" || exit 1
lab_wait_backends "$VIP" "$NB" || exit 1

echo "== $REQUESTS HTTP requests from the client to http://$VIP/id (each a new TCP connection)"
ip netns exec "$(ns client)" bash -c "for i in \$(seq $REQUESTS); do
	curl -s --max-time 3 http://$VIP/id || echo failed; done" | sort | uniq -c |
	awk '{ printf "   %-10s %5d  %s\n", $2, $1, substr("##################################################", 1, $1 * 50 / '"$REQUESTS"') }'

echo "== replies went straight from the backends to the client; the balancer only forwarded:"
kill "$LB_PID"
wait "$LB_PID" 2>/dev/null
grep -E '^(tx|flow_miss|ptb_sent)=|^backend_' "$LAB_DIR/lb.log" | sed 's/^/   /'
echo "== tearing the lab down"
