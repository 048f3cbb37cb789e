/* The userspace backend: a WireGuard implementation (wireguard-go,
 * boringtun) reached through its UAPI socket, SOCK_DIR/IFNAME.sock. create
 * starts the implementation for the interface as wg-quick does (it
 * daemonizes itself once its tun device and socket exist); its link,
 * addresses and routes go through rtnetlink like the kernel backend's. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "core/clock.h"
#include "core/error.h"
#include "wg/rtnl.h"
#include "wg/uapi.h"

#define DEFAULT_SOCK_DIR "/var/run/wireguard"
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define EXCHANGE_TIMEOUT_MS 30000
#define START_TIMEOUT_MS 10000
#define STOP_TIMEOUT_MS 5000

extern char **environ;

static const char *const candidates[] = { "wireguard-go", "boringtun-cli", "boringtun" };

static uint64_t now_ms(void)
{
	return weft_clock_mono_ns() / 1000000u;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* An executable by path, or by name in PATH; *out malloc'd. */
static int resolve_exe(const char *name, char **out)
{
	const char *path = getenv("PATH"), *p, *colon;
	char buf[4096];

	if (strchr(name, '/')) {
		if (access(name, X_OK))
			return -errno;
		*out = strdup(name);
		return *out ? 0 : -ENOMEM;
	}
	for (p = path && *path ? path : DEFAULT_PATH; *p; p = *colon ? colon + 1 : colon) {
		colon = strchrnul(p, ':');
		if (snprintf(buf, sizeof(buf), "%.*s/%s", (int)(colon - p), p, name) >= (int)sizeof(buf))
			continue;
		if (colon > p && !access(buf, X_OK)) {
			*out = strdup(buf);
			return *out ? 0 : -ENOMEM;
		}
	}
	return -ENOENT;
}

int weft_wg_userspace_find_impl(const char *configured, char **path, weft_wg_err_t *err)
{
	const char *name = configured ? configured : getenv("WG_QUICK_USERSPACE_IMPLEMENTATION");
	size_t i;
	int ret;

	*path = NULL;
	if (name && *name) {
		ret = resolve_exe(name, path);
		return ret ? weft_wg_errf(err, ret, "userspace implementation '%s'", name) : 0;
	}
	for (i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++)
		if (!resolve_exe(candidates[i], path))
			return 0;
	return weft_wg_errf(err, WEFT_EUNSUPPORTED,
			    "no userspace implementation (wireguard-go, boringtun-cli, boringtun) in PATH");
}

static void us_close(weft_wg_t *wg)
{
	weft_wg_nl_close(&wg->rtnl);
	free(wg->impl);
	free(wg->sock_path);
	wg->impl = wg->sock_path = NULL;
}

static int us_open(weft_wg_t *wg, const weft_wg_opts_t *opts, weft_wg_err_t *err)
{
	const char *dir = opts && opts->sock_dir ? opts->sock_dir : DEFAULT_SOCK_DIR;
	struct sockaddr_un sun;
	int ret;

	if (asprintf(&wg->sock_path, "%s/%s.sock", dir, wg->ifname) < 0) {
		wg->sock_path = NULL;
		return weft_wg_errf(err, -ENOMEM, "userspace");
	}
	if (strlen(wg->sock_path) >= sizeof(sun.sun_path)) {
		ret = weft_wg_errf(err, -ENAMETOOLONG, "UAPI socket path %s", wg->sock_path);
		goto out;
	}
	/* Not finding one is not fatal here: an implementation someone else
	 * started can still be configured. create says why it cannot start one. */
	weft_wg_userspace_find_impl(opts ? opts->userspace_impl : NULL, &wg->impl, NULL);
	ret = weft_wg_nl_open(&wg->rtnl, NETLINK_ROUTE, err);
out:
	if (ret)
		us_close(wg);
	return ret;
}

