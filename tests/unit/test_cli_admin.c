/* The admin commands (node, network, revoke, rotate, policy; invite's
 * pinning options) run in process: their argument checks, and the records
 * they sign, read back from --out files or from what a stand-in daemon on
 * a test socket received. The stand-in answers the control requests these
 * commands make ("records", "peers", "push") from records the test holds. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>
#include <sodium.h>

#include "cli/adminops.h"
#include "cli/cli.h"
#include "core/error.h"
#include "core/mpack.h"
#include "core/persist.h"
#include "core/token.h"

#define NOW_MS 1795168800000ull /* 2026-11-20 10:00:00 UTC */
#define NOW_S (NOW_MS / 1000)
#define NMEMBERS 4
#define MAXREC 64

struct capture {
	char *out, *err;
	size_t outlen, errlen;
	int rc;
};

/* The stand-in daemon. */
struct fake {
	char path[64];
	int lfd;
	pthread_t th;
	volatile int stop;
	pthread_mutex_t mu;
	weft_record_t held[MAXREC];
	size_t nheld;
	char peers[8192];
	weft_record_t pushed[MAXREC];
	size_t npushed;
	unsigned requests;
	bool no_network; /* answer every request: no such network here */
};

static struct {
	char dir[64], oldcwd[4096];
	weft_keypair_t admin, other_admin;
	weft_keypair_t node[NMEMBERS];
	char hex[NMEMBERS][65];
	struct fake fake;
	bool fake_up;
} g;

static void capture_free(struct capture *c)
{
	free(c->out);
	free(c->err);
	memset(c, 0, sizeof(*c));
}

