/* The pure part of 'weft dns' (cmd_dns.c), for tests: reading NAME TYPE
 * VALUE into a DNS entry, with a sentence for each mistake. */
#ifndef WEFT_CMD_DNS_H
#define WEFT_CMD_DNS_H

#include <stddef.h>
#include <stdint.h>

#include "core/record.h"

#define WEFT_CLI_DNS_TTL_DEFAULT 300

/* "A", "aaaa", "CNAME", "TXT", "SRV" (any case) -> the type, or 0. */
uint16_t weft_cli_dns_type(const char *s);
/* NAME relative to origin (the zone, "office.internal"): lower-cased;
 * "NAME.ORIGIN" is taken as NAME; "*.NAME" is a wildcard. Into out
 * (WEFT_DOMAIN_MAX + 1 bytes). 0, or -1 with err set. */
int weft_cli_dns_name(const char *s, const char *origin, char *out, char *err, size_t errlen);
/* VALUE for type, made canonical (addresses printed back, names lower
 * case, SRV numbers without leading zeros and single spaces) into out
 * (WEFT_DNS_VALUE_MAX + 1 bytes). 0, or -1 with err set. */
int weft_cli_dns_value(uint16_t type, const char *s, char *out, char *err, size_t errlen);

#endif
