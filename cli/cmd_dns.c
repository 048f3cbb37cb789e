/* weft dns NETWORK list|add|rm: the admin's custom DNS entries (DESIGN §6,
 * records keyed by name and type, higher version wins, a tombstone
 * deletes). add and rm sign with the admin key and hand the records to the
 * local daemon or, with --out, to a file for 'weft push' on any member;
 * list shows the entries the local daemon holds. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "cli/adminops.h"
#include "cli/adminrun.h"
#include "cli/cli.h"
#include "cli/cmd_dns.h"
#include "core/error.h"
#include "core/store.h"

#define MAX_ARGS 8

static const struct {
	const char *name;
	uint16_t type;
} types[] = {
	{ "A", WEFT_DNS_A },     { "AAAA", WEFT_DNS_AAAA }, { "CNAME", WEFT_DNS_CNAME },
	{ "TXT", WEFT_DNS_TXT }, { "SRV", WEFT_DNS_SRV },
};
#define NTYPES (sizeof(types) / sizeof(types[0]))

uint16_t weft_cli_dns_type(const char *s)
{
	size_t i;

	for (i = 0; i < NTYPES; i++)
		if (!strcasecmp(s, types[i].name))
			return types[i].type;
	return 0;
}

static const char *type_name(uint16_t t)
{
	size_t i;

	for (i = 0; i < NTYPES; i++)
		if (types[i].type == t)
			return types[i].name;
	return "?";
}

static bool label_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* A lower-case host name (labels of [a-z0-9_-], not starting or ending
 * with '-', 1-63 bytes each, 253 in all). NULL, or what is wrong. */
static const char *hostname_problem(const char *s, size_t len)
{
	size_t start = 0, i;

	if (len == 0)
		return "it is empty";
	if (len > WEFT_DOMAIN_MAX)
		return "it is longer than 253 characters";
	for (i = 0; i <= len; i++) {
		if (i < len && s[i] != '.') {
			if (!label_char(s[i]))
				return "only letters, digits, '-' and '_' go between the dots";
			continue;
		}
		if (i == start)
			return "it has an empty label (two dots, or a dot at the start)";
		if (i - start > WEFT_NAME_MAX)
			return "a label is longer than 63 characters";
		if (s[start] == '-' || s[i - 1] == '-')
			return "a label starts or ends with '-'";
		start = i + 1;
	}
	return NULL;
}

static void lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

int weft_cli_dns_name(const char *s, const char *origin, char *out, char *err, size_t errlen)
{
	char buf[WEFT_DOMAIN_MAX + 2];
	size_t len = strlen(s), olen = strlen(origin);
	const char *why, *body;

	if (len >= sizeof(buf)) {
		snprintf(err, errlen, "bad NAME: longer than %d characters", WEFT_DOMAIN_MAX);
		return -1;
	}
	memcpy(buf, s, len + 1);
	lower(buf);
	if (len && buf[len - 1] == '.') {
		snprintf(err, errlen,
			 "bad NAME '%s': give it relative to the zone %s, without a trailing dot "
			 "(e.g. 'db' for db.%s)",
			 s, origin, origin);
		return -1;
	}
	/* The full name of something in the zone: keep the part before it. */
	if (len > olen + 1 && buf[len - olen - 1] == '.' && !strcmp(buf + len - olen, origin)) {
		len -= olen + 1;
		buf[len] = '\0';
	} else if (!strcmp(buf, origin) || !strcmp(buf, "@")) {
		snprintf(err, errlen,
			 "bad NAME '%s': entries at the zone's apex are not supported; give a name "
			 "inside %s",
			 s, origin);
		return -1;
	}
	body = buf;
	if (len >= 2 && buf[0] == '*' && buf[1] == '.')
		body = buf + 2;
	why = hostname_problem(body, strlen(body));
	if (why) {
		snprintf(err, errlen, "bad NAME '%s': %s%s", s, why,
			 strchr(body, '*') ? " (a wildcard reads *.NAME)" : "");
		return -1;
	}
	memcpy(out, buf, strlen(buf) + 1);
	return 0;
}

