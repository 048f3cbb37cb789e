/* sim/metrics.c: what a run measures. Tracked records (when each node's
 * store first held a record the scenario published), crashes (when each
 * node first marked a crashed node dead), suspicions and deaths of nodes
 * that were up, time up per node for the bandwidth figures, and the
 * figures themselves at the end. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/error.h"
#include "sim/internal.h"

static const char *const group_names[TG_COUNT] = {
	[TG_STATE] = "state",     [TG_REVOCATION] = "revocation", [TG_ROTATE] = "rotate",
	[TG_NETWORK] = "network", [TG_ROTATE_KEY] = "rotate-key", [TG_MEMBER] = "member",
};

static bool bit(const uint8_t *bm, uint32_t i)
{
	return bm[i / 8] & (1u << (i % 8));
}

static void set_bit(uint8_t *bm, uint32_t i)
{
	bm[i / 8] |= (uint8_t)(1u << (i % 8));
}

/* ---- tracked records ---- */

static uint32_t key_hash(uint8_t type, const uint8_t subject[32])
{
	uint64_t v;

	memcpy(&v, subject, 8);
	v ^= (uint64_t)type * 0xff51afd7ed558ccdull;
	v *= 0x9e3779b97f4a7c15ull;
	return (uint32_t)(v >> 32);
}

/* The head slot for (type, subject): its chain, or an empty slot. */
static uint32_t *head_slot(struct weft_sim *s, uint8_t type, const uint8_t subject[32])
{
	uint32_t mask = s->track_head_cap - 1, i = key_hash(type, subject) & mask, v;
	const struct sim_track *t;

	while ((v = s->track_head[i]) != 0) {
		t = &s->tracks[v - 1];
		if (t->type == type && memcmp(t->subject, subject, 32) == 0)
			break;
		i = (i + 1) & mask;
	}
	return &s->track_head[i];
}

static int heads_grow(struct weft_sim *s)
{
	uint32_t *old = s->track_head, oldcap = s->track_head_cap, i, *slot;
	const struct sim_track *t;

	s->track_head_cap = oldcap ? oldcap * 2 : 256;
	s->track_head = calloc(s->track_head_cap, sizeof(*s->track_head));
	if (!s->track_head) {
		s->track_head = old;
		s->track_head_cap = oldcap;
		return -1;
	}
	for (i = 0; i < oldcap; i++) {
		if (!old[i])
			continue;
		t = &s->tracks[old[i] - 1];
		slot = head_slot(s, t->type, t->subject);
		*slot = old[i];
	}
	free(old);
	return 0;
}

int sim_track_add(struct weft_sim *s, uint8_t group, const weft_record_t *r, uint32_t origin)
{
	struct sim_track *t;
	uint32_t *slot, i;
	size_t cap;

	if (s->ntracks == s->tracks_cap) {
		cap = s->tracks_cap ? s->tracks_cap * 2 : 64;
		t = realloc(s->tracks, cap * sizeof(*t));
		if (!t)
			goto nomem;
		s->tracks = t;
		s->tracks_cap = (uint32_t)cap;
	}
	if (2 * (s->ntracks + 1) > s->track_head_cap && heads_grow(s))
		goto nomem;
	t = &s->tracks[s->ntracks];
	memset(t, 0, sizeof(*t));
	t->type = r->type;
	t->group = group;
	weft_record_subject(r, t->subject);
	weft_record_hash(r, t->hash);
	t->version = weft_record_version(r);
	t->t0 = s->now;
	t->origin = origin;
	t->delay_us = malloc((size_t)s->nmax * sizeof(*t->delay_us));
	t->up0 = calloc((s->nmax + 7) / 8, 1);
	if (!t->delay_us || !t->up0) {
		free(t->delay_us);
		free(t->up0);
		goto nomem;
	}
	memset(t->delay_us, 0xff, (size_t)s->nmax * sizeof(*t->delay_us));
	for (i = 0; i < s->n; i++)
		if (s->nodes[i].status == NS_UP)
			set_bit(t->up0, i);
	slot = head_slot(s, t->type, t->subject);
	t->next = *slot;
	*slot = ++s->ntracks;
	/* The origin holds it already (its event came before this call). */
	if (origin < s->nmax)
		t->delay_us[origin] = 0;
	return 0;
nomem:
	sim_fail(s, "out of memory tracking a record");
	return -1;
}

