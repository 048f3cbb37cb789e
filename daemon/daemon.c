/* The daemon's process (daemon.h): configuration (file, then command line),
 * the libuv loop, signals (SIGTERM/SIGINT stop without leaving any network,
 * SIGHUP reloads the configuration), the networks found in the state
 * directory, the control socket, and systemd's readiness protocol. It
 * drives the networks through net.h and hears of their end through the
 * host's gone callback. */
#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <sodium.h>

#include "core/error.h"
#include "daemon/config.h"
#include "daemon/ctlsrv.h"
#include "daemon/daemon.h"
#include "daemon/log.h"
#include "daemon/net.h"
#include "daemon/netstate.h"
#include "weft_config.h"

struct weft_daemon {
	uv_loop_t *loop;
	struct weft_config cfg;
	char config_path[PATH_MAX];
	bool config_given;
	struct weft_daemon_opts opts;
	uv_signal_t sig_term, sig_int, sig_hup;
	struct weft_net_host nets;
	struct weft_ctlsrv *ctl;
	bool stopping;
	int exit_code;
};

/* sd_notify(3) without libsystemd: one datagram to $NOTIFY_SOCKET. */
static void sd_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	socklen_t len;
	int fd;

	if (!path || !*path || strlen(path) >= sizeof(sun.sun_path))
		return;
	memcpy(sun.sun_path, path, strlen(path));
	if (sun.sun_path[0] == '@')
		sun.sun_path[0] = '\0'; /* abstract namespace */
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sun, len);
	close(fd);
}

/* The configuration: defaults, the file, then the command line. */
static int load_config(struct weft_daemon *d, struct weft_config *c, char *err, size_t errlen)
{
	const struct weft_daemon_opts *o = &d->opts;
	int ret;

	weft_config_defaults(c);
	ret = weft_config_load(c, d->config_path, !d->config_given, err, errlen);
	if (ret)
		return ret;
	if (o->state_dir)
		snprintf(c->state_dir, sizeof(c->state_dir), "%s", o->state_dir);
	if (o->socket)
		snprintf(c->socket, sizeof(c->socket), "%s", o->socket);
	if (o->log_level >= 0)
		c->log_level = o->log_level;
	return 0;
}

/* A network closed its last handle: when the daemon is stopping and it
 * was the last, every network's state is saved. */
static void net_gone(void *ctx, struct weft_net *n)
{
	struct weft_daemon *d = ctx;

	weft_log_debug("%s: closed", weft_net_name(n));
	if (d->stopping && !weft_net_next(&d->nets, NULL))
		weft_log_info("stopped: every network's state is saved");
}

static void stop(struct weft_daemon *d, const char *why)
{
	struct weft_now now = weft_clock_now();
	struct weft_net *n;

	if (d->stopping)
		return;
	d->stopping = true;
	sd_notify("STOPPING=1");
	weft_log_info("stopping (%s); the networks stay joined and resume at the next start", why);
	for (n = weft_net_next(&d->nets, NULL); n; n = weft_net_next(&d->nets, n))
		weft_net_stop(n, now);
	weft_ctlsrv_close(d->ctl);
	uv_close((uv_handle_t *)&d->sig_term, NULL);
	uv_close((uv_handle_t *)&d->sig_int, NULL);
	uv_close((uv_handle_t *)&d->sig_hup, NULL);
}

static void reload(struct weft_daemon *d)
{
	struct weft_now now = weft_clock_now();
	struct weft_config c;
	struct weft_net *n;
	char err[PATH_MAX + 256];

	sd_notify("RELOADING=1");
	if (load_config(d, &c, err, sizeof(err))) {
		weft_log_error("reload: %s; keeping the running configuration", err);
		sd_notify("READY=1");
		return;
	}
	if (strcmp(c.state_dir, d->cfg.state_dir) || strcmp(c.socket, d->cfg.socket))
		weft_log_warn("reload: state_dir and socket change only at the next start");
	snprintf(c.state_dir, sizeof(c.state_dir), "%s", d->cfg.state_dir);
	snprintf(c.socket, sizeof(c.socket), "%s", d->cfg.socket);
	d->cfg = c;
	/* Said at the old level, so that lowering it is still reported. */
	weft_log_info("reloaded the configuration (log level %s)", weft_log_level_name(c.log_level));
	weft_log_set_level(c.log_level);
	for (n = weft_net_next(&d->nets, NULL); n; n = weft_net_next(&d->nets, n))
		weft_net_reconfigure(n, now);
	sd_notify("READY=1");
}

