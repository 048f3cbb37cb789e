/* The host resolver integration (daemon/resolver.h): the hosts file's managed
 * block as pure text in, text out (placed, replaced, removed, other lines
 * and other networks' blocks kept byte for byte); which members it names;
 * the daemon's side against a hosts file in a scratch directory and a fake
 * resolvectl first in PATH that logs its arguments; and the configuration
 * keys (dns_forward, resolver, hosts_file). */
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
#include <sodium.h>

#include "daemon/config.h"
#include "daemon/resolver.h"
#include "tests/unit/test_dns_util.h"

static struct weft_hosts_line hl(const char *ip, const char *name)
{
	struct weft_hosts_line l;

	memset(&l, 0, sizeof(l));
	assert_int_equal(weft_ip_parse(&l.ip, ip), 0);
	snprintf(l.name, sizeof(l.name), "%s", name);
	return l;
}

/* edit(text) with lines, as a string the test frees. */
static char *edit(const char *text, const char *net, const struct weft_hosts_line *lines, size_t n)
{
	char *out = NULL;
	size_t len = 0;

	assert_int_equal(weft_resolver_hosts_edit(text, strlen(text), net, lines, n, &out, &len), 0);
	assert_non_null(out);
	assert_int_equal(strlen(out), len);
	return out;
}

#define BEGIN(net) "# BEGIN weft network " net " (managed by the weft daemon: edits here are overwritten)\n"
#define END(net) "# END weft network " net "\n"

static void test_hosts_append(void **state)
{
	struct weft_hosts_line l[2] = { hl("10.78.0.5", "n1.office.internal"), hl("fd78::5", "n1.office.internal") };
	char *out;

	out = edit("127.0.0.1\tlocalhost\n::1 localhost\n", "office", l, 2);
	assert_string_equal(
		out, "127.0.0.1\tlocalhost\n::1 localhost\n" BEGIN(
			     "office") "10.78.0.5\tn1.office.internal\nfd78::5\tn1.office.internal\n" END("office"));
	free(out);
	/* No newline at the end of the file: one is added before the block. */
	out = edit("127.0.0.1 localhost", "office", l, 1);
	assert_string_equal(out,
			    "127.0.0.1 localhost\n" BEGIN("office") "10.78.0.5\tn1.office.internal\n" END("office"));
	free(out);
	/* An empty (or missing) file. */
	out = edit("", "office", l, 1);
	assert_string_equal(out, BEGIN("office") "10.78.0.5\tn1.office.internal\n" END("office"));
	free(out);
}

static void test_hosts_replace_in_place(void **state)
{
	static const char before[] =
		"127.0.0.1 localhost\r\n"
		"# a comment the admin wrote\n" BEGIN(
			"office") "10.78.0.5\told.office.internal\n"
				  "10.78.0.6\tgone.office.internal\n" END(
					  "office") "192.0.2.7   printer printer.lan   # after our block\n"
						    "\n";
	struct weft_hosts_line l[1] = { hl("10.78.0.9", "new.office.internal") };
	char *out;

	out = edit(before, "office", l, 1);
	assert_string_equal(out,
			    "127.0.0.1 localhost\r\n"
			    "# a comment the admin wrote\n" BEGIN("office") "10.78.0.9\tnew.office.internal\n" END(
				    "office") "192.0.2.7   printer printer.lan   # after our block\n"
					      "\n");
	free(out);
	/* Removed: every other byte stays. */
	out = edit(before, "office", NULL, 0);
	assert_string_equal(out, "127.0.0.1 localhost\r\n"
				 "# a comment the admin wrote\n"
				 "192.0.2.7   printer printer.lan   # after our block\n"
				 "\n");
	free(out);
	/* Nothing to remove: unchanged. */
	out = edit("127.0.0.1 localhost\n# BEGIN not ours\n", "office", NULL, 0);
	assert_string_equal(out, "127.0.0.1 localhost\n# BEGIN not ours\n");
	free(out);
}

