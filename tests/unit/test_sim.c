/* Tests of the simulator: its scenario parser, and virtual-time results of
 * short runs of the real gossip code (deterministic, so they may be
 * asserted): a record reaches every node within the push-gossip bound, a
 * partition heals, a revocation reaches every live node, crashes are
 * noticed with no false death at 5 % loss, restarted and joining nodes
 * come back, wg/'s memory backend carries the overlay, a capped link holds
 * its cap, and one seed gives one run.
 *
 * Sizes: the normal build runs 200 nodes; the sanitizer build (ASan makes a
 * run several times slower) halves the sizes, and WEFT_SIM_TEST_NODES
 * sets the base size (200) outright. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dirent.h>
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

static uint32_t base_nodes(void)
{
	const char *env = getenv("WEFT_SIM_TEST_NODES");
	long v = env ? strtol(env, NULL, 10) : 0;

	return v >= 8 ? (uint32_t)v : 200 / SCALE_DIV;
}

static void parse(struct weft_sim_scenario *sc, const char *text)
{
	struct weft_sim_perr err;
	int ret;

	weft_sim_scenario_init(sc);
	ret = weft_sim_scenario_parse(sc, text, strlen(text), &err);
	if (ret)
		fail_msg("scenario line %u: %s", err.line, err.msg);
}

/* Runs sc (freeing it) and fills r. */
static void run_sc(struct weft_sim_scenario *sc, struct weft_sim_result *r)
{
	char err[200];
	weft_sim_t *s = NULL;
	int ret;

	ret = weft_sim_new(&s, sc, err, sizeof(err));
	if (ret)
		fail_msg("weft_sim_new: %s", err);
	ret = weft_sim_run(s);
	if (ret)
		fail_msg("weft_sim_run: %s", weft_sim_error(s));
	weft_sim_result(s, r);
	weft_sim_free(s);
	weft_sim_scenario_free(sc);
}

