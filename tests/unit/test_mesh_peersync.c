/* From the store's view to WireGuard peers: which members become peers,
 * their allowed IPs, the endpoint chosen from the candidates (LAN, then
 * WireGuard's, then observed, then the rest, global before private; only
 * LAN ones for a local-only network), keepalive where a NAT is likely,
 * handshakes ending the retries, retries rotating candidates with backoff,
 * and relays: the same pick on both sides of a pair, the fall-back when
 * the relay dies, the direct path winning. Applied to the memory backend,
 * so the diff is checked too. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/error.h"
#include "mesh/peersync.h"
#include "mesh/routecheck.h"
#include "core/store.h"
#include "wg/wg.h"

#define NOW_MS 1795168800000ull
#define NOW_S (NOW_MS / 1000)
#define SEC 1000000000ull
#define NNODES 5

struct fixture {
	weft_keypair_t admin;
	weft_keypair_t node[NNODES];
	weft_wgpair_t wg[NNODES];
	weft_store_t *store;
	uint64_t version;
	/* candidates handed out by cands(), per node index */
	struct weft_gossip_candidate cand[NNODES][6];
	size_t ncand[NNODES];
};

static struct fixture *F;

static void sign(weft_record_t *r, const weft_keypair_t *kp)
{
	const char *why = NULL;

	if (weft_record_sign(r, kp) != 0) {
		weft_record_check(r, &why);
		fail_msg("sign %s: %s", weft_rec_type_name(r->type), why ? why : "?");
	}
	assert_true(weft_store_merge(F->store, r) > 0);
}

static void add_state_flags(int i, const char *name, const char *ep, const char *route, uint32_t flags)
{
	weft_record_t r;
	struct weft_rec_node_state *st = &r.u.node_state;

	memset(&r, 0, sizeof(r));
	r.type = WEFT_REC_NODE_STATE;
	st->node_id = F->node[i].pk;
	st->version = ++F->version;
	st->wg_pub = F->wg[i].pub;
	st->wg_port = (uint16_t)(52820 + i);
	st->gossip_port = 51821;
	snprintf(st->name, sizeof(st->name), "%s", name);
	if (ep) {
		st->nendpoints = 1;
		assert_int_equal(weft_endpoint_parse(&st->endpoints[0], ep), 0);
	}
	if (route) {
		st->nroutes = 1;
		assert_int_equal(weft_cidr_parse(&st->routes[0], route), 0);
	}
	st->flags = flags;
	sign(&r, &F->node[i]);
}

static void add_state(int i, const char *name, const char *ep, const char *route)
{
	add_state_flags(i, name, ep, route, 0);
}

static int setup(void **state)
{
	weft_record_t r;
	int i;

	F = calloc(1, sizeof(*F));
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
	sign(&r, &F->admin);
	for (i = 0; i < NNODES; i++) {
		weft_keypair_generate(&F->node[i]);
		weft_wgpair_generate(&F->wg[i]);
		memset(&r, 0, sizeof(r));
		r.type = WEFT_REC_MEMBER;
		r.u.member.node_id = F->node[i].pk;
		r.u.member.invite_pk = F->admin.pk;
		r.u.member.join_time = NOW_MS - 100000 + (uint64_t)i;
		sign(&r, &F->admin);
	}
	add_state(0, "self", "192.168.1.10:51820", NULL);
	add_state(1, "lan", "192.168.1.11:51821", NULL);
	add_state(2, "far", "198.51.100.2:51822", "172.16.0.0/24");
	add_state(3, "nostate-yet", NULL, NULL);
	/* node 4 has a member record but no state: not a peer */
	*state = F;
	return 0;
}

static int teardown(void **state)
{
	weft_store_free(F->store);
	free(F);
	return 0;
}

static size_t cands(void *ctx, const weft_pk_t *id, struct weft_gossip_candidate *out, size_t cap)
{
	size_t i, n = 0;
	int k;

	for (k = 0; k < NNODES; k++)
		if (!memcmp(id->b, F->node[k].pk.b, WEFT_PK_LEN))
			for (i = 0; i < F->ncand[k] && n < cap; i++)
				out[n++] = F->cand[k][i];
	return n;
}

static void cand(int node, uint8_t kind, const char *ep)
{
	struct weft_gossip_candidate *c = &F->cand[node][F->ncand[node]++];

	c->kind = kind;
	assert_int_equal(weft_endpoint_parse(&c->ep, ep), 0);
}

static void update(struct weft_peerset *ps, uint64_t now_ns)
{
	weft_view_t v;

	assert_int_equal(weft_store_view(F->store, NOW_MS, &v), 0);
	assert_int_equal(weft_peerset_update(ps, &v, now_ns), 0);
	weft_view_free(&v);
}

static void env_init(struct weft_peersync_env *env, weft_cidr_t *lan)
{
	memset(env, 0, sizeof(*env));
	env->cands = cands;
	weft_cidr_parse(lan, "192.168.1.0/24");
	env->local_nets = lan;
	env->nlocal_nets = 1;
}

static void test_table(void **state)
{
	struct weft_peerset ps;
	struct weft_peer *p;
	char buf[WEFT_ADDRSTRLEN];

	weft_peerset_init(&ps, &F->node[0].pk);
	update(&ps, 1 * SEC);
	assert_int_equal(ps.members, NNODES);
	assert_int_equal(ps.n, NNODES - 1); /* self is not a peer */
	assert_int_equal(ps.self_status, WEFT_MEMBER_ACTIVE);
	assert_int_equal(ps.self4.family, 4);
	assert_int_equal(ps.self6.family, 6);
	assert_null(weft_peerset_find(&ps, &F->node[0].pk));
	p = weft_peerset_find(&ps, &F->node[1].pk);
	assert_non_null(p);
	assert_string_equal(p->name, "lan");
	assert_true(p->has_state);
	assert_true(weft_peer_wanted(p));
	assert_memory_equal(p->wg_pub.b, F->wg[1].pub.b, WEFT_WGKEY_LEN);
	assert_int_equal(p->wg_port, 52821);
	assert_true(p->poke); /* new: a handshake is due now */
	assert_int_equal(p->next_try_ns, 1 * SEC + (uint64_t)WEFT_PEER_RETRY_MIN_MS * 1000000u);
	assert_ptr_equal(weft_peerset_find_addr(&ps, &p->addr4), p);
	assert_ptr_equal(weft_peerset_find_addr(&ps, &p->addr6), p);
	assert_true(weft_cidr_contains(&(weft_cidr_t){ .ip = { 4, { 10, 77 } }, .prefix = 16 }, &p->addr4));
	(void)buf;
	/* No state yet: a member, but not a peer. */
	p = weft_peerset_find(&ps, &F->node[4].pk);
	assert_non_null(p);
	assert_false(p->has_state);
	assert_false(weft_peer_wanted(p));
	/* The advertised route without the admin's approval is not routed. */
	p = weft_peerset_find(&ps, &F->node[2].pk);
	assert_int_equal(p->nroutes, 0);
	weft_peerset_free(&ps);
}

