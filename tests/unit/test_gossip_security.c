/* What the protocol refuses: forged, replayed, oversized, truncated and
 * wrong-network packets, records from revoked or unknown signers, replayed
 * old versions; the join's admission rules (revoked, expired, used up,
 * pending approval); and the amplification bound: no answer to an
 * unauthenticated packet is larger than the packet. Each refusal is checked
 * to leave the node exactly as it was and to send nothing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/error.h"
#include "tests/unit/gossip_net.h"
#include "core/keys.h"
#include "gossip/wire.h"

/* ---- bodies as a member would send them ---- */

/* A gossip body from `from` carrying raw records. */
static size_t gossip_body(uint8_t *out, size_t cap, const weft_pk_t *from, const weft_record_t **recs, size_t n)
{
	struct weft_wbuf w = { out, 0, cap, false };
	size_t i;

	weft_mp_array(&w, 2);
	weft_mp_bin(&w, from->b, WEFT_PK_LEN);
	weft_mp_array(&w, (uint32_t)n);
	for (i = 0; i < n; i++)
		weft_mp_bin(&w, recs[i]->raw, recs[i]->raw_len);
	assert_false(w.overflow);
	return w.len;
}

static size_t ping_body(uint8_t *out, size_t cap, const weft_pk_t *from, uint32_t seq, const weft_pk_t *target)
{
	struct weft_wbuf w = { out, 0, cap, false };

	weft_mp_array(&w, 4);
	weft_mp_bin(&w, from->b, WEFT_PK_LEN);
	weft_mp_uint(&w, seq);
	weft_mp_bin(&w, target->b, WEFT_PK_LEN);
	weft_mp_array(&w, 0);
	return w.len;
}

/* ---- "nothing changed" ---- */

struct snap {
	uint8_t digest[32];
	size_t count;
	uint32_t inc, queued, members, alive, suspect, dead;
	uint64_t merged, suspicions, refutations;
	uint8_t state[8];
};

static void take(struct gnet *net, int t, struct snap *s)
{
	struct weft_gossip_member_info mi;
	struct weft_gossip_stats st;
	int i;

	memset(s, 0, sizeof(*s));
	weft_store_digest(net->nodes[t].store, s->digest);
	s->count = weft_store_count(net->nodes[t].store);
	s->inc = weft_gossip_incarnation(net->nodes[t].g);
	weft_gossip_stats(net->nodes[t].g, &st);
	s->queued = st.bcast_queued;
	s->members = st.members;
	s->alive = st.alive;
	s->suspect = st.suspect;
	s->dead = st.dead;
	s->merged = st.records_merged;
	s->suspicions = st.suspicions;
	s->refutations = st.refutations;
	for (i = 0; i < net->n && i < 8; i++)
		if (weft_gossip_member(net->nodes[t].g, &net->nodes[i].id.pk, &mi) == 0)
			s->state[i] = mi.state;
}

/* Deliver a datagram straight to node t; it must be refused, change
 * nothing and make the node send and report nothing. */
static void expect_refused(struct gnet *net, int t, uint8_t path, const uint8_t *pkt, size_t len)
{
	struct weft_gossip_event ev;
	struct weft_gossip_dgram dg;
	struct snap a, b;
	uint8_t out[WEFT_GOSSIP_MTU];

	take(net, t, &a);
	assert_true(weft_gossip_recv(net->nodes[t].g, path, &net->nodes[1].ep, pkt, len, net->now) < 0);
	take(net, t, &b);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_int_equal(weft_gossip_poll_send(net->nodes[t].g, out, sizeof(out), &dg), 0);
	assert_false(weft_gossip_poll_event(net->nodes[t].g, &ev));
}

/* Accepted, but nothing changes (a duplicate, a stale version). */
static void expect_no_change(struct gnet *net, int t, uint8_t path, const uint8_t *pkt, size_t len)
{
	struct weft_gossip_event ev;
	struct snap a, b;

	take(net, t, &a);
	weft_gossip_recv(net->nodes[t].g, path, &net->nodes[1].ep, pkt, len, net->now);
	take(net, t, &b);
	assert_memory_equal(&a, &b, sizeof(a));
	while (weft_gossip_poll_event(net->nodes[t].g, &ev))
		assert_int_not_equal(ev.type, WEFT_GEV_RECORD);
	gnet_drain(net, t);
}

static struct gnet *three(uint64_t seed)
{
	return gnet_grow(seed, 3, NULL, NULL);
}

/* The admin starts network key epoch 2 (key newkey, grace_s) and seals it
 * to nodes 0 and 1 only; the records enter at node 0. */
static void new_netkey(struct gnet *net, const uint8_t newkey[32], uint32_t grace_s)
{
	weft_record_t kr, share;
	uint8_t xpk[32];
	int i;

	for (i = 0; i < 2; i++) {
		memset(&share, 0, sizeof(share));
		share.type = WEFT_REC_KEYSHARE;
		share.u.keyshare.node_id = net->nodes[i].id.pk;
		share.u.keyshare.epoch = 2;
		assert_int_equal(weft_pk_to_x25519(xpk, &net->nodes[i].id.pk), 0);
		assert_int_equal(crypto_box_seal(share.u.keyshare.sealed, newkey, 32, xpk), 0);
		assert_true(gnet_publish_admin(net, 0, &share) > 0);
	}
	memset(&kr, 0, sizeof(kr));
	kr.type = WEFT_REC_KEYRING;
	kr.u.keyring.epoch = 2;
	kr.u.keyring.grace_s = grace_s;
	crypto_generichash(kr.u.keyring.key_hash, 32, newkey, 32, NULL, 0);
	assert_true(gnet_publish_admin(net, 0, &kr) > 0);
}

