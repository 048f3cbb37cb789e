/* The control protocol: the request parser (what each command takes, the
 * types and ranges it checks, records decoded from base64) and the reply
 * lines the daemon writes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "daemon/ctl.h"
#include "core/error.h"
#include "daemon/net_internal.h"

static int parse(const char *s, struct weft_ctl_req *req, const char **why)
{
	return weft_ctl_parse(s, strlen(s), req, why);
}

static void test_simple_commands(void **state)
{
	struct weft_ctl_req req;
	const char *why = NULL;

	assert_int_equal(parse("{\"cmd\":\"ping\"}\n", &req, &why), 0);
	assert_int_equal(req.cmd, WEFT_CTL_PING);
	assert_int_equal(req.has, 0);
	weft_ctl_req_free(&req);

	assert_int_equal(parse("{\"cmd\": \"status\"}", &req, &why), 0);
	assert_int_equal(req.cmd, WEFT_CTL_STATUS);
	assert_int_equal(req.has, 0);
	weft_ctl_req_free(&req);

	assert_int_equal(parse("{\"cmd\":\"status\",\"network\":\"home-lab\"}\r\n", &req, &why), 0);
	assert_int_equal(req.has, WEFT_CTLF_NETWORK);
	assert_string_equal(req.network, "home-lab");
	weft_ctl_req_free(&req);

	assert_int_equal(parse("  {\"network\":\"x\",\"cmd\":\"peers\"}  ", &req, &why), 0);
	assert_int_equal(req.cmd, WEFT_CTL_PEERS);
	assert_string_equal(weft_ctl_cmd_name(req.cmd), "peers");
	weft_ctl_req_free(&req);
	assert_int_equal(parse("{\"cmd\":\"records\",\"network\":\"x\",\"type\":\"override\"}", &req, &why), 0);
	assert_int_equal(req.cmd, WEFT_CTL_RECORDS);
	assert_int_equal(req.rtype, WEFT_REC_OVERRIDE);
	assert_int_equal(req.has, WEFT_CTLF_NETWORK | WEFT_CTLF_TYPE);
	weft_ctl_req_free(&req);
	assert_string_equal(weft_ctl_cmd_name(0), "?");
	assert_string_equal(weft_ctl_cmd_name(WEFT_CTL_CMD_MAX + 1), "?");
}

static void test_join_fields(void **state)
{
	struct weft_ctl_req req;
	const char *why = NULL;
	char buf[WEFT_EPSTRLEN];

	assert_int_equal(parse("{\"cmd\":\"join\",\"token\":\"weft1-abc\",\"name\":\"laptop\",\"interface\":\"wg7\","
			       "\"listen_port\":40000,\"gossip_port\":40001,"
			       "\"endpoints\":[\"203.0.113.5\",\"203.0.113.6:4500\",\"[2001:db8::1]:7\"]}",
			       &req, &why),
			 0);
	assert_int_equal(req.cmd, WEFT_CTL_JOIN);
	assert_string_equal(req.token, "weft1-abc");
	assert_string_equal(req.name, "laptop");
	assert_string_equal(req.ifname, "wg7");
	assert_int_equal(req.listen_port, 40000);
	assert_int_equal(req.gossip_port, 40001);
	assert_int_equal(req.nendpoints, 3);
	assert_int_equal(req.endpoints[0].port, 0);
	assert_string_equal(weft_endpoint_format(&req.endpoints[1], buf, sizeof(buf)), "203.0.113.6:4500");
	assert_string_equal(weft_endpoint_format(&req.endpoints[2], buf, sizeof(buf)), "[2001:db8::1]:7");
	assert_int_equal(req.has, WEFT_CTLF_TOKEN | WEFT_CTLF_NAME | WEFT_CTLF_INTERFACE | WEFT_CTLF_LISTEN_PORT |
					  WEFT_CTLF_GOSSIP_PORT | WEFT_CTLF_ENDPOINTS);
	weft_ctl_req_free(&req);
	assert_null(req.token);
	assert_int_equal(req.cmd, 0);
}

static void test_records(void **state)
{
	struct weft_ctl_req req;
	const char *why = NULL;
	uint8_t raw[WEFT_RECORD_MAX];
	char *b64, *text;
	size_t i;

	for (i = 0; i < sizeof(raw); i++)
		raw[i] = (uint8_t)(i * 7);
	b64 = weft_ctl_b64(raw, sizeof(raw));
	assert_non_null(b64);
	assert_true(asprintf(&text, "{\"cmd\":\"push\",\"records\":[\"%s\",\"AQID\"]}", b64) > 0);
	assert_int_equal(parse(text, &req, &why), 0);
	assert_int_equal(req.nrecords, 2);
	assert_int_equal(req.record_len[0], WEFT_RECORD_MAX);
	assert_memory_equal(req.records[0], raw, sizeof(raw));
	assert_int_equal(req.record_len[1], 3);
	assert_int_equal(req.records[1][2], 3);
	weft_ctl_req_free(&req);
	free(text);

	/* One byte more than a record may hold. */
	free(b64);
	{
		uint8_t big[WEFT_RECORD_MAX + 1] = { 0 };

		b64 = weft_ctl_b64(big, sizeof(big));
	}
	assert_true(asprintf(&text, "{\"cmd\":\"push\",\"records\":[\"%s\"]}", b64) > 0);
	assert_int_equal(parse(text, &req, &why), WEFT_EMALFORMED);
	assert_non_null(strstr(why, "base64"));
	free(text);
	free(b64);

	assert_int_equal(parse("{\"cmd\":\"create\",\"network\":\"n\",\"records\":[\"AA==\"],\"name\":\"a\"}", &req,
			       &why),
			 0);
	assert_int_equal(req.cmd, WEFT_CTL_CREATE);
	assert_int_equal(req.nrecords, 1);
	weft_ctl_req_free(&req);
}

