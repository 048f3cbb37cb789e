/* Unit tests for core/alloc.c: the candidate hash against its definition, an
 * independent checker of the assignment rules, order independence under many
 * permutations, real collisions, pins, CIDR changes and full CIDRs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/addr.h"
#include "core/alloc.h"
#include "core/error.h"

/* A seeded generator, so that any failure replays exactly. */
static uint64_t rng_state;

static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void random_id(weft_pk_t *id)
{
	size_t i;

	for (i = 0; i < sizeof(id->b); i += 8) {
		uint64_t v = rng();

		memcpy(id->b + i, &v, 8);
	}
}

static weft_cidr_t cidr_of(const char *s)
{
	weft_cidr_t c;

	if (weft_cidr_parse(&c, s) != 0)
		fail_msg("cannot parse %s", s);
	return c;
}

static weft_ip_t ip_of(const char *s)
{
	weft_ip_t ip;

	if (weft_ip_parse(&ip, s) != 0)
		fail_msg("cannot parse %s", s);
	return ip;
}

/* Join times from a small range so that ties (broken by node id) are common. */
static struct weft_alloc_entry *make_members(size_t n, uint64_t seed)
{
	struct weft_alloc_entry *e = calloc(n ? n : 1, sizeof(*e));
	size_t i;

	assert_non_null(e);
	rng_state = seed;
	for (i = 0; i < n; i++) {
		random_id(&e[i].node_id);
		e[i].join_time = 1000 + rng() % 8;
	}
	return e;
}

static void shuffle(struct weft_alloc_entry *e, size_t n)
{
	size_t i;

	for (i = n; i > 1; i--) {
		size_t j = rng() % i;
		struct weft_alloc_entry t = e[i - 1];

		e[i - 1] = e[j];
		e[j] = t;
	}
}

static int by_id(const void *a, const void *b)
{
	const struct weft_alloc_entry *x = a, *y = b;

	return memcmp(x->node_id.b, y->node_id.b, 32);
}

static int rank_before(const struct weft_alloc_entry *a, const struct weft_alloc_entry *b)
{
	if (a->join_time != b->join_time)
		return a->join_time < b->join_time;
	return memcmp(a->node_id.b, b->node_id.b, 32) < 0;
}

/* The entry that holds ip, or NULL. */
static const struct weft_alloc_entry *holder(const struct weft_alloc_entry *e, size_t n, const weft_ip_t *ip)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (e[i].addr.family && weft_ip_equal(&e[i].addr, ip))
			return &e[i];
	return NULL;
}

/* An address x could not have had when its turn came: reserved, or held by
 * a pin or by a member ranked before x. */
static int unavailable_to(const weft_cidr_t *c, const struct weft_alloc_entry *e, size_t n,
			  const struct weft_alloc_entry *x, const weft_ip_t *ip)
{
	const struct weft_alloc_entry *h;

	if (weft_cidr_reserved(c, ip))
		return 1;
	h = holder(e, n, ip);
	return h && h != x && (h->attempt == UINT32_MAX || rank_before(h, x));
}

static int pin_valid(const weft_cidr_t *c, const weft_ip_t *pin)
{
	return pin->family && weft_cidr_contains(c, pin) && !weft_cidr_reserved(c, pin);
}

