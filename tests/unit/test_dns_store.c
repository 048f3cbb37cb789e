/* The zone built from a real record store (dns/zone_store.c): signed
 * network settings, invites, members, node states, revocations and DNS
 * entries go through the merge rules and the view, and the answers follow;
 * two stores holding the same records answer with the same serial. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "core/error.h"
#include "tests/unit/store_fixture.h"
#include "tests/unit/test_dns_util.h"
#include "dns/wire.h"

#define NOW_MS 1700000000000ull
#define MAXREC 32

struct world {
	weft_keypair_t admin, invite, node[4];
	weft_record_t rec[MAXREC];
	size_t nrec;
	weft_store_t *s;
};

static void add(struct world *w, const weft_record_t *r)
{
	int ret = weft_store_merge(w->s, r);

	assert_true(ret == WEFT_MERGE_ADDED || ret == WEFT_MERGE_REPLACED);
	assert_true(w->nrec < MAXREC);
	w->rec[w->nrec++] = *r;
}

static void world_init(struct world *w)
{
	static weft_record_t r;
	static const char *const names[4] = { "alpha", "beta", "alpha", "gamma" };
	unsigned i;

	memset(w, 0, sizeof(*w));
	assert_int_equal(weft_crypto_init(), 0);
	fx_key(&w->admin, FX_ADMIN, 1);
	fx_key(&w->invite, FX_INVITE, 1);
	w->s = weft_store_new(&w->admin.pk, NULL, NULL);
	assert_non_null(w->s);

	fx_begin(&r, WEFT_REC_NETWORK);
	r.u.network.version = 1;
	snprintf(r.u.network.name, sizeof(r.u.network.name), "lab");
	assert_int_equal(weft_cidr_parse(&r.u.network.cidr4, "10.77.0.0/16"), 0);
	assert_int_equal(weft_cidr_parse(&r.u.network.cidr6, "fd00:77::/64"), 0);
	r.u.network.wg_port = 51820;
	r.u.network.gossip_port = 51821;
	r.u.network.mtu = 1420;
	fx_sign(&r, &w->admin);
	add(w, &r);
	fx_invite(&r, &w->admin, &w->invite.pk, 10, NOW_MS / 1000 - 100);
	add(w, &r);
	for (i = 0; i < 4; i++) {
		fx_key(&w->node[i], FX_NODE, i + 1);
		fx_member(&r, &w->invite, &w->node[i].pk, NOW_MS - 10000 + i);
		add(w, &r);
		/* gamma (3) never publishes its state: no name yet. */
		if (i == 3)
			continue;
		fx_state(&r, &w->node[i], 1, names[i]);
		add(w, &r);
	}
	fx_dns(&r, &w->admin, "www", 1, "10.77.9.9", false);
	add(w, &r);
	fx_dns(&r, &w->admin, "old", 1, "10.77.9.8", true);
	add(w, &r);
}

static weft_dns_zone_t *zone_of(const weft_store_t *s, weft_view_t *v)
{
	weft_dns_zone_t *z = NULL;

	assert_int_equal(weft_store_view(s, NOW_MS, v), 0);
	assert_int_equal(weft_dns_zone_build(&z, v, s, NULL), 0);
	return z;
}

static struct tm_msg TM;

static unsigned query(const weft_dns_zone_t *z, const char *name, uint16_t qtype)
{
	uint8_t q[512], out[1232];
	size_t ql, ol;

	ql = tq_build(q, 42, DNS_F_RD, name, qtype, -1, false);
	assert_int_equal(weft_dns_answer(z, q, ql, out, sizeof(out), &ol, 0), WEFT_DNS_REPLY);
	assert_int_equal(tm_parse(out, ol, &TM), 0);
	return tm_rcode(&TM);
}

static const char *addr4_of(const weft_view_t *v, const weft_keypair_t *kp, char *buf)
{
	const struct weft_member_view *m = weft_view_find(v, &kp->pk);

	assert_non_null(m);
	assert_int_equal(m->address4.family, 4);
	return weft_ip_format(&m->address4, buf, WEFT_ADDRSTRLEN);
}

