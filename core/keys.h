/* Keys and ids: Ed25519 identity/admin/invite keys, X25519 WireGuard keys,
 * their text forms (base64 as `wg` prints them, base32 fingerprints for
 * people) and key files (0600, refused when readable by others). Secret key
 * material is wiped with weft_keys_wipe() on every exit path. */
#ifndef WEFT_KEYS_H
#define WEFT_KEYS_H

#include <stddef.h>
#include <stdint.h>

#define WEFT_PK_LEN 32   /* Ed25519 public key = node id / network id */
#define WEFT_SEED_LEN 32 /* Ed25519 secret seed */
#define WEFT_SK_LEN 64   /* libsodium's expanded Ed25519 secret key */
#define WEFT_SIG_LEN 64
#define WEFT_WGKEY_LEN 32     /* X25519 */
#define WEFT_WGKEY_B64_LEN 44 /* without NUL, as `wg` prints */
#define WEFT_FPR_LEN 16       /* chars of a short fingerprint, no NUL */

typedef struct {
	uint8_t b[WEFT_PK_LEN];
} weft_pk_t;

/* An Ed25519 key pair. sk holds seed||pk as libsodium expects. */
typedef struct {
	weft_pk_t pk;
	uint8_t sk[WEFT_SK_LEN];
} weft_keypair_t;

typedef struct {
	uint8_t b[WEFT_WGKEY_LEN];
} weft_wgkey_t;

/* An X25519 WireGuard key pair (private key clamped as wg genkey does). */
typedef struct {
	weft_wgkey_t pub;
	weft_wgkey_t priv;
} weft_wgpair_t;

/* Must be called once before any other weft function (wraps sodium_init). */
int weft_crypto_init(void);

void weft_keypair_generate(weft_keypair_t *kp);
void weft_keypair_from_seed(weft_keypair_t *kp, const uint8_t seed[WEFT_SEED_LEN]);
void weft_wgpair_generate(weft_wgpair_t *kp);
void weft_wgkey_public(weft_wgkey_t *pub, const weft_wgkey_t *priv);
void weft_keys_wipe(void *p, size_t len);

int weft_sign(uint8_t sig[WEFT_SIG_LEN], const uint8_t *msg, size_t len, const weft_keypair_t *kp);
int weft_verify(const uint8_t sig[WEFT_SIG_LEN], const uint8_t *msg, size_t len, const weft_pk_t *pk);

/* base64 (standard, padded) of a 32-byte key; out has room for 45 bytes. */
void weft_key_to_base64(char out[WEFT_WGKEY_B64_LEN + 1], const uint8_t key[32]);
int weft_key_from_base64(uint8_t key[32], const char *in);

/* Short base32 (RFC 4648 alphabet, lower case) fingerprint: the first
 * WEFT_FPR_LEN chars of base32(BLAKE2b-160(pk)). Out has room for NUL. */
void weft_fingerprint(char out[WEFT_FPR_LEN + 1], const weft_pk_t *pk);
/* Full lower-case hex of a public key (64 chars + NUL). */
void weft_pk_to_hex(char out[65], const weft_pk_t *pk);
int weft_pk_from_hex(weft_pk_t *pk, const char *hex);

/* Key files. An Ed25519 key file is one line "weft-ed25519 <base64 seed>";
 * a WireGuard key file is the base64 private key as `wg genkey` writes it.
 * Writing creates the file 0600 with O_EXCL (-EEXIST if present) unless
 * overwrite is set, then fsyncs. Reading refuses (WEFT_EKEYPERM) a file that
 * group or others may read, and wipes every buffer it used. */
int weft_keyfile_write_ed25519(const char *path, const weft_keypair_t *kp, int overwrite);
int weft_keyfile_read_ed25519(const char *path, weft_keypair_t *kp);
int weft_keyfile_write_wg(const char *path, const weft_wgkey_t *priv, int overwrite);
int weft_keyfile_read_wg(const char *path, weft_wgkey_t *priv);

/* Write any secret-bearing buffer to a new 0600 file atomically (temp,
 * fsync, rename, fsync dir). Used by key files and admin files. */
int weft_secret_file_write(const char *path, const void *data, size_t len, int overwrite);
/* Read a whole secret-bearing file (refusing loose permissions) into a
 * sodium_malloc'd buffer; free it with weft_secret_free(). */
int weft_secret_file_read(const char *path, char **data, size_t *len);
void weft_secret_free(char *data, size_t len);

#endif
