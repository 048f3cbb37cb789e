#!/usr/bin/env bash
# Key rotation and renumbering end to end (issue #8), with real daemons and
# wireguard-go in network namespaces and the admin's node stopped: each
# record is signed offline (`--out FILE`) and handed to another member with
# `weft push FILE`.
#  1. `weft rotate --wg-keys`: every node makes a new WireGuard key (kept in
#     its 0600 state file, the old one gone from it), `wg show` shows the new
#     keys everywhere, and pings running throughout lose at most a
#     handshake's worth of packets (the loss is printed); a restarted node
#     keeps its new key and does not rotate again;
#  2. `weft rotate --network-key`: every member keeps the new epoch in its
#     state, and a member restarted from it after the old key's grace still
#     takes part;
#  3. `weft network set`: a new CIDR renumbers every node (old address
#     gone, new one set, no rejoin), every pair pings at the new addresses,
#     the DNS server answers on the new address; the MTU and keepalive
#     change live;
#  4. scheduled rotation: with a key lifetime set, keys renew by
#     themselves and the mesh keeps working.
# Prints TAP. Run through run.sh (root, wireguard-go).
#
#   daemon-admin-keys.sh PATH/TO/weft PATH/TO/itest-admin
set -u
here=$(cd "$(dirname "$0")" && pwd)
MESH_WEFT=$(realpath "${1:?usage: daemon-admin-keys.sh PATH/TO/weft PATH/TO/itest-admin}")
ADMIN_TOOL=$(realpath "${2:?usage: daemon-admin-keys.sh PATH/TO/weft PATH/TO/itest-admin}")
MESH_PREFIX="${WEFT_ITEST_PREFIX:-w$$}k"
MESH_NET=235
. "$here/mesh-lib.sh"
. "$here/tap-lib.sh"
need python3 nsenter wg ping dig
trap 'mesh_down' EXIT
trap 'exit 1' INT TERM HUP
# The host's resolver and /etc/hosts are not the tests' to touch.
printf 'resolver = off\nhosts_file = %s/hosts\n' "$MESH_DIR" >"$MESH_DIR/weft.conf"
KEY=$MESH_DIR/office.key
out=$MESH_DIR/out
err=$MESH_DIR/err
PING_LOSS_MAX=${PING_LOSS_MAX:-10} # packets at 0.1 s: one second, a handshake's worth
declare -A ID ADDR ADDR6 KEYS OLDPRIV

status_of() { # I FIELD
	weft_on "$1" --json status office | json "d['$2']"
}

converged() { # N I...
	local want=$1 i
	shift
	for i in "$@"; do
		[ "$(status_of "$i" alive 2>/dev/null)" = "$want" ] || return 1
	done
}

pings() { # I ADDR
	in_ns "$1" ping -c 1 -W 1 "$2" >/dev/null 2>&1
}

all_ping() { # I...: every ordered pair, at the addresses in ADDR
	local i j
	for i in "$@"; do
		for j in "$@"; do
			[ "$i" = "$j" ] || pings "$i" "${ADDR[$j]}" || pings "$i" "${ADDR[$j]}" || return 1
		done
	done
}

wg_key_of() { # I
	wg_on "$1" show weft-office public-key 2>/dev/null
}

# Every node's WireGuard has exactly the others' current keys as peers
# (node 1, stopped, is still a member: its key is the one it had).
keys_everywhere() { # I...
	local i j want
	for i in "$@"; do
		want=$( (echo "$KEY1"; for j in "$@"; do [ "$i" = "$j" ] || wg_key_of "$j"; done) | sort)
		[ "$(wg_on "$i" show weft-office peers | sort)" = "$want" ] || return 1
	done
}

keys_changed() { # I...: every node's key differs from KEYS[i]
	local i k
	for i in "$@"; do
		k=$(wg_key_of "$i")
		[ -n "$k" ] && [ "$k" != "${KEYS[$i]}" ] || return 1
	done
}

local_of() { # I: "WGPUB KEYTIME EPOCH" from node I's state file
	"$ADMIN_TOOL" - - local "$MESH_DIR/n$1/state/office/node"
}

push_good() { # I FILE DESC
	weft_on "$1" push "$2" >"$out" 2>"$err"
	ok $? "$3: weft push on node $1"
	[ -s "$err" ] && diag <"$err"
}

# ping_loss FILE: packets lost, from ping's summary.
ping_loss() {
	sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1 \2/p' "$1" |
		awk '{ print $1 - $2 }'
}

mesh_up 4 || { echo "1..0 # SKIP cannot build the namespaces"; exit 0; }
for i in 1 2 3 4; do
	node_start "$i" --config "$MESH_DIR/weft.conf" --log-level debug || { echo "Bail out! node $i did not start"; exit 1; }
