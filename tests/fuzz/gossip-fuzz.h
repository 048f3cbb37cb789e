/* The fuzzed gossip node and its input format, shared by fuzz-gossip.c and
 * gen-gossip.c (which writes the stored corpus). A fixed little network
 * (admin, settings, key epoch, invite, three members with states) and one
 * node to feed, either member 0 or a stranger in the middle of joining
 * through member 1. Time comes from the input (docs/STYLE.md, "Fuzzing").
 *
 * Input: one mode byte (even: member node; odd: joining node), then frames
 *
 *     op (1) | dt (2, big-endian milliseconds to advance) | payload
 *
 *   op % 4 == 0  datagram: flags (1) | len (2, big-endian) | bytes
 *                flags bit 0: overlay path (else underlay)
 *                flags bit 1: bytes are [type, body...] and the harness
 *                             writes the header and seals the body with the
 *                             network key, as a member would
 *                flags bit 4: bytes are [type, body...] sent in the clear
 *                             with a header written by the harness
 *                (neither: bytes are the whole datagram)
 *                With bit 1 or 4, a member message gets the sender's
 *                authentication as the member its body names would make it
 *                (its counter, one up each time, and the MAC with the pair
 *                key of that member and the node; for an id that is no
 *                member of the little network, member 1's MAC);
 *                flags bit 5: ... but no authentication at all;
 *                flags bit 6: ... with the previous counter again (a replay);
 *                flags bits 2-3: source: member 0, 1, 2's endpoint, or a
 *                             stranger's
 *   op % 4 == 1  timers only
 *   op % 4 == 2  tunnel: member (1) | up (1)
 *   op % 4 == 3  leave
 *
 * After every frame the node's timers run and its output and events are
 * drained. */
#ifndef WEFT_GOSSIP_FUZZ_H
#define WEFT_GOSSIP_FUZZ_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "gossip/gossip.h"
#include "core/token.h"
#include "gossip/wire.h"

#define GFZ_MEMBERS 3
#define GFZ_WALL_MS 1700000000000ull

struct gfz {
	weft_keypair_t admin, invite, joiner, node[GFZ_MEMBERS];
	weft_record_t settings, keyring, invite_rec, member[GFZ_MEMBERS], state[GFZ_MEMBERS];
	uint8_t netkey[32];
	/* pair keys of each member with member 0 and with the joiner */
	uint8_t pair0[GFZ_MEMBERS][32], pairj[GFZ_MEMBERS][32];
	weft_vcache_t *cache;
	weft_recpool_t *pool;
};

static inline void gfz_key(weft_keypair_t *kp, uint8_t role, uint8_t n)
{
	uint8_t seed[WEFT_SEED_LEN] = { 'f', 'z', role, n };

	weft_keypair_from_seed(kp, seed);
}

static inline int gfz_sign(weft_record_t *r, const weft_keypair_t *kp)
{
	return weft_record_sign(r, kp);
}

static inline weft_endpoint_t gfz_endpoint(unsigned i)
{
	weft_endpoint_t ep = { .ip = { .family = 4, .b = { 10, 7, 0, (uint8_t)(i + 1) } }, .port = 51821 };

	if (i >= GFZ_MEMBERS) {
		ep.ip.b[0] = 203;
		ep.ip.b[1] = 0;
		ep.ip.b[2] = 113;
		ep.port = 40000;
	}
	return ep;
}