static void test_hosts_other_networks(void **state)
{
	static const char before[] = BEGIN("office2") "10.9.0.1\ta.office2.internal\n" END("office2")
		BEGIN("lab") "10.8.0.1\tb.lab.internal\n" END("lab");
	struct weft_hosts_line l[1] = { hl("10.78.0.1", "c.office.internal") };
	char *out;

	/* "office" is not "office2": both other blocks stay, ours is added. */
	out = edit(before, "office", l, 1);
	assert_string_equal(out, BEGIN("office2") "10.9.0.1\ta.office2.internal\n" END("office2")
					 BEGIN("lab") "10.8.0.1\tb.lab.internal\n" END("lab")
						 BEGIN("office") "10.78.0.1\tc.office.internal\n" END("office"));
	free(out);
	out = edit(before, "lab", NULL, 0);
	assert_string_equal(out, BEGIN("office2") "10.9.0.1\ta.office2.internal\n" END("office2"));
	free(out);
}

static void test_hosts_damaged_block(void **state)
{
	struct weft_hosts_line l[1] = { hl("10.78.0.1", "c.office.internal") };
	char *out;

	/* Opened, never closed (someone cut the end): only the opening line
	 * goes, so no line of the admin's is ever lost. */
	out = edit("a\n" BEGIN("office") "10.78.0.5\tx.office.internal\nb\n", "office", NULL, 0);
	assert_string_equal(out, "a\n10.78.0.5\tx.office.internal\nb\n");
	free(out);
	/* Two blocks (a copy pasted twice): both go, one new one at the first. */
	out = edit(BEGIN("office") "1.1.1.1\tx\n" END("office") "mid\n" BEGIN("office") "2.2.2.2\ty\n" END("office"),
		   "office", l, 1);
	assert_string_equal(out, BEGIN("office") "10.78.0.1\tc.office.internal\n" END("office") "mid\n");
	free(out);
	/* A marker without its trailing newline at the end of the file. */
	out = edit("a\n" BEGIN("office") "1.1.1.1\tx\n# END weft network office", "office", l, 1);
	assert_string_equal(out, "a\n" BEGIN("office") "10.78.0.1\tc.office.internal\n" END("office"));
	free(out);
}

static weft_dns_zone_t *zone_of(struct tview *t)
{
	weft_dns_zone_t *z = NULL;

	assert_int_equal(weft_dns_zone_build_entries(&z, &t->v, NULL, 0, NULL), 0);
	return z;
}

