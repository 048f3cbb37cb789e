/* weft ext-client: external clients, devices that run only WireGuard (a
 * phone). add makes the device's key pair, gives it an overlay address,
 * signs an EXT_CLIENT record (public key only) for the network and prints
 * a wg-quick configuration, with a QR code on a terminal; the private key
 * exists only in this process and on the screen. rm tombstones the
 * record; list shows the clients the daemon holds. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <qrencode.h>
#include <sodium.h>

#include "core/alloc.h"
#include "cli/adminrun.h"
#include "cli/cli.h"
#include "cli/ctlclient.h"
#include "core/error.h"
#include "core/store.h"

#define CONFIG_MAX 1024
#define DEFAULT_KEEPALIVE 25

struct ext_args {
	struct weft_admin_args adm;
	const char *action, *name;
	const char *via, *endpoint, *gateway_key, *keepalive;
	const char *address[2];
	unsigned naddress;
	bool dns, qr;
	uint64_t keepalive_s; /* --keepalive, parsed */
	weft_wgkey_t gw_pub;  /* --gateway-key, parsed */
};

/* What add learns about the network from the daemon (when it answers). */
struct ext_world {
	bool online;
	weft_ip_t *taken; /* members' and live clients' addresses */
	size_t ntaken;
	weft_record_t *clients; /* EXT_CLIENT records held */
	size_t nclients;
	weft_record_t *states; /* NODE_STATE records held */
	size_t nstates;
	weft_ip_t gw4; /* the gateway's overlay address (for DNS) */
};

static void world_free(struct ext_world *w)
{
	free(w->taken);
	free(w->clients);
	free(w->states);
	memset(w, 0, sizeof(*w));
}

static int take(struct ext_world *w, const weft_ip_t *ip)
{
	weft_ip_t *nt;

	if (!ip->family)
		return 0;
	nt = realloc(w->taken, (w->ntaken + 1) * sizeof(*nt));
	if (!nt)
		return -ENOMEM;
	w->taken = nt;
	w->taken[w->ntaken++] = *ip;
	return 0;
}

static bool is_taken(const struct ext_world *w, const weft_ip_t *ip)
{
	size_t i;

	for (i = 0; i < w->ntaken; i++)
		if (weft_ip_equal(&w->taken[i], ip))
			return true;
	return false;
}

static const weft_record_t *client_named(const struct ext_world *w, const char *name)
{
	size_t i;

	for (i = 0; i < w->nclients; i++)
		if (!strcmp(w->clients[i].u.ext_client.name, name))
			return &w->clients[i];
	return NULL;
}

static const weft_record_t *state_of(const struct ext_world *w, const weft_pk_t *id)
{
	size_t i;

	for (i = 0; i < w->nstates; i++)
		if (!memcmp(w->states[i].u.node_state.node_id.b, id->b, WEFT_PK_LEN))
			return &w->states[i];
	return NULL;
}

/* The members' addresses, from the daemon's peers answer (every member in
 * its view, revoked and left ones too: their addresses stay reserved).
 * 0, 1 when the daemon cannot be reached, -1 after an error. */
static int fetch_members(struct weft_cli *cli, const char *network, const weft_pk_t *gateway, struct ext_world *w)
{
	struct json_object *req = json_object_new_object(), *row, *v;
	struct weft_cli_reply r;
	weft_ip_t ip;
	weft_pk_t id;
	size_t i, n, k;
	int ret;

	json_object_object_add(req, "cmd", json_object_new_string("peers"));
	json_object_object_add(req, "network", json_object_new_string(network));
	ret = weft_cli_ctl(cli, req, WEFT_CLI_CTL_TIMEOUT_MS, &r);
	json_object_put(req);
	if (ret < 0)
		return 1;
	if (ret) {
		weft_cli_ctl_fail(cli, ret, &r, NULL);
		return -1;
	}
	n = json_object_is_type(r.result, json_type_array) ? json_object_array_length(r.result) : 0;
	for (i = 0; i < n; i++) {
		static const char *const keys[2] = { "address", "address6" };

		row = json_object_array_get_idx(r.result, i);
		for (k = 0; k < 2; k++) {
			if (!json_object_object_get_ex(row, keys[k], &v) ||
			    !json_object_is_type(v, json_type_string) ||
			    weft_ip_parse(&ip, json_object_get_string(v)) != 0)
				continue;
			if (take(w, &ip)) {
				weft_cli_reply_free(&r);
				weft_cli_fail(cli, "out of memory");
				return -1;
			}
			if (k == 0 && json_object_object_get_ex(row, "node_id", &v) &&
			    weft_pk_from_hex(&id, json_object_get_string(v)) == 0 &&
			    !memcmp(id.b, gateway->b, WEFT_PK_LEN))
				w->gw4 = ip;
		}
	}
	weft_cli_reply_free(&r);
	return 0;
}

