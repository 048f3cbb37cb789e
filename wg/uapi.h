/* The userspace WireGuard UAPI text protocol (wireguard-go, boringtun):
 * formatting a set=1 request from a change set and parsing the replies to
 * get=1 and set=1. Pure, so that the parsers can be fuzzed; userspace.c
 * does the socket I/O. */
#ifndef WEFT_WG_UAPI_H
#define WEFT_WG_UAPI_H

#include "wg/backend.h"

/* Replies longer than this are refused (about 250 bytes a peer and 70 an
 * allowed IP: some 100,000 peers). */
#define WEFT_WG_UAPI_MAX_REPLY (64u << 20)

/* The set=1 request for cs, ending with its blank line. *out is malloc'd
 * and may hold the private key: sodium_memzero(*out, *len) before free. */
int weft_wg_uapi_format_set(const weft_wg_changeset_t *cs, char **out, size_t *len, weft_wg_err_t *err);
/* The length of the complete reply at the start of buf (through the blank
 * line that ends it), or 0 while it is incomplete. */
size_t weft_wg_uapi_reply_len(const char *buf, size_t len);
/* Parses a get=1 reply (without its final blank line or with it) into dev.
 * An errno=N other than 0 is returned as -N. */
int weft_wg_uapi_parse_get(const char *buf, size_t len, weft_wg_device_t *dev, weft_wg_err_t *err);
/* Parses a set=1 reply: "errno=N". */
int weft_wg_uapi_parse_set(const char *buf, size_t len, weft_wg_err_t *err);

#endif
