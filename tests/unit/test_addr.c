/* Unit tests for core/addr.c: table-driven parse cases for addresses, CIDRs
 * and endpoints, prefix maths and its edge prefixes, and offsets with carry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/addr.h"
#include "core/error.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static weft_ip_t ip_of(const char *s)
{
	weft_ip_t ip;

	if (weft_ip_parse(&ip, s) != 0)
		fail_msg("cannot parse %s", s);
	return ip;
}

static weft_cidr_t cidr_of(const char *s)
{
	weft_cidr_t c;

	if (weft_cidr_parse(&c, s) != 0)
		fail_msg("cannot parse %s", s);
	return c;
}

static void test_ip_parse(void **state)
{
	static const struct {
		const char *in, *out;
		int family;
	} good[] = {
		{ "10.0.0.1", "10.0.0.1", 4 },
		{ "0.0.0.0", "0.0.0.0", 4 },
		{ "255.255.255.255", "255.255.255.255", 4 },
		{ "::", "::", 6 },
		{ "::1", "::1", 6 },
		{ "fd00::1", "fd00::1", 6 },
		{ "FD00:0:0::01", "fd00::1", 6 },
		{ "::ffff:1.2.3.4", "::ffff:1.2.3.4", 6 },
		{ "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8", 6 },
		{ "2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1", 6 },
		{ "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 6 },
	};
	static const char *bad[] = {
		"",         "1.2.3",     "1.2.3.4.5",         "256.0.0.1", "01.2.3.4", "1.2.3.4 ",     " 1.2.3.4",
		"1.2.3.-4", "0x1.2.3.4", "1.2.3.4/32",        "localhost", "1..2.3",   "fd00::1%eth0", ":::",
		"1::2::3",  "fd00::g",   "1:2:3:4:5:6:7:8:9", "[::1]",     "::1 ",     "1.2.3.4\n",
	};
	char buf[WEFT_ADDRSTRLEN];
	weft_ip_t ip, back;
	size_t i;

	for (i = 0; i < N(good); i++) {
		assert_int_equal(weft_ip_parse(&ip, good[i].in), 0);
		assert_int_equal(ip.family, good[i].family);
		assert_string_equal(weft_ip_format(&ip, buf, sizeof(buf)), good[i].out);
		assert_int_equal(weft_ip_parse(&back, buf), 0);
		assert_true(weft_ip_equal(&ip, &back));
		assert_int_equal(weft_ip_cmp(&ip, &back), 0);
	}
	for (i = 0; i < N(bad); i++) {
		ip.family = 9;
		if (weft_ip_parse(&ip, bad[i]) != WEFT_EBADADDR)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_int_equal(ip.family, 9); /* untouched on failure */
	}
	assert_int_equal(weft_ip_parse(&ip, NULL), WEFT_EBADADDR);

	/* IPv4 bytes beyond the fourth stay zero. */
	ip = ip_of("1.2.3.4");
	for (i = 4; i < 16; i++)
		assert_int_equal(ip.b[i], 0);
	/* Family 0 formats as "", a short buffer as "". */
	memset(&ip, 0, sizeof(ip));
	assert_string_equal(weft_ip_format(&ip, buf, sizeof(buf)), "");
	ip = ip_of("10.0.0.1");
	assert_string_equal(weft_ip_format(&ip, buf, 5), "");
}

static void test_ip_cmp(void **state)
{
	weft_ip_t a = ip_of("10.0.0.1"), b = ip_of("10.0.0.2"), c = ip_of("::a00:1");

	assert_int_equal(weft_ip_cmp(&a, &b), -1);
	assert_int_equal(weft_ip_cmp(&b, &a), 1);
	/* Same bytes, other family: not equal, IPv4 sorts first. */
	assert_false(weft_ip_equal(&a, &c));
	assert_int_equal(weft_ip_cmp(&a, &c), -1);
	assert_int_equal(weft_ip_cmp(&c, &a), 1);
	b = a;
	assert_true(weft_ip_equal(&a, &b));
}