/* Everything add and rm may use from the daemon; offline (no daemon) is
 * fine, w->online says which. 0, or non-zero after printing the error. */
static int learn(struct weft_cli *cli, const char *network, const weft_pk_t *gateway, struct ext_world *w)
{
	size_t i;
	int ret;

	memset(w, 0, sizeof(*w));
	ret = weft_cli_admin_fetch(cli, network, WEFT_REC_EXT_CLIENT, &w->clients, &w->nclients);
	if (ret == 1)
		return 0;
	if (ret)
		return -1;
	w->online = true;
	ret = weft_cli_admin_fetch(cli, network, WEFT_REC_NODE_STATE, &w->states, &w->nstates);
	if (!ret && gateway)
		ret = fetch_members(cli, network, gateway, w);
	if (ret == 1)
		return weft_cli_fail(cli, "the daemon stopped answering; try again");
	if (ret)
		return -1;
	for (i = 0; i < w->nclients; i++) {
		const struct weft_rec_ext_client *e = &w->clients[i].u.ext_client;

		if (e->deleted)
			continue;
		if (take(w, &e->address4) || take(w, &e->address6))
			return weft_cli_fail(cli, "out of memory");
	}
	return 0;
}

/* An address given with --address: in the network's range, usable, and
 * (when the daemon answers) nobody's. */
static int given_address(struct weft_cli *cli, const char *s, const struct weft_rec_network *net,
			 const struct ext_world *w, struct weft_rec_ext_client *e)
{
	char cidr[WEFT_CIDRSTRLEN];
	const weft_cidr_t *range;
	weft_ip_t ip;

	if (weft_ip_parse(&ip, s) != 0)
		return weft_cli_fail(cli, "bad --address '%s': give one IP address, e.g. 10.42.200.7", s);
	range = ip.family == 4 ? &net->cidr4 : &net->cidr6;
	if (!range->ip.family)
		return weft_cli_fail(cli, "bad --address '%s': network %s has no IPv6 range", s, net->name);
	weft_cidr_format(range, cidr, sizeof(cidr));
	if (!weft_cidr_contains(range, &ip) || weft_cidr_reserved(range, &ip))
		return weft_cli_fail(cli, "bad --address '%s': give a usable address inside the network's range %s",
				     s, cidr);
	if ((ip.family == 4 ? e->address4 : e->address6).family)
		return weft_cli_fail(cli, "--address is given twice for IPv%u", ip.family);
	if (is_taken(w, &ip))
		return weft_cli_fail(cli,
				     "--address %s is a member's or another external client's; pick another, "
				     "or leave --address out and weft picks a free one",
				     s);
	if (ip.family == 4)
		e->address4 = ip;
	else
		e->address6 = ip;
	return 0;
}

/* A free address in range, the same for the same client name on any
 * admin's machine: attempts of H(name) as core/alloc gives members. */
static int allocate(struct weft_cli *cli, const char *name, const weft_cidr_t *range, const struct ext_world *w,
		    weft_ip_t *out)
{
	static const char ctx[] = "weft ext-client ";
	crypto_generichash_state st;
	char cidr[WEFT_CIDRSTRLEN];
	weft_pk_t seed;
	uint32_t k;

	crypto_generichash_init(&st, NULL, 0, sizeof(seed.b));
	crypto_generichash_update(&st, (const uint8_t *)ctx, sizeof(ctx) - 1);
	crypto_generichash_update(&st, (const uint8_t *)name, strlen(name));
	crypto_generichash_final(&st, seed.b, sizeof(seed.b));
	for (k = 0; k < WEFT_ALLOC_MAX_ATTEMPTS; k++) {
		weft_alloc_candidate(range, &seed, k, out);
		if (!weft_cidr_reserved(range, out) && !is_taken(w, out))
			return 0;
	}
	weft_cidr_format(range, cidr, sizeof(cidr));
	return weft_cli_fail(cli, "no free address found in %s for '%s'; give one with --address IP", cidr, name);
}

