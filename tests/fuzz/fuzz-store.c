/* Fuzz the store's merge rules and the decoder behind them. The input is a
 * program over a fixed pool of pre-signed records (store-samples.h): merge
 * one, merge it cut short, with a flipped byte, with a mutated struct body,
 * merge raw input bytes, clone, switch stores, compute a view, serialise and
 * load. After every step: the digest equals a recomputation from the held
 * records, buckets agree with it, a refused merge changed nothing, and no
 * other store (clones share structure) changed at all. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/store-samples.h"

#define MAX_STORES 4
#define MAX_STEPS 96

static struct store_samples *ss;
/* Kept across inputs: it only saves time (a hit and a fresh verification
 * give the same answer), and most inputs then skip Ed25519. */
static weft_vcache_t *cache;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (weft_crypto_init())
		abort();
	ss = calloc(1, sizeof(*ss));
	if (!ss)
		abort();
	store_samples_build(ss);
	cache = weft_vcache_new(1024);
	if (!cache)
		abort();
	return 0;
}

struct input {
	const uint8_t *p;
	size_t n;
};

static unsigned take(struct input *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

struct state {
	uint8_t digest[32];
	size_t count, pending;
};

static void state_of(const weft_store_t *s, struct state *st)
{
	weft_store_digest(s, st->digest);
	st->count = weft_store_count(s);
	st->pending = weft_store_pending_count(s);
}

static void same_state(const weft_store_t *s, const struct state *st)
{
	struct state now;

	state_of(s, &now);
	if (memcmp(now.digest, st->digest, 32) || now.count != st->count || now.pending != st->pending)
		abort();
}

struct recompute {
	uint8_t x[32];
	uint8_t b[WEFT_DIGEST_BUCKETS][32];
	size_t n;
};

static int recompute_fn(void *ctx, const weft_record_t *r)
{
	struct recompute *c = ctx;
	unsigned bucket = weft_store_bucket_of(r);
	uint8_t h[32];

	weft_record_hash(r, h);
	for (int i = 0; i < 32; i++) {
		c->x[i] ^= h[i];
		c->b[bucket][i] ^= h[i];
	}
	c->n++;
	return 0;
}

/* The digest must be what the held records say, computed from scratch. */
static void check_store(const weft_store_t *s)
{
	struct recompute c;
	uint8_t d[32], b[WEFT_DIGEST_BUCKETS][32];
	size_t total = 0;

	memset(&c, 0, sizeof(c));
	weft_store_foreach(s, 0, recompute_fn, &c);
	weft_store_digest(s, d);
	weft_store_bucket_digests(s, b);
	if (c.n != weft_store_count(s) || memcmp(c.x, d, 32) || memcmp(c.b, b, sizeof(b)))
		abort();
	for (unsigned k = 0; k < WEFT_DIGEST_BUCKETS; k++)
		total += weft_store_bucket_size(s, k);
	if (total != c.n)
		abort();
}

static int decode_check_fn(void *ctx, const weft_record_t *r)
{
	weft_record_t *again = ctx;

	/* What the store holds is exactly what its bytes decode to. */
	if (weft_record_decode(again, r->raw, r->raw_len, NULL) || memcmp(&again->u, &r->u, sizeof(r->u)) ||
	    again->type != r->type)
		abort();
	return 0;
}

static void check_view(const weft_store_t *s, uint64_t now)
{
	weft_view_t v;

	if (weft_store_view(s, now, &v))
		abort();
	for (size_t i = 0; i < v.nmembers; i++) {
		const struct weft_member_view *m = &v.members[i];

		if (i && (v.members[i - 1].join_time > m->join_time ||
			  (v.members[i - 1].join_time == m->join_time &&
			   memcmp(v.members[i - 1].node_id.b, m->node_id.b, 32) >= 0)))
			abort();
		if (weft_view_find(&v, &m->node_id) != m || !m->member)
			abort();
		if (m->status > WEFT_MEMBER_LEFT)
			abort();
		if (weft_store_is_revoked(s, &m->node_id) != (m->status == WEFT_MEMBER_REVOKED))
			abort();
	}
	weft_view_free(&v);
}

static weft_store_t *roundtrip(weft_store_t *s, weft_recpool_t *pool)
{
	weft_store_t *t = weft_store_new(weft_store_network_id(s), NULL, pool);
	uint8_t *buf = NULL;
	size_t len = 0;
	struct state a, b;

	if (!t || weft_store_serialize(s, &buf, &len))
		abort();
	if (weft_store_load(t, buf, len, NULL))
		abort();
	state_of(s, &a);
	state_of(t, &b);
	if (memcmp(a.digest, b.digest, 32) || a.count != b.count || a.pending != b.pending)
		abort();
	/* Held and parked records alike depend on the set, not the order:
	 * the copy serialises to the same bytes. */
	{
		uint8_t *again = NULL;
		size_t alen = 0;

		if (weft_store_serialize(t, &again, &alen) || alen != len || memcmp(again, buf, len))
			abort();
		free(again);
	}
	/* Loading a store's own bytes into it changes nothing. */
	if (weft_store_load(s, buf, len, NULL))
		abort();
	same_state(s, &a);
	free(buf);
	return t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	weft_recpool_t *pool = weft_recpool_new();
	weft_store_t *st[MAX_STORES] = { NULL };
	struct state before[MAX_STORES];
	weft_record_t *tmp = malloc(sizeof(*tmp));
	uint8_t buf[WEFT_RECORD_MAX + 256];
	unsigned nst = 1, cur = 0;

	if (!pool || !tmp)
		abort();
	/* One input in eight verifies every signature itself. */
	st[0] = weft_store_new(&ss->admin.pk, take(&in) & 7 ? cache : NULL, pool);
	if (!st[0])
		abort();
	for (unsigned step = 0; step < MAX_STEPS && in.n; step++) {
		unsigned op = take(&in) % 10, i = take(&in) % ss->n;
		const weft_record_t *r = &ss->r[i];
		int ret = 0;
		size_t len;

		for (unsigned k = 0; k < nst; k++)
			state_of(st[k], &before[k]);
		switch (op) {
		case 0:
		case 1: /* the common case: a valid record, maybe again */
			ret = weft_store_merge(st[cur], r);
			break;
		case 2: /* cut short */
			len = r->raw_len ? take(&in) % r->raw_len : 0;
			ret = weft_store_merge_bytes(st[cur], r->raw, len, NULL);
			break;
		case 3: /* one byte flipped */
			memcpy(buf, r->raw, r->raw_len);
			len = (take(&in) | take(&in) << 8) % r->raw_len;
			buf[len] ^= (uint8_t)(take(&in) | 1);
			ret = weft_store_merge_bytes(st[cur], buf, r->raw_len, NULL);
			break;
		case 4: /* raw input bytes */
			len = take(&in);
			len = len < in.n ? len : in.n;
			ret = weft_store_merge_bytes(st[cur], in.p, len, NULL);
			in.p += len;
			in.n -= len;
			break;
		case 5: /* a struct whose body disagrees with its bytes */
			*tmp = *r;
			len = (take(&in) | take(&in) << 8) % sizeof(tmp->u);
			((uint8_t *)&tmp->u)[len] ^= (uint8_t)(take(&in) | 1);
			ret = weft_store_merge(st[cur], tmp);
			weft_store_foreach(st[cur], 0, decode_check_fn, tmp);
			break;
		case 6:
			if (nst < MAX_STORES) {
				st[nst] = weft_store_clone(st[cur]);
				if (!st[nst])
					abort();
				state_of(st[nst], &before[nst]);
				same_state(st[nst], &before[cur]);
				cur = nst++;
			}
			break;
		case 7:
			cur = i % nst;
			break;
		case 8: {
			uint64_t now = 0;

			for (int b = 0; b < 6; b++)
				now = now << 8 | take(&in);
			check_view(st[cur], now);
			break;
		}
		case 9: {
			weft_store_t *t = roundtrip(st[cur], pool);

			check_store(t);
			weft_store_free(t);
			break;
		}
		}
		if (ret < 0)
			same_state(st[cur], &before[cur]);
		for (unsigned k = 0; k < nst; k++)
			if (k != cur)
				same_state(st[k], &before[k]);
		check_store(st[cur]);
	}
	for (unsigned k = 0; k < nst; k++)
		weft_store_free(st[k]);
	if (weft_recpool_count(pool) != 0)
		abort();
	weft_recpool_free(pool);
	free(tmp);
	return 0;
}
