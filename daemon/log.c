/* The daemon's log lines (log.h): level filter, an optional journal
 * priority prefix, and a timestamp when stderr is not the journal (which
 * stamps lines itself). */
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/clock.h"
#include "daemon/log.h"

static int cur_level = WEFT_LOG_INFO;
static FILE *sink;
static int journal = -1; /* unknown until the first line */

static const char *const names[] = { "error", "warn", "info", "debug" };
/* syslog priorities: err, warning, info, debug */
static const int prio[] = { 3, 4, 6, 7 };

int weft_log_parse_level(const char *s)
{
	unsigned i;

	if (!s)
		return -1;
	if (strcasecmp(s, "warning") == 0)
		return WEFT_LOG_WARN;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(s, names[i]) == 0)
			return (int)i;
	return -1;
}

const char *weft_log_level_name(int level)
{
	return level >= 0 && level <= WEFT_LOG_DEBUG ? names[level] : "?";
}

void weft_log_set_level(int level)
{
	if (level >= WEFT_LOG_ERROR && level <= WEFT_LOG_DEBUG)
		cur_level = level;
}

int weft_log_get_level(void)
{
	return cur_level;
}

void weft_log_set_sink(FILE *f)
{
	sink = f;
	journal = f ? 0 : -1;
}

void weft_log(int level, const char *fmt, ...)
{
	FILE *f = sink ? sink : stderr;
	char stamp[32];
	uint64_t ms;
	time_t secs;
	struct tm tm;
	va_list ap;

	if (level > cur_level || level < 0)
		return;
	if (journal < 0)
		journal = getenv("JOURNAL_STREAM") != NULL;
	if (journal) {
		fprintf(f, "<%d>", prio[level]);
	} else {
		ms = weft_clock_wall_ms();
		secs = (time_t)(ms / 1000);
		gmtime_r(&secs, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
		fprintf(f, "%s.%03uZ %-5s ", stamp, (unsigned)(ms % 1000), names[level]);
	}
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	fflush(f);
}
