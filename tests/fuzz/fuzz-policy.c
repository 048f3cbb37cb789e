/* Fuzz the policy file parser (core/policy.c): any input either parses or
 * fails with a "line N: ..." message; what parses is a valid POLICY body
 * (record.c's checks), prints and parses back to the same body, and its
 * pair decision is symmetric for tag sets drawn from its own rules. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/policy.h"
#include "core/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                 \
	do {                     \
		if (!(x))        \
			abort(); \
	} while (0)

typedef char tag_t[WEFT_TAG_MAX + 1];

static char text[2 * 2048];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct weft_rec_policy p, back;
	weft_record_t r;
	char err[WEFT_POLICY_ERR_MAX];
	const char *why = NULL;
	tag_t a[3], b[3];
	size_t need, i, na, nb;
	int ret;

	memset(err, 0x55, sizeof(err));
	ret = weft_policy_parse((const char *)data, size, &p, err, sizeof(err));
	if (ret) {
		CHECK(ret == WEFT_EMALFORMED);
		CHECK(memchr(err, '\0', sizeof(err)) != NULL);
		CHECK(!strncmp(err, "line ", 5) || strstr(err, "longer than"));
		return 0;
	}
	CHECK(p.nrules <= WEFT_MAX_RULES);
	CHECK(p.default_action == WEFT_POLICY_ALLOW || p.default_action == WEFT_POLICY_DENY);
	/* A valid record body. */
	memset(&r, 0, sizeof(r));
	r.type = WEFT_REC_POLICY;
	r.u.policy = p;
	CHECK(weft_record_check(&r, &why) == 0);
	/* Print and parse back. */
	need = weft_policy_format(&p, text, sizeof(text));
	CHECK(need < sizeof(text) && need == strlen(text));
	CHECK(weft_policy_parse(text, need, &back, err, sizeof(err)) == 0);
	CHECK(!memcmp(&p, &back, sizeof(p)));
	/* Symmetry over tag sets made of the rules' own tags. */
	for (i = 0; i + 1 < p.nrules; i++) {
		na = nb = 0;
		memcpy(a[na++], p.rules[i].from, sizeof(tag_t));
		memcpy(b[nb++], p.rules[i].to, sizeof(tag_t));
		memcpy(a[na++], p.rules[i + 1].to, sizeof(tag_t));
		memcpy(b[nb++], p.rules[i + 1].from, sizeof(tag_t));
		CHECK(weft_policy_allows(&p, (const tag_t *)a, na, (const tag_t *)b, nb) ==
		      weft_policy_allows(&p, (const tag_t *)b, nb, (const tag_t *)a, na));
		CHECK(weft_policy_match(&p, (const tag_t *)a, na, (const tag_t *)b, nb) ==
		      weft_policy_match(&p, (const tag_t *)b, nb, (const tag_t *)a, na));
		CHECK(weft_policy_allows(&p, (const tag_t *)a, 1, NULL, 0) ==
		      weft_policy_allows(&p, NULL, 0, (const tag_t *)a, 1));
	}
	return 0;
}
