/* sim/tunnel.c: WireGuard between simulated hosts, as far as gossip can
 * tell: whether a tunnel is up, so a node's gossip uses the overlay path.
 *
 * A session between two hosts exists once a handshake has completed: an
 * initiation and a response, each a datagram through the link model; the
 * initiator's side is up when the response arrives, the responder's when
 * the initiator's first transport message (a keepalive sent at once, or
 * any data) arrives, as in WireGuard, where a responder may not send with
 * a session before the initiator has used it. A session
 * holds while neither side has restarted or changed its key, for 180 s
 * after the handshake (renewed after 120 s of use, retried after 5 s), as
 * WireGuard's timers say. A side answers an initiation only if it has the
 * initiator configured as a peer with its current key (the state record in
 * its store says so) and the initiator used the responder's current key.
 * The daemon's shell prompts a handshake when its gossip sends to a member
 * on the underlay, and tells gossip the tunnel is up when its side
 * completes one. With `wg memory` each host also keeps its peer set in
 * wg/'s memory backend, applied as a diff by the daemon's rule (DESIGN §5),
 * and a peer must be configured there too. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "sim/internal.h"

#define WG_IFNAME "weft0"
/* The daemon applies its peer set this long after a change, so a burst of
 * changes costs one apply. */
#define WG_APPLY_DELAY (100 * WEFT_SIM_MS)

/* ---- the session table: open addressing by host pair ---- */

static uint64_t pair_hash(uint32_t a, uint32_t b)
{
	uint64_t v = (uint64_t)a << 32 | b;

	v ^= v >> 33;
	v *= 0xff51afd7ed558ccdull;
	v ^= v >> 33;
	return v;
}

static struct sim_session *sess_find(struct sim_sessions *t, uint32_t a, uint32_t b)
{
	size_t mask, i;

	if (!t->cap)
		return NULL;
	mask = t->cap - 1;
	for (i = pair_hash(a, b) & mask; t->v[i].a != SIM_NONE; i = (i + 1) & mask)
		if (t->v[i].a == a && t->v[i].b == b)
			return &t->v[i];
	return &t->v[i];
}

static int sess_grow(struct sim_sessions *t)
{
	struct sim_session *old = t->v, *e;
	size_t oldcap = t->cap, i;

	t->cap = oldcap ? oldcap * 2 : 1024;
	t->v = malloc(t->cap * sizeof(*t->v));
	if (!t->v) {
		t->v = old;
		t->cap = oldcap;
		return -1;
	}
	for (i = 0; i < t->cap; i++)
		t->v[i].a = SIM_NONE;
	for (i = 0; i < oldcap; i++) {
		if (old[i].a == SIM_NONE)
			continue;
		e = sess_find(t, old[i].a, old[i].b);
		*e = old[i];
	}
	free(old);
	return 0;
}

/* The session of hosts x and y (created empty when asked), and which of
 * its sides is x's. */
static struct sim_session *session(struct weft_sim *s, uint32_t x, uint32_t y, bool create, unsigned *side)
{
	uint32_t a = x < y ? x : y, b = x < y ? y : x;
	struct sim_session *e;

	*side = x == a ? 0 : 1;
	e = sess_find(&s->sess, a, b);
	if (e && e->a != SIM_NONE)
		return e;
	if (!create)
		return NULL;
	if (2 * (s->sess.n + 1) > s->sess.cap) {
		if (sess_grow(&s->sess)) {
			sim_fail(s, "out of memory for WireGuard sessions");
			return NULL;
		}
		e = sess_find(&s->sess, a, b);
	}
	/* Only a table that never grew has no slot (sess_find on cap 0). */
	if (!e) {
		sim_fail(s, "no WireGuard session table");
		return NULL;
	}
	memset(e, 0, sizeof(*e));
	e->a = a;
	e->b = b;
	s->sess.n++;
	return e;
}

void sim_tunnel_free(struct weft_sim *s)
{
	free(s->sess.v);
	memset(&s->sess, 0, sizeof(s->sess));
}

/* ---- what each host has configured ---- */

/* The key host `at` holds for host `peer`, from peer's state record in
 * at's store (and, with wg memory, only if its device has that peer). */
