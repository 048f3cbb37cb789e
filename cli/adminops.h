/* What the admin commands (revoke, node, network, rotate, policy) share
 * beyond admin.c: WHEN arguments, the member list (from the daemon or a
 * 'weft peers --json' file), the held record of a type, pinned addresses,
 * and a new network key epoch sealed to each member. */
#ifndef WEFT_ADMINOPS_H
#define WEFT_ADMINOPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli/cli.h"

/* The network key is accepted this long after a new epoch (seconds). */
#define WEFT_ADMINOPS_GRACE_S 600

/* One row of 'weft peers NETWORK --json'. */
struct weft_admin_member {
	weft_pk_t id;
	char name[WEFT_NAME_MAX + 1];
	char state[16]; /* alive|suspect|dead|left|pending|revoked|expired|overused */
	weft_ip_t addr4, addr6;
};

/* A member's pinned addresses (override first, else its invite's). */
struct weft_admin_pin {
	weft_pk_t id;
	weft_ip_t addr4, addr6; /* family 0 = not pinned */
};

/* WHEN: a duration from now ("7d", "1d12h"), a UTC date "YYYY-MM-DD" or
 * "YYYY-MM-DDTHH:MM", or "never" (0). Pure: 0 or -1. */
int weft_adminops_when(const char *s, uint64_t now_s, uint64_t *unix_s);
/* The same with the error printed. */
int weft_adminops_parse_when(struct weft_cli *cli, const char *opt, const char *s, uint64_t *unix_s);

/* Whether the local daemon serves network: 0 yes; 1 when it cannot be
 * reached or holds no such network (this host is not a member: the admin
 * works offline then); -1 after printing another error. The helpers below
 * that ask the daemon check this first, so an admin whose host runs a
 * daemon for other networks still works offline with --out. */
int weft_adminops_probe(struct weft_cli *cli, const char *network);

/* The rows of a peers JSON array (pure): 0 with *out malloc'd, or -1 with
 * *why set. */
int weft_adminops_members_json(struct json_object *a, struct weft_admin_member **out, size_t *n, const char **why);
/* The members of network: from file (the JSON of 'weft peers NETWORK
 * --json' taken on any member) when not NULL, else from the local daemon.
 * 0 with *out malloc'd; 1 when the daemon cannot be reached (nothing
 * printed); -1 after printing an error. */
int weft_adminops_members(struct weft_cli *cli, const char *network, const char *file,
			  struct weft_admin_member **out, size_t *n);
/* NODE (name, unique id prefix of 4+ hex digits, or full id) looked up in
 * a member list (from --members); without one, weft_cli_admin_node. 0, or
 * -1 after printing the error. */
int weft_adminops_node(struct weft_cli *cli, const char *network, const char *arg, const struct weft_admin_member *m,
		       size_t n, bool have_list, weft_pk_t *id);
/* The member with this id in m[0..n), or NULL. */
const struct weft_admin_member *weft_adminops_member_find(const struct weft_admin_member *m, size_t n,
							  const weft_pk_t *id);
/* Whether a member with this state gets network keys and holds an
 * address: not revoked, not beyond its invite's uses, not gone. */
bool weft_adminops_member_active(const struct weft_admin_member *m);

/* The record of a versioned type the daemon holds for subject (NULL: the
 * network-wide one), the highest version: 0 (*found says whether there
 * was one), 1 when the daemon cannot be reached, -1 after an error. */
int weft_adminops_held(struct weft_cli *cli, const char *network, unsigned type, const weft_pk_t *subject,
		       weft_record_t *out, bool *found);
/* The pinned addresses of every member the daemon holds: 0, 1 (no
 * daemon) or -1, like weft_adminops_held. *out is malloc'd. */
int weft_adminops_pins(struct weft_cli *cli, const char *network, struct weft_admin_pin **out, size_t *n);

/* Sign r with kp, printing why not: 0 or -1. */
int weft_adminops_sign(struct weft_cli *cli, weft_record_t *r, const weft_keypair_t *kp);

/* A new network key epoch: out[0] the KEYRING (epoch, grace, key hash),
 * out[1..n] one KEYSHARE per node in to[] with the key sealed to it. The
 * key exists only inside this call and is wiped. 0 or -1 (printed). */
int weft_adminops_netkey(struct weft_cli *cli, const weft_keypair_t *admin, uint64_t epoch, uint32_t grace_s,
			 const weft_pk_t *to, size_t n, weft_record_t *out);
/* The epoch a new network key takes: above the held one (asked of the
 * daemon) and at least the clock in seconds, so that a rotation signed
 * offline is still above the last one. 0 or -1 (printed). */
int weft_adminops_next_epoch(struct weft_cli *cli, const char *network, uint64_t *epoch, bool *asked);

/* "name (1a2b3c4d)" or "1a2b3c4d5e6f7a8b" for messages. */
char *weft_adminops_node_label(char *out, size_t len, const weft_pk_t *id, const char *name);

#endif
