/* Unit tests for wg/diff.c: the change set between a desired and a current
 * device — only what differs, one entry per changed peer, never a
 * replace-all — and the desired states it refuses. */
#include "tests/unit/test_wg_util.h"

static const weft_wg_peer_change_t *find_change(const weft_wg_changeset_t *cs, unsigned n)
{
	weft_wgkey_t k = tkey(n);
	size_t i;

	for (i = 0; i < cs->n_peers; i++)
		if (!memcmp(cs->peers[i].public_key.b, k.b, WEFT_WGKEY_LEN))
			return &cs->peers[i];
	return NULL;
}

static void test_empty(void **state)
{
	weft_wg_device_t d = { 0 }, c = { 0 };
	weft_wg_changeset_t cs;

	assert_int_equal(weft_wg_diff(&d, &c, &cs, NULL), 0);
	assert_int_equal(cs.n_peers, 0);
	assert_int_equal(cs.flags, 0);
	weft_wg_changeset_free(&cs);
}

static void test_add_all(void **state)
{
	weft_wg_device_t d = { 0 }, c = { 0 };
	weft_wg_changeset_t cs;
	const weft_wg_peer_change_t *pc;

	tpeer(&d, 1, "192.0.2.1:51820", 25);
	tpeer(&d, 2, NULL, 0);
	tpeer(&d, 3, "[2001:db8::3]:51820", 0);
	assert_int_equal(weft_wg_diff(&d, &c, &cs, NULL), 0);
	assert_int_equal(cs.n_peers, 3);
	assert_int_equal(cs.added, 3);
	assert_int_equal(cs.removed + cs.updated, 0);
	pc = find_change(&cs, 1);
	assert_non_null(pc);
	assert_int_equal(pc->flags, WEFT_WG_PC_REPLACE_ALLOWED | WEFT_WG_PC_ENDPOINT | WEFT_WG_PC_KEEPALIVE);
	assert_int_equal(pc->keepalive, 25);
	assert_int_equal(pc->endpoint.port, 51820);
	assert_int_equal(pc->n_allowed_ips, 2);
	pc = find_change(&cs, 2);
	assert_int_equal(pc->flags, WEFT_WG_PC_REPLACE_ALLOWED);
	pc = find_change(&cs, 3);
	assert_int_equal(pc->flags, WEFT_WG_PC_REPLACE_ALLOWED | WEFT_WG_PC_ENDPOINT);
	assert_int_equal(pc->endpoint.ip.family, 6);
	weft_wg_changeset_free(&cs);
	weft_wg_device_free(&d);
}

static void test_remove_update_add_order(void **state)
{
	weft_wg_device_t d = { 0 }, c = { 0 };
	weft_wg_changeset_t cs;

	tpeer(&c, 1, NULL, 0); /* removed */
	tpeer(&c, 2, NULL, 0); /* updated */
	tpeer(&c, 4, NULL, 0); /* kept */
	tpeer(&d, 2, NULL, 5);
	tpeer(&d, 3, NULL, 0); /* added */
	tpeer(&d, 4, NULL, 0);
	assert_int_equal(weft_wg_diff(&d, &c, &cs, NULL), 0);
	assert_int_equal(cs.n_peers, 3);
	assert_int_equal(cs.removed, 1);
	assert_int_equal(cs.updated, 1);
	assert_int_equal(cs.added, 1);
	assert_memory_equal(cs.peers[0].public_key.b, tkey(1).b, WEFT_WGKEY_LEN);
	assert_int_equal(cs.peers[0].flags, WEFT_WG_PC_REMOVE);
	assert_memory_equal(cs.peers[1].public_key.b, tkey(2).b, WEFT_WGKEY_LEN);
	assert_int_equal(cs.peers[1].flags, WEFT_WG_PC_UPDATE_ONLY | WEFT_WG_PC_KEEPALIVE);
	assert_int_equal(cs.peers[1].keepalive, 5);
	assert_memory_equal(cs.peers[2].public_key.b, tkey(3).b, WEFT_WGKEY_LEN);
	weft_wg_changeset_free(&cs);
	weft_wg_device_free(&d);
	weft_wg_device_free(&c);
}

