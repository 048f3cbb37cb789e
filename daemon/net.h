/* One network inside the daemon, as the rest of the daemon sees it: an
 * opaque struct weft_net driven through these calls. Its files (net.c,
 * net_apply.c, net_join.c, net_save.c, net_json.c) share net_internal.h;
 * nothing else looks inside.
 *
 * Time: every call that can change a network takes `now`, the time of the
 * event it comes from, read once where libuv hands the daemon control (a
 * timer, a socket, a control request), so that one event sees one time
 * (docs/STYLE.md, "Sans-IO"). */
#ifndef WEFT_NET_H
#define WEFT_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "core/clock.h"
#include "core/keys.h"
#include "core/record.h"
#include "core/token.h"
#include "core/vcache.h"
#include "daemon/config.h"
#include "wg/wg.h"

struct weft_net;
struct json_object;

/* What the networks of one daemon share. The daemon owns it; the list of
 * networks in it is kept by net.c (weft_net_next walks it). */
struct weft_net_host {
	uv_loop_t *loop;
	const struct weft_config *cfg; /* the running configuration */
	weft_vcache_t *cache;
	struct weft_net *nets;
	/* Told when a network has closed its last handle, just before it is
	 * freed (it is out of the list by then). May be NULL. */
	void (*gone)(void *ctx, struct weft_net *n);
	void *gone_ctx;
};

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

/* Result of an asynchronous request (join, leave) for whoever waits. */
typedef void (*weft_net_done_fn)(void *ctx, struct weft_net *n, int err, const char *msg);

/* The network of that name that is not closing, or NULL. */
struct weft_net *weft_net_find(struct weft_net_host *h, const char *name);
/* Every network, closing ones too: the first with n NULL, then the next. */
struct weft_net *weft_net_next(struct weft_net_host *h, struct weft_net *n);

/* Each returns 0 or an error with a sentence in err (errlen bytes). */
int weft_net_resume(struct weft_net_host *h, const char *name, struct weft_now now, char *err, size_t errlen);
int weft_net_join(struct weft_net_host *h, const weft_token_t *tok, const struct weft_net_opts *o,
		  struct weft_now now, weft_net_done_fn done, void *ctx, char *err, size_t errlen);
/* A revoked network's node asks to be let in again: the members decide. */
int weft_net_rejoin(struct weft_net *n, const weft_token_t *tok, struct weft_now now, weft_net_done_fn done,
		    void *ctx, char *err, size_t errlen);
int weft_net_create(struct weft_net_host *h, const char *name, const weft_keypair_t *id,
		    const uint8_t (*records)[WEFT_RECORD_MAX], const uint16_t *lens, size_t nrecords,
		    const struct weft_net_opts *o, struct weft_now now, char *err, size_t errlen);
int weft_net_leave(struct weft_net *n, struct weft_now now, weft_net_done_fn done, void *ctx, char *err,
		   size_t errlen);
/* Stop serving (daemon shutdown): save, remove the interface, close. */
void weft_net_stop(struct weft_net *n, struct weft_now now);
/* The waiter of a join or leave went away. */
void weft_net_forget_waiter(struct weft_net *n, void *ctx);
/* SIGHUP: settings from the (re)loaded configuration. */
void weft_net_reconfigure(struct weft_net *n, struct weft_now now);
/* Records for this network: merged and gossiped. Counts what was taken. */
int weft_net_push(struct weft_net *n, const weft_record_t *r, struct weft_now now);
/* Why the last weft_net_push refused its record, when the error code alone
 * would not say (mesh/pushcheck.h), else NULL. */
const char *weft_net_push_why(const struct weft_net *n);
/* Does this record belong to this network (its signer is the admin or a
 * member of it, or it names one of its members)? */
bool weft_net_owns(struct weft_net *n, const weft_record_t *r);

const char *weft_net_name(const struct weft_net *n);
int weft_net_phase(const struct weft_net *n);
const weft_pk_t *weft_net_id(const struct weft_net *n);

/* What the control socket reports (net_json.c, docs/CLI.md's fields). */
struct json_object *weft_net_status_json(struct weft_net *n);
struct json_object *weft_net_peers_json(struct weft_net *n);
struct json_object *weft_net_list_json(struct weft_net *n);
/* "HOST:PORT" strings a joiner can reach members at (this node first). */
struct json_object *weft_net_bootstrap_json(struct weft_net *n);
/* The held records of one type, base64, for admin commands that build on
 * them (an override's other fields, the members a new network key is
 * sealed to). */
struct json_object *weft_net_records_json(struct weft_net *n, unsigned type);

#endif
