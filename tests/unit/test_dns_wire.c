/* dns/wire.c: names in text and wire form, pointer rules when reading,
 * the strict query parser (hand-made bytes and bytes captured from dig),
 * and the builder's compression and roll-back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "core/error.h"
#include "tests/unit/test_dns_util.h"
#include "dns/wire.h"

static void test_name_from_text(void **state)
{
	struct weft_dns_name n;
	char text[300], big[400];
	size_t i;

	assert_int_equal(weft_dns_wire_name_from_text(&n, "Web.Net.Internal", false), 0);
	assert_int_equal(n.len, 18);
	assert_int_equal(n.nlabels, 3);
	assert_memory_equal(n.b, "\3web\3net\10internal", 18);
	assert_int_equal(n.lab[1], 4);
	assert_int_equal(n.lab[2], 8);
	weft_dns_wire_name_to_text(&n, text, sizeof(text));
	assert_string_equal(text, "web.net.internal");

	assert_int_equal(weft_dns_wire_name_from_text(&n, "web.net.internal.", false), 0);
	assert_int_equal(n.len, 18);
	assert_int_equal(weft_dns_wire_name_from_text(&n, "", false), 0);
	assert_int_equal(n.len, 1);
	assert_int_equal(n.nlabels, 0);
	assert_int_equal(weft_dns_wire_name_from_text(&n, ".", false), 0);
	assert_int_equal(n.len, 1);

	assert_int_equal(weft_dns_wire_name_from_text(&n, "a..b", false), WEFT_EMALFORMED);
	assert_int_equal(weft_dns_wire_name_from_text(&n, ".a", false), WEFT_EMALFORMED);
	assert_int_equal(weft_dns_wire_name_from_text(&n, "a b", false), WEFT_EMALFORMED);
	assert_int_equal(weft_dns_wire_name_from_text(&n, "*.dev", false), WEFT_EMALFORMED);
	assert_int_equal(weft_dns_wire_name_from_text(&n, "*.dev", true), 0);
	assert_memory_equal(n.b, "\1*\3dev", 7);
	assert_int_equal(weft_dns_wire_name_from_text(&n, "a.*", true), WEFT_EMALFORMED);
	assert_int_equal(weft_dns_wire_name_from_text(&n, "**.a", true), WEFT_EMALFORMED);
	assert_int_equal(weft_dns_wire_name_from_text(&n, "_sip._udp", false), 0);

	/* 63 is the longest label, 255 bytes the longest name. */
	memset(big, 'a', 64);
	big[64] = '\0';
	assert_int_equal(weft_dns_wire_name_from_text(&n, big, false), WEFT_EOVERSIZE);
	big[63] = '\0';
	assert_int_equal(weft_dns_wire_name_from_text(&n, big, false), 0);
	/* 3 x (1+63) + (1+61) + 1 = 255 */
	for (i = 0; i < 3; i++) {
		memset(big + i * 64, 'b', 63);
		big[i * 64 + 63] = '.';
	}
	memset(big + 192, 'c', 61);
	big[253] = '\0';
	assert_int_equal(weft_dns_wire_name_from_text(&n, big, false), 0);
	assert_int_equal(n.len, 255);
	big[253] = 'c';
	big[254] = '\0';
	assert_int_equal(weft_dns_wire_name_from_text(&n, big, false), WEFT_EOVERSIZE);
}

static void test_name_under_and_append(void **state)
{
	struct weft_dns_name a, zone, x;
	unsigned depth = 99;

	weft_dns_wire_name_from_text(&zone, "net.internal", false);
	weft_dns_wire_name_from_text(&a, "a.b.net.internal", false);
	assert_true(weft_dns_wire_name_under(&a, &zone, &depth));
	assert_int_equal(depth, 2);
	assert_true(weft_dns_wire_name_under(&zone, &zone, &depth));
	assert_int_equal(depth, 0);
	weft_dns_wire_name_from_text(&x, "xnet.internal", false);
	assert_false(weft_dns_wire_name_under(&x, &zone, NULL));
	weft_dns_wire_name_from_text(&x, "internal", false);
	assert_false(weft_dns_wire_name_under(&x, &zone, NULL));
	weft_dns_wire_name_from_text(&x, "", false);
	assert_true(weft_dns_wire_name_under(&a, &x, &depth));
	assert_int_equal(depth, 4);

	weft_dns_wire_name_from_text(&x, "web", false);
	assert_int_equal(weft_dns_wire_name_append(&x, &zone), 0);
	assert_int_equal(x.len, 18);
	assert_int_equal(x.nlabels, 3);
	assert_memory_equal(x.b, "\3web\3net\10internal", 18);
}

