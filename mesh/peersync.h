/* From the network's state to WireGuard (DESIGN §5): the daemon's table of
 * the other members, rebuilt from the store's view after every change, and
 * the desired peer set computed from it; which endpoint to give each peer
 * from its candidates, persistent keepalive where a NAT is likely, the
 * retry schedule (with backoff) of peers that have no handshake yet, and
 * the relay through which a pair with no direct handshake is routed
 * (docs/DESIGN.md, "NAT traversal and relays"). No I/O and no clock: the
 * caller passes the view, WireGuard's device as read, and the time, so the
 * whole policy is unit-tested with the memory backend. */
#ifndef WEFT_PEERSYNC_H
#define WEFT_PEERSYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "gossip/gossip.h"
#include "core/keys.h"
#include "core/record.h"
#include "core/store.h"
#include "wg/wg.h"

/* A handshake younger than this means the tunnel works (WireGuard's
 * REJECT_AFTER_TIME: a session older than that is dead anyway). */
#define WEFT_PEER_TUNNEL_S 180
/* WireGuard retransmits a handshake every 5 s (REKEY_TIMEOUT) whatever we
 * do, so a new candidate is worth trying only that often. */
#define WEFT_PEER_RETRY_MIN_MS 5500
#define WEFT_PEER_RETRY_MAX_MS 60000
#define WEFT_PEER_NAT_KEEPALIVE 25
/* A peer with no direct handshake for this long (and alive by gossip) is
 * routed through a relay: three or four tries of candidates at the first
 * retry interval, ample for two NATs that let hole punching work (their
 * handshake comes within a few seconds of both knowing each other). */
#define WEFT_PEER_RELAY_AFTER_MS 20000
/* A relayed peer's direct path is tried at least this often: each try
 * sends handshakes for WireGuard's 90 s of retransmissions, and a NAT keeps
 * the mapping it opens ~30 s more, so with two candidates each end aims
 * at the other's NAT most of the time and the first window that overlaps
 * on both sides punches through (seconds, not minutes, once it can). */
#define WEFT_PEER_RELAY_RETRY_MS 15000
#define WEFT_PEER_MAX_CANDIDATES 12

struct weft_peer {
	weft_pk_t node_id;
	char name[WEFT_NAME_MAX + 1];
	uint8_t status;         /* weft_member_status_t */
	bool has_state;         /* its node state record is known */
	weft_ip_t addr4, addr6; /* overlay addresses (family 0 = none) */
	weft_wgkey_t wg_pub;
	uint16_t wg_port, gossip_port;
	uint8_t nroutes; /* advertised and approved by the admin */
	weft_cidr_t routes[WEFT_MAX_ROUTES];
	/* Approved and advertised, but left out (routecheck.h): overlapping
	 * the network's ranges, or a default route. refused_news: the list
	 * changed since it was last reported (weft_peerset_route_news clears it). */
	uint8_t nrefused;
	weft_cidr_t refused[WEFT_MAX_ROUTES];
	const char *refused_why[WEFT_MAX_ROUTES];
	bool refused_news;
	/* WireGuard's view, from the last device read */
	bool in_device;
	uint64_t last_handshake_s; /* unix seconds, 0 = never */
	weft_endpoint_t wg_endpoint;
	uint64_t rx_bytes, tx_bytes;
	bool tunnel_up; /* as last told to gossip */
	/* endpoint choice and retries */
	weft_endpoint_t chosen; /* what we gave WireGuard (family 0: none) */
	uint32_t attempt;       /* rotates through the candidates */
	uint8_t ep_hash[8];     /* of the endpoints its state record announces */
	uint32_t backoff_ms;
	uint64_t next_try_ns; /* 0 = not scheduled */
	bool poke;            /* a handshake should be started now */
	bool seen;            /* scratch for update */
	/* relaying */
	/* Announced endpoints the view gives nobody, or another member
	 * (core/store.h, ep_ignored): never candidates (issue #22). */
	uint8_t nignored;
	weft_endpoint_t ignored[WEFT_MAX_ENDPOINTS];
	bool relay_ok;          /* its state offers relaying (WEFT_NODE_RELAY) */
	bool relayed;           /* its addresses are routed through relay */
	weft_pk_t relay;        /* the relay's node id, while relayed */
	uint64_t down_since_ns; /* wanted without a direct tunnel since (0: up) */
	uint8_t kick;           /* 1: keepalive off in the next desired set, 2: on again */
	bool denied;            /* the policy forbids this pair (policyapply.h) */
};

