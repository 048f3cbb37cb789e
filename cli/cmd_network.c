/* weft network NETWORK set: new network settings (range, MTU, keepalive,
 * options, WireGuard key lifetime), signed with a version above the held
 * one and written back to the admin's FILE.net. A range change renumbers
 * every node; one too small for the members, or that would leave a pinned
 * address outside, is refused and nothing changes. */
#include <getopt.h>
#include <limits.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli/adminops.h"
#include "cli/adminrun.h"
#include "cli/cli.h"
#include "core/error.h"
#include "core/persist.h"
#include "core/store.h"

struct network_args {
	struct weft_admin_args adm;
	const char *cidr, *cidr6, *mtu, *keepalive, *local_only, *lifetime, *members;
	bool drop_pins;
};

/* Changes that need neither the key nor the daemon: 0, or nonzero after
 * printing the error (as the checks below). */
static int parse_changes(struct weft_cli *cli, const struct network_args *a, struct weft_rec_network *n)
{
	uint64_t v;

	if (a->cidr && weft_cli_parse_cidr(cli, "--cidr", a->cidr, 4, &n->cidr4))
		return -1;
	if (a->cidr6 && !strcmp(a->cidr6, "none"))
		memset(&n->cidr6, 0, sizeof(n->cidr6));
	else if (a->cidr6 && weft_cli_parse_cidr(cli, "--cidr6", a->cidr6, 6, &n->cidr6))
		return -1;
	if (a->keepalive) {
		if (weft_cli_parse_uint(cli, "--keepalive", a->keepalive, 0, 65535, &v))
			return -1;
		n->keepalive = (uint16_t)v;
	}
	if (a->local_only) {
		if (!strcmp(a->local_only, "on"))
			n->options |= WEFT_NETOPT_LOCAL_ONLY;
		else if (!strcmp(a->local_only, "off"))
			n->options &= ~WEFT_NETOPT_LOCAL_ONLY;
		else
			return weft_cli_fail(cli, "bad --local-only '%s': give on or off", a->local_only);
	}
	if (a->lifetime) {
		if (weft_cli_parse_duration(cli, "--wg-key-lifetime", a->lifetime, &v))
			return -1;
		if (v && v < 3600)
			return weft_cli_fail(cli, "bad --wg-key-lifetime '%s': at least 1h (or never)", a->lifetime);
		if (v > UINT32_MAX)
			return weft_cli_fail(cli, "bad --wg-key-lifetime '%s': at most 136 years", a->lifetime);
		n->wg_key_lifetime = (uint32_t)v;
	}
	/* After --cidr6: IPv6 needs 1280 on every link; below 576 IPv4 breaks. */
	if (a->mtu) {
		if (weft_cli_parse_uint(cli, "--mtu", a->mtu, n->cidr6.ip.family ? 1280 : 576, 8920, &v))
			return -1;
		n->mtu = (uint16_t)v;
	} else if (n->cidr6.ip.family && n->mtu < 1280) {
		return weft_cli_fail(cli,
				     "the MTU is %u, below the 1280 IPv6 needs: give --mtu 1280 or more with "
				     "--cidr6",
				     n->mtu);
	}
	return 0;
}

/* The longest prefix of range's family with at least need addresses. */
static unsigned prefix_for(const weft_cidr_t *range, uint64_t need)
{
	weft_cidr_t c = *range;
	unsigned max = range->ip.family == 4 ? 30 : 126;

	for (c.prefix = (uint8_t)max; c.prefix > 0; c.prefix--)
		if (weft_cidr_usable(&c) >= need)
			break;
	return c.prefix;
}

static int check_size(struct weft_cli *cli, const weft_cidr_t *range, const char *opt,
		      const struct weft_admin_member *m, size_t nm)
{
	char c[WEFT_CIDRSTRLEN];
	uint64_t need = 0;
	size_t i;

	/* Revoked and departed members keep their address reserved; only
	 * members beyond an invite's uses hold none. */
	for (i = 0; i < nm; i++)
		if (strcmp(m[i].state, "overused") != 0)
			need++;
	if (weft_cidr_usable(range) >= need)
		return 0;
	weft_cidr_format(range, c, sizeof(c));
	return weft_cli_fail(cli,
			     "%s %s is too small: it has %llu usable addresses and the network has %llu "
			     "members (revoked and departed ones keep theirs); use /%u or a shorter prefix. "
			     "Nothing was changed",
			     opt, c, (unsigned long long)weft_cidr_usable(range), (unsigned long long)need,
			     prefix_for(range, need));
}

