/* The command line's side of the control socket: send one request to the
 * daemon and read its one-line reply (ctl.h), with messages that say what
 * to do when the daemon cannot be reached. */
#ifndef WEFT_CTLCLIENT_H
#define WEFT_CTLCLIENT_H

#include "cli/cli.h"

struct json_object;

struct weft_cli_reply {
	struct json_object *result; /* owned: weft_cli_reply_free() */
	char code[32];              /* ctl.h's short error name */
	char error[1024];           /* the daemon's sentence */
};

#define WEFT_CLI_CTL_TIMEOUT_MS 15000
#define WEFT_CLI_JOIN_TIMEOUT_MS 200000

/* Returns 0 with r->result set, 1 when the daemon refused (r->code and
 * r->error set), or a negative errno when it could not be reached or did
 * not answer. Secrets in req (a token) are wiped from the serialised copy
 * after sending. */
int weft_cli_ctl(struct weft_cli *cli, struct json_object *req, int timeout_ms, struct weft_cli_reply *r);
void weft_cli_reply_free(struct weft_cli_reply *r);
/* Prints the usual message for a failed call (ret from weft_cli_ctl);
 * hint, if not NULL, is appended when the daemon could not be reached.
 * Returns WEFT_CLI_FAIL. */
int weft_cli_ctl_fail(struct weft_cli *cli, int ret, const struct weft_cli_reply *r, const char *hint);

#endif
