#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Discovery against an etcd with authentication on (a user that may only read
# shoal's prefix): a wrong password is an error the agent shows and keeps
# retrying without touching the tables; the right one reads the prefix.
set -u
. "$(dirname "$0")/lib.sh"

VIP=192.0.2.10
EP=198.51.100.1:2379

lab_init
lab_topology 2
lab_backends "$VIP" 2
R=$(ns router)
ectl() { ETCDCTL_API=3 ip netns exec "$R" etcdctl --endpoints "http://$EP" "$@"; }

lab_etcd_start "$EP" || exit 1
ectl user add root:rootpw >/dev/null
ectl user grant-role root root >/dev/null
ectl user add shoal:shoalpw >/dev/null
ectl role add shoal-read >/dev/null
ectl role grant-permission shoal-read read /shoal/ --prefix=true >/dev/null
ectl user grant-role shoal shoal-read >/dev/null
ectl auth enable >/dev/null
ectl --user root:rootpw put "/shoal/backends/$VIP:80/tcp/198.51.100.12" '{"weight": 1}' >/dev/null
check "etcd refuses a reader without credentials (auth is on)" \
	bash -c "! ETCDCTL_API=3 ip netns exec $R etcdctl --endpoints http://$EP get /shoal/ --prefix >/dev/null 2>&1"

lab_shoald_config "$VIP" 1
{
	echo "discovery:"
	echo "  type: etcd"
	echo "  endpoints: [http://$EP]"
	echo "  username: shoal"
	echo "  password_file: $LAB_DIR/etcd.pw"
} >>"$LAB_DIR/shoal.yaml"
echo wrongpw >"$LAB_DIR/etcd.pw"
lab_shoald_start || exit 1
backends() {
	lbctl -o json status | jq -r ".result | .vips[] | select(.vip == \"$VIP:80/tcp\") | [.backends[].address] | sort | join(\",\")"
}
disc() { lbctl -o json status | jq -r ".result | .discovery.$1"; }
check "a wrong password: the agent says authentication failed" \
	wait_until 5 bash -c "$(declare -f lbctl disc); LAB_DIR=$LAB_DIR BUILD=$BUILD; disc last_error | grep -q 'authentication failed'"
check "... and the tables keep the file's backend only" [ "$(backends)" = 198.51.100.11 ]

kill "$SHOALD_PID"
wait "$SHOALD_PID" 2>/dev/null
echo shoalpw >"$LAB_DIR/etcd.pw"
lab_shoald_start shoald-right || exit 1
check "the right password: the prefix is read and its backend joins" \
	wait_until 5 bash -c "$(declare -f lbctl backends); LAB_DIR=$LAB_DIR BUILD=$BUILD VIP=$VIP; [ \"\$(backends)\" = 198.51.100.11,198.51.100.12 ]"
ectl --user root:rootpw put "/shoal/backends/$VIP:80/tcp/198.51.100.13" '{"weight": 1}' >/dev/null
check "with a token, the watch delivers the next change" \
	wait_until 5 bash -c "$(declare -f lbctl backends); LAB_DIR=$LAB_DIR BUILD=$BUILD VIP=$VIP; [ \"\$(backends)\" = 198.51.100.11,198.51.100.12,198.51.100.13 ]"
check "status: watching" [ "$(disc state)" = watching ]

lab_summary