/* The admin approves node j (an --approval invite's member), through node 1. */
static void approve(struct gnet *net, int j)
{
	weft_record_t ovr;

	memset(&ovr, 0, sizeof(ovr));
	ovr.type = WEFT_REC_OVERRIDE;
	ovr.u.override.node_id = net->nodes[j].id.pk;
	ovr.u.override.version = 1;
	ovr.u.override.set = WEFT_OVR_APPROVED;
	ovr.u.override.approved = true;
	assert_true(gnet_publish_admin(net, 1, &ovr) > 0);
}

/* ---- tests ---- */

static void test_forged_and_wrong_key(void **state)
{
	struct gnet *net = three(1);
	const weft_record_t *recs[1];
	uint8_t body[1200], pkt[1300], other[32];
	size_t blen, len, i;

	gnet_bump_state(net, 2);
	recs[0] = weft_store_get(net->nodes[2].store, WEFT_REC_NODE_STATE, net->nodes[2].id.pk.b);
	blen = gossip_body(body, sizeof(body), &net->nodes[2].id.pk, recs, 1);
	len = gnet_member_packet(net, pkt, WEFT_MSG_GOSSIP, true, NULL, 2, 1, 0, body, blen);
	/* Any flipped bit, in the header (associated data) or the sealed
	 * body, and the packet is nobody's. */
	for (i = 0; i < len; i += 7) {
		pkt[i] ^= 0x10;
		expect_refused(net, 1, WEFT_PATH_UNDERLAY, pkt, len);
		pkt[i] ^= 0x10;
	}
	/* Sealed with a key that is not the network's. */
	memset(other, 0x42, sizeof(other));
	len = gnet_member_packet(net, pkt, WEFT_MSG_GOSSIP, true, other, 2, 1, 0, body, blen);
	expect_refused(net, 1, WEFT_PATH_UNDERLAY, pkt, len);
	/* Member traffic in the clear on the underlay. */
	len = gnet_member_packet(net, pkt, WEFT_MSG_GOSSIP, false, NULL, 2, 1, 0, body, blen);
	expect_refused(net, 1, WEFT_PATH_UNDERLAY, pkt, len);
	/* Sealed traffic on the overlay, where WireGuard already protects it. */
	len = gnet_member_packet(net, pkt, WEFT_MSG_GOSSIP, true, NULL, 2, 1, 0, body, blen);
	expect_refused(net, 1, WEFT_PATH_OVERLAY, pkt, len);
	gnet_free(net);
}

static void test_truncated_oversized_wrongnet(void **state)
{
	struct gnet *net = three(2);
	const weft_record_t *recs[2];
	uint8_t body[1300], pkt[1400];
	weft_pk_t other_net;
	size_t blen, len, i;

	recs[0] = weft_store_get(net->nodes[0].store, WEFT_REC_NODE_STATE, net->nodes[0].id.pk.b);
	recs[1] = weft_store_get(net->nodes[0].store, WEFT_REC_MEMBER, net->nodes[0].id.pk.b);
	blen = gossip_body(body, sizeof(body), &net->nodes[0].id.pk, recs, 2);
	/* Every prefix of a valid clear (overlay) and sealed packet. */
	len = gnet_member_packet(net, pkt, WEFT_MSG_GOSSIP, false, NULL, 0, 1, 0, body, blen);
	for (i = 0; i < len; i++)
		expect_refused(net, 1, WEFT_PATH_OVERLAY, pkt, i);
	/* One byte too many is as bad as one too few. */
	pkt[len] = 0xc0;
	expect_refused(net, 1, WEFT_PATH_OVERLAY, pkt, len + 1);
	len = gnet_member_packet(net, pkt, WEFT_MSG_GOSSIP, true, NULL, 0, 1, 0, body, blen);
	for (i = 0; i < len; i++)
		expect_refused(net, 1, WEFT_PATH_UNDERLAY, pkt, i);
	/* Over the MTU, whatever it holds. */
	memset(body, 0, sizeof(body));
	len = gnet_packet(net, pkt, WEFT_MSG_GOSSIP, false, NULL, body, WEFT_GOSSIP_MTU + 1 - WEFT_WIRE_HDR_LEN);
	assert_int_equal(len, WEFT_GOSSIP_MTU + 1);
	expect_refused(net, 1, WEFT_PATH_OVERLAY, pkt, len);
	/* Another network's fingerprint. */
	len = gnet_member_packet(net, pkt, WEFT_MSG_GOSSIP, false, NULL, 0, 1, 0, body, blen);
	memset(other_net.b, 9, 32);
	weft_wire_fingerprint(pkt + 4, &other_net);
	expect_refused(net, 1, WEFT_PATH_OVERLAY, pkt, len);
	/* An unknown message type and a wrong version. */
	len = gnet_member_packet(net, pkt, 99, false, NULL, 0, 1, 0, body, blen);
	expect_refused(net, 1, WEFT_PATH_OVERLAY, pkt, len);
	len = gnet_member_packet(net, pkt, WEFT_MSG_GOSSIP, false, NULL, 0, 1, 0, body, blen);
	pkt[2] = 1; /* the version before senders were authenticated */
	expect_refused(net, 1, WEFT_PATH_OVERLAY, pkt, len);
	gnet_free(net);
}

