#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# What health checks cost the agent (make bench): 1,000 backends checked every
# second through the tunnel — 10 VIPs x 100 backend addresses, half tcp, half
# http — against nginx on two backend hosts that decapsulate with shoal's
# program. Prints shoald's CPU time per second of wall time (the share of one
# core), the checks done per second and the handler times, from its metrics.
# Usage: tests/bench/health.sh [--json]
set -u
. "$(dirname "$0")/../e2e/lib.sh"

SECONDS_MEASURED=${SECONDS_MEASURED:-30}
MIX=${MIX:-both} # both (half tcp, half http), tcp or http
NVIP=10
NADDR=100 # backend addresses, 50 on each backend host
lab_init
lab_topology 2
vips=()
for ((v = 0; v < NVIP; v++)); do vips+=("192.0.2.$((100 + v))"); done
for i in 1 2; do
	b=$(ns "b$i")
	for ((a = 0; a < NADDR / 2; a++)); do
		ip -n "$b" addr add "198.51.100.$((100 + (i - 1) * NADDR / 2 + a))/24" dev eth0
	done
	for v in "${vips[@]}"; do ip -n "$b" addr add "$v/32" dev lo; done
	mkdir -p "$LAB_DIR/nginx$i"
	cat >"$LAB_DIR/nginx$i/nginx.conf" <<EOC
worker_processes 1;
pid $LAB_DIR/nginx$i/nginx.pid;
error_log $LAB_DIR/nginx$i/error.log;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path $LAB_DIR/nginx$i;
	proxy_temp_path $LAB_DIR/nginx$i;
	fastcgi_temp_path $LAB_DIR/nginx$i;
	uwsgi_temp_path $LAB_DIR/nginx$i;
	scgi_temp_path $LAB_DIR/nginx$i;
	server {
		listen 80 backlog=4096;
		location /healthz { return 200 "ok\n"; }
	}
}
EOC
	lab_bg "nginx$i" ip netns exec "$b" nginx -c "$LAB_DIR/nginx$i/nginx.conf" -g "daemon off;"
	lab_bg "decap$i" ip netns exec "$b" "$BUILD/shoal-lab" decap eth0 "${vips[@]}"
done
{
	echo "host:"
	echo "  interface: eth0"
	echo "  hash_seed: 0x5eed"
	echo "  source_v4: 198.51.100.2"
	echo "  control_socket: $LAB_DIR/shoald.sock"
	echo "  metrics: 127.0.0.1:9437"
	echo "  pin_path: /sys/fs/bpf/${LAB_PREFIX}-lb"
	echo "  flow_table_size: 65536"
	echo "defaults:"
	echo "  health: {interval: 1s, timeout: 500ms}"
	echo "services:"
	for ((v = 0; v < NVIP; v++)); do
		echo "  - vip: ${vips[$v]}"
		echo "    port: 80"
		if [ "${MIX:-both}" = http ] || { [ "${MIX:-both}" = both ] && ((v % 2)); }; then
			echo "    health: {type: http, path: /healthz, body: ok}"
		else
			echo "    health: {type: tcp}"
		fi
		echo "    backends:"
		for ((a = 0; a < NADDR; a++)); do echo "      - 198.51.100.$((100 + a))"; done
	done
} >"$LAB_DIR/shoal.yaml"
wait_for "$LAB_DIR/decap1.log" ready && wait_for "$LAB_DIR/decap2.log" ready || exit 1
# In this lab the "wire", the router and the backends are namespaces on the same
# host: a packet shoald sends would be carried through all of them inside its own
# send call, and charged to it. On a real host a NIC takes it. So shoald runs on
# CPU 0, and the router's port towards it hands what arrives to CPU 1 (RPS):
# shoald is charged what it does itself, not the simulated network's work.
# (no client traffic is balanced here, so the router's port needs no NAPI of its
# own for XDP_TX: without it, what shoald sends is queued for CPU 1 at once)
ip -n "$(ns router)" link set rlb xdpdrv off
ip netns exec "$(ns router)" sh -c 'echo 2 >/sys/class/net/rlb/queues/rx-0/rps_cpus'
printf '#!/bin/sh\nexec taskset -c 0 %s "$@"\n' "$SHOALD" >"$LAB_DIR/shoald-cpu0"
chmod +x "$LAB_DIR/shoald-cpu0"
SHOALD="$LAB_DIR/shoald-cpu0"
lab_shoald_start || exit 1
metrics() { ip netns exec "$(ns lb)" curl -s --max-time 5 http://127.0.0.1:9437/metrics; }
# checks by result: ok, or failed and timed out together (summed over backends)
checks() { metrics | awk -v r="$1" '/^shoal_backend_checks_total\{/ && ($0 ~ "result=\"" r "\"") {s += $NF} END {print s + 0}'; }
checks_ok() { checks ok; }
checks_bad() { echo $(($(checks failed) + $(checks timeout))); }
up() { metrics | grep -c '^shoal_backend_health{.*state="up"} 1'; }
# time on CPU in ns (the scheduler's own account: exact, unlike the tick-sampled utime/stime)
cpu_ns() { awk '{print $1}' "/proc/$SHOALD_PID/schedstat"; }

# every backend up first (the first round spreads over one interval)
all_up() { [ "$(up)" -ge $((NVIP * NADDR)) ]; }
wait_until 20 all_up || echo "health.sh: only $(up) of $((NVIP * NADDR)) up" >&2
sleep 2
c0=$(cpu_ns)
k0=$(checks_ok)
f0=$(checks_bad)
t0=$(date +%s%N)
sleep "$SECONDS_MEASURED"
c1=$(cpu_ns)
k1=$(checks_ok)
f1=$(checks_bad)
t1=$(date +%s%N)
metrics >"$LAB_DIR/metrics.txt"
wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN {print (b - a) / 1e9}')
cpu_pct=$(awk -v c=$((c1 - c0)) -v w="$wall" 'BEGIN {printf "%.2f", 100 * c / 1e9 / w}')
rate=$(awk -v k=$((k1 - k0)) -v w="$wall" 'BEGIN {printf "%.0f", k / w}')
nup=$(up)
max_ms() { # HANDLER
	awk -v h="$1" 'index($0, "shoal_agent_handler_seconds_max{handler=\"" h "\"}") == 1 {printf "%.2f", $NF * 1000}' \
		"$LAB_DIR/metrics.txt"
}
failed=$((f1 - f0))
grep -E '^shoal_backend_checks_total\{.*result="(failed|timeout)"\} [1-9]' "$LAB_DIR/metrics.txt" | head -3 >&2
if [ "${1:-}" = --json ]; then
	printf '{"backends": %d, "up": %d, "checks_per_s": %s, "cpu_pct_of_one_core": %s, "failed_or_timeout": %s, "health_result_max_ms": %s, "health_check_max_ms": %s}\n' \
		$((NVIP * NADDR)) "$nup" "$rate" "$cpu_pct" "$failed" "$(max_ms "health result")" "$(max_ms "health check")"
else
	printf 'health checks: %d backends (%d VIPs x %d addresses, tcp and http via tunnel, every 1 s)\n' \
		$((NVIP * NADDR)) "$NVIP" "$NADDR"
	printf '  up %s, %s checks/s, shoald CPU %s%% of one core over %.0f s, %s failed or timed out meanwhile\n' \
		"$nup" "$rate" "$cpu_pct" "$wall" "$failed"
	printf '  longest handler: check start %s ms, result %s ms\n' "$(max_ms "health check")" \
		"$(max_ms "health result")"
fi