/* Connects to the UAPI socket: the fd, or -ENOENT (no socket),
 * -ECONNREFUSED (stale socket) or another error. */
static int sock_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, ret;

	/* Connecting and writing are bounded too (reads are, by the exchange's
	 * deadline): a wireguard-go that stopped accepting or reading would
	 * otherwise block the daemon's loop for good. */
	struct timeval tv = { .tv_sec = EXCHANGE_TIMEOUT_MS / 1000 };

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

static int us_exists(weft_wg_t *wg, weft_wg_err_t *err)
{
	int fd = sock_connect(wg->sock_path);

	if (fd == -ENOENT || fd == -ECONNREFUSED)
		return 0;
	if (fd < 0)
		return weft_wg_errf(err, fd, "UAPI socket %s", wg->sock_path);
	close(fd);
	return 1;
}

/* One request and its reply (through the blank line); *reply malloc'd,
 * wiped and freed by the caller. */
static int exchange(weft_wg_t *wg, const char *req, size_t req_len, char **reply, size_t *reply_len,
		    const char *what, weft_wg_err_t *err)
{
	uint64_t deadline = now_ms() + EXCHANGE_TIMEOUT_MS;
	char *buf = NULL;
	size_t len = 0, cap = 0, off = 0;
	int fd, ret;

	fd = sock_connect(wg->sock_path);
	if (fd < 0)
		return weft_wg_errf(err, fd == -ENOENT || fd == -ECONNREFUSED ? -ENODEV : fd, "%s: UAPI socket %s",
				    what, wg->sock_path);
	while (off < req_len) {
		ssize_t n = send(fd, req + off, req_len - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = weft_wg_errf(err, -errno, "%s: UAPI write", what);
			goto out;
		}
		off += (size_t)n;
	}
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		uint64_t now = now_ms();
		ssize_t n;

		if (len && weft_wg_uapi_reply_len(buf, len))
			break;
		if (now >= deadline) {
			ret = weft_wg_errf(err, WEFT_ETIMEOUT, "%s: no complete UAPI reply in %d ms", what,
					   EXCHANGE_TIMEOUT_MS);
			goto out;
		}
		if (poll(&pfd, 1, (int)(deadline - now)) < 0 && errno != EINTR) {
			ret = weft_wg_errf(err, -errno, "%s: UAPI poll", what);
			goto out;
		}
		if (len + 4096 > cap) {
			size_t ncap = cap ? cap * 2 : 65536;
			char *nb;

			if (ncap > WEFT_WG_UAPI_MAX_REPLY + 4096) {
				ret = weft_wg_errf(err, WEFT_EOVERSIZE, "%s: UAPI reply over %u bytes", what,
						   WEFT_WG_UAPI_MAX_REPLY);
				goto out;
			}
			/* Copy and wipe: a get reply holds the private key. */
			nb = malloc(ncap);
			if (!nb) {
				ret = weft_wg_errf(err, -ENOMEM, "%s", what);
				goto out;
			}
			if (buf) {
				memcpy(nb, buf, len);
				sodium_memzero(buf, cap);
				free(buf);
			}
			buf = nb;
			cap = ncap;
		}
		n = recv(fd, buf + len, cap - len, MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			ret = weft_wg_errf(err, -errno, "%s: UAPI read", what);
			goto out;
		}
		if (n == 0) {
			ret = weft_wg_errf(err, WEFT_EPROTO, "%s: UAPI socket closed after %zu bytes", what, len);
			goto out;
		}
		len += (size_t)n;
	}
	*reply = buf;
	*reply_len = weft_wg_uapi_reply_len(buf, len);
	buf = NULL;
	ret = 0;
out:
	if (buf) {
		sodium_memzero(buf, cap);
		free(buf);
	}
	close(fd);
	return ret;
}

