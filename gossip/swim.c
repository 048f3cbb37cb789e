/* gossip/swim.c: membership and failure detection. SWIM (ping, ack,
 * ping-req through k helpers, incarnation numbers, suspicion and
 * refutation) with Lifeguard's refinements: a suspicion timeout that starts
 * long and shrinks with independent confirmations, nacks from helpers, a
 * local-health multiplier that slows our probing when we are the slow one,
 * and the suspicion piggybacked on pings to the suspect ("buddy system").
 * Liveness never removes a member: dead members are retried with backoff so
 * that partitions heal by themselves.
 *
 * Against a member that lies (docs/DESIGN.md, "As built: a compromised
 * member"): only a node raises its own incarnation (alive and left are
 * signed by it), an accusation is signed by its accuser and names an
 * incarnation the accused has signed, a death needs our own failed probe,
 * or two distinct accusers and no answer to our own ping, and is never
 * taken on another node's word alone, an ack counts only from the target
 * itself or with the target's proof, and a member whose accusations are
 * refuted again and again is ignored as an accuser for a while
 * (gossip/auth.c). */
#include <math.h>
#include <string.h>

#include <sodium.h>

#include "core/error.h"
#include "gossip/internal.h"

static uint32_t n_live(const weft_gossip_t *g)
{
	uint32_t n = g->n_alive + g->n_suspect;

	return n ? n : 1;
}

/* Lifeguard: timeouts and the probe interval stretch with the local-health
 * score, so a node that is itself overloaded stops accusing others. */
static uint64_t scaled(const weft_gossip_t *g, uint32_t ms)
{
	return MS(ms) * (g->awareness + 1);
}

static void awareness(weft_gossip_t *g, int delta)
{
	int64_t a = (int64_t)g->awareness + delta;

	if (a < 0)
		a = 0;
	if (a > (int64_t)g->p.awareness_max - 1)
		a = (int64_t)g->p.awareness_max - 1;
	g->awareness = (uint32_t)a;
}

/* ---- sending ---- */

/* ping and ping-req: [from, seq, target, items]; a ping we send for
 * someone's ping-req also names the requester and its seq, so the target
 * can prove its ack to the requester through us. */
static void send_ping_for(weft_gossip_t *g, uint8_t type, uint32_t target, uint32_t seq,
			  const struct weft_gossip_dgram *dest, uint32_t requester, uint32_t req_seq)
{
	struct gpkt pk;
	uint32_t to = type == WEFT_MSG_PING ? target : weft_dir_find(g->dir, &dest->peer);
	bool relayed = requester != WEFT_G_NONE;

	weft_g_pkt_start(g, &pk, type, dest);
	weft_mp_array(&pk.w, relayed ? 6 : 4);
	weft_mp_bin(&pk.w, g->id.pk.b, WEFT_PK_LEN);
	weft_mp_uint(&pk.w, seq);
	weft_mp_bin(&pk.w, g->dir->ids[target].b, WEFT_PK_LEN);
	weft_bcast_fill(g, &pk.w, weft_g_pkt_room(&pk) - (relayed ? 34 + 5 : 0), to);
	if (relayed) {
		weft_mp_bin(&pk.w, g->dir->ids[requester].b, WEFT_PK_LEN);
		weft_mp_uint(&pk.w, req_seq);
	}
	weft_g_pkt_send(g, &pk);
}

static void send_ping(weft_gossip_t *g, uint8_t type, uint32_t target, uint32_t seq,
		      const struct weft_gossip_dgram *dest)
{
	send_ping_for(g, type, target, seq, dest, WEFT_G_NONE, 0);
}

static void send_ack(weft_gossip_t *g, const struct weft_gossip_dgram *dest, uint32_t seq,
		     const weft_endpoint_t *observed, uint32_t dest_idx, const uint8_t *proof)
{
	struct gpkt pk;

	weft_g_pkt_start(g, &pk, WEFT_MSG_ACK, dest);
	weft_mp_array(&pk.w, proof ? 5 : 4);
	weft_mp_bin(&pk.w, g->id.pk.b, WEFT_PK_LEN);
	weft_mp_uint(&pk.w, seq);
	if (observed)
		weft_wire_put_endpoint(&pk.w, observed);
	else
		weft_mp_nil(&pk.w);
	weft_bcast_fill(g, &pk.w, weft_g_pkt_room(&pk) - (proof ? 2 + WEFT_WIRE_PROOF_LEN : 0), dest_idx);
	if (proof)
		weft_mp_bin(&pk.w, proof, WEFT_WIRE_PROOF_LEN);
	weft_g_pkt_send(g, &pk);
}

static void send_nack(weft_gossip_t *g, const struct weft_gossip_dgram *dest, uint32_t seq)
{
	struct gpkt pk;

	weft_g_pkt_start(g, &pk, WEFT_MSG_NACK, dest);
	weft_mp_array(&pk.w, 2);
	weft_mp_bin(&pk.w, g->id.pk.b, WEFT_PK_LEN);
	weft_mp_uint(&pk.w, seq);
	weft_g_pkt_send(g, &pk);
}

/* ---- suspicion ---- */

