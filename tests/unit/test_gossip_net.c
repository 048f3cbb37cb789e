/* Whole-protocol tests on the in-test network: joins, convergence of
 * stores, failure detection, refutation, partition healing, graceful leave,
 * restart without a token, and determinism. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/error.h"
#include "tests/unit/gossip_net.h"
#include "core/keys.h"

static struct gnet *grow(uint64_t seed, int n, uint64_t *settle_ns)
{
	return gnet_grow(seed, n, NULL, settle_ns);
}

static void test_two_nodes_join(void **state)
{
	struct gnet *net = gnet_new(1, NULL);
	struct weft_gossip_member_info mi;
	uint8_t key[32];
	uint32_t epoch;
	int a = gnet_add_founder(net), b;

	b = gnet_add_joiner(net, a);
	assert_false(weft_gossip_is_member(net->nodes[b].g));
	assert_true(gnet_run_until(net, 10 * GNET_SEC, gnet_settled, NULL));
	assert_true(net->nodes[b].joined);
	assert_true(weft_gossip_is_member(net->nodes[b].g));
	/* The joiner holds the network key the admin's keyring names. */
	assert_int_equal(weft_gossip_netkey(net->nodes[b].g, key, &epoch), 0);
	assert_int_equal(epoch, 1);
	assert_memory_equal(key, net->netkey, 32);
	assert_int_equal(weft_gossip_member(net->nodes[a].g, &net->nodes[b].id.pk, &mi), 0);
	assert_int_equal(mi.state, WEFT_LIVE_ALIVE);
	assert_int_equal(weft_gossip_member(net->nodes[b].g, &net->nodes[a].id.pk, &mi), 0);
	assert_int_equal(mi.state, WEFT_LIVE_ALIVE);
	/* Both hold settings, keyring, invite and both members with states. */
	assert_true(weft_store_count(net->nodes[b].store) >= 7);
	gnet_free(net);
}

static void test_converge_5_then_50(void **state)
{
	uint64_t t5, t50;
	struct gnet *net;
	int i;

	net = grow(5, 5, &t5);
	gnet_free(net);
	net = grow(50, 50, &t50);
	for (i = 0; i < net->n; i++)
		assert_int_equal(weft_store_count(net->nodes[i].store), weft_store_count(net->nodes[0].store));
	/* 50 members and their states, settings, keyring, invite. */
	assert_int_equal(weft_store_count(net->nodes[0].store), 2 * 50 + 3);
	printf("# settled after the last join: 5 nodes %.2f s, 50 nodes %.2f s\n", t5 / 1e9, t50 / 1e9);
	gnet_free(net);
}

/* ---- failure detection ---- */

struct watch {
	int node;            /* the node watched */
	uint32_t dead_about; /* DEAD reports about it, by anyone */
	uint32_t suspect_about;
	uint32_t dead_any; /* DEAD reports about anyone */
};

static void watch_events(struct gnet *net, int node, const struct weft_gossip_event *ev, void *ctx)
{
	struct watch *w = ctx;

	if (ev->type != WEFT_GEV_LIVENESS)
		return;
	if (ev->state == WEFT_LIVE_DEAD)
		w->dead_any++;
	if (w->node < 0 || memcmp(ev->node.b, net->nodes[w->node].id.pk.b, WEFT_PK_LEN))
		return;
	if (ev->state == WEFT_LIVE_DEAD)
		w->dead_about++;
	if (ev->state == WEFT_LIVE_SUSPECT)
		w->suspect_about++;
}

static void test_stopped_node_declared_dead(void **state)
{
	struct gnet *net = grow(20, 20, NULL);
	struct gnet_seen s = { 7, WEFT_LIVE_DEAD };
	uint64_t t0;

	gnet_run(net, 5 * GNET_SEC);
	gnet_stop(net, 7);
	t0 = net->now;
	assert_true(gnet_run_until(net, 30 * GNET_SEC, gnet_all_see, &s));
	printf("# 20 nodes: a stopped node is dead everywhere after %.2f s\n", (net->now - t0) / 1e9);
	/* And stays a member, only dead: liveness never removes anyone. */
	assert_int_equal(gnet_count_seeing(net, 7, WEFT_LIVE_DEAD), 19);
	gnet_free(net);
}

static void test_slow_node_refutes(void **state)
{
	struct gnet *net = grow(21, 20, NULL);
	struct watch w = { .node = 4 };
	struct gnet_seen s = { 4, WEFT_LIVE_ALIVE };
	uint32_t inc0;

	gnet_run(net, 5 * GNET_SEC);
	inc0 = weft_gossip_incarnation(net->nodes[4].g);
	net->on_event = watch_events;
	net->ctx = &w;
	/* For four seconds every packet to or from node 4 takes 700 ms: its
	 * acks come too late, the others suspect it, and it must refute. */
	net->nodes[4].delay = 700 * GNET_MS;
	gnet_run(net, 4 * GNET_SEC);
	net->nodes[4].delay = 0;
	assert_true(gnet_run_until(net, 20 * GNET_SEC, gnet_all_see, &s));
	gnet_run(net, 10 * GNET_SEC);
	assert_true(w.suspect_about > 0);
	assert_true(weft_gossip_incarnation(net->nodes[4].g) > inc0);
	assert_int_equal(w.dead_about, 0);
	assert_int_equal(w.dead_any, 0);
	assert_true(gnet_all_alive(net, NULL));
	printf("# slow node: suspected %u times, refuted up to incarnation %u, never declared dead\n",
	       w.suspect_about, weft_gossip_incarnation(net->nodes[4].g));
	gnet_free(net);
}