static void test_zone_from_store(void **state)
{
	const struct weft_dns_conflict *cf;
	struct world *w = calloc(1, sizeof(*w));
	char a[WEFT_ADDRSTRLEN], ptr[64];
	weft_dns_zone_t *z;
	weft_view_t v;
	const struct weft_member_view *m;

	world_init(w);
	z = zone_of(w->s, &v);
	assert_string_equal(weft_dns_zone_origin(z), "lab.internal");

	assert_int_equal(query(z, "alpha.lab.internal", DNS_T_A), DNS_R_NOERROR);
	assert_int_equal(TM.an, 1);
	assert_string_equal(TM.rr[0].data, addr4_of(&v, &w->node[0], a));
	assert_int_equal(query(z, "beta.lab.internal", DNS_T_A), DNS_R_NOERROR);
	assert_string_equal(TM.rr[0].data, addr4_of(&v, &w->node[1], a));

	/* PTR for alpha's allocated address. */
	m = weft_view_find(&v, &w->node[0].pk);
	snprintf(ptr, sizeof(ptr), "%u.%u.%u.%u.in-addr.arpa", m->address4.b[3], m->address4.b[2], m->address4.b[1],
		 m->address4.b[0]);
	assert_int_equal(query(z, ptr, DNS_T_PTR), DNS_R_NOERROR);
	assert_string_equal(TM.rr[0].data, "alpha.lab.internal");

	/* The second "alpha" joined later: it lost the name. */
	assert_int_equal(weft_dns_zone_conflicts(z, &cf), 1);
	assert_memory_equal(cf[0].node_id.b, w->node[2].pk.b, WEFT_PK_LEN);
	assert_memory_equal(cf[0].winner.b, w->node[0].pk.b, WEFT_PK_LEN);
	assert_int_equal(cf[0].why, WEFT_DNS_LOST_TAKEN);

	/* The admin's entries; a tombstone is no entry. */
	assert_int_equal(query(z, "www.lab.internal", DNS_T_A), DNS_R_NOERROR);
	assert_string_equal(TM.rr[0].data, "10.77.9.9");
	assert_int_equal(query(z, "old.lab.internal", DNS_T_A), DNS_R_NXDOMAIN);
	assert_int_equal(query(z, "gamma.lab.internal", DNS_T_A), DNS_R_NXDOMAIN);
	weft_dns_zone_free(z);
	weft_view_free(&v);
	weft_store_free(w->s);
	free(w);
}

static void test_store_changes(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	weft_record_t *r = calloc(1, sizeof(*r));
	weft_dns_zone_t *z;
	weft_view_t v;
	uint32_t serial;

	world_init(w);
	z = zone_of(w->s, &v);
	serial = weft_dns_zone_serial(z);
	weft_dns_zone_free(z);
	weft_view_free(&v);

	/* A revoked member loses its name, an updated entry answers anew. */
	fx_revocation(r, &w->admin, &w->node[1].pk, NOW_MS / 1000);
	add(w, r);
	fx_dns(r, &w->admin, "www", 2, "10.77.9.10", false);
	add(w, r);
	z = zone_of(w->s, &v);
	assert_int_not_equal(weft_dns_zone_serial(z), serial);
	assert_int_equal(query(z, "beta.lab.internal", DNS_T_A), DNS_R_NXDOMAIN);
	assert_int_equal(query(z, "www.lab.internal", DNS_T_A), DNS_R_NOERROR);
	assert_string_equal(TM.rr[0].data, "10.77.9.10");
	serial = weft_dns_zone_serial(z);
	weft_dns_zone_free(z);
	weft_view_free(&v);

	/* Another node holding the same records, merged in reverse order,
	 * answers with the same serial. */
	{
		weft_store_t *s2 = weft_store_new(&w->admin.pk, NULL, NULL);
		weft_view_t v2;
		size_t i;

		for (i = w->nrec; i-- > 0;)
			weft_store_merge(s2, &w->rec[i]);
		assert_int_equal(weft_store_pending_count(s2), 0);
		z = zone_of(s2, &v2);
		assert_int_equal(weft_dns_zone_serial(z), serial);
		weft_dns_zone_free(z);
		weft_view_free(&v2);
		weft_store_free(s2);
	}

	/* A domain in the settings moves the zone. */
	fx_begin(r, WEFT_REC_NETWORK);
	r->u.network.version = 2;
	snprintf(r->u.network.name, sizeof(r->u.network.name), "lab");
	snprintf(r->u.network.domain, sizeof(r->u.network.domain), "corp.example");
	weft_cidr_parse(&r->u.network.cidr4, "10.77.0.0/16");
	r->u.network.wg_port = 51820;
	r->u.network.gossip_port = 51821;
	r->u.network.mtu = 1420;
	fx_sign(r, &w->admin);
	add(w, r);
	z = zone_of(w->s, &v);
	assert_string_equal(weft_dns_zone_origin(z), "corp.example");
	assert_int_equal(query(z, "alpha.corp.example", DNS_T_A), DNS_R_NOERROR);
	assert_int_equal(query(z, "alpha.lab.internal", DNS_T_A), DNS_R_REFUSED);
	weft_dns_zone_free(z);
	weft_view_free(&v);

	weft_store_free(w->s);
	free(r);
	free(w);
}

