/* The daemon's side of the admin operations, with the memory WireGuard
 * backend: when this node's WireGuard key must rotate (an order, the
 * scheduled lifetime) and what the rotation does to the device and the
 * tunnels; a policy-denied pair configured on neither side; an expiry
 * taking a member out at its time and an extension bringing it back; a
 * pending member kept out until approved; and the checks on pushed admin
 * records (a CIDR too small, a node that is no member). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/error.h"
#include "mesh/peersync.h"
#include "mesh/policyapply.h"
#include "mesh/pushcheck.h"
#include "core/store.h"
#include "wg/wg.h"
#include "mesh/wgrotate.h"

#define NOW_MS 1795168800000ull
#define NOW_S (NOW_MS / 1000)
#define SEC 1000000000ull
#define NNODES 5
#define PENDING_NODE 4

static const uint8_t zero_subject[32];

struct fixture {
	weft_keypair_t admin, invite;
	weft_keypair_t node[NNODES];
	weft_wgpair_t wg[NNODES];
	weft_store_t *store;
	uint64_t version;
};

static struct fixture *F;

static int sign_merge(weft_record_t *r, const weft_keypair_t *kp)
{
	const char *why = NULL;

	if (weft_record_sign(r, kp) != 0) {
		weft_record_check(r, &why);
		fail_msg("sign %s: %s", weft_rec_type_name(r->type), why ? why : "?");
	}
	return weft_store_merge(F->store, r);
}

static void add_state(int i)
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
	snprintf(st->name, sizeof(st->name), "n%d", i);
	assert_true(sign_merge(&r, &F->node[i]) > 0);
}

static void network(const char *cidr4, uint32_t lifetime)
{
	weft_record_t r;

	memset(&r, 0, sizeof(r));
	r.type = WEFT_REC_NETWORK;
	r.u.network.version = ++F->version;
	snprintf(r.u.network.name, sizeof(r.u.network.name), "office");
	weft_cidr_parse(&r.u.network.cidr4, cidr4);
	r.u.network.wg_port = 51820;
	r.u.network.gossip_port = 51821;
	r.u.network.mtu = 1420;
	r.u.network.wg_key_lifetime = lifetime;
	assert_true(sign_merge(&r, &F->admin) > 0);
}

/* An override of node i with tags (comma-separated, NULL: unset), an
 * expiry (0: unset) and an approval. */
