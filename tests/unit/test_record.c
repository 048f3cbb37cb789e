/* Tests of the record codec: round trips of every type at its limits, the
 * wire format pinned byte by byte, every strictness rule against a
 * hand-built bad encoding, tampering with every byte, signing and
 * verification. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <msgpack.h>
#include <sodium.h>
#include <string.h>

#include "core/error.h"
#include "core/record.h"

#include "../fuzz/record-samples.h"

static int setup(void **state)
{
	return weft_crypto_init();
}

/* ---- round trips ---- */

static void expect_subject(const weft_record_t *r)
{
	uint8_t subject[32], want[32];
	weft_keypair_t node, invite, admin;

	sample_keypair(&admin, SAMPLE_ADMIN);
	sample_keypair(&node, SAMPLE_NODE);
	sample_keypair(&invite, SAMPLE_INVITE);
	memset(want, 0, sizeof(want));
	switch (r->type) {
	case WEFT_REC_INVITE:
		memcpy(want, invite.pk.b, 32);
		break;
	case WEFT_REC_MEMBER:
	case WEFT_REC_NODE_STATE:
	case WEFT_REC_OVERRIDE:
	case WEFT_REC_REVOCATION:
	case WEFT_REC_KEYSHARE:
		memcpy(want, node.pk.b, 32);
		break;
	case WEFT_REC_ADMIN_ROLL:
		memcpy(want, admin.pk.b, 32);
		break;
	case WEFT_REC_DNS: {
		/* name, a zero byte, the type big-endian: one value per (name, type) */
		uint8_t buf[WEFT_DOMAIN_MAX + 3];
		size_t n = strlen(r->u.dns.name);

		memcpy(buf, r->u.dns.name, n);
		buf[n] = 0;
		buf[n + 1] = (uint8_t)(r->u.dns.rtype >> 8);
		buf[n + 2] = (uint8_t)r->u.dns.rtype;
		crypto_generichash(want, 32, buf, n + 3, NULL, 0);
		break;
	}
	case WEFT_REC_EXT_CLIENT:
		crypto_generichash(want, 32, (const uint8_t *)r->u.ext_client.name, strlen(r->u.ext_client.name),
				   NULL, 0);
		break;
	default:
		break; /* the network-wide types: all zero */
	}
	weft_record_subject(r, subject);
	assert_memory_equal(subject, want, 32);
}

static void roundtrip(unsigned type, bool max)
{
	weft_record_t r, d;
	uint8_t again[WEFT_RECORD_MAX], hash[32], want[32];
	weft_keypair_t kp;
	const char *why = NULL;
	size_t len;
	bool immutable = type == WEFT_REC_INVITE || type == WEFT_REC_MEMBER || type == WEFT_REC_REVOCATION ||
			 type == WEFT_REC_ADMIN_ROLL;

	assert_int_equal(sample_signed(&r, type, max), 0);
	sample_keypair(&kp, sample_signer(type));
	assert_memory_equal(r.signer.b, kp.pk.b, 32);
	assert_true(r.raw_len > 0 && r.raw_len <= WEFT_RECORD_MAX);

	assert_int_equal(weft_record_decode(&d, r.raw, r.raw_len, &why), 0);
	assert_int_equal(d.type, type);
	assert_memory_equal(d.signer.b, r.signer.b, 32);
	assert_memory_equal(d.sig, r.sig, WEFT_SIG_LEN);
	assert_int_equal(d.raw_len, r.raw_len);
	assert_memory_equal(d.raw, r.raw, r.raw_len);
	/* Every field, at its minimum or its limit, comes back as it went. */
	assert_memory_equal(&d.u, &r.u, sizeof(r.u));

	assert_int_equal(weft_record_verify(&d), 0);
	assert_true(weft_record_raw_matches(&d));
	assert_int_equal(weft_record_encode(&d, again, sizeof(again), &len, &why), 0);
	assert_int_equal(len, r.raw_len);
	assert_memory_equal(again, r.raw, len);
	/* A buffer one byte short is refused, not overrun. */
	assert_int_equal(weft_record_encode(&d, again, len - 1, &len, &why), WEFT_EOVERSIZE);

	weft_record_hash(&d, hash);
	crypto_generichash(want, 32, r.raw, r.raw_len, NULL, 0);
	assert_memory_equal(hash, want, 32);
	if (immutable)
		assert_int_equal(weft_record_version(&d), 0);
	else
		assert_int_equal(weft_record_version(&d), max ? UINT64_MAX : 0);
	expect_subject(&d);
}

static void test_roundtrip_min(void **state)
{
	unsigned t;

	for (t = 1; t <= WEFT_REC_TYPE_MAX; t++)
		roundtrip(t, false);
}

static void test_roundtrip_max(void **state)
{
	unsigned t;

	for (t = 1; t <= WEFT_REC_TYPE_MAX; t++)
		roundtrip(t, true);
}

static void test_version_values(void **state)
{
	weft_record_t r;

	sample_record(&r, WEFT_REC_NODE_STATE, false);
	r.u.node_state.version = 77;
	assert_int_equal(weft_record_version(&r), 77);
	sample_record(&r, WEFT_REC_KEYRING, false);
	r.u.keyring.epoch = 5;
	assert_int_equal(weft_record_version(&r), 5);
	sample_record(&r, WEFT_REC_ADMIN_ROLL, false);
	r.u.admin_roll.version = 9; /* immutable: its version is not an ordering key */
	assert_int_equal(weft_record_version(&r), 0);
	r.type = 0;
	assert_int_equal(weft_record_version(&r), 0);
}

static void test_type_names(void **state)
{
	static const char *const names[] = {
		"unknown", "network", "invite",   "member", "node_state", "override",   "revocation",
		"dns",     "keyring", "keyshare", "rotate", "policy",     "ext_client", "admin_roll",
	};
	unsigned t;

	for (t = 0; t <= WEFT_REC_TYPE_MAX; t++)
		assert_string_equal(weft_rec_type_name(t), names[t]);
	assert_string_equal(weft_rec_type_name(WEFT_REC_TYPE_MAX + 1), "unknown");
	assert_string_equal(weft_rec_type_name(255), "unknown");
}

/* ---- the wire format, pinned independently of the encoder ---- */

static void test_wire_rotate(void **state)
{
	static const char domain[] = "weft-record-v1";
	uint8_t want[WEFT_RECORD_MAX], msg[64 + sizeof(domain)];
	weft_keypair_t admin;
	weft_record_t r;
	size_t n = 0;

	sample_record(&r, WEFT_REC_ROTATE, false);
	r.u.rotate.version = 5;
	r.u.rotate.older_than = 300; /* uint16 */
	sample_keypair(&admin, SAMPLE_ADMIN);
	assert_int_equal(weft_record_sign(&r, &admin), 0);

	want[n++] = 0x95;
	want[n++] = 0x01;
	want[n++] = WEFT_REC_ROTATE;
	want[n++] = 0xc4;
	want[n++] = 32;
	memcpy(want + n, admin.pk.b, 32);
	n += 32;
	want[n++] = 0x92;
	want[n++] = 0x05;
	want[n++] = 0xcd;
	want[n++] = 0x01;
	want[n++] = 0x2c;
	want[n++] = 0xc4;
	want[n++] = 64;
	memcpy(want + n, r.sig, 64);
	n += 64;
	assert_int_equal(r.raw_len, n);
	assert_memory_equal(r.raw, want, n);

	/* The signature covers "weft-record-v1" and the first four elements
	 * as a 4-array. */
	memcpy(msg, domain, sizeof(domain) - 1);
	msg[sizeof(domain) - 1] = 0x94;
	memcpy(msg + sizeof(domain), want + 1, n - 66 - 1);
	assert_int_equal(crypto_sign_verify_detached(r.sig, msg, sizeof(domain) - 1 + n - 66, admin.pk.b), 0);
}

/* Walks the msgpack form of a node state with one endpoint and one route of
 * each family and checks the shape of every field. */
