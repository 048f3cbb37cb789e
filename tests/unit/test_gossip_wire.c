/* The gossip wire format: header checks, network-key sealing, the strict
 * msgpack subset, endpoints, and the message type table. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/error.h"
#include "gossip/gossip.h"
#include "gossip/wire.h"

static const uint8_t fpr[WEFT_WIRE_FPR_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8 };

static void test_fingerprint(void **state)
{
	weft_pk_t a, b;
	uint8_t fa[8], fa2[8], fb[8];

	memset(a.b, 1, 32);
	memset(b.b, 2, 32);
	weft_wire_fingerprint(fa, &a);
	weft_wire_fingerprint(fa2, &a);
	weft_wire_fingerprint(fb, &b);
	assert_memory_equal(fa, fa2, 8);
	assert_memory_not_equal(fa, fb, 8);
}

static void test_header(void **state)
{
	uint8_t pkt[1300] = { 0 }, other[8] = { 9 };
	struct weft_wire_hdr h;

	assert_int_equal(weft_wire_header(pkt, WEFT_MSG_PING, fpr, 0), WEFT_WIRE_HDR_LEN);
	pkt[14] = 0x90;
	assert_int_equal(weft_wire_parse(pkt, 15, fpr, &h), 0);
	assert_int_equal(h.type, WEFT_MSG_PING);
	assert_int_equal(h.body_len, 1);
	assert_ptr_equal(h.body, pkt + 14);
	assert_int_equal(weft_wire_parse(pkt, 13, fpr, &h), WEFT_EMALFORMED);
	assert_int_equal(weft_wire_parse(pkt, 1201, fpr, &h), WEFT_EOVERSIZE);
	assert_int_equal(weft_wire_parse(pkt, 1200, fpr, &h), 0);
	assert_int_equal(weft_wire_parse(pkt, 15, other, &h), WEFT_EWRONGNET);
	pkt[0] = 'x';
	assert_int_equal(weft_wire_parse(pkt, 15, fpr, &h), WEFT_EMALFORMED);
	pkt[0] = 'w';
	/* Version 1 (no sender authentication) and a future one alike. */
	pkt[2] = 1;
	assert_int_equal(weft_wire_parse(pkt, 15, fpr, &h), WEFT_EVERSION);
	pkt[2] = 3;
	assert_int_equal(weft_wire_parse(pkt, 15, fpr, &h), WEFT_EVERSION);
	pkt[2] = WEFT_WIRE_VERSION;
	pkt[12] = 0x02; /* unknown flag */
	assert_int_equal(weft_wire_parse(pkt, 15, fpr, &h), WEFT_EMALFORMED);
	pkt[12] = 0;
	pkt[13] = 1; /* reserved */
	assert_int_equal(weft_wire_parse(pkt, 15, fpr, &h), WEFT_EMALFORMED);
	pkt[13] = 0;
	/* A sealed header with no room for the tag. */
	pkt[12] = WEFT_WIRE_FLAG_SEALED;
	assert_int_equal(weft_wire_parse(pkt, WEFT_WIRE_SEALED_HDR_LEN + 15, fpr, &h), WEFT_EMALFORMED);
}

static void test_seal_open(void **state)
{
	uint8_t pkt[1300], out[1300], key[32], nonce[24] = { 5 }, body[100];
	struct weft_wire_hdr h;
	size_t len, i;

	memset(key, 0x33, sizeof(key));
	for (i = 0; i < sizeof(body); i++)
		body[i] = (uint8_t)i;
	weft_wire_header(pkt, WEFT_MSG_GOSSIP, fpr, WEFT_WIRE_FLAG_SEALED);
	memcpy(pkt + WEFT_WIRE_SEALED_HDR_LEN, body, sizeof(body));
	len = weft_wire_seal(pkt, sizeof(body), 0x01020304, nonce, key);
	assert_int_equal(len, WEFT_WIRE_SEALED_HDR_LEN + sizeof(body) + WEFT_WIRE_TAG_LEN);
	assert_int_equal(weft_wire_parse(pkt, len, fpr, &h), 0);
	assert_int_equal(h.epoch, 0x01020304);
	assert_int_equal(weft_wire_open(pkt, len, key, out, sizeof(out)), (int)sizeof(body));
	assert_memory_equal(out, body, sizeof(body));
	/* The header is authenticated too: the type cannot be swapped. */
	pkt[3] = WEFT_MSG_PING;
	assert_int_equal(weft_wire_open(pkt, len, key, out, sizeof(out)), WEFT_EBADSIG);
	pkt[3] = WEFT_MSG_GOSSIP;
	pkt[len - 1] ^= 1;
	assert_int_equal(weft_wire_open(pkt, len, key, out, sizeof(out)), WEFT_EBADSIG);
	pkt[len - 1] ^= 1;
	key[0] ^= 1;
	assert_int_equal(weft_wire_open(pkt, len, key, out, sizeof(out)), WEFT_EBADSIG);
	assert_int_equal(weft_wire_open(pkt, WEFT_WIRE_SEALED_HDR_LEN + 3, key, out, sizeof(out)), WEFT_EMALFORMED);
}

