/* The store's persistent map: a hash array mapped trie over the 64-bit
 * (type, subject) key, 5 bits per level, with path copying. A node is shared
 * by every store that reaches it and copied only when a store changes it
 * while another still points to it, so cloning a store is one reference. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/recpool.h"

/* Levels 0..12 consume the 64 key bits (the last level only 4); two
 * different subjects with the same 64-bit key meet in a collision node. */
#define HLEVELS 13

struct hnode {
	uint32_t refs;
	uint32_t bitmap;   /* which of the 32 children are present */
	uint16_t n;        /* slots in use */
	uint8_t collision; /* a list of entries with one key, no bitmap */
	/* Tagged: low bit set = struct weft_recent *, clear = struct hnode *. */
	void *slot[];
};

static bool is_entry(const void *p)
{
	return (uintptr_t)p & 1u;
}

static struct weft_recent *as_entry(const void *p)
{
	return (struct weft_recent *)((uintptr_t)p & ~(uintptr_t)1u);
}

static void *tag(struct weft_recent *e)
{
	return (void *)((uintptr_t)e | 1u);
}

static unsigned hidx(uint64_t k, unsigned lvl)
{
	int shift = 64 - 5 * ((int)lvl + 1);

	return (unsigned)(shift >= 0 ? k >> shift : k << -shift) & 31u;
}

static unsigned popcount(uint32_t v)
{
	return (unsigned)__builtin_popcount(v);
}

static size_t node_size(unsigned n)
{
	return sizeof(struct hnode) + n * sizeof(void *);
}

static struct hnode *node_alloc(unsigned n)
{
	struct hnode *h = malloc(node_size(n));

	if (!h)
		return NULL;
	h->refs = 1;
	h->bitmap = 0;
	h->n = (uint16_t)n;
	h->collision = 0;
	return h;
}

static bool same_slot(const struct weft_recent *e, const struct weft_recid *id, unsigned type)
{
	return e->id.k == id->k && e->rec.type == type && !memcmp(e->id.subject, id->subject, 32);
}

void weft_hamt_ref(void *root)
{
	if (root)
		((struct hnode *)root)->refs++;
}

void weft_hamt_unref(void *root, weft_recpool_t *p)
{
	struct hnode *h = root;

	if (!h || --h->refs)
		return;
	for (unsigned i = 0; i < h->n; i++) {
		if (is_entry(h->slot[i]))
			weft_recpool_unref(p, as_entry(h->slot[i]));
		else
			weft_hamt_unref(h->slot[i], p);
	}
	free(h);
}

struct weft_recent *weft_hamt_find(const void *root, const struct weft_recid *id, unsigned type)
{
	const struct hnode *h = root;

	for (unsigned lvl = 0; h; lvl++) {
		if (h->collision) {
			for (unsigned i = 0; i < h->n; i++)
				if (same_slot(as_entry(h->slot[i]), id, type))
					return as_entry(h->slot[i]);
			return NULL;
		}
		uint32_t bit = 1u << hidx(id->k, lvl);
		if (!(h->bitmap & bit))
			return NULL;
		const void *p = h->slot[popcount(h->bitmap & (bit - 1))];
		if (is_entry(p))
			return same_slot(as_entry(p), id, type) ? as_entry(p) : NULL;
		h = p;
	}
	return NULL;
}

struct weft_recent *weft_hamt_find_key(const void *root, uint64_t k)
{
	const struct hnode *h = root;

	for (unsigned lvl = 0; h; lvl++) {
		if (h->collision)
			return h->n ? as_entry(h->slot[0]) : NULL;
		uint32_t bit = 1u << hidx(k, lvl);
		if (!(h->bitmap & bit))
			return NULL;
		const void *p = h->slot[popcount(h->bitmap & (bit - 1))];
		if (is_entry(p))
			return as_entry(p)->id.k == k ? as_entry(p) : NULL;
		h = p;
	}
	return NULL;
}

