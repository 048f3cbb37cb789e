/* Two real daemons in this process (threads), each with its own loop,
 * state directory and control socket, on loopback with the in-memory
 * WireGuard backend, driven through the weft command line: init makes the
 * first member, invite fills its bootstrap from the daemon, join, status,
 * peers, push, leave, and a restart from the saved state. No root needed:
 * nothing leaves 127.0.0.1. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "cli/cli.h"
#include "daemon/daemon.h"
#include "daemon/log.h"
#include "core/token.h"

struct node {
	char dir[512], state[600], sock[600], conf[600];
	pthread_t thread;
	int rc;
	bool running;
	unsigned dns_port; /* its loopback DNS listener (dns_listen) */
};

static char top[256];
static struct node A, B;

static void *daemon_thread(void *arg)
{
	struct node *n = arg;
	struct weft_daemon_opts o = {
		.config_path = n->conf,
		.state_dir = n->state,
		.socket = n->sock,
		.log_level = WEFT_LOG_WARN,
	};

	n->rc = weft_daemon_run(&o);
	return NULL;
}

static bool answers(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0), ret;

	/* A socket path longer than sun_path would name another socket. */
	assert_true(strlen(path) < sizeof(sun.sun_path));
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	ret = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	return ret == 0;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void start(struct node *n)
{
	int i;

	assert_int_equal(pthread_create(&n->thread, NULL, daemon_thread, n), 0);
	n->running = true;
	for (i = 0; i < 200 && !answers(n->sock); i++)
		sleep_ms(20);
	assert_true(answers(n->sock));
}

/* SIGTERM reaches every loop watching it: both daemons stop. */
static void stop_all(void)
{
	raise(SIGTERM);
	if (A.running)
		pthread_join(A.thread, NULL);
	if (B.running)
		pthread_join(B.thread, NULL);
	assert_int_equal(A.running ? A.rc : 0, 0);
	assert_int_equal(B.running ? B.rc : 0, 0);
	A.running = B.running = false;
}

struct out {
	char *out, *err;
	size_t olen, elen;
	int rc;
};

static void out_free(struct out *o)
{
	free(o->out);
	free(o->err);
	memset(o, 0, sizeof(*o));
}

static int weft(struct out *o, struct node *n, ...)
{
	struct weft_cli cli = { .socket = n->sock };
	struct timespec ts;
	char *argv[24];
	int argc = 0;
	va_list ap;

	memset(o, 0, sizeof(*o));
	clock_gettime(CLOCK_REALTIME, &ts);
	cli.now_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	argv[argc++] = (char *)"weft";
	va_start(ap, n);
	while ((argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	cli.out = open_memstream(&o->out, &o->olen);
	cli.err = open_memstream(&o->err, &o->elen);
	cli.in = stdin;
	o->rc = weft_cli_run(&cli, argc, argv);
	fclose(cli.out);
	fclose(cli.err);
	if (o->rc)
		fprintf(stderr, "# weft %s ... -> %d: %s", argv[1], o->rc, o->err);
	return o->rc;
}

static struct json_object *weft_json(struct node *n, const char *cmd, const char *net)
{
	struct json_object *j;
	struct out o;

	if (net)
		weft(&o, n, "--json", cmd, net, NULL);
	else
		weft(&o, n, "--json", cmd, NULL);
	assert_int_equal(o.rc, 0);
	j = json_tokener_parse(o.out);
	assert_non_null(j);
	out_free(&o);
	return j;
}

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : NULL;
}

static int jint(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_int(v) : -1;
}

/* The state a node reports for the member named name, or NULL. */
static char *peer_state(struct node *n, const char *name)
{
	struct json_object *a = weft_json(n, "peers", "office"), *p;
	char *st = NULL;
	size_t i;

	for (i = 0; i < json_object_array_length(a); i++) {
		p = json_object_array_get_idx(a, i);
		if (jstr(p, "name") && !strcmp(jstr(p, "name"), name))
			st = strdup(jstr(p, "state"));
	}
	json_object_put(a);
	return st;
}

static bool wait_state(struct node *n, const char *name, const char *want)
{
	char *st;
	int i;

	for (i = 0; i < 150; i++) {
		st = peer_state(n, name);
		if (st && !strcmp(st, want)) {
			free(st);
			return true;
		}
		free(st);
		sleep_ms(100);
	}
	return false;
}

/* A UDP port nothing on this host holds now (the kernel picks it), so two
 * runs of this test, or another program, never collide on a fixed port. */
static unsigned free_udp_port(void)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6 };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET6, SOCK_DGRAM, 0), off = 0;
	unsigned port;

	assert_true(fd >= 0);
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	port = ntohs(sa.sin6_port);
	close(fd);
	return port;
}