/* The sender's authentication: both sides of a pair derive one key, a third
 * gets another; every bit of header, body and counter is covered. */
static void test_auth(void **state)
{
	uint8_t seed[WEFT_SEED_LEN] = { 1 }, kab[32], kba[32], kac[32], xa[32], xb[32], xc[32], sa[32], sb[32];
	uint8_t pkt[200] = { 0 }, body[40], mac[16], p1[16], p2[16], m1[WEFT_WIRE_SWIM_MSG_LEN],
		m2[WEFT_WIRE_SWIM_MSG_LEN];
	weft_keypair_t a, b, c;
	weft_pk_t net, bad;
	uint64_t ctr;
	size_t blen, len, i;

	weft_keypair_from_seed(&a, seed);
	seed[0] = 2;
	weft_keypair_from_seed(&b, seed);
	seed[0] = 3;
	weft_keypair_from_seed(&c, seed);
	memset(net.b, 7, sizeof(net.b));
	assert_int_equal(weft_pk_to_x25519(xa, &a.pk), 0);
	assert_int_equal(weft_pk_to_x25519(xb, &b.pk), 0);
	assert_int_equal(weft_pk_to_x25519(xc, &c.pk), 0);
	assert_int_equal(crypto_sign_ed25519_sk_to_curve25519(sa, a.sk), 0);
	assert_int_equal(crypto_sign_ed25519_sk_to_curve25519(sb, b.sk), 0);
	assert_int_equal(weft_wire_pair_key(kab, &net, &a.pk, sa, &b.pk, xb), 0);
	assert_int_equal(weft_wire_pair_key(kba, &net, &b.pk, sb, &a.pk, xa), 0);
	assert_memory_equal(kab, kba, 32);
	assert_int_equal(weft_wire_pair_key(kac, &net, &a.pk, sa, &c.pk, xc), 0);
	assert_memory_not_equal(kab, kac, 32);
	/* A low-order point is refused, not turned into a key anyone knows. */
	memset(bad.b, 0, sizeof(bad.b));
	memset(xc, 0, sizeof(xc));
	assert_int_equal(weft_wire_pair_key(kac, &net, &a.pk, sa, &bad, xc), WEFT_EMALFORMED);

	weft_wire_header(pkt, WEFT_MSG_GOSSIP, fpr, 0);
	for (i = 0; i < sizeof(body); i++)
		body[i] = (uint8_t)(i * 7);
	memcpy(pkt + WEFT_WIRE_HDR_LEN, body, sizeof(body));
	len = weft_wire_auth(pkt + WEFT_WIRE_HDR_LEN, sizeof(body), pkt, kab, 0x0102030405060708ull);
	assert_int_equal(len, sizeof(body) + WEFT_WIRE_AUTH_LEN);
	assert_int_equal(weft_wire_auth_check(pkt + WEFT_WIRE_HDR_LEN, len, pkt, kba, &blen, &ctr), 0);
	assert_int_equal(blen, sizeof(body));
	assert_true(ctr == 0x0102030405060708ull);
	assert_int_equal(weft_wire_auth_check(pkt + WEFT_WIRE_HDR_LEN, len, pkt, kac, &blen, &ctr), WEFT_EBADSIG);
	for (i = 0; i < WEFT_WIRE_HDR_LEN + len; i++) {
		pkt[i] ^= 0x20;
		assert_int_equal(weft_wire_auth_check(pkt + WEFT_WIRE_HDR_LEN, len, pkt, kab, &blen, &ctr),
				 WEFT_EBADSIG);
		pkt[i] ^= 0x20;
	}
	assert_int_equal(weft_wire_auth_check(pkt + WEFT_WIRE_HDR_LEN, WEFT_WIRE_AUTH_LEN, pkt, kab, &blen, &ctr),
			 WEFT_EMALFORMED);
	weft_wire_mac(mac, kab, pkt, body, sizeof(body), 0x0102030405060708ull);
	assert_memory_equal(mac, pkt + WEFT_WIRE_HDR_LEN + sizeof(body) + 8, 16);

	/* A relayed ack's proof names the requester and its seq. */
	weft_wire_ack_proof(p1, kab, &a.pk, 5);
	weft_wire_ack_proof(p2, kab, &a.pk, 6);
	assert_memory_not_equal(p1, p2, 16);
	weft_wire_ack_proof(p2, kab, &b.pk, 5);
	assert_memory_not_equal(p1, p2, 16);
	weft_wire_ack_proof(p2, kac, &a.pk, 5);
	assert_memory_not_equal(p1, p2, 16);

	/* A signed update's bytes: kind, node and incarnation all count. */
	weft_wire_swim_msg(m1, &net, WEFT_UPD_ALIVE, &a.pk, 1);
	weft_wire_swim_msg(m2, &net, WEFT_UPD_ALIVE, &a.pk, 2);
	assert_memory_not_equal(m1, m2, sizeof(m1));
	weft_wire_swim_msg(m2, &net, WEFT_UPD_LEFT, &a.pk, 1);
	assert_memory_not_equal(m1, m2, sizeof(m1));
	assert_int_equal(m1[80], 1);
	assert_memory_equal(m1, "weft-swim-v1", 12);
}

