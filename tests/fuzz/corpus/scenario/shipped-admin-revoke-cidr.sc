# A revocation and a CIDR change, each entered at one random member (as
# `weft push` there would). Both must reach every live node within the
# dissemination bound, every node must drop the revoked one, and every
# node's view must give each member an address in the new CIDR, no two
# the same. tests/unit/test_sim_admin.c runs it at 1,000 nodes:
#   weft-sim --scenario sim/scenarios/admin-revoke-cidr.sc --nodes 1000
name admin-revoke-cidr
duration 8s
at 2s revoke random from random
at 4s cidr 10.128.0.0/16 from random
