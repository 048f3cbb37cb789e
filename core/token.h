/* Invite tokens: one line of text, "weft1-" followed by URL-safe base64 (no
 * padding) of a msgpack array with a 4-byte BLAKE2b checksum appended:
 *
 *     [ 1, network id (bin 32), network settings record (bin),
 *       invite certificate record (bin), invite secret seed (bin 32),
 *       [ "HOST:PORT", ... ] bootstrap endpoints
 *       (, [ admin roll-over record (bin), ... ]) ]
 *
 * The seventh field is there only after the admin key was rolled over
 * (weft rotate --admin-key-to): the chain of ADMIN_ROLL records from the
 * network id (the genesis admin key) to the key that signed the invite, so
 * a joiner can check an invite signed by a later admin key. Without it the
 * token is the six-field form older weft makes and reads.
 *
 * The checksum is the first 4 bytes of BLAKE2b-256 over the msgpack bytes
 * (libsodium's generichash has no 4-byte output). The invite secret lets the
 * joiner sign its member record; it is wiped with weft_token_wipe(). The
 * network key is never in a token.
 *
 * *why (when non-NULL) is set on every failure to a sentence for people; it
 * points to static text or to a thread-local buffer that the next call of a
 * weft_token_* function on the same thread overwrites. */
#ifndef WEFT_TOKEN_H
#define WEFT_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "core/keys.h"
#include "core/record.h"

#define WEFT_TOKEN_PREFIX "weft1-"
#define WEFT_TOKEN_MAX_BOOTSTRAP 8
#define WEFT_HOSTPORT_MAX 262 /* hostname (253) + ":65535" + NUL */
#define WEFT_TOKEN_MAX 4096   /* chars with the NUL: a buffer this big holds any token */
#define WEFT_TOKEN_MAX_ROLLS 4

typedef struct {
	weft_pk_t network_id;
	weft_record_t settings;   /* WEFT_REC_NETWORK, signed by the admin */
	weft_record_t invite;     /* WEFT_REC_INVITE, signed by the admin */
	weft_keypair_t invite_kp; /* secret: wipe after use */
	uint8_t nbootstrap;
	char bootstrap[WEFT_TOKEN_MAX_BOOTSTRAP][WEFT_HOSTPORT_MAX];
	uint8_t nrolls; /* admin roll-overs, oldest first (usually 0) */
	weft_record_t rolls[WEFT_TOKEN_MAX_ROLLS];
} weft_token_t;

/* Encode into out (NUL-terminated). -ENOSPC if cap is too small. */
int weft_token_encode(const weft_token_t *t, char *out, size_t cap);
/* Parse and check structure and checksum only (WEFT_EBADTOKEN with *why). */
int weft_token_decode(weft_token_t *t, const char *text, const char **why);
/* Verify: both records signed by network_id or by a key the roll-over
 * chain leads to from it (each roll signed by the key before it), the invite key pair matches the certificate, not expired at
 * now_s (WEFT_EEXPIRED). *why names the failure. */
int weft_token_verify(const weft_token_t *t, uint64_t now_s, const char **why);
void weft_token_wipe(weft_token_t *t);
/* Check one bootstrap endpoint as encode and decode do: "HOST:PORT" where
 * HOST is a DNS name, a dotted IPv4 address or "[IPv6]", PORT is 1-65535
 * without leading zeros, and the whole fits WEFT_HOSTPORT_MAX with its NUL.
 * 0 or WEFT_EBADADDR with *why. */
int weft_token_check_bootstrap(const char *hostport, const char **why);

#endif