/* Checks an assignment against DESIGN §3 without reusing alloc.c's logic. */
static void check_rules(const weft_cidr_t *c, const struct weft_alloc_entry *e, size_t n, int ret)
{
	static const uint8_t one[16] = { [15] = 1 };
	size_t i, j, assigned = 0;

	for (i = 0; i < n; i++) {
		const struct weft_alloc_entry *x = &e[i];

		if (!x->addr.family)
			continue;
		assigned++;
		assert_true(weft_cidr_contains(c, &x->addr));
		assert_false(weft_cidr_reserved(c, &x->addr));
		for (j = i + 1; j < n; j++)
			if (e[j].addr.family && weft_ip_equal(&x->addr, &e[j].addr))
				fail_msg("address handed out twice (entries %zu and %zu)", i, j);
	}
	for (i = 0; i < n; i++) {
		const struct weft_alloc_entry *x = &e[i];
		weft_ip_t cand;
		uint32_t k;

		/* A valid pin is kept unless an earlier joiner pinned it too. */
		if (pin_valid(c, &x->pinned)) {
			int lost = 0;

			for (j = 0; j < n; j++)
				if (j != i && weft_ip_equal(&e[j].pinned, &x->pinned) && rank_before(&e[j], x))
					lost = 1;
			if (!lost) {
				assert_int_equal(x->attempt, UINT32_MAX);
				assert_true(weft_ip_equal(&x->addr, &x->pinned));
				continue;
			}
		}
		assert_int_not_equal(x->attempt, UINT32_MAX);
		if (!x->addr.family) {
			/* Only when full, and only for the last joiners. */
			assert_int_equal(ret, WEFT_EFULL);
			assert_int_equal(assigned, weft_cidr_usable(c));
			for (j = 0; j < n; j++)
				if (e[j].addr.family && e[j].attempt != UINT32_MAX)
					assert_true(rank_before(&e[j], x));
			continue;
		}
		/* The first candidate that was free when its turn came. */
		for (k = 0; k < x->attempt && k < WEFT_ALLOC_MAX_ATTEMPTS; k++) {
			weft_alloc_candidate(c, &x->node_id, k, &cand);
			if (!unavailable_to(c, e, n, x, &cand))
				fail_msg("entry %zu took attempt %u but attempt %u was free", i, x->attempt, k);
		}
		if (x->attempt < WEFT_ALLOC_MAX_ATTEMPTS) {
			weft_alloc_candidate(c, &x->node_id, x->attempt, &cand);
			assert_true(weft_ip_equal(&cand, &x->addr));
		} else {
			weft_cidr_t here = *c;

			/* The linear scan: every address from the last
			 * candidate up to addr was unavailable. */
			assert_int_equal(x->attempt, WEFT_ALLOC_MAX_ATTEMPTS);
			weft_alloc_candidate(c, &x->node_id, WEFT_ALLOC_MAX_ATTEMPTS - 1, &cand);
			for (;;) {
				here.ip = cand;
				weft_cidr_nth(&here, one, &cand);
				if (weft_ip_equal(&cand, &x->addr))
					break;
				assert_true(unavailable_to(c, e, n, x, &cand));
			}
		}
	}
	if (ret == 0)
		assert_int_equal(assigned, n);
}

/* Assigns, checks the rules, then reassigns many permutations and requires
 * the same result for every node. Returns the reference, sorted by id. */
static struct weft_alloc_entry *run_permutations(const char *cidr, struct weft_alloc_entry *e, size_t n, int rounds,
						 int want_ret)
{
	weft_cidr_t c = cidr_of(cidr);
	struct weft_alloc_entry *ref = malloc((n ? n : 1) * sizeof(*ref));
	int r, ret;
	size_t i;

	assert_non_null(ref);
	ret = weft_alloc_assign(&c, e, n);
	assert_int_equal(ret, want_ret);
	check_rules(&c, e, n, ret);
	memcpy(ref, e, n * sizeof(*e));
	qsort(ref, n, sizeof(*ref), by_id);
	for (r = 0; r < rounds; r++) {
		shuffle(e, n);
		/* Stale outputs in the input must not matter either. */
		for (i = 0; i < n; i++) {
			e[i].addr = ref[(i * 7) % n].addr;
			e[i].attempt = (uint32_t)rng();
		}
		assert_int_equal(weft_alloc_assign(&c, e, n), want_ret);
		qsort(e, n, sizeof(*e), by_id);
		for (i = 0; i < n; i++) {
			assert_memory_equal(e[i].node_id.b, ref[i].node_id.b, 32);
			if (!weft_ip_equal(&e[i].addr, &ref[i].addr) || e[i].attempt != ref[i].attempt)
				fail_msg("%s: permutation %d changed node %zu's address", cidr, r, i);
		}
	}
	return ref;
}

