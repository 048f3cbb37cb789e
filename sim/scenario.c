/* sim/scenario.c: the scenario text format (sim/scenarios/README.md) parsed
 * into a weft_sim_scenario: one directive per line, words separated by
 * blanks, '#' starts a comment. Pure: no I/O, bounded in every dimension so
 * that the fuzzer finds nothing to grow without limit. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "sim/sim.h"

#define MAX_WORDS 24
#define MAX_LINE 512
#define MAX_TIME_NS (1000000ull * WEFT_SIM_SEC) /* 11.6 days: any run fits */
#define WG_MEMORY_MAX_NODES 2000u

struct pstate {
	struct weft_sim_scenario *sc;
	struct weft_sim_perr *err;
	uint32_t line;
	char *w[MAX_WORDS];
	size_t nw;
};

static int fail(struct pstate *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct pstate *ps, const char *fmt, ...)
{
	va_list ap;

	if (ps->err) {
		ps->err->line = ps->line;
		va_start(ap, fmt);
		vsnprintf(ps->err->msg, sizeof(ps->err->msg), fmt, ap);
		va_end(ap);
	}
	return WEFT_EMALFORMED;
}

void weft_sim_scenario_init(struct weft_sim_scenario *sc)
{
	memset(sc, 0, sizeof(*sc));
	snprintf(sc->name, sizeof(sc->name), "default");
	sc->nodes = 100;
	sc->seed = 1;
	sc->duration_ns = 60 * WEFT_SIM_SEC;
	sc->latency_ns = 10 * WEFT_SIM_MS;
	sc->jitter_ns = 5 * WEFT_SIM_MS;
	sc->queue_ns = 200 * WEFT_SIM_MS;
	sc->wg = WEFT_SIM_WG_MODEL;
}

void weft_sim_scenario_free(struct weft_sim_scenario *sc)
{
	free(sc->acts);
	sc->acts = NULL;
	sc->nacts = sc->cap = 0;
}

const char *weft_sim_wg_name(unsigned wg)
{
	switch (wg) {
	case WEFT_SIM_WG_MODEL:
		return "model";
	case WEFT_SIM_WG_NONE:
		return "none";
	case WEFT_SIM_WG_MEMORY:
		return "memory";
	default:
		return "unknown";
	}
}

/* ---- gossip tunables by name ---- */

#define PARAM(f)                                           \
	{                                                  \
#f, offsetof(struct weft_gossip_params, f) \
	}
static const struct {
	const char *name;
	size_t off;
} params[] = {
	PARAM(probe_interval_ms),  PARAM(probe_timeout_ms),     PARAM(indirect_checks),    PARAM(suspicion_mult),
	PARAM(suspicion_max_mult), PARAM(awareness_max),        PARAM(gossip_interval_ms), PARAM(gossip_fanout),
	PARAM(retransmit_mult),    PARAM(pushpull_interval_ms), PARAM(pushpull_fast_ms),   PARAM(dead_retry_min_ms),
	PARAM(dead_retry_max_ms),  PARAM(join_retry_ms),        PARAM(join_timeout_ms),    PARAM(max_clock_skew_s),
};

int weft_sim_param_set(struct weft_gossip_params *p, const char *name, uint64_t value)
{
	size_t i;
	uint32_t v;

	if (value > UINT32_MAX)
		return WEFT_EOVERSIZE;
	v = (uint32_t)value;
	for (i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
		if (strcmp(params[i].name, name) == 0) {
			memcpy((uint8_t *)p + params[i].off, &v, sizeof(v));
			return 0;
		}
	}
	return WEFT_ENOTFOUND;
}

/* ---- values ---- */

/* A decimal number "12", "0.25" as value * 10^scale, rounded down;
 * suffix gets what follows the digits. */
