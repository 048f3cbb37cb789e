/* sim/main.c: the weft-sim command (CLI.md). Reads a scenario, applies the
 * command line over it, runs it and prints the results; everything else is
 * in libweft_sim. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "core/error.h"
#include "sim/sim.h"

/* Without --scenario: steady state, ten state records published one a
 * second from random nodes, bandwidth over the whole run. */
static const char default_scenario[] = "name steady\n"
				       "every 1s from 2s to 11s publish random\n";

static void usage(FILE *f)
{
	fprintf(f, "usage: weft-sim [--nodes N] [--seed S] [--duration SECONDS] [--loss P]\n"
		   "                [--latency MS] [--jitter MS] [--scenario FILE] [--json]\n"
		   "                [--bandwidth BYTES_PER_S] [--wg model|none|memory]\n"
		   "                [--param NAME=VALUE] [--malicious N|SHARE[:ATTACKS]] [--pretty]\n"
		   "\n"
		   "Runs weft's gossip protocol for N simulated nodes in virtual time and prints\n"
		   "how fast records spread, how fast crashes are noticed, and what it costs.\n"
		   "Scenarios are text files (see sim/scenarios/README.md); the options here\n"
		   "override what the file says. The same seed prints the same results, but\n"
		   "for wall_s and peak_rss_kb.\n"
		   "\n"
		   "  --nodes N          simulated nodes at the start (default 100)\n"
		   "  --seed S           seed of every random choice (default 1)\n"
		   "  --duration SECONDS virtual time to run (default 60)\n"
		   "  --loss P           datagram loss, 0.05 or 5%% (default 0)\n"
		   "  --latency MS       one-way latency (default 10)\n"
		   "  --jitter MS        latency varies by up to this either way (default 5)\n"
		   "  --scenario FILE    what happens during the run (default: steady state)\n"
		   "  --json             one JSON object instead of a table\n"
		   "  --pretty           indent the JSON\n"
		   "  --bandwidth B      cap each node's link at B bytes/s each way (0 = none)\n"
		   "  --wg MODE          WireGuard: model (default), none (underlay only), memory\n"
		   "  --param NAME=VALUE a gossip tunable, e.g. gossip_fanout=4\n"
		   "  --malicious N|SHARE[:ATTACKS]\n"
		   "                     that many members are compromised (10, or 1%%) and attack the\n"
		   "                     others: kill,impersonate,alive,harass,records or all (default)\n");
}

static int die(const char *msg, const char *detail)
{
	fprintf(stderr, "weft-sim: error: %s%s%s\n", msg, detail ? ": " : "", detail ? detail : "");
	return 1;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && n < (1 << 24) && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) == (size_t)n) {
			*len = (size_t)n;
		} else {
			free(buf);
			buf = NULL;
		}
	}
	fclose(f);
	return buf;
}

/* A command-line value goes through the scenario parser as one more line,
 * so both accept the same forms. */
static int apply(struct weft_sim_scenario *sc, const char *key, const char *val, const char *unit)
{
	struct weft_sim_perr perr = { 0, "value too long" };
	char line[600];
	int n;

	n = snprintf(line, sizeof(line), "%s %s%s\n", key, val, unit);
	if (n < 0 || (size_t)n >= sizeof(line) || weft_sim_scenario_parse(sc, line, (size_t)n, &perr)) {
		fprintf(stderr, "weft-sim: error: --%s %s: %s\n", key, val, perr.msg);
		return 2;
	}
	return 0;
}