static int setup(void **state)
{
	return sodium_init() < 0 ? -1 : 0;
}

/* The candidate is BLAKE2b-128("weft-addr-v1" || id || attempt LE32),
 * masked to the host bits: recompute it here from that definition. */
static void test_candidate_definition(void **state)
{
	static const struct {
		const char *cidr;
		unsigned first; /* first byte of the address that holds host bits */
		uint8_t mask;   /* host bits in that byte */
	} cases[] = {
		{ "10.1.0.0/16", 2, 0xff },
		{ "10.0.0.0/28", 3, 0x0f },
		{ "fd00:1:2:3::/64", 8, 0xff },
		{ "fd00::/124", 15, 0x0f },
	};
	uint32_t attempts[] = { 0, 1, 63, 0x01020304 };
	weft_pk_t id;
	size_t i, a, b;

	rng_state = 42;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		weft_cidr_t c = cidr_of(cases[i].cidr);
		unsigned len = c.ip.family == 4 ? 4 : 16;

		for (a = 0; a < 4; a++) {
			uint8_t msg[12 + 32 + 4], h[16];
			weft_ip_t got;

			random_id(&id);
			memcpy(msg, "weft-addr-v1", 12);
			memcpy(msg + 12, id.b, 32);
			msg[44] = (uint8_t)attempts[a];
			msg[45] = (uint8_t)(attempts[a] >> 8);
			msg[46] = (uint8_t)(attempts[a] >> 16);
			msg[47] = (uint8_t)(attempts[a] >> 24);
			crypto_generichash(h, 16, msg, sizeof(msg), NULL, 0);
			weft_alloc_candidate(&c, &id, attempts[a], &got);
			assert_int_equal(got.family, c.ip.family);
			for (b = 0; b < len; b++) {
				uint8_t want = c.ip.b[b];

				if (b == cases[i].first)
					want |= h[16 - len + b] & cases[i].mask;
				else if (b > cases[i].first)
					want = h[16 - len + b];
				assert_int_equal(got.b[b], want);
			}
		}
	}
}

static void test_permutations(void **state)
{
	static const struct {
		const char *cidr;
		size_t n;
		int rounds, ret;
	} cases[] = {
		{ "10.0.0.0/28", 14, 300, 0 }, /* exactly full */
		{ "10.0.0.0/28", 10, 300, 0 },         { "10.0.0.0/28", 17, 100, WEFT_EFULL },
		{ "10.0.0.0/30", 2, 50, 0 },           { "10.0.0.0/31", 2, 50, 0 },
		{ "10.0.0.9/32", 1, 10, 0 },           { "10.9.8.0/24", 254, 40, 0 }, /* exactly full */
		{ "10.9.8.0/24", 200, 40, 0 },         { "10.20.0.0/16", 1000, 5, 0 },
		{ "fd00::/124", 15, 300, 0 }, /* exactly full: 16 minus the anycast */
		{ "fd00::/124", 16, 100, WEFT_EFULL }, { "fd00::/127", 2, 20, 0 },
		{ "fd00:aa::/120", 255, 20, 0 },       { "fd00:1:2:3::/64", 300, 10, 0 },
	};
	size_t i;
	uint64_t seed;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (seed = 1; seed <= 3; seed++) {
			struct weft_alloc_entry *e = make_members(cases[i].n, seed * 1000 + i);

			free(run_permutations(cases[i].cidr, e, cases[i].n, cases[i].rounds, cases[i].ret));
			free(e);
		}
	}
}

/* A full /24 leaves the last members one free address in 256: some of them
 * miss it with 64 hashes and must find it by the scan. */
static void test_scan_fills(void **state)
{
	weft_cidr_t c = cidr_of("10.9.8.0/24");
	struct weft_alloc_entry *e = make_members(254, 77);
	size_t i, scanned = 0;

	assert_int_equal(weft_alloc_assign(&c, e, 254), 0);
	check_rules(&c, e, 254, 0);
	for (i = 0; i < 254; i++)
		scanned += e[i].attempt == WEFT_ALLOC_MAX_ATTEMPTS;
	assert_true(scanned > 0);
	free(e);
}