static void test_replays_change_nothing(void **state)
{
	struct gnet *net = three(3);
	weft_record_t old;
	const weft_record_t *recs[1];
	uint8_t body[1200], pkt[1300];
	size_t blen, len;

	/* An old version of node 2's state, replayed after a newer one. */
	weft_record_copy(&old, weft_store_get(net->nodes[2].store, WEFT_REC_NODE_STATE, net->nodes[2].id.pk.b));
	gnet_bump_state(net, 2);
	assert_true(gnet_run_until(net, 10 * GNET_SEC, gnet_converged, NULL));
	gnet_run(net, 5 * GNET_SEC); /* let the dissemination queues drain */
	recs[0] = &old;
	blen = gossip_body(body, sizeof(body), &net->nodes[0].id.pk, recs, 1);
	len = gnet_member_packet(net, pkt, WEFT_MSG_GOSSIP, true, NULL, 0, 1, 0, body, blen);
	expect_no_change(net, 1, WEFT_PATH_UNDERLAY, pkt, len);
	/* The same datagram again, byte for byte. */
	expect_no_change(net, 1, WEFT_PATH_UNDERLAY, pkt, len);
	/* The current version again: already held. */
	recs[0] = weft_store_get(net->nodes[2].store, WEFT_REC_NODE_STATE, net->nodes[2].id.pk.b);
	blen = gossip_body(body, sizeof(body), &net->nodes[0].id.pk, recs, 1);
	len = gnet_member_packet(net, pkt, WEFT_MSG_GOSSIP, true, NULL, 0, 1, 0, body, blen);
	expect_no_change(net, 1, WEFT_PATH_UNDERLAY, pkt, len);
	expect_no_change(net, 1, WEFT_PATH_UNDERLAY, pkt, len);
	gnet_free(net);
}

static void test_revoked_and_unknown_signers(void **state)
{
	struct gnet *net = gnet_new(4, NULL);
	const weft_record_t *recs[1];
	uint8_t body[1200], pkt[1300];
	weft_record_t rev, st;
	weft_keypair_t stranger;
	size_t blen, len;
	int i;

	gnet_add_founder(net);
	for (i = 1; i < 4; i++)
		gnet_add_joiner(net, 0);
	assert_true(gnet_run_until(net, 30 * GNET_SEC, gnet_settled, NULL));
	/* The admin revokes node 3; everyone learns it. */
	memset(&rev, 0, sizeof(rev));
	rev.type = WEFT_REC_REVOCATION;
	rev.u.revocation.node_id = net->nodes[3].id.pk;
	rev.u.revocation.time = GNET_WALL_BASE_MS / 1000;
	snprintf(rev.u.revocation.reason, sizeof(rev.u.revocation.reason), "lost laptop");
	assert_true(gnet_publish_admin(net, 0, &rev) > 0);
	gnet_run(net, 5 * GNET_SEC);
	for (i = 0; i < 3; i++)
		assert_true(weft_store_is_revoked(net->nodes[i].store, &net->nodes[3].id.pk));
	assert_int_equal(gnet_count_seeing(net, 3, WEFT_LIVE_ALIVE), 0);
	assert_true(net->nodes[0].events[WEFT_GEV_MEMBER_REMOVED] > 0);
	gnet_run(net, 10 * GNET_SEC);

	/* A new state record signed by the revoked node, carried by a
	 * member in good standing: refused, and so never forwarded. */
	memset(&st, 0, sizeof(st));
	st.type = WEFT_REC_NODE_STATE;
	st.u.node_state.node_id = net->nodes[3].id.pk;
	st.u.node_state.version = 99;
	st.u.node_state.wg_port = 51820;
	st.u.node_state.gossip_port = 51821;
	snprintf(st.u.node_state.name, sizeof(st.u.node_state.name), "zombie");
	assert_int_equal(weft_record_sign(&st, &net->nodes[3].id), 0);
	recs[0] = &st;
	blen = gossip_body(body, sizeof(body), &net->nodes[0].id.pk, recs, 1);
	len = gnet_member_packet(net, pkt, WEFT_MSG_GOSSIP, true, NULL, 0, 1, 0, body, blen);
	expect_no_change(net, 1, WEFT_PATH_UNDERLAY, pkt, len);

	/* A record from a signer nobody admitted: parked at most, never held
	 * nor forwarded. */
	gnet_keypair(&stranger, 'S', 1);
	st.u.node_state.node_id = stranger.pk;
	assert_int_equal(weft_record_sign(&st, &stranger), 0);
	blen = gossip_body(body, sizeof(body), &net->nodes[0].id.pk, recs, 1);
	len = gnet_member_packet(net, pkt, WEFT_MSG_GOSSIP, true, NULL, 0, 1, 0, body, blen);
	expect_no_change(net, 1, WEFT_PATH_UNDERLAY, pkt, len);

	/* Anything the revoked node itself says is dropped. */
	blen = ping_body(body, sizeof(body), &net->nodes[3].id.pk, 7, &net->nodes[1].id.pk);
	len = gnet_member_packet(net, pkt, WEFT_MSG_PING, false, NULL, 3, 1, 0, body, blen);
	expect_refused(net, 1, WEFT_PATH_OVERLAY, pkt, len);
	gnet_free(net);
}

/* ---- amplification ---- */

struct amp {
	int node;
	size_t bytes, pkts, largest;
};

static void tap_out(struct gnet *net, int from, const struct weft_gossip_dgram *dg, const uint8_t *buf, size_t len,
		    void *ctx)
{
	struct amp *a = ctx;

	if (from != a->node)
		return;
	a->bytes += len;
	a->pkts++;
	if (len > a->largest)
		a->largest = len;
}