static bool configured(struct weft_sim *s, uint32_t at, uint32_t peer, weft_wgkey_t *key)
{
	const struct sim_node *na = &s->nodes[at];
	const weft_record_t *st;

	if (na->revoked || weft_store_is_revoked(na->store, &s->nodes[peer].id.pk))
		return false;
	st = weft_store_get(na->store, WEFT_REC_NODE_STATE, s->nodes[peer].id.pk.b);
	if (!st || !weft_store_get(na->store, WEFT_REC_MEMBER, s->nodes[peer].id.pk.b))
		return false;
	*key = st->u.node_state.wg_pub;
	if (s->sc.wg == WEFT_SIM_WG_MEMORY && (!na->world || weft_wg_mem_touches(na->world, WG_IFNAME, key) < 1))
		return false;
	return true;
}

/* A side is usable while both hosts still have the lives and keys they
 * had when it was made, and WireGuard would still use it. */
static bool side_valid(const struct weft_sim *s, const struct sim_side *sd, uint32_t self, uint32_t peer)
{
	const struct sim_node *n = &s->nodes[self], *p = &s->nodes[peer];

	return sd->up && sd->boot == n->boot && sd->keyver == n->wg_keyver && sd->peer_keyver == p->wg_keyver &&
	       s->now - sd->t_hs < SIM_REJECT_AFTER;
}

/* A handshake message from -> to, carrying what each side's life and
 * keys were, as far as the sender knows them. */
static void hs_send(struct weft_sim *s, uint8_t kind, uint32_t from, uint32_t to, uint32_t dst_boot,
		    uint32_t dst_keyver)
{
	static const uint32_t wire[] = {
		[PK_HS_INIT] = SIM_WG_INIT,
		[PK_HS_RESP] = SIM_WG_RESP,
		[PK_HS_KEEP] = SIM_WG_DATA,
	};
	struct sim_pkt *p = sim_pkt_alloc(s);

	if (!p) {
		sim_fail(s, "out of memory for a handshake");
		return;
	}
	p->src = from;
	p->dst = to;
	p->kind = kind;
	p->path = WEFT_PATH_UNDERLAY;
	p->wire = wire[kind] + SIM_IPUDP;
	p->src_boot = s->nodes[from].boot;
	p->src_keyver = s->nodes[from].wg_keyver;
	p->dst_boot = dst_boot;
	p->dst_keyver = dst_keyver;
	sim_link_send(s, p, true);
}

static void initiate(struct weft_sim *s, uint32_t from, uint32_t to, struct sim_side *sd)
{
	const struct sim_node *nf = &s->nodes[from], *nt = &s->nodes[to];
	weft_wgkey_t key;

	if (sd->t_init && sd->init_boot == nf->boot && s->now - sd->t_init < SIM_REKEY_TIMEOUT)
		return;
	if (!configured(s, from, to, &key))
		return;
	sd->t_init = s->now;
	sd->init_boot = nf->boot;
	s->handshakes++;
	/* The key the initiator encrypts to: the responder's current one, or
	 * one it no longer has. */
	hs_send(s, PK_HS_INIT, from, to, 0,
		memcmp(key.b, nt->wg_pub.b, sizeof(key.b)) == 0 ? nt->wg_keyver : UINT32_MAX);
}

void sim_tunnel_underlay_send(struct weft_sim *s, uint32_t from, uint32_t peer)
{
	struct sim_session *e;
	unsigned side;

	if (peer == from || peer >= s->n)
		return;
	e = session(s, from, peer, true, &side);
	if (!e)
		return;
	/* The peer's initiation is on its way (our answer to its packet is
	 * what brought us here): one handshake serves both sides. */
	if (e->s[1 - side].t_init && s->now - e->s[1 - side].t_init < SIM_REKEY_TIMEOUT &&
	    e->s[1 - side].init_boot == s->nodes[peer].boot)
		return;
	initiate(s, from, peer, &e->s[side]);
}

/* Tell a host's gossip its side of the tunnel is up. */
static void tell_up(struct weft_sim *s, uint32_t self, uint32_t peer, struct sim_side *sd)
{
	struct sim_node *n = &s->nodes[self];
	weft_endpoint_t ep;

	sim_endpoint_of(peer, &ep);
	ep.port = SIM_WG_PORT;
	sd->told = true;
	if (n->world)
		weft_wg_mem_handshake(n->world, WG_IFNAME, &s->nodes[peer].wg_pub,
				      SIM_WALL_BASE_MS * WEFT_SIM_MS + s->now);
	weft_gossip_tunnel(n->g, &s->nodes[peer].id.pk, true, &ep, s->now);
	sim_node_drain(s, n);
}

/* The daemon replaces a WireGuard peer whose key changed, which ends its
 * session: its gossip hears the tunnel is down and uses the underlay until
 * a new handshake. */
