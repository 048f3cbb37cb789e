/* A network's health problems (daemon/health.h): new and ended problems are
 * told once, `since` is the first time, messages are cut safely, and the
 * JSON `weft status` prints has one object per problem, in code order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "daemon/health.h"
#include "daemon/net_internal.h"

static void test_set_clear_once(void **state)
{
	struct weft_health h;

	(void)state;
	memset(&h, 0, sizeof(h));
	assert_int_equal(weft_health_count(&h), 0);
	assert_true(weft_health_set(&h, WEFT_HEALTH_SAVE_FAILING, 1000, "cannot save: no space (free some)"));
	/* Still failing a second later: not new, `since` kept, message updated. */
	assert_false(weft_health_set(&h, WEFT_HEALTH_SAVE_FAILING, 2000, "cannot save: read-only (remount)"));
	assert_int_equal(h.item[WEFT_HEALTH_SAVE_FAILING].since_ms, 1000);
	assert_string_equal(h.item[WEFT_HEALTH_SAVE_FAILING].msg, "cannot save: read-only (remount)");
	assert_true(weft_health_has(&h, WEFT_HEALTH_SAVE_FAILING));
	assert_false(weft_health_has(&h, WEFT_HEALTH_CLOCK_SKEW));
	assert_int_equal(weft_health_count(&h), 1);
	assert_true(weft_health_clear(&h, WEFT_HEALTH_SAVE_FAILING));
	assert_false(weft_health_clear(&h, WEFT_HEALTH_SAVE_FAILING));
	assert_int_equal(weft_health_count(&h), 0);
	/* Back again: a new problem with a new `since`. */
	assert_true(weft_health_set(&h, WEFT_HEALTH_SAVE_FAILING, 5000, "again"));
	assert_int_equal(h.item[WEFT_HEALTH_SAVE_FAILING].since_ms, 5000);
	/* Codes out of range change nothing. */
	assert_false(weft_health_set(&h, WEFT_HEALTH_COUNT, 1, "x"));
	assert_false(weft_health_clear(&h, (enum weft_health_code) - 1));
	assert_null(weft_health_code_name(WEFT_HEALTH_COUNT));
	assert_int_equal(weft_health_count(&h), 1);
}

static void test_long_message_cut_on_utf8(void **state)
{
	struct weft_health h;
	char msg[WEFT_HEALTH_MSG_MAX + 8];
	size_t i;

	(void)state;
	memset(&h, 0, sizeof(h));
	/* 'a' then two-byte characters across the cut. */
	msg[0] = 'a';
	for (i = 1; i + 1 < sizeof(msg) - 1; i += 2) {
		msg[i] = (char)0xc3;
		msg[i + 1] = (char)0xa9;
	}
	msg[i] = '\0';
	weft_health_set(&h, WEFT_HEALTH_CLOCK_SKEW, 1, msg);
	size_t len = strlen(h.item[WEFT_HEALTH_CLOCK_SKEW].msg);
	assert_true(len < WEFT_HEALTH_MSG_MAX);
	assert_int_equal(len % 2, 1); /* 'a' + whole characters only */
	struct json_object *a = weft_health_json(&h);
	assert_non_null(a);
	const char *text = json_object_to_json_string(a);
	struct json_object *back = json_tokener_parse(text);
	assert_non_null(back);
	json_object_put(back);
	json_object_put(a);
}

static void test_json(void **state)
{
	struct weft_health h;
	struct json_object *a, *o, *v;

	(void)state;
	memset(&h, 0, sizeof(h));
	a = weft_health_json(&h);
	assert_non_null(a);
	assert_int_equal(json_object_array_length(a), 0);
	json_object_put(a);
	weft_health_set(&h, WEFT_HEALTH_UNREACHABLE, 7000, "2 members unreachable");
	weft_health_set(&h, WEFT_HEALTH_SAVE_FAILING, 3000, "cannot save");
	a = weft_health_json(&h);
	assert_int_equal(json_object_array_length(a), 2);
	o = json_object_array_get_idx(a, 0);
	assert_true(json_object_object_get_ex(o, "code", &v));
	assert_string_equal(json_object_get_string(v), "save-failing");
	assert_true(json_object_object_get_ex(o, "since", &v));
	assert_int_equal(json_object_get_int64(v), 3);
	o = json_object_array_get_idx(a, 1);
	assert_true(json_object_object_get_ex(o, "code", &v));
	assert_string_equal(json_object_get_string(v), "members-unreachable");
	assert_true(json_object_object_get_ex(o, "message", &v));
	assert_string_equal(json_object_get_string(v), "2 members unreachable");
	json_object_put(a);
}

static void test_every_code_named(void **state)
{
	unsigned i, j;

	(void)state;
	for (i = 0; i < WEFT_HEALTH_COUNT; i++) {
		assert_non_null(weft_health_code_name(i));
		for (j = 0; j < i; j++)
			assert_string_not_equal(weft_health_code_name(i), weft_health_code_name(j));
	}
}

/* Issue #22: a member gossip stopped listening to (WEFT_GEV_MISBEHAVING)
 * is a member-misbehaving line, naming it with the command that cuts it
 * off, kept 15 minutes after the last report. */
static void test_member_misbehaving_line(void **state)
{
	struct weft_net *n = calloc(1, sizeof(*n));
	struct weft_now t = { 1, 1700000000000ull };
	weft_pk_t who;

	(void)state;
	assert_non_null(n);
	snprintf(n->name, sizeof(n->name), "lab");
	memset(who.b, 0xab, sizeof(who.b));
	weft_net_misbehaving(n, &who, 3, t);
	assert_true(weft_health_has(&n->health, WEFT_HEALTH_MISBEHAVING));
	assert_non_null(strstr(n->health.item[WEFT_HEALTH_MISBEHAVING].msg, "3 of its accusations proved wrong"));
	assert_non_null(
		strstr(n->health.item[WEFT_HEALTH_MISBEHAVING].msg, "weft revoke lab abababababab --admin-key"));
	/* Another report ten minutes later keeps it fifteen more. */
	t.wall_ms += 10 * 60 * 1000;
	weft_net_misbehaving(n, &who, 4, t);
	assert_int_equal(n->health.item[WEFT_HEALTH_MISBEHAVING].since_ms, 1700000000000ull);
	t.wall_ms += 14 * 60 * 1000;
	weft_net_misbehaving_expire(n, t);
	assert_true(weft_health_has(&n->health, WEFT_HEALTH_MISBEHAVING));
	t.wall_ms += 60 * 1000;
	weft_net_misbehaving_expire(n, t);
	assert_false(weft_health_has(&n->health, WEFT_HEALTH_MISBEHAVING));
	free(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_clear_once),
		cmocka_unit_test(test_long_message_cut_on_utf8),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_every_code_named),
		cmocka_unit_test(test_member_misbehaving_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