/* Two node ids whose attempt-0 candidates are the same usable address. */
static void find_collision(const weft_cidr_t *c, weft_pk_t *a, weft_pk_t *b)
{
	weft_pk_t seen[64];
	weft_ip_t ips[64], ip;
	size_t n = 0, i;

	for (;;) {
		weft_pk_t id;

		random_id(&id);
		weft_alloc_candidate(c, &id, 0, &ip);
		if (weft_cidr_reserved(c, &ip))
			continue;
		for (i = 0; i < n; i++) {
			if (weft_ip_equal(&ips[i], &ip)) {
				*a = seen[i];
				*b = id;
				return;
			}
		}
		assert_true(n < 64);
		seen[n] = id;
		ips[n++] = ip;
	}
}

static void test_collision_first_joiner_keeps(void **state)
{
	weft_cidr_t c = cidr_of("10.0.0.0/26");
	struct weft_alloc_entry e[2];
	weft_pk_t a, b;
	weft_ip_t cand;

	rng_state = 5;
	find_collision(&c, &a, &b);
	weft_alloc_candidate(&c, &a, 0, &cand);

	/* a joined first: a keeps it, b moves to a later attempt. */
	memset(e, 0, sizeof(e));
	e[0].node_id = b;
	e[0].join_time = 200;
	e[1].node_id = a;
	e[1].join_time = 100;
	assert_int_equal(weft_alloc_assign(&c, e, 2), 0);
	check_rules(&c, e, 2, 0);
	assert_true(weft_ip_equal(&e[1].addr, &cand));
	assert_int_equal(e[1].attempt, 0);
	assert_false(weft_ip_equal(&e[0].addr, &cand));
	assert_true(e[0].attempt >= 1);

	/* b joined first: now b keeps it. */
	e[0].join_time = 50;
	assert_int_equal(weft_alloc_assign(&c, e, 2), 0);
	assert_true(weft_ip_equal(&e[0].addr, &cand));
	assert_int_equal(e[0].attempt, 0);
	assert_true(e[1].attempt >= 1);

	/* Same join time: the lower node id keeps it. */
	e[0].join_time = e[1].join_time = 7;
	assert_int_equal(weft_alloc_assign(&c, e, 2), 0);
	check_rules(&c, e, 2, 0);
	assert_int_equal(e[memcmp(a.b, b.b, 32) < 0 ? 1 : 0].attempt, 0);
	assert_true(weft_ip_equal(&e[memcmp(a.b, b.b, 32) < 0 ? 1 : 0].addr, &cand));
}

