/* gossip/node.c: a node's lifecycle and its sans-IO surface: the receive
 * dispatch table, the outgoing datagram queue, the event queue, timers and
 * deadlines, and the store callback that turns merged records into
 * dissemination and membership changes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/error.h"
#include "gossip/internal.h"

const uint8_t weft_g_net_subject[32];

/* ---- allocation (injected) ---- */

static void *libc_calloc(void *ud, size_t n, size_t size)
{
	return calloc(n, size);
}

static void *libc_realloc(void *ud, void *p, size_t size)
{
	return realloc(p, size);
}

static void libc_free(void *ud, void *p)
{
	free(p);
}

static const weft_gossip_mem_t libc_mem = { libc_calloc, libc_realloc, libc_free, NULL };

void *weft_g_calloc(const weft_gossip_mem_t *mem, size_t n, size_t size)
{
	mem = mem && mem->calloc ? mem : &libc_mem;
	return mem->calloc(mem->ud, n, size);
}

void *weft_g_realloc(const weft_gossip_mem_t *mem, void *p, size_t n, size_t size)
{
	mem = mem && mem->realloc ? mem : &libc_mem;
	if (size && n > SIZE_MAX / size)
		return NULL;
	return mem->realloc(mem->ud, p, n * size);
}

void weft_g_free(const weft_gossip_mem_t *mem, void *p)
{
	mem = mem && mem->free ? mem : &libc_mem;
	if (p)
		mem->free(mem->ud, p);
}

/* ---- randomness: xoshiro256** seeded once from the injected source ---- */

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t weft_g_rand(weft_gossip_t *g)
{
	uint64_t *s = g->rng;
	uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return r;
}

uint32_t weft_g_rand_below(weft_gossip_t *g, uint32_t n)
{
	if (n == 0)
		return 0;
	return (uint32_t)(((weft_g_rand(g) >> 32) * (uint64_t)n) >> 32);
}

/* ---- names ---- */

const char *weft_liveness_name(unsigned state)
{
	static const char *const names[] = { "none", "alive", "suspect", "dead", "left" };

	return state < sizeof(names) / sizeof(names[0]) ? names[state] : "unknown";
}

const char *weft_gossip_event_name(unsigned type)
{
	static const char *const names[WEFT_GEV_MAX + 1] = {
		[WEFT_GEV_MEMBER_ADDED] = "member-added",
		[WEFT_GEV_MEMBER_CHANGED] = "member-changed",
		[WEFT_GEV_MEMBER_REMOVED] = "member-removed",
		[WEFT_GEV_RECORD] = "record",
		[WEFT_GEV_LIVENESS] = "liveness",
		[WEFT_GEV_ENDPOINT] = "endpoint",
		[WEFT_GEV_JOINED] = "joined",
		[WEFT_GEV_JOIN_FAILED] = "join-failed",
		[WEFT_GEV_NETKEY] = "netkey",
		[WEFT_GEV_OVERFLOW] = "overflow",
		[WEFT_GEV_REVOKED] = "revoked",
		[WEFT_GEV_MISBEHAVING] = "misbehaving",
		[WEFT_GEV_INCARNATION] = "incarnation",
	};

	return type <= WEFT_GEV_MAX && names[type] ? names[type] : "unknown";
}

void weft_gossip_params_default(struct weft_gossip_params *p)
{
	*p = (struct weft_gossip_params){
		.probe_interval_ms = 1000,
		.probe_timeout_ms = 500,
		.indirect_checks = 3,
		.suspicion_mult = 1,
		.suspicion_max_mult = 3,
		.awareness_max = 8,
		.gossip_interval_ms = 200,
		.gossip_fanout = 3,
		.retransmit_mult = 4,
		.pushpull_interval_ms = 30000,
		.pushpull_fast_ms = 1000,
		.dead_retry_min_ms = 2000,
		.dead_retry_max_ms = 60000,
		.join_retry_ms = 1000,
		.join_timeout_ms = 30000,
		.max_clock_skew_s = 600,
	};
}

/* A zero field in caller-supplied params means "the default". */
static void params_fill(struct weft_gossip_params *p, const struct weft_gossip_params *in)
{
	struct weft_gossip_params d;
	uint32_t *dst = (uint32_t *)p;
	const uint32_t *def = (const uint32_t *)&d;
	size_t i;

	weft_gossip_params_default(&d);
	*p = in ? *in : d;
	for (i = 0; i < sizeof(*p) / sizeof(uint32_t); i++)
		if (dst[i] == 0)
			dst[i] = def[i];
	if (p->probe_timeout_ms >= p->probe_interval_ms)
		p->probe_timeout_ms = p->probe_interval_ms / 2;
	if (p->gossip_fanout > 16)
		p->gossip_fanout = 16;
	if (p->indirect_checks > 8)
		p->indirect_checks = 8;
}

/* ---- time ---- */

static void advance(weft_gossip_t *g, uint64_t now)
{
	if (now > g->now)
		g->now = now;
}

