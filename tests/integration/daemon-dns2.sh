#!/usr/bin/env bash
# The daemon's DNS, second part (DESIGN §6, issue #7), with real daemons and
# wireguard-go in network namespaces and dnsmasq as the upstream resolver:
#  - the admin, its node stopped, signs a CNAME and an SRV into a file that
#    a member pushes: every node answers them within seconds (the admin's
#    node too once back); NODATA for a type a name lacks;
#  - forwarding: names outside the zone go to dnsmasq (past a dead first
#    upstream), REFUSED on a node without upstreams, SERVFAIL when the
#    upstream is gone;
#  - TCP: answers over TCP, pipelined queries on one connection, an answer
#    too big for 512 bytes truncated over UDP and fetched again by dig over
#    TCP, the connection limit and the idle timeout;
#  - the resolver: a hosts block in a hosts file in the scratch directory
#    (never /etc/hosts) that follows the members and the admin's address
#    entries and goes on leave; on one
#    node a fake resolvectl first in PATH (this machine has no
#    systemd-resolved) logs the split-DNS registration and its revert;
#  - names: a node renamed by the admin (weft node ... set --name) loses
#    its old name everywhere; a joiner asking for a taken name is told in
#    'weft status' (name_conflict) and the holder keeps it.
# Prints TAP. Run through run.sh (root, wireguard-go).
#
#   daemon-dns2.sh PATH/TO/weft
set -u
here=$(cd "$(dirname "$0")" && pwd)
MESH_WEFT=$(realpath "${1:?usage: daemon-dns2.sh PATH/TO/weft}")
MESH_PREFIX="${WEFT_ITEST_PREFIX:-w$$}e"
MESH_NET=236
. "$here/mesh-lib.sh"
. "$here/tap-lib.sh"
need python3 dig dnsmasq
trap 'mesh_down' EXIT
trap 'exit 1' INT TERM HUP
KEY=$MESH_DIR/office.key
ZONE=office.internal
UP=$(mesh_ip 9)          # dnsmasq
DEAD=$(mesh_ip 99)       # nobody: an upstream that never answers

addr_of() { # I FAMILY(4|6)
	weft_on "$1" --json status office | json "d['address' if '$2' == '4' else 'address6']"
}

alive_count() { # I
	weft_on "$1" --json status office | json "d['alive']"
}

converged() { # N I...
	local want=$1 i
	shift
	for i in "$@"; do
		[ "$(alive_count "$i" 2>/dev/null)" = "$want" ] || return 1
	done
}

# dig_on I SERVER ARGS...: the answer section, one record's data a line.
dig_on() {
	local i=$1 srv=$2
	shift 2
	in_ns "$i" dig +short +time=2 +tries=2 "@$srv" "$@" 2>/dev/null
}

# full_on I SERVER ARGS...: dig's whole output.
full_on() {
	local i=$1 srv=$2
	shift 2
	in_ns "$i" dig +time=3 +tries=1 "@$srv" "$@" 2>/dev/null
}

rcode_on() { # I SERVER ARGS...: NOERROR, NXDOMAIN, REFUSED...
	full_on "$@" | sed -n 's/.*status: \([A-Z]*\).*/\1/p'
}

is() { # WANT CMD...: CMD's output is exactly WANT
	local want=$1
	shift
	[ "$("$@")" = "$want" ]
}

declare -A ADDR

mesh_up 3 || { echo "1..0 # SKIP cannot build the namespaces"; exit 0; }
mesh_add 9 || { echo "1..0 # SKIP cannot build the namespaces"; exit 0; }

# The upstream: dnsmasq on node 9's underlay address, one name.
printf '192.0.2.10 up.example\n' >"$MESH_DIR/upstream.hosts"
ip netns exec "$(mesh_ns 9)" dnsmasq --no-daemon --port=53 --listen-address="$UP" --bind-interfaces --no-resolv --no-hosts \
	--addn-hosts="$MESH_DIR/upstream.hosts" --pid-file= --user=root \
	>"$MESH_DIR/dnsmasq.log" 2>&1 &
dnsmasq_pid=$! # ip netns exec execs it
disown $!

# Node 1 and 2: the hosts file in the scratch directory; 2 has a dead
# first upstream; 3 has no upstream and uses "systemd-resolved" (the fake
# resolvectl).
for i in 1 2; do
	printf '127.0.0.1\tlocalhost\n# a line of the admin'"'"'s\n' >"$MESH_DIR/hosts$i"
