/* Gossip figures on the in-test network (tests/unit/gossip_net.c), the real
 * protocol with 10-30 ms links: idle bytes per node, time for a new record
 * to reach every node, time for every node to see a death, at 5 % loss too,
 * and the wall time per virtual second. Not asserted: the simulator issue
 * proves the targets at 1,000 and 10,000 nodes; this is the quick look.
 *
 *     build-X/tests/bench/bench_gossip [N ...]   (default 100 1000) */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "tests/unit/gossip_net.h"

static double wall(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void run(int n, uint32_t loss_ppm)
{
	struct gnet *net = gnet_new(1234, NULL);
	double w0, dis_ms, det_max = 0, det_sum = 0, wall_per_s;
	uint64_t b0, t0;
	int64_t deaths = 0;
	int t, trials = 5, i;
	struct gnet_seen s;

	net->latency = 10 * GNET_MS;
	net->jitter = 20 * GNET_MS;
	gnet_add_provisioned(net, n);
	net->loss_ppm = loss_ppm;
	gnet_run(net, 20 * GNET_SEC);
	w0 = wall();
	b0 = net->bytes;
	gnet_run(net, 30 * GNET_SEC);
	wall_per_s = (wall() - w0) / 30;
	printf("gossip N=%d loss=%.0f%%: idle %.0f B/s per node sent; %.3f s wall per virtual s\n", n,
	       loss_ppm / 1e4, (double)(net->bytes - b0) / 30 / n, wall_per_s);
	t0 = net->now;
	gnet_bump_state(net, 3);
	gnet_run_until(net, 30 * GNET_SEC, gnet_converged, NULL);
	dis_ms = (double)(net->now - t0) / 1e6;
	printf("gossip N=%d loss=%.0f%%: a new record reached every node in %.0f ms\n", n, loss_ppm / 1e4, dis_ms);
	for (i = 0; i < net->n; i++)
		deaths -= net->nodes[i].dead_reports;
	for (t = 0; t < trials; t++) {
		s.node = 5 + 7 * t;
		s.state = WEFT_LIVE_DEAD;
		gnet_stop(net, s.node);
		t0 = net->now;
		gnet_run_until(net, 60 * GNET_SEC, gnet_all_see, &s);
		det_sum += (double)(net->now - t0) / 1e9;
		if ((double)(net->now - t0) / 1e9 > det_max)
			det_max = (double)(net->now - t0) / 1e9;
		gnet_run(net, 2 * GNET_SEC);
	}
	/* Each node still up reports each stopped node dead once; any other
	 * death report is a false one. */
	for (i = 0; i < net->n; i++)
		deaths += net->nodes[i].dead_reports;
	for (t = 0; t < trials; t++)
		deaths -= n - 1 - t;
	printf("gossip N=%d loss=%.0f%%: a death seen by every node in %.2f s mean, %.2f s max (%d trials); "
	       "%lld false deaths\n",
	       n, loss_ppm / 1e4, det_sum / trials, det_max, trials, (long long)deaths);
	gnet_free(net);
}

int main(int argc, char **argv)
{
	int sizes[8] = { 100, 1000 }, nsizes = 2, i;

	if (weft_crypto_init())
		return 1;
	if (argc > 1) {
		nsizes = 0;
		for (i = 1; i < argc && nsizes < 8; i++)
			sizes[nsizes++] = atoi(argv[i]);
	}
	for (i = 0; i < nsizes; i++) {
		if (sizes[i] < 40 || sizes[i] > GNET_MAX) {
			fprintf(stderr, "bench_gossip: N must be 40..%d\n", GNET_MAX);
			return 2;
		}
		run(sizes[i], 0);
		run(sizes[i], 50000);
	}
	return 0;
}
