/* weft invite: sign an invite certificate with the admin key and print the
 * token that carries it (with the network settings, a fresh invite secret
 * and where to join) as one line. */
#include <getopt.h>
#include <string.h>

#include <json-c/json.h>

#include "cli/adminrun.h"
#include "cli/cli.h"
#include "cli/ctlclient.h"
#include "core/error.h"
#include "core/token.h"

#define MAX_ADDRESS_ARGS 2 /* one IPv4 and one IPv6 */

struct invite_args {
	struct weft_admin_args adm;
	const char *uses, *expires, *name, *tags;
	const char *address[MAX_ADDRESS_ARGS];
	unsigned naddress;
	bool approval;
	const char *bootstrap[WEFT_TOKEN_MAX_BOOTSTRAP + 1]; /* one more to notice too many */
	unsigned nbootstrap_args;
	weft_token_t t; /* being made: secrets once signed, wiped by make_invite */
	uint64_t life;  /* --expires, parsed */
};

static int pin_address(struct weft_cli *cli, const char *s, const struct weft_rec_network *net,
		       struct weft_rec_invite *inv)
{
	char cidr[WEFT_CIDRSTRLEN];
	const weft_cidr_t *range;
	weft_ip_t ip;

	if (weft_ip_parse(&ip, s) != 0)
		return weft_cli_fail(cli, "bad --address '%s': give one IP address, e.g. 10.42.0.7", s);
	range = ip.family == 4 ? &net->cidr4 : &net->cidr6;
	if (!range->ip.family)
		return weft_cli_fail(cli, "bad --address '%s': network %s has no IPv6 range", s, net->name);
	weft_cidr_format(range, cidr, sizeof(cidr));
	if (!weft_cidr_contains(range, &ip))
		return weft_cli_fail(cli, "bad --address '%s': it is outside the network's range %s", s, cidr);
	if (weft_cidr_reserved(range, &ip))
		return weft_cli_fail(cli,
				     "bad --address '%s': it is the network or broadcast address of %s; "
				     "pick another address in it",
				     s, cidr);
	if ((ip.family == 4 ? inv->address4 : inv->address6).family)
		return weft_cli_fail(cli, "--address is given twice for IPv%u", ip.family);
	if (ip.family == 4)
		inv->address4 = ip;
	else
		inv->address6 = ip;
	return 0;
}

/* --bootstrap may be repeated and may hold a comma-separated list (an
 * IPv6 endpoint is bracketed, so a comma never splits one). */
