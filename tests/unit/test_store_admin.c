/* The store's rules behind admin operations (issue #8): an invite's first N
 * uses across a partition, a join time that claims to be older than its
 * invite, and the admin roll-over limit applied to keyring epochs. Each
 * rule is checked in both arrival orders, since the store is a CRDT. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/store_fixture.h"

static weft_keypair_t admin, admin2, inv, node[8];

#define CREATED_S 1700000000ull            /* the invite's creation, unix s */
#define NOW_MS (CREATED_S * 1000 + 600000) /* ten minutes later */

static int group_setup(void **state)
{
	(void)state;
	if (weft_crypto_init())
		return -1;
	fx_key(&admin, FX_ADMIN, 1);
	fx_key(&admin2, FX_ADMIN, 2);
	fx_key(&inv, FX_INVITE, 1);
	for (unsigned i = 0; i < 8; i++)
		fx_key(&node[i], FX_NODE, i);
	return 0;
}

static weft_record_t *rec(void)
{
	weft_record_t *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	return r;
}

static weft_store_t *new_store(void)
{
	weft_store_t *s = weft_store_new(&admin.pk, NULL, NULL);

	assert_non_null(s);
	return s;
}

static uint8_t status_of(const weft_view_t *v, const weft_pk_t *id)
{
	const struct weft_member_view *m = weft_view_find(v, id);

	if (!m)
		fail_msg("member not in the view");
	return m->status;
}

/* ---- first N uses of an invite across a partition ---- */

/* Side A admits nodes 0 and 2 with a 2-use invite while side B, cut off,
 * admits node 1 (joined between them). Each side alone sees its own as
 * active; after the heal both compute the same first two by join time
 * (0 and 1), node 2 is over-used, and the two views are the same. */
static void test_first_n_after_partition(void **state)
{
	weft_store_t *a = new_store(), *b = new_store();
	weft_record_t *iv = rec(), *net = rec(), *m[3];
	static const uint64_t join[3] = { 1000, 2000, 3000 };
	weft_view_t va, vb;

	(void)state;
	fx_network(net, &admin, 1, "10.0.0.0/24");
	fx_invite(iv, &admin, &inv.pk, 2, CREATED_S);
	for (unsigned i = 0; i < 3; i++) {
		m[i] = rec();
		fx_member(m[i], &inv, &node[i].pk, CREATED_S * 1000 + join[i]);
	}
	for (weft_store_t *s = a; s; s = s == a ? b : NULL) {
		assert_int_equal(weft_store_merge(s, net), WEFT_MERGE_ADDED);
		assert_int_equal(weft_store_merge(s, iv), WEFT_MERGE_ADDED);
	}
	assert_int_equal(weft_store_merge(a, m[2]), WEFT_MERGE_ADDED);
	assert_int_equal(weft_store_merge(a, m[0]), WEFT_MERGE_ADDED);
	assert_int_equal(weft_store_merge(b, m[1]), WEFT_MERGE_ADDED);

	assert_int_equal(weft_store_view(a, NOW_MS, &va), 0);
	assert_int_equal(status_of(&va, &node[0].pk), WEFT_MEMBER_ACTIVE);
	assert_int_equal(status_of(&va, &node[2].pk), WEFT_MEMBER_ACTIVE);
	weft_view_free(&va);

	/* The heal: each side merges what the other holds. */
	assert_int_equal(weft_store_merge(a, m[1]), WEFT_MERGE_ADDED);
	assert_int_equal(weft_store_merge(b, m[2]), WEFT_MERGE_ADDED);
	assert_int_equal(weft_store_merge(b, m[0]), WEFT_MERGE_ADDED);
	assert_int_equal(weft_store_view(a, NOW_MS, &va), 0);
	assert_int_equal(weft_store_view(b, NOW_MS, &vb), 0);
	for (weft_view_t *v = &va; v; v = v == &va ? &vb : NULL) {
		assert_int_equal(v->nmembers, 3);
		assert_int_equal(status_of(v, &node[0].pk), WEFT_MEMBER_ACTIVE);
		assert_int_equal(status_of(v, &node[1].pk), WEFT_MEMBER_ACTIVE);
		assert_int_equal(status_of(v, &node[2].pk), WEFT_MEMBER_OVERUSED);
		/* Over the invite's uses: no address. */
		assert_int_equal(weft_view_find(v, &node[2].pk)->address4.family, 0);
		assert_int_equal(weft_view_find(v, &node[1].pk)->address4.family, 4);
	}
	for (size_t i = 0; i < 3; i++) {
		assert_memory_equal(va.members[i].node_id.b, vb.members[i].node_id.b, 32);
		assert_int_equal(va.members[i].status, vb.members[i].status);
		assert_true(weft_ip_equal(&va.members[i].address4, &vb.members[i].address4));
	}
	weft_view_free(&va);
	weft_view_free(&vb);
	weft_store_free(a);
	weft_store_free(b);
	for (unsigned i = 0; i < 3; i++)
		free(m[i]);
	free(iv);
	free(net);
}