/* A decimal 0..65535 in s[0..n). */
static bool u16_word(const char *s, size_t n, unsigned *v)
{
	size_t i;

	*v = 0;
	if (n == 0 || n > 5)
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*v = *v * 10 + (unsigned)(s[i] - '0');
	}
	return *v <= 65535;
}

/* A CNAME or SRV target: a name, optionally absolute. */
static int target(const char *what, const char *s, char *out, size_t cap, char *err, size_t errlen)
{
	char buf[WEFT_DOMAIN_MAX + 2];
	size_t len = strlen(s);
	weft_ip_t ip;
	const char *why;

	if (weft_ip_parse(&ip, s) == 0 && ip.family) {
		snprintf(err, errlen,
			 "bad %s target '%s': it must be a name, not an address (use an A or AAAA "
			 "entry for an address)",
			 what, s);
		return -1;
	}
	if (len >= sizeof(buf) || len + 1 > cap) {
		snprintf(err, errlen, "bad %s target: longer than %d characters", what, WEFT_DOMAIN_MAX);
		return -1;
	}
	memcpy(buf, s, len + 1);
	lower(buf);
	why = hostname_problem(buf, len > 1 && buf[len - 1] == '.' ? len - 1 : len);
	if (why) {
		snprintf(err, errlen, "bad %s target '%s': %s", what, s, why);
		return -1;
	}
	memcpy(out, buf, len + 1);
	return 0;
}

int weft_cli_dns_value(uint16_t type, const char *s, char *out, char *err, size_t errlen)
{
	char buf[WEFT_ADDRSTRLEN];
	const char *p = s;
	unsigned num[3];
	weft_ip_t ip;
	size_t n, i;
	int k;

	switch (type) {
	case WEFT_DNS_A:
	case WEFT_DNS_AAAA:
		if (weft_ip_parse(&ip, s) != 0 || ip.family != (type == WEFT_DNS_A ? 4 : 6)) {
			snprintf(err, errlen, "bad %s value '%s': give an %s address, e.g. %s", type_name(type), s,
				 type == WEFT_DNS_A ? "IPv4" : "IPv6", type == WEFT_DNS_A ? "10.1.2.3" : "fd00::3");
			return -1;
		}
		snprintf(out, WEFT_DNS_VALUE_MAX + 1, "%s", weft_ip_format(&ip, buf, sizeof(buf)));
		return 0;
	case WEFT_DNS_CNAME:
		return target("CNAME", s, out, WEFT_DNS_VALUE_MAX + 1, err, errlen);
	case WEFT_DNS_TXT:
		n = strlen(s);
		if (n > WEFT_DNS_VALUE_MAX) {
			snprintf(err, errlen,
				 "bad TXT value: %zu bytes, at most %d (split longer text into several "
				 "names)",
				 n, WEFT_DNS_VALUE_MAX);
			return -1;
		}
		for (i = 0; i < n; i++) {
			if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
				snprintf(err, errlen,
					 "bad TXT value: it holds a control character (byte %zu); "
					 "give printable text",
					 i + 1);
				return -1;
			}
		}
		memcpy(out, s, n + 1);
		return 0;
	case WEFT_DNS_SRV:
		for (k = 0; k < 3; k++) {
			while (*p == ' ' || *p == '\t')
				p++;
			n = strcspn(p, " \t");
			if (!u16_word(p, n, &num[k]) || !p[n]) {
				snprintf(err, errlen,
					 "bad SRV value '%s': give \"PRIORITY WEIGHT PORT TARGET\", three "
					 "numbers from 0 to 65535 and a name, e.g. \"10 5 5060 sip\"",
					 s);
				return -1;
			}
			p += n;
		}
		while (*p == ' ' || *p == '\t')
			p++;
		n = strcspn(p, " \t");
		if (p[n + strspn(p + n, " \t")]) {
			snprintf(err, errlen, "bad SRV value '%s': one TARGET after the three numbers", s);
			return -1;
		}
		if (n > WEFT_DOMAIN_MAX + 1) {
			snprintf(err, errlen, "bad SRV target: longer than %d characters", WEFT_DOMAIN_MAX);
			return -1;
		}
		{
			char t[WEFT_DOMAIN_MAX + 2];
			size_t pre;

			memcpy(t, p, n);
			t[n] = '\0';
			pre = (size_t)snprintf(out, WEFT_DNS_VALUE_MAX + 1, "%u %u %u ", num[0], num[1], num[2]);
			return target("SRV", t, out + pre, WEFT_DNS_VALUE_MAX + 1 - pre, err, errlen);
		}
	default:
		snprintf(err, errlen, "unknown TYPE: give A, AAAA, CNAME, TXT or SRV");
		return -1;
	}
}

