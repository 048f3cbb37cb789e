#!/usr/bin/env python3
"""Writes the stored corpus of fuzz-dns (tests/fuzz/corpus/dns/): the
queries captured from dig (taken from tests/unit/test_dns_util.h so there is
one copy), queries for every kind of answer of the fixture zone, and the
malformed ones the parser must refuse (pointer loops, forward pointers,
long names, bad EDNS, wrong counts, opcodes). Run from anywhere:
python3 tests/fuzz/gen-dns.py"""
import os
import re
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "dns")
UTIL = os.path.join(HERE, "..", "unit", "test_dns_util.h")

A, NS, CNAME, SOA, PTR, MX, TXT, AAAA, SRV, OPT = 1, 2, 5, 6, 12, 15, 16, 28, 33, 41
IXFR, AXFR, MAILA, ANY = 251, 252, 254, 255


def name(text):
    out = b""
    for label in [l for l in text.split(".") if l]:
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def opt(size=1232, version=0, do=False, options=b""):
    return b"\0" + struct.pack(">HHBBHH", OPT, size, 0, version, 0x8000 if do else 0, len(options)) + options


def query(qname, qtype=A, qclass=1, flags=0x0100, qid=0x1234, edns=None, extra=b"", counts=None):
    q = name(qname) if isinstance(qname, str) else qname
    body = q + struct.pack(">HH", qtype, qclass)
    ar = 0
    if edns is not None:
        body += edns
        ar = 1
    body += extra
    qd, an, ns, arc = counts if counts else (1, 0, 0, ar)
    return struct.pack(">HHHHHH", qid, flags, qd, an, ns, arc) + body


def dig_vectors():
    text = open(UTIL).read()
    block = text[text.index("hex[DIG_NVECTORS]"):]
    block = block[:block.index("};")]
    return [bytes.fromhex("".join(re.findall(r'"([0-9a-f]*)"', e))) for e in block.split(",")[:-1]]


def ip6_rev(nibbles):
    return ".".join(nibbles[::-1]) + ".ip6.arpa"


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        os.unlink(os.path.join(OUT, f))
    cases = {}
    for i, v in enumerate(dig_vectors()):
        cases["dig-%d" % i] = v

    z = "net.internal"
    web6 = "fd00004200000000" + "0" * 15 + "5"
    good = {
        "a-web": query("web." + z),
        "a-web-case": query("WeB.NeT.iNtErNaL"),
        "aaaa-web": query("web." + z, AAAA),
        "aaaa-db-nodata": query("db." + z, AAAA),
        "a-nxdomain": query("nope." + z),
        "a-chain": query("chain." + z),
        "a-loop": query("loop1." + z),
        "a-dangle": query("dangle." + z),
        "a-ext": query("ext." + z),
        "cname-www": query("www." + z, CNAME),
        "txt": query("txt." + z, TXT),
        "txt-big-udp": query("big." + z, TXT),
        "txt-big-edns": query("big." + z, TXT, edns=opt(1232)),
        "txt-big-edns600": query("big." + z, TXT, edns=opt(600, do=True)),
        "srv": query("_sip._udp." + z, SRV),
        "a-ent": query("_udp." + z),
        "a-wild": query("a.b.dev." + z),
        "a-wild-cname": query("foo.wc." + z),
        "txt-x-dev": query("x.dev." + z, TXT),
        "soa-apex": query(z, SOA),
        "ns-apex": query(z, NS),
        "any-web": query("web." + z, ANY, edns=opt(4096)),
        "axfr": query(z, AXFR),
        "ixfr": query(z, IXFR),
        "maila": query("web." + z, MAILA),
        "mx": query("web." + z, MX),
        "ptr4": query("5.0.42.10.in-addr.arpa", PTR),
        "ptr4-nx": query("99.0.42.10.in-addr.arpa", PTR),
        "ptr4-partial": query("0.42.10.in-addr.arpa", PTR),
        "ptr4-outside": query("5.0.43.10.in-addr.arpa", PTR),
        "ptr4-deep": query("1.5.0.42.10.in-addr.arpa", PTR),
        "ptr4-badlabel": query("05.0.42.10.in-addr.arpa", PTR),
        "ptr6": query(ip6_rev(web6), PTR),
        "ptr6-partial": query(ip6_rev(web6[:20]), PTR),
        "ptr6-badnibble": query(ip6_rev(web6[:31] + "g"), PTR),
        "out-of-zone": query("example.com"),
        "root-ns": query(".", NS),
        "class-ch": query("version.bind", TXT, qclass=3),
        "edns-cookie": query("web." + z, edns=opt(1232, options=struct.pack(">HH", 10, 8) + b"\1" * 8)),
        "edns-small": query("web." + z, edns=opt(100)),
        "no-rd": query("web." + z, flags=0),
        "cd": query("web." + z, flags=0x0110),
        "additional-a": query("web." + z, extra=b"\xc0\x0c" + struct.pack(">HHIH", A, 1, 0, 4) + b"\1\2\3\4",
                              counts=(1, 0, 0, 1)),
    }
    bad = {
        "short": b"\x12\x34\x01\x00\x00\x01",
        "empty": b"",
        "response": query("web." + z, flags=0x8100),
        "opcode-status": query("web." + z, flags=0x1100),
        "opcode-update": query("web." + z, flags=0x2800),
        "qd0": query("web." + z, counts=(0, 0, 0, 0)),
        "qd2": query("web." + z, counts=(2, 0, 0, 0)),
        "trailing": query("web." + z) + b"\0",
        "ptr-in-question": query(b"\3web\xc0\x0c"),
        "ptr-self": query("web." + z, extra=b"\1a\xc0\x24" + struct.pack(">HHIH", A, 1, 0, 0),
                          counts=(1, 0, 0, 1)),
        "ptr-forward": query("web." + z, extra=b"\xc0\x40" + struct.pack(">HHIH", A, 1, 0, 0),
                             counts=(1, 0, 0, 1)),
        "ptr-header": query("web." + z, extra=b"\xc0\x02" + struct.pack(">HHIH", A, 1, 0, 0),
                            counts=(1, 0, 0, 1)),
        "label-0x40": query(b"\x41a\0"),
        "label-0x80": query(b"\x81a\0"),
        "name-256": query(b"".join(b"\x3f" + b"x" * 63 for _ in range(4)) + b"\0"),
        "name-255": query(b"".join(b"\x3f" + b"x" * 63 for _ in range(3)) + b"\x3d" + b"y" * 61 + b"\0"),
        "truncated-name": query("web." + z)[:20],
        "truncated-opt": query("web." + z, edns=opt())[:-3],
        "qtype-opt": query("web." + z, OPT),
        "two-opts": query("web." + z, edns=opt(), extra=opt(), counts=(1, 0, 0, 2)),
        "opt-in-answer": query("web." + z, edns=opt(), counts=(1, 1, 0, 0)),
        "opt-owner": query("web." + z, extra=b"\1x" + opt()[0:], counts=(1, 0, 0, 1)),
        "opt-option-overrun": query("web." + z, edns=opt(options=struct.pack(">HH", 10, 40) + b"\1\2")),
        "badvers": query("web." + z, edns=opt(version=1, do=True)),
        "counts-lie": query("web." + z, counts=(1, 3, 0, 0)),
    }
    cases.update(good)
    cases.update(bad)
    for k, v in sorted(cases.items()):
        with open(os.path.join(OUT, k), "wb") as f:
            f.write(v)
    print("wrote %d files to %s" % (len(cases), OUT))


if __name__ == "__main__":
    main()
