#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Service discovery through a real etcd (Debian's etcd-server, started here in
# the router's namespace with its own data dir): backends registered with a
# lease join the file's service and carry real traffic; a bad value is refused
# by key and the rest applies; a lease that is no longer kept alive takes its
# backend away; etcd down changes nothing and traffic keeps flowing; changes
# made while the agent was away arrive when it is back, also when the
# revision it watched from was compacted meanwhile; a service can live in etcd
# alone; the file wins a conflict.
set -u
. "$(dirname "$0")/lib.sh"

VIP=192.0.2.10
VIP2=192.0.2.20
NB=3
EP=198.51.100.1:2379
ALT=198.51.100.1:2381 # the same etcd where the agent does not look: changes made "while it was away"

lab_init
lab_topology "$NB"
lab_backends "$VIP" "$NB" "$VIP2"
R=$(ns router)

ectl() { ETCDCTL_API=3 ip netns exec "$R" etcdctl --endpoints "http://${ECTL_EP:-$EP}" "$@"; }
be_key() { echo "/shoal/backends/$VIP:80/tcp/$1"; }

lab_etcd_start "$EP" || exit 1

# the file: the service with one backend of its own, and where to find the rest
lab_shoald_config "$VIP" 1
{
	echo "discovery:"
	echo "  type: etcd"
	echo "  endpoints: [http://$EP]"
	echo "  prefix: /shoal"
	echo "  dial_timeout: 1s"
} >>"$LAB_DIR/shoal.yaml"
check "the example-style config passes shoald --check" "$SHOALD" --check -c "$LAB_DIR/shoal.yaml"

# two backends registered before the agent starts: one by lbctl register (a lease
# of 3 s kept alive; an endpoint that refuses comes first), one by a plain put
lab_bg register12 ip netns exec "$(ns b2)" "$BUILD/lbctl" register \
	--etcd "http://198.51.100.1:1,http://$EP" --service "$VIP:80/tcp" --address 198.51.100.12 --ttl 3
REGISTER12=$LAST_PID
wait_for "$LAB_DIR/register12.log" "registered" || exit 1
ectl put "$(be_key 198.51.100.13)" '{"weight": 2}' >/dev/null

lab_shoald_start || exit 1
lab_wait_backends "$VIP" "$NB" || exit 1
C=$(ns client)

backends_of() { # the backends of VIP:80/tcp, sorted, one line
	lbctl -o json status | jq -r ".result | .vips[] | select(.vip == \"$1:80/tcp\") | [.backends[].address] | sort | join(\",\")"
}
has_backends() { [ "$(backends_of "$1")" = "$2" ]; }
reached() { # how many distinct backends answer 40 new connections
	for _ in $(seq 40); do ip netns exec "$C" curl -s --max-time 2 "http://$1/id"; done | sort -u | wc -l
}

check "the agent reads etcd: the file's backend and both registered ones" \
	wait_until 10 has_backends "$VIP" "198.51.100.11,198.51.100.12,198.51.100.13"
check "status: discovery watching, 2 backends from etcd" \
	wait_until 5 bash -c "[ \"\$($BUILD/lbctl -s $LAB_DIR/shoald.sock -o json status | jq -r '.result | .discovery.state + \" \" + (.discovery.backends|tostring)')\" = 'watching 2' ]"
