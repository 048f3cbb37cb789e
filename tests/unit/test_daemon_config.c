/* The daemon's configuration file parser: every setting, sections, quoting
 * and comments, and a refusal naming the line for each kind of mistake. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/config.h"
#include "daemon/log.h"

static int parse(struct weft_config *c, const char *text, char *err, size_t errlen)
{
	weft_config_defaults(c);
	return weft_config_parse(c, text, strlen(text), err, errlen);
}

static void test_defaults(void **state)
{
	struct weft_config c;
	char err[256];

	assert_int_equal(parse(&c, "", err, sizeof(err)), 0);
	assert_string_equal(c.state_dir, "/var/lib/weft");
	assert_string_equal(c.socket, "/run/weft/weft.sock");
	assert_int_equal(c.log_level, WEFT_LOG_INFO);
	assert_int_equal(c.wg_backend, WEFT_WG_AUTO);
	assert_int_equal(c.nnets, 0);
	assert_null(weft_config_net(&c, "office"));
}

static void test_every_setting(void **state)
{
	static const char text[] = "# weft.conf\n"
				   "state_dir = /srv/weft\n"
				   "socket=/tmp/w.sock\n"
				   "\tlog_level = debug   # inline comment\n"
				   "wg_backend = userspace\n"
				   "wg_userspace = \"/opt/wireguard-go # not a comment\"\n"
				   "wg_socket_dir = /run/wg\n"
				   "join_timeout = 4s\n"
				   "probe_interval = 500ms\n"
				   "gossip_interval = 1m\r\n"
				   "; another comment\n"
				   "\n"
				   "[network office]\n"
				   "interface = wg-office\n"
				   "endpoint = 203.0.113.5\n"
				   "endpoint = [2001:db8::5]:4500\n"
				   "keepalive = 25\n"
				   "[ network  lab-2 ]\n"
				   "keepalive = 0\n";
	const struct weft_config_net *n;
	struct weft_config c;
	char err[256], buf[WEFT_EPSTRLEN];

	assert_int_equal(parse(&c, text, err, sizeof(err)), 0);
	assert_string_equal(c.state_dir, "/srv/weft");
	assert_string_equal(c.socket, "/tmp/w.sock");
	assert_int_equal(c.log_level, WEFT_LOG_DEBUG);
	assert_int_equal(c.wg_backend, WEFT_WG_USERSPACE);
	assert_string_equal(c.wg_userspace, "/opt/wireguard-go # not a comment");
	assert_string_equal(c.wg_socket_dir, "/run/wg");
	assert_int_equal(c.join_timeout_ms, 4000);
	assert_int_equal(c.probe_interval_ms, 500);
	assert_int_equal(c.gossip_interval_ms, 60000);
	assert_int_equal(c.nnets, 2);
	n = weft_config_net(&c, "office");
	assert_non_null(n);
	assert_string_equal(n->ifname, "wg-office");
	assert_int_equal(n->nendpoints, 2);
	assert_string_equal(weft_ip_format(&n->endpoints[0].ip, buf, sizeof(buf)), "203.0.113.5");
	assert_int_equal(n->endpoints[0].port, 0); /* the WireGuard port, filled later */
	assert_string_equal(weft_endpoint_format(&n->endpoints[1], buf, sizeof(buf)), "[2001:db8::5]:4500");
	assert_int_equal(n->keepalive, 25);
	n = weft_config_net(&c, "lab-2");
	assert_non_null(n);
	assert_int_equal(n->keepalive, 0);
	assert_string_equal(n->ifname, "");
	assert_null(weft_config_net(&c, "lab"));
}

static void test_keepalive_default_is_unset(void **state)
{
	struct weft_config c;
	char err[256];

	assert_int_equal(parse(&c, "[network x]\ninterface = wx\n", err, sizeof(err)), 0);
	assert_int_equal(weft_config_net(&c, "x")->keepalive, -1);
}

struct bad {
	const char *text;
	const char *msg; /* a piece of the error, which names the line */
};

