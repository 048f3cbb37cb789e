/* core/mpack: every encoding boundary written as msgpack-c writes it (an
 * independent encoder) and as the spec's bytes say, read back strictly;
 * non-minimal forms, wrong types, truncation at every byte, trailing bytes
 * and writer overflow refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <msgpack.h>

#include "core/error.h"
#include "core/mpack.h"

enum kind { K_UINT, K_ARRAY, K_BIN, K_STR, K_NIL, K_BOOL };

struct boundary {
	enum kind kind;
	uint64_t v;      /* the value, the count or the length */
	uint8_t head[9]; /* the tag and length bytes the spec gives */
	size_t head_len;
};

static const struct boundary cases[] = {
	{ K_UINT, 0, { 0x00 }, 1 },
	{ K_UINT, 0x7f, { 0x7f }, 1 },
	{ K_UINT, 0x80, { 0xcc, 0x80 }, 2 },
	{ K_UINT, 0xff, { 0xcc, 0xff }, 2 },
	{ K_UINT, 0x100, { 0xcd, 0x01, 0x00 }, 3 },
	{ K_UINT, 0xffff, { 0xcd, 0xff, 0xff }, 3 },
	{ K_UINT, 0x10000, { 0xce, 0x00, 0x01, 0x00, 0x00 }, 5 },
	{ K_UINT, 0xffffffffu, { 0xce, 0xff, 0xff, 0xff, 0xff }, 5 },
	{ K_UINT, 0x100000000ull, { 0xcf, 0, 0, 0, 0x01, 0, 0, 0, 0 }, 9 },
	{ K_UINT, UINT64_MAX, { 0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, 9 },
	{ K_ARRAY, 0, { 0x90 }, 1 },
	{ K_ARRAY, 15, { 0x9f }, 1 },
	{ K_ARRAY, 16, { 0xdc, 0x00, 0x10 }, 3 },
	{ K_ARRAY, 0xffff, { 0xdc, 0xff, 0xff }, 3 },
	{ K_ARRAY, 0x10000, { 0xdd, 0x00, 0x01, 0x00, 0x00 }, 5 },
	{ K_BIN, 0, { 0xc4, 0x00 }, 2 },
	{ K_BIN, 0xff, { 0xc4, 0xff }, 2 },
	{ K_BIN, 0x100, { 0xc5, 0x01, 0x00 }, 3 },
	{ K_BIN, 0xffff, { 0xc5, 0xff, 0xff }, 3 },
	{ K_BIN, 0x10000, { 0xc6, 0x00, 0x01, 0x00, 0x00 }, 5 },
	{ K_STR, 0, { 0xa0 }, 1 },
	{ K_STR, 31, { 0xbf }, 1 },
	{ K_STR, 32, { 0xd9, 0x20 }, 2 },
	{ K_STR, 0xff, { 0xd9, 0xff }, 2 },
	{ K_STR, 0x100, { 0xda, 0x01, 0x00 }, 3 },
	{ K_STR, 0xffff, { 0xda, 0xff, 0xff }, 3 },
	{ K_STR, 0x10000, { 0xdb, 0x00, 0x01, 0x00, 0x00 }, 5 },
	{ K_NIL, 0, { 0xc0 }, 1 },
	{ K_BOOL, 0, { 0xc2 }, 1 },
	{ K_BOOL, 1, { 0xc3 }, 1 },
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))

/* Bodies and array elements: the largest case is 0x10000 elements or bytes
 * after a 5-byte head. */
#define BIG (0x10000 + 16)
static uint8_t payload[BIG];
static uint8_t enc[BIG];
static uint8_t other[BIG];

/* Writes one case with mpack: the head, then for bin and str the body, and
 * for an array v elements (fixint 1) so that the bounded reader accepts it. */