/* weft --socket SOCK ARGS...; SOCK is the stand-in's when it runs. */
static int run(struct capture *c, const char *first, ...)
{
	struct weft_cli cli = { .now_ms = NOW_MS };
	char *argv[40];
	int argc = 0;
	va_list ap;

	memset(c, 0, sizeof(*c));
	argv[argc++] = (char *)"weft";
	argv[argc++] = (char *)"--socket";
	argv[argc++] = g.fake_up ? g.fake.path : (char *)"no-daemon.sock";
	argv[argc++] = (char *)first;
	va_start(ap, first);
	while ((argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	cli.out = open_memstream(&c->out, &c->outlen);
	cli.err = open_memstream(&c->err, &c->errlen);
	cli.in = fmemopen((void *)"", 1, "r");
	c->rc = weft_cli_run(&cli, argc, argv);
	fclose(cli.out);
	fclose(cli.err);
	fclose(cli.in);
	return c->rc;
}
#define RUN(c, ...) run(c, __VA_ARGS__, (char *)NULL)

static bool has(const char *s, const char *pat)
{
	return !pat || (s && strstr(s, pat));
}

/* Runs and expects rc with pattern (if not NULL) on stderr. */
#define EXPECT(rc_, pat, ...)                                                          \
	do {                                                                           \
		struct capture c_;                                                     \
		if (RUN(&c_, __VA_ARGS__) != (rc_) || !has(c_.err, (pat)))             \
			fail_msg("rc %d (want %d), stderr: %s", c_.rc, (rc_), c_.err); \
		capture_free(&c_);                                                     \
	} while (0)

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* The records of an --out file, each checked: decodes, verifies, and is
 * signed by signer (NULL: the admin key). */
static size_t read_out(const char *path, weft_record_t *recs, size_t cap, const weft_keypair_t *signer)
{
	struct weft_rbuf r;
	const uint8_t *p;
	const char *why = NULL;
	uint8_t *data = NULL;
	size_t len = 0, bl, i;
	uint32_t n;

	if (weft_persist_read(path, WEFT_PERSIST_STORE, &data, &len, &why) != 0)
		fail_msg("cannot read %s: %s", path, why ? why : "?");
	r = (struct weft_rbuf){ .p = data, .len = len };
	assert_int_equal(weft_mp_read_array(&r, &n), 0);
	assert_true(n <= cap);
	for (i = 0; i < n; i++) {
		assert_int_equal(weft_mp_read_bin(&r, &p, &bl), 0);
		if (weft_record_decode(&recs[i], p, bl, &why) != 0)
			fail_msg("record %zu of %s: %s", i, path, why);
		assert_int_equal(weft_record_verify(&recs[i]), 0);
		assert_memory_equal(recs[i].signer.b, (signer ? signer : &g.admin)->pk.b, WEFT_PK_LEN);
	}
	assert_int_equal(weft_mp_end(&r), 0);
	free(data);
	return n;
}

/* ---- the stand-in daemon ---- */

static void reply(int fd, struct json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	size_t len = strlen(s);

	if (write(fd, s, len) != (ssize_t)len || write(fd, "\n", 1) != 1)
		fprintf(stderr, "# fake daemon: short write\n");
	json_object_put(o);
}

static struct json_object *b64_of(const weft_record_t *r)
{
	char b64[WEFT_RECORD_MAX * 2];

	sodium_bin2base64(b64, sizeof(b64), r->raw, r->raw_len, sodium_base64_VARIANT_ORIGINAL);
	return json_object_new_string(b64);
}

static void serve(struct fake *f, int fd)
{
	struct json_object *req, *o = json_object_new_object(), *res, *a, *v;
	char buf[65536];
	const char *cmd, *type;
	size_t len = 0, i;
	ssize_t n;

	while (len < sizeof(buf) - 1 && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0) {
		len += (size_t)n;
		if (memchr(buf, '\n', len))
			break;
	}
	buf[len] = '\0';
	req = json_tokener_parse(buf);
	cmd = req && json_object_object_get_ex(req, "cmd", &v) ? json_object_get_string(v) : "";
	pthread_mutex_lock(&f->mu);
	f->requests++;
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	if (f->no_network) {
		json_object_object_add(o, "ok", json_object_new_boolean(0));
		json_object_object_add(o, "code", json_object_new_string("notfound"));
		json_object_object_add(o, "error", json_object_new_string("this host is in no network named lab"));
	} else if (!strcmp(cmd, "records")) {
		type = json_object_object_get_ex(req, "type", &v) ? json_object_get_string(v) : "";
		res = json_object_new_object();
		a = json_object_new_array();
		for (i = 0; i < f->nheld; i++)
			if (!strcmp(weft_rec_type_name(f->held[i].type), type))
				json_object_array_add(a, b64_of(&f->held[i]));
		json_object_object_add(res, "records", a);
		json_object_object_add(o, "result", res);
	} else if (!strcmp(cmd, "peers")) {
		json_object_object_add(o, "result", json_tokener_parse(f->peers));
	} else if (!strcmp(cmd, "push")) {
		uint8_t raw[WEFT_RECORD_MAX];
		size_t bin;
		const char *s;

		json_object_object_get_ex(req, "records", &a);
		for (i = 0; i < json_object_array_length(a) && f->npushed < MAXREC; i++) {
			s = json_object_get_string(json_object_array_get_idx(a, i));
			if (sodium_base642bin(raw, sizeof(raw), s, strlen(s), NULL, &bin, NULL,
					      sodium_base64_VARIANT_ORIGINAL) == 0 &&
			    weft_record_decode(&f->pushed[f->npushed], raw, bin, NULL) == 0)
				f->npushed++;
		}
		res = json_object_new_object();
		json_object_object_add(res, "accepted", json_object_new_int((int)i));
		json_object_object_add(res, "already_held", json_object_new_int(0));
		json_object_object_add(res, "refused", json_object_new_array());
		json_object_object_add(o, "result", res);
	} else {
		json_object_object_add(o, "ok", json_object_new_boolean(0));
		json_object_object_add(o, "code", json_object_new_string("notfound"));
		json_object_object_add(o, "error", json_object_new_string("unknown request"));
	}
	pthread_mutex_unlock(&f->mu);
	json_object_put(req);
	reply(fd, o);
}

static void *fake_main(void *arg)
{
	struct fake *f = arg;
	struct pollfd p = { .fd = f->lfd, .events = POLLIN };
	int fd;

	while (!f->stop) {
		if (poll(&p, 1, 20) <= 0)
			continue;
		fd = accept(f->lfd, NULL, NULL);
		if (fd < 0)
			continue;
		serve(f, fd);
		close(fd);
	}
	return NULL;
}

static void fake_start(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct fake *f = &g.fake;

	memset(f, 0, sizeof(*f));
	pthread_mutex_init(&f->mu, NULL);
	snprintf(f->path, sizeof(f->path), "fake.sock");
	snprintf(f->peers, sizeof(f->peers), "[]");
	unlink(f->path);
	f->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(f->lfd >= 0);
	memcpy(sun.sun_path, f->path, strlen(f->path) + 1);
	assert_int_equal(bind(f->lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(f->lfd, 8), 0);
	assert_int_equal(pthread_create(&f->th, NULL, fake_main, f), 0);
	g.fake_up = true;
}

static int fake_stop(void **state)
{
	if (!g.fake_up)
		return 0;
	g.fake.stop = 1;
	pthread_join(g.fake.th, NULL);
	close(g.fake.lfd);
	unlink(g.fake.path);
	pthread_mutex_destroy(&g.fake.mu);
	g.fake_up = false;
	return 0;
}

static int with_fake(void **state)
{
	fake_start();
	return 0;
}

static void hold(const weft_record_t *r)
{
	assert_true(g.fake.nheld < MAXREC);
	g.fake.held[g.fake.nheld++] = *r;
}

static void sign(weft_record_t *r, const weft_keypair_t *kp)
{
	const char *why = NULL;

	if (weft_record_sign(r, kp) != 0) {
		weft_record_check(r, &why);
		fail_msg("cannot sign a %s: %s", weft_rec_type_name(r->type), why);
	}
}

/* Member i: its member record (certified by the admin) and its state. */
static void hold_member(unsigned i, const char *name)
{
	weft_record_t r;

	memset(&r, 0, sizeof(r));
	r.type = WEFT_REC_MEMBER;
	r.u.member.node_id = g.node[i].pk;
	r.u.member.invite_pk = g.admin.pk;
	r.u.member.join_time = NOW_MS - 1000 + i;
	sign(&r, &g.admin);
	hold(&r);
	memset(&r, 0, sizeof(r));
	r.type = WEFT_REC_NODE_STATE;
	r.u.node_state.node_id = g.node[i].pk;
	r.u.node_state.version = 5;
	r.u.node_state.wg_port = 51820;
	r.u.node_state.gossip_port = 51821;
	snprintf(r.u.node_state.name, sizeof(r.u.node_state.name), "%s", name);
	sign(&r, &g.node[i]);
	hold(&r);
}

/* A peers JSON array of members 0..n-1 with the given states. */
static void set_peers(const char *path, unsigned n, const char *const *states)
{
	char *p = path ? NULL : g.fake.peers;
	char buf[8192];
	size_t off = 0;
	unsigned i;
	FILE *f;

	off += (size_t)snprintf(buf + off, sizeof(buf) - off, "[");
	for (i = 0; i < n; i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off,
					"%s{\"node_id\":\"%s\",\"name\":\"n%u\",\"address\":\"10.42.0.%u\","
					"\"address6\":null,\"state\":\"%s\",\"self\":%s}",
					i ? "," : "", g.hex[i], i, 10 + i, states[i], i ? "false" : "true");
	snprintf(buf + off, sizeof(buf) - off, "]");
	if (p) {
		memcpy(p, buf, strlen(buf) + 1);
		return;
	}
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(buf, f);
	fclose(f);
}

/* ---- fixture ---- */

static int setup(void **state)
{
	struct capture c;
	unsigned i;

	if (weft_crypto_init() != 0 || !getcwd(g.oldcwd, sizeof(g.oldcwd)))
		return -1;
	snprintf(g.dir, sizeof(g.dir), "/tmp/weft-cli-admin.XXXXXX");
	if (!mkdtemp(g.dir) || chdir(g.dir) != 0)
		return -1;
	umask(022);
	if (RUN(&c, "init", "lab", "--cidr", "10.42.0.0/24", "--no-node", "--admin-key", "lab.key") != 0)
		return -1;
	capture_free(&c);
	if (RUN(&c, "init", "other", "--cidr", "10.43.0.0/24", "--no-node", "--admin-key", "other.key") != 0)
		return -1;
	capture_free(&c);
	if (weft_keyfile_read_ed25519("lab.key", &g.admin) || weft_keyfile_read_ed25519("other.key", &g.other_admin))
		return -1;
	for (i = 0; i < NMEMBERS; i++) {
		weft_keypair_generate(&g.node[i]);
		weft_pk_to_hex(g.hex[i], &g.node[i].pk);
	}
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	fake_stop(state);
	if (chdir(g.oldcwd) != 0)
		return -1;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g.dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- pure helpers ---- */

static void test_when(void **state)
{
	uint64_t t = 1;

	assert_int_equal(weft_adminops_when("7d", NOW_S, &t), 0);
	assert_int_equal(t, NOW_S + 7 * 86400);
	assert_int_equal(weft_adminops_when("never", NOW_S, &t), 0);
	assert_int_equal(t, 0);
	assert_int_equal(weft_adminops_when("2027-01-31", NOW_S, &t), 0);
	assert_int_equal(t, 1801353600ull); /* 2027-01-31 00:00 UTC */
	assert_int_equal(weft_adminops_when("2027-01-31T18:30", NOW_S, &t), 0);
	assert_int_equal(t, 1801353600ull + 18 * 3600 + 30 * 60);
	assert_int_equal(weft_adminops_when("2028-02-29", NOW_S, &t), 0);
	assert_int_equal(weft_adminops_when("2027-02-29", NOW_S, &t), -1);
	assert_int_equal(weft_adminops_when("2027-13-01", NOW_S, &t), -1);
	assert_int_equal(weft_adminops_when("2027-01-31T24:00", NOW_S, &t), -1);
	assert_int_equal(weft_adminops_when("2027-01-31 18:30", NOW_S, &t), -1);
	assert_int_equal(weft_adminops_when("2027-1-31", NOW_S, &t), -1);
	assert_int_equal(weft_adminops_when("1969-12-31", NOW_S, &t), -1);
	assert_int_equal(weft_adminops_when("", NOW_S, &t), -1);
	assert_int_equal(weft_adminops_when("-7d", NOW_S, &t), -1);
	assert_int_equal(weft_adminops_when("7", NOW_S, &t), -1);
}

static void test_members_json(void **state)
{
	struct weft_admin_member *m = NULL;
	struct json_object *a;
	const char *why = NULL;
	size_t n = 9;
	char text[512];

	snprintf(text, sizeof(text),
		 "[{\"node_id\":\"%s\",\"name\":\"web\",\"address\":\"10.42.0.7\",\"address6\":\"fd00::7\","
		 "\"state\":\"alive\"},{\"node_id\":\"%s\",\"name\":null,\"address\":null,\"state\":\"revoked\"}]",
		 g.hex[0], g.hex[1]);
	a = json_tokener_parse(text);
	assert_int_equal(weft_adminops_members_json(a, &m, &n, &why), 0);
	json_object_put(a);
	assert_int_equal(n, 2);
	assert_memory_equal(m[0].id.b, g.node[0].pk.b, 32);
	assert_string_equal(m[0].name, "web");
	assert_int_equal(m[0].addr4.family, 4);
	assert_int_equal(m[0].addr6.family, 6);
	assert_true(weft_adminops_member_active(&m[0]));
	assert_false(weft_adminops_member_active(&m[1]));
	assert_string_equal(m[1].name, "");
	assert_ptr_equal(weft_adminops_member_find(m, n, &g.node[1].pk), &m[1]);
	assert_null(weft_adminops_member_find(m, n, &g.node[2].pk));
	free(m);

	a = json_tokener_parse("[{\"node_id\":\"abcd\",\"state\":\"alive\"}]");
	assert_int_equal(weft_adminops_members_json(a, &m, &n, &why), -1);
	assert_non_null(strstr(why, "node_id"));
	json_object_put(a);
	a = json_tokener_parse("{\"node_id\":1}");
	assert_int_equal(weft_adminops_members_json(a, &m, &n, &why), -1);
	json_object_put(a);
}

/* ---- weft node ---- */

static void test_node_usage(void **state)
{
	EXPECT(2, "missing NODE", "node", "lab");
	EXPECT(2, "missing what to do", "node", "lab", g.hex[0]);
	EXPECT(2, "unknown action 'get'", "node", "lab", g.hex[0], "get", "--admin-key", "lab.key");
	EXPECT(2, "nothing to set", "node", "lab", g.hex[0], "set", "--admin-key", "lab.key");
	EXPECT(2, "missing --admin-key", "node", "lab", g.hex[0], "set", "--name", "x");
	EXPECT(2, "unknown option", "node", "lab", g.hex[0], "set", "--nmae", "x");
	EXPECT(1, "bad --expires 'tomorrow'", "node", "lab", g.hex[0], "set", "--admin-key", "lab.key", "--expires",
	       "tomorrow", "--out", "n.out");
	EXPECT(1, "bad --name 'Web'", "node", "lab", g.hex[0], "set", "--admin-key", "lab.key", "--name", "Web",
	       "--out", "n.out");
	EXPECT(1, "bad tag", "node", "lab", g.hex[0], "set", "--admin-key", "lab.key", "--tags", "a,B", "--out",
	       "n.out");
	EXPECT(1, "bad --routes", "node", "lab", g.hex[0], "set", "--admin-key", "lab.key", "--routes", "10.0.0.1/8",
	       "--out", "n.out");
	/* Routes over the network's own addresses, or a default route, would
	 * make every member's WireGuard refuse the peer list. */
	EXPECT(1, "bad --routes: 10.42.0.5/32: it overlaps the network's IPv4 range (10.42.0.0/24)", "node", "lab",
	       g.hex[0], "set", "--admin-key", "lab.key", "--routes", "192.168.1.0/24,10.42.0.5/32", "--out",
	       "n.out");
	EXPECT(1, "bad --routes: 10.0.0.0/8: it overlaps the network's IPv4 range", "node", "lab", g.hex[0], "set",
	       "--admin-key", "lab.key", "--routes", "10.0.0.0/8", "--out", "n.out");
	EXPECT(1, "bad --routes: 0.0.0.0/0: a default route", "node", "lab", g.hex[0], "set", "--admin-key",
	       "lab.key", "--routes", "0.0.0.0/0", "--out", "n.out");
	EXPECT(1, "bad --routes: ::/0: a default route", "node", "lab", g.hex[0], "set", "--admin-key", "lab.key",
	       "--routes", "::/0", "--out", "n.out");
	EXPECT(1, "outside the network's range 10.42.0.0/24", "node", "lab", g.hex[0], "set", "--admin-key",
	       "lab.key", "--address", "10.43.0.5", "--out", "n.out");
	EXPECT(1, "broadcast", "node", "lab", g.hex[0], "set", "--admin-key", "lab.key", "--address", "10.42.0.255",
	       "--out", "n.out");
	EXPECT(1, "no IPv6 range", "node", "lab", g.hex[0], "set", "--admin-key", "lab.key", "--address", "fd00::1",
	       "--out", "n.out");
	/* A name needs the daemon; offline only a full id will do. */
	EXPECT(1, "give the node's full id", "node", "lab", "web", "set", "--admin-key", "lab.key", "--name", "x",
	       "--out", "n.out");
	/* The key of another network, and a key for a network of another name. */
	EXPECT(1, "is the admin key of network 'other', not 'lab'", "node", "lab", g.hex[0], "set", "--admin-key",
	       "other.key", "--name", "x", "--out", "n.out");
	assert_false(exists("n.out"));
}

static void test_node_offline(void **state)
{
	weft_record_t r[2];
	struct capture c;
	const struct weft_rec_override *o = &r[0].u.override;
	char cidr[WEFT_CIDRSTRLEN];

	assert_int_equal(RUN(&c, "node", "lab", g.hex[0], "set", "--admin-key", "lab.key", "--name", "web",
			     "--expires", "2027-01-31", "--tags", "web,eu", "--routes", "192.168.1.0/24,fd00:1::/64",
			     "--approve", "--address", "10.42.0.7", "--out", "n.out"),
			 0);
	assert_non_null(strstr(c.err, "weft: note: the daemon cannot be reached"));
	assert_non_null(strstr(c.out, "node web ("));
	capture_free(&c);
	assert_int_equal(read_out("n.out", r, 2, NULL), 1);
	assert_int_equal(r[0].type, WEFT_REC_OVERRIDE);
	assert_memory_equal(o->node_id.b, g.node[0].pk.b, 32);
	assert_int_equal(o->set, WEFT_OVR_NAME | WEFT_OVR_EXPIRES | WEFT_OVR_TAGS | WEFT_OVR_ROUTES |
					 WEFT_OVR_APPROVED | WEFT_OVR_ADDRESS4);
	assert_int_equal(o->version, NOW_MS);
	assert_string_equal(o->name, "web");
	assert_int_equal(o->expires, 1801353600ull);
	assert_int_equal(o->ntags, 2);
	assert_string_equal(o->tags[1], "eu");
	assert_int_equal(o->nroutes, 2);
	assert_string_equal(weft_cidr_format(&o->routes[1], cidr, sizeof(cidr)), "fd00:1::/64");
	assert_true(o->approved);
	assert_int_equal(o->address4.b[3], 7);
	unlink("n.out");

	/* --expires never, --tags "" (clears), in JSON. */
	assert_int_equal(RUN(&c, "--json", "node", "lab", g.hex[1], "set", "--admin-key", "lab.key", "--expires",
			     "never", "--tags", "", "--out", "n.out"),
			 0);
	assert_non_null(strstr(c.out, "\"node_id\": \""));
	capture_free(&c);
	assert_int_equal(read_out("n.out", r, 2, NULL), 1);
	assert_int_equal(o->set, WEFT_OVR_EXPIRES | WEFT_OVR_TAGS);
	assert_int_equal(o->expires, 0);
	assert_int_equal(o->ntags, 0);
	unlink("n.out");
}

static void test_node_online(void **state)
{
	weft_record_t r, ov;
	const struct weft_rec_override *o;
	static const char *const states[] = { "alive", "alive", "revoked", "alive" };
	unsigned i;

	for (i = 0; i < NMEMBERS; i++) {
		char name[8];

		snprintf(name, sizeof(name), "n%u", i);
		hold_member(i, name);
	}
	set_peers(NULL, NMEMBERS, states);
	/* Node 0 has an override: tags and an expiry, a version ahead of
	 * the clock. Node 3 has 10.42.0.9 pinned. */
	memset(&ov, 0, sizeof(ov));
	ov.type = WEFT_REC_OVERRIDE;
	ov.u.override.node_id = g.node[0].pk;
	ov.u.override.version = NOW_MS + 5000;
	ov.u.override.set = WEFT_OVR_TAGS | WEFT_OVR_EXPIRES;
	ov.u.override.ntags = 1;
	snprintf(ov.u.override.tags[0], sizeof(ov.u.override.tags[0]), "db");
	ov.u.override.expires = NOW_S + 3600;
	sign(&ov, &g.admin);
	hold(&ov);
	memset(&r, 0, sizeof(r));
	r.type = WEFT_REC_OVERRIDE;
	r.u.override.node_id = g.node[3].pk;
	r.u.override.version = 1;
	r.u.override.set = WEFT_OVR_ADDRESS4;
	weft_ip_parse(&r.u.override.address4, "10.42.0.9");
	sign(&r, &g.admin);
	hold(&r);

	/* By name, to the daemon: the held override's fields stay. */
	EXPECT(0, NULL, "node", "lab", "n0", "set", "--admin-key", "lab.key", "--name", "web");
	assert_int_equal(g.fake.npushed, 1);
	o = &g.fake.pushed[0].u.override;
	assert_int_equal(weft_record_verify(&g.fake.pushed[0]), 0);
	assert_memory_equal(o->node_id.b, g.node[0].pk.b, 32);
	assert_int_equal(o->set, WEFT_OVR_TAGS | WEFT_OVR_EXPIRES | WEFT_OVR_NAME);
	assert_string_equal(o->name, "web");
	assert_string_equal(o->tags[0], "db");
	assert_int_equal(o->expires, NOW_S + 3600);
	assert_int_equal(o->version, NOW_MS + 5001);

	/* By id prefix, with --out. */
	g.hex[1][8] = '\0';
	EXPECT(0, NULL, "node", "lab", g.hex[1], "set", "--admin-key", "lab.key", "--approve", "--out", "n.out");
	weft_pk_to_hex(g.hex[1], &g.node[1].pk);
	assert_int_equal(read_out("n.out", &r, 1, NULL), 1);
	assert_memory_equal(r.u.override.node_id.b, g.node[1].pk.b, 32);
	assert_int_equal(r.u.override.set, WEFT_OVR_APPROVED);
	assert_int_equal(r.u.override.version, NOW_MS);
	unlink("n.out");

	/* Refusals, with nothing written or pushed. */
	g.fake.npushed = 0;
	EXPECT(1, "no node 'nope' in lab", "node", "lab", "nope", "set", "--admin-key", "lab.key", "--name", "x");
	EXPECT(1, "node n2 was revoked", "node", "lab", "n2", "set", "--admin-key", "lab.key", "--name", "x");
	EXPECT(1, "already has that name", "node", "lab", "n1", "set", "--admin-key", "lab.key", "--name", "n3");
	EXPECT(1, "has it pinned", "node", "lab", "n1", "set", "--admin-key", "lab.key", "--address", "10.42.0.9");
	/* A live external client's address: pinning it would drop the client. */
	memset(&r, 0, sizeof(r));
	r.type = WEFT_REC_EXT_CLIENT;
	r.u.ext_client.version = 1;
	snprintf(r.u.ext_client.name, sizeof(r.u.ext_client.name), "phone");
	memset(r.u.ext_client.wg_pub.b, 0x31, sizeof(r.u.ext_client.wg_pub.b));
	weft_ip_parse(&r.u.ext_client.address4, "10.42.0.20");
	r.u.ext_client.gateway = g.node[0].pk;
	sign(&r, &g.admin);
	hold(&r);
	EXPECT(1,
	       "bad --address '10.42.0.20': external client 'phone' has it; pin another address, or remove the "
	       "client first (weft ext-client lab rm phone)",
	       "node", "lab", "n1", "set", "--admin-key", "lab.key", "--address", "10.42.0.20");
	/* A full id the daemon does not know. */
	{
		weft_keypair_t stranger;
		char hex[65];

		weft_keypair_generate(&stranger);
		weft_pk_to_hex(hex, &stranger.pk);
		EXPECT(1, "no node", "node", "lab", hex, "set", "--admin-key", "lab.key", "--name", "x", "--out",
		       "n.out");
	}
	/* An address another member holds unpinned: allowed, with a note. */
	{
		struct capture c;

		assert_int_equal(RUN(&c, "node", "lab", "n1", "set", "--admin-key", "lab.key", "--address",
				     "10.42.0.13", "--out", "n.out"),
				 0);
		assert_non_null(strstr(c.err, "weft: note: n3 ("));
		assert_non_null(strstr(c.err, "holds that address now"));
		capture_free(&c);
		unlink("n.out");
	}
	/* Its own pin is no conflict. */
	EXPECT(0, NULL, "node", "lab", "n3", "set", "--admin-key", "lab.key", "--address", "10.42.0.9", "--out",
	       "n.out");
	assert_int_equal(g.fake.npushed, 0);
	unlink("n.out");
}

/* A daemon that runs but is not in this network: the admin is offline. */
static void test_daemon_without_network(void **state)
{
	weft_record_t r;
	struct capture c;

	g.fake.no_network = true;
	assert_int_equal(RUN(&c, "node", "lab", g.hex[2], "set", "--admin-key", "lab.key", "--name", "web", "--out",
			     "n.out"),
			 0);
	assert_non_null(strstr(c.err, "the daemon cannot be reached"));
	capture_free(&c);
	assert_int_equal(read_out("n.out", &r, 1, NULL), 1);
	assert_int_equal(r.u.override.set, WEFT_OVR_NAME);
	unlink("n.out");
	EXPECT(0, NULL, "rotate", "lab", "--admin-key", "lab.key", "--wg-keys", "--out", "n.out");
	unlink("n.out");
	/* A name cannot be looked up there: the daemon's own words. */
	EXPECT(1, "no network named lab", "node", "lab", "web", "set", "--admin-key", "lab.key", "--name", "x",
	       "--out", "n.out");
	assert_false(exists("n.out"));
	assert_true(g.fake.requests > 0);
	g.fake.no_network = false;
}

/* ---- weft revoke ---- */

static void open_share(const weft_record_t *keyring, const weft_record_t *share, const weft_keypair_t *kp)
{
	uint8_t xpk[32], xsk[32], key[32], hash[32];

	assert_int_equal(share->type, WEFT_REC_KEYSHARE);
	assert_int_equal(share->u.keyshare.epoch, keyring->u.keyring.epoch);
	assert_int_equal(crypto_sign_ed25519_pk_to_curve25519(xpk, kp->pk.b), 0);
	assert_int_equal(crypto_sign_ed25519_sk_to_curve25519(xsk, kp->sk), 0);
	assert_int_equal(crypto_box_seal_open(key, share->u.keyshare.sealed, sizeof(share->u.keyshare.sealed), xpk,
					      xsk),
			 0);
	crypto_generichash(hash, sizeof(hash), key, sizeof(key), NULL, 0);
	assert_memory_equal(hash, keyring->u.keyring.key_hash, 32);
}

static void test_revoke(void **state)
{
	static const char *const states[] = { "alive", "dead", "revoked", "pending" };
	weft_record_t r[8];
	struct capture c;

	EXPECT(2, "missing NODE", "revoke", "lab");
	EXPECT(2, "--grace goes with", "revoke", "lab", g.hex[0], "--admin-key", "lab.key", "--grace", "5m");
	EXPECT(1, "--reason", "revoke", "lab", g.hex[0], "--admin-key", "lab.key", "--reason",
	       "0123456789012345678901234567890123456789012345678901234567890123456789");
	/* Offline: a full id only, and no key rotation without a member list. */
	EXPECT(1, "give the node's full id", "revoke", "lab", "n0", "--admin-key", "lab.key", "--out", "r.out");
	EXPECT(1, "needs the member list", "revoke", "lab", g.hex[0], "--admin-key", "lab.key",
	       "--rotate-network-key", "--out", "r.out");
	EXPECT(1, "admin key of network 'other'", "revoke", "lab", g.hex[0], "--admin-key", "other.key", "--out",
	       "r.out");
	assert_false(exists("r.out"));

	assert_int_equal(RUN(&c, "revoke", "lab", g.hex[0], "--admin-key", "lab.key", "--reason", "stolen laptop",
			     "--out", "r.out"),
			 0);
	assert_non_null(strstr(c.err, "cannot check"));
	capture_free(&c);
	assert_int_equal(read_out("r.out", r, 8, NULL), 1);
	assert_int_equal(r[0].type, WEFT_REC_REVOCATION);
	assert_memory_equal(r[0].u.revocation.node_id.b, g.node[0].pk.b, 32);
	assert_int_equal(r[0].u.revocation.time, NOW_S);
	assert_string_equal(r[0].u.revocation.reason, "stolen laptop");
	unlink("r.out");

	/* With a member list: by name, and a new key for the rest. Node 1
	 * (dead) and 3 (pending) get shares; 2 is revoked already. */
	set_peers("members.json", NMEMBERS, states);
	EXPECT(1, "no node 'n9' in the member list", "revoke", "lab", "n9", "--admin-key", "lab.key", "--members",
	       "members.json", "--rotate-network-key", "--out", "r.out");
	EXPECT(1, "--members missing.json", "revoke", "lab", "n0", "--admin-key", "lab.key", "--members",
	       "missing.json", "--out", "r.out");
	assert_false(exists("r.out"));
	assert_int_equal(RUN(&c, "revoke", "lab", "n0", "--admin-key", "lab.key", "--members", "members.json",
			     "--rotate-network-key", "--grace", "15m", "--out", "r.out"),
			 0);
	assert_non_null(strstr(c.out, "sealed to 2 remaining members"));
	capture_free(&c);
	assert_int_equal(read_out("r.out", r, 8, NULL), 4);
	assert_int_equal(r[0].type, WEFT_REC_REVOCATION);
	assert_int_equal(r[1].type, WEFT_REC_KEYRING);
	assert_int_equal(r[1].u.keyring.epoch, NOW_S); /* nothing held: the clock */
	assert_int_equal(r[1].u.keyring.grace_s, 900);
	assert_memory_equal(r[2].u.keyshare.node_id.b, g.node[1].pk.b, 32);
	assert_memory_equal(r[3].u.keyshare.node_id.b, g.node[3].pk.b, 32);
	open_share(&r[1], &r[2], &g.node[1]);
	open_share(&r[1], &r[3], &g.node[3]);
	unlink("r.out");
	unlink("members.json");
}

static void test_revoke_online(void **state)
{
	static const char *const states[] = { "alive", "alive", "alive", "overused" };
	weft_record_t k;
	unsigned i;

	for (i = 0; i < NMEMBERS; i++) {
		char name[8];

		snprintf(name, sizeof(name), "n%u", i);
		hold_member(i, name);
	}
	set_peers(NULL, NMEMBERS, states);
	memset(&k, 0, sizeof(k));
	k.type = WEFT_REC_KEYRING;
	k.u.keyring.epoch = NOW_S + 100; /* ahead of the clock: +1 */
	sign(&k, &g.admin);
	hold(&k);
	EXPECT(0, NULL, "revoke", "lab", "n1", "--admin-key", "lab.key", "--rotate-network-key");
	/* revocation, keyring, shares for 0 and 2 (3 is beyond its invite). */
	assert_int_equal(g.fake.npushed, 4);
	assert_int_equal(g.fake.pushed[0].type, WEFT_REC_REVOCATION);
	assert_memory_equal(g.fake.pushed[0].u.revocation.node_id.b, g.node[1].pk.b, 32);
	assert_int_equal(g.fake.pushed[1].u.keyring.epoch, NOW_S + 101);
	open_share(&g.fake.pushed[1], &g.fake.pushed[2], &g.node[0]);
	open_share(&g.fake.pushed[1], &g.fake.pushed[3], &g.node[2]);
	for (i = 0; i < 4; i++)
		assert_int_equal(weft_record_verify(&g.fake.pushed[i]), 0);
	g.fake.npushed = 0;
	EXPECT(1, "no node 'n7'", "revoke", "lab", "n7", "--admin-key", "lab.key");
	assert_int_equal(g.fake.npushed, 0);
	/* Revoked already (by full id: its state is gone): nothing to hand on. */
	{
		static const char *const again[] = { "alive", "revoked", "alive", "overused" };
		struct capture c;

		set_peers(NULL, NMEMBERS, again);
		assert_int_equal(RUN(&c, "revoke", "lab", g.hex[1], "--admin-key", "lab.key"), 0);
		assert_non_null(strstr(c.out, "is already revoked"));
		capture_free(&c);
		assert_int_equal(g.fake.npushed, 0);
	}
}

/* ---- weft network ---- */

static void test_network(void **state)
{
	static const char *const states[] = { "alive", "revoked", "left", "alive" };
	weft_record_t r, before;
	uint8_t *data = NULL;
	size_t len = 0;
	struct capture c;

	EXPECT(2, "nothing to set", "network", "lab", "set", "--admin-key", "lab.key");
	EXPECT(2, "unknown action", "network", "lab", "show", "--admin-key", "lab.key");
	EXPECT(1, "bad --cidr '10.50.0.1/24'", "network", "lab", "set", "--admin-key", "lab.key", "--cidr",
	       "10.50.0.1/24", "--out", "s.out");
	EXPECT(1, "bad --local-only 'yes'", "network", "lab", "set", "--admin-key", "lab.key", "--local-only", "yes",
	       "--out", "s.out");
	EXPECT(1, "bad --mtu", "network", "lab", "set", "--admin-key", "lab.key", "--mtu", "100", "--out", "s.out");
	EXPECT(1, "at least 1h", "network", "lab", "set", "--admin-key", "lab.key", "--wg-key-lifetime", "5m",
	       "--out", "s.out");
	EXPECT(1, "bad --mtu '1200': give a whole number from 1280", "network", "lab", "set", "--admin-key",
	       "lab.key", "--mtu", "1200", "--cidr6", "fd00::/64", "--out", "s.out");
	EXPECT(1, "admin key of network 'other'", "network", "lab", "set", "--admin-key", "other.key", "--mtu",
	       "1400", "--out", "s.out");

	/* Four members (revoked and departed ones keep their address): a
	 * /30 holds two, a /29 six. */
	assert_int_equal(weft_persist_read("lab.key.net", WEFT_PERSIST_NETWORK, &data, &len, NULL), 0);
	assert_int_equal(weft_record_decode(&before, data, len, NULL), 0);
	free(data);
	set_peers("members.json", NMEMBERS, states);
	EXPECT(1, "10.50.0.0/30 is too small: it has 2 usable addresses and the network has 4 members", "network",
	       "lab", "set", "--admin-key", "lab.key", "--cidr", "10.50.0.0/30", "--members", "members.json",
	       "--out", "s.out");
	EXPECT(1, "use /29", "network", "lab", "set", "--admin-key", "lab.key", "--cidr", "10.50.0.0/31",
	       "--members", "members.json", "--out", "s.out");
	assert_false(exists("s.out"));
	assert_int_equal(weft_persist_read("lab.key.net", WEFT_PERSIST_NETWORK, &data, &len, NULL), 0);
	assert_int_equal(len, before.raw_len);
	assert_memory_equal(data, before.raw, len); /* unchanged */
	free(data);

	assert_int_equal(RUN(&c, "network", "lab", "set", "--admin-key", "lab.key", "--cidr", "10.50.0.0/29",
			     "--members", "members.json", "--mtu", "1380", "--keepalive", "25", "--local-only", "on",
			     "--wg-key-lifetime", "30d", "--out", "s.out"),
			 0);
	assert_non_null(strstr(c.err, "check of pinned addresses was skipped"));
	assert_non_null(strstr(c.out, "every node renumbers itself"));
	capture_free(&c);
	assert_int_equal(read_out("s.out", &r, 1, NULL), 1);
	assert_int_equal(r.type, WEFT_REC_NETWORK);
	assert_int_equal(r.u.network.version,
			 NOW_MS > before.u.network.version ? NOW_MS : before.u.network.version + 1);
	assert_int_equal(r.u.network.cidr4.prefix, 29);
	assert_int_equal(r.u.network.cidr4.ip.b[1], 50);
	assert_int_equal(r.u.network.mtu, 1380);
	assert_int_equal(r.u.network.keepalive, 25);
	assert_int_equal(r.u.network.options, WEFT_NETOPT_LOCAL_ONLY);
	assert_int_equal(r.u.network.wg_key_lifetime, 30 * 86400);
	assert_string_equal(r.u.network.name, "lab");
	assert_int_equal(r.u.network.wg_port, before.u.network.wg_port);
	/* FILE.net now holds exactly the record handed on. */
	assert_int_equal(weft_persist_read("lab.key.net", WEFT_PERSIST_NETWORK, &data, &len, NULL), 0);
	assert_int_equal(len, r.raw_len);
	assert_memory_equal(data, r.raw, len);
	free(data);
	unlink("s.out");

	/* Again at the same clock: the version still goes up. */
	EXPECT(0, NULL, "network", "lab", "set", "--admin-key", "lab.key", "--local-only", "off", "--out", "s.out");
	assert_int_equal(read_out("s.out", &before, 1, NULL), 1);
	assert_int_equal(before.u.network.version, r.u.network.version + 1);
	assert_int_equal(before.u.network.options, 0);
	assert_int_equal(before.u.network.cidr4.prefix, 29);
	unlink("s.out");
	unlink("members.json");
}

static void test_network_online(void **state)
{
	static const char *const states[] = { "alive", "alive", "alive", "alive" };
	weft_record_t inv, mem, r;
	weft_keypair_t ikp;
	unsigned i;

	for (i = 0; i < 3; i++) {
		char name[8];

		snprintf(name, sizeof(name), "n%u", i);
		hold_member(i, name);
	}
	/* Node 3 joined with an invite that pinned 10.42.0.200. */
	weft_keypair_generate(&ikp);
	memset(&inv, 0, sizeof(inv));
	inv.type = WEFT_REC_INVITE;
	inv.u.invite.invite_pk = ikp.pk;
	inv.u.invite.created = NOW_S - 100;
	inv.u.invite.max_uses = 1;
	weft_ip_parse(&inv.u.invite.address4, "10.42.0.200");
	sign(&inv, &g.admin);
	hold(&inv);
	memset(&mem, 0, sizeof(mem));
	mem.type = WEFT_REC_MEMBER;
	mem.u.member.node_id = g.node[3].pk;
	mem.u.member.invite_pk = ikp.pk;
	mem.u.member.join_time = NOW_MS - 50;
	sign(&mem, &ikp);
	hold(&mem);
	set_peers(NULL, NMEMBERS, states);

	EXPECT(1, "too small", "network", "lab", "set", "--admin-key", "lab.key", "--cidr", "10.42.0.0/30");
	EXPECT(1, "has the pinned address 10.42.0.200, which is not usable in 10.42.0.0/25", "network", "lab", "set",
	       "--admin-key", "lab.key", "--cidr", "10.42.0.0/25");
	assert_int_equal(g.fake.npushed, 0);
	/* A range that holds it, then --drop-pins. */
	EXPECT(0, NULL, "network", "lab", "set", "--admin-key", "lab.key", "--cidr", "10.42.0.128/25");
	assert_int_equal(g.fake.npushed, 1);
	r = g.fake.pushed[0];
	assert_int_equal(r.u.network.cidr4.prefix, 25);
	hold(&r); /* the daemon now holds it */
	EXPECT(0, NULL, "network", "lab", "set", "--admin-key", "lab.key", "--cidr", "10.9.0.0/24", "--drop-pins");
	assert_int_equal(g.fake.npushed, 2);
	assert_int_equal(g.fake.pushed[1].u.network.version, r.u.network.version + 1);
	assert_int_equal(g.fake.pushed[1].u.network.cidr4.ip.b[1], 9);
}

/* ---- weft rotate ---- */

static void test_rotate(void **state)
{
	static const char *const states[] = { "alive", "left", "alive", "revoked" };
	weft_record_t r[8], settings;
	weft_keypair_t next;
	uint8_t *data = NULL;
	size_t len = 0;
	struct capture c;
	struct stat st;

	EXPECT(2, "exactly one of", "rotate", "lab", "--admin-key", "lab.key");
	EXPECT(2, "exactly one of", "rotate", "lab", "--admin-key", "lab.key", "--wg-keys", "--network-key");
	EXPECT(2, "go with --network-key", "rotate", "lab", "--admin-key", "lab.key", "--wg-keys", "--grace", "1m");
	EXPECT(1, "needs the member list", "rotate", "lab", "--admin-key", "lab.key", "--network-key", "--out",
	       "k.out");
	assert_false(exists("k.out"));

	EXPECT(0, NULL, "rotate", "lab", "--admin-key", "lab.key", "--wg-keys", "--out", "k.out");
	assert_int_equal(read_out("k.out", r, 8, NULL), 1);
	assert_int_equal(r[0].type, WEFT_REC_ROTATE);
	assert_int_equal(r[0].u.rotate.older_than, NOW_S);
	assert_int_equal(r[0].u.rotate.version, NOW_MS);
	unlink("k.out");

	set_peers("members.json", NMEMBERS, states);
	EXPECT(0, NULL, "rotate", "lab", "--admin-key", "lab.key", "--network-key", "--members", "members.json",
	       "--out", "k.out");
	assert_int_equal(read_out("k.out", r, 8, NULL), 3);
	assert_int_equal(r[0].type, WEFT_REC_KEYRING);
	assert_int_equal(r[0].u.keyring.grace_s, WEFT_ADMINOPS_GRACE_S);
	open_share(&r[0], &r[1], &g.node[0]);
	open_share(&r[0], &r[2], &g.node[2]);
	unlink("k.out");
	unlink("members.json");

	/* The admin key rolls over. */
	assert_int_equal(RUN(&c, "rotate", "lab", "--admin-key", "lab.key", "--admin-key-to", "lab2.key", "--out",
			     "k.out"),
			 0);
	capture_free(&c);
	assert_int_equal(stat("lab2.key", &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(weft_keyfile_read_ed25519("lab2.key", &next), 0);
	assert_int_equal(weft_persist_read("lab.key.net", WEFT_PERSIST_NETWORK, &data, &len, NULL), 0);
	assert_int_equal(weft_record_decode(&settings, data, len, NULL), 0);
	free(data);
	/* The roll by the old key, and the settings by the new one. */
	{
		weft_record_t two[2];
		struct weft_rbuf rb;
		const uint8_t *p;
		size_t bl;
		uint32_t n;

		assert_int_equal(weft_persist_read("k.out", WEFT_PERSIST_STORE, &data, &len, NULL), 0);
		rb = (struct weft_rbuf){ .p = data, .len = len };
		assert_int_equal(weft_mp_read_array(&rb, &n), 0);
		assert_int_equal(n, 2);
		for (unsigned i = 0; i < 2; i++) {
			assert_int_equal(weft_mp_read_bin(&rb, &p, &bl), 0);
			assert_int_equal(weft_record_decode(&two[i], p, bl, NULL), 0);
			assert_int_equal(weft_record_verify(&two[i]), 0);
		}
		free(data);
		assert_int_equal(two[0].type, WEFT_REC_ADMIN_ROLL);
		assert_memory_equal(two[0].signer.b, g.admin.pk.b, 32);
		assert_memory_equal(two[0].u.admin_roll.new_pk.b, next.pk.b, 32);
		assert_true(two[0].u.admin_roll.version > settings.u.network.version);
		assert_int_equal(two[1].type, WEFT_REC_NETWORK);
		assert_memory_equal(two[1].signer.b, next.pk.b, 32);
		assert_int_equal(two[1].u.network.version, two[0].u.admin_roll.version + 1);
		assert_int_equal(two[1].u.network.cidr4.prefix, settings.u.network.cidr4.prefix);
		/* lab2.key.net holds the new settings. */
		assert_int_equal(weft_persist_read("lab2.key.net", WEFT_PERSIST_NETWORK, &data, &len, NULL), 0);
		assert_int_equal(len, two[1].raw_len);
		assert_memory_equal(data, two[1].raw, len);
		free(data);
	}
	unlink("k.out");
	/* Never overwritten; the new key signs from now on. */
	EXPECT(1, "lab2.key already exists", "rotate", "lab", "--admin-key", "lab.key", "--admin-key-to", "lab2.key",
	       "--out", "k.out");
	assert_false(exists("k.out"));
	EXPECT(0, NULL, "rotate", "lab", "--admin-key", "lab2.key", "--wg-keys", "--out", "k.out");
	assert_int_equal(read_out("k.out", r, 1, &next), 1);
	unlink("k.out");
	unlink("lab2.key");
	unlink("lab2.key.net");
	weft_keys_wipe(&next, sizeof(next));
}

/* ---- weft policy ---- */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_policy_set(void **state)
{
	weft_record_t r;

	write_file("good.policy", "# lab\ndefault deny\nallow admin -> *\nallow web->db\n");
	write_file("bad.policy", "default deny\nallow web -> db\nallow Web -> db\n");
	EXPECT(2, "missing FILE", "policy", "lab", "set", "--admin-key", "lab.key");
	EXPECT(2, "unknown action", "policy", "lab", "get");
	EXPECT(2, "takes no --admin-key", "policy", "lab", "show", "--admin-key", "lab.key");
	EXPECT(1, "bad.policy: line 3: bad tag 'Web'", "policy", "lab", "set", "bad.policy", "--admin-key",
	       "lab.key", "--out", "p.out");
	EXPECT(1, "cannot read policy file nope.policy", "policy", "lab", "set", "nope.policy", "--admin-key",
	       "lab.key", "--out", "p.out");
	EXPECT(1, "admin key of network 'other'", "policy", "lab", "set", "good.policy", "--admin-key", "other.key",
	       "--out", "p.out");
	EXPECT(1, "cannot ask the daemon for lab's policy", "policy", "lab", "show");
	{
		/* 24 rules of long tags: valid text, too big for one record. */
		char big[4096];
		size_t off = (size_t)snprintf(big, sizeof(big), "default deny\n");

		for (int i = 0; i < WEFT_MAX_RULES; i++)
			off += (size_t)
				snprintf(big + off, sizeof(big) - off,
					 "allow a%02dxxxxxxxxxxxxxxxxxxxxxxxxx -> b%02dyyyyyyyyyyyyyyyyyyyyyyyyy\n",
					 i, i);
		write_file("big.policy", big);
		EXPECT(1, "big.policy: the policy does not fit in one record", "policy", "lab", "set", "big.policy",
		       "--admin-key", "lab.key", "--out", "p.out");
		unlink("big.policy");
	}
	assert_false(exists("p.out"));
	EXPECT(0, NULL, "policy", "lab", "set", "good.policy", "--admin-key", "lab.key", "--out", "p.out");
	assert_int_equal(read_out("p.out", &r, 1, NULL), 1);
	assert_int_equal(r.type, WEFT_REC_POLICY);
	assert_int_equal(r.u.policy.version, NOW_MS);
	assert_int_equal(r.u.policy.default_action, WEFT_POLICY_DENY);
	assert_int_equal(r.u.policy.nrules, 2);
	assert_string_equal(r.u.policy.rules[1].from, "web");
	assert_string_equal(r.u.policy.rules[1].to, "db");
	unlink("p.out");
	unlink("good.policy");
	unlink("bad.policy");
}

static void test_policy_online(void **state)
{
	weft_record_t r;
	struct capture c;

	assert_int_equal(RUN(&c, "policy", "lab", "show"), 0);
	assert_non_null(strstr(c.out, "lab has no policy"));
	capture_free(&c);
	write_file("good.policy", "allow a -> b\ndeny * -> guest\n");
	memset(&r, 0, sizeof(r));
	r.type = WEFT_REC_POLICY;
	r.u.policy.version = NOW_MS + 77;
	r.u.policy.default_action = WEFT_POLICY_DENY;
	sign(&r, &g.admin);
	hold(&r);
	EXPECT(0, NULL, "policy", "lab", "set", "good.policy", "--admin-key", "lab.key");
	assert_int_equal(g.fake.npushed, 1);
	assert_int_equal(g.fake.pushed[0].u.policy.version, NOW_MS + 78);
	assert_int_equal(g.fake.pushed[0].u.policy.nrules, 2);
	hold(&g.fake.pushed[0]);
	assert_int_equal(RUN(&c, "policy", "lab", "show"), 0);
	assert_non_null(strstr(c.out, "1    allow  a"));
	assert_non_null(strstr(c.out, "2    deny   *"));
	assert_non_null(strstr(c.out, "-    allow  (default"));
	capture_free(&c);
	assert_int_equal(RUN(&c, "--json", "policy", "lab", "show"), 0);
	assert_non_null(strstr(c.out, "\"default\": \"allow\""));
	assert_non_null(strstr(c.out, "\"to\": \"guest\""));
	capture_free(&c);
	unlink("good.policy");
}

/* ---- weft invite's pinning options ---- */

static void test_invite_options(void **state)
{
	weft_token_t t;
	struct capture c;
	const char *why = NULL;
	char token[WEFT_TOKEN_MAX + 2];

	assert_int_equal(RUN(&c, "invite", "lab", "--admin-key", "lab.key", "--uses", "3", "--expires", "1d12h",
			     "--name", "db1", "--address", "10.42.0.50", "--tags", "db,eu", "--approval",
			     "--bootstrap", "192.0.2.1:51821"),
			 0);
	assert_true(c.outlen > 1 && c.outlen < sizeof(token));
	memcpy(token, c.out, c.outlen - 1);
	token[c.outlen - 1] = '\0';
	capture_free(&c);
	memset(&t, 0, sizeof(t));
	assert_int_equal(weft_token_decode(&t, token, &why), 0);
	assert_int_equal(weft_token_verify(&t, NOW_S, &why), 0);
	assert_int_equal(t.invite.u.invite.max_uses, 3);
	assert_int_equal(t.invite.u.invite.expires, NOW_S + 36 * 3600);
	assert_string_equal(t.invite.u.invite.name, "db1");
	assert_int_equal(t.invite.u.invite.address4.b[3], 50);
	assert_int_equal(t.invite.u.invite.ntags, 2);
	assert_string_equal(t.invite.u.invite.tags[1], "eu");
	assert_true(t.invite.u.invite.approval);
	weft_token_wipe(&t);
	EXPECT(1, "bad --uses '0'", "invite", "lab", "--admin-key", "lab.key", "--uses", "0", "--bootstrap",
	       "192.0.2.1:51821");
	EXPECT(1, "outside the network's range", "invite", "lab", "--admin-key", "lab.key", "--address", "10.1.0.1",
	       "--bootstrap", "192.0.2.1:51821");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_when),
		cmocka_unit_test(test_members_json),
		cmocka_unit_test(test_invite_options), /* before 'network set' moves the range */
		cmocka_unit_test(test_node_usage),
		cmocka_unit_test(test_node_offline),
		cmocka_unit_test_setup_teardown(test_node_online, with_fake, fake_stop),
		cmocka_unit_test_setup_teardown(test_daemon_without_network, with_fake, fake_stop),
		cmocka_unit_test(test_revoke),
		cmocka_unit_test_setup_teardown(test_revoke_online, with_fake, fake_stop),
		cmocka_unit_test(test_network),
		cmocka_unit_test_setup_teardown(test_network_online, with_fake, fake_stop),
		cmocka_unit_test(test_rotate),
		cmocka_unit_test(test_policy_set),
		cmocka_unit_test_setup_teardown(test_policy_online, with_fake, fake_stop),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
