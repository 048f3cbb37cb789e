/* A small deterministic network of real gossip nodes for the gossip unit
 * tests: virtual time, one event queue of datagrams in flight, links with
 * latency, jitter and loss, partitions, nodes that stop and restart from
 * their store. Every node shares one record pool, verification cache and
 * node-id directory, as the simulator does. Same seed, same run. */
#ifndef WEFT_TEST_GOSSIP_NET_H
#define WEFT_TEST_GOSSIP_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gossip/gossip.h"
#include "core/mpack.h"

#define GNET_MAX 1024
#define GNET_SEC 1000000000ull
#define GNET_MS 1000000ull
#define GNET_WALL_BASE_MS 1700000000000ull

struct gnet_node {
	int idx;
	bool up;
	int group; /* nodes in different groups do not hear each other */
	weft_keypair_t id;
	weft_store_t *store;
	weft_gossip_t *g;
	weft_endpoint_t ep;
	uint64_t rng;
	uint64_t deadline;
	/* what the node reported */
	uint32_t events[WEFT_GEV_MAX + 1];
	bool joined, join_failed, pending;
	int join_err;
	uint32_t dead_reports; /* LIVENESS dead events about other nodes */
	uint32_t state_version;
	uint64_t delay;      /* extra one-way latency of its packets, both ways (a slow node) */
	weft_endpoint_t nat; /* if set, its packets appear to come from here (a NAT) */
	/* Behind that NAT for real: datagrams to its own (LAN) endpoint are
	 * lost, only its NAT's address reaches it. */
	bool lan_hidden;
	/* Its state records announce the NAT's address after its own, as a
	 * daemon does once it has learned it (gnet_bump_state). */
	bool announce_nat;
};

struct gnet;
/* Called for every datagram a node emits (before loss), for assertions. */
typedef void (*gnet_tap_fn)(struct gnet *net, int from, const struct weft_gossip_dgram *dg, const uint8_t *buf,
			    size_t len, void *ctx);
/* Called for every event a node reports. */
typedef void (*gnet_event_fn)(struct gnet *net, int node, const struct weft_gossip_event *ev, void *ctx);

struct gnet_pkt;

struct gnet {
	uint64_t now;
	uint64_t rng;
	uint64_t latency, jitter; /* ns */
	uint32_t loss_ppm;        /* per million */
	bool drop_overlay;        /* the tunnels are broken: overlay datagrams are lost */
	int cut[16][2];           /* pairs of nodes that cannot reach each other (gnet_cut) */
	int ncut;
	int64_t joiner_wall_ms; /* a joiner's wall clock is this far off */
	struct weft_gossip_params params;
	weft_keypair_t admin, invite;
	weft_record_t settings, invite_rec, keyring;
	uint8_t netkey[32];
	uint32_t netkey_epoch; /* of netkey, what a restarted node gets; 0 = 1 */
	weft_recpool_t *pool;
	weft_vcache_t *cache;
	weft_gossip_dir_t *dir;
	struct gnet_node nodes[GNET_MAX];
	int n;
	struct gnet_pkt **heap;
	size_t nheap, heap_cap;
	uint64_t pkt_seq;
	uint64_t pkts, bytes, dropped;
	uint8_t transcript[32]; /* running BLAKE2b over every datagram sent */
	gnet_tap_fn tap;
	gnet_event_fn on_event;
	void *ctx;
};

/* A network with its admin, settings, a multi-use invite and a key epoch,
 * no nodes yet. params may be NULL (defaults). */
struct gnet *gnet_new(uint64_t seed, const struct weft_gossip_params *params);
void gnet_free(struct gnet *net);

/* The first member: certified by the admin directly, holding the key. */
int gnet_add_founder(struct gnet *net);
/* n members at once, as if they had joined long ago: one store holding
 * every member and state record, cloned (O(1)) for each, all with the key. */
void gnet_add_provisioned(struct gnet *net, int n);
/* A new node that joins through node `via` with the network's invite;
 * returns its index (run the network for the join to happen). */
int gnet_add_joiner(struct gnet *net, int via);
/* A new node that joins with a token for a given invite key pair and
 * invite record (the tests make single-use, expired, approval invites). */
int gnet_add_joiner_with(struct gnet *net, int via, const weft_keypair_t *invite_kp, const weft_record_t *invite,
			 const weft_keypair_t *identity);
/* Build a joining node without starting it: identity and store only. */
int gnet_node_create(struct gnet *net, const weft_keypair_t *identity);
/* Start node i (made by gnet_node_create, its store perhaps filled by the
 * test) as a joiner with a token for the given invite, through node via. */
