/* core/mpack.c: the canonical msgpack writer and the strict bounded reader
 * (mpack.h). Each form the writer picks is exactly the one the reader
 * accepts, so encodings are unique and round trips are byte-identical. */
#include <string.h>

#include "core/error.h"
#include "core/mpack.h"

/* ---- writer ---- */

static void put(struct weft_wbuf *w, const void *p, size_t n)
{
	if (w->overflow || w->cap - w->len < n) {
		w->overflow = true;
		return;
	}
	if (n)
		memcpy(w->p + w->len, p, n);
	w->len += n;
}

/* A tag byte followed by v in big-endian over nbytes. */
static void put_be(struct weft_wbuf *w, uint8_t tag, uint64_t v, unsigned nbytes)
{
	uint8_t b[9];
	unsigned i;

	b[0] = tag;
	for (i = 0; i < nbytes; i++)
		b[1 + i] = (uint8_t)(v >> (8 * (nbytes - 1 - i)));
	put(w, b, 1 + nbytes);
}

void weft_mp_array(struct weft_wbuf *w, uint32_t n)
{
	if (n <= 15)
		put_be(w, (uint8_t)(0x90 | n), 0, 0);
	else if (n <= 0xffff)
		put_be(w, 0xdc, n, 2);
	else
		put_be(w, 0xdd, n, 4);
}

void weft_mp_uint(struct weft_wbuf *w, uint64_t v)
{
	if (v <= 0x7f)
		put_be(w, (uint8_t)v, 0, 0);
	else if (v <= 0xff)
		put_be(w, 0xcc, v, 1);
	else if (v <= 0xffff)
		put_be(w, 0xcd, v, 2);
	else if (v <= 0xffffffffu)
		put_be(w, 0xce, v, 4);
	else
		put_be(w, 0xcf, v, 8);
}

void weft_mp_bin(struct weft_wbuf *w, const void *p, size_t n)
{
	if (n <= 0xff)
		put_be(w, 0xc4, n, 1);
	else if (n <= 0xffff)
		put_be(w, 0xc5, n, 2);
	else
		put_be(w, 0xc6, n, 4);
	put(w, p, n);
}

void weft_mp_str(struct weft_wbuf *w, const char *s, size_t n)
{
	if (n <= 31)
		put_be(w, (uint8_t)(0xa0 | n), 0, 0);
	else if (n <= 0xff)
		put_be(w, 0xd9, n, 1);
	else if (n <= 0xffff)
		put_be(w, 0xda, n, 2);
	else
		put_be(w, 0xdb, n, 4);
	put(w, s, n);
}

void weft_mp_nil(struct weft_wbuf *w)
{
	put_be(w, 0xc0, 0, 0);
}

void weft_mp_bool(struct weft_wbuf *w, bool v)
{
	put_be(w, v ? 0xc3 : 0xc2, 0, 0);
}

void weft_mp_raw(struct weft_wbuf *w, const void *p, size_t n)
{
	put(w, p, n);
}

size_t weft_mp_array_size(uint32_t n)
{
	return n <= 15 ? 1 : n <= 0xffff ? 3 : 5;
}

size_t weft_mp_uint_size(uint64_t v)
{
	return v <= 0x7f ? 1 : v <= 0xff ? 2 : v <= 0xffff ? 3 : v <= 0xffffffffu ? 5 : 9;
}

size_t weft_mp_bin_size(size_t n)
{
	return n + (n <= 0xff ? 2 : n <= 0xffff ? 3 : 5);
}

size_t weft_mp_str_size(size_t n)
{
	return n + (n <= 31 ? 1 : n <= 0xff ? 2 : n <= 0xffff ? 3 : 5);
}

/* ---- reader ---- */

static int get_be(struct weft_rbuf *r, unsigned nbytes, uint64_t *v)
{
	unsigned i;

	if (r->len - r->off < nbytes)
		return WEFT_EMALFORMED;
	*v = 0;
	for (i = 0; i < nbytes; i++)
		*v = *v << 8 | r->p[r->off + i];
	r->off += nbytes;
	return 0;
}

/* The length after a bin or str tag with a 1, 2 or 4 byte field (k = 0, 1,
 * 2), which must need that field: min[k] is the smallest length that does. */
static int get_len(struct weft_rbuf *r, unsigned k, const uint64_t min[3], uint64_t *n)
{
	if (get_be(r, 1u << k, n) || *n < min[k])
		return WEFT_EMALFORMED;
	return 0;
}

/* A bin or str body of n bytes that must lie inside the input. */
static int get_body(struct weft_rbuf *r, uint64_t n, const uint8_t **p, size_t *len)
{
	if (n > r->len - r->off)
		return WEFT_EMALFORMED;
	*p = r->p + r->off;
	*len = (size_t)n;
	r->off += (size_t)n;
	return 0;
}

