/* core/store: every merge rule (each test fails if its rule is missing), the
 * order-independence property over random permutations with duplicates,
 * clone independence and sharing, invite uses across a partition, the
 * view's statuses, names and addresses, and serialise/load. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/recpool.h" /* the map's internals, for test_hamt_model */
#include "tests/unit/store_fixture.h"
#include "core/vcache.h"

static weft_keypair_t admin, admin2, admin3, other_admin;
static weft_keypair_t inv[4];
static weft_keypair_t node[24];

/* Unix ms "now" for views, and invite creation times (s) before any roll. */
#define NOW_MS 1700000000000ull

static int group_setup(void **state)
{
	(void)state;
	if (weft_crypto_init())
		return -1;
	fx_key(&admin, FX_ADMIN, 1);
	fx_key(&admin2, FX_ADMIN, 2);
	fx_key(&admin3, FX_ADMIN, 3);
	fx_key(&other_admin, FX_OTHER, 1);
	for (unsigned i = 0; i < 4; i++)
		fx_key(&inv[i], FX_INVITE, i);
	for (unsigned i = 0; i < 24; i++)
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

/* A snapshot that any change to held records or the pending pool alters. */
struct snap {
	uint8_t digest[32];
	size_t count, pending;
	uint8_t *bytes;
	size_t len;
};

static void snap_take(const weft_store_t *s, struct snap *sn)
{
	weft_store_digest(s, sn->digest);
	sn->count = weft_store_count(s);
	sn->pending = weft_store_pending_count(s);
	assert_int_equal(weft_store_serialize(s, &sn->bytes, &sn->len), 0);
}

static void snap_same(const weft_store_t *s, struct snap *sn)
{
	struct snap now;

	snap_take(s, &now);
	assert_memory_equal(now.digest, sn->digest, 32);
	assert_int_equal(now.count, sn->count);
	assert_int_equal(now.pending, sn->pending);
	assert_int_equal(now.len, sn->len);
	assert_memory_equal(now.bytes, sn->bytes, sn->len);
	free(now.bytes);
	free(sn->bytes);
	sn->bytes = NULL;
}

static void hash_of(const weft_record_t *r, uint8_t h[32])
{
	weft_record_hash(r, h);
}

static bool holds(const weft_store_t *s, const weft_record_t *r)
{
	uint8_t subject[32], a[32], b[32];
	const weft_record_t *held;

	weft_record_subject(r, subject);
	held = weft_store_get(s, r->type, subject);
	if (!held)
		return false;
	hash_of(held, a);
	hash_of(r, b);
	return !memcmp(a, b, 32);
}

/* ---- signature ---- */

static void test_bad_signature(void **state)
{
	weft_vcache_t *c = weft_vcache_new(64);
	weft_store_t *s1 = new_store(), *s2 = weft_store_new(&admin.pk, c, NULL);
	weft_record_t *r = rec();
	struct snap sn;

	(void)state;
	fx_network(r, &admin, 1, "10.0.0.0/24");
	r->raw[r->raw_len - 1] ^= 0x01; /* last signature byte */
	snap_take(s1, &sn);
	assert_int_equal(weft_store_merge(s1, r), WEFT_EBADSIG);
	snap_same(s1, &sn);
	assert_int_equal(weft_store_merge(s2, r), WEFT_EBADSIG);
	assert_int_equal(weft_store_count(s2), 0);
	r->raw[r->raw_len - 1] ^= 0x01;
	assert_int_equal(weft_store_merge(s1, r), WEFT_MERGE_ADDED);
	assert_int_equal(weft_store_merge(s2, r), WEFT_MERGE_ADDED);
	weft_store_free(s1);
	weft_store_free(s2);
	weft_vcache_free(c);
	free(r);
}

/* The signature covers raw, not the struct: a body edited after signing is
 * not what the store keeps. */
static void test_struct_not_trusted(void **state)
{
	weft_store_t *s = new_store();
	weft_record_t *r = rec();
	const weft_record_t *held;

	(void)state;
	fx_network(r, &admin, 7, "10.0.0.0/24");
	r->u.network.version = 99;
	snprintf(r->u.network.name, sizeof(r->u.network.name), "forged");
	assert_int_equal(weft_store_merge(s, r), WEFT_MERGE_ADDED);
	held = weft_store_get(s, WEFT_REC_NETWORK, (uint8_t[32]){ 0 });
	assert_non_null(held);
	assert_int_equal(held->u.network.version, 7);
	assert_string_equal(held->u.network.name, "net7");
	weft_store_free(s);
	free(r);
}

/* ---- signer rights ---- */

static void test_admin_right(void **state)
{
	weft_store_t *s = new_store();
	weft_record_t *r = rec();
	struct snap sn;

	(void)state;
	/* Signed by a key that is not (yet) an admin: parked, not held. */
	fx_network(r, &other_admin, 5, "10.0.0.0/24");
	assert_int_equal(weft_store_merge(s, r), WEFT_MERGE_PENDING);
	assert_int_equal(weft_store_count(s), 0);
	assert_false(holds(s, r));
	assert_int_equal(weft_store_pending_count(s), 1);
	/* Admin types by a node key likewise. */
	fx_begin(r, WEFT_REC_REVOCATION);
	r->u.revocation.node_id = node[1].pk;
	fx_sign(r, &node[0]);
	assert_int_equal(weft_store_merge(s, r), WEFT_MERGE_PENDING);
	assert_false(weft_store_is_revoked(s, &node[1].pk));

	/* A member whose invite_pk is not its signer never has a right. */
	fx_invite(r, &admin, &inv[1].pk, 1, 0);
	assert_int_equal(weft_store_merge(s, r), WEFT_MERGE_ADDED);
	fx_begin(r, WEFT_REC_MEMBER);
	r->u.member.node_id = node[0].pk;
	r->u.member.invite_pk = inv[0].pk;
	r->u.member.join_time = 1;
	fx_sign(r, &inv[1]);
	snap_take(s, &sn);
	assert_int_equal(weft_store_merge(s, r), WEFT_ENORIGHT);
	snap_same(s, &sn);

	/* The genesis key has the right. */
	fx_network(r, &admin, 5, "10.0.0.0/24");
	assert_int_equal(weft_store_merge(s, r), WEFT_MERGE_ADDED);
	assert_true(holds(s, r));
	weft_store_free(s);
	free(r);
}

static void test_old_admin_limit(void **state)
{
	weft_store_t *s = new_store();
	weft_record_t *roll = rec(), *r = rec();
	struct snap sn;

	(void)state;
	fx_roll(roll, &admin, &admin2.pk, 1000);
	assert_int_equal(weft_store_merge(s, roll), WEFT_MERGE_ADDED);
	assert_memory_equal(weft_store_admin_key(s)->b, admin2.pk.b, 32);

	snap_take(s, &sn);
	fx_network(r, &admin, 1500, "10.0.0.0/24"); /* past the roll-over */
	assert_int_equal(weft_store_merge(s, r), WEFT_ENORIGHT);
	fx_invite(r, &admin, &inv[0].pk, 1, 2); /* created 2 s = 2000 ms > 1000 */
	assert_int_equal(weft_store_merge(s, r), WEFT_ENORIGHT);
	snap_same(s, &sn);

	fx_network(r, &admin, 900, "10.0.0.0/24");
	assert_int_equal(weft_store_merge(s, r), WEFT_MERGE_ADDED);
	fx_invite(r, &admin, &inv[0].pk, 1, 1); /* 1000 ms: at the limit */
	assert_int_equal(weft_store_merge(s, r), WEFT_MERGE_ADDED);
	fx_network(r, &admin2, 2000, "10.0.0.0/24");
	assert_int_equal(weft_store_merge(s, r), WEFT_MERGE_REPLACED);
	weft_store_free(s);

	/* The other order: the roll-over arrives after what the old key
	 * signed past it, which then goes. */
	s = new_store();
	fx_network(r, &admin, 1500, "10.0.0.0/24");
	assert_int_equal(weft_store_merge(s, r), WEFT_MERGE_ADDED);
	assert_int_equal(weft_store_merge(s, roll), WEFT_MERGE_ADDED);
	assert_false(holds(s, r));
	assert_int_equal(weft_store_count(s), 1);
	weft_store_free(s);
	free(roll);
	free(r);
}

static int count_cb_calls;
static void count_cb(void *ctx, const weft_record_t *r, weft_merge_result_t how)
{
	(void)ctx;
	(void)r;
	assert_true(how == WEFT_MERGE_ADDED || how == WEFT_MERGE_REPLACED);
	count_cb_calls++;
}

static void test_roll_chain(void **state)
{
	weft_store_t *s = new_store();
	weft_record_t *ab = rec(), *bc = rec(), *r = rec(), *loop = rec();

	(void)state;
	count_cb_calls = 0;
	weft_store_set_callback(s, count_cb, NULL);
	fx_roll(ab, &admin, &admin2.pk, 1000);
	fx_roll(bc, &admin2, &admin3.pk, 2000);
	fx_network(r, &admin3, 3000, "10.0.0.0/24");
	/* Out of order: C's record and B's roll-over wait for A's. */
	assert_int_equal(weft_store_merge(s, r), WEFT_MERGE_PENDING);
	assert_int_equal(weft_store_merge(s, bc), WEFT_MERGE_PENDING);
	assert_int_equal(count_cb_calls, 0);
	assert_int_equal(weft_store_merge(s, ab), WEFT_MERGE_ADDED);
	assert_int_equal(count_cb_calls, 3);
	assert_int_equal(weft_store_pending_count(s), 0);
	assert_true(holds(s, r));
	assert_true(holds(s, bc));
	assert_memory_equal(weft_store_admin_key(s)->b, admin3.pk.b, 32);
	/* A roll-over back to a key already in the chain would loop it. */
	fx_roll(loop, &admin3, &admin.pk, 4000);
	assert_int_equal(weft_store_merge(s, loop), WEFT_ENORIGHT);
	weft_store_free(s);
	free(ab);
	free(bc);
	free(r);
	free(loop);
}

static void test_member_rights(void **state)
{
	weft_store_t *s = new_store();
	weft_record_t *iv = rec(), *m = rec(), *st = rec(), *direct = rec();

	(void)state;
	count_cb_calls = 0;
	weft_store_set_callback(s, count_cb, NULL);
	fx_invite(iv, &admin, &inv[0].pk, 3, 0);
	fx_member(m, &inv[0], &node[0].pk, 100);
	fx_state(st, &node[0], 1, "n0");
	/* State before member, member before invite: both wait. */
	assert_int_equal(weft_store_merge(s, st), WEFT_MERGE_PENDING);
	assert_int_equal(weft_store_merge(s, m), WEFT_MERGE_PENDING);
	assert_int_equal(weft_store_merge(s, m), WEFT_EDUPLICATE);
	assert_int_equal(weft_store_pending_count(s), 2);
	assert_int_equal(weft_store_count(s), 0);
	assert_int_equal(weft_store_merge(s, iv), WEFT_MERGE_ADDED);
	assert_int_equal(weft_store_count(s), 3);
	assert_int_equal(weft_store_pending_count(s), 0);
	assert_int_equal(count_cb_calls, 3);
	assert_true(holds(s, m));
	assert_true(holds(s, st));
	/* An admin may certify a member directly. */
	fx_member(direct, &admin, &node[1].pk, 200);
	assert_int_equal(weft_store_merge(s, direct), WEFT_MERGE_ADDED);
	/* Node state needs its member: node 2 has none. */
	fx_state(st, &node[2], 1, "n2");
	assert_int_equal(weft_store_merge(s, st), WEFT_MERGE_PENDING);
	assert_false(holds(s, st));
	weft_store_free(s);
	free(iv);
	free(m);
	free(st);
	free(direct);
}

/* ---- versions and immutability ---- */

static void test_versions(void **state)
{
	weft_record_t *m = rec(), *v1 = rec(), *v2 = rec(), *x = rec(), *y = rec();
	weft_record_t *lo, *hi;
	uint8_t hx[32], hy[32];
	struct snap sn;

	(void)state;
	fx_member(m, &admin, &node[0].pk, 1);
	fx_state(v1, &node[0], 1, "one");
	fx_state(v2, &node[0], 2, "two");
	fx_state(x, &node[0], 3, "three-a");
	fx_state(y, &node[0], 3, "three-b");
	hash_of(x, hx);
	hash_of(y, hy);
	hi = memcmp(hx, hy, 32) > 0 ? x : y;
	lo = hi == x ? y : x;
	for (int order = 0; order < 2; order++) {
		weft_store_t *s = new_store();

		assert_int_equal(weft_store_merge(s, m), WEFT_MERGE_ADDED);
		assert_int_equal(weft_store_merge(s, order ? v2 : v1), WEFT_MERGE_ADDED);
		if (order) {
			snap_take(s, &sn);
			assert_int_equal(weft_store_merge(s, v1), WEFT_ESTALE);
			snap_same(s, &sn);
		} else {
			assert_int_equal(weft_store_merge(s, v2), WEFT_MERGE_REPLACED);
		}
		assert_true(holds(s, v2));
		assert_int_equal(weft_store_merge(s, v2), WEFT_EDUPLICATE);
		/* Equal versions: the higher record hash wins either way. */
		assert_int_equal(weft_store_merge(s, order ? hi : lo), WEFT_MERGE_REPLACED);
		assert_int_equal(weft_store_merge(s, order ? lo : hi), order ? WEFT_ESTALE : WEFT_MERGE_REPLACED);
		assert_true(holds(s, hi));
		weft_store_free(s);
	}
	free(m);
	free(v1);
	free(v2);
	free(x);
	free(y);
}

static void test_immutable(void **state)
{
	weft_record_t *a = rec(), *b = rec(), *win;
	uint8_t ha[32], hb[32];

	(void)state;
	/* One invite key, two certificates (an equivocating admin). */
	fx_invite(a, &admin, &inv[0].pk, 1, 0);
	fx_invite(b, &admin, &inv[0].pk, 5, 0);
	hash_of(a, ha);
	hash_of(b, hb);
	win = memcmp(ha, hb, 32) > 0 ? a : b;
	for (int order = 0; order < 2; order++) {
		weft_store_t *s = new_store();
		weft_record_t *first = order ? b : a, *second = order ? a : b;
		int ret;

		assert_int_equal(weft_store_merge(s, first), WEFT_MERGE_ADDED);
		ret = weft_store_merge(s, second);
		assert_int_equal(ret, second == win ? WEFT_MERGE_REPLACED : WEFT_ESTALE);
		assert_true(holds(s, win));
		assert_int_equal(weft_store_count(s), 1);
		weft_store_free(s);
	}
	free(a);
	free(b);
}

static void test_dns_tombstone(void **state)
{
	weft_record_t *e1 = rec(), *t2 = rec();

	(void)state;
	fx_dns(e1, &admin, "www", 1, "10.0.0.5", false);
	fx_dns(t2, &admin, "www", 2, "", true);
	for (int order = 0; order < 2; order++) {
		weft_store_t *s = new_store();

		weft_store_merge(s, order ? t2 : e1);
		weft_store_merge(s, order ? e1 : t2);
		assert_true(holds(s, t2));
		assert_int_equal(weft_store_count(s), 1);
		weft_store_free(s);
	}
	free(e1);
	free(t2);
}

/* ---- revocation ---- */

static void test_revocation(void **state)
{
	weft_store_t *s = new_store();
	weft_record_t *m = rec(), *st = rec(), *ov = rec(), *ks = rec(), *rv = rec(), *r = rec();
	uint8_t d_before[32], d_after[32];
	struct snap sn;

	(void)state;
	fx_member(m, &admin, &node[0].pk, 1);
	fx_state(st, &node[0], 1, "n0");
	fx_override_body(ov, &node[0].pk, 1);
	ov->u.override.set = WEFT_OVR_NAME;
	snprintf(ov->u.override.name, sizeof(ov->u.override.name), "boss");
	fx_sign(ov, &admin);
	fx_keyshare(ks, &admin, &node[0].pk, 1);
	fx_revocation(rv, &admin, &node[0].pk, 0);
	assert_int_equal(weft_store_merge(s, m), WEFT_MERGE_ADDED);
	assert_int_equal(weft_store_merge(s, st), WEFT_MERGE_ADDED);
	assert_int_equal(weft_store_merge(s, ov), WEFT_MERGE_ADDED);
	assert_int_equal(weft_store_merge(s, ks), WEFT_MERGE_ADDED);
	/* A parked state of another node that the revocation also covers. */
	fx_state(r, &node[1], 1, "n1");
	assert_int_equal(weft_store_merge(s, r), WEFT_MERGE_PENDING);
	assert_int_equal(weft_store_count(s), 4);
	weft_store_digest(s, d_before);

	assert_int_equal(weft_store_merge(s, rv), WEFT_MERGE_ADDED);
	assert_true(weft_store_is_revoked(s, &node[0].pk));
	assert_int_equal(weft_store_count(s), 2); /* member + revocation */
	assert_true(holds(s, m));
	assert_false(holds(s, st));
	assert_false(holds(s, ov));
	assert_false(holds(s, ks));
	weft_store_digest(s, d_after);
	assert_memory_not_equal(d_before, d_after, 32);

	/* Later records about it are refused and change nothing. */
	snap_take(s, &sn);
	fx_state(r, &node[0], 2, "n0");
	assert_int_equal(weft_store_merge(s, r), WEFT_EREVOKED);
	fx_override_body(r, &node[0].pk, 2);
	fx_sign(r, &admin);
	assert_int_equal(weft_store_merge(s, r), WEFT_EREVOKED);
	fx_keyshare(r, &admin, &node[0].pk, 2);
	assert_int_equal(weft_store_merge(s, r), WEFT_EREVOKED);
	snap_same(s, &sn);

	/* Revoking the parked node drops its parked state. */
	fx_revocation(r, &admin, &node[1].pk, 0);
	assert_int_equal(weft_store_pending_count(s), 1);
	assert_int_equal(weft_store_merge(s, r), WEFT_MERGE_ADDED);
	assert_int_equal(weft_store_pending_count(s), 0);
	/* Its member record still enters (uses stay counted). */
	fx_member(r, &admin, &node[1].pk, 5);
	assert_int_equal(weft_store_merge(s, r), WEFT_MERGE_ADDED);
	weft_store_free(s);
	free(m);
	free(st);
	free(ov);
	free(ks);
	free(rv);
	free(r);
}

/* ---- the pending pool ---- */

static void test_pending_bound(void **state)
{
	enum { N = WEFT_STORE_PENDING_MAX + 80 };
	weft_record_t *r = calloc(N, sizeof(*r));
	weft_store_t *a = new_store(), *b = new_store();
	uint8_t *ba, *bb;
	size_t la, lb;
	int full = 0;

	(void)state;
	assert_non_null(r);
	/* Node states of nodes with no member record: all must wait. */
	for (unsigned i = 0; i < N; i++) {
		weft_keypair_t k;

		fx_key(&k, FX_NODE, 1000 + i);
		fx_state(&r[i], &k, 1, "x");
	}
	for (unsigned i = 0; i < N; i++) {
		int ret = weft_store_merge(a, &r[i]);

		assert_true(ret == WEFT_MERGE_PENDING || ret == WEFT_EFULL);
		full += ret == WEFT_EFULL;
		weft_store_merge(b, &r[N - 1 - i]);
	}
	assert_true(full > 0);
	assert_int_equal(weft_store_pending_count(a), WEFT_STORE_PENDING_MAX);
	assert_int_equal(weft_store_pending_count(b), WEFT_STORE_PENDING_MAX);
	assert_int_equal(weft_store_count(a), 0);
	/* Eviction keeps the lowest hashes, so both orders keep the same. */
	assert_int_equal(weft_store_serialize(a, &ba, &la), 0);
	assert_int_equal(weft_store_serialize(b, &bb, &lb), 0);
	assert_int_equal(la, lb);
	assert_memory_equal(ba, bb, la);
	free(ba);
	free(bb);
	weft_store_free(a);
	weft_store_free(b);
	free(r);
}

static void test_pending_newest_state(void **state)
{
	weft_store_t *s = new_store();
	weft_record_t *r = rec(), *v3 = rec();

	(void)state;
	fx_state(v3, &node[0], 3, "three");
	for (unsigned v = 1; v <= 2; v++) {
		fx_state(r, &node[0], v, "old");
		assert_int_equal(weft_store_merge(s, r), WEFT_MERGE_PENDING);
	}
	assert_int_equal(weft_store_merge(s, v3), WEFT_MERGE_PENDING);
	assert_int_equal(weft_store_merge(s, r), WEFT_ESTALE);
	assert_int_equal(weft_store_pending_count(s), 1);
	fx_member(r, &admin, &node[0].pk, 1);
	assert_int_equal(weft_store_merge(s, r), WEFT_MERGE_ADDED);
	assert_true(holds(s, v3));
	weft_store_free(s);
	free(r);
	free(v3);
}

/* ---- network ---- */

static void test_other_network(void **state)
{
	weft_store_t *s = weft_store_new(&admin.pk, NULL, NULL);
	weft_record_t *r = rec();

	(void)state;
	/* Another network's settings: its admin is not in this chain, so
	 * they are never held (they wait, bounded, as a successor's would). */
	fx_network(r, &other_admin, 10, "10.9.0.0/16");
	assert_int_equal(weft_store_merge(s, r), WEFT_MERGE_PENDING);
	assert_null(weft_store_get(s, WEFT_REC_NETWORK, (uint8_t[32]){ 0 }));
	assert_memory_equal(weft_store_network_id(s)->b, admin.pk.b, 32);
	weft_store_free(s);
	free(r);
}

/* ---- digests ---- */

struct xor_ctx {
	uint8_t x[32];
	size_t n;
};

static int xor_fn(void *ctx, const weft_record_t *r)
{
	struct xor_ctx *c = ctx;
	uint8_t h[32];

	weft_record_hash(r, h);
	for (int i = 0; i < 32; i++)
		c->x[i] ^= h[i];
	c->n++;
	return 0;
}

static void check_digests(const weft_store_t *s)
{
	uint8_t d[32], b[WEFT_DIGEST_BUCKETS][32], x[32] = { 0 };
	struct xor_ctx c = { { 0 }, 0 };
	struct weft_store_entry_id ids[512];
	size_t total = 0;

	weft_store_digest(s, d);
	weft_store_bucket_digests(s, b);
	assert_int_equal(weft_store_foreach(s, 0, xor_fn, &c), weft_store_count(s));
	assert_memory_equal(c.x, d, 32);
	for (unsigned k = 0; k < WEFT_DIGEST_BUCKETS; k++) {
		uint8_t bx[32] = { 0 };
		size_t n = weft_store_bucket_entries(s, k, ids, 512);

		assert_int_equal(n, weft_store_bucket_size(s, k));
		for (size_t i = 0; i < n; i++) {
			const weft_record_t *r = weft_store_get_by_key(s, ids[i].key);
			uint8_t h[32];

			assert_non_null(r);
			weft_record_hash(r, h);
			assert_memory_equal(h, ids[i].hash, 8);
			assert_int_equal(weft_store_bucket_of(r), k);
			for (int j = 0; j < 32; j++)
				bx[j] ^= h[j];
			if (i)
				assert_true(memcmp(ids[i - 1].key, ids[i].key, 8) <= 0);
		}
		assert_memory_equal(bx, b[k], 32);
		for (int j = 0; j < 32; j++)
			x[j] ^= b[k][j];
		total += n;
	}
	assert_memory_equal(x, d, 32);
	assert_int_equal(total, weft_store_count(s));
}

static void test_digests(void **state)
{
	weft_store_t *s = new_store();
	weft_record_t *r = rec();
	struct weft_store_entry_id one;

	(void)state;
	check_digests(s);
	for (unsigned i = 0; i < 24; i++) {
		fx_member(r, &admin, &node[i].pk, i);
		assert_int_equal(weft_store_merge(s, r), WEFT_MERGE_ADDED);
		fx_state(r, &node[i], 1, "n");
		assert_int_equal(weft_store_merge(s, r), WEFT_MERGE_ADDED);
		check_digests(s);
	}
	fx_state(r, &node[3], 2, "n");
	assert_int_equal(weft_store_merge(s, r), WEFT_MERGE_REPLACED);
	fx_revocation(r, &admin, &node[4].pk, 0);
	assert_int_equal(weft_store_merge(s, r), WEFT_MERGE_ADDED);
	check_digests(s);
	/* cap limits what is written, not what is counted. */
	for (unsigned k = 0; k < WEFT_DIGEST_BUCKETS; k++)
		if (weft_store_bucket_size(s, k) > 1)
			assert_int_equal(weft_store_bucket_entries(s, k, &one, 1), 1);
	weft_store_free(s);
	free(r);
}

/* ---- clones ---- */

static void test_clone(void **state)
{
	enum { N = 600 };
	weft_recpool_t *pool = weft_recpool_new();
	weft_store_t *s = weft_store_new(&admin.pk, NULL, pool), *c, *cc;
	weft_record_t *r = rec(), *old = rec();
	uint8_t d0[32], d1[32], dc[32];
	size_t empty_clone, pooled;

	(void)state;
	c = weft_store_clone(s);
	empty_clone = weft_store_own_bytes(c);
	weft_store_free(c);
	for (unsigned i = 0; i < N; i++) {
		weft_keypair_t k;

		fx_key(&k, FX_NODE, 5000 + i);
		fx_member(r, &admin, &k.pk, i);
		assert_int_equal(weft_store_merge(s, r), WEFT_MERGE_ADDED);
		fx_state(r, &k, 1, "n");
		assert_int_equal(weft_store_merge(s, r), WEFT_MERGE_ADDED);
		if (i == 7)
			*old = *r;
	}
	weft_store_digest(s, d0);
	pooled = weft_recpool_count(pool);
	assert_int_equal(pooled, 2 * N);

	/* Sharing: a clone of a big store owns no more than one of an empty
	 * one, and adds nothing to the pool. */
	c = weft_store_clone(s);
	assert_int_equal(weft_store_own_bytes(c), empty_clone);
	assert_true(empty_clone <= 128);
	assert_int_equal(weft_recpool_count(pool), pooled);
	assert_int_equal(weft_store_count(c), 2 * N);

	/* Independence: changing the clone leaves the original alone. */
	{
		weft_keypair_t k;

		fx_key(&k, FX_NODE, 5007);
		fx_state(r, &k, 2, "changed");
	}
	assert_int_equal(weft_store_merge(c, r), WEFT_MERGE_REPLACED);
	weft_store_digest(s, d1);
	weft_store_digest(c, dc);
	assert_memory_equal(d0, d1, 32);
	assert_memory_not_equal(d0, dc, 32);
	assert_true(holds(s, old));
	assert_true(holds(c, r));
	assert_false(holds(c, old));
	/* One change copies a path and the digest block: a few KB at most. */
	assert_true(weft_store_own_bytes(c) < 4096);
	check_digests(s);
	check_digests(c);

	/* A clone of the clone, then the original goes first. */
	cc = weft_store_clone(c);
	weft_store_free(s);
	check_digests(c);
	check_digests(cc);
	weft_store_digest(cc, d1);
	assert_memory_equal(d1, dc, 32);
	weft_store_free(c);
	assert_true(holds(cc, r));
	weft_store_free(cc);
	assert_int_equal(weft_recpool_count(pool), 0);
	weft_recpool_free(pool);

	/* A private pool is shared with clones and outlives the original. */
	s = new_store();
	fx_member(r, &admin, &node[0].pk, 1);
	weft_store_merge(s, r);
	c = weft_store_clone(s);
	weft_store_free(s);
	assert_true(holds(c, r));
	weft_store_free(c);
	free(r);
	free(old);
}

/* ---- the view ---- */

static const struct weft_member_view *vfind(const weft_view_t *v, const weft_keypair_t *k)
{
	const struct weft_member_view *m = weft_view_find(v, &k->pk);

	assert_non_null(m);
	return m;
}

static void test_invite_partition(void **state)
{
	weft_store_t *a = new_store(), *b = new_store();
	weft_record_t *iv = rec(), *m1 = rec(), *m2 = rec(), *m3 = rec();
	weft_view_t va, vb;

	(void)state;
	fx_invite(iv, &admin, &inv[0].pk, 2, 0);
	fx_member(m1, &inv[0], &node[1].pk, 100);
	fx_member(m2, &inv[0], &node[2].pk, 300);
	fx_member(m3, &inv[0], &node[3].pk, 200);
	/* Side A admits 1 and 2, side B admits 1 and 3: each is within 2. */
	weft_store_merge(a, iv);
	weft_store_merge(a, m1);
	weft_store_merge(a, m2);
	weft_store_merge(b, iv);
	weft_store_merge(b, m3);
	weft_store_merge(b, m1);
	assert_int_equal(weft_store_view(a, NOW_MS, &va), 0);
	assert_int_equal(vfind(&va, &node[2])->status, WEFT_MEMBER_ACTIVE);
	weft_view_free(&va);
	/* They meet: both keep the first two by join time, 1 and 3. */
	weft_store_merge(a, m3);
	weft_store_merge(b, m2);
	assert_int_equal(weft_store_view(a, NOW_MS, &va), 0);
	assert_int_equal(weft_store_view(b, NOW_MS, &vb), 0);
	for (weft_view_t *v = &va; v; v = v == &va ? &vb : NULL) {
		assert_int_equal(v->nmembers, 3);
		assert_int_equal(vfind(v, &node[1])->status, WEFT_MEMBER_ACTIVE);
		assert_int_equal(vfind(v, &node[3])->status, WEFT_MEMBER_ACTIVE);
		assert_int_equal(vfind(v, &node[2])->status, WEFT_MEMBER_OVERUSED);
		/* Sorted by join time. */
		assert_memory_equal(v->members[0].node_id.b, node[1].pk.b, 32);
		assert_memory_equal(v->members[1].node_id.b, node[3].pk.b, 32);
	}
	weft_view_free(&va);
	weft_view_free(&vb);
	weft_store_free(a);
	weft_store_free(b);
	free(iv);
	free(m1);
	free(m2);
	free(m3);
}

static void merge_ok(weft_store_t *s, const weft_record_t *r)
{
	int ret = weft_store_merge(s, r);

	if (ret != WEFT_MERGE_ADDED && ret != WEFT_MERGE_REPLACED)
		fail_msg("merge of a %s record: %d (%s)", weft_rec_type_name(r->type), ret, weft_strerror(ret));
}

static void test_view_statuses(void **state)
{
	weft_store_t *s = new_store();
	weft_record_t *r = rec();
	weft_view_t v;
	const struct weft_member_view *m;
	weft_ip_t pin;

	(void)state;
	fx_network(r, &admin, 1, "10.0.0.0/24");
	merge_ok(s, r);
	/* inv0: 1 use, pinned name, address and tags, already expired. */
	fx_invite_body(r, &inv[0].pk, 1, 0); /* created at 0: every join time is after it */
	r->u.invite.expires = 20;
	snprintf(r->u.invite.name, sizeof(r->u.invite.name), "pinned");
	assert_int_equal(weft_ip_parse(&pin, "10.0.0.50"), 0);
	r->u.invite.address4 = pin;
	r->u.invite.ntags = 1;
	snprintf(r->u.invite.tags[0], sizeof(r->u.invite.tags[0]), "web");
	fx_sign(r, &admin);
	merge_ok(s, r);
	/* inv1: approval needed, 3 uses. */
	fx_invite_body(r, &inv[1].pk, 3, 0);
	r->u.invite.approval = true;
	fx_sign(r, &admin);
	merge_ok(s, r);

	fx_member(r, &inv[0], &node[0].pk, 10); /* active, from pins */
	merge_ok(s, r);
	fx_member(r, &inv[0], &node[1].pk, 20); /* over-used */
	merge_ok(s, r);
	fx_member(r, &inv[1], &node[2].pk, 30); /* pending approval */
	merge_ok(s, r);
	fx_member(r, &inv[1], &node[3].pk, 40); /* approved by override */
	merge_ok(s, r);
	fx_member(r, &admin, &node[4].pk, 50); /* expired by override */
	merge_ok(s, r);
	fx_member(r, &admin, &node[5].pk, 60); /* revoked */
	merge_ok(s, r);
	fx_member(r, &admin, &node[6].pk, 70); /* left */
	merge_ok(s, r);
	fx_member(r, &admin, &node[7].pk, 80); /* override name/tags/address */
	merge_ok(s, r);

	fx_state(r, &node[0], 1, "state-name");
	merge_ok(s, r);
	fx_state(r, &node[2], 1, "two");
	merge_ok(s, r);
	fx_override_body(r, &node[3].pk, 1);
	r->u.override.set = WEFT_OVR_APPROVED;
	r->u.override.approved = true;
	fx_sign(r, &admin);
	merge_ok(s, r);
	fx_override_body(r, &node[4].pk, 1);
	r->u.override.set = WEFT_OVR_EXPIRES;
	r->u.override.expires = NOW_MS / 1000;
	fx_sign(r, &admin);
	merge_ok(s, r);
	fx_revocation(r, &admin, &node[5].pk, 0);
	merge_ok(s, r);
	fx_state_body(r, &node[6], 1, "gone");
	r->u.node_state.flags = WEFT_NODE_LEFT;
	fx_sign(r, &node[6]);
	merge_ok(s, r);
	fx_state(r, &node[7], 1, "seven");
	merge_ok(s, r);
	fx_override_body(r, &node[7].pk, 1);
	r->u.override.set = WEFT_OVR_NAME | WEFT_OVR_TAGS | WEFT_OVR_ADDRESS4;
	snprintf(r->u.override.name, sizeof(r->u.override.name), "boss");
	r->u.override.ntags = 1;
	snprintf(r->u.override.tags[0], sizeof(r->u.override.tags[0]), "db");
	assert_int_equal(weft_ip_parse(&r->u.override.address4, "10.0.0.60"), 0);
	fx_sign(r, &admin);
	merge_ok(s, r);

	assert_int_equal(weft_store_view(s, NOW_MS, &v), 0);
	assert_non_null(v.network);
	assert_int_equal(v.nmembers, 8);
	for (size_t i = 1; i < v.nmembers; i++)
		assert_true(v.members[i - 1].join_time < v.members[i].join_time);
	/* The invite expired long ago: its member does not (only an
	 * override's expiry expires a member). */
	m = vfind(&v, &node[0]);
	assert_int_equal(m->status, WEFT_MEMBER_ACTIVE);
	assert_string_equal(m->name, "pinned");
	assert_int_equal(m->ntags, 1);
	assert_string_equal(m->tags[0], "web");
	assert_true(weft_ip_equal(&m->address4, &pin));
	assert_non_null(m->state);
	assert_int_equal(vfind(&v, &node[1])->status, WEFT_MEMBER_OVERUSED);
	assert_int_equal(vfind(&v, &node[1])->address4.family, 0);
	m = vfind(&v, &node[2]);
	assert_int_equal(m->status, WEFT_MEMBER_PENDING);
	assert_string_equal(m->name, "two");
	assert_int_equal(vfind(&v, &node[3])->status, WEFT_MEMBER_ACTIVE);
	m = vfind(&v, &node[4]);
	assert_int_equal(m->status, WEFT_MEMBER_EXPIRED);
	assert_int_equal(m->expires, NOW_MS / 1000);
	m = vfind(&v, &node[5]);
	assert_int_equal(m->status, WEFT_MEMBER_REVOKED);
	assert_null(m->state);
	/* A revoked member keeps its address reserved. */
	assert_int_equal(m->address4.family, 4);
	assert_int_equal(vfind(&v, &node[6])->status, WEFT_MEMBER_LEFT);
	m = vfind(&v, &node[7]);
	assert_int_equal(m->status, WEFT_MEMBER_ACTIVE);
	assert_string_equal(m->name, "boss");
	assert_string_equal(m->tags[0], "db");
	assert_int_equal(weft_ip_parse(&pin, "10.0.0.60"), 0);
	assert_true(weft_ip_equal(&m->address4, &pin));
	/* Every address held is distinct and inside the CIDR. */
	for (size_t i = 0; i < v.nmembers; i++) {
		if (v.members[i].status == WEFT_MEMBER_OVERUSED)
			continue;
		assert_true(weft_cidr_contains(&v.network->u.network.cidr4, &v.members[i].address4));
		for (size_t j = 0; j < i; j++)
			assert_false(weft_ip_equal(&v.members[i].address4, &v.members[j].address4));
	}
	assert_null(weft_view_find(&v, &admin.pk));
	weft_view_free(&v);

	/* A millisecond before the override's expiry it is still active. */
	assert_int_equal(weft_store_view(s, NOW_MS - 1, &v), 0);
	assert_int_equal(vfind(&v, &node[4])->status, WEFT_MEMBER_ACTIVE);
	weft_view_free(&v);
	weft_store_free(s);
	free(r);
}

static void fx_ext_client(weft_record_t *r, const char *name, uint64_t version, const weft_ip_t *a4, bool deleted)
{
	fx_begin(r, WEFT_REC_EXT_CLIENT);
	r->u.ext_client.version = version;
	snprintf(r->u.ext_client.name, sizeof(r->u.ext_client.name), "%s", name);
	r->u.ext_client.deleted = deleted;
	memset(r->u.ext_client.wg_pub.b, 0x11, sizeof(r->u.ext_client.wg_pub.b));
	r->u.ext_client.address4 = *a4;
	r->u.ext_client.gateway = node[0].pk;
	fx_sign(r, &admin);
}

/* A state record announcing node n's endpoints (given as text). */
static void state_eps(weft_record_t *r, int n, uint64_t version, const char *name, const char *const *eps)
{
	size_t k;

	fx_state_body(r, &node[n], version, name);
	for (k = 0; eps[k]; k++)
		assert_int_equal(weft_endpoint_parse(&r->u.node_state.endpoints[k], eps[k]), 0);
	r->u.node_state.nendpoints = (uint8_t)k;
	fx_sign(r, &node[n]);
}

/* Issue #22, attack 5: a member's own record takes another's name and
 * announces other members' addresses. The view gives each name and each
 * endpoint to the first claim (an admin's before a member's own, then view
 * order), and says who lost what to whom. Every store computes the same
 * whatever the arrival order. */
static void test_view_names_and_endpoints(void **state)
{
	static const char *const e0[] = { "198.51.100.10:51820", "192.168.1.10:51820", NULL };
	static const char *const e1[] = { "198.51.100.11:51820", "192.168.1.10:51820", NULL };
	/* Node 2 (joined later) claims node 0's public endpoint, node 1's
	 * address with another port, an address inside the network, and a
	 * LAN address node 0 has too (fine: another site's LAN). */
	static const char *const e2[] = { "198.51.100.10:51820", "198.51.100.11:40000", "10.0.0.9:51820",
					  "192.168.1.10:51820", NULL };
	weft_store_t *s = new_store(), *s2 = new_store();
	weft_record_t *recs[12];
	const struct weft_member_view *m;
	weft_view_t v, v2;
	size_t n = 0, i;

	(void)state;
	for (i = 0; i < 12; i++)
		recs[i] = rec();
	fx_network(recs[n++], &admin, 1, "10.0.0.0/24");
	for (i = 0; i < 4; i++)
		fx_member(recs[n++], &admin, &node[i].pk, 10 + i);
	state_eps(recs[n++], 0, 1, "alpha", e0);
	state_eps(recs[n++], 1, 1, "beta", e1);
	state_eps(recs[n++], 2, 1, "alpha", e2); /* takes node 0's name too */
	/* Node 3 is named "beta" by the admin (an override): that beats node
	 * 1's own choice, though node 1 joined first. */
	fx_state(recs[n++], &node[3], 1, "gamma");
	fx_override_body(recs[n], &node[3].pk, 1);
	recs[n]->u.override.set = WEFT_OVR_NAME;
	snprintf(recs[n]->u.override.name, sizeof(recs[n]->u.override.name), "beta");
	fx_sign(recs[n++], &admin);
	for (i = 0; i < n; i++)
		merge_ok(s, recs[i]);
	assert_int_equal(weft_store_view(s, NOW_MS, &v), 0);

	m = vfind(&v, &node[0]);
	assert_string_equal(m->name, "alpha");
	assert_string_equal(m->name_lost, "");
	assert_int_equal(m->ep_ignored, 0);
	m = vfind(&v, &node[2]);
	assert_string_equal(m->name, "");
	assert_string_equal(m->name_lost, "alpha");
	assert_memory_equal(m->name_holder.b, node[0].pk.b, WEFT_PK_LEN);
	/* Node 0's public endpoint and the address inside the network are
	 * ignored; node 1's address on another port and the LAN address are
	 * not anyone else's. */
	assert_int_equal(m->ep_ignored, 0x1 | 0x4);
	assert_memory_equal(m->ep_holder.b, node[0].pk.b, WEFT_PK_LEN);
	m = vfind(&v, &node[3]);
	assert_string_equal(m->name, "beta");
	m = vfind(&v, &node[1]);
	assert_string_equal(m->name, "");
	assert_string_equal(m->name_lost, "beta");
	assert_memory_equal(m->name_holder.b, node[3].pk.b, WEFT_PK_LEN);
	assert_int_equal(m->ep_ignored, 0);

	/* The same records backwards: the same view. */
	for (i = n; i-- > 0;) {
		int ret = weft_store_merge(s2, recs[i]);

		assert_true(ret == WEFT_MERGE_ADDED || ret == WEFT_MERGE_PENDING);
	}
	assert_int_equal(weft_store_view(s2, NOW_MS, &v2), 0);
	for (i = 0; i < v.nmembers; i++) {
		assert_string_equal(v.members[i].name, v2.members[i].name);
		assert_string_equal(v.members[i].name_lost, v2.members[i].name_lost);
		assert_int_equal(v.members[i].ep_ignored, v2.members[i].ep_ignored);
	}
	weft_view_free(&v2);
	weft_view_free(&v);

	/* A revoked member holds no name: node 0 revoked, node 2 gets it. */
	fx_revocation(recs[0], &admin, &node[0].pk, 0);
	merge_ok(s, recs[0]);
	assert_int_equal(weft_store_view(s, NOW_MS, &v), 0);
	m = vfind(&v, &node[2]);
	assert_string_equal(m->name, "alpha");
	assert_string_equal(m->name_lost, "");
	assert_int_equal(m->ep_ignored, 0x4); /* still inside the network */
	weft_view_free(&v);
	for (i = 0; i < 12; i++)
		free(recs[i]);
	weft_store_free(s);
	weft_store_free(s2);
}

/* A live external client's address is never a member's by hash (it would
 * be dropped, mesh/extclient.c); a deleted one's is free again, and a pin
 * still wins it. Every node computes the same whatever the arrival order. */
static void test_view_ext_clients(void **state)
{
	weft_store_t *s = new_store(), *s2 = new_store();
	weft_record_t *r = rec(), *recs[8];
	weft_view_t v, v2;
	weft_ip_t a0, a1, a2;
	size_t n = 0, i;

	(void)state;
	fx_network(r, &admin, 1, "10.0.0.0/24");
	merge_ok(s, r);
	for (i = 0; i < 3; i++) {
		fx_member(r, &admin, &node[i].pk, 10 + i);
		merge_ok(s, r);
	}
	assert_int_equal(weft_store_view(s, NOW_MS, &v), 0);
	a0 = vfind(&v, &node[0])->address4;
	a1 = vfind(&v, &node[1])->address4;
	a2 = vfind(&v, &node[2])->address4;
	assert_int_equal(a0.family, 4);
	weft_view_free(&v);

	/* "phone" holds node 0's address, "old" (deleted) node 1's. */
	fx_ext_client(r, "phone", 1, &a0, false);
	merge_ok(s, r);
	fx_ext_client(r, "old", 2, &a1, true);
	merge_ok(s, r);
	assert_int_equal(weft_store_view(s, NOW_MS, &v), 0);
	assert_false(weft_ip_equal(&vfind(&v, &node[0])->address4, &a0));
	assert_true(weft_cidr_contains(&v.network->u.network.cidr4, &vfind(&v, &node[0])->address4));
	assert_true(weft_ip_equal(&vfind(&v, &node[1])->address4, &a1));
	assert_true(weft_ip_equal(&vfind(&v, &node[2])->address4, &a2));
	for (i = 0; i < v.nmembers; i++)
		assert_false(weft_ip_equal(&v.members[i].address4, &a0));

	/* The same records in the reverse order give the same view. */
	n = 0;
	for (i = 0; i < 8; i++)
		recs[i] = rec();
	fx_ext_client(recs[n++], "old", 2, &a1, true);
	fx_ext_client(recs[n++], "phone", 1, &a0, false);
	for (i = 3; i-- > 0;)
		fx_member(recs[n++], &admin, &node[i].pk, 10 + i);
	fx_network(recs[n++], &admin, 1, "10.0.0.0/24");
	for (i = 0; i < n; i++) {
		int ret = weft_store_merge(s2, recs[i]);

		assert_true(ret == WEFT_MERGE_ADDED || ret == WEFT_MERGE_PENDING);
	}
	assert_int_equal(weft_store_view(s2, NOW_MS, &v2), 0);
	assert_int_equal(v2.nmembers, 3);
	for (i = 0; i < 3; i++)
		assert_true(weft_ip_equal(&v.members[i].address4, &v2.members[i].address4));
	weft_view_free(&v2);
	weft_view_free(&v);

	/* An admin's pin on the client's address still wins it. */
	fx_override_body(r, &node[2].pk, 1);
	r->u.override.set = WEFT_OVR_ADDRESS4;
	r->u.override.address4 = a0;
	fx_sign(r, &admin);
	merge_ok(s, r);
	assert_int_equal(weft_store_view(s, NOW_MS, &v), 0);
	assert_true(weft_ip_equal(&vfind(&v, &node[2])->address4, &a0));
	assert_false(weft_ip_equal(&vfind(&v, &node[0])->address4, &a0));
	weft_view_free(&v);
	/* Deleting the client frees its address for node 0's hash again. */
	fx_ext_client(r, "phone", 3, &a0, true);
	merge_ok(s, r);
	fx_override_body(r, &node[2].pk, 2);
	fx_sign(r, &admin);
	merge_ok(s, r);
	assert_int_equal(weft_store_view(s, NOW_MS, &v), 0);
	assert_true(weft_ip_equal(&vfind(&v, &node[0])->address4, &a0));
	weft_view_free(&v);
	for (i = 0; i < 8; i++)
		free(recs[i]);
	weft_store_free(s2);
	weft_store_free(s);
	free(r);
}

/* ---- serialise and load ---- */

static void test_serialize(void **state)
{
	weft_store_t *a = new_store(), *b = new_store(), *c;
	weft_record_t *set = calloc(12, sizeof(*set));
	uint8_t *ba, *bb, da[32], db[32], *bad;
	const char *why;
	size_t la, lb, n = 0;

	(void)state;
	assert_non_null(set);
	fx_roll(&set[n++], &admin, &admin2.pk, 1000);
	fx_network(&set[n++], &admin2, 2000, "10.0.0.0/24");
	fx_invite(&set[n++], &admin2, &inv[0].pk, 2, 0);
	fx_member(&set[n++], &inv[0], &node[0].pk, 5);
	fx_state(&set[n++], &node[0], 3, "zero");
	fx_member(&set[n++], &admin2, &node[1].pk, 6);
	fx_dns(&set[n++], &admin2, "www", 1, "10.0.0.9", false);
	fx_state(&set[n++], &node[9], 1, "parked"); /* stays pending */
	for (size_t i = 0; i < n; i++) {
		weft_store_merge(a, &set[i]);
		weft_store_merge(b, &set[n - 1 - i]);
	}
	assert_int_equal(weft_store_pending_count(a), 1);
	/* Equal content gives equal bytes, whatever the arrival order. */
	assert_int_equal(weft_store_serialize(a, &ba, &la), 0);
	assert_int_equal(weft_store_serialize(b, &bb, &lb), 0);
	assert_int_equal(la, lb);
	assert_memory_equal(ba, bb, la);
	free(bb);

	c = new_store();
	why = NULL;
	assert_int_equal(weft_store_load(c, ba, la, &why), 0);
	weft_store_digest(a, da);
	weft_store_digest(c, db);
	assert_memory_equal(da, db, 32);
	assert_int_equal(weft_store_count(c), weft_store_count(a));
	assert_int_equal(weft_store_pending_count(c), 1);
	assert_int_equal(weft_store_serialize(c, &bb, &lb), 0);
	assert_int_equal(lb, la);
	assert_memory_equal(ba, bb, la);
	free(bb);
	check_digests(c);
	weft_store_free(c);

	/* Any cut leaves an empty store empty. */
	for (size_t cut = 0; cut < la; cut++) {
		c = new_store();
		why = NULL;
		assert_true(weft_store_load(c, ba, cut, &why) < 0);
		assert_non_null(why);
		assert_int_equal(weft_store_count(c), 0);
		assert_int_equal(weft_store_pending_count(c), 0);
		weft_store_free(c);
	}
	/* A bad record anywhere leaves a store as it was, even one that had
	 * records already (flip the last signature byte of the last held
	 * record, which the load reaches after merging the others). */
	bad = malloc(la + 1);
	assert_non_null(bad);
	memcpy(bad, ba, la);
	{
		weft_store_t *d = new_store();
		struct snap sn;
		size_t off = 0;
		/* Find set[4]'s bytes (the node state) inside the file. */
		for (off = 0; off + set[4].raw_len <= la; off++)
			if (!memcmp(bad + off, set[4].raw, set[4].raw_len))
				break;
		assert_true(off + set[4].raw_len <= la);
		bad[off + set[4].raw_len - 1] ^= 0x80;
		weft_store_merge(d, &set[0]);
		weft_store_merge(d, &set[1]);
		snap_take(d, &sn);
		why = NULL;
		assert_int_equal(weft_store_load(d, bad, la, &why), WEFT_EBADSIG);
		assert_non_null(why);
		snap_same(d, &sn);
		/* Trailing garbage is refused too. */
		memcpy(bad, ba, la);
		bad[la] = 0xc0;
		snap_take(d, &sn);
		assert_int_equal(weft_store_load(d, bad, la + 1, &why), WEFT_ETRAILING);
		snap_same(d, &sn);
		weft_store_free(d);
	}
	free(bad);
	free(ba);
	weft_store_free(a);
	weft_store_free(b);
	free(set);
}

static void test_merge_bytes(void **state)
{
	weft_store_t *s = new_store();
	weft_record_t *r = rec();
	const char *why = NULL;

	(void)state;
	fx_network(r, &admin, 1, "10.0.0.0/24");
	assert_true(weft_store_merge_bytes(s, r->raw, r->raw_len - 1, &why) < 0);
	assert_non_null(why);
	assert_int_equal(weft_store_count(s), 0);
	assert_int_equal(weft_store_merge_bytes(s, r->raw, r->raw_len, &why), WEFT_MERGE_ADDED);
	assert_int_equal(weft_store_merge_bytes(s, r->raw, r->raw_len, &why), WEFT_EDUPLICATE);
	weft_store_free(s);
	free(r);
}

/* ---- the property: any order, with duplicates, gives one state ---- */

struct pset {
	weft_record_t *r;
	size_t n;
};

static void pset_add(struct pset *p, const weft_record_t *r)
{
	p->r[p->n++] = *r;
}

/* Every kind of record, including superseded versions, equivocation, a
 * roll-over with records by both keys, a revocation and a DNS tombstone. */
static void build_property_set(struct pset *p)
{
	weft_record_t *r = rec();
	const uint64_t roll_v = 5000000; /* ms */

	p->r = calloc(128, sizeof(*p->r));
	assert_non_null(p->r);
	p->n = 0;
	fx_roll(r, &admin, &admin2.pk, roll_v);
	pset_add(p, r);
	fx_network(r, &admin, 100, "10.1.0.0/24");
	pset_add(p, r);
	fx_network(r, &admin, 200, "10.2.0.0/24");
	pset_add(p, r);
	fx_network(r, &admin2, roll_v + 10, "10.3.0.0/24");
	pset_add(p, r);
	/* inv0: 2 uses, 4 joiners; inv1: 1 use with approval; inv2 by the
	 * new key, 3 uses. */
	fx_invite(r, &admin, &inv[0].pk, 2, 1);
	pset_add(p, r);
	fx_invite_body(r, &inv[1].pk, 1, 2);
	r->u.invite.approval = true;
	fx_sign(r, &admin);
	pset_add(p, r);
	fx_invite(r, &admin2, &inv[2].pk, 3, 9000);
	pset_add(p, r);
	for (unsigned i = 0; i < 4; i++) {
		/* Node 2 (revoked later) still takes one of the two uses;
		 * nodes 1 and 3 tie on join time and are both over. */
		static const uint64_t join[4] = { 1100, 1300, 1050, 1300 }; /* inv0 created at 1 s */

		fx_member(r, &inv[0], &node[i].pk, join[i]);
		pset_add(p, r);
	}
	fx_member(r, &inv[1], &node[4].pk, 2050); /* inv1 created at 2 s */
	pset_add(p, r);
	fx_member(r, &inv[1], &node[5].pk, 2060);
	pset_add(p, r);
	fx_member(r, &inv[2], &node[6].pk, 9000070); /* inv2 created at 9,000 s */
	pset_add(p, r);
	fx_member(r, &inv[2], &node[7].pk, 9000070);
	pset_add(p, r);
	fx_member(r, &admin2, &node[8].pk, 80); /* certified by the new key */
	pset_add(p, r);
	for (unsigned i = 0; i < 9; i++) {
		for (unsigned v = 1; v <= 3; v++) {
			char name[16];

			snprintf(name, sizeof(name), "n%u-v%u", i, v);
			fx_state_body(r, &node[i], v, name);
			if (i == 6 && v == 3)
				r->u.node_state.flags = WEFT_NODE_LEFT;
			fx_sign(r, &node[i]);
			pset_add(p, r);
		}
	}
	/* Equivocation: two different v3 states of node 1. */
	fx_state(r, &node[1], 3, "n1-v3-other");
	pset_add(p, r);
	/* Overrides: names, tags, approval, expiry, addresses; two versions. */
	fx_override_body(r, &node[4].pk, 10);
	r->u.override.set = WEFT_OVR_APPROVED;
	r->u.override.approved = true;
	fx_sign(r, &admin);
	pset_add(p, r);
	fx_override_body(r, &node[0].pk, 10);
	r->u.override.set = WEFT_OVR_NAME;
	snprintf(r->u.override.name, sizeof(r->u.override.name), "first");
	fx_sign(r, &admin);
	pset_add(p, r);
	fx_override_body(r, &node[0].pk, roll_v + 20);
	r->u.override.set = WEFT_OVR_NAME | WEFT_OVR_TAGS | WEFT_OVR_ADDRESS4;
	snprintf(r->u.override.name, sizeof(r->u.override.name), "second");
	r->u.override.ntags = 1;
	snprintf(r->u.override.tags[0], sizeof(r->u.override.tags[0]), "db");
	assert_int_equal(weft_ip_parse(&r->u.override.address4, "10.3.0.77"), 0);
	fx_sign(r, &admin2);
	pset_add(p, r);
	fx_override_body(r, &node[7].pk, 11);
	r->u.override.set = WEFT_OVR_EXPIRES;
	r->u.override.expires = NOW_MS / 1000 - 1;
	fx_sign(r, &admin);
	pset_add(p, r);
	fx_override_body(r, &node[2].pk, 12);
	r->u.override.set = WEFT_OVR_NAME;
	snprintf(r->u.override.name, sizeof(r->u.override.name), "two");
	fx_sign(r, &admin);
	pset_add(p, r);
	fx_keyshare(r, &admin, &node[2].pk, 1);
	pset_add(p, r);
	fx_keyshare(r, &admin2, &node[3].pk, 2);
	pset_add(p, r);
	/* Node 2 is revoked: its state, override and key share must go. */
	fx_revocation(r, &admin, &node[2].pk, 3);
	pset_add(p, r);
	fx_dns(r, &admin, "www", 1, "10.1.0.5", false);
	pset_add(p, r);
	fx_dns(r, &admin2, "www", roll_v + 30, "", true);
	pset_add(p, r);
	fx_dns(r, &admin, "db", 1, "10.1.0.6", false);
	pset_add(p, r);
	free(r);
}

static void view_same(const weft_view_t *a, const weft_view_t *b)
{
	uint8_t ha[32], hb[32];

	assert_int_equal(a->nmembers, b->nmembers);
	assert_true((a->network == NULL) == (b->network == NULL));
	if (a->network) {
		hash_of(a->network, ha);
		hash_of(b->network, hb);
		assert_memory_equal(ha, hb, 32);
	}
	for (size_t i = 0; i < a->nmembers; i++) {
		const struct weft_member_view *x = &a->members[i], *y = &b->members[i];

		assert_memory_equal(x->node_id.b, y->node_id.b, 32);
		assert_int_equal(x->status, y->status);
		assert_int_equal(x->join_time, y->join_time);
		assert_string_equal(x->name, y->name);
		assert_int_equal(x->ntags, y->ntags);
		for (unsigned t = 0; t < x->ntags; t++)
			assert_string_equal(x->tags[t], y->tags[t]);
		assert_true(weft_ip_equal(&x->address4, &y->address4));
		assert_true(weft_ip_equal(&x->address6, &y->address6));
		assert_int_equal(x->expires, y->expires);
		assert_true((x->state == NULL) == (y->state == NULL));
		if (x->state) {
			hash_of(x->state, ha);
			hash_of(y->state, hb);
			assert_memory_equal(ha, hb, 32);
		}
		assert_true((x->override == NULL) == (y->override == NULL));
	}
}

static void test_property_permutations(void **state)
{
	struct pset p;
	weft_vcache_t *cache = weft_vcache_new(1024);
	weft_recpool_t *pool = weft_recpool_new();
	weft_store_t *ref;
	weft_view_t vref;
	uint8_t dref[32];
	uint64_t seed = 0x5eedf00dull ^ (uint64_t)(uintptr_t)&p % 7919, rng;
	const char *env = getenv("WEFT_TEST_SEED");
	size_t *order;

	(void)state;
	if (env)
		seed = strtoull(env, NULL, 0);
	print_message("# property seed %" PRIu64 " (set WEFT_TEST_SEED to replay)\n", seed);
	build_property_set(&p);
	order = malloc(3 * p.n * sizeof(*order));
	assert_non_null(order);

	/* Reference: in dependency order, no duplicates. */
	ref = weft_store_new(&admin.pk, cache, pool);
	for (size_t i = 0; i < p.n; i++)
		weft_store_merge(ref, &p.r[i]);
	assert_int_equal(weft_store_pending_count(ref), 0);
	weft_store_digest(ref, dref);
	check_digests(ref);
	assert_int_equal(weft_store_view(ref, NOW_MS, &vref), 0);
	/* What the set must come to, spelled out once. */
	assert_true(weft_store_is_revoked(ref, &node[2].pk));
	assert_memory_equal(weft_store_admin_key(ref)->b, admin2.pk.b, 32);
	assert_int_equal(vref.nmembers, 9);
	assert_int_equal(vfind(&vref, &node[0])->status, WEFT_MEMBER_ACTIVE);
	assert_string_equal(vfind(&vref, &node[0])->name, "second");
	assert_int_equal(vfind(&vref, &node[1])->status, WEFT_MEMBER_OVERUSED);
	assert_int_equal(vfind(&vref, &node[2])->status, WEFT_MEMBER_REVOKED);
	assert_int_equal(vfind(&vref, &node[3])->status, WEFT_MEMBER_OVERUSED);
	assert_int_equal(vfind(&vref, &node[4])->status, WEFT_MEMBER_ACTIVE);
	assert_int_equal(vfind(&vref, &node[5])->status, WEFT_MEMBER_OVERUSED);
	assert_int_equal(vfind(&vref, &node[6])->status, WEFT_MEMBER_LEFT);
	assert_int_equal(vfind(&vref, &node[7])->status, WEFT_MEMBER_EXPIRED);
	assert_int_equal(vfind(&vref, &node[8])->status, WEFT_MEMBER_ACTIVE);
	/* roll, network, 3 invites, 9 members, 8 states, 3 overrides, 1 key
	 * share, the revocation, 2 DNS entries */
	assert_int_equal(weft_store_count(ref), 29);

	for (unsigned round = 0; round < 300; round++) {
		uint64_t rseed = seed + round;
		weft_store_t *s = round % 3 == 0 ? weft_store_new(&admin.pk, NULL, NULL)
						 : weft_store_new(&admin.pk, cache, pool);
		size_t n = 0;
		uint8_t d[32];
		weft_view_t v;

		rng = rseed;
		/* Every record once, plus a random third of them again. */
		for (size_t i = 0; i < p.n; i++) {
			order[n++] = i;
			if (fx_rand(&rng) % 3 == 0)
				order[n++] = i;
		}
		for (size_t i = n - 1; i > 0; i--) {
			size_t j = (size_t)(fx_rand(&rng) % (i + 1)), t = order[i];

			order[i] = order[j];
			order[j] = t;
		}
		for (size_t i = 0; i < n; i++) {
			const weft_record_t *r = &p.r[order[i]];
			int ret = fx_rand(&rng) & 1 ? weft_store_merge(s, r)
						    : weft_store_merge_bytes(s, r->raw, r->raw_len, NULL);

			if (ret == WEFT_EBADSIG || ret == WEFT_EFULL || ret == -ENOMEM) {
				print_message("seed %" PRIu64 ": merge %zu gave %s\n", rseed, i, weft_strerror(ret));
				fail();
			}
		}
		weft_store_digest(s, d);
		if (memcmp(d, dref, 32) || weft_store_pending_count(s) != 0) {
			print_message("property failed: WEFT_TEST_SEED=%" PRIu64 " (round %u)\n", seed, round);
			fail();
		}
		assert_int_equal(weft_store_view(s, NOW_MS, &v), 0);
		view_same(&vref, &v);
		weft_view_free(&v);
		weft_store_free(s);
	}
	weft_view_free(&vref);
	weft_store_free(ref);
	weft_recpool_free(pool);
	weft_vcache_free(cache);
	free(order);
	free(p.r);
}

/* ---- the map itself, with keys chosen to share long prefixes and to
 * collide on all 64 bits (which real keys almost never do) ---- */

struct model {
	uint64_t k;
	uint8_t subj;
	bool present;
	struct weft_recent *e;
};

static void hamt_fill_id(struct weft_recid *id, uint64_t k, uint8_t subj, uint32_t version)
{
	memset(id, 0, sizeof(*id));
	id->k = k;
	for (int i = 0; i < 8; i++)
		id->key[i] = (uint8_t)(k >> (56 - 8 * i));
	id->subject[0] = subj;
	memcpy(id->hash, &version, sizeof(version));
	memcpy(id->hash + 8, &k, sizeof(k));
	id->hash[16] = subj;
}

struct visit {
	size_t n;
	uint64_t last;
};

static int visit_fn(void *ctx, struct weft_recent *e)
{
	struct visit *v = ctx;

	assert_true(v->n == 0 || e->id.k >= v->last);
	v->last = e->id.k;
	v->n++;
	return 0;
}

static void test_hamt_model(void **state)
{
	enum { NK = 96 };
	weft_recpool_t *pool = weft_recpool_new();
	weft_record_t *r = rec();
	struct model m[NK], at_snapshot[NK];
	void *root = NULL, *snapshot;
	uint64_t rng = 42;
	size_t live = 0;

	(void)state;
	r->type = WEFT_REC_DNS;
	for (unsigned i = 0; i < NK; i++) {
		/* Three families: random keys, keys equal but for the last bits,
		 * and exact 64-bit collisions told apart by subject. */
		uint64_t base = 0xabcdef0123456789ull;

		m[i].k = i < 32 ? fx_rand(&rng) : i < 64 ? base ^ (i & 31) : base;
		m[i].subj = (uint8_t)i;
		m[i].present = false;
		m[i].e = NULL;
	}
	snapshot = NULL;
	for (unsigned step = 0; step < 20000; step++) {
		unsigned i = (unsigned)(fx_rand(&rng) % NK);
		struct weft_recid id;
		struct weft_recent *e, *old;

		hamt_fill_id(&id, m[i].k, m[i].subj, step);
		if (step == 10000) {
			/* Share everything, then keep changing one side. */
			weft_hamt_ref(root);
			snapshot = root;
			memcpy(at_snapshot, m, sizeof(m));
		}
		if (fx_rand(&rng) % 3) {
			e = weft_recpool_intern(pool, r, &id);
			assert_non_null(e);
			assert_int_equal(weft_hamt_put(&root, e, &old), 0);
			assert_true(old == m[i].e);
			if (old)
				weft_recpool_unref(pool, old);
			else
				live++;
			m[i].e = e;
			m[i].present = true;
		} else {
			assert_int_equal(weft_hamt_remove(&root, &id, WEFT_REC_DNS, &old), 0);
			assert_true(old == m[i].e);
			if (old) {
				weft_recpool_unref(pool, old);
				live--;
			}
			m[i].e = NULL;
			m[i].present = false;
		}
		if (step % 97 == 0) {
			struct visit v = { 0, 0 };

			for (unsigned j = 0; j < NK; j++) {
				hamt_fill_id(&id, m[j].k, m[j].subj, 0);
				assert_true(weft_hamt_find(root, &id, WEFT_REC_DNS) == m[j].e);
				if (m[j].e)
					assert_non_null(weft_hamt_find_key(root, m[j].k));
			}
			assert_int_equal(weft_hamt_foreach(root, -1, visit_fn, &v), live);
		}
	}
	/* The shared copy still reads as it was when it was taken. */
	for (unsigned j = 0; j < NK; j++) {
		struct weft_recid id;

		hamt_fill_id(&id, m[j].k, m[j].subj, 0);
		assert_true(weft_hamt_find(snapshot, &id, WEFT_REC_DNS) == at_snapshot[j].e);
	}
	weft_hamt_unref(snapshot, pool);
	weft_hamt_unref(root, pool);
	assert_int_equal(weft_recpool_count(pool), 0);
	weft_recpool_free(pool);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_signature),
		cmocka_unit_test(test_struct_not_trusted),
		cmocka_unit_test(test_admin_right),
		cmocka_unit_test(test_old_admin_limit),
		cmocka_unit_test(test_roll_chain),
		cmocka_unit_test(test_member_rights),
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_immutable),
		cmocka_unit_test(test_dns_tombstone),
		cmocka_unit_test(test_revocation),
		cmocka_unit_test(test_pending_bound),
		cmocka_unit_test(test_pending_newest_state),
		cmocka_unit_test(test_other_network),
		cmocka_unit_test(test_digests),
		cmocka_unit_test(test_clone),
		cmocka_unit_test(test_invite_partition),
		cmocka_unit_test(test_view_statuses),
		cmocka_unit_test(test_view_ext_clients),
		cmocka_unit_test(test_view_names_and_endpoints),
		cmocka_unit_test(test_serialize),
		cmocka_unit_test(test_merge_bytes),
		cmocka_unit_test(test_property_permutations),
		cmocka_unit_test(test_hamt_model),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