struct weft_peerset {
	weft_pk_t self;
	weft_ip_t self4, self6; /* our overlay addresses */
	uint8_t self_status;    /* weft_member_status_t, 0 = not in the view */
	/* Our announced endpoints the view gives nobody, or another member
	 * (core/store.h, ep_ignored), and who holds the first of those: what
	 * weft status tells us (issue #22). */
	uint8_t self_nignored;
	weft_endpoint_t self_ignored[WEFT_MAX_ENDPOINTS];
	weft_pk_t self_ep_holder;
	struct weft_peer *p; /* sorted by node id */
	size_t n, cap;
	size_t members; /* members in the view, self included */
};

/* Where the endpoint candidates of a member come from: gossip in the
 * daemon, a table in tests. Returns how many were written to out. */
typedef size_t (*weft_peer_cands_fn)(void *ctx, const weft_pk_t *id, struct weft_gossip_candidate *out, size_t cap);

/* What the choice of endpoints and keepalives needs besides the peers. */
struct weft_peersync_env {
	weft_peer_cands_fn cands;
	void *cands_ctx;
	/* Our underlay addresses with their prefix lengths: an announced
	 * endpoint inside one of these subnets is on our LAN, and preferred. */
	const weft_cidr_t *local_nets;
	size_t nlocal_nets;
	bool self_behind_nat; /* our reflexive address is not one of ours */
	int keepalive;        /* > 0: for every peer; 0: only where NAT is likely */
	bool local_only;      /* WEFT_NETOPT_LOCAL_ONLY: LAN candidates only */
	/* Whether gossip holds a member alive (SWIM), for relaying; NULL: all
	 * are. Called with alive_ctx. */
	bool (*alive)(void *ctx, const weft_pk_t *id);
	void *alive_ctx;
	/* Told when a peer's relaying starts or ends, with whether the overlay
	 * reaches it (a direct tunnel or the relay): gossip may use the
	 * overlay through the relay. Called with alive_ctx; may be NULL. */
	void (*relayed)(void *ctx, struct weft_peer *p, bool overlay_up);
};

void weft_peerset_init(struct weft_peerset *ps, const weft_pk_t *self);
void weft_peerset_free(struct weft_peerset *ps);
/* Rebuild the table from a view, keeping what WireGuard and the retries
 * know of members that stay. A member new to the table, or whose WireGuard
 * key changed, is scheduled for a handshake now. -ENOMEM on failure (the
 * table is unchanged then). */
int weft_peerset_update(struct weft_peerset *ps, const weft_view_t *v, uint64_t now_ns);
struct weft_peer *weft_peerset_find(struct weft_peerset *ps, const weft_pk_t *id);
/* The peer whose overlay address is ip, or NULL. */
struct weft_peer *weft_peerset_find_addr(struct weft_peerset *ps, const weft_ip_t *ip);
/* Whether a member becomes a WireGuard peer: active, its state known, with
 * a key and an address, and not denied by the policy. */
bool weft_peer_wanted(const struct weft_peer *p);

/* The candidates for a peer, best first, without repeats: its announced
 * endpoints on our LAN; where WireGuard itself last reached it; where its
 * gossip comes from (a NAT's address); its other announced endpoints,
 * global addresses before private ones (a private address off our LAN is
 * seldom reachable). Ports are the peer's WireGuard port but for the
 * endpoint WireGuard reported. With env->local_only, only those on our
 * LAN. */
size_t weft_peer_candidates(const struct weft_peer *p, const struct weft_peersync_env *env, weft_endpoint_t *out,
			    size_t cap);