/* Make *where private to this map before changing it: a shared node is
 * copied (its children gain a reference) and the copy replaces it. */
static struct hnode *unique(void **where)
{
	struct hnode *h = *where, *c;

	if (h->refs == 1)
		return h;
	c = malloc(node_size(h->n));
	if (!c)
		return NULL;
	memcpy(c, h, node_size(h->n));
	c->refs = 1;
	for (unsigned i = 0; i < c->n; i++) {
		if (is_entry(c->slot[i]))
			as_entry(c->slot[i])->refs++;
		else
			((struct hnode *)c->slot[i])->refs++;
	}
	h->refs--;
	*where = c;
	return c;
}

/* Insert val at slot pos of a private node, growing it. */
static struct hnode *node_insert(void **where, struct hnode *h, unsigned pos, void *val)
{
	struct hnode *m = realloc(h, node_size(h->n + 1u));

	if (!m)
		return NULL;
	memmove(&m->slot[pos + 1], &m->slot[pos], (m->n - pos) * sizeof(void *));
	m->slot[pos] = val;
	m->n++;
	*where = m;
	return m;
}

/* Free the nodes of a half-built pair() chain; entries keep their refs. */
static void pair_free(struct hnode *h)
{
	if (!h)
		return;
	for (unsigned i = 0; i < h->n; i++)
		if (!is_entry(h->slot[i]))
			pair_free(h->slot[i]);
	free(h);
}

/* A subtree holding two entries whose keys agree above level lvl. */
static struct hnode *pair(struct weft_recent *a, struct weft_recent *b, unsigned lvl)
{
	struct hnode *h, *child;
	unsigned ia, ib;

	if (lvl >= HLEVELS) {
		h = node_alloc(2);
		if (!h)
			return NULL;
		h->collision = 1;
		h->slot[0] = tag(a);
		h->slot[1] = tag(b);
		return h;
	}
	ia = hidx(a->id.k, lvl);
	ib = hidx(b->id.k, lvl);
	if (ia == ib) {
		child = pair(a, b, lvl + 1);
		if (!child)
			return NULL;
		h = node_alloc(1);
		if (!h) {
			pair_free(child);
			return NULL;
		}
		h->bitmap = 1u << ia;
		h->slot[0] = child;
		return h;
	}
	h = node_alloc(2);
	if (!h)
		return NULL;
	h->bitmap = 1u << ia | 1u << ib;
	h->slot[ia < ib ? 0 : 1] = tag(a);
	h->slot[ia < ib ? 1 : 0] = tag(b);
	return h;
}

int weft_hamt_put(void **root, struct weft_recent *e, struct weft_recent **old)
{
	void **where = root;
	unsigned lvl = 0;

	*old = NULL;
	if (!*root) {
		struct hnode *h = node_alloc(0);

		if (!h)
			return -ENOMEM;
		*root = h;
	}
	for (;;) {
		struct hnode *h = unique(where);
		unsigned pos;
		uint32_t bit;
		void *p;

		if (!h)
			return -ENOMEM;
		if (h->collision) {
			for (pos = 0; pos < h->n; pos++) {
				if (same_slot(as_entry(h->slot[pos]), &e->id, e->rec.type)) {
					*old = as_entry(h->slot[pos]);
					h->slot[pos] = tag(e);
					return 0;
				}
			}
			return node_insert(where, h, h->n, tag(e)) ? 0 : -ENOMEM;
		}
		bit = 1u << hidx(e->id.k, lvl);
		pos = popcount(h->bitmap & (bit - 1));
		if (!(h->bitmap & bit)) {
			h = node_insert(where, h, pos, tag(e));
			if (!h)
				return -ENOMEM;
			h->bitmap |= bit;
			return 0;
		}
		p = h->slot[pos];
		if (is_entry(p)) {
			struct weft_recent *x = as_entry(p);
			struct hnode *sub;

			if (same_slot(x, &e->id, e->rec.type)) {
				*old = x;
				h->slot[pos] = tag(e);
				return 0;
			}
			/* x's reference moves from h into the new subtree. */
			sub = pair(x, e, lvl + 1);
			if (!sub)
				return -ENOMEM;
			h->slot[pos] = sub;
			return 0;
		}
		where = &h->slot[pos];
		lvl++;
	}
}