/* ---- a join time from before the invite existed ---- */

/* The joiner signs its own join time with the invite's key from its token,
 * so it could claim any time. One before the invite's creation (seconds,
 * against milliseconds) is refused in either arrival order, so it cannot
 * take an earlier place among the first N; at the creation second itself
 * it is accepted. */
static void test_backdated_join_refused(void **state)
{
	weft_store_t *s = new_store(), *t = new_store();
	weft_record_t *iv = rec(), *early = rec(), *edge = rec(), *honest = rec();
	weft_view_t v;

	(void)state;
	fx_invite(iv, &admin, &inv.pk, 1, CREATED_S);
	fx_member(early, &inv, &node[3].pk, CREATED_S * 1000 - 1);
	fx_member(edge, &inv, &node[4].pk, CREATED_S * 1000);
	fx_member(honest, &inv, &node[5].pk, CREATED_S * 1000 + 5000);

	/* Invite first: refused at once. */
	assert_int_equal(weft_store_merge(s, iv), WEFT_MERGE_ADDED);
	assert_int_equal(weft_store_merge(s, early), WEFT_ENORIGHT);
	assert_int_equal(weft_store_merge(s, honest), WEFT_MERGE_ADDED);
	assert_null(weft_store_get(s, WEFT_REC_MEMBER, node[3].pk.b));
	assert_int_equal(weft_store_view(s, NOW_MS, &v), 0);
	assert_int_equal(v.nmembers, 1);
	assert_int_equal(status_of(&v, &node[5].pk), WEFT_MEMBER_ACTIVE);
	weft_view_free(&v);

	/* Members first: they wait for the invite, then the backdated one is
	 * refused and the one at the creation second enters. */
	assert_int_equal(weft_store_merge(t, early), WEFT_MERGE_PENDING);
	assert_int_equal(weft_store_merge(t, edge), WEFT_MERGE_PENDING);
	assert_int_equal(weft_store_merge(t, honest), WEFT_MERGE_PENDING);
	assert_int_equal(weft_store_merge(t, iv), WEFT_MERGE_ADDED);
	assert_int_equal(weft_store_pending_count(t), 0);
	assert_null(weft_store_get(t, WEFT_REC_MEMBER, node[3].pk.b));
	assert_non_null(weft_store_get(t, WEFT_REC_MEMBER, node[4].pk.b));
	/* The 1-use invite goes to the earliest honest claim. */
	assert_int_equal(weft_store_view(t, NOW_MS, &v), 0);
	assert_int_equal(v.nmembers, 2);
	assert_int_equal(status_of(&v, &node[4].pk), WEFT_MEMBER_ACTIVE);
	assert_int_equal(status_of(&v, &node[5].pk), WEFT_MEMBER_OVERUSED);
	weft_view_free(&v);

	/* A member certified by the admin directly has no invite to bound it. */
	fx_member(early, &admin, &node[6].pk, 1);
	assert_int_equal(weft_store_merge(t, early), WEFT_MERGE_ADDED);
	weft_store_free(s);
	weft_store_free(t);
	free(iv);
	free(early);
	free(edge);
	free(honest);
}

