/* The record codec: the canonical msgpack form of every record type, strict
 * decoding, signing and verification, and each type's subject and version.
 * Every body is described once, by a field table that encoding, decoding and
 * validation all walk, so the three cannot drift apart. */
#include <msgpack.h>
#include <sodium.h>
#include <stddef.h>
#include <string.h>

#include "core/error.h"
#include "core/record.h"

#define DOMAIN_SEP "weft-record-v1"
#define DOMAIN_SEP_LEN (sizeof(DOMAIN_SEP) - 1)

/* Fixed layout of raw, which lets verify rebuild the signed bytes without
 * re-encoding: fixarray(5), 1, type (a fixint: every type is below 128),
 * bin8 header, signer ... body ... bin8 header, signature. */
#define RAW_SIGNER_OFF 5
#define RAW_HEAD (RAW_SIGNER_OFF + WEFT_PK_LEN)
#define RAW_SIG_TRAILER (2 + WEFT_SIG_LEN)
#define RAW_MIN (RAW_HEAD + 1 + RAW_SIG_TRAILER)

/* Containers nest at most this deep: envelope, body, list, list entry. */
#define MAX_NESTING 4

/* ------------------------------------------------------------------------ */
/* Field tables                                                              */

enum kind {
	K_U8,
	K_U16,
	K_U32,
	K_U64,
	K_PORT, /* u16, 0 refused */
	K_BOOL,
	K_BIN,   /* bin of exactly len bytes: keys, hashes, sealed boxes */
	K_STR,   /* str of class cls, at most len bytes */
	K_IP,    /* bin 4 or 16, nil for none; family fam or none */
	K_CIDR,  /* [bin, prefix] of family fam; nil for none when opt */
	K_CIDRS, /* array of [bin, prefix], either family */
	K_EPS,   /* array of [bin, port], either family */
	K_TAGS,  /* array of tags */
	K_RULES, /* array of [action, from, to] */
};

enum str_class {
	S_LABEL,      /* node and network names */
	S_LABEL_OPT,  /* a name or "" */
	S_DOMAIN_OPT, /* dotted labels or "" */
	S_DNSNAME,    /* a DNS entry name: may start "*.", labels may hold '_' */
	S_TEXT,       /* UTF-8 without control characters, may be "" */
};

/* The reason slots of a field; each kind fills the ones it can fail with. */
enum why_slot { W_TYPE, W_SIZE, W_VALUE, W_FAMILY, W_STRAY, W_HOSTBITS, W_PORT, W_DUP, W_SLOTS };

struct field {
	uint8_t kind;
	uint8_t cls;     /* K_STR: enum str_class */
	uint8_t fam;     /* K_IP, K_CIDR: 4 or 6 */
	bool opt;        /* K_CIDR: nil (none) allowed */
	uint16_t len;    /* K_BIN bytes; K_STR max bytes; lists: max entries */
	uint16_t off;    /* of the value in the body struct */
	uint16_t cnt;    /* lists: of the uint8_t entry count */
	uint64_t lo, hi; /* integers: accepted range */
	const char *const *why;
};

/* Reasons are static strings built at compile time from the field's name,
 * so *why always says which field failed without any formatting. At file
 * scope these compound literals have static storage. */
#define WHY_INT(n)                     \
	((const char *const[W_SLOTS]){ \
		[W_TYPE] = n ": not an unsigned integer", [W_VALUE] = n ": out of range", [W_PORT] = n ": port 0" })
#define WHY_BOOL(n) ((const char *const[W_SLOTS]){ [W_TYPE] = n ": not a boolean" })
#define WHY_BIN(n) ((const char *const[W_SLOTS]){ [W_TYPE] = n ": not a bin", [W_VALUE] = n ": wrong length" })
#define WHY_STR(n, what)               \
	((const char *const[W_SLOTS]){ \
		[W_TYPE] = n ": not a string", [W_SIZE] = n ": too long", [W_VALUE] = n ": " what })
#define WHY_ADDR(n)                                                                             \
	((const char *const[W_SLOTS]){ [W_TYPE] = n ": wrong msgpack type or shape",            \
				       [W_SIZE] = n ": too many entries",                       \
				       [W_VALUE] = n ": prefix or port out of range",           \
				       [W_FAMILY] = n ": wrong address family or length",       \
				       [W_STRAY] = n ": bytes beyond the address are not zero", \
				       [W_HOSTBITS] = n ": host bits set",                      \
				       [W_PORT] = n ": port 0",                                 \
				       [W_DUP] = n ": duplicate entry" })
#define WHY_TAGS(n)                                                                    \
	((const char *const[W_SLOTS]){ [W_TYPE] = n ": wrong msgpack type or shape",   \
				       [W_SIZE] = n ": too many or too long",          \
				       [W_VALUE] = n ": not a tag ([a-z0-9_-], 1-31)", \
				       [W_DUP] = n ": duplicate entry" })
#define WHY_RULES(n)                                                                 \
	((const char *const[W_SLOTS]){ [W_TYPE] = n ": wrong msgpack type or shape", \
				       [W_SIZE] = n ": too many or too long",        \
				       [W_VALUE] = n ": action not allow/deny or end not a tag or \"*\"" })

#define WHYV_S_LABEL "not a name ([a-z0-9-], 1-63, no '-' at either end)"
#define WHYV_S_LABEL_OPT WHYV_S_LABEL
#define WHYV_S_DOMAIN_OPT "not a domain (dot-separated names)"
#define WHYV_S_DNSNAME "not a lower-case DNS name (optionally \"*.\" first)"
#define WHYV_S_TEXT "not UTF-8 text without control characters"

/* The table macros expect S (the body struct) and T (the type's name as a
 * string) to be defined around each table. */
#define FNAME(f) T "." #f
#define F_INT(k, f, l, h)                                                                    \
	{                                                                                    \
		.kind = k, .off = offsetof(S, f), .lo = l, .hi = h, .why = WHY_INT(FNAME(f)) \
	}
#define U8(f, l, h) F_INT(K_U8, f, l, h)
#define U16(f, l, h) F_INT(K_U16, f, l, h)
#define U32(f, l, h) F_INT(K_U32, f, l, h)
#define U64(f) F_INT(K_U64, f, 0, UINT64_MAX)
#define PORT(f) F_INT(K_PORT, f, 1, UINT16_MAX)
#define BOOL(f)                                                                  \
	{                                                                        \
		.kind = K_BOOL, .off = offsetof(S, f), .why = WHY_BOOL(FNAME(f)) \
	}
#define BIN(f, n)                                                                        \
	{                                                                                \
		.kind = K_BIN, .off = offsetof(S, f), .len = n, .why = WHY_BIN(FNAME(f)) \
	}
