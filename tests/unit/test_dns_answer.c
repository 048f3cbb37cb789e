/* dns/answer.c: every kind of answer from the fixture zone (see
 * test_dns_util.h), checked byte for byte where the bytes are the point
 * (compression) and otherwise by parsing the reply with the tests' own
 * parser: members, entries, CNAME chains, wildcards, PTR v4/v6, NXDOMAIN vs
 * NODATA, REFUSED and forwarding, FORMERR/NOTIMP/BADVERS/drop, EDNS, TC. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <strings.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/error.h"
#include "tests/unit/test_dns_util.h"
#include "dns/wire.h"

struct reply {
	int verdict;
	size_t len;
	uint8_t out[70000];
	uint8_t q[1024];
	size_t qlen;
	struct tm_msg tm;
};

/* One reply at a time; too big for the stack. */
static struct reply R;

static void check_reply(const uint8_t *q, size_t qlen, size_t cap)
{
	if (R.verdict != WEFT_DNS_REPLY)
		return;
	assert_true(R.len >= 12);
	assert_true(R.len <= cap);
	assert_int_equal(tm_parse(R.out, R.len, &R.tm), 0);
	assert_memory_equal(R.out, q, 2); /* the id */
	assert_true(R.tm.flags & DNS_F_QR);
	/* Opcode, RD and CD come back as they were sent. */
	assert_int_equal(R.tm.flags & (DNS_F_OPCODE | DNS_F_RD | DNS_F_CD),
			 weft_dns_get16(q + 2) & (DNS_F_OPCODE | DNS_F_RD | DNS_F_CD));
}

static int ask_raw(const weft_dns_zone_t *z, const uint8_t *q, size_t qlen, size_t cap, unsigned flags)
{
	R.verdict = weft_dns_answer(z, q, qlen, R.out, cap, &R.len, flags);
	check_reply(q, qlen, cap);
	return R.verdict;
}

/* A query for name/qtype (RD set, id 0x1234); the reply must echo the
 * question byte for byte. */
static int ask(const weft_dns_zone_t *z, const char *name, uint16_t qtype, int edns, unsigned flags)
{
	R.qlen = tq_build(R.q, 0x1234, DNS_F_RD, name, qtype, edns, false);
	ask_raw(z, R.q, R.qlen, sizeof(R.out), flags);
	if (R.verdict == WEFT_DNS_REPLY) {
		size_t ql = R.qlen - (edns >= 0 ? 11 : 0);

		assert_int_equal(R.tm.qd, 1);
		assert_memory_equal(R.out + 12, R.q + 12, ql - 12);
	}
	return R.verdict;
}

