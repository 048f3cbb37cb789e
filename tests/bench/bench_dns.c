/* bench_dns: answers per second from a 10,000-member zone (A lookups of
 * member names, plus PTR and NXDOMAIN for comparison), and how long the
 * zone takes to build. Figures, not assertions. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <sodium.h>

#include "../unit/test_dns_util.h"

#define MEMBERS 10000
#define NQUERIES 4096

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct qset {
	uint8_t q[NQUERIES][300];
	size_t len[NQUERIES];
};

static double rate(const weft_dns_zone_t *z, const struct qset *qs, double seconds, unsigned expect_rcode)
{
	static uint8_t out[WEFT_DNS_UDP_MAX];
	unsigned long n = 0;
	double t0 = now_s(), t;

	do {
		for (unsigned i = 0; i < 1000; i++, n++) {
			size_t k = n % NQUERIES, ol;

			if (weft_dns_answer(z, qs->q[k], qs->len[k], out, sizeof(out), &ol, 0) != WEFT_DNS_REPLY ||
			    (out[3] & 0xf) != expect_rcode) {
				fprintf(stderr, "bench_dns: unexpected answer\n");
				exit(1);
			}
		}
		t = now_s() - t0;
	} while (t < seconds);
	return (double)n / t;
}

int main(void)
{
	static struct qset qs;
	struct weft_dns_zone_stats st;
	weft_dns_zone_t *z = NULL;
	struct tview t;
	uint64_t seed = 42;
	double t0, build;
	uint32_t i;

	if (sodium_init() < 0)
		return 1;
	tv_init(&t, "bench", NULL, "10.0.0.0/8", "fd00::/64");
	for (i = 0; i < MEMBERS; i++) {
		char name[32], a4[32], a6[64];

		snprintf(name, sizeof(name), "node-%05u", i);
		snprintf(a4, sizeof(a4), "10.%u.%u.%u", i >> 16, (i >> 8) & 0xff, i & 0xff);
		snprintf(a6, sizeof(a6), "fd00::%x", i + 1);
		tv_add(&t, i, name, a4, a6, WEFT_MEMBER_ACTIVE);
	}
	t0 = now_s();
	for (i = 0; i < 10; i++) {
		weft_dns_zone_free(z);
		if (weft_dns_zone_build_entries(&z, &t.v, NULL, 0, NULL))
			return 1;
	}
	build = (now_s() - t0) / 10;
	weft_dns_zone_stats(z, &st);
	printf("zone build: %.1f ms for %zu members (%zu names, %zu records)\n", build * 1e3, st.members, st.names,
	       st.rrs);

	/* Random member names, EDNS on as resolvers send it. */
	for (i = 0; i < NQUERIES; i++) {
		char name[64];

		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		snprintf(name, sizeof(name), "node-%05u.bench.internal", (unsigned)((seed >> 33) % MEMBERS));
		qs.len[i] = tq_build(qs.q[i], (uint16_t)i, 0x0100, name, 1, 1232, false);
	}
	printf("A lookups: %.0f answers/s\n", rate(z, &qs, 2.0, 0));
	for (i = 0; i < NQUERIES; i++) {
		char name[64];

		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		snprintf(name, sizeof(name), "nope-%u.bench.internal", (unsigned)(seed >> 33));
		qs.len[i] = tq_build(qs.q[i], (uint16_t)i, 0x0100, name, 1, 1232, false);
	}
	printf("NXDOMAIN: %.0f answers/s\n", rate(z, &qs, 1.0, 3));
	for (i = 0; i < NQUERIES; i++) {
		char name[64];
		unsigned m;

		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		m = (unsigned)((seed >> 33) % MEMBERS);
		snprintf(name, sizeof(name), "%u.%u.%u.10.in-addr.arpa", m & 0xff, (m >> 8) & 0xff, m >> 16);
		qs.len[i] = tq_build(qs.q[i], (uint16_t)i, 0x0100, name, 12, 1232, false);
	}
	printf("PTR lookups: %.0f answers/s\n", rate(z, &qs, 1.0, 0));
	weft_dns_zone_free(z);
	tv_free(&t);
	return 0;
}
