/* Inside one network of the daemon: the state its files keep and the calls
 * they make to each other. Private to net.c (lifecycle and the event pump),
 * net_apply.c (the desired state applied to the host), net_join.c
 * (starting, joining, creating), net_save.c (saving state, this node's
 * state record and endpoints) and net_json.c (what the control socket
 * reports); the rest of the daemon sees only daemon/net.h. */
#ifndef WEFT_NET_INTERNAL_H
#define WEFT_NET_INTERNAL_H

#include <limits.h>

#include "core/store.h"
#include "daemon/gateway.h"
#include "daemon/health.h"
#include "daemon/net.h"
#include "daemon/netstate.h"
#include "daemon/relay.h"
#include "gossip/gossip.h"
#include "mesh/peersync.h"

struct weft_dnssrv;
struct weft_resolver;

#define WEFT_NET_MAX_LOCAL 16

#define WEFT_NET_MS_NS 1000000ull
#define WEFT_NET_SEC_NS 1000000000ull

struct weft_net {
	struct weft_net *next;
	struct weft_net_host *h;
	char name[WEFT_NAME_MAX + 1];
	char dir[PATH_MAX];
	int phase;               /* enum weft_net_phase */
	bool persisted;          /* its directory holds our state */
	struct weft_local local; /* secrets inside: wiped on free */
	weft_pk_t network_id;
	weft_store_t *store;
	weft_gossip_t *g;
	weft_wg_t *wg;
	unsigned wg_ifindex; /* 0: no kernel interface (memory backend) */
	bool iface_ours;     /* created by us: removed when we stop */
	uint16_t wg_port, gossip_port;

	int fd[2]; /* IPv4, IPv6 (-1 = none) */
	uv_poll_t poll[2];
	uv_timer_t gtimer; /* the gossip node's next deadline */
	uv_timer_t tick;   /* housekeeping, every second */
	uv_timer_t soon;   /* coalesced peer sync after events */
	unsigned open_handles;
	bool closing, remove_iface, remove_state;

	struct weft_peerset peers;
	weft_wg_device_t dev; /* the last device read */
	bool have_dev;
	weft_ip_t applied4, applied6;
	bool addrs_applied;
	uint64_t applied_routes_hash;
	bool dirty_peers, dirty_store, dirty_local, republish;
	uint64_t save_due_ns, next_poll_ns, next_scan_ns, last_sync_ns;
	int in_pump;

	/* endpoints: what we announce, our LAN prefixes, and NAT */
	uint8_t neps;
	weft_endpoint_t eps[WEFT_MAX_ENDPOINTS];
	size_t nlnets;
	weft_cidr_t lnets[WEFT_NET_MAX_LOCAL];
	bool behind_nat;
	struct weft_relay relay; /* whether we offer relaying (relay.h) */

	/* a join or leave waiting for its outcome */
	weft_net_done_fn done;
	void *done_ctx;
	uint64_t leave_at_ns;
	char boot_text[200];    /* bootstrap endpoints, for messages */
	weft_token_t *join_tok; /* while a join runs (secret): on disk if it waits for approval */
	uint32_t invite_uses;   /* for the used-up message */

	/* A revoked node asking again: its old node and store wait here
	 * while a fresh node (same identity) runs the join. */
	weft_gossip_t *saved_g;
	weft_store_t *saved_store;

	uint64_t recv_dropped;
	uint64_t started_ns;

	struct weft_dnssrv *dns;        /* its DNS server (dnssrv.h); NULL if out of memory */
	struct weft_resolver *resolver; /* the host resolver's view of the zone (resolver.h) */

	/* admin operations (mesh/wgrotate.h, policyapply.h, pushcheck.h) */
	uint64_t next_expiry_s; /* the view changes then by itself (unix s) */
	uint16_t applied_mtu;   /* the network's MTU as last set */
	char push_why[256];     /* why the last weft_net_push was refused */
	struct weft_gateway gw; /* egress/ingress duties on the host (gateway.h) */
	size_t ext_served;      /* external clients we are the gateway of */
	size_t wg_rotate_held;  /* clients a due key rotation waits for (mesh/wgrotate.h) */

	struct weft_health health;     /* problems `weft status` shows (health.h) */
	uint64_t misbehaving_until_ms; /* the member-misbehaving line stays until then (unix ms) */
};

