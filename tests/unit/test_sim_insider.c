/* Issue #22 in the simulator: 1 % of 1,000 members compromised, every
 * attack at once (sim/adversary.c), while 1 % of the members crash
 * (sim/scenarios/insider.sc). Asserted on the honest members: none is ever
 * held dead by another while it is up; every crash is known to every live
 * member, within the detection time of the same run without attackers plus
 * 2 s; no crashed member is marked alive again while it is down; no
 * endpoint is learnt from a packet sent in another member's name; the
 * attackers are reported and nobody else is. The run is deterministic
 * (virtual time, one seed), so the figures are asserted, not timed.
 *
 * Sizes: 1,000 nodes in the normal build; the sanitizer build halves them
 * (as the other sim tests do), and WEFT_SIM_INSIDER_NODES sets the size. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
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

static uint32_t insider_nodes(void)
{
	const char *env = getenv("WEFT_SIM_INSIDER_NODES");
	long v = env ? strtol(env, NULL, 10) : 0;

	return v >= 20 ? (uint32_t)v : 1000 / SCALE_DIV;
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

static void run(const struct weft_sim_scenario *sc, struct weft_sim_result *r)
{
	char err[200];
	weft_sim_t *s;

	assert_int_equal(weft_sim_new(&s, sc, err, sizeof(err)), 0);
	if (weft_sim_run(s))
		fail_msg("run: %s", weft_sim_error(s));
	weft_sim_result(s, r);
	weft_sim_free(s);
}

static void test_insider_scenario_parses(void **state)
{
	struct weft_sim_scenario sc;
	struct weft_sim_perr err;
	char names[80];
	const char *bad[] = { "malicious\n", "malicious x\n", "malicious 10 steal\n", "malicious 1% kill extra\n" };
	size_t i;

	load(&sc, "insider.sc");
	assert_true(sc.malicious.pct);
	assert_int_equal(sc.malicious.v, 10000);
	assert_int_equal(sc.attacks, WEFT_SIM_ATK_ALL);
	weft_sim_scenario_free(&sc);
	weft_sim_scenario_init(&sc);
	assert_int_equal(weft_sim_scenario_parse(&sc, "malicious 3 kill,harass\n", 24, &err), 0);
	assert_false(sc.malicious.pct);
	assert_int_equal(sc.malicious.v, 3);
	assert_int_equal(sc.attacks, WEFT_SIM_ATK_KILL | WEFT_SIM_ATK_HARASS);
	assert_string_equal(weft_sim_attacks_name(sc.attacks, names, sizeof(names)), "kill,harass");
	/* Node 0 is the admin's and never malicious: all of the others at most. */
	sc.nodes = 3;
	assert_int_equal(weft_sim_scenario_check(&sc, &err), WEFT_EMALFORMED);
	weft_sim_scenario_free(&sc);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		weft_sim_scenario_init(&sc);
		assert_int_not_equal(weft_sim_scenario_parse(&sc, bad[i], strlen(bad[i]), &err), 0);
		assert_true(strlen(err.msg) > 0);
		weft_sim_scenario_free(&sc);
	}
}

static void test_insider_1pct(void **state)
{
	struct weft_sim_scenario sc;
	struct weft_sim_result att, base;

	load(&sc, "insider.sc");
	sc.nodes = insider_nodes();
	run(&sc, &att);
	sc.malicious.v = 0;
	run(&sc, &base);
	weft_sim_scenario_free(&sc);
	printf("# %u nodes, %u malicious: %llu attack datagrams; honest: %llu false suspicions, %llu false deaths, "
	       "%llu revived while down, %llu forged endpoints; %llu reports naming attackers, %llu naming others\n",
	       att.nodes, att.malicious, (unsigned long long)att.attack_pkts,
	       (unsigned long long)att.honest_false_suspicions, (unsigned long long)att.honest_false_deaths,
	       (unsigned long long)att.revived_dead, (unsigned long long)att.forged_endpoints,
	       (unsigned long long)att.misbehaving_reports, (unsigned long long)att.misbehaving_honest);
	printf("# crashes known everywhere: max %.0f ms with the attackers, %.0f ms without; honest cost %.0f B/s "
	       "per node (%.0f without)\n",
	       att.det.max_ms, base.det.max_ms, att.bytes_per_node_per_s, base.bytes_per_node_per_s);
	assert_int_equal(att.malicious, (insider_nodes() + 50) / 100);
	assert_true(att.attack_pkts > 0);
	/* Never held dead while alive. */
	assert_int_equal(att.honest_false_deaths, 0);
	/* Never kept alive while dead beyond normal detection. */
	assert_true(att.crashes > 0);
	assert_int_equal(att.det.count, att.det.expected);
	assert_true(att.det.max_ms <= base.det.max_ms + 2000.0);
	assert_int_equal(att.revived_dead, 0);
	/* No endpoint learnt from a forged sender. */
	assert_int_equal(att.forged_endpoints, 0);
	/* The harassers are named, and only they. */
	assert_true(att.misbehaving_reports > 0);
	assert_int_equal(att.misbehaving_honest, 0);
	/* Every live view still agrees. */
	assert_true(att.views_checked && att.views_agree);
	assert_int_equal(base.false_deaths, 0);
}

static int setup(void **state)
{
	return weft_sim_global_init();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_insider_scenario_parses),
		cmocka_unit_test(test_insider_1pct),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
