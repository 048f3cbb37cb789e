/* Writes the stored corpus of fuzz-record (tests/fuzz/corpus/record/): every
 * record type at its minimum and at its limits and a few variants, signed
 * with the fixed sample keys, plus edge cases (truncated, trailing bytes,
 * unknown version and type, non-canonical forms, huge headers, maps, deep
 * nesting, a bad signature). Run: build/tests/fuzz/gen-record DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/record.h"

#include "tests/fuzz/record-samples.h"

static const char *dir;

static void put(const char *name, const uint8_t *p, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

static void put_record(const char *name, weft_record_t *r)
{
	weft_keypair_t kp;

	sample_keypair(&kp, sample_signer(r->type));
	if (weft_record_sign(r, &kp) != 0) {
		fprintf(stderr, "%s: sign refused\n", name);
		exit(1);
	}
	put(name, r->raw, r->raw_len);
}

static void variants(void)
{
	static const struct {
		const char *name;
		uint16_t rtype;
		const char *value;
	} dns[] = {
		{ "aaaa", WEFT_DNS_AAAA, "fd00::1" },
		{ "cname", WEFT_DNS_CNAME, "host.example." },
		{ "txt", WEFT_DNS_TXT, "v=spf1 \xe2\x80\x94 -all" },
		{ "srv", WEFT_DNS_SRV, "10 5 5060 sip.example" },
	};
	weft_record_t r;
	char name[64];
	size_t i;

	for (i = 0; i < sizeof(dns) / sizeof(dns[0]); i++) {
		sample_record(&r, WEFT_REC_DNS, false);
		r.u.dns.rtype = dns[i].rtype;
		strcpy(r.u.dns.value, dns[i].value);
		snprintf(name, sizeof(name), "valid-dns-%s", dns[i].name);
		put_record(name, &r);
	}

	sample_record(&r, WEFT_REC_NODE_STATE, false);
	r.u.node_state.version = 1700000000000ull;
	strcpy(r.u.node_state.name, "node-01");
	r.u.node_state.nendpoints = 2;
	sample_ip(&r.u.node_state.endpoints[0].ip, 4, 7);
	r.u.node_state.endpoints[0].port = 51820;
	sample_ip(&r.u.node_state.endpoints[1].ip, 6, 7);
	r.u.node_state.endpoints[1].port = 51820;
	r.u.node_state.nroutes = 1;
	sample_ip(&r.u.node_state.routes[0].ip, 4, 0);
	r.u.node_state.routes[0].ip.b[0] = 192;
	r.u.node_state.routes[0].ip.b[1] = 168;
	r.u.node_state.routes[0].prefix = 24;
	strcpy(r.u.node_state.sw_version, "0.1.0");
	put_record("valid-node_state-typical", &r);

	sample_record(&r, WEFT_REC_OVERRIDE, false);
	r.u.override.set = WEFT_OVR_NAME | WEFT_OVR_TAGS | WEFT_OVR_APPROVED;
	strcpy(r.u.override.name, "db");
	r.u.override.ntags = 2;
	strcpy(r.u.override.tags[0], "db");
	strcpy(r.u.override.tags[1], "prod");
	r.u.override.approved = true;
	put_record("valid-override-partial", &r);

	sample_record(&r, WEFT_REC_POLICY, false);
	r.u.policy.default_action = WEFT_POLICY_DENY;
	r.u.policy.nrules = 2;
	r.u.policy.rules[0] = (struct weft_policy_rule){ WEFT_POLICY_ALLOW, "web", "db" };
	r.u.policy.rules[1] = (struct weft_policy_rule){ WEFT_POLICY_ALLOW, "*", "web" };
	put_record("valid-policy-rules", &r);

	sample_record(&r, WEFT_REC_NETWORK, false);
	strcpy(r.u.network.name, "corp");
	r.u.network.cidr4.ip.b[0] = 100;
	r.u.network.cidr4.ip.b[1] = 64;
	r.u.network.cidr4.prefix = 10;
	r.u.network.wg_port = 51820;
	r.u.network.gossip_port = 51821;
	r.u.network.mtu = 1420;
	put_record("valid-network-default", &r);
}

static void edges(void)
{
	weft_record_t r;
	uint8_t buf[WEFT_RECORD_MAX + 2] = { 0 };
	size_t n;

	put("edge-empty", buf, 0);

	sample_signed(&r, WEFT_REC_NODE_STATE, true);
	put("edge-truncated", r.raw, r.raw_len - 1u);
	put("edge-truncated-half", r.raw, r.raw_len / 2u);

	sample_signed(&r, WEFT_REC_ROTATE, false);
	memcpy(buf, r.raw, r.raw_len);
	buf[r.raw_len] = 0xc0;
	put("edge-trailing", buf, r.raw_len + 1u);
	buf[r.raw_len - 1] ^= 0x01;
	put("edge-bad-signature", buf, r.raw_len);
	memcpy(buf, r.raw, r.raw_len);
	buf[1] = 0x02;
	put("edge-version-2", buf, r.raw_len);
	buf[1] = 0x01;
	buf[2] = WEFT_REC_TYPE_MAX + 1;
	put("edge-type-unknown", buf, r.raw_len);

	/* Rotate [0, 0] with its first 0 as uint16: non-canonical. */
	n = 0;
	memcpy(buf, r.raw, 5 + 32);
	n = 5 + 32;
	memcpy(buf + n, "\x92\xcd\x00\x00\x00", 5);
	n += 5;
	memcpy(buf + n, r.raw + r.raw_len - 66, 66);
	n += 66;
	put("edge-wide-uint", buf, n);

	put("edge-huge-array", (const uint8_t *)"\x95\x01\x0a\xdd\xff\xff\xff\xff", 8);
	put("edge-huge-str", (const uint8_t *)"\x95\x01\x0a\xdb\xff\xff\xff\xff", 8);
	put("edge-map", (const uint8_t *)"\x95\x01\x0a\x80\x00\x00", 6);
	put("edge-float", (const uint8_t *)"\x95\x01\x0a\xcb\x00\x00\x00\x00\x00\x00\x00\x00\x00", 13);
	put("edge-deep", (const uint8_t *)"\x95\x01\x0a\x91\x91\x91\x91\x00\x00\x00", 10);
	memset(buf, 0x90, WEFT_RECORD_MAX + 1);
	put("edge-oversize", buf, WEFT_RECORD_MAX + 1);
}

int main(int argc, char **argv)
{
	weft_record_t r;
	char name[64];
	unsigned t;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	dir = argv[1];
	if (weft_crypto_init())
		return 1;
	for (t = 1; t <= WEFT_REC_TYPE_MAX; t++) {
		if (sample_signed(&r, t, false) != 0)
			return 1;
		snprintf(name, sizeof(name), "valid-%s-min", weft_rec_type_name(t));
		put(name, r.raw, r.raw_len);
		if (sample_signed(&r, t, true) != 0)
			return 1;
		snprintf(name, sizeof(name), "valid-%s-max", weft_rec_type_name(t));
		put(name, r.raw, r.raw_len);
	}
	variants();
	edges();
	return 0;
}
