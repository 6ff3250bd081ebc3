#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Anycast in the namespace lab: two shoal hosts (lb1 198.51.100.2 with BFD,
# lb2 198.51.100.3 without) peer over BGP with BIRD 2 in the router, which
# installs ECMP routes (merge paths, L4 multipath hashing). Real TCP clients
# through both hosts to three backends; the same backend whichever host a
# flow takes; withdraw and announce by hand; every backend down withdraws
# the VIP; SIGTERM withdraws first and exits after the grace; a graceful
# restart keeps the route; host loss with BFD leaves ECMP in under a second
# while the connections go on through the other host; an IPv6 VIP over
# MP-BGP.
set -u
. "$(dirname "$0")/lib.sh"

VIP=192.0.2.10
VIP6=2001:db8:10::10
NB=3
INTERVAL_MS=200

lab_init
lab_topology "$NB"
R=$(ns router)
ip netns exec "$R" sysctl -qw net.ipv4.fib_multipath_hash_policy=1 \
	net.ipv6.fib_multipath_hash_policy=1 net.ipv6.conf.all.forwarding=1
ip -n "$R" addr add 2001:db8:100::1/64 dev br0 nodad
ip -n "$R" addr add 2001:db8:203::1/64 dev rc nodad
ip -n "$(ns client)" addr add 2001:db8:203::2/64 dev eth0 nodad
ip -n "$(ns client)" route add default via 2001:db8:203::1
# a hostile BGP peer beside the router
lab_host evil 198.51.100.9/24 198.51.100.1 rev
ip -n "$R" link set rev master br0 up
# the second shoal host, like the first (lab_topology's lb is lb1 here)
lab_host lb2 198.51.100.3/24 198.51.100.1 rlb2
ip -n "$R" link set rlb2 master br0 up
ip -n "$R" link set rlb2 xdpdrv obj "$BUILD/napi_pass.bpf.o" sec xdp
for h in lb lb2; do
	ip -n "$(ns $h)" addr add "2001:db8:100::$([ $h = lb ] && echo 2 || echo 3)/64" dev eth0 nodad
	ip -n "$(ns $h)" -6 route add default via 2001:db8:100::1
done
for ((i = 1; i <= NB; i++)); do
	b=$(ns "b$i")
	ip -n "$b" addr add "2001:db8:100::$((10 + i))/64" dev eth0 nodad
	ip -n "$b" route add default via 2001:db8:100::1
	ip -n "$b" addr add "$VIP6/128" dev lo
done
# backends: the VIP on lo, decap, a web server; the router learns the VIP only over BGP
for ((i = 1; i <= NB; i++)); do
	b=$(ns "b$i")
	ip -n "$b" addr add "$VIP/32" dev lo
	mkdir -p "$LAB_DIR/www$i"
	echo "backend-$i" >"$LAB_DIR/www$i/id"
	lab_bg "srv$i" ip netns exec "$b" python3 "$LAB_LIB/web_server.py" "$VIP" 80 "$LAB_DIR/www$i"
	lab_bg "srv6$i" ip netns exec "$b" python3 "$LAB_LIB/web_server.py" "$VIP6" 80 "$LAB_DIR/www$i"
	lab_bg "echo$i" ip netns exec "$b" python3 "$LAB_LIB/echo_server.py" "$VIP" 7000 "backend-$i"
	tc=()
	[ "$i" -eq "$NB" ] && tc=(--tc)
	lab_bg "decap$i" ip netns exec "$b" "$BUILD/shoal-lab" decap eth0 "${tc[@]}" "$VIP" "$VIP6"
done
for ((i = 1; i <= NB; i++)); do wait_for "$LAB_DIR/decap$i.log" ready || exit 1; done

cat >"$LAB_DIR/bird.conf" <<EOC
router id 198.51.100.1;
log "$LAB_DIR/bird.log" all;
protocol device { scan time 1; }
protocol kernel k4 { ipv4 { export all; import none; }; merge paths yes; }
protocol kernel k6 { ipv6 { export all; import none; }; merge paths yes; }
# routes the router sends the shoal hosts: they count them and use none
protocol static s4 { ipv4; route 203.0.113.0/24 via 198.51.100.1; }
protocol static s6 { ipv6; route 2001:db8:203::/64 via 2001:db8:100::1; }
protocol bfd { interface "br0" { min rx interval 100 ms; min tx interval 100 ms; multiplier 3; }; }
template bgp shoal {
	local 198.51.100.1 as 65000;
	debug { states, events, routes };
	hold time 9;
	graceful restart on;
	ipv4 { import all; export where source = RTS_STATIC; };
	ipv6 { import all; export where source = RTS_STATIC; };
}
protocol bgp lb1 from shoal { neighbor 198.51.100.2 as 65001; bfd on; }
protocol bgp lb2 from shoal { neighbor 198.51.100.3 as 65001; password "shoal-lab"; }
EOC
# ANYCAST_PCAP=FILE: the BGP and BFD packets on the router's bridge, for fixtures
[ -n "${ANYCAST_PCAP:-}" ] && lab_bg tcpdump ip netns exec "$R" tcpdump -i br0 -w "$ANYCAST_PCAP" \
	'tcp port 179 or udp port 3784'
