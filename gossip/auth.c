/* gossip/auth.c: what makes a member unable to speak for another
 * (docs/DESIGN.md, "As built: a compromised member").
 *
 *  - Pair keys. Every member message carries a MAC keyed with the pair key
 *    of its sender and its receiver, derived from their X25519 keys
 *    (converted from the Ed25519 node ids) as WireGuard's static-static
 *    DH does. Only the two of them can make it: a member holding the
 *    network key, or a relay that can put any source address on an
 *    overlay packet, cannot. The keys are cached in the node-id directory,
 *    per pair; the simulator shares one directory, where each pair's key
 *    is computed once (both sides would compute the same bytes).
 *  - Counters. A member's packets carry a counter that only grows; a
 *    packet whose counter is not above the last one seen from its sender is
 *    a replay or reordered, and teaches nothing about where the sender is.
 *  - Signed updates. A member's incarnation (alive, left) is signed by the
 *    member, an accusation (suspect, dead) by its accuser, so that a
 *    forwarded update cannot be forged or inflated on the way.
 *  - Strikes. A member whose accusations are refuted again and again is
 *    ignored as an accuser for a while and reported (MISBEHAVING). */
#include <string.h>

#include <sodium.h>

#include "core/error.h"
#include "gossip/internal.h"

/* ---- X25519 public keys of ids, once per id ---- */

static int dir_grow_x(weft_gossip_dir_t *d)
{
	uint8_t(*x)[32];
	uint8_t *st;

	if (d->xst && d->cap <= d->xcap)
		return 0;
	x = weft_g_realloc(&d->mem, d->xpk, d->cap, sizeof(*x));
	if (!x)
		return -1;
	d->xpk = x;
	st = weft_g_realloc(&d->mem, d->xst, d->cap, 1);
	if (!st)
		return -1;
	memset(st + d->xcap, 0, d->cap - d->xcap);
	d->xst = st;
	d->xcap = d->cap;
	return 0;
}

static const uint8_t *x25519_of(weft_gossip_dir_t *d, uint32_t idx)
{
	if (idx >= d->n || dir_grow_x(d))
		return NULL;
	if (d->xst[idx] == 0)
		d->xst[idx] = weft_pk_to_x25519(d->xpk[idx], &d->ids[idx]) ? 2 : 1;
	return d->xst[idx] == 1 ? d->xpk[idx] : NULL;
}

/* ---- pair keys ---- */

#define PAIR_PROBE 16

static uint32_t pair_hash(uint32_t lo, uint32_t hi)
{
	uint64_t h = ((uint64_t)lo << 32 | hi) * 0x9e3779b97f4a7c15ull;

	return (uint32_t)(h >> 32) ^ (uint32_t)h;
}

static int pairs_grow(weft_gossip_dir_t *d)
{
	uint32_t cap = d->pairs_cap ? d->pairs_cap * 2 : 64, i, j, h;
	struct gpair *p = weft_g_calloc(&d->mem, cap, sizeof(*p));

	if (!p)
		return -1;
	for (i = 0; i < d->pairs_cap; i++) {
		struct gpair *e = &d->pairs[i];

		if (!e->lo1)
			continue;
		h = pair_hash(e->lo1 - 1, e->hi);
		for (j = 0; j < cap; j++)
			if (!p[(h + j) & (cap - 1)].lo1)
				break;
		p[(h + j) & (cap - 1)] = *e;
	}
	if (d->pairs) {
		sodium_memzero(d->pairs, (size_t)d->pairs_cap * sizeof(*d->pairs));
		weft_g_free(&d->mem, d->pairs);
	}
	d->pairs = p;
	d->pairs_cap = cap;
	return 0;
}

/* The slot for (lo, hi): the one holding it (*found), else a free or the
 * least recently used one of its probe window; NULL without a table. */
static struct gpair *pair_slot(weft_gossip_dir_t *d, uint32_t lo, uint32_t hi, bool *found)
{
	struct gpair *e, *victim = NULL;
	uint32_t h, i;