static int check_pins(struct weft_cli *cli, const struct weft_rec_network *n, const struct weft_rec_network *old,
		      const struct weft_admin_pin *p, size_t np)
{
	char ip[WEFT_ADDRSTRLEN], c[WEFT_CIDRSTRLEN], hex[65];
	size_t i, bad = 0;
	unsigned f;

	for (i = 0; i < np; i++) {
		for (f = 0; f < 2; f++) {
			const weft_ip_t *a = f ? &p[i].addr6 : &p[i].addr4;
			const weft_cidr_t *r = f ? &n->cidr6 : &n->cidr4, *o = f ? &old->cidr6 : &old->cidr4;

			if (!a->family || (weft_ip_equal(&r->ip, &o->ip) && r->prefix == o->prefix))
				continue;
			if (r->ip.family && weft_cidr_contains(r, a) && !weft_cidr_reserved(r, a))
				continue;
			weft_pk_to_hex(hex, &p[i].id);
			weft_cidr_format(r, c, sizeof(c));
			fprintf(cli->err, "weft: error: node %.16s has the pinned address %s, which %s %s\n", hex,
				weft_ip_format(a, ip, sizeof(ip)), r->ip.family ? "is not usable in" : "needs",
				r->ip.family ? c : "an IPv6 range");
			bad++;
		}
	}
	if (!bad)
		return 0;
	return weft_cli_fail(cli,
			     "the new range would not hold %zu pinned address%s; nothing was changed. Give "
			     "--drop-pins to let those nodes take addresses derived in the new range",
			     bad, bad == 1 ? "" : "es");
}