static int add_bootstrap(struct weft_cli *cli, const char *arg, weft_token_t *t)
{
	const char *p = arg, *comma, *why;
	char ep[WEFT_HOSTPORT_MAX];
	size_t n;
	unsigned i;

	for (;;) {
		comma = strchr(p, ',');
		n = comma ? (size_t)(comma - p) : strlen(p);
		if (n >= sizeof(ep))
			return weft_cli_fail(cli, "bad --bootstrap '%.*s': too long", (int)n, p);
		memcpy(ep, p, n);
		ep[n] = '\0';
		if (weft_token_check_bootstrap(ep, &why))
			return weft_cli_fail(cli, "bad --bootstrap '%s': %s", ep, why);
		for (i = 0; i < t->nbootstrap && strcmp(t->bootstrap[i], ep) != 0; i++)
			;
		if (i == t->nbootstrap) { /* repeats are dropped, not errors */
			if (t->nbootstrap == WEFT_TOKEN_MAX_BOOTSTRAP)
				return weft_cli_fail(cli, "too many --bootstrap endpoints: a token holds at most %d",
						     WEFT_TOKEN_MAX_BOOTSTRAP);
			memcpy(t->bootstrap[t->nbootstrap++], ep, n + 1);
		}
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

/* Without --bootstrap, the members this host's daemon knows: its own
 * endpoints first, then the members it sees alive. */
static int daemon_bootstrap(struct weft_cli *cli, const struct invite_args *a, const weft_pk_t *network_id,
			    weft_token_t *t)
{
	struct json_object *req = json_object_new_object(), *v, *e;
	struct weft_cli_reply r;
	char hex[65];
	size_t i, n;
	int ret;

	json_object_object_add(req, "cmd", json_object_new_string("bootstrap"));
	json_object_object_add(req, "network", json_object_new_string(a->adm.network));
	ret = weft_cli_ctl(cli, req, WEFT_CLI_CTL_TIMEOUT_MS, &r);
	json_object_put(req);
	if (ret) {
		if (ret == 1 && !strcmp(r.code, "notfound"))
			return weft_cli_fail(cli,
					     "this host is not a member of %s, so it knows no bootstrap endpoint: "
					     "give --bootstrap HOST:PORT, the public address and gossip port of a "
					     "member (e.g. --bootstrap 203.0.113.5:51821)",
					     a->adm.network);
		return weft_cli_ctl_fail(cli, ret, &r,
					 "; or give --bootstrap HOST:PORT, the public address and gossip port of a "
					 "member (e.g. --bootstrap 203.0.113.5:51821)");
	}
	weft_pk_to_hex(hex, network_id);
	if (!json_object_object_get_ex(r.result, "network_id", &v) || strcmp(json_object_get_string(v), hex)) {
		weft_cli_reply_free(&r);
		return weft_cli_fail(cli,
				     "this host's network %s is not the one of this admin key; give --bootstrap "
				     "HOST:PORT",
				     a->adm.network);
	}
	n = json_object_object_get_ex(r.result, "bootstrap", &v) ? json_object_array_length(v) : 0;
	for (i = 0; i < n && t->nbootstrap < WEFT_TOKEN_MAX_BOOTSTRAP; i++) {
		e = json_object_array_get_idx(v, i);
		if (weft_token_check_bootstrap(json_object_get_string(e), NULL) == 0)
			snprintf(t->bootstrap[t->nbootstrap++], WEFT_HOSTPORT_MAX, "%s", json_object_get_string(e));
	}
	weft_cli_reply_free(&r);
	if (!t->nbootstrap)
		return weft_cli_fail(cli,
				     "this host knows no address of %s's members yet: give --bootstrap HOST:PORT",
				     a->adm.network);
	return 0;
}

/* Everything that needs no key first, so a typo costs no key read. */
static int prepare(struct weft_cli *cli, void *args)
{
	struct invite_args *a = args;
	struct weft_rec_invite *inv = &a->t.invite.u.invite;
	uint64_t v;
	unsigned i;

	a->t.invite.type = WEFT_REC_INVITE;
	a->life = 7 * 86400;
	inv->max_uses = 1;
	if (a->uses) {
		if (weft_cli_parse_uint(cli, "--uses", a->uses, 1, UINT32_MAX, &v))
			return WEFT_CLI_FAIL;
		inv->max_uses = (uint32_t)v;
	}
	if (a->expires && weft_cli_parse_duration(cli, "--expires", a->expires, &a->life))
		return WEFT_CLI_FAIL;
	if (a->name) {
		if (weft_cli_parse_name(cli, "--name", a->name))
			return WEFT_CLI_FAIL;
		snprintf(inv->name, sizeof(inv->name), "%s", a->name);
	}
	if (a->tags && weft_cli_parse_tags(cli, a->tags, inv->tags, &inv->ntags))
		return WEFT_CLI_FAIL;
	inv->approval = a->approval;
	for (i = 0; i < a->nbootstrap_args; i++)
		if (add_bootstrap(cli, a->bootstrap[i], &a->t))
			return WEFT_CLI_FAIL;
	return 0;
}

static int make_invite(struct weft_cli *cli, void *args, const weft_keypair_t *admin, const weft_record_t *settings)
{
	struct invite_args *a = args;
	weft_token_t *t = &a->t, check;
	char text[WEFT_TOKEN_MAX];
	struct weft_rec_invite *inv = &t->invite.u.invite;
	uint64_t now_s = cli->now_ms / 1000;
	const char *why = NULL;
	unsigned i;
	int ret = WEFT_CLI_FAIL, err;

	memset(&check, 0, sizeof(check));
	memset(text, 0, sizeof(text));
	t->settings = *settings;
	/* After a roll-over the network id is the first admin key, and the
	 * token carries the chain that leads from it to this one. */
	if (weft_cli_admin_chain(cli, a->adm.admin_key, admin, &t->network_id, t->rolls, &t->nrolls))
		goto out;
	if (t->nbootstrap == 0 && daemon_bootstrap(cli, a, &t->network_id, t))
		goto out;
	for (i = 0; i < a->naddress; i++)
		if (pin_address(cli, a->address[i], &t->settings.u.network, inv))
			goto out;

	weft_keypair_generate(&t->invite_kp);
	inv->invite_pk = t->invite_kp.pk;
	inv->created = now_s;
	inv->expires = a->life ? now_s + a->life : 0;
	err = weft_record_sign(&t->invite, admin);
	if (err) {
		weft_cli_fail(cli, "cannot sign the invite: %s", weft_strerror(err));
		goto out;
	}
	err = weft_token_encode(t, text, sizeof(text));
	if (err) {
		weft_cli_fail(cli, "cannot encode the token: %s", weft_strerror(err));
		goto out;
	}
	/* Never hand out a token that a joiner would refuse. */
	if (weft_token_decode(&check, text, &why) != 0 || weft_token_verify(&check, now_s, &why) != 0) {
		weft_cli_fail(cli, "the new token does not check out (%s); this is a bug in weft", why);
		goto out;
	}
	fprintf(cli->out, "%s\n", text);
	ret = WEFT_CLI_OK;
out:
	weft_token_wipe(&check);
	weft_keys_wipe(text, sizeof(text));
	return ret;
}

static int check(struct weft_cli *cli, void *args)
{
	struct invite_args *a = args;

	if (a->adm.nwords > 0)
		return weft_cli_usage(cli, a->adm.cmd, "unexpected argument '%s'", a->adm.words[0]);
	if (a->nbootstrap_args > WEFT_TOKEN_MAX_BOOTSTRAP)
		return weft_cli_fail(cli, "too many --bootstrap endpoints: a token holds at most %d",
				     WEFT_TOKEN_MAX_BOOTSTRAP);
	return 0;
}

static int run(struct weft_cli *cli, const struct weft_cli_cmd *cmd, int argc, char **argv)
{
	static const struct weft_admin_opt opts[] = {
		WEFT_ADMIN_STR("uses", struct invite_args, uses),
		WEFT_ADMIN_STR("expires", struct invite_args, expires),
		WEFT_ADMIN_STR("name", struct invite_args, name),
		WEFT_ADMIN_LIST("address", struct invite_args, address, naddress,
				"--address at most twice (one IPv4, one IPv6)"),
		WEFT_ADMIN_STR("tags", struct invite_args, tags),
		WEFT_ADMIN_FLAG("approval", struct invite_args, approval),
		WEFT_ADMIN_LIST("bootstrap", struct invite_args, bootstrap, nbootstrap_args,
				"too many --bootstrap endpoints"),
		WEFT_ADMIN_END,
	};
	static const struct weft_admin_spec spec = {
		.opts = opts, .no_out = true, .check = check, .prepare = prepare, .body = make_invite
	};
	struct invite_args a = { 0 };
	int ret = weft_admin_run(cli, cmd, &spec, &a, argc, argv);

	weft_token_wipe(&a.t); /* the invite's secret key, once made */
	return ret;
}

const struct weft_cli_cmd weft_cli_cmd_invite = {
	.name = "invite",
	.path = "invite",
	.fn = run,
	.summary = "sign an invite and print its token",
	.usage = "invite NETWORK --admin-key FILE [--uses N] [--expires DURATION] [--name NAME]\n"
		 "                   [--address IP] [--tags T1,T2] [--approval] [--bootstrap HOST:PORT ...]",
	.help = "Signs an invite certificate with the admin key and prints one line: the token\n"
		"a new node joins with ('weft join TOKEN'). The token holds the network\n"
		"settings, the invite and its secret, and where to join, never the admin key\n"
		"or the network key; still, anyone holding it may join, so pass it privately.\n"
		"The settings are read from FILE.net, written beside the key by 'weft init'.\n"
		"\n"
		"  --admin-key FILE      the network's admin key (must be mode 0600)\n"
		"  --uses N              how many nodes may join with it (default 1)\n"
		"  --expires DURATION    lifetime: 30m, 12h, 7d, 2w, 1d12h, or never (default 7d)\n"
		"  --name NAME           pin the joining node's name\n"
		"  --address IP          pin its address (inside the network's range; may be\n"
		"                        given once for IPv4 and once for IPv6)\n"
		"  --tags T1,T2          tags for the node (policy), up to 8\n"
		"  --approval            nodes that join wait until the admin approves them\n"
		"  --bootstrap HOST:PORT a member's public address and gossip port to join\n"
		"                        through; repeat it or give a comma list, up to 8\n"
		"\n"
		"Without --bootstrap the running daemon supplies the members this host knows\n"
		"(its own endpoints first, then the members it sees alive), so the token still\n"
		"works when any one of them is gone. --json does not change the output: the\n"
		"token is already one line ('weft token inspect --json' describes it).\n",
};
