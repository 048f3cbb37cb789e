/* Unit tests for wg/genl.c and the reply walk of wg/nl.c, without the
 * kernel module: SET_DEVICE chunks for large peer sets decoded back by an
 * independent decoder here (chunk boundaries, flags only where the UAPI
 * header allows them), GET_DEVICE dumps encoded here the way the kernel
 * splits them and parsed back, and malformed replies. */
#include <linux/genetlink.h>
#include <linux/wireguard.h>
#include <netinet/in.h>

#include "wg/genl.h"
#include "tests/unit/test_wg_util.h"

#define FAMILY 0x1d

/* ---- an independent SET_DEVICE decoder ---- */

struct frag {
	weft_wgkey_t key;
	uint32_t flags;
	bool has_ep, has_ka;
	weft_endpoint_t ep;
	uint16_t ka;
	weft_cidr_t *aips;
	size_t n_aips;
	unsigned msg;
};

struct decoded {
	struct frag *f;
	size_t n;
	unsigned msgs;
	bool pk_seen, port_seen;
	unsigned pk_msg, port_msg;
	weft_wgkey_t pk;
	uint16_t port;
	bool dev_flags_seen;
	struct frag *cur;
	weft_cidr_t aip;
};

static int d_aip(const struct nlattr *a, void *data)
{
	struct decoded *d = data;

	switch (mnl_attr_get_type(a)) {
	case WGALLOWEDIP_A_FAMILY:
		d->aip.ip.family = mnl_attr_get_u16(a) == AF_INET ? 4 : 6;
		break;
	case WGALLOWEDIP_A_IPADDR:
		memcpy(d->aip.ip.b, mnl_attr_get_payload(a), mnl_attr_get_payload_len(a));
		break;
	case WGALLOWEDIP_A_CIDR_MASK:
		d->aip.prefix = mnl_attr_get_u8(a);
		break;
	}
	return MNL_CB_OK;
}

static int d_aips(const struct nlattr *a, void *data)
{
	struct decoded *d = data;
	struct frag *f = d->cur;

	memset(&d->aip, 0, sizeof(d->aip));
	assert_true(mnl_attr_parse_nested(a, d_aip, d) >= 0);
	f->aips = realloc(f->aips, (f->n_aips + 1) * sizeof(*f->aips));
	f->aips[f->n_aips++] = d->aip;
	return MNL_CB_OK;
}

static int d_peer(const struct nlattr *a, void *data)
{
	struct decoded *d = data;
	struct frag *f = d->cur;

	switch (mnl_attr_get_type(a)) {
	case WGPEER_A_PUBLIC_KEY:
		assert_int_equal(mnl_attr_get_payload_len(a), 32);
		memcpy(f->key.b, mnl_attr_get_payload(a), 32);
		break;
	case WGPEER_A_FLAGS:
		f->flags = mnl_attr_get_u32(a);
		break;
	case WGPEER_A_ENDPOINT:
		f->has_ep = true;
		if (mnl_attr_get_payload_len(a) == sizeof(struct sockaddr_in)) {
			struct sockaddr_in sin;

			memcpy(&sin, mnl_attr_get_payload(a), sizeof(sin));
			assert_int_equal(sin.sin_family, AF_INET);
			f->ep.ip.family = 4;
			memcpy(f->ep.ip.b, &sin.sin_addr, 4);
			f->ep.port = ntohs(sin.sin_port);
		} else {
			struct sockaddr_in6 sin6;

			assert_int_equal(mnl_attr_get_payload_len(a), sizeof(sin6));
			memcpy(&sin6, mnl_attr_get_payload(a), sizeof(sin6));
			assert_int_equal(sin6.sin6_family, AF_INET6);
			f->ep.ip.family = 6;
			memcpy(f->ep.ip.b, &sin6.sin6_addr, 16);
			f->ep.port = ntohs(sin6.sin6_port);
		}
		break;
	case WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL:
		f->has_ka = true;
		f->ka = mnl_attr_get_u16(a);
		break;
	case WGPEER_A_ALLOWEDIPS:
		assert_true(mnl_attr_parse_nested(a, d_aips, d) >= 0);
		break;
	default:
		fail_msg("unexpected peer attribute %u", mnl_attr_get_type(a));
	}
	return MNL_CB_OK;
}

