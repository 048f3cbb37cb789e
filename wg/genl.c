/* WireGuard's generic netlink messages: family resolution, the GET_DEVICE
 * request and its coalescing parser, and chunked, resumable SET_DEVICE
 * messages. Everything read from the kernel is length-checked before use;
 * a malformed attribute is an error naming it, never a guess. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <linux/genetlink.h>
#include <linux/wireguard.h>
#include <net/if.h>

#include <sodium.h>

#include "core/error.h"
#include "wg/genl.h"

/* ---- family resolution ---- */

struct family_ctx {
	const char *name;
	uint16_t id;
	bool found;
};

static int family_attr(const struct nlattr *attr, void *data)
{
	struct family_ctx *ctx = data;

	if (mnl_attr_get_type(attr) == CTRL_ATTR_FAMILY_ID && !mnl_attr_validate(attr, MNL_TYPE_U16)) {
		ctx->id = mnl_attr_get_u16(attr);
		ctx->found = true;
	}
	return MNL_CB_OK;
}

static int family_msg(const struct nlmsghdr *nlh, void *data, weft_wg_err_t *err)
{
	struct family_ctx *ctx = data;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct genlmsghdr) ||
	    weft_wg_nl_attr_parse_msg(nlh, sizeof(struct genlmsghdr), family_attr, ctx) < 0)
		return weft_wg_errf(err, WEFT_EPROTO, "genl family %s: malformed reply", ctx->name);
	return 0;
}

int weft_wg_genl_resolve(weft_wg_nl_t *nl, const char *name, uint16_t *id, weft_wg_err_t *err)
{
	uint32_t buf[256]; /* 1 KiB, aligned for struct nlmsghdr */
	struct family_ctx ctx = { .name = name };
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;
	char what[64];
	int ret;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, name);
	snprintf(what, sizeof(what), "genl family '%s'", name);
	ret = weft_wg_nl_call(nl, nlh, family_msg, &ctx, what, err);
	if (ret)
		return ret;
	if (!ctx.found)
		return weft_wg_errf(err, WEFT_EPROTO, "%s: reply without an id", what);
	*id = ctx.id;
	return 0;
}

/* ---- GET_DEVICE ---- */

struct nlmsghdr *weft_wg_genl_put_get(void *buf, uint16_t family, const char *ifname)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = family;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = WG_CMD_GET_DEVICE;
	g->version = WG_GENL_VERSION;
	mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, ifname);
	return nlh;
}

/* State of one message's parse; callbacks report through ret and err. */
struct pctx {
	weft_wg_device_t *dev;
	weft_wg_peer_t peer; /* the peer being parsed */
	bool has_key;
	weft_cidr_t aip;
	unsigned aip_seen; /* bit per WGALLOWEDIP_A_* */
	int ret;
	weft_wg_err_t *err;
};

static int bad(struct pctx *c, const char *what, const struct nlattr *attr)
{
	c->ret = weft_wg_errf(c->err, WEFT_EPROTO, "GET_DEVICE reply: malformed %s (%u bytes)", what,
			      (unsigned)mnl_attr_get_payload_len(attr));
	return MNL_CB_ERROR;
}

static bool len_is(const struct nlattr *attr, size_t n)
{
	return mnl_attr_get_payload_len(attr) == n;
}

static uint64_t get_u64(const struct nlattr *attr)
{
	uint64_t v;

	memcpy(&v, mnl_attr_get_payload(attr), sizeof(v));
	return v;
}

static int allowedip_attr(const struct nlattr *attr, void *data)
{
	struct pctx *c = data;
	uint16_t type = mnl_attr_get_type(attr), fam;
	size_t n = mnl_attr_get_payload_len(attr);

	switch (type) {
	case WGALLOWEDIP_A_FAMILY:
		if (!len_is(attr, 2))
			return bad(c, "WGALLOWEDIP_A_FAMILY", attr);
		fam = mnl_attr_get_u16(attr);
		if (fam != AF_INET && fam != AF_INET6)
			return bad(c, "WGALLOWEDIP_A_FAMILY value", attr);
		c->aip.ip.family = fam == AF_INET ? 4 : 6;
		break;
	case WGALLOWEDIP_A_IPADDR:
		if (n != 4 && n != 16)
			return bad(c, "WGALLOWEDIP_A_IPADDR", attr);
		memcpy(c->aip.ip.b, mnl_attr_get_payload(attr), n);
		/* Remember the length as a family to check against FAMILY. */
		c->aip_seen |= n == 4 ? 1u << 8 : 1u << 9;
		break;
	case WGALLOWEDIP_A_CIDR_MASK:
		if (!len_is(attr, 1))
			return bad(c, "WGALLOWEDIP_A_CIDR_MASK", attr);
		c->aip.prefix = mnl_attr_get_u8(attr);
		break;
	default:
		return MNL_CB_OK;
	}
	c->aip_seen |= 1u << type;
	return MNL_CB_OK;
}