static int decimal(const char *s, unsigned scale, uint64_t *out, const char **suffix)
{
	uint64_t v = 0;
	unsigned frac = 0;
	bool digits = false, dot = false;

	for (; *s; s++) {
		if (*s >= '0' && *s <= '9') {
			digits = true;
			if (dot) {
				if (frac >= scale)
					continue; /* finer than we keep */
				frac++;
			}
			if (v > (UINT64_MAX - 9) / 10)
				return -1;
			v = v * 10 + (uint64_t)(*s - '0');
		} else if (*s == '.' && !dot) {
			dot = true;
		} else {
			break;
		}
	}
	if (!digits)
		return -1;
	for (; frac < scale; frac++) {
		if (v > UINT64_MAX / 10)
			return -1;
		v *= 10;
	}
	*out = v;
	*suffix = s;
	return 0;
}

static int parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	const char *rest;

	if (*s == '.' || decimal(s, 0, out, &rest) || *rest || strchr(s, '.') || *out > max)
		return -1;
	return 0;
}

/* "90", "1.5s", "200ms", "2m": nanoseconds (a bare number is seconds). */
static int parse_time(const char *s, uint64_t *ns)
{
	static const struct {
		const char *unit;
		unsigned digits; /* decimal places of a second that the unit stands for */
		uint64_t mult;
	} units[] = {
		{ "", 9, 1 },   { "s", 9, 1 },  { "ms", 6, 1 },   { "us", 3, 1 },
		{ "ns", 0, 1 }, { "m", 9, 60 }, { "h", 9, 3600 },
	};
	const char *rest;
	uint64_t v;
	size_t i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (decimal(s, units[i].digits, &v, &rest) == 0 && strcmp(rest, units[i].unit) == 0) {
			if (v > MAX_TIME_NS / units[i].mult)
				return -1;
			*ns = v * units[i].mult;
			return 0;
		}
	}
	return -1;
}

/* "5%" or "0.05": per million, at most one million. */
static int parse_prob(const char *s, uint32_t *ppm)
{
	const char *rest;
	uint64_t v;

	if (decimal(s, 6, &v, &rest))
		return -1;
	if (strcmp(rest, "%") == 0)
		v /= 100;
	else if (*rest)
		return -1;
	if (v > 1000000)
		return -1;
	*ppm = (uint32_t)v;
	return 0;
}

/* "125000", "125k", "1.5M", "1G": bytes per second. */
static int parse_rate(const char *s, uint64_t *bps)
{
	const char *rest;
	uint64_t v, mult = 1;

	if (decimal(s, 3, &v, &rest))
		return -1;
	if (strcmp(rest, "k") == 0)
		mult = 1000;
	else if (strcmp(rest, "M") == 0)
		mult = 1000000;
	else if (strcmp(rest, "G") == 0)
		mult = 1000000000;
	else if (*rest)
		return -1;
	if (v > UINT64_MAX / mult)
		return -1;
	*bps = v * mult / 1000;
	return 0;
}

/* A group bound: an index "250" or a share "25%". */
static int parse_bound(const char *s, struct weft_sim_bound *b)
{
	uint64_t v;

	if (strchr(s, '%')) {
		b->pct = true;
		return parse_prob(s, &b->v);
	}
	if (parse_uint(s, WEFT_SIM_MAX_NODES, &v))
		return -1;
	b->pct = false;
	b->v = (uint32_t)v;
	return 0;
}

static bool good_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > WEFT_SIM_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '-' || *s == '_' || *s == '.'))
			return false;
	return true;
}

