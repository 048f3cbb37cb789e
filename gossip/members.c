/* gossip/members.c: who the members are and how to reach them. The node-id
 * directory, the compact per-member table (12 bytes a member), liveness
 * counters, the randomized round-robin probe order, path choice (overlay or
 * underlay) and endpoint candidates (announced, observed, WireGuard,
 * reflexive). Member records themselves stay in the store. */
#include <string.h>

#include "core/error.h"
#include "gossip/internal.h"

/* ---- directory ---- */

static uint32_t hash_pk(const weft_pk_t *id)
{
	uint64_t a, b;

	memcpy(&a, id->b, 8);
	memcpy(&b, id->b + 8, 8);
	a ^= b * 0x9e3779b97f4a7c15ull;
	a ^= a >> 29;
	a *= 0xbf58476d1ce4e5b9ull;
	return (uint32_t)(a ^ (a >> 32));
}

weft_gossip_dir_t *weft_gossip_dir_new(const weft_gossip_mem_t *mem)
{
	weft_gossip_dir_t *d = weft_g_calloc(mem, 1, sizeof(*d));

	if (!d)
		return NULL;
	if (mem)
		d->mem = *mem;
	d->nslots = 64;
	d->slots = weft_g_calloc(&d->mem, d->nslots, sizeof(*d->slots));
	if (!d->slots) {
		weft_g_free(&d->mem, d);
		return NULL;
	}
	return d;
}

void weft_gossip_dir_free(weft_gossip_dir_t *d)
{
	weft_gossip_mem_t mem;

	if (!d)
		return;
	mem = d->mem;
	weft_auth_dir_free(d);
	weft_g_free(&mem, d->ids);
	weft_g_free(&mem, d->slots);
	weft_g_free(&mem, d);
}

size_t weft_gossip_dir_count(const weft_gossip_dir_t *d)
{
	return d->n;
}

uint32_t weft_dir_find(const weft_gossip_dir_t *d, const weft_pk_t *id)
{
	uint32_t mask = d->nslots - 1, i = hash_pk(id) & mask, v;

	while ((v = d->slots[i]) != 0) {
		if (memcmp(d->ids[v - 1].b, id->b, WEFT_PK_LEN) == 0)
			return v - 1;
		i = (i + 1) & mask;
	}
	return WEFT_G_NONE;
}

static int dir_rehash(weft_gossip_dir_t *d, uint32_t nslots)
{
	uint32_t *slots = weft_g_calloc(&d->mem, nslots, sizeof(*slots));
	uint32_t k, i;

	if (!slots)
		return -1;
	for (k = 0; k < d->n; k++) {
		i = hash_pk(&d->ids[k]) & (nslots - 1);
		while (slots[i])
			i = (i + 1) & (nslots - 1);
		slots[i] = k + 1;
	}
	weft_g_free(&d->mem, d->slots);
	d->slots = slots;
	d->nslots = nslots;
	return 0;
}

uint32_t weft_dir_intern(weft_gossip_dir_t *d, const weft_pk_t *id)
{
	uint32_t idx = weft_dir_find(d, id), i, cap;
	weft_pk_t *ids;

	if (idx != WEFT_G_NONE)
		return idx;
	if (d->n >= UINT32_MAX / 4)
		return WEFT_G_NONE;
	if (d->n == d->cap) {
		cap = d->cap ? d->cap * 2 : 16;
		ids = weft_g_realloc(&d->mem, d->ids, cap, sizeof(*ids));
		if (!ids)
			return WEFT_G_NONE;
		d->ids = ids;
		d->cap = cap;
	}
	if ((d->n + 1) * 2 > d->nslots && dir_rehash(d, d->nslots * 2))
		return WEFT_G_NONE;
	idx = d->n++;
	d->ids[idx] = *id;
	i = hash_pk(id) & (d->nslots - 1);
	while (d->slots[i])
		i = (i + 1) & (d->nslots - 1);
	d->slots[i] = idx + 1;
	return idx;
}

