#!/usr/bin/env bash
# Runs one integration test program (TAP on stdout) as root, after checking
# that this machine can: it skips loudly ("1..0 # SKIP reason") only when it
# truly cannot, and under CI (CI set and not "false") such a skip is a
# failure. With --netns the program gets two network namespaces joined by a
# veth pair; whatever happens, they are removed on exit, with the processes
# the test started in them and their UAPI sockets.
#
#   run.sh [--netns] [--wireguard-go] PROGRAM [ARGS...]
#
# Environment given to the program: WEFT_ITEST_PREFIX (unique, short: use
# it in interface names), and with --netns WEFT_ITEST_NS_A/B (names under
# /run/netns) and WEFT_ITEST_UNDERLAY_A/B (the veth addresses).
set -uo pipefail

netns=0
wggo=0
while [ $# -gt 0 ]; do
	case "$1" in
	--netns) netns=1 ;;
	--wireguard-go) wggo=1 ;;
	*) break ;;
	esac
	shift
done
prog=$1
shift

ci=0
case "${CI:-}" in "" | false | 0) ;; *) ci=1 ;; esac

cannot() {
	if [ $ci -eq 1 ]; then
		echo "1..1"
		echo "not ok 1 - cannot run: $1 (CI is set, so this skip is a failure)"
		exit 1
	fi
	echo "1..0 # SKIP cannot run here: $1"
	echo "weft integration: SKIPPED $(basename "$prog"): $1" >&2
	exit 0
}

[ "$(id -u)" -eq 0 ] || cannot "needs root (network namespaces, tun devices)"
if [ $wggo -eq 1 ]; then
	[ -c /dev/net/tun ] || cannot "no /dev/net/tun"
	command -v wireguard-go >/dev/null || cannot "wireguard-go is not installed (apt-get install wireguard-go)"
fi
command -v ip >/dev/null || cannot "no ip(8) (apt-get install iproute2)"

# Short: interface names have 15 characters at most.
prefix="w$(printf '%x' $$)"
export WEFT_ITEST_PREFIX=$prefix
ns_a="weft-it-$prefix-a"
ns_b="weft-it-$prefix-b"

cleanup() {
	local ns pid
	for ns in "$ns_a" "$ns_b"; do
		ip netns list 2>/dev/null | grep -qw "$ns" || continue
		# Only what this test started lives in these namespaces.
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill "$pid" 2>/dev/null
		done
		ip netns del "$ns" 2>/dev/null
	done
	rm -f /var/run/wireguard/"$prefix"*.sock
}

if [ $netns -eq 1 ]; then
	trap cleanup EXIT INT TERM HUP
	ip netns add "$ns_a" 2>/dev/null || cannot "ip netns add fails (no network namespaces?)"
	ip netns add "$ns_b" || exit 1
	ip -n "$ns_a" link set lo up &&
		ip -n "$ns_b" link set lo up &&
		ip -n "$ns_a" link add "${prefix}va" type veth peer name "${prefix}vb" netns "$ns_b" &&
		ip -n "$ns_a" addr add 10.231.0.1/24 dev "${prefix}va" &&
		ip -n "$ns_b" addr add 10.231.0.2/24 dev "${prefix}vb" &&
		ip -n "$ns_a" link set "${prefix}va" up &&
		ip -n "$ns_b" link set "${prefix}vb" up || cannot "cannot build a veth pair between namespaces"
	export WEFT_ITEST_NS_A=$ns_a WEFT_ITEST_NS_B=$ns_b
	export WEFT_ITEST_UNDERLAY_A=10.231.0.1 WEFT_ITEST_UNDERLAY_B=10.231.0.2
fi

"$prog" "$@"
