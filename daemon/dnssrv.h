/* One network's DNS server in the daemon (DESIGN §6): the UDP and TCP
 * sockets it answers on (the overlay addresses, an optional loopback
 * address), the zone snapshot it answers from, rebuilt when the view
 * changes, and the forwarding of names outside the zone to upstream
 * resolvers when some are configured. */
#ifndef WEFT_DNSSRV_H
#define WEFT_DNSSRV_H

#include <stddef.h>

#include <uv.h>

#include "core/addr.h"
#include "dns/dns.h"
#include "core/store.h"

#define WEFT_DNSSRV_MAX_LISTEN 4
#define WEFT_DNSSRV_MAX_FORWARD 4
/* Bounds (RFC 7766 §6.2: a server limits its connections and closes idle
 * ones; forwarding keeps a bounded table of outstanding queries). */
#define WEFT_DNSSRV_TCP_CONNS 64      /* open TCP connections per server */
#define WEFT_DNSSRV_TCP_IDLE_MS 10000 /* a connection with nothing to do closes */
#define WEFT_DNSSRV_PENDING 256       /* forwarded queries awaiting an upstream */
#define WEFT_DNSSRV_UPSTREAM_MS 1500  /* wait per upstream before the next one */
#define WEFT_DNSSRV_FORWARD_MS 4000   /* then SERVFAIL */

struct weft_dnssrv;

/* name is the network's, for log lines. NULL on allocation failure. */
struct weft_dnssrv *weft_dnssrv_new(uv_loop_t *loop, const char *name);
/* Closes the sockets and connections (their handles go away with the
 * loop's next turn) and frees the zone. NULL is fine. */
void weft_dnssrv_free(struct weft_dnssrv *s);
/* Rebuilds the zone from the view and the store's DNS entries. On failure
 * (no network settings yet) the old zone stays. */
int weft_dnssrv_update(struct weft_dnssrv *s, const weft_view_t *v, const weft_store_t *st);
/* Makes the open sockets exactly those for eps (entries with family 0 are
 * skipped): each address gets a UDP socket and a TCP listener; sockets no
 * longer wanted close, new ones open. A bind that fails is logged once and
 * tried again at the next call. Returns how many addresses are served. */
size_t weft_dnssrv_listen(struct weft_dnssrv *s, const weft_endpoint_t *eps, size_t n);
/* The upstream resolvers for names outside the zone (at most
 * WEFT_DNSSRV_MAX_FORWARD are used); n = 0: such names get REFUSED.
 * Queries already forwarded finish with the old list. */
void weft_dnssrv_set_forward(struct weft_dnssrv *s, const weft_endpoint_t *eps, size_t n);
/* Why this node (self) has no DNS name, for 'weft status': NULL (JSON
 * null) when it has its name, else {"name": the name it lost, "reason":
 * "taken"|"entry"|"invalid", "holder": the winner's node id or null,
 * "message": a sentence}. */
struct json_object;
struct json_object *weft_dnssrv_conflict_json(const struct weft_dnssrv *s, const weft_pk_t *self);
/* The zone in use, or NULL before the first successful update. */
const weft_dns_zone_t *weft_dnssrv_zone(const struct weft_dnssrv *s);

#endif