static void test_cidr_parse(void **state)
{
	static const struct {
		const char *in;
		unsigned prefix, host_bits;
	} good[] = {
		{ "10.0.0.0/8", 8, 24 },   { "10.1.0.0/16", 16, 16 }, { "0.0.0.0/0", 0, 32 },
		{ "10.0.0.1/32", 32, 0 },  { "10.0.0.0/31", 31, 1 },  { "100.64.0.0/10", 10, 22 },
		{ "fd00::/8", 8, 120 },    { "fd00:1::/64", 64, 64 }, { "::/0", 0, 128 },
		{ "fd00::1/128", 128, 0 }, { "fd00::/127", 127, 1 },  { "10.0.0.128/25", 25, 7 },
	};
	static const char *bad[] = {
		"10.0.0.1/24",
		"10.0.0.0",
		"10.0.0.0/33",
		"10.0.0.0/-1",
		"10.0.0.0/",
		"10.0.0.0/08",
		"10.0.0.0/8 ",
		"10.0.0.0/8/8",
		"fd00::/129",
		"fd00::1/64",
		"/8",
		"10.0.0.0/+8",
		"10.0.0.0/1e1",
		"10.0.0.0/0x8",
		"10.0.0.0 /8",
		"10.0.0/8",
		"10.0.0.0/1000",
		"fd00::",
		"",
		"10.0.0.0/00",
		"10.0.0.64/25",
		"fd00::4000/113",
	};
	char buf[WEFT_CIDRSTRLEN];
	weft_cidr_t c, back;
	size_t i;

	for (i = 0; i < N(good); i++) {
		assert_int_equal(weft_cidr_parse(&c, good[i].in), 0);
		assert_int_equal(c.prefix, good[i].prefix);
		assert_int_equal(weft_cidr_host_bits(&c), good[i].host_bits);
		assert_string_equal(weft_cidr_format(&c, buf, sizeof(buf)), good[i].in);
		assert_int_equal(weft_cidr_parse(&back, buf), 0);
		assert_true(weft_ip_equal(&c.ip, &back.ip));
		assert_int_equal(c.prefix, back.prefix);
	}
	for (i = 0; i < N(bad); i++)
		if (weft_cidr_parse(&c, bad[i]) != WEFT_EBADCIDR)
			fail_msg("accepted \"%s\"", bad[i]);
	assert_int_equal(weft_cidr_parse(&c, NULL), WEFT_EBADCIDR);
	c = cidr_of("fd00::/8");
	assert_string_equal(weft_cidr_format(&c, buf, 6), "");
}

static void test_contains(void **state)
{
	static const struct {
		const char *cidr, *ip;
		bool in;
	} cases[] = {
		{ "10.0.0.0/8", "10.255.255.255", true },
		{ "10.0.0.0/8", "11.0.0.0", false },
		{ "10.0.0.0/8", "9.255.255.255", false },
		{ "10.1.2.0/24", "10.1.2.77", true },
		{ "10.1.2.0/24", "10.1.3.0", false },
		{ "10.0.0.5/32", "10.0.0.5", true },
		{ "10.0.0.5/32", "10.0.0.4", false },
		{ "10.0.0.4/31", "10.0.0.5", true },
		{ "10.0.0.4/31", "10.0.0.6", false },
		{ "0.0.0.0/0", "200.1.2.3", true },
		{ "0.0.0.0/0", "::1", false },
		{ "::/0", "10.0.0.1", false },
		{ "::/0", "::1", true },
		{ "fd00::/8", "fdff:ffff::1", true },
		{ "fd00::/8", "fe00::", false },
		{ "fd00:1::/64", "fd00:1::ffff:ffff:ffff:ffff", true },
		{ "fd00:1::/64", "fd00:1:0:1::", false },
		{ "fd00::1/128", "fd00::1", true },
		{ "fd00::1/128", "fd00::", false },
		{ "fd00::/127", "fd00::1", true },
		{ "fd00::/127", "fd00::2", false },
		{ "fd00::/9", "fd80::", false },
		{ "fd00::/9", "fd7f::", true },
	};
	weft_cidr_t c;
	weft_ip_t ip;
	size_t i;

	for (i = 0; i < N(cases); i++) {
		c = cidr_of(cases[i].cidr);
		ip = ip_of(cases[i].ip);
		if (weft_cidr_contains(&c, &ip) != cases[i].in)
			fail_msg("%s contains %s: expected %d", cases[i].cidr, cases[i].ip, cases[i].in);
	}
	memset(&ip, 0, sizeof(ip));
	c = cidr_of("0.0.0.0/0");
	assert_false(weft_cidr_contains(&c, &ip));
}