static int d_peers(const struct nlattr *a, void *data)
{
	struct decoded *d = data;

	d->f = realloc(d->f, (d->n + 1) * sizeof(*d->f));
	d->cur = &d->f[d->n++];
	memset(d->cur, 0, sizeof(*d->cur));
	d->cur->msg = d->msgs;
	assert_true(mnl_attr_parse_nested(a, d_peer, d) >= 0);
	return MNL_CB_OK;
}

static int d_dev(const struct nlattr *a, void *data)
{
	struct decoded *d = data;

	switch (mnl_attr_get_type(a)) {
	case WGDEVICE_A_IFNAME:
		assert_string_equal(mnl_attr_get_str(a), "wgtest0");
		break;
	case WGDEVICE_A_PRIVATE_KEY:
		assert_false(d->pk_seen);
		d->pk_seen = true;
		d->pk_msg = d->msgs;
		memcpy(d->pk.b, mnl_attr_get_payload(a), 32);
		break;
	case WGDEVICE_A_LISTEN_PORT:
		assert_false(d->port_seen);
		d->port_seen = true;
		d->port_msg = d->msgs;
		d->port = mnl_attr_get_u16(a);
		break;
	case WGDEVICE_A_FLAGS:
		d->dev_flags_seen = true;
		break;
	case WGDEVICE_A_PEERS:
		assert_true(mnl_attr_parse_nested(a, d_peers, d) >= 0);
		break;
	default:
		fail_msg("unexpected device attribute %u", mnl_attr_get_type(a));
	}
	return MNL_CB_OK;
}

/* Builds every chunk of cs with buffer size cap and decodes them. */
static void build_and_decode(const weft_wg_changeset_t *cs, size_t cap, struct decoded *d)
{
	weft_wg_genl_cursor_t cur = { 0 };
	uint32_t *buf = malloc(cap);
	int more;

	memset(d, 0, sizeof(*d));
	do {
		const struct nlmsghdr *nlh = (const void *)buf;
		struct genlmsghdr g;

		memset(buf, 0xa5, cap);
		more = weft_wg_genl_build_set(buf, cap, FAMILY, "wgtest0", cs, &cur, NULL);
		assert_true(more == 0 || more == 1);
		assert_true(nlh->nlmsg_len <= cap);
		assert_true(mnl_nlmsg_ok(nlh, (int)cap));
		assert_int_equal(nlh->nlmsg_type, FAMILY);
		assert_true(nlh->nlmsg_flags & NLM_F_REQUEST);
		memcpy(&g, mnl_nlmsg_get_payload(nlh), sizeof(g));
		assert_int_equal(g.cmd, WG_CMD_SET_DEVICE);
		assert_int_equal(g.version, WG_GENL_VERSION);
		assert_true(mnl_attr_parse(nlh, sizeof(g), d_dev, d) >= 0);
		d->msgs++;
		assert_true(d->msgs < 100000);
	} while (more);
	free(buf);
}

static void decoded_free(struct decoded *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		free(d->f[i].aips);
	free(d->f);
}

