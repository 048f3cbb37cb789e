/* A network's health problems (health.h): set, cleared, reported. */
#include "daemon/health.h"

#include <json-c/json.h>
#include <string.h>

static const char *const names[WEFT_HEALTH_COUNT] = {
#define WEFT_HEALTH_NAME(e, s) [WEFT_HEALTH_##e] = s,
	WEFT_HEALTH_MAP(WEFT_HEALTH_NAME)
#undef WEFT_HEALTH_NAME
};

const char *weft_health_code_name(enum weft_health_code code)
{
	if ((unsigned)code >= WEFT_HEALTH_COUNT)
		return NULL;
	return names[code];
}

bool weft_health_set(struct weft_health *h, enum weft_health_code code, uint64_t now_ms, const char *msg)
{
	bool was;

	if ((unsigned)code >= WEFT_HEALTH_COUNT)
		return false;
	was = h->item[code].set;
	if (!was)
		h->item[code].since_ms = now_ms;
	h->item[code].set = true;
	/* A message longer than the slot is cut at a character boundary of
	 * UTF-8 so the JSON stays valid. */
	size_t len = strlen(msg ? msg : "");
	if (len >= WEFT_HEALTH_MSG_MAX) {
		len = WEFT_HEALTH_MSG_MAX - 1;
		while (len > 0 && ((unsigned char)msg[len] & 0xc0) == 0x80)
			len--;
	}
	memcpy(h->item[code].msg, msg ? msg : "", len);
	h->item[code].msg[len] = '\0';
	return !was;
}

bool weft_health_clear(struct weft_health *h, enum weft_health_code code)
{
	bool was;

	if ((unsigned)code >= WEFT_HEALTH_COUNT)
		return false;
	was = h->item[code].set;
	h->item[code].set = false;
	h->item[code].since_ms = 0;
	h->item[code].msg[0] = '\0';
	return was;
}

bool weft_health_has(const struct weft_health *h, enum weft_health_code code)
{
	return (unsigned)code < WEFT_HEALTH_COUNT && h->item[code].set;
}

unsigned weft_health_count(const struct weft_health *h)
{
	unsigned i, n = 0;

	for (i = 0; i < WEFT_HEALTH_COUNT; i++)
		n += h->item[i].set;
	return n;
}

struct json_object *weft_health_json(const struct weft_health *h)
{
	struct json_object *a = json_object_new_array(), *o;
	unsigned i;

	if (!a)
		return NULL;
	for (i = 0; i < WEFT_HEALTH_COUNT; i++) {
		if (!h->item[i].set)
			continue;
		o = json_object_new_object();
		if (!o || json_object_array_add(a, o)) {
			json_object_put(o);
			json_object_put(a);
			return NULL;
		}
		json_object_object_add(o, "code", json_object_new_string(names[i]));
		json_object_object_add(o, "message", json_object_new_string(h->item[i].msg));
		json_object_object_add(o, "since", json_object_new_int64((int64_t)(h->item[i].since_ms / 1000)));
	}
	return a;
}