/* A message: header with qd=1, the given question bytes, then extra. */
static size_t msg_with(uint8_t *m, const void *q, size_t qlen, uint16_t ar)
{
	memset(m, 0, 12);
	m[0] = 0xab;
	m[1] = 0xcd;
	m[5] = 1;
	m[11] = (uint8_t)ar;
	memcpy(m + 12, q, qlen);
	return 12 + qlen;
}

static void test_name_read_pointers(void **state)
{
	uint8_t m[600];
	struct weft_dns_name n;
	size_t off, len, i;

	/* A backward pointer in a later name is fine and lower-cases. */
	len = msg_with(m, "\3WeB\3net\0\0\1\0\1", 13, 0);
	memcpy(m + len, "\3www\xc0\x10", 6); /* www + pointer to "net" at 16 */
	off = len;
	assert_int_equal(weft_dns_wire_name_read(m, len + 6, &off, &n), 0);
	assert_int_equal(off, len + 6);
	assert_memory_equal(n.b, "\3www\3net", 9);
	off = 12;
	assert_int_equal(weft_dns_wire_name_read(m, len, &off, &n), 0);
	assert_memory_equal(n.b, "\3web\3net", 9);
	assert_int_equal(off, 21);

	/* Pointer to itself, forward, into the header, to a later pointer. */
	memcpy(m + len, "\xc0\x19", 2); /* offset 25 = itself */
	off = len;
	assert_int_equal(weft_dns_wire_name_read(m, len + 2, &off, &n), WEFT_EMALFORMED);
	memcpy(m + len, "\xc0\x30", 2);
	off = len;
	assert_int_equal(weft_dns_wire_name_read(m, len + 2, &off, &n), WEFT_EMALFORMED);
	memcpy(m + len, "\xc0\x04", 2);
	off = len;
	assert_int_equal(weft_dns_wire_name_read(m, len + 2, &off, &n), WEFT_EMALFORMED);
	/* Two names pointing at each other: a loop through a later name. */
	memcpy(m + len, "\1a\xc0\x1d\1b\xc0\x19", 8); /* at 25: a -> 29; at 29: b -> 25 */
	off = len;
	assert_int_equal(weft_dns_wire_name_read(m, len + 8, &off, &n), WEFT_EMALFORMED);
	off = len + 4;
	assert_int_equal(weft_dns_wire_name_read(m, len + 8, &off, &n), WEFT_EMALFORMED);
	/* A pointer back into its own earlier labels. */
	memcpy(m + len, "\1a\1b\xc0\x19", 6);
	off = len;
	assert_int_equal(weft_dns_wire_name_read(m, len + 6, &off, &n), WEFT_EMALFORMED);
	/* Reserved label types 0x40 and 0x80. */
	memcpy(m + len,
	       "\x41"
	       "a\0",
	       3);
	off = len;
	assert_int_equal(weft_dns_wire_name_read(m, len + 3, &off, &n), WEFT_EMALFORMED);
	memcpy(m + len,
	       "\x81"
	       "a\0",
	       3);
	off = len;
	assert_int_equal(weft_dns_wire_name_read(m, len + 3, &off, &n), WEFT_EMALFORMED);
	/* Truncated: a label past the end, a half pointer, no root. */
	memcpy(m + len, "\5ab", 3);
	off = len;
	assert_int_equal(weft_dns_wire_name_read(m, len + 3, &off, &n), WEFT_EMALFORMED);
	m[len] = 0xc0;
	off = len;
	assert_int_equal(weft_dns_wire_name_read(m, len + 1, &off, &n), WEFT_EMALFORMED);
	memcpy(m + len, "\1a", 2);
	off = len;
	assert_int_equal(weft_dns_wire_name_read(m, len + 2, &off, &n), WEFT_EMALFORMED);

	/* Over 255 bytes once pointers are followed: 4 x 63-byte labels
	 * (256 bytes with the root) built as 3 labels + pointer to a fourth. */
	len = 12;
	memset(m, 0, 12);
	m[len++] = 63;
	memset(m + len, 'x', 63);
	len += 63;
	m[len++] = 0; /* name 1 at 12: one label, 65 bytes */
	{
		size_t start = len;

		for (i = 0; i < 3; i++) {
			m[len++] = 63;
			memset(m + len, 'y', 63);
			len += 63;
		}
		m[len++] = 0xc0;
		m[len++] = 12;
		off = start;
		assert_int_equal(weft_dns_wire_name_read(m, len, &off, &n), WEFT_EOVERSIZE);
		/* With a 61-byte last label it is exactly 255 and reads. */
		m[12] = 61;
		m[12 + 62] = 0;
		off = start;
		assert_int_equal(weft_dns_wire_name_read(m, len, &off, &n), 0);
		assert_int_equal(n.len, 255);
		assert_int_equal(n.nlabels, 4);
	}
}

