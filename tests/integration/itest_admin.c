/* Admin records for the daemon's admin-operation integration tests, signed
 * with the admin key and written as a `weft push` file — and the bad ones
 * weft itself will not make: a record whose signature is not its signer's.
 * The admin commands (weft revoke, node, network, rotate, policy) make the
 * good ones too; this lets the daemon's side be tested on its own.
 *
 *   itest-admin KEY OUT rotate                      WG keys older than now
 *   itest-admin KEY OUT network k=v...              cidr= cidr6= mtu= keepalive= lifetime=
 *   itest-admin KEY OUT override NODE k=v...        expires=SECONDS|never tags=a,b approve
 *   itest-admin KEY OUT policy FILE                 a policy file (core/policy.h)
 *   itest-admin KEY OUT revoke NODE
 *   itest-admin KEY OUT forge IN                    IN's records, signatures broken
 *   itest-admin - - local NODEFILE                  prints a node state file's
 *                                                   "WGPUB KEYTIME NETKEY_EPOCH"
 *
 * NODE is a full hex node id; KEY.net holds the network settings. KEY "-"
 * signs with a fresh key that is no one's (network needs a real KEY). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/error.h"
#include "core/keys.h"
#include "core/mpack.h"
#include "core/persist.h"
#include "core/policy.h"
#include "core/record.h"

#define MAX_RECS 8

static weft_record_t recs[MAX_RECS];
static size_t nrecs;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int die(const char *what, const char *why)
{
	fprintf(stderr, "itest-admin: %s: %s\n", what, why);
	return 1;
}

static int write_out(const char *path)
{
	struct weft_wbuf w = { 0 };
	size_t i;
	int ret;

	w.cap = 16 + nrecs * (WEFT_RECORD_MAX + 8);
	w.p = malloc(w.cap);
	if (!w.p)
		return die(path, "out of memory");
	weft_mp_array(&w, (uint32_t)nrecs);
	for (i = 0; i < nrecs; i++)
		weft_mp_bin(&w, recs[i].raw, recs[i].raw_len);
	ret = weft_persist_write(path, WEFT_PERSIST_STORE, w.p, w.len, 0644);
	free(w.p);
	return ret ? die(path, weft_strerror(ret)) : 0;
}

static int sign(weft_record_t *r, const weft_keypair_t *kp)
{
	const char *why = NULL;

	if (weft_record_sign(r, kp)) {
		weft_record_check(r, &why);
		return die("sign", why ? why : "?");
	}
	recs[nrecs++] = *r;
	return 0;
}

static int node_arg(const char *s, weft_pk_t *id)
{
	return weft_pk_from_hex(id, s) ? die(s, "not a node id (64 hex digits)") : 0;
}

static int settings(const char *keyfile, weft_record_t *r)
{
	char path[4096];
	uint8_t *data = NULL;
	size_t len = 0;
	const char *why = NULL;
	int ret;

	snprintf(path, sizeof(path), "%s.net", keyfile);
	ret = weft_persist_read(path, WEFT_PERSIST_NETWORK, &data, &len, &why);
	if (ret)
		return die(path, why ? why : weft_strerror(ret));
	ret = weft_record_decode(r, data, len, &why);
	free(data);
	return ret ? die(path, why) : 0;
}

static int network(const weft_keypair_t *kp, const char *keyfile, int argc, char **argv)
{
	weft_record_t r;
	struct weft_rec_network *nw = &r.u.network;
	uint64_t v;
	int i;

	if (settings(keyfile, &r))
		return 1;
	v = now_ms();
	nw->version = v > nw->version ? v : nw->version + 1;
	for (i = 0; i < argc; i++) {
		const char *a = argv[i], *val = strchr(a, '=');

		if (!val)
			return die(a, "expected k=v");
		val++;
		if (!strncmp(a, "cidr=", 5) && weft_cidr_parse(&nw->cidr4, val) == 0)
			continue;
		if (!strncmp(a, "cidr6=", 6) && weft_cidr_parse(&nw->cidr6, val) == 0)
			continue;
		if (!strncmp(a, "mtu=", 4))
			nw->mtu = (uint16_t)atoi(val);
		else if (!strncmp(a, "keepalive=", 10))
			nw->keepalive = (uint16_t)atoi(val);
		else if (!strncmp(a, "lifetime=", 9))
			nw->wg_key_lifetime = (uint32_t)atoi(val);
		else
			return die(a, "unknown setting or bad value");
	}
	return sign(&r, kp);
}

static int override(const weft_keypair_t *kp, int argc, char **argv)
{
	weft_record_t r;
	struct weft_rec_override *o = &r.u.override;
	char buf[256], *save = NULL, *t;
	int i;

	memset(&r, 0, sizeof(r));
	r.type = WEFT_REC_OVERRIDE;
	if (argc < 1 || node_arg(argv[0], &o->node_id))
		return 1;
	o->version = now_ms();
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strncmp(a, "expires=", 8)) {
			o->set |= WEFT_OVR_EXPIRES;
			o->expires = strcmp(a + 8, "never") ? now_ms() / 1000 + strtoull(a + 8, NULL, 10) : 0;
		} else if (!strncmp(a, "tags=", 5)) {
			o->set |= WEFT_OVR_TAGS;
			snprintf(buf, sizeof(buf), "%s", a + 5);
			for (t = strtok_r(buf, ",", &save); t && o->ntags < WEFT_MAX_TAGS;
			     t = strtok_r(NULL, ",", &save))
				snprintf(o->tags[o->ntags++], WEFT_TAG_MAX + 1, "%s", t);
		} else if (!strcmp(a, "approve")) {
			o->set |= WEFT_OVR_APPROVED;
			o->approved = true;
		} else {
			return die(a, "unknown override field");
		}
	}
	return sign(&r, kp);
}

static int policy(const weft_keypair_t *kp, const char *file)
{
	char text[WEFT_POLICY_TEXT_MAX], err[WEFT_POLICY_ERR_MAX];
	weft_record_t r;
	FILE *f = fopen(file, "r");
	size_t len;

	if (!f)
		return die(file, strerror(errno));
	len = fread(text, 1, sizeof(text), f);
	fclose(f);
	memset(&r, 0, sizeof(r));
	r.type = WEFT_REC_POLICY;
	if (weft_policy_parse(text, len, &r.u.policy, err, sizeof(err)))
		return die(file, err);
	r.u.policy.version = now_ms();
	return sign(&r, kp);
}

static int forge(const char *in)
{
	uint8_t *data = NULL;
	const char *why = NULL;
	size_t len = 0, off, i;
	int ret;

	ret = weft_persist_read(in, WEFT_PERSIST_STORE, &data, &len, &why);
	if (ret)
		return die(in, why ? why : weft_strerror(ret));
	/* A msgpack array of bin 8/16 records, as weft writes them. */
	for (off = 1, i = 0; off + 3 < len && nrecs < MAX_RECS; i++) {
		size_t rl = data[off] == 0xc4 ? data[off + 1] : ((size_t)data[off + 1] << 8 | data[off + 2]);
		size_t hl = data[off] == 0xc4 ? 2 : 3;
		weft_record_t *r = &recs[nrecs];

		if (weft_record_decode(r, data + off + hl, rl, &why)) {
			free(data);
			return die(in, why);
		}
		/* The signature is the last bytes of the record: one bit
		 * flipped, it verifies for no one. */
		r->raw[r->raw_len - 1] ^= 0x01;
		nrecs++;
		off += hl + rl;
	}
	free(data);
	return nrecs ? 0 : die(in, "no records");
}

