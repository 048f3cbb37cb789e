/* gossip/bcast.c: dissemination. A bounded queue of updates (membership
 * news and records that entered the store), each sent about
 * retransmit_mult * ceil(log10(N + 1)) times, piggybacked on every ping,
 * ack and gossip packet and sent in gossip rounds to `fanout` random
 * members. Revocations go first, then membership news, then admin records,
 * then the rest; within a class the least-sent (newest) first.
 *
 * The queue is kept in that order at all times (an update is placed by
 * binary search; after a datagram the items it carried are merged back),
 * so filling a datagram reads only the items it takes, not the whole
 * queue: at 1,000 queued records (every node rotating its key at once)
 * sorting and looking up the whole queue per datagram was most of a
 * simulated node's time.
 *
 * Push gossip is made for news, not for bulk: when many records enter at
 * once (every node announces a new WireGuard key), each node receives the
 * records in random order and the last few it lacks arrive like the last
 * coupons of a collection, after ~N ln N receptions (the simulator showed
 * a tail of 24 s at 300 nodes, 40 s at 1,000, ended by the 30 s
 * anti-entropy timer). So while the queue holds a backlog of records, the
 * node runs anti-entropy at pushpull_fast_ms, which transfers exactly what
 * differs and closes the tail; a quiet network never has such a backlog and
 * its cost is unchanged. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "gossip/internal.h"

/* More records queued than about one round carries (fanout 3 datagrams of
 * three or four state records): push alone would leave a tail. */
#define BACKLOG 16
/* Items one datagram may carry. */
#define FILL_MAX 64

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

static int cmp_items(const struct bitem *a, const struct bitem *b)
{
	if (a->prio != b->prio)
		return a->prio < b->prio ? -1 : 1;
	if (a->tx != b->tx)
		return a->tx < b->tx ? -1 : 1;
	return a->seq > b->seq ? -1 : a->seq < b->seq ? 1 : 0;
}