done
cat >"$MESH_DIR/n1.conf" <<EOF
resolver = hosts
hosts_file = $MESH_DIR/hosts1
dns_listen = 127.0.0.1:53
dns_forward = $UP
EOF
cat >"$MESH_DIR/n2.conf" <<EOF
resolver = hosts
hosts_file = $MESH_DIR/hosts2
[network office]
dns_forward = $DEAD $UP:53
EOF
cat >"$MESH_DIR/n3.conf" <<EOF
resolver = resolved
EOF
mkdir -p "$MESH_DIR/fakebin"
cat >"$MESH_DIR/fakebin/resolvectl" <<EOF
#!/bin/sh
echo "\$*" >>"$MESH_DIR/resolvectl.log"
EOF
chmod 755 "$MESH_DIR/fakebin/resolvectl"

for i in 1 2; do
	node_start "$i" --config "$MESH_DIR/n$i.conf" --log-level debug
	ok $? "node $i: daemon started"
done
PATH="$MESH_DIR/fakebin:$PATH" node_start 3 --config "$MESH_DIR/n3.conf" --log-level debug
ok $? "node 3: daemon started (a fake resolvectl first in its PATH)"
weft_on 1 init office --cidr 10.79.0.0/16 --cidr6 fd79::/64 --admin-key "$KEY" --name n1 >"$MESH_DIR/init.out" 2>&1
ok $? "node 1: weft init"
for i in 2 3; do
	tok=$(weft_on 1 invite office --admin-key "$KEY" 2>"$MESH_DIR/invite.err")
	weft_on "$i" join "$tok" --name "n$i" >"$MESH_DIR/join$i.out" 2>&1
	ok $? "node $i: weft join"
done
wait_until 60 converged 3 1 2 3
ok $? "every node sees 3 members alive"
for i in 1 2 3; do
	ADDR[${i}4]=$(addr_of "$i" 4)
	ADDR[${i}6]=$(addr_of "$i" 6)
done

# ---- the resolver ----
hosts_has_all() { # FILE I...: the block names every I
	local f=$1 j
	shift
	grep -q "^# BEGIN weft network office " "$f" || return 1
	for j in "$@"; do
		grep -q "^${ADDR[${j}4]}	n$j\.$ZONE\$" "$f" || return 1
		grep -q "^${ADDR[${j}6]}	n$j\.$ZONE\$" "$f" || return 1
	done
}
for i in 1 2; do
	wait_until 20 hosts_has_all "$MESH_DIR/hosts$i" 1 2 3
	ok $? "node $i: the hosts block in its hosts file names n1, n2, n3 (v4 and v6)"
	head -n 2 "$MESH_DIR/hosts$i" | grep -q "^# a line of the admin's$"
	ok $? "node $i: the other lines of the hosts file are untouched"
done
resolvectl_registered() {
	grep -qx "dns weft-office ${ADDR[34]} ${ADDR[36]}" "$MESH_DIR/resolvectl.log" &&
		grep -qx "domain weft-office ~$ZONE ~79.10.in-addr.arpa ~0.0.0.0.0.0.0.0.0.0.0.0.9.7.d.f.ip6.arpa" \
			"$MESH_DIR/resolvectl.log"
}
wait_until 20 resolvectl_registered
ok $? "node 3: resolvectl dns weft-office ADDR ADDR6 and resolvectl domain weft-office ~$ZONE and the reverse zones"
[ ! -e "$MESH_DIR/n3/hosts" ] || ! grep -q 'weft network' "$MESH_DIR/n3/hosts"
ok $? "node 3 (resolved): no hosts block written"

# ---- custom entries, the admin's node stopped ----
node_stop 1
ok $? "node 1 (the admin's) stopped"
# Offline: weft talks to no daemon, so it signs from what it is given.
weft_on 1 dns office add www CNAME n2 --admin-key "$KEY" --out "$MESH_DIR/www.rec" >"$MESH_DIR/add.out" 2>&1
ok $? "the admin signs www CNAME n2 into a file, no daemon needed"
weft_on 1 dns office add _http._tcp SRV "10 5 8080 n3" --ttl 120 --admin-key "$KEY" --out "$MESH_DIR/srv.rec" \
	>>"$MESH_DIR/add.out" 2>&1