static void test_hosts_lines(void **state)
{
	struct weft_hosts_line l[16];
	weft_dns_zone_t *z;
	struct tview t;
	char ip[WEFT_ADDRSTRLEN];
	size_t n;

	tv_init(&t, "office", NULL, "10.78.0.0/16", "fd78::/64");
	tv_add(&t, 1, "alpha", "10.78.0.1", "fd78::1", WEFT_MEMBER_ACTIVE);
	tv_add(&t, 2, "beta", "10.78.0.2", NULL, WEFT_MEMBER_ACTIVE);
	tv_add(&t, 3, "alpha", "10.78.0.3", "fd78::3", WEFT_MEMBER_ACTIVE); /* loses the name */
	tv_add(&t, 4, "gamma", "10.78.0.4", "fd78::4", WEFT_MEMBER_PENDING);
	tv_add(&t, 5, "", "10.78.0.5", NULL, WEFT_MEMBER_ACTIVE);
	tv_add(&t, 6, "delta", "10.78.0.6", NULL, WEFT_MEMBER_LEFT);
	z = zone_of(&t);
	n = weft_resolver_hosts_lines(&t.v, z, l, 16);
	assert_int_equal(n, 3);
	assert_string_equal(weft_ip_format(&l[0].ip, ip, sizeof(ip)), "10.78.0.1");
	assert_string_equal(l[0].name, "alpha.office.internal");
	assert_string_equal(weft_ip_format(&l[1].ip, ip, sizeof(ip)), "fd78::1");
	assert_string_equal(l[1].name, "alpha.office.internal");
	assert_string_equal(weft_ip_format(&l[2].ip, ip, sizeof(ip)), "10.78.0.2");
	assert_string_equal(l[2].name, "beta.office.internal");
	/* A short buffer holds what fits. */
	assert_int_equal(weft_resolver_hosts_lines(&t.v, z, l, 2), 2);
	weft_dns_zone_free(z);

	/* The admin's address entries follow the members (a hosts file has
	 * no CNAME, TXT or wildcard: those stay in DNS only). */
	{
		static const struct {
			const char *name, *value;
			uint16_t type;
		} e[] = {
			{ "nas", "10.78.9.9", WEFT_DNS_A },
			{ "nas", "fd78::99", WEFT_DNS_AAAA },
			{ "www", "nas.office.internal", WEFT_DNS_CNAME },
			{ "*.dev", "10.78.9.10", WEFT_DNS_A },
			{ "note", "hello", WEFT_DNS_TXT },
		};
		struct weft_rec_dns d[5];
		const struct weft_rec_dns *dp[5];

		for (size_t i = 0; i < 5; i++) {
			memset(&d[i], 0, sizeof(d[i]));
			d[i].version = 1;
			snprintf(d[i].name, sizeof(d[i].name), "%s", e[i].name);
			snprintf(d[i].value, sizeof(d[i].value), "%s", e[i].value);
			d[i].rtype = e[i].type;
			d[i].ttl = 60;
			dp[i] = &d[i];
		}
		assert_int_equal(weft_dns_zone_build_entries(&z, &t.v, dp, 5, NULL), 0);
		assert_int_equal(weft_resolver_zone_addresses(z), 5); /* alpha x2, beta, nas x2 */
		n = weft_resolver_hosts_lines(&t.v, z, l, 16);
		assert_int_equal(n, 5);
		assert_string_equal(l[2].name, "beta.office.internal");
		assert_string_equal(weft_ip_format(&l[3].ip, ip, sizeof(ip)), "10.78.9.9");
		assert_string_equal(l[3].name, "nas.office.internal");
		assert_string_equal(weft_ip_format(&l[4].ip, ip, sizeof(ip)), "fd78::99");
		assert_string_equal(l[4].name, "nas.office.internal");
		weft_dns_zone_free(z);
	}
	tv_free(&t);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 65536);
	size_t n;

	assert_non_null(buf);
	if (!f)
		return buf;
	n = fread(buf, 1, 65535, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void test_daemon_hosts_file(void **state)
{
	char dir[] = "/tmp/weft-resolver-XXXXXX", path[256], *text;
	struct weft_config cfg;
	struct weft_resolver *r;
	weft_ip_t none = { 0 };
	weft_dns_zone_t *z;
	struct stat st1, st2;
	struct tview t;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/hosts", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("127.0.0.1 localhost\n", f);
	fclose(f);
	assert_int_equal(chmod(path, 0640), 0);
	weft_config_defaults(&cfg);
	cfg.resolver = WEFT_RESOLVER_HOSTS;
	snprintf(cfg.hosts_file, sizeof(cfg.hosts_file), "%s", path);

	tv_init(&t, "office", "corp.example", "10.78.0.0/16", NULL);
	tv_add(&t, 1, "alpha", "10.78.0.1", NULL, WEFT_MEMBER_ACTIVE);
	z = zone_of(&t);
	r = weft_resolver_new(&cfg, "office");
	assert_non_null(r);
	weft_resolver_update(r, &t.v, z, NULL, &none, &none);
	text = slurp(path);
	assert_string_equal(text,
			    "127.0.0.1 localhost\n" BEGIN("office") "10.78.0.1\talpha.corp.example\n" END("office"));
	free(text);
	assert_int_equal(stat(path, &st1), 0);
	assert_int_equal(st1.st_mode & 0777, 0640); /* the file's mode is kept */
	/* The same view again: the file is not rewritten (same inode). */
	weft_resolver_update(r, &t.v, z, NULL, &none, &none);
	assert_int_equal(stat(path, &st2), 0);
	assert_int_equal(st1.st_ino, st2.st_ino);
	weft_dns_zone_free(z);
	/* A new member: rewritten atomically (a new inode). */
	tv_add(&t, 2, "beta", "10.78.0.2", NULL, WEFT_MEMBER_ACTIVE);
	z = zone_of(&t);
	weft_resolver_update(r, &t.v, z, NULL, &none, &none);
	assert_int_equal(stat(path, &st2), 0);
	assert_int_not_equal(st1.st_ino, st2.st_ino);
	text = slurp(path);
	assert_string_equal(text,
			    "127.0.0.1 localhost\n" BEGIN("office") "10.78.0.1\talpha.corp.example\n"
								    "10.78.0.2\tbeta.corp.example\n" END("office"));
	free(text);
	/* Leave: the block goes, the rest stays. */
	weft_resolver_remove(r);
	text = slurp(path);
	assert_string_equal(text, "127.0.0.1 localhost\n");
	free(text);
	weft_resolver_free(r);
	/* Off: nothing is written. */
	cfg.resolver = WEFT_RESOLVER_OFF;
	r = weft_resolver_new(&cfg, "office");
	weft_resolver_update(r, &t.v, z, NULL, &none, &none);
	text = slurp(path);
	assert_string_equal(text, "127.0.0.1 localhost\n");
	free(text);
	weft_resolver_free(r);
	weft_dns_zone_free(z);
	tv_free(&t);
	unlink(path);
	rmdir(dir);
}

/* systemd-resolved is not on this machine: a fake resolvectl first in
 * PATH logs its arguments, one call a line. */
static void test_daemon_resolvectl(void **state)
{
	char dir[] = "/tmp/weft-resolvectl-XXXXXX", script[256], log[256], path[4096], *text, *old;
	struct weft_config cfg;
	struct weft_resolver *r;
	weft_ip_t a4, a6, none = { 0 };
	weft_dns_zone_t *z;
	struct tview t;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(script, sizeof(script), "%s/resolvectl", dir);
	snprintf(log, sizeof(log), "%s/log", dir);
	f = fopen(script, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\necho \"$*\" >>%s\n", log);
	fclose(f);
	assert_int_equal(chmod(script, 0755), 0);
	old = getenv("PATH") ? strdup(getenv("PATH")) : strdup("/usr/bin:/bin");
	snprintf(path, sizeof(path), "%s:%s", dir, old);
	setenv("PATH", path, 1);

	weft_config_defaults(&cfg);
	cfg.resolver = WEFT_RESOLVER_RESOLVED;
	tv_init(&t, "office", NULL, "10.78.0.0/16", "fd78::/64");
	tv_add(&t, 1, "alpha", "10.78.0.1", "fd78::1", WEFT_MEMBER_ACTIVE);
	z = zone_of(&t);
	assert_int_equal(weft_ip_parse(&a4, "10.78.0.1"), 0);
	assert_int_equal(weft_ip_parse(&a6, "fd78::1"), 0);
	r = weft_resolver_new(&cfg, "office");
	/* No interface (memory backend): resolved cannot be told anything. */
	weft_resolver_update(r, &t.v, z, NULL, &a4, &a6);
	weft_resolver_update(r, &t.v, z, "weft-office", &none, &none);
	text = slurp(log);
	assert_string_equal(text, "");
	free(text);
	weft_resolver_update(r, &t.v, z, "weft-office", &a4, &a6);
	weft_resolver_update(r, &t.v, z, "weft-office", &a4, &a6); /* unchanged: not run again */
	text = slurp(log);
	/* The zone and its two reverse zones, routing-only. */
	assert_string_equal(text, "dns weft-office 10.78.0.1 fd78::1\ndomain weft-office ~office.internal "
				  "~78.10.in-addr.arpa ~0.0.0.0.0.0.0.0.0.0.0.0.8.7.d.f.ip6.arpa\n");
	free(text);
	weft_resolver_remove(r);
	text = slurp(log);
	assert_string_equal(text, "dns weft-office 10.78.0.1 fd78::1\ndomain weft-office ~office.internal "
				  "~78.10.in-addr.arpa ~0.0.0.0.0.0.0.0.0.0.0.0.8.7.d.f.ip6.arpa\n"
				  "revert weft-office\n");
	free(text);
	weft_resolver_free(r);

	/* A failing resolvectl: the update is tried again next time. */
	f = fopen(script, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\necho \"fail $*\" >>%s\nexit 1\n", log);
	fclose(f);
	unlink(log);
	r = weft_resolver_new(&cfg, "office");
	weft_resolver_update(r, &t.v, z, "weft-office", &a4, &none);
	weft_resolver_update(r, &t.v, z, "weft-office", &a4, &none);
	text = slurp(log);
	assert_string_equal(text, "fail dns weft-office 10.78.0.1\nfail dns weft-office 10.78.0.1\n");
	free(text);
	weft_resolver_free(r);

	setenv("PATH", old, 1);
	free(old);
	weft_dns_zone_free(z);
	tv_free(&t);
	unlink(log);
	unlink(script);
	rmdir(dir);
}

static int parse(struct weft_config *c, const char *text, char *err, size_t errlen)
{
	weft_config_defaults(c);
	return weft_config_parse(c, text, strlen(text), err, errlen);
}

static void test_config_keys(void **state)
{
	struct weft_config c;
	char err[256], ep[WEFT_EPSTRLEN];
	const struct weft_config_net *n;

	assert_int_equal(parse(&c, "", err, sizeof(err)), 0);
	assert_int_equal(c.resolver, WEFT_RESOLVER_AUTO);
	assert_string_equal(c.hosts_file, "");
	assert_int_equal(c.nforward, 0);
	assert_int_equal(parse(&c,
			       "dns_forward = 192.0.2.53  [2001:db8::53]:5353\n"
			       "resolver = hosts\nhosts_file = /tmp/h\n"
			       "[network office]\ndns_forward = 10.0.0.1:54\n",
			       err, sizeof(err)),
			 0);
	assert_int_equal(c.nforward, 2);
	assert_string_equal(weft_endpoint_format(&c.forward[0], ep, sizeof(ep)), "192.0.2.53:53");
	assert_string_equal(weft_endpoint_format(&c.forward[1], ep, sizeof(ep)), "[2001:db8::53]:5353");
	assert_int_equal(c.resolver, WEFT_RESOLVER_HOSTS);
	assert_string_equal(c.hosts_file, "/tmp/h");
	n = weft_config_net(&c, "office");
	assert_non_null(n);
	assert_int_equal(n->nforward, 1);
	assert_string_equal(weft_endpoint_format(&n->forward[0], ep, sizeof(ep)), "10.0.0.1:54");
	assert_int_equal(parse(&c, "resolver = resolved\nresolver = off\n", err, sizeof(err)), 0);
	assert_int_equal(c.resolver, WEFT_RESOLVER_OFF);

	assert_int_equal(parse(&c, "resolver = dnsmasq\n", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "line 1: bad resolver 'dnsmasq': use auto, resolved, hosts or off");
	assert_int_equal(parse(&c, "dns_forward = 192.0.2.1 dns.example\n", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "line 1: bad dns_forward 'dns.example'"));
	assert_int_equal(parse(&c, "dns_forward = 1.1.1.1 1.1.1.2 1.1.1.3 1.1.1.4 1.1.1.5\n", err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "too many dns_forward"));
	assert_int_equal(parse(&c, "dns_forward = 1.1.1.1:0\n", err, sizeof(err)), -EINVAL);
	assert_int_equal(parse(&c, "hosts_file = etc/hosts\n", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "hosts_file must be an absolute path"));
	assert_int_equal(parse(&c, "[network a]\nresolver = off\n", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "unknown network setting 'resolver'"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hosts_append),         cmocka_unit_test(test_hosts_replace_in_place),
		cmocka_unit_test(test_hosts_other_networks), cmocka_unit_test(test_hosts_damaged_block),
		cmocka_unit_test(test_hosts_lines),          cmocka_unit_test(test_daemon_hosts_file),
		cmocka_unit_test(test_daemon_resolvectl),    cmocka_unit_test(test_config_keys),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