static void test_msgpack_roundtrip(void **state)
{
	static const uint64_t vals[] = { 0,         1, 127, 128, 255, 256, 65535, 65536, 0xffffffffu, 0x100000000ull,
					 UINT64_MAX };
	uint8_t buf[600], bin[300];
	struct weft_wbuf w = { buf, 0, sizeof(buf), false };
	struct weft_rbuf r;
	const uint8_t *p;
	uint64_t v;
	uint32_t n;
	size_t i, len, before;

	memset(bin, 0xab, sizeof(bin));
	weft_mp_array(&w, 3 + (uint32_t)(sizeof(vals) / sizeof(vals[0])));
	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		before = w.len;
		weft_mp_uint(&w, vals[i]);
		assert_int_equal(w.len - before, weft_mp_uint_size(vals[i]));
	}
	weft_mp_bin(&w, bin, 10);
	before = w.len;
	weft_mp_bin(&w, bin, 300);
	assert_int_equal(w.len - before, weft_mp_bin_size(300));
	weft_mp_nil(&w);
	assert_false(w.overflow);

	r = (struct weft_rbuf){ buf, w.len, 0 };
	assert_int_equal(weft_mp_peek(&r), WEFT_MP_ARRAY);
	assert_int_equal(weft_mp_read_array(&r, &n), 0);
	assert_int_equal(n, 3 + sizeof(vals) / sizeof(vals[0]));
	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		assert_int_equal(weft_mp_peek(&r), WEFT_MP_UINT);
		assert_int_equal(weft_mp_read_uint(&r, &v), 0);
		assert_true(v == vals[i]);
	}
	assert_int_equal(weft_mp_read_binfix(&r, &p, 10), 0);
	assert_int_equal(weft_mp_read_bin(&r, &p, &len), 0);
	assert_int_equal(len, 300);
	assert_memory_equal(p, bin, 300);
	assert_int_equal(weft_mp_peek(&r), WEFT_MP_NIL);
	assert_int_equal(weft_mp_read_nil(&r), 0);
	assert_int_equal(weft_mp_peek(&r), WEFT_MP_END);
	assert_int_equal(weft_mp_end(&r), 0);
}