static void test_update_fields_only(void **state)
{
	weft_wg_device_t d = { 0 }, c = { 0 };
	weft_wg_changeset_t cs;
	weft_wg_peer_t *p;

	/* endpoint changed, keepalive and allowed IPs the same */
	tpeer(&c, 7, "192.0.2.7:1000", 25);
	tpeer(&d, 7, "192.0.2.7:2000", 25);
	assert_int_equal(weft_wg_diff(&d, &c, &cs, NULL), 0);
	assert_int_equal(cs.n_peers, 1);
	assert_int_equal(cs.peers[0].flags, WEFT_WG_PC_UPDATE_ONLY | WEFT_WG_PC_ENDPOINT);
	assert_int_equal(cs.peers[0].endpoint.port, 2000);
	assert_int_equal(cs.peers[0].n_allowed_ips, 0);
	weft_wg_changeset_free(&cs);

	/* allowed IPs changed: the whole desired list replaces the peer's */
	p = &d.peers[0];
	p->endpoint = c.peers[0].endpoint;
	weft_cidr_t extra = tcidr("172.16.0.0/12");
	assert_int_equal(weft_wg_peer_add_allowed_ip(p, &extra), 0);
	assert_int_equal(weft_wg_diff(&d, &c, &cs, NULL), 0);
	assert_int_equal(cs.n_peers, 1);
	assert_int_equal(cs.peers[0].flags, WEFT_WG_PC_UPDATE_ONLY | WEFT_WG_PC_REPLACE_ALLOWED);
	assert_int_equal(cs.peers[0].n_allowed_ips, 3);
	assert_ptr_equal(cs.peers[0].allowed_ips, p->allowed_ips);
	weft_wg_changeset_free(&cs);
	weft_wg_device_free(&d);
	weft_wg_device_free(&c);
}

static void test_no_opinion_endpoint_and_set_semantics(void **state)
{
	weft_wg_device_t d = { 0 }, c = { 0 };
	weft_wg_changeset_t cs;
	weft_wg_peer_t *p;
	weft_cidr_t x;

	/* WireGuard learned an endpoint by roaming; the desired peer has none. */
	tpeer(&c, 9, "198.51.100.9:4444", 0);
	p = tpeer(&d, 9, NULL, 0);
	/* Same allowed IPs in another order, one twice, one with host bits. */
	x = p->allowed_ips[0];
	p->allowed_ips[0] = p->allowed_ips[1];
	p->allowed_ips[1] = x;
	p->allowed_ips[1].ip.b[3] = 77; /* 10.0.9.77/24: same prefix */
	assert_int_equal(weft_wg_peer_add_allowed_ip(p, &p->allowed_ips[0]), 0);
	assert_int_equal(weft_wg_diff(&d, &c, &cs, NULL), 0);
	assert_int_equal(cs.n_peers, 0);
	weft_wg_changeset_free(&cs);

	/* keepalive turned off is a change */
	c.peers[0].keepalive = 25;
	assert_int_equal(weft_wg_diff(&d, &c, &cs, NULL), 0);
	assert_int_equal(cs.n_peers, 1);
	assert_int_equal(cs.peers[0].flags, WEFT_WG_PC_UPDATE_ONLY | WEFT_WG_PC_KEEPALIVE);
	assert_int_equal(cs.peers[0].keepalive, 0);
	weft_wg_changeset_free(&cs);
	weft_wg_device_free(&d);
	weft_wg_device_free(&c);
}

static void test_one_of_many(void **state)
{
	weft_wg_device_t d = { 0 }, c = { 0 };
	weft_wg_changeset_t cs;
	unsigned i;

	for (i = 0; i < 1000; i++) {
		tpeer(&c, i, "192.0.2.1:51820", 25);
		tpeer(&d, 999 - i, "192.0.2.1:51820", 25); /* another order */
	}
	assert_int_equal(weft_wg_diff(&d, &c, &cs, NULL), 0);
	assert_int_equal(cs.n_peers, 0);
	weft_wg_changeset_free(&cs);
	d.peers[500].keepalive = 10; /* peer 499 */
	assert_int_equal(weft_wg_diff(&d, &c, &cs, NULL), 0);
	assert_int_equal(cs.n_peers, 1);
	assert_int_equal(cs.updated, 1);
	assert_memory_equal(cs.peers[0].public_key.b, tkey(499).b, WEFT_WGKEY_LEN);
	weft_wg_changeset_free(&cs);
	weft_wg_device_free(&d);
	weft_wg_device_free(&c);
}