/* ---- the member table ---- */

int weft_members_reserve(weft_gossip_t *g, uint32_t idx)
{
	struct gmember *m;
	uint32_t cap;

	if (idx < g->mcap)
		return 0;
	/* Grow by an eighth, not double: the simulator holds 10,000 of these
	 * tables of 10,000 members, and slack is paid for 10^4 times. */
	cap = g->mcap + g->mcap / 8;
	if (cap < 16)
		cap = 16;
	if (cap <= idx)
		cap = idx + 1;
	m = weft_g_realloc(&g->mem, g->m, cap, sizeof(*m));
	if (!m)
		return -1;
	memset(m + g->mcap, 0, (size_t)(cap - g->mcap) * sizeof(*m));
	g->m = m;
	g->mcap = cap;
	return 0;
}

bool weft_members_known(const weft_gossip_t *g, uint32_t idx)
{
	const struct gmember *m;

	if (idx >= g->mcap)
		return false;
	m = &g->m[idx];
	return (m->flags & (MF_PRESENT | MF_REVOKED | MF_SELF)) == MF_PRESENT;
}

static bool expired(weft_gossip_t *g, uint32_t idx)
{
	const weft_record_t *o;
	uint64_t ms;

	if (!(g->m[idx].flags & MF_EXPIRES) || !weft_g_wall_ms(g, &ms))
		return false;
	o = weft_store_get(g->store, WEFT_REC_OVERRIDE, g->dir->ids[idx].b);
	return o && (o->u.override.set & WEFT_OVR_EXPIRES) && o->u.override.expires &&
	       ms / 1000 >= o->u.override.expires;
}

bool weft_members_eligible(weft_gossip_t *g, uint32_t idx)
{
	const struct gmember *m;

	if (!weft_members_known(g, idx))
		return false;
	m = &g->m[idx];
	if (m->state != WEFT_LIVE_ALIVE && m->state != WEFT_LIVE_SUSPECT)
		return false;
	return !(m->flags & MF_PENDING) && !expired(g, idx);
}

static uint32_t *counter(weft_gossip_t *g, uint8_t state)
{
	switch (state) {
	case WEFT_LIVE_ALIVE:
		return &g->n_alive;
	case WEFT_LIVE_SUSPECT:
		return &g->n_suspect;
	case WEFT_LIVE_DEAD:
		return &g->n_dead;
	case WEFT_LIVE_LEFT:
		return &g->n_left;
	default:
		return NULL;
	}
}

void weft_members_set_state(weft_gossip_t *g, uint32_t idx, uint8_t state, uint32_t inc)
{
	struct gmember *m = &g->m[idx];
	struct weft_gossip_event ev;
	uint8_t old = m->state;
	uint32_t *c;

	if (old == WEFT_LIVE_SUSPECT && state != WEFT_LIVE_SUSPECT)
		weft_swim_clear_suspicion(g, idx);
	if ((c = counter(g, old)))
		(*c)--;
	if ((c = counter(g, state)))
		(*c)++;
	m->state = state;
	m->inc = inc;
	if (state == WEFT_LIVE_DEAD) {
		m->retry = 0;
		m->aux = weft_g_secs(g) + (g->p.dead_retry_min_ms + 999) / 1000;
	} else if (state != WEFT_LIVE_SUSPECT) {
		m->aux = 0;
	}
	if (old == state || (m->flags & MF_SELF))
		return;
	memset(&ev, 0, sizeof(ev));
	ev.type = WEFT_GEV_LIVENESS;
	ev.node = g->dir->ids[idx];
	ev.state = state;
	ev.incarnation = inc;
	weft_g_event(g, &ev);
}

/* ---- paths ---- */