static void run_text(const char *text, uint32_t nodes, uint32_t loss_ppm, struct weft_sim_result *r)
{
	struct weft_sim_scenario sc;

	parse(&sc, text);
	sc.nodes = nodes;
	sc.loss_ppm = loss_ppm;
	run_sc(&sc, r);
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

/* ---- the scenario format ---- */

static void test_parse_directives(void **state)
{
	struct weft_sim_scenario sc;
	const struct weft_sim_action *a;

	parse(&sc, "# a comment\n"
		   "name test-1\n"
		   "nodes 500   # trailing comment\n"
		   "seed 42\n"
		   "duration 1.5m\n"
		   "loss 5%\n"
		   "latency 20ms\n"
		   "jitter 0.5ms\n"
		   "bandwidth 1.5M\n"
		   "queue 100ms\n"
		   "wg none\n"
		   "param gossip_fanout 4\n"
		   "group A 0 50%\n"
		   "group B 250 100%\n"
		   "measure 10s 40s\n"
		   "at 20s crash 1% for 10s\n"
		   "at 5s partition A B\n"
		   "every 2s from 1s to 5s publish node 7\n"
		   "at 30s join 3 via admin node 2\n"
		   "at 31s revoke random from admin\n"
		   "at 32s cidr 10.128.0.0/16\n"
		   "at 33s heal\n"
		   "at 34s loss 0.3\n");
	assert_string_equal(sc.name, "test-1");
	assert_int_equal(sc.nodes, 500);
	assert_int_equal(sc.seed, 42);
	assert_int_equal(sc.duration_ns, 90 * WEFT_SIM_SEC);
	assert_int_equal(sc.loss_ppm, 50000);
	assert_int_equal(sc.latency_ns, 20 * WEFT_SIM_MS);
	assert_int_equal(sc.jitter_ns, 500000);
	assert_int_equal(sc.bandwidth, 1500000);
	assert_int_equal(sc.queue_ns, 100 * WEFT_SIM_MS);
	assert_int_equal(sc.wg, WEFT_SIM_WG_NONE);
	assert_int_equal(sc.params.gossip_fanout, 4);
	assert_int_equal(sc.ngroups, 2);
	assert_true(sc.groups[0].hi.pct);
	assert_int_equal(sc.groups[0].hi.v, 500000);
	assert_false(sc.groups[1].lo.pct);
	assert_int_equal(sc.groups[1].lo.v, 250);
	assert_int_equal(sc.measure_from_ns, 10 * WEFT_SIM_SEC);
	/* 3 publishes (1, 3, 5 s) + 7 others, sorted by time, file order kept
	 * among equals. */
	assert_int_equal(sc.nacts, 10);
	a = &sc.acts[0];
	assert_int_equal(a->kind, WEFT_SIM_ACT_PUBLISH);
	assert_int_equal(a->at_ns, 1 * WEFT_SIM_SEC);
	assert_int_equal(a->who.kind, WEFT_SIM_PICK_NODE);
	assert_int_equal(a->who.n, 7);
	assert_int_equal(sc.acts[1].at_ns, 3 * WEFT_SIM_SEC);
	assert_int_equal(sc.acts[2].kind, WEFT_SIM_ACT_PARTITION);
	assert_int_equal(sc.acts[2].g2, 1);
	assert_int_equal(sc.acts[3].kind, WEFT_SIM_ACT_PUBLISH);
	a = &sc.acts[4];
	assert_int_equal(a->kind, WEFT_SIM_ACT_CRASH);
	assert_int_equal(a->who.kind, WEFT_SIM_PICK_PERCENT);
	assert_int_equal(a->who.n, 10000);
	assert_int_equal(a->dur_ns, 10 * WEFT_SIM_SEC);
	a = &sc.acts[5];
	assert_int_equal(a->kind, WEFT_SIM_ACT_JOIN);
	assert_int_equal(a->count, 3);
	assert_int_equal(a->nvia, 2);
	assert_int_equal(a->via[0].kind, WEFT_SIM_PICK_ADMIN);
	assert_int_equal(a->via[1].n, 2);
	assert_int_equal(sc.acts[6].from.kind, WEFT_SIM_PICK_ADMIN);
	assert_int_equal(sc.acts[7].cidr.prefix, 16);
	assert_int_equal(sc.acts[7].from.kind, WEFT_SIM_PICK_RANDOM);
	assert_int_equal(sc.acts[8].g1, 0xff);
	assert_int_equal(sc.acts[9].value, 300000);
	assert_int_equal(weft_sim_scenario_check(&sc, NULL), 0);
	weft_sim_scenario_free(&sc);
}

static void test_parse_errors(void **state)
{
	static const struct {
		const char *text;
		uint32_t line;
		const char *words; /* in the message */
	} bad[] = {
		{ "nodes 1\n", 1, "'nodes'" },
		{ "name ok\nfrobnicate 3\n", 2, "unknown directive" },
		{ "at 5s explode\n", 1, "unknown action" },
		{ "at soon crash 1\n", 1, "'at' needs a time" },
		{ "loss 101%\n", 1, "probability" },
		{ "at 1s partition A B\n", 1, "no group" },
		{ "group A 0 10\ngroup A 10 20\n", 2, "new group name" },
		{ "at 1s crash node\n", 1, "needs an index" },
		{ "at 1s join 0\n", 1, "count of new nodes" },
		{ "every 0s from 1s to 2s publish\n", 1, "every PERIOD" },
		{ "every 1ms from 0s to 100s publish\n", 1, "actions" },
		{ "at 1s publish random extra\n", 1, "unexpected" },
		{ "at 1s cidr 10.0.0.1/8\n", 1, "IPv4 network" },
		{ "wg kernel\n", 1, "model, none or memory" },
		{ "param no_such 3\n", 1, "no gossip parameter" },
	};
	struct weft_sim_scenario sc;
	struct weft_sim_perr err;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		weft_sim_scenario_init(&sc);
		assert_true(weft_sim_scenario_parse(&sc, bad[i].text, strlen(bad[i].text), &err) < 0);
		if (err.line != bad[i].line || !strstr(err.msg, bad[i].words))
			fail_msg("'%s': line %u '%s'", bad[i].text, err.line, err.msg);
		weft_sim_scenario_free(&sc);
	}
	/* What depends on the node count is checked once it is final. */
	parse(&sc, "at 1s crash node 150\ngroup A 0 50%\n");
	sc.nodes = 100;
	assert_int_equal(weft_sim_scenario_check(&sc, &err), WEFT_EMALFORMED);
	assert_non_null(strstr(err.msg, "does not exist"));
	sc.nodes = 200;
	assert_int_equal(weft_sim_scenario_check(&sc, &err), 0);
	weft_sim_scenario_free(&sc);
	parse(&sc, "group A 0 120\n");
	sc.nodes = 100;
	assert_int_equal(weft_sim_scenario_check(&sc, &err), WEFT_EMALFORMED);
	assert_non_null(strstr(err.msg, "not a range"));
	weft_sim_scenario_free(&sc);
}

