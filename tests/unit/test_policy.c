/* The policy file parser (every error with its line), the printer's round
 * trip, and the pair decision: first match, either order, default, and
 * symmetry over every pair of a small tag universe. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/error.h"
#include "core/keys.h"
#include "core/policy.h"
#include "core/record.h"

typedef char tag_t[WEFT_TAG_MAX + 1];

static int parse(const char *text, struct weft_rec_policy *p, char *err)
{
	return weft_policy_parse(text, strlen(text), p, err, WEFT_POLICY_ERR_MAX);
}

static void test_parse_good(void **state)
{
	struct weft_rec_policy p;
	char err[WEFT_POLICY_ERR_MAX];

	assert_int_equal(parse("# a comment\n\n  default deny   # trailing\r\n"
			       "allow admin -> *\n\tdeny guest->printer\nallow * -> dns_1\n",
			       &p, err),
			 0);
	assert_int_equal(p.default_action, WEFT_POLICY_DENY);
	assert_int_equal(p.nrules, 3);
	assert_int_equal(p.rules[0].action, WEFT_POLICY_ALLOW);
	assert_string_equal(p.rules[0].from, "admin");
	assert_string_equal(p.rules[0].to, "*");
	assert_int_equal(p.rules[1].action, WEFT_POLICY_DENY);
	assert_string_equal(p.rules[1].from, "guest");
	assert_string_equal(p.rules[1].to, "printer");
	assert_string_equal(p.rules[2].from, "*");
	assert_string_equal(p.rules[2].to, "dns_1");
	assert_int_equal(p.version, 0);

	/* Empty text, comments only, no newline at the end. */
	assert_int_equal(parse("", &p, err), 0);
	assert_int_equal(p.default_action, WEFT_POLICY_ALLOW);
	assert_int_equal(p.nrules, 0);
	assert_int_equal(parse("# only\n#comments", &p, err), 0);
	assert_int_equal(p.nrules, 0);
	assert_int_equal(parse("deny a -> b", &p, err), 0);
	assert_int_equal(p.nrules, 1);
	assert_int_equal(p.default_action, WEFT_POLICY_ALLOW);
	/* default after rules is fine. */
	assert_int_equal(parse("deny a -> b\ndefault deny\n", &p, err), 0);
	assert_int_equal(p.default_action, WEFT_POLICY_DENY);
}

static void test_parse_errors(void **state)
{
	static const struct {
		const char *text, *err;
	} bad[] = {
		{ "default allow\npermit a -> b\n", "line 2: unknown action 'permit'" },
		{ "allow a -> b\ndefault deny\n\ndefault allow\n",
		  "line 4: default is given twice (first on line 2)" },
		{ "default maybe\n", "line 1: bad default" },
		{ "default\n", "line 1: bad default" },
		{ "default allow deny\n", "line 1: bad default" },
		{ "# x\nallow a b\n", "line 2: expected 'allow FROM -> TO'" },
		{ "allow a -> \n", "line 1: expected 'allow FROM -> TO'" },
		{ "deny a -> b -> c\n", "line 1: expected 'deny FROM -> TO'" },
		{ "allow a => b\n", "line 1: expected" },
		{ "\n\nallow Web -> db\n", "line 3: bad tag 'Web'" },
		{ "allow web -> d.b\n", "line 1: bad tag 'd.b'" },
		{ "allow ** -> db\n", "line 1: bad tag '**'" },
		{ "allow aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa -> b\n", "line 1: bad tag" }, /* 32 chars */
		{ "allow a -> b\x01\n", "line 1: unexpected byte 0x01" },
		{ "allow a -> b\nallow a\r -> b\n", "line 2: unexpected byte 0x0d" },
		{ "allow \xc3\xa9 -> b\n", "line 1: unexpected byte 0xc3" },
		{ "ALLOW a -> b\n", "line 1: unknown action 'ALLOW'" },
	};
	struct weft_rec_policy p;
	char err[WEFT_POLICY_ERR_MAX];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(err, 0, sizeof(err));
		if (parse(bad[i].text, &p, err) != WEFT_EMALFORMED)
			fail_msg("accepted policy #%zu", i);
		if (strncmp(err, bad[i].err, strlen(bad[i].err)) != 0)
			fail_msg("policy #%zu: got error '%s', want '%s...'", i, err, bad[i].err);
	}
	/* A NUL inside the text is a byte like any other control. */
	assert_int_equal(weft_policy_parse("allow a -> b\n\0", 14, &p, err, sizeof(err)), WEFT_EMALFORMED);
	assert_string_equal(err, "line 2: unexpected byte 0x00 (a policy is plain ASCII)");
	/* err may be NULL. */
	assert_int_equal(weft_policy_parse("bogus", 5, &p, NULL, 0), WEFT_EMALFORMED);
	/* A small buffer is truncated, not overrun. */
	memset(err, 'x', sizeof(err));
	assert_int_equal(weft_policy_parse("bogus", 5, &p, err, 8), WEFT_EMALFORMED);
	assert_string_equal(err, "line 1:");
	assert_int_equal(err[8], 'x');
}

