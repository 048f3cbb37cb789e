/* The record store of one network: merge rules (signature, signer rights,
 * versions, immutability, revocation), the pending pool, digests for
 * anti-entropy, and serialisation. The map itself is hamt.c; records are
 * interned in recpool.c; the view is view.c.
 *
 * Memory. A store is one struct weft_store (96 bytes on x86-64) pointing to
 * a shared map root, a shared digest block and a shared pending pool, so
 * weft_store_clone() costs 96 bytes and three reference counts. The first
 * change after a clone copies the digest block (2,084 bytes) once, and each
 * changed record copies the map nodes on its path that are still shared
 * (16 + 8 bytes per child; about 3 levels at 20,000 records), so the first
 * change costs about 2.9 KB and later ones about 250 bytes each, less where
 * paths are already private (bench_store measures both). Records live once
 * in the pool (2.8 KB each, decoded) whatever the number of stores holding
 * them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/recpool.h"
#include "core/store.h"

/* Keys an admin chain may hold; a longer chain is treated as broken. */
#define CHAIN_MAX 64

/* judge() outcome for a record whose right needs a record not held yet. */
#define WAIT 1

struct digests {
	uint32_t refs;
	uint8_t all[32];
	uint8_t bucket[WEFT_DIGEST_BUCKETS][32];
};

struct pend_item {
	struct weft_recent *e;
	uint8_t dep[32]; /* the key (invite, node id, admin) it waits for */
};

struct pending {
	uint32_t refs;
	uint32_t n, cap;
	struct pend_item item[];
};

struct weft_store {
	weft_pk_t network_id;
	weft_recpool_t *pool;
	weft_vcache_t *cache;
	void *root;           /* hamt.c map; NULL = empty */
	struct digests *dig;  /* NULL = all zero */
	struct pending *pend; /* NULL = empty */
	size_t count;
	weft_store_cb cb;
	void *cb_ctx;
};

/* Keys made available by entered records, whose pending dependants are
 * retried. A small stack suffices for one merge; it grows if it must. */
struct worklist {
	size_t n, cap;
	uint8_t (*key)[32];
	uint8_t inline_keys[8][32];
};

static const uint8_t zero32[32];

/* ---- small helpers ---- */

static bool pk_eq(const weft_pk_t *a, const weft_pk_t *b)
{
	return !memcmp(a->b, b->b, WEFT_PK_LEN);
}

static bool is_network_subject(unsigned type)
{
	return type == WEFT_REC_NETWORK || type == WEFT_REC_KEYRING || type == WEFT_REC_ROTATE ||
	       type == WEFT_REC_POLICY;
}

/* Types that are about one node and go when it is revoked. */
static bool is_about_node(unsigned type)
{
	return type == WEFT_REC_NODE_STATE || type == WEFT_REC_OVERRIDE || type == WEFT_REC_KEYSHARE;
}

static unsigned bucket_of_key(const uint8_t key[8])
{
	return key[0] >> 2;
}

static void xor32(uint8_t *dst, const uint8_t *src)
{
	for (unsigned i = 0; i < 32; i++)
		dst[i] ^= src[i];
}

static struct weft_recent *find(const weft_store_t *s, unsigned type, const uint8_t subject[32])
{
	struct weft_recid id;

	memcpy(id.subject, subject, 32);
	weft_store_key(type, subject, id.key);
	id.k = 0;
	for (unsigned i = 0; i < 8; i++)
		id.k = id.k << 8 | id.key[i];
	return weft_hamt_find(s->root, &id, type);
}

const weft_record_t *weft_store_get(const weft_store_t *s, unsigned type, const uint8_t subject[32])
{
	struct weft_recent *e = find(s, type, subject);

	return e ? &e->rec : NULL;
}

bool weft_store_is_revoked(const weft_store_t *s, const weft_pk_t *node_id)
{
	return find(s, WEFT_REC_REVOCATION, node_id->b) != NULL;
}

/* (version, hash) ordering: does a beat b? Immutable types have version 0,
 * so among conflicting ones the higher hash is kept, whatever came first. */
static bool beats(const weft_record_t *a, const uint8_t ha[32], const weft_record_t *b, const uint8_t hb[32])
{
	uint64_t va = weft_record_version(a), vb = weft_record_version(b);

	if (va != vb)
		return va > vb;
	return memcmp(ha, hb, 32) > 0;
}

/* ---- lifecycle ---- */

weft_store_t *weft_store_new(const weft_pk_t *network_id, weft_vcache_t *cache, weft_recpool_t *pool)
{
	weft_store_t *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->network_id = *network_id;
	s->cache = cache;
	if (pool) {
		s->pool = pool;
	} else {
		s->pool = weft_recpool_new_private();
		if (!s->pool) {
			free(s);
			return NULL;
		}
	}
	return s;
}

static void pend_unref(struct pending *pd, weft_recpool_t *p)
{
	if (!pd || --pd->refs)
		return;
	for (uint32_t i = 0; i < pd->n; i++)
		weft_recpool_unref(p, pd->item[i].e);
	free(pd);
}

static void dig_unref(struct digests *d)
{
	if (d && --d->refs == 0)
		free(d);
}

