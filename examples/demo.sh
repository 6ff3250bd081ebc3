#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make demo: a lab of network namespaces (a client, a router, one shoal host
# running shoald with examples/demo.yaml, three backends that decapsulate with
# shoal's own program and serve HTTP on the VIP). Sends a few hundred real
# HTTP requests through the VIP, shows how they spread, what `lbctl status`
# says and a few metric lines, and tears everything down (also on Ctrl-C).
# Its pin path and control socket carry this run's name: two demos, or a demo
# beside a real agent, do not touch each other.
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/e2e/lib.sh

VIP=192.0.2.10
NB=3
REQUESTS=${REQUESTS:-300}

if [ "$(id -u)" != 0 ]; then
	echo "make demo needs root (namespaces, XDP)" >&2
	exit 1
fi
lab_init
# examples/demo.yaml with this run's names
CONF=$LAB_DIR/demo.yaml
SOCK=/run/shoal/demo-$LAB_PREFIX.sock
PINS=/sys/fs/bpf/shoal-demo-$LAB_PREFIX
sed -e "s|^  control_socket: .*|  control_socket: $SOCK|" -e "s|^  pin_path: .*|  pin_path: $PINS|" \
	examples/demo.yaml >"$CONF"
demo_cleanup() {
	[ -n "${SHOALD_PID:-}" ] && kill "$SHOALD_PID" 2>/dev/null && wait "$SHOALD_PID" 2>/dev/null
	"$BUILD/shoald" -c "$CONF" --detach 2>/dev/null
	rm -f "/run/shoal/agent-sys-fs-bpf-shoal-demo-$LAB_PREFIX.lock" # the agent's lock (core/lock.c)
	lab_cleanup
}
trap demo_cleanup EXIT

echo "== the lab: client 203.0.113.2 -> router -> shoal host 198.51.100.2 -> backends .11 .12 .13"
lab_topology "$NB"
lab_backends "$VIP" "$NB"
# the router learns the VIP over BGP from shoald, not from a static route
ip -n "$(ns router)" route del "$VIP/32"
cat >"$LAB_DIR/bird.conf" <<EOC
router id 198.51.100.1;
protocol device { scan time 1; }
protocol kernel { ipv4 { export all; import none; }; merge paths yes; }
protocol bfd { interface "br0" { min rx interval 100 ms; min tx interval 100 ms; }; }
protocol bgp shoal { local 198.51.100.1 as 65000; neighbor 198.51.100.2 as 65001; bfd on;
	graceful restart on; ipv4 { import all; export none; }; }
EOC
lab_bg bird ip netns exec "$(ns router)" bird -f -c "$LAB_DIR/bird.conf" -s "$LAB_DIR/bird.ctl" \
	-P "$LAB_DIR/bird.pid"
lab_bg shoald nsenter --net="/run/netns/$(ns lb)" "$BUILD/shoald" -c "$CONF"
SHOALD_PID=$LAST_PID
wait_for "$LAB_DIR/shoald.log" "ready:" || exit 1
lab_wait_backends "$VIP" "$NB" || exit 1
sed 's/^/   /' "$LAB_DIR/shoald.log"
LBCTL=("$BUILD/lbctl" -s "$SOCK")
echo "== BGP: shoald announces $VIP to BIRD on the router (with BFD)"
wait_until 20 eval 'ip -n "$(ns router)" route show "$VIP" | grep -q via' ||
	echo "   (the route did not come)"
wait_until 10 eval '"${LBCTL[@]}" -o json bgp | jq -e ".result | .peers[0].bfd == \"up\"" >/dev/null'
"${LBCTL[@]}" bgp | sed 's/^/   /'
echo "   the router's table:"
ip -n "$(ns router)" route show "$VIP" | sed 's/^/   /'

echo "== $REQUESTS HTTP requests from the client to http://$VIP/id (each a new TCP connection)"
ip netns exec "$(ns client)" bash -c "for i in \$(seq $REQUESTS); do
	curl -s --max-time 3 http://$VIP/id || echo failed; done" | sort | uniq -c |
	awk '{ printf "   %-10s %5d  %s\n", $2, $1, substr("##################################################", 1, $1 * 50 / '"$REQUESTS"') }'

echo "== lbctl backend drain $VIP:80/tcp 198.51.100.11, then 60 more requests"
"${LBCTL[@]}" backend drain "$VIP:80/tcp" 198.51.100.11
ip netns exec "$(ns client)" bash -c "for i in \$(seq 60); do
	curl -s --max-time 3 http://$VIP/id || echo failed; done" | sort | uniq -c | sed 's/^/  /'

echo "== backend-3's web server stops: its http check through the tunnel fails, it leaves the table"
for pid in $(ip netns pids "$(ns b3)"); do
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "web_server.py $VIP 80" && kill "$pid"
done
sleep 2
"${LBCTL[@]}" health | sed 's/^/   /'
echo "   60 more requests:"
ip netns exec "$(ns client)" bash -c "for i in \$(seq 60); do
	curl -s --max-time 3 http://$VIP/id || echo failed; done" | sort | uniq -c | sed 's/^/  /'

echo "== lbctl status"
"${LBCTL[@]}" status | sed 's/^/   /'
echo "== lbctl lookup 203.0.113.2:40000 $VIP:80"
"${LBCTL[@]}" lookup 203.0.113.2:40000 "$VIP:80" | sed 's/^/   /'
echo "== a few metric lines (http://127.0.0.1:9435/metrics in the shoal host)"
ip netns exec "$(ns lb)" curl -s http://127.0.0.1:9435/metrics |
	grep -E '^shoal_(vip_packets|backend_new_flows|flow_table_entries|drops_total\{reason="malformed)' |
	sed 's/^/   /'
echo "== SIGTERM: shoald withdraws $VIP first, forwards through the 2 s grace, then exits"
kill -TERM "$SHOALD_PID"
sleep 0.5
echo "   the router's table half a second later: $(ip -n "$(ns router)" route show "$VIP" | wc -l) route(s) to $VIP"
wait "$SHOALD_PID" 2>/dev/null
SHOALD_PID=
echo "== tearing the lab down"
cat <<'EON'
== next, on a real host (README, "Quickstart on a real host"):
   shoal host:  apt install ./shoal_*.deb   (or make install), write /etc/shoal/shoal.yaml
                from /usr/share/doc/shoal/examples/shoal.yaml (shoald --gen-seed for hash_seed),
                shoald --check -c /etc/shoal/shoal.yaml, systemctl enable --now shoald
   backends:    the VIP on lo, and fou/ipip, or shoal-decap.service with /etc/shoal/decap.yaml
   router:      a static route to the VIP via the shoal host, or BGP (the bgp block)
   then:        lbctl status; curl http://VIP/ from a client
EON
