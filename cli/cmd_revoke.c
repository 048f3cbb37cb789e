/* weft revoke NETWORK NODE: the admin's permanent tombstone for a node,
 * and optionally, in the same step, a new network key sealed to every
 * remaining member, which locks the revoked node out of the underlay
 * gossip as well (DESIGN §2). */
#include <getopt.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli/adminops.h"
#include "cli/adminrun.h"
#include "cli/cli.h"
#include "daemon/ctl.h"
#include "core/error.h"

struct revoke_args {
	struct weft_admin_args adm;
	const char *node, *reason, *members, *grace;
	bool rotate;
	uint64_t grace_s; /* --grace, parsed */
};

static int revoke(struct weft_cli *cli, void *args, const weft_keypair_t *admin, const weft_record_t *settings)
{
	const struct revoke_args *a = args;
	struct weft_admin_member *m = NULL;
	const struct weft_admin_member *target;
	weft_record_t *recs = NULL;
	weft_pk_t id, *to = NULL;
	size_t nm = 0, nto = 0, nrecs = 1, i;
	uint64_t epoch = 0, grace = a->grace_s;
	char label[96], hex[65];
	bool have_list, asked = false;
	int ret = WEFT_CLI_FAIL, got;

	/* The member list: from --members, else the daemon's (if it runs). */
	got = weft_adminops_members(cli, a->adm.network, a->members, &m, &nm);
	if (got < 0)
		goto out;
	have_list = got == 0;
	if (weft_adminops_node(cli, a->adm.network, a->node, m, nm, have_list, &id))
		goto out;
	target = weft_adminops_member_find(m, nm, &id);
	weft_adminops_node_label(label, sizeof(label), &id, target ? target->name : NULL);
	if (have_list && !target) {
		weft_pk_to_hex(hex, &id);
		ret = weft_cli_fail(cli, "no node %s in %s%s%s; nothing was revoked", hex, a->adm.network,
				    a->members ? "'s member list " : "", a->members ? a->members : "");
		goto out;
	}
	/* Revoking twice changes nothing (a revocation is permanent). */
	if (target && !strcmp(target->state, "revoked") && !a->rotate) {
		weft_pk_to_hex(hex, &id);
		if (cli->json)
			fprintf(cli->out, "{ \"node_id\": \"%s\", \"revoked\": true, \"already\": true }\n", hex);
		else
			fprintf(cli->out, "node %s is already revoked; nothing to do\n", label);
		ret = WEFT_CLI_OK;
		goto out;
	}
	if (!have_list && !cli->json)
		fprintf(cli->err,
			"weft: note: the daemon cannot be reached (or is not in this network) and no "
			"--members was given: weft cannot check that %s is a member\n",
			label);
	if (a->rotate && !have_list) {
		ret = weft_cli_fail(cli,
				    "a new network key is sealed to each remaining member, so weft needs the "
				    "member list: run this where the daemon runs, or give --members FILE (the "
				    "output of 'weft peers %s --json' on any member)",
				    a->adm.network);
		goto out;
	}
	if (a->rotate) {
		to = calloc(nm ? nm : 1, sizeof(*to));
		if (!to) {
			ret = weft_cli_fail(cli, "out of memory");
			goto out;
		}
		for (i = 0; i < nm; i++)
			if (weft_adminops_member_active(&m[i]) && memcmp(m[i].id.b, id.b, WEFT_PK_LEN))
				to[nto++] = m[i].id;
		if (weft_adminops_next_epoch(cli, a->adm.network, &epoch, &asked))
			goto out;
		nrecs += 1 + nto;
		if (nrecs > WEFT_CTL_MAX_RECORDS) {
			ret = weft_cli_fail(cli,
					    "%zu members need a share of the new key; weft hands on at most %d "
					    "records at a time",
					    nto, WEFT_CTL_MAX_RECORDS - 2);
			goto out;
		}
	}
	recs = calloc(nrecs, sizeof(*recs));
	if (!recs) {
		ret = weft_cli_fail(cli, "out of memory");
		goto out;
	}
	recs[0].type = WEFT_REC_REVOCATION;
	recs[0].u.revocation.node_id = id;
	recs[0].u.revocation.time = cli->now_ms / 1000;
	if (a->reason)
		snprintf(recs[0].u.revocation.reason, sizeof(recs[0].u.revocation.reason), "%s", a->reason);
	if (a->rotate && weft_adminops_netkey(cli, admin, epoch, (uint32_t)grace, to, nto, recs + 1))
		goto out;
	ret = weft_admin_emit(cli, &a->adm, admin, recs, 1, nrecs);
	if (ret != WEFT_CLI_OK)
		goto out;
	if (cli->json) {
		struct json_object *o = json_object_new_object();

		weft_pk_to_hex(hex, &id);
		json_object_object_add(o, "node_id", json_object_new_string(hex));
		json_object_object_add(o, "revoked", json_object_new_boolean(1));
		json_object_object_add(o, "epoch", a->rotate ? json_object_new_uint64(epoch) : NULL);
		json_object_object_add(o, "shares", json_object_new_uint64(nto));
		json_object_object_add(o, "out", a->adm.out ? json_object_new_string(a->adm.out) : NULL);
		ret = weft_cli_print_json(cli, o);
		json_object_put(o);
	} else {
		fprintf(cli->out, "revoked node %s%s\n", label, a->adm.out ? " (in the file)" : "");
		if (a->rotate)
			fprintf(cli->out,
				"new network key: epoch %llu, sealed to %zu remaining member%s; the old key "
				"is accepted for %llus\n",
				(unsigned long long)epoch, nto, nto == 1 ? "" : "s", (unsigned long long)grace);
	}
out:
	free(recs);
	free(to);
	free(m);
	return ret;
}

