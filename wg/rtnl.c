/* rtnetlink requests and reply parsers for the WireGuard interface's link,
 * addresses and routes. Requests are small (one attribute set each); dumps
 * are filtered here by interface index, since older kernels ignore dump
 * filters. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "core/error.h"
#include "wg/rtnl.h"

/* A request buffer: 1 KiB, aligned for struct nlmsghdr. */
typedef uint32_t req_buf_t[256];
#define REQ_CAP sizeof(req_buf_t)

static struct nlmsghdr *put_msg(req_buf_t buf, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	return nlh;
}

static unsigned ip_len(unsigned family)
{
	return family == 4 ? 4 : family == 6 ? 16 : 0;
}

static int af_of(unsigned family)
{
	return family == 4 ? AF_INET : AF_INET6;
}

/* ---- parsers ---- */

/* Attributes by type; room for the largest of the three tables. */
struct attr_ctx {
	const struct nlattr *tb[(IFLA_MAX > RTA_MAX ? (IFLA_MAX > IFA_MAX ? IFLA_MAX : IFA_MAX)
						    : (RTA_MAX > IFA_MAX ? RTA_MAX : IFA_MAX)) +
				1];
	unsigned max;
};

static int table_cb(const struct nlattr *attr, void *data)
{
	struct attr_ctx *c = data;
	uint16_t type = mnl_attr_get_type(attr);

	if (type <= c->max)
		c->tb[type] = attr;
	return MNL_CB_OK;
}

static int attr_table(const struct nlmsghdr *nlh, size_t hdr, unsigned max, struct attr_ctx *c)
{
	memset(c, 0, sizeof(*c));
	c->max = max;
	return weft_wg_nl_attr_parse_msg(nlh, hdr, table_cb, c) < 0 ? -1 : 0;
}

static bool nul_terminated(const struct nlattr *a)
{
	size_t n = mnl_attr_get_payload_len(a);

	return n > 0 && memchr(mnl_attr_get_payload(a), '\0', n) != NULL;
}

static int linkinfo_cb(const struct nlattr *attr, void *data)
{
	weft_wg_rtnl_link_ctx_t *c = data;

	if (mnl_attr_get_type(attr) == IFLA_INFO_KIND) {
		if (!nul_terminated(attr))
			return MNL_CB_ERROR;
		snprintf(c->kind, sizeof(c->kind), "%s", mnl_attr_get_str(attr));
	}
	return MNL_CB_OK;
}

int weft_wg_rtnl_parse_link(const struct nlmsghdr *nlh, void *ctx, weft_wg_err_t *err)
{
	weft_wg_rtnl_link_ctx_t *c = ctx;
	struct ifinfomsg ifi;
	struct attr_ctx t;

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return weft_wg_errf(err, WEFT_EPROTO, "link reply: message type %u", nlh->nlmsg_type);
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(ifi))
		return weft_wg_errf(err, WEFT_EPROTO, "link reply: truncated ifinfomsg");
	memcpy(&ifi, mnl_nlmsg_get_payload(nlh), sizeof(ifi));
	if (attr_table(nlh, sizeof(ifi), IFLA_MAX, &t))
		return weft_wg_errf(err, WEFT_EPROTO, "link reply: malformed attributes");
	if (ifi.ifi_index <= 0)
		return weft_wg_errf(err, WEFT_EPROTO, "link reply: interface index %d", ifi.ifi_index);
	c->link.ifindex = (unsigned)ifi.ifi_index;
	c->link.up = ifi.ifi_flags & IFF_UP;
	c->link.mtu = 0;
	c->kind[0] = '\0';
	if (t.tb[IFLA_MTU]) {
		if (mnl_attr_get_payload_len(t.tb[IFLA_MTU]) != 4)
			return weft_wg_errf(err, WEFT_EPROTO, "link reply: malformed IFLA_MTU");
		c->link.mtu = mnl_attr_get_u32(t.tb[IFLA_MTU]);
	}
	if (t.tb[IFLA_LINKINFO] && weft_wg_nl_attr_parse_nested(t.tb[IFLA_LINKINFO], linkinfo_cb, c) < 0)
		return weft_wg_errf(err, WEFT_EPROTO, "link reply: malformed IFLA_LINKINFO");
	c->found = true;
	return 0;
}

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
	void *p;

	if (n < *cap)
		return 0;
	p = realloc(*v, (*cap ? *cap * 2 : 8) * size);
	if (!p)
		return -ENOMEM;
	*v = p;
	*cap = *cap ? *cap * 2 : 8;
	return 0;
}