static size_t hello(struct gnet *net, uint8_t *pkt, const weft_pk_t *joiner, size_t pad)
{
	uint8_t body[1200], zero[1200] = { 0 };
	struct weft_wbuf w = { body, 0, sizeof(body), false };

	weft_mp_array(&w, 2);
	weft_mp_bin(&w, joiner->b, WEFT_PK_LEN);
	weft_mp_bin(&w, zero, pad);
	return gnet_packet(net, pkt, WEFT_MSG_JOIN_HELLO, false, NULL, body, w.len);
}

/* Feeds one unauthenticated datagram to node 0 from a fresh source and
 * checks that what comes back is no larger. */
static size_t answer_bytes(struct gnet *net, struct amp *a, const uint8_t *pkt, size_t len, uint8_t src)
{
	weft_endpoint_t from = { .ip = { .family = 4, .b = { 203, 0, 113, src } }, .port = 40000 };

	a->bytes = a->pkts = 0;
	weft_gossip_recv(net->nodes[0].g, WEFT_PATH_UNDERLAY, &from, pkt, len, net->now);
	gnet_drain(net, 0);
	assert_true(a->bytes <= len);
	return a->bytes;
}

static void test_no_amplification(void **state)
{
	struct gnet *net = three(5);
	struct amp a = { .node = 0 };
	uint8_t pkt[1300], body[1200], garbage[1200];
	struct weft_wbuf w;
	weft_keypair_t j;
	size_t len, pad, i;
	uint64_t rng = 5;

	net->tap = tap_out;
	net->ctx = &a;
	gnet_keypair(&j, 'X', 1);
	/* A hello at its smallest gets a cookie; every size gets no more. */
	for (pad = 64; pad < 1100; pad += 97) {
		len = hello(net, pkt, &j.pk, pad);
		assert_true(answer_bytes(net, &a, pkt, len, (uint8_t)pad) > 0);
	}
	len = hello(net, pkt, &j.pk, 64);
	printf("# hello %zu bytes -> cookie %zu bytes\n", len, answer_bytes(net, &a, pkt, len, 1));
	/* Too little padding: no answer at all. */
	len = hello(net, pkt, &j.pk, 63);
	assert_int_equal(answer_bytes(net, &a, pkt, len, 2), 0);
	/* A request with a made-up cookie: at most a fresh, smaller cookie. */
	w = (struct weft_wbuf){ body, 0, sizeof(body), false };
	weft_mp_array(&w, 6);
	weft_mp_bin(&w, j.pk.b, WEFT_PK_LEN);
	weft_mp_bin(&w, garbage, 16);
	weft_mp_bin(&w, net->invite_rec.raw, net->invite_rec.raw_len);
	weft_mp_bin(&w, garbage, 100);
	weft_mp_nil(&w);
	weft_mp_bin(&w, garbage, 64);
	len = gnet_packet(net, pkt, WEFT_MSG_JOIN_REQ, false, NULL, body, w.len);
	assert_true(answer_bytes(net, &a, pkt, len, 3) > 0);
	/* Random bytes behind a valid header, of every type: answers stay
	 * smaller than what provoked them (mostly: none). */
	for (i = 0; i < 2000; i++) {
		size_t n = 1 + (size_t)(rng % 1100);
		size_t k;

		rng = rng * 6364136223846793005ull + 1442695040888963407ull;
		for (k = 0; k < n; k++)
			garbage[k] = (uint8_t)((rng >> 24) + k * 31);
		len = gnet_packet(net, pkt, (uint8_t)(1 + i % 20), false, NULL, garbage, n);
		answer_bytes(net, &a, pkt, len, (uint8_t)(10 + i % 200));
	}
	gnet_free(net);
}

static void test_hello_rate_limited(void **state)
{
	struct gnet *net = three(6);
	struct amp a = { .node = 0 };
	weft_endpoint_t from = { .ip = { .family = 4, .b = { 203, 0, 113, 9 } }, .port = 40000 };
	uint8_t pkt[1300];
	weft_keypair_t j;
	size_t len;
	int i, answered = 0;

	net->tap = tap_out;
	net->ctx = &a;
	gnet_keypair(&j, 'X', 2);
	len = hello(net, pkt, &j.pk, 64);
	for (i = 0; i < 100; i++) {
		a.pkts = 0;
		weft_gossip_recv(net->nodes[0].g, WEFT_PATH_UNDERLAY, &from, pkt, len, net->now);
		gnet_drain(net, 0);
		answered += (int)a.pkts;
	}
	/* The burst, then nothing until the bucket refills. */
	assert_int_equal(answered, 10);
	from.ip.b[3] = 10;
	a.pkts = 0;
	weft_gossip_recv(net->nodes[0].g, WEFT_PATH_UNDERLAY, &from, pkt, len, net->now);
	gnet_drain(net, 0);
	assert_int_equal(a.pkts, 1);
	gnet_run(net, 1 * GNET_SEC);
	from.ip.b[3] = 9;
	a.pkts = 0;
	weft_gossip_recv(net->nodes[0].g, WEFT_PATH_UNDERLAY, &from, pkt, len, net->now);
	gnet_drain(net, 0);
	assert_int_equal(a.pkts, 1);
	gnet_free(net);
}

/* ---- admission rules ---- */

static bool join_done(struct gnet *net, void *ctx)
{
	struct gnet_node *nd = &net->nodes[*(int *)ctx];

	return nd->joined || nd->join_failed || nd->pending;
}