uint32_t weft_g_secs(const weft_gossip_t *g)
{
	return (uint32_t)((g->now - g->t0) / 1000000000ull);
}

bool weft_g_wall_ms(const weft_gossip_t *g, uint64_t *ms)
{
	if (!g->has_wall)
		return false;
	if (g->now >= g->wall_ns)
		*ms = g->wall_ms + (g->now - g->wall_ns) / 1000000ull;
	else
		*ms = g->wall_ms - (g->wall_ns - g->now) / 1000000ull;
	return true;
}

void weft_gossip_set_wallclock(weft_gossip_t *g, uint64_t now, uint64_t unix_ms)
{
	advance(g, now);
	g->has_wall = true;
	g->wall_ns = now;
	g->wall_ms = unix_ms;
}

/* ---- events ---- */

void weft_g_event(weft_gossip_t *g, const struct weft_gossip_event *ev)
{
	struct weft_gossip_event *q;
	uint32_t i, cap;

	if (g->quiet)
		return;
	if (g->event_mask && !(g->event_mask & (1u << ev->type)))
		return;
	if (g->ev_n == g->ev_cap) {
		if (g->ev_cap >= WEFT_GOSSIP_EVENTS_MAX) {
			g->ev_overflow = true;
			return;
		}
		cap = g->ev_cap ? g->ev_cap * 2 : 16;
		q = weft_g_calloc(&g->mem, cap, sizeof(*q));
		if (!q) {
			g->ev_overflow = true;
			return;
		}
		for (i = 0; i < g->ev_n; i++)
			q[i] = g->evq[(g->ev_head + i) % g->ev_cap];
		weft_g_free(&g->mem, g->evq);
		g->evq = q;
		g->ev_cap = cap;
		g->ev_head = 0;
	}
	g->evq[(g->ev_head + g->ev_n) % g->ev_cap] = *ev;
	g->ev_n++;
}

bool weft_gossip_poll_event(weft_gossip_t *g, struct weft_gossip_event *ev)
{
	if (g->ev_n == 0) {
		if (!g->ev_overflow)
			return false;
		g->ev_overflow = false;
		memset(ev, 0, sizeof(*ev));
		ev->type = WEFT_GEV_OVERFLOW;
		return true;
	}
	*ev = g->evq[g->ev_head];
	g->ev_head = (g->ev_head + 1) % g->ev_cap;
	g->ev_n--;
	return true;
}

/* ---- outgoing datagrams ---- */

static int outq_push(weft_gossip_t *g, const struct weft_gossip_dgram *dg, const uint8_t *data, size_t len)
{
	struct gout *o, **q;
	uint32_t i, cap;

	if (g->out_n >= WEFT_G_OUTQ_MAX)
		return -ENOBUFS;
	if (g->out_n == g->out_cap) {
		cap = g->out_cap ? g->out_cap * 2 : 16;
		q = weft_g_calloc(&g->mem, cap, sizeof(*q));
		if (!q)
			return -ENOMEM;
		for (i = 0; i < g->out_n; i++)
			q[i] = g->outq[(g->out_head + i) % g->out_cap];
		weft_g_free(&g->mem, g->outq);
		g->outq = q;
		g->out_cap = cap;
		g->out_head = 0;
	}
	o = weft_g_calloc(&g->mem, 1, sizeof(*o) + len);
	if (!o)
		return -ENOMEM;
	o->dg = *dg;
	o->len = (uint16_t)len;
	memcpy(o->data, data, len);
	g->outq[(g->out_head + g->out_n) % g->out_cap] = o;
	g->out_n++;
	g->st.pkts_sent++;
	g->st.bytes_sent += len;
	return 0;
}

int weft_gossip_poll_send(weft_gossip_t *g, uint8_t *out, size_t cap, struct weft_gossip_dgram *dg)
{
	struct gout *o;
	int len;

	if (g->out_n == 0)
		return 0;
	o = g->outq[g->out_head];
	if (cap < o->len)
		return -ENOSPC;
	memcpy(out, o->data, o->len);
	*dg = o->dg;
	len = o->len;
	g->outq[g->out_head] = NULL;
	g->out_head = (g->out_head + 1) % g->out_cap;
	g->out_n--;
	weft_g_free(&g->mem, o);
	return len;
}

/* ---- the dispatch table ---- */

enum { CLS_M = 1, CLS_J = 2 };

struct handler {
	uint8_t cls;
	int (*fn)(weft_gossip_t *g, struct grx *rx);
};

