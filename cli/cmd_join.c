/* weft join: hand an invite token to the running daemon and wait until
 * this host is a member (or the network says why not). The token is checked
 * here first, so a damaged or expired one fails at once with its reason. */
#include <getopt.h>
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>

#include <json-c/json.h>
#include <sodium.h>

#include "cli/cli.h"
#include "cli/ctlclient.h"
#include "core/error.h"
#include "core/token.h"

enum {
	OPT_NAME = WEFT_OPT_FIRST_OWN,
	OPT_INTERFACE,
	OPT_LISTEN_PORT,
	OPT_GOSSIP_PORT,
	OPT_ENDPOINT,
};

/* The checks a member would make anyway, with the reason spelled out. */
static int check_token(struct weft_cli *cli, const char *text)
{
	char when[48];
	weft_token_t t;
	const char *why = NULL;
	int ret;

	memset(&t, 0, sizeof(t));
	ret = weft_token_decode(&t, text, &why);
	if (ret) {
		weft_cli_fail(cli,
			      "this token is damaged or incomplete (%s): copy it again in full, or ask the admin "
			      "for a new one",
			      why);
		goto out;
	}
	ret = weft_token_verify(&t, cli->now_ms / 1000, &why);
	if (ret == WEFT_EEXPIRED) {
		weft_cli_fail(cli,
			      "this invite to %s expired on %s; ask the network's admin for a new one (weft "
			      "invite)",
			      t.settings.u.network.name,
			      weft_cli_fmt_time(when, sizeof(when), t.invite.u.invite.expires));
	} else if (ret) {
		weft_cli_fail(cli,
			      "this token does not check out: %s (was it altered, or not made by the "
			      "network's admin?)",
			      why);
	}
out:
	weft_token_wipe(&t);
	return ret ? -1 : 0;
}

/* "HOST:PORT" or "IP" -> "IP:PORT" / "IP" for the daemon. */
static int endpoint_arg(struct weft_cli *cli, const char *s, struct json_object *a)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *res;
	char host[WEFT_HOSTPORT_MAX], buf[WEFT_EPSTRLEN];
	const char *colon = strrchr(s, ':');
	weft_endpoint_t ep;
	weft_ip_t ip;
	size_t hl;

	if (weft_ip_parse(&ip, s) == 0 || weft_endpoint_parse(&ep, s) == 0) {
		json_object_array_add(a, json_object_new_string(s));
		return 0;
	}
	if (!colon || colon == s || (hl = (size_t)(colon - s)) >= sizeof(host) || strlen(s) >= WEFT_HOSTPORT_MAX)
		return weft_cli_fail(cli,
				     "bad --endpoint '%s': give HOST:PORT or an address, e.g. 203.0.113.5:51820", s);
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (getaddrinfo(host, NULL, &hints, &res) != 0)
		return weft_cli_fail(cli, "bad --endpoint '%s': %s does not resolve", s, host);
	memset(&ep, 0, sizeof(ep));
	if (res->ai_family == AF_INET) {
		ep.ip.family = 4;
		memcpy(ep.ip.b, &((struct sockaddr_in *)res->ai_addr)->sin_addr, 4);
	} else {
		ep.ip.family = 6;
		memcpy(ep.ip.b, &((struct sockaddr_in6 *)res->ai_addr)->sin6_addr, 16);
	}
	freeaddrinfo(res);
	if (weft_cli_parse_port(cli, "--endpoint", colon + 1, &ep.port))
		return -1;
	json_object_array_add(a, json_object_new_string(weft_endpoint_format(&ep, buf, sizeof(buf))));
	return 0;
}

static int print_joined(struct weft_cli *cli, struct json_object *st)
{
	struct json_object *v;
	const char *net = "", *addr = NULL, *ifn = "", *state = "", *node = "";

	if (cli->json)
		return weft_cli_print_json(cli, st);
	if (json_object_object_get_ex(st, "network", &v))
		net = json_object_get_string(v);
	if (json_object_object_get_ex(st, "address", &v) && !json_object_is_type(v, json_type_null))
		addr = json_object_get_string(v);
	if (json_object_object_get_ex(st, "interface", &v))
		ifn = json_object_get_string(v);
	if (json_object_object_get_ex(st, "state", &v))
		state = json_object_get_string(v);
	if (json_object_object_get_ex(st, "node_id", &v))
		node = json_object_get_string(v);
	if (!strcmp(state, "pending"))
		fprintf(cli->out,
			"admitted to %s as node %.16s; waiting for the admin's approval (weft status %s)\n", net,
			node, net);
	else
		fprintf(cli->out, "joined %s as node %.16s: address %s on %s ('weft peers %s' shows the others)\n",
			net, node, addr ? addr : "(none yet)", ifn, net);
	return WEFT_CLI_OK;
}

