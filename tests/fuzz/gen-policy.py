#!/usr/bin/env python3
"""Writes the stored corpus of fuzz-policy (tests/fuzz/corpus/policy/): valid
policy files (docs/POLICY.md) and each kind of error the parser reports.
Run from anywhere: python3 tests/fuzz/gen-policy.py"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "policy")

GOOD = [
    "",
    "\n\n",
    "# only a comment",
    "default allow\n",
    "default deny\n",
    "default deny\nallow admin -> *\nallow guest -> printer\ndeny guest -> *\nallow web -> db\nallow * -> dns\n",
    "allow web->db\n",
    "deny a -> b\ndefault deny\n",
    "  default   deny  # trailing\r\n\tallow a_b -> c-d\r\n",
    "allow * -> *\n",
    "deny " + "a" * 31 + " -> " + "b" * 31 + "\n",
    "".join("allow t%d -> *\n" % i for i in range(24)),
    "allow x -> y",
]

BAD = [
    "permit a -> b\n",
    "default allow\ndefault deny\n",
    "default maybe\n",
    "default\n",
    "allow a b\n",
    "allow a -> \n",
    "deny a -> b -> c\n",
    "allow a => b\n",
    "allow Web -> db\n",
    "allow ** -> db\n",
    "allow " + "a" * 32 + " -> b\n",
    "allow a -> b\x01\n",
    "allow a\r -> b\n",
    "allow \xc3\xa9 -> b\n",
    "allow a -> b\n\x00",
    "".join("allow t%d -> *\n" % i for i in range(25)),
    "->\n",
    "allow -> -> ->\n",
    "allow a->->b\n",
    "#\n" * 40 + "deny\n",
]


def main():
    os.makedirs(OUT, exist_ok=True)
    for name in os.listdir(OUT):
        os.unlink(os.path.join(OUT, name))
    for kind, items in (("good", GOOD), ("bad", BAD)):
        for i, s in enumerate(items):
            with open(os.path.join(OUT, "%s-%02d" % (kind, i)), "wb") as f:
                f.write(s.encode("latin-1"))


if __name__ == "__main__":
    main()
