#!/usr/bin/env python3
"""Writes the stored corpus of fuzz-mpack (tests/fuzz/corpus/mpack/): each
encoding at its boundaries, nested arrays, a gossip-like body, and the forms
the reader must refuse (non-minimal, truncated, trailing, types outside the
subset). The encoder here is independent of core/mpack.c.
Run from anywhere: python3 tests/fuzz/gen-mpack.py"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "mpack")


def uint(v):
    if v <= 0x7F:
        return bytes([v])
    for tag, fmt, top in ((0xCC, ">B", 0xFF), (0xCD, ">H", 0xFFFF), (0xCE, ">I", 0xFFFFFFFF)):
        if v <= top:
            return bytes([tag]) + struct.pack(fmt, v)
    return b"\xcf" + struct.pack(">Q", v)


def array(items):
    n = len(items)
    if n <= 15:
        head = bytes([0x90 | n])
    elif n <= 0xFFFF:
        head = b"\xdc" + struct.pack(">H", n)
    else:
        head = b"\xdd" + struct.pack(">I", n)
    return head + b"".join(items)


def bin_(b):
    n = len(b)
    if n <= 0xFF:
        return b"\xc4" + bytes([n]) + b
    if n <= 0xFFFF:
        return b"\xc5" + struct.pack(">H", n) + b
    return b"\xc6" + struct.pack(">I", n) + b


def str_(s):
    n = len(s)
    if n <= 31:
        return bytes([0xA0 | n]) + s
    if n <= 0xFF:
        return b"\xd9" + bytes([n]) + s
    if n <= 0xFFFF:
        return b"\xda" + struct.pack(">H", n) + s
    return b"\xdb" + struct.pack(">I", n) + s


NIL, FALSE, TRUE = b"\xc0", b"\xc2", b"\xc3"
ONES = lambda n: [uint(1)] * n
BODY = lambda n: bytes((i * 7 + 3) & 0xFF for i in range(n))

CASES = {
    # valid, at each boundary
    "uint-0": uint(0), "uint-7f": uint(0x7F), "uint-80": uint(0x80), "uint-ff": uint(0xFF),
    "uint-100": uint(0x100), "uint-ffff": uint(0xFFFF), "uint-10000": uint(0x10000),
    "uint-ffffffff": uint(0xFFFFFFFF), "uint-100000000": uint(1 << 32),
    "uint-max": uint((1 << 64) - 1),
    "array-0": array([]), "array-15": array(ONES(15)), "array-16": array(ONES(16)),
    "array-300": array(ONES(300)),
    "bin-0": bin_(b""), "bin-ff": bin_(BODY(0xFF)), "bin-100": bin_(BODY(0x100)),
    "bin-1000": bin_(BODY(1000)),
    "str-0": str_(b""), "str-31": str_(BODY(31)), "str-32": str_(BODY(32)),
    "str-ff": str_(BODY(0xFF)), "str-100": str_(BODY(0x100)),
    "nil-bool": NIL + FALSE + TRUE,
    "nested": array([array([array([uint(5), NIL]), bin_(b"x")]), str_(b"hi"), TRUE]),
    "deep": bytes([0x91]) * 200 + NIL,
    # like a gossip ping: [from id, seq, target id, items]
    "ping-like": array([bin_(BODY(32)), uint(77), bin_(BODY(32)),
                        array([bin_(BODY(120)), array([uint(2), bin_(BODY(32)), uint(9), bin_(BODY(32))])])]),
    # like an invite token: [1, id, settings, invite, seed, [hostports]]
    "token-like": array([uint(1), bin_(BODY(32)), bin_(BODY(300)), bin_(BODY(200)),
                         bin_(BODY(32)), array([str_(b"203.0.113.5:51821"), str_(b"[2001:db8::1]:51821")])]),
    "several-values": uint(1) + bin_(b"ab") + NIL + str_(b"c"),
    # refused: non-minimal forms
    "nonmin-uint8": b"\xcc\x7f", "nonmin-uint16": b"\xcd\x00\xff",
    "nonmin-uint32": b"\xce\x00\x00\xff\xff", "nonmin-uint64": b"\xcf" + struct.pack(">Q", 0xFFFFFFFF),
    "nonmin-array16": b"\xdc\x00\x01\x01", "nonmin-array32": b"\xdd\x00\x00\x00\x01\x01",
    "nonmin-bin16": b"\xc5\x00\x02ab", "nonmin-bin32": b"\xc6\x00\x00\x00\x01a",
    "nonmin-str8": b"\xd9\x01a", "nonmin-str16": b"\xda\x00\x01a", "nonmin-str32": b"\xdb\x00\x00\x00\x01a",
    # refused: truncated and lying lengths
    "trunc-uint64": b"\xcf\x01\x02", "trunc-bin": b"\xc4\x05ab", "trunc-str": b"\xa5ab",
    "trunc-array": array(ONES(20))[:-3], "lying-array32": b"\xdd\x7f\xff\xff\xff\x01",
    "trunc-nested": array([bin_(BODY(40)), uint(300)])[:-1],
    # refused: outside the subset, and trailing after a value
    "negfix": b"\xff", "int8": b"\xd0\x80", "float32": b"\xca\x00\x00\x00\x00",
    "fixmap": b"\x81\x01\x02", "fixext": b"\xd4\x01\x02", "never-used": b"\xc1",
    "trailing": uint(5) + b"\xc1",
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name in os.listdir(OUT):
        os.unlink(os.path.join(OUT, name))
    for name, data in sorted(CASES.items()):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    print(f"wrote {len(CASES)} files to {OUT}")


if __name__ == "__main__":
    main()