/* Builds the network once; 0 or a negative code. */
static inline int gfz_setup(struct gfz *f)
{
	unsigned i;
	int ret;

	memset(f, 0, sizeof(*f));
	gfz_key(&f->admin, 'A', 0);
	gfz_key(&f->invite, 'I', 0);
	gfz_key(&f->joiner, 'J', 0);
	memset(f->netkey, 0x6b, sizeof(f->netkey));
	f->settings.type = WEFT_REC_NETWORK;
	f->settings.u.network.version = 1;
	memcpy(f->settings.u.network.name, "fuzz", 5);
	if (weft_cidr_parse(&f->settings.u.network.cidr4, "10.66.0.0/16"))
		return -1;
	f->settings.u.network.wg_port = 51820;
	f->settings.u.network.gossip_port = 51821;
	f->settings.u.network.mtu = 1420;
	f->keyring.type = WEFT_REC_KEYRING;
	f->keyring.u.keyring.epoch = 1;
	f->keyring.u.keyring.grace_s = 60;
	crypto_generichash(f->keyring.u.keyring.key_hash, 32, f->netkey, 32, NULL, 0);
	f->invite_rec.type = WEFT_REC_INVITE;
	f->invite_rec.u.invite.invite_pk = f->invite.pk;
	f->invite_rec.u.invite.created = GFZ_WALL_MS / 1000 - 60;
	f->invite_rec.u.invite.max_uses = 10;
	if ((ret = gfz_sign(&f->settings, &f->admin)) || (ret = gfz_sign(&f->keyring, &f->admin)) ||
	    (ret = gfz_sign(&f->invite_rec, &f->admin)))
		return ret;
	for (i = 0; i < GFZ_MEMBERS; i++) {
		struct weft_rec_node_state *ns = &f->state[i].u.node_state;

		gfz_key(&f->node[i], 'N', (uint8_t)i);
		f->member[i].type = WEFT_REC_MEMBER;
		f->member[i].u.member.node_id = f->node[i].pk;
		f->member[i].u.member.invite_pk = i ? f->invite.pk : f->admin.pk;
		f->member[i].u.member.join_time = GFZ_WALL_MS - 1000 + i;
		if ((ret = gfz_sign(&f->member[i], i ? &f->invite : &f->admin)))
			return ret;
		f->state[i].type = WEFT_REC_NODE_STATE;
		ns->node_id = f->node[i].pk;
		ns->version = 1;
		ns->wg_port = 51820;
		ns->gossip_port = 51821;
		ns->name[0] = (char)('a' + i);
		ns->nendpoints = 1;
		ns->endpoints[0] = gfz_endpoint(i);
		ns->endpoints[0].port = 51820;
		if ((ret = gfz_sign(&f->state[i], &f->node[i])))
			return ret;
	}
	for (i = 0; i < GFZ_MEMBERS; i++) {
		uint8_t xsk[32], x0[32], xj[32];

		if (crypto_sign_ed25519_sk_to_curve25519(xsk, f->node[i].sk) ||
		    weft_pk_to_x25519(x0, &f->node[0].pk) || weft_pk_to_x25519(xj, &f->joiner.pk) ||
		    (i && weft_wire_pair_key(f->pair0[i], &f->admin.pk, &f->node[i].pk, xsk, &f->node[0].pk, x0)) ||
		    weft_wire_pair_key(f->pairj[i], &f->admin.pk, &f->node[i].pk, xsk, &f->joiner.pk, xj))
			return -1;
	}
	f->cache = weft_vcache_new(256);
	f->pool = weft_recpool_new();
	return f->cache && f->pool ? 0 : -1;
}

/* A signed membership update, as a body's items carry it (for the corpus
 * generator): [kind, node, inc, sig] or [kind, node, inc, accuser, sig],
 * signed by `by`. */
static inline void gfz_update(const struct gfz *f, struct weft_wbuf *w, uint8_t kind, const weft_pk_t *node,
			      uint32_t inc, const weft_keypair_t *by)
{
	uint8_t msg[WEFT_WIRE_SWIM_MSG_LEN], sig[64];
	bool acc = kind == WEFT_UPD_SUSPECT || kind == WEFT_UPD_DEAD;

	weft_wire_swim_msg(msg, &f->admin.pk, kind, node, inc);
	if (weft_sign(sig, msg, sizeof(msg), by))
		abort();
	weft_mp_array(w, acc ? 5 : 4);
	weft_mp_uint(w, kind);
	weft_mp_bin(w, node->b, 32);
	weft_mp_uint(w, inc);
	if (acc)
		weft_mp_bin(w, by->pk.b, 32);
	weft_mp_bin(w, sig, sizeof(sig));
}

struct gfz_run {
	struct gfz *f;
	weft_store_t *store;
	weft_gossip_t *g;
	bool joiner;
	uint64_t now, rng;
	uint64_t nonce;
	uint64_t ctr; /* the members' authentication counter */
	/* for the generator: the last answer to a datagram */
	uint8_t last[WEFT_GOSSIP_MTU];
	int last_len;
};

