/* Keys and ids: Ed25519 and X25519 key pairs, their text forms (base64 as
 * `wg` prints it, base32 fingerprints, hex) and secret files written 0600
 * atomically and refused on read when group or others may read them. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "core/error.h"
#include "core/fileio.h"
#include "core/keys.h"

#define SECRET_FILE_MAX (64 * 1024)
#define ED25519_TAG "weft-ed25519 "
#define ED25519_TAG_LEN (sizeof(ED25519_TAG) - 1)

int weft_crypto_init(void)
{
	/* 0 = initialised now, 1 = already initialised. */
	return sodium_init() < 0 ? -EIO : 0;
}

void weft_keys_wipe(void *p, size_t len)
{
	sodium_memzero(p, len);
}

void weft_keypair_generate(weft_keypair_t *kp)
{
	crypto_sign_keypair(kp->pk.b, kp->sk);
}

void weft_keypair_from_seed(weft_keypair_t *kp, const uint8_t seed[WEFT_SEED_LEN])
{
	crypto_sign_seed_keypair(kp->pk.b, kp->sk, seed);
}

/* The same clamping `wg genkey` applies (curve25519_clamp_secret), so that a
 * key we write is byte-identical to what wg would have written for it. */
static void wg_clamp(uint8_t k[WEFT_WGKEY_LEN])
{
	k[0] &= 248;
	k[31] = (k[31] & 127) | 64;
}

void weft_wgkey_public(weft_wgkey_t *pub, const weft_wgkey_t *priv)
{
	uint8_t k[WEFT_WGKEY_LEN];

	/* `wg pubkey` accepts unclamped keys and clamps before multiplying;
	 * libsodium clamps internally too, but be explicit. A clamped scalar
	 * never yields the all-zero point, so this cannot fail. */
	memcpy(k, priv->b, sizeof(k));
	wg_clamp(k);
	crypto_scalarmult_base(pub->b, k);
	sodium_memzero(k, sizeof(k));
}

void weft_wgpair_generate(weft_wgpair_t *kp)
{
	randombytes_buf(kp->priv.b, sizeof(kp->priv.b));
	wg_clamp(kp->priv.b);
	weft_wgkey_public(&kp->pub, &kp->priv);
}

int weft_sign(uint8_t sig[WEFT_SIG_LEN], const uint8_t *msg, size_t len, const weft_keypair_t *kp)
{
	if (crypto_sign_detached(sig, NULL, msg, len, kp->sk) != 0)
		return -EINVAL;
	return 0;
}

int weft_verify(const uint8_t sig[WEFT_SIG_LEN], const uint8_t *msg, size_t len, const weft_pk_t *pk)
{
	if (crypto_sign_verify_detached(sig, msg, len, pk->b) != 0)
		return WEFT_EBADSIG;
	return 0;
}

void weft_key_to_base64(char out[WEFT_WGKEY_B64_LEN + 1], const uint8_t key[32])
{
	sodium_bin2base64(out, WEFT_WGKEY_B64_LEN + 1, key, 32, sodium_base64_VARIANT_ORIGINAL);
}

/* Strict: exactly 44 characters of the standard alphabet ending in one '=',
 * and the two unused bits of the last data character zero, so that every key
 * has exactly one accepted text form. libsodium's decoder is constant time,
 * which matters because private keys pass through here. */
int weft_key_from_base64(uint8_t key[32], const char *in)
{
	const char *end = NULL;
	uint8_t high = 0;
	size_t n = 0, i;

	if (!in || strnlen(in, WEFT_WGKEY_B64_LEN + 1) != WEFT_WGKEY_B64_LEN)
		return WEFT_EMALFORMED;
	/* libsodium 1.0.18 decodes any byte >= 0x80 as if it were a valid
	 * character (found by fuzz-addr). Refuse them first, without a
	 * branch per character. */
	for (i = 0; i < WEFT_WGKEY_B64_LEN; i++)
		high |= (uint8_t)in[i];
	if (high & 0x80)
		return WEFT_EMALFORMED;
	if (sodium_base642bin(key, 32, in, WEFT_WGKEY_B64_LEN, NULL, &n, &end, sodium_base64_VARIANT_ORIGINAL) !=
		    0 ||
	    n != 32 || end != in + WEFT_WGKEY_B64_LEN) {
		sodium_memzero(key, 32);
		return WEFT_EMALFORMED;
	}
	return 0;
}