static void write_case(struct weft_wbuf *w, const struct boundary *c)
{
	uint64_t i;

	switch (c->kind) {
	case K_UINT:
		weft_mp_uint(w, c->v);
		break;
	case K_ARRAY:
		weft_mp_array(w, (uint32_t)c->v);
		for (i = 0; i < c->v; i++)
			weft_mp_uint(w, 1);
		break;
	case K_BIN:
		weft_mp_bin(w, payload, (size_t)c->v);
		break;
	case K_STR:
		weft_mp_str(w, (const char *)payload, (size_t)c->v);
		break;
	case K_NIL:
		weft_mp_nil(w);
		break;
	case K_BOOL:
		weft_mp_bool(w, c->v != 0);
		break;
	}
}

static int write_cb(void *data, const char *buf, size_t len)
{
	struct weft_wbuf *w = data;

	weft_mp_raw(w, buf, len);
	return 0;
}

/* The same value through msgpack-c's packer. */
static size_t write_case_msgpack_c(const struct boundary *c, uint8_t *out, size_t cap)
{
	struct weft_wbuf w = { out, 0, cap, false };
	msgpack_packer pk;
	uint64_t i;

	msgpack_packer_init(&pk, &w, write_cb);
	switch (c->kind) {
	case K_UINT:
		msgpack_pack_uint64(&pk, c->v);
		break;
	case K_ARRAY:
		msgpack_pack_array(&pk, (size_t)c->v);
		for (i = 0; i < c->v; i++)
			msgpack_pack_uint64(&pk, 1);
		break;
	case K_BIN:
		msgpack_pack_bin(&pk, (size_t)c->v);
		msgpack_pack_bin_body(&pk, payload, (size_t)c->v);
		break;
	case K_STR:
		msgpack_pack_str(&pk, (size_t)c->v);
		msgpack_pack_str_body(&pk, payload, (size_t)c->v);
		break;
	case K_NIL:
		msgpack_pack_nil(&pk);
		break;
	case K_BOOL:
		if (c->v)
			msgpack_pack_true(&pk);
		else
			msgpack_pack_false(&pk);
		break;
	}
	assert_false(w.overflow);
	return w.len;
}

/* Reads one case back with the reader of its kind; 0 or the error. */
static int read_case(struct weft_rbuf *r, const struct boundary *c)
{
	const uint8_t *p;
	uint64_t v = 0;
	uint32_t n = 0, i;
	size_t len = 0;
	bool b;
	int ret;

	switch (c->kind) {
	case K_UINT:
		ret = weft_mp_read_uint(r, &v);
		if (!ret)
			assert_true(v == c->v);
		return ret;
	case K_ARRAY:
		ret = weft_mp_read_array(r, &n);
		if (ret)
			return ret;
		assert_int_equal(n, c->v);
		for (i = 0; i < n; i++) {
			ret = weft_mp_read_uint(r, &v);
			if (ret)
				return ret;
			assert_true(v == 1);
		}
		return 0;
	case K_BIN:
		ret = weft_mp_read_bin(r, &p, &len);
		if (!ret) {
			assert_true(len == c->v);
			assert_memory_equal(p, payload, len);
		}
		return ret;
	case K_STR:
		ret = weft_mp_read_str(r, &p, &len);
		if (!ret) {
			assert_true(len == c->v);
			assert_memory_equal(p, payload, len);
		}
		return ret;
	case K_NIL:
		return weft_mp_read_nil(r);
	case K_BOOL:
		ret = weft_mp_read_bool(r, &b);
		if (!ret)
			assert_int_equal(b, c->v != 0);
		return ret;
	}
	return -1;
}

static size_t case_size(const struct boundary *c)
{
	switch (c->kind) {
	case K_UINT:
		return weft_mp_uint_size(c->v);
	case K_ARRAY:
		return weft_mp_array_size((uint32_t)c->v) + (size_t)c->v;
	case K_BIN:
		return weft_mp_bin_size((size_t)c->v);
	case K_STR:
		return weft_mp_str_size((size_t)c->v);
	default:
		return 1;
	}
}

static void fill_payload(void)
{
	size_t i;

	for (i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7 + 3);
}

