/* Benchmark of weft_alloc_assign: the time every node spends recomputing the
 * whole address map, for 1,000 and 10,000 members in a /16 and a /64, and a
 * /16 filled to the last address (where the linear scan does the work). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <sodium.h>

#include "core/addr.h"
#include "core/alloc.h"
#include "core/keys.h"

#define RUNS 5

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int bench(const char *cidr_text, size_t n)
{
	struct weft_alloc_entry *e = calloc(n, sizeof(*e));
	double best = 1e18, total = 0;
	weft_cidr_t cidr;
	size_t i, scanned = 0;
	int r, ret = 0;

	if (!e || weft_cidr_parse(&cidr, cidr_text) != 0)
		return 1;
	for (i = 0; i < n; i++) {
		randombytes_buf(e[i].node_id.b, sizeof(e[i].node_id.b));
		e[i].join_time = 1700000000000ull + i / 4; /* some ties */
	}
	for (r = 0; r < RUNS; r++) {
		double t0 = now_ms(), dt;

		ret = weft_alloc_assign(&cidr, e, n);
		dt = now_ms() - t0;
		total += dt;
		if (dt < best)
			best = dt;
	}
	for (i = 0; i < n; i++)
		scanned += e[i].attempt == WEFT_ALLOC_MAX_ATTEMPTS;
	printf("alloc %6zu members in %-16s %8.2f ms (best of %d, mean %.2f ms)%s, %zu by scan\n", n, cidr_text,
	       best, RUNS, total / RUNS, ret ? " FAILED" : "", scanned);
	free(e);
	return ret != 0;
}

int main(void)
{
	int bad = 0;

	if (weft_crypto_init() != 0)
		return 1;
	bad |= bench("10.0.0.0/16", 1000);
	bad |= bench("10.0.0.0/16", 10000);
	bad |= bench("fd00:1:2:3::/64", 1000);
	bad |= bench("fd00:1:2:3::/64", 10000);
	bad |= bench("10.0.0.0/16", 65534); /* exactly full */
	return bad;
}
