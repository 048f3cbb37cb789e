/* Helpers the admin commands share: WHEN arguments, the member list (the
 * daemon's 'peers' answer or the same JSON from a file), held records and
 * pinned addresses from the daemon, and sealing a new network key. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <json-c/json.h>
#include <sodium.h>

#include "cli/adminops.h"
#include "cli/ctlclient.h"
#include "core/error.h"
#include "core/store.h"

/* ---- WHEN ---- */

static int digits(const char *s, size_t n, unsigned *v)
{
	size_t i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (unsigned)(s[i] - '0');
	}
	return 0;
}

static bool leap(unsigned y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM", UTC. */
static int parse_date(const char *s, uint64_t *unix_s)
{
	static const unsigned mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	unsigned y, mo, d, h = 0, mi = 0;
	size_t n = strlen(s);
	struct tm tm;
	time_t t;

	if (n != 10 && n != 16)
		return -1;
	if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' || digits(s + 8, 2, &d))
		return -1;
	if (n == 16 && (s[10] != 'T' || digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi)))
		return -1;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59)
		return -1;
	if (d > mdays[mo - 1] + (mo == 2 && leap(y) ? 1u : 0u))
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (int)y - 1900;
	tm.tm_mon = (int)mo - 1;
	tm.tm_mday = (int)d;
	tm.tm_hour = (int)h;
	tm.tm_min = (int)mi;
	t = timegm(&tm);
	if (t <= 0)
		return -1;
	*unix_s = (uint64_t)t;
	return 0;
}

int weft_adminops_when(const char *s, uint64_t now_s, uint64_t *unix_s)
{
	uint64_t secs;

	if (!s || !*s)
		return -1;
	if (strchr(s, '-'))
		return parse_date(s, unix_s);
	if (weft_cli_duration(s, &secs))
		return -1;
	*unix_s = secs ? now_s + secs : 0; /* "never" */
	return 0;
}

int weft_adminops_parse_when(struct weft_cli *cli, const char *opt, const char *s, uint64_t *unix_s)
{
	if (weft_adminops_when(s, cli->now_ms / 1000, unix_s) == 0)
		return 0;
	weft_cli_fail(cli,
		      "bad %s '%s': give a time from now (30m, 12h, 7d, 2w), a UTC date (2027-01-31 or "
		      "2027-01-31T18:00), or never",
		      opt, s);
	return -1;
}

/* ---- members ---- */

static const char *str_field(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : NULL;
}

static int ip_field(struct json_object *o, const char *key, unsigned family, weft_ip_t *ip)
{
	const char *s = str_field(o, key);

	memset(ip, 0, sizeof(*ip));
	if (!s)
		return 0;
	return weft_ip_parse(ip, s) == 0 && ip->family == family ? 0 : -1;
}

int weft_adminops_members_json(struct json_object *a, struct weft_admin_member **out, size_t *n, const char **why)
{
	struct weft_admin_member *m;
	struct json_object *o;
	const char *s;
	size_t i, len;

	*out = NULL;
	*n = 0;
	if (!a || !json_object_is_type(a, json_type_array)) {
		*why = "not a JSON array of members";
		return -1;
	}
	len = json_object_array_length(a);
	m = calloc(len ? len : 1, sizeof(*m));
	if (!m) {
		*why = "out of memory";
		return -1;
	}
	for (i = 0; i < len; i++) {
		o = json_object_array_get_idx(a, i);
		s = str_field(o, "node_id");
		if (!json_object_is_type(o, json_type_object) || !s || strlen(s) != 64 ||
		    weft_pk_from_hex(&m[i].id, s)) {
			*why = "a member without a node_id of 64 hex digits";
			goto bad;
		}
		s = str_field(o, "name");
		if (s && weft_cli_check_name(s) == 0)
			snprintf(m[i].name, sizeof(m[i].name), "%s", s);
		s = str_field(o, "state");
		if (!s || strlen(s) >= sizeof(m[i].state)) {
			*why = "a member without a state";
			goto bad;
		}
		snprintf(m[i].state, sizeof(m[i].state), "%s", s);
		if (ip_field(o, "address", 4, &m[i].addr4) || ip_field(o, "address6", 6, &m[i].addr6)) {
			*why = "a member with a bad address";
			goto bad;
		}
	}
	*out = m;
	*n = len;
	return 0;
bad:
	free(m);
	return -1;
}

static int members_from_file(struct weft_cli *cli, const char *file, struct weft_admin_member **out, size_t *n)
{
	const char *why = NULL;
	struct json_object *a;
	int ret;

	FILE *f = fopen(file, "r");

	if (!f) {
		weft_cli_fail(cli, "cannot read --members %s: %s", file, strerror(errno));
		return -1;
	}
	fclose(f);
	a = json_object_from_file(file);
	if (!a) {
		weft_cli_fail(cli,
			      "--members %s is not JSON; give the output of 'weft peers NETWORK --json' taken "
			      "on any member",
			      file);
		return -1;
	}
	ret = weft_adminops_members_json(a, out, n, &why);
	json_object_put(a);
	if (ret) {
		weft_cli_fail(cli, "--members %s: %s; give the output of 'weft peers NETWORK --json'", file, why);
		return -1;
	}
	return 0;
}

