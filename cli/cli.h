/* The weft command line as a library (libweft_cli): the command table, the
 * context every command runs with, and the helpers commands share for
 * parsing input, printing output and reporting errors. main.c is a shim. */
#ifndef WEFT_CLI_H
#define WEFT_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/addr.h"
#include "core/keys.h"
#include "core/record.h"

#define WEFT_CLI_DEFAULT_SOCKET "/run/weft/weft.sock"

/* Exit codes (CLI.md): 0 success, 1 failure, 2 usage error. */
enum { WEFT_CLI_OK = 0, WEFT_CLI_FAIL = 1, WEFT_CLI_USAGE = 2 };

/* What a command runs with. The wall clock is read once, by main, so that
 * tests can run a command at any time they choose. */
struct weft_cli {
	FILE *out;          /* results (stdout) */
	FILE *err;          /* "weft: error: ..." (stderr) */
	FILE *in;           /* a token given as "-" (stdin) */
	const char *socket; /* --socket, WEFT_SOCKET, or the default */
	bool json;          /* --json */
	uint64_t now_ms;    /* unix milliseconds */
};

struct weft_cli_cmd;
typedef int (*weft_cli_fn)(struct weft_cli *cli, const struct weft_cli_cmd *cmd, int argc, char **argv);

/* One entry of a command table (docs/STYLE.md, "Dispatch tables"; wireguard-tools'
 * subcommands[]). A command with subcommands (like "token") has sub set and
 * fn NULL; argv[0] is then the subcommand's name. */
struct weft_cli_cmd {
	const char *name;
	const char *path; /* the words after "weft" that run it: "token inspect" */
	weft_cli_fn fn;
	const struct weft_cli_cmd *sub; /* terminated by a NULL name */
	const char *summary;            /* one line for the command list */
	const char *usage;              /* "init NETWORK --cidr CIDR [...]" */
	const char *help;               /* the rest of --help: options, notes */
};

/* The tables each command file exports. */
extern const struct weft_cli_cmd weft_cli_cmd_version;
extern const struct weft_cli_cmd weft_cli_cmd_init;
extern const struct weft_cli_cmd weft_cli_cmd_invite;
extern const struct weft_cli_cmd weft_cli_cmd_token;
/* The daemon and the commands that talk to it. */
extern const struct weft_cli_cmd weft_cli_cmd_daemon;
extern const struct weft_cli_cmd weft_cli_cmd_join;
extern const struct weft_cli_cmd weft_cli_cmd_leave;
extern const struct weft_cli_cmd weft_cli_cmd_list;
extern const struct weft_cli_cmd weft_cli_cmd_status;
extern const struct weft_cli_cmd weft_cli_cmd_peers;
extern const struct weft_cli_cmd weft_cli_cmd_push;
extern const struct weft_cli_cmd weft_cli_cmd_dns;
extern const struct weft_cli_cmd weft_cli_cmd_extclient;
extern const struct weft_cli_cmd weft_cli_cmd_node;
extern const struct weft_cli_cmd weft_cli_cmd_network;
extern const struct weft_cli_cmd weft_cli_cmd_policy;
extern const struct weft_cli_cmd weft_cli_cmd_revoke;
extern const struct weft_cli_cmd weft_cli_cmd_rotate;

/* Run "weft ARGS..." (argv[0] is the program name) with the given context;
 * returns the exit code. weft_cli_main fills the context from the process
 * (stdout/stderr/stdin, WEFT_SOCKET, the clock) and calls it. */
int weft_cli_run(struct weft_cli *cli, int argc, char **argv);
int weft_cli_main(int argc, char **argv);

