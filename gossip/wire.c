/* gossip/wire.c: the packet header, network-key sealing and endpoints as
 * bodies carry them. Bodies themselves are written and read with
 * core/mpack.c, which never allocates and refuses any non-canonical
 * encoding, so each message has exactly one byte form. */
#include <string.h>

#include <sodium.h>

#include "core/error.h"
#include "gossip/gossip.h"
#include "gossip/wire.h"

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

int weft_wire_parse(const uint8_t *pkt, size_t len, const uint8_t fpr[WEFT_WIRE_FPR_LEN], struct weft_wire_hdr *h)
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

size_t weft_wire_seal(uint8_t *pkt, size_t body_len, uint32_t epoch, const uint8_t nonce[24], const uint8_t key[32])
{
	unsigned long long clen = 0;

	pkt[14] = (uint8_t)(epoch >> 24);
	pkt[15] = (uint8_t)(epoch >> 16);
	pkt[16] = (uint8_t)(epoch >> 8);
	pkt[17] = (uint8_t)epoch;
	memcpy(pkt + 18, nonce, 24);
	crypto_aead_xchacha20poly1305_ietf_encrypt(pkt + WEFT_WIRE_SEALED_HDR_LEN, &clen,
						   pkt + WEFT_WIRE_SEALED_HDR_LEN, body_len, pkt,
						   WEFT_WIRE_SEALED_HDR_LEN, NULL, nonce, key);
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
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(out, &mlen, NULL, pkt + WEFT_WIRE_SEALED_HDR_LEN, clen, pkt,
						       WEFT_WIRE_SEALED_HDR_LEN, pkt + 18, key) != 0)
		return WEFT_EBADSIG;
	return (int)mlen;
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
