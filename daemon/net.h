/* One network inside the daemon: the state net.c keeps for it and that
 * netjson.c reports. Private to those two files. */
#ifndef WEFT_NET_H
#define WEFT_NET_H

#include "daemon/daemon.h"
#include "daemon/gateway.h"
#include "daemon/relay.h"

struct weft_dnssrv;

#define WEFT_NET_MAX_LOCAL 16

struct weft_net {
	struct weft_net *next;
	struct weft_daemon *d;
	char name[WEFT_NAME_MAX + 1];
	char dir[PATH_MAX];
	int phase;                 /* enum weft_net_phase */
	bool persisted;            /* its directory holds our state */
	struct weft_local local;   /* secrets inside: wiped on free */
	weft_pk_t network_id;
	weft_store_t *store;
	weft_gossip_t *g;
	weft_wg_t *wg;
	unsigned wg_ifindex;       /* 0: no kernel interface (memory backend) */
	bool iface_ours;           /* created by us: removed when we stop */
	uint16_t wg_port, gossip_port;

	int fd[2];                 /* IPv4, IPv6 (-1 = none) */
	uv_poll_t poll[2];
	uv_timer_t gtimer;         /* the gossip node's next deadline */
	uv_timer_t tick;           /* housekeeping, every second */
	uv_timer_t soon;           /* coalesced peer sync after events */
	unsigned open_handles;
	bool closing, remove_iface, remove_state;

	struct weft_peerset peers;
	weft_wg_device_t dev;      /* the last device read */
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
	struct weft_relay relay;   /* whether we offer relaying (relay.h) */

	/* a join or leave waiting for its outcome */
	weft_net_done_fn done;
	void *done_ctx;
	uint64_t leave_at_ns;
	char boot_text[200];       /* bootstrap endpoints, for messages */
	weft_token_t *join_tok;    /* while a join runs (secret): on disk if it waits for approval */
	uint32_t invite_uses;      /* for the used-up message */

	/* A revoked node asking again: its old node and store wait here
	 * while a fresh node (same identity) runs the join. */
	weft_gossip_t *saved_g;
	weft_store_t *saved_store;

	uint64_t recv_dropped;
	uint64_t started_ns;

	struct weft_dnssrv *dns;   /* its DNS server (dnssrv.h); NULL if out of memory */
	struct weft_resolver *resolver; /* the host resolver's view of the zone (resolver.h) */

	/* admin operations (wgrotate.h, policyapply.h, pushcheck.h) */
	uint64_t next_expiry_s;    /* the view changes then by itself (unix s) */
	uint16_t applied_mtu;      /* the network's MTU as last set */
	char push_why[256];        /* why the last weft_net_push was refused */
	struct weft_gateway gw;    /* egress/ingress duties on the host (gateway.h) */
	size_t ext_served;         /* external clients we are the gateway of */
	size_t wg_rotate_held;     /* clients a due key rotation waits for (wgrotate.h) */
};

/* The view at now and this node's entry in it (NULL if not in it). */
uint64_t weft_net_wall_ms(void);

#endif
