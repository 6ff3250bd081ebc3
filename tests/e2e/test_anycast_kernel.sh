#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# announce: kernel in the namespace lab. shoald puts each servable VIP as a
# blackhole route in table 100 with protocol 200; BIRD on the shoal host
# learns the table and exports it over BGP to BIRD on the router. The same
# rules as the speaker: announced once in the maps and servable, withdrawn
# by hand, when every backend fails, and first thing on SIGTERM.
set -u
. "$(dirname "$0")/lib.sh"

VIP=192.0.2.10
VIP2=192.0.2.11 # configured only until a restart
NB=2

lab_init
lab_topology "$NB"
R=$(ns router)
LB=$(ns lb)
lab_backends "$VIP" "$NB" "$VIP2"
# the router learns the VIP over BGP from BIRD on the shoal host, not from a static route
ip -n "$R" route del "$VIP/32"
ip -n "$R" route del "$VIP2/32"
lab_wait_backends "$VIP" "$NB" || exit 1

cat >"$LAB_DIR/router.conf" <<EOC
router id 198.51.100.1;
protocol device { scan time 1; }
protocol kernel { ipv4 { export all; import none; }; merge paths yes; }
protocol bgp lb { local 198.51.100.1 as 65000; neighbor 198.51.100.2 as 65001;
	ipv4 { import all; export none; }; }
EOC
cat >"$LAB_DIR/host.conf" <<EOC
router id 198.51.100.2;
protocol device { scan time 1; }
protocol kernel vips { ipv4 { import all; export none; }; kernel table 100; learn; scan time 1; }
protocol bgp upstream { local 198.51.100.2 as 65001; neighbor 198.51.100.1 as 65000;
	ipv4 { import none; export where proto = "vips"; next hop self; }; }
EOC
lab_bg bird_r ip netns exec "$R" bird -f -c "$LAB_DIR/router.conf" -s "$LAB_DIR/r.ctl" \
	-P "$LAB_DIR/r.pid"
lab_bg bird_h ip netns exec "$LB" bird -f -c "$LAB_DIR/host.conf" -s "$LAB_DIR/h.ctl" \
	-P "$LAB_DIR/h.pid"

lab_shoald_config "$VIP" "$NB"
cat >>"$LAB_DIR/shoal.yaml" <<EOC
  - name: gone
    vip: $VIP2
    port: 80
    health: {type: none}
    backends: [198.51.100.11, 198.51.100.12]
announce: {mode: kernel, table: 100, protocol: 200, shutdown_grace: 2s}
defaults:
  health: {type: http, path: /id, port: 80, interval: 200ms, timeout: 150ms, rise: 2, fall: 2}
EOC
check "shoald --check takes the announce block" "$SHOALD" --check -c "$LAB_DIR/shoal.yaml"
lab_shoald_start

in_table() { ip -n "$LB" route show table 100 | grep -q "blackhole $VIP proto 200"; }
routed() { ip -n "$R" route show "$VIP" | grep -q 'via 198.51.100.2'; }

check "the VIP is a blackhole route in table 100, protocol 200" wait_until 10 in_table
check "BIRD on the host exports it: the router routes the VIP to the host" wait_until 20 routed
check "a client reaches a backend through it" \
	eval 'ip netns exec "$(ns client)" curl -s -m 3 "http://$VIP/id" | grep -q backend-'
check "lbctl bgp says kernel and announced" \
	eval 'lbctl -o json bgp | jq -e ".result | .mode == \"kernel\" and .prefixes[0].announced" >/dev/null'
check "vip withdraw removes the route" eval 'lbctl vip withdraw $VIP >/dev/null && wait_until 5 eval "! in_table"'
check "and the router drops it" wait_until 10 eval '! routed'
check "vip announce puts it back" eval 'lbctl vip announce $VIP >/dev/null && wait_until 5 in_table'
check "and the router has it again" wait_until 10 routed

for ((i = 1; i <= NB; i++)); do mv "$LAB_DIR/www$i/id" "$LAB_DIR/www$i/id.off"; done
check "every backend down: the route goes" wait_until 10 eval '! in_table'
check "the router drops it" wait_until 10 eval '! routed'
mv "$LAB_DIR/www1/id.off" "$LAB_DIR/www1/id"
check "one backend back: the route is back" wait_until 10 in_table
check "the router has it again" wait_until 10 routed
mv "$LAB_DIR/www2/id.off" "$LAB_DIR/www2/id"

# kill -9: the routes stay (the program keeps forwarding); the next run judges them
in_table2() { ip -n "$LB" route show table 100 | grep -q "blackhole $VIP2 proto 200"; }
check "both VIPs routed before the restart" wait_until 5 eval 'in_table && in_table2'
kill -9 "$SHOALD_PID"
wait "$SHOALD_PID" 2>/dev/null
check "kill -9: the routes stay" eval 'in_table && in_table2'
sed -i '/name: gone/,/backends: \[198.51.100.11, 198.51.100.12\]/d' "$LAB_DIR/shoal.yaml"
lab_shoald_start shoald2
check "restart: the route of a VIP no longer configured is removed" wait_until 5 eval '! in_table2'
check "restart: the VIP still configured keeps its route" in_table
check "the log says it found the earlier run's routes" grep -q "of an earlier run" "$LAB_DIR/shoald2.log"

t0=$(date +%s%N)
kill -TERM "$SHOALD_PID"
check "SIGTERM: the route goes first, shoald still running" \
	wait_until 2 eval '! in_table && kill -0 $SHOALD_PID 2>/dev/null'
wait "$SHOALD_PID" 2>/dev/null
ms=$((($(date +%s%N) - t0) / 1000000))
check "SIGTERM: shoald exits after the 2 s grace ($ms ms)" [ "$ms" -ge 1900 ]
check "and the router has withdrawn it" wait_until 10 eval '! routed'

lab_summary