static void node_dirs(struct node *n, const char *name, unsigned gossip)
{
	FILE *f;

	snprintf(n->dir, sizeof(n->dir), "%s/%s", top, name);
	assert_int_equal(mkdir(n->dir, 0700), 0);
	snprintf(n->state, sizeof(n->state), "%s/state", n->dir);
	snprintf(n->sock, sizeof(n->sock), "%s/sock", n->dir);
	snprintf(n->conf, sizeof(n->conf), "%s/weft.conf", n->dir);
	f = fopen(n->conf, "w");
	assert_non_null(f);
	/* Announce loopback only: every datagram stays on this host. */
	fprintf(f,
		"wg_backend = memory\nlog_level = warn\nresolver = off\ndns_listen = 127.0.0.1:%u\n[network office]\n"
		"endpoint = 127.0.0.1\n",
		n->dns_port);
	fclose(f);
	(void)gossip;
}

/* A query for name (type qtype, no EDNS) to the node's loopback DNS
 * listener: the answer's length, or -1 after a second without one. */
static int dns_query(struct node *n, const char *name, uint16_t qtype, uint16_t id, uint8_t *ans, size_t cap)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)n->dns_port) };
	struct timeval tv = { 1, 0 };
	uint8_t q[300] = { (uint8_t)(id >> 8), (uint8_t)id, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0 };
	const char *lab = name, *dot;
	size_t k = 12, l;
	ssize_t len;
	int fd;

	while (*lab) {
		dot = strchr(lab, '.');
		l = dot ? (size_t)(dot - lab) : strlen(lab);
		q[k++] = (uint8_t)l;
		memcpy(q + k, lab, l);
		k += l;
		lab += l + (dot ? 1 : 0);
	}
	q[k++] = 0;
	q[k++] = (uint8_t)(qtype >> 8);
	q[k++] = (uint8_t)qtype;
	q[k++] = 0;
	q[k++] = 1; /* IN */
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_int_equal(sendto(fd, q, k, 0, (struct sockaddr *)&sa, sizeof(sa)), (ssize_t)k);
	len = recv(fd, ans, cap, 0);
	close(fd);
	return (int)len;
}

/* from asks n's listener for member's A record, NXDOMAIN for a name
 * nobody has and REFUSED for a name outside the zone; the answer must
 * carry member's address as `weft status` on member reports it. */
static void check_dns(struct node *n, struct node *member, const char *name)
{
	struct json_object *st = weft_json(member, "status", "office");
	char qname[100];
	uint8_t ans[1500], want[4];
	int len = -1, i;

	assert_int_equal(inet_pton(AF_INET, jstr(st, "address"), want), 1);
	json_object_put(st);
	snprintf(qname, sizeof(qname), "%s.office.internal", name);
	/* The zone follows the view: it may take a moment after the join. */
	for (i = 0; i < 50; i++) {
		len = dns_query(n, qname, 1, 0x4242, ans, sizeof(ans));
		if (len > 12 && (ans[3] & 0xf) == 0 && ans[7] == 1)
			break;
		sleep_ms(100);
	}
	assert_true(len > 12 + 4);
	assert_int_equal(ans[0], 0x42); /* the id */
	assert_int_equal(ans[1], 0x42);
	assert_true(ans[2] & 0x80);                  /* QR */
	assert_true(ans[2] & 0x04);                  /* AA */
	assert_int_equal(ans[3] & 0xf, 0);           /* NOERROR */
	assert_int_equal(ans[6] << 8 | ans[7], 1);   /* one answer */
	assert_int_equal(ans[10] << 8 | ans[11], 0); /* no EDNS asked, none given */
	/* The answer is the last record: its rdata, 4 bytes, ends the packet. */
	assert_int_equal(ans[len - 6] << 8 | ans[len - 5], 4);
	assert_memory_equal(ans + len - 4, want, 4);

	len = dns_query(n, "nosuch.office.internal", 1, 7, ans, sizeof(ans));
	assert_true(len >= 12);
	assert_int_equal(ans[3] & 0xf, 3); /* NXDOMAIN */
	assert_int_equal(ans[6] << 8 | ans[7], 0);
	len = dns_query(n, "example.com", 1, 8, ans, sizeof(ans));
	assert_true(len >= 12);
	assert_int_equal(ans[3] & 0xf, 5); /* REFUSED */
	/* Garbage is ignored and does not stop the server. */
	len = dns_query(n, "", 0, 9, ans, sizeof(ans));
	assert_true(len == -1 || (len >= 12 && (ans[3] & 0xf) != 0));
	len = dns_query(n, qname, 28, 10, ans, sizeof(ans)); /* AAAA */
	assert_true(len > 12 + 16);
	assert_int_equal(ans[3] & 0xf, 0);
	assert_int_equal(ans[6] << 8 | ans[7], 1);
	assert_int_equal(ans[len - 18] << 8 | ans[len - 17], 16);
}

