/* rtnetlink for the interface WireGuard runs on, whatever the backend: the
 * link (create by kind, delete, MTU, up/down), its IPv4/IPv6 addresses and
 * the routes through it. The parsers are exposed for the fuzzer. */
#ifndef WEFT_WG_RTNL_H
#define WEFT_WG_RTNL_H

#include "wg/backend.h"

/* Routes weft adds carry this protocol number, so that weft changes only
 * its own routes and `ip route` shows where they came from. */
#define WEFT_WG_RTPROT 87

typedef struct {
	weft_wg_link_t link;
	char kind[32]; /* IFLA_INFO_KIND, "" when none */
	bool found;
} weft_wg_rtnl_link_ctx_t;

typedef struct {
	unsigned ifindex;
	weft_wg_ifaddr_t *v;
	size_t n, cap;
} weft_wg_rtnl_addr_ctx_t;

typedef struct {
	unsigned ifindex;
	weft_cidr_t *v;
	size_t n, cap;
} weft_wg_rtnl_route_ctx_t;

/* -ENODEV when there is no such link. kind may be NULL. */
int weft_wg_rtnl_link_get(weft_wg_nl_t *nl, const char *ifname, weft_wg_link_t *link, char *kind, size_t kind_len,
			  weft_wg_err_t *err);
/* -EEXIST when it exists; -EOPNOTSUPP when the kernel has no such kind. */
int weft_wg_rtnl_link_create(weft_wg_nl_t *nl, const char *ifname, const char *kind, weft_wg_err_t *err);
int weft_wg_rtnl_link_delete(weft_wg_nl_t *nl, const char *ifname, weft_wg_err_t *err);
int weft_wg_rtnl_link_set_mtu(weft_wg_nl_t *nl, const char *ifname, unsigned mtu, weft_wg_err_t *err);
int weft_wg_rtnl_link_set_up(weft_wg_nl_t *nl, const char *ifname, bool up, weft_wg_err_t *err);

/* Addresses on ifindex, IPv6 link-local ones (which the kernel manages)
 * left out; *out malloc'd, sorted. */
int weft_wg_rtnl_addr_list(weft_wg_nl_t *nl, unsigned ifindex, weft_wg_ifaddr_t **out, size_t *n,
			   weft_wg_err_t *err);
int weft_wg_rtnl_addr_change(weft_wg_nl_t *nl, unsigned ifindex, const weft_wg_ifaddr_t *a, bool add,
			     weft_wg_err_t *err);
/* Main-table unicast routes out of ifindex with protocol WEFT_WG_RTPROT;
 * *out malloc'd, sorted. */
int weft_wg_rtnl_route_list(weft_wg_nl_t *nl, unsigned ifindex, weft_cidr_t **out, size_t *n, weft_wg_err_t *err);
int weft_wg_rtnl_route_change(weft_wg_nl_t *nl, unsigned ifindex, const weft_cidr_t *c, bool add,
			      weft_wg_err_t *err);

/* weft_wg_nl_cb_t parsers of RTM_NEWLINK, RTM_NEWADDR, RTM_NEWROUTE. */
int weft_wg_rtnl_parse_link(const struct nlmsghdr *nlh, void *ctx, weft_wg_err_t *err);
int weft_wg_rtnl_parse_addr(const struct nlmsghdr *nlh, void *ctx, weft_wg_err_t *err);
int weft_wg_rtnl_parse_route(const struct nlmsghdr *nlh, void *ctx, weft_wg_err_t *err);

#endif
