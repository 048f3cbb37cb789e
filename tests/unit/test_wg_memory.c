/* Unit tests for the public wg/ API on the memory backend: lifecycle,
 * apply read back exactly, a one-peer change that touches only that peer
 * and keeps every handshake, remove and re-add, the kernel's allowed-IP
 * semantics, addresses, routes, link state, errors with context, and
 * backend selection. */
#include "tests/unit/test_wg_util.h"

static weft_wg_t *open_mem(const char *name, weft_wg_mem_world_t *world)
{
	weft_wg_opts_t o = { .backend = WEFT_WG_MEMORY, .world = world };
	weft_wg_t *wg;
	weft_wg_err_t err;

	if (weft_wg_open(&wg, name, &o, &err))
		fail_msg("open: %s", err.msg);
	return wg;
}

static void test_lifecycle(void **state)
{
	weft_wg_mem_world_t *w = weft_wg_mem_world_new();
	weft_wg_t *a = open_mem("wg0", w), *b = open_mem("wg0", w);
	weft_wg_device_t dev;
	weft_wg_err_t err;

	assert_string_equal(weft_wg_backend_name(a), "memory");
	assert_string_equal(weft_wg_ifname(a), "wg0");
	assert_int_equal(weft_wg_exists(a, &err), 0);
	assert_int_equal(weft_wg_get_device(a, &dev, &err), -ENODEV);
	assert_non_null(strstr(err.msg, "memory wg0: get"));
	assert_int_equal(weft_wg_create(a, &err), 0);
	/* another handle on the same world sees it */
	assert_int_equal(weft_wg_exists(b, &err), 1);
	assert_int_equal(weft_wg_create(b, &err), -EEXIST);
	assert_int_equal(weft_wg_get_device(b, &dev, &err), 0);
	assert_int_equal(dev.n_peers, 0);
	weft_wg_device_free(&dev);
	assert_int_equal(weft_wg_delete(b, &err), 0);
	assert_int_equal(weft_wg_exists(a, &err), 0);
	assert_int_equal(weft_wg_delete(a, &err), -ENODEV);
	weft_wg_close(a);
	weft_wg_close(b);
	weft_wg_mem_world_free(w);
}

static void test_apply_read_back(void **state)
{
	weft_wg_t *wg = open_mem("wg1", NULL);
	weft_wg_device_t want = { .has_private_key = true, .listen_port = 51820 }, got;
	weft_wg_changes_t ch;
	weft_wgpair_t kp;
	weft_wg_err_t err;
	unsigned i;

	weft_wgpair_generate(&kp);
	want.private_key = kp.priv;
	for (i = 0; i < 50; i++)
		tpeer(&want, i, i % 2 ? "192.0.2.1:51820" : "[2001:db8::1]:51820", (uint16_t)(i % 3 ? 25 : 0));
	assert_int_equal(weft_wg_create(wg, &err), 0);
	assert_int_equal(weft_wg_apply(wg, &want, &ch, &err), 0);
	assert_int_equal(ch.added, 50);
	assert_int_equal(ch.removed + ch.updated, 0);
	assert_true(ch.device_changed);
	assert_int_equal(weft_wg_get_device(wg, &got, &err), 0);
	assert_device_matches(&want, &got);
	assert_memory_equal(got.public_key.b, kp.pub.b, WEFT_WGKEY_LEN);
	weft_wg_device_free(&got);
	/* applying the same again changes nothing */
	assert_int_equal(weft_wg_apply(wg, &want, &ch, &err), 0);
	assert_int_equal(ch.added + ch.removed + ch.updated, 0);
	assert_false(ch.device_changed);
	/* From a read the caller made: the same diff, one read fewer. */
	assert_int_equal(weft_wg_get_device(wg, &got, &err), 0);
	assert_int_equal(weft_wg_apply_from(wg, &want, &got, &ch, &err), 0);
	assert_int_equal(ch.added + ch.removed + ch.updated, 0);
	want.peers[7].keepalive = 11;
	assert_int_equal(weft_wg_apply_from(wg, &want, &got, &ch, &err), 0);
	assert_int_equal(ch.updated, 1);
	assert_int_equal(ch.added + ch.removed, 0);
	weft_wg_device_free(&got);
	assert_int_equal(weft_wg_get_device(wg, &got, &err), 0);
	assert_device_matches(&want, &got);
	weft_wg_device_free(&got);
	weft_wg_device_free(&want);
	/* freeing wiped the private key */
	assert_true(sodium_is_zero(want.private_key.b, WEFT_WGKEY_LEN));
	weft_wg_close(wg);
}