done
weft_on 1 init office --cidr 10.81.0.0/24 --cidr6 fd81::/64 --admin-key "$KEY" --name n1 \
	>"$MESH_DIR/init.out" 2>&1
ok $? "node 1 creates the network"
for i in 2 3 4; do
	weft_on "$i" join "$(weft_on 1 invite office --admin-key "$KEY")" --name "n$i" >/dev/null
	ok $? "node $i joins"
done
wait_until 40 converged 4 1 2 3 4
ok $? "every node sees 4 members alive"
for i in 1 2 3 4; do
	ID[$i]=$(status_of "$i" node_id)
	ADDR[$i]=$(status_of "$i" address)
done
KEY1=$(wg_key_of 1)
node_stop 1
ok $? "the admin's node (1) is stopped; from here on the admin works offline"
wait_until 30 all_ping 2 3 4
ok $? "nodes 2, 3, 4 ping each other"
weft_on 2 --json peers office >"$MESH_DIR/members.json"

# ---- 1. WireGuard keys ----
for i in 2 3 4; do
	KEYS[$i]=$(wg_key_of "$i")
	OLDPRIV[$i]=$(wg_on "$i" show weft-office private-key)
done
weft_on 1 rotate office --admin-key "$KEY" --wg-keys --out "$MESH_DIR/rotate.rec" >/dev/null
ok $? "weft rotate --wg-keys, signed offline"
# Pings in both directions of two pairs, 0.1 s apart, throughout.
in_ns 2 ping -i 0.1 -c 150 -W 1 "${ADDR[3]}" >"$MESH_DIR/ping23" 2>&1 &
p23=$!
in_ns 4 ping -i 0.1 -c 150 -W 1 "${ADDR[2]}" >"$MESH_DIR/ping42" 2>&1 &
p42=$!
sleep 3
t0=$(date +%s.%N)
push_good 3 "$MESH_DIR/rotate.rec" "the rotation order"
wait_until 30 keys_changed 2 3 4
ok $? "every node has a new WireGuard key"
wait_until 30 keys_everywhere 2 3 4
ok $? "wg show on every node lists the others' new keys, and only those"
echo "# every node on new keys $(python3 -c "import time; print(round(time.time() - $t0, 2))") s after the push"
wait $p23
wait $p42
l23=$(ping_loss "$MESH_DIR/ping23")
l42=$(ping_loss "$MESH_DIR/ping42")
echo "# pings at 0.1 s throughout the rotation: node 2 -> 3 lost $l23 of 150, node 4 -> 2 lost $l42 of 150"
[ -n "$l23" ] && [ "$l23" -le "$PING_LOSS_MAX" ] && [ -n "$l42" ] && [ "$l42" -le "$PING_LOSS_MAX" ]
ok $? "the pings lost at most $PING_LOSS_MAX packets each (a handshake's worth)"
for i in 2 3 4; do
	f=$MESH_DIR/n$i/state/office/node
	[ "$(stat -c %a "$f")" = 600 ] && [ "$(local_of "$i" | cut -d' ' -f1)" = "$(wg_key_of "$i")" ] &&
		python3 -c 'import base64,sys; sys.exit(base64.b64decode(sys.argv[1]) in open(sys.argv[2], "rb").read())' \
			"${OLDPRIV[$i]}" "$f"
	ok $? "node $i: its state file (0600) holds the new key, and not the old one"
done
k3=$(wg_key_of 3)
node_stop 3
node_start 3 --config "$MESH_DIR/weft.conf" --log-level debug
ok $? "node 3 restarted"
wait_until 30 all_ping 2 3 4
ok $? "every pair pings after node 3's restart"
[ "$(wg_key_of 3)" = "$k3" ]
ok $? "node 3 kept its new key (the order is not obeyed twice)"

# ---- 2. network key ----
e0=$(local_of 2 | cut -d' ' -f3)
weft_on 1 rotate office --admin-key "$KEY" --network-key --members "$MESH_DIR/members.json" --grace 5s \
	--out "$MESH_DIR/netkey.rec" >/dev/null
ok $? "weft rotate --network-key (grace 5 s), signed offline against a member list"
push_good 4 "$MESH_DIR/netkey.rec" "the new network key"
new_epoch() {
	local i
	for i in 2 3 4; do
		[ "$(local_of "$i" | cut -d' ' -f3)" -gt "$e0" ] || return 1
	done
}
wait_until 20 new_epoch
ok $? "every member keeps the new network key epoch in its state file (was $e0)"
node_stop 4
sleep 6
node_start 4 --config "$MESH_DIR/weft.conf" --log-level debug
ok $? "node 4 restarted from its state after the old key's grace"
wait_until 30 converged 3 2 3 4
ok $? "node 4 takes part again: every node sees 3 members alive"
wait_until 30 all_ping 2 3 4
ok $? "every pair pings"

