/* sim/nodes.c: the simulated hosts. Building the network (the admin's
 * records signed once into one store that every node clones), starting,
 * crashing, restarting and joining nodes, and the part of the daemon that
 * the protocol relies on: draining a node's datagrams and events after
 * every call, re-arming its one timer, publishing its state record, and
 * rotating its WireGuard key when the admin orders it. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/error.h"
#include "sim/internal.h"

void sim_fail(struct weft_sim *s, const char *fmt, ...)
{
	va_list ap;

	if (s->failed)
		return;
	s->failed = true;
	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
}

uint64_t sim_wall_ms(const struct weft_sim *s)
{
	return SIM_WALL_BASE_MS + s->now / WEFT_SIM_MS;
}

/* Keys from the seed: BLAKE2b("weft-sim", role, seed, n, k). */
static void derive(const struct weft_sim *s, uint8_t out[32], char role, uint32_t n, uint32_t k)
{
	uint8_t in[8 + 1 + 8 + 4 + 4];

	memcpy(in, "weft-sim", 8);
	in[8] = (uint8_t)role;
	memcpy(in + 9, &s->sc.seed, 8);
	memcpy(in + 17, &n, 4);
	memcpy(in + 21, &k, 4);
	crypto_generichash(out, 32, in, sizeof(in), NULL, 0);
}

static void keypair(const struct weft_sim *s, weft_keypair_t *kp, char role, uint32_t n)
{
	uint8_t seed[32];

	derive(s, seed, role, n, 0);
	weft_keypair_from_seed(kp, seed);
	sodium_memzero(seed, sizeof(seed));
}

static void wg_key(const struct weft_sim *s, struct sim_node *nd)
{
	weft_wgkey_t priv;

	derive(s, priv.b, 'W', nd->idx, nd->wg_keyver);
	priv.b[0] &= 248;
	priv.b[31] = (uint8_t)((priv.b[31] & 127) | 64);
	weft_wgkey_public(&nd->wg_pub, &priv);
	sodium_memzero(&priv, sizeof(priv));
}

static int sign(struct weft_sim *s, weft_record_t *r, const weft_keypair_t *kp)
{
	const char *why = NULL;
	int ret = weft_record_sign(r, kp);

	if (ret) {
		weft_record_check(r, &why);
		sim_fail(s, "cannot sign a %s record: %s", weft_rec_type_name(r->type),
			 why ? why : weft_strerror(ret));
	}
	return ret;
}

int sim_node_state_record(struct weft_sim *s, struct sim_node *nd, weft_record_t *r)
{
	struct weft_rec_node_state *ns = &r->u.node_state;

	memset(r, 0, offsetof(weft_record_t, raw));
	r->type = WEFT_REC_NODE_STATE;
	ns->node_id = nd->id.pk;
	nd->state_version = weft_hlc_next(nd->state_version, sim_wall_ms(s));
	ns->version = nd->state_version;
	ns->wg_pub = nd->wg_pub;
	ns->wg_key_time = nd->wg_key_time;
	ns->wg_port = SIM_WG_PORT;
	ns->gossip_port = SIM_GOSSIP_PORT;
	snprintf(ns->name, sizeof(ns->name), "n%u", nd->idx);
	ns->nendpoints = 1;
	sim_endpoint_of(nd->idx, &ns->endpoints[0]);
	ns->endpoints[0].port = SIM_WG_PORT;
	snprintf(ns->sw_version, sizeof(ns->sw_version), "weft-sim");
	return sign(s, r, &nd->id);
}

static void node_rand(void *ctx, uint8_t *buf, size_t len)
{
	struct sim_node *nd = ctx;
	uint64_t v;
	size_t i;

	for (i = 0; i < len; i += 8) {
		v = sim_rand(&nd->rng);
		memcpy(buf + i, &v, len - i < 8 ? len - i : 8);
	}
}

