/* weft node NETWORK NODE set: the admin's override of one node (pinned
 * address, expiry, name, tags, approved routes, approval of a pending
 * join). An override replaces the previous one whole, so the held one is
 * the starting point and only what is given changes. */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli/adminops.h"
#include "cli/adminrun.h"
#include "cli/cli.h"
#include "core/error.h"
#include "mesh/routecheck.h"
#include "core/store.h"

#define MAX_ADDRESS_ARGS 2

struct node_args {
	struct weft_admin_args adm;
	const char *node, *expires, *name, *tags, *routes;
	const char *address[MAX_ADDRESS_ARGS];
	unsigned naddress;
	bool approve;
	struct weft_rec_override want; /* what the options say, parsed */
	uint32_t change;
};

/* --routes "" clears the approved routes; otherwise a comma list. */
static int parse_routes(struct weft_cli *cli, const char *s, struct weft_rec_override *o)
{
	const char *p = s, *comma;
	char one[WEFT_CIDRSTRLEN + 1];
	weft_cidr_t c;
	size_t n;
	unsigned i;

	o->nroutes = 0;
	if (!*s)
		return 0;
	for (;;) {
		comma = strchr(p, ',');
		n = comma ? (size_t)(comma - p) : strlen(p);
		if (n >= sizeof(one)) {
			weft_cli_fail(cli, "bad --routes: '%.*s' is not a CIDR", (int)n, p);
			return -1;
		}
		memcpy(one, p, n);
		one[n] = '\0';
		if (weft_cidr_parse(&c, one) != 0) {
			weft_cli_fail(cli,
				      "bad --routes: '%s' is not a network in CIDR form (host bits clear), "
				      "e.g. --routes 192.168.1.0/24,fd00:1::/64",
				      one);
			return -1;
		}
		for (i = 0; i < o->nroutes; i++)
			if (weft_ip_equal(&o->routes[i].ip, &c.ip) && o->routes[i].prefix == c.prefix)
				break;
		if (i == o->nroutes) {
			if (o->nroutes == WEFT_MAX_ROUTES) {
				weft_cli_fail(cli, "bad --routes: at most %d routes", WEFT_MAX_ROUTES);
				return -1;
			}
			o->routes[o->nroutes++] = c;
		}
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

/* Routes over the network's own ranges or a default route would break the
 * peer list of every member (routecheck.h): refused here, skipped by the
 * daemons if an older tool signed one. */
static int check_routes(struct weft_cli *cli, const struct weft_rec_override *o, const struct weft_rec_network *net)
{
	char c[WEFT_CIDRSTRLEN], r4[WEFT_CIDRSTRLEN], r6[WEFT_CIDRSTRLEN];
	const char *why;
	unsigned i;

	for (i = 0; i < o->nroutes; i++) {
		why = weft_routecheck_why(&o->routes[i], net);
		if (!why)
			continue;
		weft_cidr_format(&net->cidr4, r4, sizeof(r4));
		if (net->cidr6.ip.family)
			weft_cidr_format(&net->cidr6, r6, sizeof(r6));
		weft_cli_fail(cli,
			      "bad --routes: %s: %s (%s%s%s); an egress route must lie outside the "
			      "network's addresses, and 0.0.0.0/0 or ::/0 is not supported",
			      weft_cidr_format(&o->routes[i], c, sizeof(c)), why, r4,
			      net->cidr6.ip.family ? ", " : "", net->cidr6.ip.family ? r6 : "");
		return -1;
	}
	return 0;
}

/* Inputs that need no key, no settings and no daemon. */
static int parse_changes(struct weft_cli *cli, const struct node_args *a, struct weft_rec_override *o,
			 uint32_t *change)
{
	*change = 0;
	if (a->expires) {
		if (weft_adminops_parse_when(cli, "--expires", a->expires, &o->expires))
			return -1;
		*change |= WEFT_OVR_EXPIRES;
	}
	if (a->name) {
		if (weft_cli_parse_name(cli, "--name", a->name))
			return -1;
		snprintf(o->name, sizeof(o->name), "%s", a->name);
		*change |= WEFT_OVR_NAME;
	}
	if (a->tags) {
		o->ntags = 0;
		if (*a->tags && weft_cli_parse_tags(cli, a->tags, o->tags, &o->ntags))
			return -1;
		*change |= WEFT_OVR_TAGS;
	}
	if (a->routes) {
		if (parse_routes(cli, a->routes, o))
			return -1;
		*change |= WEFT_OVR_ROUTES;
	}
	if (a->approve) {
		o->approved = true;
		*change |= WEFT_OVR_APPROVED;
	}
	return 0;
}

/* --address: inside the network's range, not reserved, and (when the
 * daemon can tell) not another member's pinned address nor a live external
 * client's (a pin wins over a client, which would then be dropped). */
static int parse_address(struct weft_cli *cli, const char *s, const struct weft_rec_network *net,
			 const struct weft_admin_pin *pins, size_t npins, const weft_record_t *clients,
			 size_t nclients, const weft_pk_t *self, struct weft_rec_override *o, uint32_t *change)
{
	char cidr[WEFT_CIDRSTRLEN], hex[65];
	const weft_cidr_t *range;
	weft_ip_t ip;
	size_t i;

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
	if (*change & (ip.family == 4 ? WEFT_OVR_ADDRESS4 : WEFT_OVR_ADDRESS6))
		return weft_cli_fail(cli, "--address is given twice for IPv%u", ip.family);
	for (i = 0; i < npins; i++) {
		const weft_ip_t *p = ip.family == 4 ? &pins[i].addr4 : &pins[i].addr6;

		if (!memcmp(pins[i].id.b, self->b, WEFT_PK_LEN) || !weft_ip_equal(p, &ip))
			continue;
		weft_pk_to_hex(hex, &pins[i].id);
		return weft_cli_fail(cli,
				     "bad --address '%s': node %.16s has it pinned; pin another address, or "
				     "move that node first",
				     s, hex);
	}
	for (i = 0; i < nclients; i++) {
		const struct weft_rec_ext_client *e = &clients[i].u.ext_client;

		if (e->deleted || !weft_ip_equal(ip.family == 4 ? &e->address4 : &e->address6, &ip))
			continue;
		return weft_cli_fail(cli,
				     "bad --address '%s': external client '%s' has it; pin another address, "
				     "or remove the client first (weft ext-client %s rm %s)",
				     s, e->name, net->name, e->name);
	}
	if (ip.family == 4)
		o->address4 = ip;
	else
		o->address6 = ip;
	*change |= ip.family == 4 ? WEFT_OVR_ADDRESS4 : WEFT_OVR_ADDRESS6;
	return 0;
}

/* Is id a member, and is the name free? Only with the daemon. */
static int check_node(struct weft_cli *cli, const struct node_args *a, const weft_pk_t *id,
		      const struct weft_admin_member *m, size_t n, uint32_t change)
{
	char hex[65];
	bool found = false;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!memcmp(m[i].id.b, id->b, WEFT_PK_LEN)) {
			found = true;
			if (!strcmp(m[i].state, "revoked"))
				return weft_cli_fail(cli, "node %s was revoked; a revoked node cannot be changed",
						     a->node);
			continue;
		}
		if ((change & WEFT_OVR_NAME) && !strcmp(m[i].name, a->name) && strcmp(m[i].state, "revoked")) {
			weft_pk_to_hex(hex, &m[i].id);
			return weft_cli_fail(cli, "bad --name '%s': node %.16s already has that name", a->name, hex);
		}
	}
	if (!found) {
		weft_pk_to_hex(hex, id);
		return weft_cli_fail(cli, "no node %s in %s; 'weft peers %s' lists the members", hex, a->adm.network,
				     a->adm.network);
	}
	return 0;
}

