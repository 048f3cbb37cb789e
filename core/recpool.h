/* Internal to core/store: the interned, reference-counted records that
 * stores point to (struct weft_recent), and the persistent map (HAMT) of
 * them keyed by (type, subject). Plain reference counts: no threads. */
#ifndef WEFT_RECPOOL_H
#define WEFT_RECPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/record.h"
#include "core/store.h"

/* What names a record in a store: the slot it occupies and its content. */
struct weft_recid {
	uint64_t k;          /* key as a big-endian integer (the map's hash) */
	uint8_t key[8];      /* weft_store_key(type, subject) */
	uint8_t subject[32]; /* weft_record_subject */
	uint8_t hash[32];    /* weft_record_hash: the record's identity */
};

/* One interned record. refs counts map slots and pending-pool items that
 * point to it; the pool frees it when the count drops to zero. */
struct weft_recent {
	uint32_t refs;
	struct weft_recent *next; /* pool hash chain */
	struct weft_recid id;
	weft_record_t rec;
};

void weft_recid_fill(struct weft_recid *id, const weft_record_t *r);

/* The entry for r (found by hash, or a new copy), with one more reference
 * for the caller; NULL when out of memory. */
struct weft_recent *weft_recpool_intern(weft_recpool_t *p, const weft_record_t *r, const struct weft_recid *id);
void weft_recpool_unref(weft_recpool_t *p, struct weft_recent *e);
/* The entry with this record hash, or NULL; no reference is taken. */
struct weft_recent *weft_recpool_find(const weft_recpool_t *p, const uint8_t hash[32]);
/* A store created without a pool owns a private one, shared with its clones
 * and freed with the last of them. */
weft_recpool_t *weft_recpool_new_private(void);
void weft_recpool_hold(weft_recpool_t *p);
void weft_recpool_release(weft_recpool_t *p);

/* ---- The map: a hash array mapped trie over the 64-bit key, 32-way, with
 * path copying. Nodes are shared between stores and copied only when a
 * store changes a node that another store also points to. ---- */

/* Opaque root: NULL is the empty map. */
void weft_hamt_ref(void *root);
void weft_hamt_unref(void *root, weft_recpool_t *p);
struct weft_recent *weft_hamt_find(const void *root, const struct weft_recid *id, unsigned type);
/* The first entry with this key (any type and subject). */
struct weft_recent *weft_hamt_find_key(const void *root, uint64_t k);
/* Insert e, taking over one reference to it. An entry for the same (type,
 * subject) is replaced and returned in *old with its reference, for the
 * caller to drop. 0 or -ENOMEM (then nothing changed but copies). */
int weft_hamt_put(void **root, struct weft_recent *e, struct weft_recent **old);
/* Remove the entry for (type, subject); *out receives it with its reference
 * (NULL when absent). 0 or -ENOMEM. */
int weft_hamt_remove(void **root, const struct weft_recid *id, unsigned type, struct weft_recent **out);
/* Visit entries in key order; fn returns non-zero to stop. root_slot limits
 * the walk to keys whose top 5 bits equal it (< 32), or is -1 for all.
 * Returns the number of entries visited. */
typedef int (*weft_hamt_fn)(void *ctx, struct weft_recent *e);
size_t weft_hamt_foreach(const void *root, int root_slot, weft_hamt_fn fn, void *ctx);
/* Bytes of the nodes only this map reaches (none shared with another). */
size_t weft_hamt_own_bytes(const void *root);

#endif
