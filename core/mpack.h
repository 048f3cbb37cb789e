/* Canonical msgpack in fixed buffers: one writer that always emits the
 * smallest form and one strict, bounded reader that accepts only those forms,
 * for gossip packet bodies, invite tokens and anything else with one byte
 * form per value.
 *
 * Why beside msgpack-c (which the record codec uses): this never allocates
 * (msgpack-c's unpacker wants a zone per message, and the simulator decodes
 * packets for thousands of nodes), it writes into the caller's buffer and
 * flags overflow instead of growing one, and its reader refuses every
 * non-minimal encoding, so a value read back re-encodes to the same bytes.
 *
 * The subset: positive integers, arrays, bin, str, nil and booleans. Maps,
 * negative integers, floats and extensions are not read (a body or token
 * never holds one). */
#ifndef WEFT_MPACK_H
#define WEFT_MPACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- writer ---- */

struct weft_wbuf {
	uint8_t *p;
	size_t len, cap;
	bool overflow; /* set when a write did not fit; the content is then useless */
};

void weft_mp_array(struct weft_wbuf *w, uint32_t n);
void weft_mp_uint(struct weft_wbuf *w, uint64_t v);
void weft_mp_bin(struct weft_wbuf *w, const void *p, size_t n);
void weft_mp_str(struct weft_wbuf *w, const char *s, size_t n);
void weft_mp_nil(struct weft_wbuf *w);
void weft_mp_bool(struct weft_wbuf *w, bool v);
/* Append bytes that already are msgpack (a pre-encoded run of elements). */
void weft_mp_raw(struct weft_wbuf *w, const void *p, size_t n);

/* Bytes the encodings take, for budgeting. */
size_t weft_mp_array_size(uint32_t n);
size_t weft_mp_uint_size(uint64_t v);
size_t weft_mp_bin_size(size_t n);
size_t weft_mp_str_size(size_t n);

/* ---- reader ---- */

struct weft_rbuf {
	const uint8_t *p;
	size_t len, off;
};

/* The next value's type, for the branches packet bodies take (an update is
 * a bin or an array, an endpoint a bin or nil). Types bodies never branch
 * on, str and bool among them, are WEFT_MP_OTHER. */
enum { WEFT_MP_OTHER = 0, WEFT_MP_UINT, WEFT_MP_BIN, WEFT_MP_ARRAY, WEFT_MP_NIL, WEFT_MP_END };
int weft_mp_peek(const struct weft_rbuf *r);

/* Each read returns 0 or WEFT_EMALFORMED (wrong type, truncated or not the
 * smallest form); after an error the reader's position is meaningless. */

/* An array header. A count above 15 is refused when it exceeds the bytes
 * left (every element takes at least one byte), so a caller may loop on it. */
int weft_mp_read_array(struct weft_rbuf *r, uint32_t *n);
/* An array header whose count is not checked against the bytes left, for a
 * caller that holds the count to its own small limit before looping. */
int weft_mp_read_array_head(struct weft_rbuf *r, uint32_t *n);
int weft_mp_read_uint(struct weft_rbuf *r, uint64_t *v);
/* A uint that must fit 32 bits (sequence numbers, exchange ids). */
int weft_mp_read_u32(struct weft_rbuf *r, uint32_t *v);
/* bin and str bodies point into the input; a str is not NUL-terminated and
 * may hold any byte. */
int weft_mp_read_bin(struct weft_rbuf *r, const uint8_t **p, size_t *n);
/* Convenience: a bin of exactly n bytes. */
int weft_mp_read_binfix(struct weft_rbuf *r, const uint8_t **p, size_t n);
int weft_mp_read_str(struct weft_rbuf *r, const uint8_t **p, size_t *n);
int weft_mp_read_nil(struct weft_rbuf *r);
int weft_mp_read_bool(struct weft_rbuf *r, bool *v);
/* 0 when the whole buffer was consumed, WEFT_ETRAILING otherwise. */
int weft_mp_end(const struct weft_rbuf *r);

#endif
