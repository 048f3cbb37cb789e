/* tests/unit/gossip_net.c: the in-test network of gossip nodes (see
 * gossip_net.h). Test code: a setup step that cannot succeed aborts with a
 * message, so a test never runs on a half-built network. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/error.h"
#include "tests/unit/gossip_net.h"
#include "core/token.h"
#include "gossip/wire.h"

struct gnet_pkt {
	uint64_t at, seq;
	int from, to;
	uint8_t path;
	weft_endpoint_t src;
	uint16_t len;
	uint8_t data[WEFT_GOSSIP_MTU];
};

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void die(const char *what, int err)
{
	fprintf(stderr, "gossip_net: %s: %s\n", what, weft_strerror(err));
	abort();
}

void gnet_keypair(weft_keypair_t *kp, uint8_t role, uint32_t n)
{
	uint8_t seed[WEFT_SEED_LEN] = { 0 };

	seed[0] = 'g';
	seed[1] = role;
	seed[2] = (uint8_t)(n >> 24);
	seed[3] = (uint8_t)(n >> 16);
	seed[4] = (uint8_t)(n >> 8);
	seed[5] = (uint8_t)n;
	weft_keypair_from_seed(kp, seed);
}

static void sign(weft_record_t *r, const weft_keypair_t *kp)
{
	const char *why = "";
	int ret = weft_record_sign(r, kp);

	if (ret) {
		weft_record_check(r, &why);
		fprintf(stderr, "gossip_net: cannot sign %s: %s\n", weft_rec_type_name(r->type), why ? why : "");
		abort();
	}
}

static void node_rand(void *ctx, uint8_t *buf, size_t len)
{
	struct gnet_node *n = ctx;
	uint64_t v;
	size_t i;

	for (i = 0; i < len; i += 8) {
		v = splitmix(&n->rng);
		memcpy(buf + i, &v, len - i < 8 ? len - i : 8);
	}
}

/* ---- the queue of datagrams in flight ---- */