/* The fragments, grouped by peer, say exactly what cs says. */
static void check_decoded(const weft_wg_changeset_t *cs, const struct decoded *d)
{
	size_t fi = 0, pi, ai;

	assert_false(d->dev_flags_seen); /* never WGDEVICE_F_REPLACE_PEERS */
	assert_int_equal(d->pk_seen, !!(cs->flags & WEFT_WG_DC_PRIVATE_KEY));
	if (d->pk_seen) {
		assert_int_equal(d->pk_msg, 0);
		assert_memory_equal(d->pk.b, cs->private_key.b, 32);
	}
	assert_int_equal(d->port_seen, !!(cs->flags & WEFT_WG_DC_LISTEN_PORT));
	if (d->port_seen) {
		assert_int_equal(d->port_msg, 0);
		assert_int_equal(d->port, cs->listen_port);
	}
	for (pi = 0; pi < cs->n_peers; pi++) {
		const weft_wg_peer_change_t *pc = &cs->peers[pi];
		uint32_t first_flags = 0, later_flags = 0;
		size_t nfrag = 0;

		if (pc->flags & WEFT_WG_PC_UPDATE_ONLY)
			first_flags = later_flags = WGPEER_F_UPDATE_ONLY;
		if (pc->flags & WEFT_WG_PC_REMOVE)
			first_flags |= WGPEER_F_REMOVE_ME;
		if (pc->flags & WEFT_WG_PC_REPLACE_ALLOWED)
			first_flags |= WGPEER_F_REPLACE_ALLOWEDIPS;
		ai = 0;
		assert_true(fi < d->n);
		do {
			const struct frag *f = &d->f[fi];

			assert_memory_equal(f->key.b, pc->public_key.b, 32);
			if (nfrag) {
				/* a continuation is in the next message */
				assert_int_equal(f->msg, d->f[fi - 1].msg + 1);
				assert_int_equal(f->flags, later_flags);
				assert_false(f->has_ep);
				assert_false(f->has_ka);
			} else {
				assert_int_equal(f->flags, first_flags);
				assert_int_equal(f->has_ep, !!(pc->flags & WEFT_WG_PC_ENDPOINT));
				if (f->has_ep)
					assert_true(weft_endpoint_equal(&f->ep, &pc->endpoint));
				assert_int_equal(f->has_ka, !!(pc->flags & WEFT_WG_PC_KEEPALIVE));
				if (f->has_ka)
					assert_int_equal(f->ka, pc->keepalive);
			}
			for (size_t k = 0; k < f->n_aips; k++, ai++) {
				assert_true(ai < pc->n_allowed_ips);
				assert_int_equal(weft_wg_cidr_cmp(&f->aips[k], &pc->allowed_ips[ai]), 0);
			}
			nfrag++;
			fi++;
		} while (fi < d->n && !memcmp(d->f[fi].key.b, pc->public_key.b, 32) &&
			 (pi + 1 == cs->n_peers || memcmp(pc->public_key.b, cs->peers[pi + 1].public_key.b, 32)));
		assert_int_equal(ai, pc->flags & WEFT_WG_PC_REMOVE ? 0 : pc->n_allowed_ips);
	}
	assert_int_equal(fi, d->n);
}

/* n peers: removals, updates and additions, with 0..k allowed IPs each and
 * one peer (index big) with 1,000. */
static weft_wg_changeset_t make_cs(size_t n, size_t big, weft_cidr_t **pool)
{
	weft_wg_changeset_t cs = { .flags = WEFT_WG_DC_PRIVATE_KEY | WEFT_WG_DC_LISTEN_PORT,
				   .private_key = tkey(77777),
				   .listen_port = 51820 };
	size_t i, used = 0;
	char s[64];

	*pool = calloc(4000, sizeof(**pool));
	for (i = 0; i < 4000; i++) {
		if (i % 2)
			snprintf(s, sizeof(s), "fd00:%zx::/64", i);
		else
			snprintf(s, sizeof(s), "10.%zu.%zu.0/24", i / 256, i % 256);
		(*pool)[i] = tcidr(s);
	}
	cs.peers = calloc(n, sizeof(*cs.peers));
	cs.n_peers = n;
	for (i = 0; i < n; i++) {
		weft_wg_peer_change_t *pc = &cs.peers[i];
		size_t k = i == big ? 1000 : i % 7;

		pc->public_key = tkey((unsigned)i);
		if (i % 10 == 0) {
			pc->flags = WEFT_WG_PC_REMOVE;
			continue;
		}
		pc->flags = i % 3 ? WEFT_WG_PC_REPLACE_ALLOWED : WEFT_WG_PC_UPDATE_ONLY | WEFT_WG_PC_REPLACE_ALLOWED;
		if (i % 4 == 1) {
			pc->flags |= WEFT_WG_PC_ENDPOINT;
			pc->endpoint = tep(i % 8 == 1 ? "[2001:db8::1]:51820" : "192.0.2.1:51820");
		}
		if (i % 5 == 2) {
			pc->flags |= WEFT_WG_PC_KEEPALIVE;
			pc->keepalive = (uint16_t)i;
		}
		if (used + k > 4000)
			used = 0;
		pc->allowed_ips = *pool + used;
		pc->n_allowed_ips = k;
		used += k;
	}
	return cs;
}