void weft_store_free(weft_store_t *s)
{
	if (!s)
		return;
	weft_hamt_unref(s->root, s->pool);
	pend_unref(s->pend, s->pool);
	dig_unref(s->dig);
	weft_recpool_release(s->pool);
	free(s);
}

weft_store_t *weft_store_clone(const weft_store_t *s)
{
	weft_store_t *c = malloc(sizeof(*c));

	if (!c)
		return NULL;
	*c = *s;
	c->cb = NULL;
	c->cb_ctx = NULL;
	weft_hamt_ref(c->root);
	if (c->dig)
		c->dig->refs++;
	if (c->pend)
		c->pend->refs++;
	weft_recpool_hold(c->pool);
	return c;
}

const weft_pk_t *weft_store_network_id(const weft_store_t *s)
{
	return &s->network_id;
}

void weft_store_set_callback(weft_store_t *s, weft_store_cb cb, void *ctx)
{
	s->cb = cb;
	s->cb_ctx = ctx;
}

size_t weft_store_count(const weft_store_t *s)
{
	return s->count;
}

size_t weft_store_pending_count(const weft_store_t *s)
{
	return s->pend ? s->pend->n : 0;
}

size_t weft_store_own_bytes(const weft_store_t *s)
{
	size_t n = sizeof(*s) + weft_hamt_own_bytes(s->root);

	if (s->dig && s->dig->refs == 1)
		n += sizeof(*s->dig);
	if (s->pend && s->pend->refs == 1)
		n += sizeof(*s->pend) + s->pend->cap * sizeof(s->pend->item[0]);
	return n;
}

/* ---- copy-on-write of the digest block and the pending pool ---- */

static struct digests *dig_unique(weft_store_t *s)
{
	struct digests *d = s->dig;

	if (d && d->refs == 1)
		return d;
	d = malloc(sizeof(*d));
	if (!d)
		return NULL;
	if (s->dig) {
		memcpy(d, s->dig, sizeof(*d));
		s->dig->refs--;
	} else {
		memset(d, 0, sizeof(*d));
	}
	d->refs = 1;
	s->dig = d;
	return d;
}

static struct pending *pend_unique(weft_store_t *s, uint32_t need)
{
	struct pending *pd = s->pend, *c;
	uint32_t cap;

	if (pd && pd->refs == 1 && pd->cap >= need)
		return pd;
	cap = pd ? pd->cap : 0;
	while (cap < need)
		cap = cap ? cap * 2 : 16;
	if (cap > WEFT_STORE_PENDING_MAX)
		cap = WEFT_STORE_PENDING_MAX;
	if (pd && pd->refs == 1) {
		c = realloc(pd, sizeof(*c) + cap * sizeof(c->item[0]));
		if (!c)
			return NULL;
		c->cap = cap;
		s->pend = c;
		return c;
	}
	c = malloc(sizeof(*c) + cap * sizeof(c->item[0]));
	if (!c)
		return NULL;
	c->refs = 1;
	c->cap = cap;
	c->n = pd ? pd->n : 0;
	for (uint32_t i = 0; i < c->n; i++) {
		c->item[i] = pd->item[i];
		c->item[i].e->refs++;
	}
	if (pd)
		pd->refs--;
	s->pend = c;
	return c;
}

/* ---- signer rights ---- */

/* The version an admin key's roll-over limit is compared with, in
 * milliseconds (the unit of versions, weft_hlc_next). Versioned types use
 * their version; immutable ones have none, so their own time stands in for
 * it (invite creation, revocation time, join time), which keeps an old key
 * from issuing invites or revocations after its roll-over the way it is
 * kept from newer settings. Keyring and key share epochs are counted in
 * seconds (the CLI makes each one max(last + 1, unix seconds); the genesis
 * ring is epoch 1), so they are scaled like the other times in seconds:
 * compared raw, any epoch (1,763,000,000 today) would be far below a
 * roll-over version (1,763,000,000,000 ms) and the limit would never stop
 * an old key from handing out a network key of its own. */
static uint64_t secs_to_ms(uint64_t t)
{
	return t > UINT64_MAX / 1000 ? UINT64_MAX : t * 1000;
}

static uint64_t right_version(const weft_record_t *r)
{
	switch (r->type) {
	case WEFT_REC_INVITE:
		return secs_to_ms(r->u.invite.created);
	case WEFT_REC_REVOCATION:
		return secs_to_ms(r->u.revocation.time);
	case WEFT_REC_KEYRING:
		return secs_to_ms(r->u.keyring.epoch);
	case WEFT_REC_KEYSHARE:
		return secs_to_ms(r->u.keyshare.epoch);
	case WEFT_REC_MEMBER:
		return r->u.member.join_time;
	case WEFT_REC_ADMIN_ROLL:
		return 0;
	default:
		return weft_record_version(r);
	}
}

/* Walk the roll-over chain from the genesis key. 0 when signer is an admin
 * key whose right covers version; WEFT_ENORIGHT when it is an old key and
 * version is past its roll-over; WAIT when it is not in the chain (a roll
 * naming it may still arrive). */
