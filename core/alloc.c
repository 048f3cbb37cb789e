/* Overlay address allocation (DESIGN §3): a pure function of the member set
 * and the CIDR. Members are ranked by (join time, node id); pins are placed
 * first, then each member takes its first free hash candidate. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/alloc.h"
#include "core/error.h"

#define ADDR_DOMAIN "weft-addr-v1"

/* A set of taken addresses: open addressing with linear probing, sized to at
 * most half full so that 10,000 members cost microseconds, not n^2. */
struct taken {
	uint8_t (*addr)[16];
	uint8_t *used;
	size_t mask;
};

static uint64_t load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Addresses inside one CIDR differ only in their low bytes and the linear
 * scan hands out neighbours, so mix every bit (splitmix64's finaliser). */
static size_t taken_slot(const struct taken *t, const uint8_t a[16])
{
	uint64_t h = load64(a) ^ (load64(a + 8) * 0x9e3779b97f4a7c15ull);

	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebull;
	h ^= h >> 31;
	return (size_t)h & t->mask;
}

static void taken_free(struct taken *t)
{
	free(t->addr);
	free(t->used);
	t->addr = NULL;
	t->used = NULL;
}

static int taken_init(struct taken *t, size_t n)
{
	size_t cap = 16;

	while (cap < 2 * n) {
		if (cap > SIZE_MAX / 4)
			return -ENOMEM;
		cap *= 2;
	}
	t->addr = malloc(cap * sizeof(*t->addr));
	t->used = calloc(cap, 1);
	t->mask = cap - 1;
	if (!t->addr || !t->used) {
		taken_free(t);
		return -ENOMEM;
	}
	return 0;
}

/* Inserts ip; false when it was already taken. */
static bool taken_add(struct taken *t, const weft_ip_t *ip)
{
	size_t i = taken_slot(t, ip->b);

	while (t->used[i]) {
		if (memcmp(t->addr[i], ip->b, 16) == 0)
			return false;
		i = (i + 1) & t->mask;
	}
	memcpy(t->addr[i], ip->b, 16);
	t->used[i] = 1;
	return true;
}

void weft_alloc_candidate(const weft_cidr_t *cidr, const weft_pk_t *node_id, uint32_t attempt, weft_ip_t *out)
{
	crypto_generichash_state st;
	uint8_t le[4] = { (uint8_t)attempt, (uint8_t)(attempt >> 8), (uint8_t)(attempt >> 16),
			  (uint8_t)(attempt >> 24) };
	uint8_t off[16];

	crypto_generichash_init(&st, NULL, 0, sizeof(off));
	crypto_generichash_update(&st, (const uint8_t *)ADDR_DOMAIN, sizeof(ADDR_DOMAIN) - 1);
	crypto_generichash_update(&st, node_id->b, sizeof(node_id->b));
	crypto_generichash_update(&st, le, sizeof(le));
	crypto_generichash_final(&st, off, sizeof(off));
	/* nth masks the offset to the host bits. */
	weft_cidr_nth(cidr, off, out);
}

/* The rank every node agrees on. Pins break the last tie so that even two
 * entries with the same node id and join time sort the same in any input
 * order; entries equal in all three are interchangeable. */
static int rank_cmp(const void *pa, const void *pb)
{
	const struct weft_alloc_entry *a = *(const struct weft_alloc_entry *const *)pa;
	const struct weft_alloc_entry *b = *(const struct weft_alloc_entry *const *)pb;
	int c;

	if (a->join_time != b->join_time)
		return a->join_time < b->join_time ? -1 : 1;
	c = memcmp(a->node_id.b, b->node_id.b, sizeof(a->node_id.b));
	if (c)
		return c;
	return weft_ip_cmp(&a->pinned, &b->pinned);
}

/* Whether ip is free for a member: usable in the CIDR and not yet taken
 * (and, if so, takes it). */
static bool try_take(const weft_cidr_t *cidr, struct taken *t, const weft_ip_t *ip)
{
	if (weft_cidr_reserved(cidr, ip))
		return false;
	return taken_add(t, ip);
}

/* The first free address after from, wrapping inside the CIDR. Only called
 * while a free address remains, so it terminates. */
static void scan_from(const weft_cidr_t *cidr, struct taken *t, weft_ip_t *ip)
{
	static const uint8_t one[16] = { [15] = 1 };
	weft_cidr_t here = *cidr;

	do {
		here.ip = *ip;
		weft_cidr_nth(&here, one, ip);
	} while (!try_take(cidr, t, ip));
}

int weft_alloc_assign(const weft_cidr_t *cidr, struct weft_alloc_entry *e, size_t n)
{
	return weft_alloc_assign_taken(cidr, e, n, NULL, 0);
}

int weft_alloc_assign_taken(const weft_cidr_t *cidr, struct weft_alloc_entry *e, size_t n, const weft_ip_t *held,
			    size_t nheld)
{
	struct weft_alloc_entry **order = NULL;
	struct taken t = { 0 };
	uint64_t left;
	size_t i;
	int ret;

	for (i = 0; i < n; i++) {
		memset(&e[i].addr, 0, sizeof(e[i].addr));
		e[i].attempt = 0;
	}
	if ((cidr->ip.family != 4 && cidr->ip.family != 6) || cidr->prefix > (cidr->ip.family == 4 ? 32 : 128))
		return WEFT_EBADCIDR;
	if (n == 0)
		return 0;
	order = malloc(n * sizeof(*order));
	if (!order)
		return -ENOMEM;
	if (nheld > SIZE_MAX / 4 - n) {
		ret = -ENOMEM;
		goto out;
	}
	ret = taken_init(&t, n + nheld);
	if (ret)
		goto out;
	for (i = 0; i < n; i++)
		order[i] = &e[i];
	qsort(order, n, sizeof(*order), rank_cmp);

	left = weft_cidr_usable(cidr);
	/* Pins first, so a pinned address is never taken by a hash; of two
	 * equal pins the earlier joiner keeps it. */
	for (i = 0; i < n; i++) {
		struct weft_alloc_entry *x = order[i];

		if (x->pinned.family == 0 || !weft_cidr_contains(cidr, &x->pinned))
			continue;
		if (!try_take(cidr, &t, &x->pinned))
			continue;
		x->addr = x->pinned;
		x->attempt = UINT32_MAX;
		left--;
	}
	/* Then the addresses held outside the member set (external clients):
	 * after the pins, so an admin's pin still wins, before any hash. A
	 * held address outside the CIDR, reserved or given twice costs
	 * nothing. */
	for (i = 0; i < nheld && left; i++) {
		if (held[i].family != cidr->ip.family || !weft_cidr_contains(cidr, &held[i]))
			continue;
		if (try_take(cidr, &t, &held[i]))
			left--;
	}
	ret = 0;
	for (i = 0; i < n; i++) {
		struct weft_alloc_entry *x = order[i];
		weft_ip_t ip;
		uint32_t k;

		if (x->addr.family)
			continue;
		if (left == 0) {
			ret = WEFT_EFULL;
			continue;
		}
		for (k = 0; k < WEFT_ALLOC_MAX_ATTEMPTS; k++) {
			weft_alloc_candidate(cidr, &x->node_id, k, &ip);
			if (try_take(cidr, &t, &ip))
				break;
		}
		/* Collisions only pile up this far in a nearly full CIDR; a
		 * linear scan from the last candidate still fills every
		 * address and stays deterministic. */
		if (k == WEFT_ALLOC_MAX_ATTEMPTS)
			scan_from(cidr, &t, &ip);
		x->addr = ip;
		x->attempt = k;
		left--;
	}
out:
	taken_free(&t);
	free(order);
	return ret;
}