static void tell_down(struct weft_sim *s, uint32_t self, uint32_t peer, struct sim_side *sd)
{
	struct sim_node *n = &s->nodes[self];

	sd->up = false;
	sd->pend = false;
	if (!sd->told || sd->boot != n->boot || n->status != NS_UP)
		return;
	sd->told = false;
	weft_gossip_tunnel(n->g, &s->nodes[peer].id.pk, false, NULL, s->now);
}

void sim_tunnel_peer_key(struct weft_sim *s, uint32_t self, uint32_t peer)
{
	struct sim_session *e;
	unsigned side;

	if (peer == self || peer >= s->n)
		return;
	e = session(s, self, peer, false, &side);
	if (e && (e->s[side].up || e->s[side].pend) && e->s[side].peer_keyver != s->nodes[peer].wg_keyver)
		tell_down(s, self, peer, &e->s[side]);
}

void sim_tunnel_own_key(struct weft_sim *s, uint32_t self)
{
	struct sim_session *e;
	unsigned side;
	uint32_t k;

	for (k = 0; k < s->n; k++) {
		e = k == self ? NULL : session(s, self, k, false, &side);
		if (e && (e->s[side].up || e->s[side].pend))
			tell_down(s, self, k, &e->s[side]);
	}
}

/* A responder's side that answered an initiation in its current life
 * with its current keys, and waits for the initiator's first message. */
static bool pending(const struct weft_sim *s, const struct sim_side *sd, uint32_t self, uint32_t peer)
{
	const struct sim_node *n = &s->nodes[self], *p = &s->nodes[peer];

	return sd->pend && sd->pend_boot == n->boot && sd->pend_keyver == n->wg_keyver &&
	       sd->pend_peer_keyver == p->wg_keyver && s->now - sd->t_pend < SIM_REJECT_AFTER;
}

bool sim_tunnel_pass(struct weft_sim *s, uint32_t from, uint32_t to)
{
	struct sim_session *e;
	struct sim_side *mine, *theirs;
	unsigned side;

	e = session(s, from, to, false, &side);
	if (!e)
		return false;
	mine = &e->s[side];
	theirs = &e->s[1 - side];
	if (mine->up && mine->boot == s->nodes[from].boot && s->now - mine->t_hs >= SIM_REKEY_AFTER)
		initiate(s, from, to, mine);
	return side_valid(s, mine, from, to) && (side_valid(s, theirs, to, from) || pending(s, theirs, to, from));
}

static void complete(struct weft_sim *s, uint32_t self, uint32_t peer, struct sim_side *sd, uint32_t peer_keyver)
{
	sd->up = true;
	sd->pend = false;
	sd->boot = s->nodes[self].boot;
	sd->keyver = s->nodes[self].wg_keyver;
	sd->peer_keyver = peer_keyver;
	sd->t_hs = s->now;
	tell_up(s, self, peer, sd);
}

void sim_tunnel_on_data(struct weft_sim *s, uint32_t from, uint32_t to)
{
	struct sim_session *e;
	unsigned side;

	e = session(s, to, from, false, &side);
	if (e && pending(s, &e->s[side], to, from))
		complete(s, to, from, &e->s[side], e->s[side].pend_peer_keyver);
}

void sim_tunnel_on_packet(struct weft_sim *s, struct sim_pkt *p)
{
	struct sim_node *self = &s->nodes[p->dst], *peer = &s->nodes[p->src];
	struct sim_session *e;
	struct sim_side *sd;
	weft_wgkey_t key;
	unsigned side;

	e = session(s, p->dst, p->src, true, &side);
	if (!e)
		return;
	sd = &e->s[side];
	switch (p->kind) {
	case PK_HS_INIT:
		/* The initiator used our current key, still has the key it
		 * signed with, and we know it by that key. */
		if (p->dst_keyver != self->wg_keyver || p->src_keyver != peer->wg_keyver ||
		    !configured(s, p->dst, p->src, &key) || memcmp(key.b, peer->wg_pub.b, sizeof(key.b))) {
			s->handshakes_failed++;
			return;
		}
		sd->pend = true;
		sd->pend_boot = self->boot;
		sd->pend_keyver = self->wg_keyver;
		sd->pend_peer_keyver = p->src_keyver;
		sd->t_pend = s->now;
		hs_send(s, PK_HS_RESP, p->dst, p->src, p->src_boot, p->src_keyver);
		return;
	case PK_HS_RESP:
		/* A response to an initiation from this life, with this key. */
		if (p->dst_boot != self->boot || p->dst_keyver != self->wg_keyver ||
		    p->src_keyver != peer->wg_keyver) {
			s->handshakes_failed++;
			return;
		}
		complete(s, p->dst, p->src, sd, p->src_keyver);
		hs_send(s, PK_HS_KEEP, p->dst, p->src, p->src_boot, p->src_keyver);
		return;
	default:
		if (p->dst_boot == self->boot && p->dst_keyver == self->wg_keyver)
			sim_tunnel_on_data(s, p->src, p->dst);
		return;
	}
}

