/* weft token inspect: decode and verify an invite token and show what it
 * grants, never its secret. A token that fails a check is refused with the
 * reason; an expired one is still shown (its grant is authentic, which
 * helps the admin tell invites apart) and then refused with exit 1. */
#include <getopt.h>
#include <string.h>

#include <json-c/json.h>

#include "cli/cli.h"
#include "core/error.h"
#include "core/token.h"

static struct json_object *str_or_null(const char *s)
{
	return s && *s ? json_object_new_string(s) : NULL;
}

static struct json_object *grant_json(const weft_token_t *t, uint64_t now_s, int verdict, const char *why)
{
	const struct weft_rec_network *n = &t->settings.u.network;
	const struct weft_rec_invite *inv = &t->invite.u.invite;
	char hex[65], fpr[WEFT_FPR_LEN + 1], buf[WEFT_CIDRSTRLEN];
	struct json_object *o = json_object_new_object(), *a;
	unsigned i;

	json_object_object_add(o, "valid", json_object_new_boolean(verdict == 0));
	json_object_object_add(o, "expired", json_object_new_boolean(verdict == WEFT_EEXPIRED));
	json_object_object_add(o, "error", verdict ? json_object_new_string(why) : NULL);
	json_object_object_add(o, "network", json_object_new_string(n->name));
	weft_pk_to_hex(hex, &t->network_id);
	weft_fingerprint(fpr, &t->network_id);
	json_object_object_add(o, "network_id", json_object_new_string(hex));
	json_object_object_add(o, "fingerprint", json_object_new_string(fpr));
	json_object_object_add(o, "cidr", json_object_new_string(weft_cidr_format(&n->cidr4, buf, sizeof(buf))));
	json_object_object_add(o, "cidr6",
			       n->cidr6.ip.family
				       ? json_object_new_string(weft_cidr_format(&n->cidr6, buf, sizeof(buf)))
				       : NULL);
	json_object_object_add(o, "domain", str_or_null(n->domain));
	json_object_object_add(o, "wg_port", json_object_new_int(n->wg_port));
	json_object_object_add(o, "gossip_port", json_object_new_int(n->gossip_port));
	json_object_object_add(o, "mtu", json_object_new_int(n->mtu));
	json_object_object_add(o, "keepalive", json_object_new_int(n->keepalive));
	json_object_object_add(o, "settings_version", json_object_new_uint64(n->version));
	weft_pk_to_hex(hex, &inv->invite_pk);
	json_object_object_add(o, "invite_key", json_object_new_string(hex));
	json_object_object_add(o, "created", json_object_new_uint64(inv->created));
	json_object_object_add(o, "expires", inv->expires ? json_object_new_uint64(inv->expires) : NULL);
	json_object_object_add(o, "expires_in",
			       inv->expires ? json_object_new_int64(inv->expires > now_s
									    ? (int64_t)(inv->expires - now_s)
									    : -(int64_t)(now_s - inv->expires))
					    : NULL);
	json_object_object_add(o, "uses", json_object_new_uint64(inv->max_uses));
	json_object_object_add(o, "name", str_or_null(inv->name));
	json_object_object_add(o, "address",
			       inv->address4.family
				       ? json_object_new_string(weft_ip_format(&inv->address4, buf, sizeof(buf)))
				       : NULL);
	json_object_object_add(o, "address6",
			       inv->address6.family
				       ? json_object_new_string(weft_ip_format(&inv->address6, buf, sizeof(buf)))
				       : NULL);
	a = json_object_new_array();
	for (i = 0; i < inv->ntags; i++)
		json_object_array_add(a, json_object_new_string(inv->tags[i]));
	json_object_object_add(o, "tags", a);
	json_object_object_add(o, "approval", json_object_new_boolean(inv->approval));
	a = json_object_new_array();
	for (i = 0; i < t->nbootstrap; i++)
		json_object_array_add(a, json_object_new_string(t->bootstrap[i]));
	json_object_object_add(o, "bootstrap", a);
	return o;
}

static void row(struct weft_cli *cli, const char *label, const char *value)
{
	fprintf(cli->out, "%-12s %s\n", label, value);
}

