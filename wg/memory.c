/* The memory backend: WireGuard devices as plain data in a "world" that
 * stands for one host's kernel, for unit tests and the simulator. It follows
 * the kernel's set semantics (an allowed IP moves to the peer it was last
 * given to; a removed peer is forgotten) and models handshakes only as far
 * as wg.h documents: they happen when the caller says so. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "wg/backend.h"
#include "core/error.h"

#define MEM_DEFAULT_MTU 1420

struct mem_dev {
	char name[WEFT_WG_IFNAMSIZ];
	unsigned ifindex;
	unsigned mtu;
	bool up;
	weft_wg_device_t dev;
	long *touches; /* parallel to dev.peers, dev.cap_peers long */
	weft_wg_ifaddr_t *addrs;
	size_t n_addrs;
	weft_cidr_t *routes;
	size_t n_routes;
	struct mem_dev *next;
};

struct weft_wg_mem_world {
	struct mem_dev *devs;
	unsigned next_ifindex;
};

weft_wg_mem_world_t *weft_wg_mem_world_new(void)
{
	weft_wg_mem_world_t *w = calloc(1, sizeof(*w));

	if (w)
		w->next_ifindex = 100;
	return w;
}

static void dev_free(struct mem_dev *d)
{
	weft_wg_device_free(&d->dev);
	free(d->touches);
	free(d->addrs);
	free(d->routes);
	free(d);
}

void weft_wg_mem_world_free(weft_wg_mem_world_t *w)
{
	struct mem_dev *d, *next;

	if (!w)
		return;
	for (d = w->devs; d; d = next) {
		next = d->next;
		dev_free(d);
	}
	free(w);
}

static struct mem_dev *dev_find(weft_wg_mem_world_t *w, const char *name)
{
	struct mem_dev *d;

	for (d = w->devs; d; d = d->next)
		if (!strcmp(d->name, name))
			return d;
	return NULL;
}

static long peer_index(const weft_wg_device_t *dev, const weft_wgkey_t *k)
{
	const weft_wg_peer_t *p = weft_wg_device_find_peer(dev, k);

	return p ? p - dev->peers : -1;
}

static void peer_remove(struct mem_dev *d, size_t i)
{
	free(d->dev.peers[i].allowed_ips);
	memmove(&d->dev.peers[i], &d->dev.peers[i + 1], (d->dev.n_peers - i - 1) * sizeof(d->dev.peers[0]));
	memmove(&d->touches[i], &d->touches[i + 1], (d->dev.n_peers - i - 1) * sizeof(d->touches[0]));
	d->dev.n_peers--;
}

static long peer_add(struct mem_dev *d, const weft_wgkey_t *k)
{
	if (!weft_wg_device_add_peer(&d->dev, k))
		return -ENOMEM;
	if (d->dev.cap_peers) {
		long *t = realloc(d->touches, d->dev.cap_peers * sizeof(*t));

		if (!t) {
			d->dev.n_peers--;
			return -ENOMEM;
		}
		d->touches = t;
	}
	d->touches[d->dev.n_peers - 1] = 0;
	return (long)d->dev.n_peers - 1;
}

/* As the kernel's allowed-IPs trie: one prefix, one peer. */
static int give_allowed(struct mem_dev *d, size_t owner, const weft_cidr_t *c)
{
	weft_cidr_t m = *c;
	size_t i, j;

	weft_wg_cidr_mask(&m);
	for (i = 0; i < d->dev.n_peers; i++) {
		weft_wg_peer_t *p = &d->dev.peers[i];

		for (j = 0; j < p->n_allowed_ips;) {
			if (!weft_wg_cidr_cmp(&p->allowed_ips[j], &m))
				p->allowed_ips[j] = p->allowed_ips[--p->n_allowed_ips];
			else
				j++;
		}
	}
	return weft_wg_peer_add_allowed_ip(&d->dev.peers[owner], &m);
}

