/* Fuzz invite tokens. Each input is tried twice: as token text, as a person
 * would paste it, and as the token's msgpack body, wrapped here with a good
 * checksum and base64url so that the fuzzer reaches the structure and
 * record decoding behind the checksum. Whatever decodes is verified at a
 * few times and must re-encode to exactly the text it came from. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/token.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if (weft_crypto_init() != 0)
		abort();
	return 0;
}

static void try_text(const char *text)
{
	char again[WEFT_TOKEN_MAX];
	weft_token_t t;
	const char *why = NULL;
	uint64_t exp;

	if (weft_token_decode(&t, text, &why) != 0) {
		if (!why)
			abort(); /* every refusal has a reason */
		return;
	}
	/* One encoding per token: what decodes re-encodes to the same text. */
	if (weft_token_encode(&t, again, sizeof(again)) != 0 || strcmp(again, text) != 0)
		abort();
	exp = t.invite.u.invite.expires;
	weft_token_verify(&t, 0, &why);
	weft_token_verify(&t, UINT64_MAX, &why);
	if (exp) {
		weft_token_verify(&t, exp - 1, &why);
		weft_token_verify(&t, exp, &why);
	}
	weft_token_wipe(&t);
}

static void try_body(const uint8_t *data, size_t size)
{
	static uint8_t buf[WEFT_TOKEN_MAX];
	static char text[WEFT_TOKEN_MAX * 2];
	uint8_t h[crypto_generichash_BYTES];

	if (size + 4 > sizeof(buf) ||
	    6 + sodium_base64_ENCODED_LEN(size + 4, sodium_base64_VARIANT_URLSAFE_NO_PADDING) > sizeof(text))
		return;
	memcpy(buf, data, size);
	crypto_generichash(h, sizeof(h), data, size, NULL, 0);
	memcpy(buf + size, h, 4);
	memcpy(text, WEFT_TOKEN_PREFIX, 6);
	sodium_bin2base64(text + 6, sizeof(text) - 6, buf, size + 4, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	try_text(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	try_text(text);
	free(text);
	try_body(data, size);
	return 0;
}