static inline void gfz_rand(void *ctx, uint8_t *buf, size_t len)
{
	struct gfz_run *r = ctx;
	size_t i;

	for (i = 0; i < len; i++) {
		r->rng = r->rng * 6364136223846793005ull + 1442695040888963407ull;
		buf[i] = (uint8_t)(r->rng >> 56);
	}
}

static inline void gfz_drain(struct gfz_run *r)
{
	struct weft_gossip_event ev;
	struct weft_gossip_dgram dg;
	uint8_t out[WEFT_GOSSIP_MTU];
	int n;

	while ((n = weft_gossip_poll_send(r->g, out, sizeof(out), &dg)) > 0)
		;
	while (weft_gossip_poll_event(r->g, &ev))
		;
}

/* Starts the node: 0 or a negative code (then nothing is held). */
static inline int gfz_start(struct gfz_run *r, struct gfz *f, bool joiner)
{
	struct weft_gossip_config cfg = { 0 };
	weft_token_t tok;
	weft_endpoint_t boot = gfz_endpoint(1);
	unsigned i;
	int err = 0;

	memset(r, 0, sizeof(*r));
	r->f = f;
	r->joiner = joiner;
	r->rng = 42;
	r->now = 1000000000ull;
	r->ctr = GFZ_WALL_MS * 1000ull;
	r->store = weft_store_new(&f->admin.pk, f->cache, f->pool);
	if (!r->store)
		return -1;
	weft_store_merge(r->store, &f->settings);
	if (!joiner) {
		weft_store_merge(r->store, &f->keyring);
		weft_store_merge(r->store, &f->invite_rec);
		for (i = 0; i < GFZ_MEMBERS; i++) {
			weft_store_merge(r->store, &f->member[i]);
			weft_store_merge(r->store, &f->state[i]);
		}
	}
	cfg.identity = joiner ? &f->joiner : &f->node[0];
	cfg.store = r->store;
	cfg.rand = gfz_rand;
	cfg.rand_ctx = r;
	cfg.netkey = joiner ? NULL : f->netkey;
	cfg.netkey_epoch = 1;
	r->g = weft_gossip_new(&cfg, r->now, &err);
	if (!r->g) {
		weft_store_free(r->store);
		return err ? err : -1;
	}
	weft_gossip_set_wallclock(r->g, r->now, GFZ_WALL_MS);
	if (joiner) {
		memset(&tok, 0, sizeof(tok));
		tok.network_id = f->admin.pk;
		tok.settings = f->settings;
		tok.invite = f->invite_rec;
		tok.invite_kp = f->invite;
		weft_gossip_join(r->g, &tok, &boot, 1, NULL, r->now);
		weft_token_wipe(&tok);
	}
	gfz_drain(r);
	return 0;
}

static inline void gfz_stop(struct gfz_run *r)
{
	weft_gossip_free(r->g);
	weft_store_free(r->store);
	r->g = NULL;
	r->store = NULL;
}

/* What the node sends in answer to one datagram: nothing over the MTU,
 * and, to an unauthenticated datagram (not sealed with the network key,
 * not from the overlay), nothing larger than it, but for a welcome (which
 * only a verified join request gets). A breach aborts. */
static inline void gfz_answers(struct gfz_run *r, const weft_endpoint_t *from, size_t request, bool authenticated)
{
	struct weft_gossip_dgram dg;
	uint8_t out[WEFT_GOSSIP_MTU];
	size_t to_stranger = 0;
	int n;

	while ((n = weft_gossip_poll_send(r->g, out, sizeof(out), &dg)) != 0) {
		if (n < 0)
			abort();
		if (dg.path == WEFT_PATH_UNDERLAY && weft_endpoint_equal(&dg.to, from) && from->ip.b[0] == 203 &&
		    out[3] != WEFT_MSG_JOIN_WELCOME)
			to_stranger += (size_t)n;
		memcpy(r->last, out, (size_t)n);
		r->last_len = n;
	}
	if (!authenticated && to_stranger > request)
		abort();
}

/* The member whose pair key authenticates a body: the member its first
 * element names, or member 1. */