/* The daemon's 'peers' answer for network: 0 with r->result set, 1 when
 * the daemon cannot be reached or has no such network, -1 after printing
 * another error. */
static int ask_peers(struct weft_cli *cli, const char *network, struct weft_cli_reply *r)
{
	struct json_object *req = json_object_new_object();
	int ret;

	json_object_object_add(req, "cmd", json_object_new_string("peers"));
	json_object_object_add(req, "network", json_object_new_string(network));
	ret = weft_cli_ctl(cli, req, WEFT_CLI_CTL_TIMEOUT_MS, r);
	json_object_put(req);
	if (ret < 0)
		return 1;
	if (ret == 1 && !strcmp(r->code, "notfound"))
		return 1;
	if (ret) {
		weft_cli_ctl_fail(cli, ret, r, NULL);
		return -1;
	}
	return 0;
}

int weft_adminops_probe(struct weft_cli *cli, const char *network)
{
	struct weft_cli_reply r;
	int ret = ask_peers(cli, network, &r);

	if (ret == 0)
		weft_cli_reply_free(&r);
	return ret;
}

int weft_adminops_members(struct weft_cli *cli, const char *network, const char *file,
			  struct weft_admin_member **out, size_t *n)
{
	struct weft_cli_reply r;
	const char *why = NULL;
	int ret;

	*out = NULL;
	*n = 0;
	if (file)
		return members_from_file(cli, file, out, n);
	ret = ask_peers(cli, network, &r);
	if (ret)
		return ret;
	ret = weft_adminops_members_json(r.result, out, n, &why);
	weft_cli_reply_free(&r);
	if (ret) {
		weft_cli_fail(cli, "the daemon's member list: %s", why);
		return -1;
	}
	return 0;
}

bool weft_adminops_member_active(const struct weft_admin_member *m)
{
	return strcmp(m->state, "revoked") != 0 && strcmp(m->state, "overused") != 0 &&
	       strcmp(m->state, "left") != 0;
}

const struct weft_admin_member *weft_adminops_member_find(const struct weft_admin_member *m, size_t n,
							  const weft_pk_t *id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!memcmp(m[i].id.b, id->b, WEFT_PK_LEN))
			return &m[i];
	return NULL;
}

int weft_adminops_node(struct weft_cli *cli, const char *network, const char *arg, const struct weft_admin_member *m,
		       size_t n, bool have_list, weft_pk_t *id)
{
	size_t i, found = 0, alen = strlen(arg);
	char hex[65];

	if (!have_list)
		return weft_cli_admin_node(cli, network, arg, id);
	if (strlen(arg) == 64 && weft_pk_from_hex(id, arg) == 0)
		return 0;
	for (i = 0; i < n; i++) {
		weft_pk_to_hex(hex, &m[i].id);
		if (strcmp(m[i].name, arg) != 0 && !(alen >= 4 && alen <= 64 && !strncasecmp(hex, arg, alen)))
			continue;
		if (found && !memcmp(id->b, m[i].id.b, WEFT_PK_LEN))
			continue;
		*id = m[i].id;
		found++;
	}
	if (found == 1)
		return 0;
	if (found > 1)
		weft_cli_fail(cli, "'%s' names more than one node of %s; give more of its id", arg, network);
	else
		weft_cli_fail(cli,
			      "no node '%s' in the member list of %s (a name, or at least 4 hex digits of an "
			      "id, as 'weft peers %s' shows)",
			      arg, network, network);
	return -1;
}

/* ---- held records ---- */

static bool subject_is(const weft_record_t *r, const weft_pk_t *subject)
{
	uint8_t s[32];

	weft_record_subject(r, s);
	if (subject)
		return memcmp(s, subject->b, 32) == 0;
	return sodium_is_zero(s, 32);
}

int weft_adminops_held(struct weft_cli *cli, const char *network, unsigned type, const weft_pk_t *subject,
		       weft_record_t *out, bool *found)
{
	weft_record_t *recs = NULL;
	size_t n = 0, i;
	int ret;

	*found = false;
	ret = weft_adminops_probe(cli, network);
	if (ret)
		return ret;
	ret = weft_cli_admin_fetch(cli, network, type, &recs, &n);
	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		if (!subject_is(&recs[i], subject))
			continue;
		if (!*found || weft_record_version(&recs[i]) > weft_record_version(out)) {
			*out = recs[i];
			*found = true;
		}
	}
	free(recs);
	return 0;
}

static const weft_record_t *by_subject(const weft_record_t *r, size_t n, const weft_pk_t *id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (subject_is(&r[i], id))
			return &r[i];
	return NULL;
}

