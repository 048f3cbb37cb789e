/* weft push: inject signed records (an admin command's --out file) into
 * the networks of this host's daemon, which checks and gossips them. The
 * file is a weft state file of kind "store": a msgpack array of records. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <msgpack.h>

#include "cli/cli.h"
#include "daemon/ctl.h"
#include "cli/ctlclient.h"
#include "core/error.h"
#include "core/persist.h"

enum { OPT_NETWORK = WEFT_OPT_FIRST_OWN };

/* The records in the file, as base64 strings in a JSON array. */
static int read_records(struct weft_cli *cli, const char *path, struct json_object *out)
{
	msgpack_unpacked u;
	msgpack_object *o;
	uint8_t *data = NULL;
	const char *why = NULL;
	size_t len = 0, off = 0, i;
	char *b64;
	int ret;

	ret = weft_persist_read(path, WEFT_PERSIST_STORE, &data, &len, &why);
	if (ret)
		return weft_cli_fail(cli, "cannot read %s: %s", path, why ? why : weft_strerror(ret));
	msgpack_unpacked_init(&u);
	ret = -1;
	if (msgpack_unpack_next(&u, (const char *)data, len, &off) != MSGPACK_UNPACK_SUCCESS || off != len ||
	    u.data.type != MSGPACK_OBJECT_ARRAY) {
		weft_cli_fail(cli, "%s does not hold a list of records", path);
		goto out;
	}
	if (u.data.via.array.size == 0 || u.data.via.array.size > WEFT_CTL_MAX_RECORDS) {
		weft_cli_fail(cli, "%s holds %u records; push takes 1 to %u at a time", path, u.data.via.array.size,
			      WEFT_CTL_MAX_RECORDS);
		goto out;
	}
	for (i = 0; i < u.data.via.array.size; i++) {
		o = &u.data.via.array.ptr[i];
		if (o->type != MSGPACK_OBJECT_BIN || o->via.bin.size == 0 || o->via.bin.size > WEFT_RECORD_MAX) {
			weft_cli_fail(cli, "%s: item %zu is not a record", path, i);
			goto out;
		}
		b64 = weft_ctl_b64((const uint8_t *)o->via.bin.ptr, o->via.bin.size);
		if (!b64) {
			weft_cli_fail(cli, "out of memory");
			goto out;
		}
		json_object_array_add(out, json_object_new_string(b64));
		free(b64);
	}
	ret = 0;
out:
	msgpack_unpacked_destroy(&u);
	free(data);
	return ret;
}

static int run(struct weft_cli *cli, const struct weft_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		WEFT_CLI_COMMON_OPTIONS,
		{ "network", required_argument, NULL, OPT_NETWORK },
		{ 0 },
	};
	struct json_object *req, *recs, *v, *e;
	struct weft_cli_reply r;
	const char *network = NULL;
	size_t i, n;
	bool done;
	int c, ret;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_NETWORK:
			network = optarg;
			break;
		default:
			ret = weft_cli_common_option(cli, cmd, c, argc, argv, &done);
			if (done)
				return ret;
		}
	}
	if (optind >= argc)
		return weft_cli_usage(cli, cmd, "missing FILE (records an admin command wrote with --out)");
	if (optind + 1 < argc)
		return weft_cli_usage(cli, cmd, "unexpected argument '%s'", argv[optind + 1]);
	if (network && weft_cli_parse_name(cli, "--network", network))
		return WEFT_CLI_FAIL;
	req = json_object_new_object();
	recs = json_object_new_array();
	json_object_object_add(req, "cmd", json_object_new_string("push"));
	json_object_object_add(req, "records", recs);
	if (network)
		json_object_object_add(req, "network", json_object_new_string(network));
	if (read_records(cli, argv[optind], recs)) {
		json_object_put(req);
		return WEFT_CLI_FAIL;
	}
	ret = weft_cli_ctl(cli, req, WEFT_CLI_CTL_TIMEOUT_MS, &r);
	json_object_put(req);
	if (ret)
		return weft_cli_ctl_fail(cli, ret, &r, NULL);
	if (cli->json) {
		ret = weft_cli_print_json(cli, r.result);
		weft_cli_reply_free(&r);
		return ret;
	}
	n = json_object_object_get_ex(r.result, "refused", &v) ? json_object_array_length(v) : 0;
	fprintf(cli->out, "%d accepted, %d already held, %zu refused\n",
		json_object_object_get_ex(r.result, "accepted", &e) ? json_object_get_int(e) : 0,
		json_object_object_get_ex(r.result, "already_held", &e) ? json_object_get_int(e) : 0, n);
	for (i = 0; i < n; i++) {
		struct json_object *t, *x, *idx;

		e = json_object_array_get_idx(v, i);
		json_object_object_get_ex(e, "index", &idx);
		json_object_object_get_ex(e, "type", &t);
		json_object_object_get_ex(e, "error", &x);
		fprintf(cli->err, "weft: error: record %d (%s): %s\n", json_object_get_int(idx),
			json_object_get_string(t), json_object_get_string(x));
	}
	weft_cli_reply_free(&r);
	return n ? WEFT_CLI_FAIL : WEFT_CLI_OK;
}

const struct weft_cli_cmd weft_cli_cmd_push = {
	.name = "push",
	.path = "push",
	.fn = run,
	.summary = "inject signed records (an admin command's --out) into this host's networks",
	.usage = "push FILE [--network NETWORK]",
	.help = "Hands the records in FILE to the daemon, which checks each (signature, the\n"
		"signer's right) and gossips the good ones to every member. Each record goes to\n"
		"the network whose admin or member signed it; --network limits that to one.\n"
		"Exits 1 if any record is refused, naming it and why.\n",
};
