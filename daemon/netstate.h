/* A network's state on disk (DESIGN §7): one directory per network under the
 * state directory (default /var/lib/weft/NETWORK), holding
 *
 *     node     this node's own state: identity and WireGuard keys, the
 *              network key, incarnation, interface and ports (mode 0600)
 *     records  every record of the network (weft_store_serialize)
 *     token    only while a join waits for the admin's approval: the invite
 *              token, so that the join goes on after a restart (mode 0600:
 *              it holds the invite's secret key)
 *
 * both written atomically through core/persist (temp, fsync, rename, fsync
 * the directory). A node restarted from these comes back without a token.
 * "node" is a msgpack array read and written with core/mpack, which works in
 * the caller's buffers, so that no library buffer ever holds its secrets
 * unwiped. */
#ifndef WEFT_NETSTATE_H
#define WEFT_NETSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/keys.h"
#include "core/record.h"
#include "core/store.h"
#include "core/token.h"
#include "wg/wg.h"

#define WEFT_NETSTATE_FORMAT 1
#define WEFT_NETSTATE_MAX_NETS 64

/* What this node is in its network, as far as it knows. */
enum weft_local_status {
	WEFT_LOCAL_MEMBER = 1,
	WEFT_LOCAL_REVOKED = 2,
	WEFT_LOCAL_PENDING = 3, /* admitted, waiting for approval (a token file) */
};

struct weft_local {
	char network[WEFT_NAME_MAX + 1];
	weft_pk_t network_id;
	weft_keypair_t id;    /* secret */
	weft_wgpair_t wg;     /* secret (priv) */
	uint64_t wg_key_time; /* unix seconds */
	bool has_netkey;
	uint8_t netkey[WEFT_NETKEY_LEN]; /* secret */
	uint32_t netkey_epoch;
	/* The previous network key while a rotation's grace period runs
	 * (gossip.h, weft_gossip_prev_netkey): a member restarted within it
	 * still talks to members on the old epoch. Wall clock, unix ms. In
	 * the file only while set, as a 17th field: files without it (and
	 * those of older versions) load as before. */
	bool has_prev_netkey;
	uint8_t prev_netkey[WEFT_NETKEY_LEN]; /* secret */
	uint32_t prev_netkey_epoch;
	uint64_t prev_open_until_ms;
	uint64_t prev_seal_until_ms; /* 0: no longer sealing with it */
	uint32_t incarnation;
	uint64_t state_version; /* last version of our node state record */
	char ifname[WEFT_WG_IFNAMSIZ];
	uint16_t listen_port; /* 0 = the network's wg_port */
	uint16_t gossip_port; /* 0 = the network's gossip_port */
	char name[WEFT_NAME_MAX + 1];
	uint8_t nendpoints; /* given at join (--endpoint); port 0 = WG port */
	weft_endpoint_t endpoints[WEFT_MAX_ENDPOINTS];
	uint8_t status; /* enum weft_local_status */
};

/* Wipes every secret and zeroes the struct. */
void weft_local_wipe(struct weft_local *l);
/* The msgpack form of l into buf (cap bytes); *len its size. */
int weft_local_encode(const struct weft_local *l, uint8_t *buf, size_t cap, size_t *len);
/* Strict decoding (the whole buffer, every field checked); the identity
 * key pair is rebuilt from its seed. *why names the problem. */
int weft_local_decode(struct weft_local *l, const uint8_t *buf, size_t len, const char **why);

/* DIR/NETWORK into out (PATH_MAX). */
int weft_netstate_dir(char *out, size_t cap, const char *state_dir, const char *network);
/* Creates DIR/NETWORK (and DIR) mode 0700 if missing. */
int weft_netstate_mkdir(const char *state_dir, const char *network);
int weft_netstate_save_local(const char *netdir, const struct weft_local *l);
int weft_netstate_save_store(const char *netdir, const weft_store_t *s);
/* Loads both files into l and s (s is a fresh store of l's network).
 * -ENOENT when the directory holds no node file. */
int weft_netstate_load(const char *netdir, struct weft_local *l, weft_store_t *s, const char **why);
/* Only the node file (to learn the network id before making the store). */
int weft_netstate_load_local(const char *netdir, struct weft_local *l, const char **why);
int weft_netstate_load_store(const char *netdir, weft_store_t *s, const char **why);
/* Names of the networks with a node file under state_dir, sorted. */
int weft_netstate_list(const char *state_dir, char names[][WEFT_NAME_MAX + 1], size_t cap, size_t *n);
/* The token of a join that waits for approval: saved as text (0600),
 * loaded decoded (every buffer that held it wiped), dropped once a member. */
int weft_netstate_save_token(const char *netdir, const weft_token_t *tok);
int weft_netstate_load_token(const char *netdir, weft_token_t *tok, const char **why);
int weft_netstate_drop_token(const char *netdir);
/* Removes a network's files and directory. */
int weft_netstate_remove(const char *netdir);

#endif
