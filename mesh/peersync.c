/* The daemon's peer table and the desired WireGuard peer set (peersync.h):
 * rebuilt from the view, endpoints chosen from candidates, keepalive where a
 * NAT is likely, retries with backoff for peers without a handshake, and
 * relays for pairs that get none. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/error.h"
#include "mesh/peersync.h"
#include "mesh/routecheck.h"

void weft_peerset_init(struct weft_peerset *ps, const weft_pk_t *self)
{
	memset(ps, 0, sizeof(*ps));
	ps->self = *self;
}

void weft_peerset_free(struct weft_peerset *ps)
{
	free(ps->p);
	ps->p = NULL;
	ps->n = ps->cap = 0;
}

static int cmp_peer(const void *a, const void *b)
{
	return memcmp(((const struct weft_peer *)a)->node_id.b, ((const struct weft_peer *)b)->node_id.b,
		      WEFT_PK_LEN);
}

struct weft_peer *weft_peerset_find(struct weft_peerset *ps, const weft_pk_t *id)
{
	struct weft_peer key;

	if (!ps->n)
		return NULL;
	key.node_id = *id;
	return bsearch(&key, ps->p, ps->n, sizeof(*ps->p), cmp_peer);
}

struct weft_peer *weft_peerset_find_addr(struct weft_peerset *ps, const weft_ip_t *ip)
{
	size_t i;

	for (i = 0; i < ps->n; i++)
		if ((ip->family == 4 && weft_ip_equal(&ps->p[i].addr4, ip)) ||
		    (ip->family == 6 && weft_ip_equal(&ps->p[i].addr6, ip)))
			return &ps->p[i];
	return NULL;
}

bool weft_peer_wanted(const struct weft_peer *p)
{
	static const weft_wgkey_t zero;

	return p->status == WEFT_MEMBER_ACTIVE && !p->denied && p->has_state && p->addr4.family &&
	       memcmp(p->wg_pub.b, zero.b, sizeof(zero.b)) != 0;
}

/* The routes a member advertises that the admin approved (DESIGN §5:
 * egress gateways); an override that says nothing of routes approves none.
 * A route over the network's own ranges, or a default route, is left out
 * (routecheck.h): WireGuard would refuse the peer list, or the members'
 * own addresses would go to the gateway. The member itself stays. */
static void approved_routes(struct weft_peer *p, const struct weft_member_view *mv,
			    const struct weft_rec_network *net)
{
	const struct weft_rec_node_state *st;
	const struct weft_rec_override *ov;
	uint8_t was = p->nrefused;
	weft_cidr_t old[WEFT_MAX_ROUTES];
	const char *why;
	unsigned i, j;
	bool same;

	memcpy(old, p->refused, sizeof(old));
	p->nroutes = 0;
	p->nrefused = 0;
	if (mv->state && mv->override && (mv->override->u.override.set & WEFT_OVR_ROUTES)) {
		st = &mv->state->u.node_state;
		ov = &mv->override->u.override;
		for (i = 0; i < st->nroutes; i++) {
			for (j = 0; j < ov->nroutes; j++)
				if (st->routes[i].prefix == ov->routes[j].prefix &&
				    weft_ip_equal(&st->routes[i].ip, &ov->routes[j].ip))
					break;
			if (j == ov->nroutes)
				continue;
			why = weft_routecheck_why(&st->routes[i], net);
			if (why) {
				p->refused_why[p->nrefused] = why;
				p->refused[p->nrefused++] = st->routes[i];
			} else {
				p->routes[p->nroutes++] = st->routes[i];
			}
		}
	}
	same = p->nrefused == was;
	for (i = 0; same && i < was; i++)
		same = old[i].prefix == p->refused[i].prefix && weft_ip_equal(&old[i].ip, &p->refused[i].ip);
	if (!same)
		p->refused_news = p->nrefused > 0;
}

/* Field by field: the struct has padding. */
static void endpoints_hash(const struct weft_rec_node_state *st, uint8_t out[8])
{
	crypto_generichash_state hs;
	uint8_t port[2];
	unsigned i;

	crypto_generichash_init(&hs, NULL, 0, 8);
	for (i = 0; i < st->nendpoints && i < WEFT_MAX_ENDPOINTS; i++) {
		port[0] = (uint8_t)(st->endpoints[i].port >> 8);
		port[1] = (uint8_t)st->endpoints[i].port;
		crypto_generichash_update(&hs, &st->endpoints[i].ip.family, 1);
		crypto_generichash_update(&hs, st->endpoints[i].ip.b, 16);
		crypto_generichash_update(&hs, port, 2);
	}
	crypto_generichash_final(&hs, out, 8);
}