	*found = false;
	if ((d->npairs + 1) * 2 > d->pairs_cap && d->pairs_cap < WEFT_G_PAIRS_MAX)
		pairs_grow(d);
	if (!d->pairs)
		return NULL;
	h = pair_hash(lo, hi);
	for (i = 0; i < PAIR_PROBE && i < d->pairs_cap; i++) {
		e = &d->pairs[(h + i) & (d->pairs_cap - 1)];
		if (e->lo1 == lo + 1 && e->hi == hi) {
			*found = true;
			return e;
		}
		if (!e->lo1)
			return victim && !victim->lo1 ? victim : e;
		if (!victim || e->used < victim->used)
			victim = e;
	}
	return victim;
}

/* A token bucket for the Diffie-Hellman that senders unknown here cost:
 * made-up ids cannot take more than a sliver of a core. */
static bool dh_allow(weft_gossip_t *g)
{
	const uint64_t full = WEFT_G_DH_BURST * 1000ull;
	uint64_t tokens = g->dh_tokens, add;

	if (g->dh_last == 0)
		tokens = full;
	add = (g->now - g->dh_last) / (1000000000ull / (WEFT_G_DH_RATE * 1000ull));
	tokens = tokens + add > full ? full : tokens + add;
	g->dh_last = g->now ? g->now : 1;
	if (tokens < 1000) {
		g->dh_tokens = (uint32_t)tokens;
		return false;
	}
	g->dh_tokens = (uint32_t)(tokens - 1000);
	return true;
}

static const uint8_t *stranger_key(weft_gossip_t *g, const weft_pk_t *peer)
{
	struct gstranger *e, *victim = &g->strangers[0];
	uint8_t xpk[32];
	unsigned i;

	for (i = 0; i < WEFT_G_STRANGERS; i++) {
		e = &g->strangers[i];
		if (e->used && memcmp(e->id.b, peer->b, WEFT_PK_LEN) == 0) {
			e->used = ++g->stranger_tick;
			return e->key;
		}
		if (e->used < victim->used)
			victim = e;
	}
	if (!dh_allow(g) || weft_pk_to_x25519(xpk, peer) ||
	    weft_wire_pair_key(victim->key, &g->network_id, &g->id.pk, g->xsk, peer, xpk)) {
		sodium_memzero(victim, sizeof(*victim));
		return NULL;
	}
	victim->id = *peer;
	victim->used = ++g->stranger_tick;
	return victim->key;
}

const uint8_t *weft_auth_pair_key(weft_gossip_t *g, const weft_pk_t *peer, uint32_t idx)
{
	uint8_t *scratch = g->pair_scratch;
	weft_gossip_dir_t *d = g->dir;
	const uint8_t *x;
	struct gpair *e;
	uint32_t lo, hi;
	bool found;

	/* An id not in the directory (a member that just joined, or made
	 * up): a small cache of our own and a budget, so that made-up ids
	 * can neither fill the directory nor our CPU. */
	if (idx == WEFT_G_NONE)
		return stranger_key(g, peer);
	lo = idx < g->self ? idx : g->self;
	hi = idx < g->self ? g->self : idx;
	e = pair_slot(d, lo, hi, &found);
	if (found) {
		e->used = ++d->pairs_tick;
		return e->key;
	}
	x = x25519_of(d, idx);
	if (!x)
		return NULL;
	if (!e) {
		if (weft_wire_pair_key(scratch, &g->network_id, &g->id.pk, g->xsk, peer, x))
			return NULL;
		return scratch;
	}
	if (weft_wire_pair_key(e->key, &g->network_id, &g->id.pk, g->xsk, peer, x)) {
		sodium_memzero(e, sizeof(*e));
		return NULL;
	}
	if (!e->lo1)
		d->npairs++;
	e->lo1 = lo + 1;
	e->hi = hi;
	e->used = ++d->pairs_tick;
	return e->key;
}

void weft_auth_dir_free(weft_gossip_dir_t *d)
{
	if (d->pairs) {
		sodium_memzero(d->pairs, (size_t)d->pairs_cap * sizeof(*d->pairs));
		weft_g_free(&d->mem, d->pairs);
	}
	weft_g_free(&d->mem, d->xpk);
	weft_g_free(&d->mem, d->xst);
	d->pairs = NULL;
	d->xpk = NULL;
	d->xst = NULL;
}

/* ---- counters ---- */