/* ---- the commands ---- */

struct dns_args {
	struct weft_admin_args adm;
	const char *ttl;
	int npos;
	char **pos;                         /* after NETWORK and the action */
	const struct weft_cli_cmd *action;  /* list, add or rm */
	uint16_t type, only;                /* add's TYPE; rm's TYPE (0: every type) */
	uint64_t ttl_s;                     /* add's --ttl */
	char value[WEFT_DNS_VALUE_MAX + 1]; /* add's VALUE, checked */
};

static void origin_of(const weft_record_t *settings, char *out, size_t cap)
{
	if (settings->u.network.domain[0])
		snprintf(out, cap, "%s", settings->u.network.domain);
	else
		snprintf(out, cap, "%s.internal", settings->u.network.name);
}

/* The entries the daemon holds: 0 (with *out, maybe none), 1 when it
 * cannot be reached, -1 after an error. */
static int held(struct weft_cli *cli, const char *network, weft_record_t **out, size_t *n)
{
	return weft_cli_admin_fetch(cli, network, WEFT_REC_DNS, out, n);
}

static int cmp_entry(const void *a, const void *b)
{
	const struct weft_rec_dns *x = &((const weft_record_t *)a)->u.dns, *y = &((const weft_record_t *)b)->u.dns;
	int c = strcmp(x->name, y->name);

	return c ? c : (int)x->rtype - (int)y->rtype;
}

static int do_list(struct weft_cli *cli, const struct weft_cli_cmd *cmd, struct dns_args *a)
{
	weft_record_t *recs = NULL;
	struct json_object *arr;
	size_t n = 0, i, k;
	int ret;

	if (a->npos)
		return weft_cli_usage(cli, cmd, "unexpected argument '%s'", a->pos[0]);
	if (a->adm.admin_key || a->adm.out || a->ttl)
		return weft_cli_usage(cli, cmd, "list takes no --admin-key, --out or --ttl");
	ret = held(cli, a->adm.network, &recs, &n);
	if (ret == 1)
		return weft_cli_fail(cli,
				     "cannot reach the daemon at %s to list %s's entries (is it running? "
				     "'systemctl start weft')",
				     cli->socket, a->adm.network);
	if (ret)
		return WEFT_CLI_FAIL;
	for (i = k = 0; i < n; i++)
		if (!recs[i].u.dns.deleted)
			recs[k++] = recs[i];
	qsort(recs, k, sizeof(*recs), cmp_entry);
	if (cli->json) {
		arr = json_object_new_array();
		for (i = 0; i < k; i++) {
			struct json_object *o = json_object_new_object();

			json_object_object_add(o, "name", json_object_new_string(recs[i].u.dns.name));
			json_object_object_add(o, "type", json_object_new_string(type_name(recs[i].u.dns.rtype)));
			json_object_object_add(o, "value", json_object_new_string(recs[i].u.dns.value));
			json_object_object_add(o, "ttl", json_object_new_int64(recs[i].u.dns.ttl));
			json_object_array_add(arr, o);
		}
		ret = weft_cli_print_json(cli, arr);
		json_object_put(arr);
	} else if (!k) {
		fprintf(cli->out, "no custom entries in %s (add one with 'weft dns %s add NAME TYPE VALUE')\n",
			a->adm.network, a->adm.network);
		ret = WEFT_CLI_OK;
	} else {
		fprintf(cli->out, "%-30s %-6s %-8s %s\n", "NAME", "TYPE", "TTL", "VALUE");
		for (i = 0; i < k; i++)
			fprintf(cli->out, "%-30s %-6s %-8u %s\n", recs[i].u.dns.name, type_name(recs[i].u.dns.rtype),
				recs[i].u.dns.ttl, recs[i].u.dns.value);
		ret = WEFT_CLI_OK;
	}
	free(recs);
	return ret;
}

