/* Admin operations in the simulator, with asserted virtual-time results
 * (issue #8): a revocation, a CIDR change and a WireGuard key rotation
 * order reach every live node of 1,000, and two sides of a partition that
 * each admitted members with one 2-use invite agree on the same two after
 * the heal. The runs are the shipped scenario files (sim/scenarios/), so
 * weft-sim reproduces every figure.
 *
 * Bounds. One record (a revocation, new settings, the rotation order) must
 * reach every live node within the push-gossip bound the other sim tests
 * use: log_{k+1} N + ln N / k rounds of 200 ms with fanout k = 3, 1.46 s
 * at 1,000 nodes (under DESIGN §8's 2.0 s goal). The keys a rotation makes
 * are not one record but N at once, every node announcing its own: each
 * node must take in N - 1 state records (~220 KB at 1,000), more than push
 * gossip carries in 2 s, and push alone leaves a coupon-collector tail; the
 * backlog switches anti-entropy to its fast period (gossip/bcast.c), and
 * the bound asserted is the order's own bound plus ceil(log2 N) - 1 fast
 * exchanges (1 s each), on the reasoning that each completed pairwise
 * exchange roughly doubles what a node holds of the bulk: 10.5 s at 1,000
 * nodes (seeds 1-3 measured 7.6, 8.4, 8.3 s; 6.5, 6.4, 6.5 s at 500; a
 * heuristic bound, not a proof). Before responders freed their slot soon
 * after the last list chunk (gossip/sync.c) it took 11.7, 11.5, 12.3 s
 * and the bound was 13.5 s.
 *
 * Sizes: 1,000 nodes in the normal build; the sanitizer build halves them
 * (as tests/unit/test_sim.c does: ASan makes a run several times slower),
 * and WEFT_SIM_ADMIN_NODES sets the size outright. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "sim/sim.h"

#ifdef WEFT_SIM_SANITIZED
#define SCALE_DIV 2
#else
#define SCALE_DIV 1
#endif

static uint32_t admin_nodes(void)
{
	const char *env = getenv("WEFT_SIM_ADMIN_NODES");
	long v = env ? strtol(env, NULL, 10) : 0;

	return v >= 8 ? (uint32_t)v : 1000 / SCALE_DIV;
}

/* One record to every live node: the push-gossip bound, in ms. */
static double record_bound_ms(uint32_t n)
{
	return (log((double)n) / log(4.0) + log((double)n) / 3.0) * 200.0;
}

/* N records at once (every node's new key): see the top of the file. */
static double bulk_bound_ms(uint32_t n)
{
	return record_bound_ms(n) + (ceil(log2((double)n)) - 1.0) * 1000.0;
}

static void load(struct weft_sim_scenario *sc, const char *file)
{
	struct weft_sim_perr err;
	char path[512], buf[8192];
	size_t len;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", WEFT_SIM_SCENARIO_DIR, file);
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s", path);
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	weft_sim_scenario_init(sc);
	if (weft_sim_scenario_parse(sc, buf, len, &err))
		fail_msg("%s:%u: %s", file, err.line, err.msg);
}

static void parse(struct weft_sim_scenario *sc, const char *text)
{
	struct weft_sim_perr err;

	weft_sim_scenario_init(sc);
	if (weft_sim_scenario_parse(sc, text, strlen(text), &err))
		fail_msg("scenario line %u: %s", err.line, err.msg);
}

/* Runs sc (freeing it) and fills r. */
static void run_sc(struct weft_sim_scenario *sc, struct weft_sim_result *r)
{
	char err[200];
	weft_sim_t *s = NULL;

	if (weft_sim_new(&s, sc, err, sizeof(err)))
		fail_msg("weft_sim_new: %s", err);
	if (weft_sim_run(s))
		fail_msg("weft_sim_run: %s", weft_sim_error(s));
	weft_sim_result(s, r);
	weft_sim_free(s);
	weft_sim_scenario_free(sc);
}