static int admin_right(const weft_store_t *s, const weft_pk_t *signer, uint64_t version, uint8_t dep[32])
{
	const weft_pk_t *cur = &s->network_id;

	for (unsigned i = 0; i < CHAIN_MAX; i++) {
		struct weft_recent *roll = find(s, WEFT_REC_ADMIN_ROLL, cur->b);

		if (pk_eq(cur, signer))
			return !roll || version <= roll->rec.u.admin_roll.version ? 0 : WEFT_ENORIGHT;
		if (!roll)
			break;
		cur = &roll->rec.u.admin_roll.new_pk;
	}
	memcpy(dep, signer->b, 32);
	return WAIT;
}

/* Is key already in the chain up to and including `upto`? Used to refuse a
 * roll-over back to an earlier key, which would make the chain a loop. */
static bool chain_has(const weft_store_t *s, const weft_pk_t *key, const weft_pk_t *upto)
{
	const weft_pk_t *cur = &s->network_id;

	for (unsigned i = 0; i < CHAIN_MAX; i++) {
		struct weft_recent *roll;

		if (pk_eq(cur, key))
			return true;
		if (pk_eq(cur, upto))
			return false;
		roll = find(s, WEFT_REC_ADMIN_ROLL, cur->b);
		if (!roll)
			return false;
		cur = &roll->rec.u.admin_roll.new_pk;
	}
	return false;
}

const weft_pk_t *weft_store_admin_key(const weft_store_t *s)
{
	const weft_pk_t *cur = &s->network_id;

	for (unsigned i = 0; i < CHAIN_MAX; i++) {
		struct weft_recent *roll = find(s, WEFT_REC_ADMIN_ROLL, cur->b);

		if (!roll)
			break;
		cur = &roll->rec.u.admin_roll.new_pk;
	}
	return cur;
}

/* Does r's signer have the right to it, given what the store holds? */
static int right_of(const weft_store_t *s, const weft_record_t *r, const uint8_t subject[32], uint8_t dep[32])
{
	struct weft_recent *inv;
	int ret;

	switch (r->type) {
	case WEFT_REC_MEMBER:
		if (!pk_eq(&r->u.member.invite_pk, &r->signer))
			return WEFT_ENORIGHT;
		inv = find(s, WEFT_REC_INVITE, r->signer.b);
		/* The join time is the joiner's own claim and orders an
		 * invite's first N uses: one from before the invite existed
		 * (created is in seconds, join_time in ms) is a backdated
		 * claim to an earlier place, and the invite gives it no right. */
		if (inv)
			return r->u.member.join_time < secs_to_ms(inv->rec.u.invite.created) ? WEFT_ENORIGHT : 0;
		/* Certified directly by an admin key, or waiting for the
		 * invite (or for the roll-over naming that admin key). */
		return admin_right(s, &r->signer, right_version(r), dep);
	case WEFT_REC_NODE_STATE:
		if (!pk_eq(&r->u.node_state.node_id, &r->signer) || memcmp(subject, r->signer.b, 32))
			return WEFT_ENORIGHT;
		if (find(s, WEFT_REC_MEMBER, subject))
			return 0;
		memcpy(dep, subject, 32);
		return WAIT;
	case WEFT_REC_ADMIN_ROLL:
		if (!pk_eq(&r->u.admin_roll.old_pk, &r->signer) || memcmp(subject, r->signer.b, 32))
			return WEFT_ENORIGHT;
		ret = admin_right(s, &r->signer, right_version(r), dep);
		if (ret)
			return ret;
		if (chain_has(s, &r->u.admin_roll.new_pk, &r->signer))
			return WEFT_ENORIGHT;
		return 0;
	default:
		if (r->type < 1 || r->type > WEFT_REC_TYPE_MAX)
			return WEFT_EMALFORMED;
		return admin_right(s, &r->signer, right_version(r), dep);
	}
}

/* Every check that does not change the store: 0 when r may enter now, WAIT
 * (with dep) when it must be parked, or the refusal. */
static int judge(const weft_store_t *s, const weft_record_t *r, const struct weft_recid *id, bool verified,
		 uint8_t dep[32])
{
	struct weft_recent *held = weft_hamt_find(s->root, id, r->type);

	if (held && !memcmp(held->id.hash, id->hash, 32))
		return WEFT_EDUPLICATE;
	/* record.h gives network-wide types the all-zero subject (one store
	 * per network); the network id is accepted too, for a codec that
	 * names it. Anything else belongs to another network. */
	if (is_network_subject(r->type) && memcmp(id->subject, zero32, 32) &&
	    memcmp(id->subject, s->network_id.b, 32))
		return WEFT_EWRONGNET;
	if (is_about_node(r->type) && find(s, WEFT_REC_REVOCATION, id->subject))
		return WEFT_EREVOKED;
	if (held && !beats(r, id->hash, &held->rec, held->id.hash))
		return WEFT_ESTALE;
	if (!verified) {
		int ret = s->cache ? weft_vcache_verify(s->cache, r) : weft_record_verify(r);

		if (ret)
			return WEFT_EBADSIG;
	}
	return right_of(s, r, id->subject, dep);
}

/* ---- changing the map ---- */

