#!/usr/bin/env python3
"""Writes the stored corpus of fuzz-nlattr (tests/fuzz/corpus/nlattr/). Byte 0
picks the parser (0 WireGuard GET_DEVICE dump, 1 rtnetlink link, 2 address,
3 route); the rest is netlink messages as the kernel sends them: a device
whose peers and allowed IPs continue into a second message, rtnetlink
replies, acks with extended-ack text, and broken variants (cut short, wrong
attribute lengths, trailing bytes, interrupted dumps). Run from anywhere:
python3 tests/fuzz/gen-nlattr.py"""
import base64
import os
import socket
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "nlattr")
FAMILY = 0x1D
IFINDEX = 2
NLM_F_MULTI, NLM_F_DUMP_INTR = 2, 0x10
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLA_F_NESTED = 0x8000


def pad(b):
    return b + b"\0" * (-len(b) % 4)


def attr(t, payload, nested=False):
    return pad(struct.pack("=HH", 4 + len(payload), t | (NLA_F_NESTED if nested else 0)) + payload)


def nest(t, *children):
    return attr(t, b"".join(children), nested=True)


def msg(mtype, payload, flags=NLM_F_MULTI, seq=0):
    return pad(struct.pack("=IHHII", 16 + len(payload), mtype, flags, seq, 0) + payload)


def genl(cmd=0):
    return struct.pack("=BBH", cmd, 1, 0)


def u16(t, v):
    return attr(t, struct.pack("=H", v))


def u32(t, v):
    return attr(t, struct.pack("=I", v))


def u64(t, v):
    return attr(t, struct.pack("=Q", v))


def sin(ip, port):
    return struct.pack("=H", socket.AF_INET) + struct.pack("!H4s", port, socket.inet_aton(ip)) + b"\0" * 8


def sin6(ip, port):
    return struct.pack("=H", socket.AF_INET6) + struct.pack("!HI16sI", port, 0, socket.inet_pton(socket.AF_INET6, ip), 0)


def aip(fam, ip, cidr, iplen=None):
    raw = socket.inet_pton(fam, ip)
    if iplen is not None:
        raw = (raw + b"\0" * 16)[:iplen]
    return nest(0, u16(1, fam), attr(2, raw), attr(3, bytes([cidr])))


KEY1, KEY2 = bytes(range(32)), bytes(range(32, 64))


def peer(key, *extra, head=True):
    parts = [attr(1, key)]
    if head:
        parts += [attr(2, b"\0" * 32), attr(4, sin("192.0.2.1", 51820)), u16(5, 25),
                  attr(6, struct.pack("=qq", 1700000000, 42)), u64(7, 100), u64(8, 200), u32(10, 1)]
    parts += extra
    return nest(0, *parts)


def device_msg(peers, first=True, flags=NLM_F_MULTI):
    a = [attr(2, b"wg0\0")]
    if first:
        a += [u32(1, IFINDEX), attr(3, b"\x11" * 32), attr(4, b"\x22" * 32), u16(6, 51820), u32(7, 0)]
    a.append(nest(8, *peers))
    return msg(FAMILY, genl() + b"".join(a), flags)


def done(err=0):
    return msg(NLMSG_DONE, struct.pack("=i", err))


def ack(err, text=None):
    payload = struct.pack("=iIHHII", err, 20, FAMILY, 5, 0, 0)
    flags = 0
    if text is not None:
        payload += attr(1, text.encode() + b"\0")
        flags = 0x100 | 0x200  # NLM_F_CAPPED | NLM_F_ACK_TLVS
    return msg(NLMSG_ERROR, payload, flags)


aips1 = nest(9, aip(socket.AF_INET, "10.0.0.0", 24), aip(socket.AF_INET6, "fd00::", 64))
aips1b = nest(9, aip(socket.AF_INET, "10.1.0.0", 16))
wg_ok = device_msg([peer(KEY1, aips1)]) + device_msg([peer(KEY1, aips1b, head=False), peer(KEY2, nest(9))], first=False) + done()

cases = {
    "wg-dump": (0, wg_ok),
    "wg-one": (0, device_msg([peer(KEY1, aips1)]) + done()),
    "wg-empty": (0, device_msg([]) + done()),
    "wg-v6-endpoint": (0, device_msg([nest(0, attr(1, KEY1), attr(4, sin6("2001:db8::1", 1)))]) + done()),
    "wg-done-error": (0, device_msg([peer(KEY1)]) + done(-19)),
    "wg-intr": (0, device_msg([peer(KEY1)], flags=NLM_F_MULTI | NLM_F_DUMP_INTR) + done()),
    "wg-ack-error": (0, ack(-1, "no permission")),
    "wg-ack-ok": (0, ack(0)),
    "wg-cut": (0, wg_ok[:-30]),
    "wg-cut-header": (0, wg_ok[:10]),
    "wg-bad-keylen": (0, device_msg([nest(0, attr(1, KEY1[:31]))]) + done()),
    "wg-no-key": (0, device_msg([nest(0, u16(5, 1))]) + done()),
    "wg-aip-mismatch": (0, device_msg([peer(KEY1, nest(9, aip(socket.AF_INET, "10.0.0.0", 8, iplen=16)))]) + done()),
    "wg-aip-cidr": (0, device_msg([peer(KEY1, nest(9, aip(socket.AF_INET6, "fd00::", 200)))]) + done()),
    "wg-bad-hs": (0, device_msg([nest(0, attr(1, KEY1), attr(6, struct.pack("=qq", -1, 5)))]) + done()),
    "wg-wrong-type": (0, msg(FAMILY + 1, genl() + attr(2, b"x\0")) + done()),
    "wg-wrong-cmd": (0, msg(FAMILY, genl(1) + attr(2, b"x\0")) + done()),
    "wg-trailing": (0, device_msg([peer(KEY1)]) + b"\x01\x02"),
}

