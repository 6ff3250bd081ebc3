#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Measures the balancer of a git revision (default: the one before the flow
# table of issue 10, ABI 5) beside this build's, in the same runs:
#   tests/bench/compare.sh [REV]
# builds REV's lb.bpf.o in a temporary worktree, then runs lbbench dataplane
# and lbbench flood with --old. The worktree is removed on exit.
set -u
cd "$(dirname "$0")/../.." || exit 1
REV=${1:-ee6f884}
BUILD=${BUILD:-build}
tree=$(mktemp -d /tmp/shoal-old.XXXXXX)
cleanup() {
	git worktree remove --force "$tree" >/dev/null 2>&1
	rm -rf "$tree"
}
trap cleanup EXIT
git worktree add --detach "$tree" "$REV" >/dev/null 2>&1 || {
	# a shallow clone lacks the history: the comparison is skipped, not failed
	echo "compare.sh: $REV is not in this clone (shallow?): comparison skipped" >&2
	exit 0
}
make -C "$tree" -s build/lb.bpf.o >/dev/null || exit 1
echo "== lbbench dataplane: this build against $REV"
"$BUILD/lbbench" dataplane --old "$tree/build/lb.bpf.o" || exit 1
echo "== lbbench flood: this build against $REV"
"$BUILD/lbbench" flood --old "$tree/build/lb.bpf.o" || exit 1
