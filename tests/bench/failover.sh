#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Failover figures from the anycast lab (make bench): how long the router (BIRD 2)
# keeps a lost shoal host in its ECMP group with BFD (lb1: kill -9 and link
# down) and without (lb2: the same, BGP hold time 9 s, graceful restart on),
# and the share of 64 long-lived connections through the lost host that kept
# working. Runs tests/e2e/test_anycast.sh with ANYCAST_BENCH=1, RUNS times.
set -u
RUNS=${RUNS:-3}
for ((r = 1; r <= RUNS; r++)); do
	out=$(ANYCAST_BENCH=1 "$(dirname "$0")/../e2e/test_anycast.sh" 2>&1)
	echo "run $r: $(echo "$out" | grep -E '^# host loss|^kept|^longest|passed' | tr '\n' ';')"
done