static void wl_push(struct worklist *wl, const uint8_t key[32])
{
	if (wl->n == wl->cap) {
		size_t cap = wl->cap * 2;
		uint8_t(*k)[32] = malloc(cap * 32);

		/* Out of memory: the dependants stay parked, not lost. */
		if (!k)
			return;
		memcpy(k, wl->key, wl->n * 32);
		if (wl->key != wl->inline_keys)
			free(wl->key);
		wl->key = k;
		wl->cap = cap;
	}
	memcpy(wl->key[wl->n++], key, 32);
}

static void wl_init(struct worklist *wl)
{
	wl->n = 0;
	wl->cap = 8;
	wl->key = wl->inline_keys;
}

static void wl_free(struct worklist *wl)
{
	if (wl->key != wl->inline_keys)
		free(wl->key);
}

static void digest_flip(struct digests *d, const struct weft_recid *id)
{
	xor32(d->all, id->hash);
	xor32(d->bucket[bucket_of_key(id->key)], id->hash);
}

/* Remove the held record at (type, subject), if any. */
static int drop(weft_store_t *s, unsigned type, const uint8_t subject[32])
{
	struct weft_recent *held = find(s, type, subject), *x;
	struct digests *d;
	int ret;

	if (!held)
		return 0;
	d = dig_unique(s);
	if (!d)
		return -ENOMEM;
	ret = weft_hamt_remove(&s->root, &held->id, type, &x);
	if (ret || !x)
		return ret;
	digest_flip(d, &x->id);
	s->count--;
	weft_recpool_unref(s->pool, x);
	return 0;
}

/* A revoked node's state, override and key share go, held or parked. */
static int purge_node(weft_store_t *s, const uint8_t node_id[32])
{
	static const unsigned types[] = { WEFT_REC_NODE_STATE, WEFT_REC_OVERRIDE, WEFT_REC_KEYSHARE };
	struct pending *pd;
	uint32_t i, j;
	int ret;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		ret = drop(s, types[i], node_id);
		if (ret)
			return ret;
	}
	if (!s->pend)
		return 0;
	for (i = 0; i < s->pend->n; i++) {
		const struct weft_recent *e = s->pend->item[i].e;

		if (is_about_node(e->rec.type) && !memcmp(e->id.subject, node_id, 32))
			break;
	}
	if (i == s->pend->n)
		return 0;
	pd = pend_unique(s, s->pend->n);
	if (!pd)
		return -ENOMEM;
	for (i = j = 0; i < pd->n; i++) {
		struct weft_recent *e = pd->item[i].e;

		if (is_about_node(e->rec.type) && !memcmp(e->id.subject, node_id, 32))
			weft_recpool_unref(s->pool, e);
		else
			pd->item[j++] = pd->item[i];
	}
	pd->n = j;
	return 0;
}

/* Parked records for e's slot that e beats can never enter now (a held
 * record is only ever replaced by a better one): drop them, so what waits
 * depends on the record set and not on the order it came in. */
static int drop_beaten_pending(weft_store_t *s, const struct weft_recent *e)
{
	struct pending *pd;
	uint32_t i, j;

	if (!s->pend)
		return 0;
	for (i = 0; i < s->pend->n; i++) {
		const struct weft_recent *x = s->pend->item[i].e;

		if (x->id.k == e->id.k && x->rec.type == e->rec.type && !memcmp(x->id.subject, e->id.subject, 32) &&
		    beats(&e->rec, e->id.hash, &x->rec, x->id.hash))
			break;
	}
	if (i == s->pend->n)
		return 0;
	pd = pend_unique(s, s->pend->n);
	if (!pd)
		return -ENOMEM;
	for (i = j = 0; i < pd->n; i++) {
		struct weft_recent *x = pd->item[i].e;

		if (x->id.k == e->id.k && x->rec.type == e->rec.type && !memcmp(x->id.subject, e->id.subject, 32) &&
		    beats(&e->rec, e->id.hash, &x->rec, x->id.hash))
			weft_recpool_unref(s->pool, x);
		else
			pd->item[j++] = pd->item[i];
	}
	pd->n = j;
	return 0;
}

struct collect {
	struct weft_recent **e;
	size_t n, cap;
	const weft_pk_t *signer; /* NULL = every record */
	int err;
};

static int collect_fn(void *ctx, struct weft_recent *e)
{
	struct collect *c = ctx;

	if (c->signer && !pk_eq(&e->rec.signer, c->signer))
		return 0;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 256;
		struct weft_recent **v = realloc(c->e, cap * sizeof(*v));

		if (!v) {
			c->err = -ENOMEM;
			return 1;
		}
		c->e = v;
		c->cap = cap;
	}
	e->refs++;
	c->e[c->n++] = e;
	return 0;
}

/* One pass: drop held records (by signer, or all) whose right no longer
 * holds. Returns how many went, or -ENOMEM. */