static void test_overlaps(void **state)
{
	static const struct {
		const char *a, *b;
		bool overlap;
	} cases[] = {
		{ "10.0.0.0/8", "10.1.0.0/16", true },   { "10.0.0.0/16", "10.1.0.0/16", false },
		{ "10.0.0.0/15", "10.1.0.0/16", true },  { "10.0.0.0/24", "10.0.0.0/24", true },
		{ "10.0.0.4/31", "10.0.0.5/32", true },  { "10.0.0.4/31", "10.0.0.6/31", false },
		{ "0.0.0.0/0", "192.168.0.0/16", true }, { "10.0.0.0/8", "fd00::/8", false },
		{ "0.0.0.0/0", "::/0", false },          { "fd00::/8", "fd12:3456::/32", true },
		{ "fd00::/16", "fd01::/16", false },     { "fd00::/127", "fd00::1/128", true },
		{ "fd00::/127", "fd00::2/128", false },  { "::/0", "fd00::1/128", true },
	};
	weft_cidr_t a, b;
	size_t i;

	for (i = 0; i < N(cases); i++) {
		a = cidr_of(cases[i].a);
		b = cidr_of(cases[i].b);
		if (weft_cidr_overlaps(&a, &b) != cases[i].overlap || weft_cidr_overlaps(&b, &a) != cases[i].overlap)
			fail_msg("%s overlaps %s: expected %d", cases[i].a, cases[i].b, cases[i].overlap);
	}
}

static void test_usable_reserved(void **state)
{
	static const struct {
		const char *cidr;
		uint64_t usable;
	} usable[] = {
		{ "10.0.0.1/32", 1 },
		{ "10.0.0.0/31", 2 },
		{ "10.0.0.0/30", 2 },
		{ "10.0.0.0/29", 6 },
		{ "10.0.0.0/24", 254 },
		{ "10.0.0.0/16", 65534 },
		{ "0.0.0.0/0", 4294967294ull },
		{ "fd00::1/128", 1 },
		{ "fd00::/127", 2 },
		{ "fd00::/126", 3 },
		{ "fd00::/112", 65535 },
		{ "fd00::/65", 9223372036854775807ull },
		{ "fd00::/64", UINT64_MAX },
		{ "fd00::/8", UINT64_MAX },
	};
	static const struct {
		const char *cidr, *ip;
		bool reserved;
	} reserved[] = {
		{ "10.0.0.0/24", "10.0.0.0", true },
		{ "10.0.0.0/24", "10.0.0.255", true },
		{ "10.0.0.0/24", "10.0.0.1", false },
		{ "10.0.0.0/24", "10.0.0.254", false },
		{ "10.0.0.0/24", "10.0.1.0", false }, /* outside: not "reserved" */
		{ "10.0.0.0/30", "10.0.0.3", true },
		{ "10.0.0.0/30", "10.0.0.2", false },
		{ "10.0.0.0/31", "10.0.0.0", false },
		{ "10.0.0.0/31", "10.0.0.1", false },
		{ "10.0.0.7/32", "10.0.0.7", false },
		{ "fd00::/64", "fd00::", true },
		{ "fd00::/64", "fd00::ffff:ffff:ffff:ffff", false },
		{ "fd00::/126", "fd00::3", false },
		{ "fd00::/127", "fd00::", false },
		{ "fd00::1/128", "fd00::1", false },
		{ "10.1.0.0/16", "10.1.255.255", true },
		{ "10.1.0.0/16", "10.1.255.0", false },
		{ "10.1.0.0/16", "10.1.0.255", false },
	};
	weft_cidr_t c;
	weft_ip_t ip;
	size_t i;

	for (i = 0; i < N(usable); i++) {
		c = cidr_of(usable[i].cidr);
		if (weft_cidr_usable(&c) != usable[i].usable)
			fail_msg("%s: %llu usable", usable[i].cidr, (unsigned long long)weft_cidr_usable(&c));
	}
	for (i = 0; i < N(reserved); i++) {
		c = cidr_of(reserved[i].cidr);
		ip = ip_of(reserved[i].ip);
		if (weft_cidr_reserved(&c, &ip) != reserved[i].reserved)
			fail_msg("%s reserved %s: expected %d", reserved[i].cidr, reserved[i].ip,
				 reserved[i].reserved);
	}
}