static void test_join_refusals(void **state)
{
	struct gnet *net = three(7);
	weft_keypair_t ikp, victim;
	weft_record_t inv, rev;
	const weft_record_t *held;
	int j, k;

	/* A revoked identity is refused whatever invite it holds. */
	gnet_keypair(&victim, 'V', 1);
	memset(&rev, 0, sizeof(rev));
	rev.type = WEFT_REC_REVOCATION;
	rev.u.revocation.node_id = victim.pk;
	assert_true(gnet_publish_admin(net, 0, &rev) > 0);
	gnet_run(net, 3 * GNET_SEC);
	j = gnet_add_joiner_with(net, 1, &net->invite, &net->invite_rec, &victim);
	assert_true(gnet_run_until(net, 40 * GNET_SEC, join_done, &j));
	assert_true(net->nodes[j].join_failed);
	assert_int_equal(net->nodes[j].join_err, WEFT_EREVOKED);
	assert_false(weft_gossip_is_member(net->nodes[j].g));

	/* A member that was revoked restarts from its store and asks again
	 * with a fresh, valid invite: its store still holds its old member
	 * record (naming the old invite), which it presents. The answer is
	 * still "revoked", not a complaint about the invite. */
	gnet_keypair(&victim, 'V', 2);
	j = gnet_add_joiner_with(net, 0, &net->invite, &net->invite_rec, &victim);
	assert_true(gnet_run_until(net, 40 * GNET_SEC, join_done, &j));
	assert_true(net->nodes[j].joined);
	memset(&rev, 0, sizeof(rev));
	rev.type = WEFT_REC_REVOCATION;
	rev.u.revocation.node_id = victim.pk;
	assert_true(gnet_publish_admin(net, 0, &rev) > 0);
	gnet_run(net, 3 * GNET_SEC);
	gnet_shutdown(net, j);
	k = gnet_node_create(net, &victim);
	weft_store_free(net->nodes[k].store);
	net->nodes[k].store = weft_store_clone(net->nodes[j].store);
	assert_non_null(net->nodes[k].store);
	held = weft_store_get(net->nodes[k].store, WEFT_REC_MEMBER, victim.pk.b);
	assert_non_null(held);
	assert_memory_equal(held->u.member.invite_pk.b, net->invite.pk.b, WEFT_PK_LEN);
	gnet_make_invite(net, &ikp, &inv, 9, 5, 0, false);
	assert_true(gnet_publish_admin(net, 0, &inv) > 0);
	gnet_run(net, 3 * GNET_SEC);
	k = gnet_join_node(net, k, 1, &ikp, &inv);
	assert_true(gnet_run_until(net, 40 * GNET_SEC, join_done, &k));
	assert_true(net->nodes[k].join_failed);
	assert_int_equal(net->nodes[k].join_err, WEFT_EREVOKED);
	assert_false(weft_gossip_is_member(net->nodes[k].g));

	/* Single use: the first joiner gets in, the second is refused. */
	gnet_make_invite(net, &ikp, &inv, 10, 1, 0, false);
	assert_true(gnet_publish_admin(net, 0, &inv) > 0);
	gnet_run(net, 3 * GNET_SEC);
	j = gnet_add_joiner_with(net, 0, &ikp, &inv, NULL);
	assert_true(gnet_run_until(net, 40 * GNET_SEC, join_done, &j));
	assert_true(net->nodes[j].joined);
	gnet_run(net, 3 * GNET_SEC);
	k = gnet_add_joiner_with(net, 1, &ikp, &inv, NULL);
	assert_true(gnet_run_until(net, 40 * GNET_SEC, join_done, &k));
	assert_true(net->nodes[k].join_failed);
	assert_int_equal(net->nodes[k].join_err, WEFT_EUSEDUP);

	/* Expired by the member's clock, though not by the joiner's. */
	gnet_make_invite(net, &ikp, &inv, 11, 5, GNET_WALL_BASE_MS / 1000 + net->now / GNET_SEC - 10, false);
	net->joiner_wall_ms = -60000;
	k = gnet_add_joiner_with(net, 2, &ikp, &inv, NULL);
	net->joiner_wall_ms = 0;
	assert_true(gnet_run_until(net, 40 * GNET_SEC, join_done, &k));
	assert_true(net->nodes[k].join_failed);
	assert_int_equal(net->nodes[k].join_err, WEFT_EEXPIRED);

	/* A joiner whose clock is far off cannot pick its place in line. */
	gnet_make_invite(net, &ikp, &inv, 12, 5, 0, false);
	net->joiner_wall_ms = -3600 * 1000;
	k = gnet_add_joiner_with(net, 2, &ikp, &inv, NULL);
	net->joiner_wall_ms = 0;
	gnet_run(net, 5 * GNET_SEC);
	assert_false(weft_gossip_is_member(net->nodes[k].g));
	gnet_free(net);
}

static void test_join_pending_approval(void **state)
{
	struct gnet *net = three(8);
	weft_record_t inv;
	weft_keypair_t ikp;
	uint8_t key[32];
	uint32_t epoch;
	int j;

	gnet_make_invite(net, &ikp, &inv, 20, 1, 0, true);
	j = gnet_add_joiner_with(net, 0, &ikp, &inv, NULL);
	assert_true(gnet_run_until(net, 40 * GNET_SEC, join_done, &j));
	/* Admitted as pending: settings yes, the network key no. */
	assert_true(net->nodes[j].pending);
	assert_false(net->nodes[j].joined);
	assert_false(weft_gossip_is_member(net->nodes[j].g));
	assert_int_equal(weft_gossip_netkey(net->nodes[j].g, key, &epoch), WEFT_ENOTFOUND);
	gnet_run(net, 20 * GNET_SEC);
	assert_false(weft_gossip_is_member(net->nodes[j].g));
	/* Members do not probe a pending member. */
	assert_int_equal(gnet_count_seeing(net, j, WEFT_LIVE_DEAD), 0);
	/* The admin approves; the joiner's next try gets the key. */
	approve(net, j);
	assert_true(gnet_run_until(net, 60 * GNET_SEC, gnet_settled, NULL));
	assert_true(net->nodes[j].joined);
	assert_true(weft_gossip_is_member(net->nodes[j].g));
	gnet_free(net);
}