static long revalidate_pass(weft_store_t *s, const weft_pk_t *signer)
{
	struct collect c = { .signer = signer };
	uint8_t dep[32];
	long removed = 0;
	int ret = 0;

	weft_hamt_foreach(s->root, -1, collect_fn, &c);
	if (c.err)
		ret = c.err;
	for (size_t i = 0; i < c.n; i++) {
		struct weft_recent *e = c.e[i];

		if (!ret && weft_hamt_find(s->root, &e->id, e->rec.type) == e &&
		    right_of(s, &e->rec, e->id.subject, dep) != 0) {
			ret = drop(s, e->rec.type, e->id.subject);
			removed++;
		}
		weft_recpool_unref(s->pool, e);
	}
	free(c.e);
	return ret ? ret : removed;
}

/* A roll-over entered: records its old key signed past the roll-over lose
 * their right, and if the chain itself changed (a roll replaced another),
 * anything may have; repeat until nothing more goes, since a dropped invite
 * takes its members and they their node states. Only an admin key that
 * signs past its own roll-over or signs two roll-overs makes this drop
 * anything; such a misuse converges through anti-entropy rather than by
 * arrival order alone, as the superseded record may be gone. */
static int revalidate(weft_store_t *s, const weft_pk_t *old_key, bool chain_changed)
{
	long n = revalidate_pass(s, chain_changed ? NULL : old_key);

	while (n > 0)
		n = revalidate_pass(s, NULL);
	return n < 0 ? (int)n : 0;
}

/* Put e (one reference, owned by the call) into the map and apply what
 * follows from it. Returns ADDED or REPLACED, or -ENOMEM. */
static int enter(weft_store_t *s, struct weft_recent *e, struct worklist *wl)
{
	struct weft_recent *old = NULL;
	struct digests *d = dig_unique(s);
	int how, ret;

	if (!d) {
		weft_recpool_unref(s->pool, e);
		return -ENOMEM;
	}
	ret = weft_hamt_put(&s->root, e, &old);
	if (ret) {
		weft_recpool_unref(s->pool, e);
		return ret;
	}
	digest_flip(d, &e->id);
	if (old) {
		digest_flip(d, &old->id);
		weft_recpool_unref(s->pool, old);
		how = WEFT_MERGE_REPLACED;
	} else {
		s->count++;
		how = WEFT_MERGE_ADDED;
	}
	ret = drop_beaten_pending(s, e);
	if (ret)
		return ret;
	switch (e->rec.type) {
	case WEFT_REC_REVOCATION:
		ret = purge_node(s, e->id.subject);
		break;
	case WEFT_REC_ADMIN_ROLL:
		ret = revalidate(s, &e->rec.signer, how == WEFT_MERGE_REPLACED);
		break;
	default:
		ret = 0;
	}
	if (ret)
		return ret;
	if (s->cb)
		s->cb(s->cb_ctx, &e->rec, how);
	switch (e->rec.type) {
	case WEFT_REC_INVITE:
	case WEFT_REC_MEMBER:
		wl_push(wl, e->id.subject);
		break;
	case WEFT_REC_ADMIN_ROLL:
		wl_push(wl, e->rec.u.admin_roll.new_pk.b);
		break;
	default:
		break;
	}
	return how;
}

/* ---- the pending pool ---- */

/* Park e (one reference, owned by the call). The pool keeps the
 * WEFT_STORE_PENDING_MAX records with the lowest hashes: a full pool evicts
 * its highest hash for a lower one and refuses a higher one, so what stays
 * does not depend on arrival order. A newer node state replaces an older one
 * from the same node waiting on the same member, so one chatty node whose
 * member record is late takes one place, not one per version. */
static int park(weft_store_t *s, struct weft_recent *e, const uint8_t dep[32])
{
	struct pending *pd = s->pend;
	uint32_t i, worst = 0;

	for (i = 0; pd && i < pd->n; i++) {
		struct weft_recent *x = pd->item[i].e;

		if (x == e) {
			weft_recpool_unref(s->pool, e);
			return WEFT_EDUPLICATE;
		}
		if (e->rec.type == WEFT_REC_NODE_STATE && x->rec.type == WEFT_REC_NODE_STATE &&
		    !memcmp(x->id.subject, e->id.subject, 32)) {
			if (beats(&x->rec, x->id.hash, &e->rec, e->id.hash)) {
				weft_recpool_unref(s->pool, e);
				return WEFT_ESTALE;
			}
			pd = pend_unique(s, pd->n);
			if (!pd) {
				weft_recpool_unref(s->pool, e);
				return -ENOMEM;
			}
			weft_recpool_unref(s->pool, pd->item[i].e);
			pd->item[i].e = e;
			memcpy(pd->item[i].dep, dep, 32);
			return WEFT_MERGE_PENDING;
		}
		if (memcmp(x->id.hash, pd->item[worst].e->id.hash, 32) > 0)
			worst = i;
	}
	if (pd && pd->n >= WEFT_STORE_PENDING_MAX) {
		if (memcmp(e->id.hash, pd->item[worst].e->id.hash, 32) > 0) {
			weft_recpool_unref(s->pool, e);
			return WEFT_EFULL;
		}
		pd = pend_unique(s, pd->n);
		if (!pd) {
			weft_recpool_unref(s->pool, e);
			return -ENOMEM;
		}
		weft_recpool_unref(s->pool, pd->item[worst].e);
		pd->item[worst].e = e;
		memcpy(pd->item[worst].dep, dep, 32);
		return WEFT_MERGE_PENDING;
	}
	pd = pend_unique(s, (pd ? pd->n : 0) + 1);
	if (!pd) {
		weft_recpool_unref(s->pool, e);
		return -ENOMEM;
	}
	pd->item[pd->n].e = e;
	memcpy(pd->item[pd->n].dep, dep, 32);
	pd->n++;
	return WEFT_MERGE_PENDING;
}