struct bad {
	const char *text;
	const char *why;
};

static void test_refusals(void **state)
{
	static const struct bad cases[] = {
		{ "", "empty request" },
		{ "\n", "empty request" },
		{ "garbage", "not a JSON document" },
		{ "{", "not a JSON document" },
		{ "[]", "a request is a JSON object" },
		{ "\"status\"", "a request is a JSON object" },
		{ "{}", "needs \"cmd\"" },
		{ "{\"cmd\":1}", "needs \"cmd\"" },
		{ "{\"cmd\":\"nope\"}", "unknown command" },
		{ "{\"cmd\":\"status\"} {\"cmd\":\"status\"}", "bytes after the JSON object" },
		{ "{\"cmd\":\"status\",\"bogus\":1}", "does not take" },
		{ "{\"cmd\":\"list\",\"network\":\"x\"}", "does not take" },
		{ "{\"cmd\":\"peers\"}", "is missing" },
		{ "{\"cmd\":\"join\"}", "is missing" },
		{ "{\"cmd\":\"status\",\"network\":\"../etc\"}", "network must be" },
		{ "{\"cmd\":\"status\",\"network\":\"Office\"}", "network must be" },
		{ "{\"cmd\":\"status\",\"network\":\"-x\"}", "network must be" },
		{ "{\"cmd\":\"status\",\"network\":\"a\\u0000b\"}", "network must be" },
		{ "{\"cmd\":\"status\",\"network\":5}", "network must be" },
		{ "{\"cmd\":\"join\",\"token\":\"\"}", "token must be" },
		{ "{\"cmd\":\"join\",\"token\":[]}", "token must be" },
		{ "{\"cmd\":\"join\",\"token\":\"t\",\"name\":\"A\"}", "name must be" },
		{ "{\"cmd\":\"join\",\"token\":\"t\",\"interface\":\"sixteen-chars-xx\"}", "interface must be" },
		{ "{\"cmd\":\"join\",\"token\":\"t\",\"interface\":\"a/b\"}", "interface must be" },
		{ "{\"cmd\":\"join\",\"token\":\"t\",\"listen_port\":0}", "ports must be" },
		{ "{\"cmd\":\"join\",\"token\":\"t\",\"listen_port\":65536}", "ports must be" },
		{ "{\"cmd\":\"join\",\"token\":\"t\",\"gossip_port\":\"1\"}", "ports must be" },
		{ "{\"cmd\":\"join\",\"token\":\"t\",\"gossip_port\":1.5}", "ports must be" },
		{ "{\"cmd\":\"join\",\"token\":\"t\",\"endpoints\":\"1.2.3.4\"}", "endpoints must be" },
		{ "{\"cmd\":\"join\",\"token\":\"t\",\"endpoints\":[\"host.example:1\"]}", "an endpoint is not" },
		{ "{\"cmd\":\"join\",\"token\":\"t\",\"endpoints\":[1]}", "an endpoint is not" },
		{ "{\"cmd\":\"join\",\"token\":\"t\",\"endpoints\":[\"1.1.1.1\",\"1.1.1.2\",\"1.1.1.3\",\"1.1.1.4\","
		  "\"1.1.1.5\",\"1.1.1.6\",\"1.1.1.7\",\"1.1.1.8\",\"1.1.1.9\"]}",
		  "endpoints must be" },
		{ "{\"cmd\":\"push\",\"records\":[]}", "1 to 1024" },
		{ "{\"cmd\":\"push\",\"records\":{}}", "records must be" },
		{ "{\"cmd\":\"push\",\"records\":[\"!!!\"]}", "not base64" },
		{ "{\"cmd\":\"push\",\"records\":[\"\"]}", "not base64" },
		{ "[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]", "not a JSON document" },
		{ "{\"cmd\":\"records\",\"network\":\"x\",\"type\":\"nosuch\"}", "type must be" },
		{ "{\"cmd\":\"records\",\"network\":\"x\",\"type\":3}", "type must be" },
		{ "{\"cmd\":\"records\",\"network\":\"x\"}", "needs is missing" },
		{ "{\"cmd\":\"status\",\"type\":\"dns\"}", "does not take" },
	};
	struct weft_ctl_req req;
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why = NULL;
		memset(&req, 0x5a, sizeof(req));
		assert_int_equal(parse(cases[i].text, &req, &why), WEFT_EMALFORMED);
		if (!why || !strstr(why, cases[i].why))
			fail_msg("case %zu (%s): '%s' lacks '%s'", i, cases[i].text, why ? why : "(null)",
				 cases[i].why);
		/* A refused request leaves nothing to free. */
		assert_null(req.token);
		assert_null(req.records);
		assert_int_equal(req.cmd, 0);
	}
}

