/* The record store of one network and its merge rules (DESIGN §3): a
 * state-based CRDT, so every node holding the same records computes the same
 * view whatever order they arrived in.
 *
 * Rules applied by weft_store_merge():
 *  - the signature must verify (through the verification cache);
 *  - the signer must have the right to the record: admin types by the genesis
 *    admin key or a key it rolled over to (an old key only for versions up to
 *    its roll-over), members by an invite in the store (or an admin key),
 *    node state by the member it describes;
 *  - a record whose right cannot be established yet (its invite or member is
 *    not here yet) waits in a bounded pending pool and is merged when the
 *    record it depends on arrives; it is never forwarded while it waits;
 *  - versioned types: higher version wins; equal versions with different
 *    bytes are ordered by record hash, so concurrent equivocation converges;
 *  - immutable types: the first valid record for a subject is kept, and a
 *    different one for the same subject is refused (an admin who signs two
 *    invites with one key is ordered by hash too, to stay order-independent);
 *  - a revocation is permanent: the node's state and override are dropped and
 *    any later record about or by that node is refused (its member record is
 *    kept so invite uses stay counted).
 *
 * How store.c applies them (details the list above leaves open):
 *  - only r->raw is trusted: weft_store_merge() decodes the body again from
 *    raw (the signature covers raw, not the struct). A record already in
 *    the pool was decoded and verified when it entered and is not again;
 *  - "higher wins" is one order for every type, (version, record hash), with
 *    version 0 for the immutable types: so two different records for one
 *    immutable subject keep the higher hash, whichever came first. The loser
 *    gets WEFT_ESTALE, like an older version;
 *  - rights: admin types (network, invite, override, revocation, DNS,
 *    keyring, keyshare, rotate, policy, external client, admin roll) need an
 *    admin key; a member needs invite_pk == signer and that invite held, or
 *    an admin signer; a node state needs signer == node id and its member
 *    held; override, keyshare and revocation may name any node id;
 *  - the old-key limit compares the roll record's version with the record's
 *    version, or for the immutable types with their own time: invite
 *    created and revocation time (seconds, scaled to ms) and member
 *    join_time (ms); keyring and keyshare epochs are read as seconds too
 *    (the CLI makes them max(last + 1, unix s)), so an old key keeps rings
 *    up to its roll-over's second and no later one. A roll-over that
 *    arrives after records its old key signed past it drops them. A roll
 *    back to a key already in the chain is refused (WEFT_ENORIGHT);
 *  - a member record whose join_time (ms) is before its invite's created
 *    (s, scaled to ms) is refused (WEFT_ENORIGHT; parked until the invite
 *    arrives, then refused): the join time is the joiner's own claim and
 *    orders the invite's first N uses, so it may not predate the invite;
 *  - a record signed by a key that is not (yet) in the admin chain waits:
 *    a roll naming that key may still arrive. So a record of another
 *    network's admin waits too (bounded) and is never held;
 *  - WEFT_EWRONGNET: record.h gives network-wide types (network, keyring,
 *    rotate, policy) the all-zero subject, so the check can only refuse a
 *    subject that is neither zero nor this network id;
 *  - the pending pool keeps the WEFT_STORE_PENDING_MAX lowest record
 *    hashes (a full pool evicts its highest for a lower one, and refuses a
 *    higher one with WEFT_EFULL), keeps one node state per node (the
 *    newest), and drops parked records that a held one beats;
 *  - revocation drops the node's state, override and keyshare (held or
 *    parked); a member record for a revoked node is still accepted, so the
 *    result does not depend on which came first.
 *
 * The view (weft_store_view) adds what needs the clock and the whole set:
 * invite uses resolved as the first N members by (join time, node id),
 * expiry, pending approval, and the addresses from core/alloc. */
#ifndef WEFT_STORE_H
#define WEFT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/record.h"
#include "core/vcache.h"

#define WEFT_STORE_PENDING_MAX 1024
#define WEFT_DIGEST_BUCKETS 64

typedef struct weft_store weft_store_t;

/* Records are interned: a pool holds each distinct record once (keyed by its
 * hash, reference-counted) and stores point into it. The simulator shares
 * one pool between thousands of stores; the daemon has one per network. */
typedef struct weft_recpool weft_recpool_t;
weft_recpool_t *weft_recpool_new(void);
/* Frees the pool; every store using it must be freed first. */
void weft_recpool_free(weft_recpool_t *p);
size_t weft_recpool_count(const weft_recpool_t *p);

/* network_id is the genesis admin public key. cache may be NULL (then the
 * store verifies every record itself); pool may be NULL (then the store has
 * a private one). Both may be shared between stores. */
