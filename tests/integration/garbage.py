#!/usr/bin/env python3
"""Hostile input for a running weft daemon (the integration tests' helper).

  garbage.py capture IFACE PORT SECONDS OUT   save UDP payloads to/from PORT
                                              seen on IFACE (AF_PACKET)
  garbage.py udp HOST PORT [CAPTURE]          send random, truncated and
                                              replayed datagrams to HOST:PORT
  garbage.py ctl SOCKET                       send malformed control requests;
                                              prints one line per reply kind

Every payload is deterministic (seeded), so a failure can be reproduced.
"""
import json
import os
import random
import socket
import struct
import sys
import time


def capture(iface, port, seconds, out):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0003))
    s.bind((iface, 0))
    s.settimeout(0.2)
    end = time.time() + seconds
    got = []
    while time.time() < end and len(got) < 200:
        try:
            pkt = s.recv(65535)
        except socket.timeout:
            continue
        if len(pkt) < 28:
            continue
        ver = pkt[0] >> 4
        if ver == 4:
            ihl = (pkt[0] & 15) * 4
            if pkt[9] != 17:
                continue
            udp = pkt[ihl:]
        elif ver == 6:
            if pkt[6] != 17:
                continue
            udp = pkt[40:]
        else:
            continue
        sport, dport = struct.unpack("!HH", udp[:4])
        if port in (sport, dport):
            got.append(bytes(udp[8:]))
    with open(out, "wb") as f:
        for p in got:
            f.write(struct.pack("!H", len(p)) + p)
    print(len(got))


def load(path):
    out = []
    if not path or not os.path.exists(path):
        return out
    data = open(path, "rb").read()
    i = 0
    while i + 2 <= len(data):
        (n,) = struct.unpack("!H", data[i:i + 2])
        out.append(data[i + 2:i + 2 + n])
        i += 2 + n
    return out


def udp(host, port, cap):
    rnd = random.Random(20261121)
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    sent = 0
    real = load(cap)

    def send(b):
        nonlocal sent
        try:
            s.sendto(b, (host, port))
            sent += 1
        except OSError:
            pass

    # Random bytes of every size, including empty.
    for n in [0, 1, 2, 3, 7, 8, 15, 16, 31, 32, 63, 64, 100, 500, 1199, 1200, 1201, 1400, 1472]:
        send(bytes(rnd.getrandbits(8) for _ in range(n)))
    for _ in range(300):
        send(bytes(rnd.getrandbits(8) for _ in range(rnd.randint(0, 1300))))
    # Real packets: replayed as they are, truncated at every length, and
    # with single bytes flipped.
    for p in real:
        for _ in range(3):
            send(p)
        for cut in range(0, len(p), max(1, len(p) // 24)):
            send(p[:cut])
        for _ in range(10):
            b = bytearray(p)
            if b:
                b[rnd.randrange(len(b))] ^= 1 << rnd.randrange(8)
            send(bytes(b))
    # A header-like prefix followed by junk (msgpack arrays, huge lengths).
    for prefix in [b"\x95", b"\xdd\xff\xff\xff\xff", b"\xc6\xff\xff\xff\xff", b"\x96\x01\x01"]:
        for _ in range(20):
            send(prefix + bytes(rnd.getrandbits(8) for _ in range(rnd.randint(0, 200))))
        # Packets sent faster than any rate limit.
    for _ in range(500):
        send(b"\x00" * rnd.randint(1, 64))
    print(sent)


def ctl(path):
    def talk(payload, chunks=1, close_early=False):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(15)
        s.connect(path)
        try:
            if chunks > 1:
                step = max(1, len(payload) // chunks)
                for i in range(0, len(payload), step):
                    s.sendall(payload[i:i + step])
                    time.sleep(0.001)
            else:
                s.sendall(payload)
            if close_early:
                s.close()
                return "closed"
            s.shutdown(socket.SHUT_WR)
            data = b""
            while True:
                b = s.recv(65536)
                if not b:
                    break
                data += b
        except OSError as e:
            return "oserror:%s" % e.errno
        finally:
            s.close()
        if not data:
            return "no-reply"
        try:
            d = json.loads(data)
        except ValueError:
            return "not-json"
        return "ok" if d.get("ok") else "error:" + d.get("code", "?")

    cases = [
        b"",
        b"\n",
        b"garbage\n",
        b"{\n",
        b"[]\n",
        b"null\n",
        b'"status"\n',
        b'{"cmd":1}\n',
        b'{"cmd":"nope"}\n',
        b'{"cmd":"status","network":"../../etc"}\n',
        b'{"cmd":"status","network":"office","bogus":1}\n',
        b'{"cmd":"peers"}\n',
        b'{"cmd":"push","records":["!!!"]}\n',
        b'{"cmd":"push","records":[]}\n',
        b'{"cmd":"push","records":["AAAA"]}\n',
        b'{"cmd":"join","token":"weft1-AAAA"}\n',
        b'{"cmd":"join","token":""}\n',
        b'{"cmd":"join","token":"x","listen_port":70000}\n',
        b'{"cmd":"create","network":"office","records":["AAAA"]}\n',
        b'{"cmd":"leave","network":"nosuch"}\n',
        b'{"cmd":"status","network":"office\\u0000x"}\n',
        b'{"cmd":"status"} {"cmd":"status"}\n',
        b'{"cmd":"status","network":' + b'"a' * 100 + b'"}\n',
        b"[" * 10000 + b"\n",
        b'{"cmd":"status","network":"' + b"a" * 300000 + b'"}\n',
        bytes(random.Random(7).getrandbits(8) for _ in range(5000)) + b"\n",
    ]
    for c in cases:
        print(talk(c))
    print(talk(b'{"cmd":"status","network":"office"}\n', chunks=40))
    print(talk(b'{"cmd":"status","netw', close_early=True))
    # Idle connections must not stop others from being served.
    idle = []
    for _ in range(20):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
        idle.append(s)
    print(talk(b'{"cmd":"status","network":"office"}\n'))
    for s in idle:
        s.close()


if __name__ == "__main__":
    if sys.argv[1] == "capture":
        capture(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), sys.argv[5])
    elif sys.argv[1] == "udp":
        udp(sys.argv[2], int(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else None)
    elif sys.argv[1] == "ctl":
        ctl(sys.argv[2])
    else:
        sys.exit(__doc__)