static void test_size_limit(void **state)
{
	struct weft_ctl_req req;
	const char *why = NULL;
	size_t n = WEFT_CTL_MAX_REQUEST + 10;
	char *big = malloc(n + 1);

	memset(big, ' ', n);
	memcpy(big, "{\"cmd\":\"ping\"}", 14);
	big[n] = '\0';
	assert_int_equal(weft_ctl_parse(big, n, &req, &why), WEFT_EMALFORMED);
	assert_string_equal(why, "request too large");
	/* Within the limit, trailing blanks are fine. */
	assert_int_equal(weft_ctl_parse(big, 1000, &req, &why), 0);
	weft_ctl_req_free(&req);
	free(big);
}

static struct json_object *reply_of(char *line)
{
	struct json_object *o;

	assert_non_null(line);
	assert_int_equal(line[strlen(line) - 1], '\n');
	assert_ptr_equal(strchr(line, '\n'), line + strlen(line) - 1);
	o = json_tokener_parse(line);
	free(line);
	assert_non_null(o);
	return o;
}

static void test_replies(void **state)
{
	struct json_object *o, *v, *r;

	r = json_object_new_object();
	json_object_object_add(r, "a", json_object_new_string("x/y"));
	o = reply_of(weft_ctl_reply_ok(r));
	assert_true(json_object_object_get_ex(o, "ok", &v) && json_object_get_boolean(v));
	assert_true(json_object_object_get_ex(o, "result", &v));
	assert_true(json_object_object_get_ex(v, "a", &v));
	assert_string_equal(json_object_get_string(v), "x/y");
	json_object_put(o);

	o = reply_of(weft_ctl_reply_ok(NULL));
	assert_true(json_object_object_get_ex(o, "result", &v));
	assert_null(v);
	json_object_put(o);

	o = reply_of(weft_ctl_reply_error(WEFT_EEXPIRED, "the invite expired %d %s", 3, "\"quoted\"\n"));
	assert_true(json_object_object_get_ex(o, "ok", &v) && !json_object_get_boolean(v));
	assert_true(json_object_object_get_ex(o, "code", &v));
	assert_string_equal(json_object_get_string(v), "expired");
	assert_true(json_object_object_get_ex(o, "error", &v));
	assert_string_equal(json_object_get_string(v), "the invite expired 3 \"quoted\"\n");
	json_object_put(o);
}