static void test_msgpack_strict(void **state)
{
	/* Non-minimal forms of 5, of a 2-byte bin, of a 1-element array. */
	static const uint8_t nonmin_uint[] = { 0xcc, 0x05 };
	static const uint8_t nonmin_uint16[] = { 0xcd, 0x00, 0xff };
	static const uint8_t nonmin_bin[] = { 0xc5, 0x00, 0x02, 1, 2 };
	static const uint8_t nonmin_array[] = { 0xdc, 0x00, 0x01, 0x01 };
	static const uint8_t lying_array[] = { 0xdd, 0x7f, 0xff, 0xff, 0xff, 0x01 };
	static const uint8_t short_bin[] = { 0xc4, 0x05, 1, 2 };
	static const uint8_t str[] = { 0xa1, 'x' };
	static const uint8_t neg[] = { 0xff };
	struct weft_rbuf r;
	const uint8_t *p;
	uint64_t v;
	uint32_t n;
	size_t len;

	r = (struct weft_rbuf){ nonmin_uint, sizeof(nonmin_uint), 0 };
	assert_int_equal(weft_mp_read_uint(&r, &v), WEFT_EMALFORMED);
	r = (struct weft_rbuf){ nonmin_uint16, sizeof(nonmin_uint16), 0 };
	assert_int_equal(weft_mp_read_uint(&r, &v), WEFT_EMALFORMED);
	r = (struct weft_rbuf){ nonmin_bin, sizeof(nonmin_bin), 0 };
	assert_int_equal(weft_mp_read_bin(&r, &p, &len), WEFT_EMALFORMED);
	r = (struct weft_rbuf){ nonmin_array, sizeof(nonmin_array), 0 };
	assert_int_equal(weft_mp_read_array(&r, &n), WEFT_EMALFORMED);
	r = (struct weft_rbuf){ lying_array, sizeof(lying_array), 0 };
	assert_int_equal(weft_mp_read_array(&r, &n), WEFT_EMALFORMED);
	r = (struct weft_rbuf){ short_bin, sizeof(short_bin), 0 };
	assert_int_equal(weft_mp_read_bin(&r, &p, &len), WEFT_EMALFORMED);
	r = (struct weft_rbuf){ str, sizeof(str), 0 };
	assert_int_equal(weft_mp_peek(&r), WEFT_MP_OTHER);
	assert_int_equal(weft_mp_read_bin(&r, &p, &len), WEFT_EMALFORMED);
	r = (struct weft_rbuf){ neg, sizeof(neg), 0 };
	assert_int_equal(weft_mp_read_uint(&r, &v), WEFT_EMALFORMED);
	r = (struct weft_rbuf){ neg, 0, 0 };
	assert_int_equal(weft_mp_read_nil(&r), WEFT_EMALFORMED);
	assert_int_equal(weft_mp_read_array(&r, &n), WEFT_EMALFORMED);
	r = (struct weft_rbuf){ neg, 1, 0 };
	assert_int_equal(weft_mp_end(&r), WEFT_ETRAILING);
}

static void test_writer_overflow(void **state)
{
	uint8_t buf[8], bin[16] = { 0 };
	struct weft_wbuf w = { buf, 0, sizeof(buf), false };
	size_t len;

	weft_mp_uint(&w, 1);
	assert_false(w.overflow);
	weft_mp_bin(&w, bin, sizeof(bin));
	assert_true(w.overflow);
	assert_true(w.len <= sizeof(buf));
	/* Nothing after an overflow lands, even if it would fit. */
	len = w.len;
	weft_mp_nil(&w);
	assert_int_equal(w.len, len);
}

static void test_endpoint(void **state)
{
	uint8_t buf[64];
	struct weft_wbuf w = { buf, 0, sizeof(buf), false };
	weft_endpoint_t a, b, c;
	struct weft_rbuf r;
	const uint8_t *p;
	size_t n;

	assert_int_equal(weft_endpoint_parse(&a, "192.0.2.7:51821"), 0);
	assert_int_equal(weft_endpoint_parse(&b, "[2001:db8::5]:1"), 0);
	weft_wire_put_endpoint(&w, &a);
	weft_wire_put_endpoint(&w, &b);
	r = (struct weft_rbuf){ buf, w.len, 0 };
	assert_int_equal(weft_mp_read_bin(&r, &p, &n), 0);
	assert_int_equal(n, 6);
	assert_int_equal(weft_wire_get_endpoint(p, n, &c), 0);
	assert_true(weft_endpoint_equal(&a, &c));
	assert_int_equal(weft_mp_read_bin(&r, &p, &n), 0);
	assert_int_equal(n, 18);
	assert_int_equal(weft_wire_get_endpoint(p, n, &c), 0);
	assert_true(weft_endpoint_equal(&b, &c));
	assert_int_equal(weft_wire_get_endpoint(p, 7, &c), WEFT_EMALFORMED);
}

static void test_type_table(void **state)
{
	unsigned t, named = 0;

	for (t = 0; t <= WEFT_MSG_MAX; t++)
		named += strcmp(weft_wire_type_name(t), "unknown") != 0;
	assert_int_equal(named, 15);
	assert_string_equal(weft_wire_type_name(WEFT_MSG_PING_REQ), "ping-req");
	assert_string_equal(weft_wire_type_name(WEFT_MSG_JOIN_WELCOME), "join-welcome");
	assert_string_equal(weft_wire_type_name(200), "unknown");
	assert_string_equal(weft_liveness_name(WEFT_LIVE_SUSPECT), "suspect");
	assert_string_equal(weft_gossip_event_name(WEFT_GEV_JOINED), "joined");
	assert_string_equal(weft_gossip_event_name(0), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fingerprint),       cmocka_unit_test(test_header),
		cmocka_unit_test(test_seal_open),         cmocka_unit_test(test_auth),
		cmocka_unit_test(test_msgpack_roundtrip), cmocka_unit_test(test_msgpack_strict),
		cmocka_unit_test(test_writer_overflow),   cmocka_unit_test(test_endpoint),
		cmocka_unit_test(test_type_table),
	};

	if (weft_crypto_init())
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
