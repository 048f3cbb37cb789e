/* The daemon's peer table and the desired WireGuard peer set (peersync.h):
 * rebuilt from the view, endpoints chosen from candidates, keepalive where a
 * NAT is likely, and retries with backoff for peers without a handshake. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "peersync.h"

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

	return p->status == WEFT_MEMBER_ACTIVE && p->has_state && p->addr4.family &&
	       memcmp(p->wg_pub.b, zero.b, sizeof(zero.b)) != 0;
}

/* The routes a member advertises that the admin approved (DESIGN §5:
 * egress gateways); an override that says nothing of routes approves none. */
static void approved_routes(struct weft_peer *p, const struct weft_member_view *mv)
{
	const struct weft_rec_node_state *st;
	const struct weft_rec_override *ov;
	unsigned i, j;

	p->nroutes = 0;
	if (!mv->state || !mv->override || !(mv->override->u.override.set & WEFT_OVR_ROUTES))
		return;
	st = &mv->state->u.node_state;
	ov = &mv->override->u.override;
	for (i = 0; i < st->nroutes; i++)
		for (j = 0; j < ov->nroutes; j++)
			if (st->routes[i].prefix == ov->routes[j].prefix &&
			    weft_ip_equal(&st->routes[i].ip, &ov->routes[j].ip)) {
				p->routes[p->nroutes++] = st->routes[i];
				break;
			}
}

static void schedule_now(struct weft_peer *p, uint64_t now_ns)
{
	p->attempt = 0;
	p->backoff_ms = WEFT_PEER_RETRY_MIN_MS;
	p->next_try_ns = now_ns + (uint64_t)WEFT_PEER_RETRY_MIN_MS * 1000000u;
	p->poke = true;
}

int weft_peerset_update(struct weft_peerset *ps, const weft_view_t *v, uint64_t now_ns)
{
	struct weft_peer *np, *old;
	size_t i, n = 0;

	np = calloc(v->nmembers ? v->nmembers : 1, sizeof(*np));
	if (!np)
		return -ENOMEM;
	ps->self_status = 0;
	memset(&ps->self4, 0, sizeof(ps->self4));
	memset(&ps->self6, 0, sizeof(ps->self6));
	for (i = 0; i < v->nmembers; i++) {
		const struct weft_member_view *mv = &v->members[i];
		struct weft_peer *p = &np[n];

		if (!memcmp(mv->node_id.b, ps->self.b, WEFT_PK_LEN)) {
			ps->self_status = mv->status;
			ps->self4 = mv->address4;
			ps->self6 = mv->address6;
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
			p->wg_pub = st->wg_pub;
			p->wg_port = st->wg_port;
			p->gossip_port = st->gossip_port;
		}
		approved_routes(p, mv);
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

size_t weft_peer_candidates(const struct weft_peer *p, const struct weft_peersync_env *env,
			    weft_endpoint_t *out, size_t cap)
{
	struct weft_gossip_candidate c[WEFT_PEER_MAX_CANDIDATES];
	weft_endpoint_t ep;
	size_t nc = 0, n = 0, i;
	int pass;

	if (env->cands)
		nc = env->cands(env->cands_ctx, &p->node_id, c, WEFT_PEER_MAX_CANDIDATES);
	/* Best first: where WireGuard itself last reached it, its announced
	 * endpoints on our LAN, where its gossip comes from, the rest. */
	for (pass = 0; pass < 4; pass++) {
		for (i = 0; i < nc; i++) {
			ep = c[i].ep;
			switch (pass) {
			case 0:
				if (c[i].kind != WEFT_EP_WIREGUARD)
					continue;
				break;
			case 1:
			case 3:
				if (c[i].kind != WEFT_EP_ANNOUNCED || in_local_nets(env, &ep.ip) != (pass == 1))
					continue;
				if (!ep.port)
					ep.port = p->wg_port;
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

/* A NAT is likely when we are behind one, or when the peer's packets come
 * from an address it does not announce. */
static bool nat_likely(const struct weft_peer *p, const struct weft_peersync_env *env)
{
	struct weft_gossip_candidate c[WEFT_PEER_MAX_CANDIDATES];
	size_t nc = 0, i, j;
	bool announced;

	if (env->self_behind_nat)
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

int weft_peerset_desired(struct weft_peerset *ps, const struct weft_peersync_env *env, uint64_t now_unix_s,
			 weft_wg_device_t *dev)
{
	weft_endpoint_t cands[WEFT_PEER_MAX_CANDIDATES];
	weft_wg_peer_t *wp;
	size_t i, n;
	unsigned r;
	int ret;

	for (i = 0; i < ps->n; i++) {
		struct weft_peer *p = &ps->p[i];

		if (!weft_peer_wanted(p))
			continue;
		wp = weft_wg_device_add_peer(dev, &p->wg_pub);
		if (!wp)
			return -ENOMEM;
		ret = host_route(wp, &p->addr4);
		if (!ret)
			ret = host_route(wp, &p->addr6);
		for (r = 0; !ret && r < p->nroutes; r++)
			ret = weft_wg_peer_add_allowed_ip(wp, &p->routes[r]);
		if (ret)
			return ret;
		/* A working tunnel keeps the endpoint WireGuard roamed to. */
		if (!recent(p, now_unix_s)) {
			n = weft_peer_candidates(p, env, cands, WEFT_PEER_MAX_CANDIDATES);
			if (n)
				p->chosen = cands[p->attempt % n];
		}
		if (p->chosen.ip.family && !recent(p, now_unix_s))
			wp->endpoint = p->chosen;
		if (env->keepalive > 0)
			wp->keepalive = (uint16_t)env->keepalive;
		else if (nat_likely(p, env))
			wp->keepalive = WEFT_PEER_NAT_KEEPALIVE;
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

size_t weft_peerset_retry(struct weft_peerset *ps, const struct weft_peersync_env *env, uint64_t now_ns)
{
	weft_endpoint_t cands[WEFT_PEER_MAX_CANDIDATES];
	size_t i, n, due = 0;

	for (i = 0; i < ps->n; i++) {
		struct weft_peer *p = &ps->p[i];

		if (!weft_peer_wanted(p) || p->tunnel_up) {
			p->next_try_ns = 0;
			continue;
		}
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
		p->next_try_ns = now_ns + (uint64_t)p->backoff_ms * 1000000u;
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
