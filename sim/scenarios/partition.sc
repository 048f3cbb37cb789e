# A 50/50 partition for 60 s, then it heals. Records published on both
# sides while cut off must reach everyone after the heal, and every node
# must see every other alive again.
name partition
duration 130s
group A 0 50%
group B 50% 100%
at 10s partition A B
every 5s from 15s to 65s publish random
at 70s heal A B
