/* The daemon's control socket (ctlsrv.h, ctl.h's protocol): each
 * connection reads one line (bounded in size and time), runs the command's
 * handler from the table and writes one line back; a join or a leave
 * answers when the network reports its outcome. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sodium.h>

#include "core/error.h"
#include "daemon/ctl.h"
#include "daemon/ctlsrv.h"
#include "daemon/log.h"
#include "weft_config.h"

#define READ_TIMEOUT_MS 10000
#define WAIT_TIMEOUT_MS 180000
#define MAX_CONNS 64
#define PREPARED_MAX 4
#define PREPARED_LIFETIME_NS (600ull * 1000000000ull)

/* An identity made for `weft init` (IDENTITY), taken once by CREATE. */
struct prepared {
	bool used;
	char network[WEFT_NAME_MAX + 1];
	weft_keypair_t id; /* secret */
	uint64_t expires_ns;
};

struct weft_ctl_conn;

struct weft_ctlsrv {
	uv_loop_t *loop;
	struct weft_net_host *nets;
	char path[PATH_MAX];
	uv_pipe_t pipe;
	bool open, stopping;
	struct weft_ctl_conn *conns;
	unsigned nconns;
	struct prepared prepared[PREPARED_MAX];
};

struct weft_ctl_conn {
	struct weft_ctl_conn *next;
	struct weft_ctlsrv *s;
	uv_pipe_t pipe;
	uv_timer_t timer;
	uv_write_t wr;
	char *buf;
	size_t len;
	char *out;
	bool got_request, replied, closing;
	struct weft_net *waiting_on;
	unsigned open_handles;
	int cmd;
};