static int group_index(struct pstate *ps, const char *name)
{
	unsigned i;

	for (i = 0; i < ps->sc->ngroups; i++)
		if (strcmp(ps->sc->groups[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* ---- node choices ---- */

/* One node: "node N", "admin" or "random". Consumes words from *i. */
static int parse_node(struct pstate *ps, size_t *i, struct weft_sim_pick *p)
{
	uint64_t v;

	if (*i >= ps->nw)
		return fail(ps, "a node is missing (node N, admin or random)");
	if (strcmp(ps->w[*i], "admin") == 0) {
		p->kind = WEFT_SIM_PICK_ADMIN;
	} else if (strcmp(ps->w[*i], "random") == 0) {
		p->kind = WEFT_SIM_PICK_RANDOM;
	} else if (strcmp(ps->w[*i], "node") == 0) {
		if (*i + 1 >= ps->nw || parse_uint(ps->w[*i + 1], WEFT_SIM_MAX_NODES - 1, &v))
			return fail(ps, "'node' needs an index");
		p->kind = WEFT_SIM_PICK_NODE;
		p->n = (uint32_t)v;
		(*i)++;
	} else {
		return fail(ps, "'%s' is not a node (node N, admin or random)", ps->w[*i]);
	}
	(*i)++;
	return 0;
}

/* Some nodes: a node, "all", a count "10" or a share "10%". */
static int parse_nodes(struct pstate *ps, size_t *i, struct weft_sim_pick *p)
{
	uint64_t v;

	if (*i < ps->nw && strcmp(ps->w[*i], "all") == 0) {
		p->kind = WEFT_SIM_PICK_ALL;
		(*i)++;
		return 0;
	}
	if (*i < ps->nw && strchr(ps->w[*i], '%')) {
		p->kind = WEFT_SIM_PICK_PERCENT;
		if (parse_prob(ps->w[*i], &p->n) || p->n == 0)
			return fail(ps, "'%s' is not a share of the nodes (1%%, 0.5%%, 50%%)", ps->w[*i]);
		(*i)++;
		return 0;
	}
	if (*i < ps->nw && ps->w[*i][0] >= '0' && ps->w[*i][0] <= '9') {
		if (parse_uint(ps->w[*i], WEFT_SIM_MAX_NODES, &v) || v == 0)
			return fail(ps, "'%s' is not a count of nodes", ps->w[*i]);
		p->kind = WEFT_SIM_PICK_COUNT;
		p->n = (uint32_t)v;
		(*i)++;
		return 0;
	}
	return parse_node(ps, i, p);
}

/* "from NODE", optional (default: random). */
static int parse_from(struct pstate *ps, size_t *i, struct weft_sim_pick *p)
{
	p->kind = WEFT_SIM_PICK_RANDOM;
	if (*i < ps->nw && strcmp(ps->w[*i], "from") == 0) {
		(*i)++;
		return parse_node(ps, i, p);
	}
	return 0;
}

/* ---- actions ---- */

static int parse_action(struct pstate *ps, size_t i, struct weft_sim_action *a)
{
	const char *verb;
	uint64_t v;
	uint32_t ppm;
	int g, ret;

	if (i >= ps->nw)
		return fail(ps, "an action is missing after the time");
	verb = ps->w[i++];
	if (strcmp(verb, "publish") == 0) {
		a->kind = WEFT_SIM_ACT_PUBLISH;
		a->who.kind = WEFT_SIM_PICK_RANDOM;
		if (i < ps->nw && (ret = parse_node(ps, &i, &a->who)))
			return ret;
	} else if (strcmp(verb, "crash") == 0) {
		a->kind = WEFT_SIM_ACT_CRASH;
		if ((ret = parse_nodes(ps, &i, &a->who)))
			return ret;
		if (i < ps->nw && strcmp(ps->w[i], "for") == 0) {
			if (i + 1 >= ps->nw || parse_time(ps->w[i + 1], &a->dur_ns) || a->dur_ns == 0)
				return fail(ps, "'for' needs a time (10s, 500ms)");
			i += 2;
		}
	} else if (strcmp(verb, "restart") == 0) {
		a->kind = WEFT_SIM_ACT_RESTART;
		if ((ret = parse_nodes(ps, &i, &a->who)))
			return ret;
	} else if (strcmp(verb, "join") == 0) {
		a->kind = WEFT_SIM_ACT_JOIN;
		if (i >= ps->nw || parse_uint(ps->w[i], 100000, &v) || v == 0)
			return fail(ps, "'join' needs a count of new nodes (1 to 100000)");
		a->count = (uint32_t)v;
		i++;
		if (i < ps->nw && strcmp(ps->w[i], "via") == 0) {
			i++;
			while (i < ps->nw) {
				if (a->nvia == WEFT_SIM_MAX_VIA)
					return fail(ps, "at most %d bootstrap nodes", WEFT_SIM_MAX_VIA);
				if ((ret = parse_node(ps, &i, &a->via[a->nvia++])))
					return ret;
			}
			if (a->nvia == 0)
				return fail(ps, "'via' needs at least one node");
		} else {
			/* As a token made on the admin's node would list it
			 * first, then members it knows. */
			a->via[0].kind = WEFT_SIM_PICK_ADMIN;
			a->via[1].kind = WEFT_SIM_PICK_RANDOM;
			a->via[2].kind = WEFT_SIM_PICK_RANDOM;
			a->nvia = 3;
		}
	} else if (strcmp(verb, "partition") == 0 || strcmp(verb, "heal") == 0) {
		a->kind = verb[0] == 'p' ? WEFT_SIM_ACT_PARTITION : WEFT_SIM_ACT_HEAL;
		if (a->kind == WEFT_SIM_ACT_HEAL && i == ps->nw) {
			a->g1 = a->g2 = 0xff;
			return 0;
		}
		if (i + 2 != ps->nw)
			return fail(ps, "'%s' needs two group names", verb);
		if ((g = group_index(ps, ps->w[i])) < 0)
			return fail(ps, "no group '%s' (define it with 'group' first)", ps->w[i]);
		a->g1 = (uint8_t)g;
		if ((g = group_index(ps, ps->w[i + 1])) < 0)
			return fail(ps, "no group '%s' (define it with 'group' first)", ps->w[i + 1]);
		a->g2 = (uint8_t)g;
		if (a->g1 == a->g2)
			return fail(ps, "a group cannot be cut off from itself");
		return 0;
	} else if (strcmp(verb, "revoke") == 0) {
		a->kind = WEFT_SIM_ACT_REVOKE;
		if ((ret = parse_node(ps, &i, &a->who)) || (ret = parse_from(ps, &i, &a->from)))
			return ret;
	} else if (strcmp(verb, "rotate") == 0) {
		a->kind = WEFT_SIM_ACT_ROTATE;
		if ((ret = parse_from(ps, &i, &a->from)))
			return ret;
	} else if (strcmp(verb, "cidr") == 0) {
		a->kind = WEFT_SIM_ACT_CIDR;
		if (i >= ps->nw || weft_cidr_parse(&a->cidr, ps->w[i]) || a->cidr.ip.family != 4 ||
		    a->cidr.prefix > 30)
			return fail(ps, "'cidr' needs an IPv4 network such as 10.128.0.0/16");
		i++;
		if ((ret = parse_from(ps, &i, &a->from)))
			return ret;
	} else if (strcmp(verb, "loss") == 0) {
		a->kind = WEFT_SIM_ACT_LOSS;
		if (i >= ps->nw || parse_prob(ps->w[i], &ppm))
			return fail(ps, "'loss' needs a probability (5%% or 0.05)");
		a->value = ppm;
		i++;
	} else if (strcmp(verb, "latency") == 0 || strcmp(verb, "jitter") == 0) {
		a->kind = verb[0] == 'l' ? WEFT_SIM_ACT_LATENCY : WEFT_SIM_ACT_JITTER;
		if (i >= ps->nw || parse_time(ps->w[i], &a->value))
			return fail(ps, "'%s' needs a time (10ms)", verb);
		i++;
	} else {
		return fail(ps, "unknown action '%s'", verb);
	}
	if (i != ps->nw)
		return fail(ps, "unexpected '%s'", ps->w[i]);
	return 0;
}

static int add_action(struct pstate *ps, const struct weft_sim_action *a)
{
	struct weft_sim_scenario *sc = ps->sc;
	struct weft_sim_action *v;
	size_t cap;

	if (sc->nacts >= WEFT_SIM_MAX_ACTIONS) {
		fail(ps, "more than %u actions", WEFT_SIM_MAX_ACTIONS);
		return WEFT_EOVERSIZE;
	}
	if (sc->nacts == sc->cap) {
		cap = sc->cap ? sc->cap * 2 : 16;
		v = realloc(sc->acts, cap * sizeof(*v));
		if (!v) {
			fail(ps, "out of memory");
			return -ENOMEM;
		}
		sc->acts = v;
		sc->cap = cap;
	}
	sc->acts[sc->nacts++] = *a;
	return 0;
}

/* "at T ACTION" and "every P from T1 to T2 ACTION" (T1, T1+P, ... <= T2). */
static int parse_timed(struct pstate *ps)
{
	struct weft_sim_action a;
	uint64_t t, step = 0, to;
	size_t i;
	int ret;

	memset(&a, 0, sizeof(a));
	a.line = ps->line;
	if (strcmp(ps->w[0], "at") == 0) {
		if (ps->nw < 2 || parse_time(ps->w[1], &t))
			return fail(ps, "'at' needs a time (10s, 1.5s, 500ms)");
		to = t;
		i = 2;
	} else {
		if (ps->nw < 6 || parse_time(ps->w[1], &step) || step == 0 || strcmp(ps->w[2], "from") ||
		    parse_time(ps->w[3], &t) || strcmp(ps->w[4], "to") || parse_time(ps->w[5], &to) || to < t)
			return fail(ps, "'every' reads: every PERIOD from T1 to T2 ACTION");
		i = 6;
	}
	if ((ret = parse_action(ps, i, &a)))
		return ret;
	for (;;) {
		a.at_ns = t;
		if ((ret = add_action(ps, &a)))
			return ret;
		if (step == 0 || to - t < step)
			return 0;
		t += step;
	}
}

/* ---- the adversary ---- */

static const struct {
	const char *name;
	uint8_t bit;
} attack_names[] = {
	{ "kill", WEFT_SIM_ATK_KILL },       { "impersonate", WEFT_SIM_ATK_IMPERSONATE },
	{ "alive", WEFT_SIM_ATK_ALIVE },     { "harass", WEFT_SIM_ATK_HARASS },
	{ "records", WEFT_SIM_ATK_RECORDS }, { "all", WEFT_SIM_ATK_ALL },
};

uint8_t weft_sim_attacks_parse(const char *s)
{
	uint8_t mask = 0;
	size_t i, n;

	while (*s) {
		n = strcspn(s, ",");
		for (i = 0; i < sizeof(attack_names) / sizeof(attack_names[0]); i++)
			if (strlen(attack_names[i].name) == n && !strncmp(attack_names[i].name, s, n))
				break;
		if (i == sizeof(attack_names) / sizeof(attack_names[0]))
			return 0;
		mask |= attack_names[i].bit;
		s += n;
		if (*s == ',')
			s++;
	}
	return mask;
}

const char *weft_sim_attacks_name(uint8_t mask, char *out, size_t cap)
{
	size_t i, n = 0;

	if (cap)
		out[0] = '\0';
	for (i = 0; i + 1 < sizeof(attack_names) / sizeof(attack_names[0]); i++)
		if (mask & attack_names[i].bit)
			n += (size_t)snprintf(out + (n < cap ? n : cap), n < cap ? cap - n : 0, "%s%s", n ? "," : "",
					      attack_names[i].name);
	return out;
}

/* "malicious NODES [ATTACKS]": a count or a share, then a list. */
static int parse_malicious(struct pstate *ps)
{
	struct weft_sim_scenario *sc = ps->sc;
	uint64_t v;

	if (ps->nw < 2 || ps->nw > 3)
		return fail(ps,
			    "'malicious' reads: malicious COUNT|SHARE [kill,impersonate,alive,harass,records|all]");
	if (strchr(ps->w[1], '%')) {
		sc->malicious.pct = true;
		if (parse_prob(ps->w[1], &sc->malicious.v))
			return fail(ps, "'%s' is not a share of the nodes (1%%)", ps->w[1]);
	} else {
		sc->malicious.pct = false;
		if (parse_uint(ps->w[1], WEFT_SIM_MAX_NODES, &v))
			return fail(ps, "'%s' is not a count of nodes", ps->w[1]);
		sc->malicious.v = (uint32_t)v;
	}
	sc->attacks = ps->nw == 3 ? weft_sim_attacks_parse(ps->w[2]) : WEFT_SIM_ATK_ALL;
	if (!sc->attacks)
		return fail(ps, "'%s' is not a list of attacks (kill, impersonate, alive, harass, records, all)",
			    ps->w[2]);
	return 0;
}

static int parse_directive(struct pstate *ps)
{
	struct weft_sim_scenario *sc = ps->sc;
	const char *k = ps->w[0], *v1 = ps->nw > 1 ? ps->w[1] : "";
	struct weft_sim_group *g;
	uint64_t v;
	int ret;

	if (strcmp(k, "at") == 0 || strcmp(k, "every") == 0)
		return parse_timed(ps);
	if (strcmp(k, "group") == 0) {
		if (ps->nw != 4)
			return fail(ps, "'group' reads: group NAME FROM TO (indices or shares: 0 50%%)");
		if (sc->ngroups == WEFT_SIM_MAX_GROUPS)
			return fail(ps, "at most %d groups", WEFT_SIM_MAX_GROUPS);
		if (!good_name(v1) || group_index(ps, v1) >= 0)
			return fail(ps, "'%s' is not a new group name", v1);
		g = &sc->groups[sc->ngroups];
		memset(g, 0, sizeof(*g));
		snprintf(g->name, sizeof(g->name), "%s", v1);
		if (parse_bound(ps->w[2], &g->lo) || parse_bound(ps->w[3], &g->hi))
			return fail(ps, "group bounds are node indices or shares (0 50%%)");
		sc->ngroups++;
		return 0;
	}
	if (strcmp(k, "measure") == 0) {
		if (ps->nw != 3 || parse_time(ps->w[1], &sc->measure_from_ns) ||
		    parse_time(ps->w[2], &sc->measure_to_ns) || sc->measure_to_ns <= sc->measure_from_ns)
			return fail(ps, "'measure' reads: measure FROM TO (times, FROM < TO)");
		return 0;
	}
	if (strcmp(k, "malicious") == 0)
		return parse_malicious(ps);
	if (strcmp(k, "param") == 0) {
		if (ps->nw != 3 || parse_uint(ps->w[2], UINT32_MAX, &v))
			return fail(ps, "'param' reads: param NAME VALUE");
		ret = weft_sim_param_set(&sc->params, ps->w[1], v);
		if (ret)
			return fail(ps, "no gossip parameter '%s'", ps->w[1]);
		return 0;
	}
	if (ps->nw != 2)
		return fail(ps, "'%s' takes one value", k);
	if (strcmp(k, "name") == 0) {
		if (!good_name(v1))
			return fail(ps, "a name is letters, digits, '-', '_' or '.', at most %d", WEFT_SIM_NAME_MAX);
		snprintf(sc->name, sizeof(sc->name), "%s", v1);
	} else if (strcmp(k, "nodes") == 0) {
		if (parse_uint(v1, WEFT_SIM_MAX_NODES, &v) || v < 2)
			return fail(ps, "'nodes' is 2 to %u", WEFT_SIM_MAX_NODES);
		sc->nodes = (uint32_t)v;
	} else if (strcmp(k, "seed") == 0) {
		if (parse_uint(v1, UINT64_MAX, &sc->seed))
			return fail(ps, "'seed' is an unsigned integer");
	} else if (strcmp(k, "duration") == 0) {
		if (parse_time(v1, &sc->duration_ns) || sc->duration_ns == 0)
			return fail(ps, "'duration' is a time (60s, 2m)");
	} else if (strcmp(k, "loss") == 0) {
		if (parse_prob(v1, &sc->loss_ppm))
			return fail(ps, "'loss' is a probability (5%% or 0.05)");
	} else if (strcmp(k, "latency") == 0) {
		if (parse_time(v1, &sc->latency_ns))
			return fail(ps, "'latency' is a time (10ms)");
	} else if (strcmp(k, "jitter") == 0) {
		if (parse_time(v1, &sc->jitter_ns))
			return fail(ps, "'jitter' is a time (5ms)");
	} else if (strcmp(k, "bandwidth") == 0) {
		if (parse_rate(v1, &sc->bandwidth))
			return fail(ps, "'bandwidth' is bytes per second (125000, 125k, 1M; 0 = no cap)");
	} else if (strcmp(k, "queue") == 0) {
		if (parse_time(v1, &sc->queue_ns))
			return fail(ps, "'queue' is a time (200ms)");
	} else if (strcmp(k, "invite_uses") == 0) {
		if (parse_uint(v1, UINT32_MAX, &v) || v == 0)
			return fail(ps, "'invite_uses' is a count of uses (1 or more)");
		sc->invite_uses = (uint32_t)v;
	} else if (strcmp(k, "wg") == 0) {
		if (strcmp(v1, "model") == 0)
			sc->wg = WEFT_SIM_WG_MODEL;
		else if (strcmp(v1, "none") == 0)
			sc->wg = WEFT_SIM_WG_NONE;
		else if (strcmp(v1, "memory") == 0)
			sc->wg = WEFT_SIM_WG_MEMORY;
		else
			return fail(ps, "'wg' is model, none or memory");
	} else {
		return fail(ps, "unknown directive '%s'", k);
	}
	return 0;
}

/* Stable merge sort by time: actions at the same time keep file order. */
static int sort_actions(struct weft_sim_scenario *sc)
{
	struct weft_sim_action *tmp;
	size_t w, i, lo, mid, hi, a, b;

	if (sc->nacts < 2)
		return 0;
	tmp = malloc(sc->nacts * sizeof(*tmp));
	if (!tmp)
		return -ENOMEM;
	for (w = 1; w < sc->nacts; w *= 2) {
		for (lo = 0; lo < sc->nacts; lo += 2 * w) {
			mid = lo + w < sc->nacts ? lo + w : sc->nacts;
			hi = lo + 2 * w < sc->nacts ? lo + 2 * w : sc->nacts;
			a = lo;
			b = mid;
			for (i = lo; i < hi; i++) {
				if (a < mid && (b >= hi || sc->acts[a].at_ns <= sc->acts[b].at_ns))
					tmp[i] = sc->acts[a++];
				else
					tmp[i] = sc->acts[b++];
			}
		}
		memcpy(sc->acts, tmp, sc->nacts * sizeof(*tmp));
	}
	free(tmp);
	return 0;
}

int weft_sim_scenario_parse(struct weft_sim_scenario *sc, const char *text, size_t len, struct weft_sim_perr *err)
{
	struct pstate ps = { .sc = sc, .err = err };
	char buf[MAX_LINE + 1], *p, *save;
	size_t pos = 0, n;
	int ret;

	if (err) {
		err->line = 0;
		err->msg[0] = 0;
	}
	while (pos < len) {
		ps.line++;
		for (n = 0; pos + n < len && text[pos + n] != '\n'; n++)
			;
		if (n > MAX_LINE)
			return fail(&ps, "line longer than %d bytes", MAX_LINE);
		memcpy(buf, text + pos, n);
		buf[n] = 0;
		pos += n + 1;
		if (memchr(buf, 0, n))
			return fail(&ps, "a NUL byte in the text");
		if ((p = strchr(buf, '#')))
			*p = 0;
		ps.nw = 0;
		for (p = strtok_r(buf, " \t\r", &save); p; p = strtok_r(NULL, " \t\r", &save)) {
			if (ps.nw == MAX_WORDS)
				return fail(&ps, "more than %d words", MAX_WORDS);
			ps.w[ps.nw++] = p;
		}
		if (ps.nw == 0)
			continue;
		ret = parse_directive(&ps);
		if (ret)
			return ret;
	}
	ps.line = 0;
	ret = sort_actions(sc);
	if (ret)
		return fail(&ps, "out of memory"), ret;
	return 0;
}

static uint32_t bound_of(const struct weft_sim_bound *b, uint32_t nodes)
{
	return b->pct ? (uint32_t)((uint64_t)b->v * nodes / 1000000) : b->v;
}

static int check_pick(struct pstate *ps, const struct weft_sim_pick *p, uint32_t total)
{
	if (p->kind == WEFT_SIM_PICK_NODE && p->n >= total)
		return fail(ps, "node %u does not exist (%u nodes)", p->n, total);
	return 0;
}

int weft_sim_scenario_check(const struct weft_sim_scenario *sc, struct weft_sim_perr *err)
{
	struct pstate ps = { .sc = (struct weft_sim_scenario *)sc, .err = err };
	uint64_t total = sc->nodes;
	const struct weft_sim_action *a;
	unsigned i, k;
	int ret;

	if (err) {
		err->line = 0;
		err->msg[0] = 0;
	}
	if (sc->nodes < 2 || sc->nodes > WEFT_SIM_MAX_NODES)
		return fail(&ps, "the node count is 2 to %u", WEFT_SIM_MAX_NODES);
	for (i = 0; i < sc->nacts; i++)
		if (sc->acts[i].kind == WEFT_SIM_ACT_JOIN)
			total += sc->acts[i].count;
	if (total > WEFT_SIM_MAX_NODES)
		return fail(&ps, "more than %u nodes with the joiners", WEFT_SIM_MAX_NODES);
	if (sc->wg == WEFT_SIM_WG_MEMORY && total > WG_MEMORY_MAX_NODES)
		return fail(&ps, "'wg memory' keeps every peer of every host: at most %u nodes (use 'wg model')",
			    WG_MEMORY_MAX_NODES);
	if (sc->duration_ns == 0)
		return fail(&ps, "the duration is zero");
	if (!sc->malicious.pct && sc->malicious.v >= sc->nodes)
		return fail(&ps, "%u malicious members of %u: node 0 (the admin's) is never one", sc->malicious.v,
			    sc->nodes);
	for (i = 0; i < sc->ngroups; i++) {
		if (bound_of(&sc->groups[i].lo, sc->nodes) > bound_of(&sc->groups[i].hi, sc->nodes) ||
		    bound_of(&sc->groups[i].hi, sc->nodes) > total)
			return fail(&ps, "group %s is not a range of the %u nodes", sc->groups[i].name,
				    (unsigned)total);
	}
	for (i = 0; i < sc->nacts; i++) {
		a = &sc->acts[i];
		ps.line = a->line;
		if ((ret = check_pick(&ps, &a->who, (uint32_t)total)) ||
		    (ret = check_pick(&ps, &a->from, (uint32_t)total)))
			return ret;
		for (k = 0; k < a->nvia; k++)
			if ((ret = check_pick(&ps, &a->via[k], (uint32_t)total)))
				return ret;
	}
	return 0;
}
