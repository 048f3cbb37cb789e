/* Egress routes against the network's own ranges (routecheck.h): the one
 * check the admin's `weft node set --routes` and the daemon's peer sync
 * share. */
#include "mesh/routecheck.h"

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
