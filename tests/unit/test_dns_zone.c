/* dns/zone.c: the zone snapshot built from a hand-made view and entries:
 * the origin, who gets a name, conflicts, empty non-terminals, skipped
 * entries and a serial that depends on the content only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/error.h"
#include "tests/unit/test_dns_util.h"
#include "dns/zone.h"

static const struct weft_dns_node *find(const weft_dns_zone_t *z, const char *text)
{
	struct weft_dns_name n;

	if (weft_dns_wire_name_from_text(&n, text, true))
		return NULL;
	return weft_dns_zone_find(z, &n);
}

/* The records of one type at a name, as (type, rdata) lookups. */
static const struct weft_dns_rr *find_rr(const weft_dns_zone_t *z, const char *text, uint16_t type)
{
	const struct weft_dns_node *nd = find(z, text);
	uint32_t i;

	for (i = 0; nd && i < nd->nrr; i++) {
		if (z->rrs[nd->rr + i].type == type)
			return &z->rrs[nd->rr + i];
	}
	return NULL;
}

static void test_origin(void **state)
{
	weft_dns_zone_t *z;
	struct tview t;

	tv_init(&t, "Net", NULL, "10.42.0.0/16", NULL);
	assert_int_equal(weft_dns_zone_build_entries(&z, &t.v, NULL, 0, NULL), 0);
	assert_string_equal(weft_dns_zone_origin(z), "net.internal");
	assert_non_null(find_rr(z, "net.internal", DNS_T_SOA));
	assert_non_null(find_rr(z, "42.10.in-addr.arpa", DNS_T_SOA));
	assert_int_equal(z->nrev, 1);
	weft_dns_zone_free(z);

	snprintf(t.net.u.network.domain, sizeof(t.net.u.network.domain), "Corp.Example.COM.");
	assert_int_equal(weft_dns_zone_build_entries(&z, &t.v, NULL, 0, NULL), 0);
	assert_string_equal(weft_dns_zone_origin(z), "corp.example.com");
	weft_dns_zone_free(z);

	snprintf(t.net.u.network.domain, sizeof(t.net.u.network.domain), "bad domain");
	assert_int_equal(weft_dns_zone_build_entries(&z, &t.v, NULL, 0, NULL), WEFT_EMALFORMED);
	assert_null(z);
	snprintf(t.net.u.network.domain, sizeof(t.net.u.network.domain), ".");
	assert_int_equal(weft_dns_zone_build_entries(&z, &t.v, NULL, 0, NULL), WEFT_EMALFORMED);

	t.v.network = NULL;
	assert_int_equal(weft_dns_zone_build_entries(&z, &t.v, NULL, 0, NULL), WEFT_ENOTFOUND);
	assert_null(z);
	tv_free(&t);

	/* Reverse apexes follow the CIDRs rounded down to a label. */
	tv_init(&t, "n", NULL, "10.42.16.0/20", "fd00:42:0:10::/60");
	assert_int_equal(weft_dns_zone_build_entries(&z, &t.v, NULL, 0, NULL), 0);
	assert_int_equal(z->nrev, 2);
	assert_non_null(find_rr(z, "42.10.in-addr.arpa", DNS_T_SOA));
	assert_non_null(find_rr(z, "1.0.0.0.0.0.0.2.4.0.0.0.0.d.f.ip6.arpa", DNS_T_SOA));
	weft_dns_zone_free(z);
	tv_free(&t);
}

