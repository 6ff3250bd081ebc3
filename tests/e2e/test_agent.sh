#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# shoald and lbctl in the namespace lab: real HTTP and long-lived TCP
# connections through the VIP while the operator drains, re-weights and
# removes backends, reloads a broken config, kills and restarts the agent.
set -u
. "$(dirname "$0")/lib.sh"

VIP=192.0.2.10
NB=3

lab_init
lab_topology "$NB"
lab_backends "$VIP" "$NB"
lab_echo_backends "$VIP" 7000 "$NB"
lab_shoald_config "$VIP" "$NB"
lab_shoald_start || exit 1
lab_wait_backends "$VIP" "$NB" || exit 1
C=$(ns client)

# N requests, each a new TCP connection; prints one backend name per line
requests() {
	ip netns exec "$C" bash -c "for i in \$(seq $1); do
		curl -s --max-time 3 http://$VIP/id || echo failed; echo; done" | grep -v '^$'
}
count() { grep -c "^$1\$" || true; }

# an echo connection that lives through everything below
echo_start() { # NAME
	lab_bg "$1" ip netns exec "$C" python3 "$LAB_LIB/echo_client.py" "$VIP" 7000 0.1 \
		"$LAB_DIR/$1.stop"
	wait_for "$LAB_DIR/$1.log" backend- || return 1
	head -n1 "$LAB_DIR/$1.log"
}
echo_alive() { # NAME: answered by the same backend since it started, and still answering
	local n1 n2
	n1=$(wc -l <"$LAB_DIR/$1.log")
	sleep 0.5
	n2=$(wc -l <"$LAB_DIR/$1.log")
	[ "$n2" -gt "$n1" ] && [ "$(sort -u "$LAB_DIR/$1.log" | wc -l)" -eq 1 ]
}

out=$(requests 90)
check "90 requests through the VIP all answered" test "$(count failed <<<"$out")" -eq 0
for ((i = 1; i <= NB; i++)); do
	check "backend-$i served some ($(count "backend-$i" <<<"$out"))" \
		test "$(count "backend-$i" <<<"$out")" -gt 0
done

check "lbctl status names the VIPs" bash -c "'$BUILD/lbctl' -s '$LAB_DIR/shoald.sock' status | grep -q '192.0.2.10:80/tcp'"
check "a user who is neither root nor in the socket's group is refused" bash -c "! setpriv --reuid=65534 --regid=65534 --clear-groups '$BUILD/lbctl' -s '$LAB_DIR/shoald.sock' status 2>/dev/null"
nflows=$(lbctl -o json status | jq '.result | [.vips[] | select(.vip == "192.0.2.10:80/tcp") | .flows][0]')
check "status counts the VIP's flows in the flow table ($nflows)" test "$nflows" -ge 90
check "lbctl -o json status is JSON with 2 VIPs" \
	test "$(lbctl -o json status | jq '.result | .vips | length')" -eq 2

# drain: the held connection keeps working, new ones avoid the backend
held=$(echo_start conn1) || exit 1

# lbctl lookup agrees with where real connections went
port=$(cat "$LAB_DIR/conn1.stop.port")
got=$(lbctl lookup "203.0.113.2:$port" "$VIP:7000" tcp)
check "lookup of the held connection: $got" test "$got" = "backend 198.51.100.$((10 + ${held#backend-})) (in the flow table)"
agree=0
# (an earlier connection may have used the port: then the flow is known, same answer)
for p in 41001 41002 41003 41004 41005 41006; do
	want=$(lbctl lookup "203.0.113.2:$p" "$VIP:80" tcp | sed -n 's/^backend 198.51.100.1\([0-9]\) (.*)$/backend-\1/p')
	real=$(ip netns exec "$C" curl -s --max-time 3 --local-port "$p" "http://$VIP/id")
	[ -n "$want" ] && [ "$want" = "$real" ] && agree=$((agree + 1))
done
check "lookup predicted where 6 of 6 new connections went ($agree)" test "$agree" -eq 6
check "lookup of a port no service has says dropped" bash -c "'$BUILD/lbctl' -s '$LAB_DIR/shoald.sock' lookup 203.0.113.2:1 $VIP:22 | grep -q 'dropped: no service'"

