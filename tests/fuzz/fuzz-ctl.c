/* Fuzz the control protocol's request parser (daemon/ctl.c): whatever bytes a
 * local client writes, the parser either refuses them with a reason or
 * hands the daemon a request whose every field is valid for its command. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/ctl.h"
#include "core/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool label_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > WEFT_NAME_MAX || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct weft_ctl_req req;
	const char *why = NULL;
	char *line;
	size_t i;
	int ret;

	ret = weft_ctl_parse((const char *)data, size, &req, &why);
	if (ret) {
		/* Every refusal says why, and leaves nothing allocated. */
		if (!why || (ret != WEFT_EMALFORMED && ret != -ENOMEM) || req.token || req.records || req.cmd)
			abort();
		line = weft_ctl_reply_error(ret, "bad request: %s", why);
		free(line);
		return 0;
	}
	if (req.cmd < 1 || req.cmd > WEFT_CTL_CMD_MAX || !strcmp(weft_ctl_cmd_name(req.cmd), "?"))
		abort();
	if ((req.has & WEFT_CTLF_NETWORK) && !label_ok(req.network))
		abort();
	if ((req.has & WEFT_CTLF_NAME) && !label_ok(req.name))
		abort();
	if ((req.has & WEFT_CTLF_INTERFACE) && (!req.ifname[0] || strchr(req.ifname, '/')))
		abort();
	if (!!(req.has & WEFT_CTLF_TOKEN) != (req.token != NULL) || (req.token && !req.token[0]))
		abort();
	if ((req.has & WEFT_CTLF_LISTEN_PORT) && !req.listen_port)
		abort();
	if (req.nendpoints > WEFT_MAX_ENDPOINTS)
		abort();
	for (i = 0; i < req.nendpoints; i++)
		if (req.endpoints[i].ip.family != 4 && req.endpoints[i].ip.family != 6)
			abort();
	if ((req.has & WEFT_CTLF_RECORDS) && (req.nrecords == 0 || req.nrecords > WEFT_CTL_MAX_RECORDS))
		abort();
	for (i = 0; i < req.nrecords; i++)
		if (req.record_len[i] == 0 || req.record_len[i] > WEFT_RECORD_MAX)
			abort();
	/* The commands that need a network have one. */
	if ((req.cmd == WEFT_CTL_PEERS || req.cmd == WEFT_CTL_LEAVE || req.cmd == WEFT_CTL_CREATE) &&
	    !(req.has & WEFT_CTLF_NETWORK))
		abort();
	weft_ctl_req_free(&req);
	if (req.token || req.records || req.cmd)
		abort();
	return 0;
}