ok $? "the admin signs _http._tcp SRV 10 5 8080 n3 into a file"
weft_on 2 push "$MESH_DIR/www.rec" >"$MESH_DIR/push.out" 2>&1 && weft_on 2 push "$MESH_DIR/srv.rec" >>"$MESH_DIR/push.out" 2>&1
ok $? "node 2: weft push of both files"
cname_ok() { # I: www -> n2 and n2's address
	[ "$(dig_on "$1" "${ADDR[${1}4]}" "www.$ZONE" A | tr '\n' ' ')" = "n2.$ZONE. ${ADDR[24]} " ]
}
srv_ok() { # I
	[ "$(dig_on "$1" "${ADDR[${1}4]}" "_http._tcp.$ZONE" SRV)" = "10 5 8080 n3.$ZONE." ]
}
for i in 2 3; do
	wait_until 10 cname_ok "$i"
	ok $? "node $i: www.$ZONE is a CNAME to n2 with its address, within 10 s"
	wait_until 10 srv_ok "$i"
	ok $? "node $i: _http._tcp.$ZONE SRV 10 5 8080 n3, within 10 s"
done
out=$(full_on 3 "${ADDR[34]}" "n2.$ZONE" TXT)
echo "$out" | grep -q 'status: NOERROR' && echo "$out" | grep -q 'ANSWER: 0,' &&
	echo "$out" | grep -q "^$ZONE\..*SOA"
ok $? "node 3: NODATA for n2.$ZONE TXT (NOERROR, no answer, the SOA)"
node_start 1 --config "$MESH_DIR/n1.conf" --log-level debug
ok $? "node 1: restarted"
wait_until 30 cname_ok 1 && srv_ok 1
ok $? "node 1: back, it answers the CNAME and the SRV it never signed online"
weft_on 2 dns office list >"$MESH_DIR/list.out" 2>&1 && grep -q '^www  *CNAME  *300  *n2$' "$MESH_DIR/list.out" &&
	grep -q '^_http._tcp  *SRV  *120  *10 5 8080 n3$' "$MESH_DIR/list.out"
ok $? "node 2: weft dns office list shows both entries"
[ "$(weft_on 2 --json dns office list | json "len(d)")" = 2 ]
ok $? "node 2: weft dns office list --json holds 2 entries"
# An address entry goes into the hosts blocks too (a CNAME or SRV cannot).
weft_on 1 dns office add nas A 192.0.2.77 --admin-key "$KEY" >"$MESH_DIR/nas.out" 2>&1
ok $? "the admin adds nas A 192.0.2.77 through node 1's daemon"
nas_in_hosts() { grep -q "^192\.0\.2\.77	nas\.$ZONE\$" "$MESH_DIR/hosts1" && grep -q "^192\.0\.2\.77	nas\.$ZONE\$" "$MESH_DIR/hosts2"; }
wait_until 15 nas_in_hosts
ok $? "nodes 1 and 2: nas.$ZONE is in their hosts blocks; www (a CNAME) is not"
! grep -q "www\.$ZONE" "$MESH_DIR/hosts1"
ok $? "...and no CNAME line"
weft_on 1 dns office rm nas --admin-key "$KEY" >>"$MESH_DIR/nas.out" 2>&1
wait_until 15 sh -c "! grep -q 'nas\.$ZONE' '$MESH_DIR/hosts1' && ! grep -q 'nas\.$ZONE' '$MESH_DIR/hosts2'"
ok $? "removed (weft dns office rm nas): gone from both hosts blocks"

# ---- forwarding ----
[ "$(dig_on 1 "${ADDR[14]}" up.example A)" = 192.0.2.10 ]
ok $? "node 1: up.example forwarded to dnsmasq and relayed"
[ "$(dig_on 1 127.0.0.1 +tcp up.example A)" = 192.0.2.10 ]
ok $? "node 1: forwarded for a TCP client on its loopback listener too"
t0=$(date +%s%N)
[ "$(in_ns 2 dig +short +time=5 +tries=1 "@${ADDR[24]}" up.example A 2>/dev/null)" = 192.0.2.10 ]
ok $? "node 2: its first upstream is dead, the second answers"
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$ms" -ge 1000 ]
ok $? "node 2: ... after waiting for the first (${ms} ms)"
[ "$(rcode_on 3 "${ADDR[34]}" up.example A)" = REFUSED ]
ok $? "node 3: no upstream configured: REFUSED"
kill "$dnsmasq_pid" 2>/dev/null
node_wait_gone "$dnsmasq_pid"
[ "$(in_ns 1 dig +time=6 +tries=1 "@${ADDR[14]}" up2.example A 2>/dev/null | sed -n 's/.*status: \([A-Z]*\).*/\1/p')" = SERVFAIL ]
ok $? "node 1: the upstream gone: SERVFAIL"