/* An address attribute of the expected length for family, copied to ip. */
static bool get_ip(const struct nlattr *a, unsigned family, weft_ip_t *ip)
{
	if (!a || mnl_attr_get_payload_len(a) != ip_len(family))
		return false;
	memset(ip, 0, sizeof(*ip));
	ip->family = (uint8_t)family;
	memcpy(ip->b, mnl_attr_get_payload(a), ip_len(family));
	return true;
}

int weft_wg_rtnl_parse_addr(const struct nlmsghdr *nlh, void *ctx, weft_wg_err_t *err)
{
	weft_wg_rtnl_addr_ctx_t *c = ctx;
	struct ifaddrmsg ifa;
	struct attr_ctx t;
	weft_wg_ifaddr_t a = { 0 };
	unsigned family;

	if (nlh->nlmsg_type != RTM_NEWADDR)
		return weft_wg_errf(err, WEFT_EPROTO, "address reply: message type %u", nlh->nlmsg_type);
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(ifa))
		return weft_wg_errf(err, WEFT_EPROTO, "address reply: truncated ifaddrmsg");
	memcpy(&ifa, mnl_nlmsg_get_payload(nlh), sizeof(ifa));
	if (ifa.ifa_index != c->ifindex || (ifa.ifa_family != AF_INET && ifa.ifa_family != AF_INET6))
		return 0;
	family = ifa.ifa_family == AF_INET ? 4 : 6;
	if (attr_table(nlh, sizeof(ifa), IFA_MAX, &t))
		return weft_wg_errf(err, WEFT_EPROTO, "address reply: malformed attributes");
	/* IPv4's own address is IFA_LOCAL (IFA_ADDRESS is the peer's on
	 * point-to-point links); IPv6 has only IFA_ADDRESS. */
	if (!(family == 4 && get_ip(t.tb[IFA_LOCAL], family, &a.ip)) && !get_ip(t.tb[IFA_ADDRESS], family, &a.ip))
		return weft_wg_errf(err, WEFT_EPROTO, "address reply: no usable address attribute");
	if (ifa.ifa_prefixlen > ip_len(family) * 8)
		return weft_wg_errf(err, WEFT_EPROTO, "address reply: prefix length %u", ifa.ifa_prefixlen);
	a.prefix = ifa.ifa_prefixlen;
	if (family == 6 && a.ip.b[0] == 0xfe && (a.ip.b[1] & 0xc0) == 0x80)
		return 0;
	if (grow((void **)&c->v, &c->cap, c->n, sizeof(*c->v)))
		return weft_wg_errf(err, -ENOMEM, "address reply");
	c->v[c->n++] = a;
	return 0;
}

int weft_wg_rtnl_parse_route(const struct nlmsghdr *nlh, void *ctx, weft_wg_err_t *err)
{
	weft_wg_rtnl_route_ctx_t *c = ctx;
	struct rtmsg rtm;
	struct attr_ctx t;
	weft_cidr_t r = { 0 };
	unsigned family, table;

	if (nlh->nlmsg_type != RTM_NEWROUTE)
		return weft_wg_errf(err, WEFT_EPROTO, "route reply: message type %u", nlh->nlmsg_type);
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(rtm))
		return weft_wg_errf(err, WEFT_EPROTO, "route reply: truncated rtmsg");
	memcpy(&rtm, mnl_nlmsg_get_payload(nlh), sizeof(rtm));
	if ((rtm.rtm_family != AF_INET && rtm.rtm_family != AF_INET6) || rtm.rtm_protocol != WEFT_WG_RTPROT ||
	    rtm.rtm_type != RTN_UNICAST)
		return 0;
	family = rtm.rtm_family == AF_INET ? 4 : 6;
	if (attr_table(nlh, sizeof(rtm), RTA_MAX, &t))
		return weft_wg_errf(err, WEFT_EPROTO, "route reply: malformed attributes");
	table = rtm.rtm_table;
	if (t.tb[RTA_TABLE]) {
		if (mnl_attr_get_payload_len(t.tb[RTA_TABLE]) != 4)
			return weft_wg_errf(err, WEFT_EPROTO, "route reply: malformed RTA_TABLE");
		table = mnl_attr_get_u32(t.tb[RTA_TABLE]);
	}
	if (!t.tb[RTA_OIF] || mnl_attr_get_payload_len(t.tb[RTA_OIF]) != 4)
		return 0; /* multipath or blackhole: not one of weft's */
	if (table != RT_TABLE_MAIN || mnl_attr_get_u32(t.tb[RTA_OIF]) != c->ifindex)
		return 0;
	if (rtm.rtm_dst_len > ip_len(family) * 8)
		return weft_wg_errf(err, WEFT_EPROTO, "route reply: prefix length %u", rtm.rtm_dst_len);
	r.ip.family = (uint8_t)family;
	if (t.tb[RTA_DST] && !get_ip(t.tb[RTA_DST], family, &r.ip))
		return weft_wg_errf(err, WEFT_EPROTO, "route reply: malformed RTA_DST");
	r.prefix = rtm.rtm_dst_len;
	weft_wg_cidr_mask(&r);
	if (grow((void **)&c->v, &c->cap, c->n, sizeof(*c->v)))
		return weft_wg_errf(err, -ENOMEM, "route reply");
	c->v[c->n++] = r;
	return 0;
}