static void test_refusals(void **state)
{
	static const struct bad cases[] = {
		{ "frobnicate = 1\n", "line 1: unknown setting 'frobnicate'" },
		{ "\n\nlog_level = loud\n", "line 3: bad log_level 'loud'" },
		{ "state_dir = relative/path\n", "line 1: state_dir must be an absolute path" },
		{ "wg_backend = kernelspace\n", "bad wg_backend" },
		{ "join_timeout = soon\n", "bad join_timeout" },
		{ "join_timeout = 0\n", "bad join_timeout" },
		{ "join_timeout = 2d\n", "bad join_timeout" },
		{ "join_timeout = 99999999999\n", "bad join_timeout" },
		{ "log_level\n", "expected 'key = value'" },
		{ "= x\n", "needs a name" },
		{ "Log_Level = info\n", "bad setting name" },
		{ "log_level =\n", "log_level has no value" },
		{ "wg_userspace = \"unterminated\n", "unterminated quote" },
		{ "wg_userspace = \"a\" b\n", "text after the closing quote" },
		{ "[network]\n", "a section reads [network NAME]" },
		{ "[network office\n", "a section reads [network NAME]" },
		{ "[peer x]\n", "unknown section" },
		{ "[network Office]\n", "bad network name 'Office'" },
		{ "[network a]\n[network a]\n", "line 2: network a has two sections" },
		{ "[network a]\ninterface = has space\n", "bad interface" },
		{ "[network a]\ninterface = waytoolongname123\n", "bad interface" },
		{ "[network a]\ninterface = a/b\n", "bad interface" },
		{ "[network a]\nendpoint = nothost\n", "bad endpoint 'nothost'" },
		{ "[network a]\nendpoint = 1.2.3.4:99999\n", "bad endpoint" },
		{ "[network a]\nkeepalive = -1\n", "bad keepalive" },
		{ "[network a]\nkeepalive = 70000\n", "bad keepalive" },
		{ "[network a]\nstate_dir = /x\n", "unknown network setting 'state_dir'" },
		{ "[network a]\nendpoint=1.1.1.1\nendpoint=1.1.1.2\nendpoint=1.1.1.3\nendpoint=1.1.1.4\n"
		  "endpoint=1.1.1.5\nendpoint=1.1.1.6\nendpoint=1.1.1.7\nendpoint=1.1.1.8\nendpoint=1.1.1.9\n",
		  "line 10: too many endpoints" },
	};
	struct weft_config c;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse(&c, cases[i].text, err, sizeof(err)), -EINVAL);
		if (!strstr(err, cases[i].msg))
			fail_msg("case %zu: '%s' lacks '%s'", i, err, cases[i].msg);
	}
}

static void test_binary_and_long_input(void **state)
{
	struct weft_config c;
	char err[256], line[2048];

	weft_config_defaults(&c);
	assert_int_equal(weft_config_parse(&c, "log_level = info\0x\n", 19, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "NUL"));
	memset(line, 'a', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	assert_int_equal(parse(&c, line, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "line too long"));
	/* A failed parse leaves the earlier settings as they were. */
	weft_config_defaults(&c);
	assert_int_equal(weft_config_parse(&c, "log_level = warn\nbogus = 1\n", 27, err, sizeof(err)), -EINVAL);
	assert_int_equal(c.log_level, WEFT_LOG_WARN);
	/* No newline at the end is fine; a NULL error buffer too. */
	weft_config_defaults(&c);
	assert_int_equal(weft_config_parse(&c, "log_level = error", 17, NULL, 0), 0);
	assert_int_equal(c.log_level, WEFT_LOG_ERROR);
}

static void test_load(void **state)
{
	char path[] = "/tmp/weft-test-config-XXXXXX", err[512];
	struct weft_config c;
	FILE *f;
	int fd;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs("log_level = warn\n[network office]\nkeepalive = 5\n", f);
	fclose(f);
	weft_config_defaults(&c);
	assert_int_equal(weft_config_load(&c, path, 0, err, sizeof(err)), 0);
	assert_int_equal(c.log_level, WEFT_LOG_WARN);
	assert_int_equal(weft_config_net(&c, "office")->keepalive, 5);
	f = fopen(path, "w");
	fputs("log_level = warn\nnope = 1\n", f);
	fclose(f);
	assert_int_equal(weft_config_load(&c, path, 0, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "line 2"));
	unlink(path);
	/* The default file need not exist; a named one must. */
	weft_config_defaults(&c);
	assert_int_equal(weft_config_load(&c, path, 1, err, sizeof(err)), 0);
	assert_int_equal(weft_config_load(&c, path, 0, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "cannot read"));
}

static void test_log_levels(void **state)
{
	assert_int_equal(weft_log_parse_level("error"), WEFT_LOG_ERROR);
	assert_int_equal(weft_log_parse_level("WARN"), WEFT_LOG_WARN);
	assert_int_equal(weft_log_parse_level("warning"), WEFT_LOG_WARN);
	assert_int_equal(weft_log_parse_level("info"), WEFT_LOG_INFO);
	assert_int_equal(weft_log_parse_level("debug"), WEFT_LOG_DEBUG);
	assert_int_equal(weft_log_parse_level("verbose"), -1);
	assert_int_equal(weft_log_parse_level(NULL), -1);
	assert_string_equal(weft_log_level_name(WEFT_LOG_WARN), "warn");
}

static void test_log_filter(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	weft_log_set_sink(f);
	weft_log_set_level(WEFT_LOG_WARN);
	weft_log_info("hidden %d", 1);
	weft_log_warn("shown %d", 2);
	weft_log_error("also %s", "shown");
	weft_log_set_level(WEFT_LOG_DEBUG);
	weft_log_debug("now %s", "debug");
	weft_log_set_level(99); /* ignored */
	assert_int_equal(weft_log_get_level(), WEFT_LOG_DEBUG);
	fflush(f);
	assert_null(strstr(buf, "hidden"));
	assert_non_null(strstr(buf, "warn  shown 2\n"));
	assert_non_null(strstr(buf, "error also shown\n"));
	assert_non_null(strstr(buf, "debug now debug\n"));
	weft_log_set_sink(NULL);
	weft_log_set_level(WEFT_LOG_INFO);
	fclose(f);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_setting),
		cmocka_unit_test(test_keepalive_default_is_unset),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_binary_and_long_input),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_log_levels),
		cmocka_unit_test(test_log_filter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