static void schedule_now(struct weft_peer *p, uint64_t now_ns)
{
	p->attempt = 0;
	p->backoff_ms = WEFT_PEER_RETRY_MIN_MS;
	p->next_try_ns = now_ns + (uint64_t)WEFT_PEER_RETRY_MIN_MS * 1000000u;
	p->poke = true;
	p->down_since_ns = now_ns ? now_ns : 1;
}

int weft_peerset_update(struct weft_peerset *ps, const weft_view_t *v, uint64_t now_ns)
{
	struct weft_peer *np, *old;
	size_t i, k, n = 0;

	np = calloc(v->nmembers ? v->nmembers : 1, sizeof(*np));
	if (!np)
		return -ENOMEM;
	ps->self_status = 0;
	ps->self_nignored = 0;
	memset(&ps->self_ep_holder, 0, sizeof(ps->self_ep_holder));
	memset(&ps->self4, 0, sizeof(ps->self4));
	memset(&ps->self6, 0, sizeof(ps->self6));
	for (i = 0; i < v->nmembers; i++) {
		const struct weft_member_view *mv = &v->members[i];
		struct weft_peer *p = &np[n];

		if (!memcmp(mv->node_id.b, ps->self.b, WEFT_PK_LEN)) {
			ps->self_status = mv->status;
			ps->self4 = mv->address4;
			ps->self6 = mv->address6;
			ps->self_ep_holder = mv->ep_holder;
			for (k = 0; mv->state && k < mv->state->u.node_state.nendpoints && k < WEFT_MAX_ENDPOINTS;
			     k++)
				if (mv->ep_ignored & (1u << k))
					ps->self_ignored[ps->self_nignored++] = mv->state->u.node_state.endpoints[k];
			continue;
		}
		p->node_id = mv->node_id;
		old = weft_peerset_find(ps, &mv->node_id);
		if (old) {
			*p = *old; /* keeps WireGuard's view and the retries */
			p->nroutes = 0;
		}
		memcpy(p->name, mv->name, sizeof(p->name));
		p->status = mv->status;
		p->addr4 = mv->address4;
		p->addr6 = mv->address6;
		p->has_state = mv->state != NULL;
		if (mv->state) {
			const struct weft_rec_node_state *st = &mv->state->u.node_state;

			if (old && old->has_state && memcmp(old->wg_pub.b, st->wg_pub.b, WEFT_WGKEY_LEN)) {
				/* A new key is a new WireGuard peer: its
				 * handshake starts from nothing. */
				p->in_device = false;
				p->last_handshake_s = 0;
				p->tunnel_up = false;
				memset(&p->chosen, 0, sizeof(p->chosen));
				schedule_now(p, now_ns);
			}
			uint8_t h[8];

			/* New announced endpoints while the tunnel is down
			 * (it moved, or learned its NAT's address): its best
			 * candidate now may be a new one, tried at once, not
			 * when the rotation comes round to it. */
			endpoints_hash(st, h);
			if (old && old->has_state && !old->tunnel_up && memcmp(h, old->ep_hash, sizeof(h)))
				schedule_now(p, now_ns);
			memcpy(p->ep_hash, h, sizeof(h));
			p->wg_pub = st->wg_pub;
			p->wg_port = st->wg_port;
			p->gossip_port = st->gossip_port;
			p->relay_ok = (st->flags & WEFT_NODE_RELAY) && !(st->flags & WEFT_NODE_LEFT);
			p->nignored = 0;
			for (k = 0; k < st->nendpoints && k < WEFT_MAX_ENDPOINTS; k++) {
				if (!(mv->ep_ignored & (1u << k)))
					continue;
				p->ignored[p->nignored] = st->endpoints[k];
				if (!p->ignored[p->nignored].port)
					p->ignored[p->nignored].port = st->wg_port;
				p->nignored++;
			}
		} else {
			p->relay_ok = false;
		}
		approved_routes(p, mv, v->network ? &v->network->u.network : NULL);
		if (!old || (!old->has_state && p->has_state))
			schedule_now(p, now_ns);
		n++;
	}
	qsort(np, n, sizeof(*np), cmp_peer);
	free(ps->p);
	ps->p = np;
	ps->n = n;
	ps->cap = v->nmembers;
	ps->members = v->nmembers;
	return 0;
}