int gnet_join_node(struct gnet *net, int i, int via, const weft_keypair_t *invite_kp, const weft_record_t *invite);

void gnet_run(struct gnet *net, uint64_t duration_ns);
/* Run until pred(net) holds or the time is up; returns whether it held. */
bool gnet_run_until(struct gnet *net, uint64_t max_ns, bool (*pred)(struct gnet *net, void *ctx), void *ctx);

/* Stop a node (it hears and says nothing); restart it from its store and
 * key as a daemon restart would: no token. */
void gnet_stop(struct gnet *net, int i);
/* Stop and free the node's protocol state, keeping its store (to change the
 * store "offline" before gnet_restart). */
void gnet_shutdown(struct gnet *net, int i);
int gnet_restart(struct gnet *net, int i);

/* Deliver one datagram now to node i, as if from `from` (not queued). */
int gnet_inject(struct gnet *net, int i, uint8_t path, const weft_endpoint_t *from, const uint8_t *buf, size_t len);
/* A datagram as a member would make it: the header for type, then body
 * sealed with the network key (or key, if not NULL), or in the clear.
 * pkt has room for WEFT_GOSSIP_MTU + 64 bytes. Returns its length. */
size_t gnet_packet(struct gnet *net, uint8_t *pkt, uint8_t type, bool sealed, const uint8_t *key,
		   const uint8_t *body, size_t blen);
/* A member message as node `from` would send it to node `to`: the body,
 * then the counter and MAC keyed with their pair key, sealed with the
 * network key (or key) when sealed. ctr 0: one above anything `from` has
 * sent so far (its wall clock's microseconds, plus a little). Node `from`
 * need not run; any node of the network can be named. Returns the length. */
size_t gnet_member_packet(struct gnet *net, uint8_t *pkt, uint8_t type, bool sealed, const uint8_t *key, int from,
			  int to, uint64_t ctr, const uint8_t *body, size_t blen);
/* The same with the keys of any identity (a stranger, a forger). */
size_t gnet_member_packet_as(struct gnet *net, uint8_t *pkt, uint8_t type, bool sealed, const uint8_t *key,
			     const weft_keypair_t *from, const weft_pk_t *to, uint64_t ctr, const uint8_t *body,
			     size_t blen);
/* Node `signer`'s signature on a membership update (kind, about, inc). */
void gnet_sign_update(struct gnet *net, int signer, uint8_t kind, int about, uint32_t inc, uint8_t sig[64]);
/* Append a signed membership update to an items array being written:
 * [kind, about, inc, sig] or, for suspect and dead, [kind, about, inc,
 * signer, sig]; the signature is signer's. */
void gnet_put_update(struct gnet *net, struct weft_wbuf *w, uint8_t kind, int about, uint32_t inc, int signer);
/* Drain what node i wants to send and what it reports (after gnet_inject
 * or a direct call on its weft_gossip_t). */
void gnet_drain(struct gnet *net, int i);

/* Every running node holds the same store digest. */
bool gnet_converged(struct gnet *net, void *unused);
/* Every running node sees every other running node alive. */
bool gnet_all_alive(struct gnet *net, void *unused);
/* Every running node is a member, they hold the same records and all see
 * each other alive. */
bool gnet_settled(struct gnet *net, void *unused);
/* A network of n nodes: the founder, then n - 1 joiners 100 ms apart, each
 * through a random earlier node, run until settled (aborts if not within
 * 120 s). *settle_ns, if not NULL, gets the time it took after the last
 * join. params may be NULL. */
struct gnet *gnet_grow(uint64_t seed, int n, const struct weft_gossip_params *params, uint64_t *settle_ns);
/* How many running nodes other than i see node i in this state. */
int gnet_count_seeing(struct gnet *net, int i, uint8_t state);
/* Every running node but the one named sees it in the state named. */
struct gnet_seen {
	int node;
	uint8_t state;
};
bool gnet_all_see(struct gnet *net, void *seen);
/* Nodes a and b lose every datagram between them, both ways, on either
 * path (two NATs that no punch gets through), while both still reach the
 * others. At most 16 pairs. */
void gnet_cut(struct gnet *net, int a, int b);
/* Sign and publish a new version of node i's state record. */
int gnet_bump_state(struct gnet *net, int i);
/* Publish an admin-signed record through node i. */
int gnet_publish_admin(struct gnet *net, int i, weft_record_t *r);

/* Make an invite record signed by the admin. */
void gnet_make_invite(struct gnet *net, weft_keypair_t *kp, weft_record_t *r, uint32_t seed, uint32_t max_uses,
		      uint64_t expires_s, bool approval);
void gnet_keypair(weft_keypair_t *kp, uint8_t role, uint32_t n);

#endif