static void test_two_daemons(void **state)
{
	struct json_object *st, *a;
	char key[600], token[WEFT_TOKEN_MAX], node_a[65], path[600];
	weft_token_t t;
	const char *why;
	struct out o;
	FILE *f;

	unsigned ga = free_udp_port(), gb = free_udp_port();
	char a_wg[8], a_g[8], b_wg[8], b_g[8], a_boot[32];

	/* WireGuard ports are only recorded (memory backend); they need only
	 * differ from the gossip port. */
	snprintf(a_g, sizeof(a_g), "%u", ga);
	snprintf(a_wg, sizeof(a_wg), "%u", ga == 65535 ? ga - 1 : ga + 1);
	snprintf(b_g, sizeof(b_g), "%u", gb);
	snprintf(b_wg, sizeof(b_wg), "%u", gb == 65535 ? gb - 1 : gb + 1);
	snprintf(a_boot, sizeof(a_boot), "127.0.0.1:%u", ga);
	A.dns_port = free_udp_port();
	B.dns_port = free_udp_port();
	node_dirs(&A, "a", ga);
	node_dirs(&B, "b", gb);
	snprintf(key, sizeof(key), "%s/office.key", top);
	start(&A);

	assert_int_equal(weft(&o, &A, "list", NULL), 0);
	assert_non_null(strstr(o.out, "no network yet"));
	out_free(&o);
	/* A network is made and this daemon's host is its first member. */
	assert_int_equal(weft(&o, &A, "init", "office", "--cidr", "10.91.0.0/16", "--cidr6", "fd91::/64", "--port",
			      a_wg, "--gossip-port", a_g, "--admin-key", key, "--name", "alpha", NULL),
			 0);
	assert_non_null(strstr(o.out, "the first member: 10.91."));
	out_free(&o);
	st = weft_json(&A, "status", "office");
	assert_string_equal(jstr(st, "state"), "member");
	assert_string_equal(jstr(st, "name"), "alpha");
	assert_string_equal(jstr(st, "interface"), "weft-office");
	assert_string_equal(jstr(st, "backend"), "memory");
	assert_int_equal(jint(st, "listen_port"), (int)strtoul(a_wg, NULL, 10));
	assert_int_equal(jint(st, "gossip_port"), (int)ga);
	assert_int_equal(jint(st, "members"), 1);
	assert_non_null(jstr(st, "address6"));
	snprintf(node_a, sizeof(node_a), "%s", jstr(st, "node_id"));
	json_object_put(st);
	/* A second init of the same name is refused by the daemon, and
	 * leaves no admin key behind. */
	snprintf(path, sizeof(path), "%s/second.key", top);
	assert_int_equal(weft(&o, &A, "init", "office", "--cidr", "10.92.0.0/16", "--admin-key", path, NULL), 1);
	assert_non_null(strstr(o.err, "already in a network named office"));
	assert_int_equal(access(path, F_OK), -1);
	out_free(&o);

	/* The invite's bootstrap comes from what the daemon knows. */
	assert_int_equal(weft(&o, &A, "invite", "office", "--admin-key", key, "--uses", "2", NULL), 0);
	snprintf(token, sizeof(token), "%s", o.out);
	token[strcspn(token, "\n")] = '\0';
	out_free(&o);
	assert_int_equal(weft_token_decode(&t, token, &why), 0);
	assert_int_equal(t.nbootstrap, 1);
	assert_string_equal(t.bootstrap[0], a_boot);
	weft_token_wipe(&t);

	start(&B);
	assert_int_equal(weft(&o, &B, "join", token, "--name", "beta", "--listen-port", b_wg, "--gossip-port", b_g,
			      NULL),
			 0);
	assert_non_null(strstr(o.out, "joined office"));
	out_free(&o);
	/* Joining twice is refused with the reason. */
	assert_int_equal(weft(&o, &B, "join", token, NULL), 1);
	assert_non_null(strstr(o.err, "already a member of office"));
	out_free(&o);
	assert_true(wait_state(&A, "beta", "alive"));
	assert_true(wait_state(&B, "alpha", "alive"));
	st = weft_json(&B, "status", "office");
	assert_int_equal(jint(st, "members"), 2);
	json_object_put(st);
	a = weft_json(&B, "peers", "office");
	assert_int_equal(json_object_array_length(a), 2);
	json_object_put(a);
	a = weft_json(&A, "list", NULL);
	assert_int_equal(json_object_array_length(a), 1);
	json_object_put(a);

	/* Each daemon answers DNS for the zone on its loopback listener. */
	check_dns(&A, &B, "beta");
	check_dns(&B, &A, "alpha");

	/* Tables for people. */
	assert_int_equal(weft(&o, &A, "peers", "office", NULL), 0);
	assert_non_null(strstr(o.out, "alpha (this)"));
	assert_non_null(strstr(o.out, "beta"));
	out_free(&o);
	assert_int_equal(weft(&o, &A, "status", NULL), 0);
	assert_non_null(strstr(o.out, "members      2 (2 alive"));
	out_free(&o);
	assert_int_equal(weft(&o, &A, "status", "nosuch", NULL), 1);
	assert_non_null(strstr(o.err, "no network named nosuch"));
	out_free(&o);

	/* push: a file that is not records is refused by the command line. */
	snprintf(path, sizeof(path), "%s/junk", top);
	f = fopen(path, "w");
	fputs("not records\n", f);
	fclose(f);
	assert_int_equal(weft(&o, &A, "push", path, NULL), 1);
	out_free(&o);

	/* B leaves: A sees it go, and B forgets the network. */
	assert_int_equal(weft(&o, &B, "leave", "office", NULL), 0);
	out_free(&o);
	assert_true(wait_state(&A, "beta", "left"));
	a = weft_json(&B, "list", NULL);
	assert_int_equal(json_object_array_length(a), 0);
	json_object_put(a);

	stop_all();

	/* A comes back from its state alone. */
	start(&A);
	st = weft_json(&A, "status", "office");
	assert_string_equal(jstr(st, "state"), "member");
	assert_string_equal(jstr(st, "node_id"), node_a);
	json_object_put(st);
	/* and answers DNS again, from the zone of its saved records. */
	check_dns(&A, &A, "alpha");
	assert_int_equal(weft(&o, &A, "leave", "office", NULL), 0);
	out_free(&o);
	a = weft_json(&A, "list", NULL);
	assert_int_equal(json_object_array_length(a), 0);
	json_object_put(a);
	stop_all();
}

static void test_no_daemon(void **state)
{
	struct node n;
	struct out o;

	memset(&n, 0, sizeof(n));
	snprintf(n.sock, sizeof(n.sock), "%s/nobody.sock", top);
	assert_int_equal(weft(&o, &n, "status", NULL), 1);
	assert_non_null(strstr(o.err, "the weft daemon is not running"));
	out_free(&o);
	assert_int_equal(weft(&o, &n, "join", "weft1-AAAA", NULL), 1);
	assert_non_null(strstr(o.err, "damaged or incomplete"));
	out_free(&o);
	assert_int_equal(weft(&o, &n, "peers", NULL), 2);
	out_free(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_daemon),
		cmocka_unit_test(test_two_daemons),
	};
	char cmd[400];
	int ret;

	weft_crypto_init();
	snprintf(top, sizeof(top), "/tmp/weft-test-loop-XXXXXX");
	if (!mkdtemp(top))
		return 1;
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	if (system(cmd) != 0)
		ret = 1;
	return ret;
}
