/* wg/: the WireGuard backends behind one ops table — kernel (generic netlink
 * plus rtnetlink), userspace (the UAPI socket of wireguard-go or boringtun)
 * and memory (tests, simulator) — and applying a desired peer set as a diff,
 * so that peers that did not change keep their sessions. */
#ifndef WEFT_WG_H
#define WEFT_WG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/keys.h"

#define WEFT_WG_IFNAMSIZ 16 /* IFNAMSIZ, with the NUL */
#define WEFT_WG_ERRLEN 256

/* Every function that can fail returns 0, a -errno or a negative WEFT_E*
 * (core/error.h), and, when err is not NULL, leaves the same code and a
 * sentence with the context ("userspace wg0: set: errno=98 ...") in it.
 * The text never contains key material. */
typedef struct {
	int code;
	char msg[WEFT_WG_ERRLEN];
} weft_wg_err_t;

typedef enum {
	WEFT_WG_AUTO = 0, /* see weft_wg_open() */
	WEFT_WG_KERNEL,
	WEFT_WG_USERSPACE,
	WEFT_WG_MEMORY,
} weft_wg_backend_t;

/* One peer. Identity is the public key. */
typedef struct {
	weft_wgkey_t public_key;
	/* ip.family 0 = none. In a desired peer it means "no opinion": the
	 * endpoint WireGuard learned by roaming is left alone (WireGuard has no
	 * way to clear an endpoint anyway). */
	weft_endpoint_t endpoint;
	uint16_t keepalive; /* persistent keepalive in seconds, 0 = off */
	weft_cidr_t *allowed_ips;
	size_t n_allowed_ips;
	size_t cap_allowed_ips;
	/* Read back only; apply ignores them. */
	uint64_t last_handshake_ns; /* Unix time in ns, 0 = never */
	uint64_t rx_bytes;
	uint64_t tx_bytes;
} weft_wg_peer_t;

/* A device: what apply wants, or what get_device read. */
typedef struct {
	bool has_private_key;
	weft_wgkey_t private_key; /* secret: weft_wg_device_free() wipes it */
	weft_wgkey_t public_key;  /* read back (derived from the private key) */
	uint16_t listen_port;     /* desired: 0 = leave as it is */
	weft_wg_peer_t *peers;
	size_t n_peers;
	size_t cap_peers;
} weft_wg_device_t;

/* An interface address: unlike a weft_cidr_t the host bits are kept
 * (10.1.2.3/16 is the address 10.1.2.3 on the network 10.1.0.0/16). */
typedef struct {
	weft_ip_t ip;
	uint8_t prefix;
} weft_wg_ifaddr_t;

typedef struct {
	unsigned ifindex;
	unsigned mtu;
	bool up;
} weft_wg_link_t;

/* What one apply changed. An update touches one peer's changed fields only:
 * its session and handshake survive. */
typedef struct {
	unsigned added;
	unsigned removed;
	unsigned updated;
	bool device_changed; /* private key or listen port */
} weft_wg_changes_t;

/* The memory backend's "kernel": the devices that memory handles with the
 * same world see. One per simulated host. */
typedef struct weft_wg_mem_world weft_wg_mem_world_t;

typedef struct {
	weft_wg_backend_t backend;
	/* Userspace: the program to start for create, as wg-quick's
	 * WG_QUICK_USERSPACE_IMPLEMENTATION (a name looked up in PATH, or a
	 * path). NULL: that variable, else wireguard-go, else boringtun-cli,
	 * else boringtun. */
	const char *userspace_impl;
	/* Userspace: where the UAPI sockets are; NULL: /var/run/wireguard. */
	const char *sock_dir;
	/* Memory: the world the device lives in; NULL: a private one owned
	 * by the handle. */
	weft_wg_mem_world_t *world;
} weft_wg_opts_t;

typedef struct weft_wg weft_wg_t;

/* Opens a handle on interface ifname (which need not exist yet). The handle
 * belongs to the network namespace of the calling thread: its netlink
 * sockets are opened here, and create starts a userspace implementation in
 * that namespace. opts may be NULL (AUTO).
 * AUTO picks userspace when a UAPI socket for ifname already answers (as
 * wg(8) does), else kernel when the generic netlink family "wireguard"
 * resolves, else userspace when an implementation is installed, else fails
 * with WEFT_EUNSUPPORTED and a message naming both reasons. */
int weft_wg_open(weft_wg_t **out, const char *ifname, const weft_wg_opts_t *opts, weft_wg_err_t *err);
void weft_wg_close(weft_wg_t *wg);
/* "kernel", "userspace" or "memory". */
const char *weft_wg_backend_name(const weft_wg_t *wg);
const char *weft_wg_ifname(const weft_wg_t *wg);

/* 1 when the interface exists and answers, 0 when not, or an error. */
int weft_wg_exists(weft_wg_t *wg, weft_wg_err_t *err);
/* Creates the interface (kernel: an rtnetlink link of kind wireguard;
 * userspace: starts the implementation and waits for its socket).
 * -EEXIST when it exists. */