static void test_too_many_rules(void **state)
{
	struct weft_rec_policy p;
	char text[2048], err[WEFT_POLICY_ERR_MAX];
	size_t off = 0;
	int i;

	off += (size_t)snprintf(text + off, sizeof(text) - off, "default deny\n");
	for (i = 0; i < WEFT_MAX_RULES; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off, "allow t%d -> *\n", i);
	assert_int_equal(parse(text, &p, err), 0);
	assert_int_equal(p.nrules, WEFT_MAX_RULES);
	snprintf(text + off, sizeof(text) - off, "# comment\ndeny extra -> *\n");
	assert_int_equal(parse(text, &p, err), WEFT_EMALFORMED);
	assert_string_equal(err, "line 27: too many rules: a policy holds at most 24");

	/* Longer than the limit as a whole. */
	{
		static char big[WEFT_POLICY_TEXT_MAX + 2];

		memset(big, '\n', sizeof(big));
		assert_int_equal(weft_policy_parse(big, sizeof(big), &p, err, sizeof(err)), WEFT_EMALFORMED);
		assert_non_null(strstr(err, "longer than"));
		assert_int_equal(weft_policy_parse(big, WEFT_POLICY_TEXT_MAX, &p, err, sizeof(err)), 0);
	}
}

static void test_format_round_trip(void **state)
{
	struct weft_rec_policy p, q;
	char text[2048], err[WEFT_POLICY_ERR_MAX];
	size_t need;

	assert_int_equal(parse("allow web->db # x\ndefault deny\ndeny * -> guest\n", &p, err), 0);
	need = weft_policy_format(&p, text, sizeof(text));
	assert_int_equal(need, strlen(text));
	assert_string_equal(text, "default deny\nallow web -> db\ndeny * -> guest\n");
	assert_int_equal(parse(text, &q, err), 0);
	assert_memory_equal(&p, &q, sizeof(p));
	/* The length it needs, with no room at all. */
	assert_int_equal(weft_policy_format(&p, NULL, 0), need);
	assert_int_equal(weft_policy_format(&p, text, 5), need);
	assert_string_equal(text, "defa");
	/* No policy reads as default allow. */
	weft_policy_format(NULL, text, sizeof(text));
	assert_string_equal(text, "default allow\n");
}

static void test_decisions(void **state)
{
	struct weft_rec_policy p;
	char err[WEFT_POLICY_ERR_MAX];
	tag_t admin[] = { "admin" }, guest[] = { "guest" }, printer[] = { "printer", "eu" }, web[] = { "eu", "web" },
	      db[] = { "db" }, dns[] = { "dns" };

	assert_int_equal(parse("default deny\n"
			       "allow admin -> *\n"
			       "allow guest -> printer\n"
			       "deny guest -> *\n"
			       "allow web -> db\n"
			       "allow * -> dns\n",
			       &p, err),
			 0);
	assert_true(weft_policy_allows(&p, admin, 1, guest, 1));
	assert_int_equal(weft_policy_match(&p, admin, 1, guest, 1), 0);
	assert_true(weft_policy_allows(&p, guest, 1, printer, 2));
	assert_int_equal(weft_policy_match(&p, printer, 2, guest, 1), 1);
	assert_false(weft_policy_allows(&p, guest, 1, web, 2));
	assert_int_equal(weft_policy_match(&p, web, 2, guest, 1), 2);
	/* The rule is "web -> db"; db and web match it in either order. */
	assert_true(weft_policy_allows(&p, db, 1, web, 2));
	assert_true(weft_policy_allows(&p, web, 2, db, 1));
	assert_int_equal(weft_policy_match(&p, db, 1, web, 2), 3);
	/* Untagged members match only "*". */
	assert_true(weft_policy_allows(&p, NULL, 0, dns, 1));
	assert_false(weft_policy_allows(&p, NULL, 0, NULL, 0));
	assert_int_equal(weft_policy_match(&p, NULL, 0, NULL, 0), -1);
	assert_false(weft_policy_allows(&p, db, 1, printer, 2));
	/* guest and dns: "deny guest -> *" comes first. */
	assert_false(weft_policy_allows(&p, dns, 1, guest, 1));
	/* No policy: everything is allowed. */
	assert_true(weft_policy_allows(NULL, guest, 1, web, 2));
	/* Default allow with a deny. */
	assert_int_equal(parse("deny guest -> *\n", &p, err), 0);
	assert_false(weft_policy_allows(&p, web, 2, guest, 1));
	assert_true(weft_policy_allows(&p, web, 2, db, 1));
	assert_true(weft_policy_allows(&p, NULL, 0, NULL, 0));
}

