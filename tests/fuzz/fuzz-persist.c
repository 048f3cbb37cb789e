/* Fuzz reading state back: weft_persist_unframe on arbitrary bytes and
 * weft_store_load on the payload and on the raw input. A load that fails
 * must leave the store exactly as it was (it loads into a scratch copy); one
 * that succeeds must serialise and load again to the same digest. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/persist.h"
#include "tests/fuzz/store-samples.h"

static struct store_samples *ss;
static weft_recpool_t *pool;
static weft_vcache_t *cache;
static weft_store_t *base;
static uint8_t *base_bytes;
static size_t base_len;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (weft_crypto_init())
		abort();
	ss = calloc(1, sizeof(*ss));
	pool = weft_recpool_new();
	cache = weft_vcache_new(256);
	if (!ss || !pool || !cache)
		abort();
	store_samples_build(ss);
	/* Every input loads into a clone of this half-filled store. */
	base = weft_store_new(&ss->admin.pk, cache, pool);
	if (!base)
		abort();
	for (size_t i = 0; i < ss->n / 2; i++)
		weft_store_merge(base, &ss->r[i]);
	if (weft_store_serialize(base, &base_bytes, &base_len))
		abort();
	return 0;
}

static void load_and_check(const uint8_t *buf, size_t len)
{
	weft_store_t *s = weft_store_clone(base), *t;
	const char *why = NULL;
	uint8_t *out = NULL, d1[32], d2[32];
	size_t olen = 0;
	int ret;

	if (!s)
		abort();
	ret = weft_store_load(s, buf, len, &why);
	if (weft_store_serialize(s, &out, &olen))
		abort();
	if (ret) {
		if (!why || ret > 0 || olen != base_len || memcmp(out, base_bytes, olen))
			abort();
	} else {
		t = weft_store_new(&ss->admin.pk, cache, pool);
		if (!t || weft_store_load(t, out, olen, &why))
			abort();
		weft_store_digest(s, d1);
		weft_store_digest(t, d2);
		if (memcmp(d1, d2, 32) || weft_store_count(s) != weft_store_count(t))
			abort();
		weft_store_free(t);
	}
	free(out);
	weft_store_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *payload = NULL;
	const char *why = NULL;
	size_t plen = 0;
	int ret;

	ret = weft_persist_unframe(data, size, WEFT_PERSIST_STORE, &payload, &plen, &why);
	if (ret) {
		if (!why || payload || plen)
			abort();
	} else {
		if (payload != data + 16 || plen + 48 != size)
			abort();
		load_and_check(payload, plen);
	}
	ret = weft_persist_unframe(data, size, WEFT_PERSIST_LOCAL, &payload, &plen, &why);
	if (!ret && (size < 6 || data[5] != WEFT_PERSIST_LOCAL))
		abort();
	load_and_check(data, size);
	return 0;
}