/* The version a new record of (name, type) gets: now, but above the held one. */
static uint64_t next_version(struct weft_cli *cli, const weft_record_t *recs, size_t n, const char *name,
			     uint16_t type)
{
	uint64_t last = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (recs[i].u.dns.rtype == type && !strcmp(recs[i].u.dns.name, name) && recs[i].u.dns.version > last)
			last = recs[i].u.dns.version;
	return weft_hlc_next(last, cli->now_ms);
}

/* add: the words and --ttl, before the key is read. */
static int check_add(struct weft_cli *cli, struct dns_args *a)
{
	const struct weft_cli_cmd *cmd = a->adm.cmd;
	char err[400], joined[2 * WEFT_DNS_VALUE_MAX];
	size_t len = 0;
	int i;

	if (a->npos < 3)
		return weft_cli_usage(cli, cmd,
				      a->npos == 0   ? "missing NAME TYPE VALUE"
				      : a->npos == 1 ? "missing TYPE (A, AAAA, CNAME, TXT or SRV) and VALUE"
						     : "missing VALUE");
	if (!a->adm.admin_key || !*a->adm.admin_key)
		return weft_cli_usage(cli, cmd, "missing --admin-key FILE (the key 'weft init' wrote)");
	a->type = weft_cli_dns_type(a->pos[1]);
	if (!a->type)
		return weft_cli_usage(cli, cmd, "unknown TYPE '%s': give A, AAAA, CNAME, TXT or SRV", a->pos[1]);
	/* SRV may come as four words; other values are one argument. */
	if (a->npos > 3 && a->type != WEFT_DNS_SRV)
		return weft_cli_usage(cli, cmd, "unexpected argument '%s' (quote a VALUE with spaces)", a->pos[3]);
	joined[0] = '\0';
	for (i = 2; i < a->npos; i++)
		len += (size_t)snprintf(joined + len, len < sizeof(joined) ? sizeof(joined) - len : 0, "%s%s",
					i > 2 ? " " : "", a->pos[i]);
	if (len >= sizeof(joined))
		return weft_cli_fail(cli, "bad VALUE: longer than %d characters", WEFT_DNS_VALUE_MAX);
	a->ttl_s = WEFT_CLI_DNS_TTL_DEFAULT;
	if (a->ttl && weft_cli_parse_uint(cli, "--ttl", a->ttl, 0, INT32_MAX, &a->ttl_s))
		return WEFT_CLI_USAGE;
	if (weft_cli_dns_value(a->type, joined, a->value, err, sizeof(err)))
		return weft_cli_fail(cli, "%s", err);
	return 0;
}

static int do_add(struct weft_cli *cli, struct dns_args *a, const weft_keypair_t *admin,
		  const weft_record_t *settings)
{
	char origin[WEFT_DOMAIN_MAX + 16], err[400];
	weft_record_t r, *recs = NULL;
	size_t n = 0;
	int ret = WEFT_CLI_FAIL;

	origin_of(settings, origin, sizeof(origin));
	memset(&r, 0, sizeof(r));
	r.type = WEFT_REC_DNS;
	if (weft_cli_dns_name(a->pos[0], origin, r.u.dns.name, err, sizeof(err))) {
		weft_cli_fail(cli, "%s", err);
		goto out;
	}
	if (held(cli, a->adm.network, &recs, &n) < 0)
		goto out;
	r.u.dns.rtype = a->type;
	r.u.dns.ttl = (uint32_t)a->ttl_s;
	memcpy(r.u.dns.value, a->value, sizeof(a->value));
	r.u.dns.version = next_version(cli, recs, n, r.u.dns.name, a->type);
	ret = weft_admin_emit(cli, &a->adm, admin, &r, 1, 1);
	if (ret == WEFT_CLI_OK && !cli->json && !a->adm.out)
		fprintf(cli->out, "%s.%s %s %s (ttl %us): signed and handed to the daemon\n", r.u.dns.name, origin,
			type_name(a->type), r.u.dns.value, r.u.dns.ttl);
out:
	free(recs);
	return ret;
}