int weft_wg_create(weft_wg_t *wg, weft_wg_err_t *err);
/* Deletes the link (a userspace implementation exits with it) and waits
 * until nothing of it is left. -ENODEV when there was none. */
int weft_wg_delete(weft_wg_t *wg, weft_wg_err_t *err);

int weft_wg_get_link(weft_wg_t *wg, weft_wg_link_t *link, weft_wg_err_t *err);
int weft_wg_set_mtu(weft_wg_t *wg, unsigned mtu, weft_wg_err_t *err);
int weft_wg_set_up(weft_wg_t *wg, bool up, weft_wg_err_t *err);
/* Makes the interface's addresses exactly addrs (IPv4 and IPv6; IPv6 ones
 * without duplicate address detection), adding and removing the difference. */
int weft_wg_set_addresses(weft_wg_t *wg, const weft_wg_ifaddr_t *addrs, size_t n, weft_wg_err_t *err);
/* *out is malloc'd (free() it); sorted. */
int weft_wg_get_addresses(weft_wg_t *wg, weft_wg_ifaddr_t **out, size_t *n, weft_wg_err_t *err);
/* Makes the routes through the interface in the main table that weft added
 * exactly routes (routes the kernel or others added are left alone). */
int weft_wg_set_routes(weft_wg_t *wg, const weft_cidr_t *routes, size_t n, weft_wg_err_t *err);
/* The routes weft added; *out is malloc'd (free() it); sorted. */
int weft_wg_get_routes(weft_wg_t *wg, weft_cidr_t **out, size_t *n, weft_wg_err_t *err);

/* Reads the device: keys, port, every peer with its handshake time and
 * transfer counters. Free dev with weft_wg_device_free(). */
int weft_wg_get_device(weft_wg_t *wg, weft_wg_device_t *dev, weft_wg_err_t *err);
/* Makes the device match desired with the fewest changes: peers missing
 * are added, peers not desired are removed, a peer whose endpoint,
 * keepalive or allowed IPs differ is updated in those fields only. Never
 * replaces the whole peer list. Fails with WEFT_EDUPLICATE when desired
 * names a public key twice or gives one allowed IP to two peers. When the
 * backend fails part-way the device may be partly changed; the next apply
 * completes it (it starts from what the device holds). changes may be NULL. */
int weft_wg_apply(weft_wg_t *wg, const weft_wg_device_t *desired, weft_wg_changes_t *changes, weft_wg_err_t *err);
/* The same from cur, the device as the caller just read it with
 * weft_wg_get_device (the daemon reads it anyway, to see handshakes): one
 * read of the device instead of two. */
int weft_wg_apply_from(weft_wg_t *wg, const weft_wg_device_t *desired, const weft_wg_device_t *cur,
		       weft_wg_changes_t *changes, weft_wg_err_t *err);

/* Building a device. The returned peer pointer is valid until the next
 * add_peer on the same device. NULL on allocation failure. */
weft_wg_peer_t *weft_wg_device_add_peer(weft_wg_device_t *dev, const weft_wgkey_t *public_key);
int weft_wg_peer_add_allowed_ip(weft_wg_peer_t *peer, const weft_cidr_t *cidr);
weft_wg_peer_t *weft_wg_device_find_peer(const weft_wg_device_t *dev, const weft_wgkey_t *public_key);
/* Frees every peer, wipes the private key, leaves *dev zeroed. */
void weft_wg_device_free(weft_wg_device_t *dev);

/* The memory backend. A world holds devices by name, as a kernel would.
 * Its model of WireGuard, for unit tests and the simulator:
 * - set semantics follow the kernel: an allowed IP given to a peer leaves
 *   the peer that had it; removing a peer forgets everything about it;
 * - a handshake happens only when weft_wg_mem_handshake() says so (the
 *   simulator decides when two peers could reach each other); updating a
 *   peer keeps its handshake time and counters, removing it resets them;
 * - every set that names a peer counts as one touch of that peer, so tests
 *   can check that a diff touched only what changed.
 * Nothing here reads a clock: the caller passes now_ns. */
weft_wg_mem_world_t *weft_wg_mem_world_new(void);
void weft_wg_mem_world_free(weft_wg_mem_world_t *world);
/* -ENODEV: no such device; WEFT_ENOTFOUND: no such peer. */
int weft_wg_mem_handshake(weft_wg_mem_world_t *world, const char *ifname, const weft_wgkey_t *peer, uint64_t now_ns);
int weft_wg_mem_transfer(weft_wg_mem_world_t *world, const char *ifname, const weft_wgkey_t *peer, uint64_t rx_bytes,
			 uint64_t tx_bytes);
/* How many sets named this peer since it was added (>= 1), or an error. */
long weft_wg_mem_touches(weft_wg_mem_world_t *world, const char *ifname, const weft_wgkey_t *peer);

#endif
