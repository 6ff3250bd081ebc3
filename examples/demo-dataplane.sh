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
R=$(ns router)
ip -n "$R" route add "$VIP/32" via 198.51.100.2
for ((i = 1; i <= NB; i++)); do
	B=$(ns "b$i")
	ip -n "$B" addr add "$VIP/32" dev lo
	mkdir -p "$LAB_DIR/www$i"
	echo "backend-$i" >"$LAB_DIR/www$i/id"
	lab_bg "srv$i" ip netns exec "$B" python3 -m http.server 80 --bind "$VIP" \
		--directory "$LAB_DIR/www$i"
	lab_bg "decap$i" ip netns exec "$B" "$BUILD/shoal-lab" decap eth0 "$VIP"
done
GW_MAC=$(mac router br0)
lab_bg lb ip netns exec "$(ns lb)" "$BUILD/shoal-lab" lb eth0 --gw-mac "$GW_MAC" \
	--src4 198.51.100.2 --vip "$VIP:80/tcp" --backend 198.51.100.11 \
	--backend 198.51.100.12 --backend 198.51.100.13
LB_PID=$LAST_PID
wait_for "$LAB_DIR/lb.log" ready || exit 1
for ((i = 1; i <= NB; i++)); do
	wait_for "$LAB_DIR/decap$i.log" ready || exit 1
	for _ in $(seq 50); do
		ip netns exec "$(ns "b$i")" curl -s -o /dev/null "http://$VIP/id" && break
		sleep 0.1
	done
done

echo "== $REQUESTS HTTP requests from the client to http://$VIP/id (each a new TCP connection)"
ip netns exec "$(ns client)" bash -c "for i in \$(seq $REQUESTS); do
	curl -s --max-time 3 http://$VIP/id || echo failed; done" | sort | uniq -c |
	awk '{ printf "   %-10s %5d  %s\n", $2, $1, substr("##################################################", 1, $1 * 50 / '"$REQUESTS"') }'

echo "== replies went straight from the backends to the client; the balancer only forwarded:"
kill "$LB_PID"
wait "$LB_PID" 2>/dev/null
grep -E '^(tx|flow_miss|ptb_sent)=|^backend_' "$LAB_DIR/lb.log" | sed 's/^/   /'
echo "== tearing the lab down"
