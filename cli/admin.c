/* The admin's files: the admin key (0600, secret) and beside it FILE.net,
 * the network settings it signed (persist-framed, not secret), which every
 * admin command needs to sign records for the right network; and how the
 * records an admin command signs reach the network (the local daemon, or
 * a file for 'weft push'). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>
#include <sodium.h>

#include "cli/cli.h"
#include "daemon/ctl.h"
#include "cli/ctlclient.h"
#include "core/error.h"
#include "core/mpack.h"
#include "core/persist.h"
#include "core/token.h"

int weft_cli_settings_path(struct weft_cli *cli, const char *keyfile, char *out, size_t len)
{
	int n = snprintf(out, len, "%s.net", keyfile);

	if (n < 0 || (size_t)n >= len || (size_t)n >= PATH_MAX) {
		weft_cli_fail(cli, "admin key path '%s' is too long", keyfile);
		return -1;
	}
	return 0;
}

static void key_error(struct weft_cli *cli, const char *keyfile, int err)
{
	switch (err) {
	case WEFT_EKEYPERM:
		weft_cli_fail(cli, "admin key %s may be read by group or others; make it private: chmod 600 %s",
			      keyfile, keyfile);
		break;
	case -ENOENT:
		weft_cli_fail(cli, "admin key %s not found; give the file 'weft init' wrote with --admin-key FILE",
			      keyfile);
		break;
	case -ELOOP:
		weft_cli_fail(cli, "admin key %s is a symbolic link; give the key file's real path", keyfile);
		break;
	case WEFT_EMALFORMED:
		weft_cli_fail(cli, "%s is not a weft admin key (expected one line \"weft-ed25519 KEY\")", keyfile);
		break;
	default:
		weft_cli_fail(cli, "cannot read admin key %s: %s", keyfile, weft_strerror(err));
		break;
	}
}

int weft_cli_admin_load(struct weft_cli *cli, const char *keyfile, const char *network, weft_keypair_t *kp,
			weft_record_t *settings)
{
	char netpath[PATH_MAX + 8], fkey[WEFT_FPR_LEN + 1], fnet[WEFT_FPR_LEN + 1];
	const char *why = NULL;
	uint8_t *data = NULL;
	size_t len = 0;
	int ret;

	if (weft_cli_settings_path(cli, keyfile, netpath, sizeof(netpath)))
		return -1;
	ret = weft_keyfile_read_ed25519(keyfile, kp);
	if (ret) {
		key_error(cli, keyfile, ret);
		goto fail;
	}
	ret = weft_persist_read(netpath, WEFT_PERSIST_NETWORK, &data, &len, &why);
	if (ret == -ENOENT) {
		weft_cli_fail(cli,
			      "network settings %s not found: 'weft init' writes them beside the admin key; "
			      "keep %s next to %s",
			      netpath, netpath, keyfile);
		goto fail;
	}
	if (ret) {
		weft_cli_fail(cli, "cannot read network settings %s: %s", netpath, why ? why : weft_strerror(ret));
		goto fail;
	}
	why = NULL;
	if (weft_record_decode(settings, data, len, &why) != 0 || settings->type != WEFT_REC_NETWORK) {
		weft_cli_fail(cli, "%s does not hold network settings (%s)", netpath,
			      why ? why : "another kind of record");
		goto fail;
	}
	if (sodium_memcmp(settings->signer.b, kp->pk.b, WEFT_PK_LEN) != 0) {
		weft_fingerprint(fkey, &kp->pk);
		weft_fingerprint(fnet, &settings->signer);
		weft_cli_fail(cli,
			      "%s belongs to network %s (%s), but %s is the admin key of network %s; "
			      "use the .net file written with this key",
			      netpath, settings->u.network.name, fnet, keyfile, fkey);
		goto fail;
	}
	if (weft_record_verify(settings) != 0) {
		weft_cli_fail(cli,
			      "the signature in %s does not verify (file altered?); "
			      "restore it from a backup",
			      netpath);
		goto fail;
	}
	if (network && strcmp(network, settings->u.network.name) != 0) {
		weft_cli_fail(cli, "%s is the admin key of network '%s', not '%s'", keyfile,
			      settings->u.network.name, network);
		goto fail;
	}
	free(data);
	return 0;
fail:
	free(data);
	weft_keys_wipe(kp, sizeof(*kp));
	return -1;
}

/* ---- handing signed records on ---- */

