#!/usr/bin/env bash
# DNS serving benchmark (docs/PERFORMANCE.md, "DNS serving"): dnsperf
# against one weft node's loopback listener and against dnsmasq serving the
# same names from a hosts file, in the same run with the same query file,
# alternating rounds. Not part of the test suites (figures, not asserts).
#
#   tests/bench/dnsperf.sh PATH/TO/weft [SECONDS_PER_ROUND] [ROUNDS]
#
# Runs as root in a network namespace of its own (removed at the end, with
# everything started in it): a weft daemon with the memory WireGuard backend
# (no interface needed) as the first member of network "bench", NAMES custom
# A entries added with 'weft dns add', answering on 127.0.0.1:5300; dnsmasq
# on 127.0.0.1:5301 with the same FQDNs in a hosts file. dnsperf runs each
# round over UDP with -c 4 -q 100; -v gives every query's latency, from
# which p99 is taken. Prints one line per round and a summary.
set -euo pipefail
WEFT=$(realpath "${1:?usage: dnsperf.sh PATH/TO/weft [SECONDS] [ROUNDS]}")
SECS=${2:-10}
ROUNDS=${3:-2}
NAMES=${NAMES:-200}
for c in dnsperf dnsmasq ip python3; do
	command -v "$c" >/dev/null || { echo "dnsperf.sh: $c is not installed (apt-get install dnsperf dnsmasq)" >&2; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "dnsperf.sh: run as root (it makes a network namespace)" >&2; exit 1; }

NS=wdnsperf$$
DIR=$(mktemp -d /tmp/weft-dnsperf.XXXXXX)
cleanup() {
	local pid
	for pid in $(ip netns pids "$NS" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
	sleep 0.2
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$DIR"
}
trap cleanup EXIT
ip netns add "$NS"
ip -n "$NS" link set lo up
in_ns() { ip netns exec "$NS" "$@"; }

cat >"$DIR/weft.conf" <<EOF
wg_backend = memory
dns_listen = 127.0.0.1:5300
resolver = off
log_level = warn
EOF
ip netns exec "$NS" "$WEFT" --socket "$DIR/sock" daemon --state-dir "$DIR/state" --config "$DIR/weft.conf" \
	>"$DIR/daemon.log" 2>&1 &
disown $!
for _ in $(seq 1 50); do [ -S "$DIR/sock" ] && break; sleep 0.1; done
W() { in_ns "$WEFT" --socket "$DIR/sock" "$@"; }
W init bench --cidr 10.90.0.0/16 --admin-key "$DIR/admin.key" --name node1 >/dev/null
printf '' >"$DIR/hosts"
for i in $(seq 1 "$NAMES"); do
	ip="10.91.$((i / 250)).$((i % 250 + 1))"
	W dns bench add "host$i" A "$ip" --admin-key "$DIR/admin.key" >/dev/null
	printf '%s host%s.bench.internal\n' "$ip" "$i" >>"$DIR/hosts"
done
node_ip=$(W --json status bench | python3 -c 'import json,sys; print(json.load(sys.stdin)["address"])')
printf '%s node1.bench.internal\n' "$node_ip" >>"$DIR/hosts"

ip netns exec "$NS" dnsmasq --no-daemon --port=5301 --listen-address=127.0.0.1 --bind-interfaces --no-resolv \
	--no-hosts --addn-hosts="$DIR/hosts" --pid-file= --user=root --cache-size=10000 >"$DIR/dnsmasq.log" 2>&1 &
disown $!

# The query file: every name once, type A, in a fixed shuffled order.
python3 - "$NAMES" >"$DIR/queries" <<'EOF'
import random, sys
n = int(sys.argv[1])
names = ["host%d.bench.internal" % i for i in range(1, n + 1)] + ["node1.bench.internal"]
random.Random(7).shuffle(names)
print("\n".join("%s A" % x for x in names))
EOF
# Both answer every name the same before anything is timed.
sleep 0.5
for port in 5300 5301; do
	got=$(in_ns dig +short -p "$port" @127.0.0.1 host1.bench.internal A)
	[ "$got" = 10.91.0.2 ] || { echo "dnsperf.sh: port $port answers '$got' for host1" >&2; exit 1; }
done

# round SERVER_NAME PORT: "qps p50_ms p99_ms lost"
round() {
	in_ns dnsperf -s 127.0.0.1 -p "$2" -d "$DIR/queries" -l "$SECS" -c 4 -q 100 -v >"$DIR/$1.out" 2>&1 || true
	python3 - "$DIR/$1.out" <<'EOF'
import re, sys
lat, qps, lost = [], None, None
for line in open(sys.argv[1]):
    m = re.match(r"> \S+ \S+ \S+ ([0-9.]+)$", line.strip())
    if m:
        lat.append(float(m.group(1)))
    m = re.search(r"Queries per second:\s+([0-9.]+)", line)
    if m:
        qps = float(m.group(1))
    m = re.search(r"Queries lost:\s+(\d+)", line)
    if m:
        lost = int(m.group(1))
lat.sort()
def pct(p):
    return lat[min(len(lat) - 1, int(p * len(lat)))] * 1000 if lat else float("nan")
print("%.0f %.3f %.3f %s" % (qps or 0, pct(0.50), pct(0.99), lost))
EOF
}

echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $((NAMES + 1)) names; ${SECS} s per round"
printf '%-8s %-6s %10s %9s %9s %6s\n' server round qps p50_ms p99_ms lost
declare -A sum
for r in $(seq 1 "$ROUNDS"); do
	for s in weft dnsmasq; do
		port=5300
		[ $s = dnsmasq ] && port=5301
		read -r qps p50 p99 lost < <(round "$s" "$port")
		printf '%-8s %-6s %10s %9s %9s %6s\n' "$s" "$r" "$qps" "$p50" "$p99" "$lost"
		sum[$s.qps]=$(python3 -c "print(${sum[$s.qps]:-0} + $qps)")
		sum[$s.p99]=$(python3 -c "print(${sum[$s.p99]:-0} + $p99)")
	done
done
python3 - "${sum[weft.qps]}" "${sum[dnsmasq.qps]}" "${sum[weft.p99]}" "${sum[dnsmasq.p99]}" "$ROUNDS" <<'EOF'
import sys
wq, dq, wp, dp, n = map(float, sys.argv[1:])
print("mean   weft %.0f qps p99 %.3f ms | dnsmasq %.0f qps p99 %.3f ms | qps ratio weft/dnsmasq %.2f, p99 ratio %.2f"
      % (wq / n, wp / n, dq / n, dp / n, wq / dq, wp / dp))
EOF