static const struct handler handlers[WEFT_MSG_MAX + 1] = {
	[WEFT_MSG_PING] = { CLS_M, weft_swim_on_ping },
	[WEFT_MSG_ACK] = { CLS_M, weft_swim_on_ack },
	[WEFT_MSG_PING_REQ] = { CLS_M, weft_swim_on_ping_req },
	[WEFT_MSG_NACK] = { CLS_M, weft_swim_on_nack },
	[WEFT_MSG_GOSSIP] = { CLS_M, weft_bcast_on_gossip },
	[WEFT_MSG_SYNC] = { CLS_M, weft_sync_on_sync },
	[WEFT_MSG_SYNC_DIFF] = { CLS_M, weft_sync_on_diff },
	[WEFT_MSG_SYNC_LIST] = { CLS_M, weft_sync_on_list },
	[WEFT_MSG_SYNC_WANT] = { CLS_M, weft_sync_on_want },
	[WEFT_MSG_RECORDS] = { CLS_M, weft_sync_on_records },
	[WEFT_MSG_JOIN_HELLO] = { CLS_J, weft_join_on_hello },
	[WEFT_MSG_JOIN_COOKIE] = { CLS_J, weft_join_on_cookie },
	[WEFT_MSG_JOIN_REQ] = { CLS_J, weft_join_on_request },
	[WEFT_MSG_JOIN_WELCOME] = { CLS_J, weft_join_on_welcome },
	[WEFT_MSG_JOIN_REFUSE] = { CLS_J, weft_join_on_refuse },
};

void weft_g_pkt_start(weft_gossip_t *g, struct gpkt *pk, uint8_t type, const struct weft_gossip_dgram *dest)
{
	size_t hdr;

	pk->type = type;
	pk->dest = *dest;
	pk->key = NULL;
	pk->sealed = handlers[type].cls == CLS_M && dest->path == WEFT_PATH_UNDERLAY;
	hdr = pk->sealed ? WEFT_WIRE_SEALED_HDR_LEN : WEFT_WIRE_HDR_LEN;
	pk->w.p = pk->buf + hdr;
	pk->w.len = 0;
	/* A member message ends with the sender's counter and MAC. */
	pk->w.cap = WEFT_GOSSIP_MTU - hdr - (pk->sealed ? WEFT_WIRE_TAG_LEN : 0) -
		    (handlers[type].cls == CLS_M ? WEFT_WIRE_AUTH_LEN : 0);
	pk->w.overflow = false;
}

size_t weft_g_pkt_room(const struct gpkt *pk)
{
	return pk->w.overflow ? 0 : pk->w.cap - pk->w.len;
}

int weft_g_pkt_send(weft_gossip_t *g, struct gpkt *pk)
{
	uint8_t nonce[24];
	size_t len;
	uint64_t ctr;
	int i, ret;

	size_t plen = pk->w.len;
	const uint8_t *pair;

	if (pk->w.overflow)
		return WEFT_EOVERSIZE;
	weft_wire_header(pk->buf, pk->type, g->fpr, pk->sealed ? WEFT_WIRE_FLAG_SEALED : 0);
	if (handlers[pk->type].cls == CLS_M) {
		/* Only the receiver can check it: the MAC is keyed with our
		 * pair key. Every member message names its receiver. */
		if (!pk->dest.has_peer)
			return WEFT_EPROTO;
		pair = weft_auth_pair_key(g, &pk->dest.peer, weft_dir_find(g->dir, &pk->dest.peer));
		if (!pair)
			return WEFT_EBADSIG;
		plen = weft_wire_auth(pk->w.p, pk->w.len, pk->buf, pair, weft_auth_next_ctr(g));
		sodium_memzero(g->pair_scratch, sizeof(g->pair_scratch));
	}
	if (pk->sealed) {
		const struct gkey *k = weft_netkey_sealing(g);
		const uint8_t *key = k ? k->key : NULL;
		uint32_t epoch = k ? k->epoch : 0;

		if (pk->key) {
			key = pk->key;
			epoch = pk->key_epoch;
		}
		if (!key)
			return WEFT_ENOTFOUND;
		/* A random per-node prefix and a counter: unique nonces without
		 * asking the injected source for randomness per packet. */
		ctr = g->nonce_ctr++;
		memcpy(nonce, g->nonce_prefix, 16);
		for (i = 0; i < 8; i++)
			nonce[16 + i] = (uint8_t)(ctr >> (56 - 8 * i));
		len = weft_wire_seal(pk->buf, plen, epoch, nonce, key);
	} else {
		len = WEFT_WIRE_HDR_LEN + plen;
	}
	ret = outq_push(g, &pk->dest, pk->buf, len);
	return ret ? ret : (int)len;
}

/* ---- records entering the store ---- */

static void store_cb(void *ctx, const weft_record_t *r, weft_merge_result_t how)
{
	weft_gossip_t *g = ctx;
	struct gchange *c;
	uint32_t cap;

	if (g->nchg == g->chg_cap) {
		cap = g->chg_cap ? g->chg_cap * 2 : 8;
		c = weft_g_realloc(&g->mem, g->chg, cap, sizeof(*c));
		if (!c)
			return; /* anti-entropy will carry it; the store holds it */
		g->chg = c;
		g->chg_cap = cap;
	}
	c = &g->chg[g->nchg++];
	c->type = r->type;
	c->how = (uint8_t)how;
	weft_record_subject(r, c->subject);
}

