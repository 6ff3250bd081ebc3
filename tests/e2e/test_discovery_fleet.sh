#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Two shoal hosts follow one etcd: three backends registered with lbctl
# register; both agents reach identical table fingerprints within 1 s of the
# last registration (the time is printed); SIGTERM to one registration takes
# its backend off both at once, kill -9 of another after its TTL.
# With FLEET_BENCH=N (tests/bench/discovery.sh), N backends are written
# instead and the time to converge is the result; no checks of the rest.
set -u
. "$(dirname "$0")/lib.sh"

VIP=192.0.2.10
NB=3
EP=198.51.100.1:2379

lab_init
lab_topology "$NB"
lab_backends "$VIP" "$NB"
R=$(ns router)
# the second shoal host, on the same fabric
lab_host lb2 198.51.100.3/24 198.51.100.1 rlb2
ip -n "$R" link set rlb2 master br0 up
ip -n "$R" link set rlb2 xdpdrv obj "$BUILD/napi_pass.bpf.o" sec xdp

lab_etcd_start "$EP" || exit 1

# one file per host: the service (no backend of its own) and the same etcd
lab_shoald_config "$VIP" 0
sed -i 's/^    backends:$/    backends: []/' "$LAB_DIR/shoal.yaml"
{
	echo "discovery:"
	echo "  type: etcd"
	echo "  endpoints: [http://$EP]"
} >>"$LAB_DIR/shoal.yaml"
sed -e "s/198.51.100.2/198.51.100.3/" -e "s|shoald.sock|shoald2.sock|" -e "s|-lb\$|-lb2|" \
	"$LAB_DIR/shoal.yaml" >"$LAB_DIR/shoal2.yaml"
lab_shoald_start || exit 1
lab_bg shoald2 nsenter --net="/run/netns/$(ns lb2)" "$SHOALD" -c "$LAB_DIR/shoal2.yaml"
wait_for "$LAB_DIR/shoald2.log" "ready:" || exit 1
lbctl2() { "$BUILD/lbctl" -s "$LAB_DIR/shoald2.sock" "$@"; }

view() { # "FINGERPRINT BACKENDS" of VIP:80 on one agent
	"$@" -o json status 2>/dev/null |
		jq -r ".result | .vips[] | select(.vip == \"$VIP:80/tcp\") | \"\(.fingerprint) \(.backends | length)\""
}
converged() { # converged N: both agents show the same table of N backends
	local a b
	a=$(view lbctl) && b=$(view lbctl2) && [ "$a" = "$b" ] && [ "${a#* }" = "$1" ]
}
now_ms() { date +%s%3N; }

if [ -n "${FLEET_BENCH:-}" ]; then
	# N backend keys, then how long until both agents serve them all
	for ((i = 0; i < FLEET_BENCH; i++)); do
		printf 'put /shoal/backends/%s:80/tcp/10.%d.%d.%d {"weight": 1}\n' "$VIP" \
			$((i / 65536 + 1)) $((i / 256 % 256)) $((i % 256))
	done >"$LAB_DIR/puts"
	# one etcdctl reading every put from stdin (one key a line): the keys arrive in a stream
	T0=$(now_ms)
	ETCDCTL_API=3 ip netns exec "$R" bash -c "while read -r c k v; do echo \"\$k\"; echo \"\$v\"; done <$LAB_DIR/puts | xargs -d '\n' -n 2 -P 8 etcdctl --endpoints http://$EP put >/dev/null"
	T1=$(now_ms)
	wait_until 60 converged "$FLEET_BENCH" || { echo "did not converge"; exit 1; }
	T2=$(now_ms)
	echo "fleet: $FLEET_BENCH backends written in $((T1 - T0)) ms; both agents converged $((T2 - T1)) ms after the last write"
	exit 0
fi

for i in 1 2 3; do
	lab_bg "register$i" ip netns exec "$(ns "b$i")" "$BUILD/lbctl" register --etcd "http://$EP" \
		--service "$VIP:80/tcp" --address "198.51.100.$((10 + i))" --ttl 3
	eval "REGISTER$i=\$LAST_PID"
	wait_for "$LAB_DIR/register$i.log" registered || exit 1
	[ "$i" -eq 3 ] && T0=$(now_ms)
done
wait_until 10 converged 3
T1=$(now_ms)
echo "both agents identical $((T1 - T0)) ms after the last registration"
check "two agents converge on identical tables of 3 backends" converged 3
check "... within 1 s of the last registration" [ $((T1 - T0)) -lt 1000 ]
check "real traffic through the first host reaches all three registered backends" \
	[ "$(for _ in $(seq 40); do ip netns exec "$(ns client)" curl -s --max-time 2 "http://$VIP/id"; done | sort -u | wc -l)" -eq 3 ]

kill -TERM "$REGISTER2"
T0=$(now_ms)
check "SIGTERM to a registration: both agents drop it at once" wait_until 2 converged 2
echo "gone from both $(($(now_ms) - T0)) ms after SIGTERM"
{ kill -9 "$REGISTER3" && wait "$REGISTER3"; } 2>/dev/null
T0=$(now_ms)
check "kill -9 of a registration: both agents drop it after the TTL" wait_until 10 converged 1
T1=$(now_ms)
echo "gone from both $((T1 - T0)) ms after kill -9 (TTL 3 s)"
check "... and not before the TTL (the lease was alive)" [ $((T1 - T0)) -ge 1000 ]

lab_summary