static int set_network(struct weft_cli *cli, void *args, const weft_keypair_t *admin, const weft_record_t *held_file)
{
	const struct network_args *a = args;
	weft_record_t settings = *held_file;
	char netfile[PATH_MAX + 8], c4[WEFT_CIDRSTRLEN], c6[WEFT_CIDRSTRLEN];
	struct weft_admin_member *m = NULL;
	struct weft_admin_pin *pins = NULL;
	size_t nm = 0, npins = 0;
	weft_record_t held, r;
	bool found = false, range_change;
	int ret = WEFT_CLI_FAIL, got, err;

	memset(&r, 0, sizeof(r));
	if (weft_cli_settings_path(cli, a->adm.admin_key, netfile, sizeof(netfile)))
		goto out;
	/* The daemon may hold newer settings by this key (signed elsewhere
	 * with a copy of it): start from those. */
	got = weft_adminops_held(cli, a->adm.network, WEFT_REC_NETWORK, NULL, &held, &found);
	if (got < 0)
		goto out;
	if (found && held.u.network.version > settings.u.network.version &&
	    !memcmp(held.signer.b, admin->pk.b, WEFT_PK_LEN))
		settings = held;
	r.type = WEFT_REC_NETWORK;
	r.u.network = settings.u.network;
	if (parse_changes(cli, a, &r.u.network))
		goto out;

	range_change = memcmp(&r.u.network.cidr4, &settings.u.network.cidr4, sizeof(weft_cidr_t)) ||
		       memcmp(&r.u.network.cidr6, &settings.u.network.cidr6, sizeof(weft_cidr_t));
	if (range_change) {
		got = weft_adminops_members(cli, a->adm.network, a->members, &m, &nm);
		if (got < 0)
			goto out;
		if (got == 1 && !cli->json)
			fprintf(cli->err,
				"weft: note: the daemon cannot be reached (or is not in this network): the "
				"check that the new range holds every member was skipped (give --members FILE "
				"to make it offline)\n");
		if (got == 0 &&
		    (check_size(cli, &r.u.network.cidr4, "--cidr", m, nm) ||
		     (r.u.network.cidr6.ip.family && check_size(cli, &r.u.network.cidr6, "--cidr6", m, nm))))
			goto out;
		got = weft_adminops_pins(cli, a->adm.network, &pins, &npins);
		if (got < 0)
			goto out;
		if (got == 1 && !cli->json)
			fprintf(cli->err,
				"weft: note: the daemon cannot be reached (or is not in this network): the "
				"check of pinned addresses was skipped\n");
		if (got == 0 && !a->drop_pins && check_pins(cli, &r.u.network, &settings.u.network, pins, npins))
			goto out;
	}
	r.u.network.version = weft_hlc_next(settings.u.network.version, cli->now_ms);
	if (found && held.u.network.version >= r.u.network.version)
		r.u.network.version = held.u.network.version + 1;
	ret = weft_admin_emit(cli, &a->adm, admin, &r, 1, 1);
	if (ret != WEFT_CLI_OK)
		goto out;
	/* With --out nobody has accepted the settings yet, and a member may
	 * still refuse them (a range too small for members this host cannot
	 * see). FILE.net moves on, so the next offline command builds on
	 * them, but the old settings stay in FILE.net.prev to go back to. */
	if (a->adm.out) {
		char prev[PATH_MAX + 16];

		snprintf(prev, sizeof(prev), "%s.prev", netfile);
		err = weft_persist_write(prev, WEFT_PERSIST_NETWORK, settings.raw, settings.raw_len, 0644);
		if (err) {
			ret = weft_cli_fail(cli, "cannot keep the old settings in %s (%s); nothing was changed",
					    prev, weft_strerror(err));
			unlink(a->adm.out);
			goto out;
		}
		if (!cli->json)
			fprintf(cli->out,
				"the previous settings are kept in %s: if 'weft push' refuses the new ones, "
				"move it back over %s\n",
				prev, netfile);
	}
	err = weft_persist_write(netfile, WEFT_PERSIST_NETWORK, r.raw, r.raw_len, 0644);
	if (err) {
		ret = weft_cli_fail(cli,
				    "the new settings were handed on, but %s could not be rewritten (%s): the "
				    "next admin command would start from the old ones; fix it and run this again",
				    netfile, weft_strerror(err));
		goto out;
	}
	weft_cidr_format(&r.u.network.cidr4, c4, sizeof(c4));
	weft_cidr_format(&r.u.network.cidr6, c6, sizeof(c6));
	if (cli->json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "network", json_object_new_string(r.u.network.name));
		json_object_object_add(o, "version", json_object_new_uint64(r.u.network.version));
		json_object_object_add(o, "cidr", json_object_new_string(c4));
		json_object_object_add(o, "cidr6", r.u.network.cidr6.ip.family ? json_object_new_string(c6) : NULL);
		json_object_object_add(o, "mtu", json_object_new_int(r.u.network.mtu));
		json_object_object_add(o, "keepalive", json_object_new_int(r.u.network.keepalive));
		json_object_object_add(o, "local_only",
				       json_object_new_boolean(!!(r.u.network.options & WEFT_NETOPT_LOCAL_ONLY)));
		json_object_object_add(o, "wg_key_lifetime", json_object_new_uint64(r.u.network.wg_key_lifetime));
		json_object_object_add(o, "settings_file", json_object_new_string(netfile));
		ret = weft_cli_print_json(cli, o);
		json_object_put(o);
	} else {
		fprintf(cli->out,
			"settings of %s (version %llu): cidr %s%s%s, mtu %u, keepalive %u, local-only %s, "
			"wg-key-lifetime %llus; %s rewritten%s\n",
			r.u.network.name, (unsigned long long)r.u.network.version, c4,
			r.u.network.cidr6.ip.family ? ", cidr6 " : "", c6, r.u.network.mtu, r.u.network.keepalive,
			(r.u.network.options & WEFT_NETOPT_LOCAL_ONLY) ? "on" : "off",
			(unsigned long long)r.u.network.wg_key_lifetime, netfile,
			range_change ? "; every node renumbers itself" : "");
	}