static void test_set_chunks(void **state)
{
	static const size_t caps[] = { 8192, 4096, 1500, 700, 300 };
	weft_cidr_t *pool;
	weft_wg_changeset_t cs = make_cs(1000, 500, &pool);
	struct decoded d;
	size_t i;

	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		build_and_decode(&cs, caps[i], &d);
		check_decoded(&cs, &d);
		/* 1000 peers, ~3,000 + 1,000 allowed IPs at ~36 bytes: many messages */
		assert_true(d.msgs >= 12 * 8192 / caps[i]);
		decoded_free(&d);
	}
	free(cs.peers);
	free(pool);
}

static void test_set_small_cases(void **state)
{
	weft_wg_changeset_t cs = { .flags = WEFT_WG_DC_LISTEN_PORT, .listen_port = 1 };
	weft_wg_genl_cursor_t cur = { 0 };
	weft_cidr_t *pool;
	struct decoded d;
	uint32_t buf[64];
	weft_wg_err_t err;

	/* device fields only: one message */
	build_and_decode(&cs, 8192, &d);
	assert_int_equal(d.msgs, 1);
	assert_int_equal(d.n, 0);
	check_decoded(&cs, &d);
	decoded_free(&d);

	/* a buffer that cannot hold one peer fragment */
	cs = make_cs(3, 99, &pool);
	cs.flags = 0;
	assert_int_equal(weft_wg_genl_build_set(buf, 16, FAMILY, "wgtest0", &cs, &cur, &err), -EMSGSIZE);
	assert_int_equal(weft_wg_genl_build_set(buf, 60, FAMILY, "wgtest0", &cs, &cur, &err), 1);
	assert_int_equal(weft_wg_genl_build_set(buf, 60, FAMILY, "wgtest0", &cs, &cur, &err), -EMSGSIZE);
	assert_non_null(strstr(err.msg, "SET_DEVICE"));
	/* the cursor did not move, so a larger buffer carries on from there */
	assert_int_equal(weft_wg_genl_build_set(buf, sizeof(buf), FAMILY, "wgtest0", &cs, &cur, &err), 1);
	free(cs.peers);
	free(pool);
}

/* ---- a kernel-like GET_DEVICE dump encoder ---- */

struct out {
	char *p;
	size_t len, cap;
};

static void out_msg(struct out *o, const struct nlmsghdr *nlh)
{
	size_t n = MNL_ALIGN(nlh->nlmsg_len);

	if (o->len + n > o->cap) {
		o->cap = (o->len + n) * 2;
		o->p = realloc(o->p, o->cap);
	}
	memcpy(o->p + o->len, nlh, nlh->nlmsg_len);
	memset(o->p + o->len + nlh->nlmsg_len, 0, n - nlh->nlmsg_len);
	o->len += n;
}

static bool put_aip(struct nlmsghdr *nlh, size_t L, const weft_cidr_t *c)
{
	struct nlattr *n = mnl_attr_nest_start_check(nlh, L, 0);

	if (!n)
		return false;
	if (!mnl_attr_put_u16_check(nlh, L, WGALLOWEDIP_A_FAMILY, c->ip.family == 4 ? AF_INET : AF_INET6) ||
	    !mnl_attr_put_check(nlh, L, WGALLOWEDIP_A_IPADDR, c->ip.family == 4 ? 4 : 16, c->ip.b) ||
	    !mnl_attr_put_u8_check(nlh, L, WGALLOWEDIP_A_CIDR_MASK, c->prefix)) {
		mnl_attr_nest_cancel(nlh, n);
		return false;
	}
	mnl_attr_nest_end(nlh, n);
	return true;
}

