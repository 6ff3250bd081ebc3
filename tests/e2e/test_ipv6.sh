#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# IPv6 through shoald: an IPv6 VIP over IPv6 backends (GUE in IPv6) and an
# IPv4 VIP over the same IPv6 backends (IPv4-in-IPv6), real TCP from a
# dual-stack client, backends decapsulating with shoal's program (two in
# XDP, one on tc ingress).
set -u
. "$(dirname "$0")/lib.sh"

VIP6=2001:db8:1::10
VIP4=192.0.2.10
NB=3

lab_init
lab_topology "$NB"
R=$(ns router)
ip netns exec "$R" sysctl -qw net.ipv6.conf.all.forwarding=1
ip -n "$R" addr add 2001:db8:100::1/64 dev br0 nodad
ip -n "$R" addr add 2001:db8:c::1/64 dev rc nodad
ip -n "$(ns client)" addr add 2001:db8:c::2/64 dev eth0 nodad
ip -n "$(ns client)" -6 route add default via 2001:db8:c::1
ip -n "$(ns lb)" addr add 2001:db8:100::2/64 dev eth0 nodad
ip -n "$(ns lb)" -6 route add default via 2001:db8:100::1
ip -n "$R" -6 route add "$VIP6/128" via 2001:db8:100::2
ip -n "$R" route add "$VIP4/32" via 198.51.100.2
for ((i = 1; i <= NB; i++)); do
	B=$(ns "b$i")
	ip -n "$B" addr add "2001:db8:100::$((10 + i))/64" dev eth0 nodad
	ip -n "$B" -6 route add default via 2001:db8:100::1
	ip -n "$B" addr add "$VIP6/128" dev lo nodad
	ip -n "$B" addr add "$VIP4/32" dev lo
	mkdir -p "$LAB_DIR/www$i"
	echo "backend-$i" >"$LAB_DIR/www$i/id"
	lab_bg "srv6_$i" ip netns exec "$B" python3 "$LAB_LIB/web_server.py" "$VIP6" 80 \
		"$LAB_DIR/www$i"
	lab_bg "srv4_$i" ip netns exec "$B" python3 "$LAB_LIB/web_server.py" "$VIP4" 80 \
		"$LAB_DIR/www$i"
	# the last backend decapsulates on tc ingress, the others in XDP
	tc=()
	[ "$i" -eq "$NB" ] && tc=(--tc)
	lab_bg "decap$i" ip netns exec "$B" "$BUILD/shoal-lab" decap eth0 "${tc[@]}" "$VIP6" "$VIP4"
done

{
	echo "host:"
	echo "  interface: eth0"
	echo "  hash_seed: 0x5eed"
	echo "  xdp_mode: generic" # the other labs cover native mode
	echo "  source_v6: 2001:db8:100::2"
	echo "  control_socket: $LAB_DIR/shoald.sock"
	echo "  metrics: \"\""
	echo "  pin_path: /sys/fs/bpf/${LAB_PREFIX}-lb"
	echo "  flow_table_size: 65536"
	echo "services:"
	echo "  - name: web6"
	echo "    vip: $VIP6"
	echo "    port: 80"
	echo "    backends:"
	for ((i = 1; i <= NB; i++)); do echo "      - 2001:db8:100::$((10 + i))"; done
	echo "  - name: web4over6"
	echo "    vip: $VIP4"
	echo "    port: 80"
	echo "    backends:"
	for ((i = 1; i <= NB; i++)); do
		echo "      - address: 2001:db8:100::$((10 + i))"
		echo "        encap: ipip"
	done
} >"$LAB_DIR/shoal.yaml"
lab_shoald_start || exit 1
for ((i = 1; i <= NB; i++)); do
	wait_for "$LAB_DIR/decap$i.log" ready || exit 1
	for _ in $(seq 50); do
		ip netns exec "$(ns "b$i")" curl -s -o /dev/null -g "http://[$VIP6]/id" &&
			ip netns exec "$(ns "b$i")" curl -s -o /dev/null "http://$VIP4/id" && break
		sleep 0.1
	done
done
C=$(ns client)
for _ in $(seq 30); do # the next hop is resolved by neighbour discovery
	[ "$(lbctl -o json status | jq -r .result.gateway_resolved)" = true ] && break
	sleep 0.2
done
check "attached in generic mode" bash -c "ip -n $(ns lb) link show eth0 | grep -q xdpgeneric"
check "the IPv6 next hop is resolved" test "$(lbctl -o json status | jq -r .result.gateway_resolved)" = true

out=$(ip netns exec "$C" bash -c "for i in \$(seq 45); do curl -s -g --max-time 3 'http://[$VIP6]/id' || echo failed; echo; done" | grep -v '^$')
check "45 requests to the IPv6 VIP all answered" test "$(grep -c failed <<<"$out")" -eq 0
check "every backend served the IPv6 VIP ($(sort <<<"$out" | uniq -c | tr -s ' \n' ' '))" \
	test "$(sort -u <<<"$out" | grep -c '^backend-')" -eq "$NB"

out=$(ip netns exec "$C" bash -c "for i in \$(seq 45); do curl -s --max-time 3 'http://$VIP4/id' || echo failed; echo; done" | grep -v '^$')
check "45 requests to the IPv4 VIP over IPv6 backends (4in6) all answered" test "$(grep -c failed <<<"$out")" -eq 0
check "every backend served the IPv4 VIP ($(sort <<<"$out" | uniq -c | tr -s ' \n' ' '))" \
	test "$(sort -u <<<"$out" | grep -c '^backend-')" -eq "$NB"

# an upload too big for the IPv6 tunnel: the balancer answers "packet too big"
head -c 200000 /dev/urandom >"$LAB_DIR/upload"
want=$(sha256sum <"$LAB_DIR/upload" | cut -d' ' -f1)
got=$(ip netns exec "$C" curl -s -g --max-time 10 --data-binary @"$LAB_DIR/upload" "http://[$VIP6]/id")
check "a 200 kB upload to the IPv6 VIP arrives whole through PMTU discovery (sha256 ${got:0:12})" \
	test "$got" = "$want"
mtu=$(ip -n "$C" -6 route get "$VIP6" | grep -o 'mtu [0-9]*' || true)
check "the client learned the path MTU from the balancer ($mtu)" test "$mtu" = "mtu 1452"
got=$(lbctl lookup "[2001:db8:c::2]:40000" "[$VIP6]:80" tcp)
check "lookup answers for IPv6 ($got)" grep -q '^backend 2001:db8:100::1[1-3] (a new flow)$' <<<"$got"

lab_summary
