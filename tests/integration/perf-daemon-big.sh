#!/usr/bin/env bash
# The daemon's footprint with a big network (docs/PERFORMANCE.md; not a
# test, nothing asserted): one real daemon and wireguard-go in a network
# namespace, resumed from a state directory that tests/bench/mkstate wrote
# for MEMBERS members (1,000 by default). This machine cannot run that many
# daemons, so the others never answer: the daemon holds every record, a
# WireGuard peer per member and a gossip table of MEMBERS, probes them,
# finds them dead and retries them with backoff.
# As root:  tests/integration/perf-daemon-big.sh PATH/TO/weft PATH/TO/mkstate [MEMBERS]
set -u
here=$(cd "$(dirname "$0")" && pwd)
MESH_WEFT=$(realpath "${1:?usage: perf-daemon-big.sh PATH/TO/weft PATH/TO/mkstate [MEMBERS]}")
MKSTATE=$(realpath "${2:?usage: perf-daemon-big.sh PATH/TO/weft PATH/TO/mkstate [MEMBERS]}")
members=${3:-1000}
MESH_PREFIX="wb$$"
MESH_NET=235
. "$here/mesh-lib.sh"
trap 'mesh_down' EXIT
trap 'exit 1' INT TERM HUP

sample() { # LABEL: RSS now and CPU over the last interval
	local pid=$1 label=$2 secs=$3 hz c0 c1 t0 t1
	hz=$(getconf CLK_TCK)
	c0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
	t0=$(date +%s%N)
	sleep "$secs"
	c1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
	t1=$(date +%s%N)
	python3 -c "print('%s: rss %d kB (peak %d kB), cpu %.3f %% of a core over %d s' % ('$label',
		$(awk '/VmRSS/ {print $2}' "/proc/$pid/status"), $(awk '/VmHWM/ {print $2}' "/proc/$pid/status"),
		100.0 * ($c1 - $c0) / $hz / (($t1 - $t0) / 1e9), $secs))"
}

mesh_up 1 >/dev/null || exit 1
# Their endpoints go to a neighbour that does not exist on the bridge:
# datagrams are queued for an ARP answer that never comes and dropped.
ip -n "$(mesh_ns 1)" route add 10.250.0.0/16 via "10.$MESH_NET.0.254" || exit 1
"$MKSTATE" "$MESH_DIR/n1/state" perf "$members" || exit 1
t0=$(date +%s%N)
node_start 1 || exit 1
echo "daemon ready after $((($(date +%s%N) - t0) / 1000000)) ms (state loaded, $((members - 1)) WireGuard peers set)"
pid=$(node_pid 1)
sample "$pid" "first 30 s (probing, finding the others dead)" 30
sample "$pid" "next 60 s" 60
sample "$pid" "next 60 s" 60
echo "wg lists $(wg_on 1 show weft-perf peers | wc -l) peers; weft status: $(weft_on 1 --json status perf |
	python3 -c 'import json,sys; d=json.load(sys.stdin); print("members %s alive %s" % (d.get("members"), d.get("alive")))')"