static bool in_local_nets(const struct weft_peersync_env *env, const weft_ip_t *ip)
{
	size_t i;

	for (i = 0; i < env->nlocal_nets; i++)
		if (weft_cidr_contains(&env->local_nets[i], ip))
			return true;
	return false;
}

static void add_cand(weft_endpoint_t *out, size_t cap, size_t *n, const weft_endpoint_t *ep)
{
	size_t i;

	if (!ep->ip.family || !ep->port || *n == cap)
		return;
	for (i = 0; i < *n; i++)
		if (weft_endpoint_equal(&out[i], ep))
			return;
	out[(*n)++] = *ep;
}

bool weft_peer_addr_private(const weft_ip_t *ip)
{
	const uint8_t *b = ip->b;
	static const uint8_t lo6[16] = { [15] = 1 };

	if (ip->family == 4)
		return b[0] == 10 || b[0] == 127 || (b[0] == 172 && (b[1] & 0xf0) == 16) ||
		       (b[0] == 192 && b[1] == 168) || (b[0] == 100 && (b[1] & 0xc0) == 64) ||
		       (b[0] == 169 && b[1] == 254);
	return (b[0] & 0xfe) == 0xfc || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) || !memcmp(b, lo6, 16);
}

/* Another member's address, or one inside the network: the view gives
 * this claim to nobody (core/view.c). */
static bool ignored(const struct weft_peer *p, const weft_endpoint_t *ep)
{
	unsigned i;

	for (i = 0; i < p->nignored; i++)
		if (weft_endpoint_equal(&p->ignored[i], ep))
			return true;
	return false;
}

size_t weft_peer_candidates(const struct weft_peer *p, const struct weft_peersync_env *env, weft_endpoint_t *out,
			    size_t cap)
{
	struct weft_gossip_candidate c[WEFT_PEER_MAX_CANDIDATES];
	weft_endpoint_t ep;
	size_t nc = 0, n = 0, i;
	bool lan;
	int pass;

	if (env->cands)
		nc = env->cands(env->cands_ctx, &p->node_id, c, WEFT_PEER_MAX_CANDIDATES);
	/* Best first: its announced endpoints on our LAN (no NAT between us,
	 * and the shortest path), where WireGuard itself last reached it,
	 * where its gossip comes from (its NAT's address: the reflexive
	 * candidate), then the rest of what it announces. */
	for (pass = 0; pass < 5; pass++) {
		for (i = 0; i < nc; i++) {
			ep = c[i].ep;
			lan = in_local_nets(env, &ep.ip);
			if (env->local_only && !lan)
				continue;
			switch (pass) {
			case 0:
			case 3:
			case 4:
				if (c[i].kind != WEFT_EP_ANNOUNCED || lan != (pass == 0) ||
				    (pass > 0 && weft_peer_addr_private(&ep.ip) != (pass == 4)))
					continue;
				if (!ep.port)
					ep.port = p->wg_port;
				if (ignored(p, &ep))
					continue;
				break;
			case 1:
				if (c[i].kind != WEFT_EP_WIREGUARD)
					continue;
				break;
			case 2:
				if (c[i].kind != WEFT_EP_OBSERVED)
					continue;
				ep.port = p->wg_port; /* its gossip port's address, WireGuard's port */
				break;
			}
			add_cand(out, cap, &n, &ep);
		}
	}
	return n;
}

size_t weft_peer_keep_reflexive(const struct weft_gossip_candidate *refl, size_t nrefl,
				const struct weft_rec_node_state *held, const weft_ip_t *local, size_t nlocal,
				weft_endpoint_t *eps, size_t neps, size_t cap, bool *behind_nat)
{
	size_t i, j;
	bool skip;

	for (i = 0; i < nrefl; i++)
		if (refl[i].kind == WEFT_EP_REFLEXIVE || refl[i].kind == WEFT_EP_REFLEXIVE_WG)
			return neps; /* fresh news wins */
	for (i = 0; held && i < held->nendpoints && neps < cap; i++) {
		const weft_endpoint_t *ep = &held->endpoints[i];

		skip = !ep->ip.family || weft_peer_addr_private(&ep->ip);
		for (j = 0; !skip && j < nlocal; j++)
			skip = weft_ip_equal(&local[j], &ep->ip);
		for (j = 0; !skip && j < neps; j++)
			skip = weft_endpoint_equal(&eps[j], ep);
		if (skip)
			continue;
		eps[neps++] = *ep;
		*behind_nat = true;
	}
	return neps;
}

