# 1 % of the nodes crash at once and stay down: how long until every live
# node marks each of them dead, and does anyone wrongly mark a live one.
name crash
duration 40s
at 10s crash 1%
