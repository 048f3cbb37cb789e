/* The control protocol's messages (ctl.h): the request parser with one
 * table saying which fields each command takes, the reply builders, and the
 * short error names replies carry. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <sodium.h>

#include "daemon/ctl.h"
#include "core/error.h"
#include "core/record.h"

struct cmdspec {
	const char *name;
	unsigned required, optional;
};

#define JOIN_OPTS \
	(WEFT_CTLF_NAME | WEFT_CTLF_INTERFACE | WEFT_CTLF_LISTEN_PORT | WEFT_CTLF_GOSSIP_PORT | WEFT_CTLF_ENDPOINTS)

/* Dispatch by table, with names for logs (docs/STYLE.md, "Dispatch tables"). */
static const struct cmdspec specs[WEFT_CTL_CMD_MAX + 1] = {
	[WEFT_CTL_PING] = { "ping", 0, 0 },
	[WEFT_CTL_LIST] = { "list", 0, 0 },
	[WEFT_CTL_STATUS] = { "status", 0, WEFT_CTLF_NETWORK },
	[WEFT_CTL_PEERS] = { "peers", WEFT_CTLF_NETWORK, 0 },
	[WEFT_CTL_JOIN] = { "join", WEFT_CTLF_TOKEN, JOIN_OPTS },
	[WEFT_CTL_LEAVE] = { "leave", WEFT_CTLF_NETWORK, 0 },
	[WEFT_CTL_IDENTITY] = { "identity", WEFT_CTLF_NETWORK, 0 },
	[WEFT_CTL_CREATE] = { "create", WEFT_CTLF_NETWORK | WEFT_CTLF_RECORDS, JOIN_OPTS },
	[WEFT_CTL_PUSH] = { "push", WEFT_CTLF_RECORDS, WEFT_CTLF_NETWORK },
	[WEFT_CTL_BOOTSTRAP] = { "bootstrap", WEFT_CTLF_NETWORK, 0 },
	[WEFT_CTL_RECORDS] = { "records", WEFT_CTLF_NETWORK | WEFT_CTLF_TYPE, 0 },
};

static const struct {
	const char *name;
	unsigned bit;
} fields[] = {
	{ "network", WEFT_CTLF_NETWORK },
	{ "token", WEFT_CTLF_TOKEN },
	{ "name", WEFT_CTLF_NAME },
	{ "interface", WEFT_CTLF_INTERFACE },
	{ "listen_port", WEFT_CTLF_LISTEN_PORT },
	{ "gossip_port", WEFT_CTLF_GOSSIP_PORT },
	{ "endpoints", WEFT_CTLF_ENDPOINTS },
	{ "records", WEFT_CTLF_RECORDS },
	{ "type", WEFT_CTLF_TYPE },
};

const char *weft_ctl_cmd_name(int cmd)
{
	return cmd > 0 && cmd <= WEFT_CTL_CMD_MAX ? specs[cmd].name : "?";
}

void weft_ctl_req_free(struct weft_ctl_req *req)
{
	if (req->token) {
		sodium_memzero(req->token, strlen(req->token));
		free(req->token);
	}
	free(req->records);
	free(req->record_len);
	memset(req, 0, sizeof(*req));
}

static bool is_label(const char *s, size_t n)
{
	return weft_name_valid(s, n);
}

