/* A compromised member for the gossip unit tests: node `a` of the in-test
 * network, holding its own identity and the network key and nothing else,
 * sends the best packets it can make for each attack of issue #22. The
 * scenarios (test_gossip_insider.c) only call these, so they can be run
 * against another wire format by swapping this file. */
#ifndef WEFT_TEST_GOSSIP_ATTACK_H
#define WEFT_TEST_GOSSIP_ATTACK_H

#include <stdint.h>

#include "tests/unit/gossip_net.h"

/* A gossip packet from a to node `to` carrying one membership update
 * about node `about` at inc. For suspect and dead, `accuser` is the member
 * the update names as accuser: a itself, or another (a forged
 * confirmation). alive and left claim to be about's own. Returns what the
 * receiver's weft_gossip_recv() said. */
int atk_update(struct gnet *net, int a, int to, uint8_t kind, int about, uint32_t inc, int accuser);
/* A packet of `type` (ping to `to`, or gossip with no items) that names
 * node `victim` as its sender, sent from a's address to node `to`. */
int atk_impersonate(struct gnet *net, int a, int victim, int to, uint8_t type);
/* An ack to node `to` for its sequence number seq: from a itself, or
 * naming `victim` as its sender (victim >= 0). */
int atk_ack(struct gnet *net, int a, int to, uint32_t seq, int victim);
/* Sign a new state record of a's (its name and endpoints as given;
 * NULL/0 for the harness's defaults) and hand it to node `to` directly. */
int atk_state(struct gnet *net, int a, int to, uint64_t version, const char *name, const weft_endpoint_t *eps,
	      int neps);
/* Bytes of every datagram the attacker made so far. */
extern uint64_t atk_bytes;

#endif
