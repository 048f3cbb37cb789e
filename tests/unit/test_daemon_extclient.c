/* Gateways in the daemon: external clients in the desired device (the
 * gateway's peers for them, their addresses on the gateway's peer
 * elsewhere, tombstones, and bad records left out without breaking the
 * apply), applied to the memory backend; and the egress side — advertised
 * and approved routes, forwarding and the nftables script, with the proc
 * tree and the nft program pointed at a scratch directory. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/config.h"
#include "core/error.h"
#include "mesh/extclient.h"
#include "daemon/gateway.h"
#include "mesh/peersync.h"
#include "core/store.h"
#include "wg/wg.h"

#define NOW_MS 1795168800000ull
#define SEC 1000000000ull
#define NNODES 4

struct fixture {
	weft_keypair_t admin;
	weft_keypair_t node[NNODES];
	weft_wgpair_t wg[NNODES];
	weft_store_t *store;
	uint64_t version;
	char dir[64];
};

static struct fixture *F;

static void merge(weft_record_t *r, const weft_keypair_t *kp)
{
	const char *why = NULL;

	if (weft_record_sign(r, kp) != 0) {
		weft_record_check(r, &why);
		fail_msg("sign %s: %s", weft_rec_type_name(r->type), why ? why : "?");
	}
	assert_true(weft_store_merge(F->store, r) > 0);
}

static void add_state(int i, const char *name, const char *route)
{
	weft_record_t r;
	struct weft_rec_node_state *st = &r.u.node_state;

	memset(&r, 0, sizeof(r));
	r.type = WEFT_REC_NODE_STATE;
	st->node_id = F->node[i].pk;
	st->version = ++F->version;
	st->wg_pub = F->wg[i].pub;
	st->wg_port = 51820;
	st->gossip_port = 51821;
	snprintf(st->name, sizeof(st->name), "%s", name);
	if (route) {
		st->nroutes = 1;
		assert_int_equal(weft_cidr_parse(&st->routes[0], route), 0);
	}
	merge(&r, &F->node[i]);
}

static void approve(int i, const char *route)
{
	weft_record_t r;

	memset(&r, 0, sizeof(r));
	r.type = WEFT_REC_OVERRIDE;
	r.u.override.node_id = F->node[i].pk;
	r.u.override.version = ++F->version;
	r.u.override.set = WEFT_OVR_ROUTES;
	if (route) {
		r.u.override.nroutes = 1;
		assert_int_equal(weft_cidr_parse(&r.u.override.routes[0], route), 0);
	}
	merge(&r, &F->admin);
}

/* The admin pins node i's IPv4 address. */
static void pin(int i, const char *a4)
{
	weft_record_t r;

	memset(&r, 0, sizeof(r));
	r.type = WEFT_REC_OVERRIDE;
	r.u.override.node_id = F->node[i].pk;
	r.u.override.version = ++F->version;
	r.u.override.set = WEFT_OVR_ADDRESS4;
	assert_int_equal(weft_ip_parse(&r.u.override.address4, a4), 0);
	merge(&r, &F->admin);
}

/* An external client record; a4/a6 may be NULL, key NULL = a fresh one. */
static void client(const char *name, int gateway, const char *a4, const char *a6, const weft_wgkey_t *key,
		   bool deleted, weft_wgkey_t *key_out)
{
	weft_record_t r;
	struct weft_rec_ext_client *e = &r.u.ext_client;
	weft_wgpair_t kp;

	memset(&r, 0, sizeof(r));
	r.type = WEFT_REC_EXT_CLIENT;
	e->version = ++F->version;
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->deleted = deleted;
	weft_wgpair_generate(&kp);
	e->wg_pub = key ? *key : kp.pub;
	if (key_out)
		*key_out = e->wg_pub;
	if (gateway >= 0)
		e->gateway = F->node[gateway].pk;
	else
		memset(e->gateway.b, 0x77, sizeof(e->gateway.b)); /* no such node */
	if (a4)
		assert_int_equal(weft_ip_parse(&e->address4, a4), 0);
	if (a6)
		assert_int_equal(weft_ip_parse(&e->address6, a6), 0);
	merge(&r, &F->admin);
}