#define KEY(f) BIN(f, 32)
#define STR(f, c, n)                                                                                         \
	{                                                                                                    \
		.kind = K_STR, .cls = c, .off = offsetof(S, f), .len = n, .why = WHY_STR(FNAME(f), WHYV_##c) \
	}
#define IP(f, family)                                                                         \
	{                                                                                     \
		.kind = K_IP, .fam = family, .off = offsetof(S, f), .why = WHY_ADDR(FNAME(f)) \
	}
#define CIDR(f, family, optional)                                                                                \
	{                                                                                                        \
		.kind = K_CIDR, .fam = family, .opt = optional, .off = offsetof(S, f), .why = WHY_ADDR(FNAME(f)) \
	}
#define LIST(k, f, n, max, w)                                                                           \
	{                                                                                               \
		.kind = k, .off = offsetof(S, f), .cnt = offsetof(S, n), .len = max, .why = w(FNAME(f)) \
	}
#define CIDRS(f, n) LIST(K_CIDRS, f, n, WEFT_MAX_ROUTES, WHY_ADDR)
#define EPS(f, n) LIST(K_EPS, f, n, WEFT_MAX_ENDPOINTS, WHY_ADDR)
#define TAGS(f, n) LIST(K_TAGS, f, n, WEFT_MAX_TAGS, WHY_TAGS)
#define RULES(f, n) LIST(K_RULES, f, n, WEFT_MAX_RULES, WHY_RULES)

#define S struct weft_rec_network
#define T "network"
static const struct field network_fields[] = {
	U64(version),
	STR(name, S_LABEL, WEFT_NAME_MAX),
	CIDR(cidr4, 4, false),
	CIDR(cidr6, 6, true),
	STR(domain, S_DOMAIN_OPT, WEFT_DOMAIN_MAX),
	PORT(wg_port),
	PORT(gossip_port),
	/* The smallest MTU every IPv4 link must carry; below it nothing works. */
	U16(mtu, 576, UINT16_MAX),
	U16(keepalive, 0, UINT16_MAX),
	/* Bit sets hold only their low known bits, so a range refuses
	 * unknown ones (a new bit needs a new format version). */
	U32(options, 0, WEFT_NETOPT_LOCAL_ONLY),
	U32(wg_key_lifetime, 0, UINT32_MAX),
};
#undef S
#undef T

#define S struct weft_rec_invite
#define T "invite"
static const struct field invite_fields[] = {
	KEY(invite_pk),    U64(created),
	U64(expires),      U32(max_uses, 1, UINT32_MAX),
	BOOL(approval),    STR(name, S_LABEL_OPT, WEFT_NAME_MAX),
	IP(address4, 4),   IP(address6, 6),
	TAGS(tags, ntags),
};
#undef S
#undef T

#define S struct weft_rec_member
#define T "member"
static const struct field member_fields[] = {
	KEY(node_id),
	KEY(invite_pk),
	U64(join_time),
};
#undef S
#undef T

#define S struct weft_rec_node_state
#define T "node_state"
static const struct field node_state_fields[] = {
	KEY(node_id),
	U64(version),
	KEY(wg_pub),
	U64(wg_key_time),
	PORT(wg_port),
	PORT(gossip_port),
	STR(name, S_LABEL, WEFT_NAME_MAX),
	EPS(endpoints, nendpoints),
	CIDRS(routes, nroutes),
	U32(flags, 0, WEFT_NODE_RELAY | WEFT_NODE_LEFT),
	STR(sw_version, S_TEXT, WEFT_VERSION_STR_MAX),
};
#undef S
#undef T

#define S struct weft_rec_override
#define T "override"
static const struct field override_fields[] = {
	KEY(node_id),
	U64(version),
	U32(set, 0, WEFT_OVR_ALL),
	IP(address4, 4),
	IP(address6, 6),
	U64(expires),
	STR(name, S_LABEL_OPT, WEFT_NAME_MAX),
	TAGS(tags, ntags),
	CIDRS(routes, nroutes),
	BOOL(approved),
};
#undef S
#undef T

#define S struct weft_rec_revocation
#define T "revocation"
static const struct field revocation_fields[] = {
	KEY(node_id),
	U64(time),
	STR(reason, S_TEXT, WEFT_NAME_MAX),
};
#undef S
#undef T

#define S struct weft_rec_dns
#define T "dns"
static const struct field dns_fields[] = {
	U64(version),
	STR(name, S_DNSNAME, WEFT_DOMAIN_MAX),
	U16(rtype, 1, UINT16_MAX),
	/* RFC 2181 §8: a TTL is 31 bits. */
	U32(ttl, 0, INT32_MAX),
	BOOL(deleted),
	STR(value, S_TEXT, WEFT_DNS_VALUE_MAX),
};
#undef S
#undef T

#define S struct weft_rec_keyring
#define T "keyring"
static const struct field keyring_fields[] = {
	U64(epoch),
	U32(grace_s, 0, UINT32_MAX),
	KEY(key_hash),
};
#undef S
#undef T

#define S struct weft_rec_keyshare
#define T "keyshare"
static const struct field keyshare_fields[] = {
	KEY(node_id),
	U64(epoch),
	BIN(sealed, WEFT_SEALED_KEY_LEN),
};
#undef S
#undef T

#define S struct weft_rec_rotate
#define T "rotate"
static const struct field rotate_fields[] = {
	U64(version),
	U64(older_than),
};
#undef S
#undef T

#define S struct weft_rec_policy
#define T "policy"
static const struct field policy_fields[] = {
	U64(version),
	U8(default_action, WEFT_POLICY_ALLOW, WEFT_POLICY_DENY),
	RULES(rules, nrules),
};
#undef S
#undef T

#define S struct weft_rec_ext_client
#define T "ext_client"
static const struct field ext_client_fields[] = {
	U64(version),    STR(name, S_LABEL, WEFT_NAME_MAX),
	BOOL(deleted),   KEY(wg_pub),
	IP(address4, 4), IP(address6, 6),
	KEY(gateway),
};
#undef S
#undef T

#define S struct weft_rec_admin_roll
#define T "admin_roll"
static const struct field admin_roll_fields[] = {
	KEY(old_pk),
	KEY(new_pk),
	U64(version),
};
#undef S
#undef T

/* ------------------------------------------------------------------------ */
/* Cross-field rules, run after every field passed its own checks.           */

static bool pk_equal(const weft_pk_t *a, const weft_pk_t *b)
{
	return memcmp(a->b, b->b, WEFT_PK_LEN) == 0;
}

static int check_network(const weft_record_t *r, const char **why)
{
	const struct weft_rec_network *n = &r->u.network;

	/* WireGuard and the bootstrap socket cannot share one UDP port. */
	if (n->wg_port == n->gossip_port) {
		*why = "network.gossip_port: same as wg_port";
		return WEFT_EMALFORMED;
	}
	return 0;
}

static int check_invite(const weft_record_t *r, const char **why)
{
	const struct weft_rec_invite *iv = &r->u.invite;

	if (iv->expires && iv->expires <= iv->created) {
		*why = "invite.expires: not after created";
		return WEFT_EMALFORMED;
	}
	return 0;
}

static int check_node_state(const weft_record_t *r, const char **why)
{
	const struct weft_rec_node_state *ns = &r->u.node_state;

	if (!pk_equal(&ns->node_id, &r->signer)) {
		*why = "node_state.node_id: differs from the signer";
		return WEFT_EMALFORMED;
	}
	if (ns->wg_port == ns->gossip_port) {
		*why = "node_state.gossip_port: same as wg_port";
		return WEFT_EMALFORMED;
	}
	return 0;
}

/* Fields an override does not set must hold their zero value, so that one
 * override has exactly one encoding. */
static int check_override(const weft_record_t *r, const char **why)
{
	const struct weft_rec_override *o = &r->u.override;
	bool a4 = o->set & WEFT_OVR_ADDRESS4, a6 = o->set & WEFT_OVR_ADDRESS6;

	if (a4 != (o->address4.family != 0)) {
		*why = "override.address4: must be given exactly when set";
		return WEFT_EMALFORMED;
	}
	if (a6 != (o->address6.family != 0)) {
		*why = "override.address6: must be given exactly when set";
		return WEFT_EMALFORMED;
	}
	if (!(o->set & WEFT_OVR_EXPIRES) && o->expires) {
		*why = "override.expires: given but not set";
		return WEFT_EMALFORMED;
	}
	if (!!(o->set & WEFT_OVR_NAME) != (o->name[0] != '\0')) {
		*why = "override.name: must be given exactly when set";
		return WEFT_EMALFORMED;
	}
	if (!(o->set & WEFT_OVR_TAGS) && o->ntags) {
		*why = "override.tags: given but not set";
		return WEFT_EMALFORMED;
	}
	if (!(o->set & WEFT_OVR_ROUTES) && o->nroutes) {
		*why = "override.routes: given but not set";
		return WEFT_EMALFORMED;
	}
	if (!(o->set & WEFT_OVR_APPROVED) && o->approved) {
		*why = "override.approved: given but not set";
		return WEFT_EMALFORMED;
	}
	return 0;
}

static bool valid_hostname(const char *s, size_t len, bool underscore);

/* A host name, optionally absolute (one trailing dot). */
static bool valid_target(const char *v)
{
	size_t len = strlen(v);

	if (len > 1 && v[len - 1] == '.')
		len--;
	return valid_hostname(v, len, true);
}

/* A decimal 0..65535 without leading zeros, ending at *p's next space. */
static bool srv_number(const char **p)
{
	const char *s = *p;
	unsigned long v = 0;
	size_t n = 0;

	while (s[n] >= '0' && s[n] <= '9' && n < 6)
		v = v * 10 + (unsigned long)(s[n++] - '0');
	if (n == 0 || s[n] != ' ' || v > 65535 || (n > 1 && s[0] == '0'))
		return false;
	*p = s + n + 1;
	return true;
}

/* A and AAAA values must be the address in its printed form, so that one
 * entry has one encoding; CNAME and SRV targets are host names, optionally
 * absolute. */
static bool valid_dns_value(unsigned rtype, const char *v)
{
	char buf[WEFT_ADDRSTRLEN];
	weft_ip_t ip;

	switch (rtype) {
	case WEFT_DNS_A:
	case WEFT_DNS_AAAA:
		if (weft_ip_parse(&ip, v) != 0 || ip.family != (rtype == WEFT_DNS_A ? 4 : 6))
			return false;
		weft_ip_format(&ip, buf, sizeof(buf));
		return strcmp(buf, v) == 0;
	case WEFT_DNS_SRV:
		if (!srv_number(&v) || !srv_number(&v) || !srv_number(&v))
			return false;
		return valid_target(v);
	case WEFT_DNS_CNAME:
		return valid_target(v);
	case WEFT_DNS_TXT:
		return true; /* any text the field class allowed */
	default:
		return false;
	}
}

static int check_dns(const weft_record_t *r, const char **why)
{
	const struct weft_rec_dns *d = &r->u.dns;

	switch (d->rtype) {
	case WEFT_DNS_A:
	case WEFT_DNS_AAAA:
	case WEFT_DNS_CNAME:
	case WEFT_DNS_TXT:
	case WEFT_DNS_SRV:
		break;
	default:
		*why = "dns.rtype: not A, AAAA, CNAME, TXT or SRV";
		return WEFT_EMALFORMED;
	}
	/* A tombstone may drop its value; anything it carries must still fit
	 * the type. */
	if ((!d->deleted || d->value[0]) && !valid_dns_value(d->rtype, d->value)) {
		*why = "dns.value: not valid for its rtype";
		return WEFT_EMALFORMED;
	}
	return 0;
}

static int check_ext_client(const weft_record_t *r, const char **why)
{
	const struct weft_rec_ext_client *e = &r->u.ext_client;

	if (!e->deleted && !e->address4.family && !e->address6.family) {
		*why = "ext_client: no address";
		return WEFT_EMALFORMED;
	}
	return 0;
}

static int check_admin_roll(const weft_record_t *r, const char **why)
{
	const struct weft_rec_admin_roll *a = &r->u.admin_roll;

	if (!pk_equal(&a->old_pk, &r->signer)) {
		*why = "admin_roll.old_pk: differs from the signer";
		return WEFT_EMALFORMED;
	}
	if (pk_equal(&a->old_pk, &a->new_pk)) {
		*why = "admin_roll.new_pk: same as old_pk";
		return WEFT_EMALFORMED;
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* The type table                                                            */

enum subject_kind { SUBJ_NONE, SUBJ_KEY, SUBJ_NAME };

struct rec_type {
	const char *name;
	const struct field *fields;
	uint8_t nfields;
	const char *why_body; /* the body is not an array of nfields */
	int (*check)(const weft_record_t *r, const char **why);
	uint8_t subject;      /* enum subject_kind */
	uint16_t subject_off; /* of the key or name in the body */
	uint16_t subject_max; /* bytes of that name */
	bool versioned;
	uint16_t version_off; /* of the uint64_t version or epoch */
};

#define TYPE(id, nm, ck, subj, soff, smax, ver, voff)                     \
	[id] = { .name = #nm,                                             \
		 .fields = nm##_fields,                                   \
		 .nfields = sizeof(nm##_fields) / sizeof(nm##_fields[0]), \
		 .why_body = #nm ": body is not an array of its fields",  \
		 .check = ck,                                             \
		 .subject = subj,                                         \
		 .subject_off = soff,                                     \
		 .subject_max = smax,                                     \
		 .versioned = ver,                                        \
		 .version_off = voff }

/* Types whose subject is the network itself get the all-zero subject: the
 * codec cannot know the genesis key, and a record signed after an admin
 * roll-over must replace the same subject. */
static const struct rec_type types[WEFT_REC_TYPE_MAX + 1] = {
	TYPE(WEFT_REC_NETWORK, network, check_network, SUBJ_NONE, 0, 0, true,
	     offsetof(struct weft_rec_network, version)),
	TYPE(WEFT_REC_INVITE, invite, check_invite, SUBJ_KEY, offsetof(struct weft_rec_invite, invite_pk), 32, false,
	     0),
	TYPE(WEFT_REC_MEMBER, member, NULL, SUBJ_KEY, offsetof(struct weft_rec_member, node_id), 32, false, 0),
	TYPE(WEFT_REC_NODE_STATE, node_state, check_node_state, SUBJ_KEY,
	     offsetof(struct weft_rec_node_state, node_id), 32, true, offsetof(struct weft_rec_node_state, version)),
	TYPE(WEFT_REC_OVERRIDE, override, check_override, SUBJ_KEY, offsetof(struct weft_rec_override, node_id), 32,
	     true, offsetof(struct weft_rec_override, version)),
	TYPE(WEFT_REC_REVOCATION, revocation, NULL, SUBJ_KEY, offsetof(struct weft_rec_revocation, node_id), 32,
	     false, 0),
	TYPE(WEFT_REC_DNS, dns, check_dns, SUBJ_NAME, offsetof(struct weft_rec_dns, name), WEFT_DOMAIN_MAX, true,
	     offsetof(struct weft_rec_dns, version)),
	TYPE(WEFT_REC_KEYRING, keyring, NULL, SUBJ_NONE, 0, 0, true, offsetof(struct weft_rec_keyring, epoch)),
	TYPE(WEFT_REC_KEYSHARE, keyshare, NULL, SUBJ_KEY, offsetof(struct weft_rec_keyshare, node_id), 32, true,
	     offsetof(struct weft_rec_keyshare, epoch)),
	TYPE(WEFT_REC_ROTATE, rotate, NULL, SUBJ_NONE, 0, 0, true, offsetof(struct weft_rec_rotate, version)),
	TYPE(WEFT_REC_POLICY, policy, NULL, SUBJ_NONE, 0, 0, true, offsetof(struct weft_rec_policy, version)),
	TYPE(WEFT_REC_EXT_CLIENT, ext_client, check_ext_client, SUBJ_NAME,
	     offsetof(struct weft_rec_ext_client, name), WEFT_NAME_MAX, true,
	     offsetof(struct weft_rec_ext_client, version)),
	TYPE(WEFT_REC_ADMIN_ROLL, admin_roll, check_admin_roll, SUBJ_KEY,
	     offsetof(struct weft_rec_admin_roll, old_pk), 32, false, 0),
};

static const struct rec_type *type_of(unsigned type)
{
	if (type == 0 || type > WEFT_REC_TYPE_MAX)
		return NULL;
	return &types[type];
}

const char *weft_rec_type_name(unsigned type)
{
	const struct rec_type *t = type_of(type);

	return t ? t->name : "unknown";
}

/* ------------------------------------------------------------------------ */
/* Value checks                                                              */

static int fail(const struct field *f, enum why_slot slot, const char **why)
{
	*why = f->why[slot] ? f->why[slot] : "record: invalid field";
	return slot == W_SIZE ? WEFT_EOVERSIZE : WEFT_EMALFORMED;
}

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* One DNS label: [a-z0-9-] (and '_' when allowed), 1..63, no '-' at
 * either end. */
static bool valid_label(const char *s, size_t len, bool underscore)
{
	size_t i;

	if (len == 0 || len > WEFT_NAME_MAX || s[0] == '-' || s[len - 1] == '-')
		return false;
	for (i = 0; i < len; i++)
		if (!is_lower_alnum(s[i]) && s[i] != '-' && !(underscore && s[i] == '_'))
			return false;
	return true;
}

bool weft_name_valid(const char *s, size_t len)
{
	return s && valid_label(s, len, false);
}

static bool valid_hostname(const char *s, size_t len, bool underscore)
{
	size_t start = 0, i;

	if (len == 0 || len > WEFT_DOMAIN_MAX)
		return false;
	for (i = 0; i <= len; i++) {
		if (i < len && s[i] != '.')
			continue;
		if (!valid_label(s + start, i - start, underscore))
			return false;
		start = i + 1;
	}
	return true;
}

static bool valid_tag(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > WEFT_TAG_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!is_lower_alnum(s[i]) && s[i] != '-' && s[i] != '_')
			return false;
	return true;
}

/* Well-formed UTF-8 (no overlong forms, surrogates or code points past
 * U+10FFFF) without C0/C1 controls or DEL: these strings end up on
 * terminals and in JSON. */
static bool valid_text(const char *str, size_t len)
{
	const uint8_t *s = (const uint8_t *)str;
	size_t i = 0;

	while (i < len) {
		uint32_t c = s[i], min;
		size_t n, k;

		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f)
				return false;
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			n = 1, min = 0x80, c &= 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2, min = 0x800, c &= 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3, min = 0x10000, c &= 0x07;
		} else {
			return false;
		}
		if (n >= len - i)
			return false;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			c = (c << 6) | (s[i + k] & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff) || (c >= 0x80 && c <= 0x9f))
			return false;
		i += n + 1;
	}
	return true;
}