static void conn_free(struct weft_ctl_conn *c)
{
	struct weft_ctl_conn **pp;

	for (pp = &c->s->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	c->s->nconns--;
	if (c->buf) {
		/* It may hold a token (an invite's secret). */
		sodium_memzero(c->buf, c->len);
		free(c->buf);
	}
	free(c->out);
	free(c);
}

static void on_conn_closed(uv_handle_t *h)
{
	struct weft_ctl_conn *c = h->data;

	if (--c->open_handles == 0)
		conn_free(c);
}

static void conn_close(struct weft_ctl_conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	if (c->waiting_on) {
		weft_net_forget_waiter(c->waiting_on, c);
		c->waiting_on = NULL;
	}
	uv_close((uv_handle_t *)&c->pipe, on_conn_closed);
	uv_close((uv_handle_t *)&c->timer, on_conn_closed);
}

static void on_written(uv_write_t *w, int status)
{
	conn_close(w->data);
}

/* Takes ownership of line (a reply from ctl.h; NULL = out of memory). */
static void reply(struct weft_ctl_conn *c, char *line)
{
	uv_buf_t b;

	if (c->replied || c->closing) {
		free(line);
		return;
	}
	c->replied = true;
	c->waiting_on = NULL;
	uv_timer_stop(&c->timer);
	if (!line) {
		conn_close(c);
		return;
	}
	c->out = line;
	b = uv_buf_init(line, (unsigned)strlen(line));
	c->wr.data = c;
	if (uv_write(&c->wr, (uv_stream_t *)&c->pipe, &b, 1, on_written) != 0)
		conn_close(c);
}

static void reply_json(struct weft_ctl_conn *c, struct json_object *o)
{
	if (!o) {
		reply(c, weft_ctl_reply_error(-ENOMEM, "out of memory"));
		return;
	}
	reply(c, weft_ctl_reply_ok(o));
}

static struct weft_net *need_net(struct weft_ctl_conn *c, const char *name)
{
	struct weft_net *n = weft_net_find(c->s->nets, name);

	if (!n)
		reply(c, weft_ctl_reply_error(WEFT_ENOTFOUND,
					      "this host is in no network named %s ('weft list' shows "
					      "the networks it is in)",
					      name));
	return n;
}

/* ---- asynchronous outcomes ---- */

static void on_join_done(void *ctx, struct weft_net *n, int err, const char *msg)
{
	struct weft_ctl_conn *c = ctx;

	c->waiting_on = NULL;
	if (err == 0 || err == WEFT_EPENDING)
		reply_json(c, weft_net_status_json(n));
	else
		reply(c, weft_ctl_reply_error(err, "%s", msg ? msg : weft_strerror(err)));
}

static void on_leave_done(void *ctx, struct weft_net *n, int err, const char *msg)
{
	struct weft_ctl_conn *c = ctx;
	struct json_object *o;

	c->waiting_on = NULL;
	if (err) {
		reply(c, weft_ctl_reply_error(err, "%s", msg ? msg : weft_strerror(err)));
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "network", json_object_new_string(weft_net_name(n)));
	json_object_object_add(o, "left", json_object_new_boolean(1));
	reply_json(c, o);
}

static void on_wait_timeout(uv_timer_t *t)
{
	struct weft_ctl_conn *c = t->data;

	reply(c, weft_ctl_reply_error(WEFT_ETIMEOUT, "the daemon gave no answer in time; see its log"));
}

static void wait_for(struct weft_ctl_conn *c, struct weft_net *n)
{
	c->waiting_on = n;
	uv_timer_start(&c->timer, on_wait_timeout, WAIT_TIMEOUT_MS, 0);
}

/* ---- commands ---- */

static void opts_from(const struct weft_ctl_req *req, struct weft_net_opts *o)
{
	memset(o, 0, sizeof(*o));
	memcpy(o->name, req->name, sizeof(o->name));
	memcpy(o->ifname, req->ifname, sizeof(o->ifname));
	o->listen_port = req->listen_port;
	o->gossip_port = req->gossip_port;
	o->nendpoints = req->nendpoints;
	memcpy(o->endpoints, req->endpoints, sizeof(o->endpoints));
}

/* Each handler answers its request (now or, for a join or a leave, when
 * the network reports the outcome). n is the request's network for the
 * commands the table marks as needing one, else NULL. */
typedef void (*handler_fn)(struct weft_ctl_conn *c, const struct weft_ctl_req *req, struct weft_net *n,
			   struct weft_now now);

static void cmd_ping(struct weft_ctl_conn *c, const struct weft_ctl_req *req, struct weft_net *n,
		     struct weft_now now)
{
	struct json_object *a = json_object_new_object();

	json_object_object_add(a, "version", json_object_new_string(WEFT_VERSION));
	reply_json(c, a);
}

/* The networks that are not closing, each once, as fn reports them. */
static void each_net(struct weft_ctl_conn *c, struct json_object *(*fn)(struct weft_net *n))
{
	struct json_object *a = json_object_new_array();
	struct weft_net_host *h = c->s->nets;
	struct weft_net *n;

	for (n = weft_net_next(h, NULL); n; n = weft_net_next(h, n))
		if (weft_net_find(h, weft_net_name(n)) == n)
			json_object_array_add(a, fn(n));
	reply_json(c, a);
}

static void cmd_list(struct weft_ctl_conn *c, const struct weft_ctl_req *req, struct weft_net *n,
		     struct weft_now now)
{
	each_net(c, weft_net_list_json);
}

static void cmd_status(struct weft_ctl_conn *c, const struct weft_ctl_req *req, struct weft_net *n,
		       struct weft_now now)
{
	if (!(req->has & WEFT_CTLF_NETWORK))
		each_net(c, weft_net_status_json);
	else if ((n = need_net(c, req->network)))
		reply_json(c, weft_net_status_json(n));
}

static void cmd_peers(struct weft_ctl_conn *c, const struct weft_ctl_req *req, struct weft_net *n,
		      struct weft_now now)
{
	reply_json(c, weft_net_peers_json(n));
}

static void cmd_bootstrap(struct weft_ctl_conn *c, const struct weft_ctl_req *req, struct weft_net *n,
			  struct weft_now now)
{
	reply_json(c, weft_net_bootstrap_json(n));
}

static void cmd_records(struct weft_ctl_conn *c, const struct weft_ctl_req *req, struct weft_net *n,
			struct weft_now now)
{
	reply_json(c, weft_net_records_json(n, req->rtype));
}

static void cmd_join(struct weft_ctl_conn *c, const struct weft_ctl_req *req, struct weft_net *n,
		     struct weft_now now)
{
	struct weft_net_host *h = c->s->nets;
	struct weft_net_opts o;
	weft_token_t tok;
	const char *why = NULL;
	char err[PATH_MAX + 256], hex[65];
	int ret;

	memset(&tok, 0, sizeof(tok));
	ret = weft_token_decode(&tok, req->token, &why);
	if (!ret)
		ret = weft_token_verify(&tok, now.wall_ms / 1000, &why);
	if (ret) {
		reply(c, weft_ctl_reply_error(ret, "%s", why ? why : weft_strerror(ret)));
		goto out;
	}
	n = weft_net_find(h, tok.settings.u.network.name);
	if (n && memcmp(weft_net_id(n)->b, tok.network_id.b, WEFT_PK_LEN)) {
		weft_pk_to_hex(hex, weft_net_id(n));
		reply(c, weft_ctl_reply_error(WEFT_EWRONGNET,
					      "this host is already in another network named %s "
					      "(network id %.16s...); this token is for a different "
					      "one: 'weft leave %s' first if you mean to switch",
					      weft_net_name(n), hex, weft_net_name(n)));
		goto out;
	}
	if (n && weft_net_phase(n) == WEFT_NET_REVOKED) {
		/* The members decide, and say so: the same identity asks again. */
		ret = weft_net_rejoin(n, &tok, now, on_join_done, c, err, sizeof(err));
		if (ret)
			reply(c, weft_ctl_reply_error(ret, "%s", err));
		else
			wait_for(c, n);
		goto out;
	}
	if (n) {
		reply(c, weft_ctl_reply_error(weft_net_phase(n) == WEFT_NET_MEMBER ? WEFT_EEXISTS : -EBUSY,
					      weft_net_phase(n) == WEFT_NET_MEMBER
						      ? "this host is already a member of %s ('weft status %s')"
						      : "this host is already joining %s; wait for it to finish",
					      weft_net_name(n), weft_net_name(n)));
		goto out;
	}
	opts_from(req, &o);
	ret = weft_net_join(h, &tok, &o, now, on_join_done, c, err, sizeof(err));
	if (ret) {
		reply(c, weft_ctl_reply_error(ret, "%s", err));
		goto out;
	}
	wait_for(c, weft_net_find(h, tok.settings.u.network.name));
out:
	weft_token_wipe(&tok);
}

static void cmd_leave(struct weft_ctl_conn *c, const struct weft_ctl_req *req, struct weft_net *n,
		      struct weft_now now)
{
	char err[PATH_MAX + 256];
	int ret;

	ret = weft_net_leave(n, now, on_leave_done, c, err, sizeof(err));
	if (ret)
		reply(c, weft_ctl_reply_error(ret, "%s", err));
	else if (!c->replied)
		wait_for(c, n);
}

/* ---- identities prepared for `weft init` ---- */

static void expire_prepared(struct weft_ctlsrv *s, struct weft_now now)
{
	unsigned i;

	for (i = 0; i < PREPARED_MAX; i++)
		if (s->prepared[i].used && now.mono_ns >= s->prepared[i].expires_ns)
			sodium_memzero(&s->prepared[i], sizeof(s->prepared[i]));
}

static const weft_keypair_t *prepare(struct weft_ctlsrv *s, const char *network, struct weft_now now)
{
	struct prepared *p = NULL;
	unsigned i;

	expire_prepared(s, now);
	for (i = 0; i < PREPARED_MAX && !p; i++)
		if (s->prepared[i].used && !strcmp(s->prepared[i].network, network))
			p = &s->prepared[i]; /* asked again: the same id, so a retry works */
	for (i = 0; i < PREPARED_MAX && !p; i++)
		if (!s->prepared[i].used) {
			p = &s->prepared[i];
			p->used = true;
			snprintf(p->network, sizeof(p->network), "%s", network);
			weft_keypair_generate(&p->id);
		}
	if (p)
		p->expires_ns = now.mono_ns + PREPARED_LIFETIME_NS;
	return p ? &p->id : NULL;
}

static int take_prepared(struct weft_ctlsrv *s, const char *network, struct weft_now now, weft_keypair_t *id)
{
	unsigned i;

	expire_prepared(s, now);
	for (i = 0; i < PREPARED_MAX; i++)
		if (s->prepared[i].used && !strcmp(s->prepared[i].network, network)) {
			*id = s->prepared[i].id;
			sodium_memzero(&s->prepared[i], sizeof(s->prepared[i]));
			return 0;
		}
	return WEFT_ENOTFOUND;
}

static void cmd_identity(struct weft_ctl_conn *c, const struct weft_ctl_req *req, struct weft_net *n,
			 struct weft_now now)
{
	const weft_keypair_t *kp;
	struct json_object *a;
	char hex[65];

	if (weft_net_find(c->s->nets, req->network)) {
		reply(c, weft_ctl_reply_error(WEFT_EEXISTS, "this host is already in a network named %s",
					      req->network));
		return;
	}
	kp = prepare(c->s, req->network, now);
	if (!kp) {
		reply(c, weft_ctl_reply_error(-EBUSY, "too many networks being created at once; retry"));
		return;
	}
	weft_pk_to_hex(hex, &kp->pk);
	a = json_object_new_object();
	json_object_object_add(a, "node_id", json_object_new_string(hex));
	reply_json(c, a);
}

static void cmd_create(struct weft_ctl_conn *c, const struct weft_ctl_req *req, struct weft_net *n,
		       struct weft_now now)
{
	struct weft_net_host *h = c->s->nets;
	struct weft_net_opts o;
	weft_keypair_t id;
	char err[PATH_MAX + 256];
	int ret;

	if (weft_net_find(h, req->network)) {
		reply(c, weft_ctl_reply_error(WEFT_EEXISTS, "this host is already in a network named %s",
					      req->network));
		return;
	}
	if (take_prepared(c->s, req->network, now, &id)) {
		reply(c, weft_ctl_reply_error(WEFT_ENOTFOUND,
					      "no identity was prepared for %s (or it expired "
					      "after 10 minutes): run 'weft init' again",
					      req->network));
		return;
	}
	opts_from(req, &o);
	ret = weft_net_create(h, req->network, &id, (const uint8_t(*)[WEFT_RECORD_MAX])req->records, req->record_len,
			      req->nrecords, &o, now, err, sizeof(err));
	weft_keys_wipe(&id, sizeof(id));
	if (ret) {
		reply(c, weft_ctl_reply_error(ret, "%s", err));
		return;
	}
	reply_json(c, weft_net_status_json(weft_net_find(h, req->network)));
}

static void cmd_push(struct weft_ctl_conn *c, const struct weft_ctl_req *req, struct weft_net *n,
		     struct weft_now now)
{
	struct weft_net_host *h = c->s->nets;
	struct json_object *res = json_object_new_object(), *refused = json_object_new_array(), *o;
	unsigned accepted = 0, known = 0;
	weft_record_t r;
	const char *why, *pwhy;
	size_t i;
	int ret, best;
	bool owned;

	for (i = 0; i < req->nrecords; i++) {
		why = NULL;
		pwhy = NULL;
		ret = weft_record_decode(&r, req->records[i], req->record_len[i], &why);
		best = WEFT_ENOTFOUND;
		owned = false;
		for (n = weft_net_next(h, NULL); !ret && n; n = weft_net_next(h, n)) {
			int k;

			if (weft_net_phase(n) == WEFT_NET_JOINING ||
			    (req->has & WEFT_CTLF_NETWORK && strcmp(weft_net_name(n), req->network)))
				continue;
			if (!weft_net_owns(n, &r))
				continue;
			owned = true;
			k = weft_net_push(n, &r, now);
			if (k < 0 && weft_net_push_why(n))
				pwhy = weft_net_push_why(n);
			if (k > 0 || best == WEFT_ENOTFOUND || best < 0)
				best = k;
		}
		if (!ret && owned && best > 0) {
			accepted++;
			continue;
		}
		if (!ret && owned && best == WEFT_EDUPLICATE) {
			known++;
			continue;
		}
		o = json_object_new_object();
		json_object_object_add(o, "index", json_object_new_int((int)i));
		json_object_object_add(o, "type", json_object_new_string(ret ? "?" : weft_rec_type_name(r.type)));
		json_object_object_add(o, "error",
				       json_object_new_string(ret      ? (why ? why : weft_strerror(ret))
							      : !owned ? "it belongs to no network this host is in"
							      : pwhy && best < 0 ? pwhy
										 : weft_strerror(best)));
		json_object_array_add(refused, o);
	}
	json_object_object_add(res, "accepted", json_object_new_int((int)accepted));
	json_object_object_add(res, "already_held", json_object_new_int((int)known));
	json_object_object_add(res, "refused", refused);
	reply_json(c, res);
}

/* wireguard-tools' subcommands[], tinc's request_entries[]: one row per
 * command of the protocol, indexed by it (docs/STYLE.md, "Dispatch
 * tables"). needs_net: the request names a network this host must be in. */
static const struct {
	handler_fn fn;
	bool needs_net;
} handlers[WEFT_CTL_CMD_MAX + 1] = {
	[WEFT_CTL_PING] = { cmd_ping, false },         [WEFT_CTL_LIST] = { cmd_list, false },
	[WEFT_CTL_STATUS] = { cmd_status, false },     [WEFT_CTL_PEERS] = { cmd_peers, true },
	[WEFT_CTL_JOIN] = { cmd_join, false },         [WEFT_CTL_LEAVE] = { cmd_leave, true },
	[WEFT_CTL_IDENTITY] = { cmd_identity, false }, [WEFT_CTL_CREATE] = { cmd_create, false },
	[WEFT_CTL_PUSH] = { cmd_push, false },         [WEFT_CTL_BOOTSTRAP] = { cmd_bootstrap, true },
	[WEFT_CTL_RECORDS] = { cmd_records, true },
};

static void handle(struct weft_ctl_conn *c, const char *line, size_t len)
{
	struct weft_now now = weft_clock_now();
	struct weft_ctl_req req;
	struct weft_net *n = NULL;
	const char *why = NULL;
	int ret;

	ret = weft_ctl_parse(line, len, &req, &why);
	if (ret) {
		weft_log_debug("control: refused a request: %s", why);
		reply(c, weft_ctl_reply_error(ret, "bad request: %s", why ? why : weft_strerror(ret)));
		return;
	}
	c->cmd = req.cmd;
	weft_log_debug("control: %s%s%s", weft_ctl_cmd_name(req.cmd), req.network[0] ? " " : "", req.network);
	if (c->s->stopping && req.cmd != WEFT_CTL_PING)
		reply(c, weft_ctl_reply_error(-ESHUTDOWN, "the daemon is stopping"));
	else if (req.cmd <= 0 || req.cmd > WEFT_CTL_CMD_MAX || !handlers[req.cmd].fn)
		reply(c, weft_ctl_reply_error(WEFT_EUNSUPPORTED, "unknown command"));
	else if (!handlers[req.cmd].needs_net || (n = need_net(c, req.network)))
		handlers[req.cmd].fn(c, &req, n, now);
	weft_ctl_req_free(&req);
}

/* ---- reading ---- */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	static char scratch[4096];

	/* One loop thread: reads are copied into the connection's buffer
	 * before the next read can reuse this one. */
	*b = uv_buf_init(scratch, sizeof(scratch));
}