static void test_wire_node_state(void **state)
{
	msgpack_unpacked u;
	const msgpack_object *env, *b, *ep, *rt;
	weft_keypair_t node;
	weft_record_t r;
	size_t off = 0;

	sample_record(&r, WEFT_REC_NODE_STATE, false);
	r.u.node_state.version = 1;
	r.u.node_state.nendpoints = 2;
	sample_ip(&r.u.node_state.endpoints[0].ip, 4, 1);
	r.u.node_state.endpoints[0].port = 51820;
	sample_ip(&r.u.node_state.endpoints[1].ip, 6, 1);
	r.u.node_state.endpoints[1].port = 7;
	r.u.node_state.nroutes = 1;
	sample_ip(&r.u.node_state.routes[0].ip, 4, 0);
	r.u.node_state.routes[0].prefix = 24;
	r.u.node_state.flags = WEFT_NODE_RELAY;
	strcpy(r.u.node_state.sw_version, "0.1.0");
	sample_keypair(&node, SAMPLE_NODE);
	assert_int_equal(weft_record_sign(&r, &node), 0);

	msgpack_unpacked_init(&u);
	assert_int_equal(msgpack_unpack_next(&u, (const char *)r.raw, r.raw_len, &off), MSGPACK_UNPACK_SUCCESS);
	assert_int_equal(off, r.raw_len);
	env = u.data.via.array.ptr;
	assert_int_equal(u.data.via.array.size, 5);
	assert_int_equal(env[3].type, MSGPACK_OBJECT_ARRAY);
	assert_int_equal(env[3].via.array.size, 11);
	b = env[3].via.array.ptr;
	assert_int_equal(b[0].type, MSGPACK_OBJECT_BIN);
	assert_memory_equal(b[0].via.bin.ptr, node.pk.b, 32);
	assert_int_equal(b[1].type, MSGPACK_OBJECT_POSITIVE_INTEGER);
	assert_int_equal(b[1].via.u64, 1);
	assert_int_equal(b[2].type, MSGPACK_OBJECT_BIN);
	assert_int_equal(b[2].via.bin.size, 32);
	assert_int_equal(b[4].via.u64, 1);
	assert_int_equal(b[5].via.u64, 2);
	assert_int_equal(b[6].type, MSGPACK_OBJECT_STR);
	assert_int_equal(b[6].via.str.size, 1);
	assert_int_equal(b[7].type, MSGPACK_OBJECT_ARRAY);
	assert_int_equal(b[7].via.array.size, 2);
	ep = b[7].via.array.ptr;
	assert_int_equal(ep[0].via.array.size, 2);
	assert_int_equal(ep[0].via.array.ptr[0].type, MSGPACK_OBJECT_BIN);
	assert_int_equal(ep[0].via.array.ptr[0].via.bin.size, 4);
	assert_int_equal(ep[0].via.array.ptr[1].via.u64, 51820);
	assert_int_equal(ep[1].via.array.ptr[0].via.bin.size, 16);
	assert_int_equal(ep[1].via.array.ptr[1].via.u64, 7);
	rt = b[8].via.array.ptr;
	assert_int_equal(b[8].via.array.size, 1);
	assert_int_equal(rt[0].via.array.ptr[0].via.bin.size, 4);
	assert_int_equal(rt[0].via.array.ptr[1].via.u64, 24);
	assert_int_equal(b[9].via.u64, WEFT_NODE_RELAY);
	assert_int_equal(b[10].type, MSGPACK_OBJECT_STR);
	assert_int_equal(b[10].via.str.size, 5);
	msgpack_unpacked_destroy(&u);
}

/* ---- hand-built encodings ---- */

/* A valid record unpacked into a msgpack tree that a test edits, then packs
 * again with its own packer (which can also write non-minimal forms). */
struct mut {
	msgpack_unpacked u;
	msgpack_object *env;
	msgpack_object *body;
	const msgpack_object *wide; /* pack this one in a non-minimal form */
	uint8_t out[8192];
	size_t len;
};

static void mut_begin(struct mut *m, unsigned type, bool max)
{
	static weft_record_t r; /* the tree points into raw */
	size_t off = 0;

	memset(m, 0, sizeof(*m));
	assert_int_equal(sample_signed(&r, type, max), 0);
	msgpack_unpacked_init(&m->u);
	assert_int_equal(msgpack_unpack_next(&m->u, (const char *)r.raw, r.raw_len, &off), MSGPACK_UNPACK_SUCCESS);
	m->env = m->u.data.via.array.ptr;
	m->body = m->env[3].via.array.ptr;
}

static void put(struct mut *m, const void *p, size_t n)
{
	assert_true(m->len + n <= sizeof(m->out));
	memcpy(m->out + m->len, p, n);
	m->len += n;
}

static void put_byte(struct mut *m, uint8_t b)
{
	put(m, &b, 1);
}

static void put_be(struct mut *m, uint64_t v, unsigned bytes)
{
	while (bytes--)
		put_byte(m, (uint8_t)(v >> (8 * bytes)));
}

static void pack_len(struct mut *m, uint32_t n, uint8_t fix, uint32_t fixmax, uint8_t b8, uint8_t b16, uint8_t b32,
		     bool wide)
{
	if (!wide && n <= fixmax && fix) {
		put_byte(m, (uint8_t)(fix | n));
	} else if (!wide && n <= 0xff && b8) {
		put_byte(m, b8);
		put_byte(m, (uint8_t)n);
	} else if (n <= 0xffff) {
		put_byte(m, b16);
		put_be(m, n, 2);
	} else {
		put_byte(m, b32);
		put_be(m, n, 4);
	}
}

static void pack(struct mut *m, const msgpack_object *o)
{
	bool wide = o == m->wide;
	uint32_t i;

	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		put_byte(m, 0xc0);
		break;
	case MSGPACK_OBJECT_BOOLEAN:
		put_byte(m, o->via.boolean ? 0xc3 : 0xc2);
		break;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		if (wide) {
			put_byte(m, 0xcd);
			put_be(m, o->via.u64, 2);
		} else if (o->via.u64 < 128) {
			put_byte(m, (uint8_t)o->via.u64);
		} else if (o->via.u64 <= 0xff) {
			put_byte(m, 0xcc);
			put_be(m, o->via.u64, 1);
		} else if (o->via.u64 <= 0xffff) {
			put_byte(m, 0xcd);
			put_be(m, o->via.u64, 2);
		} else if (o->via.u64 <= 0xffffffff) {
			put_byte(m, 0xce);
			put_be(m, o->via.u64, 4);
		} else {
			put_byte(m, 0xcf);
			put_be(m, o->via.u64, 8);
		}
		break;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		put_byte(m, 0xd3);
		put_be(m, (uint64_t)o->via.i64, 8);
		break;
	case MSGPACK_OBJECT_FLOAT64:
		put_byte(m, 0xcb);
		put_be(m, 0, 8);
		break;
	case MSGPACK_OBJECT_STR:
		pack_len(m, o->via.str.size, 0xa0, 31, 0xd9, 0xda, 0xdb, wide);
		put(m, o->via.str.ptr, o->via.str.size);
		break;
	case MSGPACK_OBJECT_BIN:
		pack_len(m, o->via.bin.size, 0, 0, 0xc4, 0xc5, 0xc6, wide);
		put(m, o->via.bin.ptr, o->via.bin.size);
		break;
	case MSGPACK_OBJECT_ARRAY:
		pack_len(m, o->via.array.size, 0x90, 15, 0, 0xdc, 0xdd, wide);
		for (i = 0; i < o->via.array.size; i++)
			pack(m, &o->via.array.ptr[i]);
		break;
	case MSGPACK_OBJECT_MAP:
		pack_len(m, o->via.map.size, 0x80, 15, 0, 0xde, 0xdf, wide);
		for (i = 0; i < o->via.map.size; i++) {
			pack(m, &o->via.map.ptr[i].key);
			pack(m, &o->via.map.ptr[i].val);
		}
		break;
	default:
		fail_msg("test packer: unsupported type %d", o->type);
	}
}

static int mut_decode(struct mut *m, const char **why)
{
	weft_record_t d;
	int ret;

	m->len = 0;
	pack(m, &m->u.data);
	*why = NULL;
	ret = weft_record_decode(&d, m->out, m->len, why);
	msgpack_unpacked_destroy(&m->u);
	return ret;
}

