/* The daemon's configuration file (default /etc/weft/weft.conf): global
 * "key = value" lines, then optional "[network NAME]" sections that tune one
 * network. Parsing is pure (text in, struct out, a "line N: ..." message on
 * error), so it is unit-tested and fuzzed; loading reads the file. */
#ifndef WEFT_CONFIG_H
#define WEFT_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/record.h"
#include "wg/wg.h"

#define WEFT_CONFIG_DEFAULT_PATH "/etc/weft/weft.conf"
#define WEFT_DEFAULT_STATE_DIR "/var/lib/weft"
#define WEFT_DEFAULT_SOCKET "/run/weft/weft.sock"
#define WEFT_CONFIG_MAX_NETS 16
#define WEFT_CONFIG_MAX_SIZE (64u << 10)
#define WEFT_CONFIG_MAX_FORWARD 4
#define WEFT_CONFIG_DEFAULT_HOSTS "/etc/hosts"

struct weft_config_net {
	char name[WEFT_NAME_MAX + 1];
	char ifname[WEFT_WG_IFNAMSIZ];                 /* "" = as joined (default weft-NAME) */
	uint8_t nendpoints;                            /* announced instead of the local addresses */
	weft_endpoint_t endpoints[WEFT_MAX_ENDPOINTS]; /* port 0 = the WireGuard port */
	int keepalive;                                 /* seconds; -1 = the network's setting */
	/* "dns_listen = ADDR[:PORT]": also answer this network's DNS on this
	 * address (e.g. 127.0.0.53:5353; port default 53), instead of the
	 * global dns_listen. Family 0 = the global setting. */
	weft_endpoint_t dns_listen;
	/* "dns_forward = IP[:PORT] ...": upstream resolvers for names outside
	 * this network's zone, instead of the global ones (port default 53). */
	uint8_t nforward;
	weft_endpoint_t forward[WEFT_CONFIG_MAX_FORWARD];
	/* "routes = CIDR,...": egress routes this node advertises (served
	 * once the admin approves them); "egress_nat = off": do not
	 * masquerade the overlay's traffic towards them (default on). */
	uint8_t nroutes;
	weft_cidr_t routes[WEFT_MAX_ROUTES];
	bool egress_nat_off;
};

/* "resolver = auto|resolved|hosts|off": how the host's resolver learns the
 * zones (daemon/resolver.h). */
enum weft_config_resolver {
	WEFT_RESOLVER_AUTO = 0, /* systemd-resolved when present, else the hosts file */
	WEFT_RESOLVER_RESOLVED,
	WEFT_RESOLVER_HOSTS,
	WEFT_RESOLVER_OFF,
};

/* "relay = auto|on|off": whether this node relays for pairs of members
 * that cannot reach each other (daemon/relay.h). auto: when it has a public
 * endpoint (not behind a NAT) and IP forwarding can be turned on for the
 * network's interface. */
enum weft_config_relay {
	WEFT_RELAY_AUTO = 0,
	WEFT_RELAY_ON,
	WEFT_RELAY_OFF,
};

struct weft_config {
	char state_dir[PATH_MAX];
	char socket[PATH_MAX];
	int log_level; /* enum weft_log_level */
	weft_wg_backend_t wg_backend;
	char wg_userspace[PATH_MAX];  /* "" = wireguard-go, boringtun... */
	char wg_socket_dir[PATH_MAX]; /* "" = /var/run/wireguard */
	uint32_t join_timeout_ms;     /* 0 = the protocol's default (30 s) */
	uint32_t probe_interval_ms;   /* 0 = default */
	uint32_t gossip_interval_ms;  /* 0 = default */
	/* "dns_listen = ADDR[:PORT]": every network also answers its DNS zone
	 * on this (loopback) address, besides its overlay addresses on port
	 * 53. Port default 53; family 0 = none. One socket answers for one
	 * network: with several, give each its own in its section. */
	weft_endpoint_t dns_listen;
	/* "dns_forward = IP[:PORT] ...": names outside a zone are forwarded
	 * to these and the answer relayed; none = REFUSED. */
	uint8_t nforward;
	weft_endpoint_t forward[WEFT_CONFIG_MAX_FORWARD];
	int resolver;              /* enum weft_config_resolver */
	int relay;                 /* enum weft_config_relay */
	char hosts_file[PATH_MAX]; /* "" = /etc/hosts */
	size_t nnets;
	struct weft_config_net nets[WEFT_CONFIG_MAX_NETS];
};

void weft_config_defaults(struct weft_config *c);
/* Parses text (len bytes, need not be NUL-terminated) over what c holds.
 * Returns 0, or -EINVAL with "line N: what is wrong" in err. */
int weft_config_parse(struct weft_config *c, const char *text, size_t len, char *err, size_t errlen);
/* Reads and parses path. A missing file is fine when missing_ok (the
 * default path need not exist); -ENOENT otherwise. */
int weft_config_load(struct weft_config *c, const char *path, int missing_ok, char *err, size_t errlen);
/* The section for a network, or NULL. */
const struct weft_config_net *weft_config_net(const struct weft_config *c, const char *name);

#endif