static void test_boundaries(void **state)
{
	size_t i, len, olen;

	(void)state;
	fill_payload();
	for (i = 0; i < NCASES; i++) {
		const struct boundary *c = &cases[i];
		struct weft_wbuf w = { enc, 0, sizeof(enc), false };
		struct weft_rbuf r;

		write_case(&w, c);
		assert_false(w.overflow);
		len = w.len;
		assert_int_equal(len, case_size(c));
		assert_memory_equal(enc, c->head, c->head_len);
		olen = write_case_msgpack_c(c, other, sizeof(other));
		assert_int_equal(olen, len);
		assert_memory_equal(other, enc, len);

		r = (struct weft_rbuf){ enc, len, 0 };
		assert_int_equal(read_case(&r, c), 0);
		assert_int_equal(r.off, len);
		assert_int_equal(weft_mp_end(&r), 0);
	}
}

/* Largest counts and lengths: the heads alone (the bodies would not fit a
 * test), read by the readers that do not need the body. */
static void test_largest_heads(void **state)
{
	static const uint8_t arr32[] = { 0xdd, 0xff, 0xff, 0xff, 0xff };
	uint8_t buf[16];
	struct weft_wbuf w = { buf, 0, sizeof(buf), false };
	struct weft_rbuf r;
	uint32_t n = 0;

	(void)state;
	weft_mp_array(&w, UINT32_MAX);
	assert_int_equal(w.len, 5);
	assert_memory_equal(buf, arr32, 5);
	assert_int_equal(weft_mp_array_size(UINT32_MAX), 5);
	assert_int_equal(weft_mp_bin_size(0x100000), 0x100000 + 5);
	assert_int_equal(weft_mp_str_size(0x100000), 0x100000 + 5);
	r = (struct weft_rbuf){ arr32, sizeof(arr32), 0 };
	assert_int_equal(weft_mp_read_array_head(&r, &n), 0);
	assert_int_equal(n, UINT32_MAX);
	/* The bounded reader refuses a count larger than the bytes left. */
	r = (struct weft_rbuf){ arr32, sizeof(arr32), 0 };
	assert_int_equal(weft_mp_read_array(&r, &n), WEFT_EMALFORMED);
}

static void test_array_bound(void **state)
{
	/* array 16 of 16 with only 15 bytes behind it, then with 16. */
	uint8_t buf[3 + 16];
	struct weft_rbuf r;
	uint32_t n = 0;

	(void)state;
	buf[0] = 0xdc;
	buf[1] = 0x00;
	buf[2] = 0x10;
	memset(buf + 3, 0x01, 16);
	r = (struct weft_rbuf){ buf, sizeof(buf) - 1, 0 };
	assert_int_equal(weft_mp_read_array(&r, &n), WEFT_EMALFORMED);
	r = (struct weft_rbuf){ buf, sizeof(buf) - 1, 0 };
	assert_int_equal(weft_mp_read_array_head(&r, &n), 0);
	assert_int_equal(n, 16);
	assert_int_equal(r.off, 3);
	r = (struct weft_rbuf){ buf, sizeof(buf), 0 };
	assert_int_equal(weft_mp_read_array(&r, &n), 0);
	assert_int_equal(n, 16);
	/* A fixarray's count is small enough to loop on: not checked. */
	buf[0] = 0x9f;
	r = (struct weft_rbuf){ buf, 1, 0 };
	assert_int_equal(weft_mp_read_array(&r, &n), 0);
	assert_int_equal(n, 15);
}

struct nonmin {
	uint8_t b[12];
	size_t len;
	enum kind kind;
};

/* Each value here has a smaller form; the bytes behind the head are there so
 * that only the form, not truncation, can be the reason for refusal. */