static int write_out(struct weft_cli *cli, const char *path, const weft_record_t *recs, size_t n)
{
	struct weft_wbuf w = { 0 };
	size_t i, cap = weft_mp_array_size((uint32_t)n);
	int ret;

	for (i = 0; i < n; i++)
		cap += weft_mp_bin_size(recs[i].raw_len);
	w.p = malloc(cap);
	if (!w.p)
		return weft_cli_fail(cli, "out of memory");
	w.cap = cap;
	weft_mp_array(&w, (uint32_t)n);
	for (i = 0; i < n; i++)
		weft_mp_bin(&w, recs[i].raw, recs[i].raw_len);
	/* Signed records are public (a key share is sealed to its member). */
	ret = weft_persist_write(path, WEFT_PERSIST_STORE, w.p, w.len, 0644);
	free(w.p);
	if (ret)
		return weft_cli_fail(cli, "cannot write %s: %s", path, weft_strerror(ret));
	if (!cli->json)
		fprintf(cli->out, "wrote %zu signed record%s to %s; run 'weft push %s' on any member\n", n,
			n == 1 ? "" : "s", path, path);
	return WEFT_CLI_OK;
}

int weft_cli_admin_emit(struct weft_cli *cli, const char *network, const char *out_path, const weft_record_t *recs,
			size_t n)
{
	struct json_object *req, *a, *v;
	struct weft_cli_reply r;
	size_t i, nref;
	char *b64;
	int ret;

	if (n == 0 || n > WEFT_CTL_MAX_RECORDS)
		return weft_cli_fail(cli, "%zu records to hand on; at most %u at a time", n, WEFT_CTL_MAX_RECORDS);
	if (out_path)
		return write_out(cli, out_path, recs, n);
	req = json_object_new_object();
	a = json_object_new_array();
	json_object_object_add(req, "cmd", json_object_new_string("push"));
	json_object_object_add(req, "network", json_object_new_string(network));
	json_object_object_add(req, "records", a);
	for (i = 0; i < n; i++) {
		b64 = weft_ctl_b64(recs[i].raw, recs[i].raw_len);
		if (!b64) {
			json_object_put(req);
			return weft_cli_fail(cli, "out of memory");
		}
		json_object_array_add(a, json_object_new_string(b64));
		free(b64);
	}
	ret = weft_cli_ctl(cli, req, WEFT_CLI_CTL_TIMEOUT_MS, &r);
	json_object_put(req);
	if (ret)
		return weft_cli_ctl_fail(cli, ret, &r,
					 "or sign offline with --out FILE and run 'weft push FILE' on any member");
	nref = json_object_object_get_ex(r.result, "refused", &v) ? json_object_array_length(v) : 0;
	for (i = 0; i < nref; i++) {
		struct json_object *e = json_object_array_get_idx(v, i), *t, *x;

		json_object_object_get_ex(e, "type", &t);
		json_object_object_get_ex(e, "error", &x);
		fprintf(cli->err, "weft: error: the daemon refused the %s record: %s\n", json_object_get_string(t),
			json_object_get_string(x));
	}
	weft_cli_reply_free(&r);
	return nref ? WEFT_CLI_FAIL : WEFT_CLI_OK;
}