static bool valid_str(enum str_class cls, const char *s, size_t len)
{
	switch (cls) {
	case S_LABEL:
		return valid_label(s, len, false);
	case S_LABEL_OPT:
		return len == 0 || valid_label(s, len, false);
	case S_DOMAIN_OPT:
		return len == 0 || valid_hostname(s, len, false);
	case S_DNSNAME:
		if (len > 2 && s[0] == '*' && s[1] == '.')
			s += 2, len -= 2;
		return valid_hostname(s, len, true);
	case S_TEXT:
		return valid_text(s, len);
	}
	return false;
}

/* Length of a NUL-terminated field of at most max bytes, or max + 1 when
 * the array holds no terminator in time. */
static size_t field_strlen(const char *s, size_t max)
{
	return strnlen(s, max + 1);
}

static size_t ip_len(const weft_ip_t *ip)
{
	return ip->family == 4 ? 4 : ip->family == 6 ? 16 : 0;
}

/* family must be 0, 4 or 6 and every byte past the address zero: a decoded
 * address always looks like that, so a signed one must too. */
static int check_ip(const struct field *f, const weft_ip_t *ip, unsigned want, const char **why)
{
	size_t i;

	if (ip->family != 0 && ip->family != want)
		return fail(f, W_FAMILY, why);
	for (i = ip_len(ip); i < sizeof(ip->b); i++)
		if (ip->b[i])
			return fail(f, W_STRAY, why);
	return 0;
}

