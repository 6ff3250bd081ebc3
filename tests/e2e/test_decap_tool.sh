#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# shoal-decap, the backend-side tool: attach (XDP, then tc), the program stays
# after the command exits, VIPs added and removed, status counts, detach
# removes everything; tunnel packets from an outer source not named by --from
# are dropped and counted.
set -u
. "$(dirname "$0")/lib.sh"

VIP=192.0.2.10
lab_init
lab_topology 1
B=$(ns b1)
ip -n "$(ns router)" route add "$VIP/32" via 198.51.100.2
ip -n "$B" addr add "$VIP/32" dev lo
mkdir -p "$LAB_DIR/www1"
echo backend-1 >"$LAB_DIR/www1/id"
lab_bg srv ip netns exec "$B" python3 -m http.server 80 --bind "$VIP" --directory "$LAB_DIR/www1"
lab_balancer "$VIP" 1 || exit 1
# pins live in bpffs: nsenter keeps it mounted where ip netns exec would not
export SHOAL_DECAP_PINS="/sys/fs/bpf/${LAB_PREFIX}-decap"
decap() { nsenter --net="/run/netns/$B" "$BUILD/shoal-decap" "$@"; }
get() { ip netns exec "$(ns client)" curl -s --max-time 2 "http://$VIP/id"; }
trap 'decap detach eth0 >/dev/null 2>&1; lab_cleanup' EXIT

for mode in xdp tc; do
	opt=()
	[ "$mode" = tc ] && opt=(--tc)
	check "$mode: attach exits 0" decap attach eth0 --from 198.51.100.2 "${opt[@]}" 192.0.2.99 "$VIP"
	check "$mode: attaching twice is refused" bash -c "! nsenter --net=/run/netns/$B '$BUILD/shoal-decap' attach eth0 $VIP 2>/dev/null"
	for _ in $(seq 30); do [ "$(get)" = backend-1 ] && break; sleep 0.1; done
	check "$mode: a request through the VIP is answered after the command exited" test "$(get)" = backend-1
	check "$mode: status counts decapsulated packets" bash -c "nsenter --net=/run/netns/$B '$BUILD/shoal-decap' status eth0 | grep -q '^decapsulated=[1-9]'"
	decap vip del eth0 "$VIP"
	check "$mode: after vip del the VIP's traffic is no longer decapsulated" test -z "$(get)"
	decap vip add eth0 "$VIP"
	check "$mode: after vip add it is again" test "$(get)" = backend-1
	check "$mode: detach exits 0" decap detach eth0
	check "$mode: detach removed the pins" test ! -e "$SHOAL_DECAP_PINS"/eth0
	check "$mode: and the program" bash -c "! ip -n $B link show eth0 | grep -q xdp && ! tc -n $B filter show dev eth0 ingress | grep -q shoal"
done
check "bad arguments exit 2" bash -c "'$BUILD/shoal-decap' attach eth0 --from 198.51.100.2 not-an-address 2>/dev/null; [ \$? -eq 2 ]"
check "attach without --from is refused, and says why" bash -c "'$BUILD/shoal-decap' attach eth0 $VIP 2>&1 | grep -q reflector"
check "a bad --from is refused" bash -c "'$BUILD/shoal-decap' attach eth0 --from 198.51.100.2/33 $VIP 2>/dev/null; [ \$? -eq 2 ]"
# the balancer's tunnel source not allowed: its packets are dropped and counted
check "attach allowing only another source" decap attach eth0 --from 198.51.100.200/31 --from 2001:db8::/32 "$VIP"
check "tunnel packets from the balancer are no longer taken" test -z "$(get)"
check "status counts them as refused_source" bash -c "nsenter --net=/run/netns/$B '$BUILD/shoal-decap' status eth0 | grep -q '^refused_source=[1-9]'"
check "and none was decapsulated" bash -c "nsenter --net=/run/netns/$B '$BUILD/shoal-decap' status eth0 | grep -q '^decapsulated=0'"
decap detach eth0

lab_summary
