/* External clients into the desired device (extclient.h): the gateway's
 * peers for them, and their addresses on the gateway's peer elsewhere,
 * with every record checked so that one bad record cannot make WireGuard
 * refuse the whole device (a key or an allowed IP given twice). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mesh/extclient.h"

static const uint8_t net_subject[32];

struct collect {
	const weft_record_t **v;
	size_t n, cap;
	int err;
};

static int collect_one(void *ctx, const weft_record_t *r)
{
	struct collect *c = ctx;
	const weft_record_t **nv;

	if (r->u.ext_client.deleted)
		return 0;
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 16;
		nv = realloc(c->v, c->cap * sizeof(*nv));
		if (!nv) {
			c->err = -ENOMEM;
			return 1;
		}
		c->v = nv;
	}
	c->v[c->n++] = r;
	return 0;
}

/* Names are the subjects, so they are unique: a total order that every
 * node shares, which decides who keeps an address two records claim. */
static int cmp_name(const void *a, const void *b)
{
	return strcmp((*(const weft_record_t *const *)a)->u.ext_client.name,
		      (*(const weft_record_t *const *)b)->u.ext_client.name);
}

static bool key_equal(const weft_wgkey_t *a, const weft_wgkey_t *b)
{
	return !memcmp(a->b, b->b, WEFT_WGKEY_LEN);
}

static const struct weft_peer *find_peer(const struct weft_peerset *ps, const weft_pk_t *id)
{
	size_t lo = 0, hi = ps->n, mid;
	int c;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		c = memcmp(ps->p[mid].node_id.b, id->b, WEFT_PK_LEN);
		if (!c)
			return &ps->p[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static void host_cidr(weft_cidr_t *c, const weft_ip_t *ip)
{
	memset(c, 0, sizeof(*c));
	c->ip = *ip;
	c->prefix = ip->family == 4 ? 32 : 128;
}

/* Whether ip may be a client's: inside the network's range of its family,
 * not reserved, no member's, and given to no peer of the device yet (a
 * member's route or an earlier client's). */
static bool address_free(const weft_ip_t *ip, const weft_cidr_t *range, const struct weft_peerset *ps,
			 const weft_wg_device_t *dev)
{
	size_t i, j;
	uint8_t prefix = ip->family == 4 ? 32 : 128;

	if (!range->ip.family || !weft_cidr_contains(range, ip) || weft_cidr_reserved(range, ip))
		return false;
	if (weft_ip_equal(ip, &ps->self4) || weft_ip_equal(ip, &ps->self6))
		return false;
	for (i = 0; i < ps->n; i++)
		if (weft_ip_equal(ip, &ps->p[i].addr4) || weft_ip_equal(ip, &ps->p[i].addr6))
			return false;
	for (i = 0; i < dev->n_peers; i++)
		for (j = 0; j < dev->peers[i].n_allowed_ips; j++)
			if (dev->peers[i].allowed_ips[j].prefix == prefix &&
			    weft_ip_equal(&dev->peers[i].allowed_ips[j].ip, ip))
				return false;
	return true;
}

/* A client's key must be no member's (nor ours) and no earlier client's:
 * WireGuard knows a peer by its key alone. */
static bool key_free(const weft_wgkey_t *k, const weft_wgkey_t *self_key, const struct weft_peerset *ps,
		     const weft_wgkey_t *taken, size_t ntaken)
{
	static const weft_wgkey_t zero;
	size_t i;

	if (key_equal(k, &zero) || (self_key && key_equal(k, self_key)))
		return false;
	for (i = 0; i < ps->n; i++)
		if (ps->p[i].has_state && key_equal(k, &ps->p[i].wg_pub))
			return false;
	for (i = 0; i < ntaken; i++)
		if (key_equal(k, &taken[i]))
			return false;
	return true;
}

static int add_hosts(weft_wg_peer_t *wp, const struct weft_rec_ext_client *e)
{
	weft_cidr_t c;
	int ret = 0;

	if (e->address4.family) {
		host_cidr(&c, &e->address4);
		ret = weft_wg_peer_add_allowed_ip(wp, &c);
	}
	if (!ret && e->address6.family) {
		host_cidr(&c, &e->address6);
		ret = weft_wg_peer_add_allowed_ip(wp, &c);
	}
	return ret;
}

int weft_extclient_desired(const weft_store_t *s, const struct weft_peerset *ps, const weft_wgkey_t *self_key,
			   weft_wg_device_t *dev, struct weft_extclient_stats *stats)
{
	const weft_record_t *net = weft_store_get(s, WEFT_REC_NETWORK, net_subject);
	struct collect c = { 0 };
	weft_wgkey_t *taken = NULL;
	const struct weft_peer *gw;
	weft_wg_peer_t *wp;
	size_t i, ntaken = 0;
	int ret = 0;

	memset(stats, 0, sizeof(*stats));
	weft_store_foreach(s, WEFT_REC_EXT_CLIENT, collect_one, &c);
	if (c.err) {
		ret = c.err;
		goto out;
	}
	if (!c.n)
		goto out;
	qsort(c.v, c.n, sizeof(c.v[0]), cmp_name);
	taken = calloc(c.n, sizeof(*taken));
	if (!taken) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < c.n; i++) {
		const struct weft_rec_ext_client *e = &c.v[i]->u.ext_client;
		bool ours = !memcmp(e->gateway.b, ps->self.b, WEFT_PK_LEN);

		gw = ours ? NULL : find_peer(ps, &e->gateway);
		if (!net || (ours ? ps->self_status != WEFT_MEMBER_ACTIVE : !gw || !weft_peer_wanted(gw)) ||
		    (e->address4.family && !address_free(&e->address4, &net->u.network.cidr4, ps, dev)) ||
		    (e->address6.family && !address_free(&e->address6, &net->u.network.cidr6, ps, dev)) ||
		    !key_free(&e->wg_pub, self_key, ps, taken, ntaken)) {
			stats->skipped++;
			continue;
		}
		if (ours) {
			/* No endpoint and no keepalive: the client dials in
			 * and keeps its own NAT mapping open. */
			wp = weft_wg_device_add_peer(dev, &e->wg_pub);
			if (!wp) {
				ret = -ENOMEM;
				goto out;
			}
			stats->served++;
		} else {
			wp = weft_wg_device_find_peer(dev, &gw->wg_pub);
			if (!wp) { /* the caller left the gateway out */
				stats->skipped++;
				continue;
			}
			stats->routed++;
		}
		taken[ntaken++] = e->wg_pub;
		ret = add_hosts(wp, e);
		if (ret)
			goto out;
	}
out:
	free(taken);
	free(c.v);
	return ret;
}
