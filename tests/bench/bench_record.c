/* bench_record: records verified per second without the cache
 * (weft_record_verify) and with a warm one (weft_vcache_verify), records
 * decoded and signed per second. The records are typical node states (two
 * endpoints, one route, about 240 bytes) with distinct versions. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/record.h"
#include "core/vcache.h"

#include "../fuzz/record-samples.h"

#define NREC 1024
#define MIN_SECONDS 1.0

static weft_record_t recs[NREC];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void typical(weft_record_t *r, unsigned i)
{
	struct weft_rec_node_state *ns = &r->u.node_state;

	sample_record(r, WEFT_REC_NODE_STATE, false);
	ns->version = 1700000000000ull + i;
	snprintf(ns->name, sizeof(ns->name), "node-%04u", i);
	ns->wg_port = 51820;
	ns->gossip_port = 51821;
	ns->nendpoints = 2;
	sample_ip(&ns->endpoints[0].ip, 4, (uint8_t)i);
	ns->endpoints[0].port = 51820;
	sample_ip(&ns->endpoints[1].ip, 6, (uint8_t)i);
	ns->endpoints[1].port = 51820;
	ns->nroutes = 1;
	sample_ip(&ns->routes[0].ip, 4, 0);
	ns->routes[0].ip.b[1] = (uint8_t)i;
	ns->routes[0].prefix = 24;
	strcpy(ns->sw_version, "0.1.0");
}

static void report(const char *what, unsigned long n, double secs)
{
	printf("%-22s %10.0f records/s  (%.3f us/record, %lu in %.2f s)\n", what, (double)n / secs,
	       secs * 1e6 / (double)n, n, secs);
}

int main(void)
{
	weft_keypair_t node;
	weft_vcache_t *cache;
	weft_record_t d;
	unsigned long n;
	double t0, t;
	unsigned i;

	if (weft_crypto_init())
		return 1;
	sample_keypair(&node, SAMPLE_NODE);

	for (i = 0; i < NREC; i++)
		typical(&recs[i], i);
	t0 = now_s();
	for (i = 0; i < NREC; i++)
		if (weft_record_sign(&recs[i], &node))
			return 1;
	report("sign:", NREC, now_s() - t0);
	weft_keys_wipe(&node, sizeof(node));
	printf("record size: %u bytes\n", recs[0].raw_len);

	n = 0;
	t0 = now_s();
	do {
		for (i = 0; i < NREC; i++)
			if (weft_record_verify(&recs[i]))
				return 1;
		n += NREC;
	} while ((t = now_s() - t0) < MIN_SECONDS);
	report("verify (no cache):", n, t);

	cache = weft_vcache_new(4 * NREC);
	if (!cache)
		return 1;
	for (i = 0; i < NREC; i++)
		if (weft_vcache_verify(cache, &recs[i]))
			return 1;
	n = 0;
	t0 = now_s();
	do {
		for (i = 0; i < NREC; i++)
			if (weft_vcache_verify(cache, &recs[i]))
				return 1;
		n += NREC;
	} while ((t = now_s() - t0) < MIN_SECONDS);
	report("verify (warm cache):", n, t);
	{
		struct weft_vcache_stats st;

		weft_vcache_stats(cache, &st);
		printf("cache: %llu hits, %llu misses, %llu evictions\n", (unsigned long long)st.hits,
		       (unsigned long long)st.misses, (unsigned long long)st.evictions);
	}
	weft_vcache_free(cache);

	n = 0;
	t0 = now_s();
	do {
		for (i = 0; i < NREC; i++)
			if (weft_record_decode(&d, recs[i].raw, recs[i].raw_len, NULL))
				return 1;
		n += NREC;
	} while ((t = now_s() - t0) < MIN_SECONDS);
	report("decode:", n, t);
	return 0;
}