static void test_desired_and_apply(void **state)
{
	struct weft_peersync_env env;
	struct weft_peerset ps;
	weft_wg_device_t want = { 0 }, got = { 0 };
	weft_wg_changes_t ch;
	weft_wg_err_t err;
	weft_wg_opts_t o = { .backend = WEFT_WG_MEMORY };
	weft_wg_t *wg;
	const weft_wg_peer_t *wp;
	weft_cidr_t lan;
	char buf[WEFT_EPSTRLEN];
	struct weft_peer *p;

	env_init(&env, &lan);
	memset(F->ncand, 0, sizeof(F->ncand));
	/* node 1: announced on our LAN; node 2: announced far away plus where
	 * its gossip came from (a NAT: the observed address is not announced) */
	cand(1, WEFT_EP_ANNOUNCED, "192.168.1.11:51821");
	cand(2, WEFT_EP_ANNOUNCED, "198.51.100.2:51822");
	cand(2, WEFT_EP_OBSERVED, "203.0.113.9:40001");
	weft_peerset_init(&ps, &F->node[0].pk);
	update(&ps, 1 * SEC);
	assert_int_equal(weft_peerset_desired(&ps, &env, NOW_S, &want), 0);
	assert_int_equal(want.n_peers, 3); /* nodes 1, 2, 3 (3 has no endpoint) */

	wp = weft_wg_device_find_peer(&want, &F->wg[1].pub);
	assert_non_null(wp);
	assert_string_equal(weft_endpoint_format(&wp->endpoint, buf, sizeof(buf)), "192.168.1.11:51821");
	assert_int_equal(wp->keepalive, 0); /* same LAN, no NAT */
	assert_int_equal(wp->n_allowed_ips, 2);
	assert_int_equal(wp->allowed_ips[0].prefix, 32);
	assert_int_equal(wp->allowed_ips[1].prefix, 128);
	p = weft_peerset_find(&ps, &F->node[1].pk);
	assert_true(weft_ip_equal(&wp->allowed_ips[0].ip, &p->addr4));

	wp = weft_wg_device_find_peer(&want, &F->wg[2].pub);
	assert_int_equal(wp->keepalive, WEFT_PEER_NAT_KEEPALIVE);
	/* First candidate for node 2: the announced one (not on our LAN comes
	 * after the observed one, so the observed address with its WG port). */
	assert_string_equal(weft_endpoint_format(&wp->endpoint, buf, sizeof(buf)), "203.0.113.9:52822");

	wp = weft_wg_device_find_peer(&want, &F->wg[3].pub);
	assert_int_equal(wp->endpoint.ip.family, 0); /* nothing known: no opinion */

	assert_int_equal(weft_wg_open(&wg, "weft-test", &o, &err), 0);
	assert_int_equal(weft_wg_create(wg, &err), 0);
	want.has_private_key = true;
	want.private_key = F->wg[0].priv;
	want.listen_port = 51820;
	assert_int_equal(weft_wg_apply(wg, &want, &ch, &err), 0);
	assert_int_equal(ch.added, 3);
	assert_true(ch.device_changed);
	/* The same again changes nothing. */
	assert_int_equal(weft_wg_apply(wg, &want, &ch, &err), 0);
	assert_int_equal(ch.added + ch.removed + ch.updated, 0);
	assert_false(ch.device_changed);
	weft_wg_device_free(&want);

	/* A keepalive set everywhere by the network reaches every peer;
	 * only those peers are updated, nobody is re-added. */
	env.keepalive = 10;
	assert_int_equal(weft_peerset_desired(&ps, &env, NOW_S, &want), 0);
	assert_int_equal(weft_wg_apply(wg, &want, &ch, &err), 0);
	assert_int_equal(ch.added, 0);
	assert_int_equal(ch.removed, 0);
	assert_int_equal(ch.updated, 3); /* 0 -> 10 twice, 25 -> 10 once */
	weft_wg_device_free(&want);
	assert_int_equal(weft_wg_get_device(wg, &got, &err), 0);
	assert_int_equal(got.n_peers, 3);
	assert_int_equal(weft_wg_device_find_peer(&got, &F->wg[1].pub)->keepalive, 10);
	weft_wg_device_free(&got);
	weft_wg_close(wg);
	weft_peerset_free(&ps);
}

static int tunnel_calls, tunnel_up_calls;
static void on_tunnel(void *ctx, struct weft_peer *p, bool up)
{
	tunnel_calls++;
	tunnel_up_calls += up;
}