static void test_pins(void **state)
{
	weft_cidr_t c = cidr_of("10.0.0.0/24");
	struct weft_alloc_entry *e = make_members(12, 99);
	weft_ip_t taken;
	size_t i;

	/* e0's pin is e1's first candidate: the pin wins even though e1
	 * joined first. */
	e[0].join_time = 5000;
	e[1].join_time = 1;
	weft_alloc_candidate(&c, &e[1].node_id, 0, &taken);
	assert_false(weft_cidr_reserved(&c, &taken));
	e[0].pinned = taken;
	e[2].pinned = ip_of("10.0.0.5");
	e[3].pinned = ip_of("10.0.1.5");   /* outside: ignored */
	e[4].pinned = ip_of("10.0.0.0");   /* network address: ignored */
	e[5].pinned = ip_of("10.0.0.255"); /* broadcast: ignored */
	e[6].pinned = ip_of("fd00::5");    /* other family: ignored */
	/* Two equal pins: the first joiner keeps it. */
	e[7].pinned = ip_of("10.0.0.9");
	e[7].join_time = 10;
	e[8].pinned = ip_of("10.0.0.9");
	e[8].join_time = 9;

	free(run_permutations("10.0.0.0/24", e, 12, 100, 0));
	free(e);

	/* Same again with known indices, without shuffling. */
	e = make_members(12, 99);
	e[0].join_time = 5000;
	e[1].join_time = 1;
	e[0].pinned = taken;
	e[2].pinned = ip_of("10.0.0.5");
	e[3].pinned = ip_of("10.0.1.5");
	e[4].pinned = ip_of("10.0.0.0");
	e[5].pinned = ip_of("10.0.0.255");
	e[6].pinned = ip_of("fd00::5");
	e[7].pinned = ip_of("10.0.0.9");
	e[7].join_time = 10;
	e[8].pinned = ip_of("10.0.0.9");
	e[8].join_time = 9;
	assert_int_equal(weft_alloc_assign(&c, e, 12), 0);
	check_rules(&c, e, 12, 0);
	assert_true(weft_ip_equal(&e[0].addr, &taken));
	assert_int_equal(e[0].attempt, UINT32_MAX);
	assert_false(weft_ip_equal(&e[1].addr, &taken));
	assert_true(e[1].attempt >= 1);
	assert_true(weft_ip_equal(&e[2].addr, &e[2].pinned));
	for (i = 3; i <= 6; i++) {
		assert_int_not_equal(e[i].attempt, UINT32_MAX);
		assert_true(weft_cidr_contains(&c, &e[i].addr));
	}
	assert_true(weft_ip_equal(&e[8].addr, &e[8].pinned));
	assert_int_equal(e[8].attempt, UINT32_MAX);
	assert_false(weft_ip_equal(&e[7].addr, &e[7].pinned));
	assert_int_not_equal(e[7].attempt, UINT32_MAX);
	free(e);
}

static void test_cidr_change(void **state)
{
	weft_cidr_t old = cidr_of("10.0.0.0/24"), now = cidr_of("10.77.0.0/16");
	weft_cidr_t v6 = cidr_of("fd12:3456::/64");
	struct weft_alloc_entry *e = make_members(100, 1234);
	size_t i;

	e[3].pinned = ip_of("10.0.0.50"); /* valid before, outside after */
	assert_int_equal(weft_alloc_assign(&old, e, 100), 0);
	check_rules(&old, e, 100, 0);
	assert_true(weft_ip_equal(&e[3].addr, &e[3].pinned));

	assert_int_equal(weft_alloc_assign(&now, e, 100), 0);
	check_rules(&now, e, 100, 0);
	for (i = 0; i < 100; i++) {
		assert_true(weft_cidr_contains(&now, &e[i].addr));
		assert_false(weft_cidr_contains(&old, &e[i].addr));
	}
	assert_int_not_equal(e[3].attempt, UINT32_MAX);

	assert_int_equal(weft_alloc_assign(&v6, e, 100), 0);
	check_rules(&v6, e, 100, 0);
	for (i = 0; i < 100; i++)
		assert_int_equal(e[i].addr.family, 6);

	/* Shrinking below the member count: the first joiners keep theirs. */
	now = cidr_of("10.77.0.0/28");
	assert_int_equal(weft_alloc_assign(&now, e, 100), WEFT_EFULL);
	check_rules(&now, e, 100, WEFT_EFULL);
	free(e);
}

static void test_full(void **state)
{
	weft_cidr_t c = cidr_of("10.0.0.0/29"), one = cidr_of("10.0.0.1/32");
	struct weft_alloc_entry *e = make_members(9, 31);
	weft_cidr_t bad;
	size_t i, got = 0;

	/* A late joiner's pin still holds in a full CIDR. */
	e[8].join_time = 99999;
	e[8].pinned = ip_of("10.0.0.3");
	assert_int_equal(weft_alloc_assign(&c, e, 9), WEFT_EFULL);
	check_rules(&c, e, 9, WEFT_EFULL);
	for (i = 0; i < 9; i++)
		got += e[i].addr.family != 0;
	assert_int_equal(got, 6);
	assert_true(weft_ip_equal(&e[8].addr, &e[8].pinned));

	assert_int_equal(weft_alloc_assign(&one, e, 1), 0);
	assert_true(weft_ip_equal(&e[0].addr, &one.ip));
	assert_int_equal(weft_alloc_assign(&one, e, 2), WEFT_EFULL);
	check_rules(&one, e, 2, WEFT_EFULL);

	assert_int_equal(weft_alloc_assign(&c, e, 0), 0);
	memset(&bad, 0, sizeof(bad));
	assert_int_equal(weft_alloc_assign(&bad, e, 3), WEFT_EBADCIDR);
	for (i = 0; i < 3; i++)
		assert_int_equal(e[i].addr.family, 0);
	free(e);
}