static void ext_client(weft_record_t *r, const weft_keypair_t *admin, const weft_keypair_t *gw, const char *name,
		       const char *ip4, const char *ip6, bool deleted)
{
	fx_begin(r, WEFT_REC_EXT_CLIENT);
	r->u.ext_client.version = 2;
	snprintf(r->u.ext_client.name, sizeof(r->u.ext_client.name), "%s", name);
	r->u.ext_client.deleted = deleted;
	memset(r->u.ext_client.wg_pub.b, 0x42, sizeof(r->u.ext_client.wg_pub.b));
	assert_int_equal(weft_ip_parse(&r->u.ext_client.address4, ip4), 0);
	if (ip6)
		assert_int_equal(weft_ip_parse(&r->u.ext_client.address6, ip6), 0);
	r->u.ext_client.gateway = gw->pk;
	fx_sign(r, admin);
}

/* External clients have names: A and AAAA from their record; a deleted
 * one has none; a member keeps its name over a client's. */
static void test_ext_clients(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	static weft_record_t r;
	weft_dns_zone_t *z;
	weft_view_t v;
	char a[WEFT_ADDRSTRLEN];

	world_init(w);
	ext_client(&r, &w->admin, &w->node[0], "phone", "10.77.200.1", "fd00:77::c8:1", false);
	add(w, &r);
	ext_client(&r, &w->admin, &w->node[0], "gone", "10.77.200.2", NULL, true);
	add(w, &r);
	ext_client(&r, &w->admin, &w->node[0], "beta", "10.77.200.3", NULL, false);
	add(w, &r);
	z = zone_of(w->s, &v);
	assert_int_equal(query(z, "phone.lab.internal", DNS_T_A), DNS_R_NOERROR);
	assert_int_equal(TM.an, 1);
	assert_string_equal(TM.rr[0].data, "10.77.200.1");
	assert_int_equal(query(z, "phone.lab.internal", DNS_T_AAAA), DNS_R_NOERROR);
	assert_string_equal(TM.rr[0].data, "fd00:77::c8:1");
	assert_int_equal(query(z, "gone.lab.internal", DNS_T_A), DNS_R_NXDOMAIN);
	assert_int_equal(query(z, "beta.lab.internal", DNS_T_A), DNS_R_NOERROR);
	assert_int_equal(TM.an, 1);
	assert_string_equal(TM.rr[0].data, addr4_of(&v, &w->node[1], a));
	weft_dns_zone_free(z);
	weft_view_free(&v);
	weft_store_free(w->s);
	free(w);
}

static void test_no_settings(void **state)
{
	weft_keypair_t admin;
	weft_store_t *s;
	weft_dns_zone_t *z = (weft_dns_zone_t *)1;
	weft_view_t v;

	assert_int_equal(weft_crypto_init(), 0);
	fx_key(&admin, FX_ADMIN, 9);
	s = weft_store_new(&admin.pk, NULL, NULL);
	assert_int_equal(weft_store_view(s, NOW_MS, &v), 0);
	assert_int_equal(weft_dns_zone_build(&z, &v, s, NULL), WEFT_ENOTFOUND);
	assert_null(z);
	weft_view_free(&v);
	weft_store_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zone_from_store),
		cmocka_unit_test(test_store_changes),
		cmocka_unit_test(test_no_settings),
		cmocka_unit_test(test_ext_clients),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