static const struct weft_sim_group_result *group(const struct weft_sim_result *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->ngroups; i++)
		if (strcmp(r->groups[i].name, name) == 0)
			return &r->groups[i];
	fail_msg("no group %s in the results", name);
	return NULL;
}

/* Every pair that should have happened did, the last within bound_ms. */
static void all_within(const struct weft_sim_result *r, const char *name, uint32_t records, uint64_t expected,
		       double bound_ms)
{
	const struct weft_sim_group_result *g = group(r, name);

	print_message("# %u nodes, %s: p50 %.1f ms, p99 %.1f ms, max %.1f ms (bound %.1f ms), %llu of %llu\n",
		      r->nodes, name, g->d.p50_ms, g->d.p99_ms, g->d.max_ms, bound_ms,
		      (unsigned long long)g->d.count, (unsigned long long)g->d.expected);
	assert_int_equal(g->records, records);
	assert_int_equal(g->d.expected, expected);
	assert_int_equal(g->d.count, g->d.expected);
	if (!(g->d.max_ms > 0 && g->d.max_ms <= bound_ms))
		fail_msg("%s: last node informed after %.1f ms, bound %.1f ms", name, g->d.max_ms, bound_ms);
}

/* A revocation, then a CIDR change, at 1,000 nodes: each reaches every
 * live node within the bound; no node still lists the revoked one; every
 * view agrees and gives every member an address in the new CIDR, no two
 * the same. */
static void test_revocation_and_cidr(void **state)
{
	struct weft_sim_scenario sc;
	struct weft_sim_result r;
	uint32_t n = admin_nodes();

	load(&sc, "admin-revoke-cidr.sc");
	sc.nodes = n;
	run_sc(&sc, &r);
	/* Everyone but the origin and the revoked node. */
	all_within(&r, "revocation", 1, n - 2, record_bound_ms(n));
	/* Everyone but the origin (the revoked node is not counted). */
	all_within(&r, "network", 1, n - 2, record_bound_ms(n));
	assert_int_equal(r.revoked_seen, 0);
	assert_int_equal(r.up_members, n - 1);
	assert_true(r.converged);
	assert_true(r.views_checked);
	assert_true(r.views_agree);
	/* The revoked member keeps its record (invite uses stay counted):
	 * n members, one revoked, none over-used. */
	assert_int_equal(r.members_active, n - 1);
	assert_int_equal(r.members_overused, 0);
	assert_int_equal(r.addr_outside, 0);
	assert_int_equal(r.addr_dupes, 0);
	assert_int_equal(r.false_deaths, 0);
}

/* The CIDR check can fail: with the settings unchanged (10.0.0.0/8)
 * nobody is outside it, but a view computed against a CIDR too small for
 * the members would leave some without an address. */
static void test_cidr_too_small_is_seen(void **state)
{
	struct weft_sim_scenario sc;
	struct weft_sim_result r;

	/* 40 members in a /27 (30 usable addresses). */
	parse(&sc, "duration 4s\nat 1s cidr 10.9.0.0/27 from random\n");
	sc.nodes = 40;
	run_sc(&sc, &r);
	assert_true(r.views_checked);
	assert_true(r.views_agree);
	assert_true(r.addr_outside >= 10);
	assert_int_equal(r.addr_dupes, 0);
}

/* A rotation order at 1,000 nodes: the order reaches every live node
 * within the bound for one record; every node then makes a new key and
 * every other node holds it within the bulk bound; no view holds a key
 * older than the order. */
