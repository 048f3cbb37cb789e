/* sim/sim.c: a run. Builds the network, schedules the scenario's actions,
 * and runs the event loop: timers, datagrams, actions, restarts, in virtual
 * time order, until the scenario's end. Actions pick their nodes here, from
 * the run's seed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/error.h"
#include "sim/internal.h"

/* ---- choosing nodes ---- */

static bool crashable(const struct sim_node *nd)
{
	return nd->status == NS_UP && (!nd->joiner || nd->joined);
}

/* A node in the network that is up and a member. */
static bool usable(const struct sim_node *nd)
{
	return crashable(nd) && !nd->revoked && weft_gossip_is_member(nd->g);
}

static uint32_t random_usable(struct weft_sim *s, uint32_t avoid)
{
	uint32_t i, k, start;

	for (k = 0; k < 64; k++) {
		i = (uint32_t)sim_rand_below(&s->rng, s->n);
		if (i != avoid && usable(&s->nodes[i]))
			return i;
	}
	start = (uint32_t)sim_rand_below(&s->rng, s->n);
	for (k = 0; k < s->n; k++) {
		i = (start + k) % s->n;
		if (i != avoid && usable(&s->nodes[i]))
			return i;
	}
	return SIM_NONE;
}

/* One node: admin, node N or random (a usable one other than avoid). */
static uint32_t pick_one(struct weft_sim *s, const struct weft_sim_pick *p, uint32_t avoid)
{
	switch (p->kind) {
	case WEFT_SIM_PICK_ADMIN:
		return 0;
	case WEFT_SIM_PICK_NODE:
		return p->n < s->n ? p->n : SIM_NONE;
	default:
		return random_usable(s, avoid);
	}
}

/* The nodes an action names among the candidates (up ones to crash, down
 * ones to restart), in a random order for counts and shares. Returns how
 * many it wrote to out (room for s->n). */
static uint32_t pick_many(struct weft_sim *s, const struct weft_sim_pick *p, bool down, uint32_t *out)
{
	uint32_t nc = 0, want, i, j, t, one;

	if (p->kind == WEFT_SIM_PICK_ADMIN || p->kind == WEFT_SIM_PICK_NODE ||
	    (p->kind == WEFT_SIM_PICK_RANDOM && !down)) {
		one = pick_one(s, p, SIM_NONE);
		if (one == SIM_NONE || (down ? s->nodes[one].status != NS_DOWN : !crashable(&s->nodes[one])))
			return 0;
		out[0] = one;
		return 1;
	}
	for (i = 0; i < s->n; i++)
		if (down ? s->nodes[i].status == NS_DOWN : crashable(&s->nodes[i]))
			out[nc++] = i;
	switch (p->kind) {
	case WEFT_SIM_PICK_ALL:
		return nc;
	case WEFT_SIM_PICK_PERCENT:
		want = (uint32_t)(((uint64_t)p->n * s->n + 500000) / 1000000);
		break;
	case WEFT_SIM_PICK_COUNT:
		want = p->n;
		break;
	default:
		want = 1;
		break;
	}
	if (want == 0)
		want = 1;
	if (want > nc)
		want = nc;
	for (i = 0; i < want; i++) {
		j = i + (uint32_t)sim_rand_below(&s->rng, nc - i);
		t = out[i];
		out[i] = out[j];
		out[j] = t;
	}
	return want;
}

/* ---- actions ---- */

static int restart(struct weft_sim *s, struct sim_node *nd)
{
	if (nd->status != NS_DOWN)
		return 0;
	return sim_node_start(s, nd);
}

static int act_nodes(struct weft_sim *s, const struct weft_sim_action *a)
{
	uint32_t *v = malloc((s->n ? s->n : 1) * sizeof(*v)), n, i;
	int ret = 0;

	if (!v) {
		sim_fail(s, "out of memory");
		return -ENOMEM;
	}
	n = pick_many(s, &a->who, a->kind == WEFT_SIM_ACT_RESTART, v);
	for (i = 0; i < n && !ret; i++) {
		struct sim_node *nd = &s->nodes[v[i]];

		if (a->kind == WEFT_SIM_ACT_RESTART) {
			ret = restart(s, nd);
			continue;
		}
		sim_node_crash(s, nd);
		if (a->dur_ns && sim_queue_push(&s->q, s->now + a->dur_ns, EV_RESTART, nd->idx, nd->crashes, NULL))
			ret = -ENOMEM;
	}
	free(v);
	return ret;
}

