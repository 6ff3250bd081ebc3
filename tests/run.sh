#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Runs every test: unit (Check, ASan/UBSan), fuzz (a short libFuzzer run of each
# harness), bpf (Check + BPF_PROG_TEST_RUN), e2e (namespace labs).
# Usage: tests/run.sh [unit|fuzz|bpf|e2e]...
# Ends with the total as "total: N passed, N failed"; exits non-zero on any failure.
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
export BUILD="$PWD/$BUILD"
kinds=("$@")
[ ${#kinds[@]} -eq 0 ] && kinds=(unit fuzz bpf e2e)

if [ "$(id -u)" != 0 ]; then
	echo "tests/run.sh: the bpf and e2e tests need root" >&2
	exit 1
fi
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
# ASan's leak checker cannot follow libbpf's forked test runs reliably; leaks are
# checked in the unit tests, which do not fork into BPF.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

passed=0
failed=0
broken=()

run_check() {
	local bin=$1 out line n f e
	echo "== $(basename "$bin")"
	out=$("$bin" 2>&1)
	local rc=$?
	echo "$out" | grep -v '^Running suite'
	line=$(echo "$out" | grep -E 'Checks: [0-9]+, Failures: [0-9]+, Errors: [0-9]+' | tail -n1)
	if [ -z "$line" ]; then
		failed=$((failed + 1))
		broken+=("$bin (no summary, exit $rc)")
		return
	fi
	n=$(sed -E 's/.*Checks: ([0-9]+).*/\1/' <<<"$line")
	f=$(sed -E 's/.*Failures: ([0-9]+).*/\1/' <<<"$line")
	e=$(sed -E 's/.*Errors: ([0-9]+).*/\1/' <<<"$line")
	passed=$((passed + n - f - e))
	failed=$((failed + f + e))
	[ "$rc" -ne 0 ] && [ $((f + e)) -eq 0 ] && { failed=$((failed + 1)); broken+=("$bin exit $rc"); }
	[ $((f + e)) -gt 0 ] && broken+=("$bin")
}

# a short, fixed-length fuzz run of each harness over its seed corpus
run_fuzz() {
	local bin=$1 name out
	name=$(basename "$bin")
	echo "== $name (20000 runs)"
	# new inputs go to the first directory: a scratch one, never the seeds in git
	rm -rf "$BUILD/fuzz/$name.run" && mkdir -p "$BUILD/fuzz/$name.run"
	if out=$("$bin" -runs=20000 -seed=1 -artifact_prefix="$BUILD/fuzz/" \
		"$BUILD/fuzz/$name.run" "tests/fuzz/corpus/${name#fuzz_}" 2>&1); then
		passed=$((passed + 1))
		echo "$out" | tail -n1
	else
		echo "$out" | tail -n 30
		failed=$((failed + 1))
		broken+=("$bin")
	fi
}

run_shell() {
	local script=$1 out line p f
	echo "== $(basename "$script")"
	out=$(timeout 600 bash "$script" 2>&1)
	local rc=$?
	echo "$out"
	line=$(echo "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n1)
	if [ -z "$line" ]; then
		failed=$((failed + 1))
		broken+=("$script (no summary, exit $rc)")
		return
	fi
	p=${line%% passed*}
	f=$(sed -E 's/.* ([0-9]+) failed/\1/' <<<"$line")
	passed=$((passed + p))
	failed=$((failed + f))
	[ "$f" -gt 0 ] || [ "$rc" -ne 0 ] && broken+=("$script")
}

# the agent's labs once more with shoald built under ASan/UBSan: any report fails them
# (ASan's allocator keeps freed memory a while: the hostile lab's RSS cap is raised to match)
run_agent_asan() {
	local logs t
	logs=$(mktemp -d /tmp/shoald-asan.XXXXXX)
	for t in tests/e2e/test_agent.sh tests/e2e/test_hostile.sh tests/e2e/test_anycast.sh; do
		echo "== $(basename "$t") with shoald under ASan/UBSan"
		SHOALD="$BUILD/shoald-asan" RSS_CAP_KB=131072 \
			ASAN_OPTIONS="detect_leaks=1:quarantine_size_mb=32:log_path=$logs/asan" \
			UBSAN_OPTIONS="print_stacktrace=1:log_path=$logs/ubsan" run_shell "$t"
	done
	if compgen -G "$logs/*" >/dev/null; then
		cat "$logs"/* | head -n 60
		failed=$((failed + 1))
		broken+=("shoald under ASan/UBSan")
	else
		echo "no ASan/UBSan reports"
	fi
	rm -rf "$logs"
}

for kind in "${kinds[@]}"; do
	case $kind in
	unit)
		for t in "$BUILD"/tests/test_maglev "$BUILD"/tests/test_addr "$BUILD"/tests/test_config \
			"$BUILD"/tests/test_state "$BUILD"/tests/test_ctl_proto "$BUILD"/tests/test_ids \
			"$BUILD"/tests/test_reconcile "$BUILD"/tests/test_http \
			"$BUILD"/tests/test_health "$BUILD"/tests/test_bgpwire; do run_check "$t"; done ;;
	bpf)
		for t in "$BUILD"/tests/test_lb_{encap,flows,sched,icmp,hostile,checks} \
			"$BUILD"/tests/test_decap "$BUILD"/tests/test_apply; do
			run_check "$t"; done ;;
	fuzz)
		for t in "$BUILD"/fuzz/fuzz_config "$BUILD"/fuzz/fuzz_ctl "$BUILD"/fuzz/fuzz_save \
			"$BUILD"/fuzz/fuzz_http "$BUILD"/fuzz/fuzz_netlink "$BUILD"/fuzz/fuzz_check_reply \
			"$BUILD"/fuzz/fuzz_bgp "$BUILD"/fuzz/fuzz_bfd; do
			run_fuzz "$t"; done ;;
	e2e)
		for t in tests/e2e/test_*.sh; do run_shell "$t"; done
		run_agent_asan ;;
	*)
		echo "tests/run.sh: unknown kind '$kind' (unit, fuzz, bpf, e2e)" >&2
		exit 2 ;;
	esac
done

for b in "${broken[@]}"; do echo "failed: $b"; done
echo "total: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ ${#broken[@]} -eq 0 ]