/* Where it goes in the ordered queue [0, n): after every item before it. */
static uint32_t slot_for(const weft_gossip_t *g, uint32_t n, const struct bitem *it)
{
	uint32_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (cmp_items(&g->bq[mid], it) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Puts it into the queue in order (taking the place of the item at
 * index `old` when old < nbq, which is then gone). */
static void place(weft_gossip_t *g, const struct bitem *it, uint32_t old)
{
	uint32_t at;

	if (old < g->nbq) {
		memmove(&g->bq[old], &g->bq[old + 1], (g->nbq - old - 1) * sizeof(*g->bq));
		g->nbq--;
	}
	at = slot_for(g, g->nbq, it);
	memmove(&g->bq[at + 1], &g->bq[at], (g->nbq - at) * sizeof(*g->bq));
	g->bq[at] = *it;
	g->nbq++;
}

/* Room for one more item: 0, or -1 when the queue is full of updates
 * worth more than one of prio (anti-entropy will still carry a record;
 * SWIM news is repeated by others). A full queue gives up its least
 * valuable update: the last one. */
static int room_for(weft_gossip_t *g, uint8_t prio)
{
	struct bitem *q;
	uint32_t cap;

	if (g->nbq == WEFT_G_BCAST_MAX) {
		if (g->bq[g->nbq - 1].prio < prio)
			return -1;
		g->nbq--;
		return 0;
	}
	if (g->nbq == g->bq_cap) {
		cap = g->bq_cap ? g->bq_cap * 2 : 16;
		q = weft_g_realloc(&g->mem, g->bq, cap, sizeof(*q));
		if (!q)
			return -1;
		g->bq = q;
		g->bq_cap = cap;
	}
	return 0;
}

void weft_bcast_swim(weft_gossip_t *g, uint8_t what, uint32_t node, uint32_t inc, uint32_t from,
		     const uint8_t sig[WEFT_SIG_LEN])
{
	struct bitem it;
	uint32_t i;

	/* Newer news about a node replaces what was queued about it. */
	for (i = 0; i < g->nbq; i++)
		if (g->bq[i].kind == BI_SWIM && g->bq[i].node == node)
			break;
	if (i == g->nbq && room_for(g, 1))
		return;
	memset(&it, 0, sizeof(it));
	it.kind = BI_SWIM;
	it.prio = 1;
	it.what = what;
	it.seq = ++g->bseq;
	it.node = node;
	it.inc = inc;
	it.from = from;
	memcpy(it.sig, sig, WEFT_SIG_LEN);
	place(g, &it, i);
	arm(g);
}

void weft_bcast_record(weft_gossip_t *g, uint8_t type, const uint8_t subject[32])
{
	const weft_record_t *r = weft_store_get(g->store, type, subject);
	uint8_t prio = record_prio(type);
	struct bitem it;
	uint32_t i;

	for (i = 0; i < g->nbq; i++)
		if (g->bq[i].kind == BI_RECORD && g->bq[i].what == type && !memcmp(g->bq[i].subject, subject, 32))
			break;
	if (i == g->nbq && room_for(g, prio))
		return;
	memset(&it, 0, sizeof(it));
	it.kind = BI_RECORD;
	it.prio = prio;
	it.what = type;
	it.seq = ++g->bseq;
	it.len = r ? r->raw_len : 0;
	memcpy(it.subject, subject, 32);
	place(g, &it, i);
	arm(g);
}

static bool accusation(uint8_t what)
{
	return what == WEFT_UPD_SUSPECT || what == WEFT_UPD_DEAD;
}

/* [kind, id, inc, sig] or, for an accusation, [kind, id, inc, accuser, sig]. */
static size_t swim_size(uint8_t what, uint32_t inc)
{
	return 1 + 1 + weft_mp_bin_size(WEFT_PK_LEN) + weft_mp_uint_size(inc) + weft_mp_bin_size(WEFT_SIG_LEN) +
	       (accusation(what) ? weft_mp_bin_size(WEFT_PK_LEN) : 0);
}

static void put_swim(weft_gossip_t *g, struct weft_wbuf *w, uint8_t what, uint32_t node, uint32_t inc, uint32_t from,
		     const uint8_t sig[WEFT_SIG_LEN])
{
	weft_mp_array(w, accusation(what) ? 5 : 4);
	weft_mp_uint(w, what);
	weft_mp_bin(w, g->dir->ids[node].b, WEFT_PK_LEN);
	weft_mp_uint(w, inc);
	if (accusation(what))
		weft_mp_bin(w, g->dir->ids[from].b, WEFT_PK_LEN);
	weft_mp_bin(w, sig, WEFT_SIG_LEN);
}

/* After a datagram: the items it carried (sent[0..k), in queue order,
 * each now sent once more) and the rest of the queue are each still in
 * order, so one merge from the back restores the whole; items sent `limit`
 * times, and records gone from the store, leave. */
static void requeue(weft_gossip_t *g, const uint32_t *sent, uint32_t k, uint32_t limit)
{
	struct bitem took[FILL_MAX];
	uint32_t i, j, u, s = 0, n;

	for (i = 0; i < k; i++)
		took[i] = g->bq[sent[i]];
	for (i = u = 0; i < g->nbq; i++) {
		if (s < k && sent[s] == i) {
			s++;
			continue;
		}
		if (g->bq[i].tx >= limit)
			continue;
		g->bq[u++] = g->bq[i];
	}
	for (i = j = 0; i < k; i++)
		if (took[i].tx < limit)
			took[j++] = took[i];
	k = j;
	g->nbq = n = u + k;
	while (k) {
		if (u && cmp_items(&g->bq[u - 1], &took[k - 1]) > 0)
			g->bq[--n] = g->bq[--u];
		else
			g->bq[--n] = took[--k];
	}
}

void weft_bcast_fill(weft_gossip_t *g, struct weft_wbuf *w, size_t room, uint32_t dest_idx)
{
	uint8_t tmp[WEFT_GOSSIP_MTU];
	struct weft_wbuf t = { tmp, 0, 0, false };
	uint32_t limit = weft_bcast_limit(g), count = 0, k = 0, i;
	uint32_t sent[FILL_MAX];
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
	 * very next packet we send it, and so can refute at once: the
	 * accusation we hold (signed by its accuser), or our own
	 * declaration of its death. */
	if (dest_idx != WEFT_G_NONE && weft_members_known(g, dest_idx))
		d = &g->m[dest_idx];
	if (d && d->state == WEFT_LIVE_SUSPECT && d->aux && swim_size(WEFT_UPD_DEAD, d->inc) <= t.cap) {
		const struct gsusp *s = &g->susp[d->aux - 1];

		put_swim(g, &t, s->kind0, dest_idx, s->inc, s->who[0], s->sig0);
		count++;
	} else if (d && d->state == WEFT_LIVE_DEAD && swim_size(WEFT_UPD_DEAD, d->inc) <= t.cap) {
		uint8_t sig[WEFT_SIG_LEN];

		weft_auth_sign_update(g, WEFT_UPD_DEAD, dest_idx, d->inc, sig);
		put_swim(g, &t, WEFT_UPD_DEAD, dest_idx, d->inc, g->self, sig);
		count++;
	}
	/* In queue order, until no room is left for the smallest item. A
	 * record is looked up only when its size (noted when it was queued)
	 * says it fits: a nearly full datagram must not cost a lookup of
	 * every record in a long queue. */
	for (i = 0; i < g->nbq && k < FILL_MAX && t.cap - t.len >= swim_size(WEFT_UPD_ALIVE, 0); i++) {
		it = &g->bq[i];
		if (it->kind == BI_SWIM) {
			need = swim_size(it->what, it->inc);
			if (t.cap - t.len < need)
				continue;
			put_swim(g, &t, it->what, it->node, it->inc, it->from, it->sig);
		} else {
			if (it->len && t.cap - t.len < weft_mp_bin_size(it->len))
				continue;
			r = weft_store_get(g->store, it->what, it->subject);
			if (!r) {
				it->tx = (uint16_t)limit; /* gone (revoked): drop */
				continue;
			}
			it->len = r->raw_len;
			need = weft_mp_bin_size(r->raw_len);
			if (t.cap - t.len < need)
				continue;
			weft_mp_bin(&t, r->raw, r->raw_len);
		}
		it->tx++;
		sent[k++] = i;
		count++;
	}
	requeue(g, sent, k, limit);
	weft_mp_array(w, count);
	weft_mp_raw(w, tmp, t.len);
}

int weft_bcast_items(weft_gossip_t *g, struct weft_rbuf *r, bool apply)
{
	const uint8_t *p, *node, *from, *sig;
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
			if (weft_mp_read_array(r, &k) || weft_mp_read_uint(r, &kind) || kind < WEFT_UPD_ALIVE ||
			    kind > WEFT_UPD_LEFT || k != (accusation((uint8_t)kind) ? 5u : 4u) ||
			    weft_mp_read_binfix(r, &node, WEFT_PK_LEN) || weft_mp_read_uint(r, &inc) ||
			    inc > UINT32_MAX)
				return WEFT_EMALFORMED;
			if (k == 5 && weft_mp_read_binfix(r, &from, WEFT_PK_LEN))
				return WEFT_EMALFORMED;
			if (weft_mp_read_binfix(r, &sig, WEFT_SIG_LEN))
				return WEFT_EMALFORMED;
			if (apply) {
				memcpy(a.b, node, WEFT_PK_LEN);
				if (from)
					memcpy(b.b, from, WEFT_PK_LEN);
				weft_swim_apply(g, (uint8_t)kind, &a, (uint32_t)inc, from ? &b : NULL, sig);
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
	/* A backlog of records: anti-entropy closes the tail (see the top). */
	for (i = 0; i < g->nbq && n < BACKLOG; i++)
		if (g->bq[i].kind == BI_RECORD)
			n++;
	if (n >= BACKLOG && g->member && g->next_sync > g->now + MS(g->p.pushpull_fast_ms))
		g->next_sync = g->now + MS(g->p.pushpull_fast_ms);
	n = 0;
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