static int act_join(struct weft_sim *s, const struct weft_sim_action *a)
{
	uint32_t via[WEFT_SIM_MAX_VIA], nvia, i, k, v;
	int ret;

	for (i = 0; i < a->count; i++) {
		if (s->n >= s->nmax) {
			sim_fail(s, "no room for another node");
			return -ENOSPC;
		}
		nvia = 0;
		for (k = 0; k < a->nvia; k++) {
			v = pick_one(s, &a->via[k], SIM_NONE);
			if (v != SIM_NONE)
				via[nvia++] = v;
		}
		if (nvia == 0)
			via[nvia++] = 0;
		s->n++;
		ret = sim_node_join(s, &s->nodes[s->n - 1], via, nvia);
		if (ret)
			return ret;
	}
	return 0;
}

static void act_cut(struct weft_sim *s, const struct weft_sim_action *a)
{
	struct sim_cut *c;
	size_t i, cap;

	if (a->kind == WEFT_SIM_ACT_HEAL) {
		for (i = 0; i < s->ncuts; i++) {
			c = &s->cuts[i];
			if (c->to == UINT64_MAX && (a->g1 == 0xff || (c->g1 == a->g1 && c->g2 == a->g2) ||
						    (c->g1 == a->g2 && c->g2 == a->g1)))
				c->to = s->now;
		}
		return;
	}
	if (s->ncuts == s->cuts_cap) {
		cap = s->cuts_cap ? s->cuts_cap * 2 : 8;
		c = realloc(s->cuts, cap * sizeof(*c));
		if (!c) {
			sim_fail(s, "out of memory");
			return;
		}
		s->cuts = c;
		s->cuts_cap = cap;
	}
	s->cuts[s->ncuts++] = (struct sim_cut){ a->g1, a->g2, s->now, UINT64_MAX };
}

/* An admin record enters the network at one member (`weft push` there). */
static int act_admin(struct weft_sim *s, const struct weft_sim_action *a)
{
	uint32_t target = SIM_NONE, at;
	weft_record_t r;
	uint8_t group;

	memset(&r, 0, offsetof(weft_record_t, raw));
	if (a->kind == WEFT_SIM_ACT_REVOKE) {
		/* A random target is never the admin's node. */
		target = a->who.kind == WEFT_SIM_PICK_RANDOM ? random_usable(s, 0) : pick_one(s, &a->who, SIM_NONE);
		if (target == SIM_NONE || target >= s->n)
			return 0;
	}
	at = pick_one(s, &a->from, target);
	if (at == SIM_NONE || at == target || !usable(&s->nodes[at]))
		at = random_usable(s, target);
	if (at == SIM_NONE)
		return 0;
	s->admin_version = weft_hlc_next(s->admin_version, sim_wall_ms(s));
	switch (a->kind) {
	case WEFT_SIM_ACT_REVOKE:
		r.type = WEFT_REC_REVOCATION;
		r.u.revocation.node_id = s->nodes[target].id.pk;
		r.u.revocation.time = sim_wall_ms(s) / 1000;
		snprintf(r.u.revocation.reason, sizeof(r.u.revocation.reason), "sim");
		s->nodes[target].revoked = true;
		group = TG_REVOCATION;
		break;
	case WEFT_SIM_ACT_ROTATE:
		r.type = WEFT_REC_ROTATE;
		r.u.rotate.version = s->admin_version;
		r.u.rotate.older_than = sim_wall_ms(s) / 1000;
		group = TG_ROTATE;
		break;
	default:
		r = s->settings;
		r.u.network.version = s->admin_version;
		r.u.network.cidr4 = a->cidr;
		s->settings = r;
		group = TG_NETWORK;
		break;
	}
	return sim_admin_publish(s, &s->nodes[at], &r, group);
}

