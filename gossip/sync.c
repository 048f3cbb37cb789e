/* gossip/sync.c: push-pull anti-entropy with one member at a time. Digests
 * narrow the difference down before anything is listed, and only records
 * that differ cross the wire:
 *
 *   A -> B  sync       whole digest + 64 bucket digests (8 bytes each)
 *   B -> A  sync-diff  nothing if equal; else, for up to 32 differing
 *                      buckets, 16 sub-bucket digests each
 *   A -> B  sync-list  A's (key, hash) entries of each differing sub-bucket,
 *                      chunked by key range
 *   B -> A  records    what A lacks or holds differently; sync-want: the
 *                      keys B lacks or holds differently
 *   A -> B  records    what B wanted
 *
 * A member that comes back from the dead (a healed partition, a restart)
 * is synced with soon: it missed what happened meanwhile.
 * Both sides send their version of a differing key and the merge rules pick
 * the winner. Each side sends at most WEFT_G_SYNC_RECORDS records per
 * exchange; an exchange that found differences is followed by the next one
 * soon (pushpull_fast_ms) instead of a full interval later. At most
 * WEFT_G_SYNC_RESPONDERS exchanges are answered at once; a sync nobody
 * answered (a busy responder, or a member that died unnoticed: a restarted
 * node's first choice may be one) is retried soon with someone else, up to
 * WEFT_G_SYNC_RETRIES times in a row. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/error.h"
#include "gossip/internal.h"

#define SUB_OF(key) ((key)[7] & (WEFT_G_SYNC_SUBS - 1))
#define ENTRY_LEN 16

/* ---- digests ---- */

static uint64_t entry_mix(const uint8_t key[8], const uint8_t hash[8])
{
	static const uint8_t k[crypto_shorthash_KEYBYTES] = "weft-sync-subdg";
	uint8_t in[16], out[8];
	uint64_t v;

	memcpy(in, key, 8);
	memcpy(in + 8, hash, 8);
	crypto_shorthash(out, in, sizeof(in), k);
	memcpy(&v, out, 8);
	return v;
}

/* Loads bucket b's entries (in key order) into g->scratch; returns how
 * many, or -1. */
static long load_bucket(weft_gossip_t *g, unsigned b)
{
	struct weft_store_entry_id *e;
	size_t need = weft_store_bucket_size(g->store, b);

	if (need < 16)
		need = 16; /* never a NULL scratch, even for an empty bucket */
	if (need > g->scratch_cap) {
		e = weft_g_realloc(&g->mem, g->scratch, need, sizeof(*e));
		if (!e)
			return -1;
		g->scratch = e;
		g->scratch_cap = need;
	}
	return (long)weft_store_bucket_entries(g->store, b, g->scratch, g->scratch_cap);
}

static void sub_digests(const struct weft_store_entry_id *e, size_t n, uint8_t out[WEFT_G_SYNC_SUBS * 8])
{
	uint64_t subs[WEFT_G_SYNC_SUBS] = { 0 };
	size_t i;

	for (i = 0; i < n; i++)
		subs[SUB_OF(e[i].key)] ^= entry_mix(e[i].key, e[i].hash);
	memcpy(out, subs, sizeof(subs));
}

/* ---- a packet of one growing array: [from, xid, [elements...]] ---- */

struct batch {
	weft_gossip_t *g;
	uint8_t type;
	uint32_t xid, count;
	uint32_t news; /* records sent that are worth hurrying for */
	const struct weft_gossip_dgram *dest;
	struct weft_wbuf t;
	uint8_t tmp[WEFT_GOSSIP_MTU];
};

/* Room for the elements: the MTU less the sealed header and tag, the
 * sender's authentication, the array headers, the sender id and the xid. */
#define BATCH_ROOM \
	(WEFT_GOSSIP_MTU - WEFT_WIRE_SEALED_HDR_LEN - WEFT_WIRE_TAG_LEN - WEFT_WIRE_AUTH_LEN - 1 - 34 - 5 - 3)

