/* The daemon (libweft_daemon): the libuv shell around one gossip node per
 * network (docs/DESIGN.md, "§7 The daemon: persistence and control").
 * daemon.c owns the process — the configuration, the loop, signals and
 * systemd's readiness protocol — and wires the networks (net.h) to the
 * control socket (ctlsrv.h). The rest of weft calls only weft_daemon_run(). */
#ifndef WEFT_DAEMON_H
#define WEFT_DAEMON_H

/* How `weft daemon` was started: command-line settings win over the
 * configuration file's. NULL / -1 = not given. */
struct weft_daemon_opts {
	const char *config_path; /* NULL: WEFT_CONFIG_DEFAULT_PATH, missing is fine */
	const char *state_dir;
	const char *socket;
	int log_level;
};

/* Runs until SIGTERM or SIGINT; returns the process exit code. */
int weft_daemon_run(const struct weft_daemon_opts *opts);

#endif
