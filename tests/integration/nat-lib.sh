# shellcheck shell=bash
# NAT topologies for the daemon's integration tests (sourced after
# mesh-lib.sh, whose node functions they reuse): a "public" bridge in its
# own namespace (203.0.113.0/24), routers that masquerade a LAN behind
# their public address with nftables like a home router (inbound only for
# flows the LAN opened: endpoint-dependent filtering, and the router
# answers nothing itself), and nodes either on the public bridge or on a
# router's LAN. Each router namespace holds its LAN's bridge.
#
# Functions: nat_up (the public bridge), nat_router R (router R: public
# 203.0.113.R, LAN 10.R.0.0/24), nat_public_node I (node I at
# 203.0.113.(100+I)), nat_lan_node I R (node I at 10.R.0.(100+I) behind
# router R), nat_mode R normal|random (masquerade keeping source ports,
# which hole punching gets through, or with fully random ports, which
# defeats it; the router's connection tracking is flushed), nat_flush R.

NAT_HUB="$MESH_PREFIX-pub"

nat_router_ns() { echo "$MESH_PREFIX-r$1"; }
nat_public_ip() { echo "203.0.113.$1"; }

nat_up() {
	ip netns add "$NAT_HUB" || return 1
	ip -n "$NAT_HUB" link set lo up
	ip -n "$NAT_HUB" link add br0 type bridge || return 1
	ip -n "$NAT_HUB" link set br0 up
}

nat_router() { # R
	local r=$1 ns
	ns=$(nat_router_ns "$r")
	ip netns add "$ns" || return 1
	ip -n "$ns" link set lo up
	ip -n "$NAT_HUB" link add "r$r" type veth peer name wan netns "$ns" || return 1
	ip -n "$NAT_HUB" link set "r$r" master br0 up
	ip -n "$ns" addr add "203.0.113.$r/24" dev wan
	ip -n "$ns" link set wan up
	ip -n "$ns" link add lan type bridge || return 1
	ip -n "$ns" addr add "10.$r.0.1/24" dev lan
	ip -n "$ns" link set lan up
	ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1 || return 1
	nat_mode "$r" normal
}

nat_public_node() { # I
	local i=$1 ns
	ns=$(mesh_ns "$i")
	ip netns add "$ns" || return 1
	ip -n "$ns" link set lo up
	ip -n "$NAT_HUB" link add "h$i" type veth peer name eth0 netns "$ns" || return 1
	ip -n "$NAT_HUB" link set "h$i" master br0 up
	ip -n "$ns" addr add "203.0.113.$((100 + i))/24" dev eth0
	ip -n "$ns" link set eth0 up
	mkdir -p "$MESH_DIR/n$i/wg" "$MESH_DIR/n$i/state"
	MESH_NODES+=("$i")
}

nat_lan_node() { # I R
	local i=$1 r=$2 ns rns
	ns=$(mesh_ns "$i")
	rns=$(nat_router_ns "$r")
	ip netns add "$ns" || return 1
	ip -n "$ns" link set lo up
	ip -n "$rns" link add "h$i" type veth peer name eth0 netns "$ns" || return 1
	ip -n "$rns" link set "h$i" master lan up
	ip -n "$ns" addr add "10.$r.0.$((100 + i))/24" dev eth0
	ip -n "$ns" link set eth0 up
	ip -n "$ns" route add default via "10.$r.0.1"
	mkdir -p "$MESH_DIR/n$i/wg" "$MESH_DIR/n$i/state"
	MESH_NODES+=("$i")
}

nat_mode() { # R normal|random
	local ns how=""
	ns=$(nat_router_ns "$1")
	[ "$2" = random ] && how=" random,fully-random"
	ip netns exec "$ns" nft -f - <<-NFT || return 1
		table ip weftnat
		delete table ip weftnat
		table ip weftnat {
			chain post {
				type nat hook postrouting priority srcnat; policy accept;
				oifname "wan" masquerade$how
			}
			chain input {
				type filter hook input priority filter; policy accept;
				iifname "wan" ct state established,related accept
				iifname "wan" drop
			}
			chain forward {
				type filter hook forward priority filter; policy accept;
				iifname "wan" ct state established,related accept
				iifname "wan" drop
			}
		}
	NFT
	nat_flush "$1"
}

# Empties router R's connection tracking table (ctnetlink, as
# `conntrack -F` does): mappings made under the old rule go.
nat_flush() { # R
	ip netns exec "$(nat_router_ns "$1")" python3 -c '
import socket, struct, sys
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 12)  # NETLINK_NETFILTER
body = struct.pack("BBH", socket.AF_INET, 0, 0)            # nfgenmsg
hdr = struct.pack("=LHHLL", 16 + len(body), (1 << 8) | 2, 1 | 4, 1, 0)  # CTNETLINK CT_DELETE, REQUEST|ACK
s.send(hdr + body)
r = s.recv(4096)
err = struct.unpack("=i", r[16:20])[0] if struct.unpack("=H", r[4:6])[0] == 2 else 0
sys.exit(0 if err in (0, -2) else 1)
'
}