# ---- TCP ----
for i in 1 2 3; do
	[ "$(dig_on "$i" "${ADDR[${i}4]}" +tcp "n$i.$ZONE" A)" = "${ADDR[${i}4]}" ] &&
		[ "$(dig_on "$i" "${ADDR[${i}6]}" +tcp "n1.$ZONE" AAAA)" = "${ADDR[16]}" ]
	ok $? "node $i: answers over TCP on its v4 and v6 overlay addresses"
done
[ "$(in_ns 2 dig +tcp +keepopen +short +time=2 "@${ADDR[24]}" "n1.$ZONE" A "n2.$ZONE" A "n3.$ZONE" A | tr '\n' ' ')" = \
	"${ADDR[14]} ${ADDR[24]} ${ADDR[34]} " ]
ok $? "node 2: three queries on one TCP connection"
# An answer bigger than 512 bytes: a chain of CNAMEs, each name a
# different 63-byte label (compression cannot shorten them), to a long TXT.
long=abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwx
txt=$(printf 'x%.0s' $(seq 1 250))
ok_chain=0
for k in 1 2 3 4 5 6; do
	weft_on 2 dns office add "c$k-$long" CNAME "c$((k + 1))-$long" --admin-key "$KEY" >/dev/null 2>&1 || ok_chain=1
done
weft_on 2 dns office add "c7-$long" TXT "$txt" --admin-key "$KEY" >/dev/null 2>&1 || ok_chain=1
ok $ok_chain "node 2: six CNAMEs and a 250-byte TXT added"
chain_ok() { # I
	dig_on "$1" "${ADDR[${1}4]}" "c1-$long.$ZONE" TXT | grep -q "\"$txt\""
}
wait_until 10 chain_ok 3
ok $? "node 3: the chain resolves to the TXT"
full_on 3 "${ADDR[34]}" +noedns +ignore "c1-$long.$ZONE" TXT | grep -q 'flags: qr aa tc'
ok $? "node 3: over UDP without EDNS (512 bytes) the answer is truncated (tc)"
out=$(full_on 3 "${ADDR[34]}" +noedns "c1-$long.$ZONE" TXT)
echo "$out" | grep -q 'Truncated, retrying in TCP mode' && echo "$out" | grep -q "\"$txt\"" &&
	echo "$out" | grep -q 'ANSWER: 7,'
ok $? "node 3: dig retries over TCP and gets all 7 records"
in_ns 3 python3 - "${ADDR[34]}" >"$MESH_DIR/tcp.out" 2>&1 <<'EOF'
import socket, sys, time
addr = sys.argv[1]
conns = [socket.create_connection((addr, 53), timeout=5) for _ in range(64)]
time.sleep(0.5)
extra = socket.create_connection((addr, 53), timeout=5)
t = time.time()
try:
    data = extra.recv(10)
except OSError as e:
    data = e.__class__.__name__
print("over: %r %.1f" % (data, time.time() - t))
for c in conns:
    c.close()
extra.close()
time.sleep(0.5)
idle = socket.create_connection((addr, 53), timeout=30)
t = time.time()
data = idle.recv(10)
print("idle: %r %.1f" % (data, time.time() - t))
EOF
grep -Eq "^over: (b''|'ConnectionResetError') 0\.[0-9]$" "$MESH_DIR/tcp.out"
ok $? "node 3: with 64 TCP connections open, the 65th is closed at once"
secs=$(sed -n "s/^idle: b'' \([0-9.]*\)$/\1/p" "$MESH_DIR/tcp.out")
[ -n "$secs" ] && python3 -c "import sys; sys.exit(0 if 9 <= $secs <= 13 else 1)"
ok $? "node 3: an idle TCP connection is closed after ~10 s (${secs:-?} s)"