static void expect_bad(struct mut *m, int code, const char *reason)
{
	const char *why;
	int ret = mut_decode(m, &why);

	if (ret != code || !why || !strstr(why, reason))
		fail_msg("decode gave %d (%s), want %d with \"%s\"", ret, why ? why : "no reason", code, reason);
}

static void expect_good(struct mut *m)
{
	const char *why;
	int ret = mut_decode(m, &why);

	if (ret != 0)
		fail_msg("decode refused (%d): %s", ret, why ? why : "no reason");
}

static msgpack_object o_uint(uint64_t v)
{
	msgpack_object o = { .type = MSGPACK_OBJECT_POSITIVE_INTEGER, .via.u64 = v };
	return o;
}

static msgpack_object o_neg(int64_t v)
{
	msgpack_object o = { .type = MSGPACK_OBJECT_NEGATIVE_INTEGER, .via.i64 = v };
	return o;
}

static msgpack_object o_nil(void)
{
	msgpack_object o = { .type = MSGPACK_OBJECT_NIL };
	return o;
}

static msgpack_object o_bool(bool b)
{
	msgpack_object o = { .type = MSGPACK_OBJECT_BOOLEAN, .via.boolean = b };
	return o;
}

static msgpack_object o_strn(const char *s, size_t n)
{
	msgpack_object o = { .type = MSGPACK_OBJECT_STR };

	o.via.str.ptr = s;
	o.via.str.size = (uint32_t)n;
	return o;
}

static msgpack_object o_str(const char *s)
{
	return o_strn(s, strlen(s));
}

static msgpack_object o_bin(const void *p, size_t n)
{
	msgpack_object o = { .type = MSGPACK_OBJECT_BIN };

	o.via.bin.ptr = p;
	o.via.bin.size = (uint32_t)n;
	return o;
}

static msgpack_object o_arr(msgpack_object *items, uint32_t n)
{
	msgpack_object o = { .type = MSGPACK_OBJECT_ARRAY };

	o.via.array.ptr = items;
	o.via.array.size = n;
	return o;
}

static msgpack_object o_pair(msgpack_object *two, msgpack_object a, msgpack_object b)
{
	two[0] = a;
	two[1] = b;
	return o_arr(two, 2);
}

static const uint8_t v4_host[4] = { 10, 0, 0, 1 };
static const uint8_t v4_net[4] = { 10, 0, 0, 0 };
static const uint8_t v6_net[16] = { 0xfd };

static void test_bad_envelope(void **state)
{
	msgpack_object five[6];
	struct mut m;

	mut_begin(&m, WEFT_REC_ROTATE, false);
	m.env[0] = o_uint(2);
	expect_bad(&m, WEFT_EVERSION, "format version");

	mut_begin(&m, WEFT_REC_ROTATE, false);
	m.env[0] = o_str("1");
	expect_bad(&m, WEFT_EVERSION, "format version");

	mut_begin(&m, WEFT_REC_ROTATE, false);
	m.env[1] = o_uint(WEFT_REC_TYPE_MAX + 1);
	expect_bad(&m, WEFT_EVERSION, "unknown type");

	mut_begin(&m, WEFT_REC_ROTATE, false);
	m.env[1] = o_uint(0);
	expect_bad(&m, WEFT_EVERSION, "unknown type");

	mut_begin(&m, WEFT_REC_ROTATE, false);
	m.env[1] = o_uint(((uint64_t)1 << 32) + WEFT_REC_ROTATE);
	expect_bad(&m, WEFT_EVERSION, "unknown type");

	/* Envelope of 4 and of 6 elements. */
	mut_begin(&m, WEFT_REC_ROTATE, false);
	m.u.data.via.array.size = 4;
	expect_bad(&m, WEFT_EMALFORMED, "5 elements");

	mut_begin(&m, WEFT_REC_ROTATE, false);
	memcpy(five, m.env, 5 * sizeof(five[0]));
	five[5] = o_nil();
	m.u.data = o_arr(five, 6);
	expect_bad(&m, WEFT_EMALFORMED, "5 elements");

	mut_begin(&m, WEFT_REC_ROTATE, false);
	m.u.data = o_uint(1);
	expect_bad(&m, WEFT_EMALFORMED, "not an array");

	mut_begin(&m, WEFT_REC_ROTATE, false);
	m.env[2].via.bin.size = 31;
	expect_bad(&m, WEFT_EMALFORMED, "signer");

	mut_begin(&m, WEFT_REC_ROTATE, false);
	m.env[2] = o_str("0123456789abcdef0123456789abcdef");
	expect_bad(&m, WEFT_EMALFORMED, "signer");

	mut_begin(&m, WEFT_REC_ROTATE, false);
	m.env[4].via.bin.size = 63;
	expect_bad(&m, WEFT_EMALFORMED, "signature");

	mut_begin(&m, WEFT_REC_ROTATE, false);
	m.env[3] = o_uint(0);
	expect_bad(&m, WEFT_EMALFORMED, "rotate: body");
}

static void test_bad_body_length(void **state)
{
	msgpack_object more[12];
	struct mut m;

	mut_begin(&m, WEFT_REC_NODE_STATE, false);
	m.env[3].via.array.size = 10;
	expect_bad(&m, WEFT_EMALFORMED, "node_state: body");

	mut_begin(&m, WEFT_REC_NODE_STATE, false);
	memcpy(more, m.body, 11 * sizeof(more[0]));
	more[11] = o_uint(0);
	m.env[3] = o_arr(more, 12);
	expect_bad(&m, WEFT_EMALFORMED, "node_state: body");

	mut_begin(&m, WEFT_REC_POLICY, false);
	m.env[3].via.array.size = 0;
	expect_bad(&m, WEFT_EMALFORMED, "policy: body");
}

static void test_bad_types(void **state)
{
	msgpack_object two[2];
	struct mut m;

	mut_begin(&m, WEFT_REC_NODE_STATE, false);
	m.body[1] = o_str("1");
	expect_bad(&m, WEFT_EMALFORMED, "node_state.version: not an unsigned integer");

	mut_begin(&m, WEFT_REC_NODE_STATE, false);
	m.body[1] = o_neg(-1);
	expect_bad(&m, WEFT_EMALFORMED, "node_state.version: not an unsigned integer");

	mut_begin(&m, WEFT_REC_NODE_STATE, false);
	m.body[6] = o_bin("a", 1);
	expect_bad(&m, WEFT_EMALFORMED, "node_state.name: not a string");

	mut_begin(&m, WEFT_REC_NODE_STATE, false);
	m.body[0] = o_strn("0123456789abcdef0123456789abcdef", 32);
	expect_bad(&m, WEFT_EMALFORMED, "node_state.node_id: not a bin");

	mut_begin(&m, WEFT_REC_NODE_STATE, false);
	m.body[2] = o_bin(v6_net, 16);
	expect_bad(&m, WEFT_EMALFORMED, "node_state.wg_pub: wrong length");

	mut_begin(&m, WEFT_REC_NODE_STATE, false);
	m.body[7] = o_nil();
	expect_bad(&m, WEFT_EMALFORMED, "node_state.endpoints: wrong msgpack type");

	mut_begin(&m, WEFT_REC_INVITE, false);
	m.body[4] = o_uint(1);
	expect_bad(&m, WEFT_EMALFORMED, "invite.approval: not a boolean");

	mut_begin(&m, WEFT_REC_INVITE, false);
	m.body[6] = o_str("10.0.0.1");
	expect_bad(&m, WEFT_EMALFORMED, "invite.address4: wrong msgpack type");

	mut_begin(&m, WEFT_REC_NETWORK, false);
	m.body[2] = o_nil(); /* cidr4 is required */
	expect_bad(&m, WEFT_EMALFORMED, "network.cidr4: wrong msgpack type");

	mut_begin(&m, WEFT_REC_NETWORK, false);
	two[0] = o_bin(v4_net, 4);
	m.body[2] = o_arr(two, 1);
	expect_bad(&m, WEFT_EMALFORMED, "network.cidr4: wrong msgpack type");

	mut_begin(&m, WEFT_REC_NETWORK, false);
	m.body[2] = o_pair(two, o_bin(v4_net, 4), o_str("8"));
	expect_bad(&m, WEFT_EMALFORMED, "network.cidr4: wrong msgpack type");

	mut_begin(&m, WEFT_REC_POLICY, false);
	m.body[2] = o_str("");
	expect_bad(&m, WEFT_EMALFORMED, "policy.rules: wrong msgpack type");
}

