/* core/persist: framing round trip, refusal of every truncation, every
 * single-byte corruption, trailing bytes, wrong kind/format and oversize
 * lengths (in memory and on disk), atomic replacement with the requested
 * mode and no temp files left behind, and a store saved and loaded back. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "core/persist.h"
#include "tests/unit/store_fixture.h"

static char dir[256];

static int group_setup(void **state)
{
	(void)state;
	if (weft_crypto_init())
		return -1;
	snprintf(dir, sizeof(dir), "/tmp/weft-test-persist-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int group_teardown(void **state)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	(void)state;
	while (d && (de = readdir(d))) {
		char p[512];

		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(dir);
	return 0;
}

static void path_of(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", dir, name);
}

/* Write len bytes as they are (for corrupt files). */
static void write_raw(const char *path, const uint8_t *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

static uint8_t *read_raw(const char *path, size_t *len)
{
	struct stat sb;
	uint8_t *buf;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &sb), 0);
	buf = malloc((size_t)sb.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, (size_t)sb.st_size), sb.st_size);
	close(fd);
	*len = (size_t)sb.st_size;
	return buf;
}

static size_t count_dir_entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void test_round_trip(void **state)
{
	uint8_t payload[300], *got = NULL, *file;
	char p[512];
	const char *why = NULL;
	size_t len, flen;
	struct stat sb;

	(void)state;
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7);
	path_of(p, sizeof(p), "rt");
	assert_int_equal(weft_persist_write(p, WEFT_PERSIST_LOCAL, payload, sizeof(payload), 0600), 0);
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(sb.st_size, 16 + sizeof(payload) + 32);
	assert_int_equal(weft_persist_read(p, WEFT_PERSIST_LOCAL, &got, &len, &why), 0);
	assert_int_equal(len, sizeof(payload));
	assert_memory_equal(got, payload, len);
	free(got);

	/* The frame is exactly what persist.h says. */
	file = read_raw(p, &flen);
	assert_memory_equal(file, "WEFT", 4);
	assert_int_equal(file[4], 1);
	assert_int_equal(file[5], WEFT_PERSIST_LOCAL);
	assert_int_equal(file[6] | file[7], 0);
	assert_int_equal(file[14], sizeof(payload) >> 8);
	assert_int_equal(file[15], sizeof(payload) & 0xff);
	{
		uint8_t sum[32];

		crypto_generichash(sum, 32, file, flen - 32, NULL, 0);
		assert_memory_equal(sum, file + flen - 32, 32);
	}
	free(file);

	/* Replacing keeps one file, with the new mode, and no temp. */
	assert_int_equal(weft_persist_write(p, WEFT_PERSIST_LOCAL, payload, 10, 0644), 0);
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0644);
	assert_int_equal(weft_persist_read(p, WEFT_PERSIST_LOCAL, &got, &len, &why), 0);
	assert_int_equal(len, 10);
	free(got);
	/* An empty payload is a valid file. */
	assert_int_equal(weft_persist_write(p, WEFT_PERSIST_LOCAL, payload, 0, 0600), 0);
	assert_int_equal(weft_persist_read(p, WEFT_PERSIST_LOCAL, &got, &len, &why), 0);
	assert_int_equal(len, 0);
	free(got);
	assert_int_equal(count_dir_entries(), 1);
	unlink(p);
}