void sim_track_on_record(struct weft_sim *s, struct sim_node *nd, uint8_t type, const uint8_t subject[32])
{
	const weft_record_t *cur;
	struct sim_track *t;
	uint8_t h[32];
	bool hashed = false;
	uint32_t v;
	uint64_t d;

	if (!s->track_head_cap || !(v = *head_slot(s, type, subject)))
		return;
	cur = weft_store_get(nd->store, type, subject);
	if (!cur)
		return;
	for (; v; v = t->next) {
		t = &s->tracks[v - 1];
		if (t->delay_us[nd->idx] != UINT32_MAX)
			continue;
		/* This record, or a newer version that replaced it. */
		if (!(t->version && weft_record_version(cur) > t->version)) {
			if (!hashed) {
				weft_record_hash(cur, h);
				hashed = true;
			}
			if (memcmp(h, t->hash, 32) != 0)
				continue;
		}
		d = (s->now - t->t0) / 1000;
		t->delay_us[nd->idx] = d >= UINT32_MAX ? UINT32_MAX - 1 : (uint32_t)d;
	}
}

/* ---- crashes and liveness ---- */

int sim_crash_open(struct weft_sim *s, struct sim_node *nd)
{
	struct sim_crash *c;
	uint32_t i;
	size_t cap;

	if (s->ncrashes == s->crashes_cap) {
		cap = s->crashes_cap ? s->crashes_cap * 2 : 16;
		c = realloc(s->crashes, cap * sizeof(*c));
		if (!c)
			goto nomem;
		s->crashes = c;
		s->crashes_cap = (uint32_t)cap;
	}
	c = &s->crashes[s->ncrashes];
	memset(c, 0, sizeof(*c));
	c->node = nd->idx;
	c->t = s->now;
	c->t_back = UINT64_MAX;
	c->delay_us = malloc((size_t)s->nmax * sizeof(*c->delay_us));
	c->eligible = calloc((s->nmax + 7) / 8, 1);
	if (!c->delay_us || !c->eligible) {
		free(c->delay_us);
		free(c->eligible);
		goto nomem;
	}
	memset(c->delay_us, 0xff, (size_t)s->nmax * sizeof(*c->delay_us));
	for (i = 0; i < s->n; i++)
		if (i != nd->idx && s->nodes[i].status == NS_UP && weft_gossip_is_member(s->nodes[i].g))
			set_bit(c->eligible, i);
	nd->crash_idx = s->ncrashes++;
	return 0;
nomem:
	sim_fail(s, "out of memory recording a crash");
	return -1;
}

static void crash_close(struct weft_sim *s, struct sim_node *nd)
{
	if (nd->crash_idx != SIM_NONE)
		s->crashes[nd->crash_idx].t_back = s->now;
	nd->crash_idx = SIM_NONE;
	nd->back_at = s->now;
}

/* Whether the protocol had a reason to doubt x as seen from obs: x
 * crashed or restarted lately, or the two were cut off from each other. */
static bool blamed(struct weft_sim *s, uint32_t obs, uint32_t x, bool *cut)
{
	uint64_t from = s->now > SIM_BLAME_WINDOW ? s->now - SIM_BLAME_WINDOW : 0;
	const struct sim_node *nx = &s->nodes[x];

	*cut = false;
	if (nx->crashes && nx->crashed_at >= from)
		return true;
	if (nx->back_at && nx->back_at >= from)
		return true;
	*cut = sim_cut_recently(s, obs, x, from);
	return *cut;
}