/* ---- net.c: lifecycle and the event pump ---- */
struct weft_net *weft_net_alloc(struct weft_net_host *h, const char *name, struct weft_now now);
/* Close every handle; the network is freed once the last one is closed. */
void weft_net_close(struct weft_net *n);
/* Tell the waiter of a join or leave its outcome (once). */
void weft_net_finish(struct weft_net *n, int err, const char *msg);
void weft_net_drop_join_tok(struct weft_net *n);
/* After every call into the gossip node: send what it queued, act on its
 * events, and re-arm the one timer at its next deadline. */
void weft_net_pump(struct weft_net *n, struct weft_now now);
/* A peer sync soon: one for a burst of events, not one per event. */
void weft_net_sync_soon(struct weft_net *n, struct weft_now now);
/* The gossip sockets on the network's port, read by the loop. */
int weft_net_open_sockets(struct weft_net *n, char *err, size_t errlen);
/* The housekeeping tick, every second from now on. */
void weft_net_start_tick(struct weft_net *n);
void weft_net_became_revoked(struct weft_net *n, struct weft_now now);
/* The network's settings record, or NULL. */
const struct weft_rec_network *weft_net_settings(const struct weft_net *n);
/* Gossip stopped listening to a member whose accusations of others were
 * proved wrong again and again (WEFT_GEV_MISBEHAVING, issue #22): said in
 * the log and as weft status's member-misbehaving line, with what to do;
 * the line goes 15 minutes after the last report (_expire, every tick). */
void weft_net_misbehaving(struct weft_net *n, const weft_pk_t *who, uint32_t count, struct weft_now now);
void weft_net_misbehaving_expire(struct weft_net *n, struct weft_now now);
/* "name (1a2b3c4d)" for logs. */
const char *weft_net_peer_label(struct weft_net *n, const weft_pk_t *id, char *buf, size_t cap);

/* ---- net_save.c: saving state, this node's state record, endpoints ---- */
/* Something to save: written within a second, at most once a second. */
void weft_net_mark_dirty(struct weft_net *n, bool store, bool local, struct weft_now now);
void weft_net_save(struct weft_net *n, struct weft_now now);
/* The first save of a network's directory: 0, or an error in err. */
int weft_net_persist_first(struct weft_net *n, struct weft_now now, char *err, size_t errlen);
void weft_net_build_state(struct weft_net *n, weft_record_t *r, uint32_t flags, struct weft_now now);
/* Whether the held state record says what we would say now. */
bool weft_net_state_current(struct weft_net *n);
int weft_net_publish_state(struct weft_net *n, uint32_t flags, struct weft_now now);
/* What we announce; true when it changed. */
bool weft_net_scan_endpoints(struct weft_net *n, struct weft_now now);
/* Whether we offer relaying changed (relay.h): after every endpoint scan. */
bool weft_net_relay_update(struct weft_net *n);

/* ---- net_apply.c: the desired state applied to WireGuard and the host ---- */
void weft_net_sync_peers(struct weft_net *n, struct weft_now now);
/* Read the device and take in what it says; false when it could not be
 * read (n->dev is then the last good read). */
bool weft_net_poll_device(struct weft_net *n, struct weft_now now);
/* Endpoint retries due by now (mesh/peersync.h): true when the desired
 * state changed. */
bool weft_net_retry_peers(struct weft_net *n, struct weft_now now);
/* Our WireGuard key, when due (mesh/wgrotate.h). */
void weft_net_rotate_wg_key(struct weft_net *n, struct weft_now now);
/* Our gateway duties on the host end (the network closes). */
void weft_net_gateway_close(struct weft_net *n);

/* ---- net_join.c: starting, joining, creating ---- */
/* Joined (or approved): a member from now. */
void weft_net_joined(struct weft_net *n, struct weft_now now);
/* Admitted, waiting for approval: kept on disk. */
void weft_net_persist_pending(struct weft_net *n, struct weft_now now);
/* A failed join's error, as a sentence that says what to do. */
const char *weft_net_join_error(struct weft_net *n, int err, char *buf, size_t cap);
/* Back to the node and store a rejoin set aside (the join failed). */
void weft_net_restore_saved(struct weft_net *n);

#endif