static int mem_set_peer(struct mem_dev *d, const weft_wg_peer_change_t *pc)
{
	long i = peer_index(&d->dev, &pc->public_key);
	weft_wg_peer_t *p;
	size_t j;
	int ret;

	if (pc->flags & WEFT_WG_PC_REMOVE) {
		if (i >= 0)
			peer_remove(d, (size_t)i);
		return 0;
	}
	if (i < 0) {
		if (pc->flags & WEFT_WG_PC_UPDATE_ONLY)
			return 0;
		i = peer_add(d, &pc->public_key);
		if (i < 0)
			return (int)i;
	}
	d->touches[i]++;
	p = &d->dev.peers[i];
	if (pc->flags & WEFT_WG_PC_ENDPOINT)
		p->endpoint = pc->endpoint;
	if (pc->flags & WEFT_WG_PC_KEEPALIVE)
		p->keepalive = pc->keepalive;
	if (pc->flags & WEFT_WG_PC_REPLACE_ALLOWED)
		p->n_allowed_ips = 0;
	for (j = 0; j < pc->n_allowed_ips; j++) {
		ret = give_allowed(d, (size_t)i, &pc->allowed_ips[j]);
		if (ret)
			return ret;
	}
	return 0;
}

static int mem_open(weft_wg_t *wg, const weft_wg_opts_t *opts, weft_wg_err_t *err)
{
	if (opts && opts->world) {
		wg->world = opts->world;
		return 0;
	}
	wg->world = weft_wg_mem_world_new();
	if (!wg->world)
		return weft_wg_errf(err, -ENOMEM, "memory world");
	wg->own_world = true;
	return 0;
}

static void mem_close(weft_wg_t *wg)
{
	if (wg->own_world)
		weft_wg_mem_world_free(wg->world);
	wg->world = NULL;
}

static int mem_exists(weft_wg_t *wg, weft_wg_err_t *err)
{
	return dev_find(wg->world, wg->ifname) != NULL;
}

static int mem_create(weft_wg_t *wg, weft_wg_err_t *err)
{
	struct mem_dev *d;

	if (dev_find(wg->world, wg->ifname))
		return weft_wg_errf(err, -EEXIST, "create");
	d = calloc(1, sizeof(*d));
	if (!d)
		return weft_wg_errf(err, -ENOMEM, "create");
	snprintf(d->name, sizeof(d->name), "%s", wg->ifname);
	d->ifindex = wg->world->next_ifindex++;
	d->mtu = MEM_DEFAULT_MTU;
	d->next = wg->world->devs;
	wg->world->devs = d;
	return 0;
}

static int mem_destroy(weft_wg_t *wg, weft_wg_err_t *err)
{
	struct mem_dev **pp;

	for (pp = &wg->world->devs; *pp; pp = &(*pp)->next) {
		if (!strcmp((*pp)->name, wg->ifname)) {
			struct mem_dev *d = *pp;

			*pp = d->next;
			dev_free(d);
			return 0;
		}
	}
	return weft_wg_errf(err, -ENODEV, "delete");
}

static struct mem_dev *need_dev(weft_wg_t *wg, const char *what, weft_wg_err_t *err)
{
	struct mem_dev *d = dev_find(wg->world, wg->ifname);

	if (!d)
		weft_wg_errf(err, -ENODEV, "%s", what);
	return d;
}

static int mem_get(weft_wg_t *wg, weft_wg_device_t *out, weft_wg_err_t *err)
{
	struct mem_dev *d = need_dev(wg, "get", err);
	size_t i, j;

	if (!d)
		return -ENODEV;
	out->has_private_key = d->dev.has_private_key;
	out->private_key = d->dev.private_key;
	out->public_key = d->dev.public_key;
	out->listen_port = d->dev.listen_port;
	for (i = 0; i < d->dev.n_peers; i++) {
		const weft_wg_peer_t *src = &d->dev.peers[i];
		weft_wg_peer_t *p = weft_wg_device_add_peer(out, &src->public_key);

		if (!p)
			goto nomem;
		p->endpoint = src->endpoint;
		p->keepalive = src->keepalive;
		p->last_handshake_ns = src->last_handshake_ns;
		p->rx_bytes = src->rx_bytes;
		p->tx_bytes = src->tx_bytes;
		for (j = 0; j < src->n_allowed_ips; j++)
			if (weft_wg_peer_add_allowed_ip(p, &src->allowed_ips[j]))
				goto nomem;
	}
	return 0;
nomem:
	weft_wg_device_free(out);
	return weft_wg_errf(err, -ENOMEM, "get");
}