void weft_g_membership(weft_gossip_t *g)
{
	const struct gmember *self = &g->m[g->self];
	bool was = g->member, was_revoked = g->revoked;
	struct weft_gossip_event ev;

	g->revoked = (self->flags & MF_REVOKED) != 0;
	g->member = g->key.valid && (self->flags & MF_PRESENT) && !g->revoked;
	if (g->revoked && !was_revoked) {
		/* Our own revocation reached the store (by gossip, sync, or a
		 * member telling us): we stop taking part, and say so. */
		memset(&ev, 0, sizeof(ev));
		ev.type = WEFT_GEV_REVOKED;
		ev.node = g->id.pk;
		weft_g_event(g, &ev);
	}
	if (g->member && !was) {
		g->next_probe = g->now + MS(weft_g_rand_below(g, g->p.probe_interval_ms));
		if (g->next_sync == UINT64_MAX)
			g->next_sync = g->now + MS(g->p.pushpull_fast_ms);
	}
}

/* The callback only notes what entered; the work happens here, after the
 * merge returned, so nothing re-enters the store during a merge. */
static void flush_changes(weft_gossip_t *g)
{
	struct weft_gossip_event ev;
	uint32_t i;

	for (i = 0; i < g->nchg; i++) {
		const struct gchange *c = &g->chg[i];

		if (c->how == WEFT_MERGE_PENDING)
			continue;
		memset(&ev, 0, sizeof(ev));
		ev.type = WEFT_GEV_RECORD;
		ev.rec_type = c->type;
		ev.how = c->how;
		memcpy(ev.subject, c->subject, 32);
		weft_g_event(g, &ev);
		if (!g->quiet)
			weft_bcast_record(g, c->type, c->subject);
		weft_members_record(g, c);
	}
	g->nchg = 0;
	weft_g_membership(g);
}

/* ---- a member's state records, rate-limited ---- */

/* A member signs its own state record as often as it likes; forwarded at
 * that rate, one member's flood would multiply the whole mesh's traffic.
 * So each member's new versions enter the store (and so the dissemination
 * queue and the anti-entropy digests) at most WEFT_G_STATE_BURST at once
 * and then one per WEFT_G_STATE_INTERVAL_S (a generic cell rate: st_tat is
 * when the next would be on time); one that comes sooner waits here, the
 * newest per member, and enters when its turn comes. */
static void defer_state(weft_gossip_t *g, uint32_t idx, const weft_record_t *r, uint32_t due_s)
{
	struct gdefer *d, *slot = NULL;
	weft_record_t held;
	uint32_t i;

	if (!g->defer) {
		g->defer = weft_g_calloc(&g->mem, WEFT_G_DEFER_MAX, sizeof(*g->defer));
		if (!g->defer)
			return; /* anti-entropy will bring it */
	}
	for (i = 0; i < WEFT_G_DEFER_MAX; i++) {
		d = &g->defer[i];
		if (d->member1 == idx + 1) {
			/* Keep the newer of the two. */
			if (weft_record_decode(&held, d->raw, d->len, NULL) == 0 &&
			    held.u.node_state.version >= r->u.node_state.version)
				return;
			slot = d;
			break;
		}
		if (!d->member1 && !slot)
			slot = d;
	}
	if (!slot)
		return; /* full: anti-entropy will bring it */
	if (!slot->member1)
		g->ndefer++;
	slot->member1 = idx + 1;
	slot->due_s = due_s;
	slot->len = r->raw_len;
	memcpy(slot->raw, r->raw, r->raw_len);
	g->st.state_deferred++;
}

/* True when raw is a member's state record that must wait its turn (it
 * was put aside). */
static bool state_limited(weft_gossip_t *g, const uint8_t *raw, size_t len)
{
	const uint32_t slack = (WEFT_G_STATE_BURST - 1) * WEFT_G_STATE_INTERVAL_S;
	const weft_record_t *held;
	weft_record_t r;
	struct gmember *m;
	uint32_t idx, now_s, tat;

	/* [1, type, ...]: only node state records are limited. */
	if (len < 3 || raw[0] != 0x95 || raw[1] != WEFT_RECORD_FORMAT || raw[2] != WEFT_REC_NODE_STATE)
		return false;
	if (weft_record_decode(&r, raw, len, NULL))
		return false;
	idx = weft_dir_find(g->dir, &r.u.node_state.node_id);
	if (idx == WEFT_G_NONE || !weft_members_known(g, idx))
		return false;
	/* The first one, and anything not newer, the store decides on. */
	held = weft_store_get(g->store, WEFT_REC_NODE_STATE, r.u.node_state.node_id.b);
	if (!held || r.u.node_state.version <= held->u.node_state.version)
		return false;
	/* Someone else's forgery must not use up the member's turns. */
	if (weft_vcache_verify(g->vc, &r))
		return false;
	m = &g->m[idx];
	now_s = weft_g_secs(g);
	tat = m->st_tat > now_s ? m->st_tat : now_s;
	if (tat - now_s > slack) {
		defer_state(g, idx, &r, tat - slack);
		return true;
	}
	m->st_tat = tat + WEFT_G_STATE_INTERVAL_S;
	return false;
}

