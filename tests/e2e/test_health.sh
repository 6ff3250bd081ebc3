#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Health checks in the namespace lab, against real HTTP servers behind real
# decapsulation: a dead server leaves the table within fall x interval + 1 s
# and comes back ramping; HTTP 503 is down for http and up for tcp; a backend
# without the VIP on lo is down through the tunnel and up directly; panic
# keeps a VIP whose checks all fail serving; the passive signal alone catches
# a black hole; agent-check weights and drains; a kill -9 restart keeps what
# the maps say.
set -u
. "$(dirname "$0")/lib.sh"

VIP=192.0.2.10   # http via tunnel, slow start
VIP2=192.0.2.11  # tcp via direct, agent-check
VIP3=192.0.2.12  # tcp via tunnel (503 does not matter to it)
VIP4=192.0.2.13  # passive only
VIP5=192.0.2.14  # https:443
VIP6=192.0.2.15  # udp:5300, a udp check
VIP7=192.0.2.16  # udp:53, a dns check
NB=3
INTERVAL_MS=300
FALL=3
RISE=2

lab_init
lab_topology "$NB"
lab_backends "$VIP" "$NB" "$VIP2" "$VIP3" "$VIP4" "$VIP5" "$VIP6" "$VIP7"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=www.example.org \
	-keyout "$LAB_DIR/tls.pem" -out "$LAB_DIR/cert.pem" 2>/dev/null
cat "$LAB_DIR/cert.pem" >>"$LAB_DIR/tls.pem"
for ((i = 1; i <= NB; i++)); do
	b=$(ns "b$i")
	lab_bg "tls$i" ip netns exec "$b" python3 "$LAB_LIB/web_server.py" "$VIP5" 443 \
		"$LAB_DIR/www$i" "$LAB_DIR/tls.pem"
	lab_bg "udp$i" ip netns exec "$b" python3 "$LAB_LIB/udp_server.py" "$VIP6" 5300 echo "b$i"
	lab_bg "dns$i" ip netns exec "$b" python3 "$LAB_LIB/udp_server.py" "$VIP7" 53 dns \
		"$LAB_DIR/www$i/rcode"
	# the same content on every address a service here uses, and the agent
	for a in "$VIP2" "$VIP3" "$VIP4" "198.51.100.$((10 + i))"; do
		lab_bg "srv$i-$a" ip netns exec "$b" python3 "$LAB_LIB/web_server.py" "$a" 80 \
			"$LAB_DIR/www$i"
	done
	echo "100%" >"$LAB_DIR/agent$i"
	lab_bg "agent$i" ip netns exec "$b" python3 "$LAB_LIB/agent_server.py" \
		"198.51.100.$((10 + i))" 8081 "$LAB_DIR/agent$i"
done
{
	cat <<EOC
host:
  interface: eth0
  hash_seed: 0x5eed
  source_v4: 198.51.100.2
  control_socket: $LAB_DIR/shoald.sock
  metrics: 127.0.0.1:9435
  pin_path: /sys/fs/bpf/${LAB_PREFIX}-lb
  flow_table_size: 65536
defaults:
  health: {interval: ${INTERVAL_MS}ms, timeout: 200ms, rise: $RISE, fall: $FALL, jitter: 10%}
services:
  - name: web
    vip: $VIP
    port: 80
    health: {type: http, path: /healthz, expect: [200], body: ok}
    slow_start: 3s
    backends: [198.51.100.11, 198.51.100.12, 198.51.100.13]
  - name: direct
    vip: $VIP2
    port: 80
    scheduler: least-loaded
    health: {type: tcp, via: direct}
    agent_check: {port: 8081, interval: 300ms}
    backends: [198.51.100.11, 198.51.100.12, 198.51.100.13]
  - name: plain
    vip: $VIP3
    port: 80
    health: {on_down: reschedule}
    backends: [198.51.100.11, 198.51.100.12, 198.51.100.13]
  - name: passive
    vip: $VIP4
    port: 80
    health: {type: none, fall: 1, passive: {window: 5s, min_syns: 6, ratio: 30%}}
    backends: [198.51.100.11, 198.51.100.12, 198.51.100.13]
  - name: tls
    vip: $VIP5
    port: 443
    health: {type: https, path: /healthz, host: www.example.org, body: ok}
    backends: [198.51.100.11, 198.51.100.12, 198.51.100.13]
  - name: echo
    vip: $VIP6
    port: 5300
    protocol: udp
    health: {type: udp, send: ping, expect: pong}
    backends: [198.51.100.11, 198.51.100.12, 198.51.100.13]
  - name: dns
    vip: $VIP7
    port: 53
    protocol: udp
    health: {type: dns, query: www.example.org}
    backends: [198.51.100.11, 198.51.100.12, 198.51.100.13]
EOC
} >"$LAB_DIR/shoal.yaml"
lab_shoald_start || exit 1
lab_wait_backends "$VIP" "$NB" || exit 1
C=$(ns client)

