/* Writes the stored corpora of fuzz-store (programs over store-samples.h's
 * records) and fuzz-persist (framed and bare serialised stores, whole and
 * damaged). Run from the build directory:
 *   tests/fuzz/gen-store ../tests/fuzz/corpus/store ../tests/fuzz/corpus/persist */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/persist.h"
#include "tests/fuzz/store-samples.h"

static const char *outdir;

static void put(const char *name, const uint8_t *buf, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", outdir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f)) {
		perror(path);
		exit(1);
	}
}

/* The frame persist.h describes, built here so the corpus does not depend
 * on the code it tests. */
static uint8_t *frame(uint8_t kind, const uint8_t *payload, size_t plen, size_t *len)
{
	uint8_t *buf = malloc(16 + plen + 32);

	if (!buf)
		exit(1);
	memcpy(buf, "WEFT", 4);
	buf[4] = 1;
	buf[5] = kind;
	buf[6] = buf[7] = 0;
	for (int i = 0; i < 8; i++)
		buf[8 + i] = (uint8_t)((uint64_t)plen >> (56 - 8 * i));
	memcpy(buf + 16, payload, plen);
	crypto_generichash(buf + 16 + plen, 32, buf, 16 + plen, NULL, 0);
	*len = 16 + plen + 32;
	return buf;
}

static uint64_t rng_state;

static void store_corpus(const struct store_samples *ss)
{
	uint8_t prog[1024];
	size_t n;
	char name[64];

	/* Every record in order, then a view and a round trip. */
	n = 0;
	prog[n++] = 0;
	for (size_t i = 0; i < ss->n && n + 12 < sizeof(prog); i++) {
		prog[n++] = 0;
		prog[n++] = (uint8_t)i;
	}
	prog[n++] = 8;
	prog[n++] = 0;
	memcpy(prog + n, "\x01\x8b\xcf\xe5\x68\x00", 6); /* ~NOW in ms */
	n += 6;
	prog[n++] = 9;
	prog[n++] = 0;
	put("in-order", prog, n);
	/* Reversed, with the cache, and duplicates. */
	n = 0;
	prog[n++] = 1;
	for (size_t i = ss->n; i-- > 0;) {
		prog[n++] = 1;
		prog[n++] = (uint8_t)i;
		prog[n++] = 0;
		prog[n++] = (uint8_t)i;
	}
	prog[n++] = 9;
	prog[n++] = 0;
	put("reversed-dups", prog, n);
	/* Half, clone, the rest into the clone, switch back, view. */
	n = 0;
	prog[n++] = 0;
	for (size_t i = 0; i < ss->n; i++) {
		if (i == ss->n / 2) {
			prog[n++] = 6;
			prog[n++] = 0;
		}
		prog[n++] = 0;
		prog[n++] = (uint8_t)i;
	}
	prog[n++] = 7;
	prog[n++] = 0;
	prog[n++] = 8;
	prog[n++] = 0;
	memset(prog + n, 0xff, 6);
	n += 6;
	put("clone-diverge", prog, n);
	/* Each damage op on each record. */
	for (unsigned op = 2; op <= 5; op++) {
		n = 0;
		prog[n++] = 0;
		for (size_t i = 0; i < ss->n && n + 8 < sizeof(prog); i++) {
			prog[n++] = 0;
			prog[n++] = (uint8_t)i;
			prog[n++] = (uint8_t)op;
			prog[n++] = (uint8_t)i;
			if (op == 4) {
				prog[n++] = 3;
				prog[n++] = 0x95;
				prog[n++] = 0x01;
				prog[n++] = 0x02;
			} else {
				prog[n++] = (uint8_t)(i * 7);
				prog[n++] = (uint8_t)(i * 3);
				prog[n++] = 0x40;
			}
		}
		snprintf(name, sizeof(name), "damage-op%u", op);
		put(name, prog, n);
	}
	/* Random programs. */
	for (unsigned k = 0; k < 20; k++) {
		n = 32 + (size_t)(fx_rand(&rng_state) % 400);
		for (size_t i = 0; i < n; i++)
			prog[i] = (uint8_t)fx_rand(&rng_state);
		snprintf(name, sizeof(name), "random-%02u", k);
		put(name, prog, n);
	}
}

static void persist_corpus(const struct store_samples *ss)
{
	weft_store_t *empty = weft_store_new(&ss->admin.pk, NULL, NULL);
	weft_store_t *half = weft_store_new(&ss->admin.pk, NULL, NULL);
	weft_store_t *full = weft_store_new(&ss->admin.pk, NULL, NULL);
	uint8_t *bytes, *f;
	size_t len, flen;
	weft_store_t *stores[3] = { empty, half, full };
	const char *names[3] = { "empty", "half", "full" };

	if (!empty || !half || !full)
		exit(1);
	for (size_t i = 0; i < ss->n; i++) {
		if (i < ss->n / 2)
			weft_store_merge(half, &ss->r[i]);
		weft_store_merge(full, &ss->r[i]);
	}
	for (int k = 0; k < 3; k++) {
		char name[64];

		if (weft_store_serialize(stores[k], &bytes, &len))
			exit(1);
		snprintf(name, sizeof(name), "bare-%s", names[k]);
		put(name, bytes, len);
		f = frame(WEFT_PERSIST_STORE, bytes, len, &flen);
		snprintf(name, sizeof(name), "framed-%s", names[k]);
		put(name, f, flen);
		if (k == 2) {
			put("framed-truncated", f, flen / 2);
			f[flen / 3] ^= 0x10;
			put("framed-corrupt", f, flen);
			f[flen / 3] ^= 0x10;
			f[5] = WEFT_PERSIST_LOCAL;
			put("framed-wrong-kind", f, flen);
			f[5] = WEFT_PERSIST_STORE;
			f[4] = 2;
			put("framed-format-2", f, flen);
			/* A frame whose payload has a bad record inside. */
			free(f);
			bytes[len - 1] ^= 0x01;
			f = frame(WEFT_PERSIST_STORE, bytes, len, &flen);
			put("framed-bad-record", f, flen);
			put("bare-bad-record", bytes, len);
			put("bare-truncated", bytes, len - 7);
		}
		free(f);
		free(bytes);
	}
	put("empty-file", (const uint8_t *)"", 0);
	put("array16-empty", (const uint8_t *)"\xdc\x00\x00", 3);
	put("array32-huge", (const uint8_t *)"\xdd\xff\xff\xff\xff\xc4\x00", 7);
	put("not-bin",
	    (const uint8_t *)"\x91\xa3"
			     "abc",
	    5);
	weft_store_free(empty);
	weft_store_free(half);
	weft_store_free(full);
}

int main(int argc, char **argv)
{
	struct store_samples *ss = calloc(1, sizeof(*ss));

	if (argc != 3 || !ss) {
		fprintf(stderr, "usage: %s STORE_CORPUS_DIR PERSIST_CORPUS_DIR\n", argv[0]);
		return 2;
	}
	if (weft_crypto_init())
		return 1;
	store_samples_build(ss);
	rng_state = 2024;
	outdir = argv[1];
	store_corpus(ss);
	outdir = argv[2];
	persist_corpus(ss);
	free(ss);
	return 0;
}