static void test_write_errors(void **state)
{
	uint8_t data[4] = { 1, 2, 3, 4 };
	char p[512];

	(void)state;
	path_of(p, sizeof(p), "no-such-dir/file");
	assert_int_equal(weft_persist_write(p, WEFT_PERSIST_LOCAL, data, 4, 0600), -ENOENT);
	assert_int_equal(count_dir_entries(), 0);
	path_of(p, sizeof(p), "big");
	assert_int_equal(weft_persist_write(p, WEFT_PERSIST_LOCAL, data, (size_t)WEFT_PERSIST_MAX + 1, 0600),
			 WEFT_EOVERSIZE);
	assert_int_equal(count_dir_entries(), 0);
	/* A failed write leaves the previous file whole. */
	path_of(p, sizeof(p), "keep");
	assert_int_equal(weft_persist_write(p, WEFT_PERSIST_LOCAL, data, 4, 0600), 0);
	assert_int_equal(weft_persist_write(p, WEFT_PERSIST_LOCAL, data, (size_t)WEFT_PERSIST_MAX + 1, 0600),
			 WEFT_EOVERSIZE);
	{
		uint8_t *got;
		size_t len;

		assert_int_equal(weft_persist_read(p, WEFT_PERSIST_LOCAL, &got, &len, NULL), 0);
		assert_int_equal(len, 4);
		free(got);
	}
	unlink(p);
	assert_int_equal(count_dir_entries(), 0);
}

/* Frame a payload in memory through a real write. */
static uint8_t *framed(const uint8_t *payload, size_t plen, size_t *len)
{
	char p[512];
	uint8_t *buf;

	path_of(p, sizeof(p), "frame");
	assert_int_equal(weft_persist_write(p, WEFT_PERSIST_STORE, payload, plen, 0600), 0);
	buf = read_raw(p, len);
	unlink(p);
	return buf;
}

static void test_truncation_every_length(void **state)
{
	uint8_t payload[64], *buf, *got;
	const uint8_t *pl;
	size_t len, plen, glen;
	char p[512];
	const char *why;

	(void)state;
	memset(payload, 0xab, sizeof(payload));
	buf = framed(payload, sizeof(payload), &len);
	path_of(p, sizeof(p), "torn");
	for (size_t cut = 0; cut < len; cut++) {
		why = NULL;
		assert_true(weft_persist_unframe(buf, cut, WEFT_PERSIST_STORE, &pl, &plen, &why) < 0);
		assert_non_null(why);
		assert_null(pl);
		/* The same on disk: a torn file is refused, nothing returned. */
		write_raw(p, buf, cut);
		got = (uint8_t *)1;
		why = NULL;
		assert_true(weft_persist_read(p, WEFT_PERSIST_STORE, &got, &glen, &why) < 0);
		assert_null(got);
		assert_non_null(why);
	}
	assert_int_equal(weft_persist_unframe(buf, len, WEFT_PERSIST_STORE, &pl, &plen, &why), 0);
	assert_int_equal(plen, sizeof(payload));
	unlink(p);
	free(buf);
}

static void test_corruption_every_byte(void **state)
{
	uint8_t payload[40], *buf;
	const uint8_t *pl;
	size_t len, plen;
	const char *why;

	(void)state;
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)i;
	buf = framed(payload, sizeof(payload), &len);
	for (size_t i = 0; i < len; i++) {
		for (unsigned bit = 0; bit < 8; bit++) {
			buf[i] ^= (uint8_t)(1u << bit);
			why = NULL;
			assert_true(weft_persist_unframe(buf, len, WEFT_PERSIST_STORE, &pl, &plen, &why) < 0);
			assert_non_null(why);
			buf[i] ^= (uint8_t)(1u << bit);
		}
	}
	free(buf);
}