static void grant_text(struct weft_cli *cli, const weft_token_t *t, uint64_t now_s, int verdict)
{
	const struct weft_rec_network *n = &t->settings.u.network;
	const struct weft_rec_invite *inv = &t->invite.u.invite;
	char hex[65], fpr[WEFT_FPR_LEN + 1], a[WEFT_CIDRSTRLEN], b[WEFT_CIDRSTRLEN];
	char when[48], span[32], line[WEFT_DOMAIN_MAX + 96];
	unsigned i;

	row(cli, "status", verdict == 0 ? "valid" : "EXPIRED (signatures check out)");
	row(cli, "network", n->name);
	weft_pk_to_hex(hex, &t->network_id);
	weft_fingerprint(fpr, &t->network_id);
	row(cli, "network id", hex);
	row(cli, "fingerprint", fpr);
	weft_cidr_format(&n->cidr4, a, sizeof(a));
	row(cli, "cidr", a);
	row(cli, "cidr6", n->cidr6.ip.family ? weft_cidr_format(&n->cidr6, b, sizeof(b)) : "none");
	if (n->domain[0])
		row(cli, "domain", n->domain);
	else {
		snprintf(line, sizeof(line), "%s.internal (default)", n->name);
		row(cli, "domain", line);
	}
	snprintf(line, sizeof(line), "wireguard %u, gossip %u", n->wg_port, n->gossip_port);
	row(cli, "ports", line);
	snprintf(line, sizeof(line), "%u", n->mtu);
	row(cli, "mtu", line);
	if (n->keepalive)
		snprintf(line, sizeof(line), "%u s", n->keepalive);
	else
		snprintf(line, sizeof(line), "only where NAT is likely");
	row(cli, "keepalive", line);

	weft_fingerprint(fpr, &inv->invite_pk);
	row(cli, "invite", fpr);
	row(cli, "created", weft_cli_fmt_time(when, sizeof(when), inv->created));
	if (!inv->expires)
		row(cli, "expires", "never");
	else if (inv->expires > now_s) {
		snprintf(line, sizeof(line), "%s (expires in %s)",
			 weft_cli_fmt_time(when, sizeof(when), inv->expires),
			 weft_cli_fmt_span(span, sizeof(span), inv->expires - now_s));
		row(cli, "expires", line);
	} else {
		snprintf(line, sizeof(line), "%s (expired %s ago)",
			 weft_cli_fmt_time(when, sizeof(when), inv->expires),
			 weft_cli_fmt_span(span, sizeof(span), now_s - inv->expires));
		row(cli, "expires", line);
	}
	snprintf(line, sizeof(line), "%u %s", inv->max_uses, inv->max_uses == 1 ? "node" : "nodes");
	row(cli, "uses", line);
	row(cli, "name", inv->name[0] ? inv->name : "chosen by the joining node");
	if (inv->address4.family)
		row(cli, "address", weft_ip_format(&inv->address4, a, sizeof(a)));
	else {
		snprintf(line, sizeof(line), "assigned from %s", weft_cidr_format(&n->cidr4, a, sizeof(a)));
		row(cli, "address", line);
	}
	if (inv->address6.family)
		row(cli, "address6", weft_ip_format(&inv->address6, a, sizeof(a)));
	line[0] = '\0';
	for (i = 0; i < inv->ntags; i++) {
		if (i)
			strcat(line, ",");
		strcat(line, inv->tags[i]); /* 8 tags of 31 fit the line */
	}
	row(cli, "tags", inv->ntags ? line : "none");
	row(cli, "approval", inv->approval ? "required: nodes wait until the admin approves them" : "not needed");
	if (!t->nbootstrap)
		row(cli, "bootstrap", "none (the joiner must be given one)");
	for (i = 0; i < t->nbootstrap; i++)
		row(cli, i ? "" : "bootstrap", t->bootstrap[i]);
}

static int inspect(struct weft_cli *cli, const struct weft_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = { WEFT_CLI_COMMON_OPTIONS, { 0 } };
	char text[WEFT_TOKEN_MAX + 1];
	weft_token_t t;
	uint64_t now_s = cli->now_ms / 1000;
	const char *why = NULL;
	struct json_object *o;
	bool done;
	int c, ret, verdict;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		ret = weft_cli_common_option(cli, cmd, c, argc, argv, &done);
		if (done)
			return ret;
	}
	if (optind >= argc)
		return weft_cli_usage(cli, cmd, "missing TOKEN (or '-' to read it from standard input)");
	if (optind + 1 < argc)
		return weft_cli_usage(cli, cmd, "unexpected argument '%s'", argv[optind + 1]);

	memset(&t, 0, sizeof(t));
	ret = WEFT_CLI_FAIL;
	if (weft_cli_read_token(cli, argv[optind], text, sizeof(text)))
		goto out;
	if (weft_token_decode(&t, text, &why) != 0) {
		weft_cli_fail(cli, "%s; copy the whole token again, or ask the network's admin for a new one", why);
		goto out;
	}
	verdict = weft_token_verify(&t, now_s, &why);
	if (verdict != 0 && verdict != WEFT_EEXPIRED) {
		weft_cli_fail(cli, "%s; do not use this token, ask the network's admin for a new one", why);
		goto out;
	}
	if (cli->json) {
		o = grant_json(&t, now_s, verdict, why);
		ret = weft_cli_print_json(cli, o);
		json_object_put(o);
	} else {
		grant_text(cli, &t, now_s, verdict);
		ret = WEFT_CLI_OK;
	}
	fflush(cli->out);
	if (verdict == WEFT_EEXPIRED)
		ret = weft_cli_fail(cli, "%s; ask the network's admin for a new invite", why);
out:
	weft_token_wipe(&t);
	weft_keys_wipe(text, sizeof(text));
	return ret;
}

static const struct weft_cli_cmd token_commands[] = {
	{
		.name = "inspect",
		.path = "token inspect",
		.fn = inspect,
		.summary = "decode and verify an invite token and show what it grants",
		.usage = "token inspect TOKEN [--json]",
		.help = "Checks the token (checksum, structure, the admin's signatures, the invite\n"
			"secret, expiry) and prints the network it joins and what it grants: ranges,\n"
			"ports, uses, expiry, pinned name, address and tags, approval, bootstrap\n"
			"endpoints. It never prints the invite secret. TOKEN '-' reads the token\n"
			"from standard input (a token on the command line may be seen by other users\n"
			"of this host). White space in the token is ignored.\n"
			"\n"
			"Exit status: 0 for a valid token; 1 for an altered, truncated or forged one\n"
			"(nothing is printed on standard output) and for an expired one, which is still\n"
			"described (\"status EXPIRED\"; with --json \"valid\": false, \"expired\": true).\n",
	},
	{ 0 },
};

const struct weft_cli_cmd weft_cli_cmd_token = {
	.name = "token",
	.path = "token",
	.sub = token_commands,
	.summary = "inspect an invite token",
	.usage = "token inspect TOKEN [--json]",
};
