#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# shoal-decap, the backend-side tool: attach (XDP, then tc), the program stays
# after the command exits, VIPs added and removed, status counts, detach
# removes everything; tunnel packets from an outer source not named by --from
# are dropped and counted. The file-driven mode of its unit (up/down/check -c
# decap.yaml): a bad file changes nothing, up updates in place without losing
# a request, a changed mode re-attaches, down (even with a broken file) detaches.
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

# the unit's mode: /etc/shoal/decap.yaml
F=$LAB_DIR/decap.yaml
decapfile() { # ATTACH FROM VIP...
	local mode=$1 from=$2; shift 2
	printf 'interfaces:\n  - name: eth0\n    attach: %s\n    from: [%s]\n    vips: [%s]\n' \
		"$mode" "$from" "$(IFS=,; echo "$*")" >"$F"
}
decapfile xdp 198.51.100.2 "$VIP"
check "check -c: a valid file" bash -c "'$BUILD/shoal-decap' check -c $F | grep -q 'valid: 1 interfaces'"
check "up -c attaches what the file says" decap up -c "$F"
for _ in $(seq 30); do [ "$(get)" = backend-1 ] && break; sleep 0.1; done
check "... and the VIP is served" test "$(get)" = backend-1
printf 'interfaces:\n  - name: eth0\n    from: [198.51.100.2/40]\n    vips: [%s, %s]\n  - name: eth9\n' "$VIP" "$VIP" >"$LAB_DIR/bad.yaml"
check "a bad file: every error named by line, exit 1" \
	bash -c "out=\$('$BUILD/shoal-decap' check -c $LAB_DIR/bad.yaml 2>&1); [ \$? -eq 1 ] && [ \$(echo \"\$out\" | grep -c 'bad.yaml:[0-9]') -ge 4 ]"
check "up with a bad file changes nothing (still served)" \
	bash -c "! nsenter --net=/run/netns/$B '$BUILD/shoal-decap' up -c $LAB_DIR/bad.yaml 2>/dev/null && [ \"\$(ip netns exec $(ns client) curl -s --max-time 2 http://$VIP/id)\" = backend-1 ]"
decapfile xdp 198.51.100.2 "$VIP" 192.0.2.77 >/dev/null
printf 'interfaces:\n  - name: eth0\n    from: [198.51.100.2]\n    vips: [%s]\n  - name: nosuch0\n    from: [198.51.100.2]\n    vips: [%s]\n' "$VIP" "$VIP" >"$LAB_DIR/missing.yaml"
check "up naming an interface that does not exist: refused, nothing changed" \
	bash -c "nsenter --net=/run/netns/$B '$BUILD/shoal-decap' up -c $LAB_DIR/missing.yaml 2>&1 | grep -q 'no interface nosuch0: nothing changed'"
# 200 requests while the file's VIP set is applied again and again: none lost
( for _ in $(seq 200); do get; echo; done >"$LAB_DIR/during.txt" ) &
LOADER=$!
for _ in $(seq 10); do decap up -c "$F" >/dev/null; done
wait "$LOADER"
check "up on an attached interface updates in place: 200 of 200 requests answered meanwhile" \
	[ "$(grep -c backend-1 "$LAB_DIR/during.txt")" -eq 200 ]
check "... the new VIP is in the set" bash -c "nsenter --net=/run/netns/$B '$BUILD/shoal-decap' status eth0 | grep -q 192.0.2.77"
decapfile xdp 198.51.100.200 "$VIP"
decap up -c "$F" >/dev/null
check "a source taken out of the file is no longer trusted" test -z "$(get)"
decapfile tc 198.51.100.2 "$VIP"
check "attach changed to tc: up attaches again, says so" bash -c "nsenter --net=/run/netns/$B '$BUILD/shoal-decap' up -c $F | grep -q 'attaching again'"
check "... now on tc ingress, served" bash -c "nsenter --net=/run/netns/$B '$BUILD/shoal-decap' status eth0 | grep -q 'tc ingress' && [ \"\$(ip netns exec $(ns client) curl -s --max-time 2 http://$VIP/id)\" = backend-1 ]"
echo 'interfaces: [' >"$F"
check "down with a broken file still detaches everything" decap down -c "$F"
check "... nothing left" bash -c "[ ! -e $SHOAL_DECAP_PINS/eth0 ] && ! tc -n $B filter show dev eth0 ingress | grep -q shoal"

lab_summary
