/* weft daemon: run the daemon in the foreground (systemd Type=notify). The
 * daemon itself is libweft_daemon; this only reads the command line. */
#include <getopt.h>
#include <string.h>

#include "cli/cli.h"
#include "daemon/daemon.h"
#include "daemon/log.h"

enum {
	OPT_STATE_DIR = WEFT_OPT_FIRST_OWN,
	OPT_CONFIG,
	OPT_LOG_LEVEL,
};

static int run(struct weft_cli *cli, const struct weft_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		WEFT_CLI_COMMON_OPTIONS,
		{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
		{ 0 },
	};
	struct weft_daemon_opts o = { .log_level = -1 };
	bool done;
	int c, ret;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_STATE_DIR:
			if (optarg[0] != '/')
				return weft_cli_usage(cli, cmd, "--state-dir needs an absolute path");
			o.state_dir = optarg;
			break;
		case OPT_CONFIG:
			if (!*optarg)
				return weft_cli_usage(cli, cmd, "--config needs a file");
			o.config_path = optarg;
			break;
		case OPT_LOG_LEVEL:
			o.log_level = weft_log_parse_level(optarg);
			if (o.log_level < 0)
				return weft_cli_usage(cli, cmd,
						      "bad --log-level '%s': use error, warn, info or debug",
						      optarg);
			break;
		default:
			ret = weft_cli_common_option(cli, cmd, c, argc, argv, &done);
			if (done)
				return ret;
		}
	}
	if (optind < argc)
		return weft_cli_usage(cli, cmd, "unexpected argument '%s'", argv[optind]);
	/* The socket the command line names (--socket, WEFT_SOCKET) is the
	 * daemon's too; otherwise the configuration file says. */
	if (strcmp(cli->socket, WEFT_CLI_DEFAULT_SOCKET) != 0)
		o.socket = cli->socket;
	return weft_daemon_run(&o) == 0 ? WEFT_CLI_OK : WEFT_CLI_FAIL;
}

const struct weft_cli_cmd weft_cli_cmd_daemon = {
	.name = "daemon",
	.path = "daemon",
	.fn = run,
	.summary = "run the daemon that keeps this host's networks (foreground)",
	.usage = "daemon [--state-dir DIR] [--config FILE] [--log-level LEVEL]",
	.help = "Runs in the foreground until SIGTERM or SIGINT (which stop it without leaving\n"
		"any network), serving every network found in the state directory and\n"
		"rejoining them without tokens. SIGHUP reloads the configuration. Logs go to\n"
		"standard error; secrets never do. systemd runs it with Type=notify.\n"
		"\n"
		"  --state-dir DIR     where networks keep their state (default /var/lib/weft)\n"
		"  --config FILE       configuration file (default /etc/weft/weft.conf, if present)\n"
		"  --log-level LEVEL   error, warn, info (default) or debug\n"
		"  --socket PATH       the control socket (global option; default /run/weft/weft.sock)\n"
		"\n"
		"The configuration file has 'key = value' lines: state_dir, socket, log_level,\n"
		"wg_backend (auto, kernel, userspace, memory), wg_userspace (a program such as\n"
		"wireguard-go), wg_socket_dir, join_timeout, probe_interval, gossip_interval,\n"
		"dns_listen, dns_forward, resolver (auto, resolved, hosts, off), hosts_file,\n"
		"relay (auto, on, off); and [network NAME] sections with interface, endpoint\n"
		"(repeatable: an address to announce instead of the local ones), keepalive,\n"
		"dns_listen, dns_forward, routes and egress_nat. docs/CLI.md describes each.\n",
};
