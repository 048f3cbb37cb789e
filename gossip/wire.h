/* The gossip wire format: packet header, message types with their names,
 * network-key sealing, the sender's authentication and endpoints; bodies are
 * canonical msgpack written and read with core/mpack.h.
 * docs/PROTOCOL.md describes the same format for people.
 *
 * Every datagram is at most WEFT_GOSSIP_MTU (1200) bytes:
 *
 *   off len
 *     0   2  magic "wf"
 *     2   1  version (2)
 *     3   1  type (table below)
 *     4   8  network fingerprint: BLAKE2b-64("weft-net-v1" || network id)
 *    12   1  flags: bit 0 SEALED; others must be zero
 *    13   1  reserved, zero
 *   then, if SEALED (member traffic on the underlay):
 *    14   4  key epoch (big-endian, low 32 bits of the keyring epoch)
 *    18  24  nonce
 *    42   .  XChaCha20-Poly1305(network key, payload), associated data = bytes 0..41
 *   else:
 *    14   .  payload
 *
 * The payload of a join message is its body. The payload of a member
 * message is its body followed by the sender's authentication:
 *
 *   body | counter (8, big-endian) | MAC (16)
 *
 * MAC = BLAKE2b-128 keyed with the pair key of sender and receiver over
 * header bytes 0..13 || body || counter. The pair key is
 * BLAKE2b-256("weft-pair-v1" || network id || X25519(own secret, peer's
 * public) || lower id || higher id), each side's X25519 pair converted from
 * its Ed25519 node id, so only the two of them can make it (WireGuard's
 * static-static idea, without the network key). The counter only grows at
 * the sender (max(last + 1, wall-clock microseconds)): a receiver learns an
 * endpoint only from a packet whose counter is above every earlier one of
 * that sender, so a replayed packet teaches nothing.
 *
 * The body is one msgpack array, encoded canonically (smallest forms), with
 * no trailing bytes. "id" is a bin 32 node id, "items" an array of
 * piggybacked updates, each either a bin (a raw signed record) or a signed
 * membership update:
 *
 *   [1 (alive), id, incarnation, sig]          sig by id
 *   [4 (left), id, incarnation, sig]           sig by id
 *   [2 (suspect), id, incarnation, accuser id, sig]   sig by the accuser
 *   [3 (dead), id, incarnation, accuser id, sig]      sig by the accuser
 *
 * sig is Ed25519 over "weft-swim-v1" || network id || kind (1) || id ||
 * incarnation (4, big-endian) (WEFT_WIRE_SWIM_MSG_LEN bytes).
 *
 *   ping       [from id, seq, target id, items]
 *              relayed for a ping-req: [..., items, requester id, requester seq]
 *   ack        [from id, seq, observed endpoint (bin 6/18) or nil, items]
 *              answering a relayed ping, and forwarded by the helper:
 *              [..., items, proof (bin 16)]; proof = BLAKE2b-128 keyed with
 *              the pair key of requester and target over "weft-ack-v1" ||
 *              requester id || requester seq (4, big-endian)
 *   ping-req   [from id, seq, target id, items]
 *   nack       [from id, seq]
 *   gossip     [from id, items]
 *   sync       [from id, xid, digest (bin 16), bucket digests (bin 64*8)]
 *   sync-diff  [from id, xid, [[bucket, sub-digests (bin 16*8)], ...]]
 *   sync-list  [from id, xid, [[bucket, sub, lo key, hi key, entries (bin n*16)], ...]]
 *   sync-want  [from id, xid, keys (bin n*8)]
 *   records    [from id, xid, [record (bin), ...]]
 *   join-hello   [joiner id, padding (bin >= 64)]                      clear
 *   join-cookie  [joiner id, cookie (bin 16)]                          clear
 *   join-request [joiner id, cookie, invite (bin), member (bin),
 *                 state (bin) or nil, signature (bin 64)]              clear
 *   join-welcome [joiner id, part, nparts, crypto_box_seal(joiner's
 *                 X25519, [cookie, status, epoch, key (bin 32) or nil,
 *                 [record, ...]])]                                   box-sealed
 *   join-refuse  [joiner id, cookie, error code (positive)]            clear
 *
 * Member types (ping..records) travel sealed on the underlay and in the
 * clear on the overlay (WireGuard protects them); on both paths they carry
 * the sender's authentication. Join types travel only on the underlay,
 * never sealed with the network key, and carry none (the join handshake
 * has its own cookie and signature). */
#ifndef WEFT_GOSSIP_WIRE_H
#define WEFT_GOSSIP_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/keys.h"
#include "core/mpack.h" /* the canonical msgpack bodies are written in */

#define WEFT_WIRE_VERSION 2
#define WEFT_WIRE_HDR_LEN 14
#define WEFT_WIRE_SEALED_HDR_LEN (WEFT_WIRE_HDR_LEN + 4 + 24)
#define WEFT_WIRE_TAG_LEN 16
#define WEFT_WIRE_FPR_LEN 8
#define WEFT_WIRE_FLAG_SEALED 0x01u
#define WEFT_WIRE_CTR_LEN 8
#define WEFT_WIRE_MAC_LEN 16
#define WEFT_WIRE_AUTH_LEN (WEFT_WIRE_CTR_LEN + WEFT_WIRE_MAC_LEN) /* after a member message's body */
#define WEFT_WIRE_PAIRKEY_LEN 32
#define WEFT_WIRE_PROOF_LEN 16
#define WEFT_WIRE_SWIM_MSG_LEN (12 + 32 + 1 + 32 + 4)

