/* Which egress routes a member may be approved for (DESIGN §5): one that
 * overlaps the network's own ranges (a member's /32, the whole mesh) or a
 * default route would make WireGuard refuse or steal the peers' own
 * addresses on every node. The admin's command refuses them, the daemon
 * skips them (only the route, not the member) and says so once. */
#ifndef WEFT_ROUTECHECK_H
#define WEFT_ROUTECHECK_H

#include <stddef.h>

#include "core/addr.h"
#include "core/record.h"

struct weft_peerset;

/* NULL when route may be used in a network with settings net (may be NULL:
 * then only the default-route check applies), else why not, a static
 * phrase such as "it overlaps the network's IPv4 range". */
const char *weft_routecheck_why(const weft_cidr_t *route, const struct weft_rec_network *net);

/* Each peer's routes that peersync left out and that were not reported
 * for it yet (struct weft_peer's refused_news), as one sentence each for
 * say (the daemon logs them as warnings); the mark is cleared. Returns how
 * many sentences were said. */
typedef void (*weft_routecheck_say_fn)(void *ctx, const char *msg);
size_t weft_routecheck_news(const char *netname, struct weft_peerset *ps, weft_routecheck_say_fn say, void *ctx);

#endif