bool weft_g_state_throttled(weft_gossip_t *g, const weft_record_t *r)
{
	uint32_t idx, now_s;

	if (r->type != WEFT_REC_NODE_STATE)
		return false;
	idx = weft_dir_find(g->dir, &r->u.node_state.node_id);
	if (idx == WEFT_G_NONE || idx >= g->mcap)
		return false;
	now_s = weft_g_secs(g);
	/* At most one more allowed now: it publishes faster than its pace. */
	return g->m[idx].st_tat > now_s &&
	       g->m[idx].st_tat - now_s >= (WEFT_G_STATE_BURST - 2) * WEFT_G_STATE_INTERVAL_S;
}

static void defer_timers(weft_gossip_t *g)
{
	uint32_t now_s = weft_g_secs(g), i;
	struct gdefer *d;

	for (i = 0; i < WEFT_G_DEFER_MAX && g->ndefer; i++) {
		d = &g->defer[i];
		if (!d->member1 || d->due_s > now_s)
			continue;
		d->member1 = 0;
		g->ndefer--;
		weft_g_merge_raw(g, d->raw, d->len);
	}
}

static uint64_t defer_deadline(const weft_gossip_t *g)
{
	uint64_t t = UINT64_MAX, at;
	uint32_t i;

	for (i = 0; i < WEFT_G_DEFER_MAX && g->ndefer; i++) {
		if (!g->defer[i].member1)
			continue;
		at = g->t0 + (uint64_t)g->defer[i].due_s * 1000000000ull;
		if (at < t)
			t = at;
	}
	return t;
}

int weft_g_merge_raw(weft_gossip_t *g, const uint8_t *raw, size_t len)
{
	int ret;

	if (state_limited(g, raw, len))
		return WEFT_EPENDING;
	ret = weft_store_merge_bytes(g->store, raw, len, NULL);

	if (ret > 0 && ret != WEFT_MERGE_PENDING)
		g->st.records_merged++;
	flush_changes(g);
	return ret;
}

int weft_g_merge(weft_gossip_t *g, const weft_record_t *r)
{
	int ret = weft_store_merge(g->store, r);

	flush_changes(g);
	return ret;
}

/* ---- lifecycle ---- */

static int load_record(void *ctx, const weft_record_t *r)
{
	weft_gossip_t *g = ctx;
	struct gchange c;

	c.type = r->type;
	c.how = WEFT_MERGE_ADDED;
	weft_record_subject(r, c.subject);
	weft_members_record(g, &c);
	return 0;
}

weft_gossip_t *weft_gossip_new(const struct weft_gossip_config *cfg, uint64_t now, int *err)
{
	static const uint8_t load_order[] = {
		WEFT_REC_MEMBER,     WEFT_REC_OVERRIDE, WEFT_REC_NODE_STATE,
		WEFT_REC_REVOCATION, WEFT_REC_KEYRING,  WEFT_REC_KEYSHARE,
	};
	uint8_t seed[32];
	weft_gossip_t *g = NULL;
	size_t i;
	int ret;

	if (!cfg || !cfg->identity || !cfg->store || !cfg->rand) {
		ret = -EINVAL;
		goto fail;
	}
	g = weft_g_calloc(cfg->mem, 1, sizeof(*g));
	if (!g) {
		ret = -ENOMEM;
		goto fail;
	}
	g->mem = cfg->mem ? *cfg->mem : libc_mem;
	g->id = *cfg->identity;
	g->store = cfg->store;
	g->rand = cfg->rand;
	g->rand_ctx = cfg->rand_ctx;
	g->event_mask = cfg->event_mask;
	params_fill(&g->p, cfg->params);
	g->network_id = *weft_store_network_id(g->store);
	weft_wire_fingerprint(g->fpr, &g->network_id);
	g->now = g->t0 = now;
	g->next_probe = g->next_gossip = g->next_sync = UINT64_MAX;
	g->sync_hint = g->sync_silent = WEFT_G_NONE;
	g->probe_next = WEFT_G_NONE;

	g->rand(g->rand_ctx, seed, sizeof(seed));
	for (i = 0; i < 4; i++) {
		memcpy(&g->rng[i], seed + 8 * i, 8);
		g->rng[i] ^= 0x9e3779b97f4a7c15ull * (i + 1); /* never all zero */
	}
	sodium_memzero(seed, sizeof(seed));
	g->rand(g->rand_ctx, g->nonce_prefix, sizeof(g->nonce_prefix));
	g->rand(g->rand_ctx, g->cookie_key, sizeof(g->cookie_key));
	if (crypto_sign_ed25519_sk_to_curve25519(g->xsk, g->id.sk)) {
		ret = -EINVAL;
		goto fail;
	}
	if (cfg->vcache) {
		g->vc = cfg->vcache;
	} else {
		g->vc = weft_vcache_new(256);
		g->own_vc = true;
		if (!g->vc) {
			ret = -ENOMEM;
			goto fail;
		}
	}

	if (cfg->dir) {
		g->dir = cfg->dir;
	} else {
		g->dir = weft_gossip_dir_new(cfg->mem);
		g->own_dir = true;
		if (!g->dir) {
			ret = -ENOMEM;
			goto fail;
		}
	}
	g->self = weft_dir_intern(g->dir, &g->id.pk);
	/* One allocation for the members a shared directory already knows. */
	if (g->self == WEFT_G_NONE || weft_members_reserve(g, (uint32_t)weft_gossip_dir_count(g->dir) - 1)) {
		ret = -ENOMEM;
		goto fail;
	}
	g->m[g->self].flags |= MF_SELF;
	g->inc = cfg->incarnation;
	if (cfg->netkey) {
		ret = weft_netkey_install(g, cfg->netkey_epoch, cfg->netkey, 0);
		if (ret)
			goto fail;
	}

	/* What the store already holds is the starting state, not news. */
	g->quiet = true;
	for (i = 0; i < sizeof(load_order); i++)
		weft_store_foreach(g->store, load_order[i], load_record, g);
	g->quiet = false;
	weft_store_set_callback(g->store, store_cb, g);
	weft_g_membership(g);
	if (err)
		*err = 0;
	return g;
fail:
	weft_gossip_free(g);
	if (err)
		*err = ret;
	return NULL;
}

