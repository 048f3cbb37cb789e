/* What the daemon's integration tests need that weft itself (rightly) will
 * not do: a token altered by someone who recomputed its checksum, and a
 * revocation signed with the admin key and written as a `weft push` file.
 *
 *   itest-tool tamper TOKEN             print TOKEN with its invite's uses
 *                                       changed, checksum valid, signature not
 *   itest-tool revoke ADMINKEY NODE OUT write a revocation of NODE (hex id)
 *                                       signed by ADMINKEY to OUT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/error.h"
#include "core/keys.h"
#include "core/persist.h"
#include "core/record.h"
#include "core/store.h"
#include "core/token.h"

static int tamper(const char *text)
{
	char out[WEFT_TOKEN_MAX];
	uint8_t raw[WEFT_RECORD_MAX];
	size_t len = 0;
	const char *why = NULL;
	weft_token_t t;
	int ret;

	ret = weft_token_decode(&t, text, &why);
	if (ret) {
		fprintf(stderr, "itest-tool: %s\n", why);
		return 1;
	}
	/* What a forger would try: more uses, the admin's old signature. */
	t.invite.u.invite.max_uses += 100;
	ret = weft_record_encode(&t.invite, raw, sizeof(raw), &len, &why);
	if (ret) {
		fprintf(stderr, "itest-tool: %s\n", why);
		return 1;
	}
	memcpy(t.invite.raw, raw, len);
	t.invite.raw_len = (uint16_t)len;
	ret = weft_token_encode(&t, out, sizeof(out));
	weft_token_wipe(&t);
	if (ret) {
		fprintf(stderr, "itest-tool: encode: %s\n", weft_strerror(ret));
		return 1;
	}
	printf("%s\n", out);
	return 0;
}

static int revoke(const char *keyfile, const char *node_hex, const char *out)
{
	weft_keypair_t admin;
	weft_record_t r;
	weft_store_t *s;
	uint8_t *data = NULL;
	size_t len = 0;
	int ret;

	ret = weft_keyfile_read_ed25519(keyfile, &admin);
	if (ret) {
		fprintf(stderr, "itest-tool: %s: %s\n", keyfile, weft_strerror(ret));
		return 1;
	}
	memset(&r, 0, sizeof(r));
	r.type = WEFT_REC_REVOCATION;
	if (weft_pk_from_hex(&r.u.revocation.node_id, node_hex)) {
		fprintf(stderr, "itest-tool: bad node id\n");
		return 1;
	}
	r.u.revocation.time = (uint64_t)time(NULL);
	snprintf(r.u.revocation.reason, sizeof(r.u.revocation.reason), "test");
	ret = weft_record_sign(&r, &admin);
	s = weft_store_new(&admin.pk, NULL, NULL);
	weft_keys_wipe(&admin, sizeof(admin));
	if (!ret && s)
		ret = weft_store_merge(s, &r) > 0 ? 0 : -1;
	if (!ret)
		ret = weft_store_serialize(s, &data, &len);
	if (!ret)
		ret = weft_persist_write(out, WEFT_PERSIST_STORE, data, len, 0644);
	free(data);
	weft_store_free(s);
	if (ret) {
		fprintf(stderr, "itest-tool: revoke: %s\n", weft_strerror(ret));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (weft_crypto_init())
		return 1;
	if (argc == 3 && !strcmp(argv[1], "tamper"))
		return tamper(argv[2]);
	if (argc == 5 && !strcmp(argv[1], "revoke"))
		return revoke(argv[2], argv[3], argv[4]);
	fprintf(stderr, "usage: itest-tool tamper TOKEN | revoke ADMINKEY NODE OUT\n");
	return 2;
}
