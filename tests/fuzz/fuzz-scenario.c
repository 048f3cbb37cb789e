/* Fuzz target for the simulator's scenario parser (sim/scenario.c): any
 * bytes either parse into a scenario that passes or fails its check, or are
 * refused with a line number and a message. A scenario small enough (a few
 * nodes, a few virtual seconds) is also run, so the actions it names are
 * exercised against a real network. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "sim/sim.h"

#define RUN_NODES 8
#define RUN_SECONDS 2

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return weft_sim_global_init();
}

static void run_small(struct weft_sim_scenario *sc)
{
	struct weft_sim_result r;
	weft_sim_t *s = NULL;
	uint64_t joins = 0;
	char err[200];
	size_t i;

	if (sc->nodes > RUN_NODES)
		sc->nodes = RUN_NODES;
	if (sc->duration_ns > RUN_SECONDS * WEFT_SIM_SEC)
		sc->duration_ns = RUN_SECONDS * WEFT_SIM_SEC;
	for (i = 0; i < sc->nacts; i++)
		if (sc->acts[i].kind == WEFT_SIM_ACT_JOIN)
			joins += sc->acts[i].count;
	if (joins > RUN_NODES || sc->nacts > 64 || weft_sim_scenario_check(sc, NULL))
		return;
	if (weft_sim_new(&s, sc, err, sizeof(err)))
		return;
	weft_sim_run(s);
	weft_sim_result(s, &r);
	free(weft_sim_report_json(&r, false));
	weft_sim_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t sizes[] = { 2, 100, 10000 };
	struct weft_sim_scenario sc;
	struct weft_sim_perr err;
	size_t i;
	int ret;

	weft_sim_scenario_init(&sc);
	ret = weft_sim_scenario_parse(&sc, (const char *)data, size, &err);
	if (ret) {
		/* A refusal always says why. */
		if (err.msg[0] == 0 || ret >= 0)
			__builtin_trap();
		weft_sim_scenario_free(&sc);
		return 0;
	}
	for (i = 1; i < sc.nacts; i++)
		if (sc.acts[i - 1].at_ns > sc.acts[i].at_ns)
			__builtin_trap(); /* actions must come sorted */
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		sc.nodes = sizes[i];
		weft_sim_scenario_check(&sc, &err);
	}
	run_small(&sc);
	weft_sim_scenario_free(&sc);
	return 0;
}