void weft_gossip_free(weft_gossip_t *g)
{
	weft_gossip_mem_t mem;

	if (!g)
		return;
	mem = g->mem;
	if (g->store)
		weft_store_set_callback(g->store, NULL, NULL);
	while (g->out_n) {
		weft_g_free(&mem, g->outq[g->out_head]);
		g->out_head = (g->out_head + 1) % g->out_cap;
		g->out_n--;
	}
	weft_g_free(&mem, g->outq);
	weft_g_free(&mem, g->evq);
	weft_g_free(&mem, g->chg);
	weft_g_free(&mem, g->m);
	weft_g_free(&mem, g->susp);
	weft_g_free(&mem, g->heap);
	weft_g_free(&mem, g->bq);
	weft_g_free(&mem, g->scratch);
	weft_g_free(&mem, g->rl);
	weft_g_free(&mem, g->obs);
	weft_g_free(&mem, g->defer);
	if (g->own_vc)
		weft_vcache_free(g->vc);
	if (g->join) {
		sodium_memzero(g->join, sizeof(*g->join));
		weft_g_free(&mem, g->join);
	}
	if (g->own_dir)
		weft_gossip_dir_free(g->dir);
	sodium_memzero(g, sizeof(*g));
	weft_g_free(&mem, g);
}

/* ---- receive ---- */

/* A packet sealed with the network key came from a node we hold a
 * revocation for: it still has the key and does not know. Answer with a
 * records packet carrying the revocation, so it stops gossiping. The caller
 * rate-limits these answers per source address, as join traffic is, so a
 * revoked node (or someone replaying its packets) cannot make us its
 * amplifier. */
static void tell_revoked(weft_gossip_t *g, const struct grx *rx, uint32_t epoch)
{
	const weft_record_t *rev;
	struct gpkt pk;

	rev = weft_store_get(g->store, WEFT_REC_REVOCATION, rx->sender.b);
	if (!rev)
		return;
	weft_g_pkt_start(g, &pk, WEFT_MSG_RECORDS, &rx->reply);
	/* Sealed with the key its packet came with: a revocation usually
	 * comes with a new network key it gets no share of, and once we seal
	 * with the new key it could not open our answer (seen in the
	 * namespace test when its first underlay packet came after half the
	 * grace). The revocation is no secret. */
	pk.key = weft_netkey_for(g, epoch);
	pk.key_epoch = epoch;
	weft_mp_array(&pk.w, 3);
	weft_mp_bin(&pk.w, g->id.pk.b, WEFT_PK_LEN);
	weft_mp_uint(&pk.w, 0);
	weft_mp_array(&pk.w, 1);
	weft_mp_bin(&pk.w, rev->raw, rev->raw_len);
	weft_g_pkt_send(g, &pk);
}