/* A node's identity, keys and index entry; its store comes later. */
static int node_create(struct weft_sim *s, uint32_t idx)
{
	struct sim_node *nd = &s->nodes[idx];
	unsigned g;

	memset(nd, 0, sizeof(*nd));
	nd->idx = idx;
	nd->crash_idx = SIM_NONE;
	nd->armed = UINT64_MAX;
	nd->created_at = s->now;
	nd->rng = s->sc.seed * 0x2545f4914f6cdd1dull ^ ((uint64_t)idx << 32 | 0x6e6f6465);
	keypair(s, &nd->id, 'N', idx);
	wg_key(s, nd);
	/* Initial members made their WireGuard key a day ago; joiners now. */
	nd->wg_key_time = sim_wall_ms(s) / 1000 - (s->now == 0 ? 86400 : 0);
	for (g = 0; g < s->sc.ngroups; g++) {
		const struct weft_sim_group *gr = &s->sc.groups[g];
		uint32_t lo = gr->lo.pct ? (uint32_t)((uint64_t)gr->lo.v * s->n_initial / 1000000) : gr->lo.v;
		uint32_t hi = gr->hi.pct ? (uint32_t)((uint64_t)gr->hi.v * s->n_initial / 1000000) : gr->hi.v;

		if (idx >= lo && idx < hi)
			nd->groups |= 1u << g;
	}
	if (sim_index_id(s, idx)) {
		sim_fail(s, "two nodes derived the same identity");
		return WEFT_EEXISTS;
	}
	return 0;
}

static int merge(struct weft_sim *s, weft_store_t *st, const weft_record_t *r)
{
	int ret = weft_store_merge(st, r);

	if (ret < 0 && ret != WEFT_EDUPLICATE) {
		sim_fail(s, "the initial store refused a %s record: %s", weft_rec_type_name(r->type),
			 weft_strerror(ret));
		return ret;
	}
	return 0;
}

static size_t pow2_at_least(size_t n)
{
	size_t v = 64;

	while (v < n)
		v *= 2;
	return v;
}