void sim_metrics_liveness(struct weft_sim *s, struct sim_node *obs, const weft_pk_t *who, uint8_t state)
{
	uint32_t x = sim_node_by_id(s, who);
	struct sim_node *nx;
	struct sim_crash *c;
	uint64_t d;
	bool cut;

	if (x == SIM_NONE)
		return;
	nx = &s->nodes[x];
	/* Alive again while it is down, after this observer held it dead:
	 * someone kept a dead member alive (the adversary's "alive"). */
	if (state == WEFT_LIVE_ALIVE && nx->status == NS_DOWN && nx->crash_idx != SIM_NONE && !obs->malicious &&
	    !nx->malicious) {
		c = &s->crashes[nx->crash_idx];
		if (bit(c->eligible, obs->idx) && c->delay_us[obs->idx] != UINT32_MAX)
			s->revived_dead++;
		return;
	}
	if (state == WEFT_LIVE_DEAD && nx->crash_idx != SIM_NONE) {
		c = &s->crashes[nx->crash_idx];
		if (bit(c->eligible, obs->idx) && c->delay_us[obs->idx] == UINT32_MAX) {
			d = (s->now - c->t) / 1000;
			c->delay_us[obs->idx] = d >= UINT32_MAX ? UINT32_MAX - 1 : (uint32_t)d;
		}
		return;
	}
	/* A revoked node is outside the network: what it thinks of the
	 * members (who no longer answer it) is no one's false alarm. */
	if (nx->status != NS_UP || nx->revoked || obs->revoked ||
	    (state != WEFT_LIVE_DEAD && state != WEFT_LIVE_SUSPECT))
		return;
	if (blamed(s, obs->idx, x, &cut)) {
		if (cut && state == WEFT_LIVE_DEAD)
			s->partition_deaths++;
		return;
	}
	if (state == WEFT_LIVE_DEAD)
		s->false_deaths++;
	else
		s->false_suspicions++;
	if (obs->malicious || nx->malicious)
		return;
	if (state == WEFT_LIVE_DEAD)
		s->honest_false_deaths++;
	else
		s->honest_false_suspicions++;
}

void sim_metrics_endpoint(struct weft_sim *s, struct sim_node *obs, const struct weft_gossip_event *ev)
{
	uint32_t x = sim_node_by_id(s, &ev->node);
	weft_endpoint_t own;

	/* Every host has one underlay address here: a member's packets can
	 * only come from it, so an observed endpoint anywhere else was
	 * learnt from a packet someone else sent in its name. */
	if (x == SIM_NONE || obs->malicious || ev->ep_kind != WEFT_EP_OBSERVED)
		return;
	sim_endpoint_of(x, &own);
	if (!weft_endpoint_equal(&own, &ev->ep))
		s->forged_endpoints++;
}

void sim_metrics_misbehaving(struct weft_sim *s, struct sim_node *obs, const weft_pk_t *who)
{
	uint32_t x = sim_node_by_id(s, who);

	if (obs->malicious || x == SIM_NONE)
		return;
	if (s->nodes[x].malicious)
		s->misbehaving_reports++;
	else
		s->misbehaving_honest++;
}

static uint64_t overlap(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1)
{
	uint64_t lo = a0 > b0 ? a0 : b0, hi = a1 < b1 ? a1 : b1;

	return hi > lo ? hi - lo : 0;
}

void sim_metrics_up(struct weft_sim *s, struct sim_node *nd, bool up)
{
	if (up) {
		nd->up_since = s->now;
		if (nd->crash_idx != SIM_NONE || nd->crashes)
			crash_close(s, nd);
		return;
	}
	nd->up_ns += overlap(nd->up_since, s->now, s->win_from, s->win_to);
}

/* ---- figures ---- */

struct u32v {
	uint32_t *v;
	size_t n, cap;
};