static int mem_set(weft_wg_t *wg, const weft_wg_changeset_t *cs, weft_wg_err_t *err)
{
	struct mem_dev *d = need_dev(wg, "set", err);
	size_t i;
	int ret;

	if (!d)
		return -ENODEV;
	if (cs->flags & WEFT_WG_DC_PRIVATE_KEY) {
		d->dev.private_key = cs->private_key;
		d->dev.has_private_key = !sodium_is_zero(cs->private_key.b, WEFT_WGKEY_LEN);
		if (d->dev.has_private_key)
			weft_wgkey_public(&d->dev.public_key, &d->dev.private_key);
		else
			memset(&d->dev.public_key, 0, sizeof(d->dev.public_key));
	}
	if (cs->flags & WEFT_WG_DC_LISTEN_PORT)
		d->dev.listen_port = cs->listen_port;
	for (i = 0; i < cs->n_peers; i++) {
		ret = mem_set_peer(d, &cs->peers[i]);
		if (ret)
			return weft_wg_errf(err, ret, "set peer %zu", i);
	}
	return 0;
}

static int mem_link_get(weft_wg_t *wg, weft_wg_link_t *link, weft_wg_err_t *err)
{
	struct mem_dev *d = need_dev(wg, "get link", err);

	if (!d)
		return -ENODEV;
	link->ifindex = d->ifindex;
	link->mtu = d->mtu;
	link->up = d->up;
	return 0;
}

static int mem_set_mtu(weft_wg_t *wg, unsigned mtu, weft_wg_err_t *err)
{
	struct mem_dev *d = need_dev(wg, "set MTU", err);

	if (!d)
		return -ENODEV;
	if (mtu < 68 || mtu > 65535)
		return weft_wg_errf(err, -EINVAL, "set MTU %u", mtu);
	d->mtu = mtu;
	return 0;
}

static int mem_set_up(weft_wg_t *wg, bool up, weft_wg_err_t *err)
{
	struct mem_dev *d = need_dev(wg, "set up", err);

	if (!d)
		return -ENODEV;
	d->up = up;
	return 0;
}

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

/* Add or remove one element of a sorted array, with the kernel's errors. */
static int array_change(void **v, size_t *n, size_t size, const void *e, bool add,
			int (*cmp)(const void *, const void *), int missing)
{
	char *a = *v;
	size_t i;

	for (i = 0; i < *n; i++)
		if (!cmp(a + i * size, e))
			break;
	if (add) {
		if (i < *n)
			return -EEXIST;
		a = realloc(a, (*n + 1) * size);
		if (!a)
			return -ENOMEM;
		memcpy(a + *n * size, e, size);
		*v = a;
		(*n)++;
		qsort(a, *n, size, cmp);
		return 0;
	}
	if (i == *n)
		return missing;
	memmove(a + i * size, a + (i + 1) * size, (*n - i - 1) * size);
	(*n)--;
	return 0;
}

static int array_copy(const void *v, size_t n, size_t size, void **out, size_t *nout)
{
	*out = malloc(n ? n * size : 1);
	if (!*out)
		return -ENOMEM;
	if (n)
		memcpy(*out, v, n * size);
	*nout = n;
	return 0;
}

static int mem_addr_list(weft_wg_t *wg, weft_wg_ifaddr_t **out, size_t *n, weft_wg_err_t *err)
{
	struct mem_dev *d = need_dev(wg, "list addresses", err);

	if (!d)
		return -ENODEV;
	if (array_copy(d->addrs, d->n_addrs, sizeof(*d->addrs), (void **)out, n))
		return weft_wg_errf(err, -ENOMEM, "list addresses");
	return 0;
}