static int setup(void **state)
{
	weft_record_t r;
	int i;

	F = calloc(1, sizeof(*F));
	assert_non_null(F);
	weft_keypair_generate(&F->admin);
	F->store = weft_store_new(&F->admin.pk, NULL, NULL);
	memset(&r, 0, sizeof(r));
	r.type = WEFT_REC_NETWORK;
	r.u.network.version = 1;
	snprintf(r.u.network.name, sizeof(r.u.network.name), "office");
	weft_cidr_parse(&r.u.network.cidr4, "10.77.0.0/16");
	weft_cidr_parse(&r.u.network.cidr6, "fd77::/64");
	r.u.network.wg_port = 51820;
	r.u.network.gossip_port = 51821;
	r.u.network.mtu = 1420;
	merge(&r, &F->admin);
	for (i = 0; i < NNODES; i++) {
		weft_keypair_generate(&F->node[i]);
		weft_wgpair_generate(&F->wg[i]);
		memset(&r, 0, sizeof(r));
		r.type = WEFT_REC_MEMBER;
		r.u.member.node_id = F->node[i].pk;
		r.u.member.invite_pk = F->admin.pk;
		r.u.member.join_time = NOW_MS - 100000 + (uint64_t)i;
		merge(&r, &F->admin);
	}
	add_state(0, "gw", NULL);
	add_state(1, "other-gw", NULL);
	add_state(2, "member", NULL);
	/* node 3: a member with no state yet, so no peer */
	snprintf(F->dir, sizeof(F->dir), "/tmp/weft-test-gw.XXXXXX");
	assert_non_null(mkdtemp(F->dir));
	*state = F;
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", F->dir);
	assert_int_equal(system(cmd), 0);
	weft_store_free(F->store);
	free(F);
	return 0;
}

/* The device node self wants: members, then external clients. */
static void desired(int self, struct weft_peerset *ps, weft_wg_device_t *dev, struct weft_extclient_stats *st)
{
	struct weft_peersync_env env;
	weft_view_t v;

	memset(&env, 0, sizeof(env));
	memset(dev, 0, sizeof(*dev));
	weft_peerset_init(ps, &F->node[self].pk);
	assert_int_equal(weft_store_view(F->store, NOW_MS, &v), 0);
	assert_int_equal(weft_peerset_update(ps, &v, 1 * SEC), 0);
	weft_view_free(&v);
	assert_int_equal(weft_peerset_desired(ps, &env, NOW_MS / 1000, dev), 0);
	assert_int_equal(weft_extclient_desired(F->store, ps, &F->wg[self].pub, dev, st), 0);
}

static bool has_ip(const weft_wg_peer_t *p, const char *cidr)
{
	weft_cidr_t c;
	size_t i;

	assert_int_equal(weft_cidr_parse(&c, cidr), 0);
	for (i = 0; i < p->n_allowed_ips; i++)
		if (p->allowed_ips[i].prefix == c.prefix && weft_ip_equal(&p->allowed_ips[i].ip, &c.ip))
			return true;
	return false;
}

/* Apply to a memory device and read it back. */
static void apply(weft_wg_t *wg, const weft_wg_device_t *want, weft_wg_changes_t *ch, weft_wg_device_t *got)
{
	weft_wg_err_t err;

	assert_int_equal(weft_wg_apply(wg, want, ch, &err), 0);
	memset(got, 0, sizeof(*got));
	assert_int_equal(weft_wg_get_device(wg, got, &err), 0);
}