static void heap_push(weft_gossip_t *g, uint64_t deadline, uint32_t member, uint32_t inc)
{
	struct gheap *h, t;
	uint32_t i, p, cap;

	if (g->nheap == g->heap_cap) {
		cap = g->heap_cap ? g->heap_cap * 2 : 16;
		h = weft_g_realloc(&g->mem, g->heap, cap, sizeof(*h));
		if (!h)
			return; /* the suspicion then never expires here; others decide */
		g->heap = h;
		g->heap_cap = cap;
	}
	i = g->nheap++;
	g->heap[i] = (struct gheap){ deadline, member, inc };
	while (i > 0) {
		p = (i - 1) / 2;
		if (g->heap[p].deadline <= g->heap[i].deadline)
			break;
		t = g->heap[p];
		g->heap[p] = g->heap[i];
		g->heap[i] = t;
		i = p;
	}
}

static struct gheap heap_pop(weft_gossip_t *g)
{
	struct gheap top = g->heap[0], t;
	uint32_t i = 0, c;

	g->heap[0] = g->heap[--g->nheap];
	for (;;) {
		c = 2 * i + 1;
		if (c >= g->nheap)
			break;
		if (c + 1 < g->nheap && g->heap[c + 1].deadline < g->heap[c].deadline)
			c++;
		if (g->heap[i].deadline <= g->heap[c].deadline)
			break;
		t = g->heap[c];
		g->heap[c] = g->heap[i];
		g->heap[i] = t;
		i = c;
	}
	return top;
}

/* Lifeguard's timeout: max when nobody else has confirmed, shrinking
 * logarithmically to min as k independent suspicions arrive. min is
 * suspicion_mult * log10(N) probe intervals, but at least two: below that a
 * node whose round trip briefly exceeds the probe interval is declared dead
 * before its refutation can come back (seen in 1 run of 8 at N = 20). */
static uint64_t susp_timeout(const weft_gossip_t *g, const struct gsusp *s)
{
	double lg = log10((double)n_live(g)), min, max, frac;

	if (lg < 2.0)
		lg = 2.0;
	min = (double)g->p.suspicion_mult * lg * (double)g->p.probe_interval_ms;
	max = (double)g->p.suspicion_max_mult * min;
	if (s->k == 0)
		return MS((uint64_t)min);
	frac = log((double)s->n) / log((double)s->k + 1.0);
	max -= (max - min) * frac;
	return MS((uint64_t)(max < min ? min : max));
}

static uint64_t susp_min(const weft_gossip_t *g)
{
	double lg = log10((double)n_live(g));

	if (lg < 2.0)
		lg = 2.0;
	return MS((uint64_t)((double)g->p.suspicion_mult * lg * (double)g->p.probe_interval_ms));
}

static void suspicion_start(weft_gossip_t *g, uint32_t idx, uint32_t inc, uint32_t from, uint8_t kind,
			    const uint8_t sig[WEFT_SIG_LEN])
{
	struct gsusp *s;
	uint32_t cap, n = n_live(g);

	if (g->nsusp == g->susp_cap) {
		cap = g->susp_cap ? g->susp_cap * 2 : 8;
		s = weft_g_realloc(&g->mem, g->susp, cap, sizeof(*s));
		if (!s)
			return;
		g->susp = s;
		g->susp_cap = cap;
	}
	s = &g->susp[g->nsusp++];
	memset(s, 0, sizeof(*s));
	s->member = idx;
	s->inc = inc;
	s->start = g->now;
	s->k = n >= 2 + WEFT_G_SUSPECT_K ? WEFT_G_SUSPECT_K : 0;
	s->n = 1;
	s->who[0] = from;
	s->kind0 = kind;
	if (kind == WEFT_UPD_DEAD)
		s->dead_by[s->ndead++] = from;
	memcpy(s->sig0, sig, WEFT_SIG_LEN);
	s->deadline = s->start + susp_timeout(g, s);
	g->m[idx].aux = g->nsusp;
	heap_push(g, s->deadline, idx, inc);
}

static bool accused_by(const struct gsusp *s, uint32_t who)
{
	unsigned i;

	for (i = 0; i < s->n; i++)
		if (s->who[i] == who)
			return true;
	return false;
}

static struct gping *ping_slot(weft_gossip_t *g);

/* A direct ping to idx whose ack counts as our evidence that it lives:
 * remembered for a probe period, when a slot is free. */
static bool check_ping(weft_gossip_t *g, uint32_t idx)
{
	struct weft_gossip_dgram d;
	struct gping *q;

	if (!weft_members_dest(g, idx, &d))
		return false;
	q = ping_slot(g);
	if (q) {
		memset(q, 0, sizeof(*q));
		q->kind = PING_RETRY;
		q->target = idx;
		q->seq = g->seq + 1;
		q->deadline = g->now + MS(g->p.probe_interval_ms);
	}
	send_ping(g, WEFT_MSG_PING, idx, ++g->seq, &d);
	return true;
}

/* Our own check before a death on others' word: the ping carries the
 * accusation, so it may refute, and its ack is our evidence that it lives
 * (accusers it has stopped listening to cannot get it killed here). */
