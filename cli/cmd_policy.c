/* weft policy NETWORK set FILE | show: sign a tag-based policy file
 * (docs/POLICY.md, parsed by core/policy.c) as the network's POLICY
 * record, or print the policy the daemon holds. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli/adminops.h"
#include "cli/adminrun.h"
#include "cli/cli.h"
#include "core/error.h"
#include "core/policy.h"
#include "core/store.h"

struct policy_args {
	struct weft_admin_args adm;
	const char *file;
	weft_record_t r; /* the policy read from file, not yet signed */
};

static const char *action_name(uint8_t a)
{
	return a == WEFT_POLICY_DENY ? "deny" : "allow";
}

/* The file's text, NUL-terminated; -1 after printing why not. */
static int read_text(struct weft_cli *cli, const char *path, char **text, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : cli->in;
	size_t cap = WEFT_POLICY_TEXT_MAX + 2;
	char *buf;

	if (!f) {
		weft_cli_fail(cli, "cannot read policy file %s: %s", path, strerror(errno));
		return -1;
	}
	buf = malloc(cap);
	if (!buf) {
		if (f != cli->in)
			fclose(f);
		weft_cli_fail(cli, "out of memory");
		return -1;
	}
	*len = fread(buf, 1, cap - 1, f);
	if (ferror(f)) {
		weft_cli_fail(cli, "cannot read policy file %s", path);
		goto bad;
	}
	if (*len > WEFT_POLICY_TEXT_MAX) {
		weft_cli_fail(cli, "policy file %s is longer than %u bytes", path, WEFT_POLICY_TEXT_MAX);
		goto bad;
	}
	if (f != cli->in)
		fclose(f);
	buf[*len] = '\0';
	*text = buf;
	return 0;
bad:
	if (f != cli->in)
		fclose(f);
	free(buf);
	return -1;
}

/* The file, read and parsed before the key is: 0, or the exit code. */
static int policy_read(struct weft_cli *cli, void *args)
{
	struct policy_args *a = args;
	char err[WEFT_POLICY_ERR_MAX], *text = NULL;
	size_t len = 0;
	int ret = 0;

	memset(&a->r, 0, sizeof(a->r));
	a->r.type = WEFT_REC_POLICY;
	if (read_text(cli, a->file, &text, &len))
		return WEFT_CLI_FAIL;
	if (weft_policy_parse(text, len, &a->r.u.policy, err, sizeof(err)))
		ret = weft_cli_fail(cli, "%s: %s; nothing was changed (docs/POLICY.md describes the file)", a->file,
				    err);
	free(text);
	return ret;
}

static int policy_set(struct weft_cli *cli, void *args, const weft_keypair_t *admin, const weft_record_t *settings)
{
	struct policy_args *a = args;
	const char *network = a->adm.network;
	weft_record_t held, r = a->r;
	bool found = false;
	int ret, got, e;

	got = weft_adminops_held(cli, network, WEFT_REC_POLICY, NULL, &held, &found);
	if (got < 0)
		return WEFT_CLI_FAIL;
	r.u.policy.version = weft_hlc_next(found ? held.u.policy.version : 0, cli->now_ms);
	e = weft_record_sign(&r, admin);
	if (e == WEFT_EOVERSIZE)
		return weft_cli_fail(cli,
				     "%s: the policy does not fit in one record (%d bytes at most): use fewer rules "
				     "or shorter tags",
				     a->file, WEFT_RECORD_MAX);
	if (e && weft_adminops_sign(cli, &r, admin))
		return WEFT_CLI_FAIL;
	ret = weft_admin_emit(cli, &a->adm, admin, &r, 0, 1);
	if (ret == WEFT_CLI_OK && !cli->json)
		fprintf(cli->out, "policy of %s: default %s, %u rule%s%s\n", network,
			action_name(r.u.policy.default_action), r.u.policy.nrules, r.u.policy.nrules == 1 ? "" : "s",
			a->adm.out ? " (in the file)" : "");
	return ret;
}

