#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Discovery against an etcd that speaks only TLS and requires a client
# certificate (a CA made by the test): the agent and lbctl register verify
# etcd's certificate (by IP address, or by server_name) and present theirs; a
# wrong CA, a wrong name or no client certificate is an error the agent shows,
# retrying, without touching the tables.
set -u
. "$(dirname "$0")/lib.sh"

VIP=192.0.2.10
EP=198.51.100.1:2379

lab_init
lab_topology 3
lab_backends "$VIP" 3
R=$(ns router)
PKI=$LAB_DIR/pki
lab_pki "$PKI" 198.51.100.1 etcd.lab || { echo "cannot make the lab's certificates"; exit 1; }
lab_pki "$LAB_DIR/other" 198.51.100.1 etcd.lab || exit 1 # the same names, another CA
ectl() {
	ETCDCTL_API=3 ip netns exec "$R" etcdctl --endpoints "https://$EP" --cacert "$PKI/ca.pem" \
		--cert "$PKI/client.pem" --key "$PKI/client.key" "$@"
}
ETCD_PKI=$PKI lab_etcd_start "$EP" || exit 1
ectl put "/shoal/backends/$VIP:80/tcp/198.51.100.12" '{"weight": 1}' >/dev/null
check "etcd refuses a client without a certificate (client-cert-auth is on)" \
	bash -c "! ip netns exec $R curl -s --max-time 2 --cacert $PKI/ca.pem -X POST -d '{\"key\": \"Lw==\"}' https://$EP/v3/kv/range | grep -q header"

# config TLS: the discovery block, with the tls lines given
config() {
	lab_shoald_config "$VIP" 1
	{
		echo "discovery:"
		echo "  type: etcd"
		echo "  endpoints: [https://$EP]"
		echo "  dial_timeout: 1s"
		echo "  tls:"
		printf '    %s\n' "$@"
	} >>"$LAB_DIR/shoal.yaml"
}
backends() {
	lbctl -o json status | jq -r ".result | .vips[] | select(.vip == \"$VIP:80/tcp\") | [.backends[].address] | sort | join(\",\")"
}
disc() { lbctl -o json status | jq -r ".result | .discovery.$1"; }
export -f lbctl backends disc
export LAB_DIR BUILD VIP
restart() {
	if [ -n "${SHOALD_PID:-}" ]; then
		kill "$SHOALD_PID"
		wait "$SHOALD_PID" 2>/dev/null
	fi
	lab_shoald_start "shoald-$1"
}
# a refused etcd: the error names why, the state is disconnected, the tables keep the file's backend
refused() {
	wait_until 5 bash -c "disc last_error | grep -q '$1'" &&
		[ "$(disc state)" != watching ] && [ "$(backends)" = 198.51.100.11 ]
}

config "ca: $LAB_DIR/other/ca.pem" "cert: $PKI/client.pem" "key: $PKI/client.key"
restart other-ca || exit 1
check "etcd's certificate from another CA: refused, saying so; tables unchanged" \
	refused "certificate: unable to get local issuer"

config "ca: $PKI/ca.pem" "cert: $PKI/client.pem" "key: $PKI/client.key" "server_name: etcd.example"
restart wrong-name || exit 1
check "a certificate that does not name server_name: refused (hostname mismatch)" \
	refused "mismatch"

config "ca: $PKI/ca.pem"
restart no-cert || exit 1
check "no client certificate: etcd refuses the agent (a TLS alert); tables unchanged" refused "TLS"

config "ca: $PKI/ca.pem" "cert: $PKI/client.pem" "key: $PKI/client.key" "server_name: etcd.lab"
check "shoald --check passes the TLS block, without warnings" \
	bash -c "$SHOALD --check -c $LAB_DIR/shoal.yaml 2>&1 >/dev/null | grep -c . | grep -qx 0"
restart good || exit 1
check "the right CA, name and client certificate: the prefix is read and its backend joins" \
	wait_until 5 bash -c '[ "$(backends)" = 198.51.100.11,198.51.100.12 ]'
check "status: watching, over https" \
	wait_until 3 bash -c "[ \"\$(disc state)/\$(disc endpoint)\" = watching/https://$EP ]"

# lbctl register over TLS, etcd's certificate verified by its IP address
lab_bg register13 ip netns exec "$(ns b3)" "$BUILD/lbctl" register --etcd "https://$EP" \
	--service "$VIP:80/tcp" --address 198.51.100.13 --ttl 5 \
	--cacert "$PKI/ca.pem" --cert "$PKI/client.pem" --key "$PKI/client.key"
REG=$LAST_PID
check "lbctl register over TLS: the backend joins through the watch" \
	wait_until 5 bash -c '[ "$(backends)" = 198.51.100.11,198.51.100.12,198.51.100.13 ]'
C=$(ns client)
reached() {
	for _ in $(seq 40); do ip netns exec "$C" curl -s --max-time 2 "http://$VIP/id"; done | sort -u | wc -l
}
check "the registered backends carry real traffic (3 answer)" [ "$(reached)" -eq 3 ]
kill -TERM "$REG"
check "SIGTERM: the lease is revoked over TLS, the backend gone at once" \
	wait_until 3 bash -c '[ "$(backends)" = 198.51.100.11,198.51.100.12 ]'
check "lbctl register with another CA's certificate: refused, saying why" \
	bash -c "timeout 3 ip netns exec $(ns b3) $BUILD/lbctl register --etcd https://$EP --service $VIP:80/tcp --address 198.51.100.13 --cacert $LAB_DIR/other/ca.pem --cert $PKI/client.pem --key $PKI/client.key 2>&1 | grep -q 'the server.s certificate: unable to get local issuer'"
check "lbctl register: a CA file that does not exist is an error (exit 1), not a retry loop" \
	bash -c "timeout 3 $BUILD/lbctl register --etcd https://$EP --service $VIP:80/tcp --address 198.51.100.13 --cacert $LAB_DIR/none.pem 2>/dev/null; [ \$? -eq 1 ]"

lab_etcd_stop
check "etcd stopped: tables unchanged" [ "$(backends)" = 198.51.100.11,198.51.100.12 ]
ETCD_PKI=$PKI lab_etcd_start "$EP" || exit 1
ectl put "/shoal/backends/$VIP:80/tcp/198.51.100.13" '{"weight": 1}' >/dev/null
check "etcd back: the agent reconnects over TLS and the change arrives" \
	wait_until 10 bash -c '[ "$(backends)" = 198.51.100.11,198.51.100.12,198.51.100.13 ]'

lab_summary