static void on_read_timeout(uv_timer_t *t)
{
	struct weft_ctl_conn *c = t->data;

	reply(c, weft_ctl_reply_error(WEFT_ETIMEOUT, "no complete request within %d s", READ_TIMEOUT_MS / 1000));
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
	struct weft_ctl_conn *c = s->data;
	char *nl, *nb;

	if (c->closing)
		return;
	if (nread < 0) {
		uv_read_stop(s);
		if (!c->got_request && nread == UV_EOF && c->len) {
			/* A request without its newline, ended by EOF. */
			c->got_request = true;
			handle(c, c->buf, c->len);
		} else if (!c->replied) {
			/* The client went away (it stopped waiting). */
			conn_close(c);
		}
		return;
	}
	if (c->got_request || nread == 0)
		return; /* anything after the request line is ignored */
	if (c->len + (size_t)nread > WEFT_CTL_MAX_REQUEST) {
		c->got_request = true;
		reply(c, weft_ctl_reply_error(WEFT_EOVERSIZE, "request larger than %u bytes", WEFT_CTL_MAX_REQUEST));
		return;
	}
	/* A token can be in flight: grow by hand, wiping the old block,
	 * since realloc would free it as it is. */
	nb = malloc(c->len + (size_t)nread + 1);
	if (!nb) {
		c->got_request = true;
		reply(c, weft_ctl_reply_error(-ENOMEM, "out of memory"));
		return;
	}
	if (c->buf) {
		memcpy(nb, c->buf, c->len);
		sodium_memzero(c->buf, c->len);
		free(c->buf);
	}
	c->buf = nb;
	memcpy(c->buf + c->len, b->base, (size_t)nread);
	sodium_memzero(b->base, (size_t)nread);
	c->len += (size_t)nread;
	c->buf[c->len] = '\0';
	nl = memchr(c->buf, '\n', c->len);
	if (nl) {
		c->got_request = true;
		uv_timer_stop(&c->timer);
		handle(c, c->buf, (size_t)(nl - c->buf) + 1);
	}
}

