/* wg/ internals: the ops table every backend fills (docs/STYLE.md, "OS boundaries"), the
 * handle they share, the change set that diff.c computes and the backends
 * apply, and the error-context helpers. Not part of the public API. */
#ifndef WEFT_WG_BACKEND_H
#define WEFT_WG_BACKEND_H

#include <stdarg.h>

#include "wg/nl.h"
#include "wg/wg.h"

/* What one peer entry of a change set asks for. */
enum {
	WEFT_WG_PC_REMOVE = 1u << 0,          /* WGPEER_F_REMOVE_ME, remove=true */
	WEFT_WG_PC_REPLACE_ALLOWED = 1u << 1, /* WGPEER_F_REPLACE_ALLOWEDIPS */
	WEFT_WG_PC_UPDATE_ONLY = 1u << 2,     /* WGPEER_F_UPDATE_ONLY */
	WEFT_WG_PC_ENDPOINT = 1u << 3,        /* endpoint is set */
	WEFT_WG_PC_KEEPALIVE = 1u << 4,       /* keepalive is set */
};

typedef struct {
	weft_wgkey_t public_key;
	unsigned flags;
	weft_endpoint_t endpoint;
	uint16_t keepalive;
	const weft_cidr_t *allowed_ips; /* borrowed from the desired device */
	size_t n_allowed_ips;
} weft_wg_peer_change_t;

enum {
	WEFT_WG_DC_PRIVATE_KEY = 1u << 0,
	WEFT_WG_DC_LISTEN_PORT = 1u << 1,
};

/* One set operation: device fields, then peers in order (removals, then
 * updates, then additions). */
typedef struct {
	unsigned flags;
	weft_wgkey_t private_key; /* secret: wiped by weft_wg_changeset_free() */
	uint16_t listen_port;
	weft_wg_peer_change_t *peers;
	size_t n_peers;
	unsigned added, removed, updated;
} weft_wg_changeset_t;

struct weft_wg_ops {
	const char *name;
	int (*open)(weft_wg_t *wg, const weft_wg_opts_t *opts, weft_wg_err_t *err);
	void (*close)(weft_wg_t *wg);
	int (*exists)(weft_wg_t *wg, weft_wg_err_t *err);
	int (*create)(weft_wg_t *wg, weft_wg_err_t *err);
	int (*destroy)(weft_wg_t *wg, weft_wg_err_t *err);
	int (*get)(weft_wg_t *wg, weft_wg_device_t *dev, weft_wg_err_t *err);
	int (*set)(weft_wg_t *wg, const weft_wg_changeset_t *cs, weft_wg_err_t *err);
	int (*link_get)(weft_wg_t *wg, weft_wg_link_t *link, weft_wg_err_t *err);
	int (*set_mtu)(weft_wg_t *wg, unsigned mtu, weft_wg_err_t *err);
	int (*set_up)(weft_wg_t *wg, bool up, weft_wg_err_t *err);
	int (*addr_list)(weft_wg_t *wg, weft_wg_ifaddr_t **out, size_t *n, weft_wg_err_t *err);
	int (*addr_change)(weft_wg_t *wg, const weft_wg_ifaddr_t *a, bool add, weft_wg_err_t *err);
	int (*route_list)(weft_wg_t *wg, weft_cidr_t **out, size_t *n, weft_wg_err_t *err);
	int (*route_change)(weft_wg_t *wg, const weft_cidr_t *c, bool add, weft_wg_err_t *err);
};

/* One handle; each backend uses its own fields. */
struct weft_wg {
	const struct weft_wg_ops *ops;
	char ifname[WEFT_WG_IFNAMSIZ];
	/* kernel and userspace */
	weft_wg_nl_t rtnl;
	/* kernel */
	weft_wg_nl_t genl;
	uint16_t family;
	/* userspace */
	char *impl;      /* resolved path of the implementation, or NULL */
	char *sock_path; /* SOCK_DIR/IFNAME.sock */
	/* memory */
	weft_wg_mem_world_t *world;
	bool own_world;
};

extern const struct weft_wg_ops weft_wg_kernel_ops;
extern const struct weft_wg_ops weft_wg_userspace_ops;
extern const struct weft_wg_ops weft_wg_memory_ops;

/* Link, address and route ops on rtnetlink, shared by kernel and userspace. */
int weft_wg_oslink_get(weft_wg_t *wg, weft_wg_link_t *link, weft_wg_err_t *err);
int weft_wg_oslink_set_mtu(weft_wg_t *wg, unsigned mtu, weft_wg_err_t *err);
int weft_wg_oslink_set_up(weft_wg_t *wg, bool up, weft_wg_err_t *err);
int weft_wg_oslink_addr_list(weft_wg_t *wg, weft_wg_ifaddr_t **out, size_t *n, weft_wg_err_t *err);
int weft_wg_oslink_addr_change(weft_wg_t *wg, const weft_wg_ifaddr_t *a, bool add, weft_wg_err_t *err);
int weft_wg_oslink_route_list(weft_wg_t *wg, weft_cidr_t **out, size_t *n, weft_wg_err_t *err);
int weft_wg_oslink_route_change(weft_wg_t *wg, const weft_cidr_t *c, bool add, weft_wg_err_t *err);

/* Userspace: is an implementation installed? Fills path (malloc'd) or says
 * why not in err. */
int weft_wg_userspace_find_impl(const char *configured, char **path, weft_wg_err_t *err);

/* Diff (diff.c): what must change to make current into desired. */
int weft_wg_diff(const weft_wg_device_t *desired, const weft_wg_device_t *current, weft_wg_changeset_t *cs,
		 weft_wg_err_t *err);
void weft_wg_changeset_free(weft_wg_changeset_t *cs);

/* Error context (err.c). Both return code. err may be NULL. */
int weft_wg_errf(weft_wg_err_t *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Prepends "prefix" to the message already in err. */
int weft_wg_err_prefix(weft_wg_err_t *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Small helpers shared by the parsers. */
void weft_wg_cidr_mask(weft_cidr_t *c);
int weft_wg_cidr_cmp(const weft_cidr_t *a, const weft_cidr_t *b);
bool weft_wg_cidr_valid(const weft_cidr_t *c);

#endif