static void test_header_errors(void **state)
{
	uint8_t payload[8] = { 0 }, *buf, *longer;
	const uint8_t *pl;
	size_t len, plen;
	const char *why;

	(void)state;
	buf = framed(payload, sizeof(payload), &len);
	assert_int_equal(weft_persist_unframe(buf, len, WEFT_PERSIST_LOCAL, &pl, &plen, &why), WEFT_EMALFORMED);
	buf[4] = 2;
	assert_int_equal(weft_persist_unframe(buf, len, WEFT_PERSIST_STORE, &pl, &plen, &why), WEFT_EVERSION);
	buf[4] = 1;
	buf[0] = 'X';
	assert_int_equal(weft_persist_unframe(buf, len, WEFT_PERSIST_STORE, &pl, &plen, &why), WEFT_EMALFORMED);
	buf[0] = 'W';
	/* A length beyond the maximum is refused before anything is hashed. */
	buf[10] = 0x10;
	assert_int_equal(weft_persist_unframe(buf, len, WEFT_PERSIST_STORE, &pl, &plen, &why), WEFT_EOVERSIZE);
	buf[10] = 0;
	buf[8] = 0xff;
	assert_int_equal(weft_persist_unframe(buf, len, WEFT_PERSIST_STORE, &pl, &plen, &why), WEFT_EOVERSIZE);
	buf[8] = 0;
	longer = malloc(len + 1);
	assert_non_null(longer);
	memcpy(longer, buf, len);
	longer[len] = 0;
	assert_int_equal(weft_persist_unframe(longer, len + 1, WEFT_PERSIST_STORE, &pl, &plen, &why),
			 WEFT_ETRAILING);
	assert_int_equal(weft_persist_unframe(buf, len, WEFT_PERSIST_STORE, &pl, &plen, &why), 0);
	assert_true(pl == buf + 16);
	free(longer);
	free(buf);
}

static void test_read_errors(void **state)
{
	uint8_t *got;
	size_t len;
	char p[512];
	const char *why = NULL;

	(void)state;
	path_of(p, sizeof(p), "absent");
	assert_int_equal(weft_persist_read(p, WEFT_PERSIST_STORE, &got, &len, &why), -ENOENT);
	assert_non_null(why);
	/* A directory is not a state file. */
	assert_int_equal(weft_persist_read(dir, WEFT_PERSIST_STORE, &got, &len, &why), WEFT_EMALFORMED);
}

/* What the daemon does: serialise a store, persist it, read it back into a
 * fresh store, and compare. */
static void test_store_file(void **state)
{
	weft_keypair_t admin, node;
	weft_record_t *r = calloc(1, sizeof(*r));
	weft_store_t *a, *b;
	uint8_t *bytes, *back, da[32], db[32];
	size_t len, blen;
	char p[512];
	const char *why = NULL;

	(void)state;
	assert_non_null(r);
	fx_key(&admin, FX_ADMIN, 1);
	fx_key(&node, FX_NODE, 1);
	a = weft_store_new(&admin.pk, NULL, NULL);
	b = weft_store_new(&admin.pk, NULL, NULL);
	fx_network(r, &admin, 1, "10.0.0.0/24");
	assert_int_equal(weft_store_merge(a, r), WEFT_MERGE_ADDED);
	fx_member(r, &admin, &node.pk, 1);
	assert_int_equal(weft_store_merge(a, r), WEFT_MERGE_ADDED);
	fx_state(r, &node, 1, "one");
	assert_int_equal(weft_store_merge(a, r), WEFT_MERGE_ADDED);
	assert_int_equal(weft_store_serialize(a, &bytes, &len), 0);
	path_of(p, sizeof(p), "records");
	assert_int_equal(weft_persist_write(p, WEFT_PERSIST_STORE, bytes, len, 0600), 0);
	assert_int_equal(weft_persist_read(p, WEFT_PERSIST_STORE, &back, &blen, &why), 0);
	assert_int_equal(weft_store_load(b, back, blen, &why), 0);
	weft_store_digest(a, da);
	weft_store_digest(b, db);
	assert_memory_equal(da, db, 32);
	assert_int_equal(weft_store_count(b), 3);
	unlink(p);
	free(bytes);
	free(back);
	weft_store_free(a);
	weft_store_free(b);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_write_errors),
		cmocka_unit_test(test_truncation_every_length),
		cmocka_unit_test(test_corruption_every_byte),
		cmocka_unit_test(test_header_errors),
		cmocka_unit_test(test_read_errors),
		cmocka_unit_test(test_store_file),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