weft_store_t *weft_store_new(const weft_pk_t *network_id, weft_vcache_t *cache, weft_recpool_t *pool);
void weft_store_free(weft_store_t *s);
/* A copy that shares structure with s (copy-on-write: a persistent map), so
 * cloning is O(1) in time and memory and thousands of simulated nodes can
 * start from one converged store. The clone has no callback. */
weft_store_t *weft_store_clone(const weft_store_t *s);
const weft_pk_t *weft_store_network_id(const weft_store_t *s);

/* What a merge did. */
typedef enum {
	WEFT_MERGE_ADDED = 1,    /* new subject */
	WEFT_MERGE_REPLACED = 2, /* newer version of a held subject */
	WEFT_MERGE_PENDING = 3,  /* waiting for a record it depends on */
} weft_merge_result_t;

/* Called for every record that enters the store (including pending ones
 * that become valid later); may be NULL. Not called when a record is
 * parked (WEFT_MERGE_PENDING is returned, not reported), nor by load. It
 * may read the store but must not merge into it. */
typedef void (*weft_store_cb)(void *ctx, const weft_record_t *r, weft_merge_result_t how);
void weft_store_set_callback(weft_store_t *s, weft_store_cb cb, void *ctx);

/* Merge one record. Returns a weft_merge_result_t (> 0) when the store
 * changed or the record was parked, WEFT_EDUPLICATE when exactly this record
 * is held or parked, WEFT_ESTALE when a newer one is, and another negative
 * code (WEFT_EBADSIG, WEFT_ENORIGHT, WEFT_EREVOKED, WEFT_EWRONGNET,
 * WEFT_EFULL, or a decoding error when r->raw does not decode) when
 * refused. A refused record changes nothing. */
int weft_store_merge(weft_store_t *s, const weft_record_t *r);
/* Decode and merge raw bytes; why as in weft_record_decode, or
 * weft_strerror() of the refusal. */
int weft_store_merge_bytes(weft_store_t *s, const uint8_t *buf, size_t len, const char **why);

/* Lookup by (type, subject); NULL if absent. Pointers stay valid until the
 * next merge or free. */
const weft_record_t *weft_store_get(const weft_store_t *s, unsigned type, const uint8_t subject[32]);
/* The admin key in force now (end of the roll-over chain). */
const weft_pk_t *weft_store_admin_key(const weft_store_t *s);
bool weft_store_is_revoked(const weft_store_t *s, const weft_pk_t *node_id);

/* Iterate over held records (not pending ones), in no particular order.
 * type 0 = every type. Returns the number visited; stop early by returning
 * non-zero from fn. */
typedef int (*weft_store_iter_fn)(void *ctx, const weft_record_t *r);
size_t weft_store_foreach(const weft_store_t *s, unsigned type, weft_store_iter_fn fn, void *ctx);
size_t weft_store_count(const weft_store_t *s);
size_t weft_store_pending_count(const weft_store_t *s);
/* Bytes this store holds alone: its own struct and the map nodes, digest
 * block and pending pool no other store shares. Records are not counted
 * (they live once in the pool). A fresh clone owns one struct. */
size_t weft_store_own_bytes(const weft_store_t *s);

/* Digests. The whole-store digest is the XOR of every held record's hash
 * (BLAKE2b-256 of its bytes), so it is independent of arrival order and
 * updated in O(1) per merge. Buckets split the same by the top 6 bits of the
 * slot key (weft_store_key) so anti-entropy can find what differs without
 * listing everything. Pending records are in no digest. */
void weft_store_digest(const weft_store_t *s, uint8_t out[32]);
void weft_store_bucket_digests(const weft_store_t *s, uint8_t out[WEFT_DIGEST_BUCKETS][32]);
unsigned weft_store_bucket_of(const weft_record_t *r);
/* (subject-key hash, record hash) of each held record in a bucket. */
struct weft_store_entry_id {
	uint8_t key[8];  /* weft_store_key(type, subject): names the slot */
	uint8_t hash[8]; /* first 8 bytes of the record hash: names the content */
};
/* Writes at most cap entries, in key order, and returns how many it wrote;
 * weft_store_bucket_size() says how many the bucket holds. */
size_t weft_store_bucket_entries(const weft_store_t *s, unsigned bucket, struct weft_store_entry_id *out,
				 size_t cap);
size_t weft_store_bucket_size(const weft_store_t *s, unsigned bucket);
const weft_record_t *weft_store_get_by_key(const weft_store_t *s, const uint8_t key[8]);
/* The slot key of (type, subject): the first 8 bytes of BLAKE2b-128 of
 * (type || subject) (libsodium has no shorter BLAKE2b output). Its top 6
 * bits are the record's digest bucket. */
