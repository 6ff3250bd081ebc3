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
cat >"$LAB_DIR/shoald-unit" <<EOS
#!/bin/sh
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
	trap 'rm -rf "$DEFPIN"; rmdir /sys/fs/bpf/shoal 2>/dev/null; lab_cleanup' EXIT
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

lab_summary