static int us_get(weft_wg_t *wg, weft_wg_device_t *dev, weft_wg_err_t *err)
{
	static const char req[] = "get=1\n\n";
	char *reply = NULL;
	size_t len = 0;
	int ret;

	ret = exchange(wg, req, sizeof(req) - 1, &reply, &len, "get", err);
	if (ret)
		return ret;
	ret = weft_wg_uapi_parse_get(reply, len, dev, err);
	sodium_memzero(reply, len);
	free(reply);
	return ret;
}

static int us_set(weft_wg_t *wg, const weft_wg_changeset_t *cs, weft_wg_err_t *err)
{
	char *req = NULL, *reply = NULL;
	size_t req_len = 0, len = 0;
	int ret;

	ret = weft_wg_uapi_format_set(cs, &req, &req_len, err);
	if (ret)
		return ret;
	ret = exchange(wg, req, req_len, &reply, &len, "set", err);
	if (!ret)
		ret = weft_wg_uapi_parse_set(reply, len, err);
	sodium_memzero(req, req_len);
	free(req);
	free(reply);
	return ret;
}

/* The environment for the implementation, less WG_PROCESS_FOREGROUND: it
 * must daemonize, or create would wait for it forever. */
static char **child_env(void)
{
	size_t n = 0, k = 0, i;
	char **env;

	while (environ[n])
		n++;
	env = calloc(n + 1, sizeof(*env));
	if (!env)
		return NULL;
	for (i = 0; i < n; i++)
		if (strncmp(environ[i], "WG_PROCESS_FOREGROUND=", 22))
			env[k++] = environ[i];
	return env;
}

/* The last non-empty line of what the implementation wrote to stderr. */
static void last_line(int fd, char *out, size_t len)
{
	char buf[1024];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	char *p, *end;

	out[0] = '\0';
	if (n <= 0)
		return;
	buf[n] = '\0';
	end = buf + n;
	while (end > buf && (end[-1] == '\n' || end[-1] == ' '))
		*--end = '\0';
	p = memrchr(buf, '\n', (size_t)(end - buf));
	p = p ? p + 1 : buf;
	n = (ssize_t)strnlen(p, len - 1);
	memcpy(out, p, (size_t)n);
	out[n] = '\0';
}

/* Runs IMPL IFNAME and waits for it to daemonize; *status is its exit
 * status, or -1 when it could not be collected. */