static void test_one_change_keeps_sessions(void **state)
{
	weft_wg_mem_world_t *w = weft_wg_mem_world_new();
	weft_wg_t *wg = open_mem("wg2", w);
	weft_wg_device_t want = { 0 }, got;
	weft_wg_changes_t ch;
	weft_wg_err_t err;
	weft_wgkey_t k;
	unsigned i;

	for (i = 0; i < 100; i++)
		tpeer(&want, i, "192.0.2.1:51820", 25);
	assert_int_equal(weft_wg_create(wg, &err), 0);
	assert_int_equal(weft_wg_apply(wg, &want, &ch, &err), 0);
	for (i = 0; i < 100; i++) {
		k = tkey(i);
		assert_int_equal(weft_wg_mem_handshake(w, "wg2", &k, 1000 + i), 0);
		assert_int_equal(weft_wg_mem_transfer(w, "wg2", &k, i, 2 * i), 0);
		assert_int_equal(weft_wg_mem_touches(w, "wg2", &k), 1);
	}
	/* change one peer's allowed IPs */
	weft_cidr_t extra = tcidr("192.168.77.0/24");
	assert_int_equal(weft_wg_peer_add_allowed_ip(&want.peers[37], &extra), 0);
	assert_int_equal(weft_wg_apply(wg, &want, &ch, &err), 0);
	assert_int_equal(ch.updated, 1);
	assert_int_equal(ch.added + ch.removed, 0);
	assert_int_equal(weft_wg_get_device(wg, &got, &err), 0);
	assert_device_matches(&want, &got);
	for (i = 0; i < 100; i++) {
		const weft_wg_peer_t *p;

		k = tkey(i);
		p = weft_wg_device_find_peer(&got, &k);
		assert_int_equal(weft_wg_mem_touches(w, "wg2", &k), i == 37 ? 2 : 1);
		assert_int_equal(p->last_handshake_ns, 1000 + i);
		assert_int_equal(p->rx_bytes, i);
		assert_int_equal(p->tx_bytes, 2 * i);
	}
	weft_wg_device_free(&got);

	/* remove peer 5 and add it back: a new peer, its session gone */
	weft_wg_peer_t saved = want.peers[5];
	want.peers[5] = want.peers[--want.n_peers];
	assert_int_equal(weft_wg_apply(wg, &want, &ch, &err), 0);
	assert_int_equal(ch.removed, 1);
	assert_int_equal(ch.added + ch.updated, 0);
	k = tkey(5);
	assert_int_equal(weft_wg_mem_touches(w, "wg2", &k), WEFT_ENOTFOUND);
	assert_int_equal(weft_wg_mem_handshake(w, "wg2", &k, 1), WEFT_ENOTFOUND);
	want.peers[want.n_peers++] = saved;
	assert_int_equal(weft_wg_apply(wg, &want, &ch, &err), 0);
	assert_int_equal(ch.added, 1);
	assert_int_equal(weft_wg_get_device(wg, &got, &err), 0);
	assert_int_equal(weft_wg_device_find_peer(&got, &k)->last_handshake_ns, 0);
	assert_int_equal(weft_wg_device_find_peer(&got, &k)->rx_bytes, 0);
	assert_int_equal(weft_wg_mem_touches(w, "wg2", &k), 1);
	weft_wg_device_free(&got);
	weft_wg_device_free(&want);
	weft_wg_close(wg);
	weft_wg_mem_world_free(w);
}

static void test_allowed_ip_moves(void **state)
{
	weft_wg_t *wg = open_mem("wg3", NULL);
	weft_wg_device_t want = { 0 }, got;
	weft_wg_changes_t ch;
	weft_wg_err_t err;
	weft_cidr_t moving = tcidr("10.99.0.0/16");

	tpeer(&want, 1, NULL, 0);
	tpeer(&want, 2, NULL, 0);
	assert_int_equal(weft_wg_peer_add_allowed_ip(&want.peers[0], &moving), 0);
	assert_int_equal(weft_wg_create(wg, &err), 0);
	assert_int_equal(weft_wg_apply(wg, &want, &ch, &err), 0);
	/* move it from peer 1 to peer 2 in one apply */
	want.peers[0].n_allowed_ips--;
	assert_int_equal(weft_wg_peer_add_allowed_ip(&want.peers[1], &moving), 0);
	assert_int_equal(weft_wg_apply(wg, &want, &ch, &err), 0);
	assert_int_equal(ch.updated, 2);
	assert_int_equal(weft_wg_get_device(wg, &got, &err), 0);
	assert_device_matches(&want, &got);
	weft_wg_device_free(&got);
	/* desired with the IP on both is refused, and nothing is changed */
	assert_int_equal(weft_wg_peer_add_allowed_ip(&want.peers[0], &moving), 0);
	assert_int_equal(weft_wg_apply(wg, &want, &ch, &err), WEFT_EDUPLICATE);
	assert_non_null(strstr(err.msg, "memory wg3: allowed IP 10.99.0.0/16"));
	assert_int_equal(ch.updated, 0);
	weft_wg_device_free(&want);
	weft_wg_close(wg);
}