uint64_t weft_auth_next_ctr(weft_gossip_t *g)
{
	uint64_t ms, us;

	/* Wall-clock microseconds, so that a restarted node (which forgot its
	 * counter) starts above what it sent before; never backwards. */
	if (weft_g_wall_ms(g, &ms)) {
		us = ms * 1000ull;
		if (us > g->tx_ctr)
			g->tx_ctr = us;
		else
			g->tx_ctr++;
	} else {
		g->tx_ctr++;
	}
	return g->tx_ctr;
}

/* ---- signed membership updates ---- */

void weft_auth_sign_update(weft_gossip_t *g, uint8_t kind, uint32_t node, uint32_t inc, uint8_t sig[WEFT_SIG_LEN])
{
	uint8_t msg[WEFT_WIRE_SWIM_MSG_LEN];
	struct gownsig *o;
	unsigned i;

	for (i = 0; i < WEFT_G_OWNSIGS; i++) {
		o = &g->ownsig[i];
		if (o->kind == kind && o->node == node && o->inc == inc) {
			memcpy(sig, o->sig, WEFT_SIG_LEN);
			return;
		}
	}
	weft_wire_swim_msg(msg, &g->network_id, kind, &g->dir->ids[node], inc);
	weft_sign(sig, msg, sizeof(msg), &g->id);
	o = &g->ownsig[g->ownsig_next++ % WEFT_G_OWNSIGS];
	o->kind = kind;
	o->node = node;
	o->inc = inc;
	memcpy(o->sig, sig, WEFT_SIG_LEN);
}

bool weft_auth_check_update(weft_gossip_t *g, const weft_pk_t *signer, uint8_t kind, const weft_pk_t *node,
			    uint32_t inc, const uint8_t sig[WEFT_SIG_LEN])
{
	uint8_t msg[WEFT_WIRE_SWIM_MSG_LEN];

	weft_wire_swim_msg(msg, &g->network_id, kind, node, inc);
	return weft_vcache_verify_msg(g->vc, signer, msg, sizeof(msg), sig) == 0;
}

/* ---- strikes ---- */

static struct gstrike *strike_find(weft_gossip_t *g, uint32_t member, bool make)
{
	struct gstrike *s, *victim = NULL;
	uint32_t now = weft_g_secs(g), d;
	unsigned i;

	for (i = 0; i < WEFT_G_STRIKES; i++) {
		s = &g->strikes[i];
		if (s->member1 == member + 1)
			break;
		if (!victim || s->member1 == 0 || (victim->member1 && s->count < victim->count))
			victim = s;
	}
	if (i == WEFT_G_STRIKES) {
		if (!make)
			return NULL;
		s = victim;
		memset(s, 0, sizeof(*s));
		s->member1 = member + 1;
		s->last_s = now;
		return s;
	}
	/* Forgive one per decay period. */
	d = (now - s->last_s) / WEFT_G_STRIKE_DECAY_S;
	if (d) {
		s->count = d >= s->count ? 0 : (uint16_t)(s->count - d);
		s->last_s += d * WEFT_G_STRIKE_DECAY_S;
		if (s->count < WEFT_G_STRIKE_LIMIT)
			s->reported = false;
	}
	return s;
}

void weft_auth_strike(weft_gossip_t *g, uint32_t member)
{
	struct weft_gossip_event ev;
	struct gstrike *s;

	if (member == WEFT_G_NONE || member == g->self || member >= g->dir->n)
		return;
	s = strike_find(g, member, true);
	if (s->count < UINT16_MAX)
		s->count++;
	if (s->count == 1)
		s->last_s = weft_g_secs(g);
	g->st.strikes++;
	if (s->count >= WEFT_G_STRIKE_LIMIT && !s->reported) {
		s->reported = true;
		memset(&ev, 0, sizeof(ev));
		ev.type = WEFT_GEV_MISBEHAVING;
		ev.node = g->dir->ids[member];
		ev.count = s->count;
		weft_g_event(g, &ev);
	}
}

bool weft_auth_limited(weft_gossip_t *g, uint32_t member)
{
	const struct gstrike *s = strike_find(g, member, false);

	return s && s->count >= WEFT_G_STRIKE_LIMIT;
}