# ---- 3. CIDR, MTU, keepalive ----
old2=${ADDR[2]}
weft_on 1 network office set --admin-key "$KEY" --cidr 10.82.0.0/24 --cidr6 fd82::/64 --mtu 1380 \
	--keepalive 15 --members "$MESH_DIR/members.json" --out "$MESH_DIR/net.rec" >/dev/null
ok $? "weft network set --cidr 10.82.0.0/24 --cidr6 fd82::/64 --mtu 1380 --keepalive 15, signed offline"
push_good 2 "$MESH_DIR/net.rec" "the new settings"
renumbered() {
	local i
	for i in 2 3 4; do
		case "$(status_of "$i" address)" in 10.82.0.*) ;; *) return 1 ;; esac
		case "$(status_of "$i" address6)" in fd82:*) ;; *) return 1 ;; esac
	done
}
wait_until 20 renumbered
ok $? "every node has an address in the new ranges"
for i in 2 3 4; do
	ADDR[$i]=$(status_of "$i" address)
	ADDR6[$i]=$(status_of "$i" address6)
done
ok_addr() { # I: the interface holds the new addresses and none of the old ranges
	local a
	a=$(in_ns "$1" ip addr show dev weft-office)
	echo "$a" | grep -qF "inet ${ADDR[$1]}/24" && echo "$a" | grep -qF "inet6 ${ADDR6[$1]}/64" &&
		! echo "$a" | grep -q 'inet 10\.81\.\|inet6 fd81:'
}
for i in 2 3 4; do
	wait_until 10 ok_addr "$i"
	ok $? "node $i: interface renumbered to ${ADDR[$i]} and ${ADDR6[$i]}, old addresses gone"
done
[ "$(status_of 2 state)" = member ] && [ "$(status_of 3 state)" = member ]
ok $? "no rejoin: the nodes stayed members"
wait_until 30 all_ping 2 3 4
ok $? "every pair pings at the new addresses"
allowed_ok() { # I: every peer's allowed IPs are in the new ranges
	! wg_on "$1" show weft-office allowed-ips | grep -q '10\.81\.\|fd81:' &&
		[ "$(wg_on "$1" show weft-office allowed-ips | grep -c '10\.82\.0\.[0-9]*/32')" = 3 ]
}
allowed_ok 2 && allowed_ok 3 && allowed_ok 4
ok $? "every peer's allowed IPs moved to the new ranges"
! pings 3 "$old2"
ok $? "node 2's old address answers no more"
wait_until 10 sh -c "[ \"\$(ip netns exec $(mesh_ns 3) dig +short +time=1 +tries=2 @${ADDR[3]} n2.office.internal A)\" = '${ADDR[2]}' ]"
ok $? "node 3's DNS answers on its new address with node 2's new address"
[ "$(in_ns 2 cat /sys/class/net/weft-office/mtu)" = 1380 ]
ok $? "the MTU changed live to 1380"
wg_on 2 show weft-office persistent-keepalive | awk '{ print $2 }' | sort -u | grep -qx 15
ok $? "the keepalive changed live to 15 s"

# ---- 4. scheduled rotation ----
for i in 2 3 4; do KEYS[$i]=$(wg_key_of "$i"); done
# weft network set takes a lifetime of at least 1 h: the helper signs a
# shorter one (the settings otherwise as KEY.net holds them).
"$ADMIN_TOOL" "$KEY" "$MESH_DIR/life.rec" network lifetime=20
ok $? "a WireGuard key lifetime of 20 s, signed offline"
push_good 3 "$MESH_DIR/life.rec" "the key lifetime"
wait_until 60 keys_changed 2 3 4
ok $? "every node renewed its key by itself"
wait_until 30 keys_everywhere 2 3 4
ok $? "wg show on every node lists the others' current keys"
wait_until 30 all_ping 2 3 4
ok $? "every pair pings"

for i in 2 3 4; do node_stop "$i"; done
! grep -l 'Sanitizer\|runtime error' "$MESH_DIR"/n*/log
ok $? "no sanitizer report in any daemon's log"

if [ "$TAP_FAILED" -ne 0 ]; then
	for i in 2 3 4; do
		echo "# ---- node $i log (tail) ----"
		tail -n 40 "$MESH_DIR/n$i/log" | diag
	done
fi
tap_done