static void test_handshakes_and_retries(void **state)
{
	struct weft_peersync_env env;
	struct weft_peerset ps;
	weft_wg_device_t want = { 0 }, got = { 0 };
	weft_wg_mem_world_t *world = weft_wg_mem_world_new();
	weft_wg_opts_t o = { .backend = WEFT_WG_MEMORY, .world = world };
	weft_wg_err_t err;
	weft_wg_t *wg;
	weft_cidr_t lan;
	struct weft_peer *p1, *p2;
	char buf[WEFT_EPSTRLEN];
	uint64_t t;

	env_init(&env, &lan);
	memset(F->ncand, 0, sizeof(F->ncand));
	cand(1, WEFT_EP_ANNOUNCED, "192.168.1.11:51821");
	cand(2, WEFT_EP_ANNOUNCED, "198.51.100.2:51822");
	cand(2, WEFT_EP_ANNOUNCED, "198.51.100.3:51822");
	weft_peerset_init(&ps, &F->node[0].pk);
	update(&ps, 0);
	assert_int_equal(weft_wg_open(&wg, "weft-hs", &o, &err), 0);
	assert_int_equal(weft_wg_create(wg, &err), 0);
	assert_int_equal(weft_peerset_desired(&ps, &env, NOW_S, &want), 0);
	assert_int_equal(weft_wg_apply(wg, &want, NULL, &err), 0);
	weft_wg_device_free(&want);

	/* Node 1 completes a handshake; node 2 does not. */
	assert_int_equal(weft_wg_mem_handshake(world, "weft-hs", &F->wg[1].pub, NOW_S * SEC), 0);
	assert_int_equal(weft_wg_get_device(wg, &got, &err), 0);
	tunnel_calls = tunnel_up_calls = 0;
	weft_peerset_observe(&ps, &got, NOW_S + 1, on_tunnel, NULL);
	weft_wg_device_free(&got);
	assert_int_equal(tunnel_calls, 1);
	assert_int_equal(tunnel_up_calls, 1);
	p1 = weft_peerset_find(&ps, &F->node[1].pk);
	p2 = weft_peerset_find(&ps, &F->node[2].pk);
	assert_true(p1->tunnel_up);
	assert_int_equal(p1->last_handshake_s, NOW_S);
	assert_int_equal(p1->next_try_ns, 0);
	assert_false(p2->tunnel_up);
	assert_true(p2->in_device);

	/* A working tunnel keeps WireGuard's endpoint: no opinion given. */
	assert_int_equal(weft_peerset_desired(&ps, &env, NOW_S + 1, &want), 0);
	assert_int_equal(weft_wg_device_find_peer(&want, &F->wg[1].pub)->endpoint.ip.family, 0);
	assert_string_equal(weft_endpoint_format(&weft_wg_device_find_peer(&want, &F->wg[2].pub)->endpoint, buf,
						 sizeof(buf)),
			    "198.51.100.2:51822");
	weft_wg_device_free(&want);

	/* Node 2 is retried at its time with the next candidate, and the
	 * interval doubles after each full round of candidates. */
	t = weft_peerset_next_retry(&ps);
	assert_int_equal(t, (uint64_t)WEFT_PEER_RETRY_MIN_MS * 1000000u);
	assert_int_equal(weft_peerset_retry(&ps, &env, t - 1), 0);
	p2->poke = false;
	/* nodes 2 and 3 have no handshake (3 has no candidate at all) */
	assert_int_equal(weft_peerset_retry(&ps, &env, t), 2);
	assert_true(p2->poke);
	assert_true(weft_peerset_find(&ps, &F->node[3].pk)->poke);
	assert_false(weft_peerset_find(&ps, &F->node[1].pk)->poke);
	assert_int_equal(weft_peerset_desired(&ps, &env, NOW_S + 6, &want), 0);
	assert_string_equal(weft_endpoint_format(&weft_wg_device_find_peer(&want, &F->wg[2].pub)->endpoint, buf,
						 sizeof(buf)),
			    "198.51.100.3:51822");
	weft_wg_device_free(&want);
	/* attempt 1 of 2 candidates: the round is not complete, same interval */
	assert_int_equal(p2->backoff_ms, WEFT_PEER_RETRY_MIN_MS);
	t = p2->next_try_ns;
	weft_peerset_retry(&ps, &env, t);
	assert_int_equal(p2->backoff_ms, 2 * WEFT_PEER_RETRY_MIN_MS);
	while (p2->backoff_ms < WEFT_PEER_RETRY_MAX_MS)
		weft_peerset_retry(&ps, &env, p2->next_try_ns);
	assert_int_equal(p2->backoff_ms, WEFT_PEER_RETRY_MAX_MS);
	weft_peerset_retry(&ps, &env, p2->next_try_ns);
	weft_peerset_retry(&ps, &env, p2->next_try_ns);
	assert_int_equal(p2->backoff_ms, WEFT_PEER_RETRY_MAX_MS); /* capped */

	/* It announces the same endpoint again (a new state version for
	 * another reason): the backoff stays. */
	add_state(2, "far", "198.51.100.2:51822", "172.16.0.0/24");
	update(&ps, 500 * SEC);
	p2 = weft_peerset_find(&ps, &F->node[2].pk);
	assert_int_equal(p2->backoff_ms, WEFT_PEER_RETRY_MAX_MS);
	/* A new endpoint while its tunnel is down: tried from the best
	 * candidate at once, not at the end of a 60 s backoff. */
	add_state(2, "far", "203.0.113.9:51822", "172.16.0.0/24");
	update(&ps, 600 * SEC);
	p2 = weft_peerset_find(&ps, &F->node[2].pk);
	p1 = weft_peerset_find(&ps, &F->node[1].pk);
	assert_int_equal(p2->attempt, 0);
	assert_int_equal(p2->backoff_ms, WEFT_PEER_RETRY_MIN_MS);
	assert_int_equal(p2->next_try_ns, 600 * SEC + (uint64_t)WEFT_PEER_RETRY_MIN_MS * 1000000u);
	assert_true(p2->poke);

	/* Three minutes without a handshake: the tunnel is down again. */
	assert_int_equal(weft_wg_get_device(wg, &got, &err), 0);
	tunnel_calls = tunnel_up_calls = 0;
	weft_peerset_observe(&ps, &got, NOW_S + WEFT_PEER_TUNNEL_S + 1, on_tunnel, NULL);
	weft_wg_device_free(&got);
	assert_int_equal(tunnel_calls, 1);
	assert_int_equal(tunnel_up_calls, 0);
	assert_false(p1->tunnel_up);
	assert_int_equal(p1->next_try_ns, 0);
	weft_peerset_retry(&ps, &env, 1000 * SEC);
	assert_int_equal(p1->next_try_ns, 1000 * SEC + (uint64_t)WEFT_PEER_RETRY_MIN_MS * 1000000u);

	weft_wg_close(wg);
	weft_wg_mem_world_free(world);
	weft_peerset_free(&ps);
}