# issue 10: with forwarding on, the balancer host used to hand a packet to a VIP port no service has
# to its kernel, which sent it back to the router, which sent it here again, until its TTL ran out
L=$(ns lb)
forwarded() { awk '/^Ip: [0-9]/ {print $7}' <(ip netns exec "$L" cat /proc/net/snmp); }
drops_of() { lbctl -o json stats | jq ".result | .drops.$1"; }
ip netns exec "$L" sysctl -qw net.ipv4.ip_forward=1
fw0=$(forwarded)
ns0=$(drops_of no_service)
ip netns exec "$C" bash -c "for i in \$(seq 20); do echo x >/dev/udp/$VIP/9; done"
sleep 0.5
check "20 datagrams to a VIP port no service has: dropped and counted ($(($(drops_of no_service) - ns0)))" \
	test "$(($(drops_of no_service) - ns0))" -eq 20
check "and none forwarded by the balancer host ($(($(forwarded) - fw0)))" test "$(($(forwarded) - fw0))" -eq 0
ip netns exec "$L" sysctl -qw net.ipv4.ip_forward=0
echo0=$(lbctl -o json stats | jq .result.global.echo_replied)
check "ping to the VIP is answered (by the data plane: the host does not own the address)" \
	ip netns exec "$C" ping -c 3 -i 0.2 -W 1 -q "$VIP"
check "echo_replied counts them ($(($(lbctl -o json stats | jq .result.global.echo_replied) - echo0)))" \
	test "$(($(lbctl -o json stats | jq .result.global.echo_replied) - echo0))" -ge 3

check "lbctl backend drain exits 0" lbctl backend drain "$VIP:7000/tcp" "198.51.100.$((10 + ${held#backend-}))"
lbctl backend drain "$VIP:80/tcp" "198.51.100.$((10 + ${held#backend-}))"
out=$(requests 45)
check "after drain no new connection reaches $held" test "$(count "$held" <<<"$out")" -eq 0
check "after drain all 45 requests answered" test "$(count failed <<<"$out")" -eq 0
check "the connection held on $held still works while draining" echo_alive conn1
check "status shows the backend draining" bash -c "'$BUILD/lbctl' -s '$LAB_DIR/shoald.sock' -o json status | jq -e '.result | [.vips[].backends[] | select(.admin == \"draining\")] | length == 2' >/dev/null"
lbctl backend undrain "$VIP:80/tcp" "198.51.100.$((10 + ${held#backend-}))"

# weight 0 and delete change the spread
lbctl backend weight "$VIP:80/tcp" 198.51.100.11 0
lbctl backend del "$VIP:80/tcp" 198.51.100.12
out=$(requests 45)
check "weight 0: backend-1 gets no new connection" test "$(count backend-1 <<<"$out")" -eq 0
check "deleted: backend-2 gets no new connection" test "$(count backend-2 <<<"$out")" -eq 0
check "backend-3 takes them all" test "$(count backend-3 <<<"$out")" -eq 45
lbctl backend weight "$VIP:80/tcp" 198.51.100.11 3
lbctl backend add "$VIP:80/tcp" 198.51.100.12 --weight 1
out=$(requests 200)
b1=$(count backend-1 <<<"$out")
b2=$(count backend-2 <<<"$out")
b3=$(count backend-3 <<<"$out")
# expected 120:40:40; 1.5x keeps a chance failure below one in a million
check "weights 3:1:1 spread 200 connections $b1:$b2:$b3" \
	test $((2 * b1)) -gt $((3 * b2)) -a $((2 * b1)) -gt $((3 * b3)) -a "$b2" -gt 0 -a "$b3" -gt 0
lbctl backend weight "$VIP:80/tcp" 198.51.100.99 1 2>/dev/null
rc_failed=$?
lbctl nonsense 2>/dev/null
rc_usage=$?
check "a failed request exits 1 ($rc_failed), a usage error 2 ($rc_usage)" test "$rc_failed $rc_usage" = "1 2"
check "-o json: one envelope, {ok: true, result} on success" \
	bash -c "'$BUILD/lbctl' -s '$LAB_DIR/shoald.sock' -o json vip list | jq -e '.ok == true and (.result | type) == \"array\"' >/dev/null"