static void ping_suspect(weft_gossip_t *g, struct gsusp *s)
{
	s->pinged = true;
	s->ping_at = g->now;
	if (!check_ping(g, s->member))
		s->ping_at = 0;
}

static bool declared_by(const struct gsusp *s, uint32_t who)
{
	unsigned i;

	for (i = 0; i < s->ndead; i++)
		if (s->dead_by[i] == who)
			return true;
	return false;
}

/* `from` declared it dead: its own timeout passed. Two of them and there
 * is no reason to wait out ours; what is left is our own check
 * (expire_suspicions). */
static void declared_dead(weft_gossip_t *g, struct gsusp *s, uint32_t from)
{
	if (s->ndead >= WEFT_G_DEAD_EVIDENCE || declared_by(s, from))
		return;
	s->dead_by[s->ndead++] = from;
	if (s->ndead >= WEFT_G_DEAD_EVIDENCE && s->deadline > g->now) {
		s->deadline = g->now;
		heap_push(g, s->deadline, s->member, s->inc);
	}
}

static bool suspicion_confirm(weft_gossip_t *g, struct gsusp *s, uint32_t from)
{
	/* Up to 1 + K accusers are kept whatever k (the timeout counts k of
	 * them): they are the evidence for a death, and whom a refutation
	 * blames. */
	if (from == WEFT_G_NONE || s->n >= 1 + WEFT_G_SUSPECT_K || accused_by(s, from))
		return false;
	s->who[s->n++] = from;
	if (s->n == WEFT_G_DEAD_EVIDENCE && !s->pinged && !accused_by(s, g->self))
		ping_suspect(g, s);
	/* A confirmation shortens the timeout, never lengthens one we had
	 * already extended to check for ourselves. */
	if (s->start + susp_timeout(g, s) < s->deadline) {
		s->deadline = s->start + susp_timeout(g, s);
		if (s->deadline < g->now)
			s->deadline = g->now;
		heap_push(g, s->deadline, s->member, s->inc);
	}
	return true;
}

void weft_swim_clear_suspicion(weft_gossip_t *g, uint32_t idx)
{
	struct gmember *m = &g->m[idx];
	uint32_t i, last;

	if (m->state != WEFT_LIVE_SUSPECT || m->aux == 0 || m->aux > g->nsusp)
		return;
	i = m->aux - 1;
	last = g->nsusp - 1;
	if (i != last) {
		g->susp[i] = g->susp[last];
		g->m[g->susp[i].member].aux = i + 1;
	}
	g->nsusp--;
	m->aux = 0;
}

/* An accusation of idx at its incarnation inc by `from` (signed sig,
 * already checked, or ours). */
static void suspect(weft_gossip_t *g, uint32_t idx, uint8_t kind, uint32_t inc, uint32_t from,
		    const uint8_t sig[WEFT_SIG_LEN])
{
	struct gmember *m = &g->m[idx];

	if (inc != m->inc)
		return;
	if (m->state == WEFT_LIVE_ALIVE) {
		weft_members_set_state(g, idx, WEFT_LIVE_SUSPECT, inc);
		suspicion_start(g, idx, inc, from, kind, sig);
		g->st.suspicions++;
		/* About 2k members that hear of it probe the suspect next: a
		 * dead one collects its k confirmations within a probe period,
		 * a live one hears of its suspicion sooner (the buddy system),
		 * and the cost stays constant in N. */
		if (from != g->self && weft_g_rand_below(g, n_live(g)) < 2 * WEFT_G_SUSPECT_K)
			g->probe_next = idx;
	} else if (m->state == WEFT_LIVE_SUSPECT && m->aux) {
		struct gsusp *s = &g->susp[m->aux - 1];

		if (kind == WEFT_UPD_DEAD)
			declared_dead(g, s, from);
		/* Only a new, independent accusation is news worth passing on. */
		if (!suspicion_confirm(g, s, from))
			return;
	} else {
		return;
	}
	weft_bcast_swim(g, kind, idx, inc, from, sig);
}

/* Our own accusation: we probed it and it did not answer. */
static void suspect_self(weft_gossip_t *g, uint32_t idx)
{
	uint8_t sig[WEFT_SIG_LEN];
	struct gmember *m = &g->m[idx];

	if (m->state != WEFT_LIVE_ALIVE && !(m->state == WEFT_LIVE_SUSPECT && m->aux))
		return;
	weft_auth_sign_update(g, WEFT_UPD_SUSPECT, idx, m->inc, sig);
	suspect(g, idx, WEFT_UPD_SUSPECT, m->inc, g->self, sig);
}

/* Enough to declare a death: our own failed probe, or distinct accusers
 * enough that no single member can kill another by saying so. */
static bool enough_evidence(const weft_gossip_t *g, const struct gsusp *s)
{
	return accused_by(s, g->self) || s->n >= WEFT_G_DEAD_EVIDENCE;
}