static void offset_u64(uint8_t off[16], uint64_t hi, uint64_t lo)
{
	int i;

	for (i = 0; i < 8; i++) {
		off[7 - i] = (uint8_t)(hi >> (8 * i));
		off[15 - i] = (uint8_t)(lo >> (8 * i));
	}
}

static void test_nth(void **state)
{
	static const struct {
		const char *net; /* parsed as an address, so host bits may be set */
		unsigned prefix;
		uint64_t hi, lo;
		const char *want;
	} cases[] = {
		{ "10.0.0.0", 16, 0, 0x0100, "10.0.1.0" },
		{ "10.0.0.0", 16, 0, 0x01ff, "10.0.1.255" },
		{ "10.0.0.0", 16, 0, 0x10000, "10.0.0.0" }, /* modulo the host part */
		{ "10.0.0.0", 16, 0, 0x12345, "10.0.35.69" },
		{ "10.0.0.0", 16, UINT64_MAX, UINT64_MAX, "10.0.255.255" },
		{ "10.0.0.255", 16, 0, 1, "10.0.1.0" },   /* carry into the next byte */
		{ "10.0.255.255", 16, 0, 1, "10.0.0.0" }, /* wraps, keeps the prefix */
		{ "10.0.255.255", 8, 0, 1, "10.1.0.0" },
		{ "10.255.255.255", 8, 0, 1, "10.0.0.0" },
		{ "10.0.0.6", 31, 0, 1, "10.0.0.7" },
		{ "10.0.0.6", 31, 0, 2, "10.0.0.6" },
		{ "10.0.0.6", 32, 0, 12345, "10.0.0.6" },
		{ "0.0.0.0", 0, 0, 0xc0a80101, "192.168.1.1" },
		{ "fd00::", 64, 0, UINT64_MAX, "fd00::ffff:ffff:ffff:ffff" },
		{ "fd00::", 64, UINT64_MAX, 5, "fd00::5" },
		{ "fd00::ffff:ffff:ffff:ffff", 48, 0, 1, "fd00:0:0:1::" }, /* carry over 8 bytes */
		{ "fd00:0:0:ffff:ffff:ffff:ffff:ffff", 48, 0, 1, "fd00::" },
		{ "fd00::", 8, 0x00ffffffffffffffull, UINT64_MAX, "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" },
		{ "::", 0, 0x0102030405060708ull, 0x090a0b0c0d0e0f10ull, "102:304:506:708:90a:b0c:d0e:f10" },
		{ "fd00::1", 128, 7, 7, "fd00::1" },
		{ "fd00::", 127, 0, 3, "fd00::1" },
	};
	char buf[WEFT_ADDRSTRLEN];
	uint8_t off[16];
	weft_cidr_t c;
	weft_ip_t ip;
	size_t i;

	for (i = 0; i < N(cases); i++) {
		c.ip = ip_of(cases[i].net);
		c.prefix = (uint8_t)cases[i].prefix;
		offset_u64(off, cases[i].hi, cases[i].lo);
		weft_cidr_nth(&c, off, &ip);
		assert_int_equal(ip.family, c.ip.family);
		weft_ip_format(&ip, buf, sizeof(buf));
		if (strcmp(buf, cases[i].want))
			fail_msg("case %zu: %s/%u + offset = %s, want %s", i, cases[i].net, cases[i].prefix, buf,
				 cases[i].want);
	}
}

