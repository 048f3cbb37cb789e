/* The link, address and route entries of the ops table for the backends
 * that run on a real interface (kernel and userspace): both reach it through
 * the same rtnetlink code, by the handle's interface name. */
#include "wg/rtnl.h"

static int ifindex_of(weft_wg_t *wg, unsigned *ifindex, weft_wg_err_t *err)
{
	weft_wg_link_t l;
	int ret = weft_wg_rtnl_link_get(&wg->rtnl, wg->ifname, &l, NULL, 0, err);

	if (!ret)
		*ifindex = l.ifindex;
	return ret;
}

int weft_wg_oslink_get(weft_wg_t *wg, weft_wg_link_t *link, weft_wg_err_t *err)
{
	return weft_wg_rtnl_link_get(&wg->rtnl, wg->ifname, link, NULL, 0, err);
}

int weft_wg_oslink_set_mtu(weft_wg_t *wg, unsigned mtu, weft_wg_err_t *err)
{
	return weft_wg_rtnl_link_set_mtu(&wg->rtnl, wg->ifname, mtu, err);
}

int weft_wg_oslink_set_up(weft_wg_t *wg, bool up, weft_wg_err_t *err)
{
	return weft_wg_rtnl_link_set_up(&wg->rtnl, wg->ifname, up, err);
}

int weft_wg_oslink_addr_list(weft_wg_t *wg, weft_wg_ifaddr_t **out, size_t *n, weft_wg_err_t *err)
{
	unsigned ifindex;
	int ret = ifindex_of(wg, &ifindex, err);

	return ret ? ret : weft_wg_rtnl_addr_list(&wg->rtnl, ifindex, out, n, err);
}

int weft_wg_oslink_addr_change(weft_wg_t *wg, const weft_wg_ifaddr_t *a, bool add, weft_wg_err_t *err)
{
	unsigned ifindex;
	int ret = ifindex_of(wg, &ifindex, err);

	return ret ? ret : weft_wg_rtnl_addr_change(&wg->rtnl, ifindex, a, add, err);
}

int weft_wg_oslink_route_list(weft_wg_t *wg, weft_cidr_t **out, size_t *n, weft_wg_err_t *err)
{
	unsigned ifindex;
	int ret = ifindex_of(wg, &ifindex, err);

	return ret ? ret : weft_wg_rtnl_route_list(&wg->rtnl, ifindex, out, n, err);
}

int weft_wg_oslink_route_change(weft_wg_t *wg, const weft_cidr_t *c, bool add, weft_wg_err_t *err)
{
	unsigned ifindex;
	int ret = ifindex_of(wg, &ifindex, err);

	return ret ? ret : weft_wg_rtnl_route_change(&wg->rtnl, ifindex, c, add, err);
}