static void test_membership_changes(void **state)
{
	struct weft_peersync_env env;
	struct weft_peerset ps;
	weft_wg_device_t want = { 0 };
	weft_cidr_t lan;
	weft_record_t r;
	struct weft_peer *p;

	env_init(&env, &lan);
	memset(F->ncand, 0, sizeof(F->ncand));
	weft_peerset_init(&ps, &F->node[0].pk);
	update(&ps, 0);
	p = weft_peerset_find(&ps, &F->node[1].pk);
	p->poke = false;
	p->last_handshake_s = NOW_S;
	p->tunnel_up = true;
	p->in_device = true;

	/* Node 1 rotates its WireGuard key: a new peer, handshake from zero. */
	weft_wgpair_generate(&F->wg[1]);
	add_state(1, "lan", "192.168.1.11:51821", NULL);
	update(&ps, 50 * SEC);
	p = weft_peerset_find(&ps, &F->node[1].pk);
	assert_memory_equal(p->wg_pub.b, F->wg[1].pub.b, WEFT_WGKEY_LEN);
	assert_int_equal(p->last_handshake_s, 0);
	assert_false(p->tunnel_up);
	assert_true(p->poke);

	/* The admin approves node 2's route: it becomes an allowed IP. */
	memset(&r, 0, sizeof(r));
	r.type = WEFT_REC_OVERRIDE;
	r.u.override.node_id = F->node[2].pk;
	r.u.override.version = 1;
	r.u.override.set = WEFT_OVR_ROUTES;
	r.u.override.nroutes = 1;
	weft_cidr_parse(&r.u.override.routes[0], "172.16.0.0/24");
	sign(&r, &F->admin);
	update(&ps, 51 * SEC);
	assert_int_equal(weft_peerset_find(&ps, &F->node[2].pk)->nroutes, 1);
	assert_int_equal(weft_peerset_desired(&ps, &env, NOW_S, &want), 0);
	assert_int_equal(weft_wg_device_find_peer(&want, &F->wg[2].pub)->n_allowed_ips, 3);
	weft_wg_device_free(&want);

	/* Node 3 is revoked: still in the table (weft peers shows it), no
	 * longer a WireGuard peer. */
	memset(&r, 0, sizeof(r));
	r.type = WEFT_REC_REVOCATION;
	r.u.revocation.node_id = F->node[3].pk;
	r.u.revocation.time = NOW_S;
	sign(&r, &F->admin);
	update(&ps, 52 * SEC);
	p = weft_peerset_find(&ps, &F->node[3].pk);
	assert_non_null(p);
	assert_int_equal(p->status, WEFT_MEMBER_REVOKED);
	assert_false(weft_peer_wanted(p));
	assert_int_equal(weft_peerset_desired(&ps, &env, NOW_S, &want), 0);
	assert_int_equal(want.n_peers, 2);
	assert_null(weft_wg_device_find_peer(&want, &F->wg[3].pub));
	weft_wg_device_free(&want);

	/* We are revoked ourselves: the table says so. */
	memset(&r, 0, sizeof(r));
	r.type = WEFT_REC_REVOCATION;
	r.u.revocation.node_id = F->node[0].pk;
	r.u.revocation.time = NOW_S;
	sign(&r, &F->admin);
	update(&ps, 53 * SEC);
	assert_int_equal(ps.self_status, WEFT_MEMBER_REVOKED);
	weft_peerset_free(&ps);
}

/* What routecheck says, as the daemon's log would get it. */
static void say_to(void *ctx, const char *msg)
{
	fprintf(ctx, "%s\n", msg);
}

/* Approved routes over the network's own ranges, or default routes, are
 * left out (WireGuard would refuse the peer list on every node); the
 * member and its other routes stay, and the refusal is logged once. */
static void test_overlapping_routes(void **state)
{
	static const char *const routes[] = {
		"10.77.0.5/32", "10.0.0.0/8",      "0.0.0.0/0",         "::/0",
		"fd77::/48",    "192.168.50.0/24", "fd77:0:0:0:1::/80", "172.16.0.0/24"
	};
	const unsigned nr = sizeof(routes) / sizeof(routes[0]);
	struct weft_peersync_env env;
	struct weft_peerset ps;
	weft_wg_device_t want = { 0 };
	weft_cidr_t lan, good;
	weft_record_t r;
	struct weft_peer *p;
	char logbuf[4096];
	FILE *logf;
	unsigned i;

	env_init(&env, &lan);
	memset(F->ncand, 0, sizeof(F->ncand));
	memset(&r, 0, sizeof(r));
	r.type = WEFT_REC_NODE_STATE;
	r.u.node_state.node_id = F->node[1].pk;
	r.u.node_state.version = ++F->version;
	r.u.node_state.wg_pub = F->wg[1].pub;
	r.u.node_state.wg_port = 52821;
	r.u.node_state.gossip_port = 51821;
	snprintf(r.u.node_state.name, sizeof(r.u.node_state.name), "lan");
	r.u.node_state.nendpoints = 1;
	assert_int_equal(weft_endpoint_parse(&r.u.node_state.endpoints[0], "192.168.1.11:51821"), 0);
	r.u.node_state.nroutes = (uint8_t)nr;
	for (i = 0; i < nr; i++)
		assert_int_equal(weft_cidr_parse(&r.u.node_state.routes[i], routes[i]), 0);
	sign(&r, &F->node[1]);
	memset(&r, 0, sizeof(r));
	r.type = WEFT_REC_OVERRIDE;
	r.u.override.node_id = F->node[1].pk;
	r.u.override.version = 1;
	r.u.override.set = WEFT_OVR_ROUTES;
	r.u.override.nroutes = (uint8_t)nr;
	for (i = 0; i < nr; i++)
		assert_int_equal(weft_cidr_parse(&r.u.override.routes[i], routes[i]), 0);
	sign(&r, &F->admin);

	/* Seen from node 4 (test_membership_changes revoked node 0). */
	weft_peerset_init(&ps, &F->node[4].pk);
	update(&ps, 0);
	p = weft_peerset_find(&ps, &F->node[1].pk);
	assert_non_null(p);
	assert_int_equal(p->status, WEFT_MEMBER_ACTIVE);
	assert_int_equal(p->nroutes, 2);
	assert_int_equal(weft_cidr_parse(&good, "192.168.50.0/24"), 0);
	assert_true(weft_ip_equal(&p->routes[0].ip, &good.ip));
	assert_int_equal(p->routes[0].prefix, 24);
	assert_int_equal(p->nrefused, 6);
	assert_true(p->refused_news);
	assert_string_equal(p->refused_why[0], "it overlaps the network's IPv4 range");
	assert_string_equal(p->refused_why[2], "a default route would send every member's traffic to the gateway");
	assert_string_equal(p->refused_why[4], "it overlaps the network's IPv6 range");
	/* 172.16.0.0/24 is node 2's too (test_membership_changes approved
	 * it): one allowed IP on two peers would make WireGuard refuse the
	 * device, so the first by node id keeps it. */
	assert_int_equal(weft_peerset_desired(&ps, &env, NOW_S, &want), 0);
	{
		const weft_wg_peer_t *w1 = weft_wg_device_find_peer(&want, &F->wg[1].pub);
		const weft_wg_peer_t *w2 = weft_wg_device_find_peer(&want, &F->wg[2].pub);
		bool first1 = memcmp(F->node[1].pk.b, F->node[2].pk.b, WEFT_PK_LEN) < 0;

		assert_non_null(w1);
		assert_non_null(w2);
		assert_int_equal(w1->n_allowed_ips, first1 ? 4 : 3);
		assert_int_equal(w2->n_allowed_ips, first1 ? 2 : 3);
	}
	weft_wg_device_free(&want);

	/* Logged once: a second pass over the same records says nothing. */
	memset(logbuf, 0, sizeof(logbuf));
	logf = fmemopen(logbuf, sizeof(logbuf) - 1, "w");
	assert_non_null(logf);
	weft_peerset_route_news(&ps, "office", say_to, logf);
	fflush(logf);
	assert_non_null(strstr(logbuf, "not routing 10.77.0.5/32 through lan"));
	assert_non_null(strstr(logbuf, "0.0.0.0/0"));
	assert_false(p->refused_news);
	update(&ps, 1 * SEC);
	p = weft_peerset_find(&ps, &F->node[1].pk);
	assert_false(p->refused_news);
	assert_int_equal(p->nrefused, 6);
	rewind(logf);
	memset(logbuf, 0, sizeof(logbuf));
	weft_peerset_route_news(&ps, "office", say_to, logf);
	fflush(logf);
	assert_string_equal(logbuf, "");
	fclose(logf);

	/* The admin withdraws the approval: nothing left out, nothing to say. */
	r.u.override.version = 2;
	r.u.override.nroutes = 0;
	sign(&r, &F->admin);
	update(&ps, 2 * SEC);
	p = weft_peerset_find(&ps, &F->node[1].pk);
	assert_int_equal(p->nroutes, 0);
	assert_int_equal(p->nrefused, 0);
	assert_false(p->refused_news);
	weft_peerset_free(&ps);
	add_state(1, "lan", "192.168.1.11:51821", NULL);
}

