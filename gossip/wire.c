/* gossip/wire.c: the packet header, network-key sealing and the msgpack
 * subset that bodies use. The reader and writer are hand-rolled on purpose:
 * they never allocate (msgpack-c's unpacker needs a zone per packet, and the
 * simulator runs this for thousands of nodes) and they refuse any
 * non-canonical encoding, so each message has exactly one byte form. */
#include <string.h>

#include <sodium.h>

#include "error.h"
#include "gossip.h"
#include "wire.h"

static const char *const type_names[WEFT_MSG_MAX + 1] = {
#define X(name, value, text, class) [value] = text,
	WEFT_WIRE_TYPES(X)
#undef X
};

const char *weft_wire_type_name(unsigned type)
{
	if (type <= WEFT_MSG_MAX && type_names[type])
		return type_names[type];
	return "unknown";
}

void weft_wire_fingerprint(uint8_t out[WEFT_WIRE_FPR_LEN], const weft_pk_t *network_id)
{
	static const char dom[] = "weft-net-v1";
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, WEFT_WIRE_FPR_LEN);
	crypto_generichash_update(&st, (const uint8_t *)dom, sizeof(dom) - 1);
	crypto_generichash_update(&st, network_id->b, sizeof(network_id->b));
	crypto_generichash_final(&st, out, WEFT_WIRE_FPR_LEN);
}

size_t weft_wire_header(uint8_t *pkt, uint8_t type, const uint8_t fpr[WEFT_WIRE_FPR_LEN], uint8_t flags)
{
	pkt[0] = 'w';
	pkt[1] = 'f';
	pkt[2] = WEFT_WIRE_VERSION;
	pkt[3] = type;
	memcpy(pkt + 4, fpr, WEFT_WIRE_FPR_LEN);
	pkt[12] = flags;
	pkt[13] = 0;
	return WEFT_WIRE_HDR_LEN;
}

int weft_wire_parse(const uint8_t *pkt, size_t len, const uint8_t fpr[WEFT_WIRE_FPR_LEN],
		    struct weft_wire_hdr *h)
{
	if (len < WEFT_WIRE_HDR_LEN)
		return WEFT_EMALFORMED;
	if (len > WEFT_GOSSIP_MTU)
		return WEFT_EOVERSIZE;
	if (pkt[0] != 'w' || pkt[1] != 'f')
		return WEFT_EMALFORMED;
	if (pkt[2] != WEFT_WIRE_VERSION)
		return WEFT_EVERSION;
	if (sodium_memcmp(pkt + 4, fpr, WEFT_WIRE_FPR_LEN) != 0)
		return WEFT_EWRONGNET;
	if ((pkt[12] & ~WEFT_WIRE_FLAG_SEALED) || pkt[13])
		return WEFT_EMALFORMED;
	h->type = pkt[3];
	h->flags = pkt[12];
	h->epoch = 0;
	if (h->flags & WEFT_WIRE_FLAG_SEALED) {
		if (len < WEFT_WIRE_SEALED_HDR_LEN + WEFT_WIRE_TAG_LEN)
			return WEFT_EMALFORMED;
		h->epoch = (uint32_t)pkt[14] << 24 | (uint32_t)pkt[15] << 16 | (uint32_t)pkt[16] << 8 | pkt[17];
		h->body = pkt + WEFT_WIRE_SEALED_HDR_LEN;
		h->body_len = len - WEFT_WIRE_SEALED_HDR_LEN;
	} else {
		h->body = pkt + WEFT_WIRE_HDR_LEN;
		h->body_len = len - WEFT_WIRE_HDR_LEN;
	}
	return 0;
}

size_t weft_wire_seal(uint8_t *pkt, size_t body_len, uint32_t epoch, const uint8_t nonce[24],
		      const uint8_t key[32])
{
	unsigned long long clen = 0;

	pkt[14] = (uint8_t)(epoch >> 24);
	pkt[15] = (uint8_t)(epoch >> 16);
	pkt[16] = (uint8_t)(epoch >> 8);
	pkt[17] = (uint8_t)epoch;
	memcpy(pkt + 18, nonce, 24);
	crypto_aead_xchacha20poly1305_ietf_encrypt(pkt + WEFT_WIRE_SEALED_HDR_LEN, &clen,
						   pkt + WEFT_WIRE_SEALED_HDR_LEN, body_len,
						   pkt, WEFT_WIRE_SEALED_HDR_LEN, NULL, nonce, key);
	return WEFT_WIRE_SEALED_HDR_LEN + (size_t)clen;
}

