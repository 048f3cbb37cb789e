/* The signed records that make up a network's state (DESIGN §3) and their
 * msgpack codec.
 *
 * Wire form of a record (a msgpack array, always encoded canonically: the
 * smallest msgpack form for every value, fields in fixed order):
 *
 *     [ 1 (format version), type, signer (bin 32), body (array), sig (bin 64) ]
 *
 * The signature covers the canonical encoding of the first four elements as
 * a 4-array, prefixed with the domain string "weft-record-v1". Decoding is
 * strict: anything but the canonical bytes (unknown version or type, wrong
 * msgpack types, oversize fields, trailing bytes, non-minimal encodings) is an
 * error with a static reason string. Decoding never verifies the signature;
 * weft_record_verify() (or the verification cache) does.
 *
 * Each body is a msgpack array of its struct's fields in declaration order
 * (counts such as ntags are implied by the list lengths): integers as uint,
 * booleans as bool, strings as str, keys and hashes as bin, an address as
 * bin 4 or bin 16 (nil for family 0), a CIDR as [bin, prefix] (an absent
 * cidr6 as nil), an endpoint as [bin, port], a policy rule as
 * [action, from, to]. Decoding returns WEFT_EVERSION for an unknown format
 * version or record type (a newer peer's), WEFT_ETRAILING for bytes after
 * the record, WEFT_EOVERSIZE for a record, string or list over its limit and
 * WEFT_EMALFORMED for everything else; the reason names the field
 * ("node_state.name: not a name ..."). */
#ifndef WEFT_RECORD_H
#define WEFT_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/addr.h"
#include "core/keys.h"

#define WEFT_RECORD_FORMAT 1
#define WEFT_RECORD_MAX 1024 /* bytes of one encoded record; fits a 1200 B packet */
#define WEFT_NAME_MAX 63     /* node, network and DNS label names */
#define WEFT_DOMAIN_MAX 253
#define WEFT_MAX_ENDPOINTS 8
#define WEFT_MAX_ROUTES 8
#define WEFT_MAX_TAGS 8
#define WEFT_TAG_MAX 31
#define WEFT_MAX_RULES 24
#define WEFT_DNS_VALUE_MAX 255
#define WEFT_VERSION_STR_MAX 31
#define WEFT_SEALED_KEY_LEN 80 /* crypto_box_seal of a 32-byte key: 32 + 48 */
#define WEFT_NETKEY_LEN 32

typedef enum {
	/* The network-wide types (network, keyring, rotate, policy) have the
	 * all-zero subject: a record cannot name the genesis key (its signer
	 * may be a rolled-over admin), and there is one store per network. */
	WEFT_REC_NETWORK = 1,     /* admin; subject = network id (all zero); higher version */
	WEFT_REC_INVITE = 2,      /* admin; subject = invite key; immutable */
	WEFT_REC_MEMBER = 3,      /* invite key (or admin); subject = node id; immutable */
	WEFT_REC_NODE_STATE = 4,  /* node; subject = node id; higher version */
	WEFT_REC_OVERRIDE = 5,    /* admin; subject = node id; higher version */
	WEFT_REC_REVOCATION = 6,  /* admin; subject = node id; permanent */
	WEFT_REC_DNS = 7,         /* admin; subject = BLAKE2b-256(lower-case name, 0, type BE16); higher version */
	WEFT_REC_KEYRING = 8,     /* admin; subject = network id; higher epoch */
	WEFT_REC_KEYSHARE = 9,    /* admin; subject = node id; higher epoch */
	WEFT_REC_ROTATE = 10,     /* admin; subject = network id; higher version */
	WEFT_REC_POLICY = 11,     /* admin; subject = network id; higher version */
	WEFT_REC_EXT_CLIENT = 12, /* admin; subject = BLAKE2b-256(name); higher version */
	WEFT_REC_ADMIN_ROLL = 13, /* admin (old key); subject = old key; immutable */
	WEFT_REC_TYPE_MAX = 13,
} weft_rec_type_t;

/* Network options (bit flags in weft_rec_network.options). */
#define WEFT_NETOPT_LOCAL_ONLY 0x1u /* LAN endpoint candidates only */

struct weft_rec_network {
	uint64_t version;
	char name[WEFT_NAME_MAX + 1];
	weft_cidr_t cidr4;                /* family 4 */
	weft_cidr_t cidr6;                /* family 0 when the network has no IPv6 */
	char domain[WEFT_DOMAIN_MAX + 1]; /* "" = default NAME.internal zone */
	uint16_t wg_port;                 /* default 51820 */
	uint16_t gossip_port;             /* default 51821 */
	uint16_t mtu;                     /* default 1420 */
	uint16_t keepalive;               /* seconds; 0 = only where NAT is likely */
	uint32_t options;                 /* WEFT_NETOPT_* */
	uint32_t wg_key_lifetime;         /* seconds; 0 = no scheduled rotation */
};