static void on_signal(uv_signal_t *s, int signum)
{
	struct weft_daemon *d = s->data;

	if (signum == SIGHUP)
		reload(d);
	else
		stop(d, signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

static void close_any(uv_handle_t *h, void *arg)
{
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

int weft_daemon_run(const struct weft_daemon_opts *opts)
{
	char names[WEFT_NETSTATE_MAX_NETS][WEFT_NAME_MAX + 1];
	struct weft_daemon *d;
	uv_loop_t loop;
	char err[PATH_MAX + 256];
	size_t n = 0, i, resumed = 0;
	int ret, code = 1;

#ifdef __GLIBC__
	/* A long-running daemon whose big buffers are transient (the records
	 * file, a device read of every peer, the view): with glibc's defaults
	 * their freed pages stay in the heap, 1.6 MB of a 13 MB RSS at 1,000
	 * members (docs/PERFORMANCE.md). Big blocks get their own mappings,
	 * returned when freed, and the heap's top is given back sooner. */
	mallopt(M_MMAP_THRESHOLD, 64 * 1024);
	mallopt(M_TRIM_THRESHOLD, 128 * 1024);
#endif
	d = calloc(1, sizeof(*d));
	if (!d) {
		fprintf(stderr, "weft: error: out of memory\n");
		return 1;
	}
	d->opts = *opts;
	d->config_given = opts->config_path != NULL;
	snprintf(d->config_path, sizeof(d->config_path), "%s",
		 opts->config_path ? opts->config_path : WEFT_CONFIG_DEFAULT_PATH);
	if (load_config(d, &d->cfg, err, sizeof(err))) {
		fprintf(stderr, "weft: error: %s\n", err);
		goto out_free;
	}
	weft_log_set_level(d->cfg.log_level);
	signal(SIGPIPE, SIG_IGN);
	if (uv_loop_init(&loop) != 0) {
		fprintf(stderr, "weft: error: cannot start the event loop\n");
		goto out_free;
	}
	d->loop = &loop;
	d->nets.loop = &loop;
	d->nets.cfg = &d->cfg;
	d->nets.cache = weft_vcache_new(8192);
	d->nets.gone = net_gone;
	d->nets.gone_ctx = d;
	d->ctl = weft_ctlsrv_new(&loop, &d->nets);
	if (!d->nets.cache || !d->ctl) {
		fprintf(stderr, "weft: error: out of memory\n");
		goto out_loop;
	}
	ret = mkdir(d->cfg.state_dir, 0700);
	if (ret < 0 && errno != EEXIST) {
		fprintf(stderr, "weft: error: cannot create the state directory %s: %s\n", d->cfg.state_dir,
			strerror(errno));
		goto out_loop;
	}
	if (weft_ctlsrv_open(d->ctl, d->cfg.socket, err, sizeof(err))) {
		fprintf(stderr, "weft: error: %s\n", err);
		goto out_loop;
	}
	uv_signal_init(&loop, &d->sig_term);
	uv_signal_init(&loop, &d->sig_int);
	uv_signal_init(&loop, &d->sig_hup);
	d->sig_term.data = d->sig_int.data = d->sig_hup.data = d;
	uv_signal_start(&d->sig_term, on_signal, SIGTERM);
	uv_signal_start(&d->sig_int, on_signal, SIGINT);
	uv_signal_start(&d->sig_hup, on_signal, SIGHUP);

	ret = weft_netstate_list(d->cfg.state_dir, names, WEFT_NETSTATE_MAX_NETS, &n);
	if (ret)
		weft_log_error("cannot list %s: %s", d->cfg.state_dir, weft_strerror(ret));
	for (i = 0; i < n; i++) {
		if (weft_net_resume(&d->nets, names[i], weft_clock_now(), err, sizeof(err)) == 0)
			resumed++;
		else
			weft_log_error("%s: not resumed: %s", names[i], err);
	}
	weft_log_info("weft %s ready: %zu network%s, control socket %s, state in %s", WEFT_VERSION, resumed,
		      resumed == 1 ? "" : "s", d->cfg.socket, d->cfg.state_dir);
	sd_notify("READY=1");
	uv_run(&loop, UV_RUN_DEFAULT);
	code = d->exit_code;
out_loop:
	if (d->ctl)
		weft_ctlsrv_close(d->ctl);
	uv_walk(&loop, close_any, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	weft_ctlsrv_free(d->ctl);
	weft_vcache_free(d->nets.cache);
out_free:
	free(d);
	return code;
}