static int push(struct u32v *a, uint32_t x)
{
	uint32_t *v;
	size_t cap;

	if (a->n == a->cap) {
		cap = a->cap ? a->cap * 2 : 1024;
		v = realloc(a->v, cap * sizeof(*v));
		if (!v)
			return -1;
		a->v = v;
		a->cap = cap;
	}
	a->v[a->n++] = x;
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted delays, in ms. */
static void dist(struct u32v *a, uint64_t expected, struct weft_sim_dist *d)
{
	size_t k;

	d->count = a->n;
	d->expected = expected;
	d->p50_ms = d->p99_ms = d->max_ms = -1;
	if (a->n == 0)
		return;
	qsort(a->v, a->n, sizeof(*a->v), cmp_u32);
	k = (size_t)ceil(0.50 * (double)a->n);
	d->p50_ms = a->v[k ? k - 1 : 0] / 1000.0;
	k = (size_t)ceil(0.99 * (double)a->n);
	d->p99_ms = a->v[k ? k - 1 : 0] / 1000.0;
	d->max_ms = a->v[a->n - 1] / 1000.0;
}

/* Whether node i counts for record t: up when it was published and at
 * the end, not its origin, not revoked. */
static bool track_eligible(const struct weft_sim *s, const struct sim_track *t, uint32_t i)
{
	const struct sim_node *nd = &s->nodes[i];

	return i != t->origin && bit(t->up0, i) && nd->status == NS_UP && !nd->revoked;
}

static void curve(struct weft_sim_result *r, const struct u32v *all, uint64_t expected)
{
	static const uint32_t steps_ms[] = { 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000, 60000 };
	uint64_t horizon_us = all->n ? all->v[all->n - 1] : 0;
	uint32_t step = steps_ms[0];
	size_t i, k = 0;

	for (i = 0; i < sizeof(steps_ms) / sizeof(steps_ms[0]); i++) {
		step = steps_ms[i];
		if (horizon_us / 1000 / step < WEFT_SIM_CURVE_MAX - 2)
			break;
	}
	r->curve_step_ms = step;
	r->ncurve = (size_t)(horizon_us / 1000 / step) + 2;
	if (r->ncurve > WEFT_SIM_CURVE_MAX)
		r->ncurve = WEFT_SIM_CURVE_MAX;
	for (i = 0; i < r->ncurve; i++) {
		while (k < all->n && all->v[k] <= (uint64_t)i * step * 1000)
			k++;
		r->curve[i] = expected ? (double)k / (double)expected : 0;
	}
}

static void dissemination(struct weft_sim *s, struct weft_sim_result *r)
{
	struct u32v all = { 0 }, grp[TG_COUNT];
	uint64_t exp_all = 0, exp[TG_COUNT] = { 0 };
	uint32_t nrec[TG_COUNT] = { 0 }, t, i;
	bool fail = false;

	memset(grp, 0, sizeof(grp));
	for (t = 0; t < s->ntracks; t++) {
		const struct sim_track *tr = &s->tracks[t];

		nrec[tr->group]++;
		for (i = 0; i < s->n; i++) {
			if (!track_eligible(s, tr, i))
				continue;
			if (tr->type == WEFT_REC_REVOCATION && !memcmp(tr->subject, s->nodes[i].id.pk.b, 32))
				continue;
			exp[tr->group]++;
			if (tr->delay_us[i] != UINT32_MAX)
				fail |= push(&grp[tr->group], tr->delay_us[i]) != 0;
			if (tr->group > TG_PRIMARY_MAX)
				continue;
			exp_all++;
			if (tr->delay_us[i] != UINT32_MAX)
				fail |= push(&all, tr->delay_us[i]) != 0;
		}
	}
	if (fail)
		sim_fail(s, "out of memory computing the figures");
	dist(&all, exp_all, &r->dis);
	r->informed_fraction = exp_all ? (double)all.n / (double)exp_all : 0;
	curve(r, &all, exp_all);
	for (t = 0; t < TG_COUNT && r->ngroups < WEFT_SIM_RESULT_GROUPS; t++) {
		if (!nrec[t])
			continue;
		snprintf(r->groups[r->ngroups].name, sizeof(r->groups[r->ngroups].name), "%s", group_names[t]);
		r->groups[r->ngroups].records = nrec[t];
		dist(&grp[t], exp[t], &r->groups[r->ngroups].d);
		r->ngroups++;
	}
	for (t = 0; t < TG_COUNT; t++)
		free(grp[t].v);
	free(all.v);
}

static void detection(struct weft_sim *s, struct weft_sim_result *r)
{
	struct u32v all = { 0 };
	uint64_t expected = 0;
	uint32_t c, i;
	bool fail = false;

	for (c = 0; c < s->ncrashes; c++) {
		const struct sim_crash *cr = &s->crashes[c];

		for (i = 0; i < s->n; i++) {
			if (!bit(cr->eligible, i) || s->nodes[i].status != NS_UP || s->nodes[i].revoked)
				continue;
			/* A node that came back before this observer noticed
			 * is no longer dead: that observer is not counted. */
			if (cr->delay_us[i] == UINT32_MAX && cr->t_back != UINT64_MAX)
				continue;
			expected++;
			if (cr->delay_us[i] != UINT32_MAX)
				fail |= push(&all, cr->delay_us[i]) != 0;
		}
	}
	if (fail)
		sim_fail(s, "out of memory computing the figures");
	r->crashes = s->ncrashes;
	dist(&all, expected, &r->det);
	free(all.v);
}

static void joins(struct weft_sim *s, struct weft_sim_result *r)
{
	struct u32v all = { 0 };
	uint32_t i;

	r->joins = s->joins;
	for (i = 0; i < s->n; i++) {
		const struct sim_node *nd = &s->nodes[i];

		if (!nd->joiner)
			continue;
		if (nd->joined) {
			r->joined++;
			if (push(&all, (uint32_t)((nd->join_t1 - nd->join_t0) / 1000)))
				sim_fail(s, "out of memory computing the figures");
		}
	}
	r->join_failed = r->joins - r->joined;
	dist(&all, r->joins, &r->join);
	free(all.v);
}

static void bandwidth(struct weft_sim *s, struct weft_sim_result *r)
{
	double up_s = 0, bytes = 0, pkts = 0, wire = 0, sec;
	uint32_t i;

	r->window_s = (double)(s->win_to - s->win_from) / 1e9;
	for (i = 0; i < s->n; i++) {
		struct sim_node *nd = &s->nodes[i];
		uint64_t up_ns = nd->up_ns;

		if (nd->malicious)
			continue; /* the protocol's cost is the honest members' */
		if (nd->status == NS_UP)
			up_ns += overlap(nd->up_since, s->now, s->win_from, s->win_to);
		if (up_ns == 0)
			continue;
		sec = (double)up_ns / 1e9;
		up_s += sec;
		bytes += (double)nd->tx_bytes;
		pkts += (double)nd->tx_pkts;
		wire += (double)nd->tx_wire;
		/* The busiest node, among those up long enough to say. */
		if (up_ns < WEFT_SIM_SEC)
			continue;
		if (nd->tx_bytes / sec > r->bytes_per_node_per_s_max)
			r->bytes_per_node_per_s_max = nd->tx_bytes / sec;
		if (nd->tx_pkts / sec > r->packets_per_node_per_s_max)
			r->packets_per_node_per_s_max = nd->tx_pkts / sec;
		if (nd->tx_wire / sec > r->wire_bytes_per_node_per_s_max)
			r->wire_bytes_per_node_per_s_max = nd->tx_wire / sec;
	}
	if (up_s > 0) {
		r->bytes_per_node_per_s = bytes / up_s;
		r->packets_per_node_per_s = pkts / up_s;
		r->wire_bytes_per_node_per_s = wire / up_s;
	}
}

static void end_state(struct weft_sim *s, struct weft_sim_result *r)
{
	struct weft_gossip_member_info mi;
	struct weft_gossip_stats st;
	uint8_t first[32], d[32];
	bool have = false;
	uint32_t i, k, members = 0;

	r->converged = true;
	r->min_alive_view = UINT32_MAX;
	for (i = 0; i < s->n; i++) {
		struct sim_node *nd = &s->nodes[i];

		if (nd->status != NS_UP)
			continue;
		r->up++;
		if (!weft_gossip_is_member(nd->g) || nd->revoked)
			continue;
		members++;
		weft_store_digest(nd->store, d);
		if (!have) {
			memcpy(first, d, 32);
			have = true;
		} else if (memcmp(first, d, 32) != 0) {
			r->converged = false;
		}
		weft_gossip_stats(nd->g, &st);
		r->records_merged += st.records_merged;
		r->syncs += st.syncs;
		r->sync_records += st.sync_records;
		if (st.alive < r->min_alive_view)
			r->min_alive_view = st.alive;
		for (k = 0; k < s->n; k++)
			if (k != i && s->nodes[k].revoked && weft_gossip_member(nd->g, &s->nodes[k].id.pk, &mi) == 0)
				r->revoked_seen++;
	}
	r->up_members = members;
	if (r->min_alive_view == UINT32_MAX)
		r->min_alive_view = 0;
}

/* ---- views at the end ---- */

static int cmp_ip(const void *a, const void *b)
{
	return weft_ip_cmp(a, b);
}

/* BLAKE2b over (node id, status, IPv4 address) of every member, in the
 * view's order: equal for equal views. */
static void view_hash(const weft_view_t *v, uint8_t out[32])
{
	crypto_generichash_state st;
	size_t i;

	crypto_generichash_init(&st, NULL, 0, 32);
	for (i = 0; i < v->nmembers; i++) {
		const struct weft_member_view *m = &v->members[i];

		crypto_generichash_update(&st, m->node_id.b, sizeof(m->node_id.b));
		crypto_generichash_update(&st, &m->status, 1);
		crypto_generichash_update(&st, (const uint8_t *)&m->address4, sizeof(m->address4));
	}
	crypto_generichash_final(&st, out, 32);
}

/* What the daemon would act on: every up member computes its view; they
 * must agree, give each member an address in the network's CIDR, never
 * one address twice, and after a rotation order every held key must be
 * newer than the order. */
static void view_checks(struct weft_sim *s, struct weft_sim_result *r)
{
	const uint8_t zero[32] = { 0 };
	uint8_t first[32], h[32];
	weft_ip_t *own = NULL;
	uint32_t i, k, nown = 0;
	bool have = false;

	r->overused_node = UINT32_MAX;
	if (s->n > WEFT_SIM_VIEW_MAX)
		return;
	own = calloc(s->n ? s->n : 1, sizeof(*own));
	if (!own) {
		sim_fail(s, "out of memory checking views");
		return;
	}
	r->views_checked = true;
	r->views_agree = true;
	for (i = 0; i < s->n; i++) {
		struct sim_node *nd = &s->nodes[i];
		const struct weft_member_view *me;
		const weft_record_t *net, *rot;
		weft_view_t v;

		if (nd->status != NS_UP || nd->revoked || !weft_gossip_is_member(nd->g))
			continue;
		if (weft_store_view(nd->store, sim_wall_ms(s), &v)) {
			sim_fail(s, "node %u cannot compute its view", i);
			break;
		}
		view_hash(&v, h);
		if (!have) {
			memcpy(first, h, 32);
			have = true;
			for (k = 0; k < v.nmembers; k++) {
				uint32_t x = sim_node_by_id(s, &v.members[k].node_id);

				if (v.members[k].status == WEFT_MEMBER_ACTIVE)
					r->members_active++;
				if (v.members[k].status != WEFT_MEMBER_OVERUSED)
					continue;
				r->members_overused++;
				if (x < r->overused_node)
					r->overused_node = x;
			}
			/* Names an honest member asked for and a malicious one
			 * holds (one that joined before it). */
			for (k = 0; k < v.nmembers; k++) {
				uint32_t x = sim_node_by_id(s, &v.members[k].node_id);
				uint32_t y = v.members[k].name_lost[0] ? sim_node_by_id(s, &v.members[k].name_holder)
								       : SIM_NONE;

				if (x != SIM_NONE && y != SIM_NONE && !s->nodes[x].malicious &&
				    s->nodes[y].malicious)
					r->names_taken++;
			}
		} else if (memcmp(first, h, 32) != 0) {
			r->views_agree = false;
		}
		net = v.network;
		me = weft_view_find(&v, &nd->id.pk);
		/* An over-used member holds no address, by design. */
		if (me && me->status == WEFT_MEMBER_OVERUSED)
			;
		else if (!me || !net || !weft_cidr_contains(&net->u.network.cidr4, &me->address4))
			r->addr_outside++;
		else
			own[nown++] = me->address4;
		rot = weft_store_get(nd->store, WEFT_REC_ROTATE, zero);
		for (k = 0; rot && k < v.nmembers; k++) {
			const struct weft_member_view *m = &v.members[k];

			if (m->status == WEFT_MEMBER_ACTIVE && m->state &&
			    m->state->u.node_state.wg_key_time < rot->u.rotate.older_than)
				r->stale_keys++;
		}
		weft_view_free(&v);
	}
	if (nown > 1) {
		qsort(own, nown, sizeof(*own), cmp_ip);
		for (i = 0; i < nown; i++)
			if ((i > 0 && weft_ip_equal(&own[i], &own[i - 1])) ||
			    (i + 1 < nown && weft_ip_equal(&own[i], &own[i + 1])))
				r->addr_dupes++;
	}
	free(own);
}

void sim_metrics_result(struct weft_sim *s, struct weft_sim_result *r)
{
	static const char hex[] = "0123456789abcdef";
	unsigned i;

	dissemination(s, r);
	detection(s, r);
	joins(s, r);
	bandwidth(s, r);
	end_state(s, r);
	view_checks(s, r);
	r->false_suspicions = s->false_suspicions;
	r->false_deaths = s->false_deaths;
	r->malicious = s->nmalicious;
	r->attacks = s->nmalicious ? s->sc.attacks : 0;
	r->attack_pkts = s->attack_pkts;
	r->attack_bytes = s->attack_bytes;
	r->honest_false_suspicions = s->honest_false_suspicions;
	r->honest_false_deaths = s->honest_false_deaths;
	r->revived_dead = s->revived_dead;
	r->forged_endpoints = s->forged_endpoints;
	r->misbehaving_reports = s->misbehaving_reports;
	r->misbehaving_honest = s->misbehaving_honest;
	r->partition_deaths = s->partition_deaths;
	r->handshakes = s->handshakes;
	r->handshakes_failed = s->handshakes_failed;
	r->pkts_sent = s->pkts_sent;
	r->pkts_lost = s->pkts_lost;
	r->pkts_dropped = s->pkts_dropped;
	r->overlay_pkts = s->overlay_pkts;
	r->underlay_pkts = s->underlay_pkts;
	r->event_overflows = s->event_overflows;
	for (i = 0; i < 32; i++) {
		r->trace[2 * i] = hex[s->trace[i] >> 4];
		r->trace[2 * i + 1] = hex[s->trace[i] & 15];
	}
	r->trace[64] = 0;
}

void sim_metrics_free(struct weft_sim *s)
{
	uint32_t i;

	for (i = 0; i < s->ntracks; i++) {
		free(s->tracks[i].delay_us);
		free(s->tracks[i].up0);
	}
	free(s->tracks);
	free(s->track_head);
	for (i = 0; i < s->ncrashes; i++) {
		free(s->crashes[i].delay_us);
		free(s->crashes[i].eligible);
	}
	free(s->crashes);
	s->tracks = NULL;
	s->track_head = NULL;
	s->crashes = NULL;
}