static int recv_member(weft_gossip_t *g, struct grx *rx, const struct weft_wire_hdr *h, const uint8_t *pkt,
		       size_t len, uint8_t *plain)
{
	const uint8_t *payload = h->body, *id, *pair;
	size_t plen = h->body_len, blen;
	const uint8_t *key;
	struct gmember *m;
	uint64_t ctr;
	uint32_t n, idx;
	bool revoked;
	int ret;

	if (!g->member)
		return WEFT_EPROTO;
	if (rx->path == WEFT_PATH_UNDERLAY) {
		if (!(h->flags & WEFT_WIRE_FLAG_SEALED))
			return WEFT_EPROTO;
		key = weft_netkey_for(g, h->epoch);
		if (!key)
			return WEFT_EBADSIG;
		ret = weft_wire_open(pkt, len, key, plain, WEFT_GOSSIP_MTU);
		if (ret < 0)
			return ret;
		payload = plain;
		plen = (size_t)ret;
	} else if (h->flags & WEFT_WIRE_FLAG_SEALED) {
		return WEFT_EPROTO;
	}
	if (plen <= WEFT_WIRE_AUTH_LEN)
		return WEFT_EMALFORMED;
	rx->r = (struct weft_rbuf){ payload, plen - WEFT_WIRE_AUTH_LEN, 0 };
	if (weft_mp_read_array(&rx->r, &n) || n < 2 || weft_mp_read_binfix(&rx->r, &id, WEFT_PK_LEN))
		return WEFT_EMALFORMED;
	memcpy(rx->sender.b, id, WEFT_PK_LEN);
	if (sodium_memcmp(id, g->id.pk.b, WEFT_PK_LEN) == 0)
		return WEFT_EPROTO; /* our own packet reflected back */
	idx = weft_dir_find(g->dir, &rx->sender);
	revoked = idx != WEFT_G_NONE && idx < g->mcap && (g->m[idx].flags & MF_REVOKED);
	/* The sender is who the MAC says, not who the body says: a member
	 * holding the network key, or a relay that can put any overlay
	 * source address on a packet, cannot speak for another. */
	pair = weft_auth_pair_key(g, &rx->sender, idx);
	if (!pair)
		return WEFT_EBADSIG;
	ret = weft_wire_auth_check(payload, plen, pkt, pair, &blen, &ctr);
	sodium_memzero(g->pair_scratch, sizeof(g->pair_scratch));
	if (ret) {
		g->st.auth_failed++;
		return ret;
	}
	rx->nfields = n - 1;
	rx->sender_idx = idx;
	rx->reply.path = rx->path;
	rx->reply.to = *rx->from;
	rx->reply.has_peer = true;
	rx->reply.peer = rx->sender;
	if (revoked) {
		if (rx->path == WEFT_PATH_UNDERLAY && weft_ratelimit_allow(g, &rx->from->ip))
			tell_revoked(g, rx, h->epoch);
		return WEFT_EREVOKED;
	}
	if (idx != WEFT_G_NONE && !weft_members_known(g, idx))
		rx->sender_idx = WEFT_G_NONE;
	if (rx->sender_idx != WEFT_G_NONE) {
		/* Newer than anything it sent us before: not a replay. */
		m = &g->m[idx];
		rx->fresh = ctr > m->ctr;
		if (rx->fresh)
			m->ctr = ctr;
	}
	return 0;
}

int weft_gossip_recv(weft_gossip_t *g, uint8_t path, const weft_endpoint_t *from, const uint8_t *buf, size_t len,
		     uint64_t now)
{
	uint8_t plain[WEFT_GOSSIP_MTU];
	struct weft_wire_hdr h;
	const struct handler *hd;
	struct grx rx;
	uint32_t n;
	int ret;

	advance(g, now);
	g->st.pkts_recv++;
	g->st.bytes_recv += len;
	if (path > WEFT_PATH_OVERLAY || !from) {
		ret = -EINVAL;
		goto drop;
	}
	ret = weft_wire_parse(buf, len, g->fpr, &h);
	if (ret)
		goto drop;
	hd = h.type <= WEFT_MSG_MAX ? &handlers[h.type] : NULL;
	if (!hd || !hd->fn) {
		ret = WEFT_EMALFORMED;
		goto drop;
	}
	memset(&rx, 0, sizeof(rx));
	rx.type = h.type;
	rx.path = path;
	rx.from = from;
	rx.pkt_len = len;
	rx.sender_idx = WEFT_G_NONE;
	if (hd->cls == CLS_M) {
		ret = recv_member(g, &rx, &h, buf, len, plain);
		if (ret)
			goto drop;
	} else {
		/* Join traffic is only ever on the underlay and never sealed
		 * with the network key: a joiner does not have it. */
		if (path != WEFT_PATH_UNDERLAY || (h.flags & WEFT_WIRE_FLAG_SEALED)) {
			ret = WEFT_EPROTO;
			goto drop;
		}
		rx.r = (struct weft_rbuf){ h.body, h.body_len, 0 };
		if (weft_mp_read_array(&rx.r, &n)) {
			ret = WEFT_EMALFORMED;
			goto drop;
		}
		rx.nfields = n;
		rx.reply.path = WEFT_PATH_UNDERLAY;
		rx.reply.to = *from;
	}
	ret = hd->fn(g, &rx);
	flush_changes(g);
	if (ret < 0)
		goto drop;
	/* Where a member is, and that it lives, is learnt only from its own
	 * authenticated packets, and not from a replayed one. */
	if (hd->cls == CLS_M && rx.sender_idx != WEFT_G_NONE && rx.fresh) {
		if (path == WEFT_PATH_OVERLAY)
			g->m[rx.sender_idx].flags &= (uint8_t)~MF_OVL_FAIL;
		else
			weft_members_observed(g, rx.sender_idx, WEFT_EP_OBSERVED, from);
		weft_swim_heard_from(g, rx.sender_idx);
	}
	return 0;
drop:
	g->st.dropped++;
	return ret;
}