int sim_network_build(struct weft_sim *s)
{
	const struct weft_sim_scenario *sc = &s->sc;
	weft_store_t *st0 = NULL;
	weft_record_t r;
	uint8_t h[32];
	uint64_t joins = 0, wall;
	uint32_t i;
	size_t k;
	int ret = -ENOMEM;

	for (k = 0; k < sc->nacts; k++)
		if (sc->acts[k].kind == WEFT_SIM_ACT_JOIN)
			joins += sc->acts[k].count;
	s->n_initial = sc->nodes;
	s->nmax = (uint32_t)(sc->nodes + joins);
	s->nodes = calloc(s->nmax, sizeof(*s->nodes));
	s->by_id_cap = (uint32_t)pow2_at_least(2 * (size_t)s->nmax);
	s->by_id = calloc(s->by_id_cap, sizeof(*s->by_id));
	s->pool = weft_recpool_new();
	/* Room for every record the run makes: two per node, a third after a
	 * key rotation, and the admin's. */
	s->cache = weft_vcache_new(pow2_at_least(4 * (size_t)s->nmax + 256));
	s->dir = weft_gossip_dir_new(NULL);
	if (!s->nodes || !s->by_id || !s->pool || !s->cache || !s->dir) {
		sim_fail(s, "out of memory building %u nodes", s->nmax);
		goto out;
	}
	wall = sim_wall_ms(s);
	keypair(s, &s->admin, 'A', 0);
	keypair(s, &s->invite, 'I', 0);
	keypair(s, &s->join_invite, 'J', 0);
	node_rand(&(struct sim_node){ .rng = sc->seed ^ 0x6e65746b6579ull }, s->netkey, sizeof(s->netkey));

	memset(&s->settings, 0, sizeof(s->settings));
	s->settings.type = WEFT_REC_NETWORK;
	s->settings.u.network.version = s->admin_version = weft_hlc_next(0, wall);
	snprintf(s->settings.u.network.name, sizeof(s->settings.u.network.name), "sim");
	weft_cidr_parse(&s->settings.u.network.cidr4, "10.0.0.0/8");
	s->settings.u.network.wg_port = SIM_WG_PORT;
	s->settings.u.network.gossip_port = SIM_GOSSIP_PORT;
	s->settings.u.network.mtu = 1420;
	memset(&s->invite_rec, 0, sizeof(s->invite_rec));
	s->invite_rec.type = WEFT_REC_INVITE;
	s->invite_rec.u.invite.invite_pk = s->invite.pk;
	s->invite_rec.u.invite.created = wall / 1000 - 86400;
	s->invite_rec.u.invite.max_uses = sc->nodes;
	s->join_invite_rec = s->invite_rec;
	s->join_invite_rec.u.invite.invite_pk = s->join_invite.pk;
	s->join_invite_rec.u.invite.created = wall / 1000;
	s->join_invite_rec.u.invite.max_uses = sc->invite_uses ? sc->invite_uses : joins ? (uint32_t)joins : 1;
	crypto_generichash(h, sizeof(h), s->netkey, sizeof(s->netkey), NULL, 0);
	memset(&s->keyring, 0, sizeof(s->keyring));
	s->keyring.type = WEFT_REC_KEYRING;
	s->keyring.u.keyring.epoch = 1;
	s->keyring.u.keyring.grace_s = 3600;
	memcpy(s->keyring.u.keyring.key_hash, h, 32);
	if ((ret = sign(s, &s->settings, &s->admin)) || (ret = sign(s, &s->invite_rec, &s->admin)) ||
	    (ret = sign(s, &s->join_invite_rec, &s->admin)) || (ret = sign(s, &s->keyring, &s->admin)))
		goto out;

	/* Every record is signed and verified once, into one store that
	 * every node then clones in O(1). */
	st0 = weft_store_new(&s->admin.pk, s->cache, s->pool);
	if (!st0) {
		ret = -ENOMEM;
		sim_fail(s, "out of memory");
		goto out;
	}
	if ((ret = merge(s, st0, &s->settings)) || (ret = merge(s, st0, &s->keyring)) ||
	    (ret = merge(s, st0, &s->invite_rec)))
		goto out;
	for (i = 0; i < sc->nodes; i++) {
		struct sim_node *nd = &s->nodes[i];

		if ((ret = node_create(s, i)))
			goto out;
		s->n++;
		memset(&r, 0, offsetof(weft_record_t, raw));
		r.type = WEFT_REC_MEMBER;
		r.u.member.node_id = nd->id.pk;
		/* The admin's own node is certified by the admin directly;
		 * the others came with the first invite. */
		r.u.member.invite_pk = i == 0 ? s->admin.pk : s->invite.pk;
		r.u.member.join_time = wall - 86400000ull + i;
		if ((ret = sign(s, &r, i == 0 ? &s->admin : &s->invite)) || (ret = merge(s, st0, &r)))
			goto out;
		nd->state_version = wall - 86400000ull;
		if ((ret = sim_node_state_record(s, nd, &r)) || (ret = merge(s, st0, &r)))
			goto out;
		nd->has_netkey = true;
		nd->netkey_epoch = 1;
		memcpy(nd->netkey, s->netkey, sizeof(nd->netkey));
	}
	for (i = 0; i < sc->nodes; i++) {
		s->nodes[i].store = weft_store_clone(st0);
		if (!s->nodes[i].store) {
			ret = -ENOMEM;
			sim_fail(s, "out of memory cloning the store");
			goto out;
		}
	}
	for (i = 0; i < sc->nodes && !s->failed; i++)
		if ((ret = sim_node_start(s, &s->nodes[i])))
			goto out;
	ret = s->failed ? -EIO : 0;
out:
	weft_store_free(st0);
	return ret;
}

