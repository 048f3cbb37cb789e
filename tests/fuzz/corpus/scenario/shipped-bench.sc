# The scenario behind docs/PERFORMANCE.md's table: dissemination of ten
# state records, the idle cost in a quiet window, then 1 % of the nodes
# crash and the rest must notice. Run it at every size and loss:
#   weft-sim --scenario sim/scenarios/bench.sc --nodes 1000 --loss 5% --json
name bench
duration 70s
every 1s from 2s to 11s publish random
measure 15s 45s
at 45s crash 1%
