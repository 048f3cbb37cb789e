/* Output for people and scripts: times in UTC, spans like "6d 23h", and
 * JSON documents printed through json-c. */
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include <json-c/json.h>

#include "cli/cli.h"

char *weft_cli_fmt_time(char *out, size_t len, uint64_t s)
{
	struct tm tm;
	time_t tt;

	/* Past year 9999 a calendar date means nothing; show the number. */
	if (s > 253402300799ull) {
		snprintf(out, len, "unix time %" PRIu64, s);
		return out;
	}
	tt = (time_t)s;
	if (!gmtime_r(&tt, &tm) || strftime(out, len, "%Y-%m-%d %H:%M UTC", &tm) == 0)
		snprintf(out, len, "unix time %" PRIu64, s);
	return out;
}

char *weft_cli_fmt_span(char *out, size_t len, uint64_t s)
{
	if (s >= 86400)
		snprintf(out, len, "%" PRIu64 "d %" PRIu64 "h", s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(out, len, "%" PRIu64 "h %" PRIu64 "m", s / 3600, s % 3600 / 60);
	else if (s >= 60)
		snprintf(out, len, "%" PRIu64 "m %" PRIu64 "s", s / 60, s % 60);
	else
		snprintf(out, len, "%" PRIu64 "s", s);
	return out;
}

int weft_cli_print_json(struct weft_cli *cli, struct json_object *o)
{
	const char *s;

	if (!o)
		return weft_cli_fail(cli, "out of memory building the JSON output");
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
						      JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!s)
		return weft_cli_fail(cli, "out of memory building the JSON output");
	fprintf(cli->out, "%s\n", s);
	return WEFT_CLI_OK;
}