static void test_rotation_order(void **state)
{
	struct weft_sim_scenario sc;
	struct weft_sim_result r;
	uint32_t n = admin_nodes();

	load(&sc, "admin-rotate.sc");
	sc.nodes = n;
	run_sc(&sc, &r);
	all_within(&r, "rotate", 1, n - 1, record_bound_ms(n));
	/* n new keys, each to the n - 1 other nodes. */
	all_within(&r, "rotate-key", n, (uint64_t)n * (n - 1), bulk_bound_ms(n));
	print_message("# %u nodes, rotation: %llu records merged, %llu of them by %llu push-pull exchanges\n", n,
		      (unsigned long long)r.records_merged, (unsigned long long)r.sync_records,
		      (unsigned long long)r.syncs);
	assert_true(r.views_checked);
	assert_true(r.views_agree);
	assert_int_equal(r.stale_keys, 0);
	assert_true(r.converged);
	assert_int_equal(r.min_alive_view, n);
	assert_int_equal(r.false_deaths, 0);
}

/* The partition race of DESIGN §3: one 2-use invite; the joiner on side B
 * joins first, then two on side A, each side admitting what its own store
 * allows (so before the heal side A holds both of its joiners as active).
 * After the heal every node holds the same first two by (join time, node
 * id): B's joiner and A's first; A's second is over-used everywhere. */
static void race(uint32_t n, uint64_t end_s, struct weft_sim_result *r)
{
	struct weft_sim_scenario sc;
	char text[1024];

	snprintf(text, sizeof(text),
		 "duration %llus\n"
		 "invite_uses 2\n"
		 "group A 0 %u\n"
		 "group B %u %u\n"
		 "group JA %u %u\n"
		 "at 2s partition A B\n"
		 "at 2s partition JA B\n"
		 "at 3s join 1 via node %u\n"
		 "at 4s join 1 via node 3\n"
		 "at 5s join 1 via node 4\n"
		 "at 15s heal\n",
		 (unsigned long long)end_s, n / 2, n / 2, n + 1, n + 1, n + 3, n / 2 + 1);
	parse(&sc, text);
	sc.nodes = n;
	run_sc(&sc, r);
}

static void test_invite_race_across_partition(void **state)
{
	struct weft_sim_result r;
	uint32_t n = 200 / SCALE_DIV;

	/* Cut off: three members hold the invite, two on side A. */
	race(n, 14, &r);
	assert_int_equal(r.joins, 3);
	assert_int_equal(r.joined, 3);
	assert_true(r.views_checked);
	assert_false(r.views_agree);
	assert_int_equal(r.members_overused, 0);
	/* Healed: one answer everywhere. */
	race(n, 40, &r);
	assert_int_equal(r.joined, 3);
	assert_true(r.converged);
	assert_true(r.views_agree);
	assert_int_equal(r.members_overused, 1);
	assert_int_equal(r.overused_node, n + 2);
	assert_int_equal(r.members_active, n + 2);
	assert_int_equal(r.addr_outside, 0);
	assert_int_equal(r.addr_dupes, 0);
}

/* The shipped invite-race.sc says the same at 1,000 nodes; it parses, its
 * groups fit, and its invite has two uses. (Running it takes ~16 s of CPU:
 * the figure is in docs/PERFORMANCE.md.) */
static void test_invite_race_file(void **state)
{
	struct weft_sim_scenario sc;
	struct weft_sim_perr err;

	load(&sc, "invite-race.sc");
	assert_int_equal(sc.invite_uses, 2);
	assert_int_equal(sc.nodes, 1000);
	assert_int_equal(weft_sim_scenario_check(&sc, &err), 0);
	weft_sim_scenario_free(&sc);
	weft_sim_scenario_init(&sc);
	assert_int_equal(weft_sim_scenario_parse(&sc, "invite_uses 0\n", 14, &err), WEFT_EMALFORMED);
	assert_non_null(strstr(err.msg, "invite_uses"));
	weft_sim_scenario_free(&sc);
}

static int setup(void **state)
{
	return weft_sim_global_init();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_revocation_and_cidr), cmocka_unit_test(test_cidr_too_small_is_seen),
		cmocka_unit_test(test_rotation_order),      cmocka_unit_test(test_invite_race_across_partition),
		cmocka_unit_test(test_invite_race_file),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