static void test_parse_dig_vectors(void **state)
{
	struct weft_dns_query q;
	uint8_t m[600];
	size_t len;

	len = dig_vector(DIG_A_MIXED_COOKIE, m, sizeof(m));
	assert_int_equal(weft_dns_wire_parse_query(m, len, &q), DNS_PQ_OK);
	assert_int_equal(q.id, 0x7581);
	assert_int_equal(q.flags, 0x0120);
	assert_int_equal(q.qtype, 1);
	assert_int_equal(q.qclass, 1);
	assert_memory_equal(q.qname.b, "\3web\3net\10internal", 18);
	assert_int_equal(q.qend, 12 + 18 + 4);
	assert_true(q.edns);
	assert_int_equal(q.edns_size, 1232);
	assert_int_equal(q.edns_version, 0);
	assert_false(q.edns_do);
	assert_int_equal(q.opt_class_off, q.qend + 3);

	len = dig_vector(DIG_AAAA_NOEDNS, m, sizeof(m));
	assert_int_equal(weft_dns_wire_parse_query(m, len, &q), DNS_PQ_OK);
	assert_int_equal(q.qtype, 28);
	assert_false(q.edns);

	len = dig_vector(DIG_A_DNSSEC_4096, m, sizeof(m));
	assert_int_equal(weft_dns_wire_parse_query(m, len, &q), DNS_PQ_OK);
	assert_true(q.edns);
	assert_true(q.edns_do);
	assert_int_equal(q.edns_size, 4096);

	len = dig_vector(DIG_PTR4, m, sizeof(m));
	assert_int_equal(weft_dns_wire_parse_query(m, len, &q), DNS_PQ_OK);
	assert_int_equal(q.qtype, 12);
	assert_int_equal(q.qname.nlabels, 6);

	len = dig_vector(DIG_PTR6, m, sizeof(m));
	assert_int_equal(weft_dns_wire_parse_query(m, len, &q), DNS_PQ_OK);
	assert_int_equal(q.qname.nlabels, 34);

	len = dig_vector(DIG_SRV_NORD, m, sizeof(m));
	assert_int_equal(weft_dns_wire_parse_query(m, len, &q), DNS_PQ_OK);
	assert_int_equal(q.qtype, 33);
	assert_int_equal(q.flags & DNS_F_RD, 0);

	len = dig_vector(DIG_ANY, m, sizeof(m));
	assert_int_equal(weft_dns_wire_parse_query(m, len, &q), DNS_PQ_OK);
	assert_int_equal(q.qtype, 255);

	len = dig_vector(DIG_TXT_NOAD, m, sizeof(m));
	assert_int_equal(weft_dns_wire_parse_query(m, len, &q), DNS_PQ_OK);
	assert_int_equal(q.qtype, 16);
	assert_int_equal(q.flags, 0x0100);

	/* Every strict prefix of a valid query is an error, never a crash. */
	len = dig_vector(DIG_A_MIXED_COOKIE, m, sizeof(m));
	for (size_t l = 0; l < len; l++) {
		weft_dns_pq_t r = weft_dns_wire_parse_query(m, l, &q);

		assert_int_equal(r, l < 12 ? DNS_PQ_DROP : DNS_PQ_FORMERR);
	}
}

