/* fuzz-record: arbitrary bytes into weft_record_decode. Whatever decodes
 * must re-encode to exactly the input and answer subject, version and hash;
 * signed again with a fixed key it must be accepted and decode to the same
 * body, so sign and decode agree on what a valid record is. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/record.h"

#include "tests/fuzz/record-samples.h"

static weft_keypair_t fuzz_kp;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if (weft_crypto_init())
		abort();
	sample_keypair(&fuzz_kp, SAMPLE_NODE);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static weft_record_t r, s, d;
	uint8_t again[WEFT_RECORD_MAX], subject[32], hash[32];
	const char *why = NULL;
	size_t len;

	if (weft_record_decode(&r, data, size, &why) != 0) {
		if (!why || r.raw_len != 0)
			abort();
		return 0;
	}
	if (r.raw_len != size || memcmp(r.raw, data, size) != 0 || !weft_record_raw_matches(&r))
		abort();
	if (weft_record_encode(&r, again, sizeof(again), &len, &why) != 0 || len != size ||
	    memcmp(again, data, size) != 0)
		abort();
	if (strcmp(weft_rec_type_name(r.type), "unknown") == 0)
		abort();
	weft_record_subject(&r, subject);
	weft_record_hash(&r, hash);
	(void)weft_record_version(&r);
	(void)weft_record_verify(&r);

	/* The fields bound to the signer follow the new signer. */
	s = r;
	if (s.type == WEFT_REC_NODE_STATE)
		s.u.node_state.node_id = fuzz_kp.pk;
	if (s.type == WEFT_REC_ADMIN_ROLL) {
		if (memcmp(s.u.admin_roll.new_pk.b, fuzz_kp.pk.b, WEFT_PK_LEN) == 0)
			return 0;
		s.u.admin_roll.old_pk = fuzz_kp.pk;
	}
	if (weft_record_sign(&s, &fuzz_kp) != 0 || weft_record_verify(&s) != 0)
		abort();
	if (weft_record_decode(&d, s.raw, s.raw_len, &why) != 0)
		abort();
	if (memcmp(&d.u, &s.u, sizeof(d.u)) != 0 || d.raw_len != s.raw_len)
		abort();
	return 0;
}
