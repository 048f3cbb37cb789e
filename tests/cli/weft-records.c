/* weft-records FILE: the signed records of an admin command's --out file,
 * one line each, for tests/cli/test-admin.sh:
 *
 *     TYPE signer=HEX sig=ok|BAD [subject fields]
 *
 * Exit 0 when every record decodes and its signature verifies, 1 otherwise
 * (a line says which), 2 on a usage error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mpack.h"
#include "core/persist.h"
#include "core/record.h"

static void fields(const weft_record_t *r)
{
	char hex[65], a[WEFT_CIDRSTRLEN];

	switch (r->type) {
	case WEFT_REC_NETWORK:
		printf(" name=%s version=%llu cidr=%s mtu=%u", r->u.network.name,
		       (unsigned long long)r->u.network.version, weft_cidr_format(&r->u.network.cidr4, a, sizeof(a)),
		       r->u.network.mtu);
		break;
	case WEFT_REC_OVERRIDE:
		weft_pk_to_hex(hex, &r->u.override.node_id);
		printf(" node=%s version=%llu set=0x%x name=%s expires=%llu", hex,
		       (unsigned long long)r->u.override.version, r->u.override.set, r->u.override.name,
		       (unsigned long long)r->u.override.expires);
		break;
	case WEFT_REC_REVOCATION:
		weft_pk_to_hex(hex, &r->u.revocation.node_id);
		printf(" node=%s reason=%s", hex, r->u.revocation.reason);
		break;
	case WEFT_REC_KEYRING:
		printf(" epoch=%llu grace=%u", (unsigned long long)r->u.keyring.epoch, r->u.keyring.grace_s);
		break;
	case WEFT_REC_KEYSHARE:
		weft_pk_to_hex(hex, &r->u.keyshare.node_id);
		printf(" node=%s epoch=%llu", hex, (unsigned long long)r->u.keyshare.epoch);
		break;
	case WEFT_REC_ROTATE:
		printf(" version=%llu older_than=%llu", (unsigned long long)r->u.rotate.version,
		       (unsigned long long)r->u.rotate.older_than);
		break;
	case WEFT_REC_POLICY:
		printf(" version=%llu default=%s rules=%u", (unsigned long long)r->u.policy.version,
		       r->u.policy.default_action == WEFT_POLICY_DENY ? "deny" : "allow", r->u.policy.nrules);
		break;
	case WEFT_REC_ADMIN_ROLL:
		weft_pk_to_hex(hex, &r->u.admin_roll.new_pk);
		printf(" new=%s version=%llu", hex, (unsigned long long)r->u.admin_roll.version);
		break;
	default:
		break;
	}
}

int main(int argc, char **argv)
{
	struct weft_rbuf rb;
	weft_record_t r;
	const uint8_t *p;
	const char *why = NULL;
	uint8_t *data = NULL;
	size_t len = 0, bl;
	uint32_t n, i;
	char hex[65];
	int bad = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: weft-records FILE\n");
		return 2;
	}
	if (weft_crypto_init() != 0 || weft_persist_read(argv[1], WEFT_PERSIST_STORE, &data, &len, &why) != 0) {
		fprintf(stderr, "weft-records: cannot read %s: %s\n", argv[1], why ? why : "error");
		return 1;
	}
	rb = (struct weft_rbuf){ .p = data, .len = len };
	if (weft_mp_read_array(&rb, &n) != 0) {
		fprintf(stderr, "weft-records: %s holds no list of records\n", argv[1]);
		free(data);
		return 1;
	}
	for (i = 0; i < n; i++) {
		if (weft_mp_read_bin(&rb, &p, &bl) != 0 || weft_record_decode(&r, p, bl, &why) != 0) {
			printf("record %u: undecodable (%s)\n", i, why ? why : "not a bin");
			bad = 1;
			break;
		}
		weft_pk_to_hex(hex, &r.signer);
		printf("%s signer=%s sig=%s", weft_rec_type_name(r.type), hex,
		       weft_record_verify(&r) ? "BAD" : "ok");
		fields(&r);
		printf("\n");
		if (weft_record_verify(&r))
			bad = 1;
	}
	if (!bad && weft_mp_end(&rb) != 0) {
		printf("trailing bytes\n");
		bad = 1;
	}
	free(data);
	return bad;
}
