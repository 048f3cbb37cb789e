# Admin records spreading from one node each: a revocation, a CIDR change,
# and a WireGuard key rotation order (every node then announces a new key,
# all at once: anti-entropy carries what the dissemination queues cannot).
name admin
duration 90s
at 10s revoke random from random
at 20s cidr 10.128.0.0/16 from random
at 30s rotate from random