static int check_cidr(const struct field *f, const weft_cidr_t *c, unsigned want, const char **why)
{
	unsigned bits = c->ip.family == 4 ? 32 : 128, i;
	int ret;

	if (c->ip.family == 0)
		return fail(f, W_FAMILY, why);
	ret = check_ip(f, &c->ip, want, why);
	if (ret)
		return ret;
	if (c->prefix > bits)
		return fail(f, W_VALUE, why);
	for (i = c->prefix; i < bits; i++)
		if (c->ip.b[i / 8] & (0x80u >> (i % 8)))
			return fail(f, W_HOSTBITS, why);
	return 0;
}

static bool cidr_equal(const weft_cidr_t *a, const weft_cidr_t *b)
{
	return a->prefix == b->prefix && a->ip.family == b->ip.family &&
	       memcmp(a->ip.b, b->ip.b, sizeof(a->ip.b)) == 0;
}

static bool ep_equal(const weft_endpoint_t *a, const weft_endpoint_t *b)
{
	return a->port == b->port && a->ip.family == b->ip.family && memcmp(a->ip.b, b->ip.b, sizeof(a->ip.b)) == 0;
}

static uint64_t get_uint(const struct field *f, const uint8_t *p)
{
	switch (f->kind) {
	case K_U8:
		return *p;
	case K_U16:
	case K_PORT:
		return *(const uint16_t *)p;
	case K_U32:
		return *(const uint32_t *)p;
	default:
		return *(const uint64_t *)p;
	}
}