static void batch_init(struct batch *b, weft_gossip_t *g, uint8_t type, uint32_t xid,
		       const struct weft_gossip_dgram *dest)
{
	b->g = g;
	b->type = type;
	b->xid = xid;
	b->count = 0;
	b->news = 0;
	b->dest = dest;
	b->t = (struct weft_wbuf){ b->tmp, 0, BATCH_ROOM, false };
}

static void batch_flush(struct batch *b, bool even_empty)
{
	struct gpkt pk;

	if (b->count == 0 && !even_empty)
		return;
	weft_g_pkt_start(b->g, &pk, b->type, b->dest);
	weft_mp_array(&pk.w, 3);
	weft_mp_bin(&pk.w, b->g->id.pk.b, WEFT_PK_LEN);
	weft_mp_uint(&pk.w, b->xid);
	weft_mp_array(&pk.w, b->count);
	weft_mp_raw(&pk.w, b->tmp, b->t.len);
	weft_g_pkt_send(b->g, &pk);
	b->count = 0;
	b->t.len = 0;
	b->t.overflow = false;
}

/* Make room for need bytes, flushing the batch if they do not fit. */
static void batch_room(struct batch *b, size_t need)
{
	if (b->t.cap - b->t.len < need)
		batch_flush(b, false);
}

static void batch_record(struct batch *b, const weft_record_t *r)
{
	batch_room(b, weft_mp_bin_size(r->raw_len));
	weft_mp_bin(&b->t, r->raw, r->raw_len);
	b->count++;
}

/* ---- initiator ---- */

void weft_sync_start(weft_gossip_t *g, uint32_t idx)
{
	uint8_t digest[32], buckets[WEFT_DIGEST_BUCKETS][32], short_b[WEFT_DIGEST_BUCKETS * 8];
	struct gsync_init *s = &g->sync;
	struct gpkt pk;
	unsigned i;

	memset(s, 0, sizeof(*s));
	if (!weft_members_dest(g, idx, &s->dest))
		return;
	s->active = true;
	s->xid = (uint32_t)weft_g_rand(g);
	s->peer = idx;
	s->deadline = g->now + MS(WEFT_G_SYNC_TIMEOUT_MS);
	weft_store_digest(g->store, digest);
	weft_store_bucket_digests(g->store, buckets);
	for (i = 0; i < WEFT_DIGEST_BUCKETS; i++)
		memcpy(short_b + 8 * i, buckets[i], 8);
	weft_g_pkt_start(g, &pk, WEFT_MSG_SYNC, &s->dest);
	weft_mp_array(&pk.w, 4);
	weft_mp_bin(&pk.w, g->id.pk.b, WEFT_PK_LEN);
	weft_mp_uint(&pk.w, s->xid);
	weft_mp_bin(&pk.w, digest, 16);
	weft_mp_bin(&pk.w, short_b, sizeof(short_b));
	weft_g_pkt_send(g, &pk);
	g->st.syncs++;
}

void weft_sync_soon(weft_gossip_t *g, uint32_t idx)
{
	uint64_t t = g->now + MS(weft_g_rand_below(g, g->p.probe_interval_ms));

	g->sync_hint = idx;
	if (t < g->next_sync)
		g->next_sync = t;
}

void weft_sync_tick(weft_gossip_t *g)
{
	uint64_t iv = g->p.pushpull_interval_ms;
	uint32_t idx = g->sync_hint, skip = g->sync_silent;

	/* Jitter (90-110 %) keeps members from falling into step. */
	g->next_sync = g->now + MS(iv * 9 / 10 + weft_g_rand_below(g, (uint32_t)(iv / 5 + 1)));
	g->sync.active = false;
	g->sync_hint = g->sync_silent = WEFT_G_NONE;
	if (idx == WEFT_G_NONE || !weft_members_eligible(g, idx))
		idx = weft_members_random(g, &skip, skip == WEFT_G_NONE ? 0 : 1);
	if (idx != WEFT_G_NONE)
		weft_sync_start(g, idx);
}

