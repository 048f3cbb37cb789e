/* Integration test of wg/rtnl.c and the link/address/route half of the
 * public API, for real, in a private network namespace (unshared here, so
 * it vanishes with the process): a veth link created, its MTU and state,
 * IPv4 and IPv6 addresses and routes set exactly — checked against ip(8) —
 * routes others added left alone, kernel errors with context, deletion. */
#include "tests/integration/itest_util.h"
#include "wg/rtnl.h"
#include "wg/wg.h"

static weft_wg_nl_t nl;

static void test_link(void **state)
{
	weft_wg_err_t err;
	weft_wg_link_t l;
	char kind[32], *out;

	assert_int_equal(weft_wg_rtnl_link_create(&nl, "wtv0", "veth", &err), 0);
	assert_int_equal(weft_wg_rtnl_link_get(&nl, "wtv0", &l, kind, sizeof(kind), &err), 0);
	assert_string_equal(kind, "veth");
	assert_int_equal(l.mtu, 1500);
	assert_false(l.up);
	assert_int_equal(weft_wg_rtnl_link_create(&nl, "wtv0", "veth", &err), -EEXIST);
	assert_non_null(strstr(err.msg, "create link wtv0 of kind veth"));
	assert_int_equal(weft_wg_rtnl_link_create(&nl, "wtv1", "weftnokind", &err), -EOPNOTSUPP);
	assert_non_null(strstr(err.msg, "weftnokind"));
	assert_int_equal(weft_wg_rtnl_link_set_mtu(&nl, "wtv0", 1280, &err), 0);
	assert_int_equal(weft_wg_rtnl_link_set_up(&nl, "wtv0", true, &err), 0);
	assert_int_equal(weft_wg_rtnl_link_get(&nl, "wtv0", &l, NULL, 0, &err), 0);
	assert_int_equal(l.mtu, 1280);
	assert_true(l.up);
	out = capture("ip -o link show dev wtv0");
	assert_non_null(strstr(out, "mtu 1280"));
	assert_non_null(strstr(out, ",UP"));
	free(out);
	assert_int_equal(weft_wg_rtnl_link_set_up(&nl, "wtv0", false, &err), 0);
	assert_int_equal(weft_wg_rtnl_link_get(&nl, "wtv0", &l, NULL, 0, &err), 0);
	assert_false(l.up);
	assert_int_equal(weft_wg_rtnl_link_set_mtu(&nl, "wtv0", 10, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "set MTU 10 on wtv0"));
	assert_int_equal(weft_wg_rtnl_link_set_up(&nl, "wtv0", true, &err), 0);
}

static weft_wg_ifaddr_t ifaddr(const char *ip, uint8_t prefix)
{
	weft_wg_ifaddr_t a = { .prefix = prefix };

	assert_int_equal(weft_ip_parse(&a.ip, ip), 0);
	return a;
}

static weft_cidr_t cidr(const char *s)
{
	weft_cidr_t c;

	assert_int_equal(weft_cidr_parse(&c, s), 0);
	return c;
}

static void assert_addrs(weft_wg_t *wg, const char *const *want, size_t n)
{
	weft_wg_ifaddr_t *got;
	weft_wg_err_t err;
	size_t k, i;
	char *out = capture("ip -o addr show dev wtv0");

	assert_int_equal(weft_wg_get_addresses(wg, &got, &k, &err), 0);
	assert_int_equal(k, n);
	for (i = 0; i < n; i++) {
		char ip[WEFT_ADDRSTRLEN], s[64];

		snprintf(s, sizeof(s), "%s/%u", weft_ip_format(&got[i].ip, ip, sizeof(ip)), got[i].prefix);
		assert_string_equal(s, want[i]);
		if (!strstr(out, want[i]))
			fail_msg("ip(8) does not show %s: %s", want[i], out);
	}
	assert_null(strstr(out, "tentative"));
	free(got);
	free(out);
}

