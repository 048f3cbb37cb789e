# A WireGuard key rotation order entered at one random member: every node
# makes a new key as the order reaches it and announces it in a new state
# record, so N records enter the network within half a second. The order
# itself spreads like any record; the N new keys are a bulk transfer that
# anti-entropy completes (see docs/PERFORMANCE.md). tests/unit/test_sim_admin.c
# runs it at 1,000 nodes:
#   weft-sim --scenario sim/scenarios/admin-rotate.sc --nodes 1000
name admin-rotate
duration 18s
at 2s rotate from random