/* rm: the words, before the key is read. */
static int check_rm(struct weft_cli *cli, struct dns_args *a)
{
	const struct weft_cli_cmd *cmd = a->adm.cmd;

	if (a->npos < 1)
		return weft_cli_usage(cli, cmd, "missing NAME");
	if (a->npos > 2)
		return weft_cli_usage(cli, cmd, "unexpected argument '%s'", a->pos[2]);
	if (a->ttl)
		return weft_cli_usage(cli, cmd, "rm takes no --ttl");
	if (!a->adm.admin_key || !*a->adm.admin_key)
		return weft_cli_usage(cli, cmd, "missing --admin-key FILE (the key 'weft init' wrote)");
	if (a->npos == 2 && !(a->only = weft_cli_dns_type(a->pos[1])))
		return weft_cli_usage(cli, cmd, "unknown TYPE '%s': give A, AAAA, CNAME, TXT or SRV", a->pos[1]);
	return 0;
}

static int do_rm(struct weft_cli *cli, struct dns_args *a, const weft_keypair_t *admin,
		 const weft_record_t *settings)
{
	char origin[WEFT_DOMAIN_MAX + 16], err[400], name[WEFT_DOMAIN_MAX + 1];
	weft_record_t *recs = NULL, out[NTYPES];
	uint16_t only = a->only;
	size_t n = 0, k = 0, i;
	bool online;
	int got, ret = WEFT_CLI_FAIL;

	origin_of(settings, origin, sizeof(origin));
	if (weft_cli_dns_name(a->pos[0], origin, name, err, sizeof(err))) {
		weft_cli_fail(cli, "%s", err);
		goto out;
	}
	got = held(cli, a->adm.network, &recs, &n);
	if (got < 0)
		goto out;
	online = got == 0;
	memset(out, 0, sizeof(out));
	for (i = 0; i < NTYPES; i++) {
		uint16_t t = types[i].type;
		bool have = false;
		size_t j;

		if (only && t != only)
			continue;
		for (j = 0; j < n; j++)
			have |= recs[j].u.dns.rtype == t && !recs[j].u.dns.deleted &&
				!strcmp(recs[j].u.dns.name, name);
		/* Offline, what is held is unknown: a tombstone for each type
		 * (or the one given) deletes whatever is there. */
		if (online && !have)
			continue;
		out[k].type = WEFT_REC_DNS;
		snprintf(out[k].u.dns.name, sizeof(out[k].u.dns.name), "%s", name);
		out[k].u.dns.rtype = t;
		out[k].u.dns.deleted = true;
		out[k].u.dns.version = next_version(cli, recs, n, name, t);
		k++;
	}
	if (!k) {
		weft_cli_fail(cli, "no entry %s.%s%s%s in %s ('weft dns %s list' shows them)", name, origin,
			      only ? " of type " : "", only ? type_name(only) : "", a->adm.network, a->adm.network);
		goto out;
	}
	if (!online && !cli->json)
		fprintf(cli->err, "weft: note: the daemon cannot be reached: deleting %s of every type%s\n", name,
			only ? " given" : "");
	ret = weft_admin_emit(cli, &a->adm, admin, out, k, k);
	if (ret == WEFT_CLI_OK && !cli->json && !a->adm.out)
		fprintf(cli->out, "%s.%s: %zu entr%s deleted\n", name, origin, k, k == 1 ? "y" : "ies");
out:
	free(recs);
	return ret;
}

static const struct weft_cli_cmd dns_commands[] = {
	{
		.name = "list",
		.path = "dns",
		.summary = "the custom entries the local daemon holds",
		.usage = "dns NETWORK list [--json]",
	},
	{
		.name = "add",
		.path = "dns",
		.summary = "add or replace an entry (signed with the admin key)",
		.usage = "dns NETWORK add NAME TYPE VALUE --admin-key FILE [--ttl S] [--out FILE]",
	},
	{
		.name = "rm",
		.path = "dns",
		.summary = "delete the entries at a name (or of one type there)",
		.usage = "dns NETWORK rm NAME [TYPE] --admin-key FILE [--out FILE]",
	},
	{ 0 },
};