void weft_sync_timers(weft_gossip_t *g)
{
	unsigned i;

	if (g->sync.active && g->now >= g->sync.deadline) {
		g->sync.active = false;
		if (!g->sync.answered && g->sync_misses < WEFT_G_SYNC_RETRIES) {
			g->sync_misses++;
			g->sync_silent = g->sync.peer;
			if (g->next_sync > g->now + MS(g->p.pushpull_fast_ms))
				g->next_sync = g->now + MS(g->p.pushpull_fast_ms);
		}
	}
	for (i = 0; i < WEFT_G_SYNC_RESPONDERS; i++)
		if (g->resp[i].active && g->now >= g->resp[i].deadline)
			g->resp[i].active = false;
}

uint64_t weft_sync_deadline(const weft_gossip_t *g)
{
	uint64_t t = g->sync.active ? g->sync.deadline : UINT64_MAX;
	unsigned i;

	for (i = 0; i < WEFT_G_SYNC_RESPONDERS; i++)
		if (g->resp[i].active && g->resp[i].deadline < t)
			t = g->resp[i].deadline;
	return t;
}

static bool init_session(const weft_gossip_t *g, const struct grx *rx, uint32_t xid)
{
	const struct gsync_init *s = &g->sync;

	return s->active && s->xid == xid && rx->sender_idx == s->peer;
}

static struct gsync_resp *resp_session(weft_gossip_t *g, const struct grx *rx, uint32_t xid)
{
	unsigned i;

	for (i = 0; i < WEFT_G_SYNC_RESPONDERS; i++)
		if (g->resp[i].active && g->resp[i].xid == xid &&
		    !memcmp(g->resp[i].peer.b, rx->sender.b, WEFT_PK_LEN))
			return &g->resp[i];
	return NULL;
}

/* ---- responder: sync ---- */

int weft_sync_on_sync(weft_gossip_t *g, struct grx *rx)
{
	uint8_t digest[32], buckets[WEFT_DIGEST_BUCKETS][32], subs[WEFT_G_SYNC_SUBS * 8];
	const uint8_t *their_digest, *their_b;
	unsigned differ[WEFT_DIGEST_BUCKETS], ndiff = 0, i, start, b;
	struct gsync_resp *slot = NULL;
	struct batch bt;
	uint32_t xid;
	long n;

	if (rx->nfields != 3 || weft_mp_read_u32(&rx->r, &xid) || weft_mp_read_binfix(&rx->r, &their_digest, 16) ||
	    weft_mp_read_binfix(&rx->r, &their_b, WEFT_DIGEST_BUCKETS * 8) || weft_mp_end(&rx->r))
		return WEFT_EMALFORMED;
	weft_store_digest(g->store, digest);
	batch_init(&bt, g, WEFT_MSG_SYNC_DIFF, xid, &rx->reply);
	if (sodium_memcmp(digest, their_digest, 16) == 0) {
		batch_flush(&bt, true); /* "equal": a few dozen bytes */
		return 0;
	}
	for (i = 0; i < WEFT_G_SYNC_RESPONDERS && !slot; i++)
		if (!g->resp[i].active || !memcmp(g->resp[i].peer.b, rx->sender.b, WEFT_PK_LEN))
			slot = &g->resp[i];
	if (!slot)
		return 0; /* busy: the initiator will try someone else */
	slot->active = true;
	slot->xid = xid;
	slot->peer = rx->sender;
	slot->records = 0;
	slot->deadline = g->now + MS(WEFT_G_SYNC_TIMEOUT_MS);
	weft_store_bucket_digests(g->store, buckets);
	for (i = 0; i < WEFT_DIGEST_BUCKETS; i++)
		if (memcmp(buckets[i], their_b + 8 * i, 8) != 0)
			differ[ndiff++] = i;
	/* A random starting point: across exchanges every bucket gets its turn. */
	start = ndiff ? weft_g_rand_below(g, ndiff) : 0;
	for (i = 0; i < ndiff && i < WEFT_G_SYNC_BUCKETS; i++) {
		b = differ[(start + i) % ndiff];
		n = load_bucket(g, b);
		if (n < 0)
			break;
		sub_digests(g->scratch, (size_t)n, subs);
		batch_room(&bt, 1 + 1 + weft_mp_bin_size(sizeof(subs)));
		weft_mp_array(&bt.t, 2);
		weft_mp_uint(&bt.t, b);
		weft_mp_bin(&bt.t, subs, sizeof(subs));
		bt.count++;
	}
	batch_flush(&bt, true);
	return 0;
}

