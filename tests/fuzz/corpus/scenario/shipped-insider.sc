# Issue #22: 1 % of the members are compromised and attack the others the
# whole run (every attack: kill, impersonate, alive, harass, records; see
# sim/adversary.c), while 1 % of the members crash at 30 s. What must hold
# (asserted in tests/unit/test_sim_insider.c): no honest member is ever
# held dead by another while it is up, every crash is known to every live
# member within the normal detection time (the same run without the
# attackers, plus 2 s), no crashed member is revived while it is down, and
# no endpoint is learnt from a forged sender.
name insider
nodes 1000
duration 60s
malicious 1% all
at 30s crash 1%
measure 10s 30s
