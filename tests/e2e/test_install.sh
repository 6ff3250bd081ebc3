#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# What an operator installs: make install into a DESTDIR (the FHS layout),
# the installed binaries check the installed examples, the man pages and the
# bash completion work, the units' sandbox is rated by systemd-analyze, and
# the installed agent serves real traffic with only the capabilities its unit
# grants (and fails without CAP_NET_ADMIN: the bounding set really applies).
set -u
. "$(dirname "$0")/lib.sh"

VIP=192.0.2.10
lab_init
ROOT=$LAB_DIR/root
make --no-print-directory -s -C "$(dirname "$0")/../.." install DESTDIR="$ROOT" BUILD="$BUILD" >/dev/null ||
	{ echo "make install failed"; exit 1; }

expected="/etc/shoal
/lib/systemd/system/shoal-decap.service
/lib/systemd/system/shoald.service
/usr/bin/lbctl
/usr/lib/shoal/decap.bpf.o
/usr/lib/shoal/lb.bpf.o
/usr/sbin/shoal-decap
/usr/sbin/shoald
/usr/share/bash-completion/completions/lbctl
/usr/share/doc/shoal/BENCHMARKS.md
/usr/share/doc/shoal/README.md
/usr/share/doc/shoal/examples/alerts.yaml
/usr/share/doc/shoal/examples/decap.yaml
/usr/share/doc/shoal/examples/grafana-dashboard.json
/usr/share/doc/shoal/examples/shoal.yaml
/usr/share/man/man5/shoal.yaml.5
/usr/share/man/man8/lbctl.8
/usr/share/man/man8/shoal-decap.8
/usr/share/man/man8/shoald.8"
installed=$(cd "$ROOT" && { find . -type f; find . -type d -empty; } | sed 's|^\.||' | sort)
check "make install lays out the FHS paths, nothing more, nothing less" [ "$installed" = "$expected" ]
if [ "$installed" != "$expected" ]; then diff <(echo "$expected") <(echo "$installed"); fi
check "/etc/shoal is created, mode 0750" [ "$(stat -c %a "$ROOT/etc/shoal")" = 750 ]
check "the installed shoald --check passes the installed example" \
	"$ROOT/usr/sbin/shoald" --check -c "$ROOT/usr/share/doc/shoal/examples/shoal.yaml"
check "the installed shoal-decap checks the installed decap example" \
	"$ROOT/usr/sbin/shoal-decap" check -c "$ROOT/usr/share/doc/shoal/examples/decap.yaml"
check "installed lbctl --help: usage on stdout, exit 0" \
	bash -c "'$ROOT/usr/bin/lbctl' --help | grep -q '^usage: lbctl'"
PROMTOOL=$(command -v promtool || echo /usr/local/lib/shoal-deps/promtool)
check "promtool checks the installed alert rules" "$PROMTOOL" check rules "$ROOT/usr/share/doc/shoal/examples/alerts.yaml"
check "promtool's unit tests of the alerts: each fires on what it names, not before" \
	bash -c "cd $(dirname "$0")/../alerts && $PROMTOOL test rules alerts_test.yaml >/dev/null"
dashboard_ok() {
	local d=$ROOT/usr/share/doc/shoal/examples/grafana-dashboard.json
	# shellcheck disable=SC2016 # $window is Grafana's variable, not the shell's
	jq -e '[.panels[].targets[]?.expr | select(test("rate\\(") and (contains("[$window]") | not))]
		| length == 0' "$d" >/dev/null &&
		jq -e '[.panels[].title] | index("Bytes/s per VIP") and index("Bytes/s per backend")' \
			"$d" >/dev/null
}
check "the Grafana dashboard: its rates use the window variable, bytes panels included" dashboard_ok
check "shoald --version names the map ABI" bash -c "'$ROOT/usr/sbin/shoald' --version | grep -q 'map ABI'"
check "the man pages are roff with their names (shoal.yaml(5) lists every reference key)" \
	bash -c "grep -q '^.TH \"shoald\" \"8\"' $ROOT/usr/share/man/man8/shoald.8 &&
		grep -q '^.TH \"shoal.yaml\" \"5\"' $ROOT/usr/share/man/man5/shoal.yaml.5 &&
		[ \$(grep -c '^\\\\fBhost\\.\\|^\\\\fBdiscovery\\.\\|^\\\\fBbgp\\.' $ROOT/usr/share/man/man5/shoal.yaml.5) -ge 30 ]"
check "the units point at the installed paths" \
	bash -c "grep -q '^ExecStart=/usr/sbin/shoald -c /etc/shoal/shoal.yaml' $ROOT/lib/systemd/system/shoald.service &&
		grep -q '^ExecStart=/usr/sbin/shoal-decap up -c /etc/shoal/decap.yaml' $ROOT/lib/systemd/system/shoal-decap.service"