/* X(name, value, text, class). class: M = member message, J = join. */
#define WEFT_WIRE_TYPES(X)                     \
	X(PING, 1, "ping", M)                  \
	X(ACK, 2, "ack", M)                    \
	X(PING_REQ, 3, "ping-req", M)          \
	X(NACK, 4, "nack", M)                  \
	X(GOSSIP, 5, "gossip", M)              \
	X(SYNC, 6, "sync", M)                  \
	X(SYNC_DIFF, 7, "sync-diff", M)        \
	X(SYNC_LIST, 8, "sync-list", M)        \
	X(SYNC_WANT, 9, "sync-want", M)        \
	X(RECORDS, 10, "records", M)           \
	X(JOIN_HELLO, 16, "join-hello", J)     \
	X(JOIN_COOKIE, 17, "join-cookie", J)   \
	X(JOIN_REQ, 18, "join-request", J)     \
	X(JOIN_WELCOME, 19, "join-welcome", J) \
	X(JOIN_REFUSE, 20, "join-refuse", J)

enum {
#define X(name, value, text, class) WEFT_MSG_##name = value,
	WEFT_WIRE_TYPES(X)
#undef X
		WEFT_MSG_MAX = 20,
};

/* Name for logs; "unknown" for a value outside the table. */
const char *weft_wire_type_name(unsigned type);

/* Piggybacked membership update kinds (same values as enum weft_liveness). */
enum { WEFT_UPD_ALIVE = 1, WEFT_UPD_SUSPECT = 2, WEFT_UPD_DEAD = 3, WEFT_UPD_LEFT = 4 };

void weft_wire_fingerprint(uint8_t out[WEFT_WIRE_FPR_LEN], const weft_pk_t *network_id);

struct weft_wire_hdr {
	uint8_t type;
	uint8_t flags;
	uint32_t epoch;      /* sealed only */
	const uint8_t *body; /* sealed: the ciphertext with its tag */
	size_t body_len;
};
/* Checks magic, version, fingerprint, flags and length; does not open. */
int weft_wire_parse(const uint8_t *pkt, size_t len, const uint8_t fpr[WEFT_WIRE_FPR_LEN], struct weft_wire_hdr *h);
/* Writes the clear header; returns WEFT_WIRE_HDR_LEN. */
size_t weft_wire_header(uint8_t *pkt, uint8_t type, const uint8_t fpr[WEFT_WIRE_FPR_LEN], uint8_t flags);
/* pkt holds a header with the SEALED flag and body_len body bytes at
 * WEFT_WIRE_SEALED_HDR_LEN; writes epoch and nonce and encrypts in place,
 * appending the tag. Returns the datagram length. */
size_t weft_wire_seal(uint8_t *pkt, size_t body_len, uint32_t epoch, const uint8_t nonce[24], const uint8_t key[32]);
/* Decrypts a sealed packet's body into out (cap >= body_len - tag).
 * Returns the plaintext length or WEFT_EBADSIG. */
int weft_wire_open(const uint8_t *pkt, size_t len, const uint8_t key[32], uint8_t *out, size_t cap);

/* The pair key of two nodes from one side's Ed25519 secret key and the
 * other's node id (both sides get the same key). WEFT_EMALFORMED when the
 * peer's id is not a valid key. The caller wipes out. */
int weft_wire_pair_key(uint8_t out[WEFT_WIRE_PAIRKEY_LEN], const weft_pk_t *network_id, const weft_pk_t *self,
		       const uint8_t self_x25519_sk[32], const weft_pk_t *peer, const uint8_t peer_x25519[32]);
/* The MAC of a member message: hdr is the packet's first WEFT_WIRE_HDR_LEN
 * bytes, body the msgpack body, ctr the sender's counter. */
void weft_wire_mac(uint8_t out[WEFT_WIRE_MAC_LEN], const uint8_t key[WEFT_WIRE_PAIRKEY_LEN], const uint8_t *hdr,
		   const uint8_t *body, size_t blen, uint64_t ctr);
/* Appends counter and MAC after body (which starts at hdr + header len);
 * returns the payload length (blen + WEFT_WIRE_AUTH_LEN). */
size_t weft_wire_auth(uint8_t *body, size_t blen, const uint8_t *hdr, const uint8_t key[WEFT_WIRE_PAIRKEY_LEN],
		      uint64_t ctr);
/* Checks the trailer of payload (len bytes); on success *blen is the body's
 * length and *ctr the counter. WEFT_EMALFORMED when too short,
 * WEFT_EBADSIG when the MAC is wrong. */
int weft_wire_auth_check(const uint8_t *payload, size_t len, const uint8_t *hdr,
			 const uint8_t key[WEFT_WIRE_PAIRKEY_LEN], size_t *blen, uint64_t *ctr);
/* The relayed-ack proof (see the top). */
void weft_wire_ack_proof(uint8_t out[WEFT_WIRE_PROOF_LEN], const uint8_t key[WEFT_WIRE_PAIRKEY_LEN],
			 const weft_pk_t *requester, uint32_t seq);
/* The bytes a signed membership update's signature covers. */
void weft_wire_swim_msg(uint8_t out[WEFT_WIRE_SWIM_MSG_LEN], const weft_pk_t *network_id, uint8_t kind,
			const weft_pk_t *node, uint32_t inc);

/* Endpoints on the wire: bin 6 (IPv4 + port) or bin 18 (IPv6 + port). */
void weft_wire_put_endpoint(struct weft_wbuf *w, const weft_endpoint_t *ep);
int weft_wire_get_endpoint(const uint8_t *p, size_t n, weft_endpoint_t *ep);

#endif
