/* weft init: create a network. Makes the admin key (the network's only
 * authority), signs the network settings with it and writes both; making
 * this host the first member is the daemon's part. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sodium.h>

#include "cli/adminops.h"
#include "cli/cli.h"
#include "daemon/ctl.h"
#include "cli/ctlclient.h"
#include "core/error.h"
#include "core/persist.h"
#include "core/store.h"

enum {
	OPT_CIDR = WEFT_OPT_FIRST_OWN,
	OPT_CIDR6,
	OPT_DOMAIN,
	OPT_PORT,
	OPT_GOSSIP_PORT,
	OPT_MTU,
	OPT_KEEPALIVE,
	OPT_ADMIN_KEY,
	OPT_NAME,
	OPT_NO_NODE,
};

struct init_args {
	const char *network, *cidr, *cidr6, *domain, *port, *gossip_port, *mtu, *keepalive, *admin_key, *name;
	bool no_node;
};

/* The daemon makes the identity this host will have in the network, so
 * that its secret never travels; the admin key then certifies it here. */
static int ask_identity(struct weft_cli *cli, const struct init_args *a, weft_pk_t *node)
{
	struct json_object *req = json_object_new_object(), *v;
	struct weft_cli_reply r;
	int ret;

	json_object_object_add(req, "cmd", json_object_new_string("identity"));
	json_object_object_add(req, "network", json_object_new_string(a->network));
	ret = weft_cli_ctl(cli, req, WEFT_CLI_CTL_TIMEOUT_MS, &r);
	json_object_put(req);
	if (ret) {
		weft_cli_ctl_fail(cli, ret, &r,
				  "; making this host the first member needs the daemon (or create the network only with "
				  "--no-node)");
		return -1;
	}
	ret = json_object_object_get_ex(r.result, "node_id", &v) &&
			      weft_pk_from_hex(node, json_object_get_string(v)) == 0
		      ? 0
		      : -1;
	weft_cli_reply_free(&r);
	if (ret)
		weft_cli_fail(cli,
			      "the daemon's answer holds no node id (are weft and the daemon the same version?)");
	return ret;
}

/* Append a signed record to the request's list. */
static int add_into(struct weft_cli *cli, const weft_record_t *r, struct json_object *a)
{
	char *b64 = weft_ctl_b64(r->raw, r->raw_len);

	if (!b64) {
		weft_cli_fail(cli, "out of memory");
		return -1;
	}
	json_object_array_add(a, json_object_new_string(b64));
	free(b64);
	return 0;
}

static int sign_into(struct weft_cli *cli, weft_record_t *r, const weft_keypair_t *admin, struct json_object *a)
{
	int err = weft_record_sign(r, admin);

	if (err) {
		weft_cli_fail(cli, "cannot sign the %s record: %s", weft_rec_type_name(r->type), weft_strerror(err));
		return -1;
	}
	return add_into(cli, r, a);
}

/* The first member: the admin certifies this host's node directly and
 * starts the network key's first epoch, sealed to that node only (the
 * key never leaves this process in the clear). */
static int init_first_member(struct weft_cli *cli, const struct init_args *a, const weft_keypair_t *admin,
			     const weft_record_t *settings, const weft_pk_t *node, struct json_object **status)
{
	struct json_object *req = json_object_new_object(), *recs = json_object_new_array();
	struct weft_cli_reply rep;
	weft_record_t r, nk[2];
	char *b64;
	int ret = -1;

	json_object_object_add(req, "cmd", json_object_new_string("create"));
	json_object_object_add(req, "network", json_object_new_string(a->network));
	if (a->name)
		json_object_object_add(req, "name", json_object_new_string(a->name));
	json_object_object_add(req, "records", recs);
	b64 = weft_ctl_b64(settings->raw, settings->raw_len);
	if (!b64)
		goto out;
	json_object_array_add(recs, json_object_new_string(b64));
	free(b64);

	/* The first epoch of the network key, sealed to this node only. */
	if (weft_adminops_netkey(cli, admin, 1, 0, node, 1, nk) || add_into(cli, &nk[0], recs))
		goto out;
	memset(&r, 0, sizeof(r));
	r.type = WEFT_REC_MEMBER;
	r.u.member.node_id = *node;
	r.u.member.invite_pk = admin->pk;
	r.u.member.join_time = cli->now_ms;
	if (sign_into(cli, &r, admin, recs) || add_into(cli, &nk[1], recs))
		goto out;
	ret = weft_cli_ctl(cli, req, WEFT_CLI_CTL_TIMEOUT_MS * 2, &rep);
	if (ret) {
		weft_cli_ctl_fail(cli, ret, &rep, NULL);
		ret = -1;
		goto out;
	}
	*status = rep.result;
	ret = 0;
out:
	json_object_put(req);
	return ret;
}