/* The endpoint a client dials: --endpoint, else the gateway's first
 * announced endpoint with a public address, else its first. */
static int pick_endpoint(struct weft_cli *cli, const struct ext_args *a, const weft_record_t *st,
			 weft_endpoint_t *ep)
{
	const struct weft_rec_node_state *s;
	unsigned i, best = 0;

	memset(ep, 0, sizeof(*ep));
	if (a->endpoint) {
		if (weft_endpoint_parse(ep, a->endpoint) != 0 || !ep->port)
			return weft_cli_fail(cli,
					     "bad --endpoint '%s': give the gateway's public address and WireGuard "
					     "port, e.g. 203.0.113.5:51820 or [2001:db8::5]:51820",
					     a->endpoint);
		return 0;
	}
	if (!st || !st->u.node_state.nendpoints)
		return weft_cli_fail(cli, "the gateway announces no endpoint; give --endpoint HOST:PORT (its public "
					  "address and WireGuard port)");
	s = &st->u.node_state;
	for (i = s->nendpoints; i-- > 0;) {
		const uint8_t *b = s->endpoints[i].ip.b;
		bool private4 =
			s->endpoints[i].ip.family == 4 &&
			(b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) || (b[0] == 192 && b[1] == 168) ||
			 (b[0] == 100 && (b[1] & 0xc0) == 64) || b[0] == 127 || (b[0] == 169 && b[1] == 254));
		bool private6 = s->endpoints[i].ip.family == 6 &&
				((b[0] & 0xfe) == 0xfc || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80));

		if (!private4 && !private6)
			best = i;
	}
	*ep = s->endpoints[best];
	if (!ep->port)
		ep->port = s->wg_port;
	return 0;
}

/* The wg-quick configuration (pure; out has CONFIG_MAX bytes). */
static int config_text(char *out, size_t cap, const struct weft_rec_network *net, const char *network,
		       const struct weft_rec_ext_client *e, const weft_wgkey_t *priv, const weft_wgkey_t *gw_pub,
		       const weft_endpoint_t *ep, const weft_ip_t *dns, unsigned keepalive, const char *via)
{
	char k[WEFT_WGKEY_B64_LEN + 1], a4[WEFT_ADDRSTRLEN], a6[WEFT_ADDRSTRLEN], c4[WEFT_CIDRSTRLEN],
		c6[WEFT_CIDRSTRLEN], eps[WEFT_EPSTRLEN], d[WEFT_ADDRSTRLEN];
	size_t len = 0;
	int n;

#define EMIT(...)                                                \
	do {                                                     \
		n = snprintf(out + len, cap - len, __VA_ARGS__); \
		if (n < 0 || (size_t)n >= cap - len)             \
			goto full;                               \
		len += (size_t)n;                                \
	} while (0)

	weft_key_to_base64(k, priv->b);
	EMIT("# weft external client '%s' of network %s, through %s\n[Interface]\nPrivateKey = %s\n", e->name,
	     network, via, k);
	EMIT("Address = %s%s%s%s%s\n", e->address4.family ? weft_ip_format(&e->address4, a4, sizeof(a4)) : "",
	     e->address4.family ? "/32" : "", e->address4.family && e->address6.family ? ", " : "",
	     e->address6.family ? weft_ip_format(&e->address6, a6, sizeof(a6)) : "",
	     e->address6.family ? "/128" : "");
	if (dns && dns->family)
		EMIT("DNS = %s, %s%s\n", weft_ip_format(dns, d, sizeof(d)), net->domain[0] ? net->domain : network,
		     net->domain[0] ? "" : ".internal");
	weft_key_to_base64(k, gw_pub->b);
	EMIT("\n[Peer]\nPublicKey = %s\nEndpoint = %s\nAllowedIPs = %s%s%s\n", k,
	     weft_endpoint_format(ep, eps, sizeof(eps)), weft_cidr_format(&net->cidr4, c4, sizeof(c4)),
	     net->cidr6.ip.family ? ", " : "",
	     net->cidr6.ip.family ? weft_cidr_format(&net->cidr6, c6, sizeof(c6)) : "");
	if (keepalive)
		EMIT("PersistentKeepalive = %u\n", keepalive);
	sodium_memzero(k, sizeof(k));
	return 0;
full:
	sodium_memzero(k, sizeof(k));
	sodium_memzero(out, cap);
	return WEFT_EOVERSIZE;
#undef EMIT
}

