/* This node as a gateway (DESIGN §5): the egress routes it advertises (from
 * the configuration) and those the admin approved, and what serving them or
 * external clients takes on the host — IP forwarding in its network
 * namespace, and masquerading of overlay traffic that leaves towards the
 * approved routes, in an nftables table of weft's own (inet weft-NETWORK),
 * removed when the routes go away and when the network stops. */
#ifndef WEFT_GATEWAY_H
#define WEFT_GATEWAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "daemon/config.h"
#include "core/keys.h"
#include "core/record.h"
#include "core/store.h"

/* What this node should do as a gateway: computed from the records and
 * the configuration alone (weft_gateway_want), so it is unit-tested. */
struct weft_gateway_want {
	bool forward4, forward6; /* turn IP forwarding on */
	bool nat;                /* masquerade towards the routes (egress_nat) */
	uint8_t nroutes;         /* our approved egress routes */
	weft_cidr_t routes[WEFT_MAX_ROUTES];
	weft_cidr_t overlay4, overlay6; /* the network's ranges (family 0: none) */
};

/* What was done, so that only changes touch the host. The OS seams (the
 * proc tree and the nft program) can be pointed elsewhere by tests. */
struct weft_gateway {
	const char *proc_root; /* NULL: "" (the real /proc) */
	const char *nft;       /* NULL: "nft" from PATH */
	bool checked;          /* nft ran once (a stale table is gone) */
	bool nat_table;        /* our table is (believed) installed */
	bool fwd_done[2];      /* forwarding turned on (IPv4, IPv6) */
	uint64_t applied_hash; /* of the rules installed; 0 = none */
	bool warned;           /* a failure was logged: do not repeat it */
};

/* The routes a network's section advertises ("routes = CIDR,..."), for
 * this node's state record: how many were written to out. */
size_t weft_gateway_advertised(const struct weft_config_net *cn, weft_cidr_t out[WEFT_MAX_ROUTES]);
/* Our own approved routes: those our held node state advertises that our
 * override lists (the rule peersync applies to the other members). */
size_t weft_gateway_approved(const weft_store_t *s, const weft_pk_t *self, weft_cidr_t out[WEFT_MAX_ROUTES]);
/* The whole want: forwarding when we have approved routes or serve
 * external clients (IPv6 only where the network or a route is IPv6), NAT
 * unless the section says egress_nat = off. */
void weft_gateway_want(const weft_store_t *s, const weft_pk_t *self, const struct weft_config_net *cn,
		       size_t ext_served, struct weft_gateway_want *w);
/* The nft script that makes table inet weft-NETWORK exactly what w asks
 * (it removes the table when w has nothing to masquerade), as one atomic
 * transaction. Returns the length, or WEFT_EOVERSIZE when cap is short. */
int weft_gateway_nft_script(const char *network, const char *ifname, const struct weft_gateway_want *w, char *out,
			    size_t cap);

/* Make the host match w: forwarding sysctls and the nftables table. Logs
 * what it changed and, once, what failed. */
void weft_gateway_apply(struct weft_gateway *gw, const char *network, const char *ifname,
			const struct weft_gateway_want *w);
/* Remove our table (forwarding is left on: other software may rely on it,
 * and turning it off under them is worse than leaving it). */
void weft_gateway_stop(struct weft_gateway *gw, const char *network);

#endif