int weft_mp_peek(const struct weft_rbuf *r)
{
	uint8_t b;

	if (r->off >= r->len)
		return WEFT_MP_END;
	b = r->p[r->off];
	if (b <= 0x7f || (b >= 0xcc && b <= 0xcf))
		return WEFT_MP_UINT;
	if (b >= 0xc4 && b <= 0xc6)
		return WEFT_MP_BIN;
	if ((b & 0xf0) == 0x90 || b == 0xdc || b == 0xdd)
		return WEFT_MP_ARRAY;
	if (b == 0xc0)
		return WEFT_MP_NIL;
	return WEFT_MP_OTHER;
}

static int read_array(struct weft_rbuf *r, uint32_t *n, bool bounded)
{
	uint64_t v;
	uint8_t b;

	if (r->off >= r->len)
		return WEFT_EMALFORMED;
	b = r->p[r->off++];
	if ((b & 0xf0) == 0x90) {
		*n = b & 0x0f;
		return 0;
	}
	if (b == 0xdc) {
		if (get_be(r, 2, &v) || v <= 15)
			return WEFT_EMALFORMED;
	} else if (b == 0xdd) {
		if (get_be(r, 4, &v) || v <= 0xffff)
			return WEFT_EMALFORMED;
	} else {
		return WEFT_EMALFORMED;
	}
	/* A count beyond what is left is a lie, refused before anyone loops
	 * on it. */
	if (bounded && v > r->len - r->off)
		return WEFT_EMALFORMED;
	*n = (uint32_t)v;
	return 0;
}

int weft_mp_read_array(struct weft_rbuf *r, uint32_t *n)
{
	return read_array(r, n, true);
}

int weft_mp_read_array_head(struct weft_rbuf *r, uint32_t *n)
{
	return read_array(r, n, false);
}

int weft_mp_read_uint(struct weft_rbuf *r, uint64_t *v)
{
	static const uint64_t min[4] = { 0x80, 0x100, 0x10000, 0x100000000ull };
	uint8_t b;
	unsigned k;

	if (r->off >= r->len)
		return WEFT_EMALFORMED;
	b = r->p[r->off++];
	if (b <= 0x7f) {
		*v = b;
		return 0;
	}
	if (b < 0xcc || b > 0xcf)
		return WEFT_EMALFORMED;
	k = b - 0xcc;
	if (get_be(r, 1u << k, v) || *v < min[k])
		return WEFT_EMALFORMED;
	return 0;
}

int weft_mp_read_u32(struct weft_rbuf *r, uint32_t *v)
{
	uint64_t w;

	if (weft_mp_read_uint(r, &w) || w > UINT32_MAX)
		return WEFT_EMALFORMED;
	*v = (uint32_t)w;
	return 0;
}

int weft_mp_read_bin(struct weft_rbuf *r, const uint8_t **p, size_t *n)
{
	/* bin 8 has no fixed form below it, so any length is minimal there. */
	static const uint64_t min[3] = { 0, 0x100, 0x10000 };
	uint64_t v;
	uint8_t b;

	if (r->off >= r->len)
		return WEFT_EMALFORMED;
	b = r->p[r->off++];
	if (b < 0xc4 || b > 0xc6 || get_len(r, b - 0xc4u, min, &v))
		return WEFT_EMALFORMED;
	return get_body(r, v, p, n);
}

int weft_mp_read_binfix(struct weft_rbuf *r, const uint8_t **p, size_t n)
{
	size_t got;

	if (weft_mp_read_bin(r, p, &got) || got != n)
		return WEFT_EMALFORMED;
	return 0;
}

int weft_mp_read_str(struct weft_rbuf *r, const uint8_t **p, size_t *n)
{
	static const uint64_t min[3] = { 32, 0x100, 0x10000 };
	uint64_t v;
	uint8_t b;

	if (r->off >= r->len)
		return WEFT_EMALFORMED;
	b = r->p[r->off++];
	if ((b & 0xe0) == 0xa0)
		v = b & 0x1f;
	else if (b < 0xd9 || b > 0xdb || get_len(r, b - 0xd9u, min, &v))
		return WEFT_EMALFORMED;
	return get_body(r, v, p, n);
}

int weft_mp_read_nil(struct weft_rbuf *r)
{
	if (r->off >= r->len || r->p[r->off] != 0xc0)
		return WEFT_EMALFORMED;
	r->off++;
	return 0;
}

int weft_mp_read_bool(struct weft_rbuf *r, bool *v)
{
	if (r->off >= r->len || (r->p[r->off] != 0xc2 && r->p[r->off] != 0xc3))
		return WEFT_EMALFORMED;
	*v = r->p[r->off++] == 0xc3;
	return 0;
}

int weft_mp_end(const struct weft_rbuf *r)
{
	return r->off == r->len ? 0 : WEFT_ETRAILING;
}