/* A NAT is likely when we are behind one, or when the peer's packets come
 * from an address it does not announce. */
static bool nat_likely(const struct weft_peer *p, const struct weft_peersync_env *env)
{
	struct weft_gossip_candidate c[WEFT_PEER_MAX_CANDIDATES];
	size_t nc = 0, i, j;
	bool announced;

	if (env->self_behind_nat || p->relayed)
		return true;
	if (env->cands)
		nc = env->cands(env->cands_ctx, &p->node_id, c, WEFT_PEER_MAX_CANDIDATES);
	for (i = 0; i < nc; i++) {
		if (c[i].kind != WEFT_EP_OBSERVED)
			continue;
		announced = false;
		for (j = 0; j < nc; j++)
			if (c[j].kind == WEFT_EP_ANNOUNCED && weft_ip_equal(&c[j].ep.ip, &c[i].ep.ip))
				announced = true;
		if (!announced)
			return true;
	}
	return false;
}

static bool recent(const struct weft_peer *p, uint64_t now_unix_s)
{
	return p->last_handshake_s && now_unix_s < p->last_handshake_s + WEFT_PEER_TUNNEL_S;
}

static int host_route(weft_wg_peer_t *wp, const weft_ip_t *ip)
{
	weft_cidr_t c;

	if (!ip->family)
		return 0;
	c.ip = *ip;
	c.prefix = ip->family == 4 ? 32 : 128;
	return weft_wg_peer_add_allowed_ip(wp, &c);
}

/* The relay a peer's addresses go to, when relayed through a peer that is
 * itself in the device. */
static struct weft_peer *relay_of(struct weft_peerset *ps, const struct weft_peer *p)
{
	struct weft_peer *r;

	if (!p->relayed)
		return NULL;
	r = weft_peerset_find(ps, &p->relay);
	return r && r != p && weft_peer_wanted(r) && !r->relayed ? r : NULL;
}

/* Whether a peer of dev has c as an allowed IP already. */
static bool in_device(const weft_wg_device_t *dev, const weft_cidr_t *c)
{
	size_t i, j;

	for (i = 0; i < dev->n_peers; i++)
		for (j = 0; j < dev->peers[i].n_allowed_ips; j++)
			if (dev->peers[i].allowed_ips[j].prefix == c->prefix &&
			    weft_ip_equal(&dev->peers[i].allowed_ips[j].ip, &c->ip))
				return true;
	return false;
}

/* A member's addresses and approved routes. An egress route approved for
 * two members goes to the first in the device (by node id, relayed ones
 * last): WireGuard refuses an allowed IP on two peers, and that would
 * refuse the whole peer list. */
static int add_addresses(weft_wg_device_t *dev, weft_wg_peer_t *wp, const struct weft_peer *p)
{
	unsigned r;
	int ret;

	ret = host_route(wp, &p->addr4);
	if (!ret)
		ret = host_route(wp, &p->addr6);
	for (r = 0; !ret && r < p->nroutes; r++)
		if (!in_device(dev, &p->routes[r]))
			ret = weft_wg_peer_add_allowed_ip(wp, &p->routes[r]);
	return ret;
}