static void set_uint(const struct field *f, uint8_t *p, uint64_t v)
{
	switch (f->kind) {
	case K_U8:
		*p = (uint8_t)v;
		break;
	case K_U16:
	case K_PORT:
		*(uint16_t *)p = (uint16_t)v;
		break;
	case K_U32:
		*(uint32_t *)p = (uint32_t)v;
		break;
	default:
		*(uint64_t *)p = v;
		break;
	}
}

static int check_rule(const struct field *f, const struct weft_policy_rule *rule, const char **why)
{
	const char *ends[2] = { rule->from, rule->to };
	size_t i, len;

	if (rule->action != WEFT_POLICY_ALLOW && rule->action != WEFT_POLICY_DENY)
		return fail(f, W_VALUE, why);
	for (i = 0; i < 2; i++) {
		len = field_strlen(ends[i], WEFT_TAG_MAX);
		if (len > WEFT_TAG_MAX)
			return fail(f, W_SIZE, why);
		if (strcmp(ends[i], "*") != 0 && !valid_tag(ends[i], len))
			return fail(f, W_VALUE, why);
	}
	return 0;
}

/* Every rule a field's value must meet, whether it came from the wire or
 * from a caller about to sign. */
static int check_field(const struct field *f, const uint8_t *body, const char **why)
{
	const uint8_t *p = body + f->off;
	unsigned n = f->cnt ? body[f->cnt] : 0, i, j;
	uint64_t v;
	size_t len;
	int ret = 0;

	if (f->cnt && n > f->len)
		return fail(f, W_SIZE, why);
	switch (f->kind) {
	case K_U8:
	case K_U16:
	case K_U32:
	case K_U64:
	case K_PORT:
		v = get_uint(f, p);
		if (v < f->lo || v > f->hi)
			return fail(f, f->kind == K_PORT ? W_PORT : W_VALUE, why);
		break;
	case K_BOOL:
	case K_BIN:
		break;
	case K_STR:
		len = field_strlen((const char *)p, f->len);
		if (len > f->len)
			return fail(f, W_SIZE, why);
		if (!valid_str(f->cls, (const char *)p, len))
			return fail(f, W_VALUE, why);
		break;
	case K_IP:
		return check_ip(f, (const weft_ip_t *)p, f->fam, why);
	case K_CIDR: {
		const weft_cidr_t *c = (const weft_cidr_t *)p;

		if (f->opt && c->ip.family == 0) {
			if (c->prefix)
				return fail(f, W_STRAY, why);
			return check_ip(f, &c->ip, f->fam, why);
		}
		return check_cidr(f, c, f->fam, why);
	}
	case K_CIDRS: {
		const weft_cidr_t *c = (const weft_cidr_t *)p;

		for (i = 0; i < n && !ret; i++) {
			ret = check_cidr(f, &c[i], c[i].ip.family == 4 ? 4 : 6, why);
			for (j = 0; j < i && !ret; j++)
				if (cidr_equal(&c[i], &c[j]))
					ret = fail(f, W_DUP, why);
		}
		return ret;
	}
	case K_EPS: {
		const weft_endpoint_t *e = (const weft_endpoint_t *)p;

		for (i = 0; i < n && !ret; i++) {
			if (e[i].ip.family == 0)
				return fail(f, W_FAMILY, why);
			ret = check_ip(f, &e[i].ip, e[i].ip.family == 4 ? 4 : 6, why);
			if (!ret && e[i].port == 0)
				ret = fail(f, W_PORT, why);
			for (j = 0; j < i && !ret; j++)
				if (ep_equal(&e[i], &e[j]))
					ret = fail(f, W_DUP, why);
		}
		return ret;
	}
	case K_TAGS: {
		const char(*tags)[WEFT_TAG_MAX + 1] = (const char(*)[WEFT_TAG_MAX + 1]) p;

		for (i = 0; i < n; i++) {
			len = field_strlen(tags[i], WEFT_TAG_MAX);
			if (len > WEFT_TAG_MAX)
				return fail(f, W_SIZE, why);
			if (!valid_tag(tags[i], len))
				return fail(f, W_VALUE, why);
			for (j = 0; j < i; j++)
				if (strcmp(tags[i], tags[j]) == 0)
					return fail(f, W_DUP, why);
		}
		break;
	}
	case K_RULES: {
		const struct weft_policy_rule *rules = (const struct weft_policy_rule *)p;

		for (i = 0; i < n && !ret; i++)
			ret = check_rule(f, &rules[i], why);
		return ret;
	}
	}
	return 0;
}

int weft_record_check(const weft_record_t *r, const char **why)
{
	const char *dummy;

	const struct rec_type *t = type_of(r->type);
	const uint8_t *body = (const uint8_t *)&r->u;
	unsigned i;
	int ret;

	if (!why)
		why = &dummy;
	if (!t) {
		*why = "record: unknown type";
		return WEFT_EMALFORMED;
	}
	for (i = 0; i < t->nfields; i++) {
		ret = check_field(&t->fields[i], body, why);
		if (ret)
			return ret;
	}
	return t->check ? t->check(r, why) : 0;
}

/* ------------------------------------------------------------------------ */
/* Encoding                                                                  */

/* msgpack's packer writes through this bounded buffer rather than an
 * sbuffer: no allocation, and a record that would not fit stops at the
 * limit instead of growing. */
struct outbuf {
	uint8_t *p;
	size_t len, cap;
	bool overflow;
};

static int out_write(void *data, const char *buf, size_t len)
{
	struct outbuf *o = data;

	if (o->overflow || len > o->cap - o->len) {
		o->overflow = true;
		return -1;
	}
	memcpy(o->p + o->len, buf, len);
	o->len += len;
	return 0;
}

static void enc_ip(msgpack_packer *pk, const weft_ip_t *ip)
{
	size_t n = ip_len(ip);

	if (n == 0) {
		msgpack_pack_nil(pk);
		return;
	}
	msgpack_pack_bin(pk, n);
	msgpack_pack_bin_body(pk, ip->b, n);
}

static void enc_cidr(msgpack_packer *pk, const weft_cidr_t *c)
{
	msgpack_pack_array(pk, 2);
	enc_ip(pk, &c->ip);
	msgpack_pack_uint8(pk, c->prefix);
}

static void enc_str(msgpack_packer *pk, const char *s)
{
	size_t len = strlen(s);

	msgpack_pack_str(pk, len);
	msgpack_pack_str_body(pk, s, len);
}

