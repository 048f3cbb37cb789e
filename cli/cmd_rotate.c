/* weft rotate NETWORK: refresh keys. --wg-keys orders every node to make a
 * new WireGuard key; --network-key starts a new network key epoch sealed to
 * each member; --admin-key-to rolls the admin key over to a new one that
 * the old one names (core/store.c's roll-over rules). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli/adminops.h"
#include "cli/adminrun.h"
#include "cli/cli.h"
#include "daemon/ctl.h"
#include "core/error.h"
#include "core/persist.h"
#include "core/store.h"

struct rotate_args {
	struct weft_admin_args adm;
	const char *admin_key_to, *members, *grace;
	bool wg_keys, network_key;
};

static int print_done(struct weft_cli *cli, const char *what, struct json_object *o, const char *text)
{
	int ret;

	if (!cli->json) {
		fprintf(cli->out, "%s\n", text);
		json_object_put(o);
		return WEFT_CLI_OK;
	}
	json_object_object_add(o, "rotate", json_object_new_string(what));
	ret = weft_cli_print_json(cli, o);
	json_object_put(o);
	return ret;
}

static int rotate_wg(struct weft_cli *cli, const struct rotate_args *a, const weft_keypair_t *admin)
{
	weft_record_t held, r;
	struct json_object *o;
	char text[160], when[40];
	bool found = false;
	int ret;

	memset(&r, 0, sizeof(r));
	if (weft_adminops_held(cli, a->adm.network, WEFT_REC_ROTATE, NULL, &held, &found) < 0)
		return WEFT_CLI_FAIL;
	r.type = WEFT_REC_ROTATE;
	r.u.rotate.version = weft_hlc_next(found ? held.u.rotate.version : 0, cli->now_ms);
	r.u.rotate.older_than = cli->now_ms / 1000;
	ret = weft_admin_emit(cli, &a->adm, admin, &r, 1, 1);
	if (ret != WEFT_CLI_OK)
		return ret;
	o = json_object_new_object();
	json_object_object_add(o, "version", json_object_new_uint64(r.u.rotate.version));
	json_object_object_add(o, "older_than", json_object_new_uint64(r.u.rotate.older_than));
	snprintf(text, sizeof(text), "every node whose WireGuard key was made before %s makes a new one%s",
		 weft_cli_fmt_time(when, sizeof(when), r.u.rotate.older_than), a->adm.out ? " (once pushed)" : "");
	return print_done(cli, "wg-keys", o, text);
}

static int rotate_network_key(struct weft_cli *cli, const struct rotate_args *a, const weft_keypair_t *admin)
{
	struct weft_admin_member *m = NULL;
	weft_record_t *recs = NULL;
	weft_pk_t *to = NULL;
	struct json_object *o;
	size_t nm = 0, nto = 0, i;
	uint64_t epoch, grace = WEFT_ADMINOPS_GRACE_S;
	char text[200];
	bool asked;
	int ret = WEFT_CLI_FAIL, got;

	if (a->grace && weft_cli_parse_duration(cli, "--grace", a->grace, &grace))
		return WEFT_CLI_FAIL;
	if (a->grace && (grace == 0 || grace > UINT32_MAX))
		return weft_cli_fail(cli, "bad --grace '%s': give a duration like 10m or 1h", a->grace);
	got = weft_adminops_members(cli, a->adm.network, a->members, &m, &nm);
	if (got == 1)
		return weft_cli_fail(cli,
				     "a new network key is sealed to each member, so weft needs the member list: "
				     "run this where the daemon runs, or give --members FILE (the output of 'weft "
				     "peers %s --json' on any member)",
				     a->adm.network);
	if (got)
		return WEFT_CLI_FAIL;
	to = calloc(nm ? nm : 1, sizeof(*to));
	if (!to) {
		ret = weft_cli_fail(cli, "out of memory");
		goto out;
	}
	for (i = 0; i < nm; i++)
		if (weft_adminops_member_active(&m[i]))
			to[nto++] = m[i].id;
	if (nto == 0) {
		ret = weft_cli_fail(cli, "the member list holds no member to give the new key to");
		goto out;
	}
	if (nto + 1 > WEFT_CTL_MAX_RECORDS) {
		ret = weft_cli_fail(cli,
				    "%zu members need a share of the new key; weft hands on at most %d records "
				    "at a time",
				    nto, WEFT_CTL_MAX_RECORDS - 1);
		goto out;
	}
	if (weft_adminops_next_epoch(cli, a->adm.network, &epoch, &asked))
		goto out;
	recs = calloc(nto + 1, sizeof(*recs));
	if (!recs) {
		ret = weft_cli_fail(cli, "out of memory");
		goto out;
	}
	if (weft_adminops_netkey(cli, admin, epoch, (uint32_t)grace, to, nto, recs))
		goto out;
	ret = weft_admin_emit(cli, &a->adm, admin, recs, 0, nto + 1);
	if (ret != WEFT_CLI_OK)
		goto out;
	o = json_object_new_object();
	json_object_object_add(o, "epoch", json_object_new_uint64(epoch));
	json_object_object_add(o, "shares", json_object_new_uint64(nto));
	json_object_object_add(o, "grace_s", json_object_new_uint64(grace));
	snprintf(text, sizeof(text),
		 "new network key: epoch %llu, sealed to %zu member%s; the old key is accepted "
		 "for %llus",
		 (unsigned long long)epoch, nto, nto == 1 ? "" : "s", (unsigned long long)grace);
	ret = print_done(cli, "network-key", o, text);
out:
	free(recs);
	free(to);
	free(m);
	return ret;
}

/* The new key and its settings are written before anything is handed on
 * (a roll-over to a key that was then lost would lock the admin out for
 * good), and removed again when handing on fails, so that the same
 * command can be run again. */