/* A join waiting for approval outlives a restart and its invite's expiry:
 * the restarted joiner asks again with the token, as the same node with
 * the member record the members hold (the daemon keeps the token on disk
 * for this), and is let in once approved. */
static void test_pending_join_resumes(void **state)
{
	struct gnet *net = three(9);
	uint64_t expires = (GNET_WALL_BASE_MS + net->now / GNET_MS) / 1000 + 60;
	weft_record_t inv;
	weft_keypair_t ikp;
	int j;

	gnet_make_invite(net, &ikp, &inv, 21, 1, expires, true);
	j = gnet_add_joiner_with(net, 0, &ikp, &inv, NULL);
	assert_true(gnet_run_until(net, 40 * GNET_SEC, join_done, &j));
	assert_true(net->nodes[j].pending);
	/* Down past the invite's expiry; up again, asking as before. */
	gnet_shutdown(net, j);
	gnet_run(net, 120 * GNET_SEC);
	net->nodes[j].pending = false;
	gnet_join_node(net, j, 1, &ikp, &inv);
	assert_true(gnet_run_until(net, 40 * GNET_SEC, join_done, &j));
	assert_true(net->nodes[j].pending);
	assert_false(net->nodes[j].join_failed);
	approve(net, j);
	assert_true(gnet_run_until(net, 60 * GNET_SEC, gnet_settled, NULL));
	assert_true(net->nodes[j].joined);
	assert_true(weft_gossip_is_member(net->nodes[j].g));
	gnet_free(net);
}

/* ---- a revoked node is told ---- */

struct from_count {
	int node;
	int to;               /* -1: to anyone */
	uint8_t type;         /* 0: any member message */
	uint32_t member_pkts; /* such messages the node sent */
};

static void count_from(struct gnet *net, int from, const struct weft_gossip_dgram *dg, const uint8_t *buf,
		       size_t len, void *ctx)
{
	struct from_count *c = ctx;

	if (from == c->node && len > 3 && buf[3] < WEFT_MSG_JOIN_HELLO && (!c->type || buf[3] == c->type) &&
	    (c->to < 0 || weft_endpoint_equal(&dg->to, &net->nodes[c->to].ep)))
		c->member_pkts++;
}

static void test_revoked_node_is_told(void **state)
{
	struct gnet *net = three(13);
	struct from_count fc = { .node = 2, .to = -1, .type = 0, .member_pkts = 0 };
	const weft_record_t *held;
	weft_record_t rev;
	uint8_t key[32];
	uint32_t epoch;
	int i;

	/* Node 2 is cut off while the admin revokes it, so the broadcast
	 * and anti-entropy never reach it: after the partition heals it
	 * still holds the key and gossips as a member. */
	net->nodes[2].group = 1;
	memset(&rev, 0, sizeof(rev));
	rev.type = WEFT_REC_REVOCATION;
	rev.u.revocation.node_id = net->nodes[2].id.pk;
	assert_true(gnet_publish_admin(net, 0, &rev) > 0);
	gnet_run(net, 10 * GNET_SEC);
	assert_null(weft_store_get(net->nodes[2].store, WEFT_REC_REVOCATION, net->nodes[2].id.pk.b));
	assert_true(weft_gossip_is_member(net->nodes[2].g));
	assert_int_equal(net->nodes[2].events[WEFT_GEV_REVOKED], 0);
	net->nodes[2].group = 0;
	/* Its next sealed packet to a member is answered with the
	 * revocation: it merges it, reports it once, and stops. */
	gnet_run(net, 20 * GNET_SEC);
	held = weft_store_get(net->nodes[2].store, WEFT_REC_REVOCATION, net->nodes[2].id.pk.b);
	assert_non_null(held);
	assert_int_equal(net->nodes[2].events[WEFT_GEV_REVOKED], 1);
	assert_false(weft_gossip_is_member(net->nodes[2].g));
	for (i = 0; i < 2; i++)
		assert_int_equal(net->nodes[i].events[WEFT_GEV_REVOKED], 0);
	/* It still holds the key (only a rotation takes that away), but no
	 * longer sends member messages. */
	assert_int_equal(weft_gossip_netkey(net->nodes[2].g, key, &epoch), 0);
	net->tap = count_from;
	net->ctx = &fc;
	gnet_run(net, 20 * GNET_SEC);
	net->tap = NULL;
	assert_int_equal(fc.member_pkts, 0);
	assert_string_equal(weft_gossip_event_name(WEFT_GEV_REVOKED), "revoked");
	gnet_free(net);
}

/* A revocation that comes with a new network key (weft revoke
 * --rotate-network-key): once the members seal with the new key, their
 * answer to the revoked node must still be sealed with the key it used,
 * or it could never open it and would not learn (a namespace test saw
 * exactly that when its first underlay packet came after half the grace). */