# requests VIP N: one new TCP connection each; prints the backend's name per line
requests() {
	ip netns exec "$C" bash -c "for i in \$(seq $2); do
		curl -s --max-time 2 http://$1/id || echo failed; echo; done" | grep -v '^$'
}
count() { grep -c "^$1\$" || true; }
# spec VIP: the service of VIP as lbctl names it (port 80/tcp unless VIP is one of the others)
spec() {
	case $1 in
	"$VIP5") echo "$1:443/tcp" ;;
	"$VIP6") echo "$1:5300/udp" ;;
	"$VIP7") echo "$1:53/udp" ;;
	*) echo "$1:80/tcp" ;;
	esac
}
# health VIP ADDR: the HEALTH column of a backend, from the JSON status
health() { field "$1" "$2" .health; }
field() { # VIP ADDR JQ-PATH
	lbctl -o json health | jq -r ".result | .vips[] | select(.vip == \"$(spec "$1")\") |
		.backends[] | select(.address == \"$2\") | $3"
}
vipf() { # VIP JQ-PATH (of .health)
	lbctl -o json health | jq -r ".result | .vips[] | select(.vip == \"$(spec "$1")\") | .health.$2"
}
is_health() { [ "$(health "$1" "$2")" = "$3" ]; } # VIP ADDR STATE
is_field() { [ "$(field "$1" "$2" "$3")" = "$4" ]; } # VIP ADDR JQ-PATH VALUE
is_vip() { [ "$(vipf "$1" "$2")" = "$3" ]; }         # VIP KEY VALUE
now_ms() { date +%s%3N; }
# flow_on VIP ADDR: a finished connection from the client that went to backend ADDR
# (its flow stays in the flow table); prints the client's source port
flow_on() {
	local port
	for port in $(seq 20000 20200); do
		lbctl lookup "203.0.113.2:$port" "$1:80" | grep -q "backend $2 " || continue
		ip netns exec "$C" curl -s -o /dev/null --max-time 2 --local-port "$port" "http://$1/id"
		echo "$port"
		return 0
	done
	return 1
}
# lookup_of VIP PORT: what lbctl lookup says of the client's flow from PORT
lookup_of() { lbctl lookup "203.0.113.2:$2" "$1:80"; }

all_up() { # VIP
	local a
	for a in 198.51.100.11 198.51.100.12 198.51.100.13; do
		[ "$(health "$1" "$a")" = up ] || return 1
	done
}
wait_until 10 all_up "$VIP"
check "every backend's http check through the tunnel passes" all_up "$VIP"
check "the check went through the tc program" bash -c \
	"[ \$('$BUILD/lbctl' -s '$LAB_DIR/shoald.sock' -o json stats | jq .result.global.checks_tunneled) -gt 0 ]"
check "lbctl health shows the check and availability" bash -c \
	"'$BUILD/lbctl' -s '$LAB_DIR/shoald.sock' health $VIP:80/tcp | grep -q 'http:80/tunnel'"

# 1. a dead server leaves the table within fall x interval + 1 s
kept=$(flow_on "$VIP" 198.51.100.11)
pkill -f "web_server.py $VIP 80 $LAB_DIR/www1\$"
t0=$(now_ms)
wait_until 10 is_health "$VIP" 198.51.100.11 down
t1=$(now_ms)
bound=$((FALL * INTERVAL_MS + 1000))
echo "# backend-1 down after $((t1 - t0)) ms (bound $bound ms)"
check "a stopped server is down within fall x interval + 1 s ($((t1 - t0)) ms)" \
	test $((t1 - t0)) -le "$bound"
check "the reason is in words" bash -c \
	"'$BUILD/lbctl' -s '$LAB_DIR/shoald.sock' -o json health | grep -q 'connection refused'"
out=$(requests "$VIP" 30)
check "no new connection reaches it" test "$(count backend-1 <<<"$out")" -eq 0
check "the others take every request" test "$(count failed <<<"$out")" -eq 0
check "on_down keep_flows: its flows stay with it ($(lookup_of "$VIP" "$kept"))" \
	bash -c "'$BUILD/lbctl' -s '$LAB_DIR/shoald.sock' lookup 203.0.113.2:$kept $VIP:80 | grep -q 'backend 198.51.100.11 (in the flow table)'"
lab_bg "srv1-again" ip netns exec "$(ns b1)" python3 "$LAB_LIB/web_server.py" "$VIP" 80 "$LAB_DIR/www1"
t0=$(now_ms)
wait_until 10 is_health "$VIP" 198.51.100.11 up
t1=$(now_ms)
echo "# backend-1 up again after $((t1 - t0)) ms (rise x interval = $((RISE * INTERVAL_MS)) ms)"
check "it comes back after rise x interval ($((t1 - t0)) ms)" test $((t1 - t0)) -le $((RISE * INTERVAL_MS + 1500))
w=$(field "$VIP" 198.51.100.11 .effective_weight)
check "slow start: it returns with a fraction of its weight ($w)" \
	awk -v w="$w" 'BEGIN { exit !(w > 0 && w < 1) }'
wait_until 6 is_field "$VIP" 198.51.100.11 .effective_weight 1
check "and reaches its whole weight after slow_start" \
	test "$(field "$VIP" 198.51.100.11 .effective_weight)" = 1
out=$(requests "$VIP" 30)
check "it takes traffic again" test "$(count backend-1 <<<"$out")" -gt 0

# 2. HTTP 503: down for http, up for tcp
echo 503 >"$LAB_DIR/www2/health"
wait_until 10 is_health "$VIP" 198.51.100.12 down
check "a backend answering 503 is down for its http check" test "$(health "$VIP" 198.51.100.12)" = down
check "the reason says HTTP 503" test "$(field "$VIP" 198.51.100.12 .check.last)" = "HTTP 503"
check "and up for a tcp check of the same server" test "$(health "$VIP3" 198.51.100.12)" = up
rm -f "$LAB_DIR/www2/health"
wait_until 10 is_health "$VIP" 198.51.100.12 up

# 3. the VIP gone from lo: down through the tunnel, up directly
moved=$(flow_on "$VIP3" 198.51.100.13)
check "a flow of backend-3 is in the flow table" \
	bash -c "'$BUILD/lbctl' -s '$LAB_DIR/shoald.sock' lookup 203.0.113.2:$moved $VIP3:80 | grep -q 'backend 198.51.100.13 (in the flow table)'"
ip -n "$(ns b3)" addr del "$VIP3/32" dev lo
ip -n "$(ns b3)" addr del "$VIP2/32" dev lo
wait_until 10 is_health "$VIP3" 198.51.100.13 down
check "without the VIP on lo a backend is down via tunnel" test "$(health "$VIP3" 198.51.100.13)" = down
check "and up via direct" test "$(health "$VIP2" 198.51.100.13)" = up
check "on_down reschedule: its flows move at once ($(lookup_of "$VIP3" "$moved"))" \
	bash -c "! '$BUILD/lbctl' -s '$LAB_DIR/shoald.sock' lookup 203.0.113.2:$moved $VIP3:80 | grep -q '198.51.100.13'"
ip -n "$(ns b3)" addr add "$VIP3/32" dev lo
ip -n "$(ns b3)" addr add "$VIP2/32" dev lo
wait_until 10 is_health "$VIP3" 198.51.100.13 up

# 4. every check fails: panic keeps the VIP serving
for i in 1 2 3; do echo 503 >"$LAB_DIR/www$i/health"; done
wait_until 10 is_vip "$VIP" healthy 0
check "every backend failing: the VIP is in panic" test "$(vipf "$VIP" panic)" = true
check "and unservable below min_healthy" test "$(vipf "$VIP" servable)" = false
out=$(requests "$VIP" 20)
check "panic keeps it serving (every request answered)" test "$(count failed <<<"$out")" -eq 0
check "status shows PANIC" bash -c "'$BUILD/lbctl' -s '$LAB_DIR/shoald.sock' status | grep -q PANIC"
check "metrics: shoal_vip_panic 1" bash -c \
	"ip netns exec $(ns lb) curl -s http://127.0.0.1:9435/metrics | grep -q '^shoal_vip_panic{vip=\"$VIP:80/tcp\".*} 1'"
check "metrics: the panic is counted" bash -c \
	"ip netns exec $(ns lb) curl -s http://127.0.0.1:9435/metrics | grep -q '^shoal_vip_panics_total [1-9]'"
for i in 1 2 3; do rm -f "$LAB_DIR/www$i/health"; done
wait_until 10 is_vip "$VIP" panic false
check "panic ends when the checks pass" test "$(vipf "$VIP" panic)" = false

# https, udp and dns checks through the tunnel
wait_until 10 all_up "$VIP5"
check "https checks (TLS with SNI) through the tunnel pass" all_up "$VIP5"
wait_until 10 all_up "$VIP6"
check "udp checks (ping, expecting pong) pass" all_up "$VIP6"
wait_until 10 all_up "$VIP7"
check "dns checks (NOERROR) pass" all_up "$VIP7"
echo 2 >"$LAB_DIR/www2/rcode"
wait_until 10 is_health "$VIP7" 198.51.100.12 down
check "a SERVFAIL answer takes a backend down" is_field "$VIP7" 198.51.100.12 .check.last "DNS SERVFAIL"
rm -f "$LAB_DIR/www2/rcode"
for pid in $(ip netns pids "$(ns b3)"); do
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "udp_server.py $VIP6" && kill "$pid"
done
wait_until 10 is_health "$VIP6" 198.51.100.13 down
check "a stopped udp server is down (port unreachable)" is_field "$VIP6" 198.51.100.13 .check.last "port unreachable"
for pid in $(ip netns pids "$(ns b1)"); do
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "web_server.py $VIP5" && kill "$pid"
done
wait_until 10 is_health "$VIP5" 198.51.100.11 down
check "a stopped https server is down" is_health "$VIP5" 198.51.100.11 down
check "dns recovers" is_health "$VIP7" 198.51.100.12 up

# 6. agent-check: 20% takes fewer new flows than 100%; drain drains
echo "20%" >"$LAB_DIR/agent1"
wait_until 10 is_field "$VIP2" 198.51.100.11 .effective_weight 0.2
check "agent 20%: effective weight 0.2" test "$(field "$VIP2" 198.51.100.11 .effective_weight)" = 0.2
out=$(requests "$VIP2" 150)
n1=$(count backend-1 <<<"$out")
n2=$(count backend-2 <<<"$out")
echo "# agent 20% vs 100%: backend-1 $n1, backend-2 $n2 of 150"
check "the 20% backend receives fewer new flows ($n1 vs $n2)" test $((n1 * 2)) -lt "$n2"
echo "drain" >"$LAB_DIR/agent1"
wait_until 10 is_health "$VIP2" 198.51.100.11 "agent drain"
out=$(requests "$VIP2" 30)
check "agent drain: no new flow reaches it" test "$(count backend-1 <<<"$out")" -eq 0
check "the agent's word is logged once, with its line" \
	test "$(grep -c 'agent-check port 8081: agent: drain ("drain")' "$LAB_DIR/shoald.log")" -eq 1
echo "75%" >"$LAB_DIR/agent1"
sleep 1
check "a weight alone does not end the drain (HAProxy: until ready)" is_health "$VIP2" 198.51.100.11 "agent drain"
echo "up 100%" >"$LAB_DIR/agent1"
wait_until 10 is_health "$VIP2" 198.51.100.11 up
out=$(requests "$VIP2" 30)
check "after 'up' it takes new flows again" test "$(count backend-1 <<<"$out")" -gt 0

# 5. a black hole caught by the passive signal alone (no active check)
for pid in $(ip netns pids "$(ns b1)"); do
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'shoal-lab decap' && kill "$pid"
done
sleep 0.5
# many clients at once; those sent to backend-1 retransmit their SYNs
ip netns exec "$C" bash -c "for i in \$(seq 40); do
	curl -s -o /dev/null --max-time 2.5 http://$VIP4/id & done; wait"
wait_until 10 is_health "$VIP4" 198.51.100.11 down
check "a black-holed backend is caught by the passive signal" test "$(health "$VIP4" 198.51.100.11)" = down
check "its reason names repeated SYNs" bash -c "'$BUILD/lbctl' -s '$LAB_DIR/shoald.sock' -o json health | \
	jq -r '.result | .vips[] | select(.vip == \"$VIP4:80/tcp\") | .backends[0].check.last' | grep -q 'SYNs repeated'"
out=$(requests "$VIP4" 20)
check "and new connections avoid it" test "$(count failed <<<"$out")" -eq 0
lab_bg "decap1-again" ip netns exec "$(ns b1)" "$BUILD/shoal-lab" decap eth0 "$VIP" "$VIP2" "$VIP3" "$VIP4"
wait_until 10 is_health "$VIP" 198.51.100.11 up

# 7. kill -9 and restart: what was down stays down, the rest keeps serving
echo 503 >"$LAB_DIR/www2/health"
wait_until 10 is_health "$VIP" 198.51.100.12 down
lbctl reload >/dev/null
check "a reload keeps what the checks found (still down at once)" is_health "$VIP" 198.51.100.12 down
kill -9 "$SHOALD_PID"
wait "$SHOALD_PID" 2>/dev/null
lab_shoald_start shoald2 || exit 1
check "after a restart the down backend is still down" test "$(health "$VIP" 198.51.100.12)" = down
w3=$(field "$VIP" 198.51.100.13 .effective_weight)
check "and a healthy one is not taken out while unknown ($w3)" test "$w3" = 1
out=$(requests "$VIP" 20)
check "traffic flows at once, never to the down one" \
	test "$(count failed <<<"$out")" -eq 0 -a "$(count backend-2 <<<"$out")" -eq 0
rm -f "$LAB_DIR/www2/health"
wait_until 10 is_health "$VIP" 198.51.100.12 up
check "and it is re-learned up" test "$(health "$VIP" 198.51.100.12)" = up

lab_summary
