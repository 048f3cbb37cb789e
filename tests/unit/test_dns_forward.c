/* dns/forward.c: the query as it goes upstream (new id, EDNS size
 * clamped), the checks on the upstream's reply and its rewrite for the
 * client (id, truncation), and the SERVFAIL the daemon sends on timeout. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "core/error.h"
#include "tests/unit/test_dns_util.h"
#include "dns/wire.h"

/* An upstream reply to "name A": question as given, then n A records of
 * 93.184.216.x, owners compressed to the question. */
static size_t upstream_reply(uint8_t *out, uint16_t id, const char *name, uint16_t qtype, unsigned n, bool edns)
{
	size_t o, i;

	o = tq_build(out, id, 0x8180, name, qtype, -1, false); /* QR RD RA */
	out[7] = (uint8_t)n;
	for (i = 0; i < n; i++) {
		static const uint8_t rr[] = { 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 93, 184, 216 };

		memcpy(out + o, rr, sizeof(rr));
		o += sizeof(rr);
		out[o++] = (uint8_t)i;
	}
	if (edns) {
		static const uint8_t opt[] = { 0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0 };

		out[11] = 1;
		memcpy(out + o, opt, sizeof(opt));
		o += sizeof(opt);
	}
	return o;
}

static void test_forward_query(void **state)
{
	uint8_t q[600], out[600];
	size_t ql, ol;

	/* dig's 4096-byte EDNS query: new id, size clamped to 1232, the rest
	 * (cookie included) untouched. */
	ql = dig_vector(DIG_A_DNSSEC_4096, q, sizeof(q));
	assert_int_equal(weft_dns_forward_query(q, ql, 0xbeef, out, sizeof(out), &ol), 0);
	assert_int_equal(ol, ql);
	assert_int_equal(out[0], 0xbe);
	assert_int_equal(out[1], 0xef);
	assert_int_equal(weft_dns_get16(out + 12 + 18 + 4 + 3), 1232);
	out[0] = q[0], out[1] = q[1];
	weft_dns_set16(out + 12 + 18 + 4 + 3, 4096);
	assert_memory_equal(out, q, ql);

	/* A smaller size stays; no OPT stays no OPT. */
	ql = dig_vector(DIG_A_MIXED_COOKIE, q, sizeof(q));
	assert_int_equal(weft_dns_forward_query(q, ql, 7, out, sizeof(out), &ol), 0);
	assert_memory_equal(out + 2, q + 2, ql - 2);
	ql = dig_vector(DIG_AAAA_NOEDNS, q, sizeof(q));
	assert_int_equal(weft_dns_forward_query(q, ql, 7, out, sizeof(out), &ol), 0);
	assert_memory_equal(out + 2, q + 2, ql - 2);

	assert_int_equal(weft_dns_forward_query(q, ql, 7, out, ql - 1, &ol), WEFT_EOVERSIZE);
	q[2] |= 0x80;
	assert_int_equal(weft_dns_forward_query(q, ql, 7, out, sizeof(out), &ol), WEFT_EMALFORMED);
	assert_int_equal(weft_dns_forward_query(q, 5, 7, out, sizeof(out), &ol), WEFT_EMALFORMED);
}

static void test_relay(void **state)
{
	uint8_t q[600], r[2048], out[2048];
	size_t ql, rl, ol;
	struct tm_msg tm;

	ql = tq_build(q, 0x1111, DNS_F_RD, "Example.COM", DNS_T_A, -1, false);
	rl = upstream_reply(r, 0x2222, "example.com", DNS_T_A, 2, false);
	assert_int_equal(weft_dns_relay(q, ql, 0x2222, r, rl, out, sizeof(out), &ol, 0), 0);
	assert_int_equal(ol, rl);
	assert_int_equal(weft_dns_get16(out), 0x1111);
	assert_memory_equal(out + 2, r + 2, rl - 2);
	assert_int_equal(tm_parse(out, ol, &tm), 0);
	assert_int_equal(tm.an, 2);
	assert_string_equal(tm.rr[1].data, "93.184.216.1");

	/* Not a reply to this query. */
	assert_int_equal(weft_dns_relay(q, ql, 0x2223, r, rl, out, sizeof(out), &ol, 0), WEFT_EPROTO);
	r[2] &= 0x7f; /* QR clear */
	assert_int_equal(weft_dns_relay(q, ql, 0x2222, r, rl, out, sizeof(out), &ol, 0), WEFT_EPROTO);
	r[2] |= 0x80 | (1 << 3); /* opcode IQUERY */
	assert_int_equal(weft_dns_relay(q, ql, 0x2222, r, rl, out, sizeof(out), &ol, 0), WEFT_EPROTO);
	rl = upstream_reply(r, 0x2222, "example.org", DNS_T_A, 1, false);
	assert_int_equal(weft_dns_relay(q, ql, 0x2222, r, rl, out, sizeof(out), &ol, 0), WEFT_EPROTO);
	rl = upstream_reply(r, 0x2222, "example.com", DNS_T_AAAA, 0, false);
	assert_int_equal(weft_dns_relay(q, ql, 0x2222, r, rl, out, sizeof(out), &ol, 0), WEFT_EPROTO);
	rl = upstream_reply(r, 0x2222, "example.com", DNS_T_A, 0, false);
	r[rl - 1] = 3; /* class CH */
	assert_int_equal(weft_dns_relay(q, ql, 0x2222, r, rl, out, sizeof(out), &ol, 0), WEFT_EPROTO);
	rl = upstream_reply(r, 0x2222, "example.com", DNS_T_A, 0, false);
	r[5] = 0;
	assert_int_equal(weft_dns_relay(q, ql, 0x2222, r, rl, out, sizeof(out), &ol, 0), WEFT_EPROTO);
	/* Broken bytes. */
	assert_int_equal(weft_dns_relay(q, ql, 0x2222, r, 11, out, sizeof(out), &ol, 0), WEFT_EMALFORMED);
	rl = upstream_reply(r, 0x2222, "example.com", DNS_T_A, 0, false);
	assert_int_equal(weft_dns_relay(q, ql, 0x2222, r, 20, out, sizeof(out), &ol, 0), WEFT_EMALFORMED);
	memcpy(r + 12, "\xc0\x0c", 2);
	assert_int_equal(weft_dns_relay(q, ql, 0x2222, r, rl, out, sizeof(out), &ol, 0), WEFT_EMALFORMED);
	/* The client's query must itself be good. */
	assert_int_equal(weft_dns_relay(q, 5, 0x2222, r, rl, out, sizeof(out), &ol, 0), WEFT_EMALFORMED);
}

