/* The daemon's control socket (ctl.h's protocol): a unix socket, mode 0600,
 * one request per connection. Each connection reads one line (bounded in
 * size and time), runs the command and writes one line back; a join or a
 * leave answers when the network reports its outcome. */
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

#include "daemon/ctl.h"
#include "daemon/net.h"
#include "core/error.h"
#include "daemon/log.h"
#include "weft_config.h"

#define READ_TIMEOUT_MS 10000
#define WAIT_TIMEOUT_MS 180000
#define MAX_CONNS 64

struct weft_ctl_conn {
	struct weft_ctl_conn *next;
	struct weft_daemon *d;
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

	for (pp = &c->d->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	c->d->nconns--;
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
	struct weft_net *n = weft_daemon_find(c->d, name);

	if (!n)
		reply(c, weft_ctl_reply_error(WEFT_ENOTFOUND, "this host is in no network named %s ('weft list' shows "
							      "the networks it is in)", name));
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

static void cmd_join(struct weft_ctl_conn *c, const struct weft_ctl_req *req)
{
	struct weft_daemon *d = c->d;
	struct weft_net_opts o;
	struct weft_net *n;
	weft_token_t tok;
	const char *why = NULL;
	char err[512], hex[65];
	int ret;

	memset(&tok, 0, sizeof(tok));
	ret = weft_token_decode(&tok, req->token, &why);
	if (!ret)
		ret = weft_token_verify(&tok, weft_net_wall_ms() / 1000, &why);
	if (ret) {
		reply(c, weft_ctl_reply_error(ret, "%s", why ? why : weft_strerror(ret)));
		goto out;
	}
	n = weft_daemon_find(d, tok.settings.u.network.name);
	if (n && memcmp(weft_net_id(n)->b, tok.network_id.b, WEFT_PK_LEN)) {
		weft_pk_to_hex(hex, weft_net_id(n));
		reply(c, weft_ctl_reply_error(WEFT_EWRONGNET, "this host is already in another network named %s "
							      "(network id %.16s...); this token is for a different "
							      "one: 'weft leave %s' first if you mean to switch",
					      weft_net_name(n), hex, weft_net_name(n)));
		goto out;
	}
	if (n && weft_net_phase(n) == WEFT_NET_REVOKED) {
		/* The members decide, and say so: the same identity asks again. */
		ret = weft_net_rejoin(n, &tok, on_join_done, c, err, sizeof(err));
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
	ret = weft_net_join(d, &tok, &o, on_join_done, c, err, sizeof(err));
	if (ret) {
		reply(c, weft_ctl_reply_error(ret, "%s", err));
		goto out;
	}
	wait_for(c, weft_daemon_find(d, tok.settings.u.network.name));
out:
	weft_token_wipe(&tok);
}

static void cmd_create(struct weft_ctl_conn *c, const struct weft_ctl_req *req)
{
	struct weft_net_opts o;
	weft_keypair_t id;
	char err[512];
	int ret;

	if (weft_daemon_find(c->d, req->network)) {
		reply(c, weft_ctl_reply_error(WEFT_EEXISTS, "this host is already in a network named %s",
					      req->network));
		return;
	}
	if (weft_daemon_take_prepared(c->d, req->network, &id)) {
		reply(c, weft_ctl_reply_error(WEFT_ENOTFOUND, "no identity was prepared for %s (or it expired "
							      "after 10 minutes): run 'weft init' again",
					      req->network));
		return;
	}
	opts_from(req, &o);
	ret = weft_net_create(c->d, req->network, &id, (const uint8_t(*)[WEFT_RECORD_MAX])req->records,
			      req->record_len, req->nrecords, &o, err, sizeof(err));
	weft_keys_wipe(&id, sizeof(id));
	if (ret) {
		reply(c, weft_ctl_reply_error(ret, "%s", err));
		return;
	}
	reply_json(c, weft_net_status_json(weft_daemon_find(c->d, req->network)));
}

static void cmd_push(struct weft_ctl_conn *c, const struct weft_ctl_req *req)
{
	struct json_object *res = json_object_new_object(), *refused = json_object_new_array(), *o;
	unsigned accepted = 0, known = 0;
	struct weft_net *n;
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
		for (n = c->d->nets; !ret && n; n = n->next) {
			int k;

			if (weft_net_phase(n) == WEFT_NET_JOINING || (req->has & WEFT_CTLF_NETWORK &&
								      strcmp(weft_net_name(n), req->network)))
				continue;
			if (!weft_net_owns(n, &r))
				continue;
			owned = true;
			k = weft_net_push(n, &r);
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
				       json_object_new_string(ret ? (why ? why : weft_strerror(ret))
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

static void handle(struct weft_ctl_conn *c, const char *line, size_t len)
{
	struct weft_daemon *d = c->d;
	struct weft_ctl_req req;
	struct json_object *a;
	const weft_keypair_t *kp;
	struct weft_net *n;
	const char *why = NULL;
	char err[512], hex[65];
	int ret;

	ret = weft_ctl_parse(line, len, &req, &why);
	if (ret) {
		weft_log_debug("control: refused a request: %s", why);
		reply(c, weft_ctl_reply_error(ret, "bad request: %s", why ? why : weft_strerror(ret)));
		return;
	}
	c->cmd = req.cmd;
	weft_log_debug("control: %s%s%s", weft_ctl_cmd_name(req.cmd), req.network[0] ? " " : "", req.network);
	if (d->stopping && req.cmd != WEFT_CTL_PING) {
		reply(c, weft_ctl_reply_error(-ESHUTDOWN, "the daemon is stopping"));
		goto out;
	}
	switch (req.cmd) {
	case WEFT_CTL_PING:
		a = json_object_new_object();
		json_object_object_add(a, "version", json_object_new_string(WEFT_VERSION));
		reply_json(c, a);
		break;
	case WEFT_CTL_LIST:
		a = json_object_new_array();
		for (n = d->nets; n; n = n->next)
			if (weft_daemon_find(d, weft_net_name(n)) == n)
				json_object_array_add(a, weft_net_list_json(n));
		reply_json(c, a);
		break;
	case WEFT_CTL_STATUS:
		if (req.has & WEFT_CTLF_NETWORK) {
			if ((n = need_net(c, req.network)))
				reply_json(c, weft_net_status_json(n));
			break;
		}
		a = json_object_new_array();
		for (n = d->nets; n; n = n->next)
			if (weft_daemon_find(d, weft_net_name(n)) == n)
				json_object_array_add(a, weft_net_status_json(n));
		reply_json(c, a);
		break;
	case WEFT_CTL_PEERS:
		if ((n = need_net(c, req.network)))
			reply_json(c, weft_net_peers_json(n));
		break;
	case WEFT_CTL_BOOTSTRAP:
		if ((n = need_net(c, req.network)))
			reply_json(c, weft_net_bootstrap_json(n));
		break;
	case WEFT_CTL_RECORDS:
		if ((n = need_net(c, req.network)))
			reply_json(c, weft_net_records_json(n, req.rtype));
		break;
	case WEFT_CTL_JOIN:
		cmd_join(c, &req);
		break;
	case WEFT_CTL_LEAVE:
		if (!(n = need_net(c, req.network)))
			break;
		ret = weft_net_leave(n, on_leave_done, c, err, sizeof(err));
		if (ret)
			reply(c, weft_ctl_reply_error(ret, "%s", err));
		else if (!c->replied)
			wait_for(c, n);
		break;
	case WEFT_CTL_IDENTITY:
		if (weft_daemon_find(d, req.network)) {
			reply(c, weft_ctl_reply_error(WEFT_EEXISTS, "this host is already in a network named %s",
						      req.network));
			break;
		}
		kp = weft_daemon_prepare(d, req.network);
		if (!kp) {
			reply(c, weft_ctl_reply_error(-EBUSY, "too many networks being created at once; retry"));
			break;
		}
		weft_pk_to_hex(hex, &kp->pk);
		a = json_object_new_object();
		json_object_object_add(a, "node_id", json_object_new_string(hex));
		reply_json(c, a);
		break;
	case WEFT_CTL_CREATE:
		cmd_create(c, &req);
		break;
	case WEFT_CTL_PUSH:
		cmd_push(c, &req);
		break;
	default:
		reply(c, weft_ctl_reply_error(WEFT_EUNSUPPORTED, "unknown command"));
	}
out:
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
	struct weft_daemon *d = server->data;
	struct weft_ctl_conn *c;

	if (status < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (!c)
		return;
	c->d = d;
	uv_pipe_init(d->loop, &c->pipe, 0);
	uv_timer_init(d->loop, &c->timer);
	c->pipe.data = c->timer.data = c;
	c->open_handles = 2;
	c->next = d->conns;
	d->conns = c;
	d->nconns++;
	if (uv_accept(server, (uv_stream_t *)&c->pipe) != 0 || d->nconns > MAX_CONNS) {
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

int weft_ctlsrv_open(struct weft_daemon *d, char *err, size_t errlen)
{
	const char *path = d->cfg.socket;
	struct sockaddr_un sun;
	mode_t old;
	int ret;

	if (strlen(path) >= sizeof(sun.sun_path)) {
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
	uv_pipe_init(d->loop, &d->ctl, 0);
	d->ctl.data = d;
	d->ctl_open = true;
	/* Created 0600 from the start: no window in which others may connect. */
	old = umask(0177);
	ret = uv_pipe_bind(&d->ctl, path);
	umask(old);
	if (!ret)
		ret = chmod(path, 0600) < 0 ? uv_translate_sys_error(errno) : 0;
	if (!ret)
		ret = uv_listen((uv_stream_t *)&d->ctl, 16, on_connection);
	if (ret) {
		snprintf(err, errlen, "cannot listen on %s: %s", path, uv_strerror(ret));
		return ret;
	}
	return 0;
}

void weft_ctlsrv_close(struct weft_daemon *d)
{
	struct weft_ctl_conn *c, *next;

	if (d->ctl_open) {
		uv_close((uv_handle_t *)&d->ctl, NULL);
		d->ctl_open = false;
		unlink(d->cfg.socket);
	}
	for (c = d->conns; c; c = next) {
		next = c->next;
		if (!c->replied)
			reply(c, weft_ctl_reply_error(-ESHUTDOWN, "the daemon is stopping"));
	}
}