/* What a node's state file says of its keys (daemon/netstate.c's "node"
 * file: format, network, network id, identity seed, WireGuard private key,
 * its time, network key, its epoch, ...): "WGPUB KEYTIME EPOCH". */
static int local(const char *path)
{
	struct weft_rbuf r = { 0 };
	const uint8_t *b;
	uint8_t *data = NULL;
	const char *why = NULL;
	char pub64[WEFT_WGKEY_B64_LEN + 1];
	weft_wgkey_t priv, pub;
	uint64_t keytime = 0, epoch = 0, v;
	uint32_t n;
	size_t len = 0, bl;
	int ret;

	ret = weft_persist_read(path, WEFT_PERSIST_LOCAL, &data, &len, &why);
	if (ret)
		return die(path, why ? why : weft_strerror(ret));
	r.p = data;
	r.len = len;
	ret = weft_mp_read_array(&r, &n) || weft_mp_read_uint(&r, &v) || weft_mp_read_str(&r, &b, &bl) ||
	      weft_mp_read_binfix(&r, &b, WEFT_PK_LEN) || weft_mp_read_binfix(&r, &b, WEFT_SEED_LEN) ||
	      weft_mp_read_binfix(&r, &b, WEFT_WGKEY_LEN);
	if (!ret) {
		memcpy(priv.b, b, WEFT_WGKEY_LEN);
		ret = weft_mp_read_uint(&r, &keytime) ||
		      (weft_mp_peek(&r) == WEFT_MP_NIL ? weft_mp_read_nil(&r) : weft_mp_read_binfix(&r, &b, 32)) ||
		      weft_mp_read_uint(&r, &epoch);
	}
	weft_keys_wipe(data, len);
	free(data);
	if (ret)
		return die(path, "not a node state file");
	weft_wgkey_public(&pub, &priv);
	weft_keys_wipe(&priv, sizeof(priv));
	weft_key_to_base64(pub64, pub.b);
	printf("%s %llu %llu\n", pub64, (unsigned long long)keytime, (unsigned long long)epoch);
	return 0;
}