static int fill_settings(struct weft_cli *cli, const struct init_args *a, struct weft_rec_network *n)
{
	uint64_t v;

	snprintf(n->name, sizeof(n->name), "%s", a->network);
	if (weft_cli_parse_cidr(cli, "--cidr", a->cidr, 4, &n->cidr4))
		return -1;
	if (a->cidr6 && weft_cli_parse_cidr(cli, "--cidr6", a->cidr6, 6, &n->cidr6))
		return -1;
	if (a->domain && weft_cli_parse_domain(cli, a->domain))
		return -1;
	if (a->domain)
		snprintf(n->domain, sizeof(n->domain), "%s", a->domain);
	n->wg_port = 51820;
	n->gossip_port = 51821;
	n->mtu = 1420;
	if (a->port && weft_cli_parse_port(cli, "--port", a->port, &n->wg_port))
		return -1;
	if (a->gossip_port && weft_cli_parse_port(cli, "--gossip-port", a->gossip_port, &n->gossip_port))
		return -1;
	if (n->wg_port == n->gossip_port) {
		weft_cli_fail(cli, "--port and --gossip-port are both %u; WireGuard and gossip need different ports",
			      n->wg_port);
		return -1;
	}
	/* IPv6 needs 1280 on every link; below 576 IPv4 itself breaks. 9000
	 * is the usual jumbo frame, and WireGuard adds up to 80 bytes. */
	if (a->mtu) {
		if (weft_cli_parse_uint(cli, "--mtu", a->mtu, n->cidr6.ip.family ? 1280 : 576, 8920, &v))
			return -1;
		n->mtu = (uint16_t)v;
	}
	if (a->keepalive) {
		if (weft_cli_parse_uint(cli, "--keepalive", a->keepalive, 0, 65535, &v))
			return -1;
		n->keepalive = (uint16_t)v;
	}
	return 0;
}

