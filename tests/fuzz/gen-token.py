#!/usr/bin/env python3
"""Writes the stored corpus of fuzz-token (tests/fuzz/corpus/token/).

Real tokens come from the weft binary itself (weft init --no-node, then
weft invite with various options), so the corpus follows the real format.
From them it writes: token text (tok-*), the msgpack bodies without checksum
(body-*, which fuzz-token wraps with a good checksum), and edge cases: a
changed character, truncations, a foreign prefix, junk, trailing bytes,
a newer format version, nine bootstrap endpoints, swapped records, a wrong
invite secret, another network's id or settings, a broken signature.
Keys are random, so each run writes different (equally good) files.

    python3 tests/fuzz/gen-token.py [PATH/TO/weft]   (default build/cli/weft)
"""
import base64
import hashlib
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "token")
WEFT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                       os.path.join(HERE, "..", "..", "build", "cli", "weft"))


def weft(*args, cwd):
    return subprocess.run([WEFT, *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout.strip()


def unwrap(token):
    """Token text -> msgpack body (checksum checked and removed)."""
    b64 = token[len("weft1-"):]
    raw = base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4))
    body, csum = raw[:-4], raw[-4:]
    assert hashlib.blake2b(body, digest_size=32).digest()[:4] == csum
    return body


def wrap(body):
    csum = hashlib.blake2b(body, digest_size=32).digest()[:4]
    return "weft1-" + base64.urlsafe_b64encode(body + csum).decode().rstrip("=")


def mp_bin(b):
    return (bytes([0xc4, len(b)]) if len(b) < 256 else
            bytes([0xc5]) + len(b).to_bytes(2, "big")) + b


def mp_str(s):
    b = s.encode()
    if len(b) < 32:
        return bytes([0xa0 | len(b)]) + b
    return (bytes([0xd9, len(b)]) if len(b) < 256 else
            bytes([0xda]) + len(b).to_bytes(2, "big")) + b


def parse(body):
    """Split a body into (version, id, settings, invite, seed, [endpoints])."""
    i = 2
    fields = []
    for _ in range(4):
        if body[i] == 0xc4:
            n, i = body[i + 1], i + 2
        else:
            n, i = int.from_bytes(body[i + 1:i + 3], "big"), i + 3
        fields.append(body[i:i + n])
        i += n
    n, i = body[i] & 0x0f, i + 1
    eps = []
    for _ in range(n):
        t = body[i]
        if t & 0xe0 == 0xa0:
            ln, i = t & 0x1f, i + 1
        elif t == 0xd9:
            ln, i = body[i + 1], i + 2
        else:
            ln, i = int.from_bytes(body[i + 1:i + 3], "big"), i + 3
        eps.append(body[i:i + ln].decode())
        i += ln
    assert i == len(body)
    return body[1], fields[0], fields[1], fields[2], fields[3], eps


def build(version, netid, settings, invite, seed, eps, nfields=6):
    out = bytes([0x90 | nfields, version]) + mp_bin(netid) + mp_bin(settings)
    out += mp_bin(invite) + mp_bin(seed) + bytes([0x90 | len(eps)])
    for e in eps:
        out += mp_str(e)
    return out


def main():
    files = {}
    with tempfile.TemporaryDirectory() as d:
        weft("init", "home", "--cidr", "10.42.0.0/16", "--cidr6", "fd42::/64",
             "--domain", "home.example", "--no-node", cwd=d)
        weft("init", "lab", "--cidr", "10.50.0.0/24", "--admin-key", "lab.key",
             "--no-node", "--port", "40000", "--gossip-port", "40001", cwd=d)
        long_host = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 61]) + ":65535"
        home = ["invite", "home", "--admin-key", "home.admin.key"]
        tokens = [
            weft(*home, "--bootstrap", "192.0.2.1:51821", cwd=d),
            weft(*home, "--uses", "1000", "--name", "laptop", "--address", "10.42.0.7",
                 "--address", "fd42::7", "--tags", "a,b,c,d,e,f,g,h", "--approval",
                 "--expires", "never", "--bootstrap",
                 ",".join([long_host, "[2001:db8::1]:51821", "n1.example:1", "10.0.0.1:9",
                           "[::1]:51821", "x:2", "y.z:3", "203.0.113.9:65535"]), cwd=d),
            weft(*home, "--expires", "30m", "--tags", "dev", "--bootstrap",
                 "node.example.org:51821", cwd=d),
            weft("invite", "lab", "--admin-key", "lab.key", "--expires", "2w",
                 "--bootstrap", "[fd00::1]:40001", cwd=d),
        ]
    for i, t in enumerate(tokens):
        files[f"tok-{i}"] = t.encode()
        files[f"body-{i}"] = unwrap(t)

    t = tokens[0]
    v, netid, settings, invite, seed, eps = parse(unwrap(t))
    lab = parse(unwrap(tokens[3]))
    mid = len(t) // 2
    files["tok-changed"] = (t[:mid] + ("A" if t[mid] != "A" else "B") + t[mid + 1:]).encode()
    files["tok-trunc-1"] = t[:-1].encode()
    files["tok-trunc-half"] = t[:mid].encode()
    files["tok-prefix-only"] = b"weft1-"
    files["tok-newer"] = ("weft2-" + t[6:]).encode()
    files["tok-newline"] = (t + "\n").encode()
    files["tok-std-b64"] = ("weft1-" + t[6:].replace("-", "+").replace("_", "/") + "+/").encode()
    files["tok-high-byte"] = (t[:mid] + "\x80" + t[mid + 1:]).encode("latin-1")
    files["junk-empty"] = b""
    files["junk-text"] = b"hello, this is not a token"
    files["junk-bytes"] = bytes(range(1, 256))
    files["body-trailing"] = unwrap(t) + b"\xc0"
    files["body-version2"] = build(2, netid, settings, invite, seed, eps)
    files["body-7fields"] = build(v, netid, settings, invite, seed, eps, nfields=7)
    files["body-9-bootstrap"] = build(v, netid, settings, invite, seed, eps * 9)
    files["body-no-bootstrap"] = build(v, netid, settings, invite, seed, [])
    files["body-bad-bootstrap"] = build(v, netid, settings, invite, seed, ["no-port"])
    files["body-swapped"] = build(v, netid, invite, settings, seed, eps)
    files["body-wrong-seed"] = build(v, netid, settings, invite, bytes(32), eps)
    files["body-short-id"] = build(v, netid[:31], settings, invite, seed, eps)
    files["body-other-net-id"] = build(v, lab[1], settings, invite, seed, eps)
    files["body-other-settings"] = build(v, netid, lab[2], invite, seed, eps)
    files["body-bad-sig"] = build(v, netid, settings[:-1] + bytes([settings[-1] ^ 1]), invite, seed, eps)
    files["body-nonminimal-version"] = bytes([0x96, 0xcc, 0x01]) + unwrap(t)[2:]

    os.makedirs(OUT, exist_ok=True)
    for name in os.listdir(OUT):
        os.unlink(os.path.join(OUT, name))
    for name, data in sorted(files.items()):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    print(f"wrote {len(files)} files to {OUT}")


if __name__ == "__main__":
    main()