/* The configuration as a QR code in UTF-8 half blocks: two modules a
 * character, light modules drawn (terminals are mostly dark), with the
 * quiet zone the standard asks for. The encoder's copy is wiped. */
static int print_qr(struct weft_cli *cli, const char *text)
{
	static const char *const glyph[4] = { " ", "\u2580", "\u2584", "\u2588" }; /* bit 0 top, 1 bottom */
	const int quiet = 2;
	QRcode *qr;
	int x, y, size;

	qr = QRcode_encodeString(text, 0, QR_ECLEVEL_L, QR_MODE_8, 1);
	if (!qr)
		return weft_cli_fail(cli, "cannot make the QR code (%s); the configuration above is complete",
				     strerror(errno));
	size = qr->width;
#define LIGHT(X, Y) ((X) < 0 || (Y) < 0 || (X) >= size || (Y) >= size || !(qr->data[(Y)*size + (X)] & 1))
	for (y = -quiet; y < size + quiet; y += 2) {
		for (x = -quiet; x < size + quiet; x++)
			fputs(glyph[(LIGHT(x, y) ? 1 : 0) | (y + 1 >= size + quiet || LIGHT(x, y + 1) ? 2 : 0)],
			      cli->out);
		fputc('\n', cli->out);
	}
#undef LIGHT
	sodium_memzero(qr->data, (size_t)size * (size_t)size);
	QRcode_free(qr);
	return WEFT_CLI_OK;
}

/* Status lines of the hand-off go to stderr: stdout is the configuration,
 * ready to be redirected into a file for wg-quick. */
/* A JSON string (RFC 8259 escapes), or null. */
static void json_put_string(FILE *f, const char *s)
{
	const unsigned char *p;

	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			fputc('\\', f);
			fputc(*p, f);
		} else if (*p == '\n') {
			fputs("\\n", f);
		} else if (*p == '\t') {
			fputs("\\t", f);
		} else if (*p < 0x20) {
			fprintf(f, "\\u%04x", *p);
		} else {
			fputc(*p, f);
		}
	}
	fputc('"', f);
}

/* The client's config goes to standard output: what handing the record on
 * says goes to standard error. */
static int emit(struct weft_cli *cli, const struct ext_args *a, const weft_keypair_t *admin, weft_record_t *r)
{
	FILE *o = cli->out;
	bool json = cli->json;
	int ret;

	cli->out = cli->err;
	cli->json = false;
	ret = weft_admin_emit(cli, &a->adm, admin, r, 0, 1);
	cli->out = o;
	cli->json = json;
	return ret;
}