check "the registered backends carry real traffic (3 backends answer)" [ "$(reached "$VIP")" -eq 3 ]
metrics() { ip netns exec "$(ns lb)" curl -s http://127.0.0.1:9435/metrics; }
check "metrics: connected, 2 backends from etcd" \
	bash -c "$(declare -f metrics ns); LAB_PREFIX=$LAB_PREFIX
		metrics | grep -q '^shoal_discovery_connected{source=\"etcd\",endpoint=\"http://$EP\"} 1' &&
		metrics | grep -q '^shoal_discovery_entries{kind=\"backend\"} 2'"

# a bad value is refused and named; the good one next to it applies
ectl put "$(be_key 198.51.100.99)" '{"weight": "heavy"}' >/dev/null
ectl put "$(be_key 198.51.100.14)" '{"weight": 1, "drain": true}' >/dev/null
check "a good value next to a bad one applies" \
	wait_until 5 has_backends "$VIP" "198.51.100.11,198.51.100.12,198.51.100.13,198.51.100.14"
check "the bad value is refused with its key named" \
	grep -q "discovery: $(be_key 198.51.100.99): weight" "$LAB_DIR/shoald.log"
check "status counts it as invalid" \
	[ "$(lbctl -o json status | jq .result.discovery.skipped_invalid)" -eq 1 ]
ectl del "$(be_key 198.51.100.99)" >/dev/null
ectl del "$(be_key 198.51.100.14)" >/dev/null

# SIGTERM to a registration: its backend leaves at once (well before its TTL of 10 s)
lab_bg register15 ip netns exec "$R" "$BUILD/lbctl" register --etcd "http://$EP" \
	--service "$VIP:80/tcp" --address 198.51.100.15 --weight 2
REGISTER15=$LAST_PID
check "lbctl register adds a backend" \
	wait_until 5 has_backends "$VIP" "198.51.100.11,198.51.100.12,198.51.100.13,198.51.100.15"
kill -TERM "$REGISTER15"
check "SIGTERM to lbctl register: the backend is gone at once (< 2 s, its TTL is 10 s)" \
	wait_until 2 has_backends "$VIP" "198.51.100.11,198.51.100.12,198.51.100.13"
check "lbctl register revoked its lease on the way out" grep -q "revoked" "$LAB_DIR/register15.log"

# the registering process dies: the lease is no longer kept alive, the backend goes after the TTL
sleep 4 # past one TTL: the lease was kept alive meanwhile
check "a registration kept alive outlives its TTL" \
	has_backends "$VIP" "198.51.100.11,198.51.100.12,198.51.100.13"
{ kill -9 "$REGISTER12" && wait "$REGISTER12"; } 2>/dev/null
check "kill -9 of lbctl register: its backend is gone after the TTL" \
	wait_until 10 has_backends "$VIP" "198.51.100.11,198.51.100.13"

# a service that lives in etcd alone, and one that conflicts with the file's
ectl put "/shoal/services/$VIP2:80/tcp" \
	"{\"name\": \"etcd-only\", \"vip\": \"$VIP2\", \"port\": 80, \"backends\": [\"198.51.100.11\", \"198.51.100.12\"]}" >/dev/null
ectl put "/shoal/services/$VIP:80/tcp" \
	"{\"vip\": \"$VIP\", \"port\": 80, \"scheduler\": \"rr\"}" >/dev/null
check "a service defined in etcd alone is served" \
	wait_until 5 has_backends "$VIP2" "198.51.100.11,198.51.100.12"
check "a service both in the file and etcd: the file wins, the conflict is reported" \
	bash -c "[ \"\$($BUILD/lbctl -s $LAB_DIR/shoald.sock -o json status | jq -r '.result | .discovery.conflicts')\" -ge 1 ] &&
		[ \"\$($BUILD/lbctl -s $LAB_DIR/shoald.sock -o json status | jq -r '.result | .vips[] | select(.vip == \"$VIP:80/tcp\") | .scheduler')\" = maglev ]"
ectl del "/shoal/services/$VIP:80/tcp" >/dev/null

# etcd down: nothing changes, traffic keeps flowing
FP=$(lbctl -o json status | jq -r '.result | [.vips[].fingerprint] | join(",")')
lab_etcd_stop
check "etcd down: the agent says so" \
	wait_until 5 bash -c "[ \"\$($BUILD/lbctl -s $LAB_DIR/shoald.sock -o json status | jq -r .result.discovery.state)\" = disconnected ]"
check "etcd down: the tables are unchanged" \
	[ "$(lbctl -o json status | jq -r '.result | [.vips[].fingerprint] | join(",")')" = "$FP" ]
check "etcd down: traffic still reaches both backends of the VIP" [ "$(reached "$VIP")" -eq 2 ]
# the agent restarted while etcd is down: it starts from the last state it saw
{ kill -9 "$SHOALD_PID" && wait "$SHOALD_PID"; } 2>/dev/null
lab_shoald_start shoald-restarted || exit 1
check "restarted while etcd is down: etcd's backends and service are still served" \
	bash -c "[ \"\$($BUILD/lbctl -s $LAB_DIR/shoald.sock -o json status | jq -r '.result | [.vips[].fingerprint] | join(\",\")')\" = '$FP' ]"
check "restarted while etcd is down: traffic still reaches both backends" [ "$(reached "$VIP")" -eq 2 ]

# changes while the agent is away (etcd up where it does not look), then compacted away
lab_etcd_start "$ALT" || exit 1
ECTL_EP=$ALT ectl put "$(be_key 198.51.100.12)" '{"weight": 3}' >/dev/null
ECTL_EP=$ALT ectl del "$(be_key 198.51.100.13)" >/dev/null
REV=$(ECTL_EP=$ALT ectl get /shoal/x -w json | jq .header.revision)
ECTL_EP=$ALT ectl compact "$REV" >/dev/null
lab_etcd_stop
lab_etcd_start "$EP" || exit 1
check "back online: what changed meanwhile arrives, through a fresh read (compacted)" \
	wait_until 15 has_backends "$VIP" "198.51.100.11,198.51.100.12"
check "the watch's revision was compacted: the agent read the prefix again" \
	[ "$(lbctl -o json status | jq .result.discovery.resyncs)" -ge 1 ]
check "the new weight arrived" \
	[ "$(lbctl -o json status | jq ".result | .vips[] | select(.vip == \"$VIP:80/tcp\") | .backends[] | select(.address == \"198.51.100.12\") | .weight")" -eq 3 ]
check "the etcd-only service survived the outage" has_backends "$VIP2" "198.51.100.11,198.51.100.12"
check "lbctl save keeps etcd's entries out of the file" \
	bash -c "$BUILD/lbctl -s $LAB_DIR/shoald.sock save >/dev/null && ! grep -q '198.51.100.12\\|$VIP2' $LAB_DIR/shoal.yaml && grep -q 'discovery:' $LAB_DIR/shoal.yaml"
check "a reload keeps etcd's entries" \
	bash -c "$BUILD/lbctl -s $LAB_DIR/shoald.sock reload >/dev/null && [ \"\$($BUILD/lbctl -s $LAB_DIR/shoald.sock -o json status | jq -r '.result | .vips[] | select(.vip == \"$VIP:80/tcp\") | [.backends[].address] | sort | join(\",\")')\" = 198.51.100.11,198.51.100.12 ]"

lab_summary
