# Churn: 10 % of the nodes crash and restart 10 s later from their
# persisted state (store, incarnation, network key), while records keep
# being published.
name churn
duration 60s
at 10s crash 10% for 10s
every 1s from 5s to 30s publish random
