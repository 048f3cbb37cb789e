/* Store figures: merges per second of fresh records into a store holding
 * 10,000 members' records (warm and cold verification cache), the cost of a
 * clone and of the first changes after it (time and bytes), and the time to
 * compute the view at 1,000 and 10,000 members. Printed, not asserted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../unit/store_fixture.h"
#include "core/recpool.h"
#include "core/vcache.h"

#define NODES 10000

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static weft_keypair_t admin;

struct fleet {
	size_t n;
	weft_record_t *member, *state, *fresh; /* fresh = a newer state each */
};

static void fleet_build(struct fleet *f, size_t n)
{
	f->n = n;
	f->member = calloc(n, sizeof(weft_record_t));
	f->state = calloc(n, sizeof(weft_record_t));
	f->fresh = calloc(n, sizeof(weft_record_t));
	if (!f->member || !f->state || !f->fresh)
		abort();
	for (size_t i = 0; i < n; i++) {
		weft_keypair_t k;

		fx_key(&k, FX_NODE, (uint32_t)i);
		fx_member(&f->member[i], &admin, &k.pk, 1000 + i);
		fx_state(&f->state[i], &k, 1, "node");
		fx_state(&f->fresh[i], &k, 2, "node");
	}
}

static weft_store_t *fill(const struct fleet *f, size_t n, weft_vcache_t *cache, weft_recpool_t *pool,
			  const weft_record_t *net)
{
	weft_store_t *s = weft_store_new(&admin.pk, cache, pool);

	if (!s || weft_store_merge(s, net) != WEFT_MERGE_ADDED)
		abort();
	for (size_t i = 0; i < n; i++) {
		if (weft_store_merge(s, &f->member[i]) != WEFT_MERGE_ADDED ||
		    weft_store_merge(s, &f->state[i]) != WEFT_MERGE_ADDED)
			abort();
	}
	return s;
}

static void bench_merge(const struct fleet *f, weft_store_t *base, weft_vcache_t *warm, weft_recpool_t *pool)
{
	weft_vcache_t *cold = weft_vcache_new(4 * NODES);
	weft_store_t *s;
	double t;

	/* Warm: every fresh record's signature is already in the cache (it
	 * was verified on another path, e.g. by a peer's store in the
	 * simulator), so a merge is decode + cache hit + map update. */
	for (size_t i = 0; i < f->n; i++)
		if (weft_vcache_verify(warm, &f->fresh[i]))
			abort();
	s = weft_store_clone(base);
	t = now_s();
	for (size_t i = 0; i < f->n; i++)
		if (weft_store_merge(s, &f->fresh[i]) != WEFT_MERGE_REPLACED)
			abort();
	t = now_s() - t;
	printf("merge, warm verification cache: %.0f records/s (%.2f us each) into %zu members\n", (double)f->n / t,
	       t * 1e6 / (double)f->n, f->n);
	/* Again, from raw bytes (what gossip hands the store). */
	weft_store_free(s);
	s = weft_store_clone(base);
	t = now_s();
	for (size_t i = 0; i < f->n; i++)
		if (weft_store_merge_bytes(s, f->fresh[i].raw, f->fresh[i].raw_len, NULL) != WEFT_MERGE_REPLACED)
			abort();
	t = now_s() - t;
	printf("merge_bytes, warm verification cache: %.0f records/s (%.2f us each)\n", (double)f->n / t,
	       t * 1e6 / (double)f->n);
	/* Records already pooled (another store holds them): no decode, no
	 * verification at all. */
	{
		weft_store_t *s2 = weft_store_clone(base);

		t = now_s();
		for (size_t i = 0; i < f->n; i++)
			if (weft_store_merge(s2, &f->fresh[i]) != WEFT_MERGE_REPLACED)
				abort();
		t = now_s() - t;
		printf("merge, record already in the shared pool: %.0f records/s (%.2f us each)\n", (double)f->n / t,
		       t * 1e6 / (double)f->n);
		weft_store_free(s2);
	}
	weft_store_free(s);

	/* Cold: a cache that has seen none of them, so each is verified. */
	{
		weft_store_t *c = weft_store_new(&admin.pk, cold, NULL);
		uint8_t *bytes;
		size_t len;

		/* Rebuild the base content in a store with its own pool, so the
		 * fresh records are not pool hits. */
		if (weft_store_serialize(base, &bytes, &len) || weft_store_load(c, bytes, len, NULL))
			abort();
		free(bytes);
		t = now_s();
		for (size_t i = 0; i < f->n; i++)
			if (weft_store_merge(c, &f->fresh[i]) != WEFT_MERGE_REPLACED)
				abort();
		t = now_s() - t;
		printf("merge, cold verification cache: %.0f records/s (%.2f us each)\n", (double)f->n / t,
		       t * 1e6 / (double)f->n);
		weft_store_free(c);
	}
	(void)pool;
	weft_vcache_free(cold);
}

