/* The gossip protocol of one network, sans-IO (DESIGN §2-4): SWIM membership
 * with Lifeguard, dissemination, push-pull anti-entropy, the join handshake
 * and endpoint discovery. Packets and "now" go in; packets to send, the next
 * deadline and events come out. No clock, no socket, no logging inside.
 *
 * Driving a node (the daemon, the simulator and the fuzzers all do this):
 *
 *     g = weft_gossip_new(&cfg, now, &err);
 *     loop:
 *         weft_gossip_recv(g, path, &from, buf, len, now);   (per datagram)
 *         weft_gossip_handle_timeout(g, now);                (when the deadline passed)
 *         while ((n = weft_gossip_poll_send(g, out, sizeof(out), &dg)) > 0)
 *             send out[0..n) to dg (path, to / peer);
 *         while (weft_gossip_poll_event(g, &ev)) act on ev;
 *         re-arm one timer at weft_gossip_next_deadline(g);
 *
 * Time ("now") is nanoseconds on a monotonic clock; wall-clock time, which
 * only expiry checks and join times need, is given with
 * weft_gossip_set_wallclock(). The wire format is described in gossip/wire.h
 * and docs/PROTOCOL.md. */
#ifndef WEFT_GOSSIP_H
#define WEFT_GOSSIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/keys.h"
#include "core/record.h"
#include "core/store.h"
#include "core/token.h"

/* Largest datagram the node emits or accepts, on either path. */
#define WEFT_GOSSIP_MTU 1200

typedef struct weft_gossip weft_gossip_t;

/* Which socket a datagram uses: the underlay bootstrap port (member traffic
 * sealed with the network key; join traffic in the clear or box-sealed), or
 * the gossip port on the overlay address, inside the WireGuard tunnel. */
enum weft_gossip_path {
	WEFT_PATH_UNDERLAY = 0,
	WEFT_PATH_OVERLAY = 1,
};

/* Liveness of a member as this node sees it (SWIM). */
enum weft_liveness {
	WEFT_LIVE_NONE = 0, /* not a member (or not yet known) */
	WEFT_LIVE_ALIVE = 1,
	WEFT_LIVE_SUSPECT = 2,
	WEFT_LIVE_DEAD = 3, /* still a member and a WireGuard peer; retried with backoff */
	WEFT_LIVE_LEFT = 4, /* left gracefully */
};
const char *weft_liveness_name(unsigned state);

/* Randomness is injected (docs/STYLE.md, "Sans-IO"): fill buf with len random bytes.
 * The node asks for it at creation (its secrets and the seed of a fast
 * generator for probe order, targets and ids) and for the ephemeral key of
 * each join welcome, so a seeded source makes a run reproducible. In the
 * daemon it must be a CSPRNG (randombytes_buf). */
typedef void (*weft_gossip_rand_fn)(void *ctx, uint8_t *buf, size_t len);

/* Allocation is injected too; NULL means the C library. */
typedef struct weft_gossip_mem {
	void *(*calloc)(void *ud, size_t n, size_t size);
	void *(*realloc)(void *ud, void *p, size_t size);
	void (*free)(void *ud, void *p);
	void *ud;
} weft_gossip_mem_t;

/* The node-id directory interns 32-byte node ids as dense 32-bit indices, so
 * that per-member state is a small array entry. The simulator shares one
 * between thousands of nodes (like the record pool); a node created without
 * one makes a private one. Not thread-safe: share it only between nodes run
 * from one thread. */
typedef struct weft_gossip_dir weft_gossip_dir_t;
weft_gossip_dir_t *weft_gossip_dir_new(const weft_gossip_mem_t *mem);
/* Every node using the directory must be freed first. */
void weft_gossip_dir_free(weft_gossip_dir_t *d);
size_t weft_gossip_dir_count(const weft_gossip_dir_t *d);

/* Protocol tunables. weft_gossip_params_default() fills the defaults listed
 * with each field; a config without params uses them. */
