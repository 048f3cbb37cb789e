/* The control protocol between `weft` and the daemon (socket
 * /run/weft/weft.sock, mode 0600): one request per connection, each way one
 * JSON object on one line.
 *
 *     -> {"cmd": "status", "network": "office"}
 *     <- {"ok": true, "result": ...}
 *     <- {"ok": false, "code": "expired", "error": "a sentence for people"}
 *
 * The parser checks everything a handler relies on (known command, each
 * field allowed for it and of the right type and range, records decoded from
 * base64), so handlers see only valid requests. It is fuzzed (fuzz-ctl). */
#ifndef WEFT_CTL_H
#define WEFT_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/record.h"
#include "core/token.h"
#include "wg/wg.h"

#define WEFT_CTL_MAX_REQUEST (256u << 10) /* bytes of one request line */
#define WEFT_CTL_MAX_RECORDS 1024         /* records in one push or create */

enum weft_ctl_cmd {
	WEFT_CTL_PING = 1,  /* {} -> {"version"} */
	WEFT_CTL_LIST,      /* {} -> [{network, network_id, interface, state}] */
	WEFT_CTL_STATUS,    /* {network?} -> status object (array without network) */
	WEFT_CTL_PEERS,     /* {network} -> [peer objects] */
	WEFT_CTL_JOIN,      /* {token, name?, interface?, listen_port?, gossip_port?, endpoints?} */
	WEFT_CTL_LEAVE,     /* {network} */
	WEFT_CTL_IDENTITY,  /* {network} -> {"node_id"}: the id a new first member will have */
	WEFT_CTL_CREATE,    /* {network, records, name?, interface?, listen_port?, gossip_port?, endpoints?} */
	WEFT_CTL_PUSH,      /* {records, network?} -> [{network, accepted, refused}] */
	WEFT_CTL_BOOTSTRAP, /* {network} -> {"network_id", "bootstrap": ["HOST:PORT"...]} */
	WEFT_CTL_RECORDS,   /* {network, type} -> {"network_id", "records": [base64...]}: held records of a type */
	WEFT_CTL_CMD_MAX = WEFT_CTL_RECORDS,
};

/* Fields, as bits of weft_ctl_req.has. */
enum {
	WEFT_CTLF_NETWORK = 1u << 0,
	WEFT_CTLF_TOKEN = 1u << 1,
	WEFT_CTLF_NAME = 1u << 2,
	WEFT_CTLF_INTERFACE = 1u << 3,
	WEFT_CTLF_LISTEN_PORT = 1u << 4,
	WEFT_CTLF_GOSSIP_PORT = 1u << 5,
	WEFT_CTLF_ENDPOINTS = 1u << 6,
	WEFT_CTLF_RECORDS = 1u << 7,
	WEFT_CTLF_TYPE = 1u << 8,
};

struct weft_ctl_req {
	int cmd;      /* enum weft_ctl_cmd */
	unsigned has; /* WEFT_CTLF_* present */
	char network[WEFT_NAME_MAX + 1];
	char *token; /* secret (the invite's key): wiped by weft_ctl_req_free */
	char name[WEFT_NAME_MAX + 1];
	char ifname[WEFT_WG_IFNAMSIZ];
	uint16_t listen_port, gossip_port;
	uint8_t nendpoints;
	weft_endpoint_t endpoints[WEFT_MAX_ENDPOINTS]; /* port 0 = the WireGuard port */
	size_t nrecords;
	uint8_t (*records)[WEFT_RECORD_MAX]; /* raw records, not yet decoded */
	uint16_t *record_len;
	uint8_t rtype; /* weft_rec_type_t, given by name ("override") */
};

const char *weft_ctl_cmd_name(int cmd);
/* Parses one request (len bytes, a trailing newline allowed). On error
 * returns WEFT_EMALFORMED (or -ENOMEM) with a sentence in *why and leaves req
 * empty; free a parsed request with weft_ctl_req_free. */
int weft_ctl_parse(const char *buf, size_t len, struct weft_ctl_req *req, const char **why);
void weft_ctl_req_free(struct weft_ctl_req *req);

/* A short stable name for an error code in replies ("expired", "revoked",
 * "io"...), so scripts need not parse sentences. */
const char *weft_ctl_code(int err);

/* Replies, as a malloc'd line ending in "\n". ok takes ownership of result
 * (which may be NULL). */
struct json_object;
char *weft_ctl_reply_ok(struct json_object *result);
char *weft_ctl_reply_error(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Base64 (standard, padded) of raw bytes for a JSON field; malloc'd. */
char *weft_ctl_b64(const uint8_t *raw, size_t len);

#endif