static void on_connection(uv_stream_t *server, int status)
{
	struct weft_ctlsrv *s = server->data;
	struct weft_ctl_conn *c;

	if (status < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (!c)
		return;
	c->s = s;
	uv_pipe_init(s->loop, &c->pipe, 0);
	uv_timer_init(s->loop, &c->timer);
	c->pipe.data = c->timer.data = c;
	c->open_handles = 2;
	c->next = s->conns;
	s->conns = c;
	s->nconns++;
	if (uv_accept(server, (uv_stream_t *)&c->pipe) != 0 || s->nconns > MAX_CONNS) {
		conn_close(c);
		return;
	}
	uv_timer_start(&c->timer, on_read_timeout, READ_TIMEOUT_MS, 0);
	uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read);
}

/* ---- the socket ---- */

static int mkdir_parent(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t i, n;

	if (!slash || slash == path)
		return 0;
	n = (size_t)(slash - path);
	if (n >= sizeof(dir))
		return -ENAMETOOLONG;
	memcpy(dir, path, n);
	dir[n] = '\0';
	for (i = 1; i <= n; i++) {
		if (dir[i] != '/' && dir[i] != '\0')
			continue;
		dir[i] = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -errno;
		dir[i] = i < n ? '/' : '\0';
	}
	return 0;
}

