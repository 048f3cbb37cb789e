/* gossip/bcast.c: dissemination. A bounded queue of updates (membership
 * news and records that entered the store), each sent about
 * retransmit_mult * ceil(log10(N + 1)) times, piggybacked on every ping,
 * ack and gossip packet and sent in gossip rounds to `fanout` random
 * members. Revocations go first, then membership news, then admin records,
 * then the rest; within a class the least-sent (newest) first. */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "internal.h"

uint32_t weft_bcast_limit(const weft_gossip_t *g)
{
	uint64_t v = 1, n = (uint64_t)g->n_present + 1;
	uint32_t l = 0;

	while (v < n) {
		l++;
		v *= 10;
	}
	return g->p.retransmit_mult * (l ? l : 1);
}

static uint8_t record_prio(uint8_t type)
{
	switch (type) {
	case WEFT_REC_REVOCATION:
		return 0;
	case WEFT_REC_NETWORK:
	case WEFT_REC_INVITE:
	case WEFT_REC_OVERRIDE:
	case WEFT_REC_KEYRING:
	case WEFT_REC_KEYSHARE:
	case WEFT_REC_ROTATE:
	case WEFT_REC_POLICY:
	case WEFT_REC_ADMIN_ROLL:
		return 2;
	default:
		return 3;
	}
}

static void arm(weft_gossip_t *g)
{
	uint64_t t;

	if (g->next_gossip != UINT64_MAX)
		return;
	/* The first round for new news is now, unless a round just went out:
	 * waiting for the next tick would add half an interval per hop. */
	t = g->last_gossip + MS(g->p.gossip_interval_ms);
	g->next_gossip = t > g->now ? t : g->now;
}

static struct bitem *push(weft_gossip_t *g, uint8_t prio)
{
	struct bitem *q;
	uint32_t cap, i, worst = 0;

	if (g->nbq == WEFT_G_BCAST_MAX) {
		/* Full: give up the least valuable update (anti-entropy will
		 * still carry a record; SWIM news is repeated by others). */
		for (i = 1; i < g->nbq; i++)
			if (g->bq[i].prio > g->bq[worst].prio ||
			    (g->bq[i].prio == g->bq[worst].prio && g->bq[i].tx > g->bq[worst].tx))
				worst = i;
		if (g->bq[worst].prio < prio)
			return NULL;
		return &g->bq[worst];
	}
	if (g->nbq == g->bq_cap) {
		cap = g->bq_cap ? g->bq_cap * 2 : 16;
		q = weft_g_realloc(&g->mem, g->bq, cap, sizeof(*q));
		if (!q)
			return NULL;
		g->bq = q;
		g->bq_cap = cap;
	}
	return &g->bq[g->nbq++];
}

void weft_bcast_swim(weft_gossip_t *g, uint8_t what, uint32_t node, uint32_t inc, uint32_t from)
{
	struct bitem *it = NULL;
	uint32_t i;

	/* Newer news about a node replaces what was queued about it. */
	for (i = 0; i < g->nbq && !it; i++)
		if (g->bq[i].kind == BI_SWIM && g->bq[i].node == node)
			it = &g->bq[i];
	if (!it && !(it = push(g, 1)))
		return;
	memset(it, 0, sizeof(*it));
	it->kind = BI_SWIM;
	it->prio = 1;
	it->what = what;
	it->seq = ++g->bseq;
	it->node = node;
	it->inc = inc;
	it->from = from;
	arm(g);
}

void weft_bcast_record(weft_gossip_t *g, uint8_t type, const uint8_t subject[32])
{
	struct bitem *it = NULL;
	uint8_t prio = record_prio(type);
	uint32_t i;

	for (i = 0; i < g->nbq && !it; i++)
		if (g->bq[i].kind == BI_RECORD && g->bq[i].what == type && !memcmp(g->bq[i].subject, subject, 32))
			it = &g->bq[i];
	if (!it && !(it = push(g, prio)))
		return;
	memset(it, 0, sizeof(*it));
	it->kind = BI_RECORD;
	it->prio = prio;
	it->what = type;
	it->seq = ++g->bseq;
	memcpy(it->subject, subject, 32);
	arm(g);
}

static int cmp_items(const void *pa, const void *pb)
{
	const struct bitem *a = pa, *b = pb;

	if (a->prio != b->prio)
		return a->prio < b->prio ? -1 : 1;
	if (a->tx != b->tx)
		return a->tx < b->tx ? -1 : 1;
	return a->seq > b->seq ? -1 : a->seq < b->seq ? 1 : 0;
}

static size_t swim_size(uint32_t inc, bool with_from)
{
	return 1 + 1 + weft_mp_bin_size(WEFT_PK_LEN) + weft_mp_uint_size(inc) +
	       (with_from ? weft_mp_bin_size(WEFT_PK_LEN) : 0);
}

static void put_swim(weft_gossip_t *g, struct weft_wbuf *w, uint8_t what, uint32_t node, uint32_t inc,
		     uint32_t from)
{
	bool with_from = what == WEFT_UPD_SUSPECT && from != WEFT_G_NONE;

	weft_mp_array(w, with_from ? 4 : 3);
	weft_mp_uint(w, what);
	weft_mp_bin(w, g->dir->ids[node].b, WEFT_PK_LEN);
	weft_mp_uint(w, inc);
	if (with_from)
		weft_mp_bin(w, g->dir->ids[from].b, WEFT_PK_LEN);
}