int weft_adminops_pins(struct weft_cli *cli, const char *network, struct weft_admin_pin **out, size_t *n)
{
	weft_record_t *mem = NULL, *ov = NULL, *inv = NULL;
	size_t nmem = 0, nov = 0, ninv = 0, i;
	struct weft_admin_pin *p = NULL;
	const weft_record_t *o, *v;
	int ret;

	*out = NULL;
	*n = 0;
	ret = weft_adminops_probe(cli, network);
	if (ret)
		return ret;
	ret = weft_cli_admin_fetch(cli, network, WEFT_REC_MEMBER, &mem, &nmem);
	if (ret)
		return ret;
	if (weft_cli_admin_fetch(cli, network, WEFT_REC_OVERRIDE, &ov, &nov) ||
	    weft_cli_admin_fetch(cli, network, WEFT_REC_INVITE, &inv, &ninv)) {
		ret = -1;
		goto out;
	}
	p = calloc(nmem ? nmem : 1, sizeof(*p));
	if (!p) {
		weft_cli_fail(cli, "out of memory");
		ret = -1;
		goto out;
	}
	for (i = 0; i < nmem; i++) {
		const weft_pk_t *id = &mem[i].u.member.node_id;

		p[*n].id = *id;
		o = by_subject(ov, nov, id);
		v = by_subject(inv, ninv, &mem[i].u.member.invite_pk);
		if (o && (o->u.override.set & WEFT_OVR_ADDRESS4))
			p[*n].addr4 = o->u.override.address4;
		else if (v)
			p[*n].addr4 = v->u.invite.address4;
		if (o && (o->u.override.set & WEFT_OVR_ADDRESS6))
			p[*n].addr6 = o->u.override.address6;
		else if (v)
			p[*n].addr6 = v->u.invite.address6;
		(*n)++;
	}
	*out = p;
	p = NULL;
	ret = 0;
out:
	free(p);
	free(mem);
	free(ov);
	free(inv);
	return ret;
}

/* ---- signing and the network key ---- */

int weft_adminops_sign(struct weft_cli *cli, weft_record_t *r, const weft_keypair_t *kp)
{
	const char *why = NULL;
	int err = weft_record_sign(r, kp);

	if (!err)
		return 0;
	weft_record_check(r, &why);
	weft_cli_fail(cli, "cannot sign the %s record: %s", weft_rec_type_name(r->type),
		      why ? why : weft_strerror(err));
	return -1;
}

int weft_adminops_netkey(struct weft_cli *cli, const weft_keypair_t *admin, uint64_t epoch, uint32_t grace_s,
			 const weft_pk_t *to, size_t n, weft_record_t *out)
{
	uint8_t key[WEFT_NETKEY_LEN], xpk[32];
	char hex[65];
	size_t i;
	int ret = -1;

	randombytes_buf(key, sizeof(key));
	memset(&out[0], 0, sizeof(out[0]));
	out[0].type = WEFT_REC_KEYRING;
	out[0].u.keyring.epoch = epoch;
	out[0].u.keyring.grace_s = grace_s;
	crypto_generichash(out[0].u.keyring.key_hash, sizeof(out[0].u.keyring.key_hash), key, sizeof(key), NULL, 0);
	if (weft_adminops_sign(cli, &out[0], admin))
		goto out;
	for (i = 0; i < n; i++) {
		weft_record_t *r = &out[i + 1];

		memset(r, 0, sizeof(*r));
		r->type = WEFT_REC_KEYSHARE;
		r->u.keyshare.node_id = to[i];
		r->u.keyshare.epoch = epoch;
		if (weft_pk_to_x25519(xpk, &to[i]) || crypto_box_seal(r->u.keyshare.sealed, key, sizeof(key), xpk)) {
			weft_pk_to_hex(hex, &to[i]);
			weft_cli_fail(cli, "cannot seal the network key to node %s (not a valid node id)", hex);
			goto out;
		}
		if (weft_adminops_sign(cli, r, admin))
			goto out;
	}
	ret = 0;
out:
	sodium_memzero(key, sizeof(key));
	return ret;
}

int weft_adminops_next_epoch(struct weft_cli *cli, const char *network, uint64_t *epoch, bool *asked)
{
	weft_record_t held;
	bool found = false;
	int ret = weft_adminops_held(cli, network, WEFT_REC_KEYRING, NULL, &held, &found);

	if (ret < 0)
		return -1;
	*asked = ret == 0;
	*epoch = weft_hlc_next(found ? held.u.keyring.epoch : 0, cli->now_ms / 1000);
	return 0;
}

char *weft_adminops_node_label(char *out, size_t len, const weft_pk_t *id, const char *name)
{
	char hex[65];

	weft_pk_to_hex(hex, id);
	if (name && *name)
		snprintf(out, len, "%s (%.8s)", name, hex);
	else
		snprintf(out, len, "%.16s", hex);
	return out;
}