/* ---- the daemon's part ---- */

static void handle_event(struct weft_sim *s, struct sim_node *nd, const struct weft_gossip_event *ev)
{
	switch (ev->type) {
	case WEFT_GEV_RECORD:
		sim_track_on_record(s, nd, ev->rec_type, ev->subject);
		if (ev->rec_type == WEFT_REC_ROTATE)
			nd->rotate_pending = true;
		if (ev->rec_type == WEFT_REC_NODE_STATE && s->sc.wg != WEFT_SIM_WG_NONE)
			sim_tunnel_peer_key(s, nd->idx, sim_node_by_id(s, (const weft_pk_t *)ev->subject));
		break;
	case WEFT_GEV_LIVENESS:
		sim_metrics_liveness(s, nd, &ev->node, ev->state);
		break;
	case WEFT_GEV_MEMBER_ADDED:
	case WEFT_GEV_MEMBER_CHANGED:
	case WEFT_GEV_MEMBER_REMOVED:
		sim_wg_dirty(s, nd);
		break;
	case WEFT_GEV_JOINED:
		if (ev->state == 0 && !nd->joined) {
			nd->joined = true;
			nd->join_t1 = s->now;
			sim_wg_dirty(s, nd);
		}
		break;
	case WEFT_GEV_JOIN_FAILED:
		s->join_failed++;
		break;
	case WEFT_GEV_OVERFLOW:
		s->event_overflows++;
		break;
	case WEFT_GEV_ENDPOINT:
		sim_metrics_endpoint(s, nd, ev);
		break;
	case WEFT_GEV_MISBEHAVING:
		sim_metrics_misbehaving(s, nd, &ev->node);
		break;
	default:
		break;
	}
}

/* The admin ordered every node whose WireGuard key is older than T to
 * make a new one: do so and announce it in a new state record. */
static void maybe_rotate(struct weft_sim *s, struct sim_node *nd)
{
	const weft_record_t *r;

	nd->rotate_pending = false;
	if (nd->status != NS_UP || nd->revoked || !weft_gossip_is_member(nd->g))
		return;
	r = weft_store_get(nd->store, WEFT_REC_ROTATE, (const uint8_t[32]){ 0 });
	if (!r || nd->wg_key_time >= r->u.rotate.older_than)
		return;
	nd->wg_keyver++;
	wg_key(s, nd);
	nd->wg_key_time = sim_wall_ms(s) / 1000;
	if (s->sc.wg != WEFT_SIM_WG_NONE)
		sim_tunnel_own_key(s, nd->idx);
	sim_wg_dirty(s, nd);
	sim_node_publish_state(s, nd, TG_ROTATE_KEY);
}

static void route(struct weft_sim *s, struct sim_node *nd, const struct weft_gossip_dgram *dg, const uint8_t *buf,
		  size_t len)
{
	struct sim_pkt *p = sim_pkt_alloc(s);
	uint32_t dst, peer;
	bool ok;

	if (!p) {
		sim_fail(s, "out of memory for a datagram");
		return;
	}
	p->src = nd->idx;
	p->kind = PK_GOSSIP;
	p->path = dg->path;
	p->len = (uint16_t)len;
	memcpy(p->data, buf, len);
	if (dg->path == WEFT_PATH_OVERLAY) {
		s->overlay_pkts++;
		dst = dg->has_peer ? sim_node_by_id(s, &dg->peer) : SIM_NONE;
		/* Inside the tunnel the datagram is an IP packet, padded to
		 * 16 bytes, in a WireGuard message, in an outer UDP packet. */
		p->wire = (((uint32_t)len + SIM_IPUDP + 15) & ~15u) + SIM_WG_DATA + SIM_IPUDP;
		ok = dst != SIM_NONE && sim_tunnel_pass(s, nd->idx, dst);
	} else {
		s->underlay_pkts++;
		dst = sim_node_by_endpoint(s, &dg->to);
		p->wire = (uint32_t)len + SIM_IPUDP;
		ok = dst != SIM_NONE;
		peer = dg->has_peer ? sim_node_by_id(s, &dg->peer) : SIM_NONE;
		if (peer != SIM_NONE && s->sc.wg != WEFT_SIM_WG_NONE)
			sim_tunnel_underlay_send(s, nd->idx, peer);
	}
	p->dst = ok ? dst : nd->idx;
	if (!ok)
		s->pkts_dropped++;
	sim_link_send(s, p, ok);
}

