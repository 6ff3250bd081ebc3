#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Changes under steady real traffic: new TCP connections (one per request) run
# for ~20 s while every half second the operator deletes, adds, re-weights, drains
# or undrains a backend, and every few seconds a reload swaps other VIPs in
# and out. No SYN may be lost (no connect takes 1 s, the client's first
# retransmission), nothing is dropped as bad_backend or no_backend. A connection
# held to a VIP that a reload replaces by another is never delivered to the
# other service.
set -u
. "$(dirname "$0")/lib.sh"

VIP=192.0.2.10
NB=4

lab_init
lab_topology "$NB"
OLD=192.0.2.30 # a service that reloads replace by NEW and back
NEW=192.0.2.31
lab_backends "$VIP" "$NB" "$OLD" "$NEW"
for ((i = 1; i <= 2; i++)); do
	lab_bg "echo-old$i" ip netns exec "$(ns "b$i")" python3 "$LAB_LIB/echo_server.py" "$OLD" 7000 "old-$i"
	lab_bg "echo-new$i" ip netns exec "$(ns "b$i")" python3 "$LAB_LIB/echo_server.py" "$NEW" 7000 "new-$i"
done
lab_shoald_config "$VIP" "$NB"
cp "$LAB_DIR/shoal.yaml" "$LAB_DIR/base.yaml"
# two variants: VIP .40 and OLD present, or VIP .41 and NEW instead (same backends)
for v in 40 41; do
	{
		cat "$LAB_DIR/base.yaml"
		echo "  - name: other$v"
		echo "    vip: 192.0.2.$v"
		echo "    port: 80"
		echo "    backends: [198.51.100.11, 198.51.100.12]"
		echo "  - name: echo$v"
		echo "    vip: $([ "$v" = 40 ] && echo "$OLD" || echo "$NEW")"
		echo "    port: 7000"
		echo "    backends: [198.51.100.11, 198.51.100.12]"
	} >"$LAB_DIR/v$v.yaml"
done
cp "$LAB_DIR/v40.yaml" "$LAB_DIR/shoal.yaml"
lab_shoald_start || exit 1
lab_wait_backends "$VIP" "$NB" || exit 1
C=$(ns client)
S="$VIP:80/tcp"
# the next hop is resolved after start: traffic begins once it is
for _ in $(seq 50); do
	lbctl -o json status | jq -e .result.gateway_resolved >/dev/null && break
	sleep 0.1
done
ip netns exec "$C" curl -s -o /dev/null --max-time 3 "http://$VIP/id"
# the held connection, to OLD, answering every 0.1 s until it is cut
lab_bg held ip netns exec "$C" python3 "$LAB_LIB/echo_client.py" "$OLD" 7000 0.1 "$LAB_DIR/held.stop"
wait_for "$LAB_DIR/held.log" old- || exit 1
new_packets() { # packets the NEW service's backends were sent
	lbctl -o json stats | jq ".result | [.vips[] | select(.vip == \"$NEW:7000/tcp\") | .backends[].packets] | add // 0"
}

# four clients, each opening one connection after another for 20 s
TRAFFIC=()
for t in 1 2 3 4; do
	lab_bg "traffic$t" ip netns exec "$C" bash -c "end=\$((SECONDS + 20)); while [ \$SECONDS -lt \$end ]; do
		curl -s -o /dev/null -w '%{time_connect} %{http_code}\n' --connect-timeout 3 --max-time 5 http://$VIP/id
	done"
	TRAFFIC+=("$LAST_PID")
done
sleep 1
reloads=0
# a change every half second: del/add (the removals are what once dropped SYNs),
# weights, drain, and reloads that swap another VIP
for ((i = 0; i < ${CHANGES:-32}; i++)); do
	case $((i % 8)) in
	0) lbctl backend del "$S" 198.51.100.14 ;;
	1) lbctl backend add "$S" 198.51.100.14 ;;
	2) lbctl backend del "$S" 198.51.100.13 ;;
	3) lbctl backend add "$S" 198.51.100.13 ;;
	4) lbctl backend weight "$S" 198.51.100.11 $((1 + i % 3)) ;;
	5) lbctl backend drain "$S" 198.51.100.12 && lbctl backend undrain "$S" 198.51.100.12 ;;
	6 | 7)
		cp "$LAB_DIR/v$((40 + i % 2)).yaml" "$LAB_DIR/shoal.yaml"
		lbctl reload && reloads=$((reloads + 1))
		# while NEW serves, nothing of the connection held to OLD reaches it
		[ $((i % 2)) = 1 ] && sleep 0.3 && echo "$(new_packets)" >>"$LAB_DIR/new_packets" ;;
	esac >/dev/null
	sleep 0.5
done
wait "${TRAFFIC[@]}"
cat "$LAB_DIR"/traffic?.log >"$LAB_DIR/traffic.log"

n=$(grep -c . "$LAB_DIR/traffic.log")
bad=$(grep -vc ' 200$' "$LAB_DIR/traffic.log")
slow=$(awk '$1 >= 1.0 {printf "%s@%d ", $1, NR}' "$LAB_DIR/traffic.log")
drops=$(lbctl -o json stats | jq -c '.result | [.drops.bad_backend, .drops.no_backend]')
check "steady traffic while changing: $n requests" test "$n" -ge 1000
check "every request answered ($bad failed)" test "$bad" -eq 0
check "no connect took 1 s or more: no SYN lost (${slow:-none})" test -z "$slow"
check "no packet dropped as bad_backend or no_backend ($drops)" test "$drops" = "[0,0]"
check "the reloads that swapped VIPs were applied ($reloads)" test "$reloads" -eq 8
check "the held connection to $OLD answered before the first swap" grep -q '^old-' "$LAB_DIR/held.log"
check "nothing of it ever reached $NEW's backends ($(sort -u "$LAB_DIR/new_packets" | tr '\n' ' '))" \
	test "$(sort -u "$LAB_DIR/new_packets")" = 0
check "the last reload's VIP set is in place" bash -c "'$BUILD/lbctl' -s '$LAB_DIR/shoald.sock' -o json status | jq -e '.result | [.vips[].vip] | index(\"192.0.2.41:80/tcp\") != null and index(\"192.0.2.40:80/tcp\") == null' >/dev/null"
lab_summary