static void enc_field(msgpack_packer *pk, const struct field *f, const uint8_t *body)
{
	const uint8_t *p = body + f->off;
	unsigned n = f->cnt ? body[f->cnt] : 0, i;

	switch (f->kind) {
	case K_U8:
	case K_U16:
	case K_U32:
	case K_U64:
	case K_PORT:
		msgpack_pack_uint64(pk, get_uint(f, p));
		break;
	case K_BOOL:
		if (*(const bool *)p)
			msgpack_pack_true(pk);
		else
			msgpack_pack_false(pk);
		break;
	case K_BIN:
		msgpack_pack_bin(pk, f->len);
		msgpack_pack_bin_body(pk, p, f->len);
		break;
	case K_STR:
		enc_str(pk, (const char *)p);
		break;
	case K_IP:
		enc_ip(pk, (const weft_ip_t *)p);
		break;
	case K_CIDR:
		if (((const weft_cidr_t *)p)->ip.family == 0)
			msgpack_pack_nil(pk);
		else
			enc_cidr(pk, (const weft_cidr_t *)p);
		break;
	case K_CIDRS:
		msgpack_pack_array(pk, n);
		for (i = 0; i < n; i++)
			enc_cidr(pk, &((const weft_cidr_t *)p)[i]);
		break;
	case K_EPS:
		msgpack_pack_array(pk, n);
		for (i = 0; i < n; i++) {
			const weft_endpoint_t *e = &((const weft_endpoint_t *)p)[i];

			msgpack_pack_array(pk, 2);
			enc_ip(pk, &e->ip);
			msgpack_pack_uint16(pk, e->port);
		}
		break;
	case K_TAGS:
		msgpack_pack_array(pk, n);
		for (i = 0; i < n; i++)
			enc_str(pk, ((const char(*)[WEFT_TAG_MAX + 1]) p)[i]);
		break;
	case K_RULES:
		msgpack_pack_array(pk, n);
		for (i = 0; i < n; i++) {
			const struct weft_policy_rule *rule = &((const struct weft_policy_rule *)p)[i];

			msgpack_pack_array(pk, 3);
			msgpack_pack_uint8(pk, rule->action);
			enc_str(pk, rule->from);
			enc_str(pk, rule->to);
		}
		break;
	}
}

/* Canonical bytes of [1, type, signer, body] (the signed part, with_sig
 * false) or of the whole envelope with r->sig. r must have passed
 * weft_record_check. Returns the length, or WEFT_EOVERSIZE past cap. */
static int encode(const weft_record_t *r, bool with_sig, uint8_t *out, size_t cap, size_t *len)
{
	const struct rec_type *t = type_of(r->type);
	const uint8_t *body = (const uint8_t *)&r->u;
	struct outbuf ob = { .p = out, .cap = cap };
	msgpack_packer pk;
	unsigned i;

	msgpack_packer_init(&pk, &ob, out_write);
	msgpack_pack_array(&pk, with_sig ? 5 : 4);
	msgpack_pack_uint8(&pk, WEFT_RECORD_FORMAT);
	msgpack_pack_uint8(&pk, r->type);
	msgpack_pack_bin(&pk, WEFT_PK_LEN);
	msgpack_pack_bin_body(&pk, r->signer.b, WEFT_PK_LEN);
	msgpack_pack_array(&pk, t->nfields);
	for (i = 0; i < t->nfields; i++)
		enc_field(&pk, &t->fields[i], body);
	if (with_sig) {
		msgpack_pack_bin(&pk, WEFT_SIG_LEN);
		msgpack_pack_bin_body(&pk, r->sig, WEFT_SIG_LEN);
	}
	if (ob.overflow)
		return WEFT_EOVERSIZE;
	*len = ob.len;
	return 0;
}

int weft_record_encode(const weft_record_t *r, uint8_t *out, size_t cap, size_t *len, const char **why)
{
	const char *dummy;
	int ret;

	if (!why)
		why = &dummy;
	ret = weft_record_check(r, why);
	if (ret)
		return ret;
	ret = encode(r, true, out, cap, len);
	if (ret)
		*why = "record: does not fit the buffer";
	return ret;
}

int weft_record_sign(weft_record_t *r, const weft_keypair_t *kp)
{
	uint8_t msg[DOMAIN_SEP_LEN + WEFT_RECORD_MAX];
	uint8_t *body = msg + DOMAIN_SEP_LEN;
	const char *why;
	size_t len;
	int ret;

	/* Whatever raw held no longer matches the fields: a failed sign must
	 * not leave it looking signed. */
	r->raw_len = 0;
	r->signer = kp->pk;
	ret = weft_record_check(r, &why);
	if (ret)
		return ret;
	memcpy(msg, DOMAIN_SEP, DOMAIN_SEP_LEN);
	/* raw is the signed 4-array with its header made a 5-array and the
	 * signature appended, so it must fit 66 bytes short of the limit. */
	ret = encode(r, false, body, WEFT_RECORD_MAX - RAW_SIG_TRAILER, &len);
	if (ret)
		return ret;
	ret = weft_sign(r->sig, msg, DOMAIN_SEP_LEN + len, kp);
	if (ret)
		return ret;
	r->raw[0] = 0x95;
	memcpy(r->raw + 1, body + 1, len - 1);
	r->raw[len] = 0xc4;
	r->raw[len + 1] = WEFT_SIG_LEN;
	memcpy(r->raw + len + 2, r->sig, WEFT_SIG_LEN);
	r->raw_len = (uint16_t)(len + RAW_SIG_TRAILER);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Decoding                                                                  */

static uint32_t be16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* msgpack-c's unpacker allocates a container's elements as soon as it reads
 * its header: five bytes declaring a 2^32-entry array would ask for about
 * 100 GB. This walk over the headers runs first and refuses any container
 * that declares more elements than bytes remain (each takes at least one),
 * maps (no record has one), reserved bytes and nesting deeper than a
 * record's. It finds where the first value ends, for the trailing check. */
static int prescan(const uint8_t *p, size_t len, size_t *end, const char **why)
{
	uint32_t left[MAX_NESTING + 1];
	size_t i = 0, skip;
	unsigned depth = 0;
	uint8_t b;

	left[0] = 1;
	for (;;) {
		while (left[depth] == 0) {
			if (depth == 0) {
				*end = i;
				return 0;
			}
			depth--;
		}
		left[depth]--;
		if (i >= len)
			goto truncated;
		b = p[i++];
		skip = 0;
		if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) {
			continue;
		} else if (b >= 0xa0 && b <= 0xbf) {
			skip = b & 0x1f;
		} else if (b >= 0xcc && b <= 0xd3) {
			skip = (size_t)1 << (b & 3);
		} else if (b == 0xc4 || b == 0xd9 || b == 0xc5 || b == 0xda || b == 0xc6 || b == 0xdb) {
			size_t hl = (b == 0xc4 || b == 0xd9) ? 1 : (b == 0xc5 || b == 0xda) ? 2 : 4;

			if (hl > len - i)
				goto truncated;
			skip = hl == 1 ? p[i] : hl == 2 ? be16(p + i) : be32(p + i);
			i += hl;
		} else if ((b >= 0x90 && b <= 0x9f) || b == 0xdc || b == 0xdd) {
			size_t hl = b == 0xdc ? 2 : b == 0xdd ? 4 : 0;
			uint32_t n;

			if (hl > len - i)
				goto truncated;
			n = hl == 0 ? (b & 0x0f) : hl == 2 ? be16(p + i) : be32(p + i);
			i += hl;
			if (n > len - i)
				goto truncated;
			if (n == 0)
				continue;
			if (depth + 1 > MAX_NESTING) {
				*why = "record: arrays nested too deep";
				return WEFT_EMALFORMED;
			}
			left[++depth] = n;
			continue;
		} else if ((b >= 0x80 && b <= 0x8f) || b == 0xde || b == 0xdf) {
			*why = "record: contains a map";
			return WEFT_EMALFORMED;
		} else {
			/* 0xc1 (never used), floats and ext types. */
			*why = "record: contains a float, ext or reserved byte";
			return WEFT_EMALFORMED;
		}
		if (skip > len - i)
			goto truncated;
		i += skip;
	}
truncated:
	*why = "record: truncated";
	return WEFT_EMALFORMED;
}