static void lower_copy(char *dst, const char *src, size_t cap)
{
	size_t i;

	for (i = 0; src[i] && i + 1 < cap; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
	dst[i] = '\0';
}

static void rr_is(const struct tm_rr *rr, const char *name, uint16_t type, uint32_t ttl, const char *data)
{
	char a[1100], b[1100];

	assert_non_null(rr);
	lower_copy(a, rr->name, sizeof(a));
	lower_copy(b, name, sizeof(b));
	assert_string_equal(a, b);
	assert_int_equal(rr->type, type);
	assert_int_equal(rr->klass, 1);
	assert_int_equal(rr->ttl, ttl);
	/* Names in RDATA may take the question's case through compression. */
	if (data && (type == DNS_T_CNAME || type == DNS_T_PTR || type == DNS_T_SOA || type == DNS_T_SRV)) {
		lower_copy(a, rr->data, sizeof(a));
		assert_string_equal(a, data);
	} else if (data) {
		assert_string_equal(rr->data, data);
	}
}

static void counts(unsigned an, unsigned ns, unsigned ar)
{
	assert_int_equal(R.tm.an, an);
	assert_int_equal(R.tm.ns, ns);
	assert_int_equal(R.tm.ar, ar);
}

static void rcode_is(unsigned rcode, bool aa)
{
	assert_int_equal(tm_rcode(&R.tm), rcode);
	assert_int_equal(!!(R.tm.flags & DNS_F_AA), aa);
}

/* The SOA a negative answer carries for the zone at apex. */
static void soa_is(const weft_dns_zone_t *z, const char *apex)
{
	char data[300];

	snprintf(data, sizeof(data), "net.internal hostmaster.net.internal %u 3600 600 86400 60",
		 weft_dns_zone_serial(z));
	rr_is(tm_get(&R.tm, 2, 0), apex, DNS_T_SOA, 60, data);
}

static void nodata(const weft_dns_zone_t *z, const char *apex)
{
	assert_int_equal(R.verdict, WEFT_DNS_REPLY);
	rcode_is(DNS_R_NOERROR, true);
	counts(0, 1, 0);
	soa_is(z, apex);
}

static void nxdomain(const weft_dns_zone_t *z, const char *apex)
{
	assert_int_equal(R.verdict, WEFT_DNS_REPLY);
	rcode_is(DNS_R_NXDOMAIN, true);
	counts(0, 1, 0);
	soa_is(z, apex);
}

static void refused(void)
{
	assert_int_equal(R.verdict, WEFT_DNS_REPLY);
	rcode_is(DNS_R_REFUSED, false);
	assert_int_equal(R.tm.an + R.tm.ns, 0);
}

static int setup(void **state)
{
	*state = tz_fixture();
	return 0;
}

static int teardown(void **state)
{
	weft_dns_zone_free(*state);
	return 0;
}

static void test_member_a_bytes(void **state)
{
	static const uint8_t expect[] = {
		0x12, 0x34, 0x85, 0x00, 0,   1,   0,   1,   0,   0,   0,   0,   3,  'w', 'e', 'b', 3,
		'n',  'e',  't',  8,    'i', 'n', 't', 'e', 'r', 'n', 'a', 'l', 0,  0,   1,   0,   1,
		0xc0, 0x0c, 0,    1,    0,   1,   0,   0,   0,   60,  0,   4,   10, 42,  0,   5,
	};

	assert_int_equal(ask(*state, "web.net.internal", DNS_T_A, -1, 0), WEFT_DNS_REPLY);
	assert_int_equal(R.len, sizeof(expect));
	assert_memory_equal(R.out, expect, sizeof(expect));
}

static void test_cname_bytes(void **state)
{
	static const uint8_t expect[] = {
		0x12,
		0x34,
		0x85,
		0x00,
		0,
		1,
		0,
		2,
		0,
		0,
		0,
		0,
		3,
		'w',
		'w',
		'w',
		3,
		'n',
		'e',
		't',
		8,
		'i',
		'n',
		't',
		'e',
		'r',
		'n',
		'a',
		'l',
		0,
		0,
		1,
		0,
		1,
		/* 34: www CNAME web.<pointer to net at 16>, the label at 46 */
		0xc0,
		0x0c,
		0,
		5,
		0,
		1,
		0,
		0,
		0x01,
		0x2c,
		0,
		6,
		3,
		'w',
		'e',
		'b',
		0xc0,
		0x10,
		/* 52: web A, owner a pointer to 46 */
		0xc0,
		0x2e,
		0,
		1,
		0,
		1,
		0,
		0,
		0,
		60,
		0,
		4,
		10,
		42,
		0,
		5,
	};

	assert_int_equal(ask(*state, "www.net.internal", DNS_T_A, -1, 0), WEFT_DNS_REPLY);
	assert_int_equal(R.len, sizeof(expect));
	assert_memory_equal(R.out, expect, sizeof(expect));
}

static void test_nxdomain_bytes(void **state)
{
	const weft_dns_zone_t *z = *state;
	uint32_t s = weft_dns_zone_serial(z);
	const uint8_t expect[] = {
		0x12,
		0x34,
		0x85,
		0x03,
		0,
		1,
		0,
		0,
		0,
		1,
		0,
		0,
		4,
		'n',
		'o',
		'p',
		'e',
		3,
		'n',
		'e',
		't',
		8,
		'i',
		'n',
		't',
		'e',
		'r',
		'n',
		'a',
		'l',
		0,
		0,
		1,
		0,
		1,
		/* 35: the SOA, owner and MNAME pointers to "net" at 17 */
		0xc0,
		0x11,
		0,
		6,
		0,
		1,
		0,
		0,
		0,
		60,
		0,
		35,
		0xc0,
		0x11,
		10,
		'h',
		'o',
		's',
		't',
		'm',
		'a',
		's',
		't',
		'e',
		'r',
		0xc0,
		0x11,
		(uint8_t)(s >> 24),
		(uint8_t)(s >> 16),
		(uint8_t)(s >> 8),
		(uint8_t)s,
		0,
		0,
		0x0e,
		0x10,
		0,
		0,
		0x02,
		0x58,
		0,
		1,
		0x51,
		0x80,
		0,
		0,
		0,
		60,
	};

	assert_int_equal(ask(z, "nope.net.internal", DNS_T_A, -1, 0), WEFT_DNS_REPLY);
	assert_int_equal(R.len, sizeof(expect));
	assert_memory_equal(R.out, expect, sizeof(expect));
}

static void test_members(void **state)
{
	const weft_dns_zone_t *z = *state;

	/* 0x20 case randomisation survives: question echoed, owner points at it. */
	assert_int_equal(ask(z, "WeB.nEt.InTeRnAl", DNS_T_A, -1, 0), WEFT_DNS_REPLY);
	rcode_is(DNS_R_NOERROR, true);
	counts(1, 0, 0);
	assert_string_equal(tm_get(&R.tm, 1, 0)->name, "WeB.nEt.InTeRnAl");
	rr_is(tm_get(&R.tm, 1, 0), "web.net.internal", DNS_T_A, 60, "10.42.0.5");

	ask(z, "web.net.internal", DNS_T_AAAA, -1, 0);
	counts(1, 0, 0);
	rr_is(tm_get(&R.tm, 1, 0), "web.net.internal", DNS_T_AAAA, 60, "fd00:42::5");
	ask(z, "api.net.internal", DNS_T_AAAA, -1, 0);
	rr_is(tm_get(&R.tm, 1, 0), "api.net.internal", DNS_T_AAAA, 60, "fd00:42::1:1");
	ask(z, "outside.net.internal", DNS_T_A, -1, 0);
	rr_is(tm_get(&R.tm, 1, 0), "outside.net.internal", DNS_T_A, 60, "192.168.1.1");

	/* db has no IPv6: NODATA; its A is the admin's entry. */
	ask(z, "db.net.internal", DNS_T_AAAA, -1, 0);
	nodata(z, "net.internal");
	ask(z, "db.net.internal", DNS_T_A, -1, 0);
	counts(1, 0, 0);
	rr_is(tm_get(&R.tm, 1, 0), "db.net.internal", DNS_T_A, 60, "10.42.100.100");

	/* Inactive members have no name. */
	ask(z, "gone.net.internal", DNS_T_A, -1, 0);
	nxdomain(z, "net.internal");
	ask(z, "pend.net.internal", DNS_T_A, -1, 0);
	nxdomain(z, "net.internal");
	ask(z, "left.net.internal", DNS_T_AAAA, -1, 0);
	nxdomain(z, "net.internal");
	ask(z, "old.net.internal", DNS_T_A, -1, 0);
	nxdomain(z, "net.internal");
	ask(z, "over.net.internal", DNS_T_A, -1, 0);
	nxdomain(z, "net.internal");
	/* Below a member's name nothing exists. */
	ask(z, "x.web.net.internal", DNS_T_A, -1, 0);
	nxdomain(z, "net.internal");
}

static void test_negative(void **state)
{
	const weft_dns_zone_t *z = *state;

	ask(z, "web.net.internal", DNS_T_MX, -1, 0);
	nodata(z, "net.internal");
	ask(z, "web.net.internal", 999, -1, 0);
	nodata(z, "net.internal");
	ask(z, "web.net.internal", DNS_T_TXT, -1, 0);
	nodata(z, "net.internal");
	/* Empty non-terminals exist. */
	ask(z, "_udp.net.internal", DNS_T_A, -1, 0);
	nodata(z, "net.internal");
	ask(z, "dev.net.internal", DNS_T_A, -1, 0);
	nodata(z, "net.internal");
	ask(z, "net.internal", DNS_T_NS, -1, 0);
	nodata(z, "net.internal");
	ask(z, "nope.net.internal", DNS_T_AAAA, -1, 0);
	nxdomain(z, "net.internal");

	ask(z, "NET.internal", DNS_T_SOA, -1, 0);
	rcode_is(DNS_R_NOERROR, true);
	counts(1, 0, 0);
	{
		char data[300];

		snprintf(data, sizeof(data), "net.internal hostmaster.net.internal %u 3600 600 86400 60",
			 weft_dns_zone_serial(z));
		rr_is(tm_get(&R.tm, 1, 0), "net.internal", DNS_T_SOA, 60, data);
	}
}

static void test_cname_chasing(void **state)
{
	const weft_dns_zone_t *z = *state;

	ask(z, "chain.net.internal", DNS_T_A, -1, 0);
	rcode_is(DNS_R_NOERROR, true);
	counts(3, 0, 0);
	rr_is(tm_get(&R.tm, 1, 0), "chain.net.internal", DNS_T_CNAME, 60, "www.net.internal");
	rr_is(tm_get(&R.tm, 1, 1), "www.net.internal", DNS_T_CNAME, 300, "web.net.internal");
	rr_is(tm_get(&R.tm, 1, 2), "web.net.internal", DNS_T_A, 60, "10.42.0.5");

	ask(z, "www.net.internal", DNS_T_AAAA, -1, 0);
	counts(2, 0, 0);
	rr_is(tm_get(&R.tm, 1, 1), "web.net.internal", DNS_T_AAAA, 60, "fd00:42::5");

	/* The chain ends in NODATA / NXDOMAIN: the rcode is the last name's
	 * (RFC 6604) and the SOA comes along. */
	ask(z, "www.net.internal", DNS_T_TXT, -1, 0);
	rcode_is(DNS_R_NOERROR, true);
	counts(1, 1, 0);
	soa_is(z, "net.internal");
	ask(z, "dangle.net.internal", DNS_T_A, -1, 0);
	rcode_is(DNS_R_NXDOMAIN, true);
	counts(1, 1, 0);
	rr_is(tm_get(&R.tm, 1, 0), "dangle.net.internal", DNS_T_CNAME, 60, "nothing.net.internal");
	soa_is(z, "net.internal");

	/* Outside the zone: the client's resolver chases it. */
	ask(z, "ext.net.internal", DNS_T_A, -1, WEFT_DNS_F_FORWARD);
	rcode_is(DNS_R_NOERROR, true);
	counts(1, 0, 0);
	rr_is(tm_get(&R.tm, 1, 0), "ext.net.internal", DNS_T_CNAME, 120, "example.com");

	/* A loop stops: each link once. */
	ask(z, "loop1.net.internal", DNS_T_A, -1, 0);
	rcode_is(DNS_R_NOERROR, true);
	counts(2, 0, 0);
	rr_is(tm_get(&R.tm, 1, 0), "loop1.net.internal", DNS_T_CNAME, 60, "loop2.net.internal");
	rr_is(tm_get(&R.tm, 1, 1), "loop2.net.internal", DNS_T_CNAME, 60, "loop1.net.internal");

	/* Asking for the CNAME itself does not chase it. */
	ask(z, "www.net.internal", DNS_T_CNAME, -1, 0);
	counts(1, 0, 0);
	rr_is(tm_get(&R.tm, 1, 0), "www.net.internal", DNS_T_CNAME, 300, "web.net.internal");

	/* "mail" is the admin's CNAME, not the member's. */
	ask(z, "mail.net.internal", DNS_T_A, -1, 0);
	counts(2, 0, 0);
	rr_is(tm_get(&R.tm, 1, 0), "mail.net.internal", DNS_T_CNAME, 60, "web.net.internal");
}

static void test_cname_chain_bound(void **state)
{
	struct weft_rec_dns e[12];
	const struct weft_rec_dns *ep[12];
	weft_dns_zone_t *z;
	struct tview t;
	size_t i;

	/* c0 -> c1 -> ... -> c11 -> web: only WEFT_DNS_CNAME_CHAIN links. */
	tv_init(&t, "net", NULL, "10.42.0.0/16", NULL);
	tv_add(&t, 1, "web", "10.42.0.5", NULL, WEFT_MEMBER_ACTIVE);
	for (i = 0; i < 12; i++) {
		char name[8], target[8];

		snprintf(name, sizeof(name), "c%zu", i);
		snprintf(target, sizeof(target), i == 11 ? "web" : "c%zu", i + 1);
		e[i] = te_entry(name, WEFT_DNS_CNAME, 60, target);
		ep[i] = &e[i];
	}
	assert_int_equal(weft_dns_zone_build_entries(&z, &t.v, ep, 12, NULL), 0);
	ask(z, "c0.net.internal", DNS_T_A, -1, 0);
	rcode_is(DNS_R_NOERROR, true);
	counts(WEFT_DNS_CNAME_CHAIN, 0, 0);
	rr_is(tm_get(&R.tm, 1, 7), "c7.net.internal", DNS_T_CNAME, 60, "c8.net.internal");
	/* c5 .. c11 is 7 links, then web's A. */
	ask(z, "c5.net.internal", DNS_T_A, -1, 0);
	counts(8, 0, 0);
	rr_is(tm_get(&R.tm, 1, 7), "web.net.internal", DNS_T_A, 60, "10.42.0.5");
	weft_dns_zone_free(z);
	tv_free(&t);
}

static void test_wildcards(void **state)
{
	const weft_dns_zone_t *z = *state;

	ask(z, "a.dev.net.internal", DNS_T_A, -1, 0);
	rcode_is(DNS_R_NOERROR, true);
	counts(1, 0, 0);
	rr_is(tm_get(&R.tm, 1, 0), "a.dev.net.internal", DNS_T_A, 10, "10.42.9.9");
	/* Deeper names whose closest encloser is "dev" match too. */
	ask(z, "A.B.Dev.net.internal", DNS_T_A, -1, 0);
	counts(1, 0, 0);
	assert_string_equal(tm_get(&R.tm, 1, 0)->name, "A.B.Dev.net.internal");
	/* The wildcard node holds only A. */
	ask(z, "a.dev.net.internal", DNS_T_TXT, -1, 0);
	nodata(z, "net.internal");
	/* Existing names are never synthesised: dev (an empty non-terminal)
	 * and x.dev (a TXT), and below x.dev the encloser is x.dev. */
	ask(z, "dev.net.internal", DNS_T_A, -1, 0);
	nodata(z, "net.internal");
	ask(z, "x.dev.net.internal", DNS_T_A, -1, 0);
	nodata(z, "net.internal");
	ask(z, "x.dev.net.internal", DNS_T_TXT, -1, 0);
	counts(1, 0, 0);
	rr_is(tm_get(&R.tm, 1, 0), "x.dev.net.internal", DNS_T_TXT, 60, "exists");
	ask(z, "y.x.dev.net.internal", DNS_T_A, -1, 0);
	nxdomain(z, "net.internal");
	/* The wildcard itself, asked literally. */
	ask(z, "*.dev.net.internal", DNS_T_A, -1, 0);
	counts(1, 0, 0);
	rr_is(tm_get(&R.tm, 1, 0), "*.dev.net.internal", DNS_T_A, 10, "10.42.9.9");

	/* A wildcard CNAME is chased from the synthesised name. */
	ask(z, "foo.wc.net.internal", DNS_T_A, -1, 0);
	counts(2, 0, 0);
	rr_is(tm_get(&R.tm, 1, 0), "foo.wc.net.internal", DNS_T_CNAME, 60, "web.net.internal");
	rr_is(tm_get(&R.tm, 1, 1), "web.net.internal", DNS_T_A, 60, "10.42.0.5");
	ask(z, "wc.net.internal", DNS_T_A, -1, 0);
	nodata(z, "net.internal");
}

static void test_srv_txt_aaaa(void **state)
{
	const weft_dns_zone_t *z = *state;

	/* The parser refuses a compressed SRV target, so this also checks
	 * RFC 2782. */
	ask(z, "_sip._udp.net.internal", DNS_T_SRV, -1, 0);
	counts(1, 0, 0);
	rr_is(tm_get(&R.tm, 1, 0), "_sip._udp.net.internal", DNS_T_SRV, 60, "10 20 5060 web.net.internal");
	ask(z, "far.net.internal", DNS_T_SRV, -1, 0);
	rr_is(tm_get(&R.tm, 1, 0), "far.net.internal", DNS_T_SRV, 60, "1 2 443 srv.example.org");
	ask(z, "txt.net.internal", DNS_T_TXT, -1, 0);
	rr_is(tm_get(&R.tm, 1, 0), "txt.net.internal", DNS_T_TXT, 30, "hello world");
	ask(z, "v6.net.internal", DNS_T_AAAA, -1, 0);
	rr_is(tm_get(&R.tm, 1, 0), "v6.net.internal", DNS_T_AAAA, 60, "fd00:42::99");
}

static void test_any_and_meta(void **state)
{
	const weft_dns_zone_t *z = *state;

	ask(z, "web.net.internal", DNS_T_ANY, -1, 0);
	rcode_is(DNS_R_NOERROR, true);
	counts(2, 0, 0);
	rr_is(tm_get(&R.tm, 1, 0), "web.net.internal", DNS_T_A, 60, "10.42.0.5");
	rr_is(tm_get(&R.tm, 1, 1), "web.net.internal", DNS_T_AAAA, 60, "fd00:42::5");
	ask(z, "www.net.internal", DNS_T_ANY, -1, 0);
	counts(1, 0, 0);
	rr_is(tm_get(&R.tm, 1, 0), "www.net.internal", DNS_T_CNAME, 300, "web.net.internal");
	ask(z, "dev.net.internal", DNS_T_ANY, -1, 0);
	nodata(z, "net.internal");
	ask(z, "nope.net.internal", DNS_T_ANY, -1, 0);
	nxdomain(z, "net.internal");
	ask(z, "net.internal", DNS_T_ANY, -1, 0);
	counts(1, 0, 0);
	assert_int_equal(tm_get(&R.tm, 1, 0)->type, DNS_T_SOA);
	ask(z, "5.0.42.10.in-addr.arpa", DNS_T_ANY, -1, 0);
	counts(1, 0, 0);
	rr_is(tm_get(&R.tm, 1, 0), "5.0.42.10.in-addr.arpa", DNS_T_PTR, 60, "web.net.internal");

	ask(z, "net.internal", DNS_T_AXFR, -1, 0);
	refused();
	ask(z, "net.internal", DNS_T_IXFR, -1, 0);
	refused();
	ask(z, "web.net.internal", DNS_T_MAILA, -1, 0);
	rcode_is(DNS_R_NOTIMP, false);
	counts(0, 0, 0);
	assert_string_equal(weft_dns_type_name(DNS_T_AAAA), "AAAA");
	assert_null(weft_dns_type_name(999));
}

static void test_ptr(void **state)
{
	const weft_dns_zone_t *z = *state;
	const char *apex6 = "0.0.0.0.0.0.0.0.2.4.0.0.0.0.d.f.ip6.arpa";
	char name[200];

	ask(z, "5.0.42.10.IN-ADDR.ARPA", DNS_T_PTR, -1, 0);
	rcode_is(DNS_R_NOERROR, true);
	counts(1, 0, 0);
	rr_is(tm_get(&R.tm, 1, 0), "5.0.42.10.in-addr.arpa", DNS_T_PTR, 60, "web.net.internal");
	ask(z, "1.1.42.10.in-addr.arpa", DNS_T_PTR, -1, 0);
	rr_is(tm_get(&R.tm, 1, 0), "1.1.42.10.in-addr.arpa", DNS_T_PTR, 60, "api.net.internal");
	ask(z, "5.0.42.10.in-addr.arpa", DNS_T_A, -1, 0);
	nodata(z, "42.10.in-addr.arpa");
	/* Inside the CIDR: no member (or one without its name) is NXDOMAIN,
	 * a shorter name NODATA, the apex has the SOA. */
	ask(z, "7.0.42.10.in-addr.arpa", DNS_T_PTR, -1, 0);
	nxdomain(z, "42.10.in-addr.arpa");
	ask(z, "99.0.42.10.in-addr.arpa", DNS_T_PTR, -1, 0);
	nxdomain(z, "42.10.in-addr.arpa");
	ask(z, "0.42.10.in-addr.arpa", DNS_T_PTR, -1, 0);
	nodata(z, "42.10.in-addr.arpa");
	ask(z, "42.10.in-addr.arpa", DNS_T_PTR, -1, 0);
	nodata(z, "42.10.in-addr.arpa");
	ask(z, "42.10.in-addr.arpa", DNS_T_SOA, -1, 0);
	counts(1, 0, 0);
	assert_int_equal(tm_get(&R.tm, 1, 0)->type, DNS_T_SOA);
	/* Names that cannot be an address. */
	ask(z, "1.5.0.42.10.in-addr.arpa", DNS_T_PTR, -1, 0);
	nxdomain(z, "42.10.in-addr.arpa");
	ask(z, "05.0.42.10.in-addr.arpa", DNS_T_PTR, -1, 0);
	nxdomain(z, "42.10.in-addr.arpa");
	ask(z, "256.0.42.10.in-addr.arpa", DNS_T_PTR, -1, 0);
	nxdomain(z, "42.10.in-addr.arpa");
	/* Outside the CIDR: not ours. */
	ask(z, "5.0.43.10.in-addr.arpa", DNS_T_PTR, -1, 0);
	refused();
	ask(z, "10.in-addr.arpa", DNS_T_PTR, -1, 0);
	refused();
	ask(z, "in-addr.arpa", DNS_T_SOA, -1, 0);
	refused();
	ask(z, "1.1.168.192.in-addr.arpa", DNS_T_PTR, -1, 0);
	refused();
	assert_int_equal(ask(z, "1.1.168.192.in-addr.arpa", DNS_T_PTR, -1, WEFT_DNS_F_FORWARD), WEFT_DNS_FORWARD);

	/* IPv6 nibbles. */
	snprintf(name, sizeof(name), "5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.%s", apex6);
	ask(z, name, DNS_T_PTR, -1, 0);
	counts(1, 0, 0);
	rr_is(tm_get(&R.tm, 1, 0), name, DNS_T_PTR, 60, "web.net.internal");
	snprintf(name, sizeof(name), "1.0.0.0.1.0.0.0.0.0.0.0.0.0.0.0.%s", apex6);
	ask(z, name, DNS_T_PTR, -1, 0);
	rr_is(tm_get(&R.tm, 1, 0), name, DNS_T_PTR, 60, "api.net.internal");
	snprintf(name, sizeof(name), "6.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.%s", apex6);
	ask(z, name, DNS_T_PTR, -1, 0);
	nxdomain(z, apex6);
	snprintf(name, sizeof(name), "0.0.0.0.%s", apex6);
	ask(z, name, DNS_T_PTR, -1, 0);
	nodata(z, apex6);
	ask(z, apex6, DNS_T_SOA, -1, 0);
	counts(1, 0, 0);
	snprintf(name, sizeof(name), "g.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.%s", apex6);
	ask(z, name, DNS_T_PTR, -1, 0);
	nxdomain(z, apex6);
	snprintf(name, sizeof(name), "00.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.%s", apex6);
	ask(z, name, DNS_T_PTR, -1, 0);
	nxdomain(z, apex6);
	ask(z, "5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.3.4.0.0.0.0.d.f.ip6.arpa", DNS_T_PTR, -1, 0);
	refused();
	ask(z, "2.4.0.0.0.0.d.f.ip6.arpa", DNS_T_PTR, -1, 0);
	refused();
}

static void test_ptr_unaligned_cidr(void **state)
{
	weft_dns_zone_t *z;
	struct tview t;

	/* A /20: the reverse apex is the /16, half of which is not ours. */
	tv_init(&t, "net", NULL, "10.42.16.0/20", NULL);
	tv_add(&t, 1, "web", "10.42.17.5", NULL, WEFT_MEMBER_ACTIVE);
	assert_int_equal(weft_dns_zone_build_entries(&z, &t.v, NULL, 0, NULL), 0);
	ask(z, "5.17.42.10.in-addr.arpa", DNS_T_PTR, -1, 0);
	counts(1, 0, 0);
	rr_is(tm_get(&R.tm, 1, 0), "5.17.42.10.in-addr.arpa", DNS_T_PTR, 60, "web.net.internal");
	ask(z, "6.17.42.10.in-addr.arpa", DNS_T_PTR, -1, 0);
	nxdomain(z, "42.10.in-addr.arpa");
	ask(z, "31.42.10.in-addr.arpa", DNS_T_PTR, -1, 0);
	nodata(z, "42.10.in-addr.arpa");
	ask(z, "42.10.in-addr.arpa", DNS_T_PTR, -1, 0);
	nodata(z, "42.10.in-addr.arpa");
	ask(z, "5.0.42.10.in-addr.arpa", DNS_T_PTR, -1, 0);
	refused();
	ask(z, "32.42.10.in-addr.arpa", DNS_T_PTR, -1, 0);
	refused();
	weft_dns_zone_free(z);
	tv_free(&t);
}

static void test_refused_and_forward(void **state)
{
	const weft_dns_zone_t *z = *state;
	uint8_t q[512];
	size_t ql;

	ask(z, "example.com", DNS_T_A, -1, 0);
	refused();
	assert_false(R.tm.flags & DNS_F_RA);
	ask(z, "xnet.internal", DNS_T_A, -1, 0);
	refused();
	ask(z, "internal", DNS_T_A, -1, 0);
	refused();
	ask(z, "", DNS_T_NS, -1, 0);
	refused();
	ask(z, "example.com", DNS_T_A, 1232, 0);
	refused();
	counts(0, 0, 1);
	assert_true(R.tm.edns);

	R.len = 12345;
	assert_int_equal(ask(z, "example.com", DNS_T_A, -1, WEFT_DNS_F_FORWARD), WEFT_DNS_FORWARD);
	assert_int_equal(R.len, 12345); /* nothing written */
	assert_int_equal(ask(z, "example.com", DNS_T_ANY, 1232, WEFT_DNS_F_FORWARD), WEFT_DNS_FORWARD);
	/* With forwarding on, in-zone answers say recursion is available. */
	ask(z, "web.net.internal", DNS_T_A, -1, WEFT_DNS_F_FORWARD);
	assert_true(R.tm.flags & DNS_F_RA);
	rcode_is(DNS_R_NOERROR, true);

	/* Class CH: refused in the zone, and not forwarded out of it. */
	ql = tq_build(q, 7, 0, "web.net.internal", DNS_T_A, -1, false);
	q[ql - 1] = 3;
	ask_raw(z, q, ql, 512, WEFT_DNS_F_FORWARD);
	refused();
	ql = tq_build(q, 7, 0, "version.bind", DNS_T_TXT, -1, false);
	q[ql - 1] = 3;
	assert_int_equal(ask_raw(z, q, ql, 512, WEFT_DNS_F_FORWARD), WEFT_DNS_REPLY);
	refused();
}

static void test_formerr_notimp_drop(void **state)
{
	const weft_dns_zone_t *z = *state;
	uint8_t q[600];
	size_t ql;

	/* Two questions. */
	ql = tq_build(q, 9, DNS_F_RD, "web.net.internal", DNS_T_A, -1, false);
	q[5] = 2;
	assert_int_equal(ask_raw(z, q, ql, 512, 0), WEFT_DNS_REPLY);
	rcode_is(DNS_R_FORMERR, false);
	assert_int_equal(R.tm.qd, 0);
	assert_int_equal(R.len, 12);
	/* Trailing garbage: FORMERR with the question echoed, no OPT. */
	q[5] = 1;
	q[ql] = 0xff;
	assert_int_equal(ask_raw(z, q, ql + 1, 512, 0), WEFT_DNS_REPLY);
	rcode_is(DNS_R_FORMERR, false);
	assert_int_equal(R.tm.qd, 1);
	assert_string_equal(R.tm.qname, "web.net.internal");
	counts(0, 0, 0);
	/* A pointer in the question. */
	memcpy(q + 12, "\3web\xc0\x0c\0\1\0\1", 10);
	assert_int_equal(ask_raw(z, q, 22, 512, 0), WEFT_DNS_REPLY);
	rcode_is(DNS_R_FORMERR, false);
	assert_int_equal(R.tm.qd, 0);
	/* A loop in an additional record's name. */
	ql = tq_build(q, 9, 0, "web.net.internal", DNS_T_A, -1, false);
	q[11] = 1;
	memcpy(q + ql, "\1a\xc0\x24\0\1\0\1\0\0\0\0\0\0", 14); /* at 36: a pointer to itself */
	assert_int_equal(ask_raw(z, q, ql + 14, 512, 0), WEFT_DNS_REPLY);
	rcode_is(DNS_R_FORMERR, false);
	assert_int_equal(R.tm.qd, 1);
	/* Reserved label type. */
	ql = tq_build(q, 9, 0, "web.net.internal", DNS_T_A, -1, false);
	q[12] = 0x43;
	assert_int_equal(ask_raw(z, q, ql, 512, 0), WEFT_DNS_REPLY);
	rcode_is(DNS_R_FORMERR, false);
	/* qtype OPT. */
	ask(z, "web.net.internal", DNS_T_OPT, -1, 0);
	rcode_is(DNS_R_FORMERR, false);
	/* Two OPTs: FORMERR and no OPT in the reply. */
	ql = tq_build(q, 9, 0, "web.net.internal", DNS_T_A, 1232, false);
	memcpy(q + ql, q + ql - 11, 11);
	q[11] = 2;
	assert_int_equal(ask_raw(z, q, ql + 11, 512, 0), WEFT_DNS_REPLY);
	rcode_is(DNS_R_FORMERR, false);
	assert_false(R.tm.edns);

	/* Opcode STATUS: NOTIMP, opcode echoed, no question. */
	ql = tq_build(q, 9, DNS_F_RD | (2 << 11), "web.net.internal", DNS_T_A, -1, false);
	assert_int_equal(ask_raw(z, q, ql, 512, 0), WEFT_DNS_REPLY);
	rcode_is(DNS_R_NOTIMP, false);
	assert_int_equal((R.tm.flags & DNS_F_OPCODE) >> 11, 2);
	assert_int_equal(R.len, 12);

	/* Responses and runts are dropped. */
	ql = tq_build(q, 9, DNS_F_QR, "web.net.internal", DNS_T_A, -1, false);
	R.len = 777;
	assert_int_equal(ask_raw(z, q, ql, 512, 0), WEFT_DNS_DROP);
	assert_int_equal(R.len, 777);
	assert_int_equal(ask_raw(z, q, 11, 512, 0), WEFT_DNS_DROP);
	assert_int_equal(ask_raw(z, q, 0, 512, 0), WEFT_DNS_DROP);

	/* EDNS version 1: BADVERS in the OPT's extended rcode. */
	ql = tq_build(q, 9, 0, "web.net.internal", DNS_T_A, 1232, true);
	q[ql - 5] = 1;
	assert_int_equal(ask_raw(z, q, ql, 512, 0), WEFT_DNS_REPLY);
	assert_int_equal(R.tm.flags & DNS_F_RCODE, 0);
	assert_int_equal(tm_rcode(&R.tm), DNS_R_BADVERS);
	assert_true(R.tm.edns);
	assert_int_equal(R.tm.edns_version, 0);
	assert_true(R.tm.edns_do);
	assert_int_equal(R.tm.qd, 1);
	counts(0, 0, 1);
}

static void test_edns(void **state)
{
	const weft_dns_zone_t *z = *state;

	ask(z, "web.net.internal", DNS_T_A, -1, 0);
	assert_false(R.tm.edns);
	ask(z, "web.net.internal", DNS_T_A, 4096, 0);
	assert_true(R.tm.edns);
	assert_int_equal(R.tm.edns_size, WEFT_DNS_UDP_MAX);
	assert_false(R.tm.edns_do);
	counts(1, 0, 1);
	R.qlen = tq_build(R.q, 0x1234, DNS_F_RD, "nope.net.internal", DNS_T_A, 1232, true);
	ask_raw(z, R.q, R.qlen, sizeof(R.out), 0);
	assert_true(R.tm.edns_do);
	rcode_is(DNS_R_NXDOMAIN, true);
	counts(0, 1, 1);

	/* 852 bytes of TXT: fits 1232 and 1000, not 600, not 100 (= 512). */
	ask(z, "big.net.internal", DNS_T_TXT, 1232, 0);
	counts(4, 0, 1);
	assert_false(R.tm.flags & DNS_F_TC);
	rr_is(tm_get(&R.tm, 1, 3), "big.net.internal", DNS_T_TXT, 60, NULL);
	assert_int_equal(strlen(tm_get(&R.tm, 1, 0)->data), 200);
	assert_int_equal(tm_get(&R.tm, 1, 3)->data[0], 'd');
	ask(z, "big.net.internal", DNS_T_TXT, 1000, 0);
	counts(4, 0, 1);
	ask(z, "big.net.internal", DNS_T_TXT, 600, 0);
	assert_true(R.tm.flags & DNS_F_TC);
	counts(0, 0, 1);
	assert_true(R.len <= 600);
	ask(z, "big.net.internal", DNS_T_TXT, 100, 0);
	assert_true(R.tm.flags & DNS_F_TC);
}

static void test_truncation(void **state)
{
	const weft_dns_zone_t *z = *state;
	uint8_t q[600];
	size_t ql;

	/* No EDNS: 512 bytes, TC, just the question; rcode and AA as usual. */
	ask(z, "big.net.internal", DNS_T_TXT, -1, 0);
	assert_true(R.tm.flags & DNS_F_TC);
	rcode_is(DNS_R_NOERROR, true);
	counts(0, 0, 0);
	assert_int_equal(R.len, 12 + 18 + 4);
	/* The same over TCP fits. */
	ask(z, "big.net.internal", DNS_T_TXT, -1, WEFT_DNS_F_TCP);
	assert_false(R.tm.flags & DNS_F_TC);
	counts(4, 0, 0);
	assert_true(R.len > 512);
	ask(z, "big.net.internal", DNS_T_ANY, -1, 0);
	assert_true(R.tm.flags & DNS_F_TC);

	/* The caller's buffer bounds everything. */
	ql = tq_build(q, 1, 0, "web.net.internal", DNS_T_A, 1232, false);
	ask_raw(z, q, ql, 45, 0);
	assert_int_equal(R.verdict, WEFT_DNS_REPLY);
	assert_true(R.tm.flags & DNS_F_TC);
	assert_int_equal(R.len, 45);
	assert_int_equal(ask_raw(z, q, ql, 44, 0), WEFT_EOVERSIZE);
	assert_int_equal(ask_raw(z, q, ql, 20, 0), WEFT_EOVERSIZE);
	ql = tq_build(q, 1, 0, "web.net.internal", DNS_T_A, -1, false);
	ask_raw(z, q, ql, 50, 0);
	assert_false(R.tm.flags & DNS_F_TC);
	ask_raw(z, q, ql, 49, 0);
	assert_true(R.tm.flags & DNS_F_TC);
	assert_int_equal(R.len, 34);
	/* A FORMERR needs only a header. */
	q[5] = 0;
	assert_int_equal(ask_raw(z, q, ql, 12, 0), WEFT_DNS_REPLY);
	assert_int_equal(ask_raw(z, q, ql, 11, 0), WEFT_EOVERSIZE);
}

static void test_dig_vectors(void **state)
{
	const weft_dns_zone_t *z = *state;
	uint8_t q[600];
	size_t ql;

	ql = dig_vector(DIG_A_MIXED_COOKIE, q, sizeof(q));
	assert_int_equal(ask_raw(z, q, ql, 1232, 0), WEFT_DNS_REPLY);
	rcode_is(DNS_R_NOERROR, true);
	counts(1, 0, 1);
	assert_string_equal(R.tm.qname, "Web.Net.Internal");
	rr_is(tm_get(&R.tm, 1, 0), "web.net.internal", DNS_T_A, 60, "10.42.0.5");
	assert_int_equal(R.tm.edns_size, 1232);

	ql = dig_vector(DIG_AAAA_NOEDNS, q, sizeof(q));
	ask_raw(z, q, ql, 512, 0);
	counts(1, 0, 0);
	rr_is(tm_get(&R.tm, 1, 0), "web.net.internal", DNS_T_AAAA, 60, "fd00:42::5");

	ql = dig_vector(DIG_A_DNSSEC_4096, q, sizeof(q));
	ask_raw(z, q, ql, 4096, 0);
	counts(1, 0, 1);
	assert_true(R.tm.edns_do);
	assert_int_equal(R.tm.edns_size, 1232);

	ql = dig_vector(DIG_PTR4, q, sizeof(q));
	ask_raw(z, q, ql, 1232, 0);
	rr_is(tm_get(&R.tm, 1, 0), "5.0.42.10.in-addr.arpa", DNS_T_PTR, 60, "web.net.internal");

	/* fd00::5 is not inside fd00:42::/64. */
	ql = dig_vector(DIG_PTR6, q, sizeof(q));
	ask_raw(z, q, ql, 1232, 0);
	refused();
	assert_int_equal(ask_raw(z, q, ql, 1232, WEFT_DNS_F_FORWARD), WEFT_DNS_FORWARD);

	ql = dig_vector(DIG_SRV_NORD, q, sizeof(q));
	ask_raw(z, q, ql, 1232, 0);
	assert_false(R.tm.flags & DNS_F_RD);
	rr_is(tm_get(&R.tm, 1, 0), "_sip._udp.net.internal", DNS_T_SRV, 60, "10 20 5060 web.net.internal");

	ql = dig_vector(DIG_ANY, q, sizeof(q));
	ask_raw(z, q, ql, 1232, 0);
	counts(2, 0, 1);

	ql = dig_vector(DIG_TXT_NOAD, q, sizeof(q));
	ask_raw(z, q, ql, 1232, 0);
	rcode_is(DNS_R_NOERROR, true);
	counts(0, 1, 1);
	soa_is(z, "net.internal");
}

static void test_member_ttl_option(void **state)
{
	struct weft_dns_zone_opts o;
	weft_dns_zone_t *z;
	struct tview t;

	memset(&o, 0, sizeof(o));
	o.member_ttl = 300;
	tz_fixture_view(&t);
	assert_int_equal(weft_dns_zone_build_entries(&z, &t.v, NULL, 0, &o), 0);
	ask(z, "web.net.internal", DNS_T_A, -1, 0);
	rr_is(tm_get(&R.tm, 1, 0), "web.net.internal", DNS_T_A, 300, "10.42.0.5");
	ask(z, "5.0.42.10.in-addr.arpa", DNS_T_PTR, -1, 0);
	assert_int_equal(tm_get(&R.tm, 1, 0)->ttl, 300);
	ask(z, "nope.net.internal", DNS_T_A, -1, 0);
	assert_int_equal(tm_get(&R.tm, 2, 0)->ttl, WEFT_DNS_NEG_TTL);
	weft_dns_zone_free(z);
	tv_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_member_a_bytes),
		cmocka_unit_test(test_cname_bytes),
		cmocka_unit_test(test_nxdomain_bytes),
		cmocka_unit_test(test_members),
		cmocka_unit_test(test_negative),
		cmocka_unit_test(test_cname_chasing),
		cmocka_unit_test(test_cname_chain_bound),
		cmocka_unit_test(test_wildcards),
		cmocka_unit_test(test_srv_txt_aaaa),
		cmocka_unit_test(test_any_and_meta),
		cmocka_unit_test(test_ptr),
		cmocka_unit_test(test_ptr_unaligned_cidr),
		cmocka_unit_test(test_refused_and_forward),
		cmocka_unit_test(test_formerr_notimp_drop),
		cmocka_unit_test(test_edns),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_dig_vectors),
		cmocka_unit_test(test_member_ttl_option),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
