#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The agent's loop under load (make bench): a real shoald with 100 VIPs x 100
# backends and 1M flows in its flow table, put through the three things that
# once stalled it: a walk of the flow table, a reload that changes every
# table, and a netlink storm (neighbour entries and routes added and removed
# by the thousand). Prints the longest single run of each handler and the
# timers' lag, from shoald's own metrics. Usage: tests/bench/loop.sh [--json]
set -u
. "$(dirname "$0")/../e2e/lib.sh"

FLOWS=${FLOWS:-1048576}
lab_init
L=$(ns lb)
R=$(ns rt)
ip netns add "$L"
ip netns add "$R"
ip link add "${LAB_PREFIX}l" netns "$L" type veth peer name "${LAB_PREFIX}r" netns "$R"
ip -n "$L" link set "${LAB_PREFIX}l" name eth0
ip -n "$L" link set lo up
ip -n "$L" addr add 198.51.100.2/24 dev eth0
ip -n "$L" link set eth0 up
ip -n "$R" addr add 198.51.100.1/24 dev "${LAB_PREFIX}r"
ip -n "$R" link set "${LAB_PREFIX}r" up
ip -n "$L" route add default via 198.51.100.1

conf() { # WEIGHT
	echo "host:"
	echo "  interface: eth0"
	echo "  hash_seed: 0x5eed"
	echo "  source_v4: 198.51.100.2"
	echo "  control_socket: $LAB_DIR/shoald.sock"
	echo "  metrics: 127.0.0.1:9436"
	echo "  pin_path: /sys/fs/bpf/${LAB_PREFIX}-lb"
	echo "  flow_table_size: $((FLOWS * 2))"
	# the backends here are addresses only: the health load is tests/bench/health.sh's
	echo "defaults:"
	echo "  health: {type: none}"
	echo "services:"
	for ((v = 0; v < 100; v++)); do
		echo "  - vip: 192.0.$((2 + v / 250)).$((v % 250 + 1))"
		echo "    port: 80"
		echo "    backends:"
		for ((b = 1; b <= 100; b++)); do
			echo "      - address: 198.$((18 + v / 50)).$((v % 50 + 100)).$b"
			echo "        weight: $1"
		done
	done
}
conf 1 >"$LAB_DIR/shoal.yaml"
conf 2 >"$LAB_DIR/shoal2.yaml"
metrics() { ip netns exec "$L" curl -s --max-time 5 http://127.0.0.1:9436/metrics; }

# first run: creates the pinned maps; then fill the flow table while no agent runs
lab_shoald_start || exit 1
kill "$SHOALD_PID"
wait "$SHOALD_PID" 2>/dev/null
"$BUILD/lbbench" fill-flows "/sys/fs/bpf/${LAB_PREFIX}-lb/v4/flows" "$FLOWS" || exit 1
lab_shoald_start shoald2 || exit 1

# 1. walks of the flow table (one at start, then on demand)
for _ in 1 2 3; do
	lbctl -o json status >"$LAB_DIR/status.json" || exit 1
	sleep 1.2
done
counted=$(jq .result.flow_table_entries "$LAB_DIR/status.json")
# 2. a reload that changes every one of the 100 tables, and back
cp "$LAB_DIR/shoal2.yaml" "$LAB_DIR/shoal.yaml"
lbctl reload >/dev/null || exit 1
conf 1 >"$LAB_DIR/shoal.yaml"
lbctl reload >/dev/null || exit 1
# 3. a netlink storm: 20,000 neighbour entries and 2,000 routes come and go,
# and the default route is replaced 200 times (each a reason to look again)
{
	for ((i = 0; i < 10000; i++)); do
		printf 'neigh replace 198.51.%d.%d lladdr 02:00:00:00:%02x:%02x dev eth0\n' \
			$((101 + i / 250 % 90)) $((i % 250 + 1)) $((i / 256 % 256)) $((i % 256))
	done
	for ((i = 0; i < 10000; i++)); do
		printf 'neigh del 198.51.%d.%d dev eth0\n' $((101 + i / 250 % 90)) $((i % 250 + 1))
	done
	for ((i = 0; i < 1000; i++)); do
		printf 'route add 203.0.%d.%d/32 via 198.51.100.1\n' $((113 + i / 250)) $((i % 250))
	done
	for ((i = 0; i < 1000; i++)); do
		printf 'route del 203.0.%d.%d/32\n' $((113 + i / 250)) $((i % 250))
	done
	for ((i = 0; i < 200; i++)); do
		echo "route replace default via 198.51.100.1"
	done
} >"$LAB_DIR/storm.batch"
# (ip exits at the first failed neigh command, -force or not: none may fail)
ip -n "$L" -force -batch "$LAB_DIR/storm.batch" || echo "loop.sh: the storm stopped early" >&2
sleep 1.5
# and the readers: a scrape and a status with 10,000 backends
metrics >/dev/null
lbctl status >/dev/null
sleep 1.2
metrics >"$LAB_DIR/metrics.txt"
lbctl -o json status >"$LAB_DIR/status.json"

max_ms() { # HANDLER
	awk -v h="$1" 'index($0, "shoal_agent_handler_seconds_max{handler=\"" h "\"}") == 1 {printf "%.1f", $NF * 1000}' \
		"$LAB_DIR/metrics.txt"
}
runs() {
	awk -v h="$1" 'index($0, "shoal_agent_handler_runs_total{handler=\"" h "\"}") == 1 {print $NF}' \
		"$LAB_DIR/metrics.txt"
}
bucket() { # LE
	awk -v le="$1" -F'[{}" ]+' '$1 == "shoal_agent_loop_lag_seconds_bucket" && $3 == le {print $4}' \
		"$LAB_DIR/metrics.txt"
}
total=$(bucket +Inf)
over20=$((total - $(bucket 0.02)))
msgs=$(awk '/^# netlink/ {print}' "$LAB_DIR/metrics.txt")
: "$msgs"
if [ "${1:-}" = --json ]; then
	printf '{"flows": %s' "$counted"
	for h in flow-walk reconcile "control status" "control reload" reload control-stream metrics netlink netlink-lookup rates; do
		printf ', "%s_max_ms": %s, "%s_runs": %s' "$h" "$(max_ms "$h")" "$h" "$(runs "$h")"
	done
	printf ', "timers": %s, "timers_late_over_20ms": %s}\n' "$total" "$over20"
else
	printf '%-16s %12s %8s   (%s flows counted, 100 VIPs x 100 backends)\n' handler max_ms runs "$counted"
	for h in flow-walk reconcile "control status" "control reload" reload control-stream metrics netlink netlink-lookup rates; do
		printf '%-16s %12s %8s\n' "$h" "$(max_ms "$h")" "$(runs "$h")"
	done
	printf 'timers fired: %s, of which late by more than 20 ms: %s\n' "$total" "$over20"
	jq -r '.result | "slowest handler (lbctl status): \(.loop.slowest_handler) \(.loop.slowest_handler_ms) ms"' "$LAB_DIR/status.json"
fi