static void test_members(void **state)
{
	const struct weft_dns_conflict *cf;
	struct weft_dns_zone_stats st;
	const struct weft_dns_rr *rr;
	weft_dns_zone_t *z = tz_fixture();
	weft_pk_t id;
	size_t n;

	rr = find_rr(z, "web.net.internal", DNS_T_A);
	assert_non_null(rr);
	assert_int_equal(rr->ttl, WEFT_DNS_MEMBER_TTL);
	assert_memory_equal(weft_dns_rr_data(z, rr), "\x0a\x2a\x00\x05", 4);
	rr = find_rr(z, "web.net.internal", DNS_T_AAAA);
	assert_non_null(rr);
	assert_int_equal(rr->rdlen, 16);
	/* db's A is the admin's entry, not the member's. */
	rr = find_rr(z, "db.net.internal", DNS_T_A);
	assert_memory_equal(weft_dns_rr_data(z, rr), "\x0a\x2a\x64\x64", 4);
	assert_int_equal(find(z, "db.net.internal")->nrr, 1);
	assert_non_null(find_rr(z, "api.net.internal", DNS_T_AAAA));
	assert_non_null(find_rr(z, "outside.net.internal", DNS_T_A));

	/* Only active members have names. */
	assert_null(find(z, "gone.net.internal"));
	assert_null(find(z, "pend.net.internal"));
	assert_null(find(z, "left.net.internal"));
	assert_null(find(z, "old.net.internal"));
	assert_null(find(z, "over.net.internal"));

	/* PTRs: members with names inside the CIDRs. */
	rr = find_rr(z, "5.0.42.10.in-addr.arpa", DNS_T_PTR);
	assert_non_null(rr);
	assert_memory_equal(weft_dns_rr_data(z, rr), "\3web\3net\10internal", 18);
	assert_non_null(
		find_rr(z, "1.0.0.0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.2.4.0.0.0.0.d.f.ip6.arpa", DNS_T_PTR));
	assert_null(find(z, "7.0.42.10.in-addr.arpa"));  /* lost its name */
	assert_null(find(z, "13.0.42.10.in-addr.arpa")); /* lost to a CNAME */
	assert_null(find(z, "8.0.42.10.in-addr.arpa"));  /* revoked */
	assert_null(find(z, "1.1.168.192.in-addr.arpa"));

	/* Conflicts, in view order. */
	n = weft_dns_zone_conflicts(z, &cf);
	assert_int_equal(n, 3);
	assert_int_equal(cf[0].node_id.b[3], 3);
	assert_int_equal(cf[0].why, WEFT_DNS_LOST_TAKEN);
	assert_int_equal(cf[0].winner.b[3], 1);
	assert_string_equal(cf[0].name, "Web");
	assert_int_equal(cf[1].node_id.b[3], 10);
	assert_int_equal(cf[1].why, WEFT_DNS_LOST_ENTRY);
	assert_int_equal(cf[2].node_id.b[3], 11);
	assert_int_equal(cf[2].why, WEFT_DNS_LOST_INVALID);
	assert_string_equal(cf[2].name, "bad name");
	memset(&id, 0, sizeof(id));
	id.b[3] = 3;
	id.b[31] = 0x77;
	assert_ptr_equal(weft_dns_zone_conflict_of(z, &id), &cf[0]);
	id.b[3] = 1;
	assert_null(weft_dns_zone_conflict_of(z, &id));

	weft_dns_zone_stats(z, &st);
	assert_int_equal(st.members, 4); /* web, db, api, outside */
	assert_int_equal(st.conflicts, 3);
	assert_int_equal(st.entries, TZ_NENTRIES);
	assert_int_equal(st.skipped, 0);
	weft_dns_zone_free(z);
}

static void test_entries_and_ents(void **state)
{
	const struct weft_dns_node *nd;
	const struct weft_dns_rr *rr;
	weft_dns_zone_t *z = tz_fixture();

	/* Empty non-terminals above entries, and at a wildcard's parent. */
	nd = find(z, "_udp.net.internal");
	assert_non_null(nd);
	assert_int_equal(nd->nrr, 0);
	nd = find(z, "dev.net.internal");
	assert_non_null(nd);
	assert_int_equal(nd->nrr, 0);
	assert_non_null(find(z, "*.dev.net.internal"));
	assert_null(find(z, "a.dev.net.internal"));

	rr = find_rr(z, "_sip._udp.net.internal", DNS_T_SRV);
	assert_non_null(rr);
	assert_memory_equal(weft_dns_rr_data(z, rr), "\0\x0a\0\x14\x13\xc4\3web\3net\10internal", 24);
	rr = find_rr(z, "ext.net.internal", DNS_T_CNAME);
	assert_memory_equal(weft_dns_rr_data(z, rr), "\7example\3com", 13);
	assert_int_equal(rr->ttl, 120);
	rr = find_rr(z, "txt.net.internal", DNS_T_TXT);
	assert_int_equal(rr->rdlen, 12);
	assert_memory_equal(weft_dns_rr_data(z, rr), "\13hello world", 12);
	nd = find(z, "big.net.internal");
	assert_int_equal(nd->nrr, 4);
	weft_dns_zone_free(z);
}

