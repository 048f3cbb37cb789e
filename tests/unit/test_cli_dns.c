/* weft dns (cli/cmd_dns.c): NAME, TYPE and VALUE are read into entries
 * the record layer accepts, every mistake refused with its own sentence;
 * and the command line without a daemon: usage errors, an offline admin
 * signing into --out files (one record for add, a tombstone per type for
 * rm), list failing cleanly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <msgpack.h>
#include <sodium.h>

#include "cli/cli.h"
#include "cli/cmd_dns.h"
#include "core/persist.h"

#define NOW_MS 1795000000000ull

struct capture {
	char *out, *err;
	size_t outlen, errlen;
	int rc;
};

static int run(struct capture *c, ...)
{
	struct weft_cli cli = { .now_ms = NOW_MS, .socket = "/nonexistent/weft.sock" };
	char *argv[32];
	int argc = 0;
	va_list ap;

	memset(c, 0, sizeof(*c));
	argv[argc++] = (char *)"weft";
	va_start(ap, c);
	while ((argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	cli.out = open_memstream(&c->out, &c->outlen);
	cli.err = open_memstream(&c->err, &c->errlen);
	cli.in = stdin;
	c->rc = weft_cli_run(&cli, argc, argv);
	fclose(cli.out);
	fclose(cli.err);
	return c->rc;
}

#define RUN(c, ...) run(c, __VA_ARGS__, (char *)NULL)

static void capture_free(struct capture *c)
{
	free(c->out);
	free(c->err);
}

static void test_types(void **state)
{
	assert_int_equal(weft_cli_dns_type("A"), WEFT_DNS_A);
	assert_int_equal(weft_cli_dns_type("aaaa"), WEFT_DNS_AAAA);
	assert_int_equal(weft_cli_dns_type("Cname"), WEFT_DNS_CNAME);
	assert_int_equal(weft_cli_dns_type("TXT"), WEFT_DNS_TXT);
	assert_int_equal(weft_cli_dns_type("srv"), WEFT_DNS_SRV);
	assert_int_equal(weft_cli_dns_type("MX"), 0);
	assert_int_equal(weft_cli_dns_type(""), 0);
}

static void test_names(void **state)
{
	static const struct {
		const char *in, *out;
	} good[] = {
		{ "db", "db" },
		{ "DB", "db" },
		{ "_sip._udp", "_sip._udp" },
		{ "*.dev", "*.dev" },
		{ "a.b.c", "a.b.c" },
		{ "db.office.internal", "db" },
		{ "x.y.OFFICE.internal", "x.y" },
		{ "office.internal.example", "office.internal.example" },
	};
	static const struct {
		const char *in, *why;
	} bad[] = {
		{ "", "it is empty" },
		{ "db.", "without a trailing dot" },
		{ "@", "apex" },
		{ "office.internal", "apex" },
		{ "a..b", "empty label" },
		{ ".a", "empty label" },
		{ "-a", "starts or ends with '-'" },
		{ "a b", "only letters, digits" },
		{ "a*.b", "a wildcard reads *.NAME" },
		{ "*", "a wildcard reads *.NAME" },
		{ "x.*.y", "a wildcard reads *.NAME" },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "longer than 63" },
	};
	char out[WEFT_DOMAIN_MAX + 1], err[300];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(weft_cli_dns_name(good[i].in, "office.internal", out, err, sizeof(err)), 0);
		assert_string_equal(out, good[i].out);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(weft_cli_dns_name(bad[i].in, "office.internal", out, err, sizeof(err)), -1);
		if (!strstr(err, bad[i].why))
			fail_msg("%s: '%s' does not say '%s'", bad[i].in, err, bad[i].why);
	}
}

static void test_values(void **state)
{
	static const struct {
		uint16_t type;
		const char *in, *out;
	} good[] = {
		{ WEFT_DNS_A, "10.1.2.3", "10.1.2.3" },
		{ WEFT_DNS_AAAA, "FD00:0:0::3", "fd00::3" },
		{ WEFT_DNS_CNAME, "DB", "db" },
		{ WEFT_DNS_CNAME, "host.example.com.", "host.example.com." },
		{ WEFT_DNS_TXT, "v=spf1 -all", "v=spf1 -all" },
		{ WEFT_DNS_TXT, "", "" },
		{ WEFT_DNS_SRV, "10 5 5060 sip", "10 5 5060 sip" },
		{ WEFT_DNS_SRV, " 010  5\t5060   SIP.example.com. ", "10 5 5060 sip.example.com." },
		{ WEFT_DNS_SRV, "0 0 65535 _x", "0 0 65535 _x" },
	};
	static const struct {
		uint16_t type;
		const char *in, *why;
	} bad[] = {
		{ WEFT_DNS_A, "1.2.3", "give an IPv4 address" },
		{ WEFT_DNS_A, "fd00::1", "give an IPv4 address" },
		{ WEFT_DNS_A, "10.0.0.256", "give an IPv4 address" },
		{ WEFT_DNS_AAAA, "10.0.0.1", "give an IPv6 address" },
		{ WEFT_DNS_AAAA, "fd00:::1", "give an IPv6 address" },
		{ WEFT_DNS_CNAME, "10.0.0.1", "must be a name, not an address" },
		{ WEFT_DNS_CNAME, "fd00::1", "must be a name, not an address" },
		{ WEFT_DNS_CNAME, "a..b", "empty label" },
		{ WEFT_DNS_CNAME, "", "it is empty" },
		{ WEFT_DNS_CNAME, "a b", "only letters" },
		{ WEFT_DNS_TXT, "tab\there", "control character" },
		{ WEFT_DNS_SRV, "10 5 5060", "PRIORITY WEIGHT PORT TARGET" },
		{ WEFT_DNS_SRV, "10 5 65536 sip", "PRIORITY WEIGHT PORT TARGET" },
		{ WEFT_DNS_SRV, "10 -5 1 sip", "PRIORITY WEIGHT PORT TARGET" },
		{ WEFT_DNS_SRV, "x 5 1 sip", "PRIORITY WEIGHT PORT TARGET" },
		{ WEFT_DNS_SRV, "1 2 3 a b", "one TARGET" },
		{ WEFT_DNS_SRV, "1 2 3 10.0.0.1", "not an address" },
		{ WEFT_DNS_SRV, "1 2 3 -x", "starts or ends with '-'" },
		{ 15, "10 mail", "unknown TYPE" },
	};
	char out[WEFT_DNS_VALUE_MAX + 1], err[400], big[WEFT_DNS_VALUE_MAX + 2];
	weft_record_t r;
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (weft_cli_dns_value(good[i].type, good[i].in, out, err, sizeof(err)))
			fail_msg("'%s' refused: %s", good[i].in, err);
		assert_string_equal(out, good[i].out);
		/* What the command makes, the record layer takes. */
		memset(&r, 0, sizeof(r));
		r.type = WEFT_REC_DNS;
		r.u.dns.version = 1;
		r.u.dns.rtype = good[i].type;
		r.u.dns.ttl = 300;
		snprintf(r.u.dns.name, sizeof(r.u.dns.name), "x");
		memcpy(r.u.dns.value, out, sizeof(out));
		why = NULL;
		if (weft_record_check(&r, &why))
			fail_msg("'%s' -> '%s' is refused by the record layer: %s", good[i].in, out, why);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(weft_cli_dns_value(bad[i].type, bad[i].in, out, err, sizeof(err)), -1);
		if (!strstr(err, bad[i].why))
			fail_msg("'%s': '%s' does not say '%s'", bad[i].in, err, bad[i].why);
	}
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(weft_cli_dns_value(WEFT_DNS_TXT, big, out, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "256 bytes, at most 255"));
	big[WEFT_DNS_VALUE_MAX] = '\0';
	assert_int_equal(weft_cli_dns_value(WEFT_DNS_TXT, big, out, err, sizeof(err)), 0);
}

