#!/usr/bin/env python3
"""Writes the stored corpus of fuzz-uapi (tests/fuzz/corpus/uapi/): get=1 and
set=1 replies as wireguard-go writes them, and broken ones (cut short, bad
numbers, bad keys, embedded NULs, lines after errno). Run from anywhere:
python3 tests/fuzz/gen-uapi.py"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "uapi")

K1 = "01" * 32
K2 = "ab" * 32
K3 = "e8" * 31 + "4f"

PEER1 = (f"public_key={K1}\npreshared_key={'00' * 32}\nprotocol_version=1\n"
         "endpoint=192.0.2.1:51820\nlast_handshake_time_sec=1700000000\n"
         "last_handshake_time_nsec=5\ntx_bytes=92\nrx_bytes=148\n"
         "persistent_keepalive_interval=25\nallowed_ip=10.0.0.0/24\nallowed_ip=fd00::/64\n")
PEER2 = (f"public_key={K2}\nendpoint=[2001:db8::1]:1\nlast_handshake_time_sec=0\n"
         "last_handshake_time_nsec=0\ntx_bytes=0\nrx_bytes=0\npersistent_keepalive_interval=0\n")
DEV = f"private_key={K3}\nlisten_port=51820\nfwmark=0\n"

CASES = {
    "get-full": DEV + PEER1 + PEER2 + "errno=0\n\n",
    "get-empty": "errno=0\n\n",
    "get-dev-only": DEV + "errno=0\n\n",
    "get-no-key": "listen_port=0\nerrno=0\n\n",
    "get-zone": f"public_key={K1}\nendpoint=[fe80::1%eth0]:5\nerrno=0\n\n",
    "get-many-ips": f"public_key={K1}\n" + "".join(f"allowed_ip=10.{i}.0.0/16\n" for i in range(40)) + "errno=0\n\n",
    "get-dup-peer": f"public_key={K1}\npublic_key={K1}\nerrno=0\n\n",
    "get-unknown-keys": DEV + "jc=4\nfuture=1\n" + PEER2 + "other=x\nerrno=0\n\n",
    "get-host-bits": f"public_key={K1}\nallowed_ip=10.1.2.3/8\nerrno=0\n\n",
    "set-ok": "errno=0\n\n",
    "set-eaddrinuse": "errno=-98\n\n",
    "set-einval": "errno=22\n\n",
    "bad-cut": DEV + PEER1[:50],
    "bad-no-errno": DEV + "\n",
    "bad-after-errno": "errno=0\nlisten_port=1\n\n",
    "bad-no-equals": "listen_port\nerrno=0\n\n",
    "bad-empty-key": "=5\nerrno=0\n\n",
    "bad-port": "listen_port=70000\nerrno=0\n\n",
    "bad-port-sign": "listen_port=-1\nerrno=0\n\n",
    "bad-key-short": "private_key=abcd\nerrno=0\n\n",
    "bad-key-nonhex": "private_key=" + "zz" * 32 + "\nerrno=0\n\n",
    "bad-endpoint": f"public_key={K1}\nendpoint=1.2.3.4\nerrno=0\n\n",
    "bad-endpoint-v6": f"public_key={K1}\nendpoint=fd00::1:5\nerrno=0\n\n",
    "bad-aip": f"public_key={K1}\nallowed_ip=10.0.0.0/33\nerrno=0\n\n",
    "bad-aip-noslash": f"public_key={K1}\nallowed_ip=10.0.0.0\nerrno=0\n\n",
    "bad-rx-overflow": f"public_key={K1}\nrx_bytes=99999999999999999999\nerrno=0\n\n",
    "bad-hs-nsec": f"public_key={K1}\nlast_handshake_time_nsec=1000000000\nerrno=0\n\n",
    "bad-hs-sec": f"public_key={K1}\nlast_handshake_time_sec=18446744073709551615\nerrno=0\n\n",
    "bad-errno-big": "errno=99999\n\n",
    "bad-errno-text": "errno=EINVAL\n\n",
    "bad-long-value": "endpoint=" + "a" * 300 + "\nerrno=0\n\n",
    "bad-long-key": "k" * 100 + "=1\nerrno=0\n\n",
    "blank": "\n",
    "nothing": "",
}
BINARY = {
    "bad-nul": b"listen_port=1\x00\nerrno=0\n\n",
    "bad-nul-key": b"list\x00en_port=1\nerrno=0\n\n",
    "bad-high-bytes": b"listen_port=\xff\xfe\nerrno=0\n\n",
}

os.makedirs(OUT, exist_ok=True)
for name, text in CASES.items():
    with open(os.path.join(OUT, name), "w") as f:
        f.write(text)
for name, data in BINARY.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
print(f"wrote {len(CASES) + len(BINARY)} files to {OUT}")