/* Retry the parked records waiting for each key made available, and for
 * the keys those make available in turn. */
static void settle(weft_store_t *s, struct worklist *wl)
{
	while (wl->n) {
		uint8_t key[32];
		struct weft_recent **take;
		struct pending *pd;
		uint32_t i, j, n = 0;

		memcpy(key, wl->key[--wl->n], 32);
		if (!s->pend)
			continue;
		for (i = 0; i < s->pend->n; i++)
			if (!memcmp(s->pend->item[i].dep, key, 32))
				n++;
		if (!n)
			continue;
		take = malloc(n * sizeof(*take));
		pd = take ? pend_unique(s, s->pend->n) : NULL;
		if (!pd) {
			free(take);
			continue;
		}
		/* Take them out first: entering one may park or evict others. */
		for (i = j = n = 0; i < pd->n; i++) {
			if (!memcmp(pd->item[i].dep, key, 32))
				take[n++] = pd->item[i].e;
			else
				pd->item[j++] = pd->item[i];
		}
		pd->n = j;
		for (i = 0; i < n; i++) {
			uint8_t dep[32];
			int ret = judge(s, &take[i]->rec, &take[i]->id, true, dep);

			if (ret == 0)
				enter(s, take[i], wl);
			else if (ret == WAIT)
				park(s, take[i], dep);
			else
				weft_recpool_unref(s->pool, take[i]);
		}
		free(take);
	}
}

/* ---- merging ---- */

/* Merge a record decoded from its own raw bytes (decoded), or one the
 * caller built: then only raw is trusted, since the signature covers raw and
 * not the struct, and the body is decoded again from it. A record already in
 * the pool was decoded and verified when it entered, by this store or by one
 * sharing the pool, so neither is done again. */
static int merge(weft_store_t *s, const weft_record_t *r, bool decoded)
{
	weft_record_t *tmp = NULL;
	struct weft_recid id;
	struct weft_recent *e;
	struct worklist wl;
	bool verified = false;
	uint8_t dep[32];
	int ret;

	if (r->raw_len > WEFT_RECORD_MAX)
		return WEFT_EOVERSIZE;
	weft_record_hash(r, id.hash);
	e = weft_recpool_find(s->pool, id.hash);
	if (e) {
		r = &e->rec;
		id = e->id;
		verified = true;
	} else {
		if (!decoded) {
			tmp = malloc(sizeof(*tmp));
			if (!tmp)
				return -ENOMEM;
			ret = weft_record_decode(tmp, r->raw, r->raw_len, NULL);
			if (ret) {
				free(tmp);
				return ret;
			}
			r = tmp;
		}
		if (r->type < 1 || r->type > WEFT_REC_TYPE_MAX) {
			free(tmp);
			return WEFT_EMALFORMED;
		}
		weft_recid_fill(&id, r);
	}
	ret = judge(s, r, &id, verified, dep);
	if (ret < 0) {
		free(tmp);
		return ret;
	}
	e = weft_recpool_intern(s->pool, r, &id);
	free(tmp);
	if (!e)
		return -ENOMEM;
	if (ret == WAIT)
		return park(s, e, dep);
	wl_init(&wl);
	ret = enter(s, e, &wl);
	if (ret > 0)
		settle(s, &wl);
	wl_free(&wl);
	return ret;
}

int weft_store_merge(weft_store_t *s, const weft_record_t *r)
{
	return merge(s, r, false);
}

int weft_store_merge_bytes(weft_store_t *s, const uint8_t *buf, size_t len, const char **why)
{
	weft_record_t *r = malloc(sizeof(*r));
	int ret;

	if (!r)
		return -ENOMEM;
	ret = weft_record_decode(r, buf, len, why);
	if (!ret) {
		ret = merge(s, r, true);
		if (ret < 0 && why)
			*why = weft_strerror(ret);
	}
	free(r);
	return ret;
}

/* ---- iteration and digests ---- */

struct foreach_ctx {
	unsigned type;
	weft_store_iter_fn fn;
	void *ctx;
	size_t visited;
};

static int foreach_fn(void *ctx, struct weft_recent *e)
{
	struct foreach_ctx *c = ctx;

	if (c->type && e->rec.type != c->type)
		return 0;
	c->visited++;
	return c->fn(c->ctx, &e->rec);
}

size_t weft_store_foreach(const weft_store_t *s, unsigned type, weft_store_iter_fn fn, void *ctx)
{
	struct foreach_ctx c = { .type = type, .fn = fn, .ctx = ctx };

	weft_hamt_foreach(s->root, -1, foreach_fn, &c);
	return c.visited;
}

void weft_store_digest(const weft_store_t *s, uint8_t out[32])
{
	memcpy(out, s->dig ? s->dig->all : zero32, 32);
}