/* allows(a, b) == allows(b, a) for random policies over a small universe of
 * tags and every pair of tag sets drawn from it. */
static void test_symmetry(void **state)
{
	static const char *universe[] = { "a", "b", "c", "d", "*" };
	tag_t sets[16][4];
	size_t nsets[16];
	struct weft_rec_policy p;
	unsigned iter, i, j, k, seed = 12345;

#define RND() (seed = seed * 1103515245u + 12345u, (seed >> 16) & 0x7fff)
	for (i = 0; i < 16; i++) {
		nsets[i] = 0;
		for (k = 0; k < 4; k++)
			if (i & (1u << k))
				snprintf(sets[i][nsets[i]++], sizeof(tag_t), "%s", universe[k]);
	}
	for (iter = 0; iter < 200; iter++) {
		memset(&p, 0, sizeof(p));
		p.default_action = RND() % 2 ? WEFT_POLICY_ALLOW : WEFT_POLICY_DENY;
		p.nrules = (uint8_t)(RND() % 6);
		for (k = 0; k < p.nrules; k++) {
			p.rules[k].action = RND() % 2 ? WEFT_POLICY_ALLOW : WEFT_POLICY_DENY;
			snprintf(p.rules[k].from, sizeof(p.rules[k].from), "%s", universe[RND() % 5]);
			snprintf(p.rules[k].to, sizeof(p.rules[k].to), "%s", universe[RND() % 5]);
		}
		for (i = 0; i < 16; i++)
			for (j = 0; j < 16; j++)
				if (weft_policy_allows(&p, (const tag_t *)sets[i], nsets[i], (const tag_t *)sets[j],
						       nsets[j]) !=
				    weft_policy_allows(&p, (const tag_t *)sets[j], nsets[j], (const tag_t *)sets[i],
						       nsets[i]))
					fail_msg("policy %u not symmetric for sets %u and %u", iter, i, j);
	}
#undef RND
}

/* A parsed policy is a valid POLICY record body: it signs and decodes
 * back to the same rules. */
static void test_signs(void **state)
{
	weft_record_t r, d;
	weft_keypair_t kp;
	char err[WEFT_POLICY_ERR_MAX];
	const char *why = NULL;

	assert_int_equal(weft_crypto_init(), 0);
	memset(&r, 0, sizeof(r));
	r.type = WEFT_REC_POLICY;
	assert_int_equal(parse("default deny\nallow a-b_c -> *\ndeny x->y\n", &r.u.policy, err), 0);
	r.u.policy.version = 7;
	weft_keypair_generate(&kp);
	assert_int_equal(weft_record_sign(&r, &kp), 0);
	assert_int_equal(weft_record_decode(&d, r.raw, r.raw_len, &why), 0);
	assert_int_equal(weft_record_verify(&d), 0);
	assert_int_equal(d.u.policy.nrules, 2);
	assert_string_equal(d.u.policy.rules[0].from, "a-b_c");
	assert_int_equal(d.u.policy.default_action, WEFT_POLICY_DENY);
	weft_keys_wipe(&kp, sizeof(kp));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),     cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_too_many_rules), cmocka_unit_test(test_format_round_trip),
		cmocka_unit_test(test_decisions),      cmocka_unit_test(test_symmetry),
		cmocka_unit_test(test_signs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