static int add(struct weft_cli *cli, const struct ext_args *a, const weft_keypair_t *admin,
	       const weft_record_t *settings)
{
	char conf[CONFIG_MAX], via[WEFT_NAME_MAX + 24], f[WEFT_FPR_LEN + 1], hex[65], key[WEFT_WGKEY_B64_LEN + 1];
	weft_record_t r;
	weft_wgpair_t wgp;
	weft_wgkey_t gw_pub = a->gw_pub;
	weft_endpoint_t ep;
	struct ext_world w = { 0 };
	struct weft_rec_ext_client *e = &r.u.ext_client;
	const struct weft_rec_network *net = &settings->u.network;
	const weft_record_t *held, *st = NULL;
	uint64_t keepalive = a->keepalive_s;
	unsigned i;
	int ret = WEFT_CLI_FAIL, err;

	memset(&wgp, 0, sizeof(wgp));
	memset(&r, 0, sizeof(r));
	memset(conf, 0, sizeof(conf));
	r.type = WEFT_REC_EXT_CLIENT;
	snprintf(e->name, sizeof(e->name), "%s", a->name);
	if (weft_cli_admin_node(cli, a->adm.network, a->via, &e->gateway))
		goto out;
	if (learn(cli, a->adm.network, &e->gateway, &w))
		goto out;

	held = client_named(&w, a->name);
	if (held && !held->u.ext_client.deleted) {
		weft_cli_fail(cli,
			      "%s already has an external client '%s'; remove it first ('weft ext-client %s rm "
			      "%s') or choose another name",
			      a->adm.network, a->name, a->adm.network, a->name);
		goto out;
	}
	e->version = weft_hlc_next(held ? held->u.ext_client.version : 0, cli->now_ms);

	/* The gateway: its WireGuard key and endpoint come from its state
	 * record, unless given (an admin offline). */
	if (w.online) {
		st = state_of(&w, &e->gateway);
		if (!st && !a->gateway_key) {
			weft_fingerprint(f, &e->gateway);
			weft_cli_fail(cli,
				      "node %s (%.8s) has announced no state yet (is it a member that is up?); "
				      "'weft peers %s' lists the members",
				      a->via, f, a->adm.network);
			goto out;
		}
	} else if (!a->gateway_key || !a->endpoint || !a->naddress || a->dns) {
		weft_cli_fail(cli,
			      "cannot reach the local daemon to learn about node %s; offline, give "
			      "--address IP, --gateway-key KEY and --endpoint HOST:PORT (and no --dns), or run "
			      "this on a member",
			      a->via);
		goto out;
	}
	if (!a->gateway_key)
		gw_pub = st->u.node_state.wg_pub;
	if (pick_endpoint(cli, a, st, &ep))
		goto out;
	if (a->dns && !w.gw4.family) {
		weft_cli_fail(cli, "--dns: the daemon knows no overlay address of node %s yet", a->via);
		goto out;
	}

	for (i = 0; i < a->naddress; i++)
		if (given_address(cli, a->address[i], net, &w, e))
			goto out;
	/* Families not given are picked when the daemon can say what is free. */
	if (w.online && !e->address4.family && allocate(cli, a->name, &net->cidr4, &w, &e->address4))
		goto out;
	if (w.online && net->cidr6.ip.family && !e->address6.family &&
	    allocate(cli, a->name, &net->cidr6, &w, &e->address6))
		goto out;

	weft_wgpair_generate(&wgp);
	e->wg_pub = wgp.pub;
	err = weft_record_sign(&r, admin);
	if (err) {
		weft_cli_fail(cli, "cannot sign the external client record: %s", weft_strerror(err));
		goto out;
	}
	snprintf(via, sizeof(via), "%s", a->via);
	if (st && st->u.node_state.name[0]) {
		weft_fingerprint(f, &e->gateway);
		snprintf(via, sizeof(via), "%s (%.8s)", st->u.node_state.name, f);
	}
	if (config_text(conf, sizeof(conf), net, a->adm.network, e, &wgp.priv, &gw_pub, &ep, a->dns ? &w.gw4 : NULL,
			(unsigned)keepalive, via)) {
		weft_cli_fail(cli, "the configuration does not fit in %d bytes", CONFIG_MAX);
		goto out;
	}
	/* The network first: a configuration for a client nobody admits
	 * would only mislead. */
	ret = emit(cli, a, admin, &r);
	if (ret != WEFT_CLI_OK)
		goto out;
	if (cli->json) {
		char a4[WEFT_ADDRSTRLEN], a6[WEFT_ADDRSTRLEN];

		/* Written by hand, not through json-c: the configuration holds
		 * the client's private key, and json-c's copies of it (the
		 * string object, its growing print buffer) are freed unwiped. */
		weft_pk_to_hex(hex, &e->gateway);
		weft_key_to_base64(key, e->wg_pub.b);
		fputs("{\n  \"name\": ", cli->out);
		json_put_string(cli->out, e->name);
		fputs(",\n  \"address\": ", cli->out);
		json_put_string(cli->out, e->address4.family ? weft_ip_format(&e->address4, a4, sizeof(a4)) : NULL);
		fputs(",\n  \"address6\": ", cli->out);
		json_put_string(cli->out, e->address6.family ? weft_ip_format(&e->address6, a6, sizeof(a6)) : NULL);
		fputs(",\n  \"gateway\": ", cli->out);
		json_put_string(cli->out, hex);
		fputs(",\n  \"wg_public_key\": ", cli->out);
		json_put_string(cli->out, key);
		fputs(",\n  \"config\": ", cli->out);
		json_put_string(cli->out, conf);
		fputs("\n}\n", cli->out);
		ret = WEFT_CLI_OK;
		goto out;
	}
	fputs(conf, cli->out);
	if (a->qr || isatty(fileno(cli->out))) {
		fputc('\n', cli->out);
		ret = print_qr(cli, conf);
	}
out:
	world_free(&w);
	weft_keys_wipe(&wgp, sizeof(wgp));
	sodium_memzero(conf, sizeof(conf));
	return ret;
}

