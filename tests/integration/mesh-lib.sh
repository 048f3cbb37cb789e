# shellcheck shell=bash
# A mesh of real weft daemons in network namespaces, for the integration
# tests and scripts/demo (sourced, not run). Each node is a namespace with
# one veth to a bridge in a hub namespace (underlay 10.NET.0.I/24, no route
# anywhere else), and its daemon runs in a private mount namespace whose
# /run/wireguard is the node's own directory: wireguard-go's UAPI sockets
# live there, so every node can use the default interface name.
#
#   MESH_WEFT    the weft binary (required)
#   MESH_PREFIX  short unique prefix for namespace names (default m$$)
#   MESH_DIR     scratch directory (default a new mktemp -d)
#   MESH_NET     second octet of the underlay (default 232)
#
# Functions: mesh_up N, mesh_add I, node_start I [daemon args], node_stop I
# (SIGTERM), node_crash I (SIGKILL, the daemon only), node_kill I (everything
# in the namespace: the host is gone), weft_on I ARGS, wg_on I ARGS,
# in_ns I CMD, mesh_down. Logs: $MESH_DIR/nI/log. Each daemon sees
# $MESH_DIR/nI/hosts as its /etc/hosts.

MESH_PREFIX=${MESH_PREFIX:-m$$}
MESH_NET=${MESH_NET:-232}
MESH_DIR=${MESH_DIR:-$(mktemp -d /tmp/weft-mesh.XXXXXX)}
MESH_HUB="$MESH_PREFIX-hub"
MESH_NODES=()

mesh_ns() { echo "$MESH_PREFIX-n$1"; }
mesh_ip() { echo "10.$MESH_NET.0.$1"; }

mesh_up() { # N: the hub and nodes 1..N
	local i
	ip netns add "$MESH_HUB" || return 1
	ip -n "$MESH_HUB" link set lo up
	ip -n "$MESH_HUB" link add br0 type bridge || return 1
	ip -n "$MESH_HUB" link set br0 up
	for i in $(seq 1 "$1"); do
		mesh_add "$i" || return 1
	done
}

mesh_add() { # I: one more node namespace on the bridge
	local i=$1 ns
	ns=$(mesh_ns "$i")
	ip netns add "$ns" || return 1
	ip -n "$ns" link set lo up
	ip -n "$MESH_HUB" link add "h$i" type veth peer name eth0 netns "$ns" || return 1
	ip -n "$MESH_HUB" link set "h$i" master br0 up
	ip -n "$ns" addr add "$(mesh_ip "$i")/24" dev eth0
	ip -n "$ns" link set eth0 up
	mkdir -p "$MESH_DIR/n$i/wg" "$MESH_DIR/n$i/state"
	MESH_NODES+=("$i")
}

node_start() { # I [daemon args...]: start node I's daemon, wait for its socket
	local i=$1 ns t
	shift
	ns=$(mesh_ns "$i")
	mkdir -p /run/wireguard
	rm -f "$MESH_DIR/n$i/sock"
	# Its own /etc/hosts too: the daemon keeps a block of names there
	# (resolver = auto without systemd-resolved), never in the host's.
	[ -e "$MESH_DIR/n$i/hosts" ] || printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n' >"$MESH_DIR/n$i/hosts"
	# shellcheck disable=SC2016
	ip netns exec "$ns" sh -c 'mount --bind "$1" /run/wireguard && mount --bind "$2" /etc/hosts && shift 2 &&
		exec "$@"' sh "$MESH_DIR/n$i/wg" "$MESH_DIR/n$i/hosts" "$MESH_WEFT" --socket "$MESH_DIR/n$i/sock" daemon \
		--state-dir "$MESH_DIR/n$i/state" "$@" >>"$MESH_DIR/n$i/log" 2>&1 &
	echo $! >"$MESH_DIR/n$i/pid"
	disown $! # its end is ours to report, not the shell's
	for t in $(seq 1 100); do
		[ -S "$MESH_DIR/n$i/sock" ] && weft_on "$i" list >/dev/null 2>&1 && return 0
		kill -0 "$(cat "$MESH_DIR/n$i/pid")" 2>/dev/null || break
		sleep 0.1
	done
	echo "# node $i: the daemon did not start; its log:" >&2
	sed 's/^/#   /' "$MESH_DIR/n$i/log" | tail -n 20 >&2
	return 1
}

node_pid() { cat "$MESH_DIR/n$1/pid" 2>/dev/null; }

node_wait_gone() { # PID
	local t
	for t in $(seq 1 100); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

node_stop() { # I: SIGTERM, as systemctl stop does
	local pid
	pid=$(node_pid "$1")
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	node_wait_gone "$pid"
	rm -f "$MESH_DIR/n$1/pid"
}

node_crash() { # I: SIGKILL the daemon only (its WireGuard stays up)
	local pid
	pid=$(node_pid "$1")
	[ -n "$pid" ] || return 0
	kill -KILL "$pid" 2>/dev/null
	node_wait_gone "$pid"
	rm -f "$MESH_DIR/n$1/pid"
}

node_kill() { # I: every process of the node, as if the host died
	local pid ns
	ns=$(mesh_ns "$1")
	for pid in $(ip netns pids "$ns" 2>/dev/null); do
		kill -KILL "$pid" 2>/dev/null
	done
	for pid in $(ip netns pids "$ns" 2>/dev/null); do
		node_wait_gone "$pid"
	done
	rm -f "$MESH_DIR/n$1/pid"
}

weft_on() { # I ARGS...: the weft command line inside node I
	local i=$1
	shift
	ip netns exec "$(mesh_ns "$i")" "$MESH_WEFT" --socket "$MESH_DIR/n$i/sock" "$@"
}

in_ns() { # I CMD...: a command in node I's network namespace
	local i=$1
	shift
	ip netns exec "$(mesh_ns "$i")" "$@"
}

wg_on() { # I ARGS...: wg(8) where node I's daemon sees wireguard-go's sockets
	local i=$1
	shift
	nsenter -t "$(node_pid "$i")" -m -n wg "$@"
}

mesh_down() {
	local ns pid
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$MESH_PREFIX-"); do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
	done
	sleep 0.2
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$MESH_PREFIX-"); do
		ip netns del "$ns" 2>/dev/null
	done
	case "$MESH_DIR" in /tmp/weft-mesh.*) rm -rf "$MESH_DIR" ;; esac
}