struct weft_gossip_params {
	uint32_t probe_interval_ms;    /* 1000: one SWIM probe per interval */
	uint32_t probe_timeout_ms;     /* 500: direct ack wait before ping-req */
	uint32_t indirect_checks;      /* 3: ping-req helpers (k) */
	uint32_t suspicion_mult;       /* 1: min suspicion = mult*max(2, log10(N))*interval */
	uint32_t suspicion_max_mult;   /* 3: max suspicion = max_mult * min */
	uint32_t awareness_max;        /* 8: Lifeguard local-health multiplier cap */
	uint32_t gossip_interval_ms;   /* 200 */
	uint32_t gossip_fanout;        /* 3 */
	uint32_t retransmit_mult;      /* 4: each update sent mult*ceil(log10(N+1)) times */
	uint32_t pushpull_interval_ms; /* 30000: anti-entropy with one member */
	uint32_t pushpull_fast_ms;     /* 1000: next exchange when the last found differences */
	uint32_t dead_retry_min_ms;    /* 2000: first retry of a dead member */
	uint32_t dead_retry_max_ms;    /* 60000: backoff cap */
	uint32_t join_retry_ms;        /* 1000: join packet retransmission */
	uint32_t join_timeout_ms;      /* 30000: give up joining */
	uint32_t max_clock_skew_s;     /* 600: joiner's claimed join time vs ours */
};
void weft_gossip_params_default(struct weft_gossip_params *p);

struct weft_gossip_config {
	const weft_keypair_t *identity; /* copied; the copy is wiped on free */
	/* Not owned. Holds the network's records (at least the network settings
	 * for a joiner, everything for a member restarted from its state). The
	 * node installs the store's merge callback: use the node's events. */
	weft_store_t *store;
	weft_gossip_dir_t *dir;   /* NULL: private */
	weft_gossip_rand_fn rand; /* required */
	void *rand_ctx;
	const weft_gossip_mem_t *mem;            /* NULL: C library */
	const struct weft_gossip_params *params; /* NULL: defaults */
	/* Signed membership updates are checked once; may be shared (the
	 * simulator shares one with the stores). NULL: a private one. */
	weft_vcache_t *vcache;
	/* Persisted state of a member that restarts (rejoin without a token):
	 * the network key and its epoch, and the last incarnation. A joiner
	 * leaves netkey NULL and calls weft_gossip_join(). */
	const uint8_t *netkey; /* WEFT_NETKEY_LEN bytes or NULL */
	uint32_t netkey_epoch;
	uint32_t incarnation;
	/* Which events to queue (bit (1 << type)); 0 = all. The queue holds
	 * up to WEFT_GOSSIP_EVENTS_MAX: a caller that does not drain events
	 * (a simulator) should mask those it does not read. */
	uint32_t event_mask;
};

/* On error returns NULL and sets *err (-EINVAL, -ENOMEM, WEFT_E*). */
weft_gossip_t *weft_gossip_new(const struct weft_gossip_config *cfg, uint64_t now, int *err);
void weft_gossip_free(weft_gossip_t *g);

/* Tell the node the wall-clock time (unix milliseconds) that corresponds to
 * monotonic now. Call at start and whenever the wall clock is stepped. */
void weft_gossip_set_wallclock(weft_gossip_t *g, uint64_t now, uint64_t unix_ms);

/* One received datagram. from is its source address (underlay) or the
 * peer's overlay address. Returns 0 when the packet was used, or a negative
 * code saying why it was dropped; callers only count these. A dropped
 * packet changes nothing, except that a refused join request may leave
 * behind the valid admin-signed invite it carried. */
int weft_gossip_recv(weft_gossip_t *g, uint8_t path, const weft_endpoint_t *from, const uint8_t *buf, size_t len,
		     uint64_t now);

/* Where a datagram goes. On the underlay, to is the destination. On the
 * overlay, peer names the member and the caller sends to its overlay
 * address (from the view) at the network's gossip port; to is also set to
 * the address the packet came from when it answers one. */
struct weft_gossip_dgram {
	uint8_t path; /* enum weft_gossip_path */
	bool has_peer;
	weft_endpoint_t to;
	weft_pk_t peer;
};

/* Takes the next datagram to send: returns its length (> 0), 0 when none is
 * queued, or -ENOSPC when cap < WEFT_GOSSIP_MTU could not hold it (it stays
 * queued). */