static bool put_head(struct nlmsghdr *nlh, size_t L, const weft_wg_peer_t *p)
{
	int64_t ts[2] = { (int64_t)(p->last_handshake_ns / 1000000000u),
			  (int64_t)(p->last_handshake_ns % 1000000000u) };
	uint8_t zero[32] = { 0 };

	if (!mnl_attr_put_check(nlh, L, WGPEER_A_PRESHARED_KEY, 32, zero) ||
	    !mnl_attr_put_check(nlh, L, WGPEER_A_LAST_HANDSHAKE_TIME, sizeof(ts), ts) ||
	    !mnl_attr_put_u16_check(nlh, L, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, p->keepalive) ||
	    !mnl_attr_put_u64_check(nlh, L, WGPEER_A_TX_BYTES, p->tx_bytes) ||
	    !mnl_attr_put_u64_check(nlh, L, WGPEER_A_RX_BYTES, p->rx_bytes) ||
	    !mnl_attr_put_u32_check(nlh, L, WGPEER_A_PROTOCOL_VERSION, 1))
		return false;
	if (p->endpoint.ip.family == 4) {
		struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(p->endpoint.port) };

		memcpy(&sin.sin_addr, p->endpoint.ip.b, 4);
		return mnl_attr_put_check(nlh, L, WGPEER_A_ENDPOINT, sizeof(sin), &sin);
	}
	if (p->endpoint.ip.family == 6) {
		struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(p->endpoint.port) };

		memcpy(&sin6.sin6_addr, p->endpoint.ip.b, 16);
		return mnl_attr_put_check(nlh, L, WGPEER_A_ENDPOINT, sizeof(sin6), &sin6);
	}
	return true;
}

/* Splits dev into dump messages of at most L bytes as the kernel does,
 * then NLMSG_DONE carrying done_err. */
static struct out encode_dump(const weft_wg_device_t *dev, size_t L, int done_err, unsigned *nmsgs)
{
	struct out o = { 0 };
	uint32_t *buf = malloc(L);
	size_t pi = 0, ai = 0;
	bool started = false, first = true;
	struct nlmsghdr *nlh;

	*nmsgs = 0;
	do {
		struct genlmsghdr *g;
		struct nlattr *peers;

		nlh = mnl_nlmsg_put_header(buf);
		nlh->nlmsg_type = FAMILY;
		nlh->nlmsg_flags = NLM_F_MULTI;
		g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
		g->cmd = WG_CMD_GET_DEVICE;
		g->version = 1;
		mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, "wgtest0");
		if (first) {
			mnl_attr_put_u32(nlh, WGDEVICE_A_IFINDEX, 7);
			mnl_attr_put(nlh, WGDEVICE_A_PRIVATE_KEY, 32, dev->private_key.b);
			mnl_attr_put(nlh, WGDEVICE_A_PUBLIC_KEY, 32, dev->public_key.b);
			mnl_attr_put_u16(nlh, WGDEVICE_A_LISTEN_PORT, dev->listen_port);
			mnl_attr_put_u32(nlh, WGDEVICE_A_FWMARK, 0);
		}
		first = false;
		peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
		for (; pi < dev->n_peers; pi++, ai = 0, started = false) {
			const weft_wg_peer_t *p = &dev->peers[pi];
			struct nlattr *pn = mnl_attr_nest_start_check(nlh, L, 0), *an;

			if (!pn)
				goto full;
			if (!mnl_attr_put_check(nlh, L, WGPEER_A_PUBLIC_KEY, 32, p->public_key.b) ||
			    (!started && !put_head(nlh, L, p))) {
				mnl_attr_nest_cancel(nlh, pn);
				goto full;
			}
			started = true;
			an = mnl_attr_nest_start_check(nlh, L, WGPEER_A_ALLOWEDIPS);
			if (!an) {
				mnl_attr_nest_end(nlh, pn);
				goto full;
			}
			for (; ai < p->n_allowed_ips; ai++) {
				if (!put_aip(nlh, L, &p->allowed_ips[ai])) {
					mnl_attr_nest_end(nlh, an);
					mnl_attr_nest_end(nlh, pn);
					goto full;
				}
			}
			mnl_attr_nest_end(nlh, an);
			mnl_attr_nest_end(nlh, pn);
		}
full:
		mnl_attr_nest_end(nlh, peers);
		out_msg(&o, nlh);
		(*nmsgs)++;
	} while (pi < dev->n_peers);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_flags = NLM_F_MULTI;
	memcpy(mnl_nlmsg_put_extra_header(nlh, sizeof(int)), &done_err, sizeof(int));
	out_msg(&o, nlh);
	free(buf);
	return o;
}