static const char *status_str(struct json_object *st, const char *key)
{
	struct json_object *v;

	return st && json_object_object_get_ex(st, key, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : NULL;
}

static int print_result(struct weft_cli *cli, const weft_record_t *r, const char *keyfile, const char *netfile,
			struct json_object *status)
{
	const struct weft_rec_network *n = &r->u.network;
	char hex[65], fpr[WEFT_FPR_LEN + 1], c4[WEFT_CIDRSTRLEN], c6[WEFT_CIDRSTRLEN];
	struct json_object *o;
	int ret;

	weft_pk_to_hex(hex, &r->signer);
	weft_fingerprint(fpr, &r->signer);
	weft_cidr_format(&n->cidr4, c4, sizeof(c4));
	weft_cidr_format(&n->cidr6, c6, sizeof(c6));
	if (!cli->json) {
		fprintf(cli->out,
			"created network %s\n"
			"  network id   %s\n"
			"  fingerprint  %s\n"
			"  cidr         %s%s%s\n"
			"  admin key    %s (secret: keep it safe; it need not be on any node)\n"
			"  settings     %s (not secret; keep it beside the key)\n",
			n->name, hex, fpr, c4, n->cidr6.ip.family ? ", " : "", c6, keyfile, netfile);
		if (status) {
			const char *a4 = status_str(status, "address"), *a6 = status_str(status, "address6");

			fprintf(cli->out, "  this host    the first member: %s%s%s on %s\n",
				a4 ? a4 : "(no address)", a6 ? ", " : "", a6 ? a6 : "",
				status_str(status, "interface"));
			fprintf(cli->out, "\nnext: weft invite %s --admin-key %s\n", n->name, keyfile);
		} else {
			fprintf(cli->out, "\nnext: weft invite %s --admin-key %s --bootstrap HOST:PORT\n", n->name,
				keyfile);
		}
		return WEFT_CLI_OK;
	}
	o = json_object_new_object();
	json_object_object_add(o, "network", json_object_new_string(n->name));
	json_object_object_add(o, "network_id", json_object_new_string(hex));
	json_object_object_add(o, "fingerprint", json_object_new_string(fpr));
	json_object_object_add(o, "cidr", json_object_new_string(c4));
	json_object_object_add(o, "cidr6", n->cidr6.ip.family ? json_object_new_string(c6) : NULL);
	json_object_object_add(o, "domain", n->domain[0] ? json_object_new_string(n->domain) : NULL);
	json_object_object_add(o, "wg_port", json_object_new_int(n->wg_port));
	json_object_object_add(o, "gossip_port", json_object_new_int(n->gossip_port));
	json_object_object_add(o, "mtu", json_object_new_int(n->mtu));
	json_object_object_add(o, "keepalive", json_object_new_int(n->keepalive));
	json_object_object_add(o, "settings_version", json_object_new_uint64(n->version));
	json_object_object_add(o, "admin_key", json_object_new_string(keyfile));
	json_object_object_add(o, "settings_file", json_object_new_string(netfile));
	json_object_object_add(o, "node", json_object_get(status));
	ret = weft_cli_print_json(cli, o);
	json_object_put(o);
	return ret;
}

static int create(struct weft_cli *cli, const struct init_args *a)
{
	char netfile[PATH_MAX + 8];
	struct json_object *status = NULL;
	weft_record_t r;
	weft_keypair_t kp;
	weft_pk_t node;
	struct stat st;
	bool key_written = false;
	int ret, err;

	memset(&r, 0, sizeof(r));
	memset(&kp, 0, sizeof(kp));
	r.type = WEFT_REC_NETWORK;
	if (fill_settings(cli, a, &r.u.network))
		return WEFT_CLI_FAIL;
	if (weft_cli_settings_path(cli, a->admin_key, netfile, sizeof(netfile)))
		return WEFT_CLI_FAIL;

	/* Checked first for a clear message; O_EXCL below closes the race. */
	if (lstat(a->admin_key, &st) == 0)
		return weft_cli_fail(cli,
				     "%s already exists; weft never overwrites an admin key: choose another "
				     "--admin-key FILE, or remove the old one if its network is gone",
				     a->admin_key);
	if (lstat(netfile, &st) == 0)
		return weft_cli_fail(cli,
				     "%s already exists (settings of another network?); choose another "
				     "--admin-key FILE or move it away",
				     netfile);
	/* The daemon is asked first, so that without one nothing is written. */
	if (!a->no_node && ask_identity(cli, a, &node))
		return WEFT_CLI_FAIL;

	weft_keypair_generate(&kp);
	/* The first version of the settings; later changes use higher ones. */
	r.u.network.version = weft_hlc_next(0, cli->now_ms);
	err = weft_record_sign(&r, &kp);
	if (err) {
		ret = weft_cli_fail(cli, "cannot sign the network settings: %s", weft_strerror(err));
		goto out;
	}
	err = weft_keyfile_write_ed25519(a->admin_key, &kp, 0);
	if (err) {
		ret = err == -EEXIST ? weft_cli_fail(cli, "%s already exists; weft never overwrites an admin key",
						     a->admin_key)
				     : weft_cli_fail(cli, "cannot write admin key %s: %s", a->admin_key,
						     weft_strerror(err));
		goto out;
	}
	key_written = true;
	err = weft_persist_write(netfile, WEFT_PERSIST_NETWORK, r.raw, r.raw_len, 0644);
	if (err) {
		ret = weft_cli_fail(cli, "cannot write network settings %s: %s", netfile, weft_strerror(err));
		goto out;
	}
	if (!a->no_node && init_first_member(cli, a, &kp, &r, &node, &status)) {
		/* No node took the network: remove both files, so that the
		 * same command works once the problem is fixed. */
		unlink(netfile);
		ret = WEFT_CLI_FAIL;
		goto out;
	}
	key_written = false; /* both files are in place: keep them */
	ret = print_result(cli, &r, a->admin_key, netfile, status);
out:
	/* A key whose settings could not be written was never used: remove
	 * it so that running the same command again works. */
	if (key_written)
		unlink(a->admin_key);
	weft_keys_wipe(&kp, sizeof(kp));
	json_object_put(status);
	return ret;
}

static int run(struct weft_cli *cli, const struct weft_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		WEFT_CLI_COMMON_OPTIONS,
		{ "cidr", required_argument, NULL, OPT_CIDR },
		{ "cidr6", required_argument, NULL, OPT_CIDR6 },
		{ "domain", required_argument, NULL, OPT_DOMAIN },
		{ "port", required_argument, NULL, OPT_PORT },
		{ "gossip-port", required_argument, NULL, OPT_GOSSIP_PORT },
		{ "mtu", required_argument, NULL, OPT_MTU },
		{ "keepalive", required_argument, NULL, OPT_KEEPALIVE },
		{ "admin-key", required_argument, NULL, OPT_ADMIN_KEY },
		{ "name", required_argument, NULL, OPT_NAME },
		{ "no-node", no_argument, NULL, OPT_NO_NODE },
		{ 0 },
	};
	struct init_args a = { 0 };
	char keyfile[PATH_MAX];
	bool done;
	int c, ret;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_CIDR:
			a.cidr = optarg;
			break;
		case OPT_CIDR6:
			a.cidr6 = optarg;
			break;
		case OPT_DOMAIN:
			a.domain = optarg;
			break;
		case OPT_PORT:
			a.port = optarg;
			break;
		case OPT_GOSSIP_PORT:
			a.gossip_port = optarg;
			break;
		case OPT_MTU:
			a.mtu = optarg;
			break;
		case OPT_KEEPALIVE:
			a.keepalive = optarg;
			break;
		case OPT_ADMIN_KEY:
			a.admin_key = optarg;
			break;
		case OPT_NAME:
			a.name = optarg;
			break;
		case OPT_NO_NODE:
			a.no_node = true;
			break;
		default:
			ret = weft_cli_common_option(cli, cmd, c, argc, argv, &done);
			if (done)
				return ret;
		}
	}
	if (optind >= argc)
		return weft_cli_usage(cli, cmd, "missing NETWORK (the new network's name, e.g. home-lab)");
	if (optind + 1 < argc)
		return weft_cli_usage(cli, cmd, "unexpected argument '%s'", argv[optind + 1]);
	a.network = argv[optind];
	if (!a.cidr)
		return weft_cli_usage(cli, cmd,
				      "missing --cidr (the network's IPv4 range, e.g. --cidr 10.42.0.0/16)");
	if (a.name && a.no_node)
		return weft_cli_usage(cli, cmd, "--name names this host's node, which --no-node does not create");
	if (a.admin_key && !*a.admin_key)
		return weft_cli_usage(cli, cmd, "--admin-key needs a file name");

	if (weft_cli_parse_name(cli, "network name", a.network))
		return WEFT_CLI_FAIL;
	if (a.name && weft_cli_parse_name(cli, "--name", a.name))
		return WEFT_CLI_FAIL;
	if (!a.admin_key) {
		snprintf(keyfile, sizeof(keyfile), "./%s.admin.key", a.network);
		a.admin_key = keyfile;
	}
	return create(cli, &a);
}