static uint16_t gossip_port_of(weft_gossip_t *g, const weft_record_t *st)
{
	const weft_record_t *net;

	if (st && st->u.node_state.gossip_port)
		return st->u.node_state.gossip_port;
	net = weft_store_get(g->store, WEFT_REC_NETWORK, weft_g_net_subject);
	if (net && net->u.network.gossip_port)
		return net->u.network.gossip_port;
	return 51821;
}

static struct gobs *obs_find(const weft_gossip_t *g, uint32_t idx, uint8_t kind, bool *found)
{
	uint32_t h, i, k, best = 0;
	struct gobs *o;

	*found = false;
	if (!g->obs)
		return NULL;
	h = (idx * 0x9e3779b1u) ^ kind;
	for (k = 0; k < 8; k++) {
		i = (h + k) & (WEFT_G_OBSERVED_MAX - 1);
		o = &g->obs[i];
		if (o->member1 == idx + 1 && o->kind == kind) {
			*found = true;
			return o;
		}
		if (o->member1 == 0)
			return o;
		if (o->seen < g->obs[(h + best) & (WEFT_G_OBSERVED_MAX - 1)].seen)
			best = k;
	}
	/* Full neighbourhood: the caller may overwrite the stalest entry. */
	return &g->obs[(h + best) & (WEFT_G_OBSERVED_MAX - 1)];
}

bool weft_members_dest(weft_gossip_t *g, uint32_t idx, struct weft_gossip_dgram *d)
{
	const struct gmember *m = &g->m[idx];
	const weft_record_t *st;
	const struct gobs *o;
	bool found;
	unsigned n;

	memset(d, 0, sizeof(*d));
	d->peer = g->dir->ids[idx];
	d->has_peer = true;
	if ((m->flags & (MF_TUNNEL | MF_OVL_FAIL)) == MF_TUNNEL) {
		d->path = WEFT_PATH_OVERLAY;
		return true;
	}
	d->path = WEFT_PATH_UNDERLAY;
	if (!g->key.valid)
		return false;
	o = obs_find(g, idx, WEFT_EP_OBSERVED, &found);
	if (found) {
		d->to = o->ep;
		return true;
	}
	st = weft_store_get(g->store, WEFT_REC_NODE_STATE, d->peer.b);
	if (!st || st->u.node_state.nendpoints == 0)
		return false;
	n = st->u.node_state.nendpoints;
	d->to.ip = st->u.node_state.endpoints[m->ep % n].ip;
	d->to.port = gossip_port_of(g, st);
	return true;
}

uint32_t weft_members_random(weft_gossip_t *g, const uint32_t *skip, size_t nskip)
{
	struct weft_gossip_dgram d;
	uint32_t idx, tries;
	size_t i;

	if (g->mcap == 0)
		return WEFT_G_NONE;
	for (tries = 0; tries < 32; tries++) {
		idx = weft_g_rand_below(g, g->mcap);
		for (i = 0; i < nskip && skip[i] != idx; i++)
			;
		if (i < nskip || !weft_members_eligible(g, idx) || !weft_members_dest(g, idx, &d))
			continue;
		return idx;
	}
	return WEFT_G_NONE;
}

/* The probe order is a pseudo-random permutation of the table's indices,
 * new for every pass (SWIM's randomized round-robin): every member is
 * probed once per pass, in an order nobody can predict, with O(1) memory
 * instead of a shuffled list per node. A 4-round Feistel network over 2h
 * bits, walking past indices beyond the table. */
static uint32_t fmix(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x85ebca6bu;
	x ^= x >> 13;
	x *= 0xc2b2ae35u;
	return x ^ (x >> 16);
}

static uint32_t feistel(const struct gperm *p, uint32_t x)
{
	uint32_t mask = (1u << p->half) - 1, l = x >> p->half, r = x & mask, t;
	int i;

	for (i = 0; i < 4; i++) {
		t = l ^ (fmix(r ^ p->key[i]) & mask);
		l = r;
		r = t;
	}
	return l << p->half | r;
}