static void test_relay_truncates(void **state)
{
	uint8_t q[600], r[4096], out[4096];
	size_t ql, rl, ol;
	struct tm_msg tm;

	/* 40 records = 12 + 17 + 640 bytes: more than 512. */
	ql = tq_build(q, 0x1111, DNS_F_RD, "Example.COM", DNS_T_A, -1, false);
	rl = upstream_reply(r, 0x2222, "example.com", DNS_T_A, 40, false);
	assert_true(rl > 512);
	assert_int_equal(weft_dns_relay(q, ql, 0x2222, r, rl, out, sizeof(out), &ol, 0), 0);
	assert_int_equal(ol, ql);
	assert_int_equal(tm_parse(out, ol, &tm), 0);
	assert_int_equal(tm.id, 0x1111);
	assert_true(tm.flags & DNS_F_TC);
	assert_true(tm.flags & DNS_F_RA);
	assert_true(tm.flags & DNS_F_QR);
	assert_int_equal(tm.an, 0);
	assert_string_equal(tm.qname, "Example.COM"); /* the client's own case */

	/* Over TCP, or with room in the client's EDNS size, it passes whole. */
	assert_int_equal(weft_dns_relay(q, ql, 0x2222, r, rl, out, sizeof(out), &ol, WEFT_DNS_F_TCP), 0);
	assert_int_equal(ol, rl);
	ql = tq_build(q, 0x1111, DNS_F_RD, "example.com", DNS_T_A, 4096, true);
	rl = upstream_reply(r, 0x2222, "example.com", DNS_T_A, 40, true);
	assert_int_equal(weft_dns_relay(q, ql, 0x2222, r, rl, out, sizeof(out), &ol, 0), 0);
	assert_int_equal(ol, rl);
	/* 80 records is past 1232: TC, with an OPT for the client. */
	rl = upstream_reply(r, 0x2222, "example.com", DNS_T_A, 80, true);
	assert_int_equal(weft_dns_relay(q, ql, 0x2222, r, rl, out, sizeof(out), &ol, 0), 0);
	assert_int_equal(tm_parse(out, ol, &tm), 0);
	assert_true(tm.flags & DNS_F_TC);
	assert_true(tm.edns);
	assert_true(tm.edns_do);
	assert_int_equal(tm.ar, 1);
	/* Capacity bounds it too. */
	assert_int_equal(weft_dns_relay(q, ql, 0x2222, r, rl, out, 20, &ol, 0), WEFT_EOVERSIZE);
}

static void test_error_reply(void **state)
{
	uint8_t q[600], out[600];
	size_t ql, ol;
	struct tm_msg tm;

	ql = dig_vector(DIG_A_MIXED_COOKIE, q, sizeof(q));
	assert_int_equal(weft_dns_error_reply(q, ql, DNS_R_SERVFAIL, out, sizeof(out), &ol), 0);
	assert_int_equal(tm_parse(out, ol, &tm), 0);
	assert_int_equal(tm.id, 0x7581);
	assert_int_equal(tm_rcode(&tm), DNS_R_SERVFAIL);
	assert_true(tm.flags & DNS_F_QR);
	assert_true(tm.flags & DNS_F_RD);
	assert_int_equal(tm.qd, 1);
	assert_string_equal(tm.qname, "Web.Net.Internal");
	assert_true(tm.edns);
	assert_int_equal(tm.an + tm.ns, 0);

	ql = dig_vector(DIG_AAAA_NOEDNS, q, sizeof(q));
	assert_int_equal(weft_dns_error_reply(q, ql, DNS_R_REFUSED, out, sizeof(out), &ol), 0);
	assert_int_equal(ol, ql);
	assert_int_equal(tm_parse(out, ol, &tm), 0);
	assert_int_equal(tm_rcode(&tm), DNS_R_REFUSED);
	assert_false(tm.edns);

	assert_int_equal(weft_dns_error_reply(q, ql, 16, out, sizeof(out), &ol), WEFT_EUNSUPPORTED);
	assert_int_equal(weft_dns_error_reply(q, ql, 2, out, 20, &ol), WEFT_EOVERSIZE);
	q[5] = 2;
	assert_int_equal(weft_dns_error_reply(q, ql, 2, out, sizeof(out), &ol), WEFT_EMALFORMED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forward_query),
		cmocka_unit_test(test_relay),
		cmocka_unit_test(test_relay_truncates),
		cmocka_unit_test(test_error_reply),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