static void override(int i, const char *tags, uint64_t expires, bool approve)
{
	weft_record_t r;
	struct weft_rec_override *o = &r.u.override;
	char buf[64], *save = NULL, *t;

	memset(&r, 0, sizeof(r));
	r.type = WEFT_REC_OVERRIDE;
	o->node_id = F->node[i].pk;
	o->version = ++F->version;
	if (tags) {
		o->set |= WEFT_OVR_TAGS;
		snprintf(buf, sizeof(buf), "%s", tags);
		for (t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
			snprintf(o->tags[o->ntags++], WEFT_TAG_MAX + 1, "%s", t);
	}
	if (expires) {
		o->set |= WEFT_OVR_EXPIRES;
		o->expires = expires;
	}
	if (approve) {
		o->set |= WEFT_OVR_APPROVED;
		o->approved = true;
	}
	assert_true(sign_merge(&r, &F->admin) > 0);
}

static int setup(void **state)
{
	weft_record_t r;
	int i;

	F = calloc(1, sizeof(*F));
	weft_keypair_generate(&F->admin);
	weft_keypair_generate(&F->invite);
	F->store = weft_store_new(&F->admin.pk, NULL, NULL);
	network("10.77.0.0/24", 0);
	/* An invite that wants the admin's approval, for the pending node. */
	memset(&r, 0, sizeof(r));
	r.type = WEFT_REC_INVITE;
	r.u.invite.invite_pk = F->invite.pk;
	r.u.invite.created = NOW_S - 1000;
	r.u.invite.max_uses = 5;
	r.u.invite.approval = true;
	assert_true(sign_merge(&r, &F->admin) > 0);
	for (i = 0; i < NNODES; i++) {
		weft_keypair_generate(&F->node[i]);
		weft_wgpair_generate(&F->wg[i]);
		memset(&r, 0, sizeof(r));
		r.type = WEFT_REC_MEMBER;
		r.u.member.node_id = F->node[i].pk;
		r.u.member.invite_pk = i == PENDING_NODE ? F->invite.pk : F->admin.pk;
		r.u.member.join_time = NOW_MS - 100000 + (uint64_t)i;
		assert_true(sign_merge(&r, i == PENDING_NODE ? &F->invite : &F->admin) > 0);
		add_state(i);
	}
	*state = F;
	return 0;
}

static int teardown(void **state)
{
	weft_store_free(F->store);
	free(F);
	return 0;
}

/* The peer table of node self, from the view at now_ms, with the policy
 * and expiry applied as the daemon does after every update. */
static uint64_t update_at(struct weft_peerset *ps, uint64_t now_ms)
{
	const weft_record_t *pol = weft_store_get(F->store, WEFT_REC_POLICY, zero_subject);
	uint64_t next;
	weft_view_t v;

	assert_int_equal(weft_store_view(F->store, now_ms, &v), 0);
	assert_int_equal(weft_peerset_update(ps, &v, 0), 0);
	weft_policyapply_mark(ps, &v, pol ? &pol->u.policy : NULL);
	next = weft_policyapply_next_expiry(&v, now_ms / 1000);
	weft_view_free(&v);
	return next;
}

static bool wanted(struct weft_peerset *ps, int i)
{
	struct weft_peer *p = weft_peerset_find(ps, &F->node[i].pk);

	assert_non_null(p);
	return weft_peer_wanted(p);
}

/* The device of node self after applying its desired peer set. */
static void apply(weft_wg_t *wg, struct weft_peerset *ps, int self, weft_wg_changes_t *ch)
{
	struct weft_peersync_env env;
	weft_wg_device_t want = { 0 };
	weft_wg_err_t err;

	memset(&env, 0, sizeof(env));
	want.has_private_key = true;
	want.private_key = F->wg[self].priv;
	want.listen_port = 51820;
	assert_int_equal(weft_peerset_desired(ps, &env, NOW_S, &want), 0);
	assert_int_equal(weft_wg_apply(wg, &want, ch, &err), 0);
	weft_wg_device_free(&want);
}

static bool in_device(weft_wg_t *wg, int i)
{
	weft_wg_device_t got = { 0 };
	weft_wg_err_t err;
	bool found;

	assert_int_equal(weft_wg_get_device(wg, &got, &err), 0);
	found = weft_wg_device_find_peer(&got, &F->wg[i].pub) != NULL;
	weft_wg_device_free(&got);
	return found;
}

static void test_rotation_due(void **state)
{
	struct weft_rec_network s = { .wg_key_lifetime = 0 };
	struct weft_rec_rotate rot = { .version = 1, .older_than = NOW_S };

	/* Nothing asks for a rotation. */
	assert_int_equal(weft_wgrotate_due_at(NOW_S - 10, NULL, NULL), UINT64_MAX);
	assert_int_equal(weft_wgrotate_due_at(NOW_S - 10, &s, NULL), UINT64_MAX);
	/* An order for keys older than NOW_S: ours (made before) is due now,
	 * one made at or after it is not. */
	assert_int_equal(weft_wgrotate_due_at(NOW_S - 10, &s, &rot), 0);
	assert_int_equal(weft_wgrotate_due_at(NOW_S, &s, &rot), UINT64_MAX);
	assert_int_equal(weft_wgrotate_due_at(NOW_S + 5, &s, &rot), UINT64_MAX);
	/* The network's lifetime: due that long after the key was made. */
	s.wg_key_lifetime = 86400;
	assert_int_equal(weft_wgrotate_due_at(NOW_S, &s, NULL), NOW_S + 86400);
	assert_int_equal(weft_wgrotate_due_at(NOW_S, &s, &rot), NOW_S + 86400);
	assert_int_equal(weft_wgrotate_due_at(NOW_S - 1, &s, &rot), 0);
}

static void test_renew(void **state)
{
	struct {
		weft_wgpair_t wg;
		uint64_t wg_key_time;
	} l;
	weft_wgpair_t old;
	weft_wgkey_t pub;

	memset(&l, 0, sizeof(l));
	weft_wgpair_generate(&l.wg);
	l.wg_key_time = NOW_S - 1000;
	old = l.wg;
	weft_wgrotate_renew(&l.wg, &l.wg_key_time, NOW_S, 0);
	assert_memory_not_equal(l.wg.priv.b, old.priv.b, WEFT_WGKEY_LEN);
	assert_memory_not_equal(l.wg.pub.b, old.pub.b, WEFT_WGKEY_LEN);
	weft_wgkey_public(&pub, &l.wg.priv);
	assert_memory_equal(pub.b, l.wg.pub.b, WEFT_WGKEY_LEN);
	assert_int_equal(l.wg_key_time, NOW_S);
	/* No longer due under the order it obeyed... */
	assert_int_equal(weft_wgrotate_due_at(l.wg_key_time, NULL,
					      &(struct weft_rec_rotate){ .version = 1, .older_than = NOW_S }),
			 UINT64_MAX);
	/* ...even one from an admin whose clock is ahead of ours. */
	weft_wgrotate_renew(&l.wg, &l.wg_key_time, NOW_S, NOW_S + 120);
	assert_int_equal(l.wg_key_time, NOW_S + 120);
	assert_int_equal(weft_wgrotate_due_at(l.wg_key_time, NULL,
					      &(struct weft_rec_rotate){ .version = 2, .older_than = NOW_S + 120 }),
			 UINT64_MAX);
	sodium_memzero(&old, sizeof(old));
	sodium_memzero(&l, sizeof(l));
}

static void ext_client(const char *name, int gateway, bool deleted)
{
	weft_record_t r;

	memset(&r, 0, sizeof(r));
	r.type = WEFT_REC_EXT_CLIENT;
	r.u.ext_client.version = ++F->version;
	snprintf(r.u.ext_client.name, sizeof(r.u.ext_client.name), "%s", name);
	r.u.ext_client.deleted = deleted;
	randombytes_buf(r.u.ext_client.wg_pub.b, sizeof(r.u.ext_client.wg_pub.b));
	assert_int_equal(weft_ip_parse(&r.u.ext_client.address4, "10.77.0.200"), 0);
	r.u.ext_client.address4.b[3] = (uint8_t)(200 + name[0] % 50);
	r.u.ext_client.gateway = F->node[gateway].pk;
	assert_true(sign_merge(&r, &F->admin) > 0);
}

/* A gateway of live external clients keeps its WireGuard key (their
 * configs hold it): the daemon asks weft_wgrotate_ext_clients() before a
 * due rotation, and logs weft_wgrotate_held_msg() instead. */
static void test_rotation_held_for_ext_clients(void **state)
{
	char msg[512];

	assert_int_equal(weft_wgrotate_ext_clients(F->store, &F->node[0].pk), 0);
	ext_client("phone", 0, false);
	ext_client("laptop", 0, false);
	ext_client("tablet", 1, false);
	ext_client("printer", 0, true);
	assert_int_equal(weft_wgrotate_ext_clients(F->store, &F->node[0].pk), 2);
	assert_int_equal(weft_wgrotate_ext_clients(F->store, &F->node[1].pk), 1);
	assert_int_equal(weft_wgrotate_ext_clients(F->store, &F->node[2].pk), 0);
	/* Removing them (tombstones) lets the rotation go ahead. */
	ext_client("phone", 0, true);
	ext_client("laptop", 0, true);
	assert_int_equal(weft_wgrotate_ext_clients(F->store, &F->node[0].pk), 0);

	weft_wgrotate_held_msg(msg, sizeof(msg), "lab", 2);
	assert_non_null(strstr(msg, "lab: WireGuard key rotation is due but this node keeps its key"));
	assert_non_null(strstr(msg, "gateway of 2 external clients"));
	assert_non_null(strstr(msg, "weft ext-client lab rm NAME"));
	assert_non_null(strstr(msg, "weft ext-client lab add NAME --via NODE"));
	weft_wgrotate_held_msg(msg, sizeof(msg), "lab", 1);
	assert_non_null(strstr(msg, "gateway of 1 external client whose"));
}

static int downs;
static void on_down(void *ctx, struct weft_peer *p)
{
	downs++;
}

/* Our key changes: every peer becomes a new entry with no handshake and
 * a handshake due now; a peer's key change resets that peer only. */
static void test_rotation_tunnels(void **state)
{
	weft_wg_mem_world_t *world = weft_wg_mem_world_new();
	weft_wg_opts_t o = { .backend = WEFT_WG_MEMORY, .world = world };
	weft_wg_device_t bare = { 0 }, got = { 0 };
	struct weft_peerset ps;
	weft_wg_changes_t ch;
	weft_wg_err_t err;
	struct weft_peer *p;
	weft_wg_t *wg;
	size_t i;

	weft_peerset_init(&ps, &F->node[0].pk);
	update_at(&ps, NOW_MS);
	assert_int_equal(weft_wg_open(&wg, "weft-rot", &o, &err), 0);
	assert_int_equal(weft_wg_create(wg, &err), 0);
	apply(wg, &ps, 0, &ch);
	assert_int_equal(ch.added, 3); /* 1, 2, 3; 4 is pending */
	for (i = 1; i <= 3; i++)
		assert_int_equal(weft_wg_mem_handshake(world, "weft-rot", &F->wg[i].pub, NOW_S * SEC), 0);
	assert_int_equal(weft_wg_get_device(wg, &got, &err), 0);
	weft_peerset_observe(&ps, &got, NOW_S + 1, NULL, NULL);
	weft_wg_device_free(&got);
	for (i = 0; i < ps.n; i++)
		ps.p[i].poke = false;
	for (i = 1; i <= 3; i++)
		assert_true(weft_peerset_find(&ps, &F->node[i].pk)->tunnel_up);
	/* Nothing new: nobody to report. */
	downs = 0;
	assert_int_equal(weft_wgrotate_reset_tunnels(&ps, false, 2 * SEC, on_down, NULL), 0);
	assert_int_equal(downs, 0);

	/* Our rotation, as net.c does it: the new key on a device without
	 * peers, then every peer added again. */
	weft_wgpair_generate(&F->wg[0]);
	bare.has_private_key = true;
	bare.private_key = F->wg[0].priv;
	bare.listen_port = 51820;
	assert_int_equal(weft_wg_apply(wg, &bare, &ch, &err), 0);
	assert_int_equal(ch.removed, 3);
	weft_wg_device_free(&bare);
	downs = 0;
	assert_int_equal(weft_wgrotate_reset_tunnels(&ps, true, 2 * SEC, on_down, NULL), ps.n);
	assert_int_equal(downs, (int)ps.n);
	for (i = 1; i <= 3; i++) {
		p = weft_peerset_find(&ps, &F->node[i].pk);
		assert_false(p->tunnel_up);
		assert_true(p->poke);
		assert_int_equal(p->last_handshake_s, 0);
		assert_int_equal(p->next_try_ns, 2 * SEC + (uint64_t)WEFT_PEER_RETRY_MIN_MS * 1000000u);
	}
	apply(wg, &ps, 0, &ch);
	assert_int_equal(ch.added, 3);
	assert_int_equal(weft_wg_get_device(wg, &got, &err), 0);
	assert_memory_equal(got.private_key.b, F->wg[0].priv.b, WEFT_WGKEY_LEN);
	for (i = 0; i < got.n_peers; i++)
		assert_int_equal(got.peers[i].last_handshake_ns, 0); /* no old handshake counts */
	weft_peerset_observe(&ps, &got, NOW_S + 2, NULL, NULL);
	weft_wg_device_free(&got);
	assert_false(weft_peerset_find(&ps, &F->node[1].pk)->tunnel_up);
	for (i = 0; i < ps.n; i++)
		ps.p[i].poke = false;

	/* Node 2 rotates: its old entry goes, the new key comes, and only it
	 * is reported. */
	for (i = 1; i <= 3; i++)
		assert_int_equal(weft_wg_mem_handshake(world, "weft-rot", &F->wg[i].pub, (NOW_S + 3) * SEC), 0);
	assert_int_equal(weft_wg_get_device(wg, &got, &err), 0);
	weft_peerset_observe(&ps, &got, NOW_S + 3, NULL, NULL);
	weft_wg_device_free(&got);
	weft_wgpair_generate(&F->wg[2]);
	add_state(2);
	update_at(&ps, NOW_MS);
	downs = 0;
	assert_int_equal(weft_wgrotate_reset_tunnels(&ps, false, 4 * SEC, on_down, NULL), 1);
	assert_int_equal(downs, 1);
	apply(wg, &ps, 0, &ch);
	assert_int_equal(ch.added, 1);
	assert_int_equal(ch.removed, 1);
	assert_true(in_device(wg, 2));
	assert_true(weft_peerset_find(&ps, &F->node[1].pk)->tunnel_up);
	weft_wg_close(wg);
	weft_wg_mem_world_free(world);
	weft_peerset_free(&ps);
}

/* deny dev <-> prod: nodes 0 (dev) and 1 (prod) are no peers of each
 * other, from either side; node 2 (dev) still is for both. */
static void test_policy(void **state)
{
	weft_wg_opts_t o = { .backend = WEFT_WG_MEMORY };
	struct weft_peerset ps0, ps1;
	weft_wg_changes_t ch;
	weft_wg_err_t err;
	weft_record_t r;
	weft_wg_t *wg;

	override(0, "dev", 0, false);
	override(1, "prod", 0, false);
	override(2, "dev", 0, false);
	weft_peerset_init(&ps0, &F->node[0].pk);
	weft_peerset_init(&ps1, &F->node[1].pk);
	update_at(&ps0, NOW_MS);
	update_at(&ps1, NOW_MS);
	assert_true(wanted(&ps0, 1));
	assert_true(wanted(&ps1, 0));
	assert_int_equal(weft_wg_open(&wg, "weft-pol", &o, &err), 0);
	assert_int_equal(weft_wg_create(wg, &err), 0);
	apply(wg, &ps0, 0, &ch);
	assert_true(in_device(wg, 1));

	memset(&r, 0, sizeof(r));
	r.type = WEFT_REC_POLICY;
	r.u.policy.version = ++F->version;
	r.u.policy.default_action = WEFT_POLICY_ALLOW;
	r.u.policy.nrules = 1;
	r.u.policy.rules[0].action = WEFT_POLICY_DENY;
	snprintf(r.u.policy.rules[0].from, sizeof(r.u.policy.rules[0].from), "dev");
	snprintf(r.u.policy.rules[0].to, sizeof(r.u.policy.rules[0].to), "prod");
	assert_true(sign_merge(&r, &F->admin) > 0);
	update_at(&ps0, NOW_MS);
	update_at(&ps1, NOW_MS);
	/* Both sides leave the pair out; everyone else stays. */
	assert_true(weft_peerset_find(&ps0, &F->node[1].pk)->denied);
	assert_false(wanted(&ps0, 1));
	assert_false(wanted(&ps1, 0));
	assert_true(wanted(&ps0, 2));
	assert_false(wanted(&ps1, 2)); /* 2 is dev too */
	assert_true(wanted(&ps1, 3));  /* untagged: the default */
	assert_true(wanted(&ps0, 3));
	apply(wg, &ps0, 0, &ch);
	assert_int_equal(ch.removed, 1);
	assert_false(in_device(wg, 1));
	assert_true(in_device(wg, 2));

	/* A newer policy that allows everything brings the pair back. */
	r.u.policy.version = ++F->version;
	r.u.policy.nrules = 0;
	assert_true(sign_merge(&r, &F->admin) > 0);
	update_at(&ps0, NOW_MS);
	update_at(&ps1, NOW_MS);
	assert_true(wanted(&ps0, 1));
	assert_true(wanted(&ps1, 0));
	apply(wg, &ps0, 0, &ch);
	assert_int_equal(ch.added, 1);
	assert_true(in_device(wg, 1));
	weft_wg_close(wg);
	weft_peerset_free(&ps0);
	weft_peerset_free(&ps1);
}

/* An expiry takes the member out at its time with no new record (the
 * daemon recomputes at the deadline the view gives), and an extension
 * brings it back. */
static void test_expiry(void **state)
{
	struct weft_peerset ps;
	uint64_t next;

	weft_peerset_init(&ps, &F->node[0].pk);
	next = update_at(&ps, NOW_MS);
	assert_int_equal(next, UINT64_MAX);
	override(3, NULL, NOW_S + 60, false);
	override(1, NULL, NOW_S + 600, false);
	next = update_at(&ps, NOW_MS);
	assert_int_equal(next, NOW_S + 60);
	assert_true(wanted(&ps, 3));
	/* One second before: still in; at the deadline: out. */
	assert_int_equal(update_at(&ps, (NOW_S + 59) * 1000), NOW_S + 60);
	assert_true(wanted(&ps, 3));
	next = update_at(&ps, (NOW_S + 60) * 1000);
	assert_int_equal(weft_peerset_find(&ps, &F->node[3].pk)->status, WEFT_MEMBER_EXPIRED);
	assert_false(wanted(&ps, 3));
	assert_int_equal(next, NOW_S + 600); /* node 1's is next */
	/* Extended: back. */
	override(3, NULL, NOW_S + 3600, false);
	next = update_at(&ps, (NOW_S + 60) * 1000);
	assert_true(wanted(&ps, 3));
	assert_int_equal(next, NOW_S + 600);
	/* "never" is no deadline. */
	override(1, NULL, 0, false);
	override(3, NULL, 0, false);
	assert_int_equal(update_at(&ps, (NOW_S + 60) * 1000), UINT64_MAX);
	weft_peerset_free(&ps);
}

/* A member of an --approval invite is pending (no peer anywhere) until an
 * override approves it. */
static void test_pending(void **state)
{
	struct weft_peerset ps;

	weft_peerset_init(&ps, &F->node[0].pk);
	update_at(&ps, NOW_MS);
	assert_int_equal(weft_peerset_find(&ps, &F->node[PENDING_NODE].pk)->status, WEFT_MEMBER_PENDING);
	assert_false(wanted(&ps, PENDING_NODE));
	override(PENDING_NODE, NULL, 0, true);
	update_at(&ps, NOW_MS);
	assert_int_equal(weft_peerset_find(&ps, &F->node[PENDING_NODE].pk)->status, WEFT_MEMBER_ACTIVE);
	assert_true(wanted(&ps, PENDING_NODE));
	weft_peerset_free(&ps);
}

static void test_pushcheck(void **state)
{
	weft_record_t r, before;
	weft_keypair_t stranger;
	char why[256];
	uint8_t d0[32], d1[32];

	weft_record_copy(&before, weft_store_get(F->store, WEFT_REC_NETWORK, zero_subject));
	weft_store_digest(F->store, d0);
	/* Five members need five addresses: a /30 holds two. */
	memset(&r, 0, sizeof(r));
	r.type = WEFT_REC_NETWORK;
	r.u.network = before.u.network;
	r.u.network.version = ++F->version;
	weft_cidr_parse(&r.u.network.cidr4, "10.9.0.0/30");
	assert_int_equal(weft_record_sign(&r, &F->admin), 0);
	assert_int_equal(weft_pushcheck(F->store, &r, NOW_MS, why, sizeof(why)), WEFT_EFULL);
	assert_non_null(strstr(why, "10.9.0.0/30 is too small"));
	assert_non_null(strstr(why, "2 member addresses"));
	assert_non_null(strstr(why, "has 5 members"));
	/* Tried on a clone: the store is unchanged. */
	weft_store_digest(F->store, d1);
	assert_memory_equal(d0, d1, 32);
	assert_int_equal(weft_store_get(F->store, WEFT_REC_NETWORK, zero_subject)->u.network.version,
			 before.u.network.version);
	/* A /29 holds six: fine. */
	weft_cidr_parse(&r.u.network.cidr4, "10.9.0.0/29");
	assert_int_equal(weft_record_sign(&r, &F->admin), 0);
	assert_int_equal(weft_pushcheck(F->store, &r, NOW_MS, why, sizeof(why)), 0);
	assert_string_equal(why, "");
	/* Wrongly signed: left to the store, which refuses it. */
	weft_keypair_generate(&stranger);
	r.u.network.version = ++F->version;
	weft_cidr_parse(&r.u.network.cidr4, "10.9.0.0/30");
	assert_int_equal(weft_record_sign(&r, &stranger), 0);
	r.signer = F->admin.pk; /* claims the admin; the signature is the stranger's */
	assert_int_equal(weft_pushcheck(F->store, &r, NOW_MS, why, sizeof(why)), 0);

	/* An override or a revocation of a node that is no member. */
	memset(&r, 0, sizeof(r));
	r.type = WEFT_REC_OVERRIDE;
	r.u.override.node_id = stranger.pk;
	r.u.override.version = ++F->version;
	r.u.override.set = WEFT_OVR_EXPIRES;
	r.u.override.expires = NOW_S + 10;
	assert_int_equal(weft_record_sign(&r, &F->admin), 0);
	assert_int_equal(weft_pushcheck(F->store, &r, NOW_MS, why, sizeof(why)), WEFT_ENOTFOUND);
	assert_non_null(strstr(why, "not a member of this network"));
	r.u.override.node_id = F->node[1].pk;
	assert_int_equal(weft_record_sign(&r, &F->admin), 0);
	assert_int_equal(weft_pushcheck(F->store, &r, NOW_MS, why, sizeof(why)), 0);
	memset(&r, 0, sizeof(r));
	r.type = WEFT_REC_REVOCATION;
	r.u.revocation.node_id = stranger.pk;
	r.u.revocation.time = NOW_S;
	assert_int_equal(weft_record_sign(&r, &F->admin), 0);
	assert_int_equal(weft_pushcheck(F->store, &r, NOW_MS, why, sizeof(why)), WEFT_ENOTFOUND);
	assert_non_null(strstr(why, "revocation names node"));
	r.u.revocation.node_id = F->node[3].pk;
	assert_int_equal(weft_record_sign(&r, &F->admin), 0);
	assert_int_equal(weft_pushcheck(F->store, &r, NOW_MS, why, sizeof(why)), 0);
	weft_store_digest(F->store, d1);
	assert_memory_equal(d0, d1, 32);
	weft_keys_wipe(&stranger, sizeof(stranger));
}

/* The lifetime in the network's settings is read from there. */
static void test_lifetime_from_settings(void **state)
{
	const weft_record_t *s;

	network("10.77.0.0/24", 3600);
	s = weft_store_get(F->store, WEFT_REC_NETWORK, zero_subject);
	assert_int_equal(weft_wgrotate_due_at(NOW_S, &s->u.network, NULL), NOW_S + 3600);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rotation_due),
		cmocka_unit_test(test_renew),
		cmocka_unit_test_setup_teardown(test_rotation_held_for_ext_clients, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotation_tunnels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pushcheck, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lifetime_from_settings, setup, teardown),
	};

	if (weft_crypto_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