static void test_parse_errors(void **state)
{
	struct weft_dns_query q;
	uint8_t m[600];
	size_t len;

	len = tq_build(m, 1, 0x0100, "web.net.internal", 1, -1, false);
	assert_int_equal(weft_dns_wire_parse_query(m, len, &q), DNS_PQ_OK);
	assert_int_equal(weft_dns_wire_parse_query(m, 11, &q), DNS_PQ_DROP);
	assert_int_equal(weft_dns_wire_parse_query(m, 0, &q), DNS_PQ_DROP);

	m[2] |= 0x80; /* QR */
	assert_int_equal(weft_dns_wire_parse_query(m, len, &q), DNS_PQ_DROP);
	m[2] = 0x01 | (2 << 3); /* STATUS */
	assert_int_equal(weft_dns_wire_parse_query(m, len, &q), DNS_PQ_NOTIMP);
	m[2] = 0x01 | (5 << 3); /* UPDATE */
	assert_int_equal(weft_dns_wire_parse_query(m, len, &q), DNS_PQ_NOTIMP);
	m[2] = 0x01;

	m[5] = 0;
	assert_int_equal(weft_dns_wire_parse_query(m, len, &q), DNS_PQ_FORMERR);
	assert_false(q.have_question);
	m[5] = 2;
	assert_int_equal(weft_dns_wire_parse_query(m, len, &q), DNS_PQ_FORMERR);
	m[5] = 1;

	/* Trailing bytes. */
	m[len] = 0;
	assert_int_equal(weft_dns_wire_parse_query(m, len + 1, &q), DNS_PQ_FORMERR);
	assert_true(q.have_question);
	/* An additional record the count does not cover is trailing too;
	 * a count with no record is truncation. */
	m[11] = 1;
	assert_int_equal(weft_dns_wire_parse_query(m, len, &q), DNS_PQ_FORMERR);
	m[11] = 0;

	/* A pointer in the question (it can only point into the header). */
	memcpy(m + 12, "\xc0\x0c\0\1\0\1", 6);
	assert_int_equal(weft_dns_wire_parse_query(m, 18, &q), DNS_PQ_FORMERR);
	assert_false(q.have_question);
	memcpy(m + 12, "\1a\xc0\x0c\0\1\0\1", 8);
	assert_int_equal(weft_dns_wire_parse_query(m, 20, &q), DNS_PQ_FORMERR);

	/* qtype OPT is not a question. */
	len = tq_build(m, 1, 0, "a", 41, -1, false);
	assert_int_equal(weft_dns_wire_parse_query(m, len, &q), DNS_PQ_FORMERR);
	assert_true(q.have_question);

	/* EDNS: good, version 1, two OPTs, OPT in the answer section, owner
	 * not root, option overrunning the rdata, truncated option. */
	len = tq_build(m, 1, 0, "a", 1, 1400, true);
	assert_int_equal(weft_dns_wire_parse_query(m, len, &q), DNS_PQ_OK);
	assert_true(q.edns_do);
	assert_int_equal(q.edns_size, 1400);
	m[len - 5] = 1; /* version */
	assert_int_equal(weft_dns_wire_parse_query(m, len, &q), DNS_PQ_BADVERS);
	m[len - 5] = 0;
	memcpy(m + len, m + len - 11, 11);
	m[11] = 2;
	assert_int_equal(weft_dns_wire_parse_query(m, len + 11, &q), DNS_PQ_FORMERR);
	m[11] = 1;
	m[7] = 1, m[11] = 0; /* the OPT counted as an answer */
	assert_int_equal(weft_dns_wire_parse_query(m, len, &q), DNS_PQ_FORMERR);
	m[7] = 0, m[11] = 1;

	len = tq_build(m, 1, 0, "a", 1, -1, false);
	m[11] = 1;
	memcpy(m + len, "\1x\0\0\x29\x04\xd0\0\0\0\0\0\0", 13);
	assert_int_equal(weft_dns_wire_parse_query(m, len + 13, &q), DNS_PQ_FORMERR);
	memcpy(m + len, "\0\0\x29\x04\xd0\0\0\0\0\0\x06\0\x0a\0\x08\1\2", 17);
	assert_int_equal(weft_dns_wire_parse_query(m, len + 17, &q), DNS_PQ_FORMERR);
	memcpy(m + len, "\0\0\x29\x04\xd0\0\0\0\0\0\x02\0\x0a", 13);
	assert_int_equal(weft_dns_wire_parse_query(m, len + 13, &q), DNS_PQ_FORMERR);
	memcpy(m + len, "\0\0\x29\x04\xd0\0\0\0\0\0\x06\0\x0a\0\x02\1\2", 17);
	assert_int_equal(weft_dns_wire_parse_query(m, len + 17, &q), DNS_PQ_OK);
	/* A non-OPT additional record with a pointer back to the question. */
	memcpy(m + len, "\xc0\x0c\0\1\0\1\0\0\0\0\0\4\1\2\3\4", 16);
	assert_int_equal(weft_dns_wire_parse_query(m, len + 16, &q), DNS_PQ_OK);
	assert_false(q.edns);
}