void weft_store_bucket_digests(const weft_store_t *s, uint8_t out[WEFT_DIGEST_BUCKETS][32])
{
	if (s->dig)
		memcpy(out, s->dig->bucket, sizeof(s->dig->bucket));
	else
		memset(out, 0, WEFT_DIGEST_BUCKETS * 32);
}

unsigned weft_store_bucket_of(const weft_record_t *r)
{
	uint8_t subject[32], key[8];

	weft_record_subject(r, subject);
	weft_store_key(r->type, subject, key);
	return bucket_of_key(key);
}

struct bucket_ctx {
	unsigned bucket;
	struct weft_store_entry_id *out;
	size_t cap, n;
};

static int bucket_fn(void *ctx, struct weft_recent *e)
{
	struct bucket_ctx *c = ctx;

	if (bucket_of_key(e->id.key) != c->bucket)
		return 0;
	if (c->n < c->cap) {
		memcpy(c->out[c->n].key, e->id.key, 8);
		memcpy(c->out[c->n].hash, e->id.hash, 8);
	}
	c->n++;
	return 0;
}

size_t weft_store_bucket_entries(const weft_store_t *s, unsigned bucket, struct weft_store_entry_id *out, size_t cap)
{
	struct bucket_ctx c = { .bucket = bucket, .out = out, .cap = cap };

	if (bucket >= WEFT_DIGEST_BUCKETS)
		return 0;
	/* A bucket is the top 6 key bits, the map's root level the top 5. */
	weft_hamt_foreach(s->root, (int)(bucket >> 1), bucket_fn, &c);
	return c.n < cap ? c.n : cap;
}

size_t weft_store_bucket_size(const weft_store_t *s, unsigned bucket)
{
	struct bucket_ctx c = { .bucket = bucket };

	if (bucket >= WEFT_DIGEST_BUCKETS)
		return 0;
	weft_hamt_foreach(s->root, (int)(bucket >> 1), bucket_fn, &c);
	return c.n;
}

const weft_record_t *weft_store_get_by_key(const weft_store_t *s, const uint8_t key[8])
{
	uint64_t k = 0;
	struct weft_recent *e;

	for (unsigned i = 0; i < 8; i++)
		k = k << 8 | key[i];
	e = weft_hamt_find_key(s->root, k);
	return e ? &e->rec : NULL;
}

/* ---- serialisation ---- */

/* Records are written in an order that loads without parking: the admin
 * chain from the genesis key, then invites, members, and the rest (each
 * group by type and key, so equal stores give equal bytes), then the
 * pending pool by hash. */
struct ser_item {
	unsigned rank;
	const struct weft_recent *e;
};

static int ser_cmp(const void *a, const void *b)
{
	const struct ser_item *x = a, *y = b;
	int c;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	if (x->e->rec.type != y->e->rec.type)
		return x->e->rec.type < y->e->rec.type ? -1 : 1;
	if (x->e->id.k != y->e->id.k)
		return x->e->id.k < y->e->id.k ? -1 : 1;
	c = memcmp(x->e->id.subject, y->e->id.subject, 32);
	return c ? c : memcmp(x->e->id.hash, y->e->id.hash, 32);
}

struct ser_ctx {
	struct ser_item *items;
	size_t n;
	const weft_pk_t *chain[CHAIN_MAX];
	unsigned nchain;
};

static int ser_fn(void *ctx, struct weft_recent *e)
{
	struct ser_ctx *c = ctx;
	struct ser_item *it = &c->items[c->n++];

	it->e = e;
	switch (e->rec.type) {
	case WEFT_REC_ADMIN_ROLL:
		it->rank = CHAIN_MAX;
		for (unsigned i = 0; i < c->nchain; i++)
			if (pk_eq(c->chain[i], &e->rec.signer))
				it->rank = i;
		break;
	case WEFT_REC_INVITE:
		it->rank = CHAIN_MAX + 1;
		break;
	case WEFT_REC_MEMBER:
		it->rank = CHAIN_MAX + 2;
		break;
	default:
		it->rank = CHAIN_MAX + 3;
	}
	return 0;
}

static uint8_t *put_be(uint8_t *p, uint64_t v, unsigned bytes)
{
	while (bytes--)
		*p++ = (uint8_t)(v >> (8 * bytes));
	return p;
}