static int rm(struct weft_cli *cli, const struct ext_args *a, const weft_keypair_t *admin)
{
	weft_record_t r;
	struct ext_world w;
	const weft_record_t *held;
	int ret = WEFT_CLI_FAIL, err;

	memset(&r, 0, sizeof(r));
	if (learn(cli, a->adm.network, NULL, &w))
		goto out;
	held = client_named(&w, a->name);
	if (w.online && (!held || held->u.ext_client.deleted)) {
		weft_cli_fail(cli, "%s has no external client '%s' ('weft ext-client %s list' shows them)",
			      a->adm.network, a->name, a->adm.network);
		goto out;
	}
	if (!w.online && !a->adm.out) {
		weft_cli_fail(cli, "cannot reach the local daemon; sign offline with --out FILE and run "
				   "'weft push FILE' on any member");
		goto out;
	}
	/* A tombstone that outranks every version of the client. */
	r.type = WEFT_REC_EXT_CLIENT;
	if (held)
		r.u.ext_client = held->u.ext_client;
	snprintf(r.u.ext_client.name, sizeof(r.u.ext_client.name), "%s", a->name);
	r.u.ext_client.version = weft_hlc_next(held ? held->u.ext_client.version : 0, cli->now_ms);
	r.u.ext_client.deleted = true;
	memset(&r.u.ext_client.address4, 0, sizeof(r.u.ext_client.address4));
	memset(&r.u.ext_client.address6, 0, sizeof(r.u.ext_client.address6));
	err = weft_record_sign(&r, admin);
	if (err) {
		weft_cli_fail(cli, "cannot sign the tombstone: %s", weft_strerror(err));
		goto out;
	}
	ret = weft_admin_emit(cli, &a->adm, admin, &r, 0, 1);
	if (ret == WEFT_CLI_OK && !a->adm.out && !cli->json)
		fprintf(cli->out, "removed external client '%s' from %s\n", a->name, a->adm.network);
out:
	world_free(&w);
	return ret;
}

static int cmp_client(const void *x, const void *y)
{
	return strcmp(((const weft_record_t *)x)->u.ext_client.name, ((const weft_record_t *)y)->u.ext_client.name);
}