static inline const uint8_t *gfz_pair(const struct gfz_run *r, const uint8_t *body, size_t n)
{
	unsigned i, k = 1;

	/* [from (bin 32), ...]: fixarray, bin 8, length 32, then the id. */
	if (n >= 35 && (body[0] & 0xf0) == 0x90 && body[1] == 0xc4 && body[2] == 32)
		for (i = 0; i < GFZ_MEMBERS; i++)
			if (!memcmp(body + 3, r->f->node[i].pk.b, 32))
				k = i ? i : 1;
	return r->joiner ? r->f->pairj[k] : r->f->pair0[k];
}

/* Delivers one datagram built per the frame flags. */
static inline void gfz_datagram(struct gfz_run *r, uint8_t flags, const uint8_t *b, size_t len)
{
	uint8_t pkt[WEFT_GOSSIP_MTU + 64], fpr[WEFT_WIRE_FPR_LEN], nonce[24] = { 0 };
	weft_endpoint_t from = gfz_endpoint((flags >> 2) & 3);
	uint8_t path = flags & 1 ? WEFT_PATH_OVERLAY : WEFT_PATH_UNDERLAY;
	size_t n, hdr;

	weft_wire_fingerprint(fpr, &r->f->admin.pk);
	if ((flags & 0x12) && len >= 1) {
		bool sealed = flags & 2;
		bool auth = b[0] >= WEFT_MSG_PING && b[0] <= WEFT_MSG_RECORDS && !(flags & 0x20);

		hdr = sealed ? WEFT_WIRE_SEALED_HDR_LEN : WEFT_WIRE_HDR_LEN;
		n = len - 1;
		if (n > WEFT_GOSSIP_MTU - WEFT_WIRE_SEALED_HDR_LEN - WEFT_WIRE_TAG_LEN - WEFT_WIRE_AUTH_LEN)
			n = WEFT_GOSSIP_MTU - WEFT_WIRE_SEALED_HDR_LEN - WEFT_WIRE_TAG_LEN - WEFT_WIRE_AUTH_LEN;
		weft_wire_header(pkt, b[0], fpr, sealed ? WEFT_WIRE_FLAG_SEALED : 0);
		memcpy(pkt + hdr, b + 1, n);
		if (auth) {
			if (!(flags & 0x40))
				r->ctr++;
			n = weft_wire_auth(pkt + hdr, n, pkt, gfz_pair(r, b + 1, n), r->ctr);
		}
		if (sealed) {
			memcpy(nonce, &r->nonce, sizeof(r->nonce));
			r->nonce++;
			n = weft_wire_seal(pkt, n, 1, nonce, r->f->netkey);
		} else {
			n += WEFT_WIRE_HDR_LEN;
		}
		weft_gossip_recv(r->g, path, &from, pkt, n, r->now);
	} else {
		n = len;
		weft_gossip_recv(r->g, path, &from, b, len, r->now);
	}
	gfz_answers(r, &from, n, (flags & 2) || path == WEFT_PATH_OVERLAY);
}

/* Runs the frames of one input (after its mode byte). */
static inline void gfz_frames(struct gfz_run *r, const uint8_t *d, size_t size)
{
	size_t off = 0, len;
	uint8_t op, flags;

	while (size - off >= 3) {
		op = d[off];
		r->now += (uint64_t)(d[off + 1] << 8 | d[off + 2]) * 1000000ull;
		off += 3;
		switch (op % 4) {
		case 0:
			if (size - off < 3)
				return;
			flags = d[off];
			len = (size_t)(d[off + 1] << 8 | d[off + 2]);
			off += 3;
			if (len > size - off)
				len = size - off;
			gfz_datagram(r, flags, d + off, len);
			off += len;
			break;
		case 1:
			break;
		case 2:
			if (size - off < 2)
				return;
			weft_gossip_tunnel(r->g, &r->f->node[d[off] % GFZ_MEMBERS].pk, d[off + 1] & 1, NULL, r->now);
			off += 2;
			break;
		default:
			weft_gossip_leave(r->g, r->now);
			break;
		}
		weft_gossip_handle_timeout(r->g, r->now);
		gfz_drain(r);
	}
}

#endif