/* ---- link ---- */

static struct nlmsghdr *put_link(req_buf_t buf, uint16_t type, uint16_t flags, const char *ifname)
{
	struct nlmsghdr *nlh = put_msg(buf, type, flags);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
	return nlh;
}

int weft_wg_rtnl_link_get(weft_wg_nl_t *nl, const char *ifname, weft_wg_link_t *link, char *kind, size_t kind_len,
			  weft_wg_err_t *err)
{
	weft_wg_rtnl_link_ctx_t c = { 0 };
	req_buf_t buf;
	char what[64];
	int ret;

	snprintf(what, sizeof(what), "get link %s", ifname);
	ret = weft_wg_nl_call(nl, put_link(buf, RTM_GETLINK, 0, ifname), weft_wg_rtnl_parse_link, &c, what, err);
	if (ret)
		return ret;
	if (!c.found)
		return weft_wg_errf(err, WEFT_EPROTO, "%s: no link in the reply", what);
	if (link)
		*link = c.link;
	if (kind && kind_len)
		snprintf(kind, kind_len, "%s", c.kind);
	return 0;
}

int weft_wg_rtnl_link_create(weft_wg_nl_t *nl, const char *ifname, const char *kind, weft_wg_err_t *err)
{
	struct nlmsghdr *nlh;
	struct nlattr *info;
	req_buf_t buf;
	char what[64];

	nlh = put_link(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, ifname);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, kind);
	mnl_attr_nest_end(nlh, info);
	snprintf(what, sizeof(what), "create link %s of kind %s", ifname, kind);
	return weft_wg_nl_call(nl, nlh, NULL, NULL, what, err);
}

int weft_wg_rtnl_link_delete(weft_wg_nl_t *nl, const char *ifname, weft_wg_err_t *err)
{
	req_buf_t buf;
	char what[64];

	snprintf(what, sizeof(what), "delete link %s", ifname);
	return weft_wg_nl_call(nl, put_link(buf, RTM_DELLINK, 0, ifname), NULL, NULL, what, err);
}

int weft_wg_rtnl_link_set_mtu(weft_wg_nl_t *nl, const char *ifname, unsigned mtu, weft_wg_err_t *err)
{
	struct nlmsghdr *nlh;
	req_buf_t buf;
	char what[64];

	nlh = put_link(buf, RTM_NEWLINK, 0, ifname);
	mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	snprintf(what, sizeof(what), "set MTU %u on %s", mtu, ifname);
	return weft_wg_nl_call(nl, nlh, NULL, NULL, what, err);
}

int weft_wg_rtnl_link_set_up(weft_wg_nl_t *nl, const char *ifname, bool up, weft_wg_err_t *err)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	req_buf_t buf;
	char what[64];

	nlh = put_link(buf, RTM_NEWLINK, 0, ifname);
	ifi = mnl_nlmsg_get_payload(nlh);
	ifi->ifi_change = IFF_UP;
	ifi->ifi_flags = up ? IFF_UP : 0;
	snprintf(what, sizeof(what), "set %s %s", ifname, up ? "up" : "down");
	return weft_wg_nl_call(nl, nlh, NULL, NULL, what, err);
}

/* ---- addresses ---- */

static int ifaddr_cmp(const void *a, const void *b)
{
	const weft_wg_ifaddr_t *x = a, *y = b;
	int c = weft_ip_cmp(&x->ip, &y->ip);

	return c ? c : (x->prefix > y->prefix) - (x->prefix < y->prefix);
}

static int cidr_qcmp(const void *a, const void *b)
{
	return weft_wg_cidr_cmp(a, b);
}