int weft_peerset_desired(struct weft_peerset *ps, const struct weft_peersync_env *env, uint64_t now_unix_s,
			 weft_wg_device_t *dev)
{
	weft_endpoint_t cands[WEFT_PEER_MAX_CANDIDATES];
	struct weft_peer *r;
	weft_wg_peer_t *wp;
	size_t i, n;
	int ret;

	for (i = 0; i < ps->n; i++) {
		struct weft_peer *p = &ps->p[i];

		if (!weft_peer_wanted(p))
			continue;
		wp = weft_wg_device_add_peer(dev, &p->wg_pub);
		if (!wp)
			return -ENOMEM;
		if (!relay_of(ps, p)) {
			ret = add_addresses(dev, wp, p);
			if (ret)
				return ret;
		}
		/* A working tunnel keeps the endpoint WireGuard roamed to. */
		if (!recent(p, now_unix_s)) {
			n = weft_peer_candidates(p, env, cands, WEFT_PEER_MAX_CANDIDATES);
			if (n)
				p->chosen = cands[p->attempt % n];
			else if (env->local_only)
				memset(&p->chosen, 0, sizeof(p->chosen));
		}
		if (p->chosen.ip.family && !recent(p, now_unix_s))
			wp->endpoint = p->chosen;
		if (env->keepalive > 0)
			wp->keepalive = (uint16_t)env->keepalive;
		else if (nat_likely(p, env))
			wp->keepalive = WEFT_PEER_NAT_KEEPALIVE;
		/* Off for one apply, on in the next: WireGuard sends a keepalive,
		 * hence a handshake, when the keepalive is turned on. */
		if (p->kick == 1) {
			wp->keepalive = 0;
			p->kick = 2;
		} else if (p->kick == 2) {
			p->kick = 0;
		}
	}
	/* Cryptokey routing through the relay: its peer on our side carries
	 * the relayed peer's addresses, and the relay forwards. */
	for (i = 0; i < ps->n; i++) {
		const struct weft_peer *p = &ps->p[i];

		r = weft_peer_wanted(p) ? relay_of(ps, p) : NULL;
		if (!r)
			continue;
		wp = weft_wg_device_find_peer(dev, &r->wg_pub);
		if (!wp)
			continue;
		ret = add_addresses(dev, wp, p);
		if (ret)
			return ret;
	}
	return 0;
}

void weft_peerset_observe(struct weft_peerset *ps, const weft_wg_device_t *cur, uint64_t now_unix_s,
			  weft_peer_tunnel_fn fn, void *ctx)
{
	const weft_wg_peer_t *wp;
	size_t i;
	bool up;

	for (i = 0; i < ps->n; i++) {
		struct weft_peer *p = &ps->p[i];

		wp = p->has_state ? weft_wg_device_find_peer(cur, &p->wg_pub) : NULL;
		p->in_device = wp != NULL;
		if (wp) {
			p->last_handshake_s = wp->last_handshake_ns / 1000000000ull;
			p->wg_endpoint = wp->endpoint;
			p->rx_bytes = wp->rx_bytes;
			p->tx_bytes = wp->tx_bytes;
		}
		up = wp && recent(p, now_unix_s);
		if (up) {
			/* It works: no more retries until it stops. */
			p->next_try_ns = 0;
			p->backoff_ms = 0;
			p->poke = false;
		}
		if (up != p->tunnel_up) {
			p->tunnel_up = up;
			if (fn)
				fn(ctx, p, up);
		}
	}
}

static bool peer_alive(const struct weft_peersync_env *env, const struct weft_peer *p)
{
	return !env->alive || env->alive(env->alive_ctx, &p->node_id);
}

/* Whether p's relay changed: relayed after WEFT_PEER_RELAY_AFTER_MS without
 * a direct tunnel, through the pair's relay while our tunnel to it is up. */
static bool relay_check(const struct weft_peerset *ps, const struct weft_peersync_env *env, struct weft_peer *p,
			uint64_t now_ns)
{
	const struct weft_peer *r = NULL;
	weft_pk_t old = p->relay;
	bool was = p->relayed;

	if (now_ns - p->down_since_ns >= (uint64_t)WEFT_PEER_RELAY_AFTER_MS * 1000000u)
		r = weft_peerset_relay_for(ps, env, p);
	p->relayed = r && r->tunnel_up;
	if (p->relayed)
		p->relay = r->node_id;
	else
		memset(&p->relay, 0, sizeof(p->relay));
	if (p->relayed != was && env->relayed)
		env->relayed(env->alive_ctx, p, p->relayed);
	return p->relayed != was || memcmp(old.b, p->relay.b, WEFT_PK_LEN) != 0;
}

