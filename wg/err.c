/* Error context for wg/: every failing call leaves its code and one sentence
 * in a caller's weft_wg_err_t, and outer layers prepend where it happened
 * (backend, interface, operation). Nothing here logs. */
#include <stdio.h>
#include <string.h>

#include "wg/backend.h"
#include "core/error.h"

int weft_wg_errf(weft_wg_err_t *err, int code, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	if (!err)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	n = strlen(err->msg);
	if (code && n < sizeof(err->msg))
		snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", weft_strerror(code));
	return code;
}

int weft_wg_err_prefix(weft_wg_err_t *err, int code, const char *fmt, ...)
{
	char prefix[WEFT_WG_ERRLEN], old[WEFT_WG_ERRLEN];
	va_list ap;

	if (!err)
		return code;
	/* A callee that failed without saying why still gets a sentence. */
	if (err->code != code || !err->msg[0])
		snprintf(old, sizeof(old), "%s", weft_strerror(code));
	else
		memcpy(old, err->msg, sizeof(old));
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	/* Both fit WEFT_WG_ERRLEN alone, not always together: a message cut
	 * short says so. */
	if (snprintf(err->msg, sizeof(err->msg), "%s%s", prefix, old) >= (int)sizeof(err->msg))
		memcpy(err->msg + sizeof(err->msg) - 4, "...", 4);
	err->code = code;
	return code;
}