static bool before(const struct gnet_pkt *a, const struct gnet_pkt *b)
{
	return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static void heap_push(struct gnet *net, struct gnet_pkt *p)
{
	size_t i, parent;
	struct gnet_pkt *t;

	if (net->nheap == net->heap_cap) {
		net->heap_cap = net->heap_cap ? net->heap_cap * 2 : 256;
		net->heap = realloc(net->heap, net->heap_cap * sizeof(*net->heap));
		if (!net->heap)
			abort();
	}
	i = net->nheap++;
	net->heap[i] = p;
	while (i > 0) {
		parent = (i - 1) / 2;
		if (!before(net->heap[i], net->heap[parent]))
			break;
		t = net->heap[parent];
		net->heap[parent] = net->heap[i];
		net->heap[i] = t;
		i = parent;
	}
}

static struct gnet_pkt *heap_pop(struct gnet *net)
{
	struct gnet_pkt *top = net->heap[0], *t;
	size_t i = 0, c;

	net->heap[0] = net->heap[--net->nheap];
	for (;;) {
		c = 2 * i + 1;
		if (c >= net->nheap)
			break;
		if (c + 1 < net->nheap && before(net->heap[c + 1], net->heap[c]))
			c++;
		if (!before(net->heap[c], net->heap[i]))
			break;
		t = net->heap[c];
		net->heap[c] = net->heap[i];
		net->heap[i] = t;
		i = c;
	}
	return top;
}

/* ---- routing ---- */

static int node_by_endpoint(struct gnet *net, const weft_endpoint_t *ep)
{
	int i;

	if (ep->ip.family == 4 && ep->ip.b[0] == 192) {
		for (i = 0; i < net->n; i++)
			if (weft_endpoint_equal(&net->nodes[i].nat, ep))
				return i;
		return -1;
	}
	if (ep->ip.family != 4 || ep->ip.b[0] != 10 || ep->port != 51821)
		return -1;
	i = ep->ip.b[2] << 8 | ep->ip.b[3];
	return i < net->n ? i : -1;
}

void gnet_cut(struct gnet *net, int a, int b)
{
	if (net->ncut == (int)(sizeof(net->cut) / sizeof(net->cut[0])))
		abort();
	net->cut[net->ncut][0] = a;
	net->cut[net->ncut][1] = b;
	net->ncut++;
}

/* Whether a datagram from node i to node `to` (at dg->to) cannot arrive:
 * a cut pair, or a node behind its NAT addressed at its LAN endpoint. */
static bool unreachable(const struct gnet *net, int i, int to, const struct weft_gossip_dgram *dg)
{
	int k;

	for (k = 0; k < net->ncut; k++)
		if ((net->cut[k][0] == i && net->cut[k][1] == to) || (net->cut[k][0] == to && net->cut[k][1] == i))
			return true;
	return dg->path == WEFT_PATH_UNDERLAY && net->nodes[to].lan_hidden &&
	       !weft_endpoint_equal(&dg->to, &net->nodes[to].nat);
}

static int node_by_id(struct gnet *net, const weft_pk_t *id)
{
	int i;

	for (i = 0; i < net->n; i++)
		if (!memcmp(net->nodes[i].id.pk.b, id->b, WEFT_PK_LEN))
			return i;
	return -1;
}

static void note_event(struct gnet *net, struct gnet_node *nd, const struct weft_gossip_event *ev)
{
	nd->events[ev->type]++;
	switch (ev->type) {
	case WEFT_GEV_JOINED:
		if (ev->state == 1)
			nd->pending = true;
		else
			nd->joined = true;
		break;
	case WEFT_GEV_JOIN_FAILED:
		nd->join_failed = true;
		nd->join_err = ev->err;
		break;
	case WEFT_GEV_LIVENESS:
		if (ev->state == WEFT_LIVE_DEAD)
			nd->dead_reports++;
		break;
	default:
		break;
	}
	if (net->on_event)
		net->on_event(net, nd->idx, ev, net->ctx);
}

void gnet_drain(struct gnet *net, int i)
{
	struct gnet_node *nd = &net->nodes[i];
	struct weft_gossip_event ev;
	struct weft_gossip_dgram dg;
	crypto_generichash_state st;
	uint8_t buf[WEFT_GOSSIP_MTU], hdr[8];
	struct gnet_pkt *p;
	int len, to;

	while ((len = weft_gossip_poll_send(nd->g, buf, sizeof(buf), &dg)) > 0) {
		net->pkts++;
		net->bytes += (uint64_t)len;
		/* The transcript: who sent what to whom, in order. */
		crypto_generichash_init(&st, net->transcript, 32, 32);
		hdr[0] = (uint8_t)i;
		hdr[1] = (uint8_t)(i >> 8);
		hdr[2] = dg.path;
		memcpy(hdr + 3, dg.to.ip.b, 4);
		hdr[7] = (uint8_t)dg.to.port;
		crypto_generichash_update(&st, hdr, sizeof(hdr));
		crypto_generichash_update(&st, buf, (size_t)len);
		crypto_generichash_final(&st, net->transcript, 32);
		if (net->tap)
			net->tap(net, i, &dg, buf, (size_t)len, net->ctx);
		to = dg.path == WEFT_PATH_OVERLAY ? node_by_id(net, &dg.peer) : node_by_endpoint(net, &dg.to);
		if (to < 0 || unreachable(net, i, to, &dg) ||
		    (net->loss_ppm && splitmix(&net->rng) % 1000000 < net->loss_ppm) ||
		    (net->drop_overlay && dg.path == WEFT_PATH_OVERLAY)) {
			net->dropped++;
			continue;
		}
		p = calloc(1, sizeof(*p));
		if (!p)
			abort();
		p->at = net->now + net->latency + (net->jitter ? splitmix(&net->rng) % net->jitter : 0) + nd->delay +
			net->nodes[to].delay;
		p->seq = net->pkt_seq++;
		p->from = i;
		p->to = to;
		p->path = dg.path;
		p->src = nd->nat.ip.family ? nd->nat : nd->ep;
		p->len = (uint16_t)len;
		memcpy(p->data, buf, (size_t)len);
		heap_push(net, p);
	}
	while (weft_gossip_poll_event(nd->g, &ev))
		note_event(net, nd, &ev);
	nd->deadline = weft_gossip_next_deadline(nd->g);
}

/* ---- setup ---- */

struct gnet *gnet_new(uint64_t seed, const struct weft_gossip_params *params)
{
	struct gnet *net = calloc(1, sizeof(*net));
	uint8_t h[32];

	if (!net)
		abort();
	net->rng = seed;
	net->latency = 5 * GNET_MS;
	net->jitter = 5 * GNET_MS;
	if (params)
		net->params = *params;
	else
		weft_gossip_params_default(&net->params);
	gnet_keypair(&net->admin, 'A', (uint32_t)seed);
	gnet_keypair(&net->invite, 'I', (uint32_t)seed);
	memset(&net->settings, 0, sizeof(net->settings));
	net->settings.type = WEFT_REC_NETWORK;
	net->settings.u.network.version = 1;
	snprintf(net->settings.u.network.name, sizeof(net->settings.u.network.name), "testnet");
	if (weft_cidr_parse(&net->settings.u.network.cidr4, "10.99.0.0/16"))
		abort();
	net->settings.u.network.wg_port = 51820;
	net->settings.u.network.gossip_port = 51821;
	net->settings.u.network.mtu = 1420;
	sign(&net->settings, &net->admin);
	gnet_make_invite(net, &net->invite, &net->invite_rec, 0, 1000, 0, false);
	node_rand(&(struct gnet_node){ .rng = seed ^ 0x4b4559 }, net->netkey, sizeof(net->netkey));
	crypto_generichash(h, sizeof(h), net->netkey, sizeof(net->netkey), NULL, 0);
	memset(&net->keyring, 0, sizeof(net->keyring));
	net->keyring.type = WEFT_REC_KEYRING;
	net->keyring.u.keyring.epoch = 1;
	net->keyring.u.keyring.grace_s = 3600;
	memcpy(net->keyring.u.keyring.key_hash, h, 32);
	sign(&net->keyring, &net->admin);
	net->pool = weft_recpool_new();
	net->cache = weft_vcache_new(1 << 14);
	net->dir = weft_gossip_dir_new(NULL);
	if (!net->pool || !net->cache || !net->dir)
		abort();
	return net;
}

void gnet_make_invite(struct gnet *net, weft_keypair_t *kp, weft_record_t *r, uint32_t seed, uint32_t max_uses,
		      uint64_t expires_s, bool approval)
{
	if (seed)
		gnet_keypair(kp, 'J', seed);
	memset(r, 0, sizeof(*r));
	r->type = WEFT_REC_INVITE;
	r->u.invite.invite_pk = kp->pk;
	r->u.invite.created = GNET_WALL_BASE_MS / 1000 - 3600;
	r->u.invite.expires = expires_s;
	r->u.invite.max_uses = max_uses;
	r->u.invite.approval = approval;
	sign(r, &net->admin);
}

void gnet_free(struct gnet *net)
{
	int i;

	for (i = 0; i < net->n; i++) {
		weft_gossip_free(net->nodes[i].g);
		weft_store_free(net->nodes[i].store);
	}
	while (net->nheap)
		free(heap_pop(net));
	free(net->heap);
	weft_gossip_dir_free(net->dir);
	weft_vcache_free(net->cache);
	weft_recpool_free(net->pool);
	free(net);
}

static void state_record(struct gnet *net, struct gnet_node *nd, weft_record_t *r)
{
	struct weft_rec_node_state *ns = &r->u.node_state;

	memset(r, 0, sizeof(*r));
	r->type = WEFT_REC_NODE_STATE;
	ns->node_id = nd->id.pk;
	ns->version = ++nd->state_version;
	memset(ns->wg_pub.b, nd->idx + 1, sizeof(ns->wg_pub.b));
	ns->wg_port = 51820;
	ns->gossip_port = 51821;
	snprintf(ns->name, sizeof(ns->name), "n%d", nd->idx);
	ns->nendpoints = 1;
	ns->endpoints[0] = nd->ep;
	ns->endpoints[0].port = 51820;
	if (nd->announce_nat && nd->nat.ip.family) {
		ns->nendpoints = 2;
		ns->endpoints[1].ip = nd->nat.ip;
		ns->endpoints[1].port = 51820;
	}
	sign(r, &nd->id);
}

static int start_node(struct gnet *net, struct gnet_node *nd, bool with_key)
{
	struct weft_gossip_config cfg = {
		.identity = &nd->id,
		.store = nd->store,
		.dir = net->dir,
		.vcache = net->cache,
		.rand = node_rand,
		.rand_ctx = nd,
		.params = &net->params,
		.netkey = with_key ? net->netkey : NULL,
		.netkey_epoch = net->netkey_epoch ? net->netkey_epoch : 1,
	};
	int err = 0;

	nd->g = weft_gossip_new(&cfg, net->now, &err);
	if (!nd->g)
		return err;
	weft_gossip_set_wallclock(nd->g, net->now,
				  GNET_WALL_BASE_MS + net->now / GNET_MS + (with_key ? 0 : net->joiner_wall_ms));
	nd->up = true;
	nd->deadline = weft_gossip_next_deadline(nd->g);
	return 0;
}

int gnet_node_create(struct gnet *net, const weft_keypair_t *identity)
{
	struct gnet_node *nd;
	int ret;

	if (net->n == GNET_MAX)
		abort();
	nd = &net->nodes[net->n];
	memset(nd, 0, sizeof(*nd));
	nd->idx = net->n;
	nd->rng = net->rng ^ (0x1000193ull * (uint64_t)(net->n + 1));
	if (identity)
		nd->id = *identity;
	else
		gnet_keypair(&nd->id, 'N', (uint32_t)(net->rng * 131 + (uint64_t)net->n));
	nd->ep.ip.family = 4;
	nd->ep.ip.b[0] = 10;
	nd->ep.ip.b[2] = (uint8_t)(net->n >> 8);
	nd->ep.ip.b[3] = (uint8_t)net->n;
	nd->ep.port = 51821;
	nd->store = weft_store_new(&net->admin.pk, net->cache, net->pool);
	if (!nd->store)
		abort();
	ret = weft_store_merge(nd->store, &net->settings);
	if (ret < 0)
		die("merge settings", ret);
	net->n++;
	return nd->idx;
}

int gnet_add_founder(struct gnet *net)
{
	int i = gnet_node_create(net, NULL), ret;
	struct gnet_node *nd = &net->nodes[i];
	weft_record_t r;

	ret = weft_store_merge(nd->store, &net->invite_rec);
	if (ret < 0)
		die("merge invite", ret);
	ret = weft_store_merge(nd->store, &net->keyring);
	if (ret < 0)
		die("merge keyring", ret);
	memset(&r, 0, sizeof(r));
	r.type = WEFT_REC_MEMBER;
	r.u.member.node_id = nd->id.pk;
	r.u.member.invite_pk = net->admin.pk;
	r.u.member.join_time = GNET_WALL_BASE_MS + net->now / GNET_MS;
	sign(&r, &net->admin);
	ret = weft_store_merge(nd->store, &r);
	if (ret < 0)
		die("merge founder", ret);
	state_record(net, nd, &r);
	ret = weft_store_merge(nd->store, &r);
	if (ret < 0)
		die("merge founder state", ret);
	ret = start_node(net, nd, true);
	if (ret)
		die("founder", ret);
	return i;
}

void gnet_add_provisioned(struct gnet *net, int n)
{
	weft_store_t *tmpl = weft_store_new(&net->admin.pk, net->cache, net->pool);
	int first = net->n, i, ret;
	weft_record_t r;

	if (!tmpl || weft_store_merge(tmpl, &net->settings) < 0 || weft_store_merge(tmpl, &net->invite_rec) < 0 ||
	    weft_store_merge(tmpl, &net->keyring) < 0)
		abort();
	for (i = 0; i < n; i++) {
		struct gnet_node *nd = &net->nodes[gnet_node_create(net, NULL)];

		weft_store_free(nd->store);
		nd->store = NULL;
		memset(&r, 0, sizeof(r));
		r.type = WEFT_REC_MEMBER;
		r.u.member.node_id = nd->id.pk;
		r.u.member.invite_pk = net->admin.pk;
		r.u.member.join_time = GNET_WALL_BASE_MS - 3600000 + (uint64_t)nd->idx;
		sign(&r, &net->admin);
		if ((ret = weft_store_merge(tmpl, &r)) < 0)
			die("provision member", ret);
		state_record(net, nd, &r);
		if ((ret = weft_store_merge(tmpl, &r)) < 0)
			die("provision state", ret);
	}
	for (i = first; i < net->n; i++) {
		net->nodes[i].store = weft_store_clone(tmpl);
		if (!net->nodes[i].store)
			abort();
		if ((ret = start_node(net, &net->nodes[i], true)))
			die("provisioned node", ret);
	}
	weft_store_free(tmpl);
}

int gnet_add_joiner_with(struct gnet *net, int via, const weft_keypair_t *invite_kp, const weft_record_t *invite,
			 const weft_keypair_t *identity)
{
	return gnet_join_node(net, gnet_node_create(net, identity), via, invite_kp, invite);
}

int gnet_join_node(struct gnet *net, int i, int via, const weft_keypair_t *invite_kp, const weft_record_t *invite)
{
	struct gnet_node *nd = &net->nodes[i];
	weft_token_t tok;
	weft_record_t st;
	int ret;

	ret = start_node(net, nd, false);
	if (ret)
		die("joiner", ret);
	memset(&tok, 0, sizeof(tok));
	tok.network_id = net->admin.pk;
	tok.settings = net->settings;
	tok.invite = *invite;
	tok.invite_kp = *invite_kp;
	state_record(net, nd, &st);
	ret = weft_gossip_join(nd->g, &tok, &net->nodes[via].ep, 1, &st, net->now);
	weft_token_wipe(&tok);
	if (ret)
		die("join", ret);
	gnet_drain(net, i);
	return i;
}

int gnet_add_joiner(struct gnet *net, int via)
{
	return gnet_add_joiner_with(net, via, &net->invite, &net->invite_rec, NULL);
}

/* ---- running ---- */

static void timeout_node(struct gnet *net, int i)
{
	weft_gossip_handle_timeout(net->nodes[i].g, net->now);
	gnet_drain(net, i);
}

int gnet_inject(struct gnet *net, int i, uint8_t path, const weft_endpoint_t *from, const uint8_t *buf, size_t len)
{
	int ret = weft_gossip_recv(net->nodes[i].g, path, from, buf, len, net->now);

	gnet_drain(net, i);
	return ret;
}

static bool step(struct gnet *net, uint64_t until)
{
	uint64_t t = UINT64_MAX;
	struct gnet_pkt *p;
	int i, who = -1;

	if (net->nheap)
		t = net->heap[0]->at;
	for (i = 0; i < net->n; i++)
		if (net->nodes[i].up && net->nodes[i].deadline < t) {
			t = net->nodes[i].deadline;
			who = i;
		}
	if (t > until)
		return false;
	if (t > net->now)
		net->now = t;
	if (who >= 0) {
		timeout_node(net, who);
		return true;
	}
	p = heap_pop(net);
	if (net->nodes[p->to].up && net->nodes[p->from].group == net->nodes[p->to].group) {
		weft_gossip_recv(net->nodes[p->to].g, p->path, &p->src, p->data, p->len, net->now);
		gnet_drain(net, p->to);
	}
	free(p);
	return true;
}

void gnet_run(struct gnet *net, uint64_t duration_ns)
{
	uint64_t until = net->now + duration_ns;

	while (step(net, until))
		;
	net->now = until;
}

bool gnet_run_until(struct gnet *net, uint64_t max_ns, bool (*pred)(struct gnet *net, void *ctx), void *ctx)
{
	uint64_t until = net->now + max_ns;

	while (!pred(net, ctx)) {
		if (!step(net, until)) {
			net->now = until;
			return pred(net, ctx);
		}
	}
	return true;
}

void gnet_stop(struct gnet *net, int i)
{
	net->nodes[i].up = false;
}

void gnet_shutdown(struct gnet *net, int i)
{
	net->nodes[i].up = false;
	weft_gossip_free(net->nodes[i].g);
	net->nodes[i].g = NULL;
}

int gnet_restart(struct gnet *net, int i)
{
	struct gnet_node *nd = &net->nodes[i];

	weft_gossip_free(nd->g);
	nd->g = NULL;
	return start_node(net, nd, true);
}

size_t gnet_packet(struct gnet *net, uint8_t *pkt, uint8_t type, bool sealed, const uint8_t *key,
		   const uint8_t *body, size_t blen)
{
	uint8_t fpr[WEFT_WIRE_FPR_LEN], nonce[24] = { 0x77 };

	weft_wire_fingerprint(fpr, &net->admin.pk);
	weft_wire_header(pkt, type, fpr, sealed ? WEFT_WIRE_FLAG_SEALED : 0);
	if (!sealed) {
		memcpy(pkt + WEFT_WIRE_HDR_LEN, body, blen);
		return WEFT_WIRE_HDR_LEN + blen;
	}
	/* A nonce of its own for every packet, from a counter. */
	memcpy(nonce + 16, &net->pkt_seq, 8);
	net->pkt_seq++;
	memcpy(pkt + WEFT_WIRE_SEALED_HDR_LEN, body, blen);
	return weft_wire_seal(pkt, blen, 1, nonce, key ? key : net->netkey);
}

size_t gnet_member_packet_as(struct gnet *net, uint8_t *pkt, uint8_t type, bool sealed, const uint8_t *key,
			     const weft_keypair_t *from, const weft_pk_t *to, uint64_t ctr, const uint8_t *body,
			     size_t blen)
{
	uint8_t fpr[WEFT_WIRE_FPR_LEN], nonce[24] = { 0x78 }, xsk[32], xpk[32], pair[32];
	size_t hdr = sealed ? WEFT_WIRE_SEALED_HDR_LEN : WEFT_WIRE_HDR_LEN, plen;

	weft_wire_fingerprint(fpr, &net->admin.pk);
	weft_wire_header(pkt, type, fpr, sealed ? WEFT_WIRE_FLAG_SEALED : 0);
	if (crypto_sign_ed25519_sk_to_curve25519(xsk, from->sk) || weft_pk_to_x25519(xpk, to) ||
	    weft_wire_pair_key(pair, &net->admin.pk, &from->pk, xsk, to, xpk))
		abort();
	if (!ctr)
		ctr = (GNET_WALL_BASE_MS + net->now / GNET_MS) * 1000ull + 500 + net->pkt_seq % 400;
	memcpy(pkt + hdr, body, blen);
	plen = weft_wire_auth(pkt + hdr, blen, pkt, pair, ctr);
	sodium_memzero(xsk, sizeof(xsk));
	sodium_memzero(pair, sizeof(pair));
	if (!sealed)
		return WEFT_WIRE_HDR_LEN + plen;
	memcpy(nonce + 16, &net->pkt_seq, 8);
	net->pkt_seq++;
	return weft_wire_seal(pkt, plen, 1, nonce, key ? key : net->netkey);
}

size_t gnet_member_packet(struct gnet *net, uint8_t *pkt, uint8_t type, bool sealed, const uint8_t *key, int from,
			  int to, uint64_t ctr, const uint8_t *body, size_t blen)
{
	return gnet_member_packet_as(net, pkt, type, sealed, key, &net->nodes[from].id, &net->nodes[to].id.pk, ctr,
				     body, blen);
}

void gnet_sign_update(struct gnet *net, int signer, uint8_t kind, int about, uint32_t inc, uint8_t sig[64])
{
	uint8_t msg[WEFT_WIRE_SWIM_MSG_LEN];

	weft_wire_swim_msg(msg, &net->admin.pk, kind, &net->nodes[about].id.pk, inc);
	if (weft_sign(sig, msg, sizeof(msg), &net->nodes[signer].id))
		abort();
}

void gnet_put_update(struct gnet *net, struct weft_wbuf *w, uint8_t kind, int about, uint32_t inc, int signer)
{
	uint8_t sig[64];
	bool acc = kind == WEFT_UPD_SUSPECT || kind == WEFT_UPD_DEAD;

	gnet_sign_update(net, signer, kind, about, inc, sig);
	weft_mp_array(w, acc ? 5 : 4);
	weft_mp_uint(w, kind);
	weft_mp_bin(w, net->nodes[about].id.pk.b, WEFT_PK_LEN);
	weft_mp_uint(w, inc);
	if (acc)
		weft_mp_bin(w, net->nodes[signer].id.pk.b, WEFT_PK_LEN);
	weft_mp_bin(w, sig, sizeof(sig));
}

/* ---- observations ---- */

bool gnet_converged(struct gnet *net, void *unused)
{
	uint8_t first[32], d[32];
	bool have = false;
	int i;

	for (i = 0; i < net->n; i++) {
		if (!net->nodes[i].up)
			continue;
		weft_store_digest(net->nodes[i].store, d);
		if (!have) {
			memcpy(first, d, 32);
			have = true;
		} else if (memcmp(first, d, 32)) {
			return false;
		}
	}
	return true;
}

bool gnet_all_alive(struct gnet *net, void *unused)
{
	int i, up = 0;

	for (i = 0; i < net->n; i++)
		up += net->nodes[i].up;
	for (i = 0; i < net->n; i++)
		if (net->nodes[i].up && gnet_count_seeing(net, i, WEFT_LIVE_ALIVE) != up - 1)
			return false;
	return true;
}

bool gnet_settled(struct gnet *net, void *unused)
{
	int i;

	for (i = 0; i < net->n; i++)
		if (net->nodes[i].up && !weft_gossip_is_member(net->nodes[i].g))
			return false;
	return gnet_converged(net, NULL) && gnet_all_alive(net, NULL);
}

struct gnet *gnet_grow(uint64_t seed, int n, const struct weft_gossip_params *params, uint64_t *settle_ns)
{
	struct gnet *net = gnet_new(seed, params);
	uint64_t rng = seed, t0;
	int i;

	gnet_add_founder(net);
	for (i = 1; i < n; i++) {
		rng = rng * 6364136223846793005ull + 1442695040888963407ull;
		gnet_add_joiner(net, (int)((rng >> 33) % (uint64_t)i));
		gnet_run(net, 100 * GNET_MS);
	}
	t0 = net->now;
	if (!gnet_run_until(net, 120 * GNET_SEC, gnet_settled, NULL)) {
		fprintf(stderr, "gossip_net: %d nodes (seed %llu) did not settle\n", n, (unsigned long long)seed);
		abort();
	}
	if (settle_ns)
		*settle_ns = net->now - t0;
	return net;
}

int gnet_count_seeing(struct gnet *net, int i, uint8_t state)
{
	struct weft_gossip_member_info mi;
	int j, n = 0;

	for (j = 0; j < net->n; j++) {
		if (j == i || !net->nodes[j].up)
			continue;
		if (weft_gossip_member(net->nodes[j].g, &net->nodes[i].id.pk, &mi) == 0 && mi.state == state)
			n++;
	}
	return n;
}

bool gnet_all_see(struct gnet *net, void *seen)
{
	const struct gnet_seen *s = seen;
	int i, up = 0;

	for (i = 0; i < net->n; i++)
		up += net->nodes[i].up && i != s->node;
	return gnet_count_seeing(net, s->node, s->state) == up;
}

int gnet_bump_state(struct gnet *net, int i)
{
	weft_record_t r;
	int ret;

	state_record(net, &net->nodes[i], &r);
	ret = weft_gossip_publish(net->nodes[i].g, &r, net->now);
	gnet_drain(net, i);
	return ret;
}

int gnet_publish_admin(struct gnet *net, int i, weft_record_t *r)
{
	int ret;

	sign(r, &net->admin);
	ret = weft_gossip_publish(net->nodes[i].g, r, net->now);
	gnet_drain(net, i);
	return ret;
}