static void test_candidates_order(void **state)
{
	struct weft_peersync_env env;
	struct weft_peerset ps;
	weft_endpoint_t out[WEFT_PEER_MAX_CANDIDATES];
	weft_cidr_t lan;
	char buf[WEFT_EPSTRLEN];
	size_t n;

	env_init(&env, &lan);
	memset(F->ncand, 0, sizeof(F->ncand));
	cand(2, WEFT_EP_ANNOUNCED, "198.51.100.2:51822");
	cand(2, WEFT_EP_OBSERVED, "203.0.113.9:40001");
	cand(2, WEFT_EP_ANNOUNCED, "192.168.1.50:1");
	F->cand[2][F->ncand[2] - 1].ep.port = 0;      /* announced without a port: its WireGuard port */
	cand(2, WEFT_EP_ANNOUNCED, "10.9.0.5:51822"); /* private, not our LAN */
	cand(2, WEFT_EP_WIREGUARD, "203.0.113.9:61000");
	cand(2, WEFT_EP_ANNOUNCED, "198.51.100.2:51822"); /* a repeat */
	weft_peerset_init(&ps, &F->node[0].pk);
	update(&ps, 0);
	n = weft_peer_candidates(weft_peerset_find(&ps, &F->node[2].pk), &env, out, WEFT_PEER_MAX_CANDIDATES);
	assert_int_equal(n, 5);
	/* same LAN, WireGuard's, observed (its NAT, our WG port), announced
	 * global, announced private */
	assert_string_equal(weft_endpoint_format(&out[0], buf, sizeof(buf)), "192.168.1.50:52822");
	assert_string_equal(weft_endpoint_format(&out[1], buf, sizeof(buf)), "203.0.113.9:61000");
	assert_string_equal(weft_endpoint_format(&out[2], buf, sizeof(buf)), "203.0.113.9:52822");
	assert_string_equal(weft_endpoint_format(&out[3], buf, sizeof(buf)), "198.51.100.2:51822");
	assert_string_equal(weft_endpoint_format(&out[4], buf, sizeof(buf)), "10.9.0.5:51822");
	/* A local-only network: the LAN candidate alone. */
	env.local_only = true;
	n = weft_peer_candidates(weft_peerset_find(&ps, &F->node[2].pk), &env, out, WEFT_PEER_MAX_CANDIDATES);
	assert_int_equal(n, 1);
	assert_string_equal(weft_endpoint_format(&out[0], buf, sizeof(buf)), "192.168.1.50:52822");
	env.local_only = false;
	/* Behind a NAT ourselves: keepalive for every peer. */
	memset(F->ncand, 0, sizeof(F->ncand));
	env.self_behind_nat = true;
	{
		weft_wg_device_t want = { 0 };

		assert_int_equal(weft_peerset_desired(&ps, &env, NOW_S, &want), 0);
		assert_int_equal(weft_wg_device_find_peer(&want, &F->wg[1].pub)->keepalive, WEFT_PEER_NAT_KEEPALIVE);
		weft_wg_device_free(&want);
	}
	weft_peerset_free(&ps);
}

/* Issue #22: a member whose state announces another member's public address
 * (node 2's, whatever the tests before set) and an address inside the
 * network gets neither as a WireGuard endpoint
 * (the view gives them to nobody else, core/view.c); its own stays. The
 * group's fixture is restored at the end. */