static void test_no_false_death_at_5pct_loss(void **state)
{
	struct gnet *net = grow(22, 20, NULL);
	struct watch w = { .node = -1 };
	uint64_t probes = 0, failures = 0, sus = 0;
	struct weft_gossip_stats st;
	int i;

	net->on_event = watch_events;
	net->ctx = &w;
	net->loss_ppm = 50000;
	gnet_run(net, 120 * GNET_SEC);
	for (i = 0; i < net->n; i++) {
		weft_gossip_stats(net->nodes[i].g, &st);
		probes += st.probes;
		failures += st.probe_failures;
		sus += st.suspicions;
	}
	printf("# 5%% loss, 20 nodes, 120 s: %llu probes, %llu failed, %llu suspicions, %u deaths\n",
	       (unsigned long long)probes, (unsigned long long)failures, (unsigned long long)sus, w.dead_any);
	assert_true(probes > 20 * 100);
	assert_int_equal(w.dead_any, 0);
	net->loss_ppm = 0;
	assert_true(gnet_run_until(net, 20 * GNET_SEC, gnet_all_alive, NULL));
	gnet_free(net);
}

/* ---- partitions, restarts, leaving ---- */

/* Every node sees exactly the other half dead. */
static bool split(struct gnet *net, void *ctx)
{
	int i;

	for (i = 0; i < net->n; i++)
		if (gnet_count_seeing(net, i, WEFT_LIVE_DEAD) != net->n / 2)
			return false;
	return true;
}

static void test_partition_heals(void **state)
{
	struct gnet *net = grow(30, 40, NULL);
	uint64_t t0;
	int i;

	for (i = 0; i < net->n; i++)
		net->nodes[i].group = i % 2;
	/* Each half declares the other dead. Most deaths spread in seconds;
	 * a node that missed one finds it on its own round of probes, slowed
	 * by Lifeguard (its helpers in the other half never nack). */
	t0 = net->now;
	assert_true(gnet_run_until(net, 300 * GNET_SEC, split, NULL));
	printf("# 40 nodes split in two: each half sees the other dead after %.1f s\n", (net->now - t0) / 1e9);
	/* Both halves change state while apart. */
	gnet_bump_state(net, 0);
	gnet_bump_state(net, 1);
	gnet_run(net, 5 * GNET_SEC);
	assert_false(gnet_converged(net, NULL));
	for (i = 0; i < net->n; i++)
		net->nodes[i].group = 0;
	t0 = net->now;
	assert_true(gnet_run_until(net, 120 * GNET_SEC, gnet_settled, NULL));
	printf("# and whole again %.2f s after the heal\n", (net->now - t0) / 1e9);
	gnet_free(net);
}

static void test_restart_without_token(void **state)
{
	struct gnet *net = grow(40, 10, NULL);
	struct gnet_seen dead = { 5, WEFT_LIVE_DEAD };
	struct weft_gossip_member_info mi;
	uint64_t t0;

	gnet_stop(net, 5);
	assert_true(gnet_run_until(net, 30 * GNET_SEC, gnet_all_see, &dead));
	assert_int_equal(weft_gossip_member(net->nodes[0].g, &net->nodes[5].id.pk, &mi), 0);
	/* A daemon restart: the same store and key, a new incarnation count. */
	assert_int_equal(gnet_restart(net, 5), 0);
	assert_true(weft_gossip_is_member(net->nodes[5].g));
	t0 = net->now;
	assert_true(gnet_run_until(net, 30 * GNET_SEC, gnet_settled, NULL));
	assert_true(weft_gossip_incarnation(net->nodes[5].g) > mi.incarnation);
	printf("# restarted node alive everywhere again after %.2f s\n", (net->now - t0) / 1e9);
	gnet_free(net);
}

static void test_graceful_leave(void **state)
{
	struct gnet *net = grow(50, 10, NULL);
	struct gnet_seen left = { 2, WEFT_LIVE_LEFT };
	struct watch w = { .node = 2 };

	net->on_event = watch_events;
	net->ctx = &w;
	assert_int_equal(weft_gossip_leave(net->nodes[2].g, net->now), 0);
	gnet_drain(net, 2);
	gnet_run(net, 2 * GNET_SEC);
	gnet_stop(net, 2);
	assert_true(gnet_run_until(net, 10 * GNET_SEC, gnet_all_see, &left));
	gnet_run(net, 30 * GNET_SEC);
	/* Left is not dead: nobody suspects or retries it. */
	assert_int_equal(gnet_count_seeing(net, 2, WEFT_LIVE_LEFT), 9);
	assert_int_equal(w.dead_about, 0);
	assert_int_equal(w.suspect_about, 0);
	gnet_free(net);
}

