# Steady state: every node up, ten state records published one a second
# from random nodes (dissemination), then a quiet window for the idle cost.
name steady
duration 50s
every 1s from 2s to 11s publish random
# 30 s: every node starts one push-pull per 30 s, so the window holds one each.
measure 15s 45s