static void test_claimed_endpoints_ignored(void **state)
{
	struct weft_peersync_env env;
	struct weft_peerset ps;
	weft_endpoint_t out[WEFT_PEER_MAX_CANDIDATES];
	weft_cidr_t lan;
	weft_record_t r;
	struct weft_rec_node_state *st = &r.u.node_state;
	const weft_record_t *held2;
	char buf[WEFT_EPSTRLEN], theirs[WEFT_EPSTRLEN];
	size_t n;

	memset(&r, 0, sizeof(r));
	r.type = WEFT_REC_NODE_STATE;
	st->node_id = F->node[3].pk;
	st->version = ++F->version;
	st->wg_pub = F->wg[3].pub;
	st->wg_port = 52823;
	st->gossip_port = 51821;
	snprintf(st->name, sizeof(st->name), "nostate-yet");
	st->nendpoints = 3;
	held2 = weft_store_get(F->store, WEFT_REC_NODE_STATE, F->node[2].pk.b);
	assert_non_null(held2);
	st->endpoints[0] = held2->u.node_state.endpoints[0]; /* node 2's */
	weft_endpoint_format(&held2->u.node_state.endpoints[0], theirs, sizeof(theirs));
	assert_int_equal(weft_endpoint_parse(&st->endpoints[1], "10.77.0.9:51820"), 0);    /* the network's */
	assert_int_equal(weft_endpoint_parse(&st->endpoints[2], "198.51.100.3:52823"), 0); /* its own */
	sign(&r, &F->node[3]);
	env_init(&env, &lan);
	memset(F->ncand, 0, sizeof(F->ncand));
	cand(3, WEFT_EP_ANNOUNCED, theirs);
	cand(3, WEFT_EP_ANNOUNCED, "10.77.0.9:51820");
	cand(3, WEFT_EP_ANNOUNCED, "198.51.100.3:52823");
	weft_peerset_init(&ps, &F->node[0].pk);
	update(&ps, 0);
	n = weft_peer_candidates(weft_peerset_find(&ps, &F->node[3].pk), &env, out, WEFT_PEER_MAX_CANDIDATES);
	assert_int_equal(n, 1);
	assert_string_equal(weft_endpoint_format(&out[0], buf, sizeof(buf)), "198.51.100.3:52823");
	/* Node 3 itself is told: two of its endpoints go unused, the first
	 * of them held by node 2. */
	{
		struct weft_peerset me;

		weft_peerset_init(&me, &F->node[3].pk);
		update(&me, 0);
		assert_int_equal(me.self_nignored, 2);
		assert_string_equal(weft_endpoint_format(&me.self_ignored[0], buf, sizeof(buf)), theirs);
		assert_string_equal(weft_endpoint_format(&me.self_ignored[1], buf, sizeof(buf)), "10.77.0.9:51820");
		assert_memory_equal(me.self_ep_holder.b, F->node[2].pk.b, WEFT_PK_LEN);
		weft_peerset_free(&me);
	}
	/* Node 2, earlier, keeps its own. */
	memset(F->ncand, 0, sizeof(F->ncand));
	cand(2, WEFT_EP_ANNOUNCED, theirs);
	n = weft_peer_candidates(weft_peerset_find(&ps, &F->node[2].pk), &env, out, WEFT_PEER_MAX_CANDIDATES);
	assert_int_equal(n, 1);
	weft_peerset_free(&ps);
	memset(F->ncand, 0, sizeof(F->ncand));
	add_state(3, "nostate-yet", NULL, NULL);
}

/* local-only: a peer on our LAN gets its LAN endpoint, one known only from
 * afar gets none (no opinion: it may still reach us), and the retries never
 * rotate to a far candidate. */
static void test_local_only(void **state)
{
	struct weft_peersync_env env;
	struct weft_peerset ps;
	weft_wg_device_t want = { 0 };
	weft_cidr_t lan;
	char buf[WEFT_EPSTRLEN];
	int round;

	env_init(&env, &lan);
	env.local_only = true;
	memset(F->ncand, 0, sizeof(F->ncand));
	cand(1, WEFT_EP_ANNOUNCED, "192.168.1.11:51821");
	cand(1, WEFT_EP_ANNOUNCED, "198.51.100.11:51821");
	cand(1, WEFT_EP_OBSERVED, "203.0.113.11:40000");
	cand(2, WEFT_EP_ANNOUNCED, "198.51.100.2:51822");
	cand(2, WEFT_EP_OBSERVED, "203.0.113.9:40001");
	weft_peerset_init(&ps, &F->node[0].pk);
	update(&ps, 0);
	for (round = 0; round < 4; round++) {
		assert_int_equal(weft_peerset_desired(&ps, &env, NOW_S, &want), 0);
		assert_string_equal(weft_endpoint_format(&weft_wg_device_find_peer(&want, &F->wg[1].pub)->endpoint,
							 buf, sizeof(buf)),
				    "192.168.1.11:51821");
		assert_int_equal(weft_wg_device_find_peer(&want, &F->wg[2].pub)->endpoint.ip.family, 0);
		weft_wg_device_free(&want);
		weft_peerset_retry(&ps, &env, weft_peerset_next_retry(&ps));
	}
	/* The same peers without the option: node 2 gets its observed address. */
	env.local_only = false;
	assert_int_equal(weft_peerset_desired(&ps, &env, NOW_S, &want), 0);
	assert_int_equal(weft_wg_device_find_peer(&want, &F->wg[2].pub)->endpoint.ip.family, 4);
	weft_wg_device_free(&want);
	weft_peerset_free(&ps);
}

/* After a restart: the NAT address we announced stands until gossip hears
 * a fresh reflexive address; private and local addresses never do. */
static void test_keep_reflexive(void **state)
{
	struct weft_rec_node_state held;
	struct weft_gossip_candidate refl[2];
	weft_endpoint_t eps[WEFT_MAX_ENDPOINTS];
	weft_ip_t local[1];
	char buf[WEFT_EPSTRLEN];
	bool nat = false;
	size_t n;

	memset(&held, 0, sizeof(held));
	memset(eps, 0, sizeof(eps));
	held.nendpoints = 3;
	assert_int_equal(weft_endpoint_parse(&held.endpoints[0], "10.2.0.103:51820"), 0);
	assert_int_equal(weft_endpoint_parse(&held.endpoints[1], "203.0.113.2:51820"), 0);
	assert_int_equal(weft_endpoint_parse(&held.endpoints[2], "198.51.100.7:51820"), 0);
	assert_int_equal(weft_ip_parse(&local[0], "198.51.100.7"), 0); /* still ours */
	assert_int_equal(weft_endpoint_parse(&eps[0], "10.2.0.103:51820"), 0);
	n = weft_peer_keep_reflexive(NULL, 0, &held, local, 1, eps, 1, WEFT_MAX_ENDPOINTS, &nat);
	assert_int_equal(n, 2);
	assert_string_equal(weft_endpoint_format(&eps[1], buf, sizeof(buf)), "203.0.113.2:51820");
	assert_true(nat);
	/* Nothing held: nothing added. */
	nat = false;
	assert_int_equal(weft_peer_keep_reflexive(NULL, 0, NULL, local, 1, eps, 1, WEFT_MAX_ENDPOINTS, &nat), 1);
	assert_false(nat);
	/* A fresh reflexive candidate (the caller adds it): the old ones go. */
	refl[0].kind = WEFT_EP_ANNOUNCED;
	refl[1].kind = WEFT_EP_REFLEXIVE;
	assert_int_equal(weft_endpoint_parse(&refl[0].ep, "10.2.0.103:51820"), 0);
	assert_int_equal(weft_endpoint_parse(&refl[1].ep, "203.0.113.9:40000"), 0);
	assert_int_equal(weft_peer_keep_reflexive(refl, 2, &held, local, 1, eps, 1, WEFT_MAX_ENDPOINTS, &nat), 1);
	assert_false(nat);
	/* Only an announced candidate: no news, the held one stands. */
	assert_int_equal(weft_peer_keep_reflexive(refl, 1, &held, local, 1, eps, 1, WEFT_MAX_ENDPOINTS, &nat), 2);
}