static void base32_encode(char *out, size_t out_chars, const uint8_t *in, size_t in_len)
{
	static const char alpha[] = "abcdefghijklmnopqrstuvwxyz234567";
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t i = 0, o = 0;

	while (o < out_chars) {
		if (bits < 5) {
			acc = (acc << 8) | (i < in_len ? in[i] : 0);
			i++;
			bits += 8;
		}
		out[o++] = alpha[(acc >> (bits - 5)) & 31];
		bits -= 5;
	}
	out[o] = '\0';
}

void weft_fingerprint(char out[WEFT_FPR_LEN + 1], const weft_pk_t *pk)
{
	uint8_t h[20];

	crypto_generichash(h, sizeof(h), pk->b, sizeof(pk->b), NULL, 0);
	/* 16 chars = 80 bits = the first 10 bytes of the hash. */
	base32_encode(out, WEFT_FPR_LEN, h, sizeof(h));
}

void weft_pk_to_hex(char out[65], const weft_pk_t *pk)
{
	sodium_bin2hex(out, 65, pk->b, sizeof(pk->b));
}

int weft_pk_from_hex(weft_pk_t *pk, const char *hex)
{
	const char *end = NULL;
	size_t n = 0;

	if (!hex || strnlen(hex, 65) != 64)
		return WEFT_EMALFORMED;
	if (sodium_hex2bin(pk->b, sizeof(pk->b), hex, 64, NULL, &n, &end) != 0 || n != 32 || end != hex + 64)
		return WEFT_EMALFORMED;
	return 0;
}

/* Splits path into the directory (opened, for the *at calls and the final
 * fsync) and the base name (pointer into path). */
static int open_parent(const char *path, const char **base)
{
	char dir[PATH_MAX];
	int fd, ret;

	ret = weft_fileio_split(path, dir, sizeof(dir), base);
	if (ret)
		return ret;
	fd = weft_fileio_open_dir(dir);
	if (**base == '\0' || strcmp(*base, ".") == 0 || strcmp(*base, "..") == 0) {
		if (fd >= 0)
			close(fd);
		return -EISDIR;
	}
	return fd;
}

/* Moves tmp to base without replacing an existing file. renameat2 with
 * RENAME_NOREPLACE is atomic; filesystems without it get link + unlink,
 * which is just as race-free (link fails with EEXIST). */