lab_bg bird ip netns exec "$R" bird -f -c "$LAB_DIR/bird.conf" -s "$LAB_DIR/bird.ctl" \
	-P "$LAB_DIR/bird.pid"
birdc() { command birdc -s "$LAB_DIR/bird.ctl" "$@"; }

# host_config N BFD: $LAB_DIR/lbN.yaml
host_config() {
	local n=$1 bfd=$2 addr=198.51.100.$((1 + $1)) i
	{
		echo "host:"
		echo "  interface: eth0"
		echo "  hash_seed: 0x5eed"
		echo "  source_v4: $addr"
		echo "  source_v6: 2001:db8:100::$((1 + n))"
		echo "  control_socket: $LAB_DIR/lb$n.sock"
		echo "  metrics: 127.0.0.1:9435"
		echo "  pin_path: /sys/fs/bpf/${LAB_PREFIX}-lb$n"
		echo "  flow_table_size: 65536"
		echo "defaults:"
		echo "  health: {type: http, path: /id, interval: ${INTERVAL_MS}ms, timeout: 150ms, rise: 2, fall: 2}"
		echo "bgp:"
		echo "  local_as: 65001"
		echo "  router_id: $addr"
		echo "  shutdown_grace: 2s"
		echo "  next_hop_v6: 2001:db8:100::$((1 + n))"
		echo "  communities: ['65001:100']"
		echo "  large_communities: ['65001:1:2']"
		echo "  bfd: {interval: 100ms, multiplier: 3}"
		echo "  peers:"
		# lb2: the router connects (passive here), with a TCP-MD5 password
		if [ "$n" = 1 ]; then
			echo "    - {address: 198.51.100.1, peer_as: 65000, bfd: $bfd}"
		else
			echo "    - {address: 198.51.100.1, peer_as: 65000, passive: true, password: shoal-lab}"
		fi
		# lb1 also listens for a hostile peer (bgp_peer.py)
		[ "$n" = 1 ] && echo "    - {address: 198.51.100.9, peer_as: 65099, passive: true}"
		echo "services:"
		for v in "$VIP:80" "$VIP:7000" "[$VIP6]:80"; do
			echo "  - vip: ${v%:*}"
			echo "    port: ${v##*:}"
			# the echo service is judged by the web server beside it
			[ "${v##*:}" = 7000 ] && echo "    health: {port: 80}"
			echo "    backends:"
			for ((i = 1; i <= NB; i++)); do
				if [ "${v#[}" != "$v" ]; then
					echo "      - 2001:db8:100::$((10 + i))"
				else
					echo "      - 198.51.100.$((10 + i))"
				fi
			done
		done
	} | sed 's/vip: \[\(.*\)\]$/vip: \1/' >"$LAB_DIR/lb$n.yaml"
}

# start_host N: shoald on lbN (lb1 is lab_topology's "lb" namespace)
start_host() {
	local n=$1 nsname=lb
	[ "$n" = 2 ] && nsname=lb2
	lab_bg "shoald$n" nsenter --net="/run/netns/$(ns $nsname)" "$SHOALD" -c "$LAB_DIR/lb$n.yaml"
	eval "PID$n=$LAST_PID"
	wait_for "$LAB_DIR/shoald$n.log" "ready:"
}
lb() { local n=$1; shift; "$BUILD/lbctl" -s "$LAB_DIR/lb$n.sock" "$@"; }

host_config 1 true
host_config 2 false
check "shoald --check takes the bgp block" "$SHOALD" --check -c "$LAB_DIR/lb1.yaml"
start_host 1
start_host 2

route_hosts() { ip -n "$R" route show "$1" 2>/dev/null | grep -o 'via 198.51.100.[23]' | sort -u | wc -l; }
route6_hosts() { ip -n "$R" -6 route show "$1" 2>/dev/null | grep -o 'via 2001:db8:100::[23]' | sort -u | wc -l; }
established() { lb "$1" -o json bgp | jq -e '.result | .peers[0].state == "established"' >/dev/null; }