/* ---- initiator: sync-diff -> sync-list ---- */

static void put_key_be(uint8_t out[8], uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		out[i] = (uint8_t)(v >> (56 - 8 * i));
}

static uint64_t get_key_be(const uint8_t k[8])
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | k[i];
	return v;
}

/* A sync-list element: [bucket, sub, lo, hi, entries]. */
#define LIST_FIXED (1 + 2 + 1 + 10 + 10 + 3)
#define LIST_PER ((BATCH_ROOM - LIST_FIXED) / ENTRY_LEN)

/* One sub-bucket's entries (sorted) as key-range chunks that partition the
 * key space, so the other side can diff each chunk on its own. */
static void list_sub(struct batch *bt, unsigned b, unsigned s, const struct weft_store_entry_id *e, size_t n)
{
	const size_t fixed = LIST_FIXED, per = LIST_PER;
	uint8_t lo[8], hi[8], buf[ENTRY_LEN * LIST_PER];
	uint64_t next_lo = 0;
	size_t i = 0, k, j;

	do {
		k = n - i < per ? n - i : per;
		put_key_be(lo, next_lo);
		if (i + k == n) {
			memset(hi, 0xff, 8);
		} else {
			memcpy(hi, e[i + k - 1].key, 8);
			next_lo = get_key_be(hi) + 1;
		}
		for (j = 0; j < k; j++) {
			memcpy(buf + ENTRY_LEN * j, e[i + j].key, 8);
			memcpy(buf + ENTRY_LEN * j + 8, e[i + j].hash, 8);
		}
		batch_room(bt, fixed + k * ENTRY_LEN);
		weft_mp_array(&bt->t, 5);
		weft_mp_uint(&bt->t, b);
		weft_mp_uint(&bt->t, s);
		weft_mp_bin(&bt->t, lo, 8);
		weft_mp_bin(&bt->t, hi, 8);
		weft_mp_bin(&bt->t, buf, k * ENTRY_LEN);
		bt->count++;
		i += k;
	} while (i < n);
}

/* Sub-bucket first, then key: each sub-bucket's entries become one sorted run. */
static int cmp_sub_entry(const void *a, const void *b)
{
	const struct weft_store_entry_id *x = a, *y = b;

	if (SUB_OF(x->key) != SUB_OF(y->key))
		return SUB_OF(x->key) < SUB_OF(y->key) ? -1 : 1;
	return memcmp(x->key, y->key, 8);
}

