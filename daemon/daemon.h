/* The daemon (libweft_daemon): the libuv shell around one gossip node per
 * network (DESIGN §1). daemon.c owns the loop, signals, configuration and
 * the networks; net.c runs one network (sockets, timers, the WireGuard
 * interface, persistence); ctlsrv.c serves the control socket. This header
 * is shared by those files only; the rest of weft calls weft_daemon_run(). */
#ifndef WEFT_DAEMON_H
#define WEFT_DAEMON_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "daemon/config.h"
#include "gossip/gossip.h"
#include "daemon/netstate.h"
#include "mesh/peersync.h"
#include "core/store.h"
#include "core/token.h"
#include "wg/wg.h"

/* How `weft daemon` was started: command-line settings win over the
 * configuration file's. NULL / -1 = not given. */
struct weft_daemon_opts {
	const char *config_path;  /* NULL: WEFT_CONFIG_DEFAULT_PATH, missing is fine */
	const char *state_dir;
	const char *socket;
	int log_level;
};

/* Runs until SIGTERM or SIGINT; returns the process exit code. */
int weft_daemon_run(const struct weft_daemon_opts *opts);

/* ---- shared by the daemon's files ---- */

struct weft_daemon;
struct weft_net;
struct weft_ctl_conn;

enum weft_net_phase {
	WEFT_NET_JOINING = 1, /* join handshake running */
	WEFT_NET_PENDING,     /* admitted, waiting for the admin's approval */
	WEFT_NET_MEMBER,
	WEFT_NET_REVOKED,
	WEFT_NET_LEAVING,
};
const char *weft_net_phase_name(int phase);

/* What a join or create asks for besides the token or records. */
struct weft_net_opts {
	char name[WEFT_NAME_MAX + 1];
	char ifname[WEFT_WG_IFNAMSIZ];
	uint16_t listen_port, gossip_port; /* 0 = the network's */
	uint8_t nendpoints;
	weft_endpoint_t endpoints[WEFT_MAX_ENDPOINTS];
};

struct weft_prepared {
	bool used;
	char network[WEFT_NAME_MAX + 1];
	weft_keypair_t id; /* secret */
	uint64_t expires_ns;
};
#define WEFT_DAEMON_PREPARED 4

struct weft_daemon {
	uv_loop_t *loop;
	struct weft_config cfg;
	char config_path[PATH_MAX];
	bool config_given;
	struct weft_daemon_opts opts;
	uv_signal_t sig_term, sig_int, sig_hup;
	uv_pipe_t ctl;
	bool ctl_open;
	struct weft_ctl_conn *conns;
	unsigned nconns;
	struct weft_net *nets;
	weft_vcache_t *cache;
	struct weft_prepared prepared[WEFT_DAEMON_PREPARED];
	bool stopping;
	int exit_code;
};

/* Result of an asynchronous request (join, leave) for whoever waits. */
typedef void (*weft_net_done_fn)(void *ctx, struct weft_net *n, int err, const char *msg);

struct weft_net *weft_daemon_find(struct weft_daemon *d, const char *name);
/* Called by net.c once a network has closed every handle. */
void weft_daemon_net_gone(struct weft_daemon *d, struct weft_net *n);
/* An identity made for `weft init` (taken, once, by create). */
const weft_keypair_t *weft_daemon_prepare(struct weft_daemon *d, const char *network);
int weft_daemon_take_prepared(struct weft_daemon *d, const char *network, weft_keypair_t *id);

/* ---- one network (net.c) ---- */
/* Each returns 0 or an error with a sentence in err (errlen bytes). */
int weft_net_resume(struct weft_daemon *d, const char *name, char *err, size_t errlen);
int weft_net_join(struct weft_daemon *d, const weft_token_t *tok, const struct weft_net_opts *o,
		  weft_net_done_fn done, void *ctx, char *err, size_t errlen);
/* A revoked network's node asks to be let in again: the members decide. */
int weft_net_rejoin(struct weft_net *n, const weft_token_t *tok, weft_net_done_fn done, void *ctx, char *err,
		    size_t errlen);
int weft_net_create(struct weft_daemon *d, const char *name, const weft_keypair_t *id,
		    const uint8_t (*records)[WEFT_RECORD_MAX], const uint16_t *lens, size_t nrecords,
		    const struct weft_net_opts *o, char *err, size_t errlen);
int weft_net_leave(struct weft_net *n, weft_net_done_fn done, void *ctx, char *err, size_t errlen);
/* Stop serving (daemon shutdown): save, remove the interface, close. */
void weft_net_stop(struct weft_net *n);
/* The waiter of a join or leave went away. */
void weft_net_forget_waiter(struct weft_net *n, void *ctx);
/* SIGHUP: settings from the (re)loaded configuration. */
void weft_net_reconfigure(struct weft_net *n);
/* Records for this network: merged and gossiped. Counts what was taken. */
int weft_net_push(struct weft_net *n, const weft_record_t *r);
/* Why the last weft_net_push refused its record, when the error code alone
 * would not say (pushcheck.h), else NULL. */
const char *weft_net_push_why(const struct weft_net *n);
/* Does this record belong to this network (its signer is the admin or a
 * member of it, or it names one of its members)? */
bool weft_net_owns(struct weft_net *n, const weft_record_t *r);

const char *weft_net_name(const struct weft_net *n);
int weft_net_phase(const struct weft_net *n);
const weft_pk_t *weft_net_id(const struct weft_net *n);
struct json_object;
struct json_object *weft_net_status_json(struct weft_net *n);
struct json_object *weft_net_peers_json(struct weft_net *n);
struct json_object *weft_net_list_json(struct weft_net *n);
/* "HOST:PORT" strings a joiner can reach members at (this node first). */
struct json_object *weft_net_bootstrap_json(struct weft_net *n);
/* The held records of one type, base64, for admin commands that build on
 * them (an override's other fields, the members a new network key is
 * sealed to). */
struct json_object *weft_net_records_json(struct weft_net *n, unsigned type);

/* ---- the control socket (ctlsrv.c) ---- */
int weft_ctlsrv_open(struct weft_daemon *d, char *err, size_t errlen);
void weft_ctlsrv_close(struct weft_daemon *d);

/* ---- systemd's readiness protocol (daemon.c) ---- */
void weft_sd_notify(const char *state);

#endif