static int dec_ip(const struct field *f, const msgpack_object *o, weft_ip_t *ip, const char **why)
{
	memset(ip, 0, sizeof(*ip));
	if (o->type == MSGPACK_OBJECT_NIL)
		return 0;
	if (o->type != MSGPACK_OBJECT_BIN)
		return fail(f, W_TYPE, why);
	if (o->via.bin.size == 4)
		ip->family = 4;
	else if (o->via.bin.size == 16)
		ip->family = 6;
	else
		return fail(f, W_FAMILY, why);
	memcpy(ip->b, o->via.bin.ptr, o->via.bin.size);
	return 0;
}

/* A [bin, uint] pair: a CIDR (prefix) or an endpoint (port). */
static int dec_pair(const struct field *f, const msgpack_object *o, weft_ip_t *ip, uint64_t max, uint64_t *v,
		    const char **why)
{
	const msgpack_object *e;
	int ret;

	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 2)
		return fail(f, W_TYPE, why);
	e = o->via.array.ptr;
	ret = dec_ip(f, &e[0], ip, why);
	if (ret)
		return ret;
	if (ip->family == 0 || e[1].type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return fail(f, ip->family == 0 ? W_FAMILY : W_TYPE, why);
	if (e[1].via.u64 > max)
		return fail(f, W_VALUE, why);
	*v = e[1].via.u64;
	return 0;
}

static int dec_str(const struct field *f, const msgpack_object *o, char *out, size_t max, const char **why)
{
	if (o->type != MSGPACK_OBJECT_STR)
		return fail(f, W_TYPE, why);
	if (o->via.str.size > max)
		return fail(f, W_SIZE, why);
	/* An embedded NUL would be cut off here and the record re-encoded
	 * differently: refuse it as invalid text, not as non-canonical. */
	if (memchr(o->via.str.ptr, '\0', o->via.str.size))
		return fail(f, W_VALUE, why);
	memcpy(out, o->via.str.ptr, o->via.str.size);
	out[o->via.str.size] = '\0';
	return 0;
}

