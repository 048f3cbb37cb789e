#!/usr/bin/env python3
"""Writes the stored corpus of fuzz-ctl (tests/fuzz/corpus/ctl/): one valid
request of every command with every field it takes, and edge cases (each
kind of refusal the parser names). Deterministic.

    python3 tests/fuzz/gen-ctl.py
"""
import base64
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "ctl")

rec = base64.b64encode(bytes(range(200))).decode()
big = base64.b64encode(bytes(1024)).decode()
valid = {
    "ping": {"cmd": "ping"},
    "list": {"cmd": "list"},
    "status": {"cmd": "status"},
    "status-net": {"cmd": "status", "network": "home-lab"},
    "peers": {"cmd": "peers", "network": "office"},
    "join": {"cmd": "join", "token": "weft1-" + "A" * 300},
    "join-all": {"cmd": "join", "token": "weft1-abc", "name": "laptop", "interface": "wg0",
                 "listen_port": 51820, "gossip_port": 51821,
                 "endpoints": ["203.0.113.5", "203.0.113.6:4500", "[2001:db8::1]:51820"]},
    "leave": {"cmd": "leave", "network": "office"},
    "identity": {"cmd": "identity", "network": "office"},
    "create": {"cmd": "create", "network": "office", "records": [rec, rec], "name": "n1"},
    "push": {"cmd": "push", "records": [rec, big]},
    "push-net": {"cmd": "push", "records": [rec], "network": "office"},
    "bootstrap": {"cmd": "bootstrap", "network": "office"},
}
edge = {
    "empty": b"",
    "newline": b"\n",
    "garbage": b"garbage\n",
    "open-brace": b"{",
    "array": b"[]",
    "string": b'"status"',
    "no-cmd": b"{}",
    "cmd-int": b'{"cmd":1}',
    "cmd-unknown": b'{"cmd":"frobnicate"}',
    "two-objects": b'{"cmd":"ping"} {"cmd":"ping"}',
    "extra-field": b'{"cmd":"status","bogus":true}',
    "missing-field": b'{"cmd":"peers"}',
    "bad-network": b'{"cmd":"status","network":"../etc"}',
    "nul-network": b'{"cmd":"status","network":"a\\u0000b"}',
    "port-zero": b'{"cmd":"join","token":"t","listen_port":0}',
    "port-big": b'{"cmd":"join","token":"t","gossip_port":65536}',
    "port-float": b'{"cmd":"join","token":"t","gossip_port":1.5}',
    "endpoints-9": json.dumps({"cmd": "join", "token": "t",
                               "endpoints": ["1.1.1.%d" % i for i in range(9)]}).encode(),
    "endpoint-host": b'{"cmd":"join","token":"t","endpoints":["host.example:1"]}',
    "records-empty": b'{"cmd":"push","records":[]}',
    "records-bad64": b'{"cmd":"push","records":["!!!"]}',
    "records-toobig": json.dumps({"cmd": "push", "records": [base64.b64encode(bytes(1025)).decode()]}).encode(),
    "deep": b"[" * 40 + b"]" * 40,
    "unicode": '{"cmd":"status","network":"\u00e9t\u00e9"}'.encode(),
    "crlf": b'{"cmd":"ping"}\r\n',
    "dup-key": b'{"cmd":"status","network":"a","network":"b"}',
}

os.makedirs(OUT, exist_ok=True)
for name, req in valid.items():
    with open(os.path.join(OUT, "req-" + name), "wb") as f:
        f.write(json.dumps(req).encode() + b"\n")
for name, data in edge.items():
    with open(os.path.join(OUT, "edge-" + name), "wb") as f:
        f.write(data)
print("wrote %d files to %s" % (len(valid) + len(edge), OUT))
