/* The control socket, client side (ctlclient.h): connect, write the
 * request line, wait (bounded) for the reply line, parse it. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sodium.h>

#include "cli/ctlclient.h"
#include "core/clock.h"

#define REPLY_MAX (4u << 20)

static uint64_t mono_ms(void)
{
	return weft_clock_mono_ns() / 1000000u;
}

static int write_all(int fd, const char *p, size_t len)
{
	ssize_t w;

	while (len) {
		w = send(fd, p, len, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static int parse_reply(const char *line, struct weft_cli_reply *r)
{
	struct json_object *o, *v;
	int ret = -EPROTO;

	o = json_tokener_parse(line);
	if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, "ok", &v))
		goto out;
	if (json_object_get_boolean(v)) {
		if (json_object_object_get_ex(o, "result", &v))
			r->result = json_object_get(v);
		ret = 0;
		goto out;
	}
	if (json_object_object_get_ex(o, "code", &v))
		snprintf(r->code, sizeof(r->code), "%s", json_object_get_string(v));
	if (json_object_object_get_ex(o, "error", &v))
		snprintf(r->error, sizeof(r->error), "%s", json_object_get_string(v));
	ret = 1;
out:
	json_object_put(o);
	return ret;
}

int weft_cli_ctl(struct weft_cli *cli, struct json_object *req, int timeout_ms, struct weft_cli_reply *r)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char *buf = NULL, *nb;
	const char *s;
	size_t len = 0, cap = 0, slen;
	uint64_t deadline = mono_ms() + (uint64_t)timeout_ms, now;
	struct pollfd pfd;
	ssize_t n;
	int fd, ret;

	memset(r, 0, sizeof(*r));
	if (strlen(cli->socket) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, cli->socket, strlen(cli->socket) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		ret = -errno;
		goto out;
	}
	s = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!s) {
		ret = -ENOMEM;
		goto out;
	}
	slen = strlen(s);
	ret = write_all(fd, s, slen);
	/* The serialised request may hold a token: json-c keeps this buffer. */
	sodium_memzero((char *)s, slen);
	if (!ret)
		ret = write_all(fd, "\n", 1);
	if (ret)
		goto out;
	for (;;) {
		now = mono_ms();
		if (now >= deadline) {
			ret = -ETIMEDOUT;
			goto out;
		}
		pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
		n = poll(&pfd, 1, (int)(deadline - now));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n < 0 ? -errno : -ETIMEDOUT;
			goto out;
		}
		if (cap - len < 4096) {
			if (cap >= REPLY_MAX) {
				ret = -EMSGSIZE;
				goto out;
			}
			cap = cap ? cap * 2 : 8192;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				ret = -ENOMEM;
				goto out;
			}
			buf = nb;
		}
		n = recv(fd, buf + len, cap - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (memchr(buf + len - (size_t)n, '\n', (size_t)n))
			break;
	}
	if (!len) {
		ret = -ECONNRESET;
		goto out;
	}
	buf[len] = '\0';
	ret = parse_reply(buf, r);
out:
	free(buf);
	close(fd);
	return ret;
}

void weft_cli_reply_free(struct weft_cli_reply *r)
{
	json_object_put(r->result);
	r->result = NULL;
}

int weft_cli_ctl_fail(struct weft_cli *cli, int ret, const struct weft_cli_reply *r, const char *hint)
{
	const char *h = hint ? hint : "";

	if (ret == 1)
		return weft_cli_fail(cli, "%s", r->error[0] ? r->error : "the daemon refused the request");
	switch (ret) {
	case -ENOENT:
	case -ECONNREFUSED:
		return weft_cli_fail(cli,
				     "the weft daemon is not running (nothing answers at %s): start it with "
				     "'systemctl start weft' or 'weft daemon'%s",
				     cli->socket, h);
	case -EACCES:
	case -EPERM:
		return weft_cli_fail(cli, "permission denied on the daemon's socket %s: run weft as root%s",
				     cli->socket, h);
	case -ETIMEDOUT:
		return weft_cli_fail(cli, "the daemon did not answer in time (see its log: journalctl -u weft)");
	case -EPROTO:
		return weft_cli_fail(cli, "the daemon's answer is not understood (are weft and the daemon the same "
					  "version? restart the daemon)");
	default:
		return weft_cli_fail(cli, "cannot talk to the daemon at %s: %s%s", cli->socket, strerror(-ret), h);
	}
}