static void run_action(struct weft_sim *s, const struct weft_sim_action *a)
{
	uint32_t who;

	switch (a->kind) {
	case WEFT_SIM_ACT_PUBLISH:
		who = pick_one(s, &a->who, SIM_NONE);
		if (who != SIM_NONE && usable(&s->nodes[who]))
			sim_node_publish_state(s, &s->nodes[who], TG_STATE);
		break;
	case WEFT_SIM_ACT_CRASH:
	case WEFT_SIM_ACT_RESTART:
		act_nodes(s, a);
		break;
	case WEFT_SIM_ACT_JOIN:
		act_join(s, a);
		break;
	case WEFT_SIM_ACT_PARTITION:
	case WEFT_SIM_ACT_HEAL:
		act_cut(s, a);
		break;
	case WEFT_SIM_ACT_REVOKE:
	case WEFT_SIM_ACT_ROTATE:
	case WEFT_SIM_ACT_CIDR:
		act_admin(s, a);
		break;
	case WEFT_SIM_ACT_LOSS:
		s->loss_ppm = (uint32_t)a->value;
		break;
	case WEFT_SIM_ACT_LATENCY:
		s->latency = a->value;
		break;
	case WEFT_SIM_ACT_JITTER:
		s->jitter = a->value;
		break;
	default:
		break;
	}
}

/* ---- the loop ---- */

static void on_packet(struct weft_sim *s, struct sim_pkt *p)
{
	struct sim_node *nd = &s->nodes[p->dst];
	weft_endpoint_t from;

	if (!sim_link_arrive(s, p))
		return;
	if (nd->status != NS_UP) {
		s->pkts_dropped++;
	} else if (p->kind == PK_GOSSIP) {
		if (p->path == WEFT_PATH_OVERLAY) {
			sim_overlay_of(p->src, &from);
			sim_tunnel_on_data(s, p->src, p->dst);
		} else {
			sim_endpoint_of(p->src, &from);
		}
		weft_gossip_recv(nd->g, p->path, &from, p->data, p->len, s->now);
		sim_node_drain(s, nd);
	} else {
		sim_tunnel_on_packet(s, p);
	}
	sim_pkt_free(s, p);
}

static void on_timer(struct weft_sim *s, const struct sim_ev *ev)
{
	struct sim_node *nd = &s->nodes[ev->node];

	if (nd->status != NS_UP || ev->gen != nd->gen)
		return;
	nd->armed = UINT64_MAX;
	weft_gossip_handle_timeout(nd->g, s->now);
	sim_node_drain(s, nd);
	/* A deadline that never moves past now would hold virtual time still
	 * for ever: that is a bug in the node, and the run stops saying so. */
	if (nd->armed <= s->now) {
		if (s->spin_at != s->now) {
			s->spin_at = s->now;
			s->spins = 0;
		}
		if (++s->spins > 1000000)
			sim_fail(s, "node %u's deadline does not advance past %llu ns", nd->idx,
				 (unsigned long long)s->now);
	}
}

int weft_sim_run(weft_sim_t *s)
{
	struct sim_ev ev;

	while (!s->failed && sim_queue_pop(&s->q, &ev)) {
		if (ev.t > s->end) {
			if (ev.pkt)
				sim_pkt_free(s, ev.pkt);
			break;
		}
		s->now = ev.t;
		s->events++;
		switch (ev.kind) {
		case EV_TIMER:
			on_timer(s, &ev);
			break;
		case EV_PKT:
			on_packet(s, ev.pkt);
			break;
		case EV_ACTION:
			run_action(s, &s->sc.acts[ev.node]);
			break;
		case EV_RESTART:
			if (s->nodes[ev.node].crashes == ev.gen)
				restart(s, &s->nodes[ev.node]);
			break;
		case EV_WGAPPLY:
			if (ev.gen == s->nodes[ev.node].wg_gen)
				sim_wg_apply(s, &s->nodes[ev.node]);
			break;
		case EV_ATTACK:
			sim_attack_tick(s, &s->nodes[ev.node]);
			break;
		default:
			break;
		}
	}
	if (!s->failed)
		s->now = s->end;
	return s->failed ? -EIO : 0;
}

/* ---- lifecycle ---- */

