/* weft version (and weft --version): the version meson gave the build. */
#include <getopt.h>

#include <json-c/json.h>

#include "cli/cli.h"
#include "weft_config.h"

static int run(struct weft_cli *cli, const struct weft_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = { WEFT_CLI_COMMON_OPTIONS, { 0 } };
	struct json_object *o;
	bool done;
	int c, ret;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		ret = weft_cli_common_option(cli, cmd, c, argc, argv, &done);
		if (done)
			return ret;
	}
	if (optind < argc)
		return weft_cli_usage(cli, cmd, "unexpected argument '%s'", argv[optind]);
	if (!cli->json) {
		fprintf(cli->out, "weft %s\n", WEFT_VERSION);
		return WEFT_CLI_OK;
	}
	o = json_object_new_object();
	json_object_object_add(o, "version", json_object_new_string(WEFT_VERSION));
	ret = weft_cli_print_json(cli, o);
	json_object_put(o);
	return ret;
}

const struct weft_cli_cmd weft_cli_cmd_version = {
	.name = "version",
	.path = "version",
	.fn = run,
	.summary = "print weft's version",
	.usage = "version [--json]",
	.help = "Prints \"weft VERSION\", or {\"version\": \"VERSION\"} with --json.\n",
};
