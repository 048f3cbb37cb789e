/* weft_strerror: one place that names every error code. */
#include <string.h>

#include "core/error.h"

const char *weft_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
#define X(name, value, msg) \
	case -(value):      \
		return msg;
		WEFT_ERRNO_MAP(X)
#undef X
	default:
		break;
	}
	if (err < 0)
		return strerror(-err);
	return "unknown error";
}
