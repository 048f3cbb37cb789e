/* weft ext-client run in process: its argument checks, and add and rm
 * offline (--out, no daemon) end to end — the wg-quick configuration as
 * printed, the key pair it holds against the signed record written, the
 * QR code and JSON forms, and the tombstone rm signs. */
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
#include <json-c/json.h>
#include <msgpack.h>

#include "cli/cli.h"
#include "core/error.h"
#include "core/persist.h"
#include "core/record.h"

#define NOW_MS 1795168800000ull            /* 2026-11-20 10:00:00 UTC */
#define SOCK "/nonexistent/weft-test.sock" /* no daemon: offline */
#define GWID "abababababababababababababababababababababababababababababababab"
#define GWKEY "JspNepJrEFrbbuZl7vyjcwdt1xON57KVKrwuuH+SDGo="

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

static int run_v(struct capture *c, va_list ap)
{
	struct weft_cli cli = { .now_ms = NOW_MS, .socket = SOCK };
	char *argv[40];
	int argc = 0;

	memset(c, 0, sizeof(*c));
	argv[argc++] = (char *)"weft";
	while ((argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	cli.out = open_memstream(&c->out, &c->outlen);
	cli.err = open_memstream(&c->err, &c->errlen);
	cli.in = fmemopen((void *)"", 1, "r");
	assert_non_null(cli.out);
	assert_non_null(cli.err);
	assert_non_null(cli.in);
	c->rc = weft_cli_run(&cli, argc, argv);
	fclose(cli.out);
	fclose(cli.err);
	fclose(cli.in);
	return c->rc;
}

static int run(struct capture *c, ...)
{
	va_list ap;
	int rc;

	va_start(ap, c);
	rc = run_v(c, ap);
	va_end(ap);
	return rc;
}

#define RUN(c, ...) run(c, __VA_ARGS__, (char *)NULL)

/* Runs and expects exit code rc with msg on stderr. */
static void expect(int rc, const char *msg, ...)
{
	struct capture c;
	va_list ap;

	va_start(ap, msg);
	run_v(&c, ap);
	va_end(ap);
	if (c.rc != rc || !c.err || !strstr(c.err, msg))
		fail_msg("exit %d (want %d), stderr '%s' (want '%s')", c.rc, rc, c.err ? c.err : "", msg);
	assert_int_equal(c.outlen, 0);
	capture_free(&c);
}

#define EXPECT(rc, msg, ...) expect(rc, msg, __VA_ARGS__, (char *)NULL)

static char tmpdir[64];
static char oldcwd[4096];

static int enter_tmpdir(void **state)
{
	struct capture c;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/weft-test-ext-XXXXXX");
	if (!getcwd(oldcwd, sizeof(oldcwd)) || !mkdtemp(tmpdir) || chdir(tmpdir) != 0)
		return -1;
	if (RUN(&c, "init", "office", "--cidr", "10.78.0.0/16", "--cidr6", "fd78::/64", "--admin-key", "k",
		"--no-node") != 0)
		return -1;
	capture_free(&c);
	if (RUN(&c, "init", "lab", "--cidr", "10.79.0.0/24", "--admin-key", "lab.k", "--no-node") != 0)
		return -1;
	capture_free(&c);
	return 0;
}

static int leave_tmpdir(void **state)
{
	char cmd[128];

	if (chdir(oldcwd) != 0)
		return -1;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_usage(void **state)
{
	EXPECT(2, "missing NETWORK", "ext-client");
	EXPECT(2, "missing the action", "ext-client", "office");
	EXPECT(2, "unknown action 'del'", "ext-client", "office", "del", "phone");
	EXPECT(2, "missing the client's NAME", "ext-client", "office", "add");
	EXPECT(2, "missing the client's NAME", "ext-client", "office", "rm", "--admin-key", "k");
	EXPECT(2, "unexpected argument 'extra'", "ext-client", "office", "add", "phone", "extra");
	EXPECT(2, "unexpected argument 'x'", "ext-client", "office", "list", "x");
	EXPECT(2, "missing --admin-key", "ext-client", "office", "add", "phone", "--via", "n1");
	EXPECT(2, "missing --admin-key", "ext-client", "office", "rm", "phone");
	EXPECT(2, "missing --via", "ext-client", "office", "add", "phone", "--admin-key", "k");
	EXPECT(2, "are for 'add'", "ext-client", "office", "rm", "phone", "--admin-key", "k", "--via", "n1");
	EXPECT(2, "are for 'add'", "ext-client", "office", "list", "--qr");
	EXPECT(2, "'list' takes no --admin-key", "ext-client", "office", "list", "--admin-key", "k");
	EXPECT(2, "--address at most twice", "ext-client", "office", "add", "phone", "--address", "10.78.0.9",
	       "--address", "fd78::9", "--address", "10.78.0.10");
	EXPECT(2, "unknown option '--frob'", "ext-client", "office", "list", "--frob");
	EXPECT(2, "needs a value", "ext-client", "office", "add", "phone", "--via");
	EXPECT(1, "bad client name 'Phone'", "ext-client", "office", "add", "Phone", "--via", "n1", "--admin-key",
	       "k");
	EXPECT(1, "bad network name", "ext-client", "Office", "list");
}

/* Offline add: what an admin away from every node runs. */
#define ADD(...) "ext-client", "office", "add", "phone", "--admin-key", "k", "--via", GWID, __VA_ARGS__

static void test_offline_checks(void **state)
{
	EXPECT(1, "offline, give --address IP, --gateway-key KEY and --endpoint", ADD("--out", "r"));
	EXPECT(1, "offline, give",
	       ADD("--address", "10.78.0.9", "--endpoint", "203.0.113.5:51820", "--gateway-key", GWKEY, "--dns",
		   "--out", "r"));
	EXPECT(1, "bad --gateway-key 'abc'", ADD("--gateway-key", "abc"));
	EXPECT(1, "bad --keepalive", ADD("--keepalive", "70000"));
	EXPECT(1, "bad --endpoint 'host:1'",
	       ADD("--address", "10.78.0.9", "--endpoint", "host:1", "--gateway-key", GWKEY, "--out", "r"));
	EXPECT(1, "bad --address '10.99.0.9'",
	       ADD("--address", "10.99.0.9", "--endpoint", "203.0.113.5:51820", "--gateway-key", GWKEY, "--out",
		   "r"));
	EXPECT(1, "inside the network's range",
	       ADD("--address", "10.78.255.255", "--endpoint", "203.0.113.5:51820", "--gateway-key", GWKEY, "--out",
		   "r"));
	EXPECT(1, "no IPv6 range", "ext-client", "lab", "add", "phone", "--admin-key", "lab.k", "--via", GWID,
	       "--address", "fd78::9", "--endpoint", "203.0.113.5:51820", "--gateway-key", GWKEY, "--out", "r");
	EXPECT(1, "given twice for IPv4",
	       ADD("--address", "10.78.0.9", "--address", "10.78.0.10", "--endpoint", "203.0.113.5:51820",
		   "--gateway-key", GWKEY, "--out", "r"));
	EXPECT(1, "admin key of network 'office', not 'lab'", "ext-client", "lab", "rm", "x", "--admin-key", "k",
	       "--out", "r");
	EXPECT(1, "cannot reach the local daemon", "ext-client", "office", "list");
	EXPECT(1, "sign offline with --out FILE", "ext-client", "office", "rm", "phone", "--admin-key", "k");
	assert_int_equal(access("r", F_OK), -1); /* nothing was written */
}

/* The records in a 'weft push' file. */
static size_t read_records(const char *path, weft_record_t *out, size_t cap)
{
	msgpack_unpacked u;
	uint8_t *data = NULL;
	size_t len = 0, off = 0, i, n = 0;
	const char *why = NULL;

	assert_int_equal(weft_persist_read(path, WEFT_PERSIST_STORE, &data, &len, &why), 0);
	msgpack_unpacked_init(&u);
	assert_int_equal(msgpack_unpack_next(&u, (const char *)data, len, &off), MSGPACK_UNPACK_SUCCESS);
	assert_int_equal(u.data.type, MSGPACK_OBJECT_ARRAY);
	for (i = 0; i < u.data.via.array.size && n < cap; i++, n++) {
		const msgpack_object *o = &u.data.via.array.ptr[i];

		assert_int_equal(o->type, MSGPACK_OBJECT_BIN);
		assert_int_equal(weft_record_decode(&out[n], (const uint8_t *)o->via.bin.ptr, o->via.bin.size, &why),
				 0);
		assert_int_equal(weft_record_verify(&out[n]), 0);
	}
	msgpack_unpacked_destroy(&u);
	free(data);
	return n;
}

/* The value of "Key = value" in the configuration text. */
static void conf_value(const char *conf, const char *key, char *out, size_t cap)
{
	char pat[64];
	const char *p, *e;

	snprintf(pat, sizeof(pat), "\n%s = ", key);
	p = strstr(conf, pat);
	assert_non_null(p);
	p += strlen(pat);
	e = strchr(p, '\n');
	assert_non_null(e);
	assert_true((size_t)(e - p) < cap);
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
}

static void test_offline_add(void **state)
{
	weft_record_t r[2];
	weft_wgkey_t priv, pub;
	weft_pk_t gw;
	struct capture c;
	char v[128], pubtxt[WEFT_WGKEY_B64_LEN + 1];
	const struct weft_rec_ext_client *e;
	struct json_object *j, *x;

	assert_int_equal(RUN(&c, ADD("--address", "10.78.200.5", "--address", "fd78::c8:5", "--endpoint",
				     "203.0.113.5:51820", "--gateway-key", GWKEY, "--out", "phone.rec")),
			 0);
	/* stdout is the configuration alone, ready for a file; the status
	 * line is on stderr. */
	{
		static const char head[] = "# weft external client 'phone' of network office, through " GWID
					   "\n[Interface]\nPrivateKey = ";

		assert_true(c.outlen > sizeof(head));
		assert_memory_equal(c.out, head, sizeof(head) - 1);
	}
	assert_non_null(strstr(c.out, "\nAddress = 10.78.200.5/32, fd78::c8:5/128\n\n[Peer]\nPublicKey = " GWKEY
				      "\nEndpoint = 203.0.113.5:51820\nAllowedIPs = 10.78.0.0/16, fd78::/64\n"
				      "PersistentKeepalive = 25\n"));
	assert_null(strstr(c.out, "DNS ="));
	assert_null(strstr(c.out, "wrote"));
	assert_non_null(strstr(c.err, "wrote 1 signed record to phone.rec"));
	assert_int_equal(c.rc, 0);

	/* The record holds the public key of the printed private key, and
	 * never the private key. */
	conf_value(c.out, "PrivateKey", v, sizeof(v));
	assert_int_equal(weft_key_from_base64(priv.b, v), 0);
	weft_wgkey_public(&pub, &priv);
	assert_int_equal(read_records("phone.rec", r, 2), 1);
	assert_int_equal(r[0].type, WEFT_REC_EXT_CLIENT);
	e = &r[0].u.ext_client;
	assert_string_equal(e->name, "phone");
	assert_false(e->deleted);
	assert_int_equal(e->version, NOW_MS);
	assert_memory_equal(e->wg_pub.b, pub.b, WEFT_WGKEY_LEN);
	assert_null(memmem(r[0].raw, r[0].raw_len, priv.b, WEFT_WGKEY_LEN));
	assert_int_equal(weft_pk_from_hex(&gw, GWID), 0);
	assert_memory_equal(e->gateway.b, gw.b, WEFT_PK_LEN);
	weft_ip_format(&e->address4, v, sizeof(v));
	assert_string_equal(v, "10.78.200.5");
	weft_ip_format(&e->address6, v, sizeof(v));
	assert_string_equal(v, "fd78::c8:5");
	capture_free(&c);

	/* A second run makes another key pair. */
	assert_int_equal(RUN(&c, ADD("--address", "10.78.200.5", "--endpoint", "203.0.113.5:51820", "--gateway-key",
				     GWKEY, "--keepalive", "0", "--out", "phone2.rec", "--qr")),
			 0);
	conf_value(c.out, "PrivateKey", v, sizeof(v));
	assert_int_equal(weft_key_from_base64(priv.b, v), 0);
	weft_wgkey_public(&pub, &priv);
	assert_memory_not_equal(pub.b, e->wg_pub.b, WEFT_WGKEY_LEN);
	assert_non_null(strstr(c.out, "\nAddress = 10.78.200.5/32\n"));
	assert_null(strstr(c.out, "PersistentKeepalive")); /* --keepalive 0 */
	/* --qr: the code follows, in half blocks with a light quiet zone. */
	assert_non_null(strstr(c.out, "\n\n\xe2\x96\x88\xe2\x96\x88\xe2\x96\x88"));
	assert_non_null(strstr(c.out, "\xe2\x96\x80"));
	capture_free(&c);

	/* --json: the same, as one object. */
	assert_int_equal(RUN(&c, "--json",
			     ADD("--address", "10.78.200.6", "--endpoint", "[2001:db8::5]:4500", "--gateway-key",
				 GWKEY, "--out", "phone3.rec")),
			 0);
	j = json_tokener_parse(c.out);
	assert_non_null(j);
	assert_true(json_object_object_get_ex(j, "address", &x));
	assert_string_equal(json_object_get_string(x), "10.78.200.6");
	assert_true(json_object_object_get_ex(j, "address6", &x));
	assert_null(x);
	assert_true(json_object_object_get_ex(j, "gateway", &x));
	assert_string_equal(json_object_get_string(x), GWID);
	assert_true(json_object_object_get_ex(j, "config", &x));
	assert_non_null(strstr(json_object_get_string(x), "Endpoint = [2001:db8::5]:4500\n"));
	conf_value(json_object_get_string(x), "PrivateKey", v, sizeof(v));
	assert_int_equal(weft_key_from_base64(priv.b, v), 0);
	weft_wgkey_public(&pub, &priv);
	weft_key_to_base64(pubtxt, pub.b);
	assert_true(json_object_object_get_ex(j, "wg_public_key", &x));
	assert_string_equal(json_object_get_string(x), pubtxt);
	json_object_put(j);
	capture_free(&c);
}

static void test_offline_rm(void **state)
{
	weft_record_t r;
	struct capture c;

	assert_int_equal(RUN(&c, "ext-client", "office", "rm", "phone", "--admin-key", "k", "--out", "rm.rec"), 0);
	assert_non_null(strstr(c.out, "wrote 1 signed record to rm.rec"));
	capture_free(&c);
	assert_int_equal(read_records("rm.rec", &r, 1), 1);
	assert_int_equal(r.type, WEFT_REC_EXT_CLIENT);
	assert_string_equal(r.u.ext_client.name, "phone");
	assert_true(r.u.ext_client.deleted);
	assert_int_equal(r.u.ext_client.address4.family, 0);
	/* It outranks a client added at the same moment or before. */
	assert_true(r.u.ext_client.version >= NOW_MS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_usage),
		cmocka_unit_test_setup_teardown(test_offline_checks, enter_tmpdir, leave_tmpdir),
		cmocka_unit_test_setup_teardown(test_offline_add, enter_tmpdir, leave_tmpdir),
		cmocka_unit_test_setup_teardown(test_offline_rm, enter_tmpdir, leave_tmpdir),
	};

	assert_int_equal(weft_crypto_init(), 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