static int run(struct weft_cli *cli, const struct weft_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		WEFT_CLI_COMMON_OPTIONS,
		{ "name", required_argument, NULL, OPT_NAME },
		{ "interface", required_argument, NULL, OPT_INTERFACE },
		{ "listen-port", required_argument, NULL, OPT_LISTEN_PORT },
		{ "gossip-port", required_argument, NULL, OPT_GOSSIP_PORT },
		{ "endpoint", required_argument, NULL, OPT_ENDPOINT },
		{ 0 },
	};
	const char *name = NULL, *ifname = NULL, *lport = NULL, *gport = NULL, *eps[WEFT_MAX_ENDPOINTS];
	char text[WEFT_TOKEN_MAX + 1];
	struct json_object *req = NULL, *a;
	struct weft_cli_reply r;
	unsigned neps = 0, i;
	uint16_t port;
	bool done;
	int c, ret = WEFT_CLI_FAIL;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_NAME:
			name = optarg;
			break;
		case OPT_INTERFACE:
			ifname = optarg;
			break;
		case OPT_LISTEN_PORT:
			lport = optarg;
			break;
		case OPT_GOSSIP_PORT:
			gport = optarg;
			break;
		case OPT_ENDPOINT:
			if (neps == WEFT_MAX_ENDPOINTS)
				return weft_cli_usage(cli, cmd, "--endpoint at most %d times", WEFT_MAX_ENDPOINTS);
			eps[neps++] = optarg;
			break;
		default:
			ret = weft_cli_common_option(cli, cmd, c, argc, argv, &done);
			if (done)
				return ret;
		}
	}
	if (optind >= argc)
		return weft_cli_usage(cli, cmd, "missing TOKEN (the line 'weft invite' printed, or '-' for stdin)");
	if (optind + 1 < argc)
		return weft_cli_usage(cli, cmd, "unexpected argument '%s'", argv[optind + 1]);
	if (name && weft_cli_parse_name(cli, "--name", name))
		return WEFT_CLI_FAIL;
	if (ifname && (!*ifname || strlen(ifname) > 15 || strchr(ifname, '/') || strchr(ifname, ' ')))
		return weft_cli_fail(cli, "bad --interface '%s': 1-15 characters, no '/' or spaces", ifname);
	memset(text, 0, sizeof(text));
	if (weft_cli_read_token(cli, argv[optind], text, sizeof(text)))
		goto out;
	if (check_token(cli, text))
		goto out;
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("join"));
	json_object_object_add(req, "token", json_object_new_string(text));
	if (name)
		json_object_object_add(req, "name", json_object_new_string(name));
	if (ifname)
		json_object_object_add(req, "interface", json_object_new_string(ifname));
	if (lport) {
		if (weft_cli_parse_port(cli, "--listen-port", lport, &port))
			goto out;
		json_object_object_add(req, "listen_port", json_object_new_int(port));
	}
	if (gport) {
		if (weft_cli_parse_port(cli, "--gossip-port", gport, &port))
			goto out;
		json_object_object_add(req, "gossip_port", json_object_new_int(port));
	}
	if (neps) {
		a = json_object_new_array();
		json_object_object_add(req, "endpoints", a);
		for (i = 0; i < neps; i++)
			if (endpoint_arg(cli, eps[i], a))
				goto out;
	}
	c = weft_cli_ctl(cli, req, WEFT_CLI_JOIN_TIMEOUT_MS, &r);
	if (c) {
		ret = weft_cli_ctl_fail(cli, c, &r, NULL);
		goto out;
	}
	ret = print_joined(cli, r.result);
	weft_cli_reply_free(&r);
out:
	if (req) {
		struct json_object *t;

		/* json-c's copy of the token, wiped before it is freed. */
		if (json_object_object_get_ex(req, "token", &t))
			sodium_memzero((char *)json_object_get_string(t), (size_t)json_object_get_string_len(t));
		json_object_put(req);
	}
	sodium_memzero(text, sizeof(text));
	return ret;
}

const struct weft_cli_cmd weft_cli_cmd_join = {
	.name = "join",
	.path = "join",
	.fn = run,
	.summary = "join a network with an invite token",
	.usage = "join TOKEN [--name NAME] [--interface IFNAME] [--listen-port N] [--gossip-port N]\n"
		 "                 [--endpoint HOST:PORT ...]",
	.help = "Hands the token to the running daemon, which asks the members at the token's\n"
		"bootstrap endpoints to let this host in, and returns once it is a member, or\n"
		"says why not (expired, used up, revoked, signature invalid, no bootstrap\n"
		"endpoint answered). TOKEN '-' reads it from standard input.\n"
		"\n"
		"  --name NAME           this node's name in the network (its DNS name)\n"
		"  --interface IFNAME    WireGuard interface (default weft-NETWORK)\n"
		"  --listen-port N       WireGuard UDP port (default: the network's, 51820)\n"
		"  --gossip-port N       gossip UDP port (default: the network's, 51821)\n"
		"  --endpoint HOST:PORT  an address other members reach this host's WireGuard\n"
		"                        at (a public address, a port forward); repeatable;\n"
		"                        default: this host's own addresses\n",
};