static void test_revoked_node_told_with_its_key(void **state)
{
	struct gnet *net = three(17);
	uint8_t newkey[32], key[32];
	weft_record_t rev;
	uint32_t epoch;

	net->nodes[2].group = 1;
	memset(&rev, 0, sizeof(rev));
	rev.type = WEFT_REC_REVOCATION;
	rev.u.revocation.node_id = net->nodes[2].id.pk;
	assert_true(gnet_publish_admin(net, 0, &rev) > 0);
	memset(newkey, 0x5e, sizeof(newkey));
	new_netkey(net, newkey, 60);
	/* Past half the grace: 0 and 1 now seal with the new key. */
	gnet_run(net, 40 * GNET_SEC);
	assert_int_equal(weft_gossip_netkey(net->nodes[0].g, key, &epoch), 0);
	assert_int_equal(epoch, 2);
	assert_int_equal(net->nodes[2].events[WEFT_GEV_REVOKED], 0);
	/* Back within the grace: its epoch-1 packets still open, and the
	 * answer is sealed with epoch 1. */
	net->nodes[2].group = 0;
	gnet_run(net, 15 * GNET_SEC);
	assert_non_null(weft_store_get(net->nodes[2].store, WEFT_REC_REVOCATION, net->nodes[2].id.pk.b));
	assert_int_equal(net->nodes[2].events[WEFT_GEV_REVOKED], 1);
	assert_false(weft_gossip_is_member(net->nodes[2].g));
	gnet_free(net);
}

/* A revoked node that keeps sending is answered at most at the rate the
 * join traffic is: the answers are bounded whatever it sends. */
static void test_revoked_answers_rate_limited(void **state)
{
	struct gnet *net = three(14);
	struct from_count fc = { .node = 0, .to = 2, .type = WEFT_MSG_RECORDS, .member_pkts = 0 };
	const weft_record_t *recs[1];
	uint8_t body[1200], pkt[1300];
	weft_record_t rev;
	size_t blen, len;
	int i;

	memset(&rev, 0, sizeof(rev));
	rev.type = WEFT_REC_REVOCATION;
	rev.u.revocation.node_id = net->nodes[2].id.pk;
	assert_true(gnet_publish_admin(net, 0, &rev) > 0);
	gnet_run(net, 5 * GNET_SEC);
	assert_true(weft_store_is_revoked(net->nodes[0].store, &net->nodes[2].id.pk));
	/* 200 sealed packets from node 2 at one instant. */
	recs[0] = weft_store_get(net->nodes[2].store, WEFT_REC_MEMBER, net->nodes[2].id.pk.b);
	assert_non_null(recs[0]);
	blen = gossip_body(body, sizeof(body), &net->nodes[2].id.pk, recs, 1);
	net->tap = count_from;
	net->ctx = &fc;
	for (i = 0; i < 200; i++) {
		len = gnet_member_packet(net, pkt, WEFT_MSG_GOSSIP, true, NULL, 2, 0, 0, body, blen);
		assert_int_equal(gnet_inject(net, 0, WEFT_PATH_UNDERLAY, &net->nodes[2].ep, pkt, len),
				 WEFT_EREVOKED);
	}
	net->tap = NULL;
	assert_true(fc.member_pkts >= 1);
	assert_true(fc.member_pkts <= 10);
	/* Over the overlay (no network key involved) it is not answered. */
	fc.member_pkts = 0;
	net->tap = count_from;
	net->now += 10 * GNET_SEC;
	len = gnet_member_packet(net, pkt, WEFT_MSG_GOSSIP, false, NULL, 2, 0, 0, body, blen);
	assert_int_equal(gnet_inject(net, 0, WEFT_PATH_OVERLAY, &net->nodes[2].ep, pkt, len), WEFT_EREVOKED);
	net->tap = NULL;
	assert_int_equal(fc.member_pkts, 0);
	gnet_free(net);
}

/* ---- key rotation ---- */

static void test_key_rotation_locks_out(void **state)
{
	struct gnet *net = three(9);
	uint8_t newkey[32], key[32], body[200], pkt[300];
	uint32_t epoch;
	size_t blen, len;
	int i;

	/* The admin rotates the network key and shares it with nodes 0 and
	 * 1 only (node 2 is on its way out). */
	memset(newkey, 0x9d, sizeof(newkey));
	new_netkey(net, newkey, 60);
	gnet_run(net, 5 * GNET_SEC);
	for (i = 0; i < 2; i++) {
		assert_int_equal(weft_gossip_netkey(net->nodes[i].g, key, &epoch), 0);
		assert_int_equal(epoch, 2);
		assert_memory_equal(key, newkey, 32);
		assert_true(net->nodes[i].events[WEFT_GEV_NETKEY] > 0);
	}
	assert_int_equal(weft_gossip_netkey(net->nodes[2].g, key, &epoch), 0);
	assert_int_equal(epoch, 1);
	/* During the grace period the old key still opens packets... */
	blen = ping_body(body, sizeof(body), &net->nodes[2].id.pk, 99, &net->nodes[0].id.pk);
	len = gnet_member_packet(net, pkt, WEFT_MSG_PING, true, NULL, 2, 0, 0, body, blen);
	assert_int_equal(weft_gossip_recv(net->nodes[0].g, WEFT_PATH_UNDERLAY, &net->nodes[2].ep, pkt, len,
					  net->now),
			 0);
	gnet_drain(net, 0);
	/* ...and not after it: node 2, left without a share, is locked out
	 * of the underlay, and 0 and 1 keep talking with the new key. */
	gnet_run(net, 61 * GNET_SEC);
	len = gnet_member_packet(net, pkt, WEFT_MSG_PING, true, NULL, 2, 0, 0, body, blen);
	expect_refused(net, 0, WEFT_PATH_UNDERLAY, pkt, len);
	assert_int_equal(gnet_count_seeing(net, 2, WEFT_LIVE_DEAD), 2);
	assert_int_equal(gnet_count_seeing(net, 0, WEFT_LIVE_ALIVE), 1);
	assert_int_equal(gnet_count_seeing(net, 1, WEFT_LIVE_ALIVE), 1);
	gnet_free(net);
}