static int rotate_admin(struct weft_cli *cli, const struct rotate_args *a, const weft_keypair_t *admin,
			const weft_record_t *settings)
{
	char netfile[PATH_MAX + 8], fpr[WEFT_FPR_LEN + 1], text[PATH_MAX * 6 + 600];
	weft_record_t recs[2], chain[WEFT_TOKEN_MAX_ROLLS];
	char rollfile[PATH_MAX + 8];
	uint8_t nchain = 0;
	weft_pk_t netid;
	weft_keypair_t next;
	struct json_object *o;
	struct stat st;
	bool written = false;
	int ret = WEFT_CLI_FAIL, err;

	memset(&next, 0, sizeof(next));
	memset(recs, 0, sizeof(recs));
	if (weft_cli_settings_path(cli, a->admin_key_to, netfile, sizeof(netfile)))
		return WEFT_CLI_FAIL;
	if (lstat(a->admin_key_to, &st) == 0)
		return weft_cli_fail(cli,
				     "%s already exists; weft never overwrites an admin key: choose another file",
				     a->admin_key_to);
	if (lstat(netfile, &st) == 0)
		return weft_cli_fail(cli, "%s already exists; choose another file for the new admin key", netfile);
	snprintf(rollfile, sizeof(rollfile), "%s.roll", a->admin_key_to);
	weft_keypair_generate(&next);

	/* The old key names its successor. Its right ends at the roll's
	 * version, which is above everything it signed so far. */
	recs[0].type = WEFT_REC_ADMIN_ROLL;
	recs[0].u.admin_roll.old_pk = admin->pk;
	recs[0].u.admin_roll.new_pk = next.pk;
	recs[0].u.admin_roll.version = weft_hlc_next(settings->u.network.version, cli->now_ms);
	if (weft_adminops_sign(cli, &recs[0], admin))
		goto out;
	/* The settings again, signed by the new key above the roll-over, so
	 * the new key's FILE.net verifies with it. */
	recs[1].type = WEFT_REC_NETWORK;
	recs[1].u.network = settings->u.network;
	recs[1].u.network.version = recs[0].u.admin_roll.version + 1;
	if (weft_adminops_sign(cli, &recs[1], &next))
		goto out;

	err = weft_keyfile_write_ed25519(a->admin_key_to, &next, 0);
	if (err) {
		ret = weft_cli_fail(cli, "cannot write the new admin key %s: %s", a->admin_key_to,
				    weft_strerror(err));
		goto out;
	}
	written = true;
	err = weft_persist_write(netfile, WEFT_PERSIST_NETWORK, recs[1].raw, recs[1].raw_len, 0644);
	if (err) {
		ret = weft_cli_fail(cli, "cannot write %s: %s", netfile, weft_strerror(err));
		goto out;
	}
	/* NEWFILE.roll: the chain from the network id to the new key, which
	 * every invite the new key signs carries (core/token.h). */
	if (weft_cli_admin_chain(cli, a->adm.admin_key, admin, &netid, chain, &nchain))
		goto out_net;
	if (nchain >= WEFT_TOKEN_MAX_ROLLS) {
		weft_cli_fail(cli,
			      "the admin key was already rolled over %u times; weft keeps a chain of at most %d",
			      nchain, WEFT_TOKEN_MAX_ROLLS);
		goto out_net;
	}
	chain[nchain++] = recs[0];
	if (weft_cli_admin_write_chain(cli, a->admin_key_to, chain, nchain))
		goto out_net;
	ret = weft_admin_emit(cli, &a->adm, admin, recs, 0, 2);
	if (ret != WEFT_CLI_OK) {
		unlink(rollfile);
out_net:
		unlink(netfile);
		goto out;
	}
	written = false;
	weft_fingerprint(fpr, &next.pk);
	o = json_object_new_object();
	json_object_object_add(o, "admin_key", json_object_new_string(a->admin_key_to));
	json_object_object_add(o, "settings_file", json_object_new_string(netfile));
	json_object_object_add(o, "fingerprint", json_object_new_string(fpr));
	json_object_object_add(o, "roll_version", json_object_new_uint64(recs[0].u.admin_roll.version));
	snprintf(text, sizeof(text),
		 "new admin key %s (%s) with its settings %s and roll-over chain %s (keep all three together); "
		 "once the roll-over has spread, the old key %s signs nothing new: keep the new one safe and "
		 "retire the old one. If the old key may have leaked, follow with 'weft rotate %s --admin-key %s "
		 "--network-key' so that what it could still sign at the roll-over's second loses to the new key",
		 a->admin_key_to, fpr, netfile, rollfile, a->adm.admin_key, a->adm.network, a->admin_key_to);
	ret = print_done(cli, "admin-key", o, text);
out:
	if (written)
		unlink(a->admin_key_to);
	weft_keys_wipe(&next, sizeof(next));
	return ret;
}