/* " name=web expires=..." for what changed. */
static void describe(const struct weft_rec_override *o, uint32_t change, char *buf, size_t len)
{
	char ip[WEFT_ADDRSTRLEN], t[40];
	size_t off = 0;
	unsigned i;

#define ADD(...)                                                                    \
	do {                                                                        \
		if (off < len)                                                      \
			off += (size_t)snprintf(buf + off, len - off, __VA_ARGS__); \
	} while (0)
	buf[0] = '\0';
	if (change & WEFT_OVR_NAME)
		ADD(" name=%s", o->name);
	if (change & WEFT_OVR_ADDRESS4)
		ADD(" address=%s", weft_ip_format(&o->address4, ip, sizeof(ip)));
	if (change & WEFT_OVR_ADDRESS6)
		ADD(" address6=%s", weft_ip_format(&o->address6, ip, sizeof(ip)));
	if (change & WEFT_OVR_EXPIRES)
		ADD(" expires=%s", o->expires ? weft_cli_fmt_time(t, sizeof(t), o->expires) : "never");
	if (change & WEFT_OVR_TAGS) {
		ADD(" tags=");
		for (i = 0; i < o->ntags; i++)
			ADD("%s%s", i ? "," : "", o->tags[i]);
	}
	if (change & WEFT_OVR_ROUTES) {
		ADD(" routes=");
		for (i = 0; i < o->nroutes; i++)
			ADD("%s%s", i ? "," : "", weft_cidr_format(&o->routes[i], t, sizeof(t)));
	}
	if (change & WEFT_OVR_APPROVED)
		ADD(" approved");
#undef ADD
}