static void test_gateway_and_members(void **state)
{
	weft_wg_mem_world_t *world = weft_wg_mem_world_new();
	weft_wg_opts_t o = { .backend = WEFT_WG_MEMORY, .world = world };
	weft_wg_t *gw_dev, *m_dev;
	weft_wg_err_t err;
	struct weft_peerset ps;
	struct weft_extclient_stats st;
	weft_wg_device_t want, got;
	weft_wg_changes_t ch;
	weft_wgkey_t phone, laptop, tablet;
	const weft_wg_peer_t *p;

	client("phone", 0, "10.77.200.1", "fd77::c8:1", NULL, false, &phone);
	client("laptop", 0, "10.77.200.2", NULL, NULL, false, &laptop);
	client("tablet", 1, "10.77.200.3", NULL, NULL, false, &tablet);

	/* The gateway (node 0): two clients of its own are peers, with host
	 * routes only and no endpoint; node 1's client is on node 1's peer. */
	assert_int_equal(weft_wg_open(&gw_dev, "gw0", &o, &err), 0);
	assert_int_equal(weft_wg_create(gw_dev, &err), 0);
	desired(0, &ps, &want, &st);
	assert_int_equal(st.served, 2);
	assert_int_equal(st.routed, 1);
	assert_int_equal(st.skipped, 0);
	apply(gw_dev, &want, &ch, &got);
	assert_int_equal(ch.added, 4); /* nodes 1, 2 and two clients */
	assert_int_equal(got.n_peers, 4);
	p = weft_wg_device_find_peer(&got, &phone);
	assert_non_null(p);
	assert_int_equal(p->n_allowed_ips, 2);
	assert_true(has_ip(p, "10.77.200.1/32"));
	assert_true(has_ip(p, "fd77::c8:1/128"));
	assert_int_equal(p->endpoint.ip.family, 0);
	assert_int_equal(p->keepalive, 0);
	p = weft_wg_device_find_peer(&got, &laptop);
	assert_non_null(p);
	assert_int_equal(p->n_allowed_ips, 1);
	assert_true(has_ip(p, "10.77.200.2/32"));
	p = weft_wg_device_find_peer(&got, &F->wg[1].pub);
	assert_non_null(p);
	assert_true(has_ip(p, "10.77.200.3/32"));
	assert_null(weft_wg_device_find_peer(&got, &tablet));
	weft_wg_device_free(&want);
	weft_wg_device_free(&got);
	weft_peerset_free(&ps);

	/* Another member (node 2): no client is its peer; each client's
	 * addresses are on its gateway's peer. */
	assert_int_equal(weft_wg_open(&m_dev, "m2", &o, &err), 0);
	assert_int_equal(weft_wg_create(m_dev, &err), 0);
	desired(2, &ps, &want, &st);
	assert_int_equal(st.served, 0);
	assert_int_equal(st.routed, 3);
	apply(m_dev, &want, &ch, &got);
	assert_int_equal(got.n_peers, 2);
	assert_null(weft_wg_device_find_peer(&got, &phone));
	p = weft_wg_device_find_peer(&got, &F->wg[0].pub);
	assert_non_null(p);
	assert_int_equal(p->n_allowed_ips, 2 + 3); /* its /32 and /128, the clients' three */
	assert_true(has_ip(p, "10.77.200.1/32"));
	assert_true(has_ip(p, "fd77::c8:1/128"));
	assert_true(has_ip(p, "10.77.200.2/32"));
	assert_false(has_ip(p, "10.77.200.3/32"));
	assert_true(has_ip(weft_wg_device_find_peer(&got, &F->wg[1].pub), "10.77.200.3/32"));
	weft_wg_device_free(&want);
	weft_wg_device_free(&got);
	weft_peerset_free(&ps);

	/* rm: a tombstone (higher version) takes the phone out everywhere,
	 * changing only the peers it concerns. */
	client("phone", 0, NULL, NULL, &phone, true, NULL);
	desired(0, &ps, &want, &st);
	assert_int_equal(st.served, 1);
	apply(gw_dev, &want, &ch, &got);
	assert_int_equal(ch.removed, 1);
	assert_int_equal(ch.added, 0);
	assert_int_equal(ch.updated, 0);
	assert_null(weft_wg_device_find_peer(&got, &phone));
	assert_non_null(weft_wg_device_find_peer(&got, &laptop));
	weft_wg_device_free(&want);
	weft_wg_device_free(&got);
	weft_peerset_free(&ps);
	desired(2, &ps, &want, &st);
	apply(m_dev, &want, &ch, &got);
	assert_int_equal(ch.updated, 1);
	p = weft_wg_device_find_peer(&got, &F->wg[0].pub);
	assert_false(has_ip(p, "10.77.200.1/32"));
	assert_false(has_ip(p, "fd77::c8:1/128"));
	assert_true(has_ip(p, "10.77.200.2/32"));
	weft_wg_device_free(&want);
	weft_wg_device_free(&got);
	weft_peerset_free(&ps);

	weft_wg_close(gw_dev);
	weft_wg_close(m_dev);
	weft_wg_mem_world_free(world);
}

