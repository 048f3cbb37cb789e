/* This node as a relay (relay.h): when it offers relaying, and the
 * forwarding it turns on, in a fake proc tree. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sys/stat.h>
#include <unistd.h>

#include "daemon/config.h"
#include "core/error.h"
#include "daemon/log.h"
#include "daemon/relay.h"

static void put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char get_char(const char *path)
{
	FILE *f = fopen(path, "r");
	int c;

	assert_non_null(f);
	c = fgetc(f);
	fclose(f);
	return (char)c;
}

/* relay.h: when a node offers relaying, and the forwarding it turns on
 * (in a fake proc tree). */
static void test_relay_offer(void **state)
{
	weft_endpoint_t pub[2], priv[1];
	struct weft_relay rl;
	char root[] = "/tmp/weft-relay-XXXXXX", path[256], dir[200], *log = NULL;
	size_t loglen = 0;
	FILE *logf = open_memstream(&log, &loglen);

	assert_int_equal(weft_endpoint_parse(&pub[0], "10.0.0.5:51820"), 0);
	assert_int_equal(weft_endpoint_parse(&pub[1], "203.0.113.10:51820"), 0);
	assert_int_equal(weft_endpoint_parse(&priv[0], "192.168.1.5:51820"), 0);
	assert_true(weft_relay_wanted(WEFT_RELAY_AUTO, true, pub, 2, false));
	assert_false(weft_relay_wanted(WEFT_RELAY_AUTO, true, pub, 2, true));   /* behind a NAT */
	assert_false(weft_relay_wanted(WEFT_RELAY_AUTO, true, priv, 1, false)); /* no public address */
	assert_false(weft_relay_wanted(WEFT_RELAY_AUTO, false, pub, 2, false)); /* no interface */
	assert_false(weft_relay_wanted(WEFT_RELAY_OFF, true, pub, 2, false));
	assert_true(weft_relay_wanted(WEFT_RELAY_ON, true, priv, 1, true));
	assert_int_equal(weft_relay_forwarding(NULL, "../all"), -EINVAL);

	assert_non_null(mkdtemp(root));
	snprintf(dir, sizeof(dir), "%s/proc", root);
	mkdir(dir, 0700);
	strcat(dir, "/sys");
	mkdir(dir, 0700);
	strcat(dir, "/net");
	mkdir(dir, 0700);
	strcat(dir, "/ipv4");
	mkdir(dir, 0700);
	strcat(dir, "/conf");
	mkdir(dir, 0700);
	strcat(dir, "/weft-x");
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/forwarding", dir);
	put_file(path, "0\n");
	snprintf(path, sizeof(path), "%s/send_redirects", dir);
	put_file(path, "1\n");

	weft_log_set_sink(logf);
	memset(&rl, 0, sizeof(rl));
	rl.proc_root = root;
	assert_true(weft_relay_update(&rl, WEFT_RELAY_AUTO, "office", "weft-x", true, pub, 2, false));
	assert_int_equal(rl.flags, WEFT_NODE_RELAY);
	snprintf(path, sizeof(path), "%s/forwarding", dir);
	assert_int_equal(get_char(path), '1');
	snprintf(path, sizeof(path), "%s/send_redirects", dir);
	assert_int_equal(get_char(path), '0');
	assert_false(weft_relay_update(&rl, WEFT_RELAY_AUTO, "office", "weft-x", true, pub, 2, false));
	/* A NAT appears in front of us: no more offer. */
	assert_true(weft_relay_update(&rl, WEFT_RELAY_AUTO, "office", "weft-x", true, pub, 2, true));
	assert_int_equal(rl.flags, 0);
	/* Forwarding cannot be turned on (no such interface): no offer. */
	memset(&rl, 0, sizeof(rl));
	rl.proc_root = root;
	assert_false(weft_relay_update(&rl, WEFT_RELAY_ON, "office", "weft-y", true, pub, 2, false));
	assert_int_equal(rl.flags, 0);
	assert_true(rl.warned);
	assert_false(weft_relay_update(&rl, WEFT_RELAY_ON, "office", "weft-y", true, pub, 2, false));
	fflush(logf);
	assert_non_null(strstr(log, "office: this node offers relaying"));
	assert_non_null(strstr(log, "office: this node no longer offers relaying"));
	/* The failure is told once, not at every scan. */
	assert_non_null(strstr(log, "cannot turn on forwarding for weft-y"));
	assert_null(strstr(strstr(log, "cannot turn on forwarding for weft-y") + 1, "cannot turn on"));
	weft_log_set_sink(NULL);
	fclose(logf);
	free(log);

	snprintf(path, sizeof(path), "%s/forwarding", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/send_redirects", dir);
	unlink(path);
	while (strlen(dir) > strlen(root)) {
		rmdir(dir);
		*strrchr(dir, '/') = '\0';
	}
	assert_int_equal(rmdir(root), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_relay_offer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