static void test_device_fields(void **state)
{
	weft_wg_device_t d = { 0 }, c = { 0 };
	weft_wg_changeset_t cs;

	d.has_private_key = c.has_private_key = true;
	d.private_key = c.private_key = tkey(42);
	c.listen_port = 51820;
	assert_int_equal(weft_wg_diff(&d, &c, &cs, NULL), 0);
	assert_int_equal(cs.flags, 0); /* port 0: leave as is */
	weft_wg_changeset_free(&cs);
	d.listen_port = 51821;
	d.private_key.b[5] ^= 1;
	assert_int_equal(weft_wg_diff(&d, &c, &cs, NULL), 0);
	assert_int_equal(cs.flags, WEFT_WG_DC_PRIVATE_KEY | WEFT_WG_DC_LISTEN_PORT);
	assert_int_equal(cs.listen_port, 51821);
	assert_memory_equal(cs.private_key.b, d.private_key.b, WEFT_WGKEY_LEN);
	weft_wg_changeset_free(&cs);
	/* freeing wipes the copy of the key */
	assert_true(sodium_is_zero(cs.private_key.b, WEFT_WGKEY_LEN));
	d.has_private_key = false;
	d.listen_port = 0;
	assert_int_equal(weft_wg_diff(&d, &c, &cs, NULL), 0);
	assert_int_equal(cs.flags, 0);
	weft_wg_changeset_free(&cs);
}

static void test_refused(void **state)
{
	weft_wg_device_t d = { 0 }, c = { 0 };
	weft_wg_changeset_t cs;
	weft_wg_err_t err = { 0 };
	weft_wg_peer_t *p;
	char b64[WEFT_WGKEY_B64_LEN + 1];
	weft_wgkey_t k = tkey(3);

	tpeer(&d, 3, NULL, 0);
	tpeer(&d, 3, NULL, 0);
	assert_int_equal(weft_wg_diff(&d, &c, &cs, &err), WEFT_EDUPLICATE);
	weft_key_to_base64(b64, k.b);
	assert_non_null(strstr(err.msg, b64));
	assert_null(cs.peers);
	weft_wg_device_free(&d);

	/* one allowed IP on two peers */
	tpeer(&d, 1, NULL, 0);
	p = tpeer(&d, 2, NULL, 0);
	assert_int_equal(weft_wg_peer_add_allowed_ip(p, &d.peers[0].allowed_ips[0]), 0);
	assert_int_equal(weft_wg_diff(&d, &c, &cs, &err), WEFT_EDUPLICATE);
	assert_non_null(strstr(err.msg, "10.0.1.0/24"));
	weft_wg_device_free(&d);

	p = tpeer(&d, 1, NULL, 0);
	p->allowed_ips[0].prefix = 33;
	assert_int_equal(weft_wg_diff(&d, &c, &cs, &err), WEFT_EBADCIDR);
	p->allowed_ips[0].prefix = 24;
	p->endpoint.ip.family = 4; /* port 0 */
	assert_int_equal(weft_wg_diff(&d, &c, &cs, &err), WEFT_EBADADDR);
	weft_wg_device_free(&d);

	/* a current device listing a peer twice is a broken reply */
	tpeer(&c, 5, NULL, 0);
	tpeer(&c, 5, NULL, 0);
	assert_int_equal(weft_wg_diff(&d, &c, &cs, &err), WEFT_EPROTO);
	weft_wg_device_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_add_all),
		cmocka_unit_test(test_remove_update_add_order),
		cmocka_unit_test(test_update_fields_only),
		cmocka_unit_test(test_no_opinion_endpoint_and_set_semantics),
		cmocka_unit_test(test_one_of_many),
		cmocka_unit_test(test_device_fields),
		cmocka_unit_test(test_refused),
	};

	if (weft_crypto_init())
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