int weft_store_serialize(const weft_store_t *s, uint8_t **out, size_t *len)
{
	size_t npend = weft_store_pending_count(s), total = s->count + npend, size = 5, i;
	struct ser_ctx c = { 0 };
	const weft_pk_t *cur = &s->network_id;
	uint8_t *buf, *p;

	*out = NULL;
	*len = 0;
	if (total > UINT32_MAX)
		return WEFT_EOVERSIZE;
	for (c.nchain = 0; c.nchain < CHAIN_MAX; c.nchain++) {
		struct weft_recent *roll = find(s, WEFT_REC_ADMIN_ROLL, cur->b);

		c.chain[c.nchain] = cur;
		if (!roll)
			break;
		cur = &roll->rec.u.admin_roll.new_pk;
	}
	c.items = malloc((total ? total : 1) * sizeof(*c.items));
	if (!c.items)
		return -ENOMEM;
	weft_hamt_foreach(s->root, -1, ser_fn, &c);
	qsort(c.items, c.n, sizeof(*c.items), ser_cmp);
	for (i = 0; i < npend; i++) {
		c.items[c.n].rank = CHAIN_MAX + 4;
		c.items[c.n++].e = s->pend->item[i].e;
	}
	qsort(c.items + s->count, npend, sizeof(*c.items), ser_cmp);
	for (i = 0; i < c.n; i++)
		size += 3 + c.items[i].e->rec.raw_len;
	buf = malloc(size);
	if (!buf) {
		free(c.items);
		return -ENOMEM;
	}
	/* Canonical msgpack: the smallest array header, bin 8 or bin 16. */
	p = buf;
	if (c.n < 16) {
		*p++ = (uint8_t)(0x90 | c.n);
	} else if (c.n <= UINT16_MAX) {
		*p++ = 0xdc;
		p = put_be(p, c.n, 2);
	} else {
		*p++ = 0xdd;
		p = put_be(p, c.n, 4);
	}
	for (i = 0; i < c.n; i++) {
		const weft_record_t *r = &c.items[i].e->rec;

		if (r->raw_len <= UINT8_MAX) {
			*p++ = 0xc4;
			p = put_be(p, r->raw_len, 1);
		} else {
			*p++ = 0xc5;
			p = put_be(p, r->raw_len, 2);
		}
		memcpy(p, r->raw, r->raw_len);
		p += r->raw_len;
	}
	free(c.items);
	*out = buf;
	*len = (size_t)(p - buf);
	return 0;
}

static uint64_t get_be(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;

	while (bytes--)
		v = v << 8 | *p++;
	return v;
}

/* Swap the contents (not the callback) of two stores over one pool. */
static void swap_state(weft_store_t *a, weft_store_t *b)
{
	weft_store_t t = *a;

	a->root = b->root;
	a->dig = b->dig;
	a->pend = b->pend;
	a->count = b->count;
	b->root = t.root;
	b->dig = t.dig;
	b->pend = t.pend;
	b->count = t.count;
}

int weft_store_load(weft_store_t *s, const uint8_t *buf, size_t len, const char **why)
{
	const uint8_t *p = buf, *end = buf + len;
	weft_store_t *scratch = NULL;
	weft_record_t *r = NULL;
	uint64_t n, i;
	const char *dummy;
	int ret;

	if (!why)
		why = &dummy;
	*why = NULL;
	if (len < 1) {
		*why = "empty store file";
		return WEFT_EMALFORMED;
	}
	if ((*p & 0xf0) == 0x90) {
		n = *p++ & 0x0f;
	} else if (*p == 0xdc && len >= 3) {
		n = get_be(p + 1, 2);
		p += 3;
	} else if (*p == 0xdd && len >= 5) {
		n = get_be(p + 1, 4);
		p += 5;
	} else {
		*why = "store is not a msgpack array";
		return WEFT_EMALFORMED;
	}
	/* Each element takes at least 2 bytes: refuse absurd counts early. */
	if (n > (size_t)(end - p) / 2) {
		*why = "store array is longer than its bytes";
		return WEFT_EMALFORMED;
	}
	/* Merge into a scratch copy so an error leaves s as it was. */
	scratch = weft_store_clone(s);
	r = malloc(sizeof(*r));
	if (!scratch || !r) {
		ret = -ENOMEM;
		*why = "out of memory";
		goto out;
	}
	for (i = 0; i < n; i++) {
		uint64_t rlen;

		if (end - p >= 2 && *p == 0xc4) {
			rlen = p[1];
			p += 2;
		} else if (end - p >= 3 && *p == 0xc5) {
			rlen = get_be(p + 1, 2);
			p += 3;
		} else if (end - p >= 5 && *p == 0xc6) {
			rlen = get_be(p + 1, 4);
			p += 5;
		} else {
			*why = "store element is not a bin";
			ret = WEFT_EMALFORMED;
			goto out;
		}
		if (rlen > (uint64_t)(end - p)) {
			*why = "store element is cut short";
			ret = WEFT_EMALFORMED;
			goto out;
		}
		if (rlen > WEFT_RECORD_MAX) {
			*why = "stored record is too large";
			ret = WEFT_EOVERSIZE;
			goto out;
		}
		ret = weft_record_decode(r, p, (size_t)rlen, why);
		if (ret)
			goto out;
		p += rlen;
		ret = merge(scratch, r, true);
		/* A held record that is duplicated, superseded or about a
		 * revoked node is normal in a store's own file; a record that
		 * does not verify or has no right is not. */
		if (ret < 0 && ret != WEFT_EDUPLICATE && ret != WEFT_ESTALE && ret != WEFT_EREVOKED &&
		    ret != WEFT_EFULL) {
			*why = weft_strerror(ret);
			goto out;
		}
	}
	if (p != end) {
		*why = "trailing bytes after the store array";
		ret = WEFT_ETRAILING;
		goto out;
	}
	swap_state(s, scratch);
	ret = 0;
out:
	free(r);
	weft_store_free(scratch);
	return ret;
}