static int install_noreplace(int dfd, const char *tmp, const char *base)
{
	if (renameat2(dfd, tmp, dfd, base, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -errno;
	if (linkat(dfd, tmp, dfd, base, 0) != 0)
		return -errno;
	unlinkat(dfd, tmp, 0);
	return 0;
}

int weft_secret_file_write(const char *path, const void *data, size_t len, int overwrite)
{
	const char *base;
	char tmp[NAME_MAX + 1];
	uint8_t rnd[8];
	int dfd, fd = -1, ret, tmp_made = 0;

	if (!path || !data)
		return -EINVAL;
	dfd = open_parent(path, &base);
	if (dfd < 0)
		return dfd;
	randombytes_buf(rnd, sizeof(rnd));
	ret = snprintf(tmp, sizeof(tmp), ".%.200s.tmp-%02x%02x%02x%02x%02x%02x%02x%02x", base, rnd[0], rnd[1],
		       rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
	if (ret < 0 || (size_t)ret >= sizeof(tmp)) {
		ret = -ENAMETOOLONG;
		goto out;
	}
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	tmp_made = 1;
	/* The mode given to open is filtered by the umask; fchmod is not, and
	 * also drops bits a hostile umask of 0 would have let through. */
	if (fchmod(fd, 0600) != 0) {
		ret = -errno;
		goto out;
	}
	ret = weft_fileio_write_all(fd, data, len);
	if (ret)
		goto out;
	ret = weft_fileio_sync_close(&fd);
	if (ret)
		goto out;
	if (overwrite) {
		if (renameat(dfd, tmp, dfd, base) != 0) {
			ret = -errno;
			goto out;
		}
	} else {
		ret = install_noreplace(dfd, tmp, base);
		if (ret)
			goto out;
	}
	tmp_made = 0;
	ret = weft_fileio_sync_dir(dfd);
out:
	if (fd >= 0)
		close(fd);
	if (tmp_made)
		unlinkat(dfd, tmp, 0);
	close(dfd);
	return ret;
}

void weft_secret_free(char *data, size_t len)
{
	if (!data)
		return;
	sodium_memzero(data, len);
	sodium_free(data);
}

int weft_secret_file_read(const char *path, char **data, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	size_t cap = 0, got = 0;
	int fd, ret;

	*data = NULL;
	*len = 0;
	if (!path)
		return -EINVAL;
	/* O_NOFOLLOW: a key path that is a symlink is refused (ELOOP) rather
	 * than followed to wherever someone pointed it. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) != 0) {
		ret = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		goto out;
	}
	if (st.st_mode & 077) {
		ret = WEFT_EKEYPERM;
		goto out;
	}
	if (st.st_size > SECRET_FILE_MAX) {
		ret = WEFT_EOVERSIZE;
		goto out;
	}
	/* One byte beyond the size to notice a file that grew, one for NUL. */
	cap = (size_t)st.st_size + 2;
	buf = sodium_malloc(cap);
	if (!buf) {
		ret = -ENOMEM;
		goto out;
	}
	ret = weft_fileio_read_all(fd, buf, cap - 1, &got);
	if (ret)
		goto out;
	if (got > (size_t)st.st_size) {
		ret = -EAGAIN; /* changed while we read it */
		goto out;
	}
	buf[got] = '\0';
	*data = buf;
	*len = got;
	buf = NULL;
	ret = 0;
out:
	if (buf)
		weft_secret_free(buf, cap);
	close(fd);
	return ret;
}

/* Key text ends at the key or at trailing white space (a final newline, or
 * what an editor left), as wg's own key file reader allows. */
static bool only_space(const char *p, const char *end)
{
	for (; p < end; p++)
		if (*p != '\n' && *p != '\r' && *p != ' ' && *p != '\t')
			return false;
	return true;
}

static int parse_key_text(uint8_t key[32], const char *text, size_t len)
{
	char b64[WEFT_WGKEY_B64_LEN + 1];
	int ret;

	if (len < WEFT_WGKEY_B64_LEN || !only_space(text + WEFT_WGKEY_B64_LEN, text + len))
		return WEFT_EMALFORMED;
	memcpy(b64, text, WEFT_WGKEY_B64_LEN);
	b64[WEFT_WGKEY_B64_LEN] = '\0';
	ret = weft_key_from_base64(key, b64);
	sodium_memzero(b64, sizeof(b64));
	return ret;
}

int weft_keyfile_write_ed25519(const char *path, const weft_keypair_t *kp, int overwrite)
{
	char line[ED25519_TAG_LEN + WEFT_WGKEY_B64_LEN + 2];
	int ret;

	memcpy(line, ED25519_TAG, ED25519_TAG_LEN);
	weft_key_to_base64(line + ED25519_TAG_LEN, kp->sk); /* the seed is sk[0..31] */
	line[ED25519_TAG_LEN + WEFT_WGKEY_B64_LEN] = '\n';
	ret = weft_secret_file_write(path, line, ED25519_TAG_LEN + WEFT_WGKEY_B64_LEN + 1, overwrite);
	sodium_memzero(line, sizeof(line));
	return ret;
}

int weft_keyfile_read_ed25519(const char *path, weft_keypair_t *kp)
{
	uint8_t seed[WEFT_SEED_LEN];
	char *text = NULL;
	size_t len = 0;
	int ret;

	ret = weft_secret_file_read(path, &text, &len);
	if (ret)
		return ret;
	if (len < ED25519_TAG_LEN || memcmp(text, ED25519_TAG, ED25519_TAG_LEN) != 0) {
		ret = WEFT_EMALFORMED;
		goto out;
	}
	ret = parse_key_text(seed, text + ED25519_TAG_LEN, len - ED25519_TAG_LEN);
	if (ret)
		goto out;
	weft_keypair_from_seed(kp, seed);
out:
	sodium_memzero(seed, sizeof(seed));
	weft_secret_free(text, len);
	return ret;
}

int weft_keyfile_write_wg(const char *path, const weft_wgkey_t *priv, int overwrite)
{
	char line[WEFT_WGKEY_B64_LEN + 1];
	int ret;

	weft_key_to_base64(line, priv->b);
	line[WEFT_WGKEY_B64_LEN] = '\n';
	ret = weft_secret_file_write(path, line, sizeof(line), overwrite);
	sodium_memzero(line, sizeof(line));
	return ret;
}

int weft_keyfile_read_wg(const char *path, weft_wgkey_t *priv)
{
	char *text = NULL;
	size_t len = 0;
	int ret;

	ret = weft_secret_file_read(path, &text, &len);
	if (ret)
		return ret;
	ret = parse_key_text(priv->b, text, len);
	weft_secret_free(text, len);
	return ret;
}