struct weft_rec_invite {
	weft_pk_t invite_pk;
	uint64_t created;             /* unix seconds */
	uint64_t expires;             /* unix seconds; 0 = never */
	uint32_t max_uses;            /* >= 1 */
	bool approval;                /* members admitted by it are pending until approved */
	char name[WEFT_NAME_MAX + 1]; /* pinned name or "" */
	weft_ip_t address4;           /* pinned or family 0 */
	weft_ip_t address6;
	uint8_t ntags;
	char tags[WEFT_MAX_TAGS][WEFT_TAG_MAX + 1];
};

struct weft_rec_member {
	weft_pk_t node_id;
	weft_pk_t invite_pk; /* the invite that admitted it; = signer */
	uint64_t join_time;  /* unix milliseconds, as the joiner claimed it */
};

struct weft_rec_node_state {
	weft_pk_t node_id; /* = signer */
	uint64_t version;
	weft_wgkey_t wg_pub;
	uint64_t wg_key_time; /* unix seconds the WG key was made */
	uint16_t wg_port;
	uint16_t gossip_port;
	char name[WEFT_NAME_MAX + 1];
	uint8_t nendpoints; /* announced/local candidates */
	weft_endpoint_t endpoints[WEFT_MAX_ENDPOINTS];
	uint8_t nroutes; /* advertised (egress) routes, need admin approval */
	weft_cidr_t routes[WEFT_MAX_ROUTES];
	uint32_t flags; /* WEFT_NODE_* */
	char sw_version[WEFT_VERSION_STR_MAX + 1];
};
#define WEFT_NODE_RELAY 0x1u /* willing to relay (public endpoint, forwarding on) */
#define WEFT_NODE_LEFT 0x2u  /* left gracefully */

/* Fields an override sets are marked in .set (WEFT_OVR_*); others are unset. */
struct weft_rec_override {
	weft_pk_t node_id;
	uint64_t version;
	uint32_t set;
	weft_ip_t address4;
	weft_ip_t address6;
	uint64_t expires; /* unix seconds; 0 = never */
	char name[WEFT_NAME_MAX + 1];
	uint8_t ntags;
	char tags[WEFT_MAX_TAGS][WEFT_TAG_MAX + 1];
	uint8_t nroutes; /* approved routes */
	weft_cidr_t routes[WEFT_MAX_ROUTES];
	bool approved;
};
#define WEFT_OVR_ADDRESS4 0x01u
#define WEFT_OVR_ADDRESS6 0x02u
#define WEFT_OVR_EXPIRES 0x04u
#define WEFT_OVR_NAME 0x08u
#define WEFT_OVR_TAGS 0x10u
#define WEFT_OVR_ROUTES 0x20u
#define WEFT_OVR_APPROVED 0x40u
#define WEFT_OVR_ALL 0x7fu

struct weft_rec_revocation {
	weft_pk_t node_id;
	uint64_t time; /* unix seconds, informational */
	char reason[WEFT_NAME_MAX + 1];
};

typedef enum {
	WEFT_DNS_A = 1,
	WEFT_DNS_AAAA = 28,
	WEFT_DNS_CNAME = 5,
	WEFT_DNS_TXT = 16,
	WEFT_DNS_SRV = 33,
} weft_dns_type_t;

struct weft_rec_dns {
	uint64_t version;
	char name[WEFT_DOMAIN_MAX + 1]; /* lower case, relative to the zone; may start "*." */
	uint16_t rtype;                 /* weft_dns_type_t */
	uint32_t ttl;
	bool deleted; /* tombstone */
	/* A/AAAA: an address; CNAME: a name; TXT: the text; SRV:
	 * "PRIORITY WEIGHT PORT TARGET". */
	char value[WEFT_DNS_VALUE_MAX + 1];
};

/* The current network key epoch. The key itself reaches each member in its
 * own KEYSHARE record (sealed to that member), which keeps every record
 * small whatever the size of the network (a refinement of DESIGN §3, where
 * one key-ring record holds every sealed copy). */
struct weft_rec_keyring {
	uint64_t epoch;
	uint32_t grace_s;     /* the previous key is accepted this long */
	uint8_t key_hash[32]; /* BLAKE2b-256 of the new key, to check an unsealed copy */
};

struct weft_rec_keyshare {
	weft_pk_t node_id;
	uint64_t epoch;
	uint8_t sealed[WEFT_SEALED_KEY_LEN]; /* crypto_box_seal to the node's X25519 of its Ed25519 id */
};

struct weft_rec_rotate {
	uint64_t version;
	uint64_t older_than; /* unix seconds: nodes whose WG key is older rotate now */
};

typedef enum { WEFT_POLICY_ALLOW = 1, WEFT_POLICY_DENY = 2 } weft_policy_action_t;

