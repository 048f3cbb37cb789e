/* The daemon's log: one line per event on stderr, with a level, filtered by
 * the configured level. Under systemd (JOURNAL_STREAM set) each line starts
 * with the kernel-style "<N>" priority the journal understands. Callers
 * never pass secrets: keys, tokens and the network key are not loggable. */
#ifndef WEFT_LOG_H
#define WEFT_LOG_H

#include <stdio.h>

enum weft_log_level {
	WEFT_LOG_ERROR = 0,
	WEFT_LOG_WARN = 1,
	WEFT_LOG_INFO = 2,
	WEFT_LOG_DEBUG = 3,
};

/* "error", "warn" (or "warning"), "info", "debug" -> level; -1 if unknown. */
int weft_log_parse_level(const char *s);
const char *weft_log_level_name(int level);
void weft_log_set_level(int level);
int weft_log_get_level(void);
/* Where lines go (stderr by default); tests capture them. */
void weft_log_set_sink(FILE *f);

void weft_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define weft_log_error(...) weft_log(WEFT_LOG_ERROR, __VA_ARGS__)
#define weft_log_warn(...) weft_log(WEFT_LOG_WARN, __VA_ARGS__)
#define weft_log_info(...) weft_log(WEFT_LOG_INFO, __VA_ARGS__)
#define weft_log_debug(...) weft_log(WEFT_LOG_DEBUG, __VA_ARGS__)

#endif