void sim_node_drain(struct weft_sim *s, struct sim_node *nd)
{
	struct weft_gossip_event ev;
	struct weft_gossip_dgram dg;
	uint8_t buf[WEFT_GOSSIP_MTU];
	uint64_t d;
	int len;

	if (nd->status != NS_UP)
		return;
	while ((len = weft_gossip_poll_send(nd->g, buf, sizeof(buf), &dg)) > 0)
		route(s, nd, &dg, buf, (size_t)len);
	while (weft_gossip_poll_event(nd->g, &ev))
		handle_event(s, nd, &ev);
	if (nd->rotate_pending)
		maybe_rotate(s, nd);
	d = weft_gossip_next_deadline(nd->g);
	if (d == nd->armed)
		return;
	nd->armed = d;
	nd->gen++;
	if (d != UINT64_MAX && sim_queue_push(&s->q, d > s->now ? d : s->now, EV_TIMER, nd->idx, nd->gen, NULL))
		sim_fail(s, "out of memory arming a timer");
}

int sim_node_start(struct weft_sim *s, struct sim_node *nd)
{
	uint32_t mask =
		1u << WEFT_GEV_RECORD | 1u << WEFT_GEV_LIVENESS | 1u << WEFT_GEV_JOINED | 1u << WEFT_GEV_JOIN_FAILED;
	struct weft_gossip_config cfg;
	int err = 0;

	if (s->sc.wg == WEFT_SIM_WG_MEMORY)
		mask |= 1u << WEFT_GEV_MEMBER_ADDED | 1u << WEFT_GEV_MEMBER_CHANGED | 1u << WEFT_GEV_MEMBER_REMOVED;
	if (s->sc.malicious.v)
		mask |= 1u << WEFT_GEV_ENDPOINT | 1u << WEFT_GEV_MISBEHAVING;
	memset(&cfg, 0, sizeof(cfg));
	cfg.identity = &nd->id;
	cfg.store = nd->store;
	cfg.dir = s->dir;
	cfg.rand = node_rand;
	cfg.rand_ctx = nd;
	cfg.params = &s->params;
	cfg.vcache = s->cache;
	cfg.netkey = nd->has_netkey ? nd->netkey : NULL;
	cfg.netkey_epoch = nd->netkey_epoch;
	cfg.incarnation = nd->incarnation;
	cfg.event_mask = mask;
	nd->g = weft_gossip_new(&cfg, s->now, &err);
	if (!nd->g) {
		sim_fail(s, "node %u does not start: %s", nd->idx, weft_strerror(err));
		return err;
	}
	weft_gossip_set_wallclock(nd->g, s->now, sim_wall_ms(s));
	nd->status = NS_UP;
	nd->boot++;
	nd->armed = UINT64_MAX;
	sim_metrics_up(s, nd, true);
	if (s->sc.wg == WEFT_SIM_WG_MEMORY) {
		err = sim_wg_open(s, nd);
		if (err)
			return err;
		sim_wg_apply(s, nd);
	}
	/* A node that was down while a rotation was ordered acts on it as
	 * it starts. */
	nd->rotate_pending = nd->boot > 1;
	sim_node_drain(s, nd);
	return 0;
}