static weft_wg_device_t make_dev(size_t n)
{
	weft_wg_device_t d = {
		.has_private_key = true, .private_key = tkey(1), .public_key = tkey(2), .listen_port = 51820
	};
	static const char *eps[] = { NULL, "192.0.2.1:51820", "[2001:db8::5]:1" };
	size_t i, j;
	char s[64];

	for (i = 0; i < n; i++) {
		weft_wg_peer_t *p = tpeer(&d, (unsigned)i, eps[i % 3], (uint16_t)(i % 30));
		size_t extra = i == n / 2 ? 700 : i % 9;

		p->last_handshake_ns = i % 4 ? 1700000000000000000ull + i * 1000003u : 0;
		p->rx_bytes = i * 1000;
		p->tx_bytes = UINT64_MAX - i;
		for (j = 0; j < extra; j++) {
			snprintf(s, sizeof(s), "172.%zu.%zu.0/24", 16 + j / 256, j % 256);
			weft_cidr_t c = tcidr(s);

			assert_int_equal(weft_wg_peer_add_allowed_ip(p, &c), 0);
		}
	}
	return d;
}

static void check_same(const weft_wg_device_t *a, const weft_wg_device_t *b)
{
	size_t i, j;

	assert_int_equal(b->has_private_key, a->has_private_key);
	assert_memory_equal(b->private_key.b, a->private_key.b, 32);
	assert_memory_equal(b->public_key.b, a->public_key.b, 32);
	assert_int_equal(b->listen_port, a->listen_port);
	assert_int_equal(b->n_peers, a->n_peers);
	for (i = 0; i < a->n_peers; i++) {
		const weft_wg_peer_t *x = &a->peers[i], *y = &b->peers[i];

		assert_memory_equal(x->public_key.b, y->public_key.b, 32);
		assert_int_equal(x->endpoint.ip.family, y->endpoint.ip.family);
		if (x->endpoint.ip.family)
			assert_true(weft_endpoint_equal(&x->endpoint, &y->endpoint));
		assert_int_equal(x->keepalive, y->keepalive);
		assert_int_equal(x->last_handshake_ns, y->last_handshake_ns);
		assert_int_equal(x->rx_bytes, y->rx_bytes);
		assert_int_equal(x->tx_bytes, y->tx_bytes);
		assert_int_equal(x->n_allowed_ips, y->n_allowed_ips);
		for (j = 0; j < x->n_allowed_ips; j++)
			assert_int_equal(weft_wg_cidr_cmp(&x->allowed_ips[j], &y->allowed_ips[j]), 0);
	}
}

static void test_get_dump_coalesced(void **state)
{
	static const size_t sizes[] = { 32768, 8192, 2000, 600 };
	weft_wg_device_t dev = make_dev(1000), got;
	weft_wg_genl_dump_t dump = { .dev = &got, .family = FAMILY };
	weft_wg_err_t err;
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		unsigned nmsgs;
		struct out o = encode_dump(&dev, sizes[i], 0, &nmsgs);

		assert_true(nmsgs > 1);
		memset(&got, 0, sizeof(got));
		if (weft_wg_nl_walk(o.p, o.len, 0, 0, weft_wg_genl_parse_device, &dump, "test", &err))
			fail_msg("size %zu: %s", sizes[i], err.msg);
		check_same(&dev, &got);
		weft_wg_device_free(&got);
		free(o.p);
	}
	weft_wg_device_free(&dev);
}

/* One message with one peer, built by hand to be broken in one place. */
enum breakage { B_NONE, B_KEYLEN, B_NOKEY, B_AIP_FAMILY, B_AIP_CIDR, B_AIP_MISSING, B_TRAILING, B_EPLEN, B_HSNS };