check "... and {ok: false, error} on failure (exit 1)" \
	bash -c "out=\$('$BUILD/lbctl' -s '$LAB_DIR/shoald.sock' -o json backend weight '$VIP:80/tcp' 198.51.100.99 1); [ \$? -eq 1 ] && jq -e '.ok == false and (.error | test(\"no backend\"))' <<<\"\$out\" >/dev/null"
check "lbctl -o json version: both ends" \
	bash -c "'$BUILD/lbctl' -s '$LAB_DIR/shoald.sock' -o json version | jq -e '.result.version and .result.lbctl.version and .result.abi' >/dev/null"
check "lbctl --help: the usage on stdout, exit 0" bash -c "$BUILD/lbctl --help 2>/dev/null | grep -q '^usage: lbctl'"
check "an ambiguous prefix names the candidates (exit 2)" \
	bash -c "$BUILD/lbctl st 2>&1 >/dev/null | grep -qx \"lbctl: 'st' is ambiguous: status, stats\" && [ \${PIPESTATUS[0]} -eq 2 ]"
check "a unique prefix runs its command" bash -c "lbctl() { $BUILD/lbctl -s $LAB_DIR/shoald.sock \"\$@\"; }; lbctl -o json statu >/dev/null && lbctl -o json ver | jq -e .result.version >/dev/null"
check "a wrong subcommand or option is named in one line with the choices (exit 2)" \
	bash -c "out=\$($BUILD/lbctl backend frob 2>&1); [ \$? -eq 2 ] && [ \$(wc -l <<<\"\$out\") -eq 1 ] && grep -q \"'frob' is not add, del, drain, undrain or weight\" <<<\"\$out\" &&
		$BUILD/lbctl vip add 192.0.2.1:80/tcp --tablesize 7 2>&1 | grep -q \"'--tablesize' is not --scheduler\""
check "an unknown option is named" bash -c "$BUILD/lbctl --bogus 2>&1 | grep -q \"unknown option '--bogus'\""

# a broken config is refused whole; nothing changes
before=$(lbctl -o json vip list | jq -c '.result | [.[] | {vip, fingerprint}]')
cp "$LAB_DIR/shoal.yaml" "$LAB_DIR/good.yaml"
sed -i 's/port: 80$/port: 80\n    scheduler: fastest/; s/198.51.100.13/198.51.100.300/' "$LAB_DIR/shoal.yaml"
msg=$(lbctl reload 2>&1)
rc=$?
check "reload of a broken config fails (exit $rc)" test "$rc" -eq 1
check "the failure names file and line ($(head -n1 <<<"$msg"))" grep -q "shoal.yaml:[0-9]*: scheduler: 'fastest'" <<<"$msg"
check "the failure lists every error" grep -q "198.51.100.300" <<<"$msg"
after=$(lbctl -o json vip list | jq -c '.result | [.[] | {vip, fingerprint}]')
check "nothing changed" test "$before" = "$after"
out=$(requests 10)
check "and traffic still flows" test "$(count failed <<<"$out")" -eq 0
cp "$LAB_DIR/good.yaml" "$LAB_DIR/shoal.yaml"
check "reload of the good config succeeds" lbctl reload

# SIGHUP re-reads the config too
sed -i 's/^      - 198.51.100.13$/      - address: 198.51.100.13\n        weight: 4/' "$LAB_DIR/shoal.yaml"
weights13() { lbctl -o json status | jq -c '.result | [.vips[].backends[] | select(.address == "198.51.100.13") | .weight] | unique'; }
weights13_are() { test "$(weights13)" = "$1"; }
fingerprint() { lbctl -o json status | jq -r '.result | .vips[0].fingerprint'; }
fingerprint_moved() { test "$(fingerprint)" != "$1"; }
fp_before=$(fingerprint)
kill -HUP "$SHOALD_PID"
# the effect, not a guess at how long it takes: the state, then the table in the maps
wait_until 5 weights13_are "[4]"
check "SIGHUP applied the edited file (weights $(weights13))" weights13_are "[4]"
check "and its tables reached the maps" wait_until 5 fingerprint_moved "$fp_before"
cp "$LAB_DIR/good.yaml" "$LAB_DIR/shoal.yaml"
kill -HUP "$SHOALD_PID"
wait_until 5 weights13_are "[1]"

