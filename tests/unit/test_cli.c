/* The command line's parsers and formatters, and whole commands run in
 * process with a chosen clock (so expiry is tested to the second). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/cli.h"
#include "core/error.h"
#include "core/token.h"

#define NOW_MS 1795168800000ull /* 2026-11-20 10:00:00 UTC */

/* A run of weft with captured output. */
struct capture {
	char *out, *err;
	size_t outlen, errlen;
	int rc;
};

static void capture_free(struct capture *c)
{
	free(c->out);
	free(c->err);
	memset(c, 0, sizeof(*c));
}

static int run_at(struct capture *c, uint64_t now_ms, const char *stdin_text, ...)
{
	struct weft_cli cli = { .now_ms = now_ms };
	char *argv[32];
	int argc = 0;
	va_list ap;

	memset(c, 0, sizeof(*c));
	argv[argc++] = (char *)"weft";
	va_start(ap, stdin_text);
	while ((argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	cli.out = open_memstream(&c->out, &c->outlen);
	cli.err = open_memstream(&c->err, &c->errlen);
	cli.in = fmemopen((void *)(stdin_text ? stdin_text : ""), stdin_text ? strlen(stdin_text) + 1 : 1, "r");
	assert_non_null(cli.out);
	assert_non_null(cli.err);
	assert_non_null(cli.in);
	c->rc = weft_cli_run(&cli, argc, argv);
	fclose(cli.out);
	fclose(cli.err);
	fclose(cli.in);
	return c->rc;
}

#define RUN(c, ...) run_at(c, NOW_MS, NULL, __VA_ARGS__, (char *)NULL)

static void test_duration(void **state)
{
	static const struct {
		const char *s;
		uint64_t v;
	} good[] = {
		{ "1s", 1 },         { "30m", 1800 }, { "12h", 43200 }, { "7d", 604800 },     { "2w", 1209600 },
		{ "1d12h", 129600 }, { "90s", 90 },   { "never", 0 },   { "100w", 60480000 },
	};
	static const char *bad[] = {
		"", "0s", "0d0h", "3x", "7", "d", "-1d", "1.5h", "1d 2h", "5300w", "99999999999d", "Never", "1D",
	};
	uint64_t v;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		v = 12345;
		if (weft_cli_duration(good[i].s, &v) != 0 || v != good[i].v)
			fail_msg("duration %s: got %llu", good[i].s, (unsigned long long)v);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (weft_cli_duration(bad[i], &v) == 0)
			fail_msg("accepted duration '%s'", bad[i]);
	assert_int_equal(weft_cli_duration(NULL, &v), -1);
}

static void test_names_and_tags(void **state)
{
	static const char *good[] = { "home", "home-lab", "a", "0x", "n1-2-3" };
	static const char *bad[] = { "", "-a", "a-", "Home", "a_b", "a.b", "a b", "h\xc3\xa9" };
	char long_name[80];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (weft_cli_check_name(good[i]))
			fail_msg("refused name %s", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (weft_cli_check_name(bad[i]) == 0)
			fail_msg("accepted name '%s'", bad[i]);
	memset(long_name, 'a', 63);
	long_name[63] = '\0';
	assert_int_equal(weft_cli_check_name(long_name), 0);
	long_name[63] = 'a';
	long_name[64] = '\0';
	assert_int_equal(weft_cli_check_name(long_name), -1);
	assert_int_equal(weft_cli_check_name(NULL), -1);

	assert_int_equal(weft_cli_check_tag("dev_eu-1"), 0);
	assert_int_equal(weft_cli_check_tag("Dev"), -1);
	assert_int_equal(weft_cli_check_tag(""), -1);
	memset(long_name, 'a', 32);
	long_name[32] = '\0';
	assert_int_equal(weft_cli_check_tag(long_name), -1);
	long_name[31] = '\0';
	assert_int_equal(weft_cli_check_tag(long_name), 0);
}

static void test_parse_tags(void **state)
{
	struct weft_cli cli = { 0 };
	char tags[WEFT_MAX_TAGS][WEFT_TAG_MAX + 1];
	char *err = NULL;
	size_t errlen = 0;
	uint8_t n = 99;

	cli.err = open_memstream(&err, &errlen);
	assert_int_equal(weft_cli_parse_tags(&cli, "dev,eu", tags, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(tags[0], "dev");
	assert_string_equal(tags[1], "eu");
	assert_int_equal(weft_cli_parse_tags(&cli, "a,b,c,d,e,f,g,h", tags, &n), 0);
	assert_int_equal(n, 8);
	assert_int_equal(weft_cli_parse_tags(&cli, "a,b,c,d,e,f,g,h,i", tags, &n), -1);
	assert_int_equal(weft_cli_parse_tags(&cli, "a,,b", tags, &n), -1);
	assert_int_equal(weft_cli_parse_tags(&cli, "a,b,a", tags, &n), -1);
	assert_int_equal(weft_cli_parse_tags(&cli, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", tags, &n), -1);
	fclose(cli.err);
	assert_non_null(strstr(err, "weft: error: bad --tags 'a,b,c,d,e,f,g,h,i': at most 8 tags\n"));
	assert_non_null(strstr(err, "weft: error: bad tag '' in --tags"));
	assert_non_null(strstr(err, "tag 'a' is given twice"));
	free(err);
}

static void test_parse_cidr_messages(void **state)
{
	struct weft_cli cli = { 0 };
	weft_cidr_t c;
	char *err = NULL;
	size_t errlen = 0;

	cli.err = open_memstream(&err, &errlen);
	assert_int_equal(weft_cli_parse_cidr(&cli, "--cidr", "10.42.0.0/16", 4, &c), 0);
	assert_int_equal(c.prefix, 16);
	assert_int_equal(weft_cli_parse_cidr(&cli, "--cidr", "10.42.3.1/20", 4, &c), -1);
	assert_int_equal(weft_cli_parse_cidr(&cli, "--cidr6", "fd42::1/64", 6, &c), -1);
	assert_int_equal(weft_cli_parse_cidr(&cli, "--cidr", "10.42.0.0", 4, &c), -1);
	assert_int_equal(weft_cli_parse_cidr(&cli, "--cidr", "fd42::/64", 4, &c), -1);
	assert_int_equal(weft_cli_parse_cidr(&cli, "--cidr", "10.0.0.0/+8", 4, &c), -1);
	assert_int_equal(weft_cli_parse_cidr(&cli, "--cidr6", "fd42::/128", 6, &c), -1);
	fclose(cli.err);
	assert_non_null(
		strstr(err,
		       "bad --cidr '10.42.3.1/20': the address has host bits set; did you mean 10.42.0.0/20?\n"));
	assert_non_null(
		strstr(err, "bad --cidr6 'fd42::1/64': the address has host bits set; did you mean fd42::/64?\n"));
	assert_non_null(strstr(err, "bad --cidr '10.42.0.0': give the prefix length too, e.g. 10.42.0.0/16\n"));
	assert_non_null(strstr(err, "bad --cidr 'fd42::/64': --cidr takes an IPv4 network"));
	assert_non_null(strstr(err, "bad --cidr '10.0.0.0/+8': not an IPv4 network in CIDR form"));
	assert_non_null(strstr(err, "bad --cidr6 'fd42::/128': too small"));
	free(err);
}

static void test_format(void **state)
{
	char b[64];

	assert_string_equal(weft_cli_fmt_span(b, sizeof(b), 0), "0s");
	assert_string_equal(weft_cli_fmt_span(b, sizeof(b), 59), "59s");
	assert_string_equal(weft_cli_fmt_span(b, sizeof(b), 60), "1m 0s");
	assert_string_equal(weft_cli_fmt_span(b, sizeof(b), 3599), "59m 59s");
	assert_string_equal(weft_cli_fmt_span(b, sizeof(b), 3600), "1h 0m");
	assert_string_equal(weft_cli_fmt_span(b, sizeof(b), 86399), "23h 59m");
	assert_string_equal(weft_cli_fmt_span(b, sizeof(b), 7 * 86400 - 1), "6d 23h");
	assert_string_equal(weft_cli_fmt_time(b, sizeof(b), 1795168800), "2026-11-20 10:00 UTC");
	assert_string_equal(weft_cli_fmt_time(b, sizeof(b), 0), "1970-01-01 00:00 UTC");
	assert_string_equal(weft_cli_fmt_time(b, sizeof(b), UINT64_MAX), "unix time 18446744073709551615");
}

static char tmpdir[64];
static char oldcwd[4096];

static int enter_tmpdir(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/weft-test-cli-XXXXXX");
	if (!getcwd(oldcwd, sizeof(oldcwd)) || !mkdtemp(tmpdir) || chdir(tmpdir) != 0)
		return -1;
	return 0;
}

static int leave_tmpdir(void **state)
{
	unlink("home.admin.key");
	unlink("home.admin.key.net");
	if (chdir(oldcwd) != 0)
		return -1;
	return rmdir(tmpdir);
}

static void test_init_invite_inspect(void **state)
{
	struct capture c, i;
	struct stat st;
	char token[WEFT_TOKEN_MAX + 2], stdin_text[WEFT_TOKEN_MAX + 8];

	assert_int_equal(RUN(&c, "init", "home", "--cidr", "10.42.0.0/16", "--no-node"), 0);
	assert_non_null(strstr(c.out, "created network home\n"));
	assert_int_equal(c.errlen, 0);
	assert_int_equal(stat("home.admin.key", &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	capture_free(&c);

	assert_int_equal(RUN(&i, "invite", "home", "--admin-key", "home.admin.key", "--expires", "2w", "--bootstrap",
			     "203.0.113.5:51821,node.example:51821"),
			 0);
	assert_true(i.outlen > 10 && i.outlen < sizeof(token));
	assert_memory_equal(i.out, "weft1-", 6);
	assert_non_null(strchr(i.out, '\n'));
	assert_true(strchr(i.out, '\n') == i.out + i.outlen - 1); /* one line */
	memcpy(token, i.out, i.outlen - 1);
	token[i.outlen - 1] = '\0';
	capture_free(&i);

	/* At the time it was made: valid for exactly 14 days. */
	assert_int_equal(RUN(&c, "token", "inspect", token), 0);
	assert_non_null(strstr(c.out, "status       valid\n"));
	assert_non_null(strstr(c.out, "expires      2026-12-04 10:00 UTC (expires in 14d 0h)\n"));
	assert_non_null(strstr(c.out, "bootstrap    203.0.113.5:51821\n             node.example:51821\n"));
	assert_int_equal(c.errlen, 0);
	capture_free(&c);

	/* One second before the end, and at the end. */
	assert_int_equal(run_at(&c, NOW_MS + 14 * 86400000ull - 1000, NULL, "token", "inspect", token, (char *)NULL),
			 0);
	assert_non_null(strstr(c.out, "(expires in 1s)"));
	capture_free(&c);
	assert_int_equal(run_at(&c, NOW_MS + 14 * 86400000ull, NULL, "token", "inspect", token, (char *)NULL), 1);
	assert_non_null(strstr(c.out, "status       EXPIRED"));
	assert_non_null(strstr(c.out, "(expired 0s ago)"));
	assert_string_equal(
		c.err,
		"weft: error: invite expired on 2026-12-04 10:00 UTC; ask the network's admin for a new invite\n");
	capture_free(&c);

	/* Through stdin, with the newline a shell adds. */
	snprintf(stdin_text, sizeof(stdin_text), "%s\n", token);
	assert_int_equal(run_at(&c, NOW_MS, stdin_text, "--json", "token", "inspect", "-", (char *)NULL), 0);
	assert_non_null(strstr(c.out, "\"valid\": true"));
	assert_non_null(strstr(c.out, "\"expires_in\": 1209600"));
	capture_free(&c);

	/* A changed character. */
	token[20] = token[20] == 'A' ? 'B' : 'A';
	assert_int_equal(RUN(&c, "token", "inspect", token), 1);
	assert_int_equal(c.outlen, 0);
	assert_non_null(strstr(c.err, "weft: error: token was altered or truncated"));
	capture_free(&c);
}

static void test_exit_codes(void **state)
{
	struct capture c;

	assert_int_equal(RUN(&c, "--help"), 0);
	assert_non_null(strstr(c.out, "usage: weft"));
	capture_free(&c);
	assert_int_equal(run_at(&c, NOW_MS, NULL, (char *)NULL), 2);
	assert_non_null(strstr(c.err, "weft: error: no command given\nusage: weft"));
	capture_free(&c);
	assert_int_equal(RUN(&c, "init", "home", "--bogus"), 2);
	assert_non_null(strstr(c.err, "weft: error: unknown option '--bogus'\nusage: weft init NETWORK"));
	assert_non_null(strstr(c.err, "Try 'weft init --help'."));
	capture_free(&c);
	assert_int_equal(RUN(&c, "invite", "home", "--uses"), 2);
	assert_non_null(strstr(c.err, "option '--uses' needs a value"));
	capture_free(&c);
	assert_int_equal(RUN(&c, "token", "inspect", "-x"), 2);
	assert_non_null(strstr(c.err, "Try 'weft token inspect --help'."));
	capture_free(&c);
	assert_int_equal(RUN(&c, "token", "inspect", "--help"), 0);
	assert_non_null(strstr(c.out, "usage: weft token inspect TOKEN"));
	capture_free(&c);
	assert_int_equal(RUN(&c, "version"), 0);
	assert_non_null(strstr(c.out, "weft "));
	capture_free(&c);
	assert_int_equal(RUN(&c, "init", "home", "--cidr", "10.0.0.0/8"), 1);
	assert_non_null(strstr(c.err, "--no-node"));
	capture_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_names_and_tags),
		cmocka_unit_test(test_parse_tags),
		cmocka_unit_test(test_parse_cidr_messages),
		cmocka_unit_test(test_format),
		cmocka_unit_test_setup_teardown(test_init_invite_inspect, enter_tmpdir, leave_tmpdir),
		cmocka_unit_test(test_exit_codes),
	};

	if (weft_crypto_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