static bool is_ifname(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n >= WEFT_WG_IFNAMSIZ || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (i = 0; i < n; i++)
		if (s[i] == '/' || s[i] == ':' || (unsigned char)s[i] <= 0x20 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

/* A JSON string without NULs inside; NULL otherwise. */
static const char *str_of(struct json_object *v, size_t *n)
{
	const char *s;

	if (!json_object_is_type(v, json_type_string))
		return NULL;
	s = json_object_get_string(v);
	*n = (size_t)json_object_get_string_len(v);
	return s && strlen(s) == *n ? s : NULL;
}

static int port_of(struct json_object *v, uint16_t *port)
{
	int64_t n;

	if (!json_object_is_type(v, json_type_int))
		return -1;
	n = json_object_get_int64(v);
	if (n < 1 || n > 65535)
		return -1;
	*port = (uint16_t)n;
	return 0;
}

static int endpoint_of(const char *s, size_t n, weft_endpoint_t *ep)
{
	memset(ep, 0, sizeof(*ep));
	if (n == 0 || n >= WEFT_EPSTRLEN)
		return -1;
	if (weft_ip_parse(&ep->ip, s) == 0)
		return 0;
	return weft_endpoint_parse(ep, s) == 0 && ep->ip.family ? 0 : -1;
}

static int parse_records(struct weft_ctl_req *req, struct json_object *v, const char **why)
{
	size_t n, i, slen, bin;
	const char *s;

	if (!json_object_is_type(v, json_type_array)) {
		*why = "records must be an array of base64 strings";
		return WEFT_EMALFORMED;
	}
	n = json_object_array_length(v);
	if (n == 0 || n > WEFT_CTL_MAX_RECORDS) {
		*why = "records must hold 1 to 1024 records";
		return WEFT_EMALFORMED;
	}
	req->records = calloc(n, sizeof(*req->records));
	req->record_len = calloc(n, sizeof(*req->record_len));
	if (!req->records || !req->record_len) {
		*why = "out of memory";
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		s = str_of(json_object_array_get_idx(v, i), &slen);
		if (!s ||
		    sodium_base642bin(req->records[i], WEFT_RECORD_MAX, s, slen, NULL, &bin, NULL,
				      sodium_base64_VARIANT_ORIGINAL) != 0 ||
		    bin == 0) {
			*why = "a record is not base64 of at most 1024 bytes";
			return WEFT_EMALFORMED;
		}
		req->record_len[i] = (uint16_t)bin;
	}
	req->nrecords = n;
	return 0;
}

static int parse_endpoints(struct weft_ctl_req *req, struct json_object *v, const char **why)
{
	size_t n, i, slen;
	const char *s;

	if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) > WEFT_MAX_ENDPOINTS) {
		*why = "endpoints must be an array of at most 8 \"IP\" or \"IP:PORT\" strings";
		return WEFT_EMALFORMED;
	}
	n = json_object_array_length(v);
	for (i = 0; i < n; i++) {
		s = str_of(json_object_array_get_idx(v, i), &slen);
		if (!s || endpoint_of(s, slen, &req->endpoints[i])) {
			*why = "an endpoint is not an IP address or IP:PORT";
			return WEFT_EMALFORMED;
		}
	}
	req->nendpoints = (uint8_t)n;
	return 0;
}

static int field(struct weft_ctl_req *req, unsigned bit, struct json_object *v, const char **why)
{
	const char *s;
	size_t n;

	switch (bit) {
	case WEFT_CTLF_NETWORK:
		s = str_of(v, &n);
		if (!s || !is_label(s, n)) {
			*why = "network must be a network name (lower-case letters, digits and '-')";
			return WEFT_EMALFORMED;
		}
		memcpy(req->network, s, n + 1);
		return 0;
	case WEFT_CTLF_NAME:
		s = str_of(v, &n);
		if (!s || !is_label(s, n)) {
			*why = "name must be a node name (lower-case letters, digits and '-')";
			return WEFT_EMALFORMED;
		}
		memcpy(req->name, s, n + 1);
		return 0;
	case WEFT_CTLF_INTERFACE:
		s = str_of(v, &n);
		if (!s || !is_ifname(s, n)) {
			*why = "interface must be an interface name of 1-15 characters";
			return WEFT_EMALFORMED;
		}
		memcpy(req->ifname, s, n + 1);
		return 0;
	case WEFT_CTLF_TOKEN:
		s = str_of(v, &n);
		if (!s || n == 0 || n >= WEFT_TOKEN_MAX) {
			*why = "token must be a string";
			return WEFT_EMALFORMED;
		}
		req->token = malloc(n + 1);
		if (!req->token) {
			*why = "out of memory";
			return -ENOMEM;
		}
		memcpy(req->token, s, n + 1);
		/* json-c's copy: wiped here, since it would be freed as is. */
		sodium_memzero((char *)s, n);
		return 0;
	case WEFT_CTLF_LISTEN_PORT:
	case WEFT_CTLF_GOSSIP_PORT:
		if (port_of(v, bit == WEFT_CTLF_LISTEN_PORT ? &req->listen_port : &req->gossip_port)) {
			*why = "ports must be integers from 1 to 65535";
			return WEFT_EMALFORMED;
		}
		return 0;
	case WEFT_CTLF_ENDPOINTS:
		return parse_endpoints(req, v, why);
	case WEFT_CTLF_RECORDS:
		return parse_records(req, v, why);
	case WEFT_CTLF_TYPE:
		s = str_of(v, &n);
		for (unsigned t = 1; s && t <= WEFT_REC_TYPE_MAX; t++)
			if (!strcmp(s, weft_rec_type_name(t))) {
				req->rtype = (uint8_t)t;
				return 0;
			}
		*why = "type must be a record type name (\"override\", \"dns\", ...)";
		return WEFT_EMALFORMED;
	}
	*why = "unknown field";
	return WEFT_EMALFORMED;
}