static void new_pass(weft_gossip_t *g)
{
	struct gperm *p = &g->perm;
	int i;

	p->size = g->mcap;
	p->half = 1;
	while ((1ull << (2 * p->half)) < p->size)
		p->half++;
	for (i = 0; i < 4; i++)
		p->key[i] = (uint32_t)weft_g_rand(g);
	p->pos = 0;
}

uint32_t weft_members_next_probe(weft_gossip_t *g)
{
	struct weft_gossip_dgram d;
	struct gperm *p = &g->perm;
	uint32_t x, steps;

	for (steps = 0; steps < 64; steps++) {
		if (p->size == 0 || p->pos >= (1u << (2 * p->half)))
			new_pass(g);
		x = feistel(p, p->pos++);
		if (x < p->size && weft_members_eligible(g, x) && weft_members_dest(g, x, &d))
			return x;
	}
	return WEFT_G_NONE;
}

/* ---- endpoint candidates ---- */

/* Which of the member's announced endpoints ep is (its index), or -1. */
static int announced(weft_gossip_t *g, uint32_t idx, const weft_endpoint_t *ep)
{
	const weft_record_t *st = weft_store_get(g->store, WEFT_REC_NODE_STATE, g->dir->ids[idx].b);
	unsigned i;

	if (!st || ep->port != gossip_port_of(g, st))
		return -1;
	for (i = 0; i < st->u.node_state.nendpoints; i++)
		if (weft_ip_equal(&st->u.node_state.endpoints[i].ip, &ep->ip))
			return (int)i;
	return -1;
}

void weft_members_forget_observed(weft_gossip_t *g, uint32_t idx, uint8_t kind)
{
	struct gobs *o;
	bool found;

	o = obs_find(g, idx, kind, &found);
	if (found)
		memset(o, 0, sizeof(*o));
}

void weft_members_observed(weft_gossip_t *g, uint32_t idx, uint8_t kind, const weft_endpoint_t *ep)
{
	struct weft_gossip_event ev;
	struct gobs *o;
	bool found;
	int at;

	/* A packet from an address the member announces needs no cache entry
	 * (the cache holds only what the records do not say: NAT mappings),
	 * but it does say which announced endpoint works: ours to it from now
	 * on. Forgetting the mapping without that sent everything to the
	 * first announced endpoint instead: a NATed member that announces its
	 * NAT's address after its LAN address became unreachable the moment
	 * its new state record arrived (gossip, pings and ping-reqs to its
	 * LAN address, lost until a probe failed), and news meant for it was
	 * spent there (docs/PERFORMANCE.md, NAT traversal). */
	if (kind == WEFT_EP_OBSERVED && (at = announced(g, idx, ep)) >= 0) {
		weft_members_forget_observed(g, idx, kind);
		g->m[idx].ep = (uint8_t)at;
		return;
	}
	if (!g->obs) {
		g->obs = weft_g_calloc(&g->mem, WEFT_G_OBSERVED_MAX, sizeof(*g->obs));
		if (!g->obs)
			return;
	}
	o = obs_find(g, idx, kind, &found);
	if (found && weft_endpoint_equal(&o->ep, ep)) {
		o->seen = weft_g_secs(g);
		return;
	}
	o->member1 = idx + 1;
	o->kind = kind;
	o->ep = *ep;
	o->seen = weft_g_secs(g);
	memset(&ev, 0, sizeof(ev));
	ev.type = WEFT_GEV_ENDPOINT;
	ev.node = g->dir->ids[idx];
	ev.ep = *ep;
	ev.ep_kind = kind;
	weft_g_event(g, &ev);
}

const weft_endpoint_t *weft_members_wg_seen(const weft_gossip_t *g, uint32_t idx)
{
	const struct gobs *o;
	bool found;

	if (idx == WEFT_G_NONE)
		return NULL;
	o = obs_find(g, idx, WEFT_EP_WIREGUARD, &found);
	return found ? &o->ep : NULL;
}

