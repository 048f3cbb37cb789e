/* One network's DNS server in the daemon (DESIGN §6): the UDP sockets it
 * answers on (the overlay addresses, an optional loopback address) and the
 * zone snapshot it answers from, rebuilt when the view changes. */
#ifndef WEFT_DNSSRV_H
#define WEFT_DNSSRV_H

#include <stddef.h>

#include <uv.h>

#include "addr.h"
#include "dns.h"
#include "store.h"

#define WEFT_DNSSRV_MAX_LISTEN 4

struct weft_dnssrv;

/* name is the network's, for log lines. NULL on allocation failure. */
struct weft_dnssrv *weft_dnssrv_new(uv_loop_t *loop, const char *name);
/* Closes the sockets (their handles go away with the loop's next turn)
 * and frees the zone. NULL is fine. */
void weft_dnssrv_free(struct weft_dnssrv *s);
/* Rebuilds the zone from the view and the store's DNS entries. On failure
 * (no network settings yet) the old zone stays. */
int weft_dnssrv_update(struct weft_dnssrv *s, const weft_view_t *v, const weft_store_t *st);
/* Makes the open sockets exactly those for eps (entries with family 0 are
 * skipped): sockets no longer wanted close, new ones open. A bind that
 * fails is logged at debug and tried again at the next call. Returns how
 * many sockets are open. */
size_t weft_dnssrv_listen(struct weft_dnssrv *s, const weft_endpoint_t *eps, size_t n);
/* The zone in use, or NULL before the first successful update. */
const weft_dns_zone_t *weft_dnssrv_zone(const struct weft_dnssrv *s);

#endif
