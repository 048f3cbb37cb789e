/* Unit tests for core/keys.c: key pairs, their text forms against outside
 * references (`wg pubkey`, RFC 8032, Python's hashlib), and key files. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/error.h"
#include "core/keys.h"

static char tmpdir[64];

static void hex_to_bytes(uint8_t *out, const char *hex, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned v;

		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

static void path_in_tmp(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/%s", tmpdir, name);
}

static void write_plain(const char *path, const char *text, size_t len, mode_t mode)
{
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
	assert_true(fd >= 0);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
}

static size_t read_plain(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, cap - 1);
	assert_true(n >= 0);
	buf[n] = '\0';
	close(fd);
	return (size_t)n;
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

/* Files in tmpdir other than the ones named: a leftover temp file would
 * show up here. */
static int count_files(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void empty_tmpdir(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *de;
	char p[512];

	assert_non_null(d);
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		path_in_tmp(p, sizeof(p), de->d_name);
		if (unlink(p) != 0)
			rmdir(p);
	}
	closedir(d);
}

static int setup(void **state)
{
	strcpy(tmpdir, "/tmp/weft-test-keys-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	return weft_crypto_init();
}

static int teardown(void **state)
{
	empty_tmpdir();
	return rmdir(tmpdir);
}

/* Public keys computed by the real tool: `echo PRIV | wg pubkey`. The first
 * private key is bytes 0..31, unclamped: wg clamps before multiplying, and
 * so must we. */
static const struct {
	const char *priv, *pub;
} wg_vectors[] = {
	{ "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "j0DFrbaPJWJK5bIU6nZ6bslNgp09e14a0bpvPiE4KF8=" },
	{ "6CfB0NFvFvoUmyRGvX/9SyjHzRJlxiQ8LNtMgfZ1FEs=", "Ag/9cNnJeCxb8PNXvozP6NW6O22Y2U7hqMUnUkbezj4=" },
	{ "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=", "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=" },
};

static void test_wg_pubkey_matches_wg(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(wg_vectors) / sizeof(wg_vectors[0]); i++) {
		weft_wgkey_t priv, pub;
		char b64[WEFT_WGKEY_B64_LEN + 1];

		assert_int_equal(weft_key_from_base64(priv.b, wg_vectors[i].priv), 0);
		weft_key_to_base64(b64, priv.b);
		assert_string_equal(b64, wg_vectors[i].priv);
		weft_wgkey_public(&pub, &priv);
		weft_key_to_base64(b64, pub.b);
		assert_string_equal(b64, wg_vectors[i].pub);
	}
}

static void test_wgpair_generate(void **state)
{
	weft_wgpair_t a, b;
	weft_wgkey_t pub, back;
	char b64[WEFT_WGKEY_B64_LEN + 1];

	weft_wgpair_generate(&a);
	weft_wgpair_generate(&b);
	assert_memory_not_equal(a.priv.b, b.priv.b, 32);
	/* Clamped as `wg genkey` writes it. */
	assert_int_equal(a.priv.b[0] & 7, 0);
	assert_int_equal(a.priv.b[31] & 0xc0, 0x40);
	weft_wgkey_public(&pub, &a.priv);
	assert_memory_equal(pub.b, a.pub.b, 32);
	weft_key_to_base64(b64, a.pub.b);
	assert_int_equal(strlen(b64), WEFT_WGKEY_B64_LEN);
	assert_int_equal(b64[43], '=');
	assert_int_equal(weft_key_from_base64(back.b, b64), 0);
	assert_memory_equal(back.b, a.pub.b, 32);
	weft_keys_wipe(&a, sizeof(a));
	assert_int_equal(a.priv.b[5] | a.pub.b[7], 0);
}

static void test_base64_strict(void **state)
{
	static const char *bad[] = {
		"",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",   /* 43, no pad */
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",  /* 44, no pad */
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==", /* 45 */
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==",  /* 31 bytes */
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=",  /* pad bits set */
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAD=",  /* pad bits set */
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA-A=", /* url alphabet */
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA_A=",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA A=", /* space */
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=A", /* pad inside */
		"=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		" AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", /* 45 with newline */
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\xc3\xa9",
		/* libsodium 1.0.18 alone would take these (high bytes). */
		"AAAAA\x80"
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
		"AAECAwQFBgcICQ\x91\xb3\xbb\xbe\xcf\xb0\xbb\x83"
		"AREhMUFRYXGBkaGxwdHh8=",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\xff=",
	};
	uint8_t key[32];
	size_t i;

	assert_int_equal(weft_key_from_base64(key, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="), 0);
	assert_int_equal(weft_key_from_base64(key, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE="), 0);
	assert_int_equal(key[31], 0x01);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(key, 0xaa, sizeof(key));
		if (weft_key_from_base64(key, bad[i]) != WEFT_EMALFORMED)
			fail_msg("accepted \"%s\"", bad[i]);
	}
	assert_int_equal(weft_key_from_base64(key, NULL), WEFT_EMALFORMED);
}

/* RFC 8032 section 7.1, test 1. */
#define RFC_SEED "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
#define RFC_PK "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
#define RFC_SIG                                                             \
	"e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555" \
	"fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"

static void test_ed25519_vector(void **state)
{
	uint8_t seed[32], sig[64], want[64];
	weft_keypair_t kp;
	char hex[65];

	hex_to_bytes(seed, RFC_SEED, 32);
	hex_to_bytes(want, RFC_SIG, 64);
	weft_keypair_from_seed(&kp, seed);
	weft_pk_to_hex(hex, &kp.pk);
	assert_string_equal(hex, RFC_PK);
	assert_memory_equal(kp.sk, seed, 32);
	assert_int_equal(weft_sign(sig, (const uint8_t *)"", 0, &kp), 0);
	assert_memory_equal(sig, want, 64);
	assert_int_equal(weft_verify(sig, (const uint8_t *)"", 0, &kp.pk), 0);
}

static void test_sign_verify(void **state)
{
	static const uint8_t msg[] = "weft record bytes";
	weft_keypair_t a, b, c;
	uint8_t sig[64];

	weft_keypair_generate(&a);
	weft_keypair_generate(&b);
	assert_memory_not_equal(a.pk.b, b.pk.b, 32);
	weft_keypair_from_seed(&c, a.sk);
	assert_memory_equal(c.pk.b, a.pk.b, 32);
	assert_memory_equal(c.sk, a.sk, 64);

	assert_int_equal(weft_sign(sig, msg, sizeof(msg), &a), 0);
	assert_int_equal(weft_verify(sig, msg, sizeof(msg), &a.pk), 0);
	assert_int_equal(weft_verify(sig, msg, sizeof(msg), &b.pk), WEFT_EBADSIG);
	assert_int_equal(weft_verify(sig, msg, sizeof(msg) - 1, &a.pk), WEFT_EBADSIG);
	sig[10] ^= 1;
	assert_int_equal(weft_verify(sig, msg, sizeof(msg), &a.pk), WEFT_EBADSIG);
}

/* Reference values from Python: base64.b32encode(hashlib.blake2b(pk,
 * digest_size=20).digest()).lower()[:16]. */
static void test_fingerprint(void **state)
{
	weft_pk_t pk;
	weft_keypair_t kp;
	char fpr[WEFT_FPR_LEN + 1], again[WEFT_FPR_LEN + 1];
	size_t i;

	assert_int_equal(weft_pk_from_hex(&pk, RFC_PK), 0);
	weft_fingerprint(fpr, &pk);
	assert_string_equal(fpr, "dm2rpt226cwinohp");
	memset(&pk, 0, sizeof(pk));
	weft_fingerprint(fpr, &pk);
	assert_string_equal(fpr, "aiil5jvbhf4x25fk");

	weft_keypair_generate(&kp);
	weft_fingerprint(fpr, &kp.pk);
	weft_fingerprint(again, &kp.pk);
	assert_string_equal(fpr, again);
	assert_int_equal(strlen(fpr), WEFT_FPR_LEN);
	for (i = 0; i < WEFT_FPR_LEN; i++)
		assert_non_null(strchr("abcdefghijklmnopqrstuvwxyz234567", fpr[i]));
	kp.pk.b[31] ^= 1;
	weft_fingerprint(again, &kp.pk);
	assert_string_not_equal(fpr, again);
}

static void test_hex(void **state)
{
	weft_pk_t pk, back;
	char hex[65];

	weft_keypair_t kp;

	weft_keypair_generate(&kp);
	pk = kp.pk;
	weft_pk_to_hex(hex, &pk);
	assert_int_equal(strlen(hex), 64);
	assert_int_equal(weft_pk_from_hex(&back, hex), 0);
	assert_memory_equal(back.b, pk.b, 32);
	assert_int_equal(weft_pk_from_hex(&back, RFC_PK "0"), WEFT_EMALFORMED);
	hex[63] = '\0';
	assert_int_equal(weft_pk_from_hex(&back, hex), WEFT_EMALFORMED);
	assert_int_equal(weft_pk_from_hex(&back, "g75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"),
			 WEFT_EMALFORMED);
	assert_int_equal(weft_pk_from_hex(&back, "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f70751 a"),
			 WEFT_EMALFORMED);
	assert_int_equal(weft_pk_from_hex(&back, NULL), WEFT_EMALFORMED);
}

static void test_keyfile_ed25519(void **state)
{
	char path[256], text[256], want[128], b64[WEFT_WGKEY_B64_LEN + 1];
	weft_keypair_t kp, back, other;
	mode_t old = umask(0);

	empty_tmpdir();
	path_in_tmp(path, sizeof(path), "id.key");
	weft_keypair_generate(&kp);
	assert_int_equal(weft_keyfile_write_ed25519(path, &kp, 0), 0);
	umask(old);
	/* Umask 0 would have left 0666 had we trusted open()'s mode. */
	assert_int_equal(mode_of(path), 0600);
	assert_int_equal(count_files(), 1);

	weft_key_to_base64(b64, kp.sk);
	snprintf(want, sizeof(want), "weft-ed25519 %s\n", b64);
	assert_int_equal(read_plain(path, text, sizeof(text)), strlen(want));
	assert_string_equal(text, want);

	assert_int_equal(weft_keyfile_read_ed25519(path, &back), 0);
	assert_memory_equal(back.pk.b, kp.pk.b, 32);
	assert_memory_equal(back.sk, kp.sk, 64);

	/* An existing file is refused and left as it was. */
	weft_keypair_generate(&other);
	assert_int_equal(weft_keyfile_write_ed25519(path, &other, 0), -EEXIST);
	assert_int_equal(weft_keyfile_read_ed25519(path, &back), 0);
	assert_memory_equal(back.pk.b, kp.pk.b, 32);
	assert_int_equal(count_files(), 1);

	/* Unless overwriting was asked for. */
	assert_int_equal(weft_keyfile_write_ed25519(path, &other, 1), 0);
	assert_int_equal(mode_of(path), 0600);
	assert_int_equal(weft_keyfile_read_ed25519(path, &back), 0);
	assert_memory_equal(back.pk.b, other.pk.b, 32);
	assert_int_equal(count_files(), 1);
}

static void test_keyfile_wg(void **state)
{
	char path[256], text[256], want[64];
	weft_wgpair_t kp;
	weft_wgkey_t back;
	mode_t old = umask(0);

	empty_tmpdir();
	path_in_tmp(path, sizeof(path), "wg.key");
	weft_wgpair_generate(&kp);
	assert_int_equal(weft_keyfile_write_wg(path, &kp.priv, 0), 0);
	umask(old);
	assert_int_equal(mode_of(path), 0600);
	weft_key_to_base64(want, kp.priv.b);
	strcat(want, "\n");
	read_plain(path, text, sizeof(text));
	assert_string_equal(text, want);
	assert_int_equal(weft_keyfile_read_wg(path, &back), 0);
	assert_memory_equal(back.b, kp.priv.b, 32);
	assert_int_equal(weft_keyfile_write_wg(path, &kp.priv, 0), -EEXIST);

	/* A file as `wg genkey > f` writes it, for a key wg knows. */
	snprintf(text, sizeof(text), "%s\n", wg_vectors[2].priv);
	write_plain(path, text, strlen(text), 0600);
	assert_int_equal(weft_keyfile_read_wg(path, &back), 0);
	weft_wgkey_public(&kp.pub, &back);
	weft_key_to_base64(want, kp.pub.b);
	assert_string_equal(want, wg_vectors[2].pub);
	/* No final newline, or a CRLF, is fine too. */
	write_plain(path, wg_vectors[2].priv, 44, 0600);
	assert_int_equal(weft_keyfile_read_wg(path, &back), 0);
	write_plain(path, text, strlen(text), 0400);
	assert_int_equal(weft_keyfile_read_wg(path, &back), 0);
}

static void test_keyfile_permissions(void **state)
{
	static const mode_t loose[] = { 0644, 0640, 0604, 0660, 0606, 0610, 0601, 0666 };
	char path[256];
	weft_keypair_t kp, back;
	weft_wgkey_t wg;
	size_t i;

	empty_tmpdir();
	path_in_tmp(path, sizeof(path), "id.key");
	weft_keypair_generate(&kp);
	assert_int_equal(weft_keyfile_write_ed25519(path, &kp, 0), 0);
	for (i = 0; i < sizeof(loose) / sizeof(loose[0]); i++) {
		assert_int_equal(chmod(path, loose[i]), 0);
		assert_int_equal(weft_keyfile_read_ed25519(path, &back), WEFT_EKEYPERM);
		assert_int_equal(weft_keyfile_read_wg(path, &wg), WEFT_EKEYPERM);
	}
	assert_int_equal(chmod(path, 0400), 0);
	assert_int_equal(weft_keyfile_read_ed25519(path, &back), 0);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(weft_keyfile_read_ed25519(path, &back), 0);
	assert_memory_equal(back.pk.b, kp.pk.b, 32);
	assert_string_equal(weft_strerror(WEFT_EKEYPERM), "key file is readable by group or others");
}

static void test_keyfile_symlink(void **state)
{
	char path[256], link[256];
	weft_keypair_t kp, back;

	empty_tmpdir();
	path_in_tmp(path, sizeof(path), "id.key");
	path_in_tmp(link, sizeof(link), "link.key");
	weft_keypair_generate(&kp);
	assert_int_equal(weft_keyfile_write_ed25519(path, &kp, 0), 0);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(weft_keyfile_read_ed25519(link, &back), -ELOOP);
	/* Writing without overwrite must not follow it either. */
	assert_int_equal(weft_keyfile_write_ed25519(link, &kp, 0), -EEXIST);
	/* A directory is not a key file. */
	path_in_tmp(path, sizeof(path), "dir");
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(weft_keyfile_read_ed25519(path, &back), -EISDIR);
	path_in_tmp(path, sizeof(path), "absent.key");
	assert_int_equal(weft_keyfile_read_ed25519(path, &back), -ENOENT);
	assert_int_equal(weft_keyfile_write_ed25519("/nonexistent-dir-weft/x.key", &kp, 0), -ENOENT);
}

static void test_keyfile_garbled(void **state)
{
	char good[128], b64[WEFT_WGKEY_B64_LEN + 1], path[256];
	weft_keypair_t kp, back;
	weft_wgkey_t wg;
	char *big;
	size_t i;
	struct {
		const char *text;
		int ed, wg;
	} cases[] = {
		{ "", 1, 1 },
		{ "\n", 1, 1 },
		{ "weft-ed25519 \n", 1, 1 },
		{ "weft-ed25519 nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A", 1, 1 }, /* truncated */
		{ "weft-ed25519 nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2", 1, 1 },
		{ "weft-ed25519 nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=x\n", 1, 1 }, /* trailing junk */
		{ "weft-ed25519 nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=\nx", 1, 1 },
		{ "weft-ed25519 nWGxne/9WmC6hEr0kuwsxERJx!l7MmkZcDusAxyuf2A=\n", 1, 1 }, /* bad char */
		{ "weft-ed25519  nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=\n", 1, 1 },
		{ "weft-ed25519\tnWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=\n", 1, 1 },
		{ "weft-x25519 nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=\n", 1, 1 },
		{ "WEFT-ED25519 nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=\n", 1, 1 },
		{ "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=\n", 1, 0 }, /* a wg file */
		{ "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2B=\n", 1, 1 },
		{ "weft-ed25519 nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=\n", 0, 1 },
		{ "weft-ed25519 nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A= \r\n", 0, 1 },
	};

	empty_tmpdir();
	path_in_tmp(path, sizeof(path), "k");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r;

		write_plain(path, cases[i].text, strlen(cases[i].text), 0600);
		r = weft_keyfile_read_ed25519(path, &back);
		if (cases[i].ed ? r != WEFT_EMALFORMED : r != 0)
			fail_msg("ed25519 case %zu: %d", i, r);
		r = weft_keyfile_read_wg(path, &wg);
		if (cases[i].wg ? r != WEFT_EMALFORMED : r != 0)
			fail_msg("wg case %zu: %d", i, r);
	}
	/* The accepted form is the RFC 8032 seed. */
	assert_int_equal(weft_keyfile_read_ed25519(path, &back), 0);
	weft_pk_to_hex(good, &back.pk);
	assert_string_equal(good, RFC_PK);

	/* A NUL inside the file is garbage, not an end. */
	weft_keypair_generate(&kp);
	weft_key_to_base64(b64, kp.sk);
	snprintf(good, sizeof(good), "weft-ed25519 %s\n", b64);
	good[20] = '\0';
	write_plain(path, good, strlen(b64) + 14, 0600);
	assert_int_equal(weft_keyfile_read_ed25519(path, &back), WEFT_EMALFORMED);

	/* Oversize files are refused before reading. */
	big = malloc(70000);
	assert_non_null(big);
	memset(big, 'A', 70000);
	write_plain(path, big, 70000, 0600);
	free(big);
	assert_int_equal(weft_keyfile_read_ed25519(path, &back), WEFT_EOVERSIZE);
}

static void test_secret_file(void **state)
{
	static const uint8_t data[] = { 's', 0, 'e', 0xff, 'c', '\n', 0 };
	char path[256], *got = NULL, cwd[4096];
	size_t len = 0;

	empty_tmpdir();
	path_in_tmp(path, sizeof(path), "secret.bin");
	assert_int_equal(weft_secret_file_write(path, data, sizeof(data), 0), 0);
	assert_int_equal(weft_secret_file_read(path, &got, &len), 0);
	assert_int_equal(len, sizeof(data));
	assert_memory_equal(got, data, sizeof(data));
	assert_int_equal(got[len], '\0');
	weft_secret_free(got, len);
	weft_secret_free(NULL, 0);

	/* Empty data and a relative path (the directory is ".") work too. */
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(tmpdir), 0);
	assert_int_equal(weft_secret_file_write("empty", data, 0, 0), 0);
	assert_int_equal(weft_secret_file_read("empty", &got, &len), 0);
	assert_int_equal(len, 0);
	weft_secret_free(got, len);
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(count_files(), 2);

	assert_int_equal(weft_secret_file_write(tmpdir, data, 1, 1), -EISDIR);
	path_in_tmp(path, sizeof(path), "");
	assert_int_equal(weft_secret_file_write(path, data, 1, 1), -EISDIR);
	assert_int_equal(weft_secret_file_read(tmpdir, &got, &len), -EISDIR);
	assert_null(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wg_pubkey_matches_wg),
		cmocka_unit_test(test_wgpair_generate),
		cmocka_unit_test(test_base64_strict),
		cmocka_unit_test(test_ed25519_vector),
		cmocka_unit_test(test_sign_verify),
		cmocka_unit_test(test_fingerprint),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_keyfile_ed25519),
		cmocka_unit_test(test_keyfile_wg),
		cmocka_unit_test(test_keyfile_permissions),
		cmocka_unit_test(test_keyfile_symlink),
		cmocka_unit_test(test_keyfile_garbled),
		cmocka_unit_test(test_secret_file),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