void weft_bcast_fill(weft_gossip_t *g, struct weft_wbuf *w, size_t room, uint32_t dest_idx)
{
	uint8_t tmp[WEFT_GOSSIP_MTU];
	struct weft_wbuf t = {tmp, 0, 0, false};
	uint32_t limit = weft_bcast_limit(g), count = 0, i, j;
	const struct gmember *d = NULL;
	const weft_record_t *r;
	struct bitem *it;
	size_t need;

	if (room < 3) {
		weft_mp_array(w, 0);
		return;
	}
	t.cap = room - 3 < sizeof(tmp) ? room - 3 : sizeof(tmp);
	/* Lifeguard's buddy system: a suspect hears about its suspicion on the
	 * very next packet we send it, and so can refute at once. */
	if (dest_idx != WEFT_G_NONE && weft_members_known(g, dest_idx))
		d = &g->m[dest_idx];
	if (d && (d->state == WEFT_LIVE_SUSPECT || d->state == WEFT_LIVE_DEAD) &&
	    swim_size(d->inc, true) <= t.cap) {
		put_swim(g, &t, d->state, dest_idx, d->inc, g->self);
		count++;
	}
	if (g->nbq > 1)
		qsort(g->bq, g->nbq, sizeof(*g->bq), cmp_items);
	for (i = 0; i < g->nbq; i++) {
		it = &g->bq[i];
		if (it->kind == BI_SWIM) {
			need = swim_size(it->inc, it->what == WEFT_UPD_SUSPECT && it->from != WEFT_G_NONE);
			if (t.cap - t.len < need)
				continue;
			put_swim(g, &t, it->what, it->node, it->inc, it->from);
		} else {
			r = weft_store_get(g->store, it->what, it->subject);
			if (!r) {
				it->tx = (uint16_t)limit; /* gone (revoked): drop */
				continue;
			}
			need = weft_mp_bin_size(r->raw_len);
			if (t.cap - t.len < need)
				continue;
			weft_mp_bin(&t, r->raw, r->raw_len);
		}
		it->tx++;
		count++;
	}
	for (i = j = 0; i < g->nbq; i++)
		if (g->bq[i].tx < limit)
			g->bq[j++] = g->bq[i];
	g->nbq = j;
	weft_mp_array(w, count);
	weft_mp_raw(w, tmp, t.len);
}

int weft_bcast_items(weft_gossip_t *g, struct weft_rbuf *r, bool apply)
{
	const uint8_t *p, *node, *from;
	uint64_t kind, inc;
	uint32_t n, k, i;
	weft_pk_t a, b;
	size_t len;

	if (weft_mp_read_array(r, &n))
		return WEFT_EMALFORMED;
	for (i = 0; i < n; i++) {
		switch (weft_mp_peek(r)) {
		case WEFT_MP_BIN:
			if (weft_mp_read_bin(r, &p, &len) || len == 0 || len > WEFT_RECORD_MAX)
				return WEFT_EMALFORMED;
			if (apply)
				weft_g_merge_raw(g, p, len);
			break;
		case WEFT_MP_ARRAY:
			from = NULL;
			if (weft_mp_read_array(r, &k) || (k != 3 && k != 4) || weft_mp_read_uint(r, &kind) ||
			    kind < WEFT_UPD_ALIVE || kind > WEFT_UPD_LEFT ||
			    weft_mp_read_binfix(r, &node, WEFT_PK_LEN) || weft_mp_read_uint(r, &inc) ||
			    inc > UINT32_MAX)
				return WEFT_EMALFORMED;
			if (k == 4 && (kind != WEFT_UPD_SUSPECT || weft_mp_read_binfix(r, &from, WEFT_PK_LEN)))
				return WEFT_EMALFORMED;
			if (apply) {
				memcpy(a.b, node, WEFT_PK_LEN);
				if (from)
					memcpy(b.b, from, WEFT_PK_LEN);
				weft_swim_apply(g, (uint8_t)kind, &a, (uint32_t)inc, from ? &b : NULL);
			}
			break;
		default:
			return WEFT_EMALFORMED;
		}
	}
	return 0;
}

void weft_bcast_round(weft_gossip_t *g)
{
	uint32_t skip[16], n = 0, i, t;
	struct weft_gossip_dgram d;
	struct gpkt pk;

	g->next_gossip = UINT64_MAX;
	if (g->nbq == 0)
		return;
	g->last_gossip = g->now;
	for (i = 0; i < g->p.gossip_fanout && g->nbq; i++) {
		t = weft_members_random(g, skip, n);
		if (t == WEFT_G_NONE || !weft_members_dest(g, t, &d))
			break;
		skip[n++] = t;
		weft_g_pkt_start(g, &pk, WEFT_MSG_GOSSIP, &d);
		weft_mp_array(&pk.w, 2);
		weft_mp_bin(&pk.w, g->id.pk.b, WEFT_PK_LEN);
		weft_bcast_fill(g, &pk.w, weft_g_pkt_room(&pk), t);
		weft_g_pkt_send(g, &pk);
	}
	if (g->nbq)
		g->next_gossip = g->now + MS(g->p.gossip_interval_ms);
}

int weft_bcast_on_gossip(weft_gossip_t *g, struct grx *rx)
{
	struct weft_rbuf items = rx->r;

	if (rx->nfields != 1 || weft_bcast_items(g, &rx->r, false) || weft_mp_end(&rx->r))
		return WEFT_EMALFORMED;
	weft_bcast_items(g, &items, true);
	return 0;
}