static int spawn_impl(weft_wg_t *wg, int *status, char *errtext, size_t errlen, weft_wg_err_t *err)
{
	uint64_t deadline = now_ms() + START_TIMEOUT_MS;
	char **env = child_env();
	int pipefd[2] = { -1, -1 }, devnull = -1, ret;
	pid_t pid, w;

	*status = -1;
	errtext[0] = '\0';
	if (!env)
		return weft_wg_errf(err, -ENOMEM, "start %s", wg->impl);
	if (pipe2(pipefd, O_CLOEXEC | O_NONBLOCK) < 0 || (devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0) {
		ret = weft_wg_errf(err, -errno, "start %s", wg->impl);
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		ret = weft_wg_errf(err, -errno, "start %s: fork", wg->impl);
		goto out;
	}
	if (pid == 0) {
		/* Only async-signal-safe calls from here to exec. */
		dup2(devnull, 0);
		dup2(devnull, 1);
		dup2(pipefd[1], 2);
		closefrom(3);
		execve(wg->impl, (char *const[]){ wg->impl, wg->ifname, NULL }, env);
		_exit(127);
	}
	close(pipefd[1]);
	pipefd[1] = -1;
	for (;;) {
		w = waitpid(pid, status, WNOHANG);
		if (w == pid || (w < 0 && errno == ECHILD)) /* ECHILD: SIGCHLD ignored */
			break;
		if (w < 0 && errno != EINTR) {
			ret = weft_wg_errf(err, -errno, "start %s: waitpid", wg->impl);
			goto out;
		}
		if (now_ms() >= deadline) {
			kill(pid, SIGTERM);
			waitpid(pid, NULL, 0);
			ret = weft_wg_errf(err, WEFT_ETIMEOUT, "start %s: still in the foreground after %d ms",
					   wg->impl, START_TIMEOUT_MS);
			goto out;
		}
		sleep_ms(5);
	}
	if (w != pid)
		*status = -1;
	last_line(pipefd[0], errtext, errlen);
	ret = 0;
out:
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	if (devnull >= 0)
		close(devnull);
	free(env);
	return ret;
}

static int us_create(weft_wg_t *wg, weft_wg_err_t *err)
{
	uint64_t deadline;
	char errtext[200];
	int ret, status, fd;

	ret = us_exists(wg, err);
	if (ret < 0)
		return ret;
	if (ret)
		return weft_wg_errf(err, -EEXIST, "UAPI socket %s answers", wg->sock_path);
	ret = weft_wg_rtnl_link_get(&wg->rtnl, wg->ifname, NULL, NULL, 0, NULL);
	if (!ret)
		return weft_wg_errf(err, -EEXIST, "a link named %s exists without a UAPI socket", wg->ifname);
	if (!wg->impl) {
		ret = weft_wg_userspace_find_impl(NULL, &wg->impl, err);
		if (ret)
			return ret;
	}
	/* A socket file nobody listens on is left from a crash. */
	unlink(wg->sock_path);
	ret = spawn_impl(wg, &status, errtext, sizeof(errtext), err);
	if (ret)
		return ret;
	if (status != -1 && (!WIFEXITED(status) || WEXITSTATUS(status)))
		return weft_wg_errf(err, -ECHILD, "%s %s exited with %s %d%s%s", wg->impl, wg->ifname,
				    WIFEXITED(status) ? "status" : "signal",
				    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
				    errtext[0] ? ", saying: " : "", errtext);
	deadline = now_ms() + START_TIMEOUT_MS;
	while ((fd = sock_connect(wg->sock_path)) < 0) {
		if (now_ms() >= deadline)
			return weft_wg_errf(err, WEFT_ETIMEOUT, "%s %s: no UAPI socket at %s after %d ms%s%s",
					    wg->impl, wg->ifname, wg->sock_path, START_TIMEOUT_MS,
					    errtext[0] ? "; it said: " : "", errtext);
		sleep_ms(5);
	}
	close(fd);
	return 0;
}

static int us_destroy(weft_wg_t *wg, weft_wg_err_t *err)
{
	uint64_t deadline;
	int ret, fd;

	ret = weft_wg_rtnl_link_delete(&wg->rtnl, wg->ifname, err);
	if (ret && ret != -ENODEV)
		return ret;
	/* The implementation exits when its tun device goes, and removes its
	 * socket; wait for that so that a create right after can succeed. */
	deadline = now_ms() + STOP_TIMEOUT_MS;
	while ((fd = sock_connect(wg->sock_path)) >= 0) {
		close(fd);
		if (now_ms() >= deadline)
			return weft_wg_errf(err, WEFT_ETIMEOUT,
					    "%s: UAPI socket still answers %d ms after the link went", wg->sock_path,
					    STOP_TIMEOUT_MS);
		sleep_ms(5);
	}
	if (fd == -ECONNREFUSED)
		unlink(wg->sock_path);
	return ret;
}

const struct weft_wg_ops weft_wg_userspace_ops = {
	.name = "userspace",
	.open = us_open,
	.close = us_close,
	.exists = us_exists,
	.create = us_create,
	.destroy = us_destroy,
	.get = us_get,
	.set = us_set,
	.link_get = weft_wg_oslink_get,
	.set_mtu = weft_wg_oslink_set_mtu,
	.set_up = weft_wg_oslink_set_up,
	.addr_list = weft_wg_oslink_addr_list,
	.addr_change = weft_wg_oslink_addr_change,
	.route_list = weft_wg_oslink_route_list,
	.route_change = weft_wg_oslink_route_change,
};
