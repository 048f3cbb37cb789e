#!/usr/bin/env bash
# The daemon's figures for docs/PERFORMANCE.md (not a test: nothing is
# asserted). Real daemons and wireguard-go in network namespaces:
#  - time from `weft join` to the first ping across the overlay (to a member
#    other than the one that let the joiner in), ten joiners, median;
#  - a member's RSS and idle CPU with 5 and with 50 members.
# As root:  tests/integration/perf-daemon.sh PATH/TO/weft [MEMBERS=50]
set -u
here=$(cd "$(dirname "$0")" && pwd)
MESH_WEFT=$(realpath "${1:?usage: perf-daemon.sh PATH/TO/weft [MEMBERS]}")
big=${2:-50}
MESH_PREFIX="wp$$"
MESH_NET=234
. "$here/mesh-lib.sh"
# The kernel's neighbour (ARP) table is one for all namespaces, 1024
# entries by default: 50 nodes that each reach 49 others overflow it
# ("neighbour table overflow", sends fail with ENOBUFS). Raised for the run,
# restored after.
old_gc=$(sysctl -n net.ipv4.neigh.default.gc_thresh2 net.ipv4.neigh.default.gc_thresh3 | tr '\n' ' ')
sysctl -q -w net.ipv4.neigh.default.gc_thresh2=8192 net.ipv4.neigh.default.gc_thresh3=16384
restore() {
	mesh_down
	set -- $old_gc
	sysctl -q -w net.ipv4.neigh.default.gc_thresh2="$1" net.ipv4.neigh.default.gc_thresh3="$2"
}
trap 'restore' EXIT
trap 'exit 1' INT TERM HUP
KEY=$MESH_DIR/perf.key

ms() { echo $(($(date +%s%N) / 1000000)); }

addr_of() { weft_on "$1" --json status perf | python3 -c 'import json,sys; print(json.load(sys.stdin)["address"])'; }

# RSS (kB) and CPU use (% of one core) of node I's daemon over SECONDS.
footprint() {
	local pid t0 t1 c0 c1 hz rss
	pid=$(node_pid "$1")
	hz=$(getconf CLK_TCK)
	c0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
	t0=$(date +%s%N)
	sleep "$2"
	c1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
	t1=$(date +%s%N)
	rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
	python3 -c "print('rss %d kB, cpu %.3f %% of a core over %d s' % ($rss, 100.0 * ($c1 - $c0) / $hz / (($t1 - $t0) / 1e9), $2))"
}

join_node() { # I
	weft_on "$1" join "$(weft_on 1 invite perf --admin-key "$KEY")" --name "n$1" >/dev/null
}

mesh_up 5 >/dev/null || exit 1
for i in 1 2 3 4 5; do node_start "$i" || exit 1; done
weft_on 1 init perf --cidr 10.79.0.0/16 --admin-key "$KEY" --name n1 >/dev/null || exit 1
for i in 2 3 4 5; do join_node "$i" || exit 1; done
sleep 10
echo "== footprint of node 2 with 5 members (after 10 s settling)"
footprint 2 60
target=$(addr_of 2)

echo "== join to first ping (to node 2; node 1 welcomes the joiners)"
times=()
for i in $(seq 6 15); do
	mesh_add "$i" || exit 1
	node_start "$i" || exit 1
	tok=$(weft_on 1 invite perf --admin-key "$KEY")
	t0=$(ms)
	weft_on "$i" join "$tok" --name "n$i" >/dev/null || { echo "join $i failed"; exit 1; }
	t1=$(ms)
	until in_ns "$i" ping -c 1 -W 0.2 -q "$target" >/dev/null 2>&1; do
		[ $(($(ms) - t0)) -gt 30000 ] && { echo "node $i: no ping in 30 s"; break; }
	done
	t2=$(ms)
	echo "node $i: join returned after $((t1 - t0)) ms, first ping after $((t2 - t0)) ms"
	times+=($((t2 - t0)))
done
printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR] = $1} END {printf "median of %d: %d ms (min %d, max %d)\n", NR, (a[int((NR + 1) / 2)] + a[int(NR / 2) + 1]) / 2, a[1], a[NR]}'

echo "== growing to $big members"
for i in $(seq 16 "$big"); do
	mesh_add "$i" >/dev/null || exit 1
	node_start "$i" || exit 1
	join_node "$i" || { echo "join $i failed"; exit 1; }
done
sleep 30
members=$(weft_on 2 --json status perf | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["members"], "members,", d["alive"], "alive,", d["tunnels_up"], "tunnels up")')
echo "node 2 sees $members"
echo "== footprint of node 2 with $big members (after 30 s settling)"
footprint 2 60
members=$(weft_on 2 --json status perf | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["members"], "members,", d["alive"], "alive,", d["tunnels_up"], "tunnels up")')
echo "node 2 sees $members"