const struct weft_cli_cmd weft_cli_cmd_init = {
	.name = "init",
	.path = "init",
	.fn = run,
	.summary = "create a network: its admin key and signed settings",
	.usage = "init NETWORK --cidr CIDR [--cidr6 CIDR6] [--domain DOMAIN] [--port 51820]\n"
		 "                 [--gossip-port 51821] [--mtu N] [--keepalive S] [--admin-key FILE]\n"
		 "                 [--name NODENAME] [--no-node]",
	.help = "Creates the network's admin key in FILE (mode 0600; an existing file is never\n"
		"overwritten) and the network settings signed with it in FILE.net, and prints\n"
		"the network id. The admin key is the network's only authority: keep it\n"
		"secret; it need not be on any node.\n"
		"\n"
		"  NETWORK             name: lower-case letters, digits and '-', up to 63\n"
		"  --cidr CIDR         IPv4 range for member addresses, e.g. 10.42.0.0/16\n"
		"  --cidr6 CIDR6       IPv6 range as well, e.g. fd42::/64 (default: none)\n"
		"  --domain DOMAIN     DNS zone of member names (default: NETWORK.internal)\n"
		"  --port N            WireGuard UDP port (default 51820)\n"
		"  --gossip-port N     gossip and join UDP port (default 51821)\n"
		"  --mtu N             tunnel MTU (default 1420)\n"
		"  --keepalive S       WireGuard persistent keepalive in seconds\n"
		"                      (default 0: only where NAT is likely)\n"
		"  --admin-key FILE    where to write the admin key (default ./NETWORK.admin.key)\n"
		"  --name NODENAME     this host's name in the network\n"
		"  --no-node           create the network only; do not make this host a member\n"
		"\n"
		"Without --no-node, this host becomes the network's first member through the\n"
		"running daemon ('weft daemon'): the admin key certifies the node the daemon\n"
		"made and starts the network key, sealed to that node alone.\n",
};
