# The admin's node is down; 50 nodes join with an invite token whose first
# bootstrap endpoint is that node, then two other members.
name join
duration 60s
at 5s crash admin
at 10s join 50 via admin random random