void weft_store_key(unsigned type, const uint8_t subject[32], uint8_t key[8]);

/* Serialise every held record (and the pending pool) as a msgpack array of
 * bin (each a raw record), in an order that loads without parking (admin
 * chain, invites, members, the rest, then the pending pool); equal stores
 * give equal bytes. load merges them back, each decoded and re-checked, into
 * a scratch copy that replaces the store's content only if every record was
 * good (duplicates, superseded and revoked ones are fine): on any error the
 * store is unchanged and *why names the first problem. load does not call
 * the callback. */
int weft_store_serialize(const weft_store_t *s, uint8_t **out, size_t *len);
int weft_store_load(weft_store_t *s, const uint8_t *buf, size_t len, const char **why);

/* ---- The view: the state the daemon acts on, computed at time now. ---- */

typedef enum {
	WEFT_MEMBER_ACTIVE = 0,
	WEFT_MEMBER_PENDING = 1, /* joined with an --approval invite, not approved */
	WEFT_MEMBER_EXPIRED = 2, /* the override's expiry passed (an invite's
				   * expiry limits joining, not membership) */
	WEFT_MEMBER_REVOKED = 3,
	WEFT_MEMBER_OVERUSED = 4, /* beyond the invite's first N uses */
	WEFT_MEMBER_LEFT = 5,     /* left gracefully */
} weft_member_status_t;

struct weft_member_view {
	weft_pk_t node_id;
	uint8_t status; /* weft_member_status_t */
	uint64_t join_time;
	const weft_record_t *member;   /* never NULL */
	const weft_record_t *state;    /* NULL until its node state arrives */
	const weft_record_t *override; /* NULL if none */
	char name[WEFT_NAME_MAX + 1];  /* override > invite pin > node state; "" when lost */
	/* A name is one member's (the view decides, the same on every node):
	 * among the members that hold names (active, pending, expired), one
	 * the admin set (override or invite pin) before one a member chose
	 * for itself, then the earlier in view order. The loser has name ""
	 * and here the name it asked for and who holds it. */
	char name_lost[WEFT_NAME_MAX + 1];
	weft_pk_t name_holder;
	/* Endpoints of its node state that nobody should use (bit i: endpoint
	 * i): inside the network's own address ranges, or an address that
	 * names one host (not site-local, weft_ip_site_local) with a port an
	 * earlier member in view order announces already. ep_holder: the
	 * member holding the first of the latter (zero if none). */
	uint8_t ep_ignored;
	weft_pk_t ep_holder;
	uint8_t ntags;
	char tags[WEFT_MAX_TAGS][WEFT_TAG_MAX + 1];
	weft_ip_t address4; /* from core/alloc */
	weft_ip_t address6;
	uint64_t expires; /* 0 = never */
};

typedef struct weft_view {
	const weft_record_t *network; /* NULL until settings are known */
	size_t nmembers;
	struct weft_member_view *members; /* sorted by (join_time, node_id) */
	uint32_t *by_id;                  /* private: member indices sorted by node id (weft_view_find) */
} weft_view_t;

/* now is unix milliseconds. The view owns its arrays; free with
 * weft_view_free. Pointers into the store stay valid until the next merge.
 * Status, first that applies: revoked, left (node state flag), over-used
 * (beyond the first max_uses members of its invite by (join time, node id),
 * counting every member record, revoked and left ones too), expired
 * (override expiry), pending (invite wants approval, no approving
 * override), active. Name: override, else invite pin, else node state; tags:
 * override, else invite. Addresses: weft_alloc_assign over every member but
 * the over-used ones (revoked and left ones keep theirs reserved, so an
 * address is never handed to another node while these records exist), pins
 * from the override, else the invite; the addresses of live (not deleted)
 * external clients are taken for everyone but a pin (weft_alloc_assign_taken).
 * No network record: no addresses. Names and announced endpoints: one
 * member each, the first claim winning (above, name_lost and ep_ignored).
 * weft_view_find is O(log n). */
int weft_store_view(const weft_store_t *s, uint64_t now_ms, weft_view_t *v);
void weft_view_free(weft_view_t *v);
const struct weft_member_view *weft_view_find(const weft_view_t *v, const weft_pk_t *node_id);

/* Hybrid logical clock for record versions: max(last + 1, now_ms). */
static inline uint64_t weft_hlc_next(uint64_t last, uint64_t now_ms)
{
	return now_ms > last ? now_ms : last + 1;
}

#endif