static int check(struct weft_cli *cli, void *args)
{
	struct rotate_args *a = args;
	const struct weft_cli_cmd *cmd = a->adm.cmd;

	if (a->adm.nwords > 0)
		return weft_cli_usage(cli, cmd, "unexpected argument '%s'", a->adm.words[0]);
	if ((int)a->wg_keys + (int)a->network_key + (a->admin_key_to != NULL) != 1)
		return weft_cli_usage(cli, cmd,
				      "give exactly one of --wg-keys, --network-key, --admin-key-to NEWFILE");
	return 0;
}

static int prepare(struct weft_cli *cli, void *args)
{
	struct rotate_args *a = args;
	const struct weft_cli_cmd *cmd = a->adm.cmd;

	if (a->admin_key_to && !*a->admin_key_to)
		return weft_cli_usage(cli, cmd, "--admin-key-to needs a file name");
	if ((a->members || a->grace) && !a->network_key)
		return weft_cli_usage(cli, cmd, "--members and --grace go with --network-key");
	return 0;
}

static int rotate(struct weft_cli *cli, void *args, const weft_keypair_t *admin, const weft_record_t *settings)
{
	const struct rotate_args *a = args;

	if (a->wg_keys)
		return rotate_wg(cli, a, admin);
	if (a->network_key)
		return rotate_network_key(cli, a, admin);
	return rotate_admin(cli, a, admin, settings);
}

static int run(struct weft_cli *cli, const struct weft_cli_cmd *cmd, int argc, char **argv)
{
	static const struct weft_admin_opt opts[] = {
		WEFT_ADMIN_FLAG("wg-keys", struct rotate_args, wg_keys),
		WEFT_ADMIN_FLAG("network-key", struct rotate_args, network_key),
		WEFT_ADMIN_STR("admin-key-to", struct rotate_args, admin_key_to),
		WEFT_ADMIN_STR("members", struct rotate_args, members),
		WEFT_ADMIN_STR("grace", struct rotate_args, grace),
		WEFT_ADMIN_END,
	};
	static const struct weft_admin_spec spec = {
		.opts = opts, .check = check, .prepare = prepare, .body = rotate
	};
	struct rotate_args a = { 0 };

	return weft_admin_run(cli, cmd, &spec, &a, argc, argv);
}

const struct weft_cli_cmd weft_cli_cmd_rotate = {
	.name = "rotate",
	.path = "rotate",
	.fn = run,
	.summary = "refresh WireGuard keys, the network key or the admin key",
	.usage = "rotate NETWORK --admin-key FILE --wg-keys | --network-key [--members FILE]\n"
		 "                   [--grace DURATION] | --admin-key-to NEWFILE  [--out FILE]",
	.help = "Signs a key rotation with the admin key and hands it to the local daemon (or,\n"
		"with --out, writes it for 'weft push FILE' on any member).\n"
		"\n"
		"  --wg-keys             every node whose WireGuard key is older than now makes a\n"
		"                        new one and publishes it; peers switch over as it spreads\n"
		"                        (a gateway of external clients keeps its key, and says\n"
		"                        so in its log, while it serves any: see below)\n"
		"  --network-key         a new network key (underlay gossip), sealed to each\n"
		"                        member that is not revoked or gone; the old key is\n"
		"                        accepted for the --grace period (default 10m)\n"
		"  --members FILE        the member list, as 'weft peers NETWORK --json' printed\n"
		"                        it on any member (when the admin's daemon is not running)\n"
		"  --admin-key-to NEWFILE  a new admin key in NEWFILE (0600, never overwritten)\n"
		"                        with its settings in NEWFILE.net and the chain of\n"
		"                        roll-overs in NEWFILE.roll (invites carry it); the old key signs the\n"
		"                        roll-over, and from then on signs nothing new\n"
		"  --out FILE            write the signed records to FILE instead of the daemon\n"
		"\n"
		"The network id stays the first admin key's. After --admin-key-to, use NEWFILE\n"
		"with every admin command; if the old key may have leaked, rotate the network\n"
		"key with NEWFILE next.\n"
		"\n"
		"External clients hold their gateway's WireGuard public key in their wg-quick\n"
		"config, so a new key would cut them off without a word. A node that is the\n"
		"gateway (--via) of live external clients therefore keeps its key, for --wg-keys\n"
		"and for the network's scheduled rotation alike, and its daemon logs a warning.\n"
		"To rotate it, remove its clients ('weft ext-client NETWORK rm NAME', or add them\n"
		"again --via another member): the node rotates once none is left, and 'weft\n"
		"ext-client NETWORK add NAME --via NODE' then issues configs with its new key.\n",
};