static void expire_suspicions(weft_gossip_t *g)
{
	uint8_t sig[WEFT_SIG_LEN];
	struct gheap top;
	struct gmember *m;
	struct gsusp *s;

	while (g->nheap && g->heap[0].deadline <= g->now) {
		top = heap_pop(g);
		m = &g->m[top.member];
		if (m->state != WEFT_LIVE_SUSPECT || m->inc != top.inc || !m->aux ||
		    g->susp[m->aux - 1].deadline != top.deadline)
			continue; /* refuted, confirmed again, or replaced */
		s = &g->susp[m->aux - 1];
		if (s->alive_seen && !accused_by(s, g->self)) {
			/* It answered our own ping since: alive, whoever says
			 * otherwise (it may not refute an accuser it has
			 * stopped listening to). */
			weft_members_set_state(g, top.member, WEFT_LIVE_ALIVE, m->inc);
			continue;
		}
		if (!enough_evidence(g, s)) {
			/* One member's word: see for ourselves before anyone is
			 * declared dead here, and give it one more period. */
			s->checked = true;
			if (g->probe_next == WEFT_G_NONE)
				g->probe_next = top.member;
			s->deadline = g->now + susp_min(g);
			heap_push(g, s->deadline, top.member, m->inc);
			continue;
		}
		if (!accused_by(s, g->self)) {
			/* Others' word only: one ping of our own first (sent as
			 * soon as the evidence was there), and its answer, or a
			 * probe timeout without one. */
			if (!s->pinged)
				ping_suspect(g, s);
			if (s->pinged && g->now < s->ping_at + scaled(g, g->p.probe_timeout_ms)) {
				s->deadline = s->ping_at + scaled(g, g->p.probe_timeout_ms);
				heap_push(g, s->deadline, top.member, m->inc);
				continue;
			}
		}
		/* Ours is news unless two others already said it: then
		 * theirs is spreading, and every node's own at 137 bytes
		 * times retransmit would triple what a death costs. */
		if (s->ndead < WEFT_G_DEAD_EVIDENCE) {
			weft_auth_sign_update(g, WEFT_UPD_DEAD, top.member, m->inc, sig);
			weft_bcast_swim(g, WEFT_UPD_DEAD, top.member, m->inc, g->self, sig);
		}
		weft_members_set_state(g, top.member, WEFT_LIVE_DEAD, m->inc);
	}
}

/* ---- updates about members ---- */

static void own_alive(weft_gossip_t *g)
{
	uint8_t sig[WEFT_SIG_LEN];

	weft_auth_sign_update(g, WEFT_UPD_ALIVE, g->self, g->inc, sig);
	weft_bcast_swim(g, WEFT_UPD_ALIVE, g->self, g->inc, WEFT_G_NONE, sig);
}

static void inc_changed(weft_gossip_t *g)
{
	struct weft_gossip_event ev;

	g->m[g->self].inc = g->inc;
	memset(&ev, 0, sizeof(ev));
	ev.type = WEFT_GEV_INCARNATION;
	ev.node = g->id.pk;
	ev.incarnation = g->inc;
	weft_g_event(g, &ev);
}

/* Refute an accusation at inc: a signed alive above it. Incarnations are
 * bounded: at the maximum there is nothing above to say (it takes 2^32
 * refutations to get there, and nobody else can push it). */
static void refute(weft_gossip_t *g, uint32_t inc)
{
	if (inc == UINT32_MAX)
		return;
	g->inc = inc + 1;
	inc_changed(g);
	g->st.refutations++;
	awareness(g, 1);
	own_alive(g);
}

static void self_update(weft_gossip_t *g, uint8_t kind, uint32_t inc, uint32_t acc)
{
	if (g->left)
		return; /* we said goodbye: do not argue */
	if (kind == WEFT_UPD_ALIVE || kind == WEFT_UPD_LEFT) {
		/* Our own signature (the caller checked it) on an incarnation
		 * above ours: signed before a restart that lost it. Carry on
		 * from there, and refute a goodbye we did not mean. */
		if (inc > g->inc) {
			g->inc = inc;
			inc_changed(g);
			if (kind == WEFT_UPD_LEFT)
				refute(g, inc);
		}
		return;
	}
	if (weft_auth_limited(g, acc))
		return; /* it has cried wolf: nobody listens to it any more */
	if (inc < g->inc) {
		/* A stale accusation: its sender missed our refutation (a lost
		 * update, a healed partition). Say it again; it rides on our
		 * answer to that very sender first. */
		own_alive(g);
		return;
	}
	if (inc - g->inc > WEFT_G_INC_SLACK) {
		/* We never signed that: a lie. */
		g->st.updates_refused++;
		weft_auth_strike(g, acc);
		return;
	}
	weft_auth_strike(g, acc);
	refute(g, inc);
}

