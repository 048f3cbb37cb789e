/* Tests of the verification cache: hits and misses counted exactly, bad
 * signatures never cached, a forged signature on a cached body refused, the
 * least recently used entry of a full window evicted, and the same inputs
 * giving the same outcome in two caches. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "core/error.h"
#include "core/vcache.h"

#include "../fuzz/record-samples.h"

#define NRECORDS 300

static weft_record_t records[NRECORDS];

/* Distinct node states (version i), signed once for the whole program. */
static int setup(void **state)
{
	weft_keypair_t node;
	unsigned i;

	if (weft_crypto_init())
		return -1;
	sample_keypair(&node, SAMPLE_NODE);
	for (i = 0; i < NRECORDS; i++) {
		sample_record(&records[i], WEFT_REC_NODE_STATE, false);
		records[i].u.node_state.version = i + 1;
		if (weft_record_sign(&records[i], &node))
			return -1;
	}
	weft_keys_wipe(&node, sizeof(node));
	return 0;
}

static void expect_stats(const weft_vcache_t *c, uint64_t hits, uint64_t misses, uint64_t evictions)
{
	struct weft_vcache_stats st;

	weft_vcache_stats(c, &st);
	assert_int_equal(st.hits, hits);
	assert_int_equal(st.misses, misses);
	assert_int_equal(st.evictions, evictions);
}

static void test_hit_miss(void **state)
{
	weft_vcache_t *c = weft_vcache_new(64);

	assert_non_null(c);
	expect_stats(c, 0, 0, 0);
	assert_int_equal(weft_vcache_verify(c, &records[0]), 0);
	expect_stats(c, 0, 1, 0);
	assert_int_equal(weft_vcache_verify(c, &records[0]), 0);
	assert_int_equal(weft_vcache_verify(c, &records[0]), 0);
	expect_stats(c, 2, 1, 0);
	assert_int_equal(weft_vcache_verify(c, &records[1]), 0);
	expect_stats(c, 2, 2, 0);
	/* A copy of the record (same bytes) hits too. */
	{
		weft_record_t copy;

		assert_int_equal(weft_record_decode(&copy, records[1].raw, records[1].raw_len, NULL), 0);
		assert_int_equal(weft_vcache_verify(c, &copy), 0);
	}
	expect_stats(c, 3, 2, 0);
	weft_vcache_free(c);
}

/* A record whose signature bytes were changed: it decodes, it is not
 * cached, and asking again verifies (and fails) again. */
static void test_bad_signature_not_cached(void **state)
{
	weft_vcache_t *c = weft_vcache_new(64);
	uint8_t buf[WEFT_RECORD_MAX];
	weft_record_t bad;

	memcpy(buf, records[2].raw, records[2].raw_len);
	buf[records[2].raw_len - 1] ^= 0x01;
	assert_int_equal(weft_record_decode(&bad, buf, records[2].raw_len, NULL), 0);
	assert_int_equal(weft_vcache_verify(c, &bad), WEFT_EBADSIG);
	expect_stats(c, 0, 1, 0);
	assert_int_equal(weft_vcache_verify(c, &bad), WEFT_EBADSIG);
	expect_stats(c, 0, 2, 0);
	/* The good one is unaffected. */
	assert_int_equal(weft_vcache_verify(c, &records[2]), 0);
	assert_int_equal(weft_vcache_verify(c, &records[2]), 0);
	expect_stats(c, 1, 3, 0);
	/* With the good one cached, the forged copy still fails: the key
	 * covers the signature. */
	assert_int_equal(weft_vcache_verify(c, &bad), WEFT_EBADSIG);
	expect_stats(c, 1, 4, 0);
	weft_vcache_free(c);
}

/* A hit vouches for raw; a struct whose signer or signature disagrees with
 * raw is refused even when raw is cached. */
static void test_struct_must_match_raw(void **state)
{
	weft_vcache_t *c = weft_vcache_new(64);
	weft_record_t r = records[3];

	assert_int_equal(weft_vcache_verify(c, &r), 0);
	r.signer.b[0] ^= 1;
	assert_int_equal(weft_vcache_verify(c, &r), WEFT_EBADSIG);
	r = records[3];
	r.sig[0] ^= 1;
	assert_int_equal(weft_vcache_verify(c, &r), WEFT_EBADSIG);
	r = records[3];
	r.type = WEFT_REC_OVERRIDE;
	assert_int_equal(weft_vcache_verify(c, &r), WEFT_EBADSIG);
	expect_stats(c, 0, 1, 0);
	weft_vcache_free(c);
}