static void test_bad_ranges(void **state)
{
	msgpack_object rule[3], rules[1];
	struct mut m;

	mut_begin(&m, WEFT_REC_NODE_STATE, false);
	m.body[4] = o_uint(65536);
	expect_bad(&m, WEFT_EMALFORMED, "node_state.wg_port: out of range");

	mut_begin(&m, WEFT_REC_NETWORK, false);
	m.body[9] = o_uint(0x2); /* an unknown option bit */
	expect_bad(&m, WEFT_EMALFORMED, "network.options: out of range");

	mut_begin(&m, WEFT_REC_NETWORK, false);
	m.body[7] = o_uint(575);
	expect_bad(&m, WEFT_EMALFORMED, "network.mtu: out of range");

	mut_begin(&m, WEFT_REC_NODE_STATE, false);
	m.body[9] = o_uint(0x4);
	expect_bad(&m, WEFT_EMALFORMED, "node_state.flags: out of range");

	mut_begin(&m, WEFT_REC_OVERRIDE, false);
	m.body[2] = o_uint(0x80);
	expect_bad(&m, WEFT_EMALFORMED, "override.set: out of range");

	mut_begin(&m, WEFT_REC_INVITE, false);
	m.body[3] = o_uint(0);
	expect_bad(&m, WEFT_EMALFORMED, "invite.max_uses: out of range");

	mut_begin(&m, WEFT_REC_POLICY, false);
	m.body[1] = o_uint(3);
	expect_bad(&m, WEFT_EMALFORMED, "policy.default_action: out of range");

	mut_begin(&m, WEFT_REC_POLICY, false);
	rule[0] = o_uint(256);
	rule[1] = o_str("*");
	rule[2] = o_str("*");
	rules[0] = o_arr(rule, 3);
	m.body[2] = o_arr(rules, 1);
	expect_bad(&m, WEFT_EMALFORMED, "policy.rules");

	mut_begin(&m, WEFT_REC_POLICY, false);
	rule[0] = o_uint(0);
	rules[0] = o_arr(rule, 3);
	m.body[2] = o_arr(rules, 1);
	expect_bad(&m, WEFT_EMALFORMED, "policy.rules: action");

	mut_begin(&m, WEFT_REC_DNS, false);
	m.body[3] = o_uint((uint64_t)INT32_MAX + 1);
	expect_bad(&m, WEFT_EMALFORMED, "dns.ttl: out of range");

	mut_begin(&m, WEFT_REC_DNS, false);
	m.body[2] = o_uint(99);
	expect_bad(&m, WEFT_EMALFORMED, "dns.rtype");
}

static void test_oversize(void **state)
{
	static char big[300];
	msgpack_object items[32], pairs[32][2];
	struct mut m;
	unsigned i;
	const char *why;
	uint8_t huge[WEFT_RECORD_MAX + 1];
	weft_record_t d;

	memset(big, 'a', sizeof(big));

	mut_begin(&m, WEFT_REC_NODE_STATE, false);
	m.body[6] = o_strn(big, WEFT_NAME_MAX + 1);
	expect_bad(&m, WEFT_EOVERSIZE, "node_state.name: too long");

	mut_begin(&m, WEFT_REC_NODE_STATE, false);
	m.body[6] = o_strn(big, WEFT_NAME_MAX); /* at the limit: fine */
	expect_good(&m);

	mut_begin(&m, WEFT_REC_DNS, false);
	m.body[5] = o_strn(big, WEFT_DNS_VALUE_MAX + 1);
	m.body[2] = o_uint(WEFT_DNS_TXT);
	expect_bad(&m, WEFT_EOVERSIZE, "dns.value: too long");

	mut_begin(&m, WEFT_REC_NODE_STATE, false);
	m.body[10] = o_strn(big, WEFT_VERSION_STR_MAX + 1);
	expect_bad(&m, WEFT_EOVERSIZE, "node_state.sw_version: too long");

	mut_begin(&m, WEFT_REC_INVITE, false);
	items[0] = o_strn(big, WEFT_TAG_MAX + 1);
	m.body[8] = o_arr(items, 1);
	expect_bad(&m, WEFT_EOVERSIZE, "invite.tags");

	mut_begin(&m, WEFT_REC_INVITE, false);
	for (i = 0; i <= WEFT_MAX_TAGS; i++)
		items[i] = o_strn(big + i, 2); /* "aa" each: also duplicates, but too many first */
	m.body[8] = o_arr(items, WEFT_MAX_TAGS + 1);
	expect_bad(&m, WEFT_EOVERSIZE, "invite.tags: too many");

	mut_begin(&m, WEFT_REC_NODE_STATE, false);
	for (i = 0; i <= WEFT_MAX_ENDPOINTS; i++)
		items[i] = o_pair(pairs[i], o_bin(v4_host, 4), o_uint(i + 1));
	m.body[7] = o_arr(items, WEFT_MAX_ENDPOINTS + 1);
	expect_bad(&m, WEFT_EOVERSIZE, "node_state.endpoints: too many");

	mut_begin(&m, WEFT_REC_OVERRIDE, false);
	for (i = 0; i <= WEFT_MAX_ROUTES; i++)
		items[i] = o_pair(pairs[i], o_bin(v4_net, 4), o_uint(8 + i));
	m.body[8] = o_arr(items, WEFT_MAX_ROUTES + 1);
	m.body[2] = o_uint(WEFT_OVR_ROUTES);
	expect_bad(&m, WEFT_EOVERSIZE, "override.routes: too many");

	mut_begin(&m, WEFT_REC_POLICY, false);
	for (i = 0; i <= WEFT_MAX_RULES; i++) {
		static msgpack_object rule[WEFT_MAX_RULES + 1][3];

		rule[i][0] = o_uint(1);
		rule[i][1] = o_str("*");
		rule[i][2] = o_str("*");
		items[i] = o_arr(rule[i], 3);
	}
	m.body[2] = o_arr(items, WEFT_MAX_RULES + 1);
	expect_bad(&m, WEFT_EOVERSIZE, "policy.rules: too many");

	/* The whole record over the limit, whatever it holds. */
	memset(huge, 0, sizeof(huge));
	assert_int_equal(weft_record_decode(&d, huge, sizeof(huge), &why), WEFT_EOVERSIZE);
	assert_non_null(strstr(why, "WEFT_RECORD_MAX"));
}