/* ---- the admin roll-over limit on keyring epochs ---- */

static void fx_keyring(weft_record_t *r, const weft_keypair_t *signer, uint64_t epoch)
{
	fx_begin(r, WEFT_REC_KEYRING);
	r->u.keyring.epoch = epoch;
	r->u.keyring.grace_s = 3600;
	memset(r->u.keyring.key_hash, (int)(epoch & 0xff), sizeof(r->u.keyring.key_hash));
	fx_sign(r, signer);
}

/* The admin key rolls over at version ROLL_MS. Epochs are counted in
 * seconds (the CLI's max(last + 1, unix s); genesis is 1), so the old key
 * keeps its right to rings and shares of epochs up to the roll-over's
 * second and loses it after: a stolen old key cannot hand the network a
 * key of its own. Before this rule the limit compared the epoch with the
 * version in ms, and any epoch passed. Both arrival orders. */
static void test_keyring_roll_limit(void **state)
{
	const uint64_t roll_ms = CREATED_S * 1000 + 500;
	weft_record_t *roll = rec(), *gen = rec(), *before = rec(), *after = rec(), *share = rec(), *fresh = rec();
	const weft_record_t *held;
	weft_store_t *s = new_store(), *t = new_store();

	(void)state;
	fx_roll(roll, &admin, &admin2.pk, roll_ms);
	fx_keyring(gen, &admin, 1);
	fx_keyring(before, &admin, CREATED_S);    /* the roll-over's second */
	fx_keyring(after, &admin, CREATED_S + 1); /* signed by the old key later */
	fx_keyshare(share, &admin, &node[0].pk, CREATED_S + 1);
	fx_keyring(fresh, &admin2, CREATED_S + 2); /* the new key's next ring */

	/* Roll first. */
	assert_int_equal(weft_store_merge(s, roll), WEFT_MERGE_ADDED);
	assert_int_equal(weft_store_merge(s, gen), WEFT_MERGE_ADDED);
	assert_int_equal(weft_store_merge(s, before), WEFT_MERGE_REPLACED);
	assert_int_equal(weft_store_merge(s, after), WEFT_ENORIGHT);
	assert_int_equal(weft_store_merge(s, share), WEFT_ENORIGHT);
	held = weft_store_get(s, WEFT_REC_KEYRING, (const uint8_t[32]){ 0 });
	assert_non_null(held);
	assert_int_equal(held->u.keyring.epoch, CREATED_S);
	assert_int_equal(weft_store_merge(s, fresh), WEFT_MERGE_REPLACED);

	/* Roll last: the old key's ring past it is dropped when it comes,
	 * and the share with it. */
	assert_int_equal(weft_store_merge(t, after), WEFT_MERGE_ADDED);
	assert_int_equal(weft_store_merge(t, share), WEFT_MERGE_ADDED);
	assert_int_equal(weft_store_merge(t, roll), WEFT_MERGE_ADDED);
	assert_null(weft_store_get(t, WEFT_REC_KEYRING, (const uint8_t[32]){ 0 }));
	assert_null(weft_store_get(t, WEFT_REC_KEYSHARE, node[0].pk.b));
	assert_int_equal(weft_store_merge(t, before), WEFT_MERGE_ADDED);
	assert_int_equal(weft_store_merge(t, fresh), WEFT_MERGE_REPLACED);
	{
		uint8_t ds[32], dt[32];

		weft_store_digest(s, ds);
		weft_store_digest(t, dt);
		assert_memory_equal(ds, dt, 32);
	}
	weft_store_free(s);
	weft_store_free(t);
	free(roll);
	free(gen);
	free(before);
	free(after);
	free(share);
	free(fresh);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_n_after_partition),
		cmocka_unit_test(test_backdated_join_refused),
		cmocka_unit_test(test_keyring_roll_limit),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