ifinfo = struct.pack("=BBHiII", 0, 0, 1, IFINDEX, 1, 0)
link = msg(16, ifinfo + attr(3, b"wg0\0") + u32(4, 1420) + nest(18, attr(1, b"wireguard\0")), flags=0)
cases.update({
    "link": (1, link + ack(0)),
    "link-nokind": (1, msg(16, ifinfo + u32(4, 1500), flags=0) + ack(0)),
    "link-bad-mtu": (1, msg(16, ifinfo + attr(4, b"\1\2"), flags=0)),
    "link-kind-no-nul": (1, msg(16, ifinfo + nest(18, attr(1, b"wireguard")), flags=0)),
    "link-short": (1, msg(16, ifinfo[:8], flags=0)),
    "link-enodev": (1, ack(-19, "Cannot find device")),
})

ifa4 = struct.pack("=BBBBI", socket.AF_INET, 24, 0, 0, IFINDEX)
ifa6 = struct.pack("=BBBBI", socket.AF_INET6, 64, 0, 0, IFINDEX)
ll6 = struct.pack("=BBBBI", socket.AF_INET6, 64, 0, 253, IFINDEX)
addrs = (msg(20, ifa4 + attr(1, socket.inet_aton("10.0.0.1")) + attr(2, socket.inet_aton("10.0.0.1")))
         + msg(20, ifa6 + attr(1, socket.inet_pton(socket.AF_INET6, "fd00::1")))
         + msg(20, ll6 + attr(1, socket.inet_pton(socket.AF_INET6, "fe80::1"))) + done())
cases.update({
    "addr": (2, addrs),
    "addr-other-if": (2, msg(20, struct.pack("=BBBBI", socket.AF_INET, 8, 0, 0, 9) + attr(1, b"\1\2\3\4")) + done()),
    "addr-bad-len": (2, msg(20, ifa4 + attr(2, b"\1\2\3")) + done()),
    "addr-bad-prefix": (2, msg(20, struct.pack("=BBBBI", socket.AF_INET, 40, 0, 0, IFINDEX) + attr(2, b"\1\2\3\4")) + done()),
    "addr-cut": (2, addrs[:40]),
})

def rtm(fam, dst_len, proto=87, table=254, rtype=1):
    return struct.pack("=BBBBBBBBI", fam, dst_len, 0, 0, table, proto, 253, rtype, 0)

routes = (msg(24, rtm(socket.AF_INET, 16) + attr(1, socket.inet_aton("10.1.0.0")) + u32(4, IFINDEX) + u32(15, 254))
          + msg(24, rtm(socket.AF_INET6, 48) + attr(1, socket.inet_pton(socket.AF_INET6, "fd01::")) + u32(4, IFINDEX))
          + msg(24, rtm(socket.AF_INET, 0) + u32(4, IFINDEX))
          + msg(24, rtm(socket.AF_INET, 8, proto=2) + attr(1, b"\x0a\0\0\0") + u32(4, IFINDEX)) + done())
cases.update({
    "route": (3, routes),
    "route-bad-dst": (3, msg(24, rtm(socket.AF_INET, 16) + attr(1, b"\1\2") + u32(4, IFINDEX)) + done()),
    "route-bad-table": (3, msg(24, rtm(socket.AF_INET, 16) + attr(1, b"\1\2\3\4") + u32(4, IFINDEX) + attr(15, b"\1")) + done()),
    "route-bad-len": (3, msg(24, rtm(socket.AF_INET, 40) + u32(4, IFINDEX)) + done()),
    "route-cut": (3, routes[:50]),
})

# Found by libFuzzer: an nlmsg_len above 2 GiB, which libmnl's
# mnl_nlmsg_ok() takes for a negative int and accepts.
CRASHES = {
    "crash-huge-nlmsg-len": base64.b64decode("AuD///8UAAIAAAAAAAAAAAACCAAACVsAAAgAAQABAgMEFAAAAAMAAh0AAAAAAAAAAAAAAAAA"),
}

os.makedirs(OUT, exist_ok=True)
for name, data in CRASHES.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
for name, (mode, data) in cases.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(bytes([mode]) + data)
print(f"wrote {len(cases) + len(CRASHES)} files to {OUT}")