static void test_reply_limit(void **state)
{
	struct weft_dns_query q;

	memset(&q, 0, sizeof(q));
	assert_int_equal(weft_dns_wire_reply_limit(&q, 4096, false), 512);
	assert_int_equal(weft_dns_wire_reply_limit(&q, 300, false), 300);
	assert_int_equal(weft_dns_wire_reply_limit(&q, 100000, true), 65535);
	assert_int_equal(weft_dns_wire_reply_limit(&q, 2000, true), 2000);
	q.edns = true;
	q.edns_size = 100;
	assert_int_equal(weft_dns_wire_reply_limit(&q, 4096, false), 512);
	q.edns_size = 1000;
	assert_int_equal(weft_dns_wire_reply_limit(&q, 4096, false), 1000);
	q.edns_size = 4096;
	assert_int_equal(weft_dns_wire_reply_limit(&q, 4096, false), 1232);
	assert_int_equal(weft_dns_wire_reply_limit(&q, 800, false), 800);
}

static void test_builder_compression(void **state)
{
	static const uint8_t expect[] = {
		0x12,
		0x34,
		0x81,
		0x00,
		0,
		1,
		0,
		0,
		0,
		0,
		0,
		0,
		/* 12: www.Example.com A IN */
		3,
		'w',
		'w',
		'w',
		7,
		'E',
		'x',
		'a',
		'm',
		'p',
		'l',
		'e',
		3,
		'c',
		'o',
		'm',
		0,
		0,
		1,
		0,
		1,
		/* 33: mail.example.com -> "mail" + pointer to 16 */
		4,
		'm',
		'a',
		'i',
		'l',
		0xc0,
		16,
		/* 40: example.com -> pointer to 16 */
		0xc0,
		16,
		/* 42: www.example.com -> pointer to 12 */
		0xc0,
		12,
		/* 44: a.mail.example.com -> "a" + pointer to 33 */
		1,
		'a',
		0xc0,
		33,
		/* 48: org, new */
		3,
		'o',
		'r',
		'g',
		0,
		/* 53: root */
		0,
		/* 54: uncompressed, not remembered */
		3,
		'x',
		'y',
		'z',
		3,
		'o',
		'r',
		'g',
		0,
		/* 63: xyz.org compressed: only the "org" at 48 is a target */
		3,
		'x',
		'y',
		'z',
		0xc0,
		48,
	};
	static const char *names[] = { "mail.example.com",   "example.com", "WWW.example.com",
				       "a.mail.example.com", "org",         "" };
	uint8_t buf[512];
	struct weft_dns_builder b;
	struct weft_dns_name n;
	struct tm_msg tm;
	size_t i;

	weft_dns_wire_begin(&b, buf, sizeof(buf));
	assert_int_equal(weft_dns_wire_header(&b, 0x1234, 0x8100), 0);
	assert_int_equal(weft_dns_wire_question(&b, (const uint8_t *)"\3www\7Example\3com\0\0\1\0\1", 21), 0);
	weft_dns_wire_count(&b, DNS_SEC_QD);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		weft_dns_wire_name_from_text(&n, names[i], false);
		assert_int_equal(weft_dns_wire_name(&b, &n, true), 0);
	}
	weft_dns_wire_name_from_text(&n, "xyz.org", false);
	assert_int_equal(weft_dns_wire_name(&b, &n, false), 0);
	assert_int_equal(weft_dns_wire_name(&b, &n, true), 0);
	assert_int_equal(b.len, sizeof(expect));
	assert_memory_equal(buf, expect, sizeof(expect));
	/* The header and question still parse with the other parser. */
	assert_int_equal(tm_parse(buf, 33, &tm), 0);
	assert_string_equal(tm.qname, "www.Example.com");
}

