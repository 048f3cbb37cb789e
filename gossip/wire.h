/* The gossip wire format: packet header, message types with their names,
 * network-key sealing and endpoints; bodies are canonical msgpack written and
 * read with core/mpack.h.
 * docs/PROTOCOL.md describes the same format for people.
 *
 * Every datagram is at most WEFT_GOSSIP_MTU (1200) bytes:
 *
 *   off len
 *     0   2  magic "wf"
 *     2   1  version (1)
 *     3   1  type (table below)
 *     4   8  network fingerprint: BLAKE2b-64("weft-net-v1" || network id)
 *    12   1  flags: bit 0 SEALED; others must be zero
 *    13   1  reserved, zero
 *   then, if SEALED (member traffic on the underlay):
 *    14   4  key epoch (big-endian, low 32 bits of the keyring epoch)
 *    18  24  nonce
 *    42   .  XChaCha20-Poly1305(network key, body), associated data = bytes 0..41
 *   else:
 *    14   .  body
 *
 * The body is one msgpack array, encoded canonically (smallest forms), with
 * no trailing bytes. "id" is a bin 32 node id, "items" an array of
 * piggybacked updates, each either a bin (a raw signed record) or
 * [kind, id, incarnation] / [2 (suspect), id, incarnation, suspector id]
 * (kind 1 alive, 2 suspect, 3 dead, 4 left).
 *
 *   ping       [from id, seq, target id, items]
 *   ack        [from id, seq, observed endpoint (bin 6/18) or nil, items]
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
 * clear on the overlay (WireGuard protects them). Join types travel only on
 * the underlay, never sealed with the network key. */
#ifndef WEFT_GOSSIP_WIRE_H
#define WEFT_GOSSIP_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/keys.h"
#include "core/mpack.h" /* the canonical msgpack bodies are written in */

#define WEFT_WIRE_VERSION 1
#define WEFT_WIRE_HDR_LEN 14
#define WEFT_WIRE_SEALED_HDR_LEN (WEFT_WIRE_HDR_LEN + 4 + 24)
#define WEFT_WIRE_TAG_LEN 16
#define WEFT_WIRE_FPR_LEN 8
#define WEFT_WIRE_FLAG_SEALED 0x01u

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

/* Endpoints on the wire: bin 6 (IPv4 + port) or bin 18 (IPv6 + port). */
void weft_wire_put_endpoint(struct weft_wbuf *w, const weft_endpoint_t *ep);
int weft_wire_get_endpoint(const uint8_t *p, size_t n, weft_endpoint_t *ep);

#endif