static void test_skipped_entries(void **state)
{
	struct weft_rec_dns e[16];
	const struct weft_rec_dns *ep[17];
	struct weft_dns_zone_stats st;
	weft_dns_zone_t *z;
	struct tview t;
	char longname[300];
	size_t i, n = 0;

	tv_init(&t, "net", NULL, "10.42.0.0/16", NULL);
	tv_add(&t, 1, "web", "10.42.0.5", NULL, WEFT_MEMBER_ACTIVE);
	e[n++] = te_entry("a", WEFT_DNS_A, 60, "fd00::1");         /* wrong family */
	e[n++] = te_entry("b", WEFT_DNS_AAAA, 60, "10.0.0.1");     /* wrong family */
	e[n++] = te_entry("c", 99, 60, "x");                       /* unknown type */
	e[n++] = te_entry("d", WEFT_DNS_SRV, 60, "1 2 web");       /* no port */
	e[n++] = te_entry("e", WEFT_DNS_SRV, 60, "1 2 70000 web"); /* port too big */
	e[n++] = te_entry("@", WEFT_DNS_CNAME, 60, "web");         /* CNAME at the apex */
	e[n++] = te_entry("bad name", WEFT_DNS_A, 60, "10.0.0.1");
	e[n++] = te_entry("a.*", WEFT_DNS_A, 60, "10.0.0.1");
	e[n++] = te_entry("other.zone.", WEFT_DNS_A, 60, "10.0.0.1"); /* absolute, outside */
	memset(longname, 'x', 63);
	longname[63] = '.';
	memcpy(longname + 64, longname, 64);
	memcpy(longname + 128, longname, 64);
	memcpy(longname + 192, longname, 60);
	longname[252] = '\0';
	e[n++] = te_entry(longname, WEFT_DNS_A, 60, "10.0.0.1"); /* too long with the origin */
	/* A CNAME and other data at one name: the CNAME stays. */
	e[n++] = te_entry("both.net.internal.", WEFT_DNS_CNAME, 60, "web");
	e[n++] = te_entry("both", WEFT_DNS_TXT, 60, "x");
	/* Good ones, among them the deleted (not counted at all). */
	e[n++] = te_entry("@", WEFT_DNS_TXT, 60, "apex text");
	e[n++] = te_entry("srv", WEFT_DNS_SRV, 4000000000u, "0 0 1 .");
	e[n] = te_entry("gone", WEFT_DNS_A, 60, "10.0.0.9");
	e[n++].deleted = true;
	for (i = 0; i < n; i++)
		ep[i] = &e[i];
	ep[n] = NULL; /* tolerated */
	assert_int_equal(weft_dns_zone_build_entries(&z, &t.v, ep, n + 1, NULL), 0);
	weft_dns_zone_stats(z, &st);
	assert_int_equal(st.skipped, 11);
	assert_int_equal(st.entries, 3);
	assert_int_equal(st.members, 1);
	assert_null(find(z, "gone.net.internal"));
	assert_null(find_rr(z, "both.net.internal", DNS_T_TXT));
	assert_non_null(find_rr(z, "both.net.internal", DNS_T_CNAME));
	assert_non_null(find_rr(z, "net.internal", DNS_T_TXT));
	/* TTLs are capped at 2^31 - 1 (RFC 2181 §8); SRV "." is the root. */
	assert_int_equal(find_rr(z, "srv.net.internal", DNS_T_SRV)->ttl, 0x7fffffff);
	assert_memory_equal(weft_dns_rr_data(z, find_rr(z, "srv.net.internal", DNS_T_SRV)), "\0\0\0\0\0\1\0", 7);
	weft_dns_zone_free(z);
	tv_free(&t);
}

static void test_conflicts_case_and_order(void **state)
{
	const struct weft_dns_conflict *cf;
	weft_dns_zone_t *z;
	struct tview t;

	/* View order decides, whatever the case: first WEB keeps "web". */
	tv_init(&t, "net", NULL, "10.42.0.0/16", NULL);
	tv_add(&t, 9, "WEB", "10.42.0.9", NULL, WEFT_MEMBER_ACTIVE);
	tv_add(&t, 1, "web", "10.42.0.1", NULL, WEFT_MEMBER_ACTIVE);
	tv_add(&t, 5, "wEb", "10.42.0.5", NULL, WEFT_MEMBER_ACTIVE);
	tv_add(&t, 2, "web", "10.42.0.2", NULL, WEFT_MEMBER_REVOKED); /* inactive: no claim */
	assert_int_equal(weft_dns_zone_build_entries(&z, &t.v, NULL, 0, NULL), 0);
	assert_memory_equal(weft_dns_rr_data(z, find_rr(z, "web.net.internal", DNS_T_A)), "\x0a\x2a\x00\x09", 4);
	assert_int_equal(weft_dns_zone_conflicts(z, &cf), 2);
	assert_int_equal(cf[0].node_id.b[3], 1);
	assert_int_equal(cf[0].winner.b[3], 9);
	assert_int_equal(cf[1].node_id.b[3], 5);
	assert_int_equal(cf[1].winner.b[3], 9);
	weft_dns_zone_free(z);
	tv_free(&t);
}