/* Names: DNS labels for nodes and networks, tags, DNS entry names. */
static void test_bad_names(void **state)
{
	static const char *const bad_labels[] = {
		"", "Bad", "-a", "a-", "a_b", "a.b", "a b", "caf\xc3\xa9",
	};
	static const char *const good_labels[] = { "a", "0", "a-b", "node-01", "9z" };
	static const char *const bad_tags[] = { "", "Web", "a.b", "a b", "*", "a*" };
	static const char *const good_tags[] = { "a", "web_1", "-x-", "_" };
	static const char *const bad_dns[] = {
		"", "A", "*", "*.", "a..b", ".a", "a.", "*.*.a", "a.-b", "a*", "x.*.y",
	};
	static const char *const good_dns[] = { "a", "*.a", "_sip._tcp.a", "a.b-c.d", "*.a_b.c" };
	msgpack_object items[1];
	struct mut m;
	size_t i;

	for (i = 0; i < sizeof(bad_labels) / sizeof(bad_labels[0]); i++) {
		mut_begin(&m, WEFT_REC_NODE_STATE, false);
		m.body[6] = o_str(bad_labels[i]);
		expect_bad(&m, WEFT_EMALFORMED, "node_state.name: not a name");
		mut_begin(&m, WEFT_REC_NETWORK, false);
		m.body[1] = o_str(bad_labels[i]);
		expect_bad(&m, WEFT_EMALFORMED, "network.name: not a name");
		mut_begin(&m, WEFT_REC_EXT_CLIENT, false);
		m.body[1] = o_str(bad_labels[i]);
		expect_bad(&m, WEFT_EMALFORMED, "ext_client.name: not a name");
	}
	for (i = 0; i < sizeof(good_labels) / sizeof(good_labels[0]); i++) {
		mut_begin(&m, WEFT_REC_NODE_STATE, false);
		m.body[6] = o_str(good_labels[i]);
		expect_good(&m);
	}
	/* An invite's pinned name may be empty, but not invalid. */
	mut_begin(&m, WEFT_REC_INVITE, false);
	m.body[5] = o_str("Bad");
	expect_bad(&m, WEFT_EMALFORMED, "invite.name: not a name");

	for (i = 0; i < sizeof(bad_tags) / sizeof(bad_tags[0]); i++) {
		mut_begin(&m, WEFT_REC_INVITE, false);
		items[0] = o_str(bad_tags[i]);
		m.body[8] = o_arr(items, 1);
		expect_bad(&m, WEFT_EMALFORMED, "invite.tags: not a tag");
	}
	for (i = 0; i < sizeof(good_tags) / sizeof(good_tags[0]); i++) {
		mut_begin(&m, WEFT_REC_INVITE, false);
		items[0] = o_str(good_tags[i]);
		m.body[8] = o_arr(items, 1);
		expect_good(&m);
	}
	for (i = 0; i < sizeof(bad_dns) / sizeof(bad_dns[0]); i++) {
		mut_begin(&m, WEFT_REC_DNS, false);
		m.body[1] = o_str(bad_dns[i]);
		expect_bad(&m, WEFT_EMALFORMED, "dns.name: not a lower-case DNS name");
	}
	for (i = 0; i < sizeof(good_dns) / sizeof(good_dns[0]); i++) {
		mut_begin(&m, WEFT_REC_DNS, false);
		m.body[1] = o_str(good_dns[i]);
		expect_good(&m);
	}
	mut_begin(&m, WEFT_REC_NETWORK, false);
	m.body[4] = o_str("corp.example");
	expect_good(&m);
	mut_begin(&m, WEFT_REC_NETWORK, false);
	m.body[4] = o_str("corp..example");
	expect_bad(&m, WEFT_EMALFORMED, "network.domain: not a domain");
	mut_begin(&m, WEFT_REC_NETWORK, false);
	m.body[4] = o_str("Corp.example");
	expect_bad(&m, WEFT_EMALFORMED, "network.domain: not a domain");
}

static void test_bad_text(void **state)
{
	static const char *const bad[] = {
		"a\nb",         "\x1b[31m",         "a\x7f",    "\xc3", "\xc0\xaf",
		"\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc2\x9b", "\xff",
	};
	struct mut m;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		mut_begin(&m, WEFT_REC_REVOCATION, false);
		m.body[2] = o_str(bad[i]);
		expect_bad(&m, WEFT_EMALFORMED, "revocation.reason: not UTF-8 text");
	}
	/* An embedded NUL would vanish in the C string: refused as text. */
	mut_begin(&m, WEFT_REC_NODE_STATE, false);
	m.body[6] = o_strn("ab\0c", 4);
	expect_bad(&m, WEFT_EMALFORMED, "node_state.name: not a name");
	mut_begin(&m, WEFT_REC_REVOCATION, false);
	m.body[2] = o_strn("ab\0c", 4);
	expect_bad(&m, WEFT_EMALFORMED, "revocation.reason");

	mut_begin(&m, WEFT_REC_REVOCATION, false);
	m.body[2] = o_str("left the company \xe2\x80\x94 caf\xc3\xa9 \xf0\x9f\x98\x80");
	expect_good(&m);
}

static void test_bad_addresses(void **state)
{
	msgpack_object two[2], items[2], pairs[2][2];
	static const uint8_t five[5] = { 10, 0, 0, 1, 0 };
	uint8_t v6_host[16] = { 0xfd, [15] = 1 };
	struct mut m;

	/* Wrong family for the field. */
	mut_begin(&m, WEFT_REC_INVITE, false);
	m.body[6] = o_bin(v6_net, 16);
	expect_bad(&m, WEFT_EMALFORMED, "invite.address4: wrong address family");
	mut_begin(&m, WEFT_REC_INVITE, false);
	m.body[7] = o_bin(v4_host, 4);
	expect_bad(&m, WEFT_EMALFORMED, "invite.address6: wrong address family");
	mut_begin(&m, WEFT_REC_INVITE, false);
	m.body[6] = o_bin(five, 5);
	expect_bad(&m, WEFT_EMALFORMED, "invite.address4: wrong address family");
	mut_begin(&m, WEFT_REC_NETWORK, false);
	m.body[2] = o_pair(two, o_bin(v6_net, 16), o_uint(8));
	expect_bad(&m, WEFT_EMALFORMED, "network.cidr4: wrong address family");
	mut_begin(&m, WEFT_REC_NETWORK, false);
	m.body[3] = o_pair(two, o_bin(v4_net, 4), o_uint(8));
	expect_bad(&m, WEFT_EMALFORMED, "network.cidr6: wrong address family");
	mut_begin(&m, WEFT_REC_NETWORK, false);
	m.body[3] = o_pair(two, o_bin(v6_net, 16), o_uint(8));
	expect_good(&m);
	mut_begin(&m, WEFT_REC_NODE_STATE, false);
	items[0] = o_pair(pairs[0], o_nil(), o_uint(1));
	m.body[7] = o_arr(items, 1);
	expect_bad(&m, WEFT_EMALFORMED, "node_state.endpoints: wrong address family");

	/* Host bits and prefixes. */
	mut_begin(&m, WEFT_REC_NETWORK, false);
	m.body[2] = o_pair(two, o_bin(v4_host, 4), o_uint(24));
	expect_bad(&m, WEFT_EMALFORMED, "network.cidr4: host bits set");
	mut_begin(&m, WEFT_REC_NETWORK, false);
	m.body[2] = o_pair(two, o_bin(v4_host, 4), o_uint(32));
	expect_good(&m);
	mut_begin(&m, WEFT_REC_NETWORK, false);
	m.body[2] = o_pair(two, o_bin(v4_net, 4), o_uint(33));
	expect_bad(&m, WEFT_EMALFORMED, "network.cidr4: prefix or port out of range");
	mut_begin(&m, WEFT_REC_NODE_STATE, false);
	items[0] = o_pair(pairs[0], o_bin(v6_host, 16), o_uint(64));
	m.body[8] = o_arr(items, 1);
	expect_bad(&m, WEFT_EMALFORMED, "node_state.routes: host bits set");
	mut_begin(&m, WEFT_REC_NODE_STATE, false);
	items[0] = o_pair(pairs[0], o_bin(v6_net, 16), o_uint(129));
	m.body[8] = o_arr(items, 1);
	expect_bad(&m, WEFT_EMALFORMED, "node_state.routes: prefix or port out of range");
	mut_begin(&m, WEFT_REC_NODE_STATE, false);
	items[0] = o_pair(pairs[0], o_bin(v6_net, 16), o_uint(256));
	m.body[8] = o_arr(items, 1);
	expect_bad(&m, WEFT_EMALFORMED, "node_state.routes");

	/* Duplicates. */
	mut_begin(&m, WEFT_REC_NODE_STATE, false);
	items[0] = o_pair(pairs[0], o_bin(v4_net, 4), o_uint(8));
	items[1] = o_pair(pairs[1], o_bin(v4_net, 4), o_uint(8));
	m.body[8] = o_arr(items, 2);
	expect_bad(&m, WEFT_EMALFORMED, "node_state.routes: duplicate");
	mut_begin(&m, WEFT_REC_NODE_STATE, false);
	items[0] = o_pair(pairs[0], o_bin(v4_host, 4), o_uint(51820));
	items[1] = o_pair(pairs[1], o_bin(v4_host, 4), o_uint(51820));
	m.body[7] = o_arr(items, 2);
	expect_bad(&m, WEFT_EMALFORMED, "node_state.endpoints: duplicate");
	mut_begin(&m, WEFT_REC_INVITE, false);
	items[0] = o_str("web");
	items[1] = o_str("web");
	m.body[8] = o_arr(items, 2);
	expect_bad(&m, WEFT_EMALFORMED, "invite.tags: duplicate");
}

