#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# shellcheck disable=SC2034  # LB_PID, SHOALD_PID and friends are for the scripts that source this
# The namespace lab shared by the end-to-end scenarios.
#
#   client (203.0.113.2) -- router -- fabric bridge 198.51.100.0/24 -- lb (198.51.100.2)
#                                                                  \-- backends .11 .12 ...
#
# The router sends VIP traffic to the lb; the lb encapsulates it to a backend
# through the router (its gateway); backends decapsulate, hold the VIP on lo,
# and answer the client directly through the router.
#
# Every name carries a per-run prefix; lab_cleanup removes all of them and is
# installed as an EXIT trap by lab_init.

LAB_PREFIX="${LAB_PREFIX:-sh$$}"
LAB_PIDS=()
LAB_DIR=""
PASSED=0
FAILED=0
BUILD="${BUILD:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build}"
LAB_LIB="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SHOALD="${SHOALD:-$BUILD/shoald}" # tests/run.sh also runs the agent lab with an ASan build

# jq that fails on empty input: jq 1.6 -e exits 0 when it reads nothing, so a
# check like "lbctl ... | jq -e COND" would pass when lbctl printed nothing.
# Exported, so checks run through bash -c get it too.
jq() {
	local a in
	for a in "$@"; do
		[ -f "$a" ] && { command jq "$@"; return; }
	done
	in=$(cat)
	if [ -z "$in" ]; then
		echo "jq: no input (the command before it printed nothing)" >&2
		return 5
	fi
	printf '%s\n' "$in" | command jq "$@"
}
export -f jq

ns() { echo "${LAB_PREFIX}-$1"; }
in_ns() { local n; n=$(ns "$1"); shift; ip netns exec "$n" "$@"; }

