/* This node as a relay for the pairs of members that get no direct
 * handshake (docs/DESIGN.md, "NAT traversal and relays"): whether it offers
 * relaying (the relay = auto|on|off setting, a public endpoint, IP
 * forwarding for the network's interface), and turning that forwarding on.
 * Which relay a pair uses is peersync's. */
#ifndef WEFT_RELAY_H
#define WEFT_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"

struct weft_relay {
	const char *proc_root; /* NULL: the real /proc (tests point it elsewhere) */
	bool forwarding;       /* turned on for the interface by us */
	bool warned;           /* a failure was logged: do not repeat it */
	uint32_t flags;        /* WEFT_NODE_RELAY or 0: what our state record says */
};

/* Whether to offer relaying under mode (enum weft_config_relay): on, or
 * auto with a public endpoint — a global address among those we announce
 * and no NAT in front of us — and an interface to forward on. */
bool weft_relay_wanted(int mode, bool has_iface, const weft_endpoint_t *eps, size_t neps, bool behind_nat);
/* Turn on forwarding for packets that come in on ifname (IPv4; IPv6 where
 * the kernel has per-interface force_forwarding), and ICMP redirects off
 * (a relay sends packets back out of the interface they came in by). */
int weft_relay_forwarding(const char *proc_root, const char *ifname);
/* After an endpoint scan: decide, turn forwarding on when offering, and
 * return whether rl->flags changed (the caller republishes its state). */
bool weft_relay_update(struct weft_relay *rl, int mode, const char *network, const char *ifname, bool has_iface,
		       const weft_endpoint_t *eps, size_t neps, bool behind_nat);

#endif