static void test_serial(void **state)
{
	struct weft_rec_dns e[TZ_NENTRIES];
	const struct weft_rec_dns *ep[TZ_NENTRIES];
	struct weft_dns_zone_opts o;
	weft_dns_zone_t *z1, *z2;
	struct tview t;
	uint32_t s1;
	size_t i;

	tz_fixture_view(&t);
	tz_fixture_entries(e);
	for (i = 0; i < TZ_NENTRIES; i++)
		ep[i] = &e[i];
	assert_int_equal(weft_dns_zone_build_entries(&z1, &t.v, ep, TZ_NENTRIES, NULL), 0);
	s1 = weft_dns_zone_serial(z1);
	assert_int_not_equal(s1, 0);
	/* The SOA carries it. */
	assert_int_equal(weft_dns_get32(weft_dns_rr_data(z1, find_rr(z1, "net.internal", DNS_T_SOA)) +
					find_rr(z1, "net.internal", DNS_T_SOA)->rdlen - 20),
			 s1);

	/* Entries in another order, another hash key: the same serial. */
	for (i = 0; i < TZ_NENTRIES; i++)
		ep[i] = &e[TZ_NENTRIES - 1 - i];
	memset(&o, 0, sizeof(o));
	memset(o.hash_key, 0xa5, sizeof(o.hash_key));
	assert_int_equal(weft_dns_zone_build_entries(&z2, &t.v, ep, TZ_NENTRIES, &o), 0);
	assert_int_equal(weft_dns_zone_serial(z2), s1);
	assert_non_null(find_rr(z2, "web.net.internal", DNS_T_A));
	weft_dns_zone_free(z2);

	/* Any change in content changes it. */
	t.m[0].address4.b[3] = 99;
	assert_int_equal(weft_dns_zone_build_entries(&z2, &t.v, ep, TZ_NENTRIES, NULL), 0);
	assert_int_not_equal(weft_dns_zone_serial(z2), s1);
	weft_dns_zone_free(z2);
	t.m[0].address4.b[3] = 5;
	e[5].ttl = 31;
	assert_int_equal(weft_dns_zone_build_entries(&z2, &t.v, ep, TZ_NENTRIES, NULL), 0);
	assert_int_not_equal(weft_dns_zone_serial(z2), s1);
	weft_dns_zone_free(z2);
	e[5].ttl = 30;
	o.member_ttl = 300;
	assert_int_equal(weft_dns_zone_build_entries(&z2, &t.v, ep, TZ_NENTRIES, &o), 0);
	assert_int_not_equal(weft_dns_zone_serial(z2), s1);
	assert_int_equal(find_rr(z2, "web.net.internal", DNS_T_A)->ttl, 300);
	weft_dns_zone_free(z2);

	weft_dns_zone_free(z1);
	tv_free(&t);
}

static void test_many_members(void **state)
{
	struct weft_dns_zone_stats st;
	weft_dns_zone_t *z;
	struct tview t;
	uint32_t i;

	/* 5,000 members and a name table that finds each of them. */
	tv_init(&t, "big", NULL, "10.0.0.0/8", "fd00::/64");
	for (i = 0; i < 5000; i++) {
		char name[32], a4[32], a6[64];

		snprintf(name, sizeof(name), "node-%u", i);
		snprintf(a4, sizeof(a4), "10.%u.%u.%u", i >> 16, (i >> 8) & 0xff, i & 0xff);
		snprintf(a6, sizeof(a6), "fd00::%x", i + 1);
		tv_add(&t, i, name, a4, a6, WEFT_MEMBER_ACTIVE);
	}
	assert_int_equal(weft_dns_zone_build_entries(&z, &t.v, NULL, 0, NULL), 0);
	weft_dns_zone_stats(z, &st);
	assert_int_equal(st.members, 5000);
	assert_int_equal(st.rrs, 5000 * 4 + 3);
	for (i = 0; i < 5000; i += 7) {
		char name[64];
		const struct weft_dns_rr *rr;

		snprintf(name, sizeof(name), "node-%u.big.internal", i);
		rr = find_rr(z, name, DNS_T_A);
		assert_non_null(rr);
		assert_int_equal(weft_dns_rr_data(z, rr)[3], i & 0xff);
	}
	assert_null(find(z, "node-5000.big.internal"));
	weft_dns_zone_free(z);
	tv_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_origin),
		cmocka_unit_test(test_members),
		cmocka_unit_test(test_entries_and_ents),
		cmocka_unit_test(test_skipped_entries),
		cmocka_unit_test(test_conflicts_case_and_order),
		cmocka_unit_test(test_serial),
		cmocka_unit_test(test_many_members),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
