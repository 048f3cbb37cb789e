/* This node's WireGuard key over its life (DESIGN §2: the node identity is
 * long-lived, its WireGuard key rotates): when it must be replaced — an
 * admin's rotation order (ROTATE: every key older than T), or the
 * network's scheduled lifetime — and replacing it. No I/O and no clock:
 * the daemon (net.c) passes the time, sets the new key on the device and
 * publishes it; peers treat a new key as a new peer (peersync.c). */
#ifndef WEFT_WGROTATE_H
#define WEFT_WGROTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/keys.h"
#include "mesh/peersync.h"
#include "core/record.h"
#include "core/store.h"

/* The unix second from which a key made at key_time_s must be replaced: 0
 * when an order (rot, may be NULL) names it, key_time_s + the network's
 * wg_key_lifetime when one is set (s may be NULL), else UINT64_MAX. */
uint64_t weft_wgrotate_due_at(uint64_t key_time_s, const struct weft_rec_network *s,
			      const struct weft_rec_rotate *rot);

/* The live (not deleted) external clients whose gateway is self. Their
 * wg-quick configs hold our WireGuard public key, so a new key would cut
 * them off without a word: while there is one, a due rotation waits
 * (the daemon keeps its key and logs weft_wgrotate_held_msg() once) until
 * the admin re-issues those configs (weft ext-client NET rm/add) or moves
 * the clients to another gateway. */
size_t weft_wgrotate_ext_clients(const weft_store_t *s, const weft_pk_t *self);
/* The warning for a rotation held for nclients clients of network net. */
void weft_wgrotate_held_msg(char *buf, size_t len, const char *net, size_t nclients);

/* A new key pair in wg, the old private key wiped, and its time in
 * *key_time_s: the later of now_s and older_than (the order being obeyed,
 * 0 if none), since an order signed by an admin whose clock runs ahead
 * must not make us rotate at every tick until our clock catches up. */
void weft_wgrotate_renew(weft_wgpair_t *wg, uint64_t *key_time_s, uint64_t now_s, uint64_t older_than);

/* Which peers have no tunnel until a new handshake, for fn (the daemon
 * tells gossip, which then uses the underlay for them: the news of a new
 * key must not wait in a tunnel that is being rebuilt). Without all: the
 * peers peersync has just made new entries for (new to the table, or their
 * key changed; it marks them with a poke). With all (our own key changed):
 * every peer, each to be made a new entry — WireGuard then forgets its old
 * sessions and handshake time, so no tunnel looks up on a handshake made
 * with the old key — with a handshake due now, where WireGuard last
 * reached it. A peer that does not know our new key yet ignores that
 * handshake; when the key reaches it, it makes us a new entry and starts
 * one itself, which we answer. Returns how many were reported. */
typedef void (*weft_wgrotate_down_fn)(void *ctx, struct weft_peer *p);
size_t weft_wgrotate_reset_tunnels(struct weft_peerset *ps, bool all, uint64_t now_ns, weft_wgrotate_down_fn fn,
				   void *ctx);

#endif
