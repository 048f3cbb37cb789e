/* The admin commands' runner (adminrun.h): one getopt table built from the
 * common options and the command's own, the checks they all make, and the
 * load-key -> body -> sign -> hand on -> wipe sequence. */
#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/adminops.h"
#include "cli/adminrun.h"

#define MAX_OPTS 24

enum { OPT_ADMIN_KEY = WEFT_OPT_FIRST_OWN, OPT_OUT, OPT_OWN };

/* An own option's value into the command's arguments: 0, or the exit code
 * of a usage error. */
static int take(struct weft_cli *cli, const struct weft_cli_cmd *cmd, const struct weft_admin_opt *o, void *args)
{
	char *base = args;
	unsigned *count;

	if (o->has_arg == no_argument) {
		*(bool *)(base + o->off) = true;
		return 0;
	}
	if (!o->max) {
		*(const char **)(base + o->off) = optarg;
		return 0;
	}
	count = (unsigned *)(base + o->count_off);
	if (*count == o->max)
		return weft_cli_usage(cli, cmd, "%s", o->too_many);
	((const char **)(base + o->off))[(*count)++] = optarg;
	return 0;
}

static int parse(struct weft_cli *cli, const struct weft_cli_cmd *cmd, const struct weft_admin_spec *spec,
		 void *args, int argc, char **argv)
{
	struct weft_admin_args *a = args;
	struct option opts[MAX_OPTS + 1] = {
		WEFT_CLI_COMMON_OPTIONS,
		{ "admin-key", required_argument, NULL, OPT_ADMIN_KEY },
	};
	size_t n = 4, nown = 0;
	bool done;
	int c, ret;

	if (!spec->no_out)
		opts[n++] = (struct option){ "out", required_argument, NULL, OPT_OUT };
	while (spec->opts && spec->opts[nown].name && n < MAX_OPTS) {
		opts[n++] = (struct option){ spec->opts[nown].name, spec->opts[nown].has_arg, NULL,
					     OPT_OWN + (int)nown };
		nown++;
	}
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == OPT_ADMIN_KEY) {
			a->admin_key = optarg;
		} else if (c == OPT_OUT) {
			a->out = optarg;
		} else if (c >= OPT_OWN && (size_t)(c - OPT_OWN) < nown) {
			ret = take(cli, cmd, &spec->opts[c - OPT_OWN], args);
			if (ret)
				return ret;
		} else {
			ret = weft_cli_common_option(cli, cmd, c, argc, argv, &done);
			if (done)
				return ret;
		}
	}
	if (optind >= argc)
		return weft_cli_usage(cli, cmd, "missing NETWORK");
	a->network = argv[optind];
	a->words = argv + optind + 1;
	a->nwords = argc - optind - 1;
	return -1;
}

int weft_admin_run(struct weft_cli *cli, const struct weft_cli_cmd *cmd, const struct weft_admin_spec *spec,
		   void *args, int argc, char **argv)
{
	struct weft_admin_args *a = args;
	weft_record_t settings;
	weft_keypair_t key;
	int ret;

	a->cmd = cmd;
	ret = parse(cli, cmd, spec, args, argc, argv);
	if (ret >= 0)
		return ret;
	if (spec->check) {
		ret = spec->check(cli, args);
		if (ret)
			return ret;
	}
	if (!a->keyless && (!a->admin_key || !*a->admin_key))
		return weft_cli_usage(cli, a->cmd, "missing --admin-key FILE (the key 'weft init' wrote)");
	if (a->out && !*a->out)
		return weft_cli_usage(cli, a->cmd, "--out needs a file name");
	if (weft_cli_parse_name(cli, "network name", a->network))
		return WEFT_CLI_FAIL;
	if (spec->prepare) {
		ret = spec->prepare(cli, args);
		if (ret)
			return ret;
	}
	if (a->keyless)
		return spec->body(cli, args, NULL, NULL);
	memset(&key, 0, sizeof(key));
	if (weft_cli_admin_load(cli, a->admin_key, a->network, &key, &settings))
		return WEFT_CLI_FAIL;
	ret = spec->body(cli, args, &key, &settings);
	weft_keys_wipe(&key, sizeof(key));
	return ret;
}

int weft_admin_emit(struct weft_cli *cli, const struct weft_admin_args *a, const weft_keypair_t *key,
		    weft_record_t *recs, size_t nsign, size_t n)
{
	size_t i;

	for (i = 0; i < nsign; i++)
		if (weft_adminops_sign(cli, &recs[i], key))
			return WEFT_CLI_FAIL;
	return weft_cli_admin_emit(cli, a->network, a->out, recs, n);
}