void sim_node_crash(struct weft_sim *s, struct sim_node *nd)
{
	uint8_t key[WEFT_NETKEY_LEN];
	uint32_t epoch;

	if (nd->status != NS_UP)
		return;
	/* What a daemon persists: the store (kept as it is), the
	 * incarnation and the network key. */
	nd->incarnation = weft_gossip_incarnation(nd->g);
	if (weft_gossip_netkey(nd->g, key, &epoch) == 0) {
		memcpy(nd->netkey, key, sizeof(key));
		nd->netkey_epoch = epoch;
		nd->has_netkey = true;
	}
	sodium_memzero(key, sizeof(key));
	weft_gossip_free(nd->g);
	nd->g = NULL;
	nd->status = NS_DOWN;
	nd->gen++;
	nd->armed = UINT64_MAX;
	nd->crashes++;
	nd->crashed_at = s->now;
	nd->tx_free = nd->rx_free = 0;
	sim_wg_close(nd);
	sim_metrics_up(s, nd, false);
	sim_crash_open(s, nd);
}

int sim_node_join(struct weft_sim *s, struct sim_node *nd, const uint32_t *via, size_t nvia)
{
	weft_endpoint_t boot[WEFT_SIM_MAX_VIA];
	const weft_record_t *mem;
	weft_token_t tok;
	weft_record_t st;
	size_t i;
	int ret;

	if ((ret = node_create(s, (uint32_t)(nd - s->nodes))))
		return ret;
	nd->joiner = true;
	nd->store = weft_store_new(&s->admin.pk, s->cache, s->pool);
	if (!nd->store) {
		sim_fail(s, "out of memory");
		return -ENOMEM;
	}
	if ((ret = merge(s, nd->store, &s->settings)) || (ret = sim_node_start(s, nd)))
		return ret;
	memset(&tok, 0, sizeof(tok));
	tok.network_id = s->admin.pk;
	tok.settings = s->settings;
	tok.invite = s->join_invite_rec;
	tok.invite_kp = s->join_invite;
	for (i = 0; i < nvia; i++)
		sim_endpoint_of(via[i], &boot[i]);
	if ((ret = sim_node_state_record(s, nd, &st))) {
		weft_token_wipe(&tok);
		return ret;
	}
	nd->join_t0 = s->now;
	s->joins++;
	ret = weft_gossip_join(nd->g, &tok, boot, nvia, &st, s->now);
	weft_token_wipe(&tok);
	if (ret) {
		sim_fail(s, "node %u cannot start joining: %s", nd->idx, weft_strerror(ret));
		return ret;
	}
	/* Its member record is news for everyone from now on. */
	mem = weft_store_get(nd->store, WEFT_REC_MEMBER, nd->id.pk.b);
	if (mem && (ret = sim_track_add(s, TG_MEMBER, mem, nd->idx)))
		return ret;
	sim_node_drain(s, nd);
	return 0;
}

int sim_node_publish_state(struct weft_sim *s, struct sim_node *nd, uint8_t group)
{
	weft_record_t r;
	int ret;

	if (nd->status != NS_UP)
		return WEFT_ENOTFOUND;
	if ((ret = sim_node_state_record(s, nd, &r)))
		return ret;
	ret = weft_gossip_publish(nd->g, &r, s->now);
	if (ret < 0)
		return ret;
	ret = sim_track_add(s, group, &r, nd->idx);
	sim_node_drain(s, nd);
	return ret;
}

int sim_admin_publish(struct weft_sim *s, struct sim_node *at, weft_record_t *r, uint8_t group)
{
	int ret;

	if ((ret = sign(s, r, &s->admin)))
		return ret;
	ret = weft_gossip_publish(at->g, r, s->now);
	if (ret < 0) {
		sim_fail(s, "node %u refused the admin's %s record: %s", at->idx, weft_rec_type_name(r->type),
			 weft_strerror(ret));
		return ret;
	}
	ret = sim_track_add(s, group, r, at->idx);
	sim_node_drain(s, at);
	return ret;
}
