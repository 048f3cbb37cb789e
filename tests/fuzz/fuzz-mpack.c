/* Fuzz core/mpack's reader: arbitrary bytes are walked value by value
 * (arrays into their elements) with every reader tried at each position.
 * At most one reader may accept a position, peek must agree with it, and
 * everything read must re-encode with the writer to exactly the bytes it
 * was read from: the canonical form is the only form. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/mpack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Deeper nests are legal but prove nothing more; stop there. */
#define MAX_DEPTH 512

static int walk(struct weft_rbuf *r, struct weft_wbuf *w, unsigned depth);

static int walk_array(struct weft_rbuf *r, struct weft_wbuf *w, unsigned depth)
{
	struct weft_rbuf t = *r, h = *r;
	uint32_t n, hn, i;

	if (weft_mp_read_array(&t, &n)) {
		/* The bounded reader may refuse only a count the bytes left
		 * cannot hold; the head reader must see the same header. */
		if (!weft_mp_read_array_head(&h, &hn) && (hn <= 15 || hn <= h.len - h.off))
			abort();
		return -1;
	}
	if (weft_mp_read_array_head(&h, &hn) || hn != n || h.off != t.off)
		abort();
	weft_mp_array(w, n);
	*r = t;
	for (i = 0; i < n; i++)
		if (walk(r, w, depth + 1))
			return -1;
	return 0;
}

/* Reads one value at r into w. 0, or -1 with r and w where the last value
 * that did read left them. */
static int walk(struct weft_rbuf *r, struct weft_wbuf *w, unsigned depth)
{
	struct weft_rbuf t;
	const uint8_t *p;
	uint64_t v;
	uint32_t v32;
	size_t n;
	bool b;
	int peek = weft_mp_peek(r), got = 0, want = WEFT_MP_OTHER;
	struct weft_rbuf next = *r;

	if (depth > MAX_DEPTH)
		return -1;
	t = *r;
	if (!weft_mp_read_uint(&t, &v)) {
		struct weft_rbuf u = *r;
		int ok = weft_mp_read_u32(&u, &v32) == 0;

		if (ok != (v <= UINT32_MAX) || (ok && v32 != v))
			abort();
		weft_mp_uint(w, v);
		next = t;
		want = WEFT_MP_UINT;
		got++;
	}
	t = *r;
	if (!weft_mp_read_nil(&t)) {
		weft_mp_nil(w);
		next = t;
		want = WEFT_MP_NIL;
		got++;
	}
	t = *r;
	if (!weft_mp_read_bool(&t, &b)) {
		weft_mp_bool(w, b);
		next = t;
		got++;
	}
	t = *r;
	if (!weft_mp_read_bin(&t, &p, &n)) {
		struct weft_rbuf u = *r;
		const uint8_t *q;

		if (weft_mp_read_binfix(&u, &q, n) || q != p)
			abort();
		u = *r;
		if (!weft_mp_read_binfix(&u, &q, n + 1))
			abort();
		weft_mp_bin(w, p, n);
		next = t;
		want = WEFT_MP_BIN;
		got++;
	}
	t = *r;
	if (!weft_mp_read_str(&t, &p, &n)) {
		weft_mp_str(w, (const char *)p, n);
		next = t;
		got++;
	}
	if (got > 1)
		abort(); /* the types are disjoint */
	if (got == 1) {
		if (peek != want)
			abort();
		*r = next;
		return 0;
	}
	if (peek == WEFT_MP_ARRAY)
		return walk_array(r, w, depth);
	/* Nothing read: an array reader must refuse too. */
	t = *r;
	if (!weft_mp_read_array_head(&t, &v32))
		abort();
	return -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct weft_rbuf r = { data, size, 0 };
	struct weft_wbuf w;
	uint8_t *out = malloc(size + 1);

	if (!out)
		return 0;
	w = (struct weft_wbuf){ out, 0, size + 1, false };
	while (r.off < r.len && walk(&r, &w, 0) == 0)
		;
	/* What was read is what was written, byte for byte. */
	if (w.overflow || w.len != r.off || memcmp(out, data, w.len) != 0)
		abort();
	if (weft_mp_end(&r) != (r.off == size ? 0 : WEFT_ETRAILING))
		abort();
	free(out);
	return 0;
}