int weft_gossip_poll_send(weft_gossip_t *g, uint8_t *out, size_t cap, struct weft_gossip_dgram *dg);
void weft_gossip_handle_timeout(weft_gossip_t *g, uint64_t now);
/* Monotonic ns of the next timer, UINT64_MAX when none. Datagrams queued by
 * the last call are not timers: drain poll_send after every call. */
uint64_t weft_gossip_next_deadline(const weft_gossip_t *g);

/* ---- Events ---- */
enum weft_gossip_event_type {
	WEFT_GEV_MEMBER_ADDED = 1,   /* node: a member record entered the store */
	WEFT_GEV_MEMBER_CHANGED = 2, /* node: its state or override changed */
	WEFT_GEV_MEMBER_REMOVED = 3, /* node: revoked */
	WEFT_GEV_RECORD = 4,         /* rec_type, subject, how: the store accepted a record */
	WEFT_GEV_LIVENESS = 5,       /* node, state, incarnation */
	WEFT_GEV_ENDPOINT = 6,       /* node, ep, ep_kind: a new endpoint candidate */
	WEFT_GEV_JOINED = 7,         /* node = the member that welcomed us; state = 1 if pending approval */
	WEFT_GEV_JOIN_FAILED = 8,    /* err */
	WEFT_GEV_NETKEY = 9,         /* epoch: a network key was installed (persist it) */
	WEFT_GEV_OVERFLOW = 10,      /* events were dropped: re-read the store */
	WEFT_GEV_REVOKED = 11,       /* node = us: we are revoked and no longer gossip as a member */
	/* node, count: a member whose accusations were refuted count times
	 * lately; its accusations are ignored until they are forgiven (one
	 * per 5 minutes). Once per episode. A compromised or badly broken
	 * member: the admin may want to look at it, or revoke it. */
	WEFT_GEV_MISBEHAVING = 12,
	/* incarnation: ours went up (a refutation): persist it, or a restart
	 * may come back below what the others hold */
	WEFT_GEV_INCARNATION = 13,
	WEFT_GEV_MAX = 13,
};

/* Endpoint candidate kinds. */
enum weft_ep_kind {
	WEFT_EP_ANNOUNCED = 1,    /* in the node's own state record (local or reflexive) */
	WEFT_EP_OBSERVED = 2,     /* where its gossip packets came from */
	WEFT_EP_REFLEXIVE = 3,    /* (self only) where a peer saw our packets come from */
	WEFT_EP_WIREGUARD = 4,    /* what WireGuard reports after a handshake */
	WEFT_EP_REFLEXIVE_WG = 5, /* (self only) where a peer's WireGuard sees ours
				     (our NAT's mapping of the WireGuard port) */
};

struct weft_gossip_event {
	uint8_t type;
	uint8_t rec_type;
	uint8_t how;   /* weft_merge_result_t */
	uint8_t state; /* weft_liveness */
	uint8_t ep_kind;
	uint32_t incarnation;
	uint32_t epoch;
	uint32_t count;
	int err;
	weft_pk_t node;
	uint8_t subject[32];
	weft_endpoint_t ep;
};
const char *weft_gossip_event_name(unsigned type);
/* Returns false when the queue is empty. The queue holds at most
 * WEFT_GOSSIP_EVENTS_MAX events; beyond that new events are dropped and one
 * WEFT_GEV_OVERFLOW follows the queued ones. */
#define WEFT_GOSSIP_EVENTS_MAX 4096
bool weft_gossip_poll_event(weft_gossip_t *g, struct weft_gossip_event *ev);

/* ---- Inputs from the daemon ---- */

/* Merge a record made or received locally (this node's state, an admin
 * command's output) and disseminate it. Returns weft_store_merge's result. */
int weft_gossip_publish(weft_gossip_t *g, const weft_record_t *r, uint64_t now);
/* The WireGuard tunnel to peer is up (a recent handshake) or not. While it
 * is, gossip to that peer uses the overlay path. wg_ep, if not NULL, is the
 * peer's endpoint as WireGuard sees it (a candidate). */
int weft_gossip_tunnel(weft_gossip_t *g, const weft_pk_t *peer, bool up, const weft_endpoint_t *wg_ep, uint64_t now);
/* Start joining with an invite token through the bootstrap endpoints (the
 * caller resolves the token's HOST:PORT strings). The node signs its member
 * record with the invite key, merges it, and runs the handshake; the outcome
 * is a JOINED or JOIN_FAILED event. The token is not kept. state, if not
 * NULL, is this node's signed state record, sent along. */