/* Every shipped scenario parses and passes its check. */
static void test_shipped_scenarios(void **state)
{
	struct weft_sim_scenario sc;
	struct weft_sim_perr err;
	char path[512], buf[8192];
	struct dirent *de;
	unsigned files = 0;
	size_t len;
	DIR *d;
	FILE *f;

	d = opendir(WEFT_SIM_SCENARIO_DIR);
	assert_non_null(d);
	while ((de = readdir(d))) {
		if (!strstr(de->d_name, ".sc"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", WEFT_SIM_SCENARIO_DIR, de->d_name);
		f = fopen(path, "r");
		assert_non_null(f);
		len = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		weft_sim_scenario_init(&sc);
		if (weft_sim_scenario_parse(&sc, buf, len, &err) || weft_sim_scenario_check(&sc, &err))
			fail_msg("%s:%u: %s", de->d_name, err.line, err.msg);
		weft_sim_scenario_free(&sc);
		files++;
	}
	closedir(d);
	assert_true(files >= 7);
}

/* ---- runs ---- */

/* Steady state, no loss: ten records from random nodes reach every node
 * within log_{k+1} N + ln N / k gossip rounds (k = fanout 3, 200 ms). */
static void test_dissemination_bound(void **state)
{
	struct weft_sim_result r;
	uint32_t n = base_nodes();
	double rounds = log((double)n) / log(4.0) + log((double)n) / 3.0;

	run_text("duration 20s\nevery 1s from 2s to 11s publish random\n", n, 0, &r);
	assert_int_equal(r.dis.expected, 10 * (uint64_t)(n - 1));
	assert_int_equal(r.dis.count, r.dis.expected);
	assert_true(r.informed_fraction == 1.0);
	if (!(r.dis.max_ms > 0 && r.dis.max_ms <= rounds * 200.0))
		fail_msg("%u nodes: last node informed after %.1f ms, bound %.1f ms", n, r.dis.max_ms,
			 rounds * 200.0);
	assert_true(r.dis.p50_ms <= r.dis.p99_ms && r.dis.p99_ms <= r.dis.max_ms);
	/* The curve ends with everyone informed. */
	assert_true(r.ncurve >= 2);
	assert_true(r.curve[0] < 0.5);
	assert_true(fabs(r.curve[r.ncurve - 1] - 1.0) < 1e-9);
	assert_true(r.converged);
	assert_int_equal(r.false_deaths, 0);
}

/* 50/50 for 60 s, then healed: records published on either side reach
 * everyone, every node sees every other alive, stores converge. */
static void test_partition_heals(void **state)
{
	struct weft_sim_scenario sc;
	struct weft_sim_result r;
	char path[512], buf[4096];
	struct weft_sim_perr err;
	size_t len;
	FILE *f;

	snprintf(path, sizeof(path), "%s/partition.sc", WEFT_SIM_SCENARIO_DIR);
	f = fopen(path, "r");
	assert_non_null(f);
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	weft_sim_scenario_init(&sc);
	assert_int_equal(weft_sim_scenario_parse(&sc, buf, len, &err), 0);
	sc.nodes = base_nodes();
	run_sc(&sc, &r);
	/* Each side declared the other dead while cut off ... */
	assert_true(r.partition_deaths >= (uint64_t)(r.nodes / 2) * (r.nodes / 2));
	assert_int_equal(r.false_deaths, 0);
	/* ... and after the heal all is well again. */
	assert_int_equal(r.up_members, r.nodes);
	assert_int_equal(r.min_alive_view, r.nodes);
	assert_true(r.converged);
	assert_int_equal(r.dis.count, r.dis.expected);
	assert_true(r.dis.max_ms > 5000); /* some waited for the heal */
}

/* A revocation entered at one node reaches every live node, which all
 * drop the revoked member. */
static void test_revocation_reaches_all(void **state)
{
	const struct weft_sim_group_result *g;
	struct weft_sim_result r;
	uint32_t n = base_nodes();

	run_text("duration 15s\nat 5s revoke random from random\n", n, 0, &r);
	g = group(&r, "revocation");
	assert_int_equal(g->records, 1);
	/* Everyone but the origin and the revoked node. */
	assert_int_equal(g->d.expected, n - 2);
	assert_int_equal(g->d.count, g->d.expected);
	assert_true(g->d.max_ms < 2000);
	assert_int_equal(r.revoked_seen, 0);
	assert_int_equal(r.up_members, n - 1);
	assert_true(r.converged);
}

/* Two nodes crash at 5 % loss: every live node marks each dead within
 * SWIM's bound with gossip's defaults (a probe period for someone to probe
 * it, one for the probe to fail, Lifeguard's longest suspicion of
 * 3 log10(N) periods, then the dissemination bound for the news), and no
 * live node is marked dead. */
static void test_crash_detection(void **state)
{
	struct weft_sim_result r;
	uint32_t n = base_nodes();
	double bound_ms = 2 * 1000.0 + 3 * log10((double)n) * 1000.0 +
			  (log((double)n) / log(4.0) + log((double)n) / 3.0) * 200.0;

	run_text("duration 30s\nat 10s crash 2\n", n, 50000, &r);
	assert_int_equal(r.crashes, 2);
	assert_int_equal(r.det.expected, 2 * (uint64_t)(n - 2));
	assert_int_equal(r.det.count, r.det.expected);
	if (r.det.max_ms > bound_ms)
		fail_msg("crash known to all after %.1f ms, bound %.1f ms", r.det.max_ms, bound_ms);
	assert_int_equal(r.false_deaths, 0);
	assert_int_equal(r.up_members, n - 2);
}

/* Churn and joins: 10 % restart from their persisted state while the
 * admin's node is down and 10 nodes join with its token; everyone ends up
 * a member seen alive by all. */
static void test_restart_and_join(void **state)
{
	struct weft_sim_result r;
	uint32_t n = base_nodes() / 2;

	run_text("duration 90s\n"
		 "at 2s crash admin\n"
		 "at 5s crash 10% for 5s\n"
		 "at 12s join 10\n"
		 "at 20s restart admin\n",
		 n, 0, &r);
	assert_int_equal(r.joins, 10);
	assert_int_equal(r.joined, 10);
	assert_true(r.join.max_ms < 5000);
	assert_int_equal(r.up_members, n + 10);
	assert_int_equal(r.min_alive_view, n + 10);
	assert_true(r.converged);
	assert_int_equal(r.false_deaths, 0);
	assert_int_equal(r.det.count, r.det.expected);
}

/* With wg/'s memory backend holding every host's peers, handshakes
 * succeed, gossip moves to the overlay, and a key rotation order leaves
 * every node with every new key. */
static void test_wg_memory(void **state)
{
	const struct weft_sim_group_result *g;
	struct weft_sim_result r;
	uint32_t n = base_nodes() / 4;

	run_text("duration 60s\nwg memory\nat 10s rotate from random\n", n, 0, &r);
	assert_int_equal(r.wg, WEFT_SIM_WG_MEMORY);
	assert_true(r.handshakes > 0);
	assert_true(r.overlay_pkts > 0);
	g = group(&r, "rotate-key");
	assert_int_equal(g->records, n);
	assert_int_equal(g->d.count, g->d.expected);
	assert_true(r.converged);
	assert_int_equal(r.min_alive_view, n);
}

/* A capped link never carries more than its cap (each node's busiest
 * second included), and with room to spare the protocol still works. */
static void test_bandwidth_cap(void **state)
{
	struct weft_sim_result r;
	uint32_t n = base_nodes() / 2;

	run_text("duration 20s\nbandwidth 2k\nevery 1s from 2s to 6s publish random\n", n, 0, &r);
	assert_true(r.pkts_dropped > 0);
	if (r.wire_bytes_per_node_per_s_max > 2000.0)
		fail_msg("%.1f B/s through a 2,000 B/s link", r.wire_bytes_per_node_per_s_max);
	run_text("duration 20s\nbandwidth 100k\nevery 1s from 2s to 6s publish random\n", n, 0, &r);
	assert_int_equal(r.dis.count, r.dis.expected);
	assert_int_equal(r.false_deaths, 0);
	assert_true(r.converged);
}

static char *json_without_wall(const struct weft_sim_result *res)
{
	struct weft_sim_result r = *res;

	r.wall_s = 0;
	r.peak_rss_kb = 0;
	return weft_sim_report_json(&r, false);
}

/* One seed, one run: the same JSON and datagram transcript; another seed
 * gives another transcript. The JSON carries every CLI.md field. */
static void test_same_seed_same_run(void **state)
{
	static const char *const fields[] = {
		"\"nodes\":",
		"\"seed\":",
		"\"virtual_s\":",
		"\"wall_s\":",
		"\"peak_rss_kb\":",
		"\"dissemination_p50_ms\":",
		"\"dissemination_p99_ms\":",
		"\"dissemination_max_ms\":",
		"\"informed_fraction\":",
		"\"detection_p50_ms\":",
		"\"detection_max_ms\":",
		"\"false_suspicions\":",
		"\"false_deaths\":",
		"\"bytes_per_node_per_s\":",
		"\"packets_per_node_per_s\":",
	};
	static const char text[] = "duration 15s\nloss 5%\nevery 1s from 1s to 5s publish random\n"
				   "at 6s crash 1 for 3s\nat 7s join 2\n";
	struct weft_sim_scenario sc;
	struct weft_sim_result a, b, c;
	char *ja, *jb;
	size_t i;

	parse(&sc, text);
	sc.nodes = base_nodes() / 2;
	run_sc(&sc, &a);
	parse(&sc, text);
	sc.nodes = base_nodes() / 2;
	run_sc(&sc, &b);
	parse(&sc, text);
	sc.nodes = base_nodes() / 2;
	sc.seed = 2;
	run_sc(&sc, &c);
	ja = json_without_wall(&a);
	jb = json_without_wall(&b);
	assert_non_null(ja);
	assert_non_null(jb);
	assert_string_equal(ja, jb);
	assert_string_equal(a.trace, b.trace);
	assert_string_not_equal(a.trace, c.trace);
	assert_true(a.pkts_sent > 1000);
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (!strstr(ja, fields[i]))
			fail_msg("no %s in %s", fields[i], ja);
	free(ja);
	free(jb);
}

static int setup(void **state)
{
	return weft_sim_global_init();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_directives),   cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_shipped_scenarios),  cmocka_unit_test(test_dissemination_bound),
		cmocka_unit_test(test_partition_heals),    cmocka_unit_test(test_revocation_reaches_all),
		cmocka_unit_test(test_crash_detection),    cmocka_unit_test(test_restart_and_join),
		cmocka_unit_test(test_wg_memory),          cmocka_unit_test(test_bandwidth_cap),
		cmocka_unit_test(test_same_seed_same_run),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