int weft_ctl_parse(const char *buf, size_t len, struct weft_ctl_req *req, const char **why)
{
	struct json_tokener *tok = NULL;
	struct json_object *root = NULL, *cmdv;
	const struct cmdspec *spec;
	const char *dummy, *cmd;
	size_t i, end, n;
	int ret = WEFT_EMALFORMED, c;

	if (!why)
		why = &dummy;
	memset(req, 0, sizeof(*req));
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	if (len == 0 || len > WEFT_CTL_MAX_REQUEST) {
		*why = len ? "request too large" : "empty request";
		return WEFT_EMALFORMED;
	}
	tok = json_tokener_new_ex(8);
	if (!tok) {
		*why = "out of memory";
		return -ENOMEM;
	}
	root = json_tokener_parse_ex(tok, buf, (int)len);
	end = json_tokener_get_parse_end(tok);
	if (!root || json_tokener_get_error(tok) != json_tokener_success) {
		*why = "not a JSON document";
		goto out;
	}
	for (; end < len; end++)
		if (buf[end] != ' ' && buf[end] != '\t') {
			*why = "bytes after the JSON object (one request per connection)";
			goto out;
		}
	if (!json_object_is_type(root, json_type_object)) {
		*why = "a request is a JSON object";
		goto out;
	}
	if (!json_object_object_get_ex(root, "cmd", &cmdv) || !(cmd = str_of(cmdv, &n))) {
		*why = "a request needs \"cmd\" (a string)";
		goto out;
	}
	for (c = 1; c <= WEFT_CTL_CMD_MAX; c++)
		if (!strcmp(specs[c].name, cmd))
			break;
	if (c > WEFT_CTL_CMD_MAX) {
		*why = "unknown command (is weft newer than the daemon? restart the daemon)";
		goto out;
	}
	spec = &specs[c];
	req->cmd = c;
	json_object_object_foreach(root, key, val)
	{
		unsigned bit = 0;

		if (!strcmp(key, "cmd"))
			continue;
		for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
			if (!strcmp(fields[i].name, key))
				bit = fields[i].bit;
		if (!bit || !((spec->required | spec->optional) & bit)) {
			*why = "a field this command does not take";
			goto out;
		}
		ret = field(req, bit, val, why);
		if (ret)
			goto out;
		req->has |= bit;
		ret = WEFT_EMALFORMED;
	}
	if ((req->has & spec->required) != spec->required) {
		*why = "a field this command needs is missing";
		goto out;
	}
	ret = 0;
out:
	if (ret)
		weft_ctl_req_free(req);
	json_object_put(root);
	json_tokener_free(tok);
	return ret;
}

const char *weft_ctl_code(int err)
{
	switch (err) {
	case 0:
		return "ok";
	case WEFT_EMALFORMED:
		return "malformed";
	case WEFT_EVERSION:
		return "version";
	case WEFT_EOVERSIZE:
		return "oversize";
	case WEFT_EBADSIG:
		return "badsig";
	case WEFT_ENORIGHT:
		return "noright";
	case WEFT_ESTALE:
		return "stale";
	case WEFT_EREVOKED:
		return "revoked";
	case WEFT_EEXPIRED:
		return "expired";
	case WEFT_EUSEDUP:
		return "usedup";
	case WEFT_ECHECKSUM:
		return "checksum";
	case WEFT_EWRONGNET:
		return "wrongnet";
	case WEFT_EEXISTS:
		return "exists";
	case WEFT_EFULL:
		return "full";
	case WEFT_ENOTFOUND:
		return "notfound";
	case WEFT_EPENDING:
		return "pending";
	case WEFT_EBADTOKEN:
		return "badtoken";
	case WEFT_EUNSUPPORTED:
		return "unsupported";
	case WEFT_ETIMEOUT:
		return "timeout";
	case WEFT_EPROTO:
		return "proto";
	case -EADDRINUSE:
		return "addrinuse";
	case -ENOMEM:
		return "nomem";
	case -EBUSY:
		return "busy";
	default:
		return "io";
	}
}

static char *finish(struct json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	char *line = NULL;

	if (s && asprintf(&line, "%s\n", s) < 0)
		line = NULL;
	json_object_put(o);
	return line;
}

char *weft_ctl_reply_ok(struct json_object *result)
{
	struct json_object *o = json_object_new_object();

	if (!o) {
		json_object_put(result);
		return NULL;
	}
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "result", result);
	return finish(o);
}

char *weft_ctl_reply_error(int err, const char *fmt, ...)
{
	struct json_object *o = json_object_new_object();
	char msg[1024];
	va_list ap;

	if (!o)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_object_add(o, "ok", json_object_new_boolean(0));
	json_object_object_add(o, "code", json_object_new_string(weft_ctl_code(err)));
	json_object_object_add(o, "error", json_object_new_string(msg));
	return finish(o);
}

char *weft_ctl_b64(const uint8_t *raw, size_t len)
{
	size_t n = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
	char *s = malloc(n);

	if (s)
		sodium_bin2base64(s, n, raw, len, sodium_base64_VARIANT_ORIGINAL);
	return s;
}