/* Records that would make WireGuard refuse the device are left out, and
 * the rest still applies. */
static void test_bad_records_left_out(void **state)
{
	weft_wg_mem_world_t *world = weft_wg_mem_world_new();
	weft_wg_opts_t o = { .backend = WEFT_WG_MEMORY, .world = world };
	struct weft_peerset ps;
	struct weft_extclient_stats st;
	weft_wg_device_t want, got;
	weft_wg_changes_t ch;
	weft_wg_err_t err;
	weft_wgkey_t good, dup_later;
	weft_wg_t *wg;
	char member_addr[WEFT_ADDRSTRLEN];
	const struct weft_peer *m;

	assert_int_equal(weft_wg_open(&wg, "gw0", &o, &err), 0);
	assert_int_equal(weft_wg_create(wg, &err), 0);
	/* Node 2's own overlay address, as the view gives it. */
	desired(0, &ps, &want, &st);
	m = weft_peerset_find(&ps, &F->node[2].pk);
	assert_non_null(m);
	weft_ip_format(&m->addr4, member_addr, sizeof(member_addr));
	weft_wg_device_free(&want);
	weft_peerset_free(&ps);

	client("a-good", 0, "10.77.9.1", NULL, NULL, false, &good);
	client("b-dup", 0, "10.77.9.1", NULL, NULL, false, &dup_later); /* a-good has it */
	pin(2, member_addr); /* a hash never lands on a client's address (core/view.c): a pin may */
	client("c-member", 0, member_addr, NULL, NULL, false, NULL);        /* a member's pin */
	client("d-outside", 0, "192.0.2.7", NULL, NULL, false, NULL);       /* not in the range */
	client("e-reserved", 0, "10.77.255.255", NULL, NULL, false, NULL);  /* broadcast */
	client("f-key", 0, "10.77.9.6", NULL, &F->wg[1].pub, false, NULL);  /* a member's key */
	client("g-self", 0, "10.77.9.7", NULL, &F->wg[0].pub, false, NULL); /* our key */
	client("h-nogw", -1, "10.77.9.8", NULL, NULL, false, NULL);         /* gateway unknown */
	client("i-nostate", 3, "10.77.9.9", NULL, NULL, false, NULL);       /* gateway has no state */
	client("j-samekey", 0, "10.77.9.10", NULL, &good, false, NULL);     /* a-good's key */

	desired(0, &ps, &want, &st);
	assert_int_equal(st.served, 1);
	assert_int_equal(st.routed, 0);
	assert_int_equal(st.skipped, 9);
	apply(wg, &want, &ch, &got);
	assert_int_equal(got.n_peers, 3); /* nodes 1 and 2, a-good */
	assert_non_null(weft_wg_device_find_peer(&got, &good));
	assert_null(weft_wg_device_find_peer(&got, &dup_later));
	weft_wg_device_free(&want);
	weft_wg_device_free(&got);
	weft_peerset_free(&ps);

	/* The same records seen from node 2: the addresses that are left
	 * out on the gateway are left out here too. */
	desired(2, &ps, &want, &st);
	assert_int_equal(st.routed, 1);
	assert_int_equal(st.skipped, 9);
	weft_wg_device_free(&want);
	weft_peerset_free(&ps);

	weft_wg_close(wg);
	weft_wg_mem_world_free(world);
}

/* A client on the address a member's hash gave it is not dropped: the
 * view treats the client's address as taken and the member moves, the
 * same on every node. */
static void test_member_moves_off_client(void **state)
{
	struct weft_peerset ps;
	struct weft_extclient_stats st;
	weft_wg_device_t want;
	weft_ip_t was;
	char addr[WEFT_ADDRSTRLEN];
	const struct weft_peer *m;

	desired(0, &ps, &want, &st);
	m = weft_peerset_find(&ps, &F->node[2].pk);
	assert_non_null(m);
	was = m->addr4;
	weft_ip_format(&was, addr, sizeof(addr));
	weft_wg_device_free(&want);
	weft_peerset_free(&ps);

	client("phone", 0, addr, NULL, NULL, false, NULL);
	desired(0, &ps, &want, &st);
	assert_int_equal(st.served, 1);
	assert_int_equal(st.skipped, 0);
	m = weft_peerset_find(&ps, &F->node[2].pk);
	assert_int_equal(m->addr4.family, 4);
	assert_false(weft_ip_equal(&m->addr4, &was));
	weft_wg_device_free(&want);
	weft_peerset_free(&ps);
	/* Node 2 itself agrees: it routes the client through the gateway. */
	desired(2, &ps, &want, &st);
	assert_int_equal(st.routed, 1);
	assert_int_equal(st.skipped, 0);
	assert_false(weft_ip_equal(&ps.self4, &was));
	weft_wg_device_free(&want);
	weft_peerset_free(&ps);
}