static bool dead[NNODES];
static bool alive_fn(void *ctx, const weft_pk_t *id)
{
	int k;

	for (k = 0; k < NNODES; k++)
		if (!memcmp(id->b, F->node[k].pk.b, WEFT_PK_LEN))
			return !dead[k];
	return false;
}

static int relayed_calls;
static bool relayed_last;
static void relayed_fn(void *ctx, struct weft_peer *p, bool up)
{
	relayed_calls++;
	relayed_last = up;
}

static int node_index(const weft_pk_t *id)
{
	int k;

	for (k = 0; k < NNODES; k++)
		if (!memcmp(id->b, F->node[k].pk.b, WEFT_PK_LEN))
			return k;
	return -1;
}

/* The pair's relay as each side picks it (node index, -1 = none). */
static int pick(struct weft_peerset *ps, const struct weft_peersync_env *env, int other)
{
	const struct weft_peer *p = weft_peerset_find(ps, &F->node[other].pk), *r;

	assert_non_null(p);
	r = weft_peerset_relay_for(ps, env, p);
	return r ? node_index(&r->node_id) : -1;
}

static void observe_handshakes(struct weft_peerset *ps, weft_wg_t *wg, weft_wg_mem_world_t *world, int a, int b,
			       uint64_t now_s)
{
	weft_wg_device_t got = { 0 };
	weft_wg_err_t err;

	if (a >= 0)
		assert_int_equal(weft_wg_mem_handshake(world, "weft-relay", &F->wg[a].pub, now_s * SEC), 0);
	if (b >= 0)
		assert_int_equal(weft_wg_mem_handshake(world, "weft-relay", &F->wg[b].pub, now_s * SEC), 0);
	assert_int_equal(weft_wg_get_device(wg, &got, &err), 0);
	weft_peerset_observe(ps, &got, now_s, NULL, NULL);
	weft_wg_device_free(&got);
}

static size_t allowed_of(const weft_wg_device_t *dev, int node)
{
	const weft_wg_peer_t *wp = weft_wg_device_find_peer(dev, &F->wg[node].pub);

	assert_non_null(wp);
	return wp->n_allowed_ips;
}

/* Node 0 (us) and node 2 get no handshake; nodes 1 and 3 offer relaying
 * and we have tunnels to both. */
