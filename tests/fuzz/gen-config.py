#!/usr/bin/env python3
"""Writes the stored corpus of fuzz-config (tests/fuzz/corpus/config/):
configuration files using every setting and section, and edge cases (each
kind of mistake the parser names). Deterministic.

    python3 tests/fuzz/gen-config.py
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "config")

files = {
    "empty": "",
    "comments": "# only a comment\n; another\n\n",
    "full": """# /etc/weft/weft.conf
state_dir = /var/lib/weft
socket = /run/weft/weft.sock
log_level = debug
wg_backend = userspace
wg_userspace = wireguard-go
wg_socket_dir = /var/run/wireguard
join_timeout = 30s
probe_interval = 1000ms
gossip_interval = 1m

[network office]
interface = weft-office
endpoint = 203.0.113.5
endpoint = 203.0.113.5:4500
endpoint = [2001:db8::5]:51820
keepalive = 25

[network lab]
keepalive = 0
""",
    "quoted": 'wg_userspace = "/opt/wg # not a comment"  # a comment\n',
    "crlf": "log_level = warn\r\n[network a]\r\ninterface = wa\r\n",
    "no-final-newline": "log_level = error",
    "backends": "wg_backend = auto\nwg_backend = kernel\nwg_backend = memory\n",
    "sixteen-nets": "".join("[network n%d]\nkeepalive = %d\n" % (i, i) for i in range(16)),
    "bad-key": "frobnicate = 1\n",
    "bad-level": "log_level = loud\n",
    "relative": "state_dir = var/lib\n",
    "no-equals": "log_level\n",
    "no-name": "= 1\n",
    "no-value": "log_level =\n",
    "unterminated": 'wg_userspace = "abc\n',
    "after-quote": 'wg_userspace = "a" b\n',
    "section-bare": "[network]\n",
    "section-open": "[network office\n",
    "section-other": "[peer x]\n",
    "section-upper": "[network Office]\n",
    "section-twice": "[network a]\n[network a]\n",
    "seventeen-nets": "".join("[network n%d]\n" % i for i in range(17)),
    "bad-ifname": "[network a]\ninterface = a/b\n",
    "long-ifname": "[network a]\ninterface = abcdefghijklmnopq\n",
    "bad-endpoint": "[network a]\nendpoint = host.example\n",
    "nine-endpoints": "[network a]\n" + "".join("endpoint = 10.0.0.%d\n" % i for i in range(9)),
    "bad-keepalive": "[network a]\nkeepalive = -5\n",
    "bad-duration": "join_timeout = 3d\n",
    "zero-duration": "join_timeout = 0\n",
    "huge-duration": "join_timeout = 999999999999999999999\n",
    "long-line": "log_level = " + "a" * 2000 + "\n",
    "nul": "log_level = info\0\n",
    "net-key-global": "keepalive = 5\n",
    "global-in-net": "[network a]\nstate_dir = /x\n",
    "dns": "dns_listen = 127.0.0.53\ndns_forward = 192.0.2.53 [2001:db8::53]:5353\n"
           "resolver = hosts\nhosts_file = /tmp/hosts\n[network a]\ndns_listen = 127.0.0.1:5353\n"
           "dns_forward = 10.0.0.1:53\n",
    "resolver-modes": "resolver = auto\nresolver = resolved\nresolver = off\n",
    "bad-resolver": "resolver = dnsmasq\n",
    "bad-forward": "dns_forward = 192.0.2.53 resolver.example\n",
    "five-forwards": "dns_forward = 10.0.0.1 10.0.0.2 10.0.0.3 10.0.0.4 10.0.0.5\n",
    "forward-port0": "dns_forward = 10.0.0.1:0\n",
    "relative-hosts": "hosts_file = etc/hosts\n",
    "bad-dns-listen": "[network a]\ndns_listen = localhost\n",
    "relay-modes": "relay = auto\nrelay = on\nrelay = off\n",
    "bad-relay": "relay = sometimes\n",
    "routes": "[network a]\nroutes = 192.168.1.0/24, fd00:1::/64\nroutes = 10.9.0.0/16 192.168.1.0/24\n"
              "egress_nat = off\n",
    "bad-route": "[network a]\nroutes = 192.168.1.1/24\n",
    "default-route": "[network a]\nroutes = 0.0.0.0/0\n",
    "nine-routes": "[network a]\nroutes = " + ",".join("10.%d.0.0/16" % i for i in range(9)) + "\n",
    "bad-egress-nat": "[network a]\negress_nat = maybe\n",
}

os.makedirs(OUT, exist_ok=True)
for name, text in files.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(text.encode())
print("wrote %d files to %s" % (len(files), OUT))