int weft_wire_open(const uint8_t *pkt, size_t len, const uint8_t key[32], uint8_t *out, size_t cap)
{
	unsigned long long mlen = 0;
	size_t clen;

	if (len < WEFT_WIRE_SEALED_HDR_LEN + WEFT_WIRE_TAG_LEN)
		return WEFT_EMALFORMED;
	clen = len - WEFT_WIRE_SEALED_HDR_LEN;
	if (cap < clen - WEFT_WIRE_TAG_LEN)
		return WEFT_EOVERSIZE;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(out, &mlen, NULL, pkt + WEFT_WIRE_SEALED_HDR_LEN, clen,
						       pkt, WEFT_WIRE_SEALED_HDR_LEN, pkt + 18, key) != 0)
		return WEFT_EBADSIG;
	return (int)mlen;
}

/* ---- writer ---- */

static void put(struct weft_wbuf *w, const void *p, size_t n)
{
	if (w->overflow || w->cap - w->len < n) {
		w->overflow = true;
		return;
	}
	memcpy(w->p + w->len, p, n);
	w->len += n;
}

static void put_be(struct weft_wbuf *w, uint8_t tag, uint64_t v, unsigned bytes)
{
	uint8_t b[9];
	unsigned i;

	b[0] = tag;
	for (i = 0; i < bytes; i++)
		b[1 + i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
	put(w, b, 1 + bytes);
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

void weft_mp_nil(struct weft_wbuf *w)
{
	put_be(w, 0xc0, 0, 0);
}

void weft_mp_raw(struct weft_wbuf *w, const void *p, size_t n)
{
	put(w, p, n);
}

size_t weft_mp_bin_size(size_t n)
{
	return n + (n <= 0xff ? 2 : n <= 0xffff ? 3 : 5);
}

size_t weft_mp_uint_size(uint64_t v)
{
	return v <= 0x7f ? 1 : v <= 0xff ? 2 : v <= 0xffff ? 3 : v <= 0xffffffffu ? 5 : 9;
}

/* ---- reader ---- */

static int get_be(struct weft_rbuf *r, unsigned bytes, uint64_t *v)
{
	unsigned i;

	if (r->len - r->off < bytes)
		return WEFT_EMALFORMED;
	*v = 0;
	for (i = 0; i < bytes; i++)
		*v = *v << 8 | r->p[r->off + i];
	r->off += bytes;
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

int weft_mp_read_array(struct weft_rbuf *r, uint32_t *n)
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
	/* Every element takes at least one byte: a count beyond what is left
	 * is a lie, refused before anyone loops on it. */
	if (v > r->len - r->off)
		return WEFT_EMALFORMED;
	*n = (uint32_t)v;
	return 0;
}

int weft_mp_read_uint(struct weft_rbuf *r, uint64_t *v)
{
	static const uint64_t min[4] = {0x80, 0x100, 0x10000, 0x100000000ull};
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
	uint64_t v;
	uint8_t b;

	if (r->off >= r->len)
		return WEFT_EMALFORMED;
	b = r->p[r->off++];
	if (b == 0xc4) {
		if (get_be(r, 1, &v))
			return WEFT_EMALFORMED;
	} else if (b == 0xc5) {
		if (get_be(r, 2, &v) || v <= 0xff)
			return WEFT_EMALFORMED;
	} else if (b == 0xc6) {
		if (get_be(r, 4, &v) || v <= 0xffff)
			return WEFT_EMALFORMED;
	} else {
		return WEFT_EMALFORMED;
	}
	if (v > r->len - r->off)
		return WEFT_EMALFORMED;
	*p = r->p + r->off;
	*n = (size_t)v;
	r->off += (size_t)v;
	return 0;
}

int weft_mp_read_nil(struct weft_rbuf *r)
{
	if (r->off >= r->len || r->p[r->off] != 0xc0)
		return WEFT_EMALFORMED;
	r->off++;
	return 0;
}

int weft_mp_read_binfix(struct weft_rbuf *r, const uint8_t **p, size_t n)
{
	size_t got;

	if (weft_mp_read_bin(r, p, &got) || got != n)
		return WEFT_EMALFORMED;
	return 0;
}

int weft_mp_end(const struct weft_rbuf *r)
{
	return r->off == r->len ? 0 : WEFT_ETRAILING;
}

void weft_wire_put_endpoint(struct weft_wbuf *w, const weft_endpoint_t *ep)
{
	uint8_t b[18];
	size_t n = ep->ip.family == 6 ? 16 : 4;

	memcpy(b, ep->ip.b, n);
	b[n] = (uint8_t)(ep->port >> 8);
	b[n + 1] = (uint8_t)ep->port;
	weft_mp_bin(w, b, n + 2);
}

int weft_wire_get_endpoint(const uint8_t *p, size_t n, weft_endpoint_t *ep)
{
	size_t a;

	if (n != 6 && n != 18)
		return WEFT_EMALFORMED;
	a = n - 2;
	memset(ep, 0, sizeof(*ep));
	ep->ip.family = a == 4 ? 4 : 6;
	memcpy(ep->ip.b, p, a);
	ep->port = (uint16_t)(p[a] << 8 | p[a + 1]);
	return 0;
}