static double seconds(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "nodes", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ "duration", required_argument, NULL, 'd' },
		{ "loss", required_argument, NULL, 'l' },
		{ "latency", required_argument, NULL, 'L' },
		{ "jitter", required_argument, NULL, 'j' },
		{ "scenario", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'J' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "bandwidth", required_argument, NULL, 'b' },
		{ "wg", required_argument, NULL, 'w' },
		{ "param", required_argument, NULL, 'P' },
		{ "malicious", required_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct override {
		const char *key, *val, *unit;
	} over[32];
	struct weft_sim_scenario sc;
	struct weft_sim_result res;
	struct weft_sim_perr perr;
	struct timespec t0, t1;
	struct rusage ru;
	const char *file = NULL;
	char err[200], *text = NULL, *json, pname[64], *eq;
	size_t len = 0, nover = 0, i;
	bool as_json = false, pretty = false;
	weft_sim_t *s = NULL;
	int c, ret = 1;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		const char *key = NULL, *unit = "";

		switch (c) {
		case 'n':
			key = "nodes";
			break;
		case 's':
			key = "seed";
			break;
		case 'd':
			key = "duration";
			break;
		case 'l':
			key = "loss";
			break;
		case 'L':
			key = "latency";
			unit = "ms";
			break;
		case 'j':
			key = "jitter";
			unit = "ms";
			break;
		case 'b':
			key = "bandwidth";
			break;
		case 'w':
			key = "wg";
			break;
		case 'P':
			key = "param";
			break;
		case 'M':
			key = "malicious";
			break;
		case 'f':
			file = optarg;
			break;
		case 'J':
			as_json = true;
			break;
		case 'p':
			pretty = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
		if (!key)
			continue;
		if (nover == sizeof(over) / sizeof(over[0])) {
			fprintf(stderr, "weft-sim: error: too many options\n");
			return 2;
		}
		over[nover++] = (struct override){ key, optarg, unit };
	}
	if (optind != argc) {
		fprintf(stderr, "weft-sim: error: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (weft_sim_global_init())
		return die("cannot initialise libsodium", NULL);
	weft_sim_scenario_init(&sc);
	if (file) {
		text = read_file(file, &len);
		if (!text) {
			perror("weft-sim: error: reading the scenario");
			goto out;
		}
	}
	if (weft_sim_scenario_parse(&sc, file ? text : default_scenario, file ? len : strlen(default_scenario),
				    &perr)) {
		fprintf(stderr, "weft-sim: error: %s:%u: %s\n", file ? file : "(default)", perr.line, perr.msg);
		goto out;
	}
	for (i = 0; i < nover; i++) {
		if (strcmp(over[i].key, "malicious") == 0 && (eq = strchr(over[i].val, ':'))) {
			snprintf(pname, sizeof(pname), "%.*s %s", (int)(eq - over[i].val), over[i].val, eq + 1);
			if ((ret = apply(&sc, "malicious", pname, "")))
				goto out;
			continue;
		}
		if (strcmp(over[i].key, "param") == 0) {
			eq = strchr(over[i].val, '=');
			if (!eq || (size_t)(eq - over[i].val) >= sizeof(pname)) {
				fprintf(stderr, "weft-sim: error: --param takes NAME=VALUE\n");
				ret = 2;
				goto out;
			}
			snprintf(pname, sizeof(pname), "%.*s %s", (int)(eq - over[i].val), over[i].val, eq + 1);
			if ((ret = apply(&sc, "param", pname, "")))
				goto out;
			continue;
		}
		if ((ret = apply(&sc, over[i].key, over[i].val, over[i].unit)))
			goto out;
	}
	ret = 1;
	/* Wall time counts building the network too: that is part of what a
	 * run at this size costs. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (weft_sim_new(&s, &sc, err, sizeof(err))) {
		die("cannot build the simulation", err);
		goto out;
	}
	if (weft_sim_run(s)) {
		die("the run stopped", weft_sim_error(s));
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	weft_sim_result(s, &res);
	res.wall_s = seconds(&t0, &t1);
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		res.peak_rss_kb = ru.ru_maxrss;
	if (as_json) {
		json = weft_sim_report_json(&res, pretty);
		if (!json) {
			die("out of memory", NULL);
			goto out;
		}
		printf("%s\n", json);
		free(json);
	} else {
		weft_sim_report_text(&res, stdout);
	}
	ret = 0;
out:
	weft_sim_free(s);
	weft_sim_scenario_free(&sc);
	free(text);
	return ret;
}