static int allowedips_attr(const struct nlattr *attr, void *data)
{
	struct pctx *c = data;
	const unsigned all = 1u << WGALLOWEDIP_A_FAMILY | 1u << WGALLOWEDIP_A_IPADDR | 1u << WGALLOWEDIP_A_CIDR_MASK;
	int ret;

	memset(&c->aip, 0, sizeof(c->aip));
	c->aip_seen = 0;
	if (weft_wg_nl_attr_parse_nested(attr, allowedip_attr, c) < 0)
		return c->ret ? MNL_CB_ERROR : bad(c, "allowed IP", attr);
	if ((c->aip_seen & all) != all || !(c->aip_seen & (c->aip.ip.family == 4 ? 1u << 8 : 1u << 9)) ||
	    !weft_wg_cidr_valid(&c->aip))
		return bad(c, "allowed IP (missing or inconsistent fields)", attr);
	ret = weft_wg_peer_add_allowed_ip(&c->peer, &c->aip);
	if (ret) {
		c->ret = weft_wg_errf(c->err, ret, "GET_DEVICE reply");
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

static int endpoint_attr(struct pctx *c, const struct nlattr *attr)
{
	size_t n = mnl_attr_get_payload_len(attr);
	sa_family_t fam;

	if (n < sizeof(fam))
		return bad(c, "WGPEER_A_ENDPOINT", attr);
	memcpy(&fam, mnl_attr_get_payload(attr), sizeof(fam));
	if (fam == AF_INET && n == sizeof(struct sockaddr_in)) {
		struct sockaddr_in sin;

		memcpy(&sin, mnl_attr_get_payload(attr), sizeof(sin));
		c->peer.endpoint.ip.family = 4;
		memcpy(c->peer.endpoint.ip.b, &sin.sin_addr, 4);
		c->peer.endpoint.port = ntohs(sin.sin_port);
	} else if (fam == AF_INET6 && n == sizeof(struct sockaddr_in6)) {
		struct sockaddr_in6 sin6;

		memcpy(&sin6, mnl_attr_get_payload(attr), sizeof(sin6));
		c->peer.endpoint.ip.family = 6;
		memcpy(c->peer.endpoint.ip.b, &sin6.sin6_addr, 16);
		c->peer.endpoint.port = ntohs(sin6.sin6_port);
	} else {
		return bad(c, "WGPEER_A_ENDPOINT", attr);
	}
	return MNL_CB_OK;
}

static int handshake_attr(struct pctx *c, const struct nlattr *attr)
{
	int64_t ts[2]; /* struct __kernel_timespec: seconds, nanoseconds */

	if (!len_is(attr, sizeof(ts)))
		return bad(c, "WGPEER_A_LAST_HANDSHAKE_TIME", attr);
	memcpy(ts, mnl_attr_get_payload(attr), sizeof(ts));
	if (ts[0] < 0 || ts[1] < 0 || ts[1] >= 1000000000 || (uint64_t)ts[0] > UINT64_MAX / 1000000000u - 1)
		return bad(c, "WGPEER_A_LAST_HANDSHAKE_TIME value", attr);
	c->peer.last_handshake_ns = (uint64_t)ts[0] * 1000000000u + (uint64_t)ts[1];
	return MNL_CB_OK;
}

static int peer_attr(const struct nlattr *attr, void *data)
{
	struct pctx *c = data;

	switch (mnl_attr_get_type(attr)) {
	case WGPEER_A_PUBLIC_KEY:
		if (!len_is(attr, WEFT_WGKEY_LEN))
			return bad(c, "WGPEER_A_PUBLIC_KEY", attr);
		memcpy(c->peer.public_key.b, mnl_attr_get_payload(attr), WEFT_WGKEY_LEN);
		c->has_key = true;
		break;
	case WGPEER_A_PRESHARED_KEY:
		/* Not used by weft, and not kept: it is a secret. */
		if (!len_is(attr, WEFT_WGKEY_LEN))
			return bad(c, "WGPEER_A_PRESHARED_KEY", attr);
		break;
	case WGPEER_A_ENDPOINT:
		return endpoint_attr(c, attr);
	case WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL:
		if (!len_is(attr, 2))
			return bad(c, "WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL", attr);
		c->peer.keepalive = mnl_attr_get_u16(attr);
		break;
	case WGPEER_A_LAST_HANDSHAKE_TIME:
		return handshake_attr(c, attr);
	case WGPEER_A_RX_BYTES:
		if (!len_is(attr, 8))
			return bad(c, "WGPEER_A_RX_BYTES", attr);
		c->peer.rx_bytes = get_u64(attr);
		break;
	case WGPEER_A_TX_BYTES:
		if (!len_is(attr, 8))
			return bad(c, "WGPEER_A_TX_BYTES", attr);
		c->peer.tx_bytes = get_u64(attr);
		break;
	case WGPEER_A_ALLOWEDIPS:
		if (weft_wg_nl_attr_parse_nested(attr, allowedips_attr, c) < 0)
			return c->ret ? MNL_CB_ERROR : bad(c, "WGPEER_A_ALLOWEDIPS", attr);
		break;
	default: /* protocol version, flags, and what later kernels add */
		break;
	}
	return MNL_CB_OK;
}

/* Moves the parsed peer into the device, merging it into the previous peer
 * when the kernel continued that peer's allowed IPs in this message. */
static int keep_peer(struct pctx *c)
{
	weft_wg_device_t *d = c->dev;
	weft_wg_peer_t *last = d->n_peers ? &d->peers[d->n_peers - 1] : NULL, *p;
	size_t i;
	int ret;

	if (last && !memcmp(last->public_key.b, c->peer.public_key.b, WEFT_WGKEY_LEN)) {
		for (i = 0; i < c->peer.n_allowed_ips; i++) {
			ret = weft_wg_peer_add_allowed_ip(last, &c->peer.allowed_ips[i]);
			if (ret)
				return ret;
		}
		return 0;
	}
	p = weft_wg_device_add_peer(d, &c->peer.public_key);
	if (!p)
		return -ENOMEM;
	*p = c->peer;
	memset(&c->peer, 0, sizeof(c->peer)); /* p owns the allowed IPs now */
	return 0;
}

static int peers_attr(const struct nlattr *attr, void *data)
{
	struct pctx *c = data;
	int ret;

	memset(&c->peer, 0, sizeof(c->peer));
	c->has_key = false;
	if (weft_wg_nl_attr_parse_nested(attr, peer_attr, c) < 0) {
		free(c->peer.allowed_ips);
		return c->ret ? MNL_CB_ERROR : bad(c, "peer", attr);
	}
	if (!c->has_key) {
		free(c->peer.allowed_ips);
		return bad(c, "peer (no public key)", attr);
	}
	ret = keep_peer(c);
	free(c->peer.allowed_ips);
	if (ret) {
		c->ret = weft_wg_errf(c->err, ret, "GET_DEVICE reply");
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

static int device_attr(const struct nlattr *attr, void *data)
{
	struct pctx *c = data;
	size_t n = mnl_attr_get_payload_len(attr);
	const char *s = mnl_attr_get_payload(attr);

	switch (mnl_attr_get_type(attr)) {
	case WGDEVICE_A_IFINDEX:
	case WGDEVICE_A_FWMARK:
		if (n != 4)
			return bad(c, "WGDEVICE_A_IFINDEX/FWMARK", attr);
		break;
	case WGDEVICE_A_IFNAME:
		if (n == 0 || n > IFNAMSIZ || !memchr(s, '\0', n))
			return bad(c, "WGDEVICE_A_IFNAME", attr);
		break;
	case WGDEVICE_A_PRIVATE_KEY:
		if (n != WEFT_WGKEY_LEN)
			return bad(c, "WGDEVICE_A_PRIVATE_KEY", attr);
		memcpy(c->dev->private_key.b, s, WEFT_WGKEY_LEN);
		c->dev->has_private_key = !sodium_is_zero(c->dev->private_key.b, WEFT_WGKEY_LEN);
		break;
	case WGDEVICE_A_PUBLIC_KEY:
		if (n != WEFT_WGKEY_LEN)
			return bad(c, "WGDEVICE_A_PUBLIC_KEY", attr);
		memcpy(c->dev->public_key.b, s, WEFT_WGKEY_LEN);
		break;
	case WGDEVICE_A_LISTEN_PORT:
		if (n != 2)
			return bad(c, "WGDEVICE_A_LISTEN_PORT", attr);
		c->dev->listen_port = mnl_attr_get_u16(attr);
		break;
	case WGDEVICE_A_PEERS:
		if (weft_wg_nl_attr_parse_nested(attr, peers_attr, c) < 0)
			return c->ret ? MNL_CB_ERROR : bad(c, "WGDEVICE_A_PEERS", attr);
		break;
	default:
		break;
	}
	return MNL_CB_OK;
}

int weft_wg_genl_parse_device(const struct nlmsghdr *nlh, void *ctx, weft_wg_err_t *err)
{
	weft_wg_genl_dump_t *dump = ctx;
	struct pctx c = { .dev = dump->dev, .err = err };
	struct genlmsghdr g;

	if (nlh->nlmsg_type != dump->family)
		return weft_wg_errf(err, WEFT_EPROTO, "GET_DEVICE reply: message type %u, expected %u",
				    nlh->nlmsg_type, dump->family);
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(g))
		return weft_wg_errf(err, WEFT_EPROTO, "GET_DEVICE reply: truncated genl header");
	memcpy(&g, mnl_nlmsg_get_payload(nlh), sizeof(g));
	if (g.cmd != WG_CMD_GET_DEVICE)
		return weft_wg_errf(err, WEFT_EPROTO, "GET_DEVICE reply: command %u", g.cmd);
	if (weft_wg_nl_attr_parse_msg(nlh, sizeof(g), device_attr, &c) < 0)
		return c.ret ? c.ret : weft_wg_errf(err, WEFT_EPROTO, "GET_DEVICE reply: malformed attributes");
	return 0;
}

/* ---- SET_DEVICE ---- */

static bool put_endpoint(struct nlmsghdr *nlh, size_t cap, const weft_endpoint_t *ep)
{
	if (ep->ip.family == 4) {
		struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(ep->port) };

		memcpy(&sin.sin_addr, ep->ip.b, 4);
		return mnl_attr_put_check(nlh, cap, WGPEER_A_ENDPOINT, sizeof(sin), &sin);
	}
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(ep->port) };

	memcpy(&sin6.sin6_addr, ep->ip.b, 16);
	return mnl_attr_put_check(nlh, cap, WGPEER_A_ENDPOINT, sizeof(sin6), &sin6);
}

static bool put_allowedip(struct nlmsghdr *nlh, size_t cap, const weft_cidr_t *a)
{
	struct nlattr *nest = mnl_attr_nest_start_check(nlh, cap, 0);
	bool v4 = a->ip.family == 4;

	if (!nest)
		return false;
	if (!mnl_attr_put_u16_check(nlh, cap, WGALLOWEDIP_A_FAMILY, v4 ? AF_INET : AF_INET6) ||
	    !mnl_attr_put_check(nlh, cap, WGALLOWEDIP_A_IPADDR, v4 ? 4 : 16, a->ip.b) ||
	    !mnl_attr_put_u8_check(nlh, cap, WGALLOWEDIP_A_CIDR_MASK, a->prefix)) {
		mnl_attr_nest_cancel(nlh, nest);
		return false;
	}
	mnl_attr_nest_end(nlh, nest);
	return true;
}

/* The head of a peer fragment: key, and in the first fragment the flags,
 * endpoint and keepalive. False when it does not fit. */
static bool put_peer_head(struct nlmsghdr *nlh, size_t cap, const weft_wg_peer_change_t *pc, bool first)
{
	uint32_t flags = 0;

	if (!mnl_attr_put_check(nlh, cap, WGPEER_A_PUBLIC_KEY, WEFT_WGKEY_LEN, pc->public_key.b))
		return false;
	if (pc->flags & WEFT_WG_PC_UPDATE_ONLY)
		flags |= WGPEER_F_UPDATE_ONLY;
	if (first) {
		if (pc->flags & WEFT_WG_PC_REMOVE)
			flags |= WGPEER_F_REMOVE_ME;
		if (pc->flags & WEFT_WG_PC_REPLACE_ALLOWED)
			flags |= WGPEER_F_REPLACE_ALLOWEDIPS;
		if ((pc->flags & WEFT_WG_PC_ENDPOINT) && !put_endpoint(nlh, cap, &pc->endpoint))
			return false;
		if ((pc->flags & WEFT_WG_PC_KEEPALIVE) &&
		    !mnl_attr_put_u16_check(nlh, cap, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, pc->keepalive))
			return false;
	}
	return !flags || mnl_attr_put_u32_check(nlh, cap, WGPEER_A_FLAGS, flags);
}

/* Adds as much of peer cur->peer as fits. Returns 1 when all of it went
 * in, 0 when the message is full (cursor updated to what is left). */
static int put_peer(struct nlmsghdr *nlh, size_t cap, const weft_wg_peer_change_t *pc, weft_wg_genl_cursor_t *cur)
{
	struct nlattr *peer, *aips;
	bool removing = pc->flags & WEFT_WG_PC_REMOVE;

	peer = mnl_attr_nest_start_check(nlh, cap, 0);
	if (!peer)
		return 0;
	if (!put_peer_head(nlh, cap, pc, !cur->peer_started)) {
		mnl_attr_nest_cancel(nlh, peer);
		return 0;
	}
	cur->peer_started = true;
	if (!removing && cur->aip < pc->n_allowed_ips) {
		aips = mnl_attr_nest_start_check(nlh, cap, WGPEER_A_ALLOWEDIPS);
		if (!aips) {
			mnl_attr_nest_end(nlh, peer);
			return 0;
		}
		for (; cur->aip < pc->n_allowed_ips; cur->aip++) {
			if (!put_allowedip(nlh, cap, &pc->allowed_ips[cur->aip])) {
				mnl_attr_nest_end(nlh, aips);
				mnl_attr_nest_end(nlh, peer);
				return 0;
			}
		}
		mnl_attr_nest_end(nlh, aips);
	}
	mnl_attr_nest_end(nlh, peer);
	return 1;
}

int weft_wg_genl_build_set(void *buf, size_t cap, uint16_t family, const char *ifname, const weft_wg_changeset_t *cs,
			   weft_wg_genl_cursor_t *cur, weft_wg_err_t *err)
{
	weft_wg_genl_cursor_t start = *cur;
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;
	struct nlattr *peers;
	bool first = !cur->first_sent;

	if (cap < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(*g)))
		return weft_wg_errf(err, -EMSGSIZE, "SET_DEVICE: buffer of %zu bytes", cap);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = family;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = WG_CMD_SET_DEVICE;
	g->version = WG_GENL_VERSION;
	if (!mnl_attr_put_strz_check(nlh, cap, WGDEVICE_A_IFNAME, ifname))
		goto too_small;
	if (first) {
		if ((cs->flags & WEFT_WG_DC_PRIVATE_KEY) &&
		    !mnl_attr_put_check(nlh, cap, WGDEVICE_A_PRIVATE_KEY, WEFT_WGKEY_LEN, cs->private_key.b))
			goto too_small;
		if ((cs->flags & WEFT_WG_DC_LISTEN_PORT) &&
		    !mnl_attr_put_u16_check(nlh, cap, WGDEVICE_A_LISTEN_PORT, cs->listen_port))
			goto too_small;
		cur->first_sent = true;
	}
	if (cur->peer == cs->n_peers)
		return 0;
	peers = mnl_attr_nest_start_check(nlh, cap, WGDEVICE_A_PEERS);
	if (!peers)
		goto full;
	for (; cur->peer < cs->n_peers; cur->peer++) {
		if (!put_peer(nlh, cap, &cs->peers[cur->peer], cur))
			break;
		cur->aip = 0;
		cur->peer_started = false;
	}
	mnl_attr_nest_end(nlh, peers);
	if (cur->peer == cs->n_peers)
		return 0;
full:
	/* A message that carries nothing new would be sent forever. */
	if (!first && start.peer == cur->peer && start.aip == cur->aip && start.peer_started == cur->peer_started)
		goto too_small;
	return 1;
too_small:
	*cur = start;
	return weft_wg_errf(err, -EMSGSIZE, "SET_DEVICE: %zu bytes cannot hold one peer fragment", cap);
}