/* A member restarted during a rotation's grace period comes back with the
 * new key only (its keyshare for the old epoch is gone): the daemon
 * persists the previous key with its wall-clock deadlines and re-installs
 * it, so a member still on the old epoch can talk to it until the grace
 * ends. */
static void test_restart_keeps_previous_key(void **state)
{
	struct gnet *net = three(21);
	struct weft_gossip_prevkey pk, again;
	uint8_t oldkey[32], newkey[32], body[200], pkt[300];
	uint64_t wall;
	size_t blen, len;

	memcpy(oldkey, net->netkey, sizeof(oldkey));
	memset(newkey, 0x5e, sizeof(newkey));
	/* Node 2 has not got the new epoch yet (its share is late). */
	new_netkey(net, newkey, 600);
	gnet_run(net, 5 * GNET_SEC);

	/* Node 0 reports the previous key with wall-clock deadlines. */
	assert_int_equal(weft_gossip_prev_netkey(net->nodes[0].g, &pk), 0);
	assert_int_equal(pk.epoch, 1);
	assert_memory_equal(pk.key, oldkey, 32);
	wall = GNET_WALL_BASE_MS + net->now / GNET_MS;
	assert_true(pk.open_until_ms > wall + 590000 && pk.open_until_ms <= wall + 600000);
	assert_true(pk.seal_until_ms > wall + 290000 && pk.seal_until_ms <= wall + 300000);
	assert_int_equal(weft_gossip_prev_netkey(net->nodes[2].g, &again), WEFT_ENOTFOUND);

	/* Restarted with the new key alone: node 2's old-key packets are
	 * refused... */
	memcpy(net->netkey, newkey, 32);
	net->netkey_epoch = 2;
	net->now += 10 * GNET_SEC;
	assert_int_equal(gnet_restart(net, 0), 0);
	gnet_drain(net, 0);
	assert_int_equal(weft_gossip_prev_netkey(net->nodes[0].g, &again), WEFT_ENOTFOUND);
	blen = ping_body(body, sizeof(body), &net->nodes[2].id.pk, 7, &net->nodes[0].id.pk);
	len = gnet_member_packet(net, pkt, WEFT_MSG_PING, true, oldkey, 2, 0, 0, body, blen);
	expect_refused(net, 0, WEFT_PATH_UNDERLAY, pkt, len);

	/* ...until the persisted one is back, with the same deadlines. */
	again = pk;
	again.open_until_ms = wall - 1;
	assert_int_equal(weft_gossip_restore_prev_netkey(net->nodes[0].g, &again), WEFT_ESTALE);
	again = pk;
	again.epoch = 2;
	assert_int_equal(weft_gossip_restore_prev_netkey(net->nodes[0].g, &again), WEFT_ESTALE);
	assert_int_equal(weft_gossip_restore_prev_netkey(net->nodes[0].g, &pk), 0);
	assert_int_equal(weft_gossip_prev_netkey(net->nodes[0].g, &again), 0);
	assert_int_equal(again.epoch, 1);
	assert_memory_equal(again.key, oldkey, 32);
	assert_true(again.open_until_ms >= pk.open_until_ms - 1 && again.open_until_ms <= pk.open_until_ms);
	assert_true(again.seal_until_ms >= pk.seal_until_ms - 1 && again.seal_until_ms <= pk.seal_until_ms);
	len = gnet_member_packet(net, pkt, WEFT_MSG_PING, true, oldkey, 2, 0, 0, body, blen);
	assert_int_equal(weft_gossip_recv(net->nodes[0].g, WEFT_PATH_UNDERLAY, &net->nodes[2].ep, pkt, len,
					  net->now),
			 0);
	gnet_drain(net, 0);

	/* Once the grace is over, it is gone. */
	gnet_run(net, 600 * GNET_SEC);
	gnet_drain(net, 0);
	assert_int_equal(weft_gossip_prev_netkey(net->nodes[0].g, &again), WEFT_ENOTFOUND);
	len = gnet_member_packet(net, pkt, WEFT_MSG_PING, true, oldkey, 2, 0, 0, body, blen);
	expect_refused(net, 0, WEFT_PATH_UNDERLAY, pkt, len);
	sodium_memzero(&pk, sizeof(pk));
	gnet_free(net);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forged_and_wrong_key),
		cmocka_unit_test(test_truncated_oversized_wrongnet),
		cmocka_unit_test(test_replays_change_nothing),
		cmocka_unit_test(test_revoked_and_unknown_signers),
		cmocka_unit_test(test_no_amplification),
		cmocka_unit_test(test_hello_rate_limited),
		cmocka_unit_test(test_join_refusals),
		cmocka_unit_test(test_join_pending_approval),
		cmocka_unit_test(test_pending_join_resumes),
		cmocka_unit_test(test_key_rotation_locks_out),
		cmocka_unit_test(test_restart_keeps_previous_key),
		cmocka_unit_test(test_revoked_node_is_told),
		cmocka_unit_test(test_revoked_node_told_with_its_key),
		cmocka_unit_test(test_revoked_answers_rate_limited),
	};

	if (weft_crypto_init())
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