void weft_members_reflexive(weft_gossip_t *g, uint8_t kind, const weft_endpoint_t *ep)
{
	struct weft_gossip_event ev;
	unsigned i, oldest = 0;

	for (i = 0; i < g->nrefl; i++) {
		if (g->refl[i].kind == kind && weft_endpoint_equal(&g->refl[i].ep, ep)) {
			g->refl[i].seen = weft_g_secs(g);
			return;
		}
		if (g->refl[i].seen < g->refl[oldest].seen)
			oldest = i;
	}
	i = g->nrefl < WEFT_G_REFLEXIVE_MAX ? g->nrefl++ : oldest;
	g->refl[i].ep = *ep;
	g->refl[i].seen = weft_g_secs(g);
	g->refl[i].kind = kind;
	memset(&ev, 0, sizeof(ev));
	ev.type = WEFT_GEV_ENDPOINT;
	ev.node = g->id.pk;
	ev.ep = *ep;
	ev.ep_kind = kind;
	weft_g_event(g, &ev);
}

size_t weft_gossip_candidates(const weft_gossip_t *g, const weft_pk_t *id, struct weft_gossip_candidate *out,
			      size_t cap)
{
	static const uint8_t kinds[] = { WEFT_EP_OBSERVED, WEFT_EP_WIREGUARD };
	uint32_t idx = weft_dir_find(g->dir, id);
	const weft_record_t *st;
	const struct gobs *o;
	size_t n = 0, i;
	bool found;

	if (idx == WEFT_G_NONE || idx >= g->mcap || !(g->m[idx].flags & MF_PRESENT))
		return 0;
	st = weft_store_get(g->store, WEFT_REC_NODE_STATE, id->b);
	for (i = 0; st && i < st->u.node_state.nendpoints && n < cap; i++)
		out[n++] = (struct weft_gossip_candidate){ WEFT_EP_ANNOUNCED, st->u.node_state.endpoints[i] };
	if (idx == g->self) {
		/* WireGuard's own mapping first: it is exact, the other only
		 * names the NAT's address (its port is the gossip port's). */
		for (i = 0; i < g->nrefl && n < cap; i++)
			if (g->refl[i].kind == WEFT_EP_REFLEXIVE_WG)
				out[n++] = (struct weft_gossip_candidate){ WEFT_EP_REFLEXIVE_WG, g->refl[i].ep };
		for (i = 0; i < g->nrefl && n < cap; i++)
			if (g->refl[i].kind != WEFT_EP_REFLEXIVE_WG)
				out[n++] = (struct weft_gossip_candidate){ WEFT_EP_REFLEXIVE, g->refl[i].ep };
		return n;
	}
	for (i = 0; i < sizeof(kinds) && n < cap; i++) {
		o = obs_find(g, idx, kinds[i], &found);
		if (found)
			out[n++] = (struct weft_gossip_candidate){ kinds[i], o->ep };
	}
	return n;
}

/* ---- records ---- */

void weft_members_refresh_flags(weft_gossip_t *g, uint32_t idx)
{
	const weft_pk_t *id = &g->dir->ids[idx];
	const weft_record_t *mem, *inv, *ovr;
	struct gmember *m = &g->m[idx];
	bool pending = false, expires = false;

	mem = weft_store_get(g->store, WEFT_REC_MEMBER, id->b);
	ovr = weft_store_get(g->store, WEFT_REC_OVERRIDE, id->b);
	if (mem) {
		inv = weft_store_get(g->store, WEFT_REC_INVITE, mem->u.member.invite_pk.b);
		pending = inv && inv->u.invite.approval &&
			  !(ovr && (ovr->u.override.set & WEFT_OVR_APPROVED) && ovr->u.override.approved);
	}
	if (ovr)
		expires = (ovr->u.override.set & WEFT_OVR_EXPIRES) && ovr->u.override.expires;
	m->flags = (uint8_t)((m->flags & ~(MF_PENDING | MF_EXPIRES)) | (pending ? MF_PENDING : 0) |
			     (expires ? MF_EXPIRES : 0));
}