void weft_swim_apply(weft_gossip_t *g, uint8_t kind, const weft_pk_t *node, uint32_t inc, const weft_pk_t *from,
		     const uint8_t sig[WEFT_SIG_LEN])
{
	uint32_t idx = weft_dir_find(g->dir, node), acc = WEFT_G_NONE, i;
	bool news, dead_news;
	struct gmember *m;
	struct gsusp *s;

	if (kind == WEFT_UPD_SUSPECT || kind == WEFT_UPD_DEAD) {
		/* An accuser must be another member, and one still heard. */
		acc = from ? weft_dir_find(g->dir, from) : WEFT_G_NONE;
		if (acc == WEFT_G_NONE || acc == idx || (acc != g->self && !weft_members_known(g, acc)))
			return;
		if (acc == g->self)
			return; /* our own accusation, back to us */
		if (idx != g->self && weft_auth_limited(g, acc))
			return;
	}
	if (idx == g->self) {
		if (kind == WEFT_UPD_ALIVE || kind == WEFT_UPD_LEFT) {
			if (inc <= g->inc || !weft_auth_check_update(g, node, kind, node, inc, sig))
				return;
		} else if (!weft_auth_check_update(g, from, kind, node, inc, sig)) {
			g->st.updates_refused++;
			return;
		}
		self_update(g, kind, inc, acc);
		return;
	}
	if (idx == WEFT_G_NONE || !weft_members_known(g, idx))
		return; /* not a member here yet: anti-entropy brings its record */
	m = &g->m[idx];
	switch (kind) {
	case WEFT_UPD_ALIVE:
		if (inc <= m->inc)
			return;
		/* Only the member itself raises its incarnation. */
		if (!weft_auth_check_update(g, node, kind, node, inc, sig)) {
			g->st.updates_refused++;
			return;
		}
		/* A refutation: whoever accused it was wrong. */
		if (m->state == WEFT_LIVE_SUSPECT && m->aux) {
			s = &g->susp[m->aux - 1];
			for (i = 0; i < s->n; i++)
				weft_auth_strike(g, s->who[i]);
		}
		/* A dead member came back: a partition may have healed, so
		 * the other dead ones are worth trying now, not at backoff. */
		if (m->state == WEFT_LIVE_DEAD) {
			g->heal_until = g->now + 10 * MS(g->p.probe_interval_ms);
			weft_sync_soon(g, idx); /* and it missed what we learned meanwhile */
		}
		m->retry = 0;
		weft_members_set_state(g, idx, WEFT_LIVE_ALIVE, inc);
		weft_bcast_swim(g, kind, idx, inc, WEFT_G_NONE, sig);
		return;
	case WEFT_UPD_LEFT:
		if (inc < m->inc || m->state == WEFT_LIVE_LEFT)
			return;
		if (!weft_auth_check_update(g, node, kind, node, inc, sig)) {
			g->st.updates_refused++;
			return;
		}
		weft_members_set_state(g, idx, WEFT_LIVE_LEFT, inc);
		weft_bcast_swim(g, kind, idx, inc, WEFT_G_NONE, sig);
		return;
	case WEFT_UPD_SUSPECT:
	case WEFT_UPD_DEAD:
		if (inc < m->inc || m->state == WEFT_LIVE_DEAD || m->state == WEFT_LIVE_LEFT)
			return;
		s = m->state == WEFT_LIVE_SUSPECT && m->aux ? &g->susp[m->aux - 1] : NULL;
		news = !s || (!accused_by(s, acc) && s->n < 1 + WEFT_G_SUSPECT_K);
		dead_news = s && kind == WEFT_UPD_DEAD && inc == m->inc && s->ndead < WEFT_G_DEAD_EVIDENCE &&
			    !declared_by(s, acc);
		if (!news && !dead_news)
			return; /* no news: checked no further */
		if (!weft_auth_check_update(g, from, kind, node, inc, sig)) {
			g->st.updates_refused++;
			return;
		}
		if (!news) {
			declared_dead(g, s, acc);
			return;
		}
		if (inc > m->inc) {
			/* An incarnation it never signed, as far as we know: a
			 * lie, or news we missed. Not passed on; it confirms a
			 * suspicion we hold, and otherwise we look ourselves. */
			g->st.updates_refused++;
			if (s)
				suspicion_confirm(g, s, acc);
			else if (g->probe_next == WEFT_G_NONE)
				g->probe_next = idx;
			return;
		}
		suspect(g, idx, kind, inc, acc, sig);
		return;
	default:
		return;
	}
}

/* ---- probing ---- */

static void probe_failed(weft_gossip_t *g)
{
	struct gprobe *p = &g->probe;
	struct gmember *m = &g->m[p->target];

	p->active = false;
	g->st.probe_failures++;
	/* Lifeguard: helpers that did not even nack point at our own links. */
	if (p->nacks_expected)
		awareness(g, p->nacks_expected - p->nacks_got);
	else
		awareness(g, 1);
	if (!weft_members_known(g, p->target))
		return;
	/* Try another path next time: forget a stale NAT mapping and move
	 * on to the member's next announced endpoint. */
	weft_members_forget_observed(g, p->target, WEFT_EP_OBSERVED);
	m->ep++;
	suspect_self(g, p->target);
}

static void probe_indirect(weft_gossip_t *g)
{
	struct gprobe *p = &g->probe;
	uint32_t skip[1 + 8], h, n = 1, i;
	struct weft_gossip_dgram d;

	p->indirect = true;
	skip[0] = p->target;
	for (i = 0; i < g->p.indirect_checks; i++) {
		h = weft_members_random(g, skip, n);
		if (h == WEFT_G_NONE)
			break;
		skip[n++] = h;
		if (!weft_members_dest(g, h, &d))
			continue;
		send_ping(g, WEFT_MSG_PING_REQ, p->target, p->seq, &d);
		p->nacks_expected++;
		p->helpers[p->nhelpers++] = h;
	}
	/* A second direct ping (memberlist sends one over TCP): a lost
	 * datagram then costs a suspicion only if this one is lost as well,
	 * which cuts false suspicions at 5 % loss about tenfold. If the first
	 * went through the tunnel, the tunnel may be what failed: this one
	 * takes the underlay. */
	if (p->dest.path == WEFT_PATH_OVERLAY)
		g->m[p->target].flags |= MF_OVL_FAIL;
	if (weft_members_dest(g, p->target, &d))
		send_ping(g, WEFT_MSG_PING, p->target, p->seq, &d);
}