static int set_node(struct weft_cli *cli, void *args, const weft_keypair_t *admin, const weft_record_t *settings)
{
	const struct node_args *a = args;
	struct weft_rec_override want = a->want;
	uint32_t change = a->change;
	struct weft_admin_member *members = NULL;
	struct weft_admin_pin *pins = NULL;
	weft_record_t *clients = NULL;
	size_t nmembers = 0, npins = 0, nclients = 0;
	weft_record_t held, r;
	char desc[1024], label[96], hex[65];
	bool found = false, online;
	unsigned i;
	int ret = WEFT_CLI_FAIL, got;

	memset(&r, 0, sizeof(r));
	if ((change & WEFT_OVR_ROUTES) && check_routes(cli, &want, &settings->u.network))
		goto out;
	r.type = WEFT_REC_OVERRIDE;
	if (weft_cli_admin_node(cli, a->adm.network, a->node, &r.u.override.node_id))
		goto out;

	/* The held override is where this one starts; without the daemon
	 * (a full id given offline) only what is given here is set. */
	got = weft_adminops_held(cli, a->adm.network, WEFT_REC_OVERRIDE, &r.u.override.node_id, &held, &found);
	if (got < 0)
		goto out;
	online = got == 0;
	if (online) {
		got = weft_adminops_members(cli, a->adm.network, NULL, &members, &nmembers);
		if (got < 0 || (got == 0 && check_node(cli, a, &r.u.override.node_id, members, nmembers, change)))
			goto out;
		if (weft_adminops_pins(cli, a->adm.network, &pins, &npins) < 0)
			goto out;
		if (a->naddress &&
		    weft_cli_admin_fetch(cli, a->adm.network, WEFT_REC_EXT_CLIENT, &clients, &nclients) < 0)
			goto out;
	} else if (!cli->json) {
		fprintf(cli->err, "weft: note: the daemon cannot be reached (or is not in this network): the "
				  "override holds only what is given here and replaces any earlier override of this "
				  "node whole\n");
	}
	if (found)
		r.u.override = held.u.override;
	for (i = 0; i < a->naddress; i++)
		if (parse_address(cli, a->address[i], &settings->u.network, pins, npins, clients, nclients,
				  &r.u.override.node_id, &want, &change))
			goto out;
	/* An address another member holds without a pin is no conflict (a pin
	 * wins and that member moves), but the admin should know. */
	for (i = 0; i < nmembers && !cli->json; i++) {
		const struct weft_admin_member *o = &members[i];

		if (memcmp(o->id.b, r.u.override.node_id.b, WEFT_PK_LEN) &&
		    (((change & WEFT_OVR_ADDRESS4) && weft_ip_equal(&o->addr4, &want.address4)) ||
		     ((change & WEFT_OVR_ADDRESS6) && weft_ip_equal(&o->addr6, &want.address6))))
			fprintf(cli->err, "weft: note: %s holds that address now; it moves to another one\n",
				weft_adminops_node_label(label, sizeof(label), &o->id, o->name));
	}
	if (!change) {
		ret = weft_cli_fail(cli,
				    "nothing to set; give at least one of --address, --expires, --name, --tags, "
				    "--approve, --routes");
		goto out;
	}

	/* Only what was given changes. */
	if (change & WEFT_OVR_ADDRESS4)
		r.u.override.address4 = want.address4;
	if (change & WEFT_OVR_ADDRESS6)
		r.u.override.address6 = want.address6;
	if (change & WEFT_OVR_EXPIRES)
		r.u.override.expires = want.expires;
	if (change & WEFT_OVR_NAME)
		memcpy(r.u.override.name, want.name, sizeof(want.name));
	if (change & WEFT_OVR_TAGS) {
		r.u.override.ntags = want.ntags;
		memcpy(r.u.override.tags, want.tags, sizeof(want.tags));
	}
	if (change & WEFT_OVR_ROUTES) {
		r.u.override.nroutes = want.nroutes;
		memcpy(r.u.override.routes, want.routes, sizeof(want.routes));
	}
	if (change & WEFT_OVR_APPROVED)
		r.u.override.approved = want.approved;
	r.u.override.set |= change;
	r.u.override.version = weft_hlc_next(found ? held.u.override.version : 0, cli->now_ms);
	ret = weft_admin_emit(cli, &a->adm, admin, &r, 1, 1);
	if (ret != WEFT_CLI_OK)
		goto out;
	describe(&r.u.override, change, desc, sizeof(desc));
	weft_adminops_node_label(label, sizeof(label), &r.u.override.node_id,
				 (r.u.override.set & WEFT_OVR_NAME) ? r.u.override.name : NULL);
	if (cli->json) {
		struct json_object *o = json_object_new_object();

		weft_pk_to_hex(hex, &r.u.override.node_id);
		json_object_object_add(o, "node_id", json_object_new_string(hex));
		json_object_object_add(o, "version", json_object_new_uint64(r.u.override.version));
		json_object_object_add(o, "changed", json_object_new_string(desc[0] ? desc + 1 : ""));
		json_object_object_add(o, "out", a->adm.out ? json_object_new_string(a->adm.out) : NULL);
		ret = weft_cli_print_json(cli, o);
		json_object_put(o);
	} else {
		fprintf(cli->out, "node %s:%s%s\n", label, desc, a->adm.out ? " (in the file)" : "");
	}
out:
	free(members);
	free(pins);
	free(clients);
	return ret;
}