static void test_builder_overflow_and_rollback(void **state)
{
	uint8_t buf[64];
	struct weft_dns_builder b;
	struct weft_dns_name n;
	struct weft_dns_mark m;
	size_t at, len;
	unsigned nptr;

	weft_dns_wire_begin(&b, buf, 40);
	assert_int_equal(weft_dns_wire_header(&b, 7, 0x8000), 0);
	assert_int_equal(weft_dns_wire_question(&b, (const uint8_t *)"\3abc\0\0\1\0\1", 9), 0);
	weft_dns_wire_count(&b, DNS_SEC_QD);
	weft_dns_wire_mark(&b, &m);
	weft_dns_wire_name_from_text(&n, "abc", false);
	assert_int_equal(weft_dns_wire_rr_begin(&b, &n, 1, 1, 60, &at), 0);
	assert_int_equal(weft_dns_wire_put32(&b, 0x0a000001), 0);
	weft_dns_wire_rr_end(&b, at);
	weft_dns_wire_count(&b, DNS_SEC_AN);
	assert_int_equal(b.len, 21 + 16);
	assert_int_equal(buf[7], 1);
	assert_int_equal(buf[21 + 10], 0);
	assert_int_equal(buf[21 + 11], 4);

	/* No room for another record: the failed write leaves no trace. */
	len = b.len;
	nptr = b.nptr;
	weft_dns_wire_name_from_text(&n, "longer.name", false);
	assert_int_equal(weft_dns_wire_rr_begin(&b, &n, 1, 1, 60, &at), WEFT_EOVERSIZE);
	assert_int_equal(b.len, len);
	assert_int_equal(b.nptr, nptr);
	assert_int_equal(weft_dns_wire_put32(&b, 1), WEFT_EOVERSIZE);
	assert_int_equal(weft_dns_wire_opt(&b, 1232, 0, false), WEFT_EOVERSIZE);
	assert_int_equal(b.len, len);

	weft_dns_wire_rollback(&b, &m);
	assert_int_equal(b.len, 21);
	assert_int_equal(buf[7], 0);
	assert_int_equal(weft_dns_wire_opt(&b, 1232, 1, true), 0);
	assert_memory_equal(buf + 21, "\0\0\x29\x04\xd0\x01\0\x80\0\0\0", 11);
}

static void test_builder_many_names(void **state)
{
	/* More names than the compression table remembers: still correct. */
	uint8_t buf[8192];
	struct weft_dns_builder b;
	struct tm_msg tm;
	size_t i, at;

	weft_dns_wire_begin(&b, buf, sizeof(buf));
	weft_dns_wire_header(&b, 1, 0x8000);
	weft_dns_wire_question(&b, (const uint8_t *)"\1q\4zone\0\0\1\0\1", 12);
	weft_dns_wire_count(&b, DNS_SEC_QD);
	for (i = 0; i < 100; i++) {
		struct weft_dns_name n, t;
		char s[64];

		snprintf(s, sizeof(s), "n%zu.sub%zu.zone", i, i % 7);
		weft_dns_wire_name_from_text(&n, s, false);
		snprintf(s, sizeof(s), "t%zu.sub%zu.zone", i, (i + 3) % 7);
		weft_dns_wire_name_from_text(&t, s, false);
		assert_int_equal(weft_dns_wire_rr_begin(&b, &n, DNS_T_CNAME, 1, 5, &at), 0);
		assert_int_equal(weft_dns_wire_name(&b, &t, true), 0);
		weft_dns_wire_rr_end(&b, at);
		weft_dns_wire_count(&b, DNS_SEC_AN);
	}
	assert_int_equal(b.nptr, DNS_COMP_MAX);
	assert_int_equal(tm_parse(buf, b.len, &tm), 0);
	assert_int_equal(tm.an, 100);
	assert_string_equal(tm.rr[42].name, "n42.sub0.zone");
	assert_string_equal(tm.rr[42].data, "t42.sub3.zone");
	assert_string_equal(tm.rr[99].name, "n99.sub1.zone");
	assert_string_equal(tm.rr[99].data, "t99.sub4.zone");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_from_text),      cmocka_unit_test(test_name_under_and_append),
		cmocka_unit_test(test_name_read_pointers),  cmocka_unit_test(test_parse_dig_vectors),
		cmocka_unit_test(test_parse_errors),        cmocka_unit_test(test_reply_limit),
		cmocka_unit_test(test_builder_compression), cmocka_unit_test(test_builder_overflow_and_rollback),
		cmocka_unit_test(test_builder_many_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
