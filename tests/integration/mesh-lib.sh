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
#   MESH_WG_BACKEND  (default $WEFT_ITEST_WG_BACKEND) if set, every daemon's
#                configuration says wg_backend = it (the VM suite sets
#                kernel), and tap_done first checks that every daemon ran it
#
# Functions: mesh_up N, mesh_add I, node_start I [daemon args], node_stop I
# (SIGTERM), node_crash I (SIGKILL, the daemon only), node_kill I (everything
# in the namespace: the host is gone), weft_on I ARGS, wg_on I ARGS,
# in_ns I CMD, mesh_down. Logs: $MESH_DIR/nI/log. Each daemon sees
# $MESH_DIR/nI/hosts as its /etc/hosts.

MESH_PREFIX=${MESH_PREFIX:-m$$}
MESH_NET=${MESH_NET:-232}
MESH_WG_BACKEND=${MESH_WG_BACKEND:-${WEFT_ITEST_WG_BACKEND:-}}
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

# The daemon arguments with the configuration made to say MESH_WG_BACKEND:
# the file the test gives (--config) gets the line first, else the node has
# a file of its own. Into the array MESH_ARGS.
mesh_backend_args() { # I [daemon args...]
	local i=$1 cfg=
	shift
	MESH_ARGS=()
	while [ $# -gt 0 ]; do
		[ "$1" = --config ] && [ $# -gt 1 ] && cfg=$2
		MESH_ARGS+=("$1")
		shift
	done
	if [ -z "$cfg" ]; then
		cfg=$MESH_DIR/n$i/backend.conf
		MESH_ARGS+=(--config "$cfg")
		: >"$cfg"
	fi
	if ! grep -q '^[[:space:]]*wg_backend[[:space:]]*=' "$cfg" 2>/dev/null; then
		{ echo "wg_backend = $MESH_WG_BACKEND" && cat "$cfg"; } >"$cfg.new" && mv "$cfg.new" "$cfg"
	fi
}

node_start() { # I [daemon args...]: start node I's daemon, wait for its socket
	local i=$1 ns t
	shift
	if [ -n "$MESH_WG_BACKEND" ]; then
		mesh_backend_args "$i" "$@"
		set -- "${MESH_ARGS[@]}"
	fi
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
	mesh_backend_note "$1"
	pid=$(node_pid "$1")
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	node_wait_gone "$pid"
	rm -f "$MESH_DIR/n$1/pid"
}

node_crash() { # I: SIGKILL the daemon only (its WireGuard stays up)
	local pid
	mesh_backend_note "$1"
	pid=$(node_pid "$1")
	[ -n "$pid" ] || return 0
	kill -KILL "$pid" 2>/dev/null
	node_wait_gone "$pid"
	rm -f "$MESH_DIR/n$1/pid"
}

node_kill() { # I: every process of the node, as if the host died
	local pid ns
	mesh_backend_note "$1"
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

# With MESH_WG_BACKEND set: what node I's running daemon says of its
# networks (`weft status`: backend, interface) and what kind of device
# each interface is, one line each in $MESH_DIR/nI/backends. Called before
# a daemon is stopped, crashed or killed, and by mesh_backend_check.
mesh_backend_note() { # I
	local i=$1 pid b ifs kind
	[ -n "$MESH_WG_BACKEND" ] || return 0
	pid=$(node_pid "$i")
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
	# (A network without a device yet, still joining, has no backend.)
	weft_on "$i" --json status 2>/dev/null | json "[n['backend'] + ' ' + n['interface'] for n in d if n['backend']]" |
		while read -r b ifs; do
			[ -n "$ifs" ] || continue
			kind=$(ip -n "$(mesh_ns "$i")" -d link show dev "$ifs" 2>/dev/null | sed -n 's/^ *\(wireguard\|tun\) .*/\1/p')
			echo "$b $ifs ${kind:-none}"
		done >>"$MESH_DIR/n$i/backends"
}

# TAP line (with MESH_WG_BACKEND set; tap_done calls it): every daemon this
# test started made or took over its interfaces with that backend and no
# other (its log says which); `weft status` said that backend for every
# network, each time it was asked (before each stop and at the end), with
# a kernel WireGuard device where the backend is kernel; and no
# wireguard-go ran beside a daemon.
mesh_backend_check() {
	local i ns pid seen=0 asked=0 bad=0 b ifs kind
	[ -n "$MESH_WG_BACKEND" ] || return 0
	for i in "${MESH_NODES[@]}"; do
		[ -f "$MESH_DIR/n$i/log" ] || continue
		mesh_backend_note "$i"
		b=$(sed -n 's/.*: \(created\|taking over the existing\) interface [^ ]* (\([a-z]*\))$/\2/p' "$MESH_DIR/n$i/log" | sort -u)
		[ -n "$b" ] || continue
		seen=$((seen + 1))
		if [ "$b" != "$MESH_WG_BACKEND" ]; then
			echo "# node $i: its daemon used the backend(s) $(echo "$b" | tr '\n' ' ')"
			bad=$((bad + 1))
		fi
		ns=$(mesh_ns "$i")
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = wireguard-go ]; then
				echo "# node $i: wireguard-go runs beside the daemon (pid $pid)"
				bad=$((bad + 1))
			fi
		done
		[ -s "$MESH_DIR/n$i/backends" ] && asked=$((asked + 1))
		while read -r b ifs kind; do
			if [ "$b" != "$MESH_WG_BACKEND" ]; then
				echo "# node $i: weft status said the backend of $ifs is '$b'"
				bad=$((bad + 1))
			elif [ "$b" = kernel ] && [ "$kind" != wireguard ]; then
				echo "# node $i: $ifs is not a kernel WireGuard device ($kind)"
				bad=$((bad + 1))
			fi
		done <"$MESH_DIR/n$i/backends"
	done
	[ $seen -gt 0 ] && [ $asked -gt 0 ] ||
		{ echo "# no daemon of this test said which backend it used" && bad=$((bad + 1)); }
	ok $bad "backend: all $seen daemons ran on $MESH_WG_BACKEND WireGuard ($asked asked with weft status), no wireguard-go"
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