static void test_link_addresses_routes(void **state)
{
	weft_wg_t *wg = open_mem("wg4", NULL);
	weft_wg_ifaddr_t a[3], *got;
	weft_cidr_t r[2], *rgot;
	weft_wg_link_t l;
	weft_wg_err_t err;
	size_t n;

	assert_int_equal(weft_wg_set_mtu(wg, 1280, &err), -ENODEV);
	assert_int_equal(weft_wg_create(wg, &err), 0);
	assert_int_equal(weft_wg_get_link(wg, &l, &err), 0);
	assert_int_equal(l.mtu, 1420);
	assert_false(l.up);
	assert_int_equal(weft_wg_set_mtu(wg, 1280, &err), 0);
	assert_int_equal(weft_wg_set_up(wg, true, &err), 0);
	assert_int_equal(weft_wg_get_link(wg, &l, &err), 0);
	assert_int_equal(l.mtu, 1280);
	assert_true(l.up);
	assert_true(l.ifindex > 0);
	assert_int_equal(weft_wg_set_mtu(wg, 10, &err), -EINVAL);

	assert_int_equal(weft_ip_parse(&a[0].ip, "10.7.0.5"), 0);
	a[0].prefix = 16;
	assert_int_equal(weft_ip_parse(&a[1].ip, "fd07::5"), 0);
	a[1].prefix = 64;
	a[2] = a[0]; /* twice */
	assert_int_equal(weft_wg_set_addresses(wg, a, 3, &err), 0);
	assert_int_equal(weft_wg_get_addresses(wg, &got, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_true(weft_ip_equal(&got[0].ip, &a[0].ip));
	assert_int_equal(got[0].prefix, 16);
	free(got);
	a[0].prefix = 24; /* same address, other prefix: replaced */
	assert_int_equal(weft_wg_set_addresses(wg, a, 1, &err), 0);
	assert_int_equal(weft_wg_get_addresses(wg, &got, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(got[0].prefix, 24);
	free(got);

	r[0] = tcidr("10.8.0.0/16");
	r[1] = tcidr("fd08::/48");
	assert_int_equal(weft_wg_set_routes(wg, r, 2, &err), 0);
	assert_int_equal(weft_wg_get_routes(wg, &rgot, &n, &err), 0);
	assert_int_equal(n, 2);
	free(rgot);
	assert_int_equal(weft_wg_set_routes(wg, &r[1], 1, &err), 0);
	assert_int_equal(weft_wg_get_routes(wg, &rgot, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(weft_wg_cidr_cmp(&rgot[0], &r[1]), 0);
	free(rgot);
	weft_wg_close(wg);
}

static void test_open_errors_and_selection(void **state)
{
	weft_wg_opts_t o = { .backend = WEFT_WG_AUTO, .userspace_impl = "/nonexistent/weft-no-wg" };
	weft_wg_t *wg;
	weft_wg_err_t err;
	int ret;

	assert_int_equal(weft_wg_open(&wg, "", NULL, &err), -EINVAL);
	assert_int_equal(weft_wg_open(&wg, "0123456789abcdef", NULL, &err), -EINVAL);
	assert_int_equal(weft_wg_open(&wg, "../x", NULL, &err), -EINVAL);
	assert_null(wg);
	/* AUTO: the kernel if its family resolves, else an error naming both
	 * backends, since the configured implementation does not exist. */
	ret = weft_wg_open(&wg, "weftnone0", &o, &err);
	if (ret == 0) {
		assert_string_equal(weft_wg_backend_name(wg), "kernel");
		weft_wg_close(wg);
	} else {
		assert_int_equal(ret, WEFT_EUNSUPPORTED);
		assert_non_null(strstr(err.msg, "kernel: generic netlink family 'wireguard'"));
		assert_non_null(strstr(err.msg, "userspace: userspace implementation '/nonexistent/weft-no-wg'"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lifecycle),
		cmocka_unit_test(test_apply_read_back),
		cmocka_unit_test(test_one_change_keeps_sessions),
		cmocka_unit_test(test_allowed_ip_moves),
		cmocka_unit_test(test_link_addresses_routes),
		cmocka_unit_test(test_open_errors_and_selection),
	};

	if (weft_crypto_init())
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