/* ---- egress ---- */

static void test_approved_routes(void **state)
{
	struct weft_config c;
	struct weft_gateway_want w;
	weft_cidr_t r[WEFT_MAX_ROUTES];
	char err[256], buf[WEFT_CIDRSTRLEN];
	static const char conf[] = "[network office]\nroutes = 192.168.50.0/24, 172.16.0.0/12\n"
				   "routes = fd50::/64 192.168.50.0/24\n";
	static const char nat_off[] = "[network office]\negress_nat = off\n";

	/* Advertised in the configuration... */
	weft_config_defaults(&c);
	assert_int_equal(weft_config_parse(&c, conf, strlen(conf), err, sizeof(err)), 0);
	assert_int_equal(weft_gateway_advertised(weft_config_net(&c, "office"), r), 3);
	assert_string_equal(weft_cidr_format(&r[2], buf, sizeof(buf)), "fd50::/64");
	assert_int_equal(weft_gateway_advertised(NULL, r), 0);

	/* ...and in the state record, but nothing is served before the
	 * admin approves. */
	add_state(0, "gw", "192.168.50.0/24");
	assert_int_equal(weft_gateway_approved(F->store, &F->node[0].pk, r), 0);
	weft_gateway_want(F->store, &F->node[0].pk, weft_config_net(&c, "office"), 0, &w);
	assert_false(w.forward4);
	assert_false(w.nat);

	/* An approval of another route serves nothing either. */
	approve(0, "10.99.0.0/16");
	assert_int_equal(weft_gateway_approved(F->store, &F->node[0].pk, r), 0);

	/* Nor one over the network's own range (routecheck.h), advertised
	 * and approved alike: no forwarding, no masquerade for it. */
	add_state(0, "gw", "10.77.0.0/16");
	approve(0, "10.77.0.0/16");
	assert_int_equal(weft_gateway_approved(F->store, &F->node[0].pk, r), 0);
	weft_gateway_want(F->store, &F->node[0].pk, weft_config_net(&c, "office"), 0, &w);
	assert_false(w.nat);
	add_state(0, "gw", "192.168.50.0/24");

	approve(0, "192.168.50.0/24");
	assert_int_equal(weft_gateway_approved(F->store, &F->node[0].pk, r), 1);
	assert_string_equal(weft_cidr_format(&r[0], buf, sizeof(buf)), "192.168.50.0/24");
	weft_gateway_want(F->store, &F->node[0].pk, weft_config_net(&c, "office"), 0, &w);
	assert_true(w.forward4);
	assert_false(w.forward6); /* no IPv6 reason */
	assert_true(w.nat);
	assert_int_equal(w.nroutes, 1);
	assert_string_equal(weft_cidr_format(&w.overlay4, buf, sizeof(buf)), "10.77.0.0/16");

	/* egress_nat = off keeps forwarding, drops the masquerade. */
	weft_config_defaults(&c);
	assert_int_equal(weft_config_parse(&c, nat_off, strlen(nat_off), err, sizeof(err)), 0);
	weft_gateway_want(F->store, &F->node[0].pk, weft_config_net(&c, "office"), 0, &w);
	assert_true(w.forward4);
	assert_false(w.nat);

	/* Serving external clients forwards both of the network's families. */
	weft_gateway_want(F->store, &F->node[1].pk, NULL, 2, &w);
	assert_true(w.forward4);
	assert_true(w.forward6);
	assert_false(w.nat);
	weft_gateway_want(F->store, &F->node[1].pk, NULL, 0, &w);
	assert_false(w.forward4 || w.forward6 || w.nat);

	/* Every other member routes it through the gateway (peersync). */
	{
		struct weft_peerset ps;
		struct weft_extclient_stats st;
		weft_wg_device_t want;

		desired(2, &ps, &want, &st);
		assert_true(has_ip(weft_wg_device_find_peer(&want, &F->wg[0].pub), "192.168.50.0/24"));
		weft_wg_device_free(&want);
		weft_peerset_free(&ps);
	}
}