static int list(struct weft_cli *cli, const struct ext_args *a)
{
	char a4[WEFT_ADDRSTRLEN], a6[WEFT_ADDRSTRLEN], key[WEFT_WGKEY_B64_LEN + 1], hex[65], f[WEFT_FPR_LEN + 1];
	struct json_object *arr = NULL, *o;
	struct ext_world w;
	const weft_record_t *st;
	size_t i, shown = 0;
	int ret;

	ret = learn(cli, a->adm.network, NULL, &w);
	if (ret || !w.online) {
		if (!ret)
			weft_cli_fail(cli, "cannot reach the local daemon (is it running? 'systemctl start weft')");
		world_free(&w);
		return WEFT_CLI_FAIL;
	}
	qsort(w.clients, w.nclients, sizeof(w.clients[0]), cmp_client);
	if (cli->json)
		arr = json_object_new_array();
	else
		fprintf(cli->out, "%-20s %-16s %-24s %-20s %s\n", "NAME", "ADDRESS", "ADDRESS6", "GATEWAY",
			"PUBLIC KEY");
	for (i = 0; i < w.nclients; i++) {
		const struct weft_rec_ext_client *e = &w.clients[i].u.ext_client;
		char gw[WEFT_NAME_MAX + 1];

		if (e->deleted)
			continue;
		shown++;
		st = state_of(&w, &e->gateway);
		weft_fingerprint(f, &e->gateway);
		snprintf(gw, sizeof(gw), "%s", st && st->u.node_state.name[0] ? st->u.node_state.name : f);
		weft_ip_format(&e->address4, a4, sizeof(a4));
		weft_ip_format(&e->address6, a6, sizeof(a6));
		weft_key_to_base64(key, e->wg_pub.b);
		if (!cli->json) {
			fprintf(cli->out, "%-20s %-16s %-24s %-20s %s\n", e->name, a4[0] ? a4 : "-",
				a6[0] ? a6 : "-", gw, key);
			continue;
		}
		o = json_object_new_object();
		weft_pk_to_hex(hex, &e->gateway);
		json_object_object_add(o, "name", json_object_new_string(e->name));
		json_object_object_add(o, "address", a4[0] ? json_object_new_string(a4) : NULL);
		json_object_object_add(o, "address6", a6[0] ? json_object_new_string(a6) : NULL);
		json_object_object_add(o, "gateway", json_object_new_string(hex));
		json_object_object_add(o, "gateway_name", st ? json_object_new_string(st->u.node_state.name) : NULL);
		json_object_object_add(o, "wg_public_key", json_object_new_string(key));
		json_object_object_add(o, "version", json_object_new_uint64(e->version));
		json_object_array_add(arr, o);
	}
	ret = WEFT_CLI_OK;
	if (cli->json) {
		ret = weft_cli_print_json(cli, arr);
		json_object_put(arr);
	} else if (!shown) {
		fprintf(cli->out, "(no external clients; 'weft ext-client %s add NAME --via NODE' makes one)\n",
			a->adm.network);
	}
	world_free(&w);
	return ret;
}

static int check(struct weft_cli *cli, void *args)
{
	struct ext_args *a = args;
	const struct weft_cli_cmd *cmd = a->adm.cmd;
	bool is_add, is_rm;
	int npos = a->adm.nwords;

	if (npos < 1)
		return weft_cli_usage(cli, cmd, "missing the action: add, rm or list");
	a->action = a->adm.words[0];
	is_add = !strcmp(a->action, "add");
	is_rm = !strcmp(a->action, "rm");
	if (!is_add && !is_rm && strcmp(a->action, "list"))
		return weft_cli_usage(cli, cmd, "unknown action '%s' (add, rm or list)", a->action);
	if ((is_add || is_rm) && npos < 2)
		return weft_cli_usage(cli, cmd, "missing the client's NAME");
	if (npos > ((is_add || is_rm) ? 2 : 1))
		return weft_cli_usage(cli, cmd, "unexpected argument '%s'", a->adm.words[(is_add || is_rm) ? 2 : 1]);
	a->name = is_add || is_rm ? a->adm.words[1] : NULL;
	if (!is_add && (a->via || a->dns || a->naddress || a->endpoint || a->gateway_key || a->qr || a->keepalive))
		return weft_cli_usage(cli, cmd,
				      "--via, --dns, --address, --endpoint, --gateway-key, --qr and "
				      "--keepalive are for 'add'");
	if (!is_add && !is_rm && (a->adm.admin_key || a->adm.out))
		return weft_cli_usage(cli, cmd, "'list' takes no --admin-key or --out");
	if ((is_add || is_rm) && (!a->adm.admin_key || !*a->adm.admin_key))
		return weft_cli_usage(cli, cmd, "missing --admin-key FILE (the key 'weft init' wrote)");
	if (is_add && (!a->via || !*a->via))
		return weft_cli_usage(cli, cmd, "missing --via NODE (the member the client connects through)");
	a->adm.keyless = !is_add && !is_rm;
	return 0;
}

static int prepare(struct weft_cli *cli, void *args)
{
	struct ext_args *a = args;

	if (a->name && weft_cli_parse_name(cli, "client name", a->name))
		return WEFT_CLI_FAIL;
	a->keepalive_s = DEFAULT_KEEPALIVE;
	if (a->keepalive && weft_cli_parse_uint(cli, "--keepalive", a->keepalive, 0, 65535, &a->keepalive_s))
		return WEFT_CLI_FAIL;
	if (a->gateway_key && weft_key_from_base64(a->gw_pub.b, a->gateway_key) != 0)
		return weft_cli_fail(cli,
				     "bad --gateway-key '%s': give the gateway's WireGuard public key as "
				     "'wg show' prints it (44 base64 characters)",
				     a->gateway_key);
	return 0;
}