/* Dead members are pinged again with exponential backoff (dead_retry_min,
 * doubling, at most dead_retry_max), a few random picks per probe period:
 * the cost per node stays flat in N. Once one dead member comes back (a
 * partition healed), backoff is ignored for a while so that both sides find
 * each other within a few periods. */
static uint32_t backoff_s(const weft_gossip_t *g, uint8_t retry)
{
	uint64_t b = (uint64_t)g->p.dead_retry_min_ms << (retry < 20 ? retry : 20);

	if (b > g->p.dead_retry_max_ms)
		b = g->p.dead_retry_max_ms;
	return (uint32_t)((b + 999) / 1000);
}

static struct gping *ping_slot(weft_gossip_t *g)
{
	unsigned i;

	for (i = 0; i < WEFT_G_PINGS; i++)
		if (g->pings[i].kind == PING_FREE)
			return &g->pings[i];
	return NULL;
}

static bool retry_ping(weft_gossip_t *g, uint32_t idx)
{
	struct gmember *m = &g->m[idx];

	m->aux = weft_g_secs(g) + backoff_s(g, m->retry);
	if (m->retry < 20)
		m->retry++;
	/* Its ack is our own evidence that it lives (and the ack's
	 * refutation does the rest). */
	return check_ping(g, idx);
}

/* A walk over up to DEAD_SCAN slots from a random start: the table has
 * free slots (it is indexed by the node-id directory), and three random
 * picks in a 16-slot table for a 3-member network missed a dead member
 * for a minute and more, so a healed partition went unnoticed as long. */
#define DEAD_SCAN 64

static void dead_retry(weft_gossip_t *g)
{
	uint32_t idx, tries, start, now_s = weft_g_secs(g);
	struct gmember *m;

	if (g->n_dead == 0 || g->mcap == 0)
		return;
	start = weft_g_rand_below(g, g->mcap);
	for (tries = 0; tries < DEAD_SCAN && tries < g->mcap; tries++) {
		idx = (start + tries) % g->mcap;
		if (!weft_members_known(g, idx))
			continue;
		m = &g->m[idx];
		if (m->state != WEFT_LIVE_DEAD || (m->flags & MF_PENDING) ||
		    (now_s < m->aux && g->now >= g->heal_until))
			continue;
		if (retry_ping(g, idx))
			return;
	}
}

void weft_swim_heard_from(weft_gossip_t *g, uint32_t idx)
{
	struct gmember *m = &g->m[idx];
	uint32_t last;

	/* A member we hold dead talks to us: ping it now rather than at its
	 * backoff. The ping carries its death (buddy system) and its ack the
	 * refutation, so one round trip mends a view that missed the news.
	 * At most one such ping per dead_retry_min per member. */
	if (m->state != WEFT_LIVE_DEAD)
		return;
	last = m->aux - backoff_s(g, m->retry ? m->retry - 1 : 0);
	if (weft_g_secs(g) < last + backoff_s(g, 0))
		return;
	retry_ping(g, idx);
}

void weft_swim_tick(weft_gossip_t *g)
{
	struct gprobe *p = &g->probe;
	uint32_t idx;

	if (p->active && !p->acked)
		probe_failed(g);
	p->active = false;
	g->next_probe = g->now + scaled(g, g->p.probe_interval_ms);
	dead_retry(g);
	idx = g->probe_next;
	g->probe_next = WEFT_G_NONE;
	if (idx == WEFT_G_NONE || !weft_members_eligible(g, idx) || g->m[idx].state != WEFT_LIVE_SUSPECT)
		idx = weft_members_next_probe(g);
	if (idx == WEFT_G_NONE)
		return;
	memset(p, 0, sizeof(*p));
	p->active = true;
	p->target = idx;
	p->seq = ++g->seq;
	p->t_indirect = g->now + scaled(g, g->p.probe_timeout_ms);
	p->t_end = g->now + scaled(g, g->p.probe_interval_ms);
	weft_members_dest(g, idx, &p->dest);
	g->st.probes++;
	send_ping(g, WEFT_MSG_PING, idx, p->seq, &p->dest);
}

void weft_swim_timers(weft_gossip_t *g)
{
	struct gprobe *p = &g->probe;
	struct gping *q;
	unsigned i;

	if (p->active && !p->acked) {
		if (!p->indirect && g->now >= p->t_indirect)
			probe_indirect(g);
		if (g->now >= p->t_end)
			probe_failed(g);
	}
	for (i = 0; i < WEFT_G_PINGS; i++) {
		q = &g->pings[i];
		if (q->kind == PING_FREE || g->now < q->deadline)
			continue;
		if (q->kind == PING_RELAY && !q->acked)
			send_nack(g, &q->req, q->req_seq);
		q->kind = PING_FREE;
	}
	expire_suspicions(g);
}

