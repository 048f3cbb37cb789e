/* Unit tests for wg/nl.c, wg/genl.c's family resolution and wg/rtnl.c's
 * reads against the real kernel, which needs no privilege: resolving
 * generic netlink families, a multi-message dump, and reading the loopback
 * link and its addresses. Changes are tested in a namespace by the
 * integration suite. */
#include <linux/genetlink.h>
#include <net/if.h>

#include "wg/genl.h"
#include "wg/rtnl.h"
#include "tests/unit/test_wg_util.h"

static void test_resolve(void **state)
{
	weft_wg_nl_t nl;
	weft_wg_err_t err;
	uint16_t id = 0;

	assert_int_equal(weft_wg_nl_open(&nl, NETLINK_GENERIC, &err), 0);
	assert_int_equal(weft_wg_genl_resolve(&nl, "nlctrl", &id, &err), 0);
	assert_int_equal(id, GENL_ID_CTRL);
	assert_int_equal(weft_wg_genl_resolve(&nl, "weftnofamily", &id, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "genl family 'weftnofamily'"));
	weft_wg_nl_close(&nl);
}

struct families {
	unsigned n;
	bool nlctrl;
};

static int fam_attr(const struct nlattr *a, void *data)
{
	struct families *f = data;

	if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_NAME && !mnl_attr_validate(a, MNL_TYPE_NUL_STRING) &&
	    !strcmp(mnl_attr_get_str(a), "nlctrl"))
		f->nlctrl = true;
	return MNL_CB_OK;
}

static int fam_msg(const struct nlmsghdr *nlh, void *data, weft_wg_err_t *err)
{
	struct families *f = data;

	f->n++;
	assert_true(weft_wg_nl_attr_parse_msg(nlh, sizeof(struct genlmsghdr), fam_attr, f) >= 0);
	return 0;
}

static void test_dump(void **state)
{
	uint32_t buf[256];
	struct families f = { 0 };
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;
	weft_wg_nl_t nl;
	weft_wg_err_t err;

	assert_int_equal(weft_wg_nl_open(&nl, NETLINK_GENERIC, &err), 0);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	assert_int_equal(weft_wg_nl_call(&nl, nlh, fam_msg, &f, "dump families", &err), 0);
	/* every kernel has several families (nlctrl, and more) */
	assert_true(f.n >= 2);
	assert_true(f.nlctrl);
	/* the socket is reusable: a second request gets its own answer */
	assert_int_equal(weft_wg_genl_resolve(&nl, "nlctrl", &(uint16_t){ 0 }, &err), 0);
	weft_wg_nl_close(&nl);
}

static void test_loopback(void **state)
{
	weft_wg_nl_t nl;
	weft_wg_err_t err;
	weft_wg_link_t l;
	weft_wg_ifaddr_t *a;
	weft_cidr_t *r;
	char kind[32];
	size_t n, i;
	bool found = false;

	assert_int_equal(weft_wg_nl_open(&nl, NETLINK_ROUTE, &err), 0);
	assert_int_equal(weft_wg_rtnl_link_get(&nl, "lo", &l, kind, sizeof(kind), &err), 0);
	assert_int_equal(l.ifindex, if_nametoindex("lo"));
	assert_int_equal(l.mtu, 65536);
	assert_string_equal(kind, "");
	assert_int_equal(weft_wg_rtnl_link_get(&nl, "weftnolink0", &l, NULL, 0, &err), -ENODEV);
	assert_non_null(strstr(err.msg, "get link weftnolink0"));
	assert_int_equal(weft_wg_rtnl_addr_list(&nl, if_nametoindex("lo"), &a, &n, &err), 0);
	for (i = 0; i < n; i++) {
		char s[WEFT_ADDRSTRLEN];

		weft_ip_format(&a[i].ip, s, sizeof(s));
		if (!strcmp(s, "127.0.0.1") && a[i].prefix == 8)
			found = true;
	}
	free(a);
	if (l.up)
		assert_true(found);
	/* nobody but weft adds routes with weft's protocol number */
	assert_int_equal(weft_wg_rtnl_route_list(&nl, if_nametoindex("lo"), &r, &n, &err), 0);
	assert_int_equal(n, 0);
	free(r);
	weft_wg_nl_close(&nl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_dump),
		cmocka_unit_test(test_loopback),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