int main(int argc, char **argv)
{
	weft_keypair_t kp;
	weft_record_t r;
	const char *cmd;
	int ret;

	if (weft_crypto_init() || argc < 4) {
		fprintf(stderr, "usage: itest-admin KEY OUT rotate|network|override|policy|revoke|forge ...\n");
		return 2;
	}
	cmd = argv[3];
	if (!strcmp(cmd, "local"))
		return argc == 5 ? local(argv[4]) : die(cmd, "local NODEFILE");
	if (!strcmp(cmd, "forge")) {
		ret = argc == 5 ? forge(argv[4]) : die(cmd, "forge IN");
		return ret ? ret : write_out(argv[2]);
	}
	/* "-": a key that is no one's, for records no network should take. */
	if (!strcmp(argv[1], "-"))
		weft_keypair_generate(&kp);
	else if ((ret = weft_keyfile_read_ed25519(argv[1], &kp)) != 0)
		return die(argv[1], weft_strerror(ret));
	memset(&r, 0, sizeof(r));
	if (!strcmp(cmd, "rotate")) {
		r.type = WEFT_REC_ROTATE;
		r.u.rotate.version = now_ms();
		r.u.rotate.older_than = now_ms() / 1000;
		ret = sign(&r, &kp);
	} else if (!strcmp(cmd, "network")) {
		ret = network(&kp, argv[1], argc - 4, argv + 4);
	} else if (!strcmp(cmd, "override")) {
		ret = override(&kp, argc - 4, argv + 4);
	} else if (!strcmp(cmd, "policy") && argc == 5) {
		ret = policy(&kp, argv[4]);
	} else if (!strcmp(cmd, "revoke") && argc == 5) {
		r.type = WEFT_REC_REVOCATION;
		r.u.revocation.time = now_ms() / 1000;
		snprintf(r.u.revocation.reason, sizeof(r.u.revocation.reason), "test");
		ret = node_arg(argv[4], &r.u.revocation.node_id) || sign(&r, &kp);
	} else {
		ret = die(cmd, "unknown command or wrong arguments");
	}
	weft_keys_wipe(&kp, sizeof(kp));
	return ret ? 1 : write_out(argv[2]);
}