for unit in shoald shoal-decap; do
	exposure=$(systemd-analyze security --offline=true "$ROOT/lib/systemd/system/$unit.service" 2>/dev/null |
		sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
	check "systemd-analyze security rates $unit.service ${exposure:-?} (at most 3)" \
		awk -v e="${exposure:-99}" 'BEGIN { exit !(e <= 3.0) }'
done

# the agent as its unit runs it: root, but only the unit's capabilities
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$ROOT/lib/systemd/system/shoald.service")
bset=-all$(for c in $caps; do c=${c#CAP_}; printf ',+%s' "${c,,}"; done)
lab_topology 2
lab_backends "$VIP" 2
lab_shoald_config "$VIP" 2
# stderr made the "journal stream" as systemd does (JOURNAL_STREAM=dev:inode of it)
cat >"$LAB_DIR/shoald-unit" <<EOS
#!/bin/sh
JOURNAL_STREAM=\$(stat -L -c '%d:%i' /proc/self/fd/2)
export JOURNAL_STREAM
exec setpriv --bounding-set=$bset -- $ROOT/usr/sbin/shoald "\$@"
EOS
chmod +x "$LAB_DIR/shoald-unit"
check "the unit's bounding set lacks CAP_SYS_ADMIN ($bset)" bash -c "! echo '$bset' | grep -q sys_admin"
export SHOALD=$LAB_DIR/shoald-unit
lab_shoald_start || exit 1
lab_wait_backends "$VIP" 2 || exit 1
C=$(ns client)
reached() { for _ in $(seq 30); do ip netns exec "$C" curl -s --max-time 2 "http://$VIP/id"; done | sort -u | wc -l; }
check "with only the unit's capabilities the installed agent serves (2 backends answer)" [ "$(reached)" -eq 2 ]
check "... lookup runs the live program" \
	bash -c "$ROOT/usr/bin/lbctl -s $LAB_DIR/shoald.sock lookup 203.0.113.5:4000 $VIP:80 | grep -q 198.51.100.1"
check "... the effective capabilities are the unit's" \
	bash -c "grep -q \"^CapEff:.*$(printf '%016x' $(( (1 << 39) | (1 << 38) | (1 << 12) | (1 << 10) )))\" /proc/$(pgrep -f "$ROOT/usr/sbin/shoald" | head -1)/status"
# bash completion against the running agent
check "completion: commands, then VIPs from the running agent, then its backends" \
	bash -c "PATH=$ROOT/usr/bin:\$PATH; . $ROOT/usr/share/bash-completion/completions/lbctl
		COMP_WORDS=(lbctl st); COMP_CWORD=1; _lbctl; [ \"\${COMPREPLY[*]}\" = 'status stats' ] || exit 1
		COMP_WORDS=(lbctl -s $LAB_DIR/shoald.sock backend drain ''); COMP_CWORD=5; _lbctl
		printf '%s\n' \"\${COMPREPLY[@]}\" | grep -qx '$VIP:80/tcp' || exit 1
		COMP_WORDS=(lbctl -s $LAB_DIR/shoald.sock backend drain $VIP:80/tcp ''); COMP_CWORD=6; _lbctl
		printf '%s\n' \"\${COMPREPLY[@]}\" | grep -qx 198.51.100.12"
metrics_ok() {
	local m
	m=$(ip netns exec "$(ns lb)" curl -s http://127.0.0.1:9435/metrics)
	for c in passed_total tx_packets_total fragments_forwarded_total checks_tunneled_total \
		checks_refused_total packet_too_big_suppressed_total echo_replied_total \
		flow_inserts_refused_total; do
		grep -q "^shoal_$c [0-9]" <<<"$m" || { echo "no shoal_$c"; return 1; }
	done
	grep -q '^shoal_flow_table_capacity 65536$' <<<"$m"
}
check "metrics: every data-plane counter of the name table, and the flow table's capacity" metrics_ok
# the journal: priorities, no second timestamp, and who changed what
LOG=$LAB_DIR/shoald.log
check "under the journal every line carries a priority prefix and no timestamp of its own" \
	bash -c "grep -q '^<6>ready:' $LOG && ! grep -v '^<[3467]>' $LOG | grep -q . && ! grep -q '^<[0-9]>[0-9-]*T[0-9:.]*Z' $LOG"
"$ROOT/usr/bin/lbctl" -s "$LAB_DIR/shoald.sock" backend drain "$VIP:80/tcp" 198.51.100.12 >/dev/null
check "a change is logged once with who made it (the lbctl peer's uid and pid)" \
	bash -c "[ \$(grep -c '^<6>.*198.51.100.12 of $VIP:80/tcp, by lbctl (uid 0, pid [1-9][0-9]*)' $LOG) -eq 1 ]"
cp "$LAB_DIR/shoal.yaml" "$LAB_DIR/good.yaml"
echo 'host: [' >"$LAB_DIR/shoal.yaml"
"$ROOT/usr/bin/lbctl" -s "$LAB_DIR/shoald.sock" reload >/dev/null 2>&1
mv "$LAB_DIR/good.yaml" "$LAB_DIR/shoal.yaml"
check "an error is at priority err (journalctl -p err finds it), with who caused it" \
	grep -q '^<3>reload by lbctl (uid 0, pid [0-9]*) refused' "$LOG"
kill "$SHOALD_PID"
wait "$SHOALD_PID" 2>/dev/null
cat >"$LAB_DIR/shoald-nonet" <<EOS
#!/bin/sh
exec setpriv --bounding-set=-all,+bpf,+perfmon -- $ROOT/usr/sbin/shoald "\$@"
EOS
chmod +x "$LAB_DIR/shoald-nonet"
check "without CAP_NET_ADMIN the agent cannot take over the interface (the set applies)" \
	bash -c "! timeout 10 nsenter --net=/run/netns/$(ns lb) $LAB_DIR/shoald-nonet -c $LAB_DIR/shoal.yaml >$LAB_DIR/nonet.log 2>&1"
# a broken file must not keep an operator from taking the balancer down: an
# agent on the default pin path (/sys/fs/bpf/shoal/eth0), then --detach -i eth0
"$ROOT/usr/sbin/shoald" --detach -c "$LAB_DIR/shoal.yaml" >/dev/null 2>&1
DEFPIN=/sys/fs/bpf/shoal/eth0
if [ -e "$DEFPIN" ]; then
	check "$DEFPIN is free for this test" false
else
	trap 'rm -rf "$DEFPIN" /run/shoal/agent-sys-fs-bpf-shoal-eth0.lock; rmdir /sys/fs/bpf/shoal 2>/dev/null; lab_cleanup' EXIT
	grep -v '^  pin_path:' "$LAB_DIR/shoal.yaml" >"$LAB_DIR/default-pins.yaml"
	mv "$LAB_DIR/default-pins.yaml" "$LAB_DIR/shoal.yaml"
	export SHOALD=$ROOT/usr/sbin/shoald
	lab_shoald_start shoald-default || exit 1
	kill "$SHOALD_PID"
	wait "$SHOALD_PID" 2>/dev/null
	echo 'host: [' >"$LAB_DIR/broken.yaml"
	check "shoald --detach with a broken file still removes the data plane (-i names it)" \
		bash -c "nsenter --net=/run/netns/$(ns lb) $ROOT/usr/sbin/shoald --detach -c $LAB_DIR/broken.yaml -i eth0 2>/dev/null && [ ! -e $DEFPIN ] && ! ip -n $(ns lb) link show eth0 | grep -q xdp"
fi

# the Debian packages, built from a copy of the tree (dpkg-buildpackage writes beside it)
if command -v dpkg-buildpackage >/dev/null; then
	SRC=$LAB_DIR/pkg/shoal
	mkdir -p "$SRC"
	(cd "$(dirname "$0")/../.." && tar --exclude=./build --exclude=./build-deb --exclude=./.git -cf - .) |
		(cd "$SRC" && tar xf -)
	check "dpkg-buildpackage -b builds shoal and shoal-decap" \
		bash -c "cd $SRC && DEB_BUILD_OPTIONS='parallel=$(nproc)' dpkg-buildpackage -b -us -uc >$LAB_DIR/deb.log 2>&1 || { tail -n 30 $LAB_DIR/deb.log; exit 1; }"
	contents() { dpkg-deb -c "$1" | awk '$1 !~ /^d/ {print $6}' | sed 's|^\./|/|' | grep -v '^/usr/share/doc/[^/]*/changelog\|copyright$' | sort; }
	check "shoal's package holds what it should" \
		[ "$(contents "$LAB_DIR"/pkg/shoal_*_*.deb | tr '\n' ' ')" = "/lib/systemd/system/shoald.service /usr/bin/lbctl /usr/lib/shoal/lb.bpf.o /usr/sbin/shoald /usr/share/bash-completion/completions/lbctl /usr/share/doc/shoal/BENCHMARKS.md.gz /usr/share/doc/shoal/README.md.gz /usr/share/doc/shoal/examples/alerts.yaml /usr/share/doc/shoal/examples/grafana-dashboard.json /usr/share/doc/shoal/examples/shoal.yaml /usr/share/lintian/overrides/shoal /usr/share/man/man5/shoal.yaml.5.gz /usr/share/man/man8/lbctl.8.gz /usr/share/man/man8/shoald.8.gz " ]
	check "shoal-decap's package holds what it should" \
		[ "$(contents "$LAB_DIR"/pkg/shoal-decap_*_*.deb | tr '\n' ' ')" = "/lib/systemd/system/shoal-decap.service /usr/lib/shoal/decap.bpf.o /usr/sbin/shoal-decap /usr/share/doc/shoal-decap/examples/decap.yaml /usr/share/lintian/overrides/shoal-decap /usr/share/man/man8/shoal-decap.8.gz " ]
	if command -v lintian >/dev/null; then
		lintian "$LAB_DIR"/pkg/shoal*_*.deb >"$LAB_DIR/lintian.txt" 2>&1
		check "lintian: no error and no warning (tags kept: $(grep -c . "$LAB_DIR/lintian.txt"))" \
			bash -c "! grep -q '^[EW]:' $LAB_DIR/lintian.txt || { cat $LAB_DIR/lintian.txt; exit 1; }"
	fi
fi

lab_summary