static int policy_show(struct weft_cli *cli, const char *network)
{
	weft_record_t held;
	const struct weft_rec_policy *p = &held.u.policy;
	struct json_object *o, *a, *rule;
	bool found = false;
	unsigned i;
	int got, ret;

	got = weft_adminops_held(cli, network, WEFT_REC_POLICY, NULL, &held, &found);
	if (got == 1)
		return weft_cli_fail(cli,
				     "cannot ask the daemon for %s's policy: it is not running ('systemctl "
				     "start weft') or this host is not in %s",
				     network, network);
	if (got)
		return WEFT_CLI_FAIL;
	if (!found)
		memset(&held, 0, sizeof(held));
	if (cli->json) {
		o = json_object_new_object();
		a = json_object_new_array();
		json_object_object_add(o, "network", json_object_new_string(network));
		json_object_object_add(o, "version", found ? json_object_new_uint64(p->version) : NULL);
		json_object_object_add(o, "default", json_object_new_string(action_name(p->default_action)));
		json_object_object_add(o, "rules", a);
		for (i = 0; i < p->nrules; i++) {
			rule = json_object_new_object();
			json_object_object_add(rule, "action",
					       json_object_new_string(action_name(p->rules[i].action)));
			json_object_object_add(rule, "from", json_object_new_string(p->rules[i].from));
			json_object_object_add(rule, "to", json_object_new_string(p->rules[i].to));
			json_object_array_add(a, rule);
		}
		ret = weft_cli_print_json(cli, o);
		json_object_put(o);
		return ret;
	}
	if (!found) {
		fprintf(cli->out, "%s has no policy: every pair of members may connect (default allow)\n", network);
		return WEFT_CLI_OK;
	}
	fprintf(cli->out, "%-4s %-6s %-32s %s\n", "RULE", "ACTION", "FROM", "TO");
	for (i = 0; i < p->nrules; i++)
		fprintf(cli->out, "%-4u %-6s %-32s %s\n", i + 1, action_name(p->rules[i].action), p->rules[i].from,
			p->rules[i].to);
	fprintf(cli->out, "%-4s %-6s %-32s %s\n", "-", action_name(p->default_action), "(default: any pair",
		"no "
		"rule matches)");
	return WEFT_CLI_OK;
}

static int policy_run(struct weft_cli *cli, void *args, const weft_keypair_t *admin, const weft_record_t *settings)
{
	struct policy_args *a = args;

	return admin ? policy_set(cli, args, admin, settings) : policy_show(cli, a->adm.network);
}

static int check(struct weft_cli *cli, void *args)
{
	struct policy_args *a = args;
	const struct weft_cli_cmd *cmd = a->adm.cmd;

	if (a->adm.nwords < 1)
		return weft_cli_usage(cli, cmd, "missing what to do: set FILE, or show");
	if (!strcmp(a->adm.words[0], "show")) {
		if (a->adm.nwords > 1)
			return weft_cli_usage(cli, cmd, "unexpected argument '%s'", a->adm.words[1]);
		if (a->adm.admin_key || a->adm.out)
			return weft_cli_usage(cli, cmd, "'policy show' takes no --admin-key or --out");
		a->adm.keyless = true;
		return 0;
	}
	if (strcmp(a->adm.words[0], "set") != 0)
		return weft_cli_usage(cli, cmd, "unknown action '%s' (set FILE, or show)", a->adm.words[0]);
	if (a->adm.nwords < 2)
		return weft_cli_usage(cli, cmd, "missing FILE (the policy; docs/POLICY.md; - reads standard input)");
	if (a->adm.nwords > 2)
		return weft_cli_usage(cli, cmd, "unexpected argument '%s'", a->adm.words[2]);
	a->file = a->adm.words[1];
	return 0;
}

static int prepare(struct weft_cli *cli, void *args)
{
	struct policy_args *a = args;

	return a->adm.keyless ? 0 : policy_read(cli, args);
}

static int run(struct weft_cli *cli, const struct weft_cli_cmd *cmd, int argc, char **argv)
{
	static const struct weft_admin_spec spec = { .check = check, .prepare = prepare, .body = policy_run };
	struct policy_args a = { 0 };

	return weft_admin_run(cli, cmd, &spec, &a, argc, argv);
}

const struct weft_cli_cmd weft_cli_cmd_policy = {
	.name = "policy",
	.path = "policy",
	.fn = run,
	.summary = "set or show which members may connect, by tag",
	.usage = "policy NETWORK set FILE --admin-key FILE [--out FILE]\n"
		 "       weft policy NETWORK show",
	.help = "'set' reads a policy file, signs it with the admin key and hands it to the\n"
		"local daemon (or, with --out, writes it for 'weft push FILE' on any member).\n"
		"It replaces the previous policy whole. A file with an error is refused with\n"
		"its line number and nothing changes. 'show' prints the policy the daemon\n"
		"holds (--json: network, version, default, rules[{action, from, to}]).\n"
		"\n"
		"The file (docs/POLICY.md):\n"
		"  # comments and blank lines are ignored\n"
		"  default deny              # when no rule matches (default: allow)\n"
		"  allow admin -> *          # * is any member, tagged or not\n"
		"  allow web -> db\n"
		"  deny guest -> *\n"
		"\n"
		"A rule matches a pair of members when one has the FROM tag and the other the\n"
		"TO tag, in either order (a WireGuard peering carries traffic both ways); the\n"
		"first rule that matches decides. A denied pair is not configured as WireGuard\n"
		"peers on either side. Tags come from invites (--tags) and 'weft node ... set\n"
		"--tags'. At most 24 rules.\n",
};