static void test_bad_ports(void **state)
{
	msgpack_object items[1], pair[2];
	struct mut m;

	mut_begin(&m, WEFT_REC_NODE_STATE, false);
	m.body[4] = o_uint(0);
	expect_bad(&m, WEFT_EMALFORMED, "node_state.wg_port: port 0");
	mut_begin(&m, WEFT_REC_NETWORK, false);
	m.body[6] = o_uint(0);
	expect_bad(&m, WEFT_EMALFORMED, "network.gossip_port: port 0");
	mut_begin(&m, WEFT_REC_NODE_STATE, false);
	items[0] = o_pair(pair, o_bin(v4_host, 4), o_uint(0));
	m.body[7] = o_arr(items, 1);
	expect_bad(&m, WEFT_EMALFORMED, "node_state.endpoints: port 0");
	mut_begin(&m, WEFT_REC_NODE_STATE, false);
	items[0] = o_pair(pair, o_bin(v4_host, 4), o_uint(65536));
	m.body[7] = o_arr(items, 1);
	expect_bad(&m, WEFT_EMALFORMED, "node_state.endpoints");
	/* WireGuard and the bootstrap socket on one port. */
	mut_begin(&m, WEFT_REC_NETWORK, false);
	m.body[6] = m.body[5];
	expect_bad(&m, WEFT_EMALFORMED, "network.gossip_port: same as wg_port");
	mut_begin(&m, WEFT_REC_NODE_STATE, false);
	m.body[5] = m.body[4];
	expect_bad(&m, WEFT_EMALFORMED, "node_state.gossip_port: same as wg_port");
}

static void test_bad_cross_field(void **state)
{
	weft_keypair_t other;
	msgpack_object items[1];
	struct mut m;

	sample_keypair(&other, SAMPLE_INVITE);
	mut_begin(&m, WEFT_REC_NODE_STATE, false);
	m.body[0] = o_bin(other.pk.b, 32);
	expect_bad(&m, WEFT_EMALFORMED, "node_state.node_id: differs from the signer");
	mut_begin(&m, WEFT_REC_ADMIN_ROLL, false);
	m.body[0] = o_bin(other.pk.b, 32);
	expect_bad(&m, WEFT_EMALFORMED, "admin_roll.old_pk: differs from the signer");
	mut_begin(&m, WEFT_REC_ADMIN_ROLL, false);
	m.body[1] = m.body[0];
	expect_bad(&m, WEFT_EMALFORMED, "admin_roll.new_pk: same as old_pk");
	/* A member signed by a key other than its invite's is structurally
	 * fine: whether that signer is an admin is the store's call. */
	mut_begin(&m, WEFT_REC_MEMBER, false);
	m.env[2] = m.body[0];
	expect_good(&m);

	mut_begin(&m, WEFT_REC_INVITE, false);
	m.body[1] = o_uint(100);
	m.body[2] = o_uint(100);
	expect_bad(&m, WEFT_EMALFORMED, "invite.expires: not after created");

	/* Override: a field is given exactly when its flag is set. */
	mut_begin(&m, WEFT_REC_OVERRIDE, false);
	m.body[2] = o_uint(WEFT_OVR_ADDRESS4);
	expect_bad(&m, WEFT_EMALFORMED, "override.address4");
	mut_begin(&m, WEFT_REC_OVERRIDE, false);
	m.body[3] = o_bin(v4_host, 4);
	expect_bad(&m, WEFT_EMALFORMED, "override.address4");
	mut_begin(&m, WEFT_REC_OVERRIDE, false);
	m.body[2] = o_uint(WEFT_OVR_ADDRESS4);
	m.body[3] = o_bin(v4_host, 4);
	expect_good(&m);
	mut_begin(&m, WEFT_REC_OVERRIDE, false);
	m.body[5] = o_uint(1);
	expect_bad(&m, WEFT_EMALFORMED, "override.expires");
	mut_begin(&m, WEFT_REC_OVERRIDE, false);
	m.body[6] = o_str("n");
	expect_bad(&m, WEFT_EMALFORMED, "override.name");
	mut_begin(&m, WEFT_REC_OVERRIDE, false);
	m.body[2] = o_uint(WEFT_OVR_NAME);
	expect_bad(&m, WEFT_EMALFORMED, "override.name");
	mut_begin(&m, WEFT_REC_OVERRIDE, false);
	items[0] = o_str("t");
	m.body[7] = o_arr(items, 1);
	expect_bad(&m, WEFT_EMALFORMED, "override.tags");
	mut_begin(&m, WEFT_REC_OVERRIDE, false);
	m.body[2] = o_uint(WEFT_OVR_TAGS); /* set with no tags: clears them */
	expect_good(&m);
	mut_begin(&m, WEFT_REC_OVERRIDE, false);
	m.body[9] = o_bool(true);
	expect_bad(&m, WEFT_EMALFORMED, "override.approved");

	mut_begin(&m, WEFT_REC_EXT_CLIENT, false);
	m.body[4] = o_nil();
	expect_bad(&m, WEFT_EMALFORMED, "ext_client: no address");
	mut_begin(&m, WEFT_REC_EXT_CLIENT, false);
	m.body[4] = o_nil();
	m.body[2] = o_bool(true); /* a tombstone needs none */
	expect_good(&m);
}

static void test_dns_values(void **state)
{
	static const struct {
		uint16_t rtype;
		const char *value;
		bool ok;
	} cases[] = {
		{ WEFT_DNS_A, "10.0.0.1", true },
		{ WEFT_DNS_A, "10.0.0.01", false },
		{ WEFT_DNS_A, "10.0.0", false },
		{ WEFT_DNS_A, "fd00::1", false },
		{ WEFT_DNS_A, "", false },
		{ WEFT_DNS_AAAA, "fd00::1", true },
		{ WEFT_DNS_AAAA, "FD00::1", false },
		{ WEFT_DNS_AAAA, "fd00:0::1", false },
		{ WEFT_DNS_AAAA, "10.0.0.1", false },
		{ WEFT_DNS_CNAME, "host.example", true },
		{ WEFT_DNS_CNAME, "host.example.", true },
		{ WEFT_DNS_CNAME, "host..example", false },
		{ WEFT_DNS_CNAME, "Host", false },
		{ WEFT_DNS_CNAME, ".", false },
		{ WEFT_DNS_TXT, "v=spf1 -all", true },
		{ WEFT_DNS_TXT, "", true },
		{ WEFT_DNS_SRV, "10 5 5060 sip.example", true },
		{ WEFT_DNS_SRV, "0 0 65535 a", true },
		{ WEFT_DNS_SRV, "10 5 05060 sip", false },
		{ WEFT_DNS_SRV, "10 5 65536 sip", false },
		{ WEFT_DNS_SRV, "10 5 sip", false },
		{ WEFT_DNS_SRV, "10 5 5060 ", false },
		{ WEFT_DNS_SRV, "10  5 5060 sip", false },
	};
	struct mut m;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		mut_begin(&m, WEFT_REC_DNS, false);
		m.body[2] = o_uint(cases[i].rtype);
		m.body[5] = o_str(cases[i].value);
		if (cases[i].ok)
			expect_good(&m);
		else
			expect_bad(&m, WEFT_EMALFORMED, "dns.value: not valid for its rtype");
	}
	/* A tombstone may drop its value but not carry a wrong one. */
	mut_begin(&m, WEFT_REC_DNS, false);
	m.body[4] = o_bool(true);
	m.body[5] = o_str("");
	expect_good(&m);
	mut_begin(&m, WEFT_REC_DNS, false);
	m.body[4] = o_bool(true);
	m.body[5] = o_str("nonsense");
	expect_bad(&m, WEFT_EMALFORMED, "dns.value");
}

/* Every non-minimal msgpack form decodes to the same values and must still
 * be refused. */