static size_t broken_msg(uint32_t *buf, enum breakage b)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;
	struct nlattr *peers, *peer, *aips, *aip;
	uint8_t key[32] = { 1 }, ip16[16] = { 0xfd };
	int64_t ts[2] = { 5, b == B_HSNS ? 1000000000 : 6 };

	nlh->nlmsg_type = FAMILY;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = WG_CMD_GET_DEVICE;
	peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
	peer = mnl_attr_nest_start(nlh, 0);
	if (b != B_NOKEY)
		mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY, b == B_KEYLEN ? 31 : 32, key);
	mnl_attr_put(nlh, WGPEER_A_ENDPOINT, b == B_EPLEN ? 15 : 16,
		     &(struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(1) });
	mnl_attr_put(nlh, WGPEER_A_LAST_HANDSHAKE_TIME, sizeof(ts), ts);
	aips = mnl_attr_nest_start(nlh, WGPEER_A_ALLOWEDIPS);
	aip = mnl_attr_nest_start(nlh, 0);
	mnl_attr_put_u16(nlh, WGALLOWEDIP_A_FAMILY, b == B_AIP_FAMILY ? AF_INET : AF_INET6);
	mnl_attr_put(nlh, WGALLOWEDIP_A_IPADDR, 16, ip16);
	if (b != B_AIP_MISSING)
		mnl_attr_put_u8(nlh, WGALLOWEDIP_A_CIDR_MASK, b == B_AIP_CIDR ? 129 : 64);
	if (b == B_TRAILING) {
		/* two stray bytes at the end of the nest */
		memset((char *)nlh + nlh->nlmsg_len, 0, 4);
		nlh->nlmsg_len += 2;
	}
	mnl_attr_nest_end(nlh, aip);
	mnl_attr_nest_end(nlh, aips);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, peers);
	nlh->nlmsg_len = MNL_ALIGN(nlh->nlmsg_len);
	return nlh->nlmsg_len;
}

static void test_get_malformed(void **state)
{
	static const struct {
		enum breakage b;
		const char *needle;
	} cases[] = {
		{ B_KEYLEN, "WGPEER_A_PUBLIC_KEY" }, { B_NOKEY, "no public key" },
		{ B_AIP_FAMILY, "allowed IP" },      { B_AIP_CIDR, "allowed IP" },
		{ B_AIP_MISSING, "allowed IP" },     { B_TRAILING, "malformed" },
		{ B_EPLEN, "WGPEER_A_ENDPOINT" },    { B_HSNS, "WGPEER_A_LAST_HANDSHAKE_TIME" },
	};
	uint32_t buf[256];
	weft_wg_device_t got = { 0 };
	weft_wg_genl_dump_t dump = { .dev = &got, .family = FAMILY };
	weft_wg_err_t err;
	size_t i, len, cut;

	len = broken_msg(buf, B_NONE);
	assert_int_equal(weft_wg_nl_walk(buf, len, 0, 0, weft_wg_genl_parse_device, &dump, "t", &err), 1);
	assert_int_equal(got.n_peers, 1);
	assert_int_equal(got.peers[0].last_handshake_ns, 5000000006ull);
	weft_wg_device_free(&got);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(buf, 0, sizeof(buf));
		len = broken_msg(buf, cases[i].b);
		memset(&err, 0, sizeof(err));
		assert_int_equal(weft_wg_nl_walk(buf, len, 0, 0, weft_wg_genl_parse_device, &dump, "t", &err),
				 WEFT_EPROTO);
		if (!strstr(err.msg, cases[i].needle))
			fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, cases[i].needle);
		weft_wg_device_free(&got);
	}
	/* Every truncation of a valid message is an error, never a crash. */
	len = broken_msg(buf, B_NONE);
	for (cut = 1; cut < len; cut++) {
		int ret = weft_wg_nl_walk(buf, len - cut, 0, 0, weft_wg_genl_parse_device, &dump, "t", &err);

		assert_int_equal(ret, WEFT_EPROTO);
		assert_non_null(strstr(err.msg, "truncated"));
		weft_wg_device_free(&got);
	}
	/* A length above 2 GiB (libmnl's mnl_nlmsg_ok() would take it for
	 * a negative int): truncated, not a walk off the buffer. */
	len = broken_msg(buf, B_NONE);
	((struct nlmsghdr *)buf)->nlmsg_len = 0xffffffe0u;
	assert_int_equal(weft_wg_nl_walk(buf, len, 0, 0, weft_wg_genl_parse_device, &dump, "t", &err), WEFT_EPROTO);
	assert_non_null(strstr(err.msg, "truncated"));
	/* A message of another family or command. */
	len = broken_msg(buf, B_NONE);
	((struct nlmsghdr *)buf)->nlmsg_type = FAMILY + 1;
	assert_int_equal(weft_wg_nl_walk(buf, len, 0, 0, weft_wg_genl_parse_device, &dump, "t", &err), WEFT_EPROTO);
}

