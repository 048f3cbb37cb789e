/* Invite tokens: the text codec against an independent msgpack-c encoding,
 * rejection of every altered or truncated token, the trust checks of
 * verify (signer, signature, invite secret, expiry) and wiping. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <msgpack.h>
#include <sodium.h>

#include "core/error.h"
#include "core/token.h"

#define T_CREATED 1795000000ull
#define T_EXPIRES 1795168800ull /* 2026-11-20 10:00:00 UTC */

static void seed_of(uint8_t seed[32], uint8_t v)
{
	memset(seed, v, 32);
	seed[31] = 0x5a;
}

static void make_kp(weft_keypair_t *kp, uint8_t v)
{
	uint8_t seed[32];

	seed_of(seed, v);
	weft_keypair_from_seed(kp, seed);
}

static void make_settings(weft_record_t *r, const weft_keypair_t *admin, const char *name)
{
	struct weft_rec_network *n = &r->u.network;

	memset(r, 0, sizeof(*r));
	r->type = WEFT_REC_NETWORK;
	n->version = 1700000000000ull;
	snprintf(n->name, sizeof(n->name), "%s", name);
	assert_int_equal(weft_cidr_parse(&n->cidr4, "10.42.0.0/16"), 0);
	assert_int_equal(weft_cidr_parse(&n->cidr6, "fd42::/64"), 0);
	n->wg_port = 51820;
	n->gossip_port = 51821;
	n->mtu = 1420;
	n->keepalive = 25;
	assert_int_equal(weft_record_sign(r, admin), 0);
}

static void make_invite(weft_record_t *r, const weft_keypair_t *admin, const weft_keypair_t *ikp, uint64_t expires)
{
	struct weft_rec_invite *i = &r->u.invite;

	memset(r, 0, sizeof(*r));
	r->type = WEFT_REC_INVITE;
	i->invite_pk = ikp->pk;
	i->created = T_CREATED;
	i->expires = expires;
	i->max_uses = 3;
	i->approval = true;
	snprintf(i->name, sizeof(i->name), "laptop");
	assert_int_equal(weft_ip_parse(&i->address4, "10.42.0.7"), 0);
	i->ntags = 2;
	snprintf(i->tags[0], sizeof(i->tags[0]), "dev");
	snprintf(i->tags[1], sizeof(i->tags[1]), "eu");
	assert_int_equal(weft_record_sign(r, admin), 0);
}

/* A token of network "home" (admin seed 0x11), invite seed 0x22. */
static void make_token(weft_token_t *t, uint64_t expires)
{
	weft_keypair_t admin;

	memset(t, 0, sizeof(*t));
	make_kp(&admin, 0x11);
	make_kp(&t->invite_kp, 0x22);
	t->network_id = admin.pk;
	make_settings(&t->settings, &admin, "home");
	make_invite(&t->invite, &admin, &t->invite_kp, expires);
	t->nbootstrap = 2;
	snprintf(t->bootstrap[0], WEFT_HOSTPORT_MAX, "203.0.113.5:51821");
	snprintf(t->bootstrap[1], WEFT_HOSTPORT_MAX, "[2001:db8::1]:51821");
	sodium_memzero(&admin, sizeof(admin));
}

static void encode_ok(const weft_token_t *t, char out[WEFT_TOKEN_MAX])
{
	assert_int_equal(weft_token_encode(t, out, WEFT_TOKEN_MAX), 0);
	assert_true(strncmp(out, WEFT_TOKEN_PREFIX, strlen(WEFT_TOKEN_PREFIX)) == 0);
	assert_true(strlen(out) < WEFT_TOKEN_MAX);
}

/* Wrap a payload the test built itself: checksum (first 4 bytes of
 * BLAKE2b-256, as token.h says), base64url without padding, prefix. */