check "both sessions establish" wait_until 20 eval 'established 1 && established 2'
check "the router holds an ECMP route to the VIP over both hosts" \
	wait_until 10 eval '[ "$(route_hosts $VIP)" = 2 ]'
ip -n "$R" route show "$VIP"
check "BIRD sees the communities and large communities" \
	eval 'birdc show route all "$VIP/32" | grep -q "(65001,100)" &&
		birdc show route all "$VIP/32" | grep -q "(65001, 1, 2)"'
check "routes from the router are counted, not used" \
	eval 'lb 1 -o json bgp | jq -e ".result | .peers[0].received_announced >= 2" >/dev/null &&
		! ip -n "$(ns lb)" route show 203.0.113.0/24 | grep -q .'
metric() { ip netns exec "$(ns lb)" curl -s -m 2 http://127.0.0.1:9435/metrics | grep -qF "$1"; }
check "metrics: session, BFD, prefix, messages" eval 'wait_until 5 metric "shoal_bfd_session_up{peer=\"198.51.100.1\"} 1" &&
	metric "shoal_bgp_session_up{peer=\"198.51.100.1\"} 1" &&
	metric "shoal_vip_announced{vip=\"192.0.2.10\"} 1" &&
	metric "shoal_bgp_prefixes_announced{peer=\"198.51.100.1\"} 2" &&
	metric "shoal_bgp_messages_total{peer=\"198.51.100.1\",direction=\"in\",type=\"open\"}"'
check "lb2: a passive session with TCP-MD5 (the router connected)" \
	eval 'lb 2 -o json bgp | jq -e ".result | .peers[0].state == \"established\"" >/dev/null'
check "BFD to lb1 is up" wait_until 10 eval 'lb 1 -o json bgp | jq -e ".result | .peers[0].bfd == \"up\"" >/dev/null'

# a peer that sends every kind of malformed message gets the right NOTIFICATION
check "a hostile peer: every malformed message answered as RFC 4271/7606 say" \
	ip netns exec "$(ns evil)" python3 "$LAB_LIB/bgp_peer.py" 198.51.100.2 65099 198.51.100.9
check "the router's session with lb1 stayed up through it" established 1
check "lb1 answers lbctl within 1 s" "$BUILD/lbctl" -t 1 -s "$LAB_DIR/lb1.sock" status

# connections spread over both hosts and all backends
# shellcheck disable=SC2034  # read in the check below (eval)
declare -A seen
for ((i = 0; i < 60; i++)); do
	out=$(ip netns exec "$(ns client)" curl -s -m 2 --local-port $((20000 + i)) "http://$VIP/id")
	# shellcheck disable=SC2034  # read in the check below (eval)
	seen[${out:-none}]=1
done
check "connections reach all three backends" eval '[ ${#seen[@]} -eq 3 ] && [ -n "${seen[backend-1]:-}" ]'
pk() { lb "$1" -o json status | jq '.result | [.vips[] | .packets] | add'; }
check "both hosts forward (ECMP spreads the flows)" eval '[ "$(pk 1)" -gt 0 ] && [ "$(pk 2)" -gt 0 ]'

# the same backend from either host
fp() { lb "$1" -o json status | jq -r '.result | [.vips[] | .fingerprint] | join(",")'; }
check "equal table fingerprints on both hosts" eval '[ "$(fp 1)" = "$(fp 2)" ]'
same=0
for ((i = 0; i < 20; i++)); do
	a=$(lb 1 -o json lookup "203.0.113.2:$((30000 + i))" "$VIP:80" | jq -r .result.backend)
	b=$(lb 2 -o json lookup "203.0.113.2:$((30000 + i))" "$VIP:80" | jq -r .result.backend)
	[ "$a" = "$b" ] && same=$((same + 1))
done
check "both hosts pick the same backend for the same flow (20 of 20)" [ "$same" -eq 20 ]

# by hand
check "vip withdraw on lb1" lb 1 vip withdraw "$VIP"
check "the router keeps only lb2" wait_until 5 eval '[ "$(route_hosts $VIP)" = 1 ]'
check "vip announce on lb1" lb 1 vip announce "$VIP"
check "ECMP again" wait_until 5 eval '[ "$(route_hosts $VIP)" = 2 ]'
check "a bad address is refused" eval '! lb 1 vip withdraw 192.0.2.99 2>/dev/null'

# IPv6 over MP-BGP, end to end
check "the IPv6 VIP is announced over MP-BGP" wait_until 10 eval '[ "$(route6_hosts $VIP6)" = 2 ]'
check "the IPv6 VIP answers end to end" \
	eval 'ip netns exec "$(ns client)" curl -s -m 3 "http://[$VIP6]/id" | grep -q backend-'

# every backend fails its checks: withdrawn on both; one back: announced
for ((i = 1; i <= NB; i++)); do mv "$LAB_DIR/www$i/id" "$LAB_DIR/www$i/id.off"; done
check "no backend healthy: the VIP is withdrawn on both hosts" \
	wait_until 10 eval '[ "$(route_hosts $VIP)" = 0 ]'
lb 1 bgp
mv "$LAB_DIR/www1/id.off" "$LAB_DIR/www1/id"
check "one backend back: announced again" wait_until 10 eval '[ "$(route_hosts $VIP)" = 2 ]'
for ((i = 2; i <= NB; i++)); do mv "$LAB_DIR/www$i/id.off" "$LAB_DIR/www$i/id"; done
# long-lived connections (an echo every 50 ms each) across the failures below
lab_bg clients ip netns exec "$(ns client)" python3 "$LAB_LIB/anycast_clients.py" "$VIP" 7000 64 \
	"$LAB_DIR/clients.stop"
CLIENTS=$LAST_PID
CSTART=$(date +%s%N)
at() { echo "# $1 at $((($(date +%s%N) - CSTART) / 100000000)) ds of the clients' run"; }
sleep 2

# graceful restart of lb2 (no BFD there): the route stays, nothing breaks
at "lb2 restarts (SIGUSR2)"
kill -USR2 "$PID2"
wait "$PID2" 2>/dev/null
gone=0
for ((i = 0; i < 10; i++)); do
	[ "$(route_hosts $VIP)" = 2 ] || gone=1
	sleep 0.1
done
at "lb2 started again"
start_host 2
check "graceful restart: the router kept lb2's route through the restart" [ "$gone" -eq 0 ]
check "graceful restart: the session is back" wait_until 15 eval 'established 2'
# BIRD logs "detected" when the session drops with graceful restart negotiated, "done" once
# the restarted shoald has sent its routes and End-of-RIB
check "graceful restart: BIRD held the routes stale and took the End-of-RIB" \
	wait_until 10 grep -q "lb2: Neighbor graceful restart done" "$LAB_DIR/bird.log"

# SIGTERM on lb2: withdrawn first, exits after the grace (2 s), no reset
t0=$(date +%s%N)
at "lb2 stops (SIGTERM)"
kill -TERM "$PID2"
check "SIGTERM: the VIP is withdrawn before shoald exits" \
	wait_until 3 eval '[ "$(route_hosts $VIP)" = 1 ] && kill -0 $PID2 2>/dev/null'
wait "$PID2" 2>/dev/null
ms=$((($(date +%s%N) - t0) / 1000000))
check "SIGTERM: it exits after the grace (took $ms ms)" [ "$ms" -ge 1900 ]
at "lb2 starts"
start_host 2
check "lb2 back in ECMP" wait_until 15 eval '[ "$(route_hosts $VIP)" = 2 ]'
at "lb2 back in ECMP"
sleep 1

# host loss: kill -9 lb1's agent and take its link down; BFD drops it
at "lb1 lost"
kill -9 "$PID1"
ip -n "$(ns lb)" link set eth0 down
t0=$(date +%s%N)
for ((i = 0; i < 300; i++)); do
	[ "$(route_hosts $VIP)" = 1 ] && break
	sleep 0.01
done
t1=$(date +%s%N)
ms=$(((t1 - t0) / 1000000))
echo "# host loss: the router dropped lb1 after $ms ms"
check "host loss with BFD: out of ECMP in under 1 s ($ms ms)" [ "$ms" -lt 1000 ]
sleep 3
touch "$LAB_DIR/clients.stop"
wait "$CLIENTS"
cat "$LAB_DIR/clients.log"
check "at least 99% of the long-lived connections kept working" \
	eval 'awk "/^kept/ { found = 1; ok = \$2 * 100 >= \$4 * 99 } END { exit !(found && ok) }" \
		"$LAB_DIR/clients.log"'

# ANYCAST_BENCH=1 (tests/bench/failover.sh): the same host loss on lb2, which has no BFD, timed
# until the router lets it go (the hold time, and graceful restart keeping stale routes after it)
if [ -n "${ANYCAST_BENCH:-}" ]; then
	kill -9 "$PID2"
	ip -n "$(ns lb2)" link set eth0 down
	t0=$(date +%s%N)
	for ((i = 0; i < 2000; i++)); do
		[ "$(route_hosts $VIP)" = 0 ] && break
		sleep 0.1
	done
	echo "# host loss without BFD: the router dropped lb2 after $((($(date +%s%N) - t0) / 1000000)) ms"
	command birdc -s "$LAB_DIR/bird.ctl" show protocols lb2 | tail -1
fi

lab_summary