static const struct nonmin nonmins[] = {
	{ { 0xcc, 0x00 }, 2, K_UINT },
	{ { 0xcc, 0x7f }, 2, K_UINT },
	{ { 0xcd, 0x00, 0xff }, 3, K_UINT },
	{ { 0xce, 0x00, 0x00, 0xff, 0xff }, 5, K_UINT },
	{ { 0xcf, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff }, 9, K_UINT },
	{ { 0xdc, 0x00, 0x00 }, 3, K_ARRAY },
	{ { 0xdc, 0x00, 0x01, 0x01 }, 4, K_ARRAY },
	{ { 0xdc, 0x00, 0x0f, 1, 1, 1, 1, 1, 1, 1, 1, 1 }, 12, K_ARRAY },
	{ { 0xdd, 0x00, 0x00, 0x00, 0x01, 0x01 }, 6, K_ARRAY },
	{ { 0xdd, 0x00, 0x00, 0xff, 0xff }, 5, K_ARRAY },
	{ { 0xc5, 0x00, 0x00 }, 3, K_BIN },
	{ { 0xc5, 0x00, 0x02, 1, 2 }, 5, K_BIN },
	{ { 0xc6, 0x00, 0x00, 0x00, 0x01, 1 }, 6, K_BIN },
	{ { 0xd9, 0x00 }, 2, K_STR },
	{ { 0xd9, 0x01, 'x' }, 3, K_STR },
	{ { 0xda, 0x00, 0x01, 'x' }, 4, K_STR },
	{ { 0xdb, 0x00, 0x00, 0x00, 0x01, 'x' }, 6, K_STR },
};

static int read_kind(struct weft_rbuf *r, enum kind k)
{
	const uint8_t *p;
	uint64_t v;
	uint32_t n;
	size_t len;
	bool b;

	switch (k) {
	case K_UINT:
		return weft_mp_read_uint(r, &v);
	case K_ARRAY:
		return weft_mp_read_array(r, &n);
	case K_BIN:
		return weft_mp_read_bin(r, &p, &len);
	case K_STR:
		return weft_mp_read_str(r, &p, &len);
	case K_NIL:
		return weft_mp_read_nil(r);
	case K_BOOL:
		return weft_mp_read_bool(r, &b);
	}
	return -1;
}

static void test_nonminimal(void **state)
{
	struct weft_rbuf r;
	uint32_t n;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(nonmins) / sizeof(nonmins[0]); i++) {
		r = (struct weft_rbuf){ nonmins[i].b, nonmins[i].len, 0 };
		assert_int_equal(read_kind(&r, nonmins[i].kind), WEFT_EMALFORMED);
		if (nonmins[i].kind == K_ARRAY) {
			r = (struct weft_rbuf){ nonmins[i].b, nonmins[i].len, 0 };
			assert_int_equal(weft_mp_read_array_head(&r, &n), WEFT_EMALFORMED);
		}
	}
}

/* Every first byte that is not of a kind is refused by that kind's reader,
 * and peek names exactly the kinds bodies branch on. */
static void test_wrong_types(void **state)
{
	uint8_t buf[1 + 8];
	struct weft_rbuf r;
	unsigned b, k;
	int want;

	(void)state;
	memset(buf, 0, sizeof(buf));
	for (b = 0; b < 256; b++) {
		bool is[6];

		buf[0] = (uint8_t)b;
		is[K_UINT] = b <= 0x7f || (b >= 0xcc && b <= 0xcf);
		is[K_ARRAY] = (b & 0xf0) == 0x90 || b == 0xdc || b == 0xdd;
		is[K_BIN] = b >= 0xc4 && b <= 0xc6;
		is[K_STR] = (b & 0xe0) == 0xa0 || (b >= 0xd9 && b <= 0xdb);
		is[K_NIL] = b == 0xc0;
		is[K_BOOL] = b == 0xc2 || b == 0xc3;
		for (k = 0; k < 6; k++) {
			if (is[k])
				continue;
			r = (struct weft_rbuf){ buf, sizeof(buf), 0 };
			assert_int_equal(read_kind(&r, (enum kind)k), WEFT_EMALFORMED);
		}
		want = is[K_UINT]    ? WEFT_MP_UINT
		       : is[K_BIN]   ? WEFT_MP_BIN
		       : is[K_ARRAY] ? WEFT_MP_ARRAY
		       : is[K_NIL]   ? WEFT_MP_NIL
				     : WEFT_MP_OTHER;
		r = (struct weft_rbuf){ buf, sizeof(buf), 0 };
		assert_int_equal(weft_mp_peek(&r), want);
	}
	r = (struct weft_rbuf){ buf, 0, 0 };
	assert_int_equal(weft_mp_peek(&r), WEFT_MP_END);
	r = (struct weft_rbuf){ buf, 1, 1 };
	assert_int_equal(weft_mp_peek(&r), WEFT_MP_END);
}

