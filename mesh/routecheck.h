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

/* NULL when route may be used in a network with settings net (may be NULL:
 * then only the default-route check applies), else why not, a static
 * phrase such as "it overlaps the network's IPv4 range". */
const char *weft_routecheck_why(const weft_cidr_t *route, const struct weft_rec_network *net);

#endif
