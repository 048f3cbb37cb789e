/* Egress routes against the network's own ranges (routecheck.h): the one
 * check the admin's `weft node set --routes` and the daemon's peer sync
 * share, and the one-time report of what was left out (said to the caller,
 * which logs it: this layer does not log). */
#include <stdio.h>

#include "mesh/routecheck.h"
#include "mesh/peersync.h"

const char *weft_routecheck_why(const weft_cidr_t *route, const struct weft_rec_network *net)
{
	if (route->prefix == 0)
		return "a default route would send every member's traffic to the gateway";
	if (!net)
		return NULL;
	if (net->cidr4.ip.family && weft_cidr_overlaps(route, &net->cidr4))
		return "it overlaps the network's IPv4 range";
	if (net->cidr6.ip.family && weft_cidr_overlaps(route, &net->cidr6))
		return "it overlaps the network's IPv6 range";
	return NULL;
}

size_t weft_routecheck_news(const char *netname, struct weft_peerset *ps, weft_routecheck_say_fn say, void *ctx)
{
	char c[WEFT_CIDRSTRLEN], hex[65], msg[768];
	size_t i, k = 0;
	unsigned r;

	for (i = 0; i < ps->n; i++) {
		struct weft_peer *p = &ps->p[i];

		if (!p->refused_news)
			continue;
		p->refused_news = false;
		weft_pk_to_hex(hex, &p->node_id);
		for (r = 0; r < p->nrefused; r++, k++) {
			snprintf(msg, sizeof(msg),
				 "%s: not routing %s through %s (%.16s): %s; ask the admin to change its approved "
				 "routes (weft node %s %.16s set --routes ...)",
				 netname, weft_cidr_format(&p->refused[r], c, sizeof(c)), p->name[0] ? p->name : "a member",
				 hex, p->refused_why[r], netname, hex);
			if (say)
				say(ctx, msg);
		}
	}
	return k;
}