/* Every strict prefix of every encoding is refused; one more byte behind a
 * whole encoding is trailing. Arrays are cut inside their elements too. */
static void test_truncation(void **state)
{
	struct weft_rbuf r;
	size_t i, cut, len, step;

	(void)state;
	fill_payload();
	for (i = 0; i < NCASES; i++) {
		struct weft_wbuf w = { enc, 0, sizeof(enc), false };

		write_case(&w, &cases[i]);
		len = w.len;
		/* Every byte for the small ones; for the 64 KiB bodies every
		 * byte of the head and then a spread, for the test's time. */
		for (cut = 0; cut < len; cut += step) {
			step = len < 600 || cut < 16 || cut > len - 16 ? 1 : 997;
			r = (struct weft_rbuf){ enc, cut, 0 };
			assert_int_equal(read_case(&r, &cases[i]), WEFT_EMALFORMED);
		}
		enc[len] = 0xc0;
		r = (struct weft_rbuf){ enc, len + 1, 0 };
		assert_int_equal(read_case(&r, &cases[i]), 0);
		assert_int_equal(weft_mp_end(&r), WEFT_ETRAILING);
	}
}

static void test_u32_and_binfix(void **state)
{
	uint8_t buf[64];
	struct weft_wbuf w = { buf, 0, sizeof(buf), false };
	struct weft_rbuf r;
	const uint8_t *p;
	uint32_t v;

	(void)state;
	fill_payload();
	weft_mp_uint(&w, UINT32_MAX);
	weft_mp_uint(&w, (uint64_t)UINT32_MAX + 1);
	weft_mp_bin(&w, payload, 4);
	weft_mp_bin(&w, payload, 4);
	assert_false(w.overflow);
	r = (struct weft_rbuf){ buf, w.len, 0 };
	assert_int_equal(weft_mp_read_u32(&r, &v), 0);
	assert_true(v == UINT32_MAX);
	assert_int_equal(weft_mp_read_u32(&r, &v), WEFT_EMALFORMED);
	r.off = 5 + 9;
	assert_int_equal(weft_mp_read_binfix(&r, &p, 4), 0);
	assert_memory_equal(p, payload, 4);
	assert_int_equal(weft_mp_read_binfix(&r, &p, 5), WEFT_EMALFORMED);
}

/* A writer with too little room sets overflow, never writes past cap, and
 * stays overflowed; with exactly enough it writes the same bytes. */
static void test_overflow(void **state)
{
	uint8_t full[600], buf[600 + 8];
	size_t i, cap, len;

	(void)state;
	fill_payload();
	for (i = 0; i < NCASES; i++) {
		struct weft_wbuf w = { full, 0, sizeof(full), false };

		if (case_size(&cases[i]) > sizeof(full))
			continue;
		write_case(&w, &cases[i]);
		assert_false(w.overflow);
		len = w.len;
		for (cap = 0; cap < len; cap++) {
			memset(buf, 0x5a, sizeof(buf));
			w = (struct weft_wbuf){ buf, 0, cap, false };
			write_case(&w, &cases[i]);
			assert_true(w.overflow);
			assert_true(w.len <= cap);
			assert_int_equal(buf[cap], 0x5a);
			len = w.len;
			weft_mp_nil(&w); /* fits in most of these, had the write not failed */
			assert_true(w.overflow);
			assert_int_equal(w.len, len);
			len = case_size(&cases[i]);
		}
		memset(buf, 0x5a, sizeof(buf));
		w = (struct weft_wbuf){ buf, 0, len, false };
		write_case(&w, &cases[i]);
		assert_false(w.overflow);
		assert_memory_equal(buf, full, len);
		assert_int_equal(buf[len], 0x5a);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_boundaries),     cmocka_unit_test(test_largest_heads),
		cmocka_unit_test(test_array_bound),    cmocka_unit_test(test_nonminimal),
		cmocka_unit_test(test_wrong_types),    cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_u32_and_binfix), cmocka_unit_test(test_overflow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