static void test_addresses(void **state)
{
	static const char *const all[] = { "10.77.0.1/24", "10.77.1.1/32", "fd77::1/64" };
	static const char *const some[] = { "10.77.1.1/32", "fd77::2/64" };
	weft_wg_opts_t o = { .backend = WEFT_WG_USERSPACE };
	weft_wg_ifaddr_t a[3] = { ifaddr("10.77.0.1", 24), ifaddr("fd77::1", 64), ifaddr("10.77.1.1", 32) };
	weft_wg_ifaddr_t b[2] = { ifaddr("fd77::2", 64), ifaddr("10.77.1.1", 32) };
	weft_wg_err_t err;
	weft_wg_t *wg;
	char *out;

	/* The public API's link half works on any link by name. */
	assert_int_equal(weft_wg_open(&wg, "wtv0", &o, &err), 0);
	assert_int_equal(weft_wg_set_addresses(wg, a, 3, &err), 0);
	assert_addrs(wg, all, 3);
	assert_int_equal(weft_wg_set_addresses(wg, b, 2, &err), 0);
	assert_addrs(wg, some, 2);
	/* IPv6 without DAD: usable at once */
	out = capture("ip -6 -o addr show dev wtv0 scope global");
	assert_non_null(strstr(out, "fd77::2/64"));
	assert_null(strstr(out, "tentative"));
	free(out);
	/* deleting what is not there: the kernel's error, with context */
	assert_int_equal(weft_wg_rtnl_addr_change(&nl, if_nametoindex("wtv0"), &a[0], false, &err), -EADDRNOTAVAIL);
	assert_non_null(strstr(err.msg, "delete address 10.77.0.1/24"));
	assert_int_equal(weft_wg_rtnl_addr_change(&nl, if_nametoindex("wtv0"), &b[1], true, &err), -EEXIST);
	assert_int_equal(weft_wg_set_addresses(wg, NULL, 0, &err), 0);
	assert_addrs(wg, NULL, 0);
	assert_int_equal(weft_wg_set_addresses(wg, a, 3, &err), 0);
	weft_wg_close(wg);
}

static void test_routes(void **state)
{
	weft_wg_opts_t o = { .backend = WEFT_WG_USERSPACE };
	weft_cidr_t r[4] = { cidr("10.78.0.0/16"), cidr("fd78::/48"), cidr("0.0.0.0/0"), cidr("10.79.5.0/24") };
	weft_cidr_t *got;
	weft_wg_err_t err;
	weft_wg_t *wg;
	size_t n;
	char *out;

	assert_int_equal(weft_wg_open(&wg, "wtv0", &o, &err), 0);
	/* a route someone else added through the same link */
	assert_int_equal(run_cmd("ip route add 10.90.0.0/16 dev wtv0"), 0);
	assert_int_equal(weft_wg_set_routes(wg, r, 4, &err), 0);
	assert_int_equal(weft_wg_get_routes(wg, &got, &n, &err), 0);
	assert_int_equal(n, 4);
	/* sorted: IPv4 first */
	assert_int_equal(weft_wg_cidr_cmp(&got[0], &r[2]), 0);
	assert_int_equal(weft_wg_cidr_cmp(&got[1], &r[0]), 0);
	assert_int_equal(weft_wg_cidr_cmp(&got[2], &r[3]), 0);
	assert_int_equal(weft_wg_cidr_cmp(&got[3], &r[1]), 0);
	free(got);
	out = capture("ip route show dev wtv0 proto %d; ip -6 route show dev wtv0 proto %d", WEFT_WG_RTPROT,
		      WEFT_WG_RTPROT);
	assert_non_null(strstr(out, "default"));
	assert_non_null(strstr(out, "10.78.0.0/16"));
	assert_non_null(strstr(out, "10.79.5.0/24"));
	assert_non_null(strstr(out, "fd78::/48"));
	assert_null(strstr(out, "10.90.0.0"));
	free(out);
	/* down to one route; the other one's route stays */
	assert_int_equal(weft_wg_set_routes(wg, &r[1], 1, &err), 0);
	assert_int_equal(weft_wg_get_routes(wg, &got, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(weft_wg_cidr_cmp(&got[0], &r[1]), 0);
	free(got);
	out = capture("ip route show dev wtv0");
	assert_non_null(strstr(out, "10.90.0.0/16"));
	assert_null(strstr(out, "10.78.0.0"));
	free(out);
	assert_int_equal(weft_wg_rtnl_route_change(&nl, if_nametoindex("wtv0"), &r[0], false, &err), -ESRCH);
	assert_non_null(strstr(err.msg, "delete route 10.78.0.0/16"));
	weft_wg_close(wg);
}

static void test_delete(void **state)
{
	weft_wg_err_t err;
	weft_wg_link_t l;
	char *out;

	assert_int_equal(weft_wg_rtnl_link_delete(&nl, "wtv0", &err), 0);
	assert_int_equal(weft_wg_rtnl_link_get(&nl, "wtv0", &l, NULL, 0, &err), -ENODEV);
	assert_int_equal(weft_wg_rtnl_link_delete(&nl, "wtv0", &err), -ENODEV);
	assert_non_null(strstr(err.msg, "delete link wtv0"));
	/* its veth peer went with it, and its routes */
	out = capture("ip -o link show | grep -vc ': lo:'");
	assert_string_equal(out, "0\n");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_link),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_routes),
		cmocka_unit_test(test_delete),
	};
	weft_wg_err_t err;
	int ret;

	if (unshare(CLONE_NEWNET) < 0) {
		printf("1..1\nnot ok 1 - unshare(CLONE_NEWNET): %s\n", strerror(errno));
		return 1;
	}
	if (weft_wg_nl_open(&nl, NETLINK_ROUTE, &err)) {
		printf("1..1\nnot ok 1 - %s\n", err.msg);
		return 1;
	}
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	weft_wg_nl_close(&nl);
	return ret;
}