static int check(struct weft_cli *cli, void *args)
{
	struct dns_args *a = args;
	const struct weft_cli_cmd *sub;

	if (a->adm.nwords < 1)
		return weft_cli_usage(cli, a->adm.cmd, "missing list, add or rm");
	for (sub = dns_commands; sub->name; sub++)
		if (!strcmp(sub->name, a->adm.words[0]))
			break;
	if (!sub->name)
		return weft_cli_usage(cli, a->adm.cmd, "unknown action '%s' (list, add or rm)", a->adm.words[0]);
	a->adm.cmd = sub;
	if (a->adm.nwords - 1 > MAX_ARGS)
		return weft_cli_usage(cli, sub, "too many arguments");
	a->pos = a->adm.words + 1;
	a->npos = a->adm.nwords - 1;
	a->action = sub;
	if (!strcmp(sub->name, "list")) {
		a->adm.keyless = true;
		return 0;
	}
	return !strcmp(sub->name, "add") ? check_add(cli, a) : check_rm(cli, a);
}

static int dns_run(struct weft_cli *cli, void *args, const weft_keypair_t *admin, const weft_record_t *settings)
{
	struct dns_args *a = args;

	if (!admin)
		return do_list(cli, a->action, a);
	if (!strcmp(a->action->name, "add"))
		return do_add(cli, a, admin, settings);
	return do_rm(cli, a, admin, settings);
}

static int run(struct weft_cli *cli, const struct weft_cli_cmd *cmd, int argc, char **argv)
{
	static const struct weft_admin_opt opts[] = {
		WEFT_ADMIN_STR("ttl", struct dns_args, ttl),
		WEFT_ADMIN_END,
	};
	static const struct weft_admin_spec spec = { .opts = opts, .check = check, .body = dns_run };
	struct dns_args a = { 0 };

	return weft_admin_run(cli, cmd, &spec, &a, argc, argv);
}

const struct weft_cli_cmd weft_cli_cmd_dns = {
	.name = "dns",
	.path = "dns",
	.fn = run,
	.summary = "the network's custom DNS entries: list, add, rm",
	.usage =
		"dns NETWORK list | add NAME TYPE VALUE | rm NAME [TYPE]  [--admin-key FILE] [--ttl S] [--out FILE]",
	.help = "Every member answers for the network's zone (NAME.internal by default, or the\n"
		"network's --domain): each member's name, and these entries.\n"
		"\n"
		"  list                  the entries the local daemon holds (--json: an array of\n"
		"                        {name, type, value, ttl})\n"
		"  add NAME TYPE VALUE   add an entry, or replace the one of that TYPE at NAME\n"
		"  rm NAME [TYPE]        delete the entries at NAME (only TYPE's, if given)\n"
		"\n"
		"  NAME                  relative to the zone: 'db' is db.ZONE; '*.dev' answers\n"
		"                        any name under dev.ZONE that has no entry of its own\n"
		"  TYPE VALUE            A 10.1.2.3 | AAAA fd00::3 | CNAME db (a name in the\n"
		"                        zone) or CNAME host.example.com. | TXT \"any text, up to\n"
		"                        255 bytes\" | SRV \"PRIORITY WEIGHT PORT TARGET\"\n"
		"  --admin-key FILE      the network's admin key (FILE.net beside it)\n"
		"  --ttl S               seconds resolvers may cache the entry (default 300)\n"
		"  --out FILE            write the signed record(s) to FILE, for 'weft push FILE'\n"
		"                        on any member, instead of handing them to the daemon\n"
		"\n"
		"An entry at a member's name replaces that member's address of the same type;\n"
		"a CNAME there takes the name from the member ('weft status' on that node says\n"
		"so). Without a daemon (an offline admin), rm deletes NAME of every type.\n",
};