/* ---- reporting (cli.c) ---- */
/* "weft: error: MESSAGE" on cli->err; returns WEFT_CLI_FAIL. */
int weft_cli_fail(struct weft_cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "weft: error: MESSAGE", the command's usage line and a --help hint;
 * returns WEFT_CLI_USAGE. */
int weft_cli_usage(struct weft_cli *cli, const struct weft_cli_cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The full --help of a command on cli->out; returns WEFT_CLI_OK. */
int weft_cli_help(struct weft_cli *cli, const struct weft_cli_cmd *cmd);

/* Options every command takes besides its own (getopt_long entries and
 * their handling): --help, --json, --socket. */
enum { WEFT_OPT_HELP = 0x100, WEFT_OPT_JSON, WEFT_OPT_SOCKET, WEFT_OPT_FIRST_OWN };
#define WEFT_CLI_COMMON_OPTIONS                                                                     \
	{ "help", no_argument, NULL, WEFT_OPT_HELP }, { "json", no_argument, NULL, WEFT_OPT_JSON }, \
	{                                                                                           \
		"socket", required_argument, NULL, WEFT_OPT_SOCKET                                  \
	}
/* Handles what a command's own switch does not: the common options and
 * getopt errors (c is getopt_long's return). When *done is set the command
 * returns the exit code given back (after --help, or a usage error);
 * otherwise it carries on. */
int weft_cli_common_option(struct weft_cli *cli, const struct weft_cli_cmd *cmd, int c, int argc, char **argv,
			   bool *done);

/* ---- input (args.c): each returns 0, or -1 after printing the error ---- */
int weft_cli_parse_name(struct weft_cli *cli, const char *what, const char *s);
int weft_cli_parse_domain(struct weft_cli *cli, const char *s);
int weft_cli_parse_cidr(struct weft_cli *cli, const char *opt, const char *s, unsigned family, weft_cidr_t *c);
int weft_cli_parse_uint(struct weft_cli *cli, const char *opt, const char *s, uint64_t min, uint64_t max,
			uint64_t *v);
int weft_cli_parse_port(struct weft_cli *cli, const char *opt, const char *s, uint16_t *port);
/* "30m", "12h", "7d", "2w", "1d12h" -> seconds; "never" -> 0. */
int weft_cli_parse_duration(struct weft_cli *cli, const char *opt, const char *s, uint64_t *secs);
/* "T1,T2": up to WEFT_MAX_TAGS distinct tags. */
int weft_cli_parse_tags(struct weft_cli *cli, const char *s, char tags[][WEFT_TAG_MAX + 1], uint8_t *ntags);
/* An invite token from ARG, or from cli->in when ARG is "-", into out (cap
 * bytes, NUL-terminated) with all white space dropped. */
int weft_cli_read_token(struct weft_cli *cli, const char *arg, char *out, size_t cap);
/* Pure checks behind the parsers, for tests: 0 or -1. */
int weft_cli_check_name(const char *s);
int weft_cli_check_tag(const char *s);
int weft_cli_duration(const char *s, uint64_t *secs);

/* ---- output (show.c) ---- */
/* "2026-11-20 10:00 UTC" */
char *weft_cli_fmt_time(char *out, size_t len, uint64_t unix_s);
/* "6d 23h", "4h 10m", "12m 5s", "40s" (whole units, rounded down). */
char *weft_cli_fmt_span(char *out, size_t len, uint64_t secs);
/* Print a json-c object on cli->out (pretty, one trailing newline). */
struct json_object;
int weft_cli_print_json(struct weft_cli *cli, struct json_object *o);

/* ---- admin files (admin.c) ---- */
/* FILE.net beside an admin key FILE; out has room for PATH_MAX. */
int weft_cli_settings_path(struct weft_cli *cli, const char *keyfile, char *out, size_t len);
/* Read the admin key (refusing loose permissions) and its network's
 * settings from FILE.net, checked against the key and, when network is
 * not NULL, the network name. Prints the error and returns -1 on failure;
 * the key pair is wiped then. */
int weft_cli_admin_load(struct weft_cli *cli, const char *keyfile, const char *network, weft_keypair_t *kp,
			weft_record_t *settings);
/* Hand n signed records on: with out_path, write them to that file (for
 * 'weft push FILE' on any member; no daemon needed); else push them to the
 * local daemon. Prints what happened; returns a WEFT_CLI_* exit code. */
int weft_cli_admin_emit(struct weft_cli *cli, const char *network, const char *out_path, const weft_record_t *recs,
			size_t n);
/* The records of one type the local daemon holds for network (decoded; the
 * daemon verified them): 0 with *out malloc'd (free it), 1 when the daemon
 * cannot be reached (nothing printed: the caller may do without), -1 after
 * printing an error. */
int weft_cli_admin_fetch(struct weft_cli *cli, const char *network, unsigned type, weft_record_t **out,
			 size_t *nout);
/* NODE on the command line: a full node id (64 hex digits, no daemon
 * needed), or a node name or a unique id prefix (>= 4 hex digits) looked up
 * in the local daemon. 0, or -1 after printing the error. */
int weft_cli_admin_node(struct weft_cli *cli, const char *network, const char *arg, weft_pk_t *id);
/* After 'weft rotate --admin-key-to NEW', NEW.roll holds the chain of
 * roll-over records from the network id (the first admin key) to NEW.
 * Fills the network id (kp's own key when there is no FILE.roll) and the
 * chain (at most WEFT_TOKEN_MAX_ROLLS records); 0, or -1 after printing. */
int weft_cli_admin_chain(struct weft_cli *cli, const char *keyfile, const weft_keypair_t *kp, weft_pk_t *network_id,
			 weft_record_t *rolls, uint8_t *nrolls);
/* Write keyfile.roll with the n roll-overs (0, or -1 after printing). */
int weft_cli_admin_write_chain(struct weft_cli *cli, const char *keyfile, const weft_record_t *rolls, size_t n);

#endif