int weft_wg_rtnl_addr_list(weft_wg_nl_t *nl, unsigned ifindex, weft_wg_ifaddr_t **out, size_t *n, weft_wg_err_t *err)
{
	weft_wg_rtnl_addr_ctx_t c = { .ifindex = ifindex };
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	req_buf_t buf;
	int ret, tries = 0;

	do {
		c.n = 0;
		nlh = put_msg(buf, RTM_GETADDR, NLM_F_DUMP);
		ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
		ifa->ifa_family = AF_UNSPEC;
		ifa->ifa_index = ifindex;
		ret = weft_wg_nl_call(nl, nlh, weft_wg_rtnl_parse_addr, &c, "list addresses", err);
	} while (ret == -EINTR && ++tries < 5);
	if (ret) {
		free(c.v);
		return ret;
	}
	if (c.n)
		qsort(c.v, c.n, sizeof(*c.v), ifaddr_cmp);
	*out = c.v;
	*n = c.n;
	return 0;
}

int weft_wg_rtnl_addr_change(weft_wg_nl_t *nl, unsigned ifindex, const weft_wg_ifaddr_t *a, bool add,
			     weft_wg_err_t *err)
{
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	req_buf_t buf;
	char what[96], ip[WEFT_ADDRSTRLEN];
	unsigned len = ip_len(a->ip.family);

	weft_ip_format(&a->ip, ip, sizeof(ip));
	snprintf(what, sizeof(what), "%s address %s/%u", add ? "add" : "delete", ip, a->prefix);
	if (!len || a->prefix > len * 8)
		return weft_wg_errf(err, WEFT_EBADADDR, "%s", what);
	nlh = put_msg(buf, add ? RTM_NEWADDR : RTM_DELADDR, add ? NLM_F_CREATE | NLM_F_EXCL : 0);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (uint8_t)af_of(a->ip.family);
	ifa->ifa_prefixlen = a->prefix;
	ifa->ifa_index = ifindex;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	if (a->ip.family == 4)
		mnl_attr_put(nlh, IFA_LOCAL, len, a->ip.b);
	mnl_attr_put(nlh, IFA_ADDRESS, len, a->ip.b);
	/* No duplicate address detection on a tunnel: it would only hold the
	 * address tentative for a second, and traffic with it. */
	if (add && a->ip.family == 6)
		mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
	return weft_wg_nl_call(nl, nlh, NULL, NULL, what, err);
}

/* ---- routes ---- */

int weft_wg_rtnl_route_list(weft_wg_nl_t *nl, unsigned ifindex, weft_cidr_t **out, size_t *n, weft_wg_err_t *err)
{
	static const uint8_t families[] = { AF_INET, AF_INET6 };
	weft_wg_rtnl_route_ctx_t c = { .ifindex = ifindex };
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	req_buf_t buf;
	size_t f, start;
	int ret = 0, tries;

	for (f = 0; f < sizeof(families) && !ret; f++) {
		start = c.n;
		tries = 0;
		do {
			c.n = start;
			nlh = put_msg(buf, RTM_GETROUTE, NLM_F_DUMP);
			rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
			rtm->rtm_family = families[f];
			ret = weft_wg_nl_call(nl, nlh, weft_wg_rtnl_parse_route, &c, "list routes", err);
		} while (ret == -EINTR && ++tries < 5);
	}
	if (ret) {
		free(c.v);
		return ret;
	}
	if (c.n)
		qsort(c.v, c.n, sizeof(*c.v), cidr_qcmp);
	*out = c.v;
	*n = c.n;
	return 0;
}

int weft_wg_rtnl_route_change(weft_wg_nl_t *nl, unsigned ifindex, const weft_cidr_t *c, bool add, weft_wg_err_t *err)
{
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	req_buf_t buf;
	char what[96], cs[WEFT_CIDRSTRLEN];
	weft_cidr_t m = *c;

	weft_cidr_format(c, cs, sizeof(cs));
	snprintf(what, sizeof(what), "%s route %s", add ? "add" : "delete", cs);
	if (!weft_wg_cidr_valid(c))
		return weft_wg_errf(err, WEFT_EBADCIDR, "%s", what);
	weft_wg_cidr_mask(&m);
	nlh = put_msg(buf, add ? RTM_NEWROUTE : RTM_DELROUTE, add ? NLM_F_CREATE | NLM_F_EXCL : 0);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (uint8_t)af_of(m.ip.family);
	rtm->rtm_dst_len = m.prefix;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = WEFT_WG_RTPROT;
	rtm->rtm_scope = RT_SCOPE_LINK;
	rtm->rtm_type = RTN_UNICAST;
	if (m.prefix)
		mnl_attr_put(nlh, RTA_DST, ip_len(m.ip.family), m.ip.b);
	mnl_attr_put_u32(nlh, RTA_OIF, ifindex);
	return weft_wg_nl_call(nl, nlh, NULL, NULL, what, err);
}