int weft_cli_admin_fetch(struct weft_cli *cli, const char *network, unsigned type, weft_record_t **out, size_t *nout)
{
	struct json_object *req, *a;
	struct weft_cli_reply r;
	weft_record_t *recs = NULL;
	uint8_t raw[WEFT_RECORD_MAX];
	size_t i, n, bin;
	const char *s, *why;
	int ret;

	*out = NULL;
	*nout = 0;
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("records"));
	json_object_object_add(req, "network", json_object_new_string(network));
	json_object_object_add(req, "type", json_object_new_string(weft_rec_type_name(type)));
	ret = weft_cli_ctl(cli, req, WEFT_CLI_CTL_TIMEOUT_MS, &r);
	json_object_put(req);
	if (ret < 0)
		return 1;
	if (ret) {
		weft_cli_ctl_fail(cli, ret, &r, NULL);
		return -1;
	}
	if (!json_object_object_get_ex(r.result, "records", &a) || !json_object_is_type(a, json_type_array)) {
		weft_cli_reply_free(&r);
		weft_cli_fail(cli, "the daemon's answer holds no records (is it an older weft? restart it)");
		return -1;
	}
	n = json_object_array_length(a);
	recs = calloc(n ? n : 1, sizeof(*recs));
	if (!recs) {
		weft_cli_reply_free(&r);
		weft_cli_fail(cli, "out of memory");
		return -1;
	}
	for (i = 0; i < n; i++) {
		s = json_object_get_string(json_object_array_get_idx(a, i));
		why = NULL;
		if (!s ||
		    sodium_base642bin(raw, sizeof(raw), s, strlen(s), NULL, &bin, NULL,
				      sodium_base64_VARIANT_ORIGINAL) != 0 ||
		    weft_record_decode(&recs[*nout], raw, bin, &why) != 0 || recs[*nout].type != type)
			continue; /* the daemon held it verified; a bad one here is skipped */
		(*nout)++;
	}
	weft_cli_reply_free(&r);
	*out = recs;
	return 0;
}

static bool hex_prefix_of(const char *arg, const weft_pk_t *id)
{
	char hex[65];
	size_t n = strlen(arg);

	weft_pk_to_hex(hex, id);
	return n >= 4 && n <= 64 && strncasecmp(hex, arg, n) == 0;
}

int weft_cli_admin_node(struct weft_cli *cli, const char *network, const char *arg, weft_pk_t *id)
{
	weft_record_t *st = NULL, *ov = NULL;
	size_t nst = 0, nov = 0, i, j, found = 0;
	const char *name;
	int ret;

	if (strlen(arg) == 64 && weft_pk_from_hex(id, arg) == 0)
		return 0; /* a full id needs no daemon (an offline admin) */
	ret = weft_cli_admin_fetch(cli, network, WEFT_REC_NODE_STATE, &st, &nst);
	if (ret == 1)
		return weft_cli_fail(cli,
				     "cannot ask the daemon which node '%s' is (is it running? "
				     "'systemctl start weft'); or give the node's full id (64 hex digits)",
				     arg);
	if (ret)
		return -1;
	if (weft_cli_admin_fetch(cli, network, WEFT_REC_OVERRIDE, &ov, &nov) < 0) {
		free(st);
		return -1;
	}
	for (i = 0; i < nst; i++) {
		const weft_pk_t *nid = &st[i].u.node_state.node_id;

		name = st[i].u.node_state.name;
		for (j = 0; j < nov; j++)
			if (!memcmp(ov[j].u.override.node_id.b, nid->b, WEFT_PK_LEN) &&
			    (ov[j].u.override.set & WEFT_OVR_NAME))
				name = ov[j].u.override.name;
		if (!strcmp(name, arg) || hex_prefix_of(arg, nid)) {
			if (found && !memcmp(id->b, nid->b, WEFT_PK_LEN))
				continue;
			*id = *nid;
			found++;
		}
	}
	free(st);
	free(ov);
	if (found == 1)
		return 0;
	if (found > 1)
		return weft_cli_fail(cli,
				     "'%s' names more than one node of %s; give more of its id "
				     "('weft peers %s' lists them)",
				     arg, network, network);
	return weft_cli_fail(cli,
			     "no node '%s' in %s; 'weft peers %s' lists the members (a name, or at "
			     "least 4 hex digits of an id)",
			     arg, network, network);
}

/* ---- the roll-over chain (FILE.roll) ---- */

