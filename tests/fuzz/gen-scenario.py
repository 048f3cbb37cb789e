#!/usr/bin/env python3
"""Writes the stored corpus of fuzz-scenario (tests/fuzz/corpus/scenario/):
every shipped scenario, small runnable ones, and malformed edge cases.
Run from anywhere: python3 tests/fuzz/gen-scenario.py"""
import glob
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "scenario")
SCEN = os.path.join(HERE, "..", "..", "sim", "scenarios")

SMALL = [
    # runnable: a few nodes, a few seconds
    "nodes 4\nduration 2s\nat 0.5s publish random\nat 1s crash 1 for 0.5s\n",
    "nodes 6\nduration 2s\ngroup A 0 50%\ngroup B 50% 100%\nat 0.2s partition A B\nat 1s heal\n",
    "nodes 5\nduration 2s\nat 0.1s crash admin\nat 0.2s join 2 via admin random node 1\n",
    "nodes 4\nduration 2s\nat 0.5s revoke node 2 from node 1\nat 1s rotate\nat 1.5s cidr 10.9.0.0/16 from admin\n",
    "nodes 3\nduration 2s\nwg memory\nbandwidth 2k\nqueue 50ms\nloss 30%\nat 1s loss 0\n",
    "nodes 3\nduration 2s\nwg none\nlatency 0\njitter 0\nat 1s latency 100ms\nat 1s jitter 1ms\n",
    "nodes 4\nduration 2s\nevery 100ms from 0 to 2s publish\nmeasure 0.5s 1.5s\n",
    "nodes 4\nduration 2s\nat 0.3s crash all\nat 0.6s restart 50%\nat 0.9s restart all\n",
    "nodes 8\nduration 2s\nparam gossip_fanout 16\nparam probe_interval_ms 100\nat 0 crash 3\n",
    "nodes 4\nduration 2s\ninvite_uses 1\ngroup A 0 2\ngroup B 2 6\nat 0.1s partition A B\n"
    "at 0.2s join 1 via node 2\nat 0.3s join 1 via node 0\nat 1.5s heal\n",
    # edge cases
    "", "\n\n\n", "# only a comment", "nodes", "nodes 2 3\n", "at\n", "every 1s from 0 to\n",
    "at 1.0000000001s publish\n", "duration 99999999999999999999\n", "loss 0.0000001\n",
    "group " + "x" * 40 + " 0 1\n", "at 1s join 100001\n", "at 1s crash 0%\n",
    "at 1s partition A\n", "at 1s heal A B C\n", "bandwidth 1.5G\n", "bandwidth k\n",
    "at -1s publish\n", "seed 18446744073709551615\n", "seed 18446744073709551616\n",
    "name \xff\xfe\n", "nodes 10\x00\n", "at 1s publish node 199999\n",
    "\t at\t1s\tpublish\trandom\r\n", "x" * 600 + "\n",
    " ".join(["at"] * 30) + "\n",
    "invite_uses 0\n", "invite_uses 4294967296\n",
    # the adversary (issue #22): runnable, then malformed
    "nodes 6\nduration 2s\nmalicious 2 all\nat 1s crash 1\n",
    "nodes 5\nduration 2s\nmalicious 20% kill,harass\nat 0.5s publish\n",
    "nodes 4\nduration 2s\nmalicious 1 impersonate,alive,records\nat 0.5s crash 1 for 0.5s\n",
    "malicious\n", "malicious 1% steal\n", "malicious 3 kill,,harass\n", "malicious 4 all extra\n",
    "nodes 3\nmalicious 3\n", "malicious 200001\n",
]


def main():
    os.makedirs(OUT, exist_ok=True)
    for old in glob.glob(os.path.join(OUT, "*")):
        os.remove(old)
    n = 0
    for path in sorted(glob.glob(os.path.join(SCEN, "*.sc"))):
        with open(path, "rb") as f:
            data = f.read()
        with open(os.path.join(OUT, "shipped-" + os.path.basename(path)), "wb") as f:
            f.write(data)
        n += 1
    for i, text in enumerate(SMALL):
        with open(os.path.join(OUT, "case-%02d" % i), "wb") as f:
            f.write(text.encode("latin-1"))
        n += 1
    print("wrote %d files to %s" % (n, OUT))


if __name__ == "__main__":
    main()