# a VIP removed and added back at runtime
lbctl vip del "$VIP:7000/tcp"
check "a deleted VIP: lookup says no service (its address serves others)" bash -c "'$BUILD/lbctl' -s '$LAB_DIR/shoald.sock' lookup 203.0.113.2:5555 $VIP:7000 | grep -q 'dropped: no service'"
check "a deleted VIP: a connection to it fails" bash -c "! ip netns exec $C python3 -c 'import socket; socket.create_connection((\"$VIP\", 7000), timeout=1.5)' 2>/dev/null"
lbctl vip add "$VIP:7000/tcp" --scheduler maglev-src --name echo
for ((i = 1; i <= NB; i++)); do lbctl backend add "$VIP:7000/tcp" "198.51.100.$((10 + i))"; done
held3=$(echo_start conn3)
check "a VIP added at runtime serves ($held3)" test -n "$held3"
touch "$LAB_DIR/conn3.stop"
# stats --watch: rates (packets and bits a second, new flows a second) per VIP and backend
( for _ in $(seq 40); do ip netns exec "$C" curl -s --max-time 2 "http://$VIP/id" >/dev/null; sleep 0.1; done ) &
LOADER=$!
sleep 0.3
timeout 3.5 "$BUILD/lbctl" -s "$LAB_DIR/shoald.sock" stats --watch 1 >"$LAB_DIR/watch.txt" &
WATCHER=$!
timeout 2.5 "$BUILD/lbctl" -s "$LAB_DIR/shoald.sock" -o json stats --watch 1 >"$LAB_DIR/watch.json"
wait "$WATCHER" "$LOADER"
check "stats --watch prints rates every second (like ipvsadm --rate)" \
	[ "$(grep -c '^VIP / BACKEND  *PPS  *BPS  *NEWFLOW/S' "$LAB_DIR/watch.txt")" -ge 2 ]
check "... the VIP under load shows packets, bits and new flows a second" \
	bash -c "awk '\$1 == \"$VIP:80/tcp\" && \$2 + 0 > 0 && \$3 + 0 > 0 && \$4 + 0 > 0 { ok = 1 } END { exit !ok }' $LAB_DIR/watch.txt"
check "... and per backend; -o json carries them as rates" \
	bash -c "grep -q '^  198.51.100.1[123] ' $LAB_DIR/watch.txt && head -1 $LAB_DIR/watch.json | jq -e '.result.vips[] | select(.vip == \"$VIP:80/tcp\") | .rates.pps > 0 and (.backends[0].rates | has(\"bps\"))' >/dev/null"

# a new next-hop MAC reaches the data plane within a second
newmac=02:00:5e:00:53:aa
ip -n "$(ns router)" link set br0 address "$newmac"
ip -n "$(ns lb)" neigh replace 198.51.100.1 lladdr "$newmac" dev eth0
sleep 1
check "status shows the new next-hop MAC" test "$(lbctl -o json status | jq -r .result.gateway_mac)" = "$newmac"
check "traffic flows through the new MAC" test "$(requests 10 | count failed)" -eq 0

# a static gateway_mac in the config overrides what the neighbour table says
ip -n "$(ns lb)" neigh replace 198.51.100.1 lladdr 02:00:5e:00:53:bb dev eth0
sed -i "s/^host:$/host:\n  gateway_mac: $newmac/" "$LAB_DIR/shoal.yaml"
# lbctl reload answers once the change is in the maps: no wait needed
lbctl reload
check "with a static gateway_mac the status shows it" test "$(lbctl -o json status | jq -r .result.gateway_mac)" = "$newmac"
check "and traffic flows despite a wrong neighbour entry" test "$(requests 10 | count failed)" -eq 0
cp "$LAB_DIR/good.yaml" "$LAB_DIR/shoal.yaml"
ip -n "$(ns lb)" neigh replace 198.51.100.1 lladdr "$newmac" dev eth0
lbctl reload
check "without it again, the next hop is resolved anew" test "$(lbctl -o json status | jq -r .result.gateway_mac)" = "$newmac"

