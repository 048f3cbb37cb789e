/* The one runner of the admin commands (revoke, node, network, rotate,
 * policy, dns, ext-client, invite): their shared option parsing — the
 * common options, --admin-key, --out and each command's own options given
 * as a table — the checks every one of them makes, and their common
 * ending: load the admin key, run the command's body (which fetches what
 * it builds on from the daemon and makes its records), sign, hand the
 * records on (to the daemon, or with --out to a file), wipe the key. */
#ifndef WEFT_ADMINRUN_H
#define WEFT_ADMINRUN_H

#include <stdbool.h>
#include <getopt.h>
#include <stddef.h>

#include "cli/cli.h"

/* One of a command's own options: a string (const char *) or, with
 * has_arg no_argument, a flag (bool) at offset off of its arguments. With
 * max > 0 it may be given up to max times: off is then a const char
 * *[max] and count_off an unsigned count; one more is refused with
 * too_many. */
struct weft_admin_opt {
	const char *name;
	int has_arg;
	size_t off;
	unsigned max;
	size_t count_off;
	const char *too_many;
};

/* Rows of a command's table: --NAME VALUE into field, --NAME as a flag,
 * and --NAME VALUE repeated into the array field with its count. */
#define WEFT_ADMIN_STR(name_, type, field)                                                \
	{                                                                                 \
		.name = name_, .has_arg = required_argument, .off = offsetof(type, field) \
	}
#define WEFT_ADMIN_FLAG(name_, type, field)                                         \
	{                                                                           \
		.name = name_, .has_arg = no_argument, .off = offsetof(type, field) \
	}
#define WEFT_ADMIN_LIST(name_, type, field, count, message)                                \
	{                                                                                  \
		.name = name_, .has_arg = required_argument, .off = offsetof(type, field), \
		.max = sizeof(((type *)0)->field) / sizeof(((type *)0)->field[0]),         \
		.count_off = offsetof(type, count), .too_many = message                    \
	}
#define WEFT_ADMIN_END       \
	{                    \
		.name = NULL \
	}

/* What every admin command has: the first member of its arguments. */
struct weft_admin_args {
	const char *network, *admin_key, *out;
	int nwords; /* the words after NETWORK */
	char **words;
	const struct weft_cli_cmd *cmd; /* for usage errors: the action's entry when the command has actions */
	bool keyless;                   /* set by check: this action needs no admin key (list, show) */
};

struct weft_admin_spec {
	const struct weft_admin_opt *opts; /* the command's own, { NULL } last */
	bool no_out;                       /* it prints what it makes (invite): no --out */
	/* The words and how the options go together, before the common
	 * checks (--admin-key given, --out not empty, the network's name): 0
	 * to go on, else the exit code of the error it printed. */
	int (*check)(struct weft_cli *cli, void *args);
	/* After the common checks, before the key is read: the options'
	 * values parsed (may be NULL). 0, or the exit code. */
	int (*prepare)(struct weft_cli *cli, void *args);
	/* With the admin key (NULL when check set keyless) and the network's
	 * settings from FILE.net: the command itself. Returns the exit code. */
	int (*body)(struct weft_cli *cli, void *args, const weft_keypair_t *key, const weft_record_t *settings);
};

/* Parse, check, load the key, run the body, wipe the key: the exit code.
 * args points at the command's arguments, zeroed, whose first member is
 * struct weft_admin_args. */
int weft_admin_run(struct weft_cli *cli, const struct weft_cli_cmd *cmd, const struct weft_admin_spec *spec,
		   void *args, int argc, char **argv);

/* The common ending of a body: sign the first nsign records with key (the
 * rest come signed: key shares, a roll-over signed by the new key), then
 * hand all n on, pushed to the local daemon or, with --out, written to
 * that file. Prints why not; returns a WEFT_CLI_* exit code. */
int weft_admin_emit(struct weft_cli *cli, const struct weft_admin_args *a, const weft_keypair_t *key,
		    weft_record_t *recs, size_t nsign, size_t n);

#endif