static void member_event(weft_gossip_t *g, uint8_t type, uint32_t idx)
{
	struct weft_gossip_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.node = g->dir->ids[idx];
	weft_g_event(g, &ev);
}

static void revoke(weft_gossip_t *g, uint32_t idx)
{
	struct gmember *m = &g->m[idx];

	if (m->flags & MF_REVOKED)
		return;
	if (m->state == WEFT_LIVE_SUSPECT)
		weft_swim_clear_suspicion(g, idx);
	if (m->flags & MF_PRESENT) {
		weft_members_set_state(g, idx, WEFT_LIVE_NONE, m->inc);
		g->n_present--;
		member_event(g, WEFT_GEV_MEMBER_REMOVED, idx);
	}
	m->flags |= MF_REVOKED;
}

static void member_added(weft_gossip_t *g, uint32_t idx)
{
	struct gmember *m = &g->m[idx];
	const weft_record_t *st;

	if (m->flags & MF_PRESENT)
		return;
	m->flags |= MF_PRESENT;
	if (weft_store_is_revoked(g->store, &g->dir->ids[idx])) {
		m->flags |= MF_REVOKED;
		return;
	}
	g->n_present++;
	weft_members_refresh_flags(g, idx);
	if (idx == g->self) {
		weft_members_set_state(g, idx, g->left ? WEFT_LIVE_LEFT : WEFT_LIVE_ALIVE, g->inc);
		return;
	}
	st = weft_store_get(g->store, WEFT_REC_NODE_STATE, g->dir->ids[idx].b);
	weft_members_set_state(g, idx,
			       st && (st->u.node_state.flags & WEFT_NODE_LEFT) ? WEFT_LIVE_LEFT : WEFT_LIVE_ALIVE,
			       m->inc);
	member_event(g, WEFT_GEV_MEMBER_ADDED, idx);
}

void weft_members_record(weft_gossip_t *g, const struct gchange *c)
{
	const weft_pk_t *id = (const weft_pk_t *)c->subject;
	const weft_record_t *st;
	struct gmember *m;
	uint32_t idx;

	switch (c->type) {
	case WEFT_REC_MEMBER:
	case WEFT_REC_REVOCATION:
		idx = weft_dir_intern(g->dir, id);
		if (idx == WEFT_G_NONE || weft_members_reserve(g, idx))
			return;
		if (c->type == WEFT_REC_MEMBER)
			member_added(g, idx);
		else
			revoke(g, idx);
		return;
	case WEFT_REC_NODE_STATE:
	case WEFT_REC_OVERRIDE:
		idx = weft_dir_find(g->dir, id);
		if (idx == WEFT_G_NONE || idx >= g->mcap || !(g->m[idx].flags & MF_PRESENT) ||
		    (g->m[idx].flags & MF_REVOKED))
			return;
		m = &g->m[idx];
		weft_members_refresh_flags(g, idx);
		if (c->type == WEFT_REC_NODE_STATE) {
			m->ep = 0;
			st = weft_store_get(g->store, WEFT_REC_NODE_STATE, id->b);
			if (idx != g->self && st && (st->u.node_state.flags & WEFT_NODE_LEFT) &&
			    m->state != WEFT_LIVE_LEFT) {
				if (m->state == WEFT_LIVE_SUSPECT)
					weft_swim_clear_suspicion(g, idx);
				weft_members_set_state(g, idx, WEFT_LIVE_LEFT, m->inc);
			}
		}
		if (idx != g->self)
			member_event(g, WEFT_GEV_MEMBER_CHANGED, idx);
		return;
	case WEFT_REC_INVITE:
		return;
	case WEFT_REC_KEYRING:
	case WEFT_REC_KEYSHARE:
		weft_netkey_record(g, c->type);
		return;
	default:
		return;
	}
}