uint64_t weft_swim_deadline(const weft_gossip_t *g)
{
	const struct gprobe *p = &g->probe;
	uint64_t t = UINT64_MAX;
	unsigned i;

	if (p->active && !p->acked)
		t = p->indirect ? p->t_end : p->t_indirect;
	for (i = 0; i < WEFT_G_PINGS; i++)
		if (g->pings[i].kind != PING_FREE && g->pings[i].deadline < t)
			t = g->pings[i].deadline;
	if (g->nheap && g->heap[0].deadline < t)
		t = g->heap[0].deadline;
	return t;
}

void weft_swim_leave(weft_gossip_t *g)
{
	uint8_t sig[WEFT_SIG_LEN];

	g->left = true;
	if (g->inc < UINT32_MAX) {
		g->inc++;
		inc_changed(g);
	}
	g->probe.active = false;
	weft_members_set_state(g, g->self, WEFT_LIVE_LEFT, g->inc);
	weft_auth_sign_update(g, WEFT_UPD_LEFT, g->self, g->inc, sig);
	weft_bcast_swim(g, WEFT_UPD_LEFT, g->self, g->inc, WEFT_G_NONE, sig);
	g->next_gossip = g->now;
}

/* It answered a ping of ours itself: first-hand evidence that it lives. A
 * suspicion we hold is then not ours to turn into a death, and a member we
 * held dead is back (its refutation, if it sent one, came first). */
static void answered(weft_gossip_t *g, uint32_t idx)
{
	struct gmember *m = &g->m[idx];

	if (!weft_members_known(g, idx))
		return;
	if (m->state == WEFT_LIVE_SUSPECT && m->aux) {
		g->susp[m->aux - 1].alive_seen = true;
	} else if (m->state == WEFT_LIVE_DEAD) {
		g->heal_until = g->now + 10 * MS(g->p.probe_interval_ms);
		weft_sync_soon(g, idx);
		m->retry = 0;
		weft_members_set_state(g, idx, WEFT_LIVE_ALIVE, m->inc);
	}
}

/* ---- handlers ---- */

/* ping and ping-req share a body: [from, seq, target, items], and a ping
 * relayed for a ping-req adds [requester, requester seq]. The body is
 * checked whole before anything in it is applied. */
static int read_probe(weft_gossip_t *g, struct grx *rx, uint32_t *seq, weft_pk_t *target, weft_pk_t *req,
		      uint32_t *req_seq)
{
	struct weft_rbuf items;
	const uint8_t *t;

	if ((rx->nfields != 3 && !(req && rx->nfields == 5)) || weft_mp_read_u32(&rx->r, seq) ||
	    weft_mp_read_binfix(&rx->r, &t, WEFT_PK_LEN))
		return WEFT_EMALFORMED;
	memcpy(target->b, t, WEFT_PK_LEN);
	items = rx->r;
	if (weft_bcast_items(g, &rx->r, false))
		return WEFT_EMALFORMED;
	if (rx->nfields == 5) {
		if (weft_mp_read_binfix(&rx->r, &t, WEFT_PK_LEN) || weft_mp_read_u32(&rx->r, req_seq))
			return WEFT_EMALFORMED;
		memcpy(req->b, t, WEFT_PK_LEN);
	}
	if (weft_mp_end(&rx->r))
		return WEFT_EMALFORMED;
	weft_bcast_items(g, &items, true);
	return 0;
}

int weft_swim_on_ping(weft_gossip_t *g, struct grx *rx)
{
	uint8_t proof[WEFT_WIRE_PROOF_LEN];
	const uint8_t *pair = NULL;
	weft_pk_t target, req;
	uint32_t seq, req_seq = 0, ridx;
	int ret;

	if (rx->nfields != 3 && rx->nfields != 5)
		return WEFT_EMALFORMED;
	/* Checked before the items are applied: a ping meant for someone else
	 * (an address reused by another node) changes nothing here. */
	{
		struct weft_rbuf peek = rx->r;
		const uint8_t *t;

		if (weft_mp_read_u32(&peek, &seq) || weft_mp_read_binfix(&peek, &t, WEFT_PK_LEN))
			return WEFT_EMALFORMED;
		if (memcmp(t, g->id.pk.b, WEFT_PK_LEN) != 0)
			return WEFT_EPROTO;
	}
	ret = read_probe(g, rx, &seq, &target, &req, &req_seq);
	if (ret)
		return ret;
	/* Relayed for a member's ping-req: the ack carries our proof to that
	 * member (keyed with our pair key), so the helper cannot make it up. */
	if (rx->nfields == 5) {
		ridx = weft_dir_find(g->dir, &req);
		if (ridx != WEFT_G_NONE && weft_members_known(g, ridx))
			pair = weft_auth_pair_key(g, &req, ridx);
		if (pair)
			weft_wire_ack_proof(proof, pair, &req, req_seq);
	}
	/* Where the pinger's packets come from: on the underlay, this very
	 * ping's source (its gossip port's mapping); inside the tunnel, where
	 * our WireGuard sees its WireGuard (that port's mapping), if known. */
	send_ack(g, &rx->reply, seq,
		 rx->path == WEFT_PATH_UNDERLAY ? rx->from
						: weft_members_wg_seen(g, weft_dir_find(g->dir, &rx->sender)),
		 weft_dir_find(g->dir, &rx->sender), pair ? proof : NULL);
	return 0;
}

