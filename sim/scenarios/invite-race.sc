# One 2-use invite, three joiners, a partition: the joiner on side B
# (node 1000) joins first, then two on side A (nodes 1001 and 1002), each
# side admitting what its own store allows. After the heal every node must
# compute the same first two uses by (join time, node id), DESIGN §3:
# nodes 1000 and 1001 active, node 1002 over-used. Group bounds are node
# indices (joiners are numbered after the 1,000 first members), so run it
# as written: weft-sim --scenario sim/scenarios/invite-race.sc
name invite-race
nodes 1000
duration 40s
invite_uses 2
group A 0 500
group B 500 1001
group JA 1001 1003
at 2s partition A B
at 2s partition JA B
at 3s join 1 via node 600
at 4s join 1 via node 3
at 5s join 1 via node 4
at 15s heal