static int check(struct weft_cli *cli, void *args)
{
	struct node_args *a = args;
	const struct weft_cli_cmd *cmd = a->adm.cmd;

	if (a->adm.nwords < 2)
		return weft_cli_usage(cli, cmd,
				      a->adm.nwords == 0 ? "missing NODE (a name, an id prefix or a full id)"
							 : "missing what to do with the node: set");
	if (a->adm.nwords > 2)
		return weft_cli_usage(cli, cmd, "unexpected argument '%s'", a->adm.words[2]);
	a->node = a->adm.words[0];
	if (strcmp(a->adm.words[1], "set") != 0)
		return weft_cli_usage(cli, cmd, "unknown action '%s' (only 'set')", a->adm.words[1]);
	if (!a->naddress && !a->expires && !a->name && !a->tags && !a->routes && !a->approve)
		return weft_cli_usage(cli, cmd,
				      "nothing to set; give at least one of --address, --expires, --name, "
				      "--tags, --approve, --routes");
	return 0;
}

static int prepare(struct weft_cli *cli, void *args)
{
	struct node_args *a = args;

	return parse_changes(cli, a, &a->want, &a->change) ? WEFT_CLI_FAIL : 0;
}

static int run(struct weft_cli *cli, const struct weft_cli_cmd *cmd, int argc, char **argv)
{
	static const struct weft_admin_opt opts[] = {
		WEFT_ADMIN_LIST("address", struct node_args, address, naddress,
				"--address at most twice (one IPv4, one IPv6)"),
		WEFT_ADMIN_STR("expires", struct node_args, expires),
		WEFT_ADMIN_STR("name", struct node_args, name),
		WEFT_ADMIN_STR("tags", struct node_args, tags),
		WEFT_ADMIN_FLAG("approve", struct node_args, approve),
		WEFT_ADMIN_STR("routes", struct node_args, routes),
		WEFT_ADMIN_END,
	};
	static const struct weft_admin_spec spec = {
		.opts = opts, .check = check, .prepare = prepare, .body = set_node
	};
	struct node_args a = { 0 };

	return weft_admin_run(cli, cmd, &spec, &a, argc, argv);
}

const struct weft_cli_cmd weft_cli_cmd_node = {
	.name = "node",
	.path = "node",
	.fn = run,
	.summary = "change one node: address, expiry, name, tags, routes, approval",
	.usage = "node NETWORK NODE set --admin-key FILE [--address IP] [--expires WHEN|never]\n"
		 "                 [--name NAME] [--tags T1,T2] [--approve] [--routes CIDR,...] [--out FILE]",
	.help = "Signs an override of one node with the admin key and hands it to the local\n"
		"daemon (or, with --out, writes it for 'weft push FILE' on any member).\n"
		"\n"
		"  NODE                  a node name, a unique prefix of its id (4+ hex digits),\n"
		"                        or its full id (64 hex digits)\n"
		"  --admin-key FILE      the network's admin key (FILE.net beside it)\n"
		"  --address IP          pin its address (inside the network's range, not pinned\n"
		"                        by another node; once for IPv4 and once for IPv6)\n"
		"  --expires WHEN        when it drops out: a time from now (12h, 7d, 2w), a UTC\n"
		"                        date (2027-01-31 or 2027-01-31T18:00), or never; an\n"
		"                        expired node comes back when its expiry is extended\n"
		"  --name NAME           rename it (its DNS name follows)\n"
		"  --tags T1,T2          its tags for 'weft policy' (\"\" clears them)\n"
		"  --approve             admit a node that joined with an --approval invite\n"
		"  --routes CIDR,...     the routes it advertises that the network may use\n"
		"                        (\"\" withdraws the approval); none may overlap the\n"
		"                        network's own range, and 0.0.0.0/0 or ::/0 is refused\n"
		"  --out FILE            write the signed record to FILE instead of the daemon\n"
		"\n"
		"An override replaces the node's previous one whole, so weft starts from the\n"
		"one the daemon holds and changes only what is given. Without a daemon (the\n"
		"admin's machine offline), NODE must be the full id and the new override holds\n"
		"only what is given here: earlier settings of that node are dropped, so repeat\n"
		"them.\n",
};