int weft_sim_new(weft_sim_t **out, const struct weft_sim_scenario *sc, char *err, size_t errlen)
{
	struct weft_sim_perr perr;
	struct weft_sim *s;
	size_t i;
	int ret;

	*out = NULL;
	ret = weft_sim_scenario_check(sc, &perr);
	if (ret) {
		if (perr.line)
			snprintf(err, errlen, "scenario line %u: %s", perr.line, perr.msg);
		else
			snprintf(err, errlen, "scenario: %s", perr.msg);
		return ret;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		goto nomem;
	s->sc = *sc;
	s->sc.acts = NULL;
	if (sc->nacts) {
		s->sc.acts = malloc(sc->nacts * sizeof(*sc->acts));
		if (!s->sc.acts)
			goto nomem;
		memcpy(s->sc.acts, sc->acts, sc->nacts * sizeof(*sc->acts));
	}
	s->sc.cap = sc->nacts;
	s->rng = sc->seed ^ 0x73696d756c61746full;
	sim_randombytes_seed(sc->seed);
	s->params = sc->params;
	s->loss_ppm = sc->loss_ppm;
	s->latency = sc->latency_ns;
	s->jitter = sc->jitter_ns;
	s->end = sc->duration_ns;
	s->win_from = sc->measure_from_ns;
	/* A window past the end (a scenario run shorter than written) ends
	 * with the run. */
	s->win_to = sc->measure_to_ns && sc->measure_to_ns < sc->duration_ns ? sc->measure_to_ns : sc->duration_ns;
	if (s->win_from >= s->win_to)
		s->win_from = 0;
	ret = sim_network_build(s);
	if (!ret && sim_adversary_start(s))
		ret = -ENOMEM;
	for (i = 0; !ret && i < s->sc.nacts; i++)
		if (sim_queue_push(&s->q, s->sc.acts[i].at_ns, EV_ACTION, (uint32_t)i, 0, NULL))
			ret = -ENOMEM;
	if (ret) {
		snprintf(err, errlen, "%s", s->failed ? s->err : weft_strerror(ret));
		weft_sim_free(s);
		return ret;
	}
	*out = s;
	return 0;
nomem:
	if (s)
		free(s->sc.acts);
	free(s);
	snprintf(err, errlen, "out of memory");
	return -ENOMEM;
}

const char *weft_sim_error(const weft_sim_t *s)
{
	return s->failed ? s->err : "";
}

void weft_sim_result(weft_sim_t *s, struct weft_sim_result *r)
{
	memset(r, 0, sizeof(*r));
	r->nodes = s->n_initial;
	r->nodes_total = s->n;
	r->seed = s->sc.seed;
	r->virtual_s = (double)s->now / 1e9;
	r->loss_ppm = s->sc.loss_ppm;
	r->latency_ms = (double)s->sc.latency_ns / 1e6;
	r->jitter_ms = (double)s->sc.jitter_ns / 1e6;
	r->wg = s->sc.wg;
	snprintf(r->scenario, sizeof(r->scenario), "%s", s->sc.name);
	r->events = s->events;
	sim_metrics_result(s, r);
}

void weft_sim_free(weft_sim_t *s)
{
	struct sim_ev ev;
	struct sim_pkt *p;
	uint32_t i;

	if (!s)
		return;
	while (sim_queue_pop(&s->q, &ev))
		if (ev.pkt)
			sim_pkt_free(s, ev.pkt);
	sim_queue_free(&s->q);
	for (i = 0; s->nodes && i < s->nmax; i++) {
		weft_gossip_free(s->nodes[i].g);
		sim_wg_close(&s->nodes[i]);
		weft_store_free(s->nodes[i].store);
	}
	free(s->nodes);
	free(s->by_id);
	sim_tunnel_free(s);
	sim_metrics_free(s);
	while ((p = s->free_pkts)) {
		s->free_pkts = p->next;
		free(p);
	}
	free(s->cuts);
	weft_gossip_dir_free(s->dir);
	weft_vcache_free(s->cache);
	weft_recpool_free(s->pool);
	sodium_memzero(&s->admin, sizeof(s->admin));
	sodium_memzero(&s->invite, sizeof(s->invite));
	sodium_memzero(&s->join_invite, sizeof(s->join_invite));
	free(s->sc.acts);
	free(s);
}