/* ---- timers ---- */

void weft_gossip_handle_timeout(weft_gossip_t *g, uint64_t now)
{
	advance(g, now);
	if (g->old_key.valid && g->now >= g->old_key_until) {
		sodium_memzero(&g->old_key, sizeof(g->old_key));
		g->old_key_until = UINT64_MAX;
	}
	weft_join_timers(g);
	if (g->ndefer)
		defer_timers(g);
	if (g->member) {
		weft_swim_timers(g);
		if (!g->left && g->now >= g->next_probe)
			weft_swim_tick(g);
		if (g->now >= g->next_gossip)
			weft_bcast_round(g);
		weft_sync_timers(g);
		if (!g->left && g->now >= g->next_sync)
			weft_sync_tick(g);
	}
	flush_changes(g);
}

static uint64_t min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

uint64_t weft_gossip_next_deadline(const weft_gossip_t *g)
{
	uint64_t t = weft_join_deadline(g);

	if (g->old_key.valid)
		t = min64(t, g->old_key_until);
	if (g->ndefer)
		t = min64(t, defer_deadline(g));
	if (g->member) {
		t = min64(t, weft_swim_deadline(g));
		t = min64(t, g->next_gossip);
		t = min64(t, weft_sync_deadline(g));
		if (!g->left) {
			t = min64(t, g->next_probe);
			t = min64(t, g->next_sync);
		}
	}
	return t;
}

/* ---- inputs ---- */

int weft_gossip_publish(weft_gossip_t *g, const weft_record_t *r, uint64_t now)
{
	advance(g, now);
	return weft_g_merge(g, r);
}

int weft_gossip_tunnel(weft_gossip_t *g, const weft_pk_t *peer, bool up, const weft_endpoint_t *wg_ep, uint64_t now)
{
	uint32_t idx;

	advance(g, now);
	idx = weft_dir_find(g->dir, peer);
	if (idx == WEFT_G_NONE || !weft_members_known(g, idx))
		return WEFT_ENOTFOUND;
	if (up)
		g->m[idx].flags = (uint8_t)((g->m[idx].flags | MF_TUNNEL) & ~MF_OVL_FAIL);
	else
		g->m[idx].flags &= (uint8_t)~MF_TUNNEL;
	if (wg_ep && wg_ep->ip.family)
		weft_members_observed(g, idx, WEFT_EP_WIREGUARD, wg_ep);
	return 0;
}

int weft_gossip_join(weft_gossip_t *g, const weft_token_t *tok, const weft_endpoint_t *bootstrap, size_t nbootstrap,
		     const weft_record_t *state, uint64_t now)
{
	int ret;

	advance(g, now);
	ret = weft_join_start(g, tok, bootstrap, nbootstrap, state);
	flush_changes(g);
	return ret;
}

int weft_gossip_leave(weft_gossip_t *g, uint64_t now)
{
	advance(g, now);
	if (!g->member)
		return WEFT_EPROTO;
	weft_swim_leave(g);
	return 0;
}

/* ---- queries ---- */

int weft_gossip_member(const weft_gossip_t *g, const weft_pk_t *id, struct weft_gossip_member_info *out)
{
	uint32_t idx = weft_dir_find(g->dir, id);
	const struct gmember *m;

	if (idx == WEFT_G_NONE || idx >= g->mcap)
		return WEFT_ENOTFOUND;
	m = &g->m[idx];
	if (!(m->flags & MF_PRESENT) || (m->flags & MF_REVOKED))
		return WEFT_ENOTFOUND;
	out->state = m->state;
	out->incarnation = idx == g->self ? g->inc : m->inc;
	out->tunnel = (m->flags & (MF_TUNNEL | MF_OVL_FAIL)) == MF_TUNNEL;
	return 0;
}

bool weft_gossip_is_member(const weft_gossip_t *g)
{
	return g->member;
}

uint32_t weft_gossip_incarnation(const weft_gossip_t *g)
{
	return g->inc;
}

int weft_gossip_netkey(const weft_gossip_t *g, uint8_t key[WEFT_NETKEY_LEN], uint32_t *epoch)
{
	if (!g->key.valid)
		return WEFT_ENOTFOUND;
	memcpy(key, g->key.key, WEFT_NETKEY_LEN);
	*epoch = g->key.epoch;
	return 0;
}

void weft_gossip_stats(const weft_gossip_t *g, struct weft_gossip_stats *st)
{
	*st = g->st;
	st->members = g->n_present;
	st->alive = g->n_alive;
	st->suspect = g->n_suspect;
	st->dead = g->n_dead;
	st->left = g->n_left;
	st->awareness = g->awareness;
	st->bcast_queued = g->nbq;
}