int weft_gossip_join(weft_gossip_t *g, const weft_token_t *tok, const weft_endpoint_t *bootstrap, size_t nbootstrap,
		     const weft_record_t *state, uint64_t now);
/* Leave gracefully: tell the members, which stop probing this node. Keep
 * driving the node for about a second so the news goes out. The daemon also
 * publishes its state record with WEFT_NODE_LEFT. */
int weft_gossip_leave(weft_gossip_t *g, uint64_t now);

/* ---- Queries ---- */
struct weft_gossip_member_info {
	uint8_t state; /* weft_liveness */
	uint32_t incarnation;
	bool tunnel; /* overlay path in use */
};
/* WEFT_ENOTFOUND if the node id is not a member here. */
int weft_gossip_member(const weft_gossip_t *g, const weft_pk_t *id, struct weft_gossip_member_info *out);

struct weft_gossip_candidate {
	uint8_t kind; /* weft_ep_kind */
	weft_endpoint_t ep;
};
/* Endpoint candidates for a member (or this node), for the daemon to choose
 * from: announced, observed and WireGuard-reported; for this node, the
 * reflexive addresses peers reported. Returns how many were written. */
size_t weft_gossip_candidates(const weft_gossip_t *g, const weft_pk_t *id, struct weft_gossip_candidate *out,
			      size_t cap);

/* True once this node holds a network key and its member record: it
 * takes part in the protocol. */
bool weft_gossip_is_member(const weft_gossip_t *g);
/* The network key in force (for persistence). WEFT_ENOTFOUND if none. */
int weft_gossip_netkey(const weft_gossip_t *g, uint8_t key[WEFT_NETKEY_LEN], uint32_t *epoch);
uint32_t weft_gossip_incarnation(const weft_gossip_t *g);

/* The previous network key while a rotation's grace period runs, for
 * persistence: a member restarted within the grace must still open (and,
 * in its first half, seal with) the previous key, or the members that
 * have not installed the new epoch yet cannot talk to it. Times are wall
 * clock (unix ms, from weft_gossip_set_wallclock); seal_until_ms is 0 once
 * the node no longer seals with it. The key is a secret: wipe it. */
struct weft_gossip_prevkey {
	uint8_t key[WEFT_NETKEY_LEN];
	uint32_t epoch;
	uint64_t open_until_ms;
	uint64_t seal_until_ms;
};
/* WEFT_ENOTFOUND when there is none (no rotation, its grace over, or no
 * wall clock set). */
int weft_gossip_prev_netkey(const weft_gossip_t *g, struct weft_gossip_prevkey *pk);
/* Re-install a persisted previous key after a restart (call after
 * weft_gossip_set_wallclock): 0 when installed, or when the node already
 * holds that epoch's or a later previous key; WEFT_ESTALE when its grace
 * has passed or its epoch is not older than the key in force;
 * WEFT_ENOTFOUND without a key in force; -EINVAL without a wall clock. A
 * deadline more than the longest grace (2^32 - 1 s) ahead is cut to it. */
int weft_gossip_restore_prev_netkey(weft_gossip_t *g, const struct weft_gossip_prevkey *pk);

struct weft_gossip_stats {
	uint64_t pkts_sent, bytes_sent, pkts_recv, bytes_recv;
	uint64_t dropped; /* datagrams refused (any reason) */
	uint64_t probes, probe_failures, suspicions, refutations;
	uint64_t records_merged; /* accepted into the store from the network */
	uint64_t syncs, sync_records;
	/* insider defences (docs/DESIGN.md): packets whose authentication
	 * failed, updates whose signature or incarnation was refused,
	 * refuted accusations counted against their accusers, state records
	 * held back by a member's rate limit */
	uint64_t auth_failed, updates_refused, strikes, state_deferred;
	uint32_t members, alive, suspect, dead, left;
	uint32_t awareness; /* Lifeguard local-health score */
	uint32_t bcast_queued;
};
void weft_gossip_stats(const weft_gossip_t *g, struct weft_gossip_stats *st);

#endif