int weft_cli_admin_chain(struct weft_cli *cli, const char *keyfile, const weft_keypair_t *kp, weft_pk_t *network_id,
			 weft_record_t *rolls, uint8_t *nrolls)
{
	char path[PATH_MAX + 8];
	struct weft_rbuf r;
	const uint8_t *p;
	uint8_t *data = NULL;
	const char *why = NULL;
	const weft_pk_t *cur;
	size_t len = 0, n;
	uint32_t cnt, i;
	int ret;

	*nrolls = 0;
	*network_id = kp->pk;
	if (snprintf(path, sizeof(path), "%s.roll", keyfile) >= (int)sizeof(path))
		return weft_cli_fail(cli, "admin key path '%s' is too long", keyfile);
	ret = weft_persist_read(path, WEFT_PERSIST_STORE, &data, &len, &why);
	if (ret == -ENOENT)
		return 0; /* never rolled over: the key is the network id */
	if (ret)
		return weft_cli_fail(cli, "cannot read %s: %s", path, why ? why : weft_strerror(ret));
	r.p = data;
	r.len = len;
	r.off = 0;
	ret = -1;
	if (weft_mp_read_array(&r, &cnt) || cnt == 0 || cnt > WEFT_TOKEN_MAX_ROLLS) {
		weft_cli_fail(cli, "%s does not hold a chain of 1 to %d admin roll-overs", path,
			      WEFT_TOKEN_MAX_ROLLS);
		goto out;
	}
	for (i = 0; i < cnt; i++) {
		why = NULL;
		if (weft_mp_read_bin(&r, &p, &n) || weft_record_decode(&rolls[i], p, n, &why) ||
		    rolls[i].type != WEFT_REC_ADMIN_ROLL || weft_record_verify(&rolls[i])) {
			weft_cli_fail(cli, "%s: roll-over %u is not a valid signed record%s%s", path, i + 1,
				      why ? ": " : "", why ? why : "");
			goto out;
		}
	}
	/* Each names the next signer, the last one this key. */
	for (i = 1; i < cnt; i++)
		if (memcmp(rolls[i].signer.b, rolls[i - 1].u.admin_roll.new_pk.b, WEFT_PK_LEN)) {
			weft_cli_fail(cli, "%s: the roll-overs do not form one chain; restore the file", path);
			goto out;
		}
	cur = &rolls[cnt - 1].u.admin_roll.new_pk;
	if (memcmp(cur->b, kp->pk.b, WEFT_PK_LEN)) {
		weft_cli_fail(cli, "%s leads to another admin key than %s; keep each key's .roll file beside it",
			      path, keyfile);
		goto out;
	}
	*network_id = rolls[0].signer;
	*nrolls = (uint8_t)cnt;
	ret = 0;
out:
	free(data);
	return ret;
}

int weft_cli_admin_write_chain(struct weft_cli *cli, const char *keyfile, const weft_record_t *rolls, size_t n)
{
	char path[PATH_MAX + 8];
	uint8_t buf[WEFT_TOKEN_MAX_ROLLS * (WEFT_RECORD_MAX + 3) + 8];
	struct weft_wbuf w = { .p = buf, .cap = sizeof(buf) };
	size_t i;
	int ret;

	if (n == 0 || n > WEFT_TOKEN_MAX_ROLLS)
		return weft_cli_fail(cli,
				     "the admin key was rolled over %zu times; weft keeps a chain of at most %d", n,
				     WEFT_TOKEN_MAX_ROLLS);
	if (snprintf(path, sizeof(path), "%s.roll", keyfile) >= (int)sizeof(path))
		return weft_cli_fail(cli, "admin key path '%s' is too long", keyfile);
	weft_mp_array(&w, (uint32_t)n);
	for (i = 0; i < n; i++)
		weft_mp_bin(&w, rolls[i].raw, rolls[i].raw_len);
	ret = weft_persist_write(path, WEFT_PERSIST_STORE, w.p, w.len, 0644);
	if (ret)
		return weft_cli_fail(cli, "cannot write %s: %s", path, weft_strerror(ret));
	return 0;
}