static void test_non_canonical(void **state)
{
	struct mut m;

	mut_begin(&m, WEFT_REC_ROTATE, false);
	m.wide = &m.body[0]; /* 0 as uint16 */
	expect_bad(&m, WEFT_EMALFORMED, "canonical");

	mut_begin(&m, WEFT_REC_ROTATE, false);
	m.wide = &m.env[0]; /* the format version as uint16 */
	expect_bad(&m, WEFT_EMALFORMED, "canonical");

	mut_begin(&m, WEFT_REC_NODE_STATE, false);
	m.wide = &m.body[6]; /* a 1-byte name as str16 */
	expect_bad(&m, WEFT_EMALFORMED, "canonical");

	mut_begin(&m, WEFT_REC_NODE_STATE, false);
	m.wide = &m.body[0]; /* a key as bin16 */
	expect_bad(&m, WEFT_EMALFORMED, "canonical");

	mut_begin(&m, WEFT_REC_NODE_STATE, false);
	m.wide = &m.env[3]; /* the body as array16 */
	expect_bad(&m, WEFT_EMALFORMED, "canonical");

	mut_begin(&m, WEFT_REC_NODE_STATE, true);
	m.wide = &m.body[8].via.array.ptr[0]; /* a route pair as array16 */
	expect_bad(&m, WEFT_EMALFORMED, "canonical");

	mut_begin(&m, WEFT_REC_ROTATE, false);
	m.wide = &m.u.data; /* the envelope as array16 */
	expect_bad(&m, WEFT_EMALFORMED, "canonical");

	/* The same value, minimal again: accepted (the test packer is sound). */
	mut_begin(&m, WEFT_REC_NODE_STATE, true);
	expect_good(&m);
}

/* Byte-level inputs no tree can express. */
static void test_bad_bytes(void **state)
{
	weft_record_t r, d;
	uint8_t buf[WEFT_RECORD_MAX + 8];
	const char *why;
	size_t len;

	assert_int_equal(sample_signed(&r, WEFT_REC_NODE_STATE, true), 0);

	assert_int_equal(weft_record_decode(&d, r.raw, 0, &why), WEFT_EMALFORMED);
	assert_string_equal(why, "record: truncated");
	/* Every truncation. */
	for (len = 0; len < r.raw_len; len++)
		assert_int_equal(weft_record_decode(&d, r.raw, len, &why), WEFT_EMALFORMED);

	/* Trailing bytes: one, and a whole second record. */
	assert_int_equal(sample_signed(&r, WEFT_REC_ROTATE, false), 0);
	memcpy(buf, r.raw, r.raw_len);
	buf[r.raw_len] = 0xc0;
	assert_int_equal(weft_record_decode(&d, buf, r.raw_len + 1, &why), WEFT_ETRAILING);
	assert_string_equal(why, "record: trailing bytes");
	memcpy(buf + r.raw_len, r.raw, r.raw_len);
	assert_int_equal(weft_record_decode(&d, buf, 2u * r.raw_len, &why), WEFT_ETRAILING);

	/* A 2^32-entry array header must not reach msgpack's allocator. */
	memcpy(buf, "\x95\x01\x0a\xdd\xff\xff\xff\xff", 8);
	assert_int_equal(weft_record_decode(&d, buf, 8, &why), WEFT_EMALFORMED);
	assert_string_equal(why, "record: truncated");
	memcpy(buf, "\xdd\xff\xff\xff\xff", 5);
	assert_int_equal(weft_record_decode(&d, buf, 5, &why), WEFT_EMALFORMED);
	/* Nor a 4 GB string. */
	memcpy(buf, "\x95\x01\x0a\xdb\xff\xff\xff\xff", 8);
	assert_int_equal(weft_record_decode(&d, buf, 8, &why), WEFT_EMALFORMED);

	/* Maps, floats, ext, the reserved byte, deep nesting. */
	memcpy(buf, "\x95\x01\x0a\x80\x00\x00", 6);
	assert_int_equal(weft_record_decode(&d, buf, 6, &why), WEFT_EMALFORMED);
	assert_string_equal(why, "record: contains a map");
	memcpy(buf, "\x95\x01\x0a\xca\x00\x00\x00\x00\x00", 9);
	assert_int_equal(weft_record_decode(&d, buf, 9, &why), WEFT_EMALFORMED);
	assert_non_null(strstr(why, "float"));
	memcpy(buf, "\x95\x01\x0a\xd4\x01\x00\x00", 7);
	assert_int_equal(weft_record_decode(&d, buf, 7, &why), WEFT_EMALFORMED);
	assert_non_null(strstr(why, "ext"));
	memcpy(buf, "\x95\x01\x0a\xc1\x00\x00", 6);
	assert_int_equal(weft_record_decode(&d, buf, 6, &why), WEFT_EMALFORMED);
	assert_non_null(strstr(why, "reserved"));
	memcpy(buf, "\x95\x01\x0a\x91\x91\x91\x91\x00", 8);
	assert_int_equal(weft_record_decode(&d, buf, 8, &why), WEFT_EMALFORMED);
	assert_string_equal(why, "record: arrays nested too deep");
	/* Four levels is a record's depth: it gets past the scan. */
	memcpy(buf, "\x95\x01\x0a\x91\x91\x91\x00\x00\x00", 9);
	assert_int_equal(weft_record_decode(&d, buf, 9, &why), WEFT_EMALFORMED);
	assert_string_equal(why, "record: signer is not a 32-byte bin");

	/* A NULL why is allowed. */
	assert_int_equal(weft_record_decode(&d, buf, 0, NULL), WEFT_EMALFORMED);
	/* A failed decode leaves nothing behind. */
	assert_int_equal(d.raw_len, 0);
	assert_int_equal(d.type, 0);
}

/* ---- tampering ---- */

static void tamper_all(unsigned type, bool max)
{
	static const uint8_t flips[] = { 0x01, 0x02, 0x10, 0x80, 0xff };
	weft_record_t r, d;
	uint8_t buf[WEFT_RECORD_MAX];
	const char *why;
	size_t i, f;
	unsigned decoded = 0;

	assert_int_equal(sample_signed(&r, type, max), 0);
	for (i = 0; i < r.raw_len; i++) {
		for (f = 0; f < sizeof(flips); f++) {
			memcpy(buf, r.raw, r.raw_len);
			buf[i] ^= flips[f];
			if (weft_record_decode(&d, buf, r.raw_len, &why) != 0)
				continue;
			decoded++;
			/* It decoded: then it must be a different record whose
			 * signature fails. */
			assert_memory_not_equal(d.raw, r.raw, r.raw_len);
			if (weft_record_verify(&d) == 0)
				fail_msg("%s: flipping 0x%02x at byte %zu gives an accepted record",
					 weft_rec_type_name(type), flips[f], i);
		}
	}
	/* Keys and signatures are opaque bytes: many flips decode. */
	assert_true(decoded > 0);
}

static void test_tamper_every_byte(void **state)
{
	unsigned t;

	for (t = 1; t <= WEFT_REC_TYPE_MAX; t++) {
		tamper_all(t, false);
		tamper_all(t, true);
	}
}

/* ---- signing ---- */

static void expect_sign_refused(weft_record_t *r, int code, const char *reason)
{
	weft_keypair_t kp;
	const char *why = NULL;

	sample_keypair(&kp, sample_signer(r->type));
	assert_int_equal(weft_record_sign(r, &kp), code);
	assert_int_equal(weft_record_check(r, &why), code);
	if (!why || !strstr(why, reason))
		fail_msg("check said \"%s\", want \"%s\"", why ? why : "nothing", reason);
}