out:
	free(m);
	free(pins);
	return ret;
}

static int check(struct weft_cli *cli, void *args)
{
	struct network_args *a = args;
	const struct weft_cli_cmd *cmd = a->adm.cmd;

	if (a->adm.nwords < 1)
		return weft_cli_usage(cli, cmd, "missing what to do: set");
	if (a->adm.nwords > 1)
		return weft_cli_usage(cli, cmd, "unexpected argument '%s'", a->adm.words[1]);
	if (strcmp(a->adm.words[0], "set") != 0)
		return weft_cli_usage(cli, cmd, "unknown action '%s' (only 'set')", a->adm.words[0]);
	if (!a->cidr && !a->cidr6 && !a->mtu && !a->keepalive && !a->local_only && !a->lifetime)
		return weft_cli_usage(cli, cmd,
				      "nothing to set; give at least one of --cidr, --cidr6, --mtu, "
				      "--keepalive, --local-only, --wg-key-lifetime");
	return 0;
}

static int run(struct weft_cli *cli, const struct weft_cli_cmd *cmd, int argc, char **argv)
{
	static const struct weft_admin_opt opts[] = {
		WEFT_ADMIN_STR("cidr", struct network_args, cidr),
		WEFT_ADMIN_STR("cidr6", struct network_args, cidr6),
		WEFT_ADMIN_STR("mtu", struct network_args, mtu),
		WEFT_ADMIN_STR("keepalive", struct network_args, keepalive),
		WEFT_ADMIN_STR("local-only", struct network_args, local_only),
		WEFT_ADMIN_STR("wg-key-lifetime", struct network_args, lifetime),
		WEFT_ADMIN_STR("members", struct network_args, members),
		WEFT_ADMIN_FLAG("drop-pins", struct network_args, drop_pins),
		WEFT_ADMIN_END,
	};
	static const struct weft_admin_spec spec = { .opts = opts, .check = check, .body = set_network };
	struct network_args a = { 0 };

	return weft_admin_run(cli, cmd, &spec, &a, argc, argv);
}

const struct weft_cli_cmd weft_cli_cmd_network = {
	.name = "network",
	.path = "network",
	.fn = run,
	.summary = "change the network settings: range, MTU, keepalive, options",
	.usage = "network NETWORK set --admin-key FILE [--cidr CIDR] [--cidr6 CIDR6|none] [--mtu N]\n"
		 "                 [--keepalive S] [--local-only on|off] [--wg-key-lifetime DURATION]\n"
		 "                 [--members FILE] [--drop-pins] [--out FILE]",
	.help = "Signs new network settings with the admin key (a version above the held one),\n"
		"hands them to the local daemon (or, with --out, writes them for 'weft push\n"
		"FILE' on any member) and rewrites FILE.net beside the key. What is not given\n"
		"keeps its value.\n"
		"\n"
		"  --cidr CIDR           the IPv4 range: every node renumbers itself and its\n"
		"                        peers live, no rejoin\n"
		"  --cidr6 CIDR6         the IPv6 range (none removes it)\n"
		"  --mtu N               tunnel MTU (576-8920; 1280 or more with IPv6)\n"
		"  --keepalive S         WireGuard persistent keepalive in seconds (0: only\n"
		"                        where NAT is likely)\n"
		"  --local-only on|off   offer LAN endpoint candidates only\n"
		"  --wg-key-lifetime D   each node makes a new WireGuard key this often (e.g.\n"
		"                        30d; at least 1h), or never\n"
		"  --members FILE        the member list, as 'weft peers NETWORK --json' printed\n"
		"                        it on any member (to check a new range offline)\n"
		"  --drop-pins           accept a range that leaves pinned addresses outside:\n"
		"                        those nodes take addresses derived in it\n"
		"  --out FILE            write the signed record to FILE instead of the daemon\n"
		"\n"
		"A range too small for the members (revoked and departed ones keep their\n"
		"address) or one that would leave a pinned address outside is refused and\n"
		"nothing changes. Without the daemon and --members the size check is skipped,\n"
		"and without the daemon the pinned-address check is; weft says so.\n",
};