static int check(struct weft_cli *cli, void *args)
{
	struct revoke_args *a = args;

	if (a->adm.nwords < 1)
		return weft_cli_usage(cli, a->adm.cmd, "missing NODE (a name, an id prefix or a full id)");
	if (a->adm.nwords > 1)
		return weft_cli_usage(cli, a->adm.cmd, "unexpected argument '%s'", a->adm.words[1]);
	a->node = a->adm.words[0];
	if (a->grace && !a->rotate)
		return weft_cli_usage(cli, a->adm.cmd, "--grace goes with --rotate-network-key");
	if (a->reason && strlen(a->reason) > WEFT_NAME_MAX)
		return weft_cli_fail(cli, "bad --reason: at most %d characters", WEFT_NAME_MAX);
	return 0;
}

static int prepare(struct weft_cli *cli, void *args)
{
	struct revoke_args *a = args;

	a->grace_s = WEFT_ADMINOPS_GRACE_S;
	if (a->grace && weft_cli_parse_duration(cli, "--grace", a->grace, &a->grace_s))
		return WEFT_CLI_FAIL;
	if (a->grace && (a->grace_s == 0 || a->grace_s > UINT32_MAX))
		return weft_cli_fail(cli, "bad --grace '%s': give a duration like 10m or 1h", a->grace);
	return 0;
}

static int run(struct weft_cli *cli, const struct weft_cli_cmd *cmd, int argc, char **argv)
{
	static const struct weft_admin_opt opts[] = {
		WEFT_ADMIN_STR("reason", struct revoke_args, reason),
		WEFT_ADMIN_FLAG("rotate-network-key", struct revoke_args, rotate),
		WEFT_ADMIN_STR("members", struct revoke_args, members),
		WEFT_ADMIN_STR("grace", struct revoke_args, grace),
		WEFT_ADMIN_END,
	};
	static const struct weft_admin_spec spec = {
		.opts = opts, .check = check, .prepare = prepare, .body = revoke
	};
	struct revoke_args a = { 0 };

	return weft_admin_run(cli, cmd, &spec, &a, argc, argv);
}

const struct weft_cli_cmd weft_cli_cmd_revoke = {
	.name = "revoke",
	.path = "revoke",
	.fn = run,
	.summary = "remove a node for good (optionally with a new network key)",
	.usage = "revoke NETWORK NODE --admin-key FILE [--reason TEXT] [--rotate-network-key]\n"
		 "                   [--members FILE] [--grace DURATION] [--out FILE]",
	.help = "Signs a revocation of NODE with the admin key and hands it to the local daemon\n"
		"(or, with --out, writes it for 'weft push FILE' on any member). A revocation is\n"
		"permanent: every member drops the node from WireGuard, refuses its records and\n"
		"refuses it on join, even with a fresh invite.\n"
		"\n"
		"  NODE                  a node name, a unique prefix of its id (4+ hex digits),\n"
		"                        or its full id (64 hex digits)\n"
		"  --admin-key FILE      the network's admin key (FILE.net beside it)\n"
		"  --reason TEXT         a note kept with the revocation (up to 63 characters)\n"
		"  --rotate-network-key  also start a new network key, sealed to each remaining\n"
		"                        member, so the node loses the underlay gossip too\n"
		"  --members FILE        the member list, as 'weft peers NETWORK --json' printed\n"
		"                        it on any member (when the admin's daemon is not running)\n"
		"  --grace DURATION      how long the old network key is still accepted (10m)\n"
		"  --out FILE            write the signed records to FILE instead of the daemon\n"
		"\n"
		"Without a daemon and without --members, NODE must be the full id and weft\n"
		"cannot check it is a member. A new key's epoch is above the one the daemon\n"
		"holds and at least the current Unix time in seconds, so a rotation signed\n"
		"offline still supersedes the last one.\n",
};