static void test_sign_refuses(void **state)
{
	weft_keypair_t admin;
	weft_record_t r;
	unsigned i;

	sample_record(&r, WEFT_REC_NODE_STATE, false);
	strcpy(r.u.node_state.name, "Bad");
	expect_sign_refused(&r, WEFT_EMALFORMED, "node_state.name");

	sample_record(&r, WEFT_REC_NODE_STATE, false);
	memset(r.u.node_state.name, 'a', sizeof(r.u.node_state.name)); /* no NUL */
	expect_sign_refused(&r, WEFT_EOVERSIZE, "node_state.name: too long");

	sample_record(&r, WEFT_REC_NODE_STATE, false);
	r.u.node_state.nendpoints = WEFT_MAX_ENDPOINTS + 1;
	expect_sign_refused(&r, WEFT_EOVERSIZE, "node_state.endpoints");

	sample_record(&r, WEFT_REC_NODE_STATE, false);
	r.u.node_state.nroutes = 1;
	sample_ip(&r.u.node_state.routes[0].ip, 4, 1);
	r.u.node_state.routes[0].prefix = 24;
	expect_sign_refused(&r, WEFT_EMALFORMED, "node_state.routes: host bits set");

	sample_record(&r, WEFT_REC_NODE_STATE, false);
	r.u.node_state.nendpoints = 1;
	sample_ip(&r.u.node_state.endpoints[0].ip, 4, 1);
	expect_sign_refused(&r, WEFT_EMALFORMED, "node_state.endpoints: port 0");

	/* Signed by the admin: the node id is not the signer. */
	sample_record(&r, WEFT_REC_NODE_STATE, false);
	sample_keypair(&admin, SAMPLE_ADMIN);
	assert_int_equal(weft_record_sign(&r, &admin), WEFT_EMALFORMED);

	sample_record(&r, WEFT_REC_INVITE, true);
	strcpy(r.u.invite.tags[3], "Upper");
	expect_sign_refused(&r, WEFT_EMALFORMED, "invite.tags");

	sample_record(&r, WEFT_REC_INVITE, false);
	sample_ip(&r.u.invite.address4, 4, 1);
	r.u.invite.address4.b[7] = 1; /* would be lost on the wire */
	expect_sign_refused(&r, WEFT_EMALFORMED, "invite.address4: bytes beyond");

	sample_record(&r, WEFT_REC_INVITE, false);
	r.u.invite.address4.family = 5;
	expect_sign_refused(&r, WEFT_EMALFORMED, "invite.address4: wrong address family");

	sample_record(&r, WEFT_REC_NETWORK, false);
	r.u.network.cidr6.prefix = 64; /* with family 0 */
	expect_sign_refused(&r, WEFT_EMALFORMED, "network.cidr6");

	sample_record(&r, WEFT_REC_OVERRIDE, false);
	r.u.override.approved = true;
	expect_sign_refused(&r, WEFT_EMALFORMED, "override.approved");

	sample_record(&r, WEFT_REC_POLICY, false);
	r.u.policy.nrules = 1;
	r.u.policy.rules[0].action = WEFT_POLICY_ALLOW;
	strcpy(r.u.policy.rules[0].from, "web");
	strcpy(r.u.policy.rules[0].to, "**");
	expect_sign_refused(&r, WEFT_EMALFORMED, "policy.rules");

	/* Every field valid, the whole too big: 24 rules of two 31-byte tags. */
	sample_record(&r, WEFT_REC_POLICY, true);
	for (i = 0; i < WEFT_MAX_RULES; i++)
		sample_fill(r.u.policy.rules[i].to, WEFT_TAG_MAX, 'z');
	assert_int_equal(weft_record_check(&r, NULL), 0);
	sample_keypair(&admin, SAMPLE_ADMIN);
	assert_int_equal(weft_record_sign(&r, &admin), WEFT_EOVERSIZE);

	sample_record(&r, WEFT_REC_DNS, false);
	strcpy(r.u.dns.value, "not-an-address");
	expect_sign_refused(&r, WEFT_EMALFORMED, "dns.value");

	/* A record signed once, changed and refused keeps no stale raw. */
	assert_int_equal(sample_signed(&r, WEFT_REC_DNS, false), 0);
	assert_true(r.raw_len > 0);
	strcpy(r.u.dns.name, "Bad");
	expect_sign_refused(&r, WEFT_EMALFORMED, "dns.name");
	assert_int_equal(r.raw_len, 0);
	assert_int_equal(weft_record_verify(&r), WEFT_EBADSIG);

	sample_record(&r, WEFT_REC_ROTATE, false);
	r.type = 0;
	expect_sign_refused(&r, WEFT_EMALFORMED, "unknown type");
	r.type = WEFT_REC_TYPE_MAX + 1;
	expect_sign_refused(&r, WEFT_EMALFORMED, "unknown type");
}

/* ---- verification ---- */

static void test_verify(void **state)
{
	weft_keypair_t admin, other;
	weft_record_t r, d;

	assert_int_equal(sample_signed(&r, WEFT_REC_NETWORK, true), 0);
	assert_int_equal(weft_record_verify(&r), 0);

	/* The struct must agree with raw's envelope. */
	d = r;
	d.signer.b[0] ^= 1;
	assert_false(weft_record_raw_matches(&d));
	assert_int_equal(weft_record_verify(&d), WEFT_EBADSIG);
	d = r;
	d.sig[10] ^= 1;
	assert_int_equal(weft_record_verify(&d), WEFT_EBADSIG);
	d = r;
	d.type = WEFT_REC_ROTATE;
	assert_int_equal(weft_record_verify(&d), WEFT_EBADSIG);
	d = r;
	d.raw_len = 0;
	assert_int_equal(weft_record_verify(&d), WEFT_EBADSIG);
	d = r;
	d.raw_len = WEFT_RECORD_MAX + 1;
	assert_int_equal(weft_record_verify(&d), WEFT_EBADSIG);

	/* The same body signed by another key verifies under that key only:
	 * swapping the signer in raw and struct gives a bad signature. */
	sample_keypair(&admin, SAMPLE_ADMIN);
	sample_keypair(&other, SAMPLE_INVITE);
	d = r;
	assert_int_equal(weft_record_sign(&d, &other), 0);
	assert_int_equal(weft_record_verify(&d), 0);
	memcpy(d.raw + 5, admin.pk.b, 32);
	d.signer = admin.pk;
	assert_int_equal(weft_record_verify(&d), WEFT_EBADSIG);

	/* A signature over a different domain (the bare encoding) fails. */
	d = r;
	{
		uint8_t msg[WEFT_RECORD_MAX];
		size_t n = r.raw_len - 66;

		memcpy(msg, r.raw, n);
		msg[0] = 0x94;
		assert_int_equal(weft_sign(d.sig, msg, n, &admin), 0);
		memcpy(d.raw + d.raw_len - 64, d.sig, 64);
		assert_int_equal(weft_record_verify(&d), WEFT_EBADSIG);
	}
}

static void test_pk_to_x25519(void **state)
{
	weft_keypair_t node;
	uint8_t xpk[32], xsk[32], want_xpk[32];
	uint8_t secret[32], sealed[32 + crypto_box_SEALBYTES], opened[32];
	weft_pk_t bad;

	sample_keypair(&node, SAMPLE_NODE);
	assert_int_equal(weft_pk_to_x25519(xpk, &node.pk), 0);
	/* Sealed to the converted public key, opened with the converted
	 * secret key: what keyshare records rely on. */
	assert_int_equal(crypto_sign_ed25519_sk_to_curve25519(xsk, node.sk), 0);
	crypto_scalarmult_base(want_xpk, xsk);
	assert_memory_equal(xpk, want_xpk, 32);
	memset(secret, 0x5a, sizeof(secret));
	assert_int_equal(crypto_box_seal(sealed, secret, sizeof(secret), xpk), 0);
	assert_int_equal(crypto_box_seal_open(opened, sealed, sizeof(sealed), xpk, xsk), 0);
	assert_memory_equal(opened, secret, 32);
	assert_int_equal(sizeof(sealed), WEFT_SEALED_KEY_LEN);

	/* A small-order point is no one's key. */
	memset(&bad, 0, sizeof(bad));
	bad.b[0] = 1; /* the identity */
	assert_int_equal(weft_pk_to_x25519(xpk, &bad), WEFT_EMALFORMED);
	sodium_memzero(xsk, sizeof(xsk));
	weft_keys_wipe(&node, sizeof(node));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_min),  cmocka_unit_test(test_roundtrip_max),
		cmocka_unit_test(test_version_values), cmocka_unit_test(test_type_names),
		cmocka_unit_test(test_wire_rotate),    cmocka_unit_test(test_wire_node_state),
		cmocka_unit_test(test_bad_envelope),   cmocka_unit_test(test_bad_body_length),
		cmocka_unit_test(test_bad_types),      cmocka_unit_test(test_bad_ranges),
		cmocka_unit_test(test_oversize),       cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_bad_text),       cmocka_unit_test(test_bad_addresses),
		cmocka_unit_test(test_bad_ports),      cmocka_unit_test(test_bad_cross_field),
		cmocka_unit_test(test_dns_values),     cmocka_unit_test(test_non_canonical),
		cmocka_unit_test(test_bad_bytes),      cmocka_unit_test(test_tamper_every_byte),
		cmocka_unit_test(test_sign_refuses),   cmocka_unit_test(test_verify),
		cmocka_unit_test(test_pk_to_x25519),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