/* ---- dissemination ---- */

static void test_record_reaches_everyone(void **state)
{
	struct gnet *net = grow(60, 50, NULL);
	uint64_t t0, pk0;

	gnet_run(net, 10 * GNET_SEC);
	pk0 = net->pkts;
	t0 = net->now;
	gnet_bump_state(net, 17);
	assert_true(gnet_run_until(net, 10 * GNET_SEC, gnet_converged, NULL));
	printf("# 50 nodes: a new record reached every node in %.0f ms (%llu datagrams)\n", (net->now - t0) / 1e6,
	       (unsigned long long)(net->pkts - pk0));
	assert_true(net->now - t0 < 3 * GNET_SEC);
	gnet_free(net);
}

/* ---- determinism ---- */

/* One single-use invite per joiner (`weft invite`'s default): the welcome
 * must carry the invite of every member it names, or the joiner parks those
 * member records in its pending pool until anti-entropy brings the invites.
 * Every joiner must hold the member record of every node that had joined
 * before it within 4 s of its own join (joins 500 ms apart; the first
 * exchange covers half the buckets, the next follows 1 s later). */
#define OWN_N 120
#define OWN_BOUND (4 * GNET_SEC)
#define OWN_PACE (500 * GNET_MS) /* between joins */

static bool holds_earlier(struct gnet *net, int j, const bool *was_joined)
{
	int k;

	for (k = 0; k < j; k++)
		if (was_joined[k] && !weft_store_get(net->nodes[j].store, WEFT_REC_MEMBER, net->nodes[k].id.pk.b))
			return false;
	return true;
}

static void test_own_invite_joiners_catch_up(void **state)
{
	struct gnet *net = gnet_new(31, NULL);
	static bool was_joined[OWN_N][OWN_N];
	uint64_t t_join[OWN_N], lat[OWN_N] = { 0 }, worst = 0, sum = 0;
	bool done[OWN_N] = { false };
	int i, k, over2 = 0, left = OWN_N - 1;
	weft_record_t inv;
	weft_keypair_t ikp;

	gnet_add_founder(net);
	done[0] = true;
	for (i = 1; i < OWN_N || left > 0; i++) {
		if (i < OWN_N) {
			gnet_make_invite(net, &ikp, &inv, 5000 + (uint32_t)i, 1, 0, false);
			for (k = 0; k < i; k++)
				was_joined[i][k] = net->nodes[k].joined || k == 0;
			t_join[i] = net->now;
			assert_int_equal(gnet_add_joiner_with(net, (int)(net->rng % (uint64_t)i), &ikp, &inv, NULL),
					 i);
		}
		gnet_run(net, OWN_PACE);
		for (k = 1; k < OWN_N && k < i + 1; k++) {
			if (done[k] || !holds_earlier(net, k, was_joined[k]))
				continue;
			done[k] = true;
			left--;
			lat[k] = net->now - t_join[k];
		}
		if (net->now > 60 * GNET_SEC + (uint64_t)OWN_N * OWN_PACE)
			break;
	}
	for (k = 1; k < OWN_N; k++) {
		if (!done[k])
			lat[k] = net->now - t_join[k];
		worst = lat[k] > worst ? lat[k] : worst;
		sum += lat[k];
		over2 += lat[k] > 2 * GNET_SEC;
	}
	printf("# %d joiners, own single-use invites: catch-up mean %llu ms, max %llu ms, %d over 2 s, %d never\n",
	       OWN_N - 1, (unsigned long long)(sum / (OWN_N - 1) / GNET_MS), (unsigned long long)(worst / GNET_MS),
	       over2, left);
	assert_int_equal(left, 0);
	assert_true(worst <= OWN_BOUND);
	gnet_free(net);
}

static void run_transcript(uint64_t seed, uint8_t out[32])
{
	struct gnet *net = grow(seed, 10, NULL);

	gnet_stop(net, 3);
	gnet_run(net, 20 * GNET_SEC);
	gnet_bump_state(net, 4);
	gnet_run(net, 5 * GNET_SEC);
	memcpy(out, net->transcript, 32);
	gnet_free(net);
}

static void test_determinism(void **state)
{
	uint8_t a[32], b[32], c[32];

	run_transcript(70, a);
	run_transcript(70, b);
	run_transcript(71, c);
	assert_memory_equal(a, b, 32);
	assert_memory_not_equal(a, c, 32);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_nodes_join),
		cmocka_unit_test(test_converge_5_then_50),
		cmocka_unit_test(test_record_reaches_everyone),
		cmocka_unit_test(test_stopped_node_declared_dead),
		cmocka_unit_test(test_slow_node_refutes),
		cmocka_unit_test(test_no_false_death_at_5pct_loss),
		cmocka_unit_test(test_partition_heals),
		cmocka_unit_test(test_restart_without_token),
		cmocka_unit_test(test_graceful_leave),
		cmocka_unit_test(test_determinism),
		cmocka_unit_test(test_own_invite_joiners_catch_up),
	};

	if (weft_crypto_init())
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
