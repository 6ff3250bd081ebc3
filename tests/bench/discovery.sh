#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# What discovery costs to converge (make bench): two shoal hosts follow one
# etcd (Debian's etcd-server, in the lab); N backend keys (default 1,000) are
# written as fast as eight etcdctl processes go, then the time until both
# agents show the same table of all N is measured from the last write.
# Usage: tests/bench/discovery.sh [N]
set -u
FLEET_BENCH=${1:-1000} exec "$(dirname "$0")/../e2e/test_discovery_fleet.sh"