/* Whether a daemon answers at path (then we must not take it over). */
static bool someone_listens(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, ret;

	if (strlen(path) >= sizeof(sun.sun_path))
		return false;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	ret = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	return ret == 0;
}

struct weft_ctlsrv *weft_ctlsrv_new(uv_loop_t *loop, struct weft_net_host *nets)
{
	struct weft_ctlsrv *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->loop = loop;
	s->nets = nets;
	return s;
}

int weft_ctlsrv_open(struct weft_ctlsrv *s, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	mode_t old;
	int ret;

	if (strlen(path) >= sizeof(sun.sun_path) || strlen(path) >= sizeof(s->path)) {
		snprintf(err, errlen, "control socket path %s is too long", path);
		return -ENAMETOOLONG;
	}
	ret = mkdir_parent(path);
	if (ret) {
		snprintf(err, errlen, "cannot create the directory of %s: %s", path, weft_strerror(ret));
		return ret;
	}
	if (someone_listens(path)) {
		snprintf(err, errlen, "another weft daemon is running (it answers at %s); stop it first", path);
		return -EADDRINUSE;
	}
	unlink(path); /* a stale socket of a daemon that died */
	snprintf(s->path, sizeof(s->path), "%s", path);
	uv_pipe_init(s->loop, &s->pipe, 0);
	s->pipe.data = s;
	s->open = true;
	/* Created 0600 from the start: no window in which others may connect. */
	old = umask(0177);
	ret = uv_pipe_bind(&s->pipe, path);
	umask(old);
	if (!ret)
		ret = chmod(path, 0600) < 0 ? uv_translate_sys_error(errno) : 0;
	if (!ret)
		ret = uv_listen((uv_stream_t *)&s->pipe, 16, on_connection);
	if (ret) {
		snprintf(err, errlen, "cannot listen on %s: %s", path, uv_strerror(ret));
		return ret;
	}
	return 0;
}

void weft_ctlsrv_close(struct weft_ctlsrv *s)
{
	struct weft_ctl_conn *c, *next;

	s->stopping = true;
	if (s->open) {
		uv_close((uv_handle_t *)&s->pipe, NULL);
		s->open = false;
		unlink(s->path);
	}
	for (c = s->conns; c; c = next) {
		next = c->next;
		if (!c->replied)
			reply(c, weft_ctl_reply_error(-ESHUTDOWN, "the daemon is stopping"));
	}
}

void weft_ctlsrv_free(struct weft_ctlsrv *s)
{
	if (!s)
		return;
	sodium_memzero(s->prepared, sizeof(s->prepared));
	free(s);
}