/* Whether an address is routed only inside a site: RFC 1918, shared
 * (carrier NAT) space, link-local and loopback; IPv6 unique-local,
 * link-local and loopback. */
bool weft_peer_addr_private(const weft_ip_t *ip);
/* Our reflexive endpoints after a restart: until a peer tells gossip again
 * where it sees us (refl holds no WEFT_EP_REFLEXIVE or _WG candidate), the
 * global addresses our held
 * state record announced that are none of our local addresses stand, and
 * mean a NAT (*behind_nat). Appends them to eps (up to cap); returns the
 * new count. held may be NULL. */
size_t weft_peer_keep_reflexive(const struct weft_gossip_candidate *refl, size_t nrefl,
				const struct weft_rec_node_state *held, const weft_ip_t *local, size_t nlocal,
				weft_endpoint_t *eps, size_t neps, size_t cap, bool *behind_nat);
/* Choose endpoints (a peer with a recent handshake keeps the one WireGuard
 * roamed to) and keepalives, and fill dev with every wanted peer. A
 * relayed peer stays a peer (for the direct handshake tried in the
 * background) but its allowed IPs go to its relay's peer. dev must be
 * empty; its private key and port are the caller's. */
int weft_peerset_desired(struct weft_peerset *ps, const struct weft_peersync_env *env, uint64_t now_unix_s,
			 weft_wg_device_t *dev);
/* Take in a device read: handshake times, WireGuard's endpoints and
 * counters. For each peer whose tunnel went up or down (handshake younger
 * than WEFT_PEER_TUNNEL_S), fn is called; a peer that completed a
 * handshake stops being retried. */
typedef void (*weft_peer_tunnel_fn)(void *ctx, struct weft_peer *p, bool up);
void weft_peerset_observe(struct weft_peerset *ps, const weft_wg_device_t *cur, uint64_t now_unix_s,
			  weft_peer_tunnel_fn fn, void *ctx);
/* Peers due for another try at now: each gets its next candidate (the
 * caller re-applies the peer set) and a poke, or a kick when relayed (the
 * poke would go through the relay); the retry interval doubles after every
 * full round of candidates, up to WEFT_PEER_RETRY_MAX_MS. Also decides the
 * relays: a peer with no direct handshake for WEFT_PEER_RELAY_AFTER_MS is
 * relayed through weft_peerset_relay_for()'s pick while our own tunnel to
 * it is up (whatever gossip says of the peer: between two NATs that defeat
 * hole punching, its probes fail too until they go through the relay); a
 * direct handshake ends it. env->relayed hears of each change.
 * Returns how many peers changed (became due, or relayed, or not): the
 * caller re-applies the peer set when that is not 0. */
size_t weft_peerset_retry(struct weft_peerset *ps, const struct weft_peersync_env *env, uint64_t now_ns);
/* The earliest scheduled retry (UINT64_MAX: none). */
uint64_t weft_peerset_next_retry(const struct weft_peerset *ps);
/* The relay for the pair (us, p), the same on both sides: among the other
 * members whose state offers relaying, that are wanted and alive by gossip,
 * the one with the lowest BLAKE2b(lower pair id, higher pair id, relay id).
 * NULL when there is none. Whether our tunnel to it is up is the caller's
 * concern (retry uses it only then). */
const struct weft_peer *weft_peerset_relay_for(const struct weft_peerset *ps, const struct weft_peersync_env *env,
					       const struct weft_peer *p);
/* True while a kick is half done (a relayed peer's keepalive was turned off
 * so that turning it on again sends a handshake at once, WireGuard's rule
 * for both implementations): the caller applies the peer set once more. */
bool weft_peerset_kicking(const struct weft_peerset *ps);

/* Each peer's routes left out (mesh/routecheck.h) that were not reported
 * for it yet (refused_news), as one sentence each for say (the daemon logs
 * them as warnings: this layer does not log); the mark is cleared.
 * Returns how many sentences were said. */
typedef void (*weft_peer_say_fn)(void *ctx, const char *msg);
size_t weft_peerset_route_news(struct weft_peerset *ps, const char *netname, weft_peer_say_fn say, void *ctx);

#endif