lab_cleanup() {
	local pid n
	# LAB_SHOW_LOGS=1: the agents' logs, to see why a run failed
	[ -n "${LAB_SHOW_LOGS:-}" ] && [ -n "$LAB_DIR" ] && tail -n 40 "$LAB_DIR"/shoald*.log
	# LAB_KEEP_LOGS=DIR: every log of the run, copied there
	[ -n "${LAB_KEEP_LOGS:-}" ] && [ -n "$LAB_DIR" ] && mkdir -p "$LAB_KEEP_LOGS" &&
		cp "$LAB_DIR"/*.log "$LAB_KEEP_LOGS"/
	for pid in "${LAB_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	for pid in "${LAB_PIDS[@]}"; do
		wait "$pid" 2>/dev/null
	done
	LAB_PIDS=()
	for n in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^${LAB_PREFIX}-"); do
		# processes left in the namespace (servers) go with it
		ip netns pids "$n" 2>/dev/null | xargs -r kill 2>/dev/null
		ip netns del "$n" 2>/dev/null
	done
	# pinned maps and links of agents this run started, and their lock files
	rm -rf /sys/fs/bpf/"${LAB_PREFIX}"-* 2>/dev/null
	rm -f /run/shoal/agent-sys-fs-bpf-"${LAB_PREFIX}"-*.lock 2>/dev/null
	rm -f /run/shoal/discovery-sys-fs-bpf-"${LAB_PREFIX}"-*.json* 2>/dev/null
	[ -n "$LAB_DIR" ] && rm -rf "$LAB_DIR"
	LAB_DIR=""
}

lab_init() {
	trap lab_cleanup EXIT
	trap 'exit 130' INT TERM
	LAB_DIR=$(mktemp -d "/tmp/${LAB_PREFIX}.XXXXXX")
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
}

# lab_bg NAME CMD...: runs CMD in the background (output in $LAB_DIR/NAME.log),
# remembered for cleanup; its pid is left in LAST_PID
lab_bg() {
	local log="$LAB_DIR/$1.log"; shift
	"$@" >"$log" 2>&1 &
	LAST_PID=$!
	LAB_PIDS+=("$LAST_PID")
}

# wait_for FILE PATTERN [SECONDS]
wait_for() {
	local i
	for ((i = 0; i < ${3:-10} * 10; i++)); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "timed out waiting for '$2' in $1:" >&2
	cat "$1" >&2
	return 1
}

# wait_until SECONDS CMD...: until CMD succeeds (re-evaluated each 0.1 s); its status
wait_until() {
	local i n=$(($1 * 10))
	shift
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

# lab_host NAME ADDR/LEN GATEWAY ROUTER_PORT: namespace NAME with eth0 (ADDR),
# its peer ROUTER_PORT in the router namespace, default route via GATEWAY
lab_host() {
	local n r
	n=$(ns "$1"); r=$(ns router)
	ip netns add "$n"
	ip -n "$n" link set lo up
	ip netns exec "$n" sysctl -qw net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.default.rp_filter=0
	ip link add "${LAB_PREFIX}$1" netns "$n" type veth peer name "$4" netns "$r"
	ip -n "$n" link set "${LAB_PREFIX}$1" name eth0
	ip -n "$n" addr add "$2" dev eth0
	ip -n "$n" link set eth0 up
	ip -n "$n" route add default via "$3"
}

# lab_topology NBACKENDS: builds router, client, lb and backends b1..bN
lab_topology() {
	local nb=$1 i r
	r=$(ns router)
	ip netns add "$r"
	ip -n "$r" link set lo up
	ip netns exec "$r" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.default.rp_filter=0 net.ipv4.conf.all.send_redirects=0 \
		net.ipv4.conf.default.send_redirects=0
	ip -n "$r" link add br0 type bridge
	ip -n "$r" link set br0 up
	ip -n "$r" addr add 198.51.100.1/24 dev br0

	lab_host client 203.0.113.2/24 203.0.113.1 rc
	ip -n "$r" addr add 203.0.113.1/24 dev rc
	ip -n "$r" link set rc up
	# a veth hands on CHECKSUM_PARTIAL packets whose L4 checksum is not yet
	# filled in; XDP would forward them as they are, and the backend's kernel
	# would drop them. A wire always carries full checksums: make the lab do so.
	ip netns exec "$(ns client)" ethtool -K eth0 tx off >/dev/null

	# XDP_TX into a veth is dropped unless the peer runs NAPI; GRO alone did
	# not do it for a bridge port here, an XDP program on the peer does
	lab_host lb 198.51.100.2/24 198.51.100.1 rlb
	ip -n "$r" link set rlb master br0 up
	ip -n "$r" link set rlb xdpdrv obj "$BUILD/napi_pass.bpf.o" sec xdp

	for ((i = 1; i <= nb; i++)); do
		lab_host "b$i" "198.51.100.$((10 + i))/24" 198.51.100.1 "rb$i"
		ip -n "$r" link set "rb$i" master br0 up
	done
}

# lab_backends VIP N [VIP...]: backends b1..bN hold VIP (and the other VIPs) on lo,
# decapsulate with shoal's
# program (the last one on tc ingress, the others in XDP) and serve
# $LAB_DIR/wwwI (an "id" file naming the backend) over HTTP (web_server.py: a POST
# is answered with the SHA-256 of what the backend received)
lab_backends() {
	local vip=$1 nb=$2 i b tc v
	shift 2
	for v in "$vip" "$@"; do ip -n "$(ns router)" route add "$v/32" via 198.51.100.2; done
	for ((i = 1; i <= nb; i++)); do
		b=$(ns "b$i")
		for v in "$vip" "$@"; do ip -n "$b" addr add "$v/32" dev lo; done
		mkdir -p "$LAB_DIR/www$i"
		echo "backend-$i" >"$LAB_DIR/www$i/id"
		lab_bg "srv$i" ip netns exec "$b" python3 "$LAB_LIB/web_server.py" "$vip" 80 \
			"$LAB_DIR/www$i"
		tc=()
		[ "$i" -eq "$nb" ] && tc=(--tc)
		lab_bg "decap$i" ip netns exec "$b" "$BUILD/shoal-lab" decap eth0 "${tc[@]}" "$vip" "$@"
	done
}

# lab_wait_backends VIP N: until every backend's decap and server are up
lab_wait_backends() {
	local vip=$1 nb=$2 i
	for ((i = 1; i <= nb; i++)); do
		wait_for "$LAB_DIR/decap$i.log" ready || return 1
		# the server is up once it accepts on the VIP inside its namespace
		for _ in $(seq 50); do
			ip netns exec "$(ns "b$i")" curl -s -o /dev/null "http://$vip/id" && break
			sleep 0.1
		done
	done
}

# lab_balancer VIP N: shoal-lab's balancer on the lb's eth0 for VIP:80/tcp over
# backends 198.51.100.11..; its pid in LB_PID, its log $LAB_DIR/lb.log
lab_balancer() {
	local vip=$1 nb=$2 i backends=()
	for ((i = 1; i <= nb; i++)); do backends+=(--backend "198.51.100.$((10 + i))"); done
	lab_bg lb ip netns exec "$(ns lb)" "$BUILD/shoal-lab" lb eth0 \
		--gw-mac "$(mac router br0)" --src4 198.51.100.2 --vip "$vip:80/tcp" "${backends[@]}"
	LB_PID=$LAST_PID
	wait_for "$LAB_DIR/lb.log" ready
}

# lab_echo_backends VIP PORT N: an echo server (echo_server.py) on VIP:PORT in each backend
lab_echo_backends() {
	local vip=$1 port=$2 nb=$3 i
	for ((i = 1; i <= nb; i++)); do
		lab_bg "echo$i" ip netns exec "$(ns "b$i")" python3 "$LAB_LIB/echo_server.py" \
			"$vip" "$port" "backend-$i"
	done
}

# lab_shoald_config VIP N: writes $LAB_DIR/shoal.yaml for the lb namespace
lab_shoald_config() {
	local vip=$1 nb=$2 i
	{
		echo "host:"
		echo "  interface: eth0"
		echo "  hash_seed: 0x5eed"
		echo "  source_v4: 198.51.100.2"
		echo "  control_socket: $LAB_DIR/shoald.sock"
		echo "  metrics: 127.0.0.1:9435"
		echo "  pin_path: /sys/fs/bpf/${LAB_PREFIX}-lb"
		echo "  flow_table_size: 65536"
		echo "services:"
		for port in 80 7000; do
			echo "  - name: svc$port"
			echo "    vip: $vip"
			echo "    port: $port"
			echo "    backends:"
			for ((i = 1; i <= nb; i++)); do echo "      - 198.51.100.$((10 + i))"; done
		done
	} >"$LAB_DIR/shoal.yaml"
}

# lab_shoald_start [LOGNAME]: shoald in the lb namespace (nsenter keeps bpffs
# usable; ip netns exec would remount /sys); waits for "ready", pid in SHOALD_PID
lab_shoald_start() {
	local log=${1:-shoald}
	lab_bg "$log" nsenter --net="/run/netns/$(ns lb)" "$SHOALD" -c "$LAB_DIR/shoal.yaml"
	SHOALD_PID=$LAST_PID
	wait_for "$LAB_DIR/$log.log" "ready:"
}

# lab_etcd_start CLIENT_ADDR: the lab's etcd (Debian's etcd-server) in the router's
# namespace, its data in $LAB_DIR/etcd (the same on every start); pid in ETCD_PID.
# With ETCD_PKI=DIR (see lab_pki): https, and a client certificate required.
lab_etcd_start() {
	local scheme=http tls=() ctl=()
	if [ -n "${ETCD_PKI:-}" ]; then
		scheme=https
		tls=(--cert-file "$ETCD_PKI/server.pem" --key-file "$ETCD_PKI/server.key"
			--trusted-ca-file "$ETCD_PKI/ca.pem" --client-cert-auth)
		ctl=(--cacert "$ETCD_PKI/ca.pem" --cert "$ETCD_PKI/client.pem" --key "$ETCD_PKI/client.key")
	fi
	lab_bg etcd ip netns exec "$(ns router)" etcd --name shoal-lab --data-dir "$LAB_DIR/etcd" \
		--listen-client-urls "$scheme://$1" --advertise-client-urls "$scheme://$1" \
		--listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
		--initial-cluster shoal-lab=http://127.0.0.1:2380 "${tls[@]}"
	ETCD_PID=$LAST_PID
	for _ in $(seq 100); do
		ETCDCTL_API=3 ip netns exec "$(ns router)" etcdctl --endpoints "$scheme://$1" "${ctl[@]}" \
			${ETCD_USER:+--user "$ETCD_USER"} endpoint health >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "etcd did not start" >&2
	return 1
}

# lab_pki DIR IP NAME: a CA (ca.pem), a certificate for etcd at IP and NAME
# (server.pem/key) and a client certificate (client.pem/key), all in DIR
lab_pki() {
	local d=$1 n
	mkdir -p "$d"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj "/CN=shoal lab CA" -keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null || return 1
	# etcd's gateway dials etcd itself with the server's certificate: client use too
	printf 'subjectAltName=IP:%s,DNS:%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$2" "$3" \
		>"$d/server.ext"
	printf 'extendedKeyUsage=clientAuth\n' >"$d/client.ext"
	for n in server client; do
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=shoal-lab-$n" \
			-keyout "$d/$n.key" -out "$d/$n.csr" 2>/dev/null &&
		openssl x509 -req -in "$d/$n.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
			-days 2 -extfile "$d/$n.ext" -out "$d/$n.pem" 2>/dev/null || return 1
	done
}
lab_etcd_stop() { kill "$ETCD_PID"; wait "$ETCD_PID" 2>/dev/null; }

# lbctl ARGS...: the CLI against the lab's agent
lbctl() { "$BUILD/lbctl" -s "$LAB_DIR/shoald.sock" "$@"; }

# mac NS IFACE
mac() { ip -n "$(ns "$1")" -j link show "$2" | jq -r '.[0].address'; }

# check NAME CMD...: one test step, counted
check() {
	local name=$1; shift
	if "$@"; then
		echo "ok   - $name"
		PASSED=$((PASSED + 1))
	else
		echo "FAIL - $name"
		FAILED=$((FAILED + 1))
	fi
}

lab_summary() {
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
}