static void test_config_routes(void **state)
{
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{ "[network a]\nroutes = 10.0.0.1/24\n", "bad route '10.0.0.1/24'" },
		{ "[network a]\nroutes = 0.0.0.0/0\n", "default route" },
		{ "[network a]\nroutes = ::/0\n", "default route" },
		{ "[network a]\nroutes = lan\n", "bad route 'lan'" },
		{ "[network a]\negress_nat = yes\n", "bad egress_nat 'yes'" },
		{ "routes = 10.1.0.0/16\n", "unknown setting 'routes'" },
		{ "[network a]\nroutes = 10.1.0.0/24,10.2.0.0/24,10.3.0.0/24,10.4.0.0/24,10.5.0.0/24,10.6.0.0/24,"
		  "10.7.0.0/24,10.8.0.0/24,10.9.0.0/24\n",
		  "too many routes" },
	};
	static const char good[] = "[network a]\nroutes = 10.1.0.0/16,,10.1.0.0/16 ,\negress_nat = on\n";
	struct weft_config c;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		weft_config_defaults(&c);
		assert_int_equal(weft_config_parse(&c, bad[i].text, strlen(bad[i].text), err, sizeof(err)), -EINVAL);
		if (!strstr(err, bad[i].msg))
			fail_msg("'%s': got '%s', want '%s'", bad[i].text, err, bad[i].msg);
	}
	weft_config_defaults(&c);
	assert_int_equal(weft_config_parse(&c, good, strlen(good), err, sizeof(err)), 0);
	assert_int_equal(c.nets[0].nroutes, 1); /* repeats are one route */
	assert_false(c.nets[0].egress_nat_off);
}

