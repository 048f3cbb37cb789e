/* weft leave, list, status and peers: ask the daemon and print its answer
 * as a table for people or as JSON (CLI.md's fields) for scripts. */
#include <getopt.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "cli/cli.h"
#include "cli/ctlclient.h"

static const char *field(struct json_object *o, const char *key, const char *dflt)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return dflt;
	return json_object_get_string(v);
}

static int64_t ifield(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

/* Parses "[NETWORK]" (required or not) after the options. */
static int parse(struct weft_cli *cli, const struct weft_cli_cmd *cmd, int argc, char **argv, int nargs,
		 const char **network, bool *done)
{
	static const struct option opts[] = { WEFT_CLI_COMMON_OPTIONS, { 0 } };
	int c, ret;

	*done = false;
	*network = NULL;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		ret = weft_cli_common_option(cli, cmd, c, argc, argv, done);
		if (*done)
			return ret;
	}
	*done = true;
	if (optind < argc)
		*network = argv[optind];
	/* nargs: 0 = none, 1 = NETWORK needed, -1 = NETWORK optional */
	if (nargs == 1 && !*network)
		return weft_cli_usage(cli, cmd, "missing NETWORK ('weft list' shows this host's networks)");
	if (nargs == 0 && *network)
		return weft_cli_usage(cli, cmd, "unexpected argument '%s'", *network);
	if (optind + 1 < argc)
		return weft_cli_usage(cli, cmd, "unexpected argument '%s'", argv[optind + 1]);
	if (*network && weft_cli_parse_name(cli, "network name", *network))
		return WEFT_CLI_FAIL;
	*done = false;
	return 0;
}

static int call(struct weft_cli *cli, const char *cmdname, const char *network, int timeout,
		struct weft_cli_reply *r)
{
	struct json_object *req = json_object_new_object();
	int ret;

	json_object_object_add(req, "cmd", json_object_new_string(cmdname));
	if (network)
		json_object_object_add(req, "network", json_object_new_string(network));
	ret = weft_cli_ctl(cli, req, timeout, r);
	json_object_put(req);
	return ret;
}

/* ---- leave ---- */

static int leave(struct weft_cli *cli, const struct weft_cli_cmd *cmd, int argc, char **argv)
{
	struct weft_cli_reply r;
	const char *net;
	bool done;
	int ret = parse(cli, cmd, argc, argv, 1, &net, &done);

	if (done)
		return ret;
	ret = call(cli, "leave", net, WEFT_CLI_CTL_TIMEOUT_MS, &r);
	if (ret)
		return weft_cli_ctl_fail(cli, ret, &r, NULL);
	if (cli->json)
		ret = weft_cli_print_json(cli, r.result);
	else
		fprintf(cli->out, "left %s: the other members were told, and its interface and state are gone\n",
			net);
	weft_cli_reply_free(&r);
	return ret;
}

/* ---- list ---- */

static int list(struct weft_cli *cli, const struct weft_cli_cmd *cmd, int argc, char **argv)
{
	struct weft_cli_reply r;
	struct json_object *o;
	const char *net;
	size_t i, n;
	bool done;
	int ret = parse(cli, cmd, argc, argv, 0, &net, &done);

	if (done)
		return ret;
	ret = call(cli, "list", NULL, WEFT_CLI_CTL_TIMEOUT_MS, &r);
	if (ret)
		return weft_cli_ctl_fail(cli, ret, &r, NULL);
	if (cli->json) {
		ret = weft_cli_print_json(cli, r.result);
		weft_cli_reply_free(&r);
		return ret;
	}
	n = json_object_array_length(r.result);
	if (!n)
		fprintf(cli->out, "this host is in no network yet ('weft join TOKEN' or 'weft init NETWORK')\n");
	else
		fprintf(cli->out, "%-20s %-16s %-16s %-8s %s\n", "NETWORK", "INTERFACE", "ADDRESS", "STATE",
			"MEMBERS");
	for (i = 0; i < n; i++) {
		o = json_object_array_get_idx(r.result, i);
		fprintf(cli->out, "%-20s %-16s %-16s %-8s %" PRId64 "\n", field(o, "network", "?"),
			field(o, "interface", "-"), field(o, "address", "-"), field(o, "state", "?"),
			ifield(o, "members"));
	}
	weft_cli_reply_free(&r);
	return WEFT_CLI_OK;
}

/* ---- status ---- */

/* The health section: "ok", or one line per problem with its code, its
 * message (which says what to do) and since when. */