static void bench_clone(const struct fleet *f, weft_store_t *base)
{
	enum { CLONES = 10000 };
	weft_store_t **c = calloc(CLONES, sizeof(*c));
	size_t own1 = 0, own100 = 0;
	double t;

	if (!c)
		abort();
	t = now_s();
	for (size_t i = 0; i < CLONES; i++)
		c[i] = weft_store_clone(base);
	t = now_s() - t;
	printf("clone: %.0f ns each, %zu bytes each (store of %zu records)\n", t * 1e9 / CLONES,
	       weft_store_own_bytes(c[0]), weft_store_count(base));
	/* One change per clone: what 10,000 simulated nodes pay for their
	 * first own record. */
	t = now_s();
	for (size_t i = 0; i < CLONES; i++) {
		if (weft_store_merge(c[i], &f->fresh[i % f->n]) != WEFT_MERGE_REPLACED)
			abort();
		own1 += weft_store_own_bytes(c[i]);
	}
	t = now_s() - t;
	printf("first change after a clone: %.2f us, %zu bytes owned per store (mean)\n", t * 1e6 / CLONES,
	       own1 / CLONES);
	for (size_t i = 0; i < CLONES; i++)
		weft_store_free(c[i]);
	/* 100 changes in one clone: the per-record cost once paths diverge. */
	c[0] = weft_store_clone(base);
	for (size_t i = 0; i < 100; i++)
		weft_store_merge(c[0], &f->fresh[(i * 97) % f->n]);
	own100 = weft_store_own_bytes(c[0]);
	printf("100 changes after a clone: %zu bytes owned (%zu per changed record)\n", own100, own100 / 100);
	printf("estimate, 10,000 stores each changing 100 records: %.1f MB besides the shared records\n",
	       10000.0 * (double)own100 / 1e6);
	weft_store_free(c[0]);
	free(c);
}

static void bench_view(const struct fleet *f, size_t members, const weft_record_t *net)
{
	weft_store_t *s = fill(f, members, NULL, NULL, net);
	weft_view_t v;
	int rounds = members > 1000 ? 20 : 200;
	double t = now_s();

	for (int i = 0; i < rounds; i++) {
		if (weft_store_view(s, 1700000000000ull, &v) || v.nmembers != members)
			abort();
		weft_view_free(&v);
	}
	t = now_s() - t;
	printf("view at %zu members: %.2f ms\n", members, t * 1e3 / rounds);
	weft_store_free(s);
}

int main(void)
{
	weft_record_t *net = calloc(1, sizeof(*net));
	weft_vcache_t *warm = weft_vcache_new(8 * NODES);
	weft_recpool_t *pool = weft_recpool_new();
	weft_store_t *base;
	struct fleet f;
	double t;

	if (weft_crypto_init() || !net || !warm || !pool)
		return 1;
	fx_key(&admin, FX_ADMIN, 1);
	fx_network(net, &admin, 1, "10.0.0.0/16");
	t = now_s();
	fleet_build(&f, NODES);
	printf("setup: signed %d records in %.2f s\n", 3 * NODES, now_s() - t);
	t = now_s();
	base = fill(&f, NODES, warm, pool, net);
	t = now_s() - t;
	printf("fill, cold (verify every record): %.0f records/s, %zu records, %zu pooled\n",
	       (double)weft_store_count(base) / t, weft_store_count(base), weft_recpool_count(pool));
	printf("pool: %zu bytes per interned record\n", sizeof(struct weft_recent));

	bench_merge(&f, base, warm, pool);
	bench_clone(&f, base);
	bench_view(&f, 1000, net);
	bench_view(&f, 10000, net);
	{
		uint8_t *bytes;
		size_t len;
		weft_store_t *s = weft_store_new(&admin.pk, warm, NULL);

		t = now_s();
		if (weft_store_serialize(base, &bytes, &len))
			abort();
		printf("serialize %zu records: %.2f ms, %zu bytes\n", weft_store_count(base), (now_s() - t) * 1e3,
		       len);
		t = now_s();
		if (weft_store_load(s, bytes, len, NULL))
			abort();
		printf("load (warm cache) %zu records: %.2f ms\n", weft_store_count(s), (now_s() - t) * 1e3);
		free(bytes);
		weft_store_free(s);
	}
	weft_store_free(base);
	weft_recpool_free(pool);
	weft_vcache_free(warm);
	free(f.member);
	free(f.state);
	free(f.fresh);
	free(net);
	return 0;
}