# ---- names ----
weft_on 2 node office n3 set --name n3b --admin-key "$KEY" >"$MESH_DIR/rename.out" 2>&1
ok $? "the admin renames n3 to n3b (weft node office n3 set --name n3b)"
renamed() { # I
	[ "$(rcode_on "$1" "${ADDR[${1}4]}" "n3.$ZONE" A)" = NXDOMAIN ] &&
		[ "$(dig_on "$1" "${ADDR[${1}4]}" "n3b.$ZONE" A)" = "${ADDR[34]}" ] &&
		[ "$(dig_on "$1" "${ADDR[${1}4]}" -x "${ADDR[34]}")" = "n3b.$ZONE." ]
}
for i in 1 2 3; do
	wait_until 15 renamed "$i"
	ok $? "node $i: n3.$ZONE is gone (NXDOMAIN), n3b.$ZONE and its PTR answer"
done
hosts_renamed() {
	grep -q "	n3b\.$ZONE\$" "$MESH_DIR/hosts1" && ! grep -q "	n3\.$ZONE\$" "$MESH_DIR/hosts1"
}
wait_until 10 hosts_renamed
ok $? "node 1: its hosts block follows the rename"

# A fourth node asks for n1, which node 1 holds.
mesh_add 4 && node_start 4 --log-level debug
ok $? "node 4: daemon started"
tok=$(weft_on 1 invite office --admin-key "$KEY" 2>>"$MESH_DIR/invite.err")
weft_on 4 join "$tok" --name n1 >"$MESH_DIR/join4.out" 2>&1
ok $? "node 4: joins asking for the name n1"
id1=$(weft_on 1 --json status office | json "d['node_id']")
conflict_seen() {
	[ "$(weft_on 4 --json status office | json "(d['name_conflict'] or {}).get('holder')")" = "$id1" ]
}
wait_until 20 conflict_seen
ok $? "node 4: weft status --json says name_conflict, held by node 1"
[ "$(weft_on 4 --json status office | json "d['name_conflict']['name'] + ' ' + d['name_conflict']['reason']")" = "n1 taken" ]
ok $? "node 4: ... the name n1, reason taken"
weft_on 4 status office | grep -q '^dns  *no DNS name: n1\.office\.internal belongs to node '
ok $? "node 4: weft status prints the conflict in one line"
[ "$(weft_on 1 --json status office | json "'none' if d['name_conflict'] is None else 'some'")" = none ]
ok $? "node 1: no name_conflict (null)"
[ "$(dig_on 2 "${ADDR[24]}" "n1.$ZONE" A)" = "${ADDR[14]}" ]
ok $? "node 2: n1.$ZONE is still node 1"
node_stop 4

# ---- leave ----
weft_on 2 leave office >"$MESH_DIR/leave2.out" 2>&1
ok $? "node 2: weft leave"
! grep -q 'weft network office' "$MESH_DIR/hosts2" && grep -q "^# a line of the admin's$" "$MESH_DIR/hosts2"
ok $? "node 2: its hosts block is gone, its other lines stay"
n2_gone() { ! grep -q "	n2\.$ZONE\$" "$MESH_DIR/hosts1"; }
wait_until 15 n2_gone
ok $? "node 1: n2 left its hosts block"
weft_on 3 leave office >"$MESH_DIR/leave3.out" 2>&1
grep -qx "revert weft-office" "$MESH_DIR/resolvectl.log"
ok $? "node 3: leaving runs resolvectl revert weft-office"

for i in 1 3; do node_stop "$i"; done
grep -q 'weft network office' "$MESH_DIR/hosts1"
ok $? "node 1: a stopped daemon leaves its hosts block (refreshed at the next start)"
! grep -l 'Sanitizer\|runtime error' "$MESH_DIR"/n*/log
ok $? "no sanitizer report in any daemon's log"
untouched=0
ls /etc/hosts.weft-* >/dev/null 2>&1 && untouched=1
for a in "${ADDR[@]}"; do grep -qF "$a	" /etc/hosts && untouched=1; done
ok $untouched "the host's /etc/hosts holds none of our names, no temp file beside it"

if [ "$TAP_FAILED" -ne 0 ]; then
	cat "$MESH_DIR/tcp.out" "$MESH_DIR/resolvectl.log" "$MESH_DIR/rename.out" 2>/dev/null | diag
	for i in 1 2 3 4; do
		echo "# ---- node $i log (dns, tail) ----"
		grep -i 'dns' "$MESH_DIR/n$i/log" 2>/dev/null | tail -n 15 | diag
		tail -n 10 "$MESH_DIR/n$i/log" 2>/dev/null | diag
	done
fi
tap_done