struct weft_policy_rule {
	uint8_t action;              /* weft_policy_action_t */
	char from[WEFT_TAG_MAX + 1]; /* tag, or "*" */
	char to[WEFT_TAG_MAX + 1];   /* tag, or "*" */
};

struct weft_rec_policy {
	uint64_t version;
	uint8_t default_action; /* weft_policy_action_t */
	uint8_t nrules;
	struct weft_policy_rule rules[WEFT_MAX_RULES];
};

struct weft_rec_ext_client {
	uint64_t version;
	char name[WEFT_NAME_MAX + 1];
	bool deleted;
	weft_wgkey_t wg_pub;
	weft_ip_t address4;
	weft_ip_t address6;
	weft_pk_t gateway; /* node id of the ingress node */
};

struct weft_rec_admin_roll {
	weft_pk_t old_pk; /* = signer */
	weft_pk_t new_pk;
	uint64_t version; /* records the old key signs with a higher version are refused */
};

/* A decoded record: the envelope plus one body. raw holds the exact wire
 * bytes (len <= WEFT_RECORD_MAX) so a record can be forwarded and hashed
 * without re-encoding. */
typedef struct weft_record {
	uint8_t type; /* weft_rec_type_t */
	weft_pk_t signer;
	uint8_t sig[WEFT_SIG_LEN];
	union {
		struct weft_rec_network network;
		struct weft_rec_invite invite;
		struct weft_rec_member member;
		struct weft_rec_node_state node_state;
		struct weft_rec_override override;
		struct weft_rec_revocation revocation;
		struct weft_rec_dns dns;
		struct weft_rec_keyring keyring;
		struct weft_rec_keyshare keyshare;
		struct weft_rec_rotate rotate;
		struct weft_rec_policy policy;
		struct weft_rec_ext_client ext_client;
		struct weft_rec_admin_roll admin_roll;
	} u;
	uint16_t raw_len;
	uint8_t raw[WEFT_RECORD_MAX];
} weft_record_t;

/* The bytes of r in use: everything up to raw, and raw_len bytes of it.
 * Records held by a store are allocated this size (core/recpool.c), so a
 * held record is copied with weft_record_copy(), never by assignment. */
#define WEFT_RECORD_USED(r) (offsetof(weft_record_t, raw) + (size_t)(r)->raw_len)
static inline void weft_record_copy(weft_record_t *dst, const weft_record_t *src)
{
	memcpy(dst, src, WEFT_RECORD_USED(src));
	dst->raw_len = src->raw_len;
}

/* Whether s[0..len) is a node or network name: a lower-case DNS label,
 * 1..WEFT_NAME_MAX of [a-z0-9-] with no '-' at either end (names become
 * labels of NODE.NETWORK.internal). The one check every layer uses. */
bool weft_name_valid(const char *s, size_t len);

/* Name of a record type for logs and errors ("network", "member", ...). */
const char *weft_rec_type_name(unsigned type);

/* The 32-byte subject of a record (see the type table above). */
void weft_record_subject(const weft_record_t *r, uint8_t subject[32]);
/* The ordering key for "higher version wins" (version, or epoch); 0 for
 * immutable types. */
uint64_t weft_record_version(const weft_record_t *r);
/* BLAKE2b-256 of raw: the record's identity (dedup, cache, digests). */
void weft_record_hash(const weft_record_t *r, uint8_t hash[32]);

/* Fill r->raw from the body and type, signing with kp (kp->pk becomes the
 * signer). Validates the body first (same checks as decoding): the signer
 * must be node_state.node_id and admin_roll.old_pk. WEFT_EOVERSIZE when the
 * encoding would exceed WEFT_RECORD_MAX (a policy with many long tags). */
int weft_record_sign(weft_record_t *r, const weft_keypair_t *kp);
/* The checks sign and decode apply to r's type, signer and body, with the
 * reason in *why (if non-NULL): lets a caller say why sign refused. */
int weft_record_check(const weft_record_t *r, const char **why);
/* The canonical bytes of r's fields with r->sig (after weft_record_check):
 * equal to r->raw for any record that was decoded or signed. */
int weft_record_encode(const weft_record_t *r, uint8_t *out, size_t cap, size_t *len, const char **why);
/* Decode exactly len bytes. On error *why (if non-NULL) names the problem. */
int weft_record_decode(weft_record_t *r, const uint8_t *buf, size_t len, const char **why);
/* Check r->sig over r->raw against r->signer (no cache). WEFT_EBADSIG also
 * when raw's envelope does not hold r->type, r->signer and r->sig. */
int weft_record_verify(const weft_record_t *r);
/* Whether raw's envelope holds r->type, r->signer and r->sig (cheap; the
 * verification cache checks it before trusting a hit). */
bool weft_record_raw_matches(const weft_record_t *r);

/* Build a node id's X25519 public key from its Ed25519 id, for sealing. */
int weft_pk_to_x25519(uint8_t out[32], const weft_pk_t *pk);

#endif