static void test_relay(void **state)
{
	struct weft_peersync_env env;
	struct weft_peerset ps, ps2;
	weft_wg_device_t want = { 0 }, got = { 0 };
	weft_wg_mem_world_t *world = weft_wg_mem_world_new();
	weft_wg_opts_t o = { .backend = WEFT_WG_MEMORY, .world = world };
	weft_wg_err_t err;
	weft_wg_t *wg;
	weft_cidr_t lan;
	struct weft_peer *p2, *r;
	const weft_wg_peer_t *wp;
	uint64_t t0 = 1 * SEC, t;
	int chosen, other, round;

	env_init(&env, &lan);
	env.alive = alive_fn;
	env.relayed = relayed_fn;
	relayed_calls = 0;
	memset(dead, 0, sizeof(dead));
	memset(F->ncand, 0, sizeof(F->ncand));
	cand(2, WEFT_EP_ANNOUNCED, "198.51.100.2:51822");
	add_state_flags(1, "lan", "192.168.1.11:51821", NULL, WEFT_NODE_RELAY);
	add_state_flags(3, "relay3", "198.51.100.3:51823", NULL, WEFT_NODE_RELAY);
	weft_peerset_init(&ps, &F->node[0].pk);
	weft_peerset_init(&ps2, &F->node[2].pk);
	update(&ps, t0);
	update(&ps2, t0);
	assert_true(weft_peerset_find(&ps, &F->node[1].pk)->relay_ok);
	assert_false(weft_peerset_find(&ps, &F->node[2].pk)->relay_ok);

	/* Both ends pick the same relay, and the same fall-back. */
	chosen = pick(&ps, &env, 2);
	assert_true(chosen == 1 || chosen == 3);
	assert_int_equal(pick(&ps2, &env, 0), chosen);
	other = chosen == 1 ? 3 : 1;
	dead[chosen] = true;
	assert_int_equal(pick(&ps, &env, 2), other);
	assert_int_equal(pick(&ps2, &env, 0), other);
	dead[other] = true;
	assert_int_equal(pick(&ps, &env, 2), -1);
	memset(dead, 0, sizeof(dead));
	/* A relay is never one of the pair: node 2 as seen from node 1's
	 * peer set has only node 3 to go through. */
	assert_int_equal(pick(&ps, &env, 1), 3);

	assert_int_equal(weft_wg_open(&wg, "weft-relay", &o, &err), 0);
	assert_int_equal(weft_wg_create(wg, &err), 0);
	assert_int_equal(weft_peerset_desired(&ps, &env, NOW_S, &want), 0);
	assert_int_equal(weft_wg_apply(wg, &want, NULL, &err), 0);
	weft_wg_device_free(&want);
	observe_handshakes(&ps, wg, world, 1, 3, NOW_S);
	p2 = weft_peerset_find(&ps, &F->node[2].pk);
	assert_false(p2->tunnel_up);

	/* Not before WEFT_PEER_RELAY_AFTER_MS without a handshake. */
	t = t0 + (uint64_t)WEFT_PEER_RELAY_AFTER_MS * 1000000u;
	weft_peerset_retry(&ps, &env, t - 1);
	assert_false(p2->relayed);
	assert_true(weft_peerset_retry(&ps, &env, t) >= 1);
	assert_true(p2->relayed);
	assert_int_equal(node_index(&p2->relay), chosen);

	/* Its addresses move to the relay's peer; its own peer stays, with a
	 * keepalive, for the direct handshake tried in the background. */
	assert_int_equal(weft_peerset_desired(&ps, &env, NOW_S, &want), 0);
	assert_int_equal(allowed_of(&want, 2), 0);
	assert_int_equal(allowed_of(&want, chosen), 4);
	assert_int_equal(allowed_of(&want, other), 2);
	wp = weft_wg_device_find_peer(&want, &F->wg[2].pub);
	assert_int_equal(wp->keepalive, WEFT_PEER_NAT_KEEPALIVE);
	assert_int_equal(wp->endpoint.ip.family, 4);
	r = weft_peerset_find(&ps, &F->node[chosen].pk);
	assert_true(
		weft_ip_equal(&weft_wg_device_find_peer(&want, &F->wg[chosen].pub)->allowed_ips[2].ip, &p2->addr4));
	assert_int_equal(weft_wg_apply(wg, &want, NULL, &err), 0);
	weft_wg_device_free(&want);
	assert_int_equal(weft_wg_get_device(wg, &got, &err), 0);
	assert_int_equal(allowed_of(&got, 2), 0);
	assert_int_equal(allowed_of(&got, chosen), 4);
	weft_wg_device_free(&got);

	/* The background try: a kick (keepalive off, then on), not a poke,
	 * which would travel through the relay. */
	p2->poke = false;
	assert_true(weft_peerset_retry(&ps, &env, p2->next_try_ns) >= 1);
	assert_false(p2->poke);
	assert_int_equal(p2->kick, 1);
	assert_int_equal(weft_peerset_desired(&ps, &env, NOW_S, &want), 0);
	assert_int_equal(weft_wg_device_find_peer(&want, &F->wg[2].pub)->keepalive, 0);
	weft_wg_device_free(&want);
	assert_true(weft_peerset_kicking(&ps));
	assert_int_equal(weft_peerset_desired(&ps, &env, NOW_S, &want), 0);
	assert_int_equal(weft_wg_device_find_peer(&want, &F->wg[2].pub)->keepalive, WEFT_PEER_NAT_KEEPALIVE);
	weft_wg_device_free(&want);
	assert_false(weft_peerset_kicking(&ps));
	/* While relayed, the direct path is tried at least every
	 * WEFT_PEER_RELAY_RETRY_MS, not at the 60 s cap. */
	for (round = 0; round < 8; round++)
		weft_peerset_retry(&ps, &env, p2->next_try_ns);
	assert_true(p2->relayed);
	assert_int_equal(p2->backoff_ms, WEFT_PEER_RELAY_RETRY_MS);
	p2->kick = 0;

	/* Our own tunnel to the relay is down: not through it (the other end
	 * picks the same one, so another would not work either). */
	r->tunnel_up = false;
	assert_true(weft_peerset_retry(&ps, &env, t + 1) >= 1);
	assert_false(p2->relayed);
	r->tunnel_up = true;
	weft_peerset_retry(&ps, &env, t + 2);
	assert_true(p2->relayed);
	/* The relay dies (gossip says so): both ends move to the next. */
	dead[chosen] = true;
	assert_true(weft_peerset_retry(&ps, &env, t + 3) >= 1);
	assert_int_equal(node_index(&p2->relay), other);
	assert_int_equal(pick(&ps2, &env, 0), other);
	assert_int_equal(weft_peerset_desired(&ps, &env, NOW_S, &want), 0);
	assert_int_equal(allowed_of(&want, other), 4);
	assert_int_equal(allowed_of(&want, chosen), 2);
	weft_wg_device_free(&want);
	dead[chosen] = false;
	weft_peerset_retry(&ps, &env, t + 4);
	assert_int_equal(node_index(&p2->relay), chosen);
	/* Gossip's view of the peer itself does not matter: between NATs
	 * that defeat hole punching its probes fail until they go through
	 * the relay, so "dead" must not keep it from the relay. */
	dead[2] = true;
	weft_peerset_retry(&ps, &env, t + 5);
	assert_true(p2->relayed);
	dead[2] = false;
	/* Every change was told, with whether the overlay reaches the peer. */
	assert_int_equal(relayed_calls, 3); /* on, off (our tunnel to it down), on; a new relay is no change */

	/* The direct handshake comes: it wins at once. */
	observe_handshakes(&ps, wg, world, 2, -1, NOW_S + 30);
	assert_true(p2->tunnel_up);
	relayed_calls = 0;
	assert_true(weft_peerset_retry(&ps, &env, t + 7) >= 1);
	assert_false(p2->relayed);
	assert_int_equal(relayed_calls, 1);
	assert_true(relayed_last); /* the direct tunnel is up */
	assert_int_equal(weft_peerset_retry(&ps, &env, t + 8), 0);
	assert_int_equal(weft_peerset_desired(&ps, &env, NOW_S + 30, &want), 0);
	assert_int_equal(allowed_of(&want, 2), 2);
	assert_int_equal(allowed_of(&want, chosen), 2);
	weft_wg_device_free(&want);

	/* A relay that left offers nothing. */
	add_state_flags(3, "relay3", "198.51.100.3:51823", NULL, WEFT_NODE_RELAY | WEFT_NODE_LEFT);
	update(&ps, t + 9);
	assert_false(weft_peerset_find(&ps, &F->node[3].pk)->relay_ok);
	assert_int_equal(pick(&ps, &env, 2), 1);

	weft_wg_close(wg);
	weft_wg_mem_world_free(world);
	weft_peerset_free(&ps);
	weft_peerset_free(&ps2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_desired_and_apply),
		cmocka_unit_test(test_handshakes_and_retries),
		cmocka_unit_test(test_candidates_order),
		cmocka_unit_test(test_local_only),
		cmocka_unit_test(test_claimed_endpoints_ignored),
		cmocka_unit_test(test_relay),
		cmocka_unit_test(test_keep_reflexive),
		cmocka_unit_test(test_membership_changes),
		cmocka_unit_test(test_overlapping_routes),
	};

	weft_crypto_init();
	return cmocka_run_group_tests(tests, setup, teardown);
}