static int mem_addr_change(weft_wg_t *wg, const weft_wg_ifaddr_t *a, bool add, weft_wg_err_t *err)
{
	struct mem_dev *d = need_dev(wg, "change address", err);
	weft_wg_ifaddr_t e = { .ip = a->ip, .prefix = a->prefix };
	int ret;

	if (!d)
		return -ENODEV;
	if ((a->ip.family != 4 && a->ip.family != 6) || a->prefix > (a->ip.family == 4 ? 32 : 128))
		return weft_wg_errf(err, WEFT_EBADADDR, "change address");
	ret = array_change((void **)&d->addrs, &d->n_addrs, sizeof(e), &e, add, ifaddr_cmp, -EADDRNOTAVAIL);
	return ret ? weft_wg_errf(err, ret, "%s address", add ? "add" : "delete") : 0;
}

static int mem_route_list(weft_wg_t *wg, weft_cidr_t **out, size_t *n, weft_wg_err_t *err)
{
	struct mem_dev *d = need_dev(wg, "list routes", err);

	if (!d)
		return -ENODEV;
	if (array_copy(d->routes, d->n_routes, sizeof(*d->routes), (void **)out, n))
		return weft_wg_errf(err, -ENOMEM, "list routes");
	return 0;
}

static int mem_route_change(weft_wg_t *wg, const weft_cidr_t *c, bool add, weft_wg_err_t *err)
{
	struct mem_dev *d = need_dev(wg, "change route", err);
	weft_cidr_t m = *c;
	int ret;

	if (!d)
		return -ENODEV;
	if (!weft_wg_cidr_valid(c))
		return weft_wg_errf(err, WEFT_EBADCIDR, "change route");
	weft_wg_cidr_mask(&m);
	ret = array_change((void **)&d->routes, &d->n_routes, sizeof(m), &m, add, cidr_qcmp, -ESRCH);
	return ret ? weft_wg_errf(err, ret, "%s route", add ? "add" : "delete") : 0;
}

static weft_wg_peer_t *world_peer(weft_wg_mem_world_t *w, const char *ifname, const weft_wgkey_t *k, long *idx,
				  struct mem_dev **dev, int *ret)
{
	struct mem_dev *d = dev_find(w, ifname);
	long i;

	*ret = -ENODEV;
	if (!d)
		return NULL;
	i = peer_index(&d->dev, k);
	*ret = WEFT_ENOTFOUND;
	if (i < 0)
		return NULL;
	*ret = 0;
	if (idx)
		*idx = i;
	if (dev)
		*dev = d;
	return &d->dev.peers[i];
}

int weft_wg_mem_handshake(weft_wg_mem_world_t *w, const char *ifname, const weft_wgkey_t *peer, uint64_t now_ns)
{
	int ret;
	weft_wg_peer_t *p = world_peer(w, ifname, peer, NULL, NULL, &ret);

	if (p)
		p->last_handshake_ns = now_ns;
	return ret;
}

int weft_wg_mem_transfer(weft_wg_mem_world_t *w, const char *ifname, const weft_wgkey_t *peer, uint64_t rx_bytes,
			 uint64_t tx_bytes)
{
	int ret;
	weft_wg_peer_t *p = world_peer(w, ifname, peer, NULL, NULL, &ret);

	if (p) {
		p->rx_bytes += rx_bytes;
		p->tx_bytes += tx_bytes;
	}
	return ret;
}

long weft_wg_mem_touches(weft_wg_mem_world_t *w, const char *ifname, const weft_wgkey_t *peer)
{
	struct mem_dev *d = NULL;
	long i = 0;
	int ret;

	if (!world_peer(w, ifname, peer, &i, &d, &ret))
		return ret;
	return d->touches[i];
}

const struct weft_wg_ops weft_wg_memory_ops = {
	.name = "memory",
	.open = mem_open,
	.close = mem_close,
	.exists = mem_exists,
	.create = mem_create,
	.destroy = mem_destroy,
	.get = mem_get,
	.set = mem_set,
	.link_get = mem_link_get,
	.set_mtu = mem_set_mtu,
	.set_up = mem_set_up,
	.addr_list = mem_addr_list,
	.addr_change = mem_addr_change,
	.route_list = mem_route_list,
	.route_change = mem_route_change,
};