int weft_sync_on_diff(weft_gossip_t *g, struct grx *rx)
{
	uint8_t mine[WEFT_G_SYNC_SUBS * 8];
	struct weft_rbuf list;
	const uint8_t *subs;
	struct batch bt;
	uint32_t xid, n, i, k;
	uint64_t b;
	unsigned s;
	long cnt;
	size_t j, run;

	if (rx->nfields != 2 || weft_mp_read_u32(&rx->r, &xid) || weft_mp_read_array(&rx->r, &n))
		return WEFT_EMALFORMED;
	list = rx->r;
	for (i = 0; i < n; i++)
		if (weft_mp_read_array(&rx->r, &k) || k != 2 || weft_mp_read_uint(&rx->r, &b) ||
		    b >= WEFT_DIGEST_BUCKETS || weft_mp_read_binfix(&rx->r, &subs, sizeof(mine)))
			return WEFT_EMALFORMED;
	if (weft_mp_end(&rx->r))
		return WEFT_EMALFORMED;
	if (!init_session(g, rx, xid))
		return WEFT_EPROTO;
	g->sync.answered = true;
	g->sync_misses = 0;
	if (n == 0) {
		g->sync.active = false; /* in sync */
		return 0;
	}
	g->sync.diff = true;
	batch_init(&bt, g, WEFT_MSG_SYNC_LIST, xid, &g->sync.dest);
	for (i = 0; i < n; i++) {
		weft_mp_read_array(&list, &k);
		weft_mp_read_uint(&list, &b);
		weft_mp_read_binfix(&list, &subs, sizeof(mine));
		cnt = load_bucket(g, (unsigned)b);
		if (cnt < 0)
			break;
		sub_digests(g->scratch, (size_t)cnt, mine);
		qsort(g->scratch, (size_t)cnt, sizeof(*g->scratch), cmp_sub_entry);
		for (s = 0, j = 0; s < WEFT_G_SYNC_SUBS; s++, j += run) {
			for (run = 0; j + run < (size_t)cnt && SUB_OF(g->scratch[j + run].key) == s; run++)
				;
			if (memcmp(mine + 8 * s, subs + 8 * s, 8) != 0)
				list_sub(&bt, (unsigned)b, s, g->scratch + j, run);
		}
	}
	batch_flush(&bt, false);
	return 0;
}

/* ---- responder: sync-list -> records + sync-want ---- */

/* In entries sorted by (sub-bucket, key): the first index whose entry
 * comes after (s, key) (after = true) or at or after it. */