/* The records in an --out file. */
static size_t records_in(const char *path, weft_record_t *out, size_t cap)
{
	msgpack_unpacked u;
	uint8_t *data = NULL;
	const char *why = NULL;
	size_t len = 0, off = 0, i, n = 0;

	assert_int_equal(weft_persist_read(path, WEFT_PERSIST_STORE, &data, &len, &why), 0);
	msgpack_unpacked_init(&u);
	assert_int_equal(msgpack_unpack_next(&u, (const char *)data, len, &off), MSGPACK_UNPACK_SUCCESS);
	assert_int_equal(u.data.type, MSGPACK_OBJECT_ARRAY);
	for (i = 0; i < u.data.via.array.size && n < cap; i++) {
		msgpack_object *o = &u.data.via.array.ptr[i];

		assert_int_equal(o->type, MSGPACK_OBJECT_BIN);
		assert_int_equal(weft_record_decode(&out[n], (const uint8_t *)o->via.bin.ptr, o->via.bin.size, &why),
				 0);
		assert_int_equal(weft_record_verify(&out[n]), 0);
		n++;
	}
	msgpack_unpacked_destroy(&u);
	free(data);
	return n;
}

static void test_command_line(void **state)
{
	char dir[] = "/tmp/weft-cli-dns-XXXXXX", key[128], net[140], file[128];
	weft_record_t recs[8];
	struct capture c;
	size_t i, n;

	assert_non_null(mkdtemp(dir));
	snprintf(key, sizeof(key), "%s/admin.key", dir);
	snprintf(net, sizeof(net), "%s.net", key);
	snprintf(file, sizeof(file), "%s/out.rec", dir);
	assert_int_equal(RUN(&c, "init", "office", "--cidr", "10.78.0.0/16", "--admin-key", key, "--no-node"), 0);
	capture_free(&c);

	/* Usage errors: exit 2, each with its sentence. */
	assert_int_equal(RUN(&c, "dns"), 2);
	assert_non_null(strstr(c.err, "missing NETWORK"));
	capture_free(&c);
	assert_int_equal(RUN(&c, "dns", "office"), 2);
	assert_non_null(strstr(c.err, "missing list, add or rm"));
	capture_free(&c);
	assert_int_equal(RUN(&c, "dns", "office", "show"), 2);
	assert_non_null(strstr(c.err, "unknown action 'show'"));
	capture_free(&c);
	assert_int_equal(RUN(&c, "dns", "office", "add", "db", "A"), 2);
	assert_non_null(strstr(c.err, "missing VALUE"));
	capture_free(&c);
	assert_int_equal(RUN(&c, "dns", "office", "add", "db", "A", "10.1.2.3"), 2);
	assert_non_null(strstr(c.err, "missing --admin-key FILE"));
	capture_free(&c);
	assert_int_equal(RUN(&c, "dns", "office", "add", "db", "MX", "x", "--admin-key", key), 2);
	assert_non_null(strstr(c.err, "unknown TYPE 'MX'"));
	capture_free(&c);
	assert_int_equal(RUN(&c, "dns", "office", "add", "db", "A", "10.1.2.3", "10.1.2.4", "--admin-key", key), 2);
	assert_non_null(strstr(c.err, "unexpected argument '10.1.2.4'"));
	capture_free(&c);
	assert_int_equal(RUN(&c, "dns", "office", "add", "db", "A", "10.1.2.3", "--ttl", "-1", "--admin-key", key),
			 2);
	capture_free(&c);
	assert_int_equal(RUN(&c, "dns", "office", "list", "--admin-key", key), 2);
	capture_free(&c);
	assert_int_equal(RUN(&c, "dns", "office", "rm", "db", "A", "extra", "--admin-key", key), 2);
	capture_free(&c);
	assert_int_equal(RUN(&c, "dns", "--help"), 0);
	assert_non_null(strstr(c.out, "add NAME TYPE VALUE"));
	capture_free(&c);

	/* Bad values: exit 1 with the reason; nothing written. */
	assert_int_equal(RUN(&c, "dns", "office", "add", "db", "A", "1.2.3", "--admin-key", key, "--out", file), 1);
	assert_non_null(strstr(c.err, "bad A value '1.2.3'"));
	capture_free(&c);
	assert_int_equal(RUN(&c, "dns", "office", "add", "db.", "A", "10.1.2.3", "--admin-key", key, "--out", file),
			 1);
	assert_non_null(strstr(c.err, "without a trailing dot"));
	capture_free(&c);
	assert_int_equal(access(file, F_OK), -1);
	/* The wrong network for the key. */
	assert_int_equal(RUN(&c, "dns", "lab", "add", "db", "A", "10.1.2.3", "--admin-key", key, "--out", file), 1);
	assert_non_null(strstr(c.err, "not 'lab'"));
	capture_free(&c);

	/* An offline admin: SRV as four words, signed into the file. */
	assert_int_equal(RUN(&c, "dns", "office", "add", "_sip._udp.office.internal", "srv", "10", "5", "5060",
			     "SIP", "--ttl", "60", "--admin-key", key, "--out", file),
			 0);
	assert_non_null(strstr(c.out, "wrote 1 signed record"));
	capture_free(&c);
	n = records_in(file, recs, 8);
	assert_int_equal(n, 1);
	assert_int_equal(recs[0].type, WEFT_REC_DNS);
	assert_string_equal(recs[0].u.dns.name, "_sip._udp");
	assert_int_equal(recs[0].u.dns.rtype, WEFT_DNS_SRV);
	assert_string_equal(recs[0].u.dns.value, "10 5 5060 sip");
	assert_int_equal(recs[0].u.dns.ttl, 60);
	assert_false(recs[0].u.dns.deleted);
	assert_int_equal(recs[0].u.dns.version, NOW_MS);
	unlink(file);
	/* rm offline: a tombstone for every type (or the one given). */
	assert_int_equal(RUN(&c, "dns", "office", "rm", "db", "--admin-key", key, "--out", file), 0);
	capture_free(&c);
	n = records_in(file, recs, 8);
	assert_int_equal(n, 5);
	for (i = 0; i < n; i++) {
		assert_string_equal(recs[i].u.dns.name, "db");
		assert_true(recs[i].u.dns.deleted);
	}
	unlink(file);
	assert_int_equal(RUN(&c, "dns", "office", "rm", "db", "cname", "--admin-key", key, "--out", file), 0);
	capture_free(&c);
	n = records_in(file, recs, 8);
	assert_int_equal(n, 1);
	assert_int_equal(recs[0].u.dns.rtype, WEFT_DNS_CNAME);
	assert_true(recs[0].u.dns.deleted);
	unlink(file);

	/* list needs the daemon. */
	assert_int_equal(RUN(&c, "dns", "office", "list"), 1);
	assert_non_null(strstr(c.err, "cannot reach the daemon"));
	capture_free(&c);

	unlink(key);
	unlink(net);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_command_line),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