static void status_health(struct weft_cli *cli, struct json_object *o)
{
	struct json_object *h, *it;
	size_t i, n;
	char when[32];
	time_t t;
	struct tm tm;

	if (!json_object_object_get_ex(o, "health", &h) || !json_object_is_type(h, json_type_array))
		return;
	n = json_object_array_length(h);
	if (!n) {
		fprintf(cli->out, "health       ok\n");
		return;
	}
	for (i = 0; i < n; i++) {
		it = json_object_array_get_idx(h, i);
		t = (time_t)ifield(it, "since");
		if (!gmtime_r(&t, &tm) || !strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%SZ", &tm))
			snprintf(when, sizeof(when), "?");
		fprintf(cli->out, "%-12s %s: %s (since %s)\n", i ? "" : "health", field(it, "code", "?"),
			field(it, "message", ""), when);
	}
}

static void status_text(struct weft_cli *cli, struct json_object *o)
{
	const char *a6 = field(o, "address6", NULL);
	struct json_object *nc;
	size_t i;

	fprintf(cli->out, "network      %s (fingerprint %s)\n", field(o, "network", "?"),
		field(o, "fingerprint", "?"));
	fprintf(cli->out, "state        %s\n", field(o, "state", "?"));
	fprintf(cli->out, "node         %s%s%s%s\n", field(o, "node_id", "?"), field(o, "name", NULL) ? " (" : "",
		field(o, "name", ""), field(o, "name", NULL) ? ")" : "");
	fprintf(cli->out, "address      %s%s%s\n", field(o, "address", "(none yet)"), a6 ? ", " : "", a6 ? a6 : "");
	fprintf(cli->out, "interface    %s (%s), WireGuard port %" PRId64 ", gossip port %" PRId64 "\n",
		field(o, "interface", "?"), field(o, "backend", "?"), ifield(o, "listen_port"),
		ifield(o, "gossip_port"));
	fprintf(cli->out, "members      %" PRId64 " (%" PRId64 " alive, %" PRId64 " tunnels up)\n",
		ifield(o, "members"), ifield(o, "alive"), ifield(o, "tunnels_up"));
	if (json_object_object_get_ex(o, "name_conflict", &nc) && json_object_is_type(nc, json_type_object))
		fprintf(cli->out, "dns          %s\n", field(nc, "message", "no DNS name (a name conflict)"));
	if (json_object_object_get_ex(o, "endpoints_ignored", &nc) && json_object_is_type(nc, json_type_array))
		for (i = 0; i < json_object_array_length(nc); i++)
			fprintf(cli->out, "endpoint     %s\n",
				field(json_object_array_get_idx(nc, i), "message", "an endpoint nobody uses"));
	status_health(cli, o);
}

static int status(struct weft_cli *cli, const struct weft_cli_cmd *cmd, int argc, char **argv)
{
	struct weft_cli_reply r;
	const char *net;
	size_t i, n;
	bool done;
	int ret = parse(cli, cmd, argc, argv, -1, &net, &done);

	if (done)
		return ret;
	ret = call(cli, "status", net, WEFT_CLI_CTL_TIMEOUT_MS, &r);
	if (ret)
		return weft_cli_ctl_fail(cli, ret, &r, NULL);
	if (cli->json) {
		ret = weft_cli_print_json(cli, r.result);
	} else if (net) {
		status_text(cli, r.result);
	} else {
		n = json_object_array_length(r.result);
		if (!n)
			fprintf(cli->out,
				"this host is in no network yet ('weft join TOKEN' or 'weft init NETWORK')\n");
		for (i = 0; i < n; i++) {
			if (i)
				fputc('\n', cli->out);
			status_text(cli, json_object_array_get_idx(r.result, i));
		}
	}
	weft_cli_reply_free(&r);
	return ret;
}

/* ---- peers ---- */

/* The name of the member whose node id is id in a peers array, else a
 * prefix of the id ("-" for none): the RELAY column. */
static const char *relay_label(struct json_object *a, const char *id, char *buf, size_t cap)
{
	struct json_object *o;
	size_t i, n = json_object_array_length(a);
	const char *nm;

	if (!id)
		return "-";
	for (i = 0; i < n; i++) {
		o = json_object_array_get_idx(a, i);
		nm = field(o, "name", NULL);
		if (nm && !strcmp(field(o, "node_id", ""), id)) {
			snprintf(buf, cap, "%s", nm);
			return buf;
		}
	}
	snprintf(buf, cap, "%.8s", id);
	return buf;
}

static int peers(struct weft_cli *cli, const struct weft_cli_cmd *cmd, int argc, char **argv)
{
	struct weft_cli_reply r;
	struct json_object *o, *v;
	char hs[40], span[32], name[WEFT_NAME_MAX + 8], relay[WEFT_NAME_MAX + 1];
	uint64_t now_s = cli->now_ms / 1000, t;
	const char *net;
	size_t i, n;
	bool done;
	int ret = parse(cli, cmd, argc, argv, 1, &net, &done);

	if (done)
		return ret;
	ret = call(cli, "peers", net, WEFT_CLI_CTL_TIMEOUT_MS, &r);
	if (ret)
		return weft_cli_ctl_fail(cli, ret, &r, NULL);
	if (cli->json) {
		ret = weft_cli_print_json(cli, r.result);
		weft_cli_reply_free(&r);
		return ret;
	}
	fprintf(cli->out, "%-20s %-15s %-8s %-22s %-11s %-12s %s\n", "NAME", "ADDRESS", "STATE", "ENDPOINT",
		"HANDSHAKE", "RELAY", "NODE");
	n = json_object_array_length(r.result);
	for (i = 0; i < n; i++) {
		o = json_object_array_get_idx(r.result, i);
		snprintf(name, sizeof(name), "%s%s", field(o, "name", "-"),
			 json_object_object_get_ex(o, "self", &v) && json_object_get_boolean(v) ? " (this)" : "");
		if (json_object_object_get_ex(o, "latest_handshake", &v) &&
		    !json_object_is_type(v, json_type_null)) {
			t = (uint64_t)json_object_get_int64(v);
			snprintf(hs, sizeof(hs), "%s ago",
				 weft_cli_fmt_span(span, sizeof(span), now_s > t ? now_s - t : 0));
		} else {
			snprintf(hs, sizeof(hs), "-");
		}
		fprintf(cli->out, "%-20s %-15s %-8s %-22s %-11s %-12s %.16s\n", name, field(o, "address", "-"),
			field(o, "state", "?"), field(o, "endpoint", "-"), hs,
			relay_label(r.result, field(o, "relay", NULL), relay, sizeof(relay)),
			field(o, "node_id", "?"));
	}
	weft_cli_reply_free(&r);
	return WEFT_CLI_OK;
}

const struct weft_cli_cmd weft_cli_cmd_leave = {
	.name = "leave",
	.path = "leave",
	.fn = leave,
	.summary = "leave a network and remove its interface and state",
	.usage = "leave NETWORK",
	.help = "Tells the other members that this node leaves (they stop probing it and drop\n"
		"it from WireGuard), then removes the interface and the network's state from\n"
		"this host. Joining again needs a new invite.\n",
};

const struct weft_cli_cmd weft_cli_cmd_list = {
	.name = "list",
	.path = "list",
	.fn = list,
	.summary = "the networks this host is in",
	.usage = "list",
	.help = "One line per network: its interface, this node's address, its state\n"
		"(member, joining, pending, revoked, leaving) and how many members it has.\n",
};

const struct weft_cli_cmd weft_cli_cmd_status = {
	.name = "status",
	.path = "status",
	.fn = status,
	.summary = "this node in each network (or in NETWORK)",
	.usage = "status [NETWORK]",
	.help = "This node's id, name, overlay addresses, interface and ports, and how many\n"
		"members the network has and how many are alive. --json prints an object with\n"
		"network, network_id, node_id, name, address, address6, interface,\n"
		"listen_port, gossip_port, members, alive (an array without NETWORK), and\n"
		"name_conflict: null, or {name, reason, holder, message} when another member\n"
		"(or an admin CNAME) holds the DNS name this node asked for. endpoints_ignored:\n"
		"[{endpoint, holder, message}], the endpoints this node announces that nobody uses\n"
		"(another member announced them first, or they are inside the network).\n",
};

const struct weft_cli_cmd weft_cli_cmd_peers = {
	.name = "peers",
	.path = "peers",
	.fn = peers,
	.summary = "one row per member of a network",
	.usage = "peers NETWORK",
	.help = "Every member with its overlay address, state (alive, suspect, dead, left,\n"
		"pending, revoked, expired, or overused: beyond its invite's uses),\n"
		"WireGuard endpoint, latest handshake and the member traffic to it is\n"
		"relayed through (when no direct path works). --json\n"
		"prints an array of objects with node_id, name, address, address6, endpoint,\n"
		"state, wg_public_key, latest_handshake (unix seconds or null) and relay.\n",
};