int weft_swim_on_ping_req(weft_gossip_t *g, struct grx *rx)
{
	struct weft_gossip_dgram d;
	weft_pk_t target;
	uint32_t seq, idx;
	struct gping *q;
	int ret;

	ret = read_probe(g, rx, &seq, &target, NULL, NULL);
	if (ret)
		return ret;
	idx = weft_dir_find(g->dir, &target);
	if (rx->sender_idx == WEFT_G_NONE || idx == WEFT_G_NONE || !weft_members_known(g, idx) ||
	    !weft_members_dest(g, idx, &d))
		return 0; /* we cannot help; the requester's timer covers it */
	q = ping_slot(g);
	if (!q)
		return 0;
	memset(q, 0, sizeof(*q));
	q->kind = PING_RELAY;
	q->seq = ++g->seq;
	q->target = idx;
	q->req_seq = seq;
	q->req = rx->reply;
	q->deadline = g->now + MS(g->p.probe_timeout_ms);
	send_ping_for(g, WEFT_MSG_PING, idx, q->seq, &d, rx->sender_idx, seq);
	return 0;
}

static bool asked(const struct gprobe *p, uint32_t idx)
{
	unsigned i;

	for (i = 0; i < p->nhelpers; i++)
		if (p->helpers[i] == idx)
			return true;
	return false;
}

int weft_swim_on_ack(weft_gossip_t *g, struct grx *rx)
{
	uint8_t want[WEFT_WIRE_PROOF_LEN];
	struct gprobe *p = &g->probe;
	const uint8_t *b, *proof = NULL, *pair;
	struct weft_rbuf items;
	weft_endpoint_t ep;
	bool has_ep = false, direct;
	size_t n;
	uint32_t seq;
	unsigned i;

	if ((rx->nfields != 3 && rx->nfields != 4) || weft_mp_read_u32(&rx->r, &seq))
		return WEFT_EMALFORMED;
	if (weft_mp_peek(&rx->r) == WEFT_MP_NIL) {
		weft_mp_read_nil(&rx->r);
	} else {
		if (weft_mp_read_bin(&rx->r, &b, &n) || weft_wire_get_endpoint(b, n, &ep))
			return WEFT_EMALFORMED;
		has_ep = true;
	}
	items = rx->r;
	if (weft_bcast_items(g, &rx->r, false) ||
	    (rx->nfields == 4 && weft_mp_read_binfix(&rx->r, &proof, WEFT_WIRE_PROOF_LEN)) || weft_mp_end(&rx->r))
		return WEFT_EMALFORMED;
	weft_bcast_items(g, &items, true);
	if (rx->sender_idx == WEFT_G_NONE)
		return 0;

	if (p->active && !p->acked && seq == p->seq) {
		/* An ack counts from the target itself, or from a helper we
		 * asked when it carries the target's proof: nobody else can
		 * keep a dead member alive by answering for it. */
		direct = rx->sender_idx == p->target;
		if (!direct) {
			if (!p->indirect || !proof || !asked(p, rx->sender_idx))
				return 0;
			pair = weft_auth_pair_key(g, &g->dir->ids[p->target], p->target);
			if (!pair)
				return 0;
			weft_wire_ack_proof(want, pair, &g->id.pk, seq);
			if (sodium_memcmp(want, proof, sizeof(want)) != 0)
				return 0;
		}
		p->acked = true;
		p->active = false;
		awareness(g, -1);
		if (direct && has_ep)
			weft_members_reflexive(g,
					       rx->path == WEFT_PATH_UNDERLAY ? WEFT_EP_REFLEXIVE
									      : WEFT_EP_REFLEXIVE_WG,
					       &ep);
		answered(g, p->target);
		return 0;
	}
	for (i = 0; i < WEFT_G_PINGS; i++) {
		struct gping *q = &g->pings[i];

		if (q->kind == PING_FREE || q->seq != seq || q->acked || q->target != rx->sender_idx)
			continue;
		if (q->kind == PING_RETRY) {
			q->kind = PING_FREE;
			answered(g, q->target);
			return 0;
		}
		q->acked = true;
		send_ack(g, &q->req, q->req_seq, NULL, weft_dir_find(g->dir, &q->req.peer), proof);
		q->kind = PING_FREE;
		return 0;
	}
	return 0;
}

int weft_swim_on_nack(weft_gossip_t *g, struct grx *rx)
{
	struct gprobe *p = &g->probe;
	uint32_t seq;

	if (rx->nfields != 1 || weft_mp_read_u32(&rx->r, &seq) || weft_mp_end(&rx->r))
		return WEFT_EMALFORMED;
	if (p->active && seq == p->seq && p->nacks_got < p->nacks_expected && rx->sender_idx != WEFT_G_NONE &&
	    asked(p, rx->sender_idx))
		p->nacks_got++;
	return 0;
}