/* Addresses held outside the member set (external clients) are never a
 * hash's or the scan's, a pin still wins one, and the result does not
 * depend on the order of either list. */
static void test_taken(void **state)
{
	weft_cidr_t c = cidr_of("10.0.0.0/28");
	struct weft_alloc_entry *e = make_members(6, 77), *f;
	weft_ip_t held[20];
	size_t i, j, nheld = 0, got = 0;

	(void)state;
	/* What the members get with nothing held: hold each one's address. */
	assert_int_equal(weft_alloc_assign(&c, e, 6), 0);
	for (i = 0; i < 4; i++)
		held[nheld++] = e[i].addr;
	held[nheld++] = e[0].addr;          /* twice: counts once */
	held[nheld++] = ip_of("10.0.1.9");  /* outside: ignored */
	held[nheld++] = ip_of("10.0.0.15"); /* broadcast: ignored */
	held[nheld++] = ip_of("fd00::1");   /* other family: ignored */
	e[5].pinned = held[2];              /* a pin on a held address wins it */
	assert_int_equal(weft_alloc_assign_taken(&c, e, 6, held, nheld), 0);
	for (i = 0; i < 6; i++) {
		assert_true(weft_cidr_contains(&c, &e[i].addr));
		for (j = 0; j < 4; j++)
			if (!(i == 5 && j == 2))
				assert_false(weft_ip_equal(&e[i].addr, &held[j]));
		for (j = 0; j < i; j++)
			assert_false(weft_ip_equal(&e[i].addr, &e[j].addr));
	}
	assert_true(weft_ip_equal(&e[5].addr, &held[2]));

	/* Same result in another order of both lists. */
	f = calloc(6, sizeof(*f));
	assert_non_null(f);
	for (i = 0; i < 6; i++)
		f[i] = e[5 - i];
	for (i = 0; i < nheld / 2; i++) {
		weft_ip_t t = held[i];

		held[i] = held[nheld - 1 - i];
		held[nheld - 1 - i] = t;
	}
	assert_int_equal(weft_alloc_assign_taken(&c, f, 6, held, nheld), 0);
	for (i = 0; i < 6; i++)
		assert_true(weft_ip_equal(&f[5 - i].addr, &e[i].addr));
	free(f);

	/* 14 usable: one pinned back, 3 more held leave 10 for 11 unpinned
	 * members, so the last joiner waits. */
	free(e);
	e = make_members(12, 5);
	nheld = 0;
	for (i = 1; i <= 4; i++) {
		char buf[16];

		snprintf(buf, sizeof(buf), "10.0.0.%zu", i);
		held[nheld++] = ip_of(buf);
	}
	for (i = 0; i < 12; i++)
		e[i].join_time = 1000 + i;
	e[0].pinned = held[0];
	e[1].pinned = ip_of("10.0.0.20"); /* outside: no pin */
	assert_int_equal(weft_alloc_assign_taken(&c, e, 12, held, nheld), WEFT_EFULL);
	for (i = 0; i < 12; i++)
		got += e[i].addr.family != 0;
	assert_int_equal(got, 11);
	assert_int_equal(e[11].addr.family, 0);
	free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_candidate_definition),
		cmocka_unit_test(test_permutations),
		cmocka_unit_test(test_scan_fills),
		cmocka_unit_test(test_collision_first_joiner_keeps),
		cmocka_unit_test(test_pins),
		cmocka_unit_test(test_cidr_change),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_taken),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