static size_t bound(const struct weft_store_entry_id *e, size_t n, unsigned s, const uint8_t key[8], bool after)
{
	size_t lo = 0, hi = n, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = SUB_OF(e[mid].key) != s ? (SUB_OF(e[mid].key) < s ? -1 : 1) : memcmp(e[mid].key, key, 8);
		if (c < 0 || (after && c == 0))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool in_range(const uint8_t *key, const uint8_t *lo, const uint8_t *hi)
{
	return memcmp(key, lo, 8) >= 0 && memcmp(key, hi, 8) <= 0;
}

static void send_records_of(weft_gossip_t *g, struct batch *rec, uint32_t *sent, const uint8_t key[8])
{
	const weft_record_t *r, *inv;

	if (*sent >= WEFT_G_SYNC_RECORDS)
		return;
	r = weft_store_get_by_key(g->store, key);
	if (!r)
		return;
	if (!weft_g_state_throttled(g, r))
		rec->news++;
	/* A member record goes with its invite: without it the other side
	 * would park the member in its pending pool until a later exchange
	 * reached the invite's bucket (every member has its own invite when
	 * invites are single-use). A duplicate costs the other side a hash. */
	if (r->type == WEFT_REC_MEMBER && (inv = weft_store_get(g->store, WEFT_REC_INVITE, r->u.member.invite_pk.b)))
		batch_record(rec, inv);
	batch_record(rec, r);
	(*sent)++;
}

/* Keys we lack or hold differently, sent in sync-want packets. */
struct want {
	weft_gossip_t *g;
	const struct weft_gossip_dgram *dest;
	uint32_t xid;
	size_t n;
	uint8_t keys[8 * 128];
};

static void want_flush(struct want *w)
{
	struct gpkt pk;

	if (w->n == 0)
		return;
	weft_g_pkt_start(w->g, &pk, WEFT_MSG_SYNC_WANT, w->dest);
	weft_mp_array(&pk.w, 3);
	weft_mp_bin(&pk.w, w->g->id.pk.b, WEFT_PK_LEN);
	weft_mp_uint(&pk.w, w->xid);
	weft_mp_bin(&pk.w, w->keys, 8 * w->n);
	weft_g_pkt_send(w->g, &pk);
	w->n = 0;
}

static void want_key(struct want *w, const uint8_t key[8])
{
	memcpy(w->keys + 8 * w->n, key, 8);
	if (++w->n == sizeof(w->keys) / 8)
		want_flush(w);
}

int weft_sync_on_list(weft_gossip_t *g, struct grx *rx)
{
	const struct weft_store_entry_id *mine;
	const uint8_t *lo, *hi, *ent;
	struct gsync_resp *slot;
	struct weft_rbuf list;
	struct batch rec;
	struct want want;
	uint32_t xid, n, i, k;
	uint64_t b, s;
	size_t len, j, a, m;
	long cnt = 0, loaded = -1;
	int c;

	if (rx->nfields != 2 || weft_mp_read_u32(&rx->r, &xid) || weft_mp_read_array(&rx->r, &n))
		return WEFT_EMALFORMED;
	list = rx->r;
	/* Check the whole packet first: ranges, order, sub-bucket of each key. */
	for (i = 0; i < n; i++) {
		if (weft_mp_read_array(&rx->r, &k) || k != 5 || weft_mp_read_uint(&rx->r, &b) ||
		    b >= WEFT_DIGEST_BUCKETS || weft_mp_read_uint(&rx->r, &s) || s >= WEFT_G_SYNC_SUBS ||
		    weft_mp_read_binfix(&rx->r, &lo, 8) || weft_mp_read_binfix(&rx->r, &hi, 8) ||
		    memcmp(lo, hi, 8) > 0 || weft_mp_read_bin(&rx->r, &ent, &len) || len % ENTRY_LEN)
			return WEFT_EMALFORMED;
		for (j = 0; j < len; j += ENTRY_LEN)
			if (SUB_OF(ent + j) != s || !in_range(ent + j, lo, hi) ||
			    (j && memcmp(ent + j - ENTRY_LEN, ent + j, 8) >= 0))
				return WEFT_EMALFORMED;
	}
	if (weft_mp_end(&rx->r))
		return WEFT_EMALFORMED;
	slot = resp_session(g, rx, xid);
	if (!slot)
		return WEFT_EPROTO;
	/* The initiator sends all its list chunks at once: the slot is free
	 * for another soon after the last (its records need no session), not
	 * at the exchange's timeout. With every node syncing at once (a mass
	 * key rotation), slots held 5 s were what made exchanges wait. */
	slot->deadline = g->now + MS(WEFT_G_SYNC_LINGER_MS);
	batch_init(&rec, g, WEFT_MSG_RECORDS, xid, &rx->reply);
	want.g = g;
	want.dest = &rx->reply;
	want.xid = xid;
	want.n = 0;
	for (i = 0; i < n; i++) {
		weft_mp_read_array(&list, &k);
		weft_mp_read_uint(&list, &b);
		weft_mp_read_uint(&list, &s);
		weft_mp_read_binfix(&list, &lo, 8);
		weft_mp_read_binfix(&list, &hi, 8);
		weft_mp_read_bin(&list, &ent, &len);
		/* Elements come bucket by bucket: load and sort each once. */
		if ((long)b != loaded) {
			cnt = load_bucket(g, (unsigned)b);
			if (cnt < 0)
				break;
			qsort(g->scratch, (size_t)cnt, sizeof(*g->scratch), cmp_sub_entry);
			loaded = (long)b;
		}
		mine = g->scratch + bound(g->scratch, (size_t)cnt, (unsigned)s, lo, false);
		m = (size_t)(g->scratch + bound(g->scratch, (size_t)cnt, (unsigned)s, hi, true) - mine);
		/* Merge walk over the two sorted lists. */
		for (j = 0, a = 0; j < m || a < len;) {
			c = j == m ? 1 : a == len ? -1 : memcmp(mine[j].key, ent + a, 8);
			if (c <= 0 && (c < 0 || memcmp(mine[j].hash, ent + a + 8, 8) != 0))
				send_records_of(g, &rec, &slot->records, mine[j].key);
			if (c >= 0 && (c > 0 || memcmp(mine[j].hash, ent + a + 8, 8) != 0))
				want_key(&want, ent + a);
			if (c <= 0)
				j++;
			if (c >= 0)
				a += ENTRY_LEN;
		}
	}
	batch_flush(&rec, false);
	want_flush(&want);
	return 0;
}

/* ---- initiator: sync-want -> records ---- */

int weft_sync_on_want(weft_gossip_t *g, struct grx *rx)
{
	const uint8_t *keys;
	struct batch rec;
	uint32_t xid;
	size_t len, j;

	if (rx->nfields != 2 || weft_mp_read_u32(&rx->r, &xid) || weft_mp_read_bin(&rx->r, &keys, &len) || len % 8 ||
	    weft_mp_end(&rx->r))
		return WEFT_EMALFORMED;
	if (!init_session(g, rx, xid))
		return WEFT_EPROTO;
	batch_init(&rec, g, WEFT_MSG_RECORDS, xid, &g->sync.dest);
	for (j = 0; j < len; j += 8)
		send_records_of(g, &rec, &g->sync.records, keys + j);
	batch_flush(&rec, false);
	/* We hold what others lack: spread it at the fast pace too. */
	if (rec.news && g->next_sync > g->now + MS(g->p.pushpull_fast_ms))
		g->next_sync = g->now + MS(g->p.pushpull_fast_ms);
	return 0;
}

/* ---- both: records ---- */

static bool throttled(weft_gossip_t *g, const uint8_t *raw, size_t len)
{
	const weft_record_t *r;
	weft_record_t dec;

	if (len < 3 || raw[2] != WEFT_REC_NODE_STATE || weft_record_decode(&dec, raw, len, NULL))
		return false;
	r = weft_store_get(g->store, WEFT_REC_NODE_STATE, dec.u.node_state.node_id.b);
	return r && weft_g_state_throttled(g, r);
}

int weft_sync_on_records(weft_gossip_t *g, struct grx *rx)
{
	struct weft_rbuf list;
	const uint8_t *p;
	uint32_t xid, n, i;
	bool merged = false;
	size_t len;
	int ret;

	if (rx->nfields != 2 || weft_mp_read_u32(&rx->r, &xid) || weft_mp_read_array(&rx->r, &n))
		return WEFT_EMALFORMED;
	list = rx->r;
	for (i = 0; i < n; i++)
		if (weft_mp_read_bin(&rx->r, &p, &len) || len == 0 || len > WEFT_RECORD_MAX)
			return WEFT_EMALFORMED;
	if (weft_mp_end(&rx->r))
		return WEFT_EMALFORMED;
	for (i = 0; i < n; i++) {
		weft_mp_read_bin(&list, &p, &len);
		ret = weft_g_merge_raw(g, p, len);
		if (ret > 0)
			g->st.sync_records++;
		if (ret > 0 && ret != WEFT_MERGE_PENDING && !throttled(g, p, len))
			merged = true;
	}
	/* An exchange that brought us something is followed by the next one
	 * soon (there may be more, beyond what one exchange carries). One
	 * that found differences but brought nothing we took (a record we
	 * hold back, a stale one) is not: one member's stream of new state
	 * records must not keep every node's anti-entropy at its fast pace. */
	if (merged && init_session(g, rx, xid) && g->next_sync > g->now + MS(g->p.pushpull_fast_ms))
		g->next_sync = g->now + MS(g->p.pushpull_fast_ms);
	return 0;
}
