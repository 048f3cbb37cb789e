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

int weft_wire_pair_key(uint8_t out[WEFT_WIRE_PAIRKEY_LEN], const weft_pk_t *network_id, const weft_pk_t *self,
		       const uint8_t self_x25519_sk[32], const weft_pk_t *peer, const uint8_t peer_x25519[32])
{
	static const char dom[] = "weft-pair-v1";
	crypto_generichash_state st;
	const weft_pk_t *lo = self, *hi = peer;
	uint8_t shared[crypto_scalarmult_BYTES];

	if (memcmp(self->b, peer->b, WEFT_PK_LEN) > 0) {
		lo = peer;
		hi = self;
	}
	/* crypto_scalarmult refuses a low-order point (an all-zero result). */
	if (crypto_scalarmult(shared, self_x25519_sk, peer_x25519) != 0)
		return WEFT_EMALFORMED;
	crypto_generichash_init(&st, NULL, 0, WEFT_WIRE_PAIRKEY_LEN);
	crypto_generichash_update(&st, (const uint8_t *)dom, sizeof(dom) - 1);
	crypto_generichash_update(&st, network_id->b, WEFT_PK_LEN);
	crypto_generichash_update(&st, shared, sizeof(shared));
	crypto_generichash_update(&st, lo->b, WEFT_PK_LEN);
	crypto_generichash_update(&st, hi->b, WEFT_PK_LEN);
	crypto_generichash_final(&st, out, WEFT_WIRE_PAIRKEY_LEN);
	sodium_memzero(shared, sizeof(shared));
	sodium_memzero(&st, sizeof(st));
	return 0;
}

static void put_be64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static uint64_t get_be64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

void weft_wire_mac(uint8_t out[WEFT_WIRE_MAC_LEN], const uint8_t key[WEFT_WIRE_PAIRKEY_LEN], const uint8_t *hdr,
		   const uint8_t *body, size_t blen, uint64_t ctr)
{
	crypto_generichash_state st;
	uint8_t c[8];

	put_be64(c, ctr);
	crypto_generichash_init(&st, key, WEFT_WIRE_PAIRKEY_LEN, WEFT_WIRE_MAC_LEN);
	crypto_generichash_update(&st, hdr, WEFT_WIRE_HDR_LEN);
	crypto_generichash_update(&st, body, blen);
	crypto_generichash_update(&st, c, sizeof(c));
	crypto_generichash_final(&st, out, WEFT_WIRE_MAC_LEN);
}

size_t weft_wire_auth(uint8_t *body, size_t blen, const uint8_t *hdr, const uint8_t key[WEFT_WIRE_PAIRKEY_LEN],
		      uint64_t ctr)
{
	put_be64(body + blen, ctr);
	weft_wire_mac(body + blen + WEFT_WIRE_CTR_LEN, key, hdr, body, blen, ctr);
	return blen + WEFT_WIRE_AUTH_LEN;
}

int weft_wire_auth_check(const uint8_t *payload, size_t len, const uint8_t *hdr,
			 const uint8_t key[WEFT_WIRE_PAIRKEY_LEN], size_t *blen, uint64_t *ctr)
{
	uint8_t mac[WEFT_WIRE_MAC_LEN];
	size_t n;

	if (len < WEFT_WIRE_AUTH_LEN + 1)
		return WEFT_EMALFORMED;
	n = len - WEFT_WIRE_AUTH_LEN;
	*ctr = get_be64(payload + n);
	weft_wire_mac(mac, key, hdr, payload, n, *ctr);
	if (sodium_memcmp(mac, payload + n + WEFT_WIRE_CTR_LEN, WEFT_WIRE_MAC_LEN) != 0)
		return WEFT_EBADSIG;
	*blen = n;
	return 0;
}

void weft_wire_ack_proof(uint8_t out[WEFT_WIRE_PROOF_LEN], const uint8_t key[WEFT_WIRE_PAIRKEY_LEN],
			 const weft_pk_t *requester, uint32_t seq)
{
	static const char dom[] = "weft-ack-v1";
	crypto_generichash_state st;
	uint8_t s[4] = { (uint8_t)(seq >> 24), (uint8_t)(seq >> 16), (uint8_t)(seq >> 8), (uint8_t)seq };

	crypto_generichash_init(&st, key, WEFT_WIRE_PAIRKEY_LEN, WEFT_WIRE_PROOF_LEN);
	crypto_generichash_update(&st, (const uint8_t *)dom, sizeof(dom) - 1);
	crypto_generichash_update(&st, requester->b, WEFT_PK_LEN);
	crypto_generichash_update(&st, s, sizeof(s));
	crypto_generichash_final(&st, out, WEFT_WIRE_PROOF_LEN);
}

void weft_wire_swim_msg(uint8_t out[WEFT_WIRE_SWIM_MSG_LEN], const weft_pk_t *network_id, uint8_t kind,
			const weft_pk_t *node, uint32_t inc)
{
	memcpy(out, "weft-swim-v1", 12);
	memcpy(out + 12, network_id->b, 32);
	out[44] = kind;
	memcpy(out + 45, node->b, 32);
	out[77] = (uint8_t)(inc >> 24);
	out[78] = (uint8_t)(inc >> 16);
	out[79] = (uint8_t)(inc >> 8);
	out[80] = (uint8_t)inc;
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