static void wrap(const uint8_t *payload, size_t len, char *out, size_t cap)
{
	uint8_t buf[8192], h[32];

	assert_true(len + 4 <= sizeof(buf));
	memcpy(buf, payload, len);
	crypto_generichash(h, sizeof(h), payload, len, NULL, 0);
	memcpy(buf + len, h, 4);
	assert_true(cap > 6 + sodium_base64_ENCODED_LEN(len + 4, sodium_base64_VARIANT_URLSAFE_NO_PADDING));
	memcpy(out, "weft1-", 6);
	sodium_bin2base64(out + 6, cap - 6, buf, len + 4, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static void pack_bin(msgpack_packer *pk, const void *p, size_t n)
{
	msgpack_pack_bin(pk, n);
	msgpack_pack_bin_body(pk, p, n);
}

/* The token's array through msgpack-c, so the codec is checked against an
 * encoder it does not share code with. nfields/version/nboot let tests
 * build variants the real encoder refuses to make. */
static void pack_token(msgpack_sbuffer *sb, const weft_token_t *t, unsigned version, size_t nfields, size_t nboot,
		       size_t idlen)
{
	msgpack_packer pk;
	size_t i;

	msgpack_sbuffer_init(sb);
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, nfields);
	msgpack_pack_unsigned_int(&pk, version);
	pack_bin(&pk, t->network_id.b, idlen);
	pack_bin(&pk, t->settings.raw, t->settings.raw_len);
	pack_bin(&pk, t->invite.raw, t->invite.raw_len);
	pack_bin(&pk, t->invite_kp.sk, 32);
	msgpack_pack_array(&pk, nboot);
	for (i = 0; i < nboot; i++) {
		const char *s = t->bootstrap[i % WEFT_TOKEN_MAX_BOOTSTRAP];

		msgpack_pack_str(&pk, strlen(s));
		msgpack_pack_str_body(&pk, s, strlen(s));
	}
}

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

static void test_roundtrip(void **state)
{
	weft_token_t t, d;
	char text[WEFT_TOKEN_MAX], again[WEFT_TOKEN_MAX];
	const char *why = NULL;

	make_token(&t, T_EXPIRES);
	encode_ok(&t, text);
	assert_int_equal(weft_token_decode(&d, text, &why), 0);
	assert_memory_equal(d.network_id.b, t.network_id.b, 32);
	assert_int_equal(d.settings.raw_len, t.settings.raw_len);
	assert_memory_equal(d.settings.raw, t.settings.raw, t.settings.raw_len);
	assert_memory_equal(d.invite.raw, t.invite.raw, t.invite.raw_len);
	assert_memory_equal(&d.invite_kp, &t.invite_kp, sizeof(t.invite_kp));
	assert_string_equal(d.settings.u.network.name, "home");
	assert_int_equal(d.invite.u.invite.max_uses, 3);
	assert_int_equal(d.nbootstrap, 2);
	assert_string_equal(d.bootstrap[0], "203.0.113.5:51821");
	assert_string_equal(d.bootstrap[1], "[2001:db8::1]:51821");
	assert_int_equal(weft_token_verify(&d, T_CREATED, &why), 0);
	assert_int_equal(weft_token_verify(&d, T_EXPIRES - 1, &why), 0);
	encode_ok(&d, again);
	assert_string_equal(again, text);

	/* A buffer one byte short is refused, and the exact size works. */
	assert_int_equal(weft_token_encode(&t, again, strlen(text)), -ENOSPC);
	assert_int_equal(weft_token_encode(&t, again, strlen(text) + 1), 0);
	assert_string_equal(again, text);
	weft_token_wipe(&t);
	weft_token_wipe(&d);
}

/* The encoding is the one token.h describes: the same array built with
 * msgpack-c and wrapped by the test gives the same text, and decodes. */
static void test_matches_header_format(void **state)
{
	weft_token_t t, d;
	msgpack_sbuffer sb;
	char text[WEFT_TOKEN_MAX], ref[WEFT_TOKEN_MAX];

	make_token(&t, T_EXPIRES);
	encode_ok(&t, text);
	pack_token(&sb, &t, 1, 6, t.nbootstrap, 32);
	wrap((const uint8_t *)sb.data, sb.size, ref, sizeof(ref));
	msgpack_sbuffer_destroy(&sb);
	assert_string_equal(text, ref);
	assert_int_equal(weft_token_decode(&d, ref, NULL), 0);
	weft_token_wipe(&t);
	weft_token_wipe(&d);
}

static void test_every_byte_change_rejected(void **state)
{
	weft_token_t t, d;
	char text[WEFT_TOKEN_MAX], bad[WEFT_TOKEN_MAX];
	size_t len, i, tried = 0;
	unsigned c;

	make_token(&t, T_EXPIRES);
	encode_ok(&t, text);
	len = strlen(text);
	memcpy(bad, text, len + 1);
	for (i = 0; i < len; i++) {
		for (c = 1; c < 256; c++) {
			if (c == (unsigned char)text[i])
				continue;
			bad[i] = (char)c;
			if (weft_token_decode(&d, bad, NULL) != WEFT_EBADTOKEN)
				fail_msg("change of byte %zu to 0x%02x accepted", i, c);
			tried++;
		}
		bad[i] = text[i];
	}
	assert_int_equal(tried, len * 254);
	/* d was wiped by every failed decode. */
	assert_true(all_zero(&d, sizeof(d)));
	weft_token_wipe(&t);
}

static void test_every_truncation_rejected(void **state)
{
	weft_token_t t, d;
	char text[WEFT_TOKEN_MAX], bad[WEFT_TOKEN_MAX];
	const char *why = NULL;
	size_t len, i;

	make_token(&t, T_EXPIRES);
	encode_ok(&t, text);
	len = strlen(text);
	for (i = 0; i < len; i++) {
		memcpy(bad, text, i);
		bad[i] = '\0';
		if (weft_token_decode(&d, bad, &why) != WEFT_EBADTOKEN)
			fail_msg("truncation to %zu chars accepted", i);
		assert_non_null(why);
	}
	/* A character appended, and a newline left by a paste. */
	for (i = 0; i < 2; i++) {
		memcpy(bad, text, len);
		bad[len] = i ? '\n' : 'A';
		bad[len + 1] = '\0';
		assert_int_equal(weft_token_decode(&d, bad, &why), WEFT_EBADTOKEN);
	}
	/* Dropping the last character is reported as such. */
	memcpy(bad, text, len - 1);
	bad[len - 1] = '\0';
	assert_int_equal(weft_token_decode(&d, bad, &why), WEFT_EBADTOKEN);
	assert_non_null(strstr(why, "truncated"));
	weft_token_wipe(&t);
}

static void test_reasons(void **state)
{
	weft_token_t t, d;
	char text[WEFT_TOKEN_MAX];
	const char *why = NULL;
	size_t mid;

	assert_int_equal(weft_token_decode(&d, "hello", &why), WEFT_EBADTOKEN);
	assert_non_null(strstr(why, "not a weft invite token"));
	assert_int_equal(weft_token_decode(&d, "", &why), WEFT_EBADTOKEN);
	assert_int_equal(weft_token_decode(&d, NULL, &why), WEFT_EBADTOKEN);
	assert_int_equal(weft_token_decode(&d, "weft2-AAAA", &why), WEFT_EBADTOKEN);
	assert_non_null(strstr(why, "newer weft"));
	assert_int_equal(weft_token_decode(&d, "weft1-", &why), WEFT_EBADTOKEN);
	assert_int_equal(weft_token_decode(&d, "weft1-AAAA", &why), WEFT_EBADTOKEN);
	assert_non_null(strstr(why, "truncated"));
	assert_int_equal(weft_token_decode(&d, "weft1-AAAAAAAAAAAA", &why), WEFT_EBADTOKEN);
	assert_non_null(strstr(why, "checksum"));
	/* libsodium 1.0.18 decodes some bytes >= 0x80 as letters. */
	assert_int_equal(weft_token_decode(&d,
					   "weft1-AAAA\x80"
					   "AAAAAAA",
					   &why),
			 WEFT_EBADTOKEN);
	assert_non_null(strstr(why, "base64url"));

	make_token(&t, T_EXPIRES);
	encode_ok(&t, text);
	mid = strlen(text) / 2;
	text[mid] = text[mid] == 'A' ? 'B' : 'A';
	assert_int_equal(weft_token_decode(&d, text, &why), WEFT_EBADTOKEN);
	assert_string_equal(why, "token was altered or truncated (checksum mismatch)");
	text[mid] = '+'; /* standard base64, not the URL-safe alphabet */
	assert_int_equal(weft_token_decode(&d, text, &why), WEFT_EBADTOKEN);
	assert_non_null(strstr(why, "altered"));
	weft_token_wipe(&t);
}

/* Structures with a valid checksum that the decoder must still refuse. */
static void test_strict_structure(void **state)
{
	weft_token_t t, d;
	msgpack_sbuffer sb;
	char text[8192];
	const char *why = NULL;
	uint8_t buf[4096];

	make_token(&t, T_EXPIRES);
	/* Unknown format version. */
	pack_token(&sb, &t, 2, 6, 2, 32);
	wrap((const uint8_t *)sb.data, sb.size, text, sizeof(text));
	assert_int_equal(weft_token_decode(&d, text, &why), WEFT_EBADTOKEN);
	assert_non_null(strstr(why, "newer weft"));
	msgpack_sbuffer_destroy(&sb);
	/* Wrong field count (the seventh field is never written). */
	pack_token(&sb, &t, 1, 7, 2, 32);
	wrap((const uint8_t *)sb.data, sb.size, text, sizeof(text));
	assert_int_equal(weft_token_decode(&d, text, &why), WEFT_EBADTOKEN);
	msgpack_sbuffer_destroy(&sb);
	/* A 31-byte network id. */
	pack_token(&sb, &t, 1, 6, 2, 31);
	wrap((const uint8_t *)sb.data, sb.size, text, sizeof(text));
	assert_int_equal(weft_token_decode(&d, text, &why), WEFT_EBADTOKEN);
	assert_non_null(strstr(why, "network id"));
	msgpack_sbuffer_destroy(&sb);
	/* Nine bootstrap endpoints. */
	pack_token(&sb, &t, 1, 6, 9, 32);
	wrap((const uint8_t *)sb.data, sb.size, text, sizeof(text));
	assert_int_equal(weft_token_decode(&d, text, &why), WEFT_EBADTOKEN);
	assert_non_null(strstr(why, "bootstrap"));
	msgpack_sbuffer_destroy(&sb);
	/* Trailing byte after the array, and a non-minimal version number. */
	pack_token(&sb, &t, 1, 6, 2, 32);
	assert_true(sb.size + 1 < sizeof(buf));
	memcpy(buf, sb.data, sb.size);
	buf[sb.size] = 0xc0;
	wrap(buf, sb.size + 1, text, sizeof(text));
	assert_int_equal(weft_token_decode(&d, text, &why), WEFT_EBADTOKEN);
	assert_non_null(strstr(why, "trailing"));
	assert_true(all_zero(&d, sizeof(d)));
	buf[0] = 0x96;
	buf[1] = 0xcc;
	buf[2] = 0x01;
	memcpy(buf + 3, sb.data + 2, sb.size - 2);
	wrap(buf, sb.size + 1, text, sizeof(text));
	assert_int_equal(weft_token_decode(&d, text, &why), WEFT_EBADTOKEN);
	msgpack_sbuffer_destroy(&sb);
	/* The records swapped: each slot checks its record's type. */
	{
		weft_record_t tmp = t.settings;

		t.settings = t.invite;
		t.invite = tmp;
		pack_token(&sb, &t, 1, 6, 2, 32);
		wrap((const uint8_t *)sb.data, sb.size, text, sizeof(text));
		assert_int_equal(weft_token_decode(&d, text, &why), WEFT_EBADTOKEN);
		assert_non_null(strstr(why, "wrong type"));
		msgpack_sbuffer_destroy(&sb);
	}
	/* A bootstrap endpoint that is not HOST:PORT. */
	make_token(&t, T_EXPIRES);
	snprintf(t.bootstrap[1], WEFT_HOSTPORT_MAX, "no-port");
	pack_token(&sb, &t, 1, 6, 2, 32);
	wrap((const uint8_t *)sb.data, sb.size, text, sizeof(text));
	assert_int_equal(weft_token_decode(&d, text, &why), WEFT_EBADTOKEN);
	assert_non_null(strstr(why, "port"));
	msgpack_sbuffer_destroy(&sb);
	weft_token_wipe(&t);
}

static void roundtrip_verify(weft_token_t *t, uint64_t now, int want, const char **why)
{
	weft_token_t d;
	char text[WEFT_TOKEN_MAX];

	encode_ok(t, text);
	assert_int_equal(weft_token_decode(&d, text, why), 0);
	assert_int_equal(weft_token_verify(&d, now, why), want);
	weft_token_wipe(&d);
}

/* Replace every copy of one 32-byte key inside a record's raw bytes and
 * decode it again: a record that claims a signer it was not signed by. */
static void forge_signer(weft_record_t *r, const weft_pk_t *from, const weft_pk_t *to)
{
	weft_record_t out;
	size_t i;
	int n = 0;

	for (i = 0; i + 32 <= r->raw_len; i++) {
		if (memcmp(r->raw + i, from->b, 32) == 0) {
			memcpy(r->raw + i, to->b, 32);
			n++;
		}
	}
	assert_true(n >= 1);
	assert_int_equal(weft_record_decode(&out, r->raw, r->raw_len, NULL), 0);
	*r = out;
}

static void test_other_key(void **state)
{
	weft_token_t t;
	weft_keypair_t admin, other;
	const char *why = NULL;

	make_kp(&admin, 0x11);
	make_kp(&other, 0x33);

	/* Settings signed by another admin, network id kept. */
	make_token(&t, T_EXPIRES);
	make_settings(&t.settings, &other, "home");
	roundtrip_verify(&t, T_CREATED, WEFT_EWRONGNET, &why);
	assert_non_null(strstr(why, "another network's key"));

	/* Invite signed by another admin. */
	make_token(&t, T_EXPIRES);
	make_invite(&t.invite, &other, &t.invite_kp, T_EXPIRES);
	roundtrip_verify(&t, T_CREATED, WEFT_EWRONGNET, &why);
	assert_non_null(strstr(why, "another network's key"));

	/* Both records and the network id of the other network, but claiming
	 * our network id as signer: the signatures do not verify. */
	make_token(&t, T_EXPIRES);
	make_invite(&t.invite, &other, &t.invite_kp, T_EXPIRES);
	forge_signer(&t.invite, &other.pk, &admin.pk);
	roundtrip_verify(&t, T_CREATED, WEFT_EBADSIG, &why);
	assert_non_null(strstr(why, "signature"));

	make_token(&t, T_EXPIRES);
	make_settings(&t.settings, &other, "home");
	forge_signer(&t.settings, &other.pk, &admin.pk);
	roundtrip_verify(&t, T_CREATED, WEFT_EBADSIG, &why);

	/* A whole token of the other network relabelled with our id. */
	make_token(&t, T_EXPIRES);
	make_settings(&t.settings, &other, "home");
	make_invite(&t.invite, &other, &t.invite_kp, T_EXPIRES);
	roundtrip_verify(&t, T_CREATED, WEFT_EWRONGNET, &why);
	t.network_id = other.pk; /* consistent again: it verifies */
	roundtrip_verify(&t, T_CREATED, 0, &why);

	/* The invite secret of another invite. */
	make_token(&t, T_EXPIRES);
	make_kp(&t.invite_kp, 0x44);
	roundtrip_verify(&t, T_CREATED, WEFT_EBADTOKEN, &why);
	assert_non_null(strstr(why, "invite secret"));
	/* ... or a public half stored beside the seed that does not match. */
	make_token(&t, T_EXPIRES);
	t.invite_kp.pk.b[0] ^= 1;
	assert_int_equal(weft_token_verify(&t, T_CREATED, &why), WEFT_EBADTOKEN);

	weft_token_wipe(&t);
	sodium_memzero(&admin, sizeof(admin));
	sodium_memzero(&other, sizeof(other));
}

static void test_expiry(void **state)
{
	weft_token_t t;
	const char *why = NULL;

	make_token(&t, T_EXPIRES);
	roundtrip_verify(&t, T_EXPIRES - 1, 0, &why);
	roundtrip_verify(&t, T_EXPIRES, WEFT_EEXPIRED, &why);
	assert_string_equal(why, "invite expired on 2026-11-20 10:00 UTC");
	roundtrip_verify(&t, UINT64_MAX, WEFT_EEXPIRED, &why);

	/* expires = 0: never. */
	make_token(&t, 0);
	roundtrip_verify(&t, UINT64_MAX, 0, &why);
	weft_token_wipe(&t);
}

static void test_bootstrap_limits(void **state)
{
	weft_token_t t, d;
	char text[WEFT_TOKEN_MAX], host[WEFT_HOSTPORT_MAX];
	size_t i;

	/* No endpoint at all is a valid token (the joiner then needs one). */
	make_token(&t, T_EXPIRES);
	t.nbootstrap = 0;
	encode_ok(&t, text);
	assert_int_equal(weft_token_decode(&d, text, NULL), 0);
	assert_int_equal(d.nbootstrap, 0);

	/* Eight of the longest valid endpoint (253-char name, 5-digit port). */
	memset(host, 'a', 253);
	host[63] = host[127] = host[191] = '.';
	memcpy(host + 253, ":65535", 7);
	assert_int_equal(strlen(host), 259);
	assert_int_equal(weft_token_check_bootstrap(host, NULL), 0);
	t.nbootstrap = WEFT_TOKEN_MAX_BOOTSTRAP;
	for (i = 0; i < WEFT_TOKEN_MAX_BOOTSTRAP; i++)
		memcpy(t.bootstrap[i], host, sizeof(host));
	encode_ok(&t, text);
	assert_int_equal(weft_token_decode(&d, text, NULL), 0);
	assert_int_equal(d.nbootstrap, WEFT_TOKEN_MAX_BOOTSTRAP);
	assert_string_equal(d.bootstrap[7], host);
	assert_int_equal(weft_token_verify(&d, T_CREATED, NULL), 0);

	/* Nine are refused. */
	t.nbootstrap = WEFT_TOKEN_MAX_BOOTSTRAP + 1;
	assert_int_equal(weft_token_encode(&t, text, sizeof(text)), WEFT_EOVERSIZE);
	/* A bad one is refused. */
	t.nbootstrap = 1;
	snprintf(t.bootstrap[0], WEFT_HOSTPORT_MAX, "example.org");
	assert_int_equal(weft_token_encode(&t, text, sizeof(text)), WEFT_EBADADDR);
	/* Records at their largest with eight of the longest endpoints would
	 * make a token past WEFT_TOKEN_MAX: refused. */
	make_token(&t, T_EXPIRES);
	t.nbootstrap = WEFT_TOKEN_MAX_BOOTSTRAP;
	for (i = 0; i < WEFT_TOKEN_MAX_BOOTSTRAP; i++)
		memcpy(t.bootstrap[i], host, sizeof(host));
	encode_ok(&t, text);
	t.settings.raw_len = WEFT_RECORD_MAX;
	t.invite.raw_len = WEFT_RECORD_MAX;
	assert_int_equal(weft_token_encode(&t, text, sizeof(text)), WEFT_EOVERSIZE);
	t.settings.raw_len = WEFT_RECORD_MAX + 1;
	assert_int_equal(weft_token_encode(&t, text, sizeof(text)), -EINVAL);
	weft_token_wipe(&t);
	weft_token_wipe(&d);
}

static void test_check_bootstrap(void **state)
{
	static const char *good[] = {
		"203.0.113.5:51821", "[2001:db8::1]:51821", "node-1.example.org:1", "a:65535", "localhost:51821",
		"[::1]:9",           "10.0.0.1:80",
	};
	static const char *bad[] = {
		"",
		"host",
		":51821",
		"host:",
		"host:0",
		"host:65536",
		"host:051821",
		"host:5x",
		"2001:db8::1:51821",
		"[2001:db8::1:51821",
		"[10.0.0.1]:5",
		"[]:5",
		"-bad.example:1",
		"bad-.example:1",
		"a..b:1",
		".a:1",
		"x.:1",
		"999.1.1.1:1",
		"10.0.0:1",
		"host name:1",
		"h\xc3\xa9:1",
		"host:123456",
	};
	char longhost[300];
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (weft_token_check_bootstrap(good[i], NULL) != 0)
			fail_msg("refused good endpoint %s", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		if (weft_token_check_bootstrap(bad[i], &why) != WEFT_EBADADDR)
			fail_msg("accepted bad endpoint \"%s\"", bad[i]);
		assert_non_null(why);
	}
	assert_int_equal(weft_token_check_bootstrap(NULL, NULL), WEFT_EBADADDR);
	/* 254 chars of name, and a 64-char label. */
	memset(longhost, 'a', 254);
	longhost[63] = longhost[127] = longhost[191] = '.';
	memcpy(longhost + 254, ":1", 3);
	assert_int_equal(weft_token_check_bootstrap(longhost, NULL), WEFT_EBADADDR);
	memset(longhost, 'a', 64);
	memcpy(longhost + 64, ":1", 3);
	assert_int_equal(weft_token_check_bootstrap(longhost, NULL), WEFT_EBADADDR);
	longhost[62] = '.'; /* labels of 62 and 1 */
	assert_int_equal(weft_token_check_bootstrap(longhost, NULL), 0);
	memset(longhost, 'a', sizeof(longhost) - 1);
	longhost[sizeof(longhost) - 1] = '\0';
	assert_int_equal(weft_token_check_bootstrap(longhost, &why), WEFT_EBADADDR);
	assert_non_null(strstr(why, "too long"));
}

static void test_wipe(void **state)
{
	weft_token_t t, d;
	msgpack_sbuffer sb;
	char text[WEFT_TOKEN_MAX], big[8192];

	make_token(&t, T_EXPIRES);
	encode_ok(&t, text);
	assert_int_equal(weft_token_decode(&d, text, NULL), 0);
	assert_false(all_zero(d.invite_kp.sk, sizeof(d.invite_kp.sk)));
	weft_token_wipe(&d);
	assert_true(all_zero(&d, sizeof(d)));

	/* A decode that fails after the secret was read (at the bootstrap
	 * list, which follows it) leaves nothing behind. */
	snprintf(t.bootstrap[1], WEFT_HOSTPORT_MAX, "no-port");
	pack_token(&sb, &t, 1, 6, 2, 32);
	wrap((const uint8_t *)sb.data, sb.size, big, sizeof(big));
	msgpack_sbuffer_destroy(&sb);
	memset(&d, 0xee, sizeof(d));
	assert_int_equal(weft_token_decode(&d, big, NULL), WEFT_EBADTOKEN);
	assert_true(all_zero(&d, sizeof(d)));
	weft_token_wipe(&t);
}

/* Admin 0x11 rolled over to 0x33, then 0x33 to 0x44; the invite and
 * settings are signed by 0x44 and the token carries the chain. */
static void make_rolled_token(weft_token_t *t)
{
	weft_keypair_t k1, k3, k4;

	make_token(t, T_EXPIRES);
	make_kp(&k1, 0x11);
	make_kp(&k3, 0x33);
	make_kp(&k4, 0x44);
	t->nrolls = 2;
	t->rolls[0].type = WEFT_REC_ADMIN_ROLL;
	t->rolls[0].u.admin_roll.old_pk = k1.pk;
	t->rolls[0].u.admin_roll.new_pk = k3.pk;
	t->rolls[0].u.admin_roll.version = 1700000000001ull;
	assert_int_equal(weft_record_sign(&t->rolls[0], &k1), 0);
	t->rolls[1].type = WEFT_REC_ADMIN_ROLL;
	t->rolls[1].u.admin_roll.old_pk = k3.pk;
	t->rolls[1].u.admin_roll.new_pk = k4.pk;
	t->rolls[1].u.admin_roll.version = 1700000000002ull;
	assert_int_equal(weft_record_sign(&t->rolls[1], &k3), 0);
	make_settings(&t->settings, &k4, "home");
	make_invite(&t->invite, &k4, &t->invite_kp, T_EXPIRES);
	sodium_memzero(&k1, sizeof(k1));
	sodium_memzero(&k3, sizeof(k3));
	sodium_memzero(&k4, sizeof(k4));
}

static void test_rolled_admin_key(void **state)
{
	weft_token_t t, d;
	weft_record_t keep;
	char text[WEFT_TOKEN_MAX];
	const char *why = NULL;

	make_rolled_token(&t);
	encode_ok(&t, text);
	assert_int_equal(weft_token_decode(&d, text, &why), 0);
	assert_int_equal(d.nrolls, 2);
	assert_memory_equal(d.rolls[1].raw, t.rolls[1].raw, t.rolls[1].raw_len);
	assert_int_equal(weft_token_verify(&d, T_CREATED, &why), 0);
	weft_token_wipe(&d);

	/* Without the chain the later key's invite is another network's. */
	t.nrolls = 0;
	encode_ok(&t, text);
	assert_int_equal(weft_token_decode(&d, text, &why), 0);
	assert_int_equal(weft_token_verify(&d, T_CREATED, &why), WEFT_EWRONGNET);
	assert_non_null(strstr(why, "another network"));
	weft_token_wipe(&d);

	/* A chain with a link left out (0x11 -> 0x44 unproven) is broken. */
	make_rolled_token(&t);
	keep = t.rolls[1];
	t.rolls[0] = keep;
	t.nrolls = 1;
	encode_ok(&t, text);
	assert_int_equal(weft_token_decode(&d, text, &why), 0);
	assert_int_equal(weft_token_verify(&d, T_CREATED, &why), WEFT_EWRONGNET);
	assert_non_null(strstr(why, "roll-over chain"));
	weft_token_wipe(&d);

	/* A roll that is not a roll, or too many, never encodes. */
	make_rolled_token(&t);
	t.rolls[1] = t.settings;
	assert_int_equal(weft_token_encode(&t, text, sizeof(text)), -EINVAL);
	t.nrolls = WEFT_TOKEN_MAX_ROLLS + 1;
	assert_int_equal(weft_token_encode(&t, text, sizeof(text)), WEFT_EOVERSIZE);
	weft_token_wipe(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_rolled_admin_key),
		cmocka_unit_test(test_matches_header_format),
		cmocka_unit_test(test_every_byte_change_rejected),
		cmocka_unit_test(test_every_truncation_rejected),
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_strict_structure),
		cmocka_unit_test(test_other_key),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_bootstrap_limits),
		cmocka_unit_test(test_check_bootstrap),
		cmocka_unit_test(test_wipe),
	};

	if (weft_crypto_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