static void slot_delete(struct hnode *h, unsigned pos)
{
	memmove(&h->slot[pos], &h->slot[pos + 1], (h->n - pos - 1u) * sizeof(void *));
	h->n--;
}

int weft_hamt_remove(void **root, const struct weft_recid *id, unsigned type, struct weft_recent **out)
{
	void **path[HLEVELS + 2];
	unsigned idx[HLEVELS + 2];
	unsigned depth = 0, lvl = 0;
	void **where = root;

	*out = NULL;
	if (!weft_hamt_find(*root, id, type))
		return 0;
	for (;;) {
		struct hnode *h = unique(where);
		unsigned pos;
		uint32_t bit;

		if (!h)
			return -ENOMEM;
		path[depth] = where;
		if (h->collision) {
			for (pos = 0; pos < h->n; pos++)
				if (same_slot(as_entry(h->slot[pos]), id, type))
					break;
			*out = as_entry(h->slot[pos]);
			slot_delete(h, pos);
			break;
		}
		idx[depth] = hidx(id->k, lvl);
		bit = 1u << idx[depth];
		pos = popcount(h->bitmap & (bit - 1));
		if (is_entry(h->slot[pos])) {
			*out = as_entry(h->slot[pos]);
			slot_delete(h, pos);
			h->bitmap &= ~bit;
			break;
		}
		depth++;
		where = &h->slot[pos];
		lvl++;
	}
	/* Drop nodes left empty, bottom up. Nodes on the path are private. */
	while (depth > 0 && ((struct hnode *)*path[depth])->n == 0) {
		struct hnode *parent = *path[depth - 1];
		uint32_t bit = 1u << idx[depth - 1];

		free(*path[depth]);
		slot_delete(parent, popcount(parent->bitmap & (bit - 1)));
		parent->bitmap &= ~bit;
		depth--;
	}
	if (depth == 0 && ((struct hnode *)*root)->n == 0) {
		free(*root);
		*root = NULL;
	}
	return 0;
}

static int walk(const struct hnode *h, weft_hamt_fn fn, void *ctx, size_t *count)
{
	for (unsigned i = 0; i < h->n; i++) {
		if (is_entry(h->slot[i])) {
			(*count)++;
			if (fn(ctx, as_entry(h->slot[i])))
				return 1;
		} else if (walk(h->slot[i], fn, ctx, count)) {
			return 1;
		}
	}
	return 0;
}

size_t weft_hamt_foreach(const void *root, int root_slot, weft_hamt_fn fn, void *ctx)
{
	const struct hnode *h = root;
	size_t count = 0;

	if (!h)
		return 0;
	if (root_slot < 0) {
		walk(h, fn, ctx, &count);
	} else {
		uint32_t bit = 1u << root_slot;
		const void *p;

		if (!(h->bitmap & bit))
			return 0;
		p = h->slot[popcount(h->bitmap & (bit - 1))];
		if (is_entry(p)) {
			count = 1;
			fn(ctx, as_entry(p));
		} else {
			walk(p, fn, ctx, &count);
		}
	}
	return count;
}

size_t weft_hamt_own_bytes(const void *root)
{
	const struct hnode *h = root;
	size_t n;

	/* A shared node, and so everything under it, belongs to every store
	 * that reaches it; only nodes no one else points to are this map's. */
	if (!h || h->refs != 1)
		return 0;
	n = node_size(h->n);
	for (unsigned i = 0; i < h->n; i++)
		if (!is_entry(h->slot[i]))
			n += weft_hamt_own_bytes(h->slot[i]);
	return n;
}