/* ---- wg/'s memory backend ---- */

int sim_wg_open(struct weft_sim *s, struct sim_node *nd)
{
	weft_wg_opts_t opts = { .backend = WEFT_WG_MEMORY };
	weft_wg_err_t err;
	int ret;

	nd->world = weft_wg_mem_world_new();
	if (!nd->world) {
		sim_fail(s, "out of memory for node %u's WireGuard", nd->idx);
		return -1;
	}
	opts.world = nd->world;
	ret = weft_wg_open(&nd->wg, WG_IFNAME, &opts, &err);
	if (ret == 0)
		ret = weft_wg_create(nd->wg, &err);
	if (ret) {
		sim_fail(s, "node %u's WireGuard: %s", nd->idx, err.msg);
		sim_wg_close(nd);
	}
	return ret;
}

void sim_wg_close(struct sim_node *nd)
{
	weft_wg_close(nd->wg);
	weft_wg_mem_world_free(nd->world);
	nd->wg = NULL;
	nd->world = NULL;
	nd->wg_dirty = false;
	nd->wg_gen++;
}

void sim_wg_dirty(struct weft_sim *s, struct sim_node *nd)
{
	if (!nd->wg || nd->wg_dirty)
		return;
	nd->wg_dirty = true;
	if (sim_queue_push(&s->q, s->now + WG_APPLY_DELAY, EV_WGAPPLY, nd->idx, nd->wg_gen, NULL))
		sim_fail(s, "out of memory");
}

struct peers_ctx {
	struct weft_sim *s;
	struct sim_node *nd;
	weft_wg_device_t *dev;
	int err;
};

/* One member as a WireGuard peer (DESIGN §5): its current key, its
 * endpoint, its overlay address. */
static int add_peer(void *ctx, const weft_record_t *m)
{
	struct peers_ctx *c = ctx;
	const weft_pk_t *id = &m->u.member.node_id;
	const weft_record_t *st;
	weft_endpoint_t ov;
	weft_wg_peer_t *p;
	weft_cidr_t cidr;
	uint32_t idx;

	if (!memcmp(id->b, c->nd->id.pk.b, WEFT_PK_LEN) || weft_store_is_revoked(c->nd->store, id))
		return 0;
	st = weft_store_get(c->nd->store, WEFT_REC_NODE_STATE, id->b);
	idx = sim_node_by_id(c->s, id);
	if (!st || st->u.node_state.nendpoints == 0 || idx == SIM_NONE)
		return 0;
	p = weft_wg_device_add_peer(c->dev, &st->u.node_state.wg_pub);
	if (!p) {
		c->err = -1;
		return 1;
	}
	p->endpoint = st->u.node_state.endpoints[0];
	sim_overlay_of(idx, &ov);
	cidr.ip = ov.ip;
	cidr.prefix = 32;
	if (weft_wg_peer_add_allowed_ip(p, &cidr)) {
		c->err = -1;
		return 1;
	}
	return 0;
}

void sim_wg_apply(struct weft_sim *s, struct sim_node *nd)
{
	weft_wg_device_t dev;
	struct peers_ctx c = { s, nd, &dev, 0 };
	weft_wg_err_t err;
	int ret;

	nd->wg_dirty = false;
	if (!nd->wg || nd->status != NS_UP)
		return;
	memset(&dev, 0, sizeof(dev));
	dev.listen_port = SIM_WG_PORT;
	weft_store_foreach(nd->store, WEFT_REC_MEMBER, add_peer, &c);
	if (c.err) {
		weft_wg_device_free(&dev);
		sim_fail(s, "out of memory building node %u's peers", nd->idx);
		return;
	}
	ret = weft_wg_apply(nd->wg, &dev, NULL, &err);
	weft_wg_device_free(&dev);
	if (ret)
		sim_fail(s, "node %u: applying its WireGuard peers: %s", nd->idx, err.msg);
}
