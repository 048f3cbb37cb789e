/* The weft tool's entry: global options, the command table and dispatch,
 * --help for the tool and every command, and the error conventions of
 * CLI.md ("weft: error: ..." and exit 1; usage errors exit 2). */
#include <ctype.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/clock.h"
#include "weft_config.h"

/* The commands, in the order --help lists them. */
static const struct weft_cli_cmd *const commands[] = {
	&weft_cli_cmd_init,    &weft_cli_cmd_invite,  &weft_cli_cmd_token,     &weft_cli_cmd_join,
	&weft_cli_cmd_leave,   &weft_cli_cmd_list,    &weft_cli_cmd_status,    &weft_cli_cmd_peers,
	&weft_cli_cmd_push,    &weft_cli_cmd_dns,     &weft_cli_cmd_extclient, &weft_cli_cmd_node,
	&weft_cli_cmd_network, &weft_cli_cmd_policy,  &weft_cli_cmd_revoke,    &weft_cli_cmd_rotate,
	&weft_cli_cmd_daemon,  &weft_cli_cmd_version,
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const char tool_usage[] = "usage: weft [--socket PATH] [--json] COMMAND [ARGS...]\n";

__attribute__((format(printf, 2, 0))) static void vreport(FILE *f, const char *fmt, va_list ap)
{
	fputs("weft: error: ", f);
	vfprintf(f, fmt, ap);
	fputc('\n', f);
	fflush(f);
}

int weft_cli_fail(struct weft_cli *cli, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(cli->err, fmt, ap);
	va_end(ap);
	return WEFT_CLI_FAIL;
}

static void usage_line(FILE *f, const struct weft_cli_cmd *cmd)
{
	fprintf(f, "usage: weft %s\n", cmd->usage);
}

int weft_cli_usage(struct weft_cli *cli, const struct weft_cli_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(cli->err, fmt, ap);
	va_end(ap);
	if (cmd) {
		usage_line(cli->err, cmd);
		fprintf(cli->err, "Try 'weft %s --help'.\n", cmd->path);
	} else {
		fputs(tool_usage, cli->err);
		fputs("Try 'weft --help'.\n", cli->err);
	}
	return WEFT_CLI_USAGE;
}

static int tool_help(struct weft_cli *cli)
{
	size_t i;

	fputs(tool_usage, cli->out);
	fputs("\nBuild and keep a WireGuard mesh with no server.\n\nCommands:\n", cli->out);
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(cli->out, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
	fputs("\nOptions:\n"
	      "  --socket PATH  the daemon's control socket (default " WEFT_CLI_DEFAULT_SOCKET ",\n"
	      "                 or the WEFT_SOCKET environment variable)\n"
	      "  --json         machine-readable output\n"
	      "  --help         this text; 'weft COMMAND --help' describes a command\n"
	      "  --version      print weft's version\n"
	      "\nExit status: 0 on success, 1 on failure, 2 on a usage error.\n",
	      cli->out);
	return WEFT_CLI_OK;
}

int weft_cli_help(struct weft_cli *cli, const struct weft_cli_cmd *cmd)
{
	const struct weft_cli_cmd *s;

	usage_line(cli->out, cmd);
	/* The summary is lower case in command lists; here it is a sentence. */
	fprintf(cli->out, "\n%c%s.\n", toupper((unsigned char)cmd->summary[0]), cmd->summary + 1);
	if (cmd->sub) {
		fputs("\nCommands:\n", cli->out);
		for (s = cmd->sub; s->name; s++)
			fprintf(cli->out, "  %-10s %s\n", s->name, s->summary);
	}
	if (cmd->help)
		fprintf(cli->out, "\n%s", cmd->help);
	fputs("\nGlobal options: --socket PATH, --json, --help (see 'weft --help').\n", cli->out);
	return WEFT_CLI_OK;
}

int weft_cli_common_option(struct weft_cli *cli, const struct weft_cli_cmd *cmd, int c, int argc, char **argv,
			   bool *done)
{
	/* getopt_long leaves optind just past the offending word. */
	const char *word = optind > 0 && optind <= argc ? argv[optind - 1] : "?";

	*done = false;
	switch (c) {
	case 'h':
	case WEFT_OPT_HELP:
		*done = true;
		return weft_cli_help(cli, cmd);
	case WEFT_OPT_JSON:
		cli->json = true;
		return WEFT_CLI_OK;
	case WEFT_OPT_SOCKET:
		if (!*optarg) {
			*done = true;
			return weft_cli_usage(cli, cmd, "--socket needs a path");
		}
		cli->socket = optarg;
		return WEFT_CLI_OK;
	case ':':
		*done = true;
		return weft_cli_usage(cli, cmd, "option '%s' needs a value", word);
	case '?':
		*done = true;
		if (optopt && optopt < 0x100)
			return weft_cli_usage(cli, cmd, "unknown option '-%c'", optopt);
		return weft_cli_usage(cli, cmd, "unknown option '%s'", word);
	default:
		*done = true;
		return weft_cli_usage(cli, cmd, "unexpected option '%s'", word);
	}
}

static const struct weft_cli_cmd *find(const struct weft_cli_cmd *const *tab, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(tab[i]->name, name) == 0)
			return tab[i];
	return NULL;
}

static const struct weft_cli_cmd *find_sub(const struct weft_cli_cmd *cmd, const char *name)
{
	const struct weft_cli_cmd *s;

	for (s = cmd->sub; s->name; s++)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

static bool is_help(const char *arg)
{
	return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

/* argv[0] is the command's own name. */
static int dispatch(struct weft_cli *cli, const struct weft_cli_cmd *cmd, int argc, char **argv)
{
	const struct weft_cli_cmd *sub;

	if (!cmd->sub) {
		optind = 0; /* glibc: start a fresh scan of this argv */
		opterr = 0; /* every message is ours */
		return cmd->fn(cli, cmd, argc, argv);
	}
	if (argc < 2)
		return weft_cli_usage(cli, cmd, "'weft %s' needs a subcommand", cmd->path);
	if (is_help(argv[1]))
		return weft_cli_help(cli, cmd);
	sub = find_sub(cmd, argv[1]);
	if (!sub)
		return weft_cli_usage(cli, cmd, "unknown subcommand '%s %s'", cmd->path, argv[1]);
	return dispatch(cli, sub, argc - 1, argv + 1);
}

/* "weft help [COMMAND [SUBCOMMAND]]" */
static int help_command(struct weft_cli *cli, int argc, char **argv)
{
	const struct weft_cli_cmd *cmd, *sub;

	if (argc < 2)
		return tool_help(cli);
	cmd = find(commands, NCOMMANDS, argv[1]);
	if (!cmd)
		return weft_cli_usage(cli, NULL, "unknown command '%s'", argv[1]);
	if (argc < 3 || !cmd->sub)
		return weft_cli_help(cli, cmd);
	sub = find_sub(cmd, argv[2]);
	if (!sub)
		return weft_cli_usage(cli, cmd, "unknown subcommand '%s %s'", cmd->path, argv[2]);
	return weft_cli_help(cli, sub);
}

int weft_cli_run(struct weft_cli *cli, int argc, char **argv)
{
	const struct weft_cli_cmd *cmd;
	int i;

	if (!cli->socket || !*cli->socket)
		cli->socket = WEFT_CLI_DEFAULT_SOCKET;
	/* Global options before the command; commands accept them after too. */
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (is_help(a))
			return tool_help(cli);
		if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0)
			return dispatch(cli, &weft_cli_cmd_version, 1, (char *[]){ (char *)"version", NULL });
		if (strcmp(a, "--json") == 0) {
			cli->json = true;
		} else if (strcmp(a, "--socket") == 0) {
			if (i + 1 >= argc || !*argv[i + 1])
				return weft_cli_usage(cli, NULL, "--socket needs a path");
			cli->socket = argv[++i];
		} else if (strncmp(a, "--socket=", 9) == 0) {
			if (!a[9])
				return weft_cli_usage(cli, NULL, "--socket needs a path");
			cli->socket = a + 9;
		} else {
			return weft_cli_usage(cli, NULL, "unknown option '%s'", a);
		}
	}
	if (i >= argc)
		return weft_cli_usage(cli, NULL, "no command given");
	if (strcmp(argv[i], "help") == 0)
		return help_command(cli, argc - i, argv + i);
	cmd = find(commands, NCOMMANDS, argv[i]);
	if (!cmd)
		return weft_cli_usage(cli, NULL, "unknown command '%s'", argv[i]);
	return dispatch(cli, cmd, argc - i, argv + i);
}

int weft_cli_main(int argc, char **argv)
{
	struct weft_cli cli = {
		.out = stdout,
		.err = stderr,
		.in = stdin,
		.socket = getenv("WEFT_SOCKET"),
	};
	int ret;

	if (weft_crypto_init() != 0) {
		fputs("weft: error: libsodium failed to initialise; the system's random source may be missing\n",
		      stderr);
		return WEFT_CLI_FAIL;
	}
	cli.now_ms = weft_clock_wall_ms();
	ret = weft_cli_run(&cli, argc, argv);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fputs("weft: error: could not write the output (is the disk full or the pipe closed?)\n", stderr);
		return WEFT_CLI_FAIL;
	}
	return ret;
}