size_t weft_peerset_retry(struct weft_peerset *ps, const struct weft_peersync_env *env, uint64_t now_ns)
{
	weft_endpoint_t cands[WEFT_PEER_MAX_CANDIDATES];
	size_t i, n, due = 0;

	for (i = 0; i < ps->n; i++) {
		struct weft_peer *p = &ps->p[i];

		if (!weft_peer_wanted(p) || p->tunnel_up) {
			/* A direct handshake wins over the relay. */
			p->next_try_ns = 0;
			p->down_since_ns = 0;
			if (p->relayed) {
				p->relayed = false;
				memset(&p->relay, 0, sizeof(p->relay));
				if (env->relayed)
					env->relayed(env->alive_ctx, p, p->tunnel_up);
				due++;
			}
			continue;
		}
		if (!p->down_since_ns)
			p->down_since_ns = now_ns ? now_ns : 1;
		if (relay_check(ps, env, p, now_ns))
			due++;
		if (!p->next_try_ns) {
			/* A peer whose tunnel went down is tried again. */
			p->backoff_ms = WEFT_PEER_RETRY_MIN_MS;
			p->next_try_ns = now_ns + (uint64_t)p->backoff_ms * 1000000u;
			continue;
		}
		if (now_ns < p->next_try_ns)
			continue;
		n = weft_peer_candidates(p, env, cands, WEFT_PEER_MAX_CANDIDATES);
		p->attempt++;
		if (n == 0 || p->attempt % n == 0) {
			p->backoff_ms = p->backoff_ms ? p->backoff_ms * 2 : WEFT_PEER_RETRY_MIN_MS;
			if (p->backoff_ms > WEFT_PEER_RETRY_MAX_MS)
				p->backoff_ms = WEFT_PEER_RETRY_MAX_MS;
		}
		if (p->relayed && p->backoff_ms > WEFT_PEER_RELAY_RETRY_MS)
			p->backoff_ms = WEFT_PEER_RELAY_RETRY_MS;
		p->next_try_ns = now_ns + (uint64_t)p->backoff_ms * 1000000u;
		if (p->relayed)
			p->kick = 1;
		else
			p->poke = true;
		due++;
	}
	return due;
}

uint64_t weft_peerset_next_retry(const struct weft_peerset *ps)
{
	uint64_t t = UINT64_MAX;
	size_t i;

	for (i = 0; i < ps->n; i++)
		if (ps->p[i].next_try_ns && ps->p[i].next_try_ns < t)
			t = ps->p[i].next_try_ns;
	return t;
}

/* BLAKE2b(lower pair id, higher pair id, relay id): the same for both ends
 * of the pair, and a different order of relays for every pair, so the load
 * spreads over the relays. */
static void relay_rank(const weft_pk_t *a, const weft_pk_t *b, const weft_pk_t *r, uint8_t out[16])
{
	crypto_generichash_state st;
	int lo = memcmp(a->b, b->b, WEFT_PK_LEN) < 0;

	crypto_generichash_init(&st, NULL, 0, 16);
	crypto_generichash_update(&st, lo ? a->b : b->b, WEFT_PK_LEN);
	crypto_generichash_update(&st, lo ? b->b : a->b, WEFT_PK_LEN);
	crypto_generichash_update(&st, r->b, WEFT_PK_LEN);
	crypto_generichash_final(&st, out, 16);
}

const struct weft_peer *weft_peerset_relay_for(const struct weft_peerset *ps, const struct weft_peersync_env *env,
					       const struct weft_peer *p)
{
	const struct weft_peer *best = NULL;
	uint8_t h[16], besth[16];
	size_t i;

	for (i = 0; i < ps->n; i++) {
		const struct weft_peer *r = &ps->p[i];

		if (r == p || !r->relay_ok || !weft_peer_wanted(r) || !peer_alive(env, r))
			continue;
		relay_rank(&ps->self, &p->node_id, &r->node_id, h);
		if (!best || memcmp(h, besth, sizeof(h)) < 0) {
			best = r;
			memcpy(besth, h, sizeof(h));
		}
	}
	return best;
}

bool weft_peerset_kicking(const struct weft_peerset *ps)
{
	size_t i;

	for (i = 0; i < ps->n; i++)
		if (ps->p[i].kick)
			return true;
	return false;
}

size_t weft_peerset_route_news(struct weft_peerset *ps, const char *netname, weft_peer_say_fn say, void *ctx)
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
				 netname, weft_cidr_format(&p->refused[r], c, sizeof(c)),
				 p->name[0] ? p->name : "a member", hex, p->refused_why[r], netname, hex);
			if (say)
				say(ctx, msg);
		}
	}
	return k;
}