/* The smallest cache is one window of 8 slots, so which entry goes does not
 * depend on where the hashes land: the least recently used. */
static void test_eviction_lru(void **state)
{
	weft_vcache_t *c = weft_vcache_new(1);
	unsigned i;

	assert_non_null(c);
	for (i = 0; i < 8; i++)
		assert_int_equal(weft_vcache_verify(c, &records[i]), 0);
	expect_stats(c, 0, 8, 0);
	/* Touch record 0: record 1 is now the oldest. */
	assert_int_equal(weft_vcache_verify(c, &records[0]), 0);
	expect_stats(c, 1, 8, 0);
	assert_int_equal(weft_vcache_verify(c, &records[8]), 0);
	expect_stats(c, 1, 9, 1);
	/* 0 and 2..8 are held; 1 was evicted. */
	assert_int_equal(weft_vcache_verify(c, &records[0]), 0);
	for (i = 2; i <= 8; i++)
		assert_int_equal(weft_vcache_verify(c, &records[i]), 0);
	expect_stats(c, 9, 9, 1);
	assert_int_equal(weft_vcache_verify(c, &records[1]), 0);
	/* It came back by verifying, and pushed out record 0 (used longest
	 * ago: everything else was touched after it). */
	expect_stats(c, 9, 10, 2);
	assert_int_equal(weft_vcache_verify(c, &records[2]), 0);
	expect_stats(c, 10, 10, 2);
	assert_int_equal(weft_vcache_verify(c, &records[0]), 0);
	expect_stats(c, 10, 11, 3);
	weft_vcache_free(c);
}

/* A lightly loaded cache keeps everything; the same sequence on a cache too
 * small for it evicts, and two such caches agree exactly. */
static void test_capacity_and_determinism(void **state)
{
	weft_vcache_t *big = weft_vcache_new(1000), *a = weft_vcache_new(32), *b = weft_vcache_new(32);
	struct weft_vcache_stats sa, sb;
	unsigned i, round;

	assert_non_null(big);
	assert_non_null(a);
	assert_non_null(b);
	for (round = 0; round < 2; round++)
		for (i = 0; i < NRECORDS / 4; i++)
			assert_int_equal(weft_vcache_verify(big, &records[i]), 0);
	expect_stats(big, NRECORDS / 4, NRECORDS / 4, 0);

	for (round = 0; round < 3; round++) {
		for (i = 0; i < NRECORDS / 4; i++) {
			unsigned k = (i * 7 + round) % (NRECORDS / 4);

			assert_int_equal(weft_vcache_verify(a, &records[k]), 0);
			assert_int_equal(weft_vcache_verify(b, &records[k]), 0);
		}
	}
	weft_vcache_stats(a, &sa);
	weft_vcache_stats(b, &sb);
	assert_true(sa.evictions > 0);
	assert_int_equal(sa.hits + sa.misses, 3 * (NRECORDS / 4));
	assert_int_equal(sa.misses - sa.evictions, 32); /* every slot filled once */
	assert_memory_equal(&sa, &sb, sizeof(sa));
	weft_vcache_free(big);
	weft_vcache_free(a);
	weft_vcache_free(b);
}

static void test_new_limits(void **state)
{
	weft_vcache_t *c = weft_vcache_new(0);

	assert_non_null(c);
	assert_int_equal(weft_vcache_verify(c, &records[0]), 0);
	weft_vcache_free(c);
	assert_null(weft_vcache_new(SIZE_MAX));
	assert_null(weft_vcache_new(SIZE_MAX / 2));
	weft_vcache_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hit_miss),
		cmocka_unit_test(test_bad_signature_not_cached),
		cmocka_unit_test(test_struct_must_match_raw),
		cmocka_unit_test(test_eviction_lru),
		cmocka_unit_test(test_capacity_and_determinism),
		cmocka_unit_test(test_new_limits),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