static int ext_run(struct weft_cli *cli, void *args, const weft_keypair_t *admin, const weft_record_t *settings)
{
	struct ext_args *a = args;

	if (!admin)
		return list(cli, a);
	if (!strcmp(a->action, "add"))
		return add(cli, a, admin, settings);
	return rm(cli, a, admin);
}

static int run(struct weft_cli *cli, const struct weft_cli_cmd *cmd, int argc, char **argv)
{
	static const struct weft_admin_opt opts[] = {
		WEFT_ADMIN_STR("via", struct ext_args, via),
		WEFT_ADMIN_FLAG("dns", struct ext_args, dns),
		WEFT_ADMIN_LIST("address", struct ext_args, address, naddress,
				"--address at most twice (one IPv4, one IPv6)"),
		WEFT_ADMIN_STR("endpoint", struct ext_args, endpoint),
		WEFT_ADMIN_STR("gateway-key", struct ext_args, gateway_key),
		WEFT_ADMIN_FLAG("qr", struct ext_args, qr),
		WEFT_ADMIN_STR("keepalive", struct ext_args, keepalive),
		WEFT_ADMIN_END,
	};
	static const struct weft_admin_spec spec = {
		.opts = opts, .check = check, .prepare = prepare, .body = ext_run
	};
	struct ext_args a = { 0 };

	return weft_admin_run(cli, cmd, &spec, &a, argc, argv);
}

const struct weft_cli_cmd weft_cli_cmd_extclient = {
	.name = "ext-client",
	.path = "ext-client",
	.fn = run,
	.summary = "add, remove or list external clients (WireGuard-only devices)",
	.usage = "ext-client NETWORK add NAME --via NODE --admin-key FILE [--dns] [--address IP]\n"
		 "                       [--endpoint HOST:PORT] [--gateway-key KEY] [--keepalive S] [--qr]\n"
		 "                       [--out FILE]\n"
		 "       weft ext-client NETWORK rm NAME --admin-key FILE [--out FILE]\n"
		 "       weft ext-client NETWORK list",
	.help = "An external client is a device that runs only WireGuard (a phone, a laptop\n"
		"with wg-quick). It connects through one member, its gateway, which makes it a\n"
		"WireGuard peer; every other member routes its address through the gateway.\n"
		"\n"
		"add makes the device's key pair, gives it a free overlay address, signs the\n"
		"client's record (its public key, address and gateway) with the admin key and\n"
		"hands it to the local daemon (or, with --out, writes it for 'weft push FILE'\n"
		"on any member). Then it prints a wg-quick configuration on stdout, and a QR\n"
		"code of it on a terminal (or with --qr) for the WireGuard app to scan. The\n"
		"private key is in that output only: weft keeps no copy, so keep the output\n"
		"private and do not lose it (remove the client and add it again otherwise).\n"
		"\n"
		"  --via NODE            the gateway: a node name, a unique id prefix, or its id\n"
		"  --admin-key FILE      the network's admin key (FILE.net beside it)\n"
		"  --dns                 resolve the network's names through the gateway\n"
		"  --address IP          the client's address instead of a free one (once per\n"
		"                        family); without a daemon to ask, it is required\n"
		"  --endpoint HOST:PORT  where the client reaches the gateway (default: the\n"
		"                        gateway's first public announced endpoint)\n"
		"  --gateway-key KEY     the gateway's WireGuard public key, offline\n"
		"  --keepalive S         the client's persistent keepalive (default 25, 0 = off)\n"
		"  --qr                  print the QR code even when stdout is not a terminal\n"
		"  --out FILE            write the signed record to FILE instead of the daemon\n"
		"\n"
		"rm tombstones the client: every member drops it. list shows the clients the\n"
		"local daemon holds (--json: name, address, address6, gateway, gateway_name,\n"
		"wg_public_key, version). add --json prints name, address, address6, gateway,\n"
		"wg_public_key and config.\n",
};