static void test_nft_script(void **state)
{
	struct weft_gateway_want w;
	char s[2048];
	int len;

	memset(&w, 0, sizeof(w));
	weft_cidr_parse(&w.overlay4, "10.77.0.0/16");
	weft_cidr_parse(&w.overlay6, "fd77::/64");
	len = weft_gateway_nft_script("office", "weft-office", &w, s, sizeof(s));
	assert_int_equal(len, (int)strlen(s));
	assert_string_equal(s, "add table inet weft-office\ndelete table inet weft-office\n");

	w.nat = true;
	w.nroutes = 2;
	weft_cidr_parse(&w.routes[0], "192.168.50.0/24");
	weft_cidr_parse(&w.routes[1], "fd50::/64");
	len = weft_gateway_nft_script("office", "weft-office", &w, s, sizeof(s));
	assert_int_equal(len, (int)strlen(s));
	assert_string_equal(
		s,
		"add table inet weft-office\n"
		"delete table inet weft-office\n"
		"add table inet weft-office\n"
		"add chain inet weft-office postrouting { type nat hook postrouting priority 100; policy accept; }\n"
		"add rule inet weft-office postrouting oifname != \"weft-office\" ip saddr 10.77.0.0/16 "
		"ip daddr 192.168.50.0/24 masquerade\n"
		"add rule inet weft-office postrouting oifname != \"weft-office\" ip6 saddr fd77::/64 "
		"ip6 daddr fd50::/64 masquerade\n");
	/* No IPv6 range: nothing to masquerade from in that family. */
	memset(&w.overlay6, 0, sizeof(w.overlay6));
	weft_gateway_nft_script("office", "wo", &w, s, sizeof(s));
	assert_null(strstr(s, "ip6"));
	assert_int_equal(weft_gateway_nft_script("office", "weft-office", &w, s, 40), WEFT_EOVERSIZE);
	assert_int_equal(weft_gateway_nft_script("office", "we\"ird", &w, s, sizeof(s)), WEFT_EMALFORMED);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static char *read_file(const char *path)
{
	static char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* The host side, with the proc tree and nft in a scratch directory: the
 * sysctls are written once, nft runs when the rules change only, and stop
 * removes the table. */
static void test_apply_host(void **state)
{
	struct weft_gateway gw;
	struct weft_gateway_want w;
	char path[256], nft[256], log[256], cmd[1024];
	const char *s;

	snprintf(cmd, sizeof(cmd), "mkdir -p %s/proc/sys/net/ipv4 %s/proc/sys/net/ipv6/conf/all", F->dir, F->dir);
	assert_int_equal(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/proc/sys/net/ipv4/ip_forward", F->dir);
	write_file(path, "0\n", 0644);
	snprintf(path, sizeof(path), "%s/proc/sys/net/ipv6/conf/all/forwarding", F->dir);
	write_file(path, "0\n", 0644);
	/* A fake nft: appends its script and a separator to a log. */
	snprintf(log, sizeof(log), "%s/nft.log", F->dir);
	snprintf(nft, sizeof(nft), "%s/nft", F->dir);
	snprintf(cmd, sizeof(cmd), "#!/bin/sh\n[ \"$1 $2\" = \"-f -\" ] || exit 2\ncat >>%s\necho --- >>%s\n", log,
		 log);
	write_file(nft, cmd, 0755);

	memset(&gw, 0, sizeof(gw));
	gw.proc_root = F->dir;
	gw.nft = nft;
	memset(&w, 0, sizeof(w));
	weft_cidr_parse(&w.overlay4, "10.77.0.0/16");
	/* First sync with nothing to do: one cleanup run, no forwarding. */
	weft_gateway_apply(&gw, "office", "weft-office", &w);
	s = read_file(log);
	assert_non_null(s);
	assert_string_equal(s, "add table inet weft-office\ndelete table inet weft-office\n---\n");
	snprintf(path, sizeof(path), "%s/proc/sys/net/ipv4/ip_forward", F->dir);
	assert_string_equal(read_file(path), "0\n");
	unlink(log);
	weft_gateway_apply(&gw, "office", "weft-office", &w);
	assert_null(read_file(log)); /* nothing changed: nft not run */

	/* Routes approved: forwarding on, the table installed, once. */
	w.forward4 = w.nat = true;
	w.nroutes = 1;
	weft_cidr_parse(&w.routes[0], "192.168.50.0/24");
	weft_gateway_apply(&gw, "office", "weft-office", &w);
	assert_string_equal(read_file(path), "1\n");
	snprintf(path, sizeof(path), "%s/proc/sys/net/ipv6/conf/all/forwarding", F->dir);
	assert_string_equal(read_file(path), "0\n");
	s = read_file(log);
	assert_non_null(strstr(s, "ip daddr 192.168.50.0/24 masquerade\n---\n"));
	assert_true(gw.nat_table);
	unlink(log);
	weft_gateway_apply(&gw, "office", "weft-office", &w);
	assert_null(read_file(log));

	/* Stop: the table goes. */
	weft_gateway_stop(&gw, "office");
	assert_string_equal(read_file(log), "add table inet weft-office\ndelete table inet weft-office\n---\n");
	assert_false(gw.nat_table);
	unlink(log);

	/* A failing nft is reported, not retried as a success. */
	snprintf(cmd, sizeof(cmd), "#!/bin/sh\ncat >/dev/null\necho 'Error: no such file' >&2\nexit 1\n");
	write_file(nft, cmd, 0755);
	weft_gateway_apply(&gw, "office", "weft-office", &w);
	assert_false(gw.nat_table);
	assert_true(gw.warned);
	/* nft not installed at all. */
	gw.nft = "/nonexistent/nft";
	weft_gateway_apply(&gw, "office", "weft-office", &w);
	assert_false(gw.nat_table);
}

int main(void)
{
	/* As the daemon does (daemon.c): a fake nft that exits before reading
	 * its script must give EPIPE, not kill the test. */
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_gateway_and_members, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_records_left_out, setup, teardown),
		cmocka_unit_test_setup_teardown(test_member_moves_off_client, setup, teardown),
		cmocka_unit_test_setup_teardown(test_approved_routes, setup, teardown),
		cmocka_unit_test(test_config_routes),
		cmocka_unit_test(test_nft_script),
		cmocka_unit_test_setup_teardown(test_apply_host, setup, teardown),
	};

	assert_int_equal(weft_crypto_init(), 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