static void test_endpoint(void **state)
{
	static const struct {
		const char *in;
		int family;
		unsigned port;
	} good[] = {
		{ "1.2.3.4:51820", 4, 51820 },         { "[fd00::1]:51820", 6, 51820 },  { "[::]:1", 6, 1 },
		{ "255.255.255.255:65535", 4, 65535 }, { "[::ffff:1.2.3.4]:80", 6, 80 }, { "0.0.0.0:9", 4, 9 },
		{ "[1:2:3:4:5:6:7:8]:8080", 6, 8080 },
	};
	static const char *bad[] = {
		"1.2.3.4",        "1.2.3.4:",      "1.2.3.4:0",      "1.2.3.4:65536",     "1.2.3.4:051820",
		"1.2.3.4:+1",     "1.2.3.4: 1",    "1.2.3.4:1 ",     "fd00::1:51820",     "[fd00::1]",
		"[fd00::1]51820", "[1.2.3.4]:80",  "host:80",        "[fd00::1%eth0]:80", ":80",
		"[]:80",          "1.2.3.4:80:80", "[fd00::1]:80x",  "1.2.3.4:999999",    "",
		"[fd00::1]:",     "[fd00::1:80",   "fd00::1]:80",    "[[fd00::1]]:80",    "1.2.3:80",
		" 1.2.3.4:80",    "1.2.3.4:-80",   "[fd00::1]:0x50", "1.2.3.4:00080",
	};
	char buf[WEFT_EPSTRLEN];
	weft_endpoint_t ep, back;
	size_t i;

	for (i = 0; i < N(good); i++) {
		assert_int_equal(weft_endpoint_parse(&ep, good[i].in), 0);
		assert_int_equal(ep.ip.family, good[i].family);
		assert_int_equal(ep.port, good[i].port);
		assert_string_equal(weft_endpoint_format(&ep, buf, sizeof(buf)), good[i].in);
		assert_int_equal(weft_endpoint_parse(&back, buf), 0);
		assert_true(weft_endpoint_equal(&ep, &back));
	}
	for (i = 0; i < N(bad); i++)
		if (weft_endpoint_parse(&ep, bad[i]) != WEFT_EBADADDR)
			fail_msg("accepted \"%s\"", bad[i]);
	assert_int_equal(weft_endpoint_parse(&ep, NULL), WEFT_EBADADDR);

	/* The longest endpoint fits WEFT_EPSTRLEN. */
	assert_int_equal(weft_endpoint_parse(&ep, "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535"), 0);
	assert_string_equal(weft_endpoint_format(&ep, buf, sizeof(buf)),
			    "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
	back = ep;
	back.port = 1;
	assert_false(weft_endpoint_equal(&ep, &back));
	assert_string_equal(weft_endpoint_format(&ep, buf, 10), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ip_parse),   cmocka_unit_test(test_ip_cmp),
		cmocka_unit_test(test_cidr_parse), cmocka_unit_test(test_contains),
		cmocka_unit_test(test_overlaps),   cmocka_unit_test(test_usable_reserved),
		cmocka_unit_test(test_nth),        cmocka_unit_test(test_endpoint),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