static void test_codes(void **state)
{
	assert_string_equal(weft_ctl_code(0), "ok");
	assert_string_equal(weft_ctl_code(WEFT_EUSEDUP), "usedup");
	assert_string_equal(weft_ctl_code(WEFT_EREVOKED), "revoked");
	assert_string_equal(weft_ctl_code(WEFT_ETIMEOUT), "timeout");
	assert_string_equal(weft_ctl_code(WEFT_ENOTFOUND), "notfound");
	assert_string_equal(weft_ctl_code(WEFT_EWRONGNET), "wrongnet");
	assert_string_equal(weft_ctl_code(-EIO), "io");
}

static const char *self_row_state(struct weft_net *n)
{
	static char buf[32];
	struct json_object *a = weft_net_peers_json(n), *row, *v;

	assert_non_null(a);
	assert_int_equal(json_object_array_length(a), 1);
	row = json_object_array_get_idx(a, 0);
	assert_true(json_object_object_get_ex(row, "self", &v) && json_object_get_boolean(v));
	assert_true(json_object_object_get_ex(row, "state", &v));
	snprintf(buf, sizeof(buf), "%s", json_object_get_string(v));
	json_object_put(a);
	return buf;
}

/* weft peers: our own row shows the view's status of us like any other
 * row (an expired node must see that it is), else what the daemon does. */
static void test_self_row_state(void **state)
{
	struct weft_net *n = calloc(1, sizeof(*n));

	assert_non_null(n);
	snprintf(n->name, sizeof(n->name), "lab");
	n->phase = WEFT_NET_MEMBER;
	n->peers.self_status = WEFT_MEMBER_ACTIVE;
	assert_string_equal(self_row_state(n), "alive");
	n->peers.self_status = WEFT_MEMBER_EXPIRED;
	assert_string_equal(self_row_state(n), "expired");
	n->peers.self_status = WEFT_MEMBER_PENDING;
	assert_string_equal(self_row_state(n), "pending");
	n->peers.self_status = WEFT_MEMBER_REVOKED;
	assert_string_equal(self_row_state(n), "revoked");
	n->peers.self_status = WEFT_MEMBER_OVERUSED;
	assert_string_equal(self_row_state(n), "overused");
	/* The daemon's own phase where the view says nothing else. */
	n->peers.self_status = WEFT_MEMBER_ACTIVE;
	n->phase = WEFT_NET_PENDING;
	assert_string_equal(self_row_state(n), "pending");
	n->phase = WEFT_NET_REVOKED;
	assert_string_equal(self_row_state(n), "revoked");
	n->phase = WEFT_NET_LEAVING;
	assert_string_equal(self_row_state(n), "left");
	free(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple_commands), cmocka_unit_test(test_join_fields),
		cmocka_unit_test(test_records),         cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_size_limit),      cmocka_unit_test(test_replies),
		cmocka_unit_test(test_codes),           cmocka_unit_test(test_self_row_state),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