# metrics match what was sent
m() { ip netns exec "$(ns lb)" curl -s http://127.0.0.1:9435/metrics; }
flows() { m | sed -n 's/^shoal_vip_new_flows_total{vip="192.0.2.10:80\/tcp".*} //p'; }
f1=$(flows)
out=$(requests 20)
f2=$(flows)
check "metrics: 20 requests are 20 new flows ($f1 -> $f2)" test $((f2 - f1)) -eq 20
lbctl vip add 192.0.2.77:80/tcp --name web-2.eu_west >/dev/null
m >"$LAB_DIR/metrics.txt"
# (names that would need escaping are refused now: test_hostile.sh)
check "metrics: a VIP's name is its label" grep -qF 'name="web-2.eu_west"' "$LAB_DIR/metrics.txt"
lbctl vip del 192.0.2.77:80/tcp
check "metrics: flow-table entries are counted" bash -c "ip netns exec $(ns lb) curl -s http://127.0.0.1:9435/metrics | grep -q '^shoal_flow_table_entries [1-9]'"
check "metrics: the agent's loop lag histogram and handler times" bash -c "grep -q '^shoal_agent_loop_lag_seconds_bucket{le=\"+Inf\"} [1-9]' '$LAB_DIR/metrics.txt' && grep -q '^shoal_agent_handler_seconds_max{handler=\"reconcile\"}' '$LAB_DIR/metrics.txt'"
check "status names the loop's slowest handler" bash -c "'$BUILD/lbctl' -s '$LAB_DIR/shoald.sock' status | grep -q '^agent loop: slowest handler [a-z]'"
check "metrics: build info and drops are exposed" bash -c "ip netns exec $(ns lb) curl -s http://127.0.0.1:9435/metrics | grep -q '^shoal_build_info' && ip netns exec $(ns lb) curl -s http://127.0.0.1:9435/metrics | grep -q '^shoal_drops_total{reason=\"malformed\"}'"

# bad control messages get a clear error and change nothing
snap=$(lbctl -o json vip list | jq -c '.result | [.[] | {vip, fingerprint}]')
check "a line that is not JSON is answered with an error" bash -c "python3 '$LAB_LIB/ctl_raw.py' '$LAB_DIR/shoald.sock' 'not json\\n' | jq -e '.ok == false and (.error | test(\"not a JSON\"))' >/dev/null"
check "another protocol version is refused" bash -c "python3 '$LAB_LIB/ctl_raw.py' '$LAB_DIR/shoald.sock' '{\"version\":9,\"command\":\"status\"}\\n' | jq -e '.error | test(\"version\")' >/dev/null"
check "an unknown command is refused" bash -c "python3 '$LAB_LIB/ctl_raw.py' '$LAB_DIR/shoald.sock' '{\"version\":1,\"command\":\"explode\"}\\n' | jq -e '.error | test(\"unknown command\")' >/dev/null"
check "a 200 kB line is refused" bash -c "python3 '$LAB_LIB/ctl_raw.py' '$LAB_DIR/shoald.sock' '200000*x' | grep -q 'too long'"
check "wrong argument types are refused" bash -c "python3 '$LAB_LIB/ctl_raw.py' '$LAB_DIR/shoald.sock' '{\"version\":1,\"command\":\"backend.weight\",\"args\":{\"vip\":\"$VIP:80/tcp\",\"address\":\"198.51.100.11\",\"weight\":\"heavy\"}}\\n' | jq -e '.ok == false' >/dev/null"
check "and the agent still answers, unchanged" test "$(lbctl -o json vip list | jq -c '.result | [.[] | {vip, fingerprint}]')" = "$snap"

# kill -9 during a stream of requests: none lost; restart adopts, connection lives
held2=$(echo_start conn2) || exit 1
ip netns exec "$C" bash -c "for i in \$(seq 150); do curl -s --max-time 3 http://$VIP/id || echo failed; echo; sleep 0.02; done" >"$LAB_DIR/stream.out" 2>&1 &
STREAM=$!
sleep 0.7
flows0=$(lbctl -o json status | jq .result.flow_table_entries)
kill -9 "$SHOALD_PID"
wait "$SHOALD_PID" 2>/dev/null
sleep 0.5
# restarted as systemd would: READY and WATCHDOG over $NOTIFY_SOCKET
lab_bg notify python3 "$LAB_LIB/notify_listen.py" "$LAB_DIR/notify.sock" READY=1 WATCHDOG=1
NOTIFY_PID=$LAST_PID
wait_for "$LAB_DIR/notify.log" listening
NOTIFY_SOCKET="$LAB_DIR/notify.sock" WATCHDOG_USEC=400000 lab_shoald_start shoald2
wait "$STREAM"
check "kill -9 and restart during 150 requests: none failed" test "$(grep -c failed "$LAB_DIR/stream.out")" -eq 0
check "the restarted agent adopted the pinned maps" grep -q "maps adopted" "$LAB_DIR/shoald2.log"
flows1=$(lbctl -o json status | jq .result.flow_table_entries)
check "and kept the flow table's entries ($flows0 -> $flows1)" test "$flows1" -ge "$flows0"
check "it sent READY=1 and WATCHDOG=1 to the notify socket" wait "$NOTIFY_PID"
check "the connection held on $held2 lived through it" echo_alive conn2
touch "$LAB_DIR/conn1.stop" "$LAB_DIR/conn2.stop"

# save: runtime changes written back, survive a reload
lbctl backend weight "$VIP:80/tcp" 198.51.100.13 5
lbctl backend drain "$VIP:7000/tcp" 198.51.100.11
check "status marks runtime changes" bash -c "'$BUILD/lbctl' -s '$LAB_DIR/shoald.sock' status | grep -q '^\* changed at runtime'"
check "lbctl save" lbctl save
check "the old file is kept as .bak" cmp -s "$LAB_DIR/good.yaml" "$LAB_DIR/shoal.yaml.bak"
lbctl reload
w=$(lbctl -o json status | jq '.result | [.vips[] | select(.vip == "192.0.2.10:80/tcp") | .backends[] | select(.address == "198.51.100.13") | .weight][0]')
d=$(lbctl -o json status | jq -r '.result | [.vips[] | select(.vip == "192.0.2.10:7000/tcp") | .backends[] | select(.address == "198.51.100.11") | .admin][0]')
check "after save and reload: weight $w and $d kept" test "$w $d" = "5 draining"
check "nothing is marked runtime any more" bash -c "! '$BUILD/lbctl' -s '$LAB_DIR/shoald.sock' status | grep -q 'changed at runtime'"

# lbctl flows: the flow table's entries (ipvsadm -Lc's view), bounded
requests 20 >/dev/null
check "flows lists established flows of the VIP with their backends" \
	bash -c "'$BUILD/lbctl' -s '$LAB_DIR/shoald.sock' flows '$VIP:80/tcp' --limit 10000 | grep -E ' (established|closing) .* $VIP:80/tcp +198\.51\.100\.1[123]\$' | grep -q ."
check "... --backend keeps one backend's, -o json in the envelope" \
	bash -c "'$BUILD/lbctl' -s '$LAB_DIR/shoald.sock' -o json flows '$VIP:80/tcp' --backend 198.51.100.12 --limit 10000 |
		jq -e '.ok and (.result.flows | length > 0) and all(.result.flows[]; .backend == \"198.51.100.12\" and .vip == \"$VIP:80/tcp\")' >/dev/null"
check "... --limit 1 shows one and says how to go on" \
	bash -c "out=\$('$BUILD/lbctl' -s '$LAB_DIR/shoald.sock' flows --limit 1); [ \$(grep -c ' tcp ' <<<\"\$out\") -eq 1 ] && grep -q 'more: lbctl flows --limit 1 --from [0-9]' <<<\"\$out\""
check "... a VIP it does not know is an error (exit 1)" \
	bash -c "'$BUILD/lbctl' -s '$LAB_DIR/shoald.sock' flows 192.0.2.99:80/tcp 2>&1 | grep -q 'no VIP'; [ \${PIPESTATUS[0]} -eq 1 ]"

# --detach removes the pins, and with them the program
kill "$SHOALD_PID"
wait "$SHOALD_PID" 2>/dev/null
check "after the agent stops the program still forwards" test "$(requests 5 | count failed)" -eq 0
nsenter --net="/run/netns/$(ns lb)" "$SHOALD" -c "$LAB_DIR/shoal.yaml" --detach 2>/dev/null
check "shoald --detach removed the pins" test ! -e "/sys/fs/bpf/${LAB_PREFIX}-lb"
check "and the program is gone from the interface" bash -c "! ip -n $(ns lb) link show eth0 | grep -q xdp"

lab_summary
