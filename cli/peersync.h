/* From the network's state to WireGuard (DESIGN §5): the daemon's table of
 * the other members, rebuilt from the store's view after every change, and
 * the desired peer set computed from it; which endpoint to give each peer
 * from its candidates, persistent keepalive where a NAT is likely, and the
 * retry schedule (with backoff) of peers that have no handshake yet. No I/O
 * and no clock: the caller passes the view, WireGuard's device as read, and
 * the time, so the whole policy is unit-tested with the memory backend. */
#ifndef WEFT_PEERSYNC_H
#define WEFT_PEERSYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "gossip.h"
#include "keys.h"
#include "record.h"
#include "store.h"
#include "wg.h"

/* A handshake younger than this means the tunnel works (WireGuard's
 * REJECT_AFTER_TIME: a session older than that is dead anyway). */
#define WEFT_PEER_TUNNEL_S 180
/* WireGuard retransmits a handshake every 5 s (REKEY_TIMEOUT) whatever we
 * do, so a new candidate is worth trying only that often. */
#define WEFT_PEER_RETRY_MIN_MS 5500
#define WEFT_PEER_RETRY_MAX_MS 60000
#define WEFT_PEER_NAT_KEEPALIVE 25
#define WEFT_PEER_MAX_CANDIDATES 12

struct weft_peer {
	weft_pk_t node_id;
	char name[WEFT_NAME_MAX + 1];
	uint8_t status;          /* weft_member_status_t */
	bool has_state;          /* its node state record is known */
	weft_ip_t addr4, addr6;  /* overlay addresses (family 0 = none) */
	weft_wgkey_t wg_pub;
	uint16_t wg_port, gossip_port;
	uint8_t nroutes;         /* advertised and approved by the admin */
	weft_cidr_t routes[WEFT_MAX_ROUTES];
	/* WireGuard's view, from the last device read */
	bool in_device;
	uint64_t last_handshake_s; /* unix seconds, 0 = never */
	weft_endpoint_t wg_endpoint;
	uint64_t rx_bytes, tx_bytes;
	bool tunnel_up;          /* as last told to gossip */
	/* endpoint choice and retries */
	weft_endpoint_t chosen;  /* what we gave WireGuard (family 0: none) */
	uint32_t attempt;        /* rotates through the candidates */
	uint32_t backoff_ms;
	uint64_t next_try_ns;    /* 0 = not scheduled */
	bool poke;               /* a handshake should be started now */
	bool seen;               /* scratch for update */
};

struct weft_peerset {
	weft_pk_t self;
	weft_ip_t self4, self6;  /* our overlay addresses */
	uint8_t self_status;     /* weft_member_status_t, 0 = not in the view */
	struct weft_peer *p;     /* sorted by node id */
	size_t n, cap;
	size_t members;          /* members in the view, self included */
};

/* Where the endpoint candidates of a member come from: gossip in the
 * daemon, a table in tests. Returns how many were written to out. */
typedef size_t (*weft_peer_cands_fn)(void *ctx, const weft_pk_t *id, struct weft_gossip_candidate *out,
				     size_t cap);

/* What the choice of endpoints and keepalives needs besides the peers. */
struct weft_peersync_env {
	weft_peer_cands_fn cands;
	void *cands_ctx;
	/* Our underlay addresses with their prefix lengths: an announced
	 * endpoint inside one of these subnets is on our LAN, and preferred. */
	const weft_cidr_t *local_nets;
	size_t nlocal_nets;
	bool self_behind_nat;    /* our reflexive address is not one of ours */
	int keepalive;           /* > 0: for every peer; 0: only where NAT is likely */
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
 * a key and an address. */
bool weft_peer_wanted(const struct weft_peer *p);

/* The candidates for a peer, best first, without repeats (ports are the
 * peer's WireGuard port but for the endpoint WireGuard itself reported). */
size_t weft_peer_candidates(const struct weft_peer *p, const struct weft_peersync_env *env,
			    weft_endpoint_t *out, size_t cap);
/* Choose endpoints (a peer with a recent handshake keeps the one WireGuard
 * roamed to) and keepalives, and fill dev with every wanted peer. dev must
 * be empty; its private key and port are the caller's. */
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
 * caller re-applies the peer set) and a poke; the retry interval doubles
 * after every full round of candidates, up to WEFT_PEER_RETRY_MAX_MS.
 * Returns how many became due. */
size_t weft_peerset_retry(struct weft_peerset *ps, const struct weft_peersync_env *env, uint64_t now_ns);
/* The earliest scheduled retry (UINT64_MAX: none). */
uint64_t weft_peerset_next_retry(const struct weft_peerset *ps);

#endif