static int dec_rule(const struct field *f, const msgpack_object *o, struct weft_policy_rule *rule, const char **why)
{
	const msgpack_object *e;
	int ret;

	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 3)
		return fail(f, W_TYPE, why);
	e = o->via.array.ptr;
	if (e[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return fail(f, W_TYPE, why);
	if (e[0].via.u64 > UINT8_MAX)
		return fail(f, W_VALUE, why);
	rule->action = (uint8_t)e[0].via.u64;
	ret = dec_str(f, &e[1], rule->from, WEFT_TAG_MAX, why);
	if (!ret)
		ret = dec_str(f, &e[2], rule->to, WEFT_TAG_MAX, why);
	return ret;
}

static const uint64_t kind_max[] = {
	[K_U8] = UINT8_MAX, [K_U16] = UINT16_MAX, [K_U32] = UINT32_MAX, [K_U64] = UINT64_MAX, [K_PORT] = UINT16_MAX,
};

/* Reads one field's msgpack value into the body; value rules are left to
 * check_field. */
static int dec_field(const struct field *f, const msgpack_object *o, uint8_t *body, const char **why)
{
	uint8_t *p = body + f->off;
	const msgpack_object *e;
	uint32_t n, i;
	uint64_t v;
	int ret = 0;

	switch (f->kind) {
	case K_U8:
	case K_U16:
	case K_U32:
	case K_U64:
	case K_PORT:
		if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
			return fail(f, W_TYPE, why);
		if (o->via.u64 > kind_max[f->kind])
			return fail(f, W_VALUE, why);
		set_uint(f, p, o->via.u64);
		return 0;
	case K_BOOL:
		if (o->type != MSGPACK_OBJECT_BOOLEAN)
			return fail(f, W_TYPE, why);
		*(bool *)p = o->via.boolean;
		return 0;
	case K_BIN:
		if (o->type != MSGPACK_OBJECT_BIN)
			return fail(f, W_TYPE, why);
		if (o->via.bin.size != f->len)
			return fail(f, W_VALUE, why);
		memcpy(p, o->via.bin.ptr, f->len);
		return 0;
	case K_STR:
		return dec_str(f, o, (char *)p, f->len, why);
	case K_IP:
		return dec_ip(f, o, (weft_ip_t *)p, why);
	case K_CIDR:
		if (o->type == MSGPACK_OBJECT_NIL && f->opt)
			return 0;
		ret = dec_pair(f, o, &((weft_cidr_t *)p)->ip, UINT8_MAX, &v, why);
		((weft_cidr_t *)p)->prefix = (uint8_t)v;
		return ret;
	default:
		break;
	}
	/* The lists. */
	if (o->type != MSGPACK_OBJECT_ARRAY)
		return fail(f, W_TYPE, why);
	e = o->via.array.ptr;
	n = o->via.array.size;
	if (n > f->len)
		return fail(f, W_SIZE, why);
	body[f->cnt] = (uint8_t)n;
	for (i = 0; i < n && !ret; i++) {
		switch (f->kind) {
		case K_CIDRS: {
			weft_cidr_t *c = &((weft_cidr_t *)p)[i];

			ret = dec_pair(f, &e[i], &c->ip, UINT8_MAX, &v, why);
			c->prefix = (uint8_t)v;
			break;
		}
		case K_EPS: {
			weft_endpoint_t *ep = &((weft_endpoint_t *)p)[i];

			ret = dec_pair(f, &e[i], &ep->ip, UINT16_MAX, &v, why);
			ep->port = (uint16_t)v;
			break;
		}
		case K_TAGS:
			ret = dec_str(f, &e[i], ((char(*)[WEFT_TAG_MAX + 1]) p)[i], WEFT_TAG_MAX, why);
			break;
		case K_RULES:
			ret = dec_rule(f, &e[i], &((struct weft_policy_rule *)p)[i], why);
			break;
		}
	}
	return ret;
}

static int dec_envelope(weft_record_t *r, const msgpack_object *o, const char **why)
{
	const msgpack_object *e = o->via.array.ptr;
	const struct rec_type *t;
	uint8_t *body = (uint8_t *)&r->u;
	uint32_t i;
	int ret;

	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size == 0) {
		*why = "record: not an array";
		return WEFT_EMALFORMED;
	}
	/* The version comes first so that a later format may change the rest. */
	if (e[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER || e[0].via.u64 != WEFT_RECORD_FORMAT) {
		*why = "record: unknown format version";
		return WEFT_EVERSION;
	}
	if (o->via.array.size != 5) {
		*why = "record: envelope is not 5 elements";
		return WEFT_EMALFORMED;
	}
	/* An unknown type is a newer peer's, not garbage: EVERSION. */
	if (e[1].type != MSGPACK_OBJECT_POSITIVE_INTEGER || e[1].via.u64 > WEFT_REC_TYPE_MAX ||
	    !type_of((unsigned)e[1].via.u64)) {
		*why = "record: unknown type";
		return WEFT_EVERSION;
	}
	r->type = (uint8_t)e[1].via.u64;
	t = type_of(r->type);
	if (e[2].type != MSGPACK_OBJECT_BIN || e[2].via.bin.size != WEFT_PK_LEN) {
		*why = "record: signer is not a 32-byte bin";
		return WEFT_EMALFORMED;
	}
	memcpy(r->signer.b, e[2].via.bin.ptr, WEFT_PK_LEN);
	if (e[4].type != MSGPACK_OBJECT_BIN || e[4].via.bin.size != WEFT_SIG_LEN) {
		*why = "record: signature is not a 64-byte bin";
		return WEFT_EMALFORMED;
	}
	memcpy(r->sig, e[4].via.bin.ptr, WEFT_SIG_LEN);
	if (e[3].type != MSGPACK_OBJECT_ARRAY || e[3].via.array.size != t->nfields) {
		*why = t->why_body;
		return WEFT_EMALFORMED;
	}
	for (i = 0; i < t->nfields; i++) {
		ret = dec_field(&t->fields[i], &e[3].via.array.ptr[i], body, why);
		if (ret)
			return ret;
	}
	return 0;
}

int weft_record_decode(weft_record_t *r, const uint8_t *buf, size_t len, const char **why)
{
	uint8_t again[WEFT_RECORD_MAX];
	msgpack_unpacked u;
	size_t end, off = 0, n;
	const char *dummy;
	int ret;

	if (!why)
		why = &dummy;
	memset(r, 0, sizeof(*r));
	msgpack_unpacked_init(&u);
	if (len > WEFT_RECORD_MAX) {
		*why = "record: longer than WEFT_RECORD_MAX";
		ret = WEFT_EOVERSIZE;
		goto out;
	}
	ret = prescan(buf, len, &end, why);
	if (ret)
		goto out;
	if (end != len) {
		*why = "record: trailing bytes";
		ret = WEFT_ETRAILING;
		goto out;
	}
	if (msgpack_unpack_next(&u, (const char *)buf, len, &off) != MSGPACK_UNPACK_SUCCESS || off != len) {
		*why = "record: msgpack does not parse";
		ret = WEFT_EMALFORMED;
		goto out;
	}
	ret = dec_envelope(r, &u.data, why);
	if (ret)
		goto out;
	ret = weft_record_check(r, why);
	if (ret)
		goto out;
	/* Whatever decoded must be exactly what we would have written: this
	 * catches every non-minimal form (wide integers, str16 for short
	 * strings, array16 for short arrays) in one comparison. */
	if (encode(r, true, again, sizeof(again), &n) != 0 || n != len || memcmp(again, buf, len) != 0) {
		*why = "record: not the canonical encoding";
		ret = WEFT_EMALFORMED;
		goto out;
	}
	memcpy(r->raw, buf, len);
	r->raw_len = (uint16_t)len;
out:
	msgpack_unpacked_destroy(&u);
	if (ret)
		memset(r, 0, sizeof(*r));
	return ret;
}

/* ------------------------------------------------------------------------ */
/* Identity, verification                                                    */

bool weft_record_raw_matches(const weft_record_t *r)
{
	const uint8_t *raw = r->raw, *tail;

	if (r->raw_len < RAW_MIN || r->raw_len > WEFT_RECORD_MAX || !type_of(r->type))
		return false;
	tail = raw + r->raw_len - RAW_SIG_TRAILER;
	return raw[0] == 0x95 && raw[1] == WEFT_RECORD_FORMAT && raw[2] == r->type && raw[3] == 0xc4 &&
	       raw[4] == WEFT_PK_LEN && memcmp(raw + RAW_SIGNER_OFF, r->signer.b, WEFT_PK_LEN) == 0 &&
	       tail[0] == 0xc4 && tail[1] == WEFT_SIG_LEN && memcmp(tail + 2, r->sig, WEFT_SIG_LEN) == 0;
}

int weft_record_verify(const weft_record_t *r)
{
	uint8_t msg[DOMAIN_SEP_LEN + WEFT_RECORD_MAX];
	size_t n;

	if (!weft_record_raw_matches(r))
		return WEFT_EBADSIG;
	/* Signed bytes: the domain, then raw as a 4-array without the
	 * signature. */
	n = r->raw_len - RAW_SIG_TRAILER;
	memcpy(msg, DOMAIN_SEP, DOMAIN_SEP_LEN);
	msg[DOMAIN_SEP_LEN] = 0x94;
	memcpy(msg + DOMAIN_SEP_LEN + 1, r->raw + 1, n - 1);
	return weft_verify(r->sig, msg, DOMAIN_SEP_LEN + n, &r->signer) ? WEFT_EBADSIG : 0;
}

void weft_record_subject(const weft_record_t *r, uint8_t subject[32])
{
	const struct rec_type *t = type_of(r->type);
	const uint8_t *body = (const uint8_t *)&r->u;

	memset(subject, 0, 32);
	if (!t)
		return;
	if (t->subject == SUBJ_KEY) {
		memcpy(subject, body + t->subject_off, 32);
	} else if (t->subject == SUBJ_NAME) {
		const char *name = (const char *)body + t->subject_off;
		crypto_generichash_state st;

		crypto_generichash_init(&st, NULL, 0, 32);
		crypto_generichash_update(&st, (const uint8_t *)name, strnlen(name, t->subject_max));
		/* A DNS entry is one value per (name, type), so a name can hold an
		 * A, an AAAA and a TXT at once; `weft dns rm NAME` tombstones each. */
		if (r->type == WEFT_REC_DNS) {
			uint8_t tail[3] = { 0, (uint8_t)(r->u.dns.rtype >> 8), (uint8_t)r->u.dns.rtype };

			crypto_generichash_update(&st, tail, sizeof(tail));
		}
		crypto_generichash_final(&st, subject, 32);
	}
}

uint64_t weft_record_version(const weft_record_t *r)
{
	const struct rec_type *t = type_of(r->type);

	if (!t || !t->versioned)
		return 0;
	return *(const uint64_t *)((const uint8_t *)&r->u + t->version_off);
}

void weft_record_hash(const weft_record_t *r, uint8_t hash[32])
{
	size_t len = r->raw_len <= WEFT_RECORD_MAX ? r->raw_len : WEFT_RECORD_MAX;

	crypto_generichash(hash, 32, r->raw, len, NULL, 0);
}

int weft_pk_to_x25519(uint8_t out[32], const weft_pk_t *pk)
{
	if (crypto_sign_ed25519_pk_to_curve25519(out, pk->b) != 0)
		return WEFT_EMALFORMED;
	return 0;
}