static void test_walk_control(void **state)
{
	weft_wg_device_t dev = make_dev(3), got = { 0 };
	weft_wg_genl_dump_t dump = { .dev = &got, .family = FAMILY };
	weft_wg_err_t err;
	unsigned n;
	struct out o = encode_dump(&dev, 8192, -ENODEV, &n);
	struct nlmsghdr *nlh = (void *)o.p;
	uint32_t buf[64];
	struct nlmsgerr *e;

	/* NLMSG_DONE carrying an error */
	assert_int_equal(weft_wg_nl_walk(o.p, o.len, 0, 0, weft_wg_genl_parse_device, &dump, "dump", &err), -ENODEV);
	assert_non_null(strstr(err.msg, "dump failed"));
	weft_wg_device_free(&got);
	/* an interrupted dump */
	nlh->nlmsg_flags |= NLM_F_DUMP_INTR;
	assert_int_equal(weft_wg_nl_walk(o.p, o.len, 0, 0, weft_wg_genl_parse_device, &dump, "dump", &err), -EINTR);
	weft_wg_device_free(&got);
	/* replies to an older request (another sequence number) are skipped */
	nlh->nlmsg_flags &= (uint16_t)~NLM_F_DUMP_INTR;
	nlh->nlmsg_seq = 5;
	assert_int_equal(weft_wg_nl_walk(o.p, MNL_ALIGN(nlh->nlmsg_len), 6, 0, weft_wg_genl_parse_device, &dump,
					 "dump", &err),
			 1);
	assert_int_equal(got.n_peers, 0);
	free(o.p);
	weft_wg_device_free(&dev);

	/* an error ack with the kernel's extended-ack text */
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_flags = NLM_F_CAPPED | NLM_F_ACK_TLVS;
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	e->error = -EPERM;
	mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "no permission here");
	assert_int_equal(weft_wg_nl_walk(buf, nlh->nlmsg_len, 0, 0, NULL, NULL, "req", &err), -EPERM);
	assert_non_null(strstr(err.msg, "req (kernel: no permission here)"));
	/* a success ack ends the walk; an ack too short to hold the error is refused */
	e->error = 0;
	assert_int_equal(weft_wg_nl_walk(buf, nlh->nlmsg_len, 0, 0, NULL, NULL, "req", &err), 0);
	nlh->nlmsg_len = MNL_NLMSG_HDRLEN + 2;
	assert_int_equal(weft_wg_nl_walk(buf, MNL_ALIGN(nlh->nlmsg_len), 0, 0, NULL, NULL, "req", &err),
			 WEFT_EPROTO);
	/* an implausible errno */
	nlh->nlmsg_len = MNL_NLMSG_HDRLEN + sizeof(*e);
	e->error = 7;
	assert_int_equal(weft_wg_nl_walk(buf, nlh->nlmsg_len, 0, 0, NULL, NULL, "req", &err), WEFT_EPROTO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_chunks),         cmocka_unit_test(test_set_small_cases),
		cmocka_unit_test(test_get_dump_coalesced), cmocka_unit_test(test_get_malformed),
		cmocka_unit_test(test_walk_control),
	};

	if (weft_crypto_init())
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
